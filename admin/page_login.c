/*
 * Signing in and out: GET /admin/login (the form), POST /admin/login,
 * POST /admin/logout.
 *
 * The password is checked here (lib/ch_password.c, PBKDF2 as for
 * applicants) between the two halves of the database's decision:
 * admin.login_begin gives the hash, or 423 while the login is locked;
 * admin.login_finish counts a failure (and locks at the limit) or starts
 * the session.  An unknown login costs the same hash work as a wrong
 * password, and gets the same answer.
 *
 * The login form has no session to bind a token to, so it carries its
 * own: a random value in a cookie scoped to /admin/login and in the form,
 * which must agree (a page of another site can send neither).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "admin.h"
#include "ch_password.h"


#define LOGIN_COOKIE        "certhall_admin_login"
#define LOGIN_TOKEN_BYTES   24
#define LOGIN_MAX           32
/* bytes: 128 characters of any script fit (admin_password_rule) */
#define PASSWORD_MAX        512


/* a path below /admin to return to after the login, or "/" */
static const char *
login_next(const char *next)
{
    const char  *p;

    if (next == NULL || next[0] != '/' || next[1] == '/'
        || strlen(next) > 200)
    {
        return "/";
    }

    for (p = next; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '/' || *p == '-'
              || *p == '_'))
        {
            return "/";
        }
    }

    return next;
}


static void
login_form(admin_request_t *req, int status, const char *error,
    const char *login)
{
    size_t         i;
    char           cookie[160], token[LOGIN_TOKEN_BYTES * 2 + 1];
    unsigned char  raw[LOGIN_TOKEN_BYTES];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        html_error_page(req, 500, "Internal Server Error",
                        "系统错误，请稍后再试。");
        return;
    }

    for (i = 0; i < sizeof(raw); i++) {
        snprintf(token + i * 2, 3, "%02x", raw[i]);
    }

    snprintf(cookie, sizeof(cookie),
             "Set-Cookie: " LOGIN_COOKIE "=%s; Path=/admin/login; HttpOnly; "
             "SameSite=Strict%s\r\n", token, req->https ? "; Secure" : "");

    html_headers(status, admin_reason(status), cookie);
    html_page_begin(NULL, "员工登录");

    if (error) {
        html_raw("<p class=\"error\" id=\"error\">");
        html_txt(error);
        html_raw("</p>\n");
    }

    html_raw("<form method=\"post\" action=\"/admin/login\" class=\"login\">\n"
             "<input type=\"hidden\" name=\"csrf\" value=\"");
    html_attr(token);
    html_raw("\">\n<input type=\"hidden\" name=\"next\" value=\"");
    html_attr(login_next(admin_arg(req, "next") ? admin_arg(req, "next")
                                                : admin_field(req, "next")));
    html_raw("\">\n<label>用户名 <input name=\"login\" required "
             "autocomplete=\"username\" maxlength=\"32\" value=\"");
    html_attr(login ? login : "");
    html_raw("\"></label>\n<label>密码 <input name=\"password\" "
             "type=\"password\" required autocomplete=\"current-password\" "
             "maxlength=\"128\"></label>\n"
             "<button type=\"submit\">登录</button>\n</form>\n");

    html_page_end();
}


void
page_login(admin_request_t *req)
{
    login_form(req, 200, NULL, NULL);
}


void
page_login_post(admin_request_t *req)
{
    int                    ok;
    char                   cookie[256], next[256], token[128];
    PGresult              *res, *fin;
    const char            *login, *password, *csrf, *hash, *params[5];
    const char            *status, *session;
    admin_error_t          err;
    ch_password_result_e   rc;

    csrf = admin_field(req, "csrf");

    if (!admin_same_origin(req) || csrf == NULL
        || admin_cookie(LOGIN_COOKIE, token, sizeof(token)) == NULL
        || strcmp(csrf, token) != 0)
    {
        login_form(req, 403, "页面已过期，请重新登录。", NULL);
        return;
    }

    login = admin_field(req, "login");
    password = admin_field(req, "password");

    if (login == NULL || *login == '\0' || password == NULL
        || *password == '\0')
    {
        login_form(req, 422, "请输入用户名和密码。", login);
        return;
    }

    if (strlen(login) > LOGIN_MAX || strlen(password) > PASSWORD_MAX) {
        login_form(req, 401, "用户名或密码错误。", NULL);
        return;
    }

    params[0] = login;

    res = admin_db_call(req,
                        "SELECT status, message, retry_after, password_hash "
                        "FROM admin.login_begin($1)", 1, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, "/admin/login");
        return;
    }

    status = db_value(res, 0, "status");

    if (strcmp(status, "0") != 0) {
        login_form(req, (int) strtol(status, NULL, 10),
                   db_value(res, 0, "message"), login);
        PQclear(res);
        return;
    }

    hash = db_nullable(res, 0, "password_hash");

    rc = ch_password_verify(password, strlen(password), hash,
                            req->config.password_iterations);

    if (rc == CH_PASSWORD_ERROR) {
        PQclear(res);
        html_error_page(req, 500, "Internal Server Error",
                        "系统错误，请稍后再试。");
        return;
    }

    ok = (rc == CH_PASSWORD_MATCH);

    params[1] = hash;
    params[2] = ok ? "true" : "false";
    params[3] = req->client;
    params[4] = req->user_agent;

    fin = admin_db_call(req,
                        "SELECT status, message, session "
                        "FROM admin.login_finish($1, $2, $3::boolean, "
                        "$4::inet, $5)", 5, params, &err);
    PQclear(res);

    if (fin == NULL) {
        admin_error_page(req, &err, "/admin/login");
        return;
    }

    status = db_value(fin, 0, "status");
    session = db_nullable(fin, 0, "session");

    if (strcmp(status, "200") != 0 || session == NULL) {
        login_form(req, (int) strtol(status, NULL, 10),
                   db_value(fin, 0, "message"), login);
        PQclear(fin);
        return;
    }

    admin_session_cookie(req, session, cookie, sizeof(cookie));
    PQclear(fin);

    /* the login form's token has served its purpose */
    snprintf(cookie + strlen(cookie), sizeof(cookie) - strlen(cookie),
             "Set-Cookie: " LOGIN_COOKIE "=; Path=/admin/login; HttpOnly; "
             "SameSite=Strict; Max-Age=0\r\n");

    snprintf(next, sizeof(next), "/admin%s",
             login_next(admin_field(req, "next")));

    admin_redirect(req, next, cookie);
}


void
page_logout(admin_request_t *req)
{
    char            cookie[160], token[128];
    PGresult       *res;
    const char     *params[3];
    admin_error_t   err;

    if (!admin_same_origin(req)) {
        html_error_page(req, 403, "Forbidden",
                        "请求来源不是本系统的页面，操作已拒绝。");
        return;
    }

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;

    if (params[0]) {
        res = admin_db_call(req, "SELECT admin.logout($1, $2, $3::inet)",
                            3, params, &err);
        if (res == NULL) {
            admin_error_page(req, &err, "/admin/");
            return;
        }

        PQclear(res);
    }

    admin_session_cookie(req, NULL, cookie, sizeof(cookie));
    admin_redirect(req, "/admin/login", cookie);
}
