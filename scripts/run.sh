#!/usr/bin/env bash
# The local hall under var/: `make run` (start), `make stop`, `make migrate`.
#
# start: a PostgreSQL cluster in var/pg (created once, reused later), the
# migrations and demo data, development secrets in var/secrets, nginx with
# the module (prefix var/nginx, config from conf/nginx.conf.in), fcgiwrap
# for the back office, and three doubles: t/bin/alipay-gateway, Alipay's
# gateway the hall pays with, t/bin/sms-gateway, the SMS gateway
# certhall-admin sms-send posts the codes to, and t/bin/tax-platform, the
# tax platform (HTTPS, a test CA of its own in var/einvoice-ca) that
# certhall-admin invoice-send asks for the e-invoices; once all is up, one
# invoice-send issues the demo orders' invoices.  Running it again reloads
# nginx and starts only what is not running.  stop: stops exactly those.
#
# join HALL: another machine of the hall under HALL (a var folder that
# start made), in CERTHALL_VAR on CERTHALL_PORT, as a second machine
# behind a load balancer would be (README.md, "Several machines"): its own
# nginx (prefix, logs, temp paths, pid), fcgiwrap and admin.conf (its
# host_name), on HALL's database and HALL's storage, with copies of HALL's
# secrets, and the external systems HALL's doubles play.  Running it again
# copies the secrets again and reloads; stop stops its nginx and fcgiwrap.
#
# CERTHALL_HOST_NAME: the name the jobs' runs are recorded under
# (admin.conf's host_name); for join, <hostname>-<port> when not given, so
# that two machines of one computer are told apart.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${CERTHALL_VAR:-$ROOT/var}     # tests run a hall of their own elsewhere
BUILD=$ROOT/build
PORT=${CERTHALL_PORT:-8080}
HOST_NAME=${CERTHALL_HOST_NAME:-}

. "$ROOT/scripts/lib.sh"

# What the machines of a hall share: the database (its socket folder) and
# the storage; a machine joining HALL (join) uses HALL's, and the doubles
# HALL started, on HALL's ports
HALL=$VAR
HALL_PORT=$PORT
if [ "${1:-}" = join ]; then
    [ -n "${2:-}" ] || { echo "usage: $0 join HALL" >&2; exit 2; }
    HALL=$(cd "$2" 2>/dev/null && pwd) || die "no hall under $2"
    [ "$HALL" != "$(mkdir -p "$VAR" && cd "$VAR" && pwd)" ] \
        || die "CERTHALL_VAR is the hall's own folder: give the joining machine a folder of its own"
    # the port the hall listens on, from the nginx.conf start wrote there
    HALL_PORT=$(sed -n 's/^ *listen 127\.0\.0\.1:\([0-9]*\);$/\1/p' "$HALL/nginx/conf/nginx.conf" 2>/dev/null | head -1)
    [ -n "$HALL_PORT" ] || die "no hall under $HALL (no $HALL/nginx/conf/nginx.conf): start it first"
    [ "$HALL_PORT" != "$PORT" ] || die "CERTHALL_PORT is the hall's own port ($PORT): give the joining machine a port of its own"
    HOST_NAME=${HOST_NAME:-$(hostname)-$PORT}
fi
PG_DIR=$HALL/pg
STORAGE=$HALL/storage

# the double of Alipay's gateway listens next to the hall; the app id and
# PID are the local hall's own (Alipay gives the real ones)
ALIPAY_PORT=$((HALL_PORT + 3))
ALIPAY_ORIGIN=http://127.0.0.1:$ALIPAY_PORT
ALIPAY_GATEWAY=$ALIPAY_ORIGIN/gateway.do?charset=utf-8
ALIPAY_APP_ID=2021000000000001
ALIPAY_SELLER_ID=2088000000000001
# and the double of the SMS gateway, which certhall-admin sms-send posts to
SMS_PORT=$((HALL_PORT + 4))
# and the double of the tax platform (HTTPS), which certhall-admin
# invoice-send asks for the e-invoices; the app key is the hall's own (the
# platform's provider gives the real one), the secret is in var/secrets
TAX_PORT=$((HALL_PORT + 5))
TAX_URL=https://127.0.0.1:$TAX_PORT/fpkj
TAX_APP_KEY=certhall-local
WORKER_USER=nobody
WORKER_GROUP=nogroup
DB=certhall
ROLE=certhall

