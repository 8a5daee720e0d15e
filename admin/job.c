/*
 * admin_job_main(): what every scheduled command does around its own work.
 *
 * A run is recorded in job_runs from the moment it has a database
 * (admin.job_start) to its end (admin.job_finish, with its counts and
 * status): ok, failed (some items failed), error (the job could not run).
 * A run that could not reach the database records nothing: there is
 * nowhere to; its exit status (2) and its stderr, mailed by cron or kept
 * by the journal, say it.  A run killed midway stays "running".
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "job.h"


/*
 * the job_runs row of this run, or -1 when it cannot be recorded; host is
 * admin.conf's host_name, or NULL for the machine's hostname
 */
static long long
job_start(const char *name, PGconn *db, const char *host_name)
{
    char         host[256], pid[24];
    long long    run;
    PGresult    *res;
    const char  *values[3];

    if (host_name != NULL) {
        snprintf(host, sizeof(host), "%s", host_name);

    } else if (gethostname(host, sizeof(host)) != 0) {
        snprintf(host, sizeof(host), "unknown");
    }

    host[sizeof(host) - 1] = '\0';
    snprintf(pid, sizeof(pid), "%ld", (long) getpid());

    values[0] = name;
    values[1] = host;
    values[2] = pid;

    res = PQexecParams(db, "SELECT admin.job_start($1, $2, $3::integer) "
                       "AS run", 3, NULL, values, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fprintf(stderr, "%s: database: recording the run: %s", name,
                PQerrorMessage(db));
        PQclear(res);
        return -1;
    }

    run = strtoll(db_value(res, 0, "run"), NULL, 10);
    PQclear(res);

    return run;
}


/*
 * Records the end of the run.  The job may have lost its connection or
 * left a transaction aborted: the record is what "certhall-admin jobs"
 * shows, so it is worth a new connection.
 */
static int
job_finish(const char *name, PGconn *db, long long run, const char *status,
    const admin_job_result_t *r)
{
    int          attempt;
    char         id[24], done[24], failed[24];
    PGresult    *res;
    const char  *values[5];

    snprintf(id, sizeof(id), "%lld", run);
    snprintf(done, sizeof(done), "%lu", r->done);
    snprintf(failed, sizeof(failed), "%lu", r->failed);

    values[0] = id;
    values[1] = status;
    values[2] = done;
    values[3] = failed;
    values[4] = r->message[0] ? r->message : NULL;

    for (attempt = 0; attempt < 2; attempt++) {
        if (PQstatus(db) != CONNECTION_OK) {
            PQreset(db);

        } else if (PQtransactionStatus(db) != PQTRANS_IDLE) {
            PQclear(PQexec(db, "ROLLBACK"));
        }

        res = PQexecParams(db, "SELECT admin.job_finish($1::bigint, $2, "
                           "$3::integer, $4::integer, $5)",
                           5, NULL, values, NULL, NULL, 0);

        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            PQclear(res);
            return 0;
        }

        PQclear(res);
    }

    fprintf(stderr, "%s: database: recording the end of run %lld: %s",
            name, run, PQerrorMessage(db));

    return -1;
}


void
admin_job_db_error(admin_job_result_t *res, PGconn *db, const char *what)
{
    snprintf(res->message, sizeof(res->message), "database: %s: %s", what,
             PQerrorMessage(db));

    res->message[strcspn(res->message, "\n")] = '\0';
}


int
admin_job_main(const char *name, admin_job_run_pt run,
    void (*usage)(void), int argc, char **argv)
{
    int                  rc, once;
    PGconn              *db;
    long long            id;
    const char          *path, *status;
    admin_config_t       conf;
    admin_job_result_t   res;

    rc = admin_command_begin(name, argc, argv, usage, &once, &conf, &path);

    if (rc != 0) {
        return rc > 0 ? ADMIN_JOB_EXIT_OK : ADMIN_JOB_EXIT_ERROR;
    }

    db = admin_command_db(name, conf.db);
    if (db == NULL) {
        admin_config_free(&conf);
        return ADMIN_JOB_EXIT_ERROR;
    }

    id = job_start(name, db, conf.host_name);
    if (id < 0) {
        PQfinish(db);
        admin_config_free(&conf);
        return ADMIN_JOB_EXIT_ERROR;
    }

    memset(&res, 0, sizeof(res));

    if (run(db, &conf, once, &res) != 0) {
        status = "error";
        rc = ADMIN_JOB_EXIT_ERROR;

        if (res.message[0] == '\0') {
            snprintf(res.message, sizeof(res.message), "could not run");
        }

        fprintf(stderr, "%s: %s\n", name, res.message);

    } else if (res.failed) {
        status = "failed";
        rc = ADMIN_JOB_EXIT_FAILED;

    } else {
        status = "ok";
        rc = ADMIN_JOB_EXIT_OK;
    }

    /*
     * what was done is said even when the job stopped midway; a job that
     * could not start (its configuration) did nothing to say
     */
    if (rc != ADMIN_JOB_EXIT_ERROR || res.done || res.failed) {
        printf("%s: %lu done, %lu failed\n", name, res.done, res.failed);
        fflush(stdout);
    }

    if (job_finish(name, db, id, status, &res) != 0) {
        rc = ADMIN_JOB_EXIT_ERROR;
    }

    PQfinish(db);
    admin_config_free(&conf);

    return rc;
}
