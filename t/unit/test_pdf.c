/*
 * lib/ch_pdf.c: ch_pdf_check on PDFs built here, object by object, with
 * exact xref tables or xref streams, around JPEGs made here with libjpeg.
 */

#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <zlib.h>

#include "unit.h"
#include "ch_filecheck.h"


/* --- JPEGs ------------------------------------------------------------------ */

typedef struct {
    unsigned char  *p;
    size_t          n;
} blob_t;

static blob_t  jpeg_colour, jpeg_grey;


/* a scan of a white page with black text lines and, in colour, a red seal */
static blob_t
make_jpeg(int w, int h, int colour)
{
    struct jpeg_compress_struct  c;
    struct jpeg_error_mgr        e;
    unsigned char               *out = NULL, *row;
    unsigned long                len = 0;
    int                          x, y, comps = colour ? 3 : 1, ink, seal;
    blob_t                       b;

    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &len);
    c.image_width = (JDIMENSION) w;
    c.image_height = (JDIMENSION) h;
    c.input_components = comps;
    c.in_color_space = colour ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 80, TRUE);
    jpeg_start_compress(&c, TRUE);

    row = malloc((size_t) w * 3);
    assert_non_null(row);

    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            ink = (y / 8) % 4 == 1 && x > w / 10 && x < w * 9 / 10;
            seal = colour && (x - w * 3 / 4) * (x - w * 3 / 4)
                             + (y - h * 3 / 4) * (y - h * 3 / 4) < (w / 8) * (w / 8);
            if (comps == 1) {
                row[x] = ink ? 30 : 240;
            } else if (seal) {
                row[x * 3] = 220;
                row[x * 3 + 1] = 30;
                row[x * 3 + 2] = 40;
            } else {
                row[x * 3] = row[x * 3 + 1] = row[x * 3 + 2] = ink ? 30 : 240;
            }
        }
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }

    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);

    b.p = out;
    b.n = len;
    return b;
}


static blob_t
deflate_blob(const void *p, size_t n)
{
    blob_t  b;
    uLongf  len = compressBound((uLong) n);

    b.p = malloc(len);
    assert_non_null(b.p);
    assert_int_equal(compress2(b.p, &len, p, (uLong) n, 9), Z_OK);
    b.n = len;
    return b;
}


/*
 * n bytes alternating FF 00, deflated: coloured pixels read as RGB
 * (FF,00,FF), as CMYK (FF,00,FF,00: green) and through a two-entry
 * colour palette; grey as DeviceGray
 */
static blob_t
pattern_flate(size_t n)
{
    unsigned char  *px = malloc(n);
    blob_t          z;
    size_t          i;

    assert_non_null(px);
    for (i = 0; i < n; i++) {
        px[i] = i % 2 ? 0x00 : 0xff;
    }
    z = deflate_blob(px, n);
    free(px);
    return z;
}


/* --- building PDFs ---------------------------------------------------------- */

#define MAXOBJ  64

typedef struct {
    unsigned char  *buf;
    size_t          len, cap;
    int             type[MAXOBJ];       /* 0 free, 1 at off, 2 in stm */
    size_t          off[MAXOBJ];
    int             stm[MAXOBJ];
    int             idx[MAXOBJ];
    int             top;                /* the highest number used */
} pdfb_t;


static void
b_put(pdfb_t *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->buf = realloc(b->buf, b->cap);
        assert_non_null(b->buf);
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}


static void
b_printf(pdfb_t *b, const char *fmt, ...)
{
    va_list  ap;
    char    *s;
    int      n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    b_put(b, s, (size_t) n);
    free(s);
}


static void
b_begin(pdfb_t *b, const char *header)
{
    memset(b, 0, sizeof(*b));
    b_printf(b, "%s\n%%\xe2\xe3\xcf\xd3\n", header ? header : "%PDF-1.7");
}


static void
b_mark(pdfb_t *b, int num)
{
    assert_true(num > 0 && num < MAXOBJ);
    b->type[num] = 1;
    b->off[num] = b->len;
    if (num > b->top) {
        b->top = num;
    }
}


static void
b_obj(pdfb_t *b, int num, const char *body)
{
    b_mark(b, num);
    b_printf(b, "%d 0 obj\n%s\nendobj\n", num, body);
}


static void
b_stream(pdfb_t *b, int num, const char *dict, const void *data, size_t n)
{
    b_mark(b, num);
    b_printf(b, "%d 0 obj\n<< %s /Length %zu >>\nstream\n", num, dict, n);
    b_put(b, data, n);
    b_printf(b, "\nendstream\nendobj\n");
}


/* an object stream num holding objects first, first + 1, .. */
static void
b_objstm(pdfb_t *b, int num, int first, const char *const *bodies, int n)
{
    char    hdr[1024], body[16384], dict[128];
    size_t  hl = 0, bl = 0;
    blob_t  z;
    int     i;

    for (i = 0; i < n; i++) {
        hl += (size_t) snprintf(hdr + hl, sizeof(hdr) - hl, "%d %zu ",
                                first + i, bl);
        bl += (size_t) snprintf(body + bl, sizeof(body) - bl, "%s\n",
                                bodies[i]);
        b->type[first + i] = 2;
        b->stm[first + i] = num;
        b->idx[first + i] = i;
        if (first + i > b->top) {
            b->top = first + i;
        }
    }

    memmove(body + hl, body, bl);
    memcpy(body, hdr, hl);
    z = deflate_blob(body, hl + bl);
    snprintf(dict, sizeof(dict),
             "/Type /ObjStm /N %d /First %zu /Filter /FlateDecode", n, hl);
    b_stream(b, num, dict, z.p, z.n);
    free(z.p);
}


/* the classic ending: an xref table, the trailer, startxref, %%EOF */
static void
b_xref_table(pdfb_t *b, const char *trailer_extra)
{
    size_t  x = b->len;
    int     i;

    b_printf(b, "xref\n0 %d\n0000000000 65535 f \n", b->top + 1);
    for (i = 1; i <= b->top; i++) {
        if (b->type[i] == 1) {
            b_printf(b, "%010zu 00000 n \n", b->off[i]);
        } else {
            b_printf(b, "0000000000 65535 f \n");
        }
    }
    b_printf(b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%zu\n%%%%EOF\n",
             b->top + 1, trailer_extra ? trailer_extra : "", x);
}


static int
paeth(int a, int b, int c)
{
    int  p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}


/* PRED_PNG_BARE: PNG-predicted rows, /DecodeParms left to the caller */
enum { PRED_NONE, PRED_PNG, PRED_TIFF, PRED_PNG_BARE };

/* the PDF 1.5 ending: an xref stream num (W [1 4 2]) of the objects from
   .. top (with an /Index when from > 0), its data plain, or Flate with a
   PNG predictor (each row filtered by another of the five PNG filters) or
   the TIFF one */
static void
b_xref_stream_from(pdfb_t *b, int num, int pred, int from,
    const char *dict_extra)
{
    unsigned char  rows[MAXOBJ * 8], prev[7] = {0}, *r;
    size_t         x, n = 0, k;
    char           dict[512], index[64] = "";
    blob_t         z;
    int            i, a, c;

    b_mark(b, num);
    x = b->off[num];

    for (i = from; i <= b->top; i++) {
        unsigned char  e[7] = {0};
        uint32_t       f2 = 0;
        uint16_t       f3 = 0;

        e[0] = (unsigned char) b->type[i];
        if (b->type[i] == 1) {
            f2 = (uint32_t) b->off[i];
        } else if (b->type[i] == 2) {
            f2 = (uint32_t) b->stm[i];
            f3 = (uint16_t) b->idx[i];
        }
        e[1] = (unsigned char) (f2 >> 24);
        e[2] = (unsigned char) (f2 >> 16);
        e[3] = (unsigned char) (f2 >> 8);
        e[4] = (unsigned char) f2;
        e[5] = (unsigned char) (f3 >> 8);
        e[6] = (unsigned char) f3;

        r = rows + n;
        if (pred == PRED_PNG || pred == PRED_PNG_BARE) {
            *r++ = (unsigned char) (i % 5);
            for (k = 0; k < 7; k++) {
                a = k ? e[k - 1] : 0;
                c = k ? prev[k - 1] : 0;
                switch (i % 5) {
                case 0: r[k] = e[k]; break;
                case 1: r[k] = (unsigned char) (e[k] - a); break;
                case 2: r[k] = (unsigned char) (e[k] - prev[k]); break;
                case 3: r[k] = (unsigned char) (e[k] - ((a + prev[k]) >> 1)); break;
                default: r[k] = (unsigned char) (e[k] - paeth(a, prev[k], c));
                }
            }
            memcpy(prev, e, 7);
            n += 8;
        } else if (pred == PRED_TIFF) {
            for (k = 0; k < 7; k++) {
                r[k] = (unsigned char) (e[k] - (k ? e[k - 1] : 0));
            }
            n += 7;
        } else {
            memcpy(r, e, 7);
            n += 7;
        }
    }

    if (from > 0) {
        snprintf(index, sizeof(index), "/Index [%d %d]", from,
                 b->top - from + 1);
    }
    snprintf(dict, sizeof(dict), "/Type /XRef /Size %d /W [1 4 2] %s "
             "/Root 1 0 R %s %s", b->top + 1, index,
             pred == PRED_PNG ? "/Filter /FlateDecode /DecodeParms "
                                "<< /Predictor 12 /Columns 7 >>"
             : pred == PRED_TIFF ? "/Filter /FlateDecode /DecodeParms "
                                   "<< /Predictor 2 /Columns 7 /Colors 1 "
                                   "/BitsPerComponent 8 >>"
             : pred == PRED_PNG_BARE ? "/Filter /FlateDecode" : "",
             dict_extra ? dict_extra : "");

    if (pred != PRED_NONE) {
        z = deflate_blob(rows, n);
    } else {
        z.p = malloc(n);
        assert_non_null(z.p);
        memcpy(z.p, rows, n);
        z.n = n;
    }

    b->len = x;             /* b_stream marks it again at the same place */
    b_stream(b, num, dict, z.p, z.n);
    free(z.p);
    b_printf(b, "startxref\n%zu\n%%%%EOF\n", x);
}


