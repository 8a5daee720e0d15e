/*
 * Helpers the handlers share that belong to no one concern: the module's
 * per-request context, what a request says about its client (address,
 * User-Agent), today's date in Beijing, the 500 of a request whose
 * body is still unread, and reading a file named in the configuration
 * (secrets, keys).
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


/*
 * Reads the whole file name (relative to the prefix) at configuration
 * time into memory from pool, NUL-terminated, refusing one larger than
 * max bytes: the secrets and keys the directives name.  "what" names the
 * content in the error ("secret", "PEM key").  The callers wipe what they
 * do not keep.
 */

ngx_int_t
ngx_http_certhall_conf_read_file(ngx_conf_t *cf, ngx_str_t *file_name,
    size_t max, ngx_pool_t *pool, const char *what, ngx_str_t *content)
{
    u_char           *p;
    ssize_t           n;
    ngx_str_t         name;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    name = *file_name;

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = name;
    file.log = cf->log;

    file.fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", name.data);
        return NGX_ERROR;
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", name.data);
        goto failed;
    }

    if (ngx_file_size(&fi) > (off_t) max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is too large for a %s", name.data, what);
        goto failed;
    }

    p = ngx_pnalloc(pool, (size_t) ngx_file_size(&fi) + 1);
    if (p == NULL) {
        goto failed;
    }

    n = ngx_read_file(&file, p, (size_t) ngx_file_size(&fi), 0);
    if (n != (ssize_t) ngx_file_size(&fi)) {
        goto failed;
    }

    p[n] = '\0';
    content->data = p;
    content->len = n;

    ngx_close_file(file.fd);

    return NGX_OK;

failed:

    ngx_close_file(file.fd);

    return NGX_ERROR;
}
