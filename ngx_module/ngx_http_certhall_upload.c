/*
 * Uploads (资料上传, 公对公转账凭证): POST /api/orders/{id}/materials/{kind}
 * and POST /api/orders/{id}/voucher, and the stored files' download and
 * removal.
 *
 * An upload goes through four steps, each refusing as early as it can:
 *
 * 1. Before the body is read, the database says whether this account may
 *    upload this kind to this order now, and how large it may be (401,
 *    403, 404, 409); a Content-Length over that is 413 at once.  No "100
 *    Continue" is sent before that answer, so a client that waits for it
 *    sends nothing that would be refused.
 *
 * 2. The body is read unbuffered (r->request_body_no_buffering): each
 *    piece nginx reads, after its length or chunked decoding, goes through
 *    the multipart parser (lib/ch_multipart.c) at once; the file part is
 *    sniffed from its first bytes (415 at once for no jpg/png/bmp/pdf),
 *    counted (413 as soon as it passes the kind's limit), hashed (SHA-256)
 *    and written to a temporary file in the storage's tmp/.  Nothing of
 *    the body is kept in memory but nginx's one read buffer.
 *
 * 3. In the thread pool (certhall_upload_thread_pool): the whole file is
 *    checked by its content (lib/ch_filecheck.c: decodable, nothing
 *    trailing, resolution, colour; PDF structure and active content),
 *    flushed to disk, linked to its content address DIR/ab/<sha256> and the
 *    temporary name removed.  Decoding takes milliseconds: never in the
 *    event loop.
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
 * killed worker left.
 *
 * Downloads are served by nginx itself from the storage through the
 * internal location certhall_storage_uri, once the database has said whose
 * file it is, with headers that keep the file from acting in the site's
 * origin (nosniff, a sandboxing CSP, attachment for PDFs).
 */

#include "ngx_http_certhall.h"
#include "ch_disposition.h"
#include "ch_filecheck.h"
#include "ch_multipart.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/mman.h>


#define NGX_HTTP_CERTHALL_KIND_MAX       40

/* a temporary file's name: 16 random bytes in lower-case hex (_open()) */
#define NGX_HTTP_CERTHALL_TMP_NAME_LEN   32

/*
 * The least time (seconds) a temporary file must have gone unwritten
 * before a worker's start removes it (ngx_http_certhall_upload_stale)
 */
#define NGX_HTTP_CERTHALL_TMP_STALE      3600

/* nginx 1.22 names no 422 */
#define NGX_HTTP_CERTHALL_UNPROCESSABLE  422


typedef struct {
    ngx_http_request_t            *request;

    /*
     * In the worker's list of live temporary files while "queued": a plain
     * field, not one of the bit-fields below, which the thread writes.
     */
    ngx_queue_t                    queue;
    ngx_uint_t                     queued;

    /* what is uploaded where */
    const char                    *order_id;
    const char                    *kind;

    /* what the database allows */
    off_t                          max_bytes;
    ngx_uint_t                     color_required;
    char                          *formats;     /* "jpg,bmp,png,pdf" */

    /* the body */
    ch_multipart_t                *mp;
    ngx_uint_t                     in_file;     /* inside the file part */
    ngx_uint_t                     seen_file;
    ngx_uint_t                     body_done;   /* its last byte was read */
    u_char                         sniff[CH_FILE_SNIFF_LEN];
    size_t                         nsniff;
    ch_file_type_e                 type;
    off_t                          size;
    EVP_MD_CTX                    *sha;
    char                           name[CH_FILENAME_SAFE_MAX + 1];

    /* a refusal decided inside a parser callback */
    ngx_uint_t                     status;
    const char                    *code;
    const char                    *message;

    /* the files */
    ngx_fd_t                       fd;
    char                          *tmp_path;
    char                          *dir_path;    /* DIR/ab */
    char                          *final_path;  /* DIR/ab/<sha256> */
    char                           sha256[2 * 32 + 1];
    unsigned                       tmp_live:1;
    unsigned                       created:1;   /* final_path is ours */
    unsigned                       committed:1;

    /* the thread's results */
    ch_check_e                     check;
    ch_file_info_t                 info;
    ngx_err_t                      err;
    const char                    *failed_op;
} ngx_http_certhall_upload_t;


static ngx_int_t ngx_http_certhall_upload(ngx_http_request_t *r,
    ch_route_params_t *params, const char *kind);
static ngx_int_t ngx_http_certhall_upload_allowed(ngx_http_request_t *r,
    PGresult *res, void *data);
static void ngx_http_certhall_upload_not_allowed(ngx_http_request_t *r,
    void *data);
static void ngx_http_certhall_upload_body_start(ngx_http_request_t *r);
static void ngx_http_certhall_upload_read(ngx_http_request_t *r);
static ngx_int_t ngx_http_certhall_upload_process(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u);
static ngx_int_t ngx_http_certhall_upload_body_done(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u);
static int ngx_http_certhall_upload_part_begin(void *data,
    const ch_mp_part_t *part);
static int ngx_http_certhall_upload_part_data(void *data, const u_char *p,
    size_t n);
static int ngx_http_certhall_upload_part_end(void *data);
static int ngx_http_certhall_upload_refuse(ngx_http_certhall_upload_t *u,
    ngx_uint_t status, const char *code, const char *message);
