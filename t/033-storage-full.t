# Uploads when the storage's filesystem is full (issue 21): the storage is
# a tmpfs of its own, mounted here, which the suite fills -- with data (the
# temporary file's write fails), with inodes (the temporary file cannot be
# made; the thread's mkdir() or link() into place fails) -- and frees
# again.  Each full case is 507 storage_full in the error model with
# Retry-After, logged at "crit", and leaves nothing: no temporary file
# (not even the half one a partly taken body made), no stored file, no
# row.  Once there is room again the same upload is taken.  One nginx
# for all the blocks (only the first has a config): each block's log
# pattern names its own failed call.  (The back
# office's 下载中心 upload on a full storage: t/034-backoffice-storage-full.t.)
#
# Mounting needs root (CI is root); where mount(8) refuses, the suite
# skips with its reason.  The mount goes at the end, also after a failure
# (lazily if nginx still holds it).  Runs inside t/bin/testenv.
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
    # 2 MiB of data and 64 inodes: a few uploads, and quickly filled
    $NoMount = Certhall::Tmpfs::tmpfs_mount($Storage, 'size=2m,nr_inodes=64,mode=0755', 'certhall-t033');
}

use Test::Nginx::Socket $NoMount ? (skip_all => $NoMount) : ('no_plan');
use Certhall::Test;
use Certhall::Upload;
use Digest::SHA qw(sha256_hex);

no_shuffle();

our $KeyFile = data_key_file($Dir);
our $Alice = '13800000001';
our $Order = 'UO202612070000000101';
our $Color = scan($Dir, 'jpg', 'color', 800, 600);
# a file not stored yet in each full case, so that each one would make a
# new stored file (the same bytes would find theirs in place)
our @Fresh = map { scan($Dir, 'jpg', 'color', 800 + 8 * $_, 600) } 1 .. 4;

our $HttpConfig = hall_http_config(data_key => $KeyFile)
    . "    certhall_storage $Storage;\n"
    . "    lingering_timeout 100ms;\n";
our $Config = $API_LOCATION
    . "    location /_certhall/files/ {\n        internal;\n        alias $Storage/;\n    }\n";

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);
    }
});

sub up {
    return "$MULTIPART\nCookie: certhall_session=" . session_token(1)
         . "\nX-CSRF-Token: " . csrf_token(1);
}

sub post {
    my $bytes = shift;
    return "POST /api/orders/$Order/materials/legal_id_front\n" . file_body($bytes);
}

sub full_re {
    return error_re('storage_full', undef, '服务器存储空间已满，文件未能保存，请稍后再试');
}

# the log line of a full storage, for what failed
sub full_log {
    my $op = shift;
    return qr{\[crit\] .*certhall: the upload of legal_id_front to order $Order refused with 507: the storage is full: \Q$op\E ".*" failed \(28: No space left on device\)};
}

sub rows { sql_value("SELECT count(*) FROM materials WHERE order_id = " . quote($Order)) }

# Fills the filesystem with data, then frees $leave bytes of it: an upload
# gets that far into its temporary file before the write fails
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
    my $size = -s $fh;
    truncate $fh, $size - $leave or die "filler: $!" if $leave;
    close $fh;
}

# Takes every inode (empty files), then gives $leave back
sub fill_inodes {
    my $leave = shift // 0;
    mkdir "$Storage/fill" or die "fill: $!";
    my $n = 0;
    for (;;) {
        open my $fh, '>', "$Storage/fill/$n" or do {
            die "fill/$n: $!" unless $! == ENOSPC;
            last;
        };
        $n++;
    }
    unlink "$Storage/fill/" . --$n for 1 .. $leave;
}

sub free {
    unlink "$Storage/filler";
    system("rm -rf $Storage/fill") == 0 or die "rm fill";
}

# Waits, bounded (30 s), for tmp/ to be empty: a refused upload's
# temporary file goes when its request ends, which the client may see
# before nginx's loop gets there
sub tmp_left {
    my @tmp;
    for (1 .. 1500) {
        @tmp = tmp_files($Storage);
        return () unless @tmp;
        select undef, undef, undef, 0.02;
    }
    return @tmp;
}

