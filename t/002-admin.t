# The back office through nginx, fcgiwrap and PostgreSQL: its pages, the
# security headers on every page, and what staff see when something is
# wrong behind it.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Admin;

no_shuffle();

our $AdminLocation = <<'_EOC_';
    location /admin/ {
        include $TEST_NGINX_REPO/conf/fastcgi_certhall.conf;
        fastcgi_param SCRIPT_FILENAME $TEST_NGINX_ADMIN_CGI;
        fastcgi_param CERTHALL_ADMIN_CONF $TEST_NGINX_ADMIN_CONF;
        fastcgi_pass unix:$TEST_NGINX_FCGI_SOCKET;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config) {
        $block->set_value("config", $AdminLocation);
    }

    if (!defined $block->response_headers) {
        $block->set_value("response_headers", <<'_EOH_');
Content-Type: text/html; charset=utf-8
Cache-Control: no-store
X-Content-Type-Options: nosniff
X-Frame-Options: DENY
Referrer-Policy: same-origin
Content-Security-Policy: default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'
_EOH_
    }
});

run_tests();

__DATA__

=== TEST 1: the status page shows the database and its schema version
--- init
::reset_accounts();
::reset_staff();
::make_staff('status-viewer', '状态查看', ['shipper']);
::staff_session('status-viewer', 9);
--- more_headers eval: ::staff_cookie(9)
--- request
GET /admin/status
--- error_code: 200
--- response_body_like chomp
(?s)<html lang="zh-CN">.*<dd id="db-status">已连接</dd>.*<dd id="schema-version">\d{4}_[a-z0-9_]+</dd>.*</html>
--- no_error_log
[error]



=== TEST 2: an unknown page is a 404 page
--- request
GET /admin/no-such-page
--- error_code: 404
--- response_body_like chomp
<p class="error" id="error">页面不存在。</p>



=== TEST 3: a page refuses a method it does not take
--- request
POST /admin/
x=1
--- error_code: 405
--- response_body_like chomp
不支持此请求方法



=== TEST 4: a missing configuration file is a 500 page and a logged reason
--- config
    location /admin/ {
        include $TEST_NGINX_REPO/conf/fastcgi_certhall.conf;
        fastcgi_param SCRIPT_FILENAME $TEST_NGINX_ADMIN_CGI;
        fastcgi_param CERTHALL_ADMIN_CONF /nonexistent/admin.conf;
        fastcgi_pass unix:$TEST_NGINX_FCGI_SOCKET;
    }
--- request
GET /admin/
--- error_code: 500
--- response_body_like chomp
后台配置错误
--- error_log
certhall-admin: configuration: /nonexistent/admin.conf: No such file or directory



=== TEST 5: a configuration error names its line
--- user_files
>>> bad-admin.conf
# written by the test
db = host=/nowhere
colour = blue
--- config
    location /admin/ {
        include $TEST_NGINX_REPO/conf/fastcgi_certhall.conf;
        fastcgi_param SCRIPT_FILENAME $TEST_NGINX_ADMIN_CGI;
        fastcgi_param CERTHALL_ADMIN_CONF $TEST_NGINX_SERVROOT/html/bad-admin.conf;
        fastcgi_pass unix:$TEST_NGINX_FCGI_SOCKET;
    }
--- request
GET /admin/
--- error_code: 500
--- error_log
bad-admin.conf:3: unknown setting



=== TEST 6: an unreachable database is a 503 page, not a crash
--- user_files
>>> down-admin.conf
db = host=/nonexistent-socket-dir dbname=certhall connect_timeout=2
--- config
    location /admin/ {
        include $TEST_NGINX_REPO/conf/fastcgi_certhall.conf;
        fastcgi_param SCRIPT_FILENAME $TEST_NGINX_ADMIN_CGI;
        fastcgi_param CERTHALL_ADMIN_CONF $TEST_NGINX_SERVROOT/html/down-admin.conf;
        fastcgi_pass unix:$TEST_NGINX_FCGI_SOCKET;
    }
--- more_headers eval: ::staff_cookie(9)
--- request
GET /admin/
--- error_code: 503
--- response_headers
Retry-After: 5
--- response_body_like chomp
数据库暂时不可用
--- error_log
certhall-admin: database:
