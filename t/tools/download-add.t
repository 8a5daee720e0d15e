# certhall-admin download-add, as an operator and scripts/run.sh rely on
# it: the file stored under its SHA-256 in the configured storage with its
# exact bytes, the download recorded as the admin named, audited as the
# command line; --if-absent does nothing the second time; a login that is
# no admin, an unknown one, a type the 下载中心 does not take, an empty
# file, one over download_max_size are refused (exit 1) and leave no file
# and no row; usage and configuration errors exit 2.  The demo's files
# (scripts/demo-downloads) load once however often make run runs.
# Runs inside t/bin/testenv, on a database of its own.
use strict;
use warnings;
use utf8;
use Test::More;
use Certhall::ToolDb;
use Certhall::Tmpfs;
use File::Temp qw(tempdir);
use IPC::Run qw(run);
use Encode qw(decode encode);
use Digest::SHA qw(sha256_hex);

my $root = $ENV{TEST_NGINX_REPO};
my $host = $ENV{PGHOST};
my $admin = $ENV{TEST_NGINX_ADMIN_CGI};
plan skip_all => 'run inside t/bin/testenv' unless $root && $host && $admin;
-x $admin or BAIL_OUT("$admin is not built: make build/certhall-admin");

binmode $_, ':encoding(UTF-8)' for \*STDOUT, \*STDERR, Test::More->builder->output,
    Test::More->builder->failure_output, Test::More->builder->todo_output;

my $db = 'download_add_test';
my $tmp = tempdir(CLEANUP => 1);
my $storage = "$tmp/storage";
mkdir $storage or die "$storage: $!";

delete @ENV{qw(GATEWAY_INTERFACE CERTHALL_ADMIN_CONF)};

tool_db($db);

sub write_file {
    my ($path, $bytes) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $bytes;
    close $fh or die;
    return $path;
}

my $dbline = "db = host=$host dbname=$db user=certhall connect_timeout=5\n";
my $conf = write_file("$tmp/admin.conf", $dbline . "password_iterations = 1000\n"
                      . "storage = $storage\ndownload_max_size = 4k\n");
my $no_storage = write_file("$tmp/no-storage.conf", $dbline);

# runs the command; returns exit status, stdout, stderr (characters)
sub cmd {
    my ($out, $err) = ('', '');
    run [$admin, map { encode('UTF-8', $_) } @_], \undef, \$out, \$err;
    return ($? >> 8, decode('UTF-8', $out), decode('UTF-8', $err));
}

# the stored files (ab/<sha256>) and anything left in tmp/
sub stored {
    my @files = map { s{^\Q$storage\E/}{}r } glob("$storage/[0-9a-f][0-9a-f]/*");
    return join ' ', sort @files;
}
sub tmp_left { my @f = glob("$storage/tmp/*"); scalar @f }
sub rel { my $sha = sha256_hex(shift); substr($sha, 0, 2) . "/$sha" }
sub rows { psql("SELECT count(*) || '/' || (SELECT count(*) FROM download_versions) FROM downloads") }

# the staff, as an operator makes them
for (['boss', '管理员老周', 'admin'], ['rev', '审核员小李', 'reviewer']) {
    my ($out, $err) = ('', '');
    run [$admin, 'staff-add', '-c', $conf, map { encode('UTF-8', $_) } @$_],
        \"staff-pass-123\n", \$out, \$err or BAIL_OUT("staff-add @$_: $err");
}

my $form = "%PDF-1.4\n% 补办申请表\n%%EOF\n";
my $form_file = write_file("$tmp/补办申请表.pdf", encode('UTF-8', $form));

# --- adding -------------------------------------------------------------------

my ($rc, $out, $err) = cmd('download-add', '-c', $conf, '--as', 'boss', '--category', 'form',
    '--title', '补办申请表', '--description', '证书遗失时填写', $form_file);
