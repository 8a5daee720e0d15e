/*
 * GET /api/health: 200 when this worker reaches the database, 503 (with
 * Retry-After) when it does not; load balancers and the website ask it.
 */

#include "ngx_http_certhall.h"


ngx_int_t
ngx_http_certhall_health(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_db_answer(r, NGX_HTTP_CERTHALL_STMT_HEALTH);
}
