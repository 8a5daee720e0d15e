/*
 * Paying by Alipay: POST /api/orders/{id}/pay with method=alipay and
 * channel=page (a computer's browser, alipay.trade.page.pay) or wap (a
 * phone's, alipay.trade.wap.pay).  The answer is the gateway's URL and
 * the signed fields of the form the website posts there
 * (../shared/reference/alipay.md has the protocol).
 *
 * The database first: api.order_pay_alipay records a fresh attempt (its
 * out_trade_no is the order id, "_" and the attempt's number) for the
 * order's amount, so that no one can pay an attempt the hall does not
 * know.  The request is then assembled and its string to sign built here;
 * the RSA signature itself (about a millisecond of CPU) is computed in the
 * thread pool named by certhall_alipay_thread_pool, and the answer sent
 * from the worker when it is done.
 *
 * The notifications Alipay posts back are ngx_http_certhall_alipay_notify.c's.
 */

#include "ngx_http_certhall.h"
#include "ch_json.h"


#if (NGX_THREADS)

/* one payment request, from the database's attempt to the answer */
typedef struct {
    ngx_http_certhall_alipay_conf_t  *acf;
    const char                       *channel;      /* page or wap */

    /* the attempt, as the database made it */
    const char                       *out_trade_no;
    const char                       *amount_fen;   /* digits */
    const char                       *expires_at;   /* JSON */
    const char                       *order_json;

    /* the request: params[0 .. nparams - 1], sign last */
    ch_alipay_param_t                 params[CH_ALIPAY_REQUEST_MAX];
    ngx_uint_t                        nparams;
    u_char                           *sign_string;  /* what is signed */
    size_t                            sign_string_len;
    char                             *sign;         /* base64, NUL */
    ngx_uint_t                        failed;       /* signing failed */
} ngx_http_certhall_alipay_pay_t;


static ngx_int_t ngx_http_certhall_alipay_attempt(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_alipay_request(ngx_http_request_t *r,
    ngx_http_certhall_alipay_pay_t *pay, const char *subject,
    long long amount_fen);
static void ngx_http_certhall_alipay_sign_thread(void *data, ngx_log_t *log);
static void ngx_http_certhall_alipay_signed(ngx_http_request_t *r);
static ngx_int_t ngx_http_certhall_alipay_answer(ngx_http_request_t *r,
    ngx_http_certhall_alipay_pay_t *pay);
static u_char *ngx_http_certhall_alipay_json_string(u_char *p,
    const char *s);
static size_t ngx_http_certhall_alipay_json_string_len(const char *s);


/* api.order_pay_alipay's parameters after the session's */

enum {
    NGX_HTTP_CERTHALL_ALIPAY_ORDER = NGX_HTTP_CERTHALL_PARAM_WRITE_OWN,
    NGX_HTTP_CERTHALL_ALIPAY_CHANNEL,
    NGX_HTTP_CERTHALL_ALIPAY_TIMEOUT
};

#endif


/*
 * The order id and channel have been checked (ngx_http_certhall_payment.c);
 * returns what a form handler returns
 */

ngx_int_t
ngx_http_certhall_alipay_pay(ngx_http_request_t *r, const char *order_id,
    const char *channel)
{
#if (NGX_THREADS)
    u_char                          *minutes;
    ngx_int_t                        rc;
    ngx_http_certhall_db_query_t    *q;
    ngx_http_certhall_alipay_pay_t  *pay;
    ngx_http_certhall_main_conf_t   *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->alipay.app_id.len != 0) {

        pay = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_alipay_pay_t));
        minutes = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 1);

        if (pay == NULL || minutes == NULL) {
            return ngx_http_certhall_internal_error(r);
        }

        pay->acf = &mcf->alipay;
        pay->channel = channel;

        q = ngx_http_certhall_session_query(r,
                                    NGX_HTTP_CERTHALL_STMT_ORDER_PAY_ALIPAY,
                                    &rc);
        if (q == NULL) {
            return rc;
        }

        ngx_sprintf(minutes, "%T%Z", pay->acf->timeout / 60);

        q->values[NGX_HTTP_CERTHALL_ALIPAY_ORDER] = order_id;
        q->values[NGX_HTTP_CERTHALL_ALIPAY_CHANNEL] = channel;
        q->values[NGX_HTTP_CERTHALL_ALIPAY_TIMEOUT] = (const char *) minutes;
        q->done = ngx_http_certhall_alipay_attempt;
        q->data = pay;

        return ngx_http_certhall_db_run(r, q);
    }
#endif

    return ngx_http_certhall_send_unavailable(r, "alipay_unavailable",
                                    "支付宝支付暂未开通，请选择公对公转账",
                                    3600);
}


#if (NGX_THREADS)

/* the attempt is recorded: its request is signed off the event loop */

