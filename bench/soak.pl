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
my $base = "http://127.0.0.1:$port";

my $stamp = strftime('%Y%m%d-%H%M%S', gmtime);
my $out_dir = "$root/build/soak";
make_path($out_dir);
my $report_file = "$out_dir/soak-$stamp.txt";
open my $report, '>', $report_file or die "$report_file: $!";
$report->autoflush(1);
STDOUT->autoflush(1);
sub say_both { my $line = join '', @_; print $line; print $report $line }

my $var = tempdir('certhall-soak.XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $var;
$ENV{CERTHALL_VAR} = $var;
$ENV{CERTHALL_PORT} = $port;
my $parent = $$;
my $started;

sub run_script { my $o = `'$root/scripts/run.sh' @_ 2>&1`; return ($? >> 8, $o) }
sub slurp { my $f = shift; open my $fh, '<', $f or return ''; local $/; <$fh> }

my ($rc, $o) = run_script('start');
$rc == 0 or die "the hall did not start:\n$o";
$started = 1;
END {
    if ($started && $$ == $parent) {
        my ($src, $sout) = run_script('stop');
        print STDERR $sout if $src;
    }
}

# --- the scene each client needs: a session, a draft with its scan ---------

my $form = 'application/x-www-form-urlencoded';
my $BOUNDARY = 'certhallSoakBoundary';
my @scans = map { scalar `'$root/build/bin/mkscan' jpg color 800 600 --seed $_` } 1 .. 4;
my ($terms) = HTTP::Tiny->new->get("$base/api/agreements/user_terms")->{content} =~ /"version" : (\d+)/
    or die "no user terms\n";

sub login {
    my ($http) = @_;
    my $res = $http->post("$base/api/session", { headers => { 'Content-Type' => $form },
                          content => 'phone=13800138000&password=demo1234' });
    my $c = $res->{headers}{'set-cookie'} // '';
    $c = join "\n", @$c if ref $c;
    my ($session) = $c =~ /certhall_session=([^;]+)/;
    my ($csrf) = $res->{content} =~ /"csrf_token" : "([^"]+)"/;
    return ($res, $session, $csrf);
}

