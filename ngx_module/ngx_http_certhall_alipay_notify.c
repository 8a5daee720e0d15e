/*
 * POST /api/alipay/notify: Alipay's asynchronous notification of a trade
 * (../shared/reference/alipay.md), form-urlencoded, without a session.
 *
 * It is believed only once verified here with Alipay's public key (lib/
 * ch_alipay_notify.c: the signature over every field but sign and
 * sign_type, then app_id and seller_id ours, the trade's fields well
 * formed, total_amount read into fen).  Verification costs tens of
 * microseconds and stays in the event loop.  The database then decides the
 * rest in one transaction (api.alipay_notify): whether the attempt is
 * ours, the amount its own to the fen, and what the order does.
 *
 * Alipay retries every notification not answered with the 7 bytes
 * "success" (for about a day), so: "success" once the notification is
 * handled or was already (a repeat changes nothing); 400 "fail" for one
 * that is refused, logged with the reason, changing nothing; a database
 * that cannot be reached is a 503 from the pool, not "success", so that
 * the notification comes again.
 */

#include "ngx_http_certhall.h"
#include "ch_json.h"


static ngx_int_t ngx_http_certhall_alipay_notify_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_alipay_notify_done(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_alipay_refused(ngx_http_request_t *r,
    const char *reason, const char *out_trade_no);
static u_char *ngx_http_certhall_alipay_raw(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_alipay_send_text(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *text);


/* api.alipay_notify's parameters */

enum {
    NGX_HTTP_CERTHALL_NOTIFY_OUT_TRADE_NO = 0,
    NGX_HTTP_CERTHALL_NOTIFY_TRADE_NO,
    NGX_HTTP_CERTHALL_NOTIFY_STATUS,
    NGX_HTTP_CERTHALL_NOTIFY_AMOUNT,
    NGX_HTTP_CERTHALL_NOTIFY_BUYER_ID,
    NGX_HTTP_CERTHALL_NOTIFY_BUYER_LOGON_ID,
    NGX_HTTP_CERTHALL_NOTIFY_PAID_AT,
    NGX_HTTP_CERTHALL_NOTIFY_RAW
};


static ngx_str_t  ngx_http_certhall_alipay_success = ngx_string("success");
static ngx_str_t  ngx_http_certhall_alipay_fail = ngx_string("fail");


ngx_int_t
ngx_http_certhall_alipay_notify(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_read_form(r,
                                       ngx_http_certhall_alipay_notify_form);
}


static ngx_int_t
ngx_http_certhall_alipay_notify_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    u_char                           *amount, *raw;
    const char                       *seller_id;
    ch_alipay_notify_t                n;
    ch_alipay_notify_error_e          err;
    ngx_http_certhall_db_query_t     *q;
    ngx_http_certhall_main_conf_t    *mcf;
    ngx_http_certhall_alipay_conf_t  *acf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);
    acf = &mcf->alipay;

    if (acf->public_key == NULL) {
        /* no payment could have been made: Alipay will try again later */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: alipay notification while Alipay is not "
                      "configured (certhall_alipay_*)");
        return ngx_http_certhall_alipay_send_text(r,
                                           NGX_HTTP_SERVICE_UNAVAILABLE,
                                           &ngx_http_certhall_alipay_fail);
    }

    seller_id = (const char *) acf->seller_id.data;

    ngx_memzero(&n, sizeof(ch_alipay_notify_t));

    err = ch_alipay_notify_check(form->fields, form->nfields, acf->public_key,
                                 (const char *) acf->app_id.data, seller_id,
                                 &n);

    if (err == CH_ALIPAY_NO_MEMORY) {
        return ngx_http_certhall_internal_error(r);
    }

    if (err != CH_ALIPAY_OK) {
        return ngx_http_certhall_alipay_refused(r,
                                            ch_alipay_notify_error_text(err),
                                            ngx_http_certhall_form_value(form,
                                                            "out_trade_no"));
    }

    amount = ngx_pnalloc(r->pool, NGX_OFF_T_LEN + 1);
    raw = ngx_http_certhall_alipay_raw(r, form);

    if (amount == NULL || raw == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_sprintf(amount, "%O%Z", (off_t) n.amount_fen);

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_ALIPAY_NOTIFY);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_NOTIFY_OUT_TRADE_NO] = n.out_trade_no.data;
    q->values[NGX_HTTP_CERTHALL_NOTIFY_TRADE_NO] = n.trade_no.data;
    q->values[NGX_HTTP_CERTHALL_NOTIFY_STATUS] = n.trade_status.data;
    q->values[NGX_HTTP_CERTHALL_NOTIFY_AMOUNT] = (const char *) amount;
    q->values[NGX_HTTP_CERTHALL_NOTIFY_BUYER_ID] =
                                    n.buyer_id.len ? n.buyer_id.data : NULL;
    q->values[NGX_HTTP_CERTHALL_NOTIFY_BUYER_LOGON_ID] =
                        n.buyer_logon_id.len ? n.buyer_logon_id.data : NULL;
    q->values[NGX_HTTP_CERTHALL_NOTIFY_PAID_AT] =
                        n.gmt_payment.len ? n.gmt_payment.data : NULL;
    q->values[NGX_HTTP_CERTHALL_NOTIFY_RAW] = (const char *) raw;

    q->done = ngx_http_certhall_alipay_notify_done;
    q->data = (void *) n.out_trade_no.data;

    return ngx_http_certhall_db_run(r, q);
}


