# The scheduled jobs as commands: each sweep alone (its summary, its
# job_runs row, a second run that finds nothing), `certhall-admin jobs`
# (every job, its last run), `jobs run`, a database that cannot be reached,
# two sweeps at once; and conf/ as given: every job has one systemd service,
# one timer and one cron line, and each unit's ExecStart and each cron
# command, run with /usr/local/bin and /etc/certhall pointing at this build
# and a configuration of the test's, does its job and records its run.
# Runs inside t/bin/testenv, on a database of its own.
use strict;
use warnings;
use utf8;
use Test::More;
use Certhall::ToolDb;
use File::Temp qw(tempdir);
use IPC::Run qw(run);
use Encode qw(decode);

my $root = $ENV{TEST_NGINX_REPO};
my $host = $ENV{PGHOST};
my $admin = $ENV{TEST_NGINX_ADMIN_CGI};
plan skip_all => 'run inside t/bin/testenv' unless $root && $host && $admin;
-x $admin or BAIL_OUT("$admin is not built: make build/certhall-admin");

binmode $_, ':encoding(UTF-8)' for \*STDOUT, \*STDERR, Test::More->builder->output,
    Test::More->builder->failure_output, Test::More->builder->todo_output;

my $db = 'jobs_test';
my $tmp = tempdir(CLEANUP => 1);

delete @ENV{qw(GATEWAY_INTERFACE CERTHALL_ADMIN_CONF http_proxy HTTP_PROXY
               https_proxy HTTPS_PROXY all_proxy ALL_PROXY)};

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $text;
    close $fh or die;
}

sub slurp { open my $fh, '<:encoding(UTF-8)', $_[0] or die "$_[0]: $!"; local $/; <$fh> }

tool_db($db);

my $conf = "$tmp/admin.conf";
write_file($conf, "db = host=$host dbname=$db user=certhall connect_timeout=5\n");

# runs a command line; (exit status, stdout, stderr)
sub cmd {
    my ($out, $err) = ('', '');
    run [@_], \undef, \$out, \$err;
    return ($? >> 8, decode('UTF-8', $out), decode('UTF-8', $err));
}

sub admin { cmd($admin, @_) }

my @jobs = split /\n/, psql('SELECT name FROM jobs ORDER BY sort_order');
my %schedule = map { split /\|/ } split /\n/, psql(q{SELECT name || '|' || schedule FROM jobs});
is scalar(@jobs), 7, 'seven jobs';

# auto-confirm is i17-receipt's command: until this build has it, its runs
# are not asserted
my $have_auto_confirm = (admin('auto-confirm', '--help'))[0] == 0;

sub runs { psql(q{SELECT count(*) FROM job_runs WHERE job = } . lit(shift)) }

# the last run of a job: "status done failed"
sub last_run {
    psql(q{SELECT concat_ws(' ', status, done, failed) FROM job_runs WHERE job = }
         . lit(shift) . ' ORDER BY id DESC LIMIT 1');
}

# --- what the sweeps find ----------------------------------------------------

psql(q{INSERT INTO accounts (phone) VALUES ('13600000201')});

# n applicant sessions ended 40 days ago (and one live)
sub old_sessions {
    my ($n) = @_;
    psql(qq{INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at,
                                  ended_at, ended_why)
            SELECT gen_random_bytes(32), a.id, repeat('c', 32), now() - interval '41 days',
                   now() - interval '40 days', now() - interval '40 days', 'logout'
            FROM accounts a, generate_series(1, $n) WHERE a.phone = '13600000201'});
}

sub seed {
    old_sessions(2);
    psql(q{INSERT INTO sessions (token_hash, account_id, csrf_token)
           SELECT gen_random_bytes(32), id, repeat('c', 32) FROM accounts WHERE phone = '13600000201'});
    psql(q{INSERT INTO sms_codes (phone, purpose, salt, code_hash, created_at, expires_at)
           SELECT '13600000201', 'login', gen_random_bytes(16), gen_random_bytes(32),
                  now() - interval '3 days', now() - interval '3 days' FROM generate_series(1, 3)});
    psql(q{INSERT INTO sms_requests (phone, purpose, client_addr, sent, created_at)
           VALUES ('13600000201', 'login', '10.0.0.1', true, now() - interval '5 hours'),
                  ('13600000201', 'login', '10.0.0.1', true, now() - interval '1 minute')});
    psql(q{INSERT INTO realname_nonces (nonce, received_at) VALUES ('n1', now() - interval '1 day')});
}

