/*
 * Writing HTML to the CGI's standard output.  Every value that did not come
 * from this program's own string constants goes through html_txt() or
 * html_attr().
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_date.h"
#include "ch_html.h"


void
html_raw(const char *s)
{
    fputs(s, stdout);
}


static void
html_escaped(const char *s)
{
    unsigned char  buf[1024], *out;
    size_t         len, n;

    len = strlen(s);

    /* the escaped form is at most 6 times longer ("&quot;") */
    out = (len * 6 <= sizeof(buf)) ? buf : malloc(len * 6);

    if (out == NULL) {
        return;
    }

    n = ch_html_escape(out, (const unsigned char *) s, len);
    fwrite(out, 1, n, stdout);

    if (out != buf) {
        free(out);
    }
}


void
html_txt(const char *s)
{
    html_escaped(s);
}


void
html_attr(const char *s)
{
    /* ch_html_escape escapes quotes too, so one function serves both */
    html_escaped(s);
}


/* the headers of every page; extra: more header lines ("Name: v\r\n") */
void
html_headers(int status, const char *reason, const char *extra)
{
    printf("Status: %d %s\r\n"
           "%s"
           "Content-Type: text/html; charset=utf-8\r\n"
           "Cache-Control: no-store\r\n"
           "X-Content-Type-Options: nosniff\r\n"
           "X-Frame-Options: DENY\r\n"
           "Referrer-Policy: same-origin\r\n"
           "Content-Security-Policy: default-src 'self'; img-src 'self' data:;"
           " style-src 'self'; script-src 'self'; form-action 'self';"
           " frame-ancestors 'none'; base-uri 'none'\r\n"
           "\r\n", status, reason, extra ? extra : "");
}


/* the page's head, and the navigation once a staff member is signed in */
void
html_page_begin(const admin_request_t *req, const char *title)
{
    html_raw("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
             "<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width\">\n"
             "<title>");
    html_txt(title);
    html_raw(" - certhall 后台</title>\n"
             "<link rel=\"stylesheet\" href=\"/admin/static/admin.css\">\n"
             "</head>\n<body>\n<header><h1><a href=\"/admin/\">"
             "certhall 在线服务厅 · 后台</a></h1>\n");

    if (req && req->staff.login) {
        html_raw("<nav><a href=\"/admin/orders\">订单</a>");

        if (refunds_visible(req)) {
            html_raw(" <a href=\"/admin/alipay/refunds\">支付宝退款</a>");
        }

        if (invoices_visible(req)) {
            html_raw(" <a href=\"/admin/invoices\">发票</a>");
        }

        if (admin_has_role(req, "admin")) {
            html_raw(" <a href=\"/admin/audit\">审计日志</a>"
                     " <a href=\"/admin/staff\">员工管理</a>"
                     " <a href=\"/admin/agreements\">协议文本</a>"
                     " <a href=\"/admin/downloads\">下载中心</a>");
        }

        html_raw(" <a href=\"/admin/password\">修改密码</a>"
                 " <a href=\"/admin/status\">系统状态</a>"
                 " <span id=\"staff\">");
        html_txt(req->staff.name);
        html_raw("（");
        html_txt(req->staff.login);
        html_raw("）</span>"
                 " <form method=\"post\" action=\"/admin/logout\" "
                 "class=\"inline\">");
        html_csrf(req);
        html_raw("<button type=\"submit\">退出</button></form></nav>\n");
    }

    html_raw("</header>\n<main>\n<h2>");
    html_txt(title);
    html_raw("</h2>\n");
}


void
html_page_end(void)
{
    html_raw("</main>\n<footer>certhall-admin " ADMIN_VERSION "</footer>\n"
             "</body>\n</html>\n");
}


void
html_error_page(admin_request_t *req, int status, const char *reason,
    const char *message)
{
    if (admin_session_settle(req) != 0) {
        return;
    }

    html_headers(status, reason, NULL);
    html_page_begin(req, status == 404 ? "页面不存在" : "操作未完成");
    html_raw("<p class=\"error\" id=\"error\">");
    html_txt(message);
    html_raw("</p>\n");
    html_page_end();
}


