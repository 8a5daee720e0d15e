/*
 * Accounts: SMS codes, registration, password reset, and the account
 * itself (GET /api/me); logging in and out is in ngx_http_certhall_login.c,
 * the session cookie and CSRF token in ngx_http_certhall_session.c.
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


/* api.sms_code_request's parameters */

enum {
    NGX_HTTP_CERTHALL_SMS_REQUEST_PHONE = 0,
    NGX_HTTP_CERTHALL_SMS_REQUEST_PURPOSE,
    NGX_HTTP_CERTHALL_SMS_REQUEST_CLIENT        /* its address */
};

/* api.sms_code_begin's: the code checked before a password is hashed */

enum {
    NGX_HTTP_CERTHALL_SMS_BEGIN_PHONE = 0,
    NGX_HTTP_CERTHALL_SMS_BEGIN_PURPOSE,
    NGX_HTTP_CERTHALL_SMS_BEGIN_CODE
};

/* api.register_finish's and api.password_reset_finish's */

enum {
    NGX_HTTP_CERTHALL_PASSWORD_FINISH_CODE_ID = 0,
    NGX_HTTP_CERTHALL_PASSWORD_FINISH_PHONE,
    NGX_HTTP_CERTHALL_PASSWORD_FINISH_HASH,
    NGX_HTTP_CERTHALL_PASSWORD_FINISH_CLIENT    /* then its User-Agent */
};


static ngx_int_t ngx_http_certhall_sms_codes_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_accounts_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_password_reset_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_password_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form, const char *purpose, const char *name,
    ngx_uint_t finish);

static ngx_int_t ngx_http_certhall_code_checked(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_new_password_hashed(ngx_http_request_t *r,
    ngx_http_certhall_password_t *pw);

static const char *ngx_http_certhall_new_password(
    ngx_http_certhall_form_t *form, const char *name,
    ngx_http_certhall_account_ctx_t *actx);


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
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_SMS_REQUEST_PHONE] = actx->phone;
    q->values[NGX_HTTP_CERTHALL_SMS_REQUEST_PURPOSE] = purpose;
    return ngx_http_certhall_account_run(r, q,
                                         NGX_HTTP_CERTHALL_SMS_REQUEST_CLIENT,
                                         0);
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
        return ngx_http_certhall_internal_error(r);
    }

    actx->finish = finish;

    q->values[NGX_HTTP_CERTHALL_SMS_BEGIN_PHONE] = actx->phone;
    q->values[NGX_HTTP_CERTHALL_SMS_BEGIN_PURPOSE] = purpose;
    q->values[NGX_HTTP_CERTHALL_SMS_BEGIN_CODE] = code;
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
        return ngx_http_certhall_internal_error(r);
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
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_PASSWORD_FINISH_CODE_ID] = actx->code_id;
    q->values[NGX_HTTP_CERTHALL_PASSWORD_FINISH_PHONE] = actx->phone;
    q->values[NGX_HTTP_CERTHALL_PASSWORD_FINISH_HASH] = pw->made;
    return ngx_http_certhall_account_run(r, q,
                                    NGX_HTTP_CERTHALL_PASSWORD_FINISH_CLIENT,
                                    1);
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
 * session record.  The form has been read.
 */

ngx_int_t
ngx_http_certhall_account_run(ngx_http_request_t *r,
    ngx_http_certhall_db_query_t *q, ngx_uint_t n, ngx_uint_t user_agent)
{
    if (ngx_http_certhall_client_addr(r, &q->values[n]) != NGX_OK
        || (user_agent
            && ngx_http_certhall_user_agent(r, &q->values[n + 1]) != NGX_OK))
    {
        return ngx_http_certhall_internal_error(r);
    }

    q->done = ngx_http_certhall_db_send_answer;

    return ngx_http_certhall_db_run(r, q);
}


/*
 * The context of an account form, with its phone checked and normalised;
 * NULL with *rc the answer when the phone is missing or no mobile number.
 */

ngx_http_certhall_account_ctx_t *
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
        *rc = ngx_http_certhall_internal_error(r);
        return NULL;
    }

    actx->phone = ngx_pnalloc(r->pool, CH_PHONE_LEN + 1);
    if (actx->phone == NULL) {
        *rc = ngx_http_certhall_internal_error(r);
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

const char *
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
