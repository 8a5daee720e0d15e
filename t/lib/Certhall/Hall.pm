package Certhall::Hall;

# A whole hall for a fault test (t/faults/*.t): scripts/run.sh start in a
# temporary CERTHALL_VAR on its own CERTHALL_PORT (as t/tools/run.t does),
# stopped and its folder removed at the end of the test, even when the test
# dies.  The hall is the real thing: PostgreSQL, nginx (workers as nobody),
# fcgiwrap and the three doubles (Alipay at port+3, SMS at +4, tax at +5).
#
#   my $hall = Certhall::Hall->start(port => $ENV{TEST_NGINX_PORT} + 20);
#       dies with run.sh's output if the hall does not start; inside
#       t/bin/testenv it starts from a copy of a stopped hall made once per
#       run (from_template below); fresh => 1 makes a new one anyway
#       keep => 1 (or CERTHALL_FAULTS_KEEP=1) keeps the folder after the
#       test, for post-mortems (the hall is stopped all the same)
#   $hall->port, ->base ('http://127.0.0.1:PORT'), ->var, ->storage, ->root
#   $hall->run_output          what run.sh start printed
#
# The database (the application role, its password from the hall's pgpass):
#   $hall->sql($text)          rows as array refs (Certhall::Test::sql: one
#                              connection, remade after a server restart)
#   $hall->sql_value($text)    the first column of the first row
#   $hall->use_db              points PGHOST, PGUSER, PGDATABASE and
#                              PGPASSFILE at the hall, so that Certhall::Test
#                              and Certhall::Admin helpers (order_at,
#                              make_account, staff_session) work on it;
#                              start() does it
#   $hall->psql(@args)         psql's output (-X -At), for what DBI cannot do
#
# The back office's commands (build/certhall-admin CMD -c VAR/admin.conf):
#   my ($rc, $out) = $hall->admin('sms-send');               as root
#   my ($rc, $out) = $hall->admin({ user => 'nobody' }, 'invoice-send');
#
# nginx:
#   $hall->nginx_pid, $hall->worker_pids (sorted), $hall->signal_nginx('HUP')
#   $hall->error_log (its path), $hall->log_size($path), and
#   $hall->wait_log($path, qr/.../, $from_offset, $seconds): the offset of the
#   first match after $from_offset, or undef when none came in time
#
# PostgreSQL (the cluster of VAR/pg, its socket in VAR/pg):
#   $hall->pg_pid              the postmaster's pid (undef when stopped)
#   $hall->pg_stop('fast' | 'immediate' | 'smart')   waits until it is gone
#   $hall->pg_start            waits until it accepts connections (pg_ctl -w)
#   $hall->pg_replace          failover-like: the server ends at once
#                              (immediate: every connection dropped, nothing
#                              flushed to the clients) and a fresh postmaster
#                              answers on the same socket as soon as it can,
#                              the way a promoted standby takes over a
#                              floating address
#   $hall->pg_ready            pg_isready on the socket: true or false
#
# The doubles (names alipay-gateway, sms-gateway, tax-platform):
#   $hall->double_port($name), ->double_pid($name), ->double_log($name)
#   (JSON lines), ->double_url($name) (http, or https for tax-platform)
#
# Helpers:
#   Certhall::Hall::wait_for(sub { ... }, $seconds, $what): polls every
#   20 ms until the sub returns true; returns its value, or undef on time out.
#   Certhall::Hall::alive($pid): running (reaps our own zombie children first)

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use IO::Select;
use Fcntl qw(:flock);
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

use Certhall::Test ();

my $ROOT = abs_path(dirname(__FILE__) . '/../../..');
my $PG_BIN = $ENV{PG_BIN} // '/usr/lib/postgresql/15/bin';
my %DOUBLE_OFFSET = ('alipay-gateway' => 3, 'sms-gateway' => 4, 'tax-platform' => 5);

