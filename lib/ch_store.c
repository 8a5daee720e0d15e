/*
 * The content-addressed file store for the back office and the commands
 * (ch_store.h): the module's layout, written with plain POSIX calls.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ch_store.h"


static int
ch_store_fail(ch_store_t *st, const char *op, const char *path)
{
    st->errnum = errno;
    snprintf(st->err, sizeof(st->err), "%s \"%s\": %s", op, path,
             strerror(st->errnum));
    return -1;
}


int
ch_store_full(const ch_store_t *st)
{
    return st->errnum == ENOSPC || st->errnum == EDQUOT;
}


static void
ch_store_close(ch_store_t *st)
{
    if (st->fd != -1) {
        close(st->fd);
        st->fd = -1;
    }

    if (st->sha) {
        EVP_MD_CTX_free(st->sha);
        st->sha = NULL;
    }
}


int
ch_store_open(ch_store_t *st, const char *storage)
{
    size_t         i, j;
    unsigned char  rnd[16];
    char           tmp_dir[CH_STORE_PATH_MAX];
    static const char  hex[] = "0123456789abcdef";

    memset(st, 0, sizeof(*st));
    st->fd = -1;
    st->held_fd = -1;

    /* room for "/tmp/" + 32 and "/ab/" + 64 */
    if (strlen(storage) + 70 >= CH_STORE_PATH_MAX) {
        snprintf(st->err, sizeof(st->err), "storage path too long");
        return -1;
    }

    snprintf(tmp_dir, sizeof(tmp_dir), "%s/tmp", storage);

    /* nginx makes tmp/ at its start; a clean-up may have removed it since */
    if (mkdir(tmp_dir, 0700) == -1 && errno != EEXIST) {
        return ch_store_fail(st, "mkdir()", tmp_dir);
    }

    /*
     * 16 random bytes in hex: a name the module's worker start takes for
     * one of its own, so a writer killed half way leaves nothing for ever
     */
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        snprintf(st->err, sizeof(st->err), "RAND_bytes() failed");
        return -1;
    }

    i = (size_t) snprintf(st->tmp_path, sizeof(st->tmp_path), "%s/", tmp_dir);

    for (j = 0; j < sizeof(rnd); j++) {
        st->tmp_path[i++] = hex[rnd[j] >> 4];
        st->tmp_path[i++] = hex[rnd[j] & 0xf];
    }

    st->tmp_path[i] = '\0';

    st->sha = EVP_MD_CTX_new();

    if (st->sha == NULL
        || EVP_DigestInit_ex(st->sha, EVP_sha256(), NULL) != 1)
    {
        ch_store_close(st);
        snprintf(st->err, sizeof(st->err), "SHA-256 unavailable");
        return -1;
    }

    st->fd = open(st->tmp_path, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0640);

    if (st->fd == -1) {
        ch_store_fail(st, "open()", st->tmp_path);
        ch_store_close(st);
        st->tmp_path[0] = '\0';
        return -1;
    }

    return 0;
}


int
ch_store_write(ch_store_t *st, const void *p, size_t n)
{
    ssize_t               w;
    const unsigned char  *b = p;

    if (st->fd == -1) {
        snprintf(st->err, sizeof(st->err), "the file is not open");
        return -1;
    }

    if (EVP_DigestUpdate(st->sha, b, n) != 1) {
        snprintf(st->err, sizeof(st->err), "SHA-256 failed");
        ch_store_abort(st);
        return -1;
    }

    while (n > 0) {
        w = write(st->fd, b, n);

        if (w == -1 && errno == EINTR) {
            continue;
        }

        if (w <= 0) {
            if (w == 0) {
                errno = EIO;
            }

            ch_store_fail(st, "write()", st->tmp_path);
            ch_store_abort(st);
            return -1;
        }

        b += w;
        n -= (size_t) w;
        st->size += (uint64_t) w;
    }

    return 0;
}


/*
 * Puts the temporary file at its content address, or relies on the file
 * there, and holds it under flock() (st->held_fd) until ch_store_release.
 * The rule every remover keeps (the module's refused uploads,
 * ch_store_unlink_created, certhall-admin sweep-storage): a stored file
 * goes only under LOCK_EX, so never one an upload in flight holds.
 *
 * - link() made it: this commit created it and holds the temporary
 *   file's LOCK_EX, taken before link(); no other upload can rely on it
 *   until it is let go, so a refusal may remove it (no row names it: it
 *   was not there, so no row had it).
 * - it was there (EEXIST): LOCK_SH, waited for while its creator's row
 *   is being recorded (bounded: CH_STORE_HOLD_WAIT); if it lost its name
 *   meanwhile (st_nlink 0: its creator's row was refused), link() again,
 *   this commit's file goes in.
 *
 * Polled with LOCK_NB, not a blocking flock(): one process may store the
 * same bytes twice (an invoice's files) and must not wait for itself.
 */

#define CH_STORE_HOLD_TRIES  4
#define CH_STORE_HOLD_WAIT   60   /* seconds */

