/*
 * Uploads (资料上传, 公对公转账凭证): POST /api/orders/{id}/materials/{kind}
 * and POST /api/orders/{id}/voucher.
 *
 * An upload goes through four steps, each refusing as early as it can:
 *
 * 1. Before the body is read, the database says whether this account may
 *    upload this kind to this order now, and how large it may be (401,
 *    403, 404, 409); a Content-Length over that is 413 at once.  No "100
 *    Continue" is sent before that answer, so a client that waits for it
 *    sends nothing that would be refused.
 *
 * 2. The body is read unbuffered and checked as it comes: parsed,
 *    sniffed (415, 422 at once), counted (413 at once), hashed and written
 *    to a temporary file (ngx_http_certhall_upload_body.c).
 *
 * 3. In the thread pool (certhall_upload_thread_pool): the whole file is
 *    checked by its content (lib/ch_filecheck.c: decodable, nothing
 *    trailing, resolution, colour; PDF structure and active content),
 *    then flushed to disk, linked to its content address DIR/ab/<sha256>
 *    and the temporary name removed (ngx_http_certhall_storage.c).
 *    Decoding takes milliseconds: never in the event loop.
 *
 * 4. The database records the material (and, for a voucher, moves the
 *    order to review) in one transaction, re-checking everything with the
 *    order locked.
 *
 * A refusal anywhere removes what the upload made: the temporary file,
 * and the stored file if this upload created it and its row was not
 * written.  A pool cleanup does the same for a request that ends any other
 * way (the client goes away), so neither a half file nor an orphan is left.
 * A worker that exits with uploads under way (its requests never end)
 * removes their temporary files; a worker's start removes the old ones a
 * killed worker left (ngx_http_certhall_storage.c).
 */

#include "ngx_http_certhall_upload.h"

#include <sys/mman.h>


/*
 * The parameters of the statements filled here; the first ones are the
 * session's (ngx_http_certhall_session_query): $1 the session token, $2
 * the CSRF token.
 */

enum {
    NGX_HTTP_CERTHALL_UPLOAD_CHECK_ORDER = 2,
    NGX_HTTP_CERTHALL_UPLOAD_CHECK_KIND
};

enum {
    NGX_HTTP_CERTHALL_MATERIAL_PUT_ORDER = 2,
    NGX_HTTP_CERTHALL_MATERIAL_PUT_KIND,
    NGX_HTTP_CERTHALL_MATERIAL_PUT_SHA256,
    NGX_HTTP_CERTHALL_MATERIAL_PUT_SIZE,
    NGX_HTTP_CERTHALL_MATERIAL_PUT_FORMAT,
    NGX_HTTP_CERTHALL_MATERIAL_PUT_WIDTH,
    NGX_HTTP_CERTHALL_MATERIAL_PUT_HEIGHT,
    NGX_HTTP_CERTHALL_MATERIAL_PUT_PAGES,
    NGX_HTTP_CERTHALL_MATERIAL_PUT_NAME
};


static ngx_int_t ngx_http_certhall_upload_allowed(ngx_http_request_t *r,
    PGresult *res, void *data);
static void ngx_http_certhall_upload_not_allowed(ngx_http_request_t *r,
    void *data);
static void ngx_http_certhall_upload_thread(void *data, ngx_log_t *log);
static void ngx_http_certhall_upload_resume(ngx_http_request_t *r);
static const char *ngx_http_certhall_upload_number(ngx_http_request_t *r,
    off_t n);
static ngx_int_t ngx_http_certhall_upload_committed(ngx_http_request_t *r,
    PGresult *res, void *data);
static void ngx_http_certhall_upload_commit_failed(ngx_http_request_t *r,
    void *data);
static void ngx_http_certhall_upload_cleanup(void *data);
static void ngx_http_certhall_upload_abandon(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u);
static ngx_int_t ngx_http_certhall_upload_refuse_early(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message);
static ngx_int_t ngx_http_certhall_upload_fail_early(ngx_http_request_t *r);


static ngx_str_t  ngx_http_certhall_multipart_type =
    ngx_string("multipart/form-data");


/* POST /api/orders/{id}/voucher: the bank transfer's voucher */

ngx_int_t
ngx_http_certhall_voucher(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_upload(r, params, "transfer_voucher");
}


/* step 1: may this be uploaded, and how large? */

