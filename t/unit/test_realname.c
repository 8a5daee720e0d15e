/* lib/ch_realname.c: the provider's callbacks and QR payloads */

#include <stdio.h>

#include "unit.h"
#include "ch_realname.h"
#include "ch_sign.h"


#define SECRET     "0123456789abcdef0123456789abcdef"
#define APP        "certhall-test"
#define NOW        1795000000LL
#define TODAY      20261121L
#define ID         "11010519491231002X"


typedef struct {
    ch_form_field_t          f[16];
    size_t                   n;
    char                     buf[2048];
    ch_realname_callback_t   cb;
    const char              *field;
} callback_t;


/*
 * A callback body signed over the string to sign given by hand (tested
 * apart from ch_sign_string) with the secret.
 */
static ch_realname_error_e
check(const char *fields, const char *string_to_sign, const char *secret,
    callback_t *c)
{
    char    body[1024], sign[CH_HMAC_HEX_LEN + 1];
    size_t  err_at;

    assert_int_equal(ch_hmac_sha256_hex((const unsigned char *) secret,
                         strlen(secret), (const unsigned char *) string_to_sign,
                         strlen(string_to_sign), sign), 0);
    snprintf(body, sizeof(body), "%s&sign=%s", fields, sign);

    assert_int_equal(ch_form_parse((const unsigned char *) body, strlen(body),
                                   c->f, 16, &c->n, c->buf, &err_at),
                     CH_FORM_OK);

    return ch_realname_callback_check(c->f, c->n, APP,
                                      (const unsigned char *) SECRET,
                                      sizeof(SECRET) - 1, NOW, TODAY, &c->cb,
                                      &c->field);
}


static void
a_signed_pass_is_accepted(void **state)
{
    callback_t  c;

    (void) state;

    assert_int_equal(check(
        "request_id=RNabc&app_id=" APP "&result=pass"
        "&name=%E5%BC%A0%E4%B8%89&id_number=11010519491231002x"
        "&timestamp=1795000000&nonce=n0nce-0001",
        "app_id=" APP "&id_number=11010519491231002x&name=张三"
        "&nonce=n0nce-0001&request_id=RNabc&result=pass&timestamp=1795000000",
        SECRET, &c), CH_REALNAME_OK);

    assert_true(c.cb.pass);
    assert_string_equal(c.cb.name->value, "张三");
    assert_string_equal(c.cb.id_number, ID);        /* x made upper-case */
    assert_string_equal(c.cb.request_id->value, "RNabc");
    assert_string_equal(c.cb.nonce->value, "n0nce-0001");
    assert_int_equal(c.cb.timestamp, NOW);
}


static void
a_fail_needs_no_identity(void **state)
{
    callback_t  c;

    (void) state;

    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=fail&reason=face+mismatch"
        "&timestamp=1795000100&nonce=n0nce-0002",
        "app_id=" APP "&nonce=n0nce-0002&reason=face mismatch"
        "&request_id=RNabc&result=fail&timestamp=1795000100",
        SECRET, &c), CH_REALNAME_OK);

    assert_false(c.cb.pass);
    assert_string_equal(c.cb.reason->value, "face mismatch");
}


