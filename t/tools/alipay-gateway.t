# t/bin/alipay-gateway, the double of Alipay's gateway, speaks the real
# protocol (../shared/reference/alipay.md): it refuses a request not signed
# by the merchant's key, its notifications and return queries verify with
# `openssl dgst -verify` and Alipay's public key, its query/close/refund
# answers are signed over the exact bytes of the response value, and each
# mode misbehaves as said.  Keys are made here with the openssl CLI, and so
# is every signature the test checks or makes: nothing of the double's own
# code judges the double.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use HTTP::Daemon;
use HTTP::Response;
use HTTP::Tiny;
use IPC::Run qw(run);
use JSON::PP;
use MIME::Base64 qw(encode_base64 decode_base64);
use Time::HiRes qw(sleep);

use FindBin;
my $root = $ENV{TEST_NGINX_REPO} // "$FindBin::Bin/../..";
eval { require Crypt::OpenSSL::RSA; 1 }
    or BAIL_OUT('Crypt::OpenSSL::RSA is missing: scripts/deps.sh installs libcrypt-openssl-rsa-perl');

my $tmp = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->canonical;          # bytes in, bytes out
my $APP = '2021000000000042';
my $SELLER = '2088000000000042';
# under the project's runner, listen in this run's port range (+5 to +7: clear of
# the make run hall and t/tools/run.t, which take +0, +3, +10, +13)
my $base = $ENV{TEST_NGINX_PORT};
sub port_at { $base ? $base + $_[0] : 0 }

sub openssl {
    my (@args) = @_;
    my ($out, $err) = ('', '');
    run ['openssl', @args], \undef, \$out, \$err;
    return ($? >> 8, $out . $err);
}

for my $k (qw(merchant alipay other)) {
    my ($rc, $out) = openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048',
                             '-out', "$tmp/$k.key");
    $rc == 0 or BAIL_OUT("openssl genpkey: $out");
    ($rc, $out) = openssl('pkey', '-in', "$tmp/$k.key", '-pubout', '-out', "$tmp/$k.pub");
    $rc == 0 or BAIL_OUT("openssl pkey: $out");
}

sub write_file {
    my ($path, $bytes) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $bytes;
    close $fh or die;
}

my $n_file = 0;
sub openssl_sign {
    my ($key, $msg) = @_;
    my $m = "$tmp/msg-" . ++$n_file;
    write_file($m, $msg);
    my ($rc, $out) = openssl('dgst', '-sha256', '-sign', "$tmp/$key.key", '-out', "$m.sig", $m);
    $rc == 0 or die "openssl dgst -sign: $out";
    open my $fh, '<:raw', "$m.sig" or die;
    local $/;
    return encode_base64(<$fh>, '');
}

