/*
 * The order page's 电子发票 (admin.order_invoices): every e-invoice request
 * of the order with its state, the invoice it got (code, number, date),
 * its stored files (the PDF, the XML sent and the XML answered, sent by
 * page_invoice_file), every send with what came of it, 重新开具 for a
 * failed one, and for finance and the admin the correction of the title:
 *
 *   POST /admin/orders/{id}/invoice-correct  (admin.invoice_correct)
 *
 * An issued invoice is corrected as the tax rules want it: a red invoice
 * against it, then a new blue one with the new title (冲红重开); before
 * anything is issued, a request never sent or refused outright by the
 * platform is replaced by one with the new title.  The form's fields are
 * checked by the rules of the applicant's own 开票信息 form
 * (lib/ch_field_specs.c), then by the database.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "ch_fields.h"
#include "ch_field_specs.h"


/* the invoice fields' order in ch_<type>_invoice_fields */
enum {
    CORRECT_TITLE_TYPE = 0,
    CORRECT_TITLE,
    CORRECT_TAXPAYER_ID,
    CORRECT_EMAIL,
    CORRECT_MOBILE,
    CORRECT_REMARK,
    CORRECT_NFIELDS = 7
};


/* who queued a request */
static const struct {
    const char  *kind;
    const char  *label;
} invoice_creators[] = {
    { "system",    "系统" },
    { "applicant", "申请人" },
    { "finance",   "财务" },
};


/*
 * The statements of the order's e-invoice requests and their sends,
 * stmts[0] and stmts[1] of the order page's batch (admin_db_batch);
 * params, the session token and the order id, $1 and $2 of both, must
 * outlive it.  Their results are inv's requests and sends.
 */
void
order_einvoice_stmts(const char *const *params, admin_db_stmt_t *stmts)
{
    /* one row per request, the order's summary on each (one row if none) */
    stmts[0].sql =
        "WITH a AS (SELECT admin.order_invoices($1, $2) AS j) "
        "SELECT a.j->>'may_act' AS may_act, a.j->>'correction' AS correction, "
        "a.j->'current'->>'fpdm' AS current_fpdm, "
        "a.j->'current'->>'fphm' AS current_fphm, x.*, i.* "
        "FROM a LEFT JOIN LATERAL json_array_elements(a.j->'requests') e "
        "ON true "
        "LEFT JOIN LATERAL json_to_record(e) AS x(id bigint, serial text, "
        "kind text, state text, attempts integer, next_try_at timestamptz, "
        "lease_until timestamptz, "
        "waiting boolean, last_error text, definite_refusal boolean, "
        "original_serial text, title_type text, buyer_name text, "
        "buyer_taxpayer_id text, buyer_email text, amount_fen bigint, "
        "created_by_kind text, created_by_name text, created_at timestamptz, "
        "reversed boolean) "
        "ON true "
        "LEFT JOIN LATERAL json_to_record(CASE WHEN json_typeof(e->'invoice') "
        "= 'object' THEN e->'invoice' END) AS i(fpdm text, fphm text, "
        "kprq timestamptz, total_fen bigint, email text, pdf_sha256 text, "
        "request_xml_sha256 text, answer_xml_sha256 text) ON true "
        "ORDER BY x.id";
    stmts[0].nparams = 2;
    stmts[0].params = params;

    stmts[1].sql =
        "SELECT e->>'serial' AS serial, s.* "
        "FROM json_array_elements((admin.order_invoices($1, $2))->'requests') "
        "e, json_to_recordset(e->'sends') AS s(n integer, "
        "started_at timestamptz, finished_at timestamptz, outcome text, "
        "message text) "
        "ORDER BY (e->>'id')::bigint, s.n";
    stmts[1].nparams = 2;
    stmts[1].params = params;
}



static void
einvoice_file_link(const char *id, const char *what, const char *label)
{
    html_raw(" <a class=\"invoice-file\" href=\"/admin/invoices/");
    html_attr(id);
    html_raw("/");
    html_raw(what);
    html_raw("\">");
    html_raw(label);
    html_raw("</a>");
}


