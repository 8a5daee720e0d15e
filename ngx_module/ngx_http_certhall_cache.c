/*
 * The catalog cache (issue 22): the public answers that change only when
 * staff change them -- GET /api/projects, /api/pickup-points,
 * /api/downloads[?project=] and /api/agreements/{code}[?version=] -- kept
 * by each worker as the bytes the database rendered, with a strong ETag
 * (the MD5 of the bytes), and sent again without asking the database.
 *
 * The answers go as before, with two headers changed: ETag, and
 * Cache-Control: no-cache instead of no-store (they are the same for
 * everyone; a browser may keep them but asks each time, and nginx's
 * not_modified filter answers an If-None-Match that names the ETag 304,
 * with no body).  A miss has the ETag too.
 *
 * What is kept is only ever right while this worker hears of every change:
 * the triggers of sql/functions/21_catalog_notify.sql NOTIFY
 * certhall_catalog with the answer's name as each change commits, and the
 * worker's listening connection (ngx_http_certhall_db_listen.c) drops that
 * answer when it arrives.  While that connection is down or not yet
 * listening, nothing is kept and every request asks the database through
 * the pool as it did before the cache; when LISTEN succeeds again, the
 * next request fills the cache anew.
 *
 * The race of a fill with a change.  A miss sends its statement through
 * the pool and keeps the answer when it comes, unless a change came in
 * between: each answer has a generation, a value of one worker-wide
 * counter that only grows, taken anew on every change notice of that
 * answer and for every answer when listening starts or stops.  A fill
 * notes the generation (and that the worker was listening) when it is
 * sent, and keeps its answer only if the generation is still the same when
 * the answer comes.  That is enough because:
 *
 *   - the statement's snapshot is taken after it was sent, so a change
 *     committed before the send is in the answer;
 *   - a change committed after the snapshot is not in it, but the worker
 *     was listening since before the send (else nothing is kept), so its
 *     notice reaches this worker: before the answer (the generation moved,
 *     the answer is sent to its request but not kept) or after it (the
 *     kept answer is dropped then);
 *   - the counter never goes back, so no later generation can equal the
 *     one noted (no ABA), and losing the connection moves every
 *     generation, so a fill sent before a gap in listening is never kept.
 *
 * A change shows on the next request of every worker once its notice has
 * reached the worker: a notice that arrives after the commit but before
 * the request is read first (ngx_http_certhall_db_listen_read(), a
 * non-blocking read, from every request that could be a hit), whatever
 * order the event loop would have taken them in.
 *
 * Memory: the bytes are in the heap, one block per answer with a count of
 * its users (the cache, and each request sending it, released by the
 * request's pool cleanup): an answer replaced or dropped while a slow
 * client is still being sent it stays until that request ends.  The
 * entries are a fixed table: NGX_HTTP_CERTHALL_CACHE_ENTRIES answers at
 * most (downloads per project, agreements per code and version), the
 * oldest replaced when full.
 */

#include "ngx_http_certhall_cache.h"

#include <ngx_md5.h>


#define NGX_HTTP_CERTHALL_CACHE_ENTRIES  64
#define NGX_HTTP_CERTHALL_CACHE_KEY_MAX  80

/* "<32 hex digits>", quotes included */
#define NGX_HTTP_CERTHALL_ETAG_LEN       34


typedef struct {
    ngx_uint_t              refs;
    size_t                  len;
    u_char                  etag[NGX_HTTP_CERTHALL_ETAG_LEN];
    u_char                  data[1];
} ngx_http_certhall_cache_blob_t;


typedef struct {
    ngx_http_certhall_cache_blob_t  *blob;      /* NULL: a free entry */
    ngx_uint_t                       answer;
    size_t                           key_len;
    u_char                           key[NGX_HTTP_CERTHALL_CACHE_KEY_MAX];
} ngx_http_certhall_cache_entry_t;


/* a miss on its way to the database */
typedef struct {
    ngx_uint_t              answer;
    ngx_uint_t              generation;
    size_t                  key_len;
    u_char                 *key;
} ngx_http_certhall_cache_fill_t;


