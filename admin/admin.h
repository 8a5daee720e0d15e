/*
 * certhall-admin: the back office, run as CGI behind nginx (fcgiwrap), and
 * its command line for scheduled jobs.
 *
 * One file per page (page_*.c; payments in page_payment.c) and per command
 * (cmd_*.c; what they share in command.c, their HTTP in http_client.c,
 * Alipay's signed calls in alipay.c, the tax platform's in einvoice.c), the uploads of the 下载中心 read as
 * they stream in upload.c, the HTML helpers in html.c, the
 * database calls in db.c (every result read by column name: db_value), the
 * roles' labels in roles.c, one dispatch in main.c.
 */

#ifndef CERTHALL_ADMIN_H
#define CERTHALL_ADMIN_H

#include <stddef.h>
#include <libpq-fe.h>

#include "ch_form.h"

#define ADMIN_VERSION  "0.1.0"

typedef struct {
    char        *db;                /* libpq conninfo */
    char        *host_name;         /* this machine's name in job_runs,
                                       or NULL: gethostname() */
    char        *sms_gateway_url;   /* http:// or https://, or NULL */
    char        *sms_gateway_token_file;    /* the bearer token, or NULL */
    long         sms_gateway_timeout;       /* seconds, one text's post */
    char        *files_uri;         /* nginx's internal location of the
                                       stored files, ends in "/" */
    unsigned long  password_iterations;     /* for new staff passwords */

    /* alipay-sync: Alipay's open platform (the keys are read by alipay.c) */
    char        *alipay_gateway;    /* http:// or https://, or NULL */
    char        *alipay_app_id;
    char        *alipay_seller_id;  /* the merchant's PID (2088...) */
    char        *alipay_private_key;        /* the merchant key's PEM file */
    char        *alipay_public_key;         /* Alipay's public key's file */
    long         alipay_timeout;    /* seconds, one call */

    /* 下载中心: the module's certhall_storage, and the largest file */
    char        *storage;           /* or NULL: no uploads */
    unsigned long long  download_max_size;  /* bytes */

    /* invoice-send: the tax platform (einvoice.c) and the seller */
    char        *einvoice_url;      /* https:// only */
    char        *einvoice_app_key;
    char        *einvoice_secret_file;      /* the HMAC secret's file */
    char        *einvoice_ca_file;  /* the CA bundle the platform's
                                       certificate must chain to */
    long         einvoice_timeout;  /* seconds, the whole exchange */
    char        *einvoice_schema;   /* schema/fpkj.xsd */
    char        *einvoice_issuer;   /* KPR */
    char        *einvoice_payee;    /* SKR, or NULL */
    char        *einvoice_checker;  /* FHR, or NULL */
    char        *einvoice_spbm;     /* 19-digit tax category code */
    int          einvoice_tax_rate; /* basis points, -1 when not set */
    char        *seller_taxpayer_id;
    char        *seller_name;
    char        *seller_address_phone;
    char        *seller_bank_account;
} admin_config_t;

/* einvoice_timeout and einvoice_schema when the file does not say */
#define ADMIN_EINVOICE_TIMEOUT  30
/* sms_gateway_timeout and alipay_timeout when the file does not say */
#define ADMIN_SMS_TIMEOUT       10
#define ADMIN_ALIPAY_TIMEOUT    15
#define ADMIN_EINVOICE_SCHEMA   "/usr/local/share/certhall/schema/fpkj.xsd"

/* download_max_size when the file does not say */
#define ADMIN_DOWNLOAD_MAX_SIZE  (64ULL * 1024 * 1024)

/* the form fields and query parameters a page takes, at most */
#define ADMIN_FIELDS_MAX   160
/* the largest form body: a bulk approval of 100 orders is about 4 KiB */
#define ADMIN_BODY_MAX     (64 * 1024)

typedef struct {
    long         id;                /* staff.id */
    const char  *login;             /* these point into staff_res */
    const char  *name;
    const char  *roles;             /* "{reviewer,finance}", as PostgreSQL
                                       writes a text[] */
    const char  *csrf;              /* the session's form token */
} admin_staff_t;

