/*
 * Alipay's open platform with RSA2 signatures (../shared/reference/
 * alipay.md): keys, SHA256withRSA signing and verification, amounts in
 * yuan on the wire, the requests the hall signs (page and phone payment,
 * query, close, refund), the asynchronous notifications it verifies, and
 * the answers of server-to-server calls.
 *
 * Threads: a ch_alipay_key_t is read-only once loaded, and every call
 * makes its own EVP_MD_CTX / EVP_PKEY_CTX, so one key may be used by
 * several threads at once (OpenSSL 3 allows concurrent read-only use of an
 * EVP_PKEY): the module loads its keys at configuration time and signs
 * from its thread pool.  Nothing here keeps state between calls.
 *
 * Money is integer fen everywhere but on the wire, where Alipay wants yuan
 * with two decimals; no floating point on the way.
 *
 * Pure C (no nginx headers): used by the module and the back office,
 * unit-tested (t/unit/test_alipay.c) and fuzzed (t/fuzz/fuzz_alipay_*.c).
 */

#ifndef CH_ALIPAY_H
#define CH_ALIPAY_H

#include <stddef.h>
#include <time.h>

#include "ch_form.h"

/* RSA keys from 2048 to 8192 bits; the signature is as long as the key */
#define CH_ALIPAY_KEY_MIN_BITS   2048
#define CH_ALIPAY_KEY_MAX_BITS   8192
/* base64 of the longest signature, and its NUL */
#define CH_ALIPAY_SIGN_SIZE  (((CH_ALIPAY_KEY_MAX_BITS / 8 + 2) / 3) * 4 + 1)

/* "yyyy-MM-dd HH:mm:ss" and its NUL */
#define CH_ALIPAY_TIMESTAMP_SIZE 20

/* the common parameters of a request, biz_content and sign */
#define CH_ALIPAY_REQUEST_MAX    11

/* what out_trade_no and trade_no may be: letters, digits, "_", 1 to 64 */
#define CH_ALIPAY_TRADE_NO_MAX   64


typedef struct ch_alipay_key_s  ch_alipay_key_t;

typedef struct {
    const char  *name;
    const char  *value;         /* NUL-terminated; NULL or "" is not sent */
} ch_alipay_param_t;

/* a value of a notification: points into the form fields, NUL-terminated */
typedef struct {
    const char  *data;          /* "" when the field is absent */
    size_t       len;
} ch_alipay_str_t;

typedef struct {
    ch_alipay_str_t  out_trade_no;
    ch_alipay_str_t  trade_no;
    ch_alipay_str_t  trade_status;
    ch_alipay_str_t  app_id;
    ch_alipay_str_t  seller_id;
    ch_alipay_str_t  buyer_id;
    ch_alipay_str_t  buyer_logon_id;
    ch_alipay_str_t  gmt_payment;   /* Beijing time, as sent; may be "" */
    ch_alipay_str_t  total_amount;  /* as sent: "400.00" */
    long long        amount_fen;    /* total_amount read: 40000 */
    const char      *field;         /* the field at fault (for the log), or
                                       NULL */
} ch_alipay_notify_t;

typedef enum {
    CH_ALIPAY_OK = 0,
    CH_ALIPAY_NO_SIGN,          /* sign absent or empty */
    CH_ALIPAY_BAD_SIGN_TYPE,    /* sign_type present and not RSA2 */
    CH_ALIPAY_BAD_SIGNATURE,    /* not signed by Alipay's key, or altered */
    CH_ALIPAY_WRONG_APP,        /* app_id absent or not ours */
    CH_ALIPAY_WRONG_SELLER,     /* seller_id absent or not ours */
    CH_ALIPAY_MISSING_FIELD,    /* out_trade_no, trade_no, trade_status or
                                   total_amount absent (see field) */
    CH_ALIPAY_BAD_TRADE_NO,     /* out_trade_no or trade_no not letters,
                                   digits and "_", 1 to 64 (see field) */
    CH_ALIPAY_BAD_AMOUNT,       /* total_amount not yuan with 2 decimals
                                   at most */
    CH_ALIPAY_BAD_STATUS,       /* trade_status none of the four known */
    CH_ALIPAY_NO_MEMORY
} ch_alipay_notify_error_e;

/* what the module and admin pass to ch_alipay_request_build() */
typedef struct {
    const char  *app_id;
    const char  *method;        /* "alipay.trade.page.pay" ... */
    const char  *timestamp;     /* Beijing time, ch_alipay_timestamp() */
    const char  *notify_url;    /* NULL or "": not sent */
    const char  *return_url;    /* NULL or "": not sent */
    const char  *biz_content;   /* JSON, ch_alipay_biz_content() */
} ch_alipay_request_t;


