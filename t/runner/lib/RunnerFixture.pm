package RunnerFixture;

# Helpers for t/runner/*.t: run one fixture suite of t/runner/fixtures/ the
# way prove would (perl -I t/lib FIXTURE), in a child process with a private
# working directory, servroot and port, and parse the TAP it prints.

use strict;
use warnings;

use Cwd qw(abs_path);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::INET ();
use POSIX qw(WNOHANG);
use Test::More ();
use Time::HiRes qw(sleep time);

our @EXPORT = qw(run_fixture stop_nginx_of show_run free_port slurp $Root);

our $Root = abs_path(dirname(__FILE__) . '/../../..');

# A port that is free now (the kernel's choice).
sub free_port {
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Proto => 'tcp', Listen => 1)
        or die "cannot get a free port: $!\n";
    my $port = $sock->sockport;
    close $sock;
    return $port;
}

# run_fixture(NAME, OPTIONS) runs t/runner/fixtures/NAME. The child gets
# no TEST_NGINX_* variable from this process; it gets TEST_NGINX_PORT
# (OPTIONS{port} or a free port), TEST_NGINX_SERVROOT (DIR/servroot) and
# TEST_NGINX_RUNNER_FIXTURE, then OPTIONS{env} (a value of undef removes
# the variable). Its working directory is DIR, a fresh temporary directory
# unless OPTIONS{dir} names one; OPTIONS{path} replaces PATH. Unless
# OPTIONS{keep_nginx}, an nginx the run left behind is stopped.
#
# Returns { exit, stdout, stderr, elapsed, ok => [names], not_ok => [names],
# dir, servroot, port }.
sub run_fixture {
    my ($name, %opt) = @_;

    my $dir = $opt{dir} // tempdir(CLEANUP => 1);
    my $port = $opt{port} // free_port();
    my %env = map { $_ => $ENV{$_} } grep { !/^TEST_NGINX_/ } keys %ENV;
    %env = (%env,
            TEST_NGINX_RUNNER_FIXTURE => 1,
            TEST_NGINX_PORT           => $port,
            TEST_NGINX_SERVROOT       => "$dir/servroot",
            %{ $opt{env} || {} });
    $env{PATH} = $opt{path} if defined $opt{path};
    delete $env{$_} for grep { !defined $env{$_} } keys %env;

    my $start = time;
    my $pid = fork // die "fork() failed: $!\n";
    if ($pid == 0) {
        chdir $dir or POSIX::_exit(126);
        %ENV = %env;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/stdout";
        open STDERR, '>', "$dir/stderr";
        # RUNNER_FIXTURE_LIB: run the fixtures with another implementation
        # first in @INC, e.g. the CPAN Test::Nginx's lib/, to compare
        my @cmd = ($^X, (map { "-I$_" } grep { defined }
                         $ENV{RUNNER_FIXTURE_LIB}, "$Root/t/lib"),
                   "$Root/t/runner/fixtures/$name");
        { no warnings 'exec'; exec @cmd; }
        POSIX::_exit(127);
    }

    my $deadline = time + 120;
    while (waitpid($pid, WNOHANG) == 0) {
        if (time > $deadline) {
            kill 'KILL', $pid;
            waitpid $pid, 0;
            last;
        }
        sleep 0.01;
    }
    my %run = (exit => $? >> 8, elapsed => time - $start, dir => $dir,
               servroot => $env{TEST_NGINX_SERVROOT}, port => $port,
               ok => [], not_ok => []);

    for my $stream (qw(stdout stderr)) {
        open my $in, '<', "$dir/$stream" or die "$dir/$stream: $!\n";
        local $/;
        $run{$stream} = <$in>;
    }
    for my $line (split /\n/, $run{stdout}) {
        push @{ $run{$1 ? 'not_ok' : 'ok'} }, $2 if $line =~ /^(not )?ok \d+ - (.*)$/;
    }

    stop_nginx_of($run{servroot}) if defined $run{servroot} && !$opt{keep_nginx};
    return \%run;
}

# Stops the nginx whose pid file is in SERVROOT/logs, if it still runs.
# Returns whether one was running.
sub stop_nginx_of {
    my $servroot = shift;
    open my $in, '<', "$servroot/logs/nginx.pid" or return 0;
    my ($pid) = (<$in> // '') =~ /^(\d+)/ or return 0;
    return 0 unless process_alive($pid);
    open my $cmd, '<', "/proc/$pid/cmdline" or return 0;
    return 0 unless (<$cmd> // '') =~ /nginx|valgrind/;   # not a reused pid
    kill 'QUIT', $pid;
    my $deadline = time + 5;
    sleep 0.01 while process_alive($pid) && time < $deadline;
    return 1;
}

# kill 0 also succeeds on a zombie, which is not ours to reap
sub process_alive {
    my $pid = shift;
    return 0 unless kill 0, $pid;
    open my $in, '<', "/proc/$pid/stat" or return 0;
    return (<$in> // '') !~ /^\d+ \(.*\) Z/s;
}

sub slurp {
    my $path = shift;
    open my $in, '<', $path or return '';
    local $/;
    return scalar <$in>;
}

# Shows a run's output, for when a check on it fails.
sub show_run {
    my $run = shift;
    Test::More::diag("exit $run->{exit}\n--- stdout\n$run->{stdout}"
                     . "--- stderr\n$run->{stderr}");
}

1;
