/*
 * Staff management, for the role admin: GET /admin/staff (the members,
 * a form to create one, and for each member a form to change the name,
 * roles and whether the account is active, and one to set a new
 * password); POST /admin/staff (create), POST /admin/staff/{id}
 * (update), POST /admin/staff/{id}/password (new password).
 *
 * The database decides what is allowed (admin.staff_create, _update,
 * _password: a login's format, known roles, an admin not demoting or
 * deactivating themselves) and writes the audit; this page hashes the
 * passwords, which never reach the database.
 *
 * Roles come as one checkbox each, "role.<code>" = 1: the form parser
 * refuses a name given twice, so the roles cannot be a repeated field.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_password.h"


/* what admin_session() reads the cookie into */
#define STAFF_TOKEN_MAX   128
/* "{reviewer,finance,shipper,admin}" with room for roles to come */
#define STAFF_ROLES_MAX   512
#define STAFF_ROLE_LEN    32


/* the refusal of a form, as a page with the way back to the staff page */
static void
staff_refuse(admin_request_t *req, int status, const char *field,
    const char *message)
{
    admin_error_t  err;

    memset(&err, 0, sizeof(err));
    err.status = status;
    snprintf(err.field, sizeof(err.field), "%s", field ? field : "");
    snprintf(err.message, sizeof(err.message), "%s", message);

    admin_error_page(req, &err, "/admin/staff");
}


/*
 * The checked roles as a text[] literal, "{reviewer,admin}", or "{}" when
 * none is (the database refuses that with its own message).  Only codes
 * of [a-z_] go into the literal, so a field name cannot add quotes,
 * braces or commas to it; whether a code is a role is the database's
 * call.  Returns 0, or -1 when the page was answered.
 */
static int
staff_roles(admin_request_t *req, char *buf, size_t size)
{
    if (admin_checked(req, "role.", "abcdefghijklmnopqrstuvwxyz_",
                      STAFF_ROLE_LEN, 16, buf, size) != 0)
    {
        staff_refuse(req, 422, "roles", "角色选择不正确，请返回后重试。");
        return -1;
    }

    return 0;
}


/* a checkbox: 1 checked, 0 not, -1 (page answered) for another value */
static int
staff_flag(admin_request_t *req, const char *name)
{
    const char  *v = admin_field(req, name);

    if (v == NULL) {
        return 0;
    }

    if (strcmp(v, "1") != 0) {
        staff_refuse(req, 422, name, "表单内容不正确，请返回后重试。");
        return -1;
    }

    return 1;
}


/* the member of the path, /admin/staff/{id}: digits, else a 404 page */
static const char *
staff_path_id(admin_request_t *req)
{
    size_t       len;
    const char  *id = req->param[0];

    len = strlen(id);

    if (len == 0 || len > 18 || strspn(id, "0123456789") != len
        || id[0] == '0')
    {
        html_error_page(req, 404, "Not Found", "员工不存在。");
        return NULL;
    }

    return id;
}


/*
 * The new password of the form (password, password2), hashed into
 * hash (CH_PASSWORD_HASH_SIZE).  Returns 0, or -1 when the page was
 * answered: the rule's refusal (never with the password in it), or 500.
 */
static int
staff_password_hash(admin_request_t *req, char *hash)
{
    const char  *password, *problem;

    password = admin_field(req, "password");
    problem = admin_password_rule(password,
                                  admin_field(req, "password2"));
    if (problem) {
        staff_refuse(req, 422, "password", problem);
        return -1;
    }

    if (ch_password_hash(password, strlen(password),
                         req->config.password_iterations, hash) != 0)
    {
        html_error_page(req, 500, "Internal Server Error",
                        "系统错误，请稍后再试。");
        return -1;
    }

    return 0;
}


/* one checkbox per role, checked when roles has it */
static void
staff_role_boxes(PGresult *roles_res, const char *roles)
{
    int  i;

    html_raw("<fieldset class=\"roles\"><legend>角色</legend>");

    for (i = 0; i < PQntuples(roles_res); i++) {
        html_raw("<label><input type=\"checkbox\" name=\"role.");
        html_attr(db_value(roles_res, i, "code"));
        html_raw("\" value=\"1\"");

        if (admin_roles_include(roles, db_value(roles_res, i, "code"))) {
            html_raw(" checked");
        }

        html_raw("> ");
        html_txt(db_value(roles_res, i, "name"));
        html_raw("</label> ");
    }

    html_raw("</fieldset>\n");
}