ngx_int_t
ngx_http_certhall_upload(ngx_http_request_t *r, ch_route_params_t *params,
    const char *kind)
{
    ngx_int_t                       rc;
    ngx_str_t                      *type;
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_upload_t     *u;
    ngx_http_certhall_main_conf_t  *mcf;

    /*
     * no "100 Continue" for a body that may yet be refused; it is sent
     * when the body is wanted (ngx_http_certhall_upload_allowed)
     */
    r->expect_tested = 1;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->storage.len == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: uploads need \"certhall_storage\"");

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_certhall_send_unavailable(r, "uploads_unavailable",
                                                  "资料上传暂未开放，请稍后再试",
                                                  60);
    }

    u = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_upload_t));
    ctx = ngx_http_certhall_get_ctx(r);

    if (u == NULL || ctx == NULL) {
        return ngx_http_certhall_upload_fail_early(r);
    }

    u->request = r;
    u->tmp.fd = NGX_INVALID_FILE;
    u->held_fd = -1;
    u->kind = kind;
    switch (ngx_http_certhall_order_id(r, params, &u->order_id)) {

    case NGX_OK:
        break;

    case NGX_DECLINED:
        return ngx_http_certhall_order_not_found(r);

    default: /* no memory: not a 404, which would read as "no such order" */
        return ngx_http_certhall_upload_fail_early(r);
    }

    type = r->headers_in.content_type ? &r->headers_in.content_type->value
                                      : NULL;

    if (type == NULL
        || type->len < ngx_http_certhall_multipart_type.len
        || ngx_strncasecmp(type->data, ngx_http_certhall_multipart_type.data,
                           ngx_http_certhall_multipart_type.len) != 0)
    {
        return ngx_http_certhall_upload_refuse_early(r,
                                NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                "unsupported_media_type",
                                "请以 multipart/form-data 格式上传文件");
    }

    rc = ngx_http_certhall_upload_body_init(r, u, type);

    if (rc == NGX_ERROR) {
        return ngx_http_certhall_upload_fail_early(r);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_certhall_upload_refuse_early(r,
                                NGX_HTTP_BAD_REQUEST, "invalid_multipart",
                                ch_multipart_message(CH_MP_E_NO_BOUNDARY));
    }

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return ngx_http_certhall_upload_refuse_early(r, NGX_HTTP_BAD_REQUEST,
                                "file_missing", "请选择要上传的文件");
    }

    ctx->data = u;

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_UPLOAD_CHECK,
                                        &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[NGX_HTTP_CERTHALL_UPLOAD_CHECK_ORDER] = u->order_id;
    q->values[NGX_HTTP_CERTHALL_UPLOAD_CHECK_KIND] = kind;
    q->done = ngx_http_certhall_upload_allowed;
    q->failed = ngx_http_certhall_upload_not_allowed;
    q->data = u;

    return ngx_http_certhall_db_run(r, q);
}


/* the database refused (or failed): the unread body is dropped */

static void
ngx_http_certhall_upload_not_allowed(ngx_http_request_t *r, void *data)
{
    r->keepalive = 0;
    (void) ngx_http_discard_request_body(r);
}


