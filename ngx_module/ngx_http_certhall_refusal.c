/*
 * What the client is answered when a statement fails or the database
 * cannot take it: the database's refusal as it raised it, 503 with
 * Retry-After when it is down or busy, 500 for anything else.  The
 * response layer's part of the database: the pool (ngx_http_certhall_db.c)
 * decides when, this file what is said.
 */

#include "ngx_http_certhall.h"
#include "ngx_http_certhall_db.h"
#include "ch_refusal.h"


#define NGX_HTTP_CERTHALL_RETRY_BUSY      1       /* Retry-After, seconds */
#define NGX_HTTP_CERTHALL_RETRY_DOWN      5


/*
 * Maps a failed statement to the API's error model.  The SQL functions
 * raise SQLSTATE "CH4nn" where 4nn is the HTTP status, with the Chinese
 * message as MESSAGE, the stable code as DETAIL and the form field as
 * COLUMN (lib/ch_refusal.h, shared with the back office); anything else
 * is the server's fault and is logged.
 */

ngx_int_t
ngx_http_certhall_send_db_error(ngx_http_request_t *r, PGresult *res)
{
    char          *state;
    ch_refusal_t   ref;

    if (ch_refusal_from_result(&ref, res) == 0) {
        return ngx_http_certhall_send_error(r, ref.status, ref.code,
                                            ref.field, ref.message);
    }

    state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "certhall: database: %s %s", state ? state : "-",
                  res ? PQresultErrorMessage(res) : "no result");

    /* connection exceptions, shutdown, out of resources: try again later */

    if (state && (ngx_strncmp(state, "08", 2) == 0
                  || ngx_strncmp(state, "57P", 3) == 0
                  || ngx_strncmp(state, "53", 2) == 0))
    {
        return ngx_http_certhall_database_unavailable(r);
    }

    return ngx_http_certhall_internal_error(r);
}


/* 503 database_unavailable: no connection can be had now */

ngx_int_t
ngx_http_certhall_database_unavailable(ngx_http_request_t *r)
{
    return ngx_http_certhall_send_unavailable(r, "database_unavailable",
                                              "数据库暂时不可用，请稍后再试",
                                              NGX_HTTP_CERTHALL_RETRY_DOWN);
}


/*
 * 503 database_interrupted: the statement reached the database and the
 * connection broke before its outcome came back, so it may have committed
 * or not.  "Nothing happened, try again" would be a lie either way round:
 * a retry could do it twice (a second draft, a second session), and a
 * client that trusted a refusal would miss a change that is there.  So
 * the client is told to look first.  A read (GET, HEAD) changed nothing
 * whatever became of it: it is plainly database_unavailable.
 */

ngx_int_t
ngx_http_certhall_database_interrupted(ngx_http_request_t *r)
{
    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        return ngx_http_certhall_database_unavailable(r);
    }

    return ngx_http_certhall_send_unavailable(r, "database_interrupted",
                                              "与数据库的连接中断，无法确认操作"
                                              "是否已完成，请刷新查看后再决定"
                                              "是否重试",
                                              NGX_HTTP_CERTHALL_RETRY_DOWN);
}


/* 503 server_busy: every connection busy, and no place or time to wait */

ngx_int_t
ngx_http_certhall_server_busy(ngx_http_request_t *r)
{
    return ngx_http_certhall_send_unavailable(r, "server_busy",
                                              "服务繁忙，请稍后再试",
                                              NGX_HTTP_CERTHALL_RETRY_BUSY);
}
