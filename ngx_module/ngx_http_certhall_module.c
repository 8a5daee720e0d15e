/*
 * certhall: the request path of a CA's online service hall.
 *
 * This file holds the module's directives and configuration; the work is
 * done per concern in ngx_http_certhall_<area>.c.
 */

#include "ngx_http_certhall.h"
#include "ngx_http_certhall_cache.h"
#include "ch_password.h"


static ngx_int_t ngx_http_certhall_handler(ngx_http_request_t *r);
static char *ngx_http_certhall(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_certhall_db(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_certhall_realname_secret(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_certhall_data_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_certhall_read_secret(ngx_conf_t *cf,
    ngx_str_t *file_name, ngx_str_t *secret);
static char *ngx_http_certhall_realname_url(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_certhall_transfer(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_certhall_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_certhall_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_certhall_init_main_conf(ngx_conf_t *cf, void *conf);
static ngx_int_t ngx_http_certhall_init_process(ngx_cycle_t *cycle);
static void ngx_http_certhall_exit_process(ngx_cycle_t *cycle);


static ngx_conf_num_bounds_t  ngx_http_certhall_pool_size_bounds = {
    ngx_conf_check_num_bounds, 1, 1024
};


static ngx_conf_num_bounds_t  ngx_http_certhall_iterations_bounds = {
    ngx_conf_check_num_bounds, CH_PASSWORD_MIN_ITERATIONS,
    CH_PASSWORD_MAX_ITERATIONS
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

    { ngx_string("certhall_db_reserved"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, db.reserved),
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

    { ngx_string("certhall_catalog_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, catalog_cache),
      NULL },

    { ngx_string("certhall_password_iterations"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, password_iterations),
      &ngx_http_certhall_iterations_bounds },

    { ngx_string("certhall_password_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, password_thread_pool_name),
      NULL },

    { ngx_string("certhall_realname_secret"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_realname_secret,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("certhall_realname_app_id"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_realname_url,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, realname_app_id),
      NULL },

    { ngx_string("certhall_realname_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_realname_url,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, realname_url),
      NULL },

    { ngx_string("certhall_data_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_data_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("certhall_storage"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_storage,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("certhall_storage_uri"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_storage_uri,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, storage_uri),
      NULL },

    { ngx_string("certhall_upload_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, upload_thread_pool_name),
      NULL },

    { ngx_string("certhall_transfer_payee"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_transfer,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, transfer_payee),
      NULL },

    { ngx_string("certhall_transfer_bank"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_transfer,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, transfer_bank),
      NULL },

    { ngx_string("certhall_transfer_account"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_transfer,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, transfer_account),
      NULL },

    { ngx_string("certhall_alipay_app_id"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_alipay_text,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, alipay.app_id),
      NULL },

    { ngx_string("certhall_alipay_seller_id"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_alipay_text,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, alipay.seller_id),
      NULL },

    { ngx_string("certhall_alipay_gateway"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_alipay_url,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, alipay.gateway),
      NULL },

    { ngx_string("certhall_alipay_notify_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_alipay_url,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, alipay.notify_url),
      NULL },

    { ngx_string("certhall_alipay_return_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_alipay_url,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, alipay.return_url),
      NULL },

    { ngx_string("certhall_alipay_private_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_alipay_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, alipay.private_key),
      NULL },

    { ngx_string("certhall_alipay_public_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_certhall_alipay_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, alipay.public_key),
      NULL },

    { ngx_string("certhall_alipay_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, alipay.timeout),
      NULL },

    { ngx_string("certhall_alipay_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_certhall_main_conf_t, alipay.thread_pool_name),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_certhall_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_certhall_postconfiguration,   /* postconfiguration */

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

    if (ngx_http_certhall_upload_init_process(cycle, mcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_certhall_db_init_process(cycle, &mcf->db) != NGX_OK) {
        return NGX_ERROR;
    }

    if (mcf->catalog_cache) {
        return ngx_http_certhall_cache_init_process(cycle, &mcf->db);
    }

    return NGX_OK;
}


static void
ngx_http_certhall_exit_process(ngx_cycle_t *cycle)
{
    /* requests under way are not finalised: their uploads' files go here */
    ngx_http_certhall_upload_exit_process(cycle);

    ngx_http_certhall_cache_exit_process(cycle);
    ngx_http_certhall_db_exit_process(cycle);
}


static char *
ngx_http_certhall(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t       *clcf, **loc;
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

    /* its body limit is checked once merged (postconfiguration) */

    loc = ngx_array_push(&mcf->locations);
    if (loc == NULL) {
        return NGX_CONF_ERROR;
    }

    *loc = clcf;

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


/*
 * certhall_realname_secret FILE: the shared secret is the file's content
 * (a final newline aside), read now, so that a missing or short secret
 * stops nginx from starting rather than every verification later.  The
 * file should be readable by the master process only.
 */

static char *
ngx_http_certhall_realname_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_certhall_main_conf_t  *mcf = conf;

    ngx_str_t  *value;

    if (mcf->realname_secret.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_certhall_read_secret(cf, &value[1], &mcf->realname_secret)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * certhall_data_key FILE: the key that seals ID numbers (lib/ch_seal.c),
 * 64 hex digits (openssl rand -hex 32), read now like the secrets.
 * Changing it makes every sealed number unreadable: keep it with the
 * database's backups, not inside them.
 */

static char *
ngx_http_certhall_data_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_certhall_main_conf_t  *mcf = conf;

    u_char      *key;
    ngx_int_t    hi, lo;
    ngx_str_t   *value, hex;
    ngx_uint_t   i;

    if (mcf->data_key.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_certhall_read_secret(cf, &value[1], &hex) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (hex.len != 2 * CH_SEAL_KEY_LEN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the key in \"%V\" is not 64 hex digits",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    key = ngx_pnalloc(cf->pool, CH_SEAL_KEY_LEN);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < CH_SEAL_KEY_LEN; i++) {
        hi = ngx_hextoi(&hex.data[2 * i], 1);
        lo = ngx_hextoi(&hex.data[2 * i + 1], 1);

        if (hi == NGX_ERROR || lo == NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "the key in \"%V\" is not 64 hex digits",
                               &value[1]);
            return NGX_CONF_ERROR;
        }

        key[i] = (u_char) (hi * 16 + lo);
    }

    ngx_explicit_memzero(hex.data, hex.len);

    mcf->data_key.data = key;
    mcf->data_key.len = CH_SEAL_KEY_LEN;

    return NGX_CONF_OK;
}


/*
 * Reads a secret from the file name (relative to the prefix): its content
 * but a final newline, at least 32 bytes, at most 4 KiB.
 */

static ngx_int_t
ngx_http_certhall_read_secret(ngx_conf_t *cf, ngx_str_t *file_name,
    ngx_str_t *secret)
{
    ngx_str_t  s;

    if (ngx_http_certhall_conf_read_file(cf, file_name, 4096, cf->pool,
                                         "secret", &s)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    while (s.len && (s.data[s.len - 1] == '\n' || s.data[s.len - 1] == '\r'))
    {
        s.len--;
    }

    if (s.len < 32) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the secret in \"%V\" is shorter than 32 bytes",
                           file_name);
        ngx_explicit_memzero(s.data, s.len);
        return NGX_ERROR;
    }

    s.data[s.len] = '\0';
    *secret = s;

    return NGX_OK;
}


/*
 * certhall_realname_app_id and _url: they go into QR payloads as they are,
 * so only characters that need no escaping in a URL are taken
 */

static char *
ngx_http_certhall_realname_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    u_char      c;
    ngx_str_t  *value;
    ngx_uint_t  i, url;

    value = cf->args->elts;
    url = (cmd->offset == offsetof(ngx_http_certhall_main_conf_t,
                                   realname_url));

    if (value[1].len == 0 || value[1].len > 512) {
        return "is empty or too long";
    }

    for (i = 0; i < value[1].len; i++) {
        c = value[1].data[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
        {
            continue;
        }

        if (url && ngx_strchr(":/?&=%~+", c)) {
            continue;
        }

        return url ? "has a character a URL must escape"
                   : "may only have letters, digits, \"-\", \"_\" and \".\"";
    }

    if (url && ngx_strncmp(value[1].data, "https://", 8) != 0
        && ngx_strncmp(value[1].data, "http://", 7) != 0)
    {
        return "is not an http(s) URL";
    }

    return ngx_conf_set_str_slot(cf, cmd, conf);
}


/*
 * certhall_transfer_payee, _bank, _account: the CA's bank details for
 * payment by transfer (公对公转账), shown to the applicant as they are:
 * UTF-8 text of at most 100 bytes, no control characters.
 */

static char *
ngx_http_certhall_transfer(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char      *p;
    ngx_str_t   *value, *field;
    ngx_uint_t   i;

    field = (ngx_str_t *) ((char *) conf + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 100) {
        return "is empty or longer than 100 bytes";
    }

    p = value[1].data;

    for (i = 0; i < value[1].len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            return "has a control character";
        }
    }

    if (ngx_utf8_length(p, value[1].len) == (size_t) NGX_ERROR) {
        return "is not UTF-8";
    }

    /* NUL-terminated: a statement's parameter */

    field->data = ngx_pnalloc(cf->pool, value[1].len + 1);
    if (field->data == NULL) {
        return NGX_CONF_ERROR;
    }

    *ngx_cpymem(field->data, p, value[1].len) = '\0';
    field->len = value[1].len;

    return NGX_CONF_OK;
}


/*
 * Every location that says certhall must let bodies through to the module,
 * which bounds each one itself and answers in JSON: a client_max_body_size
 * under an upload's size would have nginx refuse uploads with its own HTML
 * page before the module sees them.  Then the header filter that gives a
 * stored file its SHA-256 as ETag (ngx_http_certhall_storage_send.c).
 */

static ngx_int_t
ngx_http_certhall_postconfiguration(ngx_conf_t *cf)
{
    ngx_uint_t                      i;
    ngx_http_core_loc_conf_t      **loc;
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_certhall_module);

    loc = mcf->locations.elts;

    for (i = 0; i < mcf->locations.nelts; i++) {
        if (loc[i]->client_max_body_size != 0
            && loc[i]->client_max_body_size < NGX_HTTP_CERTHALL_BODY_MIN)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"certhall\" in location \"%V\" needs "
                          "\"client_max_body_size 0\" (or at least %d): "
                          "the module bounds each request body itself",
                          &loc[i]->name, NGX_HTTP_CERTHALL_BODY_MIN);
            return NGX_ERROR;
        }
    }

    return ngx_http_certhall_storage_filter_init(cf);
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
     *     mcf->password_thread_pool_name = { 0, NULL };
     *     mcf->realname_secret = { 0, NULL };
     *     mcf->realname_app_id = { 0, NULL };
     *     mcf->realname_url = { 0, NULL };
     *     mcf->data_key = { 0, NULL };
     *     mcf->storage = { 0, NULL };
     *     mcf->storage_uri = { 0, NULL };
     *     mcf->upload_temp = NULL;
     *     mcf->upload_thread_pool_name = { 0, NULL };
     *     mcf->transfer_payee = { 0, NULL };
     *     mcf->transfer_bank = { 0, NULL };
     *     mcf->transfer_account = { 0, NULL };
     */

    ngx_http_certhall_alipay_create_conf(&mcf->alipay);

    if (ngx_array_init(&mcf->locations, cf->pool, 2,
                       sizeof(ngx_http_core_loc_conf_t *))
        != NGX_OK)
    {
        return NULL;
    }

    mcf->db.pool_size = NGX_CONF_UNSET_UINT;
    mcf->db.queue_size = NGX_CONF_UNSET_UINT;
    mcf->db.reserved = NGX_CONF_UNSET_UINT;
    mcf->db.queue_timeout = NGX_CONF_UNSET_MSEC;
    mcf->db.query_timeout = NGX_CONF_UNSET_MSEC;
    mcf->db.connect_timeout = NGX_CONF_UNSET_MSEC;
    mcf->password_iterations = NGX_CONF_UNSET_UINT;
    mcf->catalog_cache = NGX_CONF_UNSET;

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

    /* one connection kept for cheap statements, unless there is only one */
    ngx_conf_init_uint_value(mcf->db.reserved, mcf->db.pool_size > 1);

    if (mcf->db.reserved >= mcf->db.pool_size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "certhall_db_reserved %ui leaves no connection of "
                           "certhall_db_pool_size %ui for the other "
                           "statements", mcf->db.reserved, mcf->db.pool_size);
        return NGX_CONF_ERROR;
    }
    ngx_conf_init_msec_value(mcf->db.queue_timeout, 3000);
    ngx_conf_init_msec_value(mcf->db.query_timeout, 10000);
    ngx_conf_init_msec_value(mcf->db.connect_timeout, 5000);
    ngx_conf_init_value(mcf->catalog_cache, 1);
    ngx_conf_init_uint_value(mcf->password_iterations,
                             CH_PASSWORD_ITERATIONS);

    if (mcf->password_thread_pool_name.data == NULL) {
        ngx_str_set(&mcf->password_thread_pool_name, "default");
    }

    if (mcf->upload_thread_pool_name.data == NULL) {
        ngx_str_set(&mcf->upload_thread_pool_name, "default");
    }

    if (mcf->storage_uri.data == NULL) {
        ngx_str_set(&mcf->storage_uri, "/_certhall/files/");
    }

    if (!mcf->used) {
        return NGX_CONF_OK;
    }

    if (ngx_http_certhall_storage_init_conf(cf, mcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_certhall_alipay_init_conf(cf, &mcf->alipay) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

#if (NGX_THREADS)

    /* "default" needs no thread_pool directive: nginx makes it itself */

    mcf->password_thread_pool = ngx_thread_pool_add(cf,
                                          &mcf->password_thread_pool_name);
    if (mcf->password_thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    /* uploads are decoded to be checked: milliseconds of CPU each */

    mcf->upload_thread_pool = ngx_thread_pool_add(cf,
                                          &mcf->upload_thread_pool_name);
    if (mcf->upload_thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

#else

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"certhall\" needs nginx built --with-threads: "
                       "password hashes are computed in a thread pool");
    return NGX_CONF_ERROR;

#endif

    return NGX_CONF_OK;
}
