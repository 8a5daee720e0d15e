/* lib/ch_multipart.c: multipart/form-data, fed in pieces */

#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "ch_multipart.h"
#include "ch_json.h"


#define CHROME   "----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define FIREFOX  "----geckoformboundary4c5f8e0d4e6b3c2a1f9e8d7c6b5a"


/*
 * What the callbacks saw, as one string: "{name|fn=filename|ct=type}" for
 * part_begin, the data as it came, "{/}" for part_end; '{', '}', '|' and
 * '\\' inside names or data are escaped with a backslash, so two runs give
 * the same string exactly when they made the same calls with the same
 * concatenated data.
 */

typedef struct {
    char           *log;
    size_t          len;
    size_t          cap;
    size_t          data;           /* bytes of part data so far */
    int             events;
    int             stop_at;        /* stop in the callback of this event */
    ch_mp_status_e  finished;       /* what ch_multipart_finish said */
} rec_t;


static void
rec_put(rec_t *r, const char *s, size_t n, int escape)
{
    size_t  i;

    if (r->len + 2 * n + 1 > r->cap) {
        r->cap = (r->len + 2 * n + 1) * 2;
        r->log = realloc(r->log, r->cap);
        assert_non_null(r->log);
    }

    for (i = 0; i < n; i++) {
        if (escape && strchr("{}|\\", s[i]) && s[i] != '\0') {
            r->log[r->len++] = '\\';
        }

        r->log[r->len++] = s[i];
    }

    r->log[r->len] = '\0';
}


static int
rec_begin(void *data, const ch_mp_part_t *part)
{
    rec_t  *r = data;

    assert_int_equal(strlen(part->filename), part->filename_len);

    rec_put(r, "{", 1, 0);
    rec_put(r, part->name, strlen(part->name), 1);

    if (part->has_filename) {
        rec_put(r, "|fn=", 4, 0);
        rec_put(r, part->filename, part->filename_len, 1);

    } else {
        assert_int_equal(part->filename_len, 0);
    }

    if (part->content_type[0]) {
        rec_put(r, "|ct=", 4, 0);
        rec_put(r, part->content_type, strlen(part->content_type), 1);
    }

    rec_put(r, "}", 1, 0);

    return ++r->events == r->stop_at;
}


static int
rec_data(void *data, const unsigned char *p, size_t n)
{
    rec_t  *r = data;

    assert_true(n > 0);                 /* never an empty call */

    rec_put(r, (const char *) p, n, 1);
    r->data += n;

    return ++r->events == r->stop_at;
}


static int
rec_end(void *data)
{
    rec_t  *r = data;

    rec_put(r, "{/}", 3, 0);

    return ++r->events == r->stop_at;
}


static const ch_mp_callbacks_t  rec_cb = { rec_begin, rec_data, rec_end };


static void
rec_init(rec_t *r)
{
    memset(r, 0, sizeof(rec_t));
    r->stop_at = -1;
    rec_put(r, "", 0, 0);
}


/* a parser on the heap, its exact size, so ASan sees any overrun */

static ch_multipart_t *
mp_new(const char *boundary, rec_t *r)
{
    ch_multipart_t  *mp;

    mp = malloc(ch_multipart_size());
    assert_non_null(mp);

    ch_multipart_init(mp, boundary, &rec_cb, r);

    return mp;
}


static int
is_final(ch_mp_status_e s)
{
    return s != CH_MP_OK && s != CH_MP_DONE;
}


/*
 * Feeds body in pieces: cut[0 .. ncut - 1] are the offsets where a piece
 * ends.  Returns the last feed's status, checks that an error sticks, and
 * records finish's status.
 */

static ch_mp_status_e
run_cut(const char *boundary, const void *body, size_t len, const size_t *cut,
    size_t ncut, rec_t *r)
{
    ch_multipart_t  *mp;
    ch_mp_status_e   s, first;
    size_t           from, to, i;

    rec_init(r);
    mp = mp_new(boundary, r);

    s = CH_MP_OK;
    first = CH_MP_OK;
    from = 0;

    for (i = 0; i <= ncut; i++) {
        to = i < ncut ? cut[i] : len;
        s = ch_multipart_feed(mp, (const unsigned char *) body + from,
                              to - from);
        from = to;

        if (is_final(first)) {
            assert_int_equal(s, first);
        }

        if (is_final(s)) {
            first = s;
        }
    }

    r->finished = ch_multipart_finish(mp);

    if (is_final(s)) {
        assert_int_equal(r->finished, s);
    }

    /* finish is sticky too */
    assert_int_equal(ch_multipart_finish(mp), r->finished);
    assert_int_equal(ch_multipart_feed(mp, NULL, 0), r->finished);

    free(mp);

    return s;
}


static ch_mp_status_e
run(const char *boundary, const void *body, size_t len, rec_t *r)
{
    return run_cut(boundary, body, len, NULL, 0, r);
}


#define RUN(boundary, s, r)  run(boundary, s, sizeof(s) - 1, r)


/* pieces of size piece */

static ch_mp_status_e
run_pieces(const char *boundary, const void *body, size_t len, size_t piece,
    rec_t *r)
{
    size_t          *cut, n, i;
    ch_mp_status_e   s;

    cut = malloc((len / piece + 1) * sizeof(size_t));
    assert_non_null(cut);

    for (n = 0, i = piece; i < len; i += piece) {
        cut[n++] = i;
    }

    s = run_cut(boundary, body, len, cut, n, r);
    free(cut);

    return s;
}


/*
 * The body parsed whole, then byte by byte, in pieces of a few sizes, and
 * cut in two at every position: the same calls, data and statuses each
 * time.  Returns the whole run's status; *r is its record.
 */

