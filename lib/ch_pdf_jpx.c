/*
 * The pixels of a PDF's JPEG 2000 (/JPXDecode) images (ch_pdf.c, rule 4):
 * decoded by OpenJPEG and counted with the colour test of image uploads,
 * so that img2pdf's JPX page of a grey scan stored as RGB is grey, as the
 * same pixels are in a PNG upload.
 *
 * The data is a JP2 file (boxes: what img2pdf and Pillow write) or a raw
 * codestream (FF 4F FF 51), told apart by the magic; anything else is
 * CH_CHECK_DAMAGED.  Before OpenJPEG sees it, the codestream's SIZ marker
 * is read here: its image size must be the dictionary's /Width and
 * /Height (else DAMAGED: a viewer shows one or the other), at most
 * CH_IMAGE_MAX_PIXELS (else TOO_MANY_PIXELS), at most JPX_MAX_TILES
 * tiles and JPX_MAX_COMPS components (OpenJPEG allocates per tile and
 * component while reading the header), precisions of at most 16 bits
 * (else UNSUPPORTED).  Nothing is allocated for pixels before that.
 *
 * The cost is bounded as for a JPEG (decoded at 1/8 scale): OpenJPEG
 * decodes at resolution factor r = min(JPX_REDUCE, the fewest resolution
 * levels of any component - 1), so each pixel counted is the wavelet's
 * low pass of a 2^r x 2^r block (JPEG ringing at text does not count, as
 * in the 1/8-scale JPEG) and a 600 dpi page costs about 1/20 of a full
 * decode (0.13 s and 25 MB instead of 2.4 s and 430 MB for 4960 x 7016).
 * A codestream of so few levels that the reduced image would still be
 * over JPX_MAX_DECODED pixels is UNSUPPORTED (encoders write 5 or 6), and
 * so are JPEG 2000 images that need more than that in all.  The codestream is read from memory (a custom opj_stream, no
 * file), in strict mode: a truncated codestream is DAMAGED, not a
 * half-grey image.  OpenJPEG's messages go to a buffer of this call (the
 * first error is the detail), never to stderr; no state is global, the
 * codec is single-threaded (the check runs in nginx's thread pool).  An
 * error OpenJPEG words as something it does not support is UNSUPPORTED
 * (ch_check_message then asks for a PDF of JPEG images), any other
 * DAMAGED.
 *
 * Colour: the dictionary's /ColorSpace when it has one (pdf_jpx_cs_t:
 * grey, RGB, CMYK, /Indexed through its palette), else the JP2's own
 * (sRGB, greyscale, sYCC and e-YCC, CMYK; unspecified: 1 component grey,
 * 3 RGB, 4 CMYK).  A JP2 that says its components are YCC is turned into
 * RGB whatever the dictionary says: those are the numbers in the data.
 * Alpha components (the JP2's channel definition; one more component
 * than the space's with /SMaskInData, or when the JP2 names the space)
 * are skipped; colour components of any precision (to
 * 8 bits), signed or not, subsampled (chroma at dx, dy > 1: sampled at
 * the nearest position of the largest component's grid).  Any other
 * component count than the colour space's is DAMAGED.  The pixels
 * counted weigh as the dictionary's width x height: the coloured share of
 * the reduced image stands for the whole.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openjpeg.h>

#include "ch_filecheck_int.h"
#include "ch_pdf_int.h"


#define JPX_REDUCE      3           /* 1/8 scale, as a JPEG */
#define JPX_MAX_TILES   4096
#define JPX_MAX_COMPS   5           /* CMYK and an alpha */
#define JPX_MAX_PREC    16
#define JPX_MAX_BOXES   256
/*
 * the pixels decoded (reduced) at most, in one image and in all of a PDF's:
 * OpenJPEG holds about 12 bytes a pixel of an RGB image while decoding (so
 * some 150 MB), and takes about 0.07 s a million (so about a second)
 */
#define JPX_MAX_DECODED  (CH_IMAGE_MAX_PIXELS / 4)

enum { JPX_GRAY, JPX_RGB, JPX_CMYK, JPX_YCC, JPX_INDEXED };

typedef struct {
    const unsigned char  *p;
    size_t                n;
    size_t                pos;
} jpx_src_t;

typedef struct {
    uint32_t  w, h;
    uint32_t  tiles;
    unsigned  comps;
    unsigned  prec[JPX_MAX_COMPS];
} jpx_siz_t;

typedef struct {
    char  err[96];
} jpx_log_t;


/* --- OpenJPEG's stream over memory, and its messages ------------------------ */

