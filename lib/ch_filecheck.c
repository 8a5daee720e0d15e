/*
 * Checking uploaded scans: the type from the first bytes, then JPEG, PNG
 * and BMP decoded whole (see ch_filecheck.h for the rules; the PDF checker
 * is lib/ch_pdf.c).
 *
 * Thread-safe: no state outside the call.  libjpeg and libpng report
 * errors through callbacks that longjmp back to the call that set them up
 * (one jmp_buf per call, in the call's own context).
 */

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "ch_filecheck.h"


#define CH_STR(x)   #x
#define CH_XSTR(x)  CH_STR(x)

_Static_assert(CH_IMAGE_MAX_PIXELS == 50000000u,
               "ch_check_message says 5000万 pixels");


static void ch_detail(ch_file_info_t *info, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


static void
ch_detail(ch_file_info_t *info, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(info->detail, sizeof(info->detail), fmt, ap);
    va_end(ap);
}


static void
ch_info_init(ch_file_info_t *info, ch_file_type_e type)
{
    memset(info, 0, sizeof(ch_file_info_t));
    info->type = type;
    info->pages = 1;
}


static int
ch_too_many_pixels(unsigned long long w, unsigned long long h)
{
    /* both sides checked first: the product cannot overflow */
    return w > CH_IMAGE_MAX_SIDE || h > CH_IMAGE_MAX_SIDE
           || w * h > CH_IMAGE_MAX_PIXELS;
}


/* --- sniffing ------------------------------------------------------------ */

/* 1: p starts with the magic; 2: p is shorter and a prefix of it; 0: no */
static int
ch_magic(const unsigned char *p, size_t n, const char *magic, size_t len)
{
    if (n >= len) {
        return memcmp(p, magic, len) == 0;
    }

    return memcmp(p, magic, n) == 0 ? 2 : 0;
}


ch_file_type_e
ch_file_sniff(const unsigned char *p, size_t n)
{
    int     m, prefix;
    size_t  i;

    if (n == 0) {
        return CH_FILE_NEED_MORE;               /* p may be NULL */
    }

    prefix = 0;

    m = ch_magic(p, n, "\xff\xd8\xff", 3);
    if (m == 1) {
        return CH_FILE_JPEG;
    }
    prefix |= m;

    m = ch_magic(p, n, "\x89PNG\r\n\x1a\n", 8);
    if (m == 1) {
        return CH_FILE_PNG;
    }
    prefix |= m;

    m = ch_magic(p, n, "%PDF-", 5);
    if (m == 1) {
        return CH_FILE_PDF;
    }
    prefix |= m;

    /*
     * "BM", the file size (any), then the reserved bytes 6..9, zero: those
     * present are checked (with 8 or 9 bytes, 8 and 9 are not there yet;
     * ch_file_check sees the whole file and so all four)
     */
    m = ch_magic(p, n, "BM", 2);
    if (m) {
        for (i = 6; i < n && i < 10; i++) {
            if (p[i] != 0) {
                m = 0;
                break;
            }
        }

        if (m && n >= CH_FILE_SNIFF_LEN) {
            return CH_FILE_BMP;
        }
        prefix |= m;
    }

    return (prefix && n < CH_FILE_SNIFF_LEN) ? CH_FILE_NEED_MORE
                                             : CH_FILE_UNKNOWN;
}


const char *
ch_file_format(ch_file_type_e type)
{
    switch (type) {
    case CH_FILE_JPEG:
        return "jpg";
    case CH_FILE_PNG:
        return "png";
    case CH_FILE_BMP:
        return "bmp";
    case CH_FILE_PDF:
        return "pdf";
    default:
        return NULL;
    }
}


const char *
ch_file_media_type(ch_file_type_e type)
{
    switch (type) {
    case CH_FILE_JPEG:
        return "image/jpeg";
    case CH_FILE_PNG:
        return "image/png";
    case CH_FILE_BMP:
        return "image/bmp";
    case CH_FILE_PDF:
        return "application/pdf";
    default:
        return NULL;
    }
}


/* --- colour ---------------------------------------------------------------- */

static int
ch_colored(unsigned r, unsigned g, unsigned b)
{
    unsigned  hi, lo;

    hi = r > g ? r : g;
    hi = b > hi ? b : hi;
    lo = r < g ? r : g;
    lo = b < lo ? b : lo;

    return hi - lo >= CH_COLOR_CHROMA;
}


/* the coloured pixels among px[0], px[stride], ...: R, G, B (or B, G, R) */
static size_t
ch_colored_px(const unsigned char *px, size_t pixels, size_t stride)
{
    size_t  i, colored;

    colored = 0;

    for (i = 0; i < pixels; i++, px += stride) {
        colored += ch_colored(px[0], px[1], px[2]);
    }

    return colored;
}


void
ch_color_count_rgb(ch_color_count_t *cc, const unsigned char *rgb,
    size_t pixels)
{
    cc->colored += ch_colored_px(rgb, pixels, 3);
    cc->pixels += pixels;
}


void
ch_color_verdict(const ch_color_count_t *cc, ch_file_info_t *info)
{
    unsigned long long  per_mille;

    if (cc->pixels == 0) {
        per_mille = 0;

    } else if (cc->colored <= ULLONG_MAX / 1000) {
        per_mille = cc->colored * 1000 / cc->pixels;

    } else {
        /* not from any image the checkers accept; still no overflow */
        per_mille = cc->colored / (cc->pixels / 1000);
    }

    if (per_mille > 1000) {
        per_mille = 1000;
    }

    /* per mille rounded down >= N  <=>  colored * 1000 >= N * pixels */
    info->colored_per_mille = (unsigned) per_mille;
    info->color = cc->pixels != 0 && per_mille >= CH_COLOR_MIN_PER_MILLE;
}


/* --- JPEG ---------------------------------------------------------------- */

typedef struct {
    struct jpeg_error_mgr      pub;         /* first: cinfo->err points here */
    struct jpeg_progress_mgr   progress;
    jmp_buf                    jmp;
    ch_check_e                 result;
    const unsigned char       *p;
    size_t                     n;
    ch_file_info_t            *info;
    size_t                     trailing_at;  /* the first byte after EOI */
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
    unsigned             c, m, y, k;
    size_t               rest, at;
    int                  inverted;

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

    /* Photoshop writes Adobe CMYK inverted (0 = full ink) */
    inverted = cinfo->saw_Adobe_marker;

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
                c = s[0];
                m = s[1];
                y = s[2];
                k = s[3];
                if (!inverted) {
                    c = 255 - c;
                    m = 255 - m;
                    y = 255 - y;
                    k = 255 - k;
                }
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

    /* jpeg_finish_decompress stops right after EOI */
    rest = cinfo->src->bytes_in_buffer;
    if (rest && !ch_padding(cinfo->src->next_input_byte, rest)) {
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
    size_t *trailing_at)
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


/* the image, then the whole JPEG images appended to it, if any */

ch_check_e
ch_jpeg_check(const unsigned char *p, size_t n, ch_file_info_t *info)
{
    size_t          at;
    unsigned        k;
    ch_check_e      rc;
    ch_file_info_t  appended;

    rc = ch_jpeg_check_one(p, n, info, &at);

    for (k = 0; rc == CH_CHECK_TRAILING_DATA && k < CH_JPEG_MAX_APPENDED; k++) {

        if (at == 0 || at >= n || n - at < 3
            || p[at] != 0xff || p[at + 1] != 0xd8 || p[at + 2] != 0xff)
        {
            return CH_CHECK_TRAILING_DATA;
        }

        p += at;
        n -= at;

        rc = ch_jpeg_check_one(p, n, &appended, &at);

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


/* --- PNG ----------------------------------------------------------------- */

typedef struct {
    const unsigned char  *p;
    size_t                n;
    size_t                pos;
    ch_file_info_t       *info;
    ch_check_e            result;
    int                   failed;     /* result and detail are set */
    int                   limit;      /* libpng found IHDR over the limits */
    unsigned char        *row;
} ch_png_ctx_t;


static unsigned
ch_rd32be(const unsigned char *q)
{
    return ((unsigned) q[0] << 24) | ((unsigned) q[1] << 16)
           | ((unsigned) q[2] << 8) | q[3];
}


static void
ch_png_read(png_structp png, png_bytep out, size_t len)
{
    ch_png_ctx_t  *ctx;

    ctx = png_get_io_ptr(png);

    if (len > ctx->n - ctx->pos) {
        if (!ctx->failed) {
            ctx->failed = 1;
            ctx->result = CH_CHECK_DAMAGED;
            ch_detail(ctx->info, "png: premature end of data at %zu",
                      ctx->n);
        }
        ctx->pos = ctx->n;
        png_error(png, "premature end of data");
    }

    memcpy(out, ctx->p + ctx->pos, len);
    ctx->pos += len;
}


static int
ch_png_no_memory(const char *msg)
{
    return strstr(msg, "ut of memory") != NULL
           || strstr(msg, "ut of Memory") != NULL
           || strstr(msg, "nsufficient memory") != NULL;
}


static void
ch_png_error(png_structp png, png_const_charp msg)
{
    ch_png_ctx_t  *ctx;

    ctx = png_get_error_ptr(png);

    if (!ctx->failed) {
        ctx->failed = 1;

        if (ctx->limit) {
            /* refused in IHDR, the first chunk: its fields say the size */
            ctx->result = CH_CHECK_TOO_MANY_PIXELS;
            if (ctx->n >= 24) {
                ctx->info->width = ch_rd32be(ctx->p + 16);
                ctx->info->height = ch_rd32be(ctx->p + 20);
            }
            ch_detail(ctx->info, "png: %ux%u pixels, more than the limits",
                      ctx->info->width, ctx->info->height);

        } else if (ch_png_no_memory(msg)) {
            ctx->result = CH_CHECK_NO_MEMORY;
            ch_detail(ctx->info, "png: %s", msg);

        } else {
            ctx->result = CH_CHECK_DAMAGED;
            ch_detail(ctx->info, "png: %s at %zu", msg, ctx->pos);
        }
    }

    png_longjmp(png, 1);
}


/* warnings are about ancillary data (ignored here), but for the limits */
static void
ch_png_warning(png_structp png, png_const_charp msg)
{
    ch_png_ctx_t  *ctx;

    ctx = png_get_error_ptr(png);

    if (strstr(msg, "exceeds user limit") != NULL) {
        ctx->limit = 1;
    }
}


/*
 * The coloured pixels of one row: every step-th pixel from x0 (Adam7 passes)
 * or all.  RGB pixels of `channels` bytes, or palette indexes (pal: whether
 * each colour is coloured), or grey (none).  A palette index past the
 * palette sets *bad to it.
 */
static size_t
ch_png_colored(const unsigned char *row, png_uint_32 x0, png_uint_32 step,
    png_uint_32 w, size_t channels, const unsigned char *pal, int npal,
    int *bad)
{
    size_t       colored;
    png_uint_32  x;

    colored = 0;

    if (pal != NULL) {
        for (x = x0; x < w; x += step) {
            if (row[x] >= npal) {
                *bad = row[x];
            }
            colored += pal[row[x]];
        }

    } else if (channels >= 3) {
        if (step == 1 && x0 == 0) {
            return ch_colored_px(row, w, channels);
        }
        for (x = x0; x < w; x += step) {
            colored += ch_colored(row[x * channels], row[x * channels + 1],
                                  row[x * channels + 2]);
        }
    }

    return colored;
}


static ch_check_e
ch_png_decode(png_structp png, png_infop pi, ch_png_ctx_t *ctx)
{
    ch_file_info_t    *info;
    ch_color_count_t   cc;
    png_uint_32        w, h, y, x0, step;
    png_colorp         plte;
    unsigned char      pal[256], *ppal;
    int                depth, ctype, interlace, passes, pass, npal, i, bad;
    size_t             channels, rowbytes;

    info = ctx->info;
    cc.pixels = 0;
    cc.colored = 0;

    png_set_read_fn(png, ctx, ch_png_read);

    /* a bad CRC, critical or ancillary, is a damaged file */
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);

    /* and so are "benign" errors: bytes after the zlib stream in its IDAT,
     * a bad adler32 */
    png_set_benign_errors(png, 0);

    png_set_user_limits(png, CH_IMAGE_MAX_SIDE, CH_IMAGE_MAX_SIDE);

    /*
     * Every ancillary chunk libpng knows (colour profiles, text, ...) is
     * read and CRC-checked but not interpreted: the pixels do not depend on
     * them, and their own oddities (an sRGB profile libpng dislikes) make no
     * damaged scan.  IHDR, PLTE, tRNS, IDAT and IEND stay libpng's.
     *
     * Chunks discarded so are streamed through the CRC, never held in
     * memory (PLTE and tRNS are read into fixed buffers): libpng's limit on
     * a chunk's length (8 MB, and "benign", thus an error here) is lifted
     * to PNG's own 2^31 - 1, so that a large private chunk is no damage.
     */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_set_chunk_malloc_max(png, 0);

    png_read_info(png, pi);

    (void) png_get_IHDR(png, pi, &w, &h, &depth, &ctype, &interlace, NULL,
                        NULL);

    info->width = w;
    info->height = h;

    if (ch_too_many_pixels(w, h)) {
        ch_detail(info, "png: %ux%u pixels, more than the limits",
                  (unsigned) w, (unsigned) h);
        return CH_CHECK_TOO_MANY_PIXELS;
    }

    /*
     * Colour: 8-bit RGB (16 bits stripped, alpha too, not composited); a
     * palette image keeps its indexes, one a byte, judged through the
     * palette (an index past it is an error of the PNG standard's, which
     * libpng does not report when it expands a palette); grey: only
     * counted.
     */
    ppal = NULL;
    npal = 0;

    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        if (png_get_PLTE(png, pi, &plte, &npal) != PNG_INFO_PLTE
            || npal <= 0 || npal > 256)
        {
            ch_detail(info, "png: palette image without a palette");
            return CH_CHECK_DAMAGED;
        }

        memset(pal, 0, sizeof(pal));
        for (i = 0; i < npal; i++) {
            pal[i] = (unsigned char) ch_colored(plte[i].red, plte[i].green,
                                                plte[i].blue);
        }
        ppal = pal;

        if (depth < 8) {
            png_set_packing(png);
        }

    } else {
        if (depth == 16) {
            png_set_strip_16(png);
        }

        if (ctype & PNG_COLOR_MASK_ALPHA) {
            png_set_strip_alpha(png);
        }
    }

    passes = png_set_interlace_handling(png);

    png_read_update_info(png, pi);

    channels = png_get_channels(png, pi);
    rowbytes = png_get_rowbytes(png, pi);

    if ((ctype & PNG_COLOR_MASK_COLOR)
        && (png_get_bit_depth(png, pi) != 8
            || channels < (ppal ? 1u : 3u)
            || rowbytes < (size_t) w * channels))
    {
        ch_detail(info, "png: unexpected layout after transformations");
        return CH_CHECK_UNSUPPORTED;
    }

    ctx->row = malloc(rowbytes ? rowbytes : 1);
    if (ctx->row == NULL) {
        ch_detail(info, "png: no memory for a row of %zu bytes", rowbytes);
        return CH_CHECK_NO_MEMORY;
    }

    bad = -1;

    for (pass = 0; pass < passes; pass++) {
        for (y = 0; y < h; y++) {

            png_read_row(png, ctx->row, NULL);

            /*
             * Adam7: the row holds this pass's pixels at their places (and
             * others' from earlier rows): count exactly this pass's; rows
             * outside it are left untouched by libpng.
             */
            if (passes == 1) {
                x0 = 0;
                step = 1;

            } else if (PNG_ROW_IN_INTERLACE_PASS(y, pass)
                       && PNG_PASS_COLS(w, pass) != 0)
            {
                x0 = PNG_PASS_START_COL(pass);
                step = PNG_PASS_COL_OFFSET(pass);

            } else {
                continue;
            }

            if (ctype & PNG_COLOR_MASK_COLOR) {
                cc.colored += ch_png_colored(ctx->row, x0, step, w, channels,
                                             ppal, npal, &bad);
            }
            cc.pixels += (w - x0 + step - 1) / step;

            if (bad >= 0) {
                ch_detail(info, "png: colour index %d past the %d-colour "
                          "palette at %zu", bad, npal, ctx->pos);
                return CH_CHECK_DAMAGED;
            }
        }
    }

    /* through IEND: chunks after the image data, and their CRCs */
    png_read_end(png, NULL);

    if (ctx->pos < ctx->n) {
        ch_detail(info, "png: %zu bytes after IEND at %zu",
                  ctx->n - ctx->pos, ctx->pos);
        return CH_CHECK_TRAILING_DATA;
    }

    ch_color_verdict(&cc, info);

    return CH_CHECK_OK;
}


ch_check_e
ch_png_check(const unsigned char *p, size_t n, ch_file_info_t *info)
{
    ch_png_ctx_t  ctx;
    png_structp   png;
    png_infop     pi;
    ch_check_e    rc;

    ch_info_init(info, CH_FILE_PNG);

    memset(&ctx, 0, sizeof(ctx));
    ctx.p = p;
    ctx.n = n;
    ctx.info = info;
    ctx.result = CH_CHECK_DAMAGED;

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, ch_png_error,
                                 ch_png_warning);
    if (png == NULL) {
        ch_detail(info, "png: no memory for the decoder");
        return CH_CHECK_NO_MEMORY;
    }

    pi = png_create_info_struct(png);
    if (pi == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        ch_detail(info, "png: no memory for the decoder");
        return CH_CHECK_NO_MEMORY;
    }

    /* png and pi do not change after setjmp; ctx is in memory */
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &pi, NULL);
        free(ctx.row);
        return ctx.result;
    }

    rc = ch_png_decode(png, pi, &ctx);

    png_destroy_read_struct(&png, &pi, NULL);
    free(ctx.row);

    return rc;
}


