# The external systems fail while their jobs run: the SMS gateway
# (sms-send), Alipay's gateway (alipay-sync) and the tax platform
# (invoice-send) are each, in turn, down (the double stopped: connection
# refused), a port that accepts and never answers, slow past the job's
# timeout (the double does the work, the answer comes too late), and
# answering garbage (not JSON, truncated, a wrong signature, HTTP 500).
# Work is queued for each job the way the hall queues it (SMS codes asked
# for through the API, orders paid at Alipay whose notifications were
# lost and payments to refund, orders whose invoices are due), each job
# runs while its system misbehaves (alone, then two runs at once), then
# the system comes back and the jobs run again (two at once).
#
# What it asserts, from the database and the doubles' own logs:
#   - while it misbehaves nothing changes: no order moved, no payment or
#     invoice recorded, no text marked sent (but for what the system did
#     do and a retry learnt: a text the gateway took, an invoice the
#     platform issued); nothing is left leased once the runs are over;
#     each failing run is recorded failed in job_runs with a message
#     saying why, and exits 1;
#   - each run is bounded: sms-send and alipay-sync end at the first call
#     that got no answer (one failure a run, the rest handed back), so a
#     run takes one timeout; the longest run is printed, and a run that
#     outlives a generous bound is killed and fails the case;
#   - afterwards every item is done exactly once: each text delivered
#     once (the gateway's log; a text whose answer was lost is retried
#     under its Idempotency-Key, which the gateway answers with its first
#     answer), each order paid once and moved once, each refund made once
#     at Alipay (out_request_no), each invoice issued once (the serial)
#     and stored (its PDF in the storage);
#   - the hall's own request path answers all along: a mixed load
#     (Certhall::Load: logins, catalog, my orders, drafts, uploads,
#     submits, staff approvals; its Alipay payments left out, the double
#     being broken on purpose here) has no request failed or hung.
#
# One hall (Certhall::Hall) on TEST_NGINX_PORT + 40 (its doubles at + 3,
# + 4, + 5; + 6 and + 7 are addresses alipay-sync is pointed at).  The jobs' timeouts
# are shortened in a configuration of the test's own (sms_gateway_timeout,
# alipay_timeout, einvoice_timeout) so that a case costs seconds.  Short
# form by default; CERTHALL_FAULTS_FULL=1 runs every fault of each system
# and more items.
use strict;
use warnings;
use utf8;
use Test::More;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Certhall::Hall;
use Certhall::Load;
use Certhall::Test;
use Certhall::Admin;
use Crypt::OpenSSL::RSA;
use Encode ();
use MIME::Base64 qw(encode_base64);

my $root = $ENV{TEST_NGINX_REPO} or plan skip_all => 'run inside t/bin/testenv';
$> == 0 or plan skip_all => 'runs as root (the hall\'s workers and invoice-send run as nobody)';

binmode $_, ':encoding(UTF-8)' for \*STDOUT, \*STDERR, Test::More->builder->output,
    Test::More->builder->failure_output, Test::More->builder->todo_output;

my $FULL = $ENV{CERTHALL_FAULTS_FULL} ? 1 : 0;
# CERTHALL_FAULTS_ONLY=sms,alipay,tax: those systems' cases alone
my %only = map { $_ => 1 } split /,/, $ENV{CERTHALL_FAULTS_ONLY} // 'sms,alipay,tax';
my $ITEMS = $FULL ? 4 : 2;              # per job and case
my $TIMEOUT = 2;                        # the jobs' timeouts here, seconds
my $SLOW = $TIMEOUT + 2;                # the doubles' late answers
# no run may take longer than this: a batch of 10 calls at their timeout,
# twice over for a loaded machine; a run still going then is killed and
# fails the case
my $RUN_BOUND = 2 * (10 * 2 * $TIMEOUT + 10);

my $admin = "$root/build/certhall-admin";
-x $admin or BAIL_OUT("$admin is not built");

