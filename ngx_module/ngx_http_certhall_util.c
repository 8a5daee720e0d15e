/*
 * Helpers the handlers share that belong to no one concern: the module's
 * per-request context, what a request says about its client (address,
 * User-Agent), today's date in Beijing, and the 500 of a request whose
 * body is still unread.
 */

#include "ngx_http_certhall.h"


/* the module's context of r, made on first use; NULL: no memory */

ngx_http_certhall_ctx_t *
ngx_http_certhall_get_ctx(ngx_http_request_t *r)
{
    ngx_http_certhall_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_certhall_module);
    }

    return ctx;
}


/*
 * The client's address as text, for the rate limits: NGX_OK with *addr,
 * NGX_ERROR without memory
 */

ngx_int_t
ngx_http_certhall_client_addr(ngx_http_request_t *r, const char **addr)
{
    u_char     *p;
    ngx_str_t  *text;

    text = &r->connection->addr_text;

    p = ngx_pnalloc(r->pool, text->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    *ngx_cpymem(p, text->data, text->len) = '\0';
    *addr = (const char *) p;

    return NGX_OK;
}


/*
 * The User-Agent, kept with the session so that an account can tell its
 * logins apart; at most 300 bytes of it, as the database keeps.  NGX_OK
 * with *agent (NULL when the request has none), NGX_ERROR without memory.
 */

ngx_int_t
ngx_http_certhall_user_agent(ngx_http_request_t *r, const char **agent)
{
    u_char           *p, c;
    size_t            i, len;
    ngx_table_elt_t  *h;

    *agent = NULL;

    h = r->headers_in.user_agent;
    if (h == NULL) {
        return NGX_OK;
    }

    len = ngx_min(h->value.len, 300);

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
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
    *agent = (const char *) p;

    return NGX_OK;
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


/*
 * 500 internal_error (ngx_http_certhall_internal_error()) for a request
 * whose body has not been read yet: the body is discarded first, as nginx
 * does before its own error pages, or a kept-alive connection would take
 * it for the next request.  If even that fails the connection is not kept.
 */

ngx_int_t
ngx_http_certhall_discard_internal_error(ngx_http_request_t *r)
{
    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    return ngx_http_certhall_internal_error(r);
}
