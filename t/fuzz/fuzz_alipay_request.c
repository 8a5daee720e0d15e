/*
 * libFuzzer target: what the hall writes to Alipay.  The input is split
 * at NUL bytes into product_code, out_trade_no, subject, timeout_express,
 * quit_url and an amount text.  Checks that
 *
 *   - ch_alipay_biz_content() sizes what it writes (a call with no room,
 *     one with exactly the room and one a byte short agree, and nothing is
 *     written past size), and writes one valid JSON object
 *     (ch_json_object_members()) whose members decode back to the inputs
 *     when those are UTF-8, in the documented order;
 *   - ch_alipay_params_sign_string() and ch_alipay_form_encode() size
 *     what they write, and the form body parses back (ch_form_parse()) to
 *     the same names and values;
 *   - ch_alipay_amount_parse() accepts only digits with at most one "."
 *     and two decimals, and what it accepts is written back by
 *     ch_alipay_amount() as the same fen.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_alipay.h"
#include "ch_form.h"
#include "ch_json.h"
#include "ch_json_read.h"


#define PARTS  6


static int
utf8(const char *s)
{
    size_t  n, k;

    n = strlen(s);

    while (n) {
        k = ch_utf8_sequence((const unsigned char *) s, n);
        if (k == 0) {
            return 0;
        }

        s += k;
        n -= k;
    }

    return 1;
}


/* timeout_express and quit_url are left out when empty, not the others */
static void
check_member(const ch_json_member_t *m, const char *want, int optional)
{
    char  *v;

    if (optional && want[0] == '\0') {
        if (m->type != CH_JSON_NONE) {
            abort();
        }

        return;
    }

    if (m->type != CH_JSON_STRING) {
        abort();
    }

    v = ch_json_string_value(m);

    if (utf8(want) && (v == NULL || strcmp(v, want) != 0)) {
        abort();
    }

    free(v);
}


static void
check_biz(char *part[PARTS], long long fen)
{
    char              *out, amount[24];
    size_t             n, i;
    ch_json_member_t   m[6];

    n = ch_alipay_biz_content(NULL, 0, part[0], part[1], fen, part[2],
                              part[3], part[4]);
    if (n == 0) {
        abort();
    }

    out = malloc(n + 1);
    if (out == NULL) {
        abort();
    }

    /* one byte short: the same length, nothing past size */
    if (ch_alipay_biz_content(out, n, part[0], part[1], fen, part[2], part[3],
                              part[4]) != n
        || ch_alipay_biz_content(out, n + 1, part[0], part[1], fen, part[2],
                                 part[3], part[4]) != n
        || out[n] != '\0' || strlen(out) != n)
    {
        abort();
    }

    m[0].name = "out_trade_no";
    m[1].name = "product_code";
    m[2].name = "total_amount";
    m[3].name = "subject";
    m[4].name = "timeout_express";
    m[5].name = "quit_url";

    if (ch_json_object_members((unsigned char *) out, n, m, 6) != 0) {
        abort();
    }

    /* in the documented order */
    for (i = 1; i < 6; i++) {
        if (m[i].value && m[i - 1].value && m[i].value < m[i - 1].value) {
            abort();
        }
    }

    if (ch_alipay_amount(fen, amount, sizeof(amount)) < 0) {
        abort();
    }

    check_member(&m[0], part[1], 0);
    check_member(&m[1], part[0], 0);
    check_member(&m[2], amount, 0);
    check_member(&m[3], part[2], 0);
    check_member(&m[4], part[3], 1);
    check_member(&m[5], part[4], 1);

    free(out);
}


static void
check_form(char *part[PARTS])
{
    char               *out, *buf;
    size_t              n, len, nf, err_at, i;
    ch_form_field_t     f[PARTS];
    ch_alipay_param_t   p[PARTS];

    static const char  *names[PARTS] = {
        "product_code", "out_trade_no", "subject", "timeout_express",
        "quit_url", "amount"
    };

    for (i = 0; i < PARTS; i++) {
        p[i].name = names[i];
        p[i].value = part[i];
    }

    len = ch_alipay_params_sign_string(p, PARTS, NULL, NULL);
    out = malloc(len + 1);
    if (out == NULL
        || ch_alipay_params_sign_string(p, PARTS, NULL, out) != len)
    {
        abort();
    }

    free(out);

    n = ch_alipay_form_encode(NULL, 0, p, PARTS);
    out = malloc(n + 1);
    buf = malloc(n * 2 + 2);
    if (out == NULL || buf == NULL
        || ch_alipay_form_encode(out, n + 1, p, PARTS) != n
        || out[n] != '\0')
    {
        abort();
    }

    /* every value back, unless the form parser refuses its text */
    if (ch_form_parse((unsigned char *) out, n, f, PARTS, &nf, buf, &err_at)
        == CH_FORM_OK)
    {
        for (i = 0; i < PARTS; i++) {
            const ch_form_field_t  *g = ch_form_get(f, nf, names[i]);

            if (part[i][0] == '\0') {
                if (g && g->value_len) {
                    abort();
                }

            } else if (g == NULL || strcmp(g->value, part[i]) != 0) {
                abort();
            }
        }
    }

    free(out);
    free(buf);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char       *copy, *part[PARTS], *p, *end, back[24];
    size_t      i;
    long long   fen;

    copy = malloc(size + 1);
    if (copy == NULL) {
        return 0;
    }

    memcpy(copy, data, size);
    copy[size] = '\0';

    p = copy;
    end = copy + size;

    for (i = 0; i < PARTS; i++) {
        part[i] = p;
        p += strlen(p);
        if (p < end) {
            p++;
        }
    }

    fen = 0;

    if (ch_alipay_amount_parse(part[5], strlen(part[5]), &fen) == 0) {
        for (p = part[5]; *p; p++) {
            if (!(*p >= '0' && *p <= '9') && *p != '.') {
                abort();
            }
        }

        if (fen < 0
            || ch_alipay_amount(fen, back, sizeof(back)) < 0
            || ch_alipay_amount_parse(back, strlen(back), &fen) != 0)
        {
            abort();
        }

    } else {
        fen = (long long) (size * 37);
    }

    check_biz(part, fen);
    check_form(part);

    free(copy);

    return 0;
}
