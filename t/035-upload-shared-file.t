# Two uploads of the same bytes share one stored file (storage/ab/<sha256>,
# content-addressed).  Upload A creates it; its row's statement waits (its
# order is locked by a transaction of psql's that cancels it); upload B of
# the same scan to another order finds the file there.  Then A's row is
# refused (the order cancelled) and A removes the file it created.  Before
# issue 21's fix B had committed its row by then, relying on A's file, and
# was left with a row without its file.  Now every upload holds its stored
# file under flock() until its row's statement ends (A LOCK_EX, B LOCK_SH),
# so B waits for A's outcome, finds the file gone and puts its own in.
#
# The interleaving is made with events, not times: A's statement is seen
# waiting for the lock in pg_stat_activity; the lock's holder commits only
# once B waits on the stored file's lock (a worker has it open: /proc) or,
# without the fix, once B's row is there.  B's scan must then come back byte for byte, A's
# refusal be clean (409 in the error model, no row, nothing in tmp/).
# Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Admin qw(order_at);
use Certhall::Upload;
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use POSIX qw(_exit);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
our $KeyFile = data_key_file($Dir);
our $Storage = "$Dir/storage";
mkdir $Storage or die "$Storage: $!";

reset_accounts();
our $Alice = '13800000035';
our $Bob = '13800000135';
make_account($Alice, 'secret-pass-1', verified => ['张三', '1101**********002X']);
make_account($Bob, 'secret-pass-2', verified => ['李四', '1101**********003X']);
make_session($Alice, 1);
make_session($Bob, 2);
our %O = (a => 'UO202612070000003501', b => 'UO202612070000003502');
order_at('draft', id => $O{a}, phone => $Alice);
order_at('draft', id => $O{b}, phone => $Bob);
our $Scan = scan($Dir, 'jpg', 'color', 800, 600);
our $Sha = sha256_hex($Scan);
our $Stored = stored_path($Storage, $Scan);
our $AResult = "$Dir/a.result";
our ($Holder, $Uploader);

# A's statement waits for the cancelling transaction far longer than the
# suite does: its time limit must not be what ends it
our $HttpConfig = hall_http_config(data_key => $KeyFile)
    . "    certhall_storage $Storage;\n"
    . "    certhall_db_pool_size 4;\n"
    . "    certhall_db_query_timeout 120s;\n";
our $Config = $API_LOCATION
    . "    location /_certhall/files/ {\n        internal;\n        alias $Storage/;\n    }\n";

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("http_config", $HttpConfig) unless defined $block->http_config;
    $block->set_value("config", $Config) unless defined $block->config;
});

sub auth {
    my $n = shift;
    return "Cookie: certhall_session=" . session_token($n) . "\nX-CSRF-Token: " . csrf_token($n);
}

# Waits, bounded (30 s), until the code returns true
sub wait_until {
    my ($what, $code) = @_;
    for (1 .. 1500) {
        return 1 if $code->();
        select undef, undef, undef, 0.02;
    }
    die "$what did not happen in 30 s\n";
}

