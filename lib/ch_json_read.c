/*
 * Reading the JSON answers of other systems: see ch_json_read.h.
 */

#include <stdlib.h>
#include <string.h>

#include "ch_base64.h"
#include "ch_json.h"
#include "ch_json_read.h"


typedef struct {
    const unsigned char  *p;
    const unsigned char  *end;
    unsigned              depth;
} json_parser_t;


static int json_value(json_parser_t *j, ch_json_type_e *type);
static int json_object(json_parser_t *j, ch_json_member_t *members, size_t n);


static void
json_blanks(json_parser_t *j)
{
    while (j->p < j->end
           && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n'
               || *j->p == '\r'))
    {
        j->p++;
    }
}


static int
json_hex4(const unsigned char *p, unsigned *value)
{
    int       d;
    unsigned  i, v;

    v = 0;
    *value = 0;     /* the callers know the digits are there; gcc does not */

    for (i = 0; i < 4; i++) {
        d = ch_hex_value(p[i]);
        if (d < 0) {
            return -1;
        }

        v = v * 16 + (unsigned) d;
    }

    *value = v;

    return 0;
}


static int
json_string(json_parser_t *j)
{
    size_t    seq;
    unsigned  u;

    j->p++;                             /* the opening quote */

    while (j->p < j->end) {

        if (*j->p == '"') {
            j->p++;
            return 0;
        }

        if (*j->p < 0x20) {
            return -1;
        }

        if (*j->p == '\\') {
            if (j->end - j->p < 2) {
                return -1;
            }

            switch (j->p[1]) {
            case '"': case '\\': case '/':
            case 'b': case 'f': case 'n': case 'r': case 't':
                j->p += 2;
                continue;

            case 'u':
                if (j->end - j->p < 6 || json_hex4(j->p + 2, &u) != 0) {
                    return -1;
                }

                j->p += 6;
                continue;

            default:
                return -1;
            }
        }

        seq = ch_utf8_sequence(j->p, (size_t) (j->end - j->p));
        if (seq == 0) {
            return -1;
        }

        j->p += seq;
    }

    return -1;
}


static int
json_digits(json_parser_t *j)
{
    if (j->p == j->end || *j->p < '0' || *j->p > '9') {
        return -1;
    }

    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        j->p++;
    }

    return 0;
}


static int
json_number(json_parser_t *j)
{
    if (*j->p == '-') {
        j->p++;
    }

    if (j->p < j->end && *j->p == '0') {
        j->p++;

    } else if (j->p < j->end && *j->p >= '1' && *j->p <= '9') {
        (void) json_digits(j);

    } else {
        return -1;
    }

    if (j->p < j->end && *j->p == '.') {
        j->p++;

        if (json_digits(j) != 0) {
            return -1;
        }
    }

    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;

        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) {
            j->p++;
        }

        if (json_digits(j) != 0) {
            return -1;
        }
    }

    return 0;
}


static int
json_literal(json_parser_t *j, const char *word)
{
    size_t  n;

    n = strlen(word);

    if ((size_t) (j->end - j->p) < n || memcmp(j->p, word, n) != 0) {
        return -1;
    }

    j->p += n;

    return 0;
}


static int
json_array(json_parser_t *j)
{
    ch_json_type_e  type;

    if (++j->depth > CH_JSON_MAX_DEPTH) {
        return -1;
    }

    j->p++;                             /* '[' */
    json_blanks(j);

    if (j->p < j->end && *j->p == ']') {
        j->p++;
        j->depth--;
        return 0;
    }

    for ( ;; ) {
        if (json_value(j, &type) != 0) {
            return -1;
        }

        json_blanks(j);

        if (j->p == j->end) {
            return -1;
        }

        if (*j->p == ']') {
            j->p++;
            j->depth--;
            return 0;
        }

        if (*j->p != ',') {
            return -1;
        }

        j->p++;
        json_blanks(j);
    }
}


