/*
 * Payments: POST /api/orders/{id}/pay.  By bank transfer (公对公转账): the
 * order waits for the voucher, and the applicant gets the CA's bank
 * details from the configuration (certhall_transfer_*), kept with the
 * order as they were shown.  By Alipay: a signed request the website posts
 * to Alipay's gateway (ngx_http_certhall_alipay.c).
 *
 * The transfer voucher itself (POST /api/orders/{id}/voucher) is uploaded
 * as a material, with the same checks (ngx_http_certhall_upload.c); the
 * database's payment functions decide the states (sql/).
 */

#include "ngx_http_certhall.h"
#include "ch_field_specs.h"
#include "ch_fields.h"


static ngx_int_t ngx_http_certhall_order_pay_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);


/* api.order_pay's parameters after the session's */

enum {
    NGX_HTTP_CERTHALL_PAY_ORDER = NGX_HTTP_CERTHALL_PARAM_WRITE_OWN,
    NGX_HTTP_CERTHALL_PAY_METHOD,
    NGX_HTTP_CERTHALL_PAY_PAYEE,
    NGX_HTTP_CERTHALL_PAY_BANK,
    NGX_HTTP_CERTHALL_PAY_ACCOUNT
};


ngx_int_t
ngx_http_certhall_order_pay(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_order_form(r, params,
                                        ngx_http_certhall_order_pay_form);
}


static ngx_int_t
ngx_http_certhall_order_pay_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    ngx_int_t                       rc;
    const char                     *v[2];
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_order_ctx_t  *octx;
    ngx_http_certhall_main_conf_t  *mcf;

    if (ngx_http_certhall_form_fields(r, form, ch_order_pay_fields,
                                      ngx_http_certhall_nfields(
                                          ch_order_pay_fields), 1, v)
        != NGX_OK)
    {
        return form->refusal;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    octx = ctx->data;

    if (ngx_strcmp(v[0], "alipay") == 0) {
        return ngx_http_certhall_alipay_pay(r, octx->order_id,
                                            v[1] ? v[1] : "page");
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->transfer_payee.len == 0 || mcf->transfer_bank.len == 0
        || mcf->transfer_account.len == 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: payment by transfer needs "
                      "\"certhall_transfer_payee\", \"_bank\" and "
                      "\"_account\"");

        return ngx_http_certhall_send_unavailable(r, "transfer_unavailable",
                                    "公对公转账暂未开通，请稍后再试", 3600);
    }

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_ORDER_PAY,
                                        &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[NGX_HTTP_CERTHALL_PAY_ORDER] = octx->order_id;
    q->values[NGX_HTTP_CERTHALL_PAY_METHOD] = v[0];
    q->values[NGX_HTTP_CERTHALL_PAY_PAYEE] =
                                    (const char *) mcf->transfer_payee.data;
    q->values[NGX_HTTP_CERTHALL_PAY_BANK] =
                                    (const char *) mcf->transfer_bank.data;
    q->values[NGX_HTTP_CERTHALL_PAY_ACCOUNT] =
                                    (const char *) mcf->transfer_account.data;

    return ngx_http_certhall_db_run(r, q);
}
