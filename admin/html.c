/*
 * Writing HTML to the CGI's standard output.  Every value that did not come
 * from this program's own string constants goes through html_txt() or
 * html_attr().
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
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


void
html_headers(int status, const char *reason)
{
    printf("Status: %d %s\r\n"
           "Content-Type: text/html; charset=utf-8\r\n"
           "Cache-Control: no-store\r\n"
           "X-Content-Type-Options: nosniff\r\n"
           "X-Frame-Options: DENY\r\n"
           "Referrer-Policy: same-origin\r\n"
           "Content-Security-Policy: default-src 'self'; img-src 'self' data:;"
           " style-src 'self'; script-src 'self'; form-action 'self';"
           " frame-ancestors 'none'; base-uri 'none'\r\n"
           "\r\n", status, reason);
}


void
html_page_begin(const char *title)
{
    html_raw("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
             "<meta charset=\"utf-8\">\n<title>");
    html_txt(title);
    html_raw(" - certhall 后台</title>\n"
             "<link rel=\"stylesheet\" href=\"/admin/static/admin.css\">\n"
             "</head>\n<body>\n<header><h1>certhall 在线服务厅 · 后台</h1>"
             "</header>\n<main>\n");
}


void
html_page_end(void)
{
    html_raw("</main>\n<footer>certhall-admin " ADMIN_VERSION "</footer>\n"
             "</body>\n</html>\n");
}


void
html_error_page(int status, const char *reason, const char *message)
{
    html_headers(status, reason);
    html_page_begin(reason);
    html_raw("<p class=\"error\">");
    html_txt(message);
    html_raw("</p>\n");
    html_page_end();
}
