/*
 * The status page: GET /admin/status.  Is the hall's database there, and
 * at which schema version.  Any signed-in staff member may look: it is
 * what they check first when a page says the database is unavailable.
 */

#include <stdio.h>

#include "admin.h"


void
page_status(admin_request_t *req)
{
    PGresult       *res;
    admin_error_t   err;

    if (admin_session(req, 0, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    res = admin_db_call(req,
                        "SELECT version, to_char(applied_at AT TIME ZONE "
                        "'Asia/Shanghai', 'YYYY\"年\"MM\"月\"DD\"日\" HH24:MI:SS') "
                        "AS applied_at FROM schema_migrations "
                        "ORDER BY version DESC LIMIT 1",
                        0, NULL, &err);
    if (res == NULL) {
        admin_error_page(req, &err, NULL);
        return;
    }

    if (PQntuples(res) != 1) {
        PQclear(res);
        html_error_page(req, 503, "Service Unavailable",
                        "数据库尚未初始化（没有已应用的迁移）。");
        return;
    }

    html_headers(200, "OK", NULL);
    html_page_begin(req, "系统状态");

    html_raw("<dl class=\"status\">\n"
             "<dt>数据库</dt><dd id=\"db-status\">已连接</dd>\n"
             "<dt>数据库版本</dt><dd id=\"schema-version\">");
    html_txt(db_value(res, 0, "version"));
    html_raw("</dd>\n<dt>迁移时间</dt><dd>");
    html_txt(db_value(res, 0, "applied_at"));
    html_raw("</dd>\n</dl>\n");

    if (admin_has_role(req, "admin")) {
        html_raw("<p><a href=\"/admin/jobs\">定时任务</a>：每个任务最近一次"
                 "运行的时间和结果</p>\n");
    }

    html_page_end();

    PQclear(res);
}
