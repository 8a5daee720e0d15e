/*
 * lib/ch_filecheck.c: what an uploaded scan is (sniffing), and whether it
 * is a whole, single, large enough colour JPEG, PNG or BMP.  The images are
 * made here, in memory (t/unit/scangen.h), then cut, patched and extended.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

#include "unit.h"
#include "scangen.h"
#include "scanfile.h"
#include "ch_filecheck.h"


#define S(lit)  (const unsigned char *) (lit), sizeof(lit) - 1


static const char  pdf_tail[] =
    "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    "trailer\n<< /Root 1 0 R >>\n%%EOF\n";

static const char  zip_tail[] =
    "PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
    "PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";


/* --- making files -------------------------------------------------------- */

/* the offset of a JPEG's SOFn segment */
static size_t
jpeg_sof(const sg_buf_t *b)
{
    size_t  i;

    for (i = 2; i + 9 < b->n && b->p[i] == 0xff; ) {
        if (b->p[i + 1] >= 0xc0 && b->p[i + 1] <= 0xc2) {
            return i;
        }
        i += 2 + ((size_t) b->p[i + 2] << 8 | b->p[i + 3]);
    }

    fail_msg("no SOF");
    return 0;
}


static void
jpeg_set_size(sg_buf_t *b, unsigned w, unsigned h)
{
    size_t  i;

    i = jpeg_sof(b);
    b->p[i + 5] = (unsigned char) (h >> 8);
    b->p[i + 6] = (unsigned char) h;
    b->p[i + 7] = (unsigned char) (w >> 8);
    b->p[i + 8] = (unsigned char) w;
}


static void
png_set_size(sg_buf_t *b, unsigned w, unsigned h)
{
    sg_put32be(b->p + 16, w);
    sg_put32be(b->p + 20, h);
    sg_png_fix_crc(b->p, 8);
}


static uint32_t
png_len(const sg_buf_t *b, size_t chunk)
{
    return (uint32_t) b->p[chunk] << 24 | (uint32_t) b->p[chunk + 1] << 16
           | (uint32_t) b->p[chunk + 2] << 8 | b->p[chunk + 3];
}


/* the offset of the first chunk of that type */
static size_t
png_chunk(const sg_buf_t *b, const char *type)
{
    size_t    i;
    uint32_t  len;

    for (i = 8; i + 12 <= b->n; i += 12 + len) {
        len = (uint32_t) b->p[i] << 24 | (uint32_t) b->p[i + 1] << 16
              | (uint32_t) b->p[i + 2] << 8 | b->p[i + 3];
        if (memcmp(b->p + i + 4, type, 4) == 0) {
            return i;
        }
    }

    fail_msg("no %s chunk", type);
    return 0;
}


/* the offset of the last chunk of that type */
static size_t
png_last_chunk(const sg_buf_t *b, const char *type)
{
    size_t  i, last;

    last = 0;
    for (i = 8; i + 12 <= b->n; i += 12 + png_len(b, i)) {
        if (memcmp(b->p + i + 4, type, 4) == 0) {
            last = i;
        }
    }

    assert_true(last != 0);

    return last;
}


/* inserts a chunk (with its CRC) at off */
static void
png_insert_chunk(sg_buf_t *b, size_t off, const char *type,
    const void *data, size_t len)
{
    unsigned char  head[8];

    sg_put32be(head, (uint32_t) len);
    memcpy(head + 4, type, 4);
    assert_int_equal(sg_buf_insert(b, off, head, 8, 0), 0);
    assert_int_equal(sg_buf_insert(b, off + 8, data, len, 0), 0);
    assert_int_equal(sg_buf_insert(b, off + 8 + len, NULL, 4, 0), 0);
    sg_png_fix_crc(b->p, off);
}


/*
 * The coloured pixels per mille of a JPEG as libjpeg itself decodes it to
 * RGB at 1/8 (the checker converts YCbCr itself: it must agree exactly)
 */
static unsigned
libjpeg_per_mille(const sg_buf_t *b)
{
    struct jpeg_decompress_struct  d;
    struct jpeg_error_mgr          err;
    ch_color_count_t               cc;
    ch_file_info_t                 info;
    unsigned char                 *row;
    JSAMPROW                       rp[1];

    d.err = jpeg_std_error(&err);
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, b->p, b->n);
    assert_int_equal(jpeg_read_header(&d, TRUE), JPEG_HEADER_OK);
    d.out_color_space = JCS_RGB;
    d.scale_num = 1;
    d.scale_denom = 8;
    d.dct_method = JDCT_IFAST;
    d.do_fancy_upsampling = FALSE;
    d.do_block_smoothing = FALSE;
    jpeg_start_decompress(&d);

    row = malloc((size_t) d.output_width * 3);
    assert_non_null(row);
    memset(&cc, 0, sizeof(cc));
    while (d.output_scanline < d.output_height) {
        rp[0] = row;
        assert_int_equal(jpeg_read_scanlines(&d, rp, 1), 1);
        ch_color_count_rgb(&cc, row, d.output_width);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    free(row);

    memset(&info, 0, sizeof(info));
    ch_color_verdict(&cc, &info);

    return info.colored_per_mille;
}


/* --- sniffing -------------------------------------------------------------- */

static void
types_are_told_by_their_first_bytes(void **state)
{
    (void) state;

    assert_int_equal(ch_file_sniff(S("\xff\xd8\xff\xe0\0\x10JFIF")),
                     CH_FILE_JPEG);
    assert_int_equal(ch_file_sniff(S("\x89PNG\r\n\x1a\n\0\0\0\rIHDR")),
                     CH_FILE_PNG);
    assert_int_equal(ch_file_sniff(S("BM\x36\x10\x0e\0\0\0\0\0\x36\0")),
                     CH_FILE_BMP);
    assert_int_equal(ch_file_sniff(S("%PDF-1.7\n%\xe2\xe3")), CH_FILE_PDF);

    /* as soon as the magic is whole */
    assert_int_equal(ch_file_sniff(S("\xff\xd8\xff")), CH_FILE_JPEG);
    assert_int_equal(ch_file_sniff(S("%PDF-")), CH_FILE_PDF);
    assert_int_equal(ch_file_sniff(S("BM\x01\x02\x03\x04\0\0")), CH_FILE_BMP);

    /* the prefix of a magic: more is needed */
    assert_int_equal(ch_file_sniff(S("")), CH_FILE_NEED_MORE);
    assert_int_equal(ch_file_sniff(S("\xff")), CH_FILE_NEED_MORE);
    assert_int_equal(ch_file_sniff(S("\xff\xd8")), CH_FILE_NEED_MORE);
    assert_int_equal(ch_file_sniff(S("\x89PN")), CH_FILE_NEED_MORE);
    assert_int_equal(ch_file_sniff(S("\x89PNG\r\n\x1a")), CH_FILE_NEED_MORE);
    assert_int_equal(ch_file_sniff(S("%PD")), CH_FILE_NEED_MORE);
    assert_int_equal(ch_file_sniff(S("B")), CH_FILE_NEED_MORE);
    assert_int_equal(ch_file_sniff(S("BM\x01\x02\x03\x04\0")),
                     CH_FILE_NEED_MORE);

    /* none: at once, even when short */
    assert_int_equal(ch_file_sniff(S("\xff\xd8\x00")), CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("\x89PNG\r\n\x1a\x0b")), CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("GI")), CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("GIF89a\x10\0\x10\0")), CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("PK\x03\x04\x14\0\0\0")), CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("hello, world\n")), CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("<html><body>")), CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("%!PS-Adobe-3.0")), CH_FILE_UNKNOWN);

    /* "BM" with reserved bytes that are not zero: no BMP (text "BM...") */
    assert_int_equal(ch_file_sniff(S("BM\x01\x02\x03\x04\x01\0")),
                     CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("BM\x01\x02\x03\x04\0\x01")),
                     CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("BM\x01\x02\x03\x04\0\0\x07\0\x36")),
                     CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("BM\x01\x02\x03\x04\0\0\0\x07\x36")),
                     CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("BMW is a car maker")), CH_FILE_UNKNOWN);
    assert_int_equal(ch_file_sniff(S("BM\x01\x02\x03\x04\x05")),
                     CH_FILE_UNKNOWN);

    assert_string_equal(ch_file_format(CH_FILE_JPEG), "jpg");
    assert_string_equal(ch_file_format(CH_FILE_PNG), "png");
    assert_string_equal(ch_file_format(CH_FILE_BMP), "bmp");
    assert_string_equal(ch_file_format(CH_FILE_PDF), "pdf");
    assert_null(ch_file_format(CH_FILE_UNKNOWN));
    assert_null(ch_file_format(CH_FILE_NEED_MORE));
    assert_string_equal(ch_file_media_type(CH_FILE_JPEG), "image/jpeg");
    assert_string_equal(ch_file_media_type(CH_FILE_PNG), "image/png");
    assert_string_equal(ch_file_media_type(CH_FILE_BMP), "image/bmp");
    assert_string_equal(ch_file_media_type(CH_FILE_PDF), "application/pdf");
    assert_null(ch_file_media_type(CH_FILE_UNKNOWN));
}


