# The download centre (下载中心), public: GET /api/downloads lists the
# offered files in the page's order (all, or a project's and the general
# ones); GET /api/downloads/{id} sends the current version from the
# storage through nginx, byte for byte, as an attachment under our ASCII
# name and the admin's own (Chinese) one, nosniff, its SHA-256 as ETag
# (If-None-Match: 304), HEAD too; a replaced file sends its new bytes, a
# retired one is 404 and gone from the list, an id that names nothing is
# 404, and a row whose stored copy has gone is a logged 503 in JSON.
# The files are written into the storage directly (ab/<sha256>), the rows
# made by admin.download_add_as / download_replace / download_retire.  One
# nginx for the whole suite.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Admin;
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);
use URI::Escape qw(uri_escape);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
chmod 0755, $Dir;
our $Storage = "$Dir/storage";
mkdir $Storage or die "$Storage: $!";

# the files: bytes of every value, so that nothing is re-encoded on the way
our %F = (
    form     => "%PDF-1.4\n" . join('', map { chr } 0 .. 255) . "\n%%EOF\n",
    form2    => "%PDF-1.7\n第二版\0" . join('', map { chr(255 - $_) } 0 .. 255) . "\n%%EOF\n",
    project  => "PK\x03\x04" . ("项目专用" x 50),
    driver   => "PK\x03\x04" . join('', map { chr(($_ * 7) % 256) } 0 .. 4095),
    manual   => "%PDF-1.5\nmanual\n%%EOF\n",
    missing  => "%PDF-1.5\nnever stored\n%%EOF\n",
);
our %Sha = map { $_ => sha256_hex($F{$_}) } keys %F;

# the id a download gets: the suite makes them in this order
our %Id = (form => 1, project => 2, driver => 3, manual => 4, missing => 5);

our $HttpConfig = hall_http_config() . "    certhall_storage $Storage;\n";
our $Config = $API_LOCATION
    . "    location /_certhall/files/ {\n        internal;\n        alias $Storage/;\n    }\n";

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);
    }
});

sub store {
    store_blob($Storage, $F{+shift});
}

# a download as the command line adds it (the admin dlboss), its file stored
sub add {
    my ($key, $category, $project, $title, $file_name, $type, %o) = @_;
    store($key) unless $o{unstored};
    my $id = sql_value("SELECT admin.download_add_as('dlboss', "
        . join(', ', map { quote($_) } $category, $project, $title, undef, $file_name, $type)
        . ", " . length($F{$key}) . ", " . quote($Sha{$key}) . ")");
    die "download $key is $id, not $Id{$key}" unless $id == $Id{$key};
}

# as the back office does it: dlboss's session 1
# An admin's change, as the back office makes it.  The worker hears of it
# after the commit, not with it (the catalog cache's NOTIFY): when it
# listens, the change is waited for (bounded) before the block's requests.
sub admin_call {
    my ($fn, @args) = @_;
    my $log = $Test::Nginx::Util::ErrLogFile;
    my $heard = sub { my $n = () = slurp($log) =~ /catalog cache: "downloads" changed/g; $n };
    my $before = $heard->();
    sql("SELECT admin.$fn(" . join(', ', quote(staff_token(1)), quote(staff_csrf(1)),
                                   "'127.0.0.1'", @args) . ")");
    return unless slurp($log) =~ /catalog cache: listening for changes/;
    for (1 .. 1500) {
        return if $heard->() > $before;
        select undef, undef, undef, 0.02;
    }
    die "the worker did not hear of $fn in 30 s\n";
}

