/*
 * The CGI request: what fcgiwrap hands over in the environment and on
 * standard input, read once into admin_request_t, and the answers that
 * are not pages (redirects).
 *
 * A form body is read only when it says it is a form and is not larger
 * than ADMIN_BODY_MAX; query strings and bodies are decoded by the same
 * parser as the API's forms (lib/ch_form.c), which refuses bad encodings,
 * text that is not UTF-8 and names given twice.  A multipart/form-data body
 * (an upload, of any size) is left on stdin for its page (upload.c).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "admin.h"
#include "ch_date.h"


static const char *
admin_getenv(const char *name)
{
    const char  *v = getenv(name);

    return (v && *v) ? v : NULL;
}


static int
admin_parse(const char *text, size_t len, ch_form_field_t *fields,
    size_t *nfields, char **buf)
{
    size_t  err_at;

    *buf = malloc(len * 2 + 2);
    if (*buf == NULL) {
        return -1;
    }

    if (ch_form_parse((const unsigned char *) text, len, fields,
                      ADMIN_FIELDS_MAX, nfields, *buf, &err_at)
        != CH_FORM_OK)
    {
        return -1;
    }

    return 0;
}


/* the form body: 0, or -1 when it is not one this program takes */
static int
admin_read_body(admin_request_t *req)
{
    char        *body, *end;
    size_t       len, got;
    ssize_t      n;
    const char  *type, *length;
    unsigned long  v;

    type = admin_getenv("CONTENT_TYPE");
    length = admin_getenv("CONTENT_LENGTH");

    if (length == NULL) {
        req->nform = 0;
        return 0;
    }

    /* an upload: the page reads it as it comes, after its own checks */
    if (type != NULL
        && strncasecmp(type, "multipart/form-data",
                       sizeof("multipart/form-data") - 1) == 0)
    {
        errno = 0;
        req->body_left = strtoull(length, &end, 10);

        if (errno || *end != '\0' || length[0] == '-') {
            return -1;
        }

        req->multipart = 1;
        return 0;
    }

    errno = 0;
    v = strtoul(length, &end, 10);

    if (errno || *end != '\0' || v > ADMIN_BODY_MAX) {
        return -1;
    }

    len = v;

    if (len > 0
        && (type == NULL
            || strncasecmp(type, "application/x-www-form-urlencoded",
                           sizeof("application/x-www-form-urlencoded") - 1)
               != 0))
    {
        return -1;
    }

    req->form_len = len;
    body = malloc(len + 1);
    if (body == NULL) {
        return -1;
    }

    for (got = 0; got < len; got += (size_t) n) {
        n = read(STDIN_FILENO, body + got, len - got);

        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            free(body);
            return -1;
        }
    }

    /* the body may hold a password: no copy of it outlives its use */
    if (admin_parse(body, len, req->form, &req->nform, &req->form_buf) != 0) {
        explicit_bzero(body, len);
        free(body);
        return -1;
    }

    explicit_bzero(body, len);
    free(body);

    return 0;
}


int
admin_request_read(admin_request_t *req)
{
    const char  *https, *scheme;

    req->method = admin_getenv("REQUEST_METHOD");
    req->query = admin_getenv("QUERY_STRING");
    req->client = admin_getenv("REMOTE_ADDR");
    req->user_agent = admin_getenv("HTTP_USER_AGENT");

    if (req->method == NULL) {
        req->method = "GET";
    }

    if (req->query == NULL) {
        req->query = "";
    }

    https = admin_getenv("HTTPS");
    scheme = admin_getenv("REQUEST_SCHEME");
    req->https = (https && strcasecmp(https, "on") == 0)
                 || (scheme && strcmp(scheme, "https") == 0);

    if (admin_parse(req->query, strlen(req->query), req->args, &req->nargs,
                    &req->args_buf) != 0)
    {
        html_error_page(req, 400, "Bad Request", "请求参数格式错误。");
        return -1;
    }

    if (strcmp(req->method, "POST") == 0 && admin_read_body(req) != 0) {
        html_error_page(req, 400, "Bad Request",
                        "表单格式错误或内容过大，请返回后重试。");
        return -1;
    }

    return 0;
}


/*
 * The rest of a body the page did not read (an upload refused part way, or
 * before it began), read and dropped once the answer is out: fcgiwrap
 * writes the whole body to the CGI, and a CGI gone before it took it all
 * is a 502 instead of the answer it wrote.  nginx's client_max_body_size
 * bounds what this can be.
 */
void
admin_request_drain(admin_request_t *req)
{
    char     buf[65536];
    ssize_t  n;

    while (req->body_left > 0) {
        n = read(STDIN_FILENO, buf, req->body_left < sizeof(buf)
                                    ? (size_t) req->body_left : sizeof(buf));

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            break;
        }

        req->body_left -= (unsigned long long) n;
    }
}


void
admin_request_free(admin_request_t *req)
{
    free(req->args_buf);

    if (req->form_buf) {
        explicit_bzero(req->form_buf, req->form_len * 2 + 2);
        free(req->form_buf);
    }

    PQclear(req->staff_res);

    if (req->db) {
        PQfinish(req->db);
    }
}


