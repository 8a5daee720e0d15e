# The public website's pages as nginx serves them from www/.
use Test::Nginx::Socket 'no_plan';
use Certhall::Www;

no_shuffle();

# Every page of the site, found in www/ (so a new page gets the checks that
# hold for all of them without being listed here).
our $www_dir = www_dir();
our @PAGES = www_pages();

# The examples of the materials (查看示例): every path the migrations give
# material_kinds.sample_path, and every file in www/samples/.
our @SAMPLES = do {
    my $dir = "$www_dir/../sql/migrations";
    my %seen;
    for my $f (glob "$dir/*.sql") {
        open my $fh, '<:encoding(UTF-8)', $f or die "$f: $!";
        my $sql = do { local $/; <$fh> };
        $seen{$1}++ while $sql =~ m{'(/samples/[^']+)'}g;
    }
    opendir my $dh, "$www_dir/samples" or die "$www_dir/samples: $!";
    $seen{"/samples/$_"}++ for grep { /\.svg\z/ } readdir $dh;
    sort keys %seen;
};

# A regex for one <input> with these attributes, in any order.
sub input_re {
    my %attr = @_;
    my $re = join '', map { "(?=[^>]*\\s\Q$_\E=\"\Q$attr{$_}\E\")" } sort keys %attr;
    return qr{<input$re[^>]*>};
}

