/*
 * The per-worker pool of non-blocking PostgreSQL connections.
 *
 * Each connection's socket is registered with nginx's event loop; libpq is
 * only ever called in non-blocking mode: PQconnectStartParams and
 * PQconnectPoll to connect, PQsendPrepare / PQsendQueryPrepared and PQflush
 * to send, PQconsumeInput, PQisBusy and PQgetResult to receive.  Every
 * statement is prepared once per connection, right after it connects.
 *
 * Events are level-triggered on purpose: PQconsumeInput reads what one
 * recv() returns, not everything the socket holds, so an edge-triggered
 * event could leave a result unread with no further edge to wake us.
 *
 * A request that finds no idle connection waits in a bounded queue; past
 * the bound or the wait's time limit it gets 503 with Retry-After.  A
 * connection that breaks is closed, its request answered 503, and it is
 * reconnected with exponential backoff (or at once when a request needs
 * it).  A request whose client goes away leaves its query running; the
 * connection drains the result and returns to the pool clean.
 */

#include "ngx_http_certhall.h"
#include "ngx_http_certhall_db.h"


#define NGX_HTTP_CERTHALL_DB_RETRY_MIN    100     /* ms */
#define NGX_HTTP_CERTHALL_DB_RETRY_MAX    5000    /* ms */
#define NGX_HTTP_CERTHALL_RETRY_BUSY      1       /* Retry-After, seconds */
#define NGX_HTTP_CERTHALL_RETRY_DOWN      5


typedef enum {
    NGX_HTTP_CERTHALL_DB_CLOSED = 0,
    NGX_HTTP_CERTHALL_DB_CONNECTING,
    NGX_HTTP_CERTHALL_DB_PREPARING,
    NGX_HTTP_CERTHALL_DB_IDLE,
    NGX_HTTP_CERTHALL_DB_BUSY
} ngx_http_certhall_db_state_e;


struct ngx_http_certhall_db_conn_s {
    PGconn                          *pg;
    ngx_connection_t                *c;         /* wraps PQsocket(pg) */
    ngx_http_certhall_db_pool_t     *pool;
    ngx_http_certhall_db_query_t    *query;     /* NULL when orphaned */
    PGresult                        *result;    /* of the statement running */
    ngx_event_t                      timer;     /* connect, query, retry */
    ngx_queue_t                      idle;
    ngx_msec_t                       backoff;
    ngx_uint_t                       state;
    ngx_uint_t                       prepared;  /* statements prepared */
    ngx_uint_t                       index;
    ino_t                            sock_ino;  /* which socket c wraps */
};


struct ngx_http_certhall_db_pool_s {
    ngx_http_certhall_db_conf_t     *conf;
    ngx_http_certhall_db_conn_t     *conns;
    ngx_queue_t                      idle;
    ngx_queue_t                      waiting;
    ngx_uint_t                       nwaiting;
    ngx_log_t                       *log;
};


static void ngx_http_certhall_db_connect(ngx_http_certhall_db_conn_t *conn);
static ngx_int_t ngx_http_certhall_db_check_hosts(ngx_conf_t *cf,
    ngx_str_t *conninfo, char *host, char *hostaddr);
static u_char *ngx_http_certhall_db_next_item(u_char *p, u_char *end,
    ngx_str_t *item);
