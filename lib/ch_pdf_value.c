/*
 * One PDF value parsed (see ch_pdf.c, rules 2 and 3): its names checked
 * for active content, the keys the checker reads kept in slots, and what
 * those slots say: integers, names, references, filters, predictors,
 * colour spaces.
 */

#include <stdint.h>
#include <string.h>

#include "ch_pdf_int.h"


/* --- values ---------------------------------------------------------------- */

void
pdf_capture(pdf_t *pdf, const tok_t *t, int slot)
{
    ctok_t  *c;

    if (pdf->ncap >= PDF_CAPTURE_MAX) {
        pdf->slots[slot].overflow = 1;
        return;
    }

    c = &pdf->cap[pdf->ncap++];
    c->type = (unsigned char) t->type;
    c->kw = (unsigned char) t->kw;
    c->name = (unsigned short) t->name;
    c->v = t->v;
    c->gen = t->gen;
}


/*
 * Parses one value from lx (a container with everything in it), checking
 * its syntax and its names; keeps the values of the keys of interest of a
 * top-level dictionary, and the value itself when it is no dictionary.
 */
ch_check_e
pdf_value(pdf_t *pdf, lex_t *lx)
{
    struct {
        unsigned char  dict;
        unsigned char  want_key;
        int            key;
    }         stack[PDF_MAX_DEPTH], *f;
    int       depth = 0, slot = -1, cap_depth = 0, open, close;
    tok_t     t;

    memset(pdf->slots, 0, sizeof(pdf->slots));
    pdf->ncap = 0;
    pdf->is_dict = 0;

    for ( ;; ) {
        tok_next(lx, &t);

        switch (t.type) {
        case T_ERROR:
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "%s at %zu in %s",
                            t.err, t.start, pdf->where);
        case T_EOF:
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "%s ends unfinished", pdf->where);
        case T_OBJ:
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "\"obj\" at %zu inside %s", t.start, pdf->where);
        case T_KW:
            if (t.kw != KW_TRUE && t.kw != KW_FALSE && t.kw != KW_NULL) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "unexpected keyword at %zu in %s", t.start,
                                pdf->where);
            }
            break;
        case T_REF:
            if (t.v < 0 || t.gen < 0 || t.v > PDF_MAX_OBJNUM
                || t.gen > PDF_MAX_GEN)
            {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "bad reference at %zu in %s", t.start,
                                pdf->where);
            }
            break;
        case T_NAME:
            if (pdf_names[t.name].active) {
                return pdf_fail(pdf, CH_CHECK_PDF_ACTIVE, "/%s in %s",
                                pdf_names[t.name].s, pdf->where);
            }
            break;
        default:
            break;
        }

        pdf->vend = t.end;
        f = depth ? &stack[depth - 1] : NULL;
        close = t.type == T_ARR_CLOSE || t.type == T_DICT_CLOSE;
        open = t.type == T_ARR_OPEN || t.type == T_DICT_OPEN;

        if (close) {
            if (f == NULL || f->dict != (t.type == T_DICT_CLOSE)) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "unbalanced %s at %zu in %s",
                                t.type == T_DICT_CLOSE ? "\">>\"" : "\"]\"",
                                t.start, pdf->where);
            }
            if (f->dict && !f->want_key) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "a key without a value at %zu in %s",
                                t.start, pdf->where);
            }
            if (slot >= 0) {
                pdf_capture(pdf, &t, slot);
            }
            depth--;
            if (slot >= 0 && depth == cap_depth) {
                pdf->slots[slot].end = (uint32_t) pdf->ncap;
                slot = -1;
            }
            if (depth == 0) {
                return CH_CHECK_OK;
            }
            continue;
        }

        if (f != NULL && f->dict && f->want_key) {
            if (t.type != T_NAME) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "a dictionary key that is no name at %zu "
                                "in %s", t.start, pdf->where);
            }
            f->want_key = 0;
            f->key = t.name;
            if (slot >= 0) {
                pdf_capture(pdf, &t, slot);
            }
            continue;
        }

        if (f != NULL && f->dict) {
            f->want_key = 1;        /* this token is, or opens, the value */
        }

        if (slot < 0) {
            if (depth == 1 && f->dict && pdf_names[f->key].slot >= 0) {
                slot = pdf_names[f->key].slot;
                if (pdf->slots[slot].present) {
                    /* readers differ on which one counts */
                    return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                    "/%s twice in a dictionary of %s",
                                    pdf_names[f->key].s, pdf->where);
                }
            } else if (depth == 0 && t.type != T_DICT_OPEN) {
                slot = S_SELF;
            }
            if (slot >= 0) {
                cap_depth = depth;
                pdf->slots[slot].present = 1;
                pdf->slots[slot].overflow = 0;
                pdf->slots[slot].begin = (uint32_t) pdf->ncap;
            }
        }

        if (slot >= 0) {
            pdf_capture(pdf, &t, slot);
        }

        if (open) {
            if (depth == PDF_MAX_DEPTH) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "nested deeper than %d at %zu in %s",
                                PDF_MAX_DEPTH, t.start, pdf->where);
            }
            if (depth == 0 && t.type == T_DICT_OPEN) {
                pdf->is_dict = 1;
            }
            stack[depth].dict = t.type == T_DICT_OPEN;
            stack[depth].want_key = 1;
            stack[depth].key = N_OTHER;
            depth++;
            continue;
        }

        if (slot >= 0 && depth == cap_depth) {
            pdf->slots[slot].end = (uint32_t) pdf->ncap;
            slot = -1;
        }

        if (depth == 0) {
            return CH_CHECK_OK;
        }
    }
}


