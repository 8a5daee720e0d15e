/*
 * Stream data decoded (see ch_pdf.c, rule 3 and the bounds): Flate with
 * PNG or TIFF predictors, within the budget of inflated bytes; and for
 * the images (ch_pdf_image.c) the filters before the last one undone in
 * memory: ASCIIHex, ASCII85, RunLength and Flate, each at most
 * IMG_MAX_STAGE bytes out (a filter's output beyond that is cut, and then
 * the image's rows are short: damaged).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ch_pdf_int.h"


/* --- decoding streams -------------------------------------------------------- */

static ch_check_e
pdf_inflate(pdf_t *pdf, const unsigned char *in, size_t len,
    unsigned char **out, size_t *olen)
{
    unsigned char  *buf, *nb;
    size_t          cap, limit, total;
    z_stream        z;
    int             zr;

    /* all streams together: at most PDF_INFLATE_BASE + PDF_INFLATE_RATIO
       times the file, and PDF_MAX_INFLATE_TOTAL */
    total = PDF_MAX_INFLATE_TOTAL;
    if (pdf->n < (PDF_MAX_INFLATE_TOTAL - PDF_INFLATE_BASE) / PDF_INFLATE_RATIO) {
        total = PDF_INFLATE_BASE + pdf->n * PDF_INFLATE_RATIO;
    }

    limit = PDF_MAX_INFLATE;
    if (total - pdf->inflated < limit) {
        limit = total - pdf->inflated;
    }

    if (len > (uInt) -1) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "%s is too long",
                        pdf->where);
    }

    cap = len < limit / 4 ? len * 4 + 1024 : limit;
    if (cap > limit) {
        cap = limit;
    }

    buf = malloc(cap ? cap : 1);
    if (buf == NULL) {
        return pdf_nomem(pdf);
    }

    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK) {
        free(buf);
        return pdf_nomem(pdf);
    }

    z.next_in = (Bytef *) in;
    z.avail_in = (uInt) len;

    for ( ;; ) {
        z.next_out = buf + z.total_out;
        z.avail_out = (uInt) (cap - z.total_out);

        zr = inflate(&z, Z_NO_FLUSH);

        if (zr == Z_STREAM_END) {
            break;
        }

        if ((zr == Z_OK || zr == Z_BUF_ERROR) && z.avail_out == 0) {
            if (cap >= limit) {
                inflateEnd(&z);
                free(buf);
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "%s inflates beyond %zu bytes", pdf->where,
                                limit);
            }
            cap = cap > limit / 2 ? limit : cap * 2;
            nb = realloc(buf, cap);
            if (nb == NULL) {
                inflateEnd(&z);
                free(buf);
                return pdf_nomem(pdf);
            }
            buf = nb;
            continue;
        }

        if (zr == Z_OK) {
            continue;
        }

        inflateEnd(&z);
        free(buf);
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "%s: %s", pdf->where,
                        zr == Z_BUF_ERROR ? "truncated Flate data"
                                          : "corrupt Flate data");
    }

    *out = buf;
    *olen = z.total_out;
    pdf->inflated += z.total_out;
    inflateEnd(&z);

    return CH_CHECK_OK;
}


static int
pdf_paeth(int a, int b, int c)
{
    int  p = a + b - c, pa, pb, pc;

    pa = p > a ? p - a : a - p;
    pb = p > b ? p - b : b - p;
    pc = p > c ? p - c : c - p;

    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}


/* one PNG-predicted row of n bytes undone in place; prev is the row above
   (NULL above the first); -1 for an unknown filter type */
int
pdf_png_row(int ft, unsigned char *row, const unsigned char *prev,
    size_t n, size_t bpp)
{
    size_t  i;
    int     a, b, c;

    if (ft < 0 || ft > 4) {
        return -1;
    }

    for (i = 0; ft != 0 && i < n; i++) {
        a = i >= bpp ? row[i - bpp] : 0;
        b = prev ? prev[i] : 0;
        c = prev && i >= bpp ? prev[i - bpp] : 0;

        switch (ft) {
        case 1:
            row[i] = (unsigned char) (row[i] + a);
            break;
        case 2:
            row[i] = (unsigned char) (row[i] + b);
            break;
        case 3:
            row[i] = (unsigned char) (row[i] + ((a + b) >> 1));
            break;
        default:
            row[i] = (unsigned char) (row[i] + pdf_paeth(a, b, c));
            break;
        }
    }

    return 0;
}