static ngx_int_t
ngx_http_certhall_alipay_attempt(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    ngx_http_certhall_alipay_pay_t  *pay = data;

    off_t                     fen;
    ngx_int_t                 rc;
    const char               *subject;
    ngx_http_certhall_ctx_t  *ctx;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    pay->out_trade_no = ngx_http_certhall_answer_value(res, "out_trade_no");
    pay->amount_fen = ngx_http_certhall_answer_value(res, "amount_fen");
    pay->expires_at = ngx_http_certhall_answer_value(res, "expires_at");
    pay->order_json = ngx_http_certhall_answer_value(res, "order_json");
    subject = ngx_http_certhall_answer_value(res, "subject");

    fen = pay->amount_fen ? ngx_atoof((u_char *) pay->amount_fen,
                                      ngx_strlen(pay->amount_fen))
                          : NGX_ERROR;

    if (pay->out_trade_no == NULL || subject == NULL || fen <= 0
        || pay->expires_at == NULL || pay->order_json == NULL)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: database: api.order_pay_alipay gave no "
                      "usable attempt");
        return ngx_http_certhall_internal_error(r);
    }

    rc = ngx_http_certhall_alipay_request(r, pay, subject, (long long) fen);
    if (rc != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    /* the order's form has been read: the context now holds the payment */

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    ctx->data = pay;

    rc = ngx_http_certhall_thread_run(r, pay->acf->thread_pool,
                                      ngx_http_certhall_alipay_sign_thread,
                                      pay, ngx_http_certhall_alipay_signed);

    if (rc == NGX_DECLINED) {
        /* the pool's queue is full: nginx has logged it */
        return ngx_http_certhall_server_busy(r);
    }

    if (rc != NGX_DONE) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall alipay: signing %s in the thread pool \"%V\"",
                   pay->out_trade_no, &pay->acf->thread_pool_name);

    return NGX_DONE;
}


/*
 * The parameters of alipay.trade.page.pay or .wap.pay (the common ones
 * and biz_content) and their string to sign: every parameter but sign,
 * sorted, name=value joined with "&" (lib/ch_alipay_request.c)
 */

static ngx_int_t
ngx_http_certhall_alipay_request(ngx_http_request_t *r,
    ngx_http_certhall_alipay_pay_t *pay, const char *subject,
    long long amount_fen)
{
    char                             *timestamp, *timeout, *biz;
    size_t                            len;
    ngx_uint_t                        wap, n;
    ch_alipay_param_t                *p;
    ngx_http_certhall_alipay_conf_t  *acf;

    static const char *const  exclude[] = { "sign", NULL };

    acf = pay->acf;
    wap = (ngx_strcmp(pay->channel, "wap") == 0);

    /* Beijing time, now: Alipay refuses a request whose time is far off */

    timestamp = ngx_pnalloc(r->pool, CH_ALIPAY_TIMESTAMP_SIZE);
    timeout = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 2);
    pay->sign = ngx_pnalloc(r->pool, CH_ALIPAY_SIGN_SIZE);

    if (timestamp == NULL || timeout == NULL || pay->sign == NULL) {
        return NGX_ERROR;
    }

    ch_alipay_timestamp(ngx_time(), timestamp);
    ngx_sprintf((u_char *) timeout, "%Tm%Z", acf->timeout / 60);

    len = ch_alipay_biz_content(NULL, 0,
                                wap ? "QUICK_WAP_WAY" : "FAST_INSTANT_TRADE_PAY",
                                pay->out_trade_no, amount_fen, subject,
                                timeout, NULL);
    if (len == 0) {
        return NGX_ERROR;
    }

    biz = ngx_pnalloc(r->pool, len + 1);
    if (biz == NULL) {
        return NGX_ERROR;
    }

    if (ch_alipay_biz_content(biz, len + 1,
                              wap ? "QUICK_WAP_WAY" : "FAST_INSTANT_TRADE_PAY",
                              pay->out_trade_no, amount_fen, subject,
                              timeout, NULL)
        != len)
    {
        return NGX_ERROR;
    }

    p = pay->params;
    n = 0;

    p[n].name = "app_id";
    p[n++].value = (const char *) acf->app_id.data;
    p[n].name = "method";
    p[n++].value = wap ? "alipay.trade.wap.pay" : "alipay.trade.page.pay";
    p[n].name = "format";
    p[n++].value = "JSON";
    p[n].name = "charset";
    p[n++].value = "utf-8";
    p[n].name = "sign_type";
    p[n++].value = "RSA2";
    p[n].name = "timestamp";
    p[n++].value = timestamp;
    p[n].name = "version";
    p[n++].value = "1.0";
    p[n].name = "notify_url";
    p[n++].value = (const char *) acf->notify_url.data;

    if (acf->return_url.len) {
        p[n].name = "return_url";
        p[n++].value = (const char *) acf->return_url.data;
    }

    p[n].name = "biz_content";
    p[n++].value = biz;

    pay->nparams = n;

    len = ch_alipay_params_sign_string(p, n, exclude, NULL);

    pay->sign_string = ngx_pnalloc(r->pool, len);
    if (pay->sign_string == NULL) {
        return NGX_ERROR;
    }

    pay->sign_string_len = ch_alipay_params_sign_string(p, n, exclude,
                                                (char *) pay->sign_string);

    return NGX_OK;
}


