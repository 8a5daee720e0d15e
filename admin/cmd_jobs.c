/*
 * certhall-admin jobs [-c FILE]
 * certhall-admin jobs run [-c FILE] [NAME...]
 *
 * "jobs" lists the scheduled jobs (the jobs table) with their last run:
 * when it began (Beijing time), how long it took, its status (ok, failed:
 * some items failed, error: could not run, running: not finished, or
 * died), how many items were done and failed, the host, and its message.
 *
 * "jobs run" runs the named jobs (every job when none is named) one after
 * the other in this process, each exactly as its own command would run
 * (so each is a run of its own in job_runs), and exits with the worst of
 * their statuses.  A name that is not a job is refused before any runs.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "job.h"


#define JOBS_NAMES_MAX  32


static void
jobs_usage(void)
{
    fprintf(stderr,
            "usage: certhall-admin jobs [-c FILE]\n"
            "       certhall-admin jobs run [-c FILE] [NAME...]\n"
            "  -c FILE  the configuration (default: $CERTHALL_ADMIN_CONF)\n"
            "  run      runs the named jobs (all when none), one after the "
            "other\n");
}


static PGresult *
jobs_query(PGconn *db)
{
    PGresult  *res;

    res = PQexec(db,
        "SELECT name, schedule, "
        "coalesce(to_char(last_started_at AT TIME ZONE 'Asia/Shanghai', "
        "'YYYY-MM-DD HH24:MI:SS'), 'never') AS started, "
        "coalesce(round(extract(epoch FROM last_finished_at "
        "- last_started_at), 1)::text || 's', '-') AS took, "
        "coalesce(last_status, '-') AS status, "
        "CASE WHEN last_done IS NULL THEN '-' "
        "ELSE last_done || '/' || last_failed END AS counts, "
        "coalesce(last_host, '-') AS host, "
        "coalesce(replace(last_message, E'\\n', ' '), '') AS message, "
        "running "
        "FROM admin.jobs()");

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "jobs: database: listing the jobs: %s",
                PQerrorMessage(db));
        PQclear(res);
        return NULL;
    }

    return res;
}


/* one line of the table, without the trailing blanks of empty columns */
static void
jobs_line(const char *name, const char *schedule, const char *started,
    const char *took, const char *status, const char *counts,
    const char *host, const char *message)
{
    char    line[1024];
    size_t  n;

    snprintf(line, sizeof(line), "%-18s %-12s %-19s %7s %-8s %-11s %-16s %s",
             name, schedule, started, took, status, counts, host, message);

    for (n = strlen(line); n > 0 && line[n - 1] == ' '; n--) {
        /* void */
    }

    printf("%.*s\n", (int) n, line);
}


static int
jobs_list(PGconn *db)
{
    int          i;
    char         message[512];
    PGresult    *res;
    const char  *running;

    res = jobs_query(db);
    if (res == NULL) {
        return ADMIN_JOB_EXIT_ERROR;
    }

    jobs_line("JOB", "SCHEDULE", "LAST START (UTC+8)", "TOOK", "STATUS",
              "DONE/FAILED", "HOST", "MESSAGE");

    for (i = 0; i < PQntuples(res); i++) {
        running = db_value(res, i, "running");

        /* a run under way is not the last one finished: say both */
        snprintf(message, sizeof(message), "%s%s%s%s",
                 db_value(res, i, "message"),
                 strcmp(running, "0") == 0 ? "" : " (running now: ",
                 strcmp(running, "0") == 0 ? "" : running,
                 strcmp(running, "0") == 0 ? "" : ")");

        jobs_line(db_value(res, i, "name"), db_value(res, i, "schedule"),
                  db_value(res, i, "started"), db_value(res, i, "took"),
                  db_value(res, i, "status"), db_value(res, i, "counts"),
                  db_value(res, i, "host"), message);
    }

    PQclear(res);

    return ADMIN_JOB_EXIT_OK;
}


/*
 * Runs each job as "certhall-admin NAME [-c FILE]" would: the worst exit
 * status.  names: the jobs to run, checked against the jobs table first.
 */
static int
jobs_run(PGconn *db, const char *path, char **names, int nnames)
{
    int                i, j, n, rc, worst;
    char              *argv[4];
    PGresult          *res;
    const char        *name, *all[JOBS_NAMES_MAX];
    admin_command_pt   run;

    res = jobs_query(db);
    if (res == NULL) {
        return ADMIN_JOB_EXIT_ERROR;
    }

    n = PQntuples(res) < JOBS_NAMES_MAX ? PQntuples(res) : JOBS_NAMES_MAX;

    for (i = 0; i < n; i++) {
        all[i] = db_value(res, i, "name");
    }

    for (i = 0; i < nnames; i++) {
        for (j = 0; j < n && strcmp(names[i], all[j]) != 0; j++) {
            /* void */
        }

        if (j == n) {
            fprintf(stderr, "jobs: \"%s\" is not a job (certhall-admin jobs "
                    "lists them)\n", names[i]);
            PQclear(res);
            return ADMIN_JOB_EXIT_ERROR;
        }
    }

    worst = ADMIN_JOB_EXIT_OK;

    for (i = 0; i < (nnames ? nnames : n); i++) {
        name = nnames ? names[i] : all[i];
        run = admin_command(name);

        if (run == NULL) {
            fprintf(stderr, "jobs: %s: this certhall-admin has no such "
                    "command\n", name);
            worst = ADMIN_JOB_EXIT_ERROR;
            continue;
        }

        argv[0] = (char *) name;
        argv[1] = path ? "-c" : NULL;
        argv[2] = (char *) path;
        argv[3] = NULL;

        rc = run(path ? 3 : 1, argv);
        fflush(stdout);

        if (rc > worst) {
            worst = rc;
        }
    }

    PQclear(res);

    return worst;
}


int
cmd_jobs(int argc, char **argv)
{
    int              i, rc, do_run, nnames;
    char            *names[JOBS_NAMES_MAX], err[512];
    PGconn          *db;
    const char      *path;
    admin_config_t   conf;

    path = NULL;
    do_run = 0;
    nnames = 0;
    i = 1;

    if (argc > 1 && strcmp(argv[1], "run") == 0) {
        do_run = 1;
        i = 2;
    }

    for ( /* void */ ; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            path = argv[++i];

        } else if (strcmp(argv[i], "-h") == 0
                   || strcmp(argv[i], "--help") == 0)
        {
            jobs_usage();
            return ADMIN_JOB_EXIT_OK;

        } else if (do_run && argv[i][0] != '-' && nnames < JOBS_NAMES_MAX) {
            names[nnames++] = argv[i];

        } else {
            fprintf(stderr, "jobs: unexpected argument \"%s\"\n", argv[i]);
            jobs_usage();
            return ADMIN_JOB_EXIT_ERROR;
        }
    }

    if (path == NULL) {
        path = getenv("CERTHALL_ADMIN_CONF");
    }

    if (path == NULL || path[0] == '\0') {
        fprintf(stderr, "jobs: configuration: no file: give -c FILE "
                "or set CERTHALL_ADMIN_CONF\n");
        return ADMIN_JOB_EXIT_ERROR;
    }

    if (admin_config_load(&conf, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "jobs: configuration: %s\n", err);
        return ADMIN_JOB_EXIT_ERROR;
    }

    db = admin_command_db("jobs", conf.db);

    if (db == NULL) {
        rc = ADMIN_JOB_EXIT_ERROR;

    } else {
        rc = do_run ? jobs_run(db, path, names, nnames) : jobs_list(db);
        PQfinish(db);
    }

    admin_config_free(&conf);

    return rc;
}
