/*
 * certhall-admin alipay-sync [-c FILE] [--once]
 *
 * What Alipay's notifications may not have told: for each open attempt
 * older than 5 minutes, expired, or of an order that can no longer be paid
 * (admin.alipay_attempts_claim), it asks alipay.trade.query and
 *
 *   TRADE_SUCCESS, TRADE_FINISHED  applies the payment exactly as a
 *                      notification would (admin.alipay_payment_apply: the
 *                      order moves once, or the payment is one to refund)
 *   WAIT_BUYER_PAY     waits (asks again later), unless the attempt is to
 *                      be closed (admin.alipay_attempt_closable: expired,
 *                      or its order no longer payable): alipay.trade.close
 *   TRADE_CLOSED       closed
 *   ACQ.TRADE_NOT_EXIST   the buyer never opened the page: as WAIT_BUYER_PAY
 *                      (and a close answered ACQ.TRADE_NOT_EXIST is closed)
 *
 * then sends the refunds finance asked for (admin.alipay_refunds_claim):
 * alipay.trade.refund with the refund's out_request_no, which is the same
 * on every retry, so that Alipay moves the money once whatever happens to
 * an answer; admin.alipay_refund_result records what came back.
 *
 * Nothing of an answer counts before its sign verified (alipay.c).  A call
 * without such an answer (no connection, HTTP error, bad sign, Alipay busy)
 * is a failure the database retries on its own schedule; the attempt or
 * refund stays as it was.  Several runs may go at once (cron on several
 * machines): the claims take rows FOR UPDATE SKIP LOCKED under a lease, so
 * no attempt is asked about, and no refund sent, by two runs.
 *
 * A call without any answer (the gateway refused the connection, or did
 * not answer within alipay_timeout) ends the run: what it claimed and did
 * not ask yet is handed back untouched (admin.alipay_attempt_release,
 * admin.alipay_refund_release), due for the next run, so that a gateway
 * that is down costs a run one timeout, not one per call.
 *
 * Prints "alipay-sync: N done, M failed": done, an attempt or refund whose
 * verified answer was recorded; failed, one without (each said on stderr).
 * Each run is recorded in job_runs (admin_job_main, job.c).
 * Exit status: 0 none failed, 1 some failed, 2 configuration or database
 * error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "ch_alipay.h"
#include "job.h"


#define SYNC_BATCH           10
#define SYNC_OLDER_THAN      "5 minutes"

/*
 * A claimed attempt is this run's for the lease: a query and a close at
 * the worst case, for each of a batch.  A refund is one call.
 */
#define SYNC_ATTEMPT_TIME(conf)   (2 * (conf)->alipay_timeout + 2)
#define SYNC_ATTEMPT_LEASE(conf)  (SYNC_BATCH * SYNC_ATTEMPT_TIME(conf))
#define SYNC_REFUND_TIME(conf)    ((conf)->alipay_timeout + 2)
#define SYNC_REFUND_LEASE(conf)   (SYNC_BATCH * SYNC_REFUND_TIME(conf))

#define SYNC_ERROR_SIZE      512



typedef struct {
    alipay_client_t       *alipay;
    const admin_config_t  *conf;
    PGconn                *db;
    admin_job_result_t    *res;     /* the counts, the run's message */
} sync_run_t;


static void
sync_usage(void)
{
    fprintf(stderr,
            "usage: certhall-admin alipay-sync [-c FILE] [--once]\n"
            "  -c FILE  the configuration (default: $CERTHALL_ADMIN_CONF)\n"
            "  --once   one batch of at most %d attempts and %d refunds\n",
            SYNC_BATCH, SYNC_BATCH);
}


