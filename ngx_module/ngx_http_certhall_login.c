/*
 * Logging in and out: POST /api/session (phone + password, or phone + an
 * SMS code) makes a session, DELETE /api/session ends it.  The session's
 * cookie and CSRF token are read and set in ngx_http_certhall_session.c;
 * the session itself lives in the database.
 *
 * A password login is split around the thread pool: the stored hash is
 * fetched (or none, for a phone without an account: the same work, the
 * same answer), checked in a thread, and the result recorded, which is
 * where the lock after 5 wrong passwords is kept.
 *
 * The fields are checked against ch_login_password_fields or
 * ch_login_code_fields (lib/ch_field_specs.c), the phone first.
 */

#include "ngx_http_certhall.h"
#include "ch_field_specs.h"



static ngx_int_t ngx_http_certhall_login_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);
static ngx_int_t ngx_http_certhall_login_hash_fetched(ngx_http_request_t *r,
    PGresult *res, void *data);
static ngx_int_t ngx_http_certhall_login_password_checked(
    ngx_http_request_t *r, ngx_http_certhall_password_t *pw);


/* both login forms' fields by position: the phone, then the secret */

enum {
    NGX_HTTP_CERTHALL_LOGIN_FIELD_PHONE = 0,
    NGX_HTTP_CERTHALL_LOGIN_FIELD_CODE          /* or the password, which
                                                   the context holds */
};

/* api.login_code's parameters */

enum {
    NGX_HTTP_CERTHALL_LOGIN_CODE_PHONE = 0,
    NGX_HTTP_CERTHALL_LOGIN_CODE_CODE,
    NGX_HTTP_CERTHALL_LOGIN_CODE_CLIENT     /* its address, User-Agent */
};

/* api.login_password_begin's: the hash to check against */

enum {
    NGX_HTTP_CERTHALL_LOGIN_BEGIN_PHONE = 0
};

/* api.login_password_finish's: whether the password matched */

enum {
    NGX_HTTP_CERTHALL_LOGIN_FINISH_PHONE = 0,
    NGX_HTTP_CERTHALL_LOGIN_FINISH_HASH,
    NGX_HTTP_CERTHALL_LOGIN_FINISH_MATCH,
    NGX_HTTP_CERTHALL_LOGIN_FINISH_CLIENT   /* its address, User-Agent */
};


/* POST /api/session: phone + password or phone + sms_code */

ngx_int_t
ngx_http_certhall_login(ngx_http_request_t *r, ch_route_params_t *params)
{
    return ngx_http_certhall_read_form(r, ngx_http_certhall_login_form);
}


static ngx_int_t
ngx_http_certhall_login_form(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form)
{
    ngx_int_t                         rc;
    const char                       *v[ngx_http_certhall_nfields(
                                                ch_login_password_fields)];
    ngx_http_certhall_db_query_t     *q;
    ngx_http_certhall_account_ctx_t  *actx;

    if (ngx_http_certhall_form_value(form, "sms_code")) {

        if (ngx_http_certhall_form_value(form, "password")) {
            /* the phone is answered for first, whichever way it is */
            actx = ngx_http_certhall_account_ctx(r, form, ch_login_code_fields,
                                                 1, v, &rc);
            if (actx == NULL) {
                return rc;
            }

            return ngx_http_certhall_invalid_field(r, "sms_code",
                                             "请使用密码或短信验证码其中一种方式登录");
        }

        actx = ngx_http_certhall_account_ctx(r, form, ch_login_code_fields,
                            ngx_http_certhall_nfields(ch_login_code_fields),
                            v, &rc);
        if (actx == NULL) {
            return rc;
        }

        q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_LOGIN_CODE);
        if (q == NULL) {
            return ngx_http_certhall_internal_error(r);
        }

        q->values[NGX_HTTP_CERTHALL_LOGIN_CODE_PHONE] = actx->phone;
        q->values[NGX_HTTP_CERTHALL_LOGIN_CODE_CODE] =
                                        v[NGX_HTTP_CERTHALL_LOGIN_FIELD_CODE];
        return ngx_http_certhall_account_run(r, q,
                                         NGX_HTTP_CERTHALL_LOGIN_CODE_CLIENT,
                                         1);
    }

    actx = ngx_http_certhall_account_ctx(r, form, ch_login_password_fields,
                        ngx_http_certhall_nfields(ch_login_password_fields),
                        v, &rc);
    if (actx == NULL) {
        return rc;
    }

    q = ngx_http_certhall_db_query(r,
                                   NGX_HTTP_CERTHALL_STMT_LOGIN_PASSWORD_BEGIN);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_LOGIN_BEGIN_PHONE] = actx->phone;
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
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_LOGIN_FINISH_PHONE] = actx->phone;
    q->values[NGX_HTTP_CERTHALL_LOGIN_FINISH_HASH] = actx->hash;
    q->values[NGX_HTTP_CERTHALL_LOGIN_FINISH_MATCH] =
                                                pw->match ? "true" : "false";
    return ngx_http_certhall_account_run(r, q,
                                         NGX_HTTP_CERTHALL_LOGIN_FINISH_CLIENT,
                                         1);
}


/* DELETE /api/session: the session ends in the database, the cookies here */

ngx_int_t
ngx_http_certhall_logout(ngx_http_request_t *r, ch_route_params_t *params)
{
    ngx_int_t                      rc;
    const char                    *token, *csrf;
    ngx_http_certhall_db_query_t  *q;

    static u_char  logged_out[] = "{\"status\":\"logged_out\"}";

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_certhall_session_token(r, &token) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    if (token == NULL) {
        if (ngx_http_certhall_session_cookies(r, "", NULL) != NGX_OK) {
            return ngx_http_certhall_internal_error(r);
        }

        return ngx_http_certhall_send_json(r, NGX_HTTP_OK, logged_out,
                                           sizeof(logged_out) - 1);
    }

    if (ngx_http_certhall_csrf_token(r, &csrf) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    q = ngx_http_certhall_db_query(r, NGX_HTTP_CERTHALL_STMT_SESSION_END);
    if (q == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    q->values[NGX_HTTP_CERTHALL_PARAM_SESSION] = token;
    q->values[NGX_HTTP_CERTHALL_PARAM_CSRF] = csrf;
    q->done = ngx_http_certhall_db_send_answer;

    return ngx_http_certhall_db_run(r, q);
}
