#!/usr/bin/env bash
# make bench, part 3 (issue 6): the CPU one 2 MiB upload costs the module,
# against what stock nginx costs to receive the same body into a file plus
# what the two unavoidable pieces of work cost in standard tools (SHA-256:
# openssl dgst; decoding: djpeg -scale 1/8, or pngtopam for the PNG); and
# /api/health's latency while an upload burst fills the thread pool.
# Not a test: it prints figures (and PASS/FAIL against the issue's 1.25 as a
# figure); it fails only when it cannot measure (e.g. an upload refused).
# Run inside t/bin/testenv (bench/run.sh does), which provides the database.
# See bench/README.md for what each figure means.
#
# BENCH_UPLOADS (200): measured uploads per file, module
# BENCH_STOCK_UPLOADS (1000): measured uploads per file, stock nginx
# BENCH_UPLOAD_CONCURRENCY (4): the client's connections
# BENCH_UPLOAD_THREADS (2): the upload thread pool in the CPU runs
# BENCH_UPLOAD_ROUNDS (2): rounds of the CPU measurements (the lowest counts)
# BENCH_REF_RUNS (20): runs of each reference command per round (3 rounds)
# BENCH_HEALTH_SECONDS (10): each /api/health measurement
# BENCH_UPLOAD_DIR (/tmp): where the work folder is, with both nginx's
#   temporary files and the module's storage (its file system's costs are
#   in both figures: ext4 on this machine's /tmp; /dev/shm is tmpfs)
# BENCH_UPLOAD_PORT (19080): stock nginx; the module's nginx listens on +1
# BENCH_UPLOAD_PERF (0): 1 records the module's worker with perf during
#   the measured uploads and prints the top of the report per file
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N_MODULE=${BENCH_UPLOADS:-200}
N_STOCK=${BENCH_STOCK_UPLOADS:-1000}
CONC=${BENCH_UPLOAD_CONCURRENCY:-4}
THREADS=${BENCH_UPLOAD_THREADS:-2}
RUNS=${BENCH_REF_RUNS:-20}
ROUNDS=${BENCH_UPLOAD_ROUNDS:-2}
HEALTH_SECONDS=${BENCH_HEALTH_SECONDS:-10}
PORT_STOCK=${BENCH_UPLOAD_PORT:-19080}
PORT_MODULE=$((PORT_STOCK + 1))
PERF=${BENCH_UPLOAD_PERF:-0}
NGINX=/usr/sbin/nginx
MKSCAN=$ROOT/build/bin/mkscan
CLIENT=$ROOT/bench/upload-client.pl
TICK=$(getconf CLK_TCK)
MIB=2097152

: "${PGHOST:?run inside t/bin/testenv}"
[ -x "$MKSCAN" ] || { echo "upload bench: $MKSCAN is missing: make tools" >&2; exit 1; }
for tool in wrk djpeg pngtopam openssl; do
    command -v "$tool" >/dev/null || { echo "upload bench: $tool is missing: make deps" >&2; exit 1; }
done

W=$(mktemp -d "${BENCH_UPLOAD_DIR:-/tmp}/certhall-upload-bench.XXXXXX")
chmod 755 "$W"
BG_PIDS=()

cleanup() {
    local pid
    for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pidfile in "$W"/stock/nginx.pid "$W"/module/nginx.pid; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    sleep 0.3
    rm -rf "$W"
}
trap cleanup EXIT

# prints a command (on the script's stdout, whatever the command's is), then
# runs it
exec 3>&1
x() { printf '+ %s\n' "$*" >&3; "$@"; }

die() {
    echo "upload bench: $*" >&2
    if [ -f "$W/module/logs/error.log" ]; then
        grep '\[\(error\|alert\|crit\|emerg\)\]' "$W/module/logs/error.log" | tail -5 >&2 || true
    fi
    exit 1
}

# --- the files -------------------------------------------------------------

