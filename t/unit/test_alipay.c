/*
 * lib/ch_alipay*.c: RSA2 keys, signatures against OpenSSL's command line,
 * amounts, biz_content, requests, notifications, server answers.
 *
 * Every key is made here at run time (OpenSSL's EVP_PKEY_Q_keygen and the
 * openssl command line), never read from the repository.
 */

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
#include "ch_sign.h"


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


static void
write_file(const char *path, const char *data, size_t len)
{
    FILE  *f;

    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}


/* the first line a command prints, without its newline */
static void
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


static void
expect_refused(const char *pem, int private, const char *words)
{
    char              err[128];
    ch_alipay_key_t  *key;

    err[0] = '\0';
    key = private ? ch_alipay_private_key_load(pem, strlen(pem), err,
                                               sizeof(err))
                  : ch_alipay_public_key_load(pem, strlen(pem), err,
                                              sizeof(err));
    if (key) {
        fail_msg("a key loaded that should not (\"%s\")", words);
    }

    if (strstr(err, words) == NULL) {
        fail_msg("error \"%s\" does not say \"%s\"", err, words);
    }
}


static void
keys_rsa_2048_pem_only(void **state)
{
    ch_alipay_key_t  *k;

    (void) state;

    k = load(a_pkcs1, 1);
    assert_non_null(k);
    assert_int_equal(ch_alipay_key_bits(k), 2048);
    ch_alipay_key_free(k);

    /* not NUL-terminated: only len bytes are read */
    k = ch_alipay_public_key_load(b_pub, strlen(b_pub), NULL, 0);
    assert_non_null(k);
    ch_alipay_key_free(k);

    expect_refused(ec_priv, 1, "not an RSA key");
    expect_refused(ec_pub, 0, "not an RSA key");
    expect_refused(pss_priv, 1, "not an RSA key");
    expect_refused(small_priv, 1, "1024-bit");
    expect_refused(small_pub, 0, "1024-bit");
    expect_refused(a_enc, 1, "no unencrypted PEM private key");
    expect_refused(a_pub, 1, "no unencrypted PEM private key");
    expect_refused(a_pkcs8, 0, "no PEM public key");

    /* a PKCS#1 public key is the same key: taken too */
    k = load(a_pub_pkcs1, 0);
    assert_non_null(k);
    ch_alipay_key_free(k);
    expect_refused("", 1, "no unencrypted");
    expect_refused("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                   0, "no PEM public key");

    ch_alipay_key_free(NULL);
}


static void
sign_verify_round_trip(void **state)
{
    int    n;
    char   sig[CH_ALIPAY_SIGN_SIZE];

    static const char  m[] = "app_id=2021&total_amount=400.00";

    (void) state;

    n = ch_alipay_sign(a_key, (const unsigned char *) m, strlen(m), sig,
                       sizeof(sig));
    assert_int_equal(n, 344);           /* base64 of 256 bytes */
    assert_int_equal(strlen(sig), 344);

    assert_int_equal(ch_alipay_verify(a_pubkey, (const unsigned char *) m,
                                      strlen(m), sig, n), 1);
    /* a private key verifies too (it holds the public half) */
    assert_int_equal(ch_alipay_verify(a_key, (const unsigned char *) m,
                                      strlen(m), sig, n), 1);

    /* a public key cannot sign; a buffer one byte short is refused */
    assert_int_equal(ch_alipay_sign(a_pubkey, (const unsigned char *) m,
                                    strlen(m), sig, sizeof(sig)), -1);
    assert_int_equal(ch_alipay_sign(a_key, (const unsigned char *) m,
                                    strlen(m), sig, 344), -1);
    assert_int_equal(ch_alipay_sign(a_key, (const unsigned char *) m,
                                    strlen(m), sig, 345), 344);
    assert_int_equal(ch_alipay_sign(NULL, (const unsigned char *) m,
                                    strlen(m), sig, sizeof(sig)), -1);

    /* the empty message is a message */
    n = ch_alipay_sign(a_key, (const unsigned char *) "", 0, sig, sizeof(sig));
    assert_int_equal(n, 344);
    assert_int_equal(ch_alipay_verify(a_pubkey, (const unsigned char *) "", 0,
                                      sig, n), 1);
}


/* OpenSSL's command line signs the same bytes into the same signature */
static void
signature_matches_openssl_command_line(void **state)
{
    int               n;
    char              sig[CH_ALIPAY_SIGN_SIZE], cli[1024], cmd[512];
    char              path[96];
    ch_alipay_key_t  *k;

    static const char  m[] =
        "app_id=2021&biz_content={\"subject\":\"湘潭 数字证书新办\"}"
        "&sign_type=RSA2&timestamp=2026-12-07 11:30:00";

    (void) state;

    write_file(msg_path, m, strlen(m));

    /* PKCS#1 v1.5 is deterministic: one key, one message, one signature */
    snprintf(cmd, sizeof(cmd),
             "openssl dgst -sha256 -sign '%s' '%s' | base64 -w0",
             a_path, msg_path);
    run(cmd, cli, sizeof(cli));

    n = ch_alipay_sign(a_key, (const unsigned char *) m, strlen(m), sig,
                       sizeof(sig));
    assert_int_equal(n, 344);
    assert_string_equal(sig, cli);

    /* and the command line's key (PKCS#1, "BEGIN RSA PRIVATE KEY") */
    snprintf(path, sizeof(path), "%s/cli.pem", dir);
    snprintf(cmd, sizeof(cmd),
             "openssl genrsa -traditional -out '%s' 2048 2>/dev/null"
             " && head -1 '%s'", path, path);
    run(cmd, cli, sizeof(cli));
    assert_string_equal(cli, "-----BEGIN RSA PRIVATE KEY-----");

    {
        FILE    *f;
        char     pem[4096];
        size_t   len;

        f = fopen(path, "rb");
        assert_non_null(f);
        len = fread(pem, 1, sizeof(pem), f);
        fclose(f);

        k = ch_alipay_private_key_load(pem, len, NULL, 0);
        assert_non_null(k);
    }

    snprintf(cmd, sizeof(cmd),
             "openssl dgst -sha256 -sign '%s' '%s' | base64 -w0",
             path, msg_path);
    run(cmd, cli, sizeof(cli));

    n = ch_alipay_sign(k, (const unsigned char *) m, strlen(m), sig,
                       sizeof(sig));
    assert_string_equal(sig, cli);
    assert_int_equal(ch_alipay_verify(k, (const unsigned char *) m, strlen(m),
                                      cli, strlen(cli)), 1);
    assert_int_equal(ch_alipay_verify(a_pubkey, (const unsigned char *) m,
                                      strlen(m), cli, strlen(cli)), 0);

    ch_alipay_key_free(k);
}


static void
verify_refuses_what_was_not_signed(void **state)
{
    int    n;
    char   sig[CH_ALIPAY_SIGN_SIZE], bad[CH_ALIPAY_SIGN_SIZE + 8];

    static const char  m[] = "out_trade_no=UO1_1&total_amount=400.00";
    static const char  altered[] = "out_trade_no=UO1_1&total_amount=400.01";

#define VERIFY(text, s, len) \
    ch_alipay_verify(a_pubkey, (const unsigned char *) (text), strlen(text), \
                     (s), (len))

    (void) state;

    n = ch_alipay_sign(a_key, (const unsigned char *) m, strlen(m), sig,
                       sizeof(sig));
    assert_int_equal(VERIFY(m, sig, n), 1);

    /* the message altered, or cut */
    assert_int_equal(VERIFY(altered, sig, n), 0);
    assert_int_equal(ch_alipay_verify(a_pubkey, (const unsigned char *) m,
                                      strlen(m) - 1, sig, n), 0);

    /* one character of the signature changed */
    memcpy(bad, sig, n + 1);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    assert_int_equal(VERIFY(m, bad, n), 0);

    /* another key's signature, another key's check */
    n = ch_alipay_sign(b_key, (const unsigned char *) m, strlen(m), bad,
                       sizeof(bad));
    assert_int_equal(VERIFY(m, bad, n), 0);
    assert_int_equal(ch_alipay_verify(b_key, (const unsigned char *) m,
                                      strlen(m), sig, strlen(sig)), 0);

    /* not base64, or not exactly one */
    n = (int) strlen(sig);
    assert_int_equal(VERIFY(m, "", 0), 0);
    assert_int_equal(VERIFY(m, "!!!!", 4), 0);
    assert_int_equal(VERIFY(m, sig, n - 4), 0);     /* 255 bytes */
    assert_int_equal(VERIFY(m, sig, n - 1), 0);     /* padding cut */

    memcpy(bad, sig, 100);
    bad[100] = '\n';
    memcpy(bad + 101, sig + 100, n - 100);
    assert_int_equal(VERIFY(m, bad, n + 1), 0);     /* a line break */

    memcpy(bad, sig, n);
    memcpy(bad + n, "AAAA", 4);
    assert_int_equal(VERIFY(m, bad, n + 4), 0);     /* too long */

    assert_int_equal(ch_alipay_verify(NULL, (const unsigned char *) m,
                                      strlen(m), sig, n), 0);

    /* a signature made by the CLI with the wrong digest (SHA-1: RSA1) */
    write_file(msg_path, m, strlen(m));
    {
        char  cmd[256], cli[1024];

        snprintf(cmd, sizeof(cmd),
                 "openssl dgst -sha1 -sign '%s' '%s' | base64 -w0",
                 a_path, msg_path);
        run(cmd, cli, sizeof(cli));
        assert_int_equal(VERIFY(m, cli, strlen(cli)), 0);
    }

#undef VERIFY
}


static void *
sign_in_thread(void *arg)
{
    int    i, n;
    char   sig[CH_ALIPAY_SIGN_SIZE], m[64];

    for (i = 0; i < 20; i++) {
        n = snprintf(m, sizeof(m), "thread=%p&i=%d", arg, i);

        if (ch_alipay_sign(a_key, (unsigned char *) m, n, sig, sizeof(sig))
                != 344
            || ch_alipay_verify(a_pubkey, (unsigned char *) m, n, sig, 344)
                != 1)
        {
            return arg;
        }
    }

    return NULL;
}


/* the module signs with one key from every thread of its pool at once */
static void
one_key_shared_by_threads(void **state)
{
    int        i;
    void      *rc;
    pthread_t  t[4];

    static int  ids[4];

    (void) state;

    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, sign_in_thread, &ids[i]),
                         0);
    }

    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], &rc), 0);
        assert_null(rc);
    }
}


