/*
 * libFuzzer target: lib/ch_seal.c.  Arbitrary bytes given as a sealed
 * value never open (no forgery without the key, and no crash on any
 * shape), and the same bytes sealed open again to themselves.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_seal.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char  key[CH_SEAL_KEY_LEN] = { 1, 2, 3, 4 };

    char           *sealed;
    unsigned char  *plain;
    size_t          len;

    if (size > 4096) {
        return 0;
    }

    plain = malloc(CH_SEAL_LEN(size) + 1);
    sealed = malloc(CH_SEAL_LEN(size) + 1);
    if (plain == NULL || sealed == NULL) {
        abort();
    }

    if (ch_unseal(key, "fuzz", (const char *) data, size, plain, &len) == 0) {
        abort();
    }

    if (ch_seal(key, "fuzz", data, size, sealed) != 0
        || strlen(sealed) != CH_SEAL_LEN(size)
        || ch_unseal(key, "fuzz", sealed, strlen(sealed), plain, &len) != 0
        || len != size
        || memcmp(plain, data, size) != 0
        || ch_unseal(key, "other", sealed, strlen(sealed), plain, &len) == 0)
    {
        abort();
    }

    free(plain);
    free(sealed);

    return 0;
}