static void
other_files_are_an_unknown_type(void **state)
{
    ch_file_info_t  info;

    (void) state;

    assert_int_equal(ch_file_check(S("GIF89a\x10\0\x10\0\x80\0\0"), 1, &info),
                     CH_CHECK_UNKNOWN_TYPE);
    assert_int_equal(info.type, CH_FILE_UNKNOWN);
    assert_true(info.detail[0] != '\0');

    assert_int_equal(ch_file_check(S(zip_tail), 1, &info),
                     CH_CHECK_UNKNOWN_TYPE);
    assert_int_equal(ch_file_check(S(""), 1, &info), CH_CHECK_UNKNOWN_TYPE);
    assert_int_equal(ch_file_check(NULL, 0, 1, &info), CH_CHECK_UNKNOWN_TYPE);
    assert_int_equal(ch_file_sniff(NULL, 0), CH_FILE_NEED_MORE);

    /* the whole file is here: a prefix of a magic is no file either */
    assert_int_equal(ch_file_check(S("\xff\xd8"), 1, &info),
                     CH_CHECK_UNKNOWN_TYPE);

    /* a PDF goes to the PDF checker, which never finds this one whole */
    assert_true(ch_file_check(S("%PDF-1.4\n"), 1, &info) != CH_CHECK_OK);
    assert_int_equal(info.type, CH_FILE_PDF);
}


/* --- valid colour scans -------------------------------------------------- */

static void
jpeg_colour_scans_are_accepted(void **state)
{
    sg_jpeg_opt_t  o;
    sg_buf_t       b;
    unsigned       i;

    (void) state;

    memset(&o, 0, sizeof(o));
    b = jpeg_of(800, 600, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_JPEG, 800, 600);
    sg_buf_free(&b);

    /* portrait, low quality, noise */
    o.quality = 40;
    b = jpeg_of(600, 850, SG_COLOR, &o, 4);
    expect_colour(&b, CH_FILE_JPEG, 600, 850);
    sg_buf_free(&b);

    o.quality = 85;
    o.progressive = 1;
    b = jpeg_of(801, 603, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_JPEG, 801, 603);
    sg_buf_free(&b);

    o.progressive = 0;
    o.restart_rows = 2;
    b = jpeg_of(800, 600, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_JPEG, 800, 600);
    sg_buf_free(&b);

    /* other chroma samplings, RGB storage, arithmetic coding, odd sizes */
    o.restart_rows = 0;
    for (i = 0; i < 3; i++) {
        o.sampling = (int) i;
        b = jpeg_of(801, 603, SG_COLOR, &o, 0);
        expect_colour(&b, CH_FILE_JPEG, 801, 603);
        sg_buf_free(&b);
    }
    o.sampling = 0;
    o.rgb = 1;
    b = jpeg_of(807, 601, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_JPEG, 807, 601);
    sg_buf_free(&b);
    o.rgb = 0;
    o.arithmetic = 1;
    b = jpeg_of(800, 600, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_JPEG, 800, 600);
    sg_buf_free(&b);
    o.arithmetic = 0;

    /* CMYK as Photoshop writes it (Adobe marker, inverted) */
    o.restart_rows = 0;
    o.cmyk = 1;
    b = jpeg_of(800, 600, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_JPEG, 800, 600);
    sg_buf_free(&b);
}


static void
jpeg_colours_are_libjpegs(void **state)
{
    static const unsigned char  red[3] = { 255, 0, 0 };
    sg_jpeg_opt_t   o;
    sg_image_t      im;
    sg_buf_t        b;
    ch_file_info_t  info;
    unsigned        i, noise;

    (void) state;

    /* the checker's YCbCr to RGB gives libjpeg's own pixels, exactly */
    memset(&o, 0, sizeof(o));
    for (noise = 0; noise <= 12; noise += 6) {
        for (i = 0; i < 3; i++) {
            o.sampling = (int) i;
            o.quality = 60 + 15 * (int) i;
            b = jpeg_of(801 + 8 * i, 603, SG_COLOR, &o, noise);
            assert_int_equal(ch_jpeg_check(b.p, b.n, &info), CH_CHECK_OK);
            assert_int_equal(info.colored_per_mille, libjpeg_per_mille(&b));
            sg_buf_free(&b);
        }
    }

    /* gradients through the threshold, in every channel */
    im.w = 800;
    im.h = 600;
    im.rgb = malloc(800 * 600 * 3);
    assert_non_null(im.rgb);
    for (i = 0; i < 800 * 600; i++) {
        im.rgb[3 * i] = (unsigned char) (128 + (i % 800) / 25);
        im.rgb[3 * i + 1] = (unsigned char) (96 + (i % 800) * 64 / 800);
        im.rgb[3 * i + 2] = (unsigned char) (100 + (i / 800) * 60 / 600);
    }
    memset(&o, 0, sizeof(o));
    for (i = 0; i < 3; i++) {
        o.sampling = (int) i;
        assert_int_equal(sg_jpeg(&b, &im, &o), 0);
        assert_int_equal(ch_jpeg_check(b.p, b.n, &info), CH_CHECK_OK);
        assert_in_range(info.colored_per_mille, 100, 900);
        assert_int_equal(info.colored_per_mille, libjpeg_per_mille(&b));
        sg_buf_free(&b);
    }
    sg_image_free(&im);

    /* CMYK: saturated red has no black ink, grey paper no colour ink */
    memset(&o, 0, sizeof(o));
    o.cmyk = 1;
    im = page(800, 600, SG_GREY, 0);
    sg_fill(&im, 0, 0, 800, 64, red);
    assert_int_equal(sg_jpeg(&b, &im, &o), 0);
    assert_int_equal(ch_jpeg_check(b.p, b.n, &info), CH_CHECK_OK);
    assert_in_range(info.colored_per_mille, 100, 110);      /* 64 of 600 */
    sg_buf_free(&b);
    sg_image_free(&im);
}


