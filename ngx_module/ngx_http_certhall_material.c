/*
 * An order's materials: /api/orders/{id}/materials/{kind}.  POST is an
 * upload (ngx_http_certhall_upload.c); GET downloads the current file,
 * DELETE removes it.
 *
 * Downloads are served by nginx itself from the storage through the
 * internal location certhall_storage_uri (ngx_http_certhall_storage_send.c),
 * once the database has said whose file it is, with headers that keep the file from acting in the site's
 * origin (nosniff, a sandboxing CSP, attachment for PDFs).  The stored copy
 * is looked for first, in the thread pool: a row whose file is not there
 * (a lost disk, or a machine of the hall that does not share the storage
 * of the one the file was uploaded on) is the server's fault, 503 in
 * JSON, not nginx's 404 page telling the applicant there is no file.
 */

#include "ngx_http_certhall_upload.h"
#include "ch_disposition.h"


#define NGX_HTTP_CERTHALL_KIND_MAX  40


/*
 * The parameters of the statements filled here; the first ones are the
 * session's (ngx_http_certhall_session_query): $1 the session token, and
 * $2 the CSRF token for a request that changes state.
 */

enum {
    NGX_HTTP_CERTHALL_MATERIAL_GET_ORDER = 1,
    NGX_HTTP_CERTHALL_MATERIAL_GET_KIND
};

enum {
    NGX_HTTP_CERTHALL_MATERIAL_DELETE_ORDER = 2,
    NGX_HTTP_CERTHALL_MATERIAL_DELETE_KIND
};


static ngx_int_t ngx_http_certhall_material_get(ngx_http_request_t *r,
    const char *order_id, const char *kind);
static ngx_int_t ngx_http_certhall_material_send(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_material_delete(ngx_http_request_t *r,
    const char *order_id, const char *kind);
static ngx_int_t ngx_http_certhall_kind_param(ngx_http_request_t *r,
    ch_route_params_t *params, const char **kind);


/* /api/orders/{id}/materials/{kind}: GET, POST, DELETE */

ngx_int_t
ngx_http_certhall_material(ngx_http_request_t *r, ch_route_params_t *params)
{
    ngx_int_t    rc, found;
    const char  *id, *kind;

    found = ngx_http_certhall_order_id(r, params, &id);

    if (found == NGX_DECLINED) {
        return ngx_http_certhall_order_not_found(r);
    }

    if (found == NGX_ERROR) {
        return ngx_http_certhall_discard_internal_error(r);
    }

    found = ngx_http_certhall_kind_param(r, params, &kind);

    if (found != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        if (found == NGX_ERROR) {
            return ngx_http_certhall_internal_error(r);
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

    return ngx_http_certhall_material_delete(r, id, kind);
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

    q->values[NGX_HTTP_CERTHALL_MATERIAL_GET_ORDER] = order_id;
    q->values[NGX_HTTP_CERTHALL_MATERIAL_GET_KIND] = kind;
    q->done = ngx_http_certhall_material_send;
    q->data = (void *) kind;

    return ngx_http_certhall_db_run(r, q);
}


static ngx_int_t
ngx_http_certhall_material_send(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    const char *kind = data;

    u_char                      *p;
    size_t                       len;
    ngx_uint_t                   pdf;
    const char                  *sha, *type, *name, *format;
    ngx_keyval_t                *headers;
    ngx_http_certhall_stored_t  *f;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    sha = ngx_http_certhall_answer_value(res, "sha256");
    type = ngx_http_certhall_answer_value(res, "media_type");
    name = ngx_http_certhall_answer_value(res, "name");
    format = ngx_http_certhall_answer_value(res, "format");

    if (sha == NULL || type == NULL || format == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: material_get gave no file");
        return ngx_http_certhall_internal_error(r);
    }

    pdf = (ngx_strcmp(format, "pdf") == 0);

    /* in the pool: sent once the thread pool has found the stored copy */

    f = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_stored_t));
    headers = ngx_pnalloc(r->pool, 5 * sizeof(ngx_keyval_t));
    if (f == NULL || headers == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    len = ch_disposition(NULL, (int) pdf, kind, format, name,
                         name ? ngx_strlen(name) : 0);
    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ch_disposition((char *) p, (int) pdf, kind, format, name,
                   name ? ngx_strlen(name) : 0);

    /*
     * The file is the applicant's, shown in the site's origin: never
     * sniffed into another type, never able to run script or load
     * anything, never kept by a cache (ID cards).
     */

    ngx_str_set(&headers[0].key, "Content-Disposition");
    headers[0].value.data = p;
    headers[0].value.len = len;
    ngx_str_set(&headers[1].key, "X-Content-Type-Options");
    ngx_str_set(&headers[1].value, "nosniff");
    ngx_str_set(&headers[2].key, "Content-Security-Policy");
    ngx_str_set(&headers[2].value, "sandbox; default-src 'none'; "
                                   "img-src 'self'; style-src 'unsafe-inline'");
    ngx_str_set(&headers[3].key, "Cache-Control");
    ngx_str_set(&headers[3].value, "private, no-store");
    ngx_str_set(&headers[4].key, "Referrer-Policy");
    ngx_str_set(&headers[4].value, "no-referrer");

    f->sha256 = sha;
    f->media_type = type;
    f->headers = headers;
    f->nheaders = 5;
    f->what = "material";
    f->code = "material_unavailable";
    f->message = "文件暂时无法查看，请稍后再试";

    return ngx_http_certhall_storage_send_checked(r, f);
}


/* DELETE /api/orders/{id}/materials/{kind}: the row stays in the history */

static ngx_int_t
ngx_http_certhall_material_delete(ngx_http_request_t *r, const char *order_id,
    const char *kind)
{
    ngx_int_t                      rc;
    ngx_http_certhall_db_query_t  *q;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    q = ngx_http_certhall_session_query(r,
                                NGX_HTTP_CERTHALL_STMT_MATERIAL_DELETE, &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[NGX_HTTP_CERTHALL_MATERIAL_DELETE_ORDER] = order_id;
    q->values[NGX_HTTP_CERTHALL_MATERIAL_DELETE_KIND] = kind;

    return ngx_http_certhall_db_run(r, q);
}


/*
 * The kind of the path, [a-z][a-z0-9_]*, NUL-terminated in *kind:
 * NGX_DECLINED for a path of no kind, NGX_ERROR for no memory.
 */

static ngx_int_t
ngx_http_certhall_kind_param(ngx_http_request_t *r, ch_route_params_t *params,
    const char **kind)
{
    u_char            *p, c;
    ngx_uint_t         i;
    ch_route_param_t  *param;

    param = &params->param[1];

    if (param->len == 0 || param->len > NGX_HTTP_CERTHALL_KIND_MAX
        || param->data[0] < 'a' || param->data[0] > 'z')
    {
        return NGX_DECLINED;
    }

    for (i = 1; i < param->len; i++) {
        c = param->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return NGX_DECLINED;
        }
    }

    p = ngx_pnalloc(r->pool, param->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    *ngx_cpymem(p, param->data, param->len) = '\0';

    *kind = (const char *) p;

    return NGX_OK;
}

