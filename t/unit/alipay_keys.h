/*
 * The keys the Alipay unit tests use, made at run time by the group setup
 * (OpenSSL's EVP_PKEY_Q_keygen), never read from the repository: PEM texts
 * of each kind the loaders take or refuse, loaded keys, and a scratch
 * folder for the openssl command line.  Included by one test file each.
 */

#ifndef CERTHALL_ALIPAY_KEYS_H
#define CERTHALL_ALIPAY_KEYS_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "unit.h"
#include "ch_alipay.h"
#include "ch_form.h"



/* what the group setup makes: PEM texts, and a folder for the CLI */
static char   dir[] = "/tmp/test_alipay.XXXXXX";
static char  *a_pkcs8, *a_pkcs1, *a_pub, *a_pub_pkcs1, *b_pkcs8, *b_pub;
static char  *ec_priv, *ec_pub, *small_priv, *small_pub, *pss_priv, *a_enc;

static ch_alipay_key_t  *a_key, *a_pubkey, *b_key;

static char  msg_path[64], a_path[64];


static char *
pem_text(EVP_PKEY *pkey, int kind)
{
    BIO     *bio;
    char    *data, *s;
    long     len;

    bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);

    switch (kind) {
    case 0:     /* PKCS#8 */
        assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
                                                  NULL, NULL), 1);
        break;
    case 1:     /* PKCS#1, "BEGIN RSA PRIVATE KEY" */
        assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, pkey,
                             NULL, NULL, 0, NULL, NULL), 1);
        break;
    case 2:     /* SubjectPublicKeyInfo */
        assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
        break;
    case 3:     /* PKCS#1 public, "BEGIN RSA PUBLIC KEY": not what Alipay
                   hands out, refused */
        {
            OSSL_ENCODER_CTX  *enc;

            enc = OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_PUBLIC_KEY,
                                                "PEM", "type-specific", NULL);
            assert_non_null(enc);
            assert_int_equal(OSSL_ENCODER_to_bio(enc, bio), 1);
            OSSL_ENCODER_CTX_free(enc);
        }
        break;
    default:    /* encrypted PKCS#8 */
        assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, pkey,
                             EVP_aes_256_cbc(), "secret", 6, NULL, NULL), 1);
        break;
    }

    len = BIO_get_mem_data(bio, &data);
    s = malloc((size_t) len + 1);
    assert_non_null(s);
    memcpy(s, data, (size_t) len);
    s[len] = '\0';
    BIO_free(bio);

    return s;
}


static inline void
write_file(const char *path, const char *data, size_t len)
{
    FILE  *f;

    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}


/* the first line a command prints, without its newline */
static inline void
run(const char *cmd, char *out, size_t size)
{
    FILE    *p;
    size_t   n;

    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
    assert_int_equal(pclose(p), 0);
}


static ch_alipay_key_t *
load(const char *pem, int private)
{
    char  err[128];

    return private ? ch_alipay_private_key_load(pem, strlen(pem), err,
                                                sizeof(err))
                   : ch_alipay_public_key_load(pem, strlen(pem), err,
                                               sizeof(err));
}


static int
setup(void **state)
{
    EVP_PKEY  *a, *b, *ec, *small, *pss;

    (void) state;

    a = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    b = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 1024);
    pss = NULL;

    /* EVP_PKEY_Q_keygen() sizes only "RSA" keys */
    {
        EVP_PKEY_CTX  *ctx;

        ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
        if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1
            || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1
            || EVP_PKEY_generate(ctx, &pss) != 1)
        {
            pss = NULL;
        }

        EVP_PKEY_CTX_free(ctx);
    }

    if (a == NULL || b == NULL || ec == NULL || small == NULL || pss == NULL) {
        return -1;
    }

    a_pkcs8 = pem_text(a, 0);
    a_pkcs1 = pem_text(a, 1);
    a_pub = pem_text(a, 2);
    a_pub_pkcs1 = pem_text(a, 3);
    a_enc = pem_text(a, 4);
    b_pkcs8 = pem_text(b, 0);
    b_pub = pem_text(b, 2);
    ec_priv = pem_text(ec, 0);
    ec_pub = pem_text(ec, 2);
    small_priv = pem_text(small, 0);
    small_pub = pem_text(small, 2);
    pss_priv = pem_text(pss, 0);

    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(small);
    EVP_PKEY_free(pss);

    if (mkdtemp(dir) == NULL) {
        return -1;
    }

    snprintf(a_path, sizeof(a_path), "%s/a.pem", dir);
    snprintf(msg_path, sizeof(msg_path), "%s/msg", dir);
    write_file(a_path, a_pkcs8, strlen(a_pkcs8));

    a_key = load(a_pkcs8, 1);
    a_pubkey = load(a_pub, 0);
    b_key = load(b_pkcs8, 1);

    return (a_key && a_pubkey && b_key) ? 0 : -1;
}


static int
teardown(void **state)
{
    char  cmd[128];

    (void) state;

    ch_alipay_key_free(a_key);
    ch_alipay_key_free(a_pubkey);
    ch_alipay_key_free(b_key);

    free(a_pkcs8); free(a_pkcs1); free(a_pub); free(a_pub_pkcs1);
    free(a_enc); free(b_pkcs8); free(b_pub); free(ec_priv); free(ec_pub);
    free(small_priv); free(small_pub); free(pss_priv);

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);

    return system(cmd);
}


#endif /* CERTHALL_ALIPAY_KEYS_H */
