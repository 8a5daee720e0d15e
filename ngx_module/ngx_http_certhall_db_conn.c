/*
 * One connection of the pool, through its life: connecting, preparing
 * every statement, running one statement at a time, failing, and
 * reconnecting with backoff.
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
 * A connection is started at the worker's start, from its own timer (the
 * backoff after a failure) or from the pool's reconnect event (a request
 * found none free): never inside a request's handler, since starting one
 * may look a host up.  certhall_db's host check at nginx -t makes that
 * lookup unnecessary (ngx_http_certhall_db_conf.c).
 */

#include "ngx_http_certhall_db_pool.h"


static ngx_int_t ngx_http_certhall_db_attach(
    ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_detach(ngx_http_certhall_db_conn_t *conn);
static ngx_uint_t ngx_http_certhall_db_same_socket(
    ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_connect_poll(
    ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_prepare_next(
    ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_sent(ngx_http_certhall_db_conn_t *conn,
    int sent, const char *what);
static ngx_int_t ngx_http_certhall_db_flush(
    ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_collect(ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_done(ngx_http_certhall_db_conn_t *conn);
static void ngx_http_certhall_db_fail(ngx_http_certhall_db_conn_t *conn,
    const char *what);
static void ngx_http_certhall_db_retry(ngx_http_certhall_db_conn_t *conn);
static ngx_uint_t ngx_http_certhall_db_outcome_unknown(
    ngx_http_certhall_db_conn_t *conn, const char *what);
static ngx_uint_t ngx_http_certhall_db_server_error(PGresult *res);
static void ngx_http_certhall_db_read_handler(ngx_event_t *rev);
static void ngx_http_certhall_db_write_handler(ngx_event_t *wev);
static void ngx_http_certhall_db_timer_handler(ngx_event_t *ev);
static void ngx_http_certhall_db_notice(void *arg, const char *message);


void
ngx_http_certhall_db_conn_init(ngx_http_certhall_db_pool_t *pool,
    ngx_http_certhall_db_conn_t *conn, ngx_uint_t index)
{
    conn->pool = pool;
    conn->index = index;
    conn->timer.handler = ngx_http_certhall_db_timer_handler;
    conn->timer.data = conn;
    conn->timer.log = pool->log;
}


void
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
    return ngx_http_certhall_pg_attach(conn->pg, &conn->c, &conn->sock_ino,
                                       conn, ngx_http_certhall_db_read_handler,
                                       ngx_http_certhall_db_write_handler,
                                       conn->pool->log);
}


static void
ngx_http_certhall_db_detach(ngx_http_certhall_db_conn_t *conn)
{
    ngx_http_certhall_pg_detach(conn->pg, &conn->c, conn->sock_ino);
}


static ngx_uint_t
ngx_http_certhall_db_same_socket(ngx_http_certhall_db_conn_t *conn)
{
    return ngx_http_certhall_pg_same_socket(conn->pg, conn->c,
                                            conn->sock_ino);
}


/*
 * A libpq connection's socket in nginx's event loop, shared by the pool's
 * connections and each worker's listening connection
 * (ngx_http_certhall_db_listen.c): *cp wraps PQsocket(pg), *ino tells
 * which socket it was, read events are registered (level-triggered).
 */

ngx_int_t
ngx_http_certhall_pg_attach(PGconn *pg, ngx_connection_t **cp, ino_t *ino,
    void *data, ngx_event_handler_pt read, ngx_event_handler_pt write,
    ngx_log_t *log)
{
    ngx_socket_t       s;
    ngx_file_info_t    st;
    ngx_connection_t  *c;

    s = PQsocket(pg);

    if (s == (ngx_socket_t) -1) {
        return NGX_ERROR;
    }

    if (fstat(s, &st) == -1) {
        return NGX_ERROR;
    }

    c = ngx_get_connection(s, log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    *ino = st.st_ino;

    c->data = data;
    c->read->handler = read;
    c->write->handler = write;
    c->read->log = log;
    c->write->log = log;

    *cp = c;

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

void
ngx_http_certhall_pg_detach(PGconn *pg, ngx_connection_t **cp, ino_t ino)
{
    ngx_uint_t         flags;
    ngx_connection_t  *c;

    c = *cp;

    if (c == NULL) {
        return;
    }

    flags = ngx_http_certhall_pg_same_socket(pg, c, ino) ? 0 : NGX_CLOSE_EVENT;

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

    *cp = NULL;
}


/*
 * Is the socket nginx watches still libpq's socket?  Not when libpq has
 * closed it, nor when it opened another one that got the same number.
 */

ngx_uint_t
ngx_http_certhall_pg_same_socket(PGconn *pg, ngx_connection_t *c, ino_t ino)
{
    ngx_socket_t     s;
    ngx_file_info_t  st;

    if (pg == NULL) {
        return 0;
    }

    s = PQsocket(pg);

    if (s == (ngx_socket_t) -1 || s != c->fd || fstat(s, &st) == -1) {
        return 0;
    }

    return st.st_ino == ino;
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


void
ngx_http_certhall_db_start(ngx_http_certhall_db_conn_t *conn,
    ngx_http_certhall_db_query_t *q)
{
    ngx_http_certhall_stmt_t  *stmt;

    stmt = &ngx_http_certhall_statements[q->stmt];

    conn->state = NGX_HTTP_CERTHALL_DB_BUSY;
    conn->query = q;
    q->conn = conn;
    ngx_http_certhall_db_count(conn, q);

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

        /*
         * Without the server's own error for the statement (libpq's "server
         * closed the connection unexpectedly" has no SQLSTATE), it may have
         * committed before the connection went.
         */

        if (q && !ngx_http_certhall_db_server_error(res)) {
            q->interrupted = 1;
        }
        ngx_http_certhall_db_close(conn);
        ngx_http_certhall_db_retry(conn);
        ngx_http_certhall_db_dispatch(conn->pool);

    } else if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE) {
        ngx_log_error(NGX_LOG_ALERT, conn->pool->log, 0,
                      "certhall: database connection %ui left in a "
                      "transaction, closing it", conn->index);
        ngx_http_certhall_db_close(conn);
        ngx_http_certhall_db_retry(conn);
        ngx_http_certhall_db_dispatch(conn->pool);

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


void
ngx_http_certhall_db_close(ngx_http_certhall_db_conn_t *conn)
{
    if (conn->timer.timer_set) {
        ngx_del_timer(&conn->timer);
    }

    if (conn->state == NGX_HTTP_CERTHALL_DB_IDLE) {
        ngx_queue_remove(&conn->idle);
    }

    ngx_http_certhall_db_uncount(conn);
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

    if (q && ngx_http_certhall_db_outcome_unknown(conn, what)) {
        q->interrupted = 1;
    }

    ngx_http_certhall_db_close(conn);
    ngx_http_certhall_db_retry(conn);

    if (q) {
        q->conn = NULL;
        ngx_http_certhall_db_unavailable(q, 0);
    }

    if (!ngx_http_certhall_db_alive(pool)) {
        ngx_http_certhall_db_fail_waiting(pool);

    } else {
        ngx_http_certhall_db_dispatch(pool);
    }
}


/*
 * Could the statement on a failing connection have committed?  It runs as
 * one implicit transaction, committed when the server has its Sync, the
 * last message libpq sends for it.  So not when sending failed (the Sync
 * never went out in full), nor when the server said why it ended the
 * statement (its error, with a SQLSTATE: the transaction was rolled back).
 * But a receive failure without that (the server killed, the connection
 * reset) or the statement's time limit (closing the connection does not
 * stop a statement the server already has) leaves it unknown.
 */

static ngx_uint_t
ngx_http_certhall_db_outcome_unknown(ngx_http_certhall_db_conn_t *conn,
    const char *what)
{
    ngx_uint_t   server_error;
    PGresult    *res;

    if (conn->state != NGX_HTTP_CERTHALL_DB_BUSY || conn->pg == NULL) {
        return 0;
    }

    if (what && ngx_strcmp(what, "send") == 0) {
        return 0;
    }

    if (what == NULL) {
        /* the time limit: the server may still run it to its commit */
        return 1;
    }

    /* what libpq read before the connection broke: the server's error? */

    server_error = ngx_http_certhall_db_server_error(conn->result);

    while (!server_error && !PQisBusy(conn->pg)) {
        res = PQgetResult(conn->pg);

        if (res == NULL) {
            break;
        }

        server_error = ngx_http_certhall_db_server_error(res);
        PQclear(res);
    }

    return !server_error;
}


/* an error the server raised (a SQLSTATE of its own, not a lost link) */

static ngx_uint_t
ngx_http_certhall_db_server_error(PGresult *res)
{
    char  *state;

    if (res == NULL || PQresultStatus(res) != PGRES_FATAL_ERROR) {
        return 0;
    }

    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    return state != NULL && ngx_strncmp(state, "08", 2) != 0;
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
ngx_http_certhall_db_notice(void *arg, const char *message)
{
    ngx_http_certhall_db_conn_t  *conn = arg;

    ngx_log_error(NGX_LOG_NOTICE, conn->pool->log, 0,
                  "certhall: database: %s", message);
}
