/*
 * 发票, for finance and the admin: GET /admin/invoices is the queue of the
 * e-invoice requests certhall-admin invoice-send works through (admin.invoices):
 * the count of each state, filtered by state, by order number, request
 * serial, title or invoice number, and by the days they were queued; the
 * failed ones, which wait for finance, first, each with the platform's
 * message and the button 重新开具 (POST /admin/invoices/{id}/retry,
 * admin.invoice_retry: the same serial queued again, audited).
 *
 * GET /admin/invoices/{id}/{pdf|request|answer} sends a stored file of an
 * issued request (the invoice's PDF, the XML sent and the XML answered)
 * to any staff member, through nginx as page_file.c does materials.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_date.h"


#define INVOICES_PER_PAGE  "50"
#define INVOICES_PAGE_MAX  10000
#define INVOICES_Q_MAX     50        /* characters: admin.invoices' limit */


/* admin.invoices' parameters, $1..$7 */
enum {
    INVOICES_TOKEN = 0,
    INVOICES_STATE,
    INVOICES_Q,
    INVOICES_FROM,
    INVOICES_TO,
    INVOICES_PAGE,
    INVOICES_PER_PAGE_PARAM,
    INVOICES_NPARAMS
};


/* a request's state for people, in the queue's order */
static const struct {
    const char  *state;
    const char  *label;
} invoice_states[] = {
    { "queued",    "待开具" },
    { "sending",   "开具中" },
    { "failed",    "开具失败" },
    { "issued",    "已开具" },
    { "cancelled", "已作废" },
};


const char *
invoice_state_label(const char *state)
{
    size_t  i;

    for (i = 0; state && i < sizeof(invoice_states) / sizeof(invoice_states[0]);
         i++)
    {
        if (strcmp(state, invoice_states[i].state) == 0) {
            return invoice_states[i].label;
        }
    }

    return state ? state : "—";
}


/* finance and the admin work the queue */
int
invoices_visible(const admin_request_t *req)
{
    return admin_has_role(req, "finance") || admin_has_role(req, "admin");
}


/*
 * A request's state as a cell: the state, the sends so far, when the next
 * one is due; a correction's new blue request waits for its red one
 */
void
invoice_state_cell(PGresult *res, int i)
{
    const char  *state, *v;

    state = db_value(res, i, "state");
    v = db_nullable(res, i, "waiting");

    if (v && strcmp(v, "t") == 0) {
        html_raw("等待红字发票开具");
        return;
    }

    html_txt(invoice_state_label(state));
    v = db_nullable(res, i, "attempts");

    if (v && strcmp(v, "0") != 0) {
        html_raw("<br><span class=\"hint\">已发送 ");
        html_txt(v);
        html_raw(" 次</span>");
    }

    if (strcmp(state, "queued") == 0) {
        html_raw("<br><span class=\"hint\">下次发送 ");
        html_time(db_nullable(res, i, "next_try_at"));
        html_raw("</span>");

    } else if (strcmp(state, "sending") == 0) {
        /* a sender that died: after this the next run sends it again */
        html_raw("<br><span class=\"hint\">租约至 ");
        html_time(db_nullable(res, i, "lease_until"));
        html_raw("</span>");
    }
}


/* the amount a request is for: a red one takes it back */
void
invoice_amount_cell(PGresult *res, int i)
{
    html_raw("<td class=\"money\">");

    if (strcmp(db_value(res, i, "kind"), "red") == 0) {
        html_raw("-");
    }

    html_money(db_value(res, i, "amount_fen"));
    html_raw("</td>");
}


/*
 * 发票代码 / 号码 and 开票日期 of a row whose request was issued, and where
 * it was sent (email: the column, or NULL); 0, and nothing written, when
 * it was not issued
 */
int
invoice_number(PGresult *res, int i, const char *email)
{
    const char  *fphm = db_nullable(res, i, "fphm");

    if (fphm == NULL) {
        return 0;
    }

    html_txt(db_value(res, i, "fpdm"));
    html_raw(" / ");
    html_txt(fphm);
    html_raw("<br><span class=\"hint\">");
    html_time(db_nullable(res, i, "kprq"));

    if (email) {
        html_raw("，已发送至 ");
        html_txt(db_value(res, i, email));
    }

    html_raw("</span>");

    if (strcmp(db_value(res, i, "reversed"), "t") == 0) {
        html_raw("<br><span class=\"badge reversed\">已冲红</span>");
    }

    return 1;
}


