# Orders: the certificates and the rules of each service, drafts, basic
# information and invoice information with every validator, the
# submission and what it still needs, cancellation, my orders with their
# filters and pages, one order and its timeline, the printable application
# form, and that no account sees or touches another's order.  Runs inside
# t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Digest::SHA qw(hmac_sha256_hex);
use File::Temp qw(tempdir);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
our $KeyFile = data_key_file($Dir);
{
    open my $fh, '>', "$Dir/bad.key" or die "$Dir/bad.key: $!";
    print $fh 'z' x 64, "\n";       # 64 characters, but no hex
}

our $Alice = '13800000001';         # verified; owns the certificates
our $Bob = '13800000002';           # verified; another applicant
our $Carol = '13800000003';         # not verified
our $ID = '11010519491231002X';     # valid ID numbers (validators.md)
our $ID2 = '440524188001010014';
our $USCC = '91350100M000100Y43';   # valid Unified Social Credit Codes
our $USCC2 = '91110000802100433B';

# fixed order ids: requests are written before the blocks run
our %O = map { $_->[0] => sprintf('UO2026112100000000%02d', $_->[1]) }
         [draft => 1], [personal => 2], [bob => 3], [submitted => 4],
         [l1 => 11], [l2 => 12], [l3 => 13], [l4 => 14], [l5 => 15];

our $HttpConfig = hall_http_config(data_key => $KeyFile);
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

# a JSON answer that contains every fragment given (json_build_object's
# spacing: "key" : value)
sub has {
    return '(?s)^\{' . join('', map { '(?=.*' . quotemeta($_) . ')' } @_);
}

sub id_digest {
    my $label = hmac_sha256_hex('id_number', pack 'H*', $DATA_KEY);
    return hmac_sha256_hex(shift, $label);
}

sub account_id { sql_value("SELECT id FROM accounts WHERE phone = " . quote(shift)) }

# certificate id of the phone's account valid until now + days (negative:
# expired), issued for the order given or for none
sub certificate {
    my ($id, $phone, $project, $type, $days, $order) = @_;
    return sql_value("INSERT INTO certificates (id, account_id, project_code, cert_type, serial,"
        . " name, valid_from, valid_to, order_id) OVERRIDING SYSTEM VALUE SELECT $id, id, "
        . quote($project) . ", "
        . quote($type) . ", upper(substr(md5(random()::text), 1, 16)), '湖南示例科技有限公司',"
        . " now() + make_interval(days => $days) - interval '2 years',"
        . " now() + make_interval(days => $days), " . quote($order)
        . " FROM accounts WHERE phone = " . quote($phone) . " RETURNING id");
}

