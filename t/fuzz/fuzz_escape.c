/*
 * libFuzzer target: JSON and HTML escaping of arbitrary bytes.  Checks that
 * the sizing pass agrees with the writing pass and that the output is
 * well-formed UTF-8 with nothing left that could end a JSON string or open
 * an HTML tag.
 */

#include <stdint.h>
#include <stdlib.h>

#include "ch_html.h"
#include "ch_json.h"


static void
check_utf8(const unsigned char *p, size_t n)
{
    size_t  seq;

    while (n) {
        seq = ch_utf8_sequence(p, n);
        if (seq == 0) {
            abort();
        }
        p += seq;
        n -= seq;
    }
}


/* escapes data, checking the sizing pass agrees; NULL when out of memory */

static unsigned char *
escaped(size_t (*escape)(unsigned char *, const unsigned char *, size_t),
    const uint8_t *data, size_t size, size_t *n)
{
    unsigned char  *out;

    *n = escape(NULL, data, size);

    out = malloc(*n + 1);
    if (out == NULL) {
        return NULL;
    }

    if (escape(out, data, size) != *n) {
        abort();
    }

    check_utf8(out, *n);

    return out;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          n, i;
    unsigned char  *out;

    out = escaped(ch_json_escape, data, size, &n);
    if (out == NULL) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (out[i] < 0x20 || out[i] == '<' || out[i] == '>'
            || (out[i] == '"' && (i == 0 || out[i - 1] != '\\')))
        {
            abort();
        }
    }

    free(out);

    out = escaped(ch_html_escape, data, size, &n);
    if (out == NULL) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (out[i] == '<' || out[i] == '>' || out[i] == '"' || out[i] == '\''
            || (out[i] < 0x20 && out[i] != '\t' && out[i] != '\n'))
        {
            abort();
        }
    }

    free(out);

    return 0;
}
