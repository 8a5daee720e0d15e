/*
 * Password hashes: see ch_password.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ch_base64.h"
#include "ch_password.h"


#define CH_PASSWORD_PREFIX  "$pbkdf2-sha256$"


typedef struct {
    unsigned long  iterations;
    unsigned char  salt[CH_PASSWORD_SALT_LEN];
    unsigned char  key[CH_PASSWORD_KEY_LEN];
} ch_password_parsed_t;


static int ch_password_parse(const char *hash, ch_password_parsed_t *p);
static int ch_password_derive(const char *password, size_t len,
    const unsigned char *salt, unsigned long iterations, unsigned char *key);


int
ch_password_hash(const char *password, size_t len, unsigned long iterations,
    char *out)
{
    char           *p;
    unsigned char   salt[CH_PASSWORD_SALT_LEN], key[CH_PASSWORD_KEY_LEN];

    if (iterations < CH_PASSWORD_MIN_ITERATIONS
        || iterations > CH_PASSWORD_MAX_ITERATIONS)
    {
        return -1;
    }

    if (RAND_bytes(salt, sizeof(salt)) != 1
        || ch_password_derive(password, len, salt, iterations, key) != 0)
    {
        return -1;
    }

    p = out + sprintf(out, CH_PASSWORD_PREFIX "%lu$", iterations);
    p += ch_base64_encode(p, salt, sizeof(salt), CH_BASE64_STD_NOPAD);
    *p++ = '$';
    p += ch_base64_encode(p, key, sizeof(key), CH_BASE64_STD_NOPAD);
    *p = '\0';

    OPENSSL_cleanse(key, sizeof(key));

    return 0;
}


ch_password_result_e
ch_password_verify(const char *password, size_t len, const char *hash,
    unsigned long dummy_iterations)
{
    int                   usable;
    unsigned char         key[CH_PASSWORD_KEY_LEN];
    ch_password_parsed_t  parsed;

    usable = (hash != NULL && ch_password_parse(hash, &parsed) == 0);

    if (!usable) {
        /* the same work against a salt of zeros, to be thrown away */
        memset(&parsed, 0, sizeof(parsed));
        parsed.iterations = dummy_iterations;

        if (parsed.iterations < CH_PASSWORD_MIN_ITERATIONS
            || parsed.iterations > CH_PASSWORD_MAX_ITERATIONS)
        {
            parsed.iterations = CH_PASSWORD_ITERATIONS;
        }
    }

    if (ch_password_derive(password, len, parsed.salt, parsed.iterations, key)
        != 0)
    {
        return CH_PASSWORD_ERROR;
    }

    usable = usable && CRYPTO_memcmp(key, parsed.key, sizeof(key)) == 0;

    OPENSSL_cleanse(key, sizeof(key));

    return usable ? CH_PASSWORD_MATCH : CH_PASSWORD_MISMATCH;
}


unsigned long
ch_password_iterations(const char *hash)
{
    ch_password_parsed_t  parsed;

    return ch_password_parse(hash, &parsed) == 0 ? parsed.iterations : 0;
}


/* "$pbkdf2-sha256$N$salt$key", exactly as ch_password_hash() writes it */

static int
ch_password_parse(const char *hash, ch_password_parsed_t *p)
{
    size_t          n;
    const char     *s, *salt, *key;
    unsigned char   buf[CH_PASSWORD_KEY_LEN + 3];

    n = sizeof(CH_PASSWORD_PREFIX) - 1;

    if (strncmp(hash, CH_PASSWORD_PREFIX, n) != 0) {
        return -1;
    }

    s = hash + n;

    /* digits without a leading zero, within bounds */
    if (*s < '1' || *s > '9') {
        return -1;
    }

    p->iterations = 0;

    while (*s >= '0' && *s <= '9') {
        p->iterations = p->iterations * 10 + (unsigned long) (*s++ - '0');

        if (p->iterations > CH_PASSWORD_MAX_ITERATIONS) {
            return -1;
        }
    }

    if (p->iterations < CH_PASSWORD_MIN_ITERATIONS || *s++ != '$') {
        return -1;
    }

    salt = s;
    s = strchr(salt, '$');
    if (s == NULL) {
        return -1;
    }

    /* the lengths first: never decode more than buf holds */
    if ((size_t) (s - salt) != CH_BASE64_NOPAD_LEN(CH_PASSWORD_SALT_LEN)
        || ch_base64_decode(buf, salt, s - salt, CH_BASE64_STD_NOPAD)
           != CH_PASSWORD_SALT_LEN)
    {
        return -1;
    }

    memcpy(p->salt, buf, CH_PASSWORD_SALT_LEN);

    key = s + 1;
    n = strlen(key);

    if (n != CH_BASE64_NOPAD_LEN(CH_PASSWORD_KEY_LEN)
        || ch_base64_decode(buf, key, n, CH_BASE64_STD_NOPAD)
           != CH_PASSWORD_KEY_LEN)
    {
        return -1;
    }

    memcpy(p->key, buf, CH_PASSWORD_KEY_LEN);

    return 0;
}


static int
ch_password_derive(const char *password, size_t len,
    const unsigned char *salt, unsigned long iterations, unsigned char *key)
{
    if (len > 1024 || iterations > CH_PASSWORD_MAX_ITERATIONS) {
        return -1;
    }

    return PKCS5_PBKDF2_HMAC(password, (int) len, salt, CH_PASSWORD_SALT_LEN,
                             (int) iterations, EVP_sha256(),
                             CH_PASSWORD_KEY_LEN, key) == 1 ? 0 : -1;
}