my $tmp = tempdir('certhall-faults-ext-runs.XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;
my $port = ($ENV{TEST_NGINX_PORT} // 2500) + 40;
delete @ENV{qw(CERTHALL_ADMIN_CONF http_proxy HTTP_PROXY https_proxy HTTPS_PROXY
               all_proxy ALL_PROXY)};

my $json = JSON::PP->new->utf8->canonical;
my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
my $base = "http://127.0.0.1:$port";

sub slurp { open my $fh, '<:raw', $_[0] or return ''; local $/; <$fh> }
sub pid_of { my $p = slurp(shift); $p =~ /(\d+)/ ? $1 : undef }

# the hall (stopped at the end, even when the test dies); its database is
# the one of the suites' helpers (sql(), order_at, make_account ...)
my $hall = Certhall::Hall->start(port => $port);
my $var = $hall->var;

sub q1 { my $v = sql_value(shift); $v }
sub ids { join ', ', map { quote($_) } @_ }

# the jobs' configuration: the hall's, with short timeouts
my $conf = "$var/faults.conf";
{
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh slurp("$var/admin.conf"),
        "# t/faults/04-external.t: short timeouts, so that a case costs seconds\n",
        "sms_gateway_timeout = $TIMEOUT\nalipay_timeout = $TIMEOUT\neinvoice_timeout = $TIMEOUT\n";
    close $fh;
    chmod 0644, $conf;
}

# the configuration the jobs run with now (a case may point a job elsewhere)
my $conf_now = $conf;
my $conf_n = 0;
sub conf_with {
    my (%set) = @_;
    my $text = slurp($conf);
    $text =~ s/^\Q$_\E = .*$/$_ = $set{$_}/m for keys %set;
    my $path = "$var/faults-" . ++$conf_n . '.conf';
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    chmod 0644, $path;
    return $path;
}

# codes are asked for from one address, many times: the hall's limit per
# address is raised (the per-phone limits still hold)
sql('UPDATE auth_policy SET sms_per_address_hour = 100000');

# === the doubles ==============================================================

my %double = (
    sms    => { name => 'sms-gateway',    port => $port + 4 },
    alipay => { name => 'alipay-gateway', port => $port + 3 },
    tax    => { name => 'tax-platform',   port => $port + 5 },
);
my %mine;           # doubles restarted here: pid => 1 (reaped here)

sub alive { my $p = shift; defined $p && kill 0, $p }

sub gone {
    my ($pid) = @_;
    # (the hall's processes are re-parented to this test, the subreaper:
    # Certhall::Hall::alive reaps a zombie of ours first)
    return Certhall::Hall::wait_for(sub { !Certhall::Hall::alive($pid) }, 10) ? 1 : 0;
}

sub double_stop {
    my ($d) = @_;
    my $pid = pid_of("$var/run/$d->{name}.pid");
    # its command line, to start it again exactly so
    $d->{cmd} //= [split /\0/, slurp("/proc/$pid/cmdline")];
    kill 'TERM', $pid;
    gone($pid) or die "$d->{name} ($pid) does not stop";
    delete $mine{$pid};
}

sub double_start {
    my ($d) = @_;
    my $outfile = "$var/run/$d->{name}.out";
    open my $o, '>', $outfile or die;
    close $o;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $outfile;
        open STDERR, '>&', \*STDOUT;
        exec(@{ $d->{cmd} }) or POSIX::_exit(127);
    }
    $mine{$pid} = 1;
    open my $p, '>', "$var/run/$d->{name}.pid" or die;
    print $p "$pid\n";
    close $p;
    for (1 .. 400) {
        return if slurp($outfile) =~ /^listening on /m;
        die "$d->{name} did not start: " . slurp($outfile) unless alive($pid) && !waitpid($pid, WNOHANG);
        sleep 0.05;
    }
    die "$d->{name} did not start: " . slurp($outfile);
}

# a port that takes connections (the kernel's backlog) and never answers
sub blackhole {
    my ($d) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $d->{port},
                                  Listen => 64, ReuseAddr => 1)
        or die "cannot listen on $d->{port}: $!";
    return $s;
}

my $tax_http = HTTP::Tiny->new(timeout => 10, keep_alive => 0, verify_SSL => 1,
                               SSL_options => { SSL_ca_file => "$var/einvoice-ca/ca.crt" });

