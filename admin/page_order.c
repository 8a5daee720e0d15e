/*
 * One order: GET /admin/orders/{id}.
 *
 * Everything the applicant entered, the materials shown inline (images
 * through nginx with X-Accel-Redirect, page_file.c; PDFs linked), the
 * payment and its voucher (page_payment.c), delivery, the certificate,
 * the timeline, what changed since the latest rejection (for a resubmitted
 * order), and the forms of what this staff member may do now
 * (admin.order_actions: the database decides, page_action.c posts them).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"


/* what a done=<action> after a redirect says (fixed texts only) */
static const struct {
    const char  *done;
    const char  *message;
} order_done[] = {
    { "approve",         "已审核通过。" },
    { "reject",          "已审核不通过，申请人已收到原因。" },
    { "voucher-confirm", "已确认转账凭证。" },
    { "voucher-refuse",  "已退回转账凭证，申请人已收到原因。" },
    { "certificate",     "已登记证书。" },
    { "ship",            "已登记快递寄出。" },
    { "pickup",          "已登记受理点自取。" },
    { "invoice-retry",   "已重新排队开具发票。" },
    { "invoice-correct", "已提交发票更正，将由 invoice-send 依次开具。" },
};


/* the forms of fixed fields; reject, certificate and ship are drawn below */
static const order_form_t  order_approve_form = {
    "approve", "approve", "审核通过", "", "审核通过"
};

static const order_form_t  order_pickup_form = {
    "pickup", "pickup", "受理点自取",
    "<label>领取人（可选） <input name=\"picked_up_by\" maxlength=\"50\">"
    "</label>\n",
    "登记已领取"
};


/*
 * an event's note is a reason (原因/说明) unless its transition says what it
 * is: the courier and tracking number of a shipment, who fetched a pickup
 */
static const struct {
    const char  *action;
    const char  *label;
} order_note_label[] = {
    { "ship",    "快递：" },
    { "pick_up", "自取：" },
};


void
order_item(const char *id, const char *label, const char *value)
{
    html_raw("<dt>");
    html_txt(label);
    html_raw("</dt><dd");

    if (id) {
        html_raw(" id=\"");
        html_attr(id);
        html_raw("\"");
    }

    html_raw(">");
    html_txt(value ? value : "—");
    html_raw("</dd>\n");
}


void
order_time_item(const char *label, const char *value)
{
    html_raw("<dt>");
    html_txt(label);
    html_raw("</dt><dd>");
    html_time(value);
    html_raw("</dd>\n");
}


/* the versions of the texts the applicant agreed to, and when */
static void
order_agreements(PGresult *agreements)
{
    int  i;

    html_raw("<section><h3>同意的协议</h3><dl class=\"fields\" "
             "id=\"agreements\">\n");

    for (i = 0; i < PQntuples(agreements); i++) {
        html_raw("<dt>《");
        html_txt(db_nullable(agreements, i, "name"));
        html_raw("》</dt><dd>第 ");
        html_txt(db_nullable(agreements, i, "version"));
        html_raw(" 版（");
        html_txt(db_nullable(agreements, i, "title"));
        html_raw("），同意于 ");
        html_time(db_nullable(agreements, i, "agreed_at"));
        html_raw("</dd>\n");
    }

    if (PQntuples(agreements) == 0) {
        html_raw("<dt>协议</dt><dd>—</dd>\n");
    }

    html_raw("</dl></section>\n");
}


static void
order_file_link(const char *order_id, const char *file_id)
{
    html_raw("/admin/orders/");
    html_attr(order_id);
    html_raw("/files/");
    html_attr(file_id);
}