typedef struct {
    const char  *method;            /* REQUEST_METHOD */
    const char  *path;              /* path below /admin, "/" for the home */
    const char  *query;             /* QUERY_STRING, never NULL */
    const char  *client;            /* REMOTE_ADDR, or NULL */
    const char  *user_agent;        /* or NULL */
    int          https;             /* the request came over TLS */

    /* the path's parameters: /orders/{id}/files/{file} */
    char         param[2][64];

    /* the query string (GET) and the form body (POST), decoded */
    ch_form_field_t  args[ADMIN_FIELDS_MAX];
    size_t           nargs;
    char            *args_buf;
    ch_form_field_t  form[ADMIN_FIELDS_MAX];
    size_t           nform;
    char            *form_buf;
    size_t           form_len;      /* of the body form_buf was made from */
    int              multipart;     /* a multipart/form-data body is left
                                       on stdin for the page (upload.c) */
    unsigned long long  body_left;  /* its bytes not read yet */

    admin_config_t   config;
    PGconn          *db;
    admin_staff_t    staff;         /* set by admin_session() */
    PGresult        *staff_res;

    /*
     * admin_session_deferred(): the session is the action's statement's to
     * check; should the request be refused instead, admin_session() is
     * made first (admin_session_settle) with this role
     */
    int              session_deferred;
    const char      *deferred_role;
} admin_request_t;

/* what a page needs of the one who asks */
#define ADMIN_ROLE_ANY       NULL

/* roles.c: the staff roles' codes and labels, ended by { NULL, NULL } */
typedef struct {
    const char  *code;              /* staff_roles.code */
    const char  *label;             /* for people */
} admin_role_t;

extern const admin_role_t  admin_roles[];

const char *admin_role_label(const char *code);
int admin_roles_include(const char *roles, const char *role);

/* config.c */
int admin_config_load(admin_config_t *conf, const char *path, char *err,
    size_t err_size);
void admin_config_free(admin_config_t *conf);
int admin_secret_read(const char *path, char **secret, char *err,
    size_t err_size);
void admin_secret_free(char *secret);

/* cgi.c */
int admin_request_read(admin_request_t *req);
void admin_request_drain(admin_request_t *req);
void admin_request_free(admin_request_t *req);
const char *admin_arg(const admin_request_t *req, const char *name);
const char *admin_field(const admin_request_t *req, const char *name);
const char *admin_date(const char *typed, char *buf, int *bad);
const char *admin_cookie(const char *name, char *buf, size_t size);
int admin_checked(const admin_request_t *req, const char *prefix,
    const char *alphabet, size_t max_len, size_t max_items, char *buf,
    size_t size);
int admin_same_origin(const admin_request_t *req);
void admin_redirect(const admin_request_t *req, const char *location,
    const char *cookies);

/* db.c */
typedef struct {
    int          status;            /* HTTP status */
    char         code[64];          /* the stable code, or "" */
    char         field[64];         /* the form field at fault, or "" */
    char         message[512];      /* for people */
} admin_error_t;

PGconn *admin_db_connect(admin_request_t *req);
PGresult *admin_db_call(admin_request_t *req, const char *sql, int nparams,
    const char *const *params, admin_error_t *err);

/* one statement of admin_db_batch(): its result, or NULL */
typedef struct {
    const char          *sql;
    int                  nparams;
    const char *const   *params;
    PGresult            *res;
} admin_db_stmt_t;

int admin_db_batch(admin_request_t *req, admin_db_stmt_t *stmts, size_t n,
    size_t *failed, admin_error_t *err);
int db_column(PGresult *res, const char *column);
const char *db_value(PGresult *res, int row, const char *column);
const char *db_nullable(PGresult *res, int row, const char *column);
const char *admin_reason(int status);
void admin_error_page(admin_request_t *req, const admin_error_t *err,
    const char *back);

/* session.c */
#define ADMIN_SESSION_COOKIE  "certhall_admin"
void admin_session_cookie(const admin_request_t *req, const char *token,
    char *buf, size_t size);
