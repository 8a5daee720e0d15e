# The public website's pages as nginx serves them from www/.
use Test::Nginx::Socket 'no_plan';
use Certhall::Www;

no_shuffle();

# Every page of the site, found in www/ (so a new page gets the checks that
# hold for all of them without being listed here).
our $www_dir = www_dir();
our @PAGES = www_pages();

# The examples of the materials (查看示例): every path the migrations give
# material_kinds.sample_path, and every file in www/samples/.
our @SAMPLES = do {
    my $dir = "$www_dir/../sql/migrations";
    my %seen;
    for my $f (glob "$dir/*.sql") {
        open my $fh, '<:encoding(UTF-8)', $f or die "$f: $!";
        my $sql = do { local $/; <$fh> };
        $seen{$1}++ while $sql =~ m{'(/samples/[^']+)'}g;
    }
    opendir my $dh, "$www_dir/samples" or die "$www_dir/samples: $!";
    $seen{"/samples/$_"}++ for grep { /\.svg\z/ } readdir $dh;
    sort keys %seen;
};

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    certhall_db "host=$TEST_NGINX_PG_HOST dbname=$TEST_NGINX_PG_DATABASE user=$TEST_NGINX_PG_USER";
    include /etc/nginx/mime.types;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", $WWW_LOCATIONS . <<'_EOC_');
    location /api/ {
        certhall;
    }
_EOC_
    }
});

run_tests();

__DATA__

=== TEST 1: every page is served as HTML in UTF-8, the home page at /
--- request eval
["GET /", map { "GET $_" } @main::PAGES]
--- error_code eval
[(200) x (1 + @main::PAGES)]
--- response_headers eval
[("Content-Type: text/html; charset=utf-8") x (1 + @main::PAGES)]
--- response_body_like eval
[(qr{\A<!DOCTYPE html>\n<html lang="zh-CN">}) x (1 + @main::PAGES)]
--- no_error_log
[error]



=== TEST 2: every script of www/js is served as JavaScript in UTF-8
--- request eval
[map { "GET $_" } Certhall::Www::www_files('js', qr/\.m?js\z/)]
--- error_code eval
[(200) x (() = Certhall::Www::www_files('js', qr/\.m?js\z/))]
--- response_headers eval
[("Content-Type: application/javascript; charset=utf-8") x (() = Certhall::Www::www_files('js', qr/\.m?js\z/))]
--- no_error_log
[error]



=== TEST 3: every stylesheet is served as CSS in UTF-8
--- request eval
[map { "GET $_" } Certhall::Www::www_files('css', qr/\.css\z/)]
--- error_code eval
[(200) x (() = Certhall::Www::www_files('css', qr/\.css\z/))]
--- response_headers eval
[("Content-Type: text/css; charset=utf-8") x (() = Certhall::Www::www_files('css', qr/\.css\z/))]



=== TEST 4: the API the pages call answers beside them
--- request
GET /api/health
--- response_body chomp
{"status":"ok","database":"ok"}



=== TEST 5: the vendored QR encoder is served with its licence, and named in the vendor README
--- request eval
["GET /js/vendor/qrcode-generator/qrcode.js",
 "GET /js/vendor/qrcode-generator/LICENSE",
 "GET /js/vendor/README.md"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr{(?s)\A//-+\n//\n// QR Code Generator for JavaScript\n//\n// Copyright \(c\) 2009 Kazuhiko Arase\n.*// Licensed under the MIT license},
 qr{(?s)Copyright \(c\) 2009 Kazuhiko Arase.*Permission is hereby granted, free of charge},
 qr{\| `qrcode-generator/qrcode\.js` \| qrcode-generator \(Kazuhiko Arase\) \| 2\.0\.4 \| MIT}]



=== TEST 6: every example (查看示例) is served as an SVG image watermarked 示例, with no script and no valid ID number
--- request eval
[map { "GET $_" } @main::SAMPLES]
--- error_code eval
[(200) x @main::SAMPLES]
--- response_headers eval
[("Content-Type: image/svg+xml") x @main::SAMPLES]
--- response_body_like eval
[(qr{(?s)\A<svg xmlns="http://www\.w3\.org/2000/svg"[^>]*role="img" aria-label="[^"]*示例[^"]*">.*>示例</text>.*示例 · 仅供参考}) x @main::SAMPLES]
--- response_body_unlike eval
[(qr{(?i)<script|\son[a-z]+\s*=|javascript:|<foreignObject|(?:href|src)\s*=\s*"(?!#)|(?<![0-9])(?!000000)[1-9][0-9]{16}[0-9X](?![0-9])}) x @main::SAMPLES]
