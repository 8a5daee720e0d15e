/* lib/ch_html.c: HTML escaping */

#include "unit.h"
#include "ch_html.h"


#define EXPECT(s, want)  expect_escaped(ch_html_escape, s, sizeof(s) - 1, want)


static void
markup_is_escaped(void **state)
{
    (void) state;

    EXPECT("<script>alert(1)</script>",
           "&lt;script&gt;alert(1)&lt;/script&gt;");
    EXPECT("\" onmouseover='x' & y", "&quot; onmouseover=&#39;x&#39; &amp; y");
    EXPECT("华盾云科技术有限公司", "华盾云科技术有限公司");
}


static void
controls_are_dropped_but_tab_and_newline_kept(void **state)
{
    (void) state;

    EXPECT("a\x01" "b\x7f" "c\0d", "abcd");
    EXPECT("a\tb\nc", "a\tb\nc");
}


static void
invalid_utf8_becomes_replacement_characters(void **state)
{
    (void) state;

    EXPECT("\xff<", "\xef\xbf\xbd&lt;");
    EXPECT("\xe4\xb8", "\xef\xbf\xbd\xef\xbf\xbd");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(markup_is_escaped),
        cmocka_unit_test(controls_are_dropped_but_tab_and_newline_kept),
        cmocka_unit_test(invalid_utf8_becomes_replacement_characters),
    };

    return run_tap(tests);
}
