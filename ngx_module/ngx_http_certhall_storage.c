/*
 * The storage of uploaded files (certhall_storage DIR, and
 * certhall_storage_uri, whose directives are read here): the temporary file
 * an upload is written to as its body comes, the content-addressed store
 * DIR/ab/<sha256> a checked file is linked into, and the removal of what
 * an upload made and no row holds.
 *
 * Temporary files are nginx's own (ngx_create_temp_file()) in DIR/tmp, an
 * ngx_path_t that nginx creates at its start like client_body_temp_path,
 * named DIR/tmp/upload.<ten digits>, and each is held under an exclusive
 * flock() by the worker writing it for as long as it is open.  A worker
 * keeps the list of its uploads whose temporary file exists, so that a
 * worker exiting with uploads under way removes their files; a worker's
 * start removes those of workers that are gone (killed with SIGKILL, a
 * crash): the kernel drops a dead process's locks, so a file nobody holds
 * is nobody's, however recently it was written.
 */

#include "ngx_http_certhall_upload.h"

#include <sys/file.h>


/*
 * The names of temporary files, all made by this module only: today's,
 * ngx_create_temp_file()'s ten decimal digits after the prefix "upload.",
 * each held under flock() by its worker; and two older ones no lock
 * vouches for, which a killed worker of those versions may have left, or
 * whose old worker still writes during a binary upgrade from them: the
 * ten digits alone, and, before the module used nginx's temporary files,
 * 16 random bytes in lower-case hex
 */
#define NGX_HTTP_CERTHALL_TMP_PREFIX        "upload"
#define NGX_HTTP_CERTHALL_TMP_DIGITS        10
#define NGX_HTTP_CERTHALL_TMP_NAME_LEN                                       \
    (sizeof(NGX_HTTP_CERTHALL_TMP_PREFIX ".") - 1 + NGX_HTTP_CERTHALL_TMP_DIGITS)
#define NGX_HTTP_CERTHALL_TMP_OLD_NAME_LEN  32

typedef enum {
    NGX_HTTP_CERTHALL_TMP_NOT_OURS = 0,
    NGX_HTTP_CERTHALL_TMP_LOCKED,     /* upload.<digits>: flock() says */
    NGX_HTTP_CERTHALL_TMP_UNLOCKED    /* older names: only the age says */
} ngx_http_certhall_tmp_name_e;

/*
 * The least time (seconds) a temporary file of an older name must have
 * gone unwritten before a worker's start removes it
 * (ngx_http_certhall_storage_stale)
 */
#define NGX_HTTP_CERTHALL_TMP_STALE         3600

/*
 * How often (ms) an upload that found its stored file held by its creator
 * looks again, in its thread (ngx_http_certhall_storage_link)
 */
#define NGX_HTTP_CERTHALL_HOLD_POLL         10

/* tries at a temporary file a sweep did not take from under us */
#define NGX_HTTP_CERTHALL_TMP_TRIES         4


static void ngx_http_certhall_storage_stale(ngx_cycle_t *cycle,
    ngx_http_certhall_main_conf_t *mcf);
static ngx_int_t ngx_http_certhall_storage_dead(ngx_cycle_t *cycle,
    u_char *path);
static ngx_http_certhall_tmp_name_e ngx_http_certhall_storage_tmp_name(
    u_char *name, size_t len);
static ngx_int_t ngx_http_certhall_storage_hold(ngx_http_certhall_upload_t *u);


/*
 * The uploads of this worker whose temporary file exists.  A worker that
 * exits at once (SIGTERM, or SIGQUIT without a master process) never runs
 * its requests' pool cleanups, so its exit_process hook removes these.
 * Initialised here, not at init_process: the hook must find an empty list
 * even when init_process left early.
 */
static ngx_queue_t  ngx_http_certhall_uploads = {
    &ngx_http_certhall_uploads, &ngx_http_certhall_uploads
};