static ch_mp_status_e
same_everywhere(const char *boundary, const void *body, size_t len, rec_t *r)
{
    static const size_t  pieces[] = { 1, 2, 3, 5, 7, 16, 41 };
    ch_mp_status_e       s, t;
    rec_t                o;
    size_t               i;

    s = run(boundary, body, len, r);

    for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        t = run_pieces(boundary, body, len, pieces[i], &o);
        assert_int_equal(t, s);
        assert_int_equal(o.finished, r->finished);
        assert_string_equal(o.log, r->log);
        free(o.log);
    }

    for (i = 0; i <= len; i++) {
        t = run_cut(boundary, body, len, &i, 1, &o);
        assert_int_equal(t, s);
        assert_int_equal(o.finished, r->finished);
        assert_string_equal(o.log, r->log);
        free(o.log);
    }

    return s;
}


/* a growing body */

typedef struct {
    char    b[16384];
    size_t  len;
} body_t;


static void
put(body_t *b, const char *s)
{
    size_t  n = strlen(s);

    assert_true(b->len + n < sizeof(b->b));
    memcpy(b->b + b->len, s, n);
    b->len += n;
    b->b[b->len] = '\0';
}


static void
putn(body_t *b, const void *s, size_t n)
{
    assert_true(b->len + n < sizeof(b->b));
    memcpy(b->b + b->len, s, n);
    b->len += n;
    b->b[b->len] = '\0';
}


static void
put_rep(body_t *b, char c, size_t n)
{
    assert_true(b->len + n < sizeof(b->b));
    memset(b->b + b->len, c, n);
    b->len += n;
    b->b[b->len] = '\0';
}


/* one part "f" with this header section (without its empty line) and data */

static ch_mp_status_e
one_part(const char *headers, const char *data, rec_t *r)
{
    body_t  b;

    b.len = 0;
    put(&b, "--b\r\n");
    put(&b, headers);
    put(&b, "\r\n\r\n");
    put(&b, data);
    put(&b, "\r\n--b--\r\n");

    return run("b", b.b, b.len, r);
}


static ch_mp_status_e
header_status(const char *headers)
{
    rec_t           r;
    ch_mp_status_e  s;

    s = one_part(headers, "x", &r);
    free(r.log);

    return s;
}


static void
a_chrome_upload(void **state)
{
    static const char  ct[] =
        "multipart/form-data; boundary=" CHROME;
    static const char  body[] =
        "--" CHROME "\r\n"
        "Content-Disposition: form-data; name=\"file\"; "
            "filename=\"身份证 正面.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n"
        "\r\n"
        "\xff\xd8\xff\xe0\r\n\r\n--\r\n-" CHROME "\xff\xd9"
        "\r\n--" "----WebKitFormBoundary7MA4YWxkTrZu0gX"   /* one byte off */
        "\r\n--" CHROME "--\r\n";
    char               boundary[CH_MP_BOUNDARY_MAX + 1];
    rec_t              r;

    (void) state;

    assert_int_equal(ch_multipart_boundary(ct, strlen(ct), boundary),
                     strlen(CHROME));
    assert_string_equal(boundary, CHROME);

    assert_int_equal(same_everywhere(boundary, body, sizeof(body) - 1, &r),
                     CH_MP_DONE);
    assert_int_equal(r.finished, CH_MP_DONE);
    assert_string_equal(r.log,
        "{file|fn=身份证 正面.jpg|ct=image/jpeg}"
        "\xff\xd8\xff\xe0\r\n\r\n--\r\n-" CHROME "\xff\xd9"
        "\r\n--" "----WebKitFormBoundary7MA4YWxkTrZu0gX"
        "{/}");
    free(r.log);
}


static void
a_firefox_upload(void **state)
{
    static const char  ct[] =
        "multipart/form-data; boundary=" FIREFOX;
    static const char  ct_old[] =
        "multipart/form-data; "
        "boundary=---------------------------9051914041544843365972754266";
    static const char  body[] =
        "--" FIREFOX "\r\n"
        "Content-Disposition: form-data; name=\"remark\"\r\n"
        "\r\n"
        "第一行\r\n第二行\r\n"
        "--" FIREFOX "\r\n"
        "Content-Disposition: form-data; name=\"file\"; "
            "filename=\"scan.png\"\r\n"
        "Content-Type: image/png\r\n"
        "\r\n"
        "\x89PNG\r\n\x1a\n"
        "\r\n--" FIREFOX "--\r\n";
    char               boundary[CH_MP_BOUNDARY_MAX + 1];
    rec_t              r;

    (void) state;

    assert_int_equal(ch_multipart_boundary(ct_old, strlen(ct_old), boundary),
                     55);
    assert_string_equal(boundary,
                        "---------------------------9051914041544843365972754266");

    assert_int_equal(ch_multipart_boundary(ct, strlen(ct), boundary),
                     strlen(FIREFOX));

    assert_int_equal(same_everywhere(boundary, body, sizeof(body) - 1, &r),
                     CH_MP_DONE);
    assert_string_equal(r.log,
        "{remark}第一行\r\n第二行{/}"
        "{file|fn=scan.png|ct=image/png}\x89PNG\r\n\x1a\n{/}");
    free(r.log);
}


