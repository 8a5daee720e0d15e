/*
 * Reading amounts in yuan: see ch_money.h.
 */

#include <string.h>

#include "ch_money.h"


int
ch_money_parse(const char *s, size_t len, long long *fen)
{
    size_t       digits, group;
    long long    v;
    const char  *p, *end;
    int          commas, decimals;

    p = s;
    end = s + len;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    /* ¥ U+00A5 (C2 A5) and the full-width ￥ U+FFE5 (EF BF A5) */
    if (end - p >= 2 && (unsigned char) p[0] == 0xc2
        && (unsigned char) p[1] == 0xa5)
    {
        p += 2;

    } else if (end - p >= 3 && (unsigned char) p[0] == 0xef
               && (unsigned char) p[1] == 0xbf
               && (unsigned char) p[2] == 0xa5)
    {
        p += 3;
    }

    v = 0;
    digits = 0;
    group = 0;
    commas = 0;

    for ( /* void */ ; p < end && *p != '.'; p++) {
        if (*p == ',') {
            /* 1,200,000: a comma after 1 to 3 digits, then groups of 3 */
            if (digits == 0 || (commas ? group != 3 : group > 3)) {
                return -1;
            }

            commas = 1;
            group = 0;
            continue;
        }

        if (*p < '0' || *p > '9') {
            return -1;
        }

        v = v * 10 + (*p - '0');
        digits++;
        group++;

        if (v > CH_MONEY_MAX_FEN / 100) {
            return -1;
        }
    }

    if (digits == 0 || (commas && group != 3)) {
        return -1;
    }

    v *= 100;

    if (p < end) {
        p++;                            /* '.' */
        decimals = 0;

        for ( /* void */ ; p < end; p++) {
            if (*p < '0' || *p > '9' || decimals == 2) {
                return -1;
            }

            v += (*p - '0') * (decimals == 0 ? 10 : 1);
            decimals++;
        }

        if (decimals == 0) {
            return -1;
        }
    }

    if (v > CH_MONEY_MAX_FEN) {
        return -1;
    }

    *fen = v;

    return 0;
}
