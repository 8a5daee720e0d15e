/*
 * GET /api/orders/{id}/prefill: what the hall knows for the order's 基本信息
 * (the verified identity, the account's phone, the earlier order), one row
 * per field from the database; the sealed ID numbers are opened here under
 * certhall_data_key (lib/ch_seal.c), as for the application form, and the
 * answer is
 *
 *   {"fields":{"name":{"value":"张三","source":"realname",
 *                      "source_name":"实名认证信息"},...}}
 */

#include "ngx_http_certhall.h"
#include "ch_json.h"
#include "ch_validate.h"


/* the columns of a row of api.order_prefill(), found by name once */

typedef struct {
    int                             field;
    int                             value;
    int                             sealed_for;     /* NULL: not sealed */
    int                             source;
    int                             source_name;
} ngx_http_certhall_prefill_cols_t;


static ngx_int_t ngx_http_certhall_order_prefill_done(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_prefill_columns(ngx_http_request_t *r,
    PGresult *res, ngx_http_certhall_prefill_cols_t *col);


ngx_int_t
ngx_http_certhall_order_prefill(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_order_sealed_call(r, params,
                                        NGX_HTTP_CERTHALL_STMT_ORDER_PREFILL,
                                        ngx_http_certhall_order_prefill_done);
}


static ngx_int_t
ngx_http_certhall_order_prefill_done(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    int                                row, nrows;
    u_char                            *body, *p, **opened;
    size_t                             len, vlen, *opened_len;
    ngx_int_t                          rc;
    const char                        *sealed_for, *value;
    ngx_uint_t                         first;
    ngx_http_certhall_main_conf_t     *mcf;
    ngx_http_certhall_prefill_cols_t   col;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK
        || ngx_http_certhall_prefill_columns(r, res, &col) != NGX_OK)
    {
        return ngx_http_certhall_internal_error(r);
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);
    nrows = PQntuples(res);

    opened = ngx_pcalloc(r->pool, (nrows + 1) * sizeof(u_char *));
    opened_len = ngx_pcalloc(r->pool, (nrows + 1) * sizeof(size_t));

    if (opened == NULL || opened_len == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    len = sizeof("{\"fields\":{}}") - 1;

    for (row = 0; row < nrows; row++) {

        if (PQgetisnull(res, row, col.field)
            || PQgetisnull(res, row, col.value)
            || PQgetisnull(res, row, col.source)
            || PQgetisnull(res, row, col.source_name))
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "certhall: database: a pre-filled field without "
                          "its name, value or source");
            goto failed;
        }

        value = PQgetvalue(res, row, col.value);
        vlen = PQgetlength(res, row, col.value);

        if (!PQgetisnull(res, row, col.sealed_for)) {

            /* an ID number, sealed to its order or real-name request */

            sealed_for = PQgetvalue(res, row, col.sealed_for);

            opened[row] = ngx_pnalloc(r->pool, vlen + 1);
            if (opened[row] == NULL) {
                goto failed;
            }

            if (ch_unseal(mcf->data_key.data, sealed_for, value, vlen,
                          opened[row], &opened_len[row])
                != 0
                || opened_len[row] != CH_ID_LEN)
            {
                /* another key than the one that sealed it: left out */
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "certhall: the ID number of %s does not open "
                              "with certhall_data_key", sealed_for);
                ngx_explicit_memzero(opened[row], vlen + 1);
                opened[row] = NULL;
                continue;
            }

            value = (const char *) opened[row];
            vlen = opened_len[row];
        }

        len += sizeof(",\"\":{\"value\":\"\",\"source\":\"\","
                      "\"source_name\":\"\"}") - 1
               + ch_json_escape(NULL,
                                (u_char *) PQgetvalue(res, row, col.field),
                                PQgetlength(res, row, col.field))
               + ch_json_escape(NULL, (u_char *) value, vlen)
               + ch_json_escape(NULL,
                                (u_char *) PQgetvalue(res, row, col.source),
                                PQgetlength(res, row, col.source))
               + ch_json_escape(NULL,
                                (u_char *) PQgetvalue(res, row,
                                                      col.source_name),
                                PQgetlength(res, row, col.source_name));
    }

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        goto failed;
    }

    p = ngx_cpymem(body, "{\"fields\":{", sizeof("{\"fields\":{") - 1);
    first = 1;

    for (row = 0; row < nrows; row++) {

        if (PQgetisnull(res, row, col.sealed_for)) {
            value = PQgetvalue(res, row, col.value);
            vlen = PQgetlength(res, row, col.value);

        } else if (opened[row]) {
            value = (const char *) opened[row];
            vlen = opened_len[row];

        } else {
            continue;
        }

        if (!first) {
            *p++ = ',';
        }

        first = 0;

        *p++ = '"';
        p += ch_json_escape(p, (u_char *) PQgetvalue(res, row, col.field),
                            PQgetlength(res, row, col.field));
        p = ngx_cpymem(p, "\":{\"value\":\"",
                       sizeof("\":{\"value\":\"") - 1);
        p += ch_json_escape(p, (u_char *) value, vlen);
        p = ngx_cpymem(p, "\",\"source\":\"",
                       sizeof("\",\"source\":\"") - 1);
        p += ch_json_escape(p, (u_char *) PQgetvalue(res, row, col.source),
                            PQgetlength(res, row, col.source));
        p = ngx_cpymem(p, "\",\"source_name\":\"",
                       sizeof("\",\"source_name\":\"") - 1);
        p += ch_json_escape(p,
                            (u_char *) PQgetvalue(res, row, col.source_name),
                            PQgetlength(res, row, col.source_name));
        p = ngx_cpymem(p, "\"}", 2);
    }

    p = ngx_cpymem(p, "}}", 2);

    rc = ngx_http_certhall_send_json(r, NGX_HTTP_OK, body, p - body);

    goto done;

failed:

    rc = ngx_http_certhall_internal_error(r);

done:

    /* the opened numbers are not left in the request's memory */

    for (row = 0; row < nrows; row++) {
        if (opened[row]) {
            ngx_explicit_memzero(opened[row], opened_len[row]);
        }
    }

    return rc;
}


/*
 * The columns of api.order_prefill()'s rows (ngx_http_certhall_db_stmt.c
 * names them): NGX_ERROR, logged, when one is missing
 */

static ngx_int_t
ngx_http_certhall_prefill_columns(ngx_http_request_t *r, PGresult *res,
    ngx_http_certhall_prefill_cols_t *col)
{
    col->field = PQfnumber(res, "field");
    col->value = PQfnumber(res, "value");
    col->sealed_for = PQfnumber(res, "sealed_for");
    col->source = PQfnumber(res, "source");
    col->source_name = PQfnumber(res, "source_name");

    if (col->field < 0 || col->value < 0 || col->sealed_for < 0
        || col->source < 0 || col->source_name < 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: database: api.order_prefill() lacks a "
                      "column of field, value, sealed_for, source, "
                      "source_name");
        return NGX_ERROR;
    }

    return NGX_OK;
}
