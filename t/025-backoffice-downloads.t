# The back office's 下载中心 through nginx, fcgiwrap and PostgreSQL: the
# admin uploads a file (multipart, streamed) that is then listed, stored
# under its SHA-256 with its exact bytes and audited; a new version, an
# edit, a retirement; the other roles, a missing form token, a type the
# 下载中心 does not take, an empty file, one over download_max_size and a
# description the database refuses are each refused with a clear message
# and leave no file and no row.  What the admin uploaded is what the
# website's GET /api/downloads/{id} then serves.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Upload;
use Certhall::Admin;
use File::Temp qw(tempdir);
use HTTP::Tiny;

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
chmod 0755, $Dir;
our $Storage = "$Dir/storage";
mkdir $Storage or die "$Storage: $!";

# testenv's configuration, with the storage and a small bound
our $Conf = "$Dir/admin.conf";
{
    my $base = slurp($ENV{TEST_NGINX_ADMIN_CONF});
    open my $fh, '>', $Conf or die "$Conf: $!";
    print $fh $base, "storage = $Storage\ndownload_max_size = 100k\n";
    close $fh;
}

# the files: their content is not looked at, their names' types are
our $Form = "%PDF-1.4\n% 补办申请表\n" . ('x' x 2000) . "\n%%EOF\n";
our $Form2 = "%PDF-1.4\n% 补办申请表 v2\n" . ('y' x 3000) . "\n%%EOF\n";
our $Other = "PK\x03\x04" . ("\x00\x01\x02" x 500);
our $Big = 'z' x (100 * 1024 + 1);
our $Exact = 'w' x (100 * 1024);

# sessions: 1 admin, 2 reviewer, 3 finance, 4 shipper
our %S = (admin => 1, reviewer => 2, finance => 3, shipper => 4);

# the back office, and the API that serves what it stored
our $Config = admin_locations($Storage, $Conf) . $API_LOCATION
    . "    location /_certhall/files/ {\n        internal;\n        alias $Storage/;\n    }\n";
our $HttpConfig = hall_http_config() . "    certhall_storage $Storage;\n";

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("config", $Config) unless defined $block->config;
    $block->set_value("http_config", $HttpConfig) unless defined $block->http_config;
});

sub as { staff_cookie($S{$_[0]}) }
sub up { as($_[0]) . "\n$MULTIPART" }
sub form { as($_[0]) . "\nContent-Type: application/x-www-form-urlencoded" }
sub error_page { qr/<p class="error" id="error"[^>]*>\Q$_[0]\E/ }

