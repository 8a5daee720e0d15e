/*
 * certhall-admin download-add [-c FILE] --as LOGIN --category C
 *     [--project P] --title T [--description D] [--if-absent] FILE
 *
 * A file for the 下载中心 from the command line: the first files of a new
 * installation, and the demo's (scripts/run.sh).  The file is stored as
 * the back office stores an upload (upload.c, lib/ch_store.h: its type by
 * its name, not empty, at most download_max_size, under its SHA-256 in
 * the configured storage), then admin.download_add_as records it as the
 * active admin LOGIN (audited with the detail 命令行).  A refusal removes
 * the stored file if this run created it.
 *
 * --if-absent: nothing is done (exit 0) when an offered download of that
 * title (and project) exists already, so that a script may run it again.
 *
 * Exit status: 0 added (or there already), 1 refused (the file, or the
 * database: an unknown login or one that is not an admin, a bad category,
 * project or title), 2 usage, configuration or database error, or the
 * storage full (nothing is left of the file then: run it again once there
 * is room).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_refusal.h"


#define DL_EXIT_OK        0
#define DL_EXIT_REFUSED   1
#define DL_EXIT_ERROR     2


typedef struct {
    const char  *conf_path;
    const char  *login;
    const char  *category;
    const char  *project;
    const char  *title;
    const char  *description;
    const char  *file;
    int          if_absent;
} dl_args_t;


static void
dl_usage(void)
{
    fprintf(stderr, "usage: certhall-admin download-add [-c FILE] --as LOGIN "
            "--category C [--project P]\n"
            "           --title T [--description D] [--if-absent] FILE\n"
            "  C: form (空白表格), driver (驱动程序), manual (使用手册)\n"
            "  FILE: pdf doc docx xls xlsx zip rar 7z exe msi txt\n");
}


/* 0, 1 for --help, -1 for a usage error (printed) */
static int
dl_args(int argc, char **argv, dl_args_t *a)
{
    int           i;
    const char  **v;

    memset(a, 0, sizeof(*a));
    a->conf_path = getenv("CERTHALL_ADMIN_CONF");

    for (i = 1; i < argc; i++) {
        v = NULL;

        if (strcmp(argv[i], "-c") == 0) {
            v = &a->conf_path;
        } else if (strcmp(argv[i], "--as") == 0) {
            v = &a->login;
        } else if (strcmp(argv[i], "--category") == 0) {
            v = &a->category;
        } else if (strcmp(argv[i], "--project") == 0) {
            v = &a->project;
        } else if (strcmp(argv[i], "--title") == 0) {
            v = &a->title;
        } else if (strcmp(argv[i], "--description") == 0) {
            v = &a->description;

        } else if (strcmp(argv[i], "--if-absent") == 0) {
            a->if_absent = 1;
            continue;

        } else if (strcmp(argv[i], "-h") == 0
                   || strcmp(argv[i], "--help") == 0)
        {
            dl_usage();
            return 1;

        } else if (argv[i][0] != '-' && a->file == NULL) {
            a->file = argv[i];
            continue;

        } else {
            fprintf(stderr, "download-add: unexpected argument \"%s\"\n",
                    argv[i]);
            dl_usage();
            return -1;
        }

        if (i + 1 == argc) {
            fprintf(stderr, "download-add: %s needs a value\n", argv[i]);
            dl_usage();
            return -1;
        }

        *v = argv[++i];
    }

    if (a->login == NULL || a->category == NULL || a->title == NULL
        || a->file == NULL)
    {
        fprintf(stderr, "download-add: --as, --category, --title and FILE "
                "are required\n");
        dl_usage();
        return -1;
    }

    if (a->conf_path == NULL || a->conf_path[0] == '\0') {
        fprintf(stderr, "download-add: configuration: no file: give -c FILE "
                "or set CERTHALL_ADMIN_CONF\n");
        return -1;
    }

    return 0;
}


