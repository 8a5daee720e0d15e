/*
 * The /api/ router: method + path to handler.
 *
 * The table is small and scanned in order; a path that matches a route
 * but not its methods is remembered so the answer is 405 with Allow rather
 * than 404.
 */

#include "ngx_http_certhall.h"


typedef struct {
    ngx_uint_t                     methods;
    const char                    *pattern;
    ngx_http_certhall_handler_pt   handler;
} ngx_http_certhall_route_t;


#define NGX_HTTP_CERTHALL_READ  (NGX_HTTP_GET|NGX_HTTP_HEAD)


static ngx_int_t ngx_http_certhall_method_not_allowed(ngx_http_request_t *r,
    ngx_uint_t allowed);
static ngx_int_t ngx_http_certhall_cross_site(ngx_http_request_t *r);


static ngx_http_certhall_route_t  ngx_http_certhall_routes[] = {

    { NGX_HTTP_CERTHALL_READ, "/api/health", ngx_http_certhall_health },
    { NGX_HTTP_CERTHALL_READ, "/api/projects", ngx_http_certhall_projects },
    { NGX_HTTP_CERTHALL_READ, "/api/agreements/{}",
      ngx_http_certhall_agreement },
    { NGX_HTTP_CERTHALL_READ, "/api/downloads", ngx_http_certhall_downloads },
    { NGX_HTTP_CERTHALL_READ, "/api/downloads/{}",
      ngx_http_certhall_download },

    { NGX_HTTP_POST, "/api/sms-codes", ngx_http_certhall_sms_codes },
    { NGX_HTTP_POST, "/api/accounts", ngx_http_certhall_accounts },
    { NGX_HTTP_POST, "/api/session", ngx_http_certhall_login },
    { NGX_HTTP_DELETE, "/api/session", ngx_http_certhall_logout },
    { NGX_HTTP_POST, "/api/password-reset",
      ngx_http_certhall_password_reset },
    { NGX_HTTP_CERTHALL_READ, "/api/me", ngx_http_certhall_me },
    { NGX_HTTP_CERTHALL_READ|NGX_HTTP_POST, "/api/me/realname",
      ngx_http_certhall_me_realname },
    { NGX_HTTP_POST, "/api/realname/callback",
      ngx_http_certhall_realname_callback },
    { NGX_HTTP_POST, "/api/alipay/notify", ngx_http_certhall_alipay_notify },

    { NGX_HTTP_CERTHALL_READ, "/api/certificates",
      ngx_http_certhall_certificates },
    { NGX_HTTP_CERTHALL_READ, "/api/pickup-points",
      ngx_http_certhall_pickup_points },
    { NGX_HTTP_CERTHALL_READ, "/api/applications",
      ngx_http_certhall_applications },
    { NGX_HTTP_CERTHALL_READ|NGX_HTTP_POST, "/api/orders",
      ngx_http_certhall_orders },
    { NGX_HTTP_CERTHALL_READ, "/api/orders/{}", ngx_http_certhall_order },
    { NGX_HTTP_PUT, "/api/orders/{}/info", ngx_http_certhall_order_info },
    { NGX_HTTP_PUT, "/api/orders/{}/invoice",
      ngx_http_certhall_order_invoice },
    { NGX_HTTP_CERTHALL_READ, "/api/orders/{}/invoice",
      ngx_http_certhall_order_invoice_file },
    { NGX_HTTP_POST, "/api/orders/{}/invoice-request",
      ngx_http_certhall_order_invoice_request },
    { NGX_HTTP_POST, "/api/orders/{}/submit",
      ngx_http_certhall_order_submit },
    { NGX_HTTP_POST, "/api/orders/{}/cancel",
      ngx_http_certhall_order_cancel },
    { NGX_HTTP_POST, "/api/orders/{}/confirm-receipt",
      ngx_http_certhall_order_confirm_receipt },
    { NGX_HTTP_POST, "/api/orders/{}/resubmit",
      ngx_http_certhall_order_resubmit },
    { NGX_HTTP_CERTHALL_READ, "/api/orders/{}/application-form",
      ngx_http_certhall_application_form },
    { NGX_HTTP_CERTHALL_READ, "/api/orders/{}/prefill",
      ngx_http_certhall_order_prefill },
    { NGX_HTTP_CERTHALL_READ|NGX_HTTP_POST|NGX_HTTP_DELETE,
      "/api/orders/{}/materials/{}", ngx_http_certhall_material },
    { NGX_HTTP_POST, "/api/orders/{}/pay", ngx_http_certhall_order_pay },
    { NGX_HTTP_POST, "/api/orders/{}/voucher", ngx_http_certhall_voucher },

    { NGX_HTTP_CERTHALL_READ|NGX_HTTP_POST, "/api/addresses",
      ngx_http_certhall_addresses },
    { NGX_HTTP_PUT|NGX_HTTP_DELETE, "/api/addresses/{}",
      ngx_http_certhall_address },
    { NGX_HTTP_CERTHALL_READ|NGX_HTTP_POST, "/api/invoice-titles",
      ngx_http_certhall_invoice_titles },
    { NGX_HTTP_PUT|NGX_HTTP_DELETE, "/api/invoice-titles/{}",
      ngx_http_certhall_invoice_title },
    { NGX_HTTP_CERTHALL_READ, "/api/messages", ngx_http_certhall_messages },
    { NGX_HTTP_POST, "/api/messages/read-all",
      ngx_http_certhall_messages_read_all },
    { NGX_HTTP_POST, "/api/messages/{}/read",
      ngx_http_certhall_message_read },

};


