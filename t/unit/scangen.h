/*
 * Scans made in memory, for the tests of lib/ch_filecheck.c: a page like a
 * scanned document (light paper, dark text-like strokes, a red seal ring
 * and a blue stamp block), the same page in grey, or grey with one small
 * coloured block ("tinted"); optional noise.  Encoded as JPEG (libjpeg), PNG
 * (libpng) or BMP (by hand), padded to an exact size in a valid way.
 * Deterministic: the same arguments give the same bytes.
 *
 * Shared by t/unit/test_filecheck.c and t/tools/mkscan.c (the generator the
 * Test::Nginx suites and the benchmark call).  Header-only: every function
 * is static inline.  Failures of the encoders return -1 (never exit).
 */

#ifndef CERTHALL_SCANGEN_H
#define CERTHALL_SCANGEN_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <zlib.h>


typedef enum {
    SG_COLOR = 0,
    SG_GREY,
    SG_TINTED
} sg_kind_e;

typedef struct {
    unsigned        w;
    unsigned        h;
    unsigned char  *rgb;            /* w * h pixels, R, G, B */
} sg_image_t;

typedef struct {
    unsigned char  *p;
    size_t          n;
    size_t          cap;
} sg_buf_t;


/* the page's colours */
static const unsigned char  sg_paper[3] = { 246, 244, 238 };
static const unsigned char  sg_ink[3] = { 34, 34, 40 };
static const unsigned char  sg_seal[3] = { 206, 36, 44 };
static const unsigned char  sg_stamp[3] = { 36, 76, 176 };
static const unsigned char  sg_tint[3] = { 212, 64, 52 };


/* --- buffers ------------------------------------------------------------- */

static inline int
sg_buf_reserve(sg_buf_t *b, size_t more)
{
    size_t          cap;
    unsigned char  *np;

    if (b->n + more <= b->cap) {
        return 0;
    }

    cap = b->cap ? b->cap : 4096;
    while (cap < b->n + more) {
        cap *= 2;
    }

    np = realloc(b->p, cap);
    if (np == NULL) {
        return -1;
    }

    b->p = np;
    b->cap = cap;

    return 0;
}


static inline int
sg_buf_add(sg_buf_t *b, const void *data, size_t len)
{
    if (sg_buf_reserve(b, len) != 0) {
        return -1;
    }

    if (len) {
        memcpy(b->p + b->n, data, len);
    }
    b->n += len;

    return 0;
}


/* inserts len bytes of data (or of byte fill when data is NULL) at off */
static inline int
sg_buf_insert(sg_buf_t *b, size_t off, const void *data, size_t len,
    int fill)
{
    if (off > b->n || sg_buf_reserve(b, len) != 0) {
        return -1;
    }

    memmove(b->p + off + len, b->p + off, b->n - off);
    if (data != NULL) {
        memcpy(b->p + off, data, len);
    } else {
        memset(b->p + off, fill, len);
    }
    b->n += len;

    return 0;
}


static inline void
sg_buf_free(sg_buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
}


static inline void
sg_put16(unsigned char *q, unsigned v)
{
    q[0] = (unsigned char) v;
    q[1] = (unsigned char) (v >> 8);
}


static inline void
sg_put32(unsigned char *q, uint32_t v)
{
    q[0] = (unsigned char) v;
    q[1] = (unsigned char) (v >> 8);
    q[2] = (unsigned char) (v >> 16);
    q[3] = (unsigned char) (v >> 24);
}


static inline void
sg_put32be(unsigned char *q, uint32_t v)
{
    q[0] = (unsigned char) (v >> 24);
    q[1] = (unsigned char) (v >> 16);
    q[2] = (unsigned char) (v >> 8);
    q[3] = (unsigned char) v;
}


/* --- the page ------------------------------------------------------------ */

static inline uint32_t
sg_rand(uint32_t *s)
{
    uint32_t  x;

    x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;

    return x;
}


/* the rectangle [x0, x1) x [y0, y1), clipped */
static inline void
sg_fill(sg_image_t *im, long x0, long y0, long x1, long y1,
    const unsigned char *c)
{
    long            x, y;
    unsigned char  *q;

    if (x0 < 0) {
        x0 = 0;
    }
    if (y0 < 0) {
        y0 = 0;
    }
    if (x1 > (long) im->w) {
        x1 = im->w;
    }
    if (y1 > (long) im->h) {
        y1 = im->h;
    }

    for (y = y0; y < y1; y++) {
        q = im->rgb + ((size_t) y * im->w + x0) * 3;
        for (x = x0; x < x1; x++, q += 3) {
            q[0] = c[0];
            q[1] = c[1];
            q[2] = c[2];
        }
    }
}


static inline unsigned char
sg_luma(const unsigned char *q)
{
    return (unsigned char) ((77 * q[0] + 150 * q[1] + 29 * q[2] + 128) >> 8);
}


static inline uint64_t
sg_isqrt(uint64_t v)
{
    uint64_t  r;

    r = 0;
    while ((r + 1) * (r + 1) <= v) {
        r++;
    }

    return r;
}