/* one file: an image inline, a PDF as a link */
static void
order_file(PGresult *files, int i, const char *order_id)
{
    const char  *id, *format;

    id = db_nullable(files, i, "id");
    format = db_nullable(files, i, "format");

    html_raw("<figure class=\"file\" data-kind=\"");
    html_attr(db_nullable(files, i, "kind"));
    html_raw("\">");

    if (format && strcmp(format, "pdf") == 0) {
        html_raw("<a class=\"pdf\" href=\"");
        order_file_link(order_id, id);
        html_raw("\">PDF 文件（");
        html_txt(db_nullable(files, i, "pages"));
        html_raw(" 页）</a>");

    } else {
        html_raw("<a href=\"");
        order_file_link(order_id, id);
        html_raw("\"><img src=\"");
        order_file_link(order_id, id);
        html_raw("\" alt=\"");
        html_attr(db_nullable(files, i, "kind_name"));
        html_raw("\" loading=\"lazy\"></a>");
    }

    html_raw("<figcaption><strong>");
    html_txt(db_nullable(files, i, "kind_name"));
    html_raw("</strong> <span class=\"name\">");
    html_txt(db_nullable(files, i, "original_name"));
    html_raw("</span> ");
    html_txt(db_nullable(files, i, "width"));
    html_raw("×");
    html_txt(db_nullable(files, i, "height"));
    html_raw(" · ");
    html_long(strtoll(db_nullable(files, i, "size_bytes"), NULL, 10) / 1024);
    html_raw(" KB · 上传于 ");
    html_time(db_nullable(files, i, "uploaded_at"));
    html_raw("</figcaption></figure>\n");
}


void
order_files(PGresult *files, const char *order_id, int voucher)
{
    int          i, shown, old;
    const char  *kind, *current;

    shown = 0;
    old = 0;

    for (i = 0; i < PQntuples(files); i++) {
        kind = db_nullable(files, i, "kind");
        current = db_nullable(files, i, "is_current");

        if ((strcmp(kind, "transfer_voucher") == 0) != voucher) {
            continue;
        }

        if (current && strcmp(current, "t") == 0) {
            order_file(files, i, order_id);
            shown++;

        } else {
            old++;
        }
    }

    if (shown == 0) {
        html_raw("<p class=\"empty\">未上传</p>\n");
    }

    if (old == 0) {
        return;
    }

    /* the superseded files stay reachable: what was reviewed, and when */
    html_raw("<details class=\"history\"><summary>历史文件</summary><ul>\n");

    for (i = 0; i < PQntuples(files); i++) {
        kind = db_nullable(files, i, "kind");
        current = db_nullable(files, i, "is_current");

        if ((strcmp(kind, "transfer_voucher") == 0) != voucher
            || (current && strcmp(current, "t") == 0))
        {
            continue;
        }

        html_raw("<li><a href=\"");
        order_file_link(order_id, db_nullable(files, i, "id"));
        html_raw("\">");
        html_txt(db_nullable(files, i, "kind_name"));
        html_raw(" ");
        html_txt(db_nullable(files, i, "original_name"));
        html_raw("</a> 上传于 ");
        html_time(db_nullable(files, i, "uploaded_at"));
        html_raw("，");
        html_raw(strcmp(db_nullable(files, i, "replaced_by"), "delete") == 0
                 ? "已删除于 " : "已替换于 ");
        html_time(db_nullable(files, i, "replaced_at"));
        html_raw("</li>\n");
    }

    html_raw("</ul></details>\n");
}


static void
order_form_begin(admin_request_t *req, const char *order_id,
    const char *action, const char *title)
{
    html_raw("<form method=\"post\" class=\"action\" id=\"form-");
    html_attr(action);
    html_raw("\" action=\"/admin/orders/");
    html_attr(order_id);
    html_raw("/");
    html_attr(action);
    html_raw("\">\n<h4>");
    html_txt(title);
    html_raw("</h4>\n");
    html_csrf(req);
    html_raw("\n");
}


static void
order_form_end(const char *button)
{
    html_raw("<button type=\"submit\">");
    html_txt(button);
    html_raw("</button>\n</form>\n");
}


static int
order_can(PGresult *actions, const char *action)
{
    int  i;

    for (i = 0; i < PQntuples(actions); i++) {
        if (strcmp(db_value(actions, i, "action"), action) == 0) {
            return 1;
        }
    }

    return 0;
}


