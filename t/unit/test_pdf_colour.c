/*
 * lib/ch_pdf_image.c: the colour of the images inside a PDF, decoded and
 * judged like an image upload's pixels: a grey page stored as RGB, CMYK,
 * 16-bit or through a palette is grey, in every filter a writer uses, and
 * the images weigh by their pixels (an 8 x 8 red mark on a grey page is
 * grey).  One-page PDFs are built here around pixels drawn here.
 */

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "unit.h"
#include "ch_filecheck.h"


typedef struct {
    unsigned char  *p;
    size_t          n, cap;
} buf_t;


static void
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


static void
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


/* --- pixels and encoders ---------------------------------------------------- */

enum { PX_GREY, PX_RGB, PX_CMYK, PX_RGB16, PX_INDEX8, PX_INDEX4, PX_INDEX1 };

/*
 * A grey page of w x h (text-like stripes) with, when mark > 0, a red
 * square of mark x mark pixels; stored as kind.  A palette's entry 1 is
 * the red (PX_INDEX*: palette "grey ramp, red at 1")
 */
static buf_t
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


static buf_t
flate(const buf_t *in)
{
    buf_t   b = {0};
    uLongf  len = compressBound((uLong) in->n);

    b.p = malloc(len);
    assert_non_null(b.p);
    assert_int_equal(compress2(b.p, &len, in->p, (uLong) in->n, 9), Z_OK);
    b.n = len;
    return b;
}


/* rows of rowbytes, each with a PNG filter byte (None, Sub, Up, Average in
   turn), or, tiff, the TIFF predictor 2 on 8-bit samples of bpp bytes */
static buf_t
predict(const buf_t *in, size_t rowbytes, size_t bpp, int tiff)
{
    buf_t          b = {0};
    unsigned char  *row = malloc(rowbytes), c;
    const unsigned char *cur, *up;
    size_t         r, i;
    int            ft, a, u;

    assert_non_null(row);
    for (r = 0; r * rowbytes < in->n; r++) {
        cur = in->p + r * rowbytes;
        up = r ? cur - rowbytes : NULL;
        ft = tiff ? 0 : (int) (r % 4);
        for (i = 0; i < rowbytes; i++) {
            a = i >= bpp ? cur[i - bpp] : 0;
            u = up ? up[i] : 0;
            row[i] = (unsigned char) (cur[i] - (tiff || ft == 1 ? a
                                                : ft == 2 ? u
                                                : ft == 3 ? (a + u) / 2 : 0));
        }
        if (!tiff) {
            c = (unsigned char) ft;
            put(&b, &c, 1);
        }
        put(&b, row, rowbytes);
    }
    free(row);
    return b;
}


static buf_t
ahx(const buf_t *in)
{
    buf_t   b = {0};
    size_t  i;

    for (i = 0; i < in->n; i++) {
        putf(&b, "%02x%s", in->p[i], i % 32 == 31 ? "\n" : "");
    }
    put(&b, ">", 1);
    return b;
}


static buf_t
a85(const buf_t *in)
{
    buf_t     b = {0};
    size_t    i, k, m;
    uint32_t  v;
    char      o[5];

    for (i = 0; i < in->n; i += 4) {
        m = in->n - i < 4 ? in->n - i : 4;
        v = 0;
        for (k = 0; k < 4; k++) {
            v = v << 8 | (k < m ? in->p[i + k] : 0);
        }
        if (v == 0 && m == 4) {
            put(&b, "z", 1);
            continue;
        }
        for (k = 5; k-- > 0; ) {
            o[k] = (char) ('!' + v % 85);
            v /= 85;
        }
        put(&b, o, m + 1);
    }
    put(&b, "~>", 2);
    return b;
}


/* runs of equal bytes, and literal stretches of up to 128 */
static buf_t
runlength(const buf_t *in)
{
    buf_t          b = {0};
    size_t         i = 0, k;
    unsigned char  c;

    while (i < in->n) {
        for (k = 1; i + k < in->n && k < 128 && in->p[i + k] == in->p[i]; k++) {
            /* count */
        }
        if (k >= 2) {
            c = (unsigned char) (257 - k);
            put(&b, &c, 1);
            put(&b, &in->p[i], 1);
            i += k;
            continue;
        }
        for (k = 1; i + k < in->n && k < 128
                    && (i + k + 1 >= in->n || in->p[i + k] != in->p[i + k + 1]);
             k++)
        {
            /* count */
        }
        c = (unsigned char) (k - 1);
        put(&b, &c, 1);
        put(&b, in->p + i, k);
        i += k;
    }
    c = 128;
    put(&b, &c, 1);
    return b;
}


/* --- the PDF ----------------------------------------------------------------- */

/* one page drawing images 5, 6, .. (dicts without /Length, their data) */
static ch_check_e
check_page(const char *const *dicts, const buf_t *data, int n,
    ch_file_info_t *info)
{
    buf_t       b = {0}, content = {0};
    size_t      off[16];
    ch_check_e  rc;
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

    rc = ch_pdf_check(b.p, b.n, info);
    free(b.p);
    free(content.p);
    return rc;
}