static void
b_xref_stream(pdfb_t *b, int num, int pred, const char *dict_extra)
{
    b_xref_stream_from(b, num, pred, 0, dict_extra);
}


/* --- the one-page scan and its variants ---------------------------------- */

typedef struct {
    const char           *header;
    const char           *catalog;      /* extra catalog entries */
    const char           *page;         /* extra page entries */
    const char           *image;        /* extra image entries */
    const char           *size;         /* instead of /Width w /Height h */
    const char           *cs;           /* the image's /ColorSpace */
    const char           *filter;       /* the image's /Filter */
    const char           *trailer;      /* extra trailer entries */
    const char           *content;      /* the page's content */
    size_t                content_len;  /* its length, when not strlen */
    const char           *content_dict; /* its stream dictionary's entries */
    const unsigned char  *img;          /* image data */
    size_t                img_len;
    int                   w, h;
    int                   no_image;
    const char           *objs[8];      /* objects 6, 7, .. */
    const char           *members[4];   /* in object stream 20, numbers 21.. */
    int                   xref_stream;  /* 1 + PRED_* */
} scan_t;


static void
scan_pdf(pdfb_t *b, const scan_t *s)
{
    char  buf[1024];
    int   i, n;

    b_begin(b, s->header);

    snprintf(buf, sizeof(buf), "<< /Type /Catalog /Pages 2 0 R %s >>",
             s->catalog ? s->catalog : "");
    b_obj(b, 1, buf);
    b_obj(b, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    snprintf(buf, sizeof(buf),
             "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
             "/Resources << %s >> /Contents 5 0 R %s >>",
             s->no_image ? "/Font << /F1 << /Type /Font /Subtype /Type1 "
                           "/BaseFont /Helvetica >> >>"
                         : "/XObject << /Im0 4 0 R >>",
             s->page ? s->page : "");
    b_obj(b, 3, buf);

    if (!s->no_image) {
        char  size[64];

        snprintf(size, sizeof(size), "/Width %d /Height %d",
                 s->w ? s->w : 600, s->h ? s->h : 800);
        snprintf(buf, sizeof(buf),
                 "/Type /XObject /Subtype /Image %s "
                 "/ColorSpace %s /BitsPerComponent 8 /Filter %s %s",
                 s->size ? s->size : size,
                 s->cs ? s->cs : "/DeviceRGB",
                 s->filter ? s->filter : "/DCTDecode",
                 s->image ? s->image : "");
        b_stream(b, 4, buf, s->img ? s->img : jpeg_colour.p,
                 s->img ? s->img_len : jpeg_colour.n);
    } else {
        b_obj(b, 4, "null");
    }

    if (s->content) {
        b_stream(b, 5, s->content_dict ? s->content_dict : "", s->content,
                 s->content_len ? s->content_len : strlen(s->content));
    } else {
        b_stream(b, 5, "", "q 595 0 0 842 0 0 cm /Im0 Do Q",
                 strlen("q 595 0 0 842 0 0 cm /Im0 Do Q"));
    }

    for (i = 0; i < 8 && s->objs[i]; i++) {
        b_obj(b, 6 + i, s->objs[i]);
    }

    for (n = 0; n < 4 && s->members[n]; n++) {
        /* count */
    }
    if (n > 0) {
        b_objstm(b, 20, 21, s->members, n);
    }

    if (s->xref_stream || n > 0) {
        b_xref_stream(b, 30, s->xref_stream ? s->xref_stream - 1 : 0,
                      s->trailer);
    } else {
        b_xref_table(b, s->trailer);
    }
}


static ch_check_e
check(const pdfb_t *b, ch_file_info_t *info)
{
    unsigned char  *copy;
    ch_check_e      rc;

    /* an exact-size copy, so that ASan sees any read past the end */
    copy = malloc(b->len);
    assert_non_null(copy);
    memcpy(copy, b->buf, b->len);
    rc = ch_pdf_check(copy, b->len, info);
    free(copy);

    return rc;
}


static ch_check_e
check_scan(const scan_t *s, ch_file_info_t *info)
{
    pdfb_t      b;
    ch_check_e  rc;

    scan_pdf(&b, s);
    rc = check(&b, info);
    free(b.buf);

    return rc;
}


static ch_check_e
check_text(const char *pdf, ch_file_info_t *info)
{
    pdfb_t  b;

    memset(&b, 0, sizeof(b));
    b.buf = (unsigned char *) pdf;
    b.len = strlen(pdf);

    return check(&b, info);
}


#define assert_detail(info, s) \
    do { \
        if (strstr((info).detail, (s)) == NULL) { \
            fail_msg("detail \"%s\" lacks \"%s\"", (info).detail, (s)); \
        } \
    } while (0)


/* --- accepted scans ---------------------------------------------------------- */

static void
colour_scan_is_accepted(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};

    (void) state;

    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_int_equal(info.type, CH_FILE_PDF);
    assert_int_equal(info.pages, 1);
    assert_int_equal(info.width, 600);
    assert_int_equal(info.height, 800);
    assert_true(info.color);
    assert_true(info.colored_per_mille >= CH_COLOR_MIN_PER_MILLE);
    assert_string_equal(info.detail, "");

    /* the same with an xref stream: plain, Flate with the PNG predictors,
       Flate with the TIFF one */
    s.xref_stream = 1 + PRED_NONE;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    s.xref_stream = 1 + PRED_PNG;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    s.xref_stream = 1 + PRED_TIFF;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);

    /* PDF 1.0 and 2.0 */
    s.xref_stream = 0;
    s.header = "%PDF-1.0";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    s.header = "%PDF-2.0";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);

    /* the JPEG's own size is the image's, whatever the dictionary says */
    s.header = NULL;
    s.w = 60;
    s.h = 80;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_int_equal(info.width, 600);
    assert_int_equal(info.height, 800);

    /* [/DCTDecode] is a JPEG too */
    s.w = s.h = 0;
    s.filter = "[/DCTDecode]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
}


static void
grey_jpeg_is_grey(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};

    (void) state;

    s.img = jpeg_grey.p;
    s.img_len = jpeg_grey.n;
    s.cs = "/DeviceGray";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);
    assert_int_equal(info.colored_per_mille, 0);
    assert_int_equal(info.width, 600);

    /* the pixels decide, not the colour space's claim */
    s.cs = "/DeviceRGB";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);

    /* a colour JPEG shown through a grey colour space is grey */
    s.img = NULL;
    s.cs = "/DeviceGray";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);
    assert_int_equal(info.colored_per_mille, 0);
}


