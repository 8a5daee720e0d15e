/*
 * Base64 (RFC 4648): the standard alphabet for signatures and the stored
 * password hashes, the URL-safe one for tokens.  And hexadecimal digits,
 * which forms, JSON, multipart file names and PDFs all escape with.
 *
 * Pure C (no nginx headers), unit-tested and fuzzed directly.
 */

#ifndef CH_BASE64_H
#define CH_BASE64_H

#include <stddef.h>

/* the encoded length of n bytes, with padding */
#define CH_BASE64_LEN(n)        ((((n) + 2) / 3) * 4)
/* ... and without */
#define CH_BASE64_NOPAD_LEN(n)  (((n) * 4 + 2) / 3)

typedef enum {
    CH_BASE64_STD = 0,          /* A-Z a-z 0-9 + /, "=" padded */
    CH_BASE64_STD_NOPAD,        /* the same without "=" */
    CH_BASE64_URL_NOPAD         /* A-Z a-z 0-9 - _, unpadded */
} ch_base64_e;

/* writes CH_BASE64_LEN(len) bytes at most (no NUL); returns the length */
size_t ch_base64_encode(char *out, const unsigned char *in, size_t len,
    ch_base64_e variant);

/*
 * Decodes exactly one encoding of the variant: no blanks, no stray
 * padding, unused bits zero (so every byte string has one form).  out
 * needs len * 3 / 4 bytes.  Returns the decoded length, or (size_t) -1.
 */
size_t ch_base64_decode(unsigned char *out, const char *in, size_t len,
    ch_base64_e variant);

/* the value of a hexadecimal digit, either case, or -1 */
int ch_hex_value(unsigned char c);

#endif /* CH_BASE64_H */
