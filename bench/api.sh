#!/usr/bin/env bash
# bench/api.sh: each endpoint of the API against its limit, in one run, as
# a markdown table (issue 22):
#
#   - the catalog (/api/projects, /api/pickup-points, /api/downloads)
#     against stock nginx (the same /usr/sbin/nginx, no module, one worker)
#     serving the same bytes from a file, with the same Content-Type;
#   - /api/health, GET /api/orders/{id} and my orders (GET /api/orders)
#     against pgbench running the statement the module prepares, -M
#     prepared, with as many connections as the module's pool, on the same
#     unix socket;
#   - a mixed load: expensive requests (order detail and my orders, in
#     turn) at several levels of concurrency while two more clients time
#     the cheap ones (/api/health, /api/projects).
#
# Not a test: it prints figures and passes or fails nothing; it exits
# non-zero only when it cannot measure (a server that does not start, an
# answer that is not 200 where the table needs one).  Run it inside
# t/bin/testenv (make bench and `bench/run.sh api` do): its database is
# thrown away afterwards.
#
# Knobs: BENCH_SECONDS (10, each point), BENCH_CONNECTIONS (64, wrk's for
# the table), BENCH_POOL (5, the module's pool), BENCH_RESERVED (1, its
# certhall_db_reserved: pgbench runs a normal statement on POOL - RESERVED
# clients, the connections the module lets it have, health on POOL),
# BENCH_PORT (18080: the module's nginx; +1 stock nginx),
# BENCH_MIX_LEVELS ("16 64 256", the expensive clients of the mixed load),
# BENCH_CHEAP_CONNECTIONS (2, each cheap client's connections),
# BENCH_CHEAP_INTERVAL (5: ms between a cheap connection's requests),
# BENCH_MAIN_CONF (more lines for nginx's main context),
# BENCH_ENDPOINTS (the first table's rows: projects pickup-points downloads
# health order orders), BENCH_MIX_LEVELS=none leaves out the mixed load,
# BENCH_PGBENCH_JOBS (2, pgbench's threads), BENCH_VERBOSE (1: each
# round's figures on stderr), BENCH_MODULE_CONF (more
# lines for the module's http{}, e.g. "certhall_catalog_cache off;"), BENCH_ROUNDS (1: each pair of
# points that many times, alternating, the best req/s of each side kept),
# BENCH_PROFILE (unset; 1: after the tables, where the worker's time goes
# for GET /api/orders/{id}: perf, and strace's count of system calls;
# "only": that alone), BENCH_PROFILE_PATH (the path profiled instead).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
# Five connections, four for the normal statements: on these two cores a
# pool of 4 left the order detail at 81 % of pgbench (three connections
# keep PostgreSQL waiting on the round trips), one of 8 put seven busy
# backends in front of the health check's (its p99 6-7.6 ms); 5 gave 88 %
# and 4.5 ms (bench/README.md).
POOL=${BENCH_POOL:-5}
RESERVED=${BENCH_RESERVED:-1}
NORMAL=$((POOL - RESERVED))
PORT=${BENCH_PORT:-18080}
STOCK_PORT=$((PORT + 1))
MIX_LEVELS=${BENCH_MIX_LEVELS:-16 64 256}
CHEAP_CONNS=${BENCH_CHEAP_CONNECTIONS:-2}
# A cheap request is timed by a paced client, as a visitor or a monitor
# sends it: flat out, two wrk connections were a second load of 5,000 to
# 12,000 requests a second on the two cores, and timed their own turn for
# a core as much as the hall.
export BENCH_CHEAP_INTERVAL=${BENCH_CHEAP_INTERVAL:-5}
PGBENCH_JOBS=${BENCH_PGBENCH_JOBS:-2}
ROUNDS=${BENCH_ROUNDS:-1}
MODULE_CONF=${BENCH_MODULE_CONF:-}
MAIN_CONF=${BENCH_MAIN_CONF:-}
CATALOG="projects pickup-points downloads"
ENDPOINTS=${BENCH_ENDPOINTS:-$CATALOG health order orders}
PG_BIN=${TEST_NGINX_PG_BIN:-/usr/lib/postgresql/15/bin}
PGBENCH=$PG_BIN/pgbench
HZ=$(getconf CLK_TCK)
COMMAND="$({ env | grep '^BENCH_' || true; } | sort | tr '\n' ' ')bench/run.sh api"
START="$(date -u '+%Y-%m-%d %H:%M UTC'), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

