/*
 * The pixels of a PDF's images that are no plain JPEG (ch_pdf.c, rule 4):
 * decoded here and counted with the colour test of image uploads, so that
 * a grey scan stored as RGB (Flate from a PNG, a palette, tiff2pdf,
 * reportlab, an OCR tool's re-encoding) is grey, as the same pixels are
 * in a PNG upload.
 *
 * Decoded: the filters /FlateDecode (with or without a PNG or TIFF
 * predictor), /ASCIIHexDecode, /ASCII85Decode and /RunLengthDecode, alone
 * or chained (at most IMG_MAX_FILTERS), or none; 1, 2, 4, 8 and 16 bits
 * per component; the colour spaces /DeviceGray /DeviceRGB /DeviceCMYK
 * (and their inline abbreviations), /CalGray /CalRGB, /ICCBased by its /N
 * (1, 3, 4), and /Indexed over any of those with its lookup table as a
 * string (each palette entry judged once, the pixels through it, as in a
 * PNG or BMP).  CMYK becomes RGB as in the JPEG check, each component
 * read as ink unless /Decode inverts it; for grey and RGB a /Decode
 * inversion keeps a grey pixel grey and a coloured one coloured, so it is
 * not applied.  The dictionary is read by ch_pdf_space.c.
 *
 * The last filter inflates row by row (never the whole image in memory:
 * a 600 dpi RGB page is 100 MB); the filters before it, and a last filter
 * other than Flate, decode into memory, at most IMG_MAX_STAGE bytes.
 * Image data that ends before the last row, or corrupt Flate data, is
 * CH_CHECK_DAMAGED: a viewer shows such a page blank or cut.  Bytes after
 * the last row are ignored (writers pad).
 *
 * /JPXDecode (JPEG 2000), alone or last in a chain, goes to ch_pdf_jpx.c
 * with what the dictionary says of its colour (its /ColorSpace read here,
 * /SMaskInData).
 *
 * Not decoded, *decoded = 0 (ch_pdf.c then counts the image by its colour
 * space, as before): /LZWDecode, a chain holding /DCTDecode or /JPXDecode
 * before its end, /Lab, /Separation, /DeviceN (also as a JPX image's
 * space), an /Indexed palette in a stream, anything unresolvable.
 * /CCITTFaxDecode and /JBIG2Decode are one bit per pixel by definition
 * (black and white): counted as grey pixels without decoding.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ch_filecheck_int.h"
#include "ch_pdf_int.h"
#include "ch_pdf_image_int.h"


#define IMG_MAX_FILTERS   4


/* --- the pixels --------------------------------------------------------------- */

/* the i-th sample of a row, as 0..255 (an index: as it is) */
static unsigned
img_sample(const img_t *im, const unsigned char *row, size_t i, int raw)
{
    size_t    bit;
    unsigned  v, max;

    switch (im->bpc) {
    case 8:
        return row[i];
    case 16:
        return row[i * 2];
    default:
        bit = i * im->bpc;
        v = (row[bit / 8] >> (8 - im->bpc - bit % 8)) & ((1u << im->bpc) - 1);
        if (raw) {
            return v;
        }
        max = (1u << im->bpc) - 1;
        return v * 255 / max;
    }
}


/* component c of the CMYK pixel at sample i, as ink (its /Decode applied) */
static unsigned
img_ink(const img_t *im, const unsigned char *row, size_t i, unsigned c)
{
    unsigned  v = img_sample(im, row, i + c, 0);

    return im->ink & (1u << c) ? v : 255 - v;
}


