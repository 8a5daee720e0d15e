/*
 * certhall: the request path of a CA's online service hall.
 *
 * This file holds the module's directives and configuration; the work is
 * done per concern in ngx_http_certhall_<area>.c.
 */

#include "ngx_http_certhall.h"


static ngx_int_t ngx_http_certhall_handler(ngx_http_request_t *r);
static char *ngx_http_certhall(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


static ngx_command_t  ngx_http_certhall_commands[] = {

    { ngx_string("certhall"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_certhall,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_certhall_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_certhall_module = {
    NGX_MODULE_V1,
    &ngx_http_certhall_module_ctx,         /* module context */
    ngx_http_certhall_commands,            /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_certhall_handler(ngx_http_request_t *r)
{
    return ngx_http_certhall_route(r);
}


static char *
ngx_http_certhall(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler == ngx_http_certhall_handler) {
        return "is duplicate";
    }

    if (clcf->handler) {
        return "conflicts with another content handler in this location";
    }

    clcf->handler = ngx_http_certhall_handler;

    return NGX_CONF_OK;
}