static struct {
    ngx_uint_t   method;
    ngx_str_t    name;
} ngx_http_certhall_method_names[] = {
    { NGX_HTTP_GET, ngx_string("GET") },
    { NGX_HTTP_HEAD, ngx_string("HEAD") },
    { NGX_HTTP_POST, ngx_string("POST") },
    { NGX_HTTP_PUT, ngx_string("PUT") },
    { NGX_HTTP_DELETE, ngx_string("DELETE") },
};


ngx_int_t
ngx_http_certhall_route(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_uint_t                  i, allowed;
    ch_route_params_t           params;
    ngx_http_certhall_route_t  *route;

    allowed = 0;

    for (i = 0; i < sizeof(ngx_http_certhall_routes)
                    / sizeof(ngx_http_certhall_route_t); i++)
    {
        route = &ngx_http_certhall_routes[i];

        if (!ch_route_match(route->pattern, r->uri.data, r->uri.len,
                            &params))
        {
            continue;
        }

        if (r->method & route->methods) {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "certhall route \"%V\" -> \"%s\"",
                           &r->uri, route->pattern);

            if (!(r->method & NGX_HTTP_CERTHALL_READ)
                && ngx_http_certhall_same_origin(r) != NGX_OK)
            {
                return ngx_http_certhall_cross_site(r);
            }

            return route->handler(r, &params);
        }

        allowed |= route->methods;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (allowed) {
        return ngx_http_certhall_method_not_allowed(r, allowed);
    }

    return ngx_http_certhall_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        NULL, "请求的接口不存在");
}


static ngx_int_t
ngx_http_certhall_method_not_allowed(ngx_http_request_t *r,
    ngx_uint_t allowed)
{
    u_char           *p;
    size_t            len;
    ngx_uint_t        i, n;
    ngx_table_elt_t  *h;

    n = sizeof(ngx_http_certhall_method_names)
        / sizeof(ngx_http_certhall_method_names[0]);

    len = 0;

    for (i = 0; i < n; i++) {
        if (allowed & ngx_http_certhall_method_names[i].method) {
            len += ngx_http_certhall_method_names[i].name.len + 2;
        }
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    h->value.data = p;

    for (i = 0; i < n; i++) {
        if (allowed & ngx_http_certhall_method_names[i].method) {
            if (p != h->value.data) {
                *p++ = ',';
                *p++ = ' ';
            }

            p = ngx_copy(p, ngx_http_certhall_method_names[i].name.data,
                         ngx_http_certhall_method_names[i].name.len);
        }
    }

    h->value.len = p - h->value.data;

    return ngx_http_certhall_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                        "method_not_allowed", NULL,
                                        "该接口不支持此请求方法");
}


/*
 * A state-changing request another site's page made the browser send:
 * refused whatever it carries (ngx_http_certhall_session.c says why)
 */

static ngx_int_t
ngx_http_certhall_cross_site(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_certhall_send_error(r, NGX_HTTP_FORBIDDEN, "cross_site",
                                        NULL, "不接受来自其他网站的提交");
}


/*
 * Path parameter n as a row id: 1 to 18 digits without a leading zero,
 * NUL-terminated, in *id: NGX_OK; NGX_DECLINED for anything else, which
 * names no row (404); NGX_ERROR without memory (500).
 */

ngx_int_t
ngx_http_certhall_number_param(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_uint_t n, const char **id)
{
    u_char            *p;
    ngx_uint_t         i;
    ch_route_param_t  *param;

    *id = NULL;
    param = &params->param[n];

    if (param->len == 0 || param->len > 18 || param->data[0] == '0') {
        return NGX_DECLINED;
    }

    for (i = 0; i < param->len; i++) {
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
