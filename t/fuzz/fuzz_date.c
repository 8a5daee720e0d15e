/*
 * libFuzzer target: dates typed into the back office's filters and forms
 * (lib/ch_date.c).  What is read must come out as a yyyy-mm-dd day that is
 * read again as itself, and written as 年/月/日 within its buffer.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_date.h"
#include "ch_validate.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  out[CH_DATE_ISO_SIZE], again[CH_DATE_ISO_SIZE];
    char  text[CH_DATE_TEXT_SIZE], *ts;
    long  day;

    if (ch_date_parse((const char *) data, size, out) == CH_DATE_OK) {
        if (strlen(out) != 10
            || ch_date_check((const unsigned char *) out, 10, &day)
               != CH_VALID
            || ch_date_parse(out, 10, again) != CH_DATE_OK
            || strcmp(out, again) != 0
            || ch_date_text(text, out) != strlen("2026年12月07日"))
        {
            abort();
        }
    }

    /* the formatters take a NUL-terminated string */
    ts = malloc(size + 1);
    if (ts == NULL) {
        return 0;
    }

    memcpy(ts, data, size);
    ts[size] = '\0';

    if (ch_date_time_text(text, ts) >= CH_DATE_TEXT_SIZE
        || ch_date_text(text, ts) >= CH_DATE_TEXT_SIZE)
    {
        abort();
    }

    free(ts);

    return 0;
}
