/*
 * Orders: the account's certificates, drafts, my orders, one order, its
 * basic information (基本信息) and invoice information (开票信息), the
 * submission (订单提交), cancellation, the resubmission after a rejection
 * (重新提交), 确认收货.  What every handler of /api/orders/{id}/... does (the order
 * id of the path, its 404, reading the form) is in
 * ngx_http_certhall_order_path.c; the payment is in
 * ngx_http_certhall_payment.c, the answers that open a sealed ID number in
 * ngx_http_certhall_prefill.c and ngx_http_certhall_appform.c.
 *
 * Every field is checked here against the form's specification
 * (lib/ch_fields.c) before the database sees it; the database decides
 * what needs state: whose order it is (404 for anyone else's), whether it
 * may still be edited, the rules of each service, the state machine.
 *
 * ID numbers are sealed here (lib/ch_seal.c) under certhall_data_key and
 * reach the database only sealed, masked, and as a lookup digest; they are
 * opened here only for the application form and the pre-filled 基本信息.
 */

#include "ngx_http_certhall.h"
#include "ch_field_specs.h"
#include "ch_fields.h"
#include "ch_sign.h"
#include "ch_validate.h"


static ngx_int_t ngx_http_certhall_orders_list(ngx_http_request_t *r);
static ngx_int_t ngx_http_certhall_order_create_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_order_info_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_order_invoice_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_order_submit_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
/*
 * The forms' fields are lib/ch_field_specs.c's, which the website's rules
 * are printed from; the ID number comes last in both kinds of 基本信息.
 */

#define NGX_HTTP_CERTHALL_INFO_MAX                                            \
    ngx_http_certhall_nfields(ch_org_info_fields)

#define NGX_HTTP_CERTHALL_INVOICE_FIELDS                                      \
    ngx_http_certhall_nfields(ch_org_invoice_fields)


/* GET /api/certificates */

ngx_int_t
ngx_http_certhall_certificates(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_session_answer(r,
                                         NGX_HTTP_CERTHALL_STMT_CERTIFICATES);
}


/* GET /api/orders, POST /api/orders */

ngx_int_t
ngx_http_certhall_orders(ngx_http_request_t *r, ch_route_params_t *params)
{
    if (r->method == NGX_HTTP_POST) {
        return ngx_http_certhall_read_form(r,
                                       ngx_http_certhall_order_create_form);
    }

    return ngx_http_certhall_orders_list(r);
}


/* api.order_create's parameters after the session's: the form's fields */

enum {
    NGX_HTTP_CERTHALL_ORDER_CREATE_FORM = NGX_HTTP_CERTHALL_PARAM_WRITE_OWN
};


static ngx_int_t
ngx_http_certhall_order_create_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    ngx_int_t                      rc;
    const char                    *v[6];
    ngx_http_certhall_db_query_t  *q;

    if (ngx_http_certhall_form_fields(r, form,
                            ch_order_create_fields,
                            ngx_http_certhall_nfields(
                                ch_order_create_fields), 1, v)
        != NGX_OK)
    {
        return form->refusal;
    }

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_ORDER_CREATE,
                                        &rc);
    if (q == NULL) {
        return rc;
    }

    ngx_memcpy(&q->values[NGX_HTTP_CERTHALL_ORDER_CREATE_FORM], v, sizeof(v));
    q->data = &ngx_http_certhall_created;

    return ngx_http_certhall_db_run(r, q);
}


/* api.orders's parameters after the session token: the filters */

enum {
    NGX_HTTP_CERTHALL_ORDERS_STATE = NGX_HTTP_CERTHALL_PARAM_READ_OWN,
    NGX_HTTP_CERTHALL_ORDERS_PROJECT,
    NGX_HTTP_CERTHALL_ORDERS_SERVICE,
    NGX_HTTP_CERTHALL_ORDERS_QUERY,
    NGX_HTTP_CERTHALL_ORDERS_ID_DIGEST,     /* q as a whole ID number */
    NGX_HTTP_CERTHALL_ORDERS_FROM,
    NGX_HTTP_CERTHALL_ORDERS_TO,
    NGX_HTTP_CERTHALL_ORDERS_PAGE,
    NGX_HTTP_CERTHALL_ORDERS_PER_PAGE
};


