/* lib/ch_json.c: JSON string escaping */

#include "unit.h"
#include "ch_json.h"


#define EXPECT(s, want)  expect_escaped(ch_json_escape, s, sizeof(s) - 1, want)


static void
plain_text_passes_through(void **state)
{
    (void) state;

    EXPECT("", "");
    EXPECT("not_found", "not_found");
    EXPECT("身份证号码校验位错误", "身份证号码校验位错误");
    EXPECT("emoji \xf0\x9f\x98\x80", "emoji \xf0\x9f\x98\x80");
}


static void
structure_characters_are_escaped(void **state)
{
    (void) state;

    EXPECT("a\"b", "a\\\"b");
    EXPECT("a\\b", "a\\\\b");
    EXPECT("line\nnext\r\ttab", "line\\nnext\\r\\ttab");
    EXPECT("\x01\x1f", "\\u0001\\u001f");
    EXPECT("\0", "\\u0000");
}


static void
html_significant_characters_are_escaped(void **state)
{
    (void) state;

    EXPECT("</script><b>&", "\\u003c/script\\u003e\\u003cb\\u003e\\u0026");
    EXPECT("\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029");
}


static void
invalid_utf8_becomes_replacement_characters(void **state)
{
    (void) state;

    EXPECT("\xff", "\\ufffd");
    EXPECT("a\xc3", "a\\ufffd");                 /* truncated */
    EXPECT("\xc0\xaf", "\\ufffd\\ufffd");        /* overlong '/' */
    EXPECT("\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd");
    EXPECT("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"); /* surrogate */
    EXPECT("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"); /* > U+10FFFF */
    EXPECT("\xf0\x9f\x98", "\\ufffd\\ufffd\\ufffd"); /* truncated 4-byte */
}


static void
utf8_sequence_lengths(void **state)
{
    (void) state;

    assert_int_equal(ch_utf8_sequence((const unsigned char *) "a", 1), 1);
    assert_int_equal(ch_utf8_sequence((const unsigned char *) "\xc2\x80", 2), 2);
    assert_int_equal(ch_utf8_sequence((const unsigned char *) "\xc2\x80", 1), 0);
    assert_int_equal(ch_utf8_sequence((const unsigned char *) "\xe4\xb8\xad", 3), 3);
    assert_int_equal(ch_utf8_sequence((const unsigned char *) "\xf4\x8f\xbf\xbf", 4), 4);
    assert_int_equal(ch_utf8_sequence((const unsigned char *) "\x80", 1), 0);
    assert_int_equal(ch_utf8_sequence((const unsigned char *) "\xf5\x80\x80\x80", 4), 0);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_text_passes_through),
        cmocka_unit_test(structure_characters_are_escaped),
        cmocka_unit_test(html_significant_characters_are_escaped),
        cmocka_unit_test(invalid_utf8_becomes_replacement_characters),
        cmocka_unit_test(utf8_sequence_lengths),
    };

    return run_tap(tests);
}
