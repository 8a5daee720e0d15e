# PostgreSQL goes away under a mixed load and comes back (issue 21): stopped
# fast, stopped immediate, each started again mid-load, and replaced by a
# fresh server on the same socket (failover-like).  While it is down every
# API answer is 503 in the error model with Retry-After, and nothing hangs;
# once it accepts connections again the requests sent are served (the
# module's pool reconnects for the first request that finds no connection,
# not after its backoff), within the issue's 2 s; and the database and the
# storage hold exactly what each client was told (Certhall::Ledger).
#
# One hall for all the cases (its port: TEST_NGINX_PORT + 20).  Short form
# by default; CERTHALL_FAULTS_FULL=1 runs more clients for longer.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use HTTP::Tiny;
use DBI;
use Digest::SHA ();
use Certhall::Upload ();
use POSIX ();

use Certhall::Hall;
use Certhall::Load;
use Certhall::Ledger;

$ENV{TEST_NGINX_REPO} or plan skip_all => 'run inside t/bin/testenv';
$> == 0 or plan skip_all => 'a hall runs PostgreSQL as postgres and nginx\'s workers as nobody: root only';

my $full = $ENV{CERTHALL_FAULTS_FULL};
my $port = ($ENV{TEST_NGINX_PORT} // 2500) + 20;
my $hall = Certhall::Hall->start(port => $port);
my %size = $full ? (clients => 6, staff => 2, orders => 20) : (clients => 3, staff => 1, orders => 5);
# answers to wait for, before the fault and after the return
my $settle = $full ? 150 : 20;
my @figures;

sub api_entries { grep { $_->{path} =~ m{^/api/} && $_->{action} ne 'notify' } @_ }

# the journal's answers while the database was down: [$from, $to)
sub answered_between {
    my ($load, $from, $to) = @_;
    return grep { $_->{t0} >= $from && $_->{t1} < $to && $_->{status} } api_entries($load->journal);
}

sub first_ok_after {
    my ($load, $t) = @_;
    my ($e) = sort { $a->{t1} <=> $b->{t1} }
              grep { $_->{t0} >= $t && $_->{status} && $_->{status} < 400 } api_entries($load->journal);
    return $e;
}

# CERTHALL_FAULTS_CASES=regex runs the cases whose names match only
my $only = $ENV{CERTHALL_FAULTS_CASES} ? qr/$ENV{CERTHALL_FAULTS_CASES}/ : qr/./;

for my $case (['pg-fast', 'fast'], ['pg-immediate', 'immediate'], ['pg-replaced', 'replace']) {
    my ($name, $mode) = @$case;
    next unless $name =~ $only;
    my $began = time;
    my $load = Certhall::Load->new(hall => $hall, name => $name, timeout => 10, %size)->setup;
    $load->start;
    ok $load->wait_requests($settle, 60) >= $settle, "$name: the load runs";

    my ($down, $stopped, $up);
    if ($mode eq 'replace') {
        $down = time;
        $hall->pg_replace;
        $up = time;
    } else {
        $down = time;
        $hall->pg_stop($mode);
        $stopped = time;
        # while it is down: answers come, and they are refusals
        my $refused = Certhall::Hall::wait_for(sub {
            grep({ $_->{status} == 503 } answered_between($load, $stopped, time)) >= 2 * $size{clients}
        }, 30, undef, 0.05);
        ok $refused, "$name: requests are answered while the database is down";
        my $restart = time;
        $hall->pg_start;
        $up = time;
        ok $hall->pg_ready, "$name: PostgreSQL accepts connections again";
        my @while = answered_between($load, $stopped, $restart);
        my @bad = grep { !($_->{status} == 503 && ($_->{code} // '') eq 'database_unavailable'
                           && $_->{error_model} && defined $_->{retry_after}) } @while;
        ok @while && !@bad, "$name: while down, every API answer is 503 database_unavailable"
                            . ' in the error model with Retry-After (' . scalar(@while) . ' answers)'
            or diag explain [ @bad[0 .. ($#bad < 5 ? $#bad : 5)] ];
    }

    # back: the requests sent once it accepts connections are served
    my $first = Certhall::Hall::wait_for(sub { first_ok_after($load, $up) }, 30, undef, 0.05);
    ok $first, "$name: a request sent after the database's return is served";
    my $back = $first ? $first->{t1} - $up : 'never';
    $load->wait_requests($settle, 60);
    $load->stop;
    my @after = grep { $_->{t0} >= $up } api_entries($load->journal);
    my @failed = grep { !$_->{status} || $_->{status} >= 500 } @after;
    ok @after && !@failed, "$name: every API request sent after its return is answered, none 5xx ("
                           . scalar(@after) . ' requests)'
        or diag explain [ @failed[0 .. ($#failed < 5 ? $#failed : 5)] ];
    # the issue's bound; its mechanism (served at once, not after the
    # pool's backoff) is the assertion above
    ok $first && $back <= 2, "$name: back within 2 s of its return"
        or diag "$name: the first 2xx came " . (ref $first ? sprintf('%.3f s', $back) : 'never') . ' after';

    Certhall::Ledger->new(hall => $hall, load => $load)->check_all($name);
    push @figures, $load->summary($name)
        . (ref $first ? sprintf(', first 2xx %.3f s after the return', $back) : '')
        . ($stopped ? sprintf(', down %.2f s', $up - $stopped) : '')
        . sprintf(' (the case: %.0f s)', time - $began);
}

# --- a statement in flight when the server dies -----------------------------
# A cancellation, a staff approval and an upload's row wait for a lock
# (held by a session of the test's own) when PostgreSQL stops immediate:
# their statements reached the server, which ends without a word.  Neither the module nor the back
# office can know whether they committed, and neither may say "nothing
# happened, try again": 503 database_interrupted (the API), the page that
# says to look first (the back office).
if ('in-flight' =~ $only) {
    my $name = 'in-flight';
    my $load = Certhall::Load->new(hall => $hall, name => $name, clients => 1, staff => 1,
                                   orders => 2)->setup;
    my ($cancel, $approve, $draft) = ($load->order_id_of(1, 1, 1), $load->order_id_of(1, 3, 1),
                                      $load->order_id_of(1, 1, 2));
    my $scan = `'${\ $hall->root}/build/bin/mkscan' jpg color 800 600 --seed 4100000000`;
    my $scan_sha = Digest::SHA::sha256_hex($scan);
    my $scan_file = $hall->storage . '/' . substr($scan_sha, 0, 2) . "/$scan_sha";
    my $phone = $load->phone_of(1);
    my $http = HTTP::Tiny->new(timeout => 30);
    my $res = $http->post($hall->base . '/api/session', { headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
                          content => "phone=$phone&password=load-pass-2026" });
    my ($cookie) = join("\n", map { ref $_ ? @$_ : $_ } $res->{headers}{'set-cookie'} // '') =~ /certhall_session=([^;\s]+)/;
    my ($csrf) = ($res->{content} // '') =~ /"csrf_token" : "([^"]+)"/;
    ok $cookie && $csrf, "$name: the applicant is logged in" or diag $res->{content};
    my ($token, $staff_csrf) = @{ $load->{staff_session}{1} };

    # the lock, from a session of its own: order_events' writers wait (both
    # actions add a history row); held until the server goes
    my $locked = $hall->var . '/in-flight-locked';
    my $lock_pid = fork // die "fork: $!";
    if (!$lock_pid) {
        my $dbh = DBI->connect('dbi:Pg:', undef, undef, { AutoCommit => 0, RaiseError => 1,
                                                          PrintError => 0 });
        $dbh->do('LOCK TABLE order_events, materials IN SHARE MODE');
        open my $fh, '>', $locked; close $fh;
        sleep 1 while 1;
    }
    ok Certhall::Hall::wait_for(sub { -e $locked }, 30), "$name: order_events and materials are locked";
    my $waiting = sub {
        my $n = shift;
        Certhall::Hall::wait_for(sub {
            ($hall->sql_value("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                              . " AND datname = 'certhall'") // 0) >= $n }, 30);
    };
    # each request from a child of its own, answered whenever the server goes
    my @kids;
    for my $req (['POST', $hall->base . "/api/orders/$cancel/cancel",
                  { 'Content-Type' => 'application/x-www-form-urlencoded',
                    Cookie => "certhall_session=$cookie", 'X-CSRF-Token' => $csrf }, ''],
                 ['POST', $hall->base . "/admin/orders/$approve/approve",
                  { 'Content-Type' => 'application/x-www-form-urlencoded',
                    Cookie => "certhall_admin=$token" }, "csrf=$staff_csrf"],
                 ['POST', $hall->base . "/api/orders/$draft/materials/legal_id_front",
                  { 'Content-Type' => "multipart/form-data; boundary=$Certhall::Upload::BOUNDARY",
                    Cookie => "certhall_session=$cookie", 'X-CSRF-Token' => $csrf },
                  Certhall::Upload::file_body($scan, 'id.jpg')]) {
        my $out = $hall->var . "/in-flight-" . scalar(@kids);
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $r = HTTP::Tiny->new(timeout => 60, max_redirect => 0)
                    ->request($req->[0], $req->[1], { headers => $req->[2], content => $req->[3] });
            open my $fh, '>', $out; print $fh "$r->{status}\n", $r->{headers}{'retry-after'} // '', "\n", $r->{content} // '';
            close $fh;
            POSIX::_exit(0);
        }
        push @kids, [$pid, $out];
    }
    ok $waiting->(3), "$name: the cancellation, the approval and an upload's row wait for the lock";
    $hall->pg_stop('immediate');
    waitpid($_->[0], 0) for @kids;
    kill 'KILL', $lock_pid;
    waitpid($lock_pid, 0);
    my @ans = map { my $f = $_->[1]; open my $fh, '<', $f; local $/; [split /\n/, <$fh> // '', 3] } @kids;
    is_deeply [@{ $ans[0] }[0, 1]], [503, 5], "$name: the API answers 503 with Retry-After"
        or diag explain $ans[0];
    like $ans[0][2] // '', qr/^\{"error":\{"code":"database_interrupted","message":"[^"]+"\}\}$/,
         "$name: database_interrupted: the outcome is unknown, not 'nothing happened'";
    is $ans[1][0], 503, "$name: the back office answers 503" or diag explain $ans[1];
    like $ans[1][2] // '', qr/与数据库的连接中断，无法确认操作是否已完成/,
         "$name: and says the outcome is unknown, not 'try again'";
    is $ans[2][0], 503, "$name: the upload is answered 503" or diag explain $ans[2];
    like $ans[2][2] // '', qr/"code":"database_interrupted"/, "$name: database_interrupted too";
    ok -e $scan_file, "$name: its stored file is kept (its row might have been written)";
    $hall->pg_start;
    is $hall->sql_value("SELECT count(*) FROM materials WHERE sha256 = '$scan_sha'"), 0,
       "$name: (here it was not)";
    my ($rc, $out) = $hall->admin({ user => 'nobody' }, 'sweep-storage', '--older-than', '0');
    ok $rc == 0 && $out =~ /^sweep-storage: 1 removed, 0 kept$/m && !-e $scan_file,
       "$name: certhall-admin sweep-storage takes the file without its row back" or diag $out;
    push @figures, sprintf('%s: 3 requests in flight (a cancellation, an approval, an upload), answered'
                           . ' %s, %s and %s when PostgreSQL stopped immediate', $name,
                           map { $_->[0] // 'nothing' } @ans);
    # both waited for the lock when the server died: neither committed
    is $hall->sql_value("SELECT string_agg(state, ' ' ORDER BY id) FROM orders WHERE id IN ('$cancel', '$approve')"),
       'draft pending_review', "$name: (here neither had committed)";
}

diag $_ for @figures;

done_testing;