/* the two fields of a new password */
static void
staff_password_fields(const char *label)
{
    html_raw("<label>");
    html_raw(label);
    html_raw(" <input type=\"password\" name=\"password\" required "
             "autocomplete=\"new-password\" minlength=\"10\" "
             "maxlength=\"128\"></label>\n"
             "<label>再次输入 <input type=\"password\" name=\"password2\" "
             "required autocomplete=\"new-password\" minlength=\"10\" "
             "maxlength=\"128\"></label>\n"
             "<span class=\"hint\">" ADMIN_PASSWORD_HINT "</span>\n");
}


void
page_staff(admin_request_t *req)
{
    int             i, n;
    PGresult       *staff, *roles;
    const char     *done, *id;
    admin_error_t   err;

    if (admin_session(req, 0, "admin") != 0) {
        return;
    }

    /* everything is read before the page begins: an error is a whole page */
    staff = admin_db_call(req,
                          "SELECT id, login, name, roles, role_names, "
                          "active, created_at, last_login_at, locked_until, "
                          "coalesce(locked_until > now(), false) AS locked "
                          "FROM admin.staff_list() "
                          "ORDER BY active DESC, login", 0, NULL, &err);
    roles = staff ? admin_db_call(req, "SELECT code, name FROM staff_roles "
                                  "ORDER BY sort_order, code", 0, NULL,
                                  &err) : NULL;

    if (roles == NULL) {
        PQclear(staff);
        admin_error_page(req, &err, "/admin/");
        return;
    }

    html_headers(200, "OK", NULL);
    html_page_begin(req, "员工管理");

    /* a fixed text per outcome: the query string is never shown */
    done = admin_arg(req, "done");

    if (done) {
        done = strcmp(done, "created") == 0 ? "已新建员工。"
               : strcmp(done, "updated") == 0 ? "已保存员工信息。"
               : strcmp(done, "password") == 0
                 ? "已设置新密码，该员工在其他设备上的登录已退出。"
               : NULL;
    }

    if (done) {
        html_raw("<p class=\"done\" id=\"done\">");
        html_raw(done);
        html_raw("</p>\n");
    }

    /* the members */
    n = PQntuples(staff);

    html_raw("<table class=\"staff\" id=\"staff-list\">\n<thead><tr>"
             "<th>用户名</th><th>姓名</th><th>角色</th><th>状态</th>"
             "<th>最近登录</th><th>创建时间</th><th></th>"
             "</tr></thead>\n<tbody>\n");

    for (i = 0; i < n; i++) {
        id = db_value(staff, i, "id");

        html_raw("<tr data-login=\"");
        html_attr(db_value(staff, i, "login"));
        html_raw("\"");

        if (strcmp(db_value(staff, i, "active"), "t") != 0) {
            html_raw(" class=\"inactive\"");
        }

        html_raw("><td>");
        html_txt(db_value(staff, i, "login"));
        html_raw("</td><td>");
        html_txt(db_value(staff, i, "name"));
        html_raw("</td><td>");
        html_txt(db_value(staff, i, "role_names"));
        html_raw("</td><td>");
        html_raw(strcmp(db_value(staff, i, "active"), "t") == 0
                 ? "启用" : "已停用");

        if (strcmp(db_value(staff, i, "locked"), "t") == 0) {
            html_raw("，<span class=\"locked\">登录已锁定至 ");
            html_time(db_value(staff, i, "locked_until"));
            html_raw("</span>");
        }

        html_raw("</td><td>");
        html_time(db_value(staff, i, "last_login_at"));
        html_raw("</td><td>");
        html_time(db_value(staff, i, "created_at"));
        html_raw("</td><td><a href=\"#staff-");
        html_attr(id);
        html_raw("\">修改</a></td></tr>\n");
    }

    if (n == 0) {
        html_raw("<tr><td colspan=\"7\" class=\"empty\">还没有员工</td></tr>\n");
    }

    html_raw("</tbody>\n</table>\n");

    /* a new member */
    html_raw("<section class=\"staff-create\" id=\"staff-create\">\n"
             "<h3>新建员工</h3>\n"
             "<form method=\"post\" action=\"/admin/staff\" id=\"create\">\n");
    html_csrf(req);
    html_raw("\n<label>用户名 <input name=\"login\" required maxlength=\"32\" "
             "autocomplete=\"off\"></label>\n"
             "<span class=\"hint\">小写字母开头，3-32位小写字母、数字或"
             " _ . -</span>\n"
             "<label>姓名 <input name=\"name\" required maxlength=\"50\" "
             "autocomplete=\"off\"></label>\n");
    staff_role_boxes(roles, NULL);
    staff_password_fields("初始密码");
    html_raw("<button type=\"submit\">新建</button>\n</form>\n</section>\n");

    /* each member's forms */
    for (i = 0; i < n; i++) {
        id = db_value(staff, i, "id");

        html_raw("<section class=\"staff-edit\" id=\"staff-");
        html_attr(id);
        html_raw("\" data-login=\"");
        html_attr(db_value(staff, i, "login"));
        html_raw("\">\n<h3>");
        html_txt(db_value(staff, i, "name"));
        html_raw("（");
        html_txt(db_value(staff, i, "login"));
        html_raw("）</h3>\n<form method=\"post\" action=\"/admin/staff/");
        html_attr(id);
        html_raw("\" class=\"staff-update\">\n");
        html_csrf(req);
        html_raw("\n<label>姓名 <input name=\"name\" required maxlength=\"50\" "
                 "autocomplete=\"off\" value=\"");
        html_attr(db_value(staff, i, "name"));
        html_raw("\"></label>\n");
        staff_role_boxes(roles, db_value(staff, i, "roles"));
        html_raw("<label><input type=\"checkbox\" name=\"active\" value=\"1\"");

        if (strcmp(db_value(staff, i, "active"), "t") == 0) {
            html_raw(" checked");
        }

        html_raw("> 启用（停用后立即退出登录）</label>\n"
                 "<button type=\"submit\">保存</button>\n</form>\n"
                 "<form method=\"post\" action=\"/admin/staff/");
        html_attr(id);
        html_raw("/password\" class=\"staff-password\">\n");
        html_csrf(req);
        html_raw("\n");
        staff_password_fields("新密码");
        html_raw("<button type=\"submit\">重置密码</button>\n</form>\n"
                 "</section>\n");
    }

    PQclear(staff);
    PQclear(roles);

    html_page_end();
}