static void
expect_amount(long long fen, const char *want)
{
    char       out[24];
    long long  back;

    assert_int_equal(ch_alipay_amount(fen, out, sizeof(out)), strlen(want));
    assert_string_equal(out, want);

    assert_int_equal(ch_alipay_amount_parse(out, strlen(out), &back), 0);
    assert_int_equal(back, fen);
}


static void
expect_parsed(const char *s, long long want)
{
    long long  fen = -7;

    assert_int_equal(ch_alipay_amount_parse(s, strlen(s), &fen), 0);
    assert_int_equal(fen, want);
}


static void
expect_not_amount(const char *s, size_t len)
{
    long long  fen = -7;

    assert_int_equal(ch_alipay_amount_parse(s, len, &fen), -1);
    assert_int_equal(fen, -7);
}


#define NOT_AMOUNT(s)  expect_not_amount(s, sizeof(s) - 1)

static void
amounts_in_yuan_with_two_decimals(void **state)
{
    char  out[24];

    (void) state;

    expect_amount(40000, "400.00");
    expect_amount(1, "0.01");
    expect_amount(10, "0.10");
    expect_amount(0, "0.00");
    expect_amount(123456, "1234.56");
    expect_amount(1000000000000LL, "10000000000.00");

    assert_int_equal(ch_alipay_amount(-1, out, sizeof(out)), -1);
    assert_int_equal(ch_alipay_amount(40000, out, 6), -1);
    assert_int_equal(ch_alipay_amount(40000, out, 7), 6);

    expect_parsed("0.01", 1);
    expect_parsed("400.00", 40000);
    expect_parsed("400", 40000);
    expect_parsed("400.0", 40000);
    expect_parsed("400.5", 40050);
    expect_parsed("0", 0);
    expect_parsed("10000000000.00", 1000000000000LL);

    NOT_AMOUNT("-1");
    NOT_AMOUNT("+1");
    NOT_AMOUNT("1,000.00");
    NOT_AMOUNT("1.001");
    NOT_AMOUNT(" 1");
    NOT_AMOUNT("1 ");
    NOT_AMOUNT("1e3");
    NOT_AMOUNT("");
    NOT_AMOUNT(".50");
    NOT_AMOUNT("400.");
    NOT_AMOUNT("400..0");
    NOT_AMOUNT("¥400");
    NOT_AMOUNT("0x10");
    NOT_AMOUNT("1\0" "00");                         /* a NUL inside */
    NOT_AMOUNT("10000000000.01");                   /* past the maximum */
    NOT_AMOUNT("99999999999999999999");             /* would overflow */

    /* only len bytes are read */
    expect_not_amount("400.00", 4);                 /* "400." */
    {
        long long  fen;

        assert_int_equal(ch_alipay_amount_parse("400.00x", 6, &fen), 0);
        assert_int_equal(fen, 40000);
    }
}


