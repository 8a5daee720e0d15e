/*
 * A stored file for staff: GET /admin/orders/{id}/files/{file id}.
 *
 * The database checks the file belongs to the order and records that this
 * staff member looked at it (ID cards and licences are personal data; who
 * saw them is part of the audit trail).  nginx then sends the file itself:
 * X-Accel-Redirect to files_uri, an internal location aliasing the
 * storage, so the bytes never pass through this process.  Of our headers
 * nginx keeps Content-Type, Content-Disposition and Cache-Control with the
 * redirect; the location adds nosniff and a sandboxing CSP.
 * admin_file_send() is that answer, for the invoices' files too
 * (page_invoices.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_disposition.h"


/*
 * Sends the stored file DIR/ab/<sha256> through nginx, of that media type,
 * saved (attachment) or shown; kind and format make the plain filename,
 * name (cleaned when stored) the one people see, left out when it would
 * not fit the header.  A record that cannot be a file's is a 500: these
 * go into headers.
 */
void
admin_file_send(admin_request_t *req, const char *sha, const char *type,
    int attachment, const char *kind, const char *format, const char *name)
{
    char    disposition[2048];
    size_t  n;

    if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64
        || strcspn(type, "\r\n") != strlen(type))
    {
        html_error_page(req, 500, "Internal Server Error", "文件记录有误。");
        return;
    }

    n = ch_disposition(NULL, attachment, kind, format, name,
                       name ? strlen(name) : 0);

    if (n >= sizeof(disposition)) {
        name = NULL;
    }

    n = ch_disposition(disposition, attachment, kind, format, name,
                       name ? strlen(name) : 0);
    disposition[n] = '\0';

    printf("Status: 200 OK\r\n"
           "X-Accel-Redirect: %s%.2s/%s\r\n"
           "Content-Type: %s\r\n"
           "Content-Disposition: %s\r\n"
           "Cache-Control: private, no-store\r\n"
           "\r\n", req->config.files_uri, sha, sha, type, disposition);
}


void
page_file(admin_request_t *req)
{
    char            staff_id[24];
    PGresult       *res;
    const char     *params[4], *sha, *type, *format, *name;
    admin_error_t   err;

    if (admin_session(req, 0, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    if (strspn(req->param[1], "0123456789") != strlen(req->param[1])) {
        html_error_page(req, 404, "Not Found", "文件不存在。");
        return;
    }

    snprintf(staff_id, sizeof(staff_id), "%ld", req->staff.id);
    params[0] = staff_id;
    params[1] = req->client;
    params[2] = req->param[0];
    params[3] = req->param[1];

    res = admin_db_call(req,
                        "SELECT sha256, media_type, format, original_name "
                        "FROM admin.file($1::bigint, $2::inet, $3, "
                        "$4::bigint)", 4, params, &err);
    if (res == NULL) {
        admin_error_page(req, &err, NULL);
        return;
    }

    sha = db_value(res, 0, "sha256");
    type = db_value(res, 0, "media_type");
    format = db_value(res, 0, "format");
    name = db_value(res, 0, "original_name");

    if (strspn(format, "abcdefghijklmnopqrstuvwxyz") != strlen(format)) {
        html_error_page(req, 500, "Internal Server Error", "文件记录有误。");

    } else {
        admin_file_send(req, sha, type, strcmp(format, "pdf") == 0, "material",
                        format, name);
    }

    PQclear(res);
}
