/*
 * libFuzzer target: the multipart parser fed whole and fed in pieces must
 * make the same calls with the same data and end with the same statuses;
 * fed in pieces, it must have passed on every data byte more than a
 * delimiter's length behind the input, and nothing it has not read.  Also
 * the boundary parser, the file name cleaner and the download centre's
 * file types (ch_download.h) on the same bytes.
 *
 * Input: byte 0 chooses the pieces (the low 3 bits their largest size,
 * the rest seeds their sizes), byte 1 the boundary; the body follows.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ch_multipart.h"
#include "ch_json.h"
#include "ch_download.h"


static const char  *boundaries[] = {
    "----WebKitFormBoundary7MA4YWxkTrZu0gW",
    "---------------------------9051914041544843365972754266",
    "b",
    "a'()+_,-./:=? z",
};


static void check_download_type(const char *name, size_t n);


typedef struct {
    unsigned char        *log;
    size_t                len;
    size_t                cap;
    size_t                data;         /* bytes of part data */

    const unsigned char  *body;         /* set for the whole run: where */
    size_t                size;         /* each data run lay in the body */
    size_t               *run_off;
    size_t               *run_len;
    size_t                runs;
} rec_t;


static void
put(rec_t *r, const void *p, size_t n, int escape)
{
    const unsigned char  *s = p;
    size_t                i;

    if (r->len + 2 * n + 1 > r->cap) {
        r->cap = (r->len + 2 * n + 1) * 2;
        r->log = realloc(r->log, r->cap);
        if (r->log == NULL) {
            abort();
        }
    }

    for (i = 0; i < n; i++) {
        if (escape && (s[i] == '{' || s[i] == '}' || s[i] == '\\')) {
            r->log[r->len++] = '\\';
        }

        r->log[r->len++] = s[i];
    }
}


static void
check_name(const char *in, size_t len)
{
    char                  out[CH_FILENAME_SAFE_MAX + 1];
    char                  again[CH_FILENAME_SAFE_MAX + 1];
    const unsigned char  *p;
    size_t                n, i, seq, chars;
    uint32_t              c;

    n = ch_filename_sanitize(in, len, out);

    if (n == 0 || n > CH_FILENAME_SAFE_MAX || out[n] != '\0'
        || strlen(out) != n || out[0] == '.' || out[0] == ' '
        || out[n - 1] == '.' || out[n - 1] == ' '
        || strpbrk(out, "\"\\/:*?<>|") != NULL)
    {
        abort();
    }

    p = (const unsigned char *) out;

    for (i = 0, chars = 0; i < n; i += seq, chars++) {
        seq = ch_utf8_sequence(p + i, n - i);

        if (seq == 0) {
            abort();
        }

        c = p[i];

        if (seq == 2) {
            c = (uint32_t) (p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f);

        } else if (seq == 3) {
            c = (uint32_t) (p[i] & 0x0f) << 12
                | (uint32_t) (p[i + 1] & 0x3f) << 6 | (p[i + 2] & 0x3f);
        }

        if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029
            || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        {
            abort();
        }
    }

    if (chars > CH_FILENAME_CHARS_MAX) {
        abort();
    }

    /* clean already: cleaned again, it stays */

    if (ch_filename_sanitize(out, n, again) != n || memcmp(out, again, n)) {
        abort();
    }

    check_download_type(out, n);
}


/*
 * The download centre's type of a cleaned name (the back office's path):
 * a type only with a known extension, which is the name's own, lower-case
 */

static void
check_download_type(const char *name, size_t n)
{
    char         ext[CH_DOWNLOAD_EXT_MAX + 1];
    size_t       len, i;
    const char  *type;

    type = ch_download_media_type(name);
    len = ch_download_ext(name, ext);

    if ((type == NULL) != (len == 0) || len > CH_DOWNLOAD_EXT_MAX
        || ext[len] != '\0')
    {
        abort();
    }

    if (len == 0) {
        return;
    }

    if (len + 1 >= n || name[n - len - 1] != '.'
        || strncasecmp(name + n - len, ext, len) != 0)
    {
        abort();
    }

    for (i = 0; i < len; i++) {
        if (!((ext[i] >= 'a' && ext[i] <= 'z') || (ext[i] >= '0' && ext[i] <= '9'))) {
            abort();
        }
    }
}


static int
on_begin(void *data, const ch_mp_part_t *part)
{
    rec_t   *r = data;
    size_t   nl;

    nl = strnlen(part->name, sizeof(part->name));

    if (nl == 0 || nl > CH_MP_NAME_MAX
        || part->filename_len > CH_MP_FILENAME_MAX
        || part->filename[part->filename_len] != '\0'
        || (!part->has_filename && part->filename_len != 0)
        || strnlen(part->content_type, sizeof(part->content_type))
           >= sizeof(part->content_type))
    {
        abort();
    }

    if (r->body) {
        check_name(part->filename, part->filename_len);
    }

    put(r, "{", 1, 0);
    put(r, part->name, nl, 1);
    put(r, "|", 1, 0);
    put(r, part->has_filename ? "1" : "0", 1, 0);
    put(r, part->filename, part->filename_len, 1);
    put(r, "|", 1, 0);
    put(r, part->content_type, strlen(part->content_type), 1);
    put(r, "}", 1, 0);

    return 0;
}