/*
 * DIR/tmp as an ngx_path_t without levels (a file's name is all a sweep
 * and the tests look at): nginx creates it, owned by its "user", when it
 * starts or reloads, as it does its own temporary paths.
 */

char *
ngx_http_certhall_storage_init_conf(ngx_conf_t *cf,
    ngx_http_certhall_main_conf_t *mcf)
{
    u_char           *p;
    ngx_path_init_t   init;

    if (mcf->storage.len == 0) {
        return NGX_CONF_OK;
    }

    p = ngx_pnalloc(cf->pool, mcf->storage.len + sizeof("/tmp"));
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    /* NUL-terminated: nginx makes the directory with the name's bytes */

    init.name.data = p;
    init.name.len = ngx_sprintf(p, "%V/tmp%Z", &mcf->storage) - p - 1;
    ngx_memzero(init.level, sizeof(init.level));

    return ngx_conf_merge_path_value(cf, &mcf->upload_temp, NULL, &init);
}


/* a worker starts: what a killed one left goes */

ngx_int_t
ngx_http_certhall_upload_init_process(ngx_cycle_t *cycle,
    ngx_http_certhall_main_conf_t *mcf)
{
    if (mcf->upload_temp == NULL) {
        return NGX_OK;
    }

    ngx_http_certhall_storage_stale(cycle, mcf);

    return NGX_OK;
}


/*
 * The temporary files no worker will remove: those of a worker killed
 * (SIGKILL, a crash) or of a machine that stopped during an upload.  Each
 * worker's start removes them, so that none stays for ever: the master
 * starts a new worker at once for one that died, so a killed worker's
 * files go as soon as it is replaced.  A failure is logged and the worker
 * starts anyway.  Only the module's own names
 * (ngx_http_certhall_storage_tmp_name), only regular files.
 *
 * A file of today's name is removed when no process holds its flock()
 * (ngx_http_certhall_storage_dead): its worker holds it from the file's
 * creation until it closes it, and the kernel drops it when the worker
 * dies, so the file of an upload another worker still serves (a reload
 * or a binary upgrade starts new workers while the old ones finish
 * theirs) is never taken, however slow its client.
 *
 * A file of an older name has no lock to ask: it is removed when it has
 * not been written for longer than a live upload can leave it so.  Its
 * file is written as each piece of the body comes, and nginx ends a
 * request whose client sends nothing for client_body_timeout; after the
 * last piece only the checks in the thread pool (milliseconds) come
 * before the name is linked into place and removed.  So the bound is an
 * hour, or twice the longest client_body_timeout of the module's
 * locations if that is longer: far beyond both.
 */

