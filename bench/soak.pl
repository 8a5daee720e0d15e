#!/usr/bin/env perl
# make soak: a hall (scripts/run.sh, in a var folder of its own) under a
# mixed load for SOAK_MINUTES (10), its nginx master's and workers' RSS and
# open files sampled from /proc every SOAK_SAMPLE seconds (10), printed as
# a table with a curve and written to build/soak/; then SOAK_VALGRIND_MINUTES
# (2) of the same load with nginx (master and workers) under valgrind's
# memcheck --leak-check=full.  Not in CI: it takes the machine for minutes.
#
# The figure: the workers' RSS growth per 10,000 requests, the slope of a
# least-squares line through the samples after the warm-up (SOAK_WARMUP
# seconds, default a fifth of the run: the thread pool's malloc arenas, the
# database connections' buffers and the open-file cache fill up first).
#
# It fails (exit 1) when
#   - any request was not answered as it should be (a 5xx, a timeout, a
#     refused connection, an answer other than the action's);
#   - the growth is over SOAK_BOUND_KIB (256) KiB per 10,000 requests: a
#     leak of 26 bytes a request or more.  Below that, growth cannot be
#     told from glibc's arenas settling and pages being touched for the
#     first time (a few hundred KiB over a run, whatever its length), and
#     nothing the module allocates per request is that small: its request
#     pools, libpq results and JSON answers are hundreds of bytes to
#     kilobytes, so a leak of any of them is well over the bound;
#   - valgrind reports an error, or a block definitely lost (its
#     suppressions: valgrind.suppress, nginx's own memory only).
#
#   SOAK_MINUTES, SOAK_SAMPLE, SOAK_WARMUP, SOAK_BOUND_KIB,
#   SOAK_VALGRIND_MINUTES (0: no valgrind run), SOAK_CLIENTS (4),
#   CERTHALL_PORT (the hall's port, 8190; it uses that port to +5)
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(strftime WNOHANG floor);
use Time::HiRes qw(time sleep);
use lib abs_path(dirname(__FILE__) . '/../t/lib');
use Certhall::Hall;
use Certhall::Load;

my $root = abs_path(dirname(__FILE__) . '/..');
chdir $root or die "chdir $root: $!";
$> == 0 or die "make soak runs as root: the hall's workers run as nobody\n";

my $minutes = $ENV{SOAK_MINUTES} // 10;
my $sample_every = $ENV{SOAK_SAMPLE} // 10;
my $warmup = $ENV{SOAK_WARMUP} // $minutes * 60 / 5;
my $bound = $ENV{SOAK_BOUND_KIB} // 256;
my $vg_minutes = $ENV{SOAK_VALGRIND_MINUTES} // 2;
my $nclients = $ENV{SOAK_CLIENTS} // 4;
my $port = $ENV{CERTHALL_PORT} // 8190;

my $stamp = strftime('%Y%m%d-%H%M%S', gmtime);
my $out_dir = "$root/build/soak";
make_path($out_dir);
my $report_file = "$out_dir/soak-$stamp.txt";
open my $report, '>', $report_file or die "$report_file: $!";
$report->autoflush(1);
STDOUT->autoflush(1);
sub say_both { my $line = join '', @_; print $line; print $report $line }

sub slurp { my $f = shift; open my $fh, '<', $f or return ''; local $/; <$fh> }

my $hall = Certhall::Hall->start(port => $port);
my $var = $hall->var;
my $base = $hall->base;

# One worker: every request goes through the process measured.  With two,
# the kernel gave the second one its first connections minutes into a run
# (5 min in one), and its warm-up then read as growth.
my $conf_file = "$var/nginx/conf/nginx.conf";
my $conf = slurp($conf_file);
$conf =~ s/^worker_processes auto;$/worker_processes 1;/m or die "no worker_processes in $conf_file\n";
open my $cfh, '>', $conf_file or die "$conf_file: $!\n";
print $cfh $conf;
close $cfh;
my @before = $hall->worker_pids;
$hall->signal_nginx('HUP');
Certhall::Hall::wait_for(sub { my @w = $hall->worker_pids; @w == 1 && !grep { my $w = $_; grep { $_ == $w } @before } @w }, 60)
    or die "nginx did not reload with one worker\n";

# --- the load: Certhall::Load, in rounds --------------------------------------