/* one image of 600 x 800: the verdict, colour expected or not */
static void
expect(const char *dict, const buf_t *data, ch_check_e want, int colour)
{
    ch_file_info_t  info;
    char            d[512];
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


static void
free_all(buf_t *a, buf_t *b)
{
    free(a->p);
    free(b->p);
    memset(a, 0, sizeof(*a));
    memset(b, 0, sizeof(*b));
}


/* --- the tests ----------------------------------------------------------------- */

static void
grey_stored_as_rgb_is_grey(void **state)
{
    buf_t  px, z;

    (void) state;

    px = pixels(PX_RGB, 600, 800, 0);
    z = flate(&px);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
           &z, CH_CHECK_OK, 0);
    /* ICC-based RGB (Pillow and MuPDF write an ICC profile) is the same */
    free_all(&px, &z);

    px = pixels(PX_RGB, 600, 800, 100);     /* 2 % of the page red */
    z = flate(&px);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
           &z, CH_CHECK_OK, 1);
    free_all(&px, &z);

    /* stored plainly, no filter */
    px = pixels(PX_RGB, 600, 800, 0);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8", &px, CH_CHECK_OK, 0);
    free(px.p);
}


static void
predictors(void **state)
{
    buf_t  px, p, z;
    int    mark;

    (void) state;

    for (mark = 0; mark <= 100; mark += 100) {
        px = pixels(PX_RGB, 600, 800, mark);

        p = predict(&px, 600 * 3, 3, 0);
        z = flate(&p);
        expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter "
               "/FlateDecode /DecodeParms << /Predictor 15 /Colors 3 "
               "/BitsPerComponent 8 /Columns 600 >>", &z, CH_CHECK_OK,
               mark > 0);
        free_all(&p, &z);

        p = predict(&px, 600 * 3, 3, 1);
        z = flate(&p);
        expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter "
               "[/FlateDecode] /DecodeParms [<< /Predictor 2 /Colors 3 "
               "/Columns 600 >>]", &z, CH_CHECK_OK, mark > 0);
        free_all(&p, &z);
        free(px.p);
    }
}


static void
depths_and_spaces(void **state)
{
    buf_t  px, z;
    int    mark;

    (void) state;

    for (mark = 0; mark <= 100; mark += 100) {
        px = pixels(PX_CMYK, 600, 800, mark);
        z = flate(&px);
        expect("/ColorSpace /DeviceCMYK /BitsPerComponent 8 /Filter /FlateDecode",
               &z, CH_CHECK_OK, mark > 0);
        free_all(&px, &z);

        px = pixels(PX_RGB16, 600, 800, mark);
        z = flate(&px);
        expect("/ColorSpace [/CalRGB << /WhitePoint [1 1 1] >>] "
               "/BitsPerComponent 16 /Filter /FlateDecode", &z, CH_CHECK_OK,
               mark > 0);
        free_all(&px, &z);

        /* palettes: 8, 4 and 1 bit; entry 1 red */
        px = pixels(PX_INDEX8, 600, 800, mark);
        z = flate(&px);
        expect("/ColorSpace [/Indexed /DeviceRGB 2 <282828 dc1e28 ebebeb>] "
               "/BitsPerComponent 8 /Filter /FlateDecode", &z, CH_CHECK_OK,
               mark > 0);
        free_all(&px, &z);

        px = pixels(PX_INDEX4, 600, 800, mark);
        z = flate(&px);
        expect("/ColorSpace [/Indexed /DeviceRGB 2 (\\050\\050\\050\\334\\036"
               "\\050\\353\\353\\353)] /BitsPerComponent 4 /Filter /FlateDecode",
               &z, CH_CHECK_OK, mark > 0);
        free_all(&px, &z);

        px = pixels(PX_INDEX1, 600, 800, mark);
        z = flate(&px);
        expect("/ColorSpace [/Indexed /DeviceRGB 1 <282828 dc1e28>] "
               "/BitsPerComponent 1 /Filter /FlateDecode", &z, CH_CHECK_OK,
               mark > 0);
        free_all(&px, &z);
    }

    /* a red palette entry no pixel uses: grey */
    px = pixels(PX_INDEX8, 600, 800, 0);
    z = flate(&px);
    expect("/ColorSpace [/Indexed /DeviceRGB 2 <282828 dc1e28 ebebeb>] "
           "/BitsPerComponent 8 /Filter /FlateDecode", &z, CH_CHECK_OK, 0);
    free_all(&px, &z);

    /* grey, and 1-bit black and white: never colour */
    px = pixels(PX_GREY, 600, 800, 0);
    z = flate(&px);
    expect("/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
           &z, CH_CHECK_OK, 0);
    free_all(&px, &z);
}


