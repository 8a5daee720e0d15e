/*
 * JSON string escaping.
 *
 * Pure C (no nginx headers), shared by the module and the back office.
 * Results come from PostgreSQL already rendered as JSON; this is for the
 * few strings C itself puts into JSON (error messages, field names, values
 * echoed from untrusted input).
 */

#ifndef CH_JSON_H
#define CH_JSON_H

#include <stddef.h>

/*
 * Writes src as the inside of a JSON string (without the quotes) to dst and
 * returns the number of bytes written; with dst == NULL it only returns the
 * number of bytes it would write, so callers size their buffer exactly.
 *
 * The output is always valid UTF-8 JSON, whatever the input: '"', '\\' and
 * control characters are escaped; '<', '>', '&', U+2028 and U+2029 too, so
 * the text is also safe inside an HTML <script> block; a byte that does not
 * start a well-formed UTF-8 sequence (overlong, surrogate, past U+10FFFF,
 * truncated) becomes U+FFFD.
 */
size_t ch_json_escape(unsigned char *dst, const unsigned char *src,
    size_t len);

/*
 * Length of the well-formed UTF-8 sequence at the start of p (at most n
 * bytes available), or 0 when it is not one.  Shared with the validators.
 */
size_t ch_utf8_sequence(const unsigned char *p, size_t n);

#endif /* CH_JSON_H */
