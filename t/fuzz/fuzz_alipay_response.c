/*
 * libFuzzer target: the answers of Alipay's server-to-server calls
 * (ch_alipay_response_extract()).  The first byte picks the method and
 * the size of the sign buffer; the rest is the body.  Checks that
 *
 *   - an answer found (0, or -2 without a usable sign) is a span inside
 *     the body that starts with "{" and ends with "}", and that the body
 *     is one valid JSON object whose member of that name (or
 *     error_response) is exactly that span (ch_json_object_members);
 *   - on 0 the sign is NUL-terminated, non-empty and fits its buffer,
 *     with nothing written past it (the buffer is exactly that size for
 *     ASan);
 *   - -1 leaves no answer, and happens whenever the body is not one JSON
 *     object.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_alipay.h"
#include "ch_json_read.h"


static const char *const  methods[4] = {
    "alipay.trade.query", "alipay.trade.close", "alipay.trade.refund",
    "alipay.trade.query.with.a.method.name.long.enough.to.be.refused."
    "0123456789012345678901234567890123456789012345678901234567890123"
};

static const char *const  members[4] = {
    "alipay_trade_query_response", "alipay_trade_close_response",
    "alipay_trade_refund_response", NULL
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                   rc, which;
    char                 *sign;
    size_t                sign_size, len;
    unsigned char        *body;
    ch_json_member_t      m[2];
    const unsigned char  *resp;

    if (size == 0) {
        return 0;
    }

    which = data[0] & 3;
    sign_size = 1 + (data[0] >> 2) * 8;     /* 1 to 505 */
    data++;
    size--;

    /* exactly the body, and exactly the sign buffer: ASan sees overruns */
    body = malloc(size ? size : 1);
    sign = malloc(sign_size);
    if (body == NULL || sign == NULL) {
        abort();
    }

    memcpy(body, data, size);
    resp = NULL;
    len = 0;

    rc = ch_alipay_response_extract(body, size, methods[which], &resp, &len,
                                    sign, sign_size);

    if (rc == -1) {
        if (members[which] != NULL && ch_json_object_members(body, size,
                                                             NULL, 0) == 0)
        {
            /* a valid object: then the member was absent, twice or not an
               object */
            m[0].name = members[which];
            m[1].name = "error_response";

            if (ch_json_object_members(body, size, m, 2) == 0
                && (m[0].type == CH_JSON_OBJECT
                    || (m[0].type == CH_JSON_NONE
                        && m[1].type == CH_JSON_OBJECT)))
            {
                /* unless "sign" was given twice */
                ch_json_member_t  s = { "sign", CH_JSON_NONE, NULL, 0 };

                if (ch_json_object_members(body, size, &s, 1) == 0) {
                    abort();
                }
            }
        }

    } else if (rc == 0 || rc == -2) {
        if (members[which] == NULL
            || resp == NULL || resp < body || len < 2
            || resp + len > body + size
            || resp[0] != '{' || resp[len - 1] != '}')
        {
            abort();
        }

        m[0].name = members[which];
        m[1].name = "error_response";

        if (ch_json_object_members(body, size, m, 2) != 0) {
            abort();
        }

        if (m[0].type == CH_JSON_OBJECT) {
            if ((const unsigned char *) m[0].value != resp || m[0].len != len) {
                abort();
            }

        } else if (m[0].type != CH_JSON_NONE
                   || (const unsigned char *) m[1].value != resp
                   || m[1].len != len)
        {
            abort();
        }

        if (rc == 0 && (memchr(sign, '\0', sign_size) == NULL
                        || sign[0] == '\0'))
        {
            abort();
        }

    } else {
        abort();
    }

    free(body);
    free(sign);

    return 0;
}
