/*
 * The image variants real cameras, phones, scanners and ImageMagick write,
 * made here in memory (t/unit/scangen.h): a phone's JPEG markers and
 * Samsung trailer, RLE8 / RLE4 BMPs, OS/2 2.x BMP headers.  Each is
 * accepted as its plain twin is, and each way to break it is refused
 * with its own code.
 */

#include "scanfile.h"


/* a ZIP (local header, end of directory), as a polyglot appends it */
static const char  zip_tail[] =
    "PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
    "PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";


/*
 * What cameras and phones add: the Exif orientation of a phone held
 * upright (6) with the largest thumbnail one APP1 holds, and an ICC
 * profile over 64 KiB in three APP2 chunks (as ImageMagick writes a
 * CMYK profile); the size is the stored one, not the rotated
 */
static void
jpeg_phone_markers_are_accepted(void **state)
{
    sg_jpeg_opt_t  o;
    sg_buf_t       b, thumb;

    (void) state;

    memset(&o, 0, sizeof(o));
    o.quality = 100;
    thumb = jpeg_of(400, 300, SG_COLOR, &o, 60);
    assert_true(thumb.n > 40000);
    o.quality = 90;
    o.orientation = 6;
    o.thumb = thumb.p;
    o.thumb_len = thumb.n < 65470 ? thumb.n : 65470;
    o.icc_bytes = 150000;
    b = jpeg_of(800, 600, SG_COLOR, &o, 0);
    assert_non_null(memmem(b.p, 64, "Exif", 4));
    expect_colour(&b, CH_FILE_JPEG, 800, 600);
    sg_buf_free(&b);
    sg_buf_free(&thumb);
}


/*
 * A Samsung phone's trailer after EOI is accepted when its structure
 * accounts for every byte and it carries metadata or whole JPEGs only;
 * anything else in or around it is still trailing data.
 */
static void
jpeg_samsung_trailer_is_verified(void **state)
{
    sg_buf_t              b, t, second;
    ch_file_info_t        info;
    const char           *names[3];
    unsigned              types[3];
    const unsigned char  *data[3];
    size_t                len[3], dirlen_at;
    unsigned char        *big;

    (void) state;

    b = jpeg_of(800, 600, SG_COLOR, NULL, 0);
    second = jpeg_of(64, 64, SG_GREY, NULL, 0);

    names[0] = "Image_UTC_Data";
    types[0] = 0x0a01;
    data[0] = (const unsigned char *) "1701933456789";
    len[0] = 13;
    names[1] = "MCC_Data";
    types[1] = 0x0aa1;
    data[1] = (const unsigned char *) "460";
    len[1] = 3;
    names[2] = "DualShot_1";
    types[2] = 0x0a20;
    data[2] = second.p;
    len[2] = second.n;

    /* metadata only, then with a dual camera's second JPEG */
    memset(&t, 0, sizeof(t));
    assert_int_equal(sg_samsung_trailer(&t, 2, names, types, data, len), 0);
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info), CH_CHECK_OK);
    assert_int_equal(info.width, 800);
    assert_true(info.color);
    sg_buf_free(&t);

    memset(&t, 0, sizeof(t));
    assert_int_equal(sg_samsung_trailer(&t, 3, names, types, data, len), 0);
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info), CH_CHECK_OK);

    /* after an appended MPO image too */
    {
        sg_buf_t  two;

        memset(&two, 0, sizeof(two));
        assert_int_equal(sg_buf_add(&two, second.p, second.n), 0);
        assert_int_equal(sg_buf_add(&two, t.p, t.n), 0);
        assert_int_equal(check_with_tail(&b, two.p, two.n, &info),
                         CH_CHECK_OK);
        sg_buf_free(&two);
    }

    /* one byte off anywhere in the structure: trailing data */
    dirlen_at = t.n - 8;
    t.p[dirlen_at]++;
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info),
                     CH_CHECK_TRAILING_DATA);
    t.p[dirlen_at]--;
    t.p[t.n - 1] = 'X';                          /* "SEFX" */
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info),
                     CH_CHECK_TRAILING_DATA);
    t.p[t.n - 1] = 'T';
    t.p[t.n - 8 - 36 + 12 + 4]++;                /* entry 1's distance */
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info),
                     CH_CHECK_TRAILING_DATA);
    t.p[t.n - 8 - 36 + 12 + 4]--;
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info), CH_CHECK_OK);
    sg_buf_free(&t);

    /* a damaged JPEG in a block */
    len[2] = second.n - 20;
    memset(&t, 0, sizeof(t));
    assert_int_equal(sg_samsung_trailer(&t, 3, names, types, data, len), 0);
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info),
                     CH_CHECK_TRAILING_DATA);
    sg_buf_free(&t);
    len[2] = second.n;

    /* a byte before the first block: not accounted for */
    memset(&t, 0, sizeof(t));
    assert_int_equal(sg_buf_add(&t, "Q", 1), 0);
    assert_int_equal(sg_samsung_trailer(&t, 2, names, types, data, len), 0);
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info),
                     CH_CHECK_TRAILING_DATA);
    sg_buf_free(&t);

    /* a ZIP, a PDF or HTML as a block's "metadata" */
    data[1] = (const unsigned char *) zip_tail;
    len[1] = sizeof(zip_tail) - 1;
    memset(&t, 0, sizeof(t));
    assert_int_equal(sg_samsung_trailer(&t, 2, names, types, data, len), 0);
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info),
                     CH_CHECK_TRAILING_DATA);
    sg_buf_free(&t);
    data[1] = (const unsigned char *) "x<HTML><Script>";
    len[1] = 15;
    memset(&t, 0, sizeof(t));
    assert_int_equal(sg_samsung_trailer(&t, 2, names, types, data, len), 0);
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info),
                     CH_CHECK_TRAILING_DATA);
    sg_buf_free(&t);

    /* more metadata than a phone writes (a motion photo's video) */
    big = calloc(1, CH_JPEG_MAX_TRAILER + 1);
    assert_non_null(big);
    data[1] = big;
    len[1] = CH_JPEG_MAX_TRAILER + 1;
    memset(&t, 0, sizeof(t));
    assert_int_equal(sg_samsung_trailer(&t, 2, names, types, data, len), 0);
    assert_int_equal(check_with_tail(&b, t.p, t.n, &info),
                     CH_CHECK_TRAILING_DATA);
    sg_buf_free(&t);
    free(big);

    sg_buf_free(&second);
    sg_buf_free(&b);
}


