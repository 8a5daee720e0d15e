/*
 * Checking uploaded scans: the type from the first bytes, the colour
 * count, and the whole check that runs the type's checker and then the
 * rules every scan shares (see ch_filecheck.h for the rules).  Each
 * format's checker is a file of its own: ch_jpeg.c, ch_png.c, ch_bmp.c,
 * and ch_pdf.c with its parts; what they share is ch_filecheck_int.h.
 *
 * Thread-safe: no state outside the call.
 */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ch_filecheck.h"
#include "ch_filecheck_int.h"


#define CH_STR(x)   #x
#define CH_XSTR(x)  CH_STR(x)

_Static_assert(CH_IMAGE_MAX_PIXELS == 50000000u,
               "ch_check_message says 5000万 pixels");


void
ch_detail(ch_file_info_t *info, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(info->detail, sizeof(info->detail), fmt, ap);
    va_end(ap);
}


void
ch_info_init(ch_file_info_t *info, ch_file_type_e type)
{
    memset(info, 0, sizeof(ch_file_info_t));
    info->type = type;
    info->pages = 1;
}


/* --- sniffing ------------------------------------------------------------ */

/* 1: p starts with the magic; 2: p is shorter and a prefix of it; 0: no */
static int
ch_magic(const unsigned char *p, size_t n, const char *magic, size_t len)
{
    if (n >= len) {
        return memcmp(p, magic, len) == 0;
    }

    return memcmp(p, magic, n) == 0 ? 2 : 0;
}


ch_file_type_e
ch_file_sniff(const unsigned char *p, size_t n)
{
    int     m, prefix;
    size_t  i;

    if (n == 0) {
        return CH_FILE_NEED_MORE;               /* p may be NULL */
    }

    prefix = 0;

    m = ch_magic(p, n, "\xff\xd8\xff", 3);
    if (m == 1) {
        return CH_FILE_JPEG;
    }
    prefix |= m;

    m = ch_magic(p, n, "\x89PNG\r\n\x1a\n", 8);
    if (m == 1) {
        return CH_FILE_PNG;
    }
    prefix |= m;

    m = ch_magic(p, n, "%PDF-", 5);
    if (m == 1) {
        return CH_FILE_PDF;
    }
    prefix |= m;

    /*
     * "BM", the file size (any), then the reserved bytes 6..9, zero: those
     * present are checked (with 8 or 9 bytes, 8 and 9 are not there yet;
     * ch_file_check sees the whole file and so all four)
     */
    m = ch_magic(p, n, "BM", 2);
    if (m) {
        for (i = 6; i < n && i < 10; i++) {
            if (p[i] != 0) {
                m = 0;
                break;
            }
        }

        if (m && n >= CH_FILE_SNIFF_LEN) {
            return CH_FILE_BMP;
        }
        prefix |= m;
    }

    return (prefix && n < CH_FILE_SNIFF_LEN) ? CH_FILE_NEED_MORE
                                             : CH_FILE_UNKNOWN;
}


const char *
ch_file_format(ch_file_type_e type)
{
    switch (type) {
    case CH_FILE_JPEG:
        return "jpg";
    case CH_FILE_PNG:
        return "png";
    case CH_FILE_BMP:
        return "bmp";
    case CH_FILE_PDF:
        return "pdf";
    default:
        return NULL;
    }
}


const char *
ch_file_media_type(ch_file_type_e type)
{
    switch (type) {
    case CH_FILE_JPEG:
        return "image/jpeg";
    case CH_FILE_PNG:
        return "image/png";
    case CH_FILE_BMP:
        return "image/bmp";
    case CH_FILE_PDF:
        return "application/pdf";
    default:
        return NULL;
    }
}


/* --- colour (one pixel: ch_colored in ch_filecheck_int.h) ------------ */

void
ch_color_count_rgb(ch_color_count_t *cc, const unsigned char *rgb,
    size_t pixels)
{
    cc->colored += ch_colored_px(rgb, pixels, 3);
    cc->pixels += pixels;
}


void
ch_color_verdict(const ch_color_count_t *cc, ch_file_info_t *info)
{
    unsigned long long  per_mille;

    if (cc->pixels == 0) {
        per_mille = 0;

    } else if (cc->colored <= ULLONG_MAX / 1000) {
        per_mille = cc->colored * 1000 / cc->pixels;

    } else {
        /* not from any image the checkers accept; still no overflow */
        per_mille = cc->colored / (cc->pixels / 1000);
    }

    if (per_mille > 1000) {
        per_mille = 1000;
    }

    /* per mille rounded down >= N  <=>  colored * 1000 >= N * pixels */
    info->colored_per_mille = (unsigned) per_mille;
    info->color = cc->pixels != 0 && per_mille >= CH_COLOR_MIN_PER_MILLE;
}


/* --- the whole check ------------------------------------------------------- */

