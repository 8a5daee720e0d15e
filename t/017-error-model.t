# The error model holds where the module itself fails: an answer it cannot
# make is 500 internal_error in JSON (ngx_http_certhall_internal_error()),
# never nginx's HTML error page.  The failure provoked here is a
# configuration whose QR payload is too long to sign: the real-name request
# is made, its answer cannot be.  And a path with a route per method names
# every method in its 405.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use File::Temp qw(tempdir);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
our $SecretFile = secret_file($Dir);

our $Alice = '13800000001';

# certhall_realname_app_id takes up to 512 characters; the string the hall
# signs (app_id, request_id, timestamp) must fit in 512
our $LongAppId = 'a' x 500;

our $HttpConfig = qq{    certhall_db "$DB";\n}
                . "    certhall_password_iterations 1000;\n"
                . "    certhall_realname_secret $SecretFile;\n"
                . "    certhall_realname_app_id $LongAppId;\n"
                . "    certhall_realname_url https://realname.example/scan;\n";
our $ApiLocation = $API_LOCATION;

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);
    }
});

sub logged_in {
    return "$FORM\nCookie: certhall_session=" . session_token(1)
           . "\nX-CSRF-Token: " . csrf_token(1);
}

run_tests();

__DATA__

=== TEST 1: an answer the module cannot make is 500 internal_error in JSON, not nginx's page
--- config eval: $::ApiLocation
--- init
::reset_accounts();
::make_account($::Alice, 'alice123');
::make_session($::Alice, 1);
--- more_headers eval: ::logged_in()
--- request
POST /api/me/realname
name=%E5%BC%A0%E4%B8%89&id_number=11010519491231002X
--- error_code: 500
--- response_headers
Content-Type: application/json; charset=utf-8
Cache-Control: no-store
--- response_body_like eval
::error_re('internal_error', undef, '服务器内部错误，请稍后再试')
--- error_log
no QR payload for request RN



=== TEST 2: a path with a route per method (POST login, DELETE logout) names both in its 405
--- config eval: $::ApiLocation
--- request
GET /api/session
--- error_code: 405
--- response_headers
Allow: POST, DELETE
Content-Type: application/json; charset=utf-8
--- response_body chomp
{"error":{"code":"method_not_allowed","message":"该接口不支持此请求方法"}}