static void
einvoice_request(admin_request_t *req, PGresult *r, int i, int may_act)
{
    size_t       k;
    const char  *id, *v, *kind, *state;

    id = db_value(r, i, "id");
    kind = db_value(r, i, "kind");
    state = db_value(r, i, "state");

    html_raw("<tr id=\"invoice-request-");
    html_attr(id);
    html_raw("\" data-kind=\"");
    html_attr(kind);
    html_raw("\" data-state=\"");
    html_attr(state);
    html_raw("\"><td class=\"serial\">");
    html_txt(db_value(r, i, "serial"));
    html_raw("</td><td>");

    if (strcmp(kind, "red") == 0) {
        html_raw("<span class=\"badge red\">红字</span> 冲红 ");
        html_txt(db_value(r, i, "original_serial"));

    } else {
        html_raw("蓝字");
    }

    html_raw("<br><span class=\"hint\">");
    v = db_value(r, i, "created_by_kind");

    for (k = 0; k < sizeof(invoice_creators) / sizeof(invoice_creators[0]);
         k++)
    {
        if (strcmp(v, invoice_creators[k].kind) == 0) {
            html_txt(invoice_creators[k].label);
        }
    }

    v = db_nullable(r, i, "created_by_name");

    if (v) {
        html_raw(" ");
        html_txt(v);
    }

    html_raw(" ");
    html_time(db_value(r, i, "created_at"));
    html_raw("</span></td><td class=\"title\">");
    html_txt(db_value(r, i, "buyer_name"));
    v = db_nullable(r, i, "buyer_taxpayer_id");

    if (v) {
        html_raw("<br><span class=\"hint\">");
        html_txt(v);
        html_raw("</span>");
    }

    html_raw("<br><span class=\"hint\">");
    html_txt(db_value(r, i, "buyer_email"));
    html_raw("</span></td>");
    invoice_amount_cell(r, i);
    html_raw("<td class=\"invoice-state\">");
    invoice_state_cell(r, i);
    v = db_nullable(r, i, "last_error");

    if (v && strcmp(state, "issued") != 0) {
        html_raw("<br><span class=\"last-error\">");
        html_txt(v);
        html_raw("</span>");
    }

    html_raw("</td><td class=\"invoice-no\">");

    if (invoice_number(r, i, "email")) {
        html_raw("</td><td class=\"files\">");

        if (db_nullable(r, i, "pdf_sha256")) {
            einvoice_file_link(id, "pdf", "PDF");
        }

        if (db_nullable(r, i, "request_xml_sha256")) {
            einvoice_file_link(id, "request", "请求 XML");
        }

        if (db_nullable(r, i, "answer_xml_sha256")) {
            einvoice_file_link(id, "answer", "应答 XML");
        }

    } else {
        html_raw("—</td><td class=\"files\">");
    }

    html_raw("</td><td>");

    if (may_act && strcmp(state, "failed") == 0) {
        invoice_retry_form(req, id, "order");
    }

    html_raw("</td></tr>\n");
}


/* every send, oldest first per request: when, and what came of it */
static void
einvoice_sends(PGresult *s)
{
    int          i;
    const char  *v;

    if (PQntuples(s) == 0) {
        return;
    }

    html_raw("<details class=\"history\" id=\"invoice-sends\"><summary>发送记录"
             "（");
    html_long(PQntuples(s));
    html_raw(" 次）</summary>\n<table>\n<thead><tr><th>开票请求号</th>"
             "<th>次序</th><th>开始</th><th>结束</th><th>结果</th><th>说明</th>"
             "</tr></thead>\n<tbody>\n");

    for (i = 0; i < PQntuples(s); i++) {
        html_raw("<tr data-outcome=\"");
        v = db_nullable(s, i, "outcome");
        html_attr(v ? v : "");
        html_raw("\"><td>");
        html_txt(db_value(s, i, "serial"));
        html_raw("</td><td>第 ");
        html_txt(db_value(s, i, "n"));
        html_raw(" 次</td><td>");
        html_time(db_nullable(s, i, "started_at"));
        html_raw("</td><td>");
        html_time(db_nullable(s, i, "finished_at"));
        html_raw("</td><td>");
        html_raw(v == NULL ? "发送中"
                 : strcmp(v, "issued") == 0 ? "已开具"
                 : strcmp(v, "refused") == 0 ? "税务平台拒绝"
                 : "发送失败");
        html_raw("</td><td>");
        v = db_nullable(s, i, "message");
        html_txt(v ? v : "");
        html_raw("</td></tr>\n");
    }

    html_raw("</tbody></table></details>\n");
}