/* --- BMP ----------------------------------------------------------------- */

#define CH_BI_RGB              0
#define CH_BI_RLE8             1
#define CH_BI_RLE4             2
#define CH_BI_BITFIELDS        3
#define CH_BI_JPEG             4
#define CH_BI_PNG              5
#define CH_BI_ALPHABITFIELDS   6

#define CH_BMP_PROFILE_EMBEDDED  0x4D424544u     /* 'MBED' */


typedef struct {
    uint32_t  mask;
    unsigned  shift;
    uint32_t  max;       /* mask >> shift: 2^bits - 1 */
} ch_bmp_chan_t;


static unsigned
ch_rd16(const unsigned char *q)
{
    return (unsigned) q[0] | ((unsigned) q[1] << 8);
}


static uint32_t
ch_rd32(const unsigned char *q)
{
    return (uint32_t) q[0] | ((uint32_t) q[1] << 8) | ((uint32_t) q[2] << 16)
           | ((uint32_t) q[3] << 24);
}


static int64_t
ch_rd32s(const unsigned char *q)
{
    uint32_t  v;

    v = ch_rd32(q);

    return (v & 0x80000000u) ? (int64_t) v - 4294967296LL : (int64_t) v;
}


/* a channel mask: non-zero and contiguous, else -1 */
static int
ch_bmp_chan(ch_bmp_chan_t *c, uint32_t mask)
{
    uint32_t  v;

    if (mask == 0) {
        return -1;
    }

    c->shift = 0;
    v = mask;
    while ((v & 1) == 0) {
        v >>= 1;
        c->shift++;
    }

    if ((v & (v + 1)) != 0) {         /* v + 1 wraps to 0 for 32 bits */
        return -1;
    }

    c->mask = mask;
    c->max = v;

    return 0;
}