/*
 * RLE8 and RLE4: ImageMagick writes every 8-bit palette BMP as RLE8 by
 * default.  The colour is the uncompressed twin's; each escape is decoded
 * and each way a stream can be broken is damage.
 */
static sg_buf_t
rle_fixture(unsigned bpp, const unsigned char *codes, size_t n)
{
    sg_buf_t        b;
    sg_bmp_opt_t    o;
    size_t          off;

    /* a 640 x 400 palette BMP, its pixel array replaced by codes */
    memset(&o, 0, sizeof(o));
    o.bpp = bpp;
    o.rle = 1;
    b = bmp_of(640, 400, SG_COLOR, &o, 0);
    off = 14 + 40 + ((size_t) 4 << bpp);
    b.n = off;
    assert_int_equal(sg_buf_add(&b, codes, n), 0);

    return b;
}


static void
bmp_rle_is_decoded(void **state)
{
    sg_buf_t        b, u;
    sg_bmp_opt_t    o;
    ch_file_info_t  info, uinfo;
    unsigned char   codes[2048];
    size_t          i, k;

    (void) state;

    /* colour and grey, RLE8, judged as their uncompressed twins */
    memset(&o, 0, sizeof(o));
    o.bpp = 8;
    u = bmp_of(800, 600, SG_COLOR, &o, 3);
    o.rle = 1;
    b = bmp_of(800, 600, SG_COLOR, &o, 3);
    assert_int_equal(b.p[30], 1);
    assert_true(b.n < u.n);
    assert_int_equal(check(&u, u.n, 1, &uinfo), CH_CHECK_OK);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_OK);
    assert_int_equal(info.colored_per_mille, uinfo.colored_per_mille);
    assert_int_equal(info.width, 800);
    assert_int_equal(info.height, 600);

    /* whole: cut anywhere, it is damaged */
    for (k = b.n - 1; k > b.n - 8; k--) {
        assert_int_equal(check(&b, k, 1, &info), CH_CHECK_DAMAGED);
    }
    assert_int_equal(check(&b, b.n - 1000, 1, &info), CH_CHECK_DAMAGED);

    /* nothing after the end of bitmap but the slack */
    assert_int_equal(sg_buf_add(&b, "\0\0\0\0PK\3\4", 8), 0);
    assert_int_equal(check(&b, b.n - 4, 1, &info), CH_CHECK_OK);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_TRAILING_DATA);
    sg_buf_free(&b);
    sg_buf_free(&u);

    o.grey = 1;
    b = bmp_of(800, 600, SG_GREY, &o, 3);
    assert_int_equal(check(&b, b.n, 1, &info), CH_CHECK_NOT_COLOR);
    sg_buf_free(&b);

    /* RLE4 (a 16-grey palette here), and the compression's pairings */
    o.bpp = 4;
    b = bmp_of(800, 600, SG_GREY, &o, 3);
    assert_int_equal(b.p[30], 2);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_OK);
    assert_false(info.color);
    sg_put32(b.p + 30, 1);                      /* RLE8 with 4 bits */
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_DAMAGED);
    sg_put32(b.p + 30, 2);
    sg_put32(b.p + 22, (uint32_t) -600);        /* RLE has no top-down */
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&b);

    /*
     * Every escape, by hand, on a 640 x 400 8-bit image whose palette
     * entry 0 is white and 200 red: row 0 runs of 255, 255 and 127 red
     * pixels and an absolute run of 3 (padded to a word), end of line;
     * a delta down 398 rows and right 5; end of bitmap.  The pixels
     * skipped are palette entry 0: 640 red pixels of 256,000.
     */
    i = 0;
    codes[i++] = 255; codes[i++] = 200;
    codes[i++] = 255; codes[i++] = 200;
    codes[i++] = 127; codes[i++] = 200;
    codes[i++] = 0; codes[i++] = 3;
    codes[i++] = 200; codes[i++] = 200; codes[i++] = 200; codes[i++] = 0;
    codes[i++] = 0; codes[i++] = 0;
    codes[i++] = 0; codes[i++] = 2; codes[i++] = 5; codes[i++] = 198;
    codes[i++] = 0; codes[i++] = 2; codes[i++] = 0; codes[i++] = 200;
    codes[i++] = 0; codes[i++] = 1;
    b = rle_fixture(8, codes, i);
    memset(b.p + 54, 0xff, 3);                  /* 0: white */
    memcpy(b.p + 54 + 4 * 200, "\0\0\xff", 3); /* 200: red */
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_OK);
    assert_int_equal(info.colored_per_mille, 2);
    assert_true(info.color);
    memset(b.p + 54 + 4 * 200, 0xff, 3);       /* 200: white, grey page */
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_OK);
    assert_int_equal(info.colored_per_mille, 0);

    /* a palette index past clrUsed */
    sg_put32(b.p + 46, 100);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_DAMAGED);
    assert_non_null(strstr(info.detail, "palette"));
    sg_buf_free(&b);

    /* without its end of bitmap */
    b = rle_fixture(8, codes, i - 2);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_DAMAGED);
    assert_non_null(strstr(info.detail, "end of bitmap"));
    sg_buf_free(&b);

    /* an absolute run or a delta cut by the end of the file */
    codes[0] = 0; codes[1] = 200;              /* 200 pixels, 4 follow */
    codes[2] = 1; codes[3] = 2; codes[4] = 0; codes[5] = 1;
    b = rle_fixture(8, codes, 6);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_DAMAGED);
    assert_non_null(strstr(info.detail, "absolute run of 200 cut"));
    sg_buf_free(&b);
    codes[0] = 0; codes[1] = 2; codes[2] = 5;
    b = rle_fixture(8, codes, 3);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_DAMAGED);
    assert_non_null(strstr(info.detail, "delta cut"));
    sg_buf_free(&b);

    /* a run past the row's end */
    codes[0] = 255; codes[1] = 1;
    codes[2] = 255; codes[3] = 1;
    codes[4] = 255; codes[5] = 1;
    codes[6] = 0; codes[7] = 1;
    b = rle_fixture(8, codes, 8);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_DAMAGED);
    assert_non_null(strstr(info.detail, "past"));
    sg_buf_free(&b);

    /* a delta below the last row */
    codes[0] = 0; codes[1] = 2; codes[2] = 0; codes[3] = 255;
    codes[4] = 0; codes[5] = 2; codes[6] = 0; codes[7] = 255;
    codes[8] = 0; codes[9] = 1;
    b = rle_fixture(8, codes, 10);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&b);

    /* more ends of line than rows */
    for (i = 0; i < 802; i += 2) {
        codes[i] = 0;
        codes[i + 1] = 0;
    }
    codes[i++] = 0; codes[i++] = 1;
    b = rle_fixture(8, codes, i);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&b);
    b = rle_fixture(8, codes + 2, i - 2);      /* exactly one per row */
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_OK);
    sg_buf_free(&b);

    /* RLE4: a run alternates its two nibbles, absolute pixels pack two */
    i = 0;
    codes[i++] = 5; codes[i++] = 0x12;
    codes[i++] = 0; codes[i++] = 3; codes[i++] = 0x34; codes[i++] = 0x50;
    codes[i++] = 0; codes[i++] = 1;
    b = rle_fixture(4, codes, i);
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_OK);
    sg_put32(b.p + 46, 5);                      /* index 5 past it */
    assert_int_equal(check(&b, b.n, 0, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&b);
}