echo
echo "certhall upload bench (issue 6): $(nproc) cores shared by nginx, the client, PostgreSQL"
echo "work folder $W ($(findmnt -n -o FSTYPE -T "$W" 2>/dev/null || stat -f -c %T "$W"): nginx's temporary files and the module's storage)"
echo
echo "== the files"
cd "$W"
x "$MKSCAN" jpg color 4000 3000 --quality 98 >scan.jpg
# a 12 MP page compresses to 66 kB as a PNG, or to 11 MB with +-1 noise:
# a PNG close to 2 MiB of real (not padded) content is 2.1 MP with the noise
x "$MKSCAN" png color 1750 1200 --noise 1 >scan.png
x "$MKSCAN" jpg color 4000 3000 --quality 98 --seed 6 >pdf-image.jpg
x perl -I"$ROOT/t/lib" -MCerthall::Pdf -e '
    open my $f, "<:raw", "pdf-image.jpg" or die; local $/; my $j = <$f>;
    binmode STDOUT; print Certhall::Pdf::scan_pdf($j, 4000, 3000)' >scan.pdf
# the no-op inputs of the reference commands (start-up and library set-up)
"$MKSCAN" jpg color 16 16 >tiny.jpg
"$MKSCAN" png color 16 16 >tiny.png

FILES=(jpg png pdf)
declare -A DESC KIND TYPE DECODE_CMD DECODE_NOOP
DESC[jpg]="JPEG 4000x3000 q98"
DESC[png]="PNG 1750x1200 noise 1"
DESC[pdf]="PDF of a JPEG 4000x3000 q98"
KIND[jpg]=legal_id_front; KIND[png]=legal_id_back; KIND[pdf]=application_form
TYPE[jpg]=image/jpeg; TYPE[png]=image/png; TYPE[pdf]=application/pdf
DECODE_CMD[jpg]="djpeg -scale 1/8 scan.jpg"
DECODE_CMD[png]="pngtopam scan.png"
DECODE_CMD[pdf]="djpeg -scale 1/8 pdf-image.jpg"
DECODE_NOOP[jpg]="djpeg -scale 1/8 tiny.jpg"
DECODE_NOOP[png]="pngtopam tiny.png"
DECODE_NOOP[pdf]="djpeg -scale 1/8 tiny.jpg"

for f in "${FILES[@]}"; do
    size=$(stat -c %s "scan.$f")
    [ "$size" -le $MIB ] || die "scan.$f is $size bytes, over 2 MiB"
    printf '  scan.%s  %-30s %9d bytes (%.3f MiB)\n' "$f" "${DESC[$f]}" "$size" \
        "$(awk -v s="$size" 'BEGIN { print s / 1048576 }')"
    # the multipart body a browser sends (t/lib/Certhall/Upload.pm)
    perl -I"$ROOT/t/lib" -MCerthall::Upload -e '
        open my $f, "<:raw", $ARGV[0] or die; local $/; my $b = <$f>;
        binmode STDOUT; print file_body($b, $ARGV[0], $ARGV[1])' "scan.$f" "${TYPE[$f]}" >"body.$f"
done
BOUNDARY=$(perl -I"$ROOT/t/lib" -MCerthall::Upload -e 'print $Certhall::Upload::BOUNDARY')
MULTIPART="Content-Type: multipart/form-data; boundary=$BOUNDARY"

# --- the module's nginx and its fixtures ----------------------------------

# one account and session; ORDERS drafts with their information, so that no
# two uploads at the same time go to the same order and kind (the client's
# connection c uploads to order c)
PHONE=13999990001
ORDERS=64
ORDER_PREFIX=UO2026112199000000      # + 01 .. 64
SESSION=BenchUploadSession$(printf 'x%.0s' $(seq 25))
CSRF=BenchUploadCsrf$(printf 'y%.0s' $(seq 28))
AUTH=("Cookie: certhall_session=$SESSION" "X-CSRF-Token: $CSRF")

