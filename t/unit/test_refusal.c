/* lib/ch_refusal.c: the SQL functions' refusals, SQLSTATE CH4nn */

#include "unit.h"
#include "ch_refusal.h"


static void
refused_state(const char *state)
{
    ch_refusal_t  ref = { -7, "keep", "keep", "keep" };

    assert_int_equal(ch_refusal_status(state), 0);
    assert_int_equal(ch_refusal_decode(&ref, state, "m", "d", "c"), -1);

    /* no refusal leaves the caller's value alone */
    assert_int_equal(ref.status, -7);
    assert_string_equal(ref.code, "keep");
    assert_string_equal(ref.message, "keep");
    assert_string_equal(ref.field, "keep");
}


static void
ch4nn_is_the_http_status(void **state)
{
    (void) state;

    assert_int_equal(ch_refusal_status("CH400"), 400);
    assert_int_equal(ch_refusal_status("CH401"), 401);
    assert_int_equal(ch_refusal_status("CH404"), 404);
    assert_int_equal(ch_refusal_status("CH409"), 409);
    assert_int_equal(ch_refusal_status("CH413"), 413);
    assert_int_equal(ch_refusal_status("CH422"), 422);
    assert_int_equal(ch_refusal_status("CH499"), 499);
}


static void
a_refusal_carries_code_message_and_field(void **state)
{
    ch_refusal_t  ref;

    (void) state;

    assert_int_equal(ch_refusal_decode(&ref, "CH409", "该用户名已存在",
                                       "login_taken", "login"), 0);
    assert_int_equal(ref.status, 409);
    assert_string_equal(ref.code, "login_taken");
    assert_string_equal(ref.message, "该用户名已存在");
    assert_string_equal(ref.field, "login");

    /* no COLUMN: no field */
    assert_int_equal(ch_refusal_decode(&ref, "CH403", "请先登录",
                                       "csrf_failed", NULL), 0);
    assert_int_equal(ref.status, 403);
    assert_string_equal(ref.code, "csrf_failed");
    assert_null(ref.field);
}


static void
a_refusal_without_detail_or_message_says_refused(void **state)
{
    ch_refusal_t  ref;

    (void) state;

    assert_int_equal(ch_refusal_decode(&ref, "CH422", NULL, NULL, NULL), 0);
    assert_int_equal(ref.status, 422);
    assert_string_equal(ref.code, CH_REFUSAL_CODE);
    assert_string_equal(ref.code, "refused");
    assert_string_equal(ref.message, CH_REFUSAL_MESSAGE);
    assert_null(ref.field);

    /* an empty one is what the database said, and is kept */
    assert_int_equal(ch_refusal_decode(&ref, "CH400", "", "", ""), 0);
    assert_string_equal(ref.code, "");
    assert_string_equal(ref.message, "");
    assert_string_equal(ref.field, "");
}


static void
malformed_states_are_no_refusals(void **state)
{
    (void) state;

    refused_state(NULL);
    refused_state("");
    refused_state("C");
    refused_state("CH");
    refused_state("CH4");
    refused_state("CH40");
    refused_state("CH4x2");
    refused_state("CH42x");
    refused_state("CH4 2");
    refused_state("CH-22");
    refused_state("CH4222");
    refused_state("CH422 ");
    refused_state(" CH422");
    refused_state("ch422");
    refused_state("Ch422");
    refused_state("cH422");
    refused_state("CHA22");
}


static void
other_statuses_and_states_are_the_servers_fault(void **state)
{
    (void) state;

    /* not 4nn: the server's fault, never shown as a refusal */
    refused_state("CH399");
    refused_state("CH300");
    refused_state("CH200");
    refused_state("CH000");
    refused_state("CH500");
    refused_state("CH503");
    refused_state("CH599");
    refused_state("CH600");
    refused_state("CH999");

    /* PostgreSQL's own states */
    refused_state("23505");
    refused_state("57P01");
    refused_state("08006");
    refused_state("P0001");
    refused_state("XX000");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ch4nn_is_the_http_status),
        cmocka_unit_test(a_refusal_carries_code_message_and_field),
        cmocka_unit_test(a_refusal_without_detail_or_message_says_refused),
        cmocka_unit_test(malformed_states_are_no_refusals),
        cmocka_unit_test(other_statuses_and_states_are_the_servers_fault),
    };

    return run_tap(tests);
}
