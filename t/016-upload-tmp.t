# The storage's tmp/ when a worker starts: the temporary files a worker
# left when it could not remove them (killed with SIGKILL during an
# upload) are removed, and nothing else: only the module's own names (32
# lower-case hex digits), only regular files, only those not written for
# over an hour (ngx_module/README.md, certhall_storage).  The files are
# planted before nginx starts; the worker removes them before it answers
# its first request, so a request first, then the check.
# Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Test::Nginx::Util qw($ServRoot);
use Certhall::Test;

no_shuffle();

our $Old = '0123456789abcdef0123456789abcdef';
our $Fresh = 'fedcba9876543210fedcba9876543210';

our $HttpConfig = hall_http_config()
    . "    certhall_storage \$TEST_NGINX_SERVER_ROOT/html/storage;\n";

our $Config = $API_LOCATION;

sub tmp { "$ServRoot/html/storage/tmp/" . shift }

run_tests();

__DATA__

=== TEST 1: a worker starts with left temporary files in tmp/
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files
>>> storage/tmp/0123456789abcdef0123456789abcdef 202001010000.00
half an upload, its worker killed
>>> storage/tmp/fedcba9876543210fedcba9876543210
an upload another worker is still writing
>>> storage/tmp/notes.txt 202001010000.00
not the module's
>>> storage/tmp/0123456789ABCDEF0123456789ABCDEF 202001010000.00
upper case: not the module's
>>> storage/tmp/0123456789abcdef0123456789abcdef0 202001010000.00
33 digits: not the module's
>>> storage/tmp/0123456789abcdef0123456789abcde 202001010000.00
31 digits: not the module's
>>> storage/01/0123456789abcdef0123456789abcdef 202001010000.00
not in tmp/
--- request
GET /api/health
--- error_code: 200
--- response_body: {"status":"ok","database":"ok"}
--- error_log eval
qr{\[notice\] .*certhall: stale temporary file ".*/html/storage/tmp/0123456789abcdef0123456789abcdef" removed: not written for over 3600 s, no upload's}
--- no_error_log
[crit]
[alert]



=== TEST 2: (the block before) only the old file of the module's name is gone
--- init
::ok(!-e ::tmp($::Old), 'the old temporary file is gone');
::ok(-f ::tmp($::Fresh), 'a recent one is kept: an upload may be writing it');
::ok(-f ::tmp($_), "$_ is kept: not the module's name")
    for 'notes.txt', uc($::Old), $::Old . "0", substr($::Old, 0, 31);
::ok(-f "$Test::Nginx::Util::ServRoot/html/storage/01/$::Old", 'a file outside tmp/ is kept');
--- request
GET /api/health
--- error_code: 200



=== TEST 3: a client_body_timeout longer than half an hour makes the bound twice that
--- http_config eval: $::HttpConfig
--- config eval: "    client_body_timeout 2h;\n$::Config"
--- user_files
>>> storage/tmp/0123456789abcdef0123456789abcdef 202001010000.00
half an upload, its worker killed
--- request
GET /api/health
--- error_code: 200
--- error_log eval
qr{certhall: stale temporary file ".*/html/storage/tmp/0123456789abcdef0123456789abcdef" removed: not written for over 14400 s}
