/*
 * libFuzzer target: the FPKJ request builder (lib/ch_einvoice_xml.c) with
 * the input as the buyer's title, item name and remark (split at NUL
 * bytes).  Whatever they hold, the builder refuses with a reason or
 * writes a document that parses back (no markup injected, no broken
 * UTF-8) with exactly that title, and whose header sums are the lines'.
 * Run from the repository's top folder (t/bin/fuzz-tap does).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "ch_einvoice_xml.h"

static ch_einvoice_schema_t  *schema;


/* the text of the first element of that name below node, or NULL */
static xmlChar *
find(xmlNodePtr node, const char *name)
{
    xmlChar     *t;
    xmlNodePtr   c;

    for (c = node; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (xmlStrcmp(c->name, BAD_CAST name) == 0) {
            return xmlNodeGetContent(c);
        }
        t = find(c->children, name);
        if (t != NULL) {
            return t;
        }
    }

    return NULL;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                   err[CH_EINVOICE_ERR_LEN], *text, *parts[3];
    size_t                 i, k, len;
    xmlChar               *t;
    xmlDocPtr              doc;
    unsigned char         *out;
    ch_invoice_sum_t       sum;
    ch_einvoice_item_t     item;
    ch_einvoice_request_t  req;

    if (schema == NULL) {
        schema = ch_einvoice_schema_load("schema/fpkj.xsd", err);
        if (schema == NULL) {
            abort();
        }
    }

    text = malloc(size + 3);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    memset(text + size, 0, 3);

    for (i = 0, k = 0; k < 3; k++) {
        parts[k] = text + i;
        i += strlen(text + i) + (i < size ? 1 : 0);
        if (i > size) {
            i = size;
        }
    }

    memset(&item, 0, sizeof(item));
    item.name = parts[1][0] ? parts[1] : "*信息技术服务*数字证书";
    item.spbm = "3040201990000000000";
    item.amount.price_fen = (long long) (size * 7919 % 1000003);
    item.amount.quantity = (long long) (size % 5) + 1;
    item.amount.rate_bp = (int) (size * 31 % 1400);

    memset(&req, 0, sizeof(req));
    req.serial = "CH1";
    req.kind = size % 2 ? CH_EINVOICE_RED : CH_EINVOICE_BLUE;
    req.original_code = size % 2 ? "011001900111" : NULL;
    req.original_number = size % 2 ? "12345678" : NULL;
    req.seller_taxpayer_id = "91110000MA01ABCD1X";
    req.seller_name = "数字认证公司";
    req.seller_address_phone = "北京";
    req.seller_bank_account = "银行 1";
    req.buyer_name = parts[0];
    req.issuer = "开票员";
    req.remark = parts[2];
    req.items = &item;
    req.nitems = 1;

    out = NULL;
    if (ch_einvoice_build(&req, schema, &out, &len, &sum, err) != 0) {
        if (err[0] == '\0' || out != NULL) {
            abort();
        }
        free(text);
        return 0;
    }

    if (sum.total_fen != sum.net_fen + sum.tax_fen
        || sum.total_fen != item.amount.amount_fen
        || sum.tax_fen != item.amount.tax_fen)
    {
        abort();
    }

    doc = xmlReadMemory((const char *) out, (int) len, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR
                        | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        abort();
    }

    t = find(xmlDocGetRootElement(doc), "GMF_MC");
    if (t == NULL || strcmp((char *) t, parts[0]) != 0) {
        abort();
    }

    xmlFree(t);
    xmlFreeDoc(doc);
    free(out);
    free(text);

    return 0;
}