psql -X -q -v ON_ERROR_STOP=1 <<SQL
INSERT INTO accounts (phone, realname_status, realname_name, realname_id_masked, realname_verified_at)
VALUES ('$PHONE', 'verified', '张三', '1101**********002X', now());
INSERT INTO sessions (token_hash, account_id, csrf_token)
SELECT token_hash('$SESSION'), id, '$CSRF' FROM accounts WHERE phone = '$PHONE';
INSERT INTO orders (id, account_id, project_code, service, cert_type)
SELECT '$ORDER_PREFIX' || lpad(g::text, 2, '0'), a.id, 'xiangtan_ggzy', 'new', 'org'
FROM accounts a, generate_series(1, $ORDERS) g WHERE a.phone = '$PHONE';
INSERT INTO order_events (order_id, to_state, actor_kind, actor_id)
SELECT id, 'draft', 'applicant', account_id FROM orders WHERE id LIKE '$ORDER_PREFIX%';
INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name, person_id_masked,
                        person_id_digest, person_id_sealed, mobile, email)
SELECT id, '湖南示例科技有限公司', '91350100M000100Y43', '李四', '张三', '1101**********002X',
       repeat('d', 64), 'v1.' || repeat('A', 60), '13800138000', 'a@example.com'
FROM orders WHERE id LIKE '$ORDER_PREFIX%';
SQL

# module_start POOL_THREADS: nginx with the module, one worker
module_start() {
    mkdir -p "$W/module/logs" "$W/module/conf" "$W/storage"
    cat >"$W/module/conf/nginx.conf" <<CONF
load_module $ROOT/build/ngx_http_certhall_module.so;
user root root;
worker_processes 1;
pid $W/module/nginx.pid;
error_log $W/module/logs/error.log notice;
thread_pool uploads threads=$1 max_queue=1024;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $W/module/body;
    certhall_db "host=$PGHOST dbname=$PGDATABASE user=$PGUSER application_name=$APP";
    certhall_db_pool_size 4;
    certhall_storage $W/storage;
    certhall_upload_thread_pool uploads;
    server {
        listen 127.0.0.1:$PORT_MODULE backlog=1024;
        location /api/ {
            certhall;
            client_max_body_size 0;
            client_body_buffer_size 256k;
        }
        location /_certhall/files/ {
            internal;
            alias $W/storage/;
        }
    }
}
CONF
    x "$NGINX" -p "$W/module/" -c conf/nginx.conf
    wait_health "http://127.0.0.1:$PORT_MODULE/api/health" || die "the module's nginx does not answer"
}

module_stop() {
    kill "$(cat "$W/module/nginx.pid")"
    while [ -f "$W/module/nginx.pid" ]; do sleep 0.05; done
}

