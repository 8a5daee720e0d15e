/*
 * The frame of a PDF and its cross-reference (see ch_pdf.c, rules 1 and
 * 2): header, %%EOF and startxref; trailers and xref tables as the walk
 * meets them; then every xref entry, table or stream, against the
 * objects the walk found.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_pdf_int.h"


/* --- trailers and xref tables, as the walk meets them ------------------ */

/* "trailer" << .. >> */
ch_check_e
pdf_trailer(pdf_t *pdf, lex_t *lx)
{
    ch_check_e  rc;
    int64_t     v;
    int         s, r;

    snprintf(pdf->where, sizeof(pdf->where), "the trailer");

    rc = pdf_value(pdf, lx);
    if (rc != CH_CHECK_OK) {
        return rc;
    }

    if (!pdf->is_dict) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "a trailer that is no dictionary");
    }

    if (pdf->slots[S_ENCRYPT].present) {
        return pdf_fail(pdf, CH_CHECK_PDF_ENCRYPTED,
                        "encrypted (/Encrypt in the trailer)");
    }

    for (s = S_PREV; s <= S_XREFSTM; s++) {
        r = slot_int(pdf, s, &v);
        if (r < 0) {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "the trailer's %s is no integer",
                            s == S_PREV ? "/Prev" : "/XRefStm");
        }
        if (r == 1) {
            if (pdf_grow((void **) &pdf->prevs, &pdf->cprevs, pdf->nprevs,
                         sizeof(pdf_prev_t)))
            {
                return pdf_nomem(pdf);
            }
            pdf->prevs[pdf->nprevs].off = v;
            pdf->prevs[pdf->nprevs++].what = s == S_PREV ? 1 : 2;
        }
    }

    return CH_CHECK_OK;
}


/* "xref", its subsections, then the trailer */
ch_check_e
pdf_xref_table(pdf_t *pdf, lex_t *lx, const tok_t *xref)
{
    const tok_t  *pk;
    tok_t         a, b, k;
    int64_t       i, first, count;

    if (pdf_grow((void **) &pdf->xtabs, &pdf->cxtabs, pdf->nxtabs,
                 sizeof(size_t)))
    {
        return pdf_nomem(pdf);
    }
    pdf->xtabs[pdf->nxtabs++] = xref->start;

    for ( ;; ) {
        pk = lex_peek(lx, 0);
        if (pk->type != T_INT) {
            break;
        }

        lex_get(lx, &a);
        lex_get(lx, &b);
        if (b.type != T_INT || a.big || b.big || a.v < 0 || b.v < 0
            || a.v + b.v > PDF_MAX_OBJNUM + 1)
        {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "bad xref subsection at %zu", a.start);
        }
        first = a.v;
        count = b.v;

        for (i = 0; i < count; i++) {
            lex_get(lx, &a);
            lex_get(lx, &b);
            lex_get(lx, &k);
            if (a.type != T_INT || b.type != T_INT || k.type != T_KW
                || (k.kw != KW_N && k.kw != KW_F) || a.big || a.v < 0
                || b.big || b.v < 0)
            {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "bad xref entry at %zu", a.start);
            }
            /*
             * A free entry's generation is only the next one to use: Pillow
             * and MuPDF write object 0 as "0000000000 65536 f"
             */
            if (k.kw == KW_F || a.v == 0) {
                continue;
            }
            if (b.v > PDF_MAX_GEN) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "bad xref entry at %zu", a.start);
            }
            if (pdf->nxents >= PDF_MAX_XREF_ENTRIES) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "more than %d xref entries",
                                PDF_MAX_XREF_ENTRIES);
            }
            if (pdf_grow((void **) &pdf->xents, &pdf->cxents, pdf->nxents,
                         sizeof(pdf_xent_t)))
            {
                return pdf_nomem(pdf);
            }
            pdf->xents[pdf->nxents].num = (uint32_t) (first + i);
            pdf->xents[pdf->nxents].gen = (uint16_t) b.v;
            pdf->xents[pdf->nxents].off = (size_t) a.v;
            pdf->nxents++;
        }
    }

    lex_get(lx, &k);
    if (k.type != T_KW || k.kw != KW_TRAILER) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "an xref table without a trailer (at %zu)", k.start);
    }

    return pdf_trailer(pdf, lx);
}