my @HALLS;      # started by this process, stopped at its END

# Orphans (nginx's master daemonises, pg_ctl's postmaster) are re-parented
# to this process, not to PID 1, which on these machines reaps them only
# every ~2 s: waiting for a stopped process is then a waitpid away
# (prctl(PR_SET_CHILD_SUBREAPER, 1) on x86-64 Linux).
syscall(157, 36, 1) if $^O eq 'linux';

sub start {
    my ($class, %o) = @_;
    my $port = $o{port} or die "Certhall::Hall->start: port => N\n";
    system("runuser -u nobody -- test -r '$ROOT/www/index.html'") == 0
        or die "nobody cannot read $ROOT: a hall needs a checkout other users can read\n";
    -x "$ROOT/build/certhall-admin" or die "build first: make all tools\n";
    my $var = tempdir("certhall-fault.XXXXXX", TMPDIR => 1);
    chmod 0755, $var;
    my $self = bless { port => $port, var => $var, root => $ROOT, owner => $$,
                       keep => $o{keep} // $ENV{CERTHALL_FAULTS_KEEP} }, $class;
    push @HALLS, $self;
    $self->from_template unless $o{fresh};
    my $out = $self->run_sh('start');
    $self->{run_output} = $out;
    die "the hall did not start (exit $self->{run_rc}):\n$out" if $self->{run_rc};
    $self->use_db;
    return $self;
}

# A fresh hall costs run.sh's whole first start (a cluster, the migrations,
# keys, the test CA, the demo data and files: half a minute on CI's busy
# cores), a hall started again from a stopped one's folder about half that.
# So inside t/bin/testenv the first fault test of a run makes a stopped
# hall (the template) in the environment's folder, which goes with it, and
# every hall of the run starts from a copy: run.sh start on a folder it has
# seen, as after `make stop` (t/tools/run.t starts fresh ones).  Made under
# a lock, so that suites running side by side make it once.
sub template_base {
    my $conf = $ENV{TEST_NGINX_ADMIN_CONF} // return undef;
    return undef unless $conf =~ m{^(/.+)/admin\.conf$} && -d $1;
    return $1;
}

sub from_template {
    my $self = shift;
    my $base = template_base() // return;
    my $template = "$base/hall-template";
    open my $lock, '>>', "$template.lock" or return;
    flock $lock, LOCK_EX or return;
    if (!-e "$template/ready") {
        remove_tree($template);
        my $made = tempdir('hall-template.XXXXXX', DIR => $base);
        chmod 0755, $made;
        my $maker = bless { port => $self->{port}, var => $made, root => $ROOT, owner => $$ }, ref $self;
        my $out = $maker->run_sh('start');
        my $ok = !$maker->{run_rc};
        $maker->run_sh('stop');
        # what names this hall's processes goes (a stale pid is another's)
        unlink glob("$made/run/*.pid"), "$made/nginx/nginx.pid", "$made/run/fcgiwrap.sock";
        if (!$ok || $maker->pg_pid || !rename($made, $template)) {
            remove_tree($made);
            die "the hall's template did not start:\n$out" unless $ok;
            return;
        }
        open my $ready, '>', "$template/ready" or die "$template/ready: $!\n";
        close $ready;
    }
    system('cp', '-a', "$template/.", "$self->{var}/") == 0
        or die "could not copy the hall's template $template to $self->{var}\n";
    unlink "$self->{var}/ready";
}

sub port { $_[0]{port} }
sub var { $_[0]{var} }
sub root { $_[0]{root} }
sub storage { "$_[0]{var}/storage" }
sub base { "http://127.0.0.1:$_[0]{port}" }
sub run_output { $_[0]{run_output} }
sub error_log { "$_[0]{var}/nginx/logs/error.log" }

# run.sh, with its output; meanwhile every child of ours that ends is
# reaped: run.sh stop waits (kill -0) for nginx's master and the doubles,
# which are ours (the subreaper above) and would otherwise stay zombies,
# alive to kill -0, until its patience ran out (5 s each)
sub run_sh {
    my ($self, $what) = @_;
    local $ENV{CERTHALL_VAR} = $self->{var};
    local $ENV{CERTHALL_PORT} = $self->{port};
    my $pid = open(my $fh, '-|') // die "fork: $!\n";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        exec "$ROOT/scripts/run.sh", $what or POSIX::_exit(127);
    }
    my $out = '';
    my $sel = IO::Select->new($fh);
    while (1) {
        if ($sel->can_read(0.05)) {
            my $n = sysread $fh, my $buf, 65536;
            last unless $n;
            $out .= $buf;
        }
        # the others' zombies; run.sh itself is left for close() to reap
        for (1 .. 100) {
            my $z = waitpid(-1, WNOHANG);
            last if $z <= 0;
            if ($z == $pid) { $self->{run_rc} = $? >> 8; $pid = 0 }
        }
    }
    close $fh;
    $self->{run_rc} = $? >> 8 if $pid;
    return $out;
}

