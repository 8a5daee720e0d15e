# certhall-admin alipay-sync against t/bin/alipay-gateway (a double speaking
# Alipay's open-platform protocol): a paid trade whose notification was lost
# is applied exactly once, as the notification would have been; unpaid
# attempts that expired, or whose order can no longer be paid, are closed
# (ACQ.TRADE_NOT_EXIST is closed too); unpaid live ones wait; an answer that
# is an HTTP error, Alipay busy or signed with another key changes nothing
# and is retried later; two runs at once ask about each attempt once;
# refunds go with their out_request_no, a retry reuses it, and what Alipay
# answered (fund_change) is recorded; configuration errors exit 2.
# Keys are made by the test (openssl); runs inside t/bin/testenv, on a
# database of its own.
use strict;
use warnings;
use utf8;
use Test::More;
use Certhall::ToolDb;
use File::Temp qw(tempdir);
use IPC::Run qw(run);
use JSON::PP;
use HTTP::Tiny;
use MIME::Base64 qw(encode_base64);
use Encode qw(decode encode);
use Crypt::OpenSSL::RSA;
use POSIX qw(strftime);

my $root = $ENV{TEST_NGINX_REPO};
my $host = $ENV{PGHOST};
my $admin = $ENV{TEST_NGINX_ADMIN_CGI};
plan skip_all => 'run inside t/bin/testenv' unless $root && $host && $admin;
-x $admin or BAIL_OUT("$admin is not built: make build/certhall-admin");

binmode $_, ':encoding(UTF-8)' for \*STDOUT, \*STDERR, Test::More->builder->output,
    Test::More->builder->failure_output, Test::More->builder->todo_output;

my $db = 'alipay_sync_test';
my $tmp = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->utf8->canonical;
my $chars = JSON::PP->new;     # for JSON inside a decoded string
my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);   # the double closes

delete @ENV{qw(GATEWAY_INTERFACE CERTHALL_ADMIN_CONF http_proxy HTTP_PROXY
               https_proxy HTTPS_PROXY all_proxy ALL_PROXY)};

tool_db($db);

# the suites' helpers (accounts, orders through the state machine, staff)
# on this database
$ENV{PGDATABASE} = $db;
$ENV{PGUSER} = 'certhall';
require Certhall::Test;
require Certhall::Admin;
Certhall::Test->import;
Certhall::Admin->import;

sub row { my $r = psql(shift); return $r eq '' ? undef : JSON::PP->new->decode($r) }

# === keys: the merchant's and the double's "Alipay" pair ====================

sub openssl {
    my @cmd = @_;
    my ($out, $err) = ('', '');
    run ['openssl', @cmd], \undef, \$out, \$err or die "openssl @cmd: $err";
}
for my $who (qw(merchant alipay)) {
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048',
            '-out', "$tmp/$who.key");
    openssl('pkey', '-in', "$tmp/$who.key", '-pubout', '-out', "$tmp/$who.pub");
}
my $app_id = '2021000000000016';
my $seller_id = '2088000000000016';

sub slurp { open my $fh, '<:raw', $_[0] or die "$_[0]: $!"; local $/; <$fh> }
sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $text;
    close $fh or die;
}

# the merchant's signer, independent of lib/: what the module would send
my $merchant = Crypt::OpenSSL::RSA->new_private_key(slurp("$tmp/merchant.key"));
$merchant->use_sha256_hash;

# === the gateway double =====================================================

my $port_base = $ENV{TEST_NGINX_PORT} ? $ENV{TEST_NGINX_PORT} + 10 : 0;
my $gw;

sub gateway_start {
    my ($mode) = @_;
    my $log = "$tmp/gateway.log";
    my $pid = open my $fh, '-|', $^X, "$root/t/bin/alipay-gateway",
        '--merchant-public-key', "$tmp/merchant.pub",
        '--alipay-private-key', "$tmp/alipay.key",
        '--app-id', $app_id, '--seller-id', $seller_id, '--log', $log,
        '--port', $port_base, '--mode', $mode // 'never_notify'
        or die "alipay-gateway: $!";
    my $line = <$fh> // '';
    $line =~ /^listening on 127\.0\.0\.1:(\d+)$/ or die "alipay-gateway said: $line";
    $gw = { pid => $pid, fh => $fh, port => $1, log => $log };
}