static void
timestamps_in_beijing_time(void **state)
{
    char  ts[CH_ALIPAY_TIMESTAMP_SIZE];

    (void) state;

    ch_alipay_timestamp(0, ts);
    assert_string_equal(ts, "1970-01-01 08:00:00");

    ch_alipay_timestamp(1796614200, ts);            /* 03:30 UTC */
    assert_string_equal(ts, "2026-12-07 11:30:00");

    ch_alipay_timestamp(1798732800, ts);            /* new year's eve 16:00 UTC */
    assert_string_equal(ts, "2027-01-01 00:00:00");
}


static void
expect_biz(const char *subject, const char *want_subject)
{
    char    out[1024], want[1024];
    size_t  n;

    snprintf(want, sizeof(want),
             "{\"out_trade_no\":\"UO202612071030150001_1\","
             "\"product_code\":\"FAST_INSTANT_TRADE_PAY\","
             "\"total_amount\":\"400.00\",\"subject\":\"%s\","
             "\"timeout_express\":\"30m\"}", want_subject);

    n = ch_alipay_biz_content(NULL, 0, "FAST_INSTANT_TRADE_PAY",
                              "UO202612071030150001_1", 40000, subject,
                              "30m", NULL);
    assert_int_equal(n, strlen(want));

    assert_int_equal(ch_alipay_biz_content(out, sizeof(out),
                                           "FAST_INSTANT_TRADE_PAY",
                                           "UO202612071030150001_1", 40000,
                                           subject, "30m", ""), n);
    assert_string_equal(out, want);
}


static void
biz_content_is_escaped_json_in_order(void **state)
{
    char    out[256];
    size_t  n;

    static const char  wap[] =
        "{\"out_trade_no\":\"UO1_2\",\"product_code\":\"QUICK_WAP_WAY\","
        "\"total_amount\":\"0.01\",\"subject\":\"s\","
        "\"quit_url\":\"https://hall/order.html?id=UO1\"}";

    (void) state;

    expect_biz("湘潭公共资源交易中心 数字证书新办",
               "湘潭公共资源交易中心 数字证书新办");
    expect_biz("a \"quoted\" \\ back", "a \\\"quoted\\\" \\\\ back");
    expect_biz("tab\there\nline\x01", "tab\\there\\nline\\u0001");
    expect_biz("</script>&", "\\u003c/script\\u003e\\u0026");

    /* wap: quit_url, no timeout_express */
    n = ch_alipay_biz_content(out, sizeof(out), "QUICK_WAP_WAY", "UO1_2", 1,
                              "s", NULL, "https://hall/order.html?id=UO1");
    assert_int_equal(n, strlen(wap));
    assert_string_equal(out, wap);

    /* too small: the length needed, nothing written past size */
    memset(out, 'x', sizeof(out));
    assert_int_equal(ch_alipay_biz_content(out, 20, "QUICK_WAP_WAY", "UO1_2",
                                           1, "s", NULL,
                                           "https://hall/order.html?id=UO1"),
                     strlen(wap));
    assert_int_equal(out[20], 'x');
    assert_int_equal(ch_alipay_biz_content(out, strlen(wap), "QUICK_WAP_WAY",
                                           "UO1_2", 1, "s", NULL,
                                           "https://hall/order.html?id=UO1"),
                     strlen(wap));
    assert_int_equal(out[strlen(wap)], 'x');

    assert_int_equal(ch_alipay_biz_content(out, sizeof(out), "P", "UO1_2", -1,
                                           "s", NULL, NULL), 0);

    /* refund: the order given, NULL left out */
    {
        const ch_alipay_param_t  m[] = {
            { "out_trade_no", "UO1_2" },
            { "refund_amount", "400.00" },
            { "out_request_no", "R7_1" },
            { "refund_reason", NULL },
        };

        n = ch_alipay_biz_json(out, sizeof(out), m, 4);
        assert_int_equal(n, strlen(out));
        assert_string_equal(out, "{\"out_trade_no\":\"UO1_2\","
                            "\"refund_amount\":\"400.00\","
                            "\"out_request_no\":\"R7_1\"}");
        assert_int_equal(ch_alipay_biz_json(out, sizeof(out), m, 0), 2);
        assert_string_equal(out, "{}");
    }
}


