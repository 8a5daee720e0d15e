/*
 * Declarations shared by the certhall module's files.
 */

#ifndef _NGX_HTTP_CERTHALL_H_INCLUDED_
#define _NGX_HTTP_CERTHALL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ch_alipay.h"
#include "ch_fields.h"
#include "ch_form.h"
#include "ch_route.h"
#include "ch_seal.h"
#include "ngx_http_certhall_db.h"


typedef ngx_int_t (*ngx_http_certhall_handler_pt)(ngx_http_request_t *r,
    ch_route_params_t *params);


/* certhall_alipay_*: Alipay's open platform (ngx_http_certhall_alipay*.c) */
typedef struct {
    ngx_str_t                      app_id;      /* NUL-terminated, all */
    ngx_str_t                      seller_id;
    ngx_str_t                      gateway;
    ngx_str_t                      notify_url;
    ngx_str_t                      return_url;
    ch_alipay_key_t               *private_key; /* the merchant's */
    ch_alipay_key_t               *public_key;  /* Alipay's */
    time_t                         timeout;     /* seconds */
    ngx_str_t                      thread_pool_name;
#if (NGX_THREADS)
    ngx_thread_pool_t             *thread_pool; /* signs there */
#endif
} ngx_http_certhall_alipay_conf_t;


typedef struct {
    ngx_http_certhall_db_conf_t    db;
    ngx_flag_t                     used;    /* a location says certhall */
    ngx_flag_t                     catalog_cache;

    ngx_uint_t                     password_iterations;
    ngx_str_t                      password_thread_pool_name;
#if (NGX_THREADS)
    ngx_thread_pool_t             *password_thread_pool;
#endif

    ngx_str_t                      realname_secret;     /* the bytes */
    ngx_str_t                      realname_app_id;
    ngx_str_t                      realname_url;

    ngx_str_t                      data_key;    /* CH_SEAL_KEY_LEN bytes */

    ngx_str_t                      storage;     /* absolute, no final / */
    ngx_str_t                      storage_uri; /* ends with / */
    ngx_path_t                    *upload_temp; /* storage/tmp */
    ngx_str_t                      upload_thread_pool_name;
#if (NGX_THREADS)
    ngx_thread_pool_t             *upload_thread_pool;
#endif

    ngx_str_t                      transfer_payee;  /* NUL-terminated */
    ngx_str_t                      transfer_bank;
    ngx_str_t                      transfer_account;

    ngx_http_certhall_alipay_conf_t  alipay;

    ngx_array_t                    locations;   /* of core loc confs */
} ngx_http_certhall_main_conf_t;


/*
 * The largest request body a location that says certhall must let through
 * to the module: an upload of the catalog's 2 MiB plus its multipart
 * framing.  The module bounds every body itself, with its own answers.
 */
#define NGX_HTTP_CERTHALL_UPLOAD_OVERHEAD  16384
#define NGX_HTTP_CERTHALL_BODY_MIN  (2 * 1024 * 1024                          \
                                     + NGX_HTTP_CERTHALL_UPLOAD_OVERHEAD)


/* a parsed form body (ngx_http_certhall_form.c) */
typedef struct {
    ch_form_field_t               *fields;
    size_t                         nfields;
    char                          *buf;     /* holds the decoded text */
    ngx_int_t                      refusal; /* what sending a refusal gave */
} ngx_http_certhall_form_t;

typedef ngx_int_t (*ngx_http_certhall_form_pt)(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);


/* a password to hash or check in the thread pool (_password.c) */
typedef struct ngx_http_certhall_password_s  ngx_http_certhall_password_t;

typedef ngx_int_t (*ngx_http_certhall_password_pt)(ngx_http_request_t *r,
    ngx_http_certhall_password_t *pw);

struct ngx_http_certhall_password_s {
    /* in */
    const char                    *password;    /* NUL-terminated */
    size_t                         len;
    const char                    *hash;        /* to check against */
    ngx_uint_t                     check;       /* else: make a hash */
    ngx_http_certhall_password_pt  done;        /* then, in the worker */
    void                          *data;

