/*
 * bench/pipeline.sh's second half: what libpq's pipeline mode would give
 * the module with its failure semantics kept, each request's statement
 * followed by its own Sync (PQpipelineSync), so that each is a transaction
 * of its own and an error stays in its request.  pgbench 15 cannot say
 * that (its \endpipeline is one Sync for the whole pipeline: one
 * transaction for every statement in it).
 *
 *   pipeline-sync CONNINFO CONNECTIONS DEPTH SECONDS SQL
 *
 * CONNECTIONS connections, each in pipeline mode with DEPTH statements in
 * flight (DEPTH 1: one at a time, as the module runs them today), for
 * SECONDS; prints the statements answered per second.  Not a test.
 */

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>


typedef struct {
    PGconn  *pg;
    int      inflight;
} conn_t;


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void
die(PGconn *pg, const char *what)
{
    fprintf(stderr, "pipeline-sync: %s: %s", what,
            pg ? PQerrorMessage(pg) : "out of memory\n");
    exit(1);
}


static void
send_one(conn_t *c)
{
    if (!PQsendQueryPrepared(c->pg, "s", 0, NULL, NULL, NULL, 0)
        || !PQpipelineSync(c->pg))
    {
        die(c->pg, "send");
    }

    c->inflight++;
}


int
main(int argc, char **argv)
{
    int             i, n, depth, stop_sending;
    long            answered;
    double          seconds, start, end;
    conn_t         *conns;
    PGresult       *res;
    struct pollfd  *fds;

    if (argc != 6) {
        fprintf(stderr, "usage: pipeline-sync CONNINFO CONNECTIONS DEPTH "
                "SECONDS SQL\n");
        return 2;
    }

    n = atoi(argv[2]);
    depth = atoi(argv[3]);
    seconds = atof(argv[4]);

    conns = calloc(n, sizeof(conn_t));
    fds = calloc(n, sizeof(struct pollfd));
    if (conns == NULL || fds == NULL) {
        die(NULL, "calloc");
    }

    for (i = 0; i < n; i++) {
        conns[i].pg = PQconnectdb(argv[1]);
        if (PQstatus(conns[i].pg) != CONNECTION_OK) {
            die(conns[i].pg, "connect");
        }

        res = PQprepare(conns[i].pg, "s", argv[5], 0, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            die(conns[i].pg, "prepare");
        }
        PQclear(res);

        if (PQsetnonblocking(conns[i].pg, 1) != 0
            || !PQenterPipelineMode(conns[i].pg))
        {
            die(conns[i].pg, "pipeline mode");
        }
    }

    answered = 0;
    stop_sending = 0;
    start = now();
    end = start + seconds;

    for (i = 0; i < n; i++) {
        while (conns[i].inflight < depth) {
            send_one(&conns[i]);
        }
    }

    for ( ;; ) {
        int  busy = 0;

        for (i = 0; i < n; i++) {
            fds[i].fd = PQsocket(conns[i].pg);
            fds[i].events = POLLIN | (PQflush(conns[i].pg) == 1 ? POLLOUT : 0);
            busy += conns[i].inflight;
        }

        if (busy == 0) {
            break;
        }

        if (poll(fds, n, 1000) < 0) {
            die(NULL, "poll");
        }

        if (!stop_sending && now() >= end) {
            stop_sending = 1;
        }

        for (i = 0; i < n; i++) {
            conn_t  *c = &conns[i];

            if (!(fds[i].revents & (POLLIN | POLLERR | POLLHUP))) {
                continue;
            }

            if (!PQconsumeInput(c->pg)) {
                die(c->pg, "receive");
            }

            while (c->inflight > 0 && !PQisBusy(c->pg)) {
                res = PQgetResult(c->pg);

                if (res == NULL) {
                    /* the end of one statement's results */
                    continue;
                }

                switch (PQresultStatus(res)) {

                case PGRES_PIPELINE_SYNC:
                    c->inflight--;
                    if (!stop_sending) {
                        answered++;
                        send_one(c);
                    }
                    break;

                case PGRES_TUPLES_OK:
                case PGRES_COMMAND_OK:
                    break;

                default:
                    fprintf(stderr, "pipeline-sync: %s",
                            PQresultErrorMessage(res));
                    exit(1);
                }

                PQclear(res);
            }
        }
    }

    /* the statements answered in the time given (the tail is not counted) */
    printf("%.0f\n", answered / seconds);

    for (i = 0; i < n; i++) {
        PQfinish(conns[i].pg);
    }

    return 0;
}
