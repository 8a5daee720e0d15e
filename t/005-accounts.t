# Accounts: SMS codes and their limits, registration, login by password
# and by code, the lock, sessions and their end, CSRF, password reset.
# Runs inside t/bin/testenv (the test cluster: TEST_NGINX_PG_*, PGHOST...).
# The SMS gateway is the outbox: the codes are read from it, as the gateway
# would get them.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use File::Temp qw(tempdir);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
our $SecretFile = secret_file($Dir);

# a TLS server beside the plain one, with a certificate made now
$ENV{TEST_NGINX_TLS_PORT} //= 30000 + $$ % 20000;
system("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1"
       . " -keyout $Dir/key.pem -out $Dir/cert.pem >/dev/null 2>&1") == 0
    or die "openssl req failed\n";
our $TlsServer = <<"_EOC_";
    server {
        listen 127.0.0.1:\$TEST_NGINX_TLS_PORT ssl;
        ssl_certificate $Dir/cert.pem;
        ssl_certificate_key $Dir/key.pem;
        location /api/ {
            certhall;
            client_max_body_size 0;
        }
    }
_EOC_

our $HttpConfig = hall_http_config(secret_file => $SecretFile);
our $ApiLocation = $API_LOCATION;
our $Form = $FORM;

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);
    }
});

# what the blocks share: the accounts they start from
our $Alice = '13800000001';     # registered, password alice123
our $Bob   = '13900000002';     # unregistered

sub fresh {
    reset_accounts();
    make_account($Alice, 'alice123');
}

run_tests();

__DATA__

=== TEST 1: a code for registration: sent to the outbox, stored hashed
--- config eval: $::ApiLocation
--- init
::fresh();
--- more_headers eval: $::Form
--- request
POST /api/sms-codes
phone=%2B86+139-0000-0002&purpose=register
--- error_code: 200
--- response_body chomp
{"phone" : "139****0002", "purpose" : "register", "expires_in" : 300, "resend_in" : 60}
--- no_error_log
[error]



=== TEST 2: what the outbox and the codes table hold
--- init
my $code = ::last_sms_code($::Bob);
my ($n, $stored) = @{(::sql("SELECT count(*), bool_or(position(convert_to('$code', 'UTF8') IN code_hash) > 0 OR encode(code_hash, 'hex') LIKE '%$code%') FROM sms_codes WHERE phone = '$::Bob'"))[0]};
::is($n, 1, 'one code for the phone');
::is($stored, 'f', 'the code is not stored, only its HMAC');
::like(::sql_value("SELECT content FROM sms_outbox WHERE phone = '$::Bob'"),
     qr/注册验证码为\d{6}，5分钟内有效/, 'the text says what the code is for and how long');
::is(::sql_value("SELECT expires_at - created_at FROM sms_codes WHERE phone = '$::Bob'"),
   '00:05:00', 'valid for 5 minutes');
--- request
GET /api/health



=== TEST 3: another code within 60 s: 429 with Retry-After
--- more_headers eval: $::Form
--- request
POST /api/sms-codes
phone=13900000002&purpose=register
--- error_code: 429
--- response_headers_like
Retry-After: (?:[1-5][0-9]|60|[1-9])
--- response_body_like eval
::error_re('too_many_requests', undef, '验证码已发送，请稍后再获取')



=== TEST 4: after 60 s a new code is sent and the old one ends
--- init
::sql("UPDATE sms_requests SET created_at = created_at - interval '61 seconds' WHERE phone = '$::Bob'");
::set_sms_code($::Bob, 'register', '111111');
--- more_headers eval: $::Form
--- request
POST /api/sms-codes
phone=13900000002&purpose=register
--- error_code: 200
--- response_body_like chomp
"purpose" : "register"



=== TEST 5: the superseded code no longer registers
--- init
::is(::sql_value("SELECT ended_why FROM sms_codes WHERE phone = '$::Bob' ORDER BY id LIMIT 1"),
   'superseded', 'the first code was ended by the second');
