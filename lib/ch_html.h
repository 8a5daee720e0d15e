/*
 * HTML escaping.
 *
 * Pure C (no nginx headers): the back office writes every value through it,
 * and the module uses it for the printable application form.
 */

#ifndef CH_HTML_H
#define CH_HTML_H

#include <stddef.h>

/*
 * Writes src escaped for HTML text and for quoted attribute values to dst
 * and returns the bytes written; with dst == NULL only returns the length.
 * & < > " ' are escaped; a byte that is not part of well-formed UTF-8
 * becomes U+FFFD, and control characters other than tab and newline are
 * dropped, so no input can change the page's structure or encoding.
 */
size_t ch_html_escape(unsigned char *dst, const unsigned char *src,
    size_t len);

#endif /* CH_HTML_H */