static void
flate_images_count_by_colour_space(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    blob_t          z;

    (void) state;

    z = pattern_flate(600 * 800 * 4);

    s.img = z.p;
    s.img_len = z.n;
    s.filter = "/FlateDecode";
    s.cs = "/DeviceGray";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);
    assert_int_equal(info.width, 600);
    assert_int_equal(info.height, 800);

    s.cs = "/CalGray";          /* a name here, though it should be an array */
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);
    s.cs = "[/CalGray << /WhitePoint [1 1 1] >>]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);

    s.cs = "/DeviceRGB";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    assert_int_equal(info.colored_per_mille, 1000);

    s.cs = "/DeviceCMYK";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    s.cs = "[/CalRGB << /WhitePoint [1 1 1] >>]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    s.cs = "[/Lab << /WhitePoint [1 1 1] >>]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);

    /* a chain ending in DCTDecode must hold a JPEG (test_pdf_colour) */
    s.filter = "[/FlateDecode /DCTDecode]";
    s.cs = "/DeviceGray";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_DAMAGED);

    /* through a reference */
    s.filter = "/FlateDecode";
    s.cs = "6 0 R";
    s.objs[0] = "/DeviceRGB";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    s.objs[0] = "/DeviceGray";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);

    /* Separation, DeviceN, nothing: grey */
    s.objs[0] = NULL;
    s.cs = "[/Separation /Red /DeviceRGB 7 0 R]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);
    s.cs = "9 0 R";             /* dangling */
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);

    free(z.p);
}


static void
icc_based_colour_spaces(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    blob_t          z;
    const char     *n_of[] = { "/N 3", "/N 4", "/N 1", "/Alternate /DeviceRGB",
                               "/Alternate /DeviceGray", "" };
    int             want[] = { 1, 1, 0, 1, 0, 0 };
    size_t          i;

    (void) state;

    z = pattern_flate(600 * 800 * 4);

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        /* objects 1..5 by scan_pdf, then the ICC stream 6 by hand */
        memset(&s, 0, sizeof(s));
        s.img = z.p;
        s.img_len = z.n;
        s.filter = "/FlateDecode";
        s.cs = "[/ICCBased 6 0 R]";

        b_begin(&b, NULL);
        b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
        b_obj(&b, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
        b_obj(&b, 3, "<< /Type /Page /Parent 2 0 R /Resources << /XObject "
                     "<< /Im0 4 0 R >> >> /Contents 5 0 R >>");
        b_stream(&b, 4, "/Type /XObject /Subtype /Image /Width 600 /Height 800 "
                        "/ColorSpace [/ICCBased 6 0 R] /BitsPerComponent 8 "
                        "/Filter /FlateDecode", z.p, z.n);
        b_stream(&b, 5, "", "/Im0 Do", 7);
        b_stream(&b, 6, n_of[i], "icc-profile-bytes", 17);
        b_xref_table(&b, NULL);

        assert_int_equal(check(&b, &info), CH_CHECK_OK);
        if (info.color != want[i]) {
            fail_msg("ICCBased with \"%s\": color %d", n_of[i], info.color);
        }
        free(b.buf);
    }

    /* the colour space as an object of its own; ICC stream not there */
    s.cs = "7 0 R";
    s.objs[0] = "null";
    s.objs[1] = "[/ICCBased 8 0 R]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);

    free(z.p);
}


static void
indexed_colour_spaces(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    blob_t          z;

    (void) state;

    z = pattern_flate(600 * 800 * 4);
    s.img = z.p;
    s.img_len = z.n;
    s.filter = "/FlateDecode";

    s.cs = "[/Indexed /DeviceRGB 1 <ff0000 00ff00>]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);

    s.cs = "[/Indexed /DeviceGray 1 <00ff>]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);

    s.cs = "[/Indexed [/CalRGB << /WhitePoint [1 1 1] >>] 1 (ab\\)c)]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);

    s.cs = "[/I 6 0 R 1 7 0 R]";
    s.objs[0] = "/DeviceCMYK";
    s.objs[1] = "(lookup)";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);

    s.objs[0] = "[/CalGray << /WhitePoint [1 1 1] >>]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);

    free(z.p);
}


static void
pages_and_the_largest_image(void **state)
{
    ch_file_info_t  info;
    pdfb_t          b;
    blob_t          z;
    size_t          x;

    (void) state;

    z = pattern_flate(1000 * 1400);

    /* two pages; a big grey Flate image, a smaller colour JPEG, a mask */
    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    b_obj(&b, 2, "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>");
    b_obj(&b, 3, "<< /Type /Page /Parent 2 0 R /Resources << /XObject "
                 "<< /Im0 4 0 R >> >> /Contents 5 0 R >>");
    b_stream(&b, 4, "/Type /XObject /Subtype /Image /Width 1000 /Height 1400 "
                    "/ColorSpace /DeviceGray /BitsPerComponent 8 "
                    "/Filter /FlateDecode /SMask 8 0 R /Mask 10 0 R", z.p, z.n);
    b_stream(&b, 5, "", "/Im0 Do", 7);
    b_obj(&b, 6, "<< /Type /Page /Parent 2 0 R /Resources << /XObject "
                 "<< /Im1 7 0 R >> >> /Contents 5 0 R >>");
    b_stream(&b, 7, "/Type /XObject /Subtype /Image /Width 600 /Height 800 "
                    "/ColorSpace /DeviceRGB /BitsPerComponent 8 "
                    "/Filter /DCTDecode", jpeg_colour.p, jpeg_colour.n);
    /* the soft mask, larger still, and an image mask: neither counts */
    b_stream(&b, 8, "/Type /XObject /Subtype /Image /Width 2000 /Height 2800 "
                    "/ColorSpace /DeviceGray /BitsPerComponent 8 "
                    "/Filter /FlateDecode", z.p, z.n);
    b_stream(&b, 9, "/Type /XObject /Subtype /Image /Width 3000 /Height 3000 "
                    "/ImageMask true /BitsPerComponent 1 /Filter /FlateDecode",
             z.p, z.n);
    b_stream(&b, 10, "/Type /XObject /Subtype /Image /Width 2500 /Height 2500 "
                     "/ColorSpace /DeviceGray /BitsPerComponent 8 "
                     "/Filter /FlateDecode", z.p, z.n);
    b_xref_table(&b, NULL);

    assert_int_equal(check(&b, &info), CH_CHECK_OK);
    assert_int_equal(info.pages, 2);
    assert_int_equal(info.width, 1000);
    assert_int_equal(info.height, 1400);
    assert_true(info.color);
    assert_true(info.colored_per_mille > 0 && info.colored_per_mille < 1000);

    /* an incremental update replaces page 6 and the colour image 7 by a
       grey one: pages still 2, no colour */
    {
        size_t  prev = 0, i;
        char   *sx;

        /* the startxref of the first revision */
        sx = memmem(b.buf, b.len, "startxref\n", 10);
        assert_non_null(sx);
        prev = strtoul(sx + 10, NULL, 10);

        b_obj(&b, 6, "<< /Type /Page /Parent 2 0 R /Resources << /XObject "
                     "<< /Im1 7 0 R >> >> /Contents 5 0 R /Rotate 90 >>");
        b_stream(&b, 7, "/Type /XObject /Subtype /Image /Width 600 /Height 800 "
                        "/ColorSpace /DeviceGray /BitsPerComponent 8 "
                        "/Filter /DCTDecode", jpeg_grey.p, jpeg_grey.n);
        x = b.len;
        b_printf(&b, "xref\n0 1\n0000000000 65535 f \n6 2\n");
        for (i = 6; i <= 7; i++) {
            b_printf(&b, "%010zu 00000 n \n", b.off[i]);
        }
        b_printf(&b, "trailer\n<< /Size 11 /Root 1 0 R /Prev %zu >>\n"
                     "startxref\n%zu\n%%%%EOF\n", prev, x);
    }

    assert_int_equal(check(&b, &info), CH_CHECK_OK);
    assert_int_equal(info.pages, 2);
    assert_false(info.color);

    free(b.buf);
    free(z.p);
}


