/*
 * certhall-admin sms-send [-c FILE] [--once]
 *
 * Posts the texts queued in sms_outbox (verification codes) to the SMS
 * gateway, and reports each one's fate back to the database, which retries
 * failures on its own schedule and gives up after 5 attempts.  Run it every
 * minute from cron or a systemd timer; several may run at once, the claim
 * (FOR UPDATE SKIP LOCKED plus a lease) keeps them from sending a text
 * twice.
 *
 * The gateway's protocol:
 *
 *   POST <sms_gateway_url>
 *   Authorization: Bearer <token>
 *   Content-Type: application/json; charset=utf-8
 *
 *   {"phone":"13800000001","content":"..."}
 *
 * answered by HTTP 200 and a JSON object whose "code" is the number 0 when
 * the gateway took the text, with its message id in "id"; any other
 * status, code or body is a failure, described by "message" (or "msg")
 * when the gateway gives one.
 *
 * Every post also carries "Idempotency-Key: certhall-sms-<outbox id>", the
 * same on every retry of that text.  A failure without an answer (a
 * timeout, a connection closed) may come after the gateway took the text:
 * the retry is safe, sent once, only with a gateway that answers a key it
 * has seen with its first answer instead of sending again.  A gateway that
 * ignores the header sends such a text twice (the same code, twice).
 *
 * A text holds a verification code: it is never printed, and what the
 * gateway says about it is printed (and stored) with every run of 4 or
 * more digits masked, so that a gateway echoing the text back cannot put
 * the code into a log.  Phones are printed masked (138****0001).
 *
 * A post without an answer (the gateway refused the connection, or did not
 * answer within sms_gateway_timeout) ends the run: the rest of the batch
 * is handed back unposted (sms_outbox_release: due at once, the attempt
 * not counted) and no more is claimed, so that a gateway that is down
 * costs a run one timeout, not one per text; the next run tries again.
 *
 * Prints "sms-send: N done, M failed": done, a text the gateway took;
 * failed, one it did not (each said on stderr).  Each run is recorded in
 * job_runs (admin_job_main, job.c).
 * Exit status: 0 all sent (or nothing to send), 1 some text failed,
 * 2 configuration or database error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "ch_json.h"
#include "ch_json_read.h"
#include "job.h"


#define SMS_BATCH            10
#define SMS_CONNECT_TIMEOUT  5         /* seconds */

/*
 * A claimed text is this sender's for the lease; another sender may take it
 * afterwards.  The lease covers a whole batch posted at the worst case (the
 * whole request: sms_gateway_timeout, 10 s by default), and the batch is
 * small so that a sender that dies holds its texts for two minutes only:
 * the codes in them live five.
 */
#define SMS_TEXT_TIME(s)     ((s)->timeout + 2)
#define SMS_LEASE(s)         (SMS_BATCH * SMS_TEXT_TIME(s))

#define SMS_ERROR_SIZE       256
#define SMS_GATEWAY_ID_MAX   128



typedef struct {
    const char          *url;
    const char          *token;
    long                 timeout;   /* seconds, one post */
    http_client_t       *http;
    PGconn              *db;
    admin_job_result_t  *res;       /* the counts, the run's message */
    int                  unreachable;   /* a post got no answer: the run
                                           posts no more */
} sms_sender_t;


static void
sms_usage(void)
{
    fprintf(stderr,
            "usage: certhall-admin sms-send [-c FILE] [--once]\n"
            "  -c FILE  the configuration (default: $CERTHALL_ADMIN_CONF)\n"
            "  --once   one batch of at most %d texts, not until none is due\n",
            SMS_BATCH);
}


