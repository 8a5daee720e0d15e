/* lib/ch_date.c: dates read as typed and written as 年/月/日 */

#include "unit.h"
#include "ch_date.h"


static void
expect_parse(const char *typed, const char *want)
{
    char  out[CH_DATE_ISO_SIZE];

    assert_int_equal(ch_date_parse(typed, strlen(typed), out), CH_DATE_OK);
    assert_string_equal(out, want);
}


static void
expect_refused(const char *typed, ch_date_e want)
{
    char  out[CH_DATE_ISO_SIZE] = "untouched";

    assert_int_equal(ch_date_parse(typed, strlen(typed), out), want);
    assert_string_equal(out, "untouched");
}


static void
the_forms_a_person_types_are_read(void **state)
{
    (void) state;

    expect_parse("2026年12月7日", "2026-12-07");
    expect_parse("2026年12月07日", "2026-12-07");
    expect_parse("2026年1月6", "2026-01-06");
    expect_parse("2026 年 12 月 7 日", "2026-12-07");
    expect_parse("2026-12-07", "2026-12-07");
    expect_parse("2026-12-7", "2026-12-07");
    expect_parse("2026/12/7", "2026-12-07");
    expect_parse("2026.1.2", "2026-01-02");
    expect_parse("  2026-12-07\t", "2026-12-07");
}


static void
full_width_digits_and_separators_are_read(void **state)
{
    (void) state;

    expect_parse("２０２６／１２／７", "2026-12-07");
    expect_parse("２０２６－１２－０７", "2026-12-07");
    expect_parse("２０２６．１．２", "2026-01-02");
    expect_parse("２０２６年１２月７日", "2026-12-07");
    expect_parse("\xe3\x80\x80" "2026年12月7日" "\xe3\x80\x80", "2026-12-07");
}


static void
nothing_typed_is_empty(void **state)
{
    (void) state;

    expect_refused("", CH_DATE_EMPTY);
    expect_refused("   ", CH_DATE_EMPTY);
    expect_refused("\xe3\x80\x80", CH_DATE_EMPTY);
}


static void
what_is_no_calendar_day_is_refused(void **state)
{
    (void) state;

    expect_refused("2026年2月30日", CH_DATE_BAD);
    expect_refused("2026-02-29", CH_DATE_BAD);
    expect_refused("2026-13-01", CH_DATE_BAD);
    expect_refused("2026-00-10", CH_DATE_BAD);
    expect_refused("2026-12-00", CH_DATE_BAD);
    expect_refused("1899-12-31", CH_DATE_BAD);
    expect_refused("3000-01-01", CH_DATE_BAD);
    expect_parse("2024-02-29", "2024-02-29");
    expect_parse("2000/2/29", "2000-02-29");
    expect_refused("1900-02-29", CH_DATE_BAD);
}


static void
other_shapes_are_refused(void **state)
{
    (void) state;

    expect_refused("12/07/2026", CH_DATE_BAD);      /* a browser's mm/dd/yyyy */
    expect_refused("2026-12/07", CH_DATE_BAD);      /* two separators */
    expect_refused("2026-12-007", CH_DATE_BAD);
    expect_refused("26-12-07", CH_DATE_BAD);
    expect_refused("20261207", CH_DATE_BAD);
    expect_refused("2026 - 12 - 07", CH_DATE_BAD);  /* as dates.js */
    expect_refused("2026年12月7日日", CH_DATE_BAD);
    expect_refused("2026年12月", CH_DATE_BAD);
    expect_refused("2026年12月7号", CH_DATE_BAD);
    expect_refused("2026YM12D", CH_DATE_BAD);       /* not our markers */
    expect_refused("2026-12-07x", CH_DATE_BAD);
    expect_refused("2026-12-07 14:30", CH_DATE_BAD);
    expect_refused("\xef\xbc", CH_DATE_BAD);        /* cut UTF-8 */
    expect_refused("2026-12-07                                                   "
                   "      ", CH_DATE_BAD);        /* longer than read */
}


static void
a_nul_inside_is_refused(void **state)
{
    char  out[CH_DATE_ISO_SIZE];

    (void) state;

    assert_int_equal(ch_date_parse("2026-12-07\0", 11, out), CH_DATE_BAD);
    assert_int_equal(ch_date_parse("2026\0-12-07", 11, out), CH_DATE_BAD);
}


static void
expect_text(size_t (*text)(char *, const char *), const char *ts,
    const char *want)
{
    char  out[CH_DATE_TEXT_SIZE];

    assert_int_equal(text(out, ts), strlen(want));
    assert_string_equal(out, want);
}


static void
dates_are_written_as_nian_yue_ri(void **state)
{
    char  out[CH_DATE_TEXT_SIZE];

    (void) state;

    expect_text(ch_date_text, "2026-12-07", "2026年12月07日");
    expect_text(ch_date_text, "2026-01-06 09:05:00+08", "2026年01月06日");
    expect_text(ch_date_time_text, "2026-12-07 14:30:59.123+08",
                "2026年12月07日 14:30");
    expect_text(ch_date_time_text, "2026-12-07T14:30:00+08:00",
                "2026年12月07日 14:30");
    expect_text(ch_date_time_text, "2026-12-07", "2026年12月07日");

    /* the longest fits its buffer exactly */
    assert_int_equal(ch_date_time_text(out, "2999-12-31 23:59:00+08"),
                     CH_DATE_TEXT_SIZE - 1);
}


static void
what_is_no_iso_date_is_left_to_the_caller(void **state)
{
    char  out[CH_DATE_TEXT_SIZE];

    (void) state;

    assert_int_equal(ch_date_text(out, NULL), 0);
    assert_int_equal(ch_date_text(out, ""), 0);
    assert_int_equal(ch_date_text(out, "2026-12"), 0);
    assert_int_equal(ch_date_text(out, "2026/12/07"), 0);
    assert_int_equal(ch_date_text(out, "infinity"), 0);
    assert_int_equal(ch_date_time_text(out, "2026-12-07 14"), 0);
    assert_int_equal(ch_date_time_text(out, "2026-12-07x14:30"), 0);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_forms_a_person_types_are_read),
        cmocka_unit_test(full_width_digits_and_separators_are_read),
        cmocka_unit_test(nothing_typed_is_empty),
        cmocka_unit_test(what_is_no_calendar_day_is_refused),
        cmocka_unit_test(other_shapes_are_refused),
        cmocka_unit_test(a_nul_inside_is_refused),
        cmocka_unit_test(dates_are_written_as_nian_yue_ri),
        cmocka_unit_test(what_is_no_iso_date_is_left_to_the_caller),
    };

    return run_tap(tests);
}
