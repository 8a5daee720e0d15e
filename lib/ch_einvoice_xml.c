/*
 * The FPKJ issue request: built with libxml2's tree API (so every title,
 * name and remark is escaped by libxml2, never pasted into markup),
 * validated against our XSD, serialized as UTF-8.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "ch_einvoice_xml.h"
#include "ch_einvoice_xml_int.h"
#include "ch_json.h"


struct ch_einvoice_schema_s {
    xmlSchemaPtr  schema;
};


static int ch_einvoice_text_ok(const char *s, int multiline);
static int ch_einvoice_check(const ch_einvoice_request_t *req, char *err);
static int ch_einvoice_add(xmlNodePtr parent, const char *name,
    const char *value, int optional);
static xmlDocPtr ch_einvoice_tree(const ch_einvoice_request_t *req,
    const ch_invoice_sum_t *sum);


void
ch_einvoice_error(void *data, xmlErrorPtr e)
{
    char    *err = data;
    size_t   n;

    /* the first error explains; later ones mostly follow from it */
    if (err == NULL || err[0] != '\0' || e == NULL || e->message == NULL) {
        return;
    }

    if (e->line > 0) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "line %d: %s", e->line,
                 e->message);
    } else {
        snprintf(err, CH_EINVOICE_ERR_LEN, "%s", e->message);
    }

    n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' ')) {
        err[--n] = '\0';
    }
}


ch_einvoice_schema_t *
ch_einvoice_schema_load(const char *path, char *err)
{
    FILE                   *f;
    xmlSchemaPtr            xs;
    ch_einvoice_schema_t   *schema;
    xmlSchemaParserCtxtPtr  pctxt;

    err[0] = '\0';
    xmlInitParser();

    /* libxml2 would print its own complaint about a missing file */
    f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "%s: cannot read the schema", path);
        return NULL;
    }
    fclose(f);

    pctxt = xmlSchemaNewParserCtxt(path);
    if (pctxt == NULL) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "%s: cannot read the schema", path);
        return NULL;
    }

    xmlSchemaSetParserStructuredErrors(pctxt, ch_einvoice_error, err);
    xs = xmlSchemaParse(pctxt);
    xmlSchemaFreeParserCtxt(pctxt);

    if (xs == NULL) {
        if (err[0] == '\0') {
            snprintf(err, CH_EINVOICE_ERR_LEN, "%s: not a schema", path);
        }
        return NULL;
    }

    schema = malloc(sizeof(ch_einvoice_schema_t));
    if (schema == NULL) {
        xmlSchemaFree(xs);
        snprintf(err, CH_EINVOICE_ERR_LEN, "out of memory");
        return NULL;
    }

    schema->schema = xs;

    return schema;
}


void
ch_einvoice_schema_free(ch_einvoice_schema_t *schema)
{
    if (schema != NULL) {
        xmlSchemaFree(schema->schema);
        free(schema);
    }
}


