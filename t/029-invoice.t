# The applicant's e-invoice (电子发票): the order JSON's "einvoice" once
# issued (codes, date, where it went, its download) and while queued or
# failed; 发票状态 in 我的订单; GET /api/orders/{id}/invoice sends the PDF
# from the storage through nginx, byte for byte, as an attachment under our
# ASCII name and 电子发票_<发票号码>.pdf, nosniff, its SHA-256 as ETag
# (If-None-Match: 304), HEAD too, to its owner only (another account's:
# 404), 404 invoice_not_issued before it is issued, and a logged 503 in
# JSON when its stored copy has gone; POST /api/orders/{id}/invoice-request
# (开具发票): CSRF, 401, 404, every 409 with its message, nothing changed
# by a refusal, the queued request moved up and a second click changing
# nothing more; PUT …/invoice after the submission: the title corrected
# while the request was never sent, 409 invoice_in_progress once it is on
# its way (the database decides, not the module).
# One order goes through it all, block after block (an order costs some
# twenty statements): fetched at the pickup point, its request queued;
# the sender's failed send (admin.invoice_claim, admin.invoice_failed);
# put back and issued (admin.invoice_claim, admin.invoice_issued) with the
# PDF written into the storage at its content address; the copy lost.
# One nginx for the whole suite.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Admin;
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);

no_shuffle();

our $Alice = '13800000001';
our $Bob = '13800000002';

our $Id = 'UO202612071000000001';

our $Dir = tempdir(CLEANUP => 1);
chmod 0755, $Dir;
our $Storage = "$Dir/storage";
mkdir $Storage or die "$Storage: $!";

# the PDF as the platform sent it: bytes of every value, so that nothing is
# re-encoded on the way
our $Pdf = "%PDF-1.4\n电子发票\0" . join('', map { chr } 0 .. 255) . "\n%%EOF\n";
our $PdfSha = sha256_hex($Pdf);

our $HttpConfig = hall_http_config() . "    certhall_storage $Storage;\n";
our $Config = $API_LOCATION
    . "    location /_certhall/files/ {\n        internal;\n        alias $Storage/;\n    }\n";
our $Form = $FORM;

# the title corrected (湖南新名称有限公司, to b@example.com)
our $NewTitle = 'title_type=org&title=%E6%B9%96%E5%8D%97%E6%96%B0%E5%90%8D%E7%A7%B0%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8'
    . '&taxpayer_id=91350100M000100Y43&email=b%40example.com&mobile=13800138000';

# ours in filename=, the database's 电子发票_00000001.pdf in filename*=
our $Disposition = qq{attachment; filename="invoice-$Id.pdf";}
    . q{ filename*=UTF-8''%E7%94%B5%E5%AD%90%E5%8F%91%E7%A5%A8_00000001.pdf};

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

# a JSON answer that contains every fragment given (json_build_object's
# spacing: "key" : value)
sub has {
    return '(?s)^\{' . join('', map { '(?=.*' . quotemeta($_) . ')' } @_);
}

sub store {
    my $bytes = shift;
    my $sha = sha256_hex($bytes);
    my $sub = "$Storage/" . substr($sha, 0, 2);
    mkdir $sub;
    open my $fh, '>:raw', "$sub/$sha" or die "$sub/$sha: $!";
    print $fh $bytes;
    close $fh or die "$sub/$sha: $!";
}

