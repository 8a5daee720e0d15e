# Two machines of one hall, as behind a load balancer (issue 21): machine 1
# is a hall started with scripts/run.sh start, machine 2 joins it with
# scripts/run.sh join (README.md, "Several machines"): its own nginx
# (prefix, port, logs, temp paths, pid), its own fcgiwrap and back-office
# CGI with its own admin.conf (host_name hall-2), on machine 1's
# PostgreSQL and machine 1's storage folder, with copies of its secrets.
#
#   - an applicant's session made on one works on the other, and a logout
#     on the other ends it on the first; the same for a staff session
#   - an ID number sealed under one machine's data key opens on the other
#   - a file uploaded on one is served by the other, byte for byte, to the
#     applicant and to staff
#   - every job (sms-send, auto-confirm, invoice-send, alipay-sync) run on
#     both machines at once, round after round, with work queued: each item
#     is done exactly once (the doubles' logs and the database), nothing is
#     left claimed or stuck, and both machines' runs are recorded under
#     their host names
#
# Runs as root (the hall's workers run as nobody).  Short by default;
# CERTHALL_FAULTS_FULL=1 queues more work and runs more rounds.
use strict;
use warnings;
use utf8;
use Test::More;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use Digest::SHA qw(sha256_hex);
use Encode ();
use IPC::Run qw(run);
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

use Certhall::Test qw(sql sql_value quote make_account make_session session_token csrf_token);
use Certhall::Admin qw(order_at);
use Certhall::Hall;
use Certhall::Load;
use Certhall::Ledger;

my $root = $ENV{TEST_NGINX_REPO} or plan skip_all => 'run inside t/bin/testenv';
$> == 0 or plan skip_all => 'a hall is started as root (its workers run as nobody)';
system("runuser -u nobody -- test -r '$root/www/index.html'") == 0
    or plan skip_all => "nobody cannot read $root: a hall needs a checkout other users can read";

binmode $_, ':encoding(UTF-8)' for \*STDOUT, \*STDERR, Test::More->builder->output,
    Test::More->builder->failure_output, Test::More->builder->todo_output;

my $FULL = $ENV{CERTHALL_FAULTS_FULL} ? 1 : 0;
my $ROUNDS = $FULL ? 6 : 2;             # rounds of every job on both machines
my $TEXTS = $FULL ? 40 : 10;            # SMS texts queued before the rounds
my $TEXTS_MORE = $FULL ? 10 : 4;        # and before each round
my $SHIPPED = $FULL ? 20 : 4;           # orders due for auto-confirm, then invoices
my $PAID = $FULL ? 10 : 2;              # Alipay trades paid, notification lost
my $EXPIRED = $FULL ? 6 : 2;            # Alipay attempts expired unpaid