/* --- the frame: header, %%EOF, startxref ------------------------------------ */

ch_check_e
pdf_frame(pdf_t *pdf)
{
    const unsigned char  *p = pdf->p;
    size_t                n = pdf->n, i, eof, win, ds, de, q;
    uint64_t              off;
    lex_t                 lx;
    tok_t                 t;

    if (n < 8 || memcmp(p, "%PDF-", 5) != 0) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "no %%PDF- at byte 0");
    }

    if (!((p[5] == '1' && p[6] == '.' && p[7] >= '0' && p[7] <= '7')
          || (p[5] == '2' && p[6] == '.' && p[7] == '0'))
        || (n > 8 && !pdf_ws(p[8]) && p[8] != '%'))
    {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "not a PDF version 1.0 to 2.0 in the header");
    }

    /* the last %%EOF, in the last PDF_EOF_WINDOW bytes */
    win = n > PDF_EOF_WINDOW ? n - PDF_EOF_WINDOW : 0;
    eof = n;
    for (i = n - 5 + 1; i-- > win; ) {
        if (memcmp(p + i, "%%EOF", 5) == 0) {
            eof = i;
            break;
        }
    }
    if (eof == n) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "no %%%%EOF in the last %d bytes (truncated?)",
                        PDF_EOF_WINDOW);
    }

    for (i = eof + 5; i < n; i++) {
        if (!pdf_ws(p[i])) {
            return pdf_fail(pdf, CH_CHECK_TRAILING_DATA,
                            "%zu bytes after %%%%EOF", n - eof - 5);
        }
    }
    if (n - eof - 5 > PDF_EOF_SLACK) {
        return pdf_fail(pdf, CH_CHECK_TRAILING_DATA,
                        "%zu bytes of white space after %%%%EOF",
                        n - eof - 5);
    }

    /* "startxref" ws digits ws "%%EOF" */
    i = eof;
    while (i > 0 && pdf_ws(p[i - 1])) {
        i--;
    }
    de = i;
    while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9') {
        i--;
    }
    ds = i;
    while (i > 0 && pdf_ws(p[i - 1])) {
        i--;
    }
    if (ds == de || i == ds || i < 9 || memcmp(p + i - 9, "startxref", 9) != 0
        || (i > 9 && !pdf_ws(p[i - 10]) && !pdf_delim(p[i - 10])))
    {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "no \"startxref offset\" before %%%%EOF");
    }

    if (de - ds > 15) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "startxref %.20s... outside the file", p + ds);
    }
    off = 0;
    for (i = ds; i < de; i++) {
        off = off * 10 + (uint64_t) (p[i] - '0');
    }
    if (off >= n) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "startxref %llu outside the file",
                        (unsigned long long) off);
    }
    pdf->startxref = (int64_t) off;

    q = (size_t) off;
    while (q < n && pdf_ws(p[q])) {
        q++;
    }
    if (n - q >= 5 && memcmp(p + q, "xref", 4) == 0
        && (pdf_ws(p[q + 4]) || pdf_delim(p[q + 4])))
    {
        return CH_CHECK_OK;
    }
    lex_init(&lx, p, n, q);
    tok_next(&lx, &t);
    if (t.type == T_OBJ && t.start == q) {
        return CH_CHECK_OK;
    }

    return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                    "startxref %llu points at neither xref nor an object",
                    (unsigned long long) off);
}


/* the top-level object whose "N G obj" is at off (white space skipped) */
static long
pdf_obj_at(pdf_t *pdf, int64_t off)
{
    size_t  q, lo, hi, mid;

    if (off < 0 || (uint64_t) off >= pdf->n) {
        return -1;
    }

    q = (size_t) off;
    while (q < pdf->n && pdf_ws(pdf->p[q])) {
        q++;
    }

    lo = 0;
    hi = pdf->ntop;
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (pdf->objs[mid].pos < q) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return lo < pdf->ntop && pdf->objs[lo].pos == q ? (long) lo : -1;
}


