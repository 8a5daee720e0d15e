/*
 * What every handler of an order of the path (/api/orders/{id}/...)
 * shares: the order id of the path and the 404 for a path that names none
 * (answered exactly as another account's order), reading the handler's
 * form with the order id kept in the context, and the handlers whose
 * answer is one statement of the session and the order.
 */

#include "ngx_http_certhall.h"


/*
 * The whole of a handler whose answer is one statement of the session and
 * the order in the path: $1 the session token, for writes $2 the CSRF
 * token, then the order id; done, if given, takes the result.
 */

ngx_int_t
ngx_http_certhall_order_call(ngx_http_request_t *r, ch_route_params_t *params,
    ngx_uint_t stmt, ngx_http_certhall_db_done_pt done)
{
    ngx_int_t                      rc;
    const char                    *id;
    ngx_http_certhall_db_query_t  *q;

    rc = ngx_http_certhall_order_id(r, params, &id);

    if (rc == NGX_ERROR) {
        return ngx_http_certhall_discard_internal_error(r);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_certhall_order_not_found(r);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    q = ngx_http_certhall_session_query(r, stmt, &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
              ? NGX_HTTP_CERTHALL_PARAM_READ_OWN
              : NGX_HTTP_CERTHALL_PARAM_WRITE_OWN] = id;

    if (done) {
        q->done = done;
    }

    return ngx_http_certhall_db_run(r, q);
}


/*
 * ngx_http_certhall_order_call() for an answer with a sealed ID number to
 * open (the application form, the pre-filled 基本信息): without
 * certhall_data_key there is nothing to open it with
 */

ngx_int_t
ngx_http_certhall_order_sealed_call(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_uint_t stmt,
    ngx_http_certhall_db_done_pt done)
{
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->data_key.len == 0) {
        return ngx_http_certhall_no_data_key(r);
    }

    return ngx_http_certhall_order_call(r, params, stmt, done);
}


/*
 * Reads the form of a handler of /api/orders/{id}/..., with the order id
 * in the context's ngx_http_certhall_order_ctx_t: 404 for no order id
 */

ngx_int_t
ngx_http_certhall_order_form(ngx_http_request_t *r, ch_route_params_t *params,
    ngx_http_certhall_form_pt handler)
{
    ngx_int_t                       rc;
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_order_ctx_t  *octx;

    ctx = ngx_http_certhall_get_ctx(r);
    octx = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_order_ctx_t));

    if (ctx == NULL || octx == NULL) {
        return ngx_http_certhall_discard_internal_error(r);
    }

    rc = ngx_http_certhall_order_id(r, params, &octx->order_id);

    if (rc == NGX_ERROR) {
        return ngx_http_certhall_discard_internal_error(r);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_certhall_order_not_found(r);
    }

    ctx->data = octx;

    return ngx_http_certhall_read_form(r, handler);
}


/*
 * The order id of the path, NUL-terminated, in *id: NGX_OK; NGX_DECLINED
 * if the path names no order (404), NGX_ERROR without memory (500).
 */

ngx_int_t
ngx_http_certhall_order_id(ngx_http_request_t *r, ch_route_params_t *params,
    const char **id)
{
    u_char            *p;
    ngx_uint_t         i;
    ch_route_param_t  *param;

    *id = NULL;
    param = &params->param[0];

    if (param->len != NGX_HTTP_CERTHALL_ORDER_ID_LEN
        || param->data[0] != 'U' || param->data[1] != 'O')
    {
        return NGX_DECLINED;
    }

    for (i = 2; i < param->len; i++) {
        if (param->data[i] < '0' || param->data[i] > '9') {
            return NGX_DECLINED;
        }
    }

    p = ngx_pnalloc(r->pool, param->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    *ngx_cpymem(p, param->data, param->len) = '\0';
    *id = (const char *) p;

    return NGX_OK;
}


/* a path that names no order: 404 as for another account's order */

ngx_int_t
ngx_http_certhall_order_not_found(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_certhall_send_error(r, NGX_HTTP_NOT_FOUND,
                                        "order_not_found", NULL, "订单不存在");
}


/* a statement that needs certhall_data_key without it: 503, logged */

ngx_int_t
ngx_http_certhall_no_data_key(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "certhall: orders need \"certhall_data_key\"");

    return ngx_http_certhall_send_unavailable(r, "orders_unavailable",
                                              "在线办理暂未开放，请稍后再试",
                                              60);
}
