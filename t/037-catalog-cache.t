# The catalog cache (issue 22): GET /api/projects, /api/pickup-points,
# /api/downloads and /api/agreements/{code} kept by each worker with a
# strong ETag, If-None-Match answered 304, a change committed in the
# database dropped from every worker by NOTIFY certhall_catalog, a hit
# served without the database, and the listening connection's loss and
# return (ngx_module/ngx_http_certhall_cache.c, _db_listen.c).  Two worker
# processes; a second server on TEST_NGINX_PORT + 1 with reuseport spreads
# its connections over both, and says which worker answered (X-Worker).
# One nginx for TEST 1 to 7 (restarts cost more than the checks).  Runs
# inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Digest::MD5 qw(md5_hex);
use HTTP::Tiny;
use IO::Socket::INET;

no_shuffle();
master_on();
workers(2);

our $Port2 = $Test::Nginx::Util::ServerPort + 1;
our $Location = "    location /api/ {\n        certhall;\n        client_max_body_size 0;\n"
              . "        add_header X-Worker \$pid always;\n    }\n";
# connecting may take long under valgrind, two workers on a loaded machine
our $HttpConfig = hall_http_config() . "    certhall_db_connect_timeout 30s;\n"
    . "    server {\n        listen 127.0.0.1:$Port2 reuseport;\n$Location    }\n";

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);
    }
});

# the database's own answer now, and its ETag
sub db_answer { sql_value("SELECT $_[0]::text") }
sub etag { '"' . md5_hex($_[0]) . '"' }

# Waits, bounded (30 s), until error.log has $n lines matching $re
sub wait_for_log {
    my ($re, $n, $what) = @_;
    for (1 .. 1500) {
        my $seen = 0;
        if (open my $fh, '<', $Test::Nginx::Util::ErrLogFile) {
            while (<$fh>) { $seen++ if $_ =~ $re }
        }
        return if $seen >= $n;
        select undef, undef, undef, 0.02;
    }
    die "$what: not logged $n times in 30 s\n";
}

sub wait_listening {
    wait_for_log(qr/catalog cache: listening for changes/, shift, 'the workers listening');
}