# machine 1 at TEST_NGINX_PORT + 60 (its doubles at +63..+65), machine 2 at
# + 66, as the runner gives this file
my $p1 = ($ENV{TEST_NGINX_PORT} // 2500) + 60;
my $p2 = $p1 + 6;
my $var2 = tempdir('certhall-m2.XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $var2;
my $admin = "$root/build/certhall-admin";

sub run_sh {
    my ($var, $port, $host, @args) = @_;
    local $ENV{CERTHALL_VAR} = $var;
    local $ENV{CERTHALL_PORT} = $port;
    local $ENV{CERTHALL_HOST_NAME} = $host;
    my $out = `'$root/scripts/run.sh' @args 2>&1`;
    return ($? >> 8, $out);
}

# machine 2 is stopped before machine 1 (Certhall::Hall's END, which runs
# after this one), even when the test dies: its pool is machine 1's
# database's client
my $joined = 0;
END {
    my $rc = $?;
    my $t = time;
    run_sh($var2, $p2, 'hall-2', 'stop') if $joined;
    printf STDERR "# END: machine 2 stopped in %.1f s\n", time - $t if $ENV{CERTHALL_FAULTS_TIMING};
    $? = $rc;
}

# psql (run by the command in $prefix, if any) with its options, then the
# SQL text, no shell between: (exit status, what it printed)
sub psql_cmd {
    my ($prefix, $sql, @opts) = @_;
    my $out = '';
    run [@$prefix, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', @opts, '-c', $sql], \undef, \$out, \$out;
    return ($? >> 8, $out);
}

sub slurp { open my $fh, '<:raw', $_[0] or return undef; local $/; <$fh> }
sub pid_of { my $p = slurp(shift) // return undef; $p =~ /(\d+)/ ? $1 : undef }

# polls every 20 ms until the sub is true, for at most $secs: its value
sub wait_for {
    my ($sub, $secs) = @_;
    my $until = time + $secs;
    while (1) {
        my $v = $sub->();
        return $v if $v;
        return undef if time > $until;
        sleep 0.02;
    }
}

# where the time goes (the figures, printed at the end)
my @phases;
my $mark = time;
sub phase { my $t = time; push @phases, sprintf('%s %.1f s', $_[0], $t - $mark); $mark = $t }

# machine 1: the hall, its job runs recorded as hall-1's
my $hall = do { local $ENV{CERTHALL_HOST_NAME} = 'hall-1'; Certhall::Hall->start(port => $p1) };
my $var1 = $hall->var;
pass 'machine 1: the hall starts';
phase('machine 1 start');
$joined = 1;
my ($rc, $out) = run_sh($var2, $p2, 'hall-2', 'join', $var1);
is $rc, 0, 'machine 2 joins it' or BAIL_OUT($out);
like $out, qr{shared\s+database \Q$var1\E/pg, storage \Q$var1\E/storage\n}, 'on its database and storage';
phase('machine 2 join');

# the database as the application role (the test's SQL helpers)
$hall->use_db;

# a machine joins a hall: never the hall's own folder or port, never a
# folder with no hall; refused before anything starts
{
    my $var3 = tempdir('certhall-m3.XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my ($rc, $out) = run_sh($var1, $p2, 'hall-3', 'join', $var1);
    ok $rc != 0 && $out =~ /CERTHALL_VAR is the hall's own folder/, 'join: not into the hall\'s own folder'
        or diag $out;
    ($rc, $out) = run_sh($var3, $p1, 'hall-3', 'join', $var1);
    ok $rc != 0 && $out =~ /CERTHALL_PORT is the hall's own port/, 'nor on its port' or diag $out;
    ($rc, $out) = run_sh($var3, $p2, 'hall-3', 'join', "$var3/none");
    ok $rc != 0 && $out =~ /no hall under/, 'nor a folder with no hall' or diag $out;
    ok !-e "$var3/nginx" && !-e "$var3/secrets", 'and nothing was made';
}

my $b1 = "http://127.0.0.1:$p1";
my $b2 = "http://127.0.0.1:$p2";
my $http = HTTP::Tiny->new(timeout => 20, keep_alive => 0);
my $nohop = HTTP::Tiny->new(timeout => 20, keep_alive => 0, max_redirect => 0);
my $json = JSON::PP->new->utf8->canonical;
my %form = ('Content-Type' => 'application/x-www-form-urlencoded');

sub cookies {
    my $c = $_[0]{headers}{'set-cookie'} // '';
    return ref $c ? join("\n", @$c) : $c;
}

# --- what machine 2 is ---------------------------------------------------------

{
    my $n1 = pid_of("$var1/nginx/nginx.pid");
    my $n2 = pid_of("$var2/nginx/nginx.pid");
    ok $n1 && $n2 && $n1 != $n2 && kill(0, $n1) && kill(0, $n2), 'two nginx masters, each with its pid file';
    my $f1 = pid_of("$var1/run/fcgiwrap.pid");
    my $f2 = pid_of("$var2/run/fcgiwrap.pid");
    ok $f1 && $f2 && $f1 != $f2 && kill(0, $f2), 'and two fcgiwraps';
    ok !-e "$var2/pg" && !-e "$var2/storage", 'machine 2 has no database and no storage of its own';
    my $conf = slurp("$var2/nginx/conf/nginx.conf");
    like $conf, qr{^pid \Q$var2\E/nginx/nginx\.pid;$}m, 'its nginx: its own pid';
    like $conf, qr{^error_log \Q$var2\E/nginx/logs/error\.log}m, 'its own logs';
    like $conf, qr{client_body_temp_path \Q$var2\E/nginx/temp/client_body;}, 'its own temp paths';
    like $conf, qr{listen 127\.0\.0\.1:$p2;}, 'its own port';
    like $conf, qr{certhall_db "host=\Q$var1\E/pg }, 'machine 1\'s database';
    like $conf, qr{certhall_storage \Q$var1\E/storage;}, 'machine 1\'s storage';
    my $aconf = slurp("$var2/admin.conf");
    like $aconf, qr{^host_name = hall-2$}m, 'its back office: host_name hall-2';
    like $aconf, qr{^storage = \Q$var1\E/storage$}m, 'the shared storage';
    like $aconf, qr{^db = host=\Q$var1\E/pg }m, 'the shared database';
    like slurp("$var1/admin.conf"), qr{^host_name = hall-1$}m, 'machine 1\'s: hall-1';
    for my $s (qw(data.key realname.secret merchant.key alipay.pub pgpass einvoice.secret sms-gateway.token)) {
        my ($a, $b) = (slurp("$var1/secrets/$s"), slurp("$var2/secrets/$s"));
        ok defined $b && $a eq $b && (stat "$var2/secrets/$s")[2] == (stat "$var1/secrets/$s")[2]
           && (stat "$var2/secrets/$s")[4] == (stat "$var1/secrets/$s")[4],
           "the same $s, with its owner and mode";
    }
    for my $b ($b1, $b2) {
        my $r = $http->get("$b/api/health");
        is "$r->{status} $r->{content}", '200 {"status":"ok","database":"ok"}', "$b answers, with the database";
    }
}

# --- an applicant's session ----------------------------------------------------------

{
    my $r = $http->post("$b1/api/session", { headers => \%form,
                        content => 'phone=13800138000&password=demo1234' });
    is $r->{status}, 200, 'the demo applicant logs in on machine 1';
    my ($token) = cookies($r) =~ /certhall_session=([^;]+)/;
    my ($csrf) = $r->{content} =~ /"csrf_token" : "([^"]+)"/;
    my $cookie = { Cookie => "certhall_session=$token" };
    my $on1 = $http->get("$b1/api/orders", { headers => $cookie });
    my $on2 = $http->get("$b2/api/orders", { headers => $cookie });
    is $on2->{status}, 200, 'and lists his orders on machine 2 with that session';
    ok $on2->{content} eq $on1->{content} && $on2->{content} =~ /"id" : "UO202612070930000001"/,
       'the same list as on machine 1';

    # the ID number sealed under the data key (sql/demo-details.sql, by
    # run.sh as machine 1 seals) opens on machine 2: the same key
    $r = $http->get("$b2/api/orders/UO202612070930000001/application-form", { headers => $cookie });
    ok $r->{status} == 200 && $r->{content} =~ /11010119900307002X/,
       'machine 2 opens the ID number sealed under the hall\'s data key (the application form)'
        or diag "$r->{status} " . substr($r->{content}, 0, 300);

    $r = $http->request('DELETE', "$b2/api/session", { headers => { %$cookie, 'X-CSRF-Token' => $csrf } });
    ok $r->{status} >= 200 && $r->{status} < 300, 'he logs out on machine 2' or diag "$r->{status} $r->{content}";
    $r = $http->get("$b1/api/me", { headers => $cookie });
    is $r->{status}, 401, 'and the session is over on machine 1 too';
}

# --- a staff session -------------------------------------------------------------------

sub staff_login {
    my ($base, $login) = @_;
    my $r = $http->get("$base/admin/login");
    my ($t) = cookies($r) =~ /certhall_admin_login=([0-9a-f]+)/;
    $r = $nohop->post("$base/admin/login", { headers => { %form, Cookie => "certhall_admin_login=$t" },
                      content => "csrf=$t&login=$login&password=demo-staff-2026" });
    my ($s) = cookies($r) =~ /certhall_admin=([A-Za-z0-9_-]{43})/;
    return $s;
}

my $reviewer;
{
    my $s = staff_login($b1, 'reviewer');
    ok $s, 'the reviewer signs in on machine 1';
    my $r = $nohop->get("$b2/admin/orders", { headers => { Cookie => "certhall_admin=$s" } });
    # (the page is bytes: the name is matched as UTF-8)
    ok $r->{status} == 200 && $r->{content} =~ /<span id="staff">\Q@{[ Encode::encode('UTF-8', '审核员小李（reviewer）') ]}\E</,
       'and works on machine 2 with that session'
        or diag $r->{status};
    my ($csrf) = $r->{content} =~ /name="csrf" value="([^"]+)"/;
    $r = $nohop->post("$b2/admin/logout", { headers => { %form, Cookie => "certhall_admin=$s",
                      Origin => $b2 }, content => "csrf=$csrf" });
    is $r->{status}, 303, 'signs out on machine 2';
    $r = $nohop->get("$b1/admin/orders", { headers => { Cookie => "certhall_admin=$s" } });
    ok $r->{status} == 303 && ($r->{headers}{location} // '') =~ m{/admin/login},
       'and the session is over on machine 1 too' or diag $r->{status};
    $reviewer = staff_login($b2, 'reviewer');
    ok $reviewer, 'signed in again, on machine 2';
}

# --- a file uploaded on one, served by the other ----------------------------------------

my $scan_n = 0;
sub scan { my $s = `'$root/build/bin/mkscan' jpg color 640 480 --seed @{[ 1000 + $$ % 1000 + ++$scan_n ]}`; $s }

{
    my $r = $http->post("$b1/api/session", { headers => \%form,
                        content => 'phone=13800138000&password=demo1234' });
    my ($token) = cookies($r) =~ /certhall_session=([^;]+)/;
    my ($csrf) = $r->{content} =~ /"csrf_token" : "([^"]+)"/;
    my %auth = (Cookie => "certhall_session=$token", 'X-CSRF-Token' => $csrf);
    my ($terms) = $http->get("$b2/api/agreements/user_terms")->{content} =~ /"version" : (\d+)/;
    $r = $http->post("$b2/api/orders", { headers => { %form, %auth },
                     content => "project=xiangtan_ggzy&service=new&cert_type=org&agree_terms=1&terms_version=$terms" });
    is $r->{status}, 201, 'a draft made on machine 2' or diag $r->{content};
    my ($draft) = $r->{content} =~ /"id" : "(UO\d+)"/;
    my $boundary = 'certhallTwoMachines';
    my %scan;
    for my $c ([ $b1, 'legal_id_front' ], [ $b2, 'legal_id_back' ]) {
        my ($base, $kind) = @$c;
        $scan{$kind} = scan();
        $r = $http->post("$base/api/orders/$draft/materials/$kind", {
            headers => { %auth, 'Content-Type' => "multipart/form-data; boundary=$boundary" },
            content => "--$boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"$kind.jpg\"\r\n"
                     . "Content-Type: image/jpeg\r\n\r\n$scan{$kind}\r\n--$boundary--\r\n" });
        is $r->{status}, 201, "$kind uploaded on " . ($base eq $b1 ? 'machine 1' : 'machine 2')
            or diag $r->{content};
    }
    for my $c ([ $b2, 'legal_id_front', 'machine 2', 'machine 1' ], [ $b1, 'legal_id_back', 'machine 1', 'machine 2' ]) {
        my ($base, $kind, $on, $from) = @$c;
        $r = $http->get("$base/api/orders/$draft/materials/$kind", { headers => \%auth });
        ok $r->{status} == 200 && $r->{content} eq $scan{$kind},
           "$on serves the applicant the file uploaded on $from, byte for byte" or diag $r->{status};
    }
    # staff: the order's page on machine 2, the file through its own
    # X-Accel-Redirect location on the shared storage
    $r = $http->get("$b2/admin/orders/$draft", { headers => { Cookie => "certhall_admin=$reviewer" } });
    my @urls = $r->{content} =~ m{<img src="(/admin/orders/$draft/files/\d+)"}g;
    is scalar(@urls), 2, 'the order\'s page on machine 2 shows both scans';
    my %got = map { my $x = $http->get("$b2$_", { headers => { Cookie => "certhall_admin=$reviewer" } });
                    ($x->{status} == 200 ? sha256_hex($x->{content}) : "HTTP $x->{status}") => 1 } @urls;
    is_deeply [sort keys %got], [sort map { sha256_hex($_) } values %scan],
        'and the reviewer gets both, byte for byte, from machine 2';
    is scalar(grep { -f } glob("$var1/storage/tmp/*")), 0, 'no temporary file left in the shared storage';
}

phase('sessions and files');

# --- every job on both machines at once ----------------------------------------------

# an SMS text queued as the module queues a code's (api.sms_code_request),
# each from an address of its own (the limits count per address)
my $text_n = 0;
sub queue_texts {
    my ($n) = @_;
    for (1 .. $n) {
        $text_n++;
        my $phone = sprintf '1370560%04d', $text_n;
        my $addr = sprintf '10.21.%d.%d', int($text_n / 200), 1 + $text_n % 200;
        my $st = sql_value("SELECT status FROM api.sms_code_request('$phone', 'register', '$addr')");
        $st eq '200' or die "sms_code_request $phone: $st";
    }
}

# orders shipped 31 days ago (auto-confirm's, then invoice-send's), made
# long ago (the creation time never changes) and walked to 待收货 by
# order_transition() as the back office walks them, as
# t/sql/lib/fixtures.sql's shipped_order does for t/tools/auto-confirm.t,
# but with a scan in the storage for each material (so that no row is
# without its file)
my @shipped = map { sprintf 'UO2026010109%02d%06d', $$ % 100, $_ } 1 .. $SHIPPED;
{
    make_account('13705609999', undef, verified => ['测试', '1101**********002X']);
    my $scan = scan();
    my $sha = Certhall::Admin::store_blob("$var1/storage", $scan);
    my $size = length $scan;
    my $ids = join ',', map { quote($_) } @shipped;
    my ($rc, $err) = psql_cmd([], qq{
        DO \$\$ DECLARE v text; acct bigint; BEGIN
            SELECT id INTO acct FROM accounts WHERE phone = '13705609999';
            FOREACH v IN ARRAY ARRAY[$ids] LOOP
                INSERT INTO orders (id, account_id, project_code, service, cert_type, created_at)
                VALUES (v, acct, 'xiangtan_ggzy', 'new', 'org', now() - interval '100 days');
                INSERT INTO order_events (order_id, to_state, actor_kind, actor_id, created_at)
                VALUES (v, 'draft', 'applicant', acct, now() - interval '100 days');
                INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height, pages,
                                       original_name, account_id)
                SELECT v, material_kind, '$sha', $size, 'jpg', 640, 480, 1, 'scan.jpg', acct
                FROM project_service_materials WHERE project_code = 'xiangtan_ggzy' AND service = 'new'
                  AND cert_type = 'org' AND required;
                PERFORM pg_temp.complete(v);
                UPDATE orders SET delivery_method = 'express', delivery_recipient = 'W',
                                  delivery_mobile = '13900000009', delivery_region = 'R',
                                  delivery_detail = 'D', pickup_point = NULL
                 WHERE id = v;
                PERFORM order_transition(v, 'pending_payment', 'applicant', acct);
                PERFORM order_transition(v, 'pending_review', 'payment', NULL);
                PERFORM order_transition(pg_temp.prepare(v, 'pending_shipment'), 'pending_shipment',
                                         'reviewer', 7);
                PERFORM order_transition(pg_temp.prepare(v, 'shipped'), 'shipped', 'shipper', 7,
                                         'SF1234567890');
                PERFORM set_config('certhall.transition_order', v, true);
                UPDATE orders SET state_entered_at = now() - interval '31 days' WHERE id = v;
                PERFORM set_config('certhall.transition_order', '', true);
            END LOOP;
        END \$\$}, '-f', "$root/t/sql/lib/fixtures.sql");
    is $rc, 0, "$SHIPPED orders shipped 31 days ago" or diag $err;
}
is sql_value("SELECT count(*) FROM orders WHERE state = 'shipped' AND id IN ("
             . join(',', map { quote($_) } @shipped) . ")"), $SHIPPED, 'they are 待收货';

