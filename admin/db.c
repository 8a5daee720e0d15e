/*
 * The back office's database connection and calls.  A CGI process serves
 * one request, so a plain blocking connection is the right tool here.
 *
 * Every statement is parameterised.  The database decides what staff may
 * do (sql/migrations/0007_backoffice.sql): a refusal comes back as
 * SQLSTATE CH4nn, 4nn the HTTP status, with the message for people in
 * MESSAGE, the stable code in DETAIL and the form field in COLUMN
 * (decoded by lib/ch_refusal.c, as the module does), and is shown as it
 * is; any other error is logged and shown as a 500 or 503.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_refusal.h"


/* an error the server raised for the statement (not a lost connection) */

static int
admin_db_server_error(PGresult *res)
{
    const char  *state;

    if (res == NULL || PQresultStatus(res) != PGRES_FATAL_ERROR) {
        return 0;
    }

    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    return state != NULL && strncmp(state, "08", 2) != 0;
}


PGconn *
admin_db_connect(admin_request_t *req)
{
    PGconn  *conn;

    /*
     * conninfo expands in place of "dbname"; the time zone is Beijing's
     * whatever the server's, since every time shown is the hall's time
     */
    static const char  *keys[] = {
        "dbname", "options", "fallback_application_name", NULL
    };
    static const char  *values[] = {
        NULL, "-c TimeZone=Asia/Shanghai -c DateStyle=ISO",
        "certhall-admin", NULL
    };

    if (req->db) {
        return req->db;
    }

    values[0] = req->config.db;

    conn = PQconnectdbParams(keys, values, 1);

    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
        /* to fcgiwrap's stderr, which lands in nginx's error log */
        fprintf(stderr, "certhall-admin: database: %s",
                conn ? PQerrorMessage(conn) : "out of memory\n");
        PQfinish(conn);
        return NULL;
    }

    req->db = conn;

    return conn;
}


/* the database is not there: 503 */
static void
admin_db_unavailable(admin_error_t *err)
{
    err->status = 503;
    snprintf(err->message, sizeof(err->message),
             "数据库暂时不可用，请稍后再试。");
}


/*
 * err from a statement's failure res (which it clears): the database's own
 * refusal (CH4nn) as it is, or 503/500
 */
static void
admin_db_error(admin_request_t *req, PGresult *res, admin_error_t *err)
{
    ch_refusal_t  ref;

    /* the database's refusal (lib/ch_refusal.h), shown as it is */

    if (ch_refusal_from_result(&ref, res) == 0) {
        err->status = ref.status;
        snprintf(err->message, sizeof(err->message), "%s", ref.message);
        snprintf(err->code, sizeof(err->code), "%s", ref.code);
        snprintf(err->field, sizeof(err->field), "%s",
                 ref.field ? ref.field : "");

        PQclear(res);
        return;
    }

    fprintf(stderr, "certhall-admin: database: %s: %s", req->path,
            res ? PQresultErrorMessage(res) : PQerrorMessage(req->db));

    if (PQstatus(req->db) != CONNECTION_OK) {
        err->status = 503;

        /*
         * The connection broke under the statement.  Its own error from
         * the server (a SQLSTATE, not libpq's lost link) means it was
         * rolled back.  Without one it may have committed before the
         * connection went: a form posted again could do it twice, so the
         * page says to look first rather than "try again".  A page that
         * only reads changed nothing either way.
         */

        if (!admin_db_server_error(res)
            && req->method != NULL && strcmp(req->method, "GET") != 0
            && strcmp(req->method, "HEAD") != 0)
        {
            snprintf(err->code, sizeof(err->code), "database_interrupted");
            snprintf(err->message, sizeof(err->message),
                     "与数据库的连接中断，无法确认操作是否已完成，"
                     "请刷新页面查看后再决定是否重做。");

        } else {
            snprintf(err->message, sizeof(err->message),
                     "数据库暂时不可用，请稍后再试。");
        }

    } else {
        err->status = 500;
        snprintf(err->message, sizeof(err->message),
                 "系统错误，请稍后再试或联系系统管理员。");
    }

    PQclear(res);
}


/*
 * Runs sql with params.  Returns the result when the statement succeeded,
 * or NULL with err filled: the database's own refusal (CH4nn), or 503/500.
 */
PGresult *
admin_db_call(admin_request_t *req, const char *sql, int nparams,
    const char *const *params, admin_error_t *err)
{
    PGresult       *res;
    ExecStatusType  rc;

    memset(err, 0, sizeof(*err));

    if (admin_db_connect(req) == NULL) {
        admin_db_unavailable(err);
        return NULL;
    }

    res = PQexecParams(req->db, sql, nparams, NULL, params, NULL, NULL, 0);
    rc = PQresultStatus(res);

    if (rc == PGRES_TUPLES_OK || rc == PGRES_COMMAND_OK) {
        return res;
    }

    admin_db_error(req, res, err);

    return NULL;
}


