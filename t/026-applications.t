# 我的申请 and 我的订单 through the module: GET /api/applications lists the
# account's drafts and rejected orders, each with what it misses, the
# rejection and where to continue; a fresh draft is there and not in GET
# /api/orders; once submitted it moves to 我的订单 and leaves 我的申请;
# rejected, it is in both, with its reason; another applicant's never;
# the pages; GET /api/me counts the applications.  Runs inside
# t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Admin;

no_shuffle();

our $Alice = '13800000261';
our $Bob = '13800000262';

# fixed order ids: requests are written before the blocks run
our %O = map { $_->[0] => sprintf('UO20261201000000%04d', $_->[1]) }
         [ready => 2601], [bob => 2603];

our $HttpConfig = hall_http_config();

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("config", $API_LOCATION) unless defined $block->config;
    $block->set_value("http_config", $HttpConfig) unless defined $block->http_config;
});

sub auth {
    my $n = shift // 1;
    return "$FORM\nCookie: certhall_session=" . session_token($n) . "\nX-CSRF-Token: " . csrf_token($n);
}
sub cookie { "Cookie: certhall_session=" . session_token(shift // 1) }

# a JSON answer that contains every fragment given (json_build_object's
# spacing: "key" : value)
sub has {
    return '(?s)^\{' . join('', map { '(?=.*' . quotemeta($_) . ')' } @_);
}

# the list (applications or orders) as exactly these ids (patterns), in
# this order, with this total
sub list {
    my ($key, $total, @ids) = @_;
    return '^\{"' . $key . '" : \[' . join(', ', map { '\{"id" : "' . $_ . '"[^\n]*?\}' } @ids)
        . '\], "page" : \d+, "per_page" : \d+, "total" : ' . $total . '\}$';
}

# the draft the API made: its id is the clock's, any other is fixed
our $Fresh = '(?!UO20261201)UO\d{18}';

run_tests();

__DATA__

=== TEST 1: without a session 401; an account without orders has an empty list; GET only
--- init
::reset_accounts();
::reset_staff();
::make_account($::Alice, 'alice123', verified => ['张三', '1101**********002X']);
::make_account($::Bob, 'bob12345', verified => ['李四', '4405**********0014']);
::make_session($::Alice, 1);
::make_session($::Bob, 2);
--- more_headers eval
['', ::cookie(1), ::auth(1), ::cookie(1)]
--- request eval
["GET /api/applications", "GET /api/applications", "POST /api/applications", "GET /api/applications?per_page=101"]
--- error_code eval
[401, 200, 405, 400]
--- response_body_like eval
[::error_re('not_logged_in', undef, '[^"]+'),
 '^\{"applications" : \[\], "page" : 1, "per_page" : 20, "total" : 0\}$',
 '^\{"error":\{"code":"method_not_allowed",',
 ::error_re('invalid_field', 'per_page', '每页条数不能大于100')]



=== TEST 2: a fresh draft made through the API
--- more_headers eval: ::auth(1)
--- request
POST /api/orders
project=xiangtan_ggzy&service=new&cert_type=personal&agree_terms=1&terms_version=1
--- error_code: 201
--- response_body_like eval
::has('"state" : "draft"')



=== TEST 3: the fresh draft is in 我的申请 with everything it misses, and not in 我的订单
--- more_headers eval: ::cookie(1)
--- request eval
["GET /api/applications", "GET /api/orders", "GET /api/me"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr{^\{"applications" : \[\{"id" : "UO\d{18}", "project" : "xiangtan_ggzy", "project_name" : "湘潭市公共资源交易系统", "service" : "new", "service_name" : "证书新办", "cert_type" : "personal", "cert_type_name" : "个人证书", "business" : "湘潭市公共资源交易系统 个人证书-新办", "name" : null, "state" : "draft", "state_name" : "填写中", "created_at" : "[^"]+", "submitted_at" : null, "updated_at" : "[^"]+", "missing" : \[\{"item" : "info", "message" : "请填写基本信息"\}, \{"item" : "material", "kind" : "application_form", "message" : "请上传申请表"\}, \{"item" : "material", "kind" : "id_front", "message" : "请上传身份证正面"\}, \{"item" : "material", "kind" : "id_back", "message" : "请上传身份证反面"\}, \{"item" : "invoice", "message" : "请填写开票信息"\}\], "rejection" : null, "continue_url" : "/order-edit\.html\?id=UO\d{18}"\}\], "page" : 1, "per_page" : 20, "total" : 1\}$},
 ::list('orders', 0),
 ::has('"applications_count" : 1')]



=== TEST 4: a complete draft submitted through the API; Bob's draft
--- init
$::Rev = ::make_staff('rev26', '审核员小王', ['reviewer']);
::order_at('draft', id => $::O{ready}, phone => $::Alice, complete => 1);
::order_at('draft', id => $::O{bob}, phone => $::Bob);
--- more_headers eval: ::auth(1)
--- request eval
"POST /api/orders/$::O{ready}/submit\nagree=1&agreement_version=1&delivery=pickup&pickup_point=changsha"
--- error_code: 200
--- response_body_like eval
::has('"state" : "pending_payment"')



=== TEST 5: the submitted order moved to 我的订单 and left 我的申请
--- more_headers eval: ::cookie(1)
--- request eval
["GET /api/applications", "GET /api/orders", "GET /api/me"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[::list('applications', 1, $::Fresh), ::list('orders', 1, $::O{ready}),
 ::has('"applications_count" : 1')]



=== TEST 6: paid and rejected, it is in both lists, first in 我的申请 (changed last), with its reason
--- init
Certhall::Admin::transition($::O{ready}, 'pending_review', 'payment', undef);
Certhall::Admin::transition($::O{ready}, 'rejected', 'reviewer', $::Rev, '营业执照不清晰');
--- more_headers eval: ::cookie(1)
--- request eval
["GET /api/applications", "GET /api/orders", "GET /api/applications", "GET /api/me"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[::list('applications', 2, $::O{ready}, $::Fresh),
 ::list('orders', 1, $::O{ready}),
 ::has('"id" : "' . $::O{ready} . '"', '"state" : "rejected", "state_name" : "审核未通过"',
       '"missing" : [], "rejection" : {"at" : "', '"reason" : "营业执照不清晰", "kinds" : []}',
       '"continue_url" : "/order-edit.html?id=' . $::O{ready} . '"'),
 ::has('"applications_count" : 2')]



=== TEST 7: another applicant sees only their own, and none of Alice's
--- more_headers eval: ::cookie(2)
--- request eval
["GET /api/applications", "GET /api/orders"]
--- error_code eval
[200, 200]
--- response_body_like eval
[::list('applications', 1, $::O{bob}), ::list('orders', 0)]



=== TEST 8: the pages: per_page and page, the total whatever the page
--- more_headers eval: ::cookie(1)
--- request eval
["GET /api/applications?per_page=1", "GET /api/applications?per_page=1&page=2",
 "GET /api/applications?per_page=1&page=3", "GET /api/applications?page=abc"]
--- error_code eval
[200, 200, 200, 400]
--- response_body_like eval
[::list('applications', 2, $::O{ready}), ::list('applications', 2, $::Fresh),
 '^\{"applications" : \[\], "page" : 3, "per_page" : 1, "total" : 2\}$',
 ::error_re('invalid_field', 'page', '[^"]+')]