static const char *ngx_http_certhall_upload_too_large(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u);
static void ngx_http_certhall_upload_stale(ngx_cycle_t *cycle,
    ngx_http_certhall_main_conf_t *mcf, u_char *tmp);
static ngx_int_t ngx_http_certhall_upload_open(ngx_http_certhall_upload_t *u);
static void ngx_http_certhall_upload_forget(ngx_http_certhall_upload_t *u);
static ngx_int_t ngx_http_certhall_upload_write(
    ngx_http_certhall_upload_t *u, const u_char *p, size_t n);
static void ngx_http_certhall_upload_thread(void *data, ngx_log_t *log);
static void ngx_http_certhall_upload_resume(ngx_http_request_t *r);
static const char *ngx_http_certhall_upload_number(ngx_http_request_t *r,
    off_t n);
static ngx_int_t ngx_http_certhall_upload_committed(ngx_http_request_t *r,
    PGresult *res, void *data);
static void ngx_http_certhall_upload_commit_failed(ngx_http_request_t *r,
    void *data);
static void ngx_http_certhall_upload_remove(ngx_http_certhall_upload_t *u);
static void ngx_http_certhall_upload_cleanup(void *data);
static ngx_int_t ngx_http_certhall_upload_error(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u, ngx_uint_t status, const char *code,
    const char *message);
static ngx_int_t ngx_http_certhall_upload_refuse_early(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message);

static ngx_int_t ngx_http_certhall_material_get(ngx_http_request_t *r,
    const char *order_id, const char *kind);
static ngx_int_t ngx_http_certhall_material_send(ngx_http_request_t *r,
    PGresult *res, void *data);
static const char *ngx_http_certhall_kind_param(ngx_http_request_t *r,
    ch_route_params_t *params);
static ngx_int_t ngx_http_certhall_add_header(ngx_http_request_t *r,
    const char *key, u_char *value, size_t len);


static ngx_str_t  ngx_http_certhall_multipart_type =
    ngx_string("multipart/form-data");


/*
 * The uploads of this worker whose temporary file exists.  A worker that
 * exits at once (SIGTERM, or SIGQUIT without a master process) never runs
 * its requests' pool cleanups, so its exit_process hook removes these.
 * Initialised here, not at init_process: the hook must find an empty list
 * even when init_process left early.
 */
static ngx_queue_t  ngx_http_certhall_uploads = {
    &ngx_http_certhall_uploads, &ngx_http_certhall_uploads
};


/* the storage's temporary files: made in the worker at its start */

ngx_int_t
ngx_http_certhall_upload_init_process(ngx_cycle_t *cycle,
    ngx_http_certhall_main_conf_t *mcf)
{
    u_char  *tmp;

    if (mcf->storage.len == 0) {
        return NGX_OK;
    }

    tmp = ngx_pnalloc(cycle->pool, mcf->storage.len + sizeof("/tmp"));
    if (tmp == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(tmp, "%V/tmp%Z", &mcf->storage);

    if (ngx_create_dir(tmp, 0750) == NGX_FILE_ERROR
        && ngx_errno != NGX_EEXIST)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      ngx_create_dir_n " \"%s\" failed", tmp);
        return NGX_ERROR;
    }

    ngx_http_certhall_upload_stale(cycle, mcf, tmp);

    return NGX_OK;
}


/*
 * The temporary files no worker will remove: those of a worker killed
 * (SIGKILL, a crash) or of a machine that stopped during an upload.  Each
 * worker's start removes them, so that none stays for ever; a failure is
 * logged and the worker starts anyway.
 *
 * Only the module's own names (ngx_http_certhall_upload_open), only
 * regular files, and only those not written for longer than a live upload
 * can be: its file is written as each piece of the body comes, and nginx
 * ends a request whose client sends nothing for client_body_timeout; after
 * the last piece only the checks in the thread pool (milliseconds) come
 * before the name is linked into place and removed.  So the bound is an
 * hour, or twice the longest client_body_timeout of the module's locations
 * if that is longer: far beyond both, so that the upload of another worker
 * (a reload starts new workers while the old ones finish theirs) is never
 * taken, and short enough that a left file does not stay for long.
 */

