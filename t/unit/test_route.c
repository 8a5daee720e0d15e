/* lib/ch_route.c: the /api/ path patterns */

#include "unit.h"
#include "ch_route.h"


static int
match(const char *pattern, const char *path, ch_route_params_t *params)
{
    return ch_route_match(pattern, (const unsigned char *) path, strlen(path),
                          params);
}


static void
literal_paths_match_exactly(void **state)
{
    ch_route_params_t  p;

    (void) state;

    assert_true(match("/api/health", "/api/health", &p));
    assert_int_equal(p.nparams, 0);

    assert_false(match("/api/health", "/api/health/", &p));
    assert_false(match("/api/health", "/api/healt", &p));
    assert_false(match("/api/health", "/api/healthz", &p));
    assert_false(match("/api/health", "/API/health", &p));
    assert_false(match("/api/health", "", &p));
}


static void
params_capture_whole_segments(void **state)
{
    ch_route_params_t  p;
    const char        *path = "/api/orders/UO202406041642340434/materials/id_front";

    (void) state;

    assert_true(match("/api/orders/{}/materials/{}", path, &p));
    assert_int_equal(p.nparams, 2);
    assert_int_equal(p.param[0].len, 20);
    assert_memory_equal(p.param[0].data, "UO202406041642340434", 20);
    assert_int_equal(p.param[1].len, 8);
    assert_memory_equal(p.param[1].data, "id_front", 8);

    /* the captures point into the path itself */
    assert_ptr_equal(p.param[0].data, (const unsigned char *) path + 12);
}


static void
params_refuse_empty_and_foreign_segments(void **state)
{
    ch_route_params_t  p;

    (void) state;

    assert_false(match("/api/orders/{}", "/api/orders/", &p));
    assert_false(match("/api/orders/{}/info", "/api/orders//info", &p));
    assert_false(match("/api/orders/{}", "/api/orders/a b", &p));
    assert_false(match("/api/orders/{}", "/api/orders/..", &p));
    assert_false(match("/api/orders/{}", "/api/orders/%2e", &p));
    assert_false(match("/api/orders/{}", "/api/orders/\xe4\xb8\xad", &p));
    assert_false(match("/api/orders/{}", "/api/orders/a/b", &p));
    assert_true(match("/api/orders/{}", "/api/orders/a-b_C9", &p));
}


static void
too_many_params_never_match(void **state)
{
    ch_route_params_t  p;

    (void) state;

    assert_true(match("/{}/{}/{}/{}", "/a/b/c/d", &p));
    assert_int_equal(p.nparams, 4);
    assert_false(match("/{}/{}/{}/{}/{}", "/a/b/c/d/e", &p));
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literal_paths_match_exactly),
        cmocka_unit_test(params_capture_whole_segments),
        cmocka_unit_test(params_refuse_empty_and_foreign_segments),
        cmocka_unit_test(too_many_params_never_match),
    };

    return run_tap(tests);
}