/* a form of fixed fields, when admin.order_actions lets this member use it */
void
order_form(admin_request_t *req, PGresult *actions, const char *order_id,
    const order_form_t *form)
{
    if (!order_can(actions, form->can)) {
        return;
    }

    order_form_begin(req, order_id, form->action, form->title);
    html_raw(form->fields);
    order_form_end(form->button);
}


static void
order_actions(admin_request_t *req, PGresult *o, PGresult *actions,
    PGresult *kinds, PGresult *couriers)
{
    int          i;
    const char  *id, *v;

    id = db_nullable(o, 0, "id");

    html_raw("<section id=\"actions\"><h3>操作</h3>\n");

    if (PQntuples(actions) == 0) {
        html_raw("<p class=\"empty\">当前状态下您没有可执行的操作。</p>\n");
    }

    order_form(req, actions, id, &order_approve_form);

    if (order_can(actions, "reject")) {
        order_form_begin(req, id, "reject", "审核不通过");
        html_raw("<fieldset><legend>需重新上传的资料</legend>\n");

        for (i = 0; i < PQntuples(kinds); i++) {
            html_raw("<label><input type=\"checkbox\" value=\"1\" "
                     "name=\"kind.");
            html_attr(db_value(kinds, i, "kind"));
            html_raw("\"> ");
            html_txt(db_value(kinds, i, "name"));
            html_raw("</label>\n");
        }

        html_raw("</fieldset>\n<label>原因（申请人可见） <textarea "
                 "name=\"reason\" required maxlength=\"300\" rows=\"3\">"
                 "</textarea></label>\n");
        order_form_end("审核不通过");
    }

    payment_forms(req, id, actions);

    if (order_can(actions, "certificate")) {
        order_form_begin(req, id, "certificate", "登记签发的证书");
        html_raw("<label>证书序列号 <input name=\"serial\" required "
                 "maxlength=\"40\" pattern=\"[0-9A-Fa-f]{8,40}\" value=\"");
        v = db_nullable(o, 0, "cert_serial");
        html_attr(v ? v : "");
        html_raw("\"></label>\n<label>有效期自 ");
        html_date_input("valid_from", db_nullable(o, 0, "cert_valid_from"),
                        "valid-hint", 1);
        html_raw("</label>\n<label>至 ");
        html_date_input("valid_to", db_nullable(o, 0, "cert_valid_to"),
                        "valid-hint", 1);
        html_raw("</label> ");
        html_date_hint("valid-hint");
        html_raw("\n");
        order_form_end("登记证书");
    }

    if (order_can(actions, "ship")) {
        order_form_begin(req, id, "ship", "快递寄出");
        html_raw("<label>快递公司 <select name=\"courier\" required>");
        html_option("", "请选择", NULL);

        for (i = 0; i < PQntuples(couriers); i++) {
            html_option(db_value(couriers, i, "code"),
                        db_value(couriers, i, "name"), NULL);
        }

        html_raw("</select></label>\n<label>快递单号 <input "
                 "name=\"tracking_no\" required maxlength=\"40\"></label>\n");
        order_form_end("登记寄出");
    }

    order_form(req, actions, id, &order_pickup_form);

    html_raw("</section>\n");
}


/*
 * Since the latest rejection: when, why, by whom, the materials named,
 * how many times the order came back, whether the information and the
 * invoice changed, and what happened to each material: what the reviewer
 * of a resubmitted order checks again.  Nothing if it was never rejected.
 */
