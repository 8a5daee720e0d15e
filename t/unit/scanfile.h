/*
 * Making scans in memory for the unit tests of lib/ch_filecheck.c and its
 * checkers (test_filecheck, test_image_variants): a page drawn by
 * scangen.h, encoded, then checked whole or with bytes after it.
 */

#ifndef CERTHALL_SCANFILE_H
#define CERTHALL_SCANFILE_H

#include <stdlib.h>

#include "unit.h"
#include "scangen.h"
#include "ch_filecheck.h"


static inline sg_image_t
page(unsigned w, unsigned h, sg_kind_e kind, unsigned noise)
{
    sg_image_t  im;

    assert_int_equal(sg_page(&im, w, h, kind, noise, 7), 0);

    return im;
}


static inline sg_buf_t
jpeg_of(unsigned w, unsigned h, sg_kind_e kind, const sg_jpeg_opt_t *opt,
    unsigned noise)
{
    sg_image_t     im;
    sg_buf_t       b;
    sg_jpeg_opt_t  def;

    memset(&def, 0, sizeof(def));
    im = page(w, h, kind, noise);
    assert_int_equal(sg_jpeg(&b, &im, opt ? opt : &def), 0);
    sg_image_free(&im);

    return b;
}


static inline sg_buf_t
png_of(unsigned w, unsigned h, sg_kind_e kind, const sg_png_opt_t *opt,
    unsigned noise)
{
    sg_image_t    im;
    sg_buf_t      b;
    sg_png_opt_t  def;

    memset(&def, 0, sizeof(def));
    def.level = -1;
    im = page(w, h, kind, noise);
    assert_int_equal(sg_png(&b, &im, opt ? opt : &def), 0);
    sg_image_free(&im);

    return b;
}


static inline sg_buf_t
bmp_of(unsigned w, unsigned h, sg_kind_e kind, const sg_bmp_opt_t *opt,
    unsigned noise)
{
    sg_image_t    im;
    sg_buf_t      b;
    sg_bmp_opt_t  def;

    memset(&def, 0, sizeof(def));
    im = page(w, h, kind, noise);
    assert_int_equal(sg_bmp(&b, &im, opt ? opt : &def), 0);
    sg_image_free(&im);

    return b;
}


static inline ch_check_e
check(const sg_buf_t *b, size_t n, int color_required, ch_file_info_t *info)
{
    return ch_file_check(b->p, n, color_required, info);
}


/* the file with extra bytes after it */
static inline ch_check_e
check_with_tail(const sg_buf_t *b, const void *tail, size_t len,
    ch_file_info_t *info)
{
    unsigned char  *p;
    ch_check_e      rc;

    p = malloc(b->n + len);
    assert_non_null(p);
    memcpy(p, b->p, b->n);
    memcpy(p + b->n, tail, len);

    rc = ch_file_check(p, b->n + len, 1, info);
    free(p);

    return rc;
}


/* a colour scan of type and size, accepted */
static inline void
expect_colour(const sg_buf_t *b, ch_file_type_e type, unsigned w,
    unsigned h)
{
    ch_file_info_t  info;

    assert_int_equal(check(b, b->n, 1, &info), CH_CHECK_OK);
    assert_int_equal(info.type, type);
    assert_int_equal(info.width, w);
    assert_int_equal(info.height, h);
    assert_int_equal(info.pages, 1);
    assert_int_equal(info.color, 1);
    /* the page has ~1.3 % colour; JPEG's 1/8 scale blurs the thin ring */
    assert_in_range(info.colored_per_mille, 5, 30);
}

#endif /* CERTHALL_SCANFILE_H */
