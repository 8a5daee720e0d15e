/*
 * The worker's listening connection: one PostgreSQL connection besides
 * the pool that runs LISTEN certhall_catalog and nothing else, and hands
 * each notice the catalog's triggers send (sql/functions/
 * 21_catalog_notify.sql) to the catalog cache (ngx_http_certhall_cache.c).
 *
 * The cache keeps answers only while this connection is listening: from
 * LISTEN's success to the connection's end.  When it breaks (the server
 * restarted, pg_terminate_backend, a network fault) the cache drops
 * everything, requests go to the database through the pool as without a
 * cache, and the connection is made again with the pool's backoff (100 ms
 * doubling to 5 s); once LISTEN has succeeded again, the next requests
 * fill the cache anew.
 *
 * The same event-loop discipline as the pool's connections
 * (ngx_http_certhall_db_conn.c, which says why): libpq in non-blocking mode
 * only, PQconnectStartParams / PQconnectPoll to connect, PQsendQuery and
 * PQflush to send LISTEN, PQconsumeInput and PQnotifies to read; the
 * socket's events are level-triggered; a socket libpq may have closed or
 * replaced is checked by its inode before nginx lets go of it.  The
 * connection is started at the worker's start and from its own timer,
 * never inside a request.
 */

#include "ngx_http_certhall_cache.h"
#include "ngx_http_certhall_db_pool.h"


typedef enum {
    NGX_HTTP_CERTHALL_LISTEN_CLOSED = 0,
    NGX_HTTP_CERTHALL_LISTEN_CONNECTING,
    NGX_HTTP_CERTHALL_LISTEN_SUBSCRIBING,   /* LISTEN sent */
    NGX_HTTP_CERTHALL_LISTEN_LISTENING
} ngx_http_certhall_listen_state_e;


typedef struct {
    PGconn                          *pg;
    ngx_connection_t                *c;
    ngx_http_certhall_db_conf_t     *conf;
    ngx_log_t                       *log;
    ngx_event_t                      timer;     /* connect, LISTEN, retry */
    ngx_msec_t                       backoff;
    ngx_uint_t                       state;
    ino_t                            sock_ino;
    unsigned                         refused:1; /* LISTEN's own error */
} ngx_http_certhall_listen_t;


static void ngx_http_certhall_listen_connect(ngx_http_certhall_listen_t *l);
static ngx_int_t ngx_http_certhall_listen_attach(
    ngx_http_certhall_listen_t *l);
static void ngx_http_certhall_listen_detach(ngx_http_certhall_listen_t *l);
static ngx_uint_t ngx_http_certhall_listen_same_socket(
    ngx_http_certhall_listen_t *l);
static void ngx_http_certhall_listen_poll(ngx_http_certhall_listen_t *l);
static ngx_int_t ngx_http_certhall_listen_flush(
    ngx_http_certhall_listen_t *l);
static void ngx_http_certhall_listen_receive(ngx_http_certhall_listen_t *l);
static void ngx_http_certhall_listen_notices(ngx_http_certhall_listen_t *l);
static void ngx_http_certhall_listen_fail(ngx_http_certhall_listen_t *l,
    const char *what);
static void ngx_http_certhall_listen_close(ngx_http_certhall_listen_t *l);
static void ngx_http_certhall_listen_read_handler(ngx_event_t *rev);
static void ngx_http_certhall_listen_write_handler(ngx_event_t *wev);
static void ngx_http_certhall_listen_timer_handler(ngx_event_t *ev);
static void ngx_http_certhall_listen_notice(void *arg, const char *message);


static ngx_http_certhall_listen_t  *ngx_http_certhall_listen;


ngx_int_t
ngx_http_certhall_db_listen_init_process(ngx_cycle_t *cycle,
    ngx_http_certhall_db_conf_t *dbcf)
{
    ngx_http_certhall_listen_t  *l;

    l = ngx_pcalloc(cycle->pool, sizeof(ngx_http_certhall_listen_t));
    if (l == NULL) {
        return NGX_ERROR;
    }

    l->conf = dbcf;
    l->log = cycle->log;
    l->timer.handler = ngx_http_certhall_listen_timer_handler;
    l->timer.data = l;
    l->timer.log = cycle->log;

    ngx_http_certhall_listen = l;

    ngx_http_certhall_listen_connect(l);

    return NGX_OK;
}


void
ngx_http_certhall_db_listen_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_certhall_listen) {
        ngx_http_certhall_listen_close(ngx_http_certhall_listen);
        ngx_http_certhall_listen = NULL;
    }
}


/*
 * Reads the notices already on the socket, now: called by a request that
 * could be served from the cache, so that a change whose notice has
 * arrived counts for it even if the event loop has not yet run the
 * socket's event.  Never blocks (a non-blocking recv()).
 */

void
ngx_http_certhall_db_listen_read(void)
{
    ngx_http_certhall_listen_t  *l;

    l = ngx_http_certhall_listen;

    if (l && l->state == NGX_HTTP_CERTHALL_LISTEN_LISTENING) {
        ngx_http_certhall_listen_receive(l);
    }
}


