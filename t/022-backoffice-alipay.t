# The back office and Alipay, through nginx, fcgiwrap and PostgreSQL: the
# order page shows each attempt (one per click on 支付宝支付) and the
# payments Alipay reported, the one that paid the order as its 缴费方式;
# 支付宝退款 lists the payments to refund for finance (read by the admin,
# refused to the others), whose 退款 with a reason queues the refund
# (R<payment id>_1) with its audit row, refuses what cannot be refunded and
# changes nothing then; what Alipay sent is shown escaped.  The payments are
# recorded as alipay-sync and the notification record them
# (admin.alipay_payment_apply); alipay-sync itself is t/tools/alipay-sync.t.
# Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Admin;

no_shuffle();

our $Alice = '13800000021';
our $X = q{<script>alert("x")</script>};
our $XEsc = q{&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;};

# fixed ids: requests are written before the blocks run
our %O = (paid => 'UO202612070000000301', cancelled => 'UO202612070000000302',
          twice => 'UO202612070000000303');
# payments, in the order recorded below (the identity restarts at 501;
# 502 is the one that paid the order "twice")
our %P = (cancelled => 501, twice => 503, paid => 504);
our %S = (admin => 1, reviewer => 2, finance => 3, shipper => 4);

our $HttpConfig = hall_http_config();
our $Config = $API_LOCATION . $ADMIN_LOCATION;

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("config", $Config) unless defined $block->config;
    $block->set_value("http_config", $HttpConfig) unless defined $block->http_config;
});

sub as { staff_cookie($S{$_[0]}) }
sub form { as($_[0]) . "\nContent-Type: application/x-www-form-urlencoded" }
sub refund { my ($role, $payment, @kv) = @_;
             staff_post("/admin/alipay/refunds/$payment", $S{$role}, @kv) }
sub error_page { qr/<p class="error" id="error"[^>]*>\Q$_[0]\E/ }
sub payment {
    my ($row) = sql("SELECT refund_state, coalesce((SELECT state || ':' || requested_by || ':'"
                    . " || out_request_no FROM alipay_refunds WHERE payment_id = $_[0]), '')"
                    . " FROM alipay_payments WHERE id = $_[0]");
    return join '|', @$row;
}
sub account { sql_value("SELECT account_id FROM orders WHERE id = " . quote(shift)) }

