/*
 * Payments in the back office: what finance sees and does on an order.
 *
 * The order page's 缴费 section (the transfer details, the voucher's state
 * and files) and finance's two forms, and the voucher-confirm action's
 * amount.  The page is page_order.c's and the actions are dispatched by
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


/* the order page's 缴费 section: o is admin.order_detail's row */
void
payment_section(PGresult *o, PGresult *files)
{
    const char  *v;

    html_raw("<section id=\"payment\"><h3>缴费</h3><dl class=\"fields\">\n");

    if (db_nullable(o, 0, "transfer_payee")) {
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

    html_raw("</dl>\n<div id=\"voucher\">");
    order_files(files, db_nullable(o, 0, "id"), 1);
    html_raw("</div></section>\n");
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
