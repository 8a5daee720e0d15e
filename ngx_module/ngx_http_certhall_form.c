/*
 * Request bodies of the application/x-www-form-urlencoded kind (what HTML
 * forms send): read whole, bounded, then parsed by lib/ch_form.c.
 *
 * Forms are small; a body over NGX_HTTP_CERTHALL_FORM_MAX is refused with
 * 413 before it is read when Content-Length tells, after otherwise.  The
 * body may have gone to a temporary file (client_body_buffer_size smaller
 * than it): it is read back from there, a local read of a few kilobytes.
 */

#include "ngx_http_certhall.h"
#include "ch_fields.h"


#define NGX_HTTP_CERTHALL_FORM_MAX     16384
/* Alipay's notifications (POST /api/alipay/notify) carry some 30 fields */
#define NGX_HTTP_CERTHALL_FORM_FIELDS  64


static void ngx_http_certhall_form_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_certhall_form_parse(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_form_error(ngx_http_request_t *r,
    ch_form_error_e err, ch_form_field_t *at);


/*
 * form_parse's answer for a body that is too large or no form, or that
 * could not be read (no memory, the temporary file): form->refusal holds
 * what sending the answer gave
 */
#define NGX_HTTP_CERTHALL_FORM_REFUSED  NGX_DECLINED


static ngx_str_t  ngx_http_certhall_form_type =
    ngx_string("application/x-www-form-urlencoded");


/*
 * Reads the form of r and calls handler with it; a body that is no form,
 * too large or malformed is answered here.  A request without a body has
 * an empty form.  Returns what a content handler returns.
 */

ngx_int_t
ngx_http_certhall_read_form(ngx_http_request_t *r,
    ngx_http_certhall_form_pt handler)
{
    ngx_int_t                 rc;
    ngx_str_t                *type;
    ngx_http_certhall_ctx_t  *ctx;

    if (r->headers_in.content_length_n > NGX_HTTP_CERTHALL_FORM_MAX) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_certhall_send_error(r,
                                NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                "body_too_large", NULL, "提交的内容过多");
    }

    if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
        type = r->headers_in.content_type
               ? &r->headers_in.content_type->value : NULL;

        /* the type, then nothing or parameters (a charset) */

        if (type == NULL
            || type->len < ngx_http_certhall_form_type.len
            || ngx_strncasecmp(type->data, ngx_http_certhall_form_type.data,
                               ngx_http_certhall_form_type.len) != 0
            || (type->len > ngx_http_certhall_form_type.len
                && type->data[ngx_http_certhall_form_type.len] != ';'
                && type->data[ngx_http_certhall_form_type.len] != ' '))
        {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }

            return ngx_http_certhall_send_error(r,
                                NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                "unsupported_media_type", NULL,
                                "请以 application/x-www-form-urlencoded "
                                "格式提交表单");
        }
    }

    ctx = ngx_http_certhall_get_ctx(r);
    if (ctx == NULL) {
        return ngx_http_certhall_discard_internal_error(r);
    }

    ctx->form_handler = handler;

    rc = ngx_http_read_client_request_body(r, ngx_http_certhall_form_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_certhall_form_body(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_certhall_form_t   form;
    ngx_http_certhall_ctx_t   *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);

    rc = ngx_http_certhall_form_parse(r, &form);

    if (rc == NGX_OK) {
        rc = ctx->form_handler(r, &form);

    } else {
        rc = form.refusal;      /* NGX_HTTP_CERTHALL_FORM_REFUSED */
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_certhall_form_parse(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    u_char           *body, *p;
    off_t             len;
    size_t            size, err_at;
    ssize_t           n;
    ngx_buf_t        *b;
    ngx_chain_t      *cl;
    ch_form_error_e   err;

    len = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            len += ngx_buf_size(cl->buf);
        }
    }

    if (len > NGX_HTTP_CERTHALL_FORM_MAX) {
        form->refusal = ngx_http_certhall_send_error(r,
                                NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                "body_too_large", NULL, "提交的内容过多");
        return NGX_HTTP_CERTHALL_FORM_REFUSED;
    }

    body = ngx_pnalloc(r->pool, (size_t) len + 1);
    if (body == NULL) {
        goto failed;
    }

    p = body;

    if (len) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            b = cl->buf;

            if (b->in_file) {
                size = (size_t) (b->file_last - b->file_pos);
                n = ngx_read_file(b->file, p, size, b->file_pos);

                if (n != (ssize_t) size) {
                    goto failed;    /* ngx_read_file() has logged why */
                }

                p += size;

            } else {
                p = ngx_cpymem(p, b->pos, b->last - b->pos);
            }
        }
    }

    form->fields = ngx_palloc(r->pool, NGX_HTTP_CERTHALL_FORM_FIELDS
                                       * sizeof(ch_form_field_t));
    form->buf = ngx_pnalloc(r->pool, (size_t) len * 2 + 2);

    if (form->fields == NULL || form->buf == NULL) {
        goto failed;
    }

    err = ch_form_parse(body, (size_t) len, form->fields,
                        NGX_HTTP_CERTHALL_FORM_FIELDS, &form->nfields,
                        form->buf, &err_at);

    if (err != CH_FORM_OK) {
        form->refusal = ngx_http_certhall_form_error(r, err,
                                                     &form->fields[err_at]);
        return NGX_HTTP_CERTHALL_FORM_REFUSED;
    }

    return NGX_OK;

