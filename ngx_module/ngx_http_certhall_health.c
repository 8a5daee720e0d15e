/*
 * GET /api/health: is this worker able to serve the hall.
 */

#include "ngx_http_certhall.h"


ngx_int_t
ngx_http_certhall_health(ngx_http_request_t *r, ch_route_params_t *params)
{
    ngx_int_t  rc;

    static u_char  ok[] = "{\"status\":\"ok\"}";

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_certhall_send_json(r, NGX_HTTP_OK, ok, sizeof(ok) - 1);
}
