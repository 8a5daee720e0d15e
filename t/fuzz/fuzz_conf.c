/*
 * libFuzzer target: the back office's configuration parser.  Checks that
 * every key handed out is non-empty and of the key alphabet, every value is
 * trimmed, both lie inside the input, and errors name a line that exists.
 */

#include <stdint.h>
#include <stdlib.h>

#include "ch_conf.h"


typedef struct {
    const char  *start, *end;
} bounds_t;


static const char *
check(void *data, const char *key, size_t key_len, const char *value,
    size_t value_len)
{
    bounds_t  *b = data;
    size_t     i;

    if (key_len == 0 || key < b->start || key + key_len > b->end
        || value < b->start || value + value_len > b->end)
    {
        abort();
    }

    for (i = 0; i < key_len; i++) {
        if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= '0' && key[i] <= '9')
              || key[i] == '_'))
        {
            abort();
        }
    }

    if (value_len && (value[0] == ' ' || value[0] == '\t'
                      || value[value_len - 1] == ' '
                      || value[value_len - 1] == '\t'
                      || value[value_len - 1] == '\r'))
    {
        abort();
    }

    return NULL;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bounds_t         b;
    ch_conf_error_t  err;
    size_t           i, lines;

    b.start = (const char *) data;
    b.end = b.start + size;

    if (ch_conf_parse(b.start, size, check, &b, &err) != 0) {
        lines = 1;
        for (i = 0; i < size; i++) {
            lines += data[i] == '\n';
        }

        if (err.line == 0 || err.line > lines || err.message == NULL) {
            abort();
        }
    }

    return 0;
}