# Certhall::Load's clients submit and pay the orders it seeds and its staff
# approve or reject them; once those are used up only the rest of its mix
# goes on.  So the load runs in rounds of SOAK_ROUND seconds (120), each a
# Load of its own with fresh seeded orders: submits, payments (the Alipay
# double's notifications) and staff decisions go on all along.
my $round_seconds = $ENV{SOAK_ROUND} // 120;
my $round_n = 0;

# runs Loads for $seconds, sampling meanwhile; the samples and the Loads'
# figures added up
sub run_load {
    my ($seconds, $label, $master, %o) = @_;
    my $t0 = time;
    my $until = $t0 + $seconds;
    my ($start_lines, $start_5xx) = (count_log());
    my @samples;
    my $next_sample = $t0;
    my $take = sub {
        return if time < $next_sample;
        push @samples, sample($t0, $master, $start_lines, $start_5xx);
        print_sample($samples[-1], $label);
        $next_sample += $sample_every while $next_sample <= time;
    };
    my %fig = (sent => 0, answered => 0, ok => 0, refused => 0, failed => 0, hung => 0, longest => 0);
    my (%codes, @bad);
    $take->();
    while (time < $until) {
        my $load = Certhall::Load->new(hall => $hall, name => "$label-" . ++$round_n,
                                       clients => $o{clients} // $nclients, staff => 1,
                                       orders => $o{orders} // 15, timeout => $o{timeout} // 60,
                                       $o{mix} ? (mix => $o{mix}) : ())->setup;
        $load->start;
        my $round_until = time + ($o{round} // $round_seconds);
        $round_until = $until if $round_until > $until;
        while (time < $round_until) { $take->(); sleep 0.2 }
        $load->stop;
        my $f = $load->figures;
        $fig{$_} += $f->{$_} for qw(sent answered ok refused failed hung);
        $fig{longest} = $f->{longest} if $f->{longest} > $fig{longest};
        for my $e ($load->journal) {
            $codes{"$e->{action} $e->{status}" . ($e->{code} ? " $e->{code}" : '')}++
                if !$e->{status} || $e->{status} >= 400;
            push @bad, "$e->{action} $e->{method} $e->{path}: " . ($e->{status} || $e->{error} // '')
                if (!$e->{status} || $e->{status} >= 500) && @bad < 20;
        }
        $take->();
    }
    $next_sample = 0;
    $take->();
    return (\@samples, \%fig, \%codes, \@bad);
}

# --- what is sampled ----------------------------------------------------------

sub master_pid { my $p = slurp("$var/nginx/nginx.pid"); $p =~ s/\s+//g; $p }
sub children { my $p = shift; grep { /\d/ } map { s/\s+//gr } split /\n/, `ps -o pid= --ppid $p` }
sub rss_kib { my $s = slurp("/proc/$_[0]/status"); $s =~ /^VmRSS:\s+(\d+) kB/m ? $1 : 0 }
sub fds { opendir my $d, "/proc/$_[0]/fd" or return 0; scalar grep { !/^\./ } readdir $d }

# the requests answered so far: the access log's lines (the back office's
# too), and how many of them were 5xx
my ($log_pos, $log_lines, $log_5xx) = (0, 0, 0);
sub count_log {
    open my $fh, '<', "$var/nginx/logs/access.log" or return;
    seek $fh, $log_pos, 0;
    while (my $l = <$fh>) {
        last unless $l =~ /\n$/;
        $log_pos += length $l;
        $log_lines++;
        $log_5xx++ if $l =~ /" 5\d\d /;
    }
    return ($log_lines, $log_5xx);
}

sub sample {
    my ($t0, $master, $lines0, $errors0) = @_;
    count_log();
    my @w = children($master);
    my @wrss = map { rss_kib($_) } @w;
    my $wsum = 0;
    $wsum += $_ for @wrss;
    my $wfds = 0;
    $wfds += fds($_) for @w;
    return { t => time - $t0, requests => $log_lines - $lines0, errors5xx => $log_5xx - $errors0,
             master_rss => rss_kib($master), worker_rss => \@wrss, workers_rss => $wsum,
             master_fds => fds($master), worker_fds => $wfds, workers => scalar @w };
}

my $header_printed = 0;
sub print_sample {
    my ($s, $label) = @_;
    unless ($header_printed++) {
        say_both(sprintf "%-8s %6s %9s %5s %11s %12s %-22s %9s %9s\n", 'run', 't(s)', 'requests', '5xx',
                 'master KiB', 'workers KiB', '(each)', 'fds mst', 'fds wrk');
    }
    say_both(sprintf "%-8s %6.0f %9d %5d %11d %12d %-22s %9d %9d\n", $label, $s->{t}, $s->{requests},
             $s->{errors5xx}, $s->{master_rss}, $s->{workers_rss}, join('+', @{ $s->{worker_rss} }),
             $s->{master_fds}, $s->{worker_fds});
}

# least squares: the workers' RSS (KiB) against requests answered
sub slope {
    my @p = @_;
    return undef if @p < 3;
    my ($n, $sx, $sy, $sxx, $sxy) = (scalar @p, 0, 0, 0, 0);
    for (@p) { $sx += $_->[0]; $sy += $_->[1]; $sxx += $_->[0] ** 2; $sxy += $_->[0] * $_->[1] }
    my $d = $n * $sxx - $sx ** 2;
    return undef if $d == 0;
    return ($n * $sxy - $sx * $sy) / $d;
}

sub curve {
    my ($samples) = @_;
    my @rss = map { $_->{workers_rss} } @$samples;
    my ($lo, $hi) = (sort { $a <=> $b } @rss)[0, -1];
    say_both("\nworkers' RSS (KiB) by requests answered, from $lo to $hi KiB:\n");
    for my $s (@$samples) {
        my $bar = $hi == $lo ? 0 : floor(($s->{workers_rss} - $lo) / ($hi - $lo) * 50);
        say_both(sprintf "%9d %8d |%s*\n", $s->{requests}, $s->{workers_rss}, ' ' x $bar);
    }
}

sub tally_report {
    my ($label, $f, $codes, $bad, $seconds) = @_;
    say_both(sprintf "\n%s: %d requests sent in %.0f s (%.0f a second), %d answered (2xx/3xx %d, 4xx %d), "
             . "%d failed (5xx or no answer), %d hung, the longest wait %.2f s\n",
             $label, $f->{sent}, $seconds, $f->{sent} / ($seconds || 1), $f->{answered}, $f->{ok},
             $f->{refused}, $f->{failed}, $f->{hung}, $f->{longest});
    say_both("  not 2xx: " . join(', ', map { "$_ x$codes->{$_}" } sort keys %$codes) . "\n") if %$codes;
    say_both("  failed: $_\n") for @$bad;
    return $f->{failed} + $f->{hung};
}

my $failed = 0;

# --- the soak -----------------------------------------------------------------

say_both("certhall soak, $stamp: $minutes min, Certhall::Load with $nclients applicants and 1 reviewer in rounds of $round_seconds s, "
         . "one nginx worker, samples every $sample_every s, warm-up $warmup s\n");
my $master = master_pid();
my ($samples, $fig, $codes, $bad) = run_load($minutes * 60, 'soak', $master);
$failed += tally_report('soak', $fig, $codes, $bad, $minutes * 60);

my @after = grep { $_->{t} >= $warmup } @$samples;
my $kib_per_request = slope(map { [$_->{requests}, $_->{workers_rss}] } @after);
curve($samples);
if (defined $kib_per_request) {
    my $growth = $kib_per_request * 10_000;
    say_both(sprintf "\nworkers' RSS growth after the warm-up (%d samples, %d to %d requests): %+.1f KiB per 10,000 requests (bound %d)\n",
             scalar @after, $after[0]{requests}, $after[-1]{requests}, $growth, $bound);
    say_both(sprintf "  workers %d -> %d KiB, master %d -> %d KiB, fds workers %d -> %d, master %d -> %d\n",
             $after[0]{workers_rss}, $after[-1]{workers_rss}, $after[0]{master_rss}, $after[-1]{master_rss},
             $after[0]{worker_fds}, $after[-1]{worker_fds}, $after[0]{master_fds}, $after[-1]{master_fds});
    if ($growth > $bound) { say_both("FAIL: the workers' RSS grows\n"); $failed++ }
    if ($after[-1]{worker_fds} > $after[0]{worker_fds} + 8) { say_both("FAIL: the workers' open files grow\n"); $failed++ }
} else {
    say_both("too few samples after the warm-up for a figure: make the run longer\n");
    $failed++;
}
if ($samples->[-1]{errors5xx}) { say_both("FAIL: $samples->[-1]{errors5xx} answers 5xx in the access log during the load\n"); $failed++ }

open my $tsv, '>', "$out_dir/soak-$stamp.tsv" or die $!;
print $tsv join("\t", qw(t requests errors5xx master_rss_kib workers_rss_kib master_fds worker_fds)), "\n";
print $tsv join("\t", map { sprintf '%.0f', $_ } @{$_}{qw(t requests errors5xx master_rss workers_rss master_fds worker_fds)}), "\n"
    for @$samples;
close $tsv;

# --- valgrind -----------------------------------------------------------------

if ($vg_minutes > 0) {
    my $vg_dir = "$out_dir/valgrind-$stamp";
    make_path($vg_dir);
    # the hall's nginx stopped, and started again under memcheck, in the
    # foreground (valgrind's own process is the master; the workers it
    # forks are watched too, each with its log)
    my $old = master_pid();
    kill 'QUIT', $old;
    Certhall::Hall::wait_for(sub { !Certhall::Hall::alive($old) }, 60);
    # a leak is a block definitely lost; possibly lost ones are nginx's
    # pools, pointed into rather than at (as Test::Nginx's valgrind pass
    # takes them)
    my @vg = ('valgrind', '--tool=memcheck', '--leak-check=full', '--show-possibly-lost=no',
              '--errors-for-leak-kinds=definite',
              '--num-callers=50', "--suppressions=$root/valgrind.suppress",
              '--gen-suppressions=all', "--log-file=$vg_dir/valgrind.%p.log",
              '/usr/sbin/nginx', '-p', "$var/nginx/", '-c', 'conf/nginx.conf', '-g', 'daemon off;');
    my $vg_pid = fork // die "fork: $!";
    if (!$vg_pid) { exec @vg or POSIX::_exit(127) }
    # up once its pool has connected (health answers 200)
    my $up = Certhall::Hall::wait_for(sub {
        Certhall::Hall::alive($vg_pid) or return 1;
        HTTP::Tiny->new(timeout => 5)->get("$base/api/health")->{status} == 200 }, 300)
        && Certhall::Hall::alive($vg_pid);
    if (!$up) {
        say_both("FAIL: nginx under valgrind did not answer\n");
        $failed++;
    } else {
        $header_printed = 0;
        say_both("\nunder valgrind (memcheck --leak-check=full): $vg_minutes min, one applicant and one reviewer\n");
        # the applicant logs in once (600,000 rounds of PBKDF2: a minute
        # under memcheck), so the mix has no more logins; one round
        my ($vs, $vf, $vc, $vb) = run_load($vg_minutes * 60, 'valgrind', $vg_pid, clients => 1,
                                           mix => { login => 0 }, timeout => 600, orders => 10,
                                           round => $vg_minutes * 60);
        $failed += tally_report('valgrind', $vf, $vc, $vb, $vg_minutes * 60) ? 1 : 0;
        kill 'QUIT', $vg_pid;
        # the workers' leak checks, then the master's
        Certhall::Hall::wait_for(sub { !Certhall::Hall::alive($vg_pid) }, 300)
            or say_both("FAIL: nginx under valgrind did not exit\n"), $failed++;
    }
    my ($errors, $lost, $nlogs) = (0, 0, 0);
    for my $log (glob "$vg_dir/valgrind.*.log") {
        my $text = slurp($log);
        $nlogs++;
        my ($pid) = $log =~ /valgrind\.(\d+)\.log/;
        my ($e) = $text =~ /ERROR SUMMARY: ([\d,]+) errors/;
        my ($d) = $text =~ /definitely lost: ([\d,]+) bytes/;
        my ($r) = $text =~ /still reachable: ([\d,]+) bytes/;
        ($e //= 'none') =~ s/,//g;
        ($d //= 0) =~ s/,//g;
        say_both(sprintf "  pid %-7s %s errors, %s bytes definitely lost%s\n", $pid, $e, $d,
                 defined $r ? ", $r still reachable" : '');
        $errors += $e =~ /^\d+$/ ? $e : 1;
        $lost += $d;
    }
    say_both("valgrind: $nlogs processes, $errors errors, $lost bytes definitely lost (logs: $vg_dir)\n");
    if ($errors || $lost || !$nlogs) { say_both("FAIL: valgrind found errors or leaks\n"); $failed++ }
}

say_both($failed ? "\nsoak: FAILED ($failed)\n" : "\nsoak: passed\n");
say_both("report: $report_file\n");
exit($failed ? 1 : 0);