static void
order_changes(PGresult *rej, PGresult *changes)
{
    int          i, changed;
    const char  *v;

    if (PQntuples(rej) != 1) {
        return;
    }

    html_raw("<section class=\"changes\" id=\"changes\"><h3>自上次审核不通过"
             "以来的修改</h3>\n<dl class=\"fields\">\n");
    order_time_item("审核不通过时间", db_nullable(rej, 0, "rejected_at"));
    order_item("rejected-by", "审核员", db_nullable(rej, 0, "staff_name"));
    order_item("rejection-reason", "原因", db_nullable(rej, 0, "reason"));
    v = db_nullable(rej, 0, "kind_names");
    order_item("rejection-kinds", "要求重新上传", v ? v : "（未指定资料）");

    html_raw("<dt>重新提交</dt><dd id=\"resubmissions\">");
    v = db_nullable(rej, 0, "resubmissions");
    html_txt(v);
    html_raw(" 次</dd>\n");

    for (i = 0; i < 2; i++) {
        v = db_nullable(rej, 0, i == 0 ? "info_changed" : "invoice_changed");
        changed = v && strcmp(v, "t") == 0;
        html_raw(i == 0 ? "<dt>基本信息</dt><dd id=\"info-changed\""
                        : "<dt>开票信息</dt><dd id=\"invoice-changed\"");
        html_raw(changed ? " class=\"changed\">已修改" : ">未修改");
        html_raw("</dd>\n");
    }

    html_raw("</dl>\n<table id=\"material-changes\">\n<thead><tr><th>资料</th>"
             "<th>审核要求</th><th>审核不通过以来</th></tr></thead>\n<tbody>\n");

    for (i = 0; i < PQntuples(changes); i++) {
        html_raw("<tr data-kind=\"");
        html_attr(db_nullable(changes, i, "kind"));
        html_raw("\"><td>");
        html_txt(db_nullable(changes, i, "kind_name"));
        html_raw("</td><td>");
        v = db_nullable(changes, i, "named");
        html_raw(v && strcmp(v, "t") == 0 ? "要求重新上传" : "—");
        v = db_nullable(changes, i, "change");

        if (v && strcmp(v, "uploaded") == 0) {
            html_raw("</td><td class=\"changed\">已重新上传于 ");
            html_time(db_nullable(changes, i, "at"));

        } else if (v && strcmp(v, "deleted") == 0) {
            html_raw("</td><td class=\"changed\">已删除于 ");
            html_time(db_nullable(changes, i, "at"));

        } else {
            html_raw("</td><td>未变");
        }

        html_raw("</td></tr>\n");
    }

    html_raw("</tbody></table></section>\n");
}


static void
order_timeline(PGresult *t)
{
    int          i;
    size_t       k;
    const char  *v, *action;

    html_raw("<section><h3>订单记录</h3>\n<table id=\"timeline\">\n"
             "<thead><tr><th>时间</th><th>操作</th><th>状态</th>"
             "<th>操作者</th><th>原因/说明</th></tr></thead>\n<tbody>\n");

    for (i = 0; i < PQntuples(t); i++) {
        html_raw("<tr><td>");
        html_time(db_nullable(t, i, "at"));
        html_raw("</td><td>");
        html_txt(db_nullable(t, i, "action_name"));
        html_raw("</td><td>");
        v = db_nullable(t, i, "from_name");

        if (v) {
            html_txt(v);
            html_raw(" → ");
        }

        html_txt(db_nullable(t, i, "to_name"));
        html_raw("</td><td>");
        html_txt(db_nullable(t, i, "actor_name"));
        v = db_nullable(t, i, "staff_name");

        if (v) {
            html_raw(" ");
            html_txt(v);
        }

        html_raw("</td><td class=\"reason\">");
        v = db_nullable(t, i, "reason");
        action = db_nullable(t, i, "action");

        for (k = 0; v && action && k < sizeof(order_note_label)
                                      / sizeof(order_note_label[0]); k++)
        {
            if (strcmp(action, order_note_label[k].action) == 0) {
                html_txt(order_note_label[k].label);
                break;
            }
        }

        html_txt(v ? v : "");
        html_raw("</td></tr>\n");
    }

    html_raw("</tbody></table></section>\n");
}


