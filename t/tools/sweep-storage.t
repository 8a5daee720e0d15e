# certhall-admin sweep-storage: the stored files no row names (what an
# upload whose row's statement broke off, outcome unknown, leaves) go once
# they are older than --older-than; a material's file, a download's, an
# invoice's stay whatever their age; a young orphan stays (an upload may be
# about to commit its row); nothing outside ab/<sha256> is touched; a
# second run removes nothing; a file an upload in flight holds (flock)
# stays, whatever its age.  Runs inside t/bin/testenv, on a database of
# its own.
use strict;
use warnings;
use utf8;
use Test::More;
use Certhall::ToolDb;
use File::Temp qw(tempdir);
use IPC::Run qw(run);
use Digest::SHA qw(sha256_hex);

my $root = $ENV{TEST_NGINX_REPO};
my $host = $ENV{PGHOST};
my $admin = $ENV{TEST_NGINX_ADMIN_CGI};
plan skip_all => 'run inside t/bin/testenv' unless $root && $host && $admin;

my $db = 'sweep_storage_test';
my $tmp = tempdir(CLEANUP => 1);
my $storage = "$tmp/storage";
mkdir $storage or die "$storage: $!";
mkdir "$storage/tmp" or die;
delete @ENV{qw(GATEWAY_INTERFACE CERTHALL_ADMIN_CONF)};
tool_db($db);

open my $cf, '>', "$tmp/admin.conf" or die;
print $cf "db = host=$host dbname=$db user=certhall connect_timeout=5\nstorage = $storage\n";
close $cf;

# a stored file (ab/<sha256>) of these bytes, written $age seconds ago
sub store {
    my ($bytes, $age) = @_;
    my $sha = sha256_hex($bytes);
    mkdir "$storage/" . substr($sha, 0, 2);
    my $path = "$storage/" . substr($sha, 0, 2) . "/$sha";
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $bytes;
    close $fh;
    my $t = time - $age;
    utime $t, $t, $path;
    return $sha;
}

sub present { my $sha = shift; return -e "$storage/" . substr($sha, 0, 2) . "/$sha" }

sub sweep {
    my ($out, $err) = ('', '');
    run [$admin, 'sweep-storage', '-c', "$tmp/admin.conf", @_], \undef, \$out, \$err;
    return ($? >> 8, $out, $err);
}

psql(q{INSERT INTO accounts (phone, realname_status, realname_name, realname_id_masked, realname_verified_at)
       VALUES ('13800000077', 'verified', '张三', '1101**********002X', now())});
psql(q{INSERT INTO orders (id, account_id, project_code, service, cert_type)
       SELECT 'UO202612070000007701', id, 'xiangtan_ggzy', 'new', 'org' FROM accounts});
my $material = store('a material', 7200);
psql(qq{INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height, pages,
       original_name, account_id) SELECT 'UO202612070000007701', 'legal_id_front', '$material',
       10, 'jpg', 800, 600, 1, 'id.jpg', account_id FROM orders});
my $replaced = store('a material replaced since', 7200);
psql(qq{INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height, pages,
       original_name, account_id) SELECT 'UO202612070000007701', 'legal_id_back',
       '$replaced', 24, 'jpg', 800, 600, 1, 'id.jpg', account_id FROM orders});
psql(qq{UPDATE materials SET replaced_at = now(), replaced_by = 'delete' WHERE sha256 = '$replaced'});
my $old_orphan = store('an upload whose row never came', 7200);
my $young_orphan = store('an upload about to commit its row', 10);
# not a stored file's name: left alone
open my $other, '>', "$storage/tmp/upload.1" or die; close $other;
my $odd = "$storage/" . substr($old_orphan, 0, 2) . "/notes.txt";
open $other, '>', $odd or die; close $other;
utime time - 7200, time - 7200, $odd, "$storage/tmp/upload.1";

my ($rc, $out, $err) = sweep();
is $rc, 0, 'it sweeps' or diag $err;
like $out, qr/^sweep-storage: 1 removed, 1 kept$/m, 'one file removed, one kept for its youth' or diag $out;
ok !present($old_orphan), 'the file no row names, older than an hour, is gone';
ok present($young_orphan), 'the young one stays (its upload may be about to commit)';
ok present($material) && present($replaced), "the materials' files stay, replaced ones too";
ok -e $odd && -e "$storage/tmp/upload.1", 'names that are not stored files are not touched';

($rc, $out) = sweep('--older-than', '0');
like $out, qr/^sweep-storage: 1 removed, 0 kept$/m, '--older-than 0 takes the young orphan too';
ok !present($young_orphan) && present($material), 'and only it';

($rc, $out) = sweep('--older-than', '0');
like $out, qr/^sweep-storage: 0 removed, 0 kept$/m, 'a second run removes nothing';

# An upload in flight holds its stored file under flock() until its row's
# statement ends: LOCK_SH one that found the file there (the module's
# uploads and lib/ch_store.c), LOCK_EX its creator.  No row names the file
# yet, and it is old (it was an orphan when the upload found it), but the
# row is about to be committed: the sweep keeps it while it is held.
use Fcntl qw(:flock);
for my $mode ([LOCK_SH, 'LOCK_SH (an upload that found it)'], [LOCK_EX, 'LOCK_EX (its creator)']) {
    my $relied = store("a file an upload relies on, $mode->[1]", 7200);
    my $path = "$storage/" . substr($relied, 0, 2) . "/$relied";
    open my $held, '<', $path or die "$path: $!";
    flock $held, $mode->[0] or die "flock: $!";
    ($rc, $out, $err) = sweep('--older-than', '0');
    is $rc, 0, "held with $mode->[1]: it sweeps" or diag $err;
    like $out, qr/^sweep-storage: 0 removed, 1 kept$/m, '... and keeps the held file' or diag $out;
    ok present($relied), '... which is there';
    close $held;
    ($rc, $out) = sweep('--older-than', '0');
    like $out, qr/^sweep-storage: 1 removed, 0 kept$/m, 'let go and still no row names it: removed';
}

($rc, undef, $err) = sweep('--older-than', 'soon');
is $rc, 2, 'a bad --older-than is a usage error';
like $err, qr/--older-than: "soon" is no number of seconds/, 'and says so';

open $cf, '>', "$tmp/no-storage.conf" or die;
print $cf "db = host=$host dbname=$db user=certhall\n";
close $cf;
my ($o, $e) = ('', '');
run [$admin, 'sweep-storage', '-c', "$tmp/no-storage.conf"], \undef, \$o, \$e;
is $? >> 8, 2, 'no storage configured: exit 2';
like $e, qr/no storage/, 'and says so';

done_testing;
