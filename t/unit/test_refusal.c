/* lib/ch_refusal.c: the SQL functions' refusals, SQLSTATE CH4nn */

#include "unit.h"
#include "ch_refusal.h"


/* an error's fields, and what decoding them must give (status 0: none) */
typedef struct {
    const char  *state;
    const char  *message;
    const char  *detail;
    const char  *column;
    int          status;
    const char  *code;
    const char  *want_message;
    const char  *field;
} refusal_case_t;


static const refusal_case_t  refusals[] = {
    { "CH400", "m", "d", "c", 400, "d", "m", "c" },
    { "CH401", "请先登录", "not_logged_in", NULL,
      401, "not_logged_in", "请先登录", NULL },
    { "CH404", "m", "d", NULL, 404, "d", "m", NULL },
    { "CH409", "该用户名已存在", "login_taken", "login",
      409, "login_taken", "该用户名已存在", "login" },
    { "CH413", "m", "d", NULL, 413, "d", "m", NULL },
    { "CH422", "m", "d", "f", 422, "d", "m", "f" },
    { "CH499", "m", "d", NULL, 499, "d", "m", NULL },

    /* no DETAIL or MESSAGE: the defaults; an empty one is kept as said */
    { "CH422", NULL, NULL, NULL,
      422, CH_REFUSAL_CODE, CH_REFUSAL_MESSAGE, NULL },
    { "CH403", NULL, "csrf_failed", NULL,
      403, "csrf_failed", "请求被拒绝", NULL },
    { "CH400", "", "", "", 400, "", "", "" },
};


/* malformed, or no 4nn: the server's fault, never shown as a refusal */
static const char  *not_refusals[] = {
    "", "C", "CH", "CH4", "CH40", "CH4x2", "CH42x", "CH4 2", "CH-22",
    "CH4222", "CH422 ", " CH422", "ch422", "Ch422", "cH422", "CHA22",
    "CH399", "CH300", "CH200", "CH000", "CH500", "CH503", "CH599", "CH600",
    "CH999",
    /* PostgreSQL's own states */
    "23505", "57P01", "08006", "P0001", "XX000",
};


static void
ch4nn_decodes_to_status_code_message_and_field(void **state)
{
    size_t                 i;
    ch_refusal_t           ref;
    const refusal_case_t  *c;

    (void) state;

    for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        c = &refusals[i];

        assert_int_equal(ch_refusal_status(c->state), c->status);
        assert_int_equal(ch_refusal_decode(&ref, c->state, c->message,
                                           c->detail, c->column), 0);
        assert_int_equal(ref.status, c->status);
        assert_string_equal(ref.code, c->code);
        assert_string_equal(ref.message, c->want_message);

        if (c->field == NULL) {
            assert_null(ref.field);
        } else {
            assert_string_equal(ref.field, c->field);
        }
    }

    assert_string_equal(CH_REFUSAL_CODE, "refused");
}


static void
anything_else_is_no_refusal_and_leaves_ref_alone(void **state)
{
    size_t        i;
    ch_refusal_t  ref = { -7, "keep", "keep", "keep" };

    (void) state;

    assert_int_equal(ch_refusal_status(NULL), 0);
    assert_int_equal(ch_refusal_decode(&ref, NULL, "m", "d", "c"), -1);

    for (i = 0; i < sizeof(not_refusals) / sizeof(not_refusals[0]); i++) {
        assert_int_equal(ch_refusal_status(not_refusals[i]), 0);
        assert_int_equal(ch_refusal_decode(&ref, not_refusals[i], "m", "d",
                                           "c"), -1);
    }

    assert_int_equal(ref.status, -7);
    assert_string_equal(ref.code, "keep");
    assert_string_equal(ref.message, "keep");
    assert_string_equal(ref.field, "keep");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ch4nn_decodes_to_status_code_message_and_field),
        cmocka_unit_test(anything_else_is_no_refusal_and_leaves_ref_alone),
    };

    return run_tap(tests);
}