/* in a thread of the pool: nothing of nginx but the log may be touched */

static void
ngx_http_certhall_alipay_sign_thread(void *data, ngx_log_t *log)
{
    ngx_http_certhall_alipay_pay_t  *pay = data;

    pay->failed = ch_alipay_sign(pay->acf->private_key, pay->sign_string,
                                 pay->sign_string_len, pay->sign,
                                 CH_ALIPAY_SIGN_SIZE)
                  < 0;
}


/* back in the worker */

static void
ngx_http_certhall_alipay_signed(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_http_certhall_ctx_t         *ctx;
    ngx_http_certhall_alipay_pay_t  *pay;

    r->write_event_handler = ngx_http_request_empty_handler;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    pay = ctx->data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall alipay: %s signed, failed: %ui",
                   pay->out_trade_no, pay->failed);

    if (pay->failed) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "certhall: signing the Alipay request %s failed "
                      "in OpenSSL", pay->out_trade_no);
        rc = ngx_http_certhall_internal_error(r);

    } else {
        rc = ngx_http_certhall_alipay_answer(r, pay);
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * {"method":"alipay","channel":..,"gateway":..,"form_method":"POST",
 *  "fields":{..,"sign":..},"out_trade_no":..,"amount_fen":..,
 *  "expires_at":..,"order":{..}}
 */

static ngx_int_t
ngx_http_certhall_alipay_answer(ngx_http_request_t *r,
    ngx_http_certhall_alipay_pay_t *pay)
{
    u_char                           *body, *p;
    size_t                            len;
    ngx_uint_t                        i;
    ngx_http_certhall_alipay_conf_t  *acf;

    acf = pay->acf;

    len = sizeof("{\"method\":\"alipay\",\"channel\":,\"gateway\":,"
                 "\"form_method\":\"POST\",\"fields\":{\"sign\":},"
                 "\"out_trade_no\":,\"amount_fen\":,\"expires_at\":,"
                 "\"order\":}") - 1
          + ngx_http_certhall_alipay_json_string_len(pay->channel)
          + ngx_http_certhall_alipay_json_string_len(
                                          (const char *) acf->gateway.data)
          + ngx_http_certhall_alipay_json_string_len(pay->sign)
          + ngx_http_certhall_alipay_json_string_len(pay->out_trade_no)
          + ngx_strlen(pay->amount_fen) + ngx_strlen(pay->expires_at)
          + ngx_strlen(pay->order_json);

    for (i = 0; i < pay->nparams; i++) {
        len += ngx_http_certhall_alipay_json_string_len(pay->params[i].name)
               + ngx_http_certhall_alipay_json_string_len(
                                                    pay->params[i].value)
               + sizeof(":,") - 1;
    }

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    p = ngx_cpymem(body, "{\"method\":\"alipay\",\"channel\":",
                   sizeof("{\"method\":\"alipay\",\"channel\":") - 1);
    p = ngx_http_certhall_alipay_json_string(p, pay->channel);
    p = ngx_cpymem(p, ",\"gateway\":", sizeof(",\"gateway\":") - 1);
    p = ngx_http_certhall_alipay_json_string(p,
                                             (const char *) acf->gateway.data);
    p = ngx_cpymem(p, ",\"form_method\":\"POST\",\"fields\":{",
                   sizeof(",\"form_method\":\"POST\",\"fields\":{") - 1);

    for (i = 0; i < pay->nparams; i++) {
        p = ngx_http_certhall_alipay_json_string(p, pay->params[i].name);
        *p++ = ':';
        p = ngx_http_certhall_alipay_json_string(p, pay->params[i].value);
        *p++ = ',';
    }

    p = ngx_cpymem(p, "\"sign\":", sizeof("\"sign\":") - 1);
    p = ngx_http_certhall_alipay_json_string(p, pay->sign);
    p = ngx_cpymem(p, "},\"out_trade_no\":", sizeof("},\"out_trade_no\":") - 1);
    p = ngx_http_certhall_alipay_json_string(p, pay->out_trade_no);
    p = ngx_sprintf(p, ",\"amount_fen\":%s,\"expires_at\":%s,\"order\":%s}",
                    pay->amount_fen, pay->expires_at, pay->order_json);

    return ngx_http_certhall_send_json(r, NGX_HTTP_OK, body, p - body);
}


static size_t
ngx_http_certhall_alipay_json_string_len(const char *s)
{
    return ch_json_escape(NULL, (const u_char *) s, ngx_strlen(s)) + 2;
}


static u_char *
ngx_http_certhall_alipay_json_string(u_char *p, const char *s)
{
    *p++ = '"';
    p += ch_json_escape(p, (const u_char *) s, ngx_strlen(s));
    *p++ = '"';

    return p;
}

#endif