/* an xref table ("xref") or, when streams, an xref stream at off */
static int
pdf_xref_at(pdf_t *pdf, int64_t off, int tables)
{
    size_t  q, lo, hi, mid;
    long    k;

    if (off < 0 || (uint64_t) off >= pdf->n) {
        return 0;
    }

    if (tables) {
        q = (size_t) off;
        while (q < pdf->n && pdf_ws(pdf->p[q])) {
            q++;
        }
        lo = 0;
        hi = pdf->nxtabs;
        while (lo < hi) {
            mid = lo + (hi - lo) / 2;
            if (pdf->xtabs[mid] < q) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo < pdf->nxtabs && pdf->xtabs[lo] == q) {
            return 1;
        }
    }

    k = pdf_obj_at(pdf, off);

    return k >= 0 && (pdf->objs[k].flags & F_XREF);
}


ch_check_e
pdf_targets(pdf_t *pdf)
{
    size_t  i;

    if (pdf->nobjs == 0) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "no object at all");
    }

    if (!pdf_xref_at(pdf, pdf->startxref, 1)) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "startxref %lld points at no xref table or stream",
                        (long long) pdf->startxref);
    }

    for (i = 0; i < pdf->nprevs; i++) {
        if (!pdf_xref_at(pdf, pdf->prevs[i].off, pdf->prevs[i].what == 1)) {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "%s %lld points at no xref %s",
                            pdf->prevs[i].what == 1 ? "/Prev" : "/XRefStm",
                            (long long) pdf->prevs[i].off,
                            pdf->prevs[i].what == 1 ? "table or stream"
                                                    : "stream");
        }
    }

    return CH_CHECK_OK;
}


/* --- the index of objects by number ---------------------------------------- */

typedef struct {
    uint32_t  num;
    uint32_t  seq;
    size_t    pos;
} pdf_key_t;


static int
pdf_key_cmp(const void *a, const void *b)
{
    const pdf_key_t  *x = a, *y = b;

    if (x->num != y->num) {
        return x->num < y->num ? -1 : 1;
    }
    if (x->pos != y->pos) {
        return x->pos < y->pos ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}


ch_check_e
pdf_index(pdf_t *pdf)
{
    pdf_key_t  *keys;
    size_t      i;

    keys = malloc(pdf->nobjs * sizeof(pdf_key_t) + 1);
    pdf->sorted = malloc(pdf->nobjs * sizeof(uint32_t) + 1);
    if (keys == NULL || pdf->sorted == NULL) {
        free(keys);
        return pdf_nomem(pdf);
    }

    for (i = 0; i < pdf->nobjs; i++) {
        keys[i].num = pdf->objs[i].num;
        keys[i].seq = pdf->objs[i].seq;
        keys[i].pos = pdf->objs[i].pos;
    }

    qsort(keys, pdf->nobjs, sizeof(pdf_key_t), pdf_key_cmp);

    for (i = 0; i < pdf->nobjs; i++) {
        pdf->sorted[i] = keys[i].seq;       /* seq is the index in objs */
    }

    free(keys);

    return CH_CHECK_OK;
}


/* the last definition of object num, or -1 */
long
pdf_lookup(pdf_t *pdf, uint32_t num)
{
    size_t  lo = 0, hi = pdf->nobjs, mid;

    /* the first entry with a number above num */
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (pdf->objs[pdf->sorted[mid]].num <= num) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    if (lo == 0 || pdf->objs[pdf->sorted[lo - 1]].num != num) {
        return -1;
    }

    return (long) pdf->sorted[lo - 1];
}


/* --- the xref against the objects -------------------------------------------- */

static ch_check_e
pdf_check_entry(pdf_t *pdf, uint32_t num, uint16_t gen, int64_t off)
{
    long  k;

    k = pdf_obj_at(pdf, off);
    if (k < 0 || pdf->objs[k].num != num || pdf->objs[k].gen != gen) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "the xref puts object %u at %lld, where it is not",
                        (unsigned) num, (long long) off);
    }

    return CH_CHECK_OK;
}


