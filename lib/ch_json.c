/*
 * JSON string escaping: see ch_json.h.
 */

#include <string.h>

#include "ch_json.h"


size_t
ch_utf8_sequence(const unsigned char *p, size_t n)
{
    unsigned char  c;

    c = p[0];

    if (c < 0x80) {
        return 1;
    }

    /* RFC 3629, table 3-7 of the Unicode standard: exact lead/trail ranges */

    if (c >= 0xc2 && c <= 0xdf) {
        return (n >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
    }

    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) {
            return 0;
        }

        if (c == 0xe0 && p[1] < 0xa0) {
            return 0;                               /* overlong */
        }

        if (c == 0xed && p[1] > 0x9f) {
            return 0;                               /* surrogate */
        }

        return 3;
    }

    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80
            || (p[3] & 0xc0) != 0x80)
        {
            return 0;
        }

        if (c == 0xf0 && p[1] < 0x90) {
            return 0;                               /* overlong */
        }

        if (c == 0xf4 && p[1] > 0x8f) {
            return 0;                               /* past U+10FFFF */
        }

        return 4;
    }

    return 0;
}


static size_t
ch_json_put(unsigned char *dst, const char *s, size_t n)
{
    if (dst) {
        memcpy(dst, s, n);
    }

    return n;
}


size_t
ch_json_escape(unsigned char *dst, const unsigned char *src, size_t len)
{
    static const char    hex[] = "0123456789abcdef";
    const unsigned char  *p, *end;
    unsigned char        *out, u[6];
    size_t                n, total, seq;

    total = 0;
    out = dst;
    p = src;
    end = src + len;

    while (p < end) {

        switch (*p) {
        case '"':  n = ch_json_put(out, "\\\"", 2); seq = 1; break;
        case '\\': n = ch_json_put(out, "\\\\", 2); seq = 1; break;
        case '\n': n = ch_json_put(out, "\\n", 2); seq = 1; break;
        case '\r': n = ch_json_put(out, "\\r", 2); seq = 1; break;
        case '\t': n = ch_json_put(out, "\\t", 2); seq = 1; break;

        default:
            seq = ch_utf8_sequence(p, (size_t) (end - p));

            if (seq == 0) {
                /* one bad byte becomes one replacement character */
                n = ch_json_put(out, "\\ufffd", 6);
                seq = 1;

            } else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
                u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
                u[4] = hex[*p >> 4];
                u[5] = hex[*p & 0xf];
                n = ch_json_put(out, (const char *) u, 6);

            } else if (seq == 3 && p[0] == 0xe2 && p[1] == 0x80
                       && (p[2] == 0xa8 || p[2] == 0xa9))
            {
                n = ch_json_put(out, p[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);

            } else {
                n = ch_json_put(out, (const char *) p, seq);
            }
        }

        p += seq;
        total += n;

        if (out) {
            out += n;
        }
    }

    return total;
}
