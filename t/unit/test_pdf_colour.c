/*
 * lib/ch_pdf_image.c: the colour of the images inside a PDF, decoded and
 * judged like an image upload's pixels: a grey page stored as RGB, CMYK,
 * 16-bit or through a palette is grey, in every filter a writer uses, and
 * the images weigh by their pixels (an 8 x 8 red mark on a grey page is
 * grey).  One-page PDFs are built around pixels drawn by pdfpage.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include <jpeglib.h>

#include "pdfpage.h"


/* --- encoders ------------------------------------------------------------------ */

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


/* --- CMYK JPEGs: ink as a PDF reads it ------------------------------------- */

enum { CJ_ADOBE = 1, CJ_INVERT = 2, CJ_YCCK = 4, CJ_RGB = 8 };

/*
 * The CMYK ink of pixels(PX_CMYK, ..) as a JPEG: with an Adobe marker
 * (CJ_ADOBE: transform 0, as Ghostscript writes it; CJ_YCCK: transform
 * 2), stored inverted (CJ_INVERT: 255 = no ink, as Photoshop writes it).
 * CJ_RGB: pixels(PX_RGB, ..) stored untransformed, with neither an Adobe
 * nor a JFIF marker nor R G B component names (only a PDF's
 * /ColorTransform 0 says it is RGB)
 */
static buf_t
raw_jpeg(const buf_t *ink, int w, int h, int how)
{
    struct jpeg_compress_struct  c;
    struct jpeg_error_mgr        err;
    unsigned char               *mem = NULL, *row;
    unsigned long                size = 0;
    JSAMPROW                     rows[1];
    buf_t                        b = {0};
    int                          x;

    row = malloc((size_t) w * 4);
    assert_non_null(row);
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &size);
    c.image_width = (JDIMENSION) w;
    c.image_height = (JDIMENSION) h;
    c.input_components = how & CJ_RGB ? 3 : 4;
    c.in_color_space = how & CJ_RGB ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, how & CJ_RGB ? JCS_RGB
                            : how & CJ_YCCK ? JCS_YCCK : JCS_CMYK);
    c.write_Adobe_marker = how & (CJ_ADOBE | CJ_YCCK) ? TRUE : FALSE;
    if (how & CJ_RGB) {
        c.write_JFIF_header = FALSE;
        for (x = 0; x < 3; x++) {
            c.comp_info[x].component_id = x + 1;
        }
    }
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        for (x = 0; x < w * c.input_components; x++) {
            row[x] = ink->p[(size_t) c.next_scanline * w
                            * c.input_components + x];
            if (how & CJ_INVERT) {
                row[x] = (unsigned char) (255 - row[x]);
            }
        }
        rows[0] = row;
        jpeg_write_scanlines(&c, rows, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    put(&b, mem, size);
    free(mem);
    free(row);

    return b;
}


#define CMYK_DCT      "/ColorSpace /DeviceCMYK /BitsPerComponent 8 " \
                      "/Filter /DCTDecode"
#define CMYK_INVERTED "/Decode [1 0 1 0 1 0 1 0]"

/*
 * Ghostscript's CMYK page: plain ink under an Adobe marker.  Inside a PDF
 * the samples are ink as they stand (viewers invert only standalone Adobe
 * JPEGs), /Decode [1 0 ...] inverts them (Photoshop's); read the other
 * way a white page is black, and grey
 */
static void
cmyk_jpegs_as_viewers_show_them(void **state)
{
    static const int  hows[] = { CJ_ADOBE, 0, CJ_YCCK };
    buf_t             ink, grey, j, hex;
    char              d[256];
    size_t            i;

    (void) state;

    ink = pixels(PX_CMYK, 600, 800, 100);
    grey = pixels(PX_CMYK, 600, 800, 0);

    for (i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
        j = raw_jpeg(&ink, 600, 800, hows[i]);
        expect(CMYK_DCT, &j, CH_CHECK_OK, 1);
        free(j.p);
        j = raw_jpeg(&grey, 600, 800, hows[i]);
        expect(CMYK_DCT, &j, CH_CHECK_OK, 0);
        free(j.p);

        /* stored inverted, and said so by /Decode */
        j = raw_jpeg(&ink, 600, 800, hows[i] | CJ_INVERT);
        snprintf(d, sizeof(d), "%s %s", CMYK_DCT, CMYK_INVERTED);
        expect(d, &j, CH_CHECK_OK, 1);
        /* the same under ASCIIHex: the /Decode still read */
        hex = ahx(&j);
        expect("/ColorSpace /DeviceCMYK /BitsPerComponent 8 "
               "/Filter [/AHx /DCT] /Decode [1.0 0.0 1 0 1 0 1 0]", &hex,
               CH_CHECK_OK, 1);
        free(hex.p);
        free(j.p);
        j = raw_jpeg(&grey, 600, 800, hows[i] | CJ_INVERT);
        expect(d, &j, CH_CHECK_OK, 0);
        free(j.p);
    }

    /* the same JPEG as an upload of its own: Adobe CMYK is inverted */
    {
        ch_file_info_t  info;

        j = raw_jpeg(&ink, 600, 800, CJ_ADOBE | CJ_INVERT);
        assert_int_equal(ch_jpeg_check(j.p, j.n, &info), CH_CHECK_OK);
        assert_true(info.color);
        free(j.p);
    }

    /* a decoded (Flate) CMYK image: /Decode inverts it the same way */
    free(grey.p);
    grey = flate(&ink);
    expect("/ColorSpace /DeviceCMYK /BitsPerComponent 8 /Filter /FlateDecode",
           &grey, CH_CHECK_OK, 1);
    free(grey.p);
    for (i = 0; i < ink.n; i++) {
        ink.p[i] = (unsigned char) (255 - ink.p[i]);
    }
    grey = flate(&ink);
    expect("/ColorSpace /DeviceCMYK /BitsPerComponent 8 /Filter /FlateDecode "
           CMYK_INVERTED, &grey, CH_CHECK_OK, 1);
    /* inverted ink read without its /Decode: all dark, grey */
    expect("/ColorSpace /DeviceCMYK /BitsPerComponent 8 /Filter /FlateDecode",
           &grey, CH_CHECK_OK, 0);

    free_all(&ink, &grey);
}


/*
 * A grey page stored as untransformed RGB in a JPEG without markers: the
 * filter's /ColorTransform 0 says so (read as YCbCr, libjpeg's guess and
 * the default, R = G = B is all colour); an Adobe marker would override it
 */
static void
jpeg_color_transform(void **state)
{
    buf_t  px, j;

    (void) state;

    px = pixels(PX_RGB, 600, 800, 0);
    j = raw_jpeg(&px, 600, 800, CJ_RGB);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode "
           "/DecodeParms << /ColorTransform 0 >>", &j, CH_CHECK_OK, 0);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter [/DCTDecode] "
           "/DecodeParms [<< /ColorTransform 0 >>]", &j, CH_CHECK_OK, 0);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
           &j, CH_CHECK_OK, 1);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode "
           "/DecodeParms << /ColorTransform 1 >>", &j, CH_CHECK_OK, 1);
    free(j.p);

    /* the red mark stays colour read as RGB */
    free(px.p);
    px = pixels(PX_RGB, 600, 800, 100);
    j = raw_jpeg(&px, 600, 800, CJ_RGB);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode "
           "/DecodeParms << /ColorTransform 0 >>", &j, CH_CHECK_OK, 1);

    free_all(&px, &j);
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
        cmocka_unit_test(cmyk_jpegs_as_viewers_show_them),
        cmocka_unit_test(jpeg_color_transform),
    };

    return run_tap(tests);
}
