# The texts an applicant agrees to: GET /api/agreements/{code} (public,
# the current version or an earlier one, 404 for none); POST /api/orders
# with the 用户申请条款 (agree_terms, terms_version) and the submission
# with the 数字证书申请责任书 (agree, agreement_version): refused without
# them (422), refused with a version that is no longer current (409
# agreement_changed, nothing written), recorded with the current one and
# shown on the order.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;

no_shuffle();

our $Alice = '13800000001';         # verified
our $ID = '11010519491231002X';

# a fixed order id: requests are written before the blocks run
our $Draft = 'UO202612060000000001';

our $HttpConfig = hall_http_config();
our $ApiLocation = $API_LOCATION;
our $Form = $FORM;

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);
    }
});

sub logged_in {
    return "$Form\nCookie: certhall_session=" . session_token(1)
           . "\nX-CSRF-Token: " . csrf_token(1);
}

# a JSON answer that contains every fragment given (json_build_object's
# spacing: "key" : value)
sub has {
    return '(?s)^\{' . join('', map { '(?=.*' . quotemeta($_) . ')' } @_);
}

# a new version of an agreement, as the back office would publish it
sub publish {
    my ($code, $version, $title) = @_;
    sql("INSERT INTO agreement_versions (code, version, title, body) VALUES ("
        . join(', ', quote($code), $version, quote($title),
               quote("第一条　这是第${version}版的正文，内容已经修订，请重新阅读。")) . ")");
}

# the order's state, the versions agreed, its events: what a refusal must
# leave as it was
sub order_state {
    return sql_value("SELECT concat_ws('/', state, coalesce(terms_version::text, '-'),"
        . " coalesce(agreement_version::text, '-'), (agreed_at IS NOT NULL)::text,"
        . " coalesce(delivery_method, '-'),"
        . " (SELECT count(*) FROM order_events e WHERE e.order_id = o.id))"
        . " FROM orders o WHERE id = " . quote($Draft));
}

# a draft with everything but the agreement and the delivery: information,
# invoice, the required files as rows (the module stores the files; a
# submission needs only the rows), and the user terms of version 1
sub complete_draft {
    sql("INSERT INTO orders (id, account_id, project_code, service, cert_type,"
        . " terms_version, terms_agreed_at)"
        . " SELECT " . quote($Draft) . ", id, 'xiangtan_ggzy', 'new', 'personal', 1, now()"
        . " FROM accounts WHERE phone = " . quote($Alice));
    sql("INSERT INTO order_events (order_id, to_state, actor_kind, actor_id)"
        . " SELECT id, 'draft', 'applicant', account_id FROM orders WHERE id = " . quote($Draft));
    sql("INSERT INTO order_info (order_id, person_name, person_id_masked, person_id_digest,"
        . " person_id_sealed, mobile, email) VALUES (" . quote($Draft) . ", '张三',"
        . " '1101**********002X', repeat('a', 64), 'v1.' || repeat('A', 60), '13800138000',"
        . " 'a\@example.com')");
    sql("INSERT INTO order_invoice (order_id, title_type, title, email, mobile) VALUES ("
        . quote($Draft) . ", 'personal', '张三', 'a\@example.com', '13800138000')");
    sql("INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height, pages,"
        . " original_name, account_id)"
        . " SELECT o.id, psm.material_kind, encode(sha256(convert_to(psm.material_kind, 'UTF8')), 'hex'),"
        . " 204800, 'jpg', 1200, 800, 1, psm.material_kind || '.jpg', o.account_id"
        . " FROM orders o JOIN project_service_materials psm USING (project_code, service, cert_type)"
        . " WHERE o.id = " . quote($Draft) . " AND psm.required");
}

run_tests();

__DATA__

=== TEST 1: the user terms the migrations ship: public, version 1, real text
--- config eval: $::ApiLocation
--- init
::reset_accounts();
::reset_agreements();
::make_account($::Alice, 'alice123', verified => ['张三', '1101**********002X']);
::make_session($::Alice, 1);
--- request
GET /api/agreements/user_terms
--- error_code: 200
--- response_headers
Content-Type: application/json; charset=utf-8
Cache-Control: no-cache
--- response_body_like eval
'^\{"code" : "user_terms", "name" : "用户申请条款", "version" : 1, "title" : "用户申请条款", "body" : "欢迎使用华盾云科在线服务厅[^"]*\\\\n第一条　适用范围。[^"]*第二条　用户类型。单位用户[^"]*", "published_at" : "\d{4}-\d\d-\d\dT[^"]+", "current_version" : 1\}$'
--- no_error_log
[error]