static void
filter_chains(void **state)
{
    buf_t  px, z, e;
    int    mark;

    (void) state;

    for (mark = 0; mark <= 100; mark += 100) {
        px = pixels(PX_RGB, 600, 800, mark);
        z = flate(&px);

        e = ahx(&z);
        expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter "
               "[/AHx /Fl]", &e, CH_CHECK_OK, mark > 0);
        free(e.p);

        e = a85(&z);
        expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter "
               "[/ASCII85Decode /FlateDecode]", &e, CH_CHECK_OK, mark > 0);
        free(e.p);

        e = runlength(&px);
        expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter "
               "/RunLengthDecode", &e, CH_CHECK_OK, mark > 0);
        free(e.p);

        e = a85(&px);
        expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /A85",
               &e, CH_CHECK_OK, mark > 0);
        free(e.p);
        free_all(&px, &z);
    }
}


static void
images_weigh_by_their_pixels(void **state)
{
    ch_file_info_t  info;
    buf_t           data[2], px;
    const char     *dicts[2] = {
        "/Width 600 /Height 800 /ColorSpace /DeviceGray /BitsPerComponent 8 "
        "/Filter /FlateDecode",
        "/Width 8 /Height 8 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        "/Filter /FlateDecode"
    };

    (void) state;

    px = pixels(PX_GREY, 600, 800, 0);
    data[0] = flate(&px);
    free(px.p);

    /* an 8 x 8 red mark on a grey page: 64 pixels in 480,064 */
    px = pixels(PX_RGB, 8, 8, 0);
    memset(px.p, 0, px.n);
    {
        size_t  i;
        for (i = 0; i < px.n; i += 3) {
            px.p[i] = 230;
        }
    }
    data[1] = flate(&px);
    free(px.p);

    assert_int_equal(check_page(dicts, data, 2, &info), CH_CHECK_OK);
    assert_false(info.color);
    assert_int_equal(info.colored_per_mille, 0);
    assert_int_equal(info.width, 600);

    /* alone, the mark is all colour */
    assert_int_equal(check_page(&dicts[1], &data[1], 1, &info), CH_CHECK_OK);
    assert_true(info.color);
    assert_int_equal(info.colored_per_mille, 1000);

    free(data[0].p);
    free(data[1].p);
}


static void
bilevel_and_undecoded(void **state)
{
    buf_t  junk = {0};

    (void) state;

    put(&junk, "\x26\xa0\x12\x34", 4);

    /* CCITT and JBIG2 are black and white by definition: grey, whatever
       the colour space says */
    expect("/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter "
           "/CCITTFaxDecode /DecodeParms << /K -1 /Columns 600 >>", &junk,
           CH_CHECK_OK, 0);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 1 /Filter /JBIG2Decode",
           &junk, CH_CHECK_OK, 0);

    /* JPX is decoded (test_pdf_jpx): junk is no JPEG 2000 */
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /JPXDecode",
           &junk, CH_CHECK_DAMAGED, 0);
    expect("/Filter /JPXDecode", &junk, CH_CHECK_DAMAGED, 0);

    /* LZW is not decoded here: by the colour space */
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /LZWDecode",
           &junk, CH_CHECK_OK, 1);
    expect("/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /LZWDecode",
           &junk, CH_CHECK_OK, 0);
    free(junk.p);
}


static void
broken_image_data_is_damaged(void **state)
{
    buf_t  px, z, e;

    (void) state;

    px = pixels(PX_RGB, 600, 800, 100);
    z = flate(&px);

    /* cut Flate data */
    z.n /= 2;
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
           &z, CH_CHECK_DAMAGED, 0);
    z.p[0] ^= 0xff;
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
           &z, CH_CHECK_DAMAGED, 0);

    /* rows missing */
    px.n -= 600 * 3;
    z.n = 0;
    free(z.p);
    z = flate(&px);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
           &z, CH_CHECK_DAMAGED, 0);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8", &px, CH_CHECK_DAMAGED,
           0);

    /* a bad PNG filter byte, ASCII85 and ASCIIHex junk */
    e = predict(&px, 600 * 3, 3, 0);
    e.p[600 * 3 + 1] = 7;
    free(z.p);
    z = flate(&e);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode "
           "/DecodeParms << /Predictor 15 /Colors 3 /Columns 600 >>", &z,
           CH_CHECK_DAMAGED, 0);
    free(e.p);
    e = a85(&z);
    e.p[3] = 'x';
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter [/A85 /Fl]",
           &e, CH_CHECK_DAMAGED, 0);
    free(e.p);
    e = ahx(&z);
    e.p[3] = 'g';
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter [/AHx /Fl]",
           &e, CH_CHECK_DAMAGED, 0);
    free(e.p);

    free_all(&px, &z);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(grey_stored_as_rgb_is_grey),
        cmocka_unit_test(predictors),
        cmocka_unit_test(depths_and_spaces),
        cmocka_unit_test(filter_chains),
        cmocka_unit_test(images_weigh_by_their_pixels),
        cmocka_unit_test(bilevel_and_undecoded),
        cmocka_unit_test(broken_image_data_is_damaged),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