wait_health() {
    local i
    for i in $(seq 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.05; done
    return 1
}

# the worker process of the nginx whose pid file is $1
worker_pid() {
    local master
    master=$(cat "$1")
    ps -o pid= --ppid "$master" | awk 'NR == 1 { print $1 }'
}

# utime + stime of every thread of process $1 (exited ones too), in ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# the CPU of the module's database sessions (this nginx's: named $APP), in
# ticks
APP=certhall-bench-upload
db_pids() {
    psql -X -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$APP'"
}
db_ticks() {
    local pid t=0
    for pid in $(db_pids); do t=$((t + $(cpu_ticks "$pid"))); done
    echo "$t"
}

# upload_path FILE [ORDER]: ORDER is 01 .. 64, or the client's %c
upload_path() { echo "/api/orders/$ORDER_PREFIX${2:-01}/materials/${KIND[$1]}"; }

echo
echo "== the module accepts each file (201)"
module_start "$THREADS"
for f in "${FILES[@]}"; do
    status=$(curl -s -o "$W/answer.$f" -w '%{http_code}' -X POST --data-binary "@body.$f" \
        -H "$MULTIPART" -H "${AUTH[0]}" -H "${AUTH[1]}" "http://127.0.0.1:$PORT_MODULE$(upload_path "$f")")
    echo "  POST $(upload_path "$f") scan.$f: $status $(head -c 160 "$W/answer.$f")"
    [ "$status" = 201 ] || die "the module refused scan.$f ($status): $(cat "$W/answer.$f")"
done


# --- the reference commands -----------------------------------------------

# ref_cpu COMMAND...: user+sys CPU per run in ms over RUNS runs, process
# start-up included (bash's time: getrusage of the children)
ref_cpu() {
    local t i
    t=$( { TIMEFORMAT='%3U %3S'; time { for ((i = 0; i < RUNS; i++)); do "$@" >/dev/null 2>&1; done; }; } 2>&1 )
    awk -v t="$t" -v n="$RUNS" 'BEGIN { split(t, a, " "); printf "%.3f\n", (a[1] + a[2]) * 1000 / n }'
}

minof() { printf '%s\n' "$@" | sort -g | head -1; }

# ref_row COMMAND -- NOOP-COMMAND: the lowest of 3 rounds (of RUNS runs
# each) for each, in turn; prints the row, sets REF_NET
ref_row() {
    local cmd=() noop=() g=() n=() gross nop r
    while [ "$1" != -- ]; do cmd+=("$1"); shift; done
    shift
    noop=("$@")
    for r in 1 2 3; do
        g+=("$(ref_cpu "${cmd[@]}")")
        n+=("$(ref_cpu "${noop[@]}")")
    done
    gross=$(minof "${g[@]}")
    nop=$(minof "${n[@]}")
    REF_NET=$(awk -v a="$gross" -v b="$nop" 'BEGIN { printf "%.3f", a - b }')
    printf '  %-34s %8s   %-32s %8s %8s\n' "${cmd[*]}" "$gross" "${noop[*]}" "$nop" "$REF_NET"
}

echo
echo "== reference commands: user+sys CPU in ms per run (mean of $RUNS runs, lowest of 3 such rounds),"
echo "   process start-up included; the no-op is the same program on an empty or 16x16 input;"
echo "   net = run - no-op"
printf '  %-34s %8s   %-32s %8s %8s\n' "command" "ms/run" "no-op" "ms/run" "net ms"
printf '  %-34s %8s\n' "/bin/true (a bare process start)" "$(minof "$(ref_cpu /bin/true)" "$(ref_cpu /bin/true)" "$(ref_cpu /bin/true)")"
declare -A SHA_NET DEC_NET
for f in "${FILES[@]}"; do
    ref_row openssl dgst -sha256 "scan.$f" -- openssl dgst -sha256 /dev/null
    SHA_NET[$f]=$REF_NET
done
for f in "${FILES[@]}"; do
    # shellcheck disable=SC2086
    ref_row ${DECODE_CMD[$f]} -- ${DECODE_NOOP[$f]}
    DEC_NET[$f]=$REF_NET
done

# --- stock nginx and the module: CPU per upload ----------------------------

mkdir -p "$W/stock/logs" "$W/stock/conf" "$W/stock/dav/b256k" "$W/stock/dav/b4m"
cat >"$W/stock/conf/nginx.conf" <<CONF
user root root;
worker_processes 1;
pid $W/stock/nginx.pid;
error_log $W/stock/logs/error.log notice;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $W/stock/body;
    root $W/stock/dav;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$PORT_STOCK backlog=1024;
        # ngx_http_dav_module's PUT: reads the body into a temporary file
        # (it sets request_body_in_file_only itself), renames it to the
        # URI's file and answers 201 (new) or 204 (replaced)
        location /b256k/ { dav_methods PUT; client_body_buffer_size 256k; }
        location /b4m/   { dav_methods PUT; client_body_buffer_size 4m; }
        location = /ping { return 204; }
    }
}
CONF
echo
echo "== CPU per upload: stock nginx (the same $NGINX, no module): DAV PUT of the same multipart"
echo "   bodies; the module: POST $(upload_path jpg NN) (png: legal_id_back,"
echo "   pdf: application_form; NN: the client's connection), one worker,"
echo "   thread_pool uploads threads=$THREADS; $ROUNDS rounds"
x "$NGINX" -p "$W/stock/" -c conf/nginx.conf
wait_health "http://127.0.0.1:$PORT_STOCK/ping" || die "stock nginx does not answer"
STOCK_WORKER=$(worker_pid "$W/stock/nginx.pid")
MODULE_WORKER=$(worker_pid "$W/module/nginx.pid")