static void
lookalikes_of_the_delimiter_are_data(void **state)
{
    static const char  body[] =
        "preamble --b\r\n"
        "\r\n--b\r\n"
        "Content-Disposition: form-data; name=f\r\n"
        "\r\n"
        "--b\r\n"                       /* not after CRLF */
        "x--b--\r\n"                    /* not after CRLF */
        "\n--b\r\n"                     /* LF alone */
        "\r--b\r\n"                     /* CR alone */
        "\r\n-b\r\n"                    /* one dash */
        "\r\n--a\r\n"                   /* another boundary */
        "\r\r\n--c\r\n"
        "\r\n-\r\n--\r\n--"
        "\r\n\r\n"                      /* CRLF at the end of the data */
        "\r\n--b--";
    rec_t              r;

    (void) state;

    assert_int_equal(same_everywhere("b", body, sizeof(body) - 1, &r),
                     CH_MP_DONE);
    assert_string_equal(r.log,
        "{f}"
        "--b\r\nx--b--\r\n\n--b\r\n\r--b\r\n\r\n-b\r\n\r\n--a\r\n"
        "\r\r\n--c\r\n\r\n-\r\n--\r\n--\r\n\r\n"
        "{/}");
    free(r.log);

    /* the boundary with one byte more after CRLF is not data: it is junk */

    assert_int_equal(one_part("Content-Disposition: form-data; name=f",
                              "a\r\n--bb", &r), CH_MP_E_DELIMITER);
    assert_string_equal(r.log, "{f}a");
    free(r.log);

    /* a longer boundary whose first bytes are the real one */

    assert_int_equal(RUN("bo", "--bo\r\nContent-Disposition: form-data; "
                               "name=f\r\n\r\nxy\r\n--b\r\n--bo--", &r),
                     CH_MP_DONE);
    assert_string_equal(r.log, "{f}xy\r\n--b{/}");
    free(r.log);
}


/* the parser holds back at most a delimiter's length less one */

static void
data_is_passed_on_at_once(void **state)
{
    static const char  head[] =
        "--" CHROME "\r\nContent-Disposition: form-data; name=file\r\n\r\n";
    ch_multipart_t    *mp;
    rec_t              r;

    (void) state;

    rec_init(&r);
    mp = mp_new(CHROME, &r);

    assert_int_equal(ch_multipart_feed(mp, (const unsigned char *) head,
                                       sizeof(head) - 1), CH_MP_OK);
    assert_string_equal(r.log, "{file}");

    assert_int_equal(ch_multipart_feed(mp, (const unsigned char *) "abc", 3),
                     CH_MP_OK);
    assert_string_equal(r.log, "{file}abc");

    /* all but the last byte of the delimiter: held back */

    assert_int_equal(ch_multipart_feed(mp, (const unsigned char *)
                         "d\r\n--" CHROME, 5 + strlen(CHROME) - 1), CH_MP_OK);
    assert_string_equal(r.log, "{file}abcd");

    /* not it after all: the held bytes are data */

    assert_int_equal(ch_multipart_feed(mp, (const unsigned char *) "\r", 1),
                     CH_MP_OK);
    assert_string_equal(r.log,
        "{file}abcd\r\n--" "----WebKitFormBoundary7MA4YWxkTrZu0g");
    assert_int_equal(r.data, 4 + 4 + strlen(CHROME) - 1);

    /* the new CR may begin it; "\n--" more and still nothing passed on */

    assert_int_equal(ch_multipart_feed(mp, (const unsigned char *) "\n--", 3),
                     CH_MP_OK);
    assert_int_equal(r.data, 4 + 4 + strlen(CHROME) - 1);

    /* an empty feed changes nothing */

    assert_int_equal(ch_multipart_feed(mp, NULL, 0), CH_MP_OK);

    assert_int_equal(ch_multipart_feed(mp, (const unsigned char *)
                         CHROME "--", strlen(CHROME) + 2), CH_MP_DONE);
    assert_string_equal(r.log,
        "{file}abcd\r\n--" "----WebKitFormBoundary7MA4YWxkTrZu0g" "{/}");

    assert_int_equal(ch_multipart_feed(mp, NULL, 0), CH_MP_DONE);
    assert_int_equal(ch_multipart_finish(mp), CH_MP_DONE);

    free(mp);
    free(r.log);
}


static void
the_preamble_and_the_first_delimiter(void **state)
{
    body_t  b;
    rec_t   r;

    (void) state;

    /* a CRLF before the first delimiter: an empty preamble */

    assert_int_equal(RUN("b", "\r\n--b\r\nContent-Disposition: form-data; "
                              "name=a\r\n\r\n1\r\n--b--", &r), CH_MP_DONE);
    assert_string_equal(r.log, "{a}1{/}");
    free(r.log);

    /*
     * No CRLF before the first delimiter, and something before it: no
     * delimiter, so the part is preamble, and then the close delimiter
     */

    assert_int_equal(RUN("b", "x--b\r\nContent-Disposition: form-data; "
                              "name=a\r\n\r\n1\r\n--b--", &r), CH_MP_DONE);
    assert_string_equal(r.log, "");
    free(r.log);

    /* a preamble of the bound, and one byte over */

    b.len = 0;
    put_rep(&b, 'p', CH_MP_PREAMBLE_MAX - 2);
    put(&b, "\r\n\r\n--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
            "1\r\n--b--");
    assert_int_equal(same_everywhere("b", b.b, b.len, &r), CH_MP_DONE);
    assert_string_equal(r.log, "{a}1{/}");
    free(r.log);

    b.len = 0;
    put_rep(&b, 'p', CH_MP_PREAMBLE_MAX + 1);
    put(&b, "\r\n--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
            "1\r\n--b--");
    assert_int_equal(same_everywhere("b", b.b, b.len, &r), CH_MP_E_PREAMBLE);
    assert_string_equal(r.log, "");
    free(r.log);

    /*
     * No delimiter at all: refused once the bound is passed.  A last CR
     * may still begin the CRLF before the delimiter, after a preamble of
     * exactly the bound
     */

    b.len = 0;
    put_rep(&b, '\r', CH_MP_PREAMBLE_MAX + 1);
    assert_int_equal(same_everywhere("b", b.b, b.len, &r), CH_MP_OK);
    assert_int_equal(r.finished, CH_MP_E_TRUNCATED);
    free(r.log);

    put(&b, "\r");
    assert_int_equal(same_everywhere("b", b.b, b.len, &r), CH_MP_E_PREAMBLE);
    free(r.log);

    /* the close delimiter first: done, with no part */

    assert_int_equal(same_everywhere("b", "--b--\r\n", 7, &r), CH_MP_DONE);
    assert_string_equal(r.log, "");
    free(r.log);

    /* nothing at all */

    assert_int_equal(RUN("b", "", &r), CH_MP_OK);
    assert_int_equal(r.finished, CH_MP_E_TRUNCATED);
    free(r.log);
}


