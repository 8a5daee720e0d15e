/*
 * The audit trail: GET /admin/audit, for the role admin.
 *
 * What staff did (admin.audit, newest first), filtered by staff member,
 * action, order and dates, 50 a page.  Every value is the database's as
 * it was written (the login as typed at a failed login, the client's
 * address, before and after as JSON): all of it is escaped, none of it
 * is trusted.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_date.h"


#define AUDIT_PER_PAGE   50
#define AUDIT_PAGE_MAX   10000
#define AUDIT_ORDER_MAX  64


/* admin.audit's parameters, $1..$7, by name */
enum {
    AUDIT_STAFF = 0,
    AUDIT_ACTION,
    AUDIT_ORDER,
    AUDIT_FROM,
    AUDIT_TO,
    AUDIT_LIMIT,
    AUDIT_OFFSET,
    AUDIT_NPARAMS
};


static const char *const  audit_filters[] = {
    "staff", "action", "order", "from", "to"
};


/* an empty value is no filter */
static const char *
audit_value(const char *v)
{
    return (v && *v) ? v : NULL;
}


/* the filters as a query string (for the page links), escaped */
static void
audit_filter_query(const admin_request_t *req)
{
    size_t       i;
    const char  *v, *sep;

    html_raw("/admin/audit");
    sep = "?";

    for (i = 0; i < sizeof(audit_filters) / sizeof(audit_filters[0]); i++) {
        v = audit_value(admin_arg(req, audit_filters[i]));

        if (v) {
            html_raw(sep);
            html_raw(audit_filters[i]);
            html_raw("=");
            html_url_part(v);
            sep = "&amp;";
        }
    }

    html_raw(sep);
}


/* a timestamptz as PostgreSQL writes it: to the second, for a trail */
static void
audit_time(const char *ts)
{
    char  day[CH_DATE_TEXT_SIZE], buf[16];

    if (ch_date_text(day, ts) == 0) {
        html_txt(ts);
        return;
    }

    /* 2026年12月07日 14:30:05: the trail is read to the second */
    snprintf(buf, sizeof(buf), "%.9s", ts + 10);
    html_txt(day);
    html_txt(buf);
}


/* a cell of a value that may be NULL */
static void
audit_cell(PGresult *res, int row, const char *column, const char *cls)
{
    const char  *v;

    html_raw("<td");

    if (cls) {
        html_raw(" class=\"");
        html_raw(cls);
        html_raw("\"");
    }

    html_raw(">");

    v = db_nullable(res, row, column);

    if (v == NULL) {
        html_raw("—");

    } else {
        html_txt(v);
    }

    html_raw("</td>");
}


