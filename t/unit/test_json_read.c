/* lib/ch_json_read.c: reading other systems' JSON answers, log-safe text */

#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "ch_json_read.h"


/* the members the SMS sender asks for */
enum { M_CODE, M_ID, M_MESSAGE, M_MSG, M_N };

static ch_json_member_t  m[M_N];

/*
 * The text under test goes to the very end of this buffer, without a NUL:
 * AddressSanitizer sees any read past it.  Member values point into it
 * until the next text.
 */
static unsigned char  area[8192];


static const unsigned char *
at_end(const char *text, size_t len)
{
    assert_true(len <= sizeof(area));
    memcpy(area + sizeof(area) - len, text, len);

    return area + sizeof(area) - len;
}


/* reads text (len bytes) asking for code, id, message and msg */
static int
answer_len(const char *text, size_t len)
{
    m[M_CODE].name = "code";
    m[M_ID].name = "id";
    m[M_MESSAGE].name = "message";
    m[M_MSG].name = "msg";

    return ch_json_object_members(at_end(text, len), len, m, M_N);
}


static int
answer(const char *text)
{
    return answer_len(text, strlen(text));
}


/* whether text is one valid JSON object, asking for no member */
static int
valid_len(const char *text, size_t len)
{
    return ch_json_object_members(at_end(text, len), len, NULL, 0) == 0;
}


static int
valid(const char *text)
{
    return valid_len(text, strlen(text));
}


/* whether value is accepted as a member's value: {"v":value} */
static int
valid_value(const char *value)
{
    char  text[512];

    assert_true((size_t) snprintf(text, sizeof(text), "{\"v\":%s}", value)
                < sizeof(text));

    return valid(text);
}


/* the decoded text of a JSON string (quotes included), malloc'ed, or NULL */
static char *
decoded(const char *string)
{
    char              text[512];
    size_t            len;
    ch_json_member_t  v;

    len = (size_t) snprintf(text, sizeof(text), "{\"v\":%s}", string);
    assert_true(len < sizeof(text));

    v.name = "v";
    assert_int_equal(ch_json_object_members(at_end(text, len), len, &v, 1), 0);
    assert_int_equal(v.type, CH_JSON_STRING);
    assert_int_equal(v.len, strlen(string));

    return ch_json_string_value(&v);
}


static void
expect_decoded(const char *string, const char *want)
{
    char  *got;

    got = decoded(string);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}


static void
expect_raw(const ch_json_member_t *member, ch_json_type_e type,
    const char *raw)
{
    assert_int_equal(member->type, type);
    assert_non_null(member->value);
    assert_int_equal(member->len, strlen(raw));
    assert_memory_equal(member->value, raw, member->len);
}


static void
expect_absent(const ch_json_member_t *member)
{
    assert_int_equal(member->type, CH_JSON_NONE);
    assert_null(member->value);
    assert_int_equal(member->len, 0);
    assert_null(ch_json_string_value(member));
    assert_false(ch_json_number_is_zero(member));
}


/* nesting: depth containers ('{' or '[') in all, the outermost an object */
static void
nested(char *text, size_t size, unsigned depth, char open)
{
    size_t    n;
    unsigned  i;

    n = 0;
    text[n++] = '{';

    for (i = 1; i < depth; i++) {
        assert_true(n + 6 < size);

        if (i == 1 || open == '{') {
            memcpy(text + n, "\"a\":", 4);
            n += 4;
        }

        text[n++] = open;
    }

    for (i = depth; i > 1; i--) {
        assert_true(n + 2 < size);
        text[n++] = (open == '{') ? '}' : ']';
    }

    text[n++] = '}';
    text[n] = '\0';
}


