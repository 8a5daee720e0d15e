/*
 * Field validation: see ch_validate.h.
 */

#include <string.h>

#include "ch_json.h"
#include "ch_validate.h"


static int
ch_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}


ch_invalid_e
ch_phone_check(const unsigned char *in, size_t len, char *out)
{
    char    digits[13];
    size_t  i, n;
    int     plus;

    /* carriers and people write +86 138 0013 8000, 86-13800138000, ... */

    plus = len > 0 && in[0] == '+';
    n = 0;

    for (i = plus; i < len; i++) {
        if (in[i] == ' ' || in[i] == '-') {
            continue;
        }

        if (!ch_digit(in[i])) {
            return CH_INVALID_CHARS;
        }

        if (n == sizeof(digits)) {
            return CH_INVALID_LENGTH;
        }

        digits[n++] = (char) in[i];
    }

    if (n == 13 && digits[0] == '8' && digits[1] == '6') {
        memcpy(out, digits + 2, CH_PHONE_LEN);

    } else if (!plus && n == CH_PHONE_LEN) {
        /* a "+" promises a country code, and only +86 is served */
        memcpy(out, digits, CH_PHONE_LEN);

    } else {
        return CH_INVALID_LENGTH;
    }

    out[CH_PHONE_LEN] = '\0';

    if (out[0] != '1' || out[1] < '3' || out[1] > '9') {
        return CH_INVALID_SHAPE;
    }

    return CH_VALID;
}


static int
ch_leap_year(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}


