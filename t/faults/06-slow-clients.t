# Slow clients hold neither a database connection nor a thread.
#
# One hall (Certhall::Hall: scripts/run.sh in a folder of its own), narrowed after its
# start to one worker, a database pool of POOL connections and a thread
# pool of THREADS threads, so that the slow clients outnumber both:
#
#   uploads whose body is trickled in a few bytes at a time (the module
#     checks the session and the order before the body, then streams it
#     into a temporary file: no connection may stay checked out while it
#     waits for the next bytes, and the file check's thread is taken only
#     once the body is whole);
#   readers with a small receive window that read a large answer (a stored
#     scan, the catalog's JSON) a little at a time;
#   logins whose body is trickled, and one that never reads its answer.
#
# While they are all held (each one's state seen from outside: its
# temporary file in the storage, no access-log line for it yet, fewer bytes
# read than the answer has), a normal client is served (health, login, my
# orders, an upload, which needs a thread for its check and the login one
# for its hash), and pg_stat_activity shows none of the module's
# connections busy or in a transaction.  Then half of each kind finishes
# (its answer whole and right, its row there once) and the other half
# stops: nginx's client_body_timeout and send_timeout end them, and they
# leave nothing (no temporary file, no row, no stored file, no session).
#
# The hall's timeouts are short (TIMEOUT seconds) so that the last part
# does not wait long; the held clients keep to them by moving a little at
# a time, never by waiting less than they allow.
#
# CERTHALL_FAULTS_FULL=1: more slow clients of each kind.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use Socket qw(:all);
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Digest::SHA qw(sha256_hex);

use Certhall::Hall;

my $root = $ENV{TEST_NGINX_REPO} or plan skip_all => 'run inside t/bin/testenv';
$> == 0 or plan skip_all => 'the hall\'s workers run as nobody: run as root';
system("runuser -u nobody -- test -r '$root/www/index.html'") == 0
    or plan skip_all => "nobody cannot read $root";

my $full = $ENV{CERTHALL_FAULTS_FULL} ? 1 : 0;
my $POOL = 2;               # the worker's database connections
my $THREADS = 2;            # the "default" thread pool's threads
my $TIMEOUT = 6;            # client_body_timeout and send_timeout, seconds
my $N = $full ? 4 : 2;      # slow clients of each sort, half finish
my $BOUND = 60;             # the longest any awaited event may take, seconds

