# t/bin/run-tests' CERTHALL_STRESS mode: while the tests run, one busy loop
# per core (or CERTHALL_STRESS_LOOPS) runs beside them, using the CPU; when
# the tests end the loops are gone; a loop outlives neither its time bound
# (CERTHALL_STRESS_MAX) nor the harness.
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);

my $root = abs_path(dirname(__FILE__) . '/../..');
my $runner = "$root/t/bin/run-tests";
my $probe = "t/tools/fixtures/stress-probe.t";
my $dir = tempdir(CLEANUP => 1);

# the loops of the harnesses this test starts; when `make test` itself runs
# under CERTHALL_STRESS, the loops of the harness running this test (its
# parent) are not counted
sub loops_alive {
    my $outer = getppid();
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        push @pids, $1 if $line =~ /^(\d+) \(certhall-stress\) [^Z] (\d+)/
                          && $2 != $outer;
    }
    return @pids;
}

# a bounded wait for the loops to be gone
sub wait_no_loops {
    my $deadline = time + 30;
    while (time < $deadline) {
        return 1 unless loops_alive();
        sleep 0.05;
    }
    return 0;
}

ok(wait_no_loops(), 'no busy loop runs before');

sub run_harness {
    my (%env) = @_;
    local @ENV{keys %env} = values %env;
    my $out = `$^X $runner $probe 2>&1`;
    return ($? >> 8, $out);
}

my $seen = "$dir/seen";
my ($rc, $out) = run_harness(CERTHALL_STRESS => 1, CERTHALL_STRESS_LOOPS => 3,
                             STRESS_PROBE_OUT => $seen);
is $rc, 0, 'the run passes' or diag $out;
like $out, qr/^CERTHALL_STRESS: 3 busy loop\(s\) started/m, 'it says it started the loops';
like $out, qr/^1 passed, 0 failed in \d+ min \d+ s under 3 busy loops$/m,
     'and ends saying the tests ran under them, and how long they took';
open my $fh, '<', $seen or die "$seen: $!";
my @loops = split ' ', scalar <$fh>;
is scalar(@loops), 3, 'three loops ran while the test did';
ok !(grep { !/:[RS]$/ } @loops), 'alive (running or runnable)' or diag "@loops";
ok wait_no_loops(), 'none is left once the harness has ended';

# the default: one loop per core
my $cores = () = do { open my $c, '<', '/proc/cpuinfo'; grep { /^processor\s*:/ } <$c> };
($rc, $out) = run_harness(CERTHALL_STRESS => 1, STRESS_PROBE_OUT => $seen);
like $out, qr/^CERTHALL_STRESS: $cores busy loop\(s\) started/m, "one per core ($cores)";

# without CERTHALL_STRESS: no loop, and the summary says nothing of them
($rc, $out) = run_harness(CERTHALL_STRESS => undef, STRESS_PROBE_OUT => $seen);
open $fh, '<', $seen or die "$seen: $!";
is scalar(<$fh>), "\n", 'without CERTHALL_STRESS no loop runs';
like $out, qr/^1 passed, 0 failed in \d+ min \d+ s$/m, 'and the summary has no load in it';

# the time bound: a loop that outlives it ends by itself, and the harness
# says that part of the run was not under load (a failure: the run did not
# prove what it was asked to)
my $slow = "$dir/slow.t";
open my $s, '>', $slow or die;
print $s <<'EOT';
use Time::HiRes qw(sleep time);
# waits (bounded) until no live busy loop is left, then passes
my $deadline = time + 30;
while (time < $deadline) {
    my $live = grep { /^\d+ \(certhall-stress\) [^Z] (\d+)/ && $1 == getppid() }
               map { open my $f, '<', $_; scalar(<$f>) // '' } glob '/proc/[0-9]*/stat';
    last unless $live;
    sleep 0.05;
}
print "1..1\nok 1\n";
EOT
close $s;
{
    local $ENV{CERTHALL_STRESS} = 1;
    local $ENV{CERTHALL_STRESS_LOOPS} = 1;
    local $ENV{CERTHALL_STRESS_MAX} = 1;
    $out = `$^X $runner $slow 2>&1`;
    $rc = $? >> 8;
}
isnt $rc, 0, 'a loop that ended before the tests makes the run fail';
like $out, qr/the busy loops had stopped before the tests ended: 1/, 'saying so';

# the harness killed: its loops end with it
my $pid = fork // die;
if (!$pid) {
    $ENV{CERTHALL_STRESS} = 1;
    $ENV{CERTHALL_STRESS_LOOPS} = 2;
    open STDOUT, '>', '/dev/null';
    exec $^X, $runner, $slow;
}
my $deadline = time + 30;
sleep 0.05 until loops_alive() >= 2 || time > $deadline;
is scalar(loops_alive()), 2, 'a killed harness had two loops';
kill 'KILL', $pid;
waitpid $pid, 0;
ok wait_no_loops(), 'which end with it';

done_testing;
