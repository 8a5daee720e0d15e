/*
 * Sealing personal data at rest: the ID numbers applicants give with an
 * order are stored encrypted (AES-256-GCM), so that a copy of the
 * database (a backup, a replica, a dump on a laptop) does not hold them,
 * and beside a keyed digest (HMAC-SHA256) so that an exact number can still
 * be looked up.  The key is 32 bytes from the file the configuration names
 * (certhall_data_key); it never reaches the database.
 *
 * A sealed value is text, to live in a text column:
 *
 *     "v1." base64url(nonce[12] || ciphertext || tag[16])
 *
 * with a random nonce per value.  The associated data names where the
 * value belongs (e.g. "UO20261121120000 0001/person_id"), so a sealed value
 * copied to another order or field does not open there.
 *
 * Pure C (no nginx headers): the module seals and opens, the back office
 * opens with the same code, and the unit tests and fuzz target call it
 * directly.
 */

#ifndef CH_SEAL_H
#define CH_SEAL_H

#include <stddef.h>

#define CH_SEAL_KEY_LEN     32
#define CH_SEAL_NONCE_LEN   12
#define CH_SEAL_TAG_LEN     16

/* the sealed text's length for len plain bytes, without the NUL */
#define CH_SEAL_LEN(len)                                                      \
    (3 + (((len) + CH_SEAL_NONCE_LEN + CH_SEAL_TAG_LEN) * 4 + 2) / 3)

/*
 * Seals plain[0 .. len - 1] into out (CH_SEAL_LEN(len) + 1 bytes, NUL
 * terminated).  Returns 0, or -1 if OpenSSL fails (no random bytes).
 */
int ch_seal(const unsigned char *key, const char *aad,
    const unsigned char *plain, size_t len, char *out);

/*
 * Opens a sealed text (len bytes) into out, which needs len bytes; *out_len
 * gets the plain length.  Returns 0, or -1 for anything that is not a
 * value sealed under this key with this associated data.
 */
int ch_unseal(const unsigned char *key, const char *aad, const char *sealed,
    size_t len, unsigned char *out, size_t *out_len);

/*
 * The lookup digest of a value: HMAC-SHA256 under a key derived from the
 * data key for purpose (e.g. "id_number"), as 64 lower-case hex digits and
 * a NUL in out.  Equal values give equal digests; without the key nobody
 * can test a guess against a stolen table.  Returns 0 or -1.
 */
int ch_seal_digest(const unsigned char *key, const char *purpose,
    const unsigned char *in, size_t len, char *out);

#endif /* CH_SEAL_H */