static void
forged_stale_and_malformed_callbacks_are_refused(void **state)
{
    callback_t  c;

    (void) state;

    /* another key */
    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=fail&timestamp=1795000000"
        "&nonce=n0nce-0003",
        "app_id=" APP "&nonce=n0nce-0003&request_id=RNabc&result=fail"
        "&timestamp=1795000000",
        "another secret of enough length!", &c), CH_REALNAME_BAD_SIGNATURE);
    assert_string_equal(c.field, "sign");

    /* a field changed after signing: the name */
    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=pass&name=%E6%9D%8E%E5%9B%9B"
        "&id_number=" ID "&timestamp=1795000000&nonce=n0nce-0004",
        "app_id=" APP "&id_number=" ID "&name=张三&nonce=n0nce-0004"
        "&request_id=RNabc&result=pass&timestamp=1795000000",
        SECRET, &c), CH_REALNAME_BAD_SIGNATURE);

    /* signed right, but for another app */
    assert_int_equal(check(
        "app_id=other&request_id=RNabc&result=fail&timestamp=1795000000"
        "&nonce=n0nce-0005",
        "app_id=other&nonce=n0nce-0005&request_id=RNabc&result=fail"
        "&timestamp=1795000000",
        SECRET, &c), CH_REALNAME_WRONG_APP);

    /* 5 minutes and a second old, or from the future */
    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=fail&timestamp=1794999699"
        "&nonce=n0nce-0006",
        "app_id=" APP "&nonce=n0nce-0006&request_id=RNabc&result=fail"
        "&timestamp=1794999699",
        SECRET, &c), CH_REALNAME_STALE);
    assert_string_equal(c.field, "timestamp");

    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=fail&timestamp=1795000301"
        "&nonce=n0nce-0007",
        "app_id=" APP "&nonce=n0nce-0007&request_id=RNabc&result=fail"
        "&timestamp=1795000301",
        SECRET, &c), CH_REALNAME_STALE);

    /* exactly 5 minutes is still in */
    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=fail&timestamp=1794999700"
        "&nonce=n0nce-0008",
        "app_id=" APP "&nonce=n0nce-0008&request_id=RNabc&result=fail"
        "&timestamp=1794999700",
        SECRET, &c), CH_REALNAME_OK);

    /* no nonce */
    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=fail&timestamp=1795000000",
        "app_id=" APP "&request_id=RNabc&result=fail&timestamp=1795000000",
        SECRET, &c), CH_REALNAME_MISSING);
    assert_string_equal(c.field, "nonce");

    /* a nonce too short to be one */
    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=fail&timestamp=1795000000"
        "&nonce=n1",
        "app_id=" APP "&nonce=n1&request_id=RNabc&result=fail"
        "&timestamp=1795000000",
        SECRET, &c), CH_REALNAME_INVALID);
    assert_string_equal(c.field, "nonce");

    /* a result that is neither */
    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=ok&timestamp=1795000000"
        "&nonce=n0nce-0009",
        "app_id=" APP "&nonce=n0nce-0009&request_id=RNabc&result=ok"
        "&timestamp=1795000000",
        SECRET, &c), CH_REALNAME_INVALID);
    assert_string_equal(c.field, "result");

    /* a pass with an ID number whose check digit is wrong */
    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=pass&name=x"
        "&id_number=110105194912310021&timestamp=1795000000&nonce=n0nce-0010",
        "app_id=" APP "&id_number=110105194912310021&name=x&nonce=n0nce-0010"
        "&request_id=RNabc&result=pass&timestamp=1795000000",
        SECRET, &c), CH_REALNAME_INVALID);
    assert_string_equal(c.field, "id_number");

    /* a pass without the name */
    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=pass&id_number=" ID
        "&timestamp=1795000000&nonce=n0nce-0011",
        "app_id=" APP "&id_number=" ID "&nonce=n0nce-0011"
        "&request_id=RNabc&result=pass&timestamp=1795000000",
        SECRET, &c), CH_REALNAME_MISSING);
    assert_string_equal(c.field, "name");

    /* a timestamp with a sign */
    assert_int_equal(check(
        "app_id=" APP "&request_id=RNabc&result=fail&timestamp=%2B1795000000"
        "&nonce=n0nce-0012",
        "app_id=" APP "&nonce=n0nce-0012&request_id=RNabc&result=fail"
        "&timestamp=+1795000000",
        SECRET, &c), CH_REALNAME_INVALID);
}


