/* lib/ch_store.c: the content-addressed store the back office writes */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "ch_store.h"


#define HELLO_SHA256 \
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


static char  storage[64];


static int
storage_make(void **state)
{
    (void) state;

    snprintf(storage, sizeof(storage), "/tmp/ch-store-test-XXXXXX");

    return mkdtemp(storage) ? 0 : -1;
}


static int
storage_remove(void **state)
{
    char  cmd[128];

    (void) state;

    /* the small filesystem, should its test have stopped half way */
    snprintf(cmd, sizeof(cmd), "%s/small", storage);
    (void) umount2(cmd, MNT_DETACH);

    /* the one directory this test made */
    snprintf(cmd, sizeof(cmd), "rm -r -- '%s'", storage);

    return system(cmd) == 0 ? 0 : -1;
}


/* the names in storage/tmp: none once a store is done with its file */
static int
tmp_files(void)
{
    int             n = 0;
    DIR            *d;
    char            path[128];
    struct dirent  *e;

    snprintf(path, sizeof(path), "%s/tmp", storage);
    d = opendir(path);
    assert_non_null(d);

    while ((e = readdir(d)) != NULL) {
        n += e->d_name[0] != '.';
    }

    closedir(d);

    return n;
}


static void
read_back(const char *path, const char *want)
{
    FILE    *f;
    char     buf[64];
    size_t   n;

    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);

    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
}


static void
a_file_is_stored_under_its_sha256(void **state)
{
    char        want[256];
    ch_store_t  st;

    (void) state;

    assert_int_equal(ch_store_open(&st, storage), 0);
    /* while it is written it is in tmp/ only */
    assert_int_equal(tmp_files(), 1);
    assert_int_equal(ch_store_write(&st, "hel", 3), 0);
    assert_int_equal(ch_store_write(&st, "lo", 2), 0);
    assert_int_equal(ch_store_commit(&st), 0);

    assert_string_equal(st.sha256, HELLO_SHA256);
    assert_int_equal(st.size, 5);
    assert_int_equal(st.created, 1);
    snprintf(want, sizeof(want), "%s/2c/%s", storage, HELLO_SHA256);
    assert_string_equal(st.path, want);
    read_back(want, "hello");
    assert_int_equal(tmp_files(), 0);

    /* its row recorded: the file's lock goes (or the next store waits) */
    ch_store_release(&st);
}


static void
the_same_content_again_is_not_created_and_not_removed(void **state)
{
    ch_store_t  st;

    (void) state;

    assert_int_equal(ch_store_open(&st, storage), 0);
    assert_int_equal(ch_store_write(&st, "hello", 5), 0);
    assert_int_equal(ch_store_commit(&st), 0);
    assert_int_equal(st.created, 0);

    /* a refused second upload must not take the first one's file */
    assert_int_equal(ch_store_unlink_created(&st), 0);
    read_back(st.path, "hello");
    assert_int_equal(tmp_files(), 0);
}


static void
a_created_file_is_removed_when_refused(void **state)
{
    ch_store_t   st;
    struct stat  sb;

    (void) state;

    assert_int_equal(ch_store_open(&st, storage), 0);
    assert_int_equal(ch_store_write(&st, "refused", 7), 0);
    assert_int_equal(ch_store_commit(&st), 0);
    assert_int_equal(st.created, 1);
    assert_int_equal(stat(st.path, &sb), 0);

    assert_int_equal(ch_store_unlink_created(&st), 0);
    assert_int_equal(stat(st.path, &sb), -1);
    assert_int_equal(st.created, 0);
}


static void
an_aborted_file_leaves_nothing(void **state)
{
    ch_store_t  st;

    (void) state;

    assert_int_equal(ch_store_open(&st, storage), 0);
    assert_int_equal(ch_store_write(&st, "half", 4), 0);
    ch_store_abort(&st);
    assert_int_equal(tmp_files(), 0);

    /* nothing more can be written or committed */
    assert_int_equal(ch_store_write(&st, "x", 1), -1);
    assert_int_equal(ch_store_commit(&st), -1);
}


/*
 * Another upload created the file and holds it (LOCK_EX) while its row is
 * being recorded; this store finds it there (EEXIST) and waits.  The other
 * row is refused and its file removed: this store puts its own file in
 * place, so its row will have its file.  The other is a child process
 * that lets go once it sees this one open the file (/proc/<pid>/fd).
 */