sub openssl_verifies {
    my ($pub, $msg, $sign_b64) = @_;
    my $m = "$tmp/msg-" . ++$n_file;
    write_file($m, $msg);
    write_file("$m.sig", decode_base64($sign_b64 // ''));
    my ($rc, $out) = openssl('dgst', '-sha256', '-verify', "$tmp/$pub.pub", '-signature', "$m.sig", $m);
    return $rc == 0 && $out =~ /Verified OK/;
}

sub sign_string {
    my ($p, @exclude) = @_;
    my %ex = map { $_ => 1 } @exclude;
    return join '&', map { "$_=$p->{$_}" } sort grep { !$ex{$_} && $p->{$_} ne '' } keys %$p;
}

sub url_decode { my $s = shift; $s =~ tr/+/ /; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $s }
sub url_encode { my $s = shift; $s =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ge; $s }
sub form_decode { +{ map { my ($k, $v) = split /=/, $_, 2; (url_decode($k), url_decode($v // '')) }
                     split /&/, shift } }
sub form_encode { my $p = shift; join '&', map { url_encode($_) . '=' . url_encode($p->{$_}) } sort keys %$p }

# --- the merchant's notify_url: records each notification's raw body ---------

my $receiver = HTTP::Daemon->new(LocalAddr => '127.0.0.1', LocalPort => port_at(6), ReuseAddr => 1)
    or BAIL_OUT("cannot listen: $!");
my $received = "$tmp/received";
my $receiver_pid = fork // die;
if (!$receiver_pid) {
    while (my $c = $receiver->accept) {
        while (my $req = $c->get_request) {
            open my $fh, '>>:raw', $received or die;
            print $fh $req->content, "\n";
            close $fh;
            my $r = HTTP::Response->new(200);
            $r->header('Content-Type' => 'text/plain');
            $r->content('success');
            $r->header(Connection => 'close');
            $c->force_last_request;
            $c->send_response($r);
        }
        $c->close;
    }
    exit 0;
}
my $NOTIFY = 'http://127.0.0.1:' . $receiver->sockport . '/api/alipay/notify';
my $RETURN = 'http://127.0.0.1:' . $receiver->sockport . '/pay-return.html';

sub notifications {
    open my $fh, '<:raw', $received or return ();
    return map { chomp; form_decode($_) } <$fh>;
}

# --- the double --------------------------------------------------------------

my @doubles;
sub double {
    my (%o) = @_;
    my $log = "$tmp/gateway-" . (@doubles + 1) . '.log';
    my $pid = open my $fh, '-|', $^X, "$root/t/bin/alipay-gateway",
        '--merchant-public-key', "$tmp/merchant.pub", '--alipay-private-key', "$tmp/alipay.key",
        '--app-id', $APP, '--seller-id', $SELLER, '--log', $log, '--port', $o{port},
        ($o{mode} ? ('--mode', $o{mode}) : ())
        or die "alipay-gateway: $!";
    my $line = <$fh> // '';
    $line =~ /^listening on 127\.0\.0\.1:(\d+)$/ or BAIL_OUT("alipay-gateway said: $line");
    my $d = { pid => $pid, fh => $fh, url => "http://127.0.0.1:$1", log => $log };
    push @doubles, $d;
    return $d;
}

END {
    local $?;                       # close() of a pipe sets it
    for (@doubles) { kill 'TERM', $_->{pid}; close $_->{fh} }
    if ($receiver_pid) { kill 'TERM', $receiver_pid; waitpid $receiver_pid, 0 }
}

my $gw = double(port => port_at(5));
my $http = HTTP::Tiny->new(timeout => 20, max_redirect => 0);
my $form_type = { 'Content-Type' => 'application/x-www-form-urlencoded' };

sub log_lines {
    my ($d) = @_;
    open my $fh, '<:raw', $d->{log} or return ();
    return map { $json->decode($_) } <$fh>;
}

sub beijing_now {
    my @t = gmtime(time + 8 * 3600);
    sprintf '%04d-%02d-%02d %02d:%02d:%02d', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0];
}

# a request as the module builds it, signed by openssl with a key
my $n_trade = 0;
sub request {
    my (%o) = @_;
    my $method = $o{method} // 'alipay.trade.page.pay';
    my $biz = $o{biz} // {
        out_trade_no => $o{out_trade_no} // 'UO20261207103015' . sprintf('%04d', ++$n_trade) . '_1',
        product_code => $method eq 'alipay.trade.wap.pay' ? 'QUICK_WAP_WAY' : 'FAST_INSTANT_TRADE_PAY',
        total_amount => $o{total_amount} // '400.00',
        subject => $o{subject} // '湘潭公共资源交易中心 数字证书新办',
        timeout_express => '30m',
    };
    my %p = (app_id => $o{app_id} // $APP, method => $method, format => 'JSON', charset => 'utf-8',
             sign_type => 'RSA2', timestamp => beijing_now(), version => '1.0',
             biz_content => ref $biz ? $json->encode($biz) : $biz);
    if ($method =~ /page\.pay|wap\.pay/) { $p{notify_url} = $NOTIFY; $p{return_url} = $RETURN }
    $p{sign} = openssl_sign($o{key} // 'merchant', sign_string(\%p, 'sign'));
    $p{$_} = $o{after}{$_} for keys %{ $o{after} // {} };     # altered after signing
    return (\%p, ref $biz ? $biz->{out_trade_no} : undef);
}

sub post_gateway {
    my ($d, $p) = @_;
    return $http->post("$d->{url}/gateway.do?charset=utf-8", { headers => $form_type, content => form_encode($p) });
}

sub trades {
    my ($d) = @_;
    my $r = $http->get("$d->{url}/control/trades");
    return { map { $_->{out_trade_no} => $_ } @{ $json->decode($r->{content}) } };
}

sub pay_json {
    my ($d, $no) = @_;
    my $r = $http->post("$d->{url}/pay", { headers => { %$form_type, Accept => 'application/json' },
                                           content => 'out_trade_no=' . url_encode($no) });
    return ($r, $r->{status} == 200 ? $json->decode($r->{content}) : undef);
}

# a server-to-server call: (status, the decoded answer, its value's raw bytes, its sign)
sub api_call {
    my ($d, $method, $biz, %o) = @_;
    my ($p) = request(method => $method, biz => $biz, %o);
    my $r = post_gateway($d, $p);
    (my $key = $method) =~ tr/./_/;
    my ($raw) = $r->{content} =~ /^\{"\Q$key\E_response":(\{.*\}),"sign":"[^"]*"\}\z/s;
    my $ans = eval { $json->decode($r->{content}) };
    return ($r->{status}, $ans ? $ans->{"${key}_response"} : undef, $raw, $ans ? $ans->{sign} : undef, $r);
}

# --- the page request ----------------------------------------------------------

my ($p, $no) = request();
my $r = post_gateway($gw, $p);
is $r->{status}, 200, 'a page.pay request signed by the merchant opens the cashier' or diag $r->{content};
like $r->{content}, qr{<td id="subject">湘潭公共资源交易中心 数字证书新办</td>}, 'which names the subject';
like $r->{content}, qr{<td id="amount">400\.00</td>}, 'and the amount';
like $r->{content}, qr{<form method="post" action="/pay"><input type="hidden" name="out_trade_no" value="\Q$no\E"><button type="submit" id="pay">确认付款</button>},
     'with the 确认付款 button posting the out_trade_no';
is trades($gw)->{$no}{status}, 'WAIT_BUYER_PAY', 'the trade waits for the buyer';

# the same request as a GET URL (values url-encoded after signing)
($p) = request(out_trade_no => $no);
$r = $http->get("$gw->{url}/gateway.do?" . form_encode($p));
is $r->{status}, 200, 'the same out_trade_no again, as a GET URL, reopens the cashier';
is scalar(grep { $_ eq $no } keys %{ trades($gw) }), 1, 'the same trade, not a second';

my %bad = (
    'an amount altered after signing' => [after => { biz_content => $json->encode({ %{ $json->decode($p->{biz_content}) }, total_amount => '0.01' }) }],
    'a sign by another key'           => [key => 'other'],
    'no sign'                         => [after => { sign => '' }],
    'a sign that is not base64'       => [after => { sign => '!!!' }],
);
for my $what (sort keys %bad) {
    my ($bp, $bno) = request(@{ $bad{$what} });
    $r = post_gateway($gw, $bp);
    is $r->{status}, 400, "$what: refused";
    like $r->{content}, qr{<p id="error">(?:invalid signature|missing sign)</p>}, "$what: the page says why";
    ok !trades($gw)->{$bno}, "$what: no trade";
}
($p, my $bno) = request(app_id => '2021000000000099');
$r = post_gateway($gw, $p);
ok $r->{status} == 400 && $r->{content} =~ /invalid app_id/, 'another app_id: refused';
($p, $bno) = request(biz => { out_trade_no => 'UO_X_1', product_code => 'QUICK_WAP_WAY',
                              total_amount => '1.00', subject => 'x' });
$r = post_gateway($gw, $p);
ok $r->{status} == 400 && $r->{content} =~ /invalid product_code/, 'page.pay with the phone product code: refused';
($p) = request(out_trade_no => $no, total_amount => '399.00');
$r = post_gateway($gw, $p);
ok $r->{status} == 400 && $r->{content} =~ /ACQ\.CONTEXT_INCONSISTENT/,
   'the same out_trade_no with another amount: refused';
is trades($gw)->{$no}{total_amount}, '400.00', 'and the trade is as it was';

my @refused = grep { $_->{type} eq 'request' && $_->{status} == 400 } log_lines($gw);
is scalar @refused, 7, 'each refusal is in the log';
is $refused[0]{error}, 'invalid signature', 'with its reason';

# --- paying -------------------------------------------------------------------

(my $res, my $paid) = pay_json($gw, $no);
is $res->{status}, 200, 'the buyer pays';
like $paid->{trade_no}, qr/^\d{16,64}\z/, 'the trade gets a trade_no';
is $paid->{notify_status}, 200, 'the notification was posted';
is $paid->{notify_body}, 'success', 'and its answer recorded';
my @n = notifications();
is scalar @n, 1, 'one notification';
my $n = $n[0];
is_deeply [sort keys %$n], [sort qw(notify_time notify_type notify_id app_id charset version sign_type sign
                                    trade_no out_trade_no buyer_id buyer_logon_id seller_id trade_status
                                    total_amount receipt_amount buyer_pay_amount subject gmt_create gmt_payment)],
          'with the fields Alipay sends';
ok openssl_verifies('alipay', sign_string($n, 'sign', 'sign_type'), $n->{sign}),
   'signed by Alipay\'s key: openssl dgst -verify, sign and sign_type dropped';
is_deeply [@$n{qw(out_trade_no trade_no trade_status total_amount app_id seller_id sign_type notify_type)}],
          [$no, $paid->{trade_no}, 'TRADE_SUCCESS', '400.00', $APP, $SELLER, 'RSA2', 'trade_status_sync'],
          'for this trade, paid in full, to this merchant';
is $n->{subject}, '湘潭公共资源交易中心 数字证书新办', 'the subject as the UTF-8 bytes it was sent as';
like $n->{gmt_payment}, qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\z/, 'gmt_payment in Alipay\'s format';
my ($logged) = grep { $_->{type} eq 'notify' } log_lines($gw);
ok $logged && $logged->{url} eq $NOTIFY && $logged->{status} == 200 && $logged->{body} eq 'success',
   'the notification and its answer are in the log';

($res, my $again) = pay_json($gw, $no);
ok $res->{status} == 200 && $again->{trade_no} eq $paid->{trade_no} && !defined $again->{notify_status},
   'paying again: the same trade, no second payment';
is scalar(notifications()), 1, 'and no second notification';

# a browser gets the 302 to return_url, with the query Alipay signs
my ($p2, $no2) = request();
post_gateway($gw, $p2);
$r = $http->post("$gw->{url}/pay", { headers => $form_type, content => "out_trade_no=$no2" });
is $r->{status}, 302, 'a browser is sent back to return_url';
my ($to, $query) = ($r->{headers}{location} // '') =~ /^([^?]*)\?(.*)\z/;
is $to, $RETURN, 'the merchant\'s return_url';
my $q = form_decode($query // '');
is_deeply [@$q{qw(out_trade_no method app_id seller_id total_amount sign_type)}],
          [$no2, 'alipay.trade.page.pay.return', $APP, $SELLER, '400.00', 'RSA2'],
          'with the trade in its query';
ok openssl_verifies('alipay', sign_string($q, 'sign', 'sign_type'), $q->{sign}), 'signed by Alipay\'s key';

# a phone's request: wap.pay with its product code, back with its method
my ($pw, $now) = request(method => 'alipay.trade.wap.pay');
$r = post_gateway($gw, $pw);
ok $r->{status} == 200 && $r->{content} =~ /确认付款/, 'a wap.pay request opens the cashier too';
$r = $http->post("$gw->{url}/pay", { headers => $form_type, content => "out_trade_no=$now" });
$q = form_decode(((($r->{headers}{location} // '') =~ /\?(.*)\z/)[0]) // '');
is $q->{method}, 'alipay.trade.wap.pay.return', 'and comes back as wap.pay';
($pw) = request(method => 'alipay.trade.wap.pay', biz => { out_trade_no => 'UO_W_1', product_code => 'FAST_INSTANT_TRADE_PAY',
                                                           total_amount => '1.00', subject => 'x' });
$r = post_gateway($gw, $pw);
ok $r->{status} == 400 && $r->{content} =~ /invalid product_code/, 'wap.pay with the computer\'s product code: refused';

# --- query, close, refund --------------------------------------------------------

my ($st, $a, $raw, $sign) = api_call($gw, 'alipay.trade.query', { out_trade_no => $no });
is $st, 200, 'query answers';
is_deeply [@$a{qw(code msg trade_status trade_no total_amount)}],
          ['10000', 'Success', 'TRADE_SUCCESS', $paid->{trade_no}, '400.00'], 'the paid trade';
ok $a->{buyer_logon_id} && $a->{send_pay_date}, 'with the buyer and the payment time';
ok openssl_verifies('alipay', $raw, $sign), 'signed over the exact bytes of the response value';
($st, $a, $raw, $sign) = api_call($gw, 'alipay.trade.query', { trade_no => $paid->{trade_no} });
is $a->{out_trade_no}, $no, 'a query by trade_no finds it too';
($st, $a, $raw, $sign) = api_call($gw, 'alipay.trade.query', { out_trade_no => 'UO_NONE_1' });
is_deeply [@$a{qw(code sub_code)}], ['40004', 'ACQ.TRADE_NOT_EXIST'], 'an unknown trade: ACQ.TRADE_NOT_EXIST';
ok openssl_verifies('alipay', $raw, $sign), 'signed too';
($st, $a) = api_call($gw, 'alipay.trade.query', { out_trade_no => $no }, key => 'other');
is_deeply [@$a{qw(code sub_code)}], ['40002', 'isv.invalid-signature'], 'a query not signed by the merchant: refused';
ok !defined $a->{trade_status}, 'and tells nothing of the trade';

my ($p3, $no3) = request();
post_gateway($gw, $p3);
($st, $a) = api_call($gw, 'alipay.trade.close', { out_trade_no => $no3 });
is $a->{code}, '10000', 'close of an open trade';
($st, $a) = api_call($gw, 'alipay.trade.query', { out_trade_no => $no3 });
is $a->{trade_status}, 'TRADE_CLOSED', 'which is then closed';
$r = $http->post("$gw->{url}/pay", { headers => $form_type, content => "out_trade_no=$no3" });
is $r->{status}, 409, 'and cannot be paid';
($st, $a) = api_call($gw, 'alipay.trade.close', { out_trade_no => $no });
is_deeply [@$a{qw(code sub_code)}], ['40004', 'ACQ.TRADE_STATUS_ERROR'], 'a paid trade cannot be closed';
($st, $a) = api_call($gw, 'alipay.trade.close', { out_trade_no => 'UO_NONE_1' });
is $a->{sub_code}, 'ACQ.TRADE_NOT_EXIST', 'nor can one never opened';

my $refund = { out_trade_no => $no, refund_amount => '400.00', out_request_no => 'R1_1', refund_reason => '订单已取消' };
($st, $a, $raw, $sign) = api_call($gw, 'alipay.trade.refund', $refund);
is_deeply [@$a{qw(code fund_change refund_fee trade_no)}], ['10000', 'Y', '400.00', $paid->{trade_no}],
          'a refund moves the money';
ok openssl_verifies('alipay', $raw, $sign), 'signed over its response value';
($st, $a) = api_call($gw, 'alipay.trade.refund', $refund);
is_deeply [@$a{qw(code fund_change refund_fee)}], ['10000', 'N', '400.00'],
          'the same out_request_no again: the same refund, no money moves';
($st, $a) = api_call($gw, 'alipay.trade.refund', { %$refund, out_request_no => 'R1_2' });
is $a->{code}, '40004', 'another refund of a trade refunded in full: refused';
is scalar(@{ trades($gw)->{$no}{refunds} }), 1, 'one refund in all';
($st, $a) = api_call($gw, 'alipay.trade.query', { out_trade_no => $no });
is $a->{trade_status}, 'TRADE_CLOSED', 'and the trade is closed';
($st, $a) = api_call($gw, 'alipay.trade.refund', { %$refund, out_trade_no => $no2, refund_amount => '400.01' });
is $a->{sub_code}, 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'more than was paid: refused';

# --- modes --------------------------------------------------------------------

sub mode {
    my ($m) = @_;
    my $r = $http->post("$gw->{url}/control/mode", { headers => $form_type, content => "mode=$m" });
    diag $r->{content} if $r->{status} == 599;
    return $r->{status};
}

sub opened { my ($p, $no) = request(); post_gateway($gw, $p); $no }
sub notes_of { my $no = shift; grep { $_->{out_trade_no} eq $no } notifications() }

is mode('ok,nonsense'), 400, 'an unknown mode is refused';

is mode('notify_twice'), 200, 'notify_twice';
my $t = opened();
pay_json($gw, $t);
my @nt = notes_of($t);
ok @nt == 2 && $nt[0]{trade_no} eq $nt[1]{trade_no} && $nt[0]{notify_id} ne $nt[1]{notify_id},
   'notify_twice: the same trade notified twice' or diag explain \@nt;

mode('notify_late');
$t = opened();
($res, my $late) = pay_json($gw, $t);
ok !notes_of($t) && !defined $late->{notify_status}, 'notify_late: paying notifies nothing';
is trades($gw)->{$t}{status}, 'TRADE_SUCCESS', 'though the trade is paid';
$r = $http->post("$gw->{url}/control/notify", { headers => $form_type, content => "out_trade_no=$t" });
@nt = notes_of($t);
ok $r->{status} == 200 && @nt == 1 && $nt[0]{trade_status} eq 'TRADE_SUCCESS', 'until /control/notify';
ok openssl_verifies('alipay', sign_string($nt[0], 'sign', 'sign_type'), $nt[0]{sign}), 'signed as ever';
$r = $http->post("$gw->{url}/control/notify", { headers => $form_type,
                 content => "out_trade_no=$t&total_amount=0.01" });
@nt = notes_of($t);
ok $nt[1]{total_amount} eq '0.01' && openssl_verifies('alipay', sign_string($nt[1], 'sign', 'sign_type'), $nt[1]{sign}),
   '/control/notify sends a mismatched amount, signed correctly';

mode('never_notify');
$t = opened();
pay_json($gw, $t);
$r = $http->post("$gw->{url}/control/notify", { headers => $form_type, content => "out_trade_no=$t" });
ok !notes_of($t) && $r->{status} == 409, 'never_notify: no notification at all';
($st, $a) = api_call($gw, 'alipay.trade.query', { out_trade_no => $t });
is $a->{trade_status}, 'TRADE_SUCCESS', 'only a query finds the payment' or diag explain $a;

mode('out_of_order');
$t = opened();
pay_json($gw, $t);
is_deeply [map { $_->{trade_status} } notes_of($t)], ['TRADE_FINISHED', 'TRADE_SUCCESS'],
          'out_of_order: TRADE_FINISHED, then TRADE_SUCCESS';

mode('http500');
my @ans = api_call($gw, 'alipay.trade.query', { out_trade_no => $t });
is $ans[0], 500, 'http500: a query answers 500' or diag explain $ans[4];

mode('busy');
($st, $a, $raw, $sign) = api_call($gw, 'alipay.trade.query', { out_trade_no => $t });
ok $st == 200 && $a->{code} eq '20000', 'busy: code 20000';
ok openssl_verifies('alipay', $raw, $sign), 'signed';

mode('bad_sign,notify_twice');
$t = opened();
pay_json($gw, $t);
@nt = notes_of($t);
ok @nt == 2 && !grep({ openssl_verifies('alipay', sign_string($_, 'sign', 'sign_type'), $_->{sign}) } @nt),
   'bad_sign with notify_twice: two notifications, neither verifies';
($st, $a, $raw, $sign) = api_call($gw, 'alipay.trade.query', { out_trade_no => $t });
ok $a->{code} eq '10000' && !openssl_verifies('alipay', $raw, $sign), 'bad_sign: nor does a query\'s answer';

# modes from the command line, several at once
my $gw2 = double(port => port_at(7), mode => 'out_of_order,bad_sign');
($p, $t) = request();
post_gateway($gw2, $p);
pay_json($gw2, $t);
@nt = notes_of($t);
ok @nt == 2 && $nt[0]{trade_status} eq 'TRADE_FINISHED'
   && !openssl_verifies('alipay', sign_string($nt[0], 'sign', 'sign_type'), $nt[0]{sign}),
   '--mode out_of_order,bad_sign' or diag explain [log_lines($gw2)];

my @log = log_lines($gw);
my @requests = grep { $_->{type} eq 'request' } @log;
ok @requests > 40 && !grep({ !defined $_->{status} || !$_->{path} } @requests),
   'every request is a line of the log, with its answer';
is scalar(grep { $_->{type} eq 'notify' } @log), scalar(grep { $_->{url} } @log),
   'every notification too, with where it went';

done_testing;
