# A failing block does not stop the following blocks: a wrong response,
# nginx refusing to start, a timeout and a block that cannot run at all
# (an undefined $TEST_NGINX_* variable), one after the other
# (fixtures/many.t). bail_out() is the way to stop a run
# (fixtures/bail-out.t).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use RunnerFixture;
use Test::More;

my $run = run_fixture('many.t');

my @all = map { /^(?:not )?ok \d+ - (.*)$/ ? $1 : () } split /\n/, $run->{stdout};
my @order;
for my $name (@all) {
    my ($n) = $name =~ /TEST (\d+):/ or next;
    push @order, $n if !@order || $order[-1] != $n;
}
is_deeply(\@order, [1 .. 6], 'every block ran, in order') or show_run($run);

is_deeply([map { /(TEST \d+: .*)/ } @{ $run->{not_ok} }], [
    'TEST 2: wrong body - response_body - response is expected (repeated req 0, req 0)',
    'TEST 3: nginx does not start - nginx failed to start',
    'TEST 4: times out',
    'TEST 4: times out - status code ok',
    'TEST 5: cannot run: an undefined environment variable - test block aborted',
], 'the wrong blocks fail, and only they') or show_run($run);

is($run->{exit}, 5, 'the exit status counts the failures');
like($run->{stderr}, qr/unknown directive "no_such_directive"/,
     "nginx's error is in the diagnostics");
like($run->{stderr}, qr/no data from nginx for 0\.2 s/, 'timeout() sets the timeout');
like($run->{stderr}, qr/No environment TEST_NGINX_RUNNER_UNDEFINED defined/,
     'why a block could not run is in the diagnostics');
is(scalar(grep { /TEST 6: right again/ } @{ $run->{ok} }), 2,
   'the last block passes');

my $bail = run_fixture('bail-out.t');
isnt($bail->{exit}, 0, 'bail_out() fails the run');
like($bail->{stdout}, qr/^Bail out!\s+runner says stop$/m, 'bail_out() stops it');
is_deeply([map { /(TEST \d+)/ } @{ $bail->{ok} }, @{ $bail->{not_ok} }],
          ['TEST 1', 'TEST 1'], 'no block runs after it') or show_run($bail);
ok(!-e "$bail->{servroot}/logs/nginx.pid", 'and nginx is stopped');

done_testing();