/* the failed request's button: the same serial sent again */
void
invoice_retry_form(const admin_request_t *req, const char *id,
    const char *back)
{
    html_raw("<form method=\"post\" class=\"action retry\" id=\"retry-");
    html_attr(id);
    html_raw("\" action=\"/admin/invoices/");
    html_attr(id);
    html_raw("/retry\">");
    html_csrf(req);

    if (back) {
        html_raw("<input type=\"hidden\" name=\"back\" value=\"");
        html_attr(back);
        html_raw("\">");
    }

    html_raw("<button type=\"submit\">重新开具</button></form>");
}


/* the filters as a query string (for links that keep them), escaped */
static void
invoices_query(const admin_request_t *req, const char *state)
{
    size_t       i;
    const char  *v;

    static const char *const  keep[] = { "q", "from", "to" };

    html_raw("/admin/invoices?state=");
    html_url_part(state);

    for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        v = admin_arg(req, keep[i]);

        if (v && *v) {
            html_raw("&amp;");
            html_raw(keep[i]);
            html_raw("=");
            html_url_part(v);
        }
    }
}


static const char *
invoices_value(const char *v)
{
    return (v && *v) ? v : NULL;
}


static void
invoices_states(const admin_request_t *req, PGresult *res,
    const char *current)
{
    size_t  i;
    char    col[32];

    html_raw("<ul class=\"states\" id=\"states\">\n<li");

    if (current == NULL) {
        html_raw(" class=\"current\"");
    }

    html_raw("><a href=\"");
    invoices_query(req, "");
    html_raw("\" data-state=\"\">全部</a></li>\n");

    for (i = 0; i < sizeof(invoice_states) / sizeof(invoice_states[0]); i++) {
        html_raw("<li");

        if (current && strcmp(current, invoice_states[i].state) == 0) {
            html_raw(" class=\"current\"");
        }

        html_raw("><a href=\"");
        invoices_query(req, invoice_states[i].state);
        html_raw("\" data-state=\"");
        html_attr(invoice_states[i].state);
        html_raw("\">");
        html_txt(invoice_states[i].label);
        html_raw(" <span class=\"count\">");
        snprintf(col, sizeof(col), "n_%s", invoice_states[i].state);
        html_txt(db_value(res, 0, col));
        html_raw("</span></a></li>\n");
    }

    html_raw("</ul>\n");
}


/* a row of the queue: only finance and the admin see it, and may act */
static void
invoices_row(const admin_request_t *req, PGresult *res, int i)
{
    const char  *id, *state, *v;

    id = db_value(res, i, "id");
    state = db_value(res, i, "state");

    html_raw("<tr id=\"request-");
    html_attr(id);
    html_raw("\" data-state=\"");
    html_attr(state);
    html_raw("\"><td class=\"serial\">");
    html_txt(db_value(res, i, "serial"));

    if (strcmp(db_value(res, i, "kind"), "red") == 0) {
        html_raw(" <span class=\"badge red\">红字</span><br><span class=\"hint\">"
                 "冲红 ");
        html_txt(db_value(res, i, "original_serial"));
        html_raw("</span>");
    }

    html_raw("</td><td><a href=\"/admin/orders/");
    html_url_part(db_value(res, i, "order_id"));
    html_raw("#einvoice\">");
    html_txt(db_value(res, i, "order_id"));
    html_raw("</a></td><td>");
    html_txt(db_value(res, i, "buyer_name"));
    html_raw("</td>");
    invoice_amount_cell(res, i);
    html_raw("<td class=\"invoice-state\">");
    invoice_state_cell(res, i);
    html_raw("</td><td class=\"invoice-no\">");

    if (!invoice_number(res, i, NULL)) {
        html_raw("—");
    }

    html_raw("</td><td class=\"time\">");
    html_time(db_value(res, i, "created_at"));
    html_raw("</td><td class=\"last-error\">");
    v = db_nullable(res, i, "last_error");

    if (v && strcmp(state, "issued") != 0) {
        html_txt(v);
        v = db_nullable(res, i, "definite_refusal");

        if (v && strcmp(v, "t") == 0) {
            html_raw("<br><span class=\"hint\">税务平台拒绝开具</span>");
        }
    }

    html_raw("</td><td>");

    if (strcmp(state, "failed") == 0) {
        invoice_retry_form(req, id, NULL);
    }

    html_raw("</td></tr>\n");
}


