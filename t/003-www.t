# The public website's pages as nginx serves them from www/.
use Test::Nginx::Socket 'no_plan';

no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    certhall_db "host=$TEST_NGINX_PG_HOST dbname=$TEST_NGINX_PG_DATABASE user=$TEST_NGINX_PG_USER";
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    # the runner's own "location /" serves its servroot, as the real
    # Test::Nginx's does, so the website's paths are named one by one
    location = / {
        root $TEST_NGINX_REPO/www;
        try_files /index.html =404;
    }
    location /js/ {
        root $TEST_NGINX_REPO/www;
    }
    location /css/ {
        root $TEST_NGINX_REPO/www;
    }
    location /api/ {
        certhall;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: / is the hall's home page with the four services
--- request
GET /
--- error_code: 200
--- response_body_like chomp
(?s)<title>在线服务厅.*证书新办.*证书延期.*证书解锁.*证书补办.*<script src="/js/status.js">
--- no_error_log
[error]



=== TEST 2: the page's script and style are served
--- request eval
["GET /js/status.js", "GET /css/site.css"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr{fetch\('/api/health'}, qr{\.services}]



=== TEST 3: the API the page calls answers beside it
--- request
GET /api/health
--- response_body chomp
{"status":"ok","database":"ok"}