static ngx_uint_t ngx_http_certhall_db_is_ip(ngx_str_t *s);
static ngx_int_t ngx_http_certhall_db_attach(
    ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_detach(ngx_http_certhall_db_conn_t *conn);
static ngx_uint_t ngx_http_certhall_db_same_socket(
    ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_connect_poll(
    ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_prepare_next(
    ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_release(ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_start(ngx_http_certhall_db_conn_t *conn,
    ngx_http_certhall_db_query_t *q);
static void ngx_http_certhall_db_sent(ngx_http_certhall_db_conn_t *conn,
    int sent, const char *what);
static ngx_int_t ngx_http_certhall_db_flush(
    ngx_http_certhall_db_conn_t *conn);
static ngx_http_certhall_db_query_t *ngx_http_certhall_db_dequeue(
    ngx_http_certhall_db_pool_t *pool);
static void ngx_http_certhall_db_unqueue(ngx_http_certhall_db_query_t *q);
static void ngx_http_certhall_db_collect(ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_done(ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_close(ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_fail(ngx_http_certhall_db_conn_t *conn,
    const char *what);
static void ngx_http_certhall_db_retry(ngx_http_certhall_db_conn_t *conn);
static ngx_uint_t ngx_http_certhall_db_alive(
    ngx_http_certhall_db_pool_t *pool);
static void ngx_http_certhall_db_fail_waiting(
    ngx_http_certhall_db_pool_t *pool);
static void ngx_http_certhall_db_read_handler(ngx_event_t *rev);
static void ngx_http_certhall_db_write_handler(ngx_event_t *wev);
static void ngx_http_certhall_db_timer_handler(ngx_event_t *ev);
static void ngx_http_certhall_db_wait_handler(ngx_event_t *ev);
static void ngx_http_certhall_db_query_cleanup(void *data);
static void ngx_http_certhall_db_deliver(ngx_http_certhall_db_query_t *q,
    PGresult *res);
static void ngx_http_certhall_db_unavailable(ngx_http_certhall_db_query_t *q,
    const char *code, time_t retry_after);
static void ngx_http_certhall_db_notice(void *arg, const char *message);
static void ngx_http_certhall_db_clear_result(void *data);


/* this worker's pool; NULL where certhall_db is not configured */
static ngx_http_certhall_db_pool_t  *ngx_http_certhall_db_pool;


/*
 * libpq resolves a host name with a blocking getaddrinfo() when it starts
 * a connection (PQconnectStartParams), which would stall the worker at
 * start, on every reconnection and in the request path.  So every host of
 * the (comma-separated) list must need no lookup: a unix socket directory
 * (an absolute path, or "@name" in the abstract namespace), an IP address,
 * empty (the default socket), or come with
 * its address in hostaddr, which libpq then uses without resolving (the
 * name still serves authentication and TLS).  Refused at nginx -t.
 */

static ngx_int_t
ngx_http_certhall_db_check_hosts(ngx_conf_t *cf, ngx_str_t *conninfo,
    char *host, char *hostaddr)
{
    u_char     *h, *hend, *a, *aend;
    ngx_str_t   name, addr;

    if (host == NULL) {
        return NGX_OK;
    }

    h = (u_char *) host;
    hend = h + ngx_strlen(host);
    a = (u_char *) hostaddr;
    aend = a ? a + ngx_strlen(hostaddr) : NULL;

    for ( ;; ) {
        h = ngx_http_certhall_db_next_item(h, hend, &name);

        /* the matching hostaddr item, when given, is what libpq uses */

        ngx_str_null(&addr);

        if (a) {
            a = ngx_http_certhall_db_next_item(a, aend, &addr);
        }

        if (addr.len) {
            if (!ngx_http_certhall_db_is_ip(&addr)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "certhall_db \"%V\": hostaddr \"%V\" is "
                                   "not an IP address", conninfo, &addr);
                return NGX_ERROR;
            }

        } else if (name.len && name.data[0] != '/' && name.data[0] != '@'
                   && !ngx_http_certhall_db_is_ip(&name))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "certhall_db \"%V\": host \"%V\" is a name, "
                               "which libpq would look up with a blocking "
                               "getaddrinfo() in the worker: give its address "
                               "in hostaddr, or use an IP address or a unix "
                               "socket directory", conninfo, &name);
            return NGX_ERROR;
        }

        if (h == NULL) {
            return NGX_OK;
        }
    }
}


/* the item of a comma-separated list at p; the next one, or NULL at the end */

static u_char *
ngx_http_certhall_db_next_item(u_char *p, u_char *end, ngx_str_t *item)
{
    u_char  *comma;

    if (p == NULL) {
        ngx_str_null(item);
        return NULL;
    }

    comma = ngx_strlchr(p, end, ',');

    item->data = p;
    item->len = (comma ? comma : end) - p;

    return comma ? comma + 1 : NULL;
}


static ngx_uint_t
ngx_http_certhall_db_is_ip(ngx_str_t *s)
{
#if (NGX_HAVE_INET6)
    u_char  addr6[16];
#endif

    if (ngx_inet_addr(s->data, s->len) != INADDR_NONE) {
        return 1;
    }

#if (NGX_HAVE_INET6)
    if (ngx_inet6_addr(s->data, s->len, addr6) == NGX_OK) {
        return 1;
    }
#endif

    return 0;
}


char *
ngx_http_certhall_db_parse_conninfo(ngx_conf_t *cf,
    ngx_http_certhall_db_conf_t *dbcf, ngx_str_t *conninfo)
{
    char              *err, *ci, *host, *hostaddr;
    size_t             len;
    ngx_uint_t         n, i;
    PQconninfoOption  *opts, *o;

    ci = (char *) ngx_pnalloc(cf->pool, conninfo->len + 1);
    if (ci == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn((u_char *) ci, conninfo->data, conninfo->len + 1);

    /* a bad connection string is a configuration error, found at -t */

    err = NULL;
    opts = PQconninfoParse(ci, &err);

    if (opts == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid certhall_db \"%V\": %s", conninfo,
                           err ? err : "out of memory");
        if (err) {
            PQfreemem(err);
        }
        return NGX_CONF_ERROR;
    }

    n = 0;
    host = NULL;
    hostaddr = NULL;

    for (o = opts; o->keyword; o++) {
        if (o->val == NULL) {
            continue;
        }

        n++;

        if (ngx_strcmp(o->keyword, "host") == 0) {
            host = o->val;

        } else if (ngx_strcmp(o->keyword, "hostaddr") == 0) {
            hostaddr = o->val;

        } else if (ngx_strcmp(o->keyword, "service") == 0) {
            /* the service file could name a host the module never sees */
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "certhall_db \"%V\": \"service\" is not "
                               "supported: give host (and hostaddr) in the "
                               "connection string itself", conninfo);
            PQconninfoFree(opts);
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_certhall_db_check_hosts(cf, conninfo, host, hostaddr)
        != NGX_OK)
    {
        PQconninfoFree(opts);
        return NGX_CONF_ERROR;
    }

    /* one more for fallback_application_name, one for the terminator */

    dbcf->keywords = ngx_pcalloc(cf->pool, (n + 2) * sizeof(char *));
    dbcf->values = ngx_pcalloc(cf->pool, (n + 2) * sizeof(char *));

    if (dbcf->keywords == NULL || dbcf->values == NULL) {
        PQconninfoFree(opts);
        return NGX_CONF_ERROR;
    }

    i = 0;

    for (o = opts; o->keyword; o++) {
        if (o->val == NULL) {
            continue;
        }

        len = ngx_strlen(o->keyword) + 1;
        dbcf->keywords[i] = ngx_pnalloc(cf->pool, len);
        len = ngx_strlen(o->val) + 1;
        dbcf->values[i] = ngx_pnalloc(cf->pool, len);

        if (dbcf->keywords[i] == NULL || dbcf->values[i] == NULL) {
            PQconninfoFree(opts);
            return NGX_CONF_ERROR;
        }

        ngx_memcpy((char *) dbcf->keywords[i], o->keyword,
                   ngx_strlen(o->keyword) + 1);
        ngx_memcpy((char *) dbcf->values[i], o->val, len);
        i++;
    }

    /* names the module's sessions in pg_stat_activity */
    dbcf->keywords[i] = "fallback_application_name";
    dbcf->values[i] = "certhall-nginx";

    PQconninfoFree(opts);

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_certhall_db_init_process(ngx_cycle_t *cycle,
    ngx_http_certhall_db_conf_t *dbcf)
{
    ngx_uint_t                    i;
    ngx_http_certhall_db_pool_t  *pool;
    ngx_http_certhall_db_conn_t  *conn;

    pool = ngx_pcalloc(cycle->pool, sizeof(ngx_http_certhall_db_pool_t));
    if (pool == NULL) {
        return NGX_ERROR;
    }

    pool->conns = ngx_pcalloc(cycle->pool,
                          dbcf->pool_size * sizeof(ngx_http_certhall_db_conn_t));
    if (pool->conns == NULL) {
        return NGX_ERROR;
    }

    pool->conf = dbcf;
    pool->log = cycle->log;
    ngx_queue_init(&pool->idle);
    ngx_queue_init(&pool->waiting);

    ngx_http_certhall_db_pool = pool;

    /* connect at once, so the first requests find connections ready */

    for (i = 0; i < dbcf->pool_size; i++) {
        conn = &pool->conns[i];
        conn->pool = pool;
        conn->index = i;
        conn->timer.handler = ngx_http_certhall_db_timer_handler;
        conn->timer.data = conn;
        conn->timer.log = cycle->log;

        ngx_http_certhall_db_connect(conn);
    }

    return NGX_OK;
}


void
ngx_http_certhall_db_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                    i;
    ngx_http_certhall_db_pool_t  *pool;

    pool = ngx_http_certhall_db_pool;

    if (pool == NULL) {
        return;
    }

    for (i = 0; i < pool->conf->pool_size; i++) {
        ngx_http_certhall_db_close(&pool->conns[i]);
    }

    ngx_http_certhall_db_pool = NULL;
}


ngx_http_certhall_db_query_t *
ngx_http_certhall_db_query(ngx_http_request_t *r, ngx_uint_t stmt)
{
    ngx_http_certhall_db_query_t  *q;

    q = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_db_query_t));
    if (q == NULL) {
        return NULL;
    }

    q->stmt = stmt;
    q->nparams = ngx_http_certhall_statements[stmt].nparams;
    q->done = ngx_http_certhall_db_send_value;

    return q;
}


/*
 * The whole of a handler whose answer is one statement without
 * parameters: the request body, if any, is dropped.
 */

ngx_int_t
ngx_http_certhall_db_answer(ngx_http_request_t *r, ngx_uint_t stmt)
{
    ngx_int_t                      rc;
    ngx_http_certhall_db_query_t  *q;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    q = ngx_http_certhall_db_query(r, stmt);
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_certhall_db_run(r, q);
}


/*
 * Runs q for r.  Returns NGX_DONE when the answer will come later (the
 * content handler returns it as is), or a response status to finalize
 * with now.
 */

ngx_int_t
ngx_http_certhall_db_run(ngx_http_request_t *r,
    ngx_http_certhall_db_query_t *q)
{
    ngx_uint_t                    i;
    ngx_queue_t                  *head;
    ngx_http_cleanup_t           *cln;
    ngx_http_certhall_db_pool_t  *pool;
    ngx_http_certhall_db_conn_t  *conn;

    pool = ngx_http_certhall_db_pool;

    if (pool == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "certhall: no database pool in this process");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_queue_empty(&pool->idle)) {

        /* a request needs a connection: retry closed ones now */

        for (i = 0; i < pool->conf->pool_size; i++) {
            conn = &pool->conns[i];

            if (conn->state == NGX_HTTP_CERTHALL_DB_CLOSED) {
                if (conn->timer.timer_set) {
                    ngx_del_timer(&conn->timer);
                }

                ngx_http_certhall_db_connect(conn);
            }
        }

        if (!ngx_http_certhall_db_alive(pool)) {
            if (q->failed) {
                q->failed(r, q->data);
            }

            return ngx_http_certhall_send_unavailable(r,
                                    "database_unavailable",
                                    "数据库暂时不可用，请稍后再试",
                                    NGX_HTTP_CERTHALL_RETRY_DOWN);
        }

        if (pool->nwaiting >= pool->conf->queue_size) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "certhall: database queue is full (%ui requests)",
                          pool->nwaiting);

            if (q->failed) {
                q->failed(r, q->data);
            }

            return ngx_http_certhall_send_unavailable(r, "server_busy",
                                    "服务繁忙，请稍后再试",
                                    NGX_HTTP_CERTHALL_RETRY_BUSY);
        }
    }

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_certhall_db_query_cleanup;
    cln->data = q;

    q->request = r;
    r->main->count++;

    /* notice a client that goes away while the query runs */
    if (r == r->main) {
        r->read_event_handler = ngx_http_test_reading;
    }

    if (!ngx_queue_empty(&pool->idle)) {
        head = ngx_queue_head(&pool->idle);
        ngx_queue_remove(head);
        conn = ngx_queue_data(head, ngx_http_certhall_db_conn_t, idle);

        ngx_http_certhall_db_start(conn, q);
        return NGX_DONE;
    }

    q->wait.handler = ngx_http_certhall_db_wait_handler;
    q->wait.data = q;
    q->wait.log = r->connection->log;
    ngx_add_timer(&q->wait, pool->conf->queue_timeout);

    ngx_queue_insert_tail(&pool->waiting, &q->queue);
    q->queued = 1;
    pool->nwaiting++;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall db: queued, %ui waiting", pool->nwaiting);

    return NGX_DONE;
}