static double
sync_clock(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


/* a database call of this command; NULL on an error (in s->res) */
static PGresult *
sync_db(sync_run_t *s, const char *what, const char *sql, int n,
    const char *const *values)
{
    PGresult  *res;

    res = PQexecParams(s->db, sql, n, NULL, values, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        admin_job_db_error(s->res, s->db, what);
        PQclear(res);
        return NULL;
    }

    return res;
}


/* one call with biz_content {"out_trade_no": ...}: as alipay_call() */
static int
sync_call(sync_run_t *s, const char *method, const char *out_trade_no,
    alipay_answer_t *a, char *err, size_t err_size)
{
    int          rc;
    char        *biz;
    const char  *pairs[] = { "out_trade_no", out_trade_no, NULL };

    biz = alipay_biz_content(pairs);
    if (biz == NULL) {
        memset(a, 0, sizeof(*a));
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    rc = alipay_call(s->alipay, method, biz, a, err, err_size);
    free(biz);

    return rc;
}


/*
 * A paid trade, as the query answered it: applied as a notification would
 * be.  Returns 1 recorded, 0 refused (err says why), -1 database error.
 */
static int
sync_apply(sync_run_t *s, const char *out_trade_no, const char *status,
    const alipay_answer_t *a, char *err, size_t err_size)
{
    int          rc;
    char        *trade_no, *amount, *buyer_id, *logon, *paid_at, fen[24];
    PGresult    *res;
    const char  *values[8], *outcome;
    long long    amount_fen;

    trade_no = alipay_answer_string(a, "trade_no");
    amount = alipay_answer_string(a, "total_amount");
    buyer_id = alipay_answer_string(a, "buyer_user_id");
    logon = alipay_answer_string(a, "buyer_logon_id");
    paid_at = alipay_answer_string(a, "send_pay_date");
    rc = 0;

    if (trade_no == NULL || amount == NULL) {
        snprintf(err, err_size, "%s, but without trade_no or total_amount",
                 status);
        goto done;
    }

    if (ch_alipay_amount_parse(amount, strlen(amount), &amount_fen) != 0) {
        snprintf(err, err_size, "%s, but total_amount is not an amount",
                 status);
        goto done;
    }

    snprintf(fen, sizeof(fen), "%lld", amount_fen);

    values[0] = out_trade_no;
    values[1] = trade_no;
    values[2] = status;
    values[3] = fen;
    values[4] = buyer_id;
    values[5] = logon;
    values[6] = paid_at;
    values[7] = a->raw;

    res = sync_db(s, "applying a paid trade",
                  "SELECT outcome FROM admin.alipay_payment_apply($1, $2, "
                  "$3, $4::bigint, $5, $6, $7, $8::json)", 8, values);
    if (res == NULL) {
        rc = -1;
        goto done;
    }

    outcome = PQntuples(res) == 1 ? db_value(res, 0, "outcome") : "";

    if (strcmp(outcome, "paid") == 0 || strcmp(outcome, "already") == 0) {
        rc = 1;

    } else if (strcmp(outcome, "to_refund") == 0) {
        /* finance finds it in 支付宝退款; cron's mail says it too */
        fprintf(stderr, "alipay-sync: attempt %s: paid (trade %s), but its "
                "order can no longer be paid: recorded as a payment to "
                "refund\n", out_trade_no, trade_no);
        rc = 1;

    } else {
        snprintf(err, err_size, "%s (trade %s), refused: %s", status,
                 trade_no, outcome);
    }

    PQclear(res);

done:

    free(trade_no);
    free(amount);
    free(buyer_id);
    free(logon);
    free(paid_at);

    return rc;
}


/*
 * Hands back a claimed attempt or refund this run will not ask about (sql:
 * one of the two fixed statements below, the id its one parameter): 0, or
 * -1 on a database error.
 */
#define SYNC_ATTEMPT_RELEASE  "SELECT admin.alipay_attempt_release($1)"
#define SYNC_REFUND_RELEASE   "SELECT admin.alipay_refund_release($1)"

static int
sync_release(sync_run_t *s, const char *sql, const char *id)
{
    PGresult  *res;

    res = sync_db(s, "handing back what was not sent", sql, 1, &id);
    if (res == NULL) {
        return -1;
    }

    PQclear(res);

    return 0;
}


/* 1 to close (expired, order no longer payable), 0 not, -1 database error */
static int
sync_closable(sync_run_t *s, const char *out_trade_no)
{
    int          closable;
    PGresult    *res;
    const char  *v;

    res = sync_db(s, "asking whether an attempt is to be closed",
                  "SELECT admin.alipay_attempt_closable($1) AS closable",
                  1, &out_trade_no);
    if (res == NULL) {
        return -1;
    }

    v = PQntuples(res) == 1 ? db_nullable(res, 0, "closable") : NULL;
    closable = v && strcmp(v, "t") == 0;
    PQclear(res);

    return closable;
}


/* alipay.trade.close: "closed", or "error" (err says why) */
static const char *
sync_close(sync_run_t *s, const char *out_trade_no, char *err,
    size_t err_size)
{
    const char       *result;
    alipay_answer_t   a;

    result = "error";

    if (sync_call(s, "alipay.trade.close", out_trade_no, &a, err, err_size)
        == 0)
    {
        if (alipay_answer_is(&a, "10000", NULL)
            || alipay_answer_is(&a, "40004", "ACQ.TRADE_NOT_EXIST"))
        {
            result = "closed";

        } else {
            /* e.g. ACQ.TRADE_STATUS_ERROR: paid meanwhile; the next
             * query says so */
            alipay_answer_error(&a, err, err_size);
        }
    }

    alipay_answer_free(&a);

    return result;
}


/*
 * What alipay.trade.query says of one attempt, recorded.  Returns 0, or -1
 * on a database error.
 */
static int
sync_attempt(sync_run_t *s, const char *out_trade_no)
{
    int               rc, closable;
    char              err[SYNC_ERROR_SIZE], *status, *about;
    PGresult         *res;
    const char       *result, *values[3];
    alipay_answer_t   a;

    result = "error";
    err[0] = '\0';
    status = NULL;

    if (sync_call(s, "alipay.trade.query", out_trade_no, &a, err,
                  sizeof(err)) != 0)
    {
        goto record;
    }

    if (alipay_answer_is(&a, "10000", NULL)) {
        about = alipay_answer_string(&a, "out_trade_no");

        if (about == NULL || strcmp(about, out_trade_no) != 0) {
            free(about);
            snprintf(err, sizeof(err), "the answer is about another trade");
            goto record;
        }

        free(about);
        status = alipay_answer_string(&a, "trade_status");

        if (status == NULL) {
            snprintf(err, sizeof(err), "the answer has no trade_status");
            goto record;
        }

        if (strcmp(status, "TRADE_SUCCESS") == 0
            || strcmp(status, "TRADE_FINISHED") == 0)
        {
            rc = sync_apply(s, out_trade_no, status, &a, err, sizeof(err));

            if (rc < 0) {
                goto failed;
            }

            if (rc == 1) {
                /* the attempt is paid: nothing more to check */
                s->res->done++;
                alipay_answer_free(&a);
                free(status);
                return 0;
            }

            goto record;
        }

        if (strcmp(status, "TRADE_CLOSED") == 0) {
            result = "closed";
            goto record;
        }

        if (strcmp(status, "WAIT_BUYER_PAY") != 0) {
            snprintf(err, sizeof(err), "unknown trade_status");
            goto record;
        }

    } else if (!alipay_answer_is(&a, "40004", "ACQ.TRADE_NOT_EXIST")) {
        alipay_answer_error(&a, err, sizeof(err));
        goto record;
    }

    /* not paid (yet), or never opened */
    closable = sync_closable(s, out_trade_no);

    if (closable < 0) {
        goto failed;
    }

    result = closable ? sync_close(s, out_trade_no, err, sizeof(err))
                      : "wait";

record:

    if (strcmp(result, "error") == 0) {
        s->res->failed++;
        fprintf(stderr, "alipay-sync: attempt %s: %s\n", out_trade_no, err);
        snprintf(s->res->message, sizeof(s->res->message),
                 "attempt %.40s: %.180s", out_trade_no, err);

    } else {
        s->res->done++;
    }

    values[0] = out_trade_no;
    values[1] = result;
    values[2] = strcmp(result, "error") == 0 ? err : NULL;

    res = sync_db(s, "recording a check",
                  "SELECT admin.alipay_attempt_checked($1, $2, $3)",
                  3, values);
    if (res == NULL) {
        goto failed;
    }

    PQclear(res);
    alipay_answer_free(&a);
    free(status);

    return 0;

failed:

    alipay_answer_free(&a);
    free(status);

    return -1;
}


/* claims one batch of attempts and checks them: how many, or -1 */
static int
sync_attempts(sync_run_t *s)
{
    int          i, n;
    char         limit[16], lease[32];
    double       start;
    PGresult    *res;
    const char  *values[3], *id;

    snprintf(limit, sizeof(limit), "%d", SYNC_BATCH);
    snprintf(lease, sizeof(lease), "%ld seconds",
             SYNC_ATTEMPT_LEASE(s->conf));
    values[0] = limit;
    values[1] = lease;
    values[2] = SYNC_OLDER_THAN;

    start = sync_clock();

    res = sync_db(s, "claiming attempts",
                  "SELECT out_trade_no FROM admin.alipay_attempts_claim("
                  "$1::integer, $2::interval, $3::interval)", 3, values);
    if (res == NULL) {
        return -1;
    }

    n = PQntuples(res);

    for (i = 0; i < n; i++) {
        id = db_value(res, i, "out_trade_no");

        if (alipay_client_unreachable(s->alipay)) {
            /* Alipay did not answer the last call: the next run */
            if (sync_release(s, SYNC_ATTEMPT_RELEASE, id) != 0) {
                PQclear(res);
                return -1;
            }

            continue;
        }

        if (sync_clock() - start
            > SYNC_ATTEMPT_LEASE(s->conf) - SYNC_ATTEMPT_TIME(s->conf))
        {
            /* past the lease another run may have it: leave it to that */
            fprintf(stderr, "alipay-sync: attempt %s: not queried: the "
                    "batch's claim ran out of time\n", id);
            s->res->failed++;
            continue;
        }

        if (sync_attempt(s, id) != 0) {
            PQclear(res);
            return -1;
        }
    }

    PQclear(res);

    return n;
}


/*
 * Sends one refund and records the answer.  Returns 0, or -1 on a
 * database error.
 */
static int
sync_refund(sync_run_t *s, PGresult *claim, int row)
{
    int               ok, retryable;
    char              err[SYNC_ERROR_SIZE], amount[32], *biz, *fund;
    PGresult         *res;
    const char       *values[6], *id, *out_trade_no, *fund_change, *state;
    long long         fen;
    alipay_answer_t   a;

    id = db_value(claim, row, "out_request_no");
    out_trade_no = db_value(claim, row, "out_trade_no");
    fen = strtoll(db_value(claim, row, "amount_fen"), NULL, 10);

    ok = 0;
    retryable = 1;
    fund_change = NULL;
    fund = NULL;
    err[0] = '\0';
    memset(&a, 0, sizeof(a));

    if (ch_alipay_amount(fen, amount, sizeof(amount)) < 0) {
        snprintf(err, sizeof(err), "the amount %lld cannot be sent", fen);
        retryable = 0;
        goto record;
    }

    {
        const char  *pairs[] = {
            "out_trade_no", out_trade_no,
            "refund_amount", amount,
            "out_request_no", id,
            "refund_reason", db_value(claim, row, "reason"),
            NULL
        };

        biz = alipay_biz_content(pairs);
    }

    if (biz == NULL) {
        snprintf(err, sizeof(err), "out of memory");
        goto record;
    }

    if (alipay_call(s->alipay, "alipay.trade.refund", biz, &a, err,
                    sizeof(err)) == 0)
    {
        if (alipay_answer_is(&a, "10000", NULL)) {
            ok = 1;
            fund = alipay_answer_string(&a, "fund_change");
            fund_change = fund == NULL ? NULL
                          : strcmp(fund, "Y") == 0 ? "true"
                          : strcmp(fund, "N") == 0 ? "false" : NULL;

        } else {
            /* a refusal stays one (not enough balance, trade closed...):
             * finance reads it and may ask again */
            alipay_answer_error(&a, err, sizeof(err));
            retryable = alipay_answer_retryable(&a);
        }
    }

    free(biz);

record:

    if (ok) {
        s->res->done++;

    } else {
        s->res->failed++;
        fprintf(stderr, "alipay-sync: refund %s (%s): %s\n", id,
                out_trade_no, err);
        snprintf(s->res->message, sizeof(s->res->message),
                 "refund %.40s (%.40s): %.160s", id, out_trade_no, err);
    }

    values[0] = id;
    values[1] = ok ? "true" : "false";
    values[2] = fund_change;
    values[3] = a.raw;
    values[4] = ok ? NULL : err;
    values[5] = retryable ? "true" : "false";

    res = sync_db(s, "recording a refund",
                  "SELECT admin.alipay_refund_result($1, $2::boolean, "
                  "$3::boolean, $4::json, $5, $6::boolean) AS state",
                  6, values);

    alipay_answer_free(&a);
    free(fund);

    if (res == NULL) {
        return -1;
    }

    state = PQntuples(res) == 1 ? db_nullable(res, 0, "state") : NULL;

    if (!ok && state && strcmp(state, "failed") == 0) {
        fprintf(stderr, "alipay-sync: refund %s (%s): failed, finance may "
                "ask again\n", id, out_trade_no);
    }

    PQclear(res);

    return 0;
}


/* claims one batch of refunds and sends them: how many, or -1 */
static int
sync_refunds(sync_run_t *s)
{
    int          i, n;
    char         limit[16], lease[32];
    double       start;
    PGresult    *res;
    const char  *values[2];

    snprintf(limit, sizeof(limit), "%d", SYNC_BATCH);
    snprintf(lease, sizeof(lease), "%ld seconds",
             SYNC_REFUND_LEASE(s->conf));
    values[0] = limit;
    values[1] = lease;

    start = sync_clock();

    res = sync_db(s, "claiming refunds",
                  "SELECT out_request_no, out_trade_no, amount_fen, reason "
                  "FROM admin.alipay_refunds_claim($1::integer, "
                  "$2::interval)", 2, values);
    if (res == NULL) {
        return -1;
    }

    n = PQntuples(res);

    for (i = 0; i < n; i++) {
        if (alipay_client_unreachable(s->alipay)) {
            if (sync_release(s, SYNC_REFUND_RELEASE,
                             db_value(res, i, "out_request_no")) != 0)
            {
                PQclear(res);
                return -1;
            }

            continue;
        }

        if (sync_clock() - start
            > SYNC_REFUND_LEASE(s->conf) - SYNC_REFUND_TIME(s->conf))
        {
            /* the lease runs out: the next run sends it, same request no */
            fprintf(stderr, "alipay-sync: refund %s: not sent: the batch's "
                    "claim ran out of time\n",
                    db_value(res, i, "out_request_no"));
            s->res->failed++;
            continue;
        }

        if (sync_refund(s, res, i) != 0) {
            PQclear(res);
            return -1;
        }
    }

    PQclear(res);

    return n;
}


static int
sync_run(PGconn *db, const admin_config_t *conf, int once,
    admin_job_result_t *r)
{
    int          n;
    char         err[512];
    sync_run_t   s;

    if (http_client_global_init(err, sizeof(err)) != 0) {
        snprintf(r->message, sizeof(r->message), "%.200s", err);
        return -1;
    }

    memset(&s, 0, sizeof(s));
    s.db = db;
    s.conf = conf;
    s.res = r;
    n = -1;

    s.alipay = alipay_client_create(conf, err, sizeof(err));

    if (s.alipay == NULL) {
        snprintf(r->message, sizeof(r->message), "configuration: %.200s",
                 err);

    } else {
        do {
            n = sync_attempts(&s);
        } while (n > 0 && !once && !alipay_client_unreachable(s.alipay));

        if (n >= 0 && !alipay_client_unreachable(s.alipay)) {
            do {
                n = sync_refunds(&s);
            } while (n > 0 && !once && !alipay_client_unreachable(s.alipay));
        }
    }

    alipay_client_destroy(s.alipay);
    http_client_global_cleanup();

    return n < 0 ? -1 : 0;
}


int
cmd_alipay_sync(int argc, char **argv)
{
    return admin_job_main("alipay-sync", sync_run, sync_usage, argc, argv);
}