static ch_check_e
pdf_xref_stream(pdf_t *pdf, pdf_xstm_t *xs)
{
    unsigned char  *buf = NULL;
    const int64_t  *ix = pdf->idx + xs->index;
    pdf_objstm_t   *st;
    size_t          len, w, at, i, j, total;
    uint64_t        f[3];
    uint32_t        num;
    ch_check_e      rc;
    long            k;
    int             owned = 0, q, b;

    snprintf(pdf->where, sizeof(pdf->where), "the xref stream (object %u)",
             (unsigned) pdf->objs[xs->obj].num);

    rc = pdf_decode(pdf, xs->data, xs->len, xs->filter, &xs->pred, &buf, &len,
                    &owned);
    if (rc != CH_CHECK_OK) {
        return rc;
    }

    w = (size_t) (xs->w[0] + xs->w[1] + xs->w[2]);
    total = 0;
    for (i = 0; i < xs->nindex; i++) {
        if (ix[2 * i] + ix[2 * i + 1] > PDF_MAX_OBJNUM + 1) {
            rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "%s: bad /Index",
                          pdf->where);
            goto done;
        }
        total += (size_t) ix[2 * i + 1];
    }
    if (total > 0 && (w == 0 || total > len / w)) {
        rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                      "%s: shorter than its entries", pdf->where);
        goto done;
    }

    at = 0;
    for (i = 0; i < xs->nindex; i++) {
        for (j = 0; j < (size_t) ix[2 * i + 1]; j++) {
            num = (uint32_t) (ix[2 * i] + (int64_t) j);
            for (q = 0; q < 3; q++) {
                f[q] = 0;
                for (b = 0; b < xs->w[q]; b++) {
                    f[q] = f[q] << 8 | buf[at++];
                }
            }
            if (xs->w[0] == 0) {
                f[0] = 1;
            }

            if (f[0] == 1) {
                if (f[1] == 0) {
                    continue;           /* taken as free, see above */
                }
                if (f[2] > PDF_MAX_GEN) {
                    goto bad;
                }
                rc = pdf_check_entry(pdf, num, (uint16_t) f[2],
                                     f[1] > (uint64_t) INT64_MAX
                                     ? -1 : (int64_t) f[1]);
                if (rc != CH_CHECK_OK) {
                    goto done;
                }

            } else if (f[0] == 2) {
                k = f[1] <= PDF_MAX_OBJNUM ? pdf_lookup(pdf, (uint32_t) f[1])
                                           : -1;
                if (k < 0 || pdf->objs[k].stm == 0) {
                    goto bad;
                }
                st = &pdf->stms[pdf->objs[k].stm - 1];
                if (f[2] >= st->nmembers
                    || pdf->objs[st->members + f[2]].num != num)
                {
                    goto bad;
                }
            }
        }
    }

    rc = CH_CHECK_OK;
    goto done;

bad:

    rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                  "%s: the entry of object %u points at no such object",
                  pdf->where, (unsigned) num);

done:

    if (owned) {
        free(buf);
    }

    return rc;
}


ch_check_e
pdf_xrefs(pdf_t *pdf)
{
    ch_check_e  rc;
    size_t      i;

    for (i = 0; i < pdf->nxents; i++) {
        rc = pdf_check_entry(pdf, pdf->xents[i].num, pdf->xents[i].gen,
                             (int64_t) pdf->xents[i].off);
        if (rc != CH_CHECK_OK) {
            return rc;
        }
    }

    for (i = 0; i < pdf->nxstms; i++) {
        rc = pdf_xref_stream(pdf, &pdf->xstms[i]);
        if (rc != CH_CHECK_OK) {
            return rc;
        }
    }

    return CH_CHECK_OK;
}
