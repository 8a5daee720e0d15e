/*
 * Bulk approval: POST /admin/orders/approve, from the review queue's
 * checkboxes ("sel.<order id>" = 1).
 *
 * admin.bulk_approve checks the session, the token and the role once, then
 * approves each order in its own subtransaction through the one state
 * machine: an order another reviewer has just rejected, or whose voucher
 * finance has not confirmed, is reported and left as it is, and does not
 * stop the others.  The page lists each order's outcome.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"


void
page_bulk_approve(admin_request_t *req)
{
    int             i, n, ok;
    char            token[128], ids[ADMIN_FIELDS_MAX * 36];
    PGresult       *res;
    const char     *params[4];
    admin_error_t   err;

    if (admin_session(req, 1, "reviewer") != 0) {
        return;
    }

    /* "sel.<order id>": ids are [A-Za-z0-9] (order_id_next) */
    if (admin_checked(req, "sel.", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "abcdefghijklmnopqrstuvwxyz0123456789", 32,
                      ADMIN_FIELDS_MAX, ids, sizeof(ids)) != 0)
    {
        html_error_page(req, 422, "Unprocessable Entity", "所选订单不正确。");
        return;
    }

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;
    params[3] = ids;

    res = admin_db_call(req,
                        "SELECT order_id, ok, message "
                        "FROM admin.bulk_approve($1, $2, $3::inet, $4::text[])",
                        4, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, "/admin/orders");
        return;
    }

    n = PQntuples(res);

    for (ok = 0, i = 0; i < n; i++) {
        ok += strcmp(db_value(res, i, "ok"), "t") == 0;
    }

    html_headers(200, "OK", NULL);
    html_page_begin(req, "批量审核结果");

    html_raw("<p id=\"bulk-summary\">共 ");
    html_long(n);
    html_raw(" 个订单，审核通过 <span id=\"bulk-ok\">");
    html_long(ok);
    html_raw("</span> 个，未通过 <span id=\"bulk-failed\">");
    html_long(n - ok);
    html_raw("</span> 个。</p>\n<table id=\"bulk-results\">\n<thead><tr>"
             "<th>订单号</th><th>结果</th></tr></thead>\n<tbody>\n");

    for (i = 0; i < n; i++) {
        html_raw("<tr data-order=\"");
        html_attr(db_value(res, i, "order_id"));
        html_raw(strcmp(db_value(res, i, "ok"), "t") == 0
                 ? "\" class=\"ok\">" : "\" class=\"failed\">");
        html_raw("<td><a href=\"/admin/orders/");
        html_attr(db_value(res, i, "order_id"));
        html_raw("\">");
        html_txt(db_value(res, i, "order_id"));
        html_raw("</a></td><td>");
        html_txt(db_value(res, i, "message"));
        html_raw("</td></tr>\n");
    }

    html_raw("</tbody></table>\n<p><a href=\"/admin/orders\">返回待审核列表"
             "</a></p>\n");

    PQclear(res);
    html_page_end();
}