/* undoes a /DecodeParms /Predictor on buf (replaced by the result) */
static ch_check_e
pdf_unpredict(pdf_t *pdf, const pdf_pred_t *pr, unsigned char **buf,
    size_t *len)
{
    unsigned char  *in = *buf, *out, *row, *prev;
    size_t          rowbytes, bpp, rows, r, k;
    int             ft;

    if (pr->predictor == 1 || pr->predictor == 0) {
        return CH_CHECK_OK;
    }

    if (pr->predictor < 0 || pr->colors < 1 || pr->colors > 32
        || (pr->bpc != 1 && pr->bpc != 2 && pr->bpc != 4 && pr->bpc != 8
            && pr->bpc != 16)
        || pr->columns < 1 || (pr->predictor != 2 && pr->predictor < 10)
        || pr->predictor > 15 || (pr->predictor == 2 && pr->bpc != 8))
    {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "%s: unsupported /DecodeParms", pdf->where);
    }

    rowbytes = ((size_t) pr->colors * (size_t) pr->bpc * (size_t) pr->columns
                + 7) / 8;
    bpp = ((size_t) pr->colors * (size_t) pr->bpc + 7) / 8;

    if (pr->predictor == 2) {
        for (r = 0; r + rowbytes <= *len; r += rowbytes) {
            for (k = bpp; k < rowbytes; k++) {
                in[r + k] = (unsigned char) (in[r + k] + in[r + k - bpp]);
            }
        }
        return CH_CHECK_OK;
    }

    rows = *len / (rowbytes + 1);
    out = malloc(rows * rowbytes + 1);
    if (out == NULL) {
        return pdf_nomem(pdf);
    }

    for (r = 0; r < rows; r++) {
        ft = in[r * (rowbytes + 1)];
        row = out + r * rowbytes;
        prev = r ? row - rowbytes : NULL;
        memcpy(row, in + r * (rowbytes + 1) + 1, rowbytes);

        if (pdf_png_row(ft, row, prev, rowbytes, bpp) != 0) {
            free(out);
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "%s: bad PNG predictor %d", pdf->where, ft);
        }
    }

    free(in);
    *buf = out;
    *len = rows * rowbytes;

    return CH_CHECK_OK;
}


/* the data of an object or xref stream: *owned when it was allocated */
ch_check_e
pdf_decode(pdf_t *pdf, size_t data, size_t len, int filter,
    const pdf_pred_t *pr, unsigned char **out, size_t *olen, int *owned)
{
    ch_check_e  rc;

    *owned = 0;

    if (filter == FILT_NONE) {
        /* a predictor without a filter means nothing */
        *out = (unsigned char *) pdf->p + data;
        *olen = len;
        return CH_CHECK_OK;
    }

    if (filter != FILT_FLATE) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "%s: a filter other than /FlateDecode", pdf->where);
    }

    rc = pdf_inflate(pdf, pdf->p + data, len, out, olen);
    if (rc != CH_CHECK_OK) {
        return rc;
    }
    *owned = 1;

    rc = pdf_unpredict(pdf, pr, out, olen);
    if (rc != CH_CHECK_OK) {
        free(*out);
        *owned = 0;
    }

    return rc;
}


/* --- image filters ---------------------------------------------------------- */

/* the bytes RunLength data writes, at most max */
static size_t
pdf_runlength_size(const unsigned char *in, size_t len, size_t max)
{
    size_t  i = 0, n = 0;

    while (i < len && n < max && in[i] != 128) {
        if (in[i] < 128) {
            n += (size_t) in[i] + 1;
            i += (size_t) in[i] + 2;
        } else {
            n += 257 - (size_t) in[i];
            i += 2;
        }
    }

    return n < max ? n : max;
}