void
page_audit(admin_request_t *req)
{
    int             i, n, bad;
    long            page, total, pages;
    char            limit[16], offset[24], *end;
    char            from[CH_DATE_ISO_SIZE], to[CH_DATE_ISO_SIZE];
    PGresult       *rows, *staff, *actions;
    const char     *params[AUDIT_NPARAMS], *v, *name, *login;
    admin_error_t   err;

    if (admin_session(req, 0, "admin") != 0) {
        return;
    }

    page = 1;
    v = audit_value(admin_arg(req, "page"));

    if (v) {
        page = strtol(v, &end, 10);

        if (*end != '\0' || page < 1 || page > AUDIT_PAGE_MAX) {
            html_error_page(req, 400, "Bad Request", "页码不正确。");
            return;
        }
    }

    params[AUDIT_STAFF] = audit_value(admin_arg(req, "staff"));
    params[AUDIT_ACTION] = audit_value(admin_arg(req, "action"));
    params[AUDIT_ORDER] = audit_value(admin_arg(req, "order"));
    bad = 0;
    params[AUDIT_FROM] = admin_date(admin_arg(req, "from"), from, &bad);
    params[AUDIT_TO] = admin_date(admin_arg(req, "to"), to, &bad);

    /* what would fail the database's casts is the request's fault */
    v = params[AUDIT_STAFF];

    if (v && (strlen(v) > 18 || strspn(v, "0123456789") != strlen(v))) {
        html_error_page(req, 400, "Bad Request", "员工选择不正确。");
        return;
    }

    /* what is no calendar day would fail the database's ::date */
    if (bad) {
        html_error_page(req, 400, "Bad Request", CH_DATE_WRONG "日期。");
        return;
    }

    if ((params[AUDIT_ACTION] && strlen(params[AUDIT_ACTION]) > 64)
        || (params[AUDIT_ORDER]
            && strlen(params[AUDIT_ORDER]) > AUDIT_ORDER_MAX))
    {
        html_error_page(req, 400, "Bad Request", "查询内容过长。");
        return;
    }

    snprintf(limit, sizeof(limit), "%d", AUDIT_PER_PAGE);
    snprintf(offset, sizeof(offset), "%ld", (page - 1) * AUDIT_PER_PAGE);
    params[AUDIT_LIMIT] = limit;
    params[AUDIT_OFFSET] = offset;

    /* everything is read before the page begins: an error is a whole page */
    rows = admin_db_call(req,
                         "SELECT id, at, login, staff_name, action, "
                         "action_name, order_id, subject, before, after, "
                         "detail, client_addr, total FROM admin.audit("
                         "$1::bigint, $2, $3, $4::date, $5::date, "
                         "$6::integer, $7::integer)", AUDIT_NPARAMS, params,
                         &err);
    staff = rows ? admin_db_call(req, "SELECT id, login, name "
                                 "FROM admin.staff_list() ORDER BY login",
                                 0, NULL, &err) : NULL;
    actions = staff ? admin_db_call(req, "SELECT code, name "
                                    "FROM audit_actions ORDER BY code",
                                    0, NULL, &err) : NULL;

    if (actions == NULL) {
        PQclear(rows);
        PQclear(staff);
        admin_error_page(req, &err, "/admin/audit");
        return;
    }

    html_headers(200, "OK", NULL);
    html_page_begin(req, "审计日志");

    /* the filters */
    html_raw("<form method=\"get\" action=\"/admin/audit\" class=\"filters\">"
             "\n<label>员工 <select name=\"staff\">");
    html_option("", "全部", params[AUDIT_STAFF]);

    for (i = 0; i < PQntuples(staff); i++) {
        v = db_value(staff, i, "id");

        html_raw("<option value=\"");
        html_attr(v);
        html_raw("\"");

        if (params[AUDIT_STAFF] && strcmp(params[AUDIT_STAFF], v) == 0) {
            html_raw(" selected");
        }

        html_raw(">");
        html_txt(db_value(staff, i, "name"));
        html_raw("（");
        html_txt(db_value(staff, i, "login"));
        html_raw("）</option>");
    }

    html_raw("</select></label>\n<label>操作 <select name=\"action\">");
    html_option("", "全部", params[AUDIT_ACTION]);

    for (i = 0; i < PQntuples(actions); i++) {
        html_option(db_value(actions, i, "code"), db_value(actions, i, "name"),
                    params[AUDIT_ACTION]);
    }

    html_raw("</select></label>\n<label>订单号 <input name=\"order\" "
             "maxlength=\"64\" value=\"");
    html_attr(params[AUDIT_ORDER] ? params[AUDIT_ORDER] : "");
    html_raw("\"></label>\n");
    html_date_range("日期", params[AUDIT_FROM], params[AUDIT_TO]);
    html_raw("\n<button type=\"submit\">查询</button>\n</form>\n");

    PQclear(staff);
    PQclear(actions);

    /* the trail */
    n = PQntuples(rows);
    total = n ? strtol(db_value(rows, 0, "total"), NULL, 10) : 0;
    pages = (total + AUDIT_PER_PAGE - 1) / AUDIT_PER_PAGE;

    html_raw("<table class=\"audit\" id=\"audit\">\n<thead><tr>"
             "<th>时间</th><th>员工</th><th>操作</th><th>订单号</th>"
             "<th>对象</th><th>修改前</th><th>修改后</th><th>说明</th>"
             "<th>客户端地址</th></tr></thead>\n<tbody>\n");

    for (i = 0; i < n; i++) {
        html_raw("<tr data-action=\"");
        html_attr(db_value(rows, i, "action"));
        html_raw("\"><td>");
        audit_time(db_value(rows, i, "at"));
        html_raw("</td><td>");

        /* no staff member: a login nobody has, or the command line */
        name = db_nullable(rows, i, "staff_name");
        login = db_nullable(rows, i, "login");

        if (name) {
            html_txt(name);
            html_raw("（");
            html_txt(login ? login : "");
            html_raw("）");

        } else if (login) {
            html_raw("<span class=\"unknown\">");
            html_txt(login);
            html_raw("</span>");

        } else {
            html_raw("—");
        }

        html_raw("</td><td>");
        html_txt(db_value(rows, i, "action_name"));
        html_raw("</td><td>");

        v = db_nullable(rows, i, "order_id");

        if (v == NULL) {
            html_raw("—");

        } else {
            html_raw("<a href=\"/admin/orders/");
            html_url_part(v);
            html_raw("\">");
            html_txt(v);
            html_raw("</a>");
        }

        html_raw("</td>");
        audit_cell(rows, i, "subject", NULL);
        audit_cell(rows, i, "before", "json");
        audit_cell(rows, i, "after", "json");
        audit_cell(rows, i, "detail", NULL);
        audit_cell(rows, i, "client_addr", NULL);
        html_raw("</tr>\n");
    }

    if (n == 0) {
        html_raw("<tr><td colspan=\"9\" class=\"empty\">没有符合条件的记录"
                 "</td></tr>\n");
    }

    html_raw("</tbody>\n</table>\n");

    /* pages */
    html_raw("<p class=\"pages\" id=\"pages\">共 <span id=\"total\">");
    html_long(total);
    html_raw("</span> 条，第 ");
    html_long(total ? page : 0);
    html_raw(" / ");
    html_long(pages);
    html_raw(" 页");

    if (page > 1) {
        html_raw(" <a rel=\"prev\" href=\"");
        audit_filter_query(req);
        printf("page=%ld\">上一页</a>", page - 1);
    }

    if (page < pages) {
        html_raw(" <a rel=\"next\" href=\"");
        audit_filter_query(req);
        printf("page=%ld\">下一页</a>", page + 1);
    }

    html_raw("</p>\n");

    PQclear(rows);
    html_page_end();
}
