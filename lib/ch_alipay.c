/*
 * Alipay: keys, RSA2 signatures, amounts and timestamps.  See ch_alipay.h;
 * requests are in ch_alipay_request.c, notifications and answers in
 * ch_alipay_notify.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ch_alipay.h"
#include "ch_base64.h"
#include "ch_money.h"


struct ch_alipay_key_s {
    EVP_PKEY  *pkey;
    int        private;
};


static ch_alipay_key_t *ch_alipay_key_load(const char *pem, size_t len,
    int private, char *err, size_t err_size);
static int ch_alipay_no_password(char *buf, int size, int rwflag, void *u);


ch_alipay_key_t *
ch_alipay_private_key_load(const char *pem, size_t len, char *err,
    size_t err_size)
{
    return ch_alipay_key_load(pem, len, 1, err, err_size);
}


ch_alipay_key_t *
ch_alipay_public_key_load(const char *pem, size_t len, char *err,
    size_t err_size)
{
    return ch_alipay_key_load(pem, len, 0, err, err_size);
}


static ch_alipay_key_t *
ch_alipay_key_load(const char *pem, size_t len, int private, char *err,
    size_t err_size)
{
    int               bits;
    BIO              *bio;
    EVP_PKEY         *pkey;
    ch_alipay_key_t  *key;

    if (len > 1024 * 1024) {
        snprintf(err, err_size, "the key file is too large");
        return NULL;
    }

    bio = BIO_new_mem_buf(pem, (int) len);
    if (bio == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }

    /*
     * The callback refuses a password: an encrypted key would otherwise
     * make OpenSSL ask for one on the terminal nginx was started from.
     * PEM_read_bio_PUBKEY takes SubjectPublicKeyInfo (what Alipay hands
     * out) and PKCS#1 public keys, never a private key;
     * PEM_read_bio_PrivateKey takes PKCS#8 and PKCS#1.
     */

    pkey = private
           ? PEM_read_bio_PrivateKey(bio, NULL, ch_alipay_no_password, NULL)
           : PEM_read_bio_PUBKEY(bio, NULL, ch_alipay_no_password, NULL);

    BIO_free(bio);

    /* nothing may be left in this thread's queue for a later TLS call */
    ERR_clear_error();

    if (pkey == NULL) {
        snprintf(err, err_size, private
                 ? "no unencrypted PEM private key (PKCS#8 or PKCS#1)"
                 : "no PEM public key (SubjectPublicKeyInfo, "
                   "\"BEGIN PUBLIC KEY\")");
        return NULL;
    }

    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
        snprintf(err, err_size, "not an RSA key: RSA2 is SHA256withRSA");
        EVP_PKEY_free(pkey);
        return NULL;
    }

    bits = EVP_PKEY_get_bits(pkey);

    if (bits < CH_ALIPAY_KEY_MIN_BITS || bits > CH_ALIPAY_KEY_MAX_BITS) {
        snprintf(err, err_size, "a %d-bit key: RSA2 takes %d to %d bits",
                 bits, CH_ALIPAY_KEY_MIN_BITS, CH_ALIPAY_KEY_MAX_BITS);
        EVP_PKEY_free(pkey);
        return NULL;
    }

    key = malloc(sizeof(ch_alipay_key_t));
    if (key == NULL) {
        snprintf(err, err_size, "out of memory");
        EVP_PKEY_free(pkey);
        return NULL;
    }

    key->pkey = pkey;
    key->private = private;

    return key;
}


static int
ch_alipay_no_password(char *buf, int size, int rwflag, void *u)
{
    (void) buf;
    (void) size;
    (void) rwflag;
    (void) u;

    return -1;
}


void
ch_alipay_key_free(ch_alipay_key_t *key)
{
    if (key) {
        EVP_PKEY_free(key->pkey);
        free(key);
    }
}


int
ch_alipay_key_bits(const ch_alipay_key_t *key)
{
    return EVP_PKEY_get_bits(key->pkey);
}