static void
ngx_http_certhall_upload_stale(ngx_cycle_t *cycle,
    ngx_http_certhall_main_conf_t *mcf, u_char *tmp)
{
    u_char                     *name, *path, *p;
    size_t                      len;
    time_t                      stale;
    ngx_err_t                   err;
    ngx_str_t                   dname;
    ngx_dir_t                   dir;
    ngx_uint_t                  i;
    ngx_http_core_loc_conf_t  **clcfp;

    stale = NGX_HTTP_CERTHALL_TMP_STALE;
    clcfp = mcf->locations.elts;

    for (i = 0; i < mcf->locations.nelts; i++) {
        stale = ngx_max(stale,
                        (time_t) (2 * (clcfp[i]->client_body_timeout / 1000)));
    }

    dname.len = ngx_strlen(tmp);
    dname.data = tmp;

    path = ngx_pnalloc(cycle->pool,
                       dname.len + 1 + NGX_HTTP_CERTHALL_TMP_NAME_LEN + 1);
    if (path == NULL) {
        return;
    }

    if (ngx_open_dir(&dname, &dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_errno,
                      ngx_open_dir_n " \"%s\" failed", tmp);
        return;
    }

    for ( ;; ) {
        ngx_set_errno(0);

        if (ngx_read_dir(&dir) == NGX_ERROR) {
            err = ngx_errno;

            if (err != NGX_ENOMOREFILES) {
                ngx_log_error(NGX_LOG_ERR, cycle->log, err,
                              ngx_read_dir_n " \"%s\" failed", tmp);
            }

            break;
        }

        name = ngx_de_name(&dir);
        len = ngx_de_namelen(&dir);

        if (len != NGX_HTTP_CERTHALL_TMP_NAME_LEN) {
            continue;
        }

        for (i = 0; i < len; i++) {
            if (!((name[i] >= '0' && name[i] <= '9')
                  || (name[i] >= 'a' && name[i] <= 'f')))
            {
                break;
            }
        }

        if (i != len) {
            continue;
        }

        p = ngx_sprintf(path, "%V/", &dname);
        *ngx_cpymem(p, name, len) = '\0';

        if (ngx_de_link_info(path, &dir) == NGX_FILE_ERROR) {
            /* another worker starting may have removed it */

            if (ngx_errno != NGX_ENOENT) {
                ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_errno,
                              ngx_de_link_info_n " \"%s\" failed", path);
            }

            continue;
        }

        if (!ngx_de_is_file(&dir)
            || ngx_de_mtime(&dir) > ngx_time() - stale)
        {
            continue;
        }

        if (ngx_delete_file(path) == NGX_FILE_ERROR) {
            if (ngx_errno != NGX_ENOENT) {
                ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                              ngx_delete_file_n " \"%s\" failed", path);
            }

            continue;
        }

        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "certhall: stale temporary file \"%s\" removed: "
                      "not written for over %T s, no upload's",
                      path, stale);
    }

    if (ngx_close_dir(&dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      ngx_close_dir_n " \"%s\" failed", tmp);
    }
}


/*
 * The worker exits with uploads under way: their temporary files are
 * removed, since their requests' pool cleanups will never run.  The thread
 * pools are gone by now (ngx_thread_pool_module is a core module, whose
 * exit_process hook runs before this one and waits for each thread), so no
 * thread still works on one of these files.  A stored file an upload
 * created whose row is not known to be written is kept: the statement may
 * have committed, and an orphan is harmless where a row without its file
 * is not.
 */

void
ngx_http_certhall_upload_exit_process(ngx_cycle_t *cycle)
{
    ngx_queue_t                 *q;
    ngx_http_certhall_upload_t  *u;

    while (!ngx_queue_empty(&ngx_http_certhall_uploads)) {
        q = ngx_queue_head(&ngx_http_certhall_uploads);
        u = ngx_queue_data(q, ngx_http_certhall_upload_t, queue);

        ngx_http_certhall_upload_forget(u);

        if (u->fd != NGX_INVALID_FILE) {
            ngx_close_file(u->fd);
            u->fd = NGX_INVALID_FILE;
        }

        if (u->sha) {
            EVP_MD_CTX_free(u->sha);
            u->sha = NULL;
        }

        /* the thread may have linked it into place and removed it */

        if (!u->tmp_live) {
            continue;
        }

        u->tmp_live = 0;

        if (ngx_delete_file(u->tmp_path) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                          ngx_delete_file_n " \"%s\" failed", u->tmp_path);
            continue;
        }

        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "certhall: the worker exits during the upload of %s "
                      "to order %s: temporary file \"%s\" removed",
                      u->kind, u->order_id, u->tmp_path);
    }
}


/* the upload's temporary file is gone (or never was): off the list */

static void
ngx_http_certhall_upload_forget(ngx_http_certhall_upload_t *u)
{
    if (u->queued) {
        ngx_queue_remove(&u->queue);
        u->queued = 0;
    }
}


/* /api/orders/{id}/materials/{kind}: GET, POST, DELETE */

ngx_int_t
ngx_http_certhall_material(ngx_http_request_t *r, ch_route_params_t *params)
{
    ngx_int_t                      rc;
    const char                    *id, *kind;
    ngx_http_certhall_db_query_t  *q;

    id = ngx_http_certhall_order_param(r, params);
    if (id == NULL) {
        return ngx_http_certhall_order_not_found(r);
    }

    kind = ngx_http_certhall_kind_param(r, params);
    if (kind == NULL) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_certhall_send_error(r, NGX_HTTP_NOT_FOUND,
                                            "no_such_material", NULL,
                                            "本订单无需此项资料");
    }

    if (r->method & NGX_HTTP_POST) {
        return ngx_http_certhall_upload(r, params, kind);
    }

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        return ngx_http_certhall_material_get(r, id, kind);
    }

    /* DELETE */

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    q = ngx_http_certhall_session_query(r,
                                NGX_HTTP_CERTHALL_STMT_MATERIAL_DELETE, &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[2] = id;
    q->values[3] = kind;

    return ngx_http_certhall_db_run(r, q);
}


/* POST /api/orders/{id}/voucher: the bank transfer's voucher */

ngx_int_t
ngx_http_certhall_voucher(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_upload(r, params, "transfer_voucher");
}


/* step 1: may this be uploaded, and how large? */

