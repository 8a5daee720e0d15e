# The storage's disk fills under a mixed load (issue 21).  The hall's
# storage is moved onto a small filesystem of its own (a tmpfs, with what
# run.sh stored there copied over and bind-mounted in its place, as an
# operator moves it to a disk of its own); the load runs (logins, catalog,
# my orders, uploads, submits, payments, staff reviews); the test fills the
# disk with a file while uploads come, keeps it full until uploads have
# been refused, then frees it.  Every upload is answered 2xx or 507
# storage_full in the error model with Retry-After (never another 5xx,
# never a hang); the other requests go on as if nothing happened; the
# module says it at "crit" in the error log; once there is room the next
# upload is stored; invoice-send run on the full disk (as its cron would)
# loses and doubles nothing: each request is issued with its files or back
# in the queue uncounted, and issued once there is room; and the database
# and the storage hold exactly what each client was told (Certhall::Ledger: no half file, no row without its
# file, no file without its row, a refused upload changed nothing).  The
# full form (CERTHALL_FAULTS_FULL=1) runs more clients for longer and then
# fills the inode table too (the temporary file, the mkdir and the link
# into place each need one).
#
# One hall (its port: TEST_NGINX_PORT + 30).  Mounting needs root, as the
# hall itself does.
use strict;
use warnings;
use Test::More;
use Errno qw(ENOSPC);
use Time::HiRes qw(time);
use HTTP::Tiny;
use JSON::PP ();

use Certhall::Hall;
use Certhall::Load;
use Certhall::Ledger;
use Certhall::Admin qw(make_staff order_at hand_over_key);
use Certhall::Test qw(make_account quote);

$ENV{TEST_NGINX_REPO} or plan skip_all => 'run inside t/bin/testenv';
$> == 0 or plan skip_all => 'a hall runs PostgreSQL as postgres and nginx\'s workers as nobody; mount: root only';

