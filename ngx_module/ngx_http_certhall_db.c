/*
 * The per-worker pool of non-blocking PostgreSQL connections, and the
 * queue of the requests waiting for one (a connection's own life is in
 * ngx_http_certhall_db_conn.c).
 *
 * A request that finds no idle connection waits in a bounded queue; past
 * the bound or the wait's time limit it gets 503 with Retry-After.  There
 * is a queue for each class of statement (ngx_http_certhall_db_class_e):
 * a freed connection serves the cheap queue first, but at most
 * NGX_HTTP_CERTHALL_DB_CHEAP_RUN of them in a row while a normal request
 * could run, so neither queue starves; and normal statements never hold
 * more than pool_size - certhall_db_reserved connections, so that a cheap
 * one (the health check, a catalog read) finds a connection even while
 * every other one waits on a slow statement or a lock.  A cheap request's
 * wait is then that of the cheap requests ahead of it, not of the normal
 * ones.  A
 * connection that breaks is closed, its request answered 503, and it is
 * reconnected with exponential backoff, or at once when a request needs
 * it: then from the pool's reconnect event, posted by the request, which
 * waits in the queue meanwhile as for a busy connection.  A request whose
 * client goes away leaves its query running; the connection drains the
 * result and returns to the pool clean.
 */

#include "ngx_http_certhall_db_pool.h"


static ngx_uint_t ngx_http_certhall_db_open(ngx_http_certhall_db_pool_t *pool);
static void ngx_http_certhall_db_reconnect_soon(
    ngx_http_certhall_db_pool_t *pool);
static void ngx_http_certhall_db_reconnect_handler(ngx_event_t *ev);
static ngx_uint_t ngx_http_certhall_db_may_start(
    ngx_http_certhall_db_pool_t *pool, ngx_uint_t cls);
static ngx_http_certhall_db_query_t *ngx_http_certhall_db_dequeue(
    ngx_http_certhall_db_pool_t *pool);
static ngx_http_certhall_db_query_t *ngx_http_certhall_db_take(
    ngx_http_certhall_db_pool_t *pool, ngx_uint_t cls);
static void ngx_http_certhall_db_unqueue(ngx_http_certhall_db_query_t *q);
static void ngx_http_certhall_db_wait_handler(ngx_event_t *ev);
static void ngx_http_certhall_db_query_cleanup(void *data);


/* this worker's pool; NULL where certhall_db is not configured */
static ngx_http_certhall_db_pool_t  *ngx_http_certhall_db_pool;


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

    for (i = 0; i < NGX_HTTP_CERTHALL_DB_NCLASSES; i++) {
        ngx_queue_init(&pool->waiting[i]);
    }

    pool->reconnect.handler = ngx_http_certhall_db_reconnect_handler;
    pool->reconnect.data = pool;
    pool->reconnect.log = cycle->log;

    ngx_http_certhall_db_pool = pool;

    /* connect at once, so the first requests find connections ready */

    for (i = 0; i < dbcf->pool_size; i++) {
        conn = &pool->conns[i];
        ngx_http_certhall_db_conn_init(pool, conn, i);
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

    if (pool->reconnect.posted) {
        ngx_delete_posted_event(&pool->reconnect);
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

    if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        return ngx_http_certhall_internal_error(r);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    q = ngx_http_certhall_db_query(r, stmt);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
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
    ngx_uint_t                    cls;
    ngx_queue_t                  *head;
    ngx_http_cleanup_t           *cln;
    ngx_http_certhall_db_pool_t  *pool;
    ngx_http_certhall_db_conn_t  *conn;

    pool = ngx_http_certhall_db_pool;
    cls = ngx_http_certhall_statements[q->stmt].cls;

    if (pool == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "certhall: no database pool in this process");
        return ngx_http_certhall_internal_error(r);
    }

    if (ngx_queue_empty(&pool->idle)) {

        /*
         * A request needs a connection: closed ones are retried now rather
         * than after their backoff, from the pool's event, so that none is
         * started (nor a host looked up) in a request's handler; the
         * request waits in the queue meanwhile, and is answered 503 from
         * there if none of them connects.
         */

        ngx_http_certhall_db_reconnect_soon(pool);
    }

    if (!ngx_http_certhall_db_may_start(pool, cls)) {

        if (pool->nwaiting[cls] >= pool->conf->queue_size) {
            if (q->failed) {
                q->failed(r, q->data);
            }

            /* no connection at all is not a busy database */

            if (!ngx_http_certhall_db_open(pool)) {
                return ngx_http_certhall_database_unavailable(r);
            }

            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "certhall: database queue is full (%ui requests) "
                          "for %s statements", pool->nwaiting[cls],
                          cls == NGX_HTTP_CERTHALL_DB_CHEAP ? "cheap"
                                                            : "normal");

            return ngx_http_certhall_server_busy(r);
        }
    }

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    cln->handler = ngx_http_certhall_db_query_cleanup;
    cln->data = q;

    q->request = r;
    r->main->count++;

    /* notice a client that goes away while the query runs */
    if (r == r->main) {
        r->read_event_handler = ngx_http_test_reading;
    }

    if (ngx_http_certhall_db_may_start(pool, cls)) {
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

    ngx_queue_insert_tail(&pool->waiting[cls], &q->queue);
    q->queued = 1;
    pool->nwaiting[cls]++;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall db: queued, %ui waiting (%s)", pool->nwaiting[cls],
                   cls == NGX_HTTP_CERTHALL_DB_CHEAP ? "cheap" : "normal");

    return NGX_DONE;
}


