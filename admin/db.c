/*
 * The back office's database connection.  A CGI process serves one request,
 * so a plain blocking connection is the right tool here.
 */

#include <stdio.h>

#include "admin.h"


PGconn *
admin_db_connect(admin_request_t *req)
{
    PGconn  *conn;

    conn = PQconnectdb(req->config.db);

    if (PQstatus(conn) != CONNECTION_OK) {
        /* to fcgiwrap's stderr, which lands in nginx's error log */
        fprintf(stderr, "certhall-admin: database: %s",
                PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }

    return conn;
}
