/*
 * The queue: GET /admin/ and GET /admin/orders.
 *
 * Orders of one state (待审核 by default), oldest waiting first, with the
 * count of every state for the same filters; filtered by project, service,
 * certificate type and submission dates, and searched by order number,
 * organisation or person, phone, or USCC (admin.queue decides which the
 * text is).  Reviewers select orders of the review queue and approve them
 * at once (POST /admin/orders/approve, page_bulk.c).  An order that came
 * back by resubmission after a rejection is marked 重新提交 (× the times).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_date.h"


#define QUEUE_PER_PAGE  20
#define QUEUE_PAGE_MAX  10000


/*
 * admin.queue's parameters, $1..$9, by name; admin.queue_counts takes the
 * filters alone ($2..$7 of these)
 */
enum {
    QUEUE_STATE = 0,
    QUEUE_PROJECT,
    QUEUE_SERVICE,
    QUEUE_CERT_TYPE,
    QUEUE_FROM,
    QUEUE_TO,
    QUEUE_SEARCH,
    QUEUE_LIMIT,
    QUEUE_OFFSET,
    QUEUE_NPARAMS
};


static const char *const  queue_filters[] = {
    "project", "service", "cert_type", "from", "to", "q"
};


/* the filters as a query string (for links that keep them), escaped */
static void
queue_filter_query(const admin_request_t *req, const char *state)
{
    size_t       i;
    const char  *v;

    html_raw("/admin/orders?state=");
    html_url_part(state);

    for (i = 0; i < sizeof(queue_filters) / sizeof(queue_filters[0]); i++) {
        v = admin_arg(req, queue_filters[i]);

        if (v && *v) {
            html_raw("&amp;");
            html_raw(queue_filters[i]);
            html_raw("=");
            html_url_part(v);
        }
    }
}


/* <select name> of the rows (code, name) of res */
static void
queue_select(admin_request_t *req, const char *name, const char *label,
    PGresult *res)
{
    int  i;

    html_raw("<label>");
    html_txt(label);
    html_raw(" <select name=\"");
    html_attr(name);
    html_raw("\">");
    html_option("", "全部", admin_arg(req, name));

    for (i = 0; i < PQntuples(res); i++) {
        html_option(db_value(res, i, "code"), db_value(res, i, "name"),
                    admin_arg(req, name));
    }

    html_raw("</select></label>\n");
}


/* an empty value is no filter */
static const char *
queue_value(const char *v)
{
    return (v && *v) ? v : NULL;
}


