/*
 * certhall_db's connection string: parsed and checked when nginx reads its
 * configuration (nginx -t), turned into the keyword and value arrays that
 * PQconnectStartParams takes in every worker.
 */

#include "ngx_http_certhall.h"
#include "ngx_http_certhall_db.h"


static ngx_int_t ngx_http_certhall_db_check_hosts(ngx_conf_t *cf,
    ngx_str_t *conninfo, char *host, char *hostaddr);
static u_char *ngx_http_certhall_db_next_item(u_char *p, u_char *end,
    ngx_str_t *item);
static ngx_uint_t ngx_http_certhall_db_is_ip(ngx_str_t *s);


/*
 * Every session of the module asks PostgreSQL (14 or later) to check
 * every second, while a statement runs, that the worker is still there: a
 * worker killed (SIGKILL, a crash) with a statement waiting for a lock
 * would otherwise see it run and commit once the lock is released, for a
 * client long gone.  So its statement is ended, its transaction rolled
 * back.  Put before the connection string's own options, which can say
 * otherwise.
 */
#define NGX_HTTP_CERTHALL_DB_OPTIONS  "-c client_connection_check_interval=1000"


char *
ngx_http_certhall_db_parse_conninfo(ngx_conf_t *cf,
    ngx_http_certhall_db_conf_t *dbcf, ngx_str_t *conninfo)
{
    char              *err, *ci, *host, *hostaddr, *options;
    size_t             len;
    ngx_uint_t         n, i;
    PQconninfoOption  *opts, *o;

    ci = (char *) ngx_pnalloc(cf->pool, conninfo->len + 1);
    if (ci == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn((u_char *) ci, conninfo->data, conninfo->len + 1);

    /* a bad connection string is a configuration error, found at -t */

    err = NULL;
    opts = PQconninfoParse(ci, &err);

    if (opts == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid certhall_db \"%V\": %s", conninfo,
                           err ? err : "out of memory");
        if (err) {
            PQfreemem(err);
        }
        return NGX_CONF_ERROR;
    }

    n = 0;
    host = NULL;
    hostaddr = NULL;
    options = NULL;

    for (o = opts; o->keyword; o++) {
        if (o->val == NULL) {
            continue;
        }

        n++;

        if (ngx_strcmp(o->keyword, "options") == 0) {
            options = o->val;
        }

        if (ngx_strcmp(o->keyword, "host") == 0) {
            host = o->val;

        } else if (ngx_strcmp(o->keyword, "hostaddr") == 0) {
            hostaddr = o->val;

        } else if (ngx_strcmp(o->keyword, "service") == 0) {
            /* the service file could name a host the module never sees */
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "certhall_db \"%V\": \"service\" is not "
                               "supported: give host (and hostaddr) in the "
                               "connection string itself", conninfo);
            PQconninfoFree(opts);
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_certhall_db_check_hosts(cf, conninfo, host, hostaddr)
        != NGX_OK)
    {
        PQconninfoFree(opts);
        return NGX_CONF_ERROR;
    }

    /*
     * one more for fallback_application_name, one for options if the
     * string has none, one for the terminator
     */

    dbcf->keywords = ngx_pcalloc(cf->pool, (n + 3) * sizeof(char *));
    dbcf->values = ngx_pcalloc(cf->pool, (n + 3) * sizeof(char *));

    if (dbcf->keywords == NULL || dbcf->values == NULL) {
        PQconninfoFree(opts);
        return NGX_CONF_ERROR;
    }

    i = 0;

    for (o = opts; o->keyword; o++) {
        if (o->val == NULL) {
            continue;
        }

        len = ngx_strlen(o->keyword) + 1;
        dbcf->keywords[i] = ngx_pnalloc(cf->pool, len);
        len = ngx_strlen(o->val) + 1;

        if (o->val == options) {
            len += sizeof(NGX_HTTP_CERTHALL_DB_OPTIONS " ") - 1;
        }

        dbcf->values[i] = ngx_pnalloc(cf->pool, len);

        if (dbcf->keywords[i] == NULL || dbcf->values[i] == NULL) {
            PQconninfoFree(opts);
            return NGX_CONF_ERROR;
        }

        ngx_memcpy((char *) dbcf->keywords[i], o->keyword,
                   ngx_strlen(o->keyword) + 1);

        if (o->val == options) {
            ngx_sprintf((u_char *) dbcf->values[i],
                        NGX_HTTP_CERTHALL_DB_OPTIONS " %s%Z", o->val);

        } else {
            ngx_memcpy((char *) dbcf->values[i], o->val, len);
        }

        i++;
    }

    if (options == NULL) {
        dbcf->keywords[i] = "options";
        dbcf->values[i] = NGX_HTTP_CERTHALL_DB_OPTIONS;
        i++;
    }

    /* names the module's sessions in pg_stat_activity */
    dbcf->keywords[i] = "fallback_application_name";
    dbcf->values[i] = "certhall-nginx";

    PQconninfoFree(opts);

    return NGX_CONF_OK;
}


