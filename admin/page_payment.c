/*
 * Payments in the back office: what finance sees and does on an order.
 *
 * The order page's 缴费 section (the transfer details, the voucher's state
 * and files; the Alipay attempts, one per click on 支付宝支付, and the
 * payments Alipay reported, with their refunds) and finance's two forms,
 * and the voucher-confirm action's amount.  The page is page_order.c's and the actions are dispatched by
 * page_action.c, with the others: this file holds what is about money.
 *
 *   voucher-confirm  finance    the transfer arrived: payer and amount as
 *                               on the voucher (the state does not move)
 *   voucher-refuse   finance    pending_review -> pending_voucher
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_money.h"


/* the voucher's state (orders.voucher_state) for people */
static const char *
payment_voucher_state(const char *state)
{
    if (state == NULL || strcmp(state, "none") == 0) {
        return "未上传";
    }

    return strcmp(state, "pending") == 0 ? "待财务确认"
           : strcmp(state, "confirmed") == 0 ? "财务已确认"
           : strcmp(state, "refused") == 0 ? "已退回" : state;
}


/*
 * The statements of the order's Alipay attempts and payments, stmts[0]
 * and stmts[1] of the order page's batch (admin_db_batch); order_id, $1
 * of both, must outlive it.  Their results are alipay's attempts and
 * payments.
 */
void
payment_alipay_stmts(const char *const *order_id, admin_db_stmt_t *stmts)
{
    stmts[0].sql =
        "SELECT attempt, out_trade_no, channel, amount_fen, state, "
        "created_at, expires_at, closed_at, trade_no, checks, last_error "
        "FROM alipay_attempts WHERE order_id = $1 ORDER BY attempt DESC";
    stmts[0].nparams = 1;
    stmts[0].params = order_id;

    stmts[1].sql =
        "SELECT p.id, p.trade_no, p.out_trade_no, p.amount_fen, p.paid_at, "
        "p.recorded_at, p.buyer_logon_id, p.source, p.applied, "
        "p.refund_state, p.refund_reason, r.out_request_no, "
        "r.state AS refund_request_state, r.fund_change, r.last_error "
        "FROM alipay_payments p "
        "LEFT JOIN alipay_refunds r ON r.payment_id = p.id "
        "WHERE p.order_id = $1 ORDER BY p.recorded_at DESC, p.id DESC";
    stmts[1].nparams = 1;
    stmts[1].params = order_id;
}



static const char *
payment_attempt_state(const char *state)
{
    return strcmp(state, "open") == 0 ? "待支付"
           : strcmp(state, "paid") == 0 ? "已支付"
           : strcmp(state, "closed") == 0 ? "已关闭" : state;
}


/* each click on 支付宝支付, newest first */
static void
payment_attempts(PGresult *a)
{
    int          i;
    const char  *v;

    html_raw("<h4>支付宝支付请求</h4>\n<table id=\"alipay-attempts\">\n"
             "<thead><tr><th>次序</th><th>商户订单号</th><th>渠道</th>"
             "<th>金额（元）</th><th>状态</th><th>发起时间</th><th>有效期至"
             "</th><th>对账</th></tr></thead>\n<tbody>\n");

    for (i = 0; i < PQntuples(a); i++) {
        html_raw("<tr data-state=\"");
        html_attr(db_value(a, i, "state"));
        html_raw("\"><td>第 ");
        html_txt(db_value(a, i, "attempt"));
        html_raw(" 次</td><td class=\"out-trade-no\">");
        html_txt(db_value(a, i, "out_trade_no"));
        html_raw("</td><td>");
        html_raw(strcmp(db_value(a, i, "channel"), "wap") == 0
                 ? "手机网页" : "电脑网页");
        html_raw("</td><td class=\"money\">");
        html_money(db_value(a, i, "amount_fen"));
        html_raw("</td><td class=\"attempt-state\">");
        html_txt(payment_attempt_state(db_value(a, i, "state")));
        v = db_nullable(a, i, "trade_no");

        if (v) {
            html_raw("（交易号 ");
            html_txt(v);
            html_raw("）");
        }

        html_raw("</td><td>");
        html_time(db_nullable(a, i, "created_at"));
        html_raw("</td><td>");
        html_time(db_nullable(a, i, "expires_at"));
        html_raw("</td><td>查询 ");
        html_txt(db_value(a, i, "checks"));
        html_raw(" 次");
        v = db_nullable(a, i, "last_error");

        /* a paid or closed attempt's last error is history */
        if (v && strcmp(db_value(a, i, "state"), "open") == 0) {
            html_raw("<br><span class=\"hint\">");
            html_txt(v);
            html_raw("</span>");
        }

        html_raw("</td></tr>\n");
    }

    html_raw("</tbody></table>\n");
}


