/*
 * The 下载中心's files, for the role admin: GET /admin/downloads (every
 * download with all its versions, the retired ones last, and the forms),
 * POST /admin/downloads (a new one: an upload with its description),
 * POST /admin/downloads/{id}/replace (a new version: an upload and a note),
 * /retire (withdrawn, with a reason) and /edit (its description).
 *
 * The uploads are read as they stream (upload.c) and stored under their
 * SHA-256 before the database names them; the database checks and audits
 * each change (sql/functions/57_downloads.sql), and a file the database
 * refused is removed again if this request stored it.  A version never
 * changes: a new file is a new version, and the website serves the newest.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"


/* what admin_session() reads the cookie into */
#define DOWNLOAD_TOKEN_MAX  128

/* what the file input offers (lib/ch_download.c decides) */
#define DOWNLOAD_ACCEPT \
    ".pdf,.doc,.docx,.xls,.xlsx,.zip,.rar,.7z,.exe,.msi,.txt"


typedef struct {
    const char  *done;              /* ?done= */
    const char  *message;
} download_done_t;


static const download_done_t  download_done[] = {
    { "added", "已新增文件，网站下载中心已显示。" },
    { "replaced", "已上传新版本，网站下载中心此后提供新版本。" },
    { "retired", "已下架，网站下载中心不再提供该文件。" },
    { "edited", "已保存文件信息。" },
    { NULL, NULL }
};


/* the download of the path, /admin/downloads/{id}/...: digits, else 404 */
static const char *
download_path_id(admin_request_t *req)
{
    size_t       len;
    const char  *id = req->param[0];

    len = strlen(id);

    if (len == 0 || len > 18 || strspn(id, "0123456789") != len
        || id[0] == '0')
    {
        html_error_page(req, 404, "Not Found", "文件不存在。");
        return NULL;
    }

    return id;
}


/*
 * a form of one download (not an upload): the id; the session is the
 * admin.* function's to check (admin_session_deferred)
 */
static const char *
download_form_id(admin_request_t *req)
{
    if (admin_session_deferred(req, "admin") != 0) {
        return NULL;
    }

    return download_path_id(req);
}


/* a form's optional text: NULL (unchanged, or none) when blank */
static const char *
download_optional(const admin_request_t *req, const char *name)
{
    const char  *v = admin_field(req, name);

    return (v && v[strspn(v, " \t\r\n")] != '\0') ? v : NULL;
}


/* bytes as people read them: 512 B, 12.3 KB, 4.5 MB */
static void
download_size(const char *bytes)
{
    char        buf[32];
    double      v;

    v = strtod(bytes, NULL);

    if (v < 1024) {
        snprintf(buf, sizeof(buf), "%.0f B", v);

    } else if (v < 1024 * 1024) {
        snprintf(buf, sizeof(buf), "%.1f KB", v / 1024);

    } else {
        snprintf(buf, sizeof(buf), "%.1f MB", v / (1024 * 1024));
    }

    html_txt(buf);
}


/* the <select> of codes and names, with an empty choice when given */
static void
download_select(PGresult *list, const char *name, const char *empty,
    const char *current)
{
    int  i;

    html_raw("<select name=\"");
    html_attr(name);
    html_raw("\">");

    if (empty) {
        html_option("", empty, current);
    }

    for (i = 0; i < PQntuples(list); i++) {
        html_option(db_value(list, i, "code"), db_value(list, i, "name"),
                    current);
    }

    html_raw("</select>");
}


static void
download_file_input(void)
{
    html_raw("<label>文件 <input type=\"file\" name=\"file\" required "
             "accept=\"" DOWNLOAD_ACCEPT "\"></label>\n");
}


/* the new file's form, and the hint of what a file may be */
static void
download_add_form(const admin_request_t *req, PGresult *categories,
    PGresult *projects)
{
    char                hint[160];
    unsigned long long  max;

    html_raw("<section id=\"add\">\n<h3>新增文件</h3>\n"
             "<form method=\"post\" action=\"/admin/downloads\" "
             "enctype=\"multipart/form-data\" class=\"staff\" "
             "id=\"add-form\">\n");
    html_csrf(req);
    html_raw("\n<label>类别 ");
    download_select(categories, "category", NULL, NULL);
    html_raw("</label>\n<label>适用项目 ");
    download_select(projects, "project", "通用（所有项目）", "");
    html_raw("</label>\n<label>标题 <input name=\"title\" required "
             "minlength=\"2\" maxlength=\"100\"></label>\n"
             "<label>说明 <textarea name=\"description\" rows=\"2\" "
             "maxlength=\"500\"></textarea></label>\n");
    download_file_input();

    max = req->config.download_max_size;
    snprintf(hint, sizeof(hint), "PDF、Word、Excel、ZIP、RAR、7z、EXE、MSI 或 "
             "TXT，不超过 %llu %s。", max % (1024 * 1024) ? max / 1024
                                                       : max / (1024 * 1024),
             max % (1024 * 1024) ? "KB" : "MB");
    html_raw("<span class=\"hint\">");
    html_txt(hint);
    html_raw("</span>\n<p><button type=\"submit\">上传</button></p>\n"
             "</form>\n</section>\n");
}