    /* out */
    ngx_uint_t                     match;
    ngx_uint_t                     failed;      /* OpenSSL failed */
    char                           made[128];   /* the new hash */

    /* private */
    ngx_uint_t                     iterations;
};


extern ngx_module_t  ngx_http_certhall_module;

/* the status a statement's done handler sends for a new row */
extern ngx_uint_t  ngx_http_certhall_created;

/* the entries of a form's field specification */
#define ngx_http_certhall_nfields(spec)  (sizeof(spec) / sizeof(spec[0]))


/*
 * The parameters every statement of the session starts with
 * (ngx_http_certhall_session_query()): $1 the session token and, for a
 * request that changes state, $2 the CSRF token.  The statement's own
 * follow from _READ_OWN for a read (GET, HEAD), from _WRITE_OWN for a
 * write; each handler names them in an enum next to the code that fills
 * them.
 */
enum {
    NGX_HTTP_CERTHALL_PARAM_SESSION = 0,
    NGX_HTTP_CERTHALL_PARAM_CSRF = 1,
    NGX_HTTP_CERTHALL_PARAM_READ_OWN = 1,
    NGX_HTTP_CERTHALL_PARAM_WRITE_OWN = 2
};


/* ngx_http_certhall_router.c */
ngx_int_t ngx_http_certhall_route(ngx_http_request_t *r);
ngx_int_t ngx_http_certhall_number_param(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_uint_t n, const char **id);

/* ngx_http_certhall_response.c */
ngx_int_t ngx_http_certhall_send_json(ngx_http_request_t *r,
    ngx_uint_t status, u_char *body, size_t len);
ngx_int_t ngx_http_certhall_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *field,
    const char *message);
ngx_int_t ngx_http_certhall_internal_error(ngx_http_request_t *r);
ngx_int_t ngx_http_certhall_invalid_field(ngx_http_request_t *r,
    const char *field, const char *message);
ngx_int_t ngx_http_certhall_send_page(ngx_http_request_t *r, u_char *page,
    size_t len);
ngx_int_t ngx_http_certhall_send_unavailable(ngx_http_request_t *r,
    const char *code, const char *message, time_t retry_after);
ngx_int_t ngx_http_certhall_send_retry_later(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message,
    time_t retry_after);

/* the module's per-request context */
typedef struct {
    ngx_http_certhall_form_pt      form_handler;
    ngx_http_certhall_password_t  *password;
    void                          *data;    /* the handler's own */
} ngx_http_certhall_ctx_t;


/* ngx_http_certhall_util.c: helpers the handlers share */
ngx_http_certhall_ctx_t *ngx_http_certhall_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_certhall_client_addr(ngx_http_request_t *r,
    const char **addr);
ngx_int_t ngx_http_certhall_user_agent(ngx_http_request_t *r,
    const char **agent);
long ngx_http_certhall_today(void);
ngx_int_t ngx_http_certhall_discard_internal_error(ngx_http_request_t *r);
ngx_int_t ngx_http_certhall_conf_read_file(ngx_conf_t *cf,
    ngx_str_t *file_name, size_t max, ngx_pool_t *pool, const char *what,
    ngx_str_t *content);

/* ngx_http_certhall_form.c */
ngx_int_t ngx_http_certhall_read_form(ngx_http_request_t *r,
    ngx_http_certhall_form_pt handler);
const char *ngx_http_certhall_form_value(ngx_http_certhall_form_t *form,
    const char *name);
ngx_int_t ngx_http_certhall_form_fields(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form, const ch_field_spec_t *spec,
    size_t nspec, ngx_uint_t strict, const char **values);
ngx_int_t ngx_http_certhall_read_args(ngx_http_request_t *r,
    ngx_http_certhall_form_t *form);

/* ngx_http_certhall_session.c: the session's cookie and CSRF token */
ngx_int_t ngx_http_certhall_session_token(ngx_http_request_t *r,
    const char **token);
ngx_int_t ngx_http_certhall_csrf_token(ngx_http_request_t *r,
    const char **token);
