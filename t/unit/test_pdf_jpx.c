/*
 * lib/ch_pdf_jpx.c: the JPEG 2000 (/JPXDecode) images inside a PDF,
 * decoded and judged like an image upload's pixels.  The JPEG 2000 data
 * is written here by OpenJPEG's own encoder from pixels drawn by
 * pdfpage.h: JP2 files (as img2pdf writes them) and raw codestreams, grey
 * stored as RGB, 16-bit, signed, subsampled sYCC, with alpha, CMYK; then
 * cut, lying about its size, or beyond the limits.
 */

#include <pthread.h>
#include <openjpeg.h>

#include "pdfpage.h"
#include "jpxenc.h"


#define W  600
#define H  800

/* the component layouts encoded here (J_RGBX: a fourth component the JP2
   does not call alpha, as Pillow writes RGBA) */
enum { J_GREY, J_RGB, J_RGBA, J_RGBX, J_CMYK, J_SYCC420 };

typedef struct {
    int       layout;
    int       codec;            /* OPJ_CODEC_JP2 or OPJ_CODEC_J2K */
    unsigned  prec;             /* 1..16 */
    int       sgnd;
    int       levels;           /* resolution levels, 0: OpenJPEG's 6 */
    int       w, h;             /* 0: W x H */
} jspec_t;

/*
 * The page of pdfpage.h (grey stripes, a red mark of mark x mark) as
 * JPEG 2000 of spec's layout, lossless
 */
static buf_t
jpx(const jspec_t *spec, int mark)
{
    opj_image_cmptparm_t  cp[5];
    opj_cparameters_t     par;
    opj_image_t          *img;
    jpx_out_t             out;
    buf_t                 rgb;
    OPJ_COLOR_SPACE       space;
    unsigned              nc, c, x, y, w, h, sx, sy, v[5], max, shift;
    const unsigned char  *px;
    int                   r, g, b;

    w = spec->w ? (unsigned) spec->w : W;
    h = spec->h ? (unsigned) spec->h : H;
    rgb = pixels(PX_RGB, (int) w, (int) h, mark);

    switch (spec->layout) {
    case J_GREY: nc = 1; space = OPJ_CLRSPC_GRAY; break;
    case J_RGBA: case J_RGBX: nc = 4; space = OPJ_CLRSPC_SRGB; break;
    case J_CMYK: nc = 4; space = OPJ_CLRSPC_CMYK; break;
    case J_SYCC420: nc = 3; space = OPJ_CLRSPC_SYCC; break;
    default: nc = 3; space = OPJ_CLRSPC_SRGB; break;
    }

    memset(cp, 0, sizeof(cp));
    for (c = 0; c < nc; c++) {
        cp[c].dx = cp[c].dy = spec->layout == J_SYCC420 && c > 0 ? 2 : 1;
        cp[c].w = (w + cp[c].dx - 1) / cp[c].dx;
        cp[c].h = (h + cp[c].dy - 1) / cp[c].dy;
        cp[c].prec = spec->prec ? spec->prec : 8;
        cp[c].sgnd = (OPJ_UINT32) spec->sgnd;
    }

    img = opj_image_create(nc, cp, space);
    assert_non_null(img);
    img->x1 = w;
    img->y1 = h;
    if (spec->layout == J_RGBA) {
        img->comps[3].alpha = 1;
    }

    max = (1u << cp[0].prec) - 1;
    shift = spec->sgnd ? 1u << (cp[0].prec - 1) : 0;

    for (c = 0; c < nc; c++) {
        for (y = 0; y < cp[c].h; y++) {
            for (x = 0; x < cp[c].w; x++) {
                sx = x * cp[c].dx;
                sy = y * cp[c].dy;
                px = rgb.p + ((size_t) sy * w + sx) * 3;
                r = px[0];
                g = px[1];
                b = px[2];
                switch (spec->layout) {
                case J_GREY:
                    v[0] = (unsigned) r;
                    break;
                case J_CMYK:
                    v[0] = 255u - (unsigned) r;
                    v[1] = 255u - (unsigned) g;
                    v[2] = 255u - (unsigned) b;
                    v[3] = 0;
                    break;
                case J_SYCC420:
                    v[0] = (unsigned) ((299 * r + 587 * g + 114 * b) / 1000);
                    v[1] = (unsigned) (128 + (-169 * r - 331 * g + 500 * b)
                                             / 1000);
                    v[2] = (unsigned) (128 + (500 * r - 419 * g - 81 * b)
                                             / 1000);
                    break;
                default:
                    v[0] = (unsigned) r;
                    v[1] = (unsigned) g;
                    v[2] = (unsigned) b;
                    v[3] = 255;     /* opaque */
                }
                /* 8 bits to the precision, then signed if asked */
                img->comps[c].data[(size_t) y * cp[c].w + x] =
                    (OPJ_INT32) (v[c] * max / 255) - (OPJ_INT32) shift;
            }
        }
    }
    free(rgb.p);

    opj_set_default_encoder_parameters(&par);
    par.tcp_numlayers = 1;
    par.tcp_rates[0] = 0;
    par.cp_disto_alloc = 1;
    if (spec->levels) {
        par.numresolution = spec->levels;
    }

    memset(&out, 0, sizeof(out));
    assert_int_equal(jpx_encode(&out, img, &par,
                                spec->codec == OPJ_CODEC_J2K ? OPJ_CODEC_J2K
                                                             : OPJ_CODEC_JP2),
                     0);
    opj_image_destroy(img);

    return (buf_t) { out.p, out.n, out.cap };
}