static void
stream_lengths(void **state)
{
    ch_file_info_t  info;
    pdfb_t          b;

    (void) state;

    /* an indirect /Length: the data ends at endstream */
    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    b_obj(&b, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    b_obj(&b, 3, "<< /Type /Page /Parent 2 0 R /Resources << /XObject "
                 "<< /Im0 4 0 R >> >> /Contents 5 0 R >>");
    b_mark(&b, 4);
    b_printf(&b, "4 0 obj\n<< /Subtype /Image /Width 600 /Height 800 "
                 "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode "
                 "/Length 6 0 R >>\nstream\r\n");
    b_put(&b, jpeg_colour.p, jpeg_colour.n);
    b_printf(&b, "\r\nendstream\nendobj\n");
    b_stream(&b, 5, "", "/Im0 Do", 7);
    b_obj(&b, 6, "12345");      /* wrong, and never used */
    b_xref_table(&b, NULL);

    assert_int_equal(check(&b, &info), CH_CHECK_OK);
    assert_true(info.color);
    free(b.buf);
}


/* --- active content ------------------------------------------------------------ */

static const char  *active_names[] = {
    "JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles",
    "RichMedia", "SubmitForm", "ImportData", "GoToE", "XFA", "EF",
    "FileAttachment",
};


/* /Name with its i-th character written as #xx */
static void
escape_name(char *out, const char *name, size_t i)
{
    size_t  k;

    for (k = 0; name[k]; k++) {
        if (k == i) {
            out += sprintf(out, "#%02X", (unsigned char) name[k]);
        } else {
            *out++ = name[k];
        }
    }
    *out = '\0';
}


static void
active_names_are_refused(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    char            name[64], esc[96], buf[256], want[80];
    size_t          i, k;

    (void) state;

    for (i = 0; i < sizeof(active_names) / sizeof(active_names[0]); i++) {
        snprintf(want, sizeof(want), "/%s in ", active_names[i]);

        /* plainly, as a value in the catalog */
        memset(&s, 0, sizeof(s));
        snprintf(buf, sizeof(buf), "/Foo /%s", active_names[i]);
        s.catalog = buf;
        assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);
        assert_detail(info, want);
        assert_detail(info, "object 1");

        /* as a key, deep down in another object */
        snprintf(buf, sizeof(buf), "<< /A [ 1 << /B << /%s 2 >> >> ] >>",
                 active_names[i]);
        s.catalog = NULL;
        s.objs[0] = buf;
        assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);
        assert_detail(info, "object 6");

        /* every character escaped in turn */
        strcpy(name, active_names[i]);
        for (k = 0; k < strlen(name); k++) {
            escape_name(esc, name, k);
            snprintf(buf, sizeof(buf), "/Foo /%s", esc);
            memset(&s, 0, sizeof(s));
            s.catalog = buf;
            assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);
            assert_detail(info, want);
        }

        /* inside an object stream, with an xref stream */
        memset(&s, 0, sizeof(s));
        snprintf(buf, sizeof(buf), "<< /Foo /%s >>", active_names[i]);
        s.members[0] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
        s.members[1] = buf;
        assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);
        assert_detail(info, want);
        assert_detail(info, "object 22 in object stream 20");
    }

    /* the real thing: an /OpenAction running JavaScript */
    memset(&s, 0, sizeof(s));
    s.catalog = "/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);
    assert_string_equal(info.detail, "pdf: /JavaScript in object 1");

    s.catalog = "/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);

    s.catalog = "/OpenAction 21 0 R";
    s.members[0] = "<< /S /JavaScript /JS (app.alert(1)) >>";
    s.xref_stream = 1 + PRED_PNG;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);
    assert_detail(info, "object 21 in object stream 20");

    /* in the trailer */
    memset(&s, 0, sizeof(s));
    s.trailer = "/Info << /Launch 1 >>";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);
    assert_detail(info, "the trailer");

    /* names are case sensitive; look-alikes are fine */
    s.trailer = "/Info << /javascript 1 /JavaScripts 2 /JSX 3 /Launched 4 >>";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
}


static void
javascript_as_text_is_fine(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};

    (void) state;

    /* in strings */
    s.trailer = "/Info 6 0 R";
    s.objs[0] = "<< /Title (about /JavaScript and /JS \\(/Launch\\)) "
                "/Subject <2F4A617661536372697074> /Keywords (a (/XFA) b) >>";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);

    /* in a content stream, as text and even as a resource name */
    memset(&s, 0, sizeof(s));
    s.content = "q 595 0 0 842 0 0 cm /Im0 Do Q BT /F1 12 Tf 72 72 Td "
                "(JavaScript) Tj /JavaScript 12 Tf (/Launch /EmbeddedFile) Tj ET";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);

    /* in a comment */
    memset(&s, 0, sizeof(s));
    s.catalog = "% /JavaScript\n/Lang (en)";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
}


static void
encrypted_is_refused(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};

    (void) state;

    s.trailer = "/Encrypt 6 0 R /ID [<00112233> <00112233>]";
    s.objs[0] = "<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 "
                "/O <00> /U <00> >>";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ENCRYPTED);
    assert_detail(info, "/Encrypt in the trailer");

    /* in an xref stream's dictionary */
    s.xref_stream = 1;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ENCRYPTED);
    assert_detail(info, "xref stream");

    /* /Encrypt elsewhere means nothing */
    memset(&s, 0, sizeof(s));
    s.catalog = "/Foo << /Encrypt 1 >>";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
}


static void
no_image_is_refused(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    blob_t          z;

    (void) state;

    s.no_image = 1;
    s.content = "BT /F1 24 Tf 72 720 Td (Hello) Tj ET";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_NO_IMAGE);
    assert_int_equal(info.pages, 1);

    /* an image mask alone is no scan */
    memset(&s, 0, sizeof(s));
    z = pattern_flate(64);
    s.img = z.p;
    s.img_len = z.n;
    s.filter = "/FlateDecode";
    s.image = "/ImageMask true";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_NO_IMAGE);

    /* nor is an image dictionary that is no stream (object stream member) */
    memset(&s, 0, sizeof(s));
    s.no_image = 1;
    s.content = "BT ET";
    s.members[0] = "<< /Subtype /Image /Width 600 /Height 800 >>";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_NO_IMAGE);

    free(z.p);
}


static void
damaged_jpeg_is_refused(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    unsigned char  *j;
    size_t          i;

    (void) state;

    /* cut in the middle: premature end of data */
    s.img = jpeg_colour.p;
    s.img_len = jpeg_colour.n / 2;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_DAMAGED);
    assert_detail(info, "image 4");

    /* corrupt entropy-coded data */
    j = malloc(jpeg_colour.n);
    assert_non_null(j);
    memcpy(j, jpeg_colour.p, jpeg_colour.n);
    for (i = jpeg_colour.n / 2; i < jpeg_colour.n / 2 + 200; i++) {
        j[i] = 0xff;
    }
    s.img = j;
    s.img_len = jpeg_colour.n;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_DAMAGED);

    /* no JPEG at all */
    s.img = (const unsigned char *) "GIF89a......";
    s.img_len = 12;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_DAMAGED);

    /* something after its EOI inside the stream */
    j = realloc(j, jpeg_colour.n + 10);
    memcpy(j, jpeg_colour.p, jpeg_colour.n);
    memcpy(j + jpeg_colour.n, "PK\3\4zipzip", 10);
    s.img = j;
    s.img_len = jpeg_colour.n + 10;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_DAMAGED);

    /* but a line end there is tolerated */
    memcpy(j + jpeg_colour.n, "\r\n", 2);
    s.img_len = jpeg_colour.n + 2;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);

    free(j);
}


static void
too_many_pixels(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    blob_t          z;

    (void) state;
    z = pattern_flate(600 * 800 * 4);
    s.img = z.p;
    s.img_len = z.n;
    s.filter = "/FlateDecode";
    s.w = 40000;
    s.h = 10;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_TOO_MANY_PIXELS);
    s.w = 10000;
    s.h = 10000;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_TOO_MANY_PIXELS);
    assert_int_equal(info.width, 10000);

    /* a JPEG image declared huge is not decoded */
    s.img = NULL;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_TOO_MANY_PIXELS);

    /* nor one whose own header says 8192 x 8192 under a small /Width */
    {
        unsigned char  *j = malloc(jpeg_colour.n);
        size_t          i;

        assert_non_null(j);
        memcpy(j, jpeg_colour.p, jpeg_colour.n);
        for (i = 2; i + 9 < jpeg_colour.n; i++) {
            if (j[i] == 0xff && j[i + 1] == 0xc0) {
                j[i + 5] = 0x20;        /* height */
                j[i + 6] = 0;
                j[i + 7] = 0x20;        /* width */
                j[i + 8] = 0;
                break;
            }
        }
        s.img = j;
        s.img_len = jpeg_colour.n;
        s.filter = NULL;
        s.w = 600;
        s.h = 800;
        assert_int_equal(check_scan(&s, &info), CH_CHECK_TOO_MANY_PIXELS);
        assert_detail(info, "image 4");
        free(j);
        s.img = z.p;
        s.img_len = z.n;
        s.filter = "/FlateDecode";
    }

    /* sizes must be direct positive integers */
    s.size = "/Width 12.5 /Height 800";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "direct positive /Width");
    s.size = "/Width 600 /Height 6 0 R";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    s.size = "/Width 600 /Height 0";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    s.size = "/Width 600";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);

    /* a key read twice: which one? */
    s.size = "/Width 600 /Height 800 /Width 601";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "/Width twice in a dictionary of object 4");
    s.size = NULL;
    s.image = "/Length 5";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    s.image = "/Foo 1 /Foo 2";  /* keys not read may repeat */
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    free(z.p);
}