static ngx_int_t
ngx_http_certhall_orders_list(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    const char                     *v[8];
    char                            id[CH_ID_LEN + 1], *digest;
    ngx_http_certhall_form_t        args;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_main_conf_t  *mcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_certhall_read_args(r, &args) != NGX_OK
        || ngx_http_certhall_form_fields(r, &args,
                                ch_order_list_fields,
                                ngx_http_certhall_nfields(
                                    ch_order_list_fields), 0, v)
           != NGX_OK)
    {
        return args.refusal;
    }

    /* a whole ID number is looked for by its digest, never in the clear */

    digest = NULL;
    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (v[3] && mcf->data_key.len
        && ch_id_number_check((u_char *) v[3], ngx_strlen(v[3]),
                              ngx_http_certhall_today(), id)
           == CH_VALID)
    {
        digest = ngx_pnalloc(r->pool, CH_HMAC_HEX_LEN + 1);
        if (digest == NULL
            || ch_seal_digest(mcf->data_key.data, "id_number", (u_char *) id,
                              CH_ID_LEN, digest)
               != 0)
        {
            return ngx_http_certhall_internal_error(r);
        }
    }

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_ORDERS, &rc);
    if (q == NULL) {
        return rc;
    }

    /* v: the filters in the order of ch_order_list_fields */

    q->values[NGX_HTTP_CERTHALL_ORDERS_STATE] = v[0];
    q->values[NGX_HTTP_CERTHALL_ORDERS_PROJECT] = v[1];
    q->values[NGX_HTTP_CERTHALL_ORDERS_SERVICE] = v[2];
    q->values[NGX_HTTP_CERTHALL_ORDERS_QUERY] = v[3];
    q->values[NGX_HTTP_CERTHALL_ORDERS_ID_DIGEST] = digest;
    q->values[NGX_HTTP_CERTHALL_ORDERS_FROM] = v[4];
    q->values[NGX_HTTP_CERTHALL_ORDERS_TO] = v[5];
    q->values[NGX_HTTP_CERTHALL_ORDERS_PAGE] = v[6];
    q->values[NGX_HTTP_CERTHALL_ORDERS_PER_PAGE] = v[7];

    return ngx_http_certhall_db_run(r, q);
}


/* GET /api/orders/{id} */

ngx_int_t
ngx_http_certhall_order(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_order_call(r, params,
                                        NGX_HTTP_CERTHALL_STMT_ORDER_GET, NULL);
}


/* POST /api/orders/{id}/cancel */

ngx_int_t
ngx_http_certhall_order_cancel(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_order_call(r, params,
                                        NGX_HTTP_CERTHALL_STMT_ORDER_CANCEL,
                                        NULL);
}


/* POST /api/orders/{id}/confirm-receipt: 确认收货, shipped -> 待开票 */

ngx_int_t
ngx_http_certhall_order_confirm_receipt(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_order_call(r, params,
                               NGX_HTTP_CERTHALL_STMT_ORDER_CONFIRM_RECEIPT,
                               NULL);
}


/*
 * POST /api/orders/{id}/resubmit: a rejected order back to review; the
 * database answers 200 with the order or 422 with what is still missing
 */

ngx_int_t
ngx_http_certhall_order_resubmit(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_order_call(r, params,
                                        NGX_HTTP_CERTHALL_STMT_ORDER_RESUBMIT,
                                        ngx_http_certhall_db_send_answer);
}


/*
 * PUT /api/orders/{id}/info, in one statement.  Which fields are asked
 * depends on the order's certificate type, which only the database knows;
 * so the form is checked here against both kinds (an organisation's and a
 * person's: strict, so at most one fits), the ID number of the kind that
 * fits sealed, and api.order_info_put() given the values with each kind's
 * refusal.  The database checks the session and the order first (401, 403,
 * 404 as ever), then refuses with the refusal of the order's own kind, the
 * very 400 this module would have sent, before it writes anything.
 */

ngx_int_t
ngx_http_certhall_order_info(ngx_http_request_t *r, ch_route_params_t *params)
{
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->data_key.len == 0) {
        return ngx_http_certhall_no_data_key(r);
    }

    return ngx_http_certhall_order_form(r, params,
                                        ngx_http_certhall_order_info_form);
}


/*
 * api.order_info_put's parameters after the session's: an organisation
 * fills them all, a person has no organisation (its name is person_name);
 * then the field and message of the refusal of each kind (NULL when the
 * form fits that kind)
 */

