/*
 * The real-name provider's protocol: see ch_realname.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_json.h"
#include "ch_realname.h"
#include "ch_sign.h"


static const ch_form_field_t *ch_realname_field(const ch_form_field_t *fields,
    size_t nfields, const char *name, const char **missing);
static int ch_realname_token(const ch_form_field_t *f, size_t min,
    size_t max);
static int ch_realname_number(const ch_form_field_t *f, long long *out);


ch_realname_error_e
ch_realname_callback_check(const ch_form_field_t *fields, size_t nfields,
    const char *app_id, const unsigned char *secret, size_t secret_len,
    long long now, long today, ch_realname_callback_t *cb,
    const char **field)
{
    char                   *text;
    size_t                  len;
    int                     ok;
    char                    expected[CH_HMAC_HEX_LEN + 1];
    const ch_form_field_t  *sign, *timestamp, *id_number;

    static const char *const  exclude[] = { "sign", NULL };

    memset(cb, 0, sizeof(*cb));
    *field = NULL;

    sign = ch_realname_field(fields, nfields, "sign", field);
    cb->app_id = ch_realname_field(fields, nfields, "app_id", field);
    cb->request_id = ch_realname_field(fields, nfields, "request_id", field);
    cb->result = ch_realname_field(fields, nfields, "result", field);
    timestamp = ch_realname_field(fields, nfields, "timestamp", field);
    cb->nonce = ch_realname_field(fields, nfields, "nonce", field);

    if (*field) {
        return CH_REALNAME_MISSING;
    }

    /* nothing of the content counts before the signature does */

    len = ch_sign_string(fields, nfields, exclude, NULL);

    text = malloc(len + 1);
    if (text == NULL) {
        return CH_REALNAME_NO_MEMORY;
    }

    ch_sign_string(fields, nfields, exclude, text);

    ok = ch_hmac_sha256_hex(secret, secret_len, (unsigned char *) text, len,
                            expected) == 0;
    free(text);

    if (!ok) {
        return CH_REALNAME_NO_MEMORY;
    }

    if (!ch_hex_digest_equal(sign->value, sign->value_len, expected)) {
        *field = "sign";
        return CH_REALNAME_BAD_SIGNATURE;
    }

    if (strlen(app_id) != cb->app_id->value_len
        || memcmp(app_id, cb->app_id->value, cb->app_id->value_len) != 0)
    {
        *field = "app_id";
        return CH_REALNAME_WRONG_APP;
    }

    if (!ch_realname_number(timestamp, &cb->timestamp)) {
        *field = "timestamp";
        return CH_REALNAME_INVALID;
    }

    if (cb->timestamp < now - CH_REALNAME_WINDOW
        || cb->timestamp > now + CH_REALNAME_WINDOW)
    {
        *field = "timestamp";
        return CH_REALNAME_STALE;
    }

    if (!ch_realname_token(cb->nonce, 8, 64)) {
        *field = "nonce";
        return CH_REALNAME_INVALID;
    }

    if (!ch_realname_token(cb->request_id, 1, 64)) {
        *field = "request_id";
        return CH_REALNAME_INVALID;
    }

    if (cb->result->value_len == 4
        && memcmp(cb->result->value, "pass", 4) == 0)
    {
        cb->pass = 1;

    } else if (cb->result->value_len != 4
               || memcmp(cb->result->value, "fail", 4) != 0)
    {
        *field = "result";
        return CH_REALNAME_INVALID;
    }

    cb->reason = ch_form_get(fields, nfields, "reason");

    if (!cb->pass) {
        return CH_REALNAME_OK;
    }

    cb->name = ch_realname_field(fields, nfields, "name", field);
    id_number = ch_realname_field(fields, nfields, "id_number", field);

    if (*field) {
        return CH_REALNAME_MISSING;
    }

    if (ch_realname_name_check((unsigned char *) cb->name->value,
                               cb->name->value_len) != CH_VALID)
    {
        *field = "name";
        return CH_REALNAME_INVALID;
    }

    if (ch_id_number_check((unsigned char *) id_number->value,
                           id_number->value_len, today, cb->id_number)
        != CH_VALID)
    {
        *field = "id_number";
        return CH_REALNAME_INVALID;
    }

    return CH_REALNAME_OK;
}


