# certhall-admin auto-confirm: the 30-day rule (seed 000).  Orders shipped
# 30 Beijing calendar days ago or more move to 待开票 as actor system, with
# their event reason and message, once; the command says
# "auto-confirm: N done, M failed" and records its run in job_runs; two
# runs at once take disjoint orders (FOR UPDATE SKIP LOCKED: a row another
# session holds is skipped, not waited for); a run killed midway through
# a batch leaves every order of it as it was; an order that cannot move
# is reported and exits 1 while the others move.
# Runs inside t/bin/testenv, on a database of its own.
use strict;
use warnings;
use utf8;
use Test::More;
use File::Temp qw(tempdir);
use IPC::Run qw(run start timeout);
use Encode qw(decode);
use Time::HiRes qw(sleep time);
use Certhall::ToolDb;

my $root = $ENV{TEST_NGINX_REPO};
my $host = $ENV{PGHOST};
my $admin = $ENV{TEST_NGINX_ADMIN_CGI};
plan skip_all => 'run inside t/bin/testenv' unless $root && $host && $admin;
-x $admin or BAIL_OUT("$admin is not built: make build/certhall-admin");

binmode $_, ':encoding(UTF-8)' for \*STDOUT, \*STDERR, Test::More->builder->output,
    Test::More->builder->failure_output, Test::More->builder->todo_output;

delete @ENV{qw(GATEWAY_INTERFACE CERTHALL_ADMIN_CONF)};

my $db = tool_db('auto_confirm_test');
# a backend whose client is gone ends at once, even while it waits for a
# lock (the killed run below), instead of finishing the batch for nobody
psql("ALTER DATABASE $db SET client_connection_check_interval = '100ms'", 'postgres', 'postgres');

my $conf = tempdir(CLEANUP => 1) . '/admin.conf';
{
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh "db = host=$host dbname=$db user=certhall connect_timeout=5\n";
    close $fh or die;
}

# Orders of one account, shipped p_days_ago days ago (at this time of day,
# minus p_n seconds so that they are claimed in their numbers' order
# reversed), through order_transition() as the back office would.
my $setup = q{
    CREATE FUNCTION pg_temp.account(p_phone text) RETURNS bigint
    LANGUAGE sql AS $$
        INSERT INTO accounts (phone, realname_status, realname_name, realname_id_masked, realname_verified_at)
        VALUES (p_phone, 'verified', '测试', '1101**********002X', now())
        ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id
    $$;
    CREATE FUNCTION pg_temp.shipped(p_phone text, p_first integer, p_count integer, p_days_ago integer)
    RETURNS integer
    LANGUAGE plpgsql AS $$
    DECLARE
        v_acct bigint := pg_temp.account(p_phone);
        v_id   text;
    BEGIN
        FOR n IN p_first .. p_first + p_count - 1 LOOP
            v_id := 'UO202601010900' || lpad(n::text, 6, '0');
            PERFORM pg_temp.shipped_order(v_id, v_acct, now() - interval '100 days');
            PERFORM set_config('certhall.transition_order', v_id, true);
            UPDATE orders SET state_entered_at = now() - make_interval(days => p_days_ago)
                                                 - make_interval(secs => n)
             WHERE id = v_id;
            PERFORM set_config('certhall.transition_order', '', true);
        END LOOP;
        RETURN p_count;
    END
    $$;
};

# with t/sql/lib/fixtures.sql's functions (pg_temp), in the same session
sub shipped {
    my ($phone, $first, $count, $days_ago) = @_;
    my ($out, $err) = ('', '');
    run ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $host, '-U', 'certhall', '-d', $db,
         '-f', "$root/t/sql/lib/fixtures.sql",
         '-c', $setup . "SELECT pg_temp.shipped('$phone', $first, $count, $days_ago)"],
        \undef, \$out, \$err
        or die "psql: making the shipped orders: $err";
}

sub id { sprintf 'UO202601010900%06d', $_[0] }

sub command {
    my ($out, $err) = ('', '');
    run [$admin, 'auto-confirm', @_], \undef, \$out, \$err, timeout(120);
    return ($? >> 8, decode('UTF-8', $out), decode('UTF-8', $err));
}

# the last run in job_runs: "status done failed message"
sub last_run {
    psql(q{SELECT concat_ws(' ', status, coalesce(done::text, '-'), coalesce(failed::text, '-'),
                            coalesce(message, '-'))
           FROM job_runs WHERE job = 'auto-confirm' ORDER BY id DESC LIMIT 1});
}