static ngx_int_t
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
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    u->request = r;
    u->fd = NGX_INVALID_FILE;
    u->kind = kind;
    u->order_id = ngx_http_certhall_order_param(r, params);

    if (u->order_id == NULL) {
        return ngx_http_certhall_order_not_found(r);
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

    u->mp = ngx_palloc(r->pool, ch_multipart_size());
    if (u->mp == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    {
        char  boundary[CH_MP_BOUNDARY_MAX + 1];

        static const ch_mp_callbacks_t  callbacks = {
            ngx_http_certhall_upload_part_begin,
            ngx_http_certhall_upload_part_data,
            ngx_http_certhall_upload_part_end
        };

        if (ch_multipart_boundary((const char *) type->data, type->len,
                                  boundary)
            <= 0)
        {
            return ngx_http_certhall_upload_refuse_early(r,
                                NGX_HTTP_BAD_REQUEST, "invalid_multipart",
                                ch_multipart_message(CH_MP_E_NO_BOUNDARY));
        }

        ch_multipart_init(u->mp, boundary, &callbacks, u);
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

    q->values[2] = u->order_id;
    q->values[3] = kind;
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
    ngx_pool_cleanup_t  *cln;

    if (PQntuples(res) != 1 || PQnfields(res) != 3
        || PQgetisnull(res, 0, 0) || PQgetisnull(res, 0, 2))
    {
        PQclear(res);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: upload_check gave no limits");
        ngx_http_certhall_upload_not_allowed(r, u);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    u->max_bytes = ngx_atoof((u_char *) PQgetvalue(res, 0, 0),
                             PQgetlength(res, 0, 0));
    u->color_required = (PQgetvalue(res, 0, 1)[0] == 't');
    u->formats = ngx_pnalloc(r->pool, PQgetlength(res, 0, 2) + 1);

    if (u->formats == NULL || u->max_bytes <= 0) {
        PQclear(res);
        ngx_http_certhall_upload_not_allowed(r, u);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_cpystrn((u_char *) u->formats, (u_char *) PQgetvalue(res, 0, 2),
                PQgetlength(res, 0, 2) + 1);
    PQclear(res);

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
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_certhall_upload_cleanup;
    cln->data = u;

    /* the body is wanted now: a client waiting for "100 Continue" gets it */
    r->expect_tested = 0;
    r->request_body_no_buffering = 1;

    rc = ngx_http_read_client_request_body(r,
                                      ngx_http_certhall_upload_body_start);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ngx_http_certhall_upload_remove(u);
        return rc;
    }

    return NGX_DONE;
}


/*
 * Step 2.  Called once by ngx_http_read_client_request_body() with what it
 * could read at once; from then on the read events come to
 * ngx_http_certhall_upload_read.
 */

static void
ngx_http_certhall_upload_body_start(ngx_http_request_t *r)
{
    r->read_event_handler = ngx_http_certhall_upload_read;

    ngx_http_certhall_upload_read(r);
}


static void
ngx_http_certhall_upload_read(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_certhall_ctx_t     *ctx;
    ngx_http_certhall_upload_t  *u;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    u = ctx->data;

    rc = ngx_http_certhall_upload_process(r, u);

    if (rc == NGX_AGAIN) {
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * Feeds the parser what nginx has read, and reads on while the socket has
 * more.  Returns NGX_AGAIN to wait for the next read event, or what to
 * finalize the request with.
 */

static ngx_int_t
ngx_http_certhall_upload_process(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u)
{
    size_t                    n;
    ngx_int_t                 rc;
    ngx_buf_t                *b;
    ngx_chain_t              *cl;
    ch_mp_status_e            st;
    ngx_http_request_body_t  *rb;

    rb = r->request_body;
    rc = NGX_AGAIN;

    for ( ;; ) {

        for (cl = rb->bufs; cl; cl = cl->next) {
            b = cl->buf;
            n = b->last - b->pos;

            if (n) {
                st = ch_multipart_feed(u->mp, b->pos, n);

                if (st == CH_MP_STOPPED) {
                    rb->bufs = NULL;
                    return ngx_http_certhall_upload_error(r, u, u->status,
                                                          u->code,
                                                          u->message);
                }

                if (st != CH_MP_OK && st != CH_MP_DONE) {
                    rb->bufs = NULL;
                    return ngx_http_certhall_upload_error(r, u,
                                                  NGX_HTTP_BAD_REQUEST,
                                                  "invalid_multipart",
                                                  ch_multipart_message(st));
                }
            }

            /* consumed: nginx may reuse its buffer */
            b->pos = b->last;

            if (b->last_buf) {
                u->body_done = 1;
            }
        }

        rb->bufs = NULL;

        if (u->body_done || rc == NGX_OK) {
            return ngx_http_certhall_upload_body_done(r, u);
        }

        rc = ngx_http_read_unbuffered_request_body(r);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            /* the client went away, timed out, or sent bad chunks */
            ngx_http_certhall_upload_remove(u);
            return rc;
        }

        if (rc == NGX_AGAIN && rb->bufs == NULL) {
            return NGX_AGAIN;
        }
    }
}


/* the body is whole: step 3, in the thread pool */

static ngx_int_t
ngx_http_certhall_upload_body_done(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u)
{
    u_char                         *p;
    ch_mp_status_e                  st;
    unsigned int                    len;
    ngx_int_t                       rc;
    u_char                          digest[EVP_MAX_MD_SIZE];
    ngx_http_certhall_main_conf_t  *mcf;

    /* nothing more to read: a client that goes away is noticed still */
    r->read_event_handler = ngx_http_test_reading;

    st = ch_multipart_finish(u->mp);

    if (st == CH_MP_STOPPED) {
        return ngx_http_certhall_upload_error(r, u, u->status, u->code,
                                              u->message);
    }

    if (st != CH_MP_DONE) {
        return ngx_http_certhall_upload_error(r, u, NGX_HTTP_BAD_REQUEST,
                                              "invalid_multipart",
                                              ch_multipart_message(st));
    }

    if (!u->seen_file || u->size == 0) {
        return ngx_http_certhall_upload_error(r, u, NGX_HTTP_BAD_REQUEST,
                                              "file_missing",
                                              "请选择要上传的文件");
    }

    if (EVP_DigestFinal_ex(u->sha, digest, &len) != 1 || len != 32) {
        return ngx_http_certhall_upload_error(r, u,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "internal_error",
                                        "服务器内部错误，请稍后再试");
    }

    ngx_hex_dump((u_char *) u->sha256, digest, 32);
    u->sha256[64] = '\0';

    /* the paths the thread needs: it must not allocate from the pool */

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    u->dir_path = ngx_pnalloc(r->pool, mcf->storage.len + sizeof("/ab"));
    u->final_path = ngx_pnalloc(r->pool,
                                mcf->storage.len + sizeof("/ab/") + 64);

    if (u->dir_path == NULL || u->final_path == NULL) {
        return ngx_http_certhall_upload_error(r, u,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "internal_error",
                                        "服务器内部错误，请稍后再试");
    }

    p = (u_char *) u->sha256;
    ngx_sprintf((u_char *) u->dir_path, "%V/%*s%Z", &mcf->storage,
                (size_t) 2, p);
    ngx_sprintf((u_char *) u->final_path, "%V/%*s/%s%Z", &mcf->storage,
                (size_t) 2, p, p);

#if (NGX_THREADS)

    rc = ngx_http_certhall_thread_run(r, mcf->upload_thread_pool,
                                      ngx_http_certhall_upload_thread, u,
                                      ngx_http_certhall_upload_resume);

    if (rc == NGX_DECLINED) {
        /* the pool's queue is full: nginx has logged it */
        ngx_http_certhall_upload_remove(u);
        return ngx_http_certhall_send_unavailable(r, "server_busy",
                                                  "服务繁忙，请稍后再试", 1);
    }

    if (rc != NGX_DONE) {
        return ngx_http_certhall_upload_error(r, u,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "internal_error",
                                        "服务器内部错误，请稍后再试");
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall upload: %O bytes, sha256 %s, to the thread pool",
                   u->size, u->sha256);

    return NGX_DONE;

#else

    return NGX_HTTP_INTERNAL_SERVER_ERROR;

#endif
}


/* the parser's callbacks: the refusals they decide stop it */

static int
ngx_http_certhall_upload_part_begin(void *data, const ch_mp_part_t *part)
{
    ngx_http_certhall_upload_t *u = data;

    if (ngx_strcmp(part->name, "file") != 0) {
        return ngx_http_certhall_upload_refuse(u, NGX_HTTP_BAD_REQUEST,
                                               "unexpected_field",
                                               "只需上传文件，不应有其他内容");
    }

    if (u->seen_file) {
        return ngx_http_certhall_upload_refuse(u, NGX_HTTP_BAD_REQUEST,
                                               "unexpected_field",
                                               "一次只能上传一个文件");
    }

    u->seen_file = 1;
    u->in_file = 1;

    if (part->has_filename) {
        ch_filename_sanitize(part->filename, part->filename_len, u->name);
    }

    return 0;
}


static int
ngx_http_certhall_upload_part_data(void *data, const u_char *p, size_t n)
{
    ngx_http_certhall_upload_t *u = data;

    size_t           take;
    const char      *format, *f;
    ngx_http_request_t  *r;

    if (!u->in_file || n == 0) {
        return 0;
    }

    r = u->request;

    if (u->type == CH_FILE_UNKNOWN || u->type == CH_FILE_NEED_MORE) {

        /* the first bytes say what the file claims to be */

        take = ngx_min(n, CH_FILE_SNIFF_LEN - u->nsniff);
        ngx_memcpy(u->sniff + u->nsniff, p, take);
        u->nsniff += take;
        p += take;
        n -= take;

        u->type = ch_file_sniff(u->sniff, u->nsniff);

        if (u->type == CH_FILE_NEED_MORE) {
            return 0;
        }

        if (u->type == CH_FILE_UNKNOWN) {
            return ngx_http_certhall_upload_refuse(u,
                                        NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                        ch_check_code(CH_CHECK_UNKNOWN_TYPE),
                                        ch_check_message(CH_CHECK_UNKNOWN_TYPE));
        }

        /* a type the kind does not take: refused as early */

        format = ch_file_format(u->type);
        f = ngx_strstr(u->formats, format);

        if (f == NULL
            || (f != u->formats && f[-1] != ',')
            || (f[3] != '\0' && f[3] != ','))
        {
            return ngx_http_certhall_upload_refuse(u,
                                        NGX_HTTP_CERTHALL_UNPROCESSABLE,
                                        "format_not_allowed",
                                        "此项资料不支持该文件格式");
        }

        if (ngx_http_certhall_upload_open(u) != NGX_OK) {
            return ngx_http_certhall_upload_refuse(u,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "internal_error",
                                        "服务器内部错误，请稍后再试");
        }

        u->size = u->nsniff;

        if (ngx_http_certhall_upload_write(u, u->sniff, u->nsniff)
            != NGX_OK)
        {
            return 1;
        }
    }

    if (n == 0) {
        return 0;
    }

    u->size += n;

    if (u->size > u->max_bytes) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "certhall: upload over %O bytes refused", u->max_bytes);

        return ngx_http_certhall_upload_refuse(u,
                                        NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "file_too_large",
                                        ngx_http_certhall_upload_too_large(r,
                                                                           u));
    }

    return ngx_http_certhall_upload_write(u, p, n) == NGX_OK ? 0 : 1;
}


static int
ngx_http_certhall_upload_part_end(void *data)
{
    ngx_http_certhall_upload_t *u = data;

    if (!u->in_file) {
        return 0;
    }

    u->in_file = 0;

    if (u->nsniff == 0) {
        return ngx_http_certhall_upload_refuse(u, NGX_HTTP_BAD_REQUEST,
                                               "file_missing",
                                               "请选择要上传的文件");
    }

    if (u->type == CH_FILE_NEED_MORE) {
        /* shorter than any type's signature */
        return ngx_http_certhall_upload_refuse(u,
                                        NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                        ch_check_code(CH_CHECK_UNKNOWN_TYPE),
                                        ch_check_message(CH_CHECK_UNKNOWN_TYPE));
    }

    return 0;
}


static int
ngx_http_certhall_upload_refuse(ngx_http_certhall_upload_t *u,
    ngx_uint_t status, const char *code, const char *message)
{
    u->status = status;
    u->code = code;
    u->message = message;

    return 1;
}


/* the 413's message, with the kind's limit as the screens say it: 2M */

static const char *
ngx_http_certhall_upload_too_large(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u)
{
    u_char  *p;
    off_t    mb;

    mb = (u->max_bytes + 1024 * 1024 - 1) / (1024 * 1024);

    p = ngx_pnalloc(r->pool, sizeof("文件大小超过限制（不超过M）")
                             + NGX_OFF_T_LEN);
    if (p == NULL) {
        return "文件大小超过限制";
    }

    ngx_sprintf(p, "文件大小超过限制（不超过%OM）%Z", mb);

    return (const char *) p;
}


/* the temporary file: a random name in DIR/tmp, never an existing file */

static ngx_int_t
ngx_http_certhall_upload_open(ngx_http_certhall_upload_t *u)
{
    u_char                         *p, rnd[16];
    ngx_uint_t                      tries;
    ngx_http_request_t             *r;
    ngx_http_certhall_main_conf_t  *mcf;

    r = u->request;
    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    u->tmp_path = ngx_pnalloc(r->pool, mcf->storage.len + sizeof("/tmp/")
                                       + 2 * sizeof(rnd));
    if (u->tmp_path == NULL) {
        return NGX_ERROR;
    }

    for (tries = 0; tries < 4; tries++) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            return NGX_ERROR;
        }

        p = ngx_sprintf((u_char *) u->tmp_path, "%V/tmp/", &mcf->storage);
        p = ngx_hex_dump(p, rnd, sizeof(rnd));
        *p = '\0';

        /* read and write: the thread maps it to check it */

        u->fd = ngx_open_file(u->tmp_path, NGX_FILE_RDWR,
                              NGX_FILE_CREATE_OR_OPEN|O_EXCL, 0640);

        if (u->fd != NGX_INVALID_FILE) {
            u->tmp_live = 1;

            /* until it is linked into place or removed */
            ngx_queue_insert_tail(&ngx_http_certhall_uploads, &u->queue);
            u->queued = 1;

            return NGX_OK;
        }

        if (ngx_errno == NGX_ENOENT) {
            /* tmp/ went away (a clean-up): made again, as at the start */

            p = ngx_sprintf((u_char *) u->tmp_path, "%V/tmp%Z",
                            &mcf->storage);

            if (ngx_create_dir(u->tmp_path, 0750) == NGX_FILE_ERROR
                && ngx_errno != NGX_EEXIST)
            {
                break;
            }

            continue;
        }

        if (ngx_errno != NGX_EEXIST) {
            break;
        }
    }

    ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                  ngx_open_file_n " \"%s\" failed", u->tmp_path);

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_certhall_upload_write(ngx_http_certhall_upload_t *u,
    const u_char *p, size_t n)
{
    ssize_t  written;

    if (EVP_DigestUpdate(u->sha, p, n) != 1) {
        ngx_http_certhall_upload_refuse(u, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "internal_error",
                                        "服务器内部错误，请稍后再试");
        return NGX_ERROR;
    }

    while (n) {
        written = ngx_write_fd(u->fd, (void *) p, n);

        if (written == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            ngx_log_error(NGX_LOG_CRIT, u->request->connection->log,
                          ngx_errno, ngx_write_fd_n " \"%s\" failed",
                          u->tmp_path);

            ngx_http_certhall_upload_refuse(u,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "storage_failed",
                                        "文件保存失败，请稍后再试");
            return NGX_ERROR;
        }

        p += written;
        n -= written;
    }

    return NGX_OK;
}


