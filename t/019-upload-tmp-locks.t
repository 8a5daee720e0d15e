# The storage's tmp/ when a worker starts, for today's temporary files
# (upload.<ten digits>): each is held under flock() by the worker writing
# it, so a worker's start removes the ones nobody holds -- those of a
# worker killed with SIGKILL during an upload, however recently written --
# and keeps the ones a live process holds, such as an old worker's upload
# during a reload or a binary upgrade (ngx_module/README.md,
# certhall_storage).  The older names keep their age rule
# (t/016-upload-tmp.t, t/018-upload-tmp-names.t).
#
# A restart of nginx removes servroot's html/, so the storage is a folder
# of this script's, planted (and one file locked by this very process)
# before nginx first starts.
# Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use File::Temp qw(tempdir);
use Fcntl qw(:flock);
use POSIX ();

no_shuffle();

our $Storage = tempdir('certhall-019.XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$Storage/tmp" or die "mkdir $Storage/tmp: $!";

# a dead worker's (nobody holds it), written just now
our $Dead = 'upload.0000000042';
# a live upload's: this process holds its lock for the whole run
our $Live = 'upload.0000000043';
# names that are not the module's
our @NotOurs = ('upload.000000004', 'upload.00000000420', 'upload.000000004a',
                'Upload.0000000044', 'upload-0000000045', 'upload.0000000046.tmp');

sub plant {
    my $name = shift;
    open my $fh, '>', "$Storage/tmp/$name" or die "$name: $!";
    print $fh "part of an upload\n";
    close $fh;
}

plant($_) for $Dead, $Live, @NotOurs;

# the live upload's process: a child that holds the lock until it is told
# to go (its pipe closes), so that no other process shares the lock
pipe my $hold_r, our $HoldW or die "pipe: $!";
pipe my $ready_r, my $ready_w or die "pipe: $!";
our $Holder = fork // die "fork: $!";
if (!$Holder) {
    close $HoldW;
    close $ready_r;
    open my $fh, '<', "$Storage/tmp/$Live" or die "$Live: $!";
    flock($fh, LOCK_EX | LOCK_NB) or die "flock $Live: $!";
    print $ready_w "locked\n";
    close $ready_w;
    sysread $hold_r, my $eof, 1;
    # not exit: the test modules' END blocks (stop nginx, plan) are the parent's
    POSIX::_exit(0);
}
close $hold_r;
close $ready_w;
die "the holder of $Live did not lock it\n" unless (<$ready_r> // '') eq "locked\n";
close $ready_r;

# the holder goes, and its lock with it
sub release {
    close $::HoldW;
    waitpid $::Holder, 0;
}

sub tmp { "$Storage/tmp/" . shift }

run_tests();

__DATA__

=== TEST 1: a worker starts with a dead worker's and a live upload's temporary files in tmp/
--- http_config eval: ::hall_http_config() . "    certhall_storage $::Storage;\n"
--- config eval: $::API_LOCATION
--- request
GET /api/health
--- error_code: 200
--- response_body: {"status":"ok","database":"ok"}
--- error_log eval
qr{\[notice\] .*certhall: temporary file "\Q$::Storage\E/tmp/upload\.0000000042" removed: its worker is gone}
--- no_error_log
upload.0000000043
[crit]
[alert]



=== TEST 2: (the block before) only the file nobody held is gone, however recent
--- init
::ok(!-e ::tmp($::Dead), 'the dead worker\'s temporary file is gone, written a moment ago');
::ok(-f ::tmp($::Live), 'the one a live process holds is kept');
::ok(-f ::tmp($_), "$_ is kept: not the module's name") for @::NotOurs;
--- request
GET /api/health
--- error_code: 200



=== TEST 3: the live upload's process lets go of its file, after the worker's start (its answer) kept it
--- init
::release();
--- request
GET /api/health
--- error_code: 200



=== TEST 4: a worker's start removes the file nobody holds any more
--- http_config eval: ::hall_http_config() . "    certhall_storage $::Storage;\n"
--- config eval: $::API_LOCATION
--- request
GET /api/health
--- error_code: 200
--- error_log eval
qr{\[notice\] .*certhall: temporary file "\Q$::Storage\E/tmp/upload\.0000000043" removed: its worker is gone}



=== TEST 5: (the block before) it is gone, the names not the module's are still kept
--- init
::ok(!-e ::tmp($::Live), 'the released temporary file is gone');
::ok(-f ::tmp($_), "$_ is kept") for @::NotOurs;
--- request
GET /api/health
--- error_code: 200