/* the forms of an offered download: a new version, its details, retire */
static void
download_forms(const admin_request_t *req, PGresult *rows, int row,
    PGresult *categories, PGresult *projects)
{
    const char  *id = db_value(rows, row, "id");

    html_raw("<details class=\"download-forms\"><summary>更新 / 修改 / 下架"
             "</summary>\n<form method=\"post\" action=\"/admin/downloads/");
    html_attr(id);
    html_raw("/replace\" enctype=\"multipart/form-data\" class=\"staff\" "
             "id=\"replace-");
    html_attr(id);
    html_raw("\">\n<h4>上传新版本</h4>\n");
    html_csrf(req);
    html_raw("\n<label>更新说明 <input name=\"note\" maxlength=\"200\">"
             "</label>\n");
    download_file_input();
    html_raw("<p><button type=\"submit\">上传新版本</button></p>\n</form>\n");

    html_raw("<form method=\"post\" action=\"/admin/downloads/");
    html_attr(id);
    html_raw("/edit\" class=\"staff\" id=\"edit-");
    html_attr(id);
    html_raw("\">\n<h4>修改信息</h4>\n");
    html_csrf(req);
    html_raw("\n<label>类别 ");
    download_select(categories, "category", NULL,
                    db_value(rows, row, "category"));
    html_raw("</label>\n<label>适用项目 ");
    download_select(projects, "project", "通用（所有项目）",
                    db_value(rows, row, "project"));
    html_raw("</label>\n<label>标题 <input name=\"title\" required "
             "minlength=\"2\" maxlength=\"100\" value=\"");
    html_attr(db_value(rows, row, "title"));
    html_raw("\"></label>\n<label>说明 <textarea name=\"description\" "
             "rows=\"2\" maxlength=\"500\">");
    html_txt(db_value(rows, row, "description"));
    html_raw("</textarea></label>\n<label>排序 <input name=\"sort_order\" "
             "type=\"number\" value=\"");
    html_attr(db_value(rows, row, "sort_order"));
    html_raw("\"></label>\n<p><button type=\"submit\">保存</button></p>\n"
             "</form>\n");

    html_raw("<form method=\"post\" action=\"/admin/downloads/");
    html_attr(id);
    html_raw("/retire\" class=\"staff\" id=\"retire-");
    html_attr(id);
    html_raw("\">\n<h4>下架</h4>\n");
    html_csrf(req);
    html_raw("\n<label>下架原因 <input name=\"reason\" required "
             "maxlength=\"200\"></label>\n<p><button type=\"submit\" "
             "class=\"secondary\">下架</button></p>\n</form>\n</details>\n");
}


