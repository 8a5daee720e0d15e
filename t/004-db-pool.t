# The module's PostgreSQL pool: health up and down, the catalog end to end,
# queueing past the pool, the queue's bound, a client that goes away, and
# the database going away and coming back.  Runs inside t/bin/testenv,
# which provides the test cluster (TEST_NGINX_PG_*, PGHOST...).
use Test::Nginx::Socket 'no_plan';

no_shuffle();
worker_connections(1024);

our $DB = 'host=$TEST_NGINX_PG_HOST dbname=$TEST_NGINX_PG_DATABASE user=$TEST_NGINX_PG_USER';

# Hold an exclusive lock on a table from another session, so that a
# statement reading it waits: returns once the lock is held.  The lock is
# held until release_lock(), whatever the machine's speed: what a block
# asserts about the waiting statement must not depend on how long a fixed
# hold outlasts it (the psql session's own bound, 10 minutes, is only there
# so that a suite that dies cannot leave it behind for long).
sub hold_lock {
    my ($table) = @_;
    system("PGAPPNAME=certhall-test-lock psql -X -q -c 'BEGIN; LOCK TABLE $table IN ACCESS EXCLUSIVE MODE;"
           . " SELECT pg_sleep(600); COMMIT;' >/dev/null 2>&1 &");
    wait_for_locks($table, 1);
}