static unsigned
ch_bmp_value(const ch_bmp_chan_t *c, uint32_t px)
{
    uint64_t  v;

    v = (px & c->mask) >> c->shift;

    return (unsigned) ((v * 255 + c->max / 2) / c->max);
}


static const char *
ch_bmp_compression(uint32_t comp)
{
    switch (comp) {
    case CH_BI_RLE8:
        return "RLE8";
    case CH_BI_RLE4:
        return "RLE4";
    case CH_BI_JPEG:
        return "JPEG";
    case CH_BI_PNG:
        return "PNG";
    case 11:
    case 12:
    case 13:
        return "CMYK";
    default:
        return "unknown";
    }
}


ch_check_e
ch_bmp_check(const unsigned char *p, size_t n, ch_file_info_t *info)
{
    ch_color_count_t     cc;
    ch_bmp_chan_t        ch[3];
    const unsigned char *row, *q;
    unsigned char        pal_colored[256];
    uint32_t             off, hsize, comp, clr_used, masks[3], px, cstype;
    uint64_t             extra, ncolors, entry, header_end, stride, end,
                         data_end, pstart, pend;
    int64_t              w, hs, ah;
    unsigned             planes, bpp, idx, i;
    int64_t              x, yy;
    int                  core;

    ch_info_init(info, CH_FILE_BMP);
    cc.pixels = 0;
    cc.colored = 0;
    memset(ch, 0, sizeof(ch));

    if (n < 18) {
        ch_detail(info, "bmp: headers truncated at %zu", n);
        return CH_CHECK_DAMAGED;
    }

    if (p[0] != 'B' || p[1] != 'M') {
        ch_detail(info, "bmp: no \"BM\" signature");
        return CH_CHECK_DAMAGED;
    }

    if (ch_rd32(p + 6) != 0) {
        ch_detail(info, "bmp: reserved bytes 6..9 not zero");
        return CH_CHECK_DAMAGED;
    }

    off = ch_rd32(p + 10);
    hsize = ch_rd32(p + 14);

    if (hsize < 12 || hsize > n - 14) {
        ch_detail(info, "bmp: %u-byte header in a file of %zu bytes",
                  (unsigned) hsize, n);
        return CH_CHECK_DAMAGED;
    }

    masks[0] = masks[1] = masks[2] = 0;
    clr_used = 0;

    switch (hsize) {

    case 12:                                  /* BITMAPCOREHEADER */
        core = 1;
        w = ch_rd16(p + 18);
        hs = ch_rd16(p + 20);
        planes = ch_rd16(p + 22);
        bpp = ch_rd16(p + 24);
        comp = CH_BI_RGB;
        break;

    case 40:                                  /* BITMAPINFOHEADER */
    case 52:                                  /* V2: + RGB masks */
    case 56:                                  /* V3: + alpha mask */
    case 108:                                 /* V4 */
    case 124:                                 /* V5 */
        core = 0;
        w = ch_rd32s(p + 18);
        hs = ch_rd32s(p + 22);
        planes = ch_rd16(p + 26);
        bpp = ch_rd16(p + 28);
        comp = ch_rd32(p + 30);
        clr_used = ch_rd32(p + 46);
        if (hsize >= 52) {
            masks[0] = ch_rd32(p + 54);
            masks[1] = ch_rd32(p + 58);
            masks[2] = ch_rd32(p + 62);
        }
        break;

    default:
        ch_detail(info, "bmp: %u-byte header (OS/2 or unknown) not supported",
                  (unsigned) hsize);
        return CH_CHECK_UNSUPPORTED;
    }

    if (planes != 1) {
        ch_detail(info, "bmp: %u planes", planes);
        return CH_CHECK_DAMAGED;
    }

    if (w <= 0 || hs == 0) {
        ch_detail(info, "bmp: %lldx%lld pixels", (long long) w,
                  (long long) hs);
        return CH_CHECK_DAMAGED;
    }

    ah = hs < 0 ? -hs : hs;                   /* negative: top-down */

    if (comp != CH_BI_RGB && comp != CH_BI_BITFIELDS
        && comp != CH_BI_ALPHABITFIELDS)
    {
        ch_detail(info, "bmp: %s compression (%u) not supported",
                  ch_bmp_compression(comp), (unsigned) comp);
        return CH_CHECK_UNSUPPORTED;
    }

    switch (bpp) {
    case 1:
    case 4:
    case 8:
    case 24:
        if (comp != CH_BI_RGB) {
            ch_detail(info, "bmp: bit fields with %u bits per pixel", bpp);
            return CH_CHECK_DAMAGED;
        }
        break;
    case 16:
    case 32:
        if (core) {
            ch_detail(info, "bmp: %u bits per pixel in a core header", bpp);
            return CH_CHECK_DAMAGED;
        }
        break;
    case 2:
    case 64:
        ch_detail(info, "bmp: %u bits per pixel not supported", bpp);
        return CH_CHECK_UNSUPPORTED;
    default:
        ch_detail(info, "bmp: %u bits per pixel", bpp);
        return CH_CHECK_DAMAGED;
    }

    /* the limits before anything that depends on the size */
    info->width = (unsigned) w;                 /* both at most 2^31 */
    info->height = (unsigned) ah;

    if (ch_too_many_pixels((unsigned long long) w,
                           (unsigned long long) ah))
    {
        ch_detail(info, "bmp: %lldx%lld pixels, more than the limits",
                  (long long) w, (long long) ah);
        return CH_CHECK_TOO_MANY_PIXELS;
    }

    /* the masks: after a 40-byte header, or inside a larger one */
    extra = 0;

    if (comp == CH_BI_RGB && bpp == 16) {
        masks[0] = 0x7c00;
        masks[1] = 0x03e0;
        masks[2] = 0x001f;

    } else if (comp == CH_BI_RGB && bpp == 32) {
        masks[0] = 0x00ff0000;
        masks[1] = 0x0000ff00;
        masks[2] = 0x000000ff;

    } else if (comp != CH_BI_RGB && hsize == 40) {
        extra = (comp == CH_BI_ALPHABITFIELDS) ? 16 : 12;
        if (14 + 40 + extra > n) {
            ch_detail(info, "bmp: bit field masks past the end of the file");
            return CH_CHECK_DAMAGED;
        }
        masks[0] = ch_rd32(p + 54);
        masks[1] = ch_rd32(p + 58);
        masks[2] = ch_rd32(p + 62);
    }

    if (bpp >= 16 && bpp != 24) {
        if (ch_bmp_chan(&ch[0], masks[0]) != 0
            || ch_bmp_chan(&ch[1], masks[1]) != 0
            || ch_bmp_chan(&ch[2], masks[2]) != 0
            || (masks[0] & masks[1]) || (masks[0] & masks[2])
            || (masks[1] & masks[2])
            || (bpp == 16 && ((masks[0] | masks[1] | masks[2]) >> 16)))
        {
            ch_detail(info, "bmp: bad bit field masks %08x %08x %08x",
                      (unsigned) masks[0], (unsigned) masks[1],
                      (unsigned) masks[2]);
            return CH_CHECK_DAMAGED;
        }
    }

    /* the palette, right after the header */
    ncolors = 0;
    entry = core ? 3 : 4;

    if (bpp <= 8) {
        ncolors = clr_used ? clr_used : (1u << bpp);
        if (ncolors > (1u << bpp)) {
            ch_detail(info, "bmp: %u palette colours for %u bits per pixel",
                      (unsigned) clr_used, bpp);
            return CH_CHECK_DAMAGED;
        }
    }

    header_end = 14 + (uint64_t) hsize + extra + ncolors * entry;

    if (header_end > n) {
        ch_detail(info, "bmp: palette past the end of the file");
        return CH_CHECK_DAMAGED;
    }

    if (off < header_end) {
        ch_detail(info, "bmp: pixel array at %u inside the headers (%llu)",
                  (unsigned) off, (unsigned long long) header_end);
        return CH_CHECK_DAMAGED;
    }

    for (i = 0; i < ncolors; i++) {
        q = p + 14 + hsize + i * entry;        /* B, G, R (, 0) */
        pal_colored[i] = (unsigned char) ch_colored(q[2], q[1], q[0]);
    }

    /* the pixel array, whole inside the file (rows padded to 4 bytes) */
    stride = ((uint64_t) w * bpp + 31) / 32 * 4;
    end = (uint64_t) off + stride * (uint64_t) ah;

    if (end > n) {
        ch_detail(info, "bmp: pixel array ends at %llu, past the end of "
                  "the file (%zu)", (unsigned long long) end, n);
        return CH_CHECK_DAMAGED;
    }

    /* a V5 header's embedded colour profile may follow the pixel array */
    data_end = end;

    if (hsize == 124) {
        cstype = ch_rd32(p + 14 + 56);
        pstart = 14 + (uint64_t) ch_rd32(p + 14 + 112);
        pend = pstart + ch_rd32(p + 14 + 116);

        if (cstype == CH_BMP_PROFILE_EMBEDDED && pend > pstart) {
            if (pend > n) {
                ch_detail(info, "bmp: colour profile past the end of the "
                          "file");
                return CH_CHECK_DAMAGED;
            }

            if (pstart >= end && pstart - end <= CH_FILE_TRAILING_SLACK) {
                data_end = pend;
            }
        }
    }

    if (n - data_end > CH_FILE_TRAILING_SLACK) {
        ch_detail(info, "bmp: %llu bytes after the pixel array at %llu",
                  (unsigned long long) (n - data_end),
                  (unsigned long long) data_end);
        return CH_CHECK_TRAILING_DATA;
    }

    /* the colour of every pixel (the rows' order does not matter) */
    for (yy = 0; yy < ah; yy++) {
        row = p + off + (uint64_t) yy * stride;

        switch (bpp) {

        case 1:
        case 4:
        case 8:
            for (x = 0; x < w; x++) {
                if (bpp == 8) {
                    idx = row[x];
                } else if (bpp == 4) {
                    idx = (row[x >> 1] >> ((x & 1) ? 0 : 4)) & 0x0f;
                } else {
                    idx = (row[x >> 3] >> (7 - (x & 7))) & 1;
                }

                if (idx >= ncolors) {
                    ch_detail(info, "bmp: colour index %u past the "
                              "%u-colour palette", idx, (unsigned) ncolors);
                    return CH_CHECK_DAMAGED;
                }

                cc.colored += pal_colored[idx];
            }
            break;

        case 24:
            cc.colored += ch_colored_px(row, (size_t) w, 3);
            break;

        case 16:
            for (x = 0; x < w; x++) {
                px = ch_rd16(row + 2 * x);
                cc.colored += ch_colored(ch_bmp_value(&ch[0], px),
                                         ch_bmp_value(&ch[1], px),
                                         ch_bmp_value(&ch[2], px));
            }
            break;

        default:                                            /* 32 */
            if (masks[0] == 0x00ff0000 && masks[1] == 0x0000ff00
                && masks[2] == 0x000000ff)
            {
                cc.colored += ch_colored_px(row, (size_t) w, 4);
                break;
            }

            for (x = 0; x < w; x++) {
                px = ch_rd32(row + 4 * x);
                cc.colored += ch_colored(ch_bmp_value(&ch[0], px),
                                         ch_bmp_value(&ch[1], px),
                                         ch_bmp_value(&ch[2], px));
            }
        }

        cc.pixels += (uint64_t) w;
    }

    ch_color_verdict(&cc, info);

    return CH_CHECK_OK;
}


