/*
 * Inline images (see ch_pdf.c, rule 4): "BI <key value ..> ID <data> EI"
 * inside a page's content stream or a form XObject, as reportlab's
 * drawInlineImage and some scan tools write a page.  Each becomes an entry
 * of pdf->imgs whose bytes are a copy (pdf_image_t.own): a JPEG is judged
 * by pdf_jpeg like an image XObject's, an 8-bit grey, RGB or CMYK one is
 * counted here when found (pdf_image_count reads its dictionaries from the
 * file, where an inline image's is not), others by their colour space.
 *
 * Content is not document structure: a content stream that cannot be
 * decoded, or whose tokens stop making sense, is not refused here (a
 * viewer draws what it can); only its inline images before that point are
 * found.  Missing one can only refuse a scan (no image), never accept a
 * bad file: the structure rules have run before.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_pdf_int.h"


/* the keys of an inline image dictionary, full or abbreviated: S_* or -1 */
static int
pdf_inline_slot(int name)
{
    switch (name) {
    case N_W:
    case N_Width:
        return S_WIDTH;
    case N_H:
    case N_Height:
        return S_HEIGHT;
    case N_CS:
    case N_ColorSpace:
        return S_COLORSPACE;
    case N_F:
    case N_Filter:
        return S_FILTER;
    case N_DP:
    case N_DecodeParms:
        return S_DECODEPARMS;
    case N_IM:
    case N_ImageMask:
        return S_IMAGEMASK;
    case N_L:
    case N_Length:
        return S_LENGTH;
    case N_BPC:
    case N_BitsPerComponent:
        return S_BPC;
    default:
        return -1;
    }
}


static int
pdf_is_kw(const unsigned char *b, const tok_t *t, const char *kw)
{
    return t->type == T_KW && t->end - t->start == 2
           && memcmp(b + t->start, kw, 2) == 0;
}


/*
 * Where the data of an inline image ends: at /L (PDF 2.0) when "EI"
 * follows it, else before the first "EI" between white space; a JPEG's
 * must end in its EOI (FF D9), so that "EI" inside its entropy-coded data
 * is not taken for the end.  Returns the offset of "EI", or len.
 */
static size_t
pdf_inline_end(const unsigned char *b, size_t len, size_t data,
    int64_t dlen, int dct)
{
    size_t  i, q;

    if (dlen >= 0 && (uint64_t) dlen <= len - data) {
        q = data + (size_t) dlen;
        while (q < len && pdf_ws(b[q])) {
            q++;
        }
        if (len - q >= 2 && b[q] == 'E' && b[q + 1] == 'I'
            && (len - q == 2 || pdf_ws(b[q + 2]) || pdf_delim(b[q + 2])))
        {
            return q;
        }
    }

    for (i = data; i + 2 <= len; i++) {
        if (b[i] != 'E' || b[i + 1] != 'I' || i == data || !pdf_ws(b[i - 1])
            || (i + 2 < len && !pdf_ws(b[i + 2]) && !pdf_delim(b[i + 2])))
        {
            continue;
        }
        if (dct) {
            q = i - 1;
            while (q > data && pdf_ws(b[q - 1])) {
                q--;
            }
            if (q - data < 2 || b[q - 2] != 0xff || b[q - 1] != 0xd9) {
                continue;
            }
        }
        return i;
    }

    return len;
}


/*
 * The filters of the stream whose dictionary is in pdf->slots, as IF_*
 * into fl (at most IMG_MAX_CONTENT_FILTERS): their number, or -1 when one
 * is not undone here (or has parameters: content streams have none)
 */
#define IMG_MAX_CONTENT_FILTERS  4