is $rc, 0, 'added: exit 0' or diag $err;
my $sha = sha256_hex(encode('UTF-8', $form));
like $out, qr/^download-add: added 1 "补办申请表": 补办申请表\.pdf, \d+ bytes, sha256 $sha$/, 'says what it added';
is stored(), rel(encode('UTF-8', $form)), 'stored under ab/<sha256>';
{
    open my $fh, '<:raw', "$storage/" . rel(encode('UTF-8', $form)) or die;
    local $/;
    is scalar <$fh>, encode('UTF-8', $form), 'byte for byte';
}
is tmp_left(), 0, 'nothing left in tmp/';
is psql("SELECT concat_ws(',', d.category, coalesce(d.project_code, '-'), d.title, d.description, s.login,"
        . " v.version, v.file_name, v.media_type, v.size_bytes, v.sha256) FROM downloads d"
        . " JOIN download_versions v ON v.download_id = d.id JOIN staff s ON s.id = d.created_by"),
    join(',', 'form', '-', '补办申请表', '证书遗失时填写', 'boss', 1, '补办申请表.pdf',
         'application/pdf', length(encode('UTF-8', $form)), $sha), 'the download and its version 1';
is psql("SELECT count(*) FROM staff_audit a JOIN staff s ON s.id = a.staff_id"
        . " WHERE a.action = 'download_add' AND s.login = 'boss'"), 1, 'audited as the admin named';

# --- idempotent ---------------------------------------------------------------

($rc, $out, $err) = cmd('download-add', '-c', $conf, '--as', 'boss', '--category', 'form',
    '--title', '补办申请表', '--if-absent', $form_file);
is $rc, 0, '--if-absent again: exit 0';
like $out, qr/"补办申请表" is there already \(1\), nothing done/, 'and says so';
is rows(), '1/1', 'nothing added';

# --- refusals -----------------------------------------------------------------

my $zip = write_file("$tmp/driver.zip", "PK\x03\x04 not added");
my $before = stored();
for my $case (
    ['a reviewer', 1, qr/refused: .*管理员/, '--as', 'rev', '--category', 'driver', '--title', '驱动', $zip],
    ['an unknown login', 1, qr/refused: 员工不存在或已停用/, '--as', 'nobody', '--category', 'driver', '--title', '驱动', $zip],
    ['an unknown category', 1, qr/refused: 请选择文件类别/, '--as', 'boss', '--category', 'video', '--title', '驱动', $zip],
    ['an unknown project', 1, qr/refused: 申请项目不存在/, '--as', 'boss', '--category', 'driver', '--project', 'nope', '--title', '驱动', $zip],
    ['an HTML file', 1, qr/refused: .*page\.html: not a type the download centre takes/, '--as', 'boss', '--category', 'form', '--title', '页面',
     write_file("$tmp/page.html", '<script>alert(1)</script>')],
    ['an SVG file', 1, qr/refused: .*not a type/, '--as', 'boss', '--category', 'form', '--title', '图', write_file("$tmp/x.svg", '<svg/>')],
    ['an empty file', 1, qr/refused: .*the file is empty/, '--as', 'boss', '--category', 'form', '--title', '空', write_file("$tmp/empty.pdf", '')],
    ['a file over download_max_size', 1, qr/refused: .*larger than download_max_size \(4096 bytes\)/, '--as', 'boss', '--category', 'form',
     '--title', '大', write_file("$tmp/big.pdf", 'x' x 4097)],
    ['a missing file', 1, qr/refused: .*nothing\.pdf: No such file/, '--as', 'boss', '--category', 'form', '--title', '无', "$tmp/nothing.pdf"],
    ['no title', 2, qr/--as, --category, --title and FILE are required/, '--as', 'boss', '--category', 'form', $zip],
    ['an unknown option', 2, qr/unexpected argument "--force"/, '--force', '--as', 'boss', '--category', 'form', '--title', 'x', $zip],
) {
    my ($what, $want, $msg, @args) = @$case;
    ($rc, $out, $err) = cmd('download-add', '-c', $conf, @args);
    is $rc, $want, "$what: exit $want";
    like $err, $msg, "$what: says why";
    is $out, '', "$what: prints nothing on stdout";
    is stored(), $before, "$what: no file stored";
    is tmp_left(), 0, "$what: nothing left in tmp/";
    is rows(), '1/1', "$what: no row";
}

($rc, $out, $err) = cmd('download-add', '-c', $no_storage, '--as', 'boss', '--category', 'driver',
    '--title', '驱动', $zip);