NGINX=(/usr/sbin/nginx -p "$VAR/nginx/" -c conf/nginx.conf)

psql_app() {
    PGPASSFILE=$VAR/secrets/pgpass psql -X -q -h "$VAR/pg" -U "$ROLE" -d "$DB" \
        -v ON_ERROR_STOP=1 "$@"
}

secrets() {
    mkdir -p "$VAR/secrets"
    chmod 700 "$VAR/secrets"

    # the application role's database password, in a libpq password file:
    # libpq ignores one readable by others, and nginx's workers and the CGI
    # run as $WORKER_USER, so that user owns it
    if [ ! -s "$VAR/secrets/pgpass" ]; then
        umask 077
        printf '*:*:%s:%s:%s\n' "$DB" "$ROLE" "$(openssl rand -hex 24)" \
            >"$VAR/secrets/pgpass.tmp"
        mv "$VAR/secrets/pgpass.tmp" "$VAR/secrets/pgpass"
        umask 022
    fi
    chown "$WORKER_USER:$WORKER_GROUP" "$VAR/secrets/pgpass"
    chmod 600 "$VAR/secrets/pgpass"

    # the secret shared with the real-name provider (HMAC-SHA256 of the QR
    # payloads and callbacks): nginx's master reads it at start, as root
    if [ ! -s "$VAR/secrets/realname.secret" ]; then
        umask 077
        openssl rand -hex 32 >"$VAR/secrets/realname.secret.tmp"
        mv "$VAR/secrets/realname.secret.tmp" "$VAR/secrets/realname.secret"
        umask 022
    fi
    chown root:root "$VAR/secrets/realname.secret"
    chmod 600 "$VAR/secrets/realname.secret"

    # the key that seals applicants' ID numbers in the database
    # (certhall_data_key); losing it loses them, so it is never replaced
    if [ ! -s "$VAR/secrets/data.key" ]; then
        umask 077
        openssl rand -hex 32 >"$VAR/secrets/data.key.tmp"
        mv "$VAR/secrets/data.key.tmp" "$VAR/secrets/data.key"
        umask 022
    fi
    chown root:root "$VAR/secrets/data.key"
    chmod 600 "$VAR/secrets/data.key"

    # Alipay's RSA2 key pairs: the merchant's (nginx's master reads the
    # private key at start, as root; certhall-admin alipay-sync too) and the
    # one the double signs with as Alipay, whose public key the hall trusts
    local k
    for k in merchant alipay; do
        if [ ! -s "$VAR/secrets/$k.key" ] || [ ! -s "$VAR/secrets/$k.pub" ]; then
            umask 077
            openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
                -out "$VAR/secrets/$k.key.tmp" 2>/dev/null \
                || die "could not generate the $k key pair"
            openssl pkey -in "$VAR/secrets/$k.key.tmp" -pubout -out "$VAR/secrets/$k.pub.tmp"
            mv "$VAR/secrets/$k.key.tmp" "$VAR/secrets/$k.key"
            mv "$VAR/secrets/$k.pub.tmp" "$VAR/secrets/$k.pub"
            umask 022
        fi
        chown root:root "$VAR/secrets/$k.key" "$VAR/secrets/$k.pub"
        chmod 600 "$VAR/secrets/$k.key"
        chmod 644 "$VAR/secrets/$k.pub"
    done
    # the bearer token of the SMS gateway (its double here), which
    # certhall-admin sms-send reads, as root
    if [ ! -s "$VAR/secrets/sms-gateway.token" ]; then
        umask 077
        openssl rand -hex 24 >"$VAR/secrets/sms-gateway.token.tmp"
        mv "$VAR/secrets/sms-gateway.token.tmp" "$VAR/secrets/sms-gateway.token"
        umask 022
    fi
    chown root:root "$VAR/secrets/sms-gateway.token"
    chmod 600 "$VAR/secrets/sms-gateway.token"
    # the secret the requests to the tax platform are signed with
    # (HMAC-SHA256), which certhall-admin invoice-send reads: it runs as
    # $WORKER_USER, who owns the storage it puts the invoices in (a root
    # run would leave root's files and folders there, which the workers
    # can neither serve nor add to)
    if [ ! -s "$VAR/secrets/einvoice.secret" ]; then
        umask 077
        openssl rand -hex 32 >"$VAR/secrets/einvoice.secret.tmp"
        mv "$VAR/secrets/einvoice.secret.tmp" "$VAR/secrets/einvoice.secret"
        umask 022
    fi
    chown "$WORKER_USER:$WORKER_GROUP" "$VAR/secrets/einvoice.secret"
    chmod 600 "$VAR/secrets/einvoice.secret"

    # the workers reach the password file through this folder
    chown "$WORKER_USER:$WORKER_GROUP" "$VAR/secrets"
}

