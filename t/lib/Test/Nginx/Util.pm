package Test::Nginx::Util;

# Server side of the project's Test::Nginx::Socket: global settings, the
# servroot layout, nginx.conf generation and the nginx process life cycle.
# Semantics follow openresty's Test::Nginx (CPAN); see t/lib/README.md for
# the differences.

use strict;
use warnings;

use base 'Exporter';

use Config ();
use File::Path qw(make_path remove_tree);
use File::Spec ();
use IO::Socket::INET ();
use POSIX qw(WNOHANG SIGQUIT SIGKILL);
use Test::More ();
use Time::HiRes qw(sleep time);
use Time::Local ();

# As in the original, the variables are exported by this module only, not
# by Test::Nginx::Socket: a suite takes them with
# "use Test::Nginx::Util qw($ServerPort $ServRoot)".
our @EXPORT = qw(
    repeat_each no_shuffle no_long_string no_root_location log_level timeout
    env_to_nginx add_block_preprocessor check_accum_error_log bail_out
    server_root html_dir server_port worker_connections master_on workers
    $ServerAddr $ServerName $ServerPort $ServerPortForClient $ServRoot
    $ConfFile $PidFile
);

# for Test::Nginx::Socket
our @EXPORT_OK = qw(
    parse_time expand_env_in_text setup_server_root write_user_files
    write_config_file start_nginx stop_nginx nginx_running read_file_or_empty
    error_log_data reset_error_log_window run_init check_port_free
);

our $RepeatEach       = 1;
our $NoShuffle        = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoLongString     = 0;
our $NoRootLocation   = 0;
our $WorkerConnections = 64;
our $MasterProcessEnabled = 'off';
our $Workers          = 1;
our $CheckAccumErrLog = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG} || 0;
our $LogLevel         = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $Timeout          = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $TestNginxSleep   = $ENV{TEST_NGINX_SLEEP} || 0.015;
# As in the original: every block with a --- config restarts nginx; with 0,
# only a block whose config differs from the last one started.
our $ForceRestartOnTest = $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} // 1;
our $PrevConfig;
our $UseValgrind      = $ENV{TEST_NGINX_USE_VALGRIND};
our $LoadModules      = $ENV{TEST_NGINX_LOAD_MODULES};
our $NoClean          = $ENV{TEST_NGINX_NO_CLEAN};
our $Randomize        = $ENV{TEST_NGINX_RANDOMIZE};
our @EnvToNginx;
our @BlockPreprocessors;

for my $var (qw(TEST_NGINX_USE_HUP TEST_NGINX_USE_HTTP2 TEST_NGINX_USE_HTTP3
                TEST_NGINX_USE_STAP TEST_NGINX_CHECK_LEAK TEST_NGINX_BENCHMARK
                TEST_NGINX_NO_NGINX_MANAGER))
{
    warn "WARNING: $var is not supported by t/lib/Test/Nginx and is ignored\n"
        if $ENV{$var};
}

our $ServerAddr = '127.0.0.1';
our $ServerName = 'localhost';
our $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;

if ($Randomize) {
    $ServerPort = gen_rand_port({})
        or die "Cannot find a free port for TEST_NGINX_RANDOMIZE\n";
}

our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;

