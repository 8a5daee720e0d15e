/*
 * Sessions as the request path sees them: the certhall_session cookie,
 * the CSRF token header, the same-origin check of state-changing
 * requests, and the cookies an answer sets.
 *
 * The session itself lives in the database (sessions): the cookie holds
 * a random token, the table its SHA-256, so that logging out or a password
 * reset ends it for good and a stolen table opens no session.  Every SQL
 * function that needs a session checks it (session_check()) in the same
 * transaction as its work.
 *
 * CSRF: the cookie is SameSite=Lax, every state-changing request must
 * come from our own origin when the browser says where it comes from
 * (Origin, Sec-Fetch-Site), and one made with the session must carry the
 * session's CSRF token in X-CSRF-Token, which a cross-site form cannot
 * send.  The website reads the token from the certhall_csrf cookie.
 */

#include "ngx_http_certhall.h"


#define NGX_HTTP_CERTHALL_TOKEN_LEN  43     /* 32 bytes, base64url */


static const char *ngx_http_certhall_token(ngx_http_request_t *r,
    ngx_str_t *value);
static ngx_table_elt_t *ngx_http_certhall_header_in(ngx_http_request_t *r,
    const char *name, size_t len);
static ngx_int_t ngx_http_certhall_set_cookie(ngx_http_request_t *r,
    const char *name, const char *value, ngx_uint_t http_only);


static ngx_str_t  ngx_http_certhall_session_cookie =
    ngx_string("certhall_session");


/* the session token of the cookie, or NULL if there is none */

const char *
ngx_http_certhall_session_token(ngx_http_request_t *r)
{
    ngx_str_t  value;

#if (nginx_version >= 1023000)

    if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie,
                                          &ngx_http_certhall_session_cookie,
                                          &value)
        == NULL)
    {
        return NULL;
    }

#else

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies,
                                          &ngx_http_certhall_session_cookie,
                                          &value)
        == NGX_DECLINED)
    {
        return NULL;
    }

#endif

    return ngx_http_certhall_token(r, &value);
}


/* the X-CSRF-Token header, or NULL */

const char *
ngx_http_certhall_csrf_token(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_http_certhall_header_in(r, "X-CSRF-Token",
                                    sizeof("X-CSRF-Token") - 1);

    return h ? ngx_http_certhall_token(r, &h->value) : NULL;
}


/*
 * 43 characters of base64url, NUL-terminated, or NULL: nothing else
 * reaches the database.
 */

static const char *
ngx_http_certhall_token(ngx_http_request_t *r, ngx_str_t *value)
{
    u_char      *p;
    ngx_uint_t   i;

    if (value->len != NGX_HTTP_CERTHALL_TOKEN_LEN) {
        return NULL;
    }

    for (i = 0; i < value->len; i++) {
        p = &value->data[i];

        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
        {
            return NULL;
        }
    }

    p = ngx_pnalloc(r->pool, value->len + 1);
    if (p == NULL) {
        return NULL;
    }

    *ngx_cpymem(p, value->data, value->len) = '\0';

    return (const char *) p;
}


/*
 * Whether a state-changing request may come from where the browser says
 * it comes from: NGX_OK when it says nothing (not a browser, or an old
 * one: the CSRF token still guards), or names this host; NGX_DECLINED for
 * another site.
 */

