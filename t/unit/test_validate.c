/* lib/ch_validate.c: the test vectors of reference/validators.md and more */

#include "unit.h"
#include "ch_validate.h"


#define TODAY  20261121L

static ch_invalid_e
phone(const char *s, char *out)
{
    return ch_phone_check((const unsigned char *) s, strlen(s), out);
}


static ch_invalid_e
id(const char *s, char *out)
{
    return ch_id_number_check((const unsigned char *) s, strlen(s), TODAY, out);
}


static ch_invalid_e
uscc(const char *s, char *out)
{
    return ch_uscc_check((const unsigned char *) s, strlen(s), out);
}


static ch_invalid_e
password(const char *s)
{
    return ch_password_check((const unsigned char *) s, strlen(s));
}


static void
mobile_numbers(void **state)
{
    char  out[CH_PHONE_LEN + 1];

    (void) state;

    assert_int_equal(phone("13800138000", out), CH_VALID);
    assert_string_equal(out, "13800138000");
    assert_int_equal(phone("+86 138 0013 8000", out), CH_VALID);
    assert_string_equal(out, "13800138000");
    assert_int_equal(phone("86-19912345678", out), CH_VALID);
    assert_string_equal(out, "19912345678");
    assert_int_equal(phone("+8613800138000", out), CH_VALID);

    assert_int_equal(phone("12800138000", out), CH_INVALID_SHAPE);
    assert_int_equal(phone("23800138000", out), CH_INVALID_SHAPE);
    assert_int_equal(phone("1380013800", out), CH_INVALID_LENGTH);
    assert_int_equal(phone("138001380001", out), CH_INVALID_LENGTH);
    assert_int_equal(phone("+13800138000", out), CH_INVALID_LENGTH);
    assert_int_equal(phone("+1 555 0100 1234", out), CH_INVALID_LENGTH);
    assert_int_equal(phone("", out), CH_INVALID_LENGTH);
    assert_int_equal(phone("138a0138000", out), CH_INVALID_CHARS);
    assert_int_equal(phone("13800138000\n", out), CH_INVALID_CHARS);
    assert_int_equal(phone("8613800138000000", out), CH_INVALID_LENGTH);
}


static void
id_numbers_from_the_reference(void **state)
{
    char  out[CH_ID_LEN + 1];

    (void) state;

    assert_int_equal(id("11010519491231002X", out), CH_VALID);
    assert_string_equal(out, "11010519491231002X");
    assert_int_equal(id("440524188001010014", out), CH_VALID);
    assert_int_equal(id("110105194912310021", out), CH_INVALID_CHECK);

    /* a lower-case x is accepted and stored upper-case */
    assert_int_equal(id("11010519491231002x", out), CH_VALID);
    assert_string_equal(out, "11010519491231002X");
}


static void
id_numbers_refused_for_their_reason(void **state)
{
    char  out[CH_ID_LEN + 1];

    (void) state;

    assert_int_equal(id("11010519491231002", out), CH_INVALID_LENGTH);
    assert_int_equal(id("11010519491231002XX", out), CH_INVALID_LENGTH);
    assert_int_equal(id("1101051949123100AX", out), CH_INVALID_CHARS);
    assert_int_equal(id("11010519491231002Y", out), CH_INVALID_CHARS);
    assert_int_equal(id("01010519491231002X", out), CH_INVALID_SHAPE);
    assert_int_equal(id("110105194902300021", out), CH_INVALID_DATE);  /* 30 Feb */
    assert_int_equal(id("110105190002290021", out), CH_INVALID_DATE);  /* 1900 no leap */
    assert_int_equal(id("110105194913010021", out), CH_INVALID_DATE);  /* month 13 */
    assert_int_equal(id("110105209912310021", out), CH_INVALID_DATE);  /* future */
    assert_int_equal(id("110105179912310021", out), CH_INVALID_DATE);  /* 1799 */
    assert_int_not_equal(id("110105200002290021", out), CH_INVALID_DATE); /* 2000 leap */
    assert_int_not_equal(id("110105202611210021", out), CH_INVALID_DATE); /* today */
    assert_int_equal(id("110105202611220021", out), CH_INVALID_DATE);  /* tomorrow */
}


static void
id_numbers_are_masked(void **state)
{
    char  out[CH_ID_LEN + 1];

    (void) state;

    ch_id_number_mask("11010519491231002X", out);
    assert_string_equal(out, "1101**********002X");
}