ch_invalid_e
ch_id_number_check(const unsigned char *in, size_t len, long today,
    char *out)
{
    static const int   weight[17] = {
        7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
    };
    static const char  check[] = "10X98765432";
    static const int   days[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    size_t  i;
    long    y, m, d, birth;
    int     sum;

    if (len != CH_ID_LEN) {
        return CH_INVALID_LENGTH;
    }

    for (i = 0; i < 17; i++) {
        if (!ch_digit(in[i])) {
            return CH_INVALID_CHARS;
        }
        out[i] = (char) in[i];
    }

    if (ch_digit(in[17])) {
        out[17] = (char) in[17];

    } else if (in[17] == 'X' || in[17] == 'x') {
        out[17] = 'X';

    } else {
        return CH_INVALID_CHARS;
    }

    out[18] = '\0';

    if (out[0] == '0') {
        return CH_INVALID_SHAPE;
    }

    y = (out[6] - '0') * 1000 + (out[7] - '0') * 100 + (out[8] - '0') * 10
        + (out[9] - '0');
    m = (out[10] - '0') * 10 + (out[11] - '0');
    d = (out[12] - '0') * 10 + (out[13] - '0');
    birth = y * 10000 + m * 100 + d;

    if (y < 1800 || m < 1 || m > 12 || d < 1
        || d > days[m - 1] + (m == 2 && ch_leap_year(y))
        || birth > today)
    {
        return CH_INVALID_DATE;
    }

    sum = 0;

    for (i = 0; i < 17; i++) {
        sum += (out[i] - '0') * weight[i];
    }

    if (check[sum % 11] != out[17]) {
        return CH_INVALID_CHECK;
    }

    return CH_VALID;
}


void
ch_id_number_mask(const char *id, char *out)
{
    memcpy(out, id, 4);
    memset(out + 4, '*', 10);
    memcpy(out + 14, id + 14, 4);
    out[18] = '\0';
}


/* the code's alphabet: digits and upper-case letters but I, O, S, V, Z */
static const char  ch_uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";


static int
ch_uscc_index(unsigned char c)
{
    const char  *p;

    if (c >= 'a' && c <= 'z') {
        c = (unsigned char) (c - 'a' + 'A');
    }

    if (c == '\0') {
        return -1;
    }

    p = strchr(ch_uscc_alphabet, c);

    return p ? (int) (p - ch_uscc_alphabet) : -1;
}


ch_invalid_e
ch_uscc_check(const unsigned char *in, size_t len, char *out)
{
    static const int  weight[17] = {
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
    };

    size_t  i;
    int     v, sum, r;

    if (len != CH_USCC_LEN) {
        return CH_INVALID_LENGTH;
    }

    sum = 0;

    for (i = 0; i < CH_USCC_LEN; i++) {
        v = ch_uscc_index(in[i]);

        if (v < 0) {
            return CH_INVALID_CHARS;
        }

        out[i] = ch_uscc_alphabet[v];

        if (i < 17) {
            sum += v * weight[i];
        }
    }

    out[CH_USCC_LEN] = '\0';

    /* characters 3 to 8 are the administrative area code: digits */
    for (i = 2; i < 8; i++) {
        if (!ch_digit((unsigned char) out[i])) {
            return CH_INVALID_SHAPE;
        }
    }

    r = 31 - sum % 31;

    if (ch_uscc_alphabet[r == 31 ? 0 : r] != out[17]) {
        return CH_INVALID_CHECK;
    }

    return CH_VALID;
}


ch_invalid_e
ch_password_check(const unsigned char *in, size_t len)
{
    size_t  i, seq, chars;
    int     letter, digit;

    letter = 0;
    digit = 0;
    chars = 0;

    for (i = 0; i < len; i += seq) {
        seq = ch_utf8_sequence(in + i, len - i);

        if (seq == 0 || in[i] < 0x20 || in[i] == 0x7f) {
            return CH_INVALID_CHARS;
        }

        letter |= (in[i] >= 'a' && in[i] <= 'z') || (in[i] >= 'A' && in[i] <= 'Z');
        digit |= ch_digit(in[i]);
        chars++;
    }

    if (chars < CH_PASSWORD_MIN || chars > CH_PASSWORD_MAX) {
        return CH_INVALID_LENGTH;
    }

    return (letter && digit) ? CH_VALID : CH_INVALID_WEAK;
}


ch_invalid_e
ch_text_check(const unsigned char *in, size_t len, size_t min_chars,
    size_t max_chars, int multiline)
{
    size_t  i, seq, chars;

    chars = 0;

    for (i = 0; i < len; i += seq) {
        seq = ch_utf8_sequence(in + i, len - i);

        if (seq == 0) {
            return CH_INVALID_CHARS;
        }

        if (in[i] < 0x20 || in[i] == 0x7f) {
            if (!multiline) {
                return CH_INVALID_CHARS;
            }

            if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') {
                seq = 2;

            } else if (in[i] != '\n') {
                return CH_INVALID_CHARS;
            }
        }

        /* C1 controls (U+0080-U+009F) are as invisible as C0 */
        if (seq == 2 && in[i] == 0xc2 && in[i + 1] < 0xa0) {
            return CH_INVALID_CHARS;
        }

        chars++;
    }

    if (chars < min_chars || chars > max_chars) {
        return CH_INVALID_LENGTH;
    }

    return CH_VALID;
}


static int
ch_alnum(unsigned char c)
{
    return ch_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}


