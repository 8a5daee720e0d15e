/*
 * Accounts: SMS codes, registration, password reset, and the account
 * itself (GET /api/me); logging in and out is in ngx_http_certhall_login.c,
 * the session cookie and CSRF token in ngx_http_certhall_session.c.
 *
 * The module checks every field before the database sees it, against the
 * account forms of lib/ch_field_specs.c (the website's rules are printed
 * from the same), and answers 400 with the field named; the database decides everything that needs
 * state (limits, codes, locks, sessions).  Where a password is hashed or
 * checked, the work is split around the thread pool: a "begin" statement
 * (the code checked, or the stored hash fetched), the hash in a thread,
 * then a "finish" statement.
 */

#include "ngx_http_certhall.h"
#include "ch_field_specs.h"


/*
 * The account forms' fields by position (lib/ch_field_specs.c): the phone
 * first in each, then the purpose, or the new password (which the context
 * holds) and the code.
 */

enum {
    NGX_HTTP_CERTHALL_ACCOUNT_PHONE = 0,
    NGX_HTTP_CERTHALL_ACCOUNT_PURPOSE = 1,      /* the sms-code request's */
    NGX_HTTP_CERTHALL_ACCOUNT_CODE = 2          /* registration's, reset's */
};


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
    ngx_http_certhall_form_t *form, const char *purpose,
    const ch_field_spec_t *spec, ngx_uint_t finish);

static ngx_int_t ngx_http_certhall_code_checked(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_new_password_hashed(ngx_http_request_t *r,
    ngx_http_certhall_password_t *pw);



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
    const char                       *v[ngx_http_certhall_nfields(
                                             ch_sms_code_request_fields)];
    ngx_http_certhall_db_query_t     *q;
    ngx_http_certhall_account_ctx_t  *actx;

    actx = ngx_http_certhall_account_ctx(r, form, ch_sms_code_request_fields,
                          ngx_http_certhall_nfields(ch_sms_code_request_fields),
                          v, &rc);
    if (actx == NULL) {
        return rc;
    }

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_SMS_CODE_REQUEST);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_SMS_REQUEST_PHONE] = actx->phone;
    q->values[NGX_HTTP_CERTHALL_SMS_REQUEST_PURPOSE] =
                                        v[NGX_HTTP_CERTHALL_ACCOUNT_PURPOSE];
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
    return ngx_http_certhall_password_form(r, form, "register",
                                    ch_register_fields,
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
    return ngx_http_certhall_password_form(r, form, "reset",
                                    ch_password_reset_fields,
                                    NGX_HTTP_CERTHALL_STMT_RESET_FINISH);
}


/*
 * Registration and reset: phone, a new password and the code for purpose,
 * as spec (ch_register_fields or ch_password_reset_fields, which name the
 * password differently); step 1 checks the code, then finish stores the
 * hash.
 */

static ngx_int_t
ngx_http_certhall_password_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form, const char *purpose,
    const ch_field_spec_t *spec, ngx_uint_t finish)
{
    ngx_int_t                         rc;
    const char                       *v[ngx_http_certhall_nfields(
                                                ch_register_fields)];
    ngx_http_certhall_db_query_t     *q;
    ngx_http_certhall_account_ctx_t  *actx;

    actx = ngx_http_certhall_account_ctx(r, form, spec,
                                  ngx_http_certhall_nfields(ch_register_fields),
                                  v, &rc);
    if (actx == NULL) {
        return rc;
    }

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_SMS_CODE_BEGIN);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    actx->finish = finish;

    q->values[NGX_HTTP_CERTHALL_SMS_BEGIN_PHONE] = actx->phone;
    q->values[NGX_HTTP_CERTHALL_SMS_BEGIN_PURPOSE] = purpose;
    q->values[NGX_HTTP_CERTHALL_SMS_BEGIN_CODE] =
                                            v[NGX_HTTP_CERTHALL_ACCOUNT_CODE];
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
 * The context of an account form, checked against spec[0 .. nspec - 1]
 * (not strictly: a login form carries the other way's field) with the
 * normal forms in values, and in the context the phone, spec[0], and the
 * password to hash, if the form has one; NULL with *rc the answer when a
 * field is refused.
 */

ngx_http_certhall_account_ctx_t *
ngx_http_certhall_account_ctx(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form, const ch_field_spec_t *spec,
    size_t nspec, const char **values, ngx_int_t *rc)
{
    size_t                            i;
    ngx_http_certhall_account_ctx_t  *actx;

    if (ngx_http_certhall_form_fields(r, form, spec, nspec, 0, values)
        != NGX_OK)
    {
        *rc = form->refusal;
        return NULL;
    }

    actx = ngx_pcalloc(r->pool, sizeof(ngx_http_certhall_account_ctx_t));
    if (actx == NULL) {
        *rc = ngx_http_certhall_internal_error(r);
        return NULL;
    }

    /* the normal form: "+86 138-0013-8000" is 13800138000 */
    actx->phone = values[NGX_HTTP_CERTHALL_ACCOUNT_PHONE];

    for (i = 0; i < nspec; i++) {
        if (spec[i].kind == CH_FIELD_NEW_PASSWORD
            || spec[i].kind == CH_FIELD_PASSWORD)
        {
            actx->pw.password = values[i];
            actx->pw.len = ngx_strlen(values[i]);
        }
    }

    return actx;
}
