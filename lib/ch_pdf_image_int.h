/*
 * What ch_pdf_image.c (an image's pixels) and ch_pdf_space.c (its
 * dictionary read again: values, filters, colour spaces, /Decode,
 * predictor parameters) share.  Internal to those two files.
 */

#ifndef CH_PDF_IMAGE_INT_H
#define CH_PDF_IMAGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ch_filecheck_int.h"
#include "ch_pdf_int.h"

#pragma GCC visibility push(hidden)

#define IMG_MAX_TOKS      64


enum { IS_UNKNOWN, IS_GRAY, IS_RGB, IS_CMYK, IS_INDEXED };

typedef struct {
    tok_t                 t[IMG_MAX_TOKS];
    size_t                n;
    int                   whole;    /* not cut at IMG_MAX_TOKS */
    const unsigned char  *p;        /* the bytes the tokens are in */
} img_val_t;

typedef struct {
    pdf_t             *pdf;
    unsigned           w, h, bpc, comps;
    int                space;           /* IS_* */
    int                base;            /* IS_INDEXED: IS_GRAY.. */
    unsigned           hival;
    unsigned char      pal[256];        /* IS_INDEXED: entry coloured */
    unsigned           ink;             /* IS_CMYK: bit i, component i is
                                           ink (0 none), else inverted */
    const pdf_dict_src_t  *src;         /* an inline image's, or NULL */

    pdf_pred_t         pred;
    size_t             prow;            /* predictor row, without tag */
    unsigned char     *pcur, *pprev;
    size_t             pfill;

    size_t             rowbytes;
    unsigned char     *row;
    size_t             rfill;
    unsigned           rows;

    ch_color_count_t  *cc;
} img_t;


/* the tokens of the value at lx (an indirect reference followed), in v */
void img_value(lex_t *lx, img_val_t *v);
/* the raw text of a name token equals s (names with #xx escapes: never) */
int img_name_is(const unsigned char *b, const tok_t *t, const char *s);
/* a filter's name, full or abbreviated (an inline image's): IF_* */
int img_filter(const unsigned char *pdf, const tok_t *t);
/* the tokens of the i-th element of an array value starting at a */
size_t img_skip(const img_val_t *v, size_t a);
/* the components a /Decode array inverts ([1 0] pairs): bits */
unsigned img_decode(const img_val_t *v);
/* a DCT filter's /ColorTransform in its parameters at v->t[a]: CH_JPEG_* */
unsigned img_transform(const img_val_t *v, size_t a);
/* the colour space whose tokens start at v->t[a]: IS_*, with im's palette
   (IS_INDEXED) filled in */
int img_space(img_t *im, const img_val_t *v, size_t a, int depth);
/* the last filter's /DecodeParms at v->t[a] into im->pred */
void img_pred(img_t *im, const img_val_t *v, size_t a);

#pragma GCC visibility pop

#endif /* CH_PDF_IMAGE_INT_H */
