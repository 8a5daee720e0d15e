/*
 * An upload between its files: the upload (ngx_http_certhall_upload.c)
 * asks the database, has the file checked and records it; its body
 * (ngx_http_certhall_upload_body.c) fills it as it comes; the storage
 * (ngx_http_certhall_storage.c) keeps its temporary file and puts the
 * checked file into the content-addressed store, the materials' handler
 * (ngx_http_certhall_material.c) hands a POST to it.
 */

#ifndef _NGX_HTTP_CERTHALL_UPLOAD_H_INCLUDED_
#define _NGX_HTTP_CERTHALL_UPLOAD_H_INCLUDED_


#include "ngx_http_certhall.h"
#include "ch_filecheck.h"
#include "ch_multipart.h"
#include "ngx_http_certhall_db.h"

#include <openssl/evp.h>


/* nginx 1.22 names no 422 */
#define NGX_HTTP_CERTHALL_UNPROCESSABLE  422

/*
 * 507 Insufficient Storage (RFC 4918): the storage's filesystem is full.
 * Not 503: the hall is up and every request but an upload works; 507
 * says which resource ran out, to the client and in the access log.
 */
#define NGX_HTTP_CERTHALL_INSUFFICIENT_STORAGE  507

/*
 * The Retry-After of 507 storage_full (seconds): room comes back when an
 * operator makes it, not by itself in a second; a minute keeps a client
 * that retries from trying once a second against a full disk
 */
#define NGX_HTTP_CERTHALL_STORAGE_FULL_RETRY    60


typedef struct {
    ngx_http_request_t            *request;

    /*
     * In the worker's list of live temporary files while "queued": a plain
     * field, not one of the bit-fields below, which the thread writes.
     */
    ngx_queue_t                    queue;
    ngx_uint_t                     queued;

    /* what is uploaded where */
    const char                    *order_id;
    const char                    *kind;

    /* what the database allows */
    off_t                          max_bytes;
    ngx_uint_t                     color_required;
    char                          *formats;     /* "jpg,bmp,png,pdf" */

    /* the body */
    ch_multipart_t                *mp;
    ngx_uint_t                     in_file;     /* inside the file part */
    ngx_uint_t                     seen_file;
    ngx_uint_t                     body_done;   /* its last byte was read */
    u_char                         sniff[CH_FILE_SNIFF_LEN];
    size_t                         nsniff;
    ch_file_type_e                 type;
    off_t                          size;
    EVP_MD_CTX                    *sha;
    char                           name[CH_FILENAME_SAFE_MAX + 1];

    /*
     * A refusal decided inside a parser callback; a NULL code is a 500
     * internal_error (ngx_http_certhall_upload_refused())
     */
    ngx_uint_t                     status;
    const char                    *code;
    const char                    *message;

    /* the files (ngx_http_certhall_storage.c) */
    ngx_file_t                     tmp;         /* made by ngx_create_temp_file */
    char                          *dir_path;    /* DIR/ab */
    char                          *final_path;  /* DIR/ab/<sha256> */
    char                           sha256[2 * 32 + 1];
    unsigned                       tmp_live:1;
    unsigned                       created:1;   /* final_path is ours */
    unsigned                       committed:1;
    /* the row's statement broke off, outcome unknown: the file stays */
    unsigned                       maybe_committed:1;
    ngx_http_certhall_db_query_t  *commit;      /* the row's statement */

    /*
     * The stored file held under flock() from the moment it is in place
     * until the row's statement has ended (ngx_http_certhall_storage_link):
     * LOCK_EX if this upload created it (a dup of the temporary file's
     * descriptor, whose lock it shares), LOCK_SH if it found it there.
     * -1: none.
     */
    int                            held_fd;

    /*
     * A failure of the storage (the thread's, or the temporary file's
     * while the body comes): the error and what failed ("pwrite()")
     */
    ch_check_e                     check;
    ch_file_info_t                 info;
    ngx_err_t                      err;
    const char                    *failed_op;
    const char                    *failed_path; /* NULL: the temporary file */
} ngx_http_certhall_upload_t;


/* ngx_http_certhall_upload.c: POST of a material, steps 1, 3 and 4 */
ngx_int_t ngx_http_certhall_upload(ngx_http_request_t *r,
    ch_route_params_t *params, const char *kind);
ngx_int_t ngx_http_certhall_upload_store(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u);
ngx_int_t ngx_http_certhall_upload_error(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u, ngx_uint_t status, const char *code,
    const char *message);
ngx_int_t ngx_http_certhall_upload_failed(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u);
ngx_int_t ngx_http_certhall_upload_storage_error(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u);

/* ngx_http_certhall_upload_body.c: step 2, the body */
ngx_int_t ngx_http_certhall_upload_body_init(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u, ngx_str_t *type);
void ngx_http_certhall_upload_body_start(ngx_http_request_t *r);
const char *ngx_http_certhall_upload_too_large(ngx_http_request_t *r,
    ngx_http_certhall_upload_t *u);

/* ngx_http_certhall_storage.c */
ngx_int_t ngx_http_certhall_storage_open(ngx_http_certhall_upload_t *u);
ngx_int_t ngx_http_certhall_storage_write(ngx_http_certhall_upload_t *u,
    const u_char *p, size_t n);
ngx_uint_t ngx_http_certhall_storage_full(ngx_err_t err);
ngx_int_t ngx_http_certhall_storage_paths(ngx_http_certhall_upload_t *u);
void ngx_http_certhall_storage_link(ngx_http_certhall_upload_t *u);
void ngx_http_certhall_storage_close(ngx_http_certhall_upload_t *u);
void ngx_http_certhall_storage_forget(ngx_http_certhall_upload_t *u);
void ngx_http_certhall_storage_remove(ngx_http_certhall_upload_t *u);
void ngx_http_certhall_storage_release(ngx_http_certhall_upload_t *u);


#endif /* _NGX_HTTP_CERTHALL_UPLOAD_H_INCLUDED_ */
