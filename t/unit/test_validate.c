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
    };

    return run_tap(tests);
}
