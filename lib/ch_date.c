/*
 * Dates read as people type them and written as 年/月/日 (see ch_date.h).
 */

#include <stdio.h>
#include <string.h>

#include "ch_date.h"


/* the longest input read: a date with generous blanks */
#define DATE_INPUT_MAX  64

/* the markers 年 月 日 become in the normal form */
#define MARK_YEAR   'Y'
#define MARK_MONTH  'M'
#define MARK_DAY    'D'


static int
date_leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}


/*
 * s in a normal form: ASCII digits, separators and blanks; full-width
 * digits and －／． as ASCII; the ideographic space as a blank; 年 月 日 as
 * the markers.  Returns the length, or -1 for anything else.
 */
static int
date_normal(const unsigned char *s, size_t len, char *out, size_t size)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; n++) {
        if (n + 1 >= size) {
            return -1;
        }

        if (s[i] < 0x80) {
            if (s[i] == 'Y' || s[i] == 'M' || s[i] == 'D') {
                return -1;              /* only the markers we make */
            }

            out[n] = (char) s[i++];
            continue;
        }

        if (len - i < 3) {
            return -1;
        }

        /* U+FF0D..U+FF19: － ． ／ ０..９ as '-' '.' '/' '0'..'9' */
        if (s[i] == 0xef && s[i + 1] == 0xbc && s[i + 2] >= 0x8d
            && s[i + 2] <= 0x99)
        {
            out[n] = (char) (s[i + 2] - 0x8d + '-');

        } else if (memcmp(s + i, "\xe3\x80\x80", 3) == 0) {
            out[n] = ' ';

        } else if (memcmp(s + i, "年", 3) == 0) {
            out[n] = MARK_YEAR;

        } else if (memcmp(s + i, "月", 3) == 0) {
            out[n] = MARK_MONTH;

        } else if (memcmp(s + i, "日", 3) == 0) {
            out[n] = MARK_DAY;

        } else {
            return -1;
        }

        i += 3;
    }

    out[n] = '\0';

    return (int) n;
}


static int
date_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
           || c == '\v';
}


/* digits at *p, at least min and at most max of them; -1 if not */
static long
date_number(const char **p, int min, int max)
{
    int   n;
    long  v;

    v = 0;

    for (n = 0; n < max && **p >= '0' && **p <= '9'; n++, (*p)++) {
        v = v * 10 + (**p - '0');
    }

    return n < min ? -1 : v;
}


static void
date_blanks(const char **p)
{
    while (date_blank(**p)) {
        (*p)++;
    }
}


ch_date_e
ch_date_parse(const char *s, size_t len, char out[CH_DATE_ISO_SIZE])
{
    int          n;
    char         buf[DATE_INPUT_MAX + 1], sep;
    long         y, m, d, last;
    const char  *p, *end;

    static const int  days[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (len > DATE_INPUT_MAX) {
        return CH_DATE_BAD;
    }

    n = date_normal((const unsigned char *) s, len, buf, sizeof(buf));

    if (n < 0) {
        return CH_DATE_BAD;
    }

    /* trimmed */
    p = buf;
    end = buf + n;

    while (p < end && date_blank(*p)) {
        p++;
    }

    while (end > p && date_blank(end[-1])) {
        end--;
    }

    if (p == end) {
        return CH_DATE_EMPTY;
    }

    *(char *) end = '\0';

    if (end - p > 4 && (p[4] == '-' || p[4] == '/' || p[4] == '.')) {
        /* 2026-12-07, 2026/12/7, 2026.12.7: the same separator twice */
        y = date_number(&p, 4, 4);

        if (y < 0) {
            return CH_DATE_BAD;
        }

        sep = *p++;
        m = date_number(&p, 1, 2);

        if (m < 0 || *p++ != sep) {
            return CH_DATE_BAD;
        }

        d = date_number(&p, 1, 2);

    } else {
        /* 2026年12月7日, the 日 optional, blanks around the numbers */
        y = date_number(&p, 4, 4);
        date_blanks(&p);

        if (*p++ != MARK_YEAR) {
            return CH_DATE_BAD;
        }

        date_blanks(&p);
        m = date_number(&p, 1, 2);
        date_blanks(&p);

        if (m < 0 || *p++ != MARK_MONTH) {
            return CH_DATE_BAD;
        }

        date_blanks(&p);
        d = date_number(&p, 1, 2);
        date_blanks(&p);

        if (*p == MARK_DAY) {
            p++;
        }
    }

    if (y < 0 || d < 0 || p != end) {
        return CH_DATE_BAD;
    }

    if (y < 1900 || y > 2999 || m < 1 || m > 12) {
        return CH_DATE_BAD;
    }

    last = days[m - 1] + (m == 2 && date_leap(y));

    if (d < 1 || d > last) {
        return CH_DATE_BAD;
    }

    out[0] = (char) ('0' + y / 1000);
    out[1] = (char) ('0' + y / 100 % 10);
    out[2] = (char) ('0' + y / 10 % 10);
    out[3] = (char) ('0' + y % 10);
    out[4] = '-';
    out[5] = (char) ('0' + m / 10);
    out[6] = (char) ('0' + m % 10);
    out[7] = '-';
    out[8] = (char) ('0' + d / 10);
    out[9] = (char) ('0' + d % 10);
    out[10] = '\0';

    return CH_DATE_OK;
}


static int
date_digits(const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }

    return 1;
}


/* "yyyy-mm-dd" at ts's start */
static int
date_iso_day(const char *ts)
{
    return strlen(ts) >= 10 && date_digits(ts, 4) && ts[4] == '-'
           && date_digits(ts + 5, 2) && ts[7] == '-' && date_digits(ts + 8, 2);
}


size_t
ch_date_text(char out[CH_DATE_TEXT_SIZE], const char *ts)
{
    if (ts == NULL || !date_iso_day(ts)) {
        return 0;
    }

    return (size_t) snprintf(out, CH_DATE_TEXT_SIZE, "%.4s年%.2s月%.2s日",
                             ts, ts + 5, ts + 8);
}


size_t
ch_date_time_text(char out[CH_DATE_TEXT_SIZE], const char *ts)
{
    size_t  n;

    n = ch_date_text(out, ts);

    if (n == 0 || ts[10] == '\0') {
        return n;                       /* not a date, or a plain date */
    }

    /* "yyyy-mm-dd hh:mm" (or a T): the minute as written */
    if ((ts[10] != ' ' && ts[10] != 'T') || strlen(ts) < 16
        || !date_digits(ts + 11, 2) || ts[13] != ':'
        || !date_digits(ts + 14, 2))
    {
        return 0;
    }

    return n + (size_t) snprintf(out + n, CH_DATE_TEXT_SIZE - n, " %.5s",
                                 ts + 11);
}