# nothing of the refused upload: no temporary file, no stored file but the
# rows', no new row
sub nothing_left {
    my ($what, $rows, $bytes) = @_;
    my @tmp = tmp_left();
    is(scalar @tmp, 0, "$what: no temporary file left") or diag("@tmp");
    ok(!-e stored_path($Storage, $bytes), "$what: the file is not stored");
    my @files = storage_files($Storage);
    my @rows = map { substr($_->[0], 0, 2) . "/$_->[0]" }
               sql("SELECT DISTINCT sha256 FROM materials ORDER BY 1");
    is_deeply([sort @files], [sort @rows], "$what: the stored files are the rows' files");
    is(rows(), $rows, "$what: no row");
}

run_tests();

__DATA__

=== TEST 1: the storage on a small filesystem of its own: an upload is stored
--- config eval: $::Config
--- init
::reset_accounts();
::make_account($::Alice, 'alice123', verified => ['张三', '1101**********002X']);
::make_session($::Alice, 1);
::sql("INSERT INTO orders (id, account_id, project_code, service, cert_type)"
    . " SELECT " . ::quote($::Order) . ", id, 'xiangtan_ggzy', 'new', 'org'"
    . " FROM accounts WHERE phone = " . ::quote($::Alice));
::sql("INSERT INTO order_events (order_id, to_state, actor_kind, actor_id)"
    . " SELECT id, 'draft', 'applicant', account_id FROM orders WHERE id = " . ::quote($::Order));
--- more_headers eval: ::up()
--- request eval: ::post($::Color)
--- error_code: 201
--- response_body_like eval: '"sha256" : "' . ::sha256_hex($::Color) . '"'



=== TEST 2: no room for data, some of the body written already: 507 storage_full with Retry-After, logged at crit
--- init
::is(::rows(), 1, 'the first upload is there');
::fill_data(16384);
--- more_headers eval: ::up()
--- request eval: ::post($::Fresh[0])
--- error_code: 507
--- response_headers
Content-Type: application/json; charset=utf-8
Retry-After: 60
--- response_body_like eval: ::full_re()
--- error_log eval: ::full_log('pwrite()')



=== TEST 3: (the block before) no half file, no row; no inode for the temporary file: 507, nothing left
--- init
::nothing_left('data full', 1, $::Fresh[0]);
::free();
::fill_inodes(0);
--- more_headers eval: ::up()
--- request eval: ::post($::Fresh[1])
--- error_code: 507
--- response_headers
Retry-After: 60
--- response_body_like eval: ::full_re()
--- error_log eval: ::full_log('open()')



=== TEST 4: (the block before) nothing left; one inode: the temporary file takes it, the directory of its address cannot be made: 507
--- init
::nothing_left('no inode', 1, $::Fresh[1]);
::free();
::fill_inodes(1);
--- more_headers eval: ::up()
--- request eval: ::post($::Fresh[2])
--- error_code: 507
--- response_body_like eval: ::full_re()
--- error_log eval: ::full_log('mkdir()')



=== TEST 5: (the block before) nothing left; the directory there, one inode: the link into place fails: 507
--- init
::nothing_left('mkdir', 1, $::Fresh[2]);
::free();
mkdir "$::Storage/" . substr(::sha256_hex($::Fresh[3]), 0, 2) or die $!;
::fill_inodes(1);
--- more_headers eval: ::up()
--- request eval: ::post($::Fresh[3])
--- error_code: 507
--- response_body_like eval: ::full_re()
--- error_log eval: ::full_log('link()')



=== TEST 6: (the block before) nothing left; room again: the next upload is stored
--- init
::nothing_left('link', 1, $::Fresh[3]);
::free();
--- more_headers eval: ::up()
--- request eval: ::post($::Fresh[3])
--- error_code: 201
--- response_body_like eval: '"sha256" : "' . ::sha256_hex($::Fresh[3]) . '"'



=== TEST 7: (the block before) the new file is stored whole with its row, and nothing else
--- init
::is(::rows(), 2, 'its row');
::is(Certhall::Upload::slurp(::stored_path($::Storage, $::Fresh[3])), $::Fresh[3], 'stored whole');
::is(scalar(my @tmp = ::tmp_left()), 0, 'no temporary file');
--- more_headers eval: ::up()
--- request eval: "GET /api/orders/$::Order/materials/legal_id_front"
--- error_code: 200
--- response_body eval: $::Fresh[3]