/* what Alipay reported paid: the one that paid the order, those to refund */
static void
payment_alipay_payments(PGresult *p)
{
    int          i;
    const char  *v;

    html_raw("<h4>支付宝付款</h4>\n<table id=\"alipay-payments\">\n"
             "<thead><tr><th>支付宝交易号</th><th>商户订单号</th>"
             "<th>金额（元）</th><th>付款时间</th><th>买家账号</th>"
             "<th>来源</th><th>用途</th></tr></thead>\n<tbody>\n");

    for (i = 0; i < PQntuples(p); i++) {
        html_raw("<tr id=\"alipay-payment-");
        html_attr(db_value(p, i, "id"));
        html_raw("\"><td class=\"trade-no\">");
        html_txt(db_value(p, i, "trade_no"));
        html_raw("</td><td>");
        html_txt(db_value(p, i, "out_trade_no"));
        html_raw("</td><td class=\"money\">");
        html_money(db_value(p, i, "amount_fen"));
        html_raw("</td><td>");
        html_time(db_nullable(p, i, "paid_at"));
        html_raw("</td><td>");
        v = db_nullable(p, i, "buyer_logon_id");
        html_txt(v ? v : "—");
        html_raw("</td><td>");
        html_raw(strcmp(db_value(p, i, "source"), "query") == 0
                 ? "对账查询" : "支付宝通知");
        html_raw("</td><td class=\"payment-use\">");

        if (strcmp(db_value(p, i, "applied"), "t") == 0) {
            html_raw("已用于支付本订单");

        } else {
            html_txt(refund_state_label(db_nullable(p, i, "refund_state")));
            html_raw("：");
            html_txt(db_nullable(p, i, "refund_reason"));
            v = db_nullable(p, i, "out_request_no");

            if (v) {
                html_raw("<br>退款请求号 ");
                html_txt(v);
            }

            v = db_nullable(p, i, "last_error");

            if (v) {
                html_raw("<br><span class=\"hint\">");
                html_txt(v);
                html_raw("</span>");
            }

            html_raw("<br><a href=\"/admin/alipay/refunds#payment-");
            html_attr(db_value(p, i, "id"));
            html_raw("\">支付宝退款</a>");
        }

        html_raw("</td></tr>\n");
    }

    html_raw("</tbody></table>\n");
}


/* the payment that paid the order, or -1 */
static int
payment_applied(PGresult *p)
{
    int  i;

    for (i = 0; i < PQntuples(p); i++) {
        if (strcmp(db_value(p, i, "applied"), "t") == 0) {
            return i;
        }
    }

    return -1;
}


/* whether the order has a transfer voucher, current or superseded */
static int
payment_has_voucher(PGresult *files)
{
    int  i;

    for (i = 0; i < PQntuples(files); i++) {
        if (strcmp(db_value(files, i, "kind"), "transfer_voucher") == 0) {
            return 1;
        }
    }

    return 0;
}