# Alipay: orders paid at the double whose notifications were lost (the
# double in never_notify), paid through the hall as the website pays (the
# pay API on either machine, the signed form to the double), and attempts
# that expired unpaid: alipay-sync's work
my $dport = $p1 + 3;
my $dbase = "http://127.0.0.1:$dport";
my (@paid, @expired);
{
    my $r = $http->post_form("$dbase/control/mode", { mode => 'never_notify' });
    is $r->{status}, 200, 'the Alipay double loses its notifications' or diag $r->{content};
    make_account('13705609998', 'load-pass-2026', verified => ['李四', '1101**********002X']);
    make_session('13705609998', 2105);
    my %auth = (Cookie => 'certhall_session=' . session_token(2105), 'X-CSRF-Token' => csrf_token(2105));
    my $scan = scan();
    for my $i (1 .. $PAID + $EXPIRED) {
        my $id = sprintf 'UO2026120719%02d%06d', $$ % 100, $i;
        order_at('pending_payment', id => $id, phone => '13705609998', storage => "$var1/storage",
                 file => $scan);
        my $base = $i % 2 ? $b1 : $b2;
        $r = $http->post("$base/api/orders/$id/pay", { headers => { %form, %auth },
                         content => 'method=alipay&channel=page' });
        my $pay = $r->{status} == 200 ? $json->decode($r->{content}) : {};
        $pay->{out_trade_no} or die "pay $id: $r->{status} $r->{content}";
        my $fields = join '&', map {
            my $v = $pay->{fields}{$_};
            utf8::encode($v);
            $v =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ge;
            "$_=$v" } sort keys %{ $pay->{fields} };
        $r = $http->post($pay->{gateway}, { headers => \%form, content => $fields });
        $r->{status} == 200 or die "gateway.do $id: $r->{status} $r->{content}";
        if ($i <= $PAID) {
            $r = $http->post_form("$dbase/pay", { out_trade_no => $pay->{out_trade_no} },
                                  { headers => { Accept => 'application/json' } });
            $r->{status} == 200 or die "pay at the double $id: $r->{status} $r->{content}";
            push @paid, [ $id, $pay->{out_trade_no} ];
        } else {
            push @expired, [ $id, $pay->{out_trade_no} ];
        }
    }
    # made long enough ago that alipay-sync asks about them (past its five
    # minutes), the unpaid ones expired: what was sent to Alipay never
    # changes (alipay_attempts_guard), so the clock is turned back by the
    # superuser with the triggers off, for this test only
    my $paid_nos = join ',', map { quote($_->[1]) } @paid, @expired;
    my $exp_nos = join ',', map { quote($_->[1]) } @expired;
    my ($rc, $err) = psql_cmd(['runuser', '-u', 'postgres', '--', 'env', "PGHOST=$var1/pg", 'PGUSER=postgres'], qq{
        SET session_replication_role = replica;
        UPDATE alipay_attempts SET created_at = created_at - interval '10 minutes', next_check_at = now()
         WHERE out_trade_no IN ($paid_nos);
        UPDATE alipay_attempts SET expires_at = now() - interval '1 minute' WHERE out_trade_no IN ($exp_nos)});
    is $rc, 0, 'their attempts made ten minutes ago' or diag $err;
    is sql_value("SELECT count(*) FROM orders WHERE state = 'pending_payment' AND id IN ("
                 . join(',', map { quote($_->[0]) } @paid, @expired) . ")"), $PAID + $EXPIRED,
       "$PAID orders paid at Alipay and $EXPIRED not, all still 待支付 for the hall";
}
# what the test stored as root belongs to the workers' user, as theirs does
system('chown', '-R', 'nobody:nogroup', "$var1/storage") == 0 or die "chown: $?";