static void
gateway_answers_are_read(void **state)
{
    char  *s;

    (void) state;

    assert_int_equal(answer("{\"code\":0,\"id\":\"gw-1\"}"), 0);
    expect_raw(&m[M_CODE], CH_JSON_NUMBER, "0");
    assert_true(ch_json_number_is_zero(&m[M_CODE]));
    expect_raw(&m[M_ID], CH_JSON_STRING, "\"gw-1\"");
    s = ch_json_string_value(&m[M_ID]);
    assert_string_equal(s, "gw-1");
    free(s);
    expect_absent(&m[M_MESSAGE]);
    expect_absent(&m[M_MSG]);

    assert_int_equal(answer("{\"code\":1001,\"message\":"
                            "\"number is blacklisted\"}"), 0);
    expect_raw(&m[M_CODE], CH_JSON_NUMBER, "1001");
    assert_false(ch_json_number_is_zero(&m[M_CODE]));
    s = ch_json_string_value(&m[M_MESSAGE]);
    assert_string_equal(s, "number is blacklisted");
    free(s);
    expect_absent(&m[M_ID]);

    assert_int_equal(answer("{\"msg\":\"\xe5\x8f\xb7\xe7\xa0\x81\xe9\x94\x99"
                            "\xe8\xaf\xaf\",\"code\":-3}"), 0);
    expect_raw(&m[M_CODE], CH_JSON_NUMBER, "-3");
    s = ch_json_string_value(&m[M_MSG]);
    assert_string_equal(s, "号码错误");
    free(s);

    /* blanks anywhere between tokens, members in any order */
    assert_int_equal(answer(" \t\r\n{ \"id\" :\t\"x\" ,\n\"code\"\r: 0 }\n\n"),
                     0);
    expect_raw(&m[M_CODE], CH_JSON_NUMBER, "0");
    expect_raw(&m[M_ID], CH_JSON_STRING, "\"x\"");

    /* members not asked for are validated and skipped, nested ones too */
    assert_int_equal(answer("{\"data\":{\"code\":7,\"id\":\"inner\"},"
                            "\"extra\":[{\"message\":1}],\"code\":0}"), 0);
    expect_raw(&m[M_CODE], CH_JSON_NUMBER, "0");
    expect_absent(&m[M_ID]);
    expect_absent(&m[M_MESSAGE]);

    /* values of every kind, as they stand in the text */
    assert_int_equal(answer("{\"code\":{\"a\":[1,{}]},\"id\":[ 1 , \"2\" ],"
                            "\"message\":true,\"msg\":null}"), 0);
    expect_raw(&m[M_CODE], CH_JSON_OBJECT, "{\"a\":[1,{}]}");
    expect_raw(&m[M_ID], CH_JSON_ARRAY, "[ 1 , \"2\" ]");
    expect_raw(&m[M_MESSAGE], CH_JSON_TRUE, "true");
    expect_raw(&m[M_MSG], CH_JSON_NULL, "null");
    assert_null(ch_json_string_value(&m[M_CODE]));
    assert_null(ch_json_string_value(&m[M_MESSAGE]));
    assert_false(ch_json_number_is_zero(&m[M_CODE]));
    assert_false(ch_json_number_is_zero(&m[M_MSG]));

    assert_int_equal(answer("{\"code\":false,\"id\":\"0\"}"), 0);
    expect_raw(&m[M_CODE], CH_JSON_FALSE, "false");
    assert_false(ch_json_number_is_zero(&m[M_ID]));    /* a string "0" */

    assert_int_equal(answer("{}"), 0);
    expect_absent(&m[M_CODE]);
    expect_absent(&m[M_ID]);

    assert_int_equal(answer(" { } "), 0);
}


static void
names_are_matched_exactly_after_decoding(void **state)
{
    char  *s;

    (void) state;

    /* an escaped name is the name it decodes to */
    assert_int_equal(answer("{\"co\\u0064e\":0,\"\\u0069\\u0064\":\"a\"}"), 0);
    expect_raw(&m[M_CODE], CH_JSON_NUMBER, "0");
    s = ch_json_string_value(&m[M_ID]);
    assert_string_equal(s, "a");
    free(s);

    /* no other spelling matches */
    assert_int_equal(answer("{\"Code\":0,\"code \":0,\" code\":0,\"cod\":0,"
                            "\"codes\":0,\"i\\u0064\\u0000\":\"x\"}"), 0);
    expect_absent(&m[M_CODE]);
    expect_absent(&m[M_ID]);

    /* the empty name can be asked for */
    {
        ch_json_member_t  e;
        const char       *t = "{\"\":1}";

        e.name = "";
        assert_int_equal(ch_json_object_members(at_end(t, strlen(t)),
                                                strlen(t), &e, 1), 0);
        expect_raw(&e, CH_JSON_NUMBER, "1");
    }
}


