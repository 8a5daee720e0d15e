/*
 * demo-files: what `make run` (scripts/run.sh) needs to give the demo
 * orders of sql/demo.sql their 基本信息 and their materials as the module
 * would have left them, without the module:
 *
 *   demo-files seal KEYFILE ORDER_ID ID_NUMBER
 *       the ID number as the module stores it for ORDER_ID's 基本信息
 *       (ngx_http_certhall_order.c): checked (lib/ch_validate.c), then
 *       one line "masked<TAB>digest<TAB>sealed" -- masked, its lookup
 *       digest and the value sealed under the data key (KEYFILE: 64 hex
 *       digits, certhall_data_key) for "ORDER_ID/person_id" (lib/ch_seal.c)
 *
 *   demo-files store STORAGE FILE...
 *       each file checked as an upload of a scan is (lib/ch_filecheck.c,
 *       colour required) and stored in the module's content-addressed
 *       storage (lib/ch_store.c: STORAGE/<ab>/<sha256>); one line a file,
 *       "sha256<TAB>size<TAB>format<TAB>width<TAB>height<TAB>pages"
 *
 * Exit 0, or 1 (with the reason on stderr, nothing printed for the value
 * or file refused) when a value or file is refused or cannot be stored;
 * 2 on usage.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_filecheck.h"
#include "ch_seal.h"
#include "ch_sign.h"
#include "ch_store.h"
#include "ch_validate.h"


static int
usage(void)
{
    fprintf(stderr, "usage: demo-files seal KEYFILE ORDER_ID ID_NUMBER\n"
                    "       demo-files store STORAGE FILE...\n");
    return 2;
}


/* the whole file (at most max bytes); NULL (errno set) when it cannot be */
static unsigned char *
slurp(const char *path, size_t max, size_t *len)
{
    FILE           *f;
    unsigned char  *buf;
    size_t          n;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    buf = malloc(max + 1);
    n = buf ? fread(buf, 1, max + 1, f) : 0;

    if (buf != NULL && (ferror(f) || n > max)) {
        free(buf);
        buf = NULL;
        errno = ferror(f) ? EIO : EFBIG;
    }

    fclose(f);
    *len = n;
    return buf;
}


/* the data key from its file: 64 hex digits (a newline may follow) */
static int
read_key(const char *path, unsigned char *key)
{
    unsigned char  *hex;
    size_t          n, i;
    unsigned        byte;
    char            two[3];

    hex = slurp(path, 256, &n);
    if (hex == NULL) {
        fprintf(stderr, "demo-files: %s: %s\n", path, strerror(errno));
        return -1;
    }

    while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r')) {
        n--;
    }

    if (n != 2 * CH_SEAL_KEY_LEN) {
        goto bad;
    }

    for (i = 0; i < CH_SEAL_KEY_LEN; i++) {
        two[0] = (char) hex[2 * i];
        two[1] = (char) hex[2 * i + 1];
        two[2] = '\0';
        if (strspn(two, "0123456789abcdefABCDEF") != 2
            || sscanf(two, "%2x", &byte) != 1)
        {
            goto bad;
        }
        key[i] = (unsigned char) byte;
    }

    memset(hex, 0, n);
    free(hex);
    return 0;

bad:

    memset(hex, 0, n);
    free(hex);
    fprintf(stderr, "demo-files: the key in %s is not 64 hex digits\n", path);
    return -1;
}


static int
seal(const char *keyfile, const char *order, const char *number)
{
    unsigned char  key[CH_SEAL_KEY_LEN];
    char           id[CH_ID_LEN + 1], masked[CH_ID_LEN + 1];
    char           digest[CH_HMAC_HEX_LEN + 1], sealed[CH_SEAL_LEN(CH_ID_LEN) + 1];
    char           aad[128];
    int            rc;

    if (ch_id_number_check((const unsigned char *) number, strlen(number),
                           99991231L, id)
        != CH_VALID)
    {
        fprintf(stderr, "demo-files: %s is not an ID number\n", number);
        return 1;
    }

    if (strlen(order) > sizeof(aad) - sizeof("/person_id")
        || read_key(keyfile, key) != 0)
    {
        return 1;
    }

    /* as the module: "<order id>/person_id" */
    snprintf(aad, sizeof(aad), "%s/person_id", order);
    ch_id_number_mask(id, masked);

    rc = ch_seal_digest(key, "id_number", (const unsigned char *) id,
                        CH_ID_LEN, digest) != 0
         || ch_seal(key, aad, (const unsigned char *) id, CH_ID_LEN, sealed)
            != 0;

    memset(key, 0, sizeof(key));

    if (rc) {
        fprintf(stderr, "demo-files: sealing failed\n");
        return 1;
    }

    printf("%s\t%s\t%s\n", masked, digest, sealed);
    return 0;
}


/* one file: checked as a scan upload, stored, described */
static int
store(const char *storage, const char *path)
{
    unsigned char   *p;
    size_t           n;
    ch_check_e       rc;
    ch_file_info_t   info;
    ch_store_t       st;
    const char      *format;

    /* a material is at most 2 MiB (material_kinds.max_bytes) */
    p = slurp(path, 2 * 1024 * 1024, &n);
    if (p == NULL) {
        fprintf(stderr, "demo-files: %s: %s\n", path, strerror(errno));
        return 1;
    }

    memset(&info, 0, sizeof(info));
    rc = ch_file_check(p, n, 1, &info);
    format = ch_file_format(info.type);

    if (rc != CH_CHECK_OK || format == NULL) {
        fprintf(stderr, "demo-files: %s: refused: %s (%s)\n", path,
                ch_check_code(rc), info.detail);
        free(p);
        return 1;
    }

    if (ch_store_open(&st, storage) != 0
        || ch_store_write(&st, p, n) != 0
        || ch_store_commit(&st) != 0)
    {
        fprintf(stderr, "demo-files: %s: %s\n", path, st.err);
        free(p);
        return 1;
    }

    free(p);
    printf("%s\t%zu\t%s\t%u\t%u\t%u\n", st.sha256, n, format, info.width,
           info.height, info.pages);

    /*
     * the demo's rows are written after this run: the file's lock goes now,
     * or a second file of the same bytes would wait on this one
     */
    ch_store_release(&st);
    return 0;
}


int
main(int argc, char **argv)
{
    int  i, failed;

    if (argc == 5 && strcmp(argv[1], "seal") == 0) {
        return seal(argv[2], argv[3], argv[4]);
    }

    if (argc < 4 || strcmp(argv[1], "store") != 0) {
        return usage();
    }

    failed = 0;

    for (i = 3; i < argc; i++) {
        failed |= store(argv[2], argv[i]);
    }

    return failed;
}