=== TEST 2: the agreement, by version; no such version, no such text, a code that cannot be one: 404; a bad version: 400; no writes
--- config eval: $::ApiLocation
--- request eval
["GET /api/agreements/agreement",
 "GET /api/agreements/agreement?version=1",
 "GET /api/agreements/agreement?version=2",
 "GET /api/agreements/nothing",
 "GET /api/agreements/Agreement",
 "GET /api/agreements/user_terms?version=0",
 "GET /api/agreements/user_terms?version=x",
 "POST /api/agreements/user_terms\nversion=2"]
--- more_headers eval
[("") x 7, $::Form]
--- error_code eval
[200, 200, 404, 404, 404, 400, 400, 405]
--- response_body_like eval
[::has('"code" : "agreement"', '"name" : "数字证书申请责任书"', '"version" : 1', '"title" : "数字证书申请责任书"',
       '"body" : "致华盾云科数字证书认证中心：\\n', '二、申请人保证提交的全部申请信息', '"current_version" : 1'),
 ::has('"code" : "agreement"', '"version" : 1', '"current_version" : 1'),
 ::error_re('agreement_not_found', undef, '该版本不存在'),
 ::error_re('agreement_not_found', undef, '协议不存在'),
 ::error_re('agreement_not_found', undef, '协议不存在'),
 ::error_re('invalid_field', 'version', '版本不正确'),
 ::error_re('invalid_field', 'version', '版本不正确'),
 ::error_re('method_not_allowed', undef, '该接口不支持此请求方法')]



=== TEST 3: a draft without the user terms agreed: 422 naming the field, no order
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in()
--- request eval
["POST /api/orders\nproject=xiangtan_ggzy&service=new&cert_type=personal",
 "POST /api/orders\nproject=xiangtan_ggzy&service=new&cert_type=personal&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=new&cert_type=personal&agree_terms=0&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=new&cert_type=personal&agree_terms=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=new&cert_type=personal&agree_terms=yes&terms_version=1"]
--- error_code eval
[422, 422, 422, 422, 400]
--- response_body_like eval
[::error_re('incomplete', 'agree_terms', '请阅读并同意用户申请条款'),
 ::error_re('incomplete', 'agree_terms', '请阅读并同意用户申请条款'),
 ::error_re('incomplete', 'agree_terms', '请阅读并同意用户申请条款'),
 ::error_re('incomplete', 'terms_version', '请阅读并同意用户申请条款'),
 ::error_re('invalid_field', 'agree_terms', '同意用户申请条款应为1或0')]



=== TEST 4: the terms change while the applicant reads them: the old version is 409 agreement_changed, and no order is made
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT count(*) FROM orders"), 0, 'the refused drafts made no order');
::publish('user_terms', 2, '用户申请条款（2026年修订）');
--- more_headers eval: ::logged_in()
--- request eval
["POST /api/orders\nproject=xiangtan_ggzy&service=new&cert_type=personal&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=new&cert_type=personal&agree_terms=1&terms_version=3"]
--- error_code eval
[409, 409]
--- response_body_like eval
[(::error_re('agreement_changed', 'terms_version', '《用户申请条款》已更新，请重新阅读后再确认')) x 2]



=== TEST 5: the public text is now version 2; version 1 is still there to read
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT count(*) FROM orders") . '/' . ::sql_value("SELECT count(*) FROM messages"), '0/0',
   'the old version made no order and no message');
--- request eval
["GET /api/agreements/user_terms", "GET /api/agreements/user_terms?version=1"]
--- error_code eval
[200, 200]
--- response_body_like eval
[::has('"version" : 2', '"title" : "用户申请条款（2026年修订）"', '"body" : "第一条　这是第2版的正文', '"current_version" : 2'),
 ::has('"version" : 1', '"title" : "用户申请条款"', '"body" : "欢迎使用', '"current_version" : 2')]



