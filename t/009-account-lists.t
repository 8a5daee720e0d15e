# The account's own lists: 我的地址 (addresses), 我的发票抬头 (invoice
# titles), 我的消息 (messages), and the pickup points.  One default per
# list, the limits, every field checked, and another account's row is 404
# for reading, changing and deleting alike.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;

no_shuffle();

our $Alice = '13800000001';
our $Bob = '13800000002';

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
    my $n = shift // 1;
    return "$Form\nCookie: certhall_session=" . session_token($n)
           . "\nX-CSRF-Token: " . csrf_token($n);
}

sub cookie { "Cookie: certhall_session=" . session_token(shift // 1) }

# an address with a fixed id (requests are written before the blocks run)
sub address {
    my ($id, $phone, $recipient, $default) = @_;
    sql("INSERT INTO addresses (id, account_id, recipient, mobile, region, detail, is_default,"
        . " created_at) OVERRIDING SYSTEM VALUE SELECT $id, id, " . quote($recipient)
        . ", '13700137000', '湖南省长沙市岳麓区', '麓谷大道627号', " . ($default ? 'true' : 'false')
        . ", now() - make_interval(mins => 100 - $id % 100) FROM accounts WHERE phone = "
        . quote($phone));
}

sub message {
    my ($id, $phone, $title, $minutes) = @_;
    sql("INSERT INTO messages (id, account_id, title, body, created_at) OVERRIDING SYSTEM VALUE"
        . " SELECT $id, id, " . quote($title) . ", '正文', now() - make_interval(mins => $minutes)"
        . " FROM accounts WHERE phone = " . quote($phone));
}

our $Address = 'recipient=%E7%8E%8B%E4%BA%94&mobile=13700137000'
    . '&region=%E6%B9%96%E5%8D%97%E7%9C%81%E9%95%BF%E6%B2%99%E5%B8%82%E5%B2%B3%E9%BA%93%E5%8C%BA'
    . '&detail=%E9%BA%93%E8%B0%B7%E5%A4%A7%E9%81%93627%E5%8F%B7&postal_code=410000';

run_tests();

__DATA__

=== TEST 1: an address: every field checked and named; the first one is the default
--- config eval: $::ApiLocation
--- init
::reset_accounts();
::make_account($::Alice, 'alice123', verified => ['张三', '1101**********002X']);
::make_account($::Bob, 'bob12345');
::make_session($::Alice, 1);
::make_session($::Bob, 2);
--- more_headers eval: ::logged_in(1)
--- request eval
(my $no_recipient = $::Address) =~ s/recipient=[^&]*&//;
(my $bad_mobile = $::Address) =~ s/mobile=13700137000/mobile=1370013700/;
(my $bad_postal = $::Address) =~ s/postal_code=410000/postal_code=41000/;
(my $long_detail = $::Address) =~ s/detail=[^&]*/'detail=' . ('%E8%B7%AF' x 121)/e;
["POST /api/addresses\n$no_recipient", "POST /api/addresses\n$bad_mobile",
 "POST /api/addresses\n$bad_postal", "POST /api/addresses\n$long_detail",
 "POST /api/addresses\n$::Address&color=red",
 "POST /api/addresses\n$::Address"]
--- error_code eval
[400, 400, 400, 400, 400, 201]
--- response_body_like eval
[::error_re('invalid_field', 'recipient', '请输入收件人'),
 ::error_re('invalid_field', 'mobile', '请输入正确的11位手机号码'),
 ::error_re('invalid_field', 'postal_code', '邮政编码应为6位数字'),
 ::error_re('invalid_field', 'detail', '详细地址应为2-120个字'),
 ::error_re('invalid_field', 'color', '此处不填写该项'),
 '^\{"id" : \d+, "recipient" : "王五", "mobile" : "13700137000", "region" : "湖南省长沙市岳麓区", "detail" : "麓谷大道627号", "postal_code" : "410000", "is_default" : true, "created_at" : "[^"]+"\}$']



=== TEST 2: one default: is_default moves it, and the list shows it first
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT count(*) FROM addresses"), 1, 'the refusals wrote nothing');
::sql("DELETE FROM addresses");
::address(601, $::Alice, '张甲', 1);
::address(602, $::Alice, '李乙', 0);
::address(603, $::Alice, '王丙', 0);
::address(701, $::Bob, '赵丁', 1);
--- more_headers eval
[::logged_in(1), ::cookie(1)]
--- request eval
["PUT /api/addresses/603\n$::Address&is_default=1", "GET /api/addresses"]
--- error_code eval
[200, 200]
--- response_body_like eval
['^\{"id" : 603, "recipient" : "王五", .*"is_default" : true',
 '^\{"addresses" : \[\{"id" : 603, [^{}]*"is_default" : true[^{}]*\}, \{"id" : 602, [^{}]*"is_default" : false[^{}]*\}, \{"id" : 601, [^{}]*"is_default" : false[^{}]*\}\]\}$']



=== TEST 3: another account's address is 404 for changing and deleting, and its own list is its own
--- config eval: $::ApiLocation
--- more_headers eval
[::logged_in(2), ::logged_in(2), ::cookie(2), ::logged_in(2)]
--- request eval
["PUT /api/addresses/601\n$::Address", "DELETE /api/addresses/601", "GET /api/addresses",
 "DELETE /api/addresses/abc"]
--- error_code eval
[404, 404, 200, 404]
--- response_body_like eval
[::error_re('address_not_found', undef, '收货地址不存在'),
 ::error_re('address_not_found', undef, '收货地址不存在'),
 '^\{"addresses" : \[\{"id" : 701, [^{}]*\}\]\}$',
 ::error_re('address_not_found', undef, '收货地址不存在')]



=== TEST 4: deleting the default makes the newest remaining one the default; at most 20
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT recipient FROM addresses WHERE id = 601"), '张甲', 'Bob changed nothing');
::address(610 + $_, $::Alice, "地址$_", 0) for 1 .. 17;
--- request eval
["DELETE /api/addresses/603", "GET /api/addresses",
 "POST /api/addresses\n$::Address", "POST /api/addresses\n$::Address"]
--- more_headers eval
[::logged_in(1), ::cookie(1), ::logged_in(1), ::logged_in(1)]
--- error_code eval
[200, 200, 201, 422]
--- response_body_like eval
['^\{"deleted" : 603\}$',
 '^\{"addresses" : \[\{"id" : 627, [^{}]*"is_default" : true',
 '"is_default" : false',
 ::error_re('too_many', undef, '收货地址最多保存20个')]



=== TEST 5: invoice titles: an organisation's needs a valid taxpayer number, a person's may use an ID number; no twins
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in(1)
--- request eval
my $t = 'title=%E6%B9%96%E5%8D%97%E7%A4%BA%E4%BE%8B%E7%A7%91%E6%8A%80%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8';
["POST /api/invoice-titles\ntitle_type=org&$t",
 "POST /api/invoice-titles\ntitle_type=org&$t&taxpayer_id=91350100M000100Y44",
 "POST /api/invoice-titles\ntitle_type=company&$t&taxpayer_id=91350100M000100Y43",
 "POST /api/invoice-titles\ntitle_type=org&$t&taxpayer_id=91350100m000100y43",
 "POST /api/invoice-titles\ntitle_type=personal&title=%E5%BC%A0%E4%B8%89&taxpayer_id=11010519491231002x&is_default=1",
 "POST /api/invoice-titles\ntitle_type=org&$t&taxpayer_id=91350100M000100Y43"]
--- error_code eval
[400, 400, 400, 201, 201, 409]
--- response_body_like eval
[::error_re('invalid_field', 'taxpayer_id', '请输入纳税人识别号'),
 ::error_re('invalid_field', 'taxpayer_id', '纳税人识别号校验位错误'),
 ::error_re('invalid_field', 'title_type', '请选择正确的抬头类型'),
 '^\{"id" : \d+, "title_type" : "org", "title" : "湖南示例科技有限公司", "taxpayer_id" : "91350100M000100Y43", "is_default" : true, ',
 '^\{"id" : \d+, "title_type" : "personal", "title" : "张三", "taxpayer_id" : "11010519491231002X", "is_default" : true, ',
 ::error_re('invoice_title_exists', 'title', '该发票抬头已保存')]



=== TEST 6: another account cannot change or delete a title; the owner can
--- config eval: $::ApiLocation
--- init
::sql("INSERT INTO invoice_titles (id, account_id, title_type, title) OVERRIDING SYSTEM VALUE SELECT 801, id, 'personal', '李白' FROM accounts WHERE phone = '$::Alice'");
--- more_headers eval
[::logged_in(2), ::logged_in(2), ::logged_in(1), ::logged_in(1), ::cookie(1)]
--- request eval
["PUT /api/invoice-titles/801\ntitle_type=personal&title=%E6%9D%8E%E5%9B%9B",
 "DELETE /api/invoice-titles/801",
 "PUT /api/invoice-titles/801\ntitle_type=personal&title=%E5%BC%A0%E4%B8%89%E4%B8%B0",
 "DELETE /api/invoice-titles/801",
 "GET /api/invoice-titles"]
--- error_code eval
[404, 404, 200, 200, 200]
--- response_body_like eval
[::error_re('invoice_title_not_found', undef, '发票抬头不存在'),
 ::error_re('invoice_title_not_found', undef, '发票抬头不存在'),
 '"title" : "张三丰", "taxpayer_id" : null, "is_default" : false',
 '^\{"deleted" : 801\}$',
 '^\{"invoice_titles" : \[\{"id" : \d+, "title_type" : "personal", "title" : "张三", [^{}]*"is_default" : true[^{}]*\}, \{"id" : \d+, "title_type" : "org", [^{}]*"is_default" : false[^{}]*\}\]\}$']



=== TEST 7: messages: newest first, the unread count, pages, only unread
--- config eval: $::ApiLocation
--- init
::sql("DELETE FROM messages");
::message(901, $::Alice, '第一条', 30);
::message(902, $::Alice, '第二条', 20);
::message(903, $::Alice, '第三条', 10);
::message(904, $::Bob, '别人的', 5);
--- more_headers eval: ::cookie(1)
--- request eval
["GET /api/messages", "GET /api/messages?per_page=2&page=2", "GET /api/messages?unread=2"]
--- error_code eval
[200, 200, 400]
--- response_body_like eval
['^\{"messages" : \[\{"id" : 903, "order_id" : null, "title" : "第三条", "body" : "正文", "created_at" : "[^"]+", "read" : false\}, \{"id" : 902, [^{}]*\}, \{"id" : 901, [^{}]*\}\], "unread" : 3, "page" : 1, "per_page" : 20, "total" : 3\}$',
 '^\{"messages" : \[\{"id" : 901, [^{}]*\}\], "unread" : 3, "page" : 2, "per_page" : 2, "total" : 3\}$',
 ::error_re('invalid_field', 'unread', '只看未读应为1或0')]



=== TEST 8: marking read: one (not another's), then all; GET /api/me counts along
--- config eval: $::ApiLocation
--- more_headers eval
[::logged_in(1), ::logged_in(1), ::logged_in(1), ::cookie(1), ::logged_in(1), ::cookie(1), ::cookie(1)]
--- request eval
["POST /api/messages/902/read", "POST /api/messages/902/read", "POST /api/messages/904/read",
 "GET /api/me", "POST /api/messages/read-all", "GET /api/messages?unread=1", "GET /api/me"]
--- error_code eval
[200, 200, 404, 200, 200, 200, 200]
--- response_body_like eval
['^\{"id" : 902, "read" : true, "unread" : 2\}$',
 '^\{"id" : 902, "read" : true, "unread" : 2\}$',
 ::error_re('message_not_found', undef, '消息不存在'),
 '"unread_messages" : 2',
 '^\{"read" : 2, "unread" : 0\}$',
 '^\{"messages" : \[\], "unread" : 0, "page" : 1, "per_page" : 20, "total" : 0\}$',
 '"unread_messages" : 0']



=== TEST 9: Bob's message is still unread; writes need the CSRF token
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT read_at IS NULL FROM messages WHERE id = 904"), 't', 'another account\'s message untouched');
--- more_headers eval
[::cookie(2) . "\n$::Form", ::cookie(2) . "\n$::Form"]
--- request eval
["POST /api/messages/read-all", "POST /api/addresses\n$::Address"]
--- error_code eval
[403, 403]
--- response_body_like eval
[::error_re('csrf_failed', undef, '页面已过期，请刷新页面后重试'),
 ::error_re('csrf_failed', undef, '页面已过期，请刷新页面后重试')]



=== TEST 10: the pickup points, for anyone
--- config eval: $::ApiLocation
--- request
GET /api/pickup-points
--- error_code: 200
--- response_body_like chomp
^\{"pickup_points" : \[\{"code" : "changsha", "name" : "湖南CA长沙受理点", "address" : "[^"]+", "phone" : "0731-85018830", "hours" : "[^"]+"\}, \{"code" : "xiangtan", [^{}]*\}\]\}$