/* what the database made of a verified notification */

static ngx_int_t
ngx_http_certhall_alipay_notify_done(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    const char  *out_trade_no = data;

    ngx_uint_t   level;
    const char  *outcome;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    outcome = ngx_http_certhall_answer_value(res, "outcome");

    if (outcome == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: database: api.alipay_notify gave no "
                      "outcome for %s", out_trade_no);
        return ngx_http_certhall_internal_error(r);
    }

    if (ngx_strcmp(outcome, "unknown_trade") == 0
        || ngx_strcmp(outcome, "amount_mismatch") == 0
        || ngx_strcmp(outcome, "trade_mismatch") == 0)
    {
        return ngx_http_certhall_alipay_refused(r, outcome, out_trade_no);
    }

    /* paid, already, to_refund, not_paid, closed */

    level = (ngx_strcmp(outcome, "to_refund") == 0) ? NGX_LOG_WARN
                                                    : NGX_LOG_INFO;

    ngx_log_error(level, r->connection->log, 0,
                  "certhall: alipay notification: %s, out_trade_no: %s",
                  outcome, out_trade_no);

    return ngx_http_certhall_alipay_send_text(r, NGX_HTTP_OK,
                                           &ngx_http_certhall_alipay_success);
}


/*
 * A notification that is not believed, or names no payment of ours: the
 * reason is logged (someone forges them, or the configuration disagrees
 * with Alipay's), nothing changed, and the answer is not "success"
 */

static ngx_int_t
ngx_http_certhall_alipay_refused(ngx_http_request_t *r, const char *reason,
    const char *out_trade_no)
{
    u_char       c, *shown;
    ngx_uint_t   i;

    /* the value came from anyone: bounded, and only what a trade no. has */

    shown = NULL;

    if (out_trade_no) {
        shown = ngx_pnalloc(r->pool, CH_ALIPAY_TRADE_NO_MAX + 1);
        if (shown == NULL) {
            return ngx_http_certhall_internal_error(r);
        }

        for (i = 0; i < CH_ALIPAY_TRADE_NO_MAX && out_trade_no[i]; i++) {
            c = out_trade_no[i];
            shown[i] = ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
                        || (c >= 'A' && c <= 'Z') || c == '_')
                       ? c : '?';
        }

        shown[i] = '\0';
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "certhall: alipay notification refused: %s, "
                  "out_trade_no: %s", reason, shown ? (char *) shown : "-");

    return ngx_http_certhall_alipay_send_text(r, NGX_HTTP_BAD_REQUEST,
                                              &ngx_http_certhall_alipay_fail);
}


/*
 * The notification as received, a JSON object of its fields (decoded, in
 * their order), kept with the payment for whoever must check it later
 */

static u_char *
ngx_http_certhall_alipay_raw(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    u_char           *raw, *p;
    size_t            len;
    ngx_uint_t        i;
    ch_form_field_t  *f;

    f = form->fields;
    len = sizeof("{}");

    for (i = 0; i < form->nfields; i++) {
        len += sizeof("\"\":\"\",") - 1
               + ch_json_escape(NULL, (u_char *) f[i].name, f[i].name_len)
               + ch_json_escape(NULL, (u_char *) f[i].value, f[i].value_len);
    }

    raw = ngx_pnalloc(r->pool, len);
    if (raw == NULL) {
        return NULL;
    }

    p = raw;
    *p++ = '{';

    for (i = 0; i < form->nfields; i++) {
        if (i) {
            *p++ = ',';
        }

        *p++ = '"';
        p += ch_json_escape(p, (u_char *) f[i].name, f[i].name_len);
        *p++ = '"';
        *p++ = ':';
        *p++ = '"';
        p += ch_json_escape(p, (u_char *) f[i].value, f[i].value_len);
        *p++ = '"';
    }

    *p++ = '}';
    *p = '\0';

    return raw;
}


/* what Alipay reads: text/plain, no cache */

static ngx_int_t
ngx_http_certhall_alipay_send_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *text)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    static ngx_str_t  plain = ngx_string("text/plain");

    r->headers_out.status = status;
    r->headers_out.content_type = plain;
    r->headers_out.content_type_len = plain.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = text->len;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return ngx_http_certhall_internal_error(r);
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, "60");
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = text->data;
    b->last = text->data + text->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
