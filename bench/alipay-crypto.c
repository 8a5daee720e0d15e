/*
 * make bench: what Alipay's RSA2 costs the hall, per call, with the code
 * the module and the back office run (lib/ch_alipay*.c).  Not a test: it
 * prints figures and passes or fails nothing.
 *
 *   sign     ch_alipay_sign() of a page.pay request's string to sign (the
 *            module does this in its thread pool for every 支付宝支付 click)
 *   request  ch_alipay_request_build(): the parameters, the string to
 *            sign and the signature
 *   verify   ch_alipay_verify() of a notification's signature (the module
 *            does this in its event loop for every notification)
 *   notify   ch_alipay_notify_check() of a parsed notification: the string
 *            to sign, base64, the verification and the field checks
 *
 * with a 2048-bit key (Alipay's size) and, for scale, a 4096-bit one.  The
 * keys are made at start-up (EVP_PKEY_Q_keygen), never read from disk.
 * Each row: the lowest of ROUNDS rounds of N calls (interference only
 * ever adds time), wall and this thread's CPU, in µs per call, and the
 * calls one core makes in a second (from the CPU figure: on a shared
 * machine the wall figure holds other programs' time too).  The 4096-bit
 * rows make a tenth of the signatures and a quarter of the verifications.
 *
 * usage: build/bin/alipay-crypto [N_SIGN [N_VERIFY [ROUNDS]]]
 *        (defaults 1000, 20000, 3)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>

#include "ch_alipay.h"
#include "ch_form.h"
#include "ch_sign.h"


typedef struct {
    ch_alipay_key_t  *priv;
    ch_alipay_key_t  *pub;
} keys_t;

typedef int (*op_pt)(const keys_t *k, void *arg);

typedef struct {
    ch_form_field_t  fields[32];
    size_t           n;
    char             buf[4096];
} notification_t;


static const char  request_string[] =
    "app_id=2021000000000000&biz_content={\"out_trade_no\":"
    "\"UO202612071030150001_1\",\"product_code\":\"FAST_INSTANT_TRADE_PAY\","
    "\"total_amount\":\"400.00\",\"subject\":\"湘潭公共资源交易中心 "
    "数字证书新办\",\"timeout_express\":\"30m\"}&charset=utf-8&format=JSON"
    "&method=alipay.trade.page.pay"
    "&notify_url=https://hall.example.cn/api/alipay/notify"
    "&return_url=https://hall.example.cn/pay-return.html&sign_type=RSA2"
    "&timestamp=2026-12-07 11:30:00&version=1.0";

static char  request_sign[CH_ALIPAY_SIGN_SIZE];
static char  biz[512];


static double
now(clockid_t clock)
{
    struct timespec  ts;

    clock_gettime(clock, &ts);

    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}


static keys_t
make_keys(size_t bits)
{
    BIO       *bio;
    char      *pem, err[128];
    long       len;
    keys_t     k;
    EVP_PKEY  *pkey;

    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
    bio = BIO_new(BIO_s_mem());
    if (pkey == NULL || bio == NULL
        || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
    {
        fprintf(stderr, "alipay-crypto: cannot make a %zu-bit key\n", bits);
        exit(1);
    }

    len = BIO_get_mem_data(bio, &pem);
    k.priv = ch_alipay_private_key_load(pem, (size_t) len, err, sizeof(err));
    BIO_free(bio);

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || PEM_write_bio_PUBKEY(bio, pkey) != 1) {
        exit(1);
    }

    len = BIO_get_mem_data(bio, &pem);
    k.pub = ch_alipay_public_key_load(pem, (size_t) len, err, sizeof(err));
    BIO_free(bio);
    EVP_PKEY_free(pkey);

    if (k.priv == NULL || k.pub == NULL) {
        fprintf(stderr, "alipay-crypto: %s\n", err);
        exit(1);
    }

    return k;
}


static int
op_sign(const keys_t *k, void *arg)
{
    char  sig[CH_ALIPAY_SIGN_SIZE];

    (void) arg;

    return ch_alipay_sign(k->priv, (const unsigned char *) request_string,
                          sizeof(request_string) - 1, sig, sizeof(sig)) > 0;
}


static int
op_request(const keys_t *k, void *arg)
{
    char                 sig[CH_ALIPAY_SIGN_SIZE];
    ch_alipay_param_t    p[CH_ALIPAY_REQUEST_MAX];
    ch_alipay_request_t  req = {
        "2021000000000000", "alipay.trade.page.pay", "2026-12-07 11:30:00",
        "https://hall.example.cn/api/alipay/notify",
        "https://hall.example.cn/pay-return.html", biz
    };

    (void) arg;

    return ch_alipay_request_build(k->priv, &req, p, sig, sizeof(sig)) == 11;
}


static int
op_verify(const keys_t *k, void *arg)
{
    (void) arg;

    return ch_alipay_verify(k->pub, (const unsigned char *) request_string,
                            sizeof(request_string) - 1, request_sign,
                            strlen(request_sign)) == 1;
}


static int
op_notify(const keys_t *k, void *arg)
{
    notification_t      *nt = arg;
    ch_alipay_notify_t   out;

    return ch_alipay_notify_check(nt->fields, nt->n, k->pub, "2021000000000000",
                                  "2088101000000000", &out) == CH_ALIPAY_OK;
}


/* a notification as Alipay posts it, signed with k, parsed as nginx does */
static void
make_notification(const keys_t *k, notification_t *nt)
{
    char    body[4096], str[2048], sig[CH_ALIPAY_SIGN_SIZE];
    size_t  len, err_at, i, n;

    static const char *const  unsigned_fields[] = { "sign", "sign_type", NULL };
    static const char  fields[] =
        "gmt_create=2026-12-07+11%3A30%3A40&charset=utf-8"
        "&seller_email=pay%40hall.example.cn"
        "&subject=%E6%B9%98%E6%BD%AD%E5%85%AC%E5%85%B1%E8%B5%84%E6%BA%90"
        "%E4%BA%A4%E6%98%93%E4%B8%AD%E5%BF%83+%E6%95%B0%E5%AD%97%E8%AF%81"
        "%E4%B9%A6%E6%96%B0%E5%8A%9E"
        "&buyer_id=2088102000000000&invoice_amount=400.00"
        "&notify_id=2026120700222113141000000000000000&fund_bill_list="
        "%5B%7B%22amount%22%3A%22400.00%22%2C%22fundChannel%22%3A"
        "%22ALIPAYACCOUNT%22%7D%5D&notify_type=trade_status_sync"
        "&trade_status=TRADE_SUCCESS&receipt_amount=400.00"
        "&buyer_pay_amount=400.00&app_id=2021000000000000&sign_type=RSA2"
        "&seller_id=2088101000000000&gmt_payment=2026-12-07+11%3A31%3A01"
        "&notify_time=2026-12-07+11%3A31%3A02&version=1.0"
        "&out_trade_no=UO202612071030150001_1&total_amount=400.00"
        "&trade_no=2026120722001400000000000000&auth_app_id=2021000000000000"
        "&buyer_logon_id=a***%40x.com&point_amount=0.00";

    if (ch_form_parse((const unsigned char *) fields, sizeof(fields) - 1,
                      nt->fields, 32, &n, nt->buf, &err_at) != CH_FORM_OK)
    {
        exit(1);
    }

    len = ch_sign_string(nt->fields, n, unsigned_fields, str);
    if (ch_alipay_sign(k->priv, (unsigned char *) str, len, sig,
                       sizeof(sig)) < 0)
    {
        exit(1);
    }

    len = (size_t) snprintf(body, sizeof(body), "%s&sign=", fields);
    for (i = 0; sig[i]; i++) {
        len += (size_t) snprintf(body + len, sizeof(body) - len,
                                 sig[i] == '+' ? "%%2B"
                                 : sig[i] == '/' ? "%%2F"
                                 : sig[i] == '=' ? "%%3D" : "%c", sig[i]);
    }

    if (ch_form_parse((const unsigned char *) body, len, nt->fields, 32,
                      &nt->n, nt->buf, &err_at) != CH_FORM_OK)
    {
        exit(1);
    }
}