/* the offset of a codestream's SIZ marker (FF 51) in b */
static size_t
siz_at(const buf_t *b)
{
    size_t  i;

    for (i = 0; i + 1 < b->n; i++) {
        if (b->p[i] == 0xff && b->p[i + 1] == 0x51) {
            return i;
        }
    }
    fail_msg("no SIZ");
    return 0;
}


static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}


/* --- the tests ----------------------------------------------------------------- */

static void
grey_stored_as_rgb_is_grey(void **state)
{
    jspec_t  jp2 = { J_RGB, OPJ_CODEC_JP2, 8, 0, 0, 0, 0 };
    jspec_t  j2k = { J_RGB, OPJ_CODEC_J2K, 8, 0, 0, 0, 0 };
    buf_t    grey, colour;

    (void) state;

    /* img2pdf's JP2 of a grey scan stored as RGB: grey, with or without
       the dictionary's /ColorSpace */
    grey = jpx(&jp2, 0);
    colour = jpx(&jp2, 100);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /JPXDecode",
           &grey, CH_CHECK_OK, 0);
    expect("/Filter /JPXDecode", &grey, CH_CHECK_OK, 0);
    expect("/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /JPXDecode",
           &colour, CH_CHECK_OK, 1);
    expect("/Filter /JPXDecode", &colour, CH_CHECK_OK, 1);
    free_all(&grey, &colour);

    /* a raw codestream (FF 4F FF 51) needs its /ColorSpace */
    grey = jpx(&j2k, 0);
    colour = jpx(&j2k, 100);
    expect("/ColorSpace /DeviceRGB /Filter /JPXDecode", &grey, CH_CHECK_OK,
           0);
    expect("/ColorSpace /DeviceRGB /Filter /JPXDecode", &colour, CH_CHECK_OK,
           1);
    expect("/Filter /JPXDecode", &colour, CH_CHECK_OK, 1);
    free_all(&grey, &colour);
}


static void
the_mark_weighs_by_its_pixels(void **state)
{
    jspec_t         jp2 = { J_RGB, OPJ_CODEC_JP2, 8, 0, 0, 0, 0 };
    buf_t           data[2];
    const char     *dicts[2] = {
        "/Width 600 /Height 800 /Filter /JPXDecode",
        "/Width 600 /Height 800 /Filter /JPXDecode"
    };
    ch_file_info_t  info;

    (void) state;

    /* a grey page and a colour one: about half of the colour's share */
    data[0] = jpx(&jp2, 0);
    data[1] = jpx(&jp2, 100);
    assert_int_equal(check_page(dicts, data, 2, &info), CH_CHECK_OK);
    assert_true(info.color);
    assert_true(info.colored_per_mille >= 9 && info.colored_per_mille <= 12);
    free(data[1].p);

    /* an 8 x 8 mark: 64 pixels in 480000, at 1/8 scale one of 7500 */
    data[1] = jpx(&jp2, 8);
    expect("/Filter /JPXDecode", &data[1], CH_CHECK_OK, 0);
    free_all(&data[0], &data[1]);
}