static void
request_signed_over_sorted_parameters(void **state)
{
    int                i, n;
    char               sig[CH_ALIPAY_SIGN_SIZE], str[1024], body[2048];
    size_t             len;
    ch_alipay_param_t  p[CH_ALIPAY_REQUEST_MAX];

    static const char  biz[] = "{\"out_trade_no\":\"UO1_1\",\"subject\":\"证书 新办\"}";
    static const char  want[] =
        "app_id=2021000&biz_content={\"out_trade_no\":\"UO1_1\","
        "\"subject\":\"证书 新办\"}&charset=utf-8&format=JSON"
        "&method=alipay.trade.page.pay&notify_url=http://h/api/alipay/notify"
        "&return_url=http://h/pay-return.html&sign_type=RSA2"
        "&timestamp=2026-12-07 11:30:00&version=1.0";
    static const char  *names[] = { "app_id", "biz_content", "charset",
        "format", "method", "notify_url", "return_url", "sign_type",
        "timestamp", "version", "sign" };

    ch_alipay_request_t  req = {
        "2021000", "alipay.trade.page.pay", "2026-12-07 11:30:00",
        "http://h/api/alipay/notify", "http://h/pay-return.html", biz
    };

    (void) state;

    n = ch_alipay_request_build(a_key, &req, p, sig, sizeof(sig));
    assert_int_equal(n, 11);

    for (i = 0; i < n; i++) {
        assert_string_equal(p[i].name, names[i]);
    }

    assert_ptr_equal(p[10].value, sig);

    /* the string Alipay's gateway builds to check: sign left out */
    len = ch_alipay_params_sign_string(p, n, (const char *const[]) { "sign", NULL },
                                       NULL);
    assert_int_equal(len, strlen(want));
    ch_alipay_params_sign_string(p, n, (const char *const[]) { "sign", NULL },
                                 str);
    str[len] = '\0';
    assert_string_equal(str, want);
    assert_int_equal(ch_alipay_verify(a_pubkey, (unsigned char *) want,
                                      strlen(want), sig, strlen(sig)), 1);

    /* without notify_url and return_url (a query): not sent, not signed */
    req.method = "alipay.trade.query";
    req.notify_url = NULL;
    req.return_url = "";
    n = ch_alipay_request_build(a_key, &req, p, sig, sizeof(sig));
    assert_int_equal(n, 9);
    assert_string_equal(p[5].name, "sign_type");

    len = ch_alipay_params_sign_string(p, n, (const char *const[]) { "sign", NULL },
                                       str);
    assert_int_equal(ch_alipay_verify(a_pubkey, (unsigned char *) str, len,
                                      sig, strlen(sig)), 1);

    /* the form body: every reserved byte escaped, "+" and "/" too */
    len = ch_alipay_form_encode(body, sizeof(body), p, n);
    assert_int_equal(len, strlen(body));
    assert_non_null(strstr(body, "&method=alipay.trade.query&"));
    assert_non_null(strstr(body, "timestamp=2026-12-07%2011%3A30%3A00"));
    assert_non_null(strstr(body, "%E8%AF%81%E4%B9%A6%20"));
    assert_null(strchr(body, '+'));
    assert_null(strchr(body, '/'));
    assert_int_equal(ch_alipay_form_encode(NULL, 0, p, n), len);

    /* required values */
    req.app_id = "";
    assert_int_equal(ch_alipay_request_build(a_key, &req, p, sig, sizeof(sig)),
                     -1);
    req.app_id = "2021000";
    req.biz_content = NULL;
    assert_int_equal(ch_alipay_request_build(a_key, &req, p, sig, sizeof(sig)),
                     -1);
    req.biz_content = biz;
    assert_int_equal(ch_alipay_request_build(a_pubkey, &req, p, sig,
                                             sizeof(sig)), -1);
}


/*
 * A notification as Alipay posts it: the fields of body (form-encoded,
 * without sign), signed over the string want (written out by hand: the
 * rules, not this code, decide it) with key, then checked.
 */