int
ch_einvoice_build(ch_einvoice_request_t *req,
    const ch_einvoice_schema_t *schema, unsigned char **out, size_t *out_len,
    ch_invoice_sum_t *sum, char *err)
{
    int                    rc, size, i;
    size_t                 bad, k;
    xmlDocPtr              doc;
    xmlChar               *mem;
    ch_invoice_sum_t       s;
    ch_invoice_line_t     *lines;
    xmlSchemaValidCtxtPtr  vctxt;

    err[0] = '\0';

    if (ch_einvoice_check(req, err) != 0) {
        return -1;
    }

    /* the amounts from fen: lines first, the header their exact sum */
    lines = calloc(req->nitems, sizeof(ch_invoice_line_t));
    if (lines == NULL) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "out of memory");
        return -1;
    }

    for (k = 0; k < req->nitems; k++) {
        lines[k] = req->items[k].amount;
        if (lines[k].quantity <= 0) {
            free(lines);
            snprintf(err, CH_EINVOICE_ERR_LEN,
                     "line %zu: the quantity is not positive", k + 1);
            return -1;
        }
        /* a red invoice reverses the original's lines whole */
        if (req->kind == CH_EINVOICE_RED) {
            lines[k].quantity = -lines[k].quantity;
        }
    }

    if (ch_invoice_sum(lines, req->nitems, &s, &bad) != 0) {
        free(lines);
        snprintf(err, CH_EINVOICE_ERR_LEN,
                 bad < req->nitems ? "line %zu: a bad price, rate or amount"
                                   : "the total is too large",
                 bad + 1);
        return -1;
    }

    for (k = 0; k < req->nitems; k++) {
        req->items[k].amount = lines[k];
    }

    free(lines);

    doc = ch_einvoice_tree(req, &s);
    if (doc == NULL) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "out of memory");
        return -1;
    }

    vctxt = xmlSchemaNewValidCtxt(schema->schema);
    if (vctxt == NULL) {
        xmlFreeDoc(doc);
        snprintf(err, CH_EINVOICE_ERR_LEN, "out of memory");
        return -1;
    }

    xmlSchemaSetValidStructuredErrors(vctxt, ch_einvoice_error, err);
    rc = xmlSchemaValidateDoc(vctxt, doc);
    xmlSchemaFreeValidCtxt(vctxt);

    if (rc != 0) {
        xmlFreeDoc(doc);
        if (err[0] == '\0') {
            snprintf(err, CH_EINVOICE_ERR_LEN, "not valid against the schema");
        }
        return -1;
    }

    mem = NULL;
    xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
    xmlFreeDoc(doc);

    if (mem == NULL || size <= 0) {
        xmlFree(mem);
        snprintf(err, CH_EINVOICE_ERR_LEN, "out of memory");
        return -1;
    }

    /* the caller frees with free(), not knowing libxml2's allocator */
    *out = malloc((size_t) size);
    if (*out == NULL) {
        xmlFree(mem);
        snprintf(err, CH_EINVOICE_ERR_LEN, "out of memory");
        return -1;
    }

    for (i = 0; i < size; i++) {
        (*out)[i] = mem[i];
    }

    xmlFree(mem);
    *out_len = (size_t) size;
    *sum = s;

    return 0;
}


/*
 * What XML 1.0 can carry and the platform can print: well-formed UTF-8
 * without control characters (a remark may break lines) and without the
 * noncharacters U+FFFE and U+FFFF.
 */
static int
ch_einvoice_text_ok(const char *s, int multiline)
{
    size_t               n, len;
    const unsigned char *p;

    p = (const unsigned char *) s;
    len = strlen(s);

    while (len > 0) {
        n = ch_utf8_sequence(p, len);

        if (n == 0) {
            return 0;
        }

        if (n == 1 && (p[0] < 0x20 || p[0] == 0x7f)
            && !(multiline && p[0] == '\n'))
        {
            return 0;
        }

        if (n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe) {
            return 0;
        }

        p += n;
        len -= n;
    }

    return 1;
}


