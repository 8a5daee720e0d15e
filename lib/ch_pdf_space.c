/*
 * An image's dictionary, read again for ch_pdf_image.c: an XObject's from
 * the file, an inline image's from its content stream (pdf_dict_src_t).
 * Its values as token runs (an indirect reference followed), its filters
 * by name (full or abbreviated), its colour space resolved (through
 * references, an inline image's named /CS through its page's or form's
 * /Resources, /ICCBased by /N, /Indexed with its palette judged entry by
 * entry), /Decode inversions, a DCT filter's /ColorTransform, and the
 * predictor of the last filter's /DecodeParms.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_pdf_image_int.h"


/* --- values read again from the file ------------------------------------------ */

/* the tokens of the value at lx (an indirect reference followed), in v */
void
img_value(lex_t *lx, img_val_t *v)
{
    tok_t  t;
    int    depth = 0;

    v->n = 0;
    v->whole = 1;
    v->p = lx->p;

    do {
        tok_next(lx, &t);
        if (t.type == T_EOF || t.type == T_ERROR) {
            v->whole = 0;
            return;
        }
        if (v->n < IMG_MAX_TOKS) {
            v->t[v->n++] = t;
        } else {
            v->whole = 0;
        }
        if (t.type == T_ARR_OPEN || t.type == T_DICT_OPEN) {
            depth++;
        } else if (t.type == T_ARR_CLOSE || t.type == T_DICT_CLOSE) {
            depth--;
        }
    } while (depth > 0);
}


/* the value of object num (its last definition), not a stream */
static int
img_object(pdf_t *pdf, uint32_t num, img_val_t *v)
{
    lex_t  lx;
    tok_t  t;
    long   k;

    k = pdf_lookup(pdf, num);
    if (k < 0 || (pdf->objs[k].flags & (F_STREAM | F_MEMBER))) {
        return -1;
    }

    lex_init(&lx, pdf->p, pdf->n, pdf->objs[k].pos);
    tok_next(&lx, &t);
    if (t.type != T_OBJ) {
        return -1;
    }
    img_value(&lx, v);

    return v->whole ? 0 : -1;
}


/* the raw text of a name token equals s (names with #xx escapes: never) */
int
img_name_is(const unsigned char *b, const tok_t *t, const char *s)
{
    size_t  len = strlen(s);

    return t->type == T_NAME && t->end - t->start == len + 1
           && memcmp(b + t->start + 1, s, len) == 0;
}


/* a filter's name, full or abbreviated (an inline image's) */
int
img_filter(const unsigned char *pdf, const tok_t *t)
{
    if (t->name == N_FlateDecode || t->name == N_Fl) {
        return IF_FLATE;
    }
    if (img_name_is(pdf, t, "ASCIIHexDecode") || img_name_is(pdf, t, "AHx")) {
        return IF_AHX;
    }
    if (img_name_is(pdf, t, "ASCII85Decode") || img_name_is(pdf, t, "A85")) {
        return IF_A85;
    }
    if (img_name_is(pdf, t, "RunLengthDecode") || img_name_is(pdf, t, "RL")) {
        return IF_RL;
    }
    if (t->name == N_DCTDecode || t->name == N_DCT) {
        return IF_DCT;
    }
    if (img_name_is(pdf, t, "CCITTFaxDecode") || img_name_is(pdf, t, "CCF")
        || img_name_is(pdf, t, "JBIG2Decode"))
    {
        return IF_BILEVEL;
    }
    if (img_name_is(pdf, t, "JPXDecode")) {
        return IF_JPX;
    }
    return IF_OTHER;
}


/* the tokens of the i-th element of an array value starting at a */
size_t
img_skip(const img_val_t *v, size_t a)
{
    int  depth = 0;

    for ( ;; ) {
        if (a >= v->n) {
            return v->n;
        }
        if (v->t[a].type == T_ARR_OPEN || v->t[a].type == T_DICT_OPEN) {
            depth++;
        } else if (v->t[a].type == T_ARR_CLOSE
                   || v->t[a].type == T_DICT_CLOSE)
        {
            depth--;
        }
        a++;
        if (depth <= 0) {
            return a;
        }
    }
}


