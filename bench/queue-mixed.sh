#!/usr/bin/env bash
# Issue 22's fair queueing under a mixed load: wrk at -c16/64/256 on an
# expensive request (GET /api/orders/{id} with a session), and at the same
# time one client (wrk -c1, one request at a time) on a cheap one
# (/api/health, then /api/projects), whose p50/p99 is what the queueing is
# about.  Each module given (default: this build's) runs the same loads, so
# the figures compare within the run.  Not a test: it prints figures.  Run
# inside t/bin/testenv, which provides the database.
#
#   t/bin/testenv bench/queue-mixed.sh [LABEL=MODULE.so[:RESERVED] ...]
#
# e.g. before=/tmp/main.so after=build/ngx_http_certhall_module.so
# after0=build/ngx_http_certhall_module.so:0 (RESERVED: certhall_db_reserved,
# left out of the configuration when not given).  BENCH_SECONDS (8),
# BENCH_POOL (8), BENCH_LOADS ("16 64 256"), BENCH_PORT (18090).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${BENCH_SECONDS:-8}
POOL=${BENCH_POOL:-8}
LOADS=${BENCH_LOADS:-16 64 256}
PORT=${BENCH_PORT:-18090}

: "${PGHOST:?run inside t/bin/testenv}"

[ $# -gt 0 ] || set -- "this=$ROOT/build/ngx_http_certhall_module.so"

prefix=$(mktemp -d /tmp/certhall-queue-bench.XXXXXX)
stop_nginx() {
    if [ -f "$prefix/nginx.pid" ]; then
        local pid; pid=$(cat "$prefix/nginx.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        rm -f "$prefix/nginx.pid"
    fi
}
trap 'stop_nginx; rm -rf "$prefix"' EXIT
mkdir -p "$prefix/logs" "$prefix/conf"

# an account with 200 orders and a session (bench/queue-data.sql)
TOKEN=BenchQueueSessionxxxxxxxxxxxxxxxxxxxxxxxxxx
psql -X -q -v ON_ERROR_STOP=1 -v token="$TOKEN" -f "$ROOT/bench/queue-data.sql"
ORDER=UO2212$(printf '%014d' 100)

start_nginx() {
    local so=$1 reserved=$2
    cat >"$prefix/conf/nginx.conf" <<CONF
load_module $so;
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log notice;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $prefix/body;
    certhall_db "host=$PGHOST dbname=$PGDATABASE user=$PGUSER";
    certhall_db_pool_size $POOL;
    certhall_db_queue_size 8192;
    certhall_db_queue_timeout 60s;
    ${reserved:+certhall_db_reserved $reserved;}
    server {
        listen 127.0.0.1:$PORT backlog=4096;
        location /api/ { certhall; client_max_body_size 0; }
    }
}
CONF
    : >"$prefix/logs/error.log"
    /usr/sbin/nginx -p "$prefix/" -c conf/nginx.conf
    for _ in $(seq 200); do
        curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && return
        sleep 0.05
    done
    echo "nginx with $so did not answer" >&2; exit 1
}

# wrk output -> "req/s p50 p99 non2xx" (latencies in ms)
wrk_figures() {
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }'
}

row() { printf '%-8s %-14s %5s %9s %9s %9s %6s   %-14s %7s %9s %9s\n' "$@"; }

echo "queue-mixed: ${SECONDS_EACH}s each; 1 nginx worker, pool $POOL, queue 8192 (60 s); $(nproc) cores shared by all"
echo "expensive: wrk -t1 -cN GET /api/orders/$ORDER (session); cheap: wrk -t1 -c1 at the same time"
echo
row module expensive N "req/s" "p50 ms" "p99 ms" non2xx cheap "req/s" "p50 ms" "p99 ms"

for spec in "$@"; do
    label=${spec%%=*}; rest=${spec#*=}
    so=${rest%%:*}; reserved=
    [ "$rest" != "$so" ] && reserved=${rest#*:}
    start_nginx "$so" "$reserved"
    for cheap in health projects; do
        # the cheap request alone, for scale
        read -r crps cp50 cp99 cbad < <(wrk -t1 -c1 -d"${SECONDS_EACH}s" --latency \
            "http://127.0.0.1:$PORT/api/$cheap" | wrk_figures)
        row "$label" "-" 0 "" "" "" "" "/api/$cheap" "$crps" "$cp50" "$cp99"
        for n in $LOADS; do
            wrk -t1 -c"$n" -d"${SECONDS_EACH}s" --timeout 60s --latency -H "Cookie: certhall_session=$TOKEN" \
                "http://127.0.0.1:$PORT/api/orders/$ORDER" >"$prefix/exp.out" &
            exp=$!
            # the cheap client starts once the expensive load is on
            sleep 0.5
            read -r crps cp50 cp99 cbad < <(wrk -t1 -c1 -d"$((SECONDS_EACH - 1))s" --latency \
                "http://127.0.0.1:$PORT/api/$cheap" | wrk_figures)
            wait "$exp"
            read -r rps p50 p99 bad < <(wrk_figures <"$prefix/exp.out")
            row "$label" "orders/{id}" "$n" "$rps" "$p50" "$p99" "$bad" "/api/$cheap" "$crps" "$cp50" "$cp99"
            [ "$cbad" -eq 0 ] || echo "   ($cbad cheap requests not 2xx)"
        done
    done
    if grep -q '\[\(error\|alert\|crit\|emerg\)\]' "$prefix/logs/error.log"; then
        echo "   nginx logged errors:"; grep '\[\(error\|alert\|crit\|emerg\)\]' "$prefix/logs/error.log" | head -3
    fi
    stop_nginx
done