my $full = $ENV{CERTHALL_FAULTS_FULL};
my $port = ($ENV{TEST_NGINX_PORT} // 2500) + 30;
my %size = $full ? (clients => 6, staff => 2, orders => 12) : (clients => 3, staff => 1, orders => 6);
# answers to wait for before the fault, and after the room comes back
my $settle = $full ? 150 : 30;
# uploads refused before the room comes back
my $refusals = $full ? 12 : 3;

my $hall = Certhall::Hall->start(port => $port);
note sprintf('the hall started: %.1f s', time - $^T);
my $storage = $hall->storage;
my $small = $hall->var . '/storage-disk';
my $mounted;

# the storage on a disk of its own: room for the load's uploads (some 200
# KiB each; the full form makes a few hundred) besides what run.sh
# stored, and 4096 more inodes; only what is written takes memory
my $room_kib = $full ? 192 * 1024 : 32 * 1024;
{
    my ($kib) = split ' ', `du -sk '$storage'`;
    my $inodes = 0 + `find '$storage' | wc -l`;
    mkdir $small or die "$small: $!";
    my $opts = sprintf('size=%dk,nr_inodes=%d,mode=0750,uid=%d,gid=%d',
                       $kib + $room_kib, $inodes + 4096, (getpwnam 'nobody')[2], (getgrnam 'nogroup')[2]);
    if (system("mount -t tmpfs -o $opts certhall-fault-disk '$small'") != 0) {
        plan skip_all => "mount -t tmpfs refused (a container without CAP_SYS_ADMIN?)";
    }
    # once bound over the storage, $small is let go: the storage keeps it
    system("cp -a '$storage/.' '$small/'") == 0 or die "cp -a $storage $small\n";
    system("mount --bind '$small' '$storage'") == 0 or die "mount --bind $small $storage\n";
    $mounted = 1;
    system("umount '$small'") == 0 or die "umount $small\n";
    note sprintf('the storage on its disk (%d KiB, %d inodes used): %.1f s', $kib, $inodes, time - $^T);
}

# before the hall's own END stops it and removes its folder
END {
    if ($mounted) {
        system("umount '$storage' 2>/dev/null") == 0
            or system("umount -l '$storage'") == 0
            or warn "umount $storage failed\n";
    }
}

# fills the disk with one file, as root; its path
sub fill_data {
    my $path = "$storage/filler";
    open my $fh, '>:raw', $path or die "$path: $!";
    my $chunk = "\0" x (1024 * 1024);
    while (1) {
        my $n = syswrite $fh, $chunk;
        next if $n;
        last if $! == ENOSPC;
        die "$path: $!";
    }
    close $fh;
    return $path;
}

# takes every inode (empty files in one folder); the folder
sub fill_inodes {
    my $dir = "$storage/filler-inodes";
    mkdir $dir or die "$dir: $!";
    for (my $n = 0; ; $n++) {
        open my $fh, '>', "$dir/$n" and next;
        last if $! == ENOSPC;
        die "$dir/$n: $!";
    }
    return $dir;
}

sub uploads { grep { $_->{action} eq 'upload' } @_ }

# orders in 待开票 (their blue invoice requests queued, due now), their ids
sub pending_invoice {
    my $n = shift;
    my $phone = sprintf('1379%07d', $$ % 10000000);
    make_account($phone, 'disk-pass-2026', verified => ['张三', '1101**********002X']);
    my $rev = make_staff("diskrev$$", '审核员', ['reviewer'], 'staff-pass-2026');
    my $ship = make_staff("diskship$$", '发货员', ['shipper'], 'staff-pass-2026');
    my $scan = `'${\ $hall->root}/build/bin/mkscan' jpg color 400 300 --seed 4000000001`;
    my @ids;
    for my $i (1 .. $n) {
        my $id = sprintf('UO2026120799%04d%04d', $$ % 10000, $i);
        order_at('pending_shipment', id => $id, phone => $phone, storage => $storage,
                 file => $scan, reviewer => $rev);
        hand_over_key($id, 'pickup', $ship);
        push @ids, $id;
    }
    system('chown', '-R', 'nobody:nogroup', $storage);
    return @ids;
}

# each order's blue request: "state attempts invoice-row"
sub invoice_states {
    my @ids = @_;
    return map { join ' ', @$_ } $hall->sql(
        "SELECT r.order_id, r.state, r.attempts, (i.id IS NOT NULL)::text FROM invoice_requests r"
        . " LEFT JOIN invoices i ON i.request_id = r.id WHERE r.order_id IN ("
        . join(', ', map { quote($_) } @ids) . ") ORDER BY r.order_id");
}

my @figures;
my @phases = (['data', \&fill_data]);
push @phases, ['inodes', \&fill_inodes] if $full;
# CERTHALL_FAULTS_CASES=regex runs the cases whose names match only
my $only = $ENV{CERTHALL_FAULTS_CASES} ? qr/$ENV{CERTHALL_FAULTS_CASES}/ : qr/./;

for my $phase (@phases) {
    my ($what, $fill) = @$phase;
    my $name = "disk-full-$what";
    next unless $name =~ $only;
    my @invoiced = $what eq 'data' ? pending_invoice(2) : ();
    my $load = Certhall::Load->new(hall => $hall, name => $name, timeout => 10,
                                   mix => { upload => 6 }, %size)->setup;
    my $log_from = $hall->log_size($hall->error_log);
    note sprintf('%s: seeded at %.1f s', $name, time - $^T);
    $load->start;
    ok $load->wait_requests($settle, 60) >= $settle, "$name: the load runs";

    my $filled = time;
    my $filler = $fill->();
    my $refused = Certhall::Hall::wait_for(sub {
        grep({ ($_->{status} // 0) == 507 && $_->{t0} >= $filled } uploads($load->journal)) >= $refusals
    }, 60);
    ok $refused, "$name: uploads are refused while the disk is full";
    if (@invoiced) {
        # Under the load a refused upload frees its half file for a moment,
        # so a small PDF may find room: each request is either issued with
        # its files (the Ledger checks them) or back in the queue with its
        # attempt not counted; never failed, never issued twice.  (The
        # refusal itself, on a disk that stays full: t/tools/invoice-send.t.)
        my ($rc, $out) = $hall->admin({ user => 'nobody' }, 'invoice-send');
        my @states = invoice_states(@invoiced);
        my @bad = grep { !/ (issued \d+ true|queued 0 false)$/ } @states;
        ok !@bad && $rc <= 1, "$name: invoice-send on the full disk: each request issued with its"
                              . ' files or queued uncounted' or diag "exit $rc: $out", explain \@states;
        note "invoice-send on the full disk: exit $rc: $out";
    }
    system('rm', '-rf', $filler) == 0 or die "rm $filler\n";
    # (after the rm: an upload sent while it runs may still find no room)
    my $freed = time;
    # the first upload sent once there is room is stored
    my $first = Certhall::Hall::wait_for(sub {
        my ($e) = grep { $_->{t0} >= $freed && $_->{status} } uploads($load->journal);
        $e;
    }, 60);
    ok $first && $first->{status} == 201, "$name: the first upload sent once there is room is stored"
        or diag explain $first;
    if (@invoiced) {
        # the backoff passed: the next run, with room, issues what is left
        $hall->sql("UPDATE invoice_requests SET next_try_at = now() WHERE state = 'queued' AND order_id IN ("
                   . join(', ', map { quote($_) } @invoiced) . ")");
        my ($rc, $out) = $hall->admin({ user => 'nobody' }, 'invoice-send');
        is_deeply [ invoice_states(@invoiced) ], [ map { "$_ issued 1 true" } @invoiced ],
            "$name: room again: invoice-send issues each request, at its first counted attempt"
            or diag "exit $rc: $out";
        # the platform issued one invoice per serial, whatever the full disk did
        my $http = HTTP::Tiny->new(timeout => 10, verify_SSL => 1,
                                   SSL_options => { SSL_ca_file => $hall->var . '/einvoice-ca/ca.crt' });
        my $control = $http->get($hall->double_url('tax-platform') . '/_control');
        my %issued;
        $issued{ $_->{serial} }++ for @{ (eval { JSON::PP::decode_json($control->{content}) } // {})->{invoices} // [] };
        my @serials = map { $_->[0] } $hall->sql("SELECT serial FROM invoice_requests WHERE order_id IN ("
                                                 . join(', ', map { quote($_) } @invoiced) . ")");
        is join(' ', map { $issued{$_} // 0 } @serials), join(' ', (1) x @serials),
            "$name: the platform issued one invoice per request" or diag "_control: $control->{status}";
    }
    $load->wait_requests($settle, 60);
    $load->stop;
    note sprintf('%s: load stopped at %.1f s', $name, time - $^T);

    my @journal = $load->journal;
    my @up = uploads(@journal);
    my @bad = grep { my $s = $_->{status} // 0;
                     !($s == 201 || ($s == 507 && ($_->{code} // '') eq 'storage_full'
                                     && $_->{error_model} && ($_->{retry_after} // '') eq '60')) } @up;
    ok @up && !@bad, "$name: every upload is answered 201, or 507 storage_full in the error model"
                     . ' with Retry-After (' . scalar(@up) . ' uploads)'
        or diag explain [ @bad[0 .. ($#bad < 5 ? $#bad : 5)] ];
    my @other = grep { $_->{action} ne 'upload' && $_->{path} =~ m{^/(api|admin)/} } @journal;
    my @failed = grep { !$_->{status} || $_->{status} >= 500 } @other;
    ok @other && !@failed, "$name: no other request failed (" . scalar(@other) . ' requests)'
        or diag explain [ @failed[0 .. ($#failed < 5 ? $#failed : 5)] ];
    my $n507 = grep { ($_->{status} // 0) == 507 } @up;
    ok $hall->wait_log($hall->error_log, qr/\[crit\] .*certhall: the upload of \S+ to order \S+ refused with 507: the storage is full: /,
                       $log_from, 10),
        "$name: the error log says it at crit";

    Certhall::Ledger->new(hall => $hall, load => $load)->check_all($name);
    push @figures, $load->summary($name)
        . sprintf(', uploads %d (507 %d), full for %.2f s', scalar(@up), $n507, $freed - $filled);
}

diag $_ for @figures;
note sprintf('checked at %.1f s', time - $^T);

done_testing;