static ngx_int_t
ngx_http_certhall_upload_allowed(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    ngx_http_certhall_upload_t *u = data;

    ngx_int_t            rc;
    const char          *max_bytes, *color, *formats;
    ngx_pool_cleanup_t  *cln;

    max_bytes = ngx_http_certhall_answer_value(res, "max_bytes");
    color = ngx_http_certhall_answer_value(res, "color_required");
    formats = ngx_http_certhall_answer_value(res, "formats");

    if (max_bytes == NULL || formats == NULL) {
        PQclear(res);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: upload_check gave no limits");
        ngx_http_certhall_upload_not_allowed(r, u);
        return ngx_http_certhall_internal_error(r);
    }

    u->max_bytes = ngx_atoof((u_char *) max_bytes, ngx_strlen(max_bytes));
    u->color_required = (color && color[0] == 't');
    u->formats = ngx_pnalloc(r->pool, ngx_strlen(formats) + 1);

    if (u->formats) {
        ngx_cpystrn((u_char *) u->formats, (u_char *) formats,
                    ngx_strlen(formats) + 1);
    }

    PQclear(res);

    if (u->formats == NULL || u->max_bytes <= 0) {
        ngx_http_certhall_upload_not_allowed(r, u);
        return ngx_http_certhall_internal_error(r);
    }

    if (r->headers_in.content_length_n
        > u->max_bytes + NGX_HTTP_CERTHALL_UPLOAD_OVERHEAD)
    {
        return ngx_http_certhall_upload_refuse_early(r,
                                NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                "file_too_large",
                                ngx_http_certhall_upload_too_large(r, u));
    }

    u->sha = EVP_MD_CTX_new();
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (u->sha == NULL || cln == NULL
        || EVP_DigestInit_ex(u->sha, EVP_sha256(), NULL) != 1)
    {
        if (u->sha) {
            EVP_MD_CTX_free(u->sha);
            u->sha = NULL;
        }

        ngx_http_certhall_upload_not_allowed(r, u);
        return ngx_http_certhall_internal_error(r);
    }

    /*
     * Added before the temporary file exists, so it runs after the
     * cleanup ngx_create_temp_file() adds (a pool runs the last added
     * first): ngx_http_certhall_upload_cleanup relies on it.
     */
    cln->handler = ngx_http_certhall_upload_cleanup;
    cln->data = u;

    /* the body is wanted now: a client waiting for "100 Continue" gets it */
    r->expect_tested = 0;
    r->request_body_no_buffering = 1;

    rc = ngx_http_read_client_request_body(r,
                                      ngx_http_certhall_upload_body_start);

    if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        /* the body is left unread: drained once answered, then closed */
        r->keepalive = 0;
        r->lingering_close = 1;
        return ngx_http_certhall_upload_failed(r, u);
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        /* what nginx itself refuses (bad chunks): it answers and closes */
        ngx_http_certhall_storage_remove(u);
        return rc;
    }

    return NGX_DONE;
}


/* step 3: to the thread pool, once the content address is known */