static void
a_member_asked_for_twice_is_refused(void **state)
{
    (void) state;

    assert_int_equal(answer("{\"code\":0,\"code\":1}"), -1);
    assert_int_equal(answer("{\"code\":0,\"id\":\"a\",\"id\":\"b\"}"), -1);
    assert_int_equal(answer("{\"message\":\"a\",\"code\":0,"
                            "\"message\":\"a\"}"), -1);

    /* the same name spelt with escapes is the same member */
    assert_int_equal(answer("{\"code\":0,\"co\\u0064e\":1}"), -1);
    assert_int_equal(answer("{\"id\":\"x\",\"\\u0069d\":\"y\"}"), -1);

    /* whatever the type of either */
    assert_int_equal(answer("{\"code\":null,\"code\":null}"), -1);

    /* repeated members not asked for, or nested ones, are no concern */
    assert_int_equal(answer("{\"x\":1,\"x\":2,\"code\":0}"), 0);
    assert_int_equal(answer("{\"code\":0,\"data\":{\"code\":1,\"code\":2}}"),
                     0);
    assert_int_equal(answer("{\"code\":0,\"a\":[{\"id\":1},{\"id\":2}]}"), 0);
    assert_true(valid("{\"code\":0,\"code\":1}"));      /* none asked for */

    /* "message" and "msg" are two members */
    assert_int_equal(answer("{\"message\":\"a\",\"msg\":\"b\"}"), 0);
}


static void
numbers(void **state)
{
    size_t  i;

    static const char *const  good[] = {
        "0", "-0", "0.0", "-0.0", "1", "-1", "123", "1.5", "-1.25",
        "1e5", "1E5", "1e+5", "1e-5", "0e0", "-0.0e-0", "1.0E+10",
        "123456789012345678901234567890", "1e999", "0.000001", NULL
    };

    static const char *const  bad[] = {
        "01", "-01", "00", "-00", "+1", ".5", "-.5", "1.", "1.e5", "1e",
        "1e+", "1e-", "1E", "-", "--1", "0x10", "0X1", "Infinity",
        "-Infinity", "NaN", "1_000", "1 2", "1,5", "0.0.0", "1e5e5",
        "\xef\xbc\x91", "1.5f", "5L", "0b1", NULL
    };

    static const char *const  zero[] = {
        "0", "-0", "0.0", "-0.0", "0e5", "0E-5", "-0.000E-7", "0.0e+99",
        "0e1", "0.000", NULL
    };

    static const char *const  not_zero[] = {
        "1", "-1", "0.1", "0.01", "-0.0001", "1e-400", "10", "100e-5",
        "0.0000000000000000000000001", NULL
    };

    (void) state;

    for (i = 0; good[i]; i++) {
        if (!valid_value(good[i])) {
            fail_msg("number %s refused", good[i]);
        }
    }

    for (i = 0; bad[i]; i++) {
        if (valid_value(bad[i])) {
            fail_msg("number %s accepted", bad[i]);
        }
    }

    for (i = 0; zero[i]; i++) {
        char  text[64];

        snprintf(text, sizeof(text), "{\"code\":%s}", zero[i]);
        assert_int_equal(answer(text), 0);
        expect_raw(&m[M_CODE], CH_JSON_NUMBER, zero[i]);

        if (!ch_json_number_is_zero(&m[M_CODE])) {
            fail_msg("%s is not zero", zero[i]);
        }
    }

    for (i = 0; not_zero[i]; i++) {
        char  text[64];

        snprintf(text, sizeof(text), "{\"code\":%s}", not_zero[i]);
        assert_int_equal(answer(text), 0);

        if (ch_json_number_is_zero(&m[M_CODE])) {
            fail_msg("%s is zero", not_zero[i]);
        }
    }

    /* a number ends where the object does */
    assert_true(valid("{\"a\":0}"));
    assert_true(valid("{\"a\":[0,-0,1e2]}"));
    assert_false(valid("{\"a\":0"));
    assert_false(valid("{\"a\":-"));
    assert_false(valid("{\"a\":1e"));
}


