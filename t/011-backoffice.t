# The back office through nginx, fcgiwrap and PostgreSQL: staff login,
# lockout and logout; the queue (states, counts, filters, search, pages);
# the order page with the materials inline (X-Accel-Redirect); every staff
# action through the one state machine with its message to the applicant
# (who reads it through the API) and its audit row; each role's refusals;
# the form token; bulk approval; an applicant's markup shown escaped on
# every page; the texts applicants agree to, published by the admin with
# a preview, escaped, audited, and shown on the order page.  Runs inside
# t/bin/testenv.
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

our $Alice = '13800000011';
# an applicant's markup, where applicants write: the organisation's name,
# a file's name, and (from a reviewer) a reason
our $X = q{<script>alert("x")</script>&'};
our $XEsc = q{&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;};
our $XOrg = "湖南$X科技有限公司";
our $XFile = q{"><img src=x onerror=alert(1)>.jpg};
our $XFileEsc = q{&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.jpg};

# fixed order ids: requests are written before the blocks run
our %O = map { $_->[0] => sprintf('UO20261121000000%04d', $_->[1]) }
         [approve => 201], [reject => 202], [bulk1 => 203], [bulk2 => 204],
         [draft => 205], [transfer => 206], [refuse => 207], [express => 208],
         [pickup => 209], [roles => 210], [csrf => 211];
# material ids are fixed too: the identity restarts at 9001 and the
# approve order's files come first (its kinds in name order: 9001 is
# its application_form), then the transfer order's
our $FirstFile = 9001;

# sessions: 1 admin, 2 reviewer, 3 finance, 4 shipper
our %S = (admin => 1, reviewer => 2, finance => 3, shipper => 4);
# staff ids, in the order the members are made (reset_staff restarts at 101)
our %Id = (boss => 101, rev => 102, fin => 103, ship => 104, newbie => 105, xss => 106);

our $HttpConfig = hall_http_config(data_key => $KeyFile)
    . "    certhall_storage $Storage;\n";
our $Config = $API_LOCATION . admin_locations($Storage);

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("config", $Config) unless defined $block->config;
    $block->set_value("http_config", $HttpConfig) unless defined $block->http_config;
});

sub as { my $role = shift; return staff_cookie($S{$role}) }
sub act { my ($role, $order, $action, @kv) = @_;
          return staff_post("/admin/orders/$order/$action", $S{$role}, @kv) }
sub state { sql_value("SELECT state FROM orders WHERE id = " . quote(shift)) }
sub last_message {
    my ($row) = sql("SELECT title, body FROM messages WHERE order_id = " . quote(shift)
                    . " ORDER BY id DESC LIMIT 1");
    return $row;
}
sub audit_count {
    my ($action, $order) = @_;
    return sql_value("SELECT count(*) FROM staff_audit WHERE action = " . quote($action)
                     . ($order ? " AND order_id = " . quote($order) : ''));
}
sub staff_id { sql_value("SELECT id FROM staff WHERE login = " . quote(shift)) }
sub error_page {
    my ($message) = @_;
    return qr/<p class="error" id="error"[^>]*>\Q$message\E/;
}

run_tests();

__DATA__

=== TEST 1: without a session a page sends the browser to the login, which comes back to it
--- init
::reset_accounts();
::reset_staff();
system("rm -rf $::Storage/[0-9a-f][0-9a-f]");
::sql("ALTER TABLE materials ALTER COLUMN id RESTART WITH $::FirstFile");
::make_account($::Alice, 'alice123', verified => ['张三', '1101**********002X']);
::make_session($::Alice, 1);
my $admin = ::make_staff('boss', '管理员老周', ['admin']);
::is($admin, $::Id{boss}, 'staff ids as the requests expect');
my $rev = ::make_staff('rev', '审核员小李', ['reviewer']);
my $fin = ::make_staff('fin', '财务小王', ['finance']);
my $ship = ::make_staff('ship', '发货员小张', ['shipper']);
::staff_session('boss', 1);
::staff_session('rev', 2);
::staff_session('fin', 3);
::staff_session('ship', 4);
::order_at('pending_review', id => $::O{approve}, phone => $::Alice, org_name => $::XOrg,
         storage => $::Storage, file => $::Color, file_name => $::XFile, delivery => 'express');
::order_at('pending_review', id => $::O{transfer}, phone => $::Alice, pay => 'transfer',
         org_name => '湖南示例(长沙)科技有限公司', storage => $::Storage, file => $::Color);
::order_at('pending_review', id => $::O{reject}, phone => $::Alice);
::order_at('pending_review', id => $::O{bulk1}, phone => $::Alice);
::order_at('pending_review', id => $::O{bulk2}, phone => $::Alice);
::order_at('draft', id => $::O{draft}, phone => $::Alice);
::order_at('pending_review', id => $::O{refuse}, phone => $::Alice, pay => 'transfer');
::order_at('pending_shipment', id => $::O{express}, phone => $::Alice, delivery => 'express',
         reviewer => $rev);
