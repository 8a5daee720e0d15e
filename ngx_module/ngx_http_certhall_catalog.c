/*
 * The catalog: GET /api/projects, the projects with their services, cert
 * types, prices and required materials, rendered by api.projects().
 */

#include "ngx_http_certhall.h"


ngx_int_t
ngx_http_certhall_projects(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_db_answer(r, NGX_HTTP_CERTHALL_STMT_PROJECTS);
}
