/*
 * The inside of the multipart parser, shared by its two files and by
 * nothing else (callers use ch_multipart.h): ch_multipart.c frames the
 * body (delimiters, part data, the header section's lines) and
 * ch_multipart_header.c reads header fields (the request's boundary, a
 * part's Content-Disposition and Content-Type).
 */

#ifndef CH_MULTIPART_INT_H
#define CH_MULTIPART_INT_H

#include <stddef.h>

#include "ch_multipart.h"


/* where the parser is; the comments say what it waits for */
typedef enum {
    CH_MP_ST_PREAMBLE = 0,      /* the first delimiter; bytes before it are ignored */
    CH_MP_ST_BOUNDARY,          /* after "--boundary": "--", padding or CR */
    CH_MP_ST_CLOSE,             /* after "--boundary-": the second '-' */
    CH_MP_ST_PADDING,           /* spaces and tabs, then CR */
    CH_MP_ST_LF,                /* the LF that ends the delimiter line */
    CH_MP_ST_HEADERS,           /* header lines up to an empty one */
    CH_MP_ST_DATA,              /* part data up to the next delimiter */
    CH_MP_ST_EPILOGUE           /* after the close delimiter: counted, ignored */
} ch_mp_state_e;


#define CH_MP_DELIM_MAX  (4 + CH_MP_BOUNDARY_MAX)       /* "\r\n--" boundary */


struct ch_multipart_s {
    const ch_mp_callbacks_t  *cb;
    void                     *data;

    ch_mp_state_e             state;
    ch_mp_status_e            status;       /* an error or STOPPED: sticky */

    unsigned char             delim[CH_MP_DELIM_MAX];
    size_t                    dlen;
    size_t                    held;         /* delim[0 .. held - 1] matched */

    size_t                    count;        /* preamble, header or epilogue bytes */
    size_t                    nheaders;
    size_t                    nparts;
    int                       in_part;      /* part_begin called, not part_end */
    int                       seen_disposition;
    int                       seen_type;
    int                       ext_filename; /* filename*= decoded */

    size_t                    line_len;
    unsigned char             line[CH_MP_HEADER_MAX];

    ch_mp_part_t              part;
};


/* optional white space (RFC 9110): what both files skip */
static inline int
ch_mp_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}


/*
 * One header line of a part, CRLF included, into mp->part: CH_MP_OK,
 * CH_MP_DONE for the empty line that ends the section, or an error.
 * Hidden: a name for these files, not a symbol of the module.
 */
#pragma GCC visibility push(hidden)
ch_mp_status_e ch_mp_header_line(ch_multipart_t *mp,
    const unsigned char *line, size_t len);
#pragma GCC visibility pop

#endif /* CH_MULTIPART_INT_H */
