/*
 * Alipay requests: biz_content, the common parameters, the string to sign
 * and the form body.  See ch_alipay.h.
 */

#include <stdlib.h>
#include <string.h>

#include "ch_alipay.h"
#include "ch_json.h"


/*
 * Output that counts what it would write: bytes go to out while they fit
 * (leaving room for the NUL), the length counts them all, so one function
 * both sizes and writes.
 */
typedef struct {
    char    *out;
    size_t   size;
    size_t   len;
} ch_alipay_buf_t;


static void ch_alipay_put(ch_alipay_buf_t *b, const char *s, size_t n);
static void ch_alipay_put_json(ch_alipay_buf_t *b, const char *s);
static void ch_alipay_put_encoded(ch_alipay_buf_t *b, const char *s);
static size_t ch_alipay_finish(ch_alipay_buf_t *b);
static int ch_alipay_param_used(const ch_alipay_param_t *p,
    const char *const *exclude);


size_t
ch_alipay_biz_json(char *out, size_t size, const ch_alipay_param_t *members,
    size_t n)
{
    size_t           i;
    const char      *sep;
    ch_alipay_buf_t  b = { out, size, 0 };

    ch_alipay_put(&b, "{", 1);
    sep = "\"";

    for (i = 0; i < n; i++) {
        if (members[i].value == NULL) {
            continue;
        }

        ch_alipay_put(&b, sep, strlen(sep));
        ch_alipay_put_json(&b, members[i].name);
        ch_alipay_put(&b, "\":\"", 3);
        ch_alipay_put_json(&b, members[i].value);
        ch_alipay_put(&b, "\"", 1);
        sep = ",\"";
    }

    ch_alipay_put(&b, "}", 1);

    return ch_alipay_finish(&b);
}


size_t
ch_alipay_biz_content(char *out, size_t size, const char *product_code,
    const char *out_trade_no, long long amount_fen, const char *subject,
    const char *timeout_express, const char *quit_url)
{
    char               amount[24];
    ch_alipay_param_t  m[6];

    if (ch_alipay_amount(amount_fen, amount, sizeof(amount)) < 0) {
        return 0;
    }

    m[0].name = "out_trade_no";
    m[0].value = out_trade_no;
    m[1].name = "product_code";
    m[1].value = product_code;
    m[2].name = "total_amount";
    m[2].value = amount;
    m[3].name = "subject";
    m[3].value = subject;
    m[4].name = "timeout_express";
    m[4].value = (timeout_express && timeout_express[0]) ? timeout_express
                                                         : NULL;
    m[5].name = "quit_url";
    m[5].value = (quit_url && quit_url[0]) ? quit_url : NULL;

    return ch_alipay_biz_json(out, size, m, 6);
}


int
ch_alipay_request_build(const ch_alipay_key_t *key,
    const ch_alipay_request_t *req, ch_alipay_param_t *params, char *sign,
    size_t sign_size)
{
    int     rc;
    char   *str;
    size_t  i, n, len;

    /* already sorted by name, as Alipay sorts them to sign */
    const ch_alipay_param_t  all[CH_ALIPAY_REQUEST_MAX - 1] = {
        { "app_id", req->app_id },
        { "biz_content", req->biz_content },
        { "charset", "utf-8" },
        { "format", "JSON" },
        { "method", req->method },
        { "notify_url", req->notify_url },
        { "return_url", req->return_url },
        { "sign_type", "RSA2" },
        { "timestamp", req->timestamp },
        { "version", "1.0" }
    };

    if (req->app_id == NULL || req->app_id[0] == '\0'
        || req->method == NULL || req->method[0] == '\0'
        || req->timestamp == NULL || req->timestamp[0] == '\0'
        || req->biz_content == NULL || req->biz_content[0] == '\0')
    {
        return -1;
    }

    n = 0;

    for (i = 0; i < CH_ALIPAY_REQUEST_MAX - 1; i++) {
        if (ch_alipay_param_used(&all[i], NULL)) {
            params[n++] = all[i];
        }
    }

    len = ch_alipay_params_sign_string(params, n, NULL, NULL);

    str = malloc(len + 1);
    if (str == NULL) {
        return -1;
    }

    ch_alipay_params_sign_string(params, n, NULL, str);

    rc = ch_alipay_sign(key, (unsigned char *) str, len, sign, sign_size);

    free(str);

    if (rc < 0) {
        return -1;
    }

    params[n].name = "sign";
    params[n].value = sign;

    return (int) n + 1;
}


