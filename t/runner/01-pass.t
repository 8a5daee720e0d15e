# A suite whose checks are all right passes, and each section and setting
# in it did what it should (fixtures/pass.t); --- ONLY, --- SKIP and
# --- LAST select blocks as Test::Base defines them.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use RunnerFixture;
use Test::More;

my $run = run_fixture('pass.t',
                      env => { TEST_NGINX_RUNNER_GREETING => 'hello-from-env' });

is($run->{exit}, 0, 'pass.t exits 0') or show_run($run);
is_deeply($run->{not_ok}, [], 'pass.t has no failing check');
unlike($run->{stderr}, qr/ at \S+ line \d+\.?$/m, 'pass.t runs without Perl warnings');

my @ok = @{ $run->{ok} };

sub count_ok {
    my $re = shift;
    return scalar grep { $_ =~ $re } @ok;
}

# [pattern of a passing check, how many (repeat_each(2) doubles each), what it shows]
my @expected = (
    [qr/TEST 1: .* - status code ok$/, 2, 'repeat_each(2): the block runs twice'],
    [qr/TEST 1: .* - header X-Greeting ok$/, 2,
     'more_headers reach nginx; http_config from add_block_preprocessor'],
    [qr/TEST 1: .* - header Content-Type ok$/, 2, 'response_headers: a value'],
    [qr/TEST 1: .* - header X-Powered-By not present in the raw headers$/, 2,
     'response_headers: !Name (absent)'],
    [qr/TEST 1: .* - header X-Absent ok$/, 2, 'response_headers: "Name:" (empty)'],
    [qr/TEST 1: .* - pattern "\[error\]" does not match a line in error\.log/, 2,
     'no_error_log from add_block_preprocessor'],
    [qr/TEST 2: .* - response_body - response is expected \(repeated req [01], req 0\)$/, 2,
     '$TEST_NGINX_* in config, $ServerPort in response_body'],
    [qr/TEST 2: .* - response_body - like \(repeated req [01], req 1\)$/, 2,
     'request eval + response_body eval with a qr// element; $TEST_NGINX_RAND_PORT_1'],
    [qr/TEST 2: .* - response_body - response is expected \(repeated req [01], req 2\)$/, 2,
     '$TEST_NGINX_* in user_files; main_config (thread_pool) at the top level'],
    [qr/TEST 2: .* - status code ok$/, 6, 'three requests per repetition'],
    [qr/TEST 3: .* - header Last-Modified ok$/, 2, 'user_files: ">>> dir/file date"'],
    [qr/TEST 3: .* - response_body - response is expected \(repeated req [01], req 1\)$/, 2,
     'HEAD: no body'],
    [qr/TEST 4: .* - response_body - response is expected/, 2,
     'request body with a computed Content-Length; a comment before the request'],
    [qr/TEST 5: .* - response_body - response is expected/, 2, 'raw_request'],
    [qr/TEST 6: .* - response_body - response is expected/, 2,
     'raw_request eval packets with raw_request_middle_delay'],
    [qr/TEST 7: .* - status code ok$/, 6, 'pipelined_requests: three responses'],
    [qr/TEST 7: .* - header Transfer-Encoding ok$/, 4, 'chunked responses'],
    [qr/TEST 7: .* - response_body_like - response is expected \(\[two\]\)$/, 2,
     'response_body_like eval'],
    [qr/TEST 8: .* - pattern "\(\?\^:open.*" matches a line in error\.log/, 2,
     'error_log eval with a qr//'],
    [qr/TEST 8: .* - pattern "No such file or directory" matches a line in error\.log/, 2,
     'error_log eval with a string'],
    [qr/TEST 8: .* - pattern "http request line" does not match a line in error\.log/, 2,
     '--- log_level: info hides debug lines'],
    [qr/TEST 9: .* - response_body - response is expected/, 2,
     "a block without config reuses the previous block's nginx"],
    [qr/TEST 9: .* - pattern "\[emerg\]" does not match a line in error\.log/, 2,
     "and checks its error log"],
    [qr/TEST 10: .* - header Location ok$/, 2, '$ServerPort in response_headers'],
    [qr/TEST 10: .* - raw resp headers like$/, 2, 'raw_response_headers_like'],
    [qr/TEST 10: .* - status code ok$/, 2, 'error_code_like'],
    [qr/TEST 11: .* - pattern "upstream prematurely closed connection" matches a line/, 2,
     'wait: a line logged 200ms after the client gave up (timeout + abort)'],
    [qr/TEST 11: .* - status code ok$/, 0, 'ignore_response: no response checks'],
    [qr/TEST 12: .* - die as expected$/, 2, 'must_die'],
    [qr/TEST 12: .* - pattern "invalid number of arguments in .* matches/, 2,
     'must_die: error_log sees the start-up error'],
    [qr/TEST 13: .* - response_body - response is expected/, 2, 'init'],
    [qr/TEST 14: .* - header X-Foo like ok$/, 2, 'response_headers_like'],
    [qr/TEST 14: .* - raw resp headers unlike$/, 2, 'raw_response_headers_unlike'],
    [qr/TEST 14: .* - response_body_unlike - response is expected \(server runner\.example\)$/,
     2, 'response_body_unlike; server_name; post_main_config; shutdown'],
    [qr/TEST 15: .* - response_body - response is expected/, 2, 'http09'],
);

for my $e (@expected) {
    my ($re, $n, $what) = @$e;
    is(count_ok($re), $n, $what);
}

like($run->{stderr},
     qr/^WARNING: \S+ TEST 16: .* - .*\[warn\] .*duplicate extension "txt"/m,
     "nginx's start-up warnings are shown");

is(count_ok(qr/\QTEST 1: status, body, more_headers, http_config, headers present\E/),
   16, 'test names carry the block name');
like($ok[0], qr{^\S+/fixtures/pass\.t TEST 1: }, 'test names start with the script name');

my @blocks = map { /TEST (\d+):/ ? $1 : () } @ok;
my @order;
for my $b (@blocks) {
    push @order, $b if !@order || $order[-1] != $b;
}
is_deeply(\@order, [1 .. 16], 'no_shuffle(): the blocks run in file order');

my $only = run_fixture('only.t');
is($only->{exit}, 0, 'only.t exits 0') or show_run($only);
is_deeply([sort map { /(TEST \d+)/ } @{ $only->{ok} }], ['TEST 2', 'TEST 2'],
          '--- ONLY: only that block runs');
like($only->{stderr}, qr/I found ONLY/, '--- ONLY is reported');

my $skip = run_fixture('skip-last.t');
is($skip->{exit}, 0, 'skip-last.t exits 0') or show_run($skip);
is_deeply([map { /(TEST \d+)/ } @{ $skip->{ok} }],
          ['TEST 2', 'TEST 2', 'TEST 3', 'TEST 3'],
          '--- SKIP skips its block, --- LAST ends the run after its block');

done_testing();