static OPJ_SIZE_T
jpx_read(void *buf, OPJ_SIZE_T n, void *data)
{
    jpx_src_t  *s = data;
    size_t      k;

    if (s->pos >= s->n) {
        return (OPJ_SIZE_T) -1;
    }
    k = s->n - s->pos < n ? s->n - s->pos : n;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;

    return k;
}


static OPJ_OFF_T
jpx_skip(OPJ_OFF_T n, void *data)
{
    jpx_src_t  *s = data;

    /* beyond either end is the end of the data: OpenJPEG then fails */
    if (n < 0 ? (size_t) -n > s->pos : (uint64_t) n > s->n - s->pos) {
        return -1;
    }
    s->pos += n;

    return n;
}


static OPJ_BOOL
jpx_seek(OPJ_OFF_T n, void *data)
{
    jpx_src_t  *s = data;

    if (n < 0 || (uint64_t) n > s->n) {
        return OPJ_FALSE;
    }
    s->pos = (size_t) n;

    return OPJ_TRUE;
}


static void
jpx_error(const char *msg, void *data)
{
    jpx_log_t  *log = data;
    size_t      len;

    if (log->err[0] != '\0') {
        return;
    }
    snprintf(log->err, sizeof(log->err), "%s", msg);
    len = strlen(log->err);
    while (len > 0 && (log->err[len - 1] == '\n' || log->err[len - 1] == ' '))
    {
        log->err[--len] = '\0';
    }
}


static void
jpx_quiet(const char *msg, void *data)
{
    (void) msg;
    (void) data;
}


/* --- the header, read here first ------------------------------------------- */

static uint32_t
jpx_be(const unsigned char *p, int n)
{
    uint32_t  v = 0;

    while (n-- > 0) {
        v = v << 8 | *p++;
    }

    return v;
}


/* the codestream of a JP2 file: its contiguous codestream box */
static int
jpx_jp2c(const unsigned char *p, size_t n, size_t *at, size_t *len)
{
    size_t    pos = 0, hdr, box;
    uint64_t  lbox;
    int       i;

    for (i = 0; i < JPX_MAX_BOXES && n - pos >= 8; i++) {
        lbox = jpx_be(p + pos, 4);
        hdr = 8;
        if (lbox == 1) {
            if (n - pos < 16) {
                return -1;
            }
            lbox = (uint64_t) jpx_be(p + pos + 8, 4) << 32
                   | jpx_be(p + pos + 12, 4);
            hdr = 16;
        } else if (lbox == 0) {
            lbox = n - pos;         /* the last box: to the end */
        }
        if (lbox < hdr || lbox > n - pos) {
            return -1;
        }
        box = (size_t) lbox;
        if (memcmp(p + pos + 4, "jp2c", 4) == 0) {
            *at = pos + hdr;
            *len = box - hdr;
            return 0;
        }
        pos += box;
    }

    return -1;
}


static ch_check_e
jpx_siz(pdf_t *pdf, unsigned num, const unsigned char *p, size_t n,
    jpx_siz_t *siz)
{
    uint32_t  x1, y1, x0, y0, tw, th, tx0, ty0;
    uint64_t  tiles;
    unsigned  c, lsiz, dx, dy;

    if (n < 42 || jpx_be(p, 4) != 0xff4fff51) {
        return pdf_fail(pdf, CH_CHECK_DAMAGED,
                        "image %u: JPEG 2000 codestream without SIZ", num);
    }
    lsiz = jpx_be(p + 4, 2);
    x1 = jpx_be(p + 8, 4);
    y1 = jpx_be(p + 12, 4);
    x0 = jpx_be(p + 16, 4);
    y0 = jpx_be(p + 20, 4);
    tw = jpx_be(p + 24, 4);
    th = jpx_be(p + 28, 4);
    tx0 = jpx_be(p + 32, 4);
    ty0 = jpx_be(p + 36, 4);
    siz->comps = jpx_be(p + 40, 2);

    if (siz->comps == 0 || lsiz != 38 + 3 * siz->comps || n < 4 + lsiz
        || x0 >= x1 || y0 >= y1 || tw == 0 || th == 0 || tx0 > x0
        || ty0 > y0 || tw <= x0 - tx0 || th <= y0 - ty0)
    {
        return pdf_fail(pdf, CH_CHECK_DAMAGED,
                        "image %u: JPEG 2000 SIZ is inconsistent", num);
    }

    siz->w = x1 - x0;
    siz->h = y1 - y0;
    if (ch_too_many_pixels(siz->w, siz->h)) {
        return pdf_fail(pdf, CH_CHECK_TOO_MANY_PIXELS,
                        "image %u: JPEG 2000 of %u x %u pixels", num,
                        (unsigned) siz->w, (unsigned) siz->h);
    }

    tiles = (uint64_t) ((x1 - tx0 - 1) / tw + 1)
            * (uint64_t) ((y1 - ty0 - 1) / th + 1);
    if (tiles > JPX_MAX_TILES) {
        return pdf_fail(pdf, CH_CHECK_UNSUPPORTED,
                        "image %u: JPEG 2000 of %llu tiles", num,
                        (unsigned long long) tiles);
    }
    siz->tiles = (uint32_t) tiles;

    if (siz->comps > JPX_MAX_COMPS) {
        return pdf_fail(pdf, CH_CHECK_DAMAGED,
                        "image %u: JPEG 2000 of %u components", num,
                        siz->comps);
    }

    for (c = 0; c < siz->comps; c++) {
        siz->prec[c] = (p[42 + 3 * c] & 0x7f) + 1u;
        dx = p[43 + 3 * c];
        dy = p[44 + 3 * c];
        if (dx == 0 || dy == 0) {
            return pdf_fail(pdf, CH_CHECK_DAMAGED,
                            "image %u: JPEG 2000 component %u subsampled "
                            "by 0", num, c);
        }
        if (siz->prec[c] > JPX_MAX_PREC) {
            return pdf_fail(pdf, CH_CHECK_UNSUPPORTED,
                            "image %u: JPEG 2000 of %u-bit samples", num,
                            siz->prec[c]);
        }
    }

    return CH_CHECK_OK;
}


