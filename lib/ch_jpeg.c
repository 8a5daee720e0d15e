/*
 * The JPEG checker (see ch_filecheck.h for its rules): libjpeg-turbo
 * decodes the image at 1/8 scale, then any whole JPEG images appended to
 * it the same way.
 *
 * Thread-safe: no state outside the call.  libjpeg reports errors through
 * callbacks that longjmp back to the call that set them up (one jmp_buf
 * per call, in the call's own context).
 */

#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "ch_filecheck.h"
#include "ch_filecheck_int.h"


typedef struct {
    struct jpeg_error_mgr      pub;         /* first: cinfo->err points here */
    struct jpeg_progress_mgr   progress;
    jmp_buf                    jmp;
    ch_check_e                 result;
    const unsigned char       *p;
    size_t                     n;
    ch_file_info_t            *info;
    size_t                     trailing_at;  /* the first byte after EOI */
    int                        pdf;          /* read as a PDF's DCTDecode */
    unsigned                   how;          /* CH_JPEG_* */
} ch_jpeg_ctx_t;


/* where libjpeg is reading: n once it has run out of data */
static size_t
ch_jpeg_offset(j_common_ptr cinfo, const ch_jpeg_ctx_t *ctx)
{
    j_decompress_ptr  d;
    uintptr_t         next, start;

    d = (j_decompress_ptr) cinfo;
    if (d->src == NULL || d->src->next_input_byte == NULL) {
        return 0;
    }

    /* at the end, jpeg_mem_src reads a fake EOI of its own */
    next = (uintptr_t) d->src->next_input_byte;
    start = (uintptr_t) ctx->p;

    if (next >= start && next - start <= ctx->n) {
        return next - start;
    }

    return ctx->n;
}


static void
ch_jpeg_fail(j_common_ptr cinfo, ch_check_e result)
{
    ch_jpeg_ctx_t  *ctx;
    char            msg[JMSG_LENGTH_MAX];
    size_t          at;
    int             code;

    ctx = (ch_jpeg_ctx_t *) cinfo->err;
    code = cinfo->err->msg_code;
    at = ch_jpeg_offset(cinfo, ctx);

    if (code == JWRN_JPEG_EOF || code == JERR_INPUT_EOF) {
        ch_detail(ctx->info, "jpeg: premature end of data at %zu", ctx->n);

    } else if (code == JERR_NO_BACKING_STORE) {
        ch_detail(ctx->info, "jpeg: decoding %ux%u needs more than %u MiB",
                  ctx->info->width, ctx->info->height,
                  (unsigned) (CH_JPEG_MAX_MEMORY >> 20));

    } else {
        (*cinfo->err->format_message)(cinfo, msg);
        ch_detail(ctx->info, "jpeg: %s at %zu", msg, at);
    }

    ctx->result = result;
    longjmp(ctx->jmp, 1);
}


static void
ch_jpeg_error_exit(j_common_ptr cinfo)
{
    ch_check_e  rc;

    switch (cinfo->err->msg_code) {

    case JERR_OUT_OF_MEMORY:
        rc = CH_CHECK_NO_MEMORY;
        break;

    /* a progressive image's coefficients over CH_JPEG_MAX_MEMORY */
    case JERR_NO_BACKING_STORE:
    case JERR_IMAGE_TOO_BIG:
    case JERR_WIDTH_OVERFLOW:
        rc = CH_CHECK_TOO_MANY_PIXELS;
        break;

    /* valid JPEG that libjpeg-turbo does not decode: 12-bit, lossless,
     * hierarchical */
    case JERR_SOF_UNSUPPORTED:
    case JERR_BAD_PRECISION:
    case JERR_ARITH_NOTIMPL:
    case JERR_NOT_COMPILED:
    case JERR_NOTIMPL:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_CCIR601_NOTIMPL:
    case JERR_FRACT_SAMPLE_NOTIMPL:
        rc = CH_CHECK_UNSUPPORTED;
        break;

    default:
        rc = CH_CHECK_DAMAGED;
    }

    ch_jpeg_fail(cinfo, rc);
}


/* a warning (level -1) is a damaged file: libjpeg only warns of truncation */
static void
ch_jpeg_emit_message(j_common_ptr cinfo, int msg_level)
{
    if (msg_level < 0) {
        ch_jpeg_fail(cinfo, CH_CHECK_DAMAGED);
    }
}


