# A statement whose outcome the module cannot know (issue 21's fault
# suite): it reached the database and the connection broke before the
# answer came (here: the statement's time limit, which closes the
# connection while the server still holds the statement).  The client is
# told 503 database_interrupted, "look before you retry", never "nothing
# happened" (database_unavailable): the statement commits once the lock it
# waits for goes, as these blocks show.  An upload's stored file is kept in
# that case, so that the row, once committed, has its file.  A read is
# plainly database_unavailable.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Admin qw(order_at);
use Certhall::Upload;
use File::Temp qw(tempdir);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
our $KeyFile = data_key_file($Dir);
our $Storage = "$Dir/storage";
mkdir $Storage or die "$Storage: $!";

reset_accounts();
our $Alice = '13800000031';
make_account($Alice, 'secret-pass-1', verified => ['张三', '1101**********002X']);
make_session($Alice, 1);
our %O = (cancel => 'UO202612070000003101', upload => 'UO202612070000003102');
order_at('draft', id => $O{cancel}, phone => $Alice);
order_at('draft', id => $O{upload}, phone => $Alice);
our $Scan = scan($Dir, 'jpg', 'color', 800, 600);

# one connection whose statements may take 2 s at most.  The server is
# told not to watch for its client going (client_connection_check_interval
# 0): as a server that cannot see it go (a network that drops the packets,
# no FIN ever reaching it), or whose statement is past its last check, it
# runs the statement to its commit after the module gave up on it.
our $HttpConfig = hall_http_config(data_key => $KeyFile)
    =~ s{certhall_db "([^"]*)";}{certhall_db "$1 options='-c client_connection_check_interval=0'";}r
    . "    certhall_storage $Storage;\n"
    . "    certhall_db_pool_size 1;\n"
    . "    certhall_db_query_timeout 2s;\n";
our $Config = $API_LOCATION
    . "    location /_certhall/files/ {\n        internal;\n        alias $Storage/;\n    }\n";

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("http_config", $HttpConfig) unless defined $block->http_config;
    $block->set_value("config", $Config) unless defined $block->config;
});

sub auth {
    return "Cookie: certhall_session=" . session_token(1) . "\nX-CSRF-Token: " . csrf_token(1);
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

# A lock on a table from another session, held until release_lock() (the
# session's own bound, 10 minutes, only keeps a suite that dies from
# leaving it behind for long): SHARE blocks writers only, ACCESS EXCLUSIVE
# readers too.  Returns once the lock is held.
sub hold_lock {
    my ($table, $mode) = @_;
    system("PGAPPNAME=certhall-test-lock psql -X -q -c 'BEGIN; LOCK TABLE $table IN $mode MODE;"
           . " SELECT pg_sleep(600); COMMIT;' >/dev/null 2>&1 &");
    sql_until("SELECT count(*) > 0 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
              . " JOIN pg_stat_activity a ON a.pid = l.pid"
              . " WHERE c.relname = '$table' AND l.granted AND a.application_name = 'certhall-test-lock'",
              "the lock on $table");
}

sub release_lock {
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        . " WHERE application_name = 'certhall-test-lock'");
    sql_until("SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'certhall-test-lock'",
              'the end of the session holding the lock');
}

# the pool's one connection is up (a request before would wait for it,
# which is not what these blocks are about)
sub wait_for_pool {
    for (1 .. 1500) {
        if (open my $fh, '<', $Test::Nginx::Util::ErrLogFile) {
            while (<$fh>) { return if /certhall db: connection 0 ready/ }
        }
        select undef, undef, undef, 0.02;
    }
    die "the pool's connection was not ready in 30 s\n";
}

our $Interrupted = '{"error":{"code":"database_interrupted","message":"与数据库的连接中断，'
                 . '无法确认操作是否已完成，请刷新查看后再决定是否重试"}}';

# whatever happens, no lock is left for the next suites
END { release_lock() }

run_tests();

__DATA__

=== TEST 1: a cancellation cut off after it reached the database: 503 database_interrupted, not "try again"
The statement waits for a lock on order_events (the transition's history
row) past its 2 s; the module closes the connection, which the server does
not notice while it waits.
--- init
::wait_for_pool();
::hold_lock('order_events', 'SHARE');
--- more_headers eval
"$::FORM\n" . ::auth()
--- request eval
"POST /api/orders/$::O{cancel}/cancel\n"
--- error_code: 503
--- response_headers
Retry-After: 5
--- response_body eval: $::Interrupted
--- error_log
statement timed out, closing the connection



=== TEST 2: ... and it was done: once the lock goes, the order is cancelled (so a "nothing happened" would have lied)
--- init
::release_lock();
::sql_until("SELECT state = 'cancelled' FROM orders WHERE id = '$::O{cancel}'", 'the cancellation');
--- more_headers eval: ::auth()
--- request eval
"GET /api/orders/$::O{cancel}"
--- error_code: 200
--- response_body_like chomp
"state" : "cancelled"



=== TEST 3: an upload whose row's statement is cut off: 503 database_interrupted, the stored file kept
--- init
::wait_for_pool();
::hold_lock('materials', 'SHARE');
--- more_headers eval
"$Certhall::Upload::MULTIPART\n" . ::auth()
--- request eval
"POST /api/orders/$::O{upload}/materials/legal_id_front\n" . ::file_body($::Scan, 'id.jpg')
--- error_code: 503
--- response_body eval: $::Interrupted
--- error_log
the database's answer was lost



=== TEST 4: ... the row is written once the lock goes, and its file is there: the applicant gets the scan back
--- init
::release_lock();
::sql_until("SELECT count(*) = 1 FROM materials WHERE order_id = '$::O{upload}'", 'the row');
--- more_headers eval: ::auth()
--- request eval
"GET /api/orders/$::O{upload}/materials/legal_id_front"
--- error_code: 200
--- response_body eval: $::Scan
--- no_error_log
[crit]



=== TEST 5: nothing left in storage/tmp, one stored file for one row
--- init
my @tmp = ::tmp_files($::Storage);
die "left in tmp: @tmp\n" if @tmp;
my @files = ::storage_files($::Storage);
die "stored: @files\n" unless "@files" eq substr(Digest::SHA::sha256_hex($::Scan), 0, 2) . '/' . Digest::SHA::sha256_hex($::Scan);
--- request
GET /api/health
--- error_code: 200



=== TEST 6: a read cut off the same way changed nothing: plainly database_unavailable
--- init
::wait_for_pool();
::hold_lock('projects', 'ACCESS EXCLUSIVE');
--- request
GET /api/projects
--- error_code: 503
--- response_body chomp
{"error":{"code":"database_unavailable","message":"数据库暂时不可用，请稍后再试"}}
--- error_log
statement timed out, closing the connection



=== TEST 7: (the lock released)
--- init
::release_lock();
--- request
GET /api/health
--- error_code: 200
