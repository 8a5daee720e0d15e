# Paying by Alipay: POST /api/orders/{id}/pay method=alipay gives the
# gateway and the signed form (the signature checked byte for byte against
# the openssl command line's), page and wap; the attempt is recorded
# first; refusals.  POST /api/alipay/notify: a verified notification moves
# the order to pending_review once and records the payment; repeats and
# TRADE_FINISHED change nothing; every forged, altered, mismatched or
# unknown notification changes nothing and is logged; two at once make one
# transition; a payment after a cancel is to be refunded; a database that
# is down is no "success".  The signing runs in the named thread pool;
# nginx -t refuses bad keys.  Keys are made here with the openssl command
# line (t/lib/Certhall/Alipay.pm).  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Alipay;
use File::Temp qw(tempdir);
use JSON::PP ();
use POSIX ();
use Time::HiRes ();

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
our $Key = alipay_keys($Dir);

our $Alice = '13800000001';
our $Bob = '13800000002';

# fixed order ids: the requests (and the notifications, signed) are
# written before the blocks run
our %O = map { $_->[0] => sprintf('UO2026120700000000%02d', $_->[1]) }
         [page => 1], [voucher => 2], [refuse => 3], [race => 4], [cancel => 5],
         [bob => 6], [draft => 7];

our $Gateway = 'http://127.0.0.1:9/gateway.do?charset=utf-8';
our $NotifyUrl = 'http://127.0.0.1:$TEST_NGINX_SERVER_PORT/api/alipay/notify';
our $ReturnUrl = 'http://127.0.0.1:$TEST_NGINX_SERVER_PORT/pay-return.html';

# the http{} lines of a hall that takes Alipay, with overrides
sub alipay_http_config {
    my %o = (app_id => $ALIPAY_APP_ID, seller_id => $ALIPAY_SELLER_ID,
             gateway => $Gateway, private_key => $Key->{merchant},
             public_key => $Key->{'alipay.pub'}, notify_url => $NotifyUrl,
             return_url => $ReturnUrl, timeout => '30m', thread_pool => 'alipay_sign', @_);
    my $db = delete $o{db} // $DB;
    my $conf = qq{    certhall_db "$db";\n    certhall_password_iterations 1000;\n};
    for my $k (sort keys %o) {
        $conf .= "    certhall_alipay_$k $o{$k};\n" if defined $o{$k};
    }
    return $conf;
}

# one thread and a short queue: signing is seen in that pool
our $MainConfig = "thread_pool alipay_sign threads=1 max_queue=8;\n";

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", alipay_http_config());
    }
    if (defined $block->config && !defined $block->main_config) {
        $block->set_value("main_config", $MainConfig);
    }
});

sub logged_in {
    my $n = shift // 1;
    return "$FORM\nCookie: certhall_session=" . session_token($n)
           . "\nX-CSRF-Token: " . csrf_token($n);
}

# a JSON answer that contains every fragment given
sub has {
    return '(?s)^\{' . join('', map { '(?=.*' . quotemeta($_) . ')' } @_);
}

