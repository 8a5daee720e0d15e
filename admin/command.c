/*
 * What the commands share: their options [-c FILE] [--once], the
 * configuration they read, and their database connection (the scheduled
 * jobs through admin_job_main, job.c).  Every message begins with the
 * command's name, as cron mails it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"


/*
 * Reads the options and the configuration (-c FILE, else
 * $CERTHALL_ADMIN_CONF, named in *path) into conf.  Returns 0 to go on, 1 when the usage
 * was asked for (and printed), -1 when the command cannot run (the message
 * printed; conf needs no freeing then).
 */
int
admin_command_begin(const char *name, int argc, char **argv,
    void (*usage)(void), int *once, admin_config_t *conf, const char **file)
{
    int          i;
    char         err[512];
    const char  *path;

    path = getenv("CERTHALL_ADMIN_CONF");
    *file = NULL;
    *once = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "%s: -c needs a FILE\n", name);
                usage();
                return -1;
            }

            path = argv[++i];

        } else if (strcmp(argv[i], "--once") == 0) {
            *once = 1;

        } else if (strcmp(argv[i], "-h") == 0
                   || strcmp(argv[i], "--help") == 0)
        {
            usage();
            return 1;

        } else {
            fprintf(stderr, "%s: unexpected argument \"%s\"\n", name,
                    argv[i]);
            usage();
            return -1;
        }
    }

    if (path == NULL || path[0] == '\0') {
        fprintf(stderr, "%s: configuration: no file: give -c FILE "
                "or set CERTHALL_ADMIN_CONF\n", name);
        return -1;
    }

    if (admin_config_load(conf, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: configuration: %s\n", name, err);
        return -1;
    }

    *file = path;

    return 0;
}


PGconn *
admin_command_db(const char *name, const char *conninfo)
{
    char     app[64];
    PGconn  *conn;

    /*
     * conninfo expands in place of "dbname": its own connect_timeout
     * overrides the default before it; the application name shows who
     * holds the connection in pg_stat_activity
     */
    static const char  *keys[] = {
        "connect_timeout", "dbname", "fallback_application_name", NULL
    };
    const char         *values[] = { "10", conninfo, app, NULL };

    snprintf(app, sizeof(app), "certhall-admin %s", name);

    conn = PQconnectdbParams(keys, values, 1);

    if (conn == NULL) {
        fprintf(stderr, "%s: database: out of memory\n", name);
        return NULL;
    }

    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "%s: database: %s", name, PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }

    return conn;
}
