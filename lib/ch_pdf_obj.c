/*
 * The walk over a PDF (see ch_pdf.c, rule 2): every top-level object,
 * where its stream data ends, and the objects inside object streams.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memmem */
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_pdf_int.h"


/* --- objects ----------------------------------------------------------------- */

/* a page's /Contents (a stream, or an array of them), for the inline
   images: the page is the object being added */
static ch_check_e
pdf_page_contents(pdf_t *pdf)
{
    const ctok_t  *c;
    size_t         len, i;

    c = slot_get(pdf, S_CONTENTS, &len);
    if (c == NULL) {
        return CH_CHECK_OK;
    }

    for (i = 0; i < len; i++) {
        if (c[i].type != T_REF) {
            continue;
        }
        if (pdf_grow((void **) &pdf->crefs, &pdf->ccrefs, pdf->ncrefs,
                     sizeof(pdf_cref_t)))
        {
            return pdf_nomem(pdf);
        }
        pdf->crefs[pdf->ncrefs].page = (uint32_t) pdf->nobjs;
        pdf->crefs[pdf->ncrefs++].num = (uint32_t) c[i].v;
    }

    return CH_CHECK_OK;
}


static ch_check_e
pdf_add(pdf_t *pdf, uint32_t num, uint16_t gen, size_t pos, int member,
    size_t data, size_t dlen, int stream)
{
    pdf_obj_t     *o;
    pdf_image_t   *im;
    pdf_objstm_t  *st;
    pdf_xstm_t    *xs;
    const ctok_t  *c;
    size_t         len, i;
    int64_t        v;
    int            type, r;
    ch_check_e     rc;

    if (pdf->nobjs >= PDF_MAX_OBJECTS) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "more than %d objects",
                        PDF_MAX_OBJECTS);
    }
    if (pdf_grow((void **) &pdf->objs, &pdf->cobjs, pdf->nobjs,
                 sizeof(pdf_obj_t)))
    {
        return pdf_nomem(pdf);
    }

    o = &pdf->objs[pdf->nobjs];
    memset(o, 0, sizeof(*o));
    o->pos = pos;
    o->num = num;
    o->gen = gen;
    o->seq = (uint32_t) pdf->nobjs;
    o->icc_n = -1;
    o->flags = (uint16_t) ((member ? F_MEMBER : 0) | (stream ? F_STREAM : 0));

    if (!pdf->is_dict) {
        o->cs = slot_cs(pdf, S_SELF);
        pdf->nobjs++;
        return CH_CHECK_OK;
    }

    type = slot_name(pdf, S_TYPE);
    if (type == N_Page) {
        o->flags |= F_PAGE;
        rc = pdf_page_contents(pdf);
        if (rc != CH_CHECK_OK) {
            return rc;
        }
    }

    if (!stream) {
        pdf->nobjs++;
        return CH_CHECK_OK;
    }

    r = slot_int(pdf, S_N, &v);
    if (r == 1 && v >= 0 && v <= 64) {
        o->icc_n = (int32_t) v;
    }
    o->cs = slot_cs(pdf, S_ALTERNATE);
    o->data = data;
    o->dlen = dlen;
    if (slot_name(pdf, S_SUBTYPE) == N_Form) {
        o->flags |= F_FORM;
    }

    if (type == N_XRef) {
        if (pdf->slots[S_ENCRYPT].present) {
            return pdf_fail(pdf, CH_CHECK_PDF_ENCRYPTED,
                            "encrypted (/Encrypt in the xref stream, %s)",
                            pdf->where);
        }

        if (pdf_grow((void **) &pdf->xstms, &pdf->cxstms, pdf->nxstms,
                     sizeof(pdf_xstm_t)))
        {
            return pdf_nomem(pdf);
        }
        xs = &pdf->xstms[pdf->nxstms];
        memset(xs, 0, sizeof(*xs));
        xs->obj = (uint32_t) pdf->nobjs;
        xs->data = data;
        xs->len = dlen;
        xs->filter = slot_filter(pdf);
        slot_pred(pdf, &xs->pred);

        c = slot_get(pdf, S_W, &len);
        if (c == NULL || len != 5 || c[0].type != T_ARR_OPEN
            || c[4].type != T_ARR_CLOSE)
        {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "xref stream without /W [a b c], %s", pdf->where);
        }
        for (i = 0; i < 3; i++) {
            if (c[i + 1].type != T_INT || c[i + 1].v < 0 || c[i + 1].v > 8) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "bad /W in the xref stream, %s", pdf->where);
            }
            xs->w[i] = (int) c[i + 1].v;
        }

        xs->index = pdf->nidx;
        c = slot_get(pdf, S_INDEX, &len);
        if (c == NULL && pdf->slots[S_INDEX].present) {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "bad /Index in the xref stream, %s", pdf->where);
        }
        if (c == NULL) {
            if (slot_int(pdf, S_SIZE, &v) != 1 || v < 0 || v > PDF_MAX_OBJNUM + 1) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "xref stream without a /Size, %s", pdf->where);
            }
            if (pdf_grow((void **) &pdf->idx, &pdf->cidx, pdf->nidx + 1,
                         sizeof(int64_t)))
            {
                return pdf_nomem(pdf);
            }
            pdf->idx[pdf->nidx++] = 0;
            pdf->idx[pdf->nidx++] = v;

        } else {
            if (len < 2 || len % 2 != 0 || c[0].type != T_ARR_OPEN
                || c[len - 1].type != T_ARR_CLOSE)
            {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "bad /Index in the xref stream, %s",
                                pdf->where);
            }
            for (i = 1; i + 1 < len; i++) {
                if (c[i].type != T_INT || c[i].v < 0
                    || c[i].v > PDF_MAX_OBJNUM + 1)
                {
                    return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                    "bad /Index in the xref stream, %s",
                                    pdf->where);
                }
                if (pdf_grow((void **) &pdf->idx, &pdf->cidx, pdf->nidx,
                             sizeof(int64_t)))
                {
                    return pdf_nomem(pdf);
                }
                pdf->idx[pdf->nidx++] = c[i].v;
            }
        }
        xs->nindex = (pdf->nidx - xs->index) / 2;

        r = slot_int(pdf, S_PREV, &v);
        if (r < 0) {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "the /Prev of the xref stream is no integer, %s",
                            pdf->where);
        }
        if (r == 1) {
            if (pdf_grow((void **) &pdf->prevs, &pdf->cprevs, pdf->nprevs,
                         sizeof(pdf_prev_t)))
            {
                return pdf_nomem(pdf);
            }
            pdf->prevs[pdf->nprevs].off = v;
            pdf->prevs[pdf->nprevs++].what = 1;
        }

        o->flags |= F_XREF;
        pdf->nxstms++;
    }

    if (type == N_ObjStm) {
        if (pdf_grow((void **) &pdf->stms, &pdf->cstms, pdf->nstms,
                     sizeof(pdf_objstm_t)))
        {
            return pdf_nomem(pdf);
        }
        st = &pdf->stms[pdf->nstms];
        memset(st, 0, sizeof(*st));
        st->obj = (uint32_t) pdf->nobjs;
        st->data = data;
        st->len = dlen;
        st->filter = slot_filter(pdf);
        slot_pred(pdf, &st->pred);
        if (slot_int(pdf, S_N, &st->n) != 1
            || slot_int(pdf, S_FIRST, &st->first) != 1
            || st->n < 0 || st->n > PDF_MAX_OBJECTS || st->first < 0)
        {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "object stream without a direct /N and /First, "
                            "%s", pdf->where);
        }
        o->flags |= F_OBJSTM;
        o->stm = (uint32_t) ++pdf->nstms;
    }

    if (slot_name(pdf, S_SUBTYPE) == N_Image && !member) {
        if (pdf_grow((void **) &pdf->imgs, &pdf->cimgs, pdf->nimgs,
                     sizeof(pdf_image_t)))
        {
            return pdf_nomem(pdf);
        }
        im = &pdf->imgs[pdf->nimgs];
        memset(im, 0, sizeof(*im));
        im->obj = (uint32_t) pdf->nobjs;

        if (slot_int(pdf, S_WIDTH, &im->width) != 1 || im->width <= 0
            || slot_int(pdf, S_HEIGHT, &im->height) != 1 || im->height <= 0)
        {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "image without a direct positive /Width and "
                            "/Height, %s", pdf->where);
        }

        c = slot_get(pdf, S_IMAGEMASK, &len);
        im->mask = c != NULL && len == 1 && c->type == T_KW
                   && c->kw == KW_TRUE;
        im->dct = slot_filter(pdf) == FILT_DCT;
        im->cs = slot_cs(pdf, S_COLORSPACE);
        im->data = data;
        im->len = dlen;
        im->smask = slot_ref(pdf, S_SMASK);
        im->maskref = slot_ref(pdf, S_MASK);

        o->flags |= F_IMAGE;
        pdf->nimgs++;
    }

    pdf->nobjs++;

    return CH_CHECK_OK;
}