/* the session's form token, in every form that posts */
void
html_csrf(const admin_request_t *req)
{
    html_raw("<input type=\"hidden\" name=\"csrf\" value=\"");
    html_attr(req->staff.csrf ? req->staff.csrf : "");
    html_raw("\">");
}


void
html_long(long long v)
{
    printf("%lld", v);
}


/* integer fen as yuan: "30000" -> "300.00"; anything else as it is */
void
html_money(const char *fen)
{
    char       *end;
    long long   v;

    if (fen == NULL || *fen == '\0') {
        html_raw("—");
        return;
    }

    v = strtoll(fen, &end, 10);

    if (*end != '\0') {
        html_txt(fen);
        return;
    }

    printf("%s%lld.%02lld", v < 0 ? "-" : "", (v < 0 ? -v : v) / 100,
           (v < 0 ? -v : v) % 100);
}


/*
 * A timestamptz as PostgreSQL writes it (ISO, Beijing): 2026年12月07日 14:30;
 * a date stays a day.  What is not an ISO date is shown as it is.
 */
void
html_time(const char *ts)
{
    char  buf[CH_DATE_TEXT_SIZE];

    if (ts == NULL || *ts == '\0') {
        html_raw("—");
        return;
    }

    html_txt(ch_date_time_text(buf, ts) ? buf : ts);
}


/* the day of a timestamptz, or a date: 2026年12月07日 */
void
html_date(const char *ts)
{
    char  buf[CH_DATE_TEXT_SIZE];

    if (ts == NULL || *ts == '\0') {
        html_raw("—");
        return;
    }

    html_txt(ch_date_text(buf, ts) ? buf : ts);
}


/*
 * A date field: a text input (a browser's type=date shows its own locale's
 * mm/dd/yyyy, never 年/月/日) holding iso (yyyy-mm-dd, or NULL) as
 * 2026年12月07日, described by the element hint_id (html_date_hint()).
 * What is typed is read by admin_date().
 */
void
html_date_input(const char *name, const char *iso, const char *hint_id,
    int required)
{
    html_raw("<input type=\"text\" name=\"");
    html_attr(name);
    html_raw("\" size=\"14\" maxlength=\"40\" placeholder=\"年/月/日\" "
             "autocomplete=\"off\" aria-describedby=\"");
    html_attr(hint_id);
    html_raw(required ? "\" required value=\"" : "\" value=\"");

    if (iso && *iso) {
        html_date(iso);
    }

    html_raw("\">");
}


/*
 * A filter's range of days, from and to (yyyy-mm-dd or NULL), each end
 * labelled, the hint once: "<label>提交日期 [from]</label> <label>至 [to]</label>
 * 如 2026年12月7日…"
 */
void
html_date_range(const char *label, const char *from, const char *to)
{
    html_raw("<label>");
    html_txt(label);
    html_raw(" ");
    html_date_input("from", from, "date-hint", 0);
    html_raw("</label> <label>至 ");
    html_date_input("to", to, "date-hint", 0);
    html_raw("</label> ");
    html_date_hint("date-hint");
}


/* the hint of the date fields that name it */
void
html_date_hint(const char *id)
{
    html_raw("<span class=\"hint\" id=\"");
    html_attr(id);
    html_raw("\">" CH_DATE_HINT "</span>");
}


/* a value for a URL's query string: percent-encoded, then for the attribute */
void
html_url_part(const char *s)
{
    const unsigned char  *p;

    static const char  hex[] = "0123456789ABCDEF";

    for (p = (const unsigned char *) s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
            || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'
            || *p == '.' || *p == '~')
        {
            putchar(*p);

        } else {
            printf("%%%c%c", hex[*p >> 4], hex[*p & 0xf]);
        }
    }
}


/* <option value="v" selected>label</option> */
void
html_option(const char *value, const char *label, const char *current)
{
    html_raw("<option value=\"");
    html_attr(value);
    html_raw("\"");

    if (current && strcmp(current, value) == 0) {
        html_raw(" selected");
    }

    html_raw(">");
    html_txt(label);
    html_raw("</option>");
}