::set_sms_code($::Bob, 'register', '222222');
--- more_headers eval: $::Form
--- request
POST /api/accounts
phone=13900000002&password=bob12345&sms_code=111111
--- error_code: 400
--- response_body_like eval
::error_re('invalid_sms_code', 'sms_code', '验证码错误，还可尝试4次')



=== TEST 6: five codes an hour per phone, then 429 until the hour is over
--- init
::fresh();
::sql("INSERT INTO sms_requests (phone, purpose, client_addr, sent, created_at) SELECT '$::Bob', 'register', ('10.0.0.' || i)::inet, true, now() - interval '50 minutes' + i * interval '5 minutes' FROM generate_series(0, 4) i");
--- more_headers eval: $::Form
--- request
POST /api/sms-codes
phone=13900000002&purpose=register
--- error_code: 429
--- response_headers_like
Retry-After: (?:59[0-9]|600|58[0-9])
--- response_body_like eval
::error_re('too_many_requests', undef, '该手机号获取验证码次数过多，请稍后再试')



=== TEST 7: twenty requests an hour per client address, refused ones included
--- init
::fresh();
::sql("INSERT INTO sms_requests (phone, purpose, client_addr, sent, created_at) SELECT '1370000' || lpad(i::text, 4, '0'), 'register', '127.0.0.1', i % 2 = 0, now() - interval '30 minutes' FROM generate_series(1, 20) i");
--- more_headers eval: $::Form
--- request
POST /api/sms-codes
phone=13900000002&purpose=register
--- error_code: 429
--- response_headers_like
Retry-After: 1[0-9]{3}
--- response_body_like eval
::error_re('too_many_requests', undef, '获取验证码过于频繁，请稍后再试')



=== TEST 8: bad phone, bad purpose: 400 naming the field, nothing sent
--- init
::fresh();
--- more_headers eval: $::Form
--- request eval
["POST /api/sms-codes\nphone=12345678901&purpose=register",
 "POST /api/sms-codes\nphone=13900000002&purpose=unlock",
 "POST /api/sms-codes\npurpose=register"]
--- error_code eval
[400, 400, 400]
--- response_body_like eval
[::error_re('invalid_field', 'phone', '请输入正确的11位手机号码'),
 ::error_re('invalid_field', 'purpose', '验证码用途应为注册、登录或重置密码'),
 ::error_re('invalid_field', 'phone', '请输入手机号码')]



=== TEST 9: a registered phone gets no registration code; an unknown one no login code
--- init
::is(::sql_value("SELECT count(*) FROM sms_outbox"), 0, 'nothing was sent by the bad requests');
--- more_headers eval: $::Form
--- request eval
["POST /api/sms-codes\nphone=13800000001&purpose=register",
 "POST /api/sms-codes\nphone=13900000002&purpose=login",
 "POST /api/sms-codes\nphone=13900000002&purpose=reset"]
--- error_code eval
[409, 404, 404]
--- response_body_like eval
[::error_re('phone_taken', 'phone', '该手机号已注册，请直接登录'),
 ::error_re('account_not_found', 'phone', '该手机号尚未注册'),
 ::error_re('account_not_found', 'phone', '该手机号尚未注册')]



=== TEST 10: registration: the password policy and the code's shape first
--- init
::fresh();
::is(::sql_value("SELECT count(*) FROM sms_outbox"), 0, 'refused requests sent nothing');
::sql("SELECT api.sms_code_request('$::Bob', 'register', '10.1.1.1')");
--- more_headers eval: $::Form
--- request eval
["POST /api/accounts\nphone=13900000002&password=short1&sms_code=123456",
 "POST /api/accounts\nphone=13900000002&password=onlyletters&sms_code=123456",
 "POST /api/accounts\nphone=13900000002&password=12345678&sms_code=123456",
 "POST /api/accounts\nphone=13900000002&password=bob12345&sms_code=12345",
 "POST /api/accounts\nphone=13900000002&sms_code=123456"]