/*
 * OS/2 2.x headers: BITMAPINFOHEADER2 (64 bytes, the first 40 as
 * Windows', then OS/2's own) and its shortened 16-byte form; their
 * compressions 3 and 4 are Huffman 1D and RLE24, not bit fields
 */
static void
bmp_os2_headers_are_read(void **state)
{
    sg_buf_t        b, os2;
    sg_bmp_opt_t    o;
    ch_file_info_t  info, winfo;
    uint32_t        off;

    (void) state;

    memset(&o, 0, sizeof(o));
    o.bpp = 8;
    b = bmp_of(800, 600, SG_COLOR, &o, 0);
    assert_int_equal(check(&b, b.n, 1, &winfo), CH_CHECK_OK);
    off = b.p[10] | (b.p[11] << 8);

    /* 64 bytes: 24 more after the 40 */
    memset(&os2, 0, sizeof(os2));
    assert_int_equal(sg_buf_add(&os2, b.p, 54), 0);
    assert_int_equal(sg_buf_reserve(&os2, 24), 0);
    memset(os2.p + os2.n, 0, 24);
    os2.n += 24;
    assert_int_equal(sg_buf_add(&os2, b.p + 54, b.n - 54), 0);
    sg_put32(os2.p + 14, 64);
    sg_put32(os2.p + 10, off + 24);
    assert_int_equal(check(&os2, os2.n, 1, &info), CH_CHECK_OK);
    assert_int_equal(info.colored_per_mille, winfo.colored_per_mille);
    sg_put32(os2.p + 30, 3);                   /* Huffman 1D */
    assert_int_equal(check(&os2, os2.n, 1, &info), CH_CHECK_UNSUPPORTED);
    assert_non_null(strstr(info.detail, "Huffman"));
    sg_put32(os2.p + 30, 4);                   /* RLE24 */
    assert_int_equal(check(&os2, os2.n, 1, &info), CH_CHECK_UNSUPPORTED);
    sg_buf_free(&os2);
    sg_buf_free(&b);

    /* 16 bytes: width, height, planes, bits; 24 bits per pixel */
    memset(&o, 0, sizeof(o));
    b = bmp_of(800, 600, SG_COLOR, &o, 0);
    assert_int_equal(check(&b, b.n, 1, &winfo), CH_CHECK_OK);
    memset(&os2, 0, sizeof(os2));
    assert_int_equal(sg_buf_add(&os2, b.p, 30), 0);
    assert_int_equal(sg_buf_add(&os2, b.p + 54, b.n - 54), 0);
    sg_put32(os2.p + 14, 16);
    sg_put32(os2.p + 10, 30);
    assert_int_equal(check(&os2, os2.n, 1, &info), CH_CHECK_OK);
    assert_int_equal(info.colored_per_mille, winfo.colored_per_mille);
    sg_put32(os2.p + 10, 29);                  /* inside the header */
    assert_int_equal(check(&os2, os2.n, 1, &info), CH_CHECK_DAMAGED);
    sg_buf_free(&os2);
    sg_buf_free(&b);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jpeg_phone_markers_are_accepted),
        cmocka_unit_test(jpeg_samsung_trailer_is_verified),
        cmocka_unit_test(bmp_rle_is_decoded),
        cmocka_unit_test(bmp_os2_headers_are_read),
    };

    return run_tap(tests);
}
