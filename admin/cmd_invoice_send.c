/*
 * certhall-admin invoice-send [-c FILE] [--once]
 *
 * Sends the queued invoice requests (开票请求) to the tax platform and
 * records what became of each (README.md, "E-invoices"):
 *
 *   claim      admin.invoice_claim: a batch of due requests, FOR UPDATE
 *              SKIP LOCKED, leased to this run's token (another run takes
 *              others; a run that dies leaves its lease to expire)
 *   build      the FPKJ request (lib/ch_einvoice_xml), validated against
 *              the XSD, its total compared with the request's amount:
 *              a request that fails here is never sent (permanent)
 *   post       signed, over HTTPS (einvoice.c)
 *   issued     the PDF, the request and the answer stored (lib/ch_store)
 *              first, then admin.invoice_issued: an invoices row never
 *              lacks its files
 *   full       the storage has no room for them: what this send stored
 *              is removed, admin.invoice_requeue puts the request back
 *              without counting the attempt, and the run sends nothing
 *              more (the rest of its claim goes back the same way): the
 *              next run, once there is room, sends the same serial and
 *              records the platform's same invoice
 *   refused    admin.invoice_failed, definite: the platform issued nothing
 *   no answer  admin.invoice_failed, not definite: the next claim sends
 *              the SAME serial again, and the platform answers a serial
 *              it has seen with its first invoice: exactly once
 *
 * The serial (FPQQLSH) comes from the database, stored before the first
 * send and never changed, so no path here can make a second invoice of one
 * request.
 *
 * Prints "invoice-send: N done, M failed" (admin_job_main, job.c); each
 * failure named on stderr with its serial, order and reason.
 * Exit status: 0 all sent, 1 some failed, 2 configuration or database.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "admin.h"
#include "job.h"
#include "ch_store.h"


/*
 * requests per claim, at most; fewer when the lease could run out before
 * the batch's last request is sent (invoice_batch_size)
 */
#define INVOICE_BATCH  10


typedef struct {
    PGconn                      *db;
    const admin_config_t        *conf;
    einvoice_client_t           *client;
    ch_einvoice_schema_t        *schema;
    admin_job_result_t          *res;
    char                         token[33];     /* the lease's, per run */
    int                          batch;         /* requests per claim */
    int                          storage_full;  /* send nothing more */
} invoice_sender_t;


/* one claimed request, as the database gave it (pointers into its row) */
typedef struct {
    const char  *id;
    const char  *order_id;
    const char  *serial;
    int          attempt;
    int          red;
    long long    amount_fen;
    char         reason[512];
} invoice_job_t;


static void
invoice_usage(void)
{
    fprintf(stderr,
            "usage: certhall-admin invoice-send [-c FILE] [--once]\n"
            "  -c FILE  the configuration (default: $CERTHALL_ADMIN_CONF)\n"
            "  --once   one batch of at most %d requests, not until none is "
            "due\n", INVOICE_BATCH);
}


/* the first key invoice-send needs that the configuration lacks, or NULL */
static const char *
invoice_config_missing(const admin_config_t *conf)
{
    size_t  i;

    const struct {
        const char  *key;
        const char  *value;
    } need[] = {
        { "einvoice_url", conf->einvoice_url },
        { "einvoice_app_key", conf->einvoice_app_key },
        { "einvoice_secret_file", conf->einvoice_secret_file },
        { "einvoice_ca_file", conf->einvoice_ca_file },
        { "seller_taxpayer_id", conf->seller_taxpayer_id },
        { "seller_name", conf->seller_name },
        { "einvoice_issuer", conf->einvoice_issuer },
        { "einvoice_spbm", conf->einvoice_spbm },
        { "storage", conf->storage },
    };

    for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if (need[i].value == NULL) {
            return need[i].key;
        }
    }

    return conf->einvoice_tax_rate < 0 ? "einvoice_tax_rate" : NULL;
}


/* NULL for SQL NULL and "": the builder leaves the element out */
static const char *
invoice_field(PGresult *res, int row, const char *column)
{
    const char  *v;

    v = db_nullable(res, row, column);

    return (v && v[0]) ? v : NULL;
}