static double
sms_clock(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


/* 13800000001 -> 138****0001; the database holds 11-digit phones only */
static void
sms_phone_mask(const char *phone, char *buf, size_t size)
{
    if (strlen(phone) != 11) {
        snprintf(buf, size, "***");
        return;
    }

    snprintf(buf, size, "%.3s****%.4s", phone, phone + 7);
}


/* {"phone":"...","content":"..."}, malloc'ed */
static char *
sms_body(const char *phone, const char *content, size_t *len)
{
    size_t          phone_len, content_len, n;
    unsigned char  *body, *p;

    static const char  pre[] = "{\"phone\":\"";
    static const char  mid[] = "\",\"content\":\"";
    static const char  post[] = "\"}";

    phone_len = strlen(phone);
    content_len = strlen(content);

    n = sizeof(pre) - 1
        + ch_json_escape(NULL, (const unsigned char *) phone, phone_len)
        + sizeof(mid) - 1
        + ch_json_escape(NULL, (const unsigned char *) content, content_len)
        + sizeof(post) - 1;

    body = malloc(n + 1);
    if (body == NULL) {
        return NULL;
    }

    p = body;
    memcpy(p, pre, sizeof(pre) - 1);
    p += sizeof(pre) - 1;
    p += ch_json_escape(p, (const unsigned char *) phone, phone_len);
    memcpy(p, mid, sizeof(mid) - 1);
    p += sizeof(mid) - 1;
    p += ch_json_escape(p, (const unsigned char *) content, content_len);
    memcpy(p, post, sizeof(post) - 1);
    p += sizeof(post) - 1;
    *p = '\0';

    *len = (size_t) (p - body);

    return (char *) body;
}


/*
 * Reads the gateway's answer: 1 when it took the text (*gateway_id set to
 * its message id, or NULL when it gave none that can be stored), 0 when
 * not (err says why).
 */
static int
sms_answer(const http_response_t *res, char **gateway_id, char *err,
    size_t err_size)
{
    int                valid;
    char              *text, message[160], code[24];
    size_t             i;
    ch_json_member_t   m[4];

    enum { M_CODE, M_ID, M_MESSAGE, M_MSG };

    *gateway_id = NULL;

    m[M_CODE].name = "code";
    m[M_ID].name = "id";
    m[M_MESSAGE].name = "message";
    m[M_MSG].name = "msg";

    valid = res->body != NULL
            && ch_json_object_members((const unsigned char *) res->body,
                                      res->body_len, m, 4) == 0;

    message[0] = '\0';

    if (valid) {
        text = ch_json_string_value(&m[M_MESSAGE]);

        if (text == NULL) {
            text = ch_json_string_value(&m[M_MSG]);
        }

        if (text) {
            ch_mask_digits(message, sizeof(message), text);
            free(text);
        }
    }

    if (res->status != 200) {
        snprintf(err, err_size, "HTTP %ld%s%s", res->status,
                 message[0] ? ": " : "", message);
        return 0;
    }

    if (!valid) {
        snprintf(err, err_size, "HTTP 200, but the answer is not "
                 "a JSON object");
        return 0;
    }

    if (m[M_CODE].type != CH_JSON_NUMBER) {
        snprintf(err, err_size, "HTTP 200, but the answer has no numeric "
                 "\"code\"%s%s", message[0] ? ": " : "", message);
        return 0;
    }

    if (!ch_json_number_is_zero(&m[M_CODE])) {
        snprintf(code, sizeof(code), "%.*s",
                 (int) (m[M_CODE].len < sizeof(code) - 1
                        ? m[M_CODE].len : sizeof(code) - 1),
                 m[M_CODE].value);
        snprintf(err, err_size, "gateway code %s%s%s", code,
                 message[0] ? ": " : "", message);
        return 0;
    }

    /*
     * The text is sent whatever the id looks like: to fail it now would
     * send it twice.  An id is stored only when it is a short line of
     * visible ASCII, as message ids are.
     */
    text = ch_json_string_value(&m[M_ID]);

    if (text && strlen(text) <= SMS_GATEWAY_ID_MAX) {
        for (i = 0; text[i]; i++) {
            if ((unsigned char) text[i] <= ' '
                || (unsigned char) text[i] > '~')
            {
                break;
            }
        }

        if (i > 0 && text[i] == '\0') {
            *gateway_id = text;
            return 1;
        }
    }

    free(text);

    return 1;
}


/* Posts one text: 1 sent, 0 failed (err says why) */
static int
sms_post(sms_sender_t *s, const char *id, const char *phone,
    const char *content, char **gateway_id, char *err, size_t err_size)
{
    int               sent;
    char             *body, key[64];
    const char       *headers[2];
    http_options_t    opt;
    http_request_t    req;
    http_response_t   res;

    snprintf(key, sizeof(key), "Idempotency-Key: certhall-sms-%s", id);
    headers[0] = key;
    headers[1] = NULL;
    memset(&opt, 0, sizeof(opt));
    opt.headers = headers;

    *gateway_id = NULL;

    body = sms_body(phone, content, &req.body_len);
    if (body == NULL) {
        snprintf(err, err_size, "out of memory");
        return 0;
    }

    req.url = s->url;
    req.content_type = "application/json; charset=utf-8";
    req.bearer = s->token;
    req.body = body;
    req.connect_timeout = SMS_CONNECT_TIMEOUT;
    req.timeout = s->timeout;

    if (http_send(s->http, &req, &opt, &res) != 0) {
        snprintf(err, err_size, "%s", res.error);
        s->unreachable = 1;
        sent = 0;

    } else {
        sent = sms_answer(&res, gateway_id, err, err_size);
        http_response_free(&res);
    }

    /* the body holds the code: no copy of it stays in memory */
    explicit_bzero(body, req.body_len);
    free(body);

    return sent;
}


/* Writes a text's fate to the outbox: 0, or -1 on a database error */
static int
sms_report(sms_sender_t *s, const char *id, const char *masked, int sent,
    const char *gateway_id, const char *err)
{
    PGresult    *res;
    const char  *values[4];

    values[0] = id;
    values[1] = sent ? "true" : "false";
    values[2] = sent ? gateway_id : NULL;
    values[3] = sent ? NULL : err;

    res = PQexecParams(s->db,
                       "SELECT sms_outbox_result($1::bigint, $2::boolean, "
                       "$3::text, $4::text) AS status",
                       4, NULL, values, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fprintf(stderr, "sms-send: outbox %s (%s): %s, but that could not "
                "be recorded\n", id, masked, sent ? "sent" : "failed");
        admin_job_db_error(s->res, s->db, "recording a text's result");
        PQclear(res);
        return -1;
    }

    if (db_nullable(res, 0, "status") == NULL) {
        /* our lease ran out and another sender dealt with it */
        fprintf(stderr, "sms-send: outbox %s (%s): no longer pending when "
                "its result came\n", id, masked);
    }

    PQclear(res);

    return 0;
}


/* Hands back a claimed text not posted: 0, or -1 on a database error */
static int
sms_release(sms_sender_t *s, const char *id)
{
    PGresult    *res;
    const char  *values[1];

    values[0] = id;

    res = PQexecParams(s->db, "SELECT sms_outbox_release($1::bigint)",
                       1, NULL, values, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        admin_job_db_error(s->res, s->db, "handing back a text");
        PQclear(res);
        return -1;
    }

    PQclear(res);

    return 0;
}


/*
 * Claims one batch and posts it.  Returns the number of texts claimed, or
 * -1 on a database error.
 */
static int
sms_batch(sms_sender_t *s)
{
    int          i, n, sent;
    char         err[SMS_ERROR_SIZE], masked[16], *gateway_id;
    char         limit[16], lease[32];
    double       start;
    PGresult    *res;
    const char  *values[2], *id, *phone, *content;

    snprintf(limit, sizeof(limit), "%d", SMS_BATCH);
    snprintf(lease, sizeof(lease), "%ld seconds", SMS_LEASE(s));
    values[0] = limit;
    values[1] = lease;

    start = sms_clock();

    res = PQexecParams(s->db,
                       "SELECT id, phone, content "
                       "FROM sms_outbox_claim($1::integer, $2::interval)",
                       2, NULL, values, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 3) {
        admin_job_db_error(s->res, s->db, "claiming texts");
        PQclear(res);
        return -1;
    }

    n = PQntuples(res);

    for (i = 0; i < n; i++) {
        id = db_value(res, i, "id");
        phone = db_value(res, i, "phone");
        content = db_nullable(res, i, "content");

        sms_phone_mask(phone, masked, sizeof(masked));
        gateway_id = NULL;

        if (s->unreachable) {
            /* the gateway did not answer the last one: the next run */
            if (sms_release(s, id) != 0) {
                PQclear(res);
                return -1;
            }

            continue;
        }

        if (sms_clock() - start > SMS_LEASE(s) - SMS_TEXT_TIME(s)) {
            /* past the lease another sender may have it: do not post */
            snprintf(err, sizeof(err), "not posted: the batch's claim ran "
                     "out of time");
            sent = 0;

        } else if (content == NULL) {
            snprintf(err, sizeof(err), "no text to send");
            sent = 0;

        } else {
            sent = sms_post(s, id, phone, content, &gateway_id, err,
                            sizeof(err));
        }

        if (sent) {
            s->res->done++;

            if (gateway_id == NULL) {
                fprintf(stderr, "sms-send: outbox %s (%s): sent, but the "
                        "gateway gave no usable message id\n", id, masked);
            }

        } else {
            s->res->failed++;
            fprintf(stderr, "sms-send: outbox %s (%s): %s\n",
                    id, masked, err);

            /* the jobs table shows the last failure (masked as stderr) */
            snprintf(s->res->message, sizeof(s->res->message),
                     "outbox %.24s (%s): %.200s", id, masked, err);
        }

        if (sms_report(s, id, masked, sent, gateway_id, err) != 0) {
            free(gateway_id);
            PQclear(res);
            return -1;
        }

        free(gateway_id);
    }

    PQclear(res);

    return n;
}


static int
sms_run(PGconn *db, const admin_config_t *conf, int once,
    admin_job_result_t *r)
{
    int            n;
    char           err[512], *token;
    sms_sender_t   s;

    if (conf->sms_gateway_url == NULL) {
        snprintf(r->message, sizeof(r->message), "configuration: "
                 "\"sms_gateway_url\" is not set");
        return -1;
    }

    if (conf->sms_gateway_token_file == NULL) {
        snprintf(r->message, sizeof(r->message), "configuration: "
                 "\"sms_gateway_token_file\" is not set");
        return -1;
    }

    if (admin_secret_read(conf->sms_gateway_token_file, &token, err,
                          sizeof(err)) != 0)
    {
        snprintf(r->message, sizeof(r->message), "configuration: "
                 "sms_gateway_token_file %.200s", err);
        return -1;
    }

    if (http_client_global_init(err, sizeof(err)) != 0) {
        snprintf(r->message, sizeof(r->message), "%.200s", err);
        admin_secret_free(token);
        return -1;
    }

    memset(&s, 0, sizeof(s));
    s.url = conf->sms_gateway_url;
    s.token = token;
    s.timeout = conf->sms_gateway_timeout;
    s.db = db;
    s.res = r;
    n = -1;

    s.http = http_client_create();

    if (s.http == NULL) {
        snprintf(r->message, sizeof(r->message),
                 "libcurl: cannot create a handle");

    } else {
        do {
            n = sms_batch(&s);
        } while (n > 0 && !once && !s.unreachable);
    }

    http_client_destroy(s.http);
    http_client_global_cleanup();
    admin_secret_free(token);

    return n < 0 ? -1 : 0;
}


int
cmd_sms_send(int argc, char **argv)
{
    return admin_job_main("sms-send", sms_run, sms_usage, argc, argv);
}
