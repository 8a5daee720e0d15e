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
 * Before that, the thread pool checks that the stored copy is there
 * (ngx_http_certhall_storage_send_checked): a row whose file has gone is
 * 503 download_unavailable, logged.
 */

#include "ngx_http_certhall.h"
#include "ngx_http_certhall_cache.h"
#include "ch_disposition.h"
#include "ch_download.h"


#define NGX_HTTP_CERTHALL_PROJECT_MAX  40




/* the parameters of the statements: public, no session */

enum {
    NGX_HTTP_CERTHALL_DOWNLOADS_PROJECT = 0     /* NULL: every project */
};

enum {
    NGX_HTTP_CERTHALL_DOWNLOAD_ID = 0
};


static ngx_int_t ngx_http_certhall_download_found(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_download_not_found(ngx_http_request_t *r);


/*
 * GET /api/downloads[?project=CODE], from the catalog cache: a code that
 * cannot be one (not
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

    /*
     * Kept by the catalog cache per project asked (and once for none):
     * bounded by the projects there are, since only a 200 is kept and an
     * unknown project is 404
     */

    return ngx_http_certhall_cache_run(r, q, NGX_HTTP_CERTHALL_CACHE_DOWNLOADS,
                                       project ? project : (u_char *) "",
                                       project ? value.len : 0);
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


/*
 * The database named the current version: the CA's file, saved, never
 * shown in the site's origin: attachment whatever its type, never sniffed
 * into another; always checked again with the server (a replaced file has
 * a new address, so a new ETag)
 */

static ngx_int_t
ngx_http_certhall_download_found(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    const char *id = data;

    u_char                      *p, *ours, *what;
    size_t                       len, name_len;
    const char                  *file_name, *version;
    ngx_keyval_t                *headers;
    ngx_http_certhall_stored_t  *f;
    char                         ext[CH_DOWNLOAD_EXT_MAX + 1];

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    f = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_stored_t));
    headers = ngx_palloc(r->pool, 3 * sizeof(ngx_keyval_t));

    if (f == NULL || headers == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    f->sha256 = ngx_http_certhall_answer_value(res, "sha256");
    f->media_type = ngx_http_certhall_answer_value(res, "media_type");
    file_name = ngx_http_certhall_answer_value(res, "file_name");
    version = ngx_http_certhall_answer_value(res, "version");

    if (f->sha256 == NULL || f->media_type == NULL || file_name == NULL
        || version == NULL)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: download_file gave no file for %s", id);
        return ngx_http_certhall_internal_error(r);
    }

    /* download-<id>-v<version>: digits only, from the path and the row */

    ours = ngx_pnalloc(r->pool, sizeof("download--v") + ngx_strlen(id)
                                + ngx_strlen(version));
    if (ours == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_sprintf(ours, "download-%s-v%s%Z", id, version);

    /* a type of the list has its extension; anything else, none of ours */

    if (ch_download_ext(file_name, ext) == 0) {
        ngx_cpystrn((u_char *) ext, (u_char *) "bin", sizeof(ext));
    }

    name_len = ngx_strlen(file_name);

    len = ch_disposition(NULL, 1, (char *) ours, ext, file_name, name_len);
    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ch_disposition((char *) p, 1, (char *) ours, ext, file_name, name_len);

    ngx_str_set(&headers[0].key, "Content-Disposition");
    headers[0].value.data = p;
    headers[0].value.len = len;
    ngx_str_set(&headers[1].key, "X-Content-Type-Options");
    ngx_str_set(&headers[1].value, "nosniff");
    ngx_str_set(&headers[2].key, "Cache-Control");
    ngx_str_set(&headers[2].value, "no-cache");

    f->headers = headers;
    f->nheaders = 3;
    what = ngx_pnalloc(r->pool, sizeof("download  v") + ngx_strlen(id)
                                + ngx_strlen(version));
    if (what == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_sprintf(what, "download %s v%s%Z", id, version);
    f->what = (const char *) what;
    f->code = "download_unavailable";
    f->message = "文件暂时无法下载，请稍后再试";

    return ngx_http_certhall_storage_send_checked(r, f);
}


static ngx_int_t
ngx_http_certhall_download_not_found(ngx_http_request_t *r)
{
    return ngx_http_certhall_send_error(r, NGX_HTTP_NOT_FOUND,
                                        "download_not_found", NULL,
                                        "文件不存在或已下架");
}
