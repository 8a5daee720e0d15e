# The key reaches the applicant: the order JSON's "shipment" (物流状态) for
# an express shipment, with the courier's tracking page and the date of
# the automatic confirmation, and for a pickup; POST
# /api/orders/{id}/confirm-receipt (确认收货): the owner's shipped order to
# 待开票 with its event and message, 404 for another applicant's, 409 in
# any other state and the second time, 401 without a session, 403 without
# the CSRF token, each refusal changing nothing; the shipment kept in
# 待开票; the back office's 物流状态 of the same orders.  Runs inside
# t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Admin;

no_shuffle();

our $Alice = '13800000001';
our $Bob = '13800000002';

# fixed order ids: requests are written before the blocks run
our %O = map { $_->[0] => sprintf('UO2026120700000000%02d', $_->[1]) }
         [shipped => 1], [pickup => 2], [waiting => 3], [bob => 4];

our $HttpConfig = hall_http_config();
our $ApiLocation = $API_LOCATION;
our $AdminLocation = $API_LOCATION . $ADMIN_LOCATION;
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

# what a refusal must leave as it was: each order's state, its events, its
# messages
sub orders_state {
    return sql_value("SELECT string_agg(concat_ws('/', o.state,"
        . " (SELECT count(*) FROM order_events e WHERE e.order_id = o.id),"
        . " (SELECT count(*) FROM messages m WHERE m.order_id = o.id)), ' ' ORDER BY o.id)"
        . " FROM orders o");
}

# The orders, before nginx starts: some sixty statements, which under
# valgrind would starve the worker's first connections to the database
# past their timeout if they ran while it starts (as --- init does)
sub set_up {
    reset_accounts();
    reset_staff();
    make_account($Alice, 'alice123', verified => ['张三', '1101**********002X']);
    make_account($Bob, 'bob12345', verified => ['李四', '4405**********0014']);
    make_session($Alice, 1);
    my $staff = make_staff('shipper', '发货员', ['reviewer', 'shipper']);
    order_at('pending_shipment', id => $O{$_->[0]}, phone => $_->[1], delivery => $_->[2],
             reviewer => $staff)
        for [shipped => $Alice, 'express'], [pickup => $Alice, 'pickup'],
            [waiting => $Alice, 'express'], [bob => $Bob, 'express'];
    hand_over_key($O{shipped}, 'express', $staff);
    hand_over_key($O{pickup}, 'pickup', $staff);
    hand_over_key($O{bob}, 'express', $staff);
    staff_session('shipper', 1);
}

set_up();
run_tests();

__DATA__

=== TEST 1: shipped by express: the courier, the number, its tracking page, when, and the day of the automatic confirmation; 确认收货 is the one action
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT order_auto_confirm_on(o) = (state_entered_at AT TIME ZONE 'Asia/Shanghai')::date + 30"
                 . " FROM orders o WHERE id = '$::O{shipped}'"), 't',
     'the date is 30 Beijing calendar days after the day shipped');
--- more_headers eval: ::logged_in()
--- request eval
"GET /api/orders/$::O{shipped}"
--- error_code: 200
--- response_body_like eval
::has('"state" : "shipped"', '"state_name" : "待收货"',
      '"shipment" : {"method" : "express", "courier" : "sf", "courier_name" : "顺丰速运", "tracking_no" : "SF1234567890", "tracking_url" : "https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890", "shipped_at" : "',
      '"pickup_point" : null, "picked_up_at" : null, "picked_up_by" : null, "received_at" : null, "received_by" : null, "auto_confirm_on" : "',
      '"actions" : ["confirm_receipt", "invoice_edit"]')
. '.*"auto_confirm_on" : "\d{4}-\d\d-\d\d"'
--- no_error_log
[error]



=== TEST 2: fetched at the pickup point: where, its phone and hours, when and by whom, which is its receipt
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in()
--- request eval
"GET /api/orders/$::O{pickup}"
--- error_code: 200
--- response_body_like eval
::has('"state" : "pending_invoice"',
      '"shipment" : {"method" : "pickup", "courier" : null, "courier_name" : null, "tracking_no" : null, "tracking_url" : null, "shipped_at" : null, "pickup_point" : {"code" : "changsha", "name" : "湖南CA长沙受理点", "address" : "湖南省长沙市岳麓区麓谷大道627号", "phone" : "0731-85018830", "hours" : "工作日 9:00-12:00, 13:30-17:30"}, "picked_up_at" : "',
      '"picked_up_by" : "张三", "received_at" : "', '"received_by" : "shipper", "auto_confirm_on" : null}',
      '"actions" : ["invoice_edit"]')
--- no_error_log
[error]



=== TEST 3: refused: no session 401, no CSRF token 403, another applicant's 404, not shipped (or fetched) 409, GET 405
--- config eval: $::ApiLocation
--- init
$::Before = ::orders_state();
--- request eval
["POST /api/orders/$::O{shipped}/confirm-receipt",
 "POST /api/orders/$::O{shipped}/confirm-receipt",
 "POST /api/orders/$::O{bob}/confirm-receipt",
 "POST /api/orders/$::O{waiting}/confirm-receipt",
 "POST /api/orders/$::O{pickup}/confirm-receipt",
 "POST /api/orders/UO202612070000000099/confirm-receipt",
 "GET /api/orders/$::O{shipped}/confirm-receipt"]
