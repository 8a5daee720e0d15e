/*
 * Signed server-to-server calls to Alipay's open platform (alipay.trade.
 * query, close, refund), for certhall-admin alipay-sync.
 *
 * A call is a form POST to the gateway URL of the configuration: the
 * common parameters (app_id, method, format=JSON, charset=utf-8,
 * sign_type=RSA2, timestamp in Beijing time, version=1.0, biz_content) and
 * their sign, SHA256withRSA with the merchant's private key over the
 * string lib/ch_sign.c makes of them (every parameter but sign, sorted).
 * (lib/ch_alipay.c builds, signs and encodes it).  The answer is JSON,
 *
 *   {"alipay_trade_query_response":{"code":"10000",...},"sign":"..."}
 *
 * whose sign covers the exact bytes of the *_response value as they stand
 * in the body.  Nothing of an answer is believed before that sign checks
 * out with Alipay's public key: an answer that is malformed, unsigned or
 * signed by another key is no answer (an error to retry later), whatever it
 * says.
 *
 * The keys come from the PEM files the configuration names, read once when
 * the client is made; the private key's text is wiped from memory once
 * OpenSSL holds it.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "ch_alipay.h"
#include "ch_json.h"
#include "ch_json_read.h"


#define ALIPAY_PEM_MAX          (64 * 1024)
#define ALIPAY_CONNECT_TIMEOUT  5       /* seconds */


struct alipay_client_s {
    const char        *gateway;
    const char        *app_id;
    long               timeout;     /* seconds, one call */
    int                unreachable; /* a call got no answer at all */
    ch_alipay_key_t   *private_key;
    ch_alipay_key_t   *public_key;
    http_client_t     *http;
};


/* a PEM file, NUL-terminated and malloc'ed; *len without the NUL */
static char *
alipay_pem_read(const char *path, size_t *len, char *err, size_t err_size)
{
    FILE    *f;
    char    *buf;
    size_t   n;

    f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return NULL;
    }

    buf = malloc(ALIPAY_PEM_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }

    n = fread(buf, 1, ALIPAY_PEM_MAX + 1, f);

    if (ferror(f)) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));

    } else if (n > ALIPAY_PEM_MAX) {
        snprintf(err, err_size, "%s: larger than %d bytes", path,
                 ALIPAY_PEM_MAX);

    } else if (n == 0) {
        snprintf(err, err_size, "%s: the file is empty", path);

    } else {
        fclose(f);
        buf[n] = '\0';
        *len = n;
        return buf;
    }

    fclose(f);
    explicit_bzero(buf, ALIPAY_PEM_MAX + 1);
    free(buf);

    return NULL;
}


static ch_alipay_key_t *
alipay_key_load(const char *path, int private, char *err, size_t err_size)
{
    char              *pem, why[256];
    size_t             len;
    ch_alipay_key_t   *key;

    pem = alipay_pem_read(path, &len, err, err_size);
    if (pem == NULL) {
        return NULL;
    }

    why[0] = '\0';
    key = private ? ch_alipay_private_key_load(pem, len, why, sizeof(why))
                  : ch_alipay_public_key_load(pem, len, why, sizeof(why));

    explicit_bzero(pem, len);
    free(pem);

    if (key == NULL) {
        snprintf(err, err_size, "%s: %s", path,
                 why[0] ? why : "not a usable RSA key");
    }

    return key;
}


/*
 * The client of the configuration's gateway, keys and app id: NULL when a
 * setting is missing or a key cannot be used (err names it, in the words
 * of the configuration file).
 */
alipay_client_t *
alipay_client_create(const admin_config_t *conf, char *err, size_t err_size)
{
    alipay_client_t  *c;

    if (conf->alipay_gateway == NULL) {
        snprintf(err, err_size, "\"alipay_gateway\" is not set");
        return NULL;
    }

    if (conf->alipay_app_id == NULL) {
        snprintf(err, err_size, "\"alipay_app_id\" is not set");
        return NULL;
    }

    if (conf->alipay_private_key == NULL) {
        snprintf(err, err_size, "\"alipay_private_key\" is not set");
        return NULL;
    }

    if (conf->alipay_public_key == NULL) {
        snprintf(err, err_size, "\"alipay_public_key\" is not set");
        return NULL;
    }

    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }

    c->gateway = conf->alipay_gateway;
    c->app_id = conf->alipay_app_id;
    c->timeout = conf->alipay_timeout;

    c->private_key = alipay_key_load(conf->alipay_private_key, 1, err,
                                     err_size);
    if (c->private_key == NULL) {
        goto failed;
    }

    c->public_key = alipay_key_load(conf->alipay_public_key, 0, err,
                                    err_size);
    if (c->public_key == NULL) {
        goto failed;
    }

    c->http = http_client_create();
    if (c->http == NULL) {
        snprintf(err, err_size, "libcurl: cannot create a handle");
        goto failed;
    }

    return c;