static void
png_colour_scans_are_accepted(void **state)
{
    sg_png_opt_t      o;
    sg_buf_t          b;
    ch_file_info_t    plain, other;
    unsigned          i;

    (void) state;

    memset(&o, 0, sizeof(o));
    o.level = -1;
    b = png_of(800, 600, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_PNG, 800, 600);
    assert_int_equal(check(&b, b.n, 1, &plain), CH_CHECK_OK);
    sg_buf_free(&b);

    /* interlaced: every pixel counted once, as without interlacing */
    o.interlace = 1;
    b = png_of(800, 600, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_PNG, 800, 600);
    assert_int_equal(check(&b, b.n, 1, &other), CH_CHECK_OK);
    assert_int_equal(other.colored_per_mille, plain.colored_per_mille);
    sg_buf_free(&b);

    b = png_of(403, 605, SG_COLOR, &o, 0);      /* odd sizes, all passes */
    expect_colour(&b, CH_FILE_PNG, 403, 605);
    sg_buf_free(&b);

    /* one coloured row in 64: the count is exact, interlaced or not */
    memset(&o, 0, sizeof(o));
    {
        static const unsigned char  red[3] = { 220, 30, 30 };
        sg_image_t                  im;

        im = page(400, 64, SG_GREY, 0);
        sg_fill(&im, 0, 0, 400, 1, red);
        for (i = 0; i < 2; i++) {
            o.interlace = (int) i;
            assert_int_equal(sg_png(&b, &im, &o), 0);
            assert_int_equal(ch_png_check(b.p, b.n, &other), CH_CHECK_OK);
            assert_int_equal(other.colored_per_mille, 1000 / 64);
            sg_buf_free(&b);
        }
        sg_image_free(&im);
    }

    o.interlace = 0;
    o.alpha = 1;
    b = png_of(800, 600, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_PNG, 800, 600);
    assert_int_equal(check(&b, b.n, 1, &other), CH_CHECK_OK);
    assert_int_equal(other.colored_per_mille, plain.colored_per_mille);
    sg_buf_free(&b);

    o.alpha = 0;
    o.depth16 = 1;
    b = png_of(800, 600, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_PNG, 800, 600);
    sg_buf_free(&b);

    /* a palette: judged through the palette */
    o.depth16 = 0;
    o.palette = 1;
    b = png_of(800, 600, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_PNG, 800, 600);
    sg_buf_free(&b);

    o.interlace = 1;
    b = png_of(800, 600, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_PNG, 800, 600);
    sg_buf_free(&b);

    /* 4 bits a pixel: 15 greys and red; 2 bits: 3 greys and red */
    for (i = 0; i < 2; i++) {
        o.interlace = (int) i;
        o.palette_bits = 4;
        b = png_of(801, 600, SG_COLOR, &o, 0);
        expect_colour(&b, CH_FILE_PNG, 801, 600);
        sg_buf_free(&b);
        o.palette_bits = 2;
        b = png_of(601, 603, SG_COLOR, &o, 0);
        expect_colour(&b, CH_FILE_PNG, 601, 603);
        sg_buf_free(&b);
    }
}


static void
bmp_colour_scans_are_accepted(void **state)
{
    sg_bmp_opt_t    o;
    sg_buf_t        b;
    ch_file_info_t  plain, other;
    unsigned        i;
    static const struct {
        unsigned  bpp;
        int       bitfields;
        unsigned  header;
        int       top_down;
    } variants[] = {
        { 24, 0, 40, 0 },
        { 24, 0, 40, 1 },          /* top-down */
        { 24, 0, 12, 0 },          /* BITMAPCOREHEADER */
        { 24, 0, 108, 0 },         /* V4 */
        { 24, 0, 124, 1 },         /* V5, top-down */
        { 32, 0, 40, 0 },          /* B, G, R, x */
        { 32, 1, 40, 0 },          /* bit fields after the header */
        { 32, 1, 124, 0 },         /* bit fields in the header */
        { 16, 0, 40, 0 },          /* 5-5-5 */
        { 16, 1, 40, 1 },          /* 5-6-5 */
        { 16, 1, 108, 0 },
        { 8, 0, 40, 0 },           /* a colour palette */
        { 8, 0, 12, 0 },           /* the same, 3-byte core palette */
    };

    (void) state;

    memset(&o, 0, sizeof(o));
    b = bmp_of(800, 600, SG_COLOR, &o, 0);
    assert_int_equal(check(&b, b.n, 1, &plain), CH_CHECK_OK);
    sg_buf_free(&b);

    for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        memset(&o, 0, sizeof(o));
        o.bpp = variants[i].bpp;
        o.bitfields = variants[i].bitfields;
        o.header = variants[i].header;
        o.top_down = variants[i].top_down;
        b = bmp_of(800, 600, SG_COLOR, &o, 0);
        expect_colour(&b, CH_FILE_BMP, 800, 600);
        if (o.bpp == 24 || o.bpp == 32) {
            /* the same pixels, however stored */
            assert_int_equal(check(&b, b.n, 1, &other), CH_CHECK_OK);
            assert_int_equal(other.colored_per_mille,
                             plain.colored_per_mille);
        }
        sg_buf_free(&b);
    }

    /* odd widths: rows padded to 4 bytes */
    memset(&o, 0, sizeof(o));
    b = bmp_of(601, 403, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_BMP, 601, 403);
    sg_buf_free(&b);

    o.bpp = 16;
    b = bmp_of(601, 403, SG_COLOR, &o, 0);
    expect_colour(&b, CH_FILE_BMP, 601, 403);
    sg_buf_free(&b);

    /* a gap between the headers and the pixel array (bfOffBits) */
    memset(&o, 0, sizeof(o));
    o.gap = 12345;
    b = bmp_of(800, 600, SG_COLOR, &o, 0);
    assert_int_equal(b.n, sg_bmp_size(800, 600, &o) + 12345);
    expect_colour(&b, CH_FILE_BMP, 800, 600);
    sg_buf_free(&b);
}


/* --- grey scans ---------------------------------------------------------- */

static void
expect_grey(const sg_buf_t *b, ch_file_type_e type)
{
    ch_file_info_t  info;

    assert_int_equal(check(b, b->n, 1, &info), CH_CHECK_NOT_COLOR);
    assert_int_equal(info.type, type);
    assert_int_equal(info.color, 0);
    assert_int_equal(info.colored_per_mille, 0);
    assert_int_equal(info.width, 800);
    assert_int_equal(info.height, 600);
    assert_true(info.detail[0] != '\0');

    /* measured, and accepted where colour is not asked for */
    assert_int_equal(check(b, b->n, 0, &info), CH_CHECK_OK);
    assert_int_equal(info.color, 0);
    assert_int_equal(info.colored_per_mille, 0);
}


