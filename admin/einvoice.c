/*
 * The signed FPKJ exchange with the tax platform, for invoice-send
 * (../shared/reference/einvoice.md; the headers as the platform checks
 * them: X-App-Key, X-Timestamp in Unix seconds, X-Signature the lowercase
 * hex of HMAC-SHA256(secret, X-Timestamp "\n" the body's exact bytes)).
 *
 * Over HTTPS only, the platform's certificate checked against
 * einvoice_ca_file.  An answer is sorted into three outcomes, because
 * exactly-once rests on telling them apart: issued (the numbers and the
 * PDF), refused (a returncode other than 0000: the platform issued
 * nothing, also when it said so with a 4xx status), and no usable answer
 * (a timeout, TLS, a 5xx, bytes that are not an answer, the connection
 * closed before it): then the invoice may have been issued, and only
 * sending the same serial again tells.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "ch_sign.h"


struct einvoice_client_s {
    http_client_t   *http;
    const char      *url;
    const char      *app_key;
    const char      *ca_file;
    char            *secret;
    long             timeout;
    int              unreachable;   /* a post got no answer at all */
};


einvoice_client_t *
einvoice_client_create(const admin_config_t *conf, char *err,
    size_t err_size)
{
    char                e[256];
    einvoice_client_t  *c;

    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }

    if (admin_secret_read(conf->einvoice_secret_file, &c->secret, e,
                          sizeof(e)) != 0)
    {
        snprintf(err, err_size, "configuration: einvoice_secret_file %s", e);
        free(c);
        return NULL;
    }

    c->http = http_client_create();
    if (c->http == NULL) {
        snprintf(err, err_size, "libcurl: cannot create a handle");
        admin_secret_free(c->secret);
        free(c);
        return NULL;
    }

    c->url = conf->einvoice_url;
    c->app_key = conf->einvoice_app_key;
    c->ca_file = conf->einvoice_ca_file;
    c->timeout = conf->einvoice_timeout;

    return c;
}


/* whether a post got no answer at all (refused, timed out, TLS) */
int
einvoice_client_unreachable(const einvoice_client_t *c)
{
    return c->unreachable;
}


void
einvoice_client_destroy(einvoice_client_t *c)
{
    if (c) {
        http_client_destroy(c->http);
        admin_secret_free(c->secret);
        free(c);
    }
}


/* the three signature headers, in h (3 lines of 160 bytes) */
static int
einvoice_sign(einvoice_client_t *c, const unsigned char *body, size_t len,
    char h[3][160])
{
    int             rc;
    char            ts[24], sig[CH_HMAC_HEX_LEN + 1];
    size_t          ts_len;
    unsigned char  *msg;

    ts_len = (size_t) snprintf(ts, sizeof(ts), "%lld",
                               (long long) time(NULL));

    msg = malloc(ts_len + 1 + len);
    if (msg == NULL) {
        return -1;
    }

    memcpy(msg, ts, ts_len);
    msg[ts_len] = '\n';
    memcpy(msg + ts_len + 1, body, len);

    rc = ch_hmac_sha256_hex((const unsigned char *) c->secret,
                            strlen(c->secret), msg, ts_len + 1 + len, sig);
    free(msg);

    if (rc != 0) {
        return -1;
    }

    snprintf(h[0], sizeof(h[0]), "X-App-Key: %s", c->app_key);
    snprintf(h[1], sizeof(h[1]), "X-Timestamp: %s", ts);
    snprintf(h[2], sizeof(h[2]), "X-Signature: %s", sig);

    return 0;
}


