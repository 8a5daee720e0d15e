/*
 * libFuzzer target: Alipay's notifications as nginx hands them over (a
 * form body, ch_form_parse()), checked with a key made at start-up.  The
 * first byte picks what runs on the rest:
 *
 *   even: ch_alipay_notify_check() with the key, which must never accept:
 *         no input can carry a signature of a key made at run time, so
 *         CH_ALIPAY_OK would be a forgery;
 *   odd:  ch_alipay_notify_read(), the checks after the signature's, so
 *         that they are fuzzed too (no input gets past a real signature).
 *
 * And, for either, that an accepted notification's values point into the
 * parsed fields with their lengths, NUL-terminated; that its trade
 * numbers are [A-Za-z0-9_]{1,64}, its status one of the four, its amount
 * what total_amount says (written back as yuan, read back the same); that
 * a refusal has words for the log.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ch_alipay.h"
#include "ch_form.h"


#define FIELDS  32

static ch_alipay_key_t  *key;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    BIO       *bio;
    char      *pem, err[128];
    long       len;
    EVP_PKEY  *pkey;

    (void) argc;
    (void) argv;

    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    bio = BIO_new(BIO_s_mem());

    if (pkey == NULL || bio == NULL || PEM_write_bio_PUBKEY(bio, pkey) != 1) {
        abort();
    }

    len = BIO_get_mem_data(bio, &pem);
    key = ch_alipay_public_key_load(pem, (size_t) len, err, sizeof(err));
    if (key == NULL) {
        abort();
    }

    BIO_free(bio);
    EVP_PKEY_free(pkey);

    return 0;
}


static void
check_str(const ch_alipay_str_t *s, const char *buf, size_t size)
{
    if (s->data == NULL || s->data[s->len] != '\0'
        || strlen(s->data) != s->len)
    {
        abort();
    }

    /* "" for an absent field is a literal; a present one is in buf */
    if (s->len && (s->data < buf || s->data + s->len >= buf + size)) {
        abort();
    }
}


static void
check_trade_no(const ch_alipay_str_t *s)
{
    size_t  i;
    char    c;

    if (s->len == 0 || s->len > CH_ALIPAY_TRADE_NO_MAX) {
        abort();
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '_'))
        {
            abort();
        }
    }
}


static int
is(const ch_alipay_str_t *s, const char *v)
{
    return s->len == strlen(v) && memcmp(s->data, v, s->len) == 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                       read_only;
    char                     *buf, amount[24];
    size_t                    n, err_at, bufsize;
    long long                 fen;
    ch_form_field_t           fields[FIELDS];
    ch_alipay_notify_t        out;
    ch_alipay_notify_error_e  rc;

    if (size == 0) {
        return 0;
    }

    read_only = data[0] & 1;
    data++;
    size--;

    bufsize = size * 2 + 2;
    buf = malloc(bufsize);
    if (buf == NULL) {
        return 0;
    }

    if (ch_form_parse(data, size, fields, FIELDS, &n, buf, &err_at)
        != CH_FORM_OK)
    {
        free(buf);
        return 0;
    }

    rc = read_only
         ? ch_alipay_notify_read(fields, n, "2021000", "2088101", &out)
         : ch_alipay_notify_check(fields, n, key, "2021000", "2088101", &out);

    if (ch_alipay_notify_error_text(rc) == NULL) {
        abort();
    }

    if (rc != CH_ALIPAY_OK) {
        free(buf);
        return 0;
    }

    if (!read_only) {
        abort();        /* a forged signature accepted */
    }

    check_str(&out.out_trade_no, buf, bufsize);
    check_str(&out.trade_no, buf, bufsize);
    check_str(&out.trade_status, buf, bufsize);
    check_str(&out.app_id, buf, bufsize);
    check_str(&out.seller_id, buf, bufsize);
    check_str(&out.buyer_id, buf, bufsize);
    check_str(&out.buyer_logon_id, buf, bufsize);
    check_str(&out.gmt_payment, buf, bufsize);
    check_str(&out.total_amount, buf, bufsize);

    check_trade_no(&out.out_trade_no);
    check_trade_no(&out.trade_no);

    if (!is(&out.app_id, "2021000") || !is(&out.seller_id, "2088101")) {
        abort();
    }

    if (!is(&out.trade_status, "TRADE_SUCCESS")
        && !is(&out.trade_status, "TRADE_FINISHED")
        && !is(&out.trade_status, "WAIT_BUYER_PAY")
        && !is(&out.trade_status, "TRADE_CLOSED"))
    {
        abort();
    }

    if (ch_alipay_trade_paid(&out.trade_status)
        != (is(&out.trade_status, "TRADE_SUCCESS")
            || is(&out.trade_status, "TRADE_FINISHED")))
    {
        abort();
    }

    if (out.amount_fen < 0
        || ch_alipay_amount(out.amount_fen, amount, sizeof(amount)) < 0
        || ch_alipay_amount_parse(amount, strlen(amount), &fen) != 0
        || fen != out.amount_fen
        || ch_alipay_amount_parse(out.total_amount.data, out.total_amount.len,
                                  &fen) != 0
        || fen != out.amount_fen)
    {
        abort();
    }

    free(buf);

    return 0;
}