static int
json_value(json_parser_t *j, ch_json_type_e *type)
{
    if (j->p == j->end) {
        return -1;
    }

    switch (*j->p) {
    case '{':
        *type = CH_JSON_OBJECT;
        return json_object(j, NULL, 0);

    case '[':
        *type = CH_JSON_ARRAY;
        return json_array(j);

    case '"':
        *type = CH_JSON_STRING;
        return json_string(j);

    case 't':
        *type = CH_JSON_TRUE;
        return json_literal(j, "true");

    case 'f':
        *type = CH_JSON_FALSE;
        return json_literal(j, "false");

    case 'n':
        *type = CH_JSON_NULL;
        return json_literal(j, "null");

    default:
        *type = CH_JSON_NUMBER;
        return json_number(j);
    }
}


static size_t
json_utf8_put(unsigned char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (unsigned char) cp;
        return 1;
    }

    if (cp < 0x800) {
        out[0] = (unsigned char) (0xc0 | (cp >> 6));
        out[1] = (unsigned char) (0x80 | (cp & 0x3f));
        return 2;
    }

    if (cp < 0x10000) {
        out[0] = (unsigned char) (0xe0 | (cp >> 12));
        out[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char) (0x80 | (cp & 0x3f));
        return 3;
    }

    out[0] = (unsigned char) (0xf0 | (cp >> 18));
    out[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
    out[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
    out[3] = (unsigned char) (0x80 | (cp & 0x3f));
    return 4;
}


/*
 * Writes the text of a string token already validated by json_string()
 * (quotes included) to out, which has room for len bytes, as a
 * NUL-terminated UTF-8 string.  Returns -1 when the text holds U+0000,
 * which no C string can carry.  A lone surrogate escape becomes U+FFFD, so
 * the result is always well-formed UTF-8.
 */
static int
json_decode_into(const unsigned char *raw, size_t len, unsigned char *out)
{
    const unsigned char  *p, *end;
    unsigned char        *o;
    unsigned              cp, lo;

    /* decoding never lengthens: \uXXXX is 6 bytes for at most 3 */
    o = out;
    p = raw + 1;
    end = raw + len - 1;

    while (p < end) {

        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }

        switch (p[1]) {
        case 'b': *o++ = '\b'; p += 2; continue;
        case 'f': *o++ = '\f'; p += 2; continue;
        case 'n': *o++ = '\n'; p += 2; continue;
        case 'r': *o++ = '\r'; p += 2; continue;
        case 't': *o++ = '\t'; p += 2; continue;
        case 'u': break;
        default: *o++ = p[1]; p += 2; continue;
        }

        (void) json_hex4(p + 2, &cp);
        p += 6;

        if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6
            && p[0] == '\\' && p[1] == 'u' && json_hex4(p + 2, &lo) == 0
            && lo >= 0xdc00 && lo <= 0xdfff)
        {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            p += 6;

        } else if (cp >= 0xd800 && cp <= 0xdfff) {
            cp = 0xfffd;
        }

        if (cp == 0) {
            return -1;
        }

        o += json_utf8_put(o, cp);
    }

    *o = '\0';

    return 0;
}


static int
json_member_take(const unsigned char *key, size_t key_len,
    ch_json_type_e type, const unsigned char *value, size_t value_len,
    ch_json_member_t *members, size_t n)
{
    char    *name;
    size_t   i;
    int      rc;

    name = malloc(key_len);
    if (name == NULL) {
        return -1;
    }

    if (json_decode_into(key, key_len, (unsigned char *) name) != 0) {
        free(name);
        return 0;                       /* no name asked for holds U+0000 */
    }

    rc = 0;

    for (i = 0; i < n; i++) {
        if (strcmp(name, members[i].name) != 0) {
            continue;
        }

        if (members[i].type != CH_JSON_NONE) {
            rc = -1;                    /* the same member twice */
            break;
        }

        members[i].type = type;
        members[i].value = (const char *) value;
        members[i].len = value_len;
    }

    free(name);

    return rc;
}


