/*
 * certhall-admin sweep-storage [-c FILE] [--older-than SECONDS]
 *
 * Removes the stored files (STORAGE/ab/<sha256>) that no row names: no
 * material, no download's version, no invoice's PDF or XML.  They are
 * left by an upload whose row's statement broke off with its outcome
 * unknown (the connection to the database lost after the statement reached
 * it): the module keeps the file then, since a row without its file is
 * lost data and a file without its row only space, and this sweep takes
 * back the space once the outcome is known.  Only files not written for
 * SECONDS (default 3600) are candidates: far longer than any upload takes
 * from storing its file to committing its row (certhall_db_query_timeout).
 * Each candidate is looked up again just before it goes, under its
 * flock() taken with LOCK_EX|LOCK_NB, so a row written since the first
 * look keeps it and an upload in flight that holds the file (found there
 * or created, its row not yet committed) keeps it too.
 *
 * Run it as the storage's owner (nginx's workers' user), from a timer or
 * cron; on several machines sharing the storage, from one of them or all:
 * a file removed twice is removed once.  Prints "sweep-storage: N removed,
 * M kept" (M: files no row names yet too young to go).
 *
 * Exit status: 0 swept, 1 a file could not be removed, 2 configuration or
 * database error.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "job.h"


#define SWEEP_STORAGE  "sweep-storage"


/* is the name any row's file? */
static const char  *sweep_storage_used =
    "SELECT EXISTS (SELECT FROM materials WHERE sha256 = $1)"
    " OR EXISTS (SELECT FROM download_versions WHERE sha256 = $1)"
    " OR EXISTS (SELECT FROM invoices WHERE pdf_sha256 = $1"
    "            OR request_xml_sha256 = $1 OR answer_xml_sha256 = $1)"
    " AS used";


static void
sweep_storage_usage(void)
{
    fprintf(stderr, "usage: certhall-admin sweep-storage [-c FILE] "
            "[--older-than SECONDS]\n"
            "  -c FILE               the configuration (default: "
            "$CERTHALL_ADMIN_CONF)\n"
            "  --older-than SECONDS  only files not written for that long "
            "(default 3600)\n");
}


static int
sweep_storage_hex(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }

    return s[len] == '\0';
}


/* 1 a row names it, 0 none, -1 the database failed (said on stderr) */
static int
sweep_storage_is_used(PGconn *db, const char *sha256)
{
    int          used;
    PGresult    *res;
    const char  *values[1];

    values[0] = sha256;

    res = PQexecParams(db, sweep_storage_used, 1, NULL, values, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fprintf(stderr, SWEEP_STORAGE ": database: %s",
                PQerrorMessage(db));
        PQclear(res);
        return -1;
    }

    used = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);

    return used;
}


int
cmd_sweep_storage(int argc, char **argv)
{
    int             fd, i, n, once, rc, used;
    long            older;
    char           *end, **args, path[4096];
    DIR            *top, *sub;
    time_t          now;
    PGconn         *db;
    const char     *file;
    struct stat     st, held;
    struct dirent  *d, *f;
    admin_config_t  conf;
    unsigned long   removed, kept;

    args = calloc((size_t) argc + 1, sizeof(char *));
    if (args == NULL) {
        fprintf(stderr, SWEEP_STORAGE ": out of memory\n");
        return 2;
    }

    older = 3600;
    n = 0;
    args[n++] = argv[0];

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--older-than") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, SWEEP_STORAGE ": --older-than needs a "
                        "number of seconds\n");
                sweep_storage_usage();
                free(args);
                return 2;
            }

            errno = 0;
            older = strtol(argv[++i], &end, 10);

            if (errno || end == argv[i] || *end != '\0' || older < 0) {
                fprintf(stderr, SWEEP_STORAGE ": --older-than: \"%s\" is "
                        "no number of seconds\n", argv[i]);
                free(args);
                return 2;
            }

            continue;
        }

        args[n++] = argv[i];
    }

    rc = admin_command_begin(SWEEP_STORAGE, n, args, sweep_storage_usage,
                             &once, &conf, &file);
    free(args);

    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }

    if (conf.storage == NULL) {
        fprintf(stderr, SWEEP_STORAGE ": configuration %s: no storage\n",
                file);
        return 2;
    }

    db = admin_command_db(SWEEP_STORAGE, conf.db);
    if (db == NULL) {
        return 2;
    }

    top = opendir(conf.storage);
    if (top == NULL) {
        fprintf(stderr, SWEEP_STORAGE ": %s: %s\n", conf.storage,
                strerror(errno));
        PQfinish(db);
        return 2;
    }

    removed = 0;
    kept = 0;
    rc = 0;

    while (rc != 2 && (d = readdir(top)) != NULL) {

        /* ab/: the stored files' folders; tmp/ and the rest are not ours */
        if (!sweep_storage_hex(d->d_name, 2)) {
            continue;
        }

        snprintf(path, sizeof(path), "%s/%s", conf.storage, d->d_name);

        sub = opendir(path);
        if (sub == NULL) {
            continue;
        }

        while ((f = readdir(sub)) != NULL) {

            if (!sweep_storage_hex(f->d_name, 64)
                || strncmp(f->d_name, d->d_name, 2) != 0)
            {
                continue;
            }

            snprintf(path, sizeof(path), "%s/%s/%s", conf.storage,
                     d->d_name, f->d_name);

            if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
                continue;
            }

            used = sweep_storage_is_used(db, f->d_name);

            if (used < 0) {
                rc = 2;
                break;
            }

            if (used) {
                continue;
            }

            now = time(NULL);

            /* written lately: an upload may be about to commit its row */
            if (now - st.st_mtime < older) {
                kept++;
                continue;
            }

            /*
             * An upload holds its stored file under flock() from the moment
             * it is in place until its row's statement has ended (LOCK_EX
             * its creator, LOCK_SH one that found it there:
             * ngx_module/ngx_http_certhall_storage.c, lib/ch_store.c).
             * Taken here with LOCK_EX|LOCK_NB: a file held is an upload's
             * in flight and kept; one not held cannot be taken up by an
             * upload until it is let go, so the database's answer below,
             * asked under the lock, still holds when the name goes.
             */
            fd = open(path, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC);

            if (fd == -1) {
                continue;  /* removed meanwhile (another machine's sweep) */
            }

            if (flock(fd, LOCK_EX|LOCK_NB) == -1) {
                close(fd);
                kept++;
                continue;
            }

            /* still this name's file, not one removed and stored again */
            if (fstat(fd, &held) != 0 || held.st_nlink == 0
                || lstat(path, &st) != 0
                || held.st_dev != st.st_dev || held.st_ino != st.st_ino)
            {
                close(fd);
                continue;
            }

            /* a row written since the first look keeps it */
            used = sweep_storage_is_used(db, f->d_name);

            if (used < 0) {
                close(fd);
                rc = 2;
                break;
            }

            if (used) {
                close(fd);
                continue;
            }

            if (unlink(path) != 0 && errno != ENOENT) {
                fprintf(stderr, SWEEP_STORAGE ": %s: %s\n", path,
                        strerror(errno));
                close(fd);
                rc = 1;
                continue;
            }

            close(fd);

            printf(SWEEP_STORAGE ": removed %s (no row names it)\n", path);
            removed++;
        }

        closedir(sub);
    }

    closedir(top);
    PQfinish(db);

    if (rc == 2) {
        return 2;
    }

    printf(SWEEP_STORAGE ": %lu removed, %lu kept\n", removed, kept);

    return rc;
}