# measure NAME WORKER_PID COUNT DB(0/1) CLIENT-ARGS...: keeps, per NAME, the
# round with the lowest worker CPU per upload: BEST[NAME] (ms), its
# BRATE[NAME] (uploads/s) and BDB[NAME] (the database sessions' CPU per
# upload, ms), and every round's figure in ALL[NAME]
declare -A BEST BRATE BDB ALL
measure() {
    local name=$1 wpid=$2 count=$3 db=$4 c0 c1 d0=0 d1=0 out perf_pid= cpu dbms rate
    shift 4
    if [ "$PERF" = 1 ] && [ "$db" = 1 ] && [ "$ROUND" = 1 ]; then
        perf record -q -g -o "$W/perf.$name.data" -p "$wpid" 2>/dev/null &
        perf_pid=$!
        BG_PIDS+=("$perf_pid")
        sleep 0.5
    fi
    sleep 0.2
    [ "$db" = 1 ] && d0=$(db_ticks)
    c0=$(cpu_ticks "$wpid")
    out=$(perl "$CLIENT" "$@") || die "$name: the client failed"
    sleep 0.3   # the last request's clean-up, after its answer
    c1=$(cpu_ticks "$wpid")
    [ "$db" = 1 ] && d1=$(db_ticks)
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid"; wait "$perf_pid" || true
        BG_PIDS=()
    fi
    cpu=$(awk -v a="$c0" -v b="$c1" -v n="$count" -v t="$TICK" 'BEGIN { printf "%.3f", (b - a) * 1000 / t / n }')
    dbms=$(awk -v a="$d0" -v b="$d1" -v n="$count" -v t="$TICK" 'BEGIN { printf "%.3f", (b - a) * 1000 / t / n }')
    rate=$(echo "$out" | sed -n 's/.*(\([0-9]*\)\/s).*/\1/p')
    printf '  round %d %-22s %s; worker CPU %s ms/upload\n' "$ROUND" "$name" "$out" "$cpu"
    ALL[$name]="${ALL[$name]:+${ALL[$name]} }$cpu"
    if [ -z "${BEST[$name]:-}" ] || awk -v a="$cpu" -v b="${BEST[$name]}" 'BEGIN { exit !(a < b) }'; then
        BEST[$name]=$cpu; BRATE[$name]=$rate; BDB[$name]=$dbms
    fi
}

# warm-up (not measured): the file system's and the database's first rounds
# are slower
for f in "${FILES[@]}"; do
    perl "$CLIENT" PUT "$PORT_STOCK" "/b256k/$f-%c" "body.$f" 100 "$CONC" >/dev/null \
        || die "stock nginx refused body.$f"
    perl "$CLIENT" POST "$PORT_MODULE" "$(upload_path "$f" %c)" "body.$f" 10 "$CONC" \
        "$MULTIPART" "${AUTH[@]}" >/dev/null || die "the module refused body.$f"
done

for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
    for f in "${FILES[@]}"; do
        for b in 256k 4m; do
            args=(PUT "$PORT_STOCK" "/b$b/$f-%c" "body.$f" "$N_STOCK" "$CONC")
            [ $ROUND = 1 ] && printf >&3 '+ perl %s %s\n' "$CLIENT" "${args[*]}"
            measure "stock $b $f" "$STOCK_WORKER" "$N_STOCK" 0 "${args[@]}"
        done
        args=(POST "$PORT_MODULE" "$(upload_path "$f" %c)" "body.$f" "$N_MODULE" "$CONC")
        [ $ROUND = 1 ] && printf >&3 '+ perl %s %s "%s" "%s" "%s"\n' "$CLIENT" "${args[*]}" "$MULTIPART" "${AUTH[@]}"
        measure "module $f" "$MODULE_WORKER" "$N_MODULE" 1 "${args[@]}" "$MULTIPART" "${AUTH[@]}"
    done
done
kill "$(cat "$W/stock/nginx.pid")"
if grep -q '\[\(error\|alert\|crit\|emerg\)\]' "$W/module/logs/error.log"; then
    echo "  the module's nginx logged errors:"; grep '\[\(error\|alert\|crit\|emerg\)\]' "$W/module/logs/error.log" | head -5
fi

