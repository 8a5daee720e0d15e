/*
 * libFuzzer target: the strict JSON reader (as the SMS sender uses it on
 * the gateway's answer) and the log masking of what it says.  Checks that
 *
 *   - asking for members refuses only what a member asked for twice
 *     refuses: the text alone is valid, and the lookup agrees with one
 *     lookup per name and with a walk of the top-level members by hand
 *     (found once: that value; twice: refused; never: absent);
 *   - every member found lies inside the input, starts and ends as its
 *     type does, and is itself accepted as a value of that type (an
 *     object also as a whole text);
 *   - a string holds no raw control character; its decoded text is
 *     NUL-terminated, no longer than its raw text, well-formed UTF-8, and
 *     comes back the same through ch_json_escape() and the reader again;
 *     it is NULL only for U+0000;
 *   - a number said to be zero is zero to strtod(), and one said not to
 *     be is not, but for underflow;
 *   - ch_mask_digits() gives one line of UTF-8 within its size and no run
 *     of 4 digits, on the decoded strings and on the raw input.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_json.h"
#include "ch_json_read.h"


#define NAMES  5

static const char *const  names[NAMES] = {
    "code", "id", "message", "msg", ""
};


static int
is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


static void
check_utf8(const unsigned char *p, size_t n)
{
    size_t  seq;

    while (n) {
        seq = ch_utf8_sequence(p, n);
        if (seq == 0) {
            abort();
        }
        p += seq;
        n -= seq;
    }
}


static void
check_masked(const char *src, size_t size)
{
    char    out[160];
    size_t  n, i, run;

    if (size > sizeof(out)) {
        abort();
    }

    memset(out, 'X', sizeof(out));
    ch_mask_digits(out, size, src);

    n = strnlen(out, size);
    if (n >= size) {
        abort();                        /* not NUL-terminated within size */
    }

    check_utf8((const unsigned char *) out, n);

    run = 0;

    for (i = 0; i < n; i++) {
        if ((unsigned char) out[i] < 0x20 || out[i] == 0x7f) {
            abort();
        }

        run = (out[i] >= '0' && out[i] <= '9') ? run + 1 : 0;

        if (run >= 4) {
            abort();
        }
    }
}


/*
 * An oracle for the lookup, on a text the reader accepted: walks its
 * top-level members by hand and, for the name asked for, counts them and
 * notes where the last one's value is.
 */

static const uint8_t *
skip_blanks(const uint8_t *p, const uint8_t *end)
{
    while (p < end && is_blank(*p)) {
        p++;
    }

    return p;
}


/* past one value of valid JSON text */
static const uint8_t *
skip_value(const uint8_t *p, const uint8_t *end)
{
    unsigned  depth;
    int       in_string;

    if (*p != '"' && *p != '{' && *p != '[') {
        while (p < end && *p != ',' && *p != '}' && *p != ']'
               && !is_blank(*p))
        {
            p++;
        }

        return p;
    }

    depth = 0;
    in_string = 0;

    for ( ;; ) {
        if (p == end) {
            abort();
        }

        if (in_string) {
            if (*p == '\\') {
                p++;

            } else if (*p == '"') {
                in_string = 0;

                if (depth == 0) {
                    return p + 1;
                }
            }

        } else if (*p == '"') {
            in_string = 1;

        } else if (*p == '{' || *p == '[') {
            depth++;

        } else if (*p == '}' || *p == ']') {
            if (--depth == 0) {
                return p + 1;
            }
        }

        p++;
    }
}


/* whether the raw string token key decodes to name */
static int
key_is(const uint8_t *key, size_t len, const char *name)
{
    ch_json_member_t  v;
    char             *text, *s;
    int               same;

    text = malloc(len + 6);
    if (text == NULL) {
        abort();
    }

    memcpy(text, "{\"v\":", 5);
    memcpy(text + 5, key, len);
    text[len + 5] = '}';

    v.name = "v";

    if (ch_json_object_members((const unsigned char *) text, len + 6, &v, 1)
        != 0 || v.type != CH_JSON_STRING)
    {
        abort();
    }

    s = ch_json_string_value(&v);
    same = (s != NULL && strcmp(s, name) == 0);

    free(s);
    free(text);

    return same;
}