/* "N G obj" .. "endobj" at the top level, t being "N G obj" */
static ch_check_e
pdf_top_object(pdf_t *pdf, lex_t *lx, const tok_t *obj)
{
    const unsigned char  *p = pdf->p, *e;
    const tok_t          *pk;
    size_t                n = pdf->n, data, dlen, q;
    int64_t               len;
    ch_check_e            rc;
    tok_t                 t;
    int                   r;

    if (obj->big || obj->v < 1 || obj->v > PDF_MAX_OBJNUM || obj->gen < 0
        || obj->gen > PDF_MAX_GEN)
    {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "bad object number at %zu", obj->start);
    }

    snprintf(pdf->where, sizeof(pdf->where), "object %u",
             (unsigned) obj->v);

    pk = lex_peek(lx, 0);
    if (pk->type == T_KW && pk->kw == KW_ENDOBJ) {
        /* "N G obj endobj": some writers free objects so; null */
        lex_get(lx, &t);
        memset(pdf->slots, 0, sizeof(pdf->slots));
        pdf->is_dict = 0;
        return pdf_add(pdf, (uint32_t) obj->v, (uint16_t) obj->gen,
                       obj->start, 0, 0, 0, 0);
    }

    rc = pdf_value(pdf, lx);
    if (rc != CH_CHECK_OK) {
        return rc;
    }

    tok_next(lx, &t);

    if (t.type == T_KW && t.kw == KW_ENDOBJ) {
        return pdf_add(pdf, (uint32_t) obj->v, (uint16_t) obj->gen,
                       obj->start, 0, 0, 0, 0);
    }

    if (t.type != T_KW || t.kw != KW_STREAM || !pdf->is_dict) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "%s has no endobj (at %zu)", pdf->where, t.start);
    }

    /* "stream" is followed by CRLF or LF (a lone CR tolerated) */
    data = t.end;
    if (data < n && p[data] == '\r') {
        data++;
        if (data < n && p[data] == '\n') {
            data++;
        }
    } else if (data < n && p[data] == '\n') {
        data++;
    } else {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "no end of line after \"stream\" in %s", pdf->where);
    }

    q = n;
    dlen = 0;
    r = slot_int(pdf, S_LENGTH, &len);
    if (r == 1 && len >= 0 && (uint64_t) len <= n - data) {
        q = data + (size_t) len;
        while (q < n && pdf_ws(p[q])) {
            q++;
        }
        if (n - q >= 9 && memcmp(p + q, "endstream", 9) == 0) {
            dlen = (size_t) len;
        } else {
            q = n;
        }
    }

    if (q == n) {
        e = memmem(p + data, n - data, "endstream", 9);
        if (e == NULL) {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "%s: a stream without endstream", pdf->where);
        }
        q = (size_t) (e - p);
        dlen = q - data;
        if (dlen > 0 && p[data + dlen - 1] == '\n') {
            dlen--;
        }
        if (dlen > 0 && p[data + dlen - 1] == '\r') {
            dlen--;
        }
    }

    lex_seek(lx, q);
    tok_next(lx, &t);
    if (t.type != T_KW || t.kw != KW_ENDSTREAM) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "%s: a stream without endstream", pdf->where);
    }
    tok_next(lx, &t);
    if (t.type != T_KW || t.kw != KW_ENDOBJ) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "%s has no endobj (at %zu)", pdf->where, t.start);
    }

    return pdf_add(pdf, (uint32_t) obj->v, (uint16_t) obj->gen, obj->start,
                   0, data, dlen, 1);
}


