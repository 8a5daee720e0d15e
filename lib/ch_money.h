/*
 * Money as people type it: yuan with at most two decimals ("300",
 * "300.5", "1,200.00"), read into integer fen, which is what the hall
 * keeps and compares.  No floating point anywhere on the way.
 *
 * Pure C (no nginx headers): the back office reads amounts with it;
 * unit-tested.
 */

#ifndef CH_MONEY_H
#define CH_MONEY_H

#include <stddef.h>

/* the largest amount read: 10^12 fen (ten billion yuan) */
#define CH_MONEY_MAX_FEN  1000000000000LL

/*
 * Reads s[0 .. len - 1]: an optional "¥" or "￥", digits with optional
 * thousands commas (groups of three), and an optional "." with one or two
 * digits; blanks around it are allowed.  Returns 0 with *fen set, or -1
 * for anything else (a sign, a third decimal, letters, empty, too large).
 */
int ch_money_parse(const char *s, size_t len, long long *fen);

#endif /* CH_MONEY_H */