--- error_code eval
[400, 400, 400, 400, 400]
--- response_body_like eval
[::error_re('invalid_field', 'password', '密码长度应为8-64位'),
 ::error_re('invalid_field', 'password', '密码须同时包含字母和数字'),
 ::error_re('invalid_field', 'password', '密码须同时包含字母和数字'),
 ::error_re('invalid_field', 'sms_code', '短信验证码为6位数字'),
 ::error_re('invalid_field', 'password', '请设置登录密码')]



=== TEST 11: none of that touched the code: five wrong codes end it
--- init
::is(::sql_value("SELECT tries FROM sms_codes WHERE phone = '$::Bob'"), 0, 'no try was counted for refused forms');
::set_sms_code($::Bob, 'register', '246810');
--- more_headers eval: $::Form
--- request eval
[map { "POST /api/accounts\nphone=13900000002&password=bob12345&sms_code=13579$_" } 1 .. 5]
--- error_code eval
[400, 400, 400, 400, 400]
--- response_body_like eval
[::error_re('invalid_sms_code', 'sms_code', '验证码错误，还可尝试4次'),
 ::error_re('invalid_sms_code', 'sms_code', '验证码错误，还可尝试3次'),
 ::error_re('invalid_sms_code', 'sms_code', '验证码错误，还可尝试2次'),
 ::error_re('invalid_sms_code', 'sms_code', '验证码错误，还可尝试1次'),
 ::error_re('sms_code_expired', 'sms_code', '验证码已失效，请重新获取')]



=== TEST 12: ... after which the right code is refused too, and no account exists
--- more_headers eval: $::Form
--- init
::is(::sql_value("SELECT ended_why FROM sms_codes WHERE phone = '$::Bob'"), 'tries', 'ended by too many tries');
--- request
POST /api/accounts
phone=13900000002&password=bob12345&sms_code=246810
--- error_code: 400
--- response_body_like eval
::error_re('sms_code_expired', 'sms_code', '验证码已失效，请重新获取')



=== TEST 13: an expired code is refused
--- init
::is(::sql_value("SELECT count(*) FROM accounts WHERE phone = '$::Bob'"), 0, 'no account came of it');
::sql("DELETE FROM sms_requests");
::sql("SELECT api.sms_code_request('$::Bob', 'register', '10.1.1.1')");
::set_sms_code($::Bob, 'register', '333333');
::sql("UPDATE sms_codes SET created_at = now() - interval '5 minutes 1 second', expires_at = now() - interval '1 second' WHERE phone = '$::Bob' AND ended_at IS NULL");
--- more_headers eval: $::Form
--- request
POST /api/accounts
phone=13900000002&password=bob12345&sms_code=333333
--- error_code: 400
--- response_body_like eval
::error_re('sms_code_expired', 'sms_code', '验证码已失效，请重新获取')



=== TEST 14: a code for another purpose is no code for this one
--- init
::sql("DELETE FROM sms_requests");
::sql("SELECT api.sms_code_request('$::Alice', 'reset', '10.1.1.1')");
::set_sms_code($::Alice, 'reset', '444444');
--- more_headers eval: $::Form
--- request
POST /api/session
phone=13800000001&sms_code=444444
--- error_code: 400
--- response_body_like eval
::error_re('sms_code_expired', 'sms_code', '验证码已失效，请重新获取')



=== TEST 15: end to end: the code the gateway gets registers, and only once
--- init
::sql("DELETE FROM sms_requests");
my ($status) = ::api_request('POST', '/api/sms-codes', 'phone=13700000007&purpose=register');
::is($status, 200, 'a code was sent');
my $code = ::last_sms_code('13700000007');
($status, my $body, my $h) = ::api_request('POST', '/api/accounts',
    "phone=13700000007&password=carol123&sms_code=$code");
::is($status, 201, 'the code from the outbox registers');
::like(join("\n", @{ $h->{'set-cookie'} || [] }), qr/certhall_session=[A-Za-z0-9_-]{43};/, 'and logs in');
($status) = ::api_request('POST', '/api/session', "phone=13700000007&sms_code=$code");
::is($status, 400, 'the used code does not log in');
--- request
GET /api/health