static void
img_count_row(img_t *im, const unsigned char *row)
{
    size_t    x, colored = 0;
    unsigned  r, g, b, k, i;

    switch (im->space) {
    case IS_RGB:
        for (x = 0; x < im->w; x++) {
            colored += ch_colored(img_sample(im, row, x * 3, 0),
                                  img_sample(im, row, x * 3 + 1, 0),
                                  img_sample(im, row, x * 3 + 2, 0));
        }
        break;
    case IS_CMYK:
        for (x = 0; x < im->w; x++) {
            k = img_ink(im, row, x * 4, 3);
            r = (255 - img_ink(im, row, x * 4, 0)) * (255 - k) / 255;
            g = (255 - img_ink(im, row, x * 4, 1)) * (255 - k) / 255;
            b = (255 - img_ink(im, row, x * 4, 2)) * (255 - k) / 255;
            colored += ch_colored(r, g, b);
        }
        break;
    case IS_INDEXED:
        for (x = 0; x < im->w; x++) {
            i = img_sample(im, row, x, 1);
            colored += im->pal[i > im->hival ? im->hival : i];
        }
        break;
    default:
        break;
    }

    im->cc->pixels += im->w;
    im->cc->colored += colored;
}


/* decoded bytes, after the predictor: cut into rows and counted */
static void
img_rows(img_t *im, const unsigned char *p, size_t n)
{
    size_t  k;

    while (n > 0 && im->rows < im->h) {
        k = im->rowbytes - im->rfill;
        if (k > n) {
            k = n;
        }
        memcpy(im->row + im->rfill, p, k);
        im->rfill += k;
        p += k;
        n -= k;
        if (im->rfill == im->rowbytes) {
            img_count_row(im, im->row);
            im->rfill = 0;
            im->rows++;
        }
    }
}


/* one predictor row complete in pcur (PNG: its tag first) */
static ch_check_e
img_unpredict_row(img_t *im)
{
    unsigned char  *row, *prev = im->pprev;
    size_t          bpp, i;
    int             ft;

    bpp = ((size_t) im->pred.colors * (size_t) im->pred.bpc + 7) / 8;

    if (im->pred.predictor == 2) {
        row = im->pcur;
        for (i = bpp; i < im->prow; i++) {
            row[i] = (unsigned char) (row[i] + row[i - bpp]);
        }
        img_rows(im, row, im->prow);
        return CH_CHECK_OK;
    }

    ft = im->pcur[0];
    row = im->pcur + 1;

    if (pdf_png_row(ft, row, prev, im->prow, bpp) != 0) {
        return pdf_fail(im->pdf, CH_CHECK_DAMAGED,
                        "%s: bad PNG predictor %d", im->pdf->where, ft);
    }

    img_rows(im, row, im->prow);

    /* this row is the next one's prior row */
    memcpy(prev, row, im->prow);

    return CH_CHECK_OK;
}


/* decoded bytes of the last filter */
static ch_check_e
img_feed(img_t *im, const unsigned char *p, size_t n)
{
    size_t      want, k;
    ch_check_e  rc;

    if (im->pred.predictor < 2) {
        img_rows(im, p, n);
        return CH_CHECK_OK;
    }

    want = im->prow + (im->pred.predictor >= 10);

    while (n > 0 && im->rows < im->h) {
        k = want - im->pfill;
        if (k > n) {
            k = n;
        }
        memcpy(im->pcur + im->pfill, p, k);
        im->pfill += k;
        p += k;
        n -= k;
        if (im->pfill == want) {
            im->pfill = 0;
            rc = img_unpredict_row(im);
            if (rc != CH_CHECK_OK) {
                return rc;
            }
        }
    }

    return CH_CHECK_OK;
}


/* --- the filters ------------------------------------------------------------- */