static void
depths_layouts_and_spaces(void **state)
{
    jspec_t  s16 = { J_RGB, OPJ_CODEC_JP2, 16, 0, 0, 0, 0 };
    jspec_t  s4 = { J_RGB, OPJ_CODEC_J2K, 4, 0, 0, 0, 0 };
    jspec_t  sgn = { J_RGB, OPJ_CODEC_J2K, 8, 1, 0, 0, 0 };
    jspec_t  grey = { J_GREY, OPJ_CODEC_JP2, 8, 0, 0, 0, 0 };
    jspec_t  sycc = { J_SYCC420, OPJ_CODEC_JP2, 8, 0, 0, 0, 0 };
    jspec_t  rgba = { J_RGBA, OPJ_CODEC_JP2, 8, 0, 0, 0, 0 };
    jspec_t  rgbx = { J_RGBX, OPJ_CODEC_JP2, 8, 0, 0, 0, 0 };
    jspec_t  rgba_raw = { J_RGBA, OPJ_CODEC_J2K, 8, 0, 0, 0, 0 };
    jspec_t  cmyk = { J_CMYK, OPJ_CODEC_J2K, 8, 0, 0, 0, 0 };
    jspec_t  one = { J_RGB, OPJ_CODEC_J2K, 8, 0, 1, 0, 0 };
    jspec_t  *s[] = { &s16, &s4, &sgn, &sycc, &rgba, &rgbx, &one };
    buf_t     g, c, pal = {0};
    size_t    i;

    (void) state;

    /* 16 and 4 bits, signed samples, subsampled sYCC (the JP2 says so),
       an alpha channel (the JP2's cdef, or a fourth component of an sRGB
       JP2), one resolution level (nothing to reduce): grey and colour told
       apart */
    for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
        g = jpx(s[i], 0);
        c = jpx(s[i], 100);
        expect(s[i]->codec == OPJ_CODEC_J2K
               ? "/ColorSpace /DeviceRGB /Filter /JPXDecode"
               : "/Filter /JPXDecode", &g, CH_CHECK_OK, 0);
        expect(s[i]->codec == OPJ_CODEC_J2K
               ? "/ColorSpace /DeviceRGB /Filter /JPXDecode"
               : "/Filter /JPXDecode", &c, CH_CHECK_OK, 1);
        free_all(&g, &c);
    }

    /* one grey component: grey whatever it holds */
    g = jpx(&grey, 100);
    expect("/Filter /JPXDecode", &g, CH_CHECK_OK, 0);
    expect("/ColorSpace /DeviceGray /Filter /JPXDecode", &g, CH_CHECK_OK, 0);

    /* ... or an index into the dictionary's palette: the mark (220) red */
    putf(&pal, "/ColorSpace [/Indexed /DeviceRGB 255 <");
    for (i = 0; i < 256; i++) {
        putf(&pal, i == 220 ? "ff0000" : "%02x%02x%02x", (unsigned) i,
             (unsigned) i, (unsigned) i);
    }
    putf(&pal, ">] /Filter /JPXDecode");
    put(&pal, "", 1);
    expect((char *) pal.p, &g, CH_CHECK_OK, 1);
    free(g.p);
    g = jpx(&grey, 0);
    expect((char *) pal.p, &g, CH_CHECK_OK, 0);
    free_all(&g, &pal);

    /* a raw codestream's fourth component: alpha with /SMaskInData */
    g = jpx(&rgba_raw, 0);
    c = jpx(&rgba_raw, 100);
    expect("/ColorSpace /DeviceRGB /SMaskInData 1 /Filter /JPXDecode", &g,
           CH_CHECK_OK, 0);
    expect("/ColorSpace /DeviceRGB /SMaskInData 1 /Filter /JPXDecode", &c,
           CH_CHECK_OK, 1);
    expect("/ColorSpace /DeviceRGB /Filter /JPXDecode", &c, CH_CHECK_DAMAGED,
           0);
    free_all(&g, &c);

    /* CMYK */
    g = jpx(&cmyk, 0);
    c = jpx(&cmyk, 100);
    expect("/ColorSpace /DeviceCMYK /Filter /JPXDecode", &g, CH_CHECK_OK, 0);
    expect("/ColorSpace /DeviceCMYK /Filter /JPXDecode", &c, CH_CHECK_OK, 1);
    expect("/Filter /JPXDecode", &c, CH_CHECK_OK, 1);

    /* components that do not fit the dictionary's space */
    expect("/ColorSpace /DeviceGray /Filter /JPXDecode", &c, CH_CHECK_DAMAGED,
           0);
    expect("/ColorSpace /DeviceRGB /Filter /JPXDecode", &c, CH_CHECK_DAMAGED,
           0);
    free_all(&g, &c);

    /* a space not decoded here: by the space, as before (Lab: colour) */
    g = jpx(&grey, 0);
    expect("/ColorSpace /Lab /Filter /JPXDecode", &g, CH_CHECK_OK, 1);
    free(g.p);
}