enum {
    NGX_HTTP_CERTHALL_INFO_ORDER = NGX_HTTP_CERTHALL_PARAM_WRITE_OWN,
    NGX_HTTP_CERTHALL_INFO_ORG_NAME,
    NGX_HTTP_CERTHALL_INFO_USCC,
    NGX_HTTP_CERTHALL_INFO_HANDLER_NAME,
    NGX_HTTP_CERTHALL_INFO_PERSON_NAME,     /* or the legal representative */
    NGX_HTTP_CERTHALL_INFO_ID_MASKED,
    NGX_HTTP_CERTHALL_INFO_ID_DIGEST,
    NGX_HTTP_CERTHALL_INFO_ID_SEALED,
    NGX_HTTP_CERTHALL_INFO_MOBILE,
    NGX_HTTP_CERTHALL_INFO_EMAIL,
    NGX_HTTP_CERTHALL_INFO_ORG_REFUSAL_FIELD,
    NGX_HTTP_CERTHALL_INFO_ORG_REFUSAL_MESSAGE,
    NGX_HTTP_CERTHALL_INFO_PERSONAL_REFUSAL_FIELD,
    NGX_HTTP_CERTHALL_INFO_PERSONAL_REFUSAL_MESSAGE
};


/*
 * The form checked against one kind's spec: NGX_OK with values[], or
 * NGX_DECLINED with *field and *message the refusal (copied to r's pool,
 * as the check's own buffer is reused), NGX_ERROR when out of memory
 */

static ngx_int_t
ngx_http_certhall_order_info_check(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form, const ch_field_spec_t *spec,
    size_t nspec, const char **values, const char **field,
    const char **message)
{
    char              *buf;
    size_t             size;
    ch_field_error_t   err;

    size = ch_fields_buf_size(form->fields, form->nfields, nspec);

    buf = ngx_pnalloc(r->pool, size);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    if (ch_fields_check(form->fields, form->nfields, spec, nspec, 1,
                        ngx_http_certhall_today(), values, buf, size, &err)
        == 0)
    {
        *field = NULL;
        *message = NULL;
        return NGX_OK;
    }

    /*
     * the field named is the spec's or the form's own (strict): both live
     * as long as r; the message is in err, which does not
     */

    *field = err.field;
    *message = ngx_pnalloc(r->pool, ngx_strlen(err.message) + 1);

    if (*message == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) *message, (u_char *) err.message,
                ngx_strlen(err.message) + 1);

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_certhall_order_info_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    char                           *masked, *digest, *sealed, *aad;
    ngx_int_t                       rc, org_rc, personal_rc;
    const char                     *org[NGX_HTTP_CERTHALL_INFO_MAX];
    const char                     *personal[NGX_HTTP_CERTHALL_INFO_MAX];
    const char                     *id;
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_order_ctx_t  *octx;
    ngx_http_certhall_main_conf_t  *mcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    octx = ctx->data;

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_ORDER_INFO,
                                      &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[NGX_HTTP_CERTHALL_INFO_ORDER] = octx->order_id;

    org_rc = ngx_http_certhall_order_info_check(r, form, ch_org_info_fields,
                 ngx_http_certhall_nfields(ch_org_info_fields), org,
                 &q->values[NGX_HTTP_CERTHALL_INFO_ORG_REFUSAL_FIELD],
                 &q->values[NGX_HTTP_CERTHALL_INFO_ORG_REFUSAL_MESSAGE]);

    personal_rc = ngx_http_certhall_order_info_check(r, form,
                 ch_personal_info_fields,
                 ngx_http_certhall_nfields(ch_personal_info_fields), personal,
                 &q->values[NGX_HTTP_CERTHALL_INFO_PERSONAL_REFUSAL_FIELD],
                 &q->values[NGX_HTTP_CERTHALL_INFO_PERSONAL_REFUSAL_MESSAGE]);

    if (org_rc == NGX_ERROR || personal_rc == NGX_ERROR) {
        return ngx_http_certhall_internal_error(r);
    }

    /* v: the fields in the order of the organisation's or person's spec */

    if (org_rc == NGX_OK) {
        q->values[NGX_HTTP_CERTHALL_INFO_ORG_NAME] = org[0];
        q->values[NGX_HTTP_CERTHALL_INFO_USCC] = org[1];
        q->values[NGX_HTTP_CERTHALL_INFO_HANDLER_NAME] = org[2];
        q->values[NGX_HTTP_CERTHALL_INFO_PERSON_NAME] = org[3];
        q->values[NGX_HTTP_CERTHALL_INFO_MOBILE] = org[4];
        q->values[NGX_HTTP_CERTHALL_INFO_EMAIL] = org[5];
        id = org[ngx_http_certhall_nfields(ch_org_info_fields) - 1];

    } else if (personal_rc == NGX_OK) {
        q->values[NGX_HTTP_CERTHALL_INFO_PERSON_NAME] = personal[0];
        q->values[NGX_HTTP_CERTHALL_INFO_MOBILE] = personal[1];
        q->values[NGX_HTTP_CERTHALL_INFO_EMAIL] = personal[2];
        id = personal[ngx_http_certhall_nfields(ch_personal_info_fields) - 1];

    } else {
        /* fits neither: the database refuses with the order's kind's */
        return ngx_http_certhall_db_run(r, q);
    }

    /* the ID number, last in both: masked, digested, sealed to this order */

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    masked = ngx_pnalloc(r->pool, CH_ID_LEN + 1);
    digest = ngx_pnalloc(r->pool, CH_HMAC_HEX_LEN + 1);
    sealed = ngx_pnalloc(r->pool, CH_SEAL_LEN(CH_ID_LEN) + 1);
    aad = ngx_pnalloc(r->pool, NGX_HTTP_CERTHALL_ORDER_ID_LEN
                               + sizeof("/person_id"));

    if (masked == NULL || digest == NULL || sealed == NULL || aad == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_sprintf((u_char *) aad, "%s/person_id%Z", octx->order_id);
    ch_id_number_mask(id, masked);

    if (ch_seal_digest(mcf->data_key.data, "id_number", (u_char *) id,
                       CH_ID_LEN, digest)
        != 0
        || ch_seal(mcf->data_key.data, aad, (u_char *) id, CH_ID_LEN, sealed)
           != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "certhall: sealing an ID number failed");
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_INFO_ID_MASKED] = masked;
    q->values[NGX_HTTP_CERTHALL_INFO_ID_DIGEST] = digest;
    q->values[NGX_HTTP_CERTHALL_INFO_ID_SEALED] = sealed;

    return ngx_http_certhall_db_run(r, q);
}