static void
grey_scans_are_refused_whatever_their_storage(void **state)
{
    sg_jpeg_opt_t  jo;
    sg_png_opt_t   po;
    sg_bmp_opt_t   bo;
    sg_buf_t       b;
    unsigned       noise, bpp;

    (void) state;

    for (noise = 0; noise <= 3; noise += 3) {
        /* JPEG: stored as RGB (YCbCr), as one component, as CMYK */
        memset(&jo, 0, sizeof(jo));
        b = jpeg_of(800, 600, SG_GREY, &jo, noise);
        expect_grey(&b, CH_FILE_JPEG);
        sg_buf_free(&b);

        jo.quality = 30;
        b = jpeg_of(800, 600, SG_GREY, &jo, noise);
        expect_grey(&b, CH_FILE_JPEG);
        sg_buf_free(&b);

        jo.grey = 1;
        b = jpeg_of(800, 600, SG_GREY, &jo, noise);
        expect_grey(&b, CH_FILE_JPEG);
        sg_buf_free(&b);

        jo.grey = 0;
        jo.cmyk = 1;
        b = jpeg_of(800, 600, SG_GREY, &jo, noise);
        expect_grey(&b, CH_FILE_JPEG);
        sg_buf_free(&b);

        jo.cmyk = 0;
        jo.rgb = 1;
        b = jpeg_of(800, 600, SG_GREY, &jo, noise);
        expect_grey(&b, CH_FILE_JPEG);
        sg_buf_free(&b);

        jo.rgb = 0;
        jo.sampling = 1;
        b = jpeg_of(800, 600, SG_GREY, &jo, noise);
        expect_grey(&b, CH_FILE_JPEG);
        sg_buf_free(&b);

        /* PNG: RGB, grey, a grey palette */
        memset(&po, 0, sizeof(po));
        po.level = 1;
        b = png_of(800, 600, SG_GREY, &po, noise);
        expect_grey(&b, CH_FILE_PNG);
        sg_buf_free(&b);

        po.grey = 1;
        b = png_of(800, 600, SG_GREY, &po, noise);
        expect_grey(&b, CH_FILE_PNG);
        sg_buf_free(&b);

        po.palette = 1;
        b = png_of(800, 600, SG_GREY, &po, noise);
        expect_grey(&b, CH_FILE_PNG);
        sg_buf_free(&b);

        po.palette_bits = 1;
        b = png_of(800, 600, SG_GREY, &po, noise);
        expect_grey(&b, CH_FILE_PNG);
        sg_buf_free(&b);
        po.palette_bits = 0;

        /* BMP: 24 bits, a grey palette of 8, 4 and 1 bits */
        memset(&bo, 0, sizeof(bo));
        b = bmp_of(800, 600, SG_GREY, &bo, noise);
        expect_grey(&b, CH_FILE_BMP);
        sg_buf_free(&b);

        for (bpp = 1; bpp <= 8; bpp *= 2) {
            if (bpp == 2) {
                continue;
            }
            bo.bpp = bpp;
            bo.grey = 1;
            b = bmp_of(800, 600, SG_GREY, &bo, noise);
            expect_grey(&b, CH_FILE_BMP);
            sg_buf_free(&b);
        }
    }
}


static void
tinted_grey_scans_are_refused(void **state)
{
    sg_image_t      im;
    sg_buf_t        b;
    sg_jpeg_opt_t   jo;
    sg_png_opt_t    po;
    sg_bmp_opt_t    bo;
    ch_file_info_t  info;
    size_t          colored;

    (void) state;

    /* colour there is, but in less than one pixel in a thousand */
    im = page(1600, 1200, SG_TINTED, 0);
    colored = sg_colored(&im);
    assert_true(colored > 0);
    assert_true(colored * 1000 < (size_t) 1600 * 1200);

    memset(&jo, 0, sizeof(jo));
    assert_int_equal(sg_jpeg(&b, &im, &jo), 0);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_NOT_COLOR);
    assert_int_equal(info.colored_per_mille, 0);
    sg_buf_free(&b);

    memset(&po, 0, sizeof(po));
    po.level = 1;
    assert_int_equal(sg_png(&b, &im, &po), 0);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_NOT_COLOR);
    assert_int_equal(info.colored_per_mille, 0);
    sg_buf_free(&b);

    memset(&bo, 0, sizeof(bo));
    assert_int_equal(sg_bmp(&b, &im, &bo), 0);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_NOT_COLOR);
    assert_int_equal(info.colored_per_mille, 0);
    sg_buf_free(&b);

    sg_image_free(&im);
}


static void
colour_is_reported_when_not_required(void **state)
{
    sg_buf_t        b;
    ch_file_info_t  info;

    (void) state;

    b = jpeg_of(800, 600, SG_COLOR, NULL, 0);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_OK);
    assert_int_equal(info.color, 1);
    assert_true(info.colored_per_mille >= CH_COLOR_MIN_PER_MILLE);
    sg_buf_free(&b);

    b = png_of(800, 600, SG_GREY, NULL, 0);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_OK);
    assert_int_equal(info.color, 0);
    sg_buf_free(&b);

    b = bmp_of(800, 600, SG_TINTED, NULL, 0);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_OK);
    assert_int_equal(info.color, 0);
    sg_buf_free(&b);
}


/* --- the colour rule itself ---------------------------------------------- */

static void
colour_threshold_is_one_pixel_in_a_thousand(void **state)
{
    unsigned char     *rgb, *q;
    ch_color_count_t   cc;
    ch_file_info_t     info;
    size_t             i;

    (void) state;

    rgb = malloc(10000 * 3);
    assert_non_null(rgb);

    /* 10000 grey pixels, then some of chroma exactly 32 and 31 */
    for (i = 0, q = rgb; i < 10000; i++, q += 3) {
        q[0] = q[1] = q[2] = (unsigned char) (i % 256);
    }
    for (i = 0, q = rgb; i < 10; i++, q += 3 * 7) {
        q[0] = 100;
        q[1] = 132;                         /* max - min = 32: coloured */
        q[2] = 110;
    }
    for (i = 0, q = rgb + 3; i < 50; i++, q += 3 * 7) {
        q[0] = 200;
        q[1] = 169;                         /* 31: not */
        q[2] = 180;
    }

    memset(&cc, 0, sizeof(cc));
    ch_color_count_rgb(&cc, rgb, 10000);
    assert_int_equal(cc.pixels, 10000);
    assert_int_equal(cc.colored, 10);
    memset(&info, 0, sizeof(info));
    ch_color_verdict(&cc, &info);
    assert_int_equal(info.colored_per_mille, 1);
    assert_int_equal(info.color, 1);

    /* one fewer: 0.9 per mille, rounded down to 0, not colour */
    rgb[1] = 100;
    memset(&cc, 0, sizeof(cc));
    ch_color_count_rgb(&cc, rgb, 10000);
    assert_int_equal(cc.colored, 9);
    ch_color_verdict(&cc, &info);
    assert_int_equal(info.colored_per_mille, 0);
    assert_int_equal(info.color, 0);

    /* counts add up over rows */
    memset(&cc, 0, sizeof(cc));
    ch_color_count_rgb(&cc, rgb, 5000);
    ch_color_count_rgb(&cc, rgb + 5000 * 3, 5000);
    ch_color_count_rgb(&cc, rgb, 0);
    assert_int_equal(cc.pixels, 10000);
    assert_int_equal(cc.colored, 9);

    /* exactly at the boundary on a large count, and rounding down */
    cc.pixels = 1000000;
    cc.colored = 1000;
    ch_color_verdict(&cc, &info);
    assert_int_equal(info.colored_per_mille, 1);
    assert_int_equal(info.color, 1);
    cc.colored = 999;
    ch_color_verdict(&cc, &info);
    assert_int_equal(info.color, 0);
    cc.colored = 25999;
    ch_color_verdict(&cc, &info);
    assert_int_equal(info.colored_per_mille, 25);

    /* nothing counted: no colour */
    memset(&cc, 0, sizeof(cc));
    ch_color_verdict(&cc, &info);
    assert_int_equal(info.color, 0);
    assert_int_equal(info.colored_per_mille, 0);

    free(rgb);
}