/*
 * Step 3, in a thread of the pool: nothing of nginx but the log may be
 * touched; u is the request's, kept alive by r->main->blocked.
 */

static void
ngx_http_certhall_upload_thread(void *data, ngx_log_t *log)
{
    ngx_http_certhall_upload_t *u = data;

    int     dfd;
    void   *map;
    size_t  size;

    size = (size_t) u->size;

    map = mmap(NULL, size, PROT_READ, MAP_SHARED, u->fd, 0);
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

    /* whole on disk before any name points at it */

    if (fsync(u->fd) == -1) {
        u->err = ngx_errno;
        u->failed_op = "fsync()";
        return;
    }

    if (mkdir(u->dir_path, 0750) == -1 && ngx_errno != NGX_EEXIST) {
        u->err = ngx_errno;
        u->failed_op = "mkdir()";
        return;
    }

    /*
     * link(), not rename(): an existing file of this SHA-256 has this
     * content already and is kept as it is (another order's, perhaps);
     * this upload then owns no stored file
     */

    if (link(u->tmp_path, u->final_path) == 0) {
        u->created = 1;

    } else if (ngx_errno != NGX_EEXIST) {
        u->err = ngx_errno;
        u->failed_op = "link()";
        return;
    }

    if (unlink(u->tmp_path) == 0) {
        u->tmp_live = 0;
    }

    if (u->created) {
        /* the new name itself survives a crash */

        dfd = open(u->dir_path, O_RDONLY|O_DIRECTORY);

        if (dfd == -1 || fsync(dfd) == -1) {
            u->err = ngx_errno;
            u->failed_op = "fsync() of the directory";
        }

        if (dfd != -1) {
            close(dfd);
        }
    }
}