database() {
    if [ ! -d "$VAR/pg/data" ]; then
        echo "creating the PostgreSQL cluster in $VAR/pg"
        pg_init "$VAR/pg"
        # the superuser only for the postgres system user; the application
        # role with its password
        cat >"$VAR/pg/data/pg_hba.conf" <<'HBA'
local   all   postgres                 peer
local   all   all                      scram-sha-256
HBA
    fi

    pg_running "$VAR/pg" || pg_start "$VAR/pg"

    local password
    password=$(cut -d: -f5 "$VAR/secrets/pgpass")
    pg_as psql -X -q -h "$VAR/pg" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -v role="$ROLE" -v db="$DB" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8''', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL

    PGPASSFILE=$VAR/secrets/pgpass "$ROOT/sql/migrate" -h "$VAR/pg" -U "$ROLE" -d "$DB"
    if [ -f "$ROOT/sql/demo.sql" ]; then psql_app -f "$ROOT/sql/demo.sql"; fi
}

admin_conf() {
    cat >"$VAR/admin.conf.tmp" <<CONF
# written by scripts/run.sh
db = host=$PG_DIR dbname=$DB user=$ROLE passfile=$VAR/secrets/pgpass connect_timeout=5
${HOST_NAME:+host_name = $HOST_NAME
}# certhall-admin alipay-sync, against the double (run it as root: the
# merchant's key is root's)
alipay_gateway = $ALIPAY_GATEWAY
alipay_app_id = $ALIPAY_APP_ID
alipay_seller_id = $ALIPAY_SELLER_ID
alipay_private_key = $VAR/secrets/merchant.key
alipay_public_key = $VAR/secrets/alipay.pub
# certhall-admin sms-send, against the double
sms_gateway_url = http://127.0.0.1:$SMS_PORT/send
sms_gateway_token_file = $VAR/secrets/sms-gateway.token
# the 下载中心's files, in the module's certhall_storage
storage = $STORAGE
download_max_size = 64m
# certhall-admin invoice-send, against the double of the tax platform,
# whose certificate the test CA of var/einvoice-ca signed; the seller is
# the demo CA's company (the real one: its 税务登记)
einvoice_url = $TAX_URL
einvoice_app_key = $TAX_APP_KEY
einvoice_secret_file = $VAR/secrets/einvoice.secret
einvoice_ca_file = $HALL/einvoice-ca/ca.crt
einvoice_timeout = 10
einvoice_schema = $ROOT/schema/fpkj.xsd
seller_taxpayer_id = 91430100MA4L0DEM0C
seller_name = 湖南示例数字认证有限公司
seller_address_phone = 长沙市岳麓区麓谷大道658号 0731-88880000
seller_bank_account = 中国工商银行长沙麓谷支行 1901000009200000000
einvoice_issuer = 王开票
einvoice_payee = 李收款
einvoice_checker = 赵复核
# 信息技术服务 (a demo tax category code), 6 %
einvoice_spbm = 3040201000000000000
einvoice_tax_rate = 0.06
CONF
    chmod 644 "$VAR/admin.conf.tmp"
    mv "$VAR/admin.conf.tmp" "$VAR/admin.conf"
}

# one demo login per role, made with the command an operator uses for the
# first admin (certhall-admin staff-add); kept when they exist
DEMO_STAFF_PASSWORD=demo-staff-2026
demo_staff() {
    local login name role
    while read -r login name role; do
        if [ "$(psql_app -At -c "SELECT count(*) FROM staff WHERE login = '$login'")" = 0 ]; then
            printf '%s\n' "$DEMO_STAFF_PASSWORD" \
                | "$BUILD/certhall-admin" staff-add -c "$VAR/admin.conf" "$login" "$name" "$role" >/dev/null \
                || die "could not create the demo staff login $login"
        fi
    done <<'STAFF'
admin 系统管理员 admin
reviewer 审核员小李 reviewer
finance 财务小王 finance
shipper 发货员小张 shipper
STAFF
}

# the 下载中心's demo files (scripts/demo-downloads makes them), stored as
# the user nginx's workers serve them as; the titles there are kept
demo_downloads() {
    mkdir -p "$VAR/demo-downloads"
    chown "$WORKER_USER:$WORKER_GROUP" "$VAR/demo-downloads"
    runuser -u "$WORKER_USER" -- perl "$ROOT/scripts/demo-downloads" \
        --admin "$BUILD/certhall-admin" -c "$VAR/admin.conf" \
        --dir "$VAR/demo-downloads" >/dev/null \
        || die "could not load the demo downloads"
}

nginx_conf() {
    mkdir -p "$VAR/nginx/conf" "$VAR/nginx/logs" "$VAR/nginx/temp"
    # uploaded files (certhall_storage): written by the workers, readable
    # by nobody else (ID cards)
    mkdir -p "$STORAGE"
    chown "$WORKER_USER:$WORKER_GROUP" "$STORAGE"
    chmod 750 "$STORAGE"
    sed -e "s|@ROOT@|$ROOT|g" -e "s|@VAR@|$VAR|g" -e "s|@BUILD@|$BUILD|g" \
        -e "s|@PG_DIR@|$PG_DIR|g" -e "s|@STORAGE@|$STORAGE|g" \
        -e "s|@PORT@|$PORT|g" -e "s|@USER@|$WORKER_USER|g" \
        -e "s|@GROUP@|$WORKER_GROUP|g" \
        -e "s|@ALIPAY_ORIGIN@|$ALIPAY_ORIGIN|g" -e "s|@ALIPAY_GATEWAY@|$ALIPAY_GATEWAY|g" \
        -e "s|@ALIPAY_APP_ID@|$ALIPAY_APP_ID|g" -e "s|@ALIPAY_SELLER_ID@|$ALIPAY_SELLER_ID|g" \
        -e "s|@MODULE_SO@|$BUILD/ngx_http_certhall_module.so|g" \
        "$ROOT/conf/nginx.conf.in" >"$VAR/nginx/conf/nginx.conf"
    "${NGINX[@]}" -t -q || die "the generated nginx configuration is invalid"
}

# A test double (t/bin/), started here for the local hall only: NAME's pid,
# output and log under $VAR/run; it prints "listening on ..." once ready.
# double_start starts it, double_wait waits for it: the doubles load their
# Perl modules while the database is made ready (started and waited for
# one by one, their start-ups added up).
double_running() {
    [ -f "$VAR/run/$1.pid" ] && kill -0 "$(cat "$VAR/run/$1.pid")" 2>/dev/null
}

double_start() {
    local name=$1 port=$2; shift 2
    double_running "$name" && return 0
    : >"$VAR/run/$name.out"
    perl "$ROOT/t/bin/$name" --log "$VAR/run/$name.log" --port "$port" "$@" \
        </dev/null >"$VAR/run/$name.out" 2>&1 &
    echo $! >"$VAR/run/$name.pid"
}

double_wait() {
    local name=$1 i
    for i in $(seq 500); do
        grep -q '^listening on ' "$VAR/run/$name.out" && return 0
        kill -0 "$(cat "$VAR/run/$name.pid")" 2>/dev/null || break
        sleep 0.02
    done
    cat "$VAR/run/$name.out" >&2
    die "the double t/bin/$name did not start"
}

# Alipay's gateway, which the website pays with; what it received and sent
# is in its log, a JSON line each
alipay_start() {
    double_start alipay-gateway "$ALIPAY_PORT" \
        --merchant-public-key "$VAR/secrets/merchant.pub" \
        --alipay-private-key "$VAR/secrets/alipay.key" \
        --app-id "$ALIPAY_APP_ID" --seller-id "$ALIPAY_SELLER_ID"
}

# the SMS gateway certhall-admin sms-send posts the codes to: each text it
# took is a JSON line of its log
sms_start() {
    double_start sms-gateway "$SMS_PORT" --token-file "$VAR/secrets/sms-gateway.token"
}

# The tax platform certhall-admin invoice-send asks for the e-invoices,
# over HTTPS with a certificate of a test CA made here once (keys 0600,
# root's; ca.crt for all to read, invoice-send trusts it) and made again
# when it would expire within a day (it is valid for two): the double
# restarts with it.  The invoices it issued are kept
# in its state file, so a restarted double still answers a serial it knows
# with its first invoice and numbers the next one after the last.
tax_start() {
    local ca=$VAR/einvoice-ca
    # (made less than a day ago: a day left at least, no openssl to ask)
    if [ -z "$(find "$ca/server.crt" -mmin -1440 2>/dev/null)" ]; then
        stop_pidfile "$VAR/run/tax-platform.pid"
        "$ROOT/t/bin/mk-test-ca" "$ca" || die "could not make the test CA in $ca"
    fi
    chmod 755 "$ca"
    double_start tax-platform "$TAX_PORT" --cert "$ca/server.crt" --key "$ca/server.key" \
        --app-key "$TAX_APP_KEY" --secret-file "$VAR/secrets/einvoice.secret" \
        --schema "$ROOT/schema/fpkj.xsd" --state "$VAR/run/tax-platform.state"
}

# The demo orders past 填写中 (sql/demo.sql) get their 基本信息 and their
# materials, as the applicant's submission left them (sql/demo-details.sql,
# once: only an order that has none): the ID number sealed for each order
# under the data key as the module seals it (build/bin/demo-files seal, as
# root: the key is root's), a colour scan of each material
# (build/bin/mkscan) checked and stored in the module's storage as its
# workers store an upload (demo-files store, as them), then the rows.
DEMO_ORDERS=(UO202411201030150001 UO202612070930000001 UO202612010930000002 UO202611150930000003)
DEMO_ID_NUMBER=11010119900307002X      # 张三's, masked 1101**********002X as his real name
demo_details() {
    local bin=$BUILD/bin scans=$VAR/demo-scans ids kinds kind seed=0 o line stored
    local -a files=()
    ids=$(printf "'%s'," "${DEMO_ORDERS[@]}")
    kinds=$(psql_app -At -c "SELECT DISTINCT psm.material_kind FROM orders o
        JOIN project_service_materials psm ON (psm.project_code, psm.service, psm.cert_type)
                                              = (o.project_code, o.service, o.cert_type)
        WHERE o.id IN (${ids%,}) AND psm.required AND o.state NOT IN ('draft', 'cancelled')
          AND NOT EXISTS (SELECT FROM order_info i WHERE i.order_id = o.id)
        ORDER BY 1")
    [ -n "$kinds" ] || return 0
    if [ ! -x "$bin/demo-files" ] || [ ! -x "$bin/mkscan" ]; then
        echo "certhall: no $bin/demo-files or mkscan (make all): the demo orders are left without 基本信息 and materials" >&2
        return 0
    fi
    mkdir -p "$scans"
    for kind in $kinds; do
        seed=$((seed + 1))
        "$bin/mkscan" jpg color 1000 1414 --seed "$seed" >"$scans/$kind.jpg" \
            || die "could not make the demo scan of $kind"
        files+=("$scans/$kind.jpg")
    done
    chown -R "$WORKER_USER:$WORKER_GROUP" "$scans"
    # one line a file, in the order given: sha256 size format width height pages
    stored=$(runuser -u "$WORKER_USER" -- "$bin/demo-files" store "$VAR/storage" "${files[@]}") \
        || die "could not store the demo scans in $VAR/storage"
    {
        echo "CREATE TEMP TABLE demo_ids (order_id text, masked text, digest text, sealed text);"
        echo "CREATE TEMP TABLE demo_scans (kind text, sha256 text, size_bytes bigint, format text,"
        echo "                              width integer, height integer, pages integer);"
        for o in "${DEMO_ORDERS[@]}"; do
            line=$("$bin/demo-files" seal "$VAR/secrets/data.key" "$o" "$DEMO_ID_NUMBER") \
                || die "could not seal the demo ID number"
            # tab-separated: hex, base64url, digits and '*' only
            printf "INSERT INTO demo_ids VALUES ('%s', '%s', '%s', '%s');\n" "$o" $line
        done
        paste <(printf '%s\n' $kinds) <(printf '%s\n' "$stored") | while read -r kind line; do
            printf "INSERT INTO demo_scans VALUES ('%s', '%s', %s, '%s', %s, %s, %s);\n" "$kind" $line
        done
    } >"$scans/ids.sql"
    psql_app -1 -f "$scans/ids.sql" -f "$ROOT/sql/demo-details.sql" \
        || die "could not give the demo orders their details"
    rm -rf "$scans"
}

# the demo orders waiting for their invoice (sql/demo.sql) get it now, as
# the every-minute job would, so the hall shows them 已完成; as the user
# owning the storage, like demo_downloads
demo_invoices() {
    local out
    out=$(runuser -u "$WORKER_USER" -- "$BUILD/certhall-admin" invoice-send -c "$VAR/admin.conf" 2>&1) \
        || printf 'certhall: the demo invoices were not all issued (the queue keeps them):\n%s\n' "$out" >&2
}

nginx_running() {
    [ -f "$VAR/nginx/nginx.pid" ] && kill -0 "$(cat "$VAR/nginx/nginx.pid")" 2>/dev/null
}

start() {
    [ -f "$BUILD/ngx_http_certhall_module.so" ] && [ -x "$BUILD/certhall-admin" ] \
        || die "build first: make"

    # nginx's workers and fcgiwrap run as $WORKER_USER and must reach the
    # website, the CGI binary and the sockets
    runuser -u "$WORKER_USER" -- test -r "$ROOT/www/index.html" \
        || die "$WORKER_USER cannot read $ROOT/www: put the checkout where other users can read it"

    mkdir -p "$VAR/run"
    secrets
    # the doubles start while the database is made ready (waited for below)
    alipay_start
    sms_start
    tax_start
    database
    admin_conf
    demo_staff
    nginx_conf
    demo_details
    demo_downloads

    if ! pg_running "$VAR/pg"; then die "PostgreSQL is not running"; fi

    if [ -f "$VAR/run/fcgiwrap.pid" ] && kill -0 "$(cat "$VAR/run/fcgiwrap.pid")" 2>/dev/null; then
        :
    else
        fcgi_start "$VAR/run/fcgiwrap.sock" "$VAR/run/fcgiwrap.pid" "$WORKER_USER"
    fi

    double_wait alipay-gateway
    double_wait sms-gateway
    double_wait tax-platform

    # A reload cannot pick up a rebuilt module: the master process has the
    # old one loaded under the same name, and dlopen() hands that back.
    # So a module newer than the running nginx means a restart.
    if nginx_running && [ "$BUILD/ngx_http_certhall_module.so" -nt "$VAR/nginx/nginx.pid" ]; then
        echo "the module was rebuilt: restarting nginx"
        stop_nginx
    fi

    if nginx_running; then
        "${NGINX[@]}" -s reload
    else
        "${NGINX[@]}"
    fi

    demo_invoices

    local url=http://127.0.0.1:$PORT
    # the provider's double finds this hall by its var folder
    local callback=$ROOT/t/bin/realname-callback
    [ "$VAR" = "$ROOT/var" ] || callback="CERTHALL_VAR=$VAR $callback"
    cat <<EOT

certhall is running (make stop stops it):
  website      $url/
  API          $url/api/health
  back office  $url/admin/

  logs         $VAR/nginx/logs/error.log, $VAR/nginx/logs/access.log,
               $VAR/pg/postgresql.log
  database     PGPASSFILE=$VAR/secrets/pgpass psql -h $VAR/pg -U $ROLE $DB
  real-name    $callback RN… pass 姓名 身份证号码
               (the request id RN… is on the account page once 实名认证 is started)

EOT
    # sql/demo.sql defines demo_logins() once there are accounts to try
    echo "demo logins:"
    if [ "$(psql_app -At -c "SELECT to_regproc('demo_logins') IS NOT NULL")" = t ]; then
        psql_app -At -F '  ' -c "SELECT * FROM demo_logins()" | sed 's/^/  /'
    else
        echo "  none yet: applicant and staff accounts are not built yet"
    fi
    echo "back office ($url/admin/), password $DEMO_STAFF_PASSWORD:"
    psql_app -At -F '  ' -c "SELECT s.login, s.name, string_agg(r.name, '、' ORDER BY r.sort_order)
        FROM staff s JOIN staff_grants g ON g.staff_id = s.id JOIN staff_roles r ON r.code = g.role
        WHERE s.active GROUP BY s.id ORDER BY s.id" | sed 's/^/  /'

    # the demo applicant's order in 待支付 (sql/demo.sql), paid with the double
    local to_pay
    to_pay=$(psql_app -At -c "SELECT o.id FROM orders o JOIN accounts a ON a.id = o.account_id
        WHERE a.phone = '13800138000' AND o.state = 'pending_payment'
        ORDER BY o.created_at DESC LIMIT 1")
    if [ -n "$to_pay" ]; then to_pay=$url/order.html?id=$to_pay
    else to_pay="none now: apply for one (我的订单)"; fi
    cat <<EOT
pay by Alipay (支付宝) with the local double of Alipay's gateway, $ALIPAY_ORIGIN/:
  1. log in as the demo applicant 13800138000, password demo1234
  2. open its order in 待支付: $to_pay
  3. 缴费方式 支付宝, 确认缴费方式: the browser goes to the double's cashier page
  4. 确认付款: the double posts its signed notification to $url/api/alipay/notify
     and sends you back to $url/pay-return.html, which shows 待审核
  the double's log   $VAR/run/alipay-gateway.log
  lost notices       $BUILD/certhall-admin alipay-sync -c $VAR/admin.conf --once  (as root)
receive the key (确认收货): the demo applicant's order in 待收货,
  $url/order.html?id=UO202612010930000002 (sent by 顺丰 6 days ago)
download centre (下载中心): $url/downloads.html; files kept at $url/admin/downloads (admin)
SMS codes: in the sms_outbox table until sent; once
  $BUILD/certhall-admin sms-send -c $VAR/admin.conf  (as root; or jobs run below)
  posted them, in the SMS gateway double's log $VAR/run/sms-gateway.log
EOT
    # the demo applicant's latest invoice, issued by the double
    # every job but invoice-send, which runs as the storage's owner
    local root_jobs
    root_jobs=$(psql_app -At -c "SELECT string_agg(name, ' ' ORDER BY sort_order, name)
        FROM jobs WHERE name <> 'invoice-send'")
    local invoiced
    invoiced=$(psql_app -At -F ' ' -c "SELECT i.order_id, i.fpdm, i.fphm FROM invoices i
        JOIN orders o ON o.id = i.order_id JOIN accounts a ON a.id = o.account_id
        WHERE a.phone = '13800138000' AND i.kind = 'blue'
        ORDER BY i.created_at DESC, i.id DESC LIMIT 1")
    if [ -n "$invoiced" ]; then
        local order fpdm fphm
        read -r order fpdm fphm <<<"$invoiced"
        invoiced="$url/order.html?id=$order (已完成; 发票代码 $fpdm, 发票号码 $fphm, 下载发票)"
    else invoiced="none yet: see the queue below"; fi
    cat <<EOT
e-invoices (电子发票) from the local double of the tax platform, $TAX_URL:
  the demo invoice   $invoiced
  what it issued     curl --cacert $VAR/einvoice-ca/ca.crt https://127.0.0.1:$TAX_PORT/_control
  the double's log   $VAR/run/tax-platform.log
  the queue          runuser -u $WORKER_USER -- $BUILD/certhall-admin invoice-send -c $VAR/admin.conf
                     sends what 确认收货 or 开具发票 queued (as $WORKER_USER, the storage's
                     owner, never as root); finance's queue $url/admin/invoices
scheduled jobs (as root; make run starts no cron):
  list them          $BUILD/certhall-admin jobs -c $VAR/admin.conf
  run them all once  $BUILD/certhall-admin jobs run -c $VAR/admin.conf $root_jobs
                     and invoice-send as $WORKER_USER (above)
EOT
}

# The secrets of the hall, copied: every machine holds the same ones
# (README.md, "Several machines": a machine with another data key could
# not read the ID numbers the others sealed), each file with the owner and
# mode start gave it.  Copied whole, then renamed into place, so that a
# reload never reads half a key.
join_secrets() {
    local f name
    mkdir -p "$VAR/secrets"
    chmod 700 "$VAR/secrets"
    for f in "$HALL"/secrets/*; do
        name=${f##*/}
        case $name in *.tmp) continue ;; esac
        cp -p "$f" "$VAR/secrets/$name.tmp"
        mv "$VAR/secrets/$name.tmp" "$VAR/secrets/$name"
    done
    chown "$WORKER_USER:$WORKER_GROUP" "$VAR/secrets"
}

# join HALL: this machine (CERTHALL_VAR, CERTHALL_PORT) joins the hall
# under HALL; see the top of this file
join_hall() {
    [ -f "$BUILD/ngx_http_certhall_module.so" ] && [ -x "$BUILD/certhall-admin" ] \
        || die "build first: make"
    runuser -u "$WORKER_USER" -- test -r "$ROOT/www/index.html" \
        || die "$WORKER_USER cannot read $ROOT/www: put the checkout where other users can read it"
    [ -s "$HALL/secrets/data.key" ] || die "no hall under $HALL (no secrets): start it first"
    pg_running "$PG_DIR" || die "the hall's database ($PG_DIR) is not running: start the hall first"

    mkdir -p "$VAR/run"
    join_secrets
    admin_conf
    nginx_conf

    if [ -f "$VAR/run/fcgiwrap.pid" ] && kill -0 "$(cat "$VAR/run/fcgiwrap.pid")" 2>/dev/null; then
        :
    else
        fcgi_start "$VAR/run/fcgiwrap.sock" "$VAR/run/fcgiwrap.pid" "$WORKER_USER"
    fi

    # as start: a rebuilt module needs a new master process
    if nginx_running && [ "$BUILD/ngx_http_certhall_module.so" -nt "$VAR/nginx/nginx.pid" ]; then
        echo "the module was rebuilt: restarting nginx"
        stop_nginx
    fi
    if nginx_running; then
        "${NGINX[@]}" -s reload
    else
        "${NGINX[@]}"
    fi

    local url=http://127.0.0.1:$PORT
    cat <<EOT

certhall: another machine of the hall under $HALL is running
(CERTHALL_VAR=$VAR $0 stop stops it):
  website      $url/
  API          $url/api/health
  back office  $url/admin/

  logs         $VAR/nginx/logs/error.log, $VAR/nginx/logs/access.log
  shared       database $PG_DIR, storage $STORAGE
  own          nginx $VAR/nginx, fcgiwrap $VAR/run/fcgiwrap.sock,
               admin.conf $VAR/admin.conf (host_name $HOST_NAME),
               secrets $VAR/secrets (copies of $HALL/secrets)
  jobs         as the hall's, with -c $VAR/admin.conf: at once with the hall's
               machine, each item is still done once

EOT
}

stop_nginx() {
    nginx_running || return 0
    "${NGINX[@]}" -s quit
    local i
    for i in $(seq 250); do nginx_running || break; sleep 0.02; done
}

stop() {
    stop_nginx
    stop_pidfile "$VAR/run/fcgiwrap.pid"
    rm -f "$VAR/run/fcgiwrap.sock"
    stop_pidfile "$VAR/run/alipay-gateway.pid"
    stop_pidfile "$VAR/run/sms-gateway.pid"
    stop_pidfile "$VAR/run/tax-platform.pid"
    [ -d "$VAR/pg/data" ] && pg_stop "$VAR/pg"
    echo "certhall stopped"
}

migrate() {
    pg_running "$VAR/pg" || die "the local database is not running: make run"
    PGPASSFILE=$VAR/secrets/pgpass "$ROOT/sql/migrate" -h "$VAR/pg" -U "$ROLE" -d "$DB"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    migrate) migrate ;;
    join) join_hall ;;
    *) echo "usage: $0 start|stop|migrate|join HALL" >&2; exit 2 ;;
esac