/* PUT /api/orders/{id}/invoice */

ngx_int_t
ngx_http_certhall_order_invoice(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_order_form(r, params,
                                        ngx_http_certhall_order_invoice_form);
}


/* api.order_invoice_put's parameters after the session's */

enum {
    NGX_HTTP_CERTHALL_INVOICE_ORDER = NGX_HTTP_CERTHALL_PARAM_WRITE_OWN,
    NGX_HTTP_CERTHALL_INVOICE_FORM          /* the form's fields from here */
};


static ngx_int_t
ngx_http_certhall_order_invoice_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    ngx_int_t                       rc;
    const char                     *v[NGX_HTTP_CERTHALL_INVOICE_FIELDS];
    const char                     *type;
    const ch_field_spec_t          *spec;
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_order_ctx_t  *octx;

    /* an organisation's title needs its taxpayer number, a person's not */

    type = ngx_http_certhall_form_value(form, "title_type");

    spec = (type && ngx_strcmp(type, "personal") == 0)
           ? ch_personal_invoice_fields
           : ch_org_invoice_fields;

    if (ngx_http_certhall_form_fields(r, form, spec,
                                      NGX_HTTP_CERTHALL_INVOICE_FIELDS, 1, v)
        != NGX_OK)
    {
        return form->refusal;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    octx = ctx->data;

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_ORDER_INVOICE,
                                      &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[NGX_HTTP_CERTHALL_INVOICE_ORDER] = octx->order_id;
    ngx_memcpy(&q->values[NGX_HTTP_CERTHALL_INVOICE_FORM], v, sizeof(v));

    return ngx_http_certhall_db_run(r, q);
}


/* POST /api/orders/{id}/submit */

ngx_int_t
ngx_http_certhall_order_submit(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_order_form(r, params,
                                        ngx_http_certhall_order_submit_form);
}


/* api.order_submit's parameters after the session's */

enum {
    NGX_HTTP_CERTHALL_SUBMIT_ORDER = NGX_HTTP_CERTHALL_PARAM_WRITE_OWN,
    NGX_HTTP_CERTHALL_SUBMIT_FORM           /* the form's fields from here */
};


static ngx_int_t
ngx_http_certhall_order_submit_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    ngx_int_t                       rc;
    const char                     *v[5];
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_order_ctx_t  *octx;

    if (ngx_http_certhall_form_fields(r, form,
                            ch_order_submit_fields,
                            ngx_http_certhall_nfields(
                                ch_order_submit_fields), 1, v)
        != NGX_OK)
    {
        return form->refusal;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    octx = ctx->data;

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_ORDER_SUBMIT,
                                      &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[NGX_HTTP_CERTHALL_SUBMIT_ORDER] = octx->order_id;
    ngx_memcpy(&q->values[NGX_HTTP_CERTHALL_SUBMIT_FORM], v, sizeof(v));
    q->done = ngx_http_certhall_db_send_answer;

    return ngx_http_certhall_db_run(r, q);
}