/* --- the pixels ------------------------------------------------------------- */

/* component c's sample at i, as 0..255 (raw: as it is, an index) */
static unsigned
jpx_sample(const opj_image_comp_t *c, size_t i, int raw)
{
    int64_t  v = c->data[i], max;

    if (c->prec == 0 || c->prec > JPX_MAX_PREC) {
        return 0;
    }
    if (c->sgnd) {
        v += (int64_t) 1 << (c->prec - 1);
    }
    max = ((int64_t) 1 << c->prec) - 1;
    v = v < 0 ? 0 : v > max ? max : v;

    if (raw || c->prec == 8) {
        return (unsigned) v;
    }

    return c->prec > 8 ? (unsigned) (v >> (c->prec - 8))
                       : (unsigned) (v * 255 / max);
}


static unsigned
jpx_clamp(long v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (unsigned) v;
}


/* the coloured pixels of the decoded image, on the grid of its largest
   colour component; *pixels their count */
static uint64_t
jpx_colored(const opj_image_t *img, const int *ci, int n, int kind,
    const pdf_jpx_cs_t *cs, uint64_t *pixels)
{
    const opj_image_comp_t  *c[4], *g;
    uint64_t                 colored = 0;
    size_t                   at[4];
    uint32_t                 x, y;
    unsigned                 v[4], r, gr, b, k;
    long                     cb, cr;
    int                      i;

    g = &img->comps[ci[0]];
    for (i = 0; i < n; i++) {
        c[i] = &img->comps[ci[i]];
        if ((uint64_t) c[i]->w * c[i]->h > (uint64_t) g->w * g->h) {
            g = c[i];
        }
    }

    *pixels = (uint64_t) g->w * g->h;
    if (kind == JPX_GRAY) {
        return 0;
    }

    for (y = 0; y < g->h; y++) {
        for (x = 0; x < g->w; x++) {
            for (i = 0; i < n; i++) {
                at[i] = (size_t) ((uint64_t) y * c[i]->h / g->h) * c[i]->w
                        + (size_t) ((uint64_t) x * c[i]->w / g->w);
                v[i] = jpx_sample(c[i], at[i], kind == JPX_INDEXED);
            }

            switch (kind) {
            case JPX_INDEXED:
                colored += cs->pal[v[0] > cs->hival ? cs->hival : v[0]];
                break;
            case JPX_RGB:
                colored += ch_colored(v[0], v[1], v[2]);
                break;
            case JPX_CMYK:
                k = v[3];
                r = (255 - v[0]) * (255 - k) / 255;
                gr = (255 - v[1]) * (255 - k) / 255;
                b = (255 - v[2]) * (255 - k) / 255;
                colored += ch_colored(r, gr, b);
                break;
            default:                /* JPX_YCC, as JPEG's YCbCr */
                cb = (long) v[1] - 128;
                cr = (long) v[2] - 128;
                r = jpx_clamp(v[0] + (1402 * cr) / 1000);
                gr = jpx_clamp(v[0] - (344 * cb + 714 * cr) / 1000);
                b = jpx_clamp(v[0] + (1772 * cb) / 1000);
                colored += ch_colored(r, gr, b);
                break;
            }
        }
    }

    return colored;
}