typedef struct {
    ngx_uint_t                       listening;
    ngx_uint_t                       counter;
    ngx_uint_t                       generation[NGX_HTTP_CERTHALL_CACHE_NANSWERS];
    ngx_uint_t                       next;      /* the one to replace */
    ngx_http_certhall_cache_entry_t  entries[NGX_HTTP_CERTHALL_CACHE_ENTRIES];
} ngx_http_certhall_cache_t;


static ngx_int_t ngx_http_certhall_cache_filled(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_http_certhall_cache_blob_t *ngx_http_certhall_cache_blob(
    u_char *bytes, size_t len);
static void ngx_http_certhall_cache_keep(ngx_uint_t answer, u_char *key,
    size_t key_len, ngx_http_certhall_cache_blob_t *blob);
static void ngx_http_certhall_cache_drop(ngx_uint_t answer);
static void ngx_http_certhall_cache_release(void *data);
static ngx_int_t ngx_http_certhall_cache_send(ngx_http_request_t *r,
    ngx_http_certhall_cache_blob_t *blob);
static ngx_int_t ngx_http_certhall_cache_header(ngx_http_request_t *r,
    const char *key, u_char *value, size_t len, ngx_table_elt_t **out);


static ngx_str_t  ngx_http_certhall_cache_answers[] = {
    ngx_string("projects"),
    ngx_string("pickup_points"),
    ngx_string("downloads"),
    ngx_string("agreements"),
};


/* this worker's cache; NULL when certhall_catalog_cache is off */
static ngx_http_certhall_cache_t  *ngx_http_certhall_cache;


ngx_int_t
ngx_http_certhall_cache_init_process(ngx_cycle_t *cycle,
    ngx_http_certhall_db_conf_t *dbcf)
{
    ngx_http_certhall_cache = ngx_pcalloc(cycle->pool,
                                          sizeof(ngx_http_certhall_cache_t));
    if (ngx_http_certhall_cache == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_certhall_db_listen_init_process(cycle, dbcf);
}


void
ngx_http_certhall_cache_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_certhall_cache == NULL) {
        return;
    }

    ngx_http_certhall_db_listen_exit_process(cycle);
    ngx_http_certhall_cache_drop(NGX_HTTP_CERTHALL_CACHE_NANSWERS);
    ngx_http_certhall_cache = NULL;
}


/*
 * The whole of a cached answer's handler once q is made: the kept answer
 * for (answer, key), or q run through the pool and its answer kept.
 * Returns what a content handler returns.
 */

ngx_int_t
ngx_http_certhall_cache_run(ngx_http_request_t *r,
    ngx_http_certhall_db_query_t *q, ngx_uint_t answer, u_char *key,
    size_t key_len)
{
    ngx_uint_t                        i;
    ngx_http_certhall_cache_t        *cache;
    ngx_http_certhall_cache_fill_t   *fill;
    ngx_http_certhall_cache_entry_t  *e;

    if (ngx_http_certhall_cache == NULL
        || key_len > NGX_HTTP_CERTHALL_CACHE_KEY_MAX)
    {
        return ngx_http_certhall_db_run(r, q);
    }

    /* a change notice already on the socket counts before this request */
    ngx_http_certhall_db_listen_read();

    cache = ngx_http_certhall_cache;

    if (cache->listening) {
        for (i = 0; i < NGX_HTTP_CERTHALL_CACHE_ENTRIES; i++) {
            e = &cache->entries[i];

            if (e->blob && e->answer == answer && e->key_len == key_len
                && ngx_memcmp(e->key, key, key_len) == 0)
            {
                ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                               "certhall cache: hit \"%V\"",
                               &ngx_http_certhall_cache_answers[answer]);

                return ngx_http_certhall_cache_send(r, e->blob);
            }
        }
    }

    fill = ngx_palloc(r->pool, sizeof(ngx_http_certhall_cache_fill_t));
    if (fill == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    fill->answer = answer;
    fill->key = key;
    fill->key_len = key_len;

    /* not listening: a generation no answer can have, so nothing is kept */
    fill->generation = cache->listening ? cache->generation[answer]
                                        : (ngx_uint_t) -1;

    q->done = ngx_http_certhall_cache_filled;
    q->data = fill;

    return ngx_http_certhall_db_run(r, q);
}


