# The resubmission after a rejection through the module: POST
# /api/orders/{id}/resubmit by the owner only (404 for another account),
# in rejected only (409 in every other state), once the materials the
# reviewer named are uploaded again (422 incomplete listing them before;
# the uploads through the module; then 200), never twice (409, nothing
# changed); what the order says meanwhile (resubmission, actions); the
# event and the message as the applicant reads them (GET /api/orders/{id},
# /api/messages); a paid order pays nothing again; the CSRF token and a
# cross-site page refused.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Upload;
use Certhall::Admin;
use File::Temp qw(tempdir);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
chmod 0755, $Dir;
our $Storage = "$Dir/storage";
mkdir $Storage or die "$Storage: $!";
our $KeyFile = data_key_file($Dir);
our $Color = scan($Dir, 'jpg', 'color', 800, 600);

our $Alice = '13800000021';
our $Bob = '13800000022';

# fixed order ids: requests are written before the blocks run
our %O = map { $_->[0] => sprintf('UO20261121000000%04d', $_->[1]) }
         [paid => 301], [draft => 302], [pending_payment => 303], [pending_voucher => 304],
         [pending_review => 305], [pending_shipment => 306], [cancelled => 307],
         [plain => 308];
our @Others = qw(draft pending_payment pending_voucher pending_review pending_shipment cancelled);

our $HttpConfig = hall_http_config(data_key => $KeyFile)
    . "    certhall_storage $Storage;\n";
our $Config = $API_LOCATION
    . "    location /_certhall/files/ {\n        internal;\n        alias $Storage/;\n    }\n";

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("config", $Config) unless defined $block->config;
    $block->set_value("http_config", $HttpConfig) unless defined $block->http_config;
});