/* the colour components (ci) and their kind: JPX_*, or -1 */
static int
jpx_kind(const opj_image_t *img, const pdf_jpx_cs_t *cs, int *ci, int *n)
{
    unsigned  i;
    int       want, kind, alpha = 0;

    *n = 0;
    for (i = 0; i < img->numcomps; i++) {
        if (img->comps[i].alpha) {
            alpha++;
        } else if (*n < 4) {
            ci[(*n)++] = (int) i;
        } else {
            return -1;
        }
    }

    if (img->color_space == OPJ_CLRSPC_SYCC
        || img->color_space == OPJ_CLRSPC_EYCC)
    {
        kind = JPX_YCC;
    } else if (cs->indexed) {
        kind = JPX_INDEXED;
    } else if (cs->comps != 0) {
        kind = cs->comps == 1 ? JPX_GRAY : cs->comps == 3 ? JPX_RGB
                                                           : JPX_CMYK;
    } else if (img->color_space == OPJ_CLRSPC_GRAY) {
        kind = JPX_GRAY;
    } else if (img->color_space == OPJ_CLRSPC_SRGB) {
        kind = JPX_RGB;
    } else if (img->color_space == OPJ_CLRSPC_CMYK) {
        kind = JPX_CMYK;
    } else {
        kind = *n == 1 ? JPX_GRAY : *n == 3 ? JPX_RGB : *n == 4 ? JPX_CMYK
                                                                : -1;
    }

    want = kind == JPX_GRAY || kind == JPX_INDEXED ? 1
           : kind == JPX_CMYK ? 4 : 3;

    /*
     * One more component than the space's is the alpha: with /SMaskInData,
     * or when the JP2 names the space without a channel definition (Pillow
     * writes RGBA so; viewers show the first three)
     */
    if (alpha == 0 && *n == want + 1
        && (cs->smask_in_data
            || (cs->comps == 0 && !cs->indexed
                && img->color_space != OPJ_CLRSPC_UNSPECIFIED
                && img->color_space != OPJ_CLRSPC_UNKNOWN)))
    {
        (*n)--;
    }

    return *n == want ? kind : -1;
}


/* --- one image ---------------------------------------------------------------- */

static ch_check_e
jpx_failed(pdf_t *pdf, unsigned num, const jpx_log_t *log, const char *what)
{
    const char  *e = log->err[0] ? log->err : what;

    if (strstr(e, "support") != NULL) {
        return pdf_fail(pdf, CH_CHECK_UNSUPPORTED,
                        "image %u: JPEG 2000 not decoded here: %s", num, e);
    }

    return pdf_fail(pdf, CH_CHECK_DAMAGED, "image %u: damaged JPEG 2000 (%s)",
                    num, e);
}