/* step 4: the row, or the refusal of what the thread found */

static void
ngx_http_certhall_upload_resume(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_uint_t                     status;
    ngx_http_certhall_ctx_t       *ctx;
    ngx_http_certhall_upload_t    *u;
    ngx_http_certhall_db_query_t  *q;

    r->write_event_handler = ngx_http_request_empty_handler;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    u = ctx->data;

    if (u->fd != NGX_INVALID_FILE) {
        ngx_close_file(u->fd);
        u->fd = NGX_INVALID_FILE;
    }

    if (!u->tmp_live) {
        /* the thread linked it into place and removed its name */
        ngx_http_certhall_upload_forget(u);
    }

    if (u->err) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, u->err,
                      "certhall: upload: %s \"%s\" failed", u->failed_op,
                      u->tmp_path);

        rc = ngx_http_certhall_upload_error(r, u,
                                            NGX_HTTP_INTERNAL_SERVER_ERROR,
                                            "storage_failed",
                                            "文件保存失败，请稍后再试");
        ngx_http_finalize_request(r, rc);
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
        ngx_http_certhall_upload_remove(u);
        ngx_http_finalize_request(r, rc);
        return;
    }

    q->values[2] = u->order_id;
    q->values[3] = u->kind;
    q->values[4] = u->sha256;
    q->values[5] = ngx_http_certhall_upload_number(r, u->size);
    q->values[7] = ngx_http_certhall_upload_number(r, u->info.width);
    q->values[8] = ngx_http_certhall_upload_number(r, u->info.height);
    q->values[9] = ngx_http_certhall_upload_number(r, u->info.pages);

    if (q->values[5] == NULL || q->values[7] == NULL
        || q->values[8] == NULL || q->values[9] == NULL)
    {
        ngx_http_certhall_upload_remove(u);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    q->values[6] = ch_file_format(u->info.type);
    q->values[10] = u->name[0] ? u->name : NULL;
    q->done = ngx_http_certhall_upload_committed;
    q->failed = ngx_http_certhall_upload_commit_failed;
    q->data = u;

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

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "certhall: %s of order %s stored as %s (%O bytes)",
                  u->kind, u->order_id, u->sha256, u->size);

    return ngx_http_certhall_db_send_value(r, res, &ngx_http_certhall_created);
}


