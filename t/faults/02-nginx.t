# nginx's own life under a mixed load (issue 21): reloaded (HUP) several
# times, binary-upgraded (USR2, WINCH, QUIT to the old master), and a
# worker killed with SIGKILL mid-upload and mid-transaction.
#
# - reload and upgrade: no request fails (every answer is what it would
#   have been without them), and an upload in flight across them (its body
#   half sent before, the rest after) is stored by the worker that took it;
#   the ledger (Certhall::Ledger) holds exactly what each client was told.
# - kill mid-upload: the body half sent, its temporary file live (held
#   under flock() by the worker: ngx_module/README.md, certhall_storage);
#   the worker that holds the upload's connection is killed: the master
#   starts another, whose start removes the dead worker's temporary file at
#   once; the client gets no answer; no row, no stored file.
# - kill mid-transaction: a submit whose statement waits for a row lock
#   taken from psql (the event: PostgreSQL says it waits); its worker is
#   killed: PostgreSQL ends the statement when its client is gone, before
#   the lock is released (client_connection_check_interval), so the order
#   is untouched, and the next request on it is served.
# - kill mid-upload-transaction: the same for an upload whose file was
#   checked and stored and whose row waits for the lock: no row, no
#   temporary file; its stored file stays, no row naming it, as for any
#   upload whose outcome is unknown, until certhall-admin sweep-storage.
#
# One hall for all the cases (its port: TEST_NGINX_PORT + 80).  Short form
# by default; CERTHALL_FAULTS_FULL=1 reloads more often, under more clients.
use strict;
use warnings;
use Test::More;
use Digest::SHA qw(sha256_hex);
use Fcntl qw(:flock);
use HTTP::Tiny;
use IO::Handle;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time);

use Certhall::Hall;
use Certhall::Load;
use Certhall::Ledger;
use Certhall::Test qw(make_account quote);
use Certhall::Admin qw(order_at);
use Certhall::Upload qw(multipart);

$ENV{TEST_NGINX_REPO} or plan skip_all => 'run inside t/bin/testenv';
$> == 0 or plan skip_all => 'a hall runs PostgreSQL as postgres and nginx\'s workers as nobody: root only';

