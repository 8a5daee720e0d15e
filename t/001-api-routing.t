# The /api/ router: known paths, unknown paths (404) and wrong methods
# (405 with Allow), all answered in the JSON error model of API.md.
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
    location /api/ {
        certhall;
    }
_EOC_
    }

    if (!defined $block->no_error_log) {
        $block->set_value("no_error_log", "[error]\n[alert]\n[emerg]");
    }
});

run_tests();

__DATA__

=== TEST 1: a known path answers JSON
--- request
GET /api/health
--- response_headers
Content-Type: application/json; charset=utf-8
Content-Length: 31
Cache-Control: no-store
X-Content-Type-Options: nosniff
--- response_body chomp
{"status":"ok","database":"ok"}
--- error_code: 200



=== TEST 2: HEAD of a known path has the headers and no body
--- request
HEAD /api/health
--- response_headers
Content-Type: application/json; charset=utf-8
--- response_body
--- error_code: 200



=== TEST 3: an unknown path is 404 in the JSON error model
--- request
GET /api/no-such-thing
--- response_headers
Content-Type: application/json; charset=utf-8
Cache-Control: no-store
!Allow
--- response_body chomp
{"error":{"code":"not_found","message":"请求的接口不存在"}}
--- error_code: 404



=== TEST 4: paths match whole: a trailing slash or a longer name is unknown
--- request eval
["GET /api/health/", "GET /api/healthz", "GET /api/healt", "GET /api/health/x"]
--- error_code eval
[404, 404, 404, 404]
--- response_body eval
[(qq({"error":{"code":"not_found","message":"请求的接口不存在"}})) x 4]



=== TEST 5: a wrong method on a known path is 405 with Allow
--- request
POST /api/health
--- response_headers
Allow: GET, HEAD
Content-Type: application/json; charset=utf-8
--- response_body chomp
{"error":{"code":"method_not_allowed","message":"该接口不支持此请求方法"}}
--- error_code: 405



=== TEST 6: every other method is refused the same way
--- request eval
["DELETE /api/health", "PUT /api/health", "OPTIONS /api/health"]
--- error_code eval
[405, 405, 405]
--- response_body_like eval
[qr/"code":"method_not_allowed"/, qr/"code":"method_not_allowed"/, qr/"code":"method_not_allowed"/]



=== TEST 7: the router sees the decoded, normalised path
--- request eval
["GET /api/%68ealth", "GET /api/x/../health", "GET /api//health"]
--- error_code eval
[200, 200, 200]



=== TEST 8: a refused request's body is read and dropped, so keep-alive goes on
--- pipelined_requests eval
["POST /api/no-such-thing\nhello world", "GET /api/health"]
--- response_body eval
[qq({"error":{"code":"not_found","message":"请求的接口不存在"}}), qq({"status":"ok","database":"ok"})]
--- error_code eval
[404, 200]



=== TEST 9: a chunked body on a wrong method is dropped too
--- raw_request eval
"POST /api/health HTTP/1.1\r
Host: localhost\r
Transfer-Encoding: chunked\r
Connection: close\r
\r
5\r
hello\r
0\r
\r
"
--- error_code: 405
--- response_body chomp
{"error":{"code":"method_not_allowed","message":"该接口不支持此请求方法"}}



=== TEST 10: paths outside the certhall location are not the module's
--- user_files
>>> health
static
--- request
GET /health
--- response_body
static
