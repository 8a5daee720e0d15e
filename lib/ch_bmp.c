/*
 * The BMP checker (see ch_filecheck.h for its rules): parsed directly, in
 * the order the file is laid out: the headers, the pixel format, the bit
 * field masks, the palette, where the pixel array lies (whole, and
 * nothing after it), then the colour of every pixel.  Each step refuses
 * the file with its own reason, and the first refusal wins.
 *
 * Thread-safe: no state outside the call.
 */

#include <stdint.h>
#include <string.h>

#include "ch_filecheck.h"
#include "ch_filecheck_int.h"


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



/* what the headers say, filled step by step by the functions below */
typedef struct {
    const unsigned char  *p;
    size_t                n;
    uint32_t              off;        /* bfOffBits: the pixel array */
    uint32_t              hsize;      /* the info header's size */
    uint32_t              comp;
    uint32_t              clr_used;
    uint32_t              masks[3];   /* R, G, B */
    int64_t               w;
    int64_t               hs;         /* negative: top-down */
    int64_t               ah;         /* |hs| */
    unsigned              planes;
    unsigned              bpp;
    int                   core;       /* BITMAPCOREHEADER */
    uint64_t              extra;      /* mask bytes after a 40-byte header */
    uint64_t              ncolors;    /* palette entries */
    uint64_t              stride;     /* bytes per row, padded to 4 */
    ch_bmp_chan_t         ch[3];
    unsigned char         pal_colored[256];
} ch_bmp_t;


/* the file header and the info header's fields */
static ch_check_e
ch_bmp_headers(ch_bmp_t *b, ch_file_info_t *info)
{
    const unsigned char  *p;
    size_t                n;

    p = b->p;
    n = b->n;

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

    b->off = ch_rd32(p + 10);
    b->hsize = ch_rd32(p + 14);

    if (b->hsize < 12 || b->hsize > n - 14) {
        ch_detail(info, "bmp: %u-byte header in a file of %zu bytes",
                  (unsigned) b->hsize, n);
        return CH_CHECK_DAMAGED;
    }

    b->masks[0] = b->masks[1] = b->masks[2] = 0;
    b->clr_used = 0;

    switch (b->hsize) {

    case 12:                                  /* BITMAPCOREHEADER */
        b->core = 1;
        b->w = ch_rd16(p + 18);
        b->hs = ch_rd16(p + 20);
        b->planes = ch_rd16(p + 22);
        b->bpp = ch_rd16(p + 24);
        b->comp = CH_BI_RGB;
        break;

    case 40:                                  /* BITMAPINFOHEADER */
    case 52:                                  /* V2: + RGB masks */
    case 56:                                  /* V3: + alpha mask */
    case 108:                                 /* V4 */
    case 124:                                 /* V5 */
        b->core = 0;
        b->w = ch_rd32s(p + 18);
        b->hs = ch_rd32s(p + 22);
        b->planes = ch_rd16(p + 26);
        b->bpp = ch_rd16(p + 28);
        b->comp = ch_rd32(p + 30);
        b->clr_used = ch_rd32(p + 46);
        if (b->hsize >= 52) {
            b->masks[0] = ch_rd32(p + 54);
            b->masks[1] = ch_rd32(p + 58);
            b->masks[2] = ch_rd32(p + 62);
        }
        break;

    case 16:                                  /* OS/2 2.x, shortened */
    case 64:                                  /* OS/2 2.x BITMAPINFOHEADER2 */
        /* the first 40 bytes are BITMAPINFOHEADER's, those not written 0 */
        b->core = 0;
        b->w = ch_rd32s(p + 18);
        b->hs = ch_rd32s(p + 22);
        b->planes = ch_rd16(p + 26);
        b->bpp = ch_rd16(p + 28);
        b->comp = b->hsize == 64 ? ch_rd32(p + 30) : CH_BI_RGB;
        b->clr_used = b->hsize == 64 ? ch_rd32(p + 46) : 0;

        /* OS/2's 3 and 4 are Huffman 1D and RLE24, not bit fields */
        if (b->comp > CH_BI_RLE4) {
            ch_detail(info, "bmp: OS/2 %s compression (%u) not supported",
                      b->comp == 3 ? "Huffman 1D" : b->comp == 4 ? "RLE24"
                                                                 : "unknown",
                      (unsigned) b->comp);
            return CH_CHECK_UNSUPPORTED;
        }

        if (b->bpp == 16 || b->bpp == 32) {
            ch_detail(info, "bmp: %u bits per pixel in an OS/2 header",
                      b->bpp);
            return CH_CHECK_DAMAGED;
        }
        break;

    default:
        ch_detail(info, "bmp: %u-byte header not supported",
                  (unsigned) b->hsize);
        return CH_CHECK_UNSUPPORTED;
    }

    if (b->planes != 1) {
        ch_detail(info, "bmp: %u planes", b->planes);
        return CH_CHECK_DAMAGED;
    }

    if (b->w <= 0 || b->hs == 0) {
        ch_detail(info, "bmp: %lldx%lld pixels", (long long) b->w,
                  (long long) b->hs);
        return CH_CHECK_DAMAGED;
    }

    b->ah = b->hs < 0 ? -b->hs : b->hs;

    return CH_CHECK_OK;
}


