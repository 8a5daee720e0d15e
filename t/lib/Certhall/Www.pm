package Certhall::Www;

# What the website's suites share: the pages of www/ (every *.html, so a
# new page gets the checks that hold for all of them without being listed)
# and the nginx locations that serve the site as conf/nginx.conf.in does
# (the runner's own "location /" serves its servroot, as the real
# Test::Nginx's does, so the website's paths are named one by one; the
# pages' header and footer come from www/_inc/ by SSI, as in the real one).

use strict;
use warnings;

use Cwd qw(abs_path);
use Exporter 'import';
use File::Basename qw(dirname);

our @EXPORT = qw(www_dir www_pages www_read $WWW_LOCATIONS);

our $WWW_LOCATIONS = <<'_EOC_';
    charset utf-8;
    charset_types text/css application/javascript;
    location = / {
        root $TEST_NGINX_REPO/www;
        try_files /index.html =404;
        ssi on;
    }
    location ~ ^/[a-z0-9-]+\.html$ {
        root $TEST_NGINX_REPO/www;
        ssi on;
    }
    location /_inc/ {
        internal;
        root $TEST_NGINX_REPO/www;
        ssi on;
    }
    location /js/ {
        root $TEST_NGINX_REPO/www;
    }
    location /css/ {
        root $TEST_NGINX_REPO/www;
    }
    location /samples/ {
        root $TEST_NGINX_REPO/www;
    }
_EOC_

sub www_dir {
    return ($ENV{TEST_NGINX_REPO} // abs_path(dirname(__FILE__) . '/../../..')) . '/www';
}

# "/index.html", "/login.html", ... sorted
sub www_pages {
    my $dir = www_dir();
    opendir my $dh, $dir or die "$dir: $!";
    return map { "/$_" } sort grep { /\A[a-z0-9-]+\.html\z/ } readdir $dh;
}

# a file of www/ as text ("/order.html")
sub www_read {
    my $path = shift;
    my $file = www_dir() . $path;
    open my $fh, '<:encoding(UTF-8)', $file or die "$file: $!";
    return do { local $/; <$fh> };
}

# the files of a folder of www/ and below, as served ("/js/api.js",
# "/js/vendor/qrcode-generator/qrcode.js", ...) sorted; only names
# matching $re when given
sub www_files {
    my ($dir, $re) = @_;
    my $top = www_dir();
    my @out;
    my @todo = ($dir);
    while (defined(my $d = shift @todo)) {
        opendir my $dh, "$top/$d" or die "$top/$d: $!";
        for my $e (grep { !/\A\./ } readdir $dh) {
            if (-d "$top/$d/$e") {
                push @todo, "$d/$e";
            } elsif (!$re || $e =~ $re) {
                push @out, "/$d/$e";
            }
        }
    }
    return sort @out;
}

1;