/* one download: rows [first, end) are its versions, newest first */
static void
download_section(const admin_request_t *req, PGresult *rows, int first,
    int end, PGresult *categories, PGresult *projects)
{
    int          i;
    const char  *id, *retired;

    id = db_value(rows, first, "id");
    retired = db_nullable(rows, first, "retired_at");

    html_raw("<section class=\"download");
    html_raw(retired ? " retired" : "");
    html_raw("\" id=\"download-");
    html_attr(id);
    html_raw("\">\n<h3>");
    html_txt(db_value(rows, first, "title"));
    html_raw("</h3>\n<dl class=\"fields\">\n<dt>类别</dt><dd>");
    html_txt(db_value(rows, first, "category_name"));
    html_raw("</dd>\n<dt>适用项目</dt><dd>");
    html_txt(db_nullable(rows, first, "project_name")
             ? db_value(rows, first, "project_name") : "通用");
    html_raw("</dd>\n<dt>说明</dt><dd>");
    html_txt(db_value(rows, first, "description"));
    html_raw("</dd>\n<dt>排序</dt><dd>");
    html_txt(db_value(rows, first, "sort_order"));
    html_raw("</dd>\n<dt>新增</dt><dd>");
    html_time(db_value(rows, first, "created_at"));
    html_raw("，");
    html_txt(db_value(rows, first, "created_by"));
    html_raw("</dd>\n<dt>状态</dt><dd class=\"state\">");

    if (retired) {
        html_raw("已下架：");
        html_time(retired);
        html_raw("，");
        html_txt(db_value(rows, first, "retired_by"));
        html_raw("，原因：");
        html_txt(db_value(rows, first, "retired_reason"));

    } else {
        html_raw("提供下载（<a href=\"/api/downloads/");
        html_attr(id);
        html_raw("\">下载当前版本</a>）");
    }

    html_raw("</dd>\n</dl>\n<table class=\"versions\">\n<thead><tr>"
             "<th>版本</th><th>文件名</th><th>大小</th><th>SHA-256</th>"
             "<th>上传时间</th><th>上传人</th><th>更新说明</th></tr></thead>\n"
             "<tbody>\n");

    for (i = first; i < end; i++) {
        html_raw("<tr><td>v");
        html_txt(db_value(rows, i, "version"));
        html_raw("</td><td>");
        html_txt(db_value(rows, i, "file_name"));
        html_raw("</td><td>");
        download_size(db_value(rows, i, "size_bytes"));
        html_raw("</td><td><code class=\"sha256\">");
        html_txt(db_value(rows, i, "sha256"));
        html_raw("</code></td><td>");
        html_time(db_value(rows, i, "uploaded_at"));
        html_raw("</td><td>");
        html_txt(db_value(rows, i, "uploaded_by"));
        html_raw("</td><td>");
        html_txt(db_value(rows, i, "note"));
        html_raw("</td></tr>\n");
    }

    html_raw("</tbody>\n</table>\n");

    if (!retired) {
        download_forms(req, rows, first, categories, projects);
    }

    html_raw("</section>\n");
}


void
page_downloads(admin_request_t *req)
{
    int                     i, first, n;
    PGresult               *rows, *categories, *projects;
    const char             *done;
    admin_error_t           err;
    const download_done_t  *d;

    if (admin_session(req, 0, "admin") != 0) {
        return;
    }

    /* one row per version, in admin.downloads()'s order */
    rows = admin_db_call(req,
        "SELECT d->>'id' AS id, d->>'category' AS category,"
        " d->>'category_name' AS category_name, d->>'project' AS project,"
        " d->>'project_name' AS project_name, d->>'title' AS title,"
        " d->>'description' AS description, d->>'sort_order' AS sort_order,"
        " (d->>'created_at')::timestamptz AS created_at,"
        " d->>'created_by' AS created_by,"
        " (d->>'retired_at')::timestamptz AS retired_at,"
        " d->>'retired_by' AS retired_by,"
        " d->>'retired_reason' AS retired_reason,"
        " v->>'version' AS version, v->>'file_name' AS file_name,"
        " v->>'size_bytes' AS size_bytes, v->>'sha256' AS sha256,"
        " v->>'note' AS note,"
        " (v->>'uploaded_at')::timestamptz AS uploaded_at,"
        " v->>'uploaded_by' AS uploaded_by "
        "FROM json_array_elements(admin.downloads(true)->'downloads')"
        " WITH ORDINALITY AS x (d, n),"
        " json_array_elements(d->'versions') WITH ORDINALITY AS y (v, m) "
        "ORDER BY n, m", 0, NULL, &err);

    categories = rows ? admin_db_call(req, "SELECT code, name FROM "
                                      "download_categories ORDER BY "
                                      "sort_order", 0, NULL, &err)
                      : NULL;
    projects = categories ? admin_db_call(req, "SELECT code, name FROM "
                                          "projects ORDER BY sort_order, "
                                          "code", 0, NULL, &err)
                          : NULL;

    if (projects == NULL) {
        PQclear(rows);
        PQclear(categories);
        admin_error_page(req, &err, "/admin/");
        return;
    }

    html_headers(200, "OK", NULL);
    html_page_begin(req, "下载中心");

    /* a fixed text per outcome: the query string is never shown */
    done = admin_arg(req, "done");

    for (d = download_done; done && d->done; d++) {
        if (strcmp(done, d->done) == 0) {
            html_raw("<p class=\"done\" id=\"done\">");
            html_txt(d->message);
            html_raw("</p>\n");
        }
    }

    html_raw("<p class=\"hint\">网站“下载中心”（/downloads.html）提供这里的"
             "文件：空白表格、驱动程序、使用手册，通用或某个申请项目专用。"
             "更新文件即上传新版本，旧版本保留在记录中；下架后网站不再提供。"
             "</p>\n");

    download_add_form(req, categories, projects);

    n = PQntuples(rows);

    if (n == 0) {
        html_raw("<p id=\"none\">还没有文件。</p>\n");
    }

    for (first = 0; first < n; first = i) {
        for (i = first + 1; i < n; i++) {
            if (strcmp(db_value(rows, i, "id"), db_value(rows, first, "id"))
                != 0)
            {
                break;
            }
        }

        download_section(req, rows, first, i, categories, projects);
    }

    PQclear(rows);
    PQclear(categories);
    PQclear(projects);

    html_page_end();
}


