/*
 * Orders: the account's certificates, drafts, my orders, one order, its
 * basic information (基本信息) and invoice information (开票信息), the
 * submission (订单提交), cancellation, the resubmission after a rejection
 * (重新提交), and the printable application form.
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
#include "ch_appform.h"
#include "ch_field_specs.h"
#include "ch_fields.h"
#include "ch_json.h"
#include "ch_sign.h"
#include "ch_validate.h"


#define NGX_HTTP_CERTHALL_ORDER_ID_LEN  20      /* UO + 18 digits */


typedef struct {
    const char                     *order_id;
    ngx_http_certhall_form_t        form;   /* kept across a statement */
} ngx_http_certhall_order_ctx_t;


static ngx_int_t ngx_http_certhall_orders_list(ngx_http_request_t *r);
static ngx_int_t ngx_http_certhall_order_create_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_order_info_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_order_info_kind(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_order_invoice_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_order_submit_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_order_pay_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_application_form_done(
    ngx_http_request_t *r, PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_order_prefill_done(ngx_http_request_t *r,
    PGresult *res, void *data);

static ngx_int_t ngx_http_certhall_order_form(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_http_certhall_form_pt handler);
static ngx_int_t ngx_http_certhall_order_call(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_uint_t stmt,
    ngx_http_certhall_db_done_pt done);
static ngx_int_t ngx_http_certhall_order_sealed_call(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_uint_t stmt,
    ngx_http_certhall_db_done_pt done);
static ngx_int_t ngx_http_certhall_no_data_key(ngx_http_request_t *r);


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

    ngx_memcpy(&q->values[2], v, sizeof(v));
    q->data = &ngx_http_certhall_created;

    return ngx_http_certhall_db_run(r, q);
}


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
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_ORDERS, &rc);
    if (q == NULL) {
        return rc;
    }

    /* $2 state, project, service, q, the digest, from, to, page, per_page */

    q->values[1] = v[0];
    q->values[2] = v[1];
    q->values[3] = v[2];
    q->values[4] = v[3];
    q->values[5] = digest;
    q->values[6] = v[4];
    q->values[7] = v[5];
    q->values[8] = v[6];
    q->values[9] = v[7];

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
 * The whole of a handler whose answer is one statement of the session and
 * the order in the path: $1 the session token, for writes $2 the CSRF
 * token, then the order id; done, if given, takes the result.
 */

static ngx_int_t
ngx_http_certhall_order_call(ngx_http_request_t *r, ch_route_params_t *params,
    ngx_uint_t stmt, ngx_http_certhall_db_done_pt done)
{
    ngx_int_t                      rc;
    const char                    *id;
    ngx_http_certhall_db_query_t  *q;

    id = ngx_http_certhall_order_param(r, params);
    if (id == NULL) {
        return ngx_http_certhall_order_not_found(r);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    q = ngx_http_certhall_session_query(r, stmt, &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) ? 1 : 2] = id;

    if (done) {
        q->done = done;
    }

    return ngx_http_certhall_db_run(r, q);
}


/*
 * ngx_http_certhall_order_call() for an answer with a sealed ID number to
 * open (the application form, the pre-filled 基本信息): without
 * certhall_data_key there is nothing to open it with
 */

static ngx_int_t
ngx_http_certhall_order_sealed_call(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_uint_t stmt,
    ngx_http_certhall_db_done_pt done)
{
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->data_key.len == 0) {
        return ngx_http_certhall_no_data_key(r);
    }

    return ngx_http_certhall_order_call(r, params, stmt, done);
}


/*
 * PUT /api/orders/{id}/info.  Which fields are asked depends on the
 * order's certificate type, so the order is looked up first (its type, and
 * 404 for anyone else's); then the fields are checked, the ID number
 * sealed, and the information written.
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


static ngx_int_t
ngx_http_certhall_order_info_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    ngx_int_t                       rc;
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_order_ctx_t  *octx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    octx = ctx->data;
    octx->form = *form;     /* the form itself lives on the caller's stack */

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_ORDER_CERT_TYPE,
                                      &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[2] = octx->order_id;
    q->done = ngx_http_certhall_order_info_kind;
    q->data = octx;

    return ngx_http_certhall_db_run(r, q);
}