static void
invoice_fail_say(invoice_sender_t *s, const invoice_job_t *j,
    const char *state)
{
    s->res->failed++;

    fprintf(stderr, "invoice-send: %s (order %s, attempt %d): %s%s%s\n",
            j->serial, j->order_id, j->attempt, j->reason,
            state ? " -> " : "", state ? state : "");

    /* the jobs table shows the first failure */
    if (s->res->message[0] == '\0') {
        snprintf(s->res->message, sizeof(s->res->message), "%s: %.200s",
                 j->serial, j->reason);
    }
}


/*
 * Records a failure (j->reason): admin.invoice_failed.  0, or -1 on a
 * database error (the run stops).
 */
static int
invoice_failed(invoice_sender_t *s, const invoice_job_t *j, int definite,
    int permanent)
{
    PGresult    *res;
    const char  *values[5];

    values[0] = j->id;
    values[1] = s->token;
    values[2] = j->reason;
    values[3] = definite ? "true" : "false";
    values[4] = permanent ? "true" : "false";

    res = PQexecParams(s->db, "SELECT admin.invoice_failed($1::bigint, $2, "
                       "$3, $4::boolean, $5::boolean) AS state",
                       5, NULL, values, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        invoice_fail_say(s, j, NULL);
        admin_job_db_error(s->res, s->db, "recording a failed invoice");
        PQclear(res);
        return -1;
    }

    invoice_fail_say(s, j, db_value(res, 0, "state"));
    PQclear(res);

    return 0;
}


/*
 * The request goes back to the queue, its attempt not counted: this run
 * cannot keep what the platform issues (j->reason says why).  0, or -1 on
 * a database error (the run stops).
 */
static int
invoice_requeue(invoice_sender_t *s, const invoice_job_t *j)
{
    PGresult    *res;
    const char  *values[3];

    values[0] = j->id;
    values[1] = s->token;
    values[2] = j->reason;

    res = PQexecParams(s->db, "SELECT admin.invoice_requeue($1::bigint, $2, "
                       "$3) AS state", 3, NULL, values, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        invoice_fail_say(s, j, NULL);
        admin_job_db_error(s->res, s->db, "putting an invoice request back");
        PQclear(res);
        return -1;
    }

    invoice_fail_say(s, j, db_value(res, 0, "state"));
    PQclear(res);

    return 0;
}


/*
 * Stores n bytes in st (its sha256 then the hex SHA-256); 0, or -1 with
 * err, nothing of the file left (ch_store_full(st) says whether the
 * storage was full)
 */
static int
invoice_store(const char *storage, const void *p, size_t n, ch_store_t *st,
    char *err, size_t err_size)
{
    if (ch_store_open(st, storage) != 0
        || ch_store_write(st, p, n) != 0
        || ch_store_commit(st) != 0)
    {
        snprintf(err, err_size, "storage%s: %.400s",
                 ch_store_full(st) ? " full" : "", st->err);
        ch_store_abort(st);
        return -1;
    }

    return 0;
}


/*
 * The platform issued it: the three files stored, then the one
 * transaction of admin.invoice_issued.  1 recorded; 0 a failure recorded
 * (the files could not be stored: the next claim asks again and gets the
 * same invoice; a full storage puts the request back uncounted and stops
 * the sending); -1 a database error.
 */