static int
json_object(json_parser_t *j, ch_json_member_t *members, size_t n)
{
    const unsigned char  *key, *value;
    size_t                key_len;
    ch_json_type_e        type;

    if (++j->depth > CH_JSON_MAX_DEPTH) {
        return -1;
    }

    j->p++;                             /* '{' */
    json_blanks(j);

    if (j->p < j->end && *j->p == '}') {
        j->p++;
        j->depth--;
        return 0;
    }

    for ( ;; ) {
        if (j->p == j->end || *j->p != '"') {
            return -1;
        }

        key = j->p;

        if (json_string(j) != 0) {
            return -1;
        }

        key_len = (size_t) (j->p - key);

        json_blanks(j);

        if (j->p == j->end || *j->p != ':') {
            return -1;
        }

        j->p++;
        json_blanks(j);

        value = j->p;

        if (json_value(j, &type) != 0) {
            return -1;
        }

        if (n > 0
            && json_member_take(key, key_len, type, value,
                                (size_t) (j->p - value), members, n) != 0)
        {
            return -1;
        }

        json_blanks(j);

        if (j->p == j->end) {
            return -1;
        }

        if (*j->p == '}') {
            j->p++;
            j->depth--;
            return 0;
        }

        if (*j->p != ',') {
            return -1;
        }

        j->p++;
        json_blanks(j);
    }
}


int
ch_json_object_members(const unsigned char *text, size_t len,
    ch_json_member_t *members, size_t n)
{
    size_t         i;
    json_parser_t  j;

    for (i = 0; i < n; i++) {
        members[i].type = CH_JSON_NONE;
        members[i].value = NULL;
        members[i].len = 0;
    }

    j.p = text;
    j.end = j.p + len;
    j.depth = 0;

    json_blanks(&j);

    if (j.p == j.end || *j.p != '{' || json_object(&j, members, n) != 0) {
        return -1;
    }

    json_blanks(&j);

    return j.p == j.end ? 0 : -1;
}


char *
ch_json_string_value(const ch_json_member_t *member)
{
    unsigned char  *out;

    if (member->type != CH_JSON_STRING) {
        return NULL;
    }

    out = malloc(member->len);
    if (out == NULL) {
        return NULL;
    }

    if (json_decode_into((const unsigned char *) member->value, member->len,
                         out) != 0)
    {
        free(out);
        return NULL;
    }

    return (char *) out;
}


int
ch_json_number_is_zero(const ch_json_member_t *member)
{
    size_t  i;

    if (member->type != CH_JSON_NUMBER) {
        return 0;
    }

    for (i = 0; i < member->len; i++) {
        if (member->value[i] == 'e' || member->value[i] == 'E') {
            break;
        }

        if (member->value[i] >= '1' && member->value[i] <= '9') {
            return 0;
        }
    }

    return 1;
}


void
ch_mask_digits(char *dst, size_t size, const char *src)
{
    const unsigned char  *p, *q, *end;
    size_t                n, seq, run;

    if (size == 0) {
        return;
    }

    p = (const unsigned char *) src;
    end = p + strlen(src);
    n = 0;

    while (p < end) {

        if (*p >= '0' && *p <= '9') {
            for (q = p; q < end && *q >= '0' && *q <= '9'; q++) {
                /* void */
            }

            run = (size_t) (q - p);

            if (run > size - 1 - n) {
                break;
            }

            if (run >= 4) {
                memset(dst + n, '*', run);

            } else {
                memcpy(dst + n, p, run);
            }

            n += run;
            p = q;
            continue;
        }

        seq = ch_utf8_sequence(p, (size_t) (end - p));

        if (seq == 0 || *p < 0x20 || *p == 0x7f) {
            /* one line of valid UTF-8, whatever came in */
            if (n == size - 1) {
                break;
            }

            dst[n++] = (seq == 0) ? '?' : ' ';
            p += seq ? seq : 1;
            continue;
        }

        if (seq > size - 1 - n) {
            break;
        }

        memcpy(dst + n, p, seq);
        n += seq;
        p += seq;
    }

    dst[n] = '\0';
}
