/*
 * The invariants the libFuzzer targets fuzz_jpeg, fuzz_png and fuzz_bmp
 * check after each of the checkers (lib/ch_jpeg.c, lib/ch_png.c,
 * lib/ch_bmp.c): a result the checker
 * may give, info filled consistently (limits held when accepted, a detail
 * when refused, a NUL-terminated detail always), and ch_file_check agreeing
 * with the checker on the same bytes (which also runs it a second time:
 * the same answer, no state kept).  Any broken invariant aborts.
 */

#ifndef CERTHALL_FUZZ_FILECHECK_H
#define CERTHALL_FUZZ_FILECHECK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_filecheck.h"


typedef ch_check_e (*fuzz_checker_pt)(const unsigned char *p, size_t n,
    ch_file_info_t *info);


/*
 * What an accepted file's info promises, for every checker (fuzz_pdf too):
 * an image within the limits, colour exactly when its per mille reaches
 * the rule, and no refusal's detail
 */
static int
fuzz_accepted_info_ok(const ch_file_info_t *info)
{
    return info->width != 0 && info->height != 0
           && info->width <= CH_IMAGE_MAX_SIDE
           && info->height <= CH_IMAGE_MAX_SIDE
           && (unsigned long long) info->width * info->height
              <= CH_IMAGE_MAX_PIXELS
           && info->colored_per_mille <= 1000
           && (info->color == 0 || info->color == 1)
           && info->color == (info->colored_per_mille
                              >= CH_COLOR_MIN_PER_MILLE)
           && info->detail[0] == '\0';
}


static void
fuzz_filecheck(fuzz_checker_pt checker, ch_file_type_e type,
    const uint8_t *data, size_t size)
{
    ch_file_info_t  info, whole;
    ch_check_e      rc, rc2;

    rc = checker(data, size, &info);

    if (memchr(info.detail, '\0', sizeof(info.detail)) == NULL
        || info.type != type || info.pages != 1)
    {
        abort();
    }

    switch (rc) {

    case CH_CHECK_OK:
        if (!fuzz_accepted_info_ok(&info) || ch_check_code(rc) != NULL) {
            abort();
        }
        break;

    case CH_CHECK_DAMAGED:
    case CH_CHECK_TRAILING_DATA:
    case CH_CHECK_UNSUPPORTED:
    case CH_CHECK_TOO_MANY_PIXELS:
        if (info.detail[0] == '\0' || ch_check_code(rc) == NULL
            || ch_check_message(rc) == NULL)
        {
            abort();
        }
        break;

    default:
        /* CH_CHECK_NO_MEMORY included: memory is bounded, never short */
        abort();
    }

    if (ch_file_sniff(data, size) != type) {
        return;
    }

    rc2 = ch_file_check(data, size, 1, &whole);

    if (whole.type != type) {
        abort();
    }

    if (rc != CH_CHECK_OK) {
        if (rc2 != rc || strcmp(whole.detail, info.detail) != 0) {
            abort();
        }
        return;
    }

    if ((rc2 != CH_CHECK_OK && rc2 != CH_CHECK_LOW_RESOLUTION
         && rc2 != CH_CHECK_NOT_COLOR)
        || whole.width != info.width || whole.height != info.height
        || whole.colored_per_mille != info.colored_per_mille
        || whole.color != info.color
        || (rc2 == CH_CHECK_NOT_COLOR && info.color)
        || (rc2 == CH_CHECK_OK && !info.color))
    {
        abort();
    }
}

#endif /* CERTHALL_FUZZ_FILECHECK_H */
