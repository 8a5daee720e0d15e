# The back office's e-invoices through nginx, fcgiwrap and PostgreSQL:
# 发票 (the queue) for finance and the admin, with the count of each state,
# its filters, the failed requests first with the platform's message
# (escaped) and 重新开具, which queues the same serial again (audited) and
# refuses what is not failed; the other roles are refused and not shown
# the way there.  The order page's 电子发票: every request, its invoice's
# code and number, its files (the PDF, the XML sent and answered, sent by
# nginx from the storage with their exact bytes), and for finance 冲红重开,
# checked by the applicant's form rules, which queues a red request and a
# new blue one waiting for it, the order staying 已完成, audited; a second
# correction meanwhile is refused.  The requests are made as invoice-send
# makes them (admin.invoice_claim, _issued, _failed); invoice-send itself
# is t/tools/invoice-send.t.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Admin;
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);

no_shuffle();

our $Alice = '13800000031';
our $X = q{<script>alert("x")</script>};
our $XEsc = q{&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;};

# fixed ids: requests are written before the blocks run.  The invoice
# requests are numbered from 1 in the order the orders reach 待开票.
our %O = map { $_->[0] => sprintf('UO2026120700000005%02d', $_->[1]) }
         [issued => 1], [failed => 2], [refused => 3], [queued => 4];
our %R = (issued => 1, failed => 2, refused => 3, queued => 4, red => 5, blue => 6);
our %S = (admin => 1, reviewer => 2, finance => 3, shipper => 4);
sub serial { sprintf 'CH%018d', shift }

our $Dir = tempdir(CLEANUP => 1);
chmod 0755, $Dir;
our $Storage = "$Dir/storage";
mkdir $Storage or die "$Storage: $!";

# what the platform gave for the issued one, as invoice-send stores it
our $Pdf = "%PDF-1.4\n% 电子发票 26000001\n" . ('x' x 1500) . "\n%%EOF\n";
our $ReqXml = qq{<?xml version="1.0" encoding="UTF-8"?>\n<business id="FPKJ"><FPQQLSH>}
    . serial(1) . "</FPQQLSH></business>\n";
our $AnsXml = qq{<?xml version="1.0" encoding="UTF-8"?>\n<business id="FPKJ"><returncode>0000}
    . "</returncode></business>\n";

our $HttpConfig = hall_http_config();
our $Config = admin_locations($Storage);

# one nginx for every block: only the first has the config
add_block_preprocessor(sub {
    my $block = shift;
    return unless $block->name =~ /TEST 1:/;
    $block->set_value("config", $Config) unless defined $block->config;
    $block->set_value("http_config", $HttpConfig) unless defined $block->http_config;
});

sub as { staff_cookie($S{$_[0]}) }
sub form { as($_[0]) . "\nContent-Type: application/x-www-form-urlencoded" }
sub error_page { qr/<p class="error" id="error"[^>]*>\Q$_[0]\E/ }
sub request_state { sql_value("SELECT concat_ws(':', state, attempts) FROM invoice_requests WHERE id = $_[0]") }
sub audits { sql_value("SELECT count(*) FROM staff_audit WHERE action = " . quote(shift)) }

# a page that holds the texts given, in this order
sub in_order { my $re = join '.*', map { quotemeta } @_; qr/(?s)$re/ }

# a file as invoice-send stores it: DIR/ab/<sha256>
sub stash {
    my $bytes = shift;
    my $sha = sha256_hex($bytes);
    mkdir "$Storage/" . substr($sha, 0, 2);
    open my $fh, '>:raw', "$Storage/" . substr($sha, 0, 2) . "/$sha" or die "$sha: $!";
    print $fh $bytes;
    close $fh;
    return $sha;
}

