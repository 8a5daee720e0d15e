# Password hashing runs in nginx's thread pool: a burst of logins, each
# costing a long PBKDF2, does not hold up other requests of the worker.
# The check is an order, not a time: /api/health is sent after the logins
# are under way and must be answered while none of them is (with the hash
# in the event loop, the worker could answer nothing until a hash ended).
# Runs inside t/bin/testenv.
#
# Not under valgrind: it runs one thread at a time, so the hashing threads
# hold the event loop's thread back whatever the module does (the thread
# pool code itself runs under valgrind in t/005-accounts.t's logins).
BEGIN {
    if ($ENV{TEST_NGINX_USE_VALGRIND}) {
        print "1..0 # SKIP valgrind runs the threads one at a time\n";
        exit 0;
    }
}
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use POSIX ();
use Time::HiRes qw(time sleep);
use File::Temp qw(tempdir);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);

# about half a second of CPU per hash
our $Iterations = 3_000_000;
our $Logins = 4;

# Sends the logins from children that write "status end-time" when answered.
our @Children;

# how many lines of error.log match $re past byte $from
sub log_count {
    my ($re, $from) = @_;
    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or return 0;
    seek $fh, $from, 0;
    return scalar grep { $_ =~ $re } <$fh>;
}

sub start_logins {
    my $from = -s $Test::Nginx::Util::ErrLogFile // 0;
    # loaded once here, not by each child before its login: the logins go
    # out close together, well within a hash's half second
    require HTTP::Tiny;
    for my $i (1 .. $Logins) {
        my $pid = fork // die "fork: $!";
        if ($pid) {
            push @Children, $pid;
            next;
        }
        my ($st) = api_request('POST', '/api/session',
                               "phone=1370000100$i&password=wrong1234");
        open my $fh, '>', "$Dir/login$i" or POSIX::_exit(1);
        printf $fh "%d %.6f\n", $st, time;
        close $fh;
        POSIX::_exit(0);
    }
    # The logins are read, their hash lookups answered, the hashes begun:
    # the module logs each hash it hands to the thread pool (debug), which
    # is waited for, bounded (30 s), however slow the machine.
    for (1 .. 1500) {
        return if log_count(qr/certhall password: check in the thread pool/, $from) >= $Logins;
        sleep 0.02;
    }
    die "the $Logins logins' hashes did not reach the thread pool in 30 s\n";
}

sub finish_logins {
    my $since = shift;
    # nginx is a child too: only the logins are waited for
    waitpid($_, 0) for splice @Children;
    for my $i (1 .. $Logins) {
        open my $fh, '<', "$Dir/login$i" or die "login $i wrote nothing\n";
        my ($st, $at) = split ' ', scalar <$fh>;
        is($st, 401, "login $i was answered, as an unknown phone");
        cmp_ok($at, '>', $since, "login $i was answered after /api/health");
    }
}

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", hall_http_config(iterations => $Iterations));
    }
});

run_tests();

__DATA__

=== TEST 1: health answers while the logins' hashes are computed
--- config
    location /api/ {
        certhall;
    }
--- init
::reset_accounts();
::start_logins();
--- request
GET /api/health
--- error_code: 200
--- response_body chomp
{"status":"ok","database":"ok"}



=== TEST 2: ... and every login was still under way when it had
--- init
# Time::HiRes's: the package the runner evaluates this in may have the
# builtin, whole seconds
::finish_logins($::health_done = Time::HiRes::time());
--- request
GET /api/health
--- error_code: 200