static void
delimiter_lines(void **state)
{
    static const struct {
        const char      *body;
        ch_mp_status_e   fed;
        ch_mp_status_e   finished;
        const char      *log;
    } cases[] = {
        { "--b \t \r\nContent-Disposition: form-data; name=a\r\n\r\n"
          "1\r\n--b\t\r\nContent-Disposition: form-data; name=b\r\n\r\n"
          "2\r\n--b--  \r\n", CH_MP_DONE, CH_MP_DONE, "{a}1{/}{b}2{/}" },
        { "--b--", CH_MP_DONE, CH_MP_DONE, "" },
        { "--b--junk after the close delimiter is epilogue",
          CH_MP_DONE, CH_MP_DONE, "" },
        { "--bx\r\n", CH_MP_E_DELIMITER, CH_MP_E_DELIMITER, "" },
        { "--b x\r\n", CH_MP_E_DELIMITER, CH_MP_E_DELIMITER, "" },
        { "--b\r\r\n", CH_MP_E_DELIMITER, CH_MP_E_DELIMITER, "" },
        { "--b\n", CH_MP_E_DELIMITER, CH_MP_E_DELIMITER, "" },
        { "--b-x", CH_MP_E_DELIMITER, CH_MP_E_DELIMITER, "" },
        { "--b -- \r\n", CH_MP_E_DELIMITER, CH_MP_E_DELIMITER, "" },

        /* the part ends only once its delimiter line is known good */
        { "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
          "1\r\n--b \r", CH_MP_OK, CH_MP_E_TRUNCATED, "{a}1" },
        { "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
          "1\r\n--b \r\n", CH_MP_OK, CH_MP_E_TRUNCATED, "{a}1{/}" },
        { "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
          "1\r\n--b-", CH_MP_OK, CH_MP_E_TRUNCATED, "{a}1" },
        { "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
          "1\r\n--b!", CH_MP_E_DELIMITER, CH_MP_E_DELIMITER, "{a}1" },
    };
    rec_t    r;
    size_t   i;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(same_everywhere("b", cases[i].body,
                                         strlen(cases[i].body), &r),
                         cases[i].fed);
        assert_int_equal(r.finished, cases[i].finished);
        assert_string_equal(r.log, cases[i].log);
        free(r.log);
    }
}


static void
the_epilogue_is_bounded_and_ignored(void **state)
{
    body_t  b;
    rec_t   r;

    (void) state;

    b.len = 0;
    put(&b, "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--");
    put_rep(&b, 'e', CH_MP_EPILOGUE_MAX - 5);
    put(&b, "\r\n--b");                 /* a delimiter in it means nothing */
    assert_int_equal(same_everywhere("b", b.b, b.len, &r), CH_MP_DONE);
    assert_string_equal(r.log, "{a}1{/}");
    free(r.log);

    put(&b, "\r");
    assert_int_equal(same_everywhere("b", b.b, b.len, &r), CH_MP_E_EPILOGUE);
    assert_string_equal(r.log, "{a}1{/}");
    assert_int_equal(r.finished, CH_MP_E_EPILOGUE);
    free(r.log);
}


static void
bad_header_lines(void **state)
{
    static const char  *bad[] = {
        "Content-Disposition: form-data; name=a\r\nno colon here",
        "Content-Disposition: form-data; name=a\r\n folded: line",
        "Content-Disposition: form-data; name=a\r\n\tfolded: line",
        "Content-Disposition: form-data; name=a\r\nX-Bad : space before",
        "Content-Disposition: form-data; name=a\r\n: no name",
        "Content-Disposition: form-data; name=a\r\nX-A: bare\rCR",
        "Content-Disposition: form-data; name=a\nX-A: bare LF",
        "Content-Disposition: form-data; name=a\r\nX-A: b\r\n\n",
        "Content-Disposition: form-data; name=a\r\n"
            "Content-Type: text/plain\r\ncontent-type: image/png",
    };
    body_t              b;
    size_t              i;
    rec_t               r;

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(header_status(bad[i]), CH_MP_E_BAD_HEADER);
    }

    /* a NUL, which strlen() above cannot carry */

    b.len = 0;
    put(&b, "--b\r\nContent-Disposition: form-data; name=a\r\nX-A: ");
    putn(&b, "\0\r\n\r\nx\r\n--b--", 13);
    assert_int_equal(same_everywhere("b", b.b, b.len, &r), CH_MP_E_BAD_HEADER);
    assert_string_equal(r.log, "");
    free(r.log);

    /* names are case-insensitive; others are skipped; OWS is trimmed */

    assert_int_equal(one_part("x-other: whatever\r\n"
                              "CONTENT-DISPOSITION:FORM-DATA;NAME=\"a\"\r\n"
                              "content-TYPE: \t text/plain; charset=utf-8 \t",
                              "1", &r), CH_MP_DONE);
    assert_string_equal(r.log, "{a|ct=text/plain; charset=utf-8}1{/}");
    free(r.log);
}