failed:

    form->refusal = ngx_http_certhall_internal_error(r);

    return NGX_HTTP_CERTHALL_FORM_REFUSED;
}


static ngx_int_t
ngx_http_certhall_form_error(ngx_http_request_t *r, ch_form_error_e err,
    ch_form_field_t *at)
{
    size_t       i;
    const char  *message, *field;

    /*
     * The field at fault is named when its name was decoded (a bad value,
     * a second copy) and is plain ASCII, so that it can go back as is.
     */

    field = NULL;

    if (err == CH_FORM_BAD_UTF8 || err == CH_FORM_DUPLICATE) {
        field = at->name;

        for (i = 0; i < at->name_len; i++) {
            if (at->name[i] < 0x21 || at->name[i] > 0x7e) {
                field = NULL;
                break;
            }
        }
    }

    switch (err) {

    case CH_FORM_BAD_UTF8:
        message = "提交的内容含有无效字符";
        break;

    case CH_FORM_DUPLICATE:
        message = "同一字段不能提交两次";
        break;

    case CH_FORM_TOO_MANY:
        message = "提交的字段过多";
        break;

    default:
        message = "提交的表单格式不正确";
        break;
    }

    return ngx_http_certhall_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid_form", field, message);
}


/* the value of a field, or NULL when the form lacks it or it is empty */

const char *
ngx_http_certhall_form_value(ngx_http_certhall_form_t *form,
    const char *name)
{
    const ch_form_field_t  *f;

    f = ch_form_get(form->fields, form->nfields, name);

    return (f && f->value_len) ? f->value : NULL;
}


/*
 * Checks the form against spec (lib/ch_fields.c): NGX_OK with values[i]
 * the normal form of spec[i] (or NULL), else NGX_DECLINED with
 * form->refusal what sending the 400 gave.
 */

ngx_int_t
ngx_http_certhall_form_fields(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form, const ch_field_spec_t *spec,
    size_t nspec, ngx_uint_t strict, const char **values)
{
    char              *buf;
    size_t             size;
    ch_field_error_t   err;

    size = ch_fields_buf_size(form->fields, form->nfields, nspec);

    buf = ngx_pnalloc(r->pool, size);
    if (buf == NULL) {
        form->refusal = ngx_http_certhall_internal_error(r);
        return NGX_DECLINED;
    }

    if (ch_fields_check(form->fields, form->nfields, spec, nspec, strict,
                        ngx_http_certhall_today(), values, buf, size, &err)
        != 0)
    {
        form->refusal = ngx_http_certhall_invalid_field(r, err.field,
                                                        err.message);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The query string of r parsed as a form (GET filters): NGX_OK, or
 * NGX_DECLINED with form->refusal the 400 sent.  The request line is
 * bounded by nginx's large_client_header_buffers.
 */

ngx_int_t
ngx_http_certhall_read_args(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    size_t           err_at;
    ch_form_error_e  err;

    form->nfields = 0;
    form->fields = ngx_palloc(r->pool, NGX_HTTP_CERTHALL_FORM_FIELDS
                                       * sizeof(ch_form_field_t));
    form->buf = ngx_pnalloc(r->pool, r->args.len * 2 + 2);

    if (form->fields == NULL || form->buf == NULL) {
        form->refusal = ngx_http_certhall_internal_error(r);
        return NGX_DECLINED;
    }

    err = ch_form_parse(r->args.data, r->args.len, form->fields,
                        NGX_HTTP_CERTHALL_FORM_FIELDS, &form->nfields,
                        form->buf, &err_at);

    if (err != CH_FORM_OK) {
        form->refusal = ngx_http_certhall_form_error(r, err,
                                                     &form->fields[err_at]);
        return NGX_DECLINED;
    }

    return NGX_OK;
}