our $ServRoot = File::Spec->rel2abs($Randomize ? "t/servroot_$ServerPort"
                                    : $ENV{TEST_NGINX_SERVROOT} || 't/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir      = "$ServRoot/logs";
our $HtmlDir     = "$ServRoot/html";
our $ConfDir     = "$ServRoot/conf";
our $CacheDir    = "$ServRoot/cache";
our $ConfFile    = "$ConfDir/nginx.conf";
our $PidFile     = "$LogDir/nginx.pid";
our $ErrLogFile  = "$LogDir/error.log";
our $AccLogFile  = "$LogDir/access.log";
our $StartupLog  = "$LogDir/nginx.stderr";   # nginx's own stdout/stderr
our $ValgrindLog = "$LogDir/valgrind.log";

our $NginxBinary = find_nginx($ENV{TEST_NGINX_BINARY} || 'nginx');

# the nginx we started, and how it ended if it did on its own
our $NginxPid;
our $NginxExit;

# how far the error_log/no_error_log checks have read error.log
our $ErrLogPos = 0;

my $MainPid = $$;   # the END block must not run in forked children

# A daemonized nginx is the child of the short-lived launcher process; when
# the launcher exits, the kernel re-parents nginx to the nearest "child
# subreaper" ancestor, or to PID 1. This process declares itself a
# subreaper (prctl(PR_SET_CHILD_SUBREAPER = 36, 1)), so that it can reap
# nginx with waitpid() as soon as it exits, rather than wait for PID 1 to
# (up to ~2 s per block on some hosts), and learn how it exited (a crash
# shows as a signal). Elsewhere process_exit() falls back to kill 0 and
# /proc, without the exit status.
my %PrctlSyscall = (x86_64 => 157, aarch64 => 167);
if ($^O eq 'linux' && $Config::Config{archname} =~ /^(\w+)-linux/
    && $PrctlSyscall{$1})
{
    syscall($PrctlSyscall{$1}, 36, 1);
}

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub worker_connections (@) {
    $WorkerConnections = shift if @_;
    return $WorkerConnections;
}

# as the original: a master process and N workers (the defaults: none, 1)
sub master_on ()             { $MasterProcessEnabled = 'on' }
sub workers (@)              { $Workers = shift }

sub no_shuffle ()            { $NoShuffle = 1 }
sub no_long_string ()        { $NoLongString = 1 }
sub no_root_location ()      { $NoRootLocation = 1 }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub server_root ()           { $ServRoot }
sub html_dir ()              { $HtmlDir }

sub log_level (@) {
    $LogLevel = shift if @_;
    return $LogLevel;
}

sub timeout (@) {
    $Timeout = shift if @_;
    return $Timeout;
}

sub server_port (@) {
    $ServerPort = $ServerPortForClient = shift if @_;
    return $ServerPort;
}

sub add_block_preprocessor (&) {
    # like the original: the most recently added preprocessor runs first
    unshift @BlockPreprocessors, shift;
}

sub env_to_nginx (@) {
    die "env_to_nginx: no arguments specified\n" unless @_;
    for my $v (@_) {
        die "env_to_nginx: bad argument value: $v\n"
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

sub bail_out (@) {
    stop_nginx();
    Test::More::BAIL_OUT(join '', @_);
}

sub find_nginx {
    my $name = shift;
    return $name if $name =~ m{/};
    for my $dir (split(/:/, $ENV{PATH} // ''), '/usr/sbin', '/usr/local/sbin') {
        return "$dir/$name" if $dir ne '' && -f "$dir/$name" && -x _;
    }
    return $name;   # let exec() report the failure
}

# A random port that is free now. The range stays below Linux's default
# ephemeral range so that outgoing connections do not grab it.
sub gen_rand_port {
    my $used = shift;
    for (1 .. 1000) {
        my $port = 1985 + int rand(32768 - 1985);
        next if $used->{$port} || $port == ($ServerPort // 0);
        my $sock = IO::Socket::INET->new(LocalAddr => $ServerAddr,
                                         LocalPort => $port, Proto => 'tcp')
            or next;
        close $sock;
        return $port;
    }
    return undef;
}

# "--- timeout: 50ms" / "1.5s" / "2"  ->  seconds
sub parse_time {
    my $t = shift;
    return undef unless defined $t;
    return $1 / 1000 if $t =~ /^\s*([\d.]+)\s*ms\s*$/;
    return $1 if $t =~ /^\s*([\d.]+)\s*s?\s*$/;
    die "bad time value: \"$t\"\n";
}

# $TEST_NGINX_FOO -> $ENV{TEST_NGINX_FOO}; $TEST_NGINX_RAND_PORT_N -> a free
# port, the same one for every use of that name within a block.
sub expand_env_in_text {
    my ($text, $rand_ports) = @_;
    return undef unless defined $text;
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            if (!defined $rand_ports->{$var}) {
                my %used = map { $_ => 1 } values %$rand_ports;
                $rand_ports->{$var} = gen_rand_port(\%used)
                    // die "Cannot find a free port for \$$var\n";
            }
            $rand_ports->{$var};
        } else {
            $ENV{$var} // die "No environment $var defined.\n";
        }
    }ge;
    return $text;
}

# As in the original: remove what this module creates (so that a mis-set
# TEST_NGINX_SERVROOT cannot wipe anything else), then servroot itself,
# which must now be empty; anything else a suite left in it is an error
# (the original bails out). Returns an error text, or nothing.
sub setup_server_root {
    if (-d $ServRoot) {
        remove_tree($ConfDir, glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"),
                    $CacheDir, $HtmlDir, $LogDir);
        rmdir $ServRoot or return "Can't remove $ServRoot (not empty?): $!";
    }
    make_path($ServRoot, $ConfDir, $HtmlDir, $LogDir);
    write_file("$HtmlDir/index.html", '<html><head><title>It works!</title>'
               . '</head><body>It works!</body></html>');
    return;
}

sub write_file {
    my ($path, $data) = @_;
    open my $out, '>', $path or die "Cannot open $path for writing: $!\n";
    binmode $out;
    print $out $data;
    close $out or die "Cannot write $path: $!\n";
}

# "--- user_files": ">>> path [CCYYMMDDhhmm.ss]" headers, each followed by
# the file body; or an eval'ed [[path, body, date], ...]. Relative paths
# are under html/.
sub write_user_files {
    my ($block, $rand_ports) = @_;
    my $files = $block->user_files;
    return unless defined $files;

    if (!ref $files) {
        my $list = [];
        for my $line (split /^/, $files) {
            # as the original, ">>> " anywhere in a line starts a file
            if ($line =~ />>> (\S+)(?:[ \t]+(.+?))?\s*$/) {
                push @$list, [$1, '', $2];
            } elsif (@$list) {
                $list->[-1][1] .= $line;
            }
        }
        $files = $list;
    } elsif (ref $files ne 'ARRAY') {
        die "--- user_files: only a string or an ARRAY is accepted\n";
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        make_path($1) if $path =~ m{^(.*)/} && !-d $1;
        write_file($path, expand_env_in_text($body // '', $rand_ports));
        if ($date) {
            $date =~ /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d\d))?$/
                or die "--- user_files: bad date \"$date\" for $fname\n";
            my $t = Time::Local::timegm($6 // 0, $5, $4, $3, $2 - 1, $1);
            utime $t, $t, $path or die "Cannot set the mtime of $path: $!\n";
        }
    }
}

sub write_config_file {
    my ($block, $config, $rand_ports) = @_;

    my ($main_config, $post_main_config, $http_config) =
        map { expand_env_in_text(scalar $block->$_, $rand_ports) // '' }
            qw(main_config post_main_config http_config);
    my $server_name = $block->server_name // $ServerName;
    my $daemon = $UseValgrind ? 'off' : 'on';

    my $conf = '';
    $conf .= "load_module $_;\n" for split ' ', $LoadModules // '';
    # the original's env lines: these variables reach nginx (which clears
    # its environment of all but the listed ones)
    $conf .= <<_EOC_;
worker_processes  $Workers;
daemon $daemon;
master_process $MasterProcessEnabled;
error_log $ErrLogFile $LogLevel;
pid       $PidFile;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
env DYLD_INSERT_LIBRARIES;
env DYLD_FORCE_FLAT_NAMESPACE;
env ASAN_OPTIONS;
env MOCKNOEAGAIN_VERBOSE;
env MOCKNOEAGAIN;
_EOC_
    $conf .= "user root;\n" if $> == 0;   # as the original does when root
    $conf .= "env " . ($_ =~ /\s/ ? "'$_'" : $_) . ";\n" for @EnvToNginx;

    # As the original: the temp paths are inside servroot; only
    # proxy_temp_path and client_body_temp_path give way to http_config's
    # (a fastcgi/uwsgi/scgi_temp_path there is a duplicate: nginx refuses
    # it, there as here), and a module left out of nginx has none.
    my $temp_paths = '';
    my $nginx_v = nginx_V();
    for my $kind (qw(client_body proxy fastcgi uwsgi scgi)) {
        next if $kind =~ /^(?:client_body|proxy)$/
                && $http_config =~ /\b${kind}_temp_path\b/;
        next if $nginx_v =~ /--without-http_${kind}_module/;
        $temp_paths .= "    ${kind}_temp_path $ServRoot/${kind}_temp;\n";
    }

    my $root_location = $NoRootLocation ? '' : <<_EOC_;
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    # "listen PORT": all addresses, as the original. It matters: a port
    # taken on any address makes nginx fail, and a suite's own server
    # listening on 127.0.0.1:PORT would take the requests from this one.
    $conf .= <<_EOC_;

$main_config

http {
    access_log $AccLogFile;
    default_type text/plain;
    keepalive_timeout  68000ms;
$temp_paths
$http_config

    server {
        listen          $ServerPort;
        server_name     '$server_name';

        client_max_body_size 30M;

        # Begin test case config...
$config
        # End test case config.

$root_location    }
}

$post_main_config

events {
    accept_mutex off;
    worker_connections  $WorkerConnections;
}
_EOC_

    write_file($ConfFile, $conf);
}

my $NginxV;
sub nginx_V {
    $NginxV //= `"$NginxBinary" -V 2>&1` // '';
    return $NginxV;
}

sub read_pid_file {
    open my $in, '<', $PidFile or return undef;
    my $pid = <$in> // '';
    return $pid =~ /^(\d+)\s*$/ ? $1 : undef;
}

sub read_file_or_empty {
    my $path = shift;
    open my $in, '<', $path or return '';
    local $/;
    return scalar(<$in>) // '';
}

# undef while $pid runs; once it has exited, how (known for our children
# only). A zombie that is not ours to reap counts as exited: it no longer
# holds the port, the pid file or any log file.
sub process_exit {
    my $pid = shift;
    if (waitpid($pid, WNOHANG) == $pid) {
        return "exited with status " . ($? >> 8) unless $? & 127;
        return "was killed by signal " . ($? & 127)
            . ($? & 128 ? ' (core dumped)' : '');
    }
    return 'exited' unless kill 0, $pid;
    open my $in, '<', "/proc/$pid/stat" or return undef;
    return (<$in> // '') =~ /^\d+ \(.*\) Z/s ? 'exited' : undef;
}

sub wait_gone {
    my ($pid, $secs) = @_;
    my $deadline = time + $secs;
    until (defined process_exit($pid)) {
        return 0 if time > $deadline;
        sleep 0.005;
    }
    return 1;
}

# Starts nginx on the current nginx.conf. Returns nothing once nginx has
# written its pid file (it is listening by then), else (error text, exit
# code or undef, whether it dumped core).
sub start_nginx {
    # -e: as the original, nginx's own start-up and configuration errors go
    # to error.log (must_die blocks check them there); its stderr is kept
    # in logs/nginx.stderr for the diagnostics and the warnings shown.
    my @cmd = ($NginxBinary, '-e', $ErrLogFile, '-p', "$ServRoot/",
               '-c', $ConfFile);
    unshift @cmd, valgrind_command() if $UseValgrind;

    my $pid = fork // die "fork() failed: $!\n";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $StartupLog;
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec'; exec @cmd; }
        print STDERR "cannot exec @cmd: $!\n";
        POSIX::_exit(127);   # no END blocks (Test::Builder's) in this child
    }

    # Without valgrind, $pid is the launcher that forks the daemon and exits;
    # with valgrind (daemon off), $pid is nginx itself.
    my $deadline = time + ($UseValgrind ? 120 : 10);
    my $launcher_done = $UseValgrind;
    while (1) {
        if (waitpid($pid, WNOHANG) == $pid) {
            my $status = $?;
            if ($status != 0 || $UseValgrind) {
                return (startup_error("\"@cmd\" exited with status "
                                      . ($status >> 8)
                                      . ($status & 127 ? " (signal "
                                         . ($status & 127) . ")" : '')),
                        $status & 127 ? undef : $status >> 8,
                        $status & 128);   # a core dump
            }
            $launcher_done = 1;
        }
        my $nginx_pid = read_pid_file();
        if ($launcher_done && $nginx_pid) {
            $NginxPid = $nginx_pid;
            return;
        }
        if (time > $deadline) {
            kill SIGKILL, $pid;
            waitpid($pid, 0);
            return startup_error("nginx did not write $PidFile in time"
                                 . " (\"@cmd\")");
        }
        sleep 0.002;
    }
}

sub startup_error {
    my $msg = shift;
    my $out = read_file_or_empty($StartupLog);
    $msg .= $out eq '' ? " without any output\n" : ":\n$out";
    # say plainly which port another process holds
    $msg = "$1 is already in use by another process -- set TEST_NGINX_PORT"
           . " to a free port\n$msg"
        if $out =~ /bind\(\) to (\S+) failed \(\d+: Address already in use\)/;
    my $valgrind = $UseValgrind ? read_file_or_empty($ValgrindLog) : '';
    $msg .= "valgrind:\n$valgrind" if $valgrind =~ /\S/;
    return $msg;
}

sub valgrind_command {
    my @opts = $UseValgrind =~ /^\d+$/
        ? qw(--tool=memcheck --leak-check=full --show-possibly-lost=no)
        : split ' ', $UseValgrind;
    push @opts, '--suppressions=valgrind.suppress' if -f 'valgrind.suppress';
    return ('valgrind', '-q', '--num-callers=100', '--gen-suppressions=all',
            "--log-file=$ValgrindLog", @opts);
}

# Whether the nginx we started still runs; once it does not, $NginxExit
# says how it ended.
sub nginx_running {
    return 0 unless defined $NginxPid;
    $NginxExit = process_exit($NginxPid) // return 1;
    undef $NginxPid;
    return 0;
}

# Stops the nginx we started, or one left running by an earlier run (e.g.
# with TEST_NGINX_NO_CLEAN) as found in the pid file.
sub stop_nginx {
    my $pid = $NginxPid;
    undef $NginxPid;
    if (!defined $pid) {
        $pid = read_pid_file() or return;
        # the pid may have been reused since that run
        return unless read_file_or_empty("/proc/$pid/cmdline") =~ /nginx|valgrind/;
    }
    return if defined process_exit($pid);

    # QUIT makes a master_process-off nginx exit at once; under valgrind
    # the exit includes the leak check, which takes a while.
    kill SIGQUIT, $pid;
    return if wait_gone($pid, $UseValgrind ? 60 : $Timeout);
    warn "WARNING: nginx (pid $pid) did not exit on SIGQUIT; killing it\n";
    kill SIGKILL, $pid;
    wait_gone($pid, 5);
}

# The error.log lines the original's error_log_data() returns: from where
# the previous call stopped, or from the start of the file for the block's
# first call (reset_error_log_window) -- for a block without --- config,
# that is every line since nginx was started -- or always from the start
# with check_accum_error_log().
sub error_log_data {
    # some lines are logged right after nginx closes the connection
    sleep $TestNginxSleep * 3;
    open my $in, '<', $ErrLogFile or return [];
    seek $in, $ErrLogPos, 0 unless $CheckAccumErrLog;
    my @lines = <$in>;
    $ErrLogPos = tell $in unless $CheckAccumErrLog;
    return \@lines;
}

sub reset_error_log_window {
    $ErrLogPos = 0;
}

# Runs a block's --- init as the original does: a string eval'ed in this
# package, under this file's "use strict", where $block, $name and this
# module's variables ($ServRoot, ...) are in scope. A suite's own helpers
# are main's: ::fresh(), not fresh(). Returns the error, or nothing.
sub run_init {
    my ($block, $name) = @_;
    return unless $block->init;
    eval $block->init;
    return $@ if $@;
    return;
}

# Whether nothing listens on $ServerPort (on any address, as nginx listens
# on all of them): probed the way nginx binds, with SO_REUSEADDR, so that
# connections in TIME_WAIT do not count. Returns an error text, or nothing.
sub check_port_free {
    my $sock = IO::Socket::INET->new(LocalAddr => '0.0.0.0',
                                     LocalPort => $ServerPort,
                                     Proto => 'tcp', Listen => 1,
                                     ReuseAddr => 1);
    if ($sock) {
        close $sock;
        return;
    }
    return "port $ServerPort is already in use by another process"
        . " (nginx listens on *:$ServerPort): $! -- set TEST_NGINX_PORT"
        . " to a free port\n";
}

END {
    local $?;   # keep Test::Builder's exit code
    if ($$ == $MainPid && !$NoClean) {
        stop_nginx();
        remove_tree($ServRoot) if $Randomize && -d $ServRoot;
    }
}

1;
