# Real-name verification: starting one (the QR payload), the provider's
# signed callback (forged, stale, replayed, mismatched), the account's
# status after it, and the configuration the protocol needs.  The provider
# is played by Certhall::Test, which signs callbacks with the secret this
# suite generates.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Digest::SHA qw(hmac_sha256_hex);
use File::Temp qw(tempdir);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
our $SecretFile = secret_file($Dir);
{
    open my $fh, '>', "$Dir/short" or die "$Dir/short: $!";
    print $fh "0123456789\n";      # 10 bytes: too short to be a secret
}

our $Alice = '13800000001';
our $ID = '11010519491231002X';     # a valid ID number (validators.md)
our $ID2 = '430102199001011238';    # another valid one

our $HttpConfig = hall_http_config(secret_file => $SecretFile);
our $ApiLocation = $API_LOCATION;
our $Form = $FORM;

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);
    }
});

sub logged_in {
    my $n = shift // 1;
    return "$Form\nCookie: certhall_session=" . session_token($n)
           . "\nX-CSRF-Token: " . csrf_token($n);
}

# The requests of a block are fixed before it runs: a callback in one
# names this id, which --- init gives the pending request.
our $RID = 'RN00000000000000000000abcd';

sub fix_request_id {
    sql("UPDATE realname_requests SET id = '$RID' WHERE status = 'pending'");
}

# the newest request of the account
sub request_id {
    return sql_value("SELECT r.id FROM realname_requests r JOIN accounts a ON a.id = r.account_id WHERE a.phone = '$Alice' ORDER BY r.created_at DESC LIMIT 1");
}

sub start {
    my ($st, $body) = api_request('POST', '/api/me/realname',
        'name=%E5%BC%A0%E4%B8%89&id_number=' . $ID,
        Cookie => 'certhall_session=' . session_token(1),
        'X-CSRF-Token' => csrf_token(1));
    die "start: $st $body\n" unless $st == 201;
    return request_id();
}

# POSTs a callback from init; returns (status, body)
sub callback {
    my ($st, $body) = api_request('POST', '/api/realname/callback', realname_body(@_));
    return ($st, $body);
}

run_tests();

__DATA__

=== TEST 1: starting needs a session and, being a change, the CSRF token
--- config eval: $::ApiLocation
--- init
::reset_accounts();
::make_account($::Alice, 'alice123');
::make_session($::Alice, 1);
--- more_headers eval
[$::Form, "$::Form\nCookie: certhall_session=" . Certhall::Test::session_token(1)]
--- request eval
["POST /api/me/realname\nname=%E5%BC%A0%E4%B8%89&id_number=11010519491231002X",
 "POST /api/me/realname\nname=%E5%BC%A0%E4%B8%89&id_number=11010519491231002X"]
--- error_code eval
[401, 403]
--- response_body_like eval
[::error_re('not_logged_in', undef, '请先登录'),
 ::error_re('csrf_failed', undef, '页面已过期，请刷新页面后重试')]



=== TEST 2: a bad ID number or name is refused with the field named, and nothing starts
--- more_headers eval: ::logged_in()
--- request eval
["POST /api/me/realname\nname=%E5%BC%A0%E4%B8%89&id_number=110105194912310021",
 "POST /api/me/realname\nname=%E5%BC%A0%E4%B8%89&id_number=11010519491231002",
 "POST /api/me/realname\nname=%E5%BC%A0%E4%B8%89&id_number=110105199913310021",
 "POST /api/me/realname\nname=%E5%BC%A0%E4%B8%89&id_number=11010519491231002Y",
 "POST /api/me/realname\nname=+%E5%BC%A0&id_number=11010519491231002X",
 "POST /api/me/realname\nid_number=11010519491231002X"]
--- error_code eval
[400, 400, 400, 400, 400, 400]
--- response_body_like eval
[::error_re('invalid_field', 'id_number', '身份证号码校验位错误'),
 ::error_re('invalid_field', 'id_number', '身份证号码应为18位'),
 ::error_re('invalid_field', 'id_number', '身份证号码中的出生日期不正确'),
 ::error_re('invalid_field', 'id_number', '身份证号码只能由数字和字母X组成'),
 ::error_re('invalid_field', 'name', '姓名应为1-30个字符，前后不能有空格'),
 ::error_re('invalid_field', 'name', '请输入姓名')]