ngx_int_t ngx_http_certhall_same_origin(ngx_http_request_t *r);
ngx_int_t ngx_http_certhall_session_cookies(ngx_http_request_t *r,
    const char *token, const char *csrf);
ngx_int_t ngx_http_certhall_not_logged_in(ngx_http_request_t *r);
ngx_int_t ngx_http_certhall_session_answer(ngx_http_request_t *r,
    ngx_uint_t stmt);
ngx_http_certhall_db_query_t *ngx_http_certhall_session_query(
    ngx_http_request_t *r, ngx_uint_t stmt, ngx_int_t *rc);

/* ngx_http_certhall_answer.c */
ngx_int_t ngx_http_certhall_send_answer(ngx_http_request_t *r,
    PGresult *res);
ngx_int_t ngx_http_certhall_db_send_answer(ngx_http_request_t *r,
    PGresult *res, void *data);
ngx_int_t ngx_http_certhall_answer_status(ngx_http_request_t *r,
    PGresult *res);
ngx_int_t ngx_http_certhall_answer_go_on(ngx_http_request_t *r,
    PGresult *res);
const char *ngx_http_certhall_answer_value(PGresult *res, const char *name);

/* ngx_http_certhall_thread.c: work off the event loop */
typedef void (*ngx_http_certhall_thread_pt)(void *data, ngx_log_t *log);

#if (NGX_THREADS)
ngx_int_t ngx_http_certhall_thread_run(ngx_http_request_t *r,
    ngx_thread_pool_t *pool, ngx_http_certhall_thread_pt work, void *data,
    ngx_http_event_handler_pt resume);
#endif

/* ngx_http_certhall_password.c */
ngx_int_t ngx_http_certhall_password_start(ngx_http_request_t *r,
    ngx_http_certhall_password_t *pw);

/* ngx_http_certhall_account.c */
typedef struct {
    const char                     *phone;     /* normalised */
    const char                     *code_id;   /* the checked SMS code */
    const char                     *hash;      /* as stored, to check */
    ngx_uint_t                      finish;    /* statement after the hash */
    ngx_http_certhall_password_t    pw;
} ngx_http_certhall_account_ctx_t;