/* the captured value of a slot, when it is there whole */
const ctok_t *
slot_get(pdf_t *pdf, int s, size_t *len)
{
    slot_t  *sl = &pdf->slots[s];

    if (!sl->present || sl->overflow || sl->end <= sl->begin) {
        return NULL;
    }

    *len = sl->end - sl->begin;
    return &pdf->cap[sl->begin];
}


/* 1 when the slot holds one direct integer, 0 when absent, -1 otherwise */
int
slot_int(pdf_t *pdf, int s, int64_t *v)
{
    const ctok_t  *c;
    size_t         len;

    if (!pdf->slots[s].present) {
        return 0;
    }

    c = slot_get(pdf, s, &len);
    if (c == NULL || len != 1 || c->type != T_INT) {
        return -1;
    }

    *v = c->v;
    return 1;
}


int
slot_name(pdf_t *pdf, int s)
{
    const ctok_t  *c;
    size_t         len;

    c = slot_get(pdf, s, &len);
    if (c == NULL || len != 1 || c->type != T_NAME) {
        return N_OTHER;
    }

    return c->name;
}


uint32_t
slot_ref(pdf_t *pdf, int s)
{
    const ctok_t  *c;
    size_t         len;

    c = slot_get(pdf, s, &len);
    if (c == NULL || len != 1 || c->type != T_REF) {
        return 0;
    }

    return (uint32_t) c->v;
}


static int
pdf_filter_of(int name)
{
    switch (name) {
    case N_FlateDecode:
    case N_Fl:
        return FILT_FLATE;
    case N_DCTDecode:
    case N_DCT:
        return FILT_DCT;
    default:
        return FILT_OTHER;
    }
}


/* /Filter: none, one name, or an array of one name; a chain is "other" */
int
slot_filter(pdf_t *pdf)
{
    const ctok_t  *c;
    size_t         len;

    if (!pdf->slots[S_FILTER].present) {
        return FILT_NONE;
    }

    c = slot_get(pdf, S_FILTER, &len);
    if (c == NULL) {
        return FILT_OTHER;
    }

    if (len == 1 && c[0].type == T_KW && c[0].kw == KW_NULL) {
        return FILT_NONE;
    }
    if (len == 1 && c[0].type == T_NAME) {
        return pdf_filter_of(c[0].name);
    }
    if (len == 2 && c[0].type == T_ARR_OPEN) {
        return FILT_NONE;
    }
    if (len == 3 && c[0].type == T_ARR_OPEN && c[1].type == T_NAME) {
        return pdf_filter_of(c[1].name);
    }

    return FILT_OTHER;
}