static void
ngx_http_certhall_storage_stale(ngx_cycle_t *cycle,
    ngx_http_certhall_main_conf_t *mcf)
{
    u_char                     *name, *path, *p;
    size_t                      len;
    time_t                      stale;
    ngx_err_t                   err;
    ngx_str_t                  *dname;
    ngx_dir_t                   dir;
    ngx_uint_t                  i;
    ngx_http_core_loc_conf_t  **clcfp;
    ngx_http_certhall_tmp_name_e  kind;

    stale = NGX_HTTP_CERTHALL_TMP_STALE;
    clcfp = mcf->locations.elts;

    for (i = 0; i < mcf->locations.nelts; i++) {
        stale = ngx_max(stale,
                        (time_t) (2 * (clcfp[i]->client_body_timeout / 1000)));
    }

    dname = &mcf->upload_temp->name;

    path = ngx_pnalloc(cycle->pool,
                       dname->len + 1 + NGX_HTTP_CERTHALL_TMP_OLD_NAME_LEN + 1);
    if (path == NULL) {
        return;
    }

    if (ngx_open_dir(dname, &dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_errno,
                      ngx_open_dir_n " \"%V\" failed", dname);
        return;
    }

    for ( ;; ) {
        ngx_set_errno(0);

        if (ngx_read_dir(&dir) == NGX_ERROR) {
            err = ngx_errno;

            if (err != NGX_ENOMOREFILES) {
                ngx_log_error(NGX_LOG_ERR, cycle->log, err,
                              ngx_read_dir_n " \"%V\" failed", dname);
            }

            break;
        }

        name = ngx_de_name(&dir);
        len = ngx_de_namelen(&dir);

        kind = ngx_http_certhall_storage_tmp_name(name, len);

        if (kind == NGX_HTTP_CERTHALL_TMP_NOT_OURS) {
            continue;
        }

        p = ngx_sprintf(path, "%V/", dname);
        *ngx_cpymem(p, name, len) = '\0';

        if (kind == NGX_HTTP_CERTHALL_TMP_LOCKED) {
            if (ngx_http_certhall_storage_dead(cycle, path) == NGX_OK) {
                ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                              "certhall: temporary file \"%s\" removed: "
                              "its worker is gone", path);
            }

            continue;
        }

        if (ngx_de_link_info(path, &dir) == NGX_FILE_ERROR) {
            /* another worker starting may have removed it */

            if (ngx_errno != NGX_ENOENT) {
                ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_errno,
                              ngx_de_link_info_n " \"%s\" failed", path);
            }

            continue;
        }

        if (!ngx_de_is_file(&dir)
            || ngx_de_mtime(&dir) > ngx_time() - stale)
        {
            continue;
        }

        if (ngx_delete_file(path) == NGX_FILE_ERROR) {
            if (ngx_errno != NGX_ENOENT) {
                ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                              ngx_delete_file_n " \"%s\" failed", path);
            }

            continue;
        }

        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "certhall: stale temporary file \"%s\" removed: "
                      "not written for over %T s, no upload's",
                      path, stale);
    }

    if (ngx_close_dir(&dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      ngx_close_dir_n " \"%V\" failed", dname);
    }
}


/*
 * Removes the temporary file at path if no process holds its lock: NGX_OK
 * if it was removed, NGX_DECLINED if it is live or already gone.
 *
 * The lock is taken before the name is removed and held while it is, so
 * the creator, which locks its new file at once and checks that it still
 * has a name (ngx_http_certhall_storage_hold), either keeps its file or
 * learns it lost it and makes another.  The name is removed only while it
 * still names the locked file: another sweep may have removed it and a new
 * upload taken the same name since.
 */

static ngx_int_t
ngx_http_certhall_storage_dead(ngx_cycle_t *cycle, u_char *path)
{
    int              fd;
    ngx_int_t        rc;
    struct stat      held, named;

    fd = open((char *) path, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC);

    if (fd == -1) {
        if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_errno,
                          "open() \"%s\" failed", path);
        }

        return NGX_DECLINED;
    }

    rc = NGX_DECLINED;

    if (flock(fd, LOCK_EX|LOCK_NB) == -1) {
        /* EWOULDBLOCK: a live upload's */

        if (ngx_errno != NGX_EAGAIN) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_errno,
                          "flock() \"%s\" failed", path);
        }

        goto done;
    }

    if (fstat(fd, &held) == -1 || lstat((char *) path, &named) == -1) {
        if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_errno,
                          "stat() \"%s\" failed", path);
        }

        goto done;
    }

    if (!S_ISREG(held.st_mode) || held.st_nlink == 0
        || held.st_dev != named.st_dev || held.st_ino != named.st_ino)
    {
        goto done;
    }

    if (ngx_delete_file(path) == NGX_FILE_ERROR) {
        if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                          ngx_delete_file_n " \"%s\" failed", path);
        }

        goto done;
    }

    rc = NGX_OK;

done:

    /* the lock goes with the descriptor */

    if (close(fd) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "close() \"%s\" failed", path);
    }

    return rc;
}


/* a name of the module's temporary files: nothing else in tmp/ is touched */

