/*
 * Inline images (see ch_pdf.c, rule 4): "BI <key value ..> ID <data> EI"
 * inside a page's content stream or a form XObject, as reportlab's
 * drawInlineImage and some scan tools write a page.  Each becomes an entry
 * of pdf->imgs whose bytes are a copy (pdf_image_t.own), read when found
 * by the same decoder as an image XObject (pdf_image_read, its dictionary
 * read from the content, which is gone by the time pdf_images runs).
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
 * lx just before a dictionary's first key: past its value's first token
 * (in *t) when it has key (raw name bytes key[0 .. klen - 1]), 0; or -1
 */
static int
pdf_dict_find(lex_t *lx, const unsigned char *key, size_t klen, tok_t *t)
{
    int  match, depth;

    for ( ;; ) {
        tok_next(lx, t);
        if (t->type != T_NAME) {
            return -1;
        }
        match = t->end - t->start == klen + 1
                && memcmp(lx->p + t->start + 1, key, klen) == 0;
        tok_next(lx, t);
        if (match) {
            return 0;
        }
        for (depth = 0; ; tok_next(lx, t)) {
            if (t->type == T_EOF || t->type == T_ERROR) {
                return -1;
            }
            if (t->type == T_ARR_OPEN || t->type == T_DICT_OPEN) {
                depth++;
            } else if (t->type == T_ARR_CLOSE || t->type == T_DICT_CLOSE) {
                depth--;
            }
            if (depth <= 0) {
                break;
            }
        }
        if (depth < 0) {
            return -1;
        }
    }
}


/* lx inside the dictionary of objs[k], past its "<<": 0, or -1 */
static int
pdf_dict_of(pdf_t *pdf, long k, lex_t *lx)
{
    tok_t  t;

    if (k < 0 || (size_t) k >= pdf->nobjs
        || (pdf->objs[k].flags & F_MEMBER))
    {
        return -1;                  /* in an object stream: not read here */
    }
    lex_init(lx, pdf->p, pdf->n, pdf->objs[k].pos);
    tok_next(lx, &t);
    tok_next(lx, &t);

    return t.type == T_DICT_OPEN ? 0 : -1;
}


/* t a dictionary's "<<" in lx, or a reference to one: lx inside it */
static int
pdf_dict_enter(pdf_t *pdf, lex_t *lx, const tok_t *t)
{
    if (t->type == T_DICT_OPEN) {
        return 0;
    }

    return t->type == T_REF ? pdf_dict_of(pdf, pdf_lookup(pdf,
                                          (uint32_t) t->v), lx) : -1;
}


int
pdf_inline_resource(pdf_t *pdf, uint32_t res, const char *kind,
    const unsigned char *name, size_t len, lex_t *lx)
{
    tok_t  t;
    long   k = (long) res;
    int    up;

    /* a page without /Resources inherits its parent's (at most so deep) */
    for (up = 0; ; up++) {
        if (up == PDF_MAX_DEPTH || pdf_dict_of(pdf, k, lx) != 0) {
            return -1;
        }
        if (pdf_dict_find(lx, (const unsigned char *) "Resources", 9, &t)
            == 0)
        {
            break;
        }
        if (pdf_dict_of(pdf, k, lx) != 0
            || pdf_dict_find(lx, (const unsigned char *) "Parent", 6, &t)
               != 0
            || t.type != T_REF)
        {
            return -1;
        }
        k = pdf_lookup(pdf, (uint32_t) t.v);
    }

    if (pdf_dict_enter(pdf, lx, &t) != 0
        || pdf_dict_find(lx, (const unsigned char *) kind, strlen(kind), &t)
           != 0
        || pdf_dict_enter(pdf, lx, &t) != 0
        || pdf_dict_find(lx, name, len, &t) != 0)
    {
        return -1;
    }

    /* the value read again from its first token */
    lex_seek(lx, t.start);

    return 0;
}


/*
 * The pixels of an inline image, read by the decoder of image XObjects
 * (pdf_image_read) from its dictionary here in the content: abbreviated
 * keys and values, filters and predictors, 1 to 16 bits, Indexed, a /CS
 * named in the page's or form's resources.  A JPEG's size and pixels are
 * kept as the image's.  An image mask (/IM true) is a stencil painted in
 * the current colour, no scanned pixels: like an /ImageMask XObject it is
 * no image at all (rule 4 of ch_pdf.c), so it neither dilutes a colour
 * scan nor passes for one.
 * Anything not decoded is left to its colour space (im->counted stays 0);
 * broken data is damaged.
 */
static ch_check_e
pdf_inline_count(pdf_t *pdf, pdf_image_t *im, const pdf_dict_src_t *src)
{
    ch_file_info_t  ji;
    uint64_t        px;
    ch_check_e      rc;
    int             got;

    if (im->width > CH_IMAGE_MAX_SIDE || im->height > CH_IMAGE_MAX_SIDE
        || (uint64_t) im->width * (uint64_t) im->height > CH_IMAGE_MAX_PIXELS)
    {
        return CH_CHECK_OK;             /* refused as too large, unread */
    }

    /* all images together are bounded (pdf_images refuses them unread) */
    pdf->inline_px += (uint64_t) im->width * (uint64_t) im->height;
    if (pdf->inline_px > PDF_MAX_IMAGE_PIXELS) {
        return CH_CHECK_OK;
    }

    if (im->mask) {
        return CH_CHECK_OK;             /* no scan, as an /ImageMask XObject */
    }

    rc = pdf_image_read(pdf, im, src, &im->cc, &ji, &got);
    if (rc != CH_CHECK_OK) {
        return rc;
    }

    if (got == PDF_IMG_JPEG) {
        im->width = ji.width;
        im->height = ji.height;
        px = (uint64_t) ji.width * ji.height;
        im->cc.pixels += px;
        if (im->cs.kind != CS_GRAY) {
            im->cc.colored += px * ji.colored_per_mille / 1000;
        }
    }
    im->counted = got != PDF_IMG_UNDECODED;

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


/*
 * one inline image, lx just past "BI" (its first key at dict); its named
 * colour spaces in the resources of objs[res]; on success lx is past its
 * "EI"
 */
static ch_check_e
pdf_inline_one(pdf_t *pdf, lex_t *lx, uint32_t obj, size_t dict,
    uint32_t res, int *stop)
{
    pdf_dict_src_t        src;
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

    src.p = b;
    src.n = lx->n;
    src.pos = dict;
    src.res = res;
    rc = pdf_inline_count(pdf, im, &src);
    if (rc != CH_CHECK_OK) {
        return rc;
    }

    lex_seek(lx, end + 2);
    *stop = 0;

    return CH_CHECK_OK;
}


/* the inline images of the content stream objs[k] of objs[res] */
static ch_check_e
pdf_inline_stream(pdf_t *pdf, size_t k, uint32_t res)
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
        rc = pdf_inline_one(pdf, &lx, (uint32_t) k, t.end, res, &stop);
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
            rc = pdf_inline_stream(pdf, (size_t) k, pdf->crefs[i].page);
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
            rc = pdf_inline_stream(pdf, i, (uint32_t) i);
            if (rc != CH_CHECK_OK) {
                return rc;
            }
        }
    }

    return CH_CHECK_OK;
}