static void
disposition_is_required_and_checked(void **state)
{
    static const char  *bad[] = {
        "",
        "Content-Type: text/plain",
        "Content-Disposition: attachment; name=a",
        "Content-Disposition: form-data",
        "Content-Disposition: form-data; filename=a.jpg",
        "Content-Disposition: form-data; name=\"\"",
        "Content-Disposition: form-data; name=",
        "Content-Disposition: form-data; name",
        "Content-Disposition: form-data name=a",
        "Content-Disposition: form-data; name=a b",
        "Content-Disposition: form-data; name=\"a",
        "Content-Disposition: form-data; name=a; name=b",
        "Content-Disposition: form-data; name=a; filename=x; filename=y",
        "Content-Disposition: form-data; name=a; filename*=UTF-8''x; "
            "filename*=UTF-8''y",
        "Content-Disposition: form-data; name=a\r\n"
            "Content-Disposition: form-data; name=b",
        "Content-Disposition: form-data; name=a; filename*=UTF-8''%4",
        "Content-Disposition: form-data; name=a; filename*=UTF-8''%zz",
        "Content-Disposition: form-data; name=a; filename*=UTF-8''a%00b",
        "Content-Disposition: form-data; name=a; filename*=UTF-8'a.jpg",
        "Content-Disposition: form-data; name=a; filename*=a.jpg",
        "Content-Disposition: form-data; name=\"a\"x",
        "Content-Disposition: form-data; name=a; filename=\"a\\\"b.jpg\"",
    };
    size_t              i;
    rec_t               r;

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(header_status(bad[i]), CH_MP_E_DISPOSITION);
    }

    /* spaces around "=" and a trailing ";" are tolerated */

    assert_int_equal(one_part("Content-Disposition: form-data ; name = \"a\" ;",
                              "1", &r), CH_MP_DONE);
    assert_string_equal(r.log, "{a}1{/}");
    free(r.log);
}


static void
file_names(void **state)
{
    static const struct {
        const char  *disposition;
        const char  *want;
    } cases[] = {
        /* browsers: raw UTF-8, '"' as %22, backslash as itself */
        { "form-data; name=\"file\"; filename=\"合同 %22终版%22.pdf\"",
          "{file|fn=合同 %22终版%22.pdf}" },
        { "form-data; name=\"file\"; filename=\"C:\\dir\\a.jpg\"",
          "{file|fn=C:\\\\dir\\\\a.jpg}" },
        { "form-data; name=\"file\"; filename=\"\"", "{file|fn=}" },
        { "form-data; name=file; filename=a.jpg", "{file|fn=a.jpg}" },
        { "form-data; name=file; filename=身份证.jpg", "{file|fn=身份证.jpg}" },
        { "form-data; name=\"a;b\"; x-other=\"1\"; filename=\"x;y\"",
          "{a;b|fn=x;y}" },
        /* filename*= wins, before or after filename= */
        { "form-data; name=file; filename=\"a.jpg\"; "
          "filename*=UTF-8''%E8%BA%AB%E4%BB%BD%E8%AF%81.jpg",
          "{file|fn=身份证.jpg}" },
        { "form-data; name=file; filename*=utf-8'zh-CN'%e5%90%88%22.pdf; "
          "filename=\"a.pdf\"",
          "{file|fn=合\".pdf}" },
        { "form-data; name=file; filename*=\"UTF-8''a%20b.png\"",
          "{file|fn=a b.png}" },
        /* another charset: left to filename= */
        { "form-data; name=file; filename=\"a.jpg\"; "
          "filename*=ISO-8859-1''%E9.jpg",
          "{file|fn=a.jpg}" },
        { "form-data; name=file; filename*=ISO-8859-1''%E9.jpg", "{file}" },
    };
    char                hdr[512];
    size_t              i;
    rec_t               r;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(hdr, sizeof(hdr), "Content-Disposition: %s",
                 cases[i].disposition);
        assert_int_equal(one_part(hdr, "", &r), CH_MP_DONE);
        assert_int_equal(strncmp(r.log, cases[i].want, strlen(cases[i].want)),
                         0);
        assert_string_equal(r.log + strlen(cases[i].want), "{/}");
        free(r.log);
    }
}


