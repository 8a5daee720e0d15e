/*
 * An incremental parser of multipart/form-data (RFC 7578, RFC 2046 section
 * 5.1) for uploads: the module feeds it each piece of the request body as
 * nginx reads it, and it hands the parts' bytes to callbacks at once, never
 * holding more than a delimiter's length of them back.  The file is hashed
 * and written while it streams in, and a part that is too large or of the
 * wrong type is refused as soon as that is known.
 *
 * Bounded everywhere, because the body is untrusted: the preamble, each
 * part's header section, the number of headers and parts, the lengths of
 * the name and file name.  The bounds are generous for what browsers send
 * (one part "file"; a few headers of a few hundred bytes) and fail closed.
 *
 * Pure C (no nginx headers): unit-tested and fuzzed directly.
 */

#ifndef CH_MULTIPART_H
#define CH_MULTIPART_H

#include <stddef.h>

/*
 * A part's filename is raw bytes from the client: its callers keep and
 * show it only through ch_filename_sanitize, declared there
 */
#include "ch_filename.h"

#define CH_MP_BOUNDARY_MAX      70      /* RFC 2046 */
#define CH_MP_PREAMBLE_MAX      1024
#define CH_MP_HEADER_MAX        2048    /* one part's header section */
#define CH_MP_HEADERS_MAX       8       /* header lines in one part */
#define CH_MP_PARTS_MAX         8       /* the back office: a file and its form */
#define CH_MP_NAME_MAX          64      /* the name="" parameter */
#define CH_MP_FILENAME_MAX      1024    /* the filename="" parameter, raw */
#define CH_MP_EPILOGUE_MAX      1024

typedef enum {
    CH_MP_OK = 0,
    CH_MP_DONE,                 /* the close delimiter was seen */
    CH_MP_STOPPED,              /* a callback asked to stop */
    CH_MP_E_NO_BOUNDARY,        /* Content-Type without a usable boundary */
    CH_MP_E_PREAMBLE,           /* no delimiter within CH_MP_PREAMBLE_MAX */
    CH_MP_E_DELIMITER,          /* junk after a delimiter line */
    CH_MP_E_HEADER_TOO_LONG,
    CH_MP_E_TOO_MANY_HEADERS,
    CH_MP_E_BAD_HEADER,         /* no colon, a folded line, a NUL, no CRLF */
    CH_MP_E_DISPOSITION,        /* missing, not form-data, or no name */
    CH_MP_E_NAME_TOO_LONG,      /* name or filename over its bound */
    CH_MP_E_TOO_MANY_PARTS,
    CH_MP_E_EPILOGUE,           /* more than CH_MP_EPILOGUE_MAX after it */
    CH_MP_E_TRUNCATED           /* the body ended before the close delimiter */
} ch_mp_status_e;

typedef struct {
    char        name[CH_MP_NAME_MAX + 1];          /* NUL-terminated */
    char        filename[CH_MP_FILENAME_MAX + 1];  /* raw bytes, NUL-terminated */
    int         has_filename;                       /* filename= was given */
    size_t      filename_len;
    char        content_type[128];                  /* as sent, truncated */
} ch_mp_part_t;

/*
 * Each callback returns 0 to go on; anything else stops the parser, which
 * then answers CH_MP_STOPPED to this and every later call (the callback
 * knows why it stopped).  A callback may be NULL.
 *
 * part_begin: the part's header section has ended (its empty line) and
 *   was valid; part stays valid until the next delimiter line ends.
 * part_data: the next n > 0 bytes of the part (never n == 0), in as large
 *   runs as the input allows; p is valid only during the call (it may
 *   point into the parser).  Only bytes that cannot begin the delimiter
 *   are passed on, so up to strlen("\r\n--" boundary) - 1 of them may wait
 *   for the next piece of the body.  The CRLF before a delimiter belongs
 *   to the delimiter and is never passed on.
 * part_end: the part is whole; called when the delimiter after it is
 *   known good: a delimiter line's CRLF, or the close delimiter's "--"
 *   (then in the same ch_multipart_feed that returns CH_MP_DONE, before it
 *   returns).  A part that ends in an error gets no part_end.
 *
 * Splitting the body differently never changes the callbacks' sequence,
 * the concatenated data, or the final status.
 */