size_t
ch_alipay_params_sign_string(const ch_alipay_param_t *params, size_t n,
    const char *const *exclude, char *out)
{
    size_t                    i, len, k;
    const ch_alipay_param_t  *prev, *next;

    /*
     * A handful of parameters: pick the next name in order each time (as
     * ch_sign_string() does for forms) rather than sort a copy.  strcmp()
     * compares as unsigned char: byte order, as Alipay's SDKs sort.
     */

    len = 0;
    prev = NULL;

    for ( ;; ) {
        next = NULL;

        for (i = 0; i < n; i++) {
            if (!ch_alipay_param_used(&params[i], exclude)
                || (prev && strcmp(params[i].name, prev->name) <= 0)
                || (next && strcmp(params[i].name, next->name) >= 0))
            {
                continue;
            }

            next = &params[i];
        }

        if (next == NULL) {
            return len;
        }

        if (prev) {
            if (out) {
                out[len] = '&';
            }

            len++;
        }

        k = strlen(next->name);
        if (out) {
            memcpy(out + len, next->name, k);
            out[len + k] = '=';
        }

        len += k + 1;

        k = strlen(next->value);
        if (out) {
            memcpy(out + len, next->value, k);
        }

        len += k;
        prev = next;
    }
}


size_t
ch_alipay_form_encode(char *out, size_t size, const ch_alipay_param_t *params,
    size_t n)
{
    size_t           i;
    int              first;
    ch_alipay_buf_t  b = { out, size, 0 };

    first = 1;

    for (i = 0; i < n; i++) {
        if (params[i].value == NULL) {
            continue;
        }

        if (!first) {
            ch_alipay_put(&b, "&", 1);
        }

        ch_alipay_put_encoded(&b, params[i].name);
        ch_alipay_put(&b, "=", 1);
        ch_alipay_put_encoded(&b, params[i].value);
        first = 0;
    }

    return ch_alipay_finish(&b);
}


static int
ch_alipay_param_used(const ch_alipay_param_t *p, const char *const *exclude)
{
    if (p->value == NULL || p->value[0] == '\0') {
        return 0;
    }

    if (exclude) {
        for ( /* void */ ; *exclude; exclude++) {
            if (strcmp(*exclude, p->name) == 0) {
                return 0;
            }
        }
    }

    return 1;
}


static void
ch_alipay_put(ch_alipay_buf_t *b, const char *s, size_t n)
{
    if (b->out && b->len + n < b->size) {
        memcpy(b->out + b->len, s, n);
    }

    b->len += n;
}


static void
ch_alipay_put_json(ch_alipay_buf_t *b, const char *s)
{
    size_t  len, n;

    len = strlen(s);
    n = ch_json_escape(NULL, (const unsigned char *) s, len);

    if (b->out && b->len + n < b->size) {
        ch_json_escape((unsigned char *) b->out + b->len,
                       (const unsigned char *) s, len);
    }

    b->len += n;
}


static void
ch_alipay_put_encoded(ch_alipay_buf_t *b, const char *s)
{
    char                  esc[3];
    const unsigned char  *p;

    static const char  hex[] = "0123456789ABCDEF";

    for (p = (const unsigned char *) s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
            || (*p >= '0' && *p <= '9')
            || *p == '-' || *p == '.' || *p == '_' || *p == '~')
        {
            ch_alipay_put(b, (const char *) p, 1);
            continue;
        }

        esc[0] = '%';
        esc[1] = hex[*p >> 4];
        esc[2] = hex[*p & 0x0f];
        ch_alipay_put(b, esc, 3);
    }
}


static size_t
ch_alipay_finish(ch_alipay_buf_t *b)
{
    /*
     * Once a piece did not fit nothing after it was written either (each
     * put checks the total so far), so a length < size means all of it is
     * in out.
     */

    if (b->out && b->len < b->size) {
        b->out[b->len] = '\0';
    }

    return b->len;
}