/*
 * A change, the same way for each: $1 the session's token, $2 the form's,
 * $3 the client, the rest as given; a stored upload goes again if the
 * database refused it.  Then back to the list at the download (id, or
 * the "id" the call returned), or the refusal's page.
 */
static void
download_change(admin_request_t *req, const char *sql, int nparams,
    const char **params, admin_upload_t *up, const char *done,
    const char *id)
{
    char            token[DOWNLOAD_TOKEN_MAX], location[128];
    PGresult       *res;
    admin_error_t   err;

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;

    res = admin_db_call(req, sql, nparams, params, &err);

    if (up) {
        admin_upload_done(req, up, res == NULL);
    }

    if (res == NULL) {
        admin_error_page(req, &err, "/admin/downloads");
        return;
    }

    snprintf(location, sizeof(location), "/admin/downloads?done=%s"
             "#download-%s", done, id ? id : db_value(res, 0, "id"));
    admin_redirect(req, location, NULL);

    PQclear(res);
}


/* the upload's file as the database takes it, from params[0] */
static void
download_file_params(const admin_upload_t *up, const char **params,
    char *size, size_t size_len)
{
    snprintf(size, size_len, "%llu", up->size);
    params[0] = up->file_name;
    params[1] = up->media_type;
    params[2] = size;
    params[3] = up->store.sha256;
}


void
page_download_add(admin_request_t *req)
{
    char             size[24];
    const char      *params[11];
    admin_upload_t   up;

    if (admin_upload_read(req, "admin", &up) != 0) {
        return;
    }

    params[3] = admin_field(req, "category");
    params[4] = download_optional(req, "project");
    params[5] = admin_field(req, "title");
    params[6] = download_optional(req, "description");
    download_file_params(&up, params + 7, size, sizeof(size));

    download_change(req, "SELECT admin.download_add($1, $2, $3::inet, $4, $5,"
                    " $6, $7, $8, $9, $10::bigint, $11) AS id",
                    11, params, &up, "added", NULL);
}


void
page_download_replace(admin_request_t *req)
{
    char             size[24];
    const char      *id, *params[9];
    admin_upload_t   up;

    id = download_path_id(req);
    if (id == NULL) {
        return;
    }

    if (admin_upload_read(req, "admin", &up) != 0) {
        return;
    }

    params[3] = id;
    download_file_params(&up, params + 4, size, sizeof(size));
    params[8] = download_optional(req, "note");

    download_change(req, "SELECT admin.download_replace($1, $2, $3::inet,"
                    " $4::bigint, $5, $6, $7::bigint, $8, $9)",
                    9, params, &up, "replaced", id);
}


void
page_download_retire(admin_request_t *req)
{
    const char  *id, *params[5];

    id = download_form_id(req);
    if (id == NULL) {
        return;
    }

    params[3] = id;
    params[4] = admin_field(req, "reason");

    download_change(req, "SELECT admin.download_retire($1, $2, $3::inet,"
                    " $4::bigint, $5)", 5, params, NULL, "retired", id);
}


/* an optional whole number, as the database's integer takes it */
static int
download_integer(const char *v)
{
    size_t  sign;

    if (v == NULL) {
        return 1;
    }

    sign = (v[0] == '-');

    return v[sign] != '\0' && strlen(v + sign) <= 9
           && strspn(v + sign, "0123456789") == strlen(v + sign);
}


void
page_download_edit(admin_request_t *req)
{
    const char  *id, *params[9];

    id = download_form_id(req);
    if (id == NULL) {
        return;
    }

    params[3] = id;
    params[4] = admin_field(req, "category");
    params[5] = download_optional(req, "project");
    params[6] = admin_field(req, "title");
    params[7] = download_optional(req, "description");
    params[8] = download_optional(req, "sort_order");

    /* the database would take anything else for a system error */
    if (!download_integer(params[8])) {
        html_error_page(req, 422, "Unprocessable Entity", "排序应为整数。");
        return;
    }

    download_change(req, "SELECT admin.download_edit($1, $2, $3::inet,"
                    " $4::bigint, $5, $6, $7, $8, $9::integer)",
                    9, params, NULL, "edited", id);
}