const char *admin_session_token(char *buf, size_t size);
int admin_session(admin_request_t *req, int write, const char *role);
int admin_session_deferred(admin_request_t *req, const char *role);
int admin_session_stmt(admin_request_t *req, char *token, size_t size,
    const char **params, admin_db_stmt_t *stmt);
int admin_session_batched(admin_request_t *req, const char *role,
    PGresult *res, admin_error_t *err);
int admin_session_settle(admin_request_t *req);
int admin_has_role(const admin_request_t *req, const char *role);

/* html.c */
void html_raw(const char *s);
void html_txt(const char *s);
void html_attr(const char *s);
void html_headers(int status, const char *reason, const char *extra);
void html_page_begin(const admin_request_t *req, const char *title);
void html_page_end(void);
void html_error_page(admin_request_t *req, int status,
    const char *reason, const char *message);
void html_csrf(const admin_request_t *req);
void html_long(long long v);
void html_money(const char *fen);
void html_time(const char *ts);
void html_date(const char *ts);
void html_date_input(const char *name, const char *iso, const char *hint_id,
    int required);
void html_date_hint(const char *id);
void html_date_range(const char *label, const char *from, const char *to);
void html_url_part(const char *s);
void html_option(const char *value, const char *label, const char *current);

/* http_client.c: HTTP requests to the systems the back office talks to */

#define HTTP_ERROR_SIZE  256

typedef struct http_client_s  http_client_t;

typedef struct {
    const char  *url;
    const char  *content_type;
    const char  *bearer;            /* Authorization: Bearer, or NULL */
    const char  *body;
    size_t       body_len;
    long         connect_timeout;   /* seconds */
    long         timeout;           /* seconds, the whole exchange */
} http_request_t;

typedef struct {
    long         status;            /* HTTP status, 0 without an answer */
    char        *body;              /* NUL-terminated, or NULL */
    size_t       body_len;
    char         error[HTTP_ERROR_SIZE];    /* why there is no answer */
} http_response_t;

int http_client_global_init(char *err, size_t err_size);
void http_client_global_cleanup(void);
http_client_t *http_client_create(void);
void http_client_destroy(http_client_t *client);
int http_post(http_client_t *client, const http_request_t *req,
    http_response_t *res);

/* what a request may need beyond http_post's: the tax platform's */
typedef struct {
    int                  get;       /* GET without a body, not POST */
    const char          *ca_file;   /* the CA bundle the peer's certificate
                                       must chain to; NULL: the system's */
    const char          *accept;    /* NULL: application/json */
    const char *const   *headers;   /* more "Name: value", NULL-ended */
    size_t               max_body;  /* the largest answer; 0: 64 KiB */
} http_options_t;

int http_send(http_client_t *client, const http_request_t *req,
    const http_options_t *opt, http_response_t *res);
void http_response_free(http_response_t *res);

/*
 * alipay.c: signed calls to Alipay's open platform (alipay-sync's query,
 * close and refund).  An answer is believed only once its sign verified.
 */

/* seconds: no call takes longer (connecting, sending, the answer):
 * alipay_timeout of the configuration, ADMIN_ALIPAY_TIMEOUT by default */

typedef struct alipay_client_s  alipay_client_t;

typedef struct {
    http_response_t        http;
    const unsigned char   *resp;    /* the verified *_response object, in
                                       http.body; NULL when none */
    size_t                 resp_len;
    char                  *raw;     /* the same, NUL-terminated */
    char                   code[16];        /* "10000" success, ... */
    char                   msg[128];
    char                   sub_code[64];    /* "ACQ.TRADE_NOT_EXIST" */
    char                   sub_msg[256];
} alipay_answer_t;

alipay_client_t *alipay_client_create(const admin_config_t *conf, char *err,
    size_t err_size);
void alipay_client_destroy(alipay_client_t *c);
int alipay_client_unreachable(const alipay_client_t *c);
int alipay_call(alipay_client_t *c, const char *method,
    const char *biz_content, alipay_answer_t *a, char *err, size_t err_size);
void alipay_answer_error(const alipay_answer_t *a, char *err,
    size_t err_size);
int alipay_answer_is(const alipay_answer_t *a, const char *code,
    const char *sub_code);