/* Flate, streamed into img_feed: at most a 64 KiB buffer at a time */
static ch_check_e
img_inflate_feed(img_t *im, const unsigned char *in, size_t len)
{
    unsigned char  buf[65536];
    z_stream       z;
    ch_check_e     rc;
    int            zr;

    if (len > (uInt) -1) {
        return pdf_fail(im->pdf, CH_CHECK_DAMAGED, "%s is too long",
                        im->pdf->where);
    }

    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK) {
        return pdf_nomem(im->pdf);
    }
    z.next_in = (Bytef *) in;
    z.avail_in = (uInt) len;

    do {
        z.next_out = buf;
        z.avail_out = sizeof(buf);
        zr = inflate(&z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END) {
            inflateEnd(&z);
            return pdf_fail(im->pdf, CH_CHECK_DAMAGED, "%s: %s",
                            im->pdf->where,
                            zr == Z_BUF_ERROR ? "truncated Flate data"
                                              : "corrupt Flate data");
        }
        rc = img_feed(im, buf, sizeof(buf) - z.avail_out);
        if (rc != CH_CHECK_OK) {
            inflateEnd(&z);
            return rc;
        }
        /* the last row reached: the rest (an adler32 at most) unread */
    } while (zr != Z_STREAM_END && im->rows < im->h);

    inflateEnd(&z);

    return CH_CHECK_OK;
}


/* --- one image ----------------------------------------------------------------- */

/* a JPEG 2000 image, its bytes data under filters fl[0 .. nf - 2], by
   pdf_jpx_count */
static ch_check_e
img_jpx(pdf_t *pdf, const pdf_image_t *pi, const pdf_dict_src_t *src,
    const unsigned char *data, const img_val_t *cs, const int *fl, int nf,
    int smask_in_data, ch_color_count_t *cc, int *got)
{
    pdf_jpx_cs_t    jc;
    img_t           im;
    unsigned char  *buf = NULL;
    size_t          blen;
    ch_check_e      rc;

    memset(&im, 0, sizeof(im));
    im.pdf = pdf;
    im.src = src;
    memset(&jc, 0, sizeof(jc));
    jc.smask_in_data = smask_in_data;

    if (cs->n > 0) {
        switch (img_space(&im, cs, 0, 0)) {
        case IS_GRAY: jc.comps = 1; break;
        case IS_RGB: jc.comps = 3; break;
        case IS_CMYK: jc.comps = 4; break;
        case IS_INDEXED:
            jc.indexed = 1;
            jc.hival = im.hival;
            jc.pal = im.pal;
            break;
        default:
            return CH_CHECK_OK;     /* Lab, Separation..: by its space */
        }
    }

    rc = pdf_prefilters_at(pdf, fl, nf - 1, data, pi->len, &buf, &blen);
    if (rc == CH_CHECK_OK) {
        rc = pdf_jpx_count(pdf, (unsigned) pdf->objs[pi->obj].num,
                           buf ? buf : data, buf ? blen : pi->len,
                           pi->width, pi->height, &jc, cc);
        *got = rc == CH_CHECK_OK ? PDF_IMG_COUNTED : PDF_IMG_UNDECODED;
    }
    free(buf);

    return rc;
}



ch_check_e
pdf_image_count(pdf_t *pdf, const pdf_image_t *pi, ch_color_count_t *cc,
    ch_file_info_t *ji, int *got)
{
    return pdf_image_read(pdf, pi, NULL, cc, ji, got);
}


/* the key an image dictionary's name is, full or abbreviated: IK_* */
enum { IK_OTHER, IK_FILTER, IK_PARMS, IK_SPACE, IK_BPC, IK_DECODE };

static int
img_key(const unsigned char *b, const tok_t *t)
{
    switch (t->name) {
    case N_Filter: case N_F: return IK_FILTER;
    case N_DecodeParms: case N_DP: return IK_PARMS;
    case N_ColorSpace: case N_CS: return IK_SPACE;
    case N_BitsPerComponent: case N_BPC: return IK_BPC;
    default:
        return img_name_is(b, t, "Decode") || img_name_is(b, t, "D")
               ? IK_DECODE : IK_OTHER;
    }
}