END {
    if ($gw && $gw->{fh}) {
        kill 'TERM', $gw->{pid};
        close $gw->{fh};
    }
}

sub gw_url { "http://127.0.0.1:$gw->{port}$_[0]" }

sub mode {
    my $r = $http->post_form(gw_url('/control/mode'), { mode => shift });
    $r->{status} == 200 or die "mode: $r->{status} $r->{content}";
}

# the double's trades by out_trade_no
sub trades {
    my $r = $http->get(gw_url('/control/trades'));
    $r->{status} == 200 or die "trades: $r->{status}";
    return { map { $_->{out_trade_no} => $_ } @{ $json->decode($r->{content}) } };
}

# the double's log, what alipay-sync sent: [api, biz_content] per call
sub calls {
    my ($api) = @_;
    open my $fh, '<:raw', $gw->{log} or return ();
    my @calls;
    for (<$fh>) {
        my $l = $json->decode($_);
        next unless $l->{type} eq 'request' && ($l->{api} // '') =~ /^alipay\.trade\.(query|close|refund)$/;
        next if $api && $l->{api} ne $api;
        push @calls, { api => $l->{api}, status => $l->{status},
                       biz => eval { $chars->decode($l->{params}{biz_content}) } // {} };
    }
    return @calls;
}
sub asked { my ($api, $no) = @_; scalar grep { $_->{biz}{out_trade_no} eq $no } calls($api) }

# the buyer opens the cashier: a page.pay request signed by the merchant
sub open_trade {
    my ($no, $fen, $subject) = @_;
    # characters: HTTP::Tiny encodes the form as UTF-8, and the sign is of
    # those bytes
    my $biz = $chars->encode({ out_trade_no => $no, product_code => 'FAST_INSTANT_TRADE_PAY',
                              total_amount => sprintf('%d.%02d', $fen / 100, $fen % 100),
                              subject => $subject // '测试', timeout_express => '30m' });
    my %p = (app_id => $app_id, method => 'alipay.trade.page.pay', format => 'JSON',
             charset => 'utf-8', sign_type => 'RSA2', version => '1.0',
             timestamp => strftime('%Y-%m-%d %H:%M:%S', gmtime(time + 8 * 3600)),
             notify_url => 'http://127.0.0.1:9/api/alipay/notify', biz_content => $biz);
    my $string = join '&', map { "$_=$p{$_}" } sort keys %p;
    $p{sign} = encode_base64($merchant->sign(encode('UTF-8', $string)), '');
    my $r = $http->post_form(gw_url('/gateway.do?charset=utf-8'), \%p);
    $r->{status} == 200 or die "page.pay $no: $r->{status} $r->{content}";
}

# the buyer pays (the double's notification goes nowhere: never_notify)
sub pay_trade {
    my ($no) = @_;
    my $r = $http->post_form(gw_url('/pay'), { out_trade_no => $no },
                             { headers => { Accept => 'application/json' } });
    $r->{status} == 200 or die "pay $no: $r->{status} $r->{content}";
    return $json->decode($r->{content})->{trade_no};
}

# === the hall's side ========================================================

my $conf_n = 0;
sub conf {
    my (%kv) = (alipay_gateway => gw_url('/gateway.do?charset=utf-8'),
                alipay_app_id => $app_id, alipay_seller_id => $seller_id,
                alipay_private_key => "$tmp/merchant.key",
                alipay_public_key => "$tmp/alipay.pub", @_);
    my $path = "$tmp/admin-" . ++$conf_n . '.conf';
    my $text = "# written by t/tools/alipay-sync.t\n"
             . "db = host=$host dbname=$db user=certhall connect_timeout=5\n";
    $text .= "$_ = $kv{$_}\n" for grep { defined $kv{$_} } sort keys %kv;
    write_file($path, $text);
    return $path;
}

# the last run of alipay-sync in job_runs: "status done failed message"
sub last_run {
    psql(q{SELECT concat_ws(' ', status, done, failed, coalesce(message, '-'))
           FROM job_runs WHERE job = 'alipay-sync' ORDER BY id DESC LIMIT 1});
}

sub sync {
    my (@args) = @_;
    my ($out, $err) = ('', '');
    run [$admin, 'alipay-sync', @args], \undef, \$out, \$err;
    return ($? >> 8, decode('UTF-8', $out), decode('UTF-8', $err));
}

my $phone = '13800000161';
make_account($phone, 'alice123', verified => ['张三', '1101**********002X']);
make_session($phone, 1);

my $order_n = 0;
sub order {
    my ($state) = @_;
    my $id = sprintf 'UO2026120700000%05d', ++$order_n;
    order_at($state // 'pending_payment', id => $id, phone => $phone);
    return $id;
}
sub state { psql('SELECT state FROM orders WHERE id = ' . lit(shift)) }
sub amount { psql('SELECT amount_fen FROM orders WHERE id = ' . lit(shift)) }

# an attempt (the next of the order), made (created) and expiring the
# given times from now
sub attempt {
    my ($order, %o) = @_;
    my $n = 1 + psql('SELECT count(*) FROM alipay_attempts WHERE order_id = ' . lit($order));
    my $no = "${order}_$n";
    psql("INSERT INTO alipay_attempts (out_trade_no, order_id, attempt, channel, amount_fen,"
         . " subject, created_at, expires_at) SELECT " . lit($no) . ", id, $n, 'page',"
         . " amount_fen, '湘潭公共资源交易中心 数字证书新办', now() - interval "
         . lit($o{made} // '10 minutes') . ", now() + interval " . lit($o{expires} // '20 minutes')
         . " FROM orders WHERE id = " . lit($order));
    return $no;
}
sub attempt_row {
    row(q{SELECT json_build_object('state', state, 'checks', checks, 'last_error', last_error,
          'later', next_check_at > now(), 'leased', lease_until IS NOT NULL, 'trade_no', trade_no)
          FROM alipay_attempts WHERE out_trade_no = } . lit(shift));
}
# ends what a scenario left open, so that none falls due in the next one
# (the back-off is minutes: a slow machine gets there)
sub retire {
    psql(q{UPDATE alipay_attempts SET state = 'closed', closed_at = now() WHERE state = 'open'});
}
sub due_again { psql('UPDATE alipay_attempts SET next_check_at = now() WHERE out_trade_no = ' . lit(shift)) }
sub payments { psql('SELECT count(*) FROM alipay_payments WHERE order_id = ' . lit(shift)) }
sub moves {
    psql("SELECT count(*) FROM order_events WHERE to_state = 'pending_review' AND order_id = "
         . lit(shift));
}

gateway_start('never_notify');
my $conf = conf();

# === lost notifications: paid, waiting, expired, never opened, cancelled ====

my %paid_case;
{
    # paid at Alipay, its notification lost
    my $paid = order();
    my $paid_no = attempt($paid);
    open_trade($paid_no, amount($paid));
    my $trade_no = pay_trade($paid_no);
    %paid_case = (order => $paid, no => $paid_no, trade_no => $trade_no);

    # attempts of one order awaiting payment:
    my $waiting = order();
    # opened, not paid, still valid: wait
    my $waiting_no = attempt($waiting);
    open_trade($waiting_no, amount($waiting));

    # opened, not paid, expired: closed at Alipay, then here
    my $expired_no = attempt($waiting, made => '40 minutes', expires => '-10 minutes');
    open_trade($expired_no, amount($waiting));

    # never opened (ACQ.TRADE_NOT_EXIST), expired: closed
    my $never_no = attempt($waiting, made => '40 minutes', expires => '-10 minutes');

    # never opened, valid: waits too
    my $unopened_no = attempt($waiting);

    # made a minute ago: the notification still has its chance, not asked
    my $young_no = attempt($waiting, made => '0 seconds');

    # the order was cancelled after the page was opened: closed at once
    my $cancelled = order();
    my $cancelled_no = attempt($cancelled, made => '0 seconds');
    open_trade($cancelled_no, amount($cancelled));
    Certhall::Admin::transition($cancelled, 'cancelled', 'applicant',
        psql('SELECT account_id FROM orders WHERE id = ' . lit($cancelled)));

    my ($rc, $out, $err) = sync('-c', $conf);
    is $rc, 0, 'alipay-sync exits 0 when every check got its answer' or diag $err;
    is $out, "alipay-sync: 6 done, 0 failed\n", 'and says how many';
    is $err, '', 'nothing on stderr';
    is last_run(), 'ok 6 0 -', 'the run is recorded in job_runs: ok, 6 done';

    is state($paid), 'pending_review', 'the paid order went to pending_review';
    is moves($paid), 1, 'through one transition';
    my $p = row(q{SELECT json_build_object('trade_no', trade_no, 'amount_fen', amount_fen,
                  'source', source, 'applied', applied, 'buyer_logon_id', buyer_logon_id,
                  'paid', paid_at IS NOT NULL, 'raw_status', raw->>'trade_status')
                  FROM alipay_payments WHERE order_id = } . lit($paid));
    is $p->{trade_no}, $trade_no, "the payment is the double's trade ($trade_no)";
    is $p->{amount_fen}, amount($paid), 'for the amount in fen';
    is $p->{source}, 'query', 'learnt from alipay.trade.query';
    ok $p->{applied}, 'and it paid the order';
    is $p->{raw_status}, 'TRADE_SUCCESS', "the verified answer is kept";
    is $p->{buyer_logon_id}, 'csq***@sandbox.com', 'with the buyer';
    ok $p->{paid}, 'and the time it was paid';
    is attempt_row($paid_no)->{state}, 'paid', 'the attempt is paid';

    my $w = attempt_row($waiting_no);
    is $w->{state}, 'open', 'an unpaid valid attempt stays open';
    ok $w->{later} && $w->{checks} == 1 && !$w->{last_error} && !$w->{leased},
        'to be asked again later';
    is attempt_row($unopened_no)->{state}, 'open', 'so does one never opened while valid';
    is state($waiting), 'pending_payment', 'their order is untouched';

    is attempt_row($expired_no)->{state}, 'closed', 'an expired unpaid attempt is closed';
    is trades()->{$expired_no}{status}, 'TRADE_CLOSED', 'after alipay.trade.close';
    is attempt_row($never_no)->{state}, 'closed', 'so is an expired one Alipay never saw';
    is attempt_row($cancelled_no)->{state}, 'closed',
        'and one of a cancelled order, however young';
    is trades()->{$cancelled_no}{status}, 'TRADE_CLOSED', 'closed at Alipay too';

    my $y = attempt_row($young_no);
    ok $y->{state} eq 'open' && $y->{checks} == 0, 'a young attempt is not asked about';

    is asked('alipay.trade.query', $_), 1, "$_ queried once"
        for $paid_no, $waiting_no, $expired_no, $never_no, $unopened_no, $cancelled_no;
    is asked('alipay.trade.query', $young_no), 0, 'the young one not at all';
    is_deeply [sort map { $_->{biz}{out_trade_no} } calls('alipay.trade.close')],
        [sort $expired_no, $never_no, $cancelled_no], 'exactly the three were closed';

    ($rc, $out) = sync('-c', $conf);
    is $out, "alipay-sync: 0 done, 0 failed\n", 'a second run finds nothing due';
    is scalar(calls()), 9, 'and asks Alipay nothing';

    # the notification that comes after all changes nothing
    my $n = row("SELECT row_to_json(x) FROM api.alipay_notify(" . join(', ', map { lit($_) }
                $paid_no, $trade_no, 'TRADE_SUCCESS') . ", " . amount($paid)
                . ", '2088102177846880', 'csq***\@sandbox.com', NULL, '{}') x");
    is $n->{outcome}, 'already', 'the late notification is already applied';
    is moves($paid), 1, 'the order moved once in all';
    is payments($paid), 1, 'one payment';
    retire();
}

# === errors: HTTP 500, busy, a forged answer: nothing changes ==============

{
    my $o = order();
    my $no = attempt($o);
    open_trade($no, amount($o));
    my $trade_no = pay_trade($no);

    my @cases = (
        [ http500  => qr/HTTP 500/ ],
        [ busy     => qr/^20000 Service Currently Unavailable: isp\.unknow-error/ ],
        [ bad_sign => qr/sign does not verify with Alipay's public key: answer refused/ ],
    );
    my $checks = 0;
    for my $c (@cases) {
        my ($mode, $like) = @$c;
        mode($mode);
        due_again($no);
        my ($rc, $out, $err) = sync('-c', $conf);
        $checks++;
        is $rc, 1, "$mode: exit 1";
        is $out, "alipay-sync: 0 done, 1 failed\n", "$mode: one failed";
        like $err, qr/^alipay-sync: attempt \Q$no\E: /m, "$mode: stderr names the attempt";
        like last_run(), qr/^failed 0 1 attempt \Q$no\E: /, "$mode: recorded as failed";
        my $a = attempt_row($no);
        is $a->{state}, 'open', "$mode: the attempt stays open";
        like $a->{last_error}, $like, "$mode: with the error";
        ok $a->{later} && !$a->{leased} && $a->{checks} == $checks,
            "$mode: asked again later";
        is state($o), 'pending_payment', "$mode: the order is untouched";
        is payments($o), 0, "$mode: no payment recorded";
    }

    mode('never_notify');
    due_again($no);
    my ($rc, $out, $err) = sync('-c', $conf);
    is $out, "alipay-sync: 1 done, 0 failed\n", 'once Alipay answers properly, the retry succeeds';
    is state($o), 'pending_review', 'and the order is paid';
    is psql('SELECT trade_no FROM alipay_payments WHERE order_id = ' . lit($o)), $trade_no,
        'by its trade';
    retire();
}

# === two runs at once ask about each attempt once ===========================

{
    my @nos;
    my @orders = (order(), order());
    for my $i (1 .. 14) {
        my $o = $orders[$i % 2];
        push @nos, attempt($o);
        open_trade($nos[-1], amount($o));
    }
    my @h = map {
        my ($out, $err) = ('', '');
        my $h = IPC::Run::start([$admin, 'alipay-sync', '-c', $conf], \undef, \$out, \$err);
        { h => $h, out => \$out, err => \$err };
    } 1 .. 2;
    $_->{h}->finish for @h;

    my $done = 0;
    $done += ${ $_->{out} } =~ /^alipay-sync: (\d+) done, 0 failed$/ ? $1 : -100 for @h;
    is $done, 14, 'two runs at once did 14 checks between them'
        or diag map { ${ $_->{out} } . ${ $_->{err} } } @h;
    is_deeply [grep { asked('alipay.trade.query', $_) != 1 } @nos], [],
        'and asked about each attempt exactly once';
    is psql(q{SELECT count(*) FROM alipay_attempts WHERE checks = 1 AND state = 'open'
              AND out_trade_no IN (} . join(', ', map { lit($_) } @nos) . ')'), 14,
        'each recorded once';
    retire();
}

# === refunds ================================================================

{
    # paid at Alipay after the order was cancelled: a payment to refund
    my $o = order();
    my $no = attempt($o);
    open_trade($no, amount($o));
    my $trade_no = pay_trade($no);
    Certhall::Admin::transition($o, 'cancelled', 'applicant',
        psql('SELECT account_id FROM orders WHERE id = ' . lit($o)));

    my ($rc, $out, $err) = sync('-c', $conf);
    is $out, "alipay-sync: 1 done, 0 failed\n", 'the payment of a cancelled order is recorded';
    like $err, qr/^alipay-sync: attempt \Q$no\E: paid \(trade \Q$trade_no\E\), but its order can no longer be paid: recorded as a payment to refund$/m,
        'and said';
    my $pay = row(q{SELECT json_build_object('id', id, 'refund_state', refund_state,
                    'applied', applied) FROM alipay_payments WHERE order_id = } . lit($o));
    ok !$pay->{applied} && $pay->{refund_state} eq 'to_refund', 'as one to refund';
    is state($o), 'cancelled', 'the order stays cancelled';

    make_staff('fin', '财务小王', ['finance']);
    staff_session('fin', 3);
    psql('SELECT admin.alipay_refund_request(' . join(', ', map { lit($_) }
         staff_token(3), staff_csrf(3)) . ", '127.0.0.1', $pay->{id}, '订单已取消，原路退回')");
    my $request_no = "R$pay->{id}_1";

    sub refund_row {
        row(q{SELECT json_build_object('state', r.state, 'attempts', r.attempts,
              'fund_change', r.fund_change, 'last_error', r.last_error,
              'result_code', r.result->>'code', 'payment', p.refund_state)
              FROM alipay_refunds r JOIN alipay_payments p ON p.id = r.payment_id
              WHERE r.out_request_no = } . lit(shift));
    }
    sub refund_due { psql('UPDATE alipay_refunds SET next_try_at = now() WHERE out_request_no = ' . lit(shift)) }

    # HTTP 500: no answer, retried later
    mode('http500');
    ($rc, $out, $err) = sync('-c', $conf);
    is $rc, 1, 'a refund without an answer: exit 1';
    is $out, "alipay-sync: 0 done, 1 failed\n", 'one failed';
    like $err, qr/^alipay-sync: refund \Q$request_no\E \(\Q$no\E\): HTTP 500$/m, 'said on stderr';
    my $r = refund_row($request_no);
    ok $r->{state} eq 'queued' && $r->{attempts} == 1 && $r->{payment} eq 'refunding',
        'the refund is queued again, the payment refunding';
    like $r->{last_error}, qr/HTTP 500/, 'with the error';

    # the money moves, but the answer is forged: not believed, retried
    mode('bad_sign');
    refund_due($request_no);
    ($rc, $out, $err) = sync('-c', $conf);
    is $out, "alipay-sync: 0 done, 1 failed\n", 'an answer with a bad sign is no answer';
    $r = refund_row($request_no);
    ok $r->{state} eq 'queued' && $r->{attempts} == 2, 'the refund is queued again';
    is trades()->{$no}{refunded}, trades()->{$no}{total_amount},
        '(the double did refund: its answer was what got lost)';

    # the retry: the same out_request_no, so no second refund
    mode('never_notify');
    refund_due($request_no);
    ($rc, $out, $err) = sync('-c', $conf);
    is $rc, 0, 'the retry succeeds' or diag $err;
    is $out, "alipay-sync: 1 done, 0 failed\n", 'one done';
    $r = refund_row($request_no);
    is $r->{state}, 'done', 'the refund is done';
    is $r->{payment}, 'refunded', 'the payment refunded';
    is $r->{fund_change}, JSON::PP::false, "fund_change N recorded: the money had moved on the earlier call";
    is $r->{result_code}, '10000', "Alipay's answer is kept";

    my @refunds = calls('alipay.trade.refund');
    is scalar(@refunds), 3, 'three refund calls in all';
    is_deeply [map { $_->{biz}{out_request_no} } @refunds], [($request_no) x 3],
        'each with the same out_request_no';
    is_deeply [map { $_->{biz}{out_trade_no} } @refunds], [($no) x 3], 'of the trade';
    is $refunds[0]{biz}{refund_amount}, sprintf('%d.%02d', amount($o) / 100, amount($o) % 100),
        'for the whole amount, in yuan';
    is $refunds[0]{biz}{refund_reason}, '订单已取消，原路退回', 'with the reason';
    is scalar @{ trades()->{$no}{refunds} }, 1, 'Alipay refunded once';
    is psql(q{SELECT count(*) FROM staff_audit WHERE action IN ('alipay_refund', 'alipay_refund_done')
              AND order_id = } . lit($o)), 2, 'the request and its result are audited';

    # a refund the first call completes: fund_change Y
    my $o2 = order();
    my $no2 = attempt($o2);
    open_trade($no2, amount($o2));
    pay_trade($no2);
    Certhall::Admin::transition($o2, 'cancelled', 'applicant',
        psql('SELECT account_id FROM orders WHERE id = ' . lit($o2)));
    sync('-c', $conf);
    my $id2 = psql('SELECT id FROM alipay_payments WHERE order_id = ' . lit($o2));
    psql('SELECT admin.alipay_refund_request(' . join(', ', map { lit($_) }
         staff_token(3), staff_csrf(3)) . ", '127.0.0.1', $id2, '订单已取消')");
    ($rc, $out) = sync('-c', $conf);
    is $out, "alipay-sync: 1 done, 0 failed\n", 'a refund answered at once';
    is refund_row("R${id2}_1")->{fund_change}, JSON::PP::true, 'fund_change Y recorded';

    # a refusal that trying again does not change: failed, finance may ask
    # again (a payment Alipay does not know: recorded here by hand)
    my $o3 = order();
    my $no3 = attempt($o3);
    Certhall::Admin::transition($o3, 'cancelled', 'applicant',
        psql('SELECT account_id FROM orders WHERE id = ' . lit($o3)));
    is psql("SELECT outcome FROM admin.alipay_payment_apply(" . lit($no3)
            . ", '2026120722001499999999', 'TRADE_SUCCESS', " . amount($o3)
            . ", NULL, NULL, NULL, '{}')"), 'to_refund', '(a payment to refund Alipay never made)';
    my $id3 = psql('SELECT id FROM alipay_payments WHERE order_id = ' . lit($o3));
    psql('SELECT admin.alipay_refund_request(' . join(', ', map { lit($_) }
         staff_token(3), staff_csrf(3)) . ", '127.0.0.1', $id3, '订单已取消')");
    ($rc, $out, $err) = sync('-c', $conf);
    is $rc, 1, 'a refused refund: exit 1';
    is $out, "alipay-sync: 0 done, 1 failed\n", 'one failed';
    like $err, qr/^alipay-sync: refund R${id3}_1 \(\Q$no3\E\): 40004 Business Failed: ACQ\.TRADE_NOT_EXIST .*\nalipay-sync: refund R${id3}_1 \(\Q$no3\E\): failed, finance may ask again$/m,
        'said, with what Alipay answered';
    $r = refund_row("R${id3}_1");
    ok $r->{state} eq 'failed' && $r->{payment} eq 'refund_failed',
        'the refund failed at once, the payment is refund_failed';
    like $r->{last_error}, qr/ACQ\.TRADE_NOT_EXIST/, 'with the reason';
    is psql(q{SELECT count(*) FROM staff_audit WHERE action = 'alipay_refund_failed' AND order_id = }
            . lit($o3)), 1, 'audited';
}

# === a gateway that does not answer ends the run ============================

{
    retire();
    # a port nothing listens on: refused
    my $closed = do {
        require IO::Socket::INET;
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
            or die "no port: $!";
        my $p = $s->sockport;
        close $s;
        $p;
    };
    my @nos = map { attempt(order()) } 1 .. 2;
    my $o = order();
    my $no = attempt($o);
    Certhall::Admin::transition($o, 'cancelled', 'applicant',
        psql('SELECT account_id FROM orders WHERE id = ' . lit($o)));
    psql("SELECT outcome FROM admin.alipay_payment_apply(" . lit($no)
         . ", '2026120722001499999998', 'TRADE_SUCCESS', " . amount($o) . ", NULL, NULL, NULL, '{}')");
    my $pay = psql('SELECT id FROM alipay_payments WHERE order_id = ' . lit($o));
    psql('SELECT admin.alipay_refund_request(' . join(', ', map { lit($_) }
         staff_token(3), staff_csrf(3)) . ", '127.0.0.1', $pay, '订单已取消')");

    my ($rc, $out, $err) = sync('-c', conf(alipay_gateway => "http://127.0.0.1:$closed/gateway.do?charset=utf-8"));
    is $rc, 1, 'a gateway that refuses: exit 1';
    is $out, "alipay-sync: 0 done, 1 failed\n", 'one call failed: the run ends there';
    like $err, qr/^alipay-sync: attempt \Q$nos[0]\E: .*(?:connect|refused)/mi, 'said, for the first attempt';
    my $second = attempt_row($nos[1]);
    ok $second->{state} eq 'open' && $second->{checks} == 0 && !$second->{leased} && !$second->{later},
        'the second attempt is handed back: not asked, not leased, due at once'
        or diag explain $second;
    is psql("SELECT state || ' ' || attempts FROM alipay_refunds WHERE payment_id = $pay"), 'queued 0',
        'and the refund not sent, nor counted';
    is scalar(grep { $_->{biz}{out_trade_no} eq $nos[1] } calls()), 0,
        '(nothing reached the double meanwhile)';
    retire();
    psql("UPDATE alipay_refunds SET state = 'failed', last_error = 'retired by the test'"
         . " WHERE payment_id = $pay");
}

# === configuration errors ===================================================

{
    write_file("$tmp/not-a-key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    my @cases = (
        [ 'no alipay_gateway', [ '-c', conf(alipay_gateway => undef) ],
          qr/"alipay_gateway" is not set/ ],
        [ 'no alipay_app_id', [ '-c', conf(alipay_app_id => undef) ],
          qr/"alipay_app_id" is not set/ ],
        [ 'a missing private key', [ '-c', conf(alipay_private_key => "$tmp/none.pem") ],
          qr/\Q$tmp\E\/none\.pem: No such file or directory/ ],
        [ 'a malformed private key', [ '-c', conf(alipay_private_key => "$tmp/not-a-key.pem") ],
          qr/not-a-key\.pem: / ],
        [ 'a public key given as the private one',
          [ '-c', conf(alipay_private_key => "$tmp/merchant.pub") ], qr/merchant\.pub: / ],
        [ 'a gateway that is not http(s)', [ '-c', conf(alipay_gateway => 'ftp://127.0.0.1/') ],
          qr/expected an http:\/\/ or https:\/\/ URL/ ],
        [ 'an app id that is not one', [ '-c', conf(alipay_app_id => 'a&b=c') ],
          qr/expected the id Alipay gave/ ],
        [ 'an unknown argument', [ '-c', $conf, '--twice' ], qr/unexpected argument "--twice"/ ],
        [ 'no configuration', [], qr/no file: give -c FILE or set CERTHALL_ADMIN_CONF/ ],
    );
    for my $c (@cases) {
        my ($what, $args, $like) = @$c;
        my ($rc, $out, $err) = sync(@$args);
        is $rc, 2, "$what: exit 2";
        like $err, qr/^alipay-sync: .*$like/m, "$what: the message names the problem";
        is $out, '', "$what: no summary";
    }
    my $key = slurp("$tmp/merchant.key");
    my ($body) = $key =~ /-----\n(.{40})/s;
    my ($rc, $out, $err) = sync('-c', conf(alipay_public_key => "$tmp/merchant.key"));
    unlike $out . $err, qr/\Q$body\E/, 'no key text in what it says';
}

Certhall::Test::sql_disconnect();
psql("DROP DATABASE $db", 'postgres', 'postgres');
done_testing;
