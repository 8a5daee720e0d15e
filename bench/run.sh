#!/usr/bin/env bash
# make bench: the module against pgbench running the same statements, on
# the same unix socket with as many connections as the module's pool.
# Not a test: it prints figures, it passes or fails nothing.  Run inside
# t/bin/testenv (make bench does), which provides the database.
#
# BENCH_SECONDS (10), BENCH_CONNECTIONS (64, wrk's), BENCH_POOL (8, the
# module's pool and pgbench's clients), BENCH_WORKERS (1, nginx's).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
POOL=${BENCH_POOL:-8}
WORKERS=${BENCH_WORKERS:-1}
PORT=${BENCH_PORT:-18080}
PGBENCH=${TEST_NGINX_PG_BIN:-/usr/lib/postgresql/15/bin}/pgbench

: "${PGHOST:?run inside t/bin/testenv}"

prefix=$(mktemp -d /tmp/certhall-bench.XXXXXX)
trap '[ -f "$prefix/nginx.pid" ] && kill "$(cat "$prefix/nginx.pid")" 2>/dev/null; sleep 0.2; rm -rf "$prefix"' EXIT
mkdir -p "$prefix/logs" "$prefix/conf"

cat >"$prefix/conf/nginx.conf" <<CONF
load_module $ROOT/build/ngx_http_certhall_module.so;
worker_processes $WORKERS;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log notice;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $prefix/body;
    certhall_db "host=$PGHOST dbname=$PGDATABASE user=$PGUSER";
    certhall_db_pool_size $POOL;
    certhall_db_queue_size 8192;
    server {
        listen 127.0.0.1:$PORT backlog=4096;
        location /api/ { certhall; client_max_body_size 0; }
        location = /fixed {
            default_type application/json;
            return 200 '{"status":"ok","database":"ok"}';
        }
    }
}
CONF

/usr/sbin/nginx -p "$prefix/" -c conf/nginx.conf
for i in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break; sleep 0.05; done

# wrk URL -> "req/s p50 p99" (latencies in ms)
http_load() {
    wrk -t1 -c"$CONNS" -d"${SECONDS_EACH}s" --latency "$1" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }'
}

# pgbench SQL -> tps
pg_load() {
    echo "$1" >"$prefix/bench.sql"
    "$PGBENCH" -n -M prepared -c "$POOL" -j 2 -T "$SECONDS_EACH" \
        -f "$prefix/bench.sql" 2>/dev/null | awk '/^tps =/ { printf "%.0f\n", $3 }'
}

row() { printf '%-46s %10s %9s %9s  %s\n' "$@"; }

echo "certhall bench: ${SECONDS_EACH}s each; wrk -t1 -c$CONNS; nginx $WORKERS worker(s), pool $POOL;"
echo "pgbench -M prepared -c $POOL -j 2 on the same unix socket; $(nproc) cores shared by all"
echo
row "what" "req/s" "p50 ms" "p99 ms" ""

read -r rps p50 p99 bad < <(http_load "http://127.0.0.1:$PORT/fixed")
row "nginx return 200 (no module, for scale)" "$rps" "$p50" "$p99" ""

for ep in health projects; do
    read -r rps p50 p99 bad < <(http_load "http://127.0.0.1:$PORT/api/$ep")
    tps=$(pg_load "SELECT api.$ep();")
    row "GET /api/$ep (module)" "$rps" "$p50" "$p99" "$([ "$bad" -gt 0 ] && echo "$bad non-2xx!")"
    row "pgbench SELECT api.$ep()" "$tps" "" "" ""
    row "  module / pgbench" "$(awk -v a="$rps" -v b="$tps" 'BEGIN { printf "%.0f%%", 100 * a / b }')" "" "" ""
done

if grep -q '\[\(error\|alert\|crit\|emerg\)\]' "$prefix/logs/error.log"; then
    echo; echo "nginx logged errors:"; grep '\[\(error\|alert\|crit\|emerg\)\]' "$prefix/logs/error.log" | head
fi

echo
echo "my orders (api.orders), 102,000 orders, an account with 2,050 of them:"
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/bench/orders-list.sql" | grep -E '^Time' \
    | paste - <(printf '%s\n' 'page 1 (cold)' 'page 1' 'project filter, page 3' \
                              'text search' 'state filter, page 50')
echo
"$ROOT/build/bin/alipay-crypto"
echo
"$ROOT/bench/upload.sh"