static unsigned
count_members(const uint8_t *data, size_t size, const char *name,
    const uint8_t **value, size_t *len)
{
    int             match;
    unsigned        count;
    const uint8_t  *p, *end, *key, *v;

    count = 0;
    *value = NULL;
    *len = 0;
    end = data + size;

    p = skip_blanks(data, end);
    p = skip_blanks(p + 1, end);                /* past '{' */

    while (p < end && *p == '"') {
        key = p;
        p = skip_value(p, end);
        match = key_is(key, (size_t) (p - key), name);

        p = skip_blanks(p, end);
        p = skip_blanks(p + 1, end);            /* past ':' */

        v = p;
        p = skip_value(p, end);

        if (match) {
            count++;
            *value = v;
            *len = (size_t) (p - v);
        }

        p = skip_blanks(p, end);

        if (p < end && *p == ',') {
            p = skip_blanks(p + 1, end);
        }
    }

    return count;
}


/* {"v":<value>} read asking for "v": must give the same value back */
static void
check_as_value(const ch_json_member_t *member)
{
    unsigned char     *text;
    size_t             len;
    ch_json_member_t   v;

    len = member->len + 6;

    text = malloc(len);
    if (text == NULL) {
        return;
    }

    memcpy(text, "{\"v\":", 5);
    memcpy(text + 5, member->value, member->len);
    text[len - 1] = '}';

    v.name = "v";

    if (ch_json_object_members(text, len, &v, 1) != 0
        || v.type != member->type
        || v.value != (const char *) text + 5
        || v.len != member->len)
    {
        abort();
    }

    free(text);

    if (member->type == CH_JSON_OBJECT
        && ch_json_object_members((const unsigned char *) member->value,
                                  member->len, NULL, 0) != 0)
    {
        abort();
    }
}


/* the decoded text through the escaper and the reader again */
static void
check_round_trip(const char *s)
{
    unsigned char     *text;
    char              *again;
    size_t             n, len;
    ch_json_member_t   v;

    n = ch_json_escape(NULL, (const unsigned char *) s, strlen(s));
    len = n + 8;

    text = malloc(len);
    if (text == NULL) {
        return;
    }

    memcpy(text, "{\"v\":\"", 6);
    if (ch_json_escape(text + 6, (const unsigned char *) s, strlen(s)) != n) {
        abort();
    }
    memcpy(text + 6 + n, "\"}", 2);

    v.name = "v";

    if (ch_json_object_members(text, len, &v, 1) != 0
        || v.type != CH_JSON_STRING)
    {
        abort();
    }

    again = ch_json_string_value(&v);

    if (again == NULL || strcmp(again, s) != 0) {
        abort();
    }

    free(again);
    free(text);
}


static void
check_string(const ch_json_member_t *member)
{
    char    *s;
    size_t   n;

    if (member->len < 2 || member->value[member->len - 1] != '"') {
        abort();
    }

    for (n = 0; n < member->len; n++) {
        if ((unsigned char) member->value[n] < 0x20) {
            abort();                    /* raw control characters */
        }
    }

    s = ch_json_string_value(member);

    if (s == NULL) {
        /* only U+0000 has no C string (or memory ran out, not here) */
        if (memmem(member->value, member->len, "u0000", 5) == NULL) {
            abort();
        }
        return;
    }

    n = strlen(s);
    if (n > member->len - 2) {
        abort();
    }

    check_utf8((const unsigned char *) s, n);
    check_round_trip(s);
    check_masked(s, 160);
    check_masked(s, 1 + n % 16);

    free(s);
}


static void
check_number(const ch_json_member_t *member)
{
    char    text[4200];
    char   *end;
    double  d;

    if (member->len >= sizeof(text)) {
        abort();                        /* inputs are at most 4096 bytes */
    }

    memcpy(text, member->value, member->len);
    text[member->len] = '\0';

    errno = 0;
    d = strtod(text, &end);

    if (*end != '\0') {
        abort();                        /* not all of it a number */
    }

    if (ch_json_number_is_zero(member)) {
        if (d != 0.0) {
            abort();
        }

    } else if (d == 0.0 && errno != ERANGE) {
        abort();
    }
}


