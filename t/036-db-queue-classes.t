# The pool's two queues (issue 22): cheap statements (the health check,
# the public catalog) wait apart from the others and may use the
# connections certhall_db_reserved keeps from them, so that a health check
# is answered while every other connection is stuck on a slow statement and
# the normal queue is full; and the normal queue is not starved: once the
# statements ahead can go on, every request waiting in it is answered.
# Nothing here is timed: the stuck statements wait for a lock a test
# session holds, and each step waits for what the database or the log
# shows.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use IO::Socket::INET;

no_shuffle();

reset_accounts();
our $Alice = '13800000036';
make_account($Alice, 'secret-pass-1');
make_session($Alice, 1);
our $Cookie = "Cookie: certhall_session=" . session_token(1);

# a pool of 3, one kept for cheap statements: 2 normal ones at a time and 3
# waiting.  The limits in time are far off on purpose: the normal requests
# wait for the lock as long as the machine takes to get the blocks through,
# and must still be answered 200 then.
our $HttpConfig = qq{    certhall_db "$DB";
    certhall_db_pool_size 3;
    certhall_db_reserved 1;
    certhall_db_queue_size 3;
    certhall_db_queue_timeout 120s;
    certhall_db_query_timeout 120s;
};

# Waits, bounded (30 s), until error.log has $count (1) lines matching $re
# past byte $from (0)
sub wait_for_log {
    my ($re, $what, $count, $from) = @_;
    for (1 .. 1500) {
        if (open my $fh, '<', $Test::Nginx::Util::ErrLogFile) {
            seek $fh, $from // 0, 0;
            my $n = 0;
            while (<$fh>) { $n++ if $_ =~ $re }
            return if $n >= ($count // 1);
        }
        select undef, undef, undef, 0.02;
    }
    die "$what was not logged in 30 s\n";
}

# Waits, bounded (30 s), until the query returns a row whose first value is true
sub sql_until {
    my ($query, $what) = @_;
    for (1 .. 1500) {
        return if (sql_value($query) // '') eq 't';
        select undef, undef, undef, 0.02;
    }
    die "$what did not happen in 30 s\n";
}

# an exclusive lock on a table from a session of its own (until
# release_lock; the psql session's own bound, 10 minutes, is only there so
# that a suite that dies cannot leave it behind for long)
sub hold_lock {
    my ($table) = @_;
    system("PGAPPNAME=certhall-test-lock-$table psql -X -q -c 'BEGIN; LOCK TABLE $table IN ACCESS EXCLUSIVE MODE;"
           . " SELECT pg_sleep(600); COMMIT;' >/dev/null 2>&1 &");
    sql_until("SELECT count(*) = 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
              . " WHERE c.relname = '$table' AND l.mode = 'AccessExclusiveLock' AND l.granted",
              "the lock on $table");
}

sub release_lock {
    my ($table) = @_;
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        . " WHERE application_name = 'certhall-test-lock-$table'");
}

# the module's statements waiting for a lock come to n
sub wait_for_module_waiting {
    my ($n) = @_;
    sql_until("SELECT count(*) = $n FROM pg_stat_activity WHERE application_name = 'certhall-nginx'"
              . " AND wait_event_type = 'Lock'", "$n of the module's statements waiting for a lock");
}

sub log_size { -s $Test::Nginx::Util::ErrLogFile // 0 }

# the statements the pool started past byte $from of error.log, in order
sub started_since {
    my ($from) = @_;
    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die "error.log: $!\n";
    seek $fh, $from, 0;
    return map { /certhall db: "certhall_(\w+)" on connection/ ? $1 : () } <$fh>;
}

# requests sent and left unanswered until a later block reads them
our @Pending;

sub send_request {
    my ($path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $Test::Nginx::Util::ServerPortForClient)
        or die "connect: $!\n";
    print $s "GET $path HTTP/1.0\r\nHost: localhost\r\n$Cookie\r\n\r\n";
    return $s;
}

# the status and body of a request send_request() sent (HTTP/1.0: to EOF)
sub read_response {
    my ($s) = @_;
    local $/;
    my $r = <$s> // '';
    close $s;
    my ($status) = $r =~ m{^HTTP/1\.[01] (\d{3})};
    my ($body) = $r =~ m{\r\n\r\n(.*)\z}s;
    return ($status // 0, $body // '');
}

run_tests();

__DATA__

=== TEST 1: every normal connection stuck and the normal queue full: health is still answered
Two requests for my orders wait on the lock (all the normal connections the
pool gives), three wait in the normal queue, a sixth is refused server_busy
although a connection is idle: that one is kept for the cheap statements,
and health gets it.  With one queue for all, health would be refused too.
The next two blocks go on with this nginx (they have no config of their own).
--- http_config eval: $::HttpConfig
--- config eval: $Certhall::Test::API_LOCATION
--- init
::wait_for_log(qr/certhall db: connection \d ready/, "the pool's three connections", 3);
::hold_lock('orders');
push @::Pending, ::send_request('/api/orders') for 1 .. 5;
::wait_for_module_waiting(2);
::wait_for_log(qr/certhall db: queued, 3 waiting \(normal\)/, "three requests in the normal queue");
my ($status, $body) = ::read_response(::send_request('/api/orders'));
Test::More::is($status, 503, "a sixth normal request is refused: its queue is full");
Test::More::like($body, qr/"code":"server_busy"/, "... as server_busy");
--- request
GET /api/health
--- error_code: 200
--- response_body chomp
{"status":"ok","database":"ok"}
--- error_log
database queue is full (3 requests) for normal statements



=== TEST 2: ... the catalog too, while the normal requests still wait
--- request
GET /api/projects
--- error_code: 200
--- response_body_like chomp
^\{"material_kinds" : .*"projects" : .*\}$



=== TEST 3: the lock gone, every waiting normal request is answered 200
The two stuck statements end, and the three queued requests run in turn
(their queue is not starved by the cheap one).
--- init
::release_lock('orders');
my @got = map { [::read_response($_)] } splice @::Pending;
Test::More::is_deeply([map { $_->[0] } @got], [(200) x 5], "the five normal requests: 200");
Test::More::is(scalar(grep { $_->[1] =~ /^\{"orders" : / } @got), 5, "... each with my orders");
--- request
GET /api/orders
--- more_headers eval: $::Cookie
--- error_code: 200
--- response_body_like chomp
^\{"orders" : .*\}$
--- no_error_log
[error]
[alert]



=== TEST 4: a normal connection lost while the database takes no new one: the queued request takes the idle connection
Two requests for my orders wait on the lock, a third in the normal queue.
The role may open no more connections (its limit is what it has), and one
of the two stuck statements' sessions is ended: its request is answered
503 and its connection cannot come back.  The queued request may now run
and a connection is idle: it starts there at once, rather than wait for a
connection that comes back or its queue's time limit (120 s here).
(The same nginx as the blocks above: its three connections are up.)
--- init
my $from = ::log_size();
::hold_lock('orders');
my @orders = map { ::send_request('/api/orders') } 1 .. 3;
::wait_for_module_waiting(2);
::wait_for_log(qr/certhall db: queued, 1 waiting \(normal\)/, "one request in the normal queue", 1, $from);
my $user = $ENV{TEST_NGINX_PG_USER};
my $limit = Certhall::Test::sql_value("SELECT count(*) FROM pg_stat_activity WHERE usename = '$user'") - 1;
my $as_postgres = sub {
    system('psql', '-X', '-q', '-U', 'postgres', '-c', $_[0]) == 0 or die "psql -U postgres failed\n";
};
eval {
    $as_postgres->("ALTER ROLE $user CONNECTION LIMIT $limit");
    Certhall::Test::sql("SELECT pg_terminate_backend((SELECT pid FROM pg_stat_activity WHERE application_name = 'certhall-nginx'"
        . " AND wait_event_type = 'Lock' LIMIT 1))");
    ::wait_for_log(qr/connect failed: .*too many connections for role/, "the connection refused again", 1, $from);
    ::wait_for_module_waiting(2);
};
my $err = $@;
$as_postgres->("ALTER ROLE $user CONNECTION LIMIT -1");
die $err if $err;
::release_lock('orders');
my @got = sort map { (::read_response($_))[0] } @orders;
Test::More::is("@got", "200 200 503", "the two left of my orders: 200; the one whose session was ended: 503");
--- request
GET /api/health
--- error_code: 200



=== TEST 5: a reservation that leaves the normal statements no connection is refused at start
--- http_config eval
qq{    certhall_db "$Certhall::Test::DB";
    certhall_db_pool_size 2;
    certhall_db_reserved 2;
}
--- config eval: $Certhall::Test::API_LOCATION
--- must_die
--- error_log
certhall_db_reserved 2 leaves no connection of certhall_db_pool_size 2 for the other statements



=== TEST 6: cheap first, but not more than 4 in a row while a normal request waits
A pool of 2, one kept for cheap statements.  One connection is stuck on a
lock with my orders (on orders), the other with the catalog (on
material_kinds, which my orders do not read); two more requests for my
orders wait in the normal queue, six health checks in the cheap one.  The
orders' lock goes: the one connection serving them takes four health
checks, then one of my orders, then the two health checks left, then the
last of my orders.  (Strictly cheap first would leave both of my orders to
the end, behind any number of health checks.)
--- http_config eval
qq{    certhall_db "$Certhall::Test::DB";
    certhall_db_pool_size 2;
    certhall_db_reserved 1;
    certhall_db_queue_size 8;
    certhall_db_queue_timeout 120s;
    certhall_db_query_timeout 120s;
}
--- config eval: $Certhall::Test::API_LOCATION
--- init
::wait_for_log(qr/certhall db: connection \d ready/, "the pool's two connections", 2);
::hold_lock('orders');
::hold_lock('material_kinds');
my @orders = (::send_request('/api/orders'));
::wait_for_module_waiting(1);
my $projects = ::send_request('/api/projects');
::wait_for_module_waiting(2);
push @orders, ::send_request('/api/orders') for 1 .. 2;
::wait_for_log(qr/certhall db: queued, 2 waiting \(normal\)/, "two requests in the normal queue");
my @health = map { ::send_request('/api/health') } 1 .. 6;
::wait_for_log(qr/certhall db: queued, 6 waiting \(cheap\)/, "six requests in the cheap queue");
my $from = ::log_size();
::release_lock('orders');
my @got = map { [::read_response($_)] } @orders, @health;
Test::More::is_deeply([map { $_->[0] } @got], [(200) x 9], "my orders thrice and health six times: 200");
Test::More::is(join(' ', ::started_since($from)),
               'health health health health orders health health orders',
               "the order the connection served them in");
::release_lock('material_kinds');
my ($status, $body) = ::read_response($projects);
Test::More::is($status, 200, "the catalog, once its lock goes: 200");
Test::More::like($body, qr/^\{"material_kinds" : /, "... the catalog");
--- request
GET /api/health
--- error_code: 200
--- no_error_log
[error]
[alert]