--- more_headers eval
[$::Form, "$::Form\nCookie: certhall_session=" . ::session_token(1), (::logged_in()) x 5]
--- error_code eval
[401, 403, 404, 409, 409, 404, 405]
--- response_body_like eval
[::error_re('not_logged_in', undef, '请先登录'),
 ::error_re('csrf_failed', undef, '页面已过期，请刷新页面后重试'),
 ::error_re('order_not_found', undef, '订单不存在'),
 ::error_re('order_not_shipped', undef, '订单当前状态为“待邮寄”，不能确认收货'),
 ::error_re('order_not_shipped', undef, '订单当前状态为“待开票”，不能确认收货'),
 ::error_re('order_not_found', undef, '订单不存在'),
 ::error_re('method_not_allowed', undef, '该接口不支持此请求方法')]



=== TEST 4: 确认收货: the order JSON in 待开票, the shipment kept, received by the applicant
--- config eval: $::ApiLocation
--- init
::is(::orders_state(), $::Before, 'the refusals changed nothing');
--- more_headers eval: ::logged_in()
--- request eval
"POST /api/orders/$::O{shipped}/confirm-receipt"
--- error_code: 200
--- response_body_like eval
::has(qq{"id" : "$::O{shipped}"}, '"state" : "pending_invoice"', '"state_name" : "待开票"',
      '"tracking_no" : "SF1234567890"', '"received_by" : "applicant", "auto_confirm_on" : null}',
      '"actions" : ["invoice_edit"]')
. '.*"received_at" : "\d{4}-'
--- no_error_log
[error]



=== TEST 5: its event in the timeline, its message in 我的消息, and the shipment still shown in 待开票
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT concat_ws('/', from_state, to_state, actor_kind, actor_id = o.account_id)"
                 . " FROM order_events e JOIN orders o ON o.id = e.order_id"
                 . " WHERE e.order_id = '$::O{shipped}' ORDER BY e.id DESC LIMIT 1"),
     'shipped/pending_invoice/applicant/t', 'one event, by the applicant');
$::After = ::orders_state();
--- more_headers eval: ::logged_in()
--- request eval
["GET /api/orders/$::O{shipped}", "GET /api/messages"]
--- error_code eval
[200, 200]
--- response_body_like eval
[::has('"state" : "pending_invoice"',
       '"action" : "confirm_receipt", "action_name" : "确认收货", "actor" : "applicant"',
       '"shipment" : {"method" : "express", "courier" : "sf"', '"received_by" : "applicant"'),
 '^\{"messages" : \[\{"id" : \d+, "order_id" : "' . $::O{shipped}
 . '", "title" : "已确认收货", "body" : "您已确认收到订单' . $::O{shipped}
 . '的证书，电子发票将自动开出，开出后可在“我的订单”中查看订单并下载发票。"']



=== TEST 6: twice: 409, and nothing changes
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in()
--- request eval
"POST /api/orders/$::O{shipped}/confirm-receipt"
--- error_code: 409
--- response_body_like eval
::error_re('order_not_shipped', undef, '订单当前状态为“待开票”，不能确认收货')



=== TEST 7: (the second confirmation left everything as it was)
--- config eval: $::ApiLocation
--- init
::is(::orders_state(), $::After, 'the second 确认收货 changed nothing');
--- request
GET /api/health
--- error_code: 200



=== TEST 8: the back office's 物流状态: the confirmed shipment and who received it; the pickup, where and by whom
--- config eval: $::AdminLocation
--- more_headers eval: ::staff_cookie(1)
--- request eval
["GET /admin/orders/$::O{shipped}", "GET /admin/orders/$::O{pickup}", "GET /admin/orders/$::O{waiting}"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr{(?s)<h3>物流状态</h3><dl class="fields" id="shipment">\n<dt>快递公司</dt><dd id="courier">顺丰速运</dd>\n<dt>运单号</dt><dd id="tracking-no"><a href="https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890" target="_blank" rel="noopener noreferrer">SF1234567890</a></dd>\n<dt>寄出时间</dt><dd>\d{4}-[^<]+</dd>\n<dt>收货时间</dt><dd>\d{4}-[^<]+</dd>\n<dt>确认方式</dt><dd id="received-by">申请人确认收货</dd>\n</dl></section>},
 qr{(?s)<h3>物流状态</h3>.*<dt>受理点</dt><dd>湖南CA长沙受理点</dd>.*<dt>营业时间</dt><dd>工作日 9:00-12:00, 13:30-17:30</dd>.*<dt>领取人</dt><dd id="picked-up-by">张三</dd>.*<dd id="received-by">受理点当面交付</dd>},
 qr{^(?s)(?!.*物流状态).*<dd id="state">待邮寄</dd>}]
--- no_error_log
[error]
