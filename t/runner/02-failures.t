# For each kind of check, a wrong block makes the run fail: a non-zero exit
# and a "not ok" for that very check, with diagnostics that show what was
# expected and what came. The right block after it still runs and passes.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use RunnerFixture;
use Test::More;

# fixture => [the failing check's name (after "TEST 1: <title> - "),
#             patterns the diagnostics must show]
my %cases = (
    'fail-error-code.t' => [
        qr/ - status code ok$/,
        [qr/got: '200'/, qr/expected: '404'/]],
    'fail-response-body.t' => [
        qr/ - response_body - response is expected \(repeated req 0, req 0\)$/,
        [qr/got: "hello/, qr/expected: "bye/]],
    'fail-response-body-diff.t' => [
        qr/ - response_body - response is expected \(repeated req 0, req 0\)$/,
        [qr/^# \@\@ -1,3 \+1,3 \@\@\n#  one\n# -2\n# \+two\n#  three$/m]],
    'fail-response-body-like.t' => [
        qr/ - response_body_like - response is expected \(hello\)$/,
        [qr/'hello/, qr/doesn't match '\(\?\^s:\^bye\)'/]],
    'fail-response-body-eval.t' => [
        qr/ - response_body - response is expected \(repeated req 0, req 1\)$/,
        [qr{got: "/p/two}, qr{expected: "/p/2}]],
    'fail-header-value.t' => [
        qr/ - header X-Foo ok$/,
        [qr/got: 'bar'/, qr/expected: 'baz'/]],
    'fail-header-present.t' => [
        qr/ - header X-Foo not present in the raw headers$/,
        [qr/X-Foo: bar/, qr/matches '\(\?\^m:\^\\s\*X\\-Foo\\s\*:\)'/]],
    'fail-header-missing.t' => [
        qr/ - header X-Missing ok$/,
        [qr/got: ''/, qr/expected: 'yes'/]],
    'fail-error-log.t' => [
        qr/ - pattern "this text is never logged" should match a line in error\.log/,
        [qr/the lines checked/, qr/\[debug\] .* http log handler/]],
    'fail-no-error-log.t' => [
        qr/ - pattern "\[error\]" should not match any line in error\.log but/,
        [qr/but matches line ".*\[error\].*open\(\).*missing\.txt.*" \(req 0\)'$/m]],
    'fail-no-wait.t' => [
        qr/ - pattern "upstream prematurely closed connection" should match a line/,
        []],
    'fail-timeout.t' => [
        qr/^ERROR: client socket timed out - .*TEST 1: /,
        [qr/no data from nginx for 0\.3 s/]],
    'fail-bad-config.t' => [
        qr/ - nginx failed to start$/,
        [qr/exited with status 1/, qr/invalid number of arguments in "return" directive/]],
    'fail-nginx-dies.t' => [
        qr/ - nginx died during the requests$/,
        [qr/nginx was killed by signal 9; the end of error\.log:/]],
    'fail-pipelined.t' => [
        qr/ - response_body - response is expected \(repeated req 0, req 1\)$/,
        [qr{got: "/p/two}, qr{expected: "/p/three}]],
);

for my $fixture (sort keys %cases) {
    my ($check, $diags) = @{ $cases{$fixture} };
    my $run = run_fixture($fixture);

    isnt($run->{exit}, 0, "$fixture: the run fails");
    ok((grep { /TEST 1: / && $_ =~ $check } @{ $run->{not_ok} }),
       "$fixture: the wrong check is reported \"not ok\"")
        or show_run($run);
    like($run->{stderr}, $_, "$fixture: the diagnostics show $_") for @$diags;

    my @right = grep { /TEST 2: / } @{ $run->{ok} };
    ok(@right >= 2 && !grep({ /TEST 2: / } @{ $run->{not_ok} }),
       "$fixture: the right block after it runs and passes")
        or show_run($run);
}

done_testing();
