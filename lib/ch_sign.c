/*
 * Signed form messages: see ch_sign.h.
 */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ch_sign.h"


static int ch_sign_excluded(const ch_form_field_t *f,
    const char *const *exclude);
static int ch_sign_name_cmp(const ch_form_field_t *a,
    const ch_form_field_t *b);


size_t
ch_sign_string(const ch_form_field_t *fields, size_t nfields,
    const char *const *exclude, char *out)
{
    char                   *p;
    size_t                  i, len;
    const ch_form_field_t  *prev, *next;

    /*
     * Forms are small (tens of fields): pick the next name in order each
     * time rather than sort a copy, so no memory is needed.
     */

    len = 0;
    p = out;
    prev = NULL;

    for ( ;; ) {
        next = NULL;

        for (i = 0; i < nfields; i++) {
            if (fields[i].value_len == 0
                || ch_sign_excluded(&fields[i], exclude)
                || (prev && ch_sign_name_cmp(&fields[i], prev) <= 0)
                || (next && ch_sign_name_cmp(&fields[i], next) >= 0))
            {
                continue;
            }

            next = &fields[i];
        }

        if (next == NULL) {
            return len;
        }

        if (prev) {
            len++;
            if (out) {
                *p++ = '&';
            }
        }

        len += next->name_len + 1 + next->value_len;

        if (out) {
            memcpy(p, next->name, next->name_len);
            p += next->name_len;
            *p++ = '=';
            memcpy(p, next->value, next->value_len);
            p += next->value_len;
        }

        prev = next;
    }
}


int
ch_hmac_sha256_hex(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t len, char *out)
{
    size_t          i;
    unsigned int    md_len;
    unsigned char   md[EVP_MAX_MD_SIZE];

    static const char  hex[] = "0123456789abcdef";

    if (HMAC(EVP_sha256(), key, (int) key_len, msg, len, md, &md_len) == NULL
        || md_len != CH_HMAC_HEX_LEN / 2)
    {
        return -1;
    }

    for (i = 0; i < md_len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }

    out[CH_HMAC_HEX_LEN] = '\0';

    return 0;
}


int
ch_hex_digest_equal(const char *given, size_t len, const char *expected)
{
    size_t  i;
    char    lower[CH_HMAC_HEX_LEN];

    if (len != CH_HMAC_HEX_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        lower[i] = (given[i] >= 'A' && given[i] <= 'F')
                   ? (char) (given[i] - 'A' + 'a') : given[i];
    }

    return CRYPTO_memcmp(lower, expected, CH_HMAC_HEX_LEN) == 0;
}


static int
ch_sign_excluded(const ch_form_field_t *f, const char *const *exclude)
{
    if (exclude == NULL) {
        return 0;
    }

    for ( /* void */ ; *exclude; exclude++) {
        if (strlen(*exclude) == f->name_len
            && memcmp(*exclude, f->name, f->name_len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* byte order; a name that is a prefix of another sorts first */

static int
ch_sign_name_cmp(const ch_form_field_t *a, const ch_form_field_t *b)
{
    int     rc;
    size_t  n;

    n = a->name_len < b->name_len ? a->name_len : b->name_len;

    rc = memcmp(a->name, b->name, n);
    if (rc != 0) {
        return rc;
    }

    return (a->name_len > b->name_len) - (a->name_len < b->name_len);
}
