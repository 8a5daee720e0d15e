# What a block costs: fixtures/perf.t has ten blocks, each restarting nginx.
# The time is reported as a diagnostic only, not a pass/fail condition.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use RunnerFixture;
use Test::More;

my $run = run_fixture('perf.t');

is($run->{exit}, 0, 'perf.t passes') or show_run($run);
is(scalar @{ $run->{ok} }, 30, 'all 30 checks of its fixed plan ran');

diag(sprintf "perf.t: 10 blocks in %.2f s, %.0f ms per block"
             . " (perl start-up included)",
     $run->{elapsed}, $run->{elapsed} * 100);

done_testing();