is $rc, 2, 'no storage configured: exit 2';
like $err, qr/"storage" is not set/, 'and says so';

# --- the demo's files ---------------------------------------------------------

my $demo_conf = write_file("$tmp/demo.conf", $dbline . "storage = $storage\n");
for my $run (1, 2) {
    my ($o, $e) = ('', '');
    run ['perl', "$root/scripts/demo-downloads", '--admin', $admin, '-c', $demo_conf,
         '--dir', "$tmp/demo", '--as', 'boss'], \undef, \$o, \$e;
    is $? >> 8, 0, "demo-downloads run $run: exit 0" or diag $e;
    is rows(), '7/7', "demo-downloads run $run: the six demo files and the first one";
}
is psql("SELECT string_agg(concat_ws(':', category, coalesce(project_code, '-'), v.media_type), ' ' ORDER BY d.id)"
        . " FROM downloads d JOIN download_versions v ON v.download_id = d.id WHERE d.id > 1"),
    'form:-:application/pdf form:-:application/pdf form:-:application/pdf form:xiangtan_ggzy:application/pdf'
    . ' manual:-:application/pdf driver:-:application/zip', 'the demo: three general forms, a project form, a manual, a driver';
{
    my @pdf = glob("$tmp/demo/*.pdf");
    is scalar @pdf, 5, 'five PDFs made';
    for my $p (@pdf) {
        open my $fh, '<:raw', $p or die;
        local $/;
        my $b = <$fh>;
        my ($xref) = $b =~ /startxref\n(\d+)\n%%EOF\n\z/;
        ok defined $xref && substr($b, $xref, 5) eq "xref\n", "$p: startxref points at its xref";
        like $b, qr{/BaseFont /STSong-Light /Encoding /UniGB-UCS2-H}, "$p: Chinese text in the reader's own font";
    }
    my @zip = glob("$tmp/demo/*.zip");
    is scalar @zip, 1, 'one zip made';
    open my $fh, '<:raw', $zip[0] or die;
    local $/;
    like scalar <$fh>, qr/^PK\x03\x04.*README\.txt/s, 'a zip with its README';
}
is tmp_left(), 0, 'nothing left in tmp/ after the demo';

# --- the storage full (issue 21) ------------------------------------------------
# a storage on a tmpfs of its own, filled: exit 2 (not a refusal of the
# file: the same command works once there is room), nothing stored, no
# row; with room again it adds it

SKIP: {
    my $small = "$tmp/small-storage";
    mkdir $small or die;
    my $refused = tmpfs_mount($small, 'size=64k,mode=0755', 'certhall-download-add');
    skip $refused, 7 if $refused;
    tmpfs_fill($small);
    my $full_conf = write_file("$tmp/full.conf", $dbline . "storage = $small\ndownload_max_size = 4k\n");
    my $manual = write_file("$tmp/manual.pdf", "%PDF-1.4\n" . ('m' x 3000) . "\n%%EOF\n");
    ($rc, $out, $err) = cmd('download-add', '-c', $full_conf, '--as', 'boss', '--category', 'manual',
        '--title', '使用手册', $manual);
    is $rc, 2, 'the storage full: exit 2';
    like $err, qr/^download-add: the storage is full, nothing stored: write\(\) ".*": No space left on device$/m,
        'says so';
    is join(' ', grep { -f } glob("$small/??/*"), glob("$small/tmp/*")), '', 'no file, no half file';
    is rows(), '7/7', 'no row';
    unlink "$small/filler";
    ($rc, $out, $err) = cmd('download-add', '-c', $full_conf, '--as', 'boss', '--category', 'manual',
        '--title', '使用手册', $manual);
    is $rc, 0, 'room again: added' or diag $err;
    is rows(), '8/8', 'its row';
    ok -f "$small/" . rel(slurp_bytes($manual)), 'its file';
    tmpfs_unmount($small);
}

sub slurp_bytes { open my $fh, '<:raw', shift or die; local $/; scalar <$fh> }

psql("DROP DATABASE IF EXISTS $db", 'postgres', 'postgres');

done_testing();