static ch_alipay_notify_error_e
notify(const char *body, const char *want, ch_alipay_key_t *key,
    const char *seller, ch_alipay_notify_t *out)
{
    char                      sig[CH_ALIPAY_SIGN_SIZE], full[4096], buf[8192];
    char                      str[4096];
    size_t                    n, len, err_at, i;
    ch_form_field_t           f[32];
    ch_alipay_notify_error_e  rc;

    static const char *const  unsigned_fields[] = { "sign", "sign_type", NULL };

    assert_int_equal(ch_alipay_sign(key, (const unsigned char *) want,
                                     strlen(want), sig, sizeof(sig)), 344);

    n = (size_t) snprintf(full, sizeof(full), "%s&sign=", body);
    for (i = 0; sig[i]; i++) {
        n += (size_t) snprintf(full + n, sizeof(full) - n,
                               sig[i] == '+' ? "%%2B"
                               : sig[i] == '/' ? "%%2F"
                               : sig[i] == '=' ? "%%3D" : "%c", sig[i]);
    }

    assert_int_equal(ch_form_parse((unsigned char *) full, n, f, 32, &n, buf,
                                   &err_at), CH_FORM_OK);

    rc = ch_alipay_notify_check(f, n, a_pubkey, "2021000", seller, out);

    /* past the signature, the string checked is the one written out */
    len = ch_sign_string(f, n, unsigned_fields, str);
    str[len] = '\0';
    if (rc != CH_ALIPAY_BAD_SIGNATURE) {
        assert_string_equal(str, want);
    }

    if (rc != CH_ALIPAY_OK) {
        return rc;
    }

    /* the values point into the parsed fields, NUL-terminated */
    assert_true(out->out_trade_no.data >= buf
                && out->out_trade_no.data < buf + sizeof(buf));
    assert_int_equal(out->out_trade_no.data[out->out_trade_no.len], '\0');

    return rc;
}


#define V "&version=1.0"

#define BASE \
    "notify_time=2026-12-07+11%3A31%3A02&notify_type=trade_status_sync" \
    "&notify_id=ac05&app_id=2021000&charset=utf-8&version=1.0" \
    "&sign_type=RSA2&trade_no=2026120722001400001" \
    "&out_trade_no=UO202612071030150001_1&buyer_id=2088102" \
    "&buyer_logon_id=a***%40x.com&seller_id=2088101" \
    "&subject=%E6%B9%98%E6%BD%AD+%E6%96%B0%E5%8A%9E%26more" \
    "&gmt_payment=2026-12-07+11%3A31%3A01&fund_bill_list=" \
    "&total_amount=400.00"

/* sorted, sign_type and the empty fund_bill_list dropped, values decoded */
#define BASE_STRING \
    "app_id=2021000&buyer_id=2088102&buyer_logon_id=a***@x.com" \
    "&charset=utf-8&gmt_payment=2026-12-07 11:31:01" \
    "&notify_id=ac05&notify_time=2026-12-07 11:31:02" \
    "&notify_type=trade_status_sync" \
    "&out_trade_no=UO202612071030150001_1&seller_id=2088101" \
    "&subject=湘潭 新办&more&total_amount=400.00" \
    "&trade_no=2026120722001400001"

static void
notification_checked_and_read(void **state)
{
    ch_alipay_notify_t  n;

    (void) state;

    assert_int_equal(notify(BASE "&trade_status=TRADE_SUCCESS",
                            BASE_STRING "&trade_status=TRADE_SUCCESS" V,
                            a_key, "2088101", &n), CH_ALIPAY_OK);

    assert_string_equal(n.out_trade_no.data, "UO202612071030150001_1");
    assert_int_equal(n.out_trade_no.len, 22);
    assert_string_equal(n.trade_no.data, "2026120722001400001");
    assert_string_equal(n.trade_status.data, "TRADE_SUCCESS");
    assert_string_equal(n.app_id.data, "2021000");
    assert_string_equal(n.seller_id.data, "2088101");
    assert_string_equal(n.buyer_id.data, "2088102");
    assert_string_equal(n.buyer_logon_id.data, "a***@x.com");
    assert_string_equal(n.gmt_payment.data, "2026-12-07 11:31:01");
    assert_string_equal(n.total_amount.data, "400.00");
    assert_int_equal(n.amount_fen, 40000);
    assert_null(n.field);
    assert_true(ch_alipay_trade_paid(&n.trade_status));

    /* sign_type may be absent; every status of the four */
    assert_int_equal(notify("app_id=2021000&out_trade_no=UO1_1&trade_no=1"
                            "&trade_status=WAIT_BUYER_PAY&total_amount=0.01",
                            "app_id=2021000&out_trade_no=UO1_1&total_amount=0.01"
                            "&trade_no=1&trade_status=WAIT_BUYER_PAY",
                            a_key, NULL, &n), CH_ALIPAY_OK);
    assert_false(ch_alipay_trade_paid(&n.trade_status));
    assert_int_equal(n.amount_fen, 1);
    assert_string_equal(n.gmt_payment.data, "");
    assert_int_equal(n.gmt_payment.len, 0);

    assert_int_equal(notify(BASE "&trade_status=TRADE_FINISHED",
                            BASE_STRING "&trade_status=TRADE_FINISHED" V,
                            a_key, "2088101", &n), CH_ALIPAY_OK);
    assert_true(ch_alipay_trade_paid(&n.trade_status));

    assert_int_equal(notify(BASE "&trade_status=TRADE_CLOSED",
                            BASE_STRING "&trade_status=TRADE_CLOSED" V,
                            a_key, "2088101", &n), CH_ALIPAY_OK);
    assert_false(ch_alipay_trade_paid(&n.trade_status));
}