=== TEST 6: with the current version the draft is made and says what was agreed, and when
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in()
--- request
POST /api/orders
project=xiangtan_ggzy&service=new&cert_type=personal&agree_terms=1&terms_version=2
--- error_code: 201
--- response_body_like eval
::has('"state" : "draft"', '"agreed_at" : null',
      '"agreements" : [{"code" : "user_terms", "name" : "用户申请条款", "version" : 2, "title" : "用户申请条款（2026年修订）", "agreed_at" : "')
. '(?!.*"code" : "agreement")'
--- no_error_log
[error]



=== TEST 7: submitting without the agreement (or without its version): 422 incomplete listing it; an old or unknown version: 409; nothing changes
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT terms_version || '/' || (terms_agreed_at IS NOT NULL) FROM orders"), '2/true',
   'the order keeps the version of the user terms agreed');
::complete_draft();
::publish('agreement', 2, '数字证书申请责任书');
--- more_headers eval: ::logged_in()
--- request eval
["POST /api/orders/$::Draft/submit\ndelivery=pickup&pickup_point=changsha&agreement_version=2",
 "POST /api/orders/$::Draft/submit\nagree=1&delivery=pickup&pickup_point=changsha",
 "POST /api/orders/$::Draft/submit\nagree=1&agreement_version=1&delivery=pickup&pickup_point=changsha",
 "POST /api/orders/$::Draft/submit\nagree=1&agreement_version=7&delivery=pickup&pickup_point=changsha",
 "POST /api/orders/$::Draft/submit\nagree=1&agreement_version=-1&delivery=pickup&pickup_point=changsha"]
--- error_code eval
[422, 422, 409, 409, 400]
--- response_body_like eval
[('^\{"error" : \{"code" : "incomplete", "message" : "订单尚未填写完整：请阅读并同意数字证书申请责任书", "missing" : \[\{"item": "agreement", "message": "请阅读并同意数字证书申请责任书"\}\]\}\}$') x 2,
 (::error_re('agreement_changed', 'agreement_version', '《数字证书申请责任书》已更新，请重新阅读后再确认')) x 2,
 ::error_re('invalid_field', 'agreement_version', '申请责任书版本不正确')]



=== TEST 8: with the current version the order is submitted and records it
--- config eval: $::ApiLocation
--- init
::is(::order_state(), 'draft/1/-/false/-/1', 'the refused submissions changed nothing');
--- more_headers eval: ::logged_in()
--- request
POST /api/orders/UO202612060000000001/submit
agree=1&agreement_version=2&delivery=pickup&pickup_point=changsha
--- error_code: 200
--- response_body_like eval
::has('"state" : "pending_payment"',
      '"agreements" : [{"code" : "user_terms", "name" : "用户申请条款", "version" : 1, "title" : "用户申请条款", "agreed_at" : "',
      '{"code" : "agreement", "name" : "数字证书申请责任书", "version" : 2, "title" : "数字证书申请责任书", "agreed_at" : "')



=== TEST 9: the order shows the versions agreed, and a later version changes nothing on it
--- config eval: $::ApiLocation
--- init
::is(::order_state(), 'pending_payment/1/2/true/pickup/2', 'submitted with version 2 of the agreement');
::is(::sql_value("SELECT agreed_at = (SELECT submitted_at FROM orders WHERE id = '$::Draft') FROM orders WHERE id = '$::Draft'"),
   't', 'agreed when submitted');
::publish('agreement', 3, '数字证书申请责任书');
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request
GET /api/orders/UO202612060000000001
--- error_code: 200
--- response_body_like eval
::has('"agreements" : [{"code" : "user_terms", "name" : "用户申请条款", "version" : 1, ',
      '{"code" : "agreement", "name" : "数字证书申请责任书", "version" : 2, ')



=== TEST 10: the hall is left with the texts the migrations ship
--- config eval: $::ApiLocation
--- init
::reset_accounts();
::reset_agreements();
--- request
GET /api/agreements/agreement
--- error_code: 200
--- response_body_like eval
::has('"version" : 1', '"current_version" : 1')