/* the ring around (cx, cy), outer radius r, width t */
static inline void
sg_ring(sg_image_t *im, long cx, long cy, long r, long t,
    const unsigned char *c)
{
    long  x, y, dx, dy, d2, ri;

    ri = r - t;

    for (y = cy - r; y <= cy + r; y++) {
        if (y < 0 || y >= (long) im->h) {
            continue;
        }
        for (x = cx - r; x <= cx + r; x++) {
            if (x < 0 || x >= (long) im->w) {
                continue;
            }
            dx = x - cx;
            dy = y - cy;
            d2 = dx * dx + dy * dy;
            if (d2 <= r * r && d2 >= ri * ri) {
                sg_fill(im, x, y, x + 1, y + 1, c);
            }
        }
    }
}


/* lines of "words": glyphs of two to four strokes each */
static inline void
sg_text(sg_image_t *im, uint32_t *seed, long top)
{
    long      w, h, mx, my, line, gh, gw, st, x, y, end, gap;
    int       g, glyphs, bits;

    w = im->w;
    h = im->h;
    mx = w / 12;
    my = h / 14;
    line = h / 36 > 3 ? h / 36 : 3;
    gh = line * 3 / 5 > 2 ? line * 3 / 5 : 2;
    gw = gh * 4 / 5 > 2 ? gh * 4 / 5 : 2;
    st = gh / 7 > 1 ? gh / 7 : 1;
    gap = gw / 4 > 1 ? gw / 4 : 1;

    for (y = top; y + gh < h - my; y += line) {
        x = mx + ((sg_rand(seed) % 5 == 0) ? 2 * gw : 0);
        end = w - mx - ((sg_rand(seed) % 6 == 0) ? (long) (sg_rand(seed) % (w / 3 + 1)) : 0);

        while (x + gw < end) {
            glyphs = 2 + sg_rand(seed) % 7;
            for (g = 0; g < glyphs && x + gw < end; g++) {
                bits = sg_rand(seed);
                if (bits & 1) {
                    sg_fill(im, x, y, x + st, y + gh, sg_ink);
                }
                if (bits & 2) {
                    sg_fill(im, x + gw - st, y, x + gw, y + gh, sg_ink);
                }
                if (bits & 4) {
                    sg_fill(im, x, y, x + gw, y + st, sg_ink);
                }
                if (bits & 8) {
                    sg_fill(im, x, y + gh / 2, x + gw, y + gh / 2 + st,
                            sg_ink);
                }
                if ((bits & 16) || (bits & 15) == 0) {
                    sg_fill(im, x, y + gh - st, x + gw, y + gh, sg_ink);
                }
                if (bits & 32) {
                    sg_fill(im, x + gw / 2, y, x + gw / 2 + st, y + gh,
                            sg_ink);
                }
                x += gw + gap;
            }
            x += gw;
        }
    }
}


/*
 * Draws a w x h page of the kind into im (allocating im->rgb; free it).
 * Colour: about 1.3 % of the pixels coloured (seal ring, its inner bars,
 * the stamp block); grey: every pixel R = G = B; tinted: grey with one
 * block of side about sqrt(0.0005 w h) (a multiple of 8, at a multiple of
 * 8, from 8 up) coloured: ~0.05 % of the pixels.  Noise: each channel of
 * each pixel moved by a random -noise .. +noise.
 */
static inline int
sg_page(sg_image_t *im, unsigned w, unsigned h, sg_kind_e kind,
    unsigned noise, uint32_t seed)
{
    size_t          i, npx;
    long            r, t, cx, cy, side, tx, ty;
    unsigned char  *q;
    uint32_t        s;
    int             v;

    s = seed ? seed : 0x9e3779b9u;
    im->w = w;
    im->h = h;
    npx = (size_t) w * h;
    im->rgb = malloc(npx ? npx * 3 : 1);
    if (im->rgb == NULL) {
        return -1;
    }

    sg_fill(im, 0, 0, w, h, sg_paper);

    /* the stamp block at the top left, the text below it */
    sg_fill(im, w / 12, h / 14, w / 12 + (w / 12 > 2 ? w / 12 : 2),
            h / 14 + (h / 20 > 2 ? h / 20 : 2), sg_stamp);
    sg_text(im, &s, h / 14 + h / 20 + h / 36 + 1);

    /* the seal over the text, bottom right: a ring and three bars */
    r = (w < h ? w : h) / 8;
    r = r > 3 ? r : 3;
    t = r / 7 > 2 ? r / 7 : 2;
    cx = (long) w * 72 / 100;
    cy = (long) h * 80 / 100;
    sg_ring(im, cx, cy, r, t, sg_seal);
    sg_fill(im, cx - r / 2, cy - r / 4, cx + r / 2, cy - r / 4 + t, sg_seal);
    sg_fill(im, cx - r / 2, cy, cx + r / 2, cy + t, sg_seal);
    sg_fill(im, cx - r / 3, cy + r / 4, cx + r / 3, cy + r / 4 + t,
            sg_seal);

    if (kind != SG_COLOR) {
        for (i = 0, q = im->rgb; i < npx; i++, q += 3) {
            q[0] = q[1] = q[2] = sg_luma(q);
        }
    }

    if (kind == SG_TINTED) {
        side = (long) sg_isqrt((uint64_t) w * h / 2000);
        side = side >= 8 ? side / 8 * 8 : (side ? side : 1);
        tx = (long) (w / 2) / 8 * 8;
        ty = (long) (h / 3) / 8 * 8;
        sg_fill(im, tx, ty, tx + side, ty + side, sg_tint);
    }

    if (noise) {
        for (i = 0, q = im->rgb; i < npx * 3; i++, q++) {
            v = *q + (int) (sg_rand(&s) % (2 * noise + 1)) - (int) noise;
            *q = (unsigned char) (v < 0 ? 0 : v > 255 ? 255 : v);
        }
        /* grey stays grey in its mean: only the noise differs by channel */
    }

    return 0;
}


