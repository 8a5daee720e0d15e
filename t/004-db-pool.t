# The module's PostgreSQL pool: health up and down, the catalog end to end,
# queueing past the pool, the queue's bound, a client that goes away, and
# the database going away and coming back.  Runs inside t/bin/testenv,
# which provides the test cluster (TEST_NGINX_PG_*, PGHOST...).
use Test::Nginx::Socket 'no_plan';

no_shuffle();
worker_connections(1024);

our $DB = 'host=$TEST_NGINX_PG_HOST dbname=$TEST_NGINX_PG_DATABASE user=$TEST_NGINX_PG_USER';

# Hold an exclusive lock on a table for a while, from another session, so
# that a statement reading it waits: returns once the lock is held.
sub hold_lock {
    my ($table, $seconds) = @_;
    system("psql -X -q -c 'BEGIN; LOCK TABLE $table IN ACCESS EXCLUSIVE MODE;"
           . " SELECT pg_sleep($seconds); COMMIT;' >/dev/null 2>&1 &");
    wait_for_locks($table, 1);
}

sub wait_for_locks {
    my ($table, $want) = @_;
    for (1 .. 300) {
        my $n = `psql -X -At -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = '$table' AND l.mode = 'AccessExclusiveLock' AND l.granted"`;
        return if $n + 0 == $want;
        select undef, undef, undef, 0.01;
    }
    die "the lock on $table did not come to $want\n";
}

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
The statement waits on a lock; the client gives up; the connection keeps
the statement and drains its result when the lock goes.
--- http_config eval
qq{    certhall_db "$::DB";
    certhall_db_pool_size 1;
    certhall_db_queue_size 0;
}
--- config eval: $::ApiLocation
--- init
main::hold_lock('projects', 1.5);
--- request
GET /api/projects
--- timeout: 0.3
--- abort
--- ignore_response



=== TEST 12: meanwhile the one connection is still busy with it: 503 with Retry-After
--- request
GET /api/projects
--- error_code: 503
--- response_headers
Retry-After: 1
--- response_body chomp
{"error":{"code":"server_busy","message":"服务繁忙，请稍后再试"}}



=== TEST 13: once the statement ends, the drained connection serves again
--- init
main::wait_for_locks('projects', 0);
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
main::pg_ctl('restart -m fast');
--- request
GET /api/health
--- error_code: 200
--- error_log eval
# the idle connections notice the restart before any request needs them
qr/certhall: database connection [01]: idle failed: /
--- no_error_log
[alert]



=== TEST 16: and the next
--- request
GET /api/projects
--- error_code: 200
--- no_error_log
[error]



=== TEST 17: a connection broken mid-statement: that request gets 503, the next succeeds
--- http_config eval
qq{    certhall_db "$::DB";
    certhall_db_pool_size 1;
}
--- config eval: $::ApiLocation
--- init
main::hold_lock('projects', 5);
# end the module's session once its statement waits for the lock (how soon
# that is depends on the machine, and on valgrind)
system(q{(for i in $(seq 200); do t=$(psql -X -At -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'certhall-nginx' AND wait_event_type = 'Lock'"); [ -n "$t" ] && break; sleep 0.05; done) >/dev/null 2>&1 &});
--- request
GET /api/projects
--- error_code: 503
--- response_body chomp
{"error":{"code":"database_unavailable","message":"数据库暂时不可用，请稍后再试"}}
--- error_log eval
# libpq reports it as the statement's error or as the connection's
qr/certhall: database(?: connection 0: receive failed:|: 57P01) FATAL:  terminating connection due to administrator command/



=== TEST 18: the next request finds the connection again
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
main::pg_ctl('stop -m fast');
--- request
GET /api/health
--- error_code: 503
--- response_headers
Retry-After: 5



=== TEST 20: ... and back
--- init
main::pg_ctl("-o '-c listen_addresses= -c port=5432 -c unix_socket_directories=$ENV{TEST_NGINX_PG_HOST} -c fsync=off' start");
--- request
GET /api/health
--- error_code: 200
--- response_body chomp
{"status":"ok","database":"ok"}
--- error_log
is back
