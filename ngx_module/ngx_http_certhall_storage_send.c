/*
 * Serving a stored file (an order's material, a download of the download
 * centre): once the database has named it, the request goes to the
 * internal location certhall_storage_uri with the headers the caller
 * chose, and nginx's own static handler sends DIR/<sha256[0:2]>/<sha256>,
 * with its ranges, HEAD and conditional requests.
 *
 * A caller that must tell a missing copy from a file that was never
 * there (a download, an invoice: the database says it exists) has the
 * thread pool look for it first (ngx_http_certhall_storage_send_checked):
 * a row whose file has gone (a lost disk, a restore of the database
 * alone) is the server's fault, and the answer says so in JSON (503,
 * logged) rather than as nginx's HTML 404 page, which would tell the
 * applicant the file does not exist.
 *
 * The ETag of such a file is its SHA-256: the file at that name never
 * changes, so its content address is the strongest validator there is.
 * The static handler makes its own (mtime and size) in the internal
 * location; a header filter puts the address in its place, before the
 * not-modified filter compares it with If-None-Match.
 */

#include "ngx_http_certhall.h"


#if (NGX_THREADS)
static void ngx_http_certhall_storage_stat(void *data, ngx_log_t *log);
static void ngx_http_certhall_storage_resume(ngx_http_request_t *r);
#endif
static ngx_int_t ngx_http_certhall_storage_etag_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/*
 * Sends the stored file sha256 (64 lower-case hex digits, else 500) as
 * media_type, with the n headers given, through the internal location;
 * returns what the caller's handler returns (NGX_DONE, or the error
 * answer's).  The headers are added only once all else is ready, so that
 * an error answer carries none of them.
 */

ngx_int_t
ngx_http_certhall_storage_send(ngx_http_request_t *r, const char *sha256,
    const char *media_type, ngx_keyval_t *headers, ngx_uint_t n)
{
    ngx_str_t                       uri;
    ngx_uint_t                      i;
    ngx_table_elt_t                *h;
    ngx_http_certhall_main_conf_t  *mcf;

    if (sha256 == NULL
        || !ngx_http_certhall_storage_name((u_char *) sha256,
                                           ngx_strlen(sha256)))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: the database named no stored file");
        return ngx_http_certhall_internal_error(r);
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    uri.len = mcf->storage_uri.len + 3 + 64;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_sprintf(uri.data, "%V%*s/%*s", &mcf->storage_uri, (size_t) 2, sha256,
                (size_t) 64, sha256);

    for (i = 0; i < n; i++) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return ngx_http_certhall_internal_error(r);
        }

        h->hash = 1;
        h->key = headers[i].key;
        h->value = headers[i].value;
    }

    r->headers_out.content_type.len = ngx_strlen(media_type);
    r->headers_out.content_type.data = (u_char *) media_type;
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    /* what X-Accel-Redirect does for a proxied answer */

    (void) ngx_http_internal_redirect(r, &uri, NULL);

    return NGX_DONE;
}


/*
 * ngx_http_certhall_storage_send() of f once the thread pool has found
 * its stored copy; f->code and f->message answer 503 (Retry-After: 300)
 * if it is missing, logged with f->what.  f is kept in the request's
 * context (ctx->data) until then.  Returns NGX_DONE or an error answer's.
 */