# one request to the reuseport server: (status, body, worker pid, etag)
my $Http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
sub get2 {
    my $r = $Http->get("http://127.0.0.1:$::Port2$_[0]");
    return ($r->{status}, $r->{content}, $r->{headers}{'x-worker'} // '',
            $r->{headers}{etag} // '');
}

# requests until both workers have answered (bounded); what they answered
sub both_workers {
    my ($path) = @_;
    my (%body, @all);
    for (1 .. 400) {
        my ($status, $body, $worker) = get2($path);
        push @all, [$status, $body, $worker];
        $body{$worker} //= $body;
        return (\%body, \@all) if keys %body >= 2;
    }
    die "one worker answered 400 requests to $path\n";
}

# polls (bounded) until $path answers $want, then asks both workers again:
# every answer from then on must be $want
sub every_worker_shows {
    my ($path, $want, $what) = @_;
    my $polls = 0;
    until ((get2($path))[1] eq $want) {
        die "$what: not shown after 500 requests\n" if ++$polls > 500;
    }
    Test::More::note("$what: shown after $polls stale answers");
    my ($body, $all) = both_workers($path);
    Test::More::is(scalar(grep { $_->[0] != 200 || $_->[1] ne $want } @$all), 0,
                   "$what: every answer of both workers after it has the change ("
                   . scalar(@$all) . " requests)");
}

run_tests();

__DATA__

=== TEST 1: the catalog with a strong ETag of its bytes, kept: the same answer and ETag twice, revalidated each time
--- config eval: $::Location
--- init
::wait_listening(2);
--- request eval
["GET /api/projects", "GET /api/projects"]
--- error_code eval
[200, 200]
--- response_headers eval
my $e = ::etag(::db_answer('api.projects()'));
["ETag: $e\nCache-Control: no-cache\nContent-Type: application/json; charset=utf-8",
 "ETag: $e\nCache-Control: no-cache\nContent-Type: application/json; charset=utf-8"]
--- response_body eval
[::db_answer('api.projects()'), ::db_answer('api.projects()')]
--- no_error_log
[error]



=== TEST 2: If-None-Match with the ETag: 304, no body; with another: the answer
--- init
::wait_listening(2);
--- request eval
["GET /api/pickup-points", "GET /api/pickup-points", "GET /api/pickup-points"]
--- more_headers eval
["", "If-None-Match: " . ::etag(::db_answer('api.pickup_points()')),
 "If-None-Match: \"0123456789abcdef0123456789abcdef\""]
--- error_code eval
[200, 304, 200]
--- response_body eval
[::db_answer('api.pickup_points()'), "", ::db_answer('api.pickup_points()')]
--- no_error_log
[error]



=== TEST 3: the agreement, each version asked, and the downloads of a project, with ETags; an unknown project is 404 and not kept
--- init
::wait_listening(2);
--- request eval
["GET /api/agreements/user_terms", "GET /api/agreements/user_terms?version=1",
 "GET /api/downloads?project=xiangtan_ggzy", "GET /api/downloads?project=no_such",
 "GET /api/downloads?project=no_such"]
--- error_code eval
[200, 200, 200, 404, 404]
--- response_headers eval
["ETag: " . ::etag(::db_answer("api.agreement('user_terms', NULL)")),
 "ETag: " . ::etag(::db_answer("api.agreement('user_terms', 1)")),
 "ETag: " . ::etag(::db_answer("api.downloads('xiangtan_ggzy')")),
 "Cache-Control: no-store\n!ETag", "Cache-Control: no-store\n!ETag"]
--- response_body eval
[::db_answer("api.agreement('user_terms', NULL)"),
 ::db_answer("api.agreement('user_terms', 1)"),
 ::db_answer("api.downloads('xiangtan_ggzy')"),
 qq{{"error":{"code":"project_not_found","field":"project","message":"申请项目不存在"}}},
 qq{{"error":{"code":"project_not_found","field":"project","message":"申请项目不存在"}}}]
--- no_error_log
[error]



=== TEST 4: a change committed in the database shows on both workers, and a rolled-back one nowhere
--- init
::wait_listening(2);
my ($before) = ::both_workers('/api/pickup-points');
my @old = values %$before;
Test::More::is($old[0], $old[1], 'both workers answer the same pickup points');
::sql("BEGIN; UPDATE pickup_points SET hours = 'rolled back' ; ROLLBACK");
::sql("UPDATE pickup_points SET hours = hours || '（已调整）' WHERE active");
::every_worker_shows('/api/pickup-points', ::db_answer('api.pickup_points()'),
                     'the pickup points changed');
Test::More::unlike(::db_answer('api.pickup_points()'), qr/rolled back/, 'the rollback left nothing');
::sql("UPDATE pickup_points SET hours = replace(hours, '（已调整）', '')");
# a notice reaches the workers after the commit, not with it: the block's
# own request below is sent once both show the change undone
::every_worker_shows('/api/pickup-points', ::db_answer('api.pickup_points()'),
                     'the change undone');
--- request
GET /api/pickup-points
--- response_body eval
::db_answer('api.pickup_points()')
--- no_error_log
[error]



=== TEST 5: a hit does not touch the database: with the projects table locked, the catalog is still answered
--- init
::wait_listening(2);
my ($kept) = ::both_workers('/api/projects');
my $dbh = DBI->connect('dbi:Pg:', undef, undef, { RaiseError => 1, AutoCommit => 0, pg_enable_utf8 => 0 });
$dbh->do('LOCK TABLE projects IN ACCESS EXCLUSIVE MODE');
my ($body, $all) = eval { ::both_workers('/api/projects') };
$dbh->rollback;
$dbh->disconnect;
Test::More::ok($all && !grep({ $_->[0] != 200 || $_->[1] ne $kept->{$_->[2]} } @$all),
               'both workers answered the kept catalog while the table was locked')
    or Test::More::diag($@);
--- request
GET /api/projects
--- error_code: 200
--- no_error_log
[error]



=== TEST 6: a fill whose statement began before a change is sent to its request but not kept
The statement waits for a lock the changing transaction holds, with its
snapshot taken before the change (api.agreement is STABLE: it sees the
calling statement's snapshot): its answer is the old text, and no worker
may keep it.
--- init
::wait_listening(2);
my $old = ::db_answer("api.agreement('agreement', NULL)");
my $dbh = DBI->connect('dbi:Pg:', undef, undef, { RaiseError => 1, AutoCommit => 0, pg_enable_utf8 => 0 });
$dbh->do('LOCK TABLE agreements IN ACCESS EXCLUSIVE MODE');
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$::Port2") or die "connect: $!";
print $s "GET /api/agreements/agreement HTTP/1.0\r\nHost: localhost\r\n\r\n";
my $waiting;
for (1 .. 1500) {
    last if $waiting = ::sql_value("SELECT count(*) FROM pg_stat_activity WHERE application_name"
                                   . " = 'certhall-nginx' AND wait_event_type = 'Lock'");
    select undef, undef, undef, 0.02;
}
$dbh->do("UPDATE agreements SET name = name || ' (v2)' WHERE code = 'agreement'");
$dbh->commit;
$dbh->disconnect;
my $answer = do { local $/; <$s> };
Test::More::ok($waiting, 'the fill waited for the lock');
Test::More::is((split /\r\n\r\n/, $answer, 2)[1], $old, 'the fill answered what its snapshot saw: the old text');
::every_worker_shows('/api/agreements/agreement', ::db_answer("api.agreement('agreement', NULL)"),
                     'the change after the fill');
::sql("UPDATE agreements SET name = replace(name, ' (v2)', '') WHERE code = 'agreement'");
::every_worker_shows('/api/agreements/agreement', ::db_answer("api.agreement('agreement', NULL)"),
                     'the change undone');
--- request
GET /api/agreements/agreement
--- response_body eval
::db_answer("api.agreement('agreement', NULL)")
--- no_error_log
[error]



=== TEST 7: the listening connection ended by the server: a change made while it was away shows, and the cache comes back
--- init
::wait_listening(2);
::both_workers('/api/agreements/user_terms');
::sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
      . " WHERE query = 'LISTEN certhall_catalog'");
::wait_for_log(qr/the listening connection: receive failed/, 2, 'both workers losing it');
::sql("UPDATE agreements SET name = name || '（新）' WHERE code = 'user_terms'");
::every_worker_shows('/api/agreements/user_terms',
                     ::db_answer("api.agreement('user_terms', NULL)"), 'the change made while away');
::wait_listening(4);
::sql("UPDATE agreements SET name = replace(name, '（新）', '') WHERE code = 'user_terms'");
::every_worker_shows('/api/agreements/user_terms',
                     ::db_answer("api.agreement('user_terms', NULL)"), 'the change after it came back');
--- request
GET /api/agreements/user_terms
--- response_body eval
::db_answer("api.agreement('user_terms', NULL)")
--- error_log
the listening connection: receive failed



=== TEST 8: certhall_catalog_cache off: the answers as before the cache (no-store, no ETag), no listening connection
--- config eval: $::Location
--- http_config eval
$::HttpConfig . "    certhall_catalog_cache off;\n"
--- request
GET /api/projects
--- response_headers
Cache-Control: no-store
!ETag
--- response_body eval
::db_answer('api.projects()')
--- no_error_log
listening for changes
[error]