/* --- the whole check ------------------------------------------------------- */

ch_check_e
ch_file_check(const unsigned char *p, size_t n, int color_required,
    ch_file_info_t *info)
{
    ch_file_type_e  type;
    ch_check_e      rc;
    unsigned        lo, hi;

    type = ch_file_sniff(p, n);

    switch (type) {
    case CH_FILE_JPEG:
        rc = ch_jpeg_check(p, n, info);
        break;
    case CH_FILE_PNG:
        rc = ch_png_check(p, n, info);
        break;
    case CH_FILE_BMP:
        rc = ch_bmp_check(p, n, info);
        break;
    case CH_FILE_PDF:
        rc = ch_pdf_check(p, n, info);
        break;
    default:
        /* the whole file is here: a prefix of a magic is no file either */
        ch_info_init(info, CH_FILE_UNKNOWN);
        ch_detail(info, "not a jpg, png, bmp or pdf file (%zu bytes)", n);
        return CH_CHECK_UNKNOWN_TYPE;
    }

    info->type = type;

    if (rc != CH_CHECK_OK) {
        return rc;
    }

    if (ch_too_many_pixels(info->width, info->height)) {
        ch_detail(info, "%ux%u pixels, more than the limits",
                  info->width, info->height);
        return CH_CHECK_TOO_MANY_PIXELS;
    }

    lo = info->width < info->height ? info->width : info->height;
    hi = info->width < info->height ? info->height : info->width;

    if (lo < CH_IMAGE_MIN_SHORT || hi < CH_IMAGE_MIN_LONG) {
        ch_detail(info, "%ux%u pixels, less than %ux%u",
                  info->width, info->height,
                  CH_IMAGE_MIN_SHORT, CH_IMAGE_MIN_LONG);
        return CH_CHECK_LOW_RESOLUTION;
    }

    if (color_required && !info->color) {
        ch_detail(info, "not colour: %u coloured pixels per mille, "
                  "%u needed", info->colored_per_mille,
                  CH_COLOR_MIN_PER_MILLE);
        return CH_CHECK_NOT_COLOR;
    }

    return CH_CHECK_OK;
}