typedef struct {
    int   (*part_begin)(void *data, const ch_mp_part_t *part);
    int   (*part_data)(void *data, const unsigned char *p, size_t n);
    int   (*part_end)(void *data);
} ch_mp_callbacks_t;

typedef struct ch_multipart_s  ch_multipart_t;

/* sizeof the parser's state, for callers that allocate it themselves */
size_t ch_multipart_size(void);

/*
 * Takes the boundary out of a Content-Type value such as
 *     multipart/form-data; boundary="----WebKitFormBoundaryx7"
 * (type case-insensitive, the parameter quoted or not, other parameters
 * allowed).  Copies it into out (CH_MP_BOUNDARY_MAX + 1 bytes, NUL
 * terminated).  Returns its length, 0 if the type is not
 * multipart/form-data, -1 if the boundary is missing, empty, too long or
 * has a character RFC 2046 does not allow.
 */
int ch_multipart_boundary(const char *content_type, size_t len, char *out);

/* readies mp (ch_multipart_size() bytes) for a body with this boundary */
void ch_multipart_init(ch_multipart_t *mp, const char *boundary,
    const ch_mp_callbacks_t *cb, void *data);

/*
 * Parses the next n bytes of the body.  Returns CH_MP_OK (more wanted),
 * CH_MP_DONE (the close delimiter was seen: the rest is epilogue, which is
 * bounded and ignored), CH_MP_STOPPED, or an error; after an error every
 * call returns it again.
 *
 * Details the caller may rely on:
 * - the first delimiter may begin the body, or follow a preamble of at
 *   most CH_MP_PREAMBLE_MAX bytes and its CRLF; later ones must follow a
 *   CRLF; a delimiter line may have spaces and tabs before its CRLF, and
 *   anything else after the boundary is CH_MP_E_DELIMITER;
 * - every byte after "--boundary--" (padding, CRLF, anything) is epilogue:
 *   CH_MP_DONE is answered while there are at most CH_MP_EPILOGUE_MAX of
 *   them, CH_MP_E_EPILOGUE after; no callback is made for them;
 * - a body whose first delimiter is the close one is CH_MP_DONE with no
 *   part: the caller decides that a part was missing;
 * - a header section counts its bytes from after the delimiter line's
 *   CRLF up to and including the empty line's CRLF; CH_MP_HEADERS_MAX
 *   lines; only Content-Disposition (required, once) and Content-Type
 *   (at most once) are read, others are skipped;
 * - Content-Disposition: "form-data" and a non-empty name= are required;
 *   a parameter given twice is refused; quoted strings end at the next
 *   '"' (browsers send '"' as %22, and a backslash is itself), are kept
 *   raw and not percent-decoded; filename="" gives has_filename 1 with an
 *   empty filename (what browsers send when no file was chosen);
 *   filename*=UTF-8''... is percent-decoded and wins over filename=
 *   (another charset is ignored, %00 refused); the bounds of name and
 *   filename apply to the value as stored (decoded, for filename*=);
 * - n == 0 is allowed and changes nothing.
 */
ch_mp_status_e ch_multipart_feed(ch_multipart_t *mp, const unsigned char *p,
    size_t n);

/*
 * The body has ended: CH_MP_DONE if it was whole; else the sticky status
 * (an error, or CH_MP_STOPPED), or CH_MP_E_TRUNCATED (which sticks too)
 * when the close delimiter had not been seen, even in the preamble.
 */
ch_mp_status_e ch_multipart_finish(ch_multipart_t *mp);

/* the API's message for an error status, in Chinese, for the 400 */
const char *ch_multipart_message(ch_mp_status_e status);

#endif /* CH_MULTIPART_H */
