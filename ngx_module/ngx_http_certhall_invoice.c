/*
 * The applicant's e-invoice (电子发票) of an order:
 *
 *   POST /api/orders/{id}/invoice-request   开具发票: api.order_invoice_request
 *       queues the request (or moves the queued one to the next run of
 *       certhall-admin invoice-send); nothing here speaks to the tax
 *       platform, which only the back office's sender does.
 *   GET (HEAD) /api/orders/{id}/invoice     the issued invoice's PDF
 *
 * The PDF is stored by the sender under its SHA-256 like the materials;
 * once api.order_invoice_file has said it is the session's own order's
 * current invoice, the thread pool checks the stored copy is there and
 * nginx sends it from the storage through the internal location
 * (ngx_http_certhall_storage_send.c), as an attachment under a plain ASCII
 * name of ours and the database's own (电子发票_<发票号码>.pdf) in
 * filename*=.  PUT /api/orders/{id}/invoice (the title, 开票信息) stays in
 * ngx_http_certhall_order.c: whether it may still change is the
 * database's to say.
 */

#include "ngx_http_certhall.h"
#include "ch_disposition.h"


#define NGX_HTTP_CERTHALL_INVOICE_HEADERS  4


static ngx_int_t ngx_http_certhall_invoice_found(ngx_http_request_t *r,
    PGresult *res, void *data);


/* POST /api/orders/{id}/invoice-request: 开具发票, 200 with the order */

ngx_int_t
ngx_http_certhall_order_invoice_request(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_order_call(r, params,
                               NGX_HTTP_CERTHALL_STMT_ORDER_INVOICE_REQUEST,
                               NULL);
}


/* GET /api/orders/{id}/invoice: the PDF, once the database has named it */

ngx_int_t
ngx_http_certhall_order_invoice_file(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    ngx_int_t                       rc;
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->storage.len == 0) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_certhall_send_unavailable(r, "invoice_unavailable",
                                                  "电子发票暂时无法下载，请稍后再试",
                                                  60);
    }

    return ngx_http_certhall_order_call(r, params,
                                  NGX_HTTP_CERTHALL_STMT_ORDER_INVOICE_FILE,
                                  ngx_http_certhall_invoice_found);
}


/*
 * The applicant's own document with the buyer's name and taxpayer number:
 * saved, never shown in the site's origin nor sniffed into another type,
 * kept by no shared cache; checked again with the server (ETag: an
 * invoice corrected by a red and a new blue one is another file)
 */

static ngx_int_t
ngx_http_certhall_invoice_found(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    u_char                      *p, *ours, *what;
    size_t                       len, name_len;
    const char                  *id, *name;
    ngx_keyval_t                *h;
    ngx_http_certhall_stored_t  *f;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    /* the order id of the path, which the statement gives back */

    id = ngx_http_certhall_answer_value(res, "order_id");
    if (id == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    f = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_stored_t));
    h = ngx_palloc(r->pool,
                   NGX_HTTP_CERTHALL_INVOICE_HEADERS * sizeof(ngx_keyval_t));
    ours = ngx_pnalloc(r->pool, sizeof("invoice-") + ngx_strlen(id));
    what = ngx_pnalloc(r->pool, sizeof("invoice of ") + ngx_strlen(id));

    if (f == NULL || h == NULL || ours == NULL || what == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    /* invoice-<order id>: the path's, "UO" and digits */

    ngx_sprintf(ours, "invoice-%s%Z", id);
    ngx_sprintf(what, "invoice of %s%Z", id);

    f->sha256 = ngx_http_certhall_answer_value(res, "sha256");
    f->media_type = ngx_http_certhall_answer_value(res, "media_type");
    name = ngx_http_certhall_answer_value(res, "name");

    if (f->media_type == NULL) {
        f->media_type = "application/pdf";
    }

    name_len = name ? ngx_strlen(name) : 0;

    len = ch_disposition(NULL, 1, (char *) ours, "pdf", name, name_len);
    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ch_disposition((char *) p, 1, (char *) ours, "pdf", name, name_len);

    ngx_str_set(&h[0].key, "Content-Disposition");
    h[0].value.data = p;
    h[0].value.len = len;
    ngx_str_set(&h[1].key, "X-Content-Type-Options");
    ngx_str_set(&h[1].value, "nosniff");
    ngx_str_set(&h[2].key, "Content-Security-Policy");
    ngx_str_set(&h[2].value, "sandbox; default-src 'none'");
    ngx_str_set(&h[3].key, "Cache-Control");
    ngx_str_set(&h[3].value, "private, no-cache");

    f->headers = h;
    f->nheaders = NGX_HTTP_CERTHALL_INVOICE_HEADERS;
    f->what = (const char *) what;
    f->code = "invoice_unavailable";
    f->message = "电子发票暂时无法下载，请稍后再试";

    return ngx_http_certhall_storage_send_checked(r, f);
}