: "${PGHOST:?run inside t/bin/testenv (bench/run.sh api does)}"
: "${TEST_NGINX_PG_DATA:?run inside t/bin/testenv (bench/run.sh api does)}"

die() { echo "bench/api.sh: $*" >&2; exit 1; }

work=$(mktemp -d /tmp/certhall-bench-api.XXXXXX)
chmod 755 "$work"
stop_nginx() {
    local pidfile=$1 pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || return 0
    # the master removes its pid file as it exits
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
}
cleanup() {
    stop_nginx "$work/module/nginx.pid"
    stop_nginx "$work/stock/nginx.pid"
    rm -rf "$work"
}
trap cleanup EXIT

# --- the servers ------------------------------------------------------------

mkdir -p "$work/module/logs" "$work/stock/logs" "$work/stock/html/api"
cat >"$work/module/nginx.conf" <<CONF
load_module $ROOT/build/ngx_http_certhall_module.so;
worker_processes 1;
$MAIN_CONF
pid $work/module/nginx.pid;
error_log $work/module/logs/error.log notice;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $work/module/body;
    certhall_db "host=$PGHOST dbname=$PGDATABASE user=$PGUSER";
    certhall_db_pool_size $POOL;
    certhall_db_reserved $RESERVED;
    certhall_db_queue_size 8192;
    $MODULE_CONF
    server {
        listen 127.0.0.1:$PORT backlog=4096;
        location /api/ { certhall; client_max_body_size 0; }
    }
}
CONF

wait_http() {
    for _ in $(seq 200); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.05
    done
    die "nothing answers at $1"
}

# the demo data of make run: an applicant with orders in every state
# (sql/demo.sql, as scripts/run.sh loads it), made by the product's own
# functions where it has them
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/demo.sql" >/dev/null

/usr/sbin/nginx -p "$work/module/" -c "$work/module/nginx.conf"
wait_http "http://127.0.0.1:$PORT/api/health"

M=http://127.0.0.1:$PORT
S=http://127.0.0.1:$STOCK_PORT

# Stock nginx, the limit of the catalog: the module's answers as files at
# the same paths, with the module's Content-Type and the headers it sets
# itself (Cache-Control, X-Content-Type-Options) as it sets them; what
# still differs is printed below the table.
header_of() { awk -v h="$2" -F': ' 'tolower($1) == h { sub(/\r$/, "", $2); print $2 }' "$1"; }
locations=''
for ep in $CATALOG; do
    code=$(curl -s -D "$work/headers.$ep" -o "$work/stock/html/api/$ep" -w '%{http_code}' "$M/api/$ep")
    [ "$code" = 200 ] || die "GET /api/$ep answered $code: $(cat "$work/stock/html/api/$ep")"
    cc=$(header_of "$work/headers.$ep" cache-control)
    nosniff=$(header_of "$work/headers.$ep" x-content-type-options)
    locations+="        location = /api/$ep {${cc:+ add_header Cache-Control \"$cc\";}${nosniff:+ add_header X-Content-Type-Options \"$nosniff\";} }
"
done
cat >"$work/stock/nginx.conf" <<CONF
worker_processes 1;
pid $work/stock/nginx.pid;
error_log $work/stock/logs/error.log notice;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $work/stock/body;
    # as Debian's /etc/nginx/nginx.conf has them
    sendfile on;
    tcp_nopush on;
    types { }
    default_type "$(header_of "$work/headers.projects" content-type)";
    server {
        listen 127.0.0.1:$STOCK_PORT backlog=4096;
        root $work/stock/html;
$locations    }
}
CONF
/usr/sbin/nginx -p "$work/stock/" -c "$work/stock/nginx.conf"
wait_http "$S/api/projects"

worker_of() {   # the one worker of an nginx master (by its pid file)
    local master
    master=$(cat "$1")
    for _ in $(seq 100); do
        local w
        w=$(ps -o pid= --ppid "$master" | head -1 | tr -d ' ')
        [ -n "$w" ] && { echo "$w"; return 0; }
        sleep 0.05
    done
    die "no worker under nginx $master"
}
MODULE_WORKER=$(worker_of "$work/module/nginx.pid")
STOCK_WORKER=$(worker_of "$work/stock/nginx.pid")

# a session of the demo applicant, logged in through the module as the
# website does (its password hash is at 600,000 iterations: a second)
curl -sf -o /dev/null -c "$work/cookies" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data 'phone=13800138000&password=demo1234' "$M/api/session" \
    || die "could not log in as the demo applicant: $(curl -s -H 'Content-Type: application/x-www-form-urlencoded' --data 'phone=13800138000&password=demo1234' "$M/api/session")"
