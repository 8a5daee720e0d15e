/*
 * filecheck: the upload checker (lib/ch_filecheck.c) over files, as the
 * module runs it on an upload with the colour rule on, for the producer
 * corpus (t/tools/producers.t) and for looking at one file by hand.
 *
 *   filecheck FILE...
 *
 * prints one line per file:
 *
 *   FILE<TAB>code<TAB>detail
 *
 * code is the API's error code the module answers with (file_damaged,
 * pdf_malformed, scan_not_color... ch_check_code), or "ok"; detail is the
 * checker's own reason (for the log), then, whenever the file got that far,
 * what was measured: type, WIDTHxHEIGHT, pages, coloured pixels per mille.
 *
 * Exit 0 when every file was read (whatever the verdicts), 2 on usage or a
 * file that cannot be read.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/ch_filecheck.h"


/* the whole file; NULL (errno set) when it cannot be read */
static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE           *f;
    unsigned char  *buf, *more;
    size_t          size, n, got;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    size = 1 << 16;
    n = 0;
    buf = malloc(size);

    while (buf != NULL) {
        got = fread(buf + n, 1, size - n, f);
        n += got;
        if (n < size) {
            break;
        }
        size *= 2;
        more = realloc(buf, size);
        if (more == NULL) {
            free(buf);
        }
        buf = more;
    }

    if (buf != NULL && ferror(f)) {
        free(buf);
        buf = NULL;
        errno = EIO;
    }

    fclose(f);
    *len = n;
    return buf;
}


int
main(int argc, char **argv)
{
    int              i, failed;
    size_t           n;
    ch_check_e       rc;
    const char      *code, *format;
    unsigned char   *p;
    ch_file_info_t   info;

    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: filecheck FILE...\n");
        return 2;
    }

    failed = 0;

    for (i = 1; i < argc; i++) {
        p = slurp(argv[i], &n);
        if (p == NULL) {
            fprintf(stderr, "filecheck: %s: %s\n", argv[i], strerror(errno));
            failed = 1;
            continue;
        }

        memset(&info, 0, sizeof(info));
        rc = ch_file_check(p, n, 1, &info);
        free(p);

        code = (rc == CH_CHECK_OK) ? "ok" : ch_check_code(rc);
        format = ch_file_format(info.type);

        printf("%s\t%s\t%s%s", argv[i], code, info.detail,
               info.detail[0] ? "; " : "");
        printf("%s %ux%u pages %u colour %u/1000\n",
               format ? format : "unknown", info.width, info.height,
               info.pages, info.colored_per_mille);
    }

    return failed ? 2 : 0;
}