ch_check_e
pdf_jpx_count(pdf_t *pdf, unsigned num, const unsigned char *d, size_t len,
    int64_t width, int64_t height, const pdf_jpx_cs_t *cs,
    ch_color_count_t *cc)
{
    static const unsigned char  jp2_magic[12] = {
        0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a
    };

    opj_codestream_info_v2_t  *info;
    opj_dparameters_t          par;
    opj_codec_t               *codec = NULL;
    opj_stream_t              *stream = NULL;
    opj_image_t               *img = NULL;
    jpx_src_t                  src;
    jpx_siz_t                  siz;
    jpx_log_t                  log;
    OPJ_CODEC_FORMAT           format;
    uint64_t                   px, counted, colored;
    unsigned                   r, c, res;
    size_t                     at, clen;
    ch_check_e                 rc;
    int                        ci[4], n, kind;

    while (len > 0 && pdf_ws(d[len - 1])) {
        len--;                      /* writers' line ends */
    }

    if (len >= 4 && jpx_be(d, 4) == 0xff4fff51) {
        format = OPJ_CODEC_J2K;
        at = 0;
        clen = len;
    } else if (len >= 12 && memcmp(d, jp2_magic, 12) == 0) {
        format = OPJ_CODEC_JP2;
        if (jpx_jp2c(d, len, &at, &clen) != 0) {
            return pdf_fail(pdf, CH_CHECK_DAMAGED,
                            "image %u: JP2 without a codestream box", num);
        }
    } else {
        return pdf_fail(pdf, CH_CHECK_DAMAGED, "image %u: no JPEG 2000", num);
    }

    memset(&siz, 0, sizeof(siz));
    rc = jpx_siz(pdf, num, d + at, clen, &siz);
    if (rc != CH_CHECK_OK) {
        return rc;
    }
    if (siz.w != width || siz.h != height) {
        return pdf_fail(pdf, CH_CHECK_DAMAGED,
                        "image %u: JPEG 2000 of %u x %u, its dictionary "
                        "says %lld x %lld", num, (unsigned) siz.w,
                        (unsigned) siz.h, (long long) width,
                        (long long) height);
    }

    memset(&log, 0, sizeof(log));
    src.p = d;
    src.n = len;
    src.pos = 0;

    codec = opj_create_decompress(format);
    stream = opj_stream_create(65536, OPJ_TRUE);
    if (codec == NULL || stream == NULL) {
        rc = pdf_nomem(pdf);
        goto done;
    }
    opj_set_error_handler(codec, jpx_error, &log);
    opj_set_warning_handler(codec, jpx_quiet, &log);
    opj_set_info_handler(codec, jpx_quiet, &log);

    opj_stream_set_user_data(stream, &src, NULL);
    opj_stream_set_user_data_length(stream, len);
    opj_stream_set_read_function(stream, jpx_read);
    opj_stream_set_skip_function(stream, jpx_skip);
    opj_stream_set_seek_function(stream, jpx_seek);

    opj_set_default_decoder_parameters(&par);
    if (!opj_setup_decoder(codec, &par)
        || !opj_codec_set_threads(codec, 0)
        || !opj_decoder_set_strict_mode(codec, OPJ_TRUE))
    {
        rc = pdf_nomem(pdf);
        goto done;
    }

    if (!opj_read_header(stream, codec, &img)) {
        rc = jpx_failed(pdf, num, &log, "its header");
        goto done;
    }

    /* the fewest resolution levels of any component bound the reduction */
    r = JPX_REDUCE;
    info = opj_get_cstr_info(codec);
    if (info == NULL) {
        rc = pdf_nomem(pdf);
        goto done;
    }
    for (c = 0; c < info->nbcomps; c++) {
        res = info->m_default_tile_info.tccp_info[c].numresolutions;
        if (res == 0) {
            r = 0;
        } else if (res - 1 < r) {
            r = res - 1;
        }
    }
    opj_destroy_cstr_info(&info);

    /*
     * a codestream of too few levels for its size (encoders write 5 or 6),
     * or many of them: refused before decoding
     */
    px = (uint64_t) (((siz.w - 1) >> r) + 1) * (((siz.h - 1) >> r) + 1);
    if (px > JPX_MAX_DECODED) {
        rc = pdf_fail(pdf, CH_CHECK_UNSUPPORTED,
                      "image %u: JPEG 2000 of %u x %u with %u resolution "
                      "levels: too many pixels to decode", num,
                      (unsigned) siz.w, (unsigned) siz.h, r + 1);
        goto done;
    }
    pdf->jpx_decoded += px;
    if (pdf->jpx_decoded > JPX_MAX_DECODED) {
        rc = pdf_fail(pdf, CH_CHECK_UNSUPPORTED,
                      "image %u: the JPEG 2000 images need more than %u "
                      "pixels decoded in all", num,
                      (unsigned) JPX_MAX_DECODED);
        goto done;
    }

    if (!opj_set_decoded_resolution_factor(codec, r)) {
        rc = jpx_failed(pdf, num, &log, "its resolution levels");
        goto done;
    }

    if (!opj_decode(codec, stream, img) || !opj_end_decompress(codec, stream))
    {
        rc = jpx_failed(pdf, num, &log, "its data");
        goto done;
    }

    kind = jpx_kind(img, cs, ci, &n);
    if (kind < 0) {
        rc = pdf_fail(pdf, CH_CHECK_DAMAGED,
                      "image %u: JPEG 2000 of %u components for its colour "
                      "space", num, img->numcomps);
        goto done;
    }
    for (c = 0; c < (unsigned) n; c++) {
        if (img->comps[ci[c]].data == NULL || img->comps[ci[c]].w == 0
            || img->comps[ci[c]].h == 0)
        {
            rc = pdf_fail(pdf, CH_CHECK_DAMAGED,
                          "image %u: JPEG 2000 component %u not decoded",
                          num, c);
            goto done;
        }
    }

    colored = jpx_colored(img, ci, n, kind, cs, &counted);

    /* the reduced image's coloured share, of the dictionary's pixels */
    px = (uint64_t) width * (uint64_t) height;
    cc->pixels += px;
    cc->colored += counted ? colored * px / counted : 0;
    rc = CH_CHECK_OK;

done:

    opj_image_destroy(img);
    opj_stream_destroy(stream);
    opj_destroy_codec(codec);

    return rc;
}
