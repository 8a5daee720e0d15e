/*
 * Signed form messages: the string both sides sign (the real-name
 * provider's callbacks and QR payloads, and Alipay's notifications), and
 * HMAC-SHA256 in hex.
 *
 * The string to sign: every field but the excluded ones and those with an
 * empty value, sorted by name in byte order, joined as name=value with
 * "&", values as they are (decoded, not re-encoded).
 *
 * Pure C (no nginx headers), unit-tested and fuzzed directly.
 */

#ifndef CH_SIGN_H
#define CH_SIGN_H

#include <stddef.h>

#include "ch_form.h"

#define CH_HMAC_HEX_LEN  64

/*
 * Writes the string to sign to out (no NUL) when out is not NULL; returns
 * its length either way, so a first call sizes the buffer.  Field names
 * must be distinct (ch_form_parse() makes sure).  exclude is a
 * NULL-terminated list of names, or NULL.
 */
size_t ch_sign_string(const ch_form_field_t *fields, size_t nfields,
    const char *const *exclude, char *out);

/* out gets 64 lower-case hex digits and a NUL; returns 0, -1 on failure */
int ch_hmac_sha256_hex(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t len, char *out);

/*
 * Whether given (len bytes, hex, either case) is the digest expected (64
 * lower-case hex digits), in time that does not depend on where they
 * differ.
 */
int ch_hex_digest_equal(const char *given, size_t len, const char *expected);

#endif /* CH_SIGN_H */