/* --- the frame ------------------------------------------------------------------ */

static void
bad_headers(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    unsigned char  *p;

    (void) state;

    s.header = "%PDF-9.0";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    s.header = "%PDF-1.8";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    s.header = "%PDF-1.45";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    s.header = "%PDF-";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);

    /* junk before %PDF (the xref shifted with it, to be fair) */
    s.header = NULL;
    scan_pdf(&b, &s);
    p = malloc(b.len + 6);
    memcpy(p, "GIF89a", 6);
    memcpy(p + 6, b.buf, b.len);
    free(b.buf);
    b.buf = p;
    b.len += 6;
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "%PDF- at byte 0");
    free(b.buf);

    assert_int_equal(check_text("", &info), CH_CHECK_PDF_MALFORMED);
    assert_int_equal(check_text("%PDF-1.4", &info), CH_CHECK_PDF_MALFORMED);
    assert_int_equal(check_text("%PDF-1.4\n%%EOF", &info),
                     CH_CHECK_PDF_MALFORMED);
}


static void
truncated_files_are_refused(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    size_t          cut, len;
    ch_check_e      rc;

    (void) state;

    scan_pdf(&b, &s);
    len = b.len;

    /* the last byte is the line end after %%EOF: without it still fine */
    b.len = len - 1;
    assert_int_equal(check(&b, &info), CH_CHECK_OK);

    for (cut = 6; cut < len; cut += cut < 3000 ? 1 : 997) {
        b.len = len - cut;
        rc = check(&b, &info);
        if (rc != CH_CHECK_PDF_MALFORMED) {
            fail_msg("cut %zu: %d (%s)", cut, rc, info.detail);
        }
    }

    b.len = len - 100;
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "no %%EOF");

    free(b.buf);
}


static void
startxref_must_point_at_the_xref(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    char           *sx, tail[64];
    size_t          at;

    (void) state;

    scan_pdf(&b, &s);
    sx = memmem(b.buf, b.len, "startxref\n", 10);
    assert_non_null(sx);
    at = (size_t) (sx - (char *) b.buf);

    /* beyond the end */
    b.len = at;
    snprintf(tail, sizeof(tail), "startxref\n9999999\n%%%%EOF\n");
    b_printf(&b, "%s", tail);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_string_equal(info.detail, "pdf: startxref 9999999 outside the file");

    /* inside, but at nothing */
    b.len = at;
    b_printf(&b, "startxref\n20\n%%%%EOF\n");
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "neither xref nor an object");

    /* at an object that is no xref stream */
    b.len = at;
    b_printf(&b, "startxref\n%zu\n%%%%EOF\n", b.off[2]);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "points at no xref");

    /* missing */
    b.len = at;
    b_printf(&b, "%%%%EOF\n");
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "startxref");

    free(b.buf);
}


static void
eof_and_trailing_data(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    size_t          len, i;

    (void) state;

    scan_pdf(&b, &s);
    len = b.len;

    /* a polyglot's second half */
    b_printf(&b, "<html><script>alert(1)</script></html>\n");
    assert_int_equal(check(&b, &info), CH_CHECK_TRAILING_DATA);
    assert_detail(info, "after %%EOF");

    /* a little white space is a line end; more is padding for something */
    b.len = len;
    b_put(&b, "\r\n\0\n", 4);
    assert_int_equal(check(&b, &info), CH_CHECK_OK);
    b.len = len;
    for (i = 0; i < 15; i++) {
        b_put(&b, " ", 1);
    }
    assert_int_equal(check(&b, &info), CH_CHECK_OK);
    b_put(&b, " ", 1);
    assert_int_equal(check(&b, &info), CH_CHECK_TRAILING_DATA);

    /* so much after %%EOF that it is no longer at the end */
    b.len = len;
    for (i = 0; i < 1100; i++) {
        b_put(&b, "A", 1);
    }
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);

    /* %%EOF missing altogether */
    b.len = len - 6;
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "no %%EOF");

    free(b.buf);
}


/* --- the walk -------------------------------------------------------------------- */

static void
depth_bombs_are_malformed(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    char           *deep;
    size_t          i, n = 100000;

    (void) state;

    deep = malloc(n * 2 + 16);
    assert_non_null(deep);

    /* 31 arrays inside the catalog: 32 deep, the most allowed */
    strcpy(deep, "/X ");
    for (i = 0; i < 31; i++) {
        strcat(deep, "[");
    }
    for (i = 0; i < 31; i++) {
        strcat(deep, "]");
    }
    s.catalog = deep;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);

    /* one more */
    strcpy(deep, "/X [");
    for (i = 0; i < 31; i++) {
        strcat(deep, "[");
    }
    for (i = 0; i < 32; i++) {
        strcat(deep, "]");
    }
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "nested deeper than 32");

    /* 100000 deep */
    memcpy(deep, "/X ", 3);
    memset(deep + 3, '[', n);
    memset(deep + 3 + n, ']', n);
    deep[3 + 2 * n] = '\0';
    s.catalog = NULL;
    s.objs[0] = deep + 3;
    {
        /* scan_pdf's buffers are small: build this one by hand */
        pdfb_t  b;

        b_begin(&b, NULL);
        b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
        b_obj(&b, 2, deep + 3);
        b_xref_table(&b, NULL);
        assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
        assert_detail(info, "nested deeper than");
        free(b.buf);

        /* dictionaries: << /A << /A << ... */
        free(deep);
        deep = malloc(n * 7 + 1);
        assert_non_null(deep);
        for (i = 0; i < n; i++) {
            memcpy(deep + i * 5, "<</A ", 5);
        }
        for (i = 0; i < n; i++) {
            memcpy(deep + n * 5 + i * 2, ">>", 2);
        }
        deep[n * 7] = '\0';
        b_begin(&b, NULL);
        b_obj(&b, 1, deep);
        b_xref_table(&b, NULL);
        assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
        assert_detail(info, "nested deeper than");
        free(b.buf);
    }

    free(deep);
}


