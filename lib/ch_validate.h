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

/* the limits below are also the website's (tools/field-rules.c) */
#define CH_PASSWORD_MIN      8      /* characters */
#define CH_PASSWORD_MAX      64
#define CH_EMAIL_MIN         6      /* bytes: a@b.cn */
#define CH_EMAIL_MAX         254
#define CH_EMAIL_LOCAL_MAX   64
#define CH_EMAIL_LABEL_MAX   63
#define CH_POSTAL_CODE_LEN   6

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

/*
 * One line of text a person types (a name, an address line): valid UTF-8,
 * min_chars to max_chars characters (code points) after the caller's
 * trimming, no control characters at all (no tab or newline either: these
 * values are printed on forms and invoices).  With multiline, newlines
 * (LF, CRLF) are allowed, for remarks.
 */
ch_invalid_e ch_text_check(const unsigned char *in, size_t len,
    size_t min_chars, size_t max_chars, int multiline);

/*
 * An e-mail address for invoices and notices: at most 254 bytes of ASCII,
 * local@domain, the local part 1-64 of letters, digits and
 * !#$%&'*+/=?^_`{|}~.- (no leading, trailing or double dot), the domain
 * two or more labels of letters, digits and inner hyphens, each at most 63,
 * the last all letters.  No quoted local parts, no IP literals: invoices go
 * to mailboxes people type.
 */
ch_invalid_e ch_email_check(const unsigned char *in, size_t len);

#define CH_TAXPAYER_ID_MAX  20

/*
 * A taxpayer identification number (纳税人识别号) of an organisation: an
 * 18-symbol Unified Social Credit Code with a right check symbol, or an
 * older number of 15, 17 or 20 digits and capital letters (those carry no
 * check symbol).  Lower-case letters are accepted; out
 * (CH_TAXPAYER_ID_MAX + 1 bytes) gets the number upper-case.
 */
ch_invalid_e ch_taxpayer_id_check(const unsigned char *in, size_t len,
    char *out);

/*
 * A calendar date yyyy-mm-dd (years 1900-2999), as yyyymmdd in *out.
 */
ch_invalid_e ch_date_check(const unsigned char *in, size_t len, long *out);

/* a postal code (邮政编码): 6 digits */
ch_invalid_e ch_postal_code_check(const unsigned char *in, size_t len);

/*
 * Leading and trailing blanks (ASCII space, tab, CR, LF, and the
 * ideographic space U+3000) of in[0 .. *len - 1]: returns the first byte
 * kept and sets *len to what is kept.
 */
const unsigned char *ch_trim(const unsigned char *in, size_t *len);

#endif /* CH_VALIDATE_H */