/* --- the walk over the file -------------------------------------------------- */

ch_check_e
pdf_walk(pdf_t *pdf)
{
    ch_check_e  rc;
    lex_t       lx;
    tok_t       t;

    lex_init(&lx, pdf->p, pdf->n, 0);

    for ( ;; ) {
        tok_next(&lx, &t);
        rc = CH_CHECK_OK;

        switch (t.type) {

        case T_EOF:
            return CH_CHECK_OK;

        case T_OBJ:
            rc = pdf_top_object(pdf, &lx, &t);
            break;

        case T_KW:
            if (t.kw == KW_XREF) {
                rc = pdf_xref_table(pdf, &lx, &t);

            } else if (t.kw == KW_TRAILER) {
                rc = pdf_trailer(pdf, &lx);

            } else if (t.kw == KW_STARTXREF) {
                tok_next(&lx, &t);
                if (t.type != T_INT) {
                    rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                  "startxref without an offset at %zu",
                                  t.start);
                }

            } else {
                rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                              "unexpected keyword at %zu outside any object",
                              t.start);
            }
            break;

        case T_ERROR:
            rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "%s at %zu", t.err,
                          t.start);
            break;

        default:
            rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                          "unexpected token at %zu outside any object",
                          t.start);
            break;
        }

        if (rc != CH_CHECK_OK) {
            return rc;
        }
    }
}


