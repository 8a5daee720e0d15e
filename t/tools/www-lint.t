# The website's one lint (the rest of what t/003 once read in the sources
# is now tested in the browser, t/browser/): no markup is ever built from
# strings, and no page carries code of its own.
#
#  - every script under www/js (listed from the folder, the vendored ones
#    included): no innerHTML, outerHTML, insertAdjacentHTML or
#    document.write(ln) -- the pages build their elements with the DOM and
#    put text in as text, so data can never become markup;
#  - every page www/*.html and every part the pages include (www/_inc/,
#    nginx SSI): no inline <script> (a script is a file, with
#    src= and nothing inside), no on*= event-handler attribute, no
#    javascript: address, no style= attribute -- what lets the hall's
#    Content-Security-Policy (default-src 'self') hold;
#  - every page's form markup: every field has a <label for>, every id an
#    aria-* attribute names exists, and no id is used twice -- what makes
#    the error texts (aria-describedby) reach a screen reader (axe-core
#    checks the same in the browser, but only on the pages and states the
#    journeys reach).
#
# Comments do not count (a comment may say "never innerHTML"). A finding
# names the file and the line.
use strict;
use warnings;
use utf8;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Find qw(find);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $root = $ENV{TEST_NGINX_REPO} // abs_path(dirname(__FILE__) . '/../..');
my $www = "$root/www";

sub slurp {
    my $f = shift;
    open my $fh, '<:encoding(UTF-8)', $f or die "$f: $!";
    local $/;
    return scalar <$fh>;
}

# the line of an offset
sub line_at {
    my ($text, $pos) = @_;
    return 1 + (() = substr($text, 0, $pos) =~ /\n/g);
}

# comments blanked out (their newlines kept, so lines still count): /* */
# and // to the end of the line when // begins it or follows a space (not
# the // of an address in a string, 'http://...')
sub js_code {
    my $s = shift;
    $s =~ s{/\*.*?\*/}{ (my $c = $&) =~ s/[^\n]//g; $c }gse;
    $s =~ s{(^|[ \t])//[^\n]*}{$1}gm;
    return $s;
}

sub html_code {
    my $s = shift;
    $s =~ s{<!--.*?-->}{ (my $c = $&) =~ s/[^\n]//g; $c }gse;
    return $s;
}

# [what, regex] for the scripts and for the pages
my @JS_RULES = (
    ['innerHTML',          qr/\binnerHTML\b/],
    ['outerHTML',          qr/\bouterHTML\b/],
    ['insertAdjacentHTML', qr/\binsertAdjacentHTML\b/],
    ['document.write',     qr/\bdocument\s*\.\s*write(?:ln)?\b/],
);
my @HTML_RULES = (
    ['a <script> without src',        qr/<script\b(?![^>]*\ssrc\s*=)[^>]*>/i],
    ['code inside a <script> tag',    qr/<script\b[^>]*>[^<]*\S[^<]*<\/script/i],
    ['an event-handler attribute',    qr/<[a-z][^>]*\son[a-z]+\s*=/i],
    ['a javascript: address',         qr/javascript:/i],
    ['a style attribute',             qr/<[a-z][^>]*\sstyle\s*=/i],
);

sub findings {
    my ($text, $rules) = @_;
    my @found;
    for my $r (@$rules) {
        my ($what, $re) = @$r;
        while ($text =~ /$re/g) {
            push @found, sprintf('line %d: %s', line_at($text, $-[0]), $what);
        }
    }
    return @found;
}

my @scripts;
find({ no_chdir => 1, wanted => sub { push @scripts, $_ if -f && /\.m?js\z/ } }, "$www/js");
@scripts = sort @scripts;
# the pages and the parts nginx includes in them (SSI, www/_inc/)
my @pages;
find({ no_chdir => 1, wanted => sub {
    $File::Find::prune = 1 if -d && m{\A\Q$www\E/(?:js|samples)\z};
    push @pages, $_ if -f && /\.html\z/;
} }, $www);
@pages = sort @pages;

ok(@scripts >= 10, 'www/js has the site\'s scripts (' . scalar(@scripts) . ')');
ok(@pages >= 10, 'www has the site\'s pages (' . scalar(@pages) . ')');

for my $f (@scripts) {
    my @found = findings(js_code(slurp($f)), \@JS_RULES);
    (my $name = $f) =~ s{\A\Q$www\E/}{};
    is("@{[ map { qq{\n  $_} } @found ]}", '', "$name builds no markup from strings");
}
for my $f (@pages) {
    my @found = findings(html_code(slurp($f)), \@HTML_RULES);
    (my $name = $f) =~ s{\A\Q$www\E/}{};
    is("@{[ map { qq{\n  $_} } @found ]}", '', "$name has no inline code or style");
}

# the forms' markup, page by page (the parts in www/_inc/ hold no form)
for my $f (grep { !m{/_inc/} } @pages) {
    my $html = html_code(slurp($f));
    (my $name = $f) =~ s{\A\Q$www\E/}{};
    my (%ids, @dups);
    for my $id ($html =~ /\sid="([^"]+)"/g) {
        push @dups, $id if $ids{$id}++;
    }
    is("@dups", '', "$name - ids are unique");
    my %labelled = map { $_ => 1 } $html =~ /<label\b[^>]*\bfor="([^"]+)"/g;
    for my $input ($html =~ /(<(?:input|select|textarea)\b[^>]*>)/g) {
        next if $input =~ /\btype="(?:hidden|submit|button)"/;
        my ($fname) = $input =~ /\bname="([^"]*)"/;
        my ($id) = $input =~ /\bid="([^"]*)"/;
        ok(defined $id && $labelled{$id},
           "$name - field " . ($fname // '?') . " has a label");
    }
    for my $ref ($html =~ /\saria-(?:describedby|labelledby|controls)="([^"]*)"/g) {
        for my $id (split ' ', $ref) {
            ok($ids{$id}, "$name - aria reference $id exists");
        }
    }
}

done_testing();
