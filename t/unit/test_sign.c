/* lib/ch_sign.c: the string to sign, HMAC-SHA256, digest comparison */

#include "unit.h"
#include "ch_sign.h"


static size_t
parse(const char *body, ch_form_field_t *f, char *buf)
{
    size_t  n, err_at;

    assert_int_equal(ch_form_parse((const unsigned char *) body, strlen(body),
                                   f, 16, &n, buf, &err_at), CH_FORM_OK);
    return n;
}


static void
expect_sign_string(const char *body, const char *const *exclude,
    const char *want)
{
    char             buf[512], out[512];
    size_t           n, len;
    ch_form_field_t  f[16];

    n = parse(body, f, buf);

    len = ch_sign_string(f, n, exclude, NULL);
    assert_int_equal(len, strlen(want));
    assert_true(len < sizeof(out));

    assert_int_equal(ch_sign_string(f, n, exclude, out), len);
    out[len] = '\0';
    assert_string_equal(out, want);
}


static void
fields_sorted_by_name_without_sign_and_empties(void **state)
{
    static const char *const  sign[] = { "sign", NULL };
    static const char *const  alipay[] = { "sign", "sign_type", NULL };

    (void) state;

    expect_sign_string("b=2&a=1&c=3", NULL, "a=1&b=2&c=3");
    expect_sign_string("sign=xx&b=2&a=1", sign, "a=1&b=2");
    expect_sign_string("b=&a=1&c=", sign, "a=1");
    expect_sign_string("", sign, "");
    expect_sign_string("sign=xx", sign, "");

    /* byte order: upper case before lower, a prefix first */
    expect_sign_string("ab=2&a=1&B=0&a_b=3", NULL, "B=0&a=1&a_b=3&ab=2");

    /* values decoded and not re-encoded, as Alipay's rules say */
    expect_sign_string("subject=%E8%AF%81%E4%B9%A6+%E6%96%B0%E5%8A%9E&total_amount=300.00",
                       NULL, "subject=证书 新办&total_amount=300.00");

    expect_sign_string("sign_type=RSA2&sign=x&app_id=2021&notify_id=n",
                       alipay, "app_id=2021&notify_id=n");
}


static void
hmac_sha256_matches_an_independent_vector(void **state)
{
    char  out[CH_HMAC_HEX_LEN + 1];

    static const char  msg[] = "app_id=A&request_id=R&timestamp=1";

    (void) state;

    /* Python: hmac.new(b"k" * 32, msg, hashlib.sha256).hexdigest() */
    assert_int_equal(ch_hmac_sha256_hex((const unsigned char *)
                         "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", 32,
                         (const unsigned char *) msg, sizeof(msg) - 1, out), 0);
    assert_string_equal(out,
        "2e848860dc3e25334ce7dfbf4840c6fdb828544cbfb25512ce7963733a565e91");
}


static void
digests_compare_whole(void **state)
{
    static const char  d[] =
        "2e848860dc3e25334ce7dfbf4840c6fdb828544cbfb25512ce7963733a565e91";
    static const char  upper[] =
        "2E848860DC3E25334CE7DFBF4840C6FDB828544CBFB25512CE7963733A565E91";

    (void) state;

    assert_true(ch_hex_digest_equal(d, 64, d));
    assert_true(ch_hex_digest_equal(upper, 64, d));
    assert_false(ch_hex_digest_equal(d, 63, d));
    assert_false(ch_hex_digest_equal("", 0, d));
    assert_false(ch_hex_digest_equal(
        "2e848860dc3e25334ce7dfbf4840c6fdb828544cbfb25512ce7963733a565e90", 64,
        d));
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_sorted_by_name_without_sign_and_empties),
        cmocka_unit_test(hmac_sha256_matches_an_independent_vector),
        cmocka_unit_test(digests_compare_whole),
    };

    return run_tap(tests);
}
