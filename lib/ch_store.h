/*
 * The content-addressed file store, as the back office and its command line
 * write it: the same layout as the module's uploads
 * (ngx_module/ngx_http_certhall_storage.c), so that nginx serves what they
 * store:
 *
 *     DIR/tmp/<32 hex>          a file being written (the module's worker
 *                               start removes one a killed writer left)
 *     DIR/<ab>/<sha256>         the stored file, ab its first two digits
 *
 * A file is written to DIR/tmp while it streams in and hashed (SHA-256) as
 * it goes; ch_store_commit() makes it durable (fsync), then link()s it into
 * place: when a file of that SHA-256 exists already it has this content
 * and is kept as it is (created stays 0).  The temporary name is removed
 * in every outcome, so no half file is ever under a content address and
 * none stays in tmp/.
 *
 * No nginx headers; blocking file I/O, for the CGI and the commands only.
 */

#ifndef CH_STORE_H
#define CH_STORE_H

#include <stddef.h>
#include <stdint.h>

#define CH_STORE_PATH_MAX   1024
#define CH_STORE_SHA256_HEX 64

typedef struct {
    int         fd;                 /* the temporary file, or -1 */
    void       *sha;                /* EVP_MD_CTX */
    uint64_t    size;               /* bytes written so far */
    char        tmp_path[CH_STORE_PATH_MAX];
    char        dir_path[CH_STORE_PATH_MAX - 80];   /* DIR/ab */
    char        path[CH_STORE_PATH_MAX];        /* DIR/ab/<sha256> */
    char        sha256[CH_STORE_SHA256_HEX + 1];  /* lower-case hex */
    int         created;            /* commit made path: this file owns it */
    char        err[CH_STORE_PATH_MAX + 128];   /* why the last call failed */
    int         errnum;             /* its errno, or 0 (not a system call) */

    /*
     * From commit until what the file is for is recorded or refused, the
     * stored file is held under flock(): LOCK_EX if this commit created
     * it, LOCK_SH if it was there (ch_store_commit).  held_fd is valid
     * while holding is 1 (a zeroed ch_store_t holds nothing).
     */
    int         holding;
    int         held_fd;
} ch_store_t;

/* a new temporary file in storage/tmp (made 0700 when missing); 0 or -1 */
int ch_store_open(ch_store_t *st, const char *storage);

/* appends n bytes, hashing them; 0 or -1 (the file is then abandoned) */
int ch_store_write(ch_store_t *st, const void *p, size_t n);

/*
 * The file is whole: fsync, its SHA-256, DIR/ab (0750), link (0 created,
 * or EEXIST: the same content is there), the temporary name removed, the
 * directory synced when a name was made.  0, or -1 with st->err (nothing
 * left behind then).
 */
int ch_store_commit(ch_store_t *st);

/*
 * Whether the last failure was the storage's being full: no blocks, no
 * inodes (open, mkdir and link need one), or over a quota.  Callers answer
 * it as something that passes once an operator makes room (507, a job
 * that leaves its work queued), not as a fault of the file.
 */
int ch_store_full(const ch_store_t *st);

/*
 * gives the file up before commit: closed, temporary name removed; after
 * commit, the stored file's lock goes (ch_store_release)
 */
void ch_store_abort(ch_store_t *st);

/*
 * After commit, when what the file was for was refused: removes the
 * stored file if this commit created it (one that was there before is
 * someone else's).  0, or -1 with st->err.
 */
int ch_store_unlink_created(ch_store_t *st);

/*
 * After commit, once the row naming the file is committed (or its outcome
 * is unknown): the stored file's lock goes.  ch_store_abort and
 * ch_store_unlink_created let it go too.
 */
void ch_store_release(ch_store_t *st);

#endif /* CH_STORE_H */
