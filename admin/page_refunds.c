/*
 * 支付宝退款, for finance (and the admin, who reads it): GET
 * /admin/alipay/refunds lists the Alipay payments that did not pay their
 * order (it was cancelled, or paid otherwise, before the money came) with
 * their refunds; POST /admin/alipay/refunds/{payment id} is the action 退款
 * with its reason (admin.alipay_refund_request: finance only, audited),
 * which queues the refund that certhall-admin alipay-sync sends.
 *
 * The payments waiting for finance (待退款, 退款失败) come first, each with
 * its form; then those under way or done, with what Alipay answered.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"


#define REFUNDS_TOKEN_MAX  128
#define REFUNDS_LIST_MAX   "300"


/* a payment's refund_state for people */
static const struct {
    const char  *state;
    const char  *label;
} refund_states[] = {
    { "to_refund",     "待退款" },
    { "refunding",     "退款中" },
    { "refunded",      "已退款" },
    { "refund_failed", "退款失败" },
};


const char *
refund_state_label(const char *state)
{
    size_t  i;

    for (i = 0; state && i < sizeof(refund_states) / sizeof(refund_states[0]);
         i++)
    {
        if (strcmp(state, refund_states[i].state) == 0) {
            return refund_states[i].label;
        }
    }

    return state ? state : "—";
}


/* finance acts on the page, the admin reads it */
int
refunds_visible(const admin_request_t *req)
{
    return admin_has_role(req, "finance") || admin_has_role(req, "admin");
}


static void
refunds_form(const admin_request_t *req, const char *payment_id)
{
    html_raw("<form method=\"post\" class=\"action refund\" id=\"refund-");
    html_attr(payment_id);
    html_raw("\" action=\"/admin/alipay/refunds/");
    html_attr(payment_id);
    html_raw("\">");
    html_csrf(req);
    html_raw("<label>退款原因 <textarea name=\"reason\" required "
             "maxlength=\"256\" rows=\"2\"></textarea></label>"
             "<button type=\"submit\">退款</button></form>");
}


static void
refunds_row(const admin_request_t *req, PGresult *res, int i, int finance)
{
    const char  *v, *state, *id;

    id = db_value(res, i, "id");
    state = db_nullable(res, i, "refund_state");

    html_raw("<tr id=\"payment-");
    html_attr(id);
    html_raw("\" data-state=\"");
    html_attr(state ? state : "");
    html_raw("\"><td><a href=\"/admin/orders/");
    html_url_part(db_value(res, i, "order_id"));
    html_raw("\">");
    html_txt(db_value(res, i, "order_id"));
    html_raw("</a><br>");
    html_txt(db_value(res, i, "order_state_name"));
    html_raw("</td><td class=\"trade-no\">");
    html_txt(db_value(res, i, "trade_no"));
    html_raw("<br><span class=\"hint\">");
    html_txt(db_value(res, i, "out_trade_no"));
    html_raw("</span></td><td class=\"money\">");
    html_money(db_value(res, i, "amount_fen"));
    html_raw("</td><td>");
    html_time(db_nullable(res, i, "paid_at"));
    html_raw("<br>");
    v = db_nullable(res, i, "buyer_logon_id");
    html_txt(v ? v : "—");
    html_raw("</td><td>");
    html_txt(db_value(res, i, "refund_reason"));
    html_raw("</td><td class=\"refund-state\">");
    html_txt(refund_state_label(state));
    html_raw("</td><td class=\"refund\">");

    v = db_nullable(res, i, "out_request_no");

    if (v) {
        html_raw("<span class=\"out-request-no\">");
        html_txt(v);
        html_raw("</span> ");
        html_txt(db_value(res, i, "requested_by_name"));
        html_raw(" ");
        html_time(db_nullable(res, i, "requested_at"));
        html_raw("<br>原因：");
        html_txt(db_value(res, i, "reason"));
        html_raw("<br>发送 ");
        html_txt(db_value(res, i, "attempts"));
        html_raw(" 次");

        v = db_nullable(res, i, "fund_change");

        if (v) {
            html_raw(strcmp(v, "t") == 0 ? "，资金已退回（fund_change Y）"
                                         : "，此前已退回（fund_change N）");
        }

        v = db_nullable(res, i, "done_at");

        if (v) {
            html_raw("，完成于 ");
            html_time(v);
        }

        v = db_nullable(res, i, "last_error");

        if (v) {
            html_raw("<br><span class=\"refund-error\">");
            html_txt(v);
            html_raw("</span>");
        }
    }

    if (finance && state && (strcmp(state, "to_refund") == 0
                             || strcmp(state, "refund_failed") == 0))
    {
        refunds_form(req, id);
    }

    html_raw("</td></tr>\n");
}


