/*
 * Dates as the seeds write them, 年/月/日, for the back office: read as a
 * person types them and shown as 2026年12月07日.  The website does the same
 * in www/js/dates.js (the same rules for what is read; the site shows the
 * day without the leading zeros, the back office's tables line up with
 * them).
 *
 * Pure C (no nginx headers); unit-tested (t/unit/test_date.c) and fuzzed
 * (t/fuzz/fuzz_date.c): the typed dates come from the request.
 */

#ifndef CH_DATE_H
#define CH_DATE_H

#include <stddef.h>

/* "yyyy-mm-dd" and its NUL */
#define CH_DATE_ISO_SIZE   11

/* "2026年12月07日 14:30" and its NUL, the longest of what is written */
#define CH_DATE_TEXT_SIZE  24

typedef enum {
    CH_DATE_OK = 0,
    CH_DATE_EMPTY,              /* nothing typed (blanks only) */
    CH_DATE_BAD                 /* not a day of the calendar 1900-2999 */
} ch_date_e;

/*
 * A date typed by a person, s[0 .. len - 1]: 2026年12月7日 (the 日 may be
 * left out, blanks around 年 and 月 allowed), 2026-12-07, 2026-12-7,
 * 2026/12/7, 2026.12.7 (one separator, the same twice), full-width digits
 * and separators (２０２６／１２／７), blanks (and the ideographic space)
 * around it.  On CH_DATE_OK out holds the date as yyyy-mm-dd, what the
 * database's ::date reads; out is untouched otherwise.
 */
ch_date_e ch_date_parse(const char *s, size_t len, char out[CH_DATE_ISO_SIZE]);

/*
 * A date or a timestamp as PostgreSQL writes it (ISO: "2026-12-07" or
 * "2026-12-07 14:30:00+08"), as 2026年12月07日 into out (the day only) or
 * 2026年12月07日 14:30 (ch_date_time_text: to the minute, in the zone it
 * was written in; a plain date stays a day).  Returns the length written,
 * or 0 when ts does not start like that (the caller shows it as it is).
 */
size_t ch_date_text(char out[CH_DATE_TEXT_SIZE], const char *ts);
size_t ch_date_time_text(char out[CH_DATE_TEXT_SIZE], const char *ts);

/* the hint shown beside a date field, and the refusal of a wrong one */
#define CH_DATE_HINT   "如 2026年12月7日，也可输入 2026-12-07"
#define CH_DATE_WRONG  "请按 2026年12月7日 或 2026-12-07 的格式填写"

#endif /* CH_DATE_H */