# Before nginx starts, in one psql session (a statement each would take
# seconds): the staff and their sessions, the orders walked by
# order_transition() to 待开票 (picked up), their blue requests queued on
# the way in, and what invoice-send made of them.
sub set_up {
    reset_accounts();
    reset_staff();
    make_account($Alice, 'alice123', verified => ['张三', '1101**********002X']);
    my ($pdf, $req, $ans) = map { stash($_) } $Pdf, $ReqXml, $AnsXml;
    my $hash = quote(pbkdf2_hash('staff-pass-123', 1000));
    my @staff = ([boss => '管理员老周', 'admin'], [rev => '审核员小李', 'reviewer'],
                 [fin => '财务小王', 'finance'], [ship => '发货员小张', 'shipper']);
    my $n = 0;
    sql(join ";\n",
        "TRUNCATE invoices, invoice_attempts, invoice_requests RESTART IDENTITY",
        (map { my ($login, $name, $role) = @$_; $n++;
               "WITH s AS (INSERT INTO staff (login, name, password_hash) VALUES ("
               . quote($login) . ", " . quote($name) . ", $hash) RETURNING id),"
               . " g AS (INSERT INTO staff_grants (staff_id, role) SELECT id, " . quote($role)
               . " FROM s) INSERT INTO staff_sessions (token_hash, staff_id, csrf_token)"
               . " SELECT sha256(convert_to(" . quote(staff_token($n)) . ", 'UTF8')), id, "
               . quote(staff_csrf($n)) . " FROM s" } @staff),
        q{CREATE FUNCTION pg_temp.picked_up(p_id text) RETURNS void LANGUAGE plpgsql AS $f$
          DECLARE
              v_acct  bigint := (SELECT id FROM accounts WHERE phone = '} . $Alice . q{');
              v_staff bigint := (SELECT id FROM staff WHERE login = 'ship');
          BEGIN
              INSERT INTO orders (id, account_id, project_code, service, cert_type)
              VALUES (p_id, v_acct, 'xiangtan_ggzy', 'new', 'org');
              INSERT INTO order_events (order_id, to_state, actor_kind, actor_id)
              VALUES (p_id, 'draft', 'applicant', v_acct);
              INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name,
                                      person_id_masked, person_id_digest, person_id_sealed,
                                      mobile, email)
              VALUES (p_id, '湖南示例科技有限公司', '91350100M000100Y43', '李四', '张三',
                      '1101**********002X', encode(sha256(convert_to(p_id, 'UTF8')), 'hex'),
                      'v1.' || repeat('A', 60), '13800138000', 'a@example.com');
              INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height,
                                     pages, original_name, account_id)
              SELECT p_id, m.material_kind,
                     encode(sha256(convert_to(p_id || '/' || m.material_kind, 'UTF8')), 'hex'),
                     1000, 'jpg', 800, 600, 1, m.material_kind || '.jpg', v_acct
              FROM project_service_materials m
              WHERE m.project_code = 'xiangtan_ggzy' AND m.service = 'new'
                AND m.cert_type = 'org' AND m.required;
              INSERT INTO order_invoice (order_id, title_type, title, taxpayer_id, email, mobile)
              VALUES (p_id, 'org', '湖南示例科技有限公司', '91350100M000100Y43', 'a@example.com',
                      '13800138000');
              UPDATE orders SET agreed_at = now(), delivery_method = 'pickup',
                                pickup_point = 'changsha' WHERE id = p_id;
              PERFORM order_transition(p_id, 'pending_payment', 'applicant', v_acct);
              PERFORM order_transition(p_id, 'pending_review', 'payment', NULL);
              PERFORM order_transition(p_id, 'pending_shipment', 'reviewer', v_staff);
              INSERT INTO certificates (account_id, project_code, cert_type, serial, name,
                                        valid_from, valid_to, order_id)
              VALUES (v_acct, 'xiangtan_ggzy', 'org', upper(substr(md5(p_id), 1, 16)),
                      '湖南示例科技有限公司', now(), now() + interval '2 years', p_id);
              INSERT INTO order_shipments (order_id, method, picked_up_by, staff_id)
              VALUES (p_id, 'pickup', '张三', v_staff);
              PERFORM order_transition(p_id, 'pending_invoice', 'shipper', v_staff);
          END $f$},
        (map { "SELECT pg_temp.picked_up(" . quote($O{$_}) . ")" } qw(issued failed refused)),
        "SELECT admin.invoice_claim(10, 'run-1')",
        "SELECT admin.invoice_issued(1, 'run-1', '043002600111', '26000001', '20261207103005',"
        . " amount_fen, amount_fen - round(amount_fen * 6 / 106.0)::bigint,"
        . " round(amount_fen * 6 / 106.0)::bigint, '$pdf', " . length($Pdf) . ", '$req', '$ans')"
        . " FROM invoice_requests WHERE id = 1",
        "SELECT admin.invoice_failed(2, 'run-1', '连接税务平台超时（30 秒）', false, true)",
        "SELECT admin.invoice_failed(3, 'run-1', " . quote("2001 购买方名称与税号不符 $X")
        . ", true, true)",
        "SELECT pg_temp.picked_up(" . quote($O{queued}) . ")");
}