ch_check_e
ch_file_check(const unsigned char *p, size_t n, int color_required,
    ch_file_info_t *info)
{
    ch_file_type_e  type;
    ch_check_e      rc;
    unsigned        lo, hi;

    type = ch_file_sniff(p, n);

    switch (type) {
    case CH_FILE_JPEG:
        rc = ch_jpeg_check(p, n, info);
        break;
    case CH_FILE_PNG:
        rc = ch_png_check(p, n, info);
        break;
    case CH_FILE_BMP:
        rc = ch_bmp_check(p, n, info);
        break;
    case CH_FILE_PDF:
        rc = ch_pdf_check(p, n, info);
        break;
    default:
        /* the whole file is here: a prefix of a magic is no file either */
        ch_info_init(info, CH_FILE_UNKNOWN);
        ch_detail(info, "not a jpg, png, bmp or pdf file (%zu bytes)", n);
        return CH_CHECK_UNKNOWN_TYPE;
    }

    info->type = type;

    if (rc != CH_CHECK_OK) {
        return rc;
    }

    if (ch_too_many_pixels(info->width, info->height)) {
        ch_detail(info, "%ux%u pixels, more than the limits",
                  info->width, info->height);
        return CH_CHECK_TOO_MANY_PIXELS;
    }

    lo = info->width < info->height ? info->width : info->height;
    hi = info->width < info->height ? info->height : info->width;

    if (lo < CH_IMAGE_MIN_SHORT || hi < CH_IMAGE_MIN_LONG) {
        ch_detail(info, "%ux%u pixels, less than %ux%u",
                  info->width, info->height,
                  CH_IMAGE_MIN_SHORT, CH_IMAGE_MIN_LONG);
        return CH_CHECK_LOW_RESOLUTION;
    }

    if (color_required && !info->color) {
        ch_detail(info, "not colour: %u coloured pixels per mille, "
                  "%u needed", info->colored_per_mille,
                  CH_COLOR_MIN_PER_MILLE);
        return CH_CHECK_NOT_COLOR;
    }

    return CH_CHECK_OK;
}


/* --- results for the API ------------------------------------------------- */

const char *
ch_check_code(ch_check_e e)
{
    switch (e) {
    case CH_CHECK_OK:
        return NULL;
    case CH_CHECK_UNKNOWN_TYPE:
        return "unsupported_file_type";
    case CH_CHECK_DAMAGED:
        return "file_damaged";
    case CH_CHECK_TRAILING_DATA:
        return "file_trailing_data";
    case CH_CHECK_UNSUPPORTED:
        return "file_unsupported";
    case CH_CHECK_NOT_COLOR:
        return "scan_not_color";
    case CH_CHECK_LOW_RESOLUTION:
        return "resolution_too_low";
    case CH_CHECK_TOO_MANY_PIXELS:
        return "image_too_large";
    case CH_CHECK_PDF_MALFORMED:
        return "pdf_malformed";
    case CH_CHECK_PDF_ACTIVE:
        return "pdf_active_content";
    case CH_CHECK_PDF_ENCRYPTED:
        return "pdf_encrypted";
    case CH_CHECK_PDF_NO_IMAGE:
        return "pdf_no_scan";
    case CH_CHECK_NO_MEMORY:
        return "internal_error";
    }

    return "internal_error";
}


const char *
ch_check_message(ch_check_e e)
{
    switch (e) {
    case CH_CHECK_OK:
        return NULL;
    case CH_CHECK_UNKNOWN_TYPE:
        return "仅支持jpg、png、bmp、pdf格式的文件，请转换格式后重新上传";
    case CH_CHECK_DAMAGED:
        return "文件已损坏或不完整，无法打开，请重新扫描、重新导出或另存为后上传";
    case CH_CHECK_TRAILING_DATA:
        /*
         * most often a phone's motion photo (动态照片): a video after the
         * picture, which cannot be checked here (and is over 2 MB anyway)
         */
        return "文件中图片之后还附带了其他数据（如手机“动态照片”里的视频），"
               "无法核验：请关闭动态照片后重新拍摄，或将图片另存为/截图后上传";
    case CH_CHECK_UNSUPPORTED:
        /* also an image inside a PDF (a JPEG 2000 feature OpenJPEG does
           not decode): the user cannot see which, so both ways out */
        return "不支持该图片（或PDF中图像）的编码方式，请另存为常规的jpg、"
               "png或bmp格式，或重新导出为JPEG图像的PDF后重新上传";
    case CH_CHECK_NOT_COLOR:
        return "扫描件必须为彩色，请使用彩色模式重新扫描后上传";
    case CH_CHECK_LOW_RESOLUTION:
        return "图片分辨率过低（至少" CH_XSTR(CH_IMAGE_MIN_SHORT) "×"
               CH_XSTR(CH_IMAGE_MIN_LONG) "像素），请重新扫描后上传";
    case CH_CHECK_TOO_MANY_PIXELS:
        return "图片像素过多（不超过5000万像素），请降低扫描分辨率后重新上传";
    case CH_CHECK_PDF_MALFORMED:
        return "PDF文件格式有误或已损坏，请重新导出后上传";
    case CH_CHECK_PDF_ACTIVE:
        return "PDF文件含有脚本、附件或嵌入的其他文档（如“混合PDF”中的原文档），请仅将扫描页面重新导出或另存为PDF后上传";
    case CH_CHECK_PDF_ENCRYPTED:
        return "PDF文件已加密（设有打开密码或权限密码），无法检查其内容，请取消密码保护后重新导出或另存为PDF再上传";
    case CH_CHECK_PDF_NO_IMAGE:
        return "PDF文件中没有扫描图像，请上传扫描件，或拍照上传";
    case CH_CHECK_NO_MEMORY:
        return "服务器内部错误，请稍后再试";
    }

    return "服务器内部错误，请稍后再试";
}
