# The TEST_NGINX_* settings, the settings functions, and the nginx.conf and
# servroot they produce.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempdir);
use RunnerFixture;
use Test::More;

sub pid_of {
    my $servroot = shift;
    return slurp("$servroot/logs/nginx.pid") =~ /^(\d+)/ ? $1 : undef;
}

subtest 'the generated nginx.conf and servroot' => sub {
    my $run = run_fixture('simple.t');
    is($run->{exit}, 0, 'simple.t passes') or show_run($run);
    my $sr = $run->{servroot};
    my $conf = slurp("$sr/conf/nginx.conf");
    like($conf, qr/^daemon on;$/m, 'daemon on');
    like($conf, qr/^master_process off;$/m, 'master_process off');
    like($conf, qr/^worker_processes\s+1;$/m, 'one worker');
    like($conf, qr/^error_log \Q$sr\E\/logs\/error\.log debug;$/m,
         'error_log in servroot/logs, at debug level by default');
    like($conf, qr/^pid\s+\Q$sr\E\/logs\/nginx\.pid;$/m, 'pid file in servroot/logs');
    if ($> == 0) {
        like($conf, qr/^user root;$/m, 'user root, as root');
    } else {
        unlike($conf, qr/^user /m, 'no user directive when not root');
    }
    for my $kind (qw(client_body proxy fastcgi uwsgi scgi)) {
        like($conf, qr/^\s+${kind}_temp_path \Q$sr\E\/${kind}_temp;$/m,
             "${kind}_temp_path in servroot");
    }
    like($conf, qr/^http\ \{ .* ^\s+server\ \{\s+ listen\s+$run->{port};
                   \s+ server_name\s+'localhost';/msx,
         'an http { server { listen PORT; server_name localhost } }: all addresses');
    like($conf, qr/^\s+keepalive_timeout\s+68000ms;$/m, "the original's keepalive_timeout");
    like($conf, qr/^env $_;$/m, "env $_, as the original")
        for qw(LD_PRELOAD LD_LIBRARY_PATH ASAN_OPTIONS MOCKEAGAIN);
    like($conf, qr/^events \{/m, 'an events block');
    ok(-f "$sr/html/index.html", 'servroot/html/index.html');
    ok(-s "$sr/logs/error.log", 'servroot/logs/error.log');
};

subtest 'settings functions' => sub {
    my $run = run_fixture('settings.t');
    is($run->{exit}, 0, 'settings.t passes') or show_run($run);
    is(scalar @{ $run->{ok} }, 15, 'repeat_each(3): 3 x 5 checks');
    ok((grep { /"using the "epoll" event method" matches .* \(req 2\)$/ } @{ $run->{ok} }),
       'check_accum_error_log(): the last repetition sees the start-up lines');
    my $sr = $run->{servroot};
    my $conf = slurp("$sr/conf/nginx.conf");
    like($conf, qr/^error_log \S+ notice;$/m, 'log_level()');
    like($conf, qr/^env RUNNER_PASSED;$/m, 'env_to_nginx(NAME)');
    like($conf, qr/^env 'RUNNER_SET=a b';$/m, 'env_to_nginx(NAME=value with spaces)');
    like($conf, qr/^env RUNNER_PORT=$run->{port}:$run->{port};$/m,
         '$ServerPort (from Test::Nginx::Util) and server_port()');
    like($conf, qr/^env RUNNER_ROOT=\Q$sr:$sr\E;$/m,
         '$ServRoot (from Test::Nginx::Util) and server_root()');
    like($conf, qr/^env RUNNER_HTML=\Q$sr\E\/html;$/m, 'html_dir()');
    is(() = $conf =~ /location \//g, 1, 'no_root_location(): no location / of its own');
    like($conf, qr/^\s*worker_connections\s+333;$/m, 'worker_connections()');
};

subtest 'error_log checks see the lines of their own request' => sub {
    my $run = run_fixture('errlog-window.t');
    ok((grep { /matches a line in error\.log \(req 0\)$/ } @{ $run->{ok} }),
       'the first repetition sees the start-up lines');
    ok((grep { /should match a line in error\.log \(req 1\)$/ } @{ $run->{not_ok} }),
       'the second does not') or show_run($run);

    $run = run_fixture('errlog-window.t', env => { TEST_NGINX_CHECK_ACCUM_ERR_LOG => 1 });
    is($run->{exit}, 0, 'with TEST_NGINX_CHECK_ACCUM_ERR_LOG, both do') or show_run($run);
};

subtest 'TEST_NGINX_LOG_LEVEL' => sub {
    my $run = run_fixture('simple.t', env => { TEST_NGINX_LOG_LEVEL => 'warn' });
    is($run->{exit}, 0, 'simple.t passes') or show_run($run);
    like(slurp("$run->{servroot}/conf/nginx.conf"), qr/^error_log \S+ warn;$/m,
         'error_log at the given level');
};

subtest 'TEST_NGINX_LOAD_MODULES' => sub {
    my $so = '/nonexistent/ngx_runner_fake_module.so';
    my $run = run_fixture('simple.t',
                          env => { TEST_NGINX_LOAD_MODULES =>
                                       "$so /nonexistent/second.so" });
    like(slurp("$run->{servroot}/conf/nginx.conf"),
         qr/\Aload_module \Q$so\E;\nload_module \/nonexistent\/second\.so;\n/,
         'load_module lines at the top of nginx.conf');
    isnt($run->{exit}, 0, 'a module that cannot be loaded fails the run');
    ok((grep { / - nginx failed to start$/ } @{ $run->{not_ok} }),
       'reported as nginx failing to start');
    like($run->{stderr}, qr/\Q$so\E/, "with nginx's message in the diagnostics");
};

subtest 'TEST_NGINX_BINARY' => sub {
    my $run = run_fixture('simple.t', env => { TEST_NGINX_BINARY => '/nonexistent/nginx' });
    isnt($run->{exit}, 0, 'a missing binary fails the run');
    like($run->{stderr}, qr{cannot exec /nonexistent/nginx}, 'and says why');

    $run = run_fixture('simple.t', path => '/usr/bin:/bin');
    is($run->{exit}, 0, 'without it, nginx is found in /usr/sbin even off PATH')
        or show_run($run);
};

subtest 'TEST_NGINX_NO_CLEAN, and a left-over nginx is stopped' => sub {
    my $first = run_fixture('simple.t', env => { TEST_NGINX_NO_CLEAN => 1 },
                            keep_nginx => 1);
    is($first->{exit}, 0, 'the run passes') or show_run($first);
    my $pid = pid_of($first->{servroot});
    ok($pid && kill(0, $pid), 'nginx still runs after the run');

    my $second = run_fixture('simple.t', dir => $first->{dir}, port => $first->{port});
    is($second->{exit}, 0, 'a new run on the same servroot and port passes')
        or show_run($second);
    ok(!-e "/proc/$pid" || slurp("/proc/$pid/stat") =~ /^\d+ \(.*\) Z/s,
       'the left-over nginx was stopped');
    ok(!pid_of($second->{servroot}), 'and without NO_CLEAN, nginx is stopped at the end');
};

subtest 'TEST_NGINX_RANDOMIZE' => sub {
    my %env = (TEST_NGINX_RANDOMIZE => 1, TEST_NGINX_PORT => undef,
               TEST_NGINX_SERVROOT => undef);
    my $run = run_fixture('simple.t', env => { %env, TEST_NGINX_NO_CLEAN => 1 },
                          keep_nginx => 1);
    is($run->{exit}, 0, 'the run passes') or show_run($run);
    my @roots = glob("$run->{dir}/t/servroot_*");
    is(scalar @roots, 1, 'servroot is t/servroot_PORT');
    my ($port) = ($roots[0] // '') =~ /_(\d+)$/;
    ok($port && $port != 1984, "a random port ($port)");
    ok((grep { /response is expected \(port \Q$port\E\)/ } @{ $run->{ok} }),
       'nginx listened on it');
    ok(stop_nginx_of($roots[0]), 'with NO_CLEAN, nginx and servroot stay');

    $run = run_fixture('simple.t', env => \%env);
    is($run->{exit}, 0, 'without NO_CLEAN, the run passes') or show_run($run);
    is_deeply([glob("$run->{dir}/t/servroot_*")], [], 'and servroot is removed');
};

subtest 'TEST_NGINX_NO_SHUFFLE' => sub {
    my $run = run_fixture('perf.t', env => { TEST_NGINX_NO_SHUFFLE => 1 });
    is($run->{exit}, 0, 'perf.t passes') or show_run($run);
    my @order;
    for (@{ $run->{ok} }) {
        my ($n) = /TEST (\d+):/;
        push @order, $n if !@order || $order[-1] != $n;
    }
    is_deeply(\@order, [1 .. 10], 'blocks run in file order');
};

subtest 'unsupported settings are reported' => sub {
    my $run = run_fixture('simple.t', env => { TEST_NGINX_USE_HUP => 1 });
    is($run->{exit}, 0, 'simple.t passes') or show_run($run);
    like($run->{stderr}, qr/TEST_NGINX_USE_HUP is not supported/, 'with a warning');
};

subtest 'TEST_NGINX_USE_VALGRIND' => sub {
    plan skip_all => 'valgrind is not installed'
        unless grep { -x "$_/valgrind" } split /:/, $ENV{PATH};

    # Options of one's own: also report the memory nginx never frees.
    my $run = run_fixture('simple.t', env => {
        TEST_NGINX_USE_VALGRIND =>
            '--tool=memcheck --leak-check=full --show-leak-kinds=all',
    });
    isnt($run->{exit}, 0, 'valgrind errors fail the run');
    ok((grep { / - valgrind reported errors$/ } @{ $run->{not_ok} }),
       'as a failing check of the block') or show_run($run);
    like($run->{stderr}, qr/==\d+== .* still reachable/, "with valgrind's report");
    like(slurp("$run->{servroot}/conf/nginx.conf"), qr/^daemon off;$/m,
         'nginx runs in the foreground under valgrind');

    # The default options, and ./valgrind.suppress for the blocks nginx
    # leaks by design when it exits in single-process mode.
    my $dir = tempdir(CLEANUP => 1);
    open my $out, '>', "$dir/valgrind.suppress" or die $!;
    print $out <<'_EOS_';
{
   nginx-single-process-exit
   Memcheck:Leak
   match-leak-kinds: definite
   fun:malloc
   fun:ngx_alloc
   ...
   fun:ngx_single_process_cycle
}
_EOS_
    close $out;
    $run = run_fixture('simple.t', dir => $dir, env => { TEST_NGINX_USE_VALGRIND => 1 });
    is($run->{exit}, 0, 'with ./valgrind.suppress, the run passes') or show_run($run);
    is(scalar @{ $run->{ok} }, 3,
       'no extra check when valgrind is quiet (fixed plans stay right)');
};

done_testing();
