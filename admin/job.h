/*
 * The scheduled jobs (README.md, "Scheduled jobs"): each is a command run
 * by a systemd timer or cron, and each run is a row of job_runs, written
 * by admin_job_main() around the job's own work, so that
 * "certhall-admin jobs" tells when each last ran and how it went.
 */

#ifndef CERTHALL_ADMIN_JOB_H
#define CERTHALL_ADMIN_JOB_H

#include <libpq-fe.h>

#include "admin.h"

typedef struct {
    unsigned long  done;
    unsigned long  failed;
    char           message[256];   /* one line for the jobs table, "" none */
} admin_job_result_t;

/*
 * 0: ran (res counted), -1: could not run (res->message says why).
 * db is in autocommit and must be left so (no open transaction).
 */
typedef int (*admin_job_run_pt)(PGconn *db, const admin_config_t *conf,
    int once, admin_job_result_t *res);

#define ADMIN_JOB_EXIT_OK      0
#define ADMIN_JOB_EXIT_FAILED  1
#define ADMIN_JOB_EXIT_ERROR   2

/*
 * the whole life of a scheduled command: options [-c FILE] [--once],
 * configuration, database, job_start, run, job_finish, the line
 * "<name>: N done, M failed" on stdout; exit 0 all done, 1 some failed,
 * 2 could not run
 */
int admin_job_main(const char *name, admin_job_run_pt run,
    void (*usage)(void), int argc, char **argv);

/*
 * res->message = "database: <what>: <libpq's first line>", for a run that
 * stops on a database error (admin_job_main says it on stderr and records
 * it)
 */
void admin_job_db_error(admin_job_result_t *res, PGconn *db,
    const char *what);

/* main.c: a command's entry point by its name, NULL if there is none */
typedef int (*admin_command_pt)(int argc, char **argv);

admin_command_pt admin_command(const char *name);

/* page_jobs.c: GET /admin/jobs */
void page_jobs(admin_request_t *req);

/* the commands of the jobs themselves */
int cmd_jobs(int argc, char **argv);
/* sweep-sessions, sweep-sms-codes, sweep-rate-limits: argv[0] says which */
int cmd_sweep(int argc, char **argv);
/* sweep-storage: the stored files no row names (cmd_sweep_storage.c) */
int cmd_sweep_storage(int argc, char **argv);

#endif /* CERTHALL_ADMIN_JOB_H */
