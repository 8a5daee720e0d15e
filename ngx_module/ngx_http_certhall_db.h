/*
 * The database layer as the rest of the module sees it: the per-worker
 * pool of non-blocking PostgreSQL connections (ngx_http_certhall_db.c,
 * _db_conn.c, _db_conf.c; their inside is ngx_http_certhall_db_pool.h),
 * the statements (_db_stmt.c), reading results (_answer.c) and what a
 * failed statement answers (_refusal.c).
 */

#ifndef _NGX_HTTP_CERTHALL_DB_H_INCLUDED_
#define _NGX_HTTP_CERTHALL_DB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <libpq-fe.h>


#define NGX_HTTP_CERTHALL_DB_MAX_PARAMS  16


/*
 * Every statement the module runs, prepared once on each connection right
 * after it connects (ngx_http_certhall_db_stmt.c holds their text).
 */
typedef enum {
    NGX_HTTP_CERTHALL_STMT_HEALTH = 0,
    NGX_HTTP_CERTHALL_STMT_PROJECTS,
    NGX_HTTP_CERTHALL_STMT_SMS_CODE_REQUEST,
    NGX_HTTP_CERTHALL_STMT_SMS_CODE_BEGIN,
    NGX_HTTP_CERTHALL_STMT_REGISTER_FINISH,
    NGX_HTTP_CERTHALL_STMT_LOGIN_CODE,
    NGX_HTTP_CERTHALL_STMT_LOGIN_PASSWORD_BEGIN,
    NGX_HTTP_CERTHALL_STMT_LOGIN_PASSWORD_FINISH,
    NGX_HTTP_CERTHALL_STMT_SESSION_END,
    NGX_HTTP_CERTHALL_STMT_RESET_FINISH,
    NGX_HTTP_CERTHALL_STMT_ME,
    NGX_HTTP_CERTHALL_STMT_REALNAME_START,
    NGX_HTTP_CERTHALL_STMT_REALNAME_STATUS,
    NGX_HTTP_CERTHALL_STMT_REALNAME_CALLBACK,
    NGX_HTTP_CERTHALL_STMT_CERTIFICATES,
    NGX_HTTP_CERTHALL_STMT_PICKUP_POINTS,
    NGX_HTTP_CERTHALL_STMT_ORDER_CREATE,
    NGX_HTTP_CERTHALL_STMT_ORDERS,
    NGX_HTTP_CERTHALL_STMT_APPLICATIONS,
    NGX_HTTP_CERTHALL_STMT_ORDER_GET,
    NGX_HTTP_CERTHALL_STMT_ORDER_INFO,
    NGX_HTTP_CERTHALL_STMT_ORDER_INVOICE,
    NGX_HTTP_CERTHALL_STMT_ORDER_SUBMIT,
    NGX_HTTP_CERTHALL_STMT_ORDER_CANCEL,
    NGX_HTTP_CERTHALL_STMT_ORDER_CONFIRM_RECEIPT,
    NGX_HTTP_CERTHALL_STMT_ORDER_RESUBMIT,
    NGX_HTTP_CERTHALL_STMT_APPLICATION_FORM,
    NGX_HTTP_CERTHALL_STMT_ORDER_PREFILL,
    NGX_HTTP_CERTHALL_STMT_ADDRESSES,
    NGX_HTTP_CERTHALL_STMT_ADDRESS_SAVE,
    NGX_HTTP_CERTHALL_STMT_ADDRESS_DELETE,
    NGX_HTTP_CERTHALL_STMT_INVOICE_TITLES,
    NGX_HTTP_CERTHALL_STMT_INVOICE_TITLE_SAVE,
    NGX_HTTP_CERTHALL_STMT_INVOICE_TITLE_DELETE,
    NGX_HTTP_CERTHALL_STMT_MESSAGES,
    NGX_HTTP_CERTHALL_STMT_MESSAGE_READ,
    NGX_HTTP_CERTHALL_STMT_MESSAGES_READ_ALL,
    NGX_HTTP_CERTHALL_STMT_UPLOAD_CHECK,
    NGX_HTTP_CERTHALL_STMT_MATERIAL_PUT,
    NGX_HTTP_CERTHALL_STMT_MATERIAL_GET,
    NGX_HTTP_CERTHALL_STMT_MATERIAL_DELETE,
    NGX_HTTP_CERTHALL_STMT_ORDER_PAY,
    NGX_HTTP_CERTHALL_STMT_ORDER_PAY_ALIPAY,
    NGX_HTTP_CERTHALL_STMT_ALIPAY_NOTIFY,
    NGX_HTTP_CERTHALL_STMT_AGREEMENT,
    NGX_HTTP_CERTHALL_STMT_DOWNLOADS,
    NGX_HTTP_CERTHALL_STMT_DOWNLOAD_FILE,
    NGX_HTTP_CERTHALL_STMT_ORDER_INVOICE_REQUEST,
    NGX_HTTP_CERTHALL_STMT_ORDER_INVOICE_FILE,
    NGX_HTTP_CERTHALL_NSTMTS
} ngx_http_certhall_stmt_e;