static ngx_http_certhall_tmp_name_e
ngx_http_certhall_storage_tmp_name(u_char *name, size_t len)
{
    size_t  i, plen;

    plen = sizeof(NGX_HTTP_CERTHALL_TMP_PREFIX ".") - 1;

    if (len == NGX_HTTP_CERTHALL_TMP_NAME_LEN
        && ngx_strncmp(name, NGX_HTTP_CERTHALL_TMP_PREFIX ".", plen) == 0)
    {
        for (i = plen; i < len; i++) {
            if (name[i] < '0' || name[i] > '9') {
                return NGX_HTTP_CERTHALL_TMP_NOT_OURS;
            }
        }

        return NGX_HTTP_CERTHALL_TMP_LOCKED;
    }

    if (len == NGX_HTTP_CERTHALL_TMP_DIGITS) {
        for (i = 0; i < len; i++) {
            if (name[i] < '0' || name[i] > '9') {
                return NGX_HTTP_CERTHALL_TMP_NOT_OURS;
            }
        }

        return NGX_HTTP_CERTHALL_TMP_UNLOCKED;
    }

    if (len == NGX_HTTP_CERTHALL_TMP_OLD_NAME_LEN) {
        for (i = 0; i < len; i++) {
            if (!((name[i] >= '0' && name[i] <= '9')
                  || (name[i] >= 'a' && name[i] <= 'f')))
            {
                return NGX_HTTP_CERTHALL_TMP_NOT_OURS;
            }
        }

        return NGX_HTTP_CERTHALL_TMP_UNLOCKED;
    }

    return NGX_HTTP_CERTHALL_TMP_NOT_OURS;
}


/*
 * The worker exits with uploads under way: their temporary files are
 * removed, since their requests' pool cleanups will never run.  The thread
 * pools are gone by now (ngx_thread_pool_module is a core module, whose
 * exit_process hook runs before this one and waits for each thread), so no
 * thread still works on one of these files.  A stored file an upload
 * created whose row is not known to be written is kept: the statement may
 * have committed, and an orphan is harmless where a row without its file
 * is not.
 */

void
ngx_http_certhall_upload_exit_process(ngx_cycle_t *cycle)
{
    ngx_queue_t                 *q;
    ngx_http_certhall_upload_t  *u;

    while (!ngx_queue_empty(&ngx_http_certhall_uploads)) {
        q = ngx_queue_head(&ngx_http_certhall_uploads);
        u = ngx_queue_data(q, ngx_http_certhall_upload_t, queue);

        ngx_http_certhall_storage_forget(u);

        /* closed directly: the request's pool, and its cleanups, stay */

        if (u->tmp.fd != NGX_INVALID_FILE) {
            ngx_close_file(u->tmp.fd);
            u->tmp.fd = NGX_INVALID_FILE;
        }

        /* a stored file kept (its row's outcome unknown) is let go */
        if (u->held_fd != -1) {
            (void) close(u->held_fd);
            u->held_fd = -1;
        }

        /* its digest is OpenSSL's memory, not the pool's */

        if (u->sha) {
            EVP_MD_CTX_free(u->sha);
            u->sha = NULL;
        }

        /* the thread may have linked it into place and removed it */

        if (!u->tmp_live) {
            continue;
        }

        u->tmp_live = 0;

        if (ngx_delete_file(u->tmp.name.data) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_CRIT, cycle->log, ngx_errno,
                          ngx_delete_file_n " \"%s\" failed",
                          u->tmp.name.data);
            continue;
        }

        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "certhall: the worker exits during the upload of %s "
                      "to order %s: temporary file \"%s\" removed",
                      u->kind, u->order_id, u->tmp.name.data);
    }
}


/*
 * The upload's temporary file, DIR/tmp/upload.<ten digits>: read and
 * write, since the thread maps it to check it; persistent, since its name
 * is linked into the store; not removed by the pool (clean = 0): what goes
 * when is this file's (ngx_http_certhall_storage_remove), and the pool only
 * closes it.  Held under flock() from now until it is closed, which is
 * what tells a sweep at another worker's start that it is live.
 */