void
page_invoices(admin_request_t *req)
{
    int             i, n, bad;
    long            page, total, per;
    char            token[128], page_s[16], *end;
    char            from[CH_DATE_ISO_SIZE], to[CH_DATE_ISO_SIZE];
    PGresult       *res;
    const char     *params[INVOICES_NPARAMS], *v, *done;
    admin_error_t   err;

    if (admin_session(req, 0, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    if (!invoices_visible(req)) {
        html_error_page(req, 403, "Forbidden",
                        "您没有权限访问此页面（需要：财务或管理员）。");
        return;
    }

    page = 1;
    v = invoices_value(admin_arg(req, "page"));

    if (v) {
        page = strtol(v, &end, 10);

        if (*end != '\0' || page < 1 || page > INVOICES_PAGE_MAX) {
            html_error_page(req, 400, "Bad Request", "页码不正确。");
            return;
        }
    }

    bad = 0;
    snprintf(page_s, sizeof(page_s), "%ld", page);
    params[INVOICES_TOKEN] = admin_session_token(token, sizeof(token));
    params[INVOICES_STATE] = invoices_value(admin_arg(req, "state"));
    params[INVOICES_Q] = invoices_value(admin_arg(req, "q"));
    params[INVOICES_FROM] = admin_date(admin_arg(req, "from"), from, &bad);
    params[INVOICES_TO] = admin_date(admin_arg(req, "to"), to, &bad);
    params[INVOICES_PAGE] = page_s;
    params[INVOICES_PER_PAGE_PARAM] = INVOICES_PER_PAGE;

    if (bad) {
        html_error_page(req, 400, "Bad Request",
                        CH_DATE_WRONG "排队日期。");
        return;
    }

    /* one call: the counts and total on every row; no item, one empty row */
    res = admin_db_call(req,
        "WITH a AS (SELECT admin.invoices($1, $2, $3, $4::date, $5::date, "
        "$6::integer, $7::integer) AS j) "
        "SELECT a.j->>'total' AS total, a.j->>'per_page' AS per_page, "
        "a.j->'counts'->>'queued' AS n_queued, "
        "a.j->'counts'->>'sending' AS n_sending, "
        "a.j->'counts'->>'failed' AS n_failed, "
        "a.j->'counts'->>'issued' AS n_issued, "
        "a.j->'counts'->>'cancelled' AS n_cancelled, x.* "
        "FROM a LEFT JOIN LATERAL json_to_recordset(a.j->'items') AS x("
        "id bigint, order_id text, serial text, kind text, state text, "
        "attempts integer, next_try_at timestamptz, lease_until timestamptz, "
        "waiting boolean, "
        "last_error text, definite_refusal boolean, original_serial text, "
        "buyer_name text, amount_fen bigint, fpdm text, fphm text, "
        "kprq timestamptz, reversed boolean, created_at timestamptz) ON true",
        INVOICES_NPARAMS, params, &err);

    if (res == NULL) {
        admin_error_page(req, &err, "/admin/invoices");
        return;
    }

    html_headers(200, "OK", NULL);
    html_page_begin(req, "发票");

    /* a fixed text per outcome: the query string is never shown */
    done = admin_arg(req, "done");

    if (done && strcmp(done, "retry") == 0) {
        html_raw("<p class=\"done\" id=\"done\">已重新排队，invoice-send 下次运行"
                 "时以原开票请求号发送。</p>\n");
    }

    invoices_states(req, res, params[INVOICES_STATE]);

    html_raw("<form method=\"get\" action=\"/admin/invoices\" "
             "class=\"filters\">\n<input type=\"hidden\" name=\"state\" "
             "value=\"");
    html_attr(params[INVOICES_STATE] ? params[INVOICES_STATE] : "");
    html_raw("\">\n");
    html_date_range("排队日期", params[INVOICES_FROM], params[INVOICES_TO]);
    html_raw("\n<label>搜索 <input type=\"search\" name=\"q\" maxlength=\"");
    html_long(INVOICES_Q_MAX);
    html_raw("\" placeholder=\"订单号/开票请求号/发票抬头/发票号码\" "
             "value=\"");
    html_attr(params[INVOICES_Q] ? params[INVOICES_Q] : "");
    html_raw("\"></label>\n<button type=\"submit\">查询</button>\n</form>\n");

    html_raw("<table id=\"invoices\">\n<thead><tr><th>开票请求号</th>"
             "<th>订单</th><th>发票抬头</th><th>金额（元）</th><th>状态</th>"
             "<th>发票代码 / 号码</th><th>排队时间</th><th>税务平台的回复"
             "</th><th>操作</th></tr></thead>\n<tbody>\n");

    n = PQntuples(res);

    for (i = 0; i < n && db_nullable(res, i, "id"); i++) {
        invoices_row(req, res, i);
    }

    if (i == 0) {
        html_raw("<tr><td colspan=\"9\" class=\"empty\" id=\"no-invoices\">"
                 "没有符合条件的开票请求</td></tr>\n");
    }

    html_raw("</tbody>\n</table>\n");

    total = strtol(db_value(res, 0, "total"), NULL, 10);
    per = strtol(db_value(res, 0, "per_page"), NULL, 10);
    per = per > 0 ? per : 1;

    html_raw("<p class=\"pages\" id=\"pages\">共 <span id=\"total\">");
    html_long(total);
    html_raw("</span> 条，第 ");
    html_long(total ? page : 0);
    html_raw(" / ");
    html_long((total + per - 1) / per);
    html_raw(" 页");

    if (page > 1) {
        html_raw(" <a rel=\"prev\" href=\"");
        invoices_query(req, params[INVOICES_STATE] ? params[INVOICES_STATE]
                                                   : "");
        printf("&amp;page=%ld\">上一页</a>", page - 1);
    }

    if (page * per < total) {
        html_raw(" <a rel=\"next\" href=\"");
        invoices_query(req, params[INVOICES_STATE] ? params[INVOICES_STATE]
                                                   : "");
        printf("&amp;page=%ld\">下一页</a>", page + 1);
    }

    html_raw("</p>\n");

    PQclear(res);
    html_page_end();
}


/* an id of the path: digits, at most bigint's */
static int
invoices_id(const char *s)
{
    size_t  len = strlen(s);

    return len > 0 && len <= 18 && strspn(s, "0123456789") == len;
}


void
page_invoice_retry(admin_request_t *req)
{
    char            token[128], back[128];
    PGresult       *res;
    const char     *params[4], *order, *to;
    admin_error_t   err;

    /*
     * the session and the roles are admin.invoice_retry()'s to check, with
     * the action (admin_session_deferred)
     */
    if (admin_session_deferred(req, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    if (!invoices_id(req->param[0])) {
        html_error_page(req, 404, "Not Found", "开票请求不存在。");
        return;
    }

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;
    params[3] = req->param[0];

    res = admin_db_call(req,
                        "SELECT r->>'order_id' AS order_id FROM "
                        "admin.invoice_retry($1, $2, $3::inet, $4::bigint) r",
                        4, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, "/admin/invoices");
        return;
    }

    /* back where the button was: the order's page, or the queue */
    to = admin_field(req, "back");
    order = db_value(res, 0, "order_id");

    if (to && strcmp(to, "order") == 0 && strlen(order) < 64
        && strspn(order, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == strlen(order))
    {
        snprintf(back, sizeof(back), "/admin/orders/%s?done=invoice-retry",
                 order);

    } else {
        snprintf(back, sizeof(back), "/admin/invoices?done=retry");
    }

    PQclear(res);

    admin_redirect(req, back, NULL);
}


void
page_invoice_file(admin_request_t *req)
{
    char            staff_id[24];
    PGresult       *res;
    const char     *params[3], *what;
    admin_error_t   err;

    if (admin_session(req, 0, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    what = req->param[1];

    if (!invoices_id(req->param[0])
        || (strcmp(what, "pdf") != 0 && strcmp(what, "request") != 0
            && strcmp(what, "answer") != 0))
    {
        html_error_page(req, 404, "Not Found", "文件不存在。");
        return;
    }

    snprintf(staff_id, sizeof(staff_id), "%ld", req->staff.id);
    params[0] = staff_id;
    params[1] = req->param[0];
    params[2] = what;

    res = admin_db_call(req,
                        "SELECT sha256, name, media_type FROM "
                        "admin.invoice_file($1::bigint, $2::bigint, $3)",
                        3, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, NULL);
        return;
    }

    /* saved, never rendered inside the back office's origin */
    admin_file_send(req, db_value(res, 0, "sha256"),
                    db_value(res, 0, "media_type"), 1,
                    strcmp(what, "pdf") == 0 ? "einvoice" : what,
                    strcmp(what, "pdf") == 0 ? "pdf" : "xml",
                    db_value(res, 0, "name"));

    PQclear(res);
}