ngx_int_t ngx_http_certhall_sms_codes(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_accounts(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_password_reset(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_me(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_http_certhall_account_ctx_t *ngx_http_certhall_account_ctx(
    ngx_http_request_t *r, ngx_http_certhall_form_t *form,
    const ch_field_spec_t *spec, size_t nspec, const char **values,
    ngx_int_t *rc);
ngx_int_t ngx_http_certhall_account_run(ngx_http_request_t *r,
    ngx_http_certhall_db_query_t *q, ngx_uint_t n, ngx_uint_t user_agent);

/* ngx_http_certhall_login.c: POST and DELETE /api/session */
ngx_int_t ngx_http_certhall_login(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_logout(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_realname.c */
ngx_int_t ngx_http_certhall_me_realname(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_realname_callback(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_health.c */
ngx_int_t ngx_http_certhall_health(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_order.c */
#define NGX_HTTP_CERTHALL_ORDER_ID_LEN  20      /* UO + 18 digits */

/* the context of a handler of /api/orders/{id}/... that reads a form */
typedef struct {
    const char                     *order_id;
} ngx_http_certhall_order_ctx_t;

ngx_int_t ngx_http_certhall_certificates(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_orders(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_order(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_order_info(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_order_invoice(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_order_submit(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_order_cancel(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_order_confirm_receipt(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_order_resubmit(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_order_path.c: what the handlers of an order share */
ngx_int_t ngx_http_certhall_order_id(ngx_http_request_t *r,
    ch_route_params_t *params, const char **id);
ngx_int_t ngx_http_certhall_order_not_found(ngx_http_request_t *r);
ngx_int_t ngx_http_certhall_order_form(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_http_certhall_form_pt handler);
ngx_int_t ngx_http_certhall_order_call(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_uint_t stmt,
    ngx_http_certhall_db_done_pt done);
ngx_int_t ngx_http_certhall_order_sealed_call(ngx_http_request_t *r,
    ch_route_params_t *params, ngx_uint_t stmt,
    ngx_http_certhall_db_done_pt done);
ngx_int_t ngx_http_certhall_no_data_key(ngx_http_request_t *r);

/* ngx_http_certhall_payment.c */
ngx_int_t ngx_http_certhall_order_pay(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_alipay_conf.c: the directives and the keys */
char *ngx_http_certhall_alipay_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_certhall_alipay_text(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_certhall_alipay_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_certhall_alipay_create_conf(ngx_http_certhall_alipay_conf_t *acf);
char *ngx_http_certhall_alipay_init_conf(ngx_conf_t *cf,
    ngx_http_certhall_alipay_conf_t *acf);

/* ngx_http_certhall_alipay.c: paying by Alipay */
ngx_int_t ngx_http_certhall_alipay_pay(ngx_http_request_t *r,
    const char *order_id, const char *channel);

/* ngx_http_certhall_alipay_notify.c: POST /api/alipay/notify */
ngx_int_t ngx_http_certhall_alipay_notify(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_appform.c */
ngx_int_t ngx_http_certhall_application_form(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_prefill.c */
ngx_int_t ngx_http_certhall_order_prefill(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_lists.c */
ngx_int_t ngx_http_certhall_addresses(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_address(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_invoice_titles(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_invoice_title(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_messages(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_applications(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_message_read(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_messages_read_all(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_pickup_points(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_material.c: GET, POST (an upload), DELETE */
ngx_int_t ngx_http_certhall_material(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_upload.c */
ngx_int_t ngx_http_certhall_voucher(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_storage.c: the uploads' files */
char *ngx_http_certhall_storage(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_certhall_storage_uri(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_certhall_storage_init_conf(ngx_conf_t *cf,
    ngx_http_certhall_main_conf_t *mcf);
ngx_int_t ngx_http_certhall_upload_init_process(ngx_cycle_t *cycle,
    ngx_http_certhall_main_conf_t *mcf);
void ngx_http_certhall_upload_exit_process(ngx_cycle_t *cycle);

/* ngx_http_certhall_storage_send.c: a stored file, sent by nginx */
typedef struct {
    const char                     *sha256;
    const char                     *media_type;
    ngx_keyval_t                   *headers;    /* added to the answer */
    ngx_uint_t                      nheaders;
    const char                     *what;       /* names it in the log */
    const char                     *code;       /* the 503's if it is gone */
    const char                     *message;

    /* private */
    u_char                         *path;       /* DIR/ab/<sha256> */
    ngx_err_t                       err;        /* of stat(), in the thread */
    ngx_uint_t                      not_file;
} ngx_http_certhall_stored_t;

ngx_int_t ngx_http_certhall_storage_send(ngx_http_request_t *r,
    const char *sha256, const char *media_type, ngx_keyval_t *headers,
    ngx_uint_t n);
ngx_int_t ngx_http_certhall_storage_send_checked(ngx_http_request_t *r,
    ngx_http_certhall_stored_t *f);
ngx_uint_t ngx_http_certhall_storage_name(u_char *name, size_t len);
ngx_int_t ngx_http_certhall_storage_filter_init(ngx_conf_t *cf);

/* ngx_http_certhall_invoice.c: the applicant's e-invoice (电子发票) */
ngx_int_t ngx_http_certhall_order_invoice_request(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_order_invoice_file(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_download.c: the download centre (下载中心) */
ngx_int_t ngx_http_certhall_downloads(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_download(ngx_http_request_t *r,
    ch_route_params_t *params);

/* ngx_http_certhall_catalog.c */
ngx_int_t ngx_http_certhall_projects(ngx_http_request_t *r,
    ch_route_params_t *params);
ngx_int_t ngx_http_certhall_agreement(ngx_http_request_t *r,
    ch_route_params_t *params);


#endif /* _NGX_HTTP_CERTHALL_H_INCLUDED_ */