static void
object_stream_bombs_are_malformed(void **state)
{
    ch_file_info_t  info;
    pdfb_t          b;
    unsigned char  *big;
    size_t          n = (16u << 20) + 4096;
    blob_t          z;
    char            dict[128];

    (void) state;

    big = malloc(n);
    assert_non_null(big);
    memcpy(big, "21 0 ", 5);
    memset(big + 5, ' ', n - 5);
    memcpy(big + n - 5, "null ", 5);
    z = deflate_blob(big, n);
    assert_true(z.n < 100000);

    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    b_obj(&b, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
    snprintf(dict, sizeof(dict), "/Type /ObjStm /N 1 /First 5 "
             "/Filter /FlateDecode");
    b_stream(&b, 20, dict, z.p, z.n);
    b.type[21] = 2;
    b.stm[21] = 20;
    b.top = 21;
    b_xref_stream(&b, 30, 0, NULL);

    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "inflates beyond");
    free(b.buf);

    /* in a file large enough for the whole budget, one stream still stops
       at 16 MiB */
    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    b_obj(&b, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
    memset(big, 'x', 3u << 20);
    b_stream(&b, 3, "", big, 3u << 20);
    b_stream(&b, 20, dict, z.p, z.n);      /* the 16 MiB + 4 KiB one */
    b.type[21] = 2;
    b.stm[21] = 20;
    b.top = 21;
    b_xref_stream(&b, 30, 0, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "inflates beyond 16777216 bytes");
    free(b.buf);

    /* a small file: a 3 MiB object stream is fine, a second one is not */
    {
        size_t  m = 3u << 20;
        blob_t  z3;

        memcpy(big, "21 0 ", 5);
        memset(big + 5, ' ', m - 10);
        memcpy(big + m - 5, "null ", 5);
        z3 = deflate_blob(big, m);

        b_begin(&b, NULL);
        b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
        b_obj(&b, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
        b_stream(&b, 20, dict, z3.p, z3.n);
        b.type[21] = 2;
        b.stm[21] = 20;
        b.top = 21;
        b_xref_stream(&b, 30, 0, NULL);
        assert_int_equal(check(&b, &info), CH_CHECK_PDF_NO_IMAGE);

        b.len = b.off[30];
        big[1] = '2';
        free(z3.p);
        z3 = deflate_blob(big, m);
        b_stream(&b, 23, "/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode",
                 z3.p, z3.n);
        b.type[22] = 2;
        b.stm[22] = 23;
        b_xref_stream(&b, 30, 0, NULL);
        assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
        assert_detail(info, "object stream 23 inflates beyond");
        free(b.buf);
        free(z3.p);
    }

    /* corrupt and unsupported object streams */
    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    b_stream(&b, 20, "/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode",
             "xxxxxxxxxx", 10);
    b_xref_table(&b, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "corrupt Flate data");
    free(b.buf);

    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    b_stream(&b, 20, "/Type /ObjStm /N 1 /First 5 /Filter /ASCIIHexDecode",
             "3231203020", 10);
    b_xref_table(&b, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "other than /FlateDecode");
    free(b.buf);

    /* too many objects */
    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    b_stream(&b, 20, "/Type /ObjStm /N 200000 /First 5", "21 0 null", 9);
    b_xref_table(&b, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    free(b.buf);

    free(z.p);
    free(big);
}


static void
hidden_objects_are_malformed(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    const char     *hidden = "9 0 obj\n<< /S /JavaScript /JS (x) >>\nendobj\n";
    char           *data;
    size_t          at;

    (void) state;

    /* an object inside a stream's data, reached through the xref */
    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R /OpenAction 9 0 R >>");
    b_obj(&b, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
    b_mark(&b, 3);
    b_printf(&b, "3 0 obj\n<< /Length %zu >>\nstream\n", strlen(hidden) + 4);
    at = b.len + 3;
    b_printf(&b, "BT\n%sET\nendstream\nendobj\n", hidden);
    b.type[9] = 1;
    b.off[9] = at;
    b.top = 9;
    b_xref_table(&b, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "the xref puts object 9 at");
    free(b.buf);

    /* an xref entry off by a few bytes */
    scan_pdf(&b, &s);
    data = memmem(b.buf, b.len, "xref\n", 5);
    assert_non_null(data);
    data = strstr(data, "00000 n");       /* object 1's entry */
    assert_non_null(data);
    data[-2] = (char) (data[-2] + 1);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    free(b.buf);

    /* an object stream whose offsets point into a string */
    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    {
        const char  *c = "21 0 22 5 (abc << /S /JavaScript >> ) null ";
        blob_t       z = deflate_blob(c, strlen(c));

        b_stream(&b, 20, "/Type /ObjStm /N 2 /First 10 /Filter /FlateDecode",
                 z.p, z.n);
        free(z.p);
    }
    b_xref_table(&b, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    free(b.buf);

    /* a /Prev into nowhere */
    memset(&s, 0, sizeof(s));
    s.trailer = "/Prev 20";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "/Prev 20");

    /* compressed entries must name an object stream and an index in it */
    memset(&s, 0, sizeof(s));
    s.members[0] = "<< /A 1 >>";
    scan_pdf(&b, &s);
    assert_int_equal(check(&b, &info), CH_CHECK_OK);
    free(b.buf);
}


static void
xref_streams(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    size_t          first;
    char            extra[64], *q;

    (void) state;

    /* an incremental update ending in an xref stream of objects 3 .. 31
       (/Index), its /Prev the first xref stream */
    scan_pdf(&b, &(scan_t) { .xref_stream = 1 + PRED_PNG });
    first = b.off[30];
    b_obj(&b, 3, "<< /Type /Page /Parent 2 0 R /Resources << /XObject "
                 "<< /Im0 4 0 R >> >> /Contents 5 0 R /Rotate 90 >>");
    memset(b.type, 0, 3 * sizeof(b.type[0]));
    snprintf(extra, sizeof(extra), "/Prev %zu", first);
    b_xref_stream_from(&b, 31, PRED_PNG, 3, extra);
    assert_int_equal(check(&b, &info), CH_CHECK_OK);
    assert_int_equal(info.pages, 1);
    assert_true(info.color);

    /* its /Prev pointing elsewhere */
    q = memmem(b.buf + first + 10, b.len - first - 10, extra, strlen(extra));
    assert_non_null(q);
    q[strlen(extra) - 1] = q[strlen(extra) - 1] == '0' ? '1' : '0';
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "/Prev");
    free(b.buf);

    /* an /Index that asks for more entries than there are */
    s.xref_stream = 1 + PRED_NONE;
    s.trailer = "/Index [0 40]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "shorter than its entries");
    s.trailer = "/Index [0 7 9]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    s.trailer = "/W [1 2]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    s.trailer = "/DecodeParms << /Predictor 12 /Columns 7 >>";  /* no filter */
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);

    /* predictors that cannot be */
    s.xref_stream = 1 + PRED_PNG_BARE;
    s.trailer = "/DecodeParms [<< /Predictor 15 /Columns 7 >>]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    s.trailer = "/DecodeParms << /Predictor 7 >>";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "unsupported /DecodeParms");
    s.trailer = "/DecodeParms << /Predictor 12 /Columns 7 /BitsPerComponent 3 >>";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);

    /* a compressed entry naming an index the object stream does not have */
    memset(&s, 0, sizeof(s));
    s.members[0] = "<< /A 1 >>";
    scan_pdf(&b, &s);
    b.len = b.off[30];
    b.idx[21] = 5;
    b_xref_stream(&b, 30, PRED_NONE, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "the entry of object 21");

    /* or an object that is no object stream */
    b.len = b.off[30];
    b.idx[21] = 0;
    b.stm[21] = 2;
    b_xref_stream(&b, 30, PRED_NONE, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    free(b.buf);

    /* an object stream member holding two values */
    memset(&s, 0, sizeof(s));
    s.members[0] = "<< /A 1 >> 5";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "more than one value");

    /* a colour space that refers to itself, round and round */
    memset(&s, 0, sizeof(s));
    s.filter = "/FlateDecode";
    s.img = (const unsigned char *) "x";
    s.img_len = 1;
    s.cs = "6 0 R";
    s.objs[0] = "7 0 R";
    s.objs[1] = "6 0 R";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);
}


static void
syntax_errors_are_malformed(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    const char     *bad[] = {
        "<< /A (unterminated >>",
        "<< /A <12G4> >>",
        "<< /A 1 /B >>",
        "<< 1 2 >>",
        "<< /A [1 2 >>",
        "<< /A 1 ] >>",
        "<< /A 1e5 >>",
        "<< /A --1 >>",
        "<< /A { } >>",
        "<< /A foo >>",
        "<< /A 1 R >>",
        "<< /Java#zzScript 1 >>",
        "<< /A#00B 1 >>",
        "<< /A 1 >> 2",
        "<< /A ) >>",
        "<< /A > >>",
        "<< /A -1 0 R >>",
        "<< /A 1 0 obj >>",
    };
    size_t          i;

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&s, 0, sizeof(s));
        s.objs[0] = bad[i];
        if (check_scan(&s, &info) != CH_CHECK_PDF_MALFORMED) {
            fail_msg("accepted object 6 %s", bad[i]);
        }
    }

    /* fine ones */
    memset(&s, 0, sizeof(s));
    s.objs[0] = "<< /A (nested (parens) and \\) escapes\\\\) /B <41 42\n43> "
                "/C [-1 +2 .5 -.5 3. true false null /] /D<</E 1 0 R>> "
                "/#41#42 1 >>";
    s.objs[1] = "[1 2 3]";
    s.objs[2] = "42";
    s.objs[3] = "";             /* "9 0 obj endobj": null */
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);

    /* junk between objects */
    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    b_printf(&b, "garbage\n");
    b_obj(&b, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
    b_xref_table(&b, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "outside any object");
    free(b.buf);

    /* a missing endobj */
    b_begin(&b, NULL);
    b_mark(&b, 1);
    b_printf(&b, "1 0 obj\n<< /Type /Catalog >>\n");
    b_obj(&b, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
    b_xref_table(&b, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    free(b.buf);

    /* a stream without endstream */
    b_begin(&b, NULL);
    b_mark(&b, 1);
    b_printf(&b, "1 0 obj\n<< /Length 5 >>\nstream\nabcdefgh\n");
    b_xref_table(&b, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "without endstream");
    free(b.buf);

    /* "stream" not followed by a line end */
    b_begin(&b, NULL);
    b_mark(&b, 1);
    b_printf(&b, "1 0 obj\n<< /Length 5 >>\nstream abcde\nendstream\nendobj\n");
    b_xref_table(&b, NULL);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    free(b.buf);
}


/* --- what producers write (issue 19) ---------------------------------------- */

/* Pillow, mutool clean -gggg and PyMuPDF: "0000000000 65536 f" */
static void
free_entries_generation_65536(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    char           *q;

    (void) state;

    scan_pdf(&b, &s);
    q = memmem(b.buf, b.len, "0000000000 65535 f", 18);
    assert_non_null(q);
    memcpy(q + 11, "65536", 5);
    assert_int_equal(check(&b, &info), CH_CHECK_OK);
    assert_true(info.color);

    /* an object in use cannot have it */
    q = memmem(b.buf, b.len, " 00000 n", 8);
    assert_non_null(q);
    memcpy(q + 1, "65536", 5);
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_MALFORMED);
    assert_detail(info, "bad xref entry");
    free(b.buf);
}


/* Ghostscript's pdfwrite: FF D9 FF D9 at the end of each JPEG */
static void
ghostscript_doubled_eoi(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    unsigned char  *j;

    (void) state;

    j = malloc(jpeg_colour.n + 4);
    assert_non_null(j);
    memcpy(j, jpeg_colour.p, jpeg_colour.n);
    memcpy(j + jpeg_colour.n, "\xff\xd9\xff\xd9", 4);
    s.img = j;
    s.img_len = jpeg_colour.n + 2;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    assert_int_equal(info.width, 600);

    /* three, and a line end */
    s.img_len = jpeg_colour.n + 4;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);

    /* an EOI, then something else */
    memcpy(j + jpeg_colour.n, "\xff\xd9PK", 4);
    assert_int_equal(check_scan(&s, &info), CH_CHECK_DAMAGED);

    free(j);
}