static void
ch_jpeg_output_message(j_common_ptr cinfo)
{
    (void) cinfo;
}


/* the scans of a progressive JPEG cost CPU each: a bound */
static void
ch_jpeg_progress(j_common_ptr cinfo)
{
    ch_jpeg_ctx_t  *ctx;

    if (((j_decompress_ptr) cinfo)->input_scan_number > CH_JPEG_MAX_SCANS) {
        ctx = (ch_jpeg_ctx_t *) cinfo->err;
        ch_detail(ctx->info, "jpeg: more than %d scans at %zu",
                  CH_JPEG_MAX_SCANS, ch_jpeg_offset(cinfo, ctx));
        ctx->result = CH_CHECK_UNSUPPORTED;
        longjmp(ctx->jmp, 1);
    }
}


/* only 0x00 and 0xFF bytes: padding, which cannot hide a second file */
static int
ch_padding(const unsigned char *p, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (p[i] != 0x00 && p[i] != 0xff) {
            return 0;
        }
    }

    return 1;
}


static unsigned char
ch_clamp(int v)
{
    return (unsigned char) (v < 0 ? 0 : v > 255 ? 255 : v);
}


/*
 * YCbCr (JFIF, full range) to RGB in place, as libjpeg does it: 16-bit
 * fixed point, rounded; the 2^30 keeps the shifted values positive
 */
static void
ch_jpeg_ycc_rgb(unsigned char *px, size_t pixels)
{
    size_t  i;
    int     y, cb, cr;

    for (i = 0; i < pixels; i++, px += 3) {
        y = px[0];
        cb = px[1] - 128;
        cr = px[2] - 128;

        px[0] = ch_clamp(y + ((91881 * cr + 32768 + (1 << 30)) >> 16)
                         - (1 << 14));
        px[1] = ch_clamp(y + ((-22554 * cb - 46802 * cr + 32768 + (1 << 30))
                              >> 16) - (1 << 14));
        px[2] = ch_clamp(y + ((116130 * cb + 32768 + (1 << 30)) >> 16)
                         - (1 << 14));
    }
}