TOKEN=$(awk '$6 == "certhall_session" { print $7 }' "$work/cookies")
[ -n "$TOKEN" ] || die "no certhall_session cookie after logging in"
COOKIE="Cookie: certhall_session=$TOKEN"

# the order: the demo order with the longest timeline, as listed to the
# applicant
ORDERS_PATH="/api/orders?page=1&per_page=20"
curl -sf -H "$COOKIE" "$M$ORDERS_PATH" >"$work/orders.json" || die "my orders: $(curl -s -H "$COOKIE" "$M$ORDERS_PATH")"
ORDER=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT order_id FROM order_events WHERE order_id IN
            (SELECT id FROM orders WHERE account_id = (SELECT id FROM accounts WHERE phone = '13800138000'))
        GROUP BY order_id ORDER BY count(*) DESC, order_id LIMIT 1")
[ -n "$ORDER" ] || die "the demo applicant has no order"
grep -q "\"$ORDER\"" "$work/orders.json" || die "$ORDER is not in the applicant's list"

# --- measuring ----------------------------------------------------------------

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# PostgreSQL's CPU: the postmaster, its live children and those that have
# exited (the postmaster's cutime + cstime), in ticks
PG_MASTER=$(head -1 "$TEST_NGINX_PG_DATA/postmaster.pid")
pg_ticks() {
    local t=0 c
    t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PG_MASTER/stat")
    for c in $(ps -o pid= --ppid "$PG_MASTER"); do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}

# wrk's report -> "requests req/s p50 p99 non2xx" (latencies in ms)
wrk_parse() {
    awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
         / requests in / { n = $1 }
         /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
         /^Requests\/sec:/ { rps = $2 }
         /Non-2xx or 3xx responses:/ { bad = $NF }
         END { printf "%d %.0f %.2f %.2f %d\n", n, rps, p50, p99, bad }' "$1"
}

# a wrk client's lua: the paths in turn (the mixed load's expensive side)
cat >"$work/alternate.lua" <<'LUA'
local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS"), "%S+") do paths[#paths + 1] = p end
local i = 0
request = function()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
LUA

# a cheap client's lua: one request every BENCH_CHEAP_INTERVAL ms per
# connection (a visitor or a monitor, not a second flood)
cat >"$work/paced.lua" <<'LUA'
local interval = tonumber(os.getenv("BENCH_CHEAP_INTERVAL") or "5")
delay = function()
    return interval
end
LUA

# http WORKER URL [HEADER] -> "req/s p50 p99 cpu_us_per_req pg_us_per_req non2xx"
http_point() {
    local worker=$1 url=$2 hdr=${3:-} w0 w1 p0 p1
    local args=(-t1 -c"$CONNS" -d"${SECS}s" --latency)
    [ -n "$hdr" ] && args+=(-H "$hdr")
    w0=$(cpu_ticks "$worker"); p0=$(pg_ticks)
    wrk "${args[@]}" "$url" >"$work/wrk.out"
    w1=$(cpu_ticks "$worker"); p1=$(pg_ticks)
    read -r n rps p50 p99 bad < <(wrk_parse "$work/wrk.out")
    [ "$n" -gt 0 ] || die "wrk answered nothing for $url: $(cat "$work/wrk.out")"
    awk -v n="$n" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v bad="$bad" -v hz="$HZ" \
        -v w="$((w1 - w0))" -v p="$((p1 - p0))" \
        'BEGIN { printf "%s %s %s %.0f %.0f %d\n", rps, p50, p99, w * 1e6 / hz / n, p * 1e6 / hz / n, bad }'
}