# ends hold_lock's session, and with it the lock
sub release_lock {
    my ($table) = @_;
    system(q{psql -X -q -At -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity}
           . q{ WHERE application_name = 'certhall-test-lock'" >/dev/null}) == 0
        or die "could not end the session holding the lock\n";
    wait_for_locks($table, 0);
}

# Waits, bounded (30 s), for what the database shows: sql_until('SELECT
# ...') until the query returns a row whose first value is true.
sub sql_until {
    my ($query, $what) = @_;
    for (1 .. 1500) {
        my $v = `psql -X -At -c "$query"`;
        return if $v =~ /^t/;
        select undef, undef, undef, 0.02;
    }
    die "$what did not happen in 30 s\n";
}

sub wait_for_locks {
    my ($table, $want) = @_;
    sql_until("SELECT count(*) = $want FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
              . " WHERE c.relname = '$table' AND l.mode = 'AccessExclusiveLock' AND l.granted",
              "the lock on $table coming to $want");
}

# the module's statement waits for a lock (it has been sent)
sub wait_for_module_waiting {
    sql_until("SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'certhall-nginx'"
              . " AND wait_event_type = 'Lock'", "the module's statement waiting for the lock");
}

# Waits, bounded (30 s), until a request to nginx is answered with status
# $want: what the module does after a client's request is asynchronous
# (draining a result, reconnecting), and this is its observable end.
sub wait_for_status {
    my ($path, $want) = @_;
    require HTTP::Tiny;
    my $port = $Test::Nginx::Util::ServerPortForClient;
    my $last;
    for (1 .. 1500) {
        $last = HTTP::Tiny->new(timeout => 30)->get("http://127.0.0.1:$port$path")->{status};
        return if $last == $want;
        select undef, undef, undef, 0.02;
    }
    die "$path still answers $last, not $want, after 30 s\n";
}

# Waits, bounded (30 s), until error.log has a line matching $re past byte
# $from (taken before the event was set off)
sub wait_for_log {
    my ($re, $from, $what) = @_;
    for (1 .. 1500) {
        if (open my $fh, '<', $Test::Nginx::Util::ErrLogFile) {
            seek $fh, $from, 0;
            while (<$fh>) { return if $_ =~ $re }
        }
        select undef, undef, undef, 0.02;
    }
    die "$what was not logged in 30 s\n";
}

sub log_size { -s $Test::Nginx::Util::ErrLogFile // 0 }

sub pg_ctl {
    my $cmd = "runuser -u postgres -- $ENV{TEST_NGINX_PG_BIN}/pg_ctl -D $ENV{TEST_NGINX_PG_DATA} -w @_ >/dev/null";
    system($cmd) == 0 or die "$cmd failed\n";
}

# whatever happens above, leave the database running for the next suites
END {
    system("runuser -u postgres -- $ENV{TEST_NGINX_PG_BIN}/pg_ctl -D $ENV{TEST_NGINX_PG_DATA} status >/dev/null 2>&1") == 0
        or pg_ctl("-o '-c listen_addresses= -c port=5432 -c unix_socket_directories=$ENV{TEST_NGINX_PG_HOST} -c fsync=off' start");
}

our $ApiLocation = <<'_EOC_';
    location /api/ {
        certhall;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", qq{    certhall_db "$DB";\n});
    }
});

run_tests();

__DATA__

=== TEST 1: health with the database reachable
--- config eval: $::ApiLocation
--- request
GET /api/health
--- error_code: 200
--- response_headers
Content-Type: application/json; charset=utf-8
!Retry-After
--- response_body chomp
{"status":"ok","database":"ok"}
--- no_error_log
[error]
[warn]



=== TEST 2: the catalog end to end, as PostgreSQL rendered it
--- config eval: $::ApiLocation
--- request
GET /api/projects
--- error_code: 200
--- response_headers
Content-Type: application/json; charset=utf-8
--- response_body_like chomp
^\{"material_kinds" : \[\{"kind" : "application_form", "name" : "申请表".*"projects" : \[\{"code" : "xiangtan_ggzy", "name" : "湘潭市公共资源交易系统".*"price_fen" : 30000.*\}\]\}$
--- no_error_log
[error]



=== TEST 3: health with the database unreachable: 503, Retry-After, logged
--- http_config
    certhall_db "host=/nonexistent-socket-dir dbname=certhall";
--- config eval: $::ApiLocation
--- request
GET /api/health
--- error_code: 503
--- response_headers
Retry-After: 5
Content-Type: application/json; charset=utf-8
--- response_body chomp
{"error":{"code":"database_unavailable","message":"数据库暂时不可用，请稍后再试"}}
--- error_log
certhall: database connection 0: connect failed
No such file or directory



=== TEST 4: a bad connection string is refused when nginx reads its configuration
--- http_config
    certhall_db "host=/tmp dbname";
--- config eval: $::ApiLocation
--- must_die
--- error_log
invalid certhall_db "host=/tmp dbname"



=== TEST 5: certhall without certhall_db is refused too
--- http_config
--- config eval: $::ApiLocation
--- must_die
--- error_log
"certhall" needs "certhall_db" in the http block



=== TEST 6: a pool of 2 connections, up
--- http_config eval
qq{    certhall_db "$::DB";
    certhall_db_pool_size 2;
    certhall_db_queue_size 200;
}
--- config eval
$::ApiLocation . q{
    location = /burst.html {
        ssi on;
        ssi_types *;
    }
}
--- user_files eval
[["burst.html", qq{<!--# include virtual="/api/health" -->\n} x 200]]
--- request
GET /api/health
--- error_code: 200



=== TEST 7: 200 requests at once through that pool of 2 are all answered
Subrequests start in one go, before any answer can come: 2 run at once
and 198 wait for a connection.
--- request
GET /burst.html
--- error_code: 200
--- response_body eval
qq{{"status":"ok","database":"ok"}\n} x 200
--- error_log
certhall db: queued, 198 waiting
--- no_error_log
[error]
[warn]



=== TEST 8: 200 client connections at once through a pool of 2 are all answered
nginx proxies 200 subrequests to itself, so the module sees 200 clients.
--- http_config eval
qq{    certhall_db "$::DB";
    certhall_db_pool_size 2;
    certhall_db_queue_size 200;
}
--- config eval
$::ApiLocation . q{
    location = /burst.html {
        ssi on;
        ssi_types *;
    }
    location /self/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
    }
}
--- user_files eval
[["burst.html", qq{<!--# include virtual="/self/api/projects" -->\n} x 200]]
--- request
GET /burst.html
--- error_code: 200
--- response_body_like eval
'^(\{"material_kinds" : [^\n]*"projects" : [^\n]*\}\n){200}$'
--- no_error_log
[error]
[warn]



=== TEST 9: past the queue's bound: one connection, one place in the queue
--- http_config eval
qq{    certhall_db "$::DB";
    certhall_db_pool_size 1;
    certhall_db_queue_size 1;
}
--- config eval
$::ApiLocation . q{
    location = /three.html {
        ssi on;
        ssi_types *;
    }
}
--- user_files eval
[["three.html", qq{<!--# include virtual="/api/health" -->\n} x 3]]
--- request
GET /api/health
--- error_code: 200



=== TEST 10: ... the first runs, the second waits, the third is refused
--- request
GET /three.html
--- response_body
{"status":"ok","database":"ok"}
{"status":"ok","database":"ok"}
{"error":{"code":"server_busy","message":"服务繁忙，请稍后再试"}}
--- error_log
certhall: database queue is full (1 requests)



=== TEST 11: a client that goes away while its query runs
The statement waits on a lock; the client gives up (its short timeout is
only how it goes away: nothing here depends on how long anything took); the
connection keeps the statement and drains its result when the lock goes.
--- http_config eval
qq{    certhall_db "$::DB";
    certhall_db_pool_size 1;
    certhall_db_queue_size 0;
}
--- config eval: $::ApiLocation
--- init
# the pool's one connection is up first (this nginx has just started; the
# connection is made and its statements prepared at the event loop's pace):
# a request before that would be refused at once (queue size 0) and no
# statement would wait
::wait_for_log(qr/certhall db: connection 0 ready/, 0, "the pool's connection");
::hold_lock('projects');
--- request
GET /api/projects
--- timeout: 0.3
--- abort
--- ignore_response



=== TEST 12: meanwhile the one connection is still busy with it: 503 with Retry-After
The lock is held until TEST 13 ends it; the statement of TEST 11 is waited
for (it reaches the database whenever nginx gets to it).
--- init
::wait_for_module_waiting();
--- request
GET /api/projects
--- error_code: 503
--- response_headers
Retry-After: 1
--- response_body chomp
{"error":{"code":"server_busy","message":"服务繁忙，请稍后再试"}}



=== TEST 13: once the statement ends, the drained connection serves again
The module reads the drained result when its event loop gets to it: the
end of that (health answered again, bounded) is waited for; the log then
says the connection was neither failed nor replaced.
--- init
::release_lock('projects');
::wait_for_status('/api/health', 200);
--- request
GET /api/projects
--- error_code: 200
--- response_body_like chomp
^\{"material_kinds" : .*\}$
--- no_error_log
failed
closing the connection
is back



=== TEST 14: the database restarts between requests: first, the pool is up
--- http_config eval
qq{    certhall_db "$::DB";
    certhall_db_pool_size 2;
}
--- config eval: $::ApiLocation
--- request
GET /api/health
--- error_code: 200



=== TEST 15: then the database restarts: the next requests succeed
--- init
my $from = ::log_size();
::pg_ctl('restart -m fast');
# the idle connections notice the restart when their sockets close, which
# the event loop gets to whenever it does: waited for, bounded
::wait_for_log(qr/certhall: database connection [01]: idle failed: /, $from,
               'an idle connection noticing the restart');
--- request
GET /api/health
--- error_code: 200
--- error_log eval
# the idle connections notice the restart before any request needs them
qr/certhall: database connection [01]: idle failed: /
--- no_error_log
[alert]



=== TEST 16: and the next
No error but the restart's own notices of TEST 15 (a runner may show this
block the log since nginx started, TEST 14 on), the catalog cache's
listening connection's among them.
--- request
GET /api/projects
--- error_code: 200
--- no_error_log eval
qr/\[error\](?!.*certhall: (?:database connection [01]: idle|catalog cache: the listening connection: receive) failed: server closed the connection unexpectedly)/



=== TEST 17: a connection broken mid-statement: that request gets 503, the next succeeds
--- http_config eval
qq{    certhall_db "$::DB";
    certhall_db_pool_size 1;
}
--- config eval: $::ApiLocation
--- init
::hold_lock('projects');
# end the module's session once its statement waits for the lock (how soon
# that is depends on the machine, and on valgrind: up to 30 s are given; the
# lock is held until TEST 18, so the statement cannot end on its own first)
system(q{(for i in $(seq 600); do t=$(psql -X -At -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'certhall-nginx' AND wait_event_type = 'Lock'"); [ -n "$t" ] && break; sleep 0.05; done) >/dev/null 2>&1 &});
--- request
GET /api/projects
--- error_code: 503
--- response_body chomp
{"error":{"code":"database_unavailable","message":"数据库暂时不可用，请稍后再试"}}
--- error_log eval
# libpq reports it as the statement's error or as the connection's
qr/certhall: database(?: connection 0: receive failed:|: 57P01) FATAL:  terminating connection due to administrator command/



=== TEST 18: the next request finds the connection again
--- init
::release_lock('projects');
--- request
GET /api/health
--- error_code: 200
--- response_body chomp
{"status":"ok","database":"ok"}



=== TEST 19: the database down, then back: 503 while it is down, 200 after
--- http_config eval
qq{    certhall_db "$::DB";
    certhall_db_pool_size 2;
}
--- config eval: $::ApiLocation
--- init
::pg_ctl('stop -m fast');
--- request
GET /api/health
--- error_code: 503
--- response_headers
Retry-After: 5



=== TEST 20: ... and back
--- init
::pg_ctl("-o '-c listen_addresses= -c port=5432 -c unix_socket_directories=$ENV{TEST_NGINX_PG_HOST} -c fsync=off' start");
--- request
GET /api/health
--- error_code: 200
--- response_body chomp
{"status":"ok","database":"ok"}
--- error_log
is back



=== TEST 21: a host name is refused at start: libpq would look it up, blocking the worker
--- http_config
    certhall_db "host=db.example.com dbname=certhall";
--- config eval: $::ApiLocation
--- must_die
--- error_log
certhall_db "host=db.example.com dbname=certhall": host "db.example.com" is a name, which libpq would look up with a blocking getaddrinfo() in the worker



=== TEST 22: localhost too, and a name anywhere in a list of hosts
--- http_config
    certhall_db "host=/tmp,localhost dbname=certhall";
--- config eval: $::ApiLocation
--- must_die
--- error_log
host "localhost" is a name



=== TEST 23: a hostaddr that is no address is refused
--- http_config
    certhall_db "host=db.example.com hostaddr=db.example.com dbname=certhall";
--- config eval: $::ApiLocation
--- must_die
--- error_log
hostaddr "db.example.com" is not an IP address



=== TEST 24: a service, whose file could name any host, is refused
--- http_config
    certhall_db "service=certhall";
--- config eval: $::ApiLocation
--- must_die
--- error_log
"service" is not supported



=== TEST 25: a name with its hostaddr, IP addresses and socket directories start: nothing listens there, so the database is down
--- http_config
    certhall_db "host=db.example.com,127.0.0.1,::1,/nonexistent hostaddr=127.0.0.1,,, port=1 dbname=certhall connect_timeout=2";
--- config eval: $::ApiLocation
--- request
GET /api/health
--- error_code: 503
--- response_body chomp
{"error":{"code":"database_unavailable","message":"数据库暂时不可用，请稍后再试"}}
--- error_log eval
# libpq took the list and connected to the name's address, never looking
# the name up (which here would fail to translate it)
qr/certhall: database connection \d+: connect failed: Connection refused/
--- no_error_log
[emerg]
is a name
could not translate host name



=== TEST 26: the string's own options reach PostgreSQL, after the module's own (client_connection_check_interval): a bad one is its refusal
--- http_config eval
qq{    certhall_db "$::DB options='-c statement_timeout=bogus'";\n}
--- config eval: $::ApiLocation
--- request
GET /api/health
--- error_code: 503
--- response_body chomp
{"error":{"code":"database_unavailable","message":"数据库暂时不可用，请稍后再试"}}
--- error_log
invalid value for parameter "statement_timeout": "bogus"



=== TEST 27: good options of its own, and the module's, and the database is there
--- http_config eval
qq{    certhall_db "$::DB options='-c statement_timeout=5s -c client_connection_check_interval=2s'";\n}
--- config eval: $::ApiLocation
--- request
GET /api/health
--- error_code: 200
--- response_body chomp
{"status":"ok","database":"ok"}
--- no_error_log
[error]