static ch_check_e
ch_jpeg_decode(j_decompress_ptr cinfo, ch_jpeg_ctx_t *ctx)
{
    ch_file_info_t      *info;
    ch_color_count_t     cc;
    JSAMPARRAY           row;
    JDIMENSION           w, i;
    J_COLOR_SPACE        out;
    unsigned char       *s, *d;
    const JOCTET        *tail;
    unsigned             c, m, y, k, ink;
    size_t               rest, at;

    info = ctx->info;
    cc.pixels = 0;
    cc.colored = 0;

    /* a progressive JPEG keeps every coefficient: the bound of that */
    cinfo->mem->max_memory_to_use = CH_JPEG_MAX_MEMORY;
    cinfo->progress = &ctx->progress;

    jpeg_mem_src(cinfo, ctx->p, (unsigned long) ctx->n);
    (void) jpeg_read_header(cinfo, TRUE);

    info->width = cinfo->image_width;
    info->height = cinfo->image_height;

    if (ch_too_many_pixels(info->width, info->height)) {
        ch_detail(info, "jpeg: %ux%u pixels, more than the limits",
                  info->width, info->height);
        return CH_CHECK_TOO_MANY_PIXELS;
    }

    /*
     * a PDF's /ColorTransform, when no Adobe marker says it: a grey page
     * stored as RGB and read as YCbCr would be all colour
     */
    if (ctx->pdf && !cinfo->saw_Adobe_marker
        && (ctx->how & (CH_JPEG_TRANSFORM_0 | CH_JPEG_TRANSFORM_1)))
    {
        if (cinfo->num_components == 3) {
            cinfo->jpeg_color_space = ctx->how & CH_JPEG_TRANSFORM_0
                                      ? JCS_RGB : JCS_YCbCr;
        } else if (cinfo->num_components == 4) {
            cinfo->jpeg_color_space = ctx->how & CH_JPEG_TRANSFORM_0
                                      ? JCS_CMYK : JCS_YCCK;
        }
    }

    switch (cinfo->num_components) {
    case 1:
        out = JCS_GRAYSCALE;
        break;
    case 3:
        /*
         * YCbCr taken as it is and turned into RGB here: libjpeg-turbo's
         * SIMD colour conversion reads the padding of its rows, which
         * valgrind then reports in the module's pixels (the results are
         * the same; at 1/8 the conversion costs nothing either way)
         */
        out = cinfo->jpeg_color_space == JCS_YCbCr ? JCS_YCbCr : JCS_RGB;
        break;
    case 4:
        /* CMYK or YCCK: decoded as CMYK, converted roughly for the count */
        out = JCS_CMYK;
        break;
    default:
        ch_detail(info, "jpeg: %d colour components",
                  cinfo->num_components);
        return CH_CHECK_UNSUPPORTED;
    }

    cinfo->out_color_space = out;
    cinfo->scale_num = 1;
    cinfo->scale_denom = 8;
    cinfo->dct_method = JDCT_IFAST;
    cinfo->do_fancy_upsampling = FALSE;
    cinfo->do_block_smoothing = FALSE;
    cinfo->quantize_colors = FALSE;

    /*
     * Photoshop writes Adobe CMYK inverted (0 = full ink), and viewers
     * invert a standalone Adobe CMYK JPEG; inside a PDF the samples are
     * ink as they stand (Ghostscript writes an Adobe marker over plain
     * CMYK: inverted, a white page would count as black), and /Decode
     * [1 0 ...] is what inverts them (Photoshop's PDFs say so)
     */
    ink = ctx->pdf ? 0xf & ~ctx->how : cinfo->saw_Adobe_marker ? 0 : 0xf;

    (void) jpeg_start_decompress(cinfo);

    w = cinfo->output_width;
    row = (*cinfo->mem->alloc_sarray)((j_common_ptr) cinfo, JPOOL_IMAGE,
                                      w * cinfo->output_components, 1);

    while (cinfo->output_scanline < cinfo->output_height) {
        if (jpeg_read_scanlines(cinfo, row, 1) != 1) {
            ch_detail(info, "jpeg: no scanline decoded at row %u",
                      cinfo->output_scanline);
            return CH_CHECK_DAMAGED;
        }

        switch (out) {

        case JCS_GRAYSCALE:
            cc.pixels += w;
            break;

        case JCS_YCbCr:
            ch_jpeg_ycc_rgb(row[0], w);
            ch_color_count_rgb(&cc, row[0], w);
            break;

        case JCS_CMYK:
            /* in place: pixel i's 4 bytes read before its 3 written */
            s = row[0];
            d = row[0];
            for (i = 0; i < w; i++, s += 4, d += 3) {
                /* 255 - ink: the bits of ink say which are stored as ink */
                c = ink & 1 ? 255 - s[0] : s[0];
                m = ink & 2 ? 255 - s[1] : s[1];
                y = ink & 4 ? 255 - s[2] : s[2];
                k = ink & 8 ? 255 - s[3] : s[3];
                d[0] = (unsigned char) (c * k / 255);
                d[1] = (unsigned char) (m * k / 255);
                d[2] = (unsigned char) (y * k / 255);
            }
            ch_color_count_rgb(&cc, row[0], w);
            break;

        default:
            ch_color_count_rgb(&cc, row[0], w);
        }
    }

    (void) jpeg_finish_decompress(cinfo);

    ch_color_verdict(&cc, info);

    /*
     * jpeg_finish_decompress stops right after EOI.  A repeated EOI there
     * is one EOI: Ghostscript ends the JPEGs it writes with FF D9 FF D9,
     * and they are saved from PDFs as they stand (any other byte after it
     * stays refused: padding apart)
     */
    rest = cinfo->src->bytes_in_buffer;
    tail = cinfo->src->next_input_byte;
    while (rest >= 2 && tail[0] == 0xff && tail[1] == 0xd9) {
        tail += 2;
        rest -= 2;
    }
    if (rest && !ch_padding(tail, rest)) {
        at = ctx->n - rest;
        ctx->trailing_at = at;
        ch_detail(info, "jpeg: %zu bytes after EOI at %zu", rest, at);
        return CH_CHECK_TRAILING_DATA;
    }

    return CH_CHECK_OK;
}


/*
 * One JPEG image; with CH_CHECK_TRAILING_DATA, *trailing_at is where the
 * bytes after its EOI begin.
 */

