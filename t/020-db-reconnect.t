# The pool's reconnection for a request that finds no connection: the
# closed connections are started from the pool's own event, never inside
# the request's handler, and the request waits in the queue meanwhile, as
# for a busy connection (ngx_module/README.md, "The database").  Runs
# inside t/bin/testenv, which provides the test cluster.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;

no_shuffle();

# Waits, bounded (30 s), until error.log has a line matching $re
sub wait_for_log {
    my ($re, $what) = @_;
    for (1 .. 1500) {
        if (open my $fh, '<', $Test::Nginx::Util::ErrLogFile) {
            while (<$fh>) { return if $_ =~ $re }
        }
        select undef, undef, undef, 0.02;
    }
    die "$what was not logged in 30 s\n";
}

# a database nothing listens for, and what a request gets from it
our $Down = qq{    certhall_db "host=/nonexistent-socket-dir dbname=certhall";\n};
our $Unavailable = '{"error":{"code":"database_unavailable",'
                 . '"message":"数据库暂时不可用，请稍后再试"}}';

run_tests();

__DATA__

=== TEST 1: the database unreachable: the request waits for the reconnection, then 503
--- http_config eval: $::Down
--- config eval: $Certhall::Test::API_LOCATION
--- request
GET /api/health
--- error_code: 503
--- response_headers
Retry-After: 5
--- response_body eval: $::Unavailable
--- error_log
certhall db: queued, 1 waiting
certhall db: reconnecting for the waiting requests
No such file or directory
--- no_error_log
database queue is full



=== TEST 2: no place in the queue and no connection open: database_unavailable, not server_busy
--- http_config eval
$::Down . "    certhall_db_queue_size 0;\n"
--- config eval: $Certhall::Test::API_LOCATION
--- request
GET /api/health
--- response_body eval: $::Unavailable
--- error_code: 503
--- no_error_log
database queue is full
[alert]



=== TEST 3: the one connection ended by the server: the next request is served
--- http_config eval
qq{    certhall_db "$Certhall::Test::DB";
    certhall_db_pool_size 1;
}
--- config eval: $Certhall::Test::API_LOCATION
--- init
::wait_for_log(qr/certhall db: connection 0 ready/, "the pool's connection");
system(q{psql -X -q -At -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity}
       . q{ WHERE application_name = 'certhall-nginx'" >/dev/null}) == 0
    or die "could not end the module's session\n";
::wait_for_log(qr/certhall: database connection 0: idle failed/, "the connection noticing its end");
--- request
GET /api/health
--- error_code: 200
--- response_body chomp
{"status":"ok","database":"ok"}
--- no_error_log
[alert]
database queue is full