# a new download's form as the browser sends it (the token first)
sub add_body {
    my ($role, $file, $bytes, %f) = @_;
    my @parts = defined $role ? (['csrf', undef, undef, staff_csrf($S{$role})]) : ();
    push @parts, map { [$_, undef, undef, $f{$_} // ''] } qw(category project title description);
    push @parts, ['file', $file, 'application/octet-stream', $bytes];
    return "POST /admin/downloads\n" . multipart(@parts);
}
sub add { my ($role, $file, $bytes, %f) = @_;
          add_body($role, $file, $bytes, category => 'form', title => '补办申请表',
                   description => '证书遗失或损坏时填写', %f) }
sub replace {
    my ($id, $file, $bytes, $note) = @_;
    return "POST /admin/downloads/$id/replace\n"
        . multipart(['csrf', undef, undef, staff_csrf($S{admin})], ['note', undef, undef, $note // ''],
                    ['file', $file, 'application/pdf', $bytes]);
}

sub downloads { sql_value("SELECT count(*) FROM downloads") }
sub versions { sql_value("SELECT count(*) FROM download_versions") }
sub audits { sql_value("SELECT count(*) FROM staff_audit WHERE action = " . quote(shift)) }
sub stored { join ' ', storage_files($Storage) }
sub rel { my $p = stored_path($Storage, shift); $p =~ s{^\Q$Storage\E/}{}; $p }

run_tests();

__DATA__

=== TEST 1: the admin's 下载中心: the way there in the navigation, the upload form, no file yet; the other roles are refused
--- init
::reset_accounts();
::reset_staff();
::sql("TRUNCATE download_versions, downloads RESTART IDENTITY");
system("rm -rf $::Storage/[0-9a-f][0-9a-f] $::Storage/tmp");
::make_staff('boss', '管理员老周', ['admin']);
::make_staff('rev', '审核员小李', ['reviewer']);
::make_staff('fin', '财务小王', ['finance']);
::make_staff('ship', '发货员小张', ['shipper']);
::staff_session('boss', 1);
::staff_session('rev', 2);
::staff_session('fin', 3);
::staff_session('ship', 4);
--- more_headers eval
[ ::as('admin'), ::as('reviewer'), ::as('finance'), ::as('shipper'), ::as('reviewer') ]
--- request eval
[ "GET /admin/downloads", "GET /admin/downloads", "GET /admin/downloads", "GET /admin/downloads",
  "GET /admin/orders" ]
--- error_code eval
[200, 403, 403, 403, 200]
--- response_body_like eval
[ qr{(?s)<a href="/admin/downloads">下载中心</a>.*<form method="post" action="/admin/downloads" enctype="multipart/form-data".*<option value="form">空白表格</option>.*<input type="file" name="file" required.*不超过 100 KB。.*<p id="none">还没有文件。</p>},
  ::error_page('您没有权限访问此页面（需要：管理员）'),
  ::error_page('您没有权限访问此页面（需要：管理员）'),
  ::error_page('您没有权限访问此页面（需要：管理员）'),
  qr{<nav><a href="/admin/orders">订单</a>} ]
--- response_body_unlike eval
[ qr{^$}, qr{enctype}, qr{enctype}, qr{enctype}, qr{/admin/downloads} ]



=== TEST 2: the admin uploads a form: back to the list at it
--- more_headers eval: ::up('admin')
--- request eval: ::add('admin', '补办申请表.pdf', $::Form)
--- error_code: 303
--- response_headers
Location: /admin/downloads?done=added#download-1



=== TEST 3: (the block before) stored under its SHA-256 with its exact bytes, nothing left in tmp/, the row and its audit; listed with v1
--- init
my $path = ::stored_path($::Storage, $::Form);
::ok(-f $path, 'stored under ab/<sha256>');
::is(::slurp($path), $::Form, 'byte for byte');
::is(::stored(), ::rel($::Form), 'that file only');
::is(scalar ::tmp_files($::Storage), 0, 'nothing in tmp/');
my ($row) = ::sql("SELECT d.category, coalesce(d.project_code, '-'), d.title, d.description, s.login,"
    . " v.version, v.file_name, v.media_type, v.size_bytes, v.sha256 FROM downloads d"
    . " JOIN download_versions v ON v.download_id = d.id JOIN staff s ON s.id = d.created_by");
::is(join('|', @$row), join('|', 'form', '-', '补办申请表', '证书遗失或损坏时填写', 'boss', 1,
    '补办申请表.pdf', 'application/pdf', length($::Form), Digest::SHA::sha256_hex($::Form)), 'the row');
::is(::audits('download_add'), 1, 'audited');
--- more_headers eval: ::as('admin')
--- request: GET /admin/downloads?done=added
--- error_code: 200
--- response_body_like eval
my $sha = Digest::SHA::sha256_hex($::Form);
qr{(?s)<p class="done" id="done">已新增文件，网站下载中心已显示。</p>.*<section class="download" id="download-1">\n<h3>补办申请表</h3>.*<dd>空白表格</dd>.*<dd>通用</dd>.*<td>v1</td><td>补办申请表\.pdf</td><td>2\.0 KB</td><td><code class="sha256">$sha</code></td>.*<td>管理员老周</td>.*id="replace-1".*id="edit-1".*id="retire-1"}



=== TEST 4: the other roles and a form without its token are refused before anything is stored
--- more_headers eval
[ ::up('reviewer'), ::up('finance'), ::up('shipper'), ::up('admin'),
  ::up('admin') . "\nOrigin: https://evil.example" ]
--- request eval
[ ::add('reviewer', 'a.pdf', $::Other), ::add('finance', 'a.pdf', $::Other),
  ::add('shipper', 'a.pdf', $::Other), ::add(undef, 'a.pdf', $::Other),
  ::add('admin', 'a.pdf', $::Other) ]
--- error_code eval
[403, 403, 403, 403, 403]
--- response_body_like eval
[ ::error_page('您没有权限访问此页面（需要：管理员）'), ::error_page('您没有权限访问此页面（需要：管理员）'),
  ::error_page('您没有权限访问此页面（需要：管理员）'), ::error_page('页面已过期，请刷新页面后重试'),
  ::error_page('请求来源不是本系统的页面，操作已拒绝。') ]



=== TEST 5: (the block before) nothing stored, no row; a type the 下载中心 does not take, an empty file, one byte over the bound, no file, a title the database refuses
--- init
::is(::stored(), ::rel($::Form), 'no new file');
::is(::downloads(), 1, 'no new row');
--- more_headers eval
[ map { ::up('admin') } 1 .. 8 ]
--- request eval
[ ::add('admin', 'page.html', '<script>alert(1)</script>'),
  ::add('admin', 'logo.SVG', '<svg onload="alert(1)"/>'),
  ::add('admin', 'x.js', 'alert(1)'),
  ::add('admin', 'empty.pdf', ''),
  ::add('admin', 'big.pdf', $::Big),
  ::add('admin', 'bigger.pdf', $::Big x 2),
  "POST /admin/downloads\n" . ::multipart(['csrf', undef, undef, ::staff_csrf(1)], ['title', undef, undef, '无文件']),
  ::add('admin', 'other.zip', $::Other, title => 'x') ]
--- error_code eval
[422, 422, 422, 422, 413, 413, 422, 422]
--- response_body_like eval
[ (map { ::error_page('不支持此类文件：只能上传 PDF、Word、Excel、ZIP、RAR、7z、EXE、MSI 或 TXT 文件。') } 1 .. 3),
  ::error_page('文件是空的，请选择有内容的文件。'),
  ::error_page('文件过大，超过了允许的大小。'),
  ::error_page('文件过大，超过了允许的大小。'),
  ::error_page('请选择要上传的文件。'),
  qr{data-code="invalid_title">标题应为2至100个字} ]



=== TEST 6: (the block before) no file (the refused title's was removed again), no row, no audit; a file of exactly the bound is taken
--- init
::is(::stored(), ::rel($::Form), 'no new file');
::is(scalar ::tmp_files($::Storage), 0, 'nothing in tmp/');
::is(::downloads(), 1, 'no new row');
::is(::audits('download_add'), 1, 'no new audit');
--- more_headers eval: ::up('admin')
--- request eval: ::add('admin', 'USB-Key驱动.zip', $::Exact, category => 'driver', project => 'xiangtan_ggzy', title => 'USB-Key 驱动程序', description => '')
--- error_code: 303
--- response_headers
Location: /admin/downloads?done=added#download-2



=== TEST 7: (the block before) a new version with a note; the current file again is refused and stays; edit; retire
--- init
::is(::sql_value("SELECT concat_ws(',', project_code, size_bytes, media_type, coalesce(description, '-')) FROM downloads d JOIN download_versions v ON v.download_id = d.id WHERE d.id = 2"),
     "xiangtan_ggzy," . length($::Exact) . ",application/zip,-", 'the project-specific driver');
--- more_headers eval
[ ::up('admin'), ::up('admin'), ::form('admin'), ::form('admin') ]
--- request eval
[ ::replace(1, '补办申请表（2027版）.pdf', $::Form2, '新增签章栏'),
  ::replace(1, '补办申请表（2027版）.pdf', $::Form2, ''),
  "POST /admin/downloads/1/edit\n" . ::form_body(csrf => ::staff_csrf(1), category => 'form', project => '',
      title => '  证书补办申请表 ', description => '', sort_order => '5'),
  "POST /admin/downloads/2/retire\n" . ::form_body(csrf => ::staff_csrf(1), reason => '驱动已随新版证书介质更新') ]
--- error_code eval
[303, 422, 303, 303]
--- response_headers_like eval
[ 'Location: /admin/downloads\?done=replaced#download-1', '', 'Location: /admin/downloads\?done=edited#download-1',
  'Location: /admin/downloads\?done=retired#download-2' ]
--- response_body_like eval
[ qr{^$}, qr{data-code="download_unchanged">与当前版本是同一个文件，无需更新}, qr{^$}, qr{^$} ]



=== TEST 8: (the block before) both versions' files kept, the rows and audits; the page shows v2 over v1 and the retired one without forms; a retired one changes no more
--- init
::is(::stored(), join(' ', sort map { ::rel($_) } $::Form, $::Form2, $::Exact), 'the three files');
::is(::slurp(::stored_path($::Storage, $::Form2)), $::Form2, 'v2 byte for byte');
::is(::versions(), 3, 'three versions');
::is(::sql_value("SELECT concat_ws(',', title, sort_order, coalesce(description, '-')) FROM downloads WHERE id = 1"),
     '证书补办申请表,5,-', 'edited, trimmed');
::is(::sql_value("SELECT note FROM download_versions WHERE download_id = 1 AND version = 2"), '新增签章栏', 'the note');
::is(::sql_value("SELECT retired_reason FROM downloads WHERE id = 2 AND retired_at IS NOT NULL"), '驱动已随新版证书介质更新', 'retired');
::is(join(',', map { ::audits($_) } qw(download_add download_replace download_edit download_retire)), '2,1,1,1', 'audited');
--- more_headers eval
[ ::as('admin'), ::up('admin') ]
--- request eval
[ "GET /admin/downloads", ::replace(2, 'new.zip', 'PK new', '') ]
--- error_code eval
[200, 409]
--- response_body_like eval
[ qr{(?s)id="download-1">\n<h3>证书补办申请表</h3>.*<td>v2</td><td>补办申请表（2027版）\.pdf</td>.*<td>新增签章栏</td>.*<td>v1</td>.*id="download-2">.*已下架：.*驱动已随新版证书介质更新},
  qr{data-code="download_retired">该文件已下架，不能再修改} ]
--- response_body_unlike eval
[ qr{id="(replace|edit|retire)-2"}, qr{^$} ]



=== TEST 9: (the block before) the refused new version of the retired one left no file
--- init
::is(::stored(), join(' ', sort map { ::rel($_) } $::Form, $::Form2, $::Exact), 'still the three files');
::is(scalar ::tmp_files($::Storage), 0, 'nothing in tmp/');
--- more_headers eval: ::form('admin')
--- request eval
"POST /admin/downloads/1/edit\n" . ::form_body(csrf => ::staff_csrf(1), category => 'form', title => '证书补办申请表', sort_order => 'abc')
--- error_code: 422
--- response_body_like eval
::error_page('排序应为整数。')



=== TEST 10: the website serves what the admin uploaded: the current version's exact bytes; the retired one no more
--- request eval
[ "GET /api/downloads/1", "GET /api/downloads/2", "GET /api/downloads" ]
--- error_code eval
[200, 404, 200]
--- response_headers_like eval
[ "Content-Type: application/pdf\nETag: \"" . Digest::SHA::sha256_hex($::Form2) . "\"", '', '' ]
--- response_body_like eval
[ qr{^\Q$::Form2\E\z}, qr{"download_not_found"}, qr{"title" ?: ?"证书补办申请表".*"version" ?: ?2} ]
--- response_body_unlike eval
[ qr{^$}, qr{^$}, qr{USB-Key} ]



=== TEST 11: edit and retire: the other roles, no form token, another site's page, a download that does not exist
--- more_headers eval
[ ::form('reviewer'), ::form('shipper'), ::form('admin'), ::form('admin') . "\nOrigin: https://evil.example",
  ::form('admin'), ::form('admin') ]
--- request eval
[ "POST /admin/downloads/1/retire\n" . ::form_body(csrf => ::staff_csrf(2), reason => '过期'),
  "POST /admin/downloads/1/edit\n" . ::form_body(csrf => ::staff_csrf(4), category => 'form', title => '改名'),
  "POST /admin/downloads/1/retire\n" . ::form_body(reason => '过期'),
  "POST /admin/downloads/1/retire\n" . ::form_body(csrf => ::staff_csrf(1), reason => '过期'),
  "POST /admin/downloads/99/retire\n" . ::form_body(csrf => ::staff_csrf(1), reason => '过期'),
  "POST /admin/downloads/abc/edit\n" . ::form_body(csrf => ::staff_csrf(1), category => 'form', title => '改名') ]
--- error_code eval
[403, 403, 403, 403, 404, 404]
--- response_body_like eval
[ ::error_page('您没有权限访问此页面（需要：管理员）'), ::error_page('您没有权限访问此页面（需要：管理员）'),
  ::error_page('页面已过期，请刷新页面后重试'), ::error_page('请求来源不是本系统的页面，操作已拒绝。'),
  qr{data-code="download_not_found">文件不存在}, ::error_page('文件不存在。') ]



=== TEST 12: (the block before) nothing changed
--- init
::is(::sql_value("SELECT concat_ws(',', title, retired_at IS NULL) FROM downloads WHERE id = 1"), '证书补办申请表,t', 'still offered, its title kept');
::is(::audits('download_retire'), 1, 'no new audit');
--- more_headers eval: ::as('admin')
--- request: GET /admin/downloads
--- error_code: 200
--- response_body_like: id="retire-1"



=== TEST 13: the website's list shows an admin's edit at once, though it was kept (the catalog cache)
The worker hears of the change after its commit, not with it: the list is
asked until it shows (bounded; how many asks that took is noted, 0 on an
idle machine), then once more by the block.
--- init
# the worker listens for the catalog's changes, then keeps the list: the
# second request is a hit
for (1 .. 1500) {
    last if ::slurp($Test::Nginx::Util::ErrLogFile) =~ /catalog cache: listening for changes/;
    select undef, undef, undef, 0.02;
}
for (1 .. 2) {
    my ($status, $body) = ::api_request('GET', '/api/downloads');
    ::like("$status $body", qr{^200 .*"title" ?: ?"证书补办申请表"}, "the list before the edit ($_)");
}
::like(::slurp($Test::Nginx::Util::ErrLogFile), qr/certhall cache: hit "downloads"/, 'kept');
my ($cookie) = ::as('admin') =~ /^Cookie: (.*)$/;
my $res = HTTP::Tiny->new(max_redirect => 0)->post(
    "http://127.0.0.1:$Test::Nginx::Util::ServerPortForClient/admin/downloads/1/edit",
    { headers => { Cookie => $cookie, 'Content-Type' => 'application/x-www-form-urlencoded' },
      content => ::form_body(csrf => ::staff_csrf(1), category => 'form', project => '',
                             title => '证书补办申请表（新）', description => '', sort_order => '5') });
::is($res->{status}, 303, 'the admin edited the title');
my $stale = 0;
until ((::api_request('GET', '/api/downloads'))[1] =~ /"title" ?: ?"证书补办申请表（新）"/) {
    die "the edit did not show in 500 requests\n" if ++$stale > 500;
}
Test::More::note("the edit showed after $stale stale answers");
--- request
GET /api/downloads
--- error_code: 200
--- response_body_like: "title" ?: ?"证书补办申请表（新）"
