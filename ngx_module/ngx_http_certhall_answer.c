/*
 * Answers decided by the database.  The SQL functions that must write
 * down a refusal (a wrong code counts a try, a wrong password a failure)
 * cannot raise, since that would undo the count; they return the whole
 * answer instead, as columns read here by name:
 *
 *   status       the HTTP status (0 from a "begin" step: go on)
 *   body         the JSON body, sent as is
 *   session      absent or NULL: no cookie; "": end the session's
 *                cookies; else the new session token
 *   csrf         the CSRF token of a new session
 *   retry_after  seconds, for Retry-After (429, 423)
 *
 * And the module's other ways of reading a statement's result, always by
 * column name: a statement's columns are its contract with the code that
 * reads it, and a name says which value is which where a position would
 * not (a reordered or added column reads wrong, silently).
 */

#include "ngx_http_certhall.h"


static void ngx_http_certhall_db_clear_result(void *data);


/* the value of column name in the one row, or NULL if it is NULL or absent */

const char *
ngx_http_certhall_answer_value(PGresult *res, const char *name)
{
    int  col;

    if (PQntuples(res) != 1) {
        return NULL;
    }

    col = PQfnumber(res, name);

    if (col < 0 || PQgetisnull(res, 0, col)) {
        return NULL;
    }

    return PQgetvalue(res, 0, col);
}


/* the status column: an HTTP status, 0 to go on, or -1 if there is none */

ngx_int_t
ngx_http_certhall_answer_status(ngx_http_request_t *r, PGresult *res)
{
    ngx_int_t    status;
    const char  *value;

    value = ngx_http_certhall_answer_value(res, "status");

    status = value ? ngx_atoi((u_char *) value, ngx_strlen(value))
                   : NGX_ERROR;

    if (status != 0 && (status < 200 || status > 599)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: database: no answer status in %d rows",
                      PQntuples(res));
        return -1;
    }

    return status;
}


/* the done handler of statements that return an api.answer */

ngx_int_t
ngx_http_certhall_db_send_answer(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    return ngx_http_certhall_send_answer(r, res);
}


/*
 * The end of a "begin" step: NGX_DECLINED when its status is 0 (go on;
 * res then lives as long as r, so its values may be kept), else what
 * sending its answer gave.
 */

ngx_int_t
ngx_http_certhall_answer_go_on(ngx_http_request_t *r, PGresult *res)
{
    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    if (ngx_http_certhall_answer_status(r, res) == 0) {
        return NGX_DECLINED;
    }

    return ngx_http_certhall_send_answer(r, res);
}


/* sends the answer in res, which lives as long as r (db_keep) */

ngx_int_t
ngx_http_certhall_send_answer(ngx_http_request_t *r, PGresult *res)
{
    u_char           *p;
    size_t            len;
    ngx_int_t         status, retry_after;
    const char       *body, *session, *value;
    ngx_table_elt_t  *h;

    status = ngx_http_certhall_answer_status(r, res);
    body = ngx_http_certhall_answer_value(res, "body");

    if (status <= 0 || body == NULL) {
        if (status >= 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "certhall: database: an answer without a body");
        }

        return ngx_http_certhall_internal_error(r);
    }

    session = ngx_http_certhall_answer_value(res, "session");

    if (session) {
        value = ngx_http_certhall_answer_value(res, "csrf");

        if (session[0] && value == NULL) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "certhall: database: a session without a CSRF "
                          "token");
            return ngx_http_certhall_internal_error(r);
        }

        if (ngx_http_certhall_session_cookies(r, session, value) != NGX_OK) {
            return ngx_http_certhall_internal_error(r);
        }
    }

    value = ngx_http_certhall_answer_value(res, "retry_after");

    if (value) {
        len = ngx_strlen(value);
        retry_after = ngx_atoi((u_char *) value, len);

        if (retry_after > 0) {
            h = ngx_list_push(&r->headers_out.headers);
            if (h == NULL) {
                return ngx_http_certhall_internal_error(r);
            }

            p = ngx_pnalloc(r->pool, len);
            if (p == NULL) {
                return ngx_http_certhall_internal_error(r);
            }

            h->hash = 1;
            ngx_str_set(&h->key, "Retry-After");
            h->value.data = p;
            h->value.len = ngx_cpymem(p, value, len) - p;
        }
    }

    return ngx_http_certhall_send_json(r, status, (u_char *) body,
                                       ngx_strlen(body));
}


/*
 * The done handler of statements whose one value is the JSON answer, in
 * their column "body": the bytes go out as they came, from the PGresult
 * itself, which is freed with the request.  data, if set, points to the
 * HTTP status (default 200).
 */

ngx_int_t
ngx_http_certhall_db_send_value(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    int         col;
    ngx_uint_t  status;

    col = ngx_http_certhall_db_body(r, res);

    if (col < 0) {
        return ngx_http_certhall_internal_error(r);
    }

    status = data ? *(ngx_uint_t *) data : NGX_HTTP_OK;

    return ngx_http_certhall_send_json(r, status,
                                       (u_char *) PQgetvalue(res, 0, col),
                                       PQgetlength(res, 0, col));
}


/*
 * The column of the one JSON value a statement answers ("body", in its one
 * row), res kept with the request (ngx_http_certhall_db_keep()); -1,
 * logged, when there is not exactly one such value.
 */

int
ngx_http_certhall_db_body(ngx_http_request_t *r, PGresult *res)
{
    int  col;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return -1;
    }

    col = ngx_http_certhall_db_column(r, res, "body");

    if (col < 0) {
        return -1;
    }

    if (PQntuples(res) != 1 || PQgetisnull(res, 0, col)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: database: expected one body, got %d rows",
                      PQntuples(res));
        return -1;
    }

    return col;
}


/*
 * The number of column name in res, to read each row of a result by name
 * (PQgetvalue(res, row, col)); -1, logged, when the statement has no such
 * column: the statement and the code reading it disagree, which is a bug
 * the request is answered 500 for.
 */

int
ngx_http_certhall_db_column(ngx_http_request_t *r, PGresult *res,
    const char *name)
{
    int  col;

    col = PQfnumber(res, name);

    if (col < 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: database: the result has no column \"%s\"",
                      name);
    }

    return col;
}


/*
 * Makes res live as long as the request, so that its values can be sent
 * without a copy; res is cleared here if that fails.
 */

ngx_int_t
ngx_http_certhall_db_keep(ngx_http_request_t *r, PGresult *res)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        PQclear(res);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_certhall_db_clear_result;
    cln->data = res;

    return NGX_OK;
}


static void
ngx_http_certhall_db_clear_result(void *data)
{
    PQclear(data);
}