static int
pdf_content_filters(pdf_t *pdf, int *fl)
{
    const ctok_t  *c;
    size_t         len, i;
    int            nf = 0;

    if (!pdf->slots[S_FILTER].present) {
        return 0;
    }
    c = slot_get(pdf, S_FILTER, &len);
    if (c == NULL || pdf->slots[S_DECODEPARMS].present) {
        return -1;
    }
    if (len > 1) {                      /* [ names ] */
        c++;
        len -= 2;
    }

    for (i = 0; i < len; i++) {
        if (c[i].type != T_NAME || nf == IMG_MAX_CONTENT_FILTERS) {
            return -1;
        }
        switch (c[i].name) {
        case N_FlateDecode:
        case N_Fl:
            fl[nf++] = IF_FLATE;
            break;
        case N_ASCII85Decode:
        case N_A85:
            fl[nf++] = IF_A85;
            break;
        case N_ASCIIHexDecode:
        case N_AHx:
            fl[nf++] = IF_AHX;
            break;
        case N_RunLengthDecode:
        case N_RL:
            fl[nf++] = IF_RL;
            break;
        default:
            return -1;
        }
    }

    return nf;
}


/*
 * The pixels of an inline image that is not a JPEG, counted as an image
 * upload's are: 8 bits a component, /G /RGB /CMYK (or their long names),
 * its filters those of pdf_content_filters.  Anything else is left to its
 * colour space (im->counted stays 0); broken data is damaged.
 */
static ch_check_e
pdf_inline_count(pdf_t *pdf, pdf_image_t *im)
{
    unsigned char  *buf = NULL, *nb, rgb[3 * 256];
    const unsigned char  *px;
    size_t          blen = im->len, need, i, n, j;
    uint64_t        pixels;
    int64_t         bpc;
    int             fl[IMG_MAX_CONTENT_FILTERS], nf, comps, f;
    ch_check_e      rc;

    switch (slot_name(pdf, S_COLORSPACE)) {
    case N_G: case N_DeviceGray: comps = 1; break;
    case N_RGB: case N_DeviceRGB: comps = 3; break;
    case N_CMYK: case N_DeviceCMYK: comps = 4; break;
    default: return CH_CHECK_OK;
    }
    nf = pdf_content_filters(pdf, fl);
    if (nf < 0 || slot_int(pdf, S_BPC, &bpc) != 1 || bpc != 8
        || im->width > CH_IMAGE_MAX_SIDE || im->height > CH_IMAGE_MAX_SIDE)
    {
        return CH_CHECK_OK;
    }
    pixels = (uint64_t) im->width * (uint64_t) im->height;
    if (pixels > CH_IMAGE_MAX_PIXELS) {
        return CH_CHECK_OK;
    }
    need = (size_t) pixels * (size_t) comps;

    for (f = 0; f < nf; f++) {
        rc = pdf_unfilter(pdf, fl[f], buf ? buf : im->own, blen,
                          IMG_MAX_STAGE, &nb, &blen);
        free(buf);
        if (rc != CH_CHECK_OK) {
            return rc == CH_CHECK_NO_MEMORY ? rc
                   : pdf_fail(pdf, CH_CHECK_DAMAGED,
                              "an inline image of %s: its data is broken",
                              pdf->where);
        }
        buf = nb;
    }
    px = buf ? buf : im->own;
    if (blen < need) {
        free(buf);
        return pdf_fail(pdf, CH_CHECK_DAMAGED,
                        "an inline image of %s: its data ends early",
                        pdf->where);
    }

    if (comps == 1) {
        im->cc.pixels = pixels;         /* grey: no pixel is coloured */
    } else if (comps == 3) {
        ch_color_count_rgb(&im->cc, px, (size_t) pixels);
    } else {
        for (i = 0; i < pixels; i += n) {
            n = pixels - i < 256 ? (size_t) (pixels - i) : 256;
            for (j = 0; j < n; j++) {
                const unsigned char  *c = px + (i + j) * 4;

                rgb[3 * j] = (unsigned char) ((255 - c[0]) * (255 - c[3]) / 255);
                rgb[3 * j + 1] = (unsigned char) ((255 - c[1]) * (255 - c[3]) / 255);
                rgb[3 * j + 2] = (unsigned char) ((255 - c[2]) * (255 - c[3]) / 255);
            }
            ch_color_count_rgb(&im->cc, rgb, n);
        }
    }
    im->counted = 1;
    free(buf);

    return CH_CHECK_OK;
}


