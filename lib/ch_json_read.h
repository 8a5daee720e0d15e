/*
 * Reading the JSON answers of the systems the back office talks to (the
 * SMS gateway), and making what they say fit for a log line.
 *
 * An answer is validated whole against RFC 8259 before anything is taken
 * from it: one object, no trailing commas or comments, strings of
 * well-formed UTF-8 with valid escapes and no raw control characters,
 * numbers without leading zeros, nesting at most CH_JSON_MAX_DEPTH deep
 * (the top-level object counts as one), nothing after the object but
 * blanks.  Then only the top-level members asked for are returned; a
 * member asked for that appears twice is refused, since which of the two a
 * system meant cannot be known.  Member names are compared after their
 * escapes are decoded: "co\u0064e" is "code".
 *
 * Pure C (no nginx headers), unit-tested and fuzzed directly.  Answers are
 * small (the HTTP client caps them), so recursion on the nesting depth is
 * fine.
 */

#ifndef CH_JSON_READ_H
#define CH_JSON_READ_H

#include <stddef.h>

#define CH_JSON_MAX_DEPTH  64

typedef enum {
    CH_JSON_NONE = 0,               /* the member is absent */
    CH_JSON_OBJECT,
    CH_JSON_ARRAY,
    CH_JSON_STRING,
    CH_JSON_NUMBER,
    CH_JSON_TRUE,
    CH_JSON_FALSE,
    CH_JSON_NULL
} ch_json_type_e;

typedef struct {
    const char      *name;          /* in: the member's name */
    ch_json_type_e   type;          /* out */
    const char      *value;         /* out: the value as it stands in the
                                       text (a string with its quotes), not
                                       NUL-terminated; NULL when absent */
    size_t           len;
} ch_json_member_t;

/*
 * Validates text (len bytes; no NUL needed) as one JSON object and fills
 * in the members asked for (n of them, each name set by the caller;
 * CH_JSON_NONE, NULL and 0 when absent).  Returns 0, or -1 when text is
 * not exactly one valid JSON object, repeats a member asked for, or memory
 * ran out.  On 0, each value found lies inside text and is itself one
 * valid JSON value of its type.
 */
int ch_json_object_members(const unsigned char *text, size_t len,
    ch_json_member_t *members, size_t n);

/*
 * A string member's text, decoded, NUL-terminated and malloc'ed (free()
 * it), or NULL: not a string, it holds U+0000 (which no C string can
 * carry), or out of memory.  The result is always well-formed UTF-8: an
 * escaped lone surrogate (RFC 8259 lets "\ud800" through) becomes U+FFFD.
 */
char *ch_json_string_value(const ch_json_member_t *member);

/*
 * Whether a number member is zero, whatever its spelling: 0, -0, 0.0,
 * 0e5, -0.000E-7.  0 for any other member.
 */
int ch_json_number_is_zero(const ch_json_member_t *member);

/*
 * What another system said, made fit for a log line: src (a C string)
 * into dst (size bytes, size > 0), NUL-terminated, as one line of valid
 * UTF-8 of at most size - 1 bytes cut on a character boundary.  Control
 * characters and DEL become spaces, bytes of invalid UTF-8 '?', and every
 * run of 4 or more ASCII digits is masked with as many '*' (a run that
 * does not fit whole is left out), so that a system echoing a text back
 * cannot put a verification code into a log; shorter runs are kept.
 */
void ch_mask_digits(char *dst, size_t size, const char *src);

#endif /* CH_JSON_READ_H */
