/*
 * An upload form (multipart/form-data) read from stdin as it comes, for
 * the 下载中心's files (page_downloads.c), and the command line's files
 * stored the same way (cmd_download_add.c).
 *
 * The body can be as large as download_max_size, so it is never held in
 * memory: lib/ch_multipart parses each piece as it is read, the text
 * fields (a few, short) are kept, the file is written to the store
 * (lib/ch_store.h) and hashed as it streams.  A browser sends the parts
 * in the form's order, the form token and the text fields before the
 * file: the session (its token, its role) is checked when the file part
 * begins, so a refused request stores nothing.  A file of a type the
 * 下载中心 does not take (lib/ch_download.h), an empty one or one over the
 * bound is refused before anything is stored; a body that breaks off
 * leaves nothing either (ch_store_abort).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "ch_download.h"
#include "ch_json.h"
#include "ch_multipart.h"


/* the text fields together: a title, a description, a note, a few codes */
#define UPLOAD_TEXT_MAX   16384
/* what a body may have besides its file: delimiters, headers, the fields */
#define UPLOAD_OVERHEAD   (UPLOAD_TEXT_MAX + 8192)
#define UPLOAD_READ_SIZE  65536


typedef struct {
    admin_request_t     *req;
    admin_upload_t      *up;
    const char          *role;
    size_t               used;      /* of up->text */
    int                  in_file;   /* the current part is the file */
    int                  has_file;
    int                  file_done;
    int                  checked;   /* the session was checked */
    int                  answered;  /* the page is written (a refusal) */
    admin_error_t        err;       /* err.status != 0: refused with it */
} upload_ctx_t;


static int
upload_refuse(upload_ctx_t *ctx, int status, const char *field,
    const char *message)
{
    ctx->err.status = status;
    snprintf(ctx->err.field, sizeof(ctx->err.field), "%s", field);
    snprintf(ctx->err.message, sizeof(ctx->err.message), "%s", message);

    return -1;
}


/*
 * The store failed (up->store.err): a full storage (no room, no inode,
 * over a quota) is 507 storage_full, which passes once an operator makes
 * room (Retry-After, admin_error_page); anything else 500.  The store has
 * removed its temporary file either way.  stderr is nginx's error log
 * (fcgiwrap passes it on): the operator reads it there.
 */
static int
upload_store_failed(upload_ctx_t *ctx)
{
    ch_store_t  *st = &ctx->up->store;

    if (ch_store_full(st)) {
        fprintf(stderr, "certhall-admin: the storage is full, upload refused "
                "with 507: %s\n", st->err);
        snprintf(ctx->err.code, sizeof(ctx->err.code), "storage_full");
        return upload_refuse(ctx, 507, "file", "服务器存储空间已满，文件未能"
                             "保存，请稍后再试（请联系系统管理员清理存储空间）。");
    }

    fprintf(stderr, "certhall-admin: store: %s\n", st->err);

    return upload_refuse(ctx, 500, "", "文件保存失败，请稍后再试。");
}


/* the form token and role, once, before the file or the end */
static int
upload_session(upload_ctx_t *ctx)
{
    if (ctx->checked) {
        return 0;
    }

    ctx->checked = 1;

    if (admin_session(ctx->req, 1, ctx->role) != 0) {
        ctx->answered = 1;
        return -1;
    }

    return 0;
}


static int
upload_part_begin(void *data, const ch_mp_part_t *part)
{
    size_t             len;
    upload_ctx_t      *ctx = data;
    admin_request_t   *req = ctx->req;
    admin_upload_t    *up = ctx->up;
    ch_form_field_t   *f;

    ctx->in_file = part->has_filename;

    if (ctx->in_file) {
        if (ctx->has_file || strcmp(part->name, "file") != 0) {
            return upload_refuse(ctx, 400, "file", "一次只能上传一个文件。");
        }

        ctx->has_file = 1;

        if (upload_session(ctx) != 0) {
            return -1;
        }

        if (part->filename_len == 0) {
            return upload_refuse(ctx, 422, "file", "请选择要上传的文件。");
        }

        ch_filename_sanitize(part->filename, part->filename_len,
                             up->file_name);
        up->media_type = ch_download_media_type(up->file_name);

        if (up->media_type == NULL) {
            return upload_refuse(ctx, 422, "file",
                                 "不支持此类文件：只能上传 PDF、Word、Excel、"
                                 "ZIP、RAR、7z、EXE、MSI 或 TXT 文件。");
        }

        if (req->config.storage == NULL) {
            fprintf(stderr, "certhall-admin: \"storage\" is not set\n");
            return upload_refuse(ctx, 500, "",
                                 "后台未配置文件存储目录，请联系系统管理员。");
        }

        if (ch_store_open(&up->store, req->config.storage) != 0) {
            return upload_store_failed(ctx);
        }

        return 0;
    }

    /* a text field: its name, then its value as it comes */
    len = strlen(part->name);

    if (req->nform == ADMIN_FIELDS_MAX
        || ch_form_get(req->form, req->nform, part->name) != NULL
        || ctx->used + len + 2 > UPLOAD_TEXT_MAX)
    {
        return upload_refuse(ctx, 400, "", "表单格式错误，请返回后重试。");
    }

    f = &req->form[req->nform];
    f->name = up->text + ctx->used;
    f->name_len = len;
    memcpy(up->text + ctx->used, part->name, len + 1);
    ctx->used += len + 1;
    f->value = up->text + ctx->used;
    f->value_len = 0;
    up->text[ctx->used] = '\0';

    return 0;
}


