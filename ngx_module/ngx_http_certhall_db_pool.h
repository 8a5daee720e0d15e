/*
 * The inside of the database layer, shared by its files only:
 *
 *   ngx_http_certhall_db.c       the pool: its start and end, the queue of
 *                                requests waiting for a connection, handing
 *                                results and failures to the requests
 *   ngx_http_certhall_db_conn.c  one connection's life: connecting,
 *                                preparing, running a statement, failing,
 *                                reconnecting with backoff
 *   ngx_http_certhall_db_conf.c  certhall_db's connection string
 *
 * Everything else in the module sees ngx_http_certhall_db.h only.
 */

#ifndef _NGX_HTTP_CERTHALL_DB_POOL_H_INCLUDED_
#define _NGX_HTTP_CERTHALL_DB_POOL_H_INCLUDED_


#include "ngx_http_certhall.h"
#include "ngx_http_certhall_db.h"


#define NGX_HTTP_CERTHALL_DB_RETRY_MIN    100     /* ms */
#define NGX_HTTP_CERTHALL_DB_RETRY_MAX    5000    /* ms */

/*
 * Cheap statements served in a row ahead of a normal one that could run:
 * past it the normal queue's oldest goes first, so that a stream of cheap
 * requests cannot starve the normal queue.
 */
#define NGX_HTTP_CERTHALL_DB_CHEAP_RUN    4


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
    unsigned                         normal:1;  /* counted in nnormal */
};


struct ngx_http_certhall_db_pool_s {
    ngx_http_certhall_db_conf_t     *conf;
    ngx_http_certhall_db_conn_t     *conns;
    ngx_queue_t                      idle;
    ngx_log_t                       *log;

    /* a queue for each statement class (ngx_http_certhall_db_class_e) */
    ngx_queue_t                      waiting[NGX_HTTP_CERTHALL_DB_NCLASSES];
    ngx_uint_t                       nwaiting[NGX_HTTP_CERTHALL_DB_NCLASSES];

    /*
     * Connections running a normal statement (an orphaned one included),
     * at most pool_size - reserved; and the cheap statements served in a
     * row ahead of a normal one (NGX_HTTP_CERTHALL_DB_CHEAP_RUN).
     */
    ngx_uint_t                       nnormal;
    ngx_uint_t                       cheap_run;

    /*
     * Retries the closed connections now, for a request that found none
     * free; posted, so that no connection starts inside a request.
     */
    ngx_event_t                      reconnect;
    unsigned                         reconnecting:1;
};


/* ngx_http_certhall_db.c: the pool and its queue */
void ngx_http_certhall_db_release(ngx_http_certhall_db_conn_t *conn);
void ngx_http_certhall_db_deliver(ngx_http_certhall_db_query_t *q,
    PGresult *res);
void ngx_http_certhall_db_unavailable(ngx_http_certhall_db_query_t *q,
    ngx_uint_t busy);
ngx_uint_t ngx_http_certhall_db_alive(ngx_http_certhall_db_pool_t *pool);
void ngx_http_certhall_db_fail_waiting(ngx_http_certhall_db_pool_t *pool);
void ngx_http_certhall_db_dispatch(ngx_http_certhall_db_pool_t *pool);
void ngx_http_certhall_db_count(ngx_http_certhall_db_conn_t *conn,
    ngx_http_certhall_db_query_t *q);
void ngx_http_certhall_db_uncount(ngx_http_certhall_db_conn_t *conn);

/* ngx_http_certhall_db_conn.c: one connection */
void ngx_http_certhall_db_conn_init(ngx_http_certhall_db_pool_t *pool,
    ngx_http_certhall_db_conn_t *conn, ngx_uint_t index);
void ngx_http_certhall_db_connect(ngx_http_certhall_db_conn_t *conn);
void ngx_http_certhall_db_start(ngx_http_certhall_db_conn_t *conn,
    ngx_http_certhall_db_query_t *q);
void ngx_http_certhall_db_close(ngx_http_certhall_db_conn_t *conn);
ngx_int_t ngx_http_certhall_pg_attach(PGconn *pg, ngx_connection_t **cp,
    ino_t *ino, void *data, ngx_event_handler_pt read,
    ngx_event_handler_pt write, ngx_log_t *log);
void ngx_http_certhall_pg_detach(PGconn *pg, ngx_connection_t **cp,
    ino_t ino);
ngx_uint_t ngx_http_certhall_pg_same_socket(PGconn *pg, ngx_connection_t *c,
    ino_t ino);


#endif /* _NGX_HTTP_CERTHALL_DB_POOL_H_INCLUDED_ */
