/* lib/ch_money.c: amounts in yuan, read into integer fen */

#include "unit.h"
#include "ch_money.h"


static long long
fen_of(const char *s)
{
    long long  fen = -12345;

    assert_int_equal(ch_money_parse(s, strlen(s), &fen), 0);

    return fen;
}


static void
refused(const char *s)
{
    long long  fen = -12345;

    assert_int_equal(ch_money_parse(s, strlen(s), &fen), -1);
    /* a refusal leaves the caller's value alone */
    assert_int_equal(fen, -12345);
}


static void
whole_yuan_and_decimals_become_fen(void **state)
{
    (void) state;

    assert_int_equal(fen_of("300"), 30000);
    assert_int_equal(fen_of("300.0"), 30000);
    assert_int_equal(fen_of("300.00"), 30000);
    assert_int_equal(fen_of("300.5"), 30050);
    assert_int_equal(fen_of("300.05"), 30005);
    assert_int_equal(fen_of("0.01"), 1);
    assert_int_equal(fen_of("0"), 0);
    assert_int_equal(fen_of("007.10"), 710);
}


static void
blanks_currency_signs_and_thousands_commas_are_read(void **state)
{
    (void) state;

    assert_int_equal(fen_of("  300.00 "), 30000);
    assert_int_equal(fen_of("\xc2\xa5" "300"), 30000);          /* ¥ */
    assert_int_equal(fen_of("\xef\xbf\xa5" "1,200.00"), 120000); /* ￥ */
    assert_int_equal(fen_of("1,234,567.89"), 123456789);
    assert_int_equal(fen_of("12,345"), 1234500);
}


static void
anything_else_is_refused(void **state)
{
    (void) state;

    refused("");
    refused("   ");
    refused(".50");
    refused("300.");
    refused("300.001");
    refused("-300");
    refused("+300");
    refused("3e2");
    refused("300元");
    refused("三百");
    refused("300 00");
    refused("1,2000");
    refused(",300");
    refused("1,23");
    refused("1234,567");
    refused("1,234,56");
    refused("0x10");
    refused("300.0.0");
    refused("\xc2\xa5");
    refused("\xc2\xa5\xc2\xa5" "1");
}


static void
the_bound_is_exact(void **state)
{
    long long  fen;

    (void) state;

    /* 10^10 yuan is the largest amount; one fen more is not read */
    assert_int_equal(fen_of("10000000000"), 1000000000000LL);
    assert_int_equal(fen_of("10000000000.00"), 1000000000000LL);
    refused("10000000000.01");
    refused("10000000001");
    refused("99999999999999999999999999");

    /* a length, not a C string: what follows is not read */
    assert_int_equal(ch_money_parse("12.345", 5, &fen), 0);
    assert_int_equal(fen, 1234);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_yuan_and_decimals_become_fen),
        cmocka_unit_test(blanks_currency_signs_and_thousands_commas_are_read),
        cmocka_unit_test(anything_else_is_refused),
        cmocka_unit_test(the_bound_is_exact),
    };

    return run_tap(tests);
}
