/* lib/ch_seal.c: sealing ID numbers and their lookup digests */

#include "unit.h"
#include "ch_seal.h"


static unsigned char  key[CH_SEAL_KEY_LEN];
static unsigned char  other_key[CH_SEAL_KEY_LEN];

static const char  id[] = "11010519491231002X";
static const char  aad[] = "UO202611211200000001/person_id";


static int
setup(void **state)
{
    size_t  i;

    (void) state;

    for (i = 0; i < CH_SEAL_KEY_LEN; i++) {
        key[i] = (unsigned char) i;
        other_key[i] = (unsigned char) (i + 1);
    }

    return 0;
}


static void
round_trip(void **state)
{
    char           sealed[CH_SEAL_LEN(sizeof(id) - 1) + 1];
    char           again[CH_SEAL_LEN(sizeof(id) - 1) + 1];
    unsigned char  plain[sizeof(sealed)];
    size_t         len;

    (void) state;

    assert_int_equal(ch_seal(key, aad, (const unsigned char *) id,
                             sizeof(id) - 1, sealed), 0);
    assert_int_equal(strlen(sealed), CH_SEAL_LEN(sizeof(id) - 1));
    assert_memory_equal(sealed, "v1.", 3);
    assert_null(strstr(sealed, "002X"));

    assert_int_equal(ch_unseal(key, aad, sealed, strlen(sealed), plain, &len),
                     0);
    assert_int_equal(len, sizeof(id) - 1);
    assert_memory_equal(plain, id, len);

    /* a fresh nonce each time: equal numbers do not show as equal */
    assert_int_equal(ch_seal(key, aad, (const unsigned char *) id,
                             sizeof(id) - 1, again), 0);
    assert_string_not_equal(sealed, again);

    /* the empty value seals too */
    assert_int_equal(ch_seal(key, aad, (const unsigned char *) "", 0, again),
                     0);
    assert_int_equal(ch_unseal(key, aad, again, strlen(again), plain, &len),
                     0);
    assert_int_equal(len, 0);
}


/*
 * Changes character i to another base64url character and returns the one
 * it was, for the caller to put back
 */
static char
flip(char *s, size_t i)
{
    char  was = s[i];

    s[i] = (was == 'A') ? 'B' : 'A';

    return was;
}


static void
refusals(void **state)
{
    char           sealed[CH_SEAL_LEN(sizeof(id) - 1) + 1];
    unsigned char  plain[sizeof(sealed)];
    size_t         len, n;
    char           was;

    (void) state;

    assert_int_equal(ch_seal(key, aad, (const unsigned char *) id,
                             sizeof(id) - 1, sealed), 0);
    n = strlen(sealed);

    /* another key, another order or field */
    assert_int_equal(ch_unseal(other_key, aad, sealed, n, plain, &len), -1);
    assert_int_equal(ch_unseal(key, "UO202611211200000002/person_id", sealed,
                               n, plain, &len), -1);

    /* one changed character anywhere in the ciphertext or tag */
    was = flip(sealed, 10);
    assert_int_equal(ch_unseal(key, aad, sealed, n, plain, &len), -1);
    sealed[10] = was;
    was = flip(sealed, n - 2);
    assert_int_equal(ch_unseal(key, aad, sealed, n, plain, &len), -1);
    sealed[n - 2] = was;
    assert_int_equal(ch_unseal(key, aad, sealed, n, plain, &len), 0);

    /* cut short, another version, not base64, too short for a tag */
    assert_int_equal(ch_unseal(key, aad, sealed, n - 1, plain, &len), -1);
    sealed[1] = '2';
    assert_int_equal(ch_unseal(key, aad, sealed, n, plain, &len), -1);
    assert_int_equal(ch_unseal(key, aad, "v1.!!!!", 7, plain, &len), -1);
    assert_int_equal(ch_unseal(key, aad, "v1.AAAA", 7, plain, &len), -1);
    assert_int_equal(ch_unseal(key, aad, "", 0, plain, &len), -1);
}


static void
digests(void **state)
{
    char  d1[65], d2[65];

    (void) state;

    /* Python: hmac(hmac(key, b"id_number").hexdigest(), id) */
    assert_int_equal(ch_seal_digest(key, "id_number",
                                    (const unsigned char *) id,
                                    sizeof(id) - 1, d1), 0);
    assert_string_equal(d1,
        "be2cef773e61908a2949de36a05e9b4ce52e0c3e0b23d5571bc6cb54c79a94f9");

    assert_int_equal(ch_seal_digest(key, "other", (const unsigned char *) id,
                                    sizeof(id) - 1, d2), 0);
    assert_string_not_equal(d1, d2);
    assert_int_equal(ch_seal_digest(other_key, "id_number",
                                    (const unsigned char *) id,
                                    sizeof(id) - 1, d2), 0);
    assert_string_not_equal(d1, d2);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(round_trip, setup),
        cmocka_unit_test_setup(refusals, setup),
        cmocka_unit_test_setup(digests, setup),
    };

    return run_tap(tests);
}
