/*
 * Every statement the module runs.  They are prepared on each connection
 * once, right after it connects, so a statement that does not fit the
 * schema shows at start-up in the error log, not at the first request.
 * The SQL functions they call render the JSON answer themselves (sql/).
 */

#include "ngx_http_certhall.h"
#include "ngx_http_certhall_db.h"


ngx_http_certhall_stmt_t  ngx_http_certhall_statements[NGX_HTTP_CERTHALL_NSTMTS]
    = {

    [NGX_HTTP_CERTHALL_STMT_HEALTH] =
        { "certhall_health", "SELECT api.health()", 0 },

    [NGX_HTTP_CERTHALL_STMT_PROJECTS] =
        { "certhall_projects", "SELECT api.projects()", 0 },

};