int
ch_realname_qr_payload(char *out, size_t size, const char *url,
    const char *app_id, const char *request_id, long long timestamp,
    const unsigned char *secret, size_t secret_len)
{
    int   n;
    char  text[512], sign[CH_HMAC_HEX_LEN + 1];

    /* the string to sign of these three fields, already in name order */

    n = snprintf(text, sizeof(text), "app_id=%s&request_id=%s&timestamp=%lld",
                 app_id, request_id, timestamp);

    if (n < 0 || (size_t) n >= sizeof(text)
        || ch_hmac_sha256_hex(secret, secret_len, (unsigned char *) text,
                              (size_t) n, sign) != 0)
    {
        return -1;
    }

    n = snprintf(out, size, "%s%c%s&sign=%s", url,
                 strchr(url, '?') ? '&' : '?', text, sign);

    if (n < 0 || (size_t) n >= size) {
        return -1;
    }

    return n;
}


int
ch_realname_id_digest(const unsigned char *secret, size_t secret_len,
    const char *id_number, char *out)
{
    char  text[sizeof("id_number=") + CH_ID_LEN];

    memcpy(text, "id_number=", sizeof("id_number=") - 1);
    memcpy(text + sizeof("id_number=") - 1, id_number, CH_ID_LEN);

    return ch_hmac_sha256_hex(secret, secret_len, (unsigned char *) text,
                              sizeof(text) - 1, out);
}


ch_invalid_e
ch_realname_name_check(const unsigned char *name, size_t len)
{
    size_t  i, n, chars;

    if (len == 0) {
        return CH_INVALID_LENGTH;
    }

    if (name[0] == ' ' || name[len - 1] == ' ') {
        return CH_INVALID_SHAPE;
    }

    chars = 0;

    for (i = 0; i < len; i += n) {
        if (name[i] < 0x20 || name[i] == 0x7f) {
            return CH_INVALID_CHARS;
        }

        n = ch_utf8_sequence(name + i, len - i);
        if (n == 0) {
            return CH_INVALID_CHARS;
        }

        /* C1 controls: U+0080..U+009F */
        if (n == 2 && name[i] == 0xc2 && name[i + 1] < 0xa0) {
            return CH_INVALID_CHARS;
        }

        if (++chars > CH_REALNAME_NAME_MAX) {
            return CH_INVALID_LENGTH;
        }
    }

    return CH_VALID;
}


static const ch_form_field_t *
ch_realname_field(const ch_form_field_t *fields, size_t nfields,
    const char *name, const char **missing)
{
    const ch_form_field_t  *f;

    f = ch_form_get(fields, nfields, name);

    if ((f == NULL || f->value_len == 0) && *missing == NULL) {
        *missing = name;
    }

    return f;
}


static int
ch_realname_token(const ch_form_field_t *f, size_t min, size_t max)
{
    size_t  i;
    char    c;

    if (f->value_len < min || f->value_len > max) {
        return 0;
    }

    for (i = 0; i < f->value_len; i++) {
        c = f->value[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            return 0;
        }
    }

    return 1;
}


/* a Unix time: 1 to 12 digits, no sign, no leading zero */

static int
ch_realname_number(const ch_form_field_t *f, long long *out)
{
    size_t  i;

    if (f->value_len == 0 || f->value_len > 12 || f->value[0] == '0') {
        return 0;
    }

    *out = 0;

    for (i = 0; i < f->value_len; i++) {
        if (f->value[i] < '0' || f->value[i] > '9') {
            return 0;
        }

        *out = *out * 10 + (f->value[i] - '0');
    }

    return 1;
}
