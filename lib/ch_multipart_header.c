/*
 * The header fields of multipart/form-data (see ch_multipart.h): the
 * boundary from the request's Content-Type, and each header line of a
 * part, of which Content-Disposition (name, filename, filename*) and
 * Content-Type are read.  Small and parsed a line at a time; the body's
 * framing around them is ch_multipart.c.
 */

#include <stdint.h>
#include <string.h>

#include "ch_base64.h"
#include "ch_multipart.h"
#include "ch_multipart_int.h"


/* RFC 2046 bchars */

static int
ch_mp_bchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
        return 1;
    }

    return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}


/* RFC 7230 tchar: header names, parameter names, the disposition type */

static int
ch_mp_tchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", c) == NULL;
}


static const unsigned char *
ch_mp_skip_ows(const unsigned char *p, const unsigned char *end)
{
    while (p < end && ch_mp_ows(*p)) {
        p++;
    }

    return p;
}


/* p..p+n equals the lower-case ASCII lit, ignoring case */

static int
ch_mp_ci_equal(const unsigned char *p, size_t n, const char *lit)
{
    size_t  i;

    if (strlen(lit) != n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if ((p[i] >= 'A' && p[i] <= 'Z' ? p[i] | 0x20 : p[i])
            != (unsigned char) lit[i])
        {
            return 0;
        }
    }

    return 1;
}


/* the boundary */

int
ch_multipart_boundary(const char *content_type, size_t len, char *out)
{
    const unsigned char  *p, *end, *name, *v, *ve;
    size_t                nl, i;
    int                   found;

    p = (const unsigned char *) content_type;
    end = p + len;

    p = ch_mp_skip_ows(p, end);

    if ((size_t) (end - p) < sizeof("multipart/form-data") - 1
        || !ch_mp_ci_equal(p, sizeof("multipart/form-data") - 1,
                           "multipart/form-data"))
    {
        return 0;
    }

    p += sizeof("multipart/form-data") - 1;

    if (p < end && *p != ';' && !ch_mp_ows(*p)) {
        return 0;                       /* "multipart/form-datax" */
    }

    found = 0;

    for ( ;; ) {
        p = ch_mp_skip_ows(p, end);

        if (p == end) {
            break;
        }

        if (*p != ';') {
            return -1;
        }

        p = ch_mp_skip_ows(p + 1, end);

        if (p == end) {
            break;                      /* a trailing ";" */
        }

        for (name = p; p < end && ch_mp_tchar(*p); p++) { /* void */ }

        nl = (size_t) (p - name);

        if (nl == 0 || p == end || *p != '=') {
            return -1;
        }

        p++;

        if (p < end && *p == '"') {

            /*
             * RFC 7230 quoted-string: skip quoted pairs to find its end;
             * a backslash is no bchar, so a boundary with one is refused
             * below rather than unescaped
             */

            v = ++p;

            while (p < end && *p != '"') {
                p += (*p == '\\' && p + 1 < end) ? 2 : 1;
            }

            if (p >= end) {
                return -1;
            }

            ve = p++;

        } else {
            for (v = p; p < end && *p != ';' && !ch_mp_ows(*p); p++) {
                /* void */
            }

            ve = p;

            if (v == ve) {
                return -1;
            }
        }

        if (!ch_mp_ci_equal(name, nl, "boundary")) {
            continue;
        }

        /* given twice: the client and we could disagree on which counts */

        if (found) {
            return -1;
        }

        if (ve == v || ve - v > CH_MP_BOUNDARY_MAX || ve[-1] == ' ') {
            return -1;
        }

        for (i = 0; v + i < ve; i++) {
            if (!ch_mp_bchar(v[i])) {
                return -1;
            }

            out[i] = (char) v[i];
        }

        out[i] = '\0';
        found = (int) i;
    }

    return found ? found : -1;
}