ngx_int_t
ngx_http_certhall_storage_send_checked(ngx_http_request_t *r,
    ngx_http_certhall_stored_t *f)
{
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_main_conf_t  *mcf;
#if (NGX_THREADS)
    ngx_int_t                       rc;
#endif

    if (f->sha256 == NULL
        || !ngx_http_certhall_storage_name((u_char *) f->sha256,
                                           ngx_strlen(f->sha256)))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: %s: the database named no stored file",
                      f->what);
        return ngx_http_certhall_internal_error(r);
    }

    ctx = ngx_http_certhall_get_ctx(r);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    f->path = ngx_pnalloc(r->pool, mcf->storage.len + 4 + 64 + 1);

    if (ctx == NULL || f->path == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_sprintf(f->path, "%V/%*s/%s%Z", &mcf->storage, (size_t) 2, f->sha256,
                f->sha256);

    ctx->data = f;

#if (NGX_THREADS)

    rc = ngx_http_certhall_thread_run(r, mcf->upload_thread_pool,
                                      ngx_http_certhall_storage_stat, f,
                                      ngx_http_certhall_storage_resume);

    if (rc == NGX_DECLINED) {
        /* the pool's queue is full: nginx has logged it */
        return ngx_http_certhall_server_busy(r);
    }

    if (rc != NGX_DONE) {
        return ngx_http_certhall_internal_error(r);
    }

    return NGX_DONE;

#else

    /* nginx refuses to start "certhall" without threads */

    return ngx_http_certhall_internal_error(r);

#endif
}


#if (NGX_THREADS)

/* in a thread of the pool: f is the request's, kept by r->main->blocked */

static void
ngx_http_certhall_storage_stat(void *data, ngx_log_t *log)
{
    ngx_http_certhall_stored_t *f = data;

    ngx_file_info_t  fi;

    if (ngx_file_info(f->path, &fi) == NGX_FILE_ERROR) {
        f->err = ngx_errno;
        return;
    }

    f->not_file = !ngx_is_file(&fi);
}


static void
ngx_http_certhall_storage_resume(ngx_http_request_t *r)
{
    ngx_http_certhall_ctx_t     *ctx;
    ngx_http_certhall_stored_t  *f;

    r->write_event_handler = ngx_http_request_empty_handler;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    f = ctx->data;

    if (f->err || f->not_file) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, f->err,
                      "certhall: %s: stored file \"%s\" %s",
                      f->what, f->path,
                      f->err ? "missing" : "is not a regular file");

        ngx_http_finalize_request(r,
            ngx_http_certhall_send_unavailable(r, f->code, f->message, 300));
        return;
    }

    ngx_http_finalize_request(r,
        ngx_http_certhall_storage_send(r, f->sha256, f->media_type,
                                       f->headers, f->nheaders));
}

#endif


/* a content address: 64 lower-case hex digits, nothing a path could abuse */

ngx_uint_t
ngx_http_certhall_storage_name(u_char *name, size_t len)
{
    ngx_uint_t  i;

    if (len != 64) {
        return 0;
    }

    for (i = 0; i < 64; i++) {
        if (!((name[i] >= '0' && name[i] <= '9')
              || (name[i] >= 'a' && name[i] <= 'f')))
        {
            return 0;
        }
    }

    return 1;
}


ngx_int_t
ngx_http_certhall_storage_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_certhall_storage_etag_filter;

    return NGX_OK;
}


/*
 * The internal location's answers only: an internal request whose URI is
 * certhall_storage_uri, two hex digits, "/" and 64 more, and that has an
 * ETag (a 200 or a 304 of the static handler; an error answer has none)
 */

static ngx_int_t
ngx_http_certhall_storage_etag_filter(ngx_http_request_t *r)
{
    u_char                         *p, *name;
    ngx_http_certhall_main_conf_t  *mcf;

    if (!r->internal || r->headers_out.etag == NULL) {
        return ngx_http_next_header_filter(r);
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf == NULL || mcf->storage_uri.len == 0
        || r->uri.len != mcf->storage_uri.len + 3 + 64
        || ngx_strncmp(r->uri.data, mcf->storage_uri.data,
                       mcf->storage_uri.len) != 0)
    {
        return ngx_http_next_header_filter(r);
    }

    name = r->uri.data + mcf->storage_uri.len + 3;

    if (!ngx_http_certhall_storage_name(name, 64)) {
        return ngx_http_next_header_filter(r);
    }

    p = ngx_pnalloc(r->pool, 64 + 2);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p[0] = '"';
    ngx_memcpy(p + 1, name, 64);
    p[65] = '"';

    r->headers_out.etag->value.data = p;
    r->headers_out.etag->value.len = 66;

    return ngx_http_next_header_filter(r);
}