static ngx_int_t
ngx_http_certhall_order_info_kind(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    ngx_http_certhall_order_ctx_t  *octx = data;

    char                           *masked, *digest, *sealed, *aad;
    size_t                          nspec, n;
    ngx_int_t                       rc;
    const char                     *v[NGX_HTTP_CERTHALL_INFO_MAX], *id;
    const ch_field_spec_t          *spec;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_main_conf_t  *mcf;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK || PQntuples(res) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_strcmp(PQgetvalue(res, 0, 0), "org") == 0) {
        spec = ch_org_info_fields;
        nspec = ngx_http_certhall_nfields(ch_org_info_fields);

    } else {
        spec = ch_personal_info_fields;
        nspec = ngx_http_certhall_nfields(
                    ch_personal_info_fields);
    }

    if (ngx_http_certhall_form_fields(r, &octx->form, spec, nspec, 1, v)
        != NGX_OK)
    {
        return octx->form.refusal;
    }

    /* the ID number, last in both: masked, digested, sealed to this order */

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);
    id = v[nspec - 1];

    masked = ngx_pnalloc(r->pool, CH_ID_LEN + 1);
    digest = ngx_pnalloc(r->pool, CH_HMAC_HEX_LEN + 1);
    sealed = ngx_pnalloc(r->pool, CH_SEAL_LEN(CH_ID_LEN) + 1);
    aad = ngx_pnalloc(r->pool, NGX_HTTP_CERTHALL_ORDER_ID_LEN
                               + sizeof("/person_id"));

    if (masked == NULL || digest == NULL || sealed == NULL || aad == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
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
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_ORDER_INFO,
                                      &rc);
    if (q == NULL) {
        return rc;
    }

    /*
     * $3 the order, then org_name, uscc, handler_name, person_name, the
     * mask, digest and seal, mobile, email; a person has no organisation
     */

    q->values[2] = octx->order_id;
    n = 3;

    if (nspec == NGX_HTTP_CERTHALL_INFO_MAX) {
        q->values[n++] = v[0];
        q->values[n++] = v[1];
        q->values[n++] = v[2];
        q->values[n++] = v[3];
        q->values[n++] = masked;
        q->values[n++] = digest;
        q->values[n++] = sealed;
        q->values[n++] = v[4];
        q->values[n] = v[5];

    } else {
        n += 3;
        q->values[n++] = v[0];
        q->values[n++] = masked;
        q->values[n++] = digest;
        q->values[n++] = sealed;
        q->values[n++] = v[1];
        q->values[n] = v[2];
    }

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

    q->values[2] = octx->order_id;
    ngx_memcpy(&q->values[3], v, sizeof(v));

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

    q->values[2] = octx->order_id;
    ngx_memcpy(&q->values[3], v, sizeof(v));
    q->done = ngx_http_certhall_db_send_answer;

    return ngx_http_certhall_db_run(r, q);
}


/*
 * POST /api/orders/{id}/pay.  By bank transfer (公对公转账): the order waits
 * for the voucher, and the applicant gets the CA's bank details from the
 * configuration, kept with the order as they were shown.  Alipay comes
 * with its own issue; until then it is answered as unavailable.
 */

ngx_int_t
ngx_http_certhall_order_pay(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_order_form(r, params,
                                        ngx_http_certhall_order_pay_form);
}


static ngx_int_t
ngx_http_certhall_order_pay_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    ngx_int_t                       rc;
    const char                     *v[1];
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_order_ctx_t  *octx;
    ngx_http_certhall_main_conf_t  *mcf;

    if (ngx_http_certhall_form_fields(r, form, ch_order_pay_fields,
                            ngx_http_certhall_nfields(
                                ch_order_pay_fields), 1, v)
        != NGX_OK)
    {
        return form->refusal;
    }

    if (ngx_strcmp(v[0], "alipay") == 0) {
        return ngx_http_certhall_send_unavailable(r, "alipay_unavailable",
                                    "支付宝支付暂未开通，请选择公对公转账",
                                    3600);
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->transfer_payee.len == 0 || mcf->transfer_bank.len == 0
        || mcf->transfer_account.len == 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: payment by transfer needs "
                      "\"certhall_transfer_payee\", \"_bank\" and "
                      "\"_account\"");

        return ngx_http_certhall_send_unavailable(r, "transfer_unavailable",
                                    "公对公转账暂未开通，请稍后再试", 3600);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    octx = ctx->data;

    q = ngx_http_certhall_session_query(r, NGX_HTTP_CERTHALL_STMT_ORDER_PAY,
                                        &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[2] = octx->order_id;
    q->values[3] = v[0];
    q->values[4] = (const char *) mcf->transfer_payee.data;
    q->values[5] = (const char *) mcf->transfer_bank.data;
    q->values[6] = (const char *) mcf->transfer_account.data;

    return ngx_http_certhall_db_run(r, q);
}


