/*
 * An invoice's amounts from integer fen, as the tax rules want them: the
 * hall's prices include tax, each line's tax is rounded on that line, and
 * the header is the exact sum of the lines (never the tax of the total,
 * which can differ by a fen or more).  Formatted for the FPKJ request as
 * yuan with two decimals.  No floating point anywhere.
 *
 * Pure C (no nginx headers): the back office's invoice-send builds its
 * requests with it (lib/ch_einvoice_xml.c); unit-tested.
 */

#ifndef CH_INVOICE_AMOUNT_H
#define CH_INVOICE_AMOUNT_H

#include <stddef.h>

/* the largest line amount or header total: 10^12 fen, as ch_money */
#define CH_INVOICE_MAX_FEN   1000000000000LL
/* rates in basis points: 600 = 6 %, 1300 = 13 %, at most 100 % */
#define CH_INVOICE_MAX_RATE  10000
/* any long long: "-", 17 digits, ".", 2 digits, NUL; and "0.0625" */
#define CH_INVOICE_FEN_LEN   24
#define CH_INVOICE_RATE_LEN  8

typedef struct {
    /* given */
    long long   price_fen;      /* unit price with tax */
    long long   quantity;       /* whole units; negative on a red invoice */
    int         rate_bp;        /* basis points */

    /* computed by ch_invoice_line() */
    long long   amount_fen;     /* with tax: price * quantity */
    long long   tax_fen;        /* rounded half away from zero, per line */
    long long   net_fen;        /* without tax: amount - tax */
} ch_invoice_line_t;

typedef struct {
    long long   total_fen;      /* JSHJ: with tax */
    long long   net_fen;        /* HJJE: without tax */
    long long   tax_fen;        /* HJSE */
} ch_invoice_sum_t;

/*
 * Fills the line's computed fields: tax = amount * rate / (10000 + rate)
 * rounded half away from zero (half up for a blue line; a red line is then
 * exactly the negative of its blue one).  Returns 0, or -1 with the line
 * unchanged for a negative price, a rate outside 0 .. 10000, or an amount
 * beyond CH_INVOICE_MAX_FEN.
 */
int ch_invoice_line(ch_invoice_line_t *line);

/*
 * Computes every line and sums them into *sum: total = net + tax exactly.
 * Returns 0, or -1 (n == 0, a bad line, a total beyond the limit), then
 * the index of the first bad line in *bad when bad is not NULL, or n for
 * a total beyond the limit or no lines.
 */
int ch_invoice_sum(ch_invoice_line_t *lines, size_t n, ch_invoice_sum_t *sum,
    size_t *bad);

/* writes fen as yuan with two decimals ("0.01", "-106.00", "123.45");
 * buf holds CH_INVOICE_FEN_LEN; returns the length */
size_t ch_invoice_fen_format(char *buf, long long fen);

/* writes a rate as the decimal fraction the platform wants ("0", "0.06",
 * "0.13", "0.0625", "1"); buf holds CH_INVOICE_RATE_LEN; returns the
 * length, or 0 for a rate outside 0 .. 10000 */
size_t ch_invoice_rate_format(char *buf, int rate_bp);

#endif /* CH_INVOICE_AMOUNT_H */