static void
ngx_http_certhall_listen_connect(ngx_http_certhall_listen_t *l)
{
    l->refused = 0;
    l->pg = PQconnectStartParams(l->conf->keywords, l->conf->values, 0);

    if (l->pg == NULL) {
        ngx_http_certhall_listen_fail(l, "connect");
        return;
    }

    l->state = NGX_HTTP_CERTHALL_LISTEN_CONNECTING;

    if (PQstatus(l->pg) == CONNECTION_BAD
        || PQsetnonblocking(l->pg, 1) != 0)
    {
        ngx_http_certhall_listen_fail(l, "connect");
        return;
    }

    PQsetNoticeProcessor(l->pg, ngx_http_certhall_listen_notice, l);

    if (ngx_http_certhall_listen_attach(l) != NGX_OK) {
        ngx_http_certhall_listen_fail(l, "connect");
        return;
    }

    l->timer.cancelable = 1;
    ngx_add_timer(&l->timer, l->conf->connect_timeout);

    /* as if PQconnectPoll had answered PGRES_POLLING_WRITING */

    if (ngx_add_event(l->c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
        != NGX_OK)
    {
        ngx_http_certhall_listen_fail(l, "connect");
    }
}


/* the socket in the event loop, as the pool's (ngx_http_certhall_db_conn.c) */

static ngx_int_t
ngx_http_certhall_listen_attach(ngx_http_certhall_listen_t *l)
{
    return ngx_http_certhall_pg_attach(l->pg, &l->c, &l->sock_ino, l,
                                       ngx_http_certhall_listen_read_handler,
                                       ngx_http_certhall_listen_write_handler,
                                       l->log);
}


static void
ngx_http_certhall_listen_detach(ngx_http_certhall_listen_t *l)
{
    ngx_http_certhall_pg_detach(l->pg, &l->c, l->sock_ino);
}


static ngx_uint_t
ngx_http_certhall_listen_same_socket(ngx_http_certhall_listen_t *l)
{
    return ngx_http_certhall_pg_same_socket(l->pg, l->c, l->sock_ino);
}


static void
ngx_http_certhall_listen_poll(ngx_http_certhall_listen_t *l)
{
    ngx_event_t                *wev;
    PostgresPollingStatusType   rc;

    rc = PQconnectPoll(l->pg);

    if (rc == PGRES_POLLING_FAILED) {
        ngx_http_certhall_listen_fail(l, "connect");
        return;
    }

    if (rc == PGRES_POLLING_OK) {
        if (l->timer.timer_set) {
            ngx_del_timer(&l->timer);
        }

        /* the only statement this connection runs */

        l->state = NGX_HTTP_CERTHALL_LISTEN_SUBSCRIBING;

        if (!PQsendQuery(l->pg, "LISTEN certhall_catalog")
            || ngx_http_certhall_listen_flush(l) == NGX_ERROR)
        {
            ngx_http_certhall_listen_fail(l, "LISTEN");
            return;
        }

        l->timer.cancelable = 1;
        ngx_add_timer(&l->timer, l->conf->query_timeout);
        return;
    }

    if (!ngx_http_certhall_listen_same_socket(l)) {
        ngx_http_certhall_listen_detach(l);

        if (ngx_http_certhall_listen_attach(l) != NGX_OK) {
            ngx_http_certhall_listen_fail(l, "connect");
            return;
        }
    }

    wev = l->c->write;

    if (rc == PGRES_POLLING_WRITING) {
        if (!wev->active
            && ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
        {
            ngx_http_certhall_listen_fail(l, "connect");
        }

    } else if (wev->active) {
        ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }
}


static ngx_int_t
ngx_http_certhall_listen_flush(ngx_http_certhall_listen_t *l)
{
    ngx_event_t  *wev;

    wev = l->c->write;

    switch (PQflush(l->pg)) {

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


/*
 * What the server sent: LISTEN's outcome while subscribing; notices, or
 * the end of the connection, after
 */

static void
ngx_http_certhall_listen_receive(ngx_http_certhall_listen_t *l)
{
    ngx_uint_t   level;
    PGresult    *res;

    if (!PQconsumeInput(l->pg)) {
        ngx_http_certhall_listen_fail(l, "receive");
        return;
    }

    if (l->state == NGX_HTTP_CERTHALL_LISTEN_SUBSCRIBING) {

        if (l->c->write->active
            && ngx_http_certhall_listen_flush(l) == NGX_ERROR)
        {
            ngx_http_certhall_listen_fail(l, "LISTEN");
            return;
        }

        while (!PQisBusy(l->pg)) {
            res = PQgetResult(l->pg);

            if (res == NULL) {
                if (l->refused) {
                    ngx_http_certhall_listen_fail(l, "LISTEN");
                    return;
                }

                if (l->timer.timer_set) {
                    ngx_del_timer(&l->timer);
                }

                /* back after a failure: worth a line at notice */
                level = l->backoff ? NGX_LOG_NOTICE : NGX_LOG_INFO;

                ngx_log_error(level, l->log, 0,
                              "certhall: catalog cache: listening for "
                              "changes");

                l->backoff = 0;
                l->state = NGX_HTTP_CERTHALL_LISTEN_LISTENING;
                ngx_http_certhall_cache_listening(1);
                break;
            }

            if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                l->refused = 1;
                ngx_log_error(NGX_LOG_ERR, l->log, 0,
                              "certhall: catalog cache: LISTEN failed: %s",
                              PQresultErrorMessage(res));
            }

            PQclear(res);
        }
    }

    if (PQstatus(l->pg) != CONNECTION_OK) {
        ngx_http_certhall_listen_fail(l, "receive");
        return;
    }

    ngx_http_certhall_listen_notices(l);
}


static void
ngx_http_certhall_listen_notices(ngx_http_certhall_listen_t *l)
{
    PGnotify  *n;

    while ((n = PQnotifies(l->pg)) != NULL) {

        /* none counts before LISTEN's success, which drops everything */

        if (l->state == NGX_HTTP_CERTHALL_LISTEN_LISTENING) {
            ngx_http_certhall_cache_changed(l->log, n->extra);
        }

        PQfreemem(n);
    }
}


/*
 * The connection broke, or did not come up: nothing kept is trusted any
 * more; try again after the backoff
 */

static void
ngx_http_certhall_listen_fail(ngx_http_certhall_listen_t *l,
    const char *what)
{
    ngx_uint_t  level;

    /* the first failure of a streak is an error, the retries are not */
    level = l->backoff ? NGX_LOG_INFO : NGX_LOG_ERR;

    ngx_log_error(level, l->log, 0,
                  "certhall: catalog cache: the listening connection: %s "
                  "failed: %s", what,
                  l->pg ? PQerrorMessage(l->pg) : "no connection");

    ngx_http_certhall_listen_close(l);
    ngx_http_certhall_cache_listening(0);

    if (l->backoff == 0) {
        l->backoff = NGX_HTTP_CERTHALL_DB_RETRY_MIN;

    } else {
        l->backoff = ngx_min(l->backoff * 2, NGX_HTTP_CERTHALL_DB_RETRY_MAX);
    }

    /* a pending retry must not keep an exiting worker alive */
    l->timer.cancelable = 1;
    ngx_add_timer(&l->timer, l->backoff);
}


static void
ngx_http_certhall_listen_close(ngx_http_certhall_listen_t *l)
{
    if (l->timer.timer_set) {
        ngx_del_timer(&l->timer);
    }

    ngx_http_certhall_listen_detach(l);

    if (l->pg) {
        PQfinish(l->pg);
        l->pg = NULL;
    }

    l->state = NGX_HTTP_CERTHALL_LISTEN_CLOSED;
}


static void
ngx_http_certhall_listen_read_handler(ngx_event_t *rev)
{
    ngx_connection_t            *c;
    ngx_http_certhall_listen_t  *l;

    c = rev->data;
    l = c->data;

    switch (l->state) {

    case NGX_HTTP_CERTHALL_LISTEN_CONNECTING:
        ngx_http_certhall_listen_poll(l);
        return;

    case NGX_HTTP_CERTHALL_LISTEN_SUBSCRIBING:
    case NGX_HTTP_CERTHALL_LISTEN_LISTENING:
        ngx_http_certhall_listen_receive(l);
        return;

    default:
        /* a stale event of a connection closed in this loop iteration */
        return;
    }
}


static void
ngx_http_certhall_listen_write_handler(ngx_event_t *wev)
{
    ngx_connection_t            *c;
    ngx_http_certhall_listen_t  *l;

    c = wev->data;
    l = c->data;

    switch (l->state) {

    case NGX_HTTP_CERTHALL_LISTEN_CONNECTING:
        ngx_http_certhall_listen_poll(l);
        return;

    case NGX_HTTP_CERTHALL_LISTEN_SUBSCRIBING:
        if (ngx_http_certhall_listen_flush(l) == NGX_ERROR) {
            ngx_http_certhall_listen_fail(l, "LISTEN");
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
ngx_http_certhall_listen_timer_handler(ngx_event_t *ev)
{
    ngx_http_certhall_listen_t  *l;

    l = ev->data;

    switch (l->state) {

    case NGX_HTTP_CERTHALL_LISTEN_CLOSED:
        ngx_http_certhall_listen_connect(l);
        return;

    default:
        /* connecting or LISTEN past their time limit */
        ngx_http_certhall_listen_fail(l, "waiting");
        return;
    }
}


static void
ngx_http_certhall_listen_notice(void *arg, const char *message)
{
    ngx_http_certhall_listen_t  *l = arg;

    ngx_log_error(NGX_LOG_NOTICE, l->log, 0,
                  "certhall: catalog cache: database: %s", message);
}