# The forms' markup, read from the files: every field has a <label for>,
# every id an aria-* attribute names exists, and no id is used twice --
# what makes the error texts (aria-describedby) reach a screen reader.
for my $page (@PAGES) {
    my $html = www_read($page);
    my (%ids, @dups);
    for my $id ($html =~ /\sid="([^"]+)"/g) {
        push @dups, $id if $ids{$id}++;
    }
    is("@dups", '', "$page - ids are unique");
    my %labelled = map { $_ => 1 } $html =~ /<label\b[^>]*\bfor="([^"]+)"/g;
    for my $input ($html =~ /(<(?:input|select|textarea)\b[^>]*>)/g) {
        next if $input =~ /\btype="(?:hidden|submit|button)"/;
        my ($name) = $input =~ /\bname="([^"]*)"/;
        my ($id) = $input =~ /\bid="([^"]*)"/;
        ok(defined $id && $labelled{$id},
           "$page - field " . ($name // '?') . " has a label");
    }
    for my $ref ($html =~ /\saria-(?:describedby|labelledby|controls)="([^"]*)"/g) {
        for my $id (split ' ', $ref) {
            ok($ids{$id}, "$page - aria reference $id exists");
        }
    }
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    certhall_db "host=$TEST_NGINX_PG_HOST dbname=$TEST_NGINX_PG_DATABASE user=$TEST_NGINX_PG_USER";
    include /etc/nginx/mime.types;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", $WWW_LOCATIONS . <<'_EOC_');
    location /api/ {
        certhall;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: / is the hall's home page with the four services
--- request
GET /
--- error_code: 200
--- response_body_like chomp
(?s)<title>在线服务厅.*证书新办.*证书延期.*证书解锁.*证书补办.*<script src="/js/status.js">
--- no_error_log
[error]



=== TEST 2: the page's script and style are served
--- request eval
["GET /js/status.js", "GET /css/site.css"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr{fetch\('/api/health'}, qr{\.services}]



=== TEST 3: the API the page calls answers beside it
--- request
GET /api/health
--- response_body chomp
{"status":"ok","database":"ok"}



=== TEST 4: the account pages are HTML in UTF-8, each with its script after api.js
--- request eval
["GET /register.html", "GET /login.html", "GET /reset-password.html",
 "GET /account.html"]
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
["Content-Type: text/html; charset=utf-8",
 "Content-Type: text/html; charset=utf-8",
 "Content-Type: text/html; charset=utf-8",
 "Content-Type: text/html; charset=utf-8"]
--- response_body_like eval
[qr{(?s)<title>注册账号 - 在线服务厅</title>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/register\.js"></script>},
 qr{(?s)<title>登录 - 在线服务厅</title>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/login\.js"></script>},
 qr{(?s)<title>找回密码 - 在线服务厅</title>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/reset-password\.js"></script>},
 qr{(?s)<title>个人中心 - 在线服务厅</title>.*<script src="/js/api\.js"></script>.*<script src="/js/vendor/qrcode-generator/qrcode\.js"></script>\s*<script src="/js/qr\.js"></script>\s*<script src="/js/account\.js"></script>}]
--- no_error_log
[error]



=== TEST 5: register.html has 手机号, 登录密码 and 手机验证码 with 获取验证码, and 提交注册
--- request eval
[("GET /register.html") x 9]
--- error_code eval
[(200) x 9]
--- response_body_like eval
[qr{<label for="reg-phone">手机号</label>},
 main::input_re(id => 'reg-phone', name => 'phone', type => 'tel',
                autocomplete => 'tel', 'aria-describedby' => 'reg-phone-error'),
 qr{<label for="reg-password">登录密码</label>},
 main::input_re(id => 'reg-password', name => 'password', type => 'password',
                autocomplete => 'new-password'),
 qr{8–64 位，须同时包含字母和数字},
 qr{<label for="reg-code">手机验证码</label>},
 main::input_re(id => 'reg-code', name => 'sms_code', inputmode => 'numeric',
                autocomplete => 'one-time-code'),
 qr{(?s)<button type="button"[^>]*>获取验证码</button>.*<button type="submit"[^>]*>提交注册</button>},
 qr{<p class="form-error"[^>]* role="alert"}]



=== TEST 6: login.html has the tabs 账号密码 and 短信验证码, and links to register and reset
--- request eval
[("GET /login.html") x 8]
--- error_code eval
[(200) x 8]
--- response_body_like eval
[qr{<div class="tabs" role="tablist"},
 qr{<button type="button" role="tab" id="tab-password" aria-controls="panel-password"\s+aria-selected="true"[^>]*>账号密码</button>},
 qr{<button type="button" role="tab" id="tab-sms" aria-controls="panel-sms"\s+aria-selected="false"[^>]*>短信验证码</button>},
 qr{(?s)<div role="tabpanel" id="panel-password" aria-labelledby="tab-password">(?:(?!tabpanel).)*}
   . main::input_re(name => 'phone', type => 'tel', autocomplete => 'tel')
   . qr{(?s:(?!tabpanel).)*}
   . main::input_re(name => 'password', type => 'password', autocomplete => 'current-password'),
 qr{(?s)<div role="tabpanel" id="panel-sms" aria-labelledby="tab-sms" hidden>(?:(?!tabpanel).)*}
   . main::input_re(name => 'phone', type => 'tel', autocomplete => 'tel')
   . qr{(?s:(?!tabpanel).)*}
   . main::input_re(name => 'sms_code', inputmode => 'numeric', autocomplete => 'one-time-code')
   . qr{\s*<button type="button"[^>]*>获取验证码</button>},
 qr{<a href="/register\.html" data-keep-next>注册账号</a>},
 qr{<a href="/reset-password\.html" data-keep-next>忘记密码？</a>},
 qr{(?s)<script src="/js/api\.js"></script>.*<script src="/js/login\.js"></script>}]



=== TEST 7: reset-password.html asks for the phone, the code and the new password twice
--- request eval
[("GET /reset-password.html") x 6]
--- error_code eval
[(200) x 6]
--- response_body_like eval
[main::input_re(name => 'phone', type => 'tel', autocomplete => 'tel'),
 main::input_re(name => 'sms_code', inputmode => 'numeric', autocomplete => 'one-time-code'),
 qr{<button type="button"[^>]*>获取验证码</button>},
 main::input_re(name => 'new_password', type => 'password', autocomplete => 'new-password'),
 main::input_re(name => 'new_password_confirm', type => 'password', autocomplete => 'new-password'),
 qr{<a href="/login\.html" data-keep-next>返回登录</a>}]



=== TEST 8: account.html: 个人中心 with 退出登录, the real-name form and the place for the QR code
--- request eval
[("GET /account.html") x 8]
--- error_code eval
[(200) x 8]
--- response_body_like eval
[qr{<h1 id="profile-title">个人中心</h1>},
 qr{<button type="button" class="btn btn-secondary" id="logout">退出登录</button>},
 qr{(?s)<dt>手机号</dt>\s*<dd id="me-phone"></dd>\s*<dt>实名认证</dt>.*<dt>我的消息</dt>\s*<dd id="me-unread"></dd>},
 qr{<label for="ra-name">姓名</label>},
 main::input_re(id => 'ra-name', name => 'name', autocomplete => 'name'),
 qr{<label for="ra-id">身份证号码</label>},
 main::input_re(id => 'ra-id', name => 'id_number', autocomplete => 'off'),
 qr{(?s)<div class="qr" id="ra-qr-code"></div>.*<p class="qr-status" id="ra-qr-status" role="status">}]



=== TEST 9: index.html links to 登录 and 注册, says real-name verification comes first, and loads nav.js
--- request eval
[("GET /") x 3]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr{<span class="account-nav" id="account-nav">\s*<a href="/login\.html">登录</a>\s*<a href="/register\.html">注册</a>},
 qr{<p class="notice" id="realname-notice">办理数字证书须先完成实名认证},
 qr{<script src="/js/status\.js"></script>\s*<script src="/js/api\.js"></script>\s*<script src="/js/nav\.js"></script>}]



=== TEST 10: api.js: same-origin fetch, form encoding, the CSRF header from the cookie, errors as objects
--- request eval
[("GET /js/api.js") x 6]
--- error_code eval
[(200) x 6]
--- response_headers eval
[("Content-Type: application/javascript; charset=utf-8") x 6]
--- response_body_like eval
[qr{CertHall\.api = \{},
 qr{credentials: 'same-origin'},
 qr{'application/x-www-form-urlencoded;charset=UTF-8'},
 qr{(?s)var CSRF_COOKIE = 'certhall_csrf';.*headers\['X-CSRF-Token'\] = token;},
 qr{res\.headers\.get\('Retry-After'\)},
 qr{(?s)e\.status = status;\s*e\.code = code;\s*e\.field = [^;]+;\s*e\.message = message;\s*e\.retryAfter = }]



=== TEST 11: the pages' scripts are all served, as JavaScript
--- request eval
["GET /js/ui.js", "GET /js/nav.js", "GET /js/register.js", "GET /js/login.js",
 "GET /js/reset-password.js", "GET /js/account.js", "GET /js/qr.js"]
--- error_code eval
[200, 200, 200, 200, 200, 200, 200]
--- response_headers eval
[("Content-Type: application/javascript; charset=utf-8") x 7]
--- response_body_like eval
[qr{CertHall\.ui = }, qr{mine\('/api/me'\)}, qr{post\('/api/accounts'},
 qr{post\('/api/session'}, qr{post\('/api/password-reset'},
 qr{(?s)CertHall\.nav\.logout\(\).*post\('/api/me/realname'|(?s)post\('/api/me/realname'.*CertHall\.nav\.logout\(\)},
 qr{CertHall\.qr = }]



=== TEST 12: the vendored QR encoder is served with its licence and named in the vendor README
--- request eval
["GET /js/vendor/qrcode-generator/qrcode.js",
 "GET /js/vendor/qrcode-generator/LICENSE",
 "GET /js/vendor/README.md"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr{(?s)\A//-+\n//\n// QR Code Generator for JavaScript\n.*Licensed under the MIT license.*var qrcode = function\(\)},
 qr{(?s)Copyright \(c\) 2009 Kazuhiko Arase.*Permission is hereby granted, free of charge},
 qr{\| `qrcode-generator/qrcode\.js` \| qrcode-generator \(Kazuhiko Arase\) \| 2\.0\.4 \| MIT}]



=== TEST 13: no page has inline script code or event-handler attributes (a strict CSP holds)
--- request eval
[map { "GET $_" } @main::PAGES]
--- error_code eval
[(200) x @main::PAGES]
--- response_body_unlike eval
[(qr{(?i)<script(?![^>]*\ssrc=)[^>]*>|<script[^>]*>[^<]*[^<\s][^<]*</script|<[a-z][^>]*\son[a-z]+\s*=|javascript:|\sstyle\s*=}) x @main::PAGES]



=== TEST 14: every page and stylesheet is served from here: no CDN, no other origin
--- request eval
[(map { "GET $_" } @main::PAGES), "GET /css/site.css"]
--- error_code eval
[(200) x (@main::PAGES + 1)]
--- response_body_unlike eval
[(qr{(?i)<(?:script|link|img|iframe)\b[^>]*\s(?:src|href)\s*=\s*"(?:[a-z][a-z0-9+.-]*:|//)|\@import|url\(\s*['"]?(?:[a-z][a-z0-9+.-]*:|//)}) x (@main::PAGES + 1)]



=== TEST 15: the ordering and list pages are HTML in UTF-8, each with its script after api.js, ui.js and nav.js (and upload.js where files are shown)
--- request eval
["GET /apply.html", "GET /order-edit.html", "GET /orders.html", "GET /order.html",
 "GET /addresses.html", "GET /invoice-titles.html", "GET /messages.html"]
--- error_code eval
[(200) x 7]
--- response_headers eval
[("Content-Type: text/html; charset=utf-8") x 7]
--- response_body_like eval
[qr{(?s)<title>在线办理 - 在线服务厅</title>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/nav\.js"></script>\s*<script src="/js/agreements\.js"></script>\s*<script src="/js/apply\.js"></script>},
 qr{(?s)<title>填写订单 - 在线服务厅</title>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/nav\.js"></script>\s*<script src="/js/upload\.js"></script>\s*<script src="/js/agreements\.js"></script>\s*<script src="/js/invoice-step\.js"></script>\s*<script src="/js/order-edit\.js"></script>},
 qr{(?s)<title>我的订单 - 在线服务厅</title>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/nav\.js"></script>\s*<script src="/js/orders\.js"></script>},
 qr{(?s)<title>订单详情 - 在线服务厅</title>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/nav\.js"></script>\s*<script src="/js/upload\.js"></script>\s*<script src="/js/agreements\.js"></script>\s*<script src="/js/alipay\.js"></script>\s*<script src="/js/shipment\.js"></script>\s*<script src="/js/einvoice\.js"></script>\s*<script src="/js/order\.js"></script>},
 qr{(?s)<title>我的地址 - 在线服务厅</title>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/nav\.js"></script>\s*<script src="/js/list-editor\.js"></script>\s*<script src="/js/addresses\.js"></script>},
 qr{(?s)<title>我的发票抬头 - 在线服务厅</title>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/nav\.js"></script>\s*<script src="/js/list-editor\.js"></script>\s*<script src="/js/invoice-titles\.js"></script>},
 qr{(?s)<title>我的消息 - 在线服务厅</title>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/nav\.js"></script>\s*<script src="/js/messages\.js"></script>}]
--- no_error_log
[error]



=== TEST 16: the ordering and list pages' scripts are all served, as JavaScript, calling their API
--- request eval
["GET /js/apply.js", "GET /js/order-edit.js", "GET /js/orders.js", "GET /js/order.js",
 "GET /js/list-editor.js", "GET /js/addresses.js", "GET /js/invoice-titles.js",
 "GET /js/messages.js", "GET /js/upload.js"]
--- error_code eval
[(200) x 9]
--- response_headers eval
[("Content-Type: application/javascript; charset=utf-8") x 9]
--- response_body_like eval
[qr{(?s)mine\('/api/certificates'\).*post\('/api/orders'|(?s)post\('/api/orders'.*mine\('/api/certificates'\)},
 qr{(?s)path\('/info'\).*url: path\('/materials/' \+ encodeURIComponent\(m\.kind\)\).*path\('/invoice'\).*post\(path\('/submit'\)},
 qr{mine\('/api/orders', params\)},
 qr{(?s)(?=.*api\.post\(path\(tail\)\))(?=.*orderAction\(this, '/cancel',)(?=.*orderAction\(this, '/resubmit',)(?=.*url: path\('/voucher'\))},
 qr{CertHall\.listEditor = },
 qr{path: '/api/addresses'},
 qr{path: '/api/invoice-titles'},
 qr{(?s)'/read'\).*post\('/api/messages/read-all'\)},
 qr{(?s)CertHall\.upload = \{.*api\.upload\(o\.url, f,.*api\.del\(o\.url\)|(?s)api\.upload\(o\.url, f,.*api\.del\(o\.url\).*CertHall\.upload = \{}]



=== TEST 17: apply.html offers the four services with the seeds' words, the project and the certificate type
--- request eval
[("GET /apply.html") x 7]
--- error_code eval
[(200) x 7]
--- response_body_like eval
[qr{<label for="svc-new"><strong>证书新办</strong><span>企业或个人首次开通，办理数字证书</span></label>},
 qr{<label for="svc-renew"><strong>证书延期</strong><span>数字证书即将过期或已过期3个月内，可申请续费</span></label>},
 qr{<label for="svc-unlock"><strong>证书解锁</strong><span>数字证书密码遗忘或尝试密码多次导致被锁，可申请解锁</span></label>},
 qr{<label for="svc-replace"><strong>证书补办</strong><span>数字证书在有效期内遗失，可申请补办</span></label>},
 qr{(?s)<label for="apply-project">申请项目</label>\s*<select id="apply-project" name="project"},
 main::input_re(id => 'ct-org', type => 'radio', name => 'cert_type', value => 'org'),
 main::input_re(id => 'ct-personal', type => 'radio', name => 'cert_type', value => 'personal')]



=== TEST 18: order-edit.html has the seven steps, both kinds of 基本信息, 开票信息, the agreement and 领取方式
--- request eval
[("GET /order-edit.html") x 14]
--- error_code eval
[(200) x 14]
--- response_body_like eval
[qr{(?s)<ol class="steps"[^>]*>\s*<li><a[^>]*>基本信息</a></li>\s*<li><a[^>]*>资料上传</a></li>\s*<li><a[^>]*>开票信息</a></li>\s*<li><a[^>]*>订单提交</a></li>\s*<li>在线缴费</li>\s*<li>人工审核</li>\s*<li id="step-done">办理成功</li>\s*</ol>},
 qr{(?s)<fieldset id="info-org" disabled hidden>.*name="org_name".*name="uscc".*name="legal_name".*name="legal_id_number".*name="handler_name".*</fieldset>},
 qr{(?s)<fieldset id="info-personal" disabled hidden>(?:(?!</fieldset>).)*name="name"(?:(?!</fieldset>).)*name="id_number"},
 main::input_re(id => 'in-mobile', name => 'mobile', type => 'tel', autocomplete => 'tel'),
 main::input_re(id => 'in-email', name => 'email', type => 'email', autocomplete => 'email'),
 main::input_re(type => 'radio', name => 'title_type', value => 'org'),
 main::input_re(id => 'iv-title', name => 'title'),
 main::input_re(id => 'iv-taxid', name => 'taxpayer_id'),
 main::input_re(id => 'iv-remark', name => 'remark'),
 qr{(?s)<input type="checkbox" id="iv-save" name="save_title" value="1">\s*<label for="iv-save">保存到我的发票抬头</label>},
 qr{<select id="iv-pick"},
 qr{(?s)<input type="checkbox" id="sb-agree" name="agree" value="1"[^>]*>\s*<label for="sb-agree">我已阅读并同意《数字证书申请责任书》</label>\s*</div>\s*<p class="field-error" id="sb-agree-error" hidden></p>\s*<p class="hint agreement-open"><a id="sb-agreement-link" href="/agreement\.html\?code=agreement" target="_blank" rel="noopener">阅读《数字证书申请责任书》（在新窗口中打开）</a></p>},
 qr{(?s)<input type="radio" id="sb-express" name="delivery" value="express"[^>]*>\s*<label for="sb-express">快递邮寄</label>},
 qr{(?s)<input type="radio" id="sb-pickup" name="delivery" value="pickup"[^>]*>\s*<label for="sb-pickup">受理点自取</label>}]



=== TEST 19: orders.html filters by 申请项目, 业务类型, 订单状态, 证书名称/证件号码 and 提交时间, and has the seeds' columns
--- request eval
[("GET /orders.html") x 7]
--- error_code eval
[(200) x 7]
--- response_body_like eval
[qr{<form id="filter-form" class="form filters" method="get" action="/orders\.html" role="search">},
 qr{(?s)<label for="f-project">申请项目</label>\s*<select id="f-project" name="project">},
 qr{(?s)<label for="f-service">业务类型</label>\s*<select id="f-service" name="service">.*<option value="new">证书新办</option>.*<option value="replace">证书补办</option>},
 qr{(?s)<label for="f-state">订单状态</label>\s*<select id="f-state" name="state">.*<option value="pending_review">资料待审核</option>.*<option value="cancelled">已取消</option>},
 qr{(?s)<label for="f-q">订单号/证书名称/证件号码</label>\s*<input id="f-q" name="q" type="search"[^>]*\splaceholder="订单号[^"]*"},
 qr{(?s)<label for="f-from">提交时间</label>.*<input id="f-from" name="from" type="text"[^>]*placeholder="年/月/日".*<input id="f-to" name="to" type="text"[^>]*placeholder="年/月/日".*<p class="hint" id="f-date-hint">如 2026年12月7日，也可输入 2026-12-07</p>},
 qr{(?s)<th scope="col">订单号</th>\s*<th scope="col">证书名/证件号码</th>\s*<th scope="col">业务信息</th>\s*<th scope="col">提交日期</th>\s*<th scope="col">订单状态</th>\s*<th scope="col">发票状态</th>\s*<th scope="col">操作</th>}]



=== TEST 20: the account's pages have the 账号中心 menu, which nav.js fills with its six entries
--- request eval
["GET /account.html", "GET /orders.html", "GET /order.html", "GET /addresses.html",
 "GET /invoice-titles.html", "GET /messages.html", "GET /js/nav.js"]
--- error_code eval
[(200) x 7]
--- response_body_like eval
[(qr{<nav class="account-menu" id="account-menu" aria-label="账号中心"></nav>}) x 6,
 qr{(?s)'/account\.html', text: '个人中心'.*'/orders\.html', text: '我的订单'.*'/addresses\.html', text: '我的地址'.*'/messages\.html', text: '我的消息', count: 'unread'.*'/invoice-titles\.html', text: '我的发票抬头'.*setUnread: setUnread}]



=== TEST 21: every page's top navigation leads to 在线办理 (apply.html)
--- request eval
[map { "GET $_" } @main::PAGES]
--- error_code eval
[(200) x @main::PAGES]
--- response_body_like eval
[(qr{<nav aria-label="主导航">\s*<a href="/apply\.html"(?: aria-current="page")?>在线办理</a>}) x @main::PAGES]



=== TEST 22: order-edit.html's 资料上传 lists the order's materials, says which are missing, and its 下一步 names why it waits
--- request eval
[("GET /order-edit.html") x 2]
--- error_code eval
[(200) x 2]
--- response_body_like eval
[qr{(?s)<section class="card" id="step-2"[^>]*>(?:(?!</section>).)*<ul class="materials" id="materials"></ul>\s*<div class="notice" id="materials-missing" hidden></div>\s*<p class="form-error" id="materials-error" role="alert" hidden></p>},
 qr{<button type="button" class="btn btn-primary" id="materials-next"\s+aria-describedby="materials-missing materials-error">下一步：开票信息</button>}]
--- response_body_unlike eval
[qr{暂不能在线上传}, qr{暂不能在线上传}]



=== TEST 23: order.html offers 缴费方式 公对公转账 and 支付宝, then the bank details with the seeds' note and the voucher's upload
--- request eval
[("GET /order.html") x 5]
--- error_code eval
[(200) x 5]
--- response_body_like eval
[qr{(?s)<section class="card" id="pay" aria-labelledby="pay-title" hidden>\s*<h2 id="pay-title" tabindex="-1">在线缴费</h2>\s*<form id="pay-form"},
 qr{(?s)<form id="pay-form"[^>]*>\s*<p class="form-error" id="pay-error" role="alert" hidden></p>},
 qr{(?s)<legend>缴费方式</legend>\s*<span class="choice inline">\s*<input type="radio" id="pay-transfer" name="method" value="transfer"[^>]*>\s*<label for="pay-transfer">公对公转账</label>\s*</span>\s*<span class="choice inline">\s*<input type="radio" id="pay-alipay" name="method" value="alipay"[^>]*>\s*<label for="pay-alipay">支付宝（推荐）</label>},
 qr{(?s)<div id="transfer" hidden>(?:(?!</div>).)*<dl class="facts" id="transfer-facts"></dl>\s*<p class="notice" id="transfer-note">注：转账凭证的付款单位名称与申请单位名称一致。</p>},
 qr{<ul class="materials voucher" id="voucher" aria-label="公对公转账凭证"></ul>}]



=== TEST 24: order.js pays with method=transfer or alipay and shows 收款方, 收款银行账号 and the amount in yuan
--- request eval
[("GET /js/order.js") x 3]
--- error_code eval
[(200) x 3]
--- response_body_like eval
[qr{api\.post\(path\('/pay'\), \{ method: method \}\)},
 qr{(?s)\['收款方', t\.payee\],\s*\['收款银行账号', \[t\.bank, ' ', el\('strong', \{ className: 'account-number' \}, t\.account\)\]\],\s*\['转账金额', el\('strong', null, ui\.yuan\(t\.amount_fen\)\)\]},
 qr{ui\.showApiError\(payForm, err\)}]



=== TEST 25: uploads go as multipart/form-data, the file in the part `file`, with the CSRF header, reporting their progress
--- request eval
[("GET /js/api.js") x 4]
--- error_code eval
[(200) x 4]
--- response_body_like eval
[qr{(?s)function upload\(path, file, o\) \{.*var body = new FormData\(\);\s*body\.append\('file', file, file\.name\);\s*xhr\.open\('POST', path\);},
 qr{(?s)function upload\(path, file, o\) \{.*var token = csrfToken\(\);\s*if \(token\) \{\s*xhr\.setRequestHeader\('X-CSRF-Token', token\);},
 qr{xhr\.upload\.addEventListener\('progress', function \(ev\) \{},
 qr{(?s)xhr\.addEventListener\('load', function \(\) \{.*resolve\(answer\(res, xhr\.responseText\)\);}]



=== TEST 26: upload.js refuses before sending what the server would (over max_bytes, no jpg/bmp/png/pdf by its first bytes), labels its picker, and shows a file only as text, an <img> or a link
--- request eval
[("GET /js/upload.js") x 6]
--- error_code eval
[(200) x 6]
--- response_body_like eval
[qr{if \(m\.max_bytes > 0 && file\.size > m\.max_bytes\) \{},
 qr{(?s)function sniff\(b\) \{.*\[0xff, 0xd8, 0xff\].*'jpg'.*\[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a\].*'png'.*\[0x42, 0x4d\].*'bmp'.*\[0x25, 0x50, 0x44, 0x46, 0x2d\].*'pdf'},
 qr{(?s)input = el\('input', \{\s*type: 'file', id: ids\.input,.*pick = el\('label', \{ htmlFor: ids\.input,},
 qr{pick\.textContent = \(file \? '重新上传' : '点击上传'\) \+ name;},
 qr{el\('img', \{ src: file\.url, alt: },
 qr{(?s)status\.setAttribute\('role', 'status'\);\s*error\.setAttribute\('role', 'alert'\);}]
--- response_body_unlike eval
[(qr{innerHTML|insertAdjacentHTML|document\.write|<iframe|<object|<embed}) x 6]



=== TEST 27: every page's header says 欢迎您 … 退出 once logged in: nav.js ends the session and goes to the login page; 退出登录 does the same
--- request eval
[("GET /js/nav.js") x 3, "GET /js/account.js"]
--- error_code eval
[(200) x 4]
--- response_body_like eval
[qr{link\.textContent = '欢迎您，' \+ \(me\.phone \|\| ''\);},
 qr{(?s)out\.textContent = '退出';.*nav\.appendChild\(link\);\s*nav\.appendChild\(out\);},
 qr{(?s)function logout\(\) \{.*CertHall\.api\.forgetToken\(\);\s*window\.location\.replace\('/login\.html'\);.*CertHall\.api\.del\('/api/session'\)},
 qr{(?s)\$\('logout'\)\.addEventListener\('click'.*CertHall\.nav\.logout\(\)}]



=== TEST 28: 我的订单 on a phone: the rows become cards below 48em, each cell after its column's name, nothing off to the right
--- request eval
["GET /orders.html", "GET /js/orders.js", "GET /css/site.css", "GET /css/site.css"]
--- error_code eval
[(200) x 4]
--- response_body_like eval
[qr{<table class="list cards">},
 qr{(?s)querySelectorAll\('#orders-wrap thead th'\).*td\.setAttribute\('data-label', LABELS\[i\]\)},
 qr{(?s)\@media \(max-width: 48em\) \{\s*table\.list\.cards, table\.list\.cards tbody, table\.list\.cards tr, table\.list\.cards td \{ display: block; \}.*table\.list\.cards thead \{ position: absolute;.*table\.list\.cards td::before \{ content: attr\(data-label\);},
 qr{(?s)\@media \(max-width: 48em\) \{.*\.table-wrap:has\(table\.list\.cards\) \{ overflow-x: visible; \}}]



=== TEST 29: the applicant reads 资料待审核, a shipment's note 快递：…, 订单总价 and 订单实付
--- request eval
[("GET /js/ui.js") x 2, ("GET /js/order.js") x 3]
--- error_code eval
[(200) x 5]
--- response_body_like eval
[qr{var APPLICANT_STATE_NAMES = \{ pending_review: '资料待审核' \};},
 qr{(?s)var NOTE_LABELS = \{ ship: '快递', pick_up: '自取' \};.*\(NOTE_LABELS\[e\.action\] \|\| '原因'\) \+ '：' \+ e\.reason},
 qr{el\('span', \{ className: 'sub' \}, ui\.eventNote\(e\)\)},
 qr{(?s)\['订单总价', totalText\(\)\],\s*\['订单实付', paidText\(\)\],},
 qr{(?s)function paidText\(\) \{\s*if \(order\.paid_fen > 0\) \{\s*return ui\.yuan\(order\.paid_fen\);.*order\.voucher_decision === 'refused'.*ui\.yuan\(0\)}]
--- response_body_unlike eval
[qr{'原因：' \+ e\.reason}, qr{'原因：' \+ e\.reason}, qr{'原因：' \+ e\.reason},
 qr{'订单金额'}, qr{'订单金额'}]



=== TEST 30: 查看示例 beside a material with an example: a link to it, opened large in a dialog
--- request eval
[("GET /js/upload.js") x 2]
--- error_code eval
[(200) x 2]
--- response_body_like eval
[qr{m\.sample_url \? sampleLink\(m, name\) : null},
 qr{(?s)el\('a', \{ href: m\.sample_url, className: 'sample-link', target: '_blank',\s*rel: 'noopener', 'aria-label': name \+ '：查看示例' \}, '查看示例'\).*box\.img\.src = m\.sample_url;.*box\.dialog\.showModal\(\);}]



=== TEST 31: every example is served, as an SVG image watermarked 示例, with no script and no valid ID number
--- request eval
[map { "GET $_" } @main::SAMPLES]
--- error_code eval
[(200) x @main::SAMPLES]
--- response_headers eval
[("Content-Type: image/svg+xml") x @main::SAMPLES]
--- response_body_like eval
[(qr{(?s)\A<svg xmlns="http://www\.w3\.org/2000/svg"[^>]*role="img" aria-label="[^"]*示例[^"]*">.*>示例</text>.*示例 · 仅供参考}) x @main::SAMPLES]
--- response_body_unlike eval
[(qr{(?i)<script|\son[a-z]+\s*=|javascript:|<foreignObject|(?:href|src)\s*=\s*"(?!#)|(?<![0-9])(?!000000)[1-9][0-9]{16}[0-9X](?![0-9])}) x @main::SAMPLES]



=== TEST 32: the account page shows the real-name request id RN… with 复制
--- request eval
["GET /account.html", "GET /js/account.js"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr{<p class="request-id" id="ra-request" hidden>认证请求编号：<code id="ra-request-id"></code>\s*<button type="button" class="btn btn-secondary btn-small" id="ra-request-copy">复制</button>},
 qr{(?s)showRequestId\(r\.request_id\);.*CertHall\.copy\(\$\('ra-request-id'\), \$\('ra-request-copied'\)\)}]



=== TEST 33: the agreements: apply.html has the user terms to read and agree to before the certificate type; agreement.html shows one text to read and print
--- request eval
[("GET /apply.html") x 3, ("GET /agreement.html") x 2, "GET /js/agreements.js", "GET /js/agreement.js"]
--- error_code eval
[(200) x 7]
--- response_body_like eval
[qr{(?s)<fieldset id="terms-fields">\s*<legend>用户申请条款</legend>.*<details class="agreement-box" id="terms-box">\s*<summary id="terms-summary">阅读《用户申请条款》</summary>.*<a id="terms-link" href="/agreement\.html\?code=user_terms" target="_blank" rel="noopener">.*<fieldset id="new-fields"},
 qr{(?s)<input type="checkbox" id="apply-agree-terms" name="agree_terms" value="1" aria-describedby="apply-terms-error">\s*<label for="apply-agree-terms">我已阅读并同意《用户申请条款》</label>},
 qr{(?s)id="terms-fields".*id="ct-org"},
 qr{(?s)<title>协议文本 - 在线服务厅</title>.*<div class="agreement-text" id="agreement-body"></div>.*<button type="button" class="btn btn-primary" id="agreement-print">打印</button>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/nav\.js"></script>\s*<script src="/js/agreements\.js"></script>\s*<script src="/js/agreement\.js"></script>},
 qr{<meta name="viewport" content="width=device-width, initial-scale=1">},
 qr{(?s)api\.get\('/api/agreements/' \+ encodeURIComponent\(code\).*node\.appendChild\(el\('p', null, line\)\)},
 qr{(?s)agreements\.load\(code, version\).*window\.print\(\)|(?s)window\.print\(\).*agreements\.load\(code, version\)}]
--- response_body_unlike eval
[(qr{innerHTML}) x 7]



=== TEST 34: order.html: 支付宝 goes through alipay.js; the payment, 改用支付宝支付 and the 支付记录 have their places in 在线缴费
--- request eval
[("GET /order.html") x 4]
--- error_code eval
[(200) x 4]
--- response_body_like eval
[qr{(?s)<section class="card" id="pay"(?:(?!</section>).)*<div class="alipay-switch" id="alipay-switch" hidden>\s*<p class="form-error" id="alipay-switch-error" role="alert" hidden></p>.*<button type="button" class="btn btn-secondary" id="act-alipay"\s+aria-describedby="alipay-switch-error">改用支付宝支付</button>},
 qr{(?s)<section class="card" id="pay"(?:(?!</section>).)*<div id="alipay-paid" hidden>\s*<h3 id="alipay-paid-title" tabindex="-1">支付宝付款</h3>\s*<dl class="facts" id="alipay-facts"></dl>},
 qr{(?s)<section class="card" id="pay"(?:(?!</section>).)*<div class="alipay-attempts" id="alipay-attempts"></div>\s*</section>},
 qr{<script src="/js/alipay\.js"></script>\s*(?:<script src="/js/(?:shipment|einvoice)\.js"></script>\s*)*<script src="/js/order\.js"></script>}]



=== TEST 35: alipay.js pays with the channel the viewport calls for and posts the signed fields to the gateway in a form it builds, hidden inputs made with the DOM
--- request eval
[("GET /js/alipay.js") x 7, ("GET /js/order.js") x 3]
--- error_code eval
[(200) x 10]
--- response_headers eval
[("Content-Type: application/javascript; charset=utf-8") x 10]
--- response_body_like eval
[qr{var PHONE = '\(max-width: 768px\)';(?s).*global\.matchMedia\(PHONE\)\.matches \? 'wap' : 'page'},
 qr{api\.post\(url, \{ method: 'alipay', channel: channel\(\) \}\)},
 qr{(?s)var form = doc\.createElement\('form'\);.*form\.action = action;.*Object\.keys\(r\.fields\)\.forEach\(function \(name\) \{\s*var input = doc\.createElement\('input'\);\s*input\.type = 'hidden';\s*input\.name = name;\s*input\.value = String\(r\.fields\[name\]\);\s*form\.appendChild\(input\);\s*\}\);\s*doc\.body\.appendChild\(form\);\s*form\.submit\(\);},
 qr{return u\.protocol === 'https:' \|\| u\.protocol === 'http:' \? u\.href : null;},
 qr{var CHANNEL_NAMES = \{ page: '电脑', wap: '手机' \};\s*var STATE_NAMES = \{ open: '待付款', paid: '已付款', closed: '已关闭' \};},
 qr{(?s)\['支付方式', '支付宝'\],\s*\['交易号', [^\n]*p\.trade_no\)\],\s*\['金额', el\('strong', null, ui\.yuan\(p\.amount_fen\)\)\],\s*\['支付时间', },
 qr{(?s)var COLUMNS = \['次数', '渠道', '金额', '状态', '发起时间'\];.*el\('details', \{ className: 'attempts', open: list\.length <= SHOWN_OPEN \},\s*el\('summary', \{ id: summaryId \}, '支付记录（共 ' \+ list\.length \+ ' 次）'\)},
 qr{(?s)if \(method === 'alipay'\) \{\s*payAlipay\(.*ui\.showApiError\(payForm, err\);},
 qr{(?s)function payAlipay\(busy, errorBox\) \{.*alipay\.pay\(path\('/pay'\)\).*if \(err\.status === 409\) \{\s*ui\.show\(\$\('order-error'\), err\.message\);\s*\$\('order-title'\)\.focus\(\);\s*reload\(null\);},
 qr{(?s)function renderAlipay\(awaiting, tries\) \{.*ui\.facts\(\$\('alipay-facts'\), alipay\.paymentFacts\(p\)\);.*\$\('alipay-switch'\)\.hidden = !awaiting;.*alipay\.attempts\(tries, }]
--- response_body_unlike eval
[(qr{innerHTML|insertAdjacentHTML|outerHTML|document\.write}) x 10]



=== TEST 36: pay-return.html reads the order its out_trade_no names every 2 s for up to 2 minutes, says 支付成功，等待审核 only when the order does, and offers 刷新 after
--- request eval
["GET /pay-return.html", ("GET /js/pay-return.js") x 5]
--- error_code eval
[(200) x 6]
--- response_headers eval
["Content-Type: text/html; charset=utf-8",
 ("Content-Type: application/javascript; charset=utf-8") x 5]
--- response_body_like eval
[qr{(?s)<title>支付结果 - 在线服务厅</title>.*<p class="notice ok result-headline" id="result-paid" hidden>支付成功，等待审核</p>.*<p class="status waiting" id="result-status" role="status">.*<button type="button" class="btn btn-secondary" id="result-refresh"[^>]*>刷新</button>.*<script src="/js/api\.js"></script>\s*<script src="/js/ui\.js"></script>\s*<script src="/js/nav\.js"></script>\s*<script src="/js/pay-return\.js"></script>},
 qr{(?s)var outTradeNo = ui\.param\('out_trade_no'\) \|\| '';\s*var parts = /\^\(\[A-Za-z0-9\]\{1,40\}\)_\(\[0-9\]\{1,9\}\)\$/\.exec\(outTradeNo\);\s*var id = parts \? parts\[1\] : '';},
 qr{(?s)var INTERVAL_MS = 2000;\s*var LIMIT_MS = 2 \* 60 \* 1000;.*timer = setTimeout\(poll, INTERVAL_MS\);},
 qr{api\.mine\('/api/orders/' \+ encodeURIComponent\(id\)\)},
 qr{(?s)if \(o\.payment && !AWAITING\[o\.state\]\) \{\s*return 'paid';.*\$\('result-paid'\)\.hidden = v !== 'paid';\s*\$\('result-paid'\)\.textContent = o\.state === 'pending_review' \? '支付成功，等待审核' : '支付成功';},
 qr{(?s)if \(Date\.now\(\) \+ INTERVAL_MS > deadline\) \{.*\$\('result-timeout'\)\.hidden = false;.*\$\('result-refresh'\)\.addEventListener\('click', function \(\) \{.*deadline = Date\.now\(\) \+ LIMIT_MS;}]
--- response_body_unlike eval
[qr{innerHTML},
 (qr{innerHTML|insertAdjacentHTML|document\.write|ui\.param\('(?:trade_no|total_amount|sign|trade_status)'\)}) x 5]
