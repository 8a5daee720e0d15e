# What blocks a certificate, and 基本信息 pre-filled (issue #13): GET
# /api/certificates names each certificate's open order and whether it may
# still be cancelled, a cancellation makes the certificate's services
# available at once, the 409 order_exists names the order; GET
# /api/orders/{id}/prefill suggests the verified identity (its ID number
# sealed at the real-name callback and opened by the module), the
# account's phone and the certificate's earlier order (the one it was
# issued for, else the latest completed one), only to the order's owner.
# Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use File::Temp qw(tempdir);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
our $KeyFile = data_key_file($Dir);
our $SecretFile = secret_file($Dir);

our $Alice = '13800000001';         # verified through the provider: 张三, $ID
our $Bob = '13800000002';           # verified before identities were sealed: 李四
our $Carol = '13800000003';         # verified once, not any more
our $ID = '11010519491231002X';     # valid ID numbers (validators.md)
our $ID2 = '440524188001010014';
our $ID3 = '430102199001011238';
our $USCC = '91350100M000100Y43';

# fixed ids: requests are written before the blocks run
our $RID = 'RN00000000000000000000abcd';
our %O = map { $_->[0] => sprintf('UO2026112100000000%02d', $_->[1]) }
         [draft => 1], [paid => 2], [o_old => 3], [o_unlock => 4], [p_old => 5],
         [p_renew => 6], [p_new => 7], [o_new => 8], [b_old => 9], [b_renew => 10],
         [c_new => 11], [p_older => 12];

our $HttpConfig = hall_http_config(data_key => $KeyFile, secret_file => $SecretFile);
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

