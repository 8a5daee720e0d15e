/*
 * A staff member's own password: GET /admin/password (the form) and
 * POST /admin/password; and the rule every staff password follows, which
 * the staff page and the command line (cmd_staff.c) share.
 *
 * The current password is checked here, as at the login, against the
 * stored hash; the new one is hashed here too (lib/ch_password.c) and
 * admin.staff_password stores it and ends the member's other sessions:
 * whoever had the old password is out everywhere else.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_json.h"
#include "ch_password.h"


/* what admin_session() reads the cookie into */
#define PASSWORD_TOKEN_MAX  128


/*
 * At least ADMIN_PASSWORD_MIN characters with a letter and a digit, as
 * for applicants but longer: a staff password opens every applicant's
 * documents.  At most ADMIN_PASSWORD_MAX characters *and bytes*: the
 * login page refuses passwords longer than 128 bytes before it looks at
 * them, and a password that cannot sign in must not be set.  No control
 * characters: a form field may carry a tab or a newline, which nobody
 * can type into the login form again.
 */
const char *
admin_password_rule(const char *password, const char *again)
{
    int                   letter, digit;
    size_t                i, len, seq, chars;
    const unsigned char  *p;

    if (password == NULL || *password == '\0') {
        return "请输入新密码。";
    }

    p = (const unsigned char *) password;
    len = strlen(password);
    letter = 0;
    digit = 0;
    chars = 0;

    for (i = 0; i < len; i += seq) {
        seq = ch_utf8_sequence(p + i, len - i);

        if (seq == 0) {
            return "密码含有无效的字符。";
        }

        if (p[i] < 0x20 || p[i] == 0x7f) {
            return "密码不能包含制表符、换行等控制字符。";
        }

        letter |= (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z');
        digit |= (p[i] >= '0' && p[i] <= '9');
        chars++;
    }

    if (chars < ADMIN_PASSWORD_MIN) {
        return "密码太短，至少需要10个字符。";
    }

    if (chars > ADMIN_PASSWORD_MAX || len > ADMIN_PASSWORD_MAX) {
        return "密码太长，最多128个字符（汉字等非英文字符每个按3个计）。";
    }

    if (!letter || !digit) {
        return "密码须同时包含字母和数字。";
    }

    if (again == NULL || strcmp(password, again) != 0) {
        return "两次输入的新密码不一致。";
    }

    return NULL;
}


/* a refusal of the form, as a page with the way back to it */
static void
password_refuse(admin_request_t *req, int status, const char *field,
    const char *message)
{
    admin_error_t  err;

    memset(&err, 0, sizeof(err));
    err.status = status;
    snprintf(err.field, sizeof(err.field), "%s", field ? field : "");
    snprintf(err.message, sizeof(err.message), "%s", message);

    admin_error_page(req, &err, "/admin/password");
}


void
page_password(admin_request_t *req)
{
    const char  *done;

    if (admin_session(req, 0, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    html_headers(200, "OK", NULL);
    html_page_begin(req, "修改密码");

    done = admin_arg(req, "done");

    if (done && strcmp(done, "changed") == 0) {
        html_raw("<p class=\"done\" id=\"done\">密码已修改。您在其他设备或"
                 "浏览器上的登录已全部退出。</p>\n");
    }

    html_raw("<form method=\"post\" action=\"/admin/password\" "
             "id=\"password\">\n");
    html_csrf(req);
    html_raw("\n<label>当前密码 <input type=\"password\" name=\"current\" "
             "required autocomplete=\"current-password\" maxlength=\"128\">"
             "</label>\n"
             "<label>新密码 <input type=\"password\" name=\"password\" "
             "required autocomplete=\"new-password\" minlength=\"10\" "
             "maxlength=\"128\"></label>\n"
             "<label>再次输入新密码 <input type=\"password\" "
             "name=\"password2\" required autocomplete=\"new-password\" "
             "minlength=\"10\" maxlength=\"128\"></label>\n"
             "<p class=\"hint\">" ADMIN_PASSWORD_HINT "</p>\n"
             "<button type=\"submit\">修改密码</button>\n</form>\n");

    html_page_end();
}


void
page_password_post(admin_request_t *req)
{
    char                   id[24], token[PASSWORD_TOKEN_MAX];
    char                   hash[CH_PASSWORD_HASH_SIZE];
    PGresult              *res;
    const char            *current, *password, *problem, *stored;
    const char            *params[5];
    admin_error_t          err;
    ch_password_result_e   rc;

    if (admin_session(req, 1, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    current = admin_field(req, "current");
    password = admin_field(req, "password");

    if (current == NULL || *current == '\0') {
        password_refuse(req, 422, "current", "请输入当前密码。");
        return;
    }

    problem = admin_password_rule(password,
                                  admin_field(req, "password2"));
    if (problem) {
        password_refuse(req, 422, "password", problem);
        return;
    }

    snprintf(id, sizeof(id), "%ld", req->staff.id);
    params[0] = id;

    res = admin_db_call(req, "SELECT password_hash FROM staff "
                        "WHERE id = $1::bigint", 1, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, "/admin/password");
        return;
    }

    stored = PQntuples(res) == 1 ? db_nullable(res, 0, "password_hash")
                                 : NULL;

    /* no longer password than the login page takes can be the current one */
    rc = strlen(current) > ADMIN_PASSWORD_MAX
         ? CH_PASSWORD_MISMATCH
         : ch_password_verify(current, strlen(current), stored,
                              req->config.password_iterations);
    PQclear(res);

    if (rc == CH_PASSWORD_ERROR) {
        html_error_page(req, 500, "Internal Server Error",
                        "系统错误，请稍后再试。");
        return;
    }

    if (rc != CH_PASSWORD_MATCH) {
        password_refuse(req, 422, "current", "当前密码不正确。");
        return;
    }

    if (ch_password_hash(password, strlen(password),
                         req->config.password_iterations, hash) != 0)
    {
        html_error_page(req, 500, "Internal Server Error",
                        "系统错误，请稍后再试。");
        return;
    }

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;
    params[3] = id;
    params[4] = hash;

    res = admin_db_call(req,
                        "SELECT admin.staff_password($1, $2, $3::inet, "
                        "$4::bigint, $5)", 5, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, "/admin/password");
        return;
    }

    PQclear(res);

    admin_redirect(req, "/admin/password?done=changed", NULL);
}