static inline void
sg_image_free(sg_image_t *im)
{
    free(im->rgb);
    im->rgb = NULL;
}


/* coloured pixels of the image as ch_filecheck counts them at full size */
static inline size_t
sg_colored(const sg_image_t *im)
{
    size_t               i, n;
    const unsigned char *q;
    int                  hi, lo;

    n = 0;
    for (i = 0, q = im->rgb; i < (size_t) im->w * im->h; i++, q += 3) {
        hi = q[0] > q[1] ? q[0] : q[1];
        hi = q[2] > hi ? q[2] : hi;
        lo = q[0] < q[1] ? q[0] : q[1];
        lo = q[2] < lo ? q[2] : lo;
        n += hi - lo >= 32;
    }

    return n;
}


/*
 * The colour palette of 8-bit images: a 6 x 6 x 6 colour cube (0 .. 215)
 * and a ramp of 40 greys (216 .. 255), so that grey stays grey.
 */
static inline void
sg_pal_color(unsigned i, unsigned char *rgb)
{
    if (i < 216) {
        rgb[0] = (unsigned char) (i / 36 * 51);
        rgb[1] = (unsigned char) (i / 6 % 6 * 51);
        rgb[2] = (unsigned char) (i % 6 * 51);
    } else {
        rgb[0] = rgb[1] = rgb[2] = (unsigned char) ((i - 216) * 255 / 39);
    }
}


static inline unsigned
sg_pal_index(const unsigned char *q)
{
    int  hi, lo;

    hi = q[0] > q[1] ? q[0] : q[1];
    hi = q[2] > hi ? q[2] : hi;
    lo = q[0] < q[1] ? q[0] : q[1];
    lo = q[2] < lo ? q[2] : lo;

    if (hi - lo < 24) {
        return 216 + (sg_luma(q) * 39 + 127) / 255;
    }

    return (q[0] * 5 + 127) / 255 * 36 + (q[1] * 5 + 127) / 255 * 6
           + (q[2] * 5 + 127) / 255;
}


/* --- JPEG ---------------------------------------------------------------- */

typedef struct {
    int  quality;           /* 1 .. 100; 0: 90 */
    int  grey;              /* one component (the page's red channel) */
    int  cmyk;              /* four, Adobe inverted, as Photoshop writes */
    int  progressive;       /* libjpeg's standard progression */
    int  many_scans;        /* progressive, one scan per AC coefficient */
    int  restart_rows;      /* restart markers every so many MCU rows */
    int  sampling;          /* chroma: 0 4:2:0, 1 4:4:4, 2 4:2:2 */
    int  rgb;               /* stored as RGB (Adobe transform 0) */
    int  arithmetic;        /* arithmetic coding instead of Huffman */
    /* what cameras and phones add: an APP1 Exif with IFD0's Orientation
       (1 .. 8) and, with thumb, IFD1's JPEG thumbnail (as big as APP1
       allows: 65,470 bytes); icc_bytes of an ICC profile in APP2 chunks
       as libjpeg splits one over 65,519 bytes (only its size field is a
       profile's: the checker does not read it) */
    unsigned              orientation;
    const unsigned char  *thumb;
    size_t                thumb_len;
    size_t                icc_bytes;
} sg_jpeg_opt_t;


/* the APP1 Exif segment of opt (orientation, thumbnail), or -1 */
static inline int
sg_jpeg_exif(j_compress_ptr c, const sg_jpeg_opt_t *opt)
{
    unsigned char  *e, *t;
    size_t          n;

    n = 6 + 56 + (opt->thumb ? opt->thumb_len : 0);
    if (n > 65533 || (e = calloc(1, n)) == NULL) {
        return -1;
    }

    memcpy(e, "Exif\0\0II*\0", 10);
    t = e + 6;                                   /* TIFF offsets from here */
    sg_put32(t + 4, 8);
    sg_put16(t + 8, 1);                          /* IFD0: one entry */
    sg_put16(t + 10, 0x0112);                    /* Orientation, SHORT */
    sg_put16(t + 12, 3);
    sg_put32(t + 14, 1);
    sg_put16(t + 18, opt->orientation);
    if (opt->thumb) {
        sg_put32(t + 22, 26);                    /* IFD1 */
        sg_put16(t + 26, 2);
        sg_put16(t + 28, 0x0201);                /* JPEGInterchangeFormat */
        sg_put16(t + 30, 4);
        sg_put32(t + 32, 1);
        sg_put32(t + 36, 56);
        sg_put16(t + 40, 0x0202);                /* ...Length */
        sg_put16(t + 42, 4);
        sg_put32(t + 44, 1);
        sg_put32(t + 48, (uint32_t) opt->thumb_len);
        memcpy(t + 56, opt->thumb, opt->thumb_len);
    }

    jpeg_write_marker(c, JPEG_APP0 + 1, e, (unsigned) n);
    free(e);

    return 0;
}


typedef struct {
    struct jpeg_error_mgr  pub;
    jmp_buf                jmp;
} sg_jpeg_err_t;


