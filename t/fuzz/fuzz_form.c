/*
 * libFuzzer target: the form parser on arbitrary bodies, with an output
 * buffer of exactly the documented bound (len * 2 + 2) so that ASan sees
 * any overrun.  Checks that accepted fields have non-empty, distinct,
 * NUL-terminated names and that names and values lie inside the buffer.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_form.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ch_form_field_t  fields[16];
    size_t           n, err_at, i, j;
    char            *buf;

    buf = malloc(size * 2 + 2);
    if (buf == NULL) {
        return 0;
    }

    if (ch_form_parse(data, size, fields, 16, &n, buf, &err_at) == CH_FORM_OK) {
        if (n > 16) {
            abort();
        }

        for (i = 0; i < n; i++) {
            if (fields[i].name_len == 0
                || fields[i].name < buf
                || fields[i].value + fields[i].value_len >= buf + size * 2 + 2
                || fields[i].name[fields[i].name_len] != '\0'
                || fields[i].value[fields[i].value_len] != '\0')
            {
                abort();
            }

            for (j = 0; j < i; j++) {
                if (fields[i].name_len == fields[j].name_len
                    && memcmp(fields[i].name, fields[j].name,
                              fields[i].name_len) == 0)
                {
                    abort();
                }
            }
        }
    }

    free(buf);

    return 0;
}
