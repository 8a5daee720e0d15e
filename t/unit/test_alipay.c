/*
 * lib/ch_alipay.c, ch_alipay_request.c: RSA2 keys, signatures against
 * OpenSSL's command line, one key from several threads, amounts,
 * timestamps, biz_content, requests.  Notifications and answers:
 * test_alipay_notify.c.
 */

#include "alipay_keys.h"


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
    expect_refused("-----BEGIN PUBLIC KEY-----\nAAAA\n"
                   "-----END PUBLIC KEY-----\n", 0, "no PEM public key");

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

    ch_alipay_timestamp(1798732800, ts);    /* new year's eve 16:00 UTC */
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
    };

    cmocka_set_message_output(CM_OUTPUT_TAP);

    return cmocka_run_group_tests(tests, setup, teardown);
}
