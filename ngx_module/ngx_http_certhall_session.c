/*
 * Sessions as the request path sees them: the certhall_session cookie,
 * the CSRF token header, the same-origin check of state-changing
 * requests, the cookies an answer sets, and the statements run with the
 * session.  Logging in and out (POST, DELETE /api/session) is
 * ngx_http_certhall_login.c.
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


static ngx_int_t ngx_http_certhall_token(ngx_http_request_t *r,
    ngx_str_t *value, const char **token);
static ngx_table_elt_t *ngx_http_certhall_header_in(ngx_http_request_t *r,
    const char *name, size_t len);
static ngx_int_t ngx_http_certhall_set_cookie(ngx_http_request_t *r,
    const char *name, const char *value, ngx_uint_t http_only);


static ngx_str_t  ngx_http_certhall_session_cookie =
    ngx_string("certhall_session");


/*
 * The session token of the cookie: NGX_OK with *token, NULL when the
 * request has none (or what it has cannot be one); NGX_ERROR without
 * memory, which must not read as "not logged in".
 */

ngx_int_t
ngx_http_certhall_session_token(ngx_http_request_t *r, const char **token)
{
    ngx_str_t  value;

    *token = NULL;

#if (nginx_version >= 1023000)

    if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie,
                                          &ngx_http_certhall_session_cookie,
                                          &value)
        == NULL)
    {
        return NGX_OK;
    }

#else

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies,
                                          &ngx_http_certhall_session_cookie,
                                          &value)
        == NGX_DECLINED)
    {
        return NGX_OK;
    }

#endif

    return ngx_http_certhall_token(r, &value, token);
}


/* the X-CSRF-Token header: as ngx_http_certhall_session_token() */

ngx_int_t
ngx_http_certhall_csrf_token(ngx_http_request_t *r, const char **token)
{
    ngx_table_elt_t  *h;

    *token = NULL;

    h = ngx_http_certhall_header_in(r, "X-CSRF-Token",
                                    sizeof("X-CSRF-Token") - 1);

    return h ? ngx_http_certhall_token(r, &h->value, token) : NGX_OK;
}


/*
 * 43 characters of base64url, NUL-terminated, in *token, or NULL: nothing
 * else reaches the database.  NGX_ERROR: no memory.
 */

static ngx_int_t
ngx_http_certhall_token(ngx_http_request_t *r, ngx_str_t *value,
    const char **token)
{
    u_char      *p;
    ngx_uint_t   i;

    *token = NULL;

    if (value->len != NGX_HTTP_CERTHALL_TOKEN_LEN) {
        return NGX_OK;
    }

    for (i = 0; i < value->len; i++) {
        p = &value->data[i];

        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
        {
            return NGX_OK;
        }
    }

    p = ngx_pnalloc(r->pool, value->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    *ngx_cpymem(p, value->data, value->len) = '\0';
    *token = (const char *) p;

    return NGX_OK;
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
 * the answer: 401 without a session cookie, 500 without memory.
 */

ngx_http_certhall_db_query_t *
ngx_http_certhall_session_query(ngx_http_request_t *r, ngx_uint_t stmt,
    ngx_int_t *rc)
{
    const char                    *token, *csrf;
    ngx_http_certhall_db_query_t  *q;

    if (ngx_http_certhall_session_token(r, &token) != NGX_OK) {
        *rc = ngx_http_certhall_discard_internal_error(r);
        return NULL;
    }

    if (token == NULL) {
        *rc = ngx_http_certhall_not_logged_in(r);
        return NULL;
    }

    csrf = NULL;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
        && ngx_http_certhall_csrf_token(r, &csrf) != NGX_OK)
    {
        *rc = ngx_http_certhall_discard_internal_error(r);
        return NULL;
    }

    q = ngx_http_certhall_db_query(r, stmt);
    if (q == NULL) {
        *rc = ngx_http_certhall_discard_internal_error(r);
        return NULL;
    }

    q->values[NGX_HTTP_CERTHALL_PARAM_SESSION] = token;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        q->values[NGX_HTTP_CERTHALL_PARAM_CSRF] = csrf;
    }

    return q;
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
