# The storage's tmp/ since the module's temporary files are nginx's own
# (ngx_create_temp_file, issue 15): nginx makes tmp/ itself when it starts,
# and a worker's start removes the stale files of nginx's temporary names
# (ten digits) as it does those of the names the module made before (32
# lower-case hex digits, t/016-upload-tmp.t), and nothing else
# (ngx_module/README.md, certhall_storage).  The files are planted before
# nginx starts; the worker removes them before it answers its first
# request, so a request first, then the check.
# Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;

no_shuffle();

# a stale file of nginx's temporary name, and one an upload may be writing
our ($Old, $Fresh) = ('0000000042', '0000000043');
our $Storage = "    certhall_storage \$TEST_NGINX_SERVER_ROOT/html/storage;\n";

sub tmp { "$Test::Nginx::Util::ServRoot/html/storage/tmp/" . shift }

run_tests();

__DATA__

=== TEST 1: a worker starts with left temporary files of nginx's names in tmp/
--- http_config eval: ::hall_http_config() . $::Storage
--- config eval: $::API_LOCATION
--- user_files
>>> storage/tmp/0000000042 202001010000.00
half an upload, its worker killed
>>> storage/tmp/0000000043
an upload another worker is still writing
>>> storage/tmp/000000004 202001010000.00
nine digits: not the module's
>>> storage/tmp/00000000420 202001010000.00
eleven digits: not the module's
>>> storage/tmp/000000004a 202001010000.00
not only digits: not the module's
>>> storage/tmp/0000000042.tmp 202001010000.00
a suffix: not the module's
--- request
GET /api/health
--- error_code: 200
--- no_error_log
[crit]
[alert]
--- error_log eval
qr{\[notice\] .*certhall: stale temporary file ".*/html/storage/tmp/0000000042" removed: not written for over 3600 s, no upload's}



=== TEST 2: (the block before) only the old file of nginx's name is gone
--- init
::ok(!-e ::tmp($::Old), 'the old temporary file is gone');
::ok(-f ::tmp($::Fresh), 'a recent one is kept: an upload may be writing it');
::ok(-f ::tmp($_), "$_ is kept: not the module's name")
    for '000000004', '00000000420', '000000004a', '0000000042.tmp';
--- request
GET /api/health
--- error_code: 200



=== TEST 3: nginx makes tmp/ itself, as it does its own temporary paths
--- http_config eval: ::hall_http_config() . $::Storage
--- config eval: $::API_LOCATION
--- user_files
>>> storage/README
a storage without tmp/
--- no_error_log
[crit]
[alert]
--- request
GET /api/health
--- response_body: {"status":"ok","database":"ok"}



=== TEST 4: (the block before) tmp/ is there
--- init
::ok(-d ::tmp(''), 'tmp/ was made');
--- request
GET /api/health
--- error_code: 200
