/* lib/ch_base64.c: RFC 4648 vectors, and the strictness of decoding */

#include "unit.h"
#include "ch_base64.h"


static void
expect_round_trip(const char *in, ch_base64_e v, const char *want)
{
    char           out[64];
    unsigned char  back[64];
    size_t         n;

    n = ch_base64_encode(out, (const unsigned char *) in, strlen(in), v);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);

    n = ch_base64_decode(back, want, strlen(want), v);
    assert_int_equal(n, strlen(in));
    assert_memory_equal(back, in, n);
}


static void
rfc4648_vectors(void **state)
{
    (void) state;

    expect_round_trip("", CH_BASE64_STD, "");
    expect_round_trip("f", CH_BASE64_STD, "Zg==");
    expect_round_trip("fo", CH_BASE64_STD, "Zm8=");
    expect_round_trip("foo", CH_BASE64_STD, "Zm9v");
    expect_round_trip("foob", CH_BASE64_STD, "Zm9vYg==");
    expect_round_trip("fooba", CH_BASE64_STD, "Zm9vYmE=");
    expect_round_trip("foobar", CH_BASE64_STD, "Zm9vYmFy");

    expect_round_trip("f", CH_BASE64_STD_NOPAD, "Zg");
    expect_round_trip("fo", CH_BASE64_STD_NOPAD, "Zm8");
    expect_round_trip("\xfb\xff", CH_BASE64_STD_NOPAD, "+/8");
    expect_round_trip("\xfb\xff", CH_BASE64_URL_NOPAD, "-_8");

    assert_int_equal(CH_BASE64_LEN(32), 44);
    assert_int_equal(CH_BASE64_NOPAD_LEN(32), 43);
    assert_int_equal(CH_BASE64_NOPAD_LEN(16), 22);
}


static void
only_one_encoding_is_accepted(void **state)
{
    unsigned char  out[16];

    (void) state;

#define BAD(s, v) assert_int_equal(ch_base64_decode(out, s, strlen(s), v), \
                                   (size_t) -1)

    BAD("Zg", CH_BASE64_STD);           /* padding missing */
    BAD("Zg=", CH_BASE64_STD);
    BAD("Z===", CH_BASE64_STD);
    BAD("Zh==", CH_BASE64_STD);         /* unused bits set */
    BAD("Zm9=", CH_BASE64_STD);
    BAD("Zm 9v", CH_BASE64_STD_NOPAD);  /* blank */
    BAD("Zg==", CH_BASE64_STD_NOPAD);   /* padding where none belongs */
    BAD("Z", CH_BASE64_STD_NOPAD);      /* 6 bits are no byte */
    BAD("+/8", CH_BASE64_URL_NOPAD);    /* the other alphabet */
    BAD("-_8", CH_BASE64_STD_NOPAD);
    BAD("Zm9v\n", CH_BASE64_STD_NOPAD);

#undef BAD
}


static void
hex_digits_of_either_case(void **state)
{
    unsigned  c;
    int       want;

    (void) state;

    for (c = 0; c < 256; c++) {
        want = (c >= '0' && c <= '9') ? (int) c - '0'
             : (c >= 'a' && c <= 'f') ? (int) c - 'a' + 10
             : (c >= 'A' && c <= 'F') ? (int) c - 'A' + 10
             : -1;

        assert_int_equal(ch_hex_value((unsigned char) c), want);
    }
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4648_vectors),
        cmocka_unit_test(only_one_encoding_is_accepted),
        cmocka_unit_test(hex_digits_of_either_case),
    };

    return run_tap(tests);
}