queue_texts($TEXTS);
phase('jobs\' work queued');
my $runs_before = sql_value('SELECT max(id) FROM job_runs') // 0;

# one machine's jobs, as its cron runs them: as root all but invoice-send,
# which runs as the storage's owner; a child process each, all at once
sub machine_jobs {
    my ($var) = @_;
    my @pids;
    for my $cmd ([ $admin, 'jobs', 'run', '-c', "$var/admin.conf", qw(sms-send auto-confirm alipay-sync) ],
                 [ 'runuser', '-u', 'nobody', '--', $admin, 'invoice-send', '-c', "$var/admin.conf" ]) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            open STDOUT, '>>', "$var/jobs.out";
            open STDERR, '>>', "$var/jobs.err";
            exec @$cmd or POSIX::_exit(127);
        }
        push @pids, [ $pid, "@$cmd[0 .. 4]" ];
    }
    return @pids;
}

my @statuses;
my $longest = 0;
for my $round (1 .. $ROUNDS) {
    queue_texts($TEXTS_MORE) if $round > 1;
    my $t0 = time;
    my @pids = (machine_jobs($var1), machine_jobs($var2));
    # bounded: a job that hangs fails here, not the whole run
    my %left = map { $_->[0] => $_->[1] } @pids;
    wait_for(sub {
        for my $pid (keys %left) {
            my $w = waitpid($pid, WNOHANG);
            if ($w == $pid) { push @statuses, [ $left{$pid}, $? >> 8 ]; delete $left{$pid} }
        }
        return !%left;
    }, 120);
    $longest = time - $t0 if time - $t0 > $longest;
    ok !%left, "round $round: both machines' jobs ended" or diag explain \%left;
    kill 'KILL', keys %left;
}
is scalar(grep { $_->[1] != 0 } @statuses), 0, 'every run exited 0'
    or diag explain [ grep { $_->[1] != 0 } @statuses ], slurp("$var1/jobs.err"), slurp("$var2/jobs.err");