static inline void
sg_jpeg_error_exit(j_common_ptr cinfo)
{
    longjmp(((sg_jpeg_err_t *) cinfo->err)->jmp, 1);
}


static inline int
sg_jpeg(sg_buf_t *out, const sg_image_t *im, const sg_jpeg_opt_t *opt)
{
    struct jpeg_compress_struct  c;
    sg_jpeg_err_t                err;
    jpeg_scan_info               scans[1 + 3 * 63];
    unsigned char               *mem, *row, *q, *src;
    unsigned long                size;
    unsigned                     x, ci, k, n, cc, mm, yy, kk;
    JSAMPROW                     rp[1];

    mem = NULL;
    size = 0;
    row = malloc((size_t) im->w * 4 + 1);
    if (row == NULL) {
        return -1;
    }

    c.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = sg_jpeg_error_exit;

    if (setjmp(err.jmp)) {
        jpeg_destroy_compress(&c);
        free(row);
        free(mem);
        return -1;
    }

    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &size);

    c.image_width = im->w;
    c.image_height = im->h;

    if (opt->grey) {
        c.input_components = 1;
        c.in_color_space = JCS_GRAYSCALE;
    } else if (opt->cmyk) {
        c.input_components = 4;
        c.in_color_space = JCS_CMYK;
    } else {
        c.input_components = 3;
        c.in_color_space = JCS_RGB;
    }

    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, opt->quality ? opt->quality : 90, TRUE);
    c.dct_method = JDCT_ISLOW;
    c.restart_in_rows = opt->restart_rows;

    if (opt->cmyk) {
        jpeg_set_colorspace(&c, JCS_CMYK);      /* with an Adobe marker */
    } else if (opt->rgb && !opt->grey) {
        jpeg_set_colorspace(&c, JCS_RGB);       /* with an Adobe marker */
    } else if (!opt->grey && opt->sampling) {
        c.comp_info[0].h_samp_factor = opt->sampling == 2 ? 2 : 1;
        c.comp_info[0].v_samp_factor = 1;
    }

    c.arith_code = opt->arithmetic ? TRUE : FALSE;

    if (opt->many_scans) {
        n = 0;
        scans[n].comps_in_scan = c.num_components;
        for (ci = 0; ci < (unsigned) c.num_components; ci++) {
            scans[n].component_index[ci] = ci;
        }
        scans[n].Ss = 0;
        scans[n].Se = 0;
        scans[n].Ah = 0;
        scans[n].Al = 0;
        n++;
        for (ci = 0; ci < (unsigned) c.num_components; ci++) {
            for (k = 1; k < 64; k++) {
                scans[n].comps_in_scan = 1;
                scans[n].component_index[0] = ci;
                scans[n].Ss = k;
                scans[n].Se = k;
                scans[n].Ah = 0;
                scans[n].Al = 0;
                n++;
            }
        }
        c.scan_info = scans;
        c.num_scans = n;

    } else if (opt->progressive) {
        jpeg_simple_progression(&c);
    }

    jpeg_start_compress(&c, TRUE);

    if (opt->orientation && sg_jpeg_exif(&c, opt) != 0) {
        jpeg_destroy_compress(&c);
        free(row);
        free(mem);
        return -1;
    }

    if (opt->icc_bytes) {
        unsigned char  *icc;

        icc = malloc(opt->icc_bytes);
        if (icc == NULL) {
            jpeg_destroy_compress(&c);
            free(row);
            free(mem);
            return -1;
        }
        for (x = 0; x < opt->icc_bytes; x++) {
            icc[x] = (unsigned char) (x * 7);
        }
        sg_put32be(icc, (uint32_t) opt->icc_bytes);  /* the profile's size */
        jpeg_write_icc_profile(&c, icc, (unsigned) opt->icc_bytes);
        free(icc);
    }

    while (c.next_scanline < c.image_height) {
        src = im->rgb + (size_t) c.next_scanline * im->w * 3;

        if (opt->grey) {
            for (x = 0; x < im->w; x++) {
                row[x] = src[3 * x];
            }
        } else if (opt->cmyk) {
            for (x = 0, q = row; x < im->w; x++, q += 4) {
                /* ink: K the darkness, C, M, Y what is left; inverted */
                cc = 255 - src[3 * x];
                mm = 255 - src[3 * x + 1];
                yy = 255 - src[3 * x + 2];
                kk = cc < mm ? cc : mm;
                kk = yy < kk ? yy : kk;
                if (kk == 255) {
                    cc = mm = yy = 0;
                } else {
                    cc = (cc - kk) * 255 / (255 - kk);
                    mm = (mm - kk) * 255 / (255 - kk);
                    yy = (yy - kk) * 255 / (255 - kk);
                }
                q[0] = (unsigned char) (255 - cc);
                q[1] = (unsigned char) (255 - mm);
                q[2] = (unsigned char) (255 - yy);
                q[3] = (unsigned char) (255 - kk);
            }
        } else {
            memcpy(row, src, (size_t) im->w * 3);
        }

        rp[0] = row;
        (void) jpeg_write_scanlines(&c, rp, 1);
    }

    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);

    out->p = mem;
    out->n = size;
    out->cap = size;

    return 0;
}


/*
 * Pads a JPEG to exactly `exact` bytes after SOI: COM segments (4 bytes and
 * more each), the last 1 to 3 bytes as 0xFF fill bytes before the next
 * marker (allowed by the standard, skipped silently by libjpeg).
 */