ch_check_e
pdf_image_read(pdf_t *pdf, const pdf_image_t *pi, const pdf_dict_src_t *src,
    ch_color_count_t *cc, ch_file_info_t *ji, int *got)
{
    img_val_t      *vals;
    img_val_t      *filt, *parms, *cs, *skip, *dec;
    const unsigned char  *data = pdf_image_bytes(pdf, pi);
    unsigned        num = (unsigned) pdf->objs[pi->obj].num;
    img_t           im;
    lex_t           lx;
    tok_t           t;
    int64_t         bpc = 8;
    int             fl[IMG_MAX_FILTERS], nf = 0, i, parm_of_last = -1;
    int             smask_in_data = 0;
    size_t          a, pa;
    unsigned char  *buf = NULL;
    size_t          blen;
    ch_check_e      rc = CH_CHECK_OK;

    *got = PDF_IMG_UNDECODED;

    vals = calloc(5, sizeof(img_val_t));
    if (vals == NULL) {
        return pdf_nomem(pdf);
    }
    filt = &vals[0];
    parms = &vals[1];
    cs = &vals[2];
    skip = &vals[3];
    dec = &vals[4];

    /*
     * the image's dictionary, read again (an XObject's from the file, an
     * inline image's from its content, up to "ID"): its filters,
     * parameters, colour space, /Decode; full keys or abbreviated
     */
    if (src == NULL) {
        lex_init(&lx, pdf->p, pdf->n, pdf->objs[pi->obj].pos);
        tok_next(&lx, &t);
        tok_next(&lx, &t);
    } else {
        lex_init(&lx, src->p, src->n, src->pos);
        t.type = T_NAME;
    }
    while (t.type == T_DICT_OPEN || t.type == T_NAME) {
        tok_next(&lx, &t);
        if (t.type != T_NAME) {
            break;
        }
        switch (img_key(lx.p, &t)) {
        case IK_FILTER: img_value(&lx, filt); break;
        case IK_PARMS: img_value(&lx, parms); break;
        case IK_SPACE: img_value(&lx, cs); break;
        case IK_DECODE: img_value(&lx, dec); break;
        case IK_BPC:
            tok_next(&lx, &t);
            if (t.type == T_INT) {
                bpc = t.v;
            }
            break;
        default:
            if (img_name_is(lx.p, &t, "SMaskInData")) {
                img_value(&lx, skip);
                smask_in_data = skip->n == 1 && skip->t[0].type == T_INT
                                && skip->t[0].v != 0;
                break;
            }
            img_value(&lx, skip);
        }
        t.type = T_NAME;
    }

    /* the filters, and the DecodeParms of the last */
    if (filt->n == 1 && filt->t[0].type == T_NAME) {
        fl[nf++] = img_filter(filt->p, &filt->t[0]);
        parm_of_last = 0;
    } else if (filt->n > 1 && filt->whole && filt->t[0].type == T_ARR_OPEN) {
        for (a = 1; a + 1 < filt->n; a++) {
            if (filt->t[a].type != T_NAME || nf == IMG_MAX_FILTERS) {
                goto undecoded;
            }
            fl[nf++] = img_filter(filt->p, &filt->t[a]);
        }
        parm_of_last = nf - 1;
    } else if (filt->n > 0) {
        goto undecoded;
    }

    for (i = 0; i < nf; i++) {
        if (fl[i] == IF_BILEVEL) {
            /* one bit a pixel, black and white: grey, not decoded */
            cc->pixels += (uint64_t) pi->width * (uint64_t) pi->height;
            *got = PDF_IMG_COUNTED;
            goto done;
        }
        if (fl[i] == IF_OTHER
            || ((fl[i] == IF_DCT || fl[i] == IF_JPX) && i != nf - 1))
        {
            goto undecoded;
        }
    }

    if (nf > 0 && fl[nf - 1] == IF_JPX) {
        rc = img_jpx(pdf, pi, src, data, cs, fl, nf, smask_in_data, cc, got);
        goto done;
    }

    /* the parameters of the last filter: a dictionary, or the array's */
    pa = 0;
    if (parms->n > 0 && parms->t[0].type == T_ARR_OPEN) {
        pa = 1;
        for (i = 0; i < parm_of_last && pa < parms->n; i++) {
            pa = img_skip(parms, pa);
        }
    }

    if (nf > 0 && fl[nf - 1] == IF_DCT) {
        /* a JPEG, maybe under other filters: those undone, then a JPEG */
        rc = pdf_prefilters_at(pdf, fl, nf - 1, data, pi->len, &buf, &blen);
        if (rc == CH_CHECK_OK) {
            rc = pdf_jpeg(pdf, num, buf ? buf : data, buf ? blen : pi->len,
                          img_decode(dec) | img_transform(parms, pa), ji);
            *got = PDF_IMG_JPEG;
        }
        free(buf);
        goto done;
    }

    memset(&im, 0, sizeof(im));
    im.pdf = pdf;
    im.src = src;
    im.ink = 0xf & ~img_decode(dec);
    im.w = (unsigned) pi->width;
    im.h = (unsigned) pi->height;
    im.cc = cc;

    if (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16) {
        goto undecoded;
    }
    im.bpc = (unsigned) bpc;

    im.space = cs->n ? img_space(&im, cs, 0, 0) : IS_UNKNOWN;
    if (im.space == IS_UNKNOWN) {
        goto undecoded;
    }
    im.comps = im.space == IS_RGB ? 3 : im.space == IS_CMYK ? 4 : 1;
    if (im.space == IS_INDEXED && im.bpc == 16) {
        goto undecoded;
    }

    im.rowbytes = ((size_t) im.w * im.comps * im.bpc + 7) / 8;

    if (nf > 0 && fl[nf - 1] == IF_FLATE) {
        img_pred(&im, parms, pa);
    } else {
        memset(&im.pred, 0, sizeof(im.pred));
    }

    if (im.pred.predictor >= 2) {
        if ((im.pred.predictor != 2 && im.pred.predictor < 10)
            || im.pred.predictor > 15 || im.pred.colors < 1
            || im.pred.colors > 32 || im.pred.columns < 1
            || (im.pred.bpc != 1 && im.pred.bpc != 2 && im.pred.bpc != 4
                && im.pred.bpc != 8 && im.pred.bpc != 16)
            || (im.pred.predictor == 2 && im.pred.bpc != 8))
        {
            rc = pdf_fail(pdf, CH_CHECK_UNSUPPORTED,
                          "image %u: unsupported /DecodeParms", num);
            goto done;
        }
        im.prow = ((size_t) im.pred.colors * (size_t) im.pred.bpc
                   * (size_t) im.pred.columns + 7) / 8;
        im.pcur = malloc(im.prow + 1);
        im.pprev = calloc(1, im.prow + 1);
        if (im.pcur == NULL || im.pprev == NULL) {
            rc = pdf_nomem(pdf);
            goto free_im;
        }
    }

    im.row = malloc(im.rowbytes);
    if (im.row == NULL) {
        rc = pdf_nomem(pdf);
        goto free_im;
    }

    snprintf(pdf->where, sizeof(pdf->where),
             src ? "an inline image of object %u" : "image %u", num);

    /* the filters before the last (or all but a last Flate) in memory */
    rc = pdf_prefilters_at(pdf, fl,
                           nf > 0 && fl[nf - 1] == IF_FLATE ? nf - 1 : nf,
                           data, pi->len, &buf, &blen);
    if (rc != CH_CHECK_OK) {
        goto free_im;
    }

    if (nf > 0 && fl[nf - 1] == IF_FLATE) {
        rc = img_inflate_feed(&im, buf ? buf : data, blen);
    } else {
        rc = img_feed(&im, buf ? buf : data, blen);
    }

    if (rc == CH_CHECK_OK && im.rows < im.h) {
        rc = pdf_fail(pdf, CH_CHECK_DAMAGED,
                      "%s: its data ends after row %u of %u",
                      pdf->where, im.rows, im.h);
    }
    *got = rc == CH_CHECK_OK ? PDF_IMG_COUNTED : PDF_IMG_UNDECODED;

free_im:

    free(buf);
    free(im.row);
    free(im.pcur);
    free(im.pprev);
    goto done;

undecoded:

    *got = PDF_IMG_UNDECODED;

done:

    free(vals);
    return rc;
}