static int
upload_part_data(void *data, const unsigned char *p, size_t n)
{
    upload_ctx_t     *ctx = data;
    admin_upload_t   *up = ctx->up;
    ch_form_field_t  *f;

    if (ctx->in_file) {
        up->size += n;

        if (up->size > ctx->req->config.download_max_size) {
            ch_store_abort(&up->store);
            return upload_refuse(ctx, 413, "file",
                                 "文件过大，超过了允许的大小。");
        }

        if (ch_store_write(&up->store, p, n) != 0) {
            return upload_store_failed(ctx);
        }

        return 0;
    }

    f = &ctx->req->form[ctx->req->nform];

    if (ctx->used + n + 1 > UPLOAD_TEXT_MAX || memchr(p, '\0', n)) {
        return upload_refuse(ctx, 400, "", "填写的内容过长或含有无效字符。");
    }

    memcpy(up->text + ctx->used, p, n);
    ctx->used += n;
    f->value_len += n;
    up->text[ctx->used] = '\0';

    return 0;
}


static int
upload_part_end(void *data)
{
    size_t            i, n;
    upload_ctx_t     *ctx = data;
    ch_form_field_t  *f;

    if (ctx->in_file) {
        ctx->file_done = 1;
        return 0;
    }

    f = &ctx->req->form[ctx->req->nform];

    for (i = 0; i < f->value_len; i += n) {
        n = ch_utf8_sequence((const unsigned char *) f->value + i,
                             f->value_len - i);
        if (n == 0) {
            return upload_refuse(ctx, 400, "", "填写的内容不是有效的文字。");
        }
    }

    ctx->used++;
    ctx->req->nform++;

    return 0;
}


/* the body, piece by piece, into the parser: its final status */
static ch_mp_status_e
upload_feed(ch_multipart_t *mp, unsigned long long *left)
{
    ssize_t          n;
    unsigned char   *buf;
    ch_mp_status_e   rc;

    buf = malloc(UPLOAD_READ_SIZE);
    if (buf == NULL) {
        return CH_MP_STOPPED;
    }

    rc = CH_MP_OK;

    while (*left > 0 && rc == CH_MP_OK) {
        n = read(STDIN_FILENO, buf,
                 *left < UPLOAD_READ_SIZE ? (size_t) *left : UPLOAD_READ_SIZE);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            break;
        }

        *left -= (unsigned long long) n;
        rc = ch_multipart_feed(mp, buf, (size_t) n);
    }

    free(buf);

    return rc == CH_MP_OK || rc == CH_MP_DONE ? ch_multipart_finish(mp) : rc;
}


