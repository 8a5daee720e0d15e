/*
 * The texts applicants agree to, for the role admin: GET /admin/agreements
 * (each text with its current version, every earlier version, and a form
 * for a new one) and POST /admin/agreements/{code} with op=preview (the
 * text shown as the website will show it, the form again to change or
 * publish it) or op=publish (admin.agreement_publish: the next version,
 * checked and audited by the database).
 *
 * A published version never changes; a change is a new version, which
 * the website shows at once and new orders must agree to.  The texts are
 * plain text, one paragraph per line, and are only ever written escaped.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"


/* what admin_session() reads the cookie into */
#define AGREEMENT_TOKEN_MAX  128


/* the agreement of the path, /admin/agreements/{code}: [a-z0-9_], else 404 */
static const char *
agreement_path_code(admin_request_t *req)
{
    size_t       len;
    const char  *code = req->param[0];

    len = strlen(code);

    if (len == 0 || len > 32
        || strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_") != len)
    {
        html_error_page(req, 404, "Not Found", "协议不存在。");
        return NULL;
    }

    return code;
}


/* the text as the website shows it: each line that is not blank a <p> */
static void
agreement_paragraphs(const char *body)
{
    size_t       len;
    char        *line;
    const char  *p;

    for (p = body; *p; p += len + (p[len] != '\0')) {
        len = strcspn(p, "\r\n");

        if (strspn(p, " \t") >= len) {
            continue;
        }

        line = malloc(len + 1);
        if (line == NULL) {
            return;
        }

        memcpy(line, p, len);
        line[len] = '\0';

        html_raw("<p>");
        html_txt(line);
        html_raw("</p>\n");

        free(line);
    }
}


/* the form of a new version, filled with title and body */
static void
agreement_form(const admin_request_t *req, const char *code, const char *title,
    const char *body)
{
    html_raw("<form method=\"post\" action=\"/admin/agreements/");
    html_attr(code);
    html_raw("\" class=\"staff agreement-form\" id=\"form-");
    html_attr(code);
    html_raw("\">\n");
    html_csrf(req);
    html_raw("\n<label>标题 <input name=\"title\" required maxlength=\"100\" "
             "value=\"");
    html_attr(title);
    html_raw("\"></label>\n<label>正文<textarea name=\"body\" rows=\"18\" "
             "required maxlength=\"6000\">");
    html_txt(body);
    html_raw("</textarea></label>\n<span class=\"hint\">纯文本，每行为一段，"
             "20-6000个字符；不支持 HTML。发布后该版本不能再修改，"
             "网站立即显示新版本，此后的订单须同意新版本。</span>\n"
             "<p><button type=\"submit\" name=\"op\" value=\"preview\" "
             "class=\"secondary\">预览</button> "
             "<button type=\"submit\" name=\"op\" value=\"publish\">"
             "发布为新版本</button></p>\n</form>\n");
}


void
page_agreements(admin_request_t *req)
{
    int             i, j, n;
    PGresult       *list, **versions;
    const char     *code, *params[1], *done;
    admin_error_t   err;

    if (admin_session(req, 0, "admin") != 0) {
        return;
    }

    /* everything is read before the page begins: an error is a whole page */
    list = admin_db_call(req, "SELECT code, name, version, title, body, "
                         "published_at, published_by "
                         "FROM admin.agreements()", 0, NULL, &err);
    if (list == NULL) {
        admin_error_page(req, &err, "/admin/");
        return;
    }

    n = PQntuples(list);
    versions = calloc(n ? n : 1, sizeof(PGresult *));

    if (versions == NULL) {
        PQclear(list);
        html_error_page(req, 500, "Internal Server Error",
                        "系统错误，请稍后再试。");
        return;
    }

    for (i = 0; i < n; i++) {
        params[0] = db_value(list, i, "code");
        versions[i] = admin_db_call(req, "SELECT version, title, "
                                    "published_at, published_by, orders "
                                    "FROM admin.agreement_versions($1)",
                                    1, params, &err);
        if (versions[i] == NULL) {
            while (i-- > 0) {
                PQclear(versions[i]);
            }

            free(versions);
            PQclear(list);
            admin_error_page(req, &err, "/admin/");
            return;
        }
    }

    html_headers(200, "OK", NULL);
    html_page_begin(req, "协议文本");

    /* a fixed text per outcome: the query string is never shown */
    done = admin_arg(req, "done");

    if (done && strcmp(done, "published") == 0) {
        html_raw("<p class=\"done\" id=\"done\">已发布新版本，网站已显示新版本，"
                 "此后的订单须同意新版本。</p>\n");
    }

    html_raw("<p class=\"hint\">申请人在在线办理时阅读并同意《用户申请条款》，"
             "提交订单时阅读并同意《数字证书申请责任书》；订单记录所同意的版本。"
             "</p>\n");

    for (i = 0; i < n; i++) {
        code = db_value(list, i, "code");

        html_raw("<section class=\"agreement\" id=\"agreement-");
        html_attr(code);
        html_raw("\">\n<h3>《");
        html_txt(db_value(list, i, "name"));
        html_raw("》</h3>\n<dl class=\"fields\">\n<dt>当前版本</dt><dd "
                 "class=\"current-version\">第 ");
        html_txt(db_value(list, i, "version"));
        html_raw(" 版：");
        html_txt(db_value(list, i, "title"));
        html_raw("</dd>\n<dt>发布</dt><dd>");
        html_time(db_value(list, i, "published_at"));
        html_raw("，");
        html_txt(db_value(list, i, "published_by"));
        html_raw("</dd>\n<dt>网站页面</dt><dd><a href=\"/agreement.html?code=");
        html_url_part(code);
        html_raw("\" target=\"_blank\" rel=\"noopener\">查看网站显示的当前版本</a>"
                 "</dd>\n</dl>\n");

        html_raw("<table class=\"versions\">\n<thead><tr><th>版本</th>"
                 "<th>标题</th><th>发布时间</th><th>发布人</th>"
                 "<th>同意的订单</th><th></th></tr></thead>\n<tbody>\n");

        for (j = 0; j < PQntuples(versions[i]); j++) {
            html_raw("<tr><td>第 ");
            html_txt(db_value(versions[i], j, "version"));
            html_raw(" 版</td><td>");
            html_txt(db_value(versions[i], j, "title"));
            html_raw("</td><td>");
            html_time(db_value(versions[i], j, "published_at"));
            html_raw("</td><td>");
            html_txt(db_value(versions[i], j, "published_by"));
            html_raw("</td><td>");
            html_txt(db_value(versions[i], j, "orders"));
            html_raw("</td><td><a href=\"/agreement.html?code=");
            html_url_part(code);
            html_raw("&amp;version=");
            html_url_part(db_value(versions[i], j, "version"));
            html_raw("\" target=\"_blank\" rel=\"noopener\">查看</a>"
                     "</td></tr>\n");
        }

        html_raw("</tbody>\n</table>\n<h4>发布新版本</h4>\n");
        agreement_form(req, code, db_value(list, i, "title"),
                       db_value(list, i, "body"));
        html_raw("</section>\n");

        PQclear(versions[i]);
    }

    free(versions);
    PQclear(list);

    html_page_end();
}


void
page_agreement_post(admin_request_t *req)
{
    char            token[AGREEMENT_TOKEN_MAX], done[128];
    PGresult       *res;
    const char     *code, *op, *title, *body, *params[6];
    admin_error_t   err;

    /*
     * a publication's session is admin.agreement_publish()'s to check; a
     * preview, which is a page of its own, checks it first (settle)
     */
    if (admin_session_deferred(req, "admin") != 0) {
        return;
    }

    code = agreement_path_code(req);
    if (code == NULL) {
        return;
    }

    op = admin_field(req, "op");
    title = admin_field(req, "title");
    body = admin_field(req, "body");

    if (op == NULL
        || (strcmp(op, "preview") != 0 && strcmp(op, "publish") != 0))
    {
        memset(&err, 0, sizeof(err));
        err.status = 422;
        snprintf(err.message, sizeof(err.message),
                 "请选择预览或发布。");
        admin_error_page(req, &err, "/admin/agreements");
        return;
    }

    if (strcmp(op, "preview") == 0) {
        if (admin_session_settle(req) != 0) {
            return;
        }

        params[0] = code;
        res = admin_db_call(req, "SELECT name FROM agreements "
                            "WHERE code = $1", 1, params, &err);
        if (res == NULL) {
            admin_error_page(req, &err, "/admin/agreements");
            return;
        }

        if (PQntuples(res) != 1) {
            PQclear(res);
            html_error_page(req, 404, "Not Found", "协议不存在。");
            return;
        }

        html_headers(200, "OK", NULL);
        html_page_begin(req, "预览新版本");
        html_raw("<p class=\"hint\">以下为网站将显示的样子（尚未发布）。"
                 "确认无误后点击“发布为新版本”。</p>\n"
                 "<section class=\"agreement-preview\" id=\"preview\">\n"
                 "<p class=\"agreement-name\">《");
        html_txt(db_value(res, 0, "name"));
        html_raw("》</p>\n<h3 id=\"preview-title\">");
        html_txt(title ? title : "");
        html_raw("</h3>\n<div class=\"agreement-body\" id=\"preview-body\">\n");
        agreement_paragraphs(body ? body : "");
        html_raw("</div>\n</section>\n<section>\n<h3>修改或发布</h3>\n");
        agreement_form(req, code, title ? title : "", body ? body : "");
        html_raw("<p><a href=\"/admin/agreements\">放弃修改，返回</a></p>\n"
                 "</section>\n");
        html_page_end();

        PQclear(res);
        return;
    }

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;
    params[3] = code;
    params[4] = title;
    params[5] = body;

    res = admin_db_call(req,
                        "SELECT admin.agreement_publish($1, $2, $3::inet, $4, "
                        "$5, $6)", 6, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, "/admin/agreements");
        return;
    }

    PQclear(res);

    snprintf(done, sizeof(done), "/admin/agreements?done=published#agreement-%s",
             code);
    admin_redirect(req, done, NULL);
}
