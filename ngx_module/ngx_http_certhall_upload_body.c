/*
 * Step 2 of an upload (ngx_http_certhall_upload.c): its body, read
 * unbuffered (r->request_body_no_buffering) and checked as it comes.
 *
 * Each piece nginx reads, after its length or chunked decoding, goes
 * through the multipart parser (lib/ch_multipart.c) at once; the file part
 * is sniffed from its first bytes (415 at once for no jpg/png/bmp/pdf, 422
 * for a format the kind does not take), counted (413 as soon as it passes
 * the kind's limit), hashed (SHA-256) and written to its temporary file
 * (ngx_http_certhall_storage.c).  Nothing of the body is kept in memory
 * but nginx's one read buffer.
 */

#include "ngx_http_certhall_upload.h"


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
static ngx_int_t ngx_http_certhall_upload_take(ngx_http_certhall_upload_t *u,
    const u_char *p, size_t n);
static int ngx_http_certhall_upload_refuse(ngx_http_certhall_upload_t *u,
    ngx_uint_t status, const char *code, const char *message);
static int ngx_http_certhall_upload_refuse_storage(
    ngx_http_certhall_upload_t *u);
static ngx_uint_t ngx_http_certhall_upload_format_allowed(const char *formats,
    const char *format);
static ngx_int_t ngx_http_certhall_upload_refused(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u);


/*
 * The parser of the body, for the boundary of its Content-Type: NGX_OK,
 * NGX_DECLINED for a type without a usable boundary, NGX_ERROR for no
 * memory
 */

ngx_int_t
ngx_http_certhall_upload_body_init(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u, ngx_str_t *type)
{
    char  boundary[CH_MP_BOUNDARY_MAX + 1];

    static const ch_mp_callbacks_t  callbacks = {
        ngx_http_certhall_upload_part_begin,
        ngx_http_certhall_upload_part_data,
        ngx_http_certhall_upload_part_end
    };

    u->mp = ngx_palloc(r->pool, ch_multipart_size());
    if (u->mp == NULL) {
        return NGX_ERROR;
    }

    if (ch_multipart_boundary((const char *) type->data, type->len, boundary)
        <= 0)
    {
        return NGX_DECLINED;
    }

    ch_multipart_init(u->mp, boundary, &callbacks, u);

    return NGX_OK;
}


/*
 * Step 2.  Called once by ngx_http_read_client_request_body() with what it
 * could read at once; from then on the read events come to
 * ngx_http_certhall_upload_read.
 */

void
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
                    return ngx_http_certhall_upload_refused(r, u);
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

        if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) {
            /* no memory: the rest of the body is left unread */
            r->keepalive = 0;
            return ngx_http_certhall_upload_failed(r, u);
        }

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            /* the client went away, timed out, or sent bad chunks */
            ngx_http_certhall_storage_remove(u);
            return rc;
        }

        if (rc == NGX_AGAIN && rb->bufs == NULL) {
            return NGX_AGAIN;
        }
    }
}


/* the body is whole: on to step 3 */