static void
ngx_http_certhall_db_connect(ngx_http_certhall_db_conn_t *conn)
{
    ngx_http_certhall_db_conf_t  *dbcf;

    dbcf = conn->pool->conf;

    conn->pg = PQconnectStartParams(dbcf->keywords, dbcf->values, 0);

    if (conn->pg == NULL) {
        ngx_log_error(NGX_LOG_ALERT, conn->pool->log, 0,
                      "certhall: database connection %ui: out of memory",
                      conn->index);
        ngx_http_certhall_db_retry(conn);
        return;
    }

    conn->state = NGX_HTTP_CERTHALL_DB_CONNECTING;

    if (PQstatus(conn->pg) == CONNECTION_BAD
        || PQsetnonblocking(conn->pg, 1) != 0)
    {
        ngx_http_certhall_db_fail(conn, "connect");
        return;
    }

    PQsetNoticeProcessor(conn->pg, ngx_http_certhall_db_notice, conn);

    if (ngx_http_certhall_db_attach(conn) != NGX_OK) {
        ngx_http_certhall_db_fail(conn, "connect");
        return;
    }

    conn->timer.cancelable = 1;
    ngx_add_timer(&conn->timer, dbcf->connect_timeout);

    /* as if PQconnectPoll had answered PGRES_POLLING_WRITING */

    if (ngx_add_event(conn->c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
        != NGX_OK)
    {
        ngx_http_certhall_db_fail(conn, "connect");
    }
}


static ngx_int_t
ngx_http_certhall_db_attach(ngx_http_certhall_db_conn_t *conn)
{
    ngx_socket_t       s;
    ngx_file_info_t    st;
    ngx_connection_t  *c;

    s = PQsocket(conn->pg);

    if (s == (ngx_socket_t) -1) {
        return NGX_ERROR;
    }

    if (fstat(s, &st) == -1) {
        return NGX_ERROR;
    }

    c = ngx_get_connection(s, conn->pool->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    conn->sock_ino = st.st_ino;

    c->data = conn;
    c->read->handler = ngx_http_certhall_db_read_handler;
    c->write->handler = ngx_http_certhall_db_write_handler;
    c->read->log = conn->pool->log;
    c->write->log = conn->pool->log;

    conn->c = c;

    if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Takes the socket out of nginx's hands; libpq owns it and closes it.
 * libpq may have closed it already (a broken connection, or the next
 * address tried while connecting): the kernel then dropped it from epoll,
 * and asking epoll to drop it again would fail, or worse, drop another
 * socket that got the same number.
 */

static void
ngx_http_certhall_db_detach(ngx_http_certhall_db_conn_t *conn)
{
    ngx_uint_t         flags;
    ngx_connection_t  *c;

    c = conn->c;

    if (c == NULL) {
        return;
    }

    flags = ngx_http_certhall_db_same_socket(conn) ? 0 : NGX_CLOSE_EVENT;

    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, flags);
    }

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, flags);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    ngx_free_connection(c);
    c->fd = (ngx_socket_t) -1;

    conn->c = NULL;
}


