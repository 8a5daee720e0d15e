/*
 * Invoice amounts in integer fen: tax per line, exact header sums.
 */

#include <stdio.h>
#include <string.h>

#include "ch_invoice_amount.h"


int
ch_invoice_line(ch_invoice_line_t *line)
{
    long long  amount, magnitude, num, den, tax;

    if (line->price_fen < 0
        || line->rate_bp < 0 || line->rate_bp > CH_INVOICE_MAX_RATE)
    {
        return -1;
    }

    if (__builtin_mul_overflow(line->price_fen, line->quantity, &amount)
        || amount > CH_INVOICE_MAX_FEN || amount < -CH_INVOICE_MAX_FEN)
    {
        return -1;
    }

    /*
     * tax = amount * rate / (10000 + rate), rounded on the magnitude so
     * that a red line mirrors its blue one to the fen; |amount| <= 10^12
     * and rate <= 10^4 keep the product below 2^63
     */
    magnitude = amount < 0 ? -amount : amount;
    num = magnitude * line->rate_bp;
    den = CH_INVOICE_MAX_RATE + line->rate_bp;
    tax = (2 * num + den) / (2 * den);

    line->amount_fen = amount;
    line->tax_fen = amount < 0 ? -tax : tax;
    line->net_fen = amount - line->tax_fen;

    return 0;
}


int
ch_invoice_sum(ch_invoice_line_t *lines, size_t n, ch_invoice_sum_t *sum,
    size_t *bad)
{
    size_t            i;
    ch_invoice_sum_t  s;

    memset(&s, 0, sizeof(ch_invoice_sum_t));

    for (i = 0; i < n; i++) {
        if (ch_invoice_line(&lines[i]) != 0) {
            goto failed;
        }

        /* each term is within 10^12 and the running sums are checked
         * against it, so these additions cannot overflow */
        s.total_fen += lines[i].amount_fen;
        s.net_fen += lines[i].net_fen;
        s.tax_fen += lines[i].tax_fen;

        if (s.total_fen > CH_INVOICE_MAX_FEN
            || s.total_fen < -CH_INVOICE_MAX_FEN)
        {
            i = n;
            goto failed;
        }
    }

    if (n == 0) {
        goto failed;
    }

    *sum = s;

    return 0;

failed:

    if (bad != NULL) {
        *bad = i;
    }

    return -1;
}


size_t
ch_invoice_fen_format(char *buf, long long fen)
{
    unsigned long long  m;

    m = fen < 0 ? 0ULL - (unsigned long long) fen : (unsigned long long) fen;

    return (size_t) snprintf(buf, CH_INVOICE_FEN_LEN, "%s%llu.%02llu",
                             fen < 0 ? "-" : "", m / 100, m % 100);
}


size_t
ch_invoice_rate_format(char *buf, int rate_bp)
{
    int  frac, digits;

    if (rate_bp < 0 || rate_bp > CH_INVOICE_MAX_RATE) {
        return 0;
    }

    if (rate_bp == 0 || rate_bp == CH_INVOICE_MAX_RATE) {
        return (size_t) snprintf(buf, CH_INVOICE_RATE_LEN, "%d",
                                 rate_bp / CH_INVOICE_MAX_RATE);
    }

    /* "0." and the four decimals without trailing zeros: 600 -> 0.06 */
    frac = rate_bp;
    digits = 4;

    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }

    return (size_t) snprintf(buf, CH_INVOICE_RATE_LEN, "0.%0*d", digits, frac);
}
