/*
 * Field validation of the hall's forms (../shared/reference/validators.md):
 * mainland mobile numbers, resident ID card numbers (GB 11643-1999),
 * Unified Social Credit Codes (GB 32100-2015), passwords.
 *
 * Pure C (no nginx headers): the module checks every field with these
 * before the database sees it, the back office uses the same code, and the
 * unit tests and fuzz targets call them directly.
 */

#ifndef CH_VALIDATE_H
#define CH_VALIDATE_H

#include <stddef.h>

/* why a value was refused; each has its own message for the user */
typedef enum {
    CH_VALID = 0,
    CH_INVALID_LENGTH,          /* wrong number of characters */
    CH_INVALID_CHARS,           /* a character outside the allowed set */
    CH_INVALID_SHAPE,           /* right characters in the wrong places */
    CH_INVALID_DATE,            /* the ID's birth date is no real past date */
    CH_INVALID_CHECK,           /* the check character does not match */
    CH_INVALID_WEAK             /* a password without letters and digits */
} ch_invalid_e;

#define CH_PHONE_LEN   11
#define CH_ID_LEN      18
#define CH_USCC_LEN    18

/*
 * A mainland mobile number: 11 digits, 1[3-9] then 9 digits, after an
 * optional "+86" or "86" prefix and blanks or hyphens between groups.
 * out (CH_PHONE_LEN + 1 bytes) gets the 11 digits.
 */
ch_invalid_e ch_phone_check(const unsigned char *in, size_t len, char *out);

/*
 * A resident ID card number: a 6-digit area code (first digit 1-9), the
 * birth date yyyymmdd (a real date, not after today, given as yyyymmdd),
 * 3 digits, and the check character (0-9 or X; x is accepted).  out
 * (CH_ID_LEN + 1 bytes) gets it with an upper-case X.
 */
ch_invalid_e ch_id_number_check(const unsigned char *in, size_t len,
    long today, char *out);

/* "11010519491231002X" -> "1101**********002X": never shown whole */
void ch_id_number_mask(const char *id, char *out);

/*
 * A Unified Social Credit Code: 18 symbols of 0-9 A-H J-N P-R T U W-Y,
 * 2 symbols, 6 digits (the area), 10 symbols, the last a check symbol.
 * Lower-case letters are accepted; out (CH_USCC_LEN + 1) is upper-case.
 */
ch_invalid_e ch_uscc_check(const unsigned char *in, size_t len, char *out);

/*
 * A password: 8 to 64 characters of valid UTF-8 without control
 * characters, with at least one ASCII letter and one digit.
 */
ch_invalid_e ch_password_check(const unsigned char *in, size_t len);

#endif /* CH_VALIDATE_H */
