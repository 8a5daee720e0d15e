/*
 * The PNG checker (see ch_filecheck.h for its rules): libpng decodes the
 * image row by row, every chunk's CRC and the zlib stream checked, IEND
 * required and nothing after it.
 *
 * Thread-safe: no state outside the call.  libpng reports errors through
 * callbacks that longjmp back to the call that set them up (one jmp_buf
 * per call, in the call's own context).
 */

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "ch_filecheck.h"
#include "ch_filecheck_int.h"


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
