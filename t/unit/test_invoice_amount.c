/* lib/ch_invoice_amount.c: an invoice's amounts from integer fen */

#include "unit.h"
#include "ch_invoice_amount.h"


static ch_invoice_line_t
line_of(long long price, long long qty, int rate)
{
    ch_invoice_line_t  l;

    memset(&l, 0, sizeof(l));
    l.price_fen = price;
    l.quantity = qty;
    l.rate_bp = rate;

    assert_int_equal(ch_invoice_line(&l), 0);
    assert_int_equal(l.amount_fen, l.net_fen + l.tax_fen);

    return l;
}


static void
expect_line(long long price, long long qty, int rate, long long amount,
    long long tax, long long net)
{
    ch_invoice_line_t  l = line_of(price, qty, rate);

    assert_int_equal(l.amount_fen, amount);
    assert_int_equal(l.tax_fen, tax);
    assert_int_equal(l.net_fen, net);
}


static void
awkward_prices_round_half_up_per_line(void **state)
{
    (void) state;

    /* 1 fen at 6 %: 0.057 fen of tax rounds to none */
    expect_line(1, 1, 600, 1, 0, 1);
    /* 3 fen: 0.17 */
    expect_line(3, 1, 600, 3, 0, 3);
    /* 9 fen: 0.509 rounds up */
    expect_line(9, 1, 600, 9, 1, 8);
    /* 106.00 yuan at 6 % is exactly 100.00 + 6.00 */
    expect_line(10600, 1, 600, 10600, 600, 10000);
    /* 99,999.99 yuan: 566,037.68 fen */
    expect_line(9999999, 1, 600, 9999999, 566038, 9433961);
    /* at 13 %: 1,150,442.39 fen; and 1.00 yuan: 11.50 fen rounds up */
    expect_line(9999999, 1, 1300, 9999999, 1150442, 8849557);
    expect_line(100, 1, 1300, 100, 12, 88);
    /* tax-free */
    expect_line(9999999, 3, 0, 29999997, 0, 29999997);
    /* an exact half (1 fen at 100 %) goes up */
    expect_line(1, 1, 10000, 1, 1, 0);
    expect_line(3, 1, 10000, 3, 2, 1);
    /* quantity multiplies before rounding: 3 x 9 fen is one 27-fen line */
    expect_line(9, 3, 600, 27, 2, 25);
}


static void
a_red_line_mirrors_its_blue_one(void **state)
{
    (void) state;

    expect_line(9, -1, 600, -9, -1, -8);
    expect_line(1, -1, 10000, -1, -1, 0);
    expect_line(9999999, -1, 1300, -9999999, -1150442, -8849557);
}


static void
the_header_is_the_sum_of_the_lines_not_the_tax_of_the_total(void **state)
{
    ch_invoice_line_t  lines[3];
    ch_invoice_sum_t   sum;
    ch_invoice_line_t  whole;
    size_t             bad = 99;

    (void) state;

    /* three 9-fen lines: 1 fen of tax each (0.509 up), 3 in all; the tax
     * of the 27-fen total would be 2 (1.53) */
    lines[0] = line_of(9, 1, 600);
    lines[1] = line_of(9, 1, 600);
    lines[2] = line_of(9, 1, 600);

    assert_int_equal(ch_invoice_sum(lines, 3, &sum, &bad), 0);
    assert_int_equal(sum.total_fen, 27);
    assert_int_equal(sum.tax_fen, 3);
    assert_int_equal(sum.net_fen, 24);
    assert_int_equal(sum.total_fen, sum.net_fen + sum.tax_fen);
    assert_int_equal(bad, 99);

    whole = line_of(27, 1, 600);
    assert_int_equal(whole.tax_fen, 2);
    assert_true(sum.tax_fen != whole.tax_fen);

    /* mixed rates: 1.00 at 13 % (12), 0.09 at 6 % (1), 0.03 at 0 % */
    lines[0] = line_of(100, 1, 1300);
    lines[1] = line_of(9, 1, 600);
    lines[2] = line_of(3, 1, 0);
    assert_int_equal(ch_invoice_sum(lines, 3, &sum, NULL), 0);
    assert_int_equal(sum.total_fen, 112);
    assert_int_equal(sum.tax_fen, 13);
    assert_int_equal(sum.net_fen, 99);
}