/* the compression and bits per pixel we decode, and the size limits */
static ch_check_e
ch_bmp_format(ch_bmp_t *b, ch_file_info_t *info)
{
    if (b->comp == CH_BI_RLE8 || b->comp == CH_BI_RLE4) {
        if (b->bpp != (b->comp == CH_BI_RLE8 ? 8 : 4) || b->core) {
            ch_detail(info, "bmp: %s with %u bits per pixel",
                      ch_bmp_compression(b->comp), b->bpp);
            return CH_CHECK_DAMAGED;
        }

        if (b->hs < 0) {           /* the format has no top-down form */
            ch_detail(info, "bmp: %s top-down",
                      ch_bmp_compression(b->comp));
            return CH_CHECK_DAMAGED;
        }

    } else if (b->comp != CH_BI_RGB && b->comp != CH_BI_BITFIELDS
               && b->comp != CH_BI_ALPHABITFIELDS)
    {
        ch_detail(info, "bmp: %s compression (%u) not supported",
                  ch_bmp_compression(b->comp), (unsigned) b->comp);
        return CH_CHECK_UNSUPPORTED;
    }

    switch (b->bpp) {
    case 1:
    case 4:
    case 8:
    case 24:
        if (b->comp != CH_BI_RGB && b->comp != CH_BI_RLE8
            && b->comp != CH_BI_RLE4)
        {
            ch_detail(info, "bmp: bit fields with %u bits per pixel",
                      b->bpp);
            return CH_CHECK_DAMAGED;
        }
        break;
    case 16:
    case 32:
        if (b->core) {
            ch_detail(info, "bmp: %u bits per pixel in a core header",
                      b->bpp);
            return CH_CHECK_DAMAGED;
        }
        break;
    case 2:
    case 64:
        ch_detail(info, "bmp: %u bits per pixel not supported", b->bpp);
        return CH_CHECK_UNSUPPORTED;
    default:
        ch_detail(info, "bmp: %u bits per pixel", b->bpp);
        return CH_CHECK_DAMAGED;
    }

    /* the limits before anything that depends on the size */
    info->width = (unsigned) b->w;              /* both at most 2^31 */
    info->height = (unsigned) b->ah;

    if (ch_too_many_pixels((unsigned long long) b->w,
                           (unsigned long long) b->ah))
    {
        ch_detail(info, "bmp: %lldx%lld pixels, more than the limits",
                  (long long) b->w, (long long) b->ah);
        return CH_CHECK_TOO_MANY_PIXELS;
    }

    return CH_CHECK_OK;
}