/*
 * Is the socket nginx watches still libpq's socket?  Not when libpq has
 * closed it, nor when it opened another one that got the same number.
 */

static ngx_uint_t
ngx_http_certhall_db_same_socket(ngx_http_certhall_db_conn_t *conn)
{
    ngx_socket_t     s;
    ngx_file_info_t  st;

    if (conn->pg == NULL) {
        return 0;
    }

    s = PQsocket(conn->pg);

    if (s == (ngx_socket_t) -1 || s != conn->c->fd || fstat(s, &st) == -1) {
        return 0;
    }

    return st.st_ino == conn->sock_ino;
}


static void
ngx_http_certhall_db_connect_poll(ngx_http_certhall_db_conn_t *conn)
{
    ngx_event_t                *wev;
    PostgresPollingStatusType   rc;

    rc = PQconnectPoll(conn->pg);

    if (rc == PGRES_POLLING_FAILED) {
        ngx_http_certhall_db_fail(conn, "connect");
        return;
    }

    if (rc == PGRES_POLLING_OK) {
        if (conn->timer.timer_set) {
            ngx_del_timer(&conn->timer);
        }

        if (conn->c->write->active) {
            ngx_del_event(conn->c->write, NGX_WRITE_EVENT, 0);
        }

        if (conn->backoff) {
            ngx_log_error(NGX_LOG_NOTICE, conn->pool->log, 0,
                          "certhall: database connection %ui is back",
                          conn->index);
        }

        conn->backoff = 0;
        conn->state = NGX_HTTP_CERTHALL_DB_PREPARING;
        conn->prepared = 0;
        ngx_http_certhall_db_prepare_next(conn);
        return;
    }

    /* libpq may have moved to another socket (next address, SSL refused) */

    if (!ngx_http_certhall_db_same_socket(conn)) {
        ngx_http_certhall_db_detach(conn);

        if (ngx_http_certhall_db_attach(conn) != NGX_OK) {
            ngx_http_certhall_db_fail(conn, "connect");
            return;
        }
    }

    /* the read event stays on; the write event only while libpq asks */

    wev = conn->c->write;

    if (rc == PGRES_POLLING_WRITING) {
        if (!wev->active
            && ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
        {
            ngx_http_certhall_db_fail(conn, "connect");
        }

    } else if (wev->active) {
        ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }
}


static void
ngx_http_certhall_db_prepare_next(ngx_http_certhall_db_conn_t *conn)
{
    ngx_http_certhall_stmt_t  *stmt;

    if (conn->prepared == NGX_HTTP_CERTHALL_NSTMTS) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, conn->pool->log, 0,
                       "certhall db: connection %ui ready", conn->index);

        ngx_http_certhall_db_release(conn);
        return;
    }

    stmt = &ngx_http_certhall_statements[conn->prepared];

    ngx_http_certhall_db_sent(conn,
                              PQsendPrepare(conn->pg, stmt->name, stmt->sql,
                                            stmt->nparams, NULL),
                              "prepare");
}