static int
ch_einvoice_check(const ch_einvoice_request_t *req, char *err)
{
    size_t       i, k;
    int          has_original;
    const char  *what;

    const char  *texts[] = {
        req->serial, req->original_code, req->original_number,
        req->seller_taxpayer_id, req->seller_name, req->seller_address_phone,
        req->seller_bank_account, req->buyer_taxpayer_id, req->buyer_name,
        req->buyer_address_phone, req->buyer_bank_account, req->buyer_mobile,
        req->buyer_email, req->issuer, req->payee, req->checker
    };

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (texts[i] != NULL && !ch_einvoice_text_ok(texts[i], 0)) {
            what = "a field";
            goto bad_text;
        }
    }

    if (req->remark != NULL && !ch_einvoice_text_ok(req->remark, 1)) {
        what = "the remark";
        goto bad_text;
    }

    for (k = 0; k < req->nitems; k++) {
        const ch_einvoice_item_t  *it = &req->items[k];

        if ((it->name != NULL && !ch_einvoice_text_ok(it->name, 0))
            || (it->spec != NULL && !ch_einvoice_text_ok(it->spec, 0))
            || (it->unit != NULL && !ch_einvoice_text_ok(it->unit, 0))
            || (it->spbm != NULL && !ch_einvoice_text_ok(it->spbm, 0)))
        {
            what = "an item";
            goto bad_text;
        }
    }

    if (req->nitems == 0) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "an invoice without lines");
        return -1;
    }

    /* the rule XSD 1.0 cannot state: KPLX 1 <=> YFP_DM and YFP_HM */
    has_original = req->original_code != NULL && req->original_code[0] != '\0'
                   && req->original_number != NULL
                   && req->original_number[0] != '\0';

    if (req->kind == CH_EINVOICE_RED && !has_original) {
        snprintf(err, CH_EINVOICE_ERR_LEN,
                 "a red invoice needs the original's code and number");
        return -1;
    }

    if (req->kind == CH_EINVOICE_BLUE
        && ((req->original_code != NULL && req->original_code[0] != '\0')
            || (req->original_number != NULL
                && req->original_number[0] != '\0')))
    {
        snprintf(err, CH_EINVOICE_ERR_LEN,
                 "a blue invoice has no original invoice");
        return -1;
    }

    if (req->kind != CH_EINVOICE_BLUE && req->kind != CH_EINVOICE_RED) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "neither blue nor red");
        return -1;
    }

    return 0;

bad_text:

    snprintf(err, CH_EINVOICE_ERR_LEN,
             "%s is not UTF-8 text without control characters", what);
    return -1;
}


/*
 * xmlNewTextChild escapes & < > in the content (xmlNewChild would read
 * "&amp;" as an entity reference); an empty optional value is left out.
 * Returns -1 only when out of memory.
 */
static int
ch_einvoice_add(xmlNodePtr parent, const char *name, const char *value,
    int optional)
{
    if (value == NULL || value[0] == '\0') {
        if (optional) {
            return 0;
        }
        /* an empty required element, for the schema to refuse by name */
        value = "";
    }

    return xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST value)
           == NULL ? -1 : 0;
}