/*
 * A Content-Disposition parameter value: a quoted string as browsers
 * write it (WHATWG: '"' is sent as %22, CR and LF as %0D and %0A, and a
 * backslash is itself, so the string ends at the next '"'), or a token.
 * Sets *v, *vl; returns the position after it, NULL if there is none.
 */

static const unsigned char *
ch_mp_param_value(const unsigned char *p, const unsigned char *end,
    const unsigned char **v, size_t *vl)
{
    const unsigned char  *q;

    if (p < end && *p == '"') {
        q = memchr(p + 1, '"', (size_t) (end - p - 1));
        if (q == NULL) {
            return NULL;
        }

        *v = p + 1;
        *vl = (size_t) (q - p - 1);

        return q + 1;
    }

    /* a token; raw UTF-8 too, which some clients send unquoted */

    for (q = p; q < end && (ch_mp_tchar(*q) || *q >= 0x80); q++) {
        /* void */
    }

    if (q == p) {
        return NULL;
    }

    *v = p;
    *vl = (size_t) (q - p);

    return q;
}


/*
 * filename*=UTF-8''caf%C3%A9.jpg (RFC 5987 / 8187): decoded into the
 * part's filename.  A charset other than UTF-8 is ignored (RFC 6266 lets
 * the plain filename= stand in); %00 is refused, since the name is a C
 * string further on.
 */

static ch_mp_status_e
ch_mp_ext_filename(ch_multipart_t *mp, const unsigned char *v, size_t vl)
{
    const unsigned char  *end, *q, *lang;
    size_t                n;
    int                   hi, lo;

    end = v + vl;

    q = memchr(v, '\'', vl);
    if (q == NULL) {
        return CH_MP_E_DISPOSITION;
    }

    lang = q + 1;

    q = memchr(lang, '\'', (size_t) (end - lang));
    if (q == NULL) {
        return CH_MP_E_DISPOSITION;
    }

    if (!ch_mp_ci_equal(v, (size_t) (lang - 1 - v), "utf-8")) {
        return CH_MP_OK;
    }

    n = 0;

    for (q++; q < end; q++) {
        if (n == CH_MP_FILENAME_MAX) {
            return CH_MP_E_NAME_TOO_LONG;
        }

        if (*q != '%') {
            mp->part.filename[n++] = (char) *q;
            continue;
        }

        if (end - q < 3) {
            return CH_MP_E_DISPOSITION;
        }

        hi = ch_hex_value(q[1]);
        lo = ch_hex_value(q[2]);

        if (hi < 0 || lo < 0 || (hi | lo) == 0) {
            return CH_MP_E_DISPOSITION;
        }

        mp->part.filename[n++] = (char) (hi << 4 | lo);
        q += 2;
    }

    mp->part.filename[n] = '\0';
    mp->part.filename_len = n;
    mp->part.has_filename = 1;
    mp->ext_filename = 1;

    return CH_MP_OK;
}


/* Content-Disposition: form-data; name="file"; filename="a.jpg" */