static inline int
sg_jpeg_pad(sg_buf_t *b, size_t exact)
{
    static const char  text[] = "certhall test scan padding. ";
    unsigned char      seg[4];
    size_t             k, len, i, at;

    if (b->n > exact || b->n < 4) {
        return -1;
    }

    k = exact - b->n;
    at = 2;

    while (k >= 4) {
        len = k > 65537 ? 65537 : k;          /* 2 marker + 65535 */
        seg[0] = 0xff;
        seg[1] = 0xfe;
        seg[2] = (unsigned char) ((len - 2) >> 8);
        seg[3] = (unsigned char) (len - 2);
        if (sg_buf_insert(b, at, seg, 4, 0) != 0
            || sg_buf_insert(b, at + 4, NULL, len - 4, ' ') != 0)
        {
            return -1;
        }
        for (i = 0; i < len - 4; i++) {
            b->p[at + 4 + i] = (unsigned char) text[i % (sizeof(text) - 1)];
        }
        at += len;
        k -= len;
    }

    if (k && sg_buf_insert(b, at, NULL, k, 0xff) != 0) {
        return -1;
    }

    return 0;
}


/*
 * A Samsung phone's trailer after EOI (the layout ExifTool reads): blocks
 * (0, type, name length, name, data), then the "SEFH" directory (version
 * 106, count, per block: 0, type, distance back from the directory, size),
 * its length and "SEFT".  Appended to out: the blocks named names[i] with
 * data[i] of len[i] bytes (a JPEG for a dual camera's second image).
 */
static inline int
sg_samsung_trailer(sg_buf_t *out, unsigned count, const char *const *names,
    const unsigned *types, const unsigned char *const *data,
    const size_t *len)
{
    unsigned char  h[12], *dir;
    size_t         start, at[16], sz[16], dirpos, dirlen, i;

    if (count > 16) {
        return -1;
    }

    start = out->n;
    for (i = 0; i < count; i++) {
        at[i] = out->n - start;
        sg_put16(h, 0);
        sg_put16(h + 2, types[i]);
        sg_put32(h + 4, (uint32_t) strlen(names[i]));
        if (sg_buf_add(out, h, 8) != 0
            || sg_buf_add(out, names[i], strlen(names[i])) != 0
            || sg_buf_add(out, data[i], len[i]) != 0)
        {
            return -1;
        }
        sz[i] = out->n - start - at[i];
    }

    dirpos = out->n - start;
    dirlen = 12 + 12 * (size_t) count;
    if (sg_buf_reserve(out, dirlen + 8) != 0) {
        return -1;
    }
    dir = out->p + out->n;
    memcpy(dir, "SEFH", 4);
    sg_put32(dir + 4, 106);
    sg_put32(dir + 8, count);
    for (i = 0; i < count; i++) {
        sg_put16(dir + 12 + 12 * i, 0);
        sg_put16(dir + 14 + 12 * i, types[i]);
        sg_put32(dir + 16 + 12 * i, (uint32_t) (dirpos - at[i]));
        sg_put32(dir + 20 + 12 * i, (uint32_t) sz[i]);
    }
    sg_put32(dir + dirlen, (uint32_t) dirlen);
    memcpy(dir + dirlen + 4, "SEFT", 4);
    out->n += dirlen + 8;

    return 0;
}


/* --- PNG ----------------------------------------------------------------- */

typedef struct {
    int  grey;              /* colour type 0 (8-bit) */
    int  palette;           /* colour type 3: sg_pal_color's (or grey) */
    int  palette_bits;      /* 1, 2, 4 or 8 (0): below 8, greys and, for
                               colour, red (the last) for coloured pixels */
    int  palette_colors;    /* entries written (0: all); fewer leave pixels
                               past the palette */
    int  alpha;             /* RGBA / grey+alpha, opaque */
    int  depth16;           /* 16 bits per channel */
    int  interlace;         /* Adam7 */
    int  level;             /* zlib level 0 .. 9; -1: libpng's default */
} sg_png_opt_t;


static inline void
sg_png_write(png_structp png, png_bytep data, size_t len)
{
    if (sg_buf_add(png_get_io_ptr(png), data, len) != 0) {
        png_error(png, "out of memory");
    }
}


static inline void
sg_png_flush(png_structp png)
{
    (void) png;
}


static inline void
sg_png_error(png_structp png, png_const_charp msg)
{
    (void) msg;
    png_longjmp(png, 1);
}


static inline void
sg_png_warning(png_structp png, png_const_charp msg)
{
    (void) png;
    (void) msg;
}