/* each error of ch_alipay_notify_check(), and the field it names */
static void
expect_error(const char *body, const char *want, ch_alipay_key_t *key,
    ch_alipay_notify_error_e err, const char *field)
{
    ch_alipay_notify_t  n;

    assert_int_equal(notify(body, want, key, "2088101", &n), err);
    if (field == NULL) {
        assert_null(n.field);
    } else {
        assert_non_null(n.field);
        assert_string_equal(n.field, field);
    }
}


static ch_alipay_notify_error_e
check_body(const char *body)
{
    char                buf[4096];
    size_t              n, err_at;
    ch_form_field_t     f[32];
    ch_alipay_notify_t  out;

    assert_int_equal(ch_form_parse((unsigned char *) body, strlen(body), f, 32,
                                   &n, buf, &err_at), CH_FORM_OK);

    return ch_alipay_notify_check(f, n, a_pubkey, "2021000", "2088101", &out);
}


#define TS "&trade_status=TRADE_SUCCESS"

static void
notification_refusals(void **state)
{
    (void) state;

    /* unsigned */
    assert_int_equal(check_body(BASE TS), CH_ALIPAY_NO_SIGN);
    assert_int_equal(check_body(BASE TS "&sign="), CH_ALIPAY_NO_SIGN);
    assert_int_equal(check_body(""), CH_ALIPAY_NO_SIGN);

    /* another algorithm */
    assert_int_equal(check_body("sign_type=RSA&sign=AAAA"),
                     CH_ALIPAY_BAD_SIGN_TYPE);
    assert_int_equal(check_body("sign_type=rsa2&sign=AAAA"),
                     CH_ALIPAY_BAD_SIGN_TYPE);

    /* forged: another key; altered after signing; garbage */
    expect_error(BASE TS, BASE_STRING TS V, b_key, CH_ALIPAY_BAD_SIGNATURE,
                 "sign");
    expect_error(BASE TS, BASE_STRING "&trade_status=WAIT_BUYER_PAY" V, a_key,
                 CH_ALIPAY_BAD_SIGNATURE, "sign");
    expect_error(BASE TS "&extra=1", BASE_STRING TS V, a_key,
                 CH_ALIPAY_BAD_SIGNATURE, "sign");
    assert_int_equal(check_body(BASE TS "&sign=%2F%2F%2F%2F"),
                     CH_ALIPAY_BAD_SIGNATURE);
    assert_int_equal(check_body(BASE TS "&sign=not+base64"),
                     CH_ALIPAY_BAD_SIGNATURE);

    /* signed, but not ours or not complete */
    expect_error("app_id=2021999&out_trade_no=UO1_1&trade_no=1" TS
                 "&total_amount=1", "app_id=2021999&out_trade_no=UO1_1"
                 "&total_amount=1&trade_no=1" TS, a_key,
                 CH_ALIPAY_WRONG_APP, "app_id");
    expect_error("out_trade_no=UO1_1&trade_no=1" TS "&total_amount=1",
                 "out_trade_no=UO1_1&total_amount=1&trade_no=1" TS, a_key,
                 CH_ALIPAY_WRONG_APP, "app_id");
    expect_error("app_id=20210001&out_trade_no=UO1_1&trade_no=1" TS
                 "&total_amount=1", "app_id=20210001&out_trade_no=UO1_1"
                 "&total_amount=1&trade_no=1" TS, a_key,
                 CH_ALIPAY_WRONG_APP, "app_id");

    expect_error("app_id=2021000&seller_id=2088999&out_trade_no=UO1_1"
                 "&trade_no=1" TS "&total_amount=1",
                 "app_id=2021000&out_trade_no=UO1_1&seller_id=2088999"
                 "&total_amount=1&trade_no=1" TS, a_key,
                 CH_ALIPAY_WRONG_SELLER, "seller_id");
    expect_error("app_id=2021000&out_trade_no=UO1_1&trade_no=1" TS
                 "&total_amount=1", "app_id=2021000&out_trade_no=UO1_1"
                 "&total_amount=1&trade_no=1" TS, a_key,
                 CH_ALIPAY_WRONG_SELLER, "seller_id");

#define OURS "app_id=2021000&seller_id=2088101"

    expect_error(OURS "&trade_no=1" TS "&total_amount=1",
                 OURS "&total_amount=1&trade_no=1" TS, a_key,
                 CH_ALIPAY_MISSING_FIELD, "out_trade_no");
    expect_error(OURS "&out_trade_no=UO1_1" TS "&total_amount=1",
                 "app_id=2021000&out_trade_no=UO1_1&seller_id=2088101"
                 "&total_amount=1" TS, a_key,
                 CH_ALIPAY_MISSING_FIELD, "trade_no");
    expect_error(OURS "&out_trade_no=UO1_1&trade_no=1&trade_status="
                 "&total_amount=1", "app_id=2021000&out_trade_no=UO1_1"
                 "&seller_id=2088101&total_amount=1&trade_no=1", a_key,
                 CH_ALIPAY_MISSING_FIELD, "trade_status");
    expect_error(OURS "&out_trade_no=UO1_1&trade_no=1" TS,
                 "app_id=2021000&out_trade_no=UO1_1&seller_id=2088101"
                 "&trade_no=1" TS, a_key,
                 CH_ALIPAY_MISSING_FIELD, "total_amount");

    expect_error(OURS "&out_trade_no=UO1-1&trade_no=1" TS "&total_amount=1",
                 "app_id=2021000&out_trade_no=UO1-1&seller_id=2088101"
                 "&total_amount=1&trade_no=1" TS, a_key,
                 CH_ALIPAY_BAD_TRADE_NO, "out_trade_no");
    expect_error(OURS "&out_trade_no=UO1_1&trade_no=1%27" TS "&total_amount=1",
                 "app_id=2021000&out_trade_no=UO1_1&seller_id=2088101"
                 "&total_amount=1&trade_no=1'" TS, a_key,
                 CH_ALIPAY_BAD_TRADE_NO, "trade_no");
    expect_error(OURS "&out_trade_no="
                 "U2345678901234567890123456789012345678901234567890123456789012345"
                 "&trade_no=1" TS "&total_amount=1",
                 "app_id=2021000&out_trade_no="
                 "U2345678901234567890123456789012345678901234567890123456789012345"
                 "&seller_id=2088101&total_amount=1&trade_no=1" TS, a_key,
                 CH_ALIPAY_BAD_TRADE_NO, "out_trade_no");

    expect_error(OURS "&out_trade_no=UO1_1&trade_no=1"
                 "&trade_status=TRADE_PENDING&total_amount=1",
                 "app_id=2021000&out_trade_no=UO1_1&seller_id=2088101"
                 "&total_amount=1&trade_no=1&trade_status=TRADE_PENDING",
                 a_key, CH_ALIPAY_BAD_STATUS, "trade_status");
    expect_error(OURS "&out_trade_no=UO1_1&trade_no=1"
                 "&trade_status=trade_success&total_amount=1",
                 "app_id=2021000&out_trade_no=UO1_1&seller_id=2088101"
                 "&total_amount=1&trade_no=1&trade_status=trade_success",
                 a_key, CH_ALIPAY_BAD_STATUS, "trade_status");

    expect_error(OURS "&out_trade_no=UO1_1&trade_no=1" TS
                 "&total_amount=400.001",
                 "app_id=2021000&out_trade_no=UO1_1&seller_id=2088101"
                 "&total_amount=400.001&trade_no=1" TS, a_key,
                 CH_ALIPAY_BAD_AMOUNT, "total_amount");
    expect_error(OURS "&out_trade_no=UO1_1&trade_no=1" TS
                 "&total_amount=-400.00",
                 "app_id=2021000&out_trade_no=UO1_1&seller_id=2088101"
                 "&total_amount=-400.00&trade_no=1" TS, a_key,
                 CH_ALIPAY_BAD_AMOUNT, "total_amount");

#undef OURS
}


