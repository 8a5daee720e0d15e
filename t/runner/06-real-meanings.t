# Meanings of the CPAN Test::Nginx (openresty/test-nginx cf245a0, 0.33)
# that t/lib/Test/Nginx once made more lenient. Each case fails if the
# runner loses that meaning. The fixtures can also be run with the CPAN
# module by hand: RUNNER_FIXTURE_LIB=/path/to/test-nginx/lib prove ...
# (where it bails out -- a failed init -- or takes 100 s -- wait: 100ms --
# the cases say so).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp ();
use IO::Socket::INET ();
use POSIX ();
use RunnerFixture;
use Test::More;

sub names_like {
    my ($names, $re) = @_;
    return scalar grep { $_ =~ $re } @$names;
}

subtest '--- init: package Test::Nginx::Util, once per block, after the restart' => sub {
    my $run = run_fixture('init-package.t');
    is(names_like($run->{ok}, qr/TEST 1: .* - response_body - response is expected/), 2,
       '::helper() works, once for both repetitions, after servroot was made')
        or show_run($run);
    is(names_like($run->{not_ok}, qr/TEST 2: .* - init failed$/), 1,
       'helper() unqualified fails the block (the CPAN module bails out)')
        or show_run($run);
    like($run->{stderr}, qr/Undefined subroutine &Test::Nginx::Util::add_line/,
         'because it is looked up in Test::Nginx::Util');
    is(names_like([@{ $run->{ok} }, @{ $run->{not_ok} }], qr/TEST 2: .* - status code/), 0,
       'the failed block sends no request');
    is(names_like($run->{ok}, qr/TEST 3: .* - response_body - response is expected/), 2,
       "init sees \$ServerPort, \$HtmlDir and \$block, as in the CPAN module");
};

subtest "error.log: a block's first check reads it from its start" => sub {
    my $run = run_fixture('errlog-nocfg.t');
    is(names_like($run->{ok},
                  qr/TEST 2: .* - pattern "first-missing\.txt" matches a line in error\.log \(req 0\)$/),
       1, 'a block without config sees the lines of the block that started nginx')
        or show_run($run);
    is(names_like($run->{not_ok},
                  qr/TEST 2: .* - pattern "first-missing\.txt" should match a line in error\.log \(req 1\)$/),
       1, 'its next check goes on from where the first stopped');
    is(names_like($run->{ok},
                  qr/TEST 3: .* - pattern "first-missing\.txt" does not match a line in error\.log/),
       2, 'a restart starts a new error.log');
    is(scalar @{ $run->{not_ok} }, 1, 'nothing else fails');

    $run = run_fixture('errlog-nocfg.t', env => { TEST_NGINX_CHECK_ACCUM_ERR_LOG => 1 });
    is($run->{exit}, 0, 'with TEST_NGINX_CHECK_ACCUM_ERR_LOG, every check reads from the start')
        or show_run($run);
};

subtest 'restarts: every block with a config; TEST_NGINX_FORCE_RESTART_ON_TEST=0' => sub {
    my %pids;
    for my $force (1, 0) {
        my $run = run_fixture('restart.t',
                              env => { TEST_NGINX_FORCE_RESTART_ON_TEST => $force });
        is($run->{exit}, 0, "restart.t passes (FORCE_RESTART_ON_TEST=$force)")
            or show_run($run);
        $pids{$force} = { map { /^TEST (\d+) (\d+)$/ ? ($1 => $2) : () }
                          split /\n/, slurp("$run->{dir}/pids") };
        is(scalar keys %{ $pids{$force} }, 4, 'each block recorded a pid');
    }
    my ($f, $n) = @pids{1, 0};
    isnt($f->{2}, $f->{1}, 'by default, the same config again restarts nginx');
    is($f->{3}, $f->{2}, 'a block without config does not');
    isnt($f->{4}, $f->{3}, 'another config does');
    is($n->{2}, $n->{1}, 'with 0, the same config again does not');
    is($n->{3}, $n->{2}, 'nor a block without config');
    isnt($n->{4}, $n->{3}, 'another config does');
};