ngx_int_t
ngx_http_certhall_upload_store(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u)
{
#if (NGX_THREADS)

    ngx_int_t                       rc;
    ngx_http_certhall_main_conf_t  *mcf;

    if (ngx_http_certhall_storage_paths(u) != NGX_OK) {
        return ngx_http_certhall_upload_failed(r, u);
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    rc = ngx_http_certhall_thread_run(r, mcf->upload_thread_pool,
                                      ngx_http_certhall_upload_thread, u,
                                      ngx_http_certhall_upload_resume);

    if (rc == NGX_DECLINED) {
        /* the pool's queue is full: nginx has logged it */
        ngx_http_certhall_storage_remove(u);
        return ngx_http_certhall_server_busy(r);
    }

    if (rc != NGX_DONE) {
        return ngx_http_certhall_upload_failed(r, u);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall upload: %O bytes, sha256 %s, to the thread pool",
                   u->size, u->sha256);

    return NGX_DONE;

#else

    /* nginx refuses to start "certhall" without threads */

    return ngx_http_certhall_upload_failed(r, u);

#endif
}


/*
 * Step 3, in a thread of the pool: nothing of nginx but the log may be
 * touched; u is the request's, kept alive by r->main->blocked.
 */

static void
ngx_http_certhall_upload_thread(void *data, ngx_log_t *log)
{
    ngx_http_certhall_upload_t *u = data;

    void    *map;
    size_t   size;

    size = (size_t) u->size;

    map = mmap(NULL, size, PROT_READ, MAP_SHARED, u->tmp.fd, 0);
    if (map == MAP_FAILED) {
        u->err = ngx_errno;
        u->failed_op = "mmap()";
        return;
    }

    u->check = ch_file_check(map, size, (int) u->color_required, &u->info);

    munmap(map, size);

    if (u->check != CH_CHECK_OK) {
        return;
    }

    ngx_http_certhall_storage_link(u);
}


/* step 4: the row, or the refusal of what the thread found */

static void
ngx_http_certhall_upload_resume(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_uint_t                     status;
    const char                   **values;
    ngx_http_certhall_ctx_t       *ctx;
    ngx_http_certhall_upload_t    *u;
    ngx_http_certhall_db_query_t  *q;

    r->write_event_handler = ngx_http_request_empty_handler;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    u = ctx->data;

    ngx_http_certhall_storage_close(u);

    if (!u->tmp_live) {
        /* the thread linked it into place and removed its name */
        ngx_http_certhall_storage_forget(u);
    }

    if (u->err) {
        ngx_http_finalize_request(r,
                                  ngx_http_certhall_upload_storage_error(r, u));
        return;
    }

    if (u->check != CH_CHECK_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "certhall: upload refused: %s: %s",
                      ch_check_code(u->check), u->info.detail);

        switch (u->check) {
        case CH_CHECK_UNKNOWN_TYPE:
            status = NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
            break;
        case CH_CHECK_NO_MEMORY:
            status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        default:
            status = NGX_HTTP_CERTHALL_UNPROCESSABLE;
        }

        rc = ngx_http_certhall_upload_error(r, u, status,
                                            ch_check_code(u->check),
                                            ch_check_message(u->check));
        ngx_http_finalize_request(r, rc);
        return;
    }

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_MATERIAL_PUT,
                                        &rc);
    if (q == NULL) {
        ngx_http_certhall_storage_remove(u);
        ngx_http_finalize_request(r, rc);
        return;
    }

    values = q->values;

    values[NGX_HTTP_CERTHALL_MATERIAL_PUT_ORDER] = u->order_id;
    values[NGX_HTTP_CERTHALL_MATERIAL_PUT_KIND] = u->kind;
    values[NGX_HTTP_CERTHALL_MATERIAL_PUT_SHA256] = u->sha256;
    values[NGX_HTTP_CERTHALL_MATERIAL_PUT_SIZE] =
                                 ngx_http_certhall_upload_number(r, u->size);
    values[NGX_HTTP_CERTHALL_MATERIAL_PUT_FORMAT] =
                                 ch_file_format(u->info.type);
    values[NGX_HTTP_CERTHALL_MATERIAL_PUT_WIDTH] =
                                 ngx_http_certhall_upload_number(r, u->info.width);
    values[NGX_HTTP_CERTHALL_MATERIAL_PUT_HEIGHT] =
                                 ngx_http_certhall_upload_number(r, u->info.height);
    values[NGX_HTTP_CERTHALL_MATERIAL_PUT_PAGES] =
                                 ngx_http_certhall_upload_number(r, u->info.pages);
    values[NGX_HTTP_CERTHALL_MATERIAL_PUT_NAME] = u->name[0] ? u->name : NULL;

    if (values[NGX_HTTP_CERTHALL_MATERIAL_PUT_SIZE] == NULL
        || values[NGX_HTTP_CERTHALL_MATERIAL_PUT_WIDTH] == NULL
        || values[NGX_HTTP_CERTHALL_MATERIAL_PUT_HEIGHT] == NULL
        || values[NGX_HTTP_CERTHALL_MATERIAL_PUT_PAGES] == NULL)
    {
        ngx_http_finalize_request(r, ngx_http_certhall_upload_failed(r, u));
        return;
    }

    q->done = ngx_http_certhall_upload_committed;
    q->failed = ngx_http_certhall_upload_commit_failed;
    q->data = u;
    u->commit = q;

    rc = ngx_http_certhall_db_run(r, q);

    ngx_http_finalize_request(r, rc);
}


/* a number as a statement's parameter */

static const char *
ngx_http_certhall_upload_number(ngx_http_request_t *r, off_t n)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_sprintf(p, "%O%Z", n);

    return (const char *) p;
}


static ngx_int_t
ngx_http_certhall_upload_committed(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    ngx_http_certhall_upload_t *u = data;

    u->committed = 1;

    /* the row names the file now: a sweep asking the database keeps it */
    ngx_http_certhall_storage_release(u);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "certhall: %s of order %s stored as %s (%O bytes)",
                  u->kind, u->order_id, u->sha256, u->size);

    return ngx_http_certhall_db_send_value(r, res, &ngx_http_certhall_created);
}


static void
ngx_http_certhall_upload_commit_failed(ngx_http_request_t *r, void *data)
{
    ngx_http_certhall_upload_t *u = data;

    /*
     * The row may be there (the statement broke off after reaching the
     * database): a row without its file is lost data, a file without its
     * row only space.  So a file this upload created stays; the temporary
     * one goes all the same.
     */

    if (u->commit && u->commit->interrupted) {
        u->maybe_committed = 1;

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "certhall: %s of order %s: the database's answer was "
                      "lost, %s is kept in case its row was written",
                      u->kind, u->order_id, u->sha256);
    }

    ngx_http_certhall_storage_remove(u);
}