/*
 * GET /api/orders/{id}/application-form: the database gives the values,
 * the ID number is opened here, and lib/ch_appform.c writes the page.
 */

ngx_int_t
ngx_http_certhall_application_form(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_order_sealed_call(r, params,
                                    NGX_HTTP_CERTHALL_STMT_APPLICATION_FORM,
                                    ngx_http_certhall_application_form_done);
}


static ngx_int_t
ngx_http_certhall_application_form_done(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    u_char                         *page, *aad, id[CH_SEAL_LEN(CH_ID_LEN)];
    size_t                          len, id_len;
    const char                     *sealed;
    ch_appform_t                    f;
    ngx_http_certhall_main_conf_t  *mcf;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    f.order_id = ngx_http_certhall_answer_value(res, "order_id");
    sealed = ngx_http_certhall_answer_value(res, "person_id_sealed");

    if (f.order_id == NULL || sealed == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    aad = ngx_pnalloc(r->pool, ngx_strlen(f.order_id) + sizeof("/person_id"));
    if (aad == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(aad, "%s/person_id%Z", f.order_id);

    len = ngx_strlen(sealed);

    if (len > sizeof(id)
        || ch_unseal(mcf->data_key.data, (char *) aad, sealed, len, id,
                     &id_len)
           != 0
        || id_len != CH_ID_LEN)
    {
        /* another key than the one that sealed it, or a row tampered with */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: the ID number of order %s does not open "
                      "with certhall_data_key", f.order_id);
        return ngx_http_certhall_send_error(r,
                                NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "sealed_data_unreadable", NULL,
                                "订单资料暂时无法读取，请联系客服");
    }

    id[CH_ID_LEN] = '\0';

    f.project_name = ngx_http_certhall_answer_value(res, "project_name");
    f.service = ngx_http_certhall_answer_value(res, "service");
    f.cert_type = ngx_http_certhall_answer_value(res, "cert_type");
    f.certificate_serial = ngx_http_certhall_answer_value(res,
                                                      "certificate_serial");
    f.org_name = ngx_http_certhall_answer_value(res, "org_name");
    f.uscc = ngx_http_certhall_answer_value(res, "uscc");
    f.handler_name = ngx_http_certhall_answer_value(res, "handler_name");
    f.person_name = ngx_http_certhall_answer_value(res, "person_name");
    f.person_id = (const char *) id;
    f.mobile = ngx_http_certhall_answer_value(res, "mobile");
    f.email = ngx_http_certhall_answer_value(res, "email");
    f.date = ngx_http_certhall_answer_value(res, "created_on");

    len = ch_appform_render(NULL, &f);

    page = ngx_pnalloc(r->pool, len);
    if (page == NULL) {
        ngx_explicit_memzero(id, sizeof(id));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ch_appform_render(page, &f);
    ngx_explicit_memzero(id, sizeof(id));

    return ngx_http_certhall_send_page(r, page, len);
}


/*
 * GET /api/orders/{id}/prefill: what the hall knows for the order's 基本信息
 * (the verified identity, the account's phone, the earlier order), one row
 * per field from the database; the sealed ID numbers are opened here as
 * for the application form, and the answer is
 *
 *   {"fields":{"name":{"value":"张三","source":"realname",
 *                      "source_name":"实名认证信息"},...}}
 */

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
    int                             row, nrows;
    u_char                         *body, *p, **opened;
    size_t                          len, vlen, *opened_len;
    ngx_int_t                       rc;
    const char                     *sealed_for, *value;
    ngx_uint_t                      first;
    ngx_http_certhall_main_conf_t  *mcf;

    /* the columns: field, value, sealed_for, source, source_name */

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK || PQnfields(res) != 5) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);
    nrows = PQntuples(res);

    opened = ngx_pcalloc(r->pool, (nrows + 1) * sizeof(u_char *));
    opened_len = ngx_pcalloc(r->pool, (nrows + 1) * sizeof(size_t));

    if (opened == NULL || opened_len == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = sizeof("{\"fields\":{}}") - 1;
    rc = NGX_OK;

    for (row = 0; row < nrows; row++) {

        if (PQgetisnull(res, row, 0) || PQgetisnull(res, row, 1)
            || PQgetisnull(res, row, 3) || PQgetisnull(res, row, 4))
        {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }

        value = PQgetvalue(res, row, 1);
        vlen = PQgetlength(res, row, 1);

        if (!PQgetisnull(res, row, 2)) {

            /* an ID number, sealed to its order or real-name request */

            sealed_for = PQgetvalue(res, row, 2);

            opened[row] = ngx_pnalloc(r->pool, vlen + 1);
            if (opened[row] == NULL) {
                rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
                goto done;
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
               + ch_json_escape(NULL, (u_char *) PQgetvalue(res, row, 0),
                                PQgetlength(res, row, 0))
               + ch_json_escape(NULL, (u_char *) value, vlen)
               + ch_json_escape(NULL, (u_char *) PQgetvalue(res, row, 3),
                                PQgetlength(res, row, 3))
               + ch_json_escape(NULL, (u_char *) PQgetvalue(res, row, 4),
                                PQgetlength(res, row, 4));
    }

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    p = ngx_cpymem(body, "{\"fields\":{", sizeof("{\"fields\":{") - 1);
    first = 1;

    for (row = 0; row < nrows; row++) {

        if (PQgetisnull(res, row, 2)) {
            value = PQgetvalue(res, row, 1);
            vlen = PQgetlength(res, row, 1);

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
        p += ch_json_escape(p, (u_char *) PQgetvalue(res, row, 0),
                            PQgetlength(res, row, 0));
        p = ngx_cpymem(p, "\":{\"value\":\"",
                       sizeof("\":{\"value\":\"") - 1);
        p += ch_json_escape(p, (u_char *) value, vlen);
        p = ngx_cpymem(p, "\",\"source\":\"",
                       sizeof("\",\"source\":\"") - 1);
        p += ch_json_escape(p, (u_char *) PQgetvalue(res, row, 3),
                            PQgetlength(res, row, 3));
        p = ngx_cpymem(p, "\",\"source_name\":\"",
                       sizeof("\",\"source_name\":\"") - 1);
        p += ch_json_escape(p, (u_char *) PQgetvalue(res, row, 4),
                            PQgetlength(res, row, 4));
        p = ngx_cpymem(p, "\"}", 2);
    }

    p = ngx_cpymem(p, "}}", 2);

    rc = ngx_http_certhall_send_json(r, NGX_HTTP_OK, body, p - body);

done:

    for (row = 0; row < nrows; row++) {
        if (opened[row]) {
            ngx_explicit_memzero(opened[row], opened_len[row]);
        }
    }

    return rc;
}


/* reads the form of a handler of /api/orders/{id}/...: 404 for no order id */

static ngx_int_t
ngx_http_certhall_order_form(ngx_http_request_t *r, ch_route_params_t *params,
    ngx_http_certhall_form_pt handler)
{
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_order_ctx_t  *octx;

    ctx = ngx_http_certhall_get_ctx(r);
    octx = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_order_ctx_t));

    if (ctx == NULL || octx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    octx->order_id = ngx_http_certhall_order_param(r, params);

    if (octx->order_id == NULL) {
        return ngx_http_certhall_order_not_found(r);
    }

    ctx->data = octx;

    return ngx_http_certhall_read_form(r, handler);
}


/* the order id of the path, NUL-terminated, or NULL if it is none */

const char *
ngx_http_certhall_order_param(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    u_char            *id;
    ngx_uint_t         i;
    ch_route_param_t  *p;

    p = &params->param[0];

    if (p->len != NGX_HTTP_CERTHALL_ORDER_ID_LEN
        || p->data[0] != 'U' || p->data[1] != 'O')
    {
        return NULL;
    }

    for (i = 2; i < p->len; i++) {
        if (p->data[i] < '0' || p->data[i] > '9') {
            return NULL;
        }
    }

    id = ngx_pnalloc(r->pool, p->len + 1);
    if (id == NULL) {
        return NULL;
    }

    *ngx_cpymem(id, p->data, p->len) = '\0';

    return (const char *) id;
}


/* a path that names no order: 404 as for another account's order */

ngx_int_t
ngx_http_certhall_order_not_found(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_certhall_send_error(r, NGX_HTTP_NOT_FOUND,
                                        "order_not_found", NULL, "订单不存在");
}


static ngx_int_t
ngx_http_certhall_no_data_key(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "certhall: orders need \"certhall_data_key\"");

    return ngx_http_certhall_send_unavailable(r, "orders_unavailable",
                                              "在线办理暂未开放，请稍后再试",
                                              60);
}