# "state:system events:automatic messages" of the orders first .. last,
# counted: "pending_invoice:1:1 x3, shipped:0:0 x1"
sub states {
    my ($first, $last) = @_;
    psql(sprintf q{
        SELECT string_agg(s || ' x' || c, ', ' ORDER BY s) FROM (
            SELECT o.state || ':' ||
                   (SELECT count(*) FROM order_events e WHERE e.order_id = o.id AND e.actor_kind = 'system')
                   || ':' ||
                   (SELECT count(*) FROM messages m WHERE m.order_id = o.id AND m.title = '已自动确认收货') AS s,
                   count(*) AS c
            FROM orders o WHERE o.id BETWEEN '%s' AND '%s' GROUP BY 1) x}, id($first), id($last));
}

# waits (bounded) until the query answers 't', feeding the holder (IPC::Run
# writes a child's input only while pumped)
my @pumped;
sub wait_for {
    my ($sql, $what) = @_;
    my $until = time + 30;
    while (time < $until) {
        $_->pump_nb for grep { $_->pumpable } @pumped;
        return 1 if psql($sql) eq 't';
        sleep 0.05;
    }
    diag "gave up waiting for $what";
    return 0;
}

# A second connection holding locks until release(): a transaction that
# ran $sql and stays open.
sub hold {
    my ($sql) = @_;
    my ($in, $out, $err) = ("BEGIN;\n$sql;\n", '', '');
    local $ENV{PGAPPNAME} = 'auto-confirm-holder';
    my $h = start ['psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', $host, '-U', 'certhall',
                   '-d', $db], \$in, \$out, \$err, timeout(120);
    @pumped = ($h);
    wait_for(q{SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'auto-confirm-holder'
                              AND state = 'idle in transaction')}, 'the holder')
        or die "the holder: $err";
    return { h => $h, in => \$in };
}

sub release {
    my ($holder) = @_;
    ${ $holder->{in} } .= "ROLLBACK;\n";
    @pumped = ();
    $holder->{h}->finish;
}

# === nothing due ================================================================

my ($rc, $out, $err) = command('-c', $conf);
is $rc, 0, 'nothing shipped: exit 0' or diag $err;
is $out, "auto-confirm: 0 done, 0 failed\n", 'and it says so';
is last_run(), 'ok 0 0 -', 'the run is in job_runs';

# === 30 days and 29 ===============================================================

shipped('13700000201', 1, 3, 30);
shipped('13700000201', 4, 1, 29);
($rc, $out, $err) = command('-c', $conf);
is $rc, 0, 'three orders due: exit 0' or diag $err;
is $out, "auto-confirm: 3 done, 0 failed\n", 'three moved';
is $err, '', 'nothing on stderr';
is last_run(), 'ok 3 0 -', 'job_runs: ok, 3 done';
is states(1, 3), 'pending_invoice:1:1 x3',
    'shipped 30 days ago: 待开票, one event by the system, one message each';