/* an idle connection serves the oldest waiting request, or waits itself */

static void
ngx_http_certhall_db_release(ngx_http_certhall_db_conn_t *conn)
{
    ngx_http_certhall_db_query_t  *q;

    conn->state = NGX_HTTP_CERTHALL_DB_IDLE;

    q = ngx_http_certhall_db_dequeue(conn->pool);

    if (q) {
        ngx_http_certhall_db_start(conn, q);
        return;
    }

    /* last in, first out: the busiest connections stay warm */
    ngx_queue_insert_head(&conn->pool->idle, &conn->idle);
}


static void
ngx_http_certhall_db_start(ngx_http_certhall_db_conn_t *conn,
    ngx_http_certhall_db_query_t *q)
{
    ngx_http_certhall_stmt_t  *stmt;

    stmt = &ngx_http_certhall_statements[q->stmt];

    conn->state = NGX_HTTP_CERTHALL_DB_BUSY;
    conn->query = q;
    q->conn = conn;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, conn->pool->log, 0,
                   "certhall db: \"%s\" on connection %ui",
                   stmt->name, conn->index);

    ngx_http_certhall_db_sent(conn,
                              PQsendQueryPrepared(conn->pg, stmt->name,
                                                  q->nparams, q->values,
                                                  NULL, NULL, 0),
                              "send");
}


/* after PQsend*(): push it out and give the statement its time limit */

static void
ngx_http_certhall_db_sent(ngx_http_certhall_db_conn_t *conn, int sent,
    const char *what)
{
    if (!sent || ngx_http_certhall_db_flush(conn) == NGX_ERROR) {
        ngx_http_certhall_db_fail(conn, what);
        return;
    }

    conn->timer.cancelable = 0;
    ngx_add_timer(&conn->timer, conn->pool->conf->query_timeout);
}