static void
error_words(void **state)
{
    (void) state;

    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_OK), "ok");
    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_NO_SIGN),
                        "no sign");
    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_BAD_SIGN_TYPE),
                        "sign_type not RSA2");
    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_BAD_SIGNATURE),
                        "bad signature");
    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_WRONG_APP),
                        "wrong app_id");
    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_WRONG_SELLER),
                        "wrong seller_id");
    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_MISSING_FIELD),
                        "missing field");
    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_BAD_TRADE_NO),
                        "malformed trade number");
    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_BAD_AMOUNT),
                        "bad total_amount");
    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_BAD_STATUS),
                        "unknown trade_status");
    assert_string_equal(ch_alipay_notify_error_text(CH_ALIPAY_NO_MEMORY),
                        "out of memory");
    assert_string_equal(ch_alipay_notify_error_text(
                            (ch_alipay_notify_error_e) 99), "unknown error");
}


/* the body under test at the very end of a buffer: ASan sees overreads */
static unsigned char  area[4096];

static int
extract(const char *body, const unsigned char **resp, size_t *len,
    char *sign, size_t sign_size)
{
    size_t  n;

    n = strlen(body);
    assert_true(n <= sizeof(area));
    memcpy(area + sizeof(area) - n, body, n);

    return ch_alipay_response_extract(area + sizeof(area) - n, n,
                                      "alipay.trade.query", resp, len, sign,
                                      sign_size);
}


static void
expect_response(const char *body, const char *want_resp, const char *want_sign)
{
    char                  sign[CH_ALIPAY_SIGN_SIZE];
    size_t                len;
    const unsigned char  *resp;

    assert_int_equal(extract(body, &resp, &len, sign, sizeof(sign)), 0);
    assert_int_equal(len, strlen(want_resp));
    assert_memory_equal(resp, want_resp, len);
    assert_string_equal(sign, want_sign);
}


