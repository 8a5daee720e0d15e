/*
 * Common includes for the cmocka unit tests; every test prints TAP so the
 * one harness (t/bin/run-tests) counts it with the other suites.
 */

#ifndef CERTHALL_UNIT_H
#define CERTHALL_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

/* the escapers of lib/ share one signature: with dst NULL they only size */
typedef size_t (*escape_pt)(unsigned char *dst, const unsigned char *src,
    size_t len);


/* escapes s and checks the result, and that the sizing pass agrees */
static inline void
expect_escaped(escape_pt escape, const char *s, size_t len, const char *want)
{
    unsigned char  out[256];
    size_t         n;

    n = escape(NULL, (const unsigned char *) s, len);
    assert_int_equal(n, strlen(want));
    assert_true(n < sizeof(out));

    n = escape(out, (const unsigned char *) s, len);
    out[n] = '\0';
    assert_string_equal((char *) out, want);
}


#define run_tap(tests) \
    (cmocka_set_message_output(CM_OUTPUT_TAP), \
     cmocka_run_group_tests(tests, NULL, NULL))

#endif /* CERTHALL_UNIT_H */