static void
a_file_removed_by_its_refused_creator_is_stored_again(void **state)
{
    int          fd, ready[2];
    char         dir[160], path[256], link_name[384], target[256];
    pid_t        creator, parent;
    ch_store_t   st;
    struct stat  sb;

    (void) state;

    snprintf(dir, sizeof(dir), "%s/2c", storage);
    snprintf(path, sizeof(path), "%s/%s", dir, HELLO_SHA256);
    (void) mkdir(dir, 0750);
    (void) unlink(path);

    fd = open(path, O_WRONLY|O_CREAT|O_EXCL, 0640);
    assert_true(fd != -1);
    assert_int_equal(write(fd, "hello", 5), 5);
    close(fd);

    assert_int_equal(pipe(ready), 0);
    parent = getpid();
    creator = fork();
    assert_true(creator != -1);

    if (creator == 0) {
        int   i, n, held;
        ssize_t  len;
        DIR  *fds;
        struct dirent  *e;
        char  fd_dir[64];

        held = open(path, O_RDONLY);
        if (held == -1 || flock(held, LOCK_EX) == -1) {
            _exit(1);
        }
        (void) write(ready[1], "x", 1);

        /* bounded (30 s): until the store has opened the file */
        snprintf(fd_dir, sizeof(fd_dir), "/proc/%d/fd", (int) parent);
        for (i = 0; i < 3000; i++) {
            fds = opendir(fd_dir);
            n = 0;
            while (fds && (e = readdir(fds)) != NULL) {
                snprintf(link_name, sizeof(link_name), "%s/%s", fd_dir,
                         e->d_name);
                len = readlink(link_name, target, sizeof(target) - 1);
                if (len > 0) {
                    target[len] = '\0';
                    n += strcmp(target, path) == 0;
                }
            }
            if (fds) {
                closedir(fds);
            }
            if (n > 0) {
                break;
            }
            usleep(10000);
        }

        /* its row refused: it removes its file under its lock */
        (void) unlink(path);
        close(held);
        _exit(n > 0 ? 0 : 2);
    }

    {
        char  c;
        assert_int_equal(read(ready[0], &c, 1), 1);
    }

    assert_int_equal(ch_store_open(&st, storage), 0);
    assert_int_equal(ch_store_write(&st, "hello", 5), 0);
    assert_int_equal(ch_store_commit(&st), 0);

    {
        int  status;
        assert_int_equal(waitpid(creator, &status, 0), creator);
        /* it saw the store wait on the file */
        assert_int_equal(WEXITSTATUS(status), 0);
    }

    /* its own file is in place: its row will have it */
    assert_int_equal(st.created, 1);
    assert_int_equal(stat(path, &sb), 0);
    read_back(path, "hello");
    assert_int_equal(tmp_files(), 0);
    ch_store_release(&st);

    close(ready[0]);
    close(ready[1]);
}


static void
a_missing_storage_is_an_error(void **state)
{
    char        dir[128];
    ch_store_t  st;

    (void) state;

    snprintf(dir, sizeof(dir), "%s/no/such", storage);
    assert_int_equal(ch_store_open(&st, dir), -1);
    assert_non_null(strstr(st.err, "mkdir()"));
    assert_int_equal(st.fd, -1);
    /* a fault of the path, not of room */
    assert_false(ch_store_full(&st));
}


/*
 * A storage on a filesystem with no room (a tmpfs of 16 KiB, mounted
 * here: root only, skipped otherwise): the write fails as full, and the
 * half-written temporary file is gone
 */
static void
a_full_storage_says_so_and_leaves_nothing(void **state)
{
    char           dir[128];
    ch_store_t     st;
    unsigned char  block[65536];

    (void) state;

    if (geteuid() != 0) {
        skip();
    }

    snprintf(dir, sizeof(dir), "%s/small", storage);
    assert_int_equal(mkdir(dir, 0700), 0);

    if (mount("ch-store-test", dir, "tmpfs", 0, "size=16k") != 0) {
        rmdir(dir);
        skip();
    }

    memset(block, 'x', sizeof(block));

    assert_int_equal(ch_store_open(&st, dir), 0);
    assert_int_equal(ch_store_write(&st, block, sizeof(block)), -1);
    assert_true(ch_store_full(&st));
    assert_non_null(strstr(st.err, "write()"));
    assert_int_equal(st.fd, -1);

    {
        int             n = 0;
        DIR            *d;
        struct dirent  *e;
        char            tmp[160];

        snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
        d = opendir(tmp);
        assert_non_null(d);

        while ((e = readdir(d)) != NULL) {
            n += e->d_name[0] != '.';
        }

        closedir(d);
        assert_int_equal(n, 0);
    }

    /* room again: the next file is stored */
    assert_int_equal(ch_store_open(&st, dir), 0);
    assert_int_equal(ch_store_write(&st, "hello", 5), 0);
    assert_int_equal(ch_store_commit(&st), 0);
    assert_string_equal(st.sha256, HELLO_SHA256);
    ch_store_release(&st);

    assert_int_equal(umount(dir), 0);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_file_is_stored_under_its_sha256),
        cmocka_unit_test(the_same_content_again_is_not_created_and_not_removed),
        cmocka_unit_test(a_created_file_is_removed_when_refused),
        cmocka_unit_test(an_aborted_file_leaves_nothing),
        cmocka_unit_test(a_file_removed_by_its_refused_creator_is_stored_again),
        cmocka_unit_test(a_missing_storage_is_an_error),
        cmocka_unit_test(a_full_storage_says_so_and_leaves_nothing),
    };

    cmocka_set_message_output(CM_OUTPUT_TAP);

    return cmocka_run_group_tests(tests, storage_make, storage_remove);
}