static void
bounds_at_the_limit_and_one_over(void **state)
{
    char            name[CH_MP_FILENAME_MAX + 2];
    char            hdr[CH_MP_HEADER_MAX + 64];
    body_t          b;
    rec_t           r;
    size_t          i, fill;
    ch_mp_status_e  s;

    (void) state;

    /* the name */

    memset(name, 'n', CH_MP_NAME_MAX);
    name[CH_MP_NAME_MAX] = '\0';
    snprintf(hdr, sizeof(hdr), "Content-Disposition: form-data; name=\"%s\"",
             name);
    assert_int_equal(one_part(hdr, "", &r), CH_MP_DONE);
    assert_int_equal(strlen(r.log), CH_MP_NAME_MAX + 5);
    free(r.log);

    snprintf(hdr, sizeof(hdr), "Content-Disposition: form-data; name=%sn",
             name);
    assert_int_equal(header_status(hdr), CH_MP_E_NAME_TOO_LONG);

    /* the file name, plain and decoded from filename*= */

    memset(name, 'f', CH_MP_FILENAME_MAX);
    name[CH_MP_FILENAME_MAX] = '\0';

    snprintf(hdr, sizeof(hdr),
             "Content-Disposition: form-data; name=a; filename=\"%s\"", name);
    assert_int_equal(header_status(hdr), CH_MP_DONE);
    snprintf(hdr, sizeof(hdr),
             "Content-Disposition: form-data; name=a; filename=\"%sf\"", name);
    assert_int_equal(header_status(hdr), CH_MP_E_NAME_TOO_LONG);

    /* "%66" + 1023 "f": 1024 bytes decoded */
    snprintf(hdr, sizeof(hdr), "Content-Disposition: form-data; name=a; "
             "filename*=UTF-8''%%66%s", name + 1);
    assert_int_equal(one_part(hdr, "", &r), CH_MP_DONE);
    assert_int_equal(strlen(r.log), 6 + CH_MP_FILENAME_MAX + 1 + 3);
    free(r.log);
    snprintf(hdr, sizeof(hdr), "Content-Disposition: form-data; name=a; "
             "filename*=UTF-8''%%66%s", name);
    assert_int_equal(header_status(hdr), CH_MP_E_NAME_TOO_LONG);

    /*
     * The header section: from after the delimiter line to the end of the
     * empty line, exactly the bound, then one byte more
     */

    for (i = 0; i < 2; i++) {
        b.len = 0;
        put(&b, "--b\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ");
        fill = CH_MP_HEADER_MAX - (b.len - 5) - 4 + i;
        put_rep(&b, 'x', fill);
        put(&b, "\r\n\r\n");
        assert_int_equal(b.len - 5, CH_MP_HEADER_MAX + i);
        put(&b, "data\r\n--b--");

        s = same_everywhere("b", b.b, b.len, &r);
        assert_int_equal(s, i ? CH_MP_E_HEADER_TOO_LONG : CH_MP_DONE);
        assert_string_equal(r.log, i ? "" : "{a}data{/}");
        free(r.log);
    }

    /* a header line with no end, at the bound */

    b.len = 0;
    put(&b, "--b\r\n");
    put_rep(&b, 'x', CH_MP_HEADER_MAX);
    assert_int_equal(run("b", b.b, b.len, &r), CH_MP_OK);
    assert_int_equal(r.finished, CH_MP_E_TRUNCATED);
    free(r.log);
    put(&b, "x");
    assert_int_equal(run("b", b.b, b.len, &r), CH_MP_E_HEADER_TOO_LONG);
    free(r.log);

    /* the number of header lines */

    for (i = 0; i < 2; i++) {
        b.len = 0;
        put(&b, "--b\r\nContent-Disposition: form-data; name=a\r\n");

        for (fill = 1; fill < CH_MP_HEADERS_MAX + i; fill++) {
            put(&b, "X-A: 1\r\n");
        }

        put(&b, "\r\n1\r\n--b--");
        assert_int_equal(same_everywhere("b", b.b, b.len, &r),
                         i ? CH_MP_E_TOO_MANY_HEADERS : CH_MP_DONE);
        free(r.log);
    }

    /* the number of parts; the last whole one still ends */

    for (i = 0; i < 2; i++) {
        b.len = 0;

        for (fill = 0; fill < CH_MP_PARTS_MAX + i; fill++) {
            put(&b, "--b\r\nContent-Disposition: form-data; name=p\r\n\r\n"
                    "x\r\n");
        }

        put(&b, "--b--\r\n");
        assert_int_equal(same_everywhere("b", b.b, b.len, &r),
                         i ? CH_MP_E_TOO_MANY_PARTS : CH_MP_DONE);
        /* CH_MP_PARTS_MAX whole parts either way: "{p}x{/}" each */
        assert_int_equal(strlen(r.log), CH_MP_PARTS_MAX * 7);

        for (fill = 0; fill < CH_MP_PARTS_MAX; fill++) {
            assert_memory_equal(r.log + fill * 7, "{p}x{/}", 7);
        }

        free(r.log);
    }

    /* the Content-Type is kept, cut to fit */

    b.len = 0;
    put(&b, "Content-Disposition: form-data; name=a\r\nContent-Type: ");
    put_rep(&b, 't', 300);
    assert_int_equal(one_part(b.b, "", &r), CH_MP_DONE);
    assert_int_equal(strlen(r.log), 6 + 127 + 1 + 3);
    free(r.log);
}


static void
truncated_anywhere(void **state)
{
    static const char  body[] =
        "--" CHROME "\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
        "Content-Type: application/pdf\r\n"
        "\r\n"
        "%PDF-1.4\r\n%%EOF\r\n"
        "\r\n--" CHROME "--";
    rec_t              r;
    size_t             n;

    (void) state;

    assert_int_equal(run(CHROME, body, sizeof(body) - 1, &r), CH_MP_DONE);
    free(r.log);

    for (n = 0; n < sizeof(body) - 1; n++) {
        assert_int_equal(run(CHROME, body, n, &r), CH_MP_OK);
        assert_int_equal(r.finished, CH_MP_E_TRUNCATED);

        /* no part_end for the part cut short */
        assert_null(strstr(r.log, "{/}"));
        free(r.log);
    }
}


static void
a_callback_stops_it(void **state)
{
    static const char  body[] =
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b\r\n"
        "Content-Disposition: form-data; name=file\r\n\r\n2\r\n--b--";
    static const struct {
        int          at;
        const char  *log;
    } cases[] = {
        { 1, "{a}" }, { 2, "{a}1" }, { 3, "{a}1{/}" }, { 4, "{a}1{/}{file}" },
        { 6, "{a}1{/}{file}2{/}" },
    };
    ch_multipart_t    *mp;
    rec_t              r;
    size_t             i;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rec_init(&r);
        r.stop_at = cases[i].at;
        mp = mp_new("b", &r);

        assert_int_equal(ch_multipart_feed(mp, (const unsigned char *) body,
                                           sizeof(body) - 1), CH_MP_STOPPED);
        assert_string_equal(r.log, cases[i].log);
        assert_int_equal(ch_multipart_feed(mp, (const unsigned char *) "x", 1),
                         CH_MP_STOPPED);
        assert_int_equal(ch_multipart_finish(mp), CH_MP_STOPPED);
        assert_string_equal(r.log, cases[i].log);

        free(mp);
        free(r.log);
    }
}


