/*
 * An applicant's file name, as a multipart part gave it (raw bytes from
 * the client), made fit to keep in the database, to show in the back
 * office and to send back in a Content-Disposition (ch_disposition.h).
 *
 * Pure C (no nginx headers): unit-tested and fuzzed directly.
 */

#ifndef CH_FILENAME_H
#define CH_FILENAME_H

#include <stddef.h>

/*
 * A file name fit to keep and to show: the last path component (after /
 * or \), valid UTF-8 only (a bad sequence becomes "_"), no control
 * characters, no bidirectional overrides (U+202A-U+202E, U+2066-U+2069),
 * none of "\\/:*?<>|, no leading dots or spaces, at most 100 characters
 * with the extension kept.  Empty becomes "file".  out needs
 * CH_FILENAME_SAFE_MAX + 1 bytes; returns the length written.
 *
 * In detail: a bad byte and the continuation bytes after it become one
 * "_"; control characters (C0, DEL, C1, U+2028, U+2029) and "\\/:*?<>|
 * become "_"; the bidirectional controls are dropped; dots and spaces
 * are taken off both ends (Windows drops trailing ones itself).  Over
 * CH_FILENAME_CHARS_MAX characters, the name is cut and its extension
 * (the last dot and what follows, when that is at most 16 characters)
 * put back after the cut.  The output is NUL-terminated, and cleaning it
 * again gives it back unchanged.
 */
#define CH_FILENAME_CHARS_MAX   100
#define CH_FILENAME_SAFE_MAX    (CH_FILENAME_CHARS_MAX * 4)
size_t ch_filename_sanitize(const char *in, size_t len, char *out);

#endif /* CH_FILENAME_H */