# pgbench CLIENTS SQL [-D name=value ...] -> "tps p50 p99 - pg_us_per_tx 0"
pg_point() {
    local clients=$1 sql=$2 p0 p1; shift 2
    echo "$sql" >"$work/bench.sql"
    rm -f "$work"/pgb.*
    p0=$(pg_ticks)
    "$PGBENCH" -n -M prepared -c "$clients" -j "$PGBENCH_JOBS" -T "$SECS" -l --log-prefix="$work/pgb" \
        "$@" -f "$work/bench.sql" >"$work/pgbench.out" 2>&1 \
        || die "pgbench failed on $sql: $(tail -5 "$work/pgbench.out")"
    p1=$(pg_ticks)
    local tps
    tps=$(awk '/^tps =/ { printf "%.0f", $3 }' "$work/pgbench.out")
    # the per-transaction log: client, number, latency in µs, ...
    cat "$work"/pgb.* | awk '{ print $3 }' | sort -n | awk -v tps="$tps" -v hz="$HZ" -v p="$((p1 - p0))" \
        '{ v[NR] = $1 } END {
             if (NR == 0) exit 1
             i50 = int(NR * 0.5); if (i50 < 1) i50 = 1
             i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
             printf "%s %.2f %.2f - %.0f 0\n", tps, v[i50] / 1000, v[i99] / 1000, p * 1e6 / hz / NR }' \
        || die "pgbench logged no transaction for $sql"
}

ROWS=()
wanted() { [[ " $ENDPOINTS " == *" $1 "* ]]; }
# row ENDPOINT BYTES "module figures" LIMIT "limit figures" GOAL
row() {
    local what=$1 bytes=$2 mod=$3 limit=$4 lim=$5 goal=$6
    read -r m_rps m_p50 m_p99 m_cpu m_pg m_bad <<<"$mod"
    read -r l_rps l_p50 l_p99 l_cpu l_pg l_bad <<<"$lim"
    local ratio
    ratio=$(awk -v a="$m_rps" -v b="$l_rps" 'BEGIN { printf "%.0f %%", 100 * a / b }')
    [ "$m_bad" -gt 0 ] && m_rps="$m_rps ($m_bad non-2xx!)"
    ROWS+=("| $what | $bytes | $m_rps | $m_p50 | $m_p99 | $m_cpu | $m_pg | $limit | $l_rps | $l_p50 | $l_p99 | $l_cpu | $l_pg | **$ratio** | $goal |")
}

# the figures with more req/s of two ("" is none)
best() {
    if [ -z "$1" ] || awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !(y[1] + 0 > x[1] + 0) }'
    then echo "$2"; else echo "$1"; fi
}

# versus WHAT BYTES LIMIT GOAL: the module's point (the command in MOD)
# against its limit's (LIM), ROUNDS times in turn, the best of each side
versus() {
    local mod='' lim='' m l
    for _ in $(seq "$ROUNDS"); do
        m=$("${MOD[@]}")
        l=$("${LIM[@]}")
        # BENCH_VERBOSE: every round's figures, on stderr
        [ -z "${BENCH_VERBOSE:-}" ] || echo "$1: module $m; limit $l" >&2
        mod=$(best "$mod" "$m")
        lim=$(best "$lim" "$l")
    done
    row "$1" "$2" "$mod" "$3" "$lim" "$4"
}

bytes_of() { curl -s -o "$2" -w '%{http_code} %{size_download}\n' ${3:+-H "$3"} "$1"; }

