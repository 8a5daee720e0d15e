/*
 * certhall-admin: the back office, run as CGI behind nginx (fcgiwrap), and
 * its command line for scheduled jobs.
 *
 * One file per page (page_*.c) and per command (cmd_*.c), the HTML helpers
 * in html.c, one dispatch in main.c.
 */

#ifndef CERTHALL_ADMIN_H
#define CERTHALL_ADMIN_H

#include <stddef.h>
#include <libpq-fe.h>

#define ADMIN_VERSION  "0.1.0"

typedef struct {
    char        *db;                /* libpq conninfo */
    char        *sms_gateway_url;   /* http:// or https://, or NULL */
    char        *sms_gateway_token_file;    /* the bearer token, or NULL */
} admin_config_t;

typedef struct {
    const char  *method;            /* REQUEST_METHOD */
    const char  *path;              /* path below /admin, "/" for the home */
    const char  *query;             /* QUERY_STRING, never NULL */
    admin_config_t  config;
} admin_request_t;

/* config.c */
int admin_config_load(admin_config_t *conf, const char *path, char *err,
    size_t err_size);
void admin_config_free(admin_config_t *conf);
int admin_secret_read(const char *path, char **secret, char *err,
    size_t err_size);
void admin_secret_free(char *secret);

/* db.c */
PGconn *admin_db_connect(admin_request_t *req);

/* html.c */
void html_raw(const char *s);
void html_txt(const char *s);
void html_attr(const char *s);
void html_headers(int status, const char *reason);
void html_page_begin(const char *title);
void html_page_end(void);
void html_error_page(int status, const char *reason, const char *message);

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
void http_response_free(http_response_t *res);

/* pages */
void page_home(admin_request_t *req);

/* commands */
int cmd_sms_send(int argc, char **argv);

#endif /* CERTHALL_ADMIN_H */