static ch_check_e
ch_jpeg_check_one(const unsigned char *p, size_t n, ch_file_info_t *info,
    const ch_jpeg_ctx_t *mode, size_t *trailing_at)
{
    struct jpeg_decompress_struct  cinfo;
    ch_jpeg_ctx_t                  ctx;
    ch_check_e                     rc;

    ch_info_init(info, CH_FILE_JPEG);

    if (n == 0 || n > ULONG_MAX) {
        ch_detail(info, "jpeg: %zu bytes", n);
        return CH_CHECK_DAMAGED;
    }

    memset(&cinfo, 0, sizeof(cinfo));
    memset(&ctx, 0, sizeof(ctx));
    ctx.p = p;
    ctx.n = n;
    ctx.info = info;
    ctx.result = CH_CHECK_DAMAGED;
    ctx.pdf = mode->pdf;
    ctx.how = mode->how;

    cinfo.err = jpeg_std_error(&ctx.pub);
    ctx.pub.error_exit = ch_jpeg_error_exit;
    ctx.pub.emit_message = ch_jpeg_emit_message;
    ctx.pub.output_message = ch_jpeg_output_message;
    ctx.progress.progress_monitor = ch_jpeg_progress;

    /* cinfo and ctx live in memory (their addresses are passed on) */
    if (setjmp(ctx.jmp)) {
        jpeg_destroy_decompress(&cinfo);
        return ctx.result;
    }

    jpeg_create_decompress(&cinfo);

    rc = ch_jpeg_decode(&cinfo, &ctx);

    jpeg_destroy_decompress(&cinfo);

    *trailing_at = ctx.trailing_at;

    return rc;
}


/*
 * Samsung's trailer, as ExifTool reads it (Image::ExifTool::Samsung,
 * ProcessSamsung): data blocks, then a directory "SEFH", version, count,
 * count entries of 12 bytes (0, type: 16 bits each; the block's distance
 * back from the directory; its size), the directory's length and "SEFT",
 * all little-endian.  A block starts with its entry's first 4 bytes, a
 * name length and the name, then its data.  Accepted only when that
 * structure accounts for every byte: the blocks lie end to end from t[0]
 * to the directory, each named in printable ASCII, and each block's data
 * is a whole JPEG (checked as one, nothing after it) or metadata, at most
 * CH_JPEG_MAX_TRAILER bytes in all, in which no other file's signature
 * appears (a ZIP's headers, "%PDF", HTML): a second file cannot hide in
 * it.  A motion photo's video (an MP4 block) cannot be verified: refused.
 */

#define CH_SEF_ENTRY      12
#define CH_SEF_MAX_BLOCKS 64

static uint32_t
ch_le32(const unsigned char *q)
{
    return (uint32_t) q[0] | ((uint32_t) q[1] << 8) | ((uint32_t) q[2] << 16)
           | ((uint32_t) q[3] << 24);
}


/* another file's signature in metadata: ZIP headers, PDF, HTML */
static int
ch_jpeg_foreign(const unsigned char *q, size_t n)
{
    static const char  *sigs[] = { "PK\x03\x04", "PK\x05\x06", "PK\x01\x02",
                                   "%PDF", "<html", "<script", "<!doctype",
                                   "<?php", "<svg", NULL };
    size_t              i, k, len;
    unsigned            j;

    for (j = 0; sigs[j]; j++) {
        len = strlen(sigs[j]);
        for (i = 0; i + len <= n; i++) {
            for (k = 0; k < len; k++) {
                if ((q[i + k] | (sigs[j][k] >= 'a' ? 0x20 : 0))
                    != (unsigned char) sigs[j][k])
                {
                    break;
                }
            }
            if (k == len) {
                return 1;
            }
        }
    }

    return 0;
}