sub auth {
    my $n = shift // 1;
    return "Cookie: certhall_session=" . session_token($n) . "\nX-CSRF-Token: " . csrf_token($n);
}
sub up { my $n = shift // 1; return "$MULTIPART\n" . auth($n) }

sub has {
    return '(?s)^\{' . join('', map { '(?=.*' . quotemeta($_) . ')' } @_);
}
sub err { my ($code, $msg) = @_; return error_re($code, undef, $msg // '[^"]+') }

sub state { sql_value("SELECT state FROM orders WHERE id = " . quote(shift)) }
sub events { sql_value("SELECT count(*) FROM order_events WHERE order_id = " . quote(shift)) }
sub messages { sql_value("SELECT count(*) FROM messages WHERE order_id = " . quote(shift)) }
# what a resubmission may change, for "changes nothing"
sub fingerprint {
    my $id = quote(shift);
    return sql_value("SELECT md5(concat_ws('/', (SELECT o::text FROM orders o WHERE o.id = $id),"
        . " (SELECT string_agg(m::text, ',' ORDER BY m.id) FROM materials m WHERE m.order_id = $id),"
        . " (SELECT t::text FROM order_transfers t WHERE t.order_id = $id),"
        . " (SELECT string_agg(r::text, ',' ORDER BY r.id) FROM voucher_reviews r WHERE r.order_id = $id),"
        . " (SELECT count(*) FROM order_events e WHERE e.order_id = $id),"
        . " (SELECT count(*) FROM messages m WHERE m.order_id = $id)))");
}

run_tests();

__DATA__

=== TEST 1: a paid order rejected naming 申请表 and 营业执照: not resubmittable yet, the order says what is missing
--- init
::reset_accounts();
::reset_staff();
::make_account($::Alice, 'alice123', verified => ['张三', '1101**********002X']);
::make_account($::Bob, 'bob12345', verified => ['李四', '1101**********002X']);
::make_session($::Alice, 1);
::make_session($::Bob, 2);
my $rev = ::make_staff('rev', '审核员小李', ['reviewer']);
::staff_session('rev', 1);
::order_at('pending_review', id => $::O{paid}, phone => $::Alice, pay => 'transfer',
           storage => $::Storage, file => $::Color);
# finance confirmed the voucher before the review
::sql("INSERT INTO voucher_reviews (order_id, material_id, decision, payer_name, amount_fen, staff_id)"
    . " SELECT o.id, m.id, 'confirmed', '湖南示例科技有限公司', o.amount_fen, $rev FROM orders o"
    . " JOIN materials m ON m.order_id = o.id AND m.kind = 'transfer_voucher' WHERE o.id = '$::O{paid}'");
::is(::sql_value("SELECT admin.reject(" . join(', ', map { ::quote($_) } ::staff_token(1),
      ::staff_csrf(1), '127.0.0.1', $::O{paid}, '营业执照不清晰')
      . ", ARRAY['business_license', 'application_form'])"), 'rejected', 'the reviewer rejected it');
::order_at($_, id => $::O{$_}, phone => $::Alice, reviewer => $rev)
    for qw(draft pending_payment pending_review pending_shipment);
::order_at('pending_voucher', id => $::O{pending_voucher}, phone => $::Alice, pay => 'transfer');
::order_at('draft', id => $::O{cancelled}, phone => $::Alice);
Certhall::Admin::transition($::O{cancelled}, 'cancelled', 'applicant',
             ::sql_value("SELECT id FROM accounts WHERE phone = '$::Alice'"));
::order_at('rejected', id => $::O{plain}, phone => $::Alice, reviewer => $rev);
$::Before = ::fingerprint($::O{paid});
--- more_headers eval: ::auth(1)
--- request eval
"GET /api/orders/$::O{paid}"
--- error_code: 200
--- response_body_like eval
::has('"state" : "rejected"',
      '"resubmission" : {"allowed" : false, "missing" : [{"item" : "material", "kind" : "application_form", "message" : "请重新上传申请表"}, {"item" : "material", "kind" : "business_license", "message" : "请重新上传营业执照"}], "rejection" : {"at" : ',
      '"reason" : "营业执照不清晰（需重新上传：申请表、营业执照）", "kinds" : [{"kind" : "application_form", "kind_name" : "申请表", "replaced" : false, "uploaded_at" : null}, {"kind" : "business_license", "kind_name" : "营业执照", "replaced" : false, "uploaded_at" : null}]}}',
      '"actions" : ["edit"]')



=== TEST 2: resubmitted as it is: 422 incomplete listing the named materials, as the submission lists what it lacks
--- more_headers eval: ::auth(1)
--- request eval
"POST /api/orders/$::O{paid}/resubmit"
--- error_code: 422
--- response_body_like eval
'^\{"error" : \{"code" : "incomplete", "message" : "订单尚不能重新提交：请重新上传申请表；请重新上传营业执照", "missing" : \[\{"item" : "material", "kind" : "application_form", "message" : "请重新上传申请表"\}, \{"item" : "material", "kind" : "business_license", "message" : "请重新上传营业执照"\}\]\}\}$'



=== TEST 3: (the block before) nothing changed; another account, no CSRF token, a cross-site page, no session, no such order: refused
--- init
::is(::fingerprint($::O{paid}), $::Before, 'the 422 changed nothing');
::is(::state($::O{paid}), 'rejected', 'still rejected');
--- more_headers eval
[::auth(2), "Cookie: certhall_session=" . ::session_token(1), ::auth(1) . "\nOrigin: https://evil.example",
 ::auth(1) . "\nSec-Fetch-Site: cross-site", '', ::auth(1)]
--- request eval
[("POST /api/orders/$::O{paid}/resubmit") x 5, "POST /api/orders/UO20991231000000009999/resubmit"]
--- error_code eval: [404, 403, 403, 403, 401, 404]
--- response_body_like eval
[::err('order_not_found', '订单不存在'), ::err('csrf_failed'), ::err('cross_site'), ::err('cross_site'),
 ::err('not_logged_in'), ::err('order_not_found', '订单不存在')]



=== TEST 4: (the block before) nothing changed; every state but rejected is 409, the state named; GET is not the way
--- init
::is(::fingerprint($::O{paid}), $::Before, 'the refusals changed nothing');
$::Others{$_} = ::fingerprint($::O{$_}) for @::Others;
--- more_headers eval: ::auth(1)
--- request eval
[(map { "POST /api/orders/$::O{$_}/resubmit" } @::Others), "GET /api/orders/$::O{paid}/resubmit"]
--- error_code eval: [(409) x 6, 405]
--- response_body_like eval
[::err('illegal_transition', '订单当前状态为“填写中”，不能重新提交'),
 ::err('illegal_transition', '订单当前状态为“待支付”，不能重新提交'),
 ::err('illegal_transition', '订单当前状态为“待上传凭证”，不能重新提交'),
 ::err('illegal_transition', '订单当前状态为“待审核”，不能重新提交'),
 ::err('illegal_transition', '订单当前状态为“待邮寄”，不能重新提交'),
 ::err('illegal_transition', '订单当前状态为“已取消”，不能重新提交'),
 ::err('method_not_allowed')]



=== TEST 5: (the block before) nothing changed; the applicant uploads 申请表 again: 营业执照 is still missing
--- init
::is(::fingerprint($::O{$_}), $::Others{$_}, "the 409 in $_ changed nothing") for @::Others;
--- more_headers eval: [::up(1), ::auth(1), ::auth(1)]
--- request eval
["POST /api/orders/$::O{paid}/materials/application_form\n" . ::file_body($::Color, '申请表.jpg'),
 "POST /api/orders/$::O{paid}/resubmit",
 "GET /api/orders/$::O{paid}"]
--- error_code eval: [201, 422, 200]
--- response_body_like eval
[::has('"kind" : "application_form"'),
 '"message" : "订单尚不能重新提交：请重新上传营业执照", "missing" : \[\{"item" : "material", "kind" : "business_license", "message" : "请重新上传营业执照"\}\]\}\}$',
 ::has('"allowed" : false', '{"kind" : "application_form", "kind_name" : "申请表", "replaced" : true, "uploaded_at" : "', '"actions" : ["edit"]')]



=== TEST 6: 营业执照 uploaded again: the order offers resubmit; resubmitted: 200, under review; a second time: 409
--- init
::is(::state($::O{paid}), 'rejected', 'the 422 left it rejected');
$::Events = ::events($::O{paid});
$::Messages = ::messages($::O{paid});
--- more_headers eval: [::up(1), ::auth(1), ::auth(1), ::auth(1)]
--- request eval
["POST /api/orders/$::O{paid}/materials/business_license\n" . ::file_body($::Color, '营业执照.jpg'),
 "GET /api/orders/$::O{paid}",
 "POST /api/orders/$::O{paid}/resubmit",
 "POST /api/orders/$::O{paid}/resubmit"]
--- error_code eval: [201, 200, 200, 409]
--- response_body_like eval
[::has('"kind" : "business_license"'),
 ::has('"resubmission" : {"allowed" : true, "missing" : []', '"actions" : ["edit", "resubmit"]'),
 ::has('"id" : "' . $::O{paid} . '"', '"state" : "pending_review"', '"state_name" : "资料待审核"',
       '"resubmission" : null', '"actions" : ["invoice_edit"]',
       '"from" : "rejected", "from_name" : "审核未通过", "to" : "pending_review", "to_name" : "待审核", "action" : "resubmit", "action_name" : "重新提交", "actor" : "applicant", "actor_name" : "申请人", "reason" : null}]'),
 ::err('illegal_transition', '订单当前状态为“待审核”，不能重新提交')]



=== TEST 7: (the block before) one event and one message, whatever the second request; nothing paid again; the applicant reads it
--- init
::is(::state($::O{paid}), 'pending_review', 'under review again');
::is(::events($::O{paid}), $::Events + 1, 'one event');
::is(::messages($::O{paid}), $::Messages + 1, 'one message');
::is(::sql_value("SELECT (from_state, to_state, actor_kind, actor_id = o.account_id)::text FROM order_events e"
             . " JOIN orders o ON o.id = e.order_id WHERE e.order_id = '$::O{paid}' ORDER BY e.id DESC LIMIT 1"),
   '(rejected,pending_review,applicant,t)', 'the event: the applicant, rejected -> pending_review');
::is(::sql_value("SELECT (amount_fen, (SELECT count(*) FROM order_transfers t WHERE t.order_id = o.id),"
             . " (SELECT string_agg(decision, ',') FROM voucher_reviews r WHERE r.order_id = o.id),"
             . " (SELECT count(*) FROM materials m WHERE m.order_id = o.id AND m.kind = 'transfer_voucher'))::text"
             . " FROM orders o WHERE o.id = '$::O{paid}'"),
   '(30000,1,confirmed,1)', 'the amount, the transfer and the confirmed voucher are as they were');
--- more_headers eval: ::auth(1)
--- request eval
["GET /api/orders/$::O{paid}", "GET /api/messages?per_page=1"]
--- error_code eval: [200, 200]
--- response_body_like eval
[::has('"state" : "pending_review"', '"amount_fen" : 30000', '"action_name" : "重新提交"'),
 ::has('"order_id" : "' . $::O{paid} . '", "title" : "资料已重新提交", "body" : "您的订单' . $::O{paid} . '已重新提交，请等待审核，审核结果将通过消息通知您。"', '"read" : false')]



=== TEST 8: a rejection naming no file (made without the back office): resubmittable at once; another account cannot
--- more_headers eval: [::auth(1), ::auth(2), ::auth(1)]
--- request eval
["GET /api/orders/$::O{plain}", "POST /api/orders/$::O{plain}/resubmit", "POST /api/orders/$::O{plain}/resubmit"]
--- error_code eval: [200, 404, 200]
--- response_body_like eval
[::has('"resubmission" : {"allowed" : true, "missing" : [], "rejection" : {"at" : ', '"reason" : "资料不清晰", "kinds" : []}}',
       '"actions" : ["edit", "resubmit"]'),
 ::err('order_not_found'),
 ::has('"state" : "pending_review"')]