is states(4, 4), 'shipped:0:0 x1', 'shipped 29 days ago: still 待收货';
is psql(q{SELECT string_agg(DISTINCT coalesce(actor_id::text, 'none') || ' ' || reason, ';')
          FROM order_events WHERE actor_kind = 'system' AND order_id BETWEEN '} . id(1) . "' AND '" . id(3) . "'"),
    'none 寄出满30天未确认收货，系统自动确认', 'the event: no actor id, the reason with the period';
is psql(q{SELECT body FROM messages WHERE title = '已自动确认收货' AND order_id = '} . id(1) . "'"),
    '您的订单' . id(1) . '的证书寄出后未确认收货，已到自动确认收货的日期，系统已自动确认收货，电子发票将自动开出。',
    'the message tells the applicant';

($rc, $out) = command('-c', $conf);
is "$rc $out", "0 auto-confirm: 0 done, 0 failed\n", 'run again: nothing more (each order once)';

# === two runs at once, one order held by another session ===========================

shipped('13700000202', 101, 130, 31);
my $holder = hold("SELECT id FROM orders WHERE id = '" . id(150) . "' FOR UPDATE");
my @runs = map {
    my %r = (out => '', err => '');
    $r{h} = start [$admin, 'auto-confirm', '-c', $conf], \undef, \$r{out}, \$r{err}, timeout(120);
    \%r;
} 1 .. 2;
my $done = 0;
for my $r (@runs) {
    $r->{h}->finish;
    like $r->{out}, qr/^auto-confirm: (\d+) done, 0 failed\n\z/, 'a run ends without waiting for the held row'
        or diag $r->{err};
    $done += $1 if $r->{out} =~ /(\d+) done/;
}
is $done, 129, 'the two runs moved the 129 orders not held, between them';
is states(101, 230), 'pending_invoice:1:1 x129, shipped:0:0 x1',
    'each exactly once; the held one is still shipped';
release($holder);
($rc, $out) = command('-c', $conf);
is "$rc $out", "0 auto-confirm: 1 done, 0 failed\n", 'released, the next run moves it';

# === killed midway ===================================================================

# two orders of one account, then one of another whose account row is held:
# the batch moves the first two, then waits in the third's message (its
# foreign key to the account), half-way through it; then it is killed
shipped('13700000203', 401, 2, 40);
shipped('13700000204', 403, 1, 35);
$holder = hold(q{SELECT id FROM accounts WHERE phone = '13700000204' FOR UPDATE});
my %run = (out => '', err => '');
$run{h} = start [$admin, 'auto-confirm', '-c', $conf], \undef, \$run{out}, \$run{err}, timeout(120);
ok wait_for(q{SELECT EXISTS (SELECT FROM pg_stat_activity WHERE wait_event_type = 'Lock'
                             AND query LIKE '%admin.auto_confirm%')}),
    'the run waits in the third order of its batch';
is psql(q{SELECT count(*) FROM order_events e JOIN orders o ON o.id = e.order_id
          WHERE e.actor_kind = 'system' AND o.id BETWEEN '} . id(401) . "' AND '" . id(403) . "'"),
    0, 'nothing of its batch is seen by others meanwhile';
$run{h}->signal('KILL');
eval { $run{h}->finish };
ok wait_for(q{SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE '%admin.auto_confirm%'
                                 AND pid <> pg_backend_pid())}),
    'killed: its database session ends';
release($holder);
is states(401, 403), 'shipped:0:0 x3', 'no order of the batch is moved, not even half-way';
is last_run(), 'running - - -', 'job_runs: the killed run stays "running"';
($rc, $out) = command('-c', $conf);
is "$rc $out", "0 auto-confirm: 3 done, 0 failed\n", 'the next run moves all three';
is states(401, 403), 'pending_invoice:1:1 x3', 'once each';

# === an order that cannot move ======================================================

shipped('13700000205', 501, 3, 30);
# a trigger standing in for whatever may break one order's move
psql(q{CREATE FUNCTION public.t_auto_confirm_breaks() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF NEW.id = '} . id(502) . q{' AND NEW.state = 'pending_invoice' THEN
               RAISE EXCEPTION 'stuck order';
           END IF;
           RETURN NEW;
       END $$;
       CREATE TRIGGER t_auto_confirm_breaks BEFORE UPDATE ON orders
           FOR EACH ROW EXECUTE FUNCTION public.t_auto_confirm_breaks()});
($rc, $out, $err) = command('-c', $conf);
is $rc, 1, 'an order failed: exit 1';
is $out, "auto-confirm: 2 done, 1 failed\n", 'the others moved, the failure counted once';
is $err, 'auto-confirm: ' . id(502) . ": stuck order\n", 'stderr names it and why';
is last_run(), 'failed 2 1 ' . id(502) . ': stuck order', 'job_runs: failed, with the first failure';
is states(501, 503), 'pending_invoice:1:1 x2, shipped:0:0 x1', 'the failing order is left as it was';
psql('DROP TRIGGER t_auto_confirm_breaks ON orders; DROP FUNCTION public.t_auto_confirm_breaks()');

($rc, $out) = command('-c', $conf, '--once');
is "$rc $out", "0 auto-confirm: 1 done, 0 failed\n", '--once: one batch, and it moves now';

# === bad configuration =============================================================

($rc, $out, $err) = command('-c', "$conf.missing");
is $rc, 2, 'a missing configuration: exit 2';
like $err, qr/auto-confirm/, 'said on stderr';

psql("DROP DATABASE $db WITH (FORCE)", 'postgres', 'postgres');
done_testing;