sub slurp { open my $fh, '<', shift or return ''; local $/; my $t = <$fh>; $t // '' }

# the ids of the list, in order
sub listed_ids {
    return '(?s)^\{"categories" : \[\{"code" : "form", "name" : "空白表格"\}, '
        . '\{"code" : "driver", "name" : "驱动程序"\}, \{"code" : "manual", "name" : "使用手册"\}\], '
        . '"downloads" : \[' . join(', ', map { "\\{\"id\" : $_, [^{}]*\\}" } @_) . '\]\}$';
}

# RFC 8187, as ch_disposition writes it
sub pct {
    my $s = shift;
    return join '', map { /[A-Za-z0-9!#\$&+\-.^_`|~]/ ? $_ : sprintf('%%%02X', ord) } split //, $s;
}

sub disposition {
    my ($id, $v, $ext, $name) = @_;
    return qq{attachment; filename="download-$id-v$v.$ext"; filename*=UTF-8''} . pct($name);
}

run_tests();

__DATA__

=== TEST 1: the list, without logging in: the categories, then the offered downloads in the page's order (category; the general ones before a project's, whatever their sort order)
--- config eval: $::Config
--- init
::reset_accounts();
::reset_staff();
::make_staff('dlboss', '王管理', ['admin']);
::staff_session('dlboss', 1);
::add('form', 'form', undef, '补办申请表', '补办申请表.pdf', 'application/pdf');
::add('project', 'form', 'xiangtan_ggzy', '湘潭项目专用申请表', 'xiangtan.zip', 'application/zip');
::add('driver', 'driver', undef, 'USB Key 驱动程序', 'usbkey-driver.zip', 'application/zip');
::add('manual', 'manual', 'hunan_ccgp', '湖南政采操作手册', 'manual.pdf', 'application/pdf');
::add('missing', 'manual', undef, '证书使用手册', '使用手册.pdf', 'application/pdf', unstored => 1);
::sql("UPDATE downloads SET sort_order = -10 WHERE id = $::Id{project}");
--- request
GET /api/downloads
--- error_code: 200
--- response_headers
Content-Type: application/json; charset=utf-8
--- response_body_like eval
[::listed_ids(1, 2, 3, 5, 4)]
--- no_error_log
[error]



=== TEST 2: one entry says all the page shows: title, project, version, file, type, size, checksum, date, url
--- request
GET /api/downloads
--- response_body_like eval
'"downloads" : \[\{"id" : 1, "category" : "form", "category_name" : "空白表格", "project" : null, "project_name" : null, "title" : "补办申请表", "description" : null, "version" : 1, "file_name" : "补办申请表.pdf", "media_type" : "application/pdf", "size_bytes" : ' . length($::F{form}) . ', "sha256" : "' . $::Sha{form} . '", "updated_at" : "\d{4}-\d\d-\d\dT[^"]+\+08:00", "url" : "/api/downloads/1"\}, \{"id" : 2, "category" : "form", "category_name" : "空白表格", "project" : "xiangtan_ggzy", "project_name" : "湘潭市公共资源交易系统"'



=== TEST 3: a project's page: its own and the general ones; none given (or empty): all; an unknown project, or a code that cannot be one, is 404
--- request eval
["GET /api/downloads?project=xiangtan_ggzy",
 "GET /api/downloads?project=hunan_ccgp",
 "GET /api/downloads?project=no_such_project",
 "GET /api/downloads?project=Xiangtan",
 "GET /api/downloads?project=%78iangtan_ggzy",
 "GET /api/downloads?project=x",
 "GET /api/downloads?project=",
 "GET /api/downloads?other=1"]
--- error_code eval
[200, 200, 404, 404, 404, 404, 200, 200]
--- response_body_like eval
[::listed_ids(1, 2, 3, 5),
 ::listed_ids(1, 3, 5, 4),
 (::error_re('project_not_found', 'project', '申请项目不存在')) x 4,
 (::listed_ids(1, 2, 3, 5, 4)) x 2]



=== TEST 4: a file: its exact bytes, its type, an attachment under our ASCII name and the Chinese one in filename*=, nosniff, no-cache, its SHA-256 as ETag
--- request
GET /api/downloads/1
--- error_code: 200
--- response_headers eval
"Content-Type: application/pdf
Content-Length: " . length($::F{form}) . "
Content-Disposition: " . ::disposition(1, 1, 'pdf', '补办申请表.pdf') . "
X-Content-Type-Options: nosniff
Cache-Control: no-cache
ETag: \"$::Sha{form}\""
--- response_body eval: $::F{form}
--- no_error_log
[error]



=== TEST 5: HEAD: the same headers, no body; If-None-Match with the ETag: 304; a zip
--- request eval
["HEAD /api/downloads/1", "GET /api/downloads/1", "GET /api/downloads/3"]
--- more_headers eval
["", "If-None-Match: \"$::Sha{form}\"", ""]
--- error_code eval
[200, 304, 200]
--- response_headers eval
["Content-Type: application/pdf\nContent-Length: " . length($::F{form})
 . "\nContent-Disposition: " . ::disposition(1, 1, 'pdf', '补办申请表.pdf')
 . "\nX-Content-Type-Options: nosniff\nETag: \"$::Sha{form}\"",
 "ETag: \"$::Sha{form}\"",
 "Content-Type: application/zip\nContent-Disposition: " . ::disposition(3, 1, 'zip', 'usbkey-driver.zip')
 . "\nETag: \"$::Sha{driver}\""]
--- response_body eval
["", "", $::F{driver}]



=== TEST 6: a replaced file: the new bytes, the new version's name and ETag, in the list too
--- init
::store('form2');
::admin_call('download_replace', $::Id{form}, ::quote('补办申请表（2027版）.pdf'), "'application/pdf'",
             length($::F{form2}), ::quote($::Sha{form2}), ::quote('更新了表格'));
--- request eval
["GET /api/downloads/1", "GET /api/downloads"]
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Type: application/pdf\nContent-Disposition: "
 . ::disposition(1, 2, 'pdf', '补办申请表（2027版）.pdf') . "\nETag: \"$::Sha{form2}\"", ""]
--- response_body_like eval
["^\Q$::F{form2}\E\$",
 '"id" : 1, [^{}]*"version" : 2, "file_name" : "补办申请表（2027版）.pdf", "media_type" : "application/pdf", "size_bytes" : ' . length($::F{form2}) . ', "sha256" : "' . $::Sha{form2} . '"']



=== TEST 7: a retired file: 404 in JSON, and gone from the list
--- init
::admin_call('download_retire', $::Id{driver}, ::quote('驱动已停止支持'));
--- request eval
["GET /api/downloads/3", "HEAD /api/downloads/3", "GET /api/downloads"]
--- error_code eval
[404, 404, 200]
--- response_headers eval
["Content-Type: application/json; charset=utf-8\n!Content-Disposition\n!ETag", "", ""]
--- response_body_like eval
[::error_re('download_not_found', undef, '文件不存在或已下架'), '^$', ::listed_ids(1, 2, 5, 4)]



=== TEST 8: an id that names nothing, or cannot be one, is 404 (a segment no id can be: the router's 404); other methods 405
--- request eval
["GET /api/downloads/99", "GET /api/downloads/0", "GET /api/downloads/01", "GET /api/downloads/-1",
 "GET /api/downloads/abc", "GET /api/downloads/1.pdf", "GET /api/downloads/1234567890123456789",
 "GET /api/downloads/999999999999999999", "GET /api/downloads/1/x",
 "POST /api/downloads/1\nx=1", "DELETE /api/downloads/1", "POST /api/downloads\nx=1"]
--- more_headers eval
[("") x 9, "Content-Type: application/x-www-form-urlencoded", "", "Content-Type: application/x-www-form-urlencoded"]
--- error_code eval
[(404) x 9, (405) x 3]
--- response_body_like eval
[(::error_re('download_not_found', undef, '文件不存在或已下架')) x 5,
 ::error_re('not_found', undef, '请求的接口不存在'),
 (::error_re('download_not_found', undef, '文件不存在或已下架')) x 2,
 ::error_re('not_found', undef, '请求的接口不存在'),
 (::error_re('method_not_allowed', undef, '该接口不支持此请求方法')) x 3]
--- no_error_log
[error]



=== TEST 9: a row whose stored copy has gone: 503 in JSON, logged, not nginx's 404 page
--- request
GET /api/downloads/5
--- error_code: 503
--- response_headers
Content-Type: application/json; charset=utf-8
Retry-After: 300
!Content-Disposition
--- response_body_like eval
::error_re('download_unavailable', undef, '文件暂时无法下载，请稍后再试')
--- error_log eval
qr{\[error\] .*certhall: download 5 v1: stored file ".*/storage/[0-9a-f]{2}/[0-9a-f]{64}" missing \(2: No such file or directory\)}