/* --- results for the API ------------------------------------------------- */

const char *
ch_check_code(ch_check_e e)
{
    switch (e) {
    case CH_CHECK_OK:
        return NULL;
    case CH_CHECK_UNKNOWN_TYPE:
        return "unsupported_file_type";
    case CH_CHECK_DAMAGED:
        return "file_damaged";
    case CH_CHECK_TRAILING_DATA:
        return "file_trailing_data";
    case CH_CHECK_UNSUPPORTED:
        return "file_unsupported";
    case CH_CHECK_NOT_COLOR:
        return "scan_not_color";
    case CH_CHECK_LOW_RESOLUTION:
        return "resolution_too_low";
    case CH_CHECK_TOO_MANY_PIXELS:
        return "image_too_large";
    case CH_CHECK_PDF_MALFORMED:
        return "pdf_malformed";
    case CH_CHECK_PDF_ACTIVE:
        return "pdf_active_content";
    case CH_CHECK_PDF_ENCRYPTED:
        return "pdf_encrypted";
    case CH_CHECK_PDF_NO_IMAGE:
        return "pdf_no_scan";
    case CH_CHECK_NO_MEMORY:
        return "internal_error";
    }

    return "internal_error";
}


const char *
ch_check_message(ch_check_e e)
{
    switch (e) {
    case CH_CHECK_OK:
        return NULL;
    case CH_CHECK_UNKNOWN_TYPE:
        return "仅支持jpg、png、bmp、pdf格式的文件，请转换格式后重新上传";
    case CH_CHECK_DAMAGED:
        return "文件已损坏或不完整，请重新上传";
    case CH_CHECK_TRAILING_DATA:
        return "文件末尾附带了多余的数据，请重新扫描或另存为图片后上传";
    case CH_CHECK_UNSUPPORTED:
        return "不支持该图片的编码方式，请另存为常规的jpg、png或bmp格式后"
               "重新上传";
    case CH_CHECK_NOT_COLOR:
        return "扫描件必须为彩色，请使用彩色模式重新扫描后上传";
    case CH_CHECK_LOW_RESOLUTION:
        return "图片分辨率过低（至少" CH_XSTR(CH_IMAGE_MIN_SHORT) "×"
               CH_XSTR(CH_IMAGE_MIN_LONG) "像素），请重新扫描后上传";
    case CH_CHECK_TOO_MANY_PIXELS:
        return "图片像素过多（不超过5000万像素），请降低扫描分辨率后重新上传";
    case CH_CHECK_PDF_MALFORMED:
        return "PDF文件格式有误或已损坏，请重新导出后上传";
    case CH_CHECK_PDF_ACTIVE:
        return "PDF文件含有脚本、附件等内容，请仅保存扫描页面后重新上传";
    case CH_CHECK_PDF_ENCRYPTED:
        return "PDF文件已加密，请取消密码保护后重新上传";
    case CH_CHECK_PDF_NO_IMAGE:
        return "PDF文件中没有扫描图像，请上传扫描件";
    case CH_CHECK_NO_MEMORY:
        return "服务器内部错误，请稍后再试";
    }

    return "服务器内部错误，请稍后再试";
}
