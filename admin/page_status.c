/*
 * The back office's home page: is the hall's database there, and at which
 * schema version.
 */

#include <stdio.h>

#include "admin.h"


void
page_home(admin_request_t *req)
{
    PGconn    *conn;
    PGresult  *res;

    conn = admin_db_connect(req);

    if (conn == NULL) {
        html_error_page(503, "Service Unavailable",
                        "数据库暂时不可用，请稍后再试。");
        return;
    }

    res = PQexec(conn, "SELECT version, to_char(applied_at AT TIME ZONE "
                       "'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') "
                       "FROM schema_migrations ORDER BY version DESC LIMIT 1");

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fprintf(stderr, "certhall-admin: schema version: %s",
                PQerrorMessage(conn));
        PQclear(res);
        PQfinish(conn);
        html_error_page(503, "Service Unavailable",
                        "数据库尚未初始化（没有已应用的迁移）。");
        return;
    }

    html_headers(200, "OK");
    html_page_begin("首页");

    html_raw("<h2>系统状态</h2>\n<dl class=\"status\">\n"
             "<dt>数据库</dt><dd id=\"db-status\">已连接</dd>\n"
             "<dt>数据库版本</dt><dd id=\"schema-version\">");
    html_txt(PQgetvalue(res, 0, 0));
    html_raw("</dd>\n<dt>迁移时间</dt><dd>");
    html_txt(PQgetvalue(res, 0, 1));
    html_raw("</dd>\n</dl>\n");

    html_page_end();

    PQclear(res);
    PQfinish(conn);
}