static int
invoice_issued(invoice_sender_t *s, invoice_job_t *j,
    const ch_einvoice_answer_t *a, const ch_invoice_sum_t *sum,
    const unsigned char *xml, size_t xml_len, const http_response_t *http)
{
    int          full;
    char         total[24], net[24], tax[24], size[24];
    PGresult    *res;
    ch_store_t   pdf, req, ans;
    const char  *values[12];

    /* none created yet: a failure removes only what this send stored */
    memset(&pdf, 0, sizeof(pdf));
    memset(&req, 0, sizeof(req));
    memset(&ans, 0, sizeof(ans));
    pdf.fd = req.fd = ans.fd = -1;

    if (invoice_store(s->conf->storage, a->pdf, a->pdf_len, &pdf,
                      j->reason, sizeof(j->reason)) != 0
        || invoice_store(s->conf->storage, xml, xml_len, &req,
                         j->reason, sizeof(j->reason)) != 0
        || invoice_store(s->conf->storage, http->body, http->body_len,
                         &ans, j->reason, sizeof(j->reason)) != 0)
    {
        full = ch_store_full(&pdf) || ch_store_full(&req)
               || ch_store_full(&ans);

        /*
         * no file without its row: what this send created goes (one there
         * before is another's, ch_store_unlink_created leaves it)
         */
        (void) ch_store_unlink_created(&pdf);
        (void) ch_store_unlink_created(&req);
        (void) ch_store_unlink_created(&ans);

        if (full) {
            s->storage_full = 1;
            return invoice_requeue(s, j) == 0 ? 0 : -1;
        }

        return invoice_failed(s, j, 0, 0) == 0 ? 0 : -1;
    }

    snprintf(total, sizeof(total), "%lld", sum->total_fen);
    snprintf(net, sizeof(net), "%lld", sum->net_fen);
    snprintf(tax, sizeof(tax), "%lld", sum->tax_fen);
    snprintf(size, sizeof(size), "%zu", a->pdf_len);

    values[0] = j->id;
    values[1] = s->token;
    values[2] = a->fpdm;
    values[3] = a->fphm;
    values[4] = a->kprq;
    values[5] = total;
    values[6] = net;
    values[7] = tax;
    values[8] = pdf.sha256;
    values[9] = size;
    values[10] = req.sha256;
    values[11] = ans.sha256;

    res = PQexecParams(s->db, "SELECT admin.invoice_issued($1::bigint, $2, "
                       "$3, $4, $5, $6::bigint, $7::bigint, $8::bigint, $9, "
                       "$10::bigint, $11, $12) AS outcome",
                       12, NULL, values, NULL, NULL, 0);

    /*
     * recorded, refused (its files kept for finance to see) or its
     * outcome unknown: the files' locks go (ch_store_hold)
     */
    ch_store_release(&pdf);
    ch_store_release(&req);
    ch_store_release(&ans);

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        /*
         * e.g. other numbers for a serial issued already: said and
         * counted; the request stays as it is for finance to see
         */
        snprintf(j->reason, sizeof(j->reason), "recording invoice %s/%s: %s",
                 a->fpdm, a->fphm, PQerrorMessage(s->db));
        j->reason[strcspn(j->reason, "\n")] = '\0';
        invoice_fail_say(s, j, NULL);
        PQclear(res);
        return PQstatus(s->db) == CONNECTION_OK ? 0 : -1;
    }

    PQclear(res);
    s->res->done++;

    return 1;
}


