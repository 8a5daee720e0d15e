/*
 * JSON responses and the API's error model:
 *
 *   {"error":{"code":"invalid_field","field":"id_number","message":"..."}}
 *
 * code is stable English for programs, message is Chinese for people, field
 * names the form field at fault and is left out when none is.
 */

#include "ngx_http_certhall.h"
#include "ch_json.h"


static ngx_int_t ngx_http_certhall_output_json(ngx_http_request_t *r,
    ngx_uint_t status, u_char *body, size_t len);
static ngx_int_t ngx_http_certhall_add_header(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *value);


ngx_uint_t  ngx_http_certhall_created = NGX_HTTP_CREATED;


static ngx_str_t  ngx_http_certhall_json_type =
    ngx_string("application/json; charset=utf-8");

static ngx_str_t  ngx_http_certhall_cache_control = ngx_string("Cache-Control");
static ngx_str_t  ngx_http_certhall_no_store = ngx_string("no-store");
static ngx_str_t  ngx_http_certhall_nosniff_key =
    ngx_string("X-Content-Type-Options");
static ngx_str_t  ngx_http_certhall_nosniff = ngx_string("nosniff");


ngx_int_t
ngx_http_certhall_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len)
{
    ngx_int_t  rc;

    rc = ngx_http_certhall_output_json(r, status, body, len);

    if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        /* no memory for the headers: nothing has gone out yet */
        return ngx_http_certhall_internal_error(r);
    }

    return rc;
}


/*
 * Sends a JSON answer; NGX_HTTP_INTERNAL_SERVER_ERROR when no memory was
 * left before the header went out (the answer can still be a 500),
 * NGX_ERROR when none was left after it.
 */

static ngx_int_t
ngx_http_certhall_output_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_type = ngx_http_certhall_json_type;
    r->headers_out.content_type_len = ngx_http_certhall_json_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = len;

    /* answers are per account and per moment: no cache may keep them */

    if (ngx_http_certhall_add_header(r, &ngx_http_certhall_cache_control,
                                     &ngx_http_certhall_no_store)
        != NGX_OK
        || ngx_http_certhall_add_header(r, &ngx_http_certhall_nosniff_key,
                                        &ngx_http_certhall_nosniff)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_certhall_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *field, const char *message)
{
    u_char  *body, *p;
    size_t   len, code_len, field_len, message_len;

    static const char  head[] = "{\"error\":{\"code\":\"";
    static const char  field_key[] = "\",\"field\":\"";
    static const char  message_key[] = "\",\"message\":\"";
    static const char  tail[] = "\"}}";

    code_len = ngx_strlen(code);
    message_len = ngx_strlen(message);
    field_len = field ? ngx_strlen(field) : 0;

    len = sizeof(head) - 1
          + ch_json_escape(NULL, (u_char *) code, code_len)
          + sizeof(message_key) - 1
          + ch_json_escape(NULL, (u_char *) message, message_len)
          + sizeof(tail) - 1;

    if (field) {
        len += sizeof(field_key) - 1
               + ch_json_escape(NULL, (u_char *) field, field_len);
    }

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    p = ngx_cpymem(body, head, sizeof(head) - 1);
    p += ch_json_escape(p, (u_char *) code, code_len);

    if (field) {
        p = ngx_cpymem(p, field_key, sizeof(field_key) - 1);
        p += ch_json_escape(p, (u_char *) field, field_len);
    }

    p = ngx_cpymem(p, message_key, sizeof(message_key) - 1);
    p += ch_json_escape(p, (u_char *) message, message_len);
    p = ngx_cpymem(p, tail, sizeof(tail) - 1);

    return ngx_http_certhall_send_json(r, status, body, p - body);
}


/*
 * 500 internal_error in the error model, for a failure the request cannot
 * go on from: no memory, a file that cannot be written, an answer the
 * database should not have given.  The body is static, so that even an
 * allocation failure reaches the client as JSON rather than as nginx's
 * HTML page; once a header has gone out nothing can be said any more, and
 * the connection is closed.
 */

ngx_int_t
ngx_http_certhall_internal_error(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    static u_char  body[] = "{\"error\":{\"code\":\"internal_error\","
                            "\"message\":\"服务器内部错误，请稍后再试\"}}";

    if (r->header_sent) {
        return NGX_ERROR;
    }

    rc = ngx_http_certhall_output_json(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       body, sizeof(body) - 1);

    return (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) ? NGX_ERROR : rc;
}


/*
 * A page of the API (the printable application form): HTML that carries
 * personal data, so no cache keeps it, no script runs in it, no other
 * site frames it, and no link tells where it came from.
 */

ngx_int_t
ngx_http_certhall_send_page(ngx_http_request_t *r, u_char *page, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    static ngx_str_t  html = ngx_string("text/html; charset=utf-8");
    static ngx_str_t  csp_key = ngx_string("Content-Security-Policy");
    static ngx_str_t  csp = ngx_string("default-src 'none'; "
                                       "style-src 'unsafe-inline'; "
                                       "base-uri 'none'; form-action 'none'; "
                                       "frame-ancestors 'none'");
    static ngx_str_t  referrer_key = ngx_string("Referrer-Policy");
    static ngx_str_t  no_referrer = ngx_string("no-referrer");

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = html;
    r->headers_out.content_type_len = html.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = len;

    if (ngx_http_certhall_add_header(r, &ngx_http_certhall_cache_control,
                                     &ngx_http_certhall_no_store)
        != NGX_OK
        || ngx_http_certhall_add_header(r, &ngx_http_certhall_nosniff_key,
                                        &ngx_http_certhall_nosniff)
           != NGX_OK
        || ngx_http_certhall_add_header(r, &csp_key, &csp) != NGX_OK
        || ngx_http_certhall_add_header(r, &referrer_key, &no_referrer)
           != NGX_OK)
    {
        return ngx_http_certhall_internal_error(r);
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        /* the header has gone out: nothing can be said any more */
        return NGX_ERROR;
    }

    b->pos = page;
    b->last = page + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* 400 invalid_field: a form field that is missing or wrong */

ngx_int_t
ngx_http_certhall_invalid_field(ngx_http_request_t *r, const char *field,
    const char *message)
{
    return ngx_http_certhall_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid_field", field, message);
}


/* 503 with Retry-After: the database is down, or every connection busy */

ngx_int_t
ngx_http_certhall_send_unavailable(ngx_http_request_t *r, const char *code,
    const char *message, time_t retry_after)
{
    return ngx_http_certhall_send_retry_later(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                              code, message, retry_after);
}


/*
 * An error that passes with time, with Retry-After: 503 above, and 507
 * when the storage is full (ngx_http_certhall_upload_storage_error)
 */

ngx_int_t
ngx_http_certhall_send_retry_later(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message, time_t retry_after)
{
    u_char     *p;
    ngx_str_t   value;

    static ngx_str_t  retry_after_key = ngx_string("Retry-After");

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (p == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    value.data = p;
    value.len = ngx_sprintf(p, "%T", retry_after) - p;

    if (ngx_http_certhall_add_header(r, &retry_after_key, &value) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    return ngx_http_certhall_send_error(r, status, code, NULL, message);
}


static ngx_int_t
ngx_http_certhall_add_header(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = *key;
    h->value = *value;

    return NGX_OK;
}
