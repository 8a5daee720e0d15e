/*
 * libFuzzer target: amounts as finance types them (lib/ch_money.c), on
 * arbitrary bytes in a buffer of exactly their length, so that ASan sees
 * any read past the end.  An accepted amount must be within the bound,
 * and written back as plain yuan ("123.45") it must read as the same fen:
 * the parser and the way people write money agree.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_money.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char       *copy, again[32];
    long long   fen, fen2;
    int         n;

    copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }

    memcpy(copy, data, size);

    if (ch_money_parse(copy, size, &fen) == 0) {
        if (fen < 0 || fen > CH_MONEY_MAX_FEN) {
            abort();
        }

        n = snprintf(again, sizeof(again), "%lld.%02lld", fen / 100, fen % 100);

        if (n <= 0 || ch_money_parse(again, (size_t) n, &fen2) != 0
            || fen2 != fen)
        {
            abort();
        }
    }

    free(copy);

    return 0;
}