/* the order page's 缴费 section: o is admin.order_detail's row */
void
payment_section(PGresult *o, PGresult *files, const payment_alipay_t *alipay)
{
    int          paid;
    const char  *v;

    html_raw("<section id=\"payment\"><h3>缴费</h3><dl class=\"fields\">\n");

    paid = payment_applied(alipay->payments);

    if (paid >= 0) {
        order_item("payment-method", "缴费方式", "支付宝");
        order_item("payment-trade-no", "支付宝交易号",
                   db_value(alipay->payments, paid, "trade_no"));
        html_raw("<dt>金额（元）</dt><dd id=\"payment-amount\">");
        html_money(db_value(alipay->payments, paid, "amount_fen"));
        html_raw("</dd>\n<dt>付款时间</dt><dd id=\"payment-paid-at\">");
        html_time(db_nullable(alipay->payments, paid, "paid_at"));
        html_raw("</dd>\n");
        order_item(NULL, "买家账号",
                   db_nullable(alipay->payments, paid, "buyer_logon_id"));

    } else if (db_nullable(o, 0, "transfer_payee")) {
        order_item(NULL, "缴费方式", "公对公转账");
        order_item(NULL, "收款单位", db_nullable(o, 0, "transfer_payee"));
        order_item(NULL, "开户银行", db_nullable(o, 0, "transfer_bank"));
        order_item(NULL, "银行账号", db_nullable(o, 0, "transfer_account"));
        order_item("voucher-state", "凭证状态",
                   payment_voucher_state(db_nullable(o, 0, "voucher_state")));
        v = db_nullable(o, 0, "voucher_payer");

        if (v) {
            order_item("voucher-payer", "付款单位", v);
        }

    } else {
        order_item(NULL, "缴费方式", db_nullable(o, 0, "submitted_at")
                                     ? "支付宝/未选择" : "未提交");
    }

    html_raw("</dl>\n");

    /* paid by Alipay, there is no voucher to wait for: "未上传" would mislead */
    if (paid < 0 || payment_has_voucher(files)) {
        html_raw("<div id=\"voucher\">");
        order_files(files, db_nullable(o, 0, "id"), 1);
        html_raw("</div>\n");
    }

    if (PQntuples(alipay->attempts) > 0) {
        payment_attempts(alipay->attempts);
    }

    if (PQntuples(alipay->payments) > 0) {
        payment_alipay_payments(alipay->payments);
    }

    html_raw("</section>\n");
}


/* finance's forms on the order page */
static const order_form_t  payment_form[] = {
    { "voucher_confirm", "voucher-confirm", "确认转账凭证",
      "<p>核对凭证上的付款单位名称与申请单位名称一致、金额与订单金额一致后，"
      "照凭证填写：</p>\n<label>付款单位名称 <input name=\"payer\" required "
      "maxlength=\"100\"></label>\n<label>到账金额（元） <input "
      "name=\"amount\" required inputmode=\"decimal\" maxlength=\"16\">"
      "</label>\n",
      "确认到账" },
    { "voucher_refuse", "voucher-refuse", "退回转账凭证",
      "<label>原因（申请人可见） <textarea name=\"reason\" required "
      "maxlength=\"300\" rows=\"2\"></textarea></label>\n",
      "退回凭证" },
};


/* those of finance's forms admin.order_actions lets this member use */
void
payment_forms(admin_request_t *req, const char *order_id, PGresult *actions)
{
    size_t  i;

    for (i = 0; i < sizeof(payment_form) / sizeof(payment_form[0]); i++) {
        order_form(req, actions, order_id, &payment_form[i]);
    }
}


/*
 * voucher-confirm's amount: the form's yuan ("300.00") as fen into buf,
 * for admin.voucher_confirm's $6.  Returns 0, or -1 when the page was
 * answered (a 422 with the way back).
 */
int
payment_voucher_amount(admin_request_t *req, const char *back, char *buf,
    size_t size)
{
    long long       amount;
    const char     *v;
    admin_error_t   err;

    v = admin_field(req, "amount");

    if (v == NULL || ch_money_parse(v, strlen(v), &amount) != 0) {
        memset(&err, 0, sizeof(err));
        err.status = 422;
        snprintf(err.code, sizeof(err.code), "invalid_amount");
        snprintf(err.message, sizeof(err.message),
                 "到账金额格式不正确，请按凭证填写，如 300.00。");
        admin_error_page(req, &err, back);
        return -1;
    }

    snprintf(buf, size, "%lld", amount);

    return 0;
}
