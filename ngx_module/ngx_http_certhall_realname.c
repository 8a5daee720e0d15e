/*
 * Real-name verification (实名认证): the applicant gives name and ID
 * number, the hall answers with a QR payload to scan with WeChat, and the
 * provider posts its signed result to the callback.  The protocol and its
 * checks are in lib/ch_realname.c; the state (requests, nonces, the
 * account's status) is in the database.
 *
 * The ID number is never stored whole: the database gets its mask, for
 * display, and its HMAC under the real-name secret, to tell whether the
 * provider verified the same number the applicant gave; the number the
 * provider verified is kept sealed (lib/ch_seal.c, certhall_data_key), to
 * pre-fill the applicant's orders.
 */

#include "ngx_http_certhall.h"
#include "ch_field_specs.h"
#include "ch_json.h"
#include "ch_realname.h"
#include "ch_sign.h"
#include "ch_validate.h"


#define NGX_HTTP_CERTHALL_QR_MAX  1024


static ngx_uint_t ngx_http_certhall_realname_configured(ngx_http_request_t *r);
static ngx_int_t ngx_http_certhall_realname_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_realname_started(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_realname_callback_form(
    ngx_http_request_t *r, ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_id_number_kept(ngx_http_request_t *r,
    const char *id, u_char **masked, u_char **digest);
static ngx_int_t ngx_http_certhall_realname_id_sealed(ngx_http_request_t *r,
    const char *request_id, const char *id, char **sealed);


/* api.realname_start's parameters after the session's */

enum {
    NGX_HTTP_CERTHALL_REALNAME_START_NAME = NGX_HTTP_CERTHALL_PARAM_WRITE_OWN,
    NGX_HTTP_CERTHALL_REALNAME_START_ID_MASKED,
    NGX_HTTP_CERTHALL_REALNAME_START_ID_DIGEST
};

/* api.realname_callback_sealed's: the provider's result, checked */

enum {
    NGX_HTTP_CERTHALL_CALLBACK_REQUEST = 0,
    NGX_HTTP_CERTHALL_CALLBACK_RESULT,          /* pass or fail */
    NGX_HTTP_CERTHALL_CALLBACK_NAME,
    NGX_HTTP_CERTHALL_CALLBACK_ID_DIGEST,
    NGX_HTTP_CERTHALL_CALLBACK_ID_MASKED,
    NGX_HTTP_CERTHALL_CALLBACK_REASON,
    NGX_HTTP_CERTHALL_CALLBACK_NONCE,
    NGX_HTTP_CERTHALL_CALLBACK_ID_SEALED
};


/* GET /api/me/realname: the status; POST: name, id_number, to start */

ngx_int_t
ngx_http_certhall_me_realname(ngx_http_request_t *r, ch_route_params_t *params)
{
    const char  *token;

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_certhall_session_answer(r,
                                      NGX_HTTP_CERTHALL_STMT_REALNAME_STATUS);
    }

    /* 401 before the form is read: the statement checks the session again */

    if (ngx_http_certhall_session_token(r, &token) != NGX_OK) {
        return ngx_http_certhall_discard_internal_error(r);
    }

    if (token == NULL) {
        return ngx_http_certhall_not_logged_in(r);
    }

    return ngx_http_certhall_read_form(r, ngx_http_certhall_realname_form);
}


static ngx_int_t
ngx_http_certhall_realname_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    u_char                        *masked, *digest;
    ngx_int_t                      rc;
    const char                    *name, *id_number;
    ch_field_refusal_e             why;
    char                           id[CH_ID_LEN + 8], message[200];
    char                           kept[CH_REALNAME_NAME_MAX * 4 + 1];
    ngx_http_certhall_db_query_t  *q;

    if (!ngx_http_certhall_realname_configured(r)) {
        return ngx_http_certhall_send_unavailable(r, "realname_unavailable",
                                                  "实名认证服务暂不可用", 60);
    }

    name = ngx_http_certhall_form_value(form, "name");

    if (name == NULL) {
        return ngx_http_certhall_invalid_field(r, "name", "请输入姓名");
    }

    /*
     * lib/ch_field_specs.c's rules, on the values as sent (untrimmed); a
     * name is kept only once no longer than its most characters (4 bytes
     * at most each)
     */

    why = ch_field_value_check(&ch_realname_fields[0], (u_char *) name,
                               ngx_strlen(name), 0, kept);

    if (why != CH_REFUSED_NONE) {
        ch_field_message(&ch_realname_fields[0], why, message,
                         sizeof(message));
        return ngx_http_certhall_invalid_field(r, "name", message);
    }

    id_number = ngx_http_certhall_form_value(form, "id_number");

    if (id_number == NULL) {
        return ngx_http_certhall_invalid_field(r, "id_number",
                                               "请输入身份证号码");
    }

    why = ch_field_value_check(&ch_realname_fields[1], (u_char *) id_number,
                               ngx_strlen(id_number),
                               ngx_http_certhall_today(), id);

    if (why != CH_REFUSED_NONE) {
        ch_field_message(&ch_realname_fields[1], why, message,
                         sizeof(message));
        return ngx_http_certhall_invalid_field(r, "id_number", message);
    }

    rc = ngx_http_certhall_id_number_kept(r, id, &masked, &digest);
    ngx_explicit_memzero(id, sizeof(id));

    if (rc != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    q = ngx_http_certhall_session_query(r,
                                        NGX_HTTP_CERTHALL_STMT_REALNAME_START,
                                        &rc);
    if (q == NULL) {
        return rc;
    }

    q->values[NGX_HTTP_CERTHALL_REALNAME_START_NAME] = name;
    q->values[NGX_HTTP_CERTHALL_REALNAME_START_ID_MASKED] = (char *) masked;
    q->values[NGX_HTTP_CERTHALL_REALNAME_START_ID_DIGEST] = (char *) digest;
    q->done = ngx_http_certhall_realname_started;

    return ngx_http_certhall_db_run(r, q);
}


/* 201 with the request and its QR payload */

static ngx_int_t
ngx_http_certhall_realname_started(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    u_char                         *body, *p;
    int                             n;
    size_t                          len;
    ngx_int_t                       created;
    const char                     *request_id, *epoch, *expires;
    char                            qr[NGX_HTTP_CERTHALL_QR_MAX];
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    request_id = ngx_http_certhall_answer_value(res, "request_id");
    epoch = ngx_http_certhall_answer_value(res, "created_epoch");
    expires = ngx_http_certhall_answer_value(res, "expires_at");

    if (request_id == NULL || epoch == NULL || expires == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    created = ngx_atoi((u_char *) epoch, ngx_strlen(epoch));

    n = ch_realname_qr_payload(qr, sizeof(qr),
                               (char *) mcf->realname_url.data,
                               (char *) mcf->realname_app_id.data,
                               request_id, (long long) created,
                               mcf->realname_secret.data,
                               mcf->realname_secret.len);
    if (n < 0 || created == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: no QR payload for request %s: "
                      "certhall_realname_url and _app_id too long?",
                      request_id);
        return ngx_http_certhall_internal_error(r);
    }

    len = sizeof("{\"request_id\":\"\",\"qr_payload\":\"\",\"expires_at\":\"\"}")
          - 1 + ngx_strlen(request_id) + ngx_strlen(expires)
          + ch_json_escape(NULL, (u_char *) qr, n);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    /* the id and the time are the database's own: nothing to escape */

    p = ngx_sprintf(body, "{\"request_id\":\"%s\",\"qr_payload\":\"",
                    request_id);
    p += ch_json_escape(p, (u_char *) qr, n);
    p = ngx_sprintf(p, "\",\"expires_at\":\"%s\"}", expires);

    return ngx_http_certhall_send_json(r, NGX_HTTP_CREATED, body, p - body);
}


/* POST /api/realname/callback: the provider's signed result */

ngx_int_t
ngx_http_certhall_realname_callback(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_read_form(r,
                                    ngx_http_certhall_realname_callback_form);
}


static ngx_int_t
ngx_http_certhall_realname_callback_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    u_char                         *masked, *digest;
    char                           *sealed;
    const char                     *field;
    ch_realname_error_e             err;
    ch_realname_callback_t          cb;
    ngx_http_certhall_db_query_t   *q;
    ngx_http_certhall_main_conf_t  *mcf;

    if (!ngx_http_certhall_realname_configured(r)) {
        return ngx_http_certhall_send_unavailable(r, "realname_unavailable",
                                                  "实名认证服务暂不可用", 60);
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    err = ch_realname_callback_check(form->fields, form->nfields,
                                     (char *) mcf->realname_app_id.data,
                                     mcf->realname_secret.data,
                                     mcf->realname_secret.len,
                                     (long long) ngx_time(),
                                     ngx_http_certhall_today(), &cb, &field);

    switch (err) {

    case CH_REALNAME_OK:
        break;

    case CH_REALNAME_MISSING:
        return ngx_http_certhall_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "missing_field", field,
                                            "回调缺少必填字段");

    case CH_REALNAME_INVALID:
        return ngx_http_certhall_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_field", field,
                                            "回调字段格式不正确");

    case CH_REALNAME_NO_MEMORY:
        return ngx_http_certhall_internal_error(r);

    default:
        /* someone posts what the provider did not sign, or replays it late */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "certhall: real-name callback refused: %s",
                      err == CH_REALNAME_BAD_SIGNATURE ? "bad signature"
                      : err == CH_REALNAME_WRONG_APP ? "another app_id"
                      : "timestamp outside the 5-minute window");

        return ngx_http_certhall_send_error(r, NGX_HTTP_UNAUTHORIZED,
                   err == CH_REALNAME_STALE ? "stale_callback"
                                            : "invalid_signature",
                   field,
                   err == CH_REALNAME_STALE ? "回调时间戳超出允许范围"
                                            : "回调签名验证失败");
    }

    masked = NULL;
    digest = NULL;

    if (cb.pass
        && ngx_http_certhall_id_number_kept(r, cb.id_number, &masked, &digest)
           != NGX_OK)
    {
        return ngx_http_certhall_internal_error(r);
    }

    sealed = NULL;

    if (cb.pass
        && ngx_http_certhall_realname_id_sealed(r, cb.request_id->value,
                                                cb.id_number, &sealed)
           != NGX_OK)
    {
        return ngx_http_certhall_internal_error(r);
    }

    q = ngx_http_certhall_db_query(r,
                                   NGX_HTTP_CERTHALL_STMT_REALNAME_CALLBACK);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_CALLBACK_REQUEST] = cb.request_id->value;
    q->values[NGX_HTTP_CERTHALL_CALLBACK_RESULT] = cb.pass ? "pass" : "fail";
    q->values[NGX_HTTP_CERTHALL_CALLBACK_NAME] = cb.pass ? cb.name->value
                                                         : NULL;
    q->values[NGX_HTTP_CERTHALL_CALLBACK_ID_DIGEST] = (char *) digest;
    q->values[NGX_HTTP_CERTHALL_CALLBACK_ID_MASKED] = (char *) masked;
    q->values[NGX_HTTP_CERTHALL_CALLBACK_REASON] = cb.reason
                                                   ? cb.reason->value : NULL;
    q->values[NGX_HTTP_CERTHALL_CALLBACK_NONCE] = cb.nonce->value;
    q->values[NGX_HTTP_CERTHALL_CALLBACK_ID_SEALED] = sealed;

    return ngx_http_certhall_db_run(r, q);
}