# an order of the phone's account with a fixed id: a draft, or moved to
# state with amount_fen 40000 (fixtures only: the API makes ids and walks
# the states itself)
sub order {
    my ($id, $phone, $state) = @_;
    sql("INSERT INTO orders (id, account_id, project_code, service, cert_type)"
        . " SELECT " . quote($id) . ", id, 'xiangtan_ggzy', 'new', 'org' FROM accounts"
        . " WHERE phone = " . quote($phone));
    sql("INSERT INTO order_events (order_id, to_state, actor_kind, actor_id)"
        . " SELECT id, 'draft', 'applicant', account_id FROM orders WHERE id = " . quote($id));
    return unless $state;
    sql("INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name,"
        . " person_id_masked, person_id_digest, person_id_sealed, mobile, email) VALUES ("
        . quote($id) . ", '湖南示例科技有限公司', '91350100M000100Y43', '李四', '张三',"
        . " '1101**********002X', encode(sha256(convert_to(" . quote($id) . ", 'UTF8')), 'hex'),"
        . " 'v1." . ('A' x 60) . "', '13800138000', 'a\@example.com')");
    sql("INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height, pages,"
        . " original_name, account_id)"
        . " SELECT o.id, psm.material_kind, encode(sha256(convert_to(psm.material_kind, 'UTF8')), 'hex'),"
        . " 204800, 'jpg', 1200, 800, 1, psm.material_kind || '.jpg', o.account_id"
        . " FROM orders o JOIN project_service_materials psm USING (project_code, service, cert_type)"
        . " WHERE o.id = " . quote($id) . " AND psm.required");
    sql("INSERT INTO order_invoice (order_id, title_type, title, taxpayer_id, email, mobile)"
        . " VALUES (" . quote($id) . ", 'personal', '张三', NULL, 'a\@example.com', '13800138000');"
        . " UPDATE orders SET agreed_at = created_at, delivery_method = 'pickup',"
        . " pickup_point = 'changsha' WHERE id = " . quote($id) . ";"
        . " BEGIN; SELECT set_config('certhall.transition_order', " . quote($id) . ", true);"
        . " UPDATE orders SET state = " . quote($state) . ", submitted_at = now(),"
        . " amount_fen = 40000 WHERE id = " . quote($id) . "; COMMIT;");
}

# an attempt as api.order_pay_alipay makes it (its own blocks test that)
sub attempt {
    my ($id, $n) = @_;
    sql("INSERT INTO alipay_attempts (out_trade_no, order_id, attempt, channel, amount_fen,"
        . " subject, expires_at) SELECT id || '_$n', id, $n, 'page', amount_fen, '湘潭 新办',"
        . " now() + interval '30 minutes' FROM orders WHERE id = " . quote($id));
}

# what a notification may change, to compare before and after
sub snapshot {
    my $id = shift;
    return join ' / ', map { join ',', @$_ } sql(
        "SELECT state, coalesce(amount_fen, 0), updated_at FROM orders WHERE id = " . quote($id)
        . "; SELECT count(*) FROM order_events WHERE order_id = " . quote($id)
        . "; SELECT count(*), coalesce(string_agg(trade_no, ','), '-') FROM alipay_payments"
        . " WHERE order_id = " . quote($id)
        . "; SELECT string_agg(out_trade_no || ':' || state, ',' ORDER BY attempt)"
        . " FROM alipay_attempts WHERE order_id = " . quote($id)
        . "; SELECT count(*) FROM messages WHERE order_id = " . quote($id));
}

# a notification of O{refuse}_1 with fields given (see alipay_notify_body)
sub refused {
    return alipay_notify_body(out_trade_no => "$O{refuse}_1", trade_no => '2026120722001400031',
                              @_);
}

our $Before;

# the optional fields a notification may carry besides the usual ones
# (alipay_notify_fields()): with them, 33 fields
our %EveryField = (
    out_biz_no => 'HZRF001', seller_email => 'ca@example.com', invoice_amount => '400.00',
    point_amount => '0.00', body => '数字证书', auth_app_id => $ALIPAY_APP_ID,
    passback_params => 'order%3D1', merchant_app_id => $ALIPAY_APP_ID,
    fund_bill_list => '[{"amount":"400.00","fundChannel":"ALIPAYACCOUNT"}]',
    voucher_detail_list => '[]', gmt_close => '', refund_fee => '0.00', trade_type => 'FAST',
);

# A pay request from here (the block's own requests are fixed before it
# runs; this one's answer is read and checked): the answer, decoded
sub pay {
    my ($id, $body) = @_;
    my ($st, $json) = api_request('POST', "/api/orders/$id/pay", $body,
        Cookie => 'certhall_session=' . session_token(1), 'X-CSRF-Token' => csrf_token(1));
    is($st, 200, "pay $body: 200") or diag($json);
    return JSON::PP->new->decode($json);
}