diag sprintf 'jobs: %d rounds on two machines, %d job runs, the longest round %.2f s',
             $ROUNDS, 8 * $ROUNDS, $longest;

phase('job rounds');

# --- each item done exactly once -------------------------------------------------------

sub log_lines {
    my ($name) = @_;
    open my $fh, '<:raw', "$var1/run/$name.log" or return ();
    return map { $json->decode($_) } <$fh>;
}

# SMS: every text queued was posted once, and is sent
{
    my %posted;
    $posted{"$_->{phone}"}++ for grep { ($_->{phone} // '') =~ /^1370560/ } log_lines('sms-gateway');
    my $queued = $TEXTS + $TEXTS_MORE * ($ROUNDS - 1);
    is scalar(keys %posted), $queued, "sms-send: each of the $queued texts reached the gateway";
    is scalar(grep { $_ != 1 } values %posted), 0, 'once';
    is sql_value(q{SELECT count(*) FROM sms_outbox WHERE phone LIKE '1370560%' AND (status <> 'sent' OR attempts <> 1)}),
       0, 'each sent, at the first attempt (no claim taken twice)';
    is sql_value(q{SELECT count(*) FROM sms_outbox WHERE claimed_until IS NOT NULL}), 0, 'none left claimed';
}

# auto-confirm: each order moved to 待开票 once, by the system
{
    my $ids = join ',', map { quote($_) } @shipped;
    is sql_value("SELECT count(*) FROM order_events WHERE order_id IN ($ids) AND from_state = 'shipped'"
                 . " AND to_state = 'pending_invoice' AND actor_kind = 'system'"), $SHIPPED,
       "auto-confirm: the $SHIPPED orders moved to 待开票";
    is sql_value("SELECT count(*) FROM (SELECT order_id FROM order_events WHERE order_id IN ($ids)"
                 . " AND to_state = 'pending_invoice' GROUP BY 1 HAVING count(*) > 1) x"), 0, 'each once';
    is sql_value("SELECT count(*) FROM messages WHERE order_id IN ($ids) AND title = '已自动确认收货'"), $SHIPPED,
       'one message each';

    # invoice-send: each order's invoice asked for once, issued once
    my @reqs = sql("SELECT r.id, r.state, (SELECT count(*) FROM invoices i WHERE i.request_id = r.id)"
                   . " FROM invoice_requests r WHERE r.order_id IN ($ids)");
    is scalar(@reqs), $SHIPPED, 'invoice-send: one invoice request each';
    is scalar(grep { $_->[1] eq 'issued' && $_->[2] == 1 } @reqs), $SHIPPED, 'each issued, one invoice';
    is sql_value(q{SELECT count(*) FROM invoice_requests WHERE lease_until IS NOT NULL OR state NOT IN ('issued', 'cancelled')}),
       0, 'no request left leased or waiting';
    is sql_value("SELECT count(*) FROM orders WHERE id IN ($ids) AND state = 'completed'"), $SHIPPED,
       'and the orders 已完成';
    my %serials = map { $_->[0] => 1 } sql("SELECT serial FROM invoice_requests WHERE order_id IN ($ids)");
    my %sent;
    $sent{$_->{serial}}++ for grep { $serials{$_->{serial} // ''} } log_lines('tax-platform');
    is scalar(keys %sent), $SHIPPED, 'each serial reached the tax platform';
    is scalar(grep { $_ != 1 } values %sent), 0, 'once';
    my $stored = 0;
    for (sql("SELECT pdf_sha256, request_xml_sha256, answer_xml_sha256 FROM invoices i"
             . " JOIN invoice_requests r ON r.id = i.request_id WHERE r.order_id IN ($ids)")) {
        $stored += -f "$var1/storage/" . substr($_, 0, 2) . "/$_" ? 1 : 0 for @$_;
    }
    is $stored, 3 * $SHIPPED, 'their PDF and XML files in the shared storage';
}

# alipay-sync: each lost notification applied once, each expired attempt
# closed once, each asked about once
{
    my @calls = grep { $_->{type} eq 'request' && ($_->{api} // '') =~ /^alipay\.trade\.(query|close)$/ }
                log_lines('alipay-gateway');
    my %asked;
    for (@calls) {
        my $biz = eval { JSON::PP->new->decode($_->{params}{biz_content}) } // {};
        $asked{"$_->{api} $biz->{out_trade_no}"}++ if $biz->{out_trade_no};
    }
    my @twice = grep { $asked{$_} > 1 } sort keys %asked;
    is "@twice", '', 'alipay-sync: no attempt asked about twice';
    is scalar(grep { $asked{"alipay.trade.query $_->[1]"} } @paid, @expired), $PAID + $EXPIRED,
       'each one asked about';
    my $ids = join ',', map { quote($_->[0]) } @paid;
    is sql_value("SELECT count(*) FROM alipay_payments WHERE order_id IN ($ids)"), $PAID,
       "the $PAID payments recorded once each";
    is sql_value("SELECT count(*) FROM order_events WHERE order_id IN ($ids) AND to_state = 'pending_review'"),
       $PAID, 'their orders moved to 待审核 once each';
    my $exp = join ',', map { quote($_->[1]) } @expired;
    is sql_value("SELECT count(*) FROM alipay_attempts WHERE out_trade_no IN ($exp) AND state = 'closed'"),
       $EXPIRED, "the $EXPIRED expired attempts closed";
    is sql_value(q{SELECT count(*) FROM alipay_attempts WHERE lease_until IS NOT NULL}), 0, 'no lease left';
}

# both machines' runs, recorded under their names; none left running; the
# work counted across them once
{
    my %runs = map { ("$_->[0] $_->[1]" => $_->[2]) }
        sql("SELECT job, host, count(*) FROM job_runs WHERE id > $runs_before GROUP BY 1, 2");
    for my $job (qw(sms-send auto-confirm invoice-send alipay-sync)) {
        ok(($runs{"$job hall-1"} // 0) == $ROUNDS && ($runs{"$job hall-2"} // 0) == $ROUNDS,
           "$job: $ROUNDS runs recorded for each machine, hall-1 and hall-2")
            or diag explain \%runs;
    }
    is sql_value("SELECT count(*) FROM job_runs WHERE id > $runs_before AND status <> 'ok'"), 0,
       'every run ok, none left running';
    # the figures: what each machine did of each job
    diag join '; ', map { "$_->[0]: hall-1 $_->[1], hall-2 $_->[2]" } sql(
        "SELECT job, sum(done) FILTER (WHERE host = 'hall-1'), sum(done) FILTER (WHERE host = 'hall-2')"
        . " FROM job_runs WHERE id > $runs_before GROUP BY 1 ORDER BY 1");
    my %done = map { @$_ } sql("SELECT job, sum(done) FROM job_runs WHERE id > $runs_before GROUP BY 1");
    is $done{'sms-send'}, $TEXTS + $TEXTS_MORE * ($ROUNDS - 1), 'sms-send: the runs\' counts add up to the texts';
    is $done{'auto-confirm'}, $SHIPPED, 'auto-confirm: to the orders';
    is $done{'invoice-send'}, $SHIPPED, 'invoice-send: to the invoices';
    is $done{'alipay-sync'}, $PAID + $EXPIRED, 'alipay-sync: to the attempts';
    my ($rc, $list) = (0, scalar `$admin jobs -c $var2/admin.conf 2>&1`);
    like $list, qr/^(?:sms-send|auto-confirm|invoice-send|alipay-sync)\s.*\sok\s+\d+\/0\s+hall-[12]\s*$/m,
         'certhall-admin jobs shows the last run with its machine';
}

# --- a mixed load spread over both machines, the jobs running on both -------------

# Certhall::Load's clients, each request on one machine and the next on
# the other, as a load balancer without stickiness sends them: a session
# made on one is used on the other, an upload on one is listed on the
# other, a form of the back office fetched on one is posted to the other
{
    package Certhall::Load::TwoMachines;
    our @ISA = ('Certhall::Load');
    sub request {
        my ($self, $method, $url, %o) = @_;
        my $m = ($self->{n} // 0) % 2;
        $url =~ s{^\Q$self->{base}\E}{$self->{machines}[$m]};
        $o{intent} = { %{ $o{intent} // {} }, machine => $m + 1 };
        return $self->SUPER::request($method, $url, %o);
    }
}

{
    my $r = $http->post_form("$dbase/control/mode", { mode => 'ok' });
    is $r->{status}, 200, 'the Alipay double notifies again';
    my $load = Certhall::Load::TwoMachines->new(hall => $hall, name => 'two-machines', timeout => 10,
        $FULL ? (clients => 6, staff => 2, orders => 16) : (clients => 3, staff => 1, orders => 6));
    $load->{machines} = [ $b1, $b2 ];
    $load->setup;
    phase('load set-up');
    my $before = sql_value('SELECT max(id) FROM job_runs');
    my $t0 = time;
    $load->start;
    ok $load->wait_requests($FULL ? 300 : 40, 90) >= ($FULL ? 300 : 40), 'two-machines: the load runs';
    # a minute's cron on both machines at once, under the load
    queue_texts($TEXTS_MORE);
    my @pids = (machine_jobs($var1), machine_jobs($var2));
    my %left = map { $_->[0] => $_->[1] } @pids;
    my @st;
    wait_for(sub {
        for my $pid (keys %left) {
            if (waitpid($pid, WNOHANG) == $pid) { push @st, $? >> 8; delete $left{$pid} }
        }
        return !%left;
    }, 120);
    ok !%left && !grep({ $_ != 0 } @st), 'two-machines: both machines\' jobs ran under the load, exit 0';
    $load->wait_requests($FULL ? 300 : 30, 90);
    $load->stop;
    my @j = $load->journal;
    my %per = (1 => 0, 2 => 0);
    $per{$_->{machine} // 0}++ for @j;
    ok $per{1} && $per{2}, 'two-machines: both machines served the load';
    diag $load->summary('two-machines') . sprintf(' (machine 1 %d, machine 2 %d requests, %.1f s)',
                                                  $per{1}, $per{2}, time - $t0);
    phase('load');
    Certhall::Ledger->new(hall => $hall, load => $load)->check_all('two-machines');
    is sql_value("SELECT count(*) FROM sms_outbox WHERE phone LIKE '1370560%' AND status <> 'sent'"), 0,
       'two-machines: the texts queued under the load sent';
    my %hosts = map { $_->[0] => 1 } sql("SELECT DISTINCT host FROM job_runs WHERE id > $before");
    is join(' ', sort keys %hosts), 'hall-1 hall-2', 'two-machines: runs of both machines recorded';
}

# --- what breaks when a machine's data key is another -------------------------------

# (README.md, "Several machines"): machine 2 reloaded with a key of its own
# cannot open what was sealed under the hall's, and says so in the error
# model; given the hall's key again, it can
{
    my $key = "$var2/secrets/data.key";
    my $hall_key = slurp($key);
    my $reload = sub {
        my $pid = pid_of("$var2/nginx/nginx.pid");
        my $log = "$var2/nginx/logs/error.log";
        my $from = -s $log;
        my $said = '';
        run ['/usr/sbin/nginx', '-p', "$var2/nginx/", '-c', 'conf/nginx.conf', '-s', 'reload'],
            \undef, \$said, \$said or do { diag $said; return 0 };
        # the new workers are there once the master said it started them
        return wait_for(sub { my $t = slurp($log) // ''; substr($t, $from) =~ /start worker process/ }, 30);
    };
    open my $fh, '>', "$key.tmp" or die "$key.tmp: $!";
    printf $fh "%s\n", unpack 'H*', join '', map { chr int rand 256 } 1 .. 32;
    close $fh;
    chmod 0600, "$key.tmp";
    rename "$key.tmp", $key or die "$key: $!";
    ok $reload->(), 'machine 2 reloaded with another data key';
    my $token = make_session('13800138000', 2106);
    # the old workers may still answer a request or two: the new ones' answer is the one asked for
    my $res;
    wait_for(sub {
        $res = $http->get("$b2/api/orders/UO202612070930000001/application-form",
                          { headers => { Cookie => "certhall_session=$token" } });
        $res->{status} != 200;
    }, 30);
    ok $res->{status} == 500 && $res->{content} =~ /"code":"sealed_data_unreadable"/,
       'its 申请表 of an order sealed under the hall\'s key: 500 sealed_data_unreadable'
        or diag "$res->{status} $res->{content}";
    open $fh, '>', "$key.tmp" or die "$key.tmp: $!";
    print $fh $hall_key;
    close $fh;
    chmod 0600, "$key.tmp";
    rename "$key.tmp", $key or die "$key: $!";
    ok $reload->(), 'given the hall\'s key again';
    wait_for(sub {
        $res = $http->get("$b2/api/orders/UO202612070930000001/application-form",
                          { headers => { Cookie => "certhall_session=$token" } });
        $res->{status} == 200;
    }, 30);
    ok $res->{status} == 200 && $res->{content} =~ /11010119900307002X/, 'it opens it again';
}

# --- no file without its row, no row without its file ---------------------------------

{
    my %rows = map { $_->[0] => 1 } sql(q{
        SELECT sha256 FROM materials UNION SELECT pdf_sha256 FROM invoices
        UNION SELECT request_xml_sha256 FROM invoices UNION SELECT answer_xml_sha256 FROM invoices
        UNION SELECT sha256 FROM download_versions});
    my %files = map { m{/([0-9a-f]{64})$} ? ($1 => 1) : () } glob("$var1/storage/??/*");
    my @missing = grep { !$files{$_} } sort keys %rows;
    my @orphans = grep { !$rows{$_} } sort keys %files;
    is "@missing", '', 'every row\'s file is in the shared storage';
    is "@orphans", '', 'every file there has its row';
}

phase('checks');
diag 'time: ' . join ', ', @phases;
done_testing;