ngx_int_t
ngx_http_certhall_storage_open(ngx_http_certhall_upload_t *u)
{
    u_char                         *prefix;
    ngx_int_t                       rc;
    ngx_uint_t                      tries, made_dir;
    ngx_http_request_t             *r;
    ngx_http_certhall_main_conf_t  *mcf;

    r = u->request;
    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    if (mcf->upload_temp == NULL) {
        return NGX_ERROR;
    }

    u->tmp.log = r->connection->log;

    prefix = ngx_pnalloc(r->pool, mcf->upload_temp->name.len
                                  + sizeof("/" NGX_HTTP_CERTHALL_TMP_PREFIX));
    if (prefix == NULL) {
        return NGX_ERROR;
    }

    made_dir = 0;

    for (tries = 0; tries < NGX_HTTP_CERTHALL_TMP_TRIES; tries++) {

        /* a prefix: nginx adds "." and its ten digits */
        u->tmp.name.data = prefix;
        u->tmp.name.len = ngx_sprintf(prefix, "%V/" NGX_HTTP_CERTHALL_TMP_PREFIX,
                                      &mcf->upload_temp->name)
                          - prefix;

        if (ngx_create_temp_file(&u->tmp, mcf->upload_temp, r->pool, 1, 0,
                                 0640)
            != NGX_OK)
        {
            /*
             * nginx has logged why, at "crit"; the error is kept for the
             * answer: a full inode table (ENOSPC) is 507, not 500
             */
            u->err = ngx_errno;
            u->failed_op = ngx_open_tempfile_n;
            u->tmp.fd = NGX_INVALID_FILE;

            /*
             * tmp/ may have gone (a clean-up): made again, as at the
             * start, and tried once more
             */

            if (made_dir || u->err != NGX_ENOPATH) {
                return NGX_ERROR;
            }

            if (ngx_create_dir(mcf->upload_temp->name.data, 0700)
                == NGX_FILE_ERROR)
            {
                u->err = ngx_errno;
                u->failed_op = ngx_create_dir_n;
                u->failed_path = (char *) mcf->upload_temp->name.data;
                return NGX_ERROR;
            }

            u->err = 0;
            u->failed_op = NULL;
            made_dir = 1;
            continue;
        }

        rc = ngx_http_certhall_storage_hold(u);

        if (rc == NGX_OK) {
            u->tmp_live = 1;

            /* until it is linked into place or removed */
            ngx_queue_insert_tail(&ngx_http_certhall_uploads, &u->queue);
            u->queued = 1;

            return NGX_OK;
        }

        ngx_http_certhall_storage_close(u);

        if (rc == NGX_ERROR) {
            /* unlocked, it would wait for the next worker's start */
            if (ngx_delete_file(u->tmp.name.data) == NGX_FILE_ERROR) {
                ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                              ngx_delete_file_n " \"%s\" failed",
                              u->tmp.name.data);
            }

            return NGX_ERROR;
        }

        /* NGX_DECLINED: a sweep took this one; another name */
    }

    ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                  "certhall: no temporary file in \"%V\" after %ui tries: "
                  "each was removed at once",
                  &mcf->upload_temp->name, tries);

    return NGX_ERROR;
}


/*
 * Locks the new temporary file for as long as it is open.  A sweep that
 * opened it in the instant between its creation and this lock, and took
 * it for a dead worker's, holds the lock (EWOULDBLOCK) or has removed its
 * name already (no link left): NGX_DECLINED, and the caller makes another.
 */