=== TEST 16: registration with the right code: 201, logged in, the password hashed
--- init
::sql("DELETE FROM sms_requests");
::sql("SELECT api.sms_code_request('$::Bob', 'register', '10.1.1.1')");
::set_sms_code($::Bob, 'register', '555555');
--- more_headers eval
"$::Form\nUser-Agent: certhall-tests/1.0"
--- request
POST /api/accounts
phone=139-0000-0002&password=bob12345&sms_code=555555
--- error_code: 201
--- raw_response_headers_like eval
"Set-Cookie: certhall_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax\r\nSet-Cookie: certhall_csrf=[A-Za-z0-9_-]{43}; Path=/; SameSite=Lax\r\n"
--- response_body_like chomp
^\{"phone" : "139\*\*\*\*0002", "realname" : \{"status" : "none", "name" : null, "id_number" : null, "verified_at" : null\}, "unread_messages" : 0, "applications_count" : 0, "csrf_token" : "[A-Za-z0-9_-]{43}"\}$
--- no_error_log
[error]



=== TEST 17: the account and its session, as stored
--- init
::like(::sql_value("SELECT password_hash FROM accounts WHERE phone = '$::Bob'"),
     qr/^\$pbkdf2-sha256\$1000\$[A-Za-z0-9+\/]{22}\$[A-Za-z0-9+\/]{43}$/, 'a PBKDF2 hash, not the password');
::is(::sql_value("SELECT count(*) FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.phone = '$::Bob' AND s.ended_at IS NULL AND s.user_agent = 'certhall-tests/1.0'"),
   1, 'one live session, with its user agent');
::is(::sql_value("SELECT redeemed_at IS NOT NULL FROM sms_codes WHERE phone = '$::Bob' AND ended_why = 'used'"), 't', 'the code was redeemed');
--- more_headers eval: $::Form
--- request
POST /api/accounts
phone=13900000002&password=bob12345&sms_code=555555
--- error_code: 409
--- response_body_like eval
::error_re('phone_taken', 'phone', '该手机号已注册，请直接登录')



=== TEST 18: login by password; wrong password and unknown phone get the same answer
--- init
::fresh();
--- log_level: debug
--- more_headers eval: $::Form
--- request eval
["POST /api/session\nphone=13800000001&password=alice123",
 "POST /api/session\nphone=13800000001&password=alice124",
 "POST /api/session\nphone=13900000002&password=alice124"]
--- error_code eval
[200, 401, 401]
--- response_body_like eval
['^\{"phone" : "138\*\*\*\*0001", ',
 ::error_re('invalid_credentials', undef, '手机号或密码错误'),
 ::error_re('invalid_credentials', undef, '手机号或密码错误')]



=== TEST 19: the unknown phone's password was checked in the thread pool as well
--- init
# each of the three logins of the last block handed a check to the pool:
# an unknown phone costs the same PBKDF2 work as a wrong password
my $log = do { local $/; open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die; <$fh> };
my @checks = $log =~ /certhall password: check in the thread pool/g;
my @done = $log =~ /certhall password: check done, match: 0/g;
::is(scalar @checks, 3, 'three passwords checked in the thread pool');
::is(scalar @done, 2, 'two of them failed, the unknown phone one of them');
::is(::sql_value("SELECT failures FROM login_failures WHERE phone = '$::Bob'"), 1, 'the unknown phone counts failures too');
--- request
GET /api/health



=== TEST 20: five wrong passwords lock the phone for 15 minutes: 423, even for the right one
--- init
::fresh();
--- more_headers eval: $::Form
--- request eval
[(map { "POST /api/session\nphone=13800000001&password=wrong${_}pass" } 1 .. 5),
 "POST /api/session\nphone=13800000001&password=alice123"]