/* the done handler of a miss: the statement's one value, "body" */

static ngx_int_t
ngx_http_certhall_cache_filled(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    ngx_http_certhall_cache_fill_t *fill = data;

    int                              col;
    ngx_int_t                        rc;
    ngx_http_certhall_cache_t       *cache;
    ngx_http_certhall_cache_blob_t  *blob;

    col = ngx_http_certhall_db_body(r, res);

    if (col < 0) {
        return ngx_http_certhall_internal_error(r);
    }

    blob = ngx_http_certhall_cache_blob((u_char *) PQgetvalue(res, 0, col),
                                        PQgetlength(res, 0, col));
    if (blob == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    /*
     * A change notice already on the socket is read first: not needed for
     * correctness (one read later drops what is kept now), but a fill
     * whose change has arrived is then not kept at all
     */
    ngx_http_certhall_db_listen_read();

    cache = ngx_http_certhall_cache;

    /* the worker may be exiting: the cache is gone, the answer still goes */

    if (cache && cache->listening
        && cache->generation[fill->answer] == fill->generation)
    {
        ngx_http_certhall_cache_keep(fill->answer, fill->key, fill->key_len,
                                     blob);
    }

    rc = ngx_http_certhall_cache_send(r, blob);

    if (blob->refs == 0) {
        /* neither kept nor sent (no memory for the request's cleanup) */
        ngx_free(blob);
    }

    return rc;
}


static ngx_http_certhall_cache_blob_t *
ngx_http_certhall_cache_blob(u_char *bytes, size_t len)
{
    u_char                           digest[16];
    ngx_md5_t                        md5;
    ngx_http_certhall_cache_blob_t  *blob;

    blob = ngx_alloc(offsetof(ngx_http_certhall_cache_blob_t, data) + len,
                     ngx_cycle->log);
    if (blob == NULL) {
        return NULL;
    }

    blob->refs = 0;
    blob->len = len;
    ngx_memcpy(blob->data, bytes, len);

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, bytes, len);
    ngx_md5_final(digest, &md5);

    blob->etag[0] = '"';
    ngx_hex_dump(&blob->etag[1], digest, sizeof(digest));
    blob->etag[NGX_HTTP_CERTHALL_ETAG_LEN - 1] = '"';

    return blob;
}


/* keeps blob for (answer, key), in place of what was kept for it */

static void
ngx_http_certhall_cache_keep(ngx_uint_t answer, u_char *key, size_t key_len,
    ngx_http_certhall_cache_blob_t *blob)
{
    ngx_uint_t                        i;
    ngx_http_certhall_cache_t        *cache;
    ngx_http_certhall_cache_entry_t  *e, *slot;

    cache = ngx_http_certhall_cache;
    slot = NULL;

    for (i = 0; i < NGX_HTTP_CERTHALL_CACHE_ENTRIES; i++) {
        e = &cache->entries[i];

        if (e->blob == NULL) {
            if (slot == NULL) {
                slot = e;
            }
            continue;
        }

        if (e->answer == answer && e->key_len == key_len
            && ngx_memcmp(e->key, key, key_len) == 0)
        {
            /* a concurrent miss kept it first */
            slot = e;
            break;
        }
    }

    if (slot == NULL) {
        /* full: the entries are replaced in turn */
        slot = &cache->entries[cache->next];
        cache->next = (cache->next + 1) % NGX_HTTP_CERTHALL_CACHE_ENTRIES;
    }

    if (slot->blob) {
        ngx_http_certhall_cache_release(slot->blob);
    }

    slot->answer = answer;
    slot->key_len = key_len;
    ngx_memcpy(slot->key, key, key_len);
    slot->blob = blob;
    blob->refs++;
}


/* drops what is kept of answer (NGX_HTTP_CERTHALL_CACHE_NANSWERS: all) */

static void
ngx_http_certhall_cache_drop(ngx_uint_t answer)
{
    ngx_uint_t                        i;
    ngx_http_certhall_cache_entry_t  *e;

    for (i = 0; i < NGX_HTTP_CERTHALL_CACHE_ENTRIES; i++) {
        e = &ngx_http_certhall_cache->entries[i];

        if (e->blob
            && (answer == NGX_HTTP_CERTHALL_CACHE_NANSWERS
                || e->answer == answer))
        {
            ngx_http_certhall_cache_release(e->blob);
            e->blob = NULL;
        }
    }
}


