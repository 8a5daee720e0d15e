# The website's pages as nginx serves them: the header every page shares
# (seed 000's 在线办理 · 下载中心 · 账号中心), the pages of 下载中心 and
# 我的申请, the order page's 物流状态 and 确认收货, its 电子发票 (开具发票,
# 下载发票, 修改开票信息 on the invoice step alone) -- what an applicant
# relies on finding in the page, served with the scripts it names. That
# no page has inline script (the CSP has no 'unsafe-inline') is 003's
# check of every page in www/, these new ones included.
use Test::Nginx::Socket 'no_plan';
use Certhall::Www;

no_shuffle();

# every page of the site and every script some page names
our @PAGES = www_pages();
our @SCRIPTS = do {
    my %seen;
    for my $page (@PAGES) {
        my $html = www_read($page);
        $seen{$1}++ while $html =~ m{<script src="(/js/[^"]+)"></script>}g;
    }
    sort keys %seen;
};

# the top navigation: the brand, then 在线办理 and 下载中心 in this order
# (aria-current on the page's own entry)
our $TOP_NAV = qr{<nav aria-label="主导航">\s*<a href="/apply\.html"(?: aria-current="page")?>在线办理</a>\s*<a href="/downloads\.html"(?: aria-current="page")?>下载中心</a>};

# the scripts of an account page, after the ones every such page loads
sub account_page_scripts {
    my $re = join '\s*', map { qq{<script src="/js/\Q$_\E"></script>} }
        'field-rules.js', 'fields.js', 'dates.js', 'api.js', 'ui.js', 'nav.js', @_;
    return qr{(?s)$re\s*</body>};
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    include /etc/nginx/mime.types;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", $WWW_LOCATIONS);
    }
});

run_tests();

__DATA__

=== TEST 1: every page's header leads to 在线办理 and 下载中心 (seed 000's top navigation)
--- request eval
[map { "GET $_" } @main::PAGES]
--- error_code eval
[(200) x @main::PAGES]
--- response_body_like eval
[($main::TOP_NAV) x @main::PAGES]



=== TEST 2: only downloads.html says it is 下载中心 (aria-current), and no other page claims it
--- request eval
[map { "GET $_" } @main::PAGES]
--- error_code eval
[(200) x @main::PAGES]
--- response_body_like eval
[map { $_ eq '/downloads.html'
         ? qr{<a href="/downloads\.html" aria-current="page">下载中心</a>}
         : qr{<a href="/downloads\.html">下载中心</a>} } @main::PAGES]



=== TEST 3: every script a page names is served, as JavaScript in UTF-8
--- request eval
[map { "GET $_" } @main::SCRIPTS]
--- error_code eval
[(200) x @main::SCRIPTS]
--- response_headers eval
[("Content-Type: application/javascript; charset=utf-8") x @main::SCRIPTS]



=== TEST 4: 下载中心 is a public page (no account menu): the 申请项目 filter, loading, empty, its scripts
--- request eval
[("GET /downloads.html") x 6]
--- error_code eval
[(200) x 6]
--- response_headers eval
[("Content-Type: text/html; charset=utf-8") x 6]
--- response_body_like eval
[qr{<title>下载中心 - 在线服务厅</title>},
 qr{<h1 id="downloads-title">下载中心</h1>},
 qr{(?s)<form id="dl-filter" class="form filters" method="get" action="/downloads\.html" role="search">.*<label for="dl-project">申请项目</label>\s*<select id="dl-project" name="project">\s*<option value="">全部项目</option>},
 qr{<p class="status" id="dl-loading" role="status">正在加载文件列表…</p>},
 qr{<p class="empty" id="dl-empty" hidden>暂无可下载的文件。</p>},
 main::account_page_scripts('copy.js', 'downloads.js')]
--- response_body_unlike eval
[(qr{id="account-menu"}) x 6]



=== TEST 5: 我的申请 is an account page: the menu, what it holds, loading, empty with where to go, paging
--- request eval
[("GET /applications.html") x 7]
--- error_code eval
[(200) x 7]
--- response_body_like eval
[qr{(?s)<title>我的申请 - 在线服务厅</title>.*<a href="/account\.html" aria-current="page">账号中心</a>},
 qr{<nav class="account-menu" id="account-menu" aria-label="账号中心"></nav>},
 qr{(?s)<h1 id="apps-title">我的申请</h1>.*已提交的订单请在<a href="/orders\.html">我的订单</a>中查看},
 qr{<ul class="applications" id="apps-list" aria-labelledby="apps-title"></ul>},
 qr{(?s)<div class="empty" id="apps-empty" hidden>\s*<p>没有待填写或待修改的申请。</p>\s*<p><a href="/apply\.html">在线办理</a>},
 qr{<nav class="pager" id="apps-pager" aria-label="分页" hidden></nav>},
 main::account_page_scripts('applications.js')]



=== TEST 6: 我的订单 says where the drafts went: 我的申请
--- request
GET /orders.html
--- error_code: 200
--- response_body_like chomp
<p class="tip" id="orders-apps-hint">[^<]*<a href="/applications\.html">我的申请</a>
--- response_body_unlike chomp
<option value="draft">



