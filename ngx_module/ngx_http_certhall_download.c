/*
 * The download centre (下载中心), public: GET /api/downloads[?project=CODE]
 * lists the offered files (api.downloads), GET /api/downloads/{id} sends
 * the current version of one.
 *
 * A file is the CA's own (a blank form, a driver, a manual), stored by the
 * back office under its SHA-256 like the materials, and sent by nginx
 * from the storage through the internal location
 * (ngx_http_certhall_storage_send.c) as an attachment, under a plain
 * ASCII name of ours and the admin's own name in filename*=.
 *
 * Before that, the thread pool checks that the stored copy is there: a
 * row whose file has gone (a lost disk, a restore of the database alone)
 * is the server's fault, and the answer says so in JSON (503
 * download_unavailable, logged) rather than as nginx's HTML 404 page,
 * which would tell the applicant the file does not exist.
 */

#include "ngx_http_certhall.h"
#include "ch_disposition.h"
#include "ch_download.h"


#define NGX_HTTP_CERTHALL_PROJECT_MAX  40


typedef struct {
    const char                     *id;
    const char                     *sha256;
    const char                     *media_type;
    const char                     *file_name;
    const char                     *version;
    u_char                         *path;       /* DIR/ab/<sha256> */
    ngx_err_t                       err;        /* of stat(), in the thread */
    ngx_uint_t                      not_file;
} ngx_http_certhall_download_t;


/* the parameters of the statements: public, no session */

enum {
    NGX_HTTP_CERTHALL_DOWNLOADS_PROJECT = 0     /* NULL: every project */
};

enum {
    NGX_HTTP_CERTHALL_DOWNLOAD_ID = 0
};


static ngx_int_t ngx_http_certhall_download_found(ngx_http_request_t *r,
    PGresult *res, void *data);
#if (NGX_THREADS)
static void ngx_http_certhall_download_stat(void *data, ngx_log_t *log);
static void ngx_http_certhall_download_resume(ngx_http_request_t *r);
#endif
static ngx_int_t ngx_http_certhall_download_send(ngx_http_request_t *r,
    ngx_http_certhall_download_t *d);
static ngx_int_t ngx_http_certhall_download_not_found(ngx_http_request_t *r);


/*
 * GET /api/downloads[?project=CODE]: a code that cannot be one (not
 * [a-z][a-z0-9_]{1,39}, as projects.code) is 404 without asking the
 * database, as an unknown one is after asking it; other arguments are
 * ignored, as a static page's are
 */

ngx_int_t
ngx_http_certhall_downloads(ngx_http_request_t *r, ch_route_params_t *params)
{
    u_char                        *project;
    ngx_int_t                      rc;
    ngx_str_t                      value;
    ngx_uint_t                     i;
    ngx_http_certhall_db_query_t  *q;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    project = NULL;

    /* "project=" (the page's 全部) is no filter */

    if (ngx_http_arg(r, (u_char *) "project", 7, &value) == NGX_OK
        && value.len > 0)
    {

        for (i = 0; i < value.len; i++) {
            if (!((value.data[i] >= 'a' && value.data[i] <= 'z')
                  || (i > 0 && ((value.data[i] >= '0' && value.data[i] <= '9')
                                || value.data[i] == '_'))))
            {
                break;
            }
        }

        if (value.len < 2 || value.len > NGX_HTTP_CERTHALL_PROJECT_MAX
            || i != value.len)
        {
            return ngx_http_certhall_send_error(r, NGX_HTTP_NOT_FOUND,
                                                "project_not_found", "project",
                                                "申请项目不存在");
        }

        project = ngx_pnalloc(r->pool, value.len + 1);
        if (project == NULL) {
            return ngx_http_certhall_internal_error(r);
        }

        *ngx_cpymem(project, value.data, value.len) = '\0';
    }

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_DOWNLOADS);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_DOWNLOADS_PROJECT] = (const char *) project;

    return ngx_http_certhall_db_run(r, q);
}


/* GET /api/downloads/{id}: an id that cannot be one names no file (404) */

ngx_int_t
ngx_http_certhall_download(ngx_http_request_t *r, ch_route_params_t *params)
{
    ngx_int_t                       rc, found;
    const char                     *id;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_main_conf_t  *mcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    found = ngx_http_certhall_number_param(r, params, 0, &id);

    if (found == NGX_ERROR) {
        return ngx_http_certhall_internal_error(r);
    }

    if (found == NGX_DECLINED) {
        return ngx_http_certhall_download_not_found(r);
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->storage.len == 0) {
        return ngx_http_certhall_send_unavailable(r, "downloads_unavailable",
                                                  "文件下载暂未开放，请稍后再试",
                                                  60);
    }

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_DOWNLOAD_FILE);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_DOWNLOAD_ID] = id;
    q->done = ngx_http_certhall_download_found;
    q->data = (void *) id;

    return ngx_http_certhall_db_run(r, q);
}


