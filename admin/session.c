/*
 * Staff sessions: the cookie, and the check every page but the login page
 * makes before anything else.
 *
 * The cookie holds a random token; the database keeps its SHA-256, the
 * staff member, and the session's form token (CSRF), which every form of
 * the back office carries in a hidden field "csrf" and every POST must
 * send back.  The cookie is scoped to /admin/ (the applicants' site never
 * sees it), HttpOnly, SameSite=Strict, and Secure over HTTPS.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"


#define ADMIN_TOKEN_MAX  128


/* "Set-Cookie: ...\r\n" for the session token, or to clear it (NULL) */
void
admin_session_cookie(const admin_request_t *req, const char *token,
    char *buf, size_t size)
{
    snprintf(buf, size,
             "Set-Cookie: " ADMIN_SESSION_COOKIE "=%s; Path=/admin/; "
             "HttpOnly; SameSite=Strict%s%s\r\n",
             token ? token : "",
             req->https ? "; Secure" : "",
             token ? "" : "; Max-Age=0");
}


const char *
admin_session_token(char *buf, size_t size)
{
    return admin_cookie(ADMIN_SESSION_COOKIE, buf, size);
}


/* does the signed-in staff member have the role? */
int
admin_has_role(const admin_request_t *req, const char *role)
{
    return admin_roles_include(req->staff.roles, role);
}


/*
 * A POST whose admin.* function checks the session, the form token and the
 * role itself, in its own transaction (staff_acting): that check is the
 * one that counts, and asking admin.session() first as well would cost a
 * round trip for nothing.  So only the origin is checked here (no
 * database).  Should the request be refused after all, by the function or
 * by the page, admin_session_settle() makes the check admin_session()
 * would have made first, so that an ended session, a wrong form token or a
 * missing role get the very answer they always got, and any other refusal
 * the page's navigation.  role: as admin_session()'s, which must also be
 * the function's, or more.  Returns 0, or -1 when the request was answered.
 */
int
admin_session_deferred(admin_request_t *req, const char *role)
{
    if (!admin_same_origin(req)) {
        html_error_page(req, 403, "Forbidden",
                        "请求来源不是本系统的页面，操作已拒绝。");
        return -1;
    }

    req->session_deferred = 1;
    req->deferred_role = role;

    return 0;
}


/*
 * Before a refusal of a deferred request is sent: admin_session() now, as
 * it would have run first.  Returns 0 (not deferred, or the session is
 * live and the staff member known), or -1 when its refusal was sent.
 */
int
admin_session_settle(admin_request_t *req)
{
    if (req == NULL || !req->session_deferred) {
        return 0;
    }

    req->session_deferred = 0;

    return admin_session(req, 1, req->deferred_role);
}


#define ADMIN_SESSION_SQL                                                     \
    "SELECT staff_id, login, name, roles, csrf "                              \
    "FROM admin.session($1, $2, $3::boolean)"


/*
 * admin_session() given admin.session()'s answer: res (which req keeps),
 * or NULL with err (err->status 401 also for no cookie at all)
 */
static int
admin_session_answer(admin_request_t *req, int write, const char *role,
    PGresult *res, admin_error_t *err)
{
    char  msg[160], next[512];

    if (res == NULL) {
        if (err->status == 401 && !write) {
            /* back to this page after the login; the path is ours */
            snprintf(next, sizeof(next), "/admin/login?next=%s",
                     strncmp(req->path, "/admin/", 7) == 0
                     && strlen(req->path) < 200 ? req->path + 6 : "/");
            admin_redirect(req, next, NULL);
            return -1;
        }

        if (err->status == 401) {
            snprintf(err->message, sizeof(err->message),
                     "登录已过期，请重新登录后再操作。");
        }

        admin_error_page(req, err, err->status == 401 ? "/admin/login"
                                                      : NULL);
        return -1;
    }

    req->staff_res = res;
    req->staff.id = strtol(db_value(res, 0, "staff_id"), NULL, 10);
    req->staff.login = db_value(res, 0, "login");
    req->staff.name = db_value(res, 0, "name");
    req->staff.roles = db_value(res, 0, "roles");
    req->staff.csrf = db_value(res, 0, "csrf");

    if (role && !admin_has_role(req, role)) {
        snprintf(msg, sizeof(msg), "您没有权限访问此页面（需要：%s）。",
                 admin_role_label(role));
        html_error_page(req, 403, "Forbidden", msg);
        return -1;
    }

    return 0;
}


/*
 * The staff member of this request.  write: the request changes something,
 * so the form's token must match the session's.  role: what the page
 * needs, or NULL.  Returns 0, or -1 when the request was answered: sent
 * to the login page (GET without a session), or refused.
 */
int
admin_session(admin_request_t *req, int write, const char *role)
{
    char            token[ADMIN_TOKEN_MAX];
    PGresult       *res;
    const char     *params[3];
    admin_error_t   err;

    if (write && !admin_same_origin(req)) {
        html_error_page(req, 403, "Forbidden",
                        "请求来源不是本系统的页面，操作已拒绝。");
        return -1;
    }

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = write ? admin_field(req, "csrf") : NULL;
    params[2] = write ? "true" : "false";

    if (params[0] == NULL) {
        memset(&err, 0, sizeof(err));
        err.status = 401;
        res = NULL;

    } else {
        res = admin_db_call(req, ADMIN_SESSION_SQL, 3, params, &err);
    }

    return admin_session_answer(req, write, role, res, &err);
}


/*
 * A page that reads (GET) with its session check in the same batch as its
 * statements (admin_db_batch): the check is stmt, its first statement, and
 * the session token goes into token (which, like params, must outlive the
 * batch; it is $1 of the check).  Returns 0, or -1 when there is no
 * session cookie at all and the request was answered as admin_session()
 * would have.
 */
int
admin_session_stmt(admin_request_t *req, char *token, size_t size,
    const char **params, admin_db_stmt_t *stmt)
{
    admin_error_t  err;

    params[0] = admin_session_token(token, size);
    params[1] = NULL;
    params[2] = "false";

    if (params[0] == NULL) {
        memset(&err, 0, sizeof(err));
        err.status = 401;
        return admin_session_answer(req, 0, NULL, NULL, &err);
    }

    stmt->sql = ADMIN_SESSION_SQL;
    stmt->nparams = 3;
    stmt->params = params;

    return 0;
}


/*
 * The batch's answer to that check: res (NULL when it failed, with err),
 * then role as admin_session()'s.  Returns 0, or -1 when answered.
 */
int
admin_session_batched(admin_request_t *req, const char *role, PGresult *res,
    admin_error_t *err)
{
    return admin_session_answer(req, 0, role, res, err);
}
