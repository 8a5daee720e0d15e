/*
 * libFuzzer target: strict base64 decoding.  Whatever decodes must encode
 * back to exactly the input (one encoding per byte string), with the
 * output buffer at exactly the documented bound.  Also the stored password
 * hash parser, which is built on it.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_base64.h"
#include "ch_password.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             v;
    char           *again, *text;
    size_t          n, m;
    unsigned char  *out;

    out = malloc(size * 3 / 4 + 1);
    again = malloc(size + 4);
    text = malloc(size + 1);

    if (out == NULL || again == NULL || text == NULL) {
        goto done;
    }

    for (v = CH_BASE64_STD; v <= CH_BASE64_URL_NOPAD; v++) {
        n = ch_base64_decode(out, (const char *) data, size, v);
        if (n == (size_t) -1) {
            continue;
        }

        if (n > size * 3 / 4) {
            abort();
        }

        m = ch_base64_encode(again, out, n, v);
        if (m != size || memcmp(again, data, size) != 0) {
            abort();
        }
    }

    memcpy(text, data, size);
    text[size] = '\0';

    n = ch_password_iterations(text);
    if (n != 0 && (n < CH_PASSWORD_MIN_ITERATIONS
                   || n > CH_PASSWORD_MAX_ITERATIONS))
    {
        abort();
    }

done:

    free(out);
    free(again);
    free(text);

    return 0;
}