# an order inserted with a fixed id and creation time (fixtures only: the
# API makes ids from the clock)
sub order_row {
    my (%o) = @_;
    my $at = $o{at} // 'now()';
    sql("INSERT INTO orders (id, account_id, project_code, service, cert_type,"
        . " certificate_id, created_at, updated_at, state_entered_at)"
        . " SELECT " . join(', ', quote($o{id}), 'id', quote($o{project} // 'xiangtan_ggzy'),
                            quote($o{service} // 'new'), quote($o{type} // 'org'),
                            $o{cert} // 'NULL', $at, $at, $at)
        . " FROM accounts WHERE phone = " . quote($o{phone}));
    sql("INSERT INTO order_events (order_id, to_state, actor_kind, actor_id, created_at)"
        . " SELECT " . quote($o{id}) . ", 'draft', 'applicant', account_id, created_at"
        . " FROM orders WHERE id = " . quote($o{id}));
    return unless $o{org_name} || $o{person_name};
    sql("INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name,"
        . " person_id_masked, person_id_digest, person_id_sealed, mobile, email) VALUES ("
        . join(', ', map { quote($_) } $o{id}, $o{org_name}, $o{uscc},
               $o{org_name} ? '李四' : undef, $o{person_name} // '张三',
               substr($o{id_number}, 0, 4) . '**********' . substr($o{id_number}, 14),
               id_digest($o{id_number}), 'v1.' . ('A' x 60), '13800138000',
               'a@example.com') . ")");
    return unless $o{submitted};
    upload_required($o{id});
    sql("INSERT INTO order_invoice (order_id, title_type, title, taxpayer_id, email, mobile)"
        . " VALUES (" . quote($o{id}) . ", 'personal', '张三', NULL, 'a\@example.com',"
        . " '13800138000');"
        . " UPDATE orders SET agreed_at = created_at, delivery_method = 'pickup',"
        . " pickup_point = 'changsha' WHERE id = " . quote($o{id}) . ";"
        . " BEGIN; SELECT set_config('certhall.transition_order', " . quote($o{id}) . ", true);"
        . " UPDATE orders SET state = " . quote($o{submitted}) . ", submitted_at = created_at"
        . " + interval '1 hour', amount_fen = 30000 WHERE id = " . quote($o{id}) . "; COMMIT;");
}

# the files an order's offer requires, as rows (the module stores the
# files; a submission needs only the rows): fixed sha256 values, one per kind
sub upload_required {
    my $id = shift;
    sql("INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height, pages,"
        . " original_name, account_id)"
        . " SELECT o.id, psm.material_kind, encode(sha256(convert_to(psm.material_kind, 'UTF8')), 'hex'),"
        . " 204800, 'jpg', 1200, 800, 1, psm.material_kind || '.jpg', o.account_id"
        . " FROM orders o JOIN project_service_materials psm USING (project_code, service, cert_type)"
        . " WHERE o.id = " . quote($id) . " AND psm.required");
}

# the fields of a valid organisation's basic information
our $OrgInfo = 'org_name=%E6%B9%96%E5%8D%97%E7%A4%BA%E4%BE%8B%E7%A7%91%E6%8A%80%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8'
    . "&uscc=$USCC&legal_name=%E5%BC%A0%E4%B8%89&legal_id_number=$ID"
    . '&handler_name=%E6%9D%8E%E5%9B%9B&mobile=13800138000&email=zhangsan%40example.com';
our $Invoice = 'title_type=org&title=%E6%B9%96%E5%8D%97%E7%A4%BA%E4%BE%8B%E7%A7%91%E6%8A%80%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8'
    . "&taxpayer_id=$USCC&email=finance%40example.com&mobile=13800138000";

run_tests();

__DATA__

=== TEST 1: the account's certificates, with remaining days and what each service allows
--- config eval: $::ApiLocation
--- init
::reset_accounts();
::make_account($::Alice, 'alice123', verified => ['张三', '1101**********002X']);
::make_account($::Bob, 'bob12345', verified => ['李四', '4405**********0014']);
::make_account($::Carol, 'carol123');
::make_session($::Alice, 1);
::make_session($::Bob, 2);
::make_session($::Carol, 3);
::sql("INSERT INTO orders (id, account_id, project_code, service, cert_type) SELECT 'UO202401010000000099', id, 'guoziyun_ygcg', 'new', 'org' FROM accounts WHERE phone = '$::Alice'");
::certificate(101, $::Alice, 'xiangtan_ggzy', 'org', 20);
::certificate(102, $::Alice, 'guoziyun_ygcg', 'org', 730, 'UO202401010000000099');
::certificate(103, $::Alice, 'hunan_ccgp', 'org', -60);
::certificate(104, $::Alice, 'changsha_ggzy', 'org', -120);
::certificate(105, $::Bob, 'xiangtan_ggzy', 'org', 20);
::certificate(106, $::Alice, 'zhuzhou_ggzy', 'personal', 300);
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request
GET /api/certificates
--- error_code: 200
--- response_body_like eval
::has('"id" : 102, ', '"project" : "guoziyun_ygcg"', '"remaining_days" : 730', '"ordered_here" : true',
      '"remaining_days" : 20', '"remaining_days" : -60', '"remaining_days" : -120',
      '"renew" : {"allowed" : true}',
      '"code" : "renewal_too_early", "message" : "证书有效期还剩730天，到期前30天内方可申请延期"',
      '"code" : "renewal_too_late"', '"code" : "not_ordered_here"',
      '"code" : "certificate_expired"')
. '(?!.*"id" : 105, )'



=== TEST 2: a new draft: 201 with the order, its event and its message; no certificate needed
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in(1)
--- request
POST /api/orders
project=xiangtan_ggzy&service=new&cert_type=org&agree_terms=1&terms_version=1
--- error_code: 201
--- response_body_like eval
::has('"state" : "draft"', '"state_name" : "填写中"', '"business" : "湘潭市公共资源交易系统 单位证书-新办"',
      '"price_fen" : 30000', '"amount_fen" : null', '"certificate" : null', '"info" : null',
      '"missing" : [{"item" : "info", "message" : "请填写基本信息"}, '
      . '{"item" : "material", "kind" : "application_form", "message" : "请上传申请表"}, '
      . '{"item" : "material", "kind" : "responsibility_letter", "message" : "请上传申请责任书"}, '
      . '{"item" : "material", "kind" : "legal_id_front", "message" : "请上传法人身份证正面"}, '
      . '{"item" : "material", "kind" : "legal_id_back", "message" : "请上传法人身份证反面"}, '
      . '{"item" : "material", "kind" : "business_license", "message" : "请上传营业执照"}, '
      . '{"item" : "material", "kind" : "eseal_form", "message" : "请上传电子签章采集表"}, '
      . '{"item" : "invoice", "message" : "请填写开票信息"}]',
      '"materials" : [{"kind" : "application_form", "kind_name" : "申请表", "note" : "需签字"',
      '"transfer" : null, "voucher" : null',
      '"actions" : ["edit", "submit", "cancel"]', '"action" : "create"')
--- no_error_log
[error]



=== TEST 3: renewal: inside the window or expired less than 3 months ago; else 422 with the reason; one open order per certificate
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT count(*) FROM messages m JOIN orders o ON o.id = m.order_id WHERE o.service = 'new' AND m.title = '订单已创建'"), 1, 'the draft sent its message');
--- more_headers eval: ::logged_in(1)
--- request eval
["POST /api/orders\nproject=guoziyun_ygcg&service=renew&cert_type=org&certificate=102&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=changsha_ggzy&service=renew&cert_type=org&certificate=104&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=renew&cert_type=org&certificate=101&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=hunan_ccgp&service=renew&cert_type=org&certificate=103&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=renew&cert_type=org&certificate=101&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=renew&cert_type=org&agree_terms=1&terms_version=1"]
--- error_code eval
[422, 422, 201, 201, 409, 400]
--- response_body_like eval
[::error_re('renewal_too_early', 'certificate', '证书有效期还剩730天，到期前30天内方可申请延期'),
 ::error_re('renewal_too_late', 'certificate', '证书已过期超过3个月，不能延期，请申请证书新办'),
 ::has('"service" : "renew"', '"remaining_days" : 20'),
 ::has('"service" : "renew"', '"remaining_days" : -60'),
 '^\{"error":\{"code":"order_exists","field":"certificate","message":"该证书已有办理中的订单UO[0-9]{18}"\}\}$',
 ::error_re('certificate_required', 'certificate', '请选择要办理的证书')]



=== TEST 4: replacement: only of a valid certificate of this account ordered in this hall; unlock: only a valid one
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in(1)
--- request eval
["POST /api/orders\nproject=xiangtan_ggzy&service=replace&cert_type=org&certificate=105&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=hunan_ccgp&service=replace&cert_type=org&certificate=103&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=zhuzhou_ggzy&service=replace&cert_type=personal&certificate=106&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=replace&cert_type=org&certificate=102&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=guoziyun_ygcg&service=replace&cert_type=org&certificate=102&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=hunan_ccgp&service=unlock&cert_type=org&certificate=103&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=zhuzhou_ggzy&service=unlock&cert_type=personal&certificate=106&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=new&cert_type=org&certificate=101&agree_terms=1&terms_version=1"]
--- error_code eval
[404, 422, 422, 422, 201, 422, 201, 400]
--- response_body_like eval
[::error_re('certificate_not_found', 'certificate', '证书不存在'),
 ::error_re('certificate_expired', 'certificate', '证书已过期，不能补办；请申请证书延期或新办'),
 ::error_re('not_ordered_here', 'certificate', '在线补办业务只适用已在本系统申请过的证书订单，请到受理点办理补办'),
 ::error_re('certificate_mismatch', 'certificate', '所选证书不属于该项目或证书类型'),
 ::has('"service" : "replace"', '"remaining_days" : 730', '"business" : "国资云阳光采购平台 单位证书-补办"'),
 ::error_re('certificate_expired', 'certificate', '证书已过期，不能解锁；请申请证书延期'),
 ::has('"service" : "unlock"', '"cert_type_name" : "个人证书"'),
 ::error_re('certificate_not_allowed', 'certificate', '证书新办不需要选择证书')]



=== TEST 5: only a real-name verified account may apply; bad fields are named before the database
--- config eval: $::ApiLocation
--- more_headers eval
[::logged_in(3), ::logged_in(1), ::logged_in(1), ::logged_in(1), $::Form]
--- request eval
["POST /api/orders\nproject=xiangtan_ggzy&service=new&cert_type=org&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=upgrade&cert_type=org&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=new&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=nowhere&service=new&cert_type=org&agree_terms=1&terms_version=1",
 "POST /api/orders\nproject=xiangtan_ggzy&service=new&cert_type=org&agree_terms=1&terms_version=1"]
--- error_code eval
[403, 400, 400, 404, 401]
--- response_body_like eval
['^\{"error":\{"code":"realname_required"',
 ::error_re('invalid_field', 'service', '请选择正确的业务类型'),
 ::error_re('invalid_field', 'cert_type', '请选择证书类型'),
 ::error_re('project_not_found', 'project', '申请项目不存在'),
 ::error_re('not_logged_in', undef, '请先登录')]



=== TEST 6: basic information of an organisation: every field checked in C, the field named
--- config eval: $::ApiLocation
--- init
::order_row(id => $::O{draft}, phone => $::Alice);
::order_row(id => $::O{personal}, phone => $::Alice, type => 'personal', project => 'hunan_ccgp');
::order_row(id => $::O{bob}, phone => $::Bob);
::upload_required($_) for $::O{draft}, $::O{personal};
--- more_headers eval: ::logged_in(1)
--- request eval
my $u = "PUT /api/orders/$::O{draft}/info\n";
my $ok = $::OrgInfo;
(my $no_uscc = $ok) =~ s/&uscc=[^&]*//;
(my $bad_uscc = $ok) =~ s/uscc=$::USCC/uscc=91350100M000100Y44/;
(my $short_uscc = $ok) =~ s/uscc=$::USCC/uscc=91350100M000100Y4/;
(my $bad_id = $ok) =~ s/legal_id_number=$::ID/legal_id_number=110105194912310021/;
(my $bad_date = $ok) =~ s/legal_id_number=$::ID/legal_id_number=110105194902300021/;
(my $bad_mobile = $ok) =~ s/mobile=13800138000/mobile=12345/;
(my $bad_email = $ok) =~ s/email=[^&]*/email=zhangsan%40localhost/;
(my $long_name = $ok) =~ s/org_name=[^&]*/'org_name=' . ('%E6%B9%96' x 101)/e;
(my $tab_name = $ok) =~ s/handler_name=[^&]*/handler_name=%E6%9D%8E%09%E5%9B%9B/;
my $personal_field = "$ok&id_number=$::ID";
[map { "$u$_" } $no_uscc, $bad_uscc, $short_uscc, $bad_id, $bad_date, $bad_mobile,
                $bad_email, $long_name, $tab_name, $personal_field]
--- error_code eval
[(400) x 10]
--- response_body_like eval
[::error_re('invalid_field', 'uscc', '请输入统一社会信用代码'),
 ::error_re('invalid_field', 'uscc', '统一社会信用代码校验位错误'),
 ::error_re('invalid_field', 'uscc', '统一社会信用代码应为18位'),
 ::error_re('invalid_field', 'legal_id_number', '法定代表人身份证号码校验位错误'),
 ::error_re('invalid_field', 'legal_id_number', '法定代表人身份证号码中的出生日期不正确'),
 ::error_re('invalid_field', 'mobile', '请输入正确的11位手机号码'),
 ::error_re('invalid_field', 'email', '请输入正确的电子邮箱'),
 ::error_re('invalid_field', 'org_name', '单位名称应为2-100个字'),
 ::error_re('invalid_field', 'handler_name', '经办人姓名含有不允许的字符'),
 ::error_re('invalid_field', 'id_number', '此处不填写该项')]



=== TEST 7: the refusals wrote nothing; valid information is kept, the ID number sealed, masked and digested
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT count(*) FROM order_info"), 0, 'no refusal wrote any information');
--- more_headers eval: ::logged_in(1)
--- request eval
"PUT /api/orders/$::O{draft}/info\n$::OrgInfo"
--- error_code: 200
--- response_body_like eval
::has('"org_name" : "湖南示例科技有限公司"', '"uscc" : "91350100M000100Y43"', '"legal_name" : "张三"',
      '"legal_id_number" : "1101**********002X"', '"handler_name" : "李四"', '"email" : "zhangsan@example.com"',
      '"missing" : [{"item" : "invoice"') . '(?!.*11010519491231002X)'



=== TEST 8: what the database holds: the mask, the keyed digest, the seal; never the number
--- config eval: $::ApiLocation
--- init
my ($masked, $digest, $sealed) = @{(::sql("SELECT person_id_masked, person_id_digest, person_id_sealed FROM order_info WHERE order_id = '$::O{draft}'"))[0]};
::is($masked, '1101**********002X', 'masked');
::is($digest, ::id_digest($::ID), 'the digest under a key derived from the data key');
::like($sealed, qr/^v1\.[A-Za-z0-9_-]{60,}$/, 'sealed');
::is(::sql_value("SELECT count(*) FROM order_info WHERE row_to_json(order_info)::text LIKE '%19491231%'"), 0, 'no whole ID number in any column');
--- more_headers eval: ::logged_in(1)
--- request eval
"GET /api/orders/$::O{draft}/application-form"
--- error_code: 200
--- response_headers
Content-Type: text/html; charset=utf-8
Cache-Control: no-store
X-Content-Type-Options: nosniff
Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'
--- response_body_like chomp
(?s)<h1>单位数字证书申请表</h1>.*<th>单位名称</th><td>湖南示例科技有限公司</td>.*<th>法定代表人身份证号码</th><td>11010519491231002X</td>



=== TEST 9: a personal order takes a person's fields; the application form waits for the information
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in(1)
--- request eval
["PUT /api/orders/$::O{personal}/info\n$::OrgInfo",
 "GET /api/orders/$::O{personal}/application-form",
 "PUT /api/orders/$::O{personal}/info\nname=%E5%BC%A0%E4%B8%89&id_number=440524188001010014&mobile=%2B86%20139%200013%209000&email=p%40example.com",
 "GET /api/orders/$::O{personal}/application-form"]
--- error_code eval
[400, 409, 200, 200]
--- response_body_like eval
[::error_re('invalid_field', 'org_name', '此处不填写该项'),
 ::error_re('info_missing', undef, '请先填写基本信息，再打印申请表'),
 ::has('"info" : {"name" : "张三", "id_number" : "4405**********0014", "mobile" : "13900139000"'),
 '<h1>个人数字证书申请表</h1>.*<th>身份证号码</th><td>440524188001010014</td>']



=== TEST 10: another account's order is 404 for every request, exactly as one that does not exist
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in(2)
--- request eval
["GET /api/orders/$::O{draft}",
 "PUT /api/orders/$::O{draft}/info\n$::OrgInfo",
 "PUT /api/orders/$::O{draft}/invoice\n$::Invoice",
 "POST /api/orders/$::O{draft}/submit\nagree=1&agreement_version=1&delivery=pickup&pickup_point=changsha",
 "POST /api/orders/$::O{draft}/cancel",
 "GET /api/orders/$::O{draft}/application-form",
 "GET /api/orders/UO20991231000000009999",
 "GET /api/orders/UO1"]
--- error_code eval
[(404) x 8]
--- response_body_like eval
[(::error_re('order_not_found', undef, '订单不存在')) x 8]



=== TEST 10a: basic information in one statement: the form is refused by the rules of the order's own kind, which only the database knows
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in(1)
--- request eval
my $person = 'name=%E5%BC%A0%E4%B8%89&id_number=440524188001010014&mobile=13900139000&email=p%40example.com';
(my $person_bad_mobile = $person) =~ s/mobile=13900139000/mobile=12345/;
(my $org_bad_mobile = $::OrgInfo) =~ s/mobile=13800138000/mobile=12345/;
["PUT /api/orders/$::O{draft}/info\n$person",
 "PUT /api/orders/$::O{personal}/info\n$person_bad_mobile",
 "PUT /api/orders/$::O{draft}/info\n$org_bad_mobile",
 "PUT /api/orders/$::O{personal}/info\n$org_bad_mobile",
 "PUT /api/orders/$::O{draft}/info\nmobile=13800138000"]
--- error_code eval
[(400) x 5]
--- response_body_like eval
[::error_re('invalid_field', 'name', '此处不填写该项'),
 ::error_re('invalid_field', 'mobile', '请输入正确的11位手机号码'),
 ::error_re('invalid_field', 'mobile', '请输入正确的11位手机号码'),
 ::error_re('invalid_field', 'org_name', '此处不填写该项'),
 ::error_re('invalid_field', 'org_name', '请输入单位名称')]



=== TEST 10b: a form that fits no kind on another account's order is 404, not 400: the order is checked before the form's refusal
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT mobile FROM order_info WHERE order_id = '$::O{personal}'"), '13900139000',
     'the refused forms changed nothing');
--- more_headers eval: ::logged_in(2)
--- request eval
["PUT /api/orders/$::O{draft}/info\nmobile=12345",
 "PUT /api/orders/$::O{personal}/info\n$::OrgInfo"]
--- error_code eval
[404, 404]
--- response_body_like eval
[(::error_re('order_not_found', undef, '订单不存在')) x 2]



=== TEST 10c: and a wrong form token is 403 before any field's refusal, for a form of either kind or of none
--- config eval: $::ApiLocation
--- more_headers eval
"$::Form\nCookie: certhall_session=" . ::session_token(1) . "\nX-CSRF-Token: " . ::csrf_token(2)
--- request eval
["PUT /api/orders/$::O{draft}/info\nmobile=12345",
 "PUT /api/orders/$::O{personal}/info\n$::OrgInfo"]
--- error_code eval
[403, 403]
--- response_body_like eval
[(::error_re('csrf_failed', undef, '页面已过期，请刷新页面后重试')) x 2]



=== TEST 11: invoice information: the taxpayer number of an organisation required and checked; a person's optional
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT count(*) FROM order_events WHERE order_id = '$::O{draft}'"), 1, 'Bob changed nothing');
::is(::sql_value("SELECT mobile FROM order_info WHERE order_id = '$::O{draft}'"), '13800138000', 'not even the information');
--- more_headers eval: ::logged_in(1)
--- request eval
my $u = "PUT /api/orders/$::O{draft}/invoice\n";
(my $no_tax = $::Invoice) =~ s/&taxpayer_id=[^&]*//;
(my $bad_tax = $::Invoice) =~ s/taxpayer_id=$::USCC/taxpayer_id=91350100M000100Y44/;
(my $long_remark = $::Invoice) .= '&remark=' . ('%E5%A4%87' x 101);
[map({ "$u$_" } $no_tax, $bad_tax, $long_remark, "$::Invoice&title_type=personal",
             'title_type=personal&title=%E5%BC%A0%E4%B8%89&email=p%40example.com&mobile=13800138000',
             "$::Invoice&remark=%E8%AF%B7%E5%A4%87%E6%B3%A8&save_title=1")]
--- error_code eval
[400, 400, 400, 400, 200, 200]
--- response_body_like eval
[::error_re('invalid_field', 'taxpayer_id', '请输入纳税人识别号'),
 ::error_re('invalid_field', 'taxpayer_id', '纳税人识别号校验位错误'),
 ::error_re('invalid_field', 'remark', '发票备注不能超过100个字'),
 '^\{"error":\{"code":"invalid_form","field":"title_type"',
 ::has('"invoice" : {"title_type" : "personal", "title" : "张三", "taxpayer_id" : null'),
 ::has('"invoice" : {"title_type" : "org", "title" : "湖南示例科技有限公司", "taxpayer_id" : "91350100M000100Y43"', '"remark" : "请备注"', '"missing" : []')]



=== TEST 12: save_title kept the title in 我的发票抬头, once, as the default
--- config eval: $::ApiLocation
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request
GET /api/invoice-titles
--- error_code: 200
--- response_body_like eval
'^\{"invoice_titles" : \[\{"id" : \d+, "title_type" : "org", "title" : "湖南示例科技有限公司", "taxpayer_id" : "91350100M000100Y43", "is_default" : true, "created_at" : "[^"]+"\}\]\}$'



=== TEST 13: a submission lacking something lists it all and changes nothing
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in(1)
--- request eval
["POST /api/orders/$::O{personal}/submit",
 "POST /api/orders/$::O{draft}/submit\ndelivery=pickup&pickup_point=changsha",
 "POST /api/orders/$::O{draft}/submit\nagree=1&agreement_version=1&delivery=express",
 "POST /api/orders/$::O{draft}/submit\nagree=1&agreement_version=1&delivery=express&address_id=999999",
 "POST /api/orders/$::O{draft}/submit\nagree=1&agreement_version=1&delivery=pickup&pickup_point=moon",
 "POST /api/orders/$::O{draft}/submit\nagree=1&agreement_version=1&delivery=drone"]
--- error_code eval
[422, 422, 400, 404, 404, 400]
--- response_body_like eval
['^\{"error" : \{"code" : "incomplete", "message" : "订单尚未填写完整：请填写开票信息；请阅读并同意数字证书申请责任书；请选择领取方式", "missing" : \[\{"item": "invoice", "message": "请填写开票信息"\}, \{"item": "agreement", "message": "请阅读并同意数字证书申请责任书"\}, \{"item": "delivery", "message": "请选择领取方式"\}\]\}\}$',
 '"missing" : \[\{"item": "agreement"',
 ::error_re('invalid_field', 'address_id', '请选择收货地址'),
 ::error_re('address_not_found', 'address_id', '收货地址不存在'),
 ::error_re('pickup_point_not_found', 'pickup_point', '受理点不存在'),
 ::error_re('invalid_field', 'delivery', '请选择正确的领取方式')]



=== TEST 14: a complete submission: pending_payment, the price fixed, the address copied, a message
--- config eval: $::ApiLocation
--- init
::is(::sql_value("SELECT state || coalesce(agreed_at::text, '-') FROM orders WHERE id = '$::O{draft}'"), 'draft-', 'the refused submissions changed nothing');
::sql("INSERT INTO addresses (id, account_id, recipient, mobile, region, detail, is_default) OVERRIDING SYSTEM VALUE SELECT 501, id, '王五', '13700137000', '湖南省长沙市岳麓区', '麓谷大道627号', true FROM accounts WHERE phone = '$::Alice'");
--- more_headers eval: ::logged_in(1)
--- request eval
"POST /api/orders/$::O{draft}/submit\nagree=1&agreement_version=1&delivery=express&address_id=501"
--- error_code: 200
--- response_body_like eval
::has('"state" : "pending_payment"', '"state_name" : "待支付"', '"amount_fen" : 30000',
      '"delivery" : {"method" : "express", "recipient" : "王五", "mobile" : "13700137000", "region" : "湖南省长沙市岳麓区", "detail" : "麓谷大道627号"',
      '"actions" : ["cancel", "invoice_edit"]', '"action" : "submit", "action_name" : "提交订单"')



=== TEST 15: after the submission the draft is no more: edits are 409 (but 开票信息, correctable until the invoice is on its way), the address is the order's own
--- config eval: $::ApiLocation
--- init
::sql("UPDATE addresses SET detail = '另一个地址' WHERE id = 501");
::is(::sql_value("SELECT count(*) FROM messages m WHERE m.order_id = '$::O{draft}' AND m.title = '订单待支付'"), 1, 'the applicant was told');
--- more_headers eval: ::logged_in(1)
--- request eval
["PUT /api/orders/$::O{draft}/info\n$::OrgInfo",
 "PUT /api/orders/$::O{draft}/invoice\n$::Invoice",
 "POST /api/orders/$::O{draft}/submit\nagree=1&agreement_version=1&delivery=pickup&pickup_point=changsha",
 "GET /api/orders/$::O{draft}"]
--- error_code eval
[409, 200, 409, 200]
--- response_body_like eval
[::error_re('order_not_editable', undef, '订单当前状态为“待支付”，不能修改'),
 ::has('"state" : "pending_payment"', '"title" : "湖南示例科技有限公司"', '"actions" : ["cancel", "invoice_edit"]'),
 ::error_re('illegal_transition', undef, '订单当前状态为“待支付”，不能提交'),
 ::has('"detail" : "麓谷大道627号"')]



=== TEST 16: cancel before payment; not twice; the timeline tells it all
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in(1)
--- request eval
["POST /api/orders/$::O{draft}/cancel",
 "POST /api/orders/$::O{draft}/cancel"]
--- error_code eval
[200, 409]
--- response_body_like eval
[::has('"state" : "cancelled"', '"actions" : []', '"to" : "draft"', '"to" : "pending_payment"', '"to" : "cancelled", "to_name" : "已取消", "action" : "cancel", "action_name" : "取消订单"'),
 ::error_re('illegal_transition', undef, '订单当前状态为“已取消”，不能执行此操作')]



=== TEST 17: my orders: each filter and the pages give exactly the right submitted orders, newest first; never the draft (l4)
--- config eval: $::ApiLocation
--- init
::sql("DELETE FROM order_info; DELETE FROM order_invoice; DELETE FROM order_events; DELETE FROM messages; UPDATE certificates SET order_id = NULL; DELETE FROM orders");
::order_row(id => $::O{l1}, phone => $::Alice, at => "'2026-10-01 10:00+08'", org_name => '长沙甲科技有限公司', uscc => $::USCC, id_number => $::ID, submitted => 'pending_review');
::order_row(id => $::O{l2}, phone => $::Alice, at => "'2026-10-15 10:00+08'", project => 'hunan_ccgp', service => 'renew', cert => 103, org_name => '湘潭乙贸易有限公司', uscc => $::USCC2, id_number => $::ID2, submitted => 'pending_payment');
::order_row(id => $::O{l3}, phone => $::Alice, at => "'2026-11-01 10:00+08'", type => 'personal', person_name => '王小明', id_number => $::ID2, submitted => 'pending_payment');
::order_row(id => $::O{l4}, phone => $::Alice, at => "'2026-11-20 10:00+08'", project => 'hunan_ccgp', service => 'new');
::order_row(id => $::O{l5}, phone => $::Bob, at => "'2026-11-02 10:00+08'", org_name => '长沙甲科技有限公司', uscc => $::USCC, id_number => $::ID, submitted => 'pending_payment');
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request eval
["GET /api/orders",
 "GET /api/orders?state=pending_payment",
 "GET /api/orders?project=hunan_ccgp",
 "GET /api/orders?service=renew",
 "GET /api/orders?q=%E9%95%BF%E6%B2%99",
 "GET /api/orders?q=91110000802100433b",
 "GET /api/orders?q=$::ID2",
 "GET /api/orders?q=%25",
 "GET /api/orders?from=2026-10-15&to=2026-11-01",
 "GET /api/orders?per_page=2&page=2",
 "GET /api/orders?per_page=2&page=3",
 "GET /api/orders?state=pending_payment&project=xiangtan_ggzy&q=%E7%8E%8B",
 "GET /api/orders?state=draft",
 "GET /api/orders?from=2026-02-30",
 "GET /api/orders?per_page=101"]
--- error_code eval
[(200) x 13, 400, 400]
--- response_body_like eval
my $ids = sub { my ($total, @n) = @_;
    '^\{"orders" : \[' . CORE::join(', ', map { '\{"id" : "' . $::O{"l$_"} . '"[^{}]*\}' } @n)
    . '\], "page" : \d+, "per_page" : \d+, "total" : ' . $total . '\}$' };
[$ids->(3, 3, 2, 1), $ids->(2, 3, 2), $ids->(1, 2), $ids->(1, 2), $ids->(1, 1),
 $ids->(1, 2), $ids->(2, 3, 2), $ids->(0), $ids->(2, 3, 2), $ids->(3, 1), $ids->(3),
 $ids->(1, 3), $ids->(0),
 ::error_re('invalid_field', 'from', '开始日期应为正确的日期（如2026-01-31）'),
 ::error_re('invalid_field', 'per_page', '每页条数不能大于100')]



=== TEST 18: a list row says what the seeds' table shows
--- config eval: $::ApiLocation
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request
GET /api/orders?service=renew
--- error_code: 200
--- response_body_like eval
::has('"business" : "湖南省政府采购网 单位证书-延期"', '"name" : "湘潭乙贸易有限公司"', '"id_number" : "91110000802100433B"',
      '"submitted_at" : "2026-10-15T11:00:00+08:00"', '"state_name" : "待支付"', '"invoice_state_name" : "未开票"', '"amount_fen" : 30000')



=== TEST 18b: my orders by 订单号: the whole id, a part of it, any case; never another account's, never a draft's
--- config eval: $::ApiLocation
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request eval
["GET /api/orders?q=$::O{l2}",
 "GET /api/orders?q=00000013",
 "GET /api/orders?q=" . lc $::O{l3},
 "GET /api/orders?q=UO2026112100000000",
 "GET /api/orders?q=$::O{l5}",
 "GET /api/orders?q=00000015",
 "GET /api/orders?q=$::O{l1}&state=pending_payment",
 "GET /api/orders?q=$::O{l4}"]
--- error_code eval
[(200) x 8]
--- response_body_like eval
my $ids = sub { my ($total, @n) = @_;
    '^\{"orders" : \[' . CORE::join(', ', map { '\{"id" : "' . $::O{"l$_"} . '"[^{}]*\}' } @n)
    . '\], "page" : \d+, "per_page" : \d+, "total" : ' . $total . '\}$' };
[$ids->(1, 2), $ids->(1, 3), $ids->(1, 3), $ids->(3, 3, 2, 1), $ids->(0), $ids->(0), $ids->(0),
 $ids->(0)]



=== TEST 18c: the list says 资料待审核 for an order awaiting review, as seed 000
--- config eval: $::ApiLocation
--- more_headers eval: "Cookie: certhall_session=" . Certhall::Test::session_token(1)
--- request
GET /api/orders?state=pending_review
--- error_code: 200
--- response_body_like eval
::has('"id" : "' . $::O{l1} . '"', '"state" : "pending_review", "state_name" : "资料待审核"', '"total" : 1')



=== TEST 19: without certhall_data_key the information and the form are 503, the rest works
--- http_config eval: Certhall::Test::hall_http_config()
--- config eval: $::ApiLocation
--- more_headers eval: ::logged_in(1)
--- request eval
["PUT /api/orders/$::O{l4}/info\n$::OrgInfo",
 "GET /api/orders/$::O{l4}/application-form",
 "GET /api/orders/$::O{l4}"]
--- error_code eval
[503, 503, 200]
--- response_body_like eval
[::error_re('orders_unavailable', undef, '在线办理暂未开放，请稍后再试'),
 ::error_re('orders_unavailable', undef, '在线办理暂未开放，请稍后再试'),
 ::has('"id" : "' . $::O{l4} . '"')]



=== TEST 20: a data key that is no 64 hex digits stops nginx at start
--- http_config eval
qq{    certhall_db "$::DB";\n    certhall_data_key $::Dir/bad.key;\n}
--- config eval: $::ApiLocation
--- must_die
--- error_log
is not 64 hex digits
