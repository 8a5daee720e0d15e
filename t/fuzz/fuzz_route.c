/*
 * libFuzzer target: the /api/ path matcher on arbitrary paths.  Besides
 * memory safety it checks the promises of ch_route.h: captures lie inside
 * the path, are non-empty and use only the id alphabet.
 */

#include <stdint.h>
#include <stdlib.h>

#include "ch_route.h"


static const char  *patterns[] = {
    "/api/health",
    "/api/orders/{}",
    "/api/orders/{}/materials/{}",
    "/{}/{}/{}/{}",
    "/{}/{}/{}/{}/{}",
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t             i, j, k;
    unsigned char      c;
    ch_route_params_t  p;

    for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        if (!ch_route_match(patterns[i], data, size, &p)) {
            continue;
        }

        for (j = 0; j < p.nparams; j++) {
            if (p.param[j].len == 0 || p.param[j].data < data
                || p.param[j].data + p.param[j].len > data + size)
            {
                abort();
            }

            for (k = 0; k < p.param[j].len; k++) {
                c = p.param[j].data[k];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                      || (c >= '0' && c <= '9') || c == '-' || c == '_'))
                {
                    abort();
                }
            }
        }
    }

    return 0;
}