--- error_code eval
[401, 401, 401, 401, 423, 423]
--- response_headers_like eval
["", "", "", "", "Retry-After: (?:89[0-9]|900)", "Retry-After: (?:8[0-9][0-9]|900)"]
--- response_body_like eval
[(map { ::error_re('invalid_credentials', undef, '手机号或密码错误') } 1 .. 4),
 ::error_re('account_locked', undef, '密码错误次数过多，请15分钟后再试，或使用短信验证码登录'),
 ::error_re('account_locked', undef, '密码错误次数过多，请15分钟后再试，或使用短信验证码登录')]



=== TEST 21: the lock ends after 15 minutes, and the right password works again
--- init
::is(::sql_value("SELECT round(extract(epoch FROM locked_until - last_failure_at) / 60) FROM login_failures WHERE phone = '$::Alice'"), 15, 'locked for 15 minutes');
::sql("UPDATE login_failures SET locked_until = now() - interval '1 second', last_failure_at = now() - interval '15 minutes' WHERE phone = '$::Alice'");
--- more_headers eval: $::Form
--- request
POST /api/session
phone=13800000001&password=alice123
--- error_code: 200
--- response_body_like chomp
^\{"phone" : "138\*\*\*\*0001", 



=== TEST 22: a login resets the count: four more wrong ones do not lock
--- more_headers eval: $::Form
--- request eval
[(map { "POST /api/session\nphone=13800000001&password=wrong${_}pass" } 1 .. 4),
 "POST /api/session\nphone=13800000001&password=alice123"]
--- error_code eval
[401, 401, 401, 401, 200]



=== TEST 23: a code logs in while the password is locked, once
--- init
::sql("INSERT INTO login_failures (phone, failures, locked_until) VALUES ('$::Alice', 5, now() + interval '15 minutes') ON CONFLICT (phone) DO UPDATE SET failures = 5, locked_until = excluded.locked_until");
::sql("SELECT api.sms_code_request('$::Alice', 'login', '10.1.1.2')");
::set_sms_code($::Alice, 'login', '666666');
--- more_headers eval: $::Form
--- request eval
["POST /api/session\nphone=13800000001&sms_code=666666",
 "POST /api/session\nphone=13800000001&sms_code=666666"]
--- error_code eval
[200, 400]
--- response_body_like eval
['^\{"phone" : "138\*\*\*\*0001", ',
 ::error_re('sms_code_expired', 'sms_code', '验证码已失效，请重新获取')]



=== TEST 24: password and code together, or neither: 400
--- more_headers eval: $::Form
--- request eval
["POST /api/session\nphone=13800000001&password=alice123&sms_code=123456",
 "POST /api/session\nphone=13800000001"]
--- error_code eval
[400, 400]
--- response_body_like eval
[::error_re('invalid_field', 'sms_code', '请使用密码或短信验证码其中一种方式登录'),
 ::error_re('invalid_field', 'password', '请输入登录密码')]



=== TEST 25: GET /api/me: 401 without a session, the account with one
--- init
::fresh();
::make_session($::Alice, 1);
::sql("INSERT INTO messages (account_id, title, body) SELECT id, '欢迎', '欢迎使用' FROM accounts WHERE phone = '$::Alice'");
::sql("INSERT INTO messages (account_id, title, body, read_at) SELECT id, '已读', '已读', now() FROM accounts WHERE phone = '$::Alice'");
--- more_headers eval
["", "Cookie: certhall_session=" . Certhall::Test::session_token(1),
 "Cookie: other=1; certhall_session=not-a-token"]
--- request eval
["GET /api/me", "GET /api/me", "GET /api/me"]
--- error_code eval
[401, 200, 401]
--- response_body_like eval
[::error_re('not_logged_in', undef, '请先登录'),
 '^\{"phone" : "138\*\*\*\*0001", "realname" : \{"status" : "none", "name" : null, "id_number" : null, "verified_at" : null\}, "unread_messages" : 1, "applications_count" : 0, "csrf_token" : "' . Certhall::Test::csrf_token(1) . '"\}$',
 ::error_re('not_logged_in', undef, '请先登录')]



=== TEST 26: logout without the CSRF token is refused and the session lives on
--- more_headers eval
["Cookie: certhall_session=" . Certhall::Test::session_token(1),
 "Cookie: certhall_session=" . Certhall::Test::session_token(1) . "\nX-CSRF-Token: " . Certhall::Test::csrf_token(2),
 "Cookie: certhall_session=" . Certhall::Test::session_token(1)]
--- request eval
["DELETE /api/session", "DELETE /api/session", "GET /api/me"]
--- error_code eval
[403, 403, 200]
--- response_body_like eval
[::error_re('csrf_failed', undef, '页面已过期，请刷新页面后重试'),
 ::error_re('csrf_failed', undef, '页面已过期，请刷新页面后重试'),
 '"unread_messages" : 1']



=== TEST 27: logout ends the session in the database: the same cookie is refused after
--- more_headers eval
["Cookie: certhall_session=" . Certhall::Test::session_token(1) . "\nX-CSRF-Token: " . Certhall::Test::csrf_token(1),
 "Cookie: certhall_session=" . Certhall::Test::session_token(1)]
--- request eval
["DELETE /api/session", "GET /api/me"]
--- error_code eval
[200, 401]
--- raw_response_headers_like eval
["Set-Cookie: certhall_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax\r\nSet-Cookie: certhall_csrf=; Path=/; Max-Age=0; SameSite=Lax\r\n", ""]
--- response_body_like eval
['^\{"status" : "logged_out"\}$', ::error_re('not_logged_in', undef, '请先登录')]



=== TEST 28: a state-changing request from another site is refused, whatever it carries
--- init
::make_session($::Alice, 3);
--- more_headers eval
["Origin: http://evil.example\nCookie: certhall_session=" . Certhall::Test::session_token(3) . "\nX-CSRF-Token: " . Certhall::Test::csrf_token(3),
 "Sec-Fetch-Site: cross-site\nCookie: certhall_session=" . Certhall::Test::session_token(3) . "\nX-CSRF-Token: " . Certhall::Test::csrf_token(3),
 "Origin: null\n$::Form",
 "Origin: http://localhost\n$::Form",
 "Cookie: certhall_session=" . Certhall::Test::session_token(3)]
--- request eval
["DELETE /api/session", "DELETE /api/session",
 "POST /api/session\nphone=13800000001&password=alice123",
 "POST /api/session\nphone=13800000001&password=alice123",
 "GET /api/me"]
--- error_code eval
[403, 403, 403, 200, 200]
--- response_body_like eval
[::error_re('cross_site', undef, '不接受来自其他网站的提交'),
 ::error_re('cross_site', undef, '不接受来自其他网站的提交'),
 ::error_re('cross_site', undef, '不接受来自其他网站的提交'),
 '"phone" : "138\*\*\*\*0001"', '"phone" : "138\*\*\*\*0001"']



=== TEST 29: sessions end when idle for 30 minutes, and 12 hours after login in any case
--- init
::make_session($::Alice, 4, last_seen_at => "now() - interval '31 minutes'", created_at => "now() - interval '1 hour'");
::make_session($::Alice, 5, created_at => "now() - interval '12 hours 1 minute'");
::make_session($::Alice, 6, last_seen_at => "now() - interval '29 minutes'", created_at => "now() - interval '11 hours'");
--- more_headers eval
[map { "Cookie: certhall_session=" . Certhall::Test::session_token($_) } 4, 5, 6]
--- request eval
["GET /api/me", "GET /api/me", "GET /api/me"]
--- error_code eval
[401, 401, 200]



=== TEST 30: ... and a use moves the idle time on
--- init
::is(::sql_value("SELECT last_seen_at > now() - interval '1 minute' FROM sessions WHERE token_hash = sha256(convert_to('" . ::session_token(6) . "', 'UTF8'))"), 't', 'last seen now');
--- request
GET /api/health



=== TEST 31: password reset: the code, the new password; every old session ends
--- init
::fresh();
::make_session($::Alice, 7);
::sql("SELECT api.sms_code_request('$::Alice', 'reset', '10.1.1.3')");
::set_sms_code($::Alice, 'reset', '777777');
--- more_headers eval
[$::Form, $::Form, "Cookie: certhall_session=" . Certhall::Test::session_token(7), $::Form, $::Form]
--- request eval
["POST /api/password-reset\nphone=13800000001&sms_code=777777&new_password=short",
 "POST /api/password-reset\nphone=13800000001&sms_code=777777&new_password=newpass99",
 "GET /api/me",
 "POST /api/session\nphone=13800000001&password=alice123",
 "POST /api/session\nphone=13800000001&password=newpass99"]
--- error_code eval
[400, 200, 401, 401, 200]
--- response_body_like eval
[::error_re('invalid_field', 'new_password', '密码长度应为8-64位'),
 '^\{"phone" : "138\*\*\*\*0001", ',
 ::error_re('not_logged_in', undef, '请先登录'),
 ::error_re('invalid_credentials', undef, '手机号或密码错误'),
 '^\{"phone" : "138\*\*\*\*0001", ']



=== TEST 32: reset for an unknown phone; a body that is no form; a body too large
--- more_headers eval
[$::Form, "Content-Type: application/json", $::Form, $::Form]
--- request eval
["POST /api/password-reset\nphone=13900000002&sms_code=123456&new_password=newpass99",
 "POST /api/session\n{\"phone\":\"13800000001\"}",
 "POST /api/session\nphone=1380000000%ZZ",
 "POST /api/session\nphone=" . ('1' x 17000)]
--- error_code eval
[404, 415, 400, 413]
--- response_body_like eval
[::error_re('account_not_found', 'phone', '该手机号尚未注册'),
 '"code":"unsupported_media_type"',
 '"code":"invalid_form","message":"提交的表单格式不正确"',
 '"code":"body_too_large"']



=== TEST 33: no SMS code ever reaches nginx's log, even at debug level
--- init
::fresh();
--- log_level: debug
--- more_headers eval: $::Form
--- request eval
["POST /api/sms-codes\nphone=13800000001&purpose=login"]
--- error_code: 200



=== TEST 34: (the log of the block before, read)
--- init
my $code = ::last_sms_code($::Alice);
my $log = do { local $/; open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die; <$fh> };
::ok(length $log > 1000, 'the debug log was written');
# The code as a token of its own: six digits also turn up by chance inside
# the hex addresses and counters of a debug log (about 1 run in 30 under
# valgrind), which says nothing about a leak.
::unlike($log, qr/(?<![0-9A-Za-z])$code(?![0-9A-Za-z])/, 'the code is not in it');
--- request
GET /api/health



=== TEST 35: over TLS the cookies are Secure as well
--- http_config eval: $::HttpConfig . $::TlsServer
--- config eval: $::ApiLocation
--- init
::fresh();
require HTTP::Tiny;
my $res = HTTP::Tiny->new(verify_SSL => 0, timeout => 10)->post(
    "https://127.0.0.1:$ENV{TEST_NGINX_TLS_PORT}/api/session",
    { headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
      content => 'phone=13800000001&password=alice123' });
::is($res->{status}, 200, 'a login over TLS');
my @cookies = @{ ref $res->{headers}{'set-cookie'} ? $res->{headers}{'set-cookie'} : [$res->{headers}{'set-cookie'}] };
::like($cookies[0], qr/^certhall_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/, 'the session cookie is Secure');
::like($cookies[1], qr/^certhall_csrf=[A-Za-z0-9_-]{43}; Path=\/; SameSite=Lax; Secure$/, 'the CSRF cookie too');
--- more_headers eval: $::Form
--- request
POST /api/session
phone=13800000001&password=alice123
--- error_code: 200
--- raw_response_headers_like eval
"Set-Cookie: certhall_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax\r\n"