set_up();
run_tests();

__DATA__

=== TEST 1: finance's 发票: the count of each state, the failed requests first with the platform's message escaped and 重新开具, then the newest; each row links to its order
--- init
::is(::sql_value("SELECT string_agg(id || ':' || order_id || ':' || state, ' ' ORDER BY id) FROM invoice_requests"),
     "1:$::O{issued}:issued 2:$::O{failed}:failed 3:$::O{refused}:failed 4:$::O{queued}:queued",
     'the requests as the blocks expect them');
::is(::sql_value("SELECT state FROM orders WHERE id = " . ::quote($::O{issued})), 'completed',
     'the issued one\'s order is completed');
--- more_headers eval: ::as('finance')
--- request
GET /admin/invoices
--- error_code: 200
--- response_body_like eval
::in_order(
  q{<a href="/admin/alipay/refunds">支付宝退款</a> <a href="/admin/invoices">发票</a>}, q{<h2>发票</h2>},
  q{<li class="current"><a href="/admin/invoices?state=" data-state="">全部</a></li>},
  q{data-state="queued">待开具 <span class="count">1</span>},
  q{data-state="sending">开具中 <span class="count">0</span>},
  q{data-state="failed">开具失败 <span class="count">2</span>},
  q{data-state="issued">已开具 <span class="count">1</span>},
  q{<table id="invoices">},
  qq{<tr id="request-3" data-state="failed"><td class="serial">CH000000000000000003</td><td><a href="/admin/orders/$::O{refused}#einvoice">$::O{refused}</a></td><td>湖南示例科技有限公司</td><td class="money">},
  qq{</td><td class="invoice-state">开具失败<br><span class="hint">已发送 1 次</span></td><td class="invoice-no">—</td><td class="time">},
  qq{</td><td class="last-error">2001 购买方名称与税号不符 $::XEsc<br><span class="hint">税务平台拒绝开具</span></td><td><form method="post" class="action retry" id="retry-3" action="/admin/invoices/3/retry"><input type="hidden" name="csrf" value="@{[ ::staff_csrf(3) ]}"><button type="submit">重新开具</button></form></td></tr>},
  q{<tr id="request-2" data-state="failed">}, q{<td class="last-error">连接税务平台超时（30 秒）</td><td><form}, q{id="retry-2"},
  q{<tr id="request-4" data-state="queued">}, q{<td class="invoice-state">待开具<br><span class="hint">下次发送 20},
  q{<tr id="request-1" data-state="issued">},
  q{<td class="invoice-no">043002600111 / 26000001<br><span class="hint">2026年12月07日 10:30</span></td>},
  q{<td class="last-error"></td><td></td></tr>}, q{<span id="total">4</span>})
--- response_body_unlike eval
qr{<script>alert|id="retry-[14]"}



=== TEST 2: the filters (state, order number, serial, invoice number, days), a bad state or date refused; the admin sees the queue; reviewer and shipper are refused and not shown the way
--- more_headers eval
[ ::as('finance'), ::as('finance'), ::as('finance'), ::as('finance'), ::as('finance'),
  ::as('finance'), ::as('finance'), ::as('admin'), ::as('reviewer'), ::as('shipper'),
  ::as('reviewer') ]
--- request eval
[ "GET /admin/invoices?state=failed", "GET /admin/invoices?q=$::O{queued}",
  "GET /admin/invoices?q=" . ::serial(2), "GET /admin/invoices?q=26000001",
  "GET /admin/invoices?from=2099-01-01", "GET /admin/invoices?state=lost",
  "GET /admin/invoices?to=2026-02-30", "GET /admin/invoices", "GET /admin/invoices",
  "GET /admin/invoices", "GET /admin/orders" ]