if [ "${BENCH_PROFILE:-}" != only ]; then

    # --- the catalog against stock nginx on the same bytes ---------------------------

    for ep in $CATALOG; do
        wanted "$ep" || continue
        size=$(stat -c %s "$work/stock/html/api/$ep")
        read -r code ssize < <(bytes_of "$S/api/$ep" /dev/null)
        [ "$code" = 200 ] && [ "$ssize" = "$size" ] || die "stock nginx answered $code, $ssize bytes for /api/$ep"
        MOD=(http_point "$MODULE_WORKER" "$M/api/$ep")
        LIM=(http_point "$STOCK_WORKER" "$S/api/$ep")
        versus "GET /api/$ep" "$size" "stock nginx, same bytes from a file" "≥ 80 %"
    done

    # --- the statements against pgbench -------------------------------------------------

    if wanted health; then
        read -r code size < <(bytes_of "$M/api/health" /dev/null)
        [ "$code" = 200 ] || die "GET /api/health answered $code"
        MOD=(http_point "$MODULE_WORKER" "$M/api/health")
        LIM=(pg_point "$POOL" "SELECT api.health() AS body")
        versus "GET /api/health" "$size" "pgbench \`SELECT api.health()\`" ""
    fi

    if wanted order; then
        read -r code size < <(bytes_of "$M/api/orders/$ORDER" /dev/null "$COOKIE")
        [ "$code" = 200 ] || die "GET /api/orders/$ORDER answered $code"
        MOD=(http_point "$MODULE_WORKER" "$M/api/orders/$ORDER" "$COOKIE")
        LIM=(pg_point "$NORMAL" "SELECT api.order_get(:token, :id) AS body" -D "token=$TOKEN" -D "id=$ORDER")
        versus "GET /api/orders/{id}" "$size" "pgbench \`SELECT api.order_get(\$1, \$2)\`" "≥ 85 %"
    fi

    if wanted orders; then
        read -r code size < <(bytes_of "$M$ORDERS_PATH" /dev/null "$COOKIE")
        [ "$code" = 200 ] || die "GET $ORDERS_PATH answered $code"
        MOD=(http_point "$MODULE_WORKER" "$M$ORDERS_PATH" "$COOKIE")
        LIM=(pg_point "$NORMAL" "SELECT api.orders(:token, NULL, NULL, NULL, NULL, NULL, NULL::date, NULL::date, :page::integer, :per::integer) AS body" \
                      -D "token=$TOKEN" -D page=1 -D per=20)
        versus "GET /api/orders (my orders)" "$size" "pgbench \`SELECT api.orders(\$1, NULL…, 1, 20)\`" ""
    fi

    # --- the mixed load ---------------------------------------------------------------

    MIX=()
    if [ "$MIX_LEVELS" != none ]; then
        for level in 0 $MIX_LEVELS; do
            if [ "$level" -gt 0 ]; then
                BENCH_PATHS="/api/orders/$ORDER $ORDERS_PATH" wrk -t1 -c"$level" -d"$((SECS + 2))s" --latency \
                    -H "$COOKIE" -s "$work/alternate.lua" "$M/" >"$work/expensive.out" &
                expensive=$!
                # the expensive load running: its connections are open
                for _ in $(seq 100); do
                    [ "$(ss -Htn state established "( dport = :$PORT )" | wc -l)" -ge "$level" ] && break
                    sleep 0.05
                done
            fi
            wrk -t1 -c"$CHEAP_CONNS" -d"${SECS}s" --latency -s "$work/paced.lua" "$M/api/health" >"$work/health.out" &
            h=$!
            wrk -t1 -c"$CHEAP_CONNS" -d"${SECS}s" --latency -s "$work/paced.lua" "$M/api/projects" >"$work/projects.out" &
            p=$!
            wait "$h" "$p"
            read -r _ h_rps h_p50 h_p99 h_bad < <(wrk_parse "$work/health.out")
            read -r _ p_rps p_p50 p_p99 p_bad < <(wrk_parse "$work/projects.out")
            if [ "$level" -gt 0 ]; then
                wait "$expensive"
                read -r _ e_rps e_p50 e_p99 e_bad < <(wrk_parse "$work/expensive.out")
            else
                e_rps=-; e_p50=-; e_p99=-; e_bad=0
            fi
            bad=$((h_bad + p_bad + e_bad))
            MIX+=("| $level | $e_rps | $e_p50 | $e_p99 | $h_rps | $h_p50 | **$h_p99** | $p_rps | $p_p50 | **$p_p99** | $bad |")
        done
    fi

    # --- the report --------------------------------------------------------------------

    hdr_names() {
        curl -s -D - -o /dev/null ${2:+-H "$2"} "$1" | tr -d '\r' | sed -n '2,$p' | sed '/^$/d' \
            | awk -F': ' '{ n = tolower($1) } n == "date" || n == "etag" || n == "last-modified" || n == "content-length" { $2 = "…" } { print n ": " $2 }' | sort
    }
    head_diff=$({ diff <(hdr_names "$M/api/projects") <(hdr_names "$S/api/projects") || true; } \
                | awk '/^</ { sub(/^< /, ""); m = m (m ? "; " : "") $0 } /^>/ { sub(/^> /, ""); s = s (s ? "; " : "") $0 }
                       END { print "module only: " (m ? m : "none") ". stock only: " (s ? s : "none") "." }')

    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo "+changes" || true)
    echo
    echo "\`$COMMAND\` at $commit$dirty, $START; $(nproc) cores shared by nginx, PostgreSQL and the clients."
    echo "Each point ${SECS} s, the best req/s of $ROUNDS round(s) (module and limit in turn); wrk -t1 -c$CONNS; nginx 1 worker, module pool $POOL (certhall_db_reserved $RESERVED: $NORMAL for the normal statements); pgbench -M prepared -j $PGBENCH_JOBS on the same unix socket, -c $POOL for api.health(), -c $NORMAL for the others (the connections the module lets them have)."
    echo
    echo "| endpoint | bytes | module req/s | p50 ms | p99 ms | worker CPU µs/req | PG CPU µs/req | limit | limit req/s | p50 ms | p99 ms | worker CPU µs/req | PG CPU µs/req | module / limit | goal |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Headers of /api/projects, module against stock nginx (values of date, etag, last-modified, content-length left out): $head_diff"
    if [ ${#MIX[@]} -gt 0 ]; then
        echo
        echo "Mixed load: wrk -t1 -cN alternating GET /api/orders/{id} and GET /api/orders (the expensive side), while two wrk -t1 -c$CHEAP_CONNS clients time /api/health and /api/projects (each connection a request every $BENCH_CHEAP_INTERVAL ms), ${SECS} s each level. Goal: cheap p99 ≤ 5 ms, not growing with N."
        echo
        echo "| expensive clients N | expensive req/s | p50 ms | p99 ms | health req/s | p50 ms | p99 ms | projects req/s | p50 ms | p99 ms | non-2xx |"
        echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        printf '%s\n' "${MIX[@]}"
    fi
fi

# --- where the worker's time goes (BENCH_PROFILE=1) -------------------------------

# wrk on the order detail with a tracer attached to the module's worker:
# the requests it answered
traced_run() {
    wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -H "$COOKIE" "$M$PROFILE_PATH" >"$work/wrk.out"
    read -r n _ < <(wrk_parse "$work/wrk.out")
    [ "$n" -gt 0 ] || die "wrk answered nothing under the tracer: $(cat "$work/wrk.out")"
    echo "$n"
}

stop_tracer() {
    kill -INT "$1"
    wait "$1" || true
}

if [ -n "${BENCH_PROFILE:-}" ]; then
    PROFILE_PATH=${BENCH_PROFILE_PATH:-/api/orders/$ORDER}
    echo
    echo "Where the worker's time goes: GET $PROFILE_PATH, wrk -t1 -c$CONNS, ${SECS} s, \`perf record -g -F 999 -p WORKER\` (software clock: this machine has no hardware counters). Self time by library, then by function (nginx is stripped: its functions are addresses); µs/req is the share of the worker's CPU per request during that run."
    w0=$(cpu_ticks "$MODULE_WORKER")
    perf record -q -g -F 999 -p "$MODULE_WORKER" -o "$work/perf.data" 2>"$work/perf.err" &
    tracer=$!
    for _ in $(seq 100); do [ -s "$work/perf.data" ] && break; sleep 0.05; done
    n=$(traced_run)
    stop_tracer "$tracer"
    w1=$(cpu_ticks "$MODULE_WORKER")
    us=$(awk -v w="$((w1 - w0))" -v n="$n" -v hz="$HZ" 'BEGIN { printf "%.1f", w * 1e6 / hz / n }')
    echo
    echo "worker CPU under perf: $us µs/req over $n requests"
    for sort in dso dso,sym; do
        echo
        echo "| share | µs/req | ${sort/,/ | } |"
        echo "| ---: | ---: | --- |$([ "$sort" = dso,sym ] && echo ' --- |')"
        perf report -i "$work/perf.data" --stdio --no-children -g none --sort "$sort" --percent-limit 0.8 2>/dev/null \
            | grep -E '^ +[0-9.]+%' | head -30 \
            | awk -v us="$us" '{ p = $1; sub(/%/, "", p); $1 = ""; sub(/^ +/, "")
                               gsub(/  +/, " | "); printf "| %s %% | %.1f | %s |\n", p, p * us / 100, $0 }'
    done

    echo
    echo "System calls of the worker per request: the same load under \`strace -c -f -p WORKER\` (slower, the counts are what matter)."
    strace -c -f -p "$MODULE_WORKER" -o "$work/strace.out" 2>"$work/strace.err" &
    tracer=$!
    for _ in $(seq 100); do grep -q attached "$work/strace.err" 2>/dev/null && break; sleep 0.05; done
    n=$(traced_run)
    stop_tracer "$tracer"
    echo
    echo "| system call | calls/req |"
    echo "| --- | ---: |"
    awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { t += $4; printf "| %s | %.2f |\n", $NF, $4 / n }
                   END { printf "| all | %.2f |\n", t / n }' "$work/strace.out"
    echo
    echo "($n requests)"
fi

if grep -q '\[\(error\|alert\|crit\|emerg\)\]' "$work/module/logs/error.log"; then
    echo; echo "nginx logged errors:"; grep '\[\(error\|alert\|crit\|emerg\)\]' "$work/module/logs/error.log" | head
fi
