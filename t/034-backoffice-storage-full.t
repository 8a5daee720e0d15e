# The back office's 下载中心 upload when the storage's filesystem is full
# (issue 21): certhall-admin through fcgiwrap, its storage a tmpfs of its
# own mounted here and filled but for a page (the upload gets that far into
# its temporary file).  507 Insufficient Storage with Retry-After and the
# reason on its page (data-code storage_full), said on the CGI's stderr
# (nginx's error log); no file, no half file, no row; once there is room
# the same upload is taken, stored whole and served by the website.  (The
# module's uploads: t/033-storage-full.t; download-add and invoice-send:
# t/tools/.)
#
# Mounting needs root (CI is root); where mount(8) refuses, the suite
# skips with its reason.  The mount goes at the end, also after a failure
# (lazily if a process still holds it).  Runs inside t/bin/testenv.
use strict;
use warnings;

use File::Temp qw(tempdir);
use Errno qw(ENOSPC);
use Certhall::Tmpfs ();

our ($Dir, $Storage, $NoMount);

BEGIN {
    $Dir = tempdir(CLEANUP => 1);
    chmod 0755, $Dir;
    $Storage = "$Dir/storage";
    mkdir $Storage or die "$Storage: $!";
    $NoMount = Certhall::Tmpfs::tmpfs_mount($Storage, 'size=512k,mode=0755', 'certhall-t034');
}

use Test::Nginx::Socket $NoMount ? (skip_all => $NoMount) : ('no_plan');
use Certhall::Test;
use Certhall::Upload;
use Certhall::Admin;

no_shuffle();

# testenv's back-office configuration, with the storage
our $AdminConf = "$Dir/admin.conf";
{
    my $base = slurp($ENV{TEST_NGINX_ADMIN_CONF});
    open my $fh, '>', $AdminConf or die "$AdminConf: $!";
    print $fh $base, "storage = $Storage\ndownload_max_size = 100k\n";
    close $fh;
}
our $Manual = "%PDF-1.4\n% 使用手册\n" . ('m' x 30000) . "\n%%EOF\n";

our $Config = admin_locations($Storage, $AdminConf) . $API_LOCATION
    . "    location /_certhall/files/ {\n        internal;\n        alias $Storage/;\n    }\n";
our $HttpConfig = hall_http_config() . "    certhall_storage $Storage;\n";

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("config", $Config) unless defined $block->config;
    $block->set_value("http_config", $HttpConfig) unless defined $block->http_config;
});

# the 下载中心's new download, as the admin's browser sends it
sub add_download {
    return "POST /admin/downloads\n" . multipart(
        ['csrf', undef, undef, staff_csrf(1)],
        (map { [$_->[0], undef, undef, $_->[1]] }
             [category => 'manual'], [project => ''], [title => '使用手册'], [description => '']),
        ['file', '使用手册.pdf', 'application/pdf', $Manual]);
}

sub downloads { sql_value("SELECT count(*) || '/' || (SELECT count(*) FROM download_versions) FROM downloads") }

# Fills the filesystem with data, then frees $leave bytes of it
sub fill_data {
    my $leave = shift // 0;
    open my $fh, '>:raw', "$Storage/filler" or die "filler: $!";
    my $chunk = "\0" x 65536;
    for (;;) {
        my $n = syswrite $fh, $chunk;
        next if defined $n && $n > 0;
        die "filler: $!" unless $! == ENOSPC;
        last;
    }
    truncate $fh, (-s $fh) - $leave or die "filler: $!" if $leave;
    close $fh;
}

# what is in tmp/ (the CGI removes its temporary file before it answers)
sub tmp_left { my @f = tmp_files($Storage); scalar @f }

run_tests();

__DATA__

=== TEST 1: the back office's 下载中心 upload on a full storage: 507 with Retry-After, the reason on its page
--- init
::reset_staff();
::sql("TRUNCATE download_versions, downloads RESTART IDENTITY");
::make_staff('boss', '管理员老周', ['admin']);
::staff_session('boss', 1);
::fill_data(4096);
--- more_headers eval: ::staff_cookie(1) . "\n$::MULTIPART"
--- request eval: ::add_download()
--- error_code: 507
--- response_headers
Retry-After: 60
--- response_body_like eval
qr{<p class="error" id="error" data-code="storage_full">服务器存储空间已满，文件未能保存，请稍后再试（请联系系统管理员清理存储空间）。</p>}
--- error_log eval
qr{certhall-admin: the storage is full, upload refused with 507: write\(\) ".*/tmp/[0-9a-f]{32}": No space left on device}



=== TEST 2: (the block before) no file, no half file, no row; room again: the same upload is taken
--- init
::is(::downloads(), '0/0', 'no row');
::ok(!-e ::stored_path($::Storage, $::Manual), 'the file is not stored');
::is(::tmp_left(), 0, 'no temporary file');
unlink "$::Storage/filler" or die "filler: $!";
--- more_headers eval: ::staff_cookie(1) . "\n$::MULTIPART"
--- request eval: ::add_download()
--- error_code: 303
--- response_headers
Location: /admin/downloads?done=added#download-1



=== TEST 3: (the block before) stored whole with its row
--- init
::is(::downloads(), '1/1', 'its row');
::is(::slurp(::stored_path($::Storage, $::Manual)), $::Manual, 'stored whole');
--- request: GET /api/downloads/1
--- error_code: 200
--- response_body eval: $::Manual