/*
 * Keys: RSA only, CH_ALIPAY_KEY_MIN_BITS to CH_ALIPAY_KEY_MAX_BITS.  The
 * merchant's private key as PEM, PKCS#8 ("BEGIN PRIVATE KEY") or PKCS#1
 * ("BEGIN RSA PRIVATE KEY"), unencrypted; Alipay's public key as
 * SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY", what Alipay hands out;
 * PKCS#1 "BEGIN RSA PUBLIC KEY" is the same key and taken too).  pem need
 * not be NUL-terminated.  NULL on failure, with a sentence fit for nginx
 * -t in err (err_size bytes; NULL with 0 for none): "not an RSA key: ...",
 * "a 1024-bit key: RSA2 takes 2048 to 8192 bits", "no unencrypted PEM
 * private key (PKCS#8 or PKCS#1)" ...  An encrypted key is refused, never
 * prompted for.
 */
ch_alipay_key_t *ch_alipay_private_key_load(const char *pem, size_t len,
    char *err, size_t err_size);
ch_alipay_key_t *ch_alipay_public_key_load(const char *pem, size_t len,
    char *err, size_t err_size);
void ch_alipay_key_free(ch_alipay_key_t *key);
int ch_alipay_key_bits(const ch_alipay_key_t *key);

/*
 * SHA256withRSA (PKCS#1 v1.5) of msg with a private key, base64 (standard
 * alphabet, padded) into out, NUL-terminated.  Returns its length, or -1
 * (not a private key, out too small: CH_ALIPAY_SIGN_SIZE is always enough,
 * or OpenSSL failed).  About a millisecond with 2048 bits: the module
 * calls it from its thread pool.
 */
int ch_alipay_sign(const ch_alipay_key_t *key, const unsigned char *msg,
    size_t len, char *out, size_t out_size);

/*
 * Whether sign_b64 (sign_len bytes of standard padded base64) is a
 * SHA256withRSA signature of msg by key (public or private).  1 good, 0
 * bad: altered, another key, bad base64, wrong length.  Tens of
 * microseconds: fine in the event loop.
 */
int ch_alipay_verify(const ch_alipay_key_t *key, const unsigned char *msg,
    size_t len, const char *sign_b64, size_t sign_len);


/*
 * Amounts.  ch_alipay_amount() writes fen as yuan with exactly two decimals
 * ("400.00", "0.01") and a NUL; returns the length, or -1 when fen is
 * negative or out is too small (24 bytes always do).
 * ch_alipay_amount_parse() reads what Alipay sends: digits, and optionally
 * "." with one or two digits ("400.00", "0.01", "400", "400.5"); no sign,
 * commas, blanks, exponent or third decimal, at most CH_MONEY_MAX_FEN.
 * 0 with *fen set, or -1.
 */
int ch_alipay_amount(long long fen, char *out, size_t size);
int ch_alipay_amount_parse(const char *s, size_t len, long long *fen);

/* t as Beijing time (UTC+8, no summer time) "yyyy-MM-dd HH:mm:ss" */
void ch_alipay_timestamp(time_t t, char out[CH_ALIPAY_TIMESTAMP_SIZE]);


/*
 * biz_content: a JSON object of string members in the order given
 * (values JSON-escaped with ch_json_escape(); members whose value is NULL
 * are left out).  Writes at most size bytes and a NUL when it fits;
 * returns the length it needs (without the NUL), so a result >= size means
 * out was too small (out may be NULL with size 0 to size it).
 * For query {"out_trade_no"}, close, refund {"out_trade_no",
 * "refund_amount", "out_request_no", "refund_reason"}.
 */
size_t ch_alipay_biz_json(char *out, size_t size,
    const ch_alipay_param_t *members, size_t n);

/*
 * The payment's biz_content: {"out_trade_no", "product_code",
 * "total_amount" (yuan), "subject", "timeout_express" (when not NULL or
 * ""), "quit_url" (likewise)}, as ch_alipay_biz_json() (returns the length
 * needed; 0 when amount_fen is negative).  product_code is
 * FAST_INSTANT_TRADE_PAY for page.pay, QUICK_WAP_WAY for wap.pay.
 */
size_t ch_alipay_biz_content(char *out, size_t size,
    const char *product_code, const char *out_trade_no, long long amount_fen,
    const char *subject, const char *timeout_express, const char *quit_url);