--- error_code eval
[200, 200, 200, 200, 200, 422, 400, 200, 403, 403, 200]
--- response_body_like eval
[ qr{(?s)<li class="current"><a href="/admin/invoices\?state=failed" data-state="failed">.*id="request-3".*id="request-2".*<span id="total">2</span>},
  qr{(?s)data-state="queued">待开具 <span class="count">1</span>.*data-state="failed">开具失败 <span class="count">0</span>.*id="request-4".*<span id="total">1</span>},
  qr{(?s)id="request-2".*<span id="total">1</span>},
  qr{(?s)id="request-1".*<span id="total">1</span>},
  qr{(?s)id="no-invoices">没有符合条件的开票请求.*<span id="total">0</span>},
  qr{data-code="invalid_state">请选择正确的发票状态},
  ::error_page('请按 2026年12月7日 或 2026-12-07 的格式填写排队日期。'),
  qr{(?s)<a href="/admin/invoices">发票</a>.*id="request-1"},
  ::error_page('您没有权限访问此页面（需要：财务或管理员）。'),
  ::error_page('您没有权限访问此页面（需要：财务或管理员）。'),
  qr{<nav><a href="/admin/orders">订单</a> <a href="/admin/password">} ]
--- response_body_unlike eval
[ qr{id="request-[14]"}, qr{id="request-[123]"}, qr{id="request-[134]"}, qr{id="request-[234]"},
  qr{id="request-}, qr{id="request-}, qr{id="request-}, qr{.^}, qr{id="request-}, qr{id="request-},
  qr{/admin/invoices} ]



=== TEST 3: 重新开具 refused: a reviewer, a stale form, a request not failed, none such; finance retries the timed-out one from the queue
--- more_headers eval
[ ::form('reviewer'), ::form('finance'), ::form('finance'), ::form('finance'), ::form('finance') ]
--- request eval
[ ::staff_post("/admin/invoices/$::R{failed}/retry", $::S{reviewer}),
  "POST /admin/invoices/$::R{failed}/retry\n" . ::form_body(csrf => 'stale'),
  ::staff_post("/admin/invoices/$::R{queued}/retry", $::S{finance}),
  ::staff_post("/admin/invoices/99999/retry", $::S{finance}),
  ::staff_post("/admin/invoices/$::R{failed}/retry", $::S{finance}) ]
--- error_code eval
[403, 403, 409, 404, 303]
--- response_body_like eval
[ ::error_page('您没有权限执行此操作（需要：财务或管理员）'),
  ::error_page('页面已过期，请刷新页面后重试'),
  qr{data-code="invoice_not_failed">该开票请求不是开具失败状态},
  qr{data-code="invoice_request_not_found">开票请求不存在}, qr{.*} ]
--- response_headers_like eval
[ "", "", "", "", "Location: (?:http://[^/]+)?/admin/invoices\\?done=retry" ]



=== TEST 4: (the block before) queued again with its serial, sends counted from 0, audited once; the queue says so; from the order page 重新开具 goes back to the order
--- init
::is(::request_state($::R{failed}), 'queued:0', 'the timed-out request is queued again');
::is(::sql_value("SELECT count(*) FROM invoice_requests WHERE order_id = " . ::quote($::O{failed})), 1,
     'no new request: the same serial');
::is(::audits('invoice_retry'), 1, 'one audit row');
::is(::request_state($::R{queued}), 'queued:0', 'the refused retry changed nothing');
--- more_headers eval
[ ::as('finance'), ::form('finance') ]
--- request eval
[ "GET /admin/invoices?done=retry&state=queued",
  ::staff_post("/admin/invoices/$::R{refused}/retry", $::S{finance}, back => 'order') ]
--- error_code eval
[200, 303]
--- response_body_like eval
[ qr{(?s)<p class="done" id="done">已重新排队.*id="request-4".*<tr id="request-2" data-state="queued">.*连接税务平台超时},
  qr{.*} ]
--- response_headers_like eval
[ "", "Location: (?:http://[^/]+)?/admin/orders/$::O{refused}\\?done=invoice-retry" ]



=== TEST 5: the order page's 电子发票: the request, its invoice and files, for every role; 冲红重开 with the current 开票信息 for finance only
--- more_headers eval
[ ::as('reviewer'), ::as('finance'), ::as('finance') ]
--- request eval
[ "GET /admin/orders/$::O{issued}", "GET /admin/orders/$::O{issued}",
  "GET /admin/orders/$::O{failed}" ]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[ qr{(?s)<section id="einvoice"><h3>电子发票</h3>\n<dl class="fields">\n<dt>当前发票</dt><dd id="current-invoice">043002600111 / 26000001</dd>.*<table id="invoice-requests">.*<tr id="invoice-request-1" data-kind="blue" data-state="issued"><td class="serial">CH000000000000000001</td><td>蓝字<br><span class="hint">系统 \d{4}年.*<td class="title">湖南示例科技有限公司<br><span class="hint">91350100M000100Y43</span><br><span class="hint">a\@example.com</span></td>.*<td class="invoice-no">043002600111 / 26000001<br><span class="hint">2026年12月07日 10:30，已发送至 a\@example.com</span></td><td class="files"> <a class="invoice-file" href="/admin/invoices/1/pdf">PDF</a> <a class="invoice-file" href="/admin/invoices/1/request">请求 XML</a> <a class="invoice-file" href="/admin/invoices/1/answer">应答 XML</a></td>.*<details class="history" id="invoice-sends"><summary>发送记录（1 次）</summary>.*<tr data-outcome="issued"><td>CH000000000000000001</td><td>第 1 次</td>.*<td>已开具</td><td>已开具：发票代码 043002600111 号码 26000001</td>},
  qr{(?s)<section id="einvoice">.*<form method="post" class="action" id="form-invoice-correct" action="/admin/orders/$::O{issued}/invoice-correct">\n<h4>冲红重开</h4>\n<input type="hidden" name="csrf" value="StaffCsrf3y+">.*<option value="org" selected>单位</option>.*name="title" required maxlength="100" value="湖南示例科技有限公司".*name="reason" required},
  qr{(?s)<tr id="invoice-request-2" data-kind="blue" data-state="queued">.*<td class="invoice-state">待开具<br><span class="hint">下次发送 .*<span class="last-error">连接税务平台超时（30 秒）</span>.*<tr data-outcome="error"><td>CH000000000000000002</td><td>第 1 次</td>.*<td>发送失败</td><td>连接税务平台超时（30 秒）</td>} ]
--- response_body_unlike eval
[ qr{form-invoice-correct}, qr{.^}, qr{form-invoice-correct|id="retry-} ]



=== TEST 6: the files, for any staff: the PDF and both XML with their exact bytes, to be saved
--- more_headers eval
[ ::as('reviewer'), ::as('shipper'), ::as('finance') ]
--- request eval
[ "GET /admin/invoices/1/pdf", "GET /admin/invoices/1/request", "GET /admin/invoices/1/answer" ]
--- error_code eval
[200, 200, 200]
--- response_body eval
[ $::Pdf, $::ReqXml, $::AnsXml ]
--- response_headers_like eval
[ "Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"einvoice\\.pdf\"; filename\\*=UTF-8''%E7%94%B5%E5%AD%90%E5%8F%91%E7%A5%A8_26000001\\.pdf\nX-Content-Type-Options: nosniff",
  "Content-Type: application/xml\nContent-Disposition: attachment; filename=\"request\\.xml\"; filename\\*=UTF-8''.*_CH000000000000000001\\.xml",
  "Content-Type: application/xml" ]



=== TEST 7: no file before the invoice is issued, none of another kind; without a session: to the login
--- more_headers eval
[ ::as('finance'), ::as('finance'), "X-No-Session: 1" ]
--- request eval
[ "GET /admin/invoices/$::R{queued}/pdf", "GET /admin/invoices/1/zip", "GET /admin/invoices/1/pdf" ]
--- error_code eval
[404, 404, 303]
--- response_body_like eval
[ qr{data-code="invoice_not_issued">发票尚未开具}, qr{<p class="error" id="error">文件不存在。}, qr{^} ]
--- response_headers_like eval
[ "", "", "Location: (?:http://[^/]+)?/admin/login\\?next=/invoices/1/pdf" ]



=== TEST 8: 冲红重开 refused: a reviewer, a taxpayer number that is none, no reason; then finance corrects the title
--- more_headers eval
[ ::form('reviewer'), ::form('finance'), ::form('finance'), ::form('finance') ]
--- request eval
[ map { ::staff_post("/admin/orders/$::O{issued}/invoice-correct", $::S{$_->[0]},
                     title_type => 'org', title => "湖南新单位有限公司 $::X",
                     taxpayer_id => $_->[1], email => 'new@example.com', mobile => '13900000001',
                     remark => '', reason => $_->[2]) }
  [reviewer => '91430100MA4L00000F', '抬头有误'], [finance => '123', '抬头有误'],
  [finance => '91430100MA4L00000F', ' '], [finance => '91430100MA4L00000F', '申请人来电：抬头应为新单位'] ]
--- error_code eval
[403, 422, 422, 303]
--- response_body_like eval
[ ::error_page('您没有权限执行此操作（需要：财务或管理员）'), qr{<p class="error" id="error">纳税人识别号},
  qr{data-code="reason_required">请填写更正原因}, qr{.*} ]
--- response_headers_like eval
[ "", "", "", "Location: (?:http://[^/]+)?/admin/orders/$::O{issued}\\?done=invoice-correct" ]



=== TEST 9: (the block before) a red request against the invoice, a new blue one waiting for it; the order stays 已完成 with the new 开票信息; audited; a second correction is refused; a request being sent shows until when its sender holds it
--- init
::is(::sql_value("SELECT string_agg(concat_ws(':', id, kind, state, buyer_name, next_try_at = 'infinity'), ' ' ORDER BY id)"
                 . " FROM invoice_requests WHERE order_id = " . ::quote($::O{issued})),
     "1:blue:issued:湖南示例科技有限公司:f 5:red:queued:湖南示例科技有限公司:f 6:blue:queued:湖南新单位有限公司 $::X:t",
     'the red one with the original\'s title, the new blue one waiting');
::is(::sql_value("SELECT o.state || ':' || i.title FROM orders o JOIN order_invoice i ON i.order_id = o.id"
                 . " WHERE o.id = " . ::quote($::O{issued})), "completed:湖南新单位有限公司 $::X",
     'completed, with the new title');
::is(::sql_value("SELECT detail FROM staff_audit WHERE action = 'invoice_correct'"), '申请人来电：抬头应为新单位',
     'audited once, with the reason');
# a run takes 14's request (and holds it until 10:35)
::sql("UPDATE invoice_requests SET state = 'sending', lease_token = 'run-2',"
      . " lease_until = '2026-12-07 10:35:00+08', attempts = 1, first_sent_at = now() WHERE id = $::R{queued}");
--- more_headers eval
[ ::as('finance'), ::form('finance'), ::as('admin'), ::as('finance') ]
--- request eval
[ "GET /admin/orders/$::O{issued}?done=invoice-correct",
  ::staff_post("/admin/orders/$::O{issued}/invoice-correct", $::S{finance}, title_type => 'org',
               title => '又一单位', taxpayer_id => '91430100MA4L00000F', email => 'a@example.com',
               mobile => '13900000001', reason => '再改'),
  "GET /admin/audit?action=invoice_correct", "GET /admin/invoices?state=sending" ]
--- error_code eval
[200, 409, 200, 200]
--- response_body_like eval
[ qr{(?s)<p class="done" id="done">已提交发票更正.*<tr id="invoice-request-5" data-kind="red" data-state="queued"><td class="serial">CH000000000000000005</td><td><span class="badge red">红字</span> 冲红 CH000000000000000001<br><span class="hint">财务 财务小王 .*<td class="money">-\d+\.\d\d</td>.*<tr id="invoice-request-6" data-kind="blue" data-state="queued">.*<td class="title">湖南新单位有限公司 \Q$::XEsc\E<br>.*<td class="invoice-state">等待红字发票开具</td>},
  qr{data-code="invoice_correction_open">该订单的发票更正正在进行中},
  qr{(?s)<td>发票冲红重开</td>.*申请人来电：抬头应为新单位},
  qr{(?s)<tr id="request-4" data-state="sending">.*<td class="invoice-state">开具中<br><span class="hint">已发送 1 次</span><br><span class="hint">租约至 2026年12月07日 10:35</span></td>.*<span id="total">1</span>} ]
--- response_body_unlike eval
[ qr{<script>alert|form-invoice-correct}, qr{.^}, qr{<script>alert}, qr{id="request-[12356]"} ]