ngx_int_t
ngx_http_certhall_same_origin(ngx_http_request_t *r)
{
    u_char           *p;
    size_t            len;
    ngx_table_elt_t  *h, *host;

    h = ngx_http_certhall_header_in(r, "Sec-Fetch-Site",
                                    sizeof("Sec-Fetch-Site") - 1);

    if (h && h->value.len == sizeof("cross-site") - 1
        && ngx_strncasecmp(h->value.data, (u_char *) "cross-site",
                           h->value.len) == 0)
    {
        return NGX_DECLINED;
    }

    h = ngx_http_certhall_header_in(r, "Origin", sizeof("Origin") - 1);
    if (h == NULL) {
        return NGX_OK;
    }

    host = r->headers_in.host;
    if (host == NULL) {
        return NGX_DECLINED;
    }

    /*
     * http or https: behind a proxy that ends TLS the scheme nginx sees is
     * not the browser's; the host is what tells one site from another
     */

    p = h->value.data;
    len = h->value.len;

    if (len > sizeof("https://") - 1
        && ngx_strncasecmp(p, (u_char *) "https://", sizeof("https://") - 1)
           == 0)
    {
        p += sizeof("https://") - 1;
        len -= sizeof("https://") - 1;

    } else if (len > sizeof("http://") - 1
               && ngx_strncasecmp(p, (u_char *) "http://",
                                  sizeof("http://") - 1)
                  == 0)
    {
        p += sizeof("http://") - 1;
        len -= sizeof("http://") - 1;

    } else {
        return NGX_DECLINED;    /* "null", or no URL at all */
    }

    if (len != host->value.len
        || ngx_strncasecmp(p, host->value.data, len) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The cookies of a new session (token and csrf), or, with token "", the
 * cookies that end one.  A session cookie lasts as long as the browser;
 * the database ends the session on its own schedule.
 */

ngx_int_t
ngx_http_certhall_session_cookies(ngx_http_request_t *r, const char *token,
    const char *csrf)
{
    if (ngx_http_certhall_set_cookie(r, "certhall_session", token, 1)
        != NGX_OK
        || ngx_http_certhall_set_cookie(r, "certhall_csrf",
                                        token[0] ? csrf : "", 0)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_certhall_set_cookie(ngx_http_request_t *r, const char *name,
    const char *value, ngx_uint_t http_only)
{
    u_char           *p;
    size_t            len;
    ngx_uint_t        secure;
    ngx_table_elt_t  *h;

    secure = 0;

#if (NGX_HTTP_SSL)
    secure = (r->connection->ssl != NULL);
#endif

    len = ngx_strlen(name) + 1 + ngx_strlen(value)
          + sizeof("; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure") - 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = p;

    p = ngx_sprintf(p, "%s=%s; Path=/", name, value);

    if (value[0] == '\0') {
        p = ngx_cpymem(p, "; Max-Age=0", sizeof("; Max-Age=0") - 1);
    }

    if (http_only) {
        p = ngx_cpymem(p, "; HttpOnly", sizeof("; HttpOnly") - 1);
    }

    p = ngx_cpymem(p, "; SameSite=Lax", sizeof("; SameSite=Lax") - 1);

    if (secure) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    h->value.len = p - h->value.data;

    return NGX_OK;
}


ngx_int_t
ngx_http_certhall_not_logged_in(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_certhall_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                        "not_logged_in", NULL, "请先登录");
}


/*
 * The whole of a handler whose answer is one statement of the session
 * (GET /api/me, POST /api/messages/read-all ...): 401 without a session
 * cookie.
 */

ngx_int_t
ngx_http_certhall_session_answer(ngx_http_request_t *r, ngx_uint_t stmt)
{
    ngx_int_t                      rc;
    ngx_http_certhall_db_query_t  *q;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    q = ngx_http_certhall_session_query(r, stmt, &rc);
    if (q == NULL) {
        return rc;
    }

    return ngx_http_certhall_db_run(r, q);
}


/*
 * A statement of the session: $1 the session token and, for a request
 * that changes state, $2 the CSRF token it carries (the statement checks
 * both, session_check()); the caller fills in the rest.  NULL with *rc
 * the answer: 401 without a session cookie.
 */

ngx_http_certhall_db_query_t *
ngx_http_certhall_session_query(ngx_http_request_t *r, ngx_uint_t stmt,
    ngx_int_t *rc)
{
    const char                    *token;
    ngx_http_certhall_db_query_t  *q;

    token = ngx_http_certhall_session_token(r);
    if (token == NULL) {
        *rc = ngx_http_certhall_not_logged_in(r);
        return NULL;
    }

    q = ngx_http_certhall_db_query(r, stmt);
    if (q == NULL) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NULL;
    }

    q->values[0] = token;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        q->values[1] = ngx_http_certhall_csrf_token(r);
    }

    return q;
}


/* the client's address as text, for the rate limits */

const char *
ngx_http_certhall_client_addr(ngx_http_request_t *r)
{
    u_char     *p;
    ngx_str_t  *addr;

    addr = &r->connection->addr_text;

    p = ngx_pnalloc(r->pool, addr->len + 1);
    if (p == NULL) {
        return NULL;
    }

    *ngx_cpymem(p, addr->data, addr->len) = '\0';

    return (const char *) p;
}


/*
 * The User-Agent, kept with the session so that an account can tell its
 * logins apart; at most 300 bytes of it, as the database keeps.
 */

const char *
ngx_http_certhall_user_agent(ngx_http_request_t *r)
{
    u_char           *p, c;
    size_t            i, len;
    ngx_table_elt_t  *h;

    h = r->headers_in.user_agent;
    if (h == NULL) {
        return NULL;
    }

    len = ngx_min(h->value.len, 300);

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NULL;
    }

    /*
     * printable ASCII only: anything else could be no UTF-8, which the
     * database would refuse, and user agents are ASCII anyway
     */

    for (i = 0; i < len; i++) {
        c = h->value.data[i];
        p[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }

    p[len] = '\0';

    return (const char *) p;
}


/* today's date in Beijing as yyyymmdd, for the ID numbers' birth dates */

long
ngx_http_certhall_today(void)
{
    ngx_tm_t  tm;

    ngx_libc_gmtime(ngx_time() + 8 * 3600, &tm);

    return (long) (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100
           + tm.tm_mday;
}


static ngx_table_elt_t *
ngx_http_certhall_header_in(ngx_http_request_t *r, const char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}