static int
on_data(void *data, const unsigned char *p, size_t n)
{
    rec_t  *r = data;

    if (n == 0) {
        abort();
    }

    if (r->body) {

        /* whole, the parser has no held bytes to give: it all is the body */

        if (p < r->body || p + n > r->body + r->size) {
            abort();
        }

        r->run_off = realloc(r->run_off, (r->runs + 1) * sizeof(size_t));
        r->run_len = realloc(r->run_len, (r->runs + 1) * sizeof(size_t));
        if (r->run_off == NULL || r->run_len == NULL) {
            abort();
        }

        r->run_off[r->runs] = (size_t) (p - r->body);
        r->run_len[r->runs] = n;
        r->runs++;
    }

    put(r, p, n, 1);
    r->data += n;

    return 0;
}


static int
on_end(void *data)
{
    put(data, "{/}", 3, 0);

    return 0;
}


static const ch_mp_callbacks_t  cb = { on_begin, on_data, on_end };


/* the whole run's data bytes at offsets below "below" */

static size_t
data_below(const rec_t *w, size_t below)
{
    size_t  i, n;

    for (i = 0, n = 0; i < w->runs && w->run_off[i] < below; i++) {
        n += below - w->run_off[i] < w->run_len[i] ? below - w->run_off[i]
                                                    : w->run_len[i];
    }

    return n;
}


static void
check_boundary(const uint8_t *data, size_t size)
{
    char    out[CH_MP_BOUNDARY_MAX + 1];
    size_t  i;
    int     n;

    n = ch_multipart_boundary((const char *) data, size, out);

    if (n < -1 || n > CH_MP_BOUNDARY_MAX) {
        abort();
    }

    if (n <= 0) {
        return;
    }

    if (strlen(out) != (size_t) n || out[n - 1] == ' '
        || memmem(data, size, out, (size_t) n) == NULL)
    {
        abort();
    }

    for (i = 0; i < (size_t) n; i++) {
        if (strchr("0123456789abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ", out[i]) == NULL)
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t   max_piece[] = { 1, 2, 3, 5, 16, 64, 256, 4096 };
    const unsigned char  *body;
    const char           *boundary;
    ch_multipart_t       *mp;
    ch_mp_status_e        whole, whole_fin, s, first;
    rec_t                 w, r;
    size_t                len, off, n, piece, dlen;
    uint32_t              seed;

    check_boundary(data, size);
    check_name((const char *) data, size);

    if (size < 2) {
        return 0;
    }

    piece = max_piece[data[0] & 7];
    seed = data[0] >> 3;
    boundary = boundaries[data[1] & 3];
    dlen = 4 + strlen(boundary);
    body = data + 2;
    len = size - 2;

    mp = malloc(ch_multipart_size());
    if (mp == NULL) {
        return 0;
    }

    /* whole */

    memset(&w, 0, sizeof(rec_t));
    put(&w, "", 0, 0);
    w.body = body;
    w.size = len;

    ch_multipart_init(mp, boundary, &cb, &w);
    whole = ch_multipart_feed(mp, body, len);
    whole_fin = ch_multipart_finish(mp);

    if (whole == CH_MP_OK ? whole_fin == CH_MP_DONE || whole_fin == CH_MP_OK
        : whole == CH_MP_DONE ? whole_fin != CH_MP_DONE : whole_fin != whole)
    {
        abort();
    }

    /* in pieces */

    memset(&r, 0, sizeof(rec_t));
    put(&r, "", 0, 0);
    ch_multipart_init(mp, boundary, &cb, &r);

    s = CH_MP_OK;
    first = CH_MP_OK;

    for (off = 0; off < len; off += n) {
        seed = seed * 1103515245 + 12345;
        n = 1 + (seed >> 16) % piece;

        if (n > len - off) {
            n = len - off;
        }

        s = ch_multipart_feed(mp, body + off, n);

        /* an error sticks */

        if (first != CH_MP_OK && first != CH_MP_DONE && s != first) {
            abort();
        }

        if (s != CH_MP_OK && s != CH_MP_DONE) {
            first = s;
        }

        /*
         * passed on: everything the whole run did more than a delimiter
         * behind, and nothing not read yet
         */

        if (r.data < data_below(&w, off + n + 1 > dlen ? off + n + 1 - dlen
                                                       : 0)
            || r.data > data_below(&w, off + n))
        {
            abort();
        }
    }

    if (s != whole || ch_multipart_finish(mp) != whole_fin
        || r.len != w.len || memcmp(r.log, w.log, r.len) != 0)
    {
        abort();
    }

    free(mp);
    free(w.log);
    free(w.run_off);
    free(w.run_len);
    free(r.log);

    return 0;
}
