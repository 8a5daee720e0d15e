/*
 * One-page PDFs around image data, for the unit tests of the PDF checker's
 * images (test_pdf_colour, test_pdf_jpx): pixels drawn here (a grey page
 * of text-like stripes, with or without a red mark), a page drawing one
 * or more image XObjects, and the verdict expected of it.
 */

#ifndef CERTHALL_PDFPAGE_H
#define CERTHALL_PDFPAGE_H

#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "ch_filecheck.h"


typedef struct {
    unsigned char  *p;
    size_t          n, cap;
} buf_t;


static inline void
put(buf_t *b, const void *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}


static inline void
putf(buf_t *b, const char *fmt, ...)
{
    va_list  ap;
    char    *s;
    int      n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    put(b, s, (size_t) n);
    free(s);
}


/* --- pixels ------------------------------------------------------------------ */

enum { PX_GREY, PX_RGB, PX_CMYK, PX_RGB16, PX_INDEX8, PX_INDEX4, PX_INDEX1 };

/*
 * A grey page of w x h (text-like stripes) with, when mark > 0, a red
 * square of mark x mark pixels; stored as kind.  A palette's entry 1 is
 * the red (PX_INDEX*: palette "grey ramp, red at 1")
 */
static inline buf_t
pixels(int kind, int w, int h, int mark)
{
    buf_t          b = {0};
    unsigned char  px[8];
    size_t         n;
    int            x, y, red, v;
    unsigned       acc = 0, bits = 0, bpp;

    bpp = kind == PX_INDEX4 ? 4 : kind == PX_INDEX1 ? 1 : 8;

    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            red = x >= 10 && x < 10 + mark && y >= 10 && y < 10 + mark;
            v = (y / 6) % 3 == 1 ? 40 : 235;
            n = 0;

            switch (kind) {
            case PX_GREY:
                px[n++] = (unsigned char) v;
                break;
            case PX_RGB:
                px[n++] = red ? 220 : (unsigned char) v;
                px[n++] = red ? 30 : (unsigned char) v;
                px[n++] = red ? 40 : (unsigned char) v;
                break;
            case PX_RGB16:
                px[n++] = red ? 220 : (unsigned char) v;
                px[n++] = 0x55;
                px[n++] = red ? 30 : (unsigned char) v;
                px[n++] = 0xaa;
                px[n++] = red ? 40 : (unsigned char) v;
                px[n++] = 0x11;
                break;
            case PX_CMYK:
                px[n++] = 0;
                px[n++] = red ? 200 : 0;
                px[n++] = red ? 200 : 0;
                px[n++] = red ? 0 : (unsigned char) (255 - v);
                break;
            default:
                /* index 1 red, 0 and 2.. grey */
                acc = acc << bpp | (red ? 1u : bpp > 1 && v >= 128 ? 2u : 0u);
                bits += bpp;
                if (bits == 8) {
                    px[n++] = (unsigned char) acc;
                    acc = bits = 0;
                }
            }
            put(&b, px, n);
        }
        if (bits > 0) {
            unsigned char  c = (unsigned char) (acc << (8 - bits));
            put(&b, &c, 1);
            acc = bits = 0;
        }
    }

    return b;
}


/* --- the PDF ----------------------------------------------------------------- */

/* one page drawing images 5, 6, .. (dicts without /Length, their data) */
static inline buf_t
page_pdf(const char *const *dicts, const buf_t *data, int n)
{
    buf_t       b = {0}, content = {0};
    size_t      off[16];
    int         i, obj = 0;

    putf(&b, "%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n");
    off[++obj] = b.n;
    putf(&b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[++obj] = b.n;
    putf(&b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    off[++obj] = b.n;
    putf(&b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
             "/Resources << /XObject <<");
    for (i = 0; i < n; i++) {
        putf(&b, " /Im%d %d 0 R", i, 5 + i);
        putf(&content, "q 595 0 0 842 0 0 cm /Im%d Do Q\n", i);
    }
    putf(&b, " >> >> /Contents 4 0 R >>\nendobj\n");
    off[++obj] = b.n;
    putf(&b, "4 0 obj\n<< /Length %zu >>\nstream\n", content.n);
    put(&b, content.p, content.n);
    putf(&b, "\nendstream\nendobj\n");
    for (i = 0; i < n; i++) {
        off[++obj] = b.n;
        putf(&b, "%d 0 obj\n<< /Type /XObject /Subtype /Image %s /Length %zu "
                 ">>\nstream\n", obj, dicts[i], data[i].n);
        put(&b, data[i].p, data[i].n);
        putf(&b, "\nendstream\nendobj\n");
    }
    size_t  x = b.n;
    putf(&b, "xref\n0 %d\n0000000000 65535 f \n", obj + 1);
    for (i = 1; i <= obj; i++) {
        putf(&b, "%010zu 00000 n \n", off[i]);
    }
    putf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
         obj + 1, x);

    free(content.p);
    return b;
}


/* that page checked */
static inline ch_check_e
check_page(const char *const *dicts, const buf_t *data, int n,
    ch_file_info_t *info)
{
    buf_t       b;
    ch_check_e  rc;

    b = page_pdf(dicts, data, n);
    rc = ch_pdf_check(b.p, b.n, info);
    free(b.p);
    return rc;
}


/* one image of 600 x 800: the verdict, colour expected or not */
static inline void
expect(const char *dict, const buf_t *data, ch_check_e want, int colour)
{
    ch_file_info_t  info;
    char            d[2048];
    const char     *dicts[1] = { d };
    ch_check_e      rc;

    snprintf(d, sizeof(d), "/Width 600 /Height 800 %s", dict);
    rc = check_page(dicts, data, 1, &info);
    if (rc != want) {
        fail_msg("%s: result %d, %d wanted (%s)", dict, rc, want, info.detail);
    }
    if (rc == CH_CHECK_OK && info.color != colour) {
        fail_msg("%s: color %d (%u per mille)", dict, info.color,
                 info.colored_per_mille);
    }
}


static inline void
free_all(buf_t *a, buf_t *b)
{
    free(a->p);
    free(b->p);
    memset(a, 0, sizeof(*a));
    memset(b, 0, sizeof(*b));
}

#endif /* CERTHALL_PDFPAGE_H */