static ngx_int_t
ngx_http_certhall_db_flush(ngx_http_certhall_db_conn_t *conn)
{
    ngx_event_t  *wev;

    wev = conn->c->write;

    switch (PQflush(conn->pg)) {

    case 0:
        if (wev->active) {
            ngx_del_event(wev, NGX_WRITE_EVENT, 0);
        }
        return NGX_OK;

    case 1:
        if (!wev->active
            && ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
        {
            return NGX_ERROR;
        }
        return NGX_AGAIN;

    default:
        return NGX_ERROR;
    }
}


static void
ngx_http_certhall_db_read_handler(ngx_event_t *rev)
{
    ngx_connection_t             *c;
    ngx_http_certhall_db_conn_t  *conn;

    c = rev->data;
    conn = c->data;

    switch (conn->state) {

    case NGX_HTTP_CERTHALL_DB_CONNECTING:
        ngx_http_certhall_db_connect_poll(conn);
        return;

    case NGX_HTTP_CERTHALL_DB_IDLE:

        /*
         * An idle connection reads only when the server speaks first: a
         * notice, or the message it sends before closing (a restart or
         * pg_terminate_backend).  Find out which.
         */

        if (!PQconsumeInput(conn->pg) || PQstatus(conn->pg) != CONNECTION_OK) {
            ngx_http_certhall_db_fail(conn, "idle");
        }
        return;

    case NGX_HTTP_CERTHALL_DB_PREPARING:
    case NGX_HTTP_CERTHALL_DB_BUSY:

        if (!PQconsumeInput(conn->pg)) {
            ngx_http_certhall_db_fail(conn, "receive");
            return;
        }

        /* libpq may also be waiting to send the rest of the query */
        if (c->write->active
            && ngx_http_certhall_db_flush(conn) == NGX_ERROR)
        {
            ngx_http_certhall_db_fail(conn, "send");
            return;
        }

        ngx_http_certhall_db_collect(conn);
        return;

    default:
        /* a stale event of a connection closed in this loop iteration */
        return;
    }
}


static void
ngx_http_certhall_db_write_handler(ngx_event_t *wev)
{
    ngx_connection_t             *c;
    ngx_http_certhall_db_conn_t  *conn;

    c = wev->data;
    conn = c->data;

    switch (conn->state) {

    case NGX_HTTP_CERTHALL_DB_CONNECTING:
        ngx_http_certhall_db_connect_poll(conn);
        return;

    case NGX_HTTP_CERTHALL_DB_PREPARING:
    case NGX_HTTP_CERTHALL_DB_BUSY:
        if (ngx_http_certhall_db_flush(conn) == NGX_ERROR) {
            ngx_http_certhall_db_fail(conn, "send");
        }
        return;

    default:
        if (wev->active) {
            ngx_del_event(wev, NGX_WRITE_EVENT, 0);
        }
        return;
    }
}


static void
ngx_http_certhall_db_collect(ngx_http_certhall_db_conn_t *conn)
{
    PGresult  *res;

    while (!PQisBusy(conn->pg)) {

        res = PQgetResult(conn->pg);

        if (res == NULL) {
            ngx_http_certhall_db_done(conn);
            return;
        }

        /* one statement, one result; should more come, an error wins */

        if (conn->result == NULL) {
            conn->result = res;

        } else if (PQresultStatus(res) == PGRES_FATAL_ERROR) {
            PQclear(conn->result);
            conn->result = res;

        } else {
            PQclear(res);
        }
    }
}


/* the statement on conn has finished: its result is in conn->result */

static void
ngx_http_certhall_db_done(ngx_http_certhall_db_conn_t *conn)
{
    PGresult                      *res;
    ngx_http_certhall_db_query_t  *q;

    res = conn->result;
    conn->result = NULL;

    if (conn->timer.timer_set) {
        ngx_del_timer(&conn->timer);
    }

    if (conn->state == NGX_HTTP_CERTHALL_DB_PREPARING) {

        if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
            ngx_log_error(NGX_LOG_ERR, conn->pool->log, 0,
                          "certhall: database: preparing \"%s\" failed: %s",
                          ngx_http_certhall_statements[conn->prepared].name,
                          res ? PQresultErrorMessage(res) : "no result");
            PQclear(res);
            ngx_http_certhall_db_fail(conn, NULL);
            return;
        }

        PQclear(res);
        conn->prepared++;
        ngx_http_certhall_db_prepare_next(conn);
        return;
    }

    q = conn->query;
    conn->query = NULL;

    if (q) {
        q->conn = NULL;
    }

    /*
     * The server may have ended the session with the statement (a FATAL
     * error: shutdown, pg_terminate_backend).  And every statement is one
     * implicit transaction; a connection left in any other transaction
     * state is not fit to be reused.
     */

    if (PQstatus(conn->pg) != CONNECTION_OK) {
        ngx_log_error(NGX_LOG_INFO, conn->pool->log, 0,
                      "certhall: database connection %ui was closed by the "
                      "server", conn->index);
        ngx_http_certhall_db_close(conn);
        ngx_http_certhall_db_retry(conn);

    } else if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE) {
        ngx_log_error(NGX_LOG_ALERT, conn->pool->log, 0,
                      "certhall: database connection %ui left in a "
                      "transaction, closing it", conn->index);
        ngx_http_certhall_db_close(conn);
        ngx_http_certhall_db_retry(conn);

    } else {
        /* released first, so a done handler's next query may reuse it */
        ngx_http_certhall_db_release(conn);
    }

    if (q == NULL) {
        /* the client went away meanwhile: the result is drained */
        PQclear(res);
        return;
    }

    ngx_http_certhall_db_deliver(q, res);
}