void
page_queue(admin_request_t *req)
{
    int             i, n, bad, bulk;
    long            page, total, pages;
    char            limit[16], offset[24], *end;
    char            from[CH_DATE_ISO_SIZE], to[CH_DATE_ISO_SIZE];
    PGresult       *counts, *rows, *lists[3];
    const char     *state, *params[QUEUE_NPARAMS], *v;
    admin_error_t   err;

    if (admin_session(req, 0, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    state = queue_value(admin_arg(req, "state"));
    if (state == NULL) {
        state = "pending_review";
    }

    page = 1;
    v = queue_value(admin_arg(req, "page"));

    if (v) {
        page = strtol(v, &end, 10);

        if (*end != '\0' || page < 1 || page > QUEUE_PAGE_MAX) {
            html_error_page(req, 400, "Bad Request", "页码不正确。");
            return;
        }
    }

    bad = 0;
    params[QUEUE_STATE] = state;
    params[QUEUE_PROJECT] = queue_value(admin_arg(req, "project"));
    params[QUEUE_SERVICE] = queue_value(admin_arg(req, "service"));
    params[QUEUE_CERT_TYPE] = queue_value(admin_arg(req, "cert_type"));
    params[QUEUE_FROM] = admin_date(admin_arg(req, "from"), from, &bad);
    params[QUEUE_TO] = admin_date(admin_arg(req, "to"), to, &bad);
    params[QUEUE_SEARCH] = queue_value(admin_arg(req, "q"));

    if (bad) {
        html_error_page(req, 400, "Bad Request",
                        CH_DATE_WRONG "提交日期。");
        return;
    }

    if (params[QUEUE_SEARCH] && strlen(params[QUEUE_SEARCH]) > 100) {
        html_error_page(req, 400, "Bad Request", "搜索内容过长。");
        return;
    }

    snprintf(limit, sizeof(limit), "%d", QUEUE_PER_PAGE);
    snprintf(offset, sizeof(offset), "%ld", (page - 1) * QUEUE_PER_PAGE);
    params[QUEUE_LIMIT] = limit;
    params[QUEUE_OFFSET] = offset;

    /* everything is read before the page begins: an error is a whole page */
    counts = admin_db_call(req,
                           "SELECT state, name, n FROM admin.queue_counts("
                           "$1, $2, $3, $4::date, $5::date, $6)",
                           QUEUE_SEARCH - QUEUE_PROJECT + 1,
                           params + QUEUE_PROJECT, &err);
    rows = counts ? admin_db_call(req,
                         "SELECT id, state_name, project_name, service_name, "
                         "cert_type_name, applicant, uscc, phone, amount_fen, "
                         "delivery_method, submitted_at, state_entered_at, "
                         "total, resubmissions FROM admin.queue($1, $2, $3, "
                         "$4, $5::date, "
                         "$6::date, $7, $8::integer, $9::integer)",
                         QUEUE_NPARAMS, params, &err) : NULL;
    lists[0] = rows ? admin_db_call(req, "SELECT code, name FROM projects "
                                    "ORDER BY sort_order, code", 0, NULL,
                                    &err) : NULL;
    lists[1] = lists[0] ? admin_db_call(req, "SELECT code, name FROM services "
                                        "ORDER BY sort_order", 0, NULL,
                                        &err) : NULL;
    lists[2] = lists[1] ? admin_db_call(req, "SELECT code, name FROM "
                                        "cert_types ORDER BY sort_order", 0,
                                        NULL, &err) : NULL;

    if (lists[2] == NULL) {
        PQclear(counts);
        PQclear(rows);
        PQclear(lists[0]);
        PQclear(lists[1]);
        admin_error_page(req, &err, "/admin/orders");
        return;
    }

    html_headers(200, "OK", NULL);
    html_page_begin(req, "订单");

    /* the states with their counts, the one shown marked */
    html_raw("<ul class=\"states\" id=\"states\">\n");

    for (i = 0; i < PQntuples(counts); i++) {
        html_raw("<li");

        if (strcmp(db_value(counts, i, "state"), state) == 0) {
            html_raw(" class=\"current\"");
        }

        html_raw("><a href=\"");
        queue_filter_query(req, db_value(counts, i, "state"));
        html_raw("\" data-state=\"");
        html_attr(db_value(counts, i, "state"));
        html_raw("\">");
        html_txt(db_value(counts, i, "name"));
        html_raw(" <span class=\"count\">");
        html_txt(db_value(counts, i, "n"));
        html_raw("</span></a></li>\n");
    }

    html_raw("</ul>\n");
    PQclear(counts);

    /* the filters */
    html_raw("<form method=\"get\" action=\"/admin/orders\" class=\"filters\">"
             "\n<input type=\"hidden\" name=\"state\" value=\"");
    html_attr(state);
    html_raw("\">\n");

    queue_select(req, "project", "项目", lists[0]);
    queue_select(req, "service", "业务", lists[1]);
    queue_select(req, "cert_type", "证书类型", lists[2]);

    for (i = 0; i < 3; i++) {
        PQclear(lists[i]);
    }

    html_date_range("提交日期", params[QUEUE_FROM], params[QUEUE_TO]);
    html_raw("\n<label>搜索 <input type=\"search\" name=\"q\" "
             "maxlength=\"100\" placeholder=\"订单号/单位或姓名/手机号/"
             "统一社会信用代码\" value=\"");
    html_attr(params[QUEUE_SEARCH] ? params[QUEUE_SEARCH] : "");
    html_raw("\"></label>\n<button type=\"submit\">查询</button>\n</form>\n");

    n = PQntuples(rows);
    total = n ? strtol(db_value(rows, 0, "total"), NULL, 10) : 0;
    pages = (total + QUEUE_PER_PAGE - 1) / QUEUE_PER_PAGE;

    bulk = strcmp(state, "pending_review") == 0
           && admin_has_role(req, "reviewer") && n > 0;

    if (bulk) {
        html_raw("<form method=\"post\" action=\"/admin/orders/approve\" "
                 "id=\"bulk\">\n");
        html_csrf(req);
        html_raw("\n");
    }

    html_raw("<table class=\"orders\" id=\"orders\">\n<thead><tr>");

    if (bulk) {
        html_raw("<th>选择</th>");
    }

    html_raw("<th>订单号</th><th>业务</th><th>申请单位/申请人</th>"
             "<th>统一社会信用代码</th><th>手机号</th><th>金额（元）</th>"
             "<th>领取方式</th><th>提交时间</th><th>等待自</th><th>状态</th>"
             "</tr></thead>\n<tbody>\n");

    for (i = 0; i < n; i++) {
        html_raw("<tr data-order=\"");
        html_attr(db_value(rows, i, "id"));
        html_raw("\">");

        if (bulk) {
            html_raw("<td><input type=\"checkbox\" name=\"sel.");
            html_attr(db_value(rows, i, "id"));
            html_raw("\" value=\"1\" aria-label=\"选择订单 ");
            html_attr(db_value(rows, i, "id"));
            html_raw("\"></td>");
        }

        html_raw("<td><a href=\"/admin/orders/");
        html_attr(db_value(rows, i, "id"));
        html_raw("\">");
        html_txt(db_value(rows, i, "id"));
        html_raw("</a>");

        /* back by resubmission (重新提交): the reviewer checks what changed */
        v = db_value(rows, i, "resubmissions");

        if (strcmp(v, "0") != 0) {
            html_raw(" <span class=\"badge resubmitted\" title=\"审核不通过后"
                     "重新提交");
            html_txt(v);
            html_raw("次\">重新提交");

            if (strcmp(v, "1") != 0) {
                html_raw(" ×");
                html_txt(v);
            }

            html_raw("</span>");
        }

        html_raw("</td><td>");
        html_txt(db_value(rows, i, "project_name"));
        html_raw(" ");
        html_txt(db_value(rows, i, "cert_type_name"));
        html_raw("-");
        html_txt(db_value(rows, i, "service_name"));
        html_raw("</td><td class=\"applicant\">");
        v = db_nullable(rows, i, "applicant");
        html_txt(v ? v : "（未填写）");
        html_raw("</td><td>");
        html_txt(db_value(rows, i, "uscc"));
        html_raw("</td><td>");
        html_txt(db_value(rows, i, "phone"));
        html_raw("</td><td class=\"money\">");
        html_money(db_value(rows, i, "amount_fen"));
        html_raw("</td><td>");
        v = db_value(rows, i, "delivery_method");
        html_raw(strcmp(v, "express") == 0 ? "快递邮寄"
                 : strcmp(v, "pickup") == 0 ? "受理点自取" : "—");
        html_raw("</td><td>");
        html_time(db_value(rows, i, "submitted_at"));
        html_raw("</td><td>");
        html_time(db_value(rows, i, "state_entered_at"));
        html_raw("</td><td>");
        html_txt(db_value(rows, i, "state_name"));
        html_raw("</td></tr>\n");
    }

    if (n == 0) {
        html_raw("<tr><td colspan=\"10\" class=\"empty\">没有符合条件的订单"
                 "</td></tr>\n");
    }

    html_raw("</tbody>\n</table>\n");

    if (bulk) {
        html_raw("<p><button type=\"submit\">批量审核通过</button></p>\n"
                 "</form>\n");
    }

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
        queue_filter_query(req, state);
        printf("&amp;page=%ld\">上一页</a>", page - 1);
    }

    if (page < pages) {
        html_raw(" <a rel=\"next\" href=\"");
        queue_filter_query(req, state);
        printf("&amp;page=%ld\">下一页</a>", page + 1);
    }

    html_raw("</p>\n");

    PQclear(rows);
    html_page_end();
}
