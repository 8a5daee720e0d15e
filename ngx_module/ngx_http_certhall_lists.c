/*
 * The account's own lists: 我的地址 (addresses), 我的发票抬头 (invoice
 * titles), 我的消息 (messages), 我的申请 (applications: drafts and
 * rejected orders), and the pickup points (受理点) a submission may name.
 * Fields are checked here (lib/ch_fields.c); the database keeps one
 * default per list, the limits, and whose row is whose (404 for anyone
 * else's).
 */

#include "ngx_http_certhall.h"
#include "ngx_http_certhall_cache.h"
#include "ch_field_specs.h"


typedef struct {
    ngx_uint_t                 stmt;        /* the save statement */
    const ch_field_spec_t     *spec;
    size_t                     nspec;
    const char                *row_id;      /* NULL: a new row */
} ngx_http_certhall_list_ctx_t;


static ngx_int_t ngx_http_certhall_list_item(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_uint_t save, ngx_uint_t remove,
    const ch_field_spec_t *spec, size_t nspec, const char *not_found,
    const char *message);
static ngx_int_t ngx_http_certhall_list_save(ngx_http_request_t *r,
    ngx_uint_t stmt, const ch_field_spec_t *spec, size_t nspec,
    const char *row_id);
static ngx_int_t ngx_http_certhall_list_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_invoice_title_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_paged_list(ngx_http_request_t *r,
    ngx_uint_t stmt, const ch_field_spec_t *spec, size_t nspec);


/*
 * The lists' fields are lib/ch_field_specs.c's: an organisation's invoice
 * title needs its taxpayer number, a person's not.
 */

/* the most fields of a list form */
#define NGX_HTTP_CERTHALL_LIST_FIELDS  6


/*
 * The parameters after the session's of a row's statements: the save
 * (api.address_save, api.invoice_title_save), the delete and the message
 * read take the row, the save then the form's fields
 */

enum {
    NGX_HTTP_CERTHALL_LIST_ROW = NGX_HTTP_CERTHALL_PARAM_WRITE_OWN,
    NGX_HTTP_CERTHALL_LIST_FORM
};

/*
 * A paged list's statement (api.messages, api.applications) after the
 * session token: the query's fields
 */

enum {
    NGX_HTTP_CERTHALL_PAGED_LIST_ARGS = NGX_HTTP_CERTHALL_PARAM_READ_OWN
};

/* the most fields of a paged list's query */
#define NGX_HTTP_CERTHALL_PAGED_LIST_FIELDS  3


/* GET, POST /api/addresses */

ngx_int_t
ngx_http_certhall_addresses(ngx_http_request_t *r, ch_route_params_t *params)
{
    if (r->method == NGX_HTTP_POST) {
        return ngx_http_certhall_list_save(r,
                    NGX_HTTP_CERTHALL_STMT_ADDRESS_SAVE,
                    ch_address_fields,
                    ngx_http_certhall_nfields(ch_address_fields),
                    NULL);
    }

    return ngx_http_certhall_session_answer(r,
                                            NGX_HTTP_CERTHALL_STMT_ADDRESSES);
}


/* PUT, DELETE /api/addresses/{id} */

ngx_int_t
ngx_http_certhall_address(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_list_item(r, params,
                    NGX_HTTP_CERTHALL_STMT_ADDRESS_SAVE,
                    NGX_HTTP_CERTHALL_STMT_ADDRESS_DELETE,
                    ch_address_fields,
                    ngx_http_certhall_nfields(ch_address_fields),
                    "address_not_found", "收货地址不存在");
}


/* GET, POST /api/invoice-titles */

ngx_int_t
ngx_http_certhall_invoice_titles(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    if (r->method == NGX_HTTP_POST) {
        return ngx_http_certhall_list_save(r,
                    NGX_HTTP_CERTHALL_STMT_INVOICE_TITLE_SAVE,
                    ch_org_title_fields,
                    ngx_http_certhall_nfields(
                        ch_org_title_fields),
                    NULL);
    }

    return ngx_http_certhall_session_answer(r,
                                       NGX_HTTP_CERTHALL_STMT_INVOICE_TITLES);
}


/* PUT, DELETE /api/invoice-titles/{id} */

ngx_int_t
ngx_http_certhall_invoice_title(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_list_item(r, params,
                    NGX_HTTP_CERTHALL_STMT_INVOICE_TITLE_SAVE,
                    NGX_HTTP_CERTHALL_STMT_INVOICE_TITLE_DELETE,
                    ch_org_title_fields,
                    ngx_http_certhall_nfields(
                        ch_org_title_fields),
                    "invoice_title_not_found", "发票抬头不存在");
}


/*
 * PUT or DELETE of one row: its id must be a number (anything else names
 * no row: 404 as for another account's)
 */