/* --- resolution and size ------------------------------------------------- */

static void
expect_resolution(unsigned w, unsigned h, ch_check_e want)
{
    sg_buf_t        b;
    ch_file_info_t  info;
    sg_png_opt_t    po;

    b = jpeg_of(w, h, SG_COLOR, NULL, 0);
    assert_int_equal(check(&b, b.n, 1, &info), want);
    assert_int_equal(info.width, w);
    assert_int_equal(info.height, h);
    sg_buf_free(&b);

    memset(&po, 0, sizeof(po));
    po.level = 1;
    b = png_of(w, h, SG_COLOR, &po, 0);
    assert_int_equal(check(&b, b.n, 1, &info), want);
    sg_buf_free(&b);

    b = bmp_of(w, h, SG_COLOR, NULL, 0);
    assert_int_equal(check(&b, b.n, 1, &info), want);
    sg_buf_free(&b);
}


static void
small_images_are_refused(void **state)
{
    sg_buf_t        b;
    ch_file_info_t  info;

    (void) state;

    expect_resolution(400, 600, CH_CHECK_OK);
    expect_resolution(600, 400, CH_CHECK_OK);
    expect_resolution(399, 600, CH_CHECK_LOW_RESOLUTION);
    expect_resolution(600, 399, CH_CHECK_LOW_RESOLUTION);
    expect_resolution(400, 599, CH_CHECK_LOW_RESOLUTION);
    expect_resolution(2000, 399, CH_CHECK_LOW_RESOLUTION);

    /* resolution comes before colour */
    b = jpeg_of(300, 300, SG_GREY, NULL, 0);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_LOW_RESOLUTION);
    assert_non_null(strstr(info.detail, "300x300"));
    sg_buf_free(&b);
}


static void
pixel_bombs_are_refused_before_decoding(void **state)
{
    sg_buf_t        b;
    ch_file_info_t  info;
    sg_jpeg_opt_t   jo;
    sg_bmp_opt_t    bo;

    (void) state;

    /* a small JPEG whose header claims 60000 x 60000 */
    b = jpeg_of(64, 64, SG_COLOR, NULL, 0);
    jpeg_set_size(&b, 60000, 60000);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TOO_MANY_PIXELS);
    assert_int_equal(info.width, 60000);
    assert_int_equal(info.height, 60000);

    /* sides within CH_IMAGE_MAX_SIDE, the product over the limit */
    jpeg_set_size(&b, 8000, 7000);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TOO_MANY_PIXELS);

    /* one side over, the product under */
    jpeg_set_size(&b, 30001, 400);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TOO_MANY_PIXELS);

    /* under both, the data missing: damaged, after decoding started */
    jpeg_set_size(&b, 7000, 7000);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&b);

    /* progressive: every coefficient is kept, over CH_JPEG_MAX_MEMORY */
    memset(&jo, 0, sizeof(jo));
    jo.progressive = 1;
    b = jpeg_of(64, 64, SG_COLOR, &jo, 0);
    jpeg_set_size(&b, 7000, 7000);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TOO_MANY_PIXELS);
    sg_buf_free(&b);

    /* a progression of 190 scans */
    jo.progressive = 0;
    jo.many_scans = 1;
    b = jpeg_of(64, 64, SG_COLOR, &jo, 0);
    assert_int_equal(ch_jpeg_check(b.p, b.n, &info), CH_CHECK_UNSUPPORTED);
    assert_non_null(strstr(info.detail, "scans"));
    sg_buf_free(&b);

    /* PNG */
    b = png_of(64, 64, SG_COLOR, NULL, 0);
    png_set_size(&b, 60000, 60000);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TOO_MANY_PIXELS);
    assert_int_equal(info.width, 60000);
    assert_int_equal(info.height, 60000);
    png_set_size(&b, 400, 30001);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TOO_MANY_PIXELS);
    png_set_size(&b, 8000, 7000);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TOO_MANY_PIXELS);
    assert_int_equal(info.width, 8000);
    png_set_size(&b, 7000, 7000);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&b);

    /* BMP: refused as too large before it is found short */
    memset(&bo, 0, sizeof(bo));
    b = bmp_of(64, 64, SG_COLOR, &bo, 0);
    sg_put32(b.p + 18, 60000);
    sg_put32(b.p + 22, 60000);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TOO_MANY_PIXELS);
    assert_int_equal(info.width, 60000);
    assert_int_equal(info.height, 60000);
    sg_put32(b.p + 18, 8000);
    sg_put32(b.p + 22, (uint32_t) -7000);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TOO_MANY_PIXELS);
    sg_put32(b.p + 22, 0x80000000u);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TOO_MANY_PIXELS);
    sg_buf_free(&b);
}


/* --- whole and alone ----------------------------------------------------- */

static void
expect_truncations_damaged(const sg_buf_t *b, const size_t *cut, size_t n)
{
    ch_file_info_t  info;
    size_t          i;

    for (i = 0; i < n; i++) {
        if (ch_file_check(b->p, cut[i], 1, &info) != CH_CHECK_DAMAGED) {
            fail_msg("cut at %zu of %zu: %s (%s)", cut[i], b->n,
                     ch_check_code(ch_file_check(b->p, cut[i], 1, &info)),
                     info.detail);
        }
        assert_true(info.detail[0] != '\0');
    }
}


static void
truncated_files_are_damaged(void **state)
{
    sg_buf_t        b;
    sg_jpeg_opt_t   jo;
    sg_png_opt_t    po;
    ch_file_info_t  info;
    char            want[64];
    size_t          cut[8];

    (void) state;

    b = jpeg_of(800, 600, SG_COLOR, NULL, 0);
    cut[0] = 20;
    cut[1] = 300;
    cut[2] = b.n / 3;
    cut[3] = b.n / 2;
    cut[4] = b.n - 100;
    cut[5] = b.n - 2;                          /* no EOI */
    cut[6] = b.n - 1;                          /* half of it */
    expect_truncations_damaged(&b, cut, 7);

    assert_int_equal(ch_file_check(b.p, b.n / 2, 1, &info), CH_CHECK_DAMAGED);
    snprintf(want, sizeof(want), "premature end of data at %zu", b.n / 2);
    assert_non_null(strstr(info.detail, want));
    sg_buf_free(&b);

    memset(&jo, 0, sizeof(jo));
    jo.progressive = 1;
    b = jpeg_of(800, 600, SG_COLOR, &jo, 0);
    cut[0] = b.n / 4;
    cut[1] = b.n - 2;
    expect_truncations_damaged(&b, cut, 2);
    sg_buf_free(&b);

    memset(&po, 0, sizeof(po));
    po.level = -1;
    b = png_of(800, 600, SG_COLOR, &po, 0);
    cut[0] = 8;                                /* the signature only */
    cut[1] = 20;                               /* inside IHDR */
    cut[2] = 33;                               /* IHDR only */
    cut[3] = b.n / 2;
    cut[4] = b.n - 13;
    cut[5] = b.n - 12;                         /* no IEND */
    cut[6] = b.n - 1;
    expect_truncations_damaged(&b, cut, 7);
    sg_buf_free(&b);

    b = bmp_of(800, 600, SG_COLOR, NULL, 0);
    cut[0] = 10;
    cut[1] = 30;                               /* inside the header */
    cut[2] = 54;                               /* headers only */
    cut[3] = b.n / 2;
    cut[4] = b.n - 1;
    expect_truncations_damaged(&b, cut, 5);
    sg_buf_free(&b);
}