/* the database named the current version: is its stored copy there? */

static ngx_int_t
ngx_http_certhall_download_found(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_download_t   *d;
    ngx_http_certhall_main_conf_t  *mcf;
#if (NGX_THREADS)
    ngx_int_t                       rc;
#endif

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    ctx = ngx_http_certhall_get_ctx(r);
    d = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_download_t));

    if (ctx == NULL || d == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ctx->data = d;

    d->id = data;
    d->sha256 = ngx_http_certhall_answer_value(res, "sha256");
    d->media_type = ngx_http_certhall_answer_value(res, "media_type");
    d->file_name = ngx_http_certhall_answer_value(res, "file_name");
    d->version = ngx_http_certhall_answer_value(res, "version");

    if (d->sha256 == NULL || d->media_type == NULL || d->file_name == NULL
        || d->version == NULL
        || !ngx_http_certhall_storage_name((u_char *) d->sha256,
                                           ngx_strlen(d->sha256)))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: download_file gave no file for %s", d->id);
        return ngx_http_certhall_internal_error(r);
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    d->path = ngx_pnalloc(r->pool, mcf->storage.len + 4 + 64 + 1);
    if (d->path == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_sprintf(d->path, "%V/%*s/%s%Z", &mcf->storage, (size_t) 2, d->sha256,
                d->sha256);

#if (NGX_THREADS)

    rc = ngx_http_certhall_thread_run(r, mcf->upload_thread_pool,
                                      ngx_http_certhall_download_stat, d,
                                      ngx_http_certhall_download_resume);

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

/* in a thread of the pool: d is the request's, kept by r->main->blocked */

static void
ngx_http_certhall_download_stat(void *data, ngx_log_t *log)
{
    ngx_http_certhall_download_t *d = data;

    ngx_file_info_t  fi;

    if (ngx_file_info(d->path, &fi) == NGX_FILE_ERROR) {
        d->err = ngx_errno;
        return;
    }

    d->not_file = !ngx_is_file(&fi);
}


static void
ngx_http_certhall_download_resume(ngx_http_request_t *r)
{
    ngx_http_certhall_ctx_t       *ctx;
    ngx_http_certhall_download_t  *d;

    r->write_event_handler = ngx_http_request_empty_handler;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    d = ctx->data;

    if (d->err || d->not_file) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, d->err,
                      "certhall: download %s v%s: stored file \"%s\" %s",
                      d->id, d->version, d->path,
                      d->err ? "missing" : "is not a regular file");

        ngx_http_finalize_request(r,
            ngx_http_certhall_send_unavailable(r, "download_unavailable",
                                               "文件暂时无法下载，请稍后再试",
                                               300));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_certhall_download_send(r, d));
}

#endif


/*
 * The CA's file, saved, never shown in the site's origin: attachment
 * whatever its type, never sniffed into another; always checked again
 * with the server (a replaced file has a new address, so a new ETag)
 */

static ngx_int_t
ngx_http_certhall_download_send(ngx_http_request_t *r,
    ngx_http_certhall_download_t *d)
{
    u_char        *p, *ours;
    size_t         len, name_len;
    ngx_keyval_t   headers[3];
    char           ext[CH_DOWNLOAD_EXT_MAX + 1];

    /* download-<id>-v<version>: digits only, from the path and the row */

    ours = ngx_pnalloc(r->pool, sizeof("download--v") + ngx_strlen(d->id)
                                + ngx_strlen(d->version));
    if (ours == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_sprintf(ours, "download-%s-v%s%Z", d->id, d->version);

    /* a type of the list has its extension; anything else, none of ours */

    if (ch_download_ext(d->file_name, ext) == 0) {
        ngx_cpystrn((u_char *) ext, (u_char *) "bin", sizeof(ext));
    }

    name_len = ngx_strlen(d->file_name);

    len = ch_disposition(NULL, 1, (char *) ours, ext, d->file_name, name_len);
    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ch_disposition((char *) p, 1, (char *) ours, ext, d->file_name, name_len);

    ngx_str_set(&headers[0].key, "Content-Disposition");
    headers[0].value.data = p;
    headers[0].value.len = len;
    ngx_str_set(&headers[1].key, "X-Content-Type-Options");
    ngx_str_set(&headers[1].value, "nosniff");
    ngx_str_set(&headers[2].key, "Cache-Control");
    ngx_str_set(&headers[2].value, "no-cache");

    return ngx_http_certhall_storage_send(r, d->sha256, d->media_type,
                                          headers, 3);
}


static ngx_int_t
ngx_http_certhall_download_not_found(ngx_http_request_t *r)
{
    return ngx_http_certhall_send_error(r, NGX_HTTP_NOT_FOUND,
                                        "download_not_found", NULL,
                                        "文件不存在或已下架");
}
