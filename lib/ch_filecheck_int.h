/*
 * What the scan checkers share, inside lib/ only (not for the module or
 * the back office, which use ch_filecheck.h): the detail line, a fresh
 * info, the size limit and the test of one coloured pixel.
 *
 * The checkers are one file per format: ch_jpeg.c, ch_png.c, ch_bmp.c
 * and the ch_pdf*.c files; the sniffing, the colour count and the whole
 * check (ch_file_check) are ch_filecheck.c.  The pixel tests are inline
 * here because the PNG and BMP checkers run them for every pixel.
 */

#ifndef CH_FILECHECK_INT_H
#define CH_FILECHECK_INT_H

#include <stddef.h>

#include "ch_filecheck.h"


/* info->detail, printf-style, cut to its size */
void ch_detail(ch_file_info_t *info, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* info zeroed, with its type and one page */
void ch_info_init(ch_file_info_t *info, ch_file_type_e type);


static inline int
ch_too_many_pixels(unsigned long long w, unsigned long long h)
{
    /* both sides checked first: the product cannot overflow */
    return w > CH_IMAGE_MAX_SIDE || h > CH_IMAGE_MAX_SIDE
           || w * h > CH_IMAGE_MAX_PIXELS;
}


/* --- colour ------------------------------------------------------------- */

static inline int
ch_colored(unsigned r, unsigned g, unsigned b)
{
    unsigned  hi, lo;

    hi = r > g ? r : g;
    hi = b > hi ? b : hi;
    lo = r < g ? r : g;
    lo = b < lo ? b : lo;

    return hi - lo >= CH_COLOR_CHROMA;
}


/* the coloured pixels among px[0], px[stride], ...: R, G, B (or B, G, R) */
static inline size_t
ch_colored_px(const unsigned char *px, size_t pixels, size_t stride)
{
    size_t  i, colored;

    colored = 0;

    for (i = 0; i < pixels; i++, px += stride) {
        colored += ch_colored(px[0], px[1], px[2]);
    }

    return colored;
}

/*
 * ch_jpeg_check as a PDF's /DCTDecode is read: CMYK (YCCK once converted)
 * samples are ink as they stand (0 none), whatever an Adobe marker says
 * (viewers invert only standalone Adobe JPEGs), and the components whose
 * bit (1 << i) is set in how (the image's /Decode [1 0]) are inverted.
 * Without an Adobe marker (which overrides it) the filter's /ColorTransform
 * says whether 3 or 4 components are transformed (YCbCr, YCCK):
 * CH_JPEG_TRANSFORM_0 not, CH_JPEG_TRANSFORM_1 so, neither: libjpeg's
 * guess (3 YCbCr unless named R G B, 4 CMYK), which is the default.
 */
#define CH_JPEG_INVERT_MASK   0x0f
#define CH_JPEG_TRANSFORM_0   0x10
#define CH_JPEG_TRANSFORM_1   0x20

ch_check_e ch_jpeg_check_pdf(const unsigned char *p, size_t n, unsigned how,
    ch_file_info_t *info);

#endif /* CH_FILECHECK_INT_H */
