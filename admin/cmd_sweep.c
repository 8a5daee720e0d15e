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
    const char  *name;              /* the command, the job */
    const char  *what;              /* for an error: "deleting ..." */
    const char  *query;             /* $1: the batch; returns "n" */
} sweep_t;


static const sweep_t  sweeps[] = {
    { "sweep-sessions", "deleting sessions",
      "SELECT admin.sweep_sessions(now(), $1::integer) AS n" },
    { "sweep-sms-codes", "deleting SMS codes",
      "SELECT admin.sweep_sms_codes(now(), $1::integer) AS n" },
    { "sweep-rate-limits", "deleting rate limit rows",
      "SELECT admin.sweep_rate_limits(now(), $1::integer) AS n" },
};

/* the sweep this process runs: admin_job_run_pt carries no data of its own */
static const sweep_t  *sweep_current;


static void
sweep_usage(void)
{
    fprintf(stderr, "usage: certhall-admin sweep-sessions|sweep-sms-codes|"
            "sweep-rate-limits [-c FILE]\n"
            "  -c FILE  the configuration (default: $CERTHALL_ADMIN_CONF)\n");
}


static int
sweep_run(PGconn *db, const admin_config_t *conf, int once,
    admin_job_result_t *r)
{
    long          n;
    PGresult     *res;
    const char   *values[1];

    (void) conf;
    (void) once;

    values[0] = SWEEP_BATCH;

    do {
        res = PQexecParams(db, sweep_current->query, 1, NULL, values, NULL,
                           NULL, 0);

        if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
            admin_job_db_error(r, db, sweep_current->what);
            PQclear(res);
            return -1;
        }

        n = strtol(db_value(res, 0, "n"), NULL, 10);
        PQclear(res);

        r->done += (unsigned long) (n > 0 ? n : 0);

    } while (n > 0);

    return 0;
}


/* argv[0] names the sweep (main.c lists each under its name) */
int
cmd_sweep(int argc, char **argv)
{
    size_t  i;

    for (i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++) {
        if (strcmp(argv[0], sweeps[i].name) == 0) {
            sweep_current = &sweeps[i];
            return admin_job_main(sweeps[i].name, sweep_run, sweep_usage,
                                  argc, argv);
        }
    }

    fprintf(stderr, "%s: not a sweep\n", argv[0]);

    return ADMIN_JOB_EXIT_ERROR;
}