static void
check_member(const ch_json_member_t *member, const uint8_t *data,
    size_t size)
{
    const char  *v;

    if (member->type == CH_JSON_NONE) {
        if (member->value != NULL || member->len != 0
            || ch_json_string_value(member) != NULL
            || ch_json_number_is_zero(member))
        {
            abort();
        }
        return;
    }

    v = member->value;

    if (member->len == 0
        || v < (const char *) data
        || v + member->len > (const char *) data + size)
    {
        abort();
    }

    switch (member->type) {
    case CH_JSON_OBJECT:
        if (v[0] != '{' || v[member->len - 1] != '}') {
            abort();
        }
        break;

    case CH_JSON_ARRAY:
        if (v[0] != '[' || v[member->len - 1] != ']') {
            abort();
        }
        break;

    case CH_JSON_STRING:
        if (v[0] != '"') {
            abort();
        }
        check_string(member);
        break;

    case CH_JSON_NUMBER:
        if (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
            abort();
        }
        check_number(member);
        break;

    case CH_JSON_TRUE:
        if (member->len != 4 || memcmp(v, "true", 4) != 0) {
            abort();
        }
        break;

    case CH_JSON_FALSE:
        if (member->len != 5 || memcmp(v, "false", 5) != 0) {
            abort();
        }
        break;

    case CH_JSON_NULL:
        if (member->len != 4 || memcmp(v, "null", 4) != 0) {
            abort();
        }
        break;

    default:
        abort();
    }

    if (member->type != CH_JSON_STRING && member->type != CH_JSON_NUMBER
        && ch_json_string_value(member) != NULL)
    {
        abort();
    }

    check_as_value(member);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                rc, alone, single_refused, refused_twice;
    char              *raw;
    size_t             i, first, last, len;
    unsigned           count;
    const uint8_t     *value;
    ch_json_member_t   m[NAMES], one;

    for (i = 0; i < NAMES; i++) {
        m[i].name = names[i];
    }

    rc = ch_json_object_members(data, size, m, NAMES);
    alone = ch_json_object_members(data, size, NULL, 0);

    if (rc == 0 && alone != 0) {
        abort();                        /* asking for members let it in */
    }

    single_refused = 0;
    refused_twice = 0;

    for (i = 0; i < NAMES; i++) {
        one.name = names[i];

        if (ch_json_object_members(data, size, &one, 1) != 0) {
            single_refused = 1;
            continue;
        }

        if (rc == 0
            && (one.type != m[i].type || one.value != m[i].value
                || one.len != m[i].len))
        {
            abort();                    /* one lookup, two answers */
        }
    }

    if (alone == 0 && rc != 0 && !single_refused) {
        abort();                        /* refused for no member twice */
    }

    if (rc == 0 && single_refused) {
        abort();
    }

    if (rc == 0) {
        /* one object, blanks around it only */
        for (first = 0; first < size && is_blank(data[first]); first++) {
            /* void */
        }

        for (last = size; last > first && is_blank(data[last - 1]); last--) {
            /* void */
        }

        if (last - first < 2 || data[first] != '{' || data[last - 1] != '}') {
            abort();
        }

        for (i = 0; i < NAMES; i++) {
            check_member(&m[i], data, size);
        }
    }

    /* the lookup against the oracle, on any valid text */
    if (alone == 0) {
        for (i = 0; i < NAMES; i++) {
            count = count_members(data, size, names[i], &value, &len);

            if (count > 1) {
                refused_twice = 1;
            }

            if (rc == 0
                && (count > 1
                    || (count == 0 && m[i].type != CH_JSON_NONE)
                    || (count == 1
                        && (m[i].value != (const char *) value
                            || m[i].len != len))))
            {
                abort();
            }
        }

        if ((rc != 0) != refused_twice) {
            abort();
        }
    }

    /* the mask on whatever came in, cut at its first NUL */
    raw = malloc(size + 1);
    if (raw != NULL) {
        memcpy(raw, data, size);
        raw[size] = '\0';
        check_masked(raw, 160);
        check_masked(raw, 1 + size % 8);
        free(raw);
    }

    return 0;
}