static void
strings_and_their_escapes(void **state)
{
    char  *s;

    (void) state;

    expect_decoded("\"\"", "");
    expect_decoded("\"plain text\"", "plain text");
    expect_decoded("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t");
    expect_decoded("\"a\\/b\"", "a/b");
    expect_decoded("\"/\"", "/");

    /* \uXXXX, either case of hex digit, one to three bytes of UTF-8 */
    expect_decoded("\"\\u0041\\u00e9\\u00E9\\u4e2d\\uffff\"",
                   "A\xc3\xa9\xc3\xa9\xe4\xb8\xad\xef\xbf\xbf");
    expect_decoded("\"\\u007f\\u0080\\u07ff\\u0800\"",
                   "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80");
    expect_decoded("\"\\u0001\\u001f\"", "\x01\x1f");    /* escaped: fine */

    /* a surrogate pair is one character of four bytes */
    expect_decoded("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
    expect_decoded("\"x\\uD83D\\uDE00y\"", "x\xf0\x9f\x98\x80y");
    expect_decoded("\"\\ud800\\udc00\\udbff\\udfff\"",
                   "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");

    /*
     * A lone surrogate is valid JSON (RFC 8259 section 8.2) but no
     * character: it decodes to U+FFFD, so the result is always UTF-8.
     */
    expect_decoded("\"\\ud800\"", "\xef\xbf\xbd");
    expect_decoded("\"\\udc00\"", "\xef\xbf\xbd");
    expect_decoded("\"\\ud800x\"", "\xef\xbf\xbdx");
    expect_decoded("\"\\ud800\\ud800\"", "\xef\xbf\xbd\xef\xbf\xbd");
    expect_decoded("\"\\ud800\\u0041\"", "\xef\xbf\xbd" "A");
    expect_decoded("\"\\ude00\\ud83d\"", "\xef\xbf\xbd\xef\xbf\xbd");
    expect_decoded("\"\\ud83d\\n\"", "\xef\xbf\xbd\n");
    expect_decoded("\"\\ud83d\\ud83d\\ude00\"",
                   "\xef\xbf\xbd\xf0\x9f\x98\x80");

    /* raw UTF-8 and DEL pass as they are */
    expect_decoded("\"\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80\"",
                   "中文 \xf0\x9f\x98\x80");
    expect_decoded("\"a\x7f" "b\"", "a\x7f" "b");

    /* U+0000 is valid JSON, but no C string: no value */
    s = decoded("\"\\u0000\"");
    assert_null(s);
    s = decoded("\"a\\u0000b\"");
    assert_null(s);
    expect_decoded("\"\\\\u0000\"", "\\u0000");     /* an escaped backslash */
}


static void
bad_strings_are_refused(void **state)
{
    size_t  i;

    static const char *const  bad[] = {
        /* escapes */
        "\"\\x41\"", "\"\\'\"", "\"\\U0041\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"\\u 123\"", "\"\\u-123\"", "\"\\0\"", "\"\\a\"", "\"\\v\"",
        "\"\\e\"", "\"\\\"", "\"\\u\"", "\"\\\xe4\xb8\xad\"",
        /* raw control characters */
        "\"a\x01" "b\"", "\"a\nb\"", "\"a\tb\"", "\"a\rb\"", "\"\x1f\"",
        "\"\x1b[31m\"",
        /* not UTF-8 */
        "\"\xff\"", "\"\xfe\"", "\"\x80\"", "\"\xc3\"", "\"\xc3(\"",
        "\"\xc0\xaf\"", "\"\xc1\xbf\"", "\"\xe0\x80\xaf\"",
        "\"\xed\xa0\x80\"", "\"\xed\xbf\xbf\"", "\"\xf4\x90\x80\x80\"",
        "\"\xf5\x80\x80\x80\"", "\"\xf0\x9f\x98\"", "\"\xe4\xb8\"",
        /* other quotes, unterminated */
        "'a'", "\"abc", "\"", "\"abc\\\"",
        NULL
    };

    (void) state;

    for (i = 0; bad[i]; i++) {
        if (valid_value(bad[i])) {
            fail_msg("string #%zu accepted", i);
        }
    }

    /* in names as in values */
    assert_false(valid("{\"\\x\":1}"));
    assert_false(valid("{\"\xff\":1}"));
    assert_false(valid("{\"a\nb\":1}"));
    assert_int_equal(answer("{\"co\xc0\xe4\":0}"), -1);

    /* U+0000 raw in a string (or anywhere) is a control character */
    assert_false(valid_len("{\"a\":\"x\0y\"}", 11));
    assert_false(valid_len("{\"a\0\":1}", 8));
    assert_false(valid_len("{\"a\":1}\0", 8));
}


static void
structure_is_strict(void **state)
{
    size_t  i;

    static const char *const  bad[] = {
        /* nothing, or not an object */
        "", " ", "\n\t\r ", "[]", "[{}]", "\"x\"", "0", "-1", "null", "true",
        "false", "{}}",
        /* something after the object */
        "{} x", "{}{}", "{},", "{}  {", "{}\"\"", "{} //", "{}#",
        "{\"code\":0}0", "{\"code\":0},{}",
        /* trailing or missing commas, colons, values */
        "{,}", "{\"a\":1,}", "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":[1,,2]}",
        "{\"a\":1,,\"b\":2}", "{\"a\":1 \"b\":2}", "{\"a\" 1}", "{\"a\"}",
        "{\"a\":}", "{\"a\"::1}", "{\"a\":1:2}", "{\"a\",1}", "{\"a\":[1 2]}",
        /* names that are not strings */
        "{a:1}", "{1:1}", "{'a':1}", "{null:1}", "{[]:1}", "{{}:1}",
        /* unclosed, mismatched */
        "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":[1}", "{\"a\":{}",
        "{\"a\":[}]", "{\"a\":{]}", "{\"a\":[1]]}", "{\"a\":\"}",
        /* no comments, no other literals or spellings */
        "{/**/}", "{\"a\":1/*x*/}", "{\"a\":1}//x", "{\"a\":tru}",
        "{\"a\":True}", "{\"a\":nul}", "{\"a\":NULL}", "{\"a\":falsey}",
        "{\"a\":truefalse}", "{\"a\":undefined}", "{\"a\":t}",
        /* no other blanks: BOM, form feed, vertical tab, NBSP */
        "\xef\xbb\xbf{}", "{\f}", "{\v}", "{}\f", "\xc2\xa0{}",
        "{\"a\":\xc2\xa0" "1}",
        NULL
    };

    (void) state;

    for (i = 0; bad[i]; i++) {
        if (valid(bad[i])) {
            fail_msg("\"%s\" accepted", bad[i]);
        }

        if (answer(bad[i]) != -1) {
            fail_msg("\"%s\" accepted asking for members", bad[i]);
        }
    }

    assert_true(valid("{\"a\":[]}"));
    assert_true(valid("{\"a\":[ ]}"));
    assert_true(valid("{\"a\":{ }}"));
    assert_true(valid("{\"a\":[[],{},\"\",0,true,false,null]}"));
    assert_true(valid("{\"a\":{\"b\":{\"c\":[{\"d\":\"e\"}]}},\"f\":1}"));
}


static void
nesting_is_limited(void **state)
{
    char  text[1024];

    (void) state;

    nested(text, sizeof(text), 2, '{');
    assert_string_equal(text, "{\"a\":{}}");
    nested(text, sizeof(text), 3, '[');
    assert_string_equal(text, "{\"a\":[[]]}");

    nested(text, sizeof(text), CH_JSON_MAX_DEPTH, '{');
    assert_true(valid(text));
    assert_int_equal(answer(text), 0);
    nested(text, sizeof(text), CH_JSON_MAX_DEPTH + 1, '{');
    assert_false(valid(text));
    assert_int_equal(answer(text), -1);

    nested(text, sizeof(text), CH_JSON_MAX_DEPTH, '[');
    assert_true(valid(text));
    nested(text, sizeof(text), CH_JSON_MAX_DEPTH + 1, '[');
    assert_false(valid(text));

    /* depth is nesting, not how many containers there are */
    {
        char    wide[4096];
        size_t  n, i;

        n = (size_t) snprintf(wide, sizeof(wide), "{\"a\":[");
        for (i = 0; i < 500; i++) {
            memcpy(wide + n, "[],", 3);
            n += 3;
        }
        memcpy(wide + n, "{}]}", 5);
        assert_true(valid(wide));
    }
}


static void
mask_digits(void **state)
{
    char  out[160];

    (void) state;

    ch_mask_digits(out, sizeof(out), "cannot send \"your code is 123456\"");
    assert_string_equal(out, "cannot send \"your code is ******\"");

    ch_mask_digits(out, sizeof(out), "to 13800000001: 1234 5678 901 12 3");
    assert_string_equal(out, "to ***********: **** **** 901 12 3");

    ch_mask_digits(out, sizeof(out), "a1b2c3d4 v1.23.456 500");
    assert_string_equal(out, "a1b2c3d4 v1.23.456 500");

    ch_mask_digits(out, sizeof(out), "1234");
    assert_string_equal(out, "****");
    ch_mask_digits(out, sizeof(out), "");
    assert_string_equal(out, "");

    /* full-width digits are not the code's */
    ch_mask_digits(out, sizeof(out), "验证码１２３４");
    assert_string_equal(out, "验证码１２３４");

    /* one line: control characters and DEL become spaces */
    ch_mask_digits(out, sizeof(out), "a\nb\r\tc\x7f" "d\x1b[0m");
    assert_string_equal(out, "a b  c d [0m");

    /* invalid UTF-8: one '?' a byte */
    ch_mask_digits(out, sizeof(out), "x\xff\xc0\xaf" "y\xe4\xb8");
    assert_string_equal(out, "x???y??");
    ch_mask_digits(out, sizeof(out), "\xed\xa0\x80");
    assert_string_equal(out, "???");

    /* cut to size - 1 bytes on a character boundary */
    ch_mask_digits(out, 5, "abcdef");
    assert_string_equal(out, "abcd");
    ch_mask_digits(out, 5, "中文");
    assert_string_equal(out, "中");
    ch_mask_digits(out, 4, "中文");
    assert_string_equal(out, "中");
    ch_mask_digits(out, 3, "中文");
    assert_string_equal(out, "");
    ch_mask_digits(out, 4, "ab\n\n");
    assert_string_equal(out, "ab ");
    ch_mask_digits(out, 1, "abc");
    assert_string_equal(out, "");

    /* a run of digits that does not fit is left out whole */
    ch_mask_digits(out, 6, "ab123456");
    assert_string_equal(out, "ab");
    ch_mask_digits(out, 6, "ab12");
    assert_string_equal(out, "ab12");
    ch_mask_digits(out, 7, "ab1234");
    assert_string_equal(out, "ab****");

    /* size 0: nothing is written */
    out[0] = 'z';
    ch_mask_digits(out, 0, "abc");
    assert_int_equal(out[0], 'z');
}


/* the way the SMS sender puts it together: message through the mask */
static void
a_gateway_echo_is_masked(void **state)
{
    char  *s, out[160];

    (void) state;

    assert_int_equal(answer("{\"code\":500,\"message\":\"cannot send "
                            "\\\"\\u9a8c\\u8bc1\\u7801\\u4e3a1\\u0032345"
                            "6\\\" to 13800000001\\n\"}"), 0);
    s = ch_json_string_value(&m[M_MESSAGE]);
    assert_non_null(s);
    ch_mask_digits(out, sizeof(out), s);
    free(s);
    assert_string_equal(out, "cannot send \"验证码为******\" to *********** ");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gateway_answers_are_read),
        cmocka_unit_test(names_are_matched_exactly_after_decoding),
        cmocka_unit_test(a_member_asked_for_twice_is_refused),
        cmocka_unit_test(numbers),
        cmocka_unit_test(strings_and_their_escapes),
        cmocka_unit_test(bad_strings_are_refused),
        cmocka_unit_test(structure_is_strict),
        cmocka_unit_test(nesting_is_limited),
        cmocka_unit_test(mask_digits),
        cmocka_unit_test(a_gateway_echo_is_masked),
    };

    return run_tap(tests);
}