int
admin_upload_read(admin_request_t *req, const char *role, admin_upload_t *up)
{
    int                  b;
    const char          *type;
    upload_ctx_t         ctx;
    ch_multipart_t      *mp;
    ch_mp_status_e       rc;
    char                 boundary[CH_MP_BOUNDARY_MAX + 1];
    static const ch_mp_callbacks_t  cb = {
        upload_part_begin, upload_part_data, upload_part_end
    };

    memset(up, 0, sizeof(*up));
    up->store.fd = -1;
    memset(&ctx, 0, sizeof(ctx));
    ctx.req = req;
    ctx.up = up;
    ctx.role = role;

    type = getenv("CONTENT_TYPE");
    b = (req->multipart && type)
        ? ch_multipart_boundary(type, strlen(type), boundary) : 0;

    if (b <= 0) {
        /* not an upload: the form token decides, then the form */
        if (upload_session(&ctx) != 0) {
            return -1;
        }

        html_error_page(req, 400, "Bad Request",
                        "请在表单中选择文件后上传。");
        return -1;
    }

    /* (the body is dropped unread: admin_request_drain) */
    if (req->body_left > req->config.download_max_size + UPLOAD_OVERHEAD) {
        html_error_page(req, 413, "Content Too Large",
                        "文件过大，超过了允许的大小。");
        return -1;
    }

    up->text = malloc(UPLOAD_TEXT_MAX);
    mp = malloc(ch_multipart_size());

    if (up->text == NULL || mp == NULL) {
        free(mp);
        admin_upload_done(req, up, 0);
        html_error_page(req, 500, "Internal Server Error",
                        "系统错误，请稍后再试。");
        return -1;
    }

    req->nform = 0;
    ch_multipart_init(mp, boundary, &cb, &ctx);
    rc = upload_feed(mp, &req->body_left);
    free(mp);

    if (ctx.answered) {
        admin_upload_done(req, up, 0);
        return -1;
    }

    if (ctx.err.status == 0 && rc != CH_MP_DONE) {
        upload_refuse(&ctx, 400, "", rc == CH_MP_STOPPED
                                     ? "系统错误，请稍后再试。"
                                     : ch_multipart_message(rc));
    }

    /* a form without its token is refused as such, not for its file */
    if (ctx.err.status == 0 || ctx.err.status == 400) {
        if (upload_session(&ctx) != 0) {
            admin_upload_done(req, up, 0);
            return -1;
        }
    }

    if (ctx.err.status == 0 && !ctx.file_done) {
        upload_refuse(&ctx, 422, "file", "请选择要上传的文件。");
    }

    if (ctx.err.status == 0 && up->size == 0) {
        upload_refuse(&ctx, 422, "file", "文件是空的，请选择有内容的文件。");
    }

    if (ctx.err.status == 0 && ch_store_commit(&up->store) != 0) {
        upload_store_failed(&ctx);
    }

    if (ctx.err.status != 0) {
        admin_error_page(req, &ctx.err, "/admin/downloads");
        admin_upload_done(req, up, 0);
        return -1;
    }

    return 0;
}


void
admin_upload_done(admin_request_t *req, admin_upload_t *up, int refused)
{
    if (refused && ch_store_unlink_created(&up->store) != 0) {
        fprintf(stderr, "certhall-admin: store: %s\n", up->store.err);
    }

    ch_store_abort(&up->store);

    /* req->form points into up->text */
    req->nform = 0;
    free(up->text);
    up->text = NULL;
}


int
admin_store_path(const char *storage, const char *path,
    unsigned long long max, admin_upload_t *up, char *err, size_t err_size)
{
    int            fd;
    ssize_t        n;
    const char    *name;
    unsigned char  buf[UPLOAD_READ_SIZE];

    memset(up, 0, sizeof(*up));
    up->store.fd = -1;

    name = strrchr(path, '/');
    name = name ? name + 1 : path;
    ch_filename_sanitize(name, strlen(name), up->file_name);
    up->media_type = ch_download_media_type(up->file_name);

    if (up->media_type == NULL) {
        snprintf(err, err_size, "%s: not a type the download centre takes "
                 "(pdf doc docx xls xlsx zip rar 7z exe msi txt)", path);
        return -1;
    }

    fd = open(path, O_RDONLY|O_CLOEXEC);
    if (fd == -1) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -1;
    }

    if (ch_store_open(&up->store, storage) != 0) {
        snprintf(err, err_size, "%s", up->store.err);
        close(fd);
        return -1;
    }

    for ( ;; ) {
        n = read(fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n < 0) {
            snprintf(err, err_size, "%s: %s", path, strerror(errno));
            goto failed;
        }

        if (n == 0) {
            break;
        }

        up->size += (unsigned long long) n;

        if (up->size > max) {
            snprintf(err, err_size, "%s: larger than download_max_size "
                     "(%llu bytes)", path, max);
            goto failed;
        }

        if (ch_store_write(&up->store, buf, (size_t) n) != 0) {
            snprintf(err, err_size, "%s", up->store.err);
            goto failed;
        }
    }

    close(fd);

    if (up->size == 0) {
        snprintf(err, err_size, "%s: the file is empty", path);
        ch_store_abort(&up->store);
        return -1;
    }

    if (ch_store_commit(&up->store) != 0) {
        snprintf(err, err_size, "%s", up->store.err);
        return -1;
    }

    return 0;

failed:

    close(fd);
    ch_store_abort(&up->store);

    return -1;
}
