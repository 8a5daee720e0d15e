# Shell functions shared by scripts/run.sh (the local hall under var/) and
# t/bin/testenv (the throwaway test environment).  Source it; it sets no
# options of its own.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

die() { printf 'certhall: %s\n' "$*" >&2; exit 1; }

# PostgreSQL refuses to run as root; it runs as the postgres user, which
# must be able to reach the folder.
pg_as() { runuser -u postgres -- "$@"; }

# pg_init DIR: a new cluster in DIR/data whose unix socket lives in DIR.
pg_init() {
    local dir=$1
    mkdir -p "$dir"
    chmod 755 "$dir"
    chown postgres: "$dir"
    pg_as test -x "$dir" \
        || die "the postgres user cannot reach $dir: put the checkout where other users can traverse its parent folders"
    pg_as "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust \
        -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
}

# pg_start DIR [extra -c settings...]: starts the cluster of pg_init DIR,
# listening on its unix socket only.
pg_start() {
    local dir=$1; shift
    local opts="-c listen_addresses= -c port=5432 -c unix_socket_directories=$dir"
    local o
    for o in "$@"; do opts="$opts -c $o"; done
    pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w \
        -o "$opts" start >/dev/null \
        || { tail -20 "$dir/postgresql.log" >&2; die "PostgreSQL did not start"; }
}

pg_running() { pg_as "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1; }

# pg_stop DIR [mode]
pg_stop() {
    pg_running "$1" || return 0
    pg_as "$PG_BIN/pg_ctl" -D "$1/data" -m "${2:-fast}" -w stop >/dev/null
}

# pg_setup_db SOCKDIR DB ROLE: the application role (no superuser) owning
# the database; idempotent.
pg_setup_db() {
    local host=$1 db=$2 role=$3
    psql -X -q -h "$host" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -v role="$role" -v db="$db" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8''', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
}

# fcgi_start SOCKET PIDFILE [USER]: fcgiwrap, listening on SOCKET, owned by
# USER with mode 0600 so only nginx's workers (running as USER) reach it;
# without USER it stays with the caller (spawn-fcgi will not switch to root).
fcgi_start() {
    local sock=$1 pidfile=$2 user=${3:-}
    local as=()
    [ -n "$user" ] && as=(-U "$user" -u "$user")
    rm -f "$sock"                   # a stale socket makes spawn-fcgi fail
    spawn-fcgi -n -s "$sock" -M 0600 "${as[@]}" \
        -- /usr/sbin/fcgiwrap -f >/dev/null 2>&1 &
    echo $! >"$pidfile"
    local i
    for i in $(seq 100); do
        [ -S "$sock" ] && return 0
        sleep 0.02
    done
    die "fcgiwrap did not start"
}

# stop_pidfile PIDFILE: TERM the process and wait for it to go.
stop_pidfile() {
    local pidfile=$1 pid i
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -TERM "$pid" 2>/dev/null; then
        for i in $(seq 250); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.02
        done
    fi
    rm -f "$pidfile"
}