my $ctl = tempdir('certhall-slow-ctl.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $port = $ENV{TEST_NGINX_PORT} ? $ENV{TEST_NGINX_PORT} + 70 : 20000 + $$ % 20000;
my $hall = Certhall::Hall->start(port => $port);
pass 'the hall starts';
my $var = $hall->var;
my $base = $hall->base;

sub slurp { my $f = shift; open my $fh, '<', $f or return ''; local $/; <$fh> }
sub sql { $hall->sql_value(shift) // '' }

# waits for the event $what (a sub returning true), polling; false if it
# did not come within $BOUND seconds
sub wait_for {
    my ($what) = @_;
    my $until = time + $BOUND;
    while (time < $until) {
        return 1 if $what->();
        1 while waitpid(-1, WNOHANG) > 0;
        sleep 0.05;
    }
    return $what->();
}


# --- the hall narrowed: one worker, POOL connections, THREADS threads ------

my $conf_file = "$var/nginx/conf/nginx.conf";
my $conf = slurp($conf_file);
$conf =~ s/^worker_processes auto;$/worker_processes 1;\nthread_pool default threads=$THREADS;/m
    or BAIL_OUT('no worker_processes line in the generated nginx.conf');
$conf =~ s/^http \{$/http {\n    certhall_db_pool_size $POOL;\n    client_body_timeout ${TIMEOUT}s;\n    send_timeout ${TIMEOUT}s;/m
    or BAIL_OUT('no http block in the generated nginx.conf');
# On loopback the kernel grows a socket's send buffer to megabytes, and an
# answer a reader does not read leaves nginx at once for it: a fixed small
# one keeps the rest of the answer in nginx's hands, as a slow reader over
# a real network does.
$conf =~ s/^(\s*listen 127\.0\.0\.1:$port);$/$1 sndbuf=16k;/m
    or BAIL_OUT('no listen line in the generated nginx.conf');
open my $cfh, '>', $conf_file or die $!;
print $cfh $conf;
close $cfh;

sub workers { $hall->worker_pids }
my %old = map { $_ => 1 } workers();
is system("/usr/sbin/nginx -p '$var/nginx/' -c conf/nginx.conf -t -q"), 0, 'the narrowed configuration is valid';
$hall->signal_nginx('HUP');
ok wait_for(sub { my @w = workers(); @w == 1 && !$old{$w[0]} && !grep { $old{$_} } @w }),
   'nginx reloads it: one new worker' or diag join ' ', workers();
my ($worker) = workers();
# the pool's connections: not the catalog cache's listening one, which
# the worker holds whatever its clients do
my $pool_conns = sub { sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'certhall-nginx' AND usename = 'certhall'"
                           . " AND query <> 'LISTEN certhall_catalog'") };

# --- the scene: an applicant, drafts, a large stored scan -------------------

# no keep-alive: the end counts the connections left open on the hall
my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 0);
my $form = 'application/x-www-form-urlencoded';
my $PHONE = '13800138000';
my $LOGIN = "phone=$PHONE&password=demo1234";

sub login {
    my ($agent) = @_;
    my $res = HTTP::Tiny->new(timeout => 30, keep_alive => 0, agent => $agent // 'certhall-slow-test')
        ->post("$base/api/session", { headers => { 'Content-Type' => $form }, content => $LOGIN });
    my $cookies = $res->{headers}{'set-cookie'} // '';
    $cookies = join "\n", @$cookies if ref $cookies;
    my ($session) = $cookies =~ /certhall_session=([^;]+)/;
    my ($csrf) = $res->{content} =~ /"csrf_token" : "([^"]+)"/;
    return ($res, $session, $csrf);
}

my ($res, $session, $csrf) = login();
ok $res->{status} == 200 && $session && $csrf, 'the demo applicant logs in' or diag $res->{content};
my %auth = (Cookie => "certhall_session=$session", 'X-CSRF-Token' => $csrf);
my ($terms) = $http->get("$base/api/agreements/user_terms")->{content} =~ /"version" : (\d+)/;

sub draft {
    my $r = $http->post("$base/api/orders", { headers => { %auth, 'Content-Type' => $form },
        content => "project=xiangtan_ggzy&service=new&cert_type=org&agree_terms=1&terms_version=$terms" });
    my ($id) = $r->{content} =~ /"id" : "(UO\d+)"/;
    $r->{status} == 201 && $id or diag "no draft: $r->{status} $r->{content}";
    return $id;
}

sub scan { my ($seed, $size) = @_; scalar `'$root/build/bin/mkscan' jpg color 800 600 --seed $seed @{[ $size ? "--size $size" : '' ]}` }

my $BOUNDARY = 'certhallSlowBoundary';
sub multipart {
    my ($bytes) = @_;
    return "--$BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"id.jpg\"\r\n"
         . "Content-Type: image/jpeg\r\n\r\n$bytes\r\n--$BOUNDARY--\r\n";
}

sub upload {
    my ($order, $bytes) = @_;
    return $http->post("$base/api/orders/$order/materials/legal_id_front", { headers => { %auth,
        'Content-Type' => "multipart/form-data; boundary=$BOUNDARY" }, content => multipart($bytes) });
}

# the scan the slow readers read: large, so that it stays in nginx's send
# buffer and theirs for as long as they read slowly
my $big_order = draft();
my $big = scan(1, 1_900_000);
$res = upload($big_order, $big);
is $res->{status}, 201, 'a large scan is stored for the readers' or diag $res->{content};
my @upload_orders = map { draft() } 1 .. $N;
my $normal_order = draft();

# the JSON list the slow readers read: 我的申请 with a page of 100 drafts,
# ~1.3 KB each (made in one statement, by the function POST /api/orders
# calls, as the applicant's session)
is sql("SELECT count(api.order_create('$session', '$csrf', 'xiangtan_ggzy', 'new', 'org', NULL, true, $terms)) FROM generate_series(1, 50)"),
   50, 'fifty more drafts';
my $JSON_LIST = '/api/applications?per_page=100';
my $list = $http->get("$base$JSON_LIST", { headers => { Cookie => "certhall_session=$session" } });
is $list->{status}, 200, 'the list of applications answers';
note 'the list: ' . length($list->{content}) . ' bytes; the stored scan: ' . length($big) . ' bytes';
my $orders_before = $http->get("$base/api/orders", { headers => { Cookie => "certhall_session=$session" } })->{content};

my $storage = "$var/storage";
sub tmp_files { my @f = glob("$storage/tmp/*"); scalar @f }
sub stored_files { my @f = glob("$storage/??/*"); scalar @f }
is tmp_files(), 0, 'no temporary file before the slow clients';
my $stored_before = stored_files();
my $access_log = "$var/nginx/logs/access.log";
sub logged { my $marker = shift; slurp($access_log) =~ /\Q$marker\E[ &]/ }
sub log_line { my $marker = shift; my ($l) = slurp($access_log) =~ /^(.*\Q$marker\E[ &].*)$/m; $l // '' }

# --- the slow clients: one process each, told by a file what to do next ----

# a connected TCP socket; $rcvbuf (bytes) set before the connection so that
# the window it advertises stays small
sub connect_to {
    my ($rcvbuf) = @_;
    socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', $rcvbuf)) or die "SO_RCVBUF: $!" if $rcvbuf;
    connect($s, pack_sockaddr_in($port, inet_aton('127.0.0.1'))) or die "connect: $!";
    binmode $s;
    return $s;
}

sub send_all {
    my ($s, $data) = @_;
    while (length $data) {
        my $n = syswrite($s, $data);
        return 0 unless defined $n;
        substr($data, 0, $n, '');
    }
    return 1;
}

# what the server sends until it closes the connection
sub read_to_end {
    my ($s) = @_;
    my $got = '';
    while (1) { my $n = sysread($s, my $buf, 65536); last unless $n; $got .= $buf }
    return $got;
}

# what the test tells the slow client $name to do next; a client left
# alone (the test died) gives up after a while rather than linger
my $give_up = time + 10 * $BOUND;
sub command {
    my $name = shift;
    my $c = slurp("$ctl/$name.cmd");
    $c =~ s/\s+//g;
    return $c || (time > $give_up ? 'stop' : '');
}
sub mark { my ($name, $what, $text) = @_; open my $fh, '>', "$ctl/$name.$what.tmp" or die $!;
           print $fh $text // ''; close $fh; rename "$ctl/$name.$what.tmp", "$ctl/$name.$what" }

my %kids;
sub spawn {
    my ($name, $code) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $result = eval { $code->() } // "error: $@";
        mark($name, 'result', $result);
        POSIX::_exit(0);
    }
    $kids{$name} = $pid;
}

# an upload trickled: the request's head and the file's first bytes (its
# part and format known, its temporary file made), then 8 bytes each tenth
# of a second, until told to send the rest or to stop
sub slow_upload {
    my ($name, $order, $bytes, $as_session, $as_csrf) = @_;
    $as_session //= $session;
    $as_csrf //= $csrf;
    spawn($name, sub {
        my $body = multipart($bytes);
        my $s = connect_to();
        send_all($s, "POST /api/orders/$order/materials/legal_id_front?slow=$name HTTP/1.1\r\n"
                   . "Host: 127.0.0.1\r\nCookie: certhall_session=$as_session\r\nX-CSRF-Token: $as_csrf\r\n"
                   . "Content-Type: multipart/form-data; boundary=$BOUNDARY\r\n"
                   . 'Content-Length: ' . length($body) . "\r\nConnection: close\r\n\r\n") or return 'send failed';
        my $head = index($body, "\r\n\r\n") + 4 + 64;
        send_all($s, substr($body, 0, $head, '')) or return 'send failed';
        mark($name, 'ready');
        while (1) {
            my $cmd = command($name);
            if ($cmd eq 'finish') { send_all($s, $body); return read_to_end($s) }
            if ($cmd eq 'stop') { return read_to_end($s) }
            send_all($s, substr($body, 0, 8, '')) or return 'closed while trickling';
            sleep 0.1;
        }
    });
}

# a reader: a GET with a receive window of 4 KiB, its answer read $pace
# bytes each tenth of a second, until told to read the rest at once or to
# stop reading
sub slow_reader {
    my ($name, $path, $cookie, $pace) = @_;
    spawn($name, sub {
        my $s = connect_to(4096);
        my $sep = $path =~ /\?/ ? '&' : '?';
        send_all($s, "GET $path${sep}slow=$name HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   . ($cookie ? "Cookie: certhall_session=$cookie\r\n" : '')
                   . "Connection: close\r\n\r\n") or return 'send failed';
        my $got = '';
        sysread($s, $got, 1024) or return 'no answer';
        mark($name, 'ready');
        while (1) {
            my $cmd = command($name);
            if ($cmd eq 'finish') { return $got . read_to_end($s) }
            if ($cmd eq 'stop') {
                # reads nothing more until nginx has given up on it (its
                # access-log line), then what is left: never the whole
                1 until logged($name) || time > $give_up || !sleep 0.05;
                mark($name, 'partial', length $got);
                return $got . read_to_end($s);
            }
            my $n = sysread($s, my $buf, $pace);
            return $got unless $n;
            $got .= $buf;
            mark($name, 'partial', length $got);
            sleep 0.1;
        }
    });
}

# a login whose body is trickled: the form, then one "&" (an empty pair,
# which the form parser skips) each tenth of a second until told
sub slow_login {
    my ($name) = @_;
    spawn($name, sub {
        my $body = $LOGIN . ('&' x 4000);
        my $s = connect_to();
        send_all($s, "POST /api/session?slow=$name HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: $name\r\n"
                   . "Content-Type: $form\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n")
            or return 'send failed';
        send_all($s, substr($body, 0, 10, ''));
        mark($name, 'ready');
        while (1) {
            my $cmd = command($name);
            if ($cmd eq 'finish') { send_all($s, $body); return read_to_end($s) }
            if ($cmd eq 'stop') { return read_to_end($s) }
            send_all($s, substr($body, 0, 1, '')) or return 'closed while trickling';
            sleep 0.1;
        }
    });
}

# a login that never reads its answer (a window of 4 KiB, nothing read)
sub deaf_login {
    my ($name) = @_;
    spawn($name, sub {
        my $s = connect_to(4096);
        send_all($s, "POST /api/session?slow=$name HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: $name\r\n"
                   . "Content-Type: $form\r\nContent-Length: " . length($LOGIN) . "\r\n\r\n$LOGIN");
        mark($name, 'ready');
        1 until command($name) || !sleep 0.05;
        return 'closed';
    });
}

my (@uploads, @file_readers, @json_readers, @logins);
for my $i (1 .. $N) {
    push @uploads, "slow-upload-$i";
    slow_upload($uploads[-1], $upload_orders[$i - 1], scan(100 + $i));
    push @file_readers, "slow-file-$i";
    slow_reader($file_readers[-1], "/api/orders/$big_order/materials/legal_id_front", $session, 1024);
    push @json_readers, "slow-json-$i";
    slow_reader($json_readers[-1], $JSON_LIST, $session, 256);
    push @logins, "slow-login-$i";
    slow_login($logins[-1]);
}
my $deaf = 'deaf-login';
deaf_login($deaf);
# an upload whose session ends while its body trickles in: the session is
# checked before the body, and again when the file is recorded
my $orphan = 'slow-upload-logged-out';
my (undef, $orphan_session, $orphan_csrf) = login('orphan-login');
my $orphan_order = draft();
my $orphan_scan = scan(200);
slow_upload($orphan, $orphan_order, $orphan_scan, $orphan_session, $orphan_csrf);
my @slow = (@uploads, @file_readers, @json_readers, @logins, $deaf, $orphan);
note scalar(@slow) . " slow clients, $POOL database connections, $THREADS threads";
cmp_ok scalar @slow, '>', $POOL + $THREADS, 'more slow clients than connections and threads together';

ok wait_for(sub { !grep { !-e "$ctl/$_.ready" } @slow }), 'every slow client has begun'
    or diag join ' ', grep { !-e "$ctl/$_.ready" } @slow;
ok wait_for(sub { tmp_files() == @uploads + 1 }), 'each trickled upload is streaming into its temporary file'
    or diag tmp_files();
ok wait_for(sub { logged($deaf) }), 'the login that never reads was answered all the same: '
   . log_line($deaf);

# --- held: the normal client is served --------------------------------------

# the module's connections as PostgreSQL sees them, with no normal request
# under way: none busy for a slow client, none in a transaction
sub pool_states { sql("SELECT coalesce(string_agg(state, ',' ORDER BY state), '') FROM pg_stat_activity WHERE application_name = 'certhall-nginx' AND usename = 'certhall'") }
my $states = pool_states();
unlike $states, qr/active|transaction/, "no connection of the module active or in a transaction ($states)";
cmp_ok $pool_conns->(), '<=', $POOL, 'the worker has no more connections than its pool';

$res = $http->get("$base/api/health");
is $res->{status}, 200, 'health answers while they are held';
like $res->{content}, qr/"database":"ok"/, 'with the database';
my ($lres, $s2, $c2) = login('normal-login');
is $lres->{status}, 200, 'a normal login is served (its hash in the thread pool)' or diag $lres->{content};
$res = $http->get("$base/api/orders", { headers => { Cookie => "certhall_session=$s2" } });
is $res->{status}, 200, 'my orders answers';
is $res->{content}, $orders_before, 'as it did before them';
my $normal_scan = scan(7);
$res = upload($normal_order, $normal_scan);
is $res->{status}, 201, 'a normal upload is served (its check in the thread pool)' or diag $res->{content};
$res = $http->get("$base/api/orders/$normal_order/materials/legal_id_front", { headers => { Cookie => "certhall_session=$session" } });
ok $res->{status} == 200 && $res->{content} eq $normal_scan, 'and reads back whole';

$states = pool_states();
unlike $states, qr/active|transaction/, "still none active or in a transaction ($states)";

# still held: none of them is done
my @done = grep { $_ ne $deaf && logged($_) } @slow;
is "@done", '', 'and every slow client is still under way';
is tmp_files(), @uploads + 1, 'the trickled uploads still streaming';
for my $r (@file_readers, @json_readers) {
    my $partial = slurp("$ctl/$r.partial") || 0;
    my $whole = $r =~ /file/ ? length $big : length $list->{content};
    cmp_ok $partial, '<', $whole, "$r has read $partial bytes of $whole";
}

# --- half finish, half stop ---------------------------------------------------

$res = $http->delete("$base/api/session", { headers => { Cookie => "certhall_session=$orphan_session",
                                                         'X-CSRF-Token' => $orphan_csrf } });
ok $res->{status} =~ /^20[04]$/, 'one trickled upload\'s session logs out' or diag "$res->{status} $res->{content}";

my $half = $N / 2;
my (%finish, %stop);
for my $list (\@uploads, \@file_readers, \@json_readers, \@logins) {
    $finish{$_} = 1 for @$list[0 .. $half - 1];
    $stop{$_} = 1 for @$list[$half .. $#$list];
}
$finish{$deaf} = 1;
$finish{$orphan} = 1;
mark($_, 'cmd', 'finish') for keys %finish;
mark($_, 'cmd', 'stop') for keys %stop;
ok wait_for(sub { !grep { !-e "$ctl/$_.result" } @slow }), 'every slow client is done'
    or diag join ' ', grep { !-e "$ctl/$_.result" } @slow;

sub status_of { my $t = shift; $t =~ m{^HTTP/1\.1 (\d{3})} ? $1 : 'none' }
sub body_of { my $t = shift; my $i = index $t, "\r\n\r\n"; $i < 0 ? '' : substr $t, $i + 4 }

for my $name (@uploads) {
    my $result = slurp("$ctl/$name.result");
    my ($order) = $upload_orders[ (split /-/, $name)[-1] - 1 ];
    my $rows = sql("SELECT count(*) FROM materials WHERE order_id = '$order'");
    if ($finish{$name}) {
        is status_of($result), 201, "$name, finished, is stored" or diag $result;
        is $rows, 1, "$name: its row, once";
    } else {
        is status_of($result), 'none', "$name, stopped, gets no answer (nginx closes it)";
        like log_line($name), qr/" 408 /, "$name: nginx logged its client_body_timeout";
        is $rows, 0, "$name: no row";
    }
}
my $orphan_result = slurp("$ctl/$orphan.result");
is status_of($orphan_result), 401, 'the upload whose session ended meanwhile is refused at the end'
    or diag $orphan_result;
like body_of($orphan_result), qr/"error":\{"code":"not_logged_in"/, 'as not logged in';
is sql("SELECT count(*) FROM materials WHERE order_id = '$orphan_order'"), 0, 'and leaves no row';
ok !-e "$storage/" . substr(sha256_hex($orphan_scan), 0, 2) . '/' . sha256_hex($orphan_scan),
   'nor its stored file';
is tmp_files(), 0, 'no temporary file left';
is stored_files(), $stored_before + 1 + $half, 'one more stored file for the normal upload and each finished one, none for the stopped';
my $orphans = 0;
for my $f (glob("$storage/??/*")) {
    my $sha = (split m{/}, $f)[-1];
    next unless grep { $_ eq $sha } map { sha256_hex(scan(100 + $_)) } 1 .. $N;
    $orphans++ if sql("SELECT count(*) FROM materials WHERE sha256 = '$sha'") eq '0';
}
is $orphans, 0, 'no stored file of a slow upload without its row';

for my $name (@file_readers, @json_readers) {
    my $result = slurp("$ctl/$name.result");
    my $whole = $name =~ /file/ ? $big : $list->{content};
    if ($finish{$name}) {
        ok status_of($result) == 200 && body_of($result) eq $whole, "$name, finished, read the whole answer";
    } else {
        like log_line($name), qr/" 200 /, "$name, stopped: nginx gave up on it (send_timeout)";
        cmp_ok length(body_of($result)), '<', length($whole), "$name: and closed it before the end";
    }
}
for my $name (@logins) {
    my $result = slurp("$ctl/$name.result");
    my $rows = sql("SELECT count(*) FROM sessions WHERE user_agent = '$name'");
    if ($finish{$name}) {
        is status_of($result), 200, "$name, finished, is logged in" or diag $result;
        is $rows, 1, "$name: one session";
    } else {
        is status_of($result), 'none', "$name, stopped, gets no answer";
        like log_line($name), qr/" 408 /, "$name: nginx logged its client_body_timeout";
        is $rows, 0, "$name: no session";
    }
}
is sql("SELECT count(*) FROM sessions WHERE user_agent = '$deaf'"), 1, 'the login that never read has its one session';

# nothing held after them: connections closed, the pool idle, the worker
# the same one (nothing crashed)
ok wait_for(sub { `ss -Htn state established '( sport = :$port )'` !~ /\S/ }),
   'no client connection left open on the hall' or diag `ss -Htn state established '( sport = :$port )'`;
$states = pool_states();
unlike $states, qr/active|transaction/, "the pool idle ($states)";
is join(' ', workers()), $worker, 'the worker is the one the slow clients met';
unlike slurp("$var/nginx/logs/error.log"), qr/\[(?:alert|emerg|crit)\]|exited on signal/, 'no alert nor crash in the error log';

1 while waitpid(-1, WNOHANG) > 0;
done_testing;