/* builds, sends and records one claimed request; 0, or -1: stop the run */
static int
invoice_one(invoice_sender_t *s, PGresult *claimed, int row)
{
    int                     rc;
    size_t                  xml_len;
    long long               want;
    unsigned char          *xml;
    invoice_job_t           j;
    ch_invoice_sum_t        sum;
    http_response_t         http;
    ch_einvoice_item_t      item;
    ch_einvoice_answer_t    a;
    ch_einvoice_request_t   req;
    const admin_config_t   *conf = s->conf;
    char                    err[CH_EINVOICE_ERR_LEN];

    memset(&j, 0, sizeof(j));
    j.id = db_value(claimed, row, "id");
    j.order_id = db_value(claimed, row, "order_id");
    j.serial = db_value(claimed, row, "serial");
    j.attempt = atoi(db_value(claimed, row, "attempt"));

    /*
     * an invoice this run could not keep is not asked for: the rest of
     * the claim goes back to the queue unsent, uncounted
     */
    if (s->storage_full) {
        snprintf(j.reason, sizeof(j.reason), "not sent: the storage is "
                 "full");
        return invoice_requeue(s, &j);
    }
    j.red = strcmp(db_value(claimed, row, "kind"), "red") == 0;
    j.amount_fen = strtoll(db_value(claimed, row, "amount_fen"), NULL, 10);

    memset(&item, 0, sizeof(item));
    item.name = invoice_field(claimed, row, "item_name");
    item.spbm = conf->einvoice_spbm;
    item.amount.price_fen = strtoll(db_value(claimed, row, "price_fen"),
                                    NULL, 10);
    item.amount.quantity = strtoll(db_value(claimed, row, "quantity"), NULL,
                                   10);
    item.amount.rate_bp = conf->einvoice_tax_rate;

    memset(&req, 0, sizeof(req));
    req.serial = j.serial;
    req.kind = j.red ? CH_EINVOICE_RED : CH_EINVOICE_BLUE;
    req.original_code = invoice_field(claimed, row, "original_fpdm");
    req.original_number = invoice_field(claimed, row, "original_fphm");
    req.seller_taxpayer_id = conf->seller_taxpayer_id;
    req.seller_name = conf->seller_name;
    req.seller_address_phone = conf->seller_address_phone;
    req.seller_bank_account = conf->seller_bank_account;
    req.buyer_taxpayer_id = invoice_field(claimed, row, "buyer_taxpayer_id");
    req.buyer_name = invoice_field(claimed, row, "buyer_name");
    req.buyer_mobile = invoice_field(claimed, row, "buyer_mobile");
    req.buyer_email = invoice_field(claimed, row, "buyer_email");
    req.issuer = conf->einvoice_issuer;
    req.payee = conf->einvoice_payee;
    req.checker = conf->einvoice_checker;
    req.remark = invoice_field(claimed, row, "remark");
    req.items = &item;
    req.nitems = 1;

    /*
     * a request that cannot be built or does not add up is never sent:
     * retrying cannot help (permanent); nothing was issued for it, unless
     * an earlier attempt went out (then the platform may hold it)
     */
    if (ch_einvoice_build(&req, s->schema, &xml, &xml_len, &sum, err) != 0) {
        snprintf(j.reason, sizeof(j.reason), "not sent: %s", err);
        return invoice_failed(s, &j, j.attempt == 1, 1);
    }

    want = j.red ? -j.amount_fen : j.amount_fen;

    if (sum.total_fen != want) {
        snprintf(j.reason, sizeof(j.reason), "not sent: the invoice's total "
                 "%lld fen is not the request's amount %lld fen",
                 sum.total_fen, want);
        free(xml);
        return invoice_failed(s, &j, j.attempt == 1, 1);
    }

    switch (einvoice_post(s->client, xml, xml_len, &a, &http, j.reason,
                          sizeof(j.reason)))
    {
    case EINVOICE_ISSUED:
        rc = invoice_issued(s, &j, &a, &sum, xml, xml_len, &http);
        rc = rc < 0 ? -1 : 0;
        ch_einvoice_answer_free(&a);
        break;

    case EINVOICE_REFUSED:
        rc = invoice_failed(s, &j, 1, 0);
        ch_einvoice_answer_free(&a);
        break;

    default:
        rc = invoice_failed(s, &j, 0, 0);
        break;
    }

    http_response_free(&http);
    free(xml);

    return rc;
}


/*
 * A claim leases its requests for invoice_policy.lease: every one of them
 * should be sent, at its slowest, within half of it, or another run would
 * take the rest over while this one still sends them (harmless, the serial
 * is the same, but each would go twice).  0, or -1 (database).
 */
static int
invoice_batch_size(invoice_sender_t *s)
{
    long        lease, slowest;
    PGresult   *res;

    res = PQexec(s->db, "SELECT extract(epoch FROM lease)::bigint AS lease "
                 "FROM invoice_policy");

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        admin_job_db_error(s->res, s->db, "reading invoice_policy");
        PQclear(res);
        return -1;
    }

    lease = strtol(db_value(res, 0, "lease"), NULL, 10);
    PQclear(res);

    slowest = s->conf->einvoice_timeout + EINVOICE_CONNECT_TIMEOUT;
    s->batch = (int) (lease / 2 / slowest);

    if (s->batch < 1) {
        s->batch = 1;

    } else if (s->batch > INVOICE_BATCH) {
        s->batch = INVOICE_BATCH;
    }

    return 0;
}


/* one claim: the number of requests claimed, or -1 (database) */
static int
invoice_batch(invoice_sender_t *s)
{
    int          i, n;
    char         limit[16];
    PGresult    *res;
    const char  *values[2];

    snprintf(limit, sizeof(limit), "%d", s->batch);
    values[0] = limit;
    values[1] = s->token;

    res = PQexecParams(s->db,
                       "SELECT e->>'id' AS id, e->>'order_id' AS order_id, "
                       "e->>'serial' AS serial, e->>'kind' AS kind, "
                       "e->>'original_fpdm' AS original_fpdm, "
                       "e->>'original_fphm' AS original_fphm, "
                       "e->>'buyer_name' AS buyer_name, "
                       "e->>'buyer_taxpayer_id' AS buyer_taxpayer_id, "
                       "e->>'buyer_email' AS buyer_email, "
                       "e->>'buyer_mobile' AS buyer_mobile, "
                       "e->>'remark' AS remark, "
                       "e->>'item_name' AS item_name, "
                       "e->>'price_fen' AS price_fen, "
                       "e->>'quantity' AS quantity, "
                       "e->>'amount_fen' AS amount_fen, "
                       "e->>'attempt' AS attempt "
                       "FROM json_array_elements("
                       "admin.invoice_claim($1::integer, $2)) e",
                       2, NULL, values, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        admin_job_db_error(s->res, s->db, "claiming invoice requests");
        PQclear(res);
        return -1;
    }

    n = PQntuples(res);

    for (i = 0; i < n; i++) {
        if (invoice_one(s, res, i) != 0) {
            PQclear(res);
            return -1;
        }
    }

    PQclear(res);

    return n;
}