failed:

    alipay_client_destroy(c);

    return NULL;
}


/*
 * Whether a call of this client got no answer at all (refused, timed
 * out): the gateway is down or hung, and the calls after it would only
 * wait out the same timeout.
 */
int
alipay_client_unreachable(const alipay_client_t *c)
{
    return c->unreachable;
}


void
alipay_client_destroy(alipay_client_t *c)
{
    if (c == NULL) {
        return;
    }

    ch_alipay_key_free(c->private_key);
    ch_alipay_key_free(c->public_key);
    http_client_destroy(c->http);
    free(c);
}


/*
 * A response member's string, decoded, into buf ("" when absent or not a
 * string): what the answer said, fit for a log line (controls as blanks,
 * cut to size on a character's boundary).
 */
static void
alipay_member(const alipay_answer_t *a, const char *name, char *buf,
    size_t size)
{
    char    *v;
    size_t   i, n, len, at;

    buf[0] = '\0';
    v = alipay_answer_string(a, name);

    if (v == NULL) {
        return;
    }

    len = strlen(v);

    for (i = 0, at = 0; i < len; i += n) {
        /* ch_json_string_value() gives well-formed UTF-8 only */
        n = ch_utf8_sequence((const unsigned char *) v + i, len - i);

        if (n == 0 || at + n >= size) {
            break;
        }

        if (n == 1 && ((unsigned char) v[i] < ' ' || v[i] == 0x7f)) {
            buf[at++] = ' ';

        } else {
            memcpy(buf + at, v + i, n);
            at += n;
        }
    }

    buf[at] = '\0';
    free(v);
}


/*
 * One signed call: method with biz_content (a JSON object).  Returns 0
 * with *a set when Alipay answered and the answer's sign checks out
 * (a->code etc.: what it said, success or refusal), or -1 when there is
 * no answer to believe (err says why: no connection, HTTP status,
 * malformed, bad signature).  alipay_answer_free() either way.
 */