int
ch_alipay_sign(const ch_alipay_key_t *key, const unsigned char *msg,
    size_t len, char *out, size_t out_size)
{
    int              rc;
    size_t           sig_len;
    EVP_MD_CTX      *md;
    unsigned char    sig[CH_ALIPAY_KEY_MAX_BITS / 8];

    if (key == NULL || !key->private) {
        return -1;
    }

    sig_len = (size_t) EVP_PKEY_get_size(key->pkey);

    if (sig_len > sizeof(sig) || CH_BASE64_LEN(sig_len) >= out_size) {
        return -1;
    }

    /* a context of its own per call: the key is shared between threads */
    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return -1;
    }

    /* RSA's default padding is PKCS#1 v1.5, which RSA2 is */
    rc = EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->pkey) == 1
         && EVP_DigestSign(md, sig, &sig_len, msg, len) == 1;

    EVP_MD_CTX_free(md);

    if (!rc) {
        ERR_clear_error();
        return -1;
    }

    sig_len = ch_base64_encode(out, sig, sig_len, CH_BASE64_STD);
    out[sig_len] = '\0';

    return (int) sig_len;
}


int
ch_alipay_verify(const ch_alipay_key_t *key, const unsigned char *msg,
    size_t len, const char *sign_b64, size_t sign_len)
{
    int              rc;
    size_t           sig_len;
    EVP_MD_CTX      *md;
    unsigned char    sig[CH_ALIPAY_KEY_MAX_BITS / 8 + 3];

    if (key == NULL || sign_len > CH_BASE64_LEN(CH_ALIPAY_KEY_MAX_BITS / 8)) {
        return 0;
    }

    sig_len = ch_base64_decode(sig, sign_b64, sign_len, CH_BASE64_STD);

    if (sig_len == (size_t) -1
        || sig_len != (size_t) EVP_PKEY_get_size(key->pkey))
    {
        return 0;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return 0;
    }

    rc = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) == 1
         && EVP_DigestVerify(md, sig, sig_len, msg, len) == 1;

    EVP_MD_CTX_free(md);

    /* a bad signature leaves an error queued: not for the next TLS call */
    ERR_clear_error();

    return rc;
}


int
ch_alipay_amount(long long fen, char *out, size_t size)
{
    int  n;

    if (fen < 0) {
        return -1;
    }

    n = snprintf(out, size, "%lld.%02lld", fen / 100, fen % 100);

    if (n < 0 || (size_t) n >= size) {
        return -1;
    }

    return n;
}


int
ch_alipay_amount_parse(const char *s, size_t len, long long *fen)
{
    size_t     i, digits, decimals;
    long long  v, cents;

    v = 0;
    digits = 0;

    for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        /* 13 digits of yuan are past CH_MONEY_MAX_FEN already */
        if (++digits > 13) {
            return -1;
        }

        v = v * 10 + (s[i] - '0');
    }

    if (digits == 0) {
        return -1;
    }

    cents = 0;
    decimals = 0;

    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (++decimals > 2) {
                return -1;
            }

            cents = cents * 10 + (s[i] - '0');
        }

        if (decimals == 0) {
            return -1;
        }

        if (decimals == 1) {
            cents *= 10;
        }
    }

    if (i != len) {
        return -1;
    }

    v = v * 100 + cents;

    if (v > CH_MONEY_MAX_FEN) {
        return -1;
    }

    *fen = v;

    return 0;
}


void
ch_alipay_timestamp(time_t t, char out[CH_ALIPAY_TIMESTAMP_SIZE])
{
    struct tm  tm;

    /*
     * Beijing time is UTC+8 all year (China has had no summer time since
     * 1991): computed, not taken from TZ, which nginx and cron set as they
     * please.
     */

    t += 8 * 3600;

    if (gmtime_r(&t, &tm) == NULL
        || strftime(out, CH_ALIPAY_TIMESTAMP_SIZE, "%Y-%m-%d %H:%M:%S", &tm)
           != CH_ALIPAY_TIMESTAMP_SIZE - 1)
    {
        /* a year past 9999: nothing the hall will see */
        strcpy(out, "1970-01-01 08:00:00");
    }
}
