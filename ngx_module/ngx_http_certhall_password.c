/*
 * Password hashing off the event loop.  One PBKDF2 hash at OWASP's
 * iteration count takes about 0.1 s of CPU: computed in the worker it
 * would stall every other request of that worker.  It runs in the thread
 * pool named by certhall_password_thread_pool instead, and the request
 * goes on in the worker when it is done.
 *
 * While the task runs the request is "blocked" (r->main->blocked), which
 * keeps nginx from freeing it under the thread even if the client goes
 * away; the completion then hands control back through
 * r->write_event_handler, as nginx's own thread tasks do, so a request
 * terminated meanwhile is finalized rather than continued.
 */

#include "ngx_http_certhall.h"
#include "ch_password.h"


#if (NGX_THREADS)

static void ngx_http_certhall_password_thread(void *data, ngx_log_t *log);
static void ngx_http_certhall_password_event(ngx_event_t *ev);
static void ngx_http_certhall_password_wait(ngx_http_request_t *r);
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
    ngx_thread_task_t              *task;
    ngx_http_certhall_ctx_t        *ctx;
    ngx_http_certhall_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    ctx = ngx_http_certhall_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    task = ngx_thread_task_alloc(r->pool, 0);
    if (task == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pw->request = r;
    pw->iterations = mcf->password_iterations;
    ctx->password = pw;

    task->ctx = pw;
    task->handler = ngx_http_certhall_password_thread;
    task->event.data = pw;
    task->event.handler = ngx_http_certhall_password_event;

    if (ngx_thread_task_post(mcf->password_thread_pool, task) != NGX_OK) {
        /* the pool's queue is full: nginx has logged it */
        return ngx_http_certhall_send_unavailable(r, "server_busy",
                                                  "服务繁忙，请稍后再试", 1);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall password: %s in the thread pool",
                   pw->check ? "check" : "hash");

    r->main->blocked++;
    r->main->count++;
    r->write_event_handler = ngx_http_certhall_password_wait;

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
}


/* back in the worker */

static void
ngx_http_certhall_password_event(ngx_event_t *ev)
{
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_certhall_password_t  *pw;

    pw = ev->data;
    r = pw->request;
    c = r->connection;

    /* the password is not needed any more: not left in the pool's memory */
    ngx_explicit_memzero((void *) pw->password, pw->len);

    r->main->blocked--;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "certhall password: %s done, match: %ui",
                   pw->check ? "check" : "hash", pw->match);

    /* not terminated meanwhile (nginx then set a handler of its own) */
    if (r->write_event_handler == ngx_http_certhall_password_wait) {
        r->write_event_handler = ngx_http_certhall_password_resume;
    }

    r->write_event_handler(r);

    ngx_http_run_posted_requests(c);
}


/*
 * While the hash is computed: a write event on the connection (an epoll
 * edge) must not go on without the result.
 */

static void
ngx_http_certhall_password_wait(ngx_http_request_t *r)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall password: write event while hashing");
}


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

    if (pw->failed) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "certhall: password hashing failed in OpenSSL");
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

    } else {
        rc = pw->done(r, pw);
    }

    ngx_http_finalize_request(r, rc);
}

#endif