static void
credit_codes(void **state)
{
    char  out[CH_USCC_LEN + 1];

    (void) state;

    assert_int_equal(uscc("91350100M000100Y43", out), CH_VALID);
    assert_int_equal(uscc("91110000802100433B", out), CH_VALID);
    assert_int_equal(uscc("91350100M000100Y44", out), CH_INVALID_CHECK);

    assert_int_equal(uscc("91350100m000100y43", out), CH_VALID);
    assert_string_equal(out, "91350100M000100Y43");

    assert_int_equal(uscc("91350100M000100Y4", out), CH_INVALID_LENGTH);
    assert_int_equal(uscc("91350100I000100Y43", out), CH_INVALID_CHARS);
    assert_int_equal(uscc("91350100O000100Y43", out), CH_INVALID_CHARS);
    assert_int_equal(uscc("9135010-M000100Y43", out), CH_INVALID_CHARS);
    assert_int_equal(uscc("913A0100M000100Y43", out), CH_INVALID_SHAPE);
}


static void
passwords(void **state)
{
    (void) state;

    assert_int_equal(password("abc12345"), CH_VALID);
    assert_int_equal(password("密码密码密码12a"), CH_VALID);
    assert_int_equal(password("Pass word 1"), CH_VALID);

    assert_int_equal(password("abcdefgh"), CH_INVALID_WEAK);
    assert_int_equal(password("12345678"), CH_INVALID_WEAK);
    assert_int_equal(password("密码密码密码密码"), CH_INVALID_WEAK);
    assert_int_equal(password("abc1234"), CH_INVALID_LENGTH);
    assert_int_equal(password("密码1a"), CH_INVALID_LENGTH);
    assert_int_equal(password(
        "a1234567890123456789012345678901234567890123456789012345678901234"),
        CH_INVALID_LENGTH);
    assert_int_equal(password("abc\t12345"), CH_INVALID_CHARS);
    assert_int_equal(password("abc12345\xff"), CH_INVALID_CHARS);
}


static ch_invalid_e
text(const char *s, size_t min, size_t max, int multiline)
{
    return ch_text_check((const unsigned char *) s, strlen(s), min, max,
                         multiline);
}


static void
texts(void **state)
{
    (void) state;

    assert_int_equal(text("湖南示例科技有限公司", 2, 10, 0), CH_VALID);
    assert_int_equal(text("湖南示例科技有限公司!", 2, 10, 0), CH_INVALID_LENGTH);
    assert_int_equal(text("张", 2, 50, 0), CH_INVALID_LENGTH);
    assert_int_equal(text("阿卜杜·热合曼", 2, 50, 0), CH_VALID);
    assert_int_equal(text("a\tb", 0, 50, 0), CH_INVALID_CHARS);
    assert_int_equal(text("a\nb", 0, 50, 0), CH_INVALID_CHARS);
    assert_int_equal(text("a\nb\r\nc", 0, 50, 1), CH_VALID);
    assert_int_equal(text("a\rb", 0, 50, 1), CH_INVALID_CHARS);
    assert_int_equal(text("a\x7f", 0, 50, 1), CH_INVALID_CHARS);
    assert_int_equal(text("a\xc2\x85", 0, 50, 1), CH_INVALID_CHARS);
    assert_int_equal(text("\xc2\xa0x", 0, 50, 0), CH_VALID);
    assert_int_equal(text("\xe4\xb8", 0, 50, 0), CH_INVALID_CHARS);
    assert_int_equal(text("", 0, 50, 0), CH_VALID);
}


static ch_invalid_e
email(const char *s)
{
    return ch_email_check((const unsigned char *) s, strlen(s));
}


static void
emails(void **state)
{
    (void) state;

    assert_int_equal(email("zhang.san@example.com"), CH_VALID);
    assert_int_equal(email("a+invoice@mail.hunan-ca.com.cn"), CH_VALID);
    assert_int_equal(email("x@qq.com"), CH_VALID);

    assert_int_equal(email("zhangsan"), CH_INVALID_SHAPE);
    assert_int_equal(email("a@b@example.com"), CH_INVALID_SHAPE);
    assert_int_equal(email("@example.com"), CH_INVALID_SHAPE);
    assert_int_equal(email("zhang@localhost"), CH_INVALID_SHAPE);
    assert_int_equal(email("zhang@example.c0m"), CH_INVALID_SHAPE);
    assert_int_equal(email("zhang@example.123"), CH_INVALID_SHAPE);
    assert_int_equal(email("zhang@-example.com"), CH_INVALID_SHAPE);
    assert_int_equal(email("zhang@example-.com"), CH_INVALID_SHAPE);
    assert_int_equal(email("zhang@example..com"), CH_INVALID_SHAPE);
    assert_int_equal(email("zhang@example.com."), CH_INVALID_SHAPE);
    assert_int_equal(email(".zhang@example.com"), CH_INVALID_SHAPE);
    assert_int_equal(email("zh..ang@example.com"), CH_INVALID_SHAPE);
    assert_int_equal(email("zhang san@example.com"), CH_INVALID_CHARS);
    assert_int_equal(email("张三@example.com"), CH_INVALID_CHARS);
    assert_int_equal(email("zhang@exa_mple.com"), CH_INVALID_CHARS);
    assert_int_equal(email("a@b."), CH_INVALID_LENGTH);
}


