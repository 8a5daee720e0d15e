/*
 * Declarations shared by the certhall module's files.
 */

#ifndef _NGX_HTTP_CERTHALL_H_INCLUDED_
#define _NGX_HTTP_CERTHALL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ch_route.h"
#include "ngx_http_certhall_db.h"


typedef ngx_int_t (*ngx_http_certhall_handler_pt)(ngx_http_request_t *r,
    ch_route_params_t *params);


typedef struct {
    ngx_http_certhall_db_conf_t    db;
    ngx_flag_t                     used;    /* a location says certhall */
} ngx_http_certhall_main_conf_t;


extern ngx_module_t  ngx_http_certhall_module;


/* ngx_http_certhall_router.c */
ngx_int_t ngx_http_certhall_route(ngx_http_request_t *r);

/* ngx_http_certhall_response.c */
ngx_int_t ngx_http_certhall_send_json(ngx_http_request_t *r,
    ngx_uint_t status, u_char *body, size_t len);
ngx_int_t ngx_http_certhall_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *field,
    const char *message);
ngx_int_t ngx_http_certhall_send_unavailable(ngx_http_request_t *r,
    const char *code, const char *message, time_t retry_after);

/* ngx_http_certhall_health.c */
ngx_int_t ngx_http_certhall_health(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_catalog.c */
ngx_int_t ngx_http_certhall_projects(ngx_http_request_t *r,
    ch_route_params_t *params);


#endif /* _NGX_HTTP_CERTHALL_H_INCLUDED_ */
