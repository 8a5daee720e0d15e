/*
 * The e-invoice exchange with the tax platform (FPKJ, see
 * ../shared/reference/einvoice.md and schema/fpkj.xsd): the issue request
 * built with libxml2's tree API from a struct, validated against our XSD
 * before it leaves; and the platform's answer read back into a struct,
 * refusing anything malformed, hostile (DTDs, entities) or incomplete.
 *
 * Pure C (no nginx headers): the back office's invoice-send uses it;
 * unit-tested, and the answer parser fuzzed (t/fuzz/fuzz_einvoice_answer.c).
 */

#ifndef CH_EINVOICE_XML_H
#define CH_EINVOICE_XML_H

#include <stddef.h>

#include "ch_invoice_amount.h"

/* an answer larger than this is refused unread */
#define CH_EINVOICE_ANSWER_MAX  (8 * 1024 * 1024)
/* room for the first reason of a refusal */
#define CH_EINVOICE_ERR_LEN     256

typedef enum {
    CH_EINVOICE_BLUE = 0,       /* KPLX 0: a normal invoice */
    CH_EINVOICE_RED = 1         /* KPLX 1: the reversal of an issued one */
} ch_einvoice_kind_e;

typedef struct {
    const char         *name;       /* XMMC, the item name */
    const char         *spec;       /* GGXH, or NULL */
    const char         *unit;       /* DW, or NULL */
    const char         *spbm;       /* 19-digit tax category code */
    ch_invoice_line_t   amount;     /* price with tax, quantity, rate given */
} ch_einvoice_item_t;

/* NULL or "" for an optional field leaves its element out */
typedef struct {
    const char           *serial;           /* FPQQLSH */
    ch_einvoice_kind_e    kind;
    const char           *original_code;    /* YFP_DM, red only */
    const char           *original_number;  /* YFP_HM, red only */

    const char           *seller_taxpayer_id;
    const char           *seller_name;
    const char           *seller_address_phone;
    const char           *seller_bank_account;

    const char           *buyer_taxpayer_id;   /* none for a person */
    const char           *buyer_name;          /* the invoice title */
    const char           *buyer_address_phone;
    const char           *buyer_bank_account;
    const char           *buyer_mobile;
    const char           *buyer_email;

    const char           *issuer;           /* KPR */
    const char           *payee;            /* SKR */
    const char           *checker;          /* FHR */
    const char           *remark;           /* BZ */

    /*
     * The lines with positive quantities, for a red invoice too: a red
     * invoice reverses the original whole, so give the original's lines
     * and the builder writes them negated.  Their computed fields are
     * filled in.
     */
    ch_einvoice_item_t   *items;
    size_t                nitems;
} ch_einvoice_request_t;

typedef struct ch_einvoice_schema_s  ch_einvoice_schema_t;

/*
 * Loads and compiles an XSD once (schema/fpkj.xsd), for every request of a
 * run.  Returns NULL with the reason in err (CH_EINVOICE_ERR_LEN bytes).
 */
ch_einvoice_schema_t *ch_einvoice_schema_load(const char *path, char *err);
void ch_einvoice_schema_free(ch_einvoice_schema_t *schema);

/*
 * Builds the request, checks the rules the XSD cannot say (a red invoice
 * has the original's code and number, a blue one has not; valid UTF-8
 * without control characters; the amounts), validates the document
 * against the schema and serializes it as UTF-8.  Returns 0 with a
 * malloc()ed *out of *out_len bytes (the caller frees it) and the header
 * sums in *sum; or -1 with the reason in err and nothing allocated.
 */
int ch_einvoice_build(ch_einvoice_request_t *req,
    const ch_einvoice_schema_t *schema, unsigned char **out, size_t *out_len,
    ch_invoice_sum_t *sum, char *err);

typedef struct {
    char            returncode[16];     /* "0000" = issued */
    char            returnmsg[512];     /* cut at a character boundary */

    /* with returncode 0000 only */
    char            fpdm[16];           /* invoice code, 10-12 digits */
    char            fphm[24];           /* invoice number, 8-20 digits */
    char            kprq[16];           /* YYYYMMDDHHMMSS */
    unsigned char  *pdf;                /* the document, or NULL ... */
    size_t          pdf_len;
    char           *pdf_url;            /* ... an https URL to fetch it */
} ch_einvoice_answer_t;

/*
 * Reads the platform's answer.  Returns 0 with *answer filled (free it
 * with ch_einvoice_answer_free), also for a refusal by the platform
 * (returncode not 0000: read returnmsg); or -1 with the reason in err and
 * nothing to free, for bytes that are not a well-formed, DTD-free answer
 * of at most CH_EINVOICE_ANSWER_MAX bytes with every field it needs.
 */
int ch_einvoice_answer_parse(const unsigned char *buf, size_t len,
    ch_einvoice_answer_t *answer, char *err);
void ch_einvoice_answer_free(ch_einvoice_answer_t *answer);

/* whether the answer says the invoice is issued */
int ch_einvoice_answer_issued(const ch_einvoice_answer_t *answer);

#endif /* CH_EINVOICE_XML_H */
