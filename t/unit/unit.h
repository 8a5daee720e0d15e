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

#define run_tap(tests) \
    (cmocka_set_message_output(CM_OUTPUT_TAP), \
     cmocka_run_group_tests(tests, NULL, NULL))

#endif /* CERTHALL_UNIT_H */