static const char *
admin_lookup(const ch_form_field_t *fields, size_t n, const char *name)
{
    const ch_form_field_t  *f = ch_form_get(fields, n, name);

    return f ? f->value : NULL;
}


const char *
admin_arg(const admin_request_t *req, const char *name)
{
    return admin_lookup(req->args, req->nargs, name);
}


const char *
admin_field(const admin_request_t *req, const char *name)
{
    return admin_lookup(req->form, req->nform, name);
}


/*
 * A date as a person typed it (2026年12月7日, 2026-12-07, 2026/12/7:
 * lib/ch_date.c) as yyyy-mm-dd in buf (CH_DATE_ISO_SIZE bytes), what the
 * database's ::date reads; NULL when nothing was typed, and when it is no
 * day of the calendar, with *bad set (the caller refuses the request with
 * CH_DATE_WRONG).
 */
const char *
admin_date(const char *typed, char *buf, int *bad)
{
    if (typed == NULL) {
        return NULL;
    }

    switch (ch_date_parse(typed, strlen(typed), buf)) {

    case CH_DATE_OK:
        return buf;

    case CH_DATE_EMPTY:
        return NULL;

    default:
        *bad = 1;
        return NULL;
    }
}


/*
 * The checkboxes "<prefix><code>" = 1 of the form as a PostgreSQL text[]
 * literal, "{a,b}" ("{}" when none is checked): the form parser takes a
 * name once, so a group of checkboxes is one name each.  A code must be
 * 1 to max_len bytes of alphabet, which holds no quote, brace, comma or
 * blank, so nothing in the literal needs quoting; at most max_items.
 * Returns 0, or -1 for anything else (the caller refuses the form).
 */
int
admin_checked(const admin_request_t *req, const char *prefix,
    const char *alphabet, size_t max_len, size_t max_items, char *buf,
    size_t size)
{
    size_t       i, n, len, used, plen;
    const char  *code;

    plen = strlen(prefix);
    used = 0;
    n = 0;
    buf[used++] = '{';

    for (i = 0; i < req->nform; i++) {
        if (strncmp(req->form[i].name, prefix, plen) != 0) {
            continue;
        }

        code = req->form[i].name + plen;
        len = strlen(code);

        if (len == 0 || len > max_len || strspn(code, alphabet) != len
            || strcmp(req->form[i].value, "1") != 0
            || ++n > max_items || used + len + 3 > size)
        {
            return -1;
        }

        if (n > 1) {
            buf[used++] = ',';
        }

        memcpy(buf + used, code, len);
        used += len;
    }

    buf[used++] = '}';
    buf[used] = '\0';

    return 0;
}


/* the value of cookie name, into buf; NULL if there is none */
const char *
admin_cookie(const char *name, char *buf, size_t size)
{
    size_t       nlen, vlen;
    const char  *p, *v, *end;

    p = admin_getenv("HTTP_COOKIE");
    if (p == NULL) {
        return NULL;
    }

    nlen = strlen(name);

    while (*p) {
        while (*p == ' ' || *p == ';') {
            p++;
        }

        end = strchr(p, ';');
        if (end == NULL) {
            end = p + strlen(p);
        }

        if ((size_t) (end - p) > nlen && strncmp(p, name, nlen) == 0
            && p[nlen] == '=')
        {
            v = p + nlen + 1;
            vlen = (size_t) (end - v);

            while (vlen > 0 && v[vlen - 1] == ' ') {
                vlen--;
            }

            if (vlen == 0 || vlen >= size) {
                return NULL;
            }

            memcpy(buf, v, vlen);
            buf[vlen] = '\0';

            return buf;
        }

        p = end;
    }

    return NULL;
}


/*
 * A form post must come from the back office's own pages: a browser sends
 * Origin with every POST, and a page of another site cannot make it ours.
 * (The token in every form is the main defence; this one costs nothing.)
 * Without Origin (an old client, a test tool) the token alone decides.
 */
int
admin_same_origin(const admin_request_t *req)
{
    size_t       n;
    const char  *origin, *host, *p;

    origin = admin_getenv("HTTP_ORIGIN");
    if (origin == NULL) {
        return 1;
    }

    host = admin_getenv("HTTP_HOST");
    if (host == NULL) {
        return 0;
    }

    p = req->https ? "https://" : "http://";
    n = strlen(p);

    return strncmp(origin, p, n) == 0 && strcmp(origin + n, host) == 0;
}


/* 303 to a path of this back office (never to a URL given by a client) */
void
admin_redirect(const admin_request_t *req, const char *location,
    const char *cookies)
{
    (void) req;

    printf("Status: 303 See Other\r\n"
           "Location: %s\r\n"
           "%s"
           "Content-Type: text/html; charset=utf-8\r\n"
           "Cache-Control: no-store\r\n"
           "X-Content-Type-Options: nosniff\r\n"
           "X-Frame-Options: DENY\r\n"
           "Referrer-Policy: same-origin\r\n"
           "Content-Security-Policy: default-src 'none'; "
           "frame-ancestors 'none'\r\n"
           "\r\n", location, cookies ? cookies : "");
}
