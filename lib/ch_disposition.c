/*
 * Content-Disposition for stored files (see ch_disposition.h).
 */

#include <string.h>

#include "ch_disposition.h"


/* RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~" */

static int
ch_attr_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || (c && strchr("!#$&+-.^_`|~", c));
}


static size_t
ch_put(char *out, size_t at, const char *s, size_t len)
{
    if (out) {
        memcpy(out + at, s, len);
    }

    return at + len;
}


size_t
ch_disposition(char *out, int attachment, const char *kind,
    const char *format, const char *name, size_t name_len)
{
    size_t         n, i;
    unsigned char  c;

    static const char  hex[] = "0123456789ABCDEF";

    n = 0;
    n = attachment ? ch_put(out, n, "attachment", 10)
                   : ch_put(out, n, "inline", 6);
    n = ch_put(out, n, "; filename=\"", 12);
    n = ch_put(out, n, kind, strlen(kind));
    n = ch_put(out, n, ".", 1);
    n = ch_put(out, n, format, strlen(format));
    n = ch_put(out, n, "\"", 1);

    if (name == NULL || name_len == 0) {
        return n;
    }

    n = ch_put(out, n, "; filename*=UTF-8''", 19);

    for (i = 0; i < name_len; i++) {
        c = (unsigned char) name[i];

        if (ch_attr_char(c)) {
            if (out) {
                out[n] = (char) c;
            }

            n++;

        } else {
            if (out) {
                out[n] = '%';
                out[n + 1] = hex[c >> 4];
                out[n + 2] = hex[c & 0x0f];
            }

            n += 3;
        }
    }

    return n;
}