sub set_mode {
    my ($system, $mode, $hang) = @_;
    my $p = $double{$system}{port};
    my $r = $system eq 'sms'
        ? $http->post_form("http://127.0.0.1:$p/_control", { mode => $mode, hang => $hang // $SLOW })
        : $system eq 'alipay'
        ? $http->post_form("http://127.0.0.1:$p/control/mode", { mode => $mode, hang => $hang // $SLOW })
        : $tax_http->request('POST', "https://127.0.0.1:$p/_control", { content => "mode=$mode" });
    $r->{status} == 200 or die "$system mode $mode: $r->{status} $r->{content}";
}

sub log_lines {
    my ($system, $from) = @_;
    my @lines = map { $json->decode($_) } grep { /^\{/ } split /\n/, slurp("$var/run/$double{$system}{name}.log");
    return @lines[($from // 0) .. $#lines];
}

# === the hall's own path, under a mixed load meanwhile ========================

my $load = Certhall::Load->new(hall => $hall, name => 'external', timeout => 10,
                               clients => 2, staff => 1, orders => $FULL ? 12 : 6,
                               mix => { pay => 0 })->setup;

# === the jobs ==================================================================

my $run_n = 0;

# starts `certhall-admin JOB -c conf` (invoice-send as nobody, the
# storage's owner)
sub job_start {
    my ($job) = @_;
    my $f = "$tmp/run-" . ++$run_n;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$f.out";
        open STDERR, '>', "$f.err";
        my @cmd = ($admin, $job, '-c', $conf_now);
        unshift @cmd, qw(runuser -u nobody --) if $job eq 'invoice-send';
        exec(@cmd) or POSIX::_exit(127);
    }
    return { job => $job, pid => $pid, t0 => time, f => $f };
}

sub job_wait {
    my ($r) = @_;
    while (1) {
        my $w = waitpid $r->{pid}, WNOHANG;
        if ($w == $r->{pid}) { $r->{rc} = $? >> 8; last }
        if (time - $r->{t0} > $RUN_BOUND) {
            kill 'KILL', $r->{pid};
            waitpid $r->{pid}, 0;
            $r->{rc} = -1;
            $r->{killed} = 1;
            last;
        }
        sleep 0.05;
    }
    $r->{took} = time - $r->{t0};
    $r->{out} = slurp("$r->{f}.out");
    $r->{err} = slurp("$r->{f}.err");
    utf8::decode($r->{$_}) for qw(out err);
    return $r;
}

# one run alone, then (the time to the retry passed: $due) two at once
sub runs_while_broken {
    my ($job, $due) = @_;
    my @runs = (job_wait(job_start($job)));
    $due->();
    my @pair = (job_start($job), job_start($job));
    push @runs, map { job_wait($_) } @pair;
    return @runs;
}

# the job_runs rows of these runs (by pid), newest last
sub run_rows {
    my ($job, @runs) = @_;
    my $pids = join ', ', map { $_->{pid} } @runs;
    # invoice-send's pid is runuser's child: the host's rows of the job
    # since the first run was started (t0, this machine's clock as the
    # database's: a run's row is begun after its process), not a second
    # before it: the last case's last runs may have begun then
    return sql("SELECT status, done, failed, coalesce(message, '') FROM job_runs"
               . " WHERE job = " . quote($job) . " AND started_at >= to_timestamp($runs[0]{t0})"
               . " ORDER BY id");
}

my %figures;
sub figure {
    my ($case, %f) = @_;
    $figures{$case} = \%f;
    diag sprintf '%-34s runs %2d, items %2d, attempts %3d, failures %2d, longest run %5.1f s%s',
        $case, @f{qw(runs items attempts failures)}, $f{longest},
        $f{note} ? ", $f{note}" : '';
}

sub longest { my $m = 0; $_->{took} > $m and $m = $_->{took} for @_; $m }

# the runs while broken: every one exited 1 (some item failed), none was
# killed, each recorded failed with why
sub check_broken_runs {
    my ($case, $job, $why, @runs) = @_;
    if ($case =~ /^(?:sms|alipay) .*(?:refused|never answers|slow)/) {
        my @calls = map { $_->{out} =~ /(\d+) failed/ ? $1 : -1 } @runs;
        ok !(grep { $_ < 0 || $_ > 1 } @calls),
            "$case: each run stopped at its first call without an answer"
            or diag "failures a run: @calls";
    }
    ok !(grep { $_->{killed} } @runs), "$case: no run outlived its bound"
        or diag join ', ', map { sprintf '%.1f s', $_->{took} } @runs;
    # the first run fails; of two at once, one may find nothing left to
    # claim, or (an answer lost earlier) get the first answer: exit 0
    my @failed = grep { $_->{rc} == 1 } @runs;
    ok $runs[0]{rc} == 1 && !(grep { $_->{rc} != 1 && $_->{rc} != 0 } @runs),
        "$case: the runs exit 1, some item failed (or 0, nothing left)"
        or diag join "\n", map { "rc $_->{rc}: $_->{out}$_->{err}" } @runs;
    my @rows = run_rows($job, @runs);
    my @rec = grep { $_->[0] eq 'failed' } @rows;
    ok @rec == @failed && !(grep { $_->[0] !~ /^(?:failed|ok)$/ } @rows),
        "$case: each run recorded, the failing ones as failed in job_runs"
        or diag explain \@rows;
    ok !(grep { $_->[3] !~ $why } @rec), "$case: with a message that says why"
        or diag explain [map { $_->[3] } @rec];
}

# === sms-send ==================================================================

my $phone_n = 0;
sub next_phone { sprintf '1370000%04d', ++$phone_n }

sub sms_queue {
    my @phones;
    for (1 .. $ITEMS) {
        my $phone = next_phone();
        my $r = $http->post_form("$base/api/sms-codes", { phone => $phone, purpose => 'register' });
        $r->{status} == 200 or die "sms-codes $phone: $r->{status} $r->{content}";
        push @phones, $phone;
    }
    return @phones;
}

sub sms_case {
    my ($case, $break, $mend, $why) = @_;
    my @phones = sms_queue();
    my $set = 'phone IN (' . ids(@phones) . ')';
    my $logged = () = log_lines('sms');
    $break->();
    my $due = sub { sql("UPDATE sms_outbox SET next_attempt_at = now() WHERE $set AND status = 'pending'") };
    my @runs = runs_while_broken('sms-send', $due);
    $mend->();

    check_broken_runs("sms $case", 'sms-send', $why, @runs);
    # a text the gateway took, its answer lost, is sent once a retry (the
    # same key) gets the gateway's first answer: sent, and by the gateway
    my %taken = map { $_->{phone} => 1 } grep { defined $_->{id} && $_->{phone} } log_lines('sms', $logged);
    my @sent = map { $_->[0] } sql("SELECT phone FROM sms_outbox WHERE $set AND status = 'sent'");
    is q1("SELECT count(*) FROM sms_outbox WHERE $set AND status IN ('pending', 'sent')"
          . " AND (claimed_until IS NULL OR claimed_until <= now())"), scalar @phones,
        "sms $case: every text pending or sent, none left leased";
    ok !(grep { !$taken{$_} } @sent), "sms $case: none marked sent that the gateway did not take"
        or diag "sent: @sent";

    $due->();
    my @after = map { job_wait($_) } job_start('sms-send'), job_start('sms-send');
    ok !(grep { $_->{rc} != 0 } @after), "sms $case: back to normal, the runs succeed"
        or diag join "\n", map { "rc $_->{rc}: $_->{out}$_->{err}" } @after;
    is q1("SELECT count(*) FROM sms_outbox WHERE $set AND status = 'sent'"), scalar @phones,
        "sms $case: every text sent in the end";

    my @lines = log_lines('sms', $logged);
    my %delivered;
    $delivered{ $_->{phone} }++ for grep { defined $_->{id} && !$_->{repeat} && $_->{phone} } @lines;
    is_deeply [map { $delivered{$_} // 0 } @phones], [(1) x @phones],
        "sms $case: each text delivered once by the gateway"
        or diag explain \%delivered;
    my @keys = map { $_->{key} // '' } grep { $_->{phone} } @lines;
    ok !(grep { $_ !~ /^certhall-sms-\d+$/ } @keys), "sms $case: every post carried its Idempotency-Key";
    figure("sms-send $case", runs => @runs + @after, items => scalar @phones,
           attempts => q1("SELECT sum(attempts) FROM sms_outbox WHERE $set"),
           failures => scalar(grep { $_->{rc} == 1 } @runs), longest => longest(@runs, @after),
           note => sprintf('%d posts, %d repeats', scalar(grep { $_->{phone} } @lines),
                           scalar(grep { $_->{repeat} } @lines)));
}

# === alipay-sync ===============================================================

my ($finance) = sql_value("SELECT id FROM staff WHERE login = 'finance'");
staff_session('finance', 904);
my $alipay = $double{alipay};

# the merchant's signer (the hall's key, root's), for the browser's
# page.pay form the hall would have made
my $merchant = Crypt::OpenSSL::RSA->new_private_key(slurp("$var/secrets/merchant.key"));
$merchant->use_sha256_hash;
my ($app_id) = slurp("$var/admin.conf") =~ /^alipay_app_id = (\S+)$/m;

my $buyer_n = 0;
# an order of a new verified applicant, in pending_payment, with an attempt
# made ten minutes ago (lost notifications are looked for after five: an
# attempt's times are the hall's, written once, so it is made so here),
# its trade opened at the double with the signed page.pay form and paid
# there, its notification lost (never_notify)
sub alipay_paid_order {
    my $phone = sprintf '1360000%04d', ++$buyer_n;
    make_account($phone, undef, verified => ['张三', '1101**********002X']);
    # UO + yyyyMMddHHmmss + 4 digits, a time no demo order has
    my $id = sprintf 'UO20261207185900%04d', $buyer_n;
    order_at('pending_payment', id => $id, phone => $phone);
    my $no = "${id}_1";
    my $fen = q1("SELECT amount_fen FROM orders WHERE id = " . quote($id));
    sql("INSERT INTO alipay_attempts (out_trade_no, order_id, attempt, channel, amount_fen, subject,"
        . " created_at, expires_at) VALUES (" . ids($no, $id) . ", 1, 'page', $fen,"
        . " '湘潭公共资源交易中心 数字证书新办', now() - interval '10 minutes', now() + interval '20 minutes')");
    my $biz = JSON::PP->new->canonical->encode({ out_trade_no => $no, product_code => 'FAST_INSTANT_TRADE_PAY',
        total_amount => sprintf('%d.%02d', $fen / 100, $fen % 100), subject => '测试', timeout_express => '30m' });
    my %p = (app_id => $app_id, method => 'alipay.trade.page.pay', format => 'JSON',
             charset => 'utf-8', sign_type => 'RSA2', version => '1.0',
             timestamp => POSIX::strftime('%Y-%m-%d %H:%M:%S', gmtime(time + 8 * 3600)),
             notify_url => "$base/api/alipay/notify", biz_content => $biz);
    my $string = join '&', map { "$_=$p{$_}" } sort keys %p;
    $p{sign} = encode_base64($merchant->sign(Encode::encode('UTF-8', $string)), '');
    my $r = $http->post_form("http://127.0.0.1:$alipay->{port}/gateway.do?charset=utf-8", \%p);
    $r->{status} == 200 or die "page.pay $no: $r->{status} $r->{content}";
    $r = $http->post_form("http://127.0.0.1:$alipay->{port}/pay", { out_trade_no => $no },
                          { headers => { Accept => 'application/json' } });
    $r->{status} == 200 or die "paying $no: $r->{status} $r->{content}";
    return { order => $id, no => $no, account => q1("SELECT account_id FROM orders WHERE id = " . quote($id)) };
}

sub trades {
    my $r = $http->get("http://127.0.0.1:$alipay->{port}/control/trades");
    return { map { $_->{out_trade_no} => $_ } @{ $json->decode($r->{content}) } };
}

sub alipay_case {
    my ($case, $break, $mend, $why) = @_;
    set_mode('alipay', 'never_notify');
    # payments to refund: paid at Alipay after the order was cancelled,
    # recorded by a sync (the system still up), refund asked by finance
    my @refund = map { alipay_paid_order() } 1 .. ($ITEMS > 2 ? $ITEMS / 2 : 1);
    Certhall::Admin::transition($_->{order}, 'cancelled', 'applicant', $_->{account}) for @refund;
    my $pre = job_wait(job_start('alipay-sync'));
    $pre->{rc} == 0 or die "alipay-sync before the fault: $pre->{out}$pre->{err}";
    for my $x (@refund) {
        $x->{payment} = q1("SELECT id FROM alipay_payments WHERE out_trade_no = " . quote($x->{no}));
        sql("SELECT admin.alipay_refund_request(" . ids(staff_token(904), staff_csrf(904))
            . ", '127.0.0.1', $x->{payment}, '订单已取消，原路退回')");
        $x->{request} = q1("SELECT out_request_no FROM alipay_refunds WHERE payment_id = $x->{payment}");
    }
    # orders paid at Alipay whose notification was lost
    my @paid = map { alipay_paid_order() } 1 .. $ITEMS;
    my $orders = 'id IN (' . ids(map { $_->{order} } @paid) . ')';
    my $attempts = 'out_trade_no IN (' . ids(map { $_->{no} } @paid) . ')';
    my $refunds = 'out_request_no IN (' . ids(map { $_->{request} } @refund) . ')';
    my $calls0 = () = log_lines('alipay');

    $break->();
    my $due = sub {
        sql("UPDATE alipay_attempts SET next_check_at = now() WHERE $attempts");
        sql("UPDATE alipay_refunds SET next_try_at = now() WHERE $refunds AND state = 'queued'");
    };
    my @runs = runs_while_broken('alipay-sync', $due);
    $mend->();

    check_broken_runs("alipay $case", 'alipay-sync', $why, @runs);
    is q1("SELECT count(*) FROM orders WHERE $orders AND state = 'pending_payment'"), scalar @paid,
        "alipay $case: no order moved";
    is q1("SELECT count(*) FROM alipay_payments WHERE $attempts"), 0,
        "alipay $case: no payment recorded";
    is q1("SELECT count(*) FROM alipay_attempts WHERE $attempts AND state = 'open'"
          . " AND (lease_until IS NULL OR lease_until <= now())"), scalar @paid,
        "alipay $case: the attempts open, not leased";
    is q1("SELECT count(*) FROM alipay_refunds WHERE $refunds AND state = 'queued'"), scalar @refund,
        "alipay $case: the refunds queued again, none done";

    $due->();
    my @after = map { job_wait($_) } job_start('alipay-sync'), job_start('alipay-sync');
    ok !(grep { $_->{rc} != 0 } @after), "alipay $case: back to normal, the runs succeed"
        or diag join "\n", map { "rc $_->{rc}: $_->{out}$_->{err}" } @after;
    is q1("SELECT count(*) FROM orders WHERE $orders AND state = 'pending_review'"), scalar @paid,
        "alipay $case: every paid order is paid in the end";
    is q1("SELECT count(*) FROM order_events WHERE to_state = 'pending_review' AND order_id IN ("
          . ids(map { $_->{order} } @paid) . ")"), scalar @paid, "alipay $case: each moved once";
    is q1("SELECT count(*) FROM alipay_payments WHERE $attempts AND applied"), scalar @paid,
        "alipay $case: one payment each, applied";
    is q1("SELECT count(*) FROM alipay_refunds WHERE $refunds AND state = 'done'"), scalar @refund,
        "alipay $case: every refund done";
    my $t = trades();
    is_deeply [map { scalar @{ $t->{ $_->{no} }{refunds} // [] } } @refund], [(1) x @refund],
        "alipay $case: Alipay refunded each once";
    my @calls = grep { ($_->{api} // '') =~ /^alipay\.trade\./ } log_lines('alipay', $calls0);
    figure("alipay-sync $case", runs => @runs + @after, items => @paid + @refund,
           attempts => scalar(@calls), failures => scalar(grep { $_->{rc} == 1 } @runs),
           longest => longest(@runs, @after),
           note => sprintf('%d refund calls', scalar grep { $_->{api} eq 'alipay.trade.refund' } @calls));
    set_mode('alipay', 'ok');
}

# === invoice-send ==============================================================

my ($reviewer) = sql_value("SELECT id FROM staff WHERE login = 'reviewer'");
my ($shipper) = sql_value("SELECT id FROM staff WHERE login = 'shipper'");
my $tax = $double{tax};
my $inv_n = 0;

sub invoice_orders {
    my @ids;
    for (1 .. $ITEMS) {
        my $phone = sprintf '1350000%04d', ++$inv_n;
        make_account($phone, undef, verified => ['张三', '1101**********002X']);
        my $id = sprintf 'UO20261207195800%04d', $inv_n;
        order_at('pending_shipment', id => $id, phone => $phone, reviewer => $reviewer);
        hand_over_key($id, 'pickup', $shipper);
        push @ids, $id;
    }
    # due now (the applicant's 开具发票)
    sql("UPDATE invoice_requests SET next_try_at = now() WHERE order_id IN (" . ids(@ids) . ")");
    return @ids;
}

sub issued {
    my $r = $tax_http->get("https://127.0.0.1:$tax->{port}/_control");
    $r->{status} == 200 or die "tax _control: $r->{status} $r->{content}";
    return @{ $json->decode($r->{content})->{invoices} };
}

sub invoice_case {
    my ($case, $break, $mend, $why) = @_;
    my @ids = invoice_orders();
    my $orders = 'order_id IN (' . ids(@ids) . ')';
    my @serials = map { $_->[0] } sql("SELECT serial FROM invoice_requests WHERE $orders ORDER BY id");
    my $posts0 = () = log_lines('tax');

    $break->();
    my $due = sub { sql("UPDATE invoice_requests SET next_try_at = now() WHERE $orders AND state = 'queued'") };
    my @runs = runs_while_broken('invoice-send', $due);
    $mend->();

    check_broken_runs("tax $case", 'invoice-send', $why, @runs);
    # an invoice issued whose answer was lost is recorded once a retry (the
    # same serial) gets the platform's first answer: issued, by the platform
    my %by_platform = map { $_->{serial} => 1 } issued();
    is q1("SELECT count(*) FROM orders o JOIN invoice_requests r ON r.order_id = o.id WHERE r.$orders"
          . " AND ((o.state = 'pending_invoice' AND r.state = 'queued' AND r.attempts >= 1"
          . "       AND NOT EXISTS (SELECT FROM invoices i WHERE i.request_id = r.id))"
          . "   OR (o.state = 'completed' AND r.state = 'issued'))"), scalar @ids,
        "tax $case: every order still waiting, its request queued again (not leased), or issued";
    my @recorded = map { $_->[0] } sql("SELECT serial FROM invoice_requests WHERE $orders AND state = 'issued'");
    ok !(grep { !$by_platform{$_} } @recorded), "tax $case: none recorded that the platform did not issue"
        or diag "recorded: @recorded";

    $due->();
    my @after = map { job_wait($_) } job_start('invoice-send'), job_start('invoice-send');
    ok !(grep { $_->{rc} != 0 } @after), "tax $case: back to normal, the runs succeed"
        or diag join "\n", map { "rc $_->{rc}: $_->{out}$_->{err}" } @after;
    is q1("SELECT count(*) FROM orders WHERE id IN (" . ids(@ids) . ") AND state = 'completed'"),
        scalar @ids, "tax $case: every order 已完成 in the end";
    my %by_serial;
    $by_serial{ $_->{serial} }++ for issued();
    is_deeply [map { $by_serial{$_} // 0 } @serials], [(1) x @serials],
        "tax $case: the platform issued each invoice once";
    my @files = map { $_->[0] } sql("SELECT i.pdf_sha256 FROM invoices i JOIN invoice_requests r"
                                    . " ON r.id = i.request_id WHERE r.$orders");
    ok @files == @ids && !(grep { !-s "$var/storage/" . substr($_, 0, 2) . "/$_" } @files),
        "tax $case: one invoice each, its PDF in the storage";
    my @posts = grep { ($_->{path} // '') eq '/fpkj' } log_lines('tax', $posts0);
    figure("invoice-send $case", runs => @runs + @after, items => scalar @ids,
           attempts => q1("SELECT count(*) FROM invoice_attempts a JOIN invoice_requests r"
                          . " ON r.id = a.request_id WHERE r.$orders"),
           failures => scalar(grep { $_->{rc} == 1 } @runs), longest => longest(@runs, @after),
           note => sprintf('%d posts, %d repeats', scalar @posts, scalar grep { $_->{repeat} } @posts));
}

# === the cases =================================================================

sub down { my $d = shift; sub { double_stop($d) }, sub { double_start($d) } }
sub deaf {
    my $d = shift;
    my $hole;
    return (sub { double_stop($d); $hole = blackhole($d) }, sub { close $hole; double_start($d) });
}
sub mode { my ($system, $m) = @_; (sub { set_mode($system, $m) }, sub { set_mode($system, 'ok') }) }
# Alipay's double keeps its trades in memory only: rather than stopped, it
# is left alone and alipay-sync pointed at an address with no listener
# (down: refused) or at one that never answers (deaf), then back
sub alipay_away {
    my ($deaf) = @_;
    my $away = { port => $port + ($deaf ? 7 : 6) };
    my $hole;
    return (sub {
                $hole = blackhole($away) if $deaf;
                $conf_now = conf_with(alipay_gateway => "http://127.0.0.1:$away->{port}/gateway.do?charset=utf-8");
            },
            sub { close $hole if $hole; $conf_now = $conf });
}

my $refused = qr/connect|refused/i;
my $timed_out = qr/timed out|timeout/i;

$load->start;
my $load_began = time;
my $parent = $$;
# a case that dies still ends the load's clients (before the hall stops)
END { eval { $load->stop } if $load && $$ == $parent && !$load->{stopped} }

# the short form (make test) takes the cases that find the most: an
# answer lost after the work was done, past the job's timeout (SMS: the
# Idempotency-Key; Alipay: out_request_no; the tax platform: the serial;
# and the run ends at that first call without an answer), and garbage (a
# wrong signature: nothing recorded from it); the full form (make faults)
# every fault of every system: stopped, a port that never answers, slow,
# lost, and each kind of garbage
my @sms = (
    $FULL ? (['down (refused)', down($double{sms}), $refused],
             ['accepts, never answers', deaf($double{sms}), $timed_out]) : (),
    ['slow (answer lost)', mode('sms', 'slow'), $timed_out],
    $FULL ? (['truncated JSON', mode('sms', 'garbage'), qr/not a JSON object/],
             ['not JSON', mode('sms', 'notjson'), qr/not a JSON object/],
             ['HTTP 500', mode('sms', 'http500'), qr/HTTP 500/]) : (),
);
if ($only{sms}) { sms_case(@$_) for @sms }

my @alipay = (
    $FULL ? (['down (refused)', alipay_away(0), $refused],
             ['accepts, never answers', alipay_away(1), $timed_out]) : (),
    ['slow (answer lost)', mode('alipay', 'slow'), $timed_out],
    ['wrong signature', mode('alipay', 'bad_sign'), qr/sign/i],
    $FULL ? (['truncated JSON', mode('alipay', 'truncated'), qr/not a signed/],
             ['not JSON', mode('alipay', 'notjson'), qr/not a signed/],
             ['HTTP 500', mode('alipay', 'http500'), qr/HTTP 500/],
             ['busy (20000)', mode('alipay', 'busy'), qr/20000/]) : (),
);
if ($only{alipay}) { alipay_case(@$_) for @alipay }

my @tax = (
    $FULL ? (['down (refused)', down($tax), $refused],
             ['accepts, never answers', deaf($tax), $timed_out]) : (),
    ['answer lost (issued)', mode('tax', 'lost'), qr/no answer/],
    $FULL ? (['truncated XML', mode('tax', 'badxml'), qr/not an answer/],
             ['slow past the timeout', mode('tax', 'timeout'), $timed_out],
             ['HTTP 500', mode('tax', 'http500'), qr/HTTP 500/]) : (),
);
if ($only{tax}) { invoice_case(@$_) for @tax }

$load->stop;
my $f = $load->figures;
ok $f->{sent} > 0 && $f->{failed} == 0 && $f->{hung} == 0,
    'the hall\'s own requests were all answered meanwhile, none failed or hung' or diag explain $f;
diag sprintf 'the hall meanwhile (%.0f s): %s', time - $load_began, $load->summary('mixed load');

done_testing;