/*
 * A statement's class decides its queue.  Cheap ones (the public catalog
 * reads and the health check: read-only, no session, no lock a user's
 * action takes) are served ahead of the others and may use the connections
 * certhall_db_reserved keeps from them, so that their wait does not grow
 * with the number of expensive requests waiting (ngx_http_certhall_db.c).
 */
typedef enum {
    NGX_HTTP_CERTHALL_DB_NORMAL = 0,
    NGX_HTTP_CERTHALL_DB_CHEAP,
    NGX_HTTP_CERTHALL_DB_NCLASSES
} ngx_http_certhall_db_class_e;


typedef struct {
    const char                  *name;
    const char                  *sql;
    int                          nparams;
    ngx_uint_t                   cls;       /* NORMAL unless said */
} ngx_http_certhall_stmt_t;


typedef struct ngx_http_certhall_db_pool_s   ngx_http_certhall_db_pool_t;
typedef struct ngx_http_certhall_db_conn_s   ngx_http_certhall_db_conn_t;
typedef struct ngx_http_certhall_db_query_s  ngx_http_certhall_db_query_t;


/*
 * Called with a successful result (PGRES_TUPLES_OK or PGRES_COMMAND_OK);
 * it owns res from then on.  Its return value goes to
 * ngx_http_finalize_request().  Errors never reach it: the pool answers
 * them itself (see ngx_http_certhall_send_db_error()).
 */
typedef ngx_int_t (*ngx_http_certhall_db_done_pt)(ngx_http_request_t *r,
    PGresult *res, void *data);

/*
 * Called, if set, just before the pool answers a failed statement itself
 * (a refusal, an error, a timeout): what the request holds that the answer
 * must not leave behind (an unread body, a file) is dealt with there.
 */
typedef void (*ngx_http_certhall_db_failed_pt)(ngx_http_request_t *r,
    void *data);


struct ngx_http_certhall_db_query_s {
    ngx_uint_t                       stmt;
    int                              nparams;
    const char                      *values[NGX_HTTP_CERTHALL_DB_MAX_PARAMS];

    ngx_http_certhall_db_done_pt     done;
    ngx_http_certhall_db_failed_pt   failed;
    void                            *data;

    /* private to the pool */
    ngx_http_request_t              *request;
    ngx_http_certhall_db_conn_t     *conn;      /* running on it */
    ngx_queue_t                      queue;     /* waiting for a connection */
    ngx_event_t                      wait;      /* the wait's time limit */
    unsigned                         queued:1;

    /*
     * Set before failed() is called when the statement had reached the
     * server and the connection broke before its outcome came back (a
     * receive failure, the server gone, the statement's time limit): it
     * may have committed.  failed() must then keep what a committed row
     * would need (a stored file), and the client is told the outcome is
     * unknown (ngx_http_certhall_database_interrupted), never "nothing
     * happened, try again".
     */
    unsigned                         interrupted:1;
};


typedef struct {
    const char                     **keywords;  /* NULL-terminated */
    const char                     **values;
    ngx_uint_t                       pool_size;
    ngx_uint_t                       queue_size;    /* of each class */
    ngx_uint_t                       reserved;      /* for cheap ones */
    ngx_msec_t                       queue_timeout;
    ngx_msec_t                       query_timeout;
    ngx_msec_t                       connect_timeout;
} ngx_http_certhall_db_conf_t;


extern ngx_http_certhall_stmt_t  ngx_http_certhall_statements[];


/* ngx_http_certhall_db_conf.c */
char *ngx_http_certhall_db_parse_conninfo(ngx_conf_t *cf,
    ngx_http_certhall_db_conf_t *dbcf, ngx_str_t *conninfo);

/* ngx_http_certhall_db.c */
ngx_int_t ngx_http_certhall_db_init_process(ngx_cycle_t *cycle,
    ngx_http_certhall_db_conf_t *dbcf);
void ngx_http_certhall_db_exit_process(ngx_cycle_t *cycle);

ngx_http_certhall_db_query_t *ngx_http_certhall_db_query(
    ngx_http_request_t *r, ngx_uint_t stmt);
ngx_int_t ngx_http_certhall_db_run(ngx_http_request_t *r,
    ngx_http_certhall_db_query_t *q);
ngx_int_t ngx_http_certhall_db_answer(ngx_http_request_t *r,
    ngx_uint_t stmt);

/* ngx_http_certhall_answer.c: reading results, by column name */
ngx_int_t ngx_http_certhall_db_send_value(ngx_http_request_t *r,
    PGresult *res, void *data);
int ngx_http_certhall_db_column(ngx_http_request_t *r, PGresult *res,
    const char *name);
ngx_int_t ngx_http_certhall_db_keep(ngx_http_request_t *r, PGresult *res);
int ngx_http_certhall_db_body(ngx_http_request_t *r, PGresult *res);

/* ngx_http_certhall_refusal.c: what a failed statement answers */
ngx_int_t ngx_http_certhall_send_db_error(ngx_http_request_t *r,
    PGresult *res);
ngx_int_t ngx_http_certhall_database_unavailable(ngx_http_request_t *r);
ngx_int_t ngx_http_certhall_database_interrupted(ngx_http_request_t *r);
ngx_int_t ngx_http_certhall_server_busy(ngx_http_request_t *r);


#endif /* _NGX_HTTP_CERTHALL_DB_H_INCLUDED_ */
