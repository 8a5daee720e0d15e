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

    if (chars < 8 || chars > 64) {
        return CH_INVALID_LENGTH;
    }

    return (letter && digit) ? CH_VALID : CH_INVALID_WEAK;
}