/* whether the directives the protocol needs are there; logged if not */

static ngx_uint_t
ngx_http_certhall_realname_configured(ngx_http_request_t *r)
{
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->realname_secret.len && mcf->realname_app_id.len
        && mcf->realname_url.len)
    {
        return 1;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "certhall: real-name verification is not configured "
                  "(certhall_realname_secret, _app_id, _url)");

    return 0;
}


/*
 * What is kept of an ID number (18 characters, checked): its mask, to
 * show, and its HMAC under the real-name secret, to compare
 */

static ngx_int_t
ngx_http_certhall_id_number_kept(ngx_http_request_t *r, const char *id,
    u_char **masked, u_char **digest)
{
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    *masked = ngx_pnalloc(r->pool, CH_ID_LEN + 1);
    *digest = ngx_pnalloc(r->pool, CH_HMAC_HEX_LEN + 1);

    if (*masked == NULL || *digest == NULL
        || ch_realname_id_digest(mcf->realname_secret.data,
                                 mcf->realname_secret.len, id,
                                 (char *) *digest) != 0)
    {
        return NGX_ERROR;
    }

    ch_id_number_mask(id, (char *) *masked);

    return NGX_OK;
}


/*
 * The verified ID number sealed under certhall_data_key (lib/ch_seal.c),
 * bound to "<request id>/realname_id", as the orders' ID numbers are to
 * their order: kept with the request, opened only to pre-fill an order's
 * 基本信息 (ngx_http_certhall_prefill.c).  Without the key nothing is kept.
 */

static ngx_int_t
ngx_http_certhall_realname_id_sealed(ngx_http_request_t *r,
    const char *request_id, const char *id, char **sealed)
{
    u_char                         *aad;
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    *sealed = NULL;

    if (mcf->data_key.len == 0) {
        return NGX_OK;
    }

    aad = ngx_pnalloc(r->pool, ngx_strlen(request_id)
                               + sizeof("/realname_id"));
    *sealed = ngx_pnalloc(r->pool, CH_SEAL_LEN(CH_ID_LEN) + 1);

    if (aad == NULL || *sealed == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(aad, "%s/realname_id%Z", request_id);

    if (ch_seal(mcf->data_key.data, (char *) aad, (u_char *) id, CH_ID_LEN,
                *sealed)
        != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "certhall: sealing an ID number failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}