static ngx_int_t
ngx_http_certhall_list_item(ngx_http_request_t *r, ch_route_params_t *params,
    ngx_uint_t save, ngx_uint_t remove, const ch_field_spec_t *spec,
    size_t nspec, const char *not_found, const char *message)
{
    ngx_int_t                      rc;
    const char                    *id;
    ngx_http_certhall_db_query_t  *q;

    rc = ngx_http_certhall_number_param(r, params, 0, &id);

    if (rc == NGX_ERROR) {
        return ngx_http_certhall_discard_internal_error(r);
    }

    if (rc == NGX_DECLINED) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_certhall_send_error(r, NGX_HTTP_NOT_FOUND, not_found,
                                            NULL, message);
    }

    if (r->method == NGX_HTTP_PUT) {
        return ngx_http_certhall_list_save(r, save, spec, nspec, id);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    q = ngx_http_certhall_session_query(r, remove, &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[NGX_HTTP_CERTHALL_LIST_ROW] = id;

    return ngx_http_certhall_db_run(r, q);
}


static ngx_int_t
ngx_http_certhall_list_save(ngx_http_request_t *r, ngx_uint_t stmt,
    const ch_field_spec_t *spec, size_t nspec, const char *row_id)
{
    ngx_http_certhall_ctx_t       *ctx;
    ngx_http_certhall_list_ctx_t  *lctx;

    ctx = ngx_http_certhall_get_ctx(r);
    lctx = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_list_ctx_t));

    if (ctx == NULL || lctx == NULL) {
        return ngx_http_certhall_discard_internal_error(r);
    }

    lctx->stmt = stmt;
    lctx->spec = spec;
    lctx->nspec = nspec;
    lctx->row_id = row_id;
    ctx->data = lctx;

    return ngx_http_certhall_read_form(r,
                          stmt == NGX_HTTP_CERTHALL_STMT_INVOICE_TITLE_SAVE
                          ? ngx_http_certhall_invoice_title_form
                          : ngx_http_certhall_list_form);
}


static ngx_int_t
ngx_http_certhall_invoice_title_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    const char                    *type;
    ngx_http_certhall_ctx_t       *ctx;
    ngx_http_certhall_list_ctx_t  *lctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    lctx = ctx->data;

    type = ngx_http_certhall_form_value(form, "title_type");

    if (type && ngx_strcmp(type, "personal") == 0) {
        lctx->spec = ch_personal_title_fields;
    }

    return ngx_http_certhall_list_form(r, form);
}


/* the save statement: the row (NULL: a new one), then the fields */

static ngx_int_t
ngx_http_certhall_list_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    ngx_int_t                      rc;
    const char                    *v[NGX_HTTP_CERTHALL_LIST_FIELDS];
    ngx_http_certhall_ctx_t       *ctx;
    ngx_http_certhall_db_query_t  *q;
    ngx_http_certhall_list_ctx_t  *lctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    lctx = ctx->data;

    if (ngx_http_certhall_form_fields(r, form, lctx->spec, lctx->nspec, 1, v)
        != NGX_OK)
    {
        return form->refusal;
    }

    q = ngx_http_certhall_session_query(r, lctx->stmt, &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[NGX_HTTP_CERTHALL_LIST_ROW] = lctx->row_id;
    ngx_memcpy(&q->values[NGX_HTTP_CERTHALL_LIST_FORM], v,
               lctx->nspec * sizeof(const char *));

    if (lctx->row_id == NULL) {
        q->data = &ngx_http_certhall_created;
    }

    return ngx_http_certhall_db_run(r, q);
}


/* GET /api/messages: page, per_page, unread */

ngx_int_t
ngx_http_certhall_messages(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_paged_list(r, NGX_HTTP_CERTHALL_STMT_MESSAGES,
                              ch_message_list_fields,
                              ngx_http_certhall_nfields(
                                  ch_message_list_fields));
}


/*
 * GET /api/applications (我的申请): page, per_page.  The database decides
 * which orders are applications and what each still misses.
 */

ngx_int_t
ngx_http_certhall_applications(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_paged_list(r,
                              NGX_HTTP_CERTHALL_STMT_APPLICATIONS,
                              ch_application_list_fields,
                              ngx_http_certhall_nfields(
                                  ch_application_list_fields));
}


/* a list of the account's read with the query's fields, checked here */

static ngx_int_t
ngx_http_certhall_paged_list(ngx_http_request_t *r, ngx_uint_t stmt,
    const ch_field_spec_t *spec, size_t nspec)
{
    ngx_int_t                      rc;
    const char                    *v[NGX_HTTP_CERTHALL_PAGED_LIST_FIELDS];
    ngx_http_certhall_form_t       args;
    ngx_http_certhall_db_query_t  *q;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_certhall_read_args(r, &args) != NGX_OK
        || ngx_http_certhall_form_fields(r, &args, spec, nspec, 0, v)
           != NGX_OK)
    {
        return args.refusal;
    }

    q = ngx_http_certhall_session_query(r, stmt, &rc);
    if (q == NULL) {
        return rc;
    }

    ngx_memcpy(&q->values[NGX_HTTP_CERTHALL_PAGED_LIST_ARGS], v,
               nspec * sizeof(const char *));

    return ngx_http_certhall_db_run(r, q);
}


/* POST /api/messages/{id}/read */

ngx_int_t
ngx_http_certhall_message_read(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_list_item(r, params, 0,
                                       NGX_HTTP_CERTHALL_STMT_MESSAGE_READ,
                                       NULL, 0, "message_not_found",
                                       "消息不存在");
}


/* POST /api/messages/read-all */

ngx_int_t
ngx_http_certhall_messages_read_all(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_session_answer(r,
                                    NGX_HTTP_CERTHALL_STMT_MESSAGES_READ_ALL);
}


/* GET /api/pickup-points: no session needed, the same for everyone */

ngx_int_t
ngx_http_certhall_pickup_points(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    ngx_int_t                      rc;
    ngx_http_certhall_db_query_t  *q;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_PICKUP_POINTS);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    /* public, changed by staff: the catalog cache keeps it */

    return ngx_http_certhall_cache_run(r, q,
                                       NGX_HTTP_CERTHALL_CACHE_PICKUP_POINTS,
                                       (u_char *) "", 0);
}
