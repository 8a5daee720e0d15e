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
static char *ngx_http_certhall_db(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void *ngx_http_certhall_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_certhall_init_main_conf(ngx_conf_t *cf, void *conf);
static ngx_int_t ngx_http_certhall_init_process(ngx_cycle_t *cycle);
static void ngx_http_certhall_exit_process(ngx_cycle_t *cycle);


static ngx_conf_num_bounds_t  ngx_http_certhall_pool_size_bounds = {
    ngx_conf_check_num_bounds, 1, 1024
};


static ngx_command_t  ngx_http_certhall_commands[] = {

    { ngx_string("certhall"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_certhall,
      0,
      0,
      NULL },

    { ngx_string("certhall_db"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_db,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("certhall_db_pool_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, db.pool_size),
      &ngx_http_certhall_pool_size_bounds },

    { ngx_string("certhall_db_queue_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, db.queue_size),
      NULL },

    { ngx_string("certhall_db_queue_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, db.queue_timeout),
      NULL },

    { ngx_string("certhall_db_query_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, db.query_timeout),
      NULL },

    { ngx_string("certhall_db_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, db.connect_timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_certhall_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_certhall_create_main_conf,    /* create main configuration */
    ngx_http_certhall_init_main_conf,      /* init main configuration */

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
    ngx_http_certhall_init_process,        /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_certhall_exit_process,        /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_certhall_handler(ngx_http_request_t *r)
{
    return ngx_http_certhall_route(r);
}


static ngx_int_t
ngx_http_certhall_init_process(ngx_cycle_t *cycle)
{
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_certhall_module);

    if (mcf == NULL || mcf->db.keywords == NULL) {
        return NGX_OK;
    }

    return ngx_http_certhall_db_init_process(cycle, &mcf->db);
}


static void
ngx_http_certhall_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_certhall_db_exit_process(cycle);
}


static char *
ngx_http_certhall(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t       *clcf;
    ngx_http_certhall_main_conf_t  *mcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler == ngx_http_certhall_handler) {
        return "is duplicate";
    }

    if (clcf->handler) {
        return "conflicts with another content handler in this location";
    }

    clcf->handler = ngx_http_certhall_handler;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_certhall_module);
    mcf->used = 1;

    return NGX_CONF_OK;
}


static char *
ngx_http_certhall_db(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_certhall_main_conf_t  *mcf = conf;

    ngx_str_t  *value;

    if (mcf->db.keywords) {
        return "is duplicate";
    }

    value = cf->args->elts;

    return ngx_http_certhall_db_parse_conninfo(cf, &mcf->db, &value[1]);
}


static void *
ngx_http_certhall_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_certhall_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mcf->db.keywords = NULL;
     *     mcf->db.values = NULL;
     *     mcf->used = 0;
     */

    mcf->db.pool_size = NGX_CONF_UNSET_UINT;
    mcf->db.queue_size = NGX_CONF_UNSET_UINT;
    mcf->db.queue_timeout = NGX_CONF_UNSET_MSEC;
    mcf->db.query_timeout = NGX_CONF_UNSET_MSEC;
    mcf->db.connect_timeout = NGX_CONF_UNSET_MSEC;

    return mcf;
}


static char *
ngx_http_certhall_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_certhall_main_conf_t  *mcf = conf;

    if (mcf->used && mcf->db.keywords == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"certhall\" needs \"certhall_db\" in the http "
                           "block");
        return NGX_CONF_ERROR;
    }

    ngx_conf_init_uint_value(mcf->db.pool_size, 4);
    ngx_conf_init_uint_value(mcf->db.queue_size, 256);
    ngx_conf_init_msec_value(mcf->db.queue_timeout, 3000);
    ngx_conf_init_msec_value(mcf->db.query_timeout, 10000);
    ngx_conf_init_msec_value(mcf->db.connect_timeout, 5000);

    return NGX_CONF_OK;
}
