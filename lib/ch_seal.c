/*
 * AES-256-GCM sealing and keyed digests: see ch_seal.h.
 */

#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ch_base64.h"
#include "ch_seal.h"
#include "ch_sign.h"


static int ch_seal_cipher(int enc, const unsigned char *key,
    const unsigned char *nonce, const char *aad, const unsigned char *in,
    size_t len, unsigned char *out, unsigned char *tag);


int
ch_seal(const unsigned char *key, const char *aad, const unsigned char *plain,
    size_t len, char *out)
{
    size_t          n;
    unsigned char  *raw;
    int             rc;

    raw = OPENSSL_malloc(CH_SEAL_NONCE_LEN + len + CH_SEAL_TAG_LEN);
    if (raw == NULL) {
        return -1;
    }

    rc = -1;

    if (RAND_bytes(raw, CH_SEAL_NONCE_LEN) == 1
        && ch_seal_cipher(1, key, raw, aad, plain, len,
                          raw + CH_SEAL_NONCE_LEN,
                          raw + CH_SEAL_NONCE_LEN + len)
           == 0)
    {
        memcpy(out, "v1.", 3);
        n = ch_base64_encode(out + 3, raw,
                             CH_SEAL_NONCE_LEN + len + CH_SEAL_TAG_LEN,
                             CH_BASE64_URL_NOPAD);
        out[3 + n] = '\0';
        rc = 0;
    }

    OPENSSL_clear_free(raw, CH_SEAL_NONCE_LEN + len + CH_SEAL_TAG_LEN);

    return rc;
}


int
ch_unseal(const unsigned char *key, const char *aad, const char *sealed,
    size_t len, unsigned char *out, size_t *out_len)
{
    size_t          n;
    unsigned char  *raw;
    int             rc;

    if (len < 3 || memcmp(sealed, "v1.", 3) != 0) {
        return -1;
    }

    raw = OPENSSL_malloc(len);
    if (raw == NULL) {
        return -1;
    }

    rc = -1;
    n = ch_base64_decode(raw, sealed + 3, len - 3, CH_BASE64_URL_NOPAD);

    if (n != (size_t) -1 && n >= CH_SEAL_NONCE_LEN + CH_SEAL_TAG_LEN) {
        n -= CH_SEAL_NONCE_LEN + CH_SEAL_TAG_LEN;

        if (ch_seal_cipher(0, key, raw, aad, raw + CH_SEAL_NONCE_LEN, n, out,
                           raw + CH_SEAL_NONCE_LEN + n)
            == 0)
        {
            *out_len = n;
            rc = 0;

        } else {
            /* nothing of a value that failed its tag leaves here */
            OPENSSL_cleanse(out, n);
        }
    }

    OPENSSL_free(raw);

    return rc;
}


int
ch_seal_digest(const unsigned char *key, const char *purpose,
    const unsigned char *in, size_t len, char *out)
{
    char  label[CH_HMAC_HEX_LEN + 1];
    int   rc;

    /*
     * A key of its own per purpose, derived from the data key, so that a
     * digest never equals anything else made with the data key
     */

    if (ch_hmac_sha256_hex(key, CH_SEAL_KEY_LEN, (const unsigned char *) purpose,
                           strlen(purpose), label)
        != 0)
    {
        return -1;
    }

    rc = ch_hmac_sha256_hex((const unsigned char *) label, CH_HMAC_HEX_LEN,
                            in, len, out);

    OPENSSL_cleanse(label, sizeof(label));

    return rc;
}


/* one pass of AES-256-GCM; decryption checks tag and answers -1 if wrong */

static int
ch_seal_cipher(int enc, const unsigned char *key, const unsigned char *nonce,
    const char *aad, const unsigned char *in, size_t len, unsigned char *out,
    unsigned char *tag)
{
    int              n, ok;
    EVP_CIPHER_CTX  *ctx;

    if (len > 65536) {
        return -1;
    }

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                                CH_SEAL_NONCE_LEN, NULL) == 1
         && EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1
         && EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *) aad,
                             (int) strlen(aad)) == 1
         && EVP_CipherUpdate(ctx, out, &n, in, (int) len) == 1;

    if (ok && !enc) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CH_SEAL_TAG_LEN,
                                 tag) == 1;
    }

    ok = ok && EVP_CipherFinal_ex(ctx, out + n, &n) == 1;

    if (ok && enc) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CH_SEAL_TAG_LEN,
                                 tag) == 1;
    }

    EVP_CIPHER_CTX_free(ctx);

    return ok ? 0 : -1;
}
