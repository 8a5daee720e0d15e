/*
 * Work that must not run in a worker's event loop (a password hash, the
 * decoding of an uploaded scan: tens of milliseconds of CPU, disk waits)
 * runs in an nginx thread pool, and the request goes on in the worker
 * when it is done.
 *
 * While the task runs the request is "blocked" (r->main->blocked), which
 * keeps nginx from freeing it under the thread even if the client goes
 * away.  The completion hands control back through r->write_event_handler,
 * as nginx's own thread tasks do: a request terminated meanwhile (nginx
 * then set a handler of its own) is finalized rather than continued, and a
 * write event that comes before the task is done (an epoll edge on the
 * connection) finds a handler that waits.
 *
 * While the task runs a timer that is not cancelable is also set: a worker
 * told to exit gracefully (a reload, a binary upgrade's WINCH or QUIT)
 * leaves as soon as it has no such timer, and a request waiting for its
 * thread has none of nginx's own (its body is read, nothing is being
 * sent).  Without it the old worker exited under an upload whose file the
 * thread had just stored: no answer, no row, a file without its row.
 */

#include "ngx_http_certhall.h"


#if (NGX_THREADS)

typedef struct {
    ngx_http_request_t             *request;
    ngx_http_event_handler_pt       resume;
    ngx_event_t                     hold;   /* the worker stays for the task */
} ngx_http_certhall_thread_t;


/*
 * How often the hold timer fires while a task runs (it only sets itself
 * again): its length does not matter, only that it is there
 */
#define NGX_HTTP_CERTHALL_THREAD_HOLD  60000


static void ngx_http_certhall_thread_done(ngx_event_t *ev);
static void ngx_http_certhall_thread_hold(ngx_event_t *ev);
static void ngx_http_certhall_thread_wait(ngx_http_request_t *r);


/*
 * Runs work(data, log) in pool, then resume(r) in the worker.  Returns
 * NGX_DONE (the caller's handler returns it: the request is counted
 * until resume finalizes it), or NGX_DECLINED when the pool's queue is
 * full (nginx has logged it), or NGX_ERROR.
 */

ngx_int_t
ngx_http_certhall_thread_run(ngx_http_request_t *r, ngx_thread_pool_t *pool,
    ngx_http_certhall_thread_pt work, void *data,
    ngx_http_event_handler_pt resume)
{
    ngx_thread_task_t           *task;
    ngx_http_certhall_thread_t  *t;

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_certhall_thread_t));
    if (task == NULL) {
        return NGX_ERROR;
    }

    t = task->ctx;
    t->request = r;
    t->resume = resume;

    task->ctx = data;
    task->handler = work;
    task->event.data = t;
    task->event.handler = ngx_http_certhall_thread_done;

    if (ngx_thread_task_post(pool, task) != NGX_OK) {
        return NGX_DECLINED;
    }

    r->main->blocked++;
    r->main->count++;
    r->write_event_handler = ngx_http_certhall_thread_wait;

    /* zeroed by ngx_thread_task_alloc(): not cancelable */
    t->hold.handler = ngx_http_certhall_thread_hold;
    t->hold.data = t;
    t->hold.log = r->connection->log;
    ngx_add_timer(&t->hold, NGX_HTTP_CERTHALL_THREAD_HOLD);

    return NGX_DONE;
}


static void
ngx_http_certhall_thread_hold(ngx_event_t *ev)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "certhall: a thread task still runs");

    ngx_add_timer(ev, NGX_HTTP_CERTHALL_THREAD_HOLD);
}


/* back in the worker */

static void
ngx_http_certhall_thread_done(ngx_event_t *ev)
{
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_certhall_thread_t  *t;

    t = ev->data;
    r = t->request;
    c = r->connection;

    r->main->blocked--;

    if (t->hold.timer_set) {
        ngx_del_timer(&t->hold);
    }

    if (r->write_event_handler == ngx_http_certhall_thread_wait) {
        r->write_event_handler = t->resume;
    }

    r->write_event_handler(r);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_certhall_thread_wait(ngx_http_request_t *r)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "certhall: write event while a thread task runs");
}

#endif