static inline void
sg_png_body(png_structp png, png_infop pi, const sg_image_t *im,
    const sg_png_opt_t *opt, unsigned char *row)
{
    png_color            pal[256];
    const unsigned char *src;
    unsigned             x, i, ch, bytes, v, bits, n, greys;
    int                  ctype, pass, passes;
    png_uint_32          y;

    bits = opt->palette && opt->palette_bits ? opt->palette_bits : 8;
    n = 1u << bits;
    greys = (opt->grey || bits == 1) ? n : n - 1;

    ch = opt->palette || opt->grey ? 1 : 3;
    if (opt->alpha && !opt->palette) {
        ch++;
    }
    bytes = opt->depth16 && !opt->palette ? 2 : 1;

    if (opt->level >= 0) {
        png_set_compression_level(png, opt->level);
    }

    if (opt->palette) {
        ctype = PNG_COLOR_TYPE_PALETTE;
    } else if (opt->grey) {
        ctype = opt->alpha ? PNG_COLOR_TYPE_GRAY_ALPHA : PNG_COLOR_TYPE_GRAY;
    } else {
        ctype = opt->alpha ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB;
    }

    png_set_IHDR(png, pi, im->w, im->h, opt->palette ? bits : bytes * 8,
                 ctype,
                 opt->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);

    if (opt->palette) {
        for (i = 0; i < 256; i++) {
            unsigned char  c[3];

            if (bits < 8) {
                if (i < greys) {
                    c[0] = c[1] = c[2] = (unsigned char) (i * 255
                                         / (greys > 1 ? greys - 1 : 1));
                } else {
                    c[0] = 220;
                    c[1] = c[2] = 30;
                }
            } else if (opt->grey) {
                c[0] = c[1] = c[2] = (unsigned char) i;
            } else {
                sg_pal_color(i, c);
            }
            pal[i].red = c[0];
            pal[i].green = c[1];
            pal[i].blue = c[2];
        }
        png_set_PLTE(png, pi, pal, opt->palette_colors ? opt->palette_colors
                                                       : (int) n);
        png_set_check_for_invalid_index(png, 0);
    }

    png_write_info(png, pi);

    if (bits < 8) {
        png_set_packing(png);
    }

    passes = png_set_interlace_handling(png);

    for (pass = 0; pass < passes; pass++) {
        for (y = 0; y < im->h; y++) {
            src = im->rgb + (size_t) y * im->w * 3;
            for (x = 0; x < im->w; x++) {
                for (i = 0; i < ch; i++) {
                    if (opt->palette && bits < 8) {
                        v = sg_luma(src + 3 * x) * (greys - 1) / 255;
                        if (greys < n) {
                            int  hi, lo;

                            hi = src[3 * x] > src[3 * x + 1] ? src[3 * x]
                                                             : src[3 * x + 1];
                            hi = src[3 * x + 2] > hi ? src[3 * x + 2] : hi;
                            lo = src[3 * x] < src[3 * x + 1] ? src[3 * x]
                                                             : src[3 * x + 1];
                            lo = src[3 * x + 2] < lo ? src[3 * x + 2] : lo;
                            if (hi - lo >= 32) {
                                v = n - 1;
                            }
                        }
                    } else if (opt->palette) {
                        v = opt->grey ? src[3 * x] : sg_pal_index(src + 3 * x);
                    } else if (i + 1 == ch && opt->alpha) {
                        v = 255;
                    } else {
                        v = src[3 * x + (opt->grey ? 0 : i)];
                    }
                    if (bytes == 2) {
                        row[(x * ch + i) * 2] = (unsigned char) v;
                        row[(x * ch + i) * 2 + 1] = (unsigned char) v;
                    } else {
                        row[x * ch + i] = (unsigned char) v;
                    }
                }
            }
            png_write_row(png, row);
        }
    }

    png_write_end(png, NULL);
}


/* encodes im as PNG into out (which it initialises) */
static inline int
sg_png(sg_buf_t *out, const sg_image_t *im, const sg_png_opt_t *opt)
{
    png_structp     png;
    png_infop       pi;
    unsigned char  *row;

    memset(out, 0, sizeof(*out));

    /* the widest row: 16-bit RGBA */
    row = malloc((size_t) im->w * 8 + 1);
    if (row == NULL) {
        return -1;
    }

    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, sg_png_error,
                                  sg_png_warning);
    pi = png ? png_create_info_struct(png) : NULL;
    if (pi == NULL) {
        png_destroy_write_struct(&png, NULL);
        free(row);
        return -1;
    }

    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &pi);
        free(row);
        sg_buf_free(out);
        return -1;
    }

    png_set_write_fn(png, out, sg_png_write, sg_png_flush);
    sg_png_body(png, pi, im, opt, row);

    png_destroy_write_struct(&png, &pi);
    free(row);

    return 0;
}


/* the CRC of the chunk whose length field is at off, set right */
static inline void
sg_png_fix_crc(unsigned char *p, size_t off)
{
    uint32_t  len, crc;

    len = ((uint32_t) p[off] << 24) | ((uint32_t) p[off + 1] << 16)
          | ((uint32_t) p[off + 2] << 8) | p[off + 3];
    crc = (uint32_t) crc32(0L, p + off + 4, len + 4);
    sg_put32be(p + off + 8 + len, crc);
}


/* pads a PNG to exactly `exact` bytes with "prVt" chunks before IEND */
static inline int
sg_png_pad(sg_buf_t *b, size_t exact)
{
    unsigned char  head[8];
    size_t         k, len, at;

    if (b->n > exact || b->n < 12) {
        return -1;
    }

    k = exact - b->n;
    if (k > 0 && k < 12) {
        return -1;                            /* a chunk takes 12 at least */
    }

    at = b->n - 12;                           /* IEND */

    while (k) {
        len = k - 12 > 0x7fff0000u ? 0x7fff0000u : k - 12;
        if (k - (len + 12) > 0 && k - (len + 12) < 12) {
            len -= 12;
        }
        sg_put32be(head, (uint32_t) len);
        memcpy(head + 4, "prVt", 4);
        if (sg_buf_insert(b, at, head, 8, 0) != 0
            || sg_buf_insert(b, at + 8, NULL, len + 4, 0) != 0)
        {
            return -1;
        }
        sg_png_fix_crc(b->p, at);
        at += len + 12;
        k -= len + 12;
    }

    return 0;
}