/*
 * An inline image's dictionary is structure like any other: an active
 * name there is refused as anywhere
 */
static ch_check_e
pdf_inline_active(pdf_t *pdf, const tok_t *t, uint32_t obj)
{
    return pdf_fail(pdf, CH_CHECK_PDF_ACTIVE,
                    "/%s in an inline image of object %u",
                    pdf_names[t->name].s, (unsigned) pdf->objs[obj].num);
}


/* one inline image, lx just past "BI"; on success lx is past its "EI" */
static ch_check_e
pdf_inline_one(pdf_t *pdf, lex_t *lx, uint32_t obj, int *stop)
{
    const unsigned char  *b = lx->p;
    const ctok_t         *c;
    pdf_image_t          *im;
    size_t                data, end, dlen, clen;
    int64_t               l;
    int                   depth, slot;
    ch_check_e            rc;
    tok_t                 t;

    memset(pdf->slots, 0, sizeof(pdf->slots));
    pdf->ncap = 0;
    *stop = 1;

    /* key value pairs up to "ID"; values may be arrays or dictionaries */
    for ( ;; ) {
        lex_get(lx, &t);
        if (pdf_is_kw(b, &t, "ID")) {
            break;
        }
        if (t.type != T_NAME) {
            return CH_CHECK_OK;
        }
        if (pdf_names[t.name].active) {
            return pdf_inline_active(pdf, &t, obj);
        }
        slot = pdf_inline_slot(t.name);
        if (slot >= 0 && pdf->slots[slot].present) {
            return CH_CHECK_OK;         /* twice: readers differ */
        }
        if (slot >= 0) {
            pdf->slots[slot].present = 1;
            pdf->slots[slot].begin = (uint32_t) pdf->ncap;
        }
        depth = 0;
        do {
            tok_next(lx, &t);
            if (t.type == T_ERROR || t.type == T_EOF || t.type == T_OBJ) {
                return CH_CHECK_OK;
            }
            if (t.type == T_NAME && pdf_names[t.name].active) {
                return pdf_inline_active(pdf, &t, obj);
            }
            if (slot >= 0) {
                pdf_capture(pdf, &t, slot);
            }
            if (t.type == T_ARR_OPEN || t.type == T_DICT_OPEN) {
                if (++depth > PDF_MAX_DEPTH) {
                    return CH_CHECK_OK;
                }
            } else if (t.type == T_ARR_CLOSE || t.type == T_DICT_CLOSE) {
                if (--depth < 0) {
                    return CH_CHECK_OK;
                }
            }
        } while (depth > 0);
        if (slot >= 0) {
            pdf->slots[slot].end = (uint32_t) pdf->ncap;
        }
    }

    /* "ID" and one white-space byte, then the data */
    data = t.end;
    if (data >= lx->n || !pdf_ws(b[data])) {
        return CH_CHECK_OK;
    }
    data++;

    if (slot_int(pdf, S_LENGTH, &l) != 1) {
        l = -1;
    }
    end = pdf_inline_end(b, lx->n, data, l, slot_filter(pdf) == FILT_DCT);
    if (end == lx->n) {
        return CH_CHECK_OK;
    }
    dlen = end - data;
    while (dlen > 0 && pdf_ws(b[data + dlen - 1])) {
        dlen--;
    }

    if (pdf_grow((void **) &pdf->imgs, &pdf->cimgs, pdf->nimgs,
                 sizeof(pdf_image_t)))
    {
        return pdf_nomem(pdf);
    }
    im = &pdf->imgs[pdf->nimgs];
    memset(im, 0, sizeof(*im));
    im->obj = obj;

    if (slot_int(pdf, S_WIDTH, &im->width) != 1 || im->width <= 0
        || slot_int(pdf, S_HEIGHT, &im->height) != 1 || im->height <= 0)
    {
        return CH_CHECK_OK;             /* no image a viewer could draw */
    }

    c = slot_get(pdf, S_IMAGEMASK, &clen);
    im->mask = c != NULL && clen == 1 && c->type == T_KW && c->kw == KW_TRUE;
    im->dct = slot_filter(pdf) == FILT_DCT;
    im->cs = slot_cs(pdf, S_COLORSPACE);
    im->len = dlen;
    im->own = malloc(dlen + 1);
    if (im->own == NULL) {
        return pdf_nomem(pdf);
    }
    memcpy(im->own, b + data, dlen);
    pdf->nimgs++;

    if (!im->dct && !im->mask) {
        rc = pdf_inline_count(pdf, im);
        if (rc != CH_CHECK_OK) {
            return rc;
        }
    }

    lex_seek(lx, end + 2);
    *stop = 0;

    return CH_CHECK_OK;
}