/* the masks: implied, after a 40-byte header, or inside a larger one */
static ch_check_e
ch_bmp_masks(ch_bmp_t *b, ch_file_info_t *info)
{
    uint32_t  *masks;

    masks = b->masks;
    b->extra = 0;

    if (b->comp == CH_BI_RGB && b->bpp == 16) {
        masks[0] = 0x7c00;
        masks[1] = 0x03e0;
        masks[2] = 0x001f;

    } else if (b->comp == CH_BI_RGB && b->bpp == 32) {
        masks[0] = 0x00ff0000;
        masks[1] = 0x0000ff00;
        masks[2] = 0x000000ff;

    } else if ((b->comp == CH_BI_BITFIELDS
                || b->comp == CH_BI_ALPHABITFIELDS) && b->hsize == 40)
    {
        b->extra = (b->comp == CH_BI_ALPHABITFIELDS) ? 16 : 12;
        if (14 + 40 + b->extra > b->n) {
            ch_detail(info, "bmp: bit field masks past the end of the file");
            return CH_CHECK_DAMAGED;
        }
        masks[0] = ch_rd32(b->p + 54);
        masks[1] = ch_rd32(b->p + 58);
        masks[2] = ch_rd32(b->p + 62);
    }

    if (b->bpp >= 16 && b->bpp != 24) {
        if (ch_bmp_chan(&b->ch[0], masks[0]) != 0
            || ch_bmp_chan(&b->ch[1], masks[1]) != 0
            || ch_bmp_chan(&b->ch[2], masks[2]) != 0
            || (masks[0] & masks[1]) || (masks[0] & masks[2])
            || (masks[1] & masks[2])
            || (b->bpp == 16 && ((masks[0] | masks[1] | masks[2]) >> 16)))
        {
            ch_detail(info, "bmp: bad bit field masks %08x %08x %08x",
                      (unsigned) masks[0], (unsigned) masks[1],
                      (unsigned) masks[2]);
            return CH_CHECK_DAMAGED;
        }
    }

    return CH_CHECK_OK;
}


/*
 * The palette, right after the header (and masks), before the pixel
 * array; which of its colours are coloured
 */
static ch_check_e
ch_bmp_palette(ch_bmp_t *b, ch_file_info_t *info)
{
    const unsigned char  *q;
    uint64_t              entry, header_end;
    unsigned              i;

    b->ncolors = 0;
    entry = b->core ? 3 : 4;

    if (b->bpp <= 8) {
        b->ncolors = b->clr_used ? b->clr_used : (1u << b->bpp);
        if (b->ncolors > (1u << b->bpp)) {
            ch_detail(info, "bmp: %u palette colours for %u bits per pixel",
                      (unsigned) b->clr_used, b->bpp);
            return CH_CHECK_DAMAGED;
        }
    }

    header_end = 14 + (uint64_t) b->hsize + b->extra + b->ncolors * entry;

    if (header_end > b->n) {
        ch_detail(info, "bmp: palette past the end of the file");
        return CH_CHECK_DAMAGED;
    }

    if (b->off < header_end) {
        ch_detail(info, "bmp: pixel array at %u inside the headers (%llu)",
                  (unsigned) b->off, (unsigned long long) header_end);
        return CH_CHECK_DAMAGED;
    }

    for (i = 0; i < b->ncolors; i++) {
        q = b->p + 14 + b->hsize + i * entry;  /* B, G, R (, 0) */
        b->pal_colored[i] = (unsigned char) ch_colored(q[2], q[1], q[0]);
    }

    return CH_CHECK_OK;
}


/*
 * Nothing after the pixel data, which ends at end, but
 * CH_FILE_TRAILING_SLACK bytes or a V5 header's embedded colour profile
 */