static void
bad_lines_and_overflow_are_refused(void **state)
{
    ch_invoice_line_t  l, lines[2];
    ch_invoice_sum_t   sum = { 7, 7, 7 };
    size_t             bad = 99;

    (void) state;

    memset(&l, 0, sizeof(l));
    l.price_fen = -1;
    l.quantity = 1;
    l.rate_bp = 600;
    assert_int_equal(ch_invoice_line(&l), -1);
    /* refused lines are left as they were */
    assert_int_equal(l.amount_fen, 0);

    l.price_fen = 1;
    l.rate_bp = -1;
    assert_int_equal(ch_invoice_line(&l), -1);
    l.rate_bp = 10001;
    assert_int_equal(ch_invoice_line(&l), -1);

    /* price * quantity beyond 2^63, and beyond the 10^12 limit */
    l.rate_bp = 600;
    l.price_fen = 0x7fffffffffffffffLL;
    l.quantity = 2;
    assert_int_equal(ch_invoice_line(&l), -1);
    l.price_fen = CH_INVOICE_MAX_FEN;
    l.quantity = 1;
    assert_int_equal(ch_invoice_line(&l), 0);
    assert_int_equal(l.tax_fen, 56603773585LL);
    l.quantity = -1;
    assert_int_equal(ch_invoice_line(&l), 0);
    assert_int_equal(l.tax_fen, -56603773585LL);
    l.price_fen = CH_INVOICE_MAX_FEN + 1;
    assert_int_equal(ch_invoice_line(&l), -1);

    /* two lines each at the limit: the total is not (bad = n: the total) */
    memset(lines, 0, sizeof(lines));
    lines[0].price_fen = CH_INVOICE_MAX_FEN;
    lines[0].quantity = 1;
    lines[1] = lines[0];
    assert_int_equal(ch_invoice_sum(lines, 2, &sum, &bad), -1);
    assert_int_equal(bad, 2);
    assert_int_equal(sum.total_fen, 7);

    /* the second line is the bad one */
    lines[1].rate_bp = 20000;
    lines[0].price_fen = 100;
    assert_int_equal(ch_invoice_sum(lines, 2, &sum, &bad), -1);
    assert_int_equal(bad, 1);

    /* an invoice has lines */
    assert_int_equal(ch_invoice_sum(lines, 0, &sum, &bad), -1);
    assert_int_equal(bad, 0);
}


static void
fen_are_written_as_yuan_with_two_decimals(void **state)
{
    char  buf[CH_INVOICE_FEN_LEN];

    (void) state;

    assert_int_equal(ch_invoice_fen_format(buf, 0), 4);
    assert_string_equal(buf, "0.00");
    ch_invoice_fen_format(buf, 1);
    assert_string_equal(buf, "0.01");
    ch_invoice_fen_format(buf, 12345);
    assert_string_equal(buf, "123.45");
    ch_invoice_fen_format(buf, -10600);
    assert_string_equal(buf, "-106.00");
    ch_invoice_fen_format(buf, -5);
    assert_string_equal(buf, "-0.05");
    ch_invoice_fen_format(buf, CH_INVOICE_MAX_FEN);
    assert_string_equal(buf, "10000000000.00");
    /* whatever a caller passes fits */
    ch_invoice_fen_format(buf, -0x7fffffffffffffffLL - 1);
    assert_string_equal(buf, "-92233720368547758.08");
}


static void
rates_are_written_as_decimal_fractions(void **state)
{
    char  buf[CH_INVOICE_RATE_LEN];

    (void) state;

    ch_invoice_rate_format(buf, 600);
    assert_string_equal(buf, "0.06");
    ch_invoice_rate_format(buf, 1300);
    assert_string_equal(buf, "0.13");
    ch_invoice_rate_format(buf, 300);
    assert_string_equal(buf, "0.03");
    ch_invoice_rate_format(buf, 625);
    assert_string_equal(buf, "0.0625");
    ch_invoice_rate_format(buf, 1);
    assert_string_equal(buf, "0.0001");
    ch_invoice_rate_format(buf, 1000);
    assert_string_equal(buf, "0.1");
    ch_invoice_rate_format(buf, 0);
    assert_string_equal(buf, "0");
    ch_invoice_rate_format(buf, 10000);
    assert_string_equal(buf, "1");
    assert_int_equal(ch_invoice_rate_format(buf, -1), 0);
    assert_int_equal(ch_invoice_rate_format(buf, 10001), 0);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(awkward_prices_round_half_up_per_line),
        cmocka_unit_test(a_red_line_mirrors_its_blue_one),
        cmocka_unit_test(the_header_is_the_sum_of_the_lines_not_the_tax_of_the_total),
        cmocka_unit_test(bad_lines_and_overflow_are_refused),
        cmocka_unit_test(fen_are_written_as_yuan_with_two_decimals),
        cmocka_unit_test(rates_are_written_as_decimal_fractions),
    };

    return run_tap(tests);
}