static void
measure(const char *name, int bits, const keys_t *k, op_pt op, void *arg,
    long n, int rounds)
{
    int     r;
    long    i;
    double  w, c, best_w, best_c;

    best_w = best_c = 1e300;

    for (r = 0; r < rounds; r++) {
        w = now(CLOCK_MONOTONIC);
        c = now(CLOCK_THREAD_CPUTIME_ID);

        for (i = 0; i < n; i++) {
            if (!op(k, arg)) {
                fprintf(stderr, "alipay-crypto: %s failed\n", name);
                exit(1);
            }
        }

        w = (now(CLOCK_MONOTONIC) - w) / n;
        c = (now(CLOCK_THREAD_CPUTIME_ID) - c) / n;

        if (w < best_w) {
            best_w = w;
        }

        if (c < best_c) {
            best_c = c;
        }
    }

    printf("%-8s %5d %8ld %10.1f %10.1f %14.0f\n", name, bits, n, best_w,
           best_c, 1e6 / best_c);
}


int
main(int argc, char **argv)
{
    int             i, rounds;
    long            n_sign, n_verify, ns, nv;
    keys_t          k;
    notification_t  nt;

    static const int  bits[] = { 2048, 4096 };

    n_sign = argc > 1 ? atol(argv[1]) : 1000;
    n_verify = argc > 2 ? atol(argv[2]) : 20000;
    rounds = argc > 3 ? atoi(argv[3]) : 3;

    if (n_sign < 1 || n_verify < 1 || rounds < 1) {
        fprintf(stderr,
                "usage: alipay-crypto [N_SIGN [N_VERIFY [ROUNDS]]]\n");
        return 2;
    }

    ch_alipay_biz_content(biz, sizeof(biz), "FAST_INSTANT_TRADE_PAY",
                          "UO202612071030150001_1", 40000,
                          "湘潭公共资源交易中心 数字证书新办", "30m", NULL);

    printf("Alipay RSA2 (SHA256withRSA, PKCS#1 v1.5), %s; one thread;\n"
           "lowest of %d rounds; µs per call\n\n", OpenSSL_version(OPENSSL_VERSION),
           rounds);
    printf("%-8s %5s %8s %10s %10s %14s\n", "what", "bits", "calls",
           "wall µs", "cpu µs", "calls/s/core");

    for (i = 0; i < 2; i++) {
        k = make_keys((size_t) bits[i]);

        if (ch_alipay_sign(k.priv, (const unsigned char *) request_string,
                           sizeof(request_string) - 1, request_sign,
                           sizeof(request_sign)) < 0)
        {
            return 1;
        }

        make_notification(&k, &nt);

        /* 4096 bits signs about 15 times slower: fewer calls */
        ns = i == 0 ? n_sign : (n_sign + 9) / 10;
        nv = i == 0 ? n_verify : (n_verify + 3) / 4;

        measure("sign", bits[i], &k, op_sign, NULL, ns, rounds);
        measure("request", bits[i], &k, op_request, NULL, ns, rounds);
        measure("verify", bits[i], &k, op_verify, NULL, nv, rounds);
        measure("notify", bits[i], &k, op_notify, &nt, nv, rounds);

        ch_alipay_key_free(k.priv);
        ch_alipay_key_free(k.pub);
    }

    return 0;
}
