/*
 * Alipay's configuration: certhall_alipay_* (ngx_module/README.md).
 *
 * The keys are read and parsed when the configuration is, so that a
 * missing, malformed, non-RSA or short key stops "nginx -t" and a reload
 * rather than the first payment; they live as long as the cycle, freed by
 * its pool's cleanup.  The values that go out to Alipay (app id, seller
 * id, URLs) are checked here too: they are signed and posted as they are.
 * All of it is optional: without the app id and the keys, paying by
 * Alipay is answered as unavailable.
 */

#include "ngx_http_certhall.h"


/* a PEM key is a few kilobytes; anything much larger is no key */
#define NGX_HTTP_CERTHALL_ALIPAY_PEM_MAX  65536


static void ngx_http_certhall_alipay_key_cleanup(void *data);


/*
 * certhall_alipay_private_key FILE (the merchant's, PKCS#8 or PKCS#1 PEM)
 * and certhall_alipay_public_key FILE (Alipay's, SubjectPublicKeyInfo
 * PEM): RSA of at least 2048 bits (lib/ch_alipay.c says what it takes)
 */

char *
ngx_http_certhall_alipay_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                 err[256];
    ngx_str_t           *value, name, pem;
    ngx_uint_t           private;
    ch_alipay_key_t    **field, *key;
    ngx_pool_cleanup_t  *cln;

    field = (ch_alipay_key_t **) ((char *) conf + cmd->offset);

    if (*field) {
        return "is duplicate";
    }

    private = (cmd->offset == offsetof(ngx_http_certhall_main_conf_t,
                                       alipay.private_key));

    value = cf->args->elts;
    name = value[1];

    if (ngx_http_certhall_conf_read_file(cf, &name,
                                         NGX_HTTP_CERTHALL_ALIPAY_PEM_MAX,
                                         cf->temp_pool, "PEM key", &pem)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    err[0] = '\0';

    key = private
          ? ch_alipay_private_key_load((char *) pem.data, pem.len, err,
                                       sizeof(err))
          : ch_alipay_public_key_load((char *) pem.data, pem.len, err,
                                      sizeof(err));

    /* the private key's PEM is not left in the configuration's memory */
    ngx_explicit_memzero(pem.data, pem.len);

    if (key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is no usable %s key: %s", &name,
                           private ? "private" : "public",
                           err[0] ? err : "unreadable");
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ch_alipay_key_free(key);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_certhall_alipay_key_cleanup;
    cln->data = key;

    *field = key;

    return NGX_CONF_OK;
}


static void
ngx_http_certhall_alipay_key_cleanup(void *data)
{
    ch_alipay_key_free(data);
}


/*
 * certhall_alipay_app_id, _seller_id: Alipay's identifiers, letters and
 * digits; NUL-terminated (statement parameters, compared in lib/)
 */

char *
ngx_http_certhall_alipay_text(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t   *value, *field;
    ngx_uint_t   i;

    field = (ngx_str_t *) ((char *) conf + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 32) {
        return "is empty or longer than 32 characters";
    }

    for (i = 0; i < value[1].len; i++) {
        if (!((value[1].data[i] >= '0' && value[1].data[i] <= '9')
              || (value[1].data[i] >= 'a' && value[1].data[i] <= 'z')
              || (value[1].data[i] >= 'A' && value[1].data[i] <= 'Z')))
        {
            return "may only have letters and digits";
        }
    }

    *field = value[1];      /* the configuration's strings end with NUL */

    return NGX_CONF_OK;
}


/*
 * certhall_alipay_gateway, _notify_url, _return_url: http(s) URLs of
 * printable ASCII without blanks or quotes, as they are signed and sent
 */

char *
ngx_http_certhall_alipay_url(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char      c;
    ngx_str_t  *value, *field;
    ngx_uint_t  i;

    field = (ngx_str_t *) ((char *) conf + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 256) {
        return "is empty or longer than 256 characters";
    }

    for (i = 0; i < value[1].len; i++) {
        c = value[1].data[i];

        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '<'
            || c == '>' || c == '\\')
        {
            return "has a character a URL must escape";
        }
    }

    if (ngx_strncmp(value[1].data, "https://", 8) != 0
        && ngx_strncmp(value[1].data, "http://", 7) != 0)
    {
        return "is not an http(s) URL";
    }

    *field = value[1];

    return NGX_CONF_OK;
}


void
ngx_http_certhall_alipay_create_conf(ngx_http_certhall_alipay_conf_t *acf)
{
    /*
     * set by ngx_pcalloc() with the main configuration:
     *
     *     acf->app_id = { 0, NULL };
     *     acf->seller_id = { 0, NULL };
     *     acf->gateway = { 0, NULL };
     *     acf->notify_url = { 0, NULL };
     *     acf->return_url = { 0, NULL };
     *     acf->private_key = NULL;
     *     acf->public_key = NULL;
     *     acf->thread_pool_name = { 0, NULL };
     */

    acf->timeout = NGX_CONF_UNSET;
}


/*
 * Either none of what a payment needs is configured (Alipay is then
 * unavailable) or all of it: half a configuration is a mistake better
 * found by "nginx -t" than by an applicant.
 */

char *
ngx_http_certhall_alipay_init_conf(ngx_conf_t *cf,
    ngx_http_certhall_alipay_conf_t *acf)
{
    ngx_uint_t  given;

    ngx_conf_init_value(acf->timeout, 30 * 60);

    if (acf->timeout < 60 || acf->timeout > 15 * 24 * 60 * 60) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"certhall_alipay_timeout\" must be from 1m "
                           "to 15d");
        return NGX_CONF_ERROR;
    }

    if (acf->thread_pool_name.data == NULL) {
        ngx_str_set(&acf->thread_pool_name, "default");
    }

    given = (acf->app_id.len != 0) + (acf->seller_id.len != 0)
            + (acf->gateway.len != 0) + (acf->notify_url.len != 0)
            + (acf->private_key != NULL) + (acf->public_key != NULL);

    if (given == 0) {
        return NGX_CONF_OK;
    }

    if (given != 6) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "paying by Alipay needs all of "
                           "\"certhall_alipay_app_id\", \"_seller_id\", "
                           "\"_gateway\", \"_notify_url\", \"_private_key\" "
                           "and \"_public_key\"");
        return NGX_CONF_ERROR;
    }

#if (NGX_THREADS)

    /* RSA signing takes about a millisecond: not in the event loop */

    acf->thread_pool = ngx_thread_pool_add(cf, &acf->thread_pool_name);
    if (acf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

#endif

    return NGX_CONF_OK;
}