/*
 * May a statement of class cls start now?  There must be an idle
 * connection, and a normal statement must leave the reserved ones free.
 */

static ngx_uint_t
ngx_http_certhall_db_may_start(ngx_http_certhall_db_pool_t *pool,
    ngx_uint_t cls)
{
    if (ngx_queue_empty(&pool->idle)) {
        return 0;
    }

    return cls == NGX_HTTP_CERTHALL_DB_CHEAP
           || pool->nnormal < pool->conf->pool_size - pool->conf->reserved;
}


/* conn starts q: a normal statement counts against the reservation */

void
ngx_http_certhall_db_count(ngx_http_certhall_db_conn_t *conn,
    ngx_http_certhall_db_query_t *q)
{
    if (ngx_http_certhall_statements[q->stmt].cls
        == NGX_HTTP_CERTHALL_DB_NORMAL)
    {
        conn->normal = 1;
        conn->pool->nnormal++;
    }
}


/* conn's statement has ended (its connection released or closed) */

void
ngx_http_certhall_db_uncount(ngx_http_certhall_db_conn_t *conn)
{
    if (conn->normal) {
        conn->normal = 0;
        conn->pool->nnormal--;
    }
}


/* an idle connection serves the next waiting request, or waits itself */

void
ngx_http_certhall_db_release(ngx_http_certhall_db_conn_t *conn)
{
    ngx_http_certhall_db_query_t  *q;

    conn->state = NGX_HTTP_CERTHALL_DB_IDLE;
    ngx_http_certhall_db_uncount(conn);

    q = ngx_http_certhall_db_dequeue(conn->pool);

    if (q) {
        ngx_http_certhall_db_start(conn, q);
        return;
    }

    /* last in, first out: the busiest connections stay warm */
    ngx_queue_insert_head(&conn->pool->idle, &conn->idle);
}


void
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

    } else if (q->interrupted) {
        if (q->failed) {
            q->failed(r, q->data);
        }

        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "certhall: database: the connection broke before the "
                      "statement's outcome came: %s",
                      res ? PQresultErrorMessage(res) : "no result");

        rc = ngx_http_certhall_database_interrupted(r);
        PQclear(res);

    } else {
        if (q->failed) {
            q->failed(r, q->data);
        }

        rc = ngx_http_certhall_send_db_error(r, res);
        PQclear(res);
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/*
 * A connection has closed: a normal request it held back (past the
 * reservation) may now take an idle connection, rather than wait for the
 * next one to come free.
 */

void
ngx_http_certhall_db_dispatch(ngx_http_certhall_db_pool_t *pool)
{
    ngx_queue_t                   *head;
    ngx_http_certhall_db_conn_t   *conn;
    ngx_http_certhall_db_query_t  *q;

    while (!ngx_queue_empty(&pool->idle)) {
        q = ngx_http_certhall_db_dequeue(pool);

        if (q == NULL) {
            return;
        }

        head = ngx_queue_head(&pool->idle);
        ngx_queue_remove(head);
        conn = ngx_queue_data(head, ngx_http_certhall_db_conn_t, idle);

        ngx_http_certhall_db_start(conn, q);
    }
}


/*
 * Can any connection serve a request soon?  One that is open, or one the
 * reconnect event is about to start.
 */

ngx_uint_t
ngx_http_certhall_db_alive(ngx_http_certhall_db_pool_t *pool)
{
    return pool->reconnect.posted || pool->reconnecting
           || ngx_http_certhall_db_open(pool);
}


/* is any connection open (connecting, preparing, idle or busy)? */

static ngx_uint_t
ngx_http_certhall_db_open(ngx_http_certhall_db_pool_t *pool)
{
    ngx_uint_t  i;

    for (i = 0; i < pool->conf->pool_size; i++) {
        if (pool->conns[i].state != NGX_HTTP_CERTHALL_DB_CLOSED) {
            return 1;
        }
    }

    return 0;
}


/* posts the reconnect event if a connection is closed (once until it runs) */

static void
ngx_http_certhall_db_reconnect_soon(ngx_http_certhall_db_pool_t *pool)
{
    ngx_uint_t  i;

    if (pool->reconnect.posted) {
        return;
    }

    for (i = 0; i < pool->conf->pool_size; i++) {
        if (pool->conns[i].state == NGX_HTTP_CERTHALL_DB_CLOSED) {
            ngx_post_event(&pool->reconnect, &ngx_posted_events);
            return;
        }
    }
}


/*
 * Starts every closed connection now, ahead of its backoff.  One that
 * fails at once must not fail the waiting requests while the next may
 * still connect: they are failed here, once all have been tried, if none
 * could.
 */

static void
ngx_http_certhall_db_reconnect_handler(ngx_event_t *ev)
{
    ngx_uint_t                    i;
    ngx_http_certhall_db_pool_t  *pool;
    ngx_http_certhall_db_conn_t  *conn;

    pool = ev->data;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, pool->log, 0,
                   "certhall db: reconnecting for the waiting requests");

    pool->reconnecting = 1;

    for (i = 0; i < pool->conf->pool_size; i++) {
        conn = &pool->conns[i];

        if (conn->state == NGX_HTTP_CERTHALL_DB_CLOSED) {
            if (conn->timer.timer_set) {
                ngx_del_timer(&conn->timer);
            }

            ngx_http_certhall_db_connect(conn);
        }
    }

    pool->reconnecting = 0;

    if (!ngx_http_certhall_db_alive(pool)) {
        ngx_http_certhall_db_fail_waiting(pool);
    }
}


