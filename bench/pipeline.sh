#!/usr/bin/env bash
# Issue 22: would libpq's pipeline mode pay here?  pgbench's ceiling for
# the module's statements: each sent and answered in turn (-M prepared, as
# the module runs them), against N of them in one pipeline per connection
# (\startpipeline ... \endpipeline), with as many connections as the
# module's pool.  The figure is statements per second either way; the
# ratio is the most pipelining could give the module if the database's
# round trips were all that limited it.  Not a test: it prints figures.
# Run inside t/bin/testenv.
#
# BENCH_SECONDS (6), BENCH_POOL (8), BENCH_DEPTHS ("4 16").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${BENCH_SECONDS:-6}
POOL=${BENCH_POOL:-8}
DEPTHS=${BENCH_DEPTHS:-4 16}
PGBENCH=${TEST_NGINX_PG_BIN:-/usr/lib/postgresql/15/bin}/pgbench

: "${PGHOST:?run inside t/bin/testenv}"

dir=$(mktemp -d /tmp/certhall-pipeline-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

TOKEN=BenchQueueSessionxxxxxxxxxxxxxxxxxxxxxxxxxx
psql -X -q -v ON_ERROR_STOP=1 -v token="$TOKEN" -f "$ROOT/bench/queue-data.sql"

# pgbench script file -> transactions per second
tps() {
    "$PGBENCH" -n -M prepared -c "$POOL" -j 2 -T "$SECONDS_EACH" -f "$1" 2>/dev/null \
        | awk '/^tps =/ { printf "%.0f\n", $3 }'
}

row() { printf '%-34s %12s %12s %8s\n' "$@"; }

echo "pipeline: pgbench -M prepared -c $POOL -j 2, ${SECONDS_EACH}s each; $(nproc) cores shared by all"
echo
row "statement" "depth" "stmts/s" "ratio"

while IFS='|' read -r name sql; do
    echo "$sql;" >"$dir/one.sql"
    one=$(tps "$dir/one.sql")
    row "$name" 1 "$one" "1.00"
    for n in $DEPTHS; do
        { echo '\startpipeline'; for _ in $(seq "$n"); do echo "$sql;"; done; echo '\endpipeline'; } >"$dir/pipe.sql"
        t=$(tps "$dir/pipe.sql")
        row "" "$n" "$((t * n))" "$(awk -v a="$((t * n))" -v b="$one" 'BEGIN { printf "%.2f", a / b }')"
    done
done <<EOF
api.health()|SELECT api.health()
api.projects()|SELECT api.projects()
api.order_get(token, id)|SELECT api.order_get('$TOKEN', 'UO221200000000000100')
EOF