# Checks a signed request independently: the string to sign made here from
# the fields (all but sign, sorted), signed by `openssl dgst -sha256 -sign`
# with the merchant key: the very same bytes, as RSA PKCS#1 v1.5 is
# deterministic; and the fields a payment needs
sub check_request {
    my ($a, $channel, $out_trade_no) = @_;
    my $f = $a->{fields};
    my $string = alipay_sign_string($f, 'sign');
    is($f->{sign}, openssl_sign($Key->{merchant}, $string),
       "$channel: the sign is openssl's signature of the string to sign, byte for byte");
    ok(openssl_verify($Key->{'merchant.pub'}, $string, $f->{sign}),
       "$channel: openssl verifies it with the merchant's public key");
    is(join(',', sort keys %$f),
       'app_id,biz_content,charset,format,method,notify_url,return_url,sign,sign_type,timestamp,version',
       "$channel: the common parameters and biz_content");
    is($f->{method}, $channel eq 'wap' ? 'alipay.trade.wap.pay' : 'alipay.trade.page.pay',
       "$channel: method");
    is("$f->{app_id} $f->{format} $f->{charset} $f->{sign_type} $f->{version}",
       "$ALIPAY_APP_ID JSON utf-8 RSA2 1.0", "$channel: the fixed parameters");
    my $port = $Test::Nginx::Util::ServerPort;
    is($f->{notify_url}, "http://127.0.0.1:$port/api/alipay/notify", "$channel: notify_url");
    is($f->{return_url}, "http://127.0.0.1:$port/pay-return.html", "$channel: return_url");
    # Beijing time of the request, within a minute either way
    my $now = time;
    ok(grep({ $f->{timestamp} eq beijing_time($now - $_) } -60 .. 60),
       "$channel: timestamp $f->{timestamp} is Beijing time now");
    my $subject = sql_value("SELECT p.name || ' ' || s.name FROM projects p, services s"
                            . " WHERE p.code = 'xiangtan_ggzy' AND s.code = 'new'");
    my $product = $channel eq 'wap' ? 'QUICK_WAP_WAY' : 'FAST_INSTANT_TRADE_PAY';
    is($f->{biz_content},
       qq({"out_trade_no":"$out_trade_no","product_code":"$product","total_amount":"400.00",)
       . qq("subject":"$subject","timeout_express":"30m"}),
       "$channel: biz_content in yuan, the project and service, the timeout");
    is("$a->{method} $a->{channel} $a->{form_method} $a->{gateway}",
       "alipay $channel POST $Gateway", "$channel: where the form goes");
    is("$a->{out_trade_no} $a->{amount_fen}", "$out_trade_no 40000",
       "$channel: the attempt and its amount in fen");
}

# Sends the same notification from two children at once; returns their
# statuses and bodies ("status body" each)
sub notify_twice {
    my $body = shift;
    require HTTP::Tiny;
    my @kids;
    for my $i (1, 2) {
        my $pid = fork // die "fork: $!";
        if ($pid) { push @kids, $pid; next }
        my ($st, $b) = api_request('POST', '/api/alipay/notify', $body);
        open my $fh, '>', "$Dir/notify$i" or POSIX::_exit(1);
        print $fh "$st $b";
        close $fh;
        POSIX::_exit(0);
    }
    return @kids;
}