void
ngx_http_certhall_db_fail_waiting(ngx_http_certhall_db_pool_t *pool)
{
    ngx_uint_t                     cls;
    ngx_http_certhall_db_query_t  *q;

    for (cls = 0; cls < NGX_HTTP_CERTHALL_DB_NCLASSES; cls++) {
        while ((q = ngx_http_certhall_db_take(pool, cls)) != NULL) {
            ngx_http_certhall_db_unavailable(q, 0);
        }
    }
}


/*
 * The waiting query a freed connection serves next, taken off its queue;
 * NULL when none may start.  Cheap first, but not more than
 * NGX_HTTP_CERTHALL_DB_CHEAP_RUN in a row past a normal one that may
 * start (the connection just freed is no longer counted in nnormal).
 */

static ngx_http_certhall_db_query_t *
ngx_http_certhall_db_dequeue(ngx_http_certhall_db_pool_t *pool)
{
    ngx_uint_t  normal_may_start;

    normal_may_start =
        !ngx_queue_empty(&pool->waiting[NGX_HTTP_CERTHALL_DB_NORMAL])
        && pool->nnormal < pool->conf->pool_size - pool->conf->reserved;

    if (!ngx_queue_empty(&pool->waiting[NGX_HTTP_CERTHALL_DB_CHEAP])
        && (!normal_may_start
            || pool->cheap_run < NGX_HTTP_CERTHALL_DB_CHEAP_RUN))
    {
        if (normal_may_start) {
            pool->cheap_run++;
        }

        return ngx_http_certhall_db_take(pool, NGX_HTTP_CERTHALL_DB_CHEAP);
    }

    if (normal_may_start) {
        pool->cheap_run = 0;
        return ngx_http_certhall_db_take(pool, NGX_HTTP_CERTHALL_DB_NORMAL);
    }

    return NULL;
}


/* the oldest query of class cls, taken off its queue; NULL when none */

static ngx_http_certhall_db_query_t *
ngx_http_certhall_db_take(ngx_http_certhall_db_pool_t *pool, ngx_uint_t cls)
{
    ngx_http_certhall_db_query_t  *q;

    if (ngx_queue_empty(&pool->waiting[cls])) {
        return NULL;
    }

    q = ngx_queue_data(ngx_queue_head(&pool->waiting[cls]),
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
        ngx_http_certhall_db_pool
            ->nwaiting[ngx_http_certhall_statements[q->stmt].cls]--;
    }

    if (q->wait.timer_set) {
        ngx_del_timer(&q->wait);
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

    ngx_http_certhall_db_unavailable(q, 1);
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


/*
 * Answers q's request 503: server_busy when every connection was busy for
 * too long, database_unavailable when none could serve it
 */

void
ngx_http_certhall_db_unavailable(ngx_http_certhall_db_query_t *q,
    ngx_uint_t busy)
{
    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = q->request;
    c = r->connection;

    if (q->failed) {
        q->failed(r, q->data);
    }

    rc = busy ? ngx_http_certhall_server_busy(r)
         : q->interrupted ? ngx_http_certhall_database_interrupted(r)
         : ngx_http_certhall_database_unavailable(r);

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}