if [ "$PERF" = 1 ]; then
    for f in "${FILES[@]}"; do
        echo
        echo "== perf: the module's worker during round 1's scan.$f uploads (self time, by library,"
        echo "   then by symbol; Debian's libjpeg and libpng have no symbols: addresses)"
        { x perf report -i "$W/perf.module $f.data" --stdio --no-children -g none --sort dso \
              2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
          x perf report -i "$W/perf.module $f.data" --stdio --no-children -g none --sort dso,symbol \
              2>/dev/null | grep -v '^#' | grep -v '^$' | head -25; } || true
    done
fi

echo
echo "== CPU per 2 MiB upload, ms: stock and module, the nginx worker's utime+stime (all threads)"
echo "   over $N_STOCK / $N_MODULE uploads, lowest of $ROUNDS rounds; sha256 and decode: the reference"
echo "   commands, net of start-up"
printf '  %-5s %8s %8s %8s %8s %8s %9s %8s %8s  %-6s %s\n' \
    file "stock4m" "stock" "sha256" "decode" "sum" "1.25xsum" "module" "mod/sum" "<=1.25" "module, each round"
for f in "${FILES[@]}"; do
    awk -v f="$f" -v s4="${BEST[stock 4m $f]}" -v s="${BEST[stock 256k $f]}" -v h="${SHA_NET[$f]}" \
        -v d="${DEC_NET[$f]}" -v m="${BEST[module $f]}" -v all="${ALL[module $f]}" 'BEGIN {
        sum = s + h + d
        printf "  %-5s %8.3f %8.3f %8.3f %8.3f %8.3f %9.3f %8.3f %8.2f  %-6s %s\n",
            f, s4, s, h, d, sum, 1.25 * sum, m, m / sum, (m <= 1.25 * sum ? "PASS" : "FAIL"), all }'
done
echo "  stock: client_body_buffer_size 256k, as the module's location; stock4m: 4m, for reference;"
echo "  decode: djpeg -scale 1/8 (jpg; pdf: of its embedded JPEG), pngtopam (png: a full decode);"
echo "  sum = stock + sha256 + decode"
echo
printf '  %-5s %12s %14s %12s %18s\n' file "stock up/s" "stock4m up/s" "module up/s" "PostgreSQL ms/up"
for f in "${FILES[@]}"; do
    printf '  %-5s %12s %14s %12s %18s\n' "$f" "${BRATE[stock 256k $f]}" "${BRATE[stock 4m $f]}" \
        "${BRATE[module $f]}" "${BDB[module $f]}"
done
echo "  uploads/s with $CONC connections, the client on the same $(nproc) cores (not a limit of nginx);"
echo "  PostgreSQL: the CPU of the module's database sessions per upload, not in the module's figure"

# --- /api/health under an upload burst --------------------------------------

# wrk output file -> "req/s p50 p99 max non2xx" (latencies in ms)
wrk_summary() {
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
        /^ +Latency +[0-9]/ { max = ms($4) }
        /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        END { printf "%.0f %.2f %.2f %.2f %d\n", rps, p50, p99, max, bad }' "$1"
}