static ch_invalid_e
taxpayer(const char *s, char *out)
{
    return ch_taxpayer_id_check((const unsigned char *) s, strlen(s), out);
}


static void
taxpayer_ids(void **state)
{
    char  out[CH_TAXPAYER_ID_MAX + 1];

    (void) state;

    assert_int_equal(taxpayer("91350100M000100Y43", out), CH_VALID);
    assert_string_equal(out, "91350100M000100Y43");
    assert_int_equal(taxpayer("91110000802100433b", out), CH_VALID);
    assert_string_equal(out, "91110000802100433B");
    assert_int_equal(taxpayer("91350100M000100Y44", out), CH_INVALID_CHECK);
    assert_int_equal(taxpayer("430104123456789", out), CH_VALID);
    assert_int_equal(taxpayer("43010412345678901", out), CH_VALID);
    assert_int_equal(taxpayer("43010412345678901abc", out), CH_VALID);
    assert_string_equal(out, "43010412345678901ABC");
    assert_int_equal(taxpayer("4301041234567890", out), CH_INVALID_LENGTH);
    assert_int_equal(taxpayer("", out), CH_INVALID_LENGTH);
    assert_int_equal(taxpayer("43010412345678-", out), CH_INVALID_CHARS);
}


static void
dates_and_postal_codes(void **state)
{
    long  d;

    (void) state;

    assert_int_equal(ch_date_check((const unsigned char *) "2024-02-29", 10,
                                   &d), CH_VALID);
    assert_int_equal(d, 20240229L);
    assert_int_equal(ch_date_check((const unsigned char *) "2023-02-29", 10,
                                   &d), CH_INVALID_DATE);
    assert_int_equal(ch_date_check((const unsigned char *) "2024-13-01", 10,
                                   &d), CH_INVALID_DATE);
    assert_int_equal(ch_date_check((const unsigned char *) "2024/01/01", 10,
                                   &d), CH_INVALID_SHAPE);
    assert_int_equal(ch_date_check((const unsigned char *) "2024-1-1", 8,
                                   &d), CH_INVALID_LENGTH);

    assert_int_equal(ch_postal_code_check((const unsigned char *) "410000",
                                          6), CH_VALID);
    assert_int_equal(ch_postal_code_check((const unsigned char *) "41000a",
                                          6), CH_INVALID_CHARS);
    assert_int_equal(ch_postal_code_check((const unsigned char *) "4100",
                                          4), CH_INVALID_LENGTH);
}


static void
trimming(void **state)
{
    size_t                len;
    const unsigned char  *p;
    const char           *s = "\xe3\x80\x80 \t湖南 CA\r\n\xe3\x80\x80";

    (void) state;

    len = strlen(s);
    p = ch_trim((const unsigned char *) s, &len);
    assert_int_equal(len, strlen("湖南 CA"));
    assert_memory_equal(p, "湖南 CA", len);

    len = 4;
    p = ch_trim((const unsigned char *) " \t\r\n", &len);
    assert_int_equal(len, 0);

    len = 0;
    p = ch_trim((const unsigned char *) "", &len);
    assert_int_equal(len, 0);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mobile_numbers),
        cmocka_unit_test(id_numbers_from_the_reference),
        cmocka_unit_test(id_numbers_refused_for_their_reason),
        cmocka_unit_test(id_numbers_are_masked),
        cmocka_unit_test(credit_codes),
        cmocka_unit_test(passwords),
        cmocka_unit_test(texts),
        cmocka_unit_test(emails),
        cmocka_unit_test(taxpayer_ids),
        cmocka_unit_test(dates_and_postal_codes),
        cmocka_unit_test(trimming),
    };

    return run_tap(tests);
}
