/*
 * Cleaning an applicant's file name: see ch_filename.h.  The name comes
 * from a multipart part (ch_multipart.c) and goes back out in a
 * Content-Disposition (ch_disposition.c).
 */

#include <stdint.h>
#include <string.h>

#include "ch_filename.h"
#include "ch_json.h"


#define CH_FILENAME_EXT_MAX   16    /* characters of an extension kept, dot included */


/* decodes the well-formed UTF-8 sequence p (of length n) */

static uint32_t
ch_fn_code_point(const unsigned char *p, size_t n)
{
    switch (n) {
    case 1:
        return p[0];
    case 2:
        return (uint32_t) (p[0] & 0x1f) << 6 | (p[1] & 0x3f);
    case 3:
        return (uint32_t) (p[0] & 0x0f) << 12 | (uint32_t) (p[1] & 0x3f) << 6
               | (p[2] & 0x3f);
    default:
        return (uint32_t) (p[0] & 0x07) << 18 | (uint32_t) (p[1] & 0x3f) << 12
               | (uint32_t) (p[2] & 0x3f) << 6 | (p[3] & 0x3f);
    }
}


/*
 * The next character of the cleaned name from in[*i]: its bytes into c,
 * their number returned, 0 at the end.  Bad UTF-8, control characters
 * (C0, DEL, C1, U+2028/U+2029, which break lines where the name is shown)
 * and the characters Windows forbids become "_"; bidirectional overrides
 * and isolates, which only reorder what is shown, are dropped.
 */

static size_t
ch_fn_next(const unsigned char *in, size_t len, size_t *i, unsigned char *c)
{
    size_t    seq;
    uint32_t  cp;

    while (*i < len) {
        seq = ch_utf8_sequence(in + *i, len - *i);

        if (seq == 0) {
            /* the bad byte and the continuation bytes after it: one "_" */

            for ((*i)++; *i < len && (in[*i] & 0xc0) == 0x80; (*i)++) {
                /* void */
            }

            c[0] = '_';
            return 1;
        }

        cp = ch_fn_code_point(in + *i, seq);
        memcpy(c, in + *i, seq);
        *i += seq;

        if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
            continue;
        }

        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028
            || cp == 0x2029 || (cp < 0x80 && strchr("\"\\/:*?<>|", (int) cp)))
        {
            c[0] = '_';
            return 1;
        }

        return seq;
    }

    return 0;
}


static int
ch_fn_strip(const unsigned char *c, size_t n)
{
    return n == 1 && (c[0] == '.' || c[0] == ' ');
}


size_t
ch_filename_sanitize(const char *name, size_t len, char *out)
{
    const unsigned char  *in;
    unsigned char         c[4];
    size_t                i, j, n, k, first, last, dot, ext, keep, w;

    in = (const unsigned char *) name;

    /* the last path component: what Windows browsers once sent whole */

    for (i = len; i > 0 && in[i - 1] != '/' && in[i - 1] != '\\'; i--) {
        /* void */
    }

    /*
     * First pass, in characters of the cleaned name: the first that is no
     * dot or space, one past the last, and the last dot between them
     */

    first = SIZE_MAX;
    last = 0;
    dot = SIZE_MAX;
    w = SIZE_MAX;

    for (j = i, k = 0; (n = ch_fn_next(in, len, &j, c)) != 0; k++) {
        if (ch_fn_strip(c, n)) {
            if (c[0] == '.' && first != SIZE_MAX) {
                w = k;
            }

            continue;
        }

        if (first == SIZE_MAX) {
            first = k;
        }

        last = k + 1;
        dot = w;        /* a dot followed by more than dots and spaces */
    }

    if (first == SIZE_MAX) {
        memcpy(out, "file", sizeof("file"));
        return sizeof("file") - 1;
    }

    /* what to keep: [first, first + keep) and then [ext, last) */

    ext = last;
    keep = last - first;

    if (keep > CH_FILENAME_CHARS_MAX) {
        if (dot != SIZE_MAX && last - dot <= CH_FILENAME_EXT_MAX) {
            ext = dot;
            keep = CH_FILENAME_CHARS_MAX - (last - dot);

        } else {
            keep = CH_FILENAME_CHARS_MAX;
        }
    }

    w = 0;

    for (j = i, k = 0; k < last && (n = ch_fn_next(in, len, &j, c)) != 0; k++)
    {
        if ((k >= first && k < first + keep) || k >= ext) {
            memcpy(out + w, c, n);
            w += n;
        }
    }

    /* a cut may end the name in dots or spaces */

    while (out[w - 1] == '.' || out[w - 1] == ' ') {
        w--;
    }

    out[w] = '\0';

    return w;
}