/* the order page's statements, in the order they once ran one by one */
enum {
    ORDER_SESSION = 0,
    ORDER_DETAIL,
    ORDER_FILES,
    ORDER_TIMELINE,
    ORDER_ACTIONS,
    ORDER_KINDS,
    ORDER_COURIERS,
    ORDER_REJECTION,
    ORDER_CHANGES,
    ORDER_AGREEMENTS,
    ORDER_SHIPMENT,
    ORDER_ALIPAY,                   /* 2: payment_alipay_stmts() */
    ORDER_EINVOICE = ORDER_ALIPAY + 2,  /* 2: order_einvoice_stmts() */
    ORDER_STMTS = ORDER_EINVOICE + 2
};


/*
 * GET /admin/orders/{id}: the session check and every statement of the
 * page in one round trip (admin_db_batch), where they were fifteen.  The
 * page needs the staff member's id only for the actions it may take, and
 * takes it from the session the batch's first statement has just checked
 * (that failing, the rest do not run).  A failure is answered as when
 * they ran one by one: the first that failed decides, a missing order
 * (no row, which is no failure) before any later statement's.
 */
void
page_order(admin_request_t *req)
{
    int                org;
    size_t             i, failed;
    char               token[128];
    PGresult          *o, *files, *timeline, *actions, *kinds, *couriers,
                      *rej, *changes, *agreements, *shipment;
    const char        *session[3], *order[1], *order_staff[2];
    const char        *invoice[2], *v, *done, *id;
    admin_error_t      err;
    admin_db_stmt_t    stmts[ORDER_STMTS];
    payment_alipay_t   alipay;
    order_einvoice_t   einvoice;

    memset(stmts, 0, sizeof(stmts));

    if (admin_session_stmt(req, token, sizeof(token), session,
                           &stmts[ORDER_SESSION])
        != 0)
    {
        return;
    }

    order[0] = req->param[0];
    order_staff[0] = req->param[0];
    order_staff[1] = token;
    invoice[0] = token;
    invoice[1] = req->param[0];

    stmts[ORDER_DETAIL].sql = "SELECT * FROM admin.order_detail($1)";
    stmts[ORDER_FILES].sql = "SELECT * FROM admin.order_files($1)";
    stmts[ORDER_TIMELINE].sql = "SELECT * FROM admin.order_timeline($1)";
    stmts[ORDER_KINDS].sql = "SELECT kind, name FROM admin.order_kinds($1)";
    stmts[ORDER_REJECTION].sql = "SELECT * FROM admin.order_rejection($1)";
    stmts[ORDER_CHANGES].sql = "SELECT * FROM admin.order_changes($1)";
    stmts[ORDER_AGREEMENTS].sql = "SELECT name, version, title, agreed_at "
                                  "FROM admin.order_agreements($1)";
    stmts[ORDER_SHIPMENT].sql = "SELECT * FROM admin.order_shipment($1)";

    for (i = ORDER_DETAIL; i <= ORDER_SHIPMENT; i++) {
        stmts[i].nparams = 1;
        stmts[i].params = order;
    }

    /* the staff member of the session the first statement checked */
    stmts[ORDER_ACTIONS].sql = "SELECT action FROM admin.order_actions($1, "
                               "(SELECT staff_id FROM staff_sessions "
                               "WHERE token_hash = token_hash($2)))";
    stmts[ORDER_ACTIONS].nparams = 2;
    stmts[ORDER_ACTIONS].params = order_staff;

    stmts[ORDER_COURIERS].sql = "SELECT code, name FROM couriers "
                                "ORDER BY sort_order";
    stmts[ORDER_COURIERS].nparams = 0;
    stmts[ORDER_COURIERS].params = NULL;

    payment_alipay_stmts(order, &stmts[ORDER_ALIPAY]);
    order_einvoice_stmts(invoice, &stmts[ORDER_EINVOICE]);

    if (admin_db_batch(req, stmts, ORDER_STMTS, &failed, &err) != 0) {
        if (admin_session_batched(req, ADMIN_ROLE_ANY,
                                  stmts[ORDER_SESSION].res, &err)
            != 0)
        {
            stmts[ORDER_SESSION].res = NULL;    /* req's, if it was kept */
            goto done;
        }

        stmts[ORDER_SESSION].res = NULL;        /* req's now */

        if (failed > ORDER_DETAIL && stmts[ORDER_DETAIL].res
            && PQntuples(stmts[ORDER_DETAIL].res) != 1)
        {
            goto not_found;
        }

        admin_error_page(req, &err, "/admin/orders");
        goto done;
    }

    if (admin_session_batched(req, ADMIN_ROLE_ANY, stmts[ORDER_SESSION].res,
                              &err)
        != 0)
    {
        stmts[ORDER_SESSION].res = NULL;
        goto done;
    }

    stmts[ORDER_SESSION].res = NULL;

    if (PQntuples(stmts[ORDER_DETAIL].res) != 1) {
        goto not_found;
    }

    o = stmts[ORDER_DETAIL].res;
    files = stmts[ORDER_FILES].res;
    timeline = stmts[ORDER_TIMELINE].res;
    actions = stmts[ORDER_ACTIONS].res;
    kinds = stmts[ORDER_KINDS].res;
    couriers = stmts[ORDER_COURIERS].res;
    rej = stmts[ORDER_REJECTION].res;
    changes = stmts[ORDER_CHANGES].res;
    agreements = stmts[ORDER_AGREEMENTS].res;
    shipment = stmts[ORDER_SHIPMENT].res;
    alipay.attempts = stmts[ORDER_ALIPAY].res;
    alipay.payments = stmts[ORDER_ALIPAY + 1].res;
    einvoice.requests = stmts[ORDER_EINVOICE].res;
    einvoice.sends = stmts[ORDER_EINVOICE + 1].res;

    id = db_nullable(o, 0, "id");
    org = db_nullable(o, 0, "org_name") != NULL;

    html_headers(200, "OK", NULL);
    html_page_begin(req, "订单详情");

    done = admin_arg(req, "done");

    for (i = 0; done && i < sizeof(order_done) / sizeof(order_done[0]); i++) {
        if (strcmp(done, order_done[i].done) == 0) {
            html_raw("<p class=\"done\" id=\"done\">");
            html_txt(order_done[i].message);
            html_raw("</p>\n");
        }
    }

    html_raw("<section><h3>订单</h3><dl class=\"fields\">\n");
    order_item("order-id", "订单号", id);
    order_item("state", "状态", db_nullable(o, 0, "state_name"));
    order_item(NULL, "项目", db_nullable(o, 0, "project_name"));
    order_item(NULL, "业务", db_nullable(o, 0, "service_name"));
    order_item(NULL, "证书类型", db_nullable(o, 0, "cert_type_name"));
    html_raw("<dt>金额（元）</dt><dd id=\"amount\">");
    v = db_nullable(o, 0, "amount_fen");
    html_money(v ? v : db_nullable(o, 0, "price_fen"));
    html_raw("</dd>\n");
    order_item(NULL, "注册手机号", db_nullable(o, 0, "account_phone"));
    order_item(NULL, "实名认证姓名", db_nullable(o, 0, "realname_name"));
    order_time_item("创建时间", db_nullable(o, 0, "created_at"));
    order_time_item("提交时间", db_nullable(o, 0, "submitted_at"));
    order_time_item("进入当前状态", db_nullable(o, 0, "state_entered_at"));

    if (db_nullable(o, 0, "old_cert_serial")) {
        order_item("old-cert", "原证书序列号", db_nullable(o, 0, "old_cert_serial"));
        order_time_item("原证书有效期至", db_nullable(o, 0, "old_cert_valid_to"));
    }

    html_raw("</dl></section>\n");

    /* what the reviewer checks again: while the correction is under way
     * and once it is back in review */
    v = db_nullable(o, 0, "state");

    if (v && (strcmp(v, "pending_review") == 0 || strcmp(v, "rejected") == 0)) {
        order_changes(rej, changes);
    }

    html_raw("<section><h3>基本信息</h3><dl class=\"fields\" id=\"info\">\n");

    if (org) {
        order_item("org-name", "单位名称", db_nullable(o, 0, "org_name"));
        order_item("uscc", "统一社会信用代码", db_nullable(o, 0, "uscc"));
        order_item(NULL, "法定代表人", db_nullable(o, 0, "person_name"));
        order_item(NULL, "法定代表人身份证号",
                   db_nullable(o, 0, "person_id_masked"));
        order_item(NULL, "经办人", db_nullable(o, 0, "handler_name"));

    } else {
        order_item("person-name", "姓名", db_nullable(o, 0, "person_name"));
        order_item(NULL, "身份证号", db_nullable(o, 0, "person_id_masked"));
    }

    order_item(NULL, "手机号", db_nullable(o, 0, "mobile"));
    order_item(NULL, "电子邮箱", db_nullable(o, 0, "email"));
    html_raw("</dl></section>\n");

    html_raw("<section id=\"materials\"><h3>资料</h3>\n");
    order_files(files, id, 0);
    html_raw("</section>\n");

    payment_section(o, files, &alipay);

    html_raw("<section><h3>开票信息</h3><dl class=\"fields\" id=\"invoice\">\n");
    v = db_nullable(o, 0, "invoice_title_type");
    order_item(NULL, "抬头类型", v == NULL ? NULL
                                 : strcmp(v, "org") == 0 ? "单位" : "个人");
    order_item("invoice-title", "发票抬头", db_nullable(o, 0, "invoice_title"));
    order_item(NULL, "纳税人识别号", db_nullable(o, 0, "invoice_taxpayer_id"));
    order_item(NULL, "接收邮箱", db_nullable(o, 0, "invoice_email"));
    order_item(NULL, "接收手机号", db_nullable(o, 0, "invoice_mobile"));
    order_item(NULL, "备注", db_nullable(o, 0, "invoice_remark"));
    html_raw("</dl></section>\n");

    order_einvoice_section(req, o, &einvoice);

    order_agreements(agreements);

    html_raw("<section><h3>领取方式</h3><dl class=\"fields\" id=\"delivery\">\n");
    v = db_nullable(o, 0, "delivery_method");

    if (v && strcmp(v, "express") == 0) {
        order_item(NULL, "领取方式", "快递邮寄");
        order_item(NULL, "收件人", db_nullable(o, 0, "delivery_recipient"));
        order_item(NULL, "联系电话", db_nullable(o, 0, "delivery_mobile"));
        order_item(NULL, "所在地区", db_nullable(o, 0, "delivery_region"));
        order_item(NULL, "详细地址", db_nullable(o, 0, "delivery_detail"));
        order_item(NULL, "邮政编码", db_nullable(o, 0, "delivery_postal_code"));

    } else if (v && strcmp(v, "pickup") == 0) {
        order_item(NULL, "领取方式", "受理点自取");
        order_item(NULL, "受理点", db_nullable(o, 0, "pickup_name"));
        order_item(NULL, "地址", db_nullable(o, 0, "pickup_address"));

    } else {
        order_item(NULL, "领取方式", NULL);
    }

    html_raw("</dl></section>\n");

    order_shipment(shipment);

    if (db_nullable(o, 0, "cert_serial")) {
        html_raw("<section><h3>签发的证书</h3><dl class=\"fields\" "
                 "id=\"certificate\">\n");
        order_item("cert-serial", "序列号", db_nullable(o, 0, "cert_serial"));
        order_time_item("有效期自", db_nullable(o, 0, "cert_valid_from"));
        order_time_item("有效期至", db_nullable(o, 0, "cert_valid_to"));
        html_raw("</dl></section>\n");
    }

    order_actions(req, o, actions, kinds, couriers);
    order_timeline(timeline);

    html_page_end();
    goto done;

not_found:

    memset(&err, 0, sizeof(err));
    err.status = 404;
    snprintf(err.message, sizeof(err.message), "订单不存在");
    admin_error_page(req, &err, "/admin/orders");

done:

    /* every result, the page's structs' too: they are the batch's */
    for (i = 0; i < ORDER_STMTS; i++) {
        PQclear(stmts[i].res);
    }
}