/*
 * The request's pool goes, whatever way the request ended.  The temporary
 * file's own cleanup (ngx_create_temp_file) was added after this one and
 * so has run already: it closed the file, whose number is not closed
 * again here.
 */

static void
ngx_http_certhall_upload_cleanup(void *data)
{
    ngx_http_certhall_upload_t *u = data;

    u->tmp.fd = NGX_INVALID_FILE;

    ngx_http_certhall_storage_remove(u);

    if (u->sha) {
        EVP_MD_CTX_free(u->sha);
        u->sha = NULL;
    }
}


/*
 * A refusal once the body is being read: nothing is left behind, and the
 * rest of the body is not read (nginx closes after answering).
 */

static void
ngx_http_certhall_upload_abandon(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u)
{
    ngx_http_certhall_storage_remove(u);

    if (r->reading_body) {
        r->keepalive = 0;
    }
}


ngx_int_t
ngx_http_certhall_upload_error(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u, ngx_uint_t status, const char *code,
    const char *message)
{
    ngx_int_t  rc;

    ngx_http_certhall_upload_abandon(r, u);

    rc = ngx_http_certhall_send_error(r, status, code, NULL, message);

    /* no memory for the answer: the one that needs none */

    if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        return ngx_http_certhall_internal_error(r);
    }

    return rc;
}


/*
 * The storage failed (u->err, u->failed_op): while the body came (the
 * temporary file could not be made or written) or in the thread (fsync,
 * mkdir, link).  A full filesystem (no blocks, no inodes, over a quota) is
 * 507 storage_full with Retry-After: the client may try again once an
 * operator has made room, and nothing of this upload is left (neither the
 * temporary file nor the stored one).  Anything else is 500
 * storage_failed.  Both are logged at "crit", with the upload they
 * refused: an operator must act.
 */

ngx_int_t
ngx_http_certhall_upload_storage_error(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u)
{
    u_char      *path;
    ngx_int_t    rc;
    ngx_uint_t   full;

    full = ngx_http_certhall_storage_full(u->err);

    path = u->failed_path ? (u_char *) u->failed_path
           : u->tmp.name.data ? u->tmp.name.data : (u_char *) "";

    ngx_log_error(NGX_LOG_CRIT, r->connection->log, u->err,
                  "certhall: the upload of %s to order %s refused with %d: "
                  "%s%s \"%s\" failed",
                  u->kind, u->order_id,
                  full ? NGX_HTTP_CERTHALL_INSUFFICIENT_STORAGE
                       : NGX_HTTP_INTERNAL_SERVER_ERROR,
                  full ? "the storage is full: " : "", u->failed_op, path);

    ngx_http_certhall_upload_abandon(r, u);

    if (full) {
        rc = ngx_http_certhall_send_retry_later(r,
                                NGX_HTTP_CERTHALL_INSUFFICIENT_STORAGE,
                                "storage_full",
                                "服务器存储空间已满，文件未能保存，请稍后再试",
                                NGX_HTTP_CERTHALL_STORAGE_FULL_RETRY);
    } else {
        rc = ngx_http_certhall_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "storage_failed", NULL,
                                          "文件保存失败，请稍后再试");
    }

    if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        return ngx_http_certhall_internal_error(r);
    }

    return rc;
}


/* 500 internal_error once the body is being read (no memory, mostly) */

ngx_int_t
ngx_http_certhall_upload_failed(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u)
{
    ngx_http_certhall_upload_abandon(r, u);

    return ngx_http_certhall_internal_error(r);
}


/*
 * A refusal before the body is read.  No "100 Continue" went out, so a
 * client that waits for it sends nothing more; one that does not is
 * drained by nginx (lingering close) so that it still reads the answer.
 */

static ngx_int_t
ngx_http_certhall_upload_refuse_early(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message)
{
    ngx_int_t  rc;

    r->keepalive = 0;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_certhall_send_error(r, status, code, NULL, message);

    /* no memory for the answer: the one that needs none */

    if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        return ngx_http_certhall_internal_error(r);
    }

    return rc;
}


/* 500 internal_error before the body is read, which is drained as above */

static ngx_int_t
ngx_http_certhall_upload_fail_early(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    r->keepalive = 0;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_certhall_internal_error(r);
}