static ngx_int_t
ngx_http_certhall_storage_hold(ngx_http_certhall_upload_t *u)
{
    ngx_log_t    *log;
    struct stat   st;

    log = u->request->connection->log;

    if (flock(u->tmp.fd, LOCK_EX|LOCK_NB) == -1) {
        if (ngx_errno == NGX_EAGAIN) {
            return NGX_DECLINED;
        }

        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "flock() \"%s\" failed", u->tmp.name.data);
        return NGX_ERROR;
    }

    if (fstat(u->tmp.fd, &st) == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "fstat() \"%s\" failed", u->tmp.name.data);
        return NGX_ERROR;
    }

    return st.st_nlink == 0 ? NGX_DECLINED : NGX_OK;
}


/*
 * Appends n bytes to the temporary file.  pwrite() here, not
 * ngx_write_file(): the caller needs the error itself (u->err), which
 * decides between 507 storage_full and 500 storage_failed, and
 * ngx_write_file() only logs it.  A full filesystem may take part of a
 * piece before it refuses the rest: the file is then removed whole by the
 * refusal (ngx_http_certhall_storage_remove).
 */

ngx_int_t
ngx_http_certhall_storage_write(ngx_http_certhall_upload_t *u,
    const u_char *p, size_t n)
{
    ssize_t  written;

    while (n > 0) {
        written = pwrite(u->tmp.fd, p, n, u->tmp.offset);

        if (written == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            u->err = ngx_errno;
            u->failed_op = "pwrite()";
            return NGX_ERROR;
        }

        u->tmp.offset += written;
        p += written;
        n -= written;
    }

    return NGX_OK;
}


/* the error is the filesystem's being full (no blocks, no inodes, quota) */

ngx_uint_t
ngx_http_certhall_storage_full(ngx_err_t err)
{
    return err == NGX_ENOSPC || err == EDQUOT;
}


/* the content address of u->sha256: the thread must not allocate from it */

ngx_int_t
ngx_http_certhall_storage_paths(ngx_http_certhall_upload_t *u)
{
    u_char                         *sha;
    ngx_http_request_t             *r;
    ngx_http_certhall_main_conf_t  *mcf;

    r = u->request;
    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    u->dir_path = ngx_pnalloc(r->pool, mcf->storage.len + sizeof("/ab"));
    u->final_path = ngx_pnalloc(r->pool,
                                mcf->storage.len + sizeof("/ab/") + 64);

    if (u->dir_path == NULL || u->final_path == NULL) {
        return NGX_ERROR;
    }

    sha = (u_char *) u->sha256;
    ngx_sprintf((u_char *) u->dir_path, "%V/%*s%Z", &mcf->storage,
                (size_t) 2, sha);
    ngx_sprintf((u_char *) u->final_path, "%V/%*s/%s%Z", &mcf->storage,
                (size_t) 2, sha, sha);

    return NGX_OK;
}


/*
 * In a thread of the pool, once the file is checked: flushed, linked to
 * its content address, held there (see below), and its temporary name
 * removed.  Nothing of nginx but the fields of u is touched; a failure is
 * left in u->err and u->failed_op.
 *
 * Stored files are shared: an upload of bytes already stored (another
 * order's, another worker's, another machine's on the same storage)
 * finds the file there (EEXIST) and its row relies on it.  A stored file
 * is removed only by the upload that created it, when its row was
 * refused, and by certhall-admin sweep-storage; neither may take a file
 * that a row names or is about to name.  So every upload holds its stored
 * file under flock() from the moment it is in place until the row's
 * statement has ended (u->held_fd, ngx_http_certhall_storage_release):
 *
 * - the creator holds LOCK_EX: its temporary file's lock, taken when the
 *   file was made, so no instant passes between link() and the lock.
 *   While it holds it no other upload can rely on the file, and every row
 *   naming this SHA-256 that existed before link() had its file (no file
 *   then, so no such row); the creator whose row is refused removes the
 *   file before it lets the lock go (ngx_http_certhall_storage_remove).
 *
 * - an upload that finds the file takes LOCK_SH, waiting here, in the
 *   thread, while a creator's row statement runs (as long as that
 *   statement, bounded by certhall_db_query_timeout); then, if the
 *   file it opened has lost its name meanwhile (st_nlink 0: the creator's
 *   row was refused), its own temporary file, kept until now, is linked
 *   into place instead and it is the creator.
 *
 * - sweep-storage removes a file only under LOCK_EX|LOCK_NB and after the
 *   database, asked under that lock, says no row names it.
 *
 * flock() locks are the open file's, so they hold between the workers of
 * one machine; on several machines the shared storage must carry them
 * (NFSv4 and CephFS do; README "Several machines").
 */