/* --- BMP ----------------------------------------------------------------- */

typedef struct {
    unsigned  bpp;          /* 1, 4, 8 (palette), 16, 24 (0: 24), 32 */
    int       grey;         /* palette: a grey ramp (8, 4) or black and
                               white (1); else 8 bits: sg_pal_color's */
    int       bitfields;    /* 16: 5-6-5 BI_BITFIELDS, else 5-5-5 BI_RGB;
                               32: BI_BITFIELDS, else BI_RGB */
    unsigned  header;       /* 12, 40, 108, 124 (0: 40) */
    int       top_down;     /* a negative height, rows from the top */
    size_t    gap;          /* zero bytes between headers and pixels */
    uint32_t  compression;  /* non-zero: written into the field only */
    int       rle;          /* 8 or 4 bits: compressed RLE8 / RLE4 (as
                               ImageMagick writes 8-bit palette BMPs) */
} sg_bmp_opt_t;


/* the index of pixel x of an uncompressed 4- or 8-bit row */
static inline unsigned
sg_bmp_index(const unsigned char *row, size_t x, unsigned bpp)
{
    return bpp == 8 ? row[x] : (row[x >> 1] >> ((x & 1) ? 0 : 4)) & 0x0f;
}


/*
 * Rewrites the uncompressed 4- or 8-bit pixel array at off as RLE8 / RLE4:
 * runs of two pixels or more as encoded runs, the rest as absolute runs
 * (padded to a word) or runs of one, an end of line after each row and an
 * end of bitmap; fixes bfSize, biCompression and biSizeImage.
 */
static inline int
sg_bmp_rle(sg_buf_t *out, size_t off, unsigned w, unsigned h, unsigned bpp)
{
    sg_buf_t        r;
    unsigned char  *rows, e[2], lit[256];
    size_t          stride, y, x, k, j, nb;
    unsigned        idx;

    memset(&r, 0, sizeof(r));
    stride = ((size_t) w * bpp + 31) / 32 * 4;
    rows = out->p + off;

    for (y = 0; y < h; y++) {
        const unsigned char  *row = rows + y * stride;

        for (x = 0; x < w; x += k) {
            idx = sg_bmp_index(row, x, bpp);
            for (k = 1; x + k < w && k < 255
                        && sg_bmp_index(row, x + k, bpp) == idx; k++) { }

            if (k >= 2) {
                e[0] = (unsigned char) k;
                e[1] = (unsigned char) (bpp == 8 ? idx : idx << 4 | idx);
                if (sg_buf_add(&r, e, 2) != 0) {
                    goto fail;
                }
                continue;
            }

            /* pixels up to the next pair of equal ones */
            for (k = 1; x + k < w && k < 255
                        && !(x + k + 1 < w
                             && sg_bmp_index(row, x + k, bpp)
                                == sg_bmp_index(row, x + k + 1, bpp)); k++)
            { }

            if (k < 3) {
                k = 1;
                e[0] = 1;
                e[1] = (unsigned char) (bpp == 8 ? idx : idx << 4);
                if (sg_buf_add(&r, e, 2) != 0) {
                    goto fail;
                }
                continue;
            }

            memset(lit, 0, sizeof(lit));
            for (j = 0; j < k; j++) {
                idx = sg_bmp_index(row, x + j, bpp);
                if (bpp == 8) {
                    lit[j] = (unsigned char) idx;
                } else {
                    lit[j >> 1] |= (unsigned char) ((j & 1) ? idx : idx << 4);
                }
            }
            nb = bpp == 8 ? k : (k + 1) / 2;
            e[0] = 0;
            e[1] = (unsigned char) k;
            if (sg_buf_add(&r, e, 2) != 0
                || sg_buf_add(&r, lit, nb + (nb & 1)) != 0)
            {
                goto fail;
            }
        }

        e[0] = 0;
        e[1] = 0;                                  /* end of line */
        if (sg_buf_add(&r, e, 2) != 0) {
            goto fail;
        }
    }

    e[0] = 0;
    e[1] = 1;                                      /* end of bitmap */
    if (sg_buf_add(&r, e, 2) != 0) {
        goto fail;
    }

    out->n = off;
    if (sg_buf_add(out, r.p, r.n) != 0) {
        goto fail;
    }
    sg_put32(out->p + 2, (uint32_t) out->n);
    sg_put32(out->p + 30, bpp == 8 ? 1 : 2);
    sg_put32(out->p + 34, (uint32_t) r.n);
    free(r.p);

    return 0;

fail:
    free(r.p);
    return -1;
}