/* --- object streams ---------------------------------------------------------- */

ch_check_e
pdf_objstm(pdf_t *pdf, pdf_objstm_t *st)
{
    unsigned char  *buf = NULL;
    size_t          len, i, start, end, first, cnt;
    int64_t        *hdr = NULL;
    uint32_t        num;
    ch_check_e      rc;
    lex_t           lx;
    tok_t           t;
    int             owned = 0;

    num = pdf->objs[st->obj].num;
    snprintf(pdf->where, sizeof(pdf->where), "object stream %u",
             (unsigned) num);

    rc = pdf_decode(pdf, st->data, st->len, st->filter, &st->pred, &buf, &len,
                    &owned);
    if (rc != CH_CHECK_OK) {
        return rc;
    }

    cnt = (size_t) st->n;
    if ((uint64_t) st->first > len || cnt > PDF_MAX_OBJECTS - pdf->nobjs) {
        rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                      "object stream %u: bad /N or /First", (unsigned) num);
        goto done;
    }
    first = (size_t) st->first;

    hdr = malloc(cnt * 2 * sizeof(int64_t) + 1);
    if (hdr == NULL) {
        rc = pdf_nomem(pdf);
        goto done;
    }

    /* the header: N pairs "number offset", then nothing up to /First */
    lex_init(&lx, buf, first, 0);
    for (i = 0; i < cnt * 2; i++) {
        lex_get(&lx, &t);
        if (t.type != T_INT || t.big || t.v < (i % 2 ? 0 : 1)
            || (i % 2 == 0 && t.v > PDF_MAX_OBJNUM)
            || (i % 2 == 1 && (uint64_t) t.v > len - first)
            || (i % 2 == 1 && i > 1 && t.v <= hdr[i - 2]))
        {
            rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                          "object stream %u: bad header", (unsigned) num);
            goto done;
        }
        hdr[i] = t.v;
    }
    if (lex_skip(buf, first, lx.pos) != first) {
        rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                      "object stream %u: more than /N objects in its header",
                      (unsigned) num);
        goto done;
    }

    /* the objects tile the rest: each from its offset to the next one's */
    st->members = (uint32_t) pdf->nobjs;
    st->nmembers = 0;

    for (i = 0; i < cnt; i++) {
        start = first + (size_t) hdr[2 * i + 1];
        end = i + 1 < cnt ? first + (size_t) hdr[2 * i + 3] : len;

        snprintf(pdf->where, sizeof(pdf->where),
                 "object %u in object stream %u", (unsigned) hdr[2 * i],
                 (unsigned) num);

        lex_init(&lx, buf, end, start);
        rc = pdf_value(pdf, &lx);
        if (rc != CH_CHECK_OK) {
            goto done;
        }
        if (lex_skip(buf, end, pdf->vend) != end) {
            rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                          "%s: more than one value", pdf->where);
            goto done;
        }

        rc = pdf_add(pdf, (uint32_t) hdr[2 * i], 0, pdf->objs[st->obj].pos,
                     1, 0, 0, 0);
        if (rc != CH_CHECK_OK) {
            goto done;
        }
        st->nmembers++;
    }

    rc = CH_CHECK_OK;

done:

    free(hdr);
    if (owned) {
        free(buf);
    }

    return rc;
}