/* the database's answer: 0 with res, or the exit status (printed) */
static int
dl_exec(PGconn *conn, const char *sql, int n, const char *const *params,
    PGresult **res)
{
    ch_refusal_t  ref;

    *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(*res) == PGRES_TUPLES_OK && PQntuples(*res) <= 1) {
        return 0;
    }

    if (ch_refusal_from_result(&ref, *res) == 0) {
        fprintf(stderr, "download-add: refused: %s\n", ref.message);
        PQclear(*res);
        return DL_EXIT_REFUSED;
    }

    fprintf(stderr, "download-add: database: %s",
            PQresultErrorMessage(*res));
    PQclear(*res);

    return DL_EXIT_ERROR;
}


int
cmd_download_add(int argc, char **argv)
{
    int              rc;
    char             err[512], size[24];
    PGconn          *conn;
    PGresult        *res;
    const char      *params[9];
    dl_args_t        a;
    admin_config_t   conf;
    admin_upload_t   up;

    rc = dl_args(argc, argv, &a);
    if (rc != 0) {
        return rc == 1 ? DL_EXIT_OK : DL_EXIT_ERROR;
    }

    if (admin_config_load(&conf, a.conf_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "download-add: configuration: %s\n", err);
        return DL_EXIT_ERROR;
    }

    if (conf.storage == NULL) {
        fprintf(stderr, "download-add: configuration: %s: \"storage\" is "
                "not set\n", a.conf_path);
        admin_config_free(&conf);
        return DL_EXIT_ERROR;
    }

    conn = admin_command_db("download-add", conf.db);
    if (conn == NULL) {
        admin_config_free(&conf);
        return DL_EXIT_ERROR;
    }

    if (a.if_absent) {
        params[0] = a.title;
        params[1] = a.project;
        rc = dl_exec(conn, "SELECT id FROM downloads WHERE retired_at IS NULL"
                     " AND title = btrim($1)"
                     " AND project_code IS NOT DISTINCT FROM $2 LIMIT 1",
                     2, params, &res);

        if (rc == 0 && PQntuples(res) == 1) {
            printf("download-add: \"%s\" is there already (%s), nothing "
                   "done\n", a.title, db_value(res, 0, "id"));
        }

        if (rc != 0 || PQntuples(res) == 1) {
            if (rc == 0) {
                PQclear(res);
            }

            goto done;
        }

        PQclear(res);
    }

    if (admin_store_path(conf.storage, a.file, conf.download_max_size, &up,
                         err, sizeof(err))
        != 0)
    {
        /* no fault of the file: the same command works once there is room */
        if (ch_store_full(&up.store)) {
            fprintf(stderr, "download-add: the storage is full, nothing "
                    "stored: %s\n", err);
            rc = DL_EXIT_ERROR;
            goto done;
        }

        fprintf(stderr, "download-add: refused: %s\n", err);
        rc = DL_EXIT_REFUSED;
        goto done;
    }

    snprintf(size, sizeof(size), "%llu", up.size);
    params[0] = a.login;
    params[1] = a.category;
    params[2] = a.project;
    params[3] = a.title;
    params[4] = a.description;
    params[5] = up.file_name;
    params[6] = up.media_type;
    params[7] = size;
    params[8] = up.store.sha256;

    rc = dl_exec(conn, "SELECT admin.download_add_as($1, $2, $3, $4, $5, $6,"
                 " $7, $8::bigint, $9) AS id", 9, params, &res);

    if (rc != 0) {
        if (ch_store_unlink_created(&up.store) != 0) {
            fprintf(stderr, "download-add: %s\n", up.store.err);
        }

        goto done;
    }

    /* the row names the file: its lock goes (ch_store_hold) */
    ch_store_release(&up.store);

    printf("download-add: added %s \"%s\": %s, %llu bytes, sha256 %s\n",
           db_value(res, 0, "id"), a.title, up.file_name, up.size,
           up.store.sha256);
    PQclear(res);

done:

    PQfinish(conn);
    admin_config_free(&conf);

    return rc;
}