static void
ngx_http_certhall_upload_commit_failed(ngx_http_request_t *r, void *data)
{
    ngx_http_certhall_upload_remove(data);
}


/*
 * Removes what the upload made and no row holds: the temporary file, and
 * the stored file if this upload created it.  Safe to call twice.
 */

static void
ngx_http_certhall_upload_remove(ngx_http_certhall_upload_t *u)
{
    ngx_log_t  *log;

    log = u->request->connection->log;

    if (u->fd != NGX_INVALID_FILE) {
        ngx_close_file(u->fd);
        u->fd = NGX_INVALID_FILE;
    }

    if (u->tmp_live) {
        if (ngx_delete_file(u->tmp_path) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          ngx_delete_file_n " \"%s\" failed", u->tmp_path);
        }

        u->tmp_live = 0;
    }

    /* off the list: the request's pool, and u in it, may go now */
    ngx_http_certhall_upload_forget(u);

    if (u->created && !u->committed) {
        if (ngx_delete_file(u->final_path) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          ngx_delete_file_n " \"%s\" failed", u->final_path);
        }

        u->created = 0;
    }
}


/* the request's pool goes: whatever way the request ended */

static void
ngx_http_certhall_upload_cleanup(void *data)
{
    ngx_http_certhall_upload_t *u = data;

    ngx_http_certhall_upload_remove(u);

    if (u->sha) {
        EVP_MD_CTX_free(u->sha);
        u->sha = NULL;
    }
}