int alipay_answer_retryable(const alipay_answer_t *a);
char *alipay_answer_string(const alipay_answer_t *a, const char *name);
void alipay_answer_free(alipay_answer_t *a);
char *alipay_biz_content(const char *const *pairs);

/*
 * einvoice.c: the signed FPKJ exchange with the tax platform (invoice-send).
 * A client holds the secret (from einvoice_secret_file) and one libcurl
 * handle; every exchange checks the platform's certificate against
 * einvoice_ca_file.
 */
#include "ch_einvoice_xml.h"

/* seconds to connect (TLS included); the whole exchange: einvoice_timeout
 * (invoice-send sizes its claims by the two) */
#define EINVOICE_CONNECT_TIMEOUT  10

typedef struct einvoice_client_s  einvoice_client_t;

typedef enum {
    EINVOICE_ISSUED = 0,            /* the numbers, and the PDF in memory */
    EINVOICE_REFUSED,               /* returncode not 0000: nothing issued */
    EINVOICE_NO_ANSWER              /* none usable: it may be issued, the
                                       same serial must go again */
} einvoice_outcome_e;

einvoice_client_t *einvoice_client_create(const admin_config_t *conf,
    char *err, size_t err_size);
void einvoice_client_destroy(einvoice_client_t *c);
int einvoice_client_unreachable(const einvoice_client_t *c);
/*
 * Posts the request xml and reads the answer into *a (free it with
 * ch_einvoice_answer_free; for a PDF given by URL, the PDF fetched) and
 * the bytes as they came into *res (http_response_free), whatever the
 * outcome; err says why for anything but EINVOICE_ISSUED.
 */
einvoice_outcome_e einvoice_post(einvoice_client_t *c,
    const unsigned char *xml, size_t len, ch_einvoice_answer_t *a,
    http_response_t *res, char *err, size_t err_size);

/* pages: one file each (page_<name>.c), dispatched by main.c */
void page_login(admin_request_t *req);
void page_login_post(admin_request_t *req);
void page_logout(admin_request_t *req);
void page_status(admin_request_t *req);
void page_queue(admin_request_t *req);
void page_bulk_approve(admin_request_t *req);
void page_order(admin_request_t *req);
void page_order_action(admin_request_t *req);
void page_file(admin_request_t *req);
void page_audit(admin_request_t *req);
void page_staff(admin_request_t *req);
void page_staff_create(admin_request_t *req);
void page_staff_update(admin_request_t *req);
void page_staff_password(admin_request_t *req);
void page_agreements(admin_request_t *req);
void page_agreement_post(admin_request_t *req);
void page_refunds(admin_request_t *req);
void page_refund_post(admin_request_t *req);
void page_password(admin_request_t *req);
void page_password_post(admin_request_t *req);
void page_downloads(admin_request_t *req);
void page_download_add(admin_request_t *req);
void page_download_replace(admin_request_t *req);
void page_download_retire(admin_request_t *req);
void page_download_edit(admin_request_t *req);
void page_invoices(admin_request_t *req);
void page_invoice_retry(admin_request_t *req);
void page_invoice_file(admin_request_t *req);
void page_invoice_correct(admin_request_t *req);

/* page_file.c: a stored file sent by nginx (X-Accel-Redirect) */
void admin_file_send(admin_request_t *req, const char *sha, const char *type,
    int attachment, const char *kind, const char *format, const char *name);

/* page_order.c: the order page's parts, which page_payment.c uses too */
typedef struct {
    const char  *can;               /* admin.order_actions' action */
    const char  *action;            /* the URL's, page_action.c */
    const char  *title;
    const char  *fields;            /* HTML, fixed */
    const char  *button;
} order_form_t;

void order_item(const char *id, const char *label, const char *value);
void order_time_item(const char *label, const char *value);
void order_files(PGresult *files, const char *order_id, int voucher);
void order_form(admin_request_t *req, PGresult *actions, const char *order_id,
    const order_form_t *form);

/* page_shipment.c: 物流状态, from a row of admin.order_shipment() (none:
 * nothing has left yet) */
void order_shipment(PGresult *sh);

/* page_refunds.c: 支付宝退款, whom the navigation shows it, its states */
int refunds_visible(const admin_request_t *req);
const char *refund_state_label(const char *state);