static void
einvoice_input(const char *label, const char *name, const char *attrs,
    const char *value)
{
    html_raw("<label>");
    html_txt(label);
    html_raw(" <input name=\"");
    html_attr(name);
    html_raw("\" ");
    html_raw(attrs);
    html_raw(" value=\"");
    html_attr(value ? value : "");
    html_raw("\"></label>\n");
}


/* the correction, with the order's 开票信息 as it is now */
static void
einvoice_correct_form(admin_request_t *req, PGresult *o,
    const char *correction)
{
    const char  *v, *reverse;

    reverse = strcmp(correction, "reverse") == 0 ? "t" : NULL;

    html_raw("<form method=\"post\" class=\"action\" "
             "id=\"form-invoice-correct\" action=\"/admin/orders/");
    html_attr(db_value(o, 0, "id"));
    html_raw("/invoice-correct\">\n<h4>");
    html_raw(reverse ? "冲红重开" : "更正抬头并重新开具");
    html_raw("</h4>\n");
    html_csrf(req);
    html_raw(reverse
             ? "<p class=\"hint\">先开具红字发票冲销当前发票，红字发票开具后再以"
               "下面的抬头开具新的蓝字发票。订单状态不变。</p>\n"
             : "<p class=\"hint\">发票尚未开具：作废当前开票请求，以下面的抬头"
               "重新排队开具（新的开票请求号）。</p>\n");

    v = db_nullable(o, 0, "invoice_title_type");
    html_raw("<label>抬头类型 <select name=\"title_type\" required>");
    html_option("org", "单位", v);
    html_option("personal", "个人", v);
    html_raw("</select></label>\n");
    einvoice_input("发票抬头", "title", "required maxlength=\"100\"",
                   db_nullable(o, 0, "invoice_title"));
    einvoice_input("纳税人识别号", "taxpayer_id", "maxlength=\"20\"",
                   db_nullable(o, 0, "invoice_taxpayer_id"));
    einvoice_input("接收邮箱", "email", "type=\"email\" required "
                   "maxlength=\"254\"", db_nullable(o, 0, "invoice_email"));
    einvoice_input("接收手机号", "mobile", "required maxlength=\"11\"",
                   db_nullable(o, 0, "invoice_mobile"));
    html_raw("<label>发票备注 <textarea name=\"remark\" maxlength=\"100\" "
             "rows=\"2\">");
    v = db_nullable(o, 0, "invoice_remark");
    html_txt(v ? v : "");
    html_raw("</textarea></label>\n<label>更正原因（记入审计日志） <textarea "
             "name=\"reason\" required maxlength=\"256\" rows=\"2\">"
             "</textarea></label>\n<button type=\"submit\">");
    html_raw(reverse ? "冲红重开" : "更正并重新开具");
    html_raw("</button>\n</form>\n");
}