/* /DecodeParms << /Predictor .. >> or [<< .. >>]: the first dictionary */
void
slot_pred(pdf_t *pdf, pdf_pred_t *pr)
{
    const ctok_t  *c;
    size_t         len, i;
    int            depth = 0, dicts = 0;

    pr->predictor = 1;
    pr->colors = 1;
    pr->bpc = 8;
    pr->columns = 1;

    c = slot_get(pdf, S_DECODEPARMS, &len);
    if (c == NULL) {
        if (pdf->slots[S_DECODEPARMS].present) {
            pr->predictor = -1;       /* there, but unreadable */
        }
        return;
    }

    for (i = 0; i < len; i++) {
        if (c[i].type == T_DICT_OPEN || c[i].type == T_ARR_OPEN) {
            depth++;
            if (c[i].type == T_DICT_OPEN) {
                dicts++;
            }
            continue;
        }
        if (c[i].type == T_DICT_CLOSE || c[i].type == T_ARR_CLOSE) {
            depth--;
            continue;
        }
        if (dicts != 1 || depth > 2 || c[i].type != T_NAME || i + 1 >= len
            || c[i + 1].type != T_INT)
        {
            continue;
        }
        if (c[i + 1].v < 0 || c[i + 1].v > 1 << 20) {
            pr->predictor = -1;
            return;
        }
        switch (c[i].name) {
        case N_Predictor:
            pr->predictor = (int) c[i + 1].v;
            break;
        case N_Colors:
            pr->colors = (int) c[i + 1].v;
            break;
        case N_BitsPerComponent:
            pr->bpc = (int) c[i + 1].v;
            break;
        case N_Columns:
            pr->columns = (int) c[i + 1].v;
            break;
        }
    }
}


static int
pdf_cs_family(int name)
{
    switch (name) {
    case N_DeviceRGB:
    case N_RGB:
    case N_DeviceCMYK:
    case N_CMYK:
    case N_CalRGB:
    case N_Lab:
        return CS_COLOR;
    case N_DeviceGray:
    case N_G:
    case N_CalGray:
        return CS_GRAY;
    default:
        return CS_UNKNOWN;
    }
}


/*
 * A colour space from tokens c[0 .. len - 1]: a name, a reference, or an
 * array; *used is how many tokens it took (one value).  An /Indexed base
 * is read one level down (a base is never /Indexed itself).
 */
static pdf_cs_t
pdf_cs_parse(const ctok_t *c, size_t len, size_t *used, int level)
{
    pdf_cs_t  cs, base;
    size_t    i, n, depth;

    memset(&cs, 0, sizeof(cs));
    *used = 1;

    if (len == 0) {
        *used = 0;
        return cs;
    }

    if (c[0].type == T_NAME) {
        cs.kind = (unsigned char) pdf_cs_family(c[0].name);
        return cs;
    }

    if (c[0].type == T_REF) {
        cs.kind = CS_REF;
        cs.ref = (uint32_t) c[0].v;
        return cs;
    }

    if (c[0].type != T_ARR_OPEN && c[0].type != T_DICT_OPEN) {
        return cs;
    }

    /* the extent of the container */
    depth = 0;
    for (i = 0; i < len; i++) {
        if (c[i].type == T_ARR_OPEN || c[i].type == T_DICT_OPEN) {
            depth++;
        } else if (c[i].type == T_ARR_CLOSE || c[i].type == T_DICT_CLOSE) {
            if (--depth == 0) {
                break;
            }
        }
    }
    *used = i < len ? i + 1 : len;
    n = *used;

    if (c[0].type != T_ARR_OPEN || n < 3 || c[1].type != T_NAME) {
        return cs;
    }

    switch (c[1].name) {
    case N_CalRGB:
    case N_Lab:
        cs.kind = CS_COLOR;
        break;
    case N_CalGray:
        cs.kind = CS_GRAY;
        break;
    case N_DeviceRGB:
    case N_DeviceCMYK:
    case N_DeviceGray:
        cs.kind = (unsigned char) pdf_cs_family(c[1].name);
        break;
    case N_ICCBased:
        if (c[2].type == T_REF) {
            cs.kind = CS_ICC;
            cs.ref = (uint32_t) c[2].v;
        }
        break;
    case N_Indexed:
    case N_I:
        if (level > 0) {
            break;
        }
        base = pdf_cs_parse(c + 2, n - 2, &i, level + 1);
        if (base.kind == CS_INDEXED) {
            break;
        }
        cs.kind = CS_INDEXED;
        cs.base_kind = base.kind;
        cs.base_ref = base.ref;
        break;
    default:
        break;                  /* Separation, DeviceN, Pattern: grey */
    }

    return cs;
}


pdf_cs_t
slot_cs(pdf_t *pdf, int s)
{
    const ctok_t  *c;
    size_t         len, used;
    pdf_cs_t       cs;

    c = slot_get(pdf, s, &len);
    if (c == NULL) {
        memset(&cs, 0, sizeof(cs));
        return cs;
    }

    return pdf_cs_parse(c, len, &used, 0);
}