cat >"$W/upload.lua" <<LUA
local f = assert(io.open("$W/body.jpg", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=$BOUNDARY"
wrk.headers["Cookie"] = "certhall_session=$SESSION"
wrk.headers["X-CSRF-Token"] = "$CSRF"
-- the $ORDERS orders in turn: never two uploads to one order at a time
local n = 0
request = function()
    n = n + 1
    return wrk.format(nil, string.format("/api/orders/$ORDER_PREFIX%02d/materials/${KIND[jpg]}", n % $ORDERS + 1))
end
LUA

# the machine's busy CPU (all cores, in cores), and the worker's event loop
# (its main thread) and thread pool (its other threads), in ms per second
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
loop_ticks() { awk '{ print $14 + $15 }' "/proc/$1/task/$1/stat"; }

declare -A BUSY LOOP POOL
# health_run NAME: the health measurement into $W/health.NAME, with the CPU
# figures of its duration
health_run() {
    local m0 m1 l0 l1 p0 p1 t0 t1
    read -r m0 t0 < <(machine_ticks); l0=$(loop_ticks "$WORKER"); p0=$(cpu_ticks "$WORKER")
    x "${HEALTH_WRK[@]}" >"$W/health.$1"
    read -r m1 t1 < <(machine_ticks); l1=$(loop_ticks "$WORKER"); p1=$(cpu_ticks "$WORKER")
    BUSY[$1]=$(awk -v a="$m0" -v b="$m1" -v c="$t0" -v d="$t1" -v n="$(nproc)" 'BEGIN { printf "%.2f", n * (b - a) / (d - c) }')
    LOOP[$1]=$(awk -v a="$l0" -v b="$l1" -v t="$TICK" -v s="$HEALTH_SECONDS" 'BEGIN { printf "%.0f", (b - a) * 1000 / t / s }')
    POOL[$1]=$(awk -v a="$p0" -v b="$p1" -v c="$l0" -v d="$l1" -v t="$TICK" -v s="$HEALTH_SECONDS" 'BEGIN { printf "%.0f", ((b - a) - (d - c)) * 1000 / t / s }')
}

echo
echo "== /api/health while uploads fill the thread pool: one worker, thread_pool uploads threads=1"
module_stop
module_start 1
WORKER=$(worker_pid "$W/module/nginx.pid")
HEALTH_URL="http://127.0.0.1:$PORT_MODULE/api/health"
HEALTH_WRK=(wrk -t1 -c4 -d"${HEALTH_SECONDS}s" --latency "$HEALTH_URL")
BURST_WRK=(wrk -t1 -c16 -d"$((HEALTH_SECONDS + 3))s" --latency -s "$W/upload.lua" "http://127.0.0.1:$PORT_MODULE/")

health_run alone

printf '+ %s &\n' "${BURST_WRK[*]}"
"${BURST_WRK[@]}" >"$W/burst.uploads" &
burst=$!
BG_PIDS+=("$burst")
sleep 2     # the queue fills
health_run burst
wait "$burst" || die "the upload burst's wrk failed"
BG_PIDS=()

# the contrast: CPU load that never touches nginx, on one core, then on two
for n in 1 2; do
    for ((i = 0; i < n; i++)); do
        echo "+ while :; do djpeg -scale 1/8 scan.jpg >/dev/null; done &"
        ( while :; do djpeg -scale 1/8 scan.jpg >/dev/null; done ) &
        BG_PIDS+=($!)
    done
    sleep 1
    health_run "cpu$n"
    kill "${BG_PIDS[@]}"; wait "${BG_PIDS[@]}" 2>/dev/null || true
    BG_PIDS=()
done

echo
printf '  %-44s %7s %7s %7s %7s %7s %6s %6s %6s\n' "GET /api/health, wrk -t1 -c4 ${HEALTH_SECONDS}s" \
    "req/s" "p50 ms" "p99 ms" "max ms" "non-2xx" "cores" "loop" "pool"
for run in alone burst cpu1 cpu2; do
    read -r rps p50 p99 max bad < <(wrk_summary "$W/health.$run")
    case $run in
        alone) what="alone" ;;
        burst) what="during the upload burst (wrk -c16, scan.jpg)" ;;
        cpu1)  what="during 1 djpeg loop (CPU only, no nginx)" ;;
        cpu2)  what="during 2 djpeg loops (CPU only, no nginx)" ;;
    esac
    printf '  %-44s %7s %7s %7s %7s %7s %6s %6s %6s\n' "$what" "$rps" "$p50" "$p99" "$max" "$bad" \
        "${BUSY[$run]}" "${LOOP[$run]}" "${POOL[$run]}"
done
echo "  cores: the machine's busy CPU over the run (of $(nproc)); loop, pool: the worker's event loop"
echo "  (main thread) and thread pool, CPU ms per second"
read -r rps p50 p99 max bad < <(wrk_summary "$W/burst.uploads")
echo "  the burst: $rps uploads/s (201), $bad non-2xx; upload latency p50 $p50 ms, p99 $p99 ms"
if grep -q '\[\(alert\|crit\|emerg\)\]' "$W/module/logs/error.log"; then
    echo "  the module's nginx logged:"; grep '\[\(alert\|crit\|emerg\)\]' "$W/module/logs/error.log" | head -5
fi
