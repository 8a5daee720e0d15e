/*
 * Path patterns for the /api/ router: see ch_route.h.
 */

#include "ch_route.h"


static int
ch_route_segment_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_';
}


int
ch_route_match(const char *pattern, const unsigned char *path, size_t len,
    ch_route_params_t *params)
{
    const unsigned char  *p, *end, *start;

    p = path;
    end = path + len;
    params->nparams = 0;

    while (*pattern) {

        if (pattern[0] == '{' && pattern[1] == '}') {
            if (params->nparams == CH_ROUTE_MAX_PARAMS) {
                return 0;
            }

            start = p;

            while (p < end && *p != '/') {
                if (!ch_route_segment_char(*p)) {
                    return 0;
                }
                p++;
            }

            if (p == start) {
                return 0;
            }

            params->param[params->nparams].data = start;
            params->param[params->nparams].len = (size_t) (p - start);
            params->nparams++;

            pattern += 2;
            continue;
        }

        if (p == end || *p != (unsigned char) *pattern) {
            return 0;
        }

        p++;
        pattern++;
    }

    return p == end;
}