/* a refusal once the body is being read: nothing is left behind */

static ngx_int_t
ngx_http_certhall_upload_error(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u, ngx_uint_t status, const char *code,
    const char *message)
{
    ngx_http_certhall_upload_remove(u);

    if (r->reading_body) {
        /* the rest of the body is not read: nginx closes after answering */
        r->keepalive = 0;
    }

    return ngx_http_certhall_send_error(r, status, code, NULL, message);
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

    return ngx_http_certhall_send_error(r, status, code, NULL, message);
}


/* GET /api/orders/{id}/materials/{kind}: served from the storage by nginx */

static ngx_int_t
ngx_http_certhall_material_get(ngx_http_request_t *r, const char *order_id,
    const char *kind)
{
    ngx_int_t                       rc;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_main_conf_t  *mcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->storage.len == 0) {
        return ngx_http_certhall_send_unavailable(r, "uploads_unavailable",
                                                  "资料上传暂未开放，请稍后再试",
                                                  60);
    }

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_MATERIAL_GET,
                                        &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[1] = order_id;
    q->values[2] = kind;
    q->done = ngx_http_certhall_material_send;
    q->data = (void *) kind;

    return ngx_http_certhall_db_run(r, q);
}


static ngx_int_t
ngx_http_certhall_material_send(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    const char *kind = data;

    u_char                         *p;
    size_t                          len;
    ngx_str_t                       uri;
    ngx_uint_t                      i, pdf;
    const char                     *sha, *type, *name, *format;
    ngx_http_certhall_main_conf_t  *mcf;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (PQntuples(res) != 1 || PQnfields(res) != 4
        || PQgetisnull(res, 0, 0) || PQgetisnull(res, 0, 1)
        || PQgetisnull(res, 0, 3) || PQgetlength(res, 0, 0) != 64)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: material_get gave no file");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sha = PQgetvalue(res, 0, 0);
    type = PQgetvalue(res, 0, 1);
    name = PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2);
    format = PQgetvalue(res, 0, 3);

    /* a content address is 64 hex digits, nothing a path could abuse */

    for (i = 0; i < 64; i++) {
        if (!((sha[i] >= '0' && sha[i] <= '9')
              || (sha[i] >= 'a' && sha[i] <= 'f')))
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    pdf = (ngx_strcmp(format, "pdf") == 0);

    len = ch_disposition(NULL, (int) pdf, kind, format, name,
                         name ? ngx_strlen(name) : 0);
    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ch_disposition((char *) p, (int) pdf, kind, format, name,
                   name ? ngx_strlen(name) : 0);

    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    /*
     * The file is the applicant's, shown in the site's origin: never
     * sniffed into another type, never able to run script or load
     * anything, never kept by a cache (ID cards).
     */

    if (ngx_http_certhall_add_header(r, "Content-Disposition", p, len)
           != NGX_OK
        || ngx_http_certhall_add_header(r, "X-Content-Type-Options",
                                        (u_char *) "nosniff", 7) != NGX_OK
        || ngx_http_certhall_add_header(r, "Content-Security-Policy",
                   (u_char *) "sandbox; default-src 'none'; "
                              "img-src 'self'; style-src 'unsafe-inline'",
                   sizeof("sandbox; default-src 'none'; "
                          "img-src 'self'; style-src 'unsafe-inline'") - 1)
           != NGX_OK
        || ngx_http_certhall_add_header(r, "Cache-Control",
                                        (u_char *) "private, no-store", 17)
           != NGX_OK
        || ngx_http_certhall_add_header(r, "Referrer-Policy",
                                        (u_char *) "no-referrer", 11)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    uri.len = mcf->storage_uri.len + 3 + 64;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(uri.data, "%V%*s/%*s", &mcf->storage_uri, (size_t) 2, sha,
                (size_t) 64, sha);

    /* what X-Accel-Redirect does for a proxied answer */

    (void) ngx_http_internal_redirect(r, &uri, NULL);

    return NGX_DONE;
}


/* the kind of the path: [a-z][a-z0-9_]*, NUL-terminated, or NULL */

static const char *
ngx_http_certhall_kind_param(ngx_http_request_t *r, ch_route_params_t *params)
{
    u_char            *kind, c;
    ngx_uint_t         i;
    ch_route_param_t  *p;

    p = &params->param[1];

    if (p->len == 0 || p->len > NGX_HTTP_CERTHALL_KIND_MAX
        || p->data[0] < 'a' || p->data[0] > 'z')
    {
        return NULL;
    }

    for (i = 1; i < p->len; i++) {
        c = p->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return NULL;
        }
    }

    kind = ngx_pnalloc(r->pool, p->len + 1);
    if (kind == NULL) {
        return NULL;
    }

    *ngx_cpymem(kind, p->data, p->len) = '\0';

    return (const char *) kind;
}


static ngx_int_t
ngx_http_certhall_add_header(ngx_http_request_t *r, const char *key,
    u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;
    h->value.len = len;
    h->value.data = value;

    return NGX_OK;
}