/* the inline images of the content stream objs[k] */
static ch_check_e
pdf_inline_stream(pdf_t *pdf, size_t k)
{
    pdf_obj_t      *o = &pdf->objs[k];
    unsigned char  *buf = NULL;
    size_t          len;
    ch_check_e      rc;
    lex_t           lx;
    tok_t           t;
    int             owned = 0, stop, nf, fl[IMG_MAX_CONTENT_FILTERS];

    if (!(o->flags & F_STREAM) || (o->flags & (F_IMAGE | F_OBJSTM | F_XREF))) {
        return CH_CHECK_OK;
    }

    /* its dictionary again, for its filter (read when the walk met it) */
    snprintf(pdf->where, sizeof(pdf->where), "object %u", (unsigned) o->num);
    lex_init(&lx, pdf->p, pdf->n, o->pos);
    tok_next(&lx, &t);
    if (t.type != T_OBJ || pdf_value(pdf, &lx) != CH_CHECK_OK) {
        return CH_CHECK_OK;
    }
    nf = pdf_content_filters(pdf, fl);
    if (nf < 0) {
        return CH_CHECK_OK;             /* not decodable here: see above */
    }

    rc = pdf_prefilters(pdf, fl, nf, o->data, o->dlen, &buf, &len);
    if (rc == CH_CHECK_NO_MEMORY) {
        return rc;
    }
    if (rc != CH_CHECK_OK) {
        return CH_CHECK_OK;
    }
    if (buf == NULL) {
        buf = (unsigned char *) pdf->p + o->data;
        len = o->dlen;
    } else {
        owned = 1;
    }

    lex_init(&lx, buf, len, 0);
    rc = CH_CHECK_OK;

    for ( ;; ) {
        lex_get(&lx, &t);
        if (t.type == T_EOF || t.type == T_ERROR) {
            break;
        }
        if (!pdf_is_kw(buf, &t, "BI")) {
            continue;
        }
        rc = pdf_inline_one(pdf, &lx, (uint32_t) k, &stop);
        if (rc != CH_CHECK_OK || stop) {
            break;
        }
    }

    if (owned) {
        free(buf);
    }

    return rc;
}


ch_check_e
pdf_inline_images(pdf_t *pdf)
{
    ch_check_e  rc;
    size_t      i;
    long        k;

    /* the pages' contents, of the pages' last definitions */
    for (i = 0; i < pdf->ncrefs; i++) {
        if (pdf_lookup(pdf, pdf->objs[pdf->crefs[i].page].num)
            != (long) pdf->crefs[i].page)
        {
            continue;
        }
        k = pdf_lookup(pdf, pdf->crefs[i].num);
        if (k >= 0) {
            rc = pdf_inline_stream(pdf, (size_t) k);
            if (rc != CH_CHECK_OK) {
                return rc;
            }
        }
    }

    /* forms (last definitions) */
    for (i = 0; i < pdf->ntop; i++) {
        if ((pdf->objs[i].flags & F_FORM)
            && pdf_lookup(pdf, pdf->objs[i].num) == (long) i)
        {
            rc = pdf_inline_stream(pdf, i);
            if (rc != CH_CHECK_OK) {
                return rc;
            }
        }
    }

    return CH_CHECK_OK;
}