static void
under_other_filters(void **state)
{
    jspec_t  jp2 = { J_RGB, OPJ_CODEC_JP2, 8, 0, 0, 0, 0 };
    buf_t    c, hex = {0};
    size_t   i;

    (void) state;

    c = jpx(&jp2, 100);
    for (i = 0; i < c.n; i++) {
        putf(&hex, "%02x%s", c.p[i], i % 32 == 31 ? "\n" : "");
    }
    putf(&hex, ">");
    expect("/Filter [/ASCIIHexDecode /JPXDecode]", &hex, CH_CHECK_OK, 1);

    /* JPX before another filter: not decoded, by its (absent) space */
    expect("/Filter [/JPXDecode /ASCIIHexDecode]", &hex, CH_CHECK_OK, 0);
    free_all(&c, &hex);
}


static void
broken_or_lying_is_refused(void **state)
{
    jspec_t         jp2 = { J_RGB, OPJ_CODEC_JP2, 8, 0, 0, 0, 0 };
    jspec_t         j2k = { J_RGB, OPJ_CODEC_J2K, 8, 0, 0, 0, 0 };
    jspec_t         big = { J_RGB, OPJ_CODEC_J2K, 8, 0, 0, 1200, 1600 };
    jspec_t         one = { J_RGB, OPJ_CODEC_J2K, 8, 0, 1, 0, 0 };
    const char     *dicts[1];
    ch_file_info_t  info;
    buf_t           c, d = {0};
    size_t          n, s, i, k;

    (void) state;

    /* cut anywhere after the header: damaged, not a half-grey page (a
       JP2's codestream box then overruns the data; a raw codestream's
       tile part its length) */
    for (i = 0; i < 2; i++) {
        c = jpx(i == 0 ? &jp2 : &j2k, 100);
        n = c.n;
        for (k = 1; k < 8; k++) {
            c.n = n * k / 8;
            expect("/ColorSpace /DeviceRGB /Filter /JPXDecode", &c,
                   CH_CHECK_DAMAGED, 0);
        }
        c.n = n - 2;                /* without its EOC marker */
        expect("/ColorSpace /DeviceRGB /Filter /JPXDecode", &c,
               CH_CHECK_DAMAGED, 0);
        free(c.p);
    }

    /* a JP2 whose codestream box is missing */
    c = jpx(&jp2, 100);
    for (k = 0; k + 4 < c.n && memcmp(c.p + k, "jp2c", 4) != 0; k++) {
        /* find it */
    }
    memcpy(c.p + k, "jp2x", 4);
    expect("/Filter /JPXDecode", &c, CH_CHECK_DAMAGED, 0);
    free(c.p);

    /* a size other than the dictionary's */
    c = jpx(&big, 0);
    expect("/ColorSpace /DeviceRGB /Filter /JPXDecode", &c, CH_CHECK_DAMAGED,
           0);

    /* a SIZ of 20000 x 20000: too large, before OpenJPEG allocates */
    s = siz_at(&c);
    put32(c.p + s + 6, 20000);
    put32(c.p + s + 10, 20000);
    put32(c.p + s + 22, 20000);
    put32(c.p + s + 26, 20000);
    expect("/ColorSpace /DeviceRGB /Filter /JPXDecode", &c,
           CH_CHECK_TOO_MANY_PIXELS, 0);
    free(c.p);

    /* 20-bit samples, and 600 x 800 tiles of 1 x 1: not decoded here */
    c = jpx(&j2k, 0);
    s = siz_at(&c);
    c.p[s + 40] = 19;
    dicts[0] = "/Width 600 /Height 800 /ColorSpace /DeviceRGB "
               "/Filter /JPXDecode";
    assert_int_equal(check_page(dicts, &c, 1, &info), CH_CHECK_UNSUPPORTED);
    assert_non_null(strstr(info.detail, "20-bit"));
    c.p[s + 40] = 7;
    put32(c.p + s + 22, 1);
    put32(c.p + s + 26, 1);
    expect("/ColorSpace /DeviceRGB /Filter /JPXDecode", &c,
           CH_CHECK_UNSUPPORTED, 0);
    free(c.p);

    /* one resolution level for 5000 x 5000: nothing to reduce, too many
       pixels to decode whole (refused before decoding) */
    c = jpx(&one, 0);
    s = siz_at(&c);
    put32(c.p + s + 6, 5000);
    put32(c.p + s + 10, 5000);
    dicts[0] = "/Width 5000 /Height 5000 /ColorSpace /DeviceRGB "
               "/Filter /JPXDecode";
    assert_int_equal(check_page(dicts, &c, 1, &info), CH_CHECK_UNSUPPORTED);
    assert_non_null(strstr(info.detail, "1 resolution levels"));
    free(c.p);

    /* not JPEG 2000 at all */
    put(&d, "\xff\xd8\xff\xe0 not a JPX", 14);
    expect("/Filter /JPXDecode", &d, CH_CHECK_DAMAGED, 0);
    free(d.p);
}