void
ngx_http_certhall_storage_link(ngx_http_certhall_upload_t *u)
{
    int          dfd, fd;
    ngx_uint_t   tries;
    struct stat  st;

    /* whole on disk before any name points at it */

    if (fsync(u->tmp.fd) == -1) {
        u->err = ngx_errno;
        u->failed_op = "fsync()";
        return;
    }

    if (mkdir(u->dir_path, 0750) == -1 && ngx_errno != NGX_EEXIST) {
        u->err = ngx_errno;
        u->failed_op = "mkdir()";
        u->failed_path = u->dir_path;
        return;
    }

    for (tries = 0; tries < NGX_HTTP_CERTHALL_TMP_TRIES; tries++) {

        /*
         * link(), not rename(): an existing file of this SHA-256 has this
         * content already and is kept as it is (another order's, perhaps)
         */

        if (link((char *) u->tmp.name.data, u->final_path) == 0) {

            /* the temporary file's LOCK_EX, shared by the duplicate */

            fd = dup(u->tmp.fd);
            if (fd == -1) {
                u->err = ngx_errno;
                u->failed_op = "dup()";
                (void) unlink(u->final_path);
                return;
            }

            u->held_fd = fd;
            u->created = 1;
            break;
        }

        if (ngx_errno != NGX_EEXIST) {
            u->err = ngx_errno;
            u->failed_op = "link()";
            u->failed_path = u->final_path;
            return;
        }

        fd = open(u->final_path, O_RDONLY|O_NOFOLLOW|O_CLOEXEC);

        if (fd == -1) {
            if (ngx_errno == NGX_ENOENT) {
                continue;  /* removed since link(): ours goes in */
            }

            u->err = ngx_errno;
            u->failed_op = "open()";
            u->failed_path = u->final_path;
            return;
        }

        /*
         * Waits while its creator's row statement runs (bounded by its
         * certhall_db_query_timeout).  Polled, not a blocking flock(): a
         * worker told to stop at once (SIGTERM) waits for its threads
         * before its exit_process hook lets the creator's lock go, and
         * the creator may be an upload of this very worker.
         */

        while (flock(fd, LOCK_SH|LOCK_NB) == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            if (ngx_errno != NGX_EAGAIN || ngx_terminate) {
                u->err = ngx_terminate ? NGX_EAGAIN : ngx_errno;
                u->failed_op = "flock()";
                u->failed_path = u->final_path;
                close(fd);
                return;
            }

            ngx_msleep(NGX_HTTP_CERTHALL_HOLD_POLL);
        }

        if (fstat(fd, &st) == -1) {
            u->err = ngx_errno;
            u->failed_op = "fstat()";
            u->failed_path = u->final_path;
            close(fd);
            return;
        }

        if (st.st_nlink > 0) {
            u->held_fd = fd;
            break;
        }

        /* its creator's row was refused and the file went: ours goes in */
        close(fd);
    }

    if (u->held_fd == -1) {
        u->err = NGX_EAGAIN;
        u->failed_op = "link()";
        u->failed_path = u->final_path;
        return;
    }

    if (unlink((char *) u->tmp.name.data) == 0) {
        u->tmp_live = 0;
    }

    if (u->created) {
        /* the new name itself survives a crash */

        dfd = open(u->dir_path, O_RDONLY|O_DIRECTORY);

        if (dfd == -1 || fsync(dfd) == -1) {
            u->err = ngx_errno;
            u->failed_op = "fsync() of the directory";
            u->failed_path = u->dir_path;
        }

        if (dfd != -1) {
            close(dfd);
        }
    }
}