sub stop {
    my $self = shift;
    return if $self->{stopped}++ || $self->{owner} != $$;
    Certhall::Test::sql_disconnect();
    # run.sh stop leaves a stopped PostgreSQL alone and stops what runs
    $self->run_sh('stop');
    # anything left (a test that died mid-fault: a replaced postmaster
    # run.sh stop found, an nginx binary upgrade's second master)
    for my $pid (grep { defined } $self->pg_pid, $self->nginx_pid) {
        kill 'KILL', $pid;
    }
    remove_tree($self->{var}) unless $self->{keep};
}

END {
    my $rc = $?;
    $_->stop for reverse @HALLS;
    $? = $rc;
}
# a test killed by its runner (SIGTERM, ^C) still stops its hall
$SIG{TERM} = $SIG{INT} = sub { exit 1 } unless ($SIG{TERM} // '') =~ /CODE/;

# --- waiting -------------------------------------------------------------------

sub alive {
    my $pid = shift;
    return 0 unless defined $pid && $pid > 0;
    waitpid($pid, WNOHANG);             # our zombie (subreaper) is gone
    return kill(0, $pid) ? 1 : 0;
}

sub wait_for {
    my ($cond, $seconds, $what) = @_;
    my $until = time + ($seconds // 10);
    while (1) {
        my $v = $cond->();
        return $v if $v;
        return undef if time > $until;
        sleep 0.02;
    }
}

sub pid_file {
    my $f = shift;
    open my $fh, '<', $f or return undef;
    my $p = <$fh>;
    return undef unless defined $p && $p =~ /^(\d+)/;
    return $1;
}

# --- the database --------------------------------------------------------------

sub use_db {
    my $self = shift;
    $ENV{PGHOST} = "$self->{var}/pg";
    $ENV{PGPORT} = 5432;
    $ENV{PGUSER} = 'certhall';
    $ENV{PGDATABASE} = 'certhall';
    $ENV{PGPASSFILE} = "$self->{var}/secrets/pgpass";
    return $self;
}

sub sql { my $self = shift; $self->use_db; return Certhall::Test::sql(@_) }
sub sql_value { my $self = shift; $self->use_db; return Certhall::Test::sql_value(@_) }

sub psql {
    my ($self, @args) = @_;
    my $q = join ' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @args;
    return scalar `PGPASSFILE='$self->{var}/secrets/pgpass' psql -X -At -h '$self->{var}/pg' -U certhall -d certhall $q 2>&1`;
}

sub pg_pid {
    my $self = shift;
    my $pid = pid_file("$self->{var}/pg/data/postmaster.pid");
    return alive($pid) ? $pid : undef;
}

sub pg_ready {
    my $self = shift;
    system("$PG_BIN/pg_isready -q -h '$self->{var}/pg' -p 5432 >/dev/null 2>&1");
    return $? == 0;
}

sub pg_ctl {
    my ($self, @args) = @_;
    my $dir = "$self->{var}/pg";
    my $out = `runuser -u postgres -- '$PG_BIN/pg_ctl' -D '$dir/data' @args 2>&1`;
    return ($? >> 8, $out);
}

sub pg_stop {
    my ($self, $mode) = @_;
    my $pid = $self->pg_pid;
    Certhall::Test::sql_disconnect();
    my ($rc, $out) = $self->pg_ctl('-m', $mode // 'fast', '-w', 'stop');
    die "pg_ctl stop -m $mode: $out" if $rc;
    wait_for(sub { !alive($pid) }, 30) or die "the postmaster $pid did not end\n";
    return 1;
}

sub pg_start {
    my $self = shift;
    my $dir = "$self->{var}/pg";
    my ($rc, $out) = $self->pg_ctl('-l', "'$dir/postgresql.log'", '-w',
        '-o', "'-c listen_addresses= -c port=5432 -c unix_socket_directories=$dir'", 'start');
    die "pg_ctl start: $out" . `tail -20 '$dir/postgresql.log'` if $rc;
    return 1;
}

sub pg_replace {
    my $self = shift;
    my $old = $self->pg_pid;
    $self->pg_stop('immediate');
    $self->pg_start;
    my $new = $self->pg_pid;
    die "the replacement postmaster is the old one\n" if !$new || ($old && $new == $old);
    return $new;
}

# --- the back office's commands ------------------------------------------------

sub admin {
    my ($self, @args) = @_;
    my $o = ref $args[0] eq 'HASH' ? shift @args : {};
    my $cmd = shift @args;
    my @cmd = ("$ROOT/build/certhall-admin", $cmd, '-c', "$self->{var}/admin.conf", @args);
    unshift @cmd, 'runuser', '-u', $o->{user}, '--' if $o->{user} && $o->{user} ne 'root';
    my $q = join ' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @cmd;
    my $out = `$q 2>&1`;
    return ($? >> 8, $out);
}

# --- nginx -----------------------------------------------------------------------

sub nginx_pid {
    my $self = shift;
    my $pid = pid_file("$self->{var}/nginx/nginx.pid");
    return alive($pid) ? $pid : undef;
}

sub worker_pids {
    my ($self, $master) = @_;
    $master //= $self->nginx_pid or return ();
    return sort { $a <=> $b } grep { /^\d+$/ } map { s/\s+//gr }
        split /\n/, `ps -o pid= --ppid $master`;
}

sub signal_nginx {
    my ($self, $sig) = @_;
    my $pid = $self->nginx_pid or die "nginx is not running\n";
    kill $sig, $pid or die "kill $sig $pid: $!\n";
    return $pid;
}

sub log_size { my (undef, $f) = @_; return -s $f // 0 }

sub wait_log {
    my ($self, $file, $re, $from, $seconds) = @_;
    return wait_for(sub {
        open my $fh, '<', $file or return;
        seek $fh, $from // 0, 0;
        local $/;
        my $text = <$fh> // '';
        return $text =~ $re ? ($from // 0) + $-[0] + 1 : undef;
    }, $seconds // 10);
}

# --- the doubles ---------------------------------------------------------------------

sub double_port {
    my ($self, $name) = @_;
    my $off = $DOUBLE_OFFSET{$name} // die "no double $name\n";
    return $self->{port} + $off;
}
sub double_pid { my ($self, $name) = @_; my $p = pid_file("$self->{var}/run/$name.pid"); alive($p) ? $p : undef }
sub double_log { my ($self, $name) = @_; return "$self->{var}/run/$name.log" }
sub double_url {
    my ($self, $name) = @_;
    return ($name eq 'tax-platform' ? 'https' : 'http') . '://127.0.0.1:' . $self->double_port($name);
}

1;
