/*
 * libFuzzer target: the real-name provider's callback, from the raw form
 * body through the parser, the string to sign and the checks, with a
 * fixed clock and secret.  Checks that the sizing pass of the string to
 * sign agrees with the writing pass, and that an accepted callback has
 * what the handler relies on.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_form.h"
#include "ch_realname.h"
#include "ch_sign.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                    *buf, *text;
    size_t                   n, err_at, len;
    const char              *field;
    ch_form_field_t          fields[16];
    ch_realname_callback_t   cb;

    static const char *const  exclude[] = { "sign", NULL };

    buf = malloc(size * 2 + 2);
    if (buf == NULL) {
        return 0;
    }

    if (ch_form_parse(data, size, fields, 16, &n, buf, &err_at) != CH_FORM_OK) {
        free(buf);
        return 0;
    }

    len = ch_sign_string(fields, n, exclude, NULL);
    text = malloc(len + 1);

    if (text != NULL) {
        if (ch_sign_string(fields, n, exclude, text) != len) {
            abort();
        }
        free(text);
    }

    if (ch_realname_callback_check(fields, n, "certhall-test",
                                   (const unsigned char *) "fuzz", 4,
                                   1795000000LL, 20261121L, &cb, &field)
        == CH_REALNAME_OK)
    {
        if (cb.request_id == NULL || cb.nonce == NULL
            || (cb.pass && (cb.name == NULL || strlen(cb.id_number) != 18)))
        {
            abort();
        }
    }

    free(buf);

    return 0;
}