::order_at('pending_shipment', id => $::O{pickup}, phone => $::Alice, reviewer => $rev);
::order_at('pending_review', id => $::O{roles}, phone => $::Alice);
::order_at('pending_review', id => $::O{csrf}, phone => $::Alice);
--- request
GET /admin/orders
--- error_code: 303
--- response_headers_like
Location: (?:http://[^/]+)?/admin/login\?next=/orders
Cache-Control: no-store



=== TEST 2: the login form carries a token that is also its cookie (scoped to the login page)
--- request
GET /admin/login?next=/orders
--- error_code: 200
--- response_headers_like
Set-Cookie: certhall_admin_login=([0-9a-f]{48}); Path=/admin/login; HttpOnly; SameSite=Strict
Content-Security-Policy: default-src 'self';.*frame-ancestors 'none'.*
X-Frame-Options: DENY
--- response_body_like chomp
(?s)<form method="post" action="/admin/login".*<input type="hidden" name="csrf" value="[0-9a-f]{48}">.*<input type="hidden" name="next" value="/orders">.*name="password" type="password"



=== TEST 3: the right password signs in: a session cookie scoped to /admin/, and back to where the login came from
--- more_headers
Cookie: certhall_admin_login=0123456789abcdef0123456789abcdef0123456789abcdef
Content-Type: application/x-www-form-urlencoded
--- request eval
"POST /admin/login\n" . ::form_body(csrf => '0123456789abcdef0123456789abcdef0123456789abcdef',
    next => '/orders', login => 'rev', password => 'staff-pass-123')
--- error_code: 303
--- response_headers_like
Location: (?:http://[^/]+)?/admin/orders
Set-Cookie: certhall_admin=[A-Za-z0-9_-]{43}; Path=/admin/; HttpOnly; SameSite=Strict, certhall_admin_login=; Path=/admin/login; HttpOnly; SameSite=Strict; Max-Age=0



=== TEST 4: (the block before) the session and the login are recorded; a login without the form's cookie is refused
--- init
::is(::sql_value("SELECT count(*) FROM staff_sessions WHERE staff_id = " . ::staff_id('rev')
             . " AND ended_at IS NULL"), 2, 'a second live session for rev');
::is(::sql_value("SELECT count(*) FROM staff_audit WHERE action = 'login' AND staff_id = "
             . ::staff_id('rev')), 1, 'the login is in the audit trail');
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request eval
"POST /admin/login\n" . ::form_body(csrf => '0123456789abcdef0123456789abcdef0123456789abcdef',
    login => 'rev', password => 'staff-pass-123')
--- error_code: 403
--- response_body_like chomp
页面已过期



=== TEST 5: wrong passwords lock the login at the fifth; then even the right one is refused; unknown logins get the same answer
--- more_headers
Cookie: certhall_admin_login=0123456789abcdef0123456789abcdef0123456789abcdef
Content-Type: application/x-www-form-urlencoded
--- request eval
[ (map { "POST /admin/login\n" . ::form_body(csrf => '0123456789abcdef0123456789abcdef0123456789abcdef',
          login => 'fin', password => "wrong-pass-$_") } 1 .. 5),
  "POST /admin/login\n" . ::form_body(csrf => '0123456789abcdef0123456789abcdef0123456789abcdef',
          login => 'fin', password => 'staff-pass-123'),
  "POST /admin/login\n" . ::form_body(csrf => '0123456789abcdef0123456789abcdef0123456789abcdef',
          login => 'nobody', password => 'staff-pass-123') ]
--- error_code eval
[401, 401, 401, 401, 423, 423, 401]
--- response_body_like eval
[ ('用户名或密码错误') x 4, ('密码错误次数过多') x 2, '用户名或密码错误' ]



=== TEST 6: (the block before) the failures and the lock are in the audit trail; no session was made
--- init
::is(::audit_count('login_failed'), 6, 'six failed logins recorded (five wrong, one locked)');
::is(::sql_value("SELECT count(*) FROM staff_audit WHERE action = 'login_failed' AND staff_id IS NULL"
             . " AND login = 'nobody'"), 1, 'the unknown login is recorded as typed');
::is(::sql_value("SELECT count(*) FROM staff_sessions WHERE staff_id = " . ::staff_id('fin')), 1,
   'only the session made by the suite');
::sql("DELETE FROM staff_login_failures");
--- more_headers eval: ::as('reviewer')
--- request
GET /admin/
--- error_code: 200
--- response_body_like eval
[qr{(?s)<span id="staff">审核员小李（rev）</span>.*<li class="current"><a href="/admin/orders\?state=pending_review" data-state="pending_review">待审核 <span class="count">8</span>}]



=== TEST 7: the review queue: oldest waiting first, counts per state, the applicant's name escaped, a checkbox per order for the reviewer
--- more_headers eval: ::as('reviewer')
--- request
GET /admin/orders?state=pending_review
--- error_code: 200
--- response_body_like eval
# the orders in review, in the order TEST 1 made them (the oldest first);
# fixed here: this runs before any block, on whatever the database holds
my @ids = @::O{qw(approve transfer reject bulk1 bulk2 refuse roles csrf)};
my $rows = CORE::join('.*', map { qq{<tr data-order="$_"><td><input type="checkbox" name="sel.$_" value="1" aria-label="选择订单 $_">} } @ids);
qr{(?s)^(?=.*data-state="draft">填写中 <span class="count">1</span>.*data-state="pending_shipment">待邮寄 <span class="count">2</span>)(?=.*$rows)(?=.*<td class="applicant">湖南\Q$::XEsc\E科技有限公司</td>)(?=.*<span id="total">8</span>)}
--- response_body_unlike
<script>alert



=== TEST 8: search: by a part of the organisation's name, by order number, by phone, by USCC
--- more_headers eval: ::as('shipper')
--- request eval
[ "GET /admin/orders?state=pending_review&q=" . Certhall::Admin::qs('示例(长沙)'),
  "GET /admin/orders?state=pending_shipment&q=$::O{pickup}",
  "GET /admin/orders?state=pending_review&q=$::Alice",
  "GET /admin/orders?state=pending_review&q=91350100M000100Y43",
  "GET /admin/orders?state=pending_review&q=91350100M000100Y44" ]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_body_like eval
[ qr{(?s)<tr data-order="$::O{transfer}">.*<span id="total">1</span>},
  qr{(?s)<tr data-order="$::O{pickup}">.*<span id="total">1</span>},
  qr{<span id="total">8</span>},
  qr{<span id="total">8</span>},
  qr{没有符合条件的订单.*<span id="total">0</span>}s ]



=== TEST 9: filters and pages: 20 to a page, the rest on the next, the filters kept in the links
--- init
for my $n (1 .. 22) {
    ::order_at('pending_review', id => sprintf('UO20261121000000%04d', 300 + $n), phone => $::Alice,
             project => 'hunan_ccgp');
}
--- more_headers eval: ::as('reviewer')
--- request eval
[ "GET /admin/orders?state=pending_review&project=hunan_ccgp",
  "GET /admin/orders?state=pending_review&project=hunan_ccgp&page=2",
  "GET /admin/orders?state=pending_review&project=hunan_ccgp&service=renew",
  "GET /admin/orders?state=pending_review&from=2000-01-01&to=2000-01-31",
  "GET /admin/orders?state=pending_review&from=yesterday" ]
--- error_code eval
[200, 200, 200, 200, 400]
--- response_body_like eval
[ qr{(?s)^(?!.*data-order="UO202611210000000321").*<tr data-order="UO202611210000000301">.*<tr data-order="UO202611210000000320">.*<span id="total">22</span> 条，第 1 / 2 页 <a rel="next" href="/admin/orders\?state=pending_review&amp;project=hunan_ccgp&amp;page=2">},
  qr{(?s)^(?!.*data-order="UO202611210000000320").*<tr data-order="UO202611210000000321">.*<tr data-order="UO202611210000000322">.*第 2 / 2 页 <a rel="prev"},
  qr{<span id="total">0</span>},
  qr{<span id="total">0</span>},
  qr{请按 2026年12月7日 或 2026-12-07 的格式填写提交日期。} ]



=== TEST 10: the order page: what the applicant entered, escaped; the materials inline; the forms of the reviewer's actions only
--- more_headers eval: ::as('reviewer')
--- request eval
"GET /admin/orders/$::O{approve}"
--- error_code: 200
--- response_body_like eval
my $f = $::FirstFile;
qr{(?s)<dd id="org-name">湖南\Q$::XEsc\E科技有限公司</dd>.*<dd id="uscc">91350100M000100Y43</dd>.*<section id="materials">.*<figure class="file" data-kind="application_form"><a href="/admin/orders/$::O{approve}/files/$f"><img src="/admin/orders/$::O{approve}/files/$f" alt="申请表".*<span class="name">\Q$::XFileEsc\E</span>.*<form method="post" class="action" id="form-approve" action="/admin/orders/$::O{approve}/approve">.*<input type="hidden" name="csrf" value="StaffCsrf2y+">.*id="form-reject".*name="kind.legal_id_front".*<table id="timeline">.*支付宝支付成功}
--- response_body_unlike eval
[qr{<script>alert|<img src=x|form-ship|form-voucher-confirm}]



=== TEST 11: a material through nginx: the file's bytes, its type, and headers that keep it inert
--- more_headers eval: ::as('finance')
--- request eval
"GET /admin/orders/$::O{approve}/files/$::FirstFile"
--- error_code: 200
--- response_headers eval
"Content-Type: image/jpeg
Content-Length: " . length($::Color) . "
X-Content-Type-Options: nosniff
Content-Security-Policy: sandbox; default-src 'none'
Cache-Control: private, no-store
Content-Disposition: inline; filename=\"material.jpg\"; filename*=UTF-8''%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.jpg
!X-Accel-Redirect"
--- response_body eval: $::Color



=== TEST 12: (the block before) the look is in the audit trail; another order's file is not reachable through this order
--- init
::is(::sql_value("SELECT count(*) FROM staff_audit WHERE action = 'file_view' AND order_id = "
             . ::quote($::O{approve}) . " AND subject = '$::FirstFile' AND staff_id = "
             . ::staff_id('fin')), 1, 'file_view recorded with the file and who');
--- more_headers eval: ::as('finance')
--- request eval
"GET /admin/orders/$::O{reject}/files/$::FirstFile"
--- error_code: 404



=== TEST 13: approve: 303 back to the order, which says so
--- more_headers eval: ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval: ::act('reviewer', $::O{approve}, 'approve')
--- error_code: 303
--- response_headers_like eval
"Location: (?:http://[^/]+)?/admin/orders/$::O{approve}\\?done=approve"



=== TEST 14: (the block before) pending_shipment, the event names the reviewer, the applicant has the message, the audit has before and after; approving again is 409
--- init
::is(::state($::O{approve}), 'pending_shipment', 'approved');
::is(::sql_value("SELECT actor_kind || ':' || actor_id FROM order_events WHERE order_id = "
             . ::quote($::O{approve}) . " ORDER BY id DESC LIMIT 1"), 'reviewer:' . ::staff_id('rev'),
   'the event names the reviewer');
::is(::last_message($::O{approve})->[0], '审核已通过', "the applicant's message");
::is(::sql_value("SELECT before::text || ' ' || after::text FROM staff_audit WHERE action = 'approve'"
             . " AND order_id = " . ::quote($::O{approve})),
   '{"state": "pending_review"} {"state": "pending_shipment"}', 'audit before and after');
--- more_headers eval: ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval: ::act('reviewer', $::O{approve}, 'approve')
--- error_code: 409
--- response_body_like eval
::error_page('订单当前状态为“待邮寄”，不能执行此操作')



=== TEST 15: the applicant sees the approval in their messages through the API
--- more_headers eval: "Cookie: certhall_session=" . ::session_token(1)
--- request
GET /api/messages
--- error_code: 200
--- response_body_like eval
qr{"title" ?: ?"审核已通过"}



=== TEST 16: each role only its own actions: 403 and nothing changes
--- more_headers eval: [ map { ::as($_) . "\nContent-Type: application/x-www-form-urlencoded" } qw(shipper finance reviewer reviewer finance admin) ]
--- request eval
[ ::act('shipper', $::O{roles}, 'approve'),
  ::act('finance', $::O{roles}, 'reject', reason => '不清晰'),
  ::act('reviewer', $::O{express}, 'ship', courier => 'sf', tracking_no => 'SF1234567890'),
  ::act('reviewer', $::O{transfer}, 'voucher-confirm', payer => '湖南示例(长沙)科技有限公司', amount => '300'),
  ::act('finance', $::O{express}, 'certificate', serial => 'ABCDEF0123456789', valid_from => '2026-11-21', valid_to => '2028-11-20'),
  ::act('admin', $::O{roles}, 'approve') ]
--- error_code eval
[403, 403, 403, 403, 403, 403]
--- response_body_like eval
[ ::error_page('您没有权限执行此操作（需要：审核员）'), ::error_page('您没有权限执行此操作（需要：审核员）'),
  ::error_page('您没有权限执行此操作（需要：发货员）'), ::error_page('您没有权限执行此操作（需要：财务）'),
  ::error_page('您没有权限执行此操作（需要：发货员）'), ::error_page('您没有权限执行此操作（需要：审核员）') ]



=== TEST 17: (the block before) nothing changed; pages of the admin role are 403 to others
--- init
::is(::state($::O{roles}), 'pending_review', 'still in review');
::is(::state($::O{express}), 'pending_shipment', 'not shipped');
::is(::sql_value("SELECT count(*) FROM certificates WHERE order_id = " . ::quote($::O{express})), 0, 'no certificate');
::is(::sql_value("SELECT count(*) FROM voucher_reviews"), 0, 'no voucher judged');
--- more_headers eval: [ ::as('reviewer'), ::as('shipper') ]
--- request eval
[ "GET /admin/audit", "GET /admin/staff" ]
--- error_code eval
[403, 403]
--- response_body_like eval
[ ::error_page('您没有权限访问此页面（需要：管理员）'), ::error_page('您没有权限访问此页面（需要：管理员）') ]



=== TEST 18: the form token: missing, wrong, or a post from another site's page is 403
--- more_headers eval
[ ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded",
  ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded",
  ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded\nOrigin: http://evil.example" ]
--- request eval
[ "POST /admin/orders/$::O{csrf}/approve\n",
  "POST /admin/orders/$::O{csrf}/approve\n" . ::form_body(csrf => ::staff_csrf(3)),
  ::act('reviewer', $::O{csrf}, 'approve') ]
--- error_code eval
[403, 403, 403]
--- response_body_like eval
[ ::error_page('页面已过期，请刷新页面后重试'), ::error_page('页面已过期，请刷新页面后重试'),
  ::error_page('请求来源不是本系统的页面，操作已拒绝。') ]



=== TEST 19: (the block before) still in review, nothing in the audit trail; reject needs a reason
--- init
::is(::state($::O{csrf}), 'pending_review', 'still in review');
::is(::audit_count('approve', $::O{csrf}), 0, 'nothing recorded');
--- more_headers eval: ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval: ::act('reviewer', $::O{reject}, 'reject', 'kind.legal_id_front' => 1, reason => " \xe3\x80\x80 ")
--- error_code: 422
--- response_body_like eval
::error_page('请填写审核不通过的原因')



=== TEST 19a: an action is one statement, its function checking the session; a refusal still answers as the session check always did first: an ended session 401 (also for a form the page refuses), a wrong token 403 before the form's 422, a role refused with the staff member's navigation
--- more_headers eval
[ ::staff_cookie(99) . "\nContent-Type: application/x-www-form-urlencoded",
  ::staff_cookie(99) . "\nContent-Type: application/x-www-form-urlencoded",
  ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded",
  ::as('finance') . "\nContent-Type: application/x-www-form-urlencoded" ]
--- request eval
[ ::staff_post("/admin/orders/$::O{csrf}/approve", 99),
  ::staff_post("/admin/orders/$::O{transfer}/voucher-confirm", 99, payer => '某人', amount => 'abc'),
  "POST /admin/orders/$::O{csrf}/certificate\n"
      . ::form_body(csrf => ::staff_csrf(3), serial => 'ABCDEF0123456789', valid_from => '2026-13-45',
                    valid_to => '2028-11-20'),
  ::act('finance', $::O{csrf}, 'approve') ]
--- error_code eval
[401, 401, 403, 403]
--- response_body_like eval
[ qr{(?s)^(?!.*<nav>).*<p class="error" id="error"[^>]*>登录已过期，请重新登录后再操作。},
  qr{(?s)^(?!.*<nav>).*<p class="error" id="error"[^>]*>登录已过期，请重新登录后再操作。},
  qr{(?s)^(?!.*<nav>).*<p class="error" id="error"[^>]*>页面已过期，请刷新页面后重试},
  qr{(?s)<span id="staff">.*<p class="error" id="error"[^>]*>您没有权限执行此操作（需要：审核员）} ]



=== TEST 19b: (the block before) nothing changed
--- init
::is(::state($::O{csrf}), 'pending_review', 'still in review');
::is(::audit_count('approve', $::O{csrf}), 0, 'nothing recorded');
::is(::sql_value("SELECT count(*) FROM voucher_reviews"), 0, 'no voucher judged');
--- more_headers eval: ::as('reviewer')
--- request eval: "GET /admin/orders/$::O{csrf}"
--- error_code: 200
--- response_body_like eval
qr{<span id="staff">}



=== TEST 20: reject with a reason and the materials to upload again
--- more_headers eval: ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
::act('reviewer', $::O{reject}, 'reject', 'kind.legal_id_front' => 1, 'kind.business_license' => 1,
      reason => "照片模糊$::X")
--- error_code: 303
--- response_headers_like eval
"Location: (?:http://[^/]+)?/admin/orders/$::O{reject}\\?done=reject"



=== TEST 21: (the block before) rejected; the message and the timeline give the reason and name the materials in their order
--- init
::is(::state($::O{reject}), 'rejected', 'rejected');
my $reason = "照片模糊$::X（需重新上传：法人身份证正面、营业执照）";
::is(::sql_value("SELECT reason FROM order_events WHERE order_id = " . ::quote($::O{reject})
             . " ORDER BY id DESC LIMIT 1"), $reason, 'the reason, with the materials');
::is(::last_message($::O{reject})->[1], "您的订单$::O{reject}审核未通过，原因：$reason。请修改资料后重新提交。",
   "the applicant's message");
::is(::sql_value("SELECT array_to_string(kinds, ',') FROM order_rejections WHERE order_id = "
             . ::quote($::O{reject})), 'legal_id_front,business_license', 'the kinds kept');
--- more_headers eval: "Cookie: certhall_session=" . ::session_token(1)
--- request eval: "GET /api/orders/$::O{reject}"
--- error_code: 200
--- response_body_like eval
my $r = "照片模糊$::X（需重新上传：法人身份证正面、营业执照）";
$r =~ s/"/\\"/g;
qr{"reason" ?: ?"\Q$r\E"}



=== TEST 22: the reviewer's reason is shown escaped on the order page
--- more_headers eval: ::as('shipper')
--- request eval: "GET /admin/orders/$::O{reject}"
--- error_code: 200
--- response_body_like eval
qr{<td class="reason">照片模糊\Q$::XEsc\E（需重新上传：法人身份证正面、营业执照）</td>}
--- response_body_unlike
<script>alert



=== TEST 23: bulk approve: each order on its own; one that is not in review is reported and stops nothing
--- more_headers eval: ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
::staff_post('/admin/orders/approve', 2, "sel.$::O{bulk1}" => 1, "sel.$::O{draft}" => 1, "sel.$::O{bulk2}" => 1)
--- error_code: 200
--- response_body_like eval
qr{(?s)审核通过 <span id="bulk-ok">2</span> 个，未通过 <span id="bulk-failed">1</span> 个.*<tr data-order="$::O{draft}" class="failed">.*订单当前状态为“填写中”，不能执行此操作}



=== TEST 24: (the block before) two approved, with their messages and audit rows; the draft is as it was; a shipper cannot bulk approve
--- init
::is(::state($::O{bulk1}), 'pending_shipment', 'bulk1 approved');
::is(::state($::O{bulk2}), 'pending_shipment', 'bulk2 approved');
::is(::state($::O{draft}), 'draft', 'the draft untouched');
::is(::audit_count('approve', $::O{bulk1}) + ::audit_count('approve', $::O{bulk2}), 2, 'two audit rows');
::is(::last_message($::O{bulk2})->[0], '审核已通过', 'bulk2 message');
--- more_headers eval: ::as('shipper') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
::staff_post('/admin/orders/approve', 4, "sel.$::O{roles}" => 1)
--- error_code: 403



=== TEST 25: a transfer's order cannot be approved before finance confirms the voucher
--- more_headers eval: ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval: ::act('reviewer', $::O{transfer}, 'approve')
--- error_code: 409
--- response_body_like eval
::error_page('转账凭证尚未经财务确认，不能审核通过')



=== TEST 26: finance: the payer must be the applicant, the amount the order's, written as money
--- more_headers eval: ::as('finance') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
[ ::act('finance', $::O{transfer}, 'voucher-confirm', payer => '长沙别的公司', amount => '300.00'),
  ::act('finance', $::O{transfer}, 'voucher-confirm', payer => '湖南示例(长沙)科技有限公司',
        amount => '299.99'),
  ::act('finance', $::O{transfer}, 'voucher-confirm', payer => '湖南示例(长沙)科技有限公司',
        amount => '三百') ]
--- error_code eval
[422, 422, 422]
--- response_body_like eval
[ qr{付款单位名称与申请单位名称不一致（申请单位：湖南示例\(长沙\)科技有限公司）},
  qr{data-code="amount_mismatch"},
  ::error_page('到账金额格式不正确，请按凭证填写，如 300.00。') ]



=== TEST 27: (the block before) nothing judged; the voucher on the order page, then confirmed with full-width brackets and blanks as on the slip
--- init
::is(::sql_value("SELECT count(*) FROM voucher_reviews"), 0, 'nothing judged');
--- more_headers eval: ::as('finance') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
my $fen = ::sql_value("SELECT price_fen FROM project_services WHERE project_code = 'xiangtan_ggzy'"
                    . " AND service = 'new' AND cert_type = 'org'");
::act('finance', $::O{transfer}, 'voucher-confirm', payer => ' 湖南示例（长沙）科技 有限公司',
      amount => sprintf('¥%d.%02d', int($fen / 100), $fen % 100))
--- error_code: 303



=== TEST 28: (the block before) confirmed, by whom, for how much; the order page says so and shows the voucher
--- init
::is(::sql_value("SELECT decision || ':' || staff_id FROM voucher_reviews WHERE order_id = "
             . ::quote($::O{transfer})), 'confirmed:' . ::staff_id('fin'), 'confirmed by fin');
::is(::state($::O{transfer}), 'pending_review', 'the state does not move');
::is(::audit_count('voucher_confirm', $::O{transfer}), 1, 'audit row');
--- more_headers eval: ::as('reviewer')
--- request eval: "GET /admin/orders/$::O{transfer}"
--- error_code: 200
--- response_body_like eval
qr{(?s)<dd id="voucher-state">财务已确认</dd>.*<div id="voucher"><figure class="file" data-kind="transfer_voucher">.*id="form-approve"}



=== TEST 29: now the reviewer approves it; finance refuses another voucher with a reason
--- more_headers eval
[ ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded",
  ::as('finance') . "\nContent-Type: application/x-www-form-urlencoded" ]
--- request eval
[ ::act('reviewer', $::O{transfer}, 'approve'),
  ::act('finance', $::O{refuse}, 'voucher-refuse', reason => '付款单位与申请单位不一致') ]
--- error_code eval
[303, 303]



=== TEST 30: (the block before) the states, and the applicant's message about the voucher
--- init
::is(::state($::O{transfer}), 'pending_shipment', 'approved after the confirmation');
::is(::state($::O{refuse}), 'pending_voucher', 'the voucher went back');
::is(::last_message($::O{refuse})->[1],
   "您的订单$::O{refuse}的转账凭证未通过财务审核，原因：付款单位与申请单位不一致。请重新上传转账凭证。",
   "the applicant's message");
::is(::sql_value("SELECT decision FROM voucher_reviews WHERE order_id = " . ::quote($::O{refuse})),
   'refused', 'recorded as refused');
--- more_headers eval: ::as('shipper') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
[ ::act('shipper', $::O{express}, 'ship', courier => 'sf', tracking_no => 'SF1234567890'),
  ::act('shipper', $::O{express}, 'certificate', serial => 'xyz', valid_from => '2026-11-21',
        valid_to => '2028-11-20'),
  ::act('shipper', $::O{express}, 'certificate', serial => 'abcdef0123456789',
        valid_from => '2026-11-21', valid_to => '2026-11-20') ]
--- error_code eval
[409, 422, 422]
--- response_body_like eval
[ ::error_page('请先登记签发的证书'), qr{data-code="invalid_serial"}, qr{data-code="invalid_validity"} ]



=== TEST 31: the shipper records the certificate, then the courier and number; bad ones are refused
--- more_headers eval: ::as('shipper') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
[ ::act('shipper', $::O{express}, 'certificate', serial => ' abcdef0123456789 ',
        valid_from => '2026-11-21', valid_to => '2028-11-20'),
  ::act('shipper', $::O{express}, 'ship', courier => 'pigeon', tracking_no => 'SF1234567890'),
  ::act('shipper', $::O{express}, 'ship', courier => 'sf', tracking_no => 'SF 123'),
  ::act('shipper', $::O{express}, 'ship', courier => 'sf', tracking_no => 'sf1234567890'),
  ::act('shipper', $::O{pickup}, 'ship', courier => 'sf', tracking_no => 'SF1234567891') ]
--- error_code eval
[303, 422, 422, 303, 409]
--- response_body_like eval
[ qr{^$}, qr{data-code="unknown_courier"}, qr{data-code="invalid_tracking_no"}, qr{^$},
  ::error_page('该订单选择受理点自取，请登记自取') ]



=== TEST 32: (the block before) shipped; the certificate is the order's, for later renewals; the message names the courier and number
--- init
::is(::state($::O{express}), 'shipped', 'shipped');
::is(::sql_value("SELECT serial || ' ' || to_char(valid_from AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
             . " || ' ' || to_char(valid_to AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
             . " FROM certificates WHERE order_id = " . ::quote($::O{express})),
   'ABCDEF0123456789 2026-11-21 00:00:00 2028-11-20 23:59:59', 'the certificate, upper-cased, whole days');
::is(::sql_value("SELECT c.account_id = o.account_id FROM certificates c JOIN orders o ON o.id = c.order_id"
             . " WHERE c.order_id = " . ::quote($::O{express})), 't', "the applicant's certificate");
::like(::last_message($::O{express})->[1], qr/（快递：顺丰速运 SF1234567890）/, 'the message names them as the courier and number');
::is(::audit_count('ship', $::O{express}), 1, 'audit: ship');
::is(::audit_count('certificate', $::O{express}), 1, 'audit: certificate');
--- more_headers eval: ::as('shipper') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
[ ::act('shipper', $::O{pickup}, 'pickup', picked_up_by => '李四'),
  ::act('shipper', $::O{pickup}, 'certificate', serial => '0011223344556677',
        valid_from => '2026-11-21', valid_to => '2027-11-20'),
  ::act('shipper', $::O{pickup}, 'pickup', picked_up_by => '李四') ]
--- error_code eval
[409, 303, 303]



=== TEST 33: (the block before) picked up: pending_invoice, and the shipped order's page shows it all to staff: 物流状态 with the 运单号 linking to the courier's page, the date of the automatic confirmation
--- init
::is(::state($::O{pickup}), 'pending_invoice', 'picked up');
::is(::last_message($::O{pickup})->[0], '证书已领取', 'the applicant is told');
::is(::sql_value("SELECT picked_up_by FROM order_shipments WHERE order_id = " . ::quote($::O{pickup})),
   '李四', 'who fetched it');
--- more_headers eval: ::as('reviewer')
--- request eval: "GET /admin/orders/$::O{express}"
--- error_code: 200
--- response_body_like eval
qr{(?s)<dd id="state">待收货</dd>.*<h3>物流状态</h3>.*<dd id="courier">顺丰速运</dd>.*<dd id="tracking-no"><a href="https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890" target="_blank" rel="noopener noreferrer">SF1234567890</a></dd>.*<dd id="auto-confirm-on">\d{4}年\d\d月\d\d日</dd>.*<dd id="cert-serial">ABCDEF0123456789</dd>.*<p class="empty">当前状态下您没有可执行的操作。</p>.*快递寄出.*发货员 发货员小张</td><td class="reason">快递：顺丰速运 SF1234567890</td>}



=== TEST 34: the audit trail: every action above, newest first, escaped; filtered by action
--- more_headers eval: ::as('admin')
--- request eval
[ "GET /admin/audit", "GET /admin/audit?action=approve" ]
--- error_code eval
[200, 200]
--- response_body_like eval
[ qr{(?s)<table[^>]* id="audit".*data-action="pickup".*data-action="ship".*data-action="voucher_confirm".*data-action="reject".*照片模糊\Q$::XEsc\E.*data-action="approve".*data-action="file_view".*data-action="login_failed".*data-action="login"},
  qr{(?s)^(?!.*data-action="(?!approve")).*data-action="approve"} ]
--- response_body_unlike
<script>alert



=== TEST 35: (the block before) the trail cannot be changed or removed
--- init
my $rows = ::sql_value("SELECT count(*) || ':' || sum(length(coalesce(detail, ''))) FROM staff_audit");
::ok(!eval { ::sql("UPDATE staff_audit SET detail = 'edited'"); 1 }, 'UPDATE refused');
::ok(!eval { ::sql("DELETE FROM staff_audit"); 1 }, 'DELETE refused');
::is(::sql_value("SELECT count(*) || ':' || sum(length(coalesce(detail, ''))) FROM staff_audit"), $rows,
   'every row as it was');
--- more_headers eval: ::as('admin') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
::staff_post('/admin/staff', 1, login => 'newbie', name => '新同事', 'role.reviewer' => 1,
           password => 'newbie-pass-2026', password2 => 'newbie-pass-2026')
--- error_code: 303



=== TEST 36: (the block before) the admin made a reviewer, who signs in with the password given
--- init
::is(::sql_value("SELECT string_agg(g.role, ',') FROM staff s JOIN staff_grants g ON g.staff_id = s.id"
             . " WHERE s.login = 'newbie'"), 'reviewer', 'a reviewer');
::is(::audit_count('staff_create'), 1, 'audit: staff_create');
--- more_headers
Cookie: certhall_admin_login=0123456789abcdef0123456789abcdef0123456789abcdef
Content-Type: application/x-www-form-urlencoded
--- request eval
"POST /admin/login\n" . ::form_body(csrf => '0123456789abcdef0123456789abcdef0123456789abcdef',
    login => 'newbie', password => 'newbie-pass-2026')
--- error_code: 303
--- response_headers_like
Location: (?:http://[^/]+)?/admin/
Set-Cookie: certhall_admin=[A-Za-z0-9_-]{43}; .*



=== TEST 37: a non-admin cannot make staff; logout ends the session and clears the cookie
--- more_headers eval
[ ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded",
  ::as('finance') . "\nContent-Type: application/x-www-form-urlencoded" ]
--- request eval
[ ::staff_post('/admin/staff', 2, login => 'sneaky', name => '某人', 'role.admin' => 1,
             password => 'sneaky-pass-2026', password2 => 'sneaky-pass-2026'),
  ::staff_post('/admin/logout', 3) ]
--- error_code eval
[403, 303]
--- response_headers_like eval
[ "", "Set-Cookie: certhall_admin=; Path=/admin/; HttpOnly; SameSite=Strict; Max-Age=0" ]



=== TEST 38: (the block before) no such staff member; the ended session no longer opens a page
--- init
::is(::sql_value("SELECT count(*) FROM staff WHERE login = 'sneaky'"), 0, 'not created');
::is(::sql_value("SELECT ended_why FROM staff_sessions WHERE token_hash = sha256(convert_to("
             . ::quote(::staff_token(3)) . ", 'UTF8'))"), 'logout', 'ended');
::is(::audit_count('logout'), 1, 'audit: logout');
--- more_headers eval: ::as('finance')
--- request
GET /admin/orders
--- error_code: 303
--- response_headers_like
Location: (?:http://[^/]+)?/admin/login\?next=/orders



=== TEST 39: the admin deactivates a member, which ends their sessions; no admin may demote themselves
--- init
::staff_session('newbie', 5);
--- more_headers eval: ::as('admin') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
[ ::staff_post("/admin/staff/$::Id{newbie}", 1, name => '新同事', 'role.reviewer' => 1),
  ::staff_post("/admin/staff/$::Id{boss}", 1, name => '管理员老周', 'role.reviewer' => 1,
               active => 1) ]
--- error_code eval
[303, 409]
--- response_body_like eval
[ qr{^$}, qr{data-code="cannot_demote_self"} ]



=== TEST 40: (the block before) newbie is inactive and signed out; boss keeps the admin role; the change is audited with before and after
--- init
::is(::sql_value("SELECT active FROM staff WHERE login = 'newbie'"), 'f', 'inactive');
::is(::sql_value("SELECT count(*) FROM staff_sessions WHERE staff_id = " . ::staff_id('newbie')
               . " AND ended_at IS NULL"), 0, 'no live session left');
::is(::sql_value("SELECT string_agg(role, ',') FROM staff_grants WHERE staff_id = " . ::staff_id('boss')),
   'admin', 'boss is still admin');
::like(::sql_value("SELECT before::text || ' -> ' || after::text FROM staff_audit WHERE action = 'staff_update'"
                 . " AND subject = 'newbie'"), qr/"active": true.* -> .*"active": false/,
     'before and after');
--- more_headers eval: ::staff_cookie(5)
--- request
GET /admin/orders
--- error_code: 303



=== TEST 41: changing one's own password needs the current one; then the new one signs in and the other sessions end
--- init
::staff_session('ship', 6);
--- more_headers eval: ::as('shipper') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
[ ::staff_post('/admin/password', 4, current => 'not-my-pass-1', password => 'ship-new-pass-2026',
               password2 => 'ship-new-pass-2026'),
  ::staff_post('/admin/password', 4, current => 'staff-pass-123', password => 'short1',
               password2 => 'short1'),
  ::staff_post('/admin/password', 4, current => 'staff-pass-123', password => 'ship-new-pass-2026',
               password2 => 'ship-new-pass-2026') ]
--- error_code eval
[422, 422, 303]



=== TEST 42: (the block before) the new password, the other session ended, this one kept; the old password no longer signs in
--- init
::is(::sql_value("SELECT ended_why FROM staff_sessions WHERE token_hash = sha256(convert_to("
               . ::quote(::staff_token(6)) . ", 'UTF8'))"), 'password_changed', 'the other session ended');
::is(::sql_value("SELECT ended_at IS NULL FROM staff_sessions WHERE token_hash = sha256(convert_to("
               . ::quote(::staff_token(4)) . ", 'UTF8'))"), 't', 'this one kept');
--- more_headers
Cookie: certhall_admin_login=0123456789abcdef0123456789abcdef0123456789abcdef
Content-Type: application/x-www-form-urlencoded
--- request eval
[ "POST /admin/login\n" . ::form_body(csrf => '0123456789abcdef0123456789abcdef0123456789abcdef',
      login => 'ship', password => 'staff-pass-123'),
  "POST /admin/login\n" . ::form_body(csrf => '0123456789abcdef0123456789abcdef0123456789abcdef',
      login => 'ship', password => 'ship-new-pass-2026') ]
--- error_code eval
[401, 303]



=== TEST 43: the audit trail filtered by a member and by an order; a day that does not exist is a 400, not an error
--- more_headers eval: ::as('admin')
--- request eval
[ "GET /admin/audit?staff=$::Id{fin}",
  "GET /admin/audit?order=$::O{express}",
  "GET /admin/audit?from=2026-02-30",
  "GET /admin/orders?from=2026-02-30" ]
--- error_code eval
[200, 200, 400, 400]
--- response_body_like eval
[ qr{(?s)^(?=.*data-action="voucher_confirm")(?=.*data-action="voucher_refuse")(?!.*data-action="(?:approve|ship|reject|pickup)")},
  qr{(?s)^(?=.*data-action="certificate")(?=.*data-action="ship")(?!.*data-action="(?:approve|voucher_confirm|reject|pickup)")},
  qr{class="error" id="error">请按 2026年12月7日 或 2026-12-07 的格式填写日期。}, qr{请按 2026年12月7日 或 2026-12-07 的格式填写提交日期。} ]



=== TEST 44: the staff page lists the members with their roles, escaped; the admin resets a password
--- init
::make_staff('xss', $::X, ['shipper']);
--- more_headers eval: [ ::as('admin'), ::as('admin') . "\nContent-Type: application/x-www-form-urlencoded" ]
--- request eval
[ "GET /admin/staff",
  ::staff_post("/admin/staff/$::Id{fin}/password", 1, password => 'fin-reset-2026x',
               password2 => 'fin-reset-2026x') ]
--- error_code eval
[200, 303]
--- response_body_like eval
[ qr{(?s)<table[^>]* id="staff-list".*data-login="xss".*\Q$::XEsc\E}, qr{^$} ]
--- response_body_unlike eval
[ qr{<script>alert}, qr{<script>alert} ]



=== TEST 45: (the block before) the reset is audited; the new password signs in
--- init
::is(::audit_count('staff_password'), 2, 'audit: two password changes');
--- more_headers
Cookie: certhall_admin_login=0123456789abcdef0123456789abcdef0123456789abcdef
Content-Type: application/x-www-form-urlencoded
--- request eval
"POST /admin/login\n" . ::form_body(csrf => '0123456789abcdef0123456789abcdef0123456789abcdef',
    login => 'fin', password => 'fin-reset-2026x')
--- error_code: 303



=== TEST 46: a checkbox group's names go into an array literal only as plain codes: anything that could add an element is refused
--- more_headers eval: [ (::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded") x 2, ::as('admin') . "\nContent-Type: application/x-www-form-urlencoded" ]
--- request eval
[ ::act('reviewer', $::O{roles}, 'reject', 'kind.legal_id_front,business_license' => 1, reason => '不清晰'),
  ::staff_post('/admin/orders/approve', 2, "sel.$::O{roles},$::O{csrf}" => 1),
  ::staff_post('/admin/staff', 1, login => 'sneaky2', name => '某人', 'role.reviewer,admin' => 1,
               password => 'sneaky-pass-2026', password2 => 'sneaky-pass-2026') ]
--- error_code eval
[422, 422, 422]
--- response_body_like eval
[ ::error_page('所选资料不正确。'), ::error_page('所选订单不正确。'), qr{角色选择不正确} ]



=== TEST 47: (the block before) nothing changed
--- init
::is(::state($::O{roles}), 'pending_review', 'not rejected');
::is(::state($::O{csrf}), 'pending_review', 'not approved');
::is(::sql_value("SELECT count(*) FROM staff WHERE login = 'sneaky2'"), 0, 'no member made');
--- more_headers eval: ::as('admin')
--- request
GET /admin/staff
--- error_code: 200



=== TEST 48: the applicant corrects the rejected order (the two files named, the e-mail) and resubmits it through the API
--- init
for my $kind (qw(legal_id_front business_license)) {
    ::sql("UPDATE materials SET replaced_at = clock_timestamp(), replaced_by = 'upload'"
        . " WHERE order_id = " . ::quote($::O{reject}) . " AND kind = '$kind' AND replaced_at IS NULL");
    ::store_file($::Storage, $::O{reject}, $kind, $::Color, name => $::XFile);
}
::sql("UPDATE order_info SET email = 'new\@example.com' WHERE order_id = " . ::quote($::O{reject}));
--- more_headers eval: "Cookie: certhall_session=" . ::session_token(1) . "\nX-CSRF-Token: " . ::csrf_token(1)
--- request eval: "POST /api/orders/$::O{reject}/resubmit"
--- error_code: 200
--- response_body_like chomp
"state" : "pending_review"



=== TEST 49: (the block before) the review queue marks the order that came back by resubmission, and it alone
--- init
::is(::state($::O{reject}), 'pending_review', 'under review again');
--- more_headers eval: ::as('reviewer')
--- request
GET /admin/orders?state=pending_review&q=UO2026112100000002
--- error_code: 200
--- response_body_like eval
qr{(?s)^(?=.*<tr data-order="$::O{reject}"><td><input type="checkbox" name="sel.$::O{reject}" value="1" aria-label="选择订单 $::O{reject}"></td><td><a href="/admin/orders/$::O{reject}">$::O{reject}</a> <span class="badge resubmitted" title="审核不通过后重新提交1次">重新提交</span></td>)(?!.*resubmitted.*resubmitted)}



=== TEST 50: the order page says what changed since the rejection: the files named uploaded again, the information changed, the invoice not; escaped
--- more_headers eval: ::as('reviewer')
--- request eval: "GET /admin/orders/$::O{reject}"
--- error_code: 200
--- response_body_like eval
qr{(?s)^(?=.*<section class="changes" id="changes"><h3>自上次审核不通过以来的修改</h3>)(?=.*<dd id="rejected-by">审核员小李</dd>)(?=.*<dd id="rejection-reason">照片模糊\Q$::XEsc\E（需重新上传：法人身份证正面、营业执照）</dd>)(?=.*<dd id="rejection-kinds">法人身份证正面、营业执照</dd>)(?=.*<dd id="resubmissions">1 次</dd>)(?=.*<dd id="info-changed" class="changed">已修改</dd>)(?=.*<dd id="invoice-changed">未修改</dd>)(?=.*<tr data-kind="application_form"><td>申请表</td><td>—</td><td>未变</td></tr>)(?=.*<tr data-kind="legal_id_front"><td>法人身份证正面</td><td>要求重新上传</td><td class="changed">已重新上传于 [0-9])(?=.*<tr data-kind="business_license"><td>营业执照</td><td>要求重新上传</td><td class="changed">已重新上传于 [0-9])(?=.*<span class="name">\Q$::XFileEsc\E</span>)(?=.*<form method="post" class="action" id="form-approve")}
--- response_body_unlike
<script>alert



=== TEST 51: an order never rejected has no such section; the queue does not mark it
--- more_headers eval: ::as('reviewer')
--- request eval: "GET /admin/orders/$::O{csrf}"
--- error_code: 200
--- response_body_unlike
id="changes"



=== TEST 52: the resubmitted order is approved: nothing to pay again; once approved its page no longer lists the changes
--- more_headers eval: [::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded", ::as('reviewer')]
--- request eval
[::act('reviewer', $::O{reject}, 'approve'), "GET /admin/orders/$::O{reject}"]
--- error_code eval: [303, 200]
--- response_body_like eval
['', qr{<p class="done" id="done">已审核通过。</p>|<dd id="state">待自取</dd>}]
--- response_body_unlike eval
['^never$', 'id="changes"']



=== TEST 53: the texts applicants agree to are the admin's: other roles are refused the page and the form
--- more_headers eval: [ ::as('reviewer'), ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded", ::as('admin') ]
--- request eval
[ "GET /admin/agreements",
  ::staff_post('/admin/agreements/user_terms', 2, op => 'publish', title => '用户申请条款',
               body => '第一条　审核员想改的条款内容，不应被发布。'),
  "GET /admin/agreements" ]
--- error_code eval
[403, 403, 200]
--- response_body_like eval
[ ::error_page('您没有权限访问此页面（需要：管理员）。'), ::error_page('您没有权限访问此页面（需要：管理员）。'),
  qr{(?s)<a href="/admin/agreements">协议文本</a>.*<section class="agreement" id="agreement-user_terms">.*《用户申请条款》.*class="current-version">第 1 版：用户申请条款</dd>.*<textarea name="body"[^>]*>欢迎使用华盾云科在线服务厅.*<section class="agreement" id="agreement-agreement">.*《数字证书申请责任书》.*第 1 版：数字证书申请责任书} ]



=== TEST 54: a preview shows the text as the website will, escaped, and publishes nothing
--- init
::is(::sql_value("SELECT count(*) FROM agreement_versions"), 2, 'the reviewer published nothing');
::is(::audit_count('agreement_publish'), 0, 'and nothing was audited');
--- more_headers eval: ::as('admin') . "\nContent-Type: application/x-www-form-urlencoded"
--- request eval
::staff_post('/admin/agreements/user_terms', 1, op => 'preview', title => $::X,
             body => "第一条　修订后的条款：$::X\r\n\r\n第二条　单位用户与个人用户。")
--- error_code: 200
--- response_body_like eval
qr{(?s)<section class="agreement-preview" id="preview">.*<h3 id="preview-title">\Q$::XEsc\E</h3>.*<p>第一条　修订后的条款：\Q$::XEsc\E</p>\n<p>第二条　单位用户与个人用户。</p>.*<input name="title"[^>]* value="\Q$::XEsc\E">.*<textarea name="body"[^>]*>第一条　修订后的条款：\Q$::XEsc\E\r?\n}
=== TEST 55: (the block before) nothing published; the admin publishes version 2, which the website gives at once
--- init
::is(::sql_value("SELECT count(*) FROM agreement_versions"), 2, 'the preview published nothing');
--- more_headers eval: [ ::as('admin') . "\nContent-Type: application/x-www-form-urlencoded", "" ]
--- request eval
[ ::staff_post('/admin/agreements/user_terms', 1, op => 'publish', title => $::X,
               body => "第一条　修订后的条款：$::X\r\n\r\n第二条　单位用户与个人用户。"),
  "GET /api/agreements/user_terms" ]
--- error_code eval
[303, 200]
--- response_headers_like eval
[ "Location: (?:http://[^/]+)?/admin/agreements\\?done=published#agreement-user_terms", "" ]
--- response_body_like eval
[ qr{^$}, qr{"version" : 2, "title" : "<script>alert\(\\"x\\"\)</script>&'", "body" : "第一条　修订后的条款：<script>alert\(\\"x\\"\)</script>&'\\n\\n第二条　单位用户与个人用户。"} ]



=== TEST 56: (the block before) audited; the page lists both versions, escaped; the same text again, a forged form, a role without the right: refused
--- init
::is(::audit_count('agreement_publish'), 1, 'audit: one publication');
::is(::sql_value("SELECT login || '/' || subject || '/' || (after->>'version') FROM staff_audit WHERE action = 'agreement_publish'"),
   'boss/user_terms v2/2', 'by boss, the text and version');
--- more_headers eval: [ ::as('admin'), (::as('admin') . "\nContent-Type: application/x-www-form-urlencoded") x 2, ::as('reviewer') . "\nContent-Type: application/x-www-form-urlencoded" ]
--- request eval
[ "GET /admin/agreements?done=published",
  ::staff_post('/admin/agreements/user_terms', 1, op => 'publish', title => $::X,
               body => "第一条　修订后的条款：$::X\n\n第二条　单位用户与个人用户。  "),
  "POST /admin/agreements/user_terms\n" . ::form_body(csrf => 'forged', op => 'publish', title => '改',
                                                     body => '第一条　伪造的表单提交的条款内容。'),
  ::staff_post('/admin/agreements/user_terms', 2, op => 'preview', title => '预览', body => '第一条　预览也需要管理员。') ]
--- error_code eval
[200, 422, 403, 403]
--- response_body_like eval
[ qr{(?s)<p class="done" id="done">已发布新版本.*class="current-version">第 2 版：\Q$::XEsc\E</dd>.*<td>第 2 版</td><td>\Q$::XEsc\E</td>.*<td>第 1 版</td><td>用户申请条款</td><td>[^<]+</td><td>系统</td>},
  ::error_page('内容与当前版本相同，无需发布新版本'), qr{class="error"}, ::error_page('您没有权限访问此页面（需要：管理员）。') ]
--- response_body_unlike eval
[ qr{<script>alert}, qr{<script>alert}, qr{<script>alert}, qr{<script>alert} ]



=== TEST 57: an order's page shows the versions of the texts the applicant agreed to, and when
--- init
::is(::sql_value("SELECT max(version) FROM agreement_versions WHERE code = 'user_terms'"), 2, 'the refusals published nothing');
::sql("UPDATE orders SET terms_version = 2, terms_agreed_at = '2026-11-21 10:00+08',"
      . " agreed_at = '2026-11-21 10:30+08', agreement_version = 1 WHERE id = '$::O{draft}'");
--- more_headers eval: ::as('reviewer')
--- request eval
["GET /admin/orders/$::O{draft}", "GET /admin/orders/$::O{approve}"]
--- error_code eval
[200, 200]
--- response_body_like eval
[ qr{(?s)<dl class="fields" id="agreements">\n<dt>《用户申请条款》</dt><dd>第 2 版（\Q$::XEsc\E），同意于 2026年11月21日 10:00</dd>\n<dt>《数字证书申请责任书》</dt><dd>第 1 版（数字证书申请责任书），同意于 2026年11月21日 10:30</dd>},
  qr{<dl class="fields" id="agreements">\n<dt>协议</dt><dd>—</dd>} ]
--- response_body_unlike eval
[ qr{<script>alert}, qr{<script>alert} ]



=== TEST 58: the hall is left with the texts the migrations ship
--- init
::reset_accounts();
::reset_agreements();
--- request
GET /api/agreements/user_terms
--- error_code: 200
--- response_body_like chomp
"version" : 1, "title" : "用户申请条款"