typedef struct {
    const buf_t  *pdf;          /* a grey page, then a colour one */
    int           wrong;
} jrun_t;


static void *
check_both(void *arg)
{
    jrun_t          *r = arg;
    ch_file_info_t   info;
    int              i;

    for (i = 0; i < 6; i++) {
        if (ch_pdf_check(r->pdf[i % 2].p, r->pdf[i % 2].n, &info)
            != CH_CHECK_OK || info.color != i % 2)
        {
            r->wrong++;
        }
    }
    return NULL;
}


static void
checks_run_in_parallel(void **state)
{
    jspec_t      jp2 = { J_RGB, OPJ_CODEC_JP2, 8, 0, 0, 0, 0 };
    const char  *dicts[1] = { "/Width 600 /Height 800 /Filter /JPXDecode" };
    buf_t        img[2], pdf[2];
    jrun_t       r[4];
    pthread_t    t[4];
    int          i;

    (void) state;

    /* OpenJPEG in nginx's thread pool: several checks at once, each its
       own answer */
    for (i = 0; i < 2; i++) {
        img[i] = jpx(&jp2, i ? 100 : 0);
        pdf[i] = page_pdf(dicts, &img[i], 1);
    }
    for (i = 0; i < 4; i++) {
        r[i].pdf = pdf;
        r[i].wrong = 0;
        assert_int_equal(pthread_create(&t[i], NULL, check_both, &r[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(r[i].wrong, 0);
    }
    free_all(&img[0], &img[1]);
    free_all(&pdf[0], &pdf[1]);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(grey_stored_as_rgb_is_grey),
        cmocka_unit_test(the_mark_weighs_by_its_pixels),
        cmocka_unit_test(depths_layouts_and_spaces),
        cmocka_unit_test(under_other_filters),
        cmocka_unit_test(broken_or_lying_is_refused),
        cmocka_unit_test(checks_run_in_parallel),
    };

    return run_tap(tests);
}
