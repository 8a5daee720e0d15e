/*
 * The catalog: GET /api/projects, the projects with their services, cert
 * types, prices and required materials, rendered by api.projects(); and
 * GET /api/agreements/{code}, the texts applicants agree to (用户申请条款,
 * 数字证书申请责任书), rendered by api.agreement().  Both are public.
 */

#include "ngx_http_certhall.h"
#include "ngx_http_certhall_cache.h"
#include "ch_field_specs.h"


/* api.agreement's parameters: public, no session */

enum {
    NGX_HTTP_CERTHALL_AGREEMENT_CODE = 0,
    NGX_HTTP_CERTHALL_AGREEMENT_VERSION     /* NULL: the current one */
};


/* served from the worker's catalog cache (ngx_http_certhall_cache.c) */

ngx_int_t
ngx_http_certhall_projects(ngx_http_request_t *r, ch_route_params_t *params)
{
    ngx_int_t                      rc;
    ngx_http_certhall_db_query_t  *q;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_PROJECTS);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    return ngx_http_certhall_cache_run(r, q, NGX_HTTP_CERTHALL_CACHE_PROJECTS,
                                       (u_char *) "", 0);
}


/*
 * GET /api/agreements/{code}[?version=N]: the current version, or version
 * N; a code that cannot be one (not [a-z][a-z0-9_]{0,31}) is 404 without
 * asking the database, as an unknown one is after asking it.  Served from
 * the catalog cache, kept per code and version asked ("user_terms" and
 * "user_terms?1" are two answers: the first changes with a publication).
 */

ngx_int_t
ngx_http_certhall_agreement(ngx_http_request_t *r, ch_route_params_t *params)
{
    u_char                        *code, *key, *last;
    size_t                         key_len;
    ngx_int_t                      rc;
    ngx_uint_t                     i;
    const char                    *v[1];
    ch_route_param_t              *p;
    ngx_http_certhall_form_t       args;
    ngx_http_certhall_db_query_t  *q;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    p = &params->param[0];

    for (i = 0; i < p->len; i++) {
        if (!((p->data[i] >= 'a' && p->data[i] <= 'z')
              || (i > 0 && ((p->data[i] >= '0' && p->data[i] <= '9')
                            || p->data[i] == '_'))))
        {
            break;
        }
    }

    if (p->len == 0 || p->len > 32 || i != p->len) {
        return ngx_http_certhall_send_error(r, NGX_HTTP_NOT_FOUND,
                                            "agreement_not_found", NULL,
                                            "协议不存在");
    }

    if (ngx_http_certhall_read_args(r, &args) != NGX_OK
        || ngx_http_certhall_form_fields(r, &args,
                                ch_agreement_fields,
                                ngx_http_certhall_nfields(
                                    ch_agreement_fields), 0, v)
           != NGX_OK)
    {
        return args.refusal;
    }

    code = ngx_pnalloc(r->pool, p->len + 1);
    if (code == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    *ngx_cpymem(code, p->data, p->len) = '\0';

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_AGREEMENT);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_AGREEMENT_CODE] = (const char *) code;
    q->values[NGX_HTTP_CERTHALL_AGREEMENT_VERSION] = v[0];

    key_len = p->len + (v[0] ? 1 + ngx_strlen(v[0]) : 0);

    key = ngx_pnalloc(r->pool, key_len);
    if (key == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    last = ngx_cpymem(key, p->data, p->len);

    if (v[0]) {
        *last++ = '?';
        ngx_memcpy(last, v[0], ngx_strlen(v[0]));
    }

    return ngx_http_certhall_cache_run(r, q,
                                       NGX_HTTP_CERTHALL_CACHE_AGREEMENTS,
                                       key, key_len);
}
