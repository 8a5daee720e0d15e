/* lib/ch_password.c: PBKDF2-HMAC-SHA256 hashes in their text form */

#include "unit.h"
#include "ch_password.h"


/* computed independently (Python's hashlib.pbkdf2_hmac), salt 00..0f */
static const char  known[] =
    "$pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw"
    "$+7jCAuJ/6lgLIr4zTJDrTBMRp2icJmaP6ittfXXKLX8";


static ch_password_result_e
verify(const char *pw, const char *hash)
{
    return ch_password_verify(pw, strlen(pw), hash, 1000);
}


static void
a_known_hash_verifies(void **state)
{
    (void) state;

    assert_int_equal(verify("correct horse 123", known), CH_PASSWORD_MATCH);
    assert_int_equal(verify("correct horse 124", known), CH_PASSWORD_MISMATCH);
    assert_int_equal(verify("", known), CH_PASSWORD_MISMATCH);
    assert_int_equal(ch_password_iterations(known), 1000);
}


static void
hashes_are_salted_and_self_describing(void **state)
{
    char  a[CH_PASSWORD_HASH_SIZE], b[CH_PASSWORD_HASH_SIZE];

    (void) state;

    assert_int_equal(ch_password_hash("abc12345", 8, 1000, a), 0);
    assert_int_equal(ch_password_hash("abc12345", 8, 1000, b), 0);

    /* the same password twice: two salts, two hashes, both verify */
    assert_string_not_equal(a, b);
    assert_int_equal(verify("abc12345", a), CH_PASSWORD_MATCH);
    assert_int_equal(verify("abc12345", b), CH_PASSWORD_MATCH);
    assert_int_equal(verify("abc12346", a), CH_PASSWORD_MISMATCH);

    assert_int_equal(strncmp(a, "$pbkdf2-sha256$1000$", 20), 0);
    assert_int_equal(strlen(a), 20 + 22 + 1 + 43);

    /* the count comes from the hash, not from the caller's default */
    assert_int_equal(ch_password_hash("abc12345", 8, 2500, a), 0);
    assert_int_equal(ch_password_iterations(a), 2500);
    assert_int_equal(ch_password_verify("abc12345", 8, a, 1000),
                     CH_PASSWORD_MATCH);

    /* counts out of bounds are refused, not silently weakened */
    assert_int_equal(ch_password_hash("abc12345", 8, 999, a), -1);
    assert_int_equal(ch_password_hash("abc12345", 8, 100000001, a), -1);
}


static void
no_hash_is_a_mismatch_after_the_same_work(void **state)
{
    (void) state;

    /* unknown account: no hash at all */
    assert_int_equal(verify("abc12345", NULL), CH_PASSWORD_MISMATCH);

    /* anything not exactly our format */
    assert_int_equal(verify("abc12345", ""), CH_PASSWORD_MISMATCH);
    assert_int_equal(verify("abc12345", "abc12345"), CH_PASSWORD_MISMATCH);
    assert_int_equal(verify("correct horse 123",
        "$pbkdf2-sha256$01000$AAECAwQFBgcICQoLDA0ODw"
        "$+7jCAuJ/6lgLIr4zTJDrTBMRp2icJmaP6ittfXXKLX8"), CH_PASSWORD_MISMATCH);
    assert_int_equal(verify("correct horse 123",
        "$pbkdf2-sha256$999$AAECAwQFBgcICQoLDA0ODw"
        "$+7jCAuJ/6lgLIr4zTJDrTBMRp2icJmaP6ittfXXKLX8"), CH_PASSWORD_MISMATCH);
    assert_int_equal(verify("correct horse 123",
        "$pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0O"
        "$+7jCAuJ/6lgLIr4zTJDrTBMRp2icJmaP6ittfXXKLX8"), CH_PASSWORD_MISMATCH);
    assert_int_equal(verify("correct horse 123",
        "$pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw"
        "$+7jCAuJ/6lgLIr4zTJDrTBMRp2icJmaP6ittfXXKLX8A"), CH_PASSWORD_MISMATCH);
    assert_int_equal(verify("correct horse 123",
        "$pbkdf2-sha256$99999999999999999999$AAECAwQFBgcICQoLDA0ODw"
        "$+7jCAuJ/6lgLIr4zTJDrTBMRp2icJmaP6ittfXXKLX8"), CH_PASSWORD_MISMATCH);
    assert_int_equal(verify("correct horse 123",
        "$pbkdf2-sha512$1000$AAECAwQFBgcICQoLDA0ODw"
        "$+7jCAuJ/6lgLIr4zTJDrTBMRp2icJmaP6ittfXXKLX8"), CH_PASSWORD_MISMATCH);

    assert_int_equal(ch_password_iterations("$pbkdf2-sha256$1000$x$y"), 0);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_known_hash_verifies),
        cmocka_unit_test(hashes_are_salted_and_self_describing),
        cmocka_unit_test(no_hash_is_a_mismatch_after_the_same_work),
    };

    return run_tap(tests);
}
