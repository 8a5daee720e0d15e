/*
 * Alipay's notifications and the answers of its server-to-server calls.
 * See ch_alipay.h.
 */

#include <stdlib.h>
#include <string.h>

#include "ch_alipay.h"
#include "ch_json_read.h"
#include "ch_sign.h"


/* most notifications are under a kilobyte; larger ones go to the heap */
#define CH_ALIPAY_NOTIFY_STACK  4096


static void ch_alipay_field(const ch_form_field_t *fields, size_t n,
    const char *name, ch_alipay_str_t *s);
static int ch_alipay_str_is(const ch_alipay_str_t *s, const char *v);
static int ch_alipay_trade_no_valid(const ch_alipay_str_t *s);


static const char *const  ch_alipay_notify_errors[] = {
    "ok",
    "no sign",
    "sign_type not RSA2",
    "bad signature",
    "wrong app_id",
    "wrong seller_id",
    "missing field",
    "malformed trade number",
    "bad total_amount",
    "unknown trade_status",
    "out of memory"
};


ch_alipay_notify_error_e
ch_alipay_notify_check(const ch_form_field_t *fields, size_t n,
    const ch_alipay_key_t *alipay_public_key, const char *app_id,
    const char *seller_id, ch_alipay_notify_t *out)
{
    int                     good;
    char                    stack[CH_ALIPAY_NOTIFY_STACK], *str;
    size_t                  len;
    ch_alipay_str_t         sign, sign_type;

    static const char *const  unsigned_fields[] = { "sign", "sign_type", NULL };

    memset(out, 0, sizeof(ch_alipay_notify_t));

    ch_alipay_field(fields, n, "sign", &sign);
    ch_alipay_field(fields, n, "sign_type", &sign_type);

    if (sign.len == 0) {
        out->field = "sign";
        return CH_ALIPAY_NO_SIGN;
    }

    if (sign_type.len && !ch_alipay_str_is(&sign_type, "RSA2")) {
        out->field = "sign_type";
        return CH_ALIPAY_BAD_SIGN_TYPE;
    }

    /* the signature first: nothing unsigned is worth a closer look */

    len = ch_sign_string(fields, n, unsigned_fields, NULL);

    str = len <= sizeof(stack) ? stack : malloc(len);
    if (str == NULL) {
        return CH_ALIPAY_NO_MEMORY;
    }

    ch_sign_string(fields, n, unsigned_fields, str);

    good = ch_alipay_verify(alipay_public_key, (unsigned char *) str, len,
                            sign.data, sign.len);

    if (str != stack) {
        free(str);
    }

    if (!good) {
        out->field = "sign";
        return CH_ALIPAY_BAD_SIGNATURE;
    }

    return ch_alipay_notify_read(fields, n, app_id, seller_id, out);
}


ch_alipay_notify_error_e
ch_alipay_notify_read(const ch_form_field_t *fields, size_t n,
    const char *app_id, const char *seller_id, ch_alipay_notify_t *out)
{
    memset(out, 0, sizeof(ch_alipay_notify_t));

    ch_alipay_field(fields, n, "out_trade_no", &out->out_trade_no);
    ch_alipay_field(fields, n, "trade_no", &out->trade_no);
    ch_alipay_field(fields, n, "trade_status", &out->trade_status);
    ch_alipay_field(fields, n, "app_id", &out->app_id);
    ch_alipay_field(fields, n, "seller_id", &out->seller_id);
    ch_alipay_field(fields, n, "buyer_id", &out->buyer_id);
    ch_alipay_field(fields, n, "buyer_logon_id", &out->buyer_logon_id);
    ch_alipay_field(fields, n, "gmt_payment", &out->gmt_payment);
    ch_alipay_field(fields, n, "total_amount", &out->total_amount);

    if (app_id == NULL || !ch_alipay_str_is(&out->app_id, app_id)) {
        out->field = "app_id";
        return CH_ALIPAY_WRONG_APP;
    }

    if (seller_id && seller_id[0]
        && !ch_alipay_str_is(&out->seller_id, seller_id))
    {
        out->field = "seller_id";
        return CH_ALIPAY_WRONG_SELLER;
    }

    out->field = out->out_trade_no.len == 0 ? "out_trade_no"
                 : out->trade_no.len == 0 ? "trade_no"
                 : out->trade_status.len == 0 ? "trade_status"
                 : out->total_amount.len == 0 ? "total_amount"
                 : NULL;

    if (out->field) {
        return CH_ALIPAY_MISSING_FIELD;
    }

    out->field = !ch_alipay_trade_no_valid(&out->out_trade_no) ? "out_trade_no"
                 : !ch_alipay_trade_no_valid(&out->trade_no) ? "trade_no"
                 : NULL;

    if (out->field) {
        return CH_ALIPAY_BAD_TRADE_NO;
    }

    if (!ch_alipay_str_is(&out->trade_status, "TRADE_SUCCESS")
        && !ch_alipay_str_is(&out->trade_status, "TRADE_FINISHED")
        && !ch_alipay_str_is(&out->trade_status, "WAIT_BUYER_PAY")
        && !ch_alipay_str_is(&out->trade_status, "TRADE_CLOSED"))
    {
        out->field = "trade_status";
        return CH_ALIPAY_BAD_STATUS;
    }

    if (ch_alipay_amount_parse(out->total_amount.data, out->total_amount.len,
                               &out->amount_fen)
        != 0)
    {
        out->field = "total_amount";
        return CH_ALIPAY_BAD_AMOUNT;
    }

    return CH_ALIPAY_OK;
}