static ch_mp_status_e
ch_mp_disposition(ch_multipart_t *mp, const unsigned char *p,
    const unsigned char *end)
{
    const unsigned char  *t, *v;
    size_t                tl, vl;
    ch_mp_status_e        rc;
    int                   seen_name, seen_filename, seen_ext;

    for (t = p; p < end && ch_mp_tchar(*p); p++) { /* void */ }

    if (!ch_mp_ci_equal(t, (size_t) (p - t), "form-data")) {
        return CH_MP_E_DISPOSITION;
    }

    seen_name = 0;
    seen_filename = 0;
    seen_ext = 0;

    for ( ;; ) {
        p = ch_mp_skip_ows(p, end);

        if (p == end) {
            break;
        }

        if (*p != ';') {
            return CH_MP_E_DISPOSITION;
        }

        p = ch_mp_skip_ows(p + 1, end);

        if (p == end) {
            break;                      /* a trailing ";" */
        }

        for (t = p; p < end && ch_mp_tchar(*p); p++) { /* void */ }

        tl = (size_t) (p - t);
        p = ch_mp_skip_ows(p, end);

        if (tl == 0 || p == end || *p != '=') {
            return CH_MP_E_DISPOSITION;
        }

        p = ch_mp_param_value(ch_mp_skip_ows(p + 1, end), end, &v, &vl);
        if (p == NULL) {
            return CH_MP_E_DISPOSITION;
        }

        /* a parameter given twice is refused: which one would count? */

        if (ch_mp_ci_equal(t, tl, "name")) {
            if (seen_name++ || vl == 0) {
                return CH_MP_E_DISPOSITION;
            }

            if (vl > CH_MP_NAME_MAX) {
                return CH_MP_E_NAME_TOO_LONG;
            }

            memcpy(mp->part.name, v, vl);
            mp->part.name[vl] = '\0';

        } else if (ch_mp_ci_equal(t, tl, "filename")) {
            if (seen_filename++) {
                return CH_MP_E_DISPOSITION;
            }

            if (vl > CH_MP_FILENAME_MAX) {
                return CH_MP_E_NAME_TOO_LONG;
            }

            /* filename*= takes precedence, whichever comes first */

            if (!mp->ext_filename) {
                memcpy(mp->part.filename, v, vl);
                mp->part.filename[vl] = '\0';
                mp->part.filename_len = vl;
                mp->part.has_filename = 1;
            }

        } else if (ch_mp_ci_equal(t, tl, "filename*")) {
            if (seen_ext++) {
                return CH_MP_E_DISPOSITION;
            }

            rc = ch_mp_ext_filename(mp, v, vl);
            if (rc != CH_MP_OK) {
                return rc;
            }
        }

        /* other parameters are allowed and ignored */
    }

    return seen_name ? CH_MP_OK : CH_MP_E_DISPOSITION;
}


/* one header line, CRLF included */

ch_mp_status_e
ch_mp_header_line(ch_multipart_t *mp, const unsigned char *line, size_t len)
{
    const unsigned char  *end, *colon, *v, *ve;
    size_t                n;

    if (len < 2 || line[len - 2] != '\r') {
        return CH_MP_E_BAD_HEADER;              /* a bare LF */
    }

    len -= 2;
    end = line + len;

    if (len == 0) {
        return CH_MP_DONE;                      /* the empty line */
    }

    if (memchr(line, '\0', len) || memchr(line, '\r', len)
        || ch_mp_ows(line[0]))                  /* obs-fold */
    {
        return CH_MP_E_BAD_HEADER;
    }

    if (++mp->nheaders > CH_MP_HEADERS_MAX) {
        return CH_MP_E_TOO_MANY_HEADERS;
    }

    colon = memchr(line, ':', len);

    if (colon == NULL || colon == line) {
        return CH_MP_E_BAD_HEADER;
    }

    for (v = line; v < colon; v++) {
        if (!ch_mp_tchar(*v)) {
            return CH_MP_E_BAD_HEADER;          /* "Name :" among others */
        }
    }

    v = ch_mp_skip_ows(colon + 1, end);

    for (ve = end; ve > v && ch_mp_ows(ve[-1]); ve--) { /* void */ }

    n = (size_t) (colon - line);

    if (ch_mp_ci_equal(line, n, "content-disposition")) {
        if (mp->seen_disposition++) {
            return CH_MP_E_DISPOSITION;
        }

        return ch_mp_disposition(mp, v, ve);
    }

    if (ch_mp_ci_equal(line, n, "content-type")) {
        if (mp->seen_type++) {
            return CH_MP_E_BAD_HEADER;
        }

        n = (size_t) (ve - v);
        if (n > sizeof(mp->part.content_type) - 1) {
            n = sizeof(mp->part.content_type) - 1;
        }

        memcpy(mp->part.content_type, v, n);
        mp->part.content_type[n] = '\0';
    }

    return CH_MP_OK;
}