/*
 * Runs the statements in one round trip: libpq's pipeline mode, all sent,
 * then one Sync.  They run in order, in one (implicit) transaction; the
 * first that fails aborts the rest.  Returns 0 with every stmts[i].res,
 * or -1 with *failed the index of the statement that failed (n when none
 * did: the connection went), err as admin_db_call() would have filled it
 * for that statement, and the results of the statements before it kept
 * (the rest NULL), as if they had been run one by one.
 *
 * The connection stays blocking: pipeline mode can then deadlock only if
 * the statements outgrow the socket's buffers before any result is read,
 * and a page's few statements are a few kilobytes.
 */
int
admin_db_batch(admin_request_t *req, admin_db_stmt_t *stmts, size_t n,
    size_t *failed, admin_error_t *err)
{
    size_t          i, done;
    PGresult       *res, *error;
    ExecStatusType  rc;

    memset(err, 0, sizeof(*err));
    *failed = n;

    for (i = 0; i < n; i++) {
        stmts[i].res = NULL;
    }

    if (admin_db_connect(req) == NULL) {
        admin_db_unavailable(err);
        return -1;
    }

    if (PQenterPipelineMode(req->db) != 1) {
        admin_db_error(req, NULL, err);
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (PQsendQueryParams(req->db, stmts[i].sql, stmts[i].nparams, NULL,
                              stmts[i].params, NULL, NULL, 0)
            != 1)
        {
            break;
        }
    }

    if (i < n || PQpipelineSync(req->db) != 1) {
        admin_db_error(req, NULL, err);
        PQexitPipelineMode(req->db);
        return -1;
    }

    /*
     * each statement's results, each time followed by NULL; then the
     * Sync's; a broken connection ends it early
     */

    error = NULL;
    done = 0;

    for ( ;; ) {
        res = PQgetResult(req->db);

        if (res == NULL) {
            if (PQstatus(req->db) != CONNECTION_OK || done == n) {
                break;
            }

            done++;
            continue;
        }

        rc = PQresultStatus(res);

        if (rc == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            break;
        }

        if (done < n && stmts[done].res == NULL
            && (rc == PGRES_TUPLES_OK || rc == PGRES_COMMAND_OK))
        {
            stmts[done].res = res;

        } else if (rc == PGRES_FATAL_ERROR && error == NULL) {
            error = res;
            *failed = done;

        } else {
            PQclear(res);   /* PGRES_PIPELINE_ABORTED: after the failure */
        }
    }

    PQexitPipelineMode(req->db);

    for (i = 0; i < n && stmts[i].res; i++) {
        /* every statement answered */
    }

    if (error == NULL && i == n && PQstatus(req->db) == CONNECTION_OK) {
        return 0;
    }

    for (i = *failed; i < n; i++) {
        PQclear(stmts[i].res);
        stmts[i].res = NULL;
    }

    admin_db_error(req, error, err);

    return -1;
}


/*
 * Results are read by column name, never by position: a statement's
 * columns can be reordered or added to without moving what each page
 * reads.  A name the result does not have is a mistake in this program;
 * it is logged (to fcgiwrap's stderr, nginx's error log) and reads as
 * empty, so the page still answers.
 */

/* the column's number, for a loop over many rows; -1 (logged) if absent */
int
db_column(PGresult *res, const char *column)
{
    int  c = PQfnumber(res, column);

    if (c < 0) {
        fprintf(stderr, "certhall-admin: database: no column \"%s\" in the "
                "result\n", column);
    }

    return c;
}


/* the value as libpq gives it: "" for SQL NULL (and for an absent column) */
const char *
db_value(PGresult *res, int row, const char *column)
{
    int  c = db_column(res, column);

    return c < 0 ? "" : PQgetvalue(res, row, c);
}


/* the value, or NULL for SQL NULL (and for an absent column) */
const char *
db_nullable(PGresult *res, int row, const char *column)
{
    int  c = db_column(res, column);

    if (c < 0 || PQgetisnull(res, row, c)) {
        return NULL;
    }

    return PQgetvalue(res, row, c);
}


/* the reason phrase of the statuses the back office answers with */
const char *
admin_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default:  return status < 500 ? "Bad Request" : "Internal Server Error";
    }
}


/* the error as a page, with a way back to where it came from */
void
admin_error_page(admin_request_t *req, const admin_error_t *err,
    const char *back)
{
    if (admin_session_settle(req) != 0) {
        return;
    }

    /*
     * a full storage passes once someone makes room: not within seconds
     * (the module's uploads say the same); a database away is a matter of
     * seconds, as the module's 503s say
     */
    html_headers(err->status, admin_reason(err->status),
                 err->status == 507 ? "Retry-After: 60\r\n"
                 : err->status == 503 ? "Retry-After: 5\r\n" : NULL);
    html_page_begin(req, "操作未完成");
    html_raw("<p class=\"error\" id=\"error\"");

    if (err->code[0]) {
        html_raw(" data-code=\"");
        html_attr(err->code);
        html_raw("\"");
    }

    html_raw(">");
    html_txt(err->message);
    html_raw("</p>\n");

    if (back) {
        html_raw("<p><a href=\"");
        html_attr(back);
        html_raw("\">返回</a></p>\n");
    }

    html_page_end();
}