static void
ngx_http_certhall_db_deliver(ngx_http_certhall_db_query_t *q, PGresult *res)
{
    ngx_int_t             rc;
    ngx_connection_t     *c;
    ngx_http_request_t   *r;
    ExecStatusType        status;

    r = q->request;
    c = r->connection;

    status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
        rc = q->done(r, res, q->data);

    } else {
        if (q->failed) {
            q->failed(r, q->data);
        }

        rc = ngx_http_certhall_db_error(r, res);
        PQclear(res);
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_certhall_db_close(ngx_http_certhall_db_conn_t *conn)
{
    if (conn->timer.timer_set) {
        ngx_del_timer(&conn->timer);
    }

    if (conn->state == NGX_HTTP_CERTHALL_DB_IDLE) {
        ngx_queue_remove(&conn->idle);
    }

    ngx_http_certhall_db_detach(conn);

    if (conn->result) {
        PQclear(conn->result);
        conn->result = NULL;
    }

    if (conn->pg) {
        PQfinish(conn->pg);
        conn->pg = NULL;
    }

    conn->state = NGX_HTTP_CERTHALL_DB_CLOSED;
}


/*
 * The connection is broken: close it, answer its request 503, schedule a
 * reconnection, and if no connection is left that could serve the waiting
 * requests, answer them 503 too rather than let them time out.
 */

static void
ngx_http_certhall_db_fail(ngx_http_certhall_db_conn_t *conn,
    const char *what)
{
    ngx_uint_t                     level;
    ngx_http_certhall_db_pool_t   *pool;
    ngx_http_certhall_db_query_t  *q;

    pool = conn->pool;

    if (what) {
        /* the first failure of a streak is an error, the retries are not */
        level = conn->backoff ? NGX_LOG_INFO : NGX_LOG_ERR;

        ngx_log_error(level, pool->log, 0,
                      "certhall: database connection %ui: %s failed: %s",
                      conn->index, what,
                      conn->pg ? PQerrorMessage(conn->pg) : "no connection");
    }

    q = conn->query;
    conn->query = NULL;

    ngx_http_certhall_db_close(conn);
    ngx_http_certhall_db_retry(conn);

    if (q) {
        q->conn = NULL;
        ngx_http_certhall_db_unavailable(q, "database_unavailable",
                                         NGX_HTTP_CERTHALL_RETRY_DOWN);
    }

    if (!ngx_http_certhall_db_alive(pool)) {
        ngx_http_certhall_db_fail_waiting(pool);
    }
}


static void
ngx_http_certhall_db_retry(ngx_http_certhall_db_conn_t *conn)
{
    if (conn->backoff == 0) {
        conn->backoff = NGX_HTTP_CERTHALL_DB_RETRY_MIN;

    } else if (conn->backoff < NGX_HTTP_CERTHALL_DB_RETRY_MAX) {
        conn->backoff = ngx_min(conn->backoff * 2,
                                NGX_HTTP_CERTHALL_DB_RETRY_MAX);
    }

    /* a pending retry must not keep an exiting worker alive */
    conn->timer.cancelable = 1;

    if (conn->timer.timer_set) {
        ngx_del_timer(&conn->timer);
    }

    ngx_add_timer(&conn->timer, conn->backoff);
}


/* can any connection serve a request soon? */

static ngx_uint_t
ngx_http_certhall_db_alive(ngx_http_certhall_db_pool_t *pool)
{
    ngx_uint_t  i;

    for (i = 0; i < pool->conf->pool_size; i++) {
        if (pool->conns[i].state != NGX_HTTP_CERTHALL_DB_CLOSED) {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_certhall_db_fail_waiting(ngx_http_certhall_db_pool_t *pool)
{
    ngx_http_certhall_db_query_t  *q;

    while ((q = ngx_http_certhall_db_dequeue(pool)) != NULL) {
        ngx_http_certhall_db_unavailable(q, "database_unavailable",
                                         NGX_HTTP_CERTHALL_RETRY_DOWN);
    }
}


/* the oldest waiting query, taken off the queue; NULL when none waits */

static ngx_http_certhall_db_query_t *
ngx_http_certhall_db_dequeue(ngx_http_certhall_db_pool_t *pool)
{
    ngx_http_certhall_db_query_t  *q;

    if (ngx_queue_empty(&pool->waiting)) {
        return NULL;
    }

    q = ngx_queue_data(ngx_queue_head(&pool->waiting),
                       ngx_http_certhall_db_query_t, queue);

    ngx_http_certhall_db_unqueue(q);

    return q;
}


static void
ngx_http_certhall_db_unqueue(ngx_http_certhall_db_query_t *q)
{
    if (q->queued) {
        ngx_queue_remove(&q->queue);
        q->queued = 0;
        ngx_http_certhall_db_pool->nwaiting--;
    }

    if (q->wait.timer_set) {
        ngx_del_timer(&q->wait);
    }
}


static void
ngx_http_certhall_db_timer_handler(ngx_event_t *ev)
{
    ngx_http_certhall_db_conn_t  *conn;

    conn = ev->data;

    switch (conn->state) {

    case NGX_HTTP_CERTHALL_DB_CLOSED:
        ngx_http_certhall_db_connect(conn);
        return;

    case NGX_HTTP_CERTHALL_DB_CONNECTING:
        ngx_log_error(NGX_LOG_ERR, conn->pool->log, 0,
                      "certhall: database connection %ui: connect timed out",
                      conn->index);
        ngx_http_certhall_db_fail(conn, NULL);
        return;

    default:
        /*
         * A statement ran past certhall_db_query_timeout.  Cancelling it
         * would need PQcancel, which blocks; closing the connection ends
         * the statement on the server as well.
         */
        ngx_log_error(NGX_LOG_ERR, conn->pool->log, 0,
                      "certhall: database connection %ui: statement timed "
                      "out, closing the connection", conn->index);
        ngx_http_certhall_db_fail(conn, NULL);
        return;
    }
}


static void
ngx_http_certhall_db_wait_handler(ngx_event_t *ev)
{
    ngx_http_certhall_db_query_t  *q;

    q = ev->data;

    ngx_http_certhall_db_unqueue(q);

    ngx_log_error(NGX_LOG_WARN, q->request->connection->log, 0,
                  "certhall: no database connection became free in time");

    ngx_http_certhall_db_unavailable(q, "server_busy",
                                     NGX_HTTP_CERTHALL_RETRY_BUSY);
}


/* the request is going away (finished, or its client left) */

static void
ngx_http_certhall_db_query_cleanup(void *data)
{
    ngx_http_certhall_db_query_t  *q = data;

    ngx_http_certhall_db_unqueue(q);

    if (q->conn) {
        /* the connection drains the result and goes back to the pool */
        q->conn->query = NULL;
        q->conn = NULL;
    }
}


static void
ngx_http_certhall_db_unavailable(ngx_http_certhall_db_query_t *q,
    const char *code, time_t retry_after)
{
    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = q->request;
    c = r->connection;

    if (q->failed) {
        q->failed(r, q->data);
    }

    if (retry_after == NGX_HTTP_CERTHALL_RETRY_BUSY) {
        rc = ngx_http_certhall_send_unavailable(r, code,
                                                "服务繁忙，请稍后再试",
                                                retry_after);
    } else {
        rc = ngx_http_certhall_send_unavailable(r, code,
                                                "数据库暂时不可用，请稍后再试",
                                                retry_after);
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/*
 * Maps a failed statement to the API's error model.  The SQL functions
 * raise SQLSTATE "CHnnn" where nnn is the HTTP status, with the Chinese
 * message as MESSAGE, the stable code as DETAIL and the form field as
 * COLUMN; anything else is the server's fault and is logged.
 */

ngx_int_t
ngx_http_certhall_db_error(ngx_http_request_t *r, PGresult *res)
{
    char        *state, *message, *code, *field;
    ngx_uint_t   status;

    state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    if (state && state[0] == 'C' && state[1] == 'H'
        && state[2] == '4'
        && state[3] >= '0' && state[3] <= '9'
        && state[4] >= '0' && state[4] <= '9' && state[5] == '\0')
    {
        status = 400 + (state[3] - '0') * 10 + (state[4] - '0');
        message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        code = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        field = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);

        return ngx_http_certhall_send_error(r, status,
                                            code ? code : "refused", field,
                                            message ? message : "请求被拒绝");
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "certhall: database: %s %s", state ? state : "-",
                  res ? PQresultErrorMessage(res) : "no result");

    /* connection exceptions, shutdown, out of resources: try again later */

    if (state && (ngx_strncmp(state, "08", 2) == 0
                  || ngx_strncmp(state, "57P", 3) == 0
                  || ngx_strncmp(state, "53", 2) == 0))
    {
        return ngx_http_certhall_send_unavailable(r, "database_unavailable",
                                            "数据库暂时不可用，请稍后再试",
                                            NGX_HTTP_CERTHALL_RETRY_DOWN);
    }

    return ngx_http_certhall_send_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "internal_error", NULL,
                                        "服务器内部错误，请稍后再试");
}


/*
 * The done handler of statements whose one value is the JSON answer: the
 * bytes go out as they came, from the PGresult itself, which is freed with
 * the request.  data, if set, points to the HTTP status (default 200).
 */

ngx_int_t
ngx_http_certhall_db_send_value(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    ngx_uint_t  status;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: database: expected one value, got %d rows "
                      "of %d columns", PQntuples(res), PQnfields(res));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    status = data ? *(ngx_uint_t *) data : NGX_HTTP_OK;

    return ngx_http_certhall_send_json(r, status,
                                       (u_char *) PQgetvalue(res, 0, 0),
                                       PQgetlength(res, 0, 0));
}


static void
ngx_http_certhall_db_clear_result(void *data)
{
    PQclear(data);
}


static void
ngx_http_certhall_db_notice(void *arg, const char *message)
{
    ngx_http_certhall_db_conn_t  *conn = arg;

    ngx_log_error(NGX_LOG_NOTICE, conn->pool->log, 0,
                  "certhall: database: %s", message);
}


/*
 * Makes res live as long as the request, so that its values can be sent
 * without a copy; res is cleared here if that fails.
 */

ngx_int_t
ngx_http_certhall_db_keep(ngx_http_request_t *r, PGresult *res)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        PQclear(res);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_certhall_db_clear_result;
    cln->data = res;

    return NGX_OK;
}