static void
no_boundary(void **state)
{
    static const ch_mp_callbacks_t  none = { NULL, NULL, NULL };
    ch_multipart_t                 *mp;
    rec_t                           r;
    body_t                          body;
    char                            b[CH_MP_BOUNDARY_MAX + 2];

    (void) state;

    memset(b, 'b', CH_MP_BOUNDARY_MAX + 1);
    b[CH_MP_BOUNDARY_MAX + 1] = '\0';

    /* the parser refuses a boundary ch_multipart_boundary() would not give */

    rec_init(&r);
    mp = mp_new(b, &r);
    assert_int_equal(ch_multipart_feed(mp, (const unsigned char *) "--", 2),
                     CH_MP_E_NO_BOUNDARY);
    assert_int_equal(ch_multipart_finish(mp), CH_MP_E_NO_BOUNDARY);
    ch_multipart_init(mp, "", &rec_cb, &r);
    assert_int_equal(ch_multipart_finish(mp), CH_MP_E_NO_BOUNDARY);
    ch_multipart_init(mp, NULL, &rec_cb, &r);
    assert_int_equal(ch_multipart_feed(mp, NULL, 0), CH_MP_E_NO_BOUNDARY);
    assert_string_equal(r.log, "");
    free(r.log);

    /* the longest boundary works; no callbacks at all is fine too */

    b[CH_MP_BOUNDARY_MAX] = '\0';

    body.len = 0;
    put(&body, "--");
    put(&body, b);
    put(&body, "\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--");
    put(&body, b);
    put(&body, "--");

    ch_multipart_init(mp, b, &none, NULL);
    assert_int_equal(ch_multipart_feed(mp, (unsigned char *) body.b, body.len),
                     CH_MP_DONE);
    free(mp);

    assert_int_equal(same_everywhere(b, body.b, body.len, &r), CH_MP_DONE);
    assert_string_equal(r.log, "{a}1{/}");
    free(r.log);
}


static void
boundaries_from_content_types(void **state)
{
    static const struct {
        const char  *ct;
        int          want;
        const char  *boundary;
    } cases[] = {
        { "multipart/form-data; boundary=abc", 3, "abc" },
        { "Multipart/Form-Data;BOUNDARY=\"a b:c\"", 5, "a b:c" },
        { "  multipart/form-data ; charset=utf-8; boundary=x ; y=\"q\\\"\"",
          1, "x" },
        { "multipart/form-data; boundary=\"'()+_,-./:=?\"", 12,
          "'()+_,-./:=?" },
        { "multipart/form-data; boundary=0123456789012345678901234567890123"
          "456789012345678901234567890123456789", 70,
          "0123456789012345678901234567890123456789012345678901234567890123"
          "456789" },
        { "multipart/form-data; boundary=a;", 1, "a" },

        { "application/x-www-form-urlencoded", 0, NULL },
        { "multipart/mixed; boundary=abc", 0, NULL },
        { "multipart/form-dataa; boundary=abc", 0, NULL },
        { "", 0, NULL },

        { "multipart/form-data", -1, NULL },
        { "multipart/form-data; charset=utf-8", -1, NULL },
        { "multipart/form-data; boundary=", -1, NULL },
        { "multipart/form-data; boundary=\"\"", -1, NULL },
        { "multipart/form-data; boundary=\"abc ", -1, NULL },
        { "multipart/form-data; boundary=\"abc \"", -1, NULL },
        { "multipart/form-data; boundary=a\"b", -1, NULL },
        { "multipart/form-data; boundary=\"a\\b\"", -1, NULL },
        { "multipart/form-data; boundary=a b", -1, NULL },
        { "multipart/form-data; boundary=a\x80", -1, NULL },
        { "multipart/form-data; boundary=a; boundary=a", -1, NULL },
        { "multipart/form-data; boundary", -1, NULL },
        { "multipart/form-data boundary=a", -1, NULL },
        { "multipart/form-data; boundary=0123456789012345678901234567890123"
          "4567890123456789012345678901234567890", -1, NULL },
    };
    char    out[CH_MP_BOUNDARY_MAX + 1];
    size_t  i;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(ch_multipart_boundary(cases[i].ct,
                                               strlen(cases[i].ct), out),
                         cases[i].want);

        if (cases[i].boundary) {
            assert_string_equal(out, cases[i].boundary);
        }
    }

    /* the length is what counts, not a NUL */

    assert_int_equal(ch_multipart_boundary("multipart/form-data; boundary=ab",
                                           31, out), 1);
    assert_string_equal(out, "a");
}


static void
every_status_has_its_message(void **state)
{
    const char  *m[CH_MP_E_TRUNCATED + 1];
    int          i, j;

    (void) state;

    for (i = 0; i <= CH_MP_E_TRUNCATED; i++) {
        m[i] = ch_multipart_message((ch_mp_status_e) i);
        assert_non_null(m[i]);
        assert_true(strlen(m[i]) > 0);

        if (i >= CH_MP_E_NO_BOUNDARY) {
            assert_non_null(strstr(m[i], "上传"));
        }

        for (j = 0; j < i; j++) {
            assert_string_not_equal(m[i], m[j]);
        }
    }
}


/* sanitizes s and checks the result */