=== TEST 3: a valid start: 201 with the request and a signed QR payload without the ID
--- init
::is(::sql_value("SELECT count(*) FROM realname_requests"), 0, 'the refusals started nothing');
--- more_headers eval: ::logged_in()
--- request
POST /api/me/realname
name=%E5%BC%A0%E4%B8%89&id_number=11010519491231002x
--- error_code: 201
--- response_body_like chomp
^\{"request_id":"RN[0-9a-f]{24}","qr_payload":"https://realname.example/scan\?app_id=certhall-test\\u0026request_id=RN[0-9a-f]{24}\\u0026timestamp=[0-9]{10}\\u0026sign=[0-9a-f]{64}","expires_at":"[0-9T:.+-]+"\}$



=== TEST 4: what was stored, and the payload's signature checks out with the secret
--- init
my ($id, $masked, $digest, $status, $minutes) = @{(::sql("SELECT r.id, r.id_masked, r.id_digest, a.realname_status, round(extract(epoch FROM r.expires_at - r.created_at) / 60) FROM realname_requests r JOIN accounts a ON a.id = r.account_id"))[0]};
::is($masked, '1101**********002X', 'the ID number kept masked');
::is($digest, ::hmac_sha256_hex("id_number=$::ID", $Certhall::Test::REALNAME_SECRET), 'and as its keyed digest, nothing else');
::is($status, 'pending', 'the account is pending');
::is($minutes, 10, 'the request lasts 10 minutes');
::is(::sql_value("SELECT count(*) FROM realname_requests WHERE id_digest LIKE '%110105%' OR name LIKE '%110105%'"), 0, 'no whole ID number anywhere');
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request
GET /api/me/realname
--- error_code: 200
--- response_body_like chomp
^\{"status" : "pending", "name" : "张三", "id_number" : "1101\*\*\*\*\*\*\*\*\*\*002X", "verified_at" : null, "request" : \{"id" : "RN[0-9a-f]{24}", "status" : "pending", "reason" : null, 



=== TEST 5: forged, other app, stale and future callbacks are refused and change nothing
--- init
::fix_request_id();
--- request eval
my $rid = $::RID;
["POST /api/realname/callback\n" . Certhall::Test::realname_body(request_id => $rid, result => 'pass', name => '张三', id_number => $::ID, _secret => 'x' x 40),
 "POST /api/realname/callback\n" . Certhall::Test::realname_body(request_id => $rid, result => 'pass', name => '张三', id_number => $::ID, app_id => 'other-app'),
 "POST /api/realname/callback\n" . Certhall::Test::realname_body(request_id => $rid, result => 'pass', name => '张三', id_number => $::ID, timestamp => time - 301),
 "POST /api/realname/callback\n" . Certhall::Test::realname_body(request_id => $rid, result => 'pass', name => '张三', id_number => $::ID, timestamp => time + 400),
 "POST /api/realname/callback\n" . Certhall::Test::realname_body(request_id => $rid, result => 'pass', name => '张三', id_number => $::ID, sign => ''),
 "POST /api/realname/callback\n" . Certhall::Test::realname_body(request_id => $rid, result => 'pass', name => '张三', id_number => $::ID) . '&extra=1']
--- more_headers eval: $::Form
--- error_code eval
[401, 401, 401, 401, 400, 401]
--- response_body_like eval
[::error_re('invalid_signature', 'sign', '回调签名验证失败'),
 ::error_re('invalid_signature', 'app_id', '回调签名验证失败'),
 ::error_re('stale_callback', 'timestamp', '回调时间戳超出允许范围'),
 ::error_re('stale_callback', 'timestamp', '回调时间戳超出允许范围'),
 ::error_re('missing_field', 'sign', '回调缺少必填字段'),
 ::error_re('invalid_signature', 'sign', '回调签名验证失败')]



=== TEST 6: none of that verified anyone, and each refusal was logged
--- init
my $log = do { local $/; open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die; <$fh> };
my @refused = $log =~ /\[warn\].*certhall: real-name callback refused: (bad signature|another app_id|timestamp)/g;
::is("@refused", 'bad signature another app_id timestamp timestamp bad signature', 'five refusals logged, why each');
::is(::sql_value("SELECT realname_status FROM accounts WHERE phone = '$::Alice'"), 'pending', 'still pending');
::is(::sql_value("SELECT count(*) FROM realname_nonces"), 0, 'no nonce was recorded');
--- request
GET /api/health



=== TEST 7: the signed pass: the account is verified; the same callback again is a replay
--- request eval
my $body = Certhall::Test::realname_body(request_id => $::RID, result => 'pass', name => '张三', id_number => $::ID, nonce => 'nonce-pass-0001');
["POST /api/realname/callback\n$body", "POST /api/realname/callback\n$body",
 "POST /api/realname/callback\n" . Certhall::Test::realname_body(request_id => $::RID, result => 'fail', nonce => 'nonce-fail-0002')]
--- more_headers eval: $::Form
--- error_code eval
[200, 409, 409]
--- response_body_like eval
['^\{"result" : "ok"\}$',
 ::error_re('replayed', 'nonce', 'callback already received'),
 ::error_re('request_finished', 'request_id', 'request already finished')]



=== TEST 8: the verified account, as GET /api/me shows it
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request
GET /api/me
--- response_body_like chomp
^\{"phone" : "138\*\*\*\*0001", "realname" : \{"status" : "verified", "name" : "张三", "id_number" : "1101\*\*\*\*\*\*\*\*\*\*002X", "verified_at" : "[^"]+"\}, 



=== TEST 9: verified once is enough: another start is a conflict
--- more_headers eval: ::logged_in()
--- request
POST /api/me/realname
name=%E5%BC%A0%E4%B8%89&id_number=11010519491231002X
--- error_code: 409
--- response_body_like eval
::error_re('already_verified', undef, '您已完成实名认证')



=== TEST 10: a pass for another person than the one given fails the request
--- init
::reset_accounts();
::make_account($::Alice, 'alice123');
::make_session($::Alice, 1);
::start();
my ($st, $body) = ::callback(request_id => ::request_id(), result => 'pass', name => '张三', id_number => $::ID2);
::is($st, 200, 'the callback is taken');
::is(::sql_value("SELECT realname_status FROM accounts WHERE phone = '$::Alice'"), 'none', 'but the account is not verified');
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request
GET /api/me/realname
--- response_body_like chomp
"status" : "none", .*"request" : \{"id" : "RN[0-9a-f]{24}", "status" : "failed", "reason" : "认证信息与填写的姓名或身份证号码不一致"



=== TEST 11: the provider's fail, with its reason
--- init
::start();
my ($st) = ::callback(request_id => ::request_id(), result => 'fail', reason => '人脸比对未通过');
::is($st, 200, 'the callback is taken');
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request
GET /api/me/realname
--- response_body_like chomp
"status" : "failed", "reason" : "人脸比对未通过"



=== TEST 12: a request past its 10 minutes takes no result, and shows as expired
--- init
::start();
::sql("UPDATE realname_requests SET expires_at = now() - interval '1 second' WHERE status = 'pending'");
my ($st, $body) = ::callback(request_id => ::request_id(), result => 'pass', name => '张三', id_number => $::ID);
::is($st, 409, 'refused');
::like($body, qr/"code":"request_expired"/, 'as expired');
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request
GET /api/me/realname
--- response_body_like chomp
"status" : "pending", .*"request" : \{"id" : "RN[0-9a-f]{24}", "status" : "expired"



=== TEST 13: an unknown request
--- more_headers eval: $::Form
--- request eval
"POST /api/realname/callback\n" . Certhall::Test::realname_body(request_id => 'RN000000000000000000000000', result => 'fail')
--- error_code: 404
--- response_body_like eval
::error_re('request_not_found', 'request_id', 'no such request')



=== TEST 14: without the real-name directives: 503, logged
--- http_config eval
qq{    certhall_db "$::DB";\n}
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in()
--- request
POST /api/me/realname
name=%E5%BC%A0%E4%B8%89&id_number=11010519491231002X
--- error_code: 503
--- response_body_like eval
::error_re('realname_unavailable', undef, '实名认证服务暂不可用')
--- error_log
real-name verification is not configured



=== TEST 15: a secret file that is missing or short stops nginx at start
--- http_config eval
qq{    certhall_db "$::DB";\n    certhall_realname_secret $::Dir/nonexistent;\n}
--- config eval: $::ApiLocation
--- must_die
--- error_log
nonexistent" failed



=== TEST 16: a short secret
--- http_config eval
qq{    certhall_db "$::DB";\n    certhall_realname_secret $::Dir/short;\n}
--- config eval: $::ApiLocation
--- must_die
--- error_log
is shorter than 32 bytes



=== TEST 17: an app id or URL that would need escaping in the QR payload
--- http_config eval
qq{    certhall_db "$::DB";\n    certhall_realname_url "https://x.example/a b";\n}
--- config eval: $::ApiLocation
--- must_die
--- error_log
has a character a URL must escape