static inline int
sg_bmp(sg_buf_t *out, const sg_image_t *im, const sg_bmp_opt_t *opt)
{
    unsigned char        h[14 + 124 + 16], *row, *q;
    const unsigned char *src;
    unsigned             bpp, hsize, ncolors, entry, i, x, v, idx;
    size_t               stride, masks, off, total, y, sy;

    memset(out, 0, sizeof(*out));

    bpp = opt->bpp ? opt->bpp : 24;
    hsize = opt->header ? opt->header : 40;
    ncolors = bpp <= 8 ? 1u << bpp : 0;
    entry = hsize == 12 ? 3 : 4;
    masks = (hsize == 40 && opt->bitfields) ? 12 : 0;
    stride = ((size_t) im->w * bpp + 31) / 32 * 4;
    off = 14 + hsize + masks + (size_t) ncolors * entry + opt->gap;
    total = off + stride * im->h;

    memset(h, 0, sizeof(h));
    h[0] = 'B';
    h[1] = 'M';
    sg_put32(h + 2, (uint32_t) total);
    sg_put32(h + 10, (uint32_t) off);
    sg_put32(h + 14, hsize);

    if (hsize == 12) {
        sg_put16(h + 18, im->w);
        sg_put16(h + 20, im->h);
        sg_put16(h + 22, 1);
        sg_put16(h + 24, bpp);

    } else {
        sg_put32(h + 18, im->w);
        sg_put32(h + 22, opt->top_down ? (uint32_t) -(int32_t) im->h : im->h);
        sg_put16(h + 26, 1);
        sg_put16(h + 28, bpp);
        sg_put32(h + 30, opt->compression ? opt->compression
                         : opt->bitfields ? 3 : 0);
        sg_put32(h + 34, (uint32_t) (stride * im->h));
        sg_put32(h + 38, 11811);               /* 300 dpi */
        sg_put32(h + 42, 11811);
        sg_put32(h + 46, 0);                   /* 2^bpp colours */

        if (opt->bitfields || hsize > 40) {
            /* after a 40-byte header (+ 12), or inside a V4 / V5 one */
            q = h + 54;
            if (bpp == 16) {
                sg_put32(q, opt->bitfields ? 0xf800 : 0x7c00);
                sg_put32(q + 4, opt->bitfields ? 0x07e0 : 0x03e0);
                sg_put32(q + 8, 0x001f);
            } else {
                sg_put32(q, 0x00ff0000);
                sg_put32(q + 4, 0x0000ff00);
                sg_put32(q + 8, 0x000000ff);
            }
        }

        if (hsize >= 108) {
            sg_put32(h + 14 + 56, 0x73524742);     /* 'sRGB' */
        }
        if (hsize == 124) {
            sg_put32(h + 14 + 108, 4);             /* LCS_GM_IMAGES */
        }
    }

    if (sg_buf_reserve(out, total) != 0) {
        return -1;
    }

    (void) sg_buf_add(out, h, 14 + hsize + masks);

    for (i = 0; i < ncolors; i++) {
        unsigned char  e[4];

        if (opt->grey || bpp < 8) {
            v = bpp == 1 ? i * 255 : bpp == 4 ? i * 17 : i;
            e[0] = e[1] = e[2] = (unsigned char) v;
        } else {
            unsigned char  c[3];

            sg_pal_color(i, c);
            e[0] = c[2];
            e[1] = c[1];
            e[2] = c[0];
        }
        e[3] = 0;
        (void) sg_buf_add(out, e, entry);
    }

    memset(out->p + out->n, 0, opt->gap);
    out->n += opt->gap;

    for (y = 0; y < im->h; y++) {
        sy = opt->top_down ? y : im->h - 1 - y;
        src = im->rgb + sy * im->w * 3;
        row = out->p + out->n;
        memset(row, 0, stride);

        for (x = 0; x < im->w; x++) {
            const unsigned char  *s = src + 3 * x;

            switch (bpp) {
            case 1:
                if (sg_luma(s) >= 128) {
                    row[x >> 3] |= (unsigned char) (0x80 >> (x & 7));
                }
                break;
            case 4:
                idx = sg_luma(s) >> 4;
                row[x >> 1] |= (unsigned char) ((x & 1) ? idx : idx << 4);
                break;
            case 8:
                row[x] = (unsigned char) (opt->grey ? sg_luma(s) : sg_pal_index(s));
                break;
            case 16:
                if (opt->bitfields) {
                    v = ((s[0] >> 3) << 11) | ((s[1] >> 2) << 5) | (s[2] >> 3);
                } else {
                    v = ((s[0] >> 3) << 10) | ((s[1] >> 3) << 5) | (s[2] >> 3);
                }
                sg_put16(row + 2 * x, v);
                break;
            case 32:
                row[4 * x] = s[2];
                row[4 * x + 1] = s[1];
                row[4 * x + 2] = s[0];
                row[4 * x + 3] = 0xff;
                break;
            default:
                row[3 * x] = s[2];
                row[3 * x + 1] = s[1];
                row[3 * x + 2] = s[0];
            }
        }

        out->n += stride;
    }

    if (opt->rle && (bpp == 8 || bpp == 4) && hsize != 12) {
        return sg_bmp_rle(out, off, im->w, im->h, bpp);
    }

    return 0;
}


/* the size of the BMP sg_bmp would write (without opt->gap) */
static inline size_t
sg_bmp_size(unsigned w, unsigned h, const sg_bmp_opt_t *opt)
{
    unsigned  bpp, hsize;

    bpp = opt->bpp ? opt->bpp : 24;
    hsize = opt->header ? opt->header : 40;

    return 14 + hsize + ((hsize == 40 && opt->bitfields) ? 12 : 0)
           + (bpp <= 8 ? (size_t) (1u << bpp) * (hsize == 12 ? 3 : 4) : 0)
           + ((size_t) w * bpp + 31) / 32 * 4 * h;
}

#endif /* CERTHALL_SCANGEN_H */