static xmlDocPtr
ch_einvoice_tree(const ch_einvoice_request_t *req, const ch_invoice_sum_t *sum)
{
    int                        rc;
    char                       num[CH_INVOICE_FEN_LEN];
    char                       jshj[CH_INVOICE_FEN_LEN];
    char                       hjje[CH_INVOICE_FEN_LEN];
    char                       hjse[CH_INVOICE_FEN_LEN];
    char                       rate[CH_INVOICE_RATE_LEN];
    size_t                     k;
    xmlDocPtr                  doc;
    xmlNodePtr                 root, rq, fpt, xmxxs, xm;
    const ch_invoice_line_t   *l;

    doc = xmlNewDoc(BAD_CAST "1.0");
    if (doc == NULL) {
        return NULL;
    }

    root = xmlNewDocNode(doc, NULL, BAD_CAST "business", NULL);
    if (root == NULL) {
        goto failed;
    }

    xmlDocSetRootElement(doc, root);

    rq = xmlNewChild(root, NULL, BAD_CAST "REQUEST_COMMON_FPKJ", NULL);
    fpt = rq ? xmlNewChild(rq, NULL, BAD_CAST "COMMON_FPKJ_FPT", NULL) : NULL;

    if (fpt == NULL
        || xmlNewProp(root, BAD_CAST "id", BAD_CAST "FPKJ") == NULL
        || xmlNewProp(rq, BAD_CAST "class", BAD_CAST "REQUEST_COMMON_FPKJ")
           == NULL
        || xmlNewProp(fpt, BAD_CAST "class", BAD_CAST "COMMON_FPKJ_FPT")
           == NULL)
    {
        goto failed;
    }

    ch_invoice_fen_format(jshj, sum->total_fen);
    ch_invoice_fen_format(hjje, sum->net_fen);
    ch_invoice_fen_format(hjse, sum->tax_fen);

    /* the order of schema/fpkj.xsd */
    rc = ch_einvoice_add(fpt, "FPQQLSH", req->serial, 0)
         | ch_einvoice_add(fpt, "KPLX",
                           req->kind == CH_EINVOICE_RED ? "1" : "0", 0)
         | ch_einvoice_add(fpt, "XSF_NSRSBH", req->seller_taxpayer_id, 0)
         | ch_einvoice_add(fpt, "XSF_MC", req->seller_name, 0)
         | ch_einvoice_add(fpt, "XSF_DZDH", req->seller_address_phone, 0)
         | ch_einvoice_add(fpt, "XSF_YHZH", req->seller_bank_account, 0)
         | ch_einvoice_add(fpt, "GMF_NSRSBH", req->buyer_taxpayer_id, 1)
         | ch_einvoice_add(fpt, "GMF_MC", req->buyer_name, 0)
         | ch_einvoice_add(fpt, "GMF_DZDH", req->buyer_address_phone, 1)
         | ch_einvoice_add(fpt, "GMF_YHZH", req->buyer_bank_account, 1)
         | ch_einvoice_add(fpt, "GMF_SJH", req->buyer_mobile, 1)
         | ch_einvoice_add(fpt, "GMF_DZYX", req->buyer_email, 1)
         | ch_einvoice_add(fpt, "KPR", req->issuer, 0)
         | ch_einvoice_add(fpt, "SKR", req->payee, 1)
         | ch_einvoice_add(fpt, "FHR", req->checker, 1);

    if (req->kind == CH_EINVOICE_RED) {
        rc |= ch_einvoice_add(fpt, "YFP_DM", req->original_code, 0)
              | ch_einvoice_add(fpt, "YFP_HM", req->original_number, 0);
    }

    rc |= ch_einvoice_add(fpt, "JSHJ", jshj, 0)
          | ch_einvoice_add(fpt, "HJJE", hjje, 0)
          | ch_einvoice_add(fpt, "HJSE", hjse, 0)
          | ch_einvoice_add(fpt, "BZ", req->remark, 1);

    if (rc != 0) {
        goto failed;
    }

    xmxxs = xmlNewChild(rq, NULL, BAD_CAST "COMMON_FPKJ_XMXXS", NULL);
    snprintf(num, sizeof(num), "%zu", req->nitems);

    if (xmxxs == NULL
        || xmlNewProp(xmxxs, BAD_CAST "class", BAD_CAST "COMMON_FPKJ_XMXX")
           == NULL
        || xmlNewProp(xmxxs, BAD_CAST "size", BAD_CAST num) == NULL)
    {
        goto failed;
    }

    for (k = 0; k < req->nitems; k++) {
        l = &req->items[k].amount;

        xm = xmlNewChild(xmxxs, NULL, BAD_CAST "COMMON_FPKJ_XMXX", NULL);
        if (xm == NULL) {
            goto failed;
        }

        /* prices include tax (HSBZ 1): XMDJ and XMJE are with tax */
        rc = ch_einvoice_add(xm, "FPHXZ", "0", 0)
             | ch_einvoice_add(xm, "SPBM", req->items[k].spbm, 0)
             | ch_einvoice_add(xm, "XMMC", req->items[k].name, 0)
             | ch_einvoice_add(xm, "GGXH", req->items[k].spec, 1)
             | ch_einvoice_add(xm, "DW", req->items[k].unit, 1);

        snprintf(num, sizeof(num), "%lld", l->quantity);
        rc |= ch_einvoice_add(xm, "XMSL", num, 0);

        ch_invoice_fen_format(num, l->price_fen);
        rc |= ch_einvoice_add(xm, "XMDJ", num, 0);

        ch_invoice_fen_format(num, l->amount_fen);
        rc |= ch_einvoice_add(xm, "XMJE", num, 0);

        ch_invoice_rate_format(rate, l->rate_bp);
        rc |= ch_einvoice_add(xm, "SL", rate, 0);

        ch_invoice_fen_format(num, l->tax_fen);
        rc |= ch_einvoice_add(xm, "SE", num, 0)
              | ch_einvoice_add(xm, "HSBZ", "1", 0);

        if (rc != 0) {
            goto failed;
        }
    }

    return doc;

failed:

    xmlFreeDoc(doc);
    return NULL;
}