static void
qr_payloads_are_signed(void **state)
{
    char  out[512], small[40];
    char  sign[CH_HMAC_HEX_LEN + 1];

    static const char  text[] =
        "app_id=" APP "&request_id=RN00112233445566778899aabb"
        "&timestamp=1795000000";

    (void) state;

    assert_int_equal(ch_hmac_sha256_hex((const unsigned char *) SECRET,
                         sizeof(SECRET) - 1, (const unsigned char *) text,
                         sizeof(text) - 1, sign), 0);

    assert_true(ch_realname_qr_payload(out, sizeof(out),
                    "https://realname.example/scan", APP,
                    "RN00112233445566778899aabb", NOW,
                    (const unsigned char *) SECRET, sizeof(SECRET) - 1) > 0);
    assert_int_equal(strncmp(out, "https://realname.example/scan?", 30), 0);
    assert_int_equal(strncmp(out + 30, text, sizeof(text) - 1), 0);
    assert_int_equal(strncmp(out + 30 + sizeof(text) - 1, "&sign=", 6), 0);
    assert_string_equal(out + 30 + sizeof(text) - 1 + 6, sign);

    /* a URL with a query of its own gets "&" */
    assert_true(ch_realname_qr_payload(out, sizeof(out),
                    "https://realname.example/scan?v=2", APP, "RNx", NOW,
                    (const unsigned char *) SECRET, sizeof(SECRET) - 1) > 0);
    assert_int_equal(strncmp(out, "https://realname.example/scan?v=2&app_id=",
                             41), 0);

    /* too small a buffer is an error, not a cut payload */
    assert_int_equal(ch_realname_qr_payload(small, sizeof(small),
                         "https://realname.example/scan", APP, "RNx", NOW,
                         (const unsigned char *) SECRET, sizeof(SECRET) - 1),
                     -1);
}


static void
qr_payload_sign_is_the_hmac_of_its_fields(void **state)
{
    char        out[512], sign[CH_HMAC_HEX_LEN + 1];
    const char *s;

    static const char  text[] =
        "app_id=" APP "&request_id=RNx&timestamp=1795000000";

    (void) state;

    assert_int_equal(ch_hmac_sha256_hex((const unsigned char *) SECRET,
                         sizeof(SECRET) - 1, (const unsigned char *) text,
                         sizeof(text) - 1, sign), 0);
    assert_true(ch_realname_qr_payload(out, sizeof(out), "https://r.example/",
                    APP, "RNx", NOW, (const unsigned char *) SECRET,
                    sizeof(SECRET) - 1) > 0);

    s = strstr(out, "&sign=");
    assert_non_null(s);
    assert_string_equal(s + 6, sign);
}


static void
id_digests_are_keyed(void **state)
{
    char  a[CH_HMAC_HEX_LEN + 1], b[CH_HMAC_HEX_LEN + 1];

    (void) state;

    assert_int_equal(ch_realname_id_digest((const unsigned char *) SECRET,
                                           sizeof(SECRET) - 1, ID, a), 0);
    assert_int_equal(strlen(a), 64);

    assert_int_equal(ch_realname_id_digest((const unsigned char *) "x", 1,
                                           ID, b), 0);
    assert_string_not_equal(a, b);

    assert_int_equal(ch_realname_id_digest((const unsigned char *) SECRET,
                         sizeof(SECRET) - 1, "110105194912310010", b), 0);
    assert_string_not_equal(a, b);
}


static void
names(void **state)
{
#define NAME(s) ch_realname_name_check((const unsigned char *) s, strlen(s))

    (void) state;

    assert_int_equal(NAME("张三"), CH_VALID);
    assert_int_equal(NAME("阿卜杜拉·买买提"), CH_VALID);
    assert_int_equal(NAME("John Smith"), CH_VALID);
    assert_int_equal(NAME(""), CH_INVALID_LENGTH);
    assert_int_equal(NAME(" 张三"), CH_INVALID_SHAPE);
    assert_int_equal(NAME("张三 "), CH_INVALID_SHAPE);
    assert_int_equal(NAME("张\t三"), CH_INVALID_CHARS);
    assert_int_equal(NAME("张\xc2\x85三"), CH_INVALID_CHARS);
    assert_int_equal(NAME("\xe5\xbc"), CH_INVALID_CHARS);
    assert_int_equal(NAME("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"),
                     CH_VALID);
    assert_int_equal(NAME("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一"),
                     CH_INVALID_LENGTH);

#undef NAME
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_signed_pass_is_accepted),
        cmocka_unit_test(a_fail_needs_no_identity),
        cmocka_unit_test(forged_stale_and_malformed_callbacks_are_refused),
        cmocka_unit_test(qr_payloads_are_signed),
        cmocka_unit_test(qr_payload_sign_is_the_hmac_of_its_fields),
        cmocka_unit_test(id_digests_are_keyed),
        cmocka_unit_test(names),
    };

    return run_tap(tests);
}