static ngx_int_t
ngx_http_certhall_upload_body_done(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u)
{
    u_char          digest[EVP_MAX_MD_SIZE];
    unsigned int    len;
    ch_mp_status_e  st;

    /* nothing more to read: a client that goes away is noticed still */
    r->read_event_handler = ngx_http_test_reading;

    st = ch_multipart_finish(u->mp);

    if (st == CH_MP_STOPPED) {
        return ngx_http_certhall_upload_refused(r, u);
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
        return ngx_http_certhall_upload_failed(r, u);
    }

    ngx_hex_dump((u_char *) u->sha256, digest, 32);
    u->sha256[64] = '\0';

    return ngx_http_certhall_upload_store(r, u);
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

    size_t               take;
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

        if (!ngx_http_certhall_upload_format_allowed(u->formats,
                                                ch_file_format(u->type)))
        {
            return ngx_http_certhall_upload_refuse(u,
                                        NGX_HTTP_CERTHALL_UNPROCESSABLE,
                                        "format_not_allowed",
                                        "此项资料不支持该文件格式");
        }

        if (ngx_http_certhall_storage_open(u) != NGX_OK) {
            return ngx_http_certhall_upload_refuse_storage(u);
        }

        u->size = u->nsniff;

        if (ngx_http_certhall_upload_take(u, u->sniff, u->nsniff) != NGX_OK) {
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

    return ngx_http_certhall_upload_take(u, p, n) == NGX_OK ? 0 : 1;
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


/* a piece of the file: hashed and written to the temporary file */

static ngx_int_t
ngx_http_certhall_upload_take(ngx_http_certhall_upload_t *u,
    const u_char *p, size_t n)
{
    if (EVP_DigestUpdate(u->sha, p, n) != 1) {
        ngx_http_certhall_upload_refuse(u, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        NULL, NULL);
        return NGX_ERROR;
    }

    if (ngx_http_certhall_storage_write(u, p, n) != NGX_OK) {
        ngx_http_certhall_upload_refuse_storage(u);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a refusal for later: a NULL code is a 500 internal_error */

static int
ngx_http_certhall_upload_refuse(ngx_http_certhall_upload_t *u,
    ngx_uint_t status, const char *code, const char *message)
{
    u->status = status;
    u->code = code;
    u->message = message;

    return 1;
}


/*
 * The temporary file could not be made or written (u->err): the answer
 * (507 or 500) and its log line are ngx_http_certhall_upload_storage_error's
 */

static int
ngx_http_certhall_upload_refuse_storage(ngx_http_certhall_upload_t *u)
{
    u->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    u->code = NULL;
    u->message = NULL;

    return 1;
}


/*
 * The 413's message, with the kind's limit as the screens and the
 * database say it, exactly, never rounded: "2M" is 2 MiB (2,097,152
 * bytes, the size Windows and phones show as 2 MB), then "K" for whole
 * KiB, else bytes
 */

const char *
ngx_http_certhall_upload_too_large(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u)
{
    u_char  *p;
    off_t    max;

    max = u->max_bytes;

    p = ngx_pnalloc(r->pool, sizeof("文件大小超过限制（不超过字节）")
                             + NGX_OFF_T_LEN);
    if (p == NULL) {
        return "文件大小超过限制";
    }

    if (max % (1024 * 1024) == 0) {
        ngx_sprintf(p, "文件大小超过限制（不超过%OM）%Z", max / (1024 * 1024));

    } else if (max % 1024 == 0) {
        ngx_sprintf(p, "文件大小超过限制（不超过%OK）%Z", max / 1024);

    } else {
        ngx_sprintf(p, "文件大小超过限制（不超过%O字节）%Z", max);
    }

    return (const char *) p;
}


/*
 * Whether the database's list of a kind's formats ("jpg,png,pdf") has
 * this one as a whole entry
 */

static ngx_uint_t
ngx_http_certhall_upload_format_allowed(const char *formats,
    const char *format)
{
    size_t       len;
    const char  *p, *end;

    len = ngx_strlen(format);

    for (p = formats; /* void */ ; p = end + 1) {
        end = ngx_strchr(p, ',');

        if (end == NULL) {
            end = p + ngx_strlen(p);
        }

        if ((size_t) (end - p) == len && ngx_strncmp(p, format, len) == 0) {
            return 1;
        }

        if (*end == '\0') {
            return 0;
        }
    }
}


/* the refusal a parser callback decided */

static ngx_int_t
ngx_http_certhall_upload_refused(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u)
{
    if (u->failed_op) {
        return ngx_http_certhall_upload_storage_error(r, u);
    }

    if (u->code == NULL) {
        return ngx_http_certhall_upload_failed(r, u);
    }

    return ngx_http_certhall_upload_error(r, u, u->status, u->code,
                                          u->message);
}