static void
ngx_http_certhall_cache_release(void *data)
{
    ngx_http_certhall_cache_blob_t  *blob = data;

    if (--blob->refs == 0) {
        ngx_free(blob);
    }
}


/*
 * From the listening connection: listening (LISTEN has succeeded) or not
 * (the connection broke).  Either way every answer kept is dropped and
 * every generation moves: what was kept before may have missed a notice,
 * and so may a fill sent before.
 */

void
ngx_http_certhall_cache_listening(ngx_uint_t listening)
{
    ngx_uint_t                  i;
    ngx_http_certhall_cache_t  *cache;

    cache = ngx_http_certhall_cache;

    if (cache == NULL) {
        return;
    }

    cache->listening = listening;

    for (i = 0; i < NGX_HTTP_CERTHALL_CACHE_NANSWERS; i++) {
        cache->generation[i] = ++cache->counter;
    }

    ngx_http_certhall_cache_drop(NGX_HTTP_CERTHALL_CACHE_NANSWERS);
}


/* a change notice: payload names the answer; anything else is all of them */

void
ngx_http_certhall_cache_changed(ngx_log_t *log, const char *payload)
{
    size_t                      len;
    ngx_uint_t                  i, answer;
    ngx_http_certhall_cache_t  *cache;

    cache = ngx_http_certhall_cache;

    if (cache == NULL) {
        return;
    }

    len = ngx_strlen(payload);
    answer = NGX_HTTP_CERTHALL_CACHE_NANSWERS;

    for (i = 0; i < NGX_HTTP_CERTHALL_CACHE_NANSWERS; i++) {
        if (ngx_http_certhall_cache_answers[i].len == len
            && ngx_strncmp(ngx_http_certhall_cache_answers[i].data, payload,
                           len) == 0)
        {
            answer = i;
            break;
        }
    }

    /* staff change the catalog a few times a year: worth a line */
    ngx_log_error(NGX_LOG_INFO, log, 0,
                  "certhall: catalog cache: \"%s\" changed", payload);

    for (i = 0; i < NGX_HTTP_CERTHALL_CACHE_NANSWERS; i++) {
        if (answer == NGX_HTTP_CERTHALL_CACHE_NANSWERS || i == answer) {
            cache->generation[i] = ++cache->counter;
        }
    }

    ngx_http_certhall_cache_drop(answer);
}


/*
 * Sends blob as the answer of r: 200 with its ETag, or 304 from nginx's
 * not_modified filter when If-None-Match names it.  The request holds a
 * reference to blob until its pool goes.
 */

static ngx_int_t
ngx_http_certhall_cache_send(ngx_http_request_t *r,
    ngx_http_certhall_cache_blob_t *blob)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_pool_cleanup_t  *cln;

    static ngx_str_t  json = ngx_string("application/json; charset=utf-8");

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    cln->handler = ngx_http_certhall_cache_release;
    cln->data = blob;
    blob->refs++;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = json;
    r->headers_out.content_type_len = json.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = blob->len;

    /*
     * The same for everyone, and changed only by staff: kept, but always
     * asked again, so that a change shows at once
     */

    if (ngx_http_certhall_cache_header(r, "Cache-Control",
                                       (u_char *) "no-cache", 8, NULL)
           != NGX_OK
        || ngx_http_certhall_cache_header(r, "X-Content-Type-Options",
                                          (u_char *) "nosniff", 7, NULL)
           != NGX_OK
        || ngx_http_certhall_cache_header(r, "ETag", blob->etag,
                                          NGX_HTTP_CERTHALL_ETAG_LEN,
                                          &r->headers_out.etag)
           != NGX_OK)
    {
        return ngx_http_certhall_internal_error(r);
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = blob->data;
    b->last = blob->data + blob->len;
    b->memory = blob->len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_certhall_cache_header(ngx_http_request_t *r, const char *key,
    u_char *value, size_t len, ngx_table_elt_t **out)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = value;
    h->value.len = len;

    if (out) {
        *out = h;
    }

    return NGX_OK;
}