/* a literal or hex string's bytes, at most max of them; their count */
static size_t
img_string(const unsigned char *p, const tok_t *t, unsigned char *out,
    size_t max)
{
    size_t                i = t->start + 1, end = t->end - 1, n = 0;
    int                   c, k, hi = -1, d;

    if (t->type == T_HEX) {
        for ( ; i < end && n < max; i++) {
            c = p[i];
            d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) {
                continue;
            }
            if (hi < 0) {
                hi = d;
            } else {
                out[n++] = (unsigned char) (hi << 4 | d);
                hi = -1;
            }
        }
        if (hi >= 0 && n < max) {
            out[n++] = (unsigned char) (hi << 4);
        }
        return n;
    }

    while (i < end && n < max) {
        c = p[i++];
        if (c != '\\' || i >= end) {
            out[n++] = (unsigned char) c;
            continue;
        }
        c = p[i++];
        switch (c) {
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case '\r':
            if (i < end && p[i] == '\n') {
                i++;
            }
            break;
        case '\n':
            break;
        default:
            if (c >= '0' && c <= '7') {
                d = c - '0';
                for (k = 0; k < 2 && i < end && p[i] >= '0' && p[i] <= '7';
                     k++)
                {
                    d = d * 8 + (p[i++] - '0');
                }
                out[n++] = (unsigned char) d;
            } else {
                out[n++] = (unsigned char) c;
            }
        }
    }

    return n;
}


/* --- colour spaces ------------------------------------------------------------ */

static int img_res_space(img_t *im, const img_val_t *v, const tok_t *name,
    int depth);


static int
img_space_name(const tok_t *t)
{
    switch (t->name) {
    case N_DeviceGray: case N_G: case N_CalGray:
        return IS_GRAY;
    case N_DeviceRGB: case N_RGB: case N_CalRGB:
        return IS_RGB;
    case N_DeviceCMYK: case N_CMYK:
        return IS_CMYK;
    default:
        return IS_UNKNOWN;
    }
}


static int
img_icc(pdf_t *pdf, const tok_t *t)
{
    long  k;

    if (t->type != T_REF) {
        return IS_UNKNOWN;
    }
    k = pdf_lookup(pdf, (uint32_t) t->v);
    if (k < 0 || !(pdf->objs[k].flags & F_STREAM)) {
        return IS_UNKNOWN;
    }
    switch (pdf->objs[k].icc_n) {
    case 1: return IS_GRAY;
    case 3: return IS_RGB;
    case 4: return IS_CMYK;
    default: return IS_UNKNOWN;
    }
}


/* the palette: each entry's colour judged once */
static int
img_palette(img_t *im, int base, const img_val_t *v, const tok_t *t)
{
    unsigned char  lut[256 * 4];
    size_t         comps = base == IS_GRAY ? 1 : base == IS_RGB ? 3 : 4;
    size_t         n, i, have;
    unsigned       r, g, b, k;

    if (t->type != T_STRING && t->type != T_HEX) {
        return IS_UNKNOWN;          /* a lookup stream: not read here */
    }

    n = img_string(v->p, t, lut, (im->hival + 1) * comps);
    have = n / comps;

    for (i = 0; i < 256; i++) {
        if (i >= have || base == IS_GRAY) {
            im->pal[i] = 0;         /* short tables are black: grey */
            continue;
        }
        if (base == IS_RGB) {
            im->pal[i] = (unsigned char) ch_colored(lut[i * 3],
                                                    lut[i * 3 + 1],
                                                    lut[i * 3 + 2]);
            continue;
        }
        k = lut[i * 4 + 3];
        r = (255 - lut[i * 4]) * (255 - k) / 255;
        g = (255 - lut[i * 4 + 1]) * (255 - k) / 255;
        b = (255 - lut[i * 4 + 2]) * (255 - k) / 255;
        im->pal[i] = (unsigned char) ch_colored(r, g, b);
    }

    return IS_INDEXED;
}


/* a named colour space of an inline image (/CS /CS0), from its resources */
static int
img_res_space(img_t *im, const img_val_t *v, const tok_t *name, int depth)
{
    img_val_t  *cs;
    lex_t       lx;
    int         s = IS_UNKNOWN;

    if (pdf_inline_resource(im->pdf, im->src->res, "ColorSpace",
                            v->p + name->start + 1,
                            name->end - name->start - 1, &lx) != 0)
    {
        return IS_UNKNOWN;
    }

    cs = malloc(sizeof(img_val_t));
    if (cs == NULL) {
        return IS_UNKNOWN;
    }
    img_value(&lx, cs);
    if (cs->whole) {
        s = img_space(im, cs, 0, depth + 1);
    }
    free(cs);

    return s;
}


/* a number token's value (an integer or a real) */
static double
img_number(const unsigned char *b, const tok_t *t)
{
    char    num[32];
    size_t  len;

    if (t->type == T_INT) {
        return (double) t->v;
    }
    len = t->end - t->start;
    if (t->type != T_REAL || len >= sizeof(num)) {
        return 0;
    }
    memcpy(num, b + t->start, len);
    num[len] = '\0';

    return strtod(num, NULL);
}