sub cookie { "Cookie: certhall_session=" . session_token(shift // 1) }

# a JSON answer that contains every fragment given
sub has {
    return '(?s)^\{' . join('', map { '(?=.*' . quotemeta($_) . ')' } @_);
}

# the prefill answer: exactly these fields, in this order, each
# [field, value, source, source_name]
sub prefill_re {
    return '^\{"fields":\{' . join(',', map {
        sprintf('"%s":\{"value":"%s","source":"%s","source_name":"%s"\}',
                $_->[0], quotemeta($_->[1]), $_->[2], $_->[3])
    } @_) . '\}\}$';
}

# certificate id of the phone's account valid until now + days, issued for
# the order given or for none
sub certificate {
    my ($id, $phone, $project, $type, $days, $order) = @_;
    sql("INSERT INTO certificates (id, account_id, project_code, cert_type, serial,"
        . " name, valid_from, valid_to, order_id) OVERRIDING SYSTEM VALUE SELECT $id, id, "
        . quote($project) . ", " . quote($type) . ", 'CE00000000000$id', '湖南示例科技有限公司',"
        . " now() + make_interval(days => $days) - interval '2 years',"
        . " now() + make_interval(days => $days), " . quote($order)
        . " FROM accounts WHERE phone = " . quote($phone));
}

# a draft with a fixed id (fixtures only: the API makes ids from the clock)
sub order_row {
    my (%o) = @_;
    my $at = $o{at} // 'now()';
    sql("INSERT INTO orders (id, account_id, project_code, service, cert_type,"
        . " certificate_id, created_at, updated_at, state_entered_at)"
        . " SELECT " . join(', ', quote($o{id}), 'id', quote($o{project}),
                            quote($o{service} // 'new'), quote($o{type} // 'org'),
                            $o{cert} // 'NULL', $at, $at, $at)
        . " FROM accounts WHERE phone = " . quote($o{phone}));
    sql("INSERT INTO order_events (order_id, to_state, actor_kind, actor_id, created_at)"
        . " SELECT " . quote($o{id}) . ", 'draft', 'applicant', account_id, created_at"
        . " FROM orders WHERE id = " . quote($o{id}));
}

# an order moved to the state as its history would have left it
sub set_state {
    my ($id, $state, $at) = @_;
    sql("BEGIN; SELECT set_config('certhall.transition_order', " . quote($id) . ", true);"
        . " UPDATE orders SET state = " . quote($state) . ", state_entered_at = "
        . ($at // 'now()') . ", submitted_at = created_at, amount_fen = 30000,"
        . " agreed_at = created_at, delivery_method = 'pickup', pickup_point = 'changsha'"
        . " WHERE id = " . quote($id) . "; COMMIT;");
}

our $OrgInfo = 'org_name=%E6%B9%96%E5%8D%97%E7%A4%BA%E4%BE%8B%E7%A7%91%E6%8A%80%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8'
    . "&uscc=$USCC&legal_name=%E7%8E%8B%E4%BA%94&legal_id_number=$ID3"
    . '&handler_name=%E6%9D%8E%E5%9B%9B&mobile=13700137000&email=org%40example.com';

sub person_info {
    my ($name, $id, $email) = @_;
    return "name=$name&id_number=$id&mobile=13700137000&email=$email";
}
our $Zhang = '%E5%BC%A0%E4%B8%89';     # 张三
our $Li = '%E6%9D%8E%E5%9B%9B';        # 李四

run_tests();

__DATA__

=== TEST 1: Alice starts her real-name verification
--- config eval: $::ApiLocation
--- init
::reset_accounts();
::make_account($::Alice, 'alice123');
::make_account($::Bob, 'bob12345', verified => ['李四', '4405**********0014']);
::make_account($::Carol, 'carol123', verified => ['王五', '4301**********1238']);
::make_session($::Alice, 1);
::make_session($::Bob, 2);
::make_session($::Carol, 3);
--- more_headers eval: ::logged_in(1)
--- request eval
"POST /api/me/realname\nname=$::Zhang&id_number=$::ID"
--- error_code: 201



=== TEST 2: the provider's pass verifies her, and the hall keeps the verified number sealed
--- init
::sql("UPDATE realname_requests SET id = '$::RID' WHERE status = 'pending'");
--- more_headers eval: $::Form
--- request eval
"POST /api/realname/callback\n" . Certhall::Test::realname_body(request_id => $::RID, result => 'pass', name => '张三', id_number => $::ID, nonce => 'nonce-prefill-0001')
--- error_code: 200
--- response_body_like: ^\{"result" : "ok"\}$



=== TEST 3: the seal is kept, never the number; the orders the prefill starts from get their information through the API
--- init
::like(::sql_value("SELECT id_sealed FROM realname_requests WHERE id = '$::RID'"), qr/^v1\.[A-Za-z0-9_-]{60,}$/, 'the verified ID number is kept sealed');
::is(::sql_value("SELECT count(*) FROM realname_requests WHERE row_to_json(realname_requests)::text LIKE '%19491231%'"), 0, 'never whole');
::is(::sql_value("SELECT realname_status FROM accounts WHERE phone = '$::Alice'"), 'verified', 'Alice is verified');
::certificate(101, $::Alice, 'xiangtan_ggzy', 'org', 20);
::order_row(id => $::O{draft}, phone => $::Alice, project => 'xiangtan_ggzy', service => 'renew', cert => 101);
::certificate(104, $::Alice, 'zhuzhou_ggzy', 'org', 300);
::order_row(id => $::O{paid}, phone => $::Alice, project => 'zhuzhou_ggzy', service => 'unlock', cert => 104);
::order_row(id => $::O{o_old}, phone => $::Alice, project => 'guoziyun_ygcg', at => "now() - interval '2 years'");
::certificate(102, $::Alice, 'guoziyun_ygcg', 'org', 730, $::O{o_old});
::order_row(id => $::O{o_unlock}, phone => $::Alice, project => 'guoziyun_ygcg', service => 'unlock', cert => 102);
::certificate(103, $::Alice, 'hunan_ccgp', 'personal', 20);
::order_row(id => $::O{p_older}, phone => $::Alice, project => 'hunan_ccgp', type => 'personal', service => 'renew', cert => 103, at => "now() - interval '2 years'");
::order_row(id => $::O{p_old}, phone => $::Alice, project => 'hunan_ccgp', type => 'personal', service => 'renew', cert => 103, at => "now() - interval '1 year'");
::order_row(id => $::O{p_new}, phone => $::Alice, project => 'hunan_ccgp', type => 'personal');
::order_row(id => $::O{o_new}, phone => $::Alice, project => 'xiangtan_ggzy');
::certificate(105, $::Bob, 'hunan_ccgp', 'personal', 20);
::order_row(id => $::O{b_old}, phone => $::Bob, project => 'hunan_ccgp', type => 'personal', service => 'renew', cert => 105, at => "now() - interval '1 year'");
::order_row(id => $::O{c_new}, phone => $::Carol, project => 'hunan_ccgp', type => 'personal');
--- more_headers eval
[(::logged_in(1)) x 4, ::logged_in(2)]
--- request eval
["PUT /api/orders/$::O{o_old}/info\n$::OrgInfo",
 "PUT /api/orders/$::O{p_older}/info\n" . ::person_info($::Zhang, $::ID, 'older%40example.com'),
 "PUT /api/orders/$::O{p_old}/info\n" . ::person_info($::Zhang, $::ID, 'old%40example.com'),
 "PUT /api/orders/$::O{paid}/info\n$::OrgInfo",
 "PUT /api/orders/$::O{b_old}/info\n" . ::person_info($::Li, $::ID2, 'bob%40example.com')]
--- error_code eval
[(200) x 5]



=== TEST 4: each certificate names its open order, and whether it may still be cancelled
--- init
::set_state($_->[0], 'completed', $_->[1]) for [$::O{o_old}, "now() - interval '2 years'"],
    [$::O{p_older}, "now() - interval '2 years'"], [$::O{p_old}, "now() - interval '1 year'"],
    [$::O{b_old}, "now() - interval '1 year'"];
::set_state($::O{paid}, 'pending_review');
--- more_headers eval: ::cookie(1)
--- request
GET /api/certificates
--- error_code: 200
--- response_body_like eval
::has(qq{"id" : 101, "serial" : "CE00000000000101"},
      qq~"open_order" : {"id" : "$::O{draft}", "service" : "renew", "service_name" : "证书延期", "state" : "draft", "state_name" : "填写中", "created_at" : ~,
      qq~"cancellable" : true~, qq~"cancellable" : false~,
      qq~"open_order" : {"id" : "$::O{paid}", "service" : "unlock", "service_name" : "证书解锁", "state" : "pending_review", "state_name" : "资料待审核"~,
      qq{"message" : "该证书已有办理中的订单$::O{draft}"})
. qq~(?=.*"id" : 101, [^\\]]*?"open_order" : \\{"id" : "$::O{draft}"[^}]*"cancellable" : true\\})~
. qq~(?=.*"id" : 104, [^\\]]*?"open_order" : \\{"id" : "$::O{paid}"[^}]*"cancellable" : false\\})~
. qq~(?=.*"id" : 103, [^\\]]*?"open_order" : null)~



=== TEST 5: the 409 names the blocking order; cancelling the draft frees the certificate at once; a paid order cannot be cancelled
--- more_headers eval: ::logged_in(1)
--- request eval
["POST /api/orders\nproject=xiangtan_ggzy&service=renew&cert_type=org&certificate=101&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=zhuzhou_ggzy&service=unlock&cert_type=org&certificate=104&agree_terms=1&terms_version=1",
 "POST /api/orders/$::O{paid}/cancel",
 "POST /api/orders/$::O{draft}/cancel",
 "GET /api/certificates"]
--- error_code eval
[409, 409, 409, 200, 200]
--- response_body_like eval
[::error_re('order_exists', 'certificate', "该证书已有办理中的订单$::O{draft}"),
 ::error_re('order_exists', 'certificate', "该证书已有办理中的订单$::O{paid}"),
 '^\{"error":\{"code":"illegal_transition"',
 ::has('"state" : "cancelled"'),
 qq~(?s)"id" : 101, [^\\]]*?"open_order" : null, "services" : \\{ "renew" : \\{"allowed" : true\\}, "unlock" : \\{"allowed" : true\\}~]



=== TEST 6: and a new order can be made for it
--- more_headers eval: ::logged_in(1)
--- request
POST /api/orders
project=xiangtan_ggzy&service=renew&cert_type=org&certificate=101&agree_terms=1&terms_version=1
--- error_code: 201
--- response_body_like eval
::has('"service" : "renew"', '"state" : "draft"', '"serial" : "CE00000000000101"')



=== TEST 7: a personal renewal: name and ID number from the identity, the phone from the account, the rest from the latest completed order of the certificate
--- init
::order_row(id => $::O{p_renew}, phone => $::Alice, project => 'hunan_ccgp', type => 'personal', service => 'renew', cert => 103);
--- more_headers eval: ::cookie(1)
--- request eval
"GET /api/orders/$::O{p_renew}/prefill"
--- error_code: 200
--- response_headers
Content-Type: application/json; charset=utf-8
Cache-Control: no-store
--- response_body_like eval
::prefill_re(['name', '张三', 'realname', '实名认证信息'],
             ['id_number', $::ID, 'realname', '实名认证信息'],
             ['mobile', $::Alice, 'account', '账户手机号'],
             ['email', 'old@example.com', 'order', "原订单$::O{p_old}"])
--- no_error_log
[error]
11010519491231002X



=== TEST 8: an organisation's unlock: the order the certificate was issued for, its legal person's ID number opened; the verified person is the handler
--- more_headers eval: ::cookie(1)
--- request eval
"GET /api/orders/$::O{o_unlock}/prefill"
--- error_code: 200
--- response_body_like eval
::prefill_re(['org_name', '湖南示例科技有限公司', 'order', "原订单$::O{o_old}"],
             ['uscc', $::USCC, 'order', "原订单$::O{o_old}"],
             ['legal_name', '王五', 'order', "原订单$::O{o_old}"],
             ['legal_id_number', $::ID3, 'order', "原订单$::O{o_old}"],
             ['handler_name', '张三', 'realname', '实名认证信息'],
             ['mobile', $::Alice, 'account', '账户手机号'],
             ['email', 'org@example.com', 'order', "原订单$::O{o_old}"])



=== TEST 9: new orders: what the identity and the account know, nothing of other orders
--- more_headers eval: ::cookie(1)
--- request eval
["GET /api/orders/$::O{p_new}/prefill", "GET /api/orders/$::O{o_new}/prefill"]
--- error_code eval
[200, 200]
--- response_body_like eval
[::prefill_re(['name', '张三', 'realname', '实名认证信息'], ['id_number', $::ID, 'realname', '实名认证信息'],
              ['mobile', $::Alice, 'account', '账户手机号']),
 ::prefill_re(['handler_name', '张三', 'realname', '实名认证信息'], ['mobile', $::Alice, 'account', '账户手机号'])]



=== TEST 10: an identity verified before it was kept sealed: the ID number of the earlier order, the person being the verified one
--- init
::order_row(id => $::O{b_renew}, phone => $::Bob, project => 'hunan_ccgp', type => 'personal', service => 'renew', cert => 105);
--- more_headers eval: ::cookie(2)
--- request eval
"GET /api/orders/$::O{b_renew}/prefill"
--- error_code: 200
--- response_body_like eval
::prefill_re(['name', '李四', 'realname', '实名认证信息'],
             ['id_number', $::ID2, 'order', "原订单$::O{b_old}"],
             ['mobile', $::Bob, 'account', '账户手机号'],
             ['email', 'bob@example.com', 'order', "原订单$::O{b_old}"])



=== TEST 11: an account that is not verified (any more): no identity, only the phone
--- init
::sql("UPDATE accounts SET realname_status = 'none', realname_name = NULL, realname_id_masked = NULL, realname_verified_at = NULL WHERE phone = '$::Carol'");
--- more_headers eval: ::cookie(3)
--- request eval
"GET /api/orders/$::O{c_new}/prefill"
--- error_code: 200
--- response_body_like eval
::prefill_re(['mobile', $::Carol, 'account', '账户手机号'])



=== TEST 12: only the owner: another account's order is 404 as one that does not exist; no session is 401
--- more_headers eval
[::cookie(2), ::cookie(2), ::cookie(2), ::cookie(3), '']
--- request eval
["GET /api/orders/$::O{p_renew}/prefill", "GET /api/orders/$::O{o_unlock}/prefill",
 "GET /api/orders/UO20991231000000009999/prefill", "GET /api/orders/UO1/prefill",
 "GET /api/orders/$::O{p_renew}/prefill"]
--- error_code eval
[404, 404, 404, 404, 401]
--- response_body_like eval
[(::error_re('order_not_found', undef, '订单不存在')) x 4, ::error_re('not_logged_in', undef, '请先登录')]
--- response_body_unlike eval
[(qr/11010519491231002X|430102199001011238|张三/) x 5]



=== TEST 13: a seal that does not open (another order's, or another key's) is left out and logged, without the number
--- init
# the earlier order's seal swapped for another order's (its state put back for the edit)
::sql("BEGIN; SELECT set_config('certhall.transition_order', '$::O{o_old}', true);"
    . " UPDATE orders SET state = 'rejected' WHERE id = '$::O{o_old}';"
    . " UPDATE order_info SET person_id_sealed = (SELECT person_id_sealed FROM order_info WHERE order_id = '$::O{p_old}') WHERE order_id = '$::O{o_old}';"
    . " UPDATE orders SET state = 'completed' WHERE id = '$::O{o_old}'; COMMIT;");
--- more_headers eval: ::cookie(1)
--- request eval
"GET /api/orders/$::O{o_unlock}/prefill"
--- error_code: 200
--- response_body_like eval
::prefill_re(['org_name', '湖南示例科技有限公司', 'order', "原订单$::O{o_old}"],
             ['uscc', $::USCC, 'order', "原订单$::O{o_old}"],
             ['legal_name', '王五', 'order', "原订单$::O{o_old}"],
             ['handler_name', '张三', 'realname', '实名认证信息'],
             ['mobile', $::Alice, 'account', '账户手机号'],
             ['email', 'org@example.com', 'order', "原订单$::O{o_old}"])
--- error_log eval
"certhall: the ID number of $::O{o_old}/person_id does not open with certhall_data_key"
--- no_error_log
11010519491231002X
430102199001011238



=== TEST 14: without certhall_data_key the prefill is 503, as the information and the form
--- http_config eval: Certhall::Test::hall_http_config(secret_file => $::SecretFile)
--- config eval: $::ApiLocation
--- more_headers eval: ::cookie(1)
--- request eval
["GET /api/orders/$::O{p_renew}/prefill", "GET /api/orders/$::O{p_renew}/application-form"]
--- error_code eval
[503, 503]
--- response_body_like eval
[(::error_re('orders_unavailable', undef, '在线办理暂未开放，请稍后再试')) x 2]



=== TEST 15: a verification without the data key keeps no seal; the prefill of another key does not open it
--- init
::make_account('13800000004', 'dave1234');
::make_session('13800000004', 4);
--- more_headers eval: ::logged_in(4)
--- request eval
"POST /api/me/realname\nname=$::Zhang&id_number=$::ID"
--- error_code: 201



=== TEST 16: the pass without the data key verifies the account and keeps no seal
--- init
::sql("UPDATE realname_requests SET id = 'RN00000000000000000000dddd' WHERE status = 'pending'");
--- more_headers eval: $::Form
--- request eval
"POST /api/realname/callback\n" . Certhall::Test::realname_body(request_id => 'RN00000000000000000000dddd', result => 'pass', name => '张三', id_number => $::ID, nonce => 'nonce-prefill-0004')
--- error_code: 200



=== TEST 17: so its orders are filled with the name and the phone only
--- http_config eval: $::HttpConfig
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT realname_status || '/' || coalesce(r.id_sealed, 'none') FROM accounts a JOIN realname_requests r ON r.account_id = a.id WHERE a.phone = '13800000004'"), 'verified/none', 'verified, nothing sealed');
::order_row(id => 'UO202611210000000013', phone => '13800000004', project => 'hunan_ccgp', type => 'personal');
--- more_headers eval: ::cookie(4)
--- request
GET /api/orders/UO202611210000000013/prefill
--- error_code: 200
--- response_body_like eval
::prefill_re(['name', '张三', 'realname', '实名认证信息'], ['mobile', '13800000004', 'account', '账户手机号'])