static void
data_after_the_end_is_refused(void **state)
{
    sg_buf_t        b, second;
    ch_file_info_t  info;
    unsigned char   pad[300];

    (void) state;

    /* JPEG: a PDF, a ZIP after EOI */
    b = jpeg_of(800, 600, SG_COLOR, NULL, 0);
    assert_int_equal(check_with_tail(&b, pdf_tail, sizeof(pdf_tail) - 1,
                                     &info), CH_CHECK_TRAILING_DATA);
    assert_non_null(strstr(info.detail, "after EOI"));
    assert_int_equal(check_with_tail(&b, zip_tail, sizeof(zip_tail) - 1,
                                     &info), CH_CHECK_TRAILING_DATA);

    /*
     * a whole JPEG after EOI (a phone's MPO image, an HDR gain map) is
     * allowed, and the first image is what counts; a damaged one, or
     * anything after it, is not
     */
    second = jpeg_of(64, 64, SG_GREY, NULL, 0);
    assert_int_equal(check_with_tail(&b, second.p, second.n, &info),
                     CH_CHECK_OK);
    assert_int_equal(info.width, 800);
    assert_int_equal(info.height, 600);
    assert_true(info.color);
    assert_int_equal(check_with_tail(&b, second.p, second.n - 10, &info),
                     CH_CHECK_DAMAGED);
    assert_non_null(strstr(info.detail, "appended image 1"));
    {
        sg_buf_t  two;

        two.n = second.n + sizeof(zip_tail) - 1;
        two.p = malloc(two.n);
        assert_non_null(two.p);
        memcpy(two.p, second.p, second.n);
        memcpy(two.p + second.n, zip_tail, sizeof(zip_tail) - 1);
        assert_int_equal(check_with_tail(&b, two.p, two.n, &info),
                         CH_CHECK_TRAILING_DATA);
        free(two.p);
    }
    sg_buf_free(&second);
    assert_int_equal(check_with_tail(&b, "x", 1, &info),
                     CH_CHECK_TRAILING_DATA);

    /*
     * a repeated EOI at the very end is one EOI (Ghostscript writes FF D9
     * FF D9, and such JPEGs are saved out of PDFs as they are); anything
     * after it still is not
     */
    assert_int_equal(check_with_tail(&b, "\xff\xd9", 2, &info), CH_CHECK_OK);
    assert_true(info.color);
    assert_int_equal(check_with_tail(&b, "\xff\xd9\xff\xd9", 4, &info),
                     CH_CHECK_OK);
    assert_int_equal(check_with_tail(&b, "\xff\xd9x", 3, &info),
                     CH_CHECK_TRAILING_DATA);
    assert_int_equal(check_with_tail(&b, "\xff\xd9PK\x03\x04", 6, &info),
                     CH_CHECK_TRAILING_DATA);

    /* padding of 0x00 or 0xFF bytes is allowed (some writers add it) */
    memset(pad, 0, sizeof(pad));
    assert_int_equal(check_with_tail(&b, pad, sizeof(pad), &info),
                     CH_CHECK_OK);
    memset(pad, 0xff, sizeof(pad));
    assert_int_equal(check_with_tail(&b, pad, sizeof(pad), &info),
                     CH_CHECK_OK);
    pad[150] = 'P';
    assert_int_equal(check_with_tail(&b, pad, sizeof(pad), &info),
                     CH_CHECK_TRAILING_DATA);
    sg_buf_free(&b);

    /* PNG: nothing at all after IEND */
    b = png_of(800, 600, SG_COLOR, NULL, 0);
    assert_int_equal(check_with_tail(&b, zip_tail, sizeof(zip_tail) - 1,
                                     &info), CH_CHECK_TRAILING_DATA);
    assert_non_null(strstr(info.detail, "after IEND"));
    assert_int_equal(check_with_tail(&b, pdf_tail, sizeof(pdf_tail) - 1,
                                     &info), CH_CHECK_TRAILING_DATA);
    assert_int_equal(check_with_tail(&b, "\0", 1, &info),
                     CH_CHECK_TRAILING_DATA);
    sg_buf_free(&b);

    /* BMP: up to CH_FILE_TRAILING_SLACK bytes after the pixel array */
    b = bmp_of(800, 600, SG_COLOR, NULL, 0);
    assert_int_equal(check_with_tail(&b, "\0\0\0\0", 4, &info), CH_CHECK_OK);
    assert_int_equal(check_with_tail(&b, "\0\0\0\0\0", 5, &info),
                     CH_CHECK_TRAILING_DATA);
    assert_int_equal(check_with_tail(&b, zip_tail, sizeof(zip_tail) - 1,
                                     &info), CH_CHECK_TRAILING_DATA);
    sg_buf_free(&b);
}


static void
png_checksums_are_checked(void **state)
{
    sg_buf_t        b;
    ch_file_info_t  info;
    size_t          idat, ihdr;
    uint32_t        len;

    (void) state;

    b = png_of(800, 600, SG_COLOR, NULL, 0);
    idat = png_chunk(&b, "IDAT");
    ihdr = png_chunk(&b, "IHDR");
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);

    /* a byte of the compressed data: the CRC no longer matches (or zlib
     * finds the damage first, reading the chunk as it comes) */
    b.p[idat + 8 + 100] ^= 0x01;
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);

    /* the CRC made right: zlib finds the damage (or its adler32 does) */
    sg_png_fix_crc(b.p, idat);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    b.p[idat + 8 + 100] ^= 0x01;
    sg_png_fix_crc(b.p, idat);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);

    /* the CRC itself */
    b.p[ihdr + 8 + 13] ^= 0x80;
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    assert_non_null(strstr(info.detail, "CRC"));
    sg_png_fix_crc(b.p, ihdr);
    b.p[idat + 8 + png_len(&b, idat)] ^= 0x01;
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    assert_non_null(strstr(info.detail, "CRC"));
    b.p[idat + 8 + png_len(&b, idat)] ^= 0x01;

    b.p[b.n - 1] ^= 0x01;                      /* IEND's */
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    b.p[b.n - 1] ^= 0x01;
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);

    /* the zlib stream's own checksum (adler32), the chunk CRC made right */
    idat = png_last_chunk(&b, "IDAT");
    b.p[idat + 8 + png_len(&b, idat) - 1] ^= 0x01;
    sg_png_fix_crc(b.p, idat);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    b.p[idat + 8 + png_len(&b, idat) - 1] ^= 0x01;
    sg_png_fix_crc(b.p, idat);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);

    /* bytes after the end of the zlib stream, in its last IDAT */
    len = png_len(&b, idat);
    assert_int_equal(sg_buf_insert(&b, idat + 8 + len, "\x01\x02\x03", 3,
                                   0), 0);
    sg_put32be(b.p + idat, len + 3);
    sg_png_fix_crc(b.p, idat);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&b);
    b = png_of(800, 600, SG_COLOR, NULL, 0);

    /* pixels past a short palette (libpng would show them black) */
    {
        sg_png_opt_t  po;

        memset(&po, 0, sizeof(po));
        po.palette = 1;
        po.palette_bits = 2;
        po.palette_colors = 3;                  /* red, index 3, missing */
        sg_buf_free(&b);
        b = png_of(800, 600, SG_COLOR, &po, 0);
        assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
        assert_non_null(strstr(info.detail, "palette"));
        sg_buf_free(&b);

        b = png_of(800, 600, SG_GREY, &po, 0);  /* no pixel uses index 3 */
        assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_OK);
        sg_buf_free(&b);
        b = png_of(800, 600, SG_COLOR, NULL, 0);
    }

    /* an ancillary chunk's CRC too */
    assert_int_equal(sg_png_pad(&b, b.n + 100), 0);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);
    b.p[png_chunk(&b, "prVt") + 8 + 88] ^= 0x01;
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&b);
}