/* page_invoices.c: 发票 (the queue), whom the navigation shows it, and
 * what the order page's 电子发票 shares with it */
int invoices_visible(const admin_request_t *req);
const char *invoice_state_label(const char *state);
void invoice_state_cell(PGresult *res, int i);
void invoice_amount_cell(PGresult *res, int i);
int invoice_number(PGresult *res, int i, const char *email);
void invoice_retry_form(const admin_request_t *req, const char *id,
    const char *back);

/* page_order_invoice.c: 电子发票 on the order page, from
 * admin.order_invoices */
typedef struct {
    PGresult    *requests;          /* one row per request (one empty row
                                       if none), the order's summary on
                                       each, with its invoice */
    PGresult    *sends;             /* every send of every request */
} order_einvoice_t;

void order_einvoice_stmts(const char *const *params, admin_db_stmt_t *stmts);
void order_einvoice_section(admin_request_t *req, PGresult *o,
    const order_einvoice_t *inv);

/* page_payment.c: payments on the order page, and their actions' values */
typedef struct {
    PGresult    *attempts;          /* the order's Alipay attempts */
    PGresult    *payments;          /* and the payments Alipay reported */
} payment_alipay_t;

void payment_alipay_stmts(const char *const *order_id,
    admin_db_stmt_t *stmts);
void payment_section(PGresult *o, PGresult *files,
    const payment_alipay_t *alipay);
void payment_forms(admin_request_t *req, const char *order_id,
    PGresult *actions);
int payment_voucher_amount(admin_request_t *req, const char *back, char *buf,
    size_t size);

/*
 * page_password.c: the rule for staff passwords, shared by the pages and
 * the command line.  NULL if password (and again, when not NULL) passes,
 * else what is wrong, for people; never the password itself.
 */
#define ADMIN_PASSWORD_MIN   10     /* characters */
#define ADMIN_PASSWORD_MAX   128    /* characters, and bytes: see the rule */
#define ADMIN_PASSWORD_HINT  "10-128个字符，须同时包含字母和数字。"
const char *admin_password_rule(const char *password, const char *again);

/* command.c: what the commands share */
int admin_command_begin(const char *name, int argc, char **argv,
    void (*usage)(void), int *once, admin_config_t *conf, const char **file);
PGconn *admin_command_db(const char *name, const char *conninfo);

/*
 * upload.c: a multipart/form-data form with one file, read from stdin as it
 * comes (never whole in memory): its text fields become req->form (so that
 * admin_field() and the session's form token work on them), its file goes
 * to the store (lib/ch_store.h) as it streams.  The session (write, role)
 * is checked before a byte of the file is stored.
 */
#include "ch_store.h"
#include "ch_filename.h"

typedef struct {
    ch_store_t           store;     /* store.path, store.sha256, created */
    char                 file_name[CH_FILENAME_SAFE_MAX + 1];  /* cleaned */
    const char          *media_type;        /* ch_download_media_type() */
    unsigned long long   size;
    char                *text;      /* the text fields' names and values */
} admin_upload_t;

/* 0: read, session checked, file stored; -1: answered, nothing stored */
int admin_upload_read(admin_request_t *req, const char *role,
    admin_upload_t *up);
/* after the SQL call: refused (the stored file goes if it was new) or not */
void admin_upload_done(admin_request_t *req, admin_upload_t *up,
    int refused);

/*
 * Stores the file at path as a download would be (type by its name,
 * not empty, at most max bytes): 0, or -1 with why in err, for people.
 */
int admin_store_path(const char *storage, const char *path,
    unsigned long long max, admin_upload_t *up, char *err, size_t err_size);

/* commands */
int cmd_sms_send(int argc, char **argv);
int cmd_alipay_sync(int argc, char **argv);
int cmd_auto_confirm(int argc, char **argv);
int cmd_staff_add(int argc, char **argv);
int cmd_staff_password(int argc, char **argv);
int cmd_download_add(int argc, char **argv);
int cmd_invoice_send(int argc, char **argv);

#endif /* CERTHALL_ADMIN_H */
