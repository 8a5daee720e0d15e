/*
 * application/x-www-form-urlencoded bodies (what HTML forms send).
 *
 * Pure C (no nginx headers), unit-tested and fuzzed directly.
 */

#ifndef CH_FORM_H
#define CH_FORM_H

#include <stddef.h>

typedef struct {
    const char  *name;          /* decoded, NUL-terminated, in buf */
    size_t       name_len;
    const char  *value;         /* decoded, NUL-terminated, in buf */
    size_t       value_len;
} ch_form_field_t;

typedef enum {
    CH_FORM_OK = 0,
    CH_FORM_BAD_ENCODING,       /* "%" not followed by two hex digits */
    CH_FORM_BAD_UTF8,           /* a name or value is not UTF-8 text */
    CH_FORM_EMPTY_NAME,         /* "=value" */
    CH_FORM_DUPLICATE,          /* a name given twice: which one counts? */
    CH_FORM_TOO_MANY            /* more fields than the caller takes */
} ch_form_error_e;

/*
 * Parses body into fields[0 .. *nfields - 1], at most max_fields.  "+" is
 * a space and %XX a byte; names and values must decode to UTF-8 without
 * control characters other than tab, CR and LF, and names must be
 * distinct.  The decoded text goes to buf, which needs len + 2 * (number
 * of fields) bytes at most: len * 2 + 2 is always enough.  An empty body
 * has no fields; empty pairs ("a=1&&b=2") are skipped.  On error *err_at
 * is the index of the field at fault (for the error's "field").
 */
ch_form_error_e ch_form_parse(const unsigned char *body, size_t len,
    ch_form_field_t *fields, size_t max_fields, size_t *nfields,
    char *buf, size_t *err_at);

/* the field named name, or NULL */
const ch_form_field_t *ch_form_get(const ch_form_field_t *fields,
    size_t nfields, const char *name);

#endif /* CH_FORM_H */