static int
ch_jpeg_samsung(const unsigned char *t, size_t n)
{
    const unsigned char  *dir, *e, *blk;
    ch_file_info_t        embedded;
    uint64_t              dirlen, dirpos, count, i, j, total, meta, at, size;
    uint64_t              namelen, start[CH_SEF_MAX_BLOCKS];
    uint64_t              end[CH_SEF_MAX_BLOCKS];
    size_t                trailing;
    ch_jpeg_ctx_t         mode;

    memset(&mode, 0, sizeof(mode));

    if (n < 8 + 12 || memcmp(t + n - 4, "SEFT", 4) != 0) {
        return 0;
    }

    dirlen = ch_le32(t + n - 8);
    if (dirlen < 12 || dirlen > n - 8) {
        return 0;
    }

    dirpos = n - 8 - dirlen;
    dir = t + dirpos;
    count = ch_le32(dir + 8);

    if (memcmp(dir, "SEFH", 4) != 0 || count == 0
        || count > CH_SEF_MAX_BLOCKS || 12 + CH_SEF_ENTRY * count != dirlen)
    {
        return 0;
    }

    total = 0;
    meta = 0;

    for (i = 0; i < count; i++) {
        e = dir + 12 + CH_SEF_ENTRY * i;
        at = ch_le32(e + 4);                  /* back from the directory */
        size = ch_le32(e + 8);

        if (at > dirpos || size > at || size < 8) {
            return 0;
        }

        start[i] = dirpos - at;
        end[i] = start[i] + size;
        blk = t + start[i];
        namelen = ch_le32(blk + 4);

        if (memcmp(blk, e, 4) != 0 || namelen > size - 8) {
            return 0;
        }

        for (j = 0; j < namelen; j++) {
            if (blk[8 + j] < 0x20 || blk[8 + j] > 0x7e) {
                return 0;
            }
        }

        /* blocks do not overlap: with their sizes' sum, they tile */
        for (j = 0; j < i; j++) {
            if (start[i] < end[j] && start[j] < end[i]) {
                return 0;
            }
        }

        total += size;
        blk += 8 + namelen;
        size -= 8 + namelen;

        if (size >= 3 && blk[0] == 0xff && blk[1] == 0xd8 && blk[2] == 0xff) {
            if (ch_jpeg_check_one(blk, size, &embedded, &mode, &trailing)
                != CH_CHECK_OK)
            {
                return 0;
            }
            continue;
        }

        meta += size;
        if (meta > CH_JPEG_MAX_TRAILER || ch_jpeg_foreign(blk, size)) {
            return 0;
        }
    }

    if (total != dirpos) {
        return 0;
    }

    return 1;
}


/*
 * the image, then the whole JPEG images appended to it, if any; mode: how
 * CMYK is read (its pdf and invert)
 */

static ch_check_e
ch_jpeg_check_all(const unsigned char *p, size_t n, const ch_jpeg_ctx_t *mode,
    ch_file_info_t *info)
{
    size_t          at;
    unsigned        k;
    ch_check_e      rc;
    ch_file_info_t  appended;

    rc = ch_jpeg_check_one(p, n, info, mode, &at);

    for (k = 0; rc == CH_CHECK_TRAILING_DATA && k < CH_JPEG_MAX_APPENDED; k++) {

        if (at == 0 || at >= n) {
            return CH_CHECK_TRAILING_DATA;
        }

        if (ch_jpeg_samsung(p + at, n - at)) {
            rc = CH_CHECK_OK;
            break;
        }

        if (n - at < 3
            || p[at] != 0xff || p[at + 1] != 0xd8 || p[at + 2] != 0xff)
        {
            return CH_CHECK_TRAILING_DATA;
        }

        p += at;
        n -= at;

        rc = ch_jpeg_check_one(p, n, &appended, mode, &at);

        if (rc != CH_CHECK_OK && rc != CH_CHECK_TRAILING_DATA) {
            ch_detail(info, "jpeg: appended image %u: %s", k + 1,
                      appended.detail);
            return rc == CH_CHECK_NO_MEMORY ? rc : CH_CHECK_DAMAGED;
        }
    }

    if (rc == CH_CHECK_OK) {
        info->detail[0] = '\0';
    }

    return rc;
}


ch_check_e
ch_jpeg_check(const unsigned char *p, size_t n, ch_file_info_t *info)
{
    ch_jpeg_ctx_t  mode;

    memset(&mode, 0, sizeof(mode));

    return ch_jpeg_check_all(p, n, &mode, info);
}


ch_check_e
ch_jpeg_check_pdf(const unsigned char *p, size_t n, unsigned how,
    ch_file_info_t *info)
{
    ch_jpeg_ctx_t  mode;

    memset(&mode, 0, sizeof(mode));
    mode.pdf = 1;
    mode.how = how;

    return ch_jpeg_check_all(p, n, &mode, info);
}
