/*
 * lib/ch_alipay_notify.c: notifications (the string to sign, every
 * refusal) and the answers of server-to-server calls (the exact bytes
 * Alipay signed).  Keys made at run time, as in test_alipay.c.
 */

#include "alipay_keys.h"
#include "ch_sign.h"


/*
 * A notification as Alipay posts it: the fields of body (form-encoded,
 * without sign), signed over the string want (written out by hand: the
 * rules, not this code, decide it) with key, then checked.
 */
static ch_alipay_notify_error_e
notify(const char *body, const char *want, ch_alipay_key_t *key,
    const char *seller, ch_alipay_notify_t *out)
{
    char                      sig[CH_ALIPAY_SIGN_SIZE], full[4096];
    char                      str[4096];
    size_t                    n, len, err_at, i;
    ch_form_field_t           f[32];
    ch_alipay_notify_error_e  rc;

    static const char *const  unsigned_fields[] = { "sign", "sign_type", NULL };

    /* out points into it: it must outlive this call */
    static char  buf[8192];

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
        cmocka_unit_test(notification_checked_and_read),
        cmocka_unit_test(notification_refusals),
        cmocka_unit_test(error_words),
        cmocka_unit_test(answers_give_the_exact_signed_bytes),
    };

    cmocka_set_message_output(CM_OUTPUT_TAP);

    return cmocka_run_group_tests(tests, setup, teardown);
}
