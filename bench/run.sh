#!/usr/bin/env bash
# make bench: every part of bench/, one after the other.  Not a test: it
# prints figures, it passes or fails nothing.  Runs inside t/bin/testenv
# (make bench does; run by hand, it starts one itself), which provides the
# database.
#
#   bench/run.sh            all: the API table (api.sh), my orders on
#                           102,000 orders, Alipay's RSA2, uploads
#   bench/run.sh api        the API table alone (issue 22)
#   bench/run.sh orders     my orders on 102,000 orders alone
#   bench/run.sh alipay     Alipay's RSA2 alone
#   bench/run.sh upload     uploads alone
#
# The knobs of each part are at the top of its script (api.sh: BENCH_SECONDS,
# BENCH_POOL, BENCH_PORT, ...).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

for part in "$@"; do
    case $part in
        api|orders|upload) ;;
        alipay) [ -x "$ROOT/build/bin/alipay-crypto" ] \
                    || { echo "bench/run.sh: make build/bin/alipay-crypto first (make bench does)" >&2; exit 2; } ;;
        *)      echo "bench/run.sh: no part '$part' (api, orders, alipay, upload)" >&2; exit 2 ;;
    esac
done

if [ -z "${PGHOST:-}" ] || [ -z "${TEST_NGINX_PG_DATA:-}" ]; then
    exec "$ROOT/t/bin/testenv" "$0" "$@"
fi

orders_list() {
    echo "my orders (api.orders), 102,000 orders, an account with 2,050 of them:"
    psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/bench/orders-list.sql" | grep -E '^Time' \
        | paste - <(printf '%s\n' 'page 1 (cold)' 'page 1' 'project filter, page 3' \
                                  'text search' 'state filter, page 50')
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(api orders alipay upload)

for part in "${parts[@]}"; do
    case $part in
        api)    "$ROOT/bench/api.sh" ;;
        orders) orders_list ;;
        alipay) "$ROOT/build/bin/alipay-crypto" ;;
        upload) "$ROOT/bench/upload.sh" ;;
    esac
    echo
done
