/*
 * The real-name provider's protocol (实名认证 by WeChat scan).
 *
 * The applicant's name and ID number never leave the hall in the QR code:
 * the QR payload only names our request, signed so the provider knows it
 * is ours:
 *
 *     <url>?app_id=A&request_id=R&timestamp=T&sign=S
 *
 * The provider verifies the person who scans it and posts the identity it
 * verified back (application/x-www-form-urlencoded):
 *
 *     app_id      ours
 *     request_id  from the QR payload
 *     result      pass | fail
 *     name        the verified name            (with pass)
 *     id_number   the verified ID number       (with pass)
 *     reason      why not                      (optional, with fail)
 *     timestamp   Unix seconds when sent
 *     nonce       8-64 of [A-Za-z0-9_-], never sent twice
 *     sign        HMAC-SHA256 in hex
 *
 * Both signs are HMAC-SHA256 under the shared secret over the string of
 * every other field (ch_sign.h: sorted, name=value joined by "&").  The
 * hall accepts a callback whose sign is right, whose app_id is ours,
 * whose timestamp is within the window of its own clock, and (in the
 * database) whose nonce it has not seen; a "pass" counts only if name and
 * ID number are those the applicant gave.
 *
 * Pure C (no nginx headers), unit-tested and fuzzed directly.
 */

#ifndef CH_REALNAME_H
#define CH_REALNAME_H

#include <stddef.h>

#include "ch_form.h"
#include "ch_validate.h"

#define CH_REALNAME_WINDOW       300     /* seconds either way */
#define CH_REALNAME_NAME_MAX     30      /* characters */

typedef struct {
    const ch_form_field_t  *app_id;
    const ch_form_field_t  *request_id;
    const ch_form_field_t  *result;
    const ch_form_field_t  *name;
    const ch_form_field_t  *reason;
    const ch_form_field_t  *nonce;
    long long               timestamp;
    int                     pass;
    char                    id_number[CH_ID_LEN + 1];  /* with pass */
} ch_realname_callback_t;

typedef enum {
    CH_REALNAME_OK = 0,
    CH_REALNAME_MISSING,        /* a field is absent or empty: *field */
    CH_REALNAME_INVALID,        /* a field has the wrong form: *field */
    CH_REALNAME_BAD_SIGNATURE,
    CH_REALNAME_WRONG_APP,
    CH_REALNAME_STALE,          /* the timestamp is outside the window */
    CH_REALNAME_NO_MEMORY
} ch_realname_error_e;

/*
 * Checks a callback's fields (as ch_form_parse() gave them) at time now.
 * On CH_REALNAME_OK, cb points into fields.  today is yyyymmdd, for the
 * ID number's birth date.
 */
ch_realname_error_e ch_realname_callback_check(const ch_form_field_t *fields,
    size_t nfields, const char *app_id, const unsigned char *secret,
    size_t secret_len, long long now, long today, ch_realname_callback_t *cb,
    const char **field);

/*
 * The QR payload for a request into out (size bytes, NUL-terminated);
 * returns its length, or -1 if it does not fit or HMAC failed.
 */
int ch_realname_qr_payload(char *out, size_t size, const char *url,
    const char *app_id, const char *request_id, long long timestamp,
    const unsigned char *secret, size_t secret_len);

/*
 * The keyed digest of an ID number (18 characters, as ch_id_number_check()
 * gives it) under the secret: 64 hex digits and a NUL.  It tells whether
 * two numbers are the same without keeping either.
 */
int ch_realname_id_digest(const unsigned char *secret, size_t secret_len,
    const char *id_number, char *out);

/*
 * A person's name as the forms take it: 1 to CH_REALNAME_NAME_MAX
 * characters of valid UTF-8, no control characters, not blank, no
 * leading or trailing blanks.
 */
ch_invalid_e ch_realname_name_check(const unsigned char *name, size_t len);

#endif /* CH_REALNAME_H */