sub staff_login {
    my ($http) = @_;
    my $res = $http->get("$base/admin/login");
    my ($token) = ($res->{headers}{'set-cookie'} // '') =~ /certhall_admin_login=([0-9a-f]+)/;
    $res = HTTP::Tiny->new(timeout => 60, max_redirect => 0)->post("$base/admin/login", { headers => {
        'Content-Type' => $form, Cookie => "certhall_admin_login=$token" },
        content => "csrf=$token&login=reviewer&password=demo-staff-2026" });
    my $c = $res->{headers}{'set-cookie'} // '';
    $c = join "\n", @$c if ref $c;
    my ($staff) = $c =~ /certhall_admin=([A-Za-z0-9_-]{43})/;
    return $staff;
}

sub multipart {
    my ($bytes) = @_;
    return "--$BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"id.jpg\"\r\n"
         . "Content-Type: image/jpeg\r\n\r\n$bytes\r\n--$BOUNDARY--\r\n";
}

# one client's scene, made before the load
sub scene {
    my $http = HTTP::Tiny->new(timeout => 300, keep_alive => 1);
    my ($res, $session, $csrf) = login($http);
    $session or die "the demo applicant cannot log in: $res->{status} $res->{content}\n";
    my %auth = (Cookie => "certhall_session=$session", 'X-CSRF-Token' => $csrf);
    $res = $http->post("$base/api/orders", { headers => { %auth, 'Content-Type' => $form },
        content => "project=xiangtan_ggzy&service=new&cert_type=org&agree_terms=1&terms_version=$terms" });
    my ($draft) = $res->{content} =~ /"id" : "(UO\d+)"/ or die "no draft: $res->{content}\n";
    $res = $http->post("$base/api/orders/$draft/materials/legal_id_front", { headers => { %auth,
        'Content-Type' => "multipart/form-data; boundary=$BOUNDARY" }, content => multipart($scans[0]) });
    $res->{status} == 201 or die "no upload: $res->{content}\n";
    my $staff = staff_login($http) or die "the demo reviewer cannot sign in\n";
    return { session => $session, csrf => $csrf, draft => $draft, staff => $staff };
}

my @scenes = map { scene() } 1 .. $nclients;
my ($demo_order) = HTTP::Tiny->new->get("$base/api/orders",
    { headers => { Cookie => "certhall_session=$scenes[0]{session}" } })->{content} =~ /"id" : "(UO\d+)"/;

# --- the mixed load -----------------------------------------------------------

# the draft's 基本信息 (its ID number sealed with the data key)
my $info = join '&', 'org_name=%E6%B9%96%E5%8D%97%E7%A4%BA%E4%BE%8B%E7%A7%91%E6%8A%80%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8',
    'uscc=91350100M000100Y43', 'handler_name=%E5%BC%A0%E4%B8%89', 'legal_name=%E5%BC%A0%E4%B8%89',
    'mobile=13800138000', 'email=zhangsan%40example.com', 'legal_id_number=430102199001011238';

# [weight, name, what a right answer's status is, request]
sub actions {
    my ($s, $logins) = @_;
    my %auth = (Cookie => "certhall_session=$s->{session}", 'X-CSRF-Token' => $s->{csrf});
    my $get = sub { my ($path, $cookie) = @_; [ 'GET', "$base$path", { headers => { $cookie ? (Cookie => $cookie) : () } } ] };
    return (
        [10, 'health',       200, sub { $get->('/api/health') }],
        [ 8, 'website',      200, sub { $get->('/') }],
        [10, 'catalog',      200, sub { $get->('/api/projects') }],
        [10, 'me',           200, sub { $get->('/api/me', $auth{Cookie}) }],
        [10, 'my orders',    200, sub { $get->('/api/orders', $auth{Cookie}) }],
        [ 6, 'applications', 200, sub { $get->('/api/applications', $auth{Cookie}) }],
        [ 8, 'order',        200, sub { $get->("/api/orders/$demo_order", $auth{Cookie}) }],
        [ 6, 'certificates', 200, sub { $get->('/api/certificates', $auth{Cookie}) }],
        [ 6, 'messages',     200, sub { $get->('/api/messages', $auth{Cookie}) }],
        [ 6, 'download',     200, sub { $get->("/api/orders/$s->{draft}/materials/legal_id_front", $auth{Cookie}) }],
        [ 6, 'upload',       201, sub { [ 'POST', "$base/api/orders/$s->{draft}/materials/legal_id_front",
                                          { headers => { %auth, 'Content-Type' => "multipart/form-data; boundary=$BOUNDARY" },
                                            content => multipart($scans[int rand @scans]) } ] }],
        [ 2, 'draft',        201, sub { [ 'POST', "$base/api/orders", { headers => { %auth, 'Content-Type' => $form },
                                            content => "project=xiangtan_ggzy&service=new&cert_type=org&agree_terms=1&terms_version=$terms" } ] }],
        [ 4, 'info',         200, sub { [ 'PUT', "$base/api/orders/$s->{draft}/info", { headers => { %auth, 'Content-Type' => $form },
                                            content => $info } ] }],
        [ 3, 'staff queue',  200, sub { $get->('/admin/orders', "certhall_admin=$s->{staff}") }],
        [ 2, 'staff order',  200, sub { $get->("/admin/orders/$s->{draft}", "certhall_admin=$s->{staff}") }],
        [$logins, 'login',   200, sub { [ 'POST', "$base/api/session", { headers => { 'Content-Type' => $form },
                                            content => 'phone=13800138000&password=demo1234' } ] }],
    );
}

# a client: actions drawn by weight until $until; its tally in $file
sub client {
    my ($s, $until, $file, $logins, $seed) = @_;
    srand $seed;
    my @acts = grep { $_->[0] > 0 } actions($s, $logins);
    my $total = 0;
    $total += $_->[0] for @acts;
    my $http = HTTP::Tiny->new(timeout => 300, keep_alive => 1, max_redirect => 0);
    my (%count, @bad, $longest);
    $longest = 0;
    while (time < $until) {
        my $pick = rand $total;
        my $a;
        for (@acts) { $a = $_; last if ($pick -= $_->[0]) < 0 }
        my ($method, $url, $opt) = @{ $a->[3]->() };
        my $t0 = time;
        my $res = $http->request($method, $url, $opt);
        my $took = time - $t0;
        $longest = $took if $took > $longest;
        $count{$a->[1]}++;
        if ($res->{status} != $a->[2]) {
            push @bad, "$a->[1]: $res->{status} " . substr($res->{content} // '', 0, 200) if @bad < 20;
            $count{'(wrong answers)'}++;
        }
    }
    open my $fh, '>', $file or die $!;
    print $fh encode_json({ count => \%count, bad => \@bad, longest => $longest });
    close $fh;
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
}

sub sample {
    my ($t0, $master) = @_;
    count_log();
    my @w = children($master);
    my @wrss = map { rss_kib($_) } @w;
    my $wsum = 0;
    $wsum += $_ for @wrss;
    my $wfds = 0;
    $wfds += fds($_) for @w;
    return { t => time - $t0, requests => $log_lines, errors5xx => $log_5xx,
             master_rss => rss_kib($master), worker_rss => \@wrss, workers_rss => $wsum,
             master_fds => fds($master), worker_fds => $wfds, workers => scalar @w };
}

sub run_load {
    my ($seconds, $label, $master, $logins) = @_;
    my $t0 = time;
    my $until = $t0 + $seconds;
    my @pids;
    for my $i (0 .. $#scenes) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            client($scenes[$i], $until, "$var/tally.$label.$i", $logins, $i + 1);
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    my @samples;
    my $next = $t0;
    while (1) {
        push @samples, sample($t0, $master);
        print_sample($samples[-1], $label);
        last if time >= $until && !grep { kill 0, $_ } @pids;
        $next += $sample_every;
        while (time < $next) {
            1 while waitpid(-1, WNOHANG) > 0;
            sleep 0.2;
            last if time >= $until && !grep { kill 0, $_ } @pids;
        }
        1 while waitpid(-1, WNOHANG) > 0;
    }
    my (%count, @bad, $longest);
    $longest = 0;
    for my $i (0 .. $#scenes) {
        my $t = eval { decode_json(slurp("$var/tally.$label.$i")) } // { bad => ["client $i left no tally"] };
        $count{$_} += $t->{count}{$_} for keys %{ $t->{count} // {} };
        push @bad, @{ $t->{bad} // [] };
        $longest = $t->{longest} if ($t->{longest} // 0) > $longest;
    }
    return (\@samples, \%count, \@bad, $longest);
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
    my ($label, $count, $bad, $longest, $seconds) = @_;
    my $sent = 0;
    $sent += $count->{$_} for grep { !/^\(/ } keys %$count;
    my $wrong = $count->{'(wrong answers)'} // 0;
    say_both(sprintf "\n%s: %d requests sent by %d clients in %.0f s (%.0f a second), %d answered wrongly, the longest wait %.2f s\n",
             $label, $sent, $nclients, $seconds, $sent / ($seconds || 1), $wrong, $longest);
    say_both('  ' . join(', ', map { "$_ $count->{$_}" } sort grep { !/^\(/ } keys %$count) . "\n");
    say_both("  wrong: $_\n") for @$bad;
    return $wrong;
}

my $failed = 0;

# --- the soak -----------------------------------------------------------------

say_both("certhall soak, $stamp: $minutes min, $nclients clients, samples every $sample_every s, warm-up $warmup s\n");
my $master = master_pid();
my ($samples, $count, $bad, $longest) = run_load($minutes * 60, 'soak', $master, 1);
$failed += tally_report('soak', $count, $bad, $longest, $minutes * 60);

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
if ($samples->[-1]{errors5xx}) { say_both("FAIL: $samples->[-1]{errors5xx} answers 5xx in the access log\n"); $failed++ }

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
    for (1 .. 600) { last unless -e "/proc/$old" && slurp("/proc/$old/stat") !~ /^\d+ \(.*?\) Z/; sleep 0.1 }
    # a leak is a block definitely lost; possibly lost ones are nginx's
    # pools, pointed into rather than at (as Test::Nginx's valgrind pass
    # takes them)
    my @vg = ('valgrind', '--tool=memcheck', '--leak-check=full', '--show-possibly-lost=no',
              '--errors-for-leak-kinds=definite',
              '--num-callers=50', '--error-exitcode=0', "--suppressions=$root/valgrind.suppress",
              '--gen-suppressions=all', "--log-file=$vg_dir/valgrind.%p.log",
              '/usr/sbin/nginx', '-p', "$var/nginx/", '-c', 'conf/nginx.conf', '-g', 'daemon off;');
    my $vg_pid = fork // die "fork: $!";
    if (!$vg_pid) { exec @vg or POSIX::_exit(127) }
    my $up = 0;
    for (1 .. 1200) {
        my $res = HTTP::Tiny->new(timeout => 5)->get("$base/api/health");
        if ($res->{status} == 200) { $up = 1; last }
        last if waitpid($vg_pid, WNOHANG) == $vg_pid;
        sleep 0.1;
    }
    if (!$up) {
        say_both("FAIL: nginx under valgrind did not answer\n");
        $failed++;
    } else {
        $header_printed = 0;
        say_both("\nunder valgrind (memcheck --leak-check=full): $vg_minutes min\n");
        # one login: its hash (600,000 rounds of PBKDF2) takes minutes
        # under memcheck, so the load has none of its own
        my $t0 = time;
        my ($lres) = login(HTTP::Tiny->new(timeout => 600));
        say_both(sprintf "a login under valgrind: %d in %.0f s\n", $lres->{status}, time - $t0);
        $lres->{status} == 200 or $failed++;
        my ($vs, $vc, $vb, $vl) = run_load($vg_minutes * 60, 'valgrind', $vg_pid, 0);
        $failed += tally_report('valgrind', $vc, $vb, $vl, $vg_minutes * 60) ? 1 : 0;
        kill 'QUIT', $vg_pid;
        # the workers' leak checks, then the master's
        my $gone = 0;
        for (1 .. 3000) { if (waitpid($vg_pid, WNOHANG) == $vg_pid) { $gone = 1; last } sleep 0.1 }
        $gone or say_both("FAIL: nginx under valgrind did not exit\n"), $failed++;
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