# an attempt of the order, opened now
sub attempt {
    my ($order, $n, $channel) = @_;
    sql("INSERT INTO alipay_attempts (out_trade_no, order_id, attempt, channel, amount_fen,"
        . " subject, expires_at) SELECT id || '_$n', id, $n, " . quote($channel // 'page')
        . ", amount_fen, '湘潭公共资源交易中心 数字证书新办', now() + interval '30 minutes'"
        . " FROM orders WHERE id = " . quote($order));
    return "${order}_$n";
}

# what alipay-sync records of a paid trade (as a notification would)
sub paid {
    my ($no, $trade_no, $logon) = @_;
    return sql_value("SELECT outcome FROM admin.alipay_payment_apply(" . quote($no) . ", "
        . quote($trade_no) . ", 'TRADE_SUCCESS', (SELECT amount_fen FROM alipay_attempts"
        . " WHERE out_trade_no = " . quote($no) . "), '2088102177846880', " . quote($logon)
        . ", '2026-12-07 10:30:05', '{\"trade_status\":\"TRADE_SUCCESS\"}')");
}

run_tests();

__DATA__

=== TEST 1: finance's 支付宝退款 lists the payments to refund, each with its 退款 form; what Alipay sent is escaped
--- init
::reset_accounts();
::reset_staff();
::sql("ALTER TABLE alipay_payments ALTER COLUMN id RESTART WITH 501");
::make_account($::Alice, 'alice123', verified => ['张三', '1101**********002X']);
::make_staff('boss', '管理员老周', ['admin']);
::make_staff('rev', '审核员小李', ['reviewer']);
::make_staff('fin', '财务小王', ['finance']);
::make_staff('ship', '发货员小张', ['shipper']);
::staff_session('boss', 1);
::staff_session('rev', 2);
::staff_session('fin', 3);
::staff_session('ship', 4);
# cancelled after the page was opened, then paid
::order_at('pending_payment', id => $::O{cancelled}, phone => $::Alice);
my $c1 = ::attempt($::O{cancelled}, 1);
::Certhall::Admin::transition($::O{cancelled}, 'cancelled', 'applicant', ::account($::O{cancelled}));
::is(::paid($c1, '2026120722001400000001', $::X), 'to_refund', 'the cancelled order\'s payment is to refund');
# paid twice, through two pages
::order_at('pending_payment', id => $::O{twice}, phone => $::Alice);
my $t1 = ::attempt($::O{twice}, 1);
my $t2 = ::attempt($::O{twice}, 2, 'wap');
::is(::paid($t2, '2026120722001400000002', 'a***@x.com'), 'paid', 'the second page paid the order');
::is(::paid($t1, '2026120722001400000003', 'b***@x.com'), 'to_refund', 'the first is to refund');
# paid once; an earlier attempt closed
::order_at('pending_payment', id => $::O{paid}, phone => $::Alice);
my $p1 = ::attempt($::O{paid}, 1);
my $p2 = ::attempt($::O{paid}, 2);
::sql("SELECT admin.alipay_attempt_checked(" . ::quote($p1) . ", 'closed', NULL)");
::is(::paid($p2, '2026120722001400000004', 'c***@x.com'), 'paid', 'the order is paid');
::is(::sql_value("SELECT string_agg(id::text, ',' ORDER BY id) FROM alipay_payments WHERE refund_state IS NOT NULL"),
     "$::P{cancelled},$::P{twice}", 'payment ids as the requests expect');
--- more_headers eval: ::as('finance')
--- request
GET /admin/alipay/refunds
--- error_code: 200
--- response_body_like eval
qr{(?s)<nav><a href="/admin/orders">订单</a> <a href="/admin/alipay/refunds">支付宝退款</a>.*<h2>支付宝退款</h2>.*<table id="refunds">.*<tr id="payment-$::P{twice}" data-state="to_refund"><td><a href="/admin/orders/$::O{twice}">$::O{twice}</a><br>待审核</td><td class="trade-no">2026120722001400000003<br><span class="hint">$::O{twice}_1</span></td><td class="money">\d+\.\d\d</td><td>2026年12月07日 10:30<br>b\*\*\*\@x.com</td><td>订单已通过其他方式付款</td><td class="refund-state">待退款</td><td class="refund"><form method="post" class="action refund" id="refund-$::P{twice}" action="/admin/alipay/refunds/$::P{twice}"><input type="hidden" name="csrf" value="StaffCsrf3y+"><label>退款原因 <textarea name="reason" required.*<tr id="payment-$::P{cancelled}" data-state="to_refund"><td><a href="/admin/orders/$::O{cancelled}">$::O{cancelled}</a><br>已取消</td>.*<br>\Q$::XEsc\E</td><td>订单已取消</td>.*id="refund-$::P{cancelled}"}
--- response_body_unlike eval
[qr{<script>alert|payment-$::P{paid}}]



=== TEST 2: the admin reads the list without the form (refunding is finance's); the other roles are refused, and not shown the way there
--- more_headers eval
[ ::as('admin'), ::as('reviewer'), ::as('shipper'), ::as('reviewer') ]
--- request eval
[ "GET /admin/alipay/refunds", "GET /admin/alipay/refunds", "GET /admin/alipay/refunds",
  "GET /admin/orders" ]
--- error_code eval
[200, 403, 403, 200]
--- response_body_like eval
[ qr{(?s)<a href="/admin/alipay/refunds">支付宝退款</a>.*id="payment-$::P{twice}".*id="payment-$::P{cancelled}"},
  ::error_page('您没有权限访问此页面（需要：财务或管理员）'),
  ::error_page('您没有权限访问此页面（需要：财务或管理员）'),
  qr{<nav><a href="/admin/orders">订单</a> <a href="/admin/password">} ]
--- response_body_unlike eval
[ qr{<form method="post" class="action refund"}, qr{payment-}, qr{payment-},
  qr{/admin/alipay/refunds} ]



=== TEST 3: 退款 refused: no reason, another role, a stale form, a payment that paid its order, one that does not exist
--- more_headers eval
[ ::form('finance'), ::form('admin'), ::form('finance'), ::form('finance'), ::form('finance'),
  ::form('finance') ]
--- request eval
[ ::refund('finance', $::P{cancelled}, reason => '  '),
  ::refund('admin', $::P{cancelled}, reason => '订单已取消'),
  "POST /admin/alipay/refunds/$::P{cancelled}\n" . ::form_body(csrf => 'stale', reason => '订单已取消'),
  ::refund('finance', $::P{paid}, reason => '申请人要求'),
  ::refund('finance', 999999, reason => '订单已取消'),
  ::refund('finance', 'abc', reason => '订单已取消') ]
--- error_code eval
[422, 403, 403, 409, 404, 404]
--- response_body_like eval
[ ::error_page('请填写退款原因'), ::error_page('您没有权限访问此页面（需要：财务）'),
  ::error_page('页面已过期，请刷新页面后重试'),
  qr{data-code="not_refundable">该笔付款已用于支付订单，不在待退款之列},
  ::error_page('支付记录不存在'), ::error_page('支付记录不存在。') ]



=== TEST 4: (the block before) nothing changed; finance refunds the cancelled order's payment with a reason
--- init
::is(::payment($::P{cancelled}), 'to_refund|', 'still to refund, no refund made');
::is(::payment($::P{paid}), '|', 'the paying payment untouched');
::is(::sql_value("SELECT count(*) FROM staff_audit WHERE action = 'alipay_refund'"), 0, 'nothing audited');
--- more_headers eval: ::form('finance')
--- request eval
::refund('finance', $::P{cancelled}, reason => "订单已取消，原路退回 $::X")
--- error_code: 303
--- response_headers_like
Location: (?:http://[^/]+)?/admin/alipay/refunds\?done=refund



=== TEST 5: (the block before) the refund is queued as R<payment>_1, by finance, audited; the list says so, escaped, and has no form for it any more; asking again is refused
--- init
::is(::payment($::P{cancelled}), "refunding|queued:" . ::sql_value("SELECT id FROM staff WHERE login = 'fin'")
     . ":R$::P{cancelled}_1", 'refunding, the refund queued by fin with its stable request number');
::is(::sql_value("SELECT count(*) FROM staff_audit WHERE action = 'alipay_refund' AND order_id = "
     . ::quote($::O{cancelled}) . " AND staff_id = (SELECT id FROM staff WHERE login = 'fin')"),
     1, 'the request is audited');
--- more_headers eval: [ ::as('finance'), ::form('finance') ]
--- request eval
[ "GET /admin/alipay/refunds?done=refund",
  ::refund('finance', $::P{cancelled}, reason => '再退一次') ]
--- error_code eval
[200, 409]
--- response_body_like eval
[ qr{(?s)<p class="done" id="done">已提交退款.*id="refund-$::P{twice}".*<tr id="payment-$::P{cancelled}" data-state="refunding">.*<td class="refund-state">退款中</td><td class="refund"><span class="out-request-no">R$::P{cancelled}_1</span> 财务小王 \d{4}年\d\d月\d\d日 \d\d:\d\d<br>原因：订单已取消，原路退回 \Q$::XEsc\E<br>发送 0 次</td></tr>},
  ::error_page('该笔付款正在退款') ]
--- response_body_unlike eval
[ qr{id="refund-$::P{cancelled}"|<script>alert}, qr{.^} ]



=== TEST 6: the order page: 缴费方式 支付宝 with the trade, each attempt newest first, the payments and what each is for; no voucher block (未上传) for them
--- more_headers eval: [ ::as('reviewer'), ::as('finance') ]
--- request eval
[ "GET /admin/orders/$::O{twice}", "GET /admin/orders/$::O{paid}" ]
--- error_code eval
[200, 200]
--- response_body_like eval
[ qr{(?s)\A(?!.*<div id="voucher">).*<section id="payment"><h3>缴费</h3><dl class="fields">\n<dt>缴费方式</dt><dd id="payment-method">支付宝</dd>\n<dt>支付宝交易号</dt><dd id="payment-trade-no">2026120722001400000002</dd>\n<dt>金额（元）</dt><dd id="payment-amount">\d+\.\d\d</dd>\n<dt>付款时间</dt><dd id="payment-paid-at">2026年12月07日 10:30</dd>\n<dt>买家账号</dt><dd>a\*\*\*\@x.com</dd>.*<table id="alipay-attempts">.*<tr data-state="paid"><td>第 2 次</td><td class="out-trade-no">$::O{twice}_2</td><td>手机网页</td>.*<td class="attempt-state">已支付（交易号 2026120722001400000002）</td>.*<tr data-state="paid"><td>第 1 次</td><td class="out-trade-no">$::O{twice}_1</td><td>电脑网页</td>.*<table id="alipay-payments">.*<td class="trade-no">2026120722001400000003</td>.*<td>对账查询</td><td class="payment-use">待退款：订单已通过其他方式付款<br><a href="/admin/alipay/refunds#payment-$::P{twice}">支付宝退款</a>.*<td class="trade-no">2026120722001400000002</td>.*<td class="payment-use">已用于支付本订单</td>},
  qr{(?s)\A(?!.*<div id="voucher">).*<dd id="payment-trade-no">2026120722001400000004</dd>.*<tr data-state="paid"><td>第 2 次</td>.*<tr data-state="closed"><td>第 1 次</td>.*<td class="attempt-state">已关闭</td>.*<td class="payment-use">已用于支付本订单</td>} ]



=== TEST 7: an order never paid by Alipay has no Alipay tables; the cancelled one's payment shows its refund under way
--- init
::order_at('pending_review', id => 'UO202612070000000304', phone => $::Alice, pay => 'transfer');
--- more_headers eval: [ ::as('finance'), ::as('finance') ]
--- request eval
[ "GET /admin/orders/UO202612070000000304", "GET /admin/orders/$::O{cancelled}" ]
--- error_code eval
[200, 200]
--- response_body_like eval
[ qr{<dt>缴费方式</dt><dd>公对公转账</dd>},
  qr{(?s)<td class="payment-use">退款中：订单已取消<br>退款请求号 R$::P{cancelled}_1<br>} ]
--- response_body_unlike eval
[ qr{alipay-attempts|alipay-payments|payment-method}, qr{payment-method|已用于支付本订单} ]