static void
png_ancillary_oddities_are_no_damage(void **state)
{
    static const unsigned char  gama[4] = { 0, 0, 0, 0 };
    static const unsigned char  srgb[1] = { 9 };
    static const unsigned char  iccp[] = "ICC Profile\0\0\x78\x9c\xff\xfe";
    static const unsigned char  text[] = "\0no keyword";
    sg_buf_t        b;
    ch_file_info_t  info;

    (void) state;

    /* profiles and values libpng finds wrong: the pixels are whole */
    b = png_of(800, 600, SG_COLOR, NULL, 0);
    png_insert_chunk(&b, 33, "gAMA", gama, sizeof(gama));
    png_insert_chunk(&b, 33, "sRGB", srgb, sizeof(srgb));
    png_insert_chunk(&b, 33, "iCCP", iccp, sizeof(iccp) - 1);
    png_insert_chunk(&b, 33, "tEXt", text, sizeof(text) - 1);
    png_insert_chunk(&b, 33, "pHYs", "\0\0\x2e\x23", 4);  /* too short */
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);
    assert_int_equal(info.color, 1);

    /* but a critical chunk unknown to libpng is damage */
    png_insert_chunk(&b, 33, "ABCD", "x", 1);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&b);
}


/* --- BMP's structure ----------------------------------------------------- */

static void
bmp_structure_is_checked(void **state)
{
    sg_buf_t        b;
    sg_bmp_opt_t    o;
    ch_file_info_t  info;
    uint32_t        off;

    (void) state;

    /* compressions that are not decoded here */
    memset(&o, 0, sizeof(o));
    o.bpp = 24;
    o.compression = 4;                         /* JPEG */
    b = bmp_of(800, 600, SG_COLOR, &o, 0);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_UNSUPPORTED);
    o.compression = 5;                         /* PNG */
    sg_put32(b.p + 30, 5);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_UNSUPPORTED);
    sg_buf_free(&b);

    memset(&o, 0, sizeof(o));
    b = bmp_of(800, 600, SG_COLOR, &o, 0);
    off = 14 + 40;

    /* the pixel array past the end of the file */
    sg_put32(b.p + 10, off + 10);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    assert_non_null(strstr(info.detail, "past the end"));

    /* or inside the headers */
    sg_put32(b.p + 10, off - 1);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_put32(b.p + 10, off);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);

    /* a larger height than the data */
    sg_put32(b.p + 22, 601);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_put32(b.p + 22, 600);

    /* fields that make no sense */
    sg_put16(b.p + 26, 2);                     /* planes */
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_put16(b.p + 26, 1);
    sg_put32(b.p + 18, 0);                     /* width */
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_put32(b.p + 18, (uint32_t) -800);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_put32(b.p + 18, 800);
    sg_put16(b.p + 28, 7);                     /* bits per pixel */
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_put16(b.p + 28, 64);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_UNSUPPORTED);
    sg_put16(b.p + 28, 24);
    sg_put32(b.p + 14, 48);                    /* no such header */
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_UNSUPPORTED);
    sg_put32(b.p + 14, 40);
    b.p[8] = 1;                                /* reserved */
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_UNKNOWN_TYPE);
    assert_int_equal(ch_bmp_check(b.p, b.n, &info), CH_CHECK_DAMAGED);
    b.p[8] = 0;
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);
    sg_buf_free(&b);

    /* bit fields that overlap, or are not contiguous */
    memset(&o, 0, sizeof(o));
    o.bpp = 16;
    o.bitfields = 1;
    b = bmp_of(800, 600, SG_COLOR, &o, 0);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);
    sg_put32(b.p + 58, 0x0ff0);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_put32(b.p + 58, 0x0520);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_put32(b.p + 58, 0);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&b);

    /* a palette of 16 for 8-bit pixels: indexes past it are damage */
    memset(&o, 0, sizeof(o));
    o.bpp = 8;
    o.grey = 1;
    b = bmp_of(800, 600, SG_GREY, &o, 0);
    sg_put32(b.p + 46, 16);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    assert_non_null(strstr(info.detail, "palette"));
    sg_put32(b.p + 46, 257);                   /* more than 8 bits allow */
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_DAMAGED);
    sg_put32(b.p + 46, 256);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_OK);
    sg_buf_free(&b);
}


/* --- each checker directly ----------------------------------------------- */

static void
checkers_refuse_other_types(void **state)
{
    sg_buf_t        j, p, b;
    ch_file_info_t  info;

    (void) state;

    j = jpeg_of(64, 64, SG_COLOR, NULL, 0);
    p = png_of(64, 64, SG_COLOR, NULL, 0);
    b = bmp_of(64, 64, SG_COLOR, NULL, 0);

    /* each checks its own type's structure, not the rules of the hall */
    assert_int_equal(ch_jpeg_check(j.p, j.n, &info), CH_CHECK_OK);
    assert_int_equal(info.width, 64);
    assert_int_equal(info.type, CH_FILE_JPEG);
    assert_int_equal(ch_png_check(p.p, p.n, &info), CH_CHECK_OK);
    assert_int_equal(info.pages, 1);
    assert_int_equal(ch_bmp_check(b.p, b.n, &info), CH_CHECK_OK);
    assert_int_equal(info.color, 1);

    assert_int_equal(ch_jpeg_check(p.p, p.n, &info), CH_CHECK_DAMAGED);
    assert_int_equal(ch_jpeg_check(b.p, b.n, &info), CH_CHECK_DAMAGED);
    assert_int_equal(ch_png_check(j.p, j.n, &info), CH_CHECK_DAMAGED);
    assert_int_equal(ch_png_check(b.p, b.n, &info), CH_CHECK_DAMAGED);
    assert_int_equal(ch_bmp_check(j.p, j.n, &info), CH_CHECK_DAMAGED);
    assert_int_equal(ch_bmp_check(p.p, p.n, &info), CH_CHECK_DAMAGED);
    assert_int_equal(ch_jpeg_check(j.p, 0, &info), CH_CHECK_DAMAGED);
    assert_int_equal(ch_png_check(p.p, 0, &info), CH_CHECK_DAMAGED);
    assert_int_equal(ch_bmp_check(b.p, 0, &info), CH_CHECK_DAMAGED);

    sg_buf_free(&j);
    sg_buf_free(&p);
    sg_buf_free(&b);
}