my $full = $ENV{CERTHALL_FAULTS_FULL};
my $port = ($ENV{TEST_NGINX_PORT} // 2500) + 80;
my $hall = Certhall::Hall->start(port => $port);
my %size = $full ? (clients => 6, staff => 2, orders => 20) : (clients => 2, staff => 1, orders => 4);
my $reloads = $full ? 5 : 2;
# answers to wait for between two faults
my $settle = $full ? 100 : 12;
my $JSON = JSON::PP->new->utf8;
my @figures;
my @orphans;     # stored files of uploads killed before their commit (swept at the end)
my $T0 = time;
sub step { note sprintf('%7.2f s  %s', time - $T0, shift) }
step(sprintf 'the hall started (%.1f s after the test)', $T0 - $^T);

my $storage = $hall->storage;
my $seed_scan = `'${\ $hall->root}/build/bin/mkscan' jpg color 400 300 --seed 4100000000`;
length $seed_scan or die "mkscan failed\n";
my $kinds = [ map { $_->[0] } $hall->sql("SELECT material_kind FROM project_service_materials"
    . " WHERE project_code = 'xiangtan_ggzy' AND service = 'new' AND cert_type = 'org' ORDER BY 1") ];

# --- the test's own applicants, beside the load -----------------------------

my $applicants = 0;

# an applicant with a session, and one draft of each kind given
sub applicant {
    my %o = @_;
    my $n = ++$applicants;
    my $phone = sprintf('1370%03d%04d', $$ % 1000, $n);
    my $id = make_account($phone, 'trickle-pass-2026', verified => ['王五', '1101**********003X']);
    my $order = sprintf('UO20261207%04d%06d', 8000 + $$ % 1000, $n);
    order_at('draft', id => $order, phone => $phone,
             $o{complete} ? (complete => 1, storage => $storage, file => $seed_scan) : ());
    system('chown', '-R', 'nobody:nogroup', $storage);
    my $res = HTTP::Tiny->new(timeout => 10)->post($hall->base . '/api/session', {
        headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
        content => "phone=$phone&password=trickle-pass-2026" });
    $res->{status} == 200 or die "login $phone: $res->{status} $res->{content}\n";
    my $sc = $res->{headers}{'set-cookie'};
    $sc = join "\n", @$sc if ref $sc;
    my ($cookie) = $sc =~ /certhall_session=([^;\s]+)/;
    return { account => $id, phone => $phone, order => $order, cookie => $cookie,
             csrf => $JSON->decode($res->{content})->{csrf_token} };
}

# a request on a socket of its own: the headers, and $body up to $send
# bytes; the rest is sent by finish()
sub raw_request {
    my ($who, $method, $path, $type, $body, $send) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 10)
        or die "connect: $!\n";
    $sock->autoflush(1);
    print $sock "$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        . "Cookie: certhall_session=$who->{cookie}\r\nX-CSRF-Token: $who->{csrf}\r\n"
        . "Content-Type: $type\r\nContent-Length: " . length($body) . "\r\n\r\n"
        . substr($body, 0, $send // length $body);
    return { sock => $sock, body => $body, sent => $send // length $body };
}

# the rest of the body, then the answer: (status, JSON or undef, raw);
# status 0 when the connection ended without one
sub finish {
    my $r = shift;
    my $sock = $r->{sock};
    local $SIG{PIPE} = 'IGNORE';
    print $sock substr($r->{body}, $r->{sent}) if $r->{sent} < length $r->{body};
    my $raw = '';
    my $until = time + 15;
    while (time < $until) {
        my $rin = '';
        vec($rin, fileno $sock, 1) = 1;
        select(my $rout = $rin, undef, undef, 0.5) or next;
        my $n = sysread $sock, my $buf, 65536;
        last unless $n;                 # EOF, or a reset
        $raw .= $buf;
    }
    close $sock;
    my ($status) = $raw =~ m{^HTTP/1\.1 (\d{3})};
    my ($content) = $raw =~ /\r\n\r\n(.*)\z/s;
    my $json = eval { $JSON->decode($content // '') };
    return ($status // 0, $json, $raw);
}

sub upload_request {
    my ($who, $kind, $bytes, $send_fraction) = @_;
    my $body = multipart(['file', "$kind.jpg", 'image/jpeg', $bytes]);
    my $r = raw_request($who, 'POST', "/api/orders/$who->{order}/materials/$kind",
                        "multipart/form-data; boundary=$Certhall::Upload::BOUNDARY", $body,
                        int(length($body) * $send_fraction));
    $r->{sha256} = sha256_hex($bytes);
    $r->{kind} = $kind;
    return $r;
}

# a scan large enough that half its body is a temporary file being written
my $scan_n = 0;
sub big_scan {
    return scalar `'${\ $hall->root}/build/bin/mkscan' jpg color 1600 1200 --noise 20 --seed ${\ (4200000000 + ++$scan_n)}`;
}

# --- the storage's temporary files and the workers --------------------------------

sub tmp_files {
    opendir my $dh, "$storage/tmp" or return ();
    return sort grep { !/^\./ } readdir $dh;
}

# a temporary file held by a live process (its worker's flock())
sub held {
    my $name = shift;
    open my $fh, '<', "$storage/tmp/$name" or return 0;
    return flock($fh, LOCK_EX | LOCK_NB) ? 0 : 1;
}

# the worker that has $sock's connection: the socket inode of the server's
# side of it (/proc/net/tcp), among the workers' descriptors
sub worker_of {
    my ($sock, @workers) = @_;
    my $client = sprintf('0100007F:%04X', $sock->sockport);
    my $server = sprintf('0100007F:%04X', $port);
    open my $fh, '<', '/proc/net/tcp' or die "/proc/net/tcp: $!";
    my $inode;
    while (<$fh>) {
        my @f = split ' ';
        $inode = $f[9] if $f[1] eq $server && $f[2] eq $client;
    }
    return undef unless $inode;
    for my $w (@workers) {
        opendir my $dh, "/proc/$w/fd" or next;
        for (readdir $dh) {
            my $l = readlink "/proc/$w/fd/$_" // next;
            return $w if $l eq "socket:[$inode]";
        }
    }
    return undef;
}

sub material_rows {
    my ($order, $kind, $sha) = @_;
    return $hall->sql_value("SELECT count(*) FROM materials WHERE order_id = " . quote($order)
                            . " AND kind = " . quote($kind) . " AND sha256 = " . quote($sha));
}

sub stored { my $sha = shift; return -e "$storage/" . substr($sha, 0, 2) . "/$sha" }

# every request of the load answered, none 5xx and none unanswered; a
# request on a kept-alive connection an exiting worker closed as it went
# out was never read, and is sent again as browsers do (Certhall::Load):
# it is the retry that must not fail
sub no_failed {
    my ($name, $load, $from, $to) = @_;
    my @api = grep { $_->{t0} >= $from && $_->{t0} < $to } $load->journal;
    my @closed = grep { $_->{keepalive_closed} } @api;
    my @failed = grep { !$_->{keepalive_closed} && (!$_->{status} || $_->{status} >= 500) } @api;
    ok @api && !@failed, "$name: no request failed (" . scalar(@api) . ' requests, '
                         . scalar(@closed) . ' sent again on a new connection)'
        or diag explain [ @failed[0 .. ($#failed < 5 ? $#failed : 5)] ];
    return scalar @closed;
}

# psql holding $order's row lock in an open transaction: (its handle, its
# backend's pid), once PostgreSQL shows the lock granted; print "COMMIT;\n"
# and close the handle to release it
sub hold_order {
    my $order = shift;
    my $var = $hall->var;
    open my $psql, '|-', "PGPASSFILE='$var/secrets/pgpass' PGAPPNAME=certhall-fault-lock psql -X -q -At"
                         . " -h '$var/pg' -U certhall -d certhall -v ON_ERROR_STOP=1 >/dev/null" or die "psql: $!";
    $psql->autoflush(1);
    print $psql "BEGIN;\nSELECT id FROM orders WHERE id = " . quote($order) . " FOR UPDATE;\n";
    my $holder = Certhall::Hall::wait_for(sub {
        $hall->sql_value("SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            . " JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'orders'"
            . " AND l.mode = 'RowShareLock' AND l.granted AND a.application_name = 'certhall-fault-lock'"
            . " AND a.state = 'idle in transaction'");
    }, 10);
    return ($psql, $holder);
}

# the module's statement that waits for $holder's lock: its backend's pid
sub module_waiting {
    my $holder = shift;
    return Certhall::Hall::wait_for(sub {
        $hall->sql_value("SELECT pid FROM pg_stat_activity WHERE application_name = 'certhall-nginx'"
            . " AND wait_event_type = 'Lock' AND $holder = ANY (pg_blocking_pids(pid))");
    }, 20);
}


# --- nginx reloaded, nginx binary-upgraded ---------------------------------------

# waits until $master has $count workers that are none of @old (old ones
# finishing their requests are its children too, for a while)
sub new_workers {
    my ($master, $count, @old) = @_;
    my %old = map { $_ => 1 } @old;
    return Certhall::Hall::wait_for(sub {
        my @w = grep { !$old{$_} } $hall->worker_pids($master);
        @w == $count ? \@w : undef;
    }, 30);
}

# one load for all the cases, its figures per case (the requests sent
# during it); the ledger is checked once the load is stopped
my $load = Certhall::Load->new(hall => $hall, name => 'nginx', timeout => 10, %size)->setup;
step('set up');
$load->start;
$load->wait_requests($settle, 60);
step('started');

my @workers0 = $hall->worker_pids;
my $nworkers = @workers0;
ok $nworkers >= 1, "nginx runs $nworkers worker(s)";

{
    my $name = 'nginx-reload';
    my $from = time;
    my $who = applicant();

    my @inflight;
    for my $i (1 .. $reloads) {
        my @old = $hall->worker_pids;
        # an upload whose body straddles the reload: its old worker finishes it
        my $kind = $kinds->[($i - 1) % @$kinds];
        my $up = upload_request($who, $kind, big_scan(), 0.5);
        my $log_from = $hall->log_size($hall->error_log);
        $hall->signal_nginx('HUP');
        ok new_workers($hall->nginx_pid, $nworkers, @old), "$name $i: new workers replace the old ones";
        my ($status, $json) = finish($up);
        is $status, 201, "$name $i: the upload in flight across the reload is stored"
            or diag explain $json;
        is material_rows($who->{order}, $kind, $up->{sha256}), 1, "$name $i: with its row";
        ok stored($up->{sha256}), "$name $i: and its file";
        ok Certhall::Hall::wait_for(sub { !grep { Certhall::Hall::alive($_) } @old }, 30),
           "$name $i: the old workers exit once their requests are done";
        $load->wait_requests($settle, 60);
    }
    my $to = time;
    my $closed = no_failed($name, $load, $from, $to);
    push @figures, $load->summary($name, from => $from, to => $to)
        . ", $reloads reloads, $closed sent again (kept-alive connection closed)";
    step("$name: done");
}

{
    my $name = 'nginx-upgrade';
    my $from = time;
    my $who = applicant();

    my $old_master = $hall->nginx_pid;
    my @old = $hall->worker_pids;
    my $kind = $kinds->[0];
    my $up = upload_request($who, $kind, big_scan(), 0.5);
    my $pidfile = $hall->var . '/nginx/nginx.pid';

    # USR2: a new master from the same binary, with its own workers
    $hall->signal_nginx('USR2');
    my $new_master = Certhall::Hall::wait_for(sub {
        my $p = Certhall::Hall::pid_file($pidfile);
        -e "$pidfile.oldbin" && $p && $p != $old_master && Certhall::Hall::alive($p) ? $p : undef;
    }, 30);
    ok $new_master, "$name: USR2 starts a new master (nginx.pid -> nginx.pid.oldbin)";
    ok new_workers($new_master, $nworkers), "$name: with its $nworkers worker(s)";
    $load->wait_requests($settle, 60);

    # WINCH: the old master's workers finish and go; the old master stays
    kill 'WINCH', $old_master;
    ok Certhall::Hall::wait_for(sub { !$hall->worker_pids($old_master) }, 30),
       "$name: WINCH: the old master's workers go once their requests are done";
    my ($status, $json) = finish($up);
    is $status, 201, "$name: the upload in flight across the upgrade is stored" or diag explain $json;
    is material_rows($who->{order}, $kind, $up->{sha256}), 1, "$name: with its row";
    ok stored($up->{sha256}), "$name: and its file";

    $load->wait_requests($settle, 60);
    kill 'QUIT', $old_master;
    ok Certhall::Hall::wait_for(sub { !Certhall::Hall::alive($old_master) }, 30),
       "$name: QUIT: the old master exits";
    ok !-e "$pidfile.oldbin", "$name: and takes nginx.pid.oldbin with it";
    is $hall->nginx_pid, $new_master, "$name: the new master is nginx.pid";
    # the old workers' database sessions went with them: what is left is
    # at most the new workers' pools (certhall_db_pool_size, 4 each) and
    # their catalog cache's listening connections (1 each)
    my $sessions;
    ok Certhall::Hall::wait_for(sub {
        $sessions = $hall->sql_value("SELECT count(*) FROM pg_stat_activity"
                                     . " WHERE application_name = 'certhall-nginx'");
        $sessions <= (4 + 1) * $nworkers;
    }, 30), "$name: the old workers' database sessions are closed ($sessions left for $nworkers workers)";
    $load->wait_requests($settle, 60);
    my $to = time;
    my $closed = no_failed($name, $load, $from, $to);
    push @figures, $load->summary($name, from => $from, to => $to)
        . ", $closed sent again (kept-alive connection closed)";
    step("$name: done");
}

# --- a worker killed ------------------------------------------------------------------

{
    my $name = 'kill-mid-upload';
    my $from = time;
    my $who = applicant();

    my $kind = $kinds->[1 % @$kinds];
    my $up = upload_request($who, $kind, big_scan(), 0.5);
    # the load's uploads are small and quick: this one's file is the one
    # past $half bytes that the worker with its connection holds open
    my $half = int(length($up->{body}) / 2) - 4096;
    my @before = $hall->worker_pids;
    my ($victim, $tmp);
    Certhall::Hall::wait_for(sub {
        $victim //= worker_of($up->{sock}, @before) or return;
        opendir my $dh, "/proc/$victim/fd" or return;
        for (readdir $dh) {
            my $l = readlink "/proc/$victim/fd/$_" // next;
            next unless $l =~ m{^\Q$storage\E/tmp/(upload\.\d{10})$};
            return $tmp = $1 if (-s $l // 0) >= $half && held($1);
        }
        return;
    }, 30);
    ok $victim, "$name: the worker with the upload's connection is found";
    ok $tmp, "$name: the half-sent upload's temporary file is there, held by its worker";
    my $log_from = $hall->log_size($hall->error_log);
    kill 'KILL', $victim;
    ok Certhall::Hall::wait_for(sub { !Certhall::Hall::alive($victim) }, 10), "$name: the worker is gone";
    ok Certhall::Hall::wait_for(sub {
        my @w = $hall->worker_pids;
        @w == @before && !grep { $_ == $victim } @w;
    }, 30), "$name: the master starts another worker in its place";
    ok Certhall::Hall::wait_for(sub { !-e "$storage/tmp/$tmp" }, 30),
       "$name: the new worker's start removes the dead worker's temporary file";
    ok $hall->wait_log($hall->error_log, qr{temporary file "[^"]*/tmp/\Q$tmp\E" removed: its worker is gone},
                       $log_from, 10), "$name: and says so";
    my ($status, undef, $raw) = finish($up);
    is $status, 0, "$name: the client gets no answer: the connection ends" or diag $raw;
    is material_rows($who->{order}, $kind, $up->{sha256}), 0, "$name: no row";
    ok !stored($up->{sha256}), "$name: no stored file";

    # the next upload of the same file, to the same order, is stored
    my $again = upload_request($who, $kind, big_scan(), 1);
    ($status) = finish($again);
    is $status, 201, "$name: the next upload is stored";
    $load->wait_requests($settle, 60);
    push @figures, $load->summary($name, from => $from, to => time);
    step("$name: done");
}

{
    my $name = 'kill-mid-transaction';
    my $from = time;
    my $who = applicant(complete => 1);
    my $order = $who->{order};

    my ($psql, $holder) = hold_order($order);
    ok $holder, "$name: psql holds the order's row";

    my $agreement = $hall->sql_value("SELECT max(version) FROM agreement_versions WHERE code = 'agreement'");
    my $submit = raw_request($who, 'POST', "/api/orders/$order/submit", 'application/x-www-form-urlencoded',
        "agree=1&agreement_version=$agreement&delivery=pickup&pickup_point=changsha");
    # the event: the module's statement waits for psql's lock
    my $waiting = module_waiting($holder);
    ok $waiting, "$name: the submit's statement is in flight, waiting for the lock";
    my @before = $hall->worker_pids;
    my $victim = worker_of($submit->{sock}, @before);
    ok $victim, "$name: the worker with the submit's connection is found";
    kill 'KILL', $victim;
    ok Certhall::Hall::wait_for(sub { !Certhall::Hall::alive($victim) }, 10), "$name: the worker is gone";
    # PostgreSQL notices its client is gone while the statement still waits
    ok Certhall::Hall::wait_for(sub {
        !$hall->sql_value("SELECT count(*) FROM pg_stat_activity WHERE pid = $waiting");
    }, 15), "$name: PostgreSQL ends the dead worker's statement before the lock is released";
    print $psql "COMMIT;\n";
    close $psql;
    my ($status, undef, $raw) = finish($submit);
    is $status, 0, "$name: the client gets no answer: the connection ends" or diag $raw;
    is $hall->sql_value("SELECT count(*) FROM order_events WHERE order_id = " . quote($order)
                        . " AND to_state = 'pending_payment'"), 0, "$name: the transaction was rolled back";
    is $hall->sql_value("SELECT state FROM orders WHERE id = " . quote($order)), 'draft',
       "$name: the order is still a draft";
    ok Certhall::Hall::wait_for(sub { my @w = $hall->worker_pids; @w == @before && !grep { $_ == $victim } @w }, 30),
       "$name: the master starts another worker in its place";
    # the applicant submits again: served
    my ($again) = finish(raw_request($who, 'POST', "/api/orders/$order/submit",
        'application/x-www-form-urlencoded',
        "agree=1&agreement_version=$agreement&delivery=pickup&pickup_point=changsha"));
    is $again, 200, "$name: submitted again, it is served";
    is $hall->sql_value("SELECT count(*) FROM order_events WHERE order_id = " . quote($order)
                        . " AND to_state = 'pending_payment'"), 1, "$name: once";
    $load->wait_requests($settle, 60);
    push @figures, $load->summary($name, from => $from, to => time);
    step("$name: done");
}

{
    # an upload whose file is checked and stored, its row's statement held
    # by psql's lock on the order: the worker killed then
    my $name = 'kill-mid-upload-transaction';
    my $from = time;
    my $who = applicant();
    my ($psql, $holder) = hold_order($who->{order});
    ok $holder, "$name: psql holds the order's row";
    my $kind = $kinds->[0];
    my $up = upload_request($who, $kind, big_scan(), 1);
    my $waiting = module_waiting($holder);
    ok $waiting, "$name: the upload's statement is in flight, waiting for the lock";
    ok stored($up->{sha256}), "$name: its file was checked and stored before it";
    my @before = $hall->worker_pids;
    my $victim = worker_of($up->{sock}, @before);
    ok $victim, "$name: the worker with the upload's connection is found";
    kill 'KILL', $victim if $victim;
    ok Certhall::Hall::wait_for(sub {
        !$hall->sql_value("SELECT count(*) FROM pg_stat_activity WHERE pid = $waiting");
    }, 15), "$name: PostgreSQL ends the dead worker's statement before the lock is released";
    print $psql "COMMIT;\n";
    close $psql;
    my ($status, undef, $raw) = finish($up);
    is $status, 0, "$name: the client gets no answer: the connection ends" or diag $raw;
    is material_rows($who->{order}, $kind, $up->{sha256}), 0, "$name: no row: rolled back";
    ok Certhall::Hall::wait_for(sub { my @w = $hall->worker_pids; @w == @before && !grep { $_ == $victim } @w }, 30),
       "$name: the master starts another worker in its place";
    ok Certhall::Hall::wait_for(sub { !grep { /^upload\./ && !held($_) } tmp_files() }, 30),
       "$name: no temporary file of a dead worker is left";
    # its client had no answer: the outcome is unknown to it, and the file
    # stays for the row that might have been written (the rule of
    # database_interrupted); certhall-admin sweep-storage takes it back once
    # the load is over (below)
    ok stored($up->{sha256}), "$name: its stored file stays, as for any upload whose outcome is unknown";
    push @orphans, $up->{sha256};
    my ($again) = finish(upload_request($who, $kind, big_scan(), 1));
    is $again, 201, "$name: the next upload is stored";
    push @figures, $load->summary($name, from => $from, to => time);
    step("$name: done");
}

$load->stop;
step('stopped');
# the killed uploads' files, no row naming them: the hourly sweep's work,
# done now (--older-than 0: nothing is in flight any more)
{
    my ($rc, $out) = $hall->admin({ user => 'nobody' }, 'sweep-storage', '--older-than', '0');
    is $rc, 0, 'certhall-admin sweep-storage runs' or diag $out;
    ok !stored($_), "the stored file of the upload killed before its commit ($_) is swept" for @orphans;
}
Certhall::Ledger->new(hall => $hall, load => $load)->check_all('all cases');
step('ledger');
push @figures, $load->summary('the whole load');

diag $_ for @figures;

done_testing;