# whether error.log has a line matching re (the blocks of several requests
# check their lines here, in the next block: a block's error_log checks
# apply to each of its requests)
sub logged {
    my ($re, $name) = @_;
    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die "error.log: $!";
    my $n = grep { $_ =~ $re } <$fh>;
    ok($n, $name // "error.log has $re");
}

# waits (bounded: 30 s) until the query's one value is true
sub wait_until {
    my $q = shift;
    for (1 .. 1500) {
        return 1 if sql_value($q) eq 't';
        Time::HiRes::sleep(0.02);
    }
    return 0;
}

run_tests();

__DATA__

=== TEST 1: pay by Alipay (page by default): the attempt is recorded, the form signed in the named thread pool
--- config eval: $Certhall::Test::API_LOCATION
--- init
::reset_accounts();
::make_account($::Alice, 'alice123', verified => ['张三', '1101**********002X']);
::make_account($::Bob, 'bob12345', verified => ['李四', '4405**********0014']);
::make_session($::Alice, 1);
::make_session($::Bob, 2);
::order($::O{page}, $::Alice, 'pending_payment');
::order($::O{voucher}, $::Alice, 'pending_voucher');
::order($::O{refuse}, $::Alice, 'pending_payment');
::order($::O{race}, $::Alice, 'pending_payment');
::order($::O{cancel}, $::Alice, 'pending_payment');
::order($::O{bob}, $::Bob, 'pending_payment');
::order($::O{draft}, $::Alice);
--- more_headers eval: ::logged_in(1)
--- request eval
"POST /api/orders/$::O{page}/pay\nmethod=alipay"
--- error_code: 200
--- response_body_like eval
'^\{"method":"alipay","channel":"page","gateway":"http://127\.0\.0\.1:9/gateway\.do\?charset=utf-8",'
. '"form_method":"POST","fields":\{"app_id":"2021000000000001","method":"alipay\.trade\.page\.pay",'
. '"format":"JSON","charset":"utf-8","sign_type":"RSA2","timestamp":"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d",'
. '"version":"1\.0","notify_url":"http://127\.0\.0\.1:\d+/api/alipay/notify",'
. '"return_url":"http://127\.0\.0\.1:\d+/pay-return\.html",'
. '"biz_content":"\{\\\\"out_trade_no\\\\":\\\\"' . $::O{page} . '_1\\\\",\\\\"product_code\\\\":\\\\"FAST_INSTANT_TRADE_PAY\\\\",'
. '\\\\"total_amount\\\\":\\\\"400\.00\\\\",[^}]*\}",'
. '"sign":"[A-Za-z0-9+/]{342}=="\},"out_trade_no":"' . $::O{page} . '_1","amount_fen":40000,'
. '"expires_at":"[^"]+","order":\{(?s:.*)"id" : "' . $::O{page} . '".*"state" : "pending_payment".*'
. '"alipay_attempts" : \[\{"out_trade_no" : "' . $::O{page} . '_1".*\}$'
--- error_log eval
[qr/certhall alipay: signing \Q$::O{page}\E_1 in the thread pool "alipay_sign"/,
 qr/run task #\d+ in thread pool "alipay_sign"/]
--- no_error_log
[alert]
api.order_pay_alipay gave no usable attempt



=== TEST 2: the signature is openssl's, byte for byte, page and wap; each click a fresh attempt
--- init
my $page = ::pay($::O{page}, 'method=alipay&channel=page');
::check_request($page, 'page', "$::O{page}_2");
my $wap = ::pay($::O{page}, 'method=alipay&channel=wap');
::check_request($wap, 'wap', "$::O{page}_3");
::is(::sql_value("SELECT string_agg(out_trade_no || ' ' || channel || ' ' || amount_fen || ' ' || state"
                 . " || ' ' || (expires_at - created_at), ', ' ORDER BY attempt) FROM alipay_attempts"
                 . " WHERE order_id = '$::O{page}'"),
     "$::O{page}_1 page 40000 open 00:30:00, $::O{page}_2 page 40000 open 00:30:00, "
     . "$::O{page}_3 wap 40000 open 00:30:00", 'three attempts recorded, each of the order\'s amount');
--- more_headers eval: ::logged_in(1)
--- request eval
"GET /api/orders/$::O{page}"
--- error_code: 200
--- response_body_like eval
::has('"state" : "pending_payment"', qq{"out_trade_no" : "$::O{page}_3", "attempt" : 3, "channel" : "wap"},
      '"payment" : null')



=== TEST 3: a channel that is neither page nor wap is refused; no attempt is made
--- more_headers eval: ::logged_in(1)
--- request eval
"POST /api/orders/$::O{refuse}/pay\nmethod=alipay&channel=app"
--- error_code: 400
--- response_body_like eval
'^\{"error":\{"code":"invalid_field","field":"channel","message":"[^"]+"\}\}$'



=== TEST 4: (the block before) nothing recorded; from pending_voucher, Alipay takes the order back to pending_payment
--- init
::is(::sql_value("SELECT count(*) FROM alipay_attempts WHERE order_id = '$::O{refuse}'"), 0,
     'the refused channel made no attempt');
--- more_headers eval: ::logged_in(1)
--- request eval
"POST /api/orders/$::O{voucher}/pay\nmethod=alipay&channel=wap"
--- error_code: 200
--- response_body_like eval
'^\{"method":"alipay","channel":"wap",.*"method":"alipay\.trade\.wap\.pay".*"out_trade_no":"'
. $::O{voucher} . '_1".*"state" : "pending_payment"'



=== TEST 5: another account's order is not found; a draft cannot be paid
--- more_headers eval: [::logged_in(1), ::logged_in(1)]
--- request eval
["POST /api/orders/$::O{bob}/pay\nmethod=alipay",
 "POST /api/orders/$::O{draft}/pay\nmethod=alipay"]
--- error_code eval: [404, 409]
--- response_body_like eval
['"code":"order_not_found"', '"code":"(order_not_payable|illegal_transition)"']



=== TEST 6: (the block before) neither made an attempt; a verified notification: success, the order waits for review, the payment is recorded
--- init
::is(::sql_value("SELECT count(*) FROM alipay_attempts WHERE order_id IN ('$::O{bob}', '$::O{draft}')"), 0,
     'no attempt for the refused orders');
::is(::sql_value("SELECT state FROM orders WHERE id = '$::O{voucher}'"), 'pending_payment',
     'the voucher order is back in pending_payment');
--- more_headers eval: [$Certhall::Test::FORM, ::logged_in(1)]
--- request eval
["POST /api/alipay/notify\n" . ::alipay_notify_body(out_trade_no => "$::O{page}_1",
                                                     trade_no => '2026120722001400011'),
 "GET /api/orders/$::O{page}"]
--- error_code eval: [200, 200]
--- response_body_like eval
['^success$',
 ::has('"state" : "pending_review"', '"payment" : {"method" : "alipay", "trade_no" : "2026120722001400011", '
       . '"amount_fen" : 40000, ', '"buyer_logon_id" : "a***@example.com"',
       qq{"out_trade_no" : "$::O{page}_1", "attempt" : 1, "channel" : "page", "amount_fen" : 40000, "state" : "paid"})]



=== TEST 7: (the block before) one payment, applied, with the whole notification; the same again, and TRADE_FINISHED after it: success, nothing changes
--- init
::is(::sql_value("SELECT concat_ws(' ', trade_no, out_trade_no, amount_fen, applied, source, buyer_id,"
                 . " to_char(paid_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), raw->>'notify_type',"
                 . " raw->>'subject', raw ? 'sign') FROM alipay_payments WHERE order_id = '$::O{page}'"),
     "2026120722001400011 $::O{page}_1 40000 t notify 2088102177846880 "
     . substr(Certhall::Alipay::beijing_time(), 0, 10) . " trade_status_sync 湘潭市公共资源交易系统 单位证书-新办 t",
     'the payment: trade, attempt, fen, applied, from the notification, Beijing date, the raw fields');
::is(::sql_value("SELECT count(*) FROM order_events WHERE order_id = '$::O{page}' AND to_state = 'pending_review'"
                 . " AND actor_kind = 'payment'"), 1, 'one transition, by the payment');
::logged(qr/\[info\].*certhall: alipay notification: paid, out_trade_no: \Q$::O{page}\E_1/);
$::Before = ::snapshot($::O{page});
--- more_headers eval: $Certhall::Test::FORM
--- request eval
["POST /api/alipay/notify\n" . ::alipay_notify_body(out_trade_no => "$::O{page}_1",
                                                     trade_no => '2026120722001400011'),
 "POST /api/alipay/notify\n" . ::alipay_notify_body(out_trade_no => "$::O{page}_1",
                                                     trade_no => '2026120722001400011',
                                                     trade_status => 'TRADE_FINISHED')]
--- error_code eval: [200, 200]
--- response_body eval: ["success", "success"]



=== TEST 8: (the block before) nothing changed; forged, altered, unsigned, RSA, another app or seller, malformed: 400 fail, each logged with its reason
--- init
::is(::snapshot($::O{page}), $::Before, 'the repeat and TRADE_FINISHED changed nothing');
::logged(qr/certhall: alipay notification: already, out_trade_no: \Q$::O{page}\E_1/);
::attempt($::O{refuse}, 1);
$::Before = ::snapshot($::O{refuse});
--- more_headers eval: $Certhall::Test::FORM
--- request eval
["POST /api/alipay/notify\n" . ::refused(_key => $::Key->{other}),
 "POST /api/alipay/notify\n" . ::refused(_after => { total_amount => '0.01' }),
 "POST /api/alipay/notify\n" . ::refused(_after => { buyer_logon_id => 'evil@example.com' }),
 "POST /api/alipay/notify\n" . ::refused(_sign => undef),
 "POST /api/alipay/notify\n" . ::refused(sign_type => 'RSA'),
 "POST /api/alipay/notify\n" . ::refused(app_id => '2021000000000999'),
 "POST /api/alipay/notify\n" . ::refused(seller_id => '2088000000000999'),
 "POST /api/alipay/notify\n" . ::refused(total_amount => '400.001')]
--- error_code eval: [400, 400, 400, 400, 400, 400, 400, 400]
--- response_body eval: ["fail", "fail", "fail", "fail", "fail", "fail", "fail", "fail"]
--- error_log eval
qr/\[warn\].*certhall: alipay notification refused: [a-z_A-Z2 ]+, out_trade_no: \Q$::O{refuse}\E_1/




=== TEST 9: (the block before) nothing changed; signed but no trade of ours, 1 fen off, another trade for a paid attempt: 400 fail, logged; WAIT_BUYER_PAY: success, nothing changes
--- init
::is(::snapshot($::O{refuse}), $::Before, 'the refused notifications changed nothing');
::logged(qr/alipay notification refused: $_, out_trade_no: \Q$::O{refuse}\E_1/, "refusal logged: $_")
    for 'bad signature', 'no sign', 'sign_type not RSA2', 'wrong app_id', 'wrong seller_id',
        'bad total_amount';
::is(scalar(() = do { open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die; grep { /alipay notification refused: bad signature/ } <$fh> }),
     3, 'another key, and two fields altered after signing: 3 bad signatures');
::is(::sql_value("SELECT count(*) FROM alipay_payments"), 1, 'still the one payment');
--- more_headers eval: $Certhall::Test::FORM
--- request eval
["POST /api/alipay/notify\n" . ::refused(out_trade_no => 'UO202612070000000099_1'),
 "POST /api/alipay/notify\n" . ::refused(total_amount => '399.99'),
 "POST /api/alipay/notify\n" . ::refused(total_amount => '400.01'),
 "POST /api/alipay/notify\n" . ::alipay_notify_body(out_trade_no => "$::O{page}_1",
                                                     trade_no => '2026120722001400099'),
 "POST /api/alipay/notify\n" . ::refused(trade_status => 'WAIT_BUYER_PAY', gmt_payment => undef)]
--- error_code eval: [400, 400, 400, 400, 200]
--- response_body eval: ["fail", "fail", "fail", "fail", "success"]




=== TEST 10: (the block before) nothing changed; the same notification twice at once: both success, one transition, one payment
--- init
::is(::snapshot($::O{refuse}), $::Before, 'the mismatched and unpaid notifications changed nothing');
::logged(qr/alipay notification refused: unknown_trade, out_trade_no: UO202612070000000099_1/);
::logged(qr/alipay notification refused: amount_mismatch, out_trade_no: \Q$::O{refuse}\E_1/);
::logged(qr/alipay notification refused: trade_mismatch, out_trade_no: \Q$::O{page}\E_1/);
::logged(qr/alipay notification: not_paid, out_trade_no: \Q$::O{refuse}\E_1/);
::is(::sql_value("SELECT count(*) FROM alipay_payments"), 1, 'still the one payment');
::attempt($::O{race}, 1);
# the attempt is held by another transaction, so that both notifications
# are verified and at the database, waiting on it, before either can go on
open my $psql, '|-', 'psql', '-X', '-q', '-o', '/dev/null', '-v', 'ON_ERROR_STOP=1'
    or die "psql: $!";
select((select($psql), $| = 1)[0]);
print $psql "BEGIN; SELECT 1 FROM alipay_attempts WHERE out_trade_no = '$::O{race}_1' FOR UPDATE;\n";
::ok(::wait_until("SELECT count(*) = 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                  . " WHERE c.relname = 'alipay_attempts' AND l.mode = 'RowShareLock' AND l.granted"),
     'the attempt is held');
my $body = ::alipay_notify_body(out_trade_no => "$::O{race}_1", trade_no => '2026120722001400041');
my @kids = ::notify_twice($body);
::ok(::wait_until("SELECT count(*) = 2 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                  . " AND datname = current_database()"),
     'both notifications wait on the attempt at once');
print $psql "COMMIT;\n";
close $psql;
waitpid($_, 0) for @kids;
for my $i (1, 2) {
    open my $fh, '<', "$::Dir/notify$i" or die "notification $i wrote nothing\n";
    ::is(scalar <$fh>, '200 success', "notification $i: success");
}
::is(::sql_value("SELECT count(*) FROM order_events WHERE order_id = '$::O{race}' AND to_state = 'pending_review'"),
     1, 'exactly one transition');
::is(::sql_value("SELECT count(*) || ' ' || bool_and(applied) FROM alipay_payments WHERE order_id = '$::O{race}'"),
     '1 true', 'exactly one payment, applied');
::logged(qr/alipay notification: paid, out_trade_no: \Q$::O{race}\E_1/);
::logged(qr/alipay notification: already, out_trade_no: \Q$::O{race}\E_1/);
--- more_headers eval: ::logged_in(1)
--- request eval
"GET /api/orders/$::O{race}"
--- error_code: 200
--- response_body_like eval
::has('"state" : "pending_review"', '"trade_no" : "2026120722001400041"')



=== TEST 11: the applicant cancels while Alipay takes the money: the order stays cancelled, the payment is to be refunded
--- init
::attempt($::O{cancel}, 1);
--- more_headers eval: [::logged_in(1), $Certhall::Test::FORM, ::logged_in(1)]
--- request eval
["POST /api/orders/$::O{cancel}/cancel",
 "POST /api/alipay/notify\n" . ::alipay_notify_body(out_trade_no => "$::O{cancel}_1",
                                                     trade_no => '2026120722001400051'),
 "GET /api/orders/$::O{cancel}"]
--- error_code eval: [200, 200, 200]
--- response_body_like eval
['"state" : "cancelled"', '^success$', ::has('"state" : "cancelled"', '"payment" : null')]



=== TEST 12: (the block before) the payment is recorded, not applied, to be refunded, with the reason; its repeat with every field Alipay may send: the 7 bytes success
--- init
::is(::sql_value("SELECT concat_ws(' ', applied, refund_state, refund_reason) FROM alipay_payments"
                 . " WHERE order_id = '$::O{cancel}'"), 'f to_refund 订单已取消',
     'recorded to be refunded: 订单已取消');
::is(::sql_value("SELECT state FROM alipay_attempts WHERE out_trade_no = '$::O{cancel}_1'"), 'paid',
     'the attempt is paid');
::logged(qr/\[warn\].*certhall: alipay notification: to_refund, out_trade_no: \Q$::O{cancel}\E_1/);
--- more_headers eval: $Certhall::Test::FORM
--- request eval
"POST /api/alipay/notify\n" . ::alipay_notify_body(out_trade_no => "$::O{cancel}_1",
    trade_no => '2026120722001400051', %::EveryField)
--- error_code: 200
--- response_headers
Content-Type: text/plain
Content-Length: 7
Cache-Control: no-store
--- response_body chomp
success



=== TEST 13: Alipay opened, then the transfer chosen, then the Alipay page paid: the money counts, the order waits for review
--- init
::sql("SELECT order_transition('$::O{voucher}', 'pending_voucher', 'applicant', account_id)"
      . " FROM orders WHERE id = '$::O{voucher}'");
::is(::sql_value("SELECT state FROM orders WHERE id = '$::O{voucher}'"), 'pending_voucher',
     'the transfer was chosen after the Alipay page was opened');
--- more_headers eval: [$Certhall::Test::FORM, ::logged_in(1)]
--- request eval
["POST /api/alipay/notify\n" . ::alipay_notify_body(out_trade_no => "$::O{voucher}_1",
                                                     trade_no => '2026120722001400021'),
 "GET /api/orders/$::O{voucher}"]
--- error_code eval: [200, 200]
--- response_body_like eval
['^success$', ::has('"state" : "pending_review"', '"trade_no" : "2026120722001400021"', '"action" : "alipay_paid"')]



=== TEST 14: a notification while the database is down: 503 with Retry-After, not success (Alipay sends it again)
--- http_config eval
::alipay_http_config(db => "host=$::Dir/no-such-socket dbname=certhall user=certhall connect_timeout=1")
--- config eval: $Certhall::Test::API_LOCATION
--- more_headers eval: $Certhall::Test::FORM
--- request eval
"POST /api/alipay/notify\n" . ::alipay_notify_body(out_trade_no => "$::O{refuse}_1",
                                                    trade_no => '2026120722001400031')
--- error_code: 503
--- response_headers
Retry-After: 5
--- response_body_unlike
success



=== TEST 15: without Alipay's configuration, paying by Alipay is unavailable and notifications are not taken
--- http_config eval: Certhall::Test::hall_http_config()
--- config eval: $Certhall::Test::API_LOCATION
--- more_headers eval: ::logged_in(1)
--- request eval
"POST /api/orders/$::O{refuse}/pay\nmethod=alipay"
--- error_code: 503
--- response_body_like chomp
"code":"alipay_unavailable"



=== TEST 16: (the same hall) ... and a notification is answered 503 fail, logged: Alipay sends it again later
--- more_headers eval: $Certhall::Test::FORM
--- request eval
"POST /api/alipay/notify\n" . ::refused()
--- error_code: 503
--- response_body chomp
fail
--- error_log
alipay notification while Alipay is not configured



=== TEST 17: nginx -t refuses a missing private key
--- http_config eval: ::alipay_http_config(private_key => "$::Dir/missing.key")
--- config eval: $Certhall::Test::API_LOCATION
--- must_die
--- error_log eval
qr/open\(\) "\Q$::Dir\E\/missing\.key" failed/



=== TEST 18: nginx -t refuses a public key that is no key
--- http_config eval: ::alipay_http_config(public_key => $::Key->{notakey})
--- config eval: $Certhall::Test::API_LOCATION
--- must_die
--- error_log eval
qr/"\Q$::Key->{notakey}\E" is no usable public key/



=== TEST 19: nginx -t refuses a private key given as Alipay's public key
--- http_config eval: ::alipay_http_config(public_key => $::Key->{alipay})
--- config eval: $Certhall::Test::API_LOCATION
--- must_die
--- error_log eval
qr/is no usable public key/



=== TEST 20: nginx -t refuses an RSA key under 2048 bits
--- http_config eval: ::alipay_http_config(private_key => $::Key->{short})
--- config eval: $Certhall::Test::API_LOCATION
--- must_die
--- error_log eval
qr/"\Q$::Key->{short}\E" is no usable private key: .*2048/



=== TEST 21: nginx -t refuses half a configuration
--- http_config eval: ::alipay_http_config(seller_id => undef)
--- config eval: $Certhall::Test::API_LOCATION
--- must_die
--- error_log
paying by Alipay needs all of