static ch_check_e
ch_bmp_trailer(const ch_bmp_t *b, uint64_t end, ch_file_info_t *info)
{
    const unsigned char  *p;
    size_t                n;
    uint32_t              cstype;
    uint64_t              data_end, pstart, pend;

    p = b->p;
    n = b->n;
    data_end = end;

    if (b->hsize == 124) {
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

    return CH_CHECK_OK;
}


/* the uncompressed pixel array whole inside the file (rows padded to 4) */
static ch_check_e
ch_bmp_extent(ch_bmp_t *b, ch_file_info_t *info)
{
    uint64_t  end;

    b->stride = ((uint64_t) b->w * b->bpp + 31) / 32 * 4;
    end = (uint64_t) b->off + b->stride * (uint64_t) b->ah;

    if (end > b->n) {
        ch_detail(info, "bmp: pixel array ends at %llu, past the end of "
                  "the file (%zu)", (unsigned long long) end, b->n);
        return CH_CHECK_DAMAGED;
    }

    return ch_bmp_trailer(b, end, info);
}


/* count pixels x .. x + k - 1 of an RLE row: a run or absolute bytes */
static ch_check_e
ch_bmp_rle_pixels(const ch_bmp_t *b, const unsigned char *q, unsigned k,
    int run, ch_color_count_t *cc, ch_file_info_t *info)
{
    unsigned  i, idx;

    for (i = 0; i < k; i++) {
        if (b->bpp == 8) {
            idx = run ? q[0] : q[i];
        } else {
            idx = run ? q[0] : q[i >> 1];          /* high nibble first */
            idx = (i & 1) ? (idx & 0x0f) : (idx >> 4);
        }

        if (idx >= b->ncolors) {
            ch_detail(info, "bmp: colour index %u past the %u-colour "
                      "palette", idx, (unsigned) b->ncolors);
            return CH_CHECK_DAMAGED;
        }

        cc->colored += b->pal_colored[idx];
    }

    return CH_CHECK_OK;
}


/*
 * An RLE8 or RLE4 pixel array decoded from bfOffBits to its end-of-bitmap
 * escape (whose end is *end), counting the colour of every pixel it
 * writes.  Each code writes forward only (runs, absolute runs, end of
 * line, delta), so a pixel is written at most once; the pixels it skips
 * (delta, an early end of line or of bitmap) are palette entry 0, as
 * decoders show them.  A code past the row's end or below the last row,
 * or a stream that ends before its end-of-bitmap, is damaged.  Linear in
 * the stream's length: each code is two bytes or more.
 */
static ch_check_e
ch_bmp_rle(ch_bmp_t *b, ch_color_count_t *cc, uint64_t *end,
    ch_file_info_t *info)
{
    const unsigned char  *p;
    ch_check_e            rc;
    uint64_t              i, n, x, y, w, h, written, bytes;
    unsigned              k, c;

    p = b->p;
    n = b->n;
    i = b->off;
    w = (uint64_t) b->w;
    h = (uint64_t) b->ah;
    x = 0;
    y = 0;
    written = 0;

    for ( ;; ) {
        if (i + 2 > n) {
            ch_detail(info, "bmp: RLE data ends at %llu without an end of "
                      "bitmap", (unsigned long long) n);
            return CH_CHECK_DAMAGED;
        }

        k = p[i];
        c = p[i + 1];
        i += 2;

        if (k == 0 && c == 0) {                       /* end of line */
            x = 0;
            y++;
            if (y > h) {
                ch_detail(info, "bmp: RLE end of line below row %llu",
                          (unsigned long long) h);
                return CH_CHECK_DAMAGED;
            }
            continue;
        }

        if (k == 0 && c == 1) {                       /* end of bitmap */
            break;
        }

        if (k == 0 && c == 2) {                       /* delta */
            if (i + 2 > n) {
                ch_detail(info, "bmp: RLE delta cut at the end of the file");
                return CH_CHECK_DAMAGED;
            }
            x += p[i];
            y += p[i + 1];
            i += 2;
            if (x > w || y > h || (y == h && x > 0)) {
                ch_detail(info, "bmp: RLE delta to %llu,%llu outside the "
                          "%llux%llu image", (unsigned long long) x,
                          (unsigned long long) y, (unsigned long long) w,
                          (unsigned long long) h);
                return CH_CHECK_DAMAGED;
            }
            continue;
        }

        /* k pixels: a run of colour c, or c absolute pixels (k == 0) */
        bytes = 0;
        if (k == 0) {
            k = c;
            bytes = (b->bpp == 8) ? k : (k + 1) / 2;
            if (i + bytes > n) {
                ch_detail(info, "bmp: RLE absolute run of %u cut at the end "
                          "of the file", k);
                return CH_CHECK_DAMAGED;
            }
        }

        if (y >= h || x + k > w) {
            ch_detail(info, "bmp: RLE pixels at %llu,%llu past the %llux%llu "
                      "image", (unsigned long long) x, (unsigned long long) y,
                      (unsigned long long) w, (unsigned long long) h);
            return CH_CHECK_DAMAGED;
        }

        rc = ch_bmp_rle_pixels(b, bytes ? p + i : p + i - 1, k, bytes == 0,
                               cc, info);
        if (rc != CH_CHECK_OK) {
            return rc;
        }

        x += k;
        written += k;
        i += bytes + (bytes & 1);         /* absolute runs pad to a word */
    }

    /* the pixels no code wrote */
    cc->colored += (w * h - written) * b->pal_colored[0];
    cc->pixels += w * h;
    *end = i;

    return CH_CHECK_OK;
}


/* the coloured pixels of one row into cc; a pixel past the palette is bad */
static ch_check_e
ch_bmp_row(const ch_bmp_t *b, const unsigned char *row, ch_color_count_t *cc,
    ch_file_info_t *info)
{
    const uint32_t  *masks;
    uint32_t         px;
    unsigned         idx;
    int64_t          x;

    masks = b->masks;

    switch (b->bpp) {

    case 1:
    case 4:
    case 8:
        for (x = 0; x < b->w; x++) {
            if (b->bpp == 8) {
                idx = row[x];
            } else if (b->bpp == 4) {
                idx = (row[x >> 1] >> ((x & 1) ? 0 : 4)) & 0x0f;
            } else {
                idx = (row[x >> 3] >> (7 - (x & 7))) & 1;
            }

            if (idx >= b->ncolors) {
                ch_detail(info, "bmp: colour index %u past the "
                          "%u-colour palette", idx, (unsigned) b->ncolors);
                return CH_CHECK_DAMAGED;
            }

            cc->colored += b->pal_colored[idx];
        }
        break;

    case 24:
        cc->colored += ch_colored_px(row, (size_t) b->w, 3);
        break;

    case 16:
        for (x = 0; x < b->w; x++) {
            px = ch_rd16(row + 2 * x);
            cc->colored += ch_colored(ch_bmp_value(&b->ch[0], px),
                                      ch_bmp_value(&b->ch[1], px),
                                      ch_bmp_value(&b->ch[2], px));
        }
        break;

    default:                                                /* 32 */
        if (masks[0] == 0x00ff0000 && masks[1] == 0x0000ff00
            && masks[2] == 0x000000ff)
        {
            cc->colored += ch_colored_px(row, (size_t) b->w, 4);
            break;
        }

        for (x = 0; x < b->w; x++) {
            px = ch_rd32(row + 4 * x);
            cc->colored += ch_colored(ch_bmp_value(&b->ch[0], px),
                                      ch_bmp_value(&b->ch[1], px),
                                      ch_bmp_value(&b->ch[2], px));
        }
    }

    cc->pixels += (uint64_t) b->w;

    return CH_CHECK_OK;
}


ch_check_e
ch_bmp_check(const unsigned char *p, size_t n, ch_file_info_t *info)
{
    ch_bmp_t          b;
    ch_color_count_t  cc;
    ch_check_e        rc;
    uint64_t          end;
    int64_t           y;

    ch_info_init(info, CH_FILE_BMP);
    cc.pixels = 0;
    cc.colored = 0;
    memset(&b, 0, sizeof(b));
    b.p = p;
    b.n = n;

    rc = ch_bmp_headers(&b, info);

    if (rc == CH_CHECK_OK) {
        rc = ch_bmp_format(&b, info);
    }

    if (rc == CH_CHECK_OK) {
        rc = ch_bmp_masks(&b, info);
    }

    if (rc == CH_CHECK_OK) {
        rc = ch_bmp_palette(&b, info);
    }

    if (rc == CH_CHECK_OK
        && (b.comp == CH_BI_RLE8 || b.comp == CH_BI_RLE4))
    {
        rc = ch_bmp_rle(&b, &cc, &end, info);
        if (rc == CH_CHECK_OK) {
            rc = ch_bmp_trailer(&b, end, info);
        }

    } else if (rc == CH_CHECK_OK) {
        rc = ch_bmp_extent(&b, info);

        /* the colour of every pixel (the rows' order does not matter) */
        for (y = 0; rc == CH_CHECK_OK && y < b.ah; y++) {
            rc = ch_bmp_row(&b, p + b.off + (uint64_t) y * b.stride, &cc,
                            info);
        }
    }

    if (rc != CH_CHECK_OK) {
        return rc;
    }

    ch_color_verdict(&cc, info);

    return CH_CHECK_OK;
}