# the sender's claim, which must take the order's request (the only one due)
sub claim {
    my ($req, $order) = @{(sql("SELECT c->>'id', c->>'order_id'"
        . " FROM json_array_elements(admin.invoice_claim(1, 'run-1')) c"))[0] // []};
    die "the claim took " . ($order // 'nothing') . ", not $Id\n" unless ($order // '') eq $Id;
    return $req;
}

# what a refusal must leave as it was: the request's state, attempts, next
# try and title, and the order's state
sub invoice_state {
    return sql_value("SELECT concat_ws('/', r.state, r.attempts, r.next_try_at, r.buyer_name,"
        . " o.state) FROM invoice_requests r JOIN orders o ON o.id = r.order_id");
}

# The order, before nginx starts (as 023-receipt.t says why): fetched at
# the pickup point, it enters 待开票, which queues its blue invoice request
sub set_up {
    reset_accounts();
    reset_staff();
    make_account($Alice, 'alice123', verified => ['张三', '1101**********002X']);
    make_account($Bob, 'bob12345', verified => ['李四', '4405**********0014']);
    make_session($Alice, 1);
    make_session($Bob, 2);
    my $staff = make_staff('shipper', '发货员', ['reviewer', 'shipper']);
    order_at('pending_shipment', id => $Id, phone => $Alice, reviewer => $staff);
    my $q = quote($Id);
    sql("INSERT INTO certificates (account_id, project_code, cert_type, serial, name, valid_from,"
        . " valid_to, order_id) SELECT account_id, project_code, cert_type,"
        . " upper(substr(md5($q), 1, 16)), '湖南示例科技有限公司', now(), now() + interval '2 years', id"
        . " FROM orders WHERE id = $q;"
        . " INSERT INTO order_shipments (order_id, method, picked_up_by, staff_id)"
        . " VALUES ($q, 'pickup', '张三', $staff);"
        . " SELECT order_transition($q, 'pending_invoice', 'shipper', $staff);"
        . " UPDATE invoice_requests SET next_try_at = now() + interval '1 hour'");
}

set_up();
run_tests();

__DATA__

=== TEST 1: queued: 开票中, the line that says so, no invoice yet; 开具发票 and 修改开票信息 offered; 我的订单 says 开票中
--- config eval: $::Config
--- more_headers eval: ::logged_in()
--- request eval
["GET /api/orders/$::Id", "GET /api/orders"]
--- error_code eval
[200, 200]
--- response_body_like eval
[::has('"state" : "pending_invoice"', '"invoice_state" : "pending", "invoice_state_name" : "开票中"',
       '"einvoice" : {"state" : "pending", "request_state" : "queued", "fpdm" : null, "fphm" : null, "kprq" : null, "total_fen" : null, "email" : "a@example.com", "title" : "湖南示例科技有限公司", "download_url" : null, "message" : "发票开具中", "corrected" : false}',
       '"actions" : ["invoice_request", "invoice_edit"]'),
 ::has(qq{"id" : "$::Id"}, '"invoice_state" : "pending", "invoice_state_name" : "开票中"')]
--- no_error_log
[error]



=== TEST 2: no invoice to download yet (404 invoice_not_issued); no session 401; another account's 404; no such order 404; POST and DELETE 405
--- request eval
["GET /api/orders/$::Id/invoice", "HEAD /api/orders/$::Id/invoice", "GET /api/orders/$::Id/invoice",
 "GET /api/orders/$::Id/invoice", "GET /api/orders/UO202612071000000099/invoice",
 "GET /api/orders/UO2026/invoice", "POST /api/orders/$::Id/invoice", "DELETE /api/orders/$::Id/invoice"]
--- more_headers eval
[::logged_in(), ::logged_in(), $::Form, ::logged_in(2), (::logged_in()) x 4]
--- error_code eval
[404, 404, 401, 404, 404, 404, 405, 405]
--- response_headers eval
[("Content-Type: application/json; charset=utf-8\n!Content-Disposition\n!ETag") x 6,
 ("Allow: GET, HEAD, PUT") x 2]
--- response_body_like eval
[::error_re('invoice_not_issued', undef, '发票尚未开具'), '^$',
 ::error_re('not_logged_in', undef, '请先登录'),
 (::error_re('order_not_found', undef, '订单不存在')) x 3,
 (::error_re('method_not_allowed', undef, '该接口不支持此请求方法')) x 2]



=== TEST 3: 开具发票 refused: no session 401, no CSRF token 403, another account's 404, no such order 404, GET 405
--- init
$::Before = ::invoice_state();
--- request eval
["POST /api/orders/$::Id/invoice-request", "POST /api/orders/$::Id/invoice-request",
 "POST /api/orders/$::Id/invoice-request", "POST /api/orders/UO202612071000000099/invoice-request",
 "GET /api/orders/$::Id/invoice-request"]
--- more_headers eval
[$::Form, "$::Form\nCookie: certhall_session=" . ::session_token(1), ::logged_in(2), (::logged_in()) x 2]
--- error_code eval
[401, 403, 404, 404, 405]
--- response_body_like eval
[::error_re('not_logged_in', undef, '请先登录'),
 ::error_re('csrf_failed', undef, '页面已过期，请刷新页面后重试'),
 (::error_re('order_not_found', undef, '订单不存在')) x 2,
 ::error_re('method_not_allowed', undef, '该接口不支持此请求方法')]



=== TEST 4: 开具发票: the queued request goes at the next run, 200 with the order; a second click changes nothing more
--- init
::is(::invoice_state(), $::Before, 'the refusals changed nothing');
--- more_headers eval: ::logged_in()
--- request eval
["POST /api/orders/$::Id/invoice-request", "POST /api/orders/$::Id/invoice-request"]
--- error_code eval
[200, 200]
--- response_body_like eval
[(::has(qq{"id" : "$::Id"}, '"state" : "pending_invoice"', '"request_state" : "queued"',
        '"message" : "发票开具中"')) x 2]
--- no_error_log
[error]



=== TEST 5: still one request, due now; 修改开票信息 after the submission, while it was never sent: 200, the order says the new title
--- init
::is(::sql_value("SELECT count(*) || '/' || bool_and(next_try_at <= now()) FROM invoice_requests"),
     '1/true', 'one request, due now');
--- more_headers eval: ::logged_in()
--- request eval
"PUT /api/orders/$::Id/invoice\n$::NewTitle"
--- error_code: 200
--- response_body_like eval
::has('"invoice" : {"title_type" : "org", "title" : "湖南新名称有限公司"',
      '"einvoice" : {"state" : "pending", "request_state" : "queued"', '"title" : "湖南新名称有限公司"',
      '"email" : "b@example.com"')



=== TEST 6: sent, and it failed for good: 发票开具遇到问题，财务正在处理; 开具发票 409 invoice_waiting_finance; the title 409 invoice_in_progress
--- init
::is(::sql_value("SELECT buyer_name || ':' || buyer_email FROM invoice_requests"),
     '湖南新名称有限公司:b@example.com', 'the request to send carries the new title');
::sql("SELECT admin.invoice_failed(" . ::claim() . ", 'run-1', '连接税务平台超时', false, true)");
$::Before = ::invoice_state();
--- more_headers eval: ::logged_in()
--- request eval
["GET /api/orders/$::Id", "POST /api/orders/$::Id/invoice-request",
 "PUT /api/orders/$::Id/invoice\n$::NewTitle"]
--- error_code eval
[200, 409, 409]
--- response_body_like eval
[::has('"invoice_state_name" : "开票中"', '"request_state" : "failed"',
       '"message" : "发票开具遇到问题，财务正在处理"', '"actions" : []'),
 ::error_re('invoice_waiting_finance', undef, '发票开具遇到问题，财务正在处理'),
 ::error_re('invoice_in_progress', undef, '发票正在开具，暂不能修改开票信息')]



=== TEST 7: put back and issued: 已完成, the invoice's code, number, date, total, title, where it went and its download; nothing more to do; 我的订单 says 已开票
--- init
::is(::invoice_state(), $::Before, 'the refusals changed nothing');
::sql("UPDATE invoice_requests SET state = 'queued', next_try_at = now()");   # finance's 重新开具
::store($::Pdf);
::sql("SELECT admin.invoice_issued(" . ::claim() . ", 'run-1', '043002600111', '00000001',"
      . " '20261207103000', 30000, 28302, 1698, '$::PdfSha', " . length($::Pdf) . ","
      . " repeat('a', 64), repeat('b', 64))");
--- more_headers eval: ::logged_in()
--- request eval
["GET /api/orders/$::Id", "GET /api/orders"]
--- error_code eval
[200, 200]
--- response_body_like eval
[::has('"state" : "completed"', '"invoice_state" : "issued"', '"invoice_state_name" : "已开票"',
       '"einvoice" : {"state" : "issued", "request_state" : "issued", "fpdm" : "043002600111", "fphm" : "00000001", "kprq" : "2026-12-07T10:30:00+08:00", "total_fen" : 30000, "email" : "b@example.com", "title" : "湖南新名称有限公司", "download_url" : "/api/orders/' . $::Id . '/invoice", "message" : "已发送至 b@example.com", "corrected" : false}',
       '"actions" : []'),
 ::has(qq{"id" : "$::Id"}, '"invoice_state" : "issued", "invoice_state_name" : "已开票"')]
--- no_error_log
[error]



=== TEST 8: the PDF: its exact bytes, an attachment under our ASCII name and 电子发票_<号码>.pdf, nosniff, sandboxed, private, its SHA-256 as ETag
--- more_headers eval: ::logged_in()
--- request eval
"GET /api/orders/$::Id/invoice"
--- error_code: 200
--- response_headers eval
"Content-Type: application/pdf
Content-Length: " . length($::Pdf) . "
Content-Disposition: $::Disposition
X-Content-Type-Options: nosniff
Content-Security-Policy: sandbox; default-src 'none'
Cache-Control: private, no-cache
ETag: \"$::PdfSha\""
--- response_body eval: $::Pdf
--- no_error_log
[error]



=== TEST 9: HEAD: the same headers, no body; If-None-Match with the ETag: 304; still the owner's only
--- request eval
["HEAD /api/orders/$::Id/invoice", "GET /api/orders/$::Id/invoice", "GET /api/orders/$::Id/invoice",
 "GET /api/orders/$::Id/invoice"]
--- more_headers eval
[::logged_in(), ::logged_in() . "\nIf-None-Match: \"$::PdfSha\"", ::logged_in(2), $::Form]
--- error_code eval
[200, 304, 404, 401]
--- response_headers eval
["Content-Type: application/pdf\nContent-Length: " . length($::Pdf)
 . "\nContent-Disposition: $::Disposition\nETag: \"$::PdfSha\"",
 "ETag: \"$::PdfSha\"", ("!Content-Disposition\n!ETag") x 2]
--- response_body_like eval
['^$', '^$', ::error_re('order_not_found', undef, '订单不存在'),
 ::error_re('not_logged_in', undef, '请先登录')]



=== TEST 10: once done: 开具发票 409 order_not_pending_invoice, the title 409 order_not_editable
--- more_headers eval: ::logged_in()
--- request eval
["POST /api/orders/$::Id/invoice-request", "PUT /api/orders/$::Id/invoice\n$::NewTitle"]
--- error_code eval
[409, 409]
--- response_body_like eval
[::error_re('order_not_pending_invoice', undef, '订单当前状态为“已完成”，不能开具发票'),
 ::error_re('order_not_editable', undef, '订单当前状态为“已完成”，不能修改')]



=== TEST 11: the stored copy has gone: 503 in JSON, logged, not nginx's 404 page
--- init
unlink "$::Storage/" . substr($::PdfSha, 0, 2) . "/$::PdfSha" or die "unlink: $!";
--- more_headers eval: ::logged_in()
--- request eval
"GET /api/orders/$::Id/invoice"
--- error_code: 503
--- response_headers
Content-Type: application/json; charset=utf-8
Retry-After: 300
!Content-Disposition
--- response_body_like eval
::error_re('invoice_unavailable', undef, '电子发票暂时无法下载，请稍后再试')
--- error_log eval
qr{\[error\] .*certhall: invoice of $::Id: stored file ".*/storage/[0-9a-f]{2}/$::PdfSha" missing \(2: No such file or directory\)}
