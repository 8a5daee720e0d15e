/*
 * Base64, strict: see ch_base64.h.
 */

#include "ch_base64.h"


static const char  ch_base64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char  ch_base64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


size_t
ch_base64_encode(char *out, const unsigned char *in, size_t len,
    ch_base64_e variant)
{
    char          *p;
    unsigned long  v;
    const char    *abc;

    abc = (variant == CH_BASE64_URL_NOPAD) ? ch_base64_url : ch_base64_std;
    p = out;

    while (len >= 3) {
        v = ((unsigned long) in[0] << 16) | ((unsigned long) in[1] << 8)
            | in[2];
        *p++ = abc[(v >> 18) & 63];
        *p++ = abc[(v >> 12) & 63];
        *p++ = abc[(v >> 6) & 63];
        *p++ = abc[v & 63];
        in += 3;
        len -= 3;
    }

    if (len) {
        v = (unsigned long) in[0] << 16;
        if (len == 2) {
            v |= (unsigned long) in[1] << 8;
        }

        *p++ = abc[(v >> 18) & 63];
        *p++ = abc[(v >> 12) & 63];

        if (len == 2) {
            *p++ = abc[(v >> 6) & 63];
        }

        if (variant == CH_BASE64_STD) {
            if (len == 1) {
                *p++ = '=';
            }
            *p++ = '=';
        }
    }

    return p - out;
}


static int
ch_base64_value(char c, ch_base64_e variant)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (variant == CH_BASE64_URL_NOPAD) {
        return c == '-' ? 62 : c == '_' ? 63 : -1;
    }

    return c == '+' ? 62 : c == '/' ? 63 : -1;
}


size_t
ch_base64_decode(unsigned char *out, const char *in, size_t len,
    ch_base64_e variant)
{
    int             d;
    size_t          i, tail;
    unsigned char  *p;
    unsigned long   v;

    if (variant == CH_BASE64_STD) {
        if (len % 4) {
            return (size_t) -1;
        }

        /* at most two "=", at the end only */
        if (len && in[len - 1] == '=') {
            len--;
            if (in[len - 1] == '=') {
                len--;
            }
        }
    }

    tail = len % 4;

    if (tail == 1) {
        return (size_t) -1;
    }

    p = out;
    v = 0;

    for (i = 0; i < len; i++) {
        d = ch_base64_value(in[i], variant);
        if (d < 0) {
            return (size_t) -1;
        }

        v = (v << 6) | (unsigned long) d;

        if (i % 4 == 3) {
            *p++ = (unsigned char) (v >> 16);
            *p++ = (unsigned char) (v >> 8);
            *p++ = (unsigned char) v;
            v = 0;
        }
    }

    if (tail == 2) {
        if (v & 0x0f) {
            return (size_t) -1;
        }
        *p++ = (unsigned char) (v >> 4);

    } else if (tail == 3) {
        if (v & 0x03) {
            return (size_t) -1;
        }
        *p++ = (unsigned char) (v >> 10);
        *p++ = (unsigned char) (v >> 2);
    }

    return p - out;
}


int
ch_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}