static int
ch_store_hold(ch_store_t *st)
{
    int              fd, tries;
    time_t           until;
    struct stat      sb;
    struct timespec  pause = { 0, 10 * 1000 * 1000 };

    for (tries = 0; tries < CH_STORE_HOLD_TRIES; tries++) {

        /*
         * link(), not rename(): a file of this SHA-256 has this content
         * already and stays as it is (another's, perhaps)
         */
        if (link(st->tmp_path, st->path) == 0) {
            st->created = 1;
            st->held_fd = st->fd;
            st->holding = 1;
            st->fd = -1;        /* the lock goes with held_fd, not abort */
            return 0;
        }

        if (errno != EEXIST) {
            return ch_store_fail(st, "link()", st->path);
        }

        fd = open(st->path, O_RDONLY|O_NOFOLLOW|O_CLOEXEC);

        if (fd == -1) {
            if (errno == ENOENT) {
                continue;       /* removed since link(): ours goes in */
            }

            return ch_store_fail(st, "open()", st->path);
        }

        until = time(NULL) + CH_STORE_HOLD_WAIT;

        while (flock(fd, LOCK_SH|LOCK_NB) == -1) {
            if (errno != EWOULDBLOCK && errno != EINTR) {
                ch_store_fail(st, "flock()", st->path);
                close(fd);
                return -1;
            }

            if (time(NULL) > until) {
                errno = EWOULDBLOCK;
                ch_store_fail(st, "flock()", st->path);
                close(fd);
                return -1;
            }

            nanosleep(&pause, NULL);
        }

        if (fstat(fd, &sb) == -1) {
            ch_store_fail(st, "fstat()", st->path);
            close(fd);
            return -1;
        }

        if (sb.st_nlink > 0) {
            st->held_fd = fd;
            st->holding = 1;
            return 0;
        }

        /* its creator's row was refused and the file went: ours goes in */
        close(fd);
    }

    errno = EAGAIN;
    return ch_store_fail(st, "link()", st->path);
}


void
ch_store_release(ch_store_t *st)
{
    if (st->holding) {
        close(st->held_fd);
        st->holding = 0;
        st->held_fd = -1;
    }
}


int
ch_store_commit(ch_store_t *st)
{
    int            dfd;
    size_t         i;
    unsigned int   len;
    unsigned char  md[EVP_MAX_MD_SIZE];
    static const char  hex[] = "0123456789abcdef";

    if (st->fd == -1) {
        snprintf(st->err, sizeof(st->err), "the file is not open");
        return -1;
    }

    if (EVP_DigestFinal_ex(st->sha, md, &len) != 1 || len != 32) {
        snprintf(st->err, sizeof(st->err), "SHA-256 failed");
        goto failed;
    }

    for (i = 0; i < 32; i++) {
        st->sha256[2 * i] = hex[md[i] >> 4];
        st->sha256[2 * i + 1] = hex[md[i] & 0xf];
    }

    st->sha256[CH_STORE_SHA256_HEX] = '\0';

    /* whole on disk before any name points at it */
    if (fsync(st->fd) == -1) {
        ch_store_fail(st, "fsync()", st->tmp_path);
        goto failed;
    }

    /* tmp_path is "<storage>/tmp/<32 hex>": the storage is before "/tmp/" */
    i = strlen(st->tmp_path) - sizeof("/tmp/") + 1 - 32;
    snprintf(st->dir_path, sizeof(st->dir_path), "%.*s/%.2s", (int) i,
             st->tmp_path, st->sha256);
    snprintf(st->path, sizeof(st->path), "%s/%s", st->dir_path, st->sha256);

    if (mkdir(st->dir_path, 0750) == -1 && errno != EEXIST) {
        ch_store_fail(st, "mkdir()", st->dir_path);
        goto failed;
    }

    /*
     * The stored file is held from the moment it is in place until its
     * row is recorded or refused: see ch_store_hold.  The temporary file
     * is ours alone (a random name, O_EXCL): its LOCK_EX is had at once,
     * and taken before link() so that no instant passes with the stored
     * file in place and not held.
     */
    if (flock(st->fd, LOCK_EX) == -1) {
        ch_store_fail(st, "flock()", st->tmp_path);
        goto failed;
    }

    if (ch_store_hold(st) != 0) {
        goto failed;
    }

    /* the temporary name goes; the stored file stays held */
    ch_store_close(st);
    (void) unlink(st->tmp_path);
    st->tmp_path[0] = '\0';

    if (st->created) {
        /* the new name itself survives a crash */
        dfd = open(st->dir_path, O_RDONLY|O_DIRECTORY|O_CLOEXEC);

        if (dfd == -1 || fsync(dfd) == -1) {
            ch_store_fail(st, "fsync()", st->dir_path);

            if (dfd != -1) {
                close(dfd);
            }

            (void) ch_store_unlink_created(st);
            return -1;
        }

        close(dfd);
    }

    return 0;

failed:

    ch_store_abort(st);
    st->path[0] = '\0';

    return -1;
}


void
ch_store_abort(ch_store_t *st)
{
    ch_store_close(st);
    ch_store_release(st);

    if (st->tmp_path[0] != '\0') {
        (void) unlink(st->tmp_path);
        st->tmp_path[0] = '\0';
    }
}


int
ch_store_unlink_created(ch_store_t *st)
{
    int  rc;

    if (!st->created) {
        ch_store_release(st);
        return 0;
    }

    st->created = 0;
    rc = 0;

    /* under its LOCK_EX (st->held_fd): no one else relies on it */
    if (unlink(st->path) == -1 && errno != ENOENT) {
        rc = ch_store_fail(st, "unlink()", st->path);
    }

    ch_store_release(st);

    return rc;
}
