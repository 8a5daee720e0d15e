/*
 * The catalog cache: each worker keeps the public answers that change
 * only when staff change them (ngx_http_certhall_cache.c), told of their
 * changes by PostgreSQL's NOTIFY on a connection of its own
 * (ngx_http_certhall_db_listen.c).
 */

#ifndef _NGX_HTTP_CERTHALL_CACHE_H_INCLUDED_
#define _NGX_HTTP_CERTHALL_CACHE_H_INCLUDED_


#include "ngx_http_certhall.h"


/* the answers kept; their names are the NOTIFY payloads of the triggers */
typedef enum {
    NGX_HTTP_CERTHALL_CACHE_PROJECTS = 0,
    NGX_HTTP_CERTHALL_CACHE_PICKUP_POINTS,
    NGX_HTTP_CERTHALL_CACHE_DOWNLOADS,
    NGX_HTTP_CERTHALL_CACHE_AGREEMENTS,
    NGX_HTTP_CERTHALL_CACHE_NANSWERS        /* as a payload: all of them */
} ngx_http_certhall_cache_answer_e;


/* ngx_http_certhall_cache.c */
ngx_int_t ngx_http_certhall_cache_init_process(ngx_cycle_t *cycle,
    ngx_http_certhall_db_conf_t *dbcf);
void ngx_http_certhall_cache_exit_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_certhall_cache_run(ngx_http_request_t *r,
    ngx_http_certhall_db_query_t *q, ngx_uint_t answer, u_char *key,
    size_t key_len);
void ngx_http_certhall_cache_listening(ngx_uint_t listening);
void ngx_http_certhall_cache_changed(ngx_log_t *log, const char *payload);

/* ngx_http_certhall_db_listen.c */
ngx_int_t ngx_http_certhall_db_listen_init_process(ngx_cycle_t *cycle,
    ngx_http_certhall_db_conf_t *dbcf);
void ngx_http_certhall_db_listen_exit_process(ngx_cycle_t *cycle);
void ngx_http_certhall_db_listen_read(void);


#endif /* _NGX_HTTP_CERTHALL_CACHE_H_INCLUDED_ */