void
page_refunds(admin_request_t *req)
{
    int             i, n, finance;
    PGresult       *res;
    const char     *done, *params[1];
    admin_error_t   err;

    if (admin_session(req, 0, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    if (!refunds_visible(req)) {
        html_error_page(req, 403, "Forbidden",
                        "您没有权限访问此页面（需要：财务或管理员）。");
        return;
    }

    params[0] = REFUNDS_LIST_MAX;

    res = admin_db_call(req,
        "SELECT p.id, p.order_id, order_state_label(o.state) AS "
        "order_state_name, p.trade_no, p.out_trade_no, p.amount_fen, "
        "p.paid_at, p.buyer_logon_id, p.refund_state, p.refund_reason, "
        "r.out_request_no, r.reason, r.requested_at, "
        "s.name AS requested_by_name, r.attempts, r.fund_change, "
        "r.last_error, r.done_at "
        "FROM alipay_payments p JOIN orders o ON o.id = p.order_id "
        "LEFT JOIN alipay_refunds r ON r.payment_id = p.id "
        "LEFT JOIN staff s ON s.id = r.requested_by "
        "WHERE p.refund_state IS NOT NULL "
        "ORDER BY p.refund_state IN ('to_refund', 'refund_failed') DESC, "
        "p.recorded_at DESC, p.id DESC LIMIT $1::integer",
        1, params, &err);

    if (res == NULL) {
        admin_error_page(req, &err, "/admin/");
        return;
    }

    finance = admin_has_role(req, "finance");

    html_headers(200, "OK", NULL);
    html_page_begin(req, "支付宝退款");

    /* a fixed text per outcome: the query string is never shown */
    done = admin_arg(req, "done");

    if (done && strcmp(done, "refund") == 0) {
        html_raw("<p class=\"done\" id=\"done\">已提交退款，将由 alipay-sync "
                 "向支付宝发送，结果见下表。</p>\n");
    }

    html_raw("<p class=\"hint\">订单已取消或已通过其他方式付款后才到账的支付宝"
             "付款须原路退回。退款请求号对每笔付款固定，重发不会重复退款。"
             "</p>\n");

    n = PQntuples(res);

    if (n == 0) {
        html_raw("<p class=\"empty\" id=\"no-refunds\">没有需要退款的支付宝付款。"
                 "</p>\n");

    } else {
        html_raw("<table id=\"refunds\">\n<thead><tr><th>订单</th>"
                 "<th>支付宝交易号</th><th>金额（元）</th><th>付款时间/买家"
                 "</th><th>须退款的原因</th><th>状态</th><th>退款</th></tr>"
                 "</thead>\n<tbody>\n");

        for (i = 0; i < n; i++) {
            refunds_row(req, res, i, finance);
        }

        html_raw("</tbody></table>\n");
    }

    html_page_end();

    PQclear(res);
}


void
page_refund_post(admin_request_t *req)
{
    char            token[REFUNDS_TOKEN_MAX];
    size_t          len;
    PGresult       *res;
    const char     *params[5];
    admin_error_t   err;

    /* the session is admin.alipay_refund_request()'s to check */
    if (admin_session_deferred(req, "finance") != 0) {
        return;
    }

    len = strlen(req->param[0]);

    if (len == 0 || len > 18 || strspn(req->param[0], "0123456789") != len) {
        html_error_page(req, 404, "Not Found", "支付记录不存在。");
        return;
    }

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;
    params[3] = req->param[0];
    params[4] = admin_field(req, "reason");

    res = admin_db_call(req,
                        "SELECT admin.alipay_refund_request($1, $2, $3::inet, "
                        "$4::bigint, $5)", 5, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, "/admin/alipay/refunds");
        return;
    }

    PQclear(res);

    admin_redirect(req, "/admin/alipay/refunds?done=refund", NULL);
}
