/* lib/ch_form.c: application/x-www-form-urlencoded bodies */

#include <stdlib.h>

#include "unit.h"
#include "ch_form.h"


typedef struct {
    ch_form_field_t  f[8];
    size_t           n;
    size_t           err_at;
    char             buf[512];
} parsed_t;


static ch_form_error_e
parse(const char *body, parsed_t *p)
{
    return ch_form_parse((const unsigned char *) body, strlen(body), p->f, 8,
                         &p->n, p->buf, &p->err_at);
}


static void
fields_are_decoded(void **state)
{
    parsed_t  p;

    (void) state;

    assert_int_equal(parse("phone=13800138000&purpose=register", &p), CH_FORM_OK);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.f[0].name, "phone");
    assert_string_equal(p.f[0].value, "13800138000");
    assert_string_equal(ch_form_get(p.f, p.n, "purpose")->value, "register");
    assert_null(ch_form_get(p.f, p.n, "password"));

    /* "+" is a space, %XX a byte, UTF-8 comes through */
    assert_int_equal(parse("name=%E5%BC%A0+%E4%B8%89&q=a%2Bb%3Dc%26d", &p), CH_FORM_OK);
    assert_string_equal(p.f[0].value, "张 三");
    assert_string_equal(p.f[1].value, "a+b=c&d");
    assert_int_equal(p.f[1].value_len, 7);

    /* raw UTF-8, as some clients send it, is fine too */
    assert_int_equal(parse("title=华盾云科技术有限公司", &p), CH_FORM_OK);
    assert_string_equal(p.f[0].value, "华盾云科技术有限公司");
}


static void
edge_cases_of_the_format(void **state)
{
    parsed_t  p;

    (void) state;

    assert_int_equal(parse("", &p), CH_FORM_OK);
    assert_int_equal(p.n, 0);

    assert_int_equal(parse("&a=1&&b=2&", &p), CH_FORM_OK);
    assert_int_equal(p.n, 2);

    assert_int_equal(parse("agree&remark=", &p), CH_FORM_OK);
    assert_string_equal(p.f[0].name, "agree");
    assert_string_equal(p.f[0].value, "");
    assert_int_equal(p.f[1].value_len, 0);

    assert_int_equal(parse("a=b=c", &p), CH_FORM_OK);
    assert_string_equal(p.f[0].value, "b=c");

    /* a remark may span lines */
    assert_int_equal(parse("remark=line1%0D%0Aline2%09x", &p), CH_FORM_OK);
    assert_string_equal(p.f[0].value, "line1\r\nline2\tx");
}


static void
bad_bodies_are_refused_naming_the_field(void **state)
{
    parsed_t  p;

    (void) state;

    assert_int_equal(parse("a=1&b=%zz", &p), CH_FORM_BAD_ENCODING);
    assert_int_equal(p.err_at, 1);
    assert_int_equal(parse("a=1%", &p), CH_FORM_BAD_ENCODING);
    assert_int_equal(parse("a=1%4", &p), CH_FORM_BAD_ENCODING);
    assert_int_equal(parse("a%=1", &p), CH_FORM_BAD_ENCODING);

    assert_int_equal(parse("a=%FF", &p), CH_FORM_BAD_UTF8);
    assert_int_equal(parse("a=%C0%AF", &p), CH_FORM_BAD_UTF8);
    assert_int_equal(parse("a=x%00y", &p), CH_FORM_BAD_UTF8);
    assert_int_equal(parse("a=%1B[31m", &p), CH_FORM_BAD_UTF8);

    assert_int_equal(parse("=1", &p), CH_FORM_EMPTY_NAME);
    assert_int_equal(parse("a=1&%20=2", &p), CH_FORM_OK);   /* " " is a name */

    assert_int_equal(parse("phone=1&x=2&phone=3", &p), CH_FORM_DUPLICATE);
    assert_int_equal(p.err_at, 2);

    assert_int_equal(parse("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9", &p),
                     CH_FORM_TOO_MANY);
    assert_int_equal(p.err_at, 8);
}


static void
the_buffer_bound_holds(void **state)
{
    /* the worst case: one-letter names without values */
    const char       *body = "a&b&c&d&e&f&g&h";
    ch_form_field_t   f[8];
    size_t            n, err_at, len;
    char             *buf;

    (void) state;

    len = strlen(body);
    buf = malloc(len * 2 + 2);           /* the documented bound, exactly */
    assert_non_null(buf);

    assert_int_equal(ch_form_parse((const unsigned char *) body, len, f, 8,
                                   &n, buf, &err_at), CH_FORM_OK);
    assert_int_equal(n, 8);
    assert_string_equal(f[7].name, "h");

    free(buf);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_are_decoded),
        cmocka_unit_test(edge_cases_of_the_format),
        cmocka_unit_test(bad_bodies_are_refused_naming_the_field),
        cmocka_unit_test(the_buffer_bound_holds),
    };

    return run_tap(tests);
}