/*
 * The row's statement has ended: the stored file's lock goes.  A row
 * written names the file (a sweep asks the database first); a refused
 * one was removed before (ngx_http_certhall_storage_remove).
 */

void
ngx_http_certhall_storage_release(ngx_http_certhall_upload_t *u)
{
    if (u->held_fd != -1) {
        if (close(u->held_fd) == -1) {
            ngx_log_error(NGX_LOG_ALERT, u->request->connection->log,
                          ngx_errno, "close() \"%s\" failed", u->final_path);
        }

        u->held_fd = -1;
    }
}


/*
 * Closes the temporary file through the cleanup ngx_create_temp_file()
 * added to the request's pool, which so knows it is closed and does not
 * close the number again.
 */

void
ngx_http_certhall_storage_close(ngx_http_certhall_upload_t *u)
{
    if (u->tmp.fd != NGX_INVALID_FILE) {
        ngx_pool_run_cleanup_file(u->request->pool, u->tmp.fd);
        u->tmp.fd = NGX_INVALID_FILE;
    }
}


/* the upload's temporary file is gone (or never was): off the list */

void
ngx_http_certhall_storage_forget(ngx_http_certhall_upload_t *u)
{
    if (u->queued) {
        ngx_queue_remove(&u->queue);
        u->queued = 0;
    }
}


/*
 * Removes what the upload made and no row holds: the temporary file, and
 * the stored file if this upload created it.  Safe to call twice.
 */

void
ngx_http_certhall_storage_remove(ngx_http_certhall_upload_t *u)
{
    ngx_log_t  *log;

    log = u->request->connection->log;

    ngx_http_certhall_storage_close(u);

    if (u->tmp_live) {
        if (ngx_delete_file(u->tmp.name.data) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          ngx_delete_file_n " \"%s\" failed",
                          u->tmp.name.data);
        }

        u->tmp_live = 0;
    }

    /* off the list: the request's pool, and u in it, may go now */
    ngx_http_certhall_storage_forget(u);

    /*
     * Removed while its LOCK_EX is held (u->held_fd): no other upload
     * relies on it, no row names it (ngx_http_certhall_storage_link)
     */

    if (u->created && !u->committed && !u->maybe_committed) {
        if (ngx_delete_file(u->final_path) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          ngx_delete_file_n " \"%s\" failed", u->final_path);
        }

        u->created = 0;
    }

    ngx_http_certhall_storage_release(u);
}


/*
 * certhall_storage DIR: where uploaded files live, named by their SHA-256
 * (DIR/ab/abcd...), with DIR/tmp for uploads under way.  It must exist and
 * be a directory now; the workers write into it, so it belongs to nginx's
 * "user".
 */

char *
ngx_http_certhall_storage(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_certhall_main_conf_t  *mcf = conf;

    ngx_str_t        *value, path;
    ngx_file_info_t   fi;

    if (mcf->storage.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    while (path.len > 1 && path.data[path.len - 1] == '/') {
        path.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_file_info(path.data, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_file_info_n " \"%s\" failed", path.data);
        return NGX_CONF_ERROR;
    }

    if (!ngx_is_dir(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is not a directory", path.data);
        return NGX_CONF_ERROR;
    }

    mcf->storage = path;

    return NGX_CONF_OK;
}


/*
 * certhall_storage_uri URI: the internal location that serves the storage
 * directory (location URI { internal; alias DIR/; }); downloads are
 * redirected there once the database has said whose file it is.
 */

char *
ngx_http_certhall_storage_uri(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    if (value[1].len < 2 || value[1].data[0] != '/'
        || value[1].data[value[1].len - 1] != '/')
    {
        return "must begin and end with \"/\"";
    }

    return ngx_conf_set_str_slot(cf, cmd, conf);
}