static void
expect_name(const char *s, size_t len, const char *want)
{
    char    out[CH_FILENAME_SAFE_MAX + 1];
    size_t  n;

    n = ch_filename_sanitize(s, len, out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}


#define NAME(s, want)  expect_name(s, sizeof(s) - 1, want)


static size_t
utf8_chars(const char *s)
{
    size_t  n, i, seq;

    for (n = 0, i = 0; s[i]; i += seq, n++) {
        seq = ch_utf8_sequence((const unsigned char *) s + i, strlen(s + i));
        assert_true(seq > 0);
    }

    return n;
}


static void
file_names_are_made_safe(void **state)
{
    char    in[1200], out[CH_FILENAME_SAFE_MAX + 1], want[CH_FILENAME_SAFE_MAX + 1];
    size_t  n, i;

    (void) state;

    NAME("身份证 正面.jpg", "身份证 正面.jpg");
    NAME("scan.pdf", "scan.pdf");

    /* path components */
    NAME("C:\\Users\\张三\\Desktop\\营业执照.png", "营业执照.png");
    NAME("../../etc/passwd", "passwd");
    NAME("a/b\\c", "c");
    NAME("dir/", "file");

    /* dots and spaces at the ends, and what is left of nothing */
    NAME("..", "file");
    NAME(".", "file");
    NAME("", "file");
    NAME(" . .bashrc", "bashrc");
    NAME("a.jpg. . ", "a.jpg");
    NAME("...a..b...", "a..b");

    /* control characters, forbidden characters */
    NAME("a\r\nb\tc\x7f.jpg", "a__b_c_.jpg");
    NAME("a\0b", "a_b");
    NAME("\xc2\x85x\xe2\x80\xa8y", "_x_y");                 /* NEL, U+2028 */
    NAME("a\"b*c?d<e>f|g:h.jpg", "a_b_c_d_e_f_g_h.jpg");

    /* bidirectional controls are dropped: "gpj.exe" shown reversed */
    NAME("invoice\xe2\x80\xaegpj.exe", "invoicegpj.exe");
    NAME("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x81\xa6"
         "\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9x", "x");
    NAME("\xe2\x80\xae", "file");
    NAME("\xe2\x80\x8fok", "\xe2\x80\x8fok");                /* RLM stays */

    /* bad UTF-8: one "_" per bad sequence */
    NAME("a\xff.jpg", "a_.jpg");
    NAME("\xe8\xba.jpg", "_.jpg");                          /* truncated */
    NAME("\xc0\xaf.jpg", "_.jpg");                          /* overlong "/" */
    NAME("\xed\xa0\x80x", "_x");                            /* surrogate */
    NAME("\x80\x80\x80\xe8\xba\xab", "_身");
    NAME("\xf4\x90\x80\x80", "_");                          /* > U+10FFFF */

    /* 101 characters: cut to 100, the extension kept */

    for (i = 0, n = 0; i < 97; i++) {
        n += (size_t) snprintf(in + n, sizeof(in) - n, "%s", i % 2 ? "证" : "a");
    }

    memcpy(in + n, ".jpg", 4);
    n += 4;                                                 /* 101 chars */

    /* 49 "a" and 48 "证", then ".jpg": 197 bytes */
    assert_int_equal(n, 197);
    ch_filename_sanitize(in, n, out);
    assert_int_equal(utf8_chars(out), 100);
    assert_int_equal(strlen(out), 192 + 4);                 /* one "a" less */
    assert_int_equal(memcmp(out, in, 192), 0);
    assert_string_equal(out + 192, ".jpg");

    /* exactly 100: kept whole */
    n = ch_filename_sanitize(in + 1, 196, out);
    assert_int_equal(n, 196);
    assert_int_equal(utf8_chars(out), 100);
    assert_int_equal(memcmp(out, in + 1, 196), 0);

    /* no extension, or one too long to be one: cut at 100 */
    memset(in, 'x', 150);
    ch_filename_sanitize(in, 150, out);
    assert_int_equal(strlen(out), 100);

    memset(in, 'x', 150);
    in[80] = '.';
    ch_filename_sanitize(in, 150, out);
    memset(want, 'x', 100);
    want[80] = '.';
    want[100] = '\0';
    assert_string_equal(out, want);

    /* the longest output: 100 four-byte characters */
    for (i = 0; i < 300; i++) {
        memcpy(in + 4 * i, "\xf0\x9f\x98\x80", 4);
    }

    n = ch_filename_sanitize(in, 1200, out);
    assert_int_equal(n, CH_FILENAME_SAFE_MAX);
    assert_int_equal(utf8_chars(out), 100);

    /* a cut that ends in a space or a dot does not leave it there */
    memset(in, 'y', 150);
    in[99] = ' ';
    in[98] = '.';
    ch_filename_sanitize(in, 150, out);
    assert_int_equal(strlen(out), 98);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_chrome_upload),
        cmocka_unit_test(a_firefox_upload),
        cmocka_unit_test(lookalikes_of_the_delimiter_are_data),
        cmocka_unit_test(data_is_passed_on_at_once),
        cmocka_unit_test(the_preamble_and_the_first_delimiter),
        cmocka_unit_test(delimiter_lines),
        cmocka_unit_test(the_epilogue_is_bounded_and_ignored),
        cmocka_unit_test(bad_header_lines),
        cmocka_unit_test(disposition_is_required_and_checked),
        cmocka_unit_test(file_names),
        cmocka_unit_test(bounds_at_the_limit_and_one_over),
        cmocka_unit_test(truncated_anywhere),
        cmocka_unit_test(a_callback_stops_it),
        cmocka_unit_test(no_boundary),
        cmocka_unit_test(boundaries_from_content_types),
        cmocka_unit_test(every_status_has_its_message),
        cmocka_unit_test(file_names_are_made_safe),
    };

    return run_tap(tests);
}