static void
exact_sizes_are_padded_validly(void **state)
{
    sg_buf_t        b;
    ch_file_info_t  info;
    size_t          want;

    (void) state;

    /* the generator's padding, as the suites use it at the 2 MiB limit */
    for (want = 0; want < 6; want++) {
        b = jpeg_of(400, 600, SG_COLOR, NULL, 0);
        assert_int_equal(sg_jpeg_pad(&b, b.n + want * 3), 0);
        assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);
        sg_buf_free(&b);
    }

    b = jpeg_of(400, 600, SG_COLOR, NULL, 0);
    assert_int_equal(sg_jpeg_pad(&b, 2097152), 0);
    assert_int_equal(b.n, 2097152);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);
    sg_buf_free(&b);

    b = png_of(400, 600, SG_COLOR, NULL, 0);
    assert_int_equal(sg_png_pad(&b, 2097152), 0);
    assert_int_equal(b.n, 2097152);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);
    sg_buf_free(&b);
}


/* --- thread safety ------------------------------------------------------- */

typedef struct {
    const sg_buf_t  *files;
    size_t           nfiles;
    ch_check_e       want[8];
    int              bad;
} worker_t;


static void *
worker(void *arg)
{
    worker_t        *w;
    ch_file_info_t   info;
    size_t           i, round;

    w = arg;

    for (round = 0; round < 6; round++) {
        for (i = 0; i < w->nfiles; i++) {
            if (ch_file_check(w->files[i].p, w->files[i].n, 1, &info)
                != w->want[i])
            {
                w->bad++;
            }
        }
    }

    return NULL;
}


static void
checks_run_in_parallel(void **state)
{
    sg_buf_t    files[6];
    worker_t    w[4];
    pthread_t   t[4];
    size_t      i, k;

    (void) state;

    /* good and bad files of each type, so that errors longjmp meanwhile */
    files[0] = jpeg_of(400, 600, SG_COLOR, NULL, 0);
    files[1] = jpeg_of(400, 600, SG_COLOR, NULL, 0);
    files[1].n /= 2;
    files[2] = png_of(400, 600, SG_GREY, NULL, 0);
    files[3] = png_of(400, 600, SG_COLOR, NULL, 0);
    files[3].n -= 5;
    files[4] = bmp_of(400, 600, SG_COLOR, NULL, 0);
    files[5] = jpeg_of(400, 600, SG_GREY, NULL, 0);

    for (k = 0; k < 4; k++) {
        w[k].files = files;
        w[k].nfiles = 6;
        w[k].want[0] = CH_CHECK_OK;
        w[k].want[1] = CH_CHECK_DAMAGED;
        w[k].want[2] = CH_CHECK_NOT_COLOR;
        w[k].want[3] = CH_CHECK_DAMAGED;
        w[k].want[4] = CH_CHECK_OK;
        w[k].want[5] = CH_CHECK_NOT_COLOR;
        w[k].bad = 0;
        assert_int_equal(pthread_create(&t[k], NULL, worker, &w[k]), 0);
    }

    for (k = 0; k < 4; k++) {
        assert_int_equal(pthread_join(t[k], NULL), 0);
        assert_int_equal(w[k].bad, 0);
    }

    for (i = 0; i < 6; i++) {
        sg_buf_free(&files[i]);
    }
}


/* --- the API's words ----------------------------------------------------- */

static void
every_result_has_a_code_and_a_message(void **state)
{
    ch_check_e  e;
    const char *code;

    (void) state;

    assert_null(ch_check_code(CH_CHECK_OK));
    assert_null(ch_check_message(CH_CHECK_OK));

    for (e = CH_CHECK_UNKNOWN_TYPE; e <= CH_CHECK_NO_MEMORY; e++) {
        code = ch_check_code(e);
        assert_non_null(code);
        assert_non_null(ch_check_message(e));
        assert_true(strlen(ch_check_message(e)) > 10);
        assert_true(strspn(code, "abcdefghijklmnopqrstuvwxyz_")
                    == strlen(code));
    }

    assert_string_equal(ch_check_code(CH_CHECK_UNKNOWN_TYPE),
                        "unsupported_file_type");
    assert_string_equal(ch_check_code(CH_CHECK_DAMAGED), "file_damaged");
    assert_string_equal(ch_check_code(CH_CHECK_TRAILING_DATA),
                        "file_trailing_data");
    assert_string_equal(ch_check_code(CH_CHECK_UNSUPPORTED),
                        "file_unsupported");
    assert_string_equal(ch_check_code(CH_CHECK_NOT_COLOR), "scan_not_color");
    assert_string_equal(ch_check_code(CH_CHECK_LOW_RESOLUTION),
                        "resolution_too_low");
    assert_string_equal(ch_check_code(CH_CHECK_TOO_MANY_PIXELS),
                        "image_too_large");
    assert_string_equal(ch_check_code(CH_CHECK_PDF_MALFORMED),
                        "pdf_malformed");
    assert_string_equal(ch_check_code(CH_CHECK_PDF_ACTIVE),
                        "pdf_active_content");
    assert_string_equal(ch_check_code(CH_CHECK_PDF_ENCRYPTED),
                        "pdf_encrypted");
    assert_string_equal(ch_check_code(CH_CHECK_PDF_NO_IMAGE), "pdf_no_scan");
    assert_string_equal(ch_check_code(CH_CHECK_NO_MEMORY), "internal_error");

    assert_string_equal(ch_check_message(CH_CHECK_NOT_COLOR),
                        "扫描件必须为彩色，请使用彩色模式重新扫描后上传");
    assert_string_equal(ch_check_message(CH_CHECK_LOW_RESOLUTION),
                        "图片分辨率过低（至少400×600像素），请重新扫描后上传");
    assert_string_equal(ch_check_message(CH_CHECK_DAMAGED),
                        "文件已损坏或不完整，无法打开，请重新扫描、重新导出或另存为后上传");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(types_are_told_by_their_first_bytes),
        cmocka_unit_test(other_files_are_an_unknown_type),
        cmocka_unit_test(jpeg_colour_scans_are_accepted),
        cmocka_unit_test(jpeg_colours_are_libjpegs),
        cmocka_unit_test(png_colour_scans_are_accepted),
        cmocka_unit_test(bmp_colour_scans_are_accepted),
        cmocka_unit_test(grey_scans_are_refused_whatever_their_storage),
        cmocka_unit_test(tinted_grey_scans_are_refused),
        cmocka_unit_test(colour_is_reported_when_not_required),
        cmocka_unit_test(colour_threshold_is_one_pixel_in_a_thousand),
        cmocka_unit_test(small_images_are_refused),
        cmocka_unit_test(pixel_bombs_are_refused_before_decoding),
        cmocka_unit_test(truncated_files_are_damaged),
        cmocka_unit_test(data_after_the_end_is_refused),
        cmocka_unit_test(png_checksums_are_checked),
        cmocka_unit_test(png_ancillary_oddities_are_no_damage),
        cmocka_unit_test(bmp_structure_is_checked),
        cmocka_unit_test(checkers_refuse_other_types),
        cmocka_unit_test(exact_sizes_are_padded_validly),
        cmocka_unit_test(checks_run_in_parallel),
        cmocka_unit_test(every_result_has_a_code_and_a_message),
    };

#ifdef RUNNING_ON_VALGRIND
    /*
     * libjpeg-turbo's SIMD YCbCr-to-RGB conversion, which libjpeg_per_mille
     * uses for reference (the checker does not), reads row padding that
     * valgrind reports as uninitialised; its C code gives the same pixels
     */
    if (RUNNING_ON_VALGRIND) {
        setenv("JSIMD_FORCENONE", "1", 1);
    }
#endif

    return run_tap(tests);
}