int
alipay_call(alipay_client_t *c, const char *method, const char *biz_content,
    alipay_answer_t *a, char *err, size_t err_size)
{
    int                   rc, n;
    char                  timestamp[CH_ALIPAY_TIMESTAMP_SIZE];
    char                  sign[CH_ALIPAY_SIGN_SIZE];
    char                  answer_sign[CH_ALIPAY_SIGN_SIZE], *body, *p;
    size_t                len;
    http_request_t        req;
    ch_alipay_request_t   r;
    ch_alipay_param_t     params[CH_ALIPAY_REQUEST_MAX];

    memset(a, 0, sizeof(*a));

    ch_alipay_timestamp(time(NULL), timestamp);

    memset(&r, 0, sizeof(r));
    r.app_id = c->app_id;
    r.method = method;
    r.timestamp = timestamp;
    r.biz_content = biz_content;

    n = ch_alipay_request_build(c->private_key, &r, params, sign,
                                sizeof(sign));
    if (n < 0) {
        snprintf(err, err_size, "signing the request failed");
        return -1;
    }

    len = ch_alipay_form_encode(NULL, 0, params, (size_t) n);

    body = malloc(len + 1);
    if (body == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    ch_alipay_form_encode(body, len + 1, params, (size_t) n);

    req.url = c->gateway;
    req.content_type = "application/x-www-form-urlencoded; charset=utf-8";
    req.bearer = NULL;
    req.body = body;
    req.body_len = len;
    req.connect_timeout = ALIPAY_CONNECT_TIMEOUT;
    req.timeout = c->timeout;

    rc = http_post(c->http, &req, &a->http);
    free(body);

    if (rc != 0) {
        snprintf(err, err_size, "%s", a->http.error);
        c->unreachable = 1;
        return -1;
    }

    if (a->http.status != 200) {
        snprintf(err, err_size, "HTTP %ld", a->http.status);
        return -1;
    }

    /* "alipay.trade.query" answers in "alipay_trade_query_response" */
    if (a->http.body == NULL
        || ch_alipay_response_extract((const unsigned char *) a->http.body,
                                      a->http.body_len, method, &a->resp,
                                      &a->resp_len, answer_sign,
                                      sizeof(answer_sign)) != 0)
    {
        a->resp = NULL;
        a->resp_len = 0;
        snprintf(err, err_size, "HTTP 200, but the answer is not a signed "
                 "%s response", method);
        return -1;
    }

    if (ch_alipay_verify(c->public_key, a->resp, a->resp_len, answer_sign,
                         strlen(answer_sign)) != 1)
    {
        snprintf(err, err_size, "the answer's sign does not verify with "
                 "Alipay's public key: answer refused");
        a->resp = NULL;
        a->resp_len = 0;
        return -1;
    }

    alipay_member(a, "code", a->code, sizeof(a->code));
    alipay_member(a, "msg", a->msg, sizeof(a->msg));
    alipay_member(a, "sub_code", a->sub_code, sizeof(a->sub_code));
    alipay_member(a, "sub_msg", a->sub_msg, sizeof(a->sub_msg));

    if (a->code[0] == '\0') {
        snprintf(err, err_size, "the answer has no \"code\"");
        return -1;
    }

    /* the answer's object, as stored in the database's jsonb */
    p = malloc(a->resp_len + 1);
    if (p == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    memcpy(p, a->resp, a->resp_len);
    p[a->resp_len] = '\0';
    a->raw = p;

    return 0;
}


/*
 * What a refusal says, for a log line and the database's last_error:
 * "40004 Business Failed: ACQ.TRADE_NOT_EXIST 交易不存在"
 */
void
alipay_answer_error(const alipay_answer_t *a, char *err, size_t err_size)
{
    snprintf(err, err_size, "%s %s%s%s%s%s", a->code, a->msg,
             a->sub_code[0] ? ": " : "", a->sub_code,
             a->sub_msg[0] ? " " : "", a->sub_msg);
}


int
alipay_answer_is(const alipay_answer_t *a, const char *code,
    const char *sub_code)
{
    return strcmp(a->code, code) == 0
           && (sub_code == NULL || strcmp(a->sub_code, sub_code) == 0);
}


/*
 * Whether a refusal may go away by itself: the service busy (20000), or
 * Alipay's own error (ACQ.SYSTEM_ERROR); anything else is a business
 * refusal or a configuration error that trying again does not change.
 */
int
alipay_answer_retryable(const alipay_answer_t *a)
{
    return alipay_answer_is(a, "20000", NULL)
           || alipay_answer_is(a, "40004", "ACQ.SYSTEM_ERROR");
}


/* a member of the verified response object, decoded and malloc'ed, or NULL */
char *
alipay_answer_string(const alipay_answer_t *a, const char *name)
{
    ch_json_member_t  m;

    if (a->resp == NULL) {
        return NULL;
    }

    m.name = name;

    if (ch_json_object_members(a->resp, a->resp_len, &m, 1) != 0) {
        return NULL;
    }

    return ch_json_string_value(&m);
}


void
alipay_answer_free(alipay_answer_t *a)
{
    http_response_free(&a->http);
    free(a->raw);
    memset(a, 0, sizeof(*a));
}


/*
 * A biz_content of string members, {"k1":"v1","k2":"v2"} in the order
 * given, malloc'ed; pairs (name, value, name, value, ..., NULL): a NULL
 * value is left out.
 */
char *
alipay_biz_content(const char *const *pairs)
{
    char               *out;
    size_t              n, len;
    ch_alipay_param_t   members[8];

    for (n = 0; pairs[2 * n] && n < sizeof(members) / sizeof(members[0]);
         n++)
    {
        members[n].name = pairs[2 * n];
        members[n].value = pairs[2 * n + 1];
    }

    len = ch_alipay_biz_json(NULL, 0, members, n);

    out = malloc(len + 1);
    if (out) {
        ch_alipay_biz_json(out, len + 1, members, n);
    }

    return out;
}
