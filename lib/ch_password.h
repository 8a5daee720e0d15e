/*
 * Password hashes: PBKDF2-HMAC-SHA256 (OpenSSL), salted, in a
 * self-describing text form so the iteration count can be raised later
 * without breaking stored hashes:
 *
 *     $pbkdf2-sha256$600000$<salt, base64>$<key, base64>
 *
 * (base64 without padding; 16-byte salt, 32-byte key).  600,000
 * iterations is OWASP's figure for PBKDF2-HMAC-SHA256 (2023); one hash
 * takes about 110 ms of CPU here, which is why the module computes it in
 * a thread pool.
 *
 * Pure C (no nginx headers): the module, the back office and the tests
 * share it.  Thread-safe.
 */

#ifndef CH_PASSWORD_H
#define CH_PASSWORD_H

#include <stddef.h>

#define CH_PASSWORD_ITERATIONS       600000
#define CH_PASSWORD_MIN_ITERATIONS   1000
#define CH_PASSWORD_MAX_ITERATIONS   100000000
#define CH_PASSWORD_SALT_LEN         16
#define CH_PASSWORD_KEY_LEN          32
#define CH_PASSWORD_HASH_SIZE        128    /* room for any hash and NUL */

typedef enum {
    CH_PASSWORD_MATCH = 0,
    CH_PASSWORD_MISMATCH,       /* wrong password, or no usable hash */
    CH_PASSWORD_ERROR           /* OpenSSL failed: out of memory, no RNG */
} ch_password_result_e;

/*
 * Hashes password with a fresh random salt; out gets the NUL-terminated
 * text form (CH_PASSWORD_HASH_SIZE bytes).  Returns 0, or -1 if OpenSSL
 * failed or iterations is out of bounds.
 */
int ch_password_hash(const char *password, size_t len,
    unsigned long iterations, char *out);

/*
 * Checks password against hash (NUL-terminated).  When hash is NULL or not
 * a hash this code makes, the work of a hash with dummy_iterations is done
 * all the same and the answer is a mismatch: an unknown account must take
 * as long as a wrong password.
 */
ch_password_result_e ch_password_verify(const char *password, size_t len,
    const char *hash, unsigned long dummy_iterations);

/* the iteration count of a hash, or 0 if it is not one */
unsigned long ch_password_iterations(const char *hash);

#endif /* CH_PASSWORD_H */