/* the components a /Decode array inverts ([1 0] pairs): bits */
unsigned
img_decode(const img_val_t *v)
{
    unsigned  inv = 0, c;
    size_t    a;

    if (v->n < 2 || v->t[0].type != T_ARR_OPEN) {
        return 0;
    }
    for (c = 0, a = 1; c < 4 && a + 1 < v->n; c++, a += 2) {
        if (img_number(v->p, &v->t[a]) > img_number(v->p, &v->t[a + 1])) {
            inv |= 1u << c;
        }
    }

    return inv;
}


/* a DCT filter's /ColorTransform in its parameters at v->t[a]: CH_JPEG_* */
unsigned
img_transform(const img_val_t *v, size_t a)
{
    size_t  i, end;

    if (a >= v->n || v->t[a].type != T_DICT_OPEN) {
        return 0;
    }
    end = img_skip(v, a);

    for (i = a + 1; i + 1 < end; i = img_skip(v, i + 1)) {
        if (img_name_is(v->p, &v->t[i], "ColorTransform")
            && v->t[i + 1].type == T_INT)
        {
            return v->t[i + 1].v == 0 ? CH_JPEG_TRANSFORM_0
                                      : CH_JPEG_TRANSFORM_1;
        }
    }

    return 0;
}


/* the colour space whose tokens start at v->t[a] */
int
img_space(img_t *im, const img_val_t *v, size_t a, int depth)
{
    img_val_t  *o;
    const tok_t *t;
    size_t      b, c;
    int         s, base;
    int64_t     hival;

    if (a >= v->n || depth >= PDF_CS_DEPTH) {
        return IS_UNKNOWN;
    }
    t = &v->t[a];

    if (t->type == T_NAME) {
        s = img_space_name(t);
        return s == IS_UNKNOWN && im->src ? img_res_space(im, v, t, depth)
                                          : s;
    }

    if (t->type == T_REF) {
        o = malloc(sizeof(img_val_t));
        if (o == NULL) {
            return IS_UNKNOWN;
        }
        s = img_object(im->pdf, (uint32_t) t->v, o) == 0
            ? img_space(im, o, 0, depth + 1) : IS_UNKNOWN;
        free(o);
        return s;
    }

    if (t->type != T_ARR_OPEN || a + 1 >= v->n || v->t[a + 1].type != T_NAME) {
        return IS_UNKNOWN;
    }

    t = &v->t[a + 1];
    switch (t->name) {
    case N_CalGray:
    case N_CalRGB:
        return img_space_name(t);
    case N_ICCBased:
        return a + 2 < v->n ? img_icc(im->pdf, &v->t[a + 2]) : IS_UNKNOWN;
    case N_Indexed:
    case N_I:
        if (im->space == IS_INDEXED) {
            return IS_UNKNOWN;      /* an Indexed over an Indexed */
        }
        b = img_skip(v, a + 2);     /* the base's tokens: a + 2 .. b */
        base = img_space(im, v, a + 2, depth + 1);
        if (base != IS_GRAY && base != IS_RGB && base != IS_CMYK) {
            return IS_UNKNOWN;
        }
        c = b + 1;
        if (c >= v->n || v->t[b].type != T_INT) {
            return IS_UNKNOWN;
        }
        hival = v->t[b].v;
        if (hival < 0 || hival > 255) {
            return IS_UNKNOWN;
        }
        im->hival = (unsigned) hival;
        im->base = base;
        return img_palette(im, base, v, &v->t[c]);
    default:
        return IS_UNKNOWN;
    }
}



/* --- the predictor ------------------------------------------------------------ */

/* the last filter's /DecodeParms at v->t[a] into im->pred */
void
img_pred(img_t *im, const img_val_t *v, size_t a)
{
    size_t   i, end;
    int64_t  x;

    memset(&im->pred, 0, sizeof(im->pred));
    im->pred.colors = 1;
    im->pred.bpc = 8;
    im->pred.columns = 1;

    if (a >= v->n || v->t[a].type != T_DICT_OPEN) {
        return;
    }
    end = img_skip(v, a);

    for (i = a + 1; i + 1 < end; i++) {
        if (v->t[i].type != T_NAME || v->t[i + 1].type != T_INT) {
            continue;
        }
        x = v->t[i + 1].v;
        x = x < 0 ? -1 : x > 100000 ? 100000 : x;
        switch (v->t[i].name) {
        case N_Predictor: im->pred.predictor = (int) x; break;
        case N_Colors: im->pred.colors = (int) x; break;
        case N_BitsPerComponent: im->pred.bpc = (int) x; break;
        case N_Columns: im->pred.columns = (int) x; break;
        default: break;
        }
        i++;
    }
}