/*
 * Accounts: SMS codes, registration, login and logout, password reset,
 * and the account itself (GET /api/me).
 *
 * The module checks every field before the database sees it and answers
 * 400 with the field named; the database decides everything that needs
 * state (limits, codes, locks, sessions).  Where a password is hashed or
 * checked, the work is split around the thread pool: a "begin" statement
 * (the code checked, or the stored hash fetched), the hash in a thread,
 * then a "finish" statement.
 */

#include "ngx_http_certhall.h"
#include "ch_validate.h"


#define NGX_HTTP_CERTHALL_PASSWORD_MAX  1024    /* bytes, for logins */


typedef struct {
    char                           *phone;     /* normalised */
    const char                     *code_id;   /* the checked SMS code */
    const char                     *hash;      /* as stored, to check */
    ngx_uint_t                      finish;    /* statement after the hash */
    ngx_http_certhall_password_t    pw;
} ngx_http_certhall_account_ctx_t;


static ngx_int_t ngx_http_certhall_sms_codes_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_accounts_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_login_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_logout(ngx_http_request_t *r);
static ngx_int_t ngx_http_certhall_password_reset_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_password_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form, const char *purpose, const char *name,
    ngx_uint_t finish);

static ngx_int_t ngx_http_certhall_code_checked(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_new_password_hashed(ngx_http_request_t *r,
    ngx_http_certhall_password_t *pw);
static ngx_int_t ngx_http_certhall_login_hash_fetched(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_login_password_checked(
    ngx_http_request_t *r, ngx_http_certhall_password_t *pw);

static ngx_int_t ngx_http_certhall_account_run(ngx_http_request_t *r,
    ngx_http_certhall_db_query_t *q, ngx_uint_t n, ngx_uint_t user_agent);
static ngx_http_certhall_account_ctx_t *ngx_http_certhall_account_ctx(
    ngx_http_request_t *r, ngx_http_certhall_form_t *form, ngx_int_t *rc);
static const char *ngx_http_certhall_new_password(
    ngx_http_certhall_form_t *form, const char *name,
    ngx_http_certhall_account_ctx_t *actx);
static const char *ngx_http_certhall_sms_code(ngx_http_certhall_form_t *form,
    const char **message);


/* POST /api/sms-codes: phone, purpose */

ngx_int_t
ngx_http_certhall_sms_codes(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_read_form(r, ngx_http_certhall_sms_codes_form);
}


static ngx_int_t
ngx_http_certhall_sms_codes_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    ngx_int_t                         rc;
    const char                       *purpose;
    ngx_http_certhall_db_query_t     *q;
    ngx_http_certhall_account_ctx_t  *actx;

    actx = ngx_http_certhall_account_ctx(r, form, &rc);
    if (actx == NULL) {
        return rc;
    }

    purpose = ngx_http_certhall_form_value(form, "purpose");

    if (purpose == NULL
        || (ngx_strcmp(purpose, "register") != 0
            && ngx_strcmp(purpose, "login") != 0
            && ngx_strcmp(purpose, "reset") != 0))
    {
        return ngx_http_certhall_invalid_field(r, "purpose",
                                         "验证码用途应为注册、登录或重置密码");
    }

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_SMS_CODE_REQUEST);
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    q->values[0] = actx->phone;
    q->values[1] = purpose;
    return ngx_http_certhall_account_run(r, q, 2, 0);
}


/* POST /api/accounts: phone, password, sms_code */

ngx_int_t
ngx_http_certhall_accounts(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_read_form(r, ngx_http_certhall_accounts_form);
}


static ngx_int_t
ngx_http_certhall_accounts_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    return ngx_http_certhall_password_form(r, form, "register", "password",
                                    NGX_HTTP_CERTHALL_STMT_REGISTER_FINISH);
}


/* POST /api/password-reset: phone, sms_code, new_password */

ngx_int_t
ngx_http_certhall_password_reset(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_read_form(r,
                                       ngx_http_certhall_password_reset_form);
}


static ngx_int_t
ngx_http_certhall_password_reset_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    return ngx_http_certhall_password_form(r, form, "reset", "new_password",
                                    NGX_HTTP_CERTHALL_STMT_RESET_FINISH);
}


/*
 * Registration and reset: phone, the code for purpose, and a new password
 * in field name; step 1 checks the code, then finish stores the hash.
 */

static ngx_int_t
ngx_http_certhall_password_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form, const char *purpose, const char *name,
    ngx_uint_t finish)
{
    ngx_int_t                         rc;
    const char                       *code, *message;
    ngx_http_certhall_db_query_t     *q;
    ngx_http_certhall_account_ctx_t  *actx;

    actx = ngx_http_certhall_account_ctx(r, form, &rc);
    if (actx == NULL) {
        return rc;
    }

    message = ngx_http_certhall_new_password(form, name, actx);
    if (message) {
        return ngx_http_certhall_invalid_field(r, name, message);
    }

    code = ngx_http_certhall_sms_code(form, &message);
    if (code == NULL) {
        return ngx_http_certhall_invalid_field(r, "sms_code", message);
    }

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_SMS_CODE_BEGIN);
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    actx->finish = finish;

    q->values[0] = actx->phone;
    q->values[1] = purpose;
    q->values[2] = code;
    q->done = ngx_http_certhall_code_checked;
    q->data = actx;

    return ngx_http_certhall_db_run(r, q);
}


/*
 * Registration or reset, step 1 done: the code was right (status 0), so
 * the new password is hashed; else the refusal goes out as it is.
 */

static ngx_int_t
ngx_http_certhall_code_checked(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    ngx_int_t                         rc;
    ngx_http_certhall_account_ctx_t  *actx = data;

    rc = ngx_http_certhall_answer_go_on(r, res);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    actx->code_id = ngx_http_certhall_answer_value(res, "code_id");
    if (actx->code_id == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    actx->pw.check = 0;
    actx->pw.done = ngx_http_certhall_new_password_hashed;
    actx->pw.data = actx;

    return ngx_http_certhall_password_start(r, &actx->pw);
}


/* step 2: the hash is stored and the applicant logged in */

static ngx_int_t
ngx_http_certhall_new_password_hashed(ngx_http_request_t *r,
    ngx_http_certhall_password_t *pw)
{
    ngx_http_certhall_db_query_t     *q;
    ngx_http_certhall_account_ctx_t  *actx = pw->data;

    q = ngx_http_certhall_db_query(r, actx->finish);
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    q->values[0] = actx->code_id;
    q->values[1] = actx->phone;
    q->values[2] = pw->made;
    return ngx_http_certhall_account_run(r, q, 3, 1);
}


/* POST /api/session: phone + password or phone + sms_code; DELETE */

ngx_int_t
ngx_http_certhall_session(ngx_http_request_t *r, ch_route_params_t *params)
{
    if (r->method == NGX_HTTP_DELETE) {
        return ngx_http_certhall_logout(r);
    }

    return ngx_http_certhall_read_form(r, ngx_http_certhall_login_form);
}


static ngx_int_t
ngx_http_certhall_login_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    ngx_int_t                         rc;
    const char                       *password, *code, *message;
    ngx_http_certhall_db_query_t     *q;
    ngx_http_certhall_account_ctx_t  *actx;

    actx = ngx_http_certhall_account_ctx(r, form, &rc);
    if (actx == NULL) {
        return rc;
    }

    password = ngx_http_certhall_form_value(form, "password");

    if (ngx_http_certhall_form_value(form, "sms_code")) {

        if (password) {
            return ngx_http_certhall_invalid_field(r, "sms_code",
                                             "请使用密码或短信验证码其中一种方式登录");
        }

        code = ngx_http_certhall_sms_code(form, &message);
        if (code == NULL) {
            return ngx_http_certhall_invalid_field(r, "sms_code", message);
        }

        q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_LOGIN_CODE);
        if (q == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        q->values[0] = actx->phone;
        q->values[1] = code;
        return ngx_http_certhall_account_run(r, q, 2, 1);
    }

    if (password == NULL) {
        return ngx_http_certhall_invalid_field(r, "password", "请输入登录密码");
    }

    actx->pw.password = password;
    actx->pw.len = ngx_strlen(password);

    if (actx->pw.len > NGX_HTTP_CERTHALL_PASSWORD_MAX) {
        return ngx_http_certhall_invalid_field(r, "password", "密码过长");
    }

    q = ngx_http_certhall_db_query(r,
                                   NGX_HTTP_CERTHALL_STMT_LOGIN_PASSWORD_BEGIN);
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    q->values[0] = actx->phone;
    q->done = ngx_http_certhall_login_hash_fetched;
    q->data = actx;

    return ngx_http_certhall_db_run(r, q);
}


/*
 * Password login, step 1 done: not locked (status 0), so the password is
 * checked against the stored hash, or, for a phone without an account,
 * against none, which takes the same time and fails.
 */

static ngx_int_t
ngx_http_certhall_login_hash_fetched(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    ngx_int_t                         rc;
    ngx_http_certhall_account_ctx_t  *actx = data;

    rc = ngx_http_certhall_answer_go_on(r, res);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    actx->hash = ngx_http_certhall_answer_value(res, "password_hash");

    actx->pw.hash = actx->hash;
    actx->pw.check = 1;
    actx->pw.done = ngx_http_certhall_login_password_checked;
    actx->pw.data = actx;

    return ngx_http_certhall_password_start(r, &actx->pw);
}