/*
 * libpq resolves a host name with a blocking getaddrinfo() when it starts
 * a connection (PQconnectStartParams), which would stall the worker at
 * start and on every reconnection.  So every host of the (comma-separated)
 * list must need no lookup: a unix socket directory (an absolute path, or
 * "@name" in the abstract namespace), an IP address, empty (the default
 * socket), or come with its address in hostaddr, which libpq then uses
 * without resolving (the name still serves authentication and TLS).
 * Refused at nginx -t.  The other half: a connection starts only when the
 * worker starts, from its backoff timer or from the pool's reconnect
 * event, never inside a request's handler (ngx_http_certhall_db.c).
 */

static ngx_int_t
ngx_http_certhall_db_check_hosts(ngx_conf_t *cf, ngx_str_t *conninfo,
    char *host, char *hostaddr)
{
    u_char     *h, *hend, *a, *aend;
    ngx_str_t   name, addr;

    if (host == NULL) {
        return NGX_OK;
    }

    h = (u_char *) host;
    hend = h + ngx_strlen(host);
    a = (u_char *) hostaddr;
    aend = a ? a + ngx_strlen(hostaddr) : NULL;

    for ( ;; ) {
        h = ngx_http_certhall_db_next_item(h, hend, &name);

        /* the matching hostaddr item, when given, is what libpq uses */

        ngx_str_null(&addr);

        if (a) {
            a = ngx_http_certhall_db_next_item(a, aend, &addr);
        }

        if (addr.len) {
            if (!ngx_http_certhall_db_is_ip(&addr)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "certhall_db \"%V\": hostaddr \"%V\" is "
                                   "not an IP address", conninfo, &addr);
                return NGX_ERROR;
            }

        } else if (name.len && name.data[0] != '/' && name.data[0] != '@'
                   && !ngx_http_certhall_db_is_ip(&name))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "certhall_db \"%V\": host \"%V\" is a name, "
                               "which libpq would look up with a blocking "
                               "getaddrinfo() in the worker: give its address "
                               "in hostaddr, or use an IP address or a unix "
                               "socket directory", conninfo, &name);
            return NGX_ERROR;
        }

        if (h == NULL) {
            return NGX_OK;
        }
    }
}


/* the item of a comma-separated list at p; the next one, or NULL at the end */

static u_char *
ngx_http_certhall_db_next_item(u_char *p, u_char *end, ngx_str_t *item)
{
    u_char  *comma;

    if (p == NULL) {
        ngx_str_null(item);
        return NULL;
    }

    comma = ngx_strlchr(p, end, ',');

    item->data = p;
    item->len = (comma ? comma : end) - p;

    return comma ? comma + 1 : NULL;
}


static ngx_uint_t
ngx_http_certhall_db_is_ip(ngx_str_t *s)
{
#if (NGX_HAVE_INET6)
    u_char  addr6[16];
#endif

    if (ngx_inet_addr(s->data, s->len) != INADDR_NONE) {
        return 1;
    }

#if (NGX_HAVE_INET6)
    if (ngx_inet6_addr(s->data, s->len, addr6) == NGX_OK) {
        return 1;
    }
#endif

    return 0;
}