ch_invalid_e
ch_email_check(const unsigned char *in, size_t len)
{
    size_t  i, at, label, labels;
    int     alpha, last_alpha;

    if (len < CH_EMAIL_MIN || len > CH_EMAIL_MAX) {
        return CH_INVALID_LENGTH;
    }

    at = len;

    for (i = 0; i < len; i++) {
        if (in[i] == '@') {
            if (at != len) {
                return CH_INVALID_SHAPE;
            }
            at = i;

        } else if (in[i] <= 0x20 || in[i] >= 0x7f) {
            return CH_INVALID_CHARS;
        }
    }

    if (at == 0 || at == len || at > CH_EMAIL_LOCAL_MAX) {
        return CH_INVALID_SHAPE;
    }

    for (i = 0; i < at; i++) {
        if (in[i] == '.') {
            if (i == 0 || i == at - 1 || in[i - 1] == '.') {
                return CH_INVALID_SHAPE;
            }

        } else if (!ch_alnum(in[i])
                   && strchr("!#$%&'*+/=?^_`{|}~-", in[i]) == NULL)
        {
            return CH_INVALID_CHARS;
        }
    }

    label = 0;
    labels = 0;
    alpha = 1;
    last_alpha = 0;

    for (i = at + 1; i <= len; i++) {
        if (i == len || in[i] == '.') {
            if (label == 0 || in[i - 1] == '-') {
                return CH_INVALID_SHAPE;
            }

            labels++;
            last_alpha = alpha;
            label = 0;
            alpha = 1;
            continue;
        }

        if (in[i] == '-') {
            if (label == 0) {
                return CH_INVALID_SHAPE;
            }

        } else if (!ch_alnum(in[i])) {
            return CH_INVALID_CHARS;
        }

        if (++label > CH_EMAIL_LABEL_MAX) {
            return CH_INVALID_SHAPE;
        }

        alpha &= (in[i] >= 'a' && in[i] <= 'z')
                 || (in[i] >= 'A' && in[i] <= 'Z');
    }

    /* the top-level domain is letters: a typo like a@b.c0m is caught */
    if (labels < 2 || !last_alpha) {
        return CH_INVALID_SHAPE;
    }

    return CH_VALID;
}


ch_invalid_e
ch_taxpayer_id_check(const unsigned char *in, size_t len, char *out)
{
    size_t  i;

    if (len == CH_USCC_LEN) {
        return ch_uscc_check(in, len, out);
    }

    if (len != 15 && len != 17 && len != 20) {
        return CH_INVALID_LENGTH;
    }

    for (i = 0; i < len; i++) {
        if (!ch_alnum(in[i])) {
            return CH_INVALID_CHARS;
        }

        out[i] = (char) ((in[i] >= 'a' && in[i] <= 'z') ? in[i] - 'a' + 'A'
                                                        : in[i]);
    }

    out[len] = '\0';

    return CH_VALID;
}


ch_invalid_e
ch_date_check(const unsigned char *in, size_t len, long *out)
{
    static const int  days[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    size_t  i;
    long    y, m, d;

    if (len != 10) {
        return CH_INVALID_LENGTH;
    }

    for (i = 0; i < 10; i++) {
        if (i == 4 || i == 7 ? in[i] != '-' : !ch_digit(in[i])) {
            return CH_INVALID_SHAPE;
        }
    }

    y = (in[0] - '0') * 1000 + (in[1] - '0') * 100 + (in[2] - '0') * 10
        + (in[3] - '0');
    m = (in[5] - '0') * 10 + (in[6] - '0');
    d = (in[8] - '0') * 10 + (in[9] - '0');

    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1
        || d > days[m - 1] + (m == 2 && ch_leap_year(y)))
    {
        return CH_INVALID_DATE;
    }

    *out = y * 10000 + m * 100 + d;

    return CH_VALID;
}


ch_invalid_e
ch_postal_code_check(const unsigned char *in, size_t len)
{
    size_t  i;

    if (len != CH_POSTAL_CODE_LEN) {
        return CH_INVALID_LENGTH;
    }

    for (i = 0; i < CH_POSTAL_CODE_LEN; i++) {
        if (!ch_digit(in[i])) {
            return CH_INVALID_CHARS;
        }
    }

    return CH_VALID;
}


static size_t
ch_blank(const unsigned char *p, size_t len)
{
    if (len >= 1 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        return 1;
    }

    /* U+3000 IDEOGRAPHIC SPACE, what a Chinese input method types */
    if (len >= 3 && p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) {
        return 3;
    }

    return 0;
}


const unsigned char *
ch_trim(const unsigned char *in, size_t *len)
{
    size_t  n;

    while (*len && (n = ch_blank(in, *len)) != 0) {
        in += n;
        *len -= n;
    }

    for ( ;; ) {
        if (*len >= 1 && ch_blank(in + *len - 1, 1)) {
            *len -= 1;

        } else if (*len >= 3 && ch_blank(in + *len - 3, 3) == 3) {
            *len -= 3;

        } else {
            return in;
        }
    }
}