/*
 * The PDF and XML this run stores are made 0640 in folders of 0750
 * (ch_store), for their owner's group: written by another user than the
 * storage's owner (root from a shell, say), nginx's workers could not
 * read them and the applicant's 下载发票 would answer 503.  So the run
 * refuses before it claims anything.  0, or -1 with the reason.
 */
static int
invoice_storage_owned(const char *storage, char *err, size_t err_size)
{
    struct stat  st;

    if (stat(storage, &st) != 0) {
        snprintf(err, err_size, "storage %.200s: cannot be read", storage);
        return -1;
    }

    if (st.st_uid != geteuid()) {
        snprintf(err, err_size, "storage %.80s belongs to uid %lu, not to "
                 "this user (uid %lu): run invoice-send as its owner, "
                 "nginx's workers' user", storage, (unsigned long) st.st_uid,
                 (unsigned long) geteuid());
        return -1;
    }

    return 0;
}


static int
invoice_run(PGconn *db, const admin_config_t *conf, int once,
    admin_job_result_t *r)
{
    int                n;
    char               err[CH_EINVOICE_ERR_LEN];
    size_t             i;
    const char        *missing, *schema;
    unsigned char      raw[16];
    invoice_sender_t   s;

    missing = invoice_config_missing(conf);

    if (missing) {
        snprintf(r->message, sizeof(r->message), "configuration: \"%s\" is "
                 "not set", missing);
        return -1;
    }

    if (invoice_storage_owned(conf->storage, r->message, sizeof(r->message))
        != 0)
    {
        return -1;
    }

    memset(&s, 0, sizeof(s));
    s.db = db;
    s.conf = conf;
    s.res = r;

    /* the lease's token: a run's claims are told from another run's */
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        snprintf(r->message, sizeof(r->message), "no random bytes");
        return -1;
    }

    for (i = 0; i < sizeof(raw); i++) {
        snprintf(s.token + 2 * i, 3, "%02x", raw[i]);
    }

    schema = conf->einvoice_schema ? conf->einvoice_schema
                                   : ADMIN_EINVOICE_SCHEMA;

    s.schema = ch_einvoice_schema_load(schema, err);
    if (s.schema == NULL) {
        snprintf(r->message, sizeof(r->message), "configuration: "
                 "einvoice_schema %.200s", err);
        return -1;
    }

    if (http_client_global_init(r->message, sizeof(r->message)) != 0) {
        ch_einvoice_schema_free(s.schema);
        return -1;
    }

    s.client = einvoice_client_create(conf, r->message, sizeof(r->message));
    n = -1;

    /*
     * A post without any answer (the platform refused the connection, or
     * did not answer in time) ends the run after its batch: the batches
     * after it would only wait out the same timeouts, and cron starts the
     * next run in a minute.  The batch itself goes on: its requests are
     * claimed, their content frozen (first_sent_at), and each failure is
     * the request's own record; the batch is small (half the lease).
     */
    if (s.client && invoice_batch_size(&s) == 0) {
        /* a full storage ends the run: the next one comes once there is room */
        do {
            n = invoice_batch(&s);
        } while (n > 0 && !once && !s.storage_full
                 && !einvoice_client_unreachable(s.client));
    }

    einvoice_client_destroy(s.client);
    http_client_global_cleanup();
    ch_einvoice_schema_free(s.schema);

    return n < 0 ? -1 : 0;
}


int
cmd_invoice_send(int argc, char **argv)
{
    return admin_job_main("invoice-send", invoice_run, invoice_usage, argc,
                          argv);
}
