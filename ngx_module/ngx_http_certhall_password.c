/*
 * Password hashing off the event loop.  One PBKDF2 hash at OWASP's
 * iteration count takes about 0.1 s of CPU: computed in the worker it
 * would stall every other request of that worker.  It runs in the thread
 * pool named by certhall_password_thread_pool instead
 * (ngx_http_certhall_thread.c), and the request goes on in the worker when
 * it is done.
 */

#include "ngx_http_certhall.h"
#include "ch_password.h"


#if (NGX_THREADS)

static void ngx_http_certhall_password_thread(void *data, ngx_log_t *log);
static void ngx_http_certhall_password_resume(ngx_http_request_t *r);


/*
 * Hashes pw->password (pw->check == 0) or checks it against pw->hash, then
 * calls pw->done in the worker.  Returns NGX_DONE, or a status to answer
 * with now.
 */

ngx_int_t
ngx_http_certhall_password_start(ngx_http_request_t *r,
    ngx_http_certhall_password_t *pw)
{
    ngx_int_t                       rc;
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    ctx = ngx_http_certhall_get_ctx(r);
    if (ctx == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    pw->iterations = mcf->password_iterations;
    ctx->password = pw;

    rc = ngx_http_certhall_thread_run(r, mcf->password_thread_pool,
                                      ngx_http_certhall_password_thread, pw,
                                      ngx_http_certhall_password_resume);

    if (rc == NGX_DECLINED) {
        /* the pool's queue is full: nginx has logged it */
        return ngx_http_certhall_server_busy(r);
    }

    if (rc != NGX_DONE) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall password: %s in the thread pool",
                   pw->check ? "check" : "hash");

    return NGX_DONE;
}


/* in a thread of the pool: nothing of nginx but the log may be touched */

static void
ngx_http_certhall_password_thread(void *data, ngx_log_t *log)
{
    ngx_http_certhall_password_t  *pw = data;

    ch_password_result_e  rc;

    if (pw->check) {
        rc = ch_password_verify(pw->password, pw->len, pw->hash,
                                pw->iterations);

        pw->match = (rc == CH_PASSWORD_MATCH);
        pw->failed = (rc == CH_PASSWORD_ERROR);

    } else {
        pw->failed = ch_password_hash(pw->password, pw->len, pw->iterations,
                                      pw->made) != 0;
    }

    /* the password is not needed any more: not left in the pool's memory */
    ngx_explicit_memzero((void *) pw->password, pw->len);
}


/* back in the worker */

static void
ngx_http_certhall_password_resume(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_certhall_ctx_t       *ctx;
    ngx_http_certhall_password_t  *pw;

    r->write_event_handler = ngx_http_request_empty_handler;

    ctx = ngx_http_get_module_ctx(r, ngx_http_certhall_module);
    pw = ctx->password;
    ctx->password = NULL;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall password: %s done, match: %ui",
                   pw->check ? "check" : "hash", pw->match);

    if (pw->failed) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "certhall: password hashing failed in OpenSSL");
        rc = ngx_http_certhall_internal_error(r);

    } else {
        rc = pw->done(r, pw);
    }

    ngx_http_finalize_request(r, rc);
}

#endif
