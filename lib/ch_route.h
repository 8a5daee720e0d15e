/*
 * Path patterns for the /api/ router.
 *
 * Pure C (no nginx headers): the module's router and the unit tests and
 * fuzz target use the same matcher.
 */

#ifndef CH_ROUTE_H
#define CH_ROUTE_H

#include <stddef.h>

#define CH_ROUTE_MAX_PARAMS  4

/*
 * A captured path segment: a slice of the path that was matched, never a
 * copy, so it lives exactly as long as the request's URI.
 */
typedef struct {
    const unsigned char  *data;
    size_t                len;
} ch_route_param_t;

typedef struct {
    ch_route_param_t      param[CH_ROUTE_MAX_PARAMS];
    unsigned              nparams;
} ch_route_params_t;

/*
 * Matches a decoded request path against a pattern such as
 * "/api/orders/{}/materials/{}".  Literal bytes must be equal; "{}" matches
 * one whole, non-empty path segment made only of ASCII letters, digits, '-'
 * and '_' (every id and kind in the API is of that alphabet, so anything
 * else can never name a resource and is refused before any handler sees it).
 *
 * Returns 1 and fills params on a match, 0 otherwise; params is left in an
 * unspecified state when there is no match.
 */
int ch_route_match(const char *pattern, const unsigned char *path, size_t len,
    ch_route_params_t *params);

#endif /* CH_ROUTE_H */
