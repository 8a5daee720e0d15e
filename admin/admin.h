/*
 * certhall-admin: the back office, run as CGI behind nginx (fcgiwrap), and
 * its command line for scheduled jobs.
 *
 * One file per page (page_*.c), the HTML helpers in html.c, one dispatch
 * in main.c.
 */

#ifndef CERTHALL_ADMIN_H
#define CERTHALL_ADMIN_H

#include <stddef.h>
#include <libpq-fe.h>

#define ADMIN_VERSION  "0.1.0"

typedef struct {
    char        *db;                /* libpq conninfo */
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

/* pages */
void page_home(admin_request_t *req);

#endif /* CERTHALL_ADMIN_H */