/* a page drawn with "BI .. ID <data> EI" (reportlab's drawInlineImage) */
static void
inline_images_are_scans(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    blob_t          c, z;
    char            head[256], form[512];
    const char     *tail = "\nEI Q\n";
    size_t          hl;

    (void) state;

    /* content: q cm BI .. ID <the colour JPEG> EI Q, Flate-encoded */
    hl = (size_t) snprintf(head, sizeof(head),
                           "%% a comment\nq 595 0 0 842 0 0 cm\nBI /W 600 /H 800"
                           " /CS /RGB /BPC 8 /F /DCT /D [0 1 0 1 0 1]\nID ");
    c.n = hl + jpeg_colour.n + strlen(tail);
    c.p = malloc(c.n);
    assert_non_null(c.p);
    memcpy(c.p, head, hl);
    memcpy(c.p + hl, jpeg_colour.p, jpeg_colour.n);
    memcpy(c.p + hl + jpeg_colour.n, tail, strlen(tail));

    s.no_image = 1;
    s.content = (const char *) c.p;
    s.content_len = c.n;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    assert_int_equal(info.width, 600);
    assert_int_equal(info.height, 800);

    z = deflate_blob(c.p, c.n);
    s.content = (const char *) z.p;
    s.content_len = z.n;
    s.content_dict = "/Filter /FlateDecode";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    free(z.p);

    /* an abbreviated grey colour space vetoes the JPEG's colour */
    memcpy(strstr((char *) c.p, "/CS /RGB"), "/CS /G  ", 8);
    s.content = (const char *) c.p;
    s.content_len = c.n;
    s.content_dict = NULL;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);

    /* a damaged inline JPEG is damaged */
    memcpy(strstr((char *) c.p, "/CS /G  "), "/CS /RGB", 8);
    memset(c.p + hl + jpeg_colour.n / 2, 0xff, 100);
    assert_int_equal(check_scan(&s, &info), CH_CHECK_DAMAGED);
    free(c.p);

    /* an image mask is a stencil, no scan (as an /ImageMask XObject); an
       image without a size is none */
    s.content = "BI /W 600 /H 800 /IM true /BPC 1 ID \x01\x02 EI";
    s.content_len = 0;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_NO_IMAGE);
    s.content = "BI /W 600 /BPC 8 /CS /RGB ID \x01\x02\x03 EI";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_NO_IMAGE);

    /* uncompressed RGB, with /L (PDF 2.0) and "EI" inside its data */
    s.content = "q BI /Width 3 /Height 1 /ColorSpace /DeviceRGB "
                "/BitsPerComponent 8 /L 9 ID \nab EI cd\n EI Q";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    s.content = "BI /W 2 /H 1 /CS /G /BPC 8 ID \nab EI Q";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);

    /* its pixels judged: grey stored as RGB is grey (through ASCIIHex),
       CMYK ink is colour, too little data is damaged */
    s.content = "BI /W 2 /H 1 /CS /RGB /BPC 8 /F /AHx ID 8080817f7f80> EI";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_false(info.color);
    s.content = "BI /W 1 /H 1 /CS /CMYK /BPC 8 /F /AHx ID 00ff ff00> EI";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);
    s.content = "BI /W 4 /H 1 /CS /RGB /BPC 8 ID \nabcdef EI";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_DAMAGED);

    /* in a form XObject the page draws */
    snprintf(form, sizeof(form), "<< /Type /XObject /Subtype /Form "
             "/BBox [0 0 1 1] /Length 47 >>\nstream\n"
             "BI /W 2 /H 1 /CS /RGB /BPC 8 ID \nabcdef\nEI Q\n"
             "\nendstream");
    memset(&s, 0, sizeof(s));
    s.no_image = 1;
    s.content = "/Fm0 Do";
    s.objs[0] = form;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
    assert_true(info.color);

    /* active content in an inline image's dictionary is active */
    memset(&s, 0, sizeof(s));
    s.no_image = 1;
    s.content = "BI /W 600 /H 800 /CS /RGB /JS 1 ID \nab EI";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);

    /* content that makes no sense after an inline image: still found */
    s.content = "BI /W 2 /H 1 /CS /RGB /BPC 8 ID \nabcdef EI } ) junk";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_OK);
}


/*
 * An inline image in a form (as reportlab and scan tools draw a page):
 * its dictionary read by the XObject decoder, with a /CS named in the
 * form's resources; the verdict and its colour
 */
static void
inline_form(const char *resources, const char *bi, const void *data,
    size_t dlen, ch_check_e want, int colour)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    char            form[1024];
    size_t          hl;

    hl = (size_t) snprintf(form, sizeof(form), "<< /Type /XObject /Subtype "
                           "/Form /BBox [0 0 1 1] /Resources << %s >> "
                           "/Length %zu >>\nstream\nBI %s ID ", resources,
                           strlen("BI  ID ") + strlen(bi) + dlen
                           + strlen("\nEI Q"), bi);
    assert_true(hl + dlen + 32 < sizeof(form));
    memcpy(form + hl, data, dlen);
    memcpy(form + hl + dlen, "\nEI Q\nendstream", 16);
    assert_null(memchr(data, '\0', dlen));

    s.no_image = 1;
    s.content = "/Fm0 Do";
    s.objs[0] = form;
    s.objs[1] = "<< /CS1 [/Indexed /DeviceRGB 1 <ff0000 808080>] >>";
    if (check_scan(&s, &info) != want) {
        fail_msg("BI %s: %s", bi, info.detail);
    }
    if (want == CH_CHECK_OK && info.color != colour) {
        fail_msg("BI %s: colour %u per mille", bi, info.colored_per_mille);
    }
}