/* an answer's PDF given by URL: fetched with the same certificate check */
static int
einvoice_fetch_pdf(einvoice_client_t *c, ch_einvoice_answer_t *a, char *err,
    size_t err_size)
{
    http_request_t    req;
    http_options_t    opt;
    http_response_t   res;

    memset(&req, 0, sizeof(req));
    memset(&opt, 0, sizeof(opt));

    req.url = a->pdf_url;
    req.connect_timeout = EINVOICE_CONNECT_TIMEOUT;
    req.timeout = c->timeout;
    opt.get = 1;
    opt.ca_file = c->ca_file;
    opt.accept = "application/pdf";
    opt.max_body = CH_EINVOICE_ANSWER_MAX;

    if (http_send(c->http, &req, &opt, &res) != 0) {
        snprintf(err, err_size, "the invoice's PDF (%.100s): %s", a->pdf_url,
                 res.error);
        return -1;
    }

    if (res.status != 200 || res.body_len < 5
        || memcmp(res.body, "%PDF-", 5) != 0)
    {
        snprintf(err, err_size, "the invoice's PDF (%.100s): HTTP %ld, %s",
                 a->pdf_url, res.status,
                 res.status == 200 ? "not a PDF" : "no PDF");
        http_response_free(&res);
        return -1;
    }

    /* the answer owns it from now on, freed with it */
    a->pdf = (unsigned char *) res.body;
    a->pdf_len = res.body_len;

    return 0;
}


einvoice_outcome_e
einvoice_post(einvoice_client_t *c, const unsigned char *xml, size_t len,
    ch_einvoice_answer_t *a, http_response_t *res, char *err,
    size_t err_size)
{
    char              h[3][160], why[CH_EINVOICE_ERR_LEN];
    const char       *headers[4];
    http_request_t    req;
    http_options_t    opt;

    memset(a, 0, sizeof(*a));
    memset(res, 0, sizeof(*res));

    if (einvoice_sign(c, xml, len, h) != 0) {
        snprintf(err, err_size, "signing the request: out of memory");
        return EINVOICE_NO_ANSWER;
    }

    headers[0] = h[0];
    headers[1] = h[1];
    headers[2] = h[2];
    headers[3] = NULL;

    memset(&req, 0, sizeof(req));
    memset(&opt, 0, sizeof(opt));

    req.url = c->url;
    req.content_type = "application/xml; charset=utf-8";
    req.body = (const char *) xml;
    req.body_len = len;
    req.connect_timeout = EINVOICE_CONNECT_TIMEOUT;
    req.timeout = c->timeout;
    opt.ca_file = c->ca_file;
    opt.accept = "application/xml";
    opt.headers = headers;
    opt.max_body = CH_EINVOICE_ANSWER_MAX;

    if (http_send(c->http, &req, &opt, res) != 0) {
        snprintf(err, err_size, "no answer: %s", res->error);
        c->unreachable = 1;
        return EINVOICE_NO_ANSWER;
    }

    if (res->status >= 500 || res->status < 200) {
        snprintf(err, err_size, "no answer: HTTP %ld", res->status);
        return EINVOICE_NO_ANSWER;
    }

    if (ch_einvoice_answer_parse((const unsigned char *) res->body,
                                 res->body_len, a, why) != 0)
    {
        snprintf(err, err_size, "no answer: HTTP %ld, not an answer: %s",
                 res->status, why);
        return EINVOICE_NO_ANSWER;
    }

    if (!ch_einvoice_answer_issued(a)) {
        /* 200 or 4xx alike: the platform says it issued nothing */
        snprintf(err, err_size, "税务平台拒绝：%s %s", a->returncode,
                 a->returnmsg);
        return EINVOICE_REFUSED;
    }

    if (res->status != 200) {
        snprintf(err, err_size, "no answer: HTTP %ld with returncode 0000",
                 res->status);
        ch_einvoice_answer_free(a);
        return EINVOICE_NO_ANSWER;
    }

    if (a->pdf == NULL && einvoice_fetch_pdf(c, a, err, err_size) != 0) {
        ch_einvoice_answer_free(a);
        return EINVOICE_NO_ANSWER;
    }

    return EINVOICE_ISSUED;
}