void
page_staff_create(admin_request_t *req)
{
    char            token[STAFF_TOKEN_MAX], roles[STAFF_ROLES_MAX];
    char            hash[CH_PASSWORD_HASH_SIZE];
    PGresult       *res;
    const char     *params[7];
    admin_error_t   err;

    if (admin_session(req, 1, "admin") != 0) {
        return;
    }

    if (staff_roles(req, roles, sizeof(roles)) != 0
        || staff_password_hash(req, hash) != 0)
    {
        return;
    }

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;
    params[3] = admin_field(req, "login");
    params[4] = admin_field(req, "name");
    params[5] = roles;
    params[6] = hash;

    res = admin_db_call(req,
                        "SELECT admin.staff_create($1, $2, $3::inet, $4, $5, "
                        "$6::text[], $7)", 7, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, "/admin/staff");
        return;
    }

    PQclear(res);

    admin_redirect(req, "/admin/staff?done=created", NULL);
}


void
page_staff_update(admin_request_t *req)
{
    int             active;
    char            token[STAFF_TOKEN_MAX], roles[STAFF_ROLES_MAX];
    PGresult       *res;
    const char     *id, *params[7];
    admin_error_t   err;

    /* the session is admin.staff_update()'s to check */
    if (admin_session_deferred(req, "admin") != 0) {
        return;
    }

    id = staff_path_id(req);
    if (id == NULL) {
        return;
    }

    if (staff_roles(req, roles, sizeof(roles)) != 0) {
        return;
    }

    active = staff_flag(req, "active");
    if (active < 0) {
        return;
    }

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;
    params[3] = id;
    params[4] = admin_field(req, "name");
    params[5] = roles;
    params[6] = active ? "true" : "false";

    res = admin_db_call(req,
                        "SELECT admin.staff_update($1, $2, $3::inet, "
                        "$4::bigint, $5, $6::text[], $7::boolean)",
                        7, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, "/admin/staff");
        return;
    }

    PQclear(res);

    admin_redirect(req, "/admin/staff?done=updated", NULL);
}


void
page_staff_password(admin_request_t *req)
{
    char            token[STAFF_TOKEN_MAX], hash[CH_PASSWORD_HASH_SIZE];
    PGresult       *res;
    const char     *id, *params[5];
    admin_error_t   err;

    if (admin_session(req, 1, "admin") != 0) {
        return;
    }

    id = staff_path_id(req);
    if (id == NULL) {
        return;
    }

    if (staff_password_hash(req, hash) != 0) {
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
        admin_error_page(req, &err, "/admin/staff");
        return;
    }

    PQclear(res);

    admin_redirect(req, "/admin/staff?done=password", NULL);
}