/* one filter (IF_AHX, IF_A85, IF_RL, IF_FLATE) undone into memory */
ch_check_e
pdf_unfilter(pdf_t *pdf, int f, const unsigned char *in, size_t len,
    size_t max, unsigned char **out, size_t *olen)
{
    unsigned char  *o, *nb;
    size_t          n = 0, i, cap, k;
    uint32_t        v;
    z_stream        z;
    int             c, d, hi = -1, cnt, zr;

    /* what the filter writes at most (ASCII85: "z" is four bytes) */
    cap = f == IF_AHX ? len / 2 + 1
          : f == IF_A85 && len < max / 4 ? len * 4 + 4
          : f == IF_RL ? pdf_runlength_size(in, len, max)
          : len < max / 4 ? len * 4 + 1024 : max;
    if (cap > max) {
        cap = max;
    }
    o = malloc(cap ? cap : 1);
    if (o == NULL) {
        return pdf_nomem(pdf);
    }

    switch (f) {

    case IF_AHX:
        for (i = 0; i < len && n < cap; i++) {
            c = in[i];
            if (c == '>') {
                break;
            }
            d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) {
                if (pdf_ws(c)) {
                    continue;
                }
                goto damaged;
            }
            if (hi < 0) {
                hi = d;
            } else {
                o[n++] = (unsigned char) (hi << 4 | d);
                hi = -1;
            }
        }
        if (hi >= 0 && n < cap) {
            o[n++] = (unsigned char) (hi << 4);
        }
        break;

    case IF_A85:
        v = 0;
        cnt = 0;
        for (i = 0; i < len; i++) {
            c = in[i];
            if (pdf_ws(c)) {
                continue;
            }
            if (c == '~') {
                break;
            }
            if (c == 'z' && cnt == 0) {
                if (n + 4 > cap) {
                    break;
                }
                memset(o + n, 0, 4);
                n += 4;
                continue;
            }
            if (c < '!' || c > 'u') {
                goto damaged;
            }
            v = v * 85 + (uint32_t) (c - '!');
            if (++cnt == 5) {
                if (n + 4 > cap) {
                    break;
                }
                o[n++] = (unsigned char) (v >> 24);
                o[n++] = (unsigned char) (v >> 16);
                o[n++] = (unsigned char) (v >> 8);
                o[n++] = (unsigned char) v;
                v = 0;
                cnt = 0;
            }
        }
        if (cnt == 1) {
            goto damaged;
        }
        if (cnt > 1) {
            for (k = (size_t) cnt; k < 5; k++) {
                v = v * 85 + 84;
            }
            for (k = 0; k + 1 < (size_t) cnt && n < cap; k++) {
                o[n++] = (unsigned char) (v >> (24 - 8 * k));
            }
        }
        break;

    case IF_RL:
        for (i = 0; i < len && n < cap; ) {
            c = in[i++];
            if (c == 128) {
                break;
            }
            if (c < 128) {
                k = (size_t) c + 1;
                if (i + k > len) {
                    goto damaged;
                }
                if (k > cap - n) {
                    k = cap - n;
                }
                memcpy(o + n, in + i, k);
                n += k;
                i += (size_t) c + 1;
            } else {
                if (i >= len) {
                    goto damaged;
                }
                k = 257 - (size_t) c;
                if (k > cap - n) {
                    k = cap - n;
                }
                memset(o + n, in[i++], k);
                n += k;
            }
        }
        break;

    default:                        /* IF_FLATE before another filter */
        memset(&z, 0, sizeof(z));
        if (len > (uInt) -1 || inflateInit(&z) != Z_OK) {
            goto damaged;
        }
        z.next_in = (Bytef *) in;
        z.avail_in = (uInt) len;
        for ( ;; ) {
            z.next_out = o + z.total_out;
            z.avail_out = (uInt) (cap - z.total_out);
            zr = inflate(&z, Z_NO_FLUSH);
            if (zr == Z_STREAM_END || (zr == Z_OK && cap == max
                                       && z.avail_out == 0))
            {
                break;              /* whole, or all that may be kept */
            }
            if (zr != Z_OK && !(zr == Z_BUF_ERROR && z.avail_out == 0)) {
                inflateEnd(&z);
                goto damaged;
            }
            if (z.avail_out == 0) {
                cap = cap > max / 2 ? max : cap * 2;
                nb = realloc(o, cap);
                if (nb == NULL) {
                    inflateEnd(&z);
                    free(o);
                    return pdf_nomem(pdf);
                }
                o = nb;
            }
        }
        n = z.total_out;
        inflateEnd(&z);
        break;
    }

    *out = o;
    *olen = n;
    return CH_CHECK_OK;

damaged:

    free(o);
    return pdf_fail(pdf, CH_CHECK_DAMAGED, "%s: corrupt filter data",
                    pdf->where);
}



/* filters fl[0 .. nf - 1] undone on the stream data: *out owned (NULL when
   nf is 0: then it is the file's bytes, at *olen) */
ch_check_e
pdf_prefilters(pdf_t *pdf, const int *fl, int nf, size_t data, size_t len,
    unsigned char **out, size_t *olen)
{
    return pdf_prefilters_at(pdf, fl, nf, pdf->p + data, len, out, olen);
}


ch_check_e
pdf_prefilters_at(pdf_t *pdf, const int *fl, int nf, const unsigned char *d,
    size_t len, unsigned char **out, size_t *olen)
{
    unsigned char  *buf = NULL, *nb = NULL;
    size_t          blen = len;
    ch_check_e      rc;
    int             i;

    for (i = 0; i < nf; i++) {
        rc = pdf_unfilter(pdf, fl[i], buf ? buf : d, blen,
                          IMG_MAX_STAGE, &nb, &blen);
        free(buf);
        if (rc != CH_CHECK_OK) {
            return rc;
        }
        buf = nb;
    }

    *out = buf;
    *olen = blen;
    return CH_CHECK_OK;
}