static ngx_int_t
ngx_http_certhall_login_password_checked(ngx_http_request_t *r,
    ngx_http_certhall_password_t *pw)
{
    ngx_http_certhall_db_query_t     *q;
    ngx_http_certhall_account_ctx_t  *actx = pw->data;

    q = ngx_http_certhall_db_query(r,
                                  NGX_HTTP_CERTHALL_STMT_LOGIN_PASSWORD_FINISH);
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    q->values[0] = actx->phone;
    q->values[1] = actx->hash;
    q->values[2] = pw->match ? "true" : "false";
    return ngx_http_certhall_account_run(r, q, 3, 1);
}


/* DELETE /api/session: the session ends in the database, the cookies here */

static ngx_int_t
ngx_http_certhall_logout(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    const char                    *token;
    ngx_http_certhall_db_query_t  *q;

    static u_char  logged_out[] = "{\"status\":\"logged_out\"}";

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    token = ngx_http_certhall_session_token(r);

    if (token == NULL) {
        if (ngx_http_certhall_session_cookies(r, "", NULL) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_certhall_send_json(r, NGX_HTTP_OK, logged_out,
                                           sizeof(logged_out) - 1);
    }

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_SESSION_END);
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    q->values[0] = token;
    q->values[1] = ngx_http_certhall_csrf_token(r);
    q->done = ngx_http_certhall_db_send_answer;

    return ngx_http_certhall_db_run(r, q);
}


/* GET /api/me */

ngx_int_t
ngx_http_certhall_me(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_session_answer(r, NGX_HTTP_CERTHALL_STMT_ME);
}


/*
 * Runs q, whose answer is an api.answer, with the client's address as
 * parameter n (and its User-Agent as n + 1), for the rate limits and the
 * session record.
 */

static ngx_int_t
ngx_http_certhall_account_run(ngx_http_request_t *r,
    ngx_http_certhall_db_query_t *q, ngx_uint_t n, ngx_uint_t user_agent)
{
    q->values[n] = ngx_http_certhall_client_addr(r);
    if (q->values[n] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (user_agent) {
        q->values[n + 1] = ngx_http_certhall_user_agent(r);
    }

    q->done = ngx_http_certhall_db_send_answer;

    return ngx_http_certhall_db_run(r, q);
}


/*
 * The context of an account form, with its phone checked and normalised;
 * NULL with *rc the answer when the phone is missing or no mobile number.
 */

static ngx_http_certhall_account_ctx_t *
ngx_http_certhall_account_ctx(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form, ngx_int_t *rc)
{
    const char                       *phone;
    ngx_http_certhall_account_ctx_t  *actx;

    phone = ngx_http_certhall_form_value(form, "phone");

    if (phone == NULL) {
        *rc = ngx_http_certhall_invalid_field(r, "phone", "请输入手机号码");
        return NULL;
    }

    actx = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_account_ctx_t));
    if (actx == NULL) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NULL;
    }

    actx->phone = ngx_pnalloc(r->pool, CH_PHONE_LEN + 1);
    if (actx->phone == NULL) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NULL;
    }

    if (ch_phone_check((u_char *) phone, ngx_strlen(phone), actx->phone)
        != CH_VALID)
    {
        *rc = ngx_http_certhall_invalid_field(r, "phone",
                                        "请输入正确的11位手机号码");
        return NULL;
    }

    return actx;
}


/*
 * A new password in field name, held to the policy: NULL, or the message
 * why not
 */

static const char *
ngx_http_certhall_new_password(ngx_http_certhall_form_t *form,
    const char *name, ngx_http_certhall_account_ctx_t *actx)
{
    const char  *password;

    password = ngx_http_certhall_form_value(form, name);

    if (password == NULL) {
        return "请设置登录密码";
    }

    actx->pw.password = password;
    actx->pw.len = ngx_strlen(password);

    switch (ch_password_check((u_char *) password, actx->pw.len)) {

    case CH_VALID:
        return NULL;

    case CH_INVALID_WEAK:
        return "密码须同时包含字母和数字";

    case CH_INVALID_LENGTH:
        return "密码长度应为8-64位";

    default:
        return "密码含有不允许的字符";
    }
}


/* the sms_code field: 6 digits, or NULL with the message why not */

static const char *
ngx_http_certhall_sms_code(ngx_http_certhall_form_t *form,
    const char **message)
{
    ngx_uint_t   i;
    const char  *code;

    code = ngx_http_certhall_form_value(form, "sms_code");

    if (code == NULL) {
        *message = "请输入短信验证码";
        return NULL;
    }

    for (i = 0; code[i]; i++) {
        if (i == 6 || code[i] < '0' || code[i] > '9') {
            *message = "短信验证码为6位数字";
            return NULL;
        }
    }

    if (i != 6) {
        *message = "短信验证码为6位数字";
        return NULL;
    }

    return code;
}