static void
inline_images_decoded_as_xobjects(void **state)
{
    const char     *rgb = "/ColorSpace << /CS0 /DeviceRGB >>";
    unsigned char   rows[2 * 7], pred[2 * 7];
    blob_t          z;
    int             i;

    (void) state;

    /* reportlab's named colour space: grey stored as RGB is grey */
    inline_form(rgb, "/W 2 /H 1 /CS /CS0 /BPC 8 /F /AHx",
                "8080817f7f80>", 13, CH_CHECK_OK, 0);
    inline_form(rgb, "/W 2 /H 1 /CS /CS0 /BPC 8 /F /AHx",
                "ff0000ff0000>", 13, CH_CHECK_OK, 1);
    /* the resource through a reference, an Indexed one, 4 bits */
    inline_form("/ColorSpace 7 0 R", "/W 4 /H 1 /CS /CS1 /BPC 4 /F /AHx",
                "0101>", 5, CH_CHECK_OK, 1);
    inline_form("/ColorSpace 7 0 R", "/W 4 /H 1 /CS /CS1 /BPC 4 /F /AHx",
                "1111>", 5, CH_CHECK_OK, 0);
    /* abbreviated Indexed, 1 and 2 bits */
    inline_form("", "/W 8 /H 1 /CS [/I /RGB 1 <808080 00ff00>] /BPC 1 "
                "/F /AHx", "0f>", 3, CH_CHECK_OK, 1);
    inline_form("", "/W 4 /H 1 /CS [/I /G 3 <00 40 80 ff>] /BPC 2 /F /AHx",
                "1b>", 3, CH_CHECK_OK, 0);
    /* 16 bits */
    inline_form("", "/W 1 /H 1 /CS /RGB /BPC 16 /F /AHx", "ff00 1000 1000>",
                15, CH_CHECK_OK, 1);
    inline_form("", "/W 1 /H 1 /CS /RGB /BPC 16 /F /AHx", "8000 8001 80ff>",
                15, CH_CHECK_OK, 0);
    /* CMYK inverted by /D */
    inline_form("", "/W 1 /H 1 /CS /CMYK /BPC 8 /F /AHx /D [1 0 1 0 1 0 1 0]",
                "ff0000ff>", 9, CH_CHECK_OK, 1);
    /* a named space nobody defines: grey by its colour space */
    inline_form("", "/W 2 /H 1 /CS /CS9 /BPC 8 /F /AHx",
                "ff0000ff0000>", 13, CH_CHECK_OK, 0);
    /* too little data is damaged, as in an XObject */
    inline_form(rgb, "/W 3 /H 1 /CS /CS0 /BPC 8 /F /AHx",
                "ff0000ff0000>", 13, CH_CHECK_DAMAGED, 0);

    /* Flate with a PNG predictor (Up), abbreviated: 2 x 2 RGB */
    for (i = 0; i < 14; i++) {
        rows[i] = i % 7 == 0 ? 0 : i % 7 == 1 ? 200 : 30;
    }
    for (i = 0; i < 14; i++) {
        pred[i] = i < 7 ? rows[i] : i == 7 ? 2 : (unsigned char) (rows[i]
                                                          - rows[i - 7]);
    }
    pred[0] = 2;
    z = deflate_blob(pred, sizeof(pred));
    if (memchr(z.p, '\0', z.n) == NULL) {
        inline_form("", "/W 2 /H 2 /CS /RGB /BPC 8 /F /Fl /DP << /Predictor "
                    "15 /Colors 3 /Columns 2 >>", z.p, z.n, CH_CHECK_OK, 1);
    }
    free(z.p);
    /* a page's resources inherited from its /Pages (two levels up) */
    {
        static const char  *const cs[2] = { "/CS0 /DeviceRGB",
                                            "/CS0 /DeviceGray" };
        ch_file_info_t      info;
        pdfb_t              b;
        char                pages[128];
        const char         *content = "BI /W 2 /H 1 /CS /CS0 /BPC 8 /F /AHx "
                                      "ID ff0000ff0000> EI";

        for (i = 0; i < 2; i++) {
            b_begin(&b, NULL);
            b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
            snprintf(pages, sizeof(pages), "<< /Type /Pages /Kids [6 0 R] "
                     "/Count 1 /Resources << /ColorSpace << %s >> >> >>",
                     cs[i]);
            b_obj(&b, 2, pages);
            b_obj(&b, 6, "<< /Type /Pages /Parent 2 0 R /Kids [3 0 R] "
                         "/Count 1 >>");
            b_obj(&b, 3, "<< /Type /Page /Parent 6 0 R /Contents 5 0 R >>");
            b_obj(&b, 4, "null");
            b_stream(&b, 5, "", content, strlen(content));
            b_xref_table(&b, NULL);
            assert_int_equal(check(&b, &info), CH_CHECK_OK);
            assert_int_equal(info.color, i == 0);
            free(b.buf);
        }
    }

    /* the same through ASCIIHex, Flate and the predictor (an array /DP) */
    {
        char  hex[128];
        size_t k;

        z = deflate_blob(pred, sizeof(pred));
        for (k = 0; k < z.n; k++) {
            snprintf(hex + 2 * k, 3, "%02x", z.p[k]);
        }
        hex[2 * z.n] = '>';
        inline_form("", "/W 2 /H 2 /CS /RGB /BPC 8 /F [/AHx /Fl] /DP [null "
                    "<< /Predictor 12 /Colors 3 /Columns 2 >>]", hex,
                    2 * z.n + 1, CH_CHECK_OK, 1);
        free(z.p);
    }
}


/*
 * LibreOffice's "hybrid" PDF: the whole .odt (a ZIP, which may hold
 * macros) in a stream named by the trailer's /AdditionalStreams, which
 * LibreOffice opens instead of the page
 */
static void
libreoffice_hybrid_is_active(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    const char      odt[] = "PK\3\4\24\0\0\0\0\0mimetypeapplication/"
                            "vnd.oasis.opendocument.text";

    (void) state;

    s.objs[0] = "<< /A 1 >>";
    s.trailer = "/AdditionalStreams [(application/vnd.oasis.opendocument"
                ".text) 6 0 R]";
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);
    assert_detail(info, "/AdditionalStreams in the trailer");

    /* written with an escape, in an xref stream dictionary */
    s.trailer = "/Additional#53treams [(x) 6 0 R]";
    s.xref_stream = 1 + PRED_NONE;
    assert_int_equal(check_scan(&s, &info), CH_CHECK_PDF_ACTIVE);

    /* a real stream holding the ZIP, referenced from the trailer */
    b_begin(&b, NULL);
    b_obj(&b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    b_obj(&b, 2, "<< /Type /Pages /Kids [] /Count 0 >>");
    b_stream(&b, 3, "", odt, sizeof(odt) - 1);
    b_xref_table(&b, "/AdditionalStreams [(application/vnd.oasis."
                     "opendocument.text) 3 0 R]");
    assert_int_equal(check(&b, &info), CH_CHECK_PDF_ACTIVE);
    free(b.buf);
}


/* constructs of the spec other writers use, each accepted */
static void
structure_siblings(void **state)
{
    ch_file_info_t  info;
    scan_t          s = {0};
    pdfb_t          b;
    char           *q, *x;
    size_t          off, n;

    (void) state;

    /* an xref entry pointing at the line end before its object (a writer
       counting "\r\n" as one byte) */
    memset(&s, 0, sizeof(s));
    scan_pdf(&b, &s);
    x = memmem(b.buf, b.len, "xref\n", 5);
    assert_non_null(x);
    q = memmem(x, b.len - (size_t) (x - (char *) b.buf), "\n0000", 5);
    assert_non_null(q);
    q = strchr(q + 1, '\n');           /* the entry of object 1 */
    off = b.off[1] - 1;                /* the "\n" before "1 0 obj" */
    {
        char  e[11];

        snprintf(e, sizeof(e), "%010zu", off);
        memcpy(q + 1, e, 10);
    }
    assert_int_equal(check(&b, &info), CH_CHECK_OK);
    free(b.buf);

    /* startxref pointing at the line end before "xref" */
    scan_pdf(&b, &s);
    q = memmem(b.buf, b.len, "startxref\n", 10);
    assert_non_null(q);
    off = strtoul(q + 10, &x, 10);
    n = (size_t) (x - (q + 10));
    {
        char  e[32];

        snprintf(e, sizeof(e), "%0*zu", (int) n, off - 1);
        memcpy(q + 10, e, n);
    }
    assert_int_equal(check(&b, &info), CH_CHECK_OK);
    free(b.buf);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(colour_scan_is_accepted),
        cmocka_unit_test(grey_jpeg_is_grey),
        cmocka_unit_test(flate_images_count_by_colour_space),
        cmocka_unit_test(icc_based_colour_spaces),
        cmocka_unit_test(indexed_colour_spaces),
        cmocka_unit_test(pages_and_the_largest_image),
        cmocka_unit_test(stream_lengths),
        cmocka_unit_test(active_names_are_refused),
        cmocka_unit_test(javascript_as_text_is_fine),
        cmocka_unit_test(encrypted_is_refused),
        cmocka_unit_test(no_image_is_refused),
        cmocka_unit_test(damaged_jpeg_is_refused),
        cmocka_unit_test(too_many_pixels),
        cmocka_unit_test(bad_headers),
        cmocka_unit_test(truncated_files_are_refused),
        cmocka_unit_test(startxref_must_point_at_the_xref),
        cmocka_unit_test(eof_and_trailing_data),
        cmocka_unit_test(depth_bombs_are_malformed),
        cmocka_unit_test(object_stream_bombs_are_malformed),
        cmocka_unit_test(hidden_objects_are_malformed),
        cmocka_unit_test(xref_streams),
        cmocka_unit_test(syntax_errors_are_malformed),
        cmocka_unit_test(free_entries_generation_65536),
        cmocka_unit_test(ghostscript_doubled_eoi),
        cmocka_unit_test(inline_images_are_scans),
        cmocka_unit_test(libreoffice_hybrid_is_active),
        cmocka_unit_test(structure_siblings),
        cmocka_unit_test(inline_images_decoded_as_xobjects),
    };
    int  rc;

    jpeg_colour = make_jpeg(600, 800, 1);
    jpeg_grey = make_jpeg(600, 800, 0);

    rc = run_tap(tests);

    free(jpeg_colour.p);
    free(jpeg_grey.p);

    return rc;
}
