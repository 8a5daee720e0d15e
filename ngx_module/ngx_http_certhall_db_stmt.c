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

    /* accounts: the functions that decide the answer return api.answer */

    [NGX_HTTP_CERTHALL_STMT_SMS_CODE_REQUEST] =
        { "certhall_sms_code_request",
          "SELECT * FROM api.sms_code_request($1, $2, $3::inet)", 3 },

    [NGX_HTTP_CERTHALL_STMT_SMS_CODE_BEGIN] =
        { "certhall_sms_code_begin",
          "SELECT * FROM api.sms_code_begin($1, $2, $3)", 3 },

    [NGX_HTTP_CERTHALL_STMT_REGISTER_FINISH] =
        { "certhall_register_finish",
          "SELECT * FROM api.register_finish($1::bigint, $2, $3, $4::inet, $5)",
          5 },

    [NGX_HTTP_CERTHALL_STMT_LOGIN_CODE] =
        { "certhall_login_code",
          "SELECT * FROM api.login_code($1, $2, $3::inet, $4)", 4 },

    [NGX_HTTP_CERTHALL_STMT_LOGIN_PASSWORD_BEGIN] =
        { "certhall_login_password_begin",
          "SELECT * FROM api.login_password_begin($1)", 1 },

    [NGX_HTTP_CERTHALL_STMT_LOGIN_PASSWORD_FINISH] =
        { "certhall_login_password_finish",
          "SELECT * FROM api.login_password_finish($1, $2, $3::boolean,"
          " $4::inet, $5)", 5 },

    [NGX_HTTP_CERTHALL_STMT_SESSION_END] =
        { "certhall_session_end",
          "SELECT * FROM api.session_end($1, $2)", 2 },

    [NGX_HTTP_CERTHALL_STMT_RESET_FINISH] =
        { "certhall_reset_finish",
          "SELECT * FROM api.password_reset_finish($1::bigint, $2, $3,"
          " $4::inet, $5)", 5 },

    [NGX_HTTP_CERTHALL_STMT_ME] =
        { "certhall_me", "SELECT api.me($1)", 1 },

    [NGX_HTTP_CERTHALL_STMT_REALNAME_START] =
        { "certhall_realname_start",
          "SELECT request_id, created_epoch,"
          " to_json(expires_at) #>> '{}' AS expires_at"
          " FROM api.realname_start($1, $2, $3, $4, $5)", 5 },

    [NGX_HTTP_CERTHALL_STMT_REALNAME_STATUS] =
        { "certhall_realname_status", "SELECT api.realname_status($1)", 1 },

    [NGX_HTTP_CERTHALL_STMT_REALNAME_CALLBACK] =
        { "certhall_realname_callback",
          "SELECT api.realname_callback($1, $2, $3, $4, $5, $6, $7)", 7 },

};
