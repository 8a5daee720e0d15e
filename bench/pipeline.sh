#!/usr/bin/env bash
# Issue 22: would libpq's pipeline mode pay here?  pgbench's ceiling for
# the module's statements: each sent and answered in turn (-M prepared, as
# the module runs them), against N of them in one pipeline per connection
# (\startpipeline ... \endpipeline), with as many connections as the
# module's pool.  The figure is statements per second either way; the
# ratio is the most pipelining could give the module if the database's
# round trips were all that limited it.  pgbench 15 ends a pipeline with
# one Sync, so its N statements are one transaction; the module would need
# a Sync after each request's statement (its own transaction, an error
# staying in its request): bench/pipeline-sync.c measures that, with the
# same connections and depths.  Not a test: it prints figures.  Run inside
# t/bin/testenv.
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
cc -O2 -I"$(pg_config --includedir)" -o "$dir/pipeline-sync" "$ROOT/bench/pipeline-sync.c" -lpq

TOKEN=BenchQueueSessionxxxxxxxxxxxxxxxxxxxxxxxxxx
psql -X -q -v ON_ERROR_STOP=1 -v token="$TOKEN" -f "$ROOT/bench/queue-data.sql"

# pgbench script file -> transactions per second
tps() {
    "$PGBENCH" -n -M prepared -c "$POOL" -j 2 -T "$SECONDS_EACH" -f "$1" 2>/dev/null \
        | awk '/^tps =/ { printf "%.0f\n", $3 }'
}

row() { printf '%-26s %6s %14s %7s %16s %7s\n' "$@"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# SQL depth -> statements per second, each with its own Sync
synced() {
    "$dir/pipeline-sync" "host=$PGHOST dbname=$PGDATABASE user=$PGUSER" "$POOL" "$2" "$SECONDS_EACH" "$1"
}

echo "pipeline: pgbench -M prepared -c $POOL -j 2, ${SECONDS_EACH}s each; $(nproc) cores shared by all"
echo
row "statement" "depth" "pgbench 1 Sync" "ratio" "a Sync per stmt" "ratio"

while IFS='|' read -r name sql; do
    echo "$sql;" >"$dir/one.sql"
    one=$(tps "$dir/one.sql")
    sone=$(synced "$sql" 1)
    row "$name" 1 "$one" "1.00" "$sone" "1.00"
    for n in $DEPTHS; do
        { echo '\startpipeline'; for _ in $(seq "$n"); do echo "$sql;"; done; echo '\endpipeline'; } >"$dir/pipe.sql"
        t=$(tps "$dir/pipe.sql")
        s=$(synced "$sql" "$n")
        row "" "$n" "$((t * n))" "$(ratio "$((t * n))" "$one")" "$s" "$(ratio "$s" "$sone")"
    done
done <<EOF
api.health()|SELECT api.health()
api.projects()|SELECT api.projects()
api.order_get(token, id)|SELECT api.order_get('$TOKEN', 'UO221200000000000100')
EOF