sub sql_true { (sql_value(shift) // '') eq 't' }

# does a worker other than the creator's upload have the stored file open
# (B, waiting for its lock)?  A's own descriptor is its temporary file's,
# whose name is gone ("... (deleted)"); B opens the stored file by its name.
sub waits_on_stored_file {
    open my $pf, '<', $Test::Nginx::Util::PidFile or return 0;
    my $master = <$pf> // return 0;
    chomp $master;
    my @workers = ($master);    # without a master process, nginx itself
    if (open my $cf, '<', "/proc/$master/task/$master/children") {
        push @workers, split ' ', (<$cf> // '');
    }
    for my $w (@workers) {
        opendir my $dh, "/proc/$w/fd" or next;
        for my $fd (readdir $dh) {
            my $target = readlink "/proc/$w/fd/$fd";
            return 1 if defined $target && $target eq $Stored;
        }
    }
    return 0;
}

# Step 1: a psql session cancels A's order and holds the row's lock until
# B is waiting (or, without the fix, B's row is there); then it commits.
sub hold_order_until_b {
    my $account = sql_value("SELECT id FROM accounts WHERE phone = '$::Alice'");
    $Holder = fork // die "fork: $!";
    if ($Holder == 0) {
        open my $psql, '|-', 'PGAPPNAME=certhall-test-hold psql -X -q >/dev/null 2>&1'
            or _exit(1);
        select((select($psql), $| = 1)[0]);
        print $psql "BEGIN;\nSELECT order_transition('$::O{a}', 'cancelled', 'applicant', $account);\n";
        my $b_waits = 0;
        for (1 .. 3000) {
            if (waits_on_stored_file()
                || sql_true("SELECT count(*) > 0 FROM materials WHERE order_id = '$::O{b}'"))
            {
                $b_waits = 1;
                last;
            }
            select undef, undef, undef, 0.02;
        }
        # bounded: a suite that went wrong does not leave the lock behind
        print $psql "COMMIT;\n";
        close $psql;
        _exit($b_waits ? 0 : 2);
    }
    wait_until('the cancelling transaction', sub {
        sql_true("SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'certhall-test-hold'"
                 . " AND state = 'idle in transaction'")
    });
}

# Step 2: A uploads the scan to its order, from a process of its own; its
# answer is written to $AResult ("status\nbody") once it comes.
sub start_a {
    my $port = $Test::Nginx::Util::ServerPortForClient;
    $Uploader = fork // die "fork: $!";
    if ($Uploader == 0) {
        my %h;
        for (split /\n/, "$Certhall::Upload::MULTIPART\n" . auth(1)) {
            my ($k, $v) = split /:\s*/, $_, 2;
            $h{$k} = $v;
        }
        my $res = HTTP::Tiny->new(timeout => 120)->post(
            "http://127.0.0.1:$port/api/orders/$::O{a}/materials/legal_id_front",
            { headers => \%h, content => file_body($::Scan, 'a.jpg') });
        open my $fh, '>', "$AResult.part" or _exit(1);
        print $fh "$res->{status}\n$res->{content}";
        close $fh;
        rename "$AResult.part", $AResult;
        _exit(0);
    }
    # A's file is in place and its statement waits for the order's lock
    wait_until("A's row statement waiting for the lock", sub {
        -e $Stored
        && sql_true("SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    . " AND query LIKE '%material_put%'")
    });
}

END {
    for my $pid (grep { $_ } $Holder, $Uploader) {
        waitpid $pid, 0;
    }
}

run_tests();

__DATA__

=== TEST 1: B uploads the bytes A stored while A's row waits; A's row is then refused: B's upload is recorded
--- init
::hold_order_until_b();
::start_a();
--- more_headers eval
"$Certhall::Upload::MULTIPART\n" . ::auth(2)
--- request eval
"POST /api/orders/$::O{b}/materials/legal_id_front\n" . ::file_body($::Scan, 'b.jpg')
--- error_code: 201
--- response_body_like eval
qr/"sha256" : "$::Sha"/



=== TEST 2: A's refusal is clean: 409 in the error model, no row of A's, nothing in tmp/
--- init
::wait_until("A's answer", sub { -e $::AResult });
waitpid $::Holder, 0;
::is $? >> 8, 0, 'the lock was held until B waited on the stored file or had its row';
$::Holder = undef;
my ($status, $body) = split /\n/, ::slurp($::AResult), 2;
::is $status, 409, "A's upload to the cancelled order is refused";
::like $body, qr/^\{"error":\{"code":"[a-z_]+","message":"[^"]+"/, '... in the error model';
::is ::sql_value("SELECT state FROM orders WHERE id = '$::O{a}'"), 'cancelled', "A's order is cancelled";
::is ::sql_value("SELECT count(*) FROM materials WHERE order_id = '$::O{a}'"), 0, 'A has no row';
::is ::sql_value("SELECT count(*) FROM materials WHERE order_id = '$::O{b}' AND sha256 = '$::Sha'"), 1,
    'B has its row';
::is join(' ', ::tmp_files($::Storage)), '', 'nothing left in tmp/';
::is join(' ', ::storage_files($::Storage)), substr($::Sha, 0, 2) . "/$::Sha", 'one stored file, B\'s';
--- request
GET /api/health
--- error_code: 200



=== TEST 3: B's row has its file, byte for byte: Bob gets his scan back
--- more_headers eval: ::auth(2)
--- request eval
"GET /api/orders/$::O{b}/materials/legal_id_front"
--- error_code: 200
--- response_body eval: $::Scan
--- no_error_log
[crit]