=== TEST 7: order.html has 物流状态, 确认收货 described by its note, and the dialog that asks first, labelled, with 确认收货 and 取消
--- request eval
[("GET /order.html") x 5]
--- error_code eval
[(200) x 5]
--- response_body_like eval
[qr{(?s)<section class="card" id="shipment-card" aria-labelledby="shipment-title" hidden>\s*<h2 id="shipment-title">物流状态</h2>\s*<dl class="facts" id="shipment-facts"></dl>},
 qr{(?s)<div class="form-actions" id="order-actions">(?:(?!</div>).)*<button type="button" class="btn btn-primary" id="act-receipt" aria-haspopup="dialog"\s+aria-describedby="receipt-note" hidden>确认收货</button>\s*</div>\s*<p class="hint receipt-note" id="receipt-note" hidden></p>},
 qr{(?s)<dialog class="confirm-dialog" id="receipt-dialog" aria-labelledby="receipt-dialog-title"\s+aria-describedby="receipt-dialog-text">\s*<h2 id="receipt-dialog-title">确认收货</h2>\s*<p id="receipt-dialog-text">请确认已收到证书并核对无误。[^<]*电子发票会自动开出[^<]*</p>},
 qr{(?s)<dialog[^>]*id="receipt-dialog".*<p class="form-error" id="receipt-dialog-error" role="alert" hidden></p>\s*<div class="form-actions">\s*<button type="button" class="btn btn-primary" id="receipt-confirm">确认收货</button>\s*<button type="button" class="btn btn-secondary" id="receipt-cancel">取消</button>\s*</div>\s*</dialog>},
 main::account_page_scripts('upload.js', 'agreements.js', 'alipay.js', 'shipment.js', 'einvoice.js', 'order.js')]



=== TEST 8: order.html's 电子发票 card: its heading, where a refusal is said, 已冲红重开, the facts, the message line, 下载发票's place, 开具发票 and 修改开票信息
--- request eval
[("GET /order.html") x 3]
--- error_code eval
[(200) x 3]
--- response_body_like eval
[qr{(?s)<section class="card" id="einvoice-card" aria-labelledby="einvoice-title" hidden>\s*<h2 id="einvoice-title" tabindex="-1">电子发票</h2>\s*<p class="form-error" id="einvoice-error" role="alert" hidden></p>\s*<p class="notice ok" id="einvoice-corrected" hidden>已冲红重开[^<]*</p>\s*<dl class="facts" id="einvoice-facts"></dl>\s*<p class="hint" id="einvoice-message" role="status" hidden></p>},
 qr{(?s)id="einvoice-card".*<span id="einvoice-download" hidden></span>\s*<button type="button" class="btn btn-primary" id="act-invoice" hidden>开具发票</button>\s*<a class="btn btn-secondary" id="act-invoice-edit" href="/orders\.html" hidden>修改开票信息</a>},
 qr{(?s)id="shipment-card".*id="einvoice-card".*id="pay"}]



=== TEST 9: the scripts: einvoice.js shows 发票代码, 发票号码, 开票日期, 发送至 and 下载发票 from the order's einvoice, offers its actions, and order.js posts 开具发票; 我的订单's 已开票 leads to the card; order-edit.js (invoice-step.js) edits the title alone, under the heading 修改开票信息
--- request eval
[("GET /js/einvoice.js") x 3, "GET /js/order.js", "GET /js/orders.js", "GET /js/order-edit.js",
 "GET /order-edit.html", "GET /js/invoice-step.js"]
--- error_code eval
[(200) x 8]
--- response_body_like eval
[qr{(?s)\['发票代码', issued \? [^\]]*e\.fpdm\).*\['发票号码', issued \? [^\]]*e\.fphm\).*\['开票日期', issued \? dates\.time\(e\.kprq\).*\['发票抬头', e\.title\].*\['发送至', issued \? e\.email},
 qr{(?s)var url = String\(e\.download_url \|\| ''\);.*'下载发票'},
 qr{(?s)\$\('act-invoice'\)\.hidden = !has\(order, 'invoice_request'\);.*edit\.hidden = !has\(order, 'invoice_edit'\);\s*edit\.href = '/order-edit\.html\?id=' \+ encodeURIComponent\(order\.id\) \+ '&step=3';.*api\.post\(o\.url\(\)\)},
 qr{url: function \(\) \{ return path\('/invoice-request'\); \}},
 qr{if \(o\.invoice_state !== 'issued'\) \{\s*return name;\s*\}\s*return el\('a', \{ href: detail \+ '#einvoice-card'},
 qr{(?s)titleOnly = !editable && \(order\.actions \|\| \[\]\)\.indexOf\('invoice_edit'\) >= 0;.*if \(titleOnly\) \{\s*//[^\n]*\n\s*\$\('edit-title'\)\.textContent = '修改开票信息';.*save\(invoiceForm, path\('/invoice'\), body, titleOnly \? 0 : 4\);},
 qr{(?s)<p class="lead" id="invoice-lead">.*<script src="/js/invoice-step\.js"></script>\s*<script src="/js/order-edit\.js"></script>},
 qr{(?s)function alone\(order, all, orderHref\) \{.*s\.hidden = s\.id !== 'step-3';.*back\.textContent = '返回订单';}]
