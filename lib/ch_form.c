/*
 * application/x-www-form-urlencoded bodies: see ch_form.h.
 */

#include <string.h>

#include "ch_form.h"
#include "ch_base64.h"
#include "ch_json.h"


/* decodes p..end to out, NUL-terminates it; returns its length or -1 */

static long
ch_form_decode(const unsigned char *p, const unsigned char *end, char *out)
{
    long  n;
    int   hi, lo;

    n = 0;

    while (p < end) {
        if (*p == '+') {
            out[n++] = ' ';
            p++;

        } else if (*p == '%') {
            if (end - p < 3) {
                return -1;
            }

            hi = ch_hex_value(p[1]);
            lo = ch_hex_value(p[2]);

            if (hi < 0 || lo < 0) {
                return -1;
            }

            out[n++] = (char) (hi << 4 | lo);
            p += 3;

        } else {
            out[n++] = (char) *p++;
        }
    }

    out[n] = '\0';

    return n;
}


static int
ch_form_text(const char *s, size_t len)
{
    const unsigned char  *p = (const unsigned char *) s;
    size_t                i, seq;

    for (i = 0; i < len; i += seq) {
        seq = ch_utf8_sequence(p + i, len - i);

        if (seq == 0
            || (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            || p[i] == 0x7f)
        {
            return 0;
        }
    }

    return 1;
}


ch_form_error_e
ch_form_parse(const unsigned char *body, size_t len, ch_form_field_t *fields,
    size_t max_fields, size_t *nfields, char *buf, size_t *err_at)
{
    const unsigned char  *p, *end, *pair_end, *eq;
    ch_form_field_t      *f;
    size_t                i, n;
    long                  nl, vl;
    char                 *out;

    p = body;
    end = body + len;
    out = buf;
    n = 0;

    while (p < end) {

        pair_end = memchr(p, '&', (size_t) (end - p));
        if (pair_end == NULL) {
            pair_end = end;
        }

        if (pair_end == p) {
            p++;
            continue;
        }

        *err_at = n;

        if (n == max_fields) {
            return CH_FORM_TOO_MANY;
        }

        eq = memchr(p, '=', (size_t) (pair_end - p));
        if (eq == NULL) {
            eq = pair_end;              /* "flag" alone: an empty value */
        }

        if (eq == p) {
            return CH_FORM_EMPTY_NAME;
        }

        f = &fields[n];

        nl = ch_form_decode(p, eq, out);
        if (nl < 0) {
            return CH_FORM_BAD_ENCODING;
        }

        f->name = out;
        f->name_len = (size_t) nl;
        out += nl + 1;

        vl = ch_form_decode(eq + (eq < pair_end), pair_end, out);
        if (vl < 0) {
            return CH_FORM_BAD_ENCODING;
        }

        f->value = out;
        f->value_len = (size_t) vl;
        out += vl + 1;

        if (f->name_len == 0) {
            return CH_FORM_EMPTY_NAME;
        }

        if (!ch_form_text(f->name, f->name_len)
            || !ch_form_text(f->value, f->value_len))
        {
            return CH_FORM_BAD_UTF8;
        }

        for (i = 0; i < n; i++) {
            if (fields[i].name_len == f->name_len
                && memcmp(fields[i].name, f->name, f->name_len) == 0)
            {
                return CH_FORM_DUPLICATE;
            }
        }

        n++;
        p = pair_end + (pair_end < end);
    }

    *nfields = n;

    return CH_FORM_OK;
}


const ch_form_field_t *
ch_form_get(const ch_form_field_t *fields, size_t nfields, const char *name)
{
    size_t  i, len;

    len = strlen(name);

    for (i = 0; i < nfields; i++) {
        if (fields[i].name_len == len && memcmp(fields[i].name, name, len) == 0)
        {
            return &fields[i];
        }
    }

    return NULL;
}
