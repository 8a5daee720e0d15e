/* lib/ch_conf.c: the back office's configuration file */

#include <stdio.h>

#include "unit.h"
#include "ch_conf.h"


typedef struct {
    char      seen[512];
    unsigned  n;
} collected_t;


static const char *
collect(void *data, const char *key, size_t key_len, const char *value,
    size_t value_len)
{
    collected_t  *c = data;
    size_t        used = strlen(c->seen);

    if (key_len == 3 && memcmp(key, "bad", 3) == 0) {
        return "unknown setting";
    }

    snprintf(c->seen + used, sizeof(c->seen) - used, "[%.*s=%.*s]",
             (int) key_len, key, (int) value_len, value);
    c->n++;

    return NULL;
}


static int
parse(const char *text, collected_t *c, ch_conf_error_t *err)
{
    memset(c, 0, sizeof(*c));
    return ch_conf_parse(text, strlen(text), collect, c, err);
}


static void
settings_comments_and_blanks(void **state)
{
    collected_t      c;
    ch_conf_error_t  err;

    (void) state;

    assert_int_equal(parse("# comment\n\n  db = host=/tmp dbname=x  \r\n"
                           "name=value\n\tempty =\n", &c, &err), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.seen, "[db=host=/tmp dbname=x][name=value][empty=]");

    /* the last line needs no newline */
    assert_int_equal(parse("a = 1", &c, &err), 0);
    assert_string_equal(c.seen, "[a=1]");

    assert_int_equal(parse("", &c, &err), 0);
    assert_int_equal(c.n, 0);
}


static void
malformed_lines_are_refused_with_their_number(void **state)
{
    collected_t      c;
    ch_conf_error_t  err;

    (void) state;

    assert_int_equal(parse("a = 1\nno equals sign\n", &c, &err), -1);
    assert_int_equal(err.line, 2);

    assert_int_equal(parse("\n\n= value\n", &c, &err), -1);
    assert_int_equal(err.line, 3);

    assert_int_equal(parse("Upper = 1\n", &c, &err), -1);
    assert_int_equal(err.line, 1);

    assert_int_equal(ch_conf_parse("a = 1\nb\0 = 2\n", 13, collect, &c, &err),
                     -1);
    assert_int_equal(err.line, 2);
}


static void
handler_errors_stop_the_parse(void **state)
{
    collected_t      c;
    ch_conf_error_t  err;

    (void) state;

    assert_int_equal(parse("a = 1\nbad = 2\nc = 3\n", &c, &err), -1);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.message, "unknown setting");
    assert_int_equal(c.n, 1);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(settings_comments_and_blanks),
        cmocka_unit_test(malformed_lines_are_refused_with_their_number),
        cmocka_unit_test(handler_errors_stop_the_parse),
    };

    return run_tap(tests);
}