/*
 * A request: fills params (CH_ALIPAY_REQUEST_MAX entries) with app_id,
 * biz_content, charset=utf-8, format=JSON, method, notify_url, return_url,
 * sign_type=RSA2, timestamp, version=1.0 -- sorted by name, without those
 * whose value is NULL or "" -- then signs their string to sign (every
 * parameter but sign, empties dropped, sorted, name=value joined with "&",
 * values not encoded; sign_type included) into sign (CH_ALIPAY_SIGN_SIZE
 * bytes) and adds {"sign", sign} last.  Returns the number of parameters,
 * or -1 (a required value missing: app_id, method, timestamp,
 * biz_content; signing failed; no memory).
 * The module sends them as the fields of a form the browser posts to the
 * gateway; the back office posts them itself (ch_alipay_form_encode()).
 */
int ch_alipay_request_build(const ch_alipay_key_t *key,
    const ch_alipay_request_t *req, ch_alipay_param_t *params,
    char *sign, size_t sign_size);

/*
 * The string to sign of params (sorted here, whatever their order; those
 * named in exclude, a NULL-terminated list or NULL, and those with a NULL
 * or empty value dropped) into out, no NUL; returns its length, and only
 * that when out is NULL.  Names must be distinct.
 */
size_t ch_alipay_params_sign_string(const ch_alipay_param_t *params,
    size_t n, const char *const *exclude, char *out);

/*
 * params as application/x-www-form-urlencoded (every byte but A-Z a-z 0-9
 * "-._~" as %XX, so "+" and "/" of a signature survive; NULL values left
 * out), like ch_alipay_biz_json(): returns the length needed.
 */
size_t ch_alipay_form_encode(char *out, size_t size,
    const ch_alipay_param_t *params, size_t n);


/*
 * A notification (POST to notify_url), parsed by ch_form_parse() (values
 * decoded): checks, in this order, sign present, sign_type RSA2 when
 * present, the signature (every field but sign and sign_type, empties
 * dropped, sorted) with Alipay's public key, app_id equal to app_id,
 * seller_id equal to seller_id (not checked when seller_id is NULL or ""),
 * out_trade_no, trade_no, trade_status and total_amount present,
 * out_trade_no and trade_no well formed, trade_status one of
 * TRADE_SUCCESS, TRADE_FINISHED, WAIT_BUYER_PAY, TRADE_CLOSED, and
 * total_amount an amount.  On CH_ALIPAY_OK out has the values (pointing
 * into fields) and amount_fen; on an error out->field may name the field
 * at fault.  Whether the trade is ours and the amount the attempt's is
 * the database's to say (api.alipay_notify).
 */
ch_alipay_notify_error_e ch_alipay_notify_check(const ch_form_field_t *fields,
    size_t n, const ch_alipay_key_t *alipay_public_key, const char *app_id,
    const char *seller_id, ch_alipay_notify_t *out);

/*
 * The checks of ch_alipay_notify_check() that come after the signature's,
 * alone: for the fuzz target and the tests, which cannot make Alipay's
 * signatures.  Never on its own for a notification off the network.
 */
ch_alipay_notify_error_e ch_alipay_notify_read(const ch_form_field_t *fields,
    size_t n, const char *app_id, const char *seller_id,
    ch_alipay_notify_t *out);

/* the error as log words: "bad signature", "wrong app_id" ... */
const char *ch_alipay_notify_error_text(ch_alipay_notify_error_e e);

/* whether trade_status means the buyer paid (TRADE_SUCCESS, _FINISHED) */
int ch_alipay_trade_paid(const ch_alipay_str_t *trade_status);


/*
 * An answer of a server-to-server call: body must be one valid JSON object
 * (lib/ch_json_read.h's rules); finds the member named after method
 * ("alipay.trade.query" -> "alipay_trade_query_response", or
 * "error_response" when that one is absent, as Alipay answers a call it
 * could not route) and the top-level "sign" string.  *resp and *resp_len
 * are the exact bytes of the member's value as they stand in body (the
 * object, braces included): what Alipay signed, for ch_alipay_verify().
 * sign gets the signature decoded from its JSON string, NUL-terminated.
 * Returns 0; -1 when body is malformed, the member is absent, not an
 * object or given twice, or method is too long; -2 when the member is
 * there but no usable sign (absent, not a string, longer than sign_size
 * - 1): such an answer cannot be trusted, but *resp is set for the log.
 */
int ch_alipay_response_extract(const unsigned char *body, size_t len,
    const char *method, const unsigned char **resp, size_t *resp_len,
    char *sign, size_t sign_size);

#endif /* CH_ALIPAY_H */