void
order_einvoice_section(admin_request_t *req, PGresult *o,
    const order_einvoice_t *inv)
{
    int          i, n, may_act;
    const char  *v;
    PGresult    *r = inv->requests;

    may_act = strcmp(db_value(r, 0, "may_act"), "true") == 0;

    html_raw("<section id=\"einvoice\"><h3>电子发票</h3>\n"
             "<dl class=\"fields\">\n<dt>当前发票</dt><dd id=\"current-invoice\">");
    v = db_nullable(r, 0, "current_fphm");

    if (v) {
        html_txt(db_value(r, 0, "current_fpdm"));
        html_raw(" / ");
        html_txt(v);

    } else {
        html_raw("未开具");
    }

    html_raw("</dd>\n</dl>\n");

    n = PQntuples(r);

    if (n == 1 && db_nullable(r, 0, "id") == NULL) {
        html_raw("<p class=\"empty\" id=\"no-invoice-requests\">尚无开票请求"
                 "（订单进入待开票后自动排队开具）。</p>\n");

    } else {
        html_raw("<table id=\"invoice-requests\">\n<thead><tr><th>开票请求号"
                 "</th><th>类型</th><th>发票抬头</th><th>金额（元）</th>"
                 "<th>状态</th><th>发票代码 / 号码</th><th>文件</th><th>操作"
                 "</th></tr></thead>\n<tbody>\n");

        for (i = 0; i < n; i++) {
            einvoice_request(req, r, i, may_act);
        }

        html_raw("</tbody></table>\n");
        einvoice_sends(inv->sends);
    }

    v = db_nullable(r, 0, "correction");

    if (may_act && v) {
        einvoice_correct_form(req, o, v);
    }

    html_raw("</section>\n");
}


/* today in Beijing, yyyymmdd: a person's taxpayer number may be an ID
 * number, whose birth date must not be in the future */
static long
einvoice_today(void)
{
    time_t     t;
    struct tm  tm;

    t = time(NULL) + 8 * 3600;
    gmtime_r(&t, &tm);

    return (long) (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100
           + tm.tm_mday;
}


void
page_invoice_correct(admin_request_t *req)
{
    char                    token[128], back[128], *buf;
    size_t                  size;
    PGresult               *res;
    const char             *params[11], *values[CORRECT_NFIELDS], *type;
    admin_error_t           err;
    ch_field_error_t        ferr;
    const ch_field_spec_t  *spec;

    if (admin_session(req, 1, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    /* before the fields: no one else learns how they would be judged */
    if (!invoices_visible(req)) {
        html_error_page(req, 403, "Forbidden",
                        "您没有权限执行此操作（需要：财务或管理员）。");
        return;
    }

    snprintf(back, sizeof(back), "/admin/orders/%s", req->param[0]);

    type = admin_field(req, "title_type");
    spec = type && strcmp(type, "org") == 0 ? ch_org_invoice_fields
           : type && strcmp(type, "personal") == 0 ? ch_personal_invoice_fields
           : NULL;

    memset(&err, 0, sizeof(err));
    err.status = 422;

    if (spec == NULL) {
        snprintf(err.message, sizeof(err.message), "请选择抬头类型。");
        admin_error_page(req, &err, back);
        return;
    }

    size = ch_fields_buf_size(req->form, req->nform, CORRECT_NFIELDS);
    buf = malloc(size);

    if (buf == NULL) {
        html_error_page(req, 500, "Internal Server Error", "内存不足。");
        return;
    }

    /* the applicant's rules; the form's other fields (csrf, reason) pass */
    if (ch_fields_check(req->form, req->nform, spec, CORRECT_NFIELDS, 0,
                        einvoice_today(), values, buf, size, &ferr)
        != 0)
    {
        snprintf(err.message, sizeof(err.message), "%s", ferr.message);
        admin_error_page(req, &err, back);
        free(buf);
        return;
    }

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;
    params[3] = req->param[0];
    params[4] = values[CORRECT_TITLE_TYPE];
    params[5] = values[CORRECT_TITLE];
    params[6] = values[CORRECT_TAXPAYER_ID];
    params[7] = values[CORRECT_EMAIL];
    params[8] = values[CORRECT_MOBILE];
    params[9] = values[CORRECT_REMARK];
    params[10] = admin_field(req, "reason");

    res = admin_db_call(req,
                        "SELECT admin.invoice_correct($1, $2, $3::inet, $4, "
                        "$5, $6, $7, $8, $9, $10, $11)", 11, params, &err);
    free(buf);

    if (res == NULL) {
        admin_error_page(req, &err, back);
        return;
    }

    PQclear(res);

    snprintf(back, sizeof(back), "/admin/orders/%s?done=invoice-correct",
             req->param[0]);
    admin_redirect(req, back, NULL);
}
