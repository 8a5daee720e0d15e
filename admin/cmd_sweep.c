/*
 * certhall-admin sweep-sessions | sweep-sms-codes | sweep-rate-limits
 *     [-c FILE]
 *
 * Deletes what is over and no longer kept (sql/functions/75_jobs.sql says
 * what each keeps): ended and expired sessions, expired SMS codes, rate
 * limit rows that count for nothing any more.  Each call of the SQL
 * function deletes one batch in its own transaction; the command calls it
 * until it deletes nothing.  "N done" is the number of rows deleted.  Run
 * from a timer or cron; on several machines at once the batches skip each
 * other's rows, and a second run deletes nothing more.
 *
 * Exit status: 0 swept, 2 configuration or database error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "job.h"


/* rows of each table per transaction */
#define SWEEP_BATCH  "1000"


typedef struct {
    const char  *name;
    const char  *what;              /* for an error: "deleting ..." */
    const char  *query;             /* $1: the batch; returns "n" */
} sweep_t;


static const sweep_t  sweep_sessions = {
    "sweep-sessions", "deleting sessions",
    "SELECT admin.sweep_sessions(now(), $1::integer) AS n"
};

static const sweep_t  sweep_sms_codes = {
    "sweep-sms-codes", "deleting SMS codes",
    "SELECT admin.sweep_sms_codes(now(), $1::integer) AS n"
};

static const sweep_t  sweep_rate_limits = {
    "sweep-rate-limits", "deleting rate limit rows",
    "SELECT admin.sweep_rate_limits(now(), $1::integer) AS n"
};


static void
sweep_usage(void)
{
    fprintf(stderr, "usage: certhall-admin sweep-sessions|sweep-sms-codes|"
            "sweep-rate-limits [-c FILE]\n"
            "  -c FILE  the configuration (default: $CERTHALL_ADMIN_CONF)\n");
}


static int
sweep_run(PGconn *db, const sweep_t *sweep, admin_job_result_t *r)
{
    long          n;
    PGresult     *res;
    const char   *values[1];

    values[0] = SWEEP_BATCH;

    do {
        res = PQexecParams(db, sweep->query, 1, NULL, values, NULL, NULL, 0);

        if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
            admin_job_db_error(r, db, sweep->what);
            PQclear(res);
            return -1;
        }

        n = strtol(db_value(res, 0, "n"), NULL, 10);
        PQclear(res);

        r->done += (unsigned long) (n > 0 ? n : 0);

    } while (n > 0);

    return 0;
}


static int
sweep_sessions_run(PGconn *db, const admin_config_t *conf, int once,
    admin_job_result_t *r)
{
    (void) conf;
    (void) once;

    return sweep_run(db, &sweep_sessions, r);
}


static int
sweep_sms_codes_run(PGconn *db, const admin_config_t *conf, int once,
    admin_job_result_t *r)
{
    (void) conf;
    (void) once;

    return sweep_run(db, &sweep_sms_codes, r);
}


static int
sweep_rate_limits_run(PGconn *db, const admin_config_t *conf, int once,
    admin_job_result_t *r)
{
    (void) conf;
    (void) once;

    return sweep_run(db, &sweep_rate_limits, r);
}


int
cmd_sweep_sessions(int argc, char **argv)
{
    return admin_job_main(sweep_sessions.name, sweep_sessions_run,
                          sweep_usage, argc, argv);
}


int
cmd_sweep_sms_codes(int argc, char **argv)
{
    return admin_job_main(sweep_sms_codes.name, sweep_sms_codes_run,
                          sweep_usage, argc, argv);
}


int
cmd_sweep_rate_limits(int argc, char **argv)
{
    return admin_job_main(sweep_rate_limits.name, sweep_rate_limits_run,
                          sweep_usage, argc, argv);
}