# === nothing run yet =========================================================

{
    my ($rc, $out, $err) = admin('jobs', '-c', $conf);
    is $rc, 0, 'jobs exits 0' or diag $err;
    my @lines = split /\n/, $out;
    like $lines[0], qr/^JOB\s+SCHEDULE\s+LAST START \(UTC\+8\)\s+TOOK\s+STATUS\s+DONE\/FAILED\s+HOST\s+MESSAGE$/,
        'a header';
    is_deeply [map { (split ' ')[0] } @lines[1 .. $#lines]], \@jobs, 'then every job, in order';
    is scalar(grep { /\snever\s/ } @lines), 7, 'none has run';
}

# === each sweep alone ========================================================

seed();
for my $c ([ 'sweep-sessions', 2 ], [ 'sweep-sms-codes', 3 ], [ 'sweep-rate-limits', 2 ]) {
    my ($job, $n) = @$c;
    my ($rc, $out, $err) = admin($job, '-c', $conf);
    is $rc, 0, "$job exits 0" or diag $err;
    is $out, "$job: $n done, 0 failed\n", "$job: says it deleted $n";
    is $err, '', "$job: nothing on stderr";
    is last_run($job), "ok $n 0", "$job: its run is recorded";
    ($rc, $out) = admin($job, '-c', $conf);
    is $out, "$job: 0 done, 0 failed\n", "$job: a second run deletes nothing";
    is runs($job), 2, "$job: two runs recorded";
}
is psql(q{SELECT count(*) FROM sessions}), 1, 'the live session stays';
is psql(q{SELECT count(*) FROM sms_requests}), 1, 'and the request inside its window';

# === jobs lists the last runs ================================================

{
    psql(q{UPDATE job_runs SET host = 'host-b' WHERE job = 'sweep-rate-limits'});
    my ($rc, $out) = admin('jobs', '-c', $conf);
    my %line = map { (split ' ')[0] => $_ } split /\n/, $out;
    like $line{'sweep-sessions'},
        qr/^sweep-sessions\s+43 3 \* \* \*\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+\.\ds\s+ok\s+0\/0\s+\S+$/,
        'a job run: its schedule, last start, duration, status, counts and host';
    like $line{'sweep-rate-limits'}, qr/\sok\s+0\/0\s+host-b$/, 'the host is the run\'s';
    my $start = psql(q{SELECT to_char(max(started_at) AT TIME ZONE 'Asia/Shanghai',
                       'YYYY-MM-DD HH24:MI:SS') FROM job_runs WHERE job = 'sweep-sms-codes'});
    like $line{'sweep-sms-codes'}, qr/\s\Q$start\E\s/, 'the start in Beijing time';
    like $line{'sms-send'}, qr/^sms-send\s+\* \* \* \* \*\s+never\s+-\s+-\s+-\s+-$/,
        'a job never run says so';

    psql(q{INSERT INTO job_runs (job, host, pid) VALUES ('sweep-sessions', 'host-c', 7)});
    ($rc, $out) = admin('jobs', '-c', $conf);
    like $out, qr/^sweep-sessions\s.*\srunning\s+-\s+host-c\s+ \(running now: 1\)$/m,
        'a run under way shows as running';
    psql(q{DELETE FROM job_runs WHERE host = 'host-c'});
}

# === host_name: each machine of a hall its own name ==========================

{
    # two machines on one database whose hostnames are the same (two
    # containers of one image): admin.conf's host_name tells their runs apart
    my $last = psql('SELECT max(id) FROM job_runs');
    my $named = "$tmp/admin-hall-2.conf";
    write_file($named, "db = host=$host dbname=$db user=certhall connect_timeout=5\nhost_name = hall-2\n");
    my ($rc, $out, $err) = admin('sweep-sessions', '-c', $named);
    is $rc, 0, 'a job with host_name runs' or diag $err;
    is psql(q{SELECT host FROM job_runs WHERE job = 'sweep-sessions' ORDER BY id DESC LIMIT 1}),
        'hall-2', 'its run is recorded under that name';
    ($rc, $out) = admin('jobs', '-c', $named);
    like $out, qr/^sweep-sessions\s.*\sok\s+0\/0\s+hall-2$/m, 'and listed so';
    ($rc, $out) = admin('sweep-sessions', '-c', $conf);
    isnt psql(q{SELECT host FROM job_runs WHERE job = 'sweep-sessions' ORDER BY id DESC LIMIT 1}),
        'hall-2', 'without it, the machine\'s own hostname';

    my $before = psql('SELECT count(*) FROM job_runs');
    my $bad = "$tmp/admin-bad-host.conf";
    write_file($bad, "db = host=$host dbname=$db user=certhall connect_timeout=5\nhost_name = hall 2\n");
    ($rc, $out, $err) = admin('sweep-sessions', '-c', $bad);
    is $rc, 2, 'a host_name that is no host name: exit 2';
    like $err, qr/admin-bad-host\.conf:2: expected a host name/, 'said with its line';
    is psql('SELECT count(*) FROM job_runs'), $before, 'and nothing ran';
    # the runs counted below are those of the blocks around this one
    psql("DELETE FROM job_runs WHERE id > $last");
}

# === jobs run ================================================================

{
    seed();
    my ($rc, $out, $err) = admin('jobs', 'run', '-c', $conf, 'sweep-sms-codes', 'sweep-sessions');
    is $rc, 0, 'jobs run exits 0 when the jobs did' or diag $err;
    is $out, "sweep-sms-codes: 3 done, 0 failed\nsweep-sessions: 2 done, 0 failed\n",
        'it runs the named jobs in the order given, each saying what it did';
    is runs('sweep-sms-codes') . ' ' . runs('sweep-sessions'), '3 3', 'each run recorded';

    my $before = psql('SELECT count(*) FROM job_runs');
    ($rc, $out, $err) = admin('jobs', 'run', '-c', $conf, 'sweep-sessions', 'staff-add');
    is $rc, 2, 'a name that is not a job: exit 2';
    like $err, qr/^jobs: "staff-add" is not a job/m, 'named';
    is psql('SELECT count(*) FROM job_runs'), $before, 'and nothing ran';

    # every job: sms-send and alipay-sync have no gateway in this configuration
    ($rc, $out, $err) = admin('jobs', 'run', '-c', $conf);
    is $rc, 2, 'jobs run (all): the worst exit status, 2';
    like $err, qr/^sms-send: configuration: "sms_gateway_url" is not set$/m, 'sms-send could not run';
    like $err, qr/^alipay-sync: configuration: .*"alipay_gateway" is not set/m, 'nor alipay-sync';
    is last_run('sms-send'), 'error 0 0', 'recorded as an error';
    is psql(q{SELECT message FROM job_runs WHERE job = 'alipay-sync'}),
        'configuration: "alipay_gateway" is not set', 'with why';
    like $out, qr/^sweep-sessions: 0 done, 0 failed\nsweep-sms-codes: 0 done, 0 failed\nsweep-rate-limits: 2 done, 0 failed$/m,
        'the sweeps ran all the same';
    is psql('SELECT count(*) FROM job_runs') - $before, $have_auto_confirm ? 7 : 6,
        'one run of every job';
}

# === a database that cannot be reached =======================================

{
    my $down = "$tmp/down.conf";
    write_file($down, "db = host=$tmp dbname=$db user=certhall connect_timeout=2\n");
    my $before = psql('SELECT count(*) FROM job_runs');
    for my $job ('sweep-sessions', 'jobs') {
        my ($rc, $out, $err) = admin($job, '-c', $down);
        is $rc, 2, "$job, no database: exit 2";
        like $err, qr/^\Q$job\E: database: /m, "$job: says so";
        is $out, '', "$job: no summary";
    }
    is psql('SELECT count(*) FROM job_runs'), $before, 'nothing recorded';

    my ($rc, $out, $err) = admin('sweep-sessions', '-c', "$tmp/none.conf");
    is $rc, 2, 'no configuration: exit 2';
    like $err, qr/none\.conf: No such file or directory/, 'said';
}

# === two sweeps at once ======================================================

{
    old_sessions(2500);
    my @h = map {
        my ($out, $err) = ('', '');
        my $h = IPC::Run::start([$admin, 'sweep-sessions', '-c', $conf], \undef, \$out, \$err);
        { h => $h, out => \$out, err => \$err };
    } 1 .. 2;
    $_->{h}->finish for @h;
    my $done = 0;
    for (@h) {
        ${ $_->{out} } =~ /^sweep-sessions: (\d+) done, 0 failed$/ or diag ${ $_->{err} };
        $done += $1 // 1e9;
    }
    is $done, 2500, 'two sweeps at once deleted the 2500 sessions between them';
    is psql(q{SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL}), 0, 'all of them';
    is psql(q{SELECT string_agg(status, ' ') FROM (SELECT status FROM job_runs
              WHERE job = 'sweep-sessions' ORDER BY id DESC LIMIT 2) r}), 'ok ok',
        'both runs recorded ok';
}

# === conf/ as given ==========================================================

my $unit_dir = "$root/conf/systemd";
my $cron_file = "$root/conf/cron.d/certhall";

# name => { key => [values] } of a unit file's section
sub unit {
    my ($path) = @_;
    my (%u, $section);
    for (split /\n/, slurp($path)) {
        next if /^\s*(#|;|$)/;
        if (/^\[(\w+)\]$/) { $section = $1; next }
        /^(\w+)=(.*)$/ or die "$path: cannot read: $_";
        push @{ $u{$section}{$1} }, $2;
    }
    return \%u;
}

# cron "M H * * *" as OnCalendar's normalized form
sub calendar {
    my ($m, $h, @rest) = split ' ', shift;
    return undef unless "@rest" eq '* * *';
    return sprintf '*-*-* %s:%s:00', $h eq '*' ? '*' : sprintf('%02d', $h),
                                     $m eq '*' ? '*' : sprintf('%02d', $m);
}

my %cron;
{
    for (split /\n/, slurp($cron_file)) {
        next if /^\s*(#|$)/ || /^[A-Z_]+=/;
        my @f = split ' ', $_, 7;
        my ($job) = $f[6] =~ m{^/usr/local/bin/certhall-admin ([a-z-]+) -c /etc/certhall/admin\.conf >/dev/null$}
            or fail("cron: a line that is not a job: $_"), next;
        push @{ $cron{$job} }, { schedule => "@f[0 .. 4]", user => $f[5], command => $f[6] };
    }
    opendir my $dh, $unit_dir or die "$unit_dir: $!";
    my @units = sort grep { !/^\./ } readdir $dh;
    my @want = sort map { ("certhall-$_.service", "certhall-$_.timer") } @jobs;
    is_deeply \@units, \@want, 'conf/systemd: a service and a timer for every job, nothing else';
    is_deeply [sort keys %cron], [sort @jobs], 'conf/cron.d/certhall: every job, nothing else';

    for my $job (@jobs) {
        is scalar(@{ $cron{$job} }), 1, "cron: one line for $job";
        my $c = $cron{$job}[0];
        is $c->{user}, 'certhall', "cron: $job runs as certhall";
        is $c->{schedule}, $schedule{$job}, "cron: $job on the jobs table's schedule";

        my $s = unit("$unit_dir/certhall-$job.service");
        is_deeply [ $s->{Service}{Type}, $s->{Service}{User}, $s->{Service}{ExecStart} ],
            [ ['oneshot'], ['certhall'], ["/usr/local/bin/certhall-admin $job -c /etc/certhall/admin.conf"] ],
            "certhall-$job.service: oneshot, as certhall, the command";
        my $t = unit("$unit_dir/certhall-$job.timer");
        is_deeply $t->{Timer}{OnCalendar}, [ calendar($schedule{$job}) ],
            "certhall-$job.timer: the same schedule as cron";
        ok !$t->{Timer}{Unit}, "certhall-$job.timer: starts its own service";
        is_deeply $t->{Install}{WantedBy}, ['timers.target'], "certhall-$job.timer: enabled with timers.target";
    }
}

# The installation the files name, here: /usr/local/bin/certhall-admin is
# this build, /etc/certhall/admin.conf the test's, with an SMS gateway (the
# double, which receives the texts), Alipay's and the tax platform's
# settings (nothing is due, so alipay-sync and invoice-send call nobody).
my $etc = "$tmp/etc";
mkdir $etc;
{
    my $token = 'tok-' . join('', map { sprintf '%02x', int rand 256 } 1 .. 16);
    write_file("$etc/sms-token", "$token\n");
    for my $who (qw(merchant alipay)) {
        my @genpkey = ('openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt',
                       'rsa_keygen_bits:2048', '-out', "$etc/$who.key");
        (cmd(@genpkey))[0] == 0 or die "openssl genpkey failed";
        (cmd('openssl', 'pkey', '-in', "$etc/$who.key", '-pubout', '-out', "$etc/$who.pub"))[0] == 0
            or die "openssl pkey failed";
    }
}
my $gw_log = "$tmp/sms-gateway.log";
my $gw_pid = open my $gw_fh, '-|', $^X, "$root/t/bin/sms-gateway",
    '--token-file', "$etc/sms-token", '--log', $gw_log
    or die "sms-gateway: $!";
my $gw_line = <$gw_fh> // '';
$gw_line =~ /^listening on 127\.0\.0\.1:(\d+)$/ or die "sms-gateway said: $gw_line";
my $gw_port = $1;
END { if ($gw_pid) { kill 'TERM', $gw_pid; close $gw_fh } }

write_file("$etc/admin.conf",
    "db = host=$host dbname=$db user=certhall connect_timeout=5\n"
    . "sms_gateway_url = http://127.0.0.1:$gw_port/v1/sms\n"
    . "sms_gateway_token_file = $etc/sms-token\n"
    . "alipay_gateway = http://127.0.0.1:1/gateway.do\n"
    . "alipay_app_id = 2021000000000017\n"
    . "alipay_seller_id = 2088000000000017\n"
    . "alipay_private_key = $etc/merchant.key\n"
    . "alipay_public_key = $etc/alipay.pub\n"
    . "einvoice_url = https://127.0.0.1:1/fpkj\n"
    . "einvoice_app_key = certhall-test\n"
    . "einvoice_secret_file = $etc/sms-token\n"
    . "einvoice_ca_file = $etc/alipay.pub\n"
    . "einvoice_schema = $root/schema/fpkj.xsd\n"
    . "seller_taxpayer_id = 91430300MA4L000001\n"
    . "seller_name = certhall test seller\n"
    . "einvoice_issuer = finance\n"
    . "einvoice_spbm = 3040201990000000000\n"
    . "einvoice_tax_rate = 0.06\n"
    . "storage = $tmp\n");

sub installed {
    my ($s) = @_;
    $s =~ s{/usr/local/bin/certhall-admin}{$admin}g;
    $s =~ s{/etc/certhall/}{$etc/}g;
    return $s;
}

sub texts_received {
    open my $fh, '<', $gw_log or return 0;
    my @l = <$fh>;
    return scalar @l;
}

my $addr_n = 0;
sub request_code {
    my $status = psql(q{SELECT status FROM api.sms_code_request(} . lit(shift)
                      . q{, 'register', } . lit('10.7.0.' . ++$addr_n) . ')');
    $status eq '200' or die "sms_code_request answered $status";
}

# what each job finds to do before each of its runs; "N done"
my %work = (
    'sms-send'       => sub { request_code(sprintf '135000003%02d', ++$addr_n); 1 },
    'sweep-sessions' => sub { old_sessions(3); 3 },
    'sweep-sms-codes' => sub { 0 },
    'sweep-rate-limits' => sub { 0 },
    'alipay-sync'    => sub { 0 },
    'auto-confirm'   => sub { 0 },
    'invoice-send'   => sub { 0 },
);

for my $job (@jobs) {
    SKIP: {
        skip 'this build has no auto-confirm command yet', 7
            if $job eq 'auto-confirm' && !$have_auto_confirm;

        my $n = $work{$job}->();
        my $sent = texts_received();
        my ($exec) = @{ unit("$unit_dir/certhall-$job.service")->{Service}{ExecStart} };
        my ($rc, $out, $err) = cmd(split ' ', installed($exec));
        is $rc, 0, "certhall-$job.service's ExecStart exits 0" or diag $err;
        is $out, "$job: $n done, 0 failed\n", "certhall-$job.service: $job did its work";
        is last_run($job), "ok $n 0", "certhall-$job.service: the run recorded";
        is texts_received() - $sent, $n, 'and the gateway received the text' if $job eq 'sms-send';

        $n = $work{$job}->();
        my $runs = runs($job);
        ($rc, $out, $err) = cmd('/bin/sh', '-c', installed($cron{$job}[0]{command}));
        is $rc, 0, "cron's $job exits 0" or diag $err;
        is $out . $err, '', "cron's $job: nothing to mail";
        is runs($job) - $runs, 1, "cron's $job: one run";
        is last_run($job), "ok $n 0", "cron's $job: recorded with what it did";
    }
}

SKIP: {
    my $analyze = (grep { -x } map { "$_/systemd-analyze" } split /:/, $ENV{PATH})[0];
    skip 'no systemd-analyze on this machine', 1 unless $analyze;
    my $dir = "$tmp/units";
    mkdir $dir;
    for my $job (@jobs) {
        write_file("$dir/certhall-$job.$_", installed(slurp("$unit_dir/certhall-$job.$_")))
            for qw(service timer);
    }
    my ($rc, $out, $err) = cmd($analyze, 'verify', glob("$dir/*"));
    is $rc . $out . $err, '0', 'systemd-analyze verify finds nothing wrong in the units';
}

psql("DROP DATABASE $db", 'postgres', 'postgres');
done_testing;
