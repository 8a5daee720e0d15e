/*
 * The Content-Disposition of a stored file sent back to its owner:
 *
 *     inline; filename="legal_id_front.jpg"; filename*=UTF-8''%E8%BA%AB...
 *
 * The plain filename= is ASCII made by us (the kind and the format), so
 * no browser ever sees an applicant's bytes unquoted; the applicant's own
 * name, already cleaned when it was stored (ch_filename_sanitize,
 * ch_filename.h), goes into filename*= (RFC 6266, RFC 8187),
 * percent-encoded but for RFC 8187's attr-chars.  Pure C, unit-tested.
 */

#ifndef CH_DISPOSITION_H
#define CH_DISPOSITION_H

#include <stddef.h>

/*
 * Writes the header's value into out (NULL: only counts) and returns its
 * length without a NUL.  kind and format must be [a-z0-9_]; attachment
 * non-zero gives "attachment" (a PDF: saved, never rendered inside the
 * site's origin), else "inline" (an image).
 */
size_t ch_disposition(char *out, int attachment, const char *kind,
    const char *format, const char *name, size_t name_len);

#endif /* CH_DISPOSITION_H */
