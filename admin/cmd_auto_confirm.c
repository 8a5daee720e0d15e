/*
 * certhall-admin auto-confirm [-c FILE] [--once]
 *
 * The 30-day rule of seed 000 (未点击【确认收货】将会在 30 天后自动确认收货):
 * moves every order shipped order_policy.auto_confirm_days Beijing
 * calendar days ago or more to 待开票, as actor system, with its own event
 * reason and message (admin.auto_confirm, sql/functions/38_receipt.sql).
 *
 * Each call of admin.auto_confirm is one batch in one transaction: it
 * claims due orders FOR UPDATE SKIP LOCKED, so runs on several machines at
 * once take disjoint orders, and a run that dies midway rolls back its
 * open batch whole (every order of it still shipped, for the next run).
 * The command calls it until a batch comes back short; an order that
 * fails is said on stderr, counted once, and not claimed again in this
 * run (p_skip), so that it never holds back the orders behind it.
 *
 * Prints "auto-confirm: N done, M failed"; each run is recorded in
 * job_runs (admin_job_main, job.c).
 * Exit status: 0 every due order moved (or none was due), 1 some order
 * failed, 2 configuration or database error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "job.h"


/* orders per transaction */
#define AUTO_CONFIRM_BATCH  100


typedef struct {
    char    *data;                  /* a text[] literal: {id,id,...} */
    size_t   len;
    size_t   size;
} auto_confirm_skip_t;


static void
auto_confirm_usage(void)
{
    fprintf(stderr,
            "usage: certhall-admin auto-confirm [-c FILE] [--once]\n"
            "  -c FILE  the configuration (default: $CERTHALL_ADMIN_CONF)\n"
            "  --once   one batch of at most %d orders, not until none is "
            "due\n", AUTO_CONFIRM_BATCH);
}


/* order ids are UO and 18 digits (orders.id's CHECK): no quoting needed */
static int
auto_confirm_skip_add(auto_confirm_skip_t *skip, const char *id)
{
    char    *p;
    size_t   need;

    need = skip->len + strlen(id) + 3;

    if (need > skip->size) {
        p = realloc(skip->data, need * 2);

        if (p == NULL) {
            return -1;
        }

        skip->data = p;
        skip->size = need * 2;
    }

    skip->len += (size_t) snprintf(skip->data + skip->len,
                                   skip->size - skip->len, "%s%s",
                                   skip->len > 1 ? "," : "", id);
    return 0;
}


static int
auto_confirm_run(PGconn *db, const admin_config_t *conf, int once,
    admin_job_result_t *r)
{
    int                   i, n, rc;
    char                  batch[16];
    PGresult             *res;
    const char           *values[2], *id, *detail;
    auto_confirm_skip_t   skip;

    (void) conf;

    skip.size = 64;
    skip.data = malloc(skip.size);

    if (skip.data == NULL) {
        snprintf(r->message, sizeof(r->message), "out of memory");
        return -1;
    }

    /* "{" now, "}" added before each call */
    skip.len = (size_t) snprintf(skip.data, skip.size, "{");

    snprintf(batch, sizeof(batch), "%d", AUTO_CONFIRM_BATCH);
    rc = 0;

    for ( ;; ) {
        skip.data[skip.len] = '}';
        skip.data[skip.len + 1] = '\0';

        values[0] = batch;
        values[1] = skip.data;

        res = PQexecParams(db, "SELECT order_id, outcome, detail "
                           "FROM admin.auto_confirm($1::integer, now(), "
                           "$2::text[])", 2, NULL, values, NULL, NULL, 0);

        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            admin_job_db_error(r, db, "confirming receipts");
            PQclear(res);
            rc = -1;
            break;
        }

        n = PQntuples(res);

        for (i = 0; i < n; i++) {
            id = db_value(res, i, "order_id");

            if (strcmp(db_value(res, i, "outcome"), "done") == 0) {
                r->done++;
                continue;
            }

            detail = db_value(res, i, "detail");
            r->failed++;
            fprintf(stderr, "auto-confirm: %s: %s\n", id, detail);

            /* the jobs table shows the first failure */
            if (r->message[0] == '\0') {
                snprintf(r->message, sizeof(r->message), "%s: %s", id,
                         detail);
            }

            if (auto_confirm_skip_add(&skip, id) != 0) {
                snprintf(r->message, sizeof(r->message), "out of memory");
                rc = -1;
                break;
            }
        }

        PQclear(res);

        if (rc != 0 || once || n < AUTO_CONFIRM_BATCH) {
            break;
        }
    }

    free(skip.data);

    return rc;
}


int
cmd_auto_confirm(int argc, char **argv)
{
    return admin_job_main("auto-confirm", auto_confirm_run,
                          auto_confirm_usage, argc, argv);
}