subtest 'a restart fails the block when servroot holds something else' => sub {
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    mkdir "$dir/servroot" or die $!;
    open my $out, '>', "$dir/servroot/stray.txt" or die $!;
    close $out;
    my $run = run_fixture('simple.t', dir => $dir);
    isnt($run->{exit}, 0, 'the run fails');
    is(names_like($run->{not_ok},
                  qr/TEST 1: .* - Can't remove \Q$dir\E\/servroot \(not empty\?\): /),
       1, 'with the reason as the failing check (the CPAN module bails out)')
        or show_run($run);
    ok(-e "$dir/servroot/stray.txt", 'and the file is left alone');
};

subtest '--- must_die: nginx -e error.log' => sub {
    my $run = run_fixture('must-die.t');
    is(names_like($run->{ok}, qr/TEST 1: .* - pattern "\(\?\^:\^.*emerg.* matches a line in error\.log/),
       1, "the start-up error is in error.log, in its format") or show_run($run);
    is(names_like($run->{ok}, qr/TEST 1: .* - pattern "nginx: \[emerg\]" does not match/), 1,
       "nginx's stderr is not added");
    my $last = run_fixture('must-die-log.t');
    is($last->{exit}, 0, 'must-die-log.t passes') or show_run($last);
    like(slurp("$last->{servroot}/logs/error.log"),
         qr/\[emerg\] .*invalid number of arguments in "return" directive/,
         'nginx wrote its start-up error to logs/error.log (nginx -e)');
    is(names_like($run->{ok}, qr/TEST 2: .* - die with the expected exit code$/), 1,
       'must_die: 1 checks the exit code');
    is_deeply([map { /(TEST \d+: .*)/ } @{ $run->{not_ok} }],
              ['TEST 3: nginx does not die - die as expected'],
              'an nginx that starts fails must_die, and only that');
    like($run->{stderr}, qr/TEST 3: .* nginx must die but it does not; killing it/,
         'with a warning');
    like($run->{stderr}, qr/^WARNING: \S+ TEST 2: .* - \S+ \S+ \[emerg\] /m,
         'an [emerg] line is shown as a warning');
    unlike($run->{stderr}, qr/^WARNING: \S+ TEST 1: .*\[emerg\]/m,
           "unless the block's patterns name [emerg]");
};

subtest 'no_error_log fails once per matching line; Assertion lines fail' => sub {
    my $run = run_fixture('no-error-log-lines.t');
    is(names_like($run->{not_ok},
                  qr/TEST 1: .* - pattern "\[error\]" should not match any line in error\.log but matches line ".*missing-[ab]\.txt/),
       2, 'two [error] lines, two failures') or show_run($run);
    is(names_like($run->{ok}, qr/TEST 1: .* - pattern "never logged" does not match a line/), 1,
       'one pass for the pattern that matches nothing');
    is(names_like($run->{not_ok}, qr/TEST 2: .* - \S+ \S+ \[error\] .*Assertion it failed/), 1,
       'a line with "Assertion ... failed" fails the block');
    is(scalar @{ $run->{not_ok} }, 3, 'nothing else fails');
};

subtest 'section meanings' => sub {
    my $run = run_fixture('strict-sections.t');
    my @not_ok = map { /(TEST \d+: .*)/ } @{ $run->{not_ok} };
    is(scalar(grep { /^TEST 1: .* - status code ok$/ } @not_ok), 2,
       'an error_code array shorter than the requests fails the extra response'
       . ' (no default 200)') or show_run($run);
    is(scalar(grep { /^TEST 2:/ } @not_ok), 0,
       '$TEST_NGINX_* is expanded in response_body and pipelined_requests');
    is(scalar(grep { /^TEST 3: .* - test block aborted$/ } @not_ok), 1,
       '--- wait: 100ms is refused (the CPAN module would sleep 100 s)');
    like($run->{stderr}, qr/--- wait: a number of seconds is expected, not "100ms"/, 'saying why');
    is(scalar(grep { /^TEST 4: .* \(repeated req [01], req 0\)$/ } @not_ok), 2,
       'a comment before a request in a request eval array is not skipped');
    is(scalar(grep { /^TEST 6: .* \(repeated req 0, req 0\)$/ } @not_ok), 1,
       "a block that does not restart nginx gets its user_files from the second"
       . " repetition on");
    is(scalar(grep { /^TEST 6: .* \(repeated req 1, req 0\)$/ } @not_ok), 0, '(the second passes)');
    is(scalar(grep { /^TEST 5:/ } @not_ok), 0, 'the right block passes');
    is(scalar(grep { /^TEST 7:/ } @not_ok), 0, '">>> " inside a line of user_files starts a file');
    is(names_like($run->{ok}, qr/TEST 7: .* - response_body - response is expected/), 4,
       '(both files are there, empty)');
};

# A socket of this process, listening on ADDR:PORT.
sub listener {
    my ($addr, $port, %opt) = @_;
    my $sock = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port,
                                     Proto => 'tcp', Listen => 5, ReuseAddr => 1,
                                     %opt)
        or die "cannot listen on $addr:$port: $!\n";
    return $sock;
}

subtest 'a port taken by another process fails the block' => sub {
    for my $case (['0.0.0.0'], ['127.0.0.1', ReusePort => 1], ['127.0.0.2']) {
        my ($addr, %opt) = @$case;
        my $port = free_port();
        my $sock = listener($addr, $port, %opt);
        my $run = run_fixture('simple.t', port => $port);
        close $sock;
        isnt($run->{exit}, 0, "a listener on $addr:$port fails the run");
        is(names_like($run->{not_ok},
                      qr/TEST 1: .* - port $port is already in use by another process$/),
           1, 'as a failing check naming the port') or show_run($run);
        like($run->{stderr}, qr/set TEST_NGINX_PORT to a free port/, 'saying what to do');
        is(names_like($run->{ok}, qr/response is expected/), 0, 'and no request is made');
    }
};

subtest 'raw_response_headers_like: a response cut short has no raw headers' => sub {
    my $port = free_port();
    my $srv = listener('127.0.0.1', $port);
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        my $c = $srv->accept or POSIX::_exit(1);
        sysread $c, my $buf, 4096;
        syswrite $c, "HTTP/1.1 200 OK\r\nX-Partial: 1\r\n";
        sleep 60;   # killed once the run is over
        POSIX::_exit(0);
    }
    close $srv;
    my $run = run_fixture('partial-headers.t', env => { TEST_NGINX_CLIENT_PORT => $port });
    kill 'KILL', $pid;
    waitpid $pid, 0;
    is(names_like($run->{ok}, qr/TEST 1: .* - status code ok$/), 1,
       'the status line came') or show_run($run);
    is(names_like($run->{not_ok}, qr/TEST 1: .* - raw resp headers like$/), 1,
       'but without the empty line that ends the headers, there are none');
};

subtest 'TEST_NGINX_PORT, TEST_NGINX_SERVER_PORT, TEST_NGINX_CLIENT_PORT' => sub {
    my ($p1, $p2, $p3) = (free_port(), free_port(), free_port());
    my $first = run_fixture('simple.t', port => $p1,
                            env => { TEST_NGINX_NO_CLEAN => 1 }, keep_nginx => 1);
    is($first->{exit}, 0, "a run on TEST_NGINX_PORT=$p1 passes") or show_run($first);
    like(slurp("$first->{servroot}/conf/nginx.conf"), qr/^\s+listen\s+$p1;$/m,
         'nginx listens on it');
    is(names_like($first->{ok}, qr/response is expected \(port $p1\)$/), 1,
       'and the client talks to it');

    my $second = run_fixture('simple.t', port => $p2);
    is($second->{exit}, 0, "a second run on $p2 passes while the first one's nginx runs")
        or show_run($second);
    ok(stop_nginx_of($first->{servroot}), "(the first one's nginx was still up)");

    my $run = run_fixture('simple.t', port => $p1, env => { TEST_NGINX_SERVER_PORT => $p2 });
    is($run->{exit}, 0, 'TEST_NGINX_SERVER_PORT wins over TEST_NGINX_PORT') or show_run($run);
    is(names_like($run->{ok}, qr/response is expected \(port $p2\)$/), 1, "(port $p2)");

    $run = run_fixture('simple.t', port => $p1, env => { TEST_NGINX_CLIENT_PORT => $p3 });
    isnt($run->{exit}, 0, 'TEST_NGINX_CLIENT_PORT is where the client connects');
    like($run->{stdout}, qr/Can't connect to 127\.0\.0\.1:$p3/, "(nothing listens on $p3)")
        or show_run($run);
};

done_testing();