static void
answers_give_the_exact_signed_bytes(void **state)
{
    int                   n;
    char                  sign[CH_ALIPAY_SIGN_SIZE], body[2048];
    size_t                len;
    const unsigned char  *resp;

    static const char  value[] =
        "{\"code\":\"10000\",\"msg\":\"Success\", \"buyer_logon_id\":\"a***@x.com\","
        "\"trade_status\":\"TRADE_SUCCESS\",\"total_amount\":\"400.00\","
        "\"subject\":\"{\\\"}\\\\ 新办 \\u4e2d\",\"fund_bill_list\":"
        "[{\"amount\":\"400.00\",\"fund_channel\":\"ALIPAYACCOUNT\"}],"
        "\"nested\":{\"a\":{\"b\":\"}\"}}}";

    (void) state;

    expect_response("{\"alipay_trade_query_response\":{\"code\":\"10000\"},"
                    "\"sign\":\"abc=\"}", "{\"code\":\"10000\"}", "abc=");

    /* sign first, blanks around and inside kept as they stand */
    expect_response(" {\"sign\" : \"ab/+=\",\n \"alipay_trade_query_response\""
                    " :  { \"code\" : \"10000\" , \"x\":[1, {}]}\n} \n",
                    "{ \"code\" : \"10000\" , \"x\":[1, {}]}", "ab/+=");

    /* nested braces and strings holding braces and quotes */
    snprintf(body, sizeof(body),
             "{\"alipay_trade_query_response\":%s,\"sign\":\"x\"}", value);
    expect_response(body, value, "x");

    /* a signature whose "/" is escaped */
    expect_response("{\"alipay_trade_query_response\":{},"
                    "\"sign\":\"a\\/b=\"}", "{}", "a/b=");

    /* Alipay's answer to a call it could not route */
    expect_response("{\"error_response\":{\"code\":\"40002\"},\"sign\":\"s\"}",
                    "{\"code\":\"40002\"}", "s");
    expect_response("{\"error_response\":{\"code\":\"40002\"},"
                    "\"alipay_trade_query_response\":{\"code\":\"10000\"},"
                    "\"sign\":\"s\"}", "{\"code\":\"10000\"}", "s");

    /* no sign: not to be trusted, but the answer is there for the log */
    resp = NULL;
    assert_int_equal(extract("{\"alipay_trade_query_response\":{\"code\":"
                             "\"20000\"}}", &resp, &len, sign, sizeof(sign)),
                     -2);
    assert_non_null(resp);
    assert_int_equal(len, 16);
    assert_int_equal(extract("{\"alipay_trade_query_response\":{},\"sign\":1}",
                             &resp, &len, sign, sizeof(sign)), -2);
    assert_int_equal(extract("{\"alipay_trade_query_response\":{},\"sign\":\"\"}",
                             &resp, &len, sign, sizeof(sign)), -2);
    assert_int_equal(extract("{\"alipay_trade_query_response\":{},"
                             "\"sign\":\"abcd\"}", &resp, &len, sign, 4), -2);
    assert_int_equal(extract("{\"alipay_trade_query_response\":{},"
                             "\"sign\":\"abcd\"}", &resp, &len, sign, 5), 0);

    /* malformed, absent, not an object, twice */
    assert_int_equal(extract("", &resp, &len, sign, sizeof(sign)), -1);
    assert_int_equal(extract("{\"sign\":\"s\"}", &resp, &len, sign,
                             sizeof(sign)), -1);
    assert_int_equal(extract("{\"alipay_trade_close_response\":{},"
                             "\"sign\":\"s\"}", &resp, &len, sign,
                             sizeof(sign)), -1);
    assert_int_equal(extract("{\"alipay_trade_query_response\":\"{}\","
                             "\"sign\":\"s\"}", &resp, &len, sign,
                             sizeof(sign)), -1);
    assert_int_equal(extract("{\"alipay_trade_query_response\":{},"
                             "\"alipay_trade_query_response\":{\"a\":1},"
                             "\"sign\":\"s\"}", &resp, &len, sign,
                             sizeof(sign)), -1);
    assert_int_equal(extract("{\"alipay_trade_query_response\":{},"
                             "\"sign\":\"s\",\"sign\":\"t\"}", &resp, &len,
                             sign, sizeof(sign)), -1);
    assert_int_equal(extract("{\"alipay_trade_query_response\":{\"a\":}",
                             &resp, &len, sign, sizeof(sign)), -1);
    assert_int_equal(extract("{\"alipay_trade_query_response\":{}} x",
                             &resp, &len, sign, sizeof(sign)), -1);
    assert_int_equal(extract("[{\"alipay_trade_query_response\":{}}]",
                             &resp, &len, sign, sizeof(sign)), -1);

    /* end to end: sign the value's bytes, find them again, verify */
    n = ch_alipay_sign(a_key, (const unsigned char *) value, strlen(value),
                       sign, sizeof(sign));
    assert_int_equal(n, 344);
    snprintf(body, sizeof(body),
             "{\"alipay_trade_query_response\":%s,\"sign\":\"%s\"}",
             value, sign);
    assert_int_equal(extract(body, &resp, &len, sign, sizeof(sign)), 0);
    assert_int_equal(ch_alipay_verify(a_pubkey, resp, len, sign,
                                      strlen(sign)), 1);
    /* one byte more or less of the value does not verify */
    assert_int_equal(ch_alipay_verify(a_pubkey, resp, len - 1, sign,
                                      strlen(sign)), 0);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_rsa_2048_pem_only),
        cmocka_unit_test(sign_verify_round_trip),
        cmocka_unit_test(signature_matches_openssl_command_line),
        cmocka_unit_test(verify_refuses_what_was_not_signed),
        cmocka_unit_test(one_key_shared_by_threads),
        cmocka_unit_test(amounts_in_yuan_with_two_decimals),
        cmocka_unit_test(timestamps_in_beijing_time),
        cmocka_unit_test(biz_content_is_escaped_json_in_order),
        cmocka_unit_test(request_signed_over_sorted_parameters),
        cmocka_unit_test(notification_checked_and_read),
        cmocka_unit_test(notification_refusals),
        cmocka_unit_test(error_words),
        cmocka_unit_test(answers_give_the_exact_signed_bytes),
    };

    cmocka_set_message_output(CM_OUTPUT_TAP);

    return cmocka_run_group_tests(tests, setup, teardown);
}