const char *
ch_alipay_notify_error_text(ch_alipay_notify_error_e e)
{
    if ((size_t) e >= sizeof(ch_alipay_notify_errors) / sizeof(char *)) {
        return "unknown error";
    }

    return ch_alipay_notify_errors[e];
}


int
ch_alipay_trade_paid(const ch_alipay_str_t *trade_status)
{
    return ch_alipay_str_is(trade_status, "TRADE_SUCCESS")
           || ch_alipay_str_is(trade_status, "TRADE_FINISHED");
}


int
ch_alipay_response_extract(const unsigned char *body, size_t len,
    const char *method, const unsigned char **resp, size_t *resp_len,
    char *sign, size_t sign_size)
{
    char              *value, name[128];
    size_t             i, k;
    ch_json_member_t   m[3], *r;

    /* "alipay.trade.query" -> "alipay_trade_query_response" */

    k = strlen(method);
    if (k + sizeof("_response") > sizeof(name)) {
        return -1;
    }

    for (i = 0; i < k; i++) {
        name[i] = method[i] == '.' ? '_' : method[i];
    }

    memcpy(name + k, "_response", sizeof("_response"));

    m[0].name = name;
    m[1].name = "error_response";
    m[2].name = "sign";

    /* a member given twice is refused: which one Alipay signed is unknown */
    if (ch_json_object_members(body, len, m, 3) != 0) {
        return -1;
    }

    r = m[0].type != CH_JSON_NONE ? &m[0] : &m[1];

    if (r->type != CH_JSON_OBJECT) {
        return -1;
    }

    *resp = (const unsigned char *) r->value;
    *resp_len = r->len;

    if (m[2].type != CH_JSON_STRING) {
        return -2;
    }

    /* base64 has "/", which a JSON writer may escape as "\/" */
    value = ch_json_string_value(&m[2]);
    if (value == NULL) {
        return -2;
    }

    k = strlen(value);

    if (k == 0 || k >= sign_size) {
        free(value);
        return -2;
    }

    memcpy(sign, value, k + 1);
    free(value);

    return 0;
}


static void
ch_alipay_field(const ch_form_field_t *fields, size_t n, const char *name,
    ch_alipay_str_t *s)
{
    const ch_form_field_t  *f;

    f = ch_form_get(fields, n, name);

    s->data = f ? f->value : "";
    s->len = f ? f->value_len : 0;
}


static int
ch_alipay_str_is(const ch_alipay_str_t *s, const char *v)
{
    return s->len == strlen(v) && memcmp(s->data, v, s->len) == 0;
}


static int
ch_alipay_trade_no_valid(const ch_alipay_str_t *s)
{
    size_t  i;
    char    c;

    if (s->len == 0 || s->len > CH_ALIPAY_TRADE_NO_MAX) {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '_'))
        {
            return 0;
        }
    }

    return 1;
}
