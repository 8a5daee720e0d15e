# The layout of sql/ (issue 15): migrations hold tables, types and data;
# every function, trigger and view is defined once, in sql/functions/.
# Reads the files only (no database).
use strict;
use warnings;
use Test::More;
use File::Basename qw(basename dirname);
use Cwd qw(abs_path);

my $root = $ENV{TEST_NGINX_REPO} // abs_path(dirname(__FILE__) . '/../..');

sub slurp {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

# the definitions in a file's text, outside comments and dollar-quoted
# bodies: CREATE [OR REPLACE] FUNCTION|PROCEDURE|TRIGGER|VIEW name
sub definitions {
    my ($text) = @_;
    $text =~ s/--[^\n]*//g;
    $text =~ s/\$([A-Za-z_]*)\$.*?\$\1\$//gs;
    my @found;
    while ($text =~ /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?
                     (FUNCTION|PROCEDURE|TRIGGER|(?:MATERIALIZED\s+)?VIEW)\s+([\w.]+)
                     (?:\s+\w+(?:\s+\w+)*?\s+ON\s+([\w.]+))?/gix) {
        my ($kind, $name, $table) = (lc $1, lc $2, $3);
        $kind = 'view' if $kind =~ /view/;
        $kind = 'function' if $kind eq 'procedure';
        $name = lc($table) . ".$name" if $kind eq 'trigger' && defined $table;
        push @found, "$kind $name";
    }
    return @found;
}

my @migrations = sort glob("$root/sql/migrations/[0-9][0-9][0-9][0-9]_*.sql");
my @functions = sort glob("$root/sql/functions/[0-9][0-9]_*.sql");
ok @migrations >= 12, 'the migrations are there';
ok @functions > 0, 'and the files of sql/functions';

for my $file (@migrations) {
    my @defs = definitions(slurp($file));
    is_deeply \@defs, [], basename($file) . ' defines no function, trigger or view'
        or diag join "\n", @defs;
}

my %where;
for my $file (@functions, "$root/sql/demo.sql") {
    push @{ $where{$_} }, basename($file) for definitions(slurp($file));
}
my @twice = grep { @{ $where{$_} } > 1 } sort keys %where;
is_deeply \@twice, [], 'no function, trigger or view is defined in two places'
    or diag join "\n", map { "$_: @{ $where{$_} }" } @twice;
cmp_ok scalar(keys %where), '>', 150, 'all ' . scalar(keys %where) . ' of them are found';

# a trigger comes after its function: earlier in its file or in an
# earlier file (the files load in name order)
my $before = '';
for my $file (@functions) {
    my $text = slurp($file);
    while ($text =~ /^CREATE OR REPLACE TRIGGER (\w+)[^;]*?EXECUTE FUNCTION ([\w.]+)\(/gms) {
        my ($trigger, $fn) = ($1, $2);
        ok index($before . substr($text, 0, $-[0]), "FUNCTION $fn(") >= 0,
           basename($file) . ": trigger $trigger comes after its function $fn";
    }
    $before .= $text;
}

for my $file (@functions) {
    my $lines = () = slurp($file) =~ /\n/g;
    cmp_ok $lines, '<=', 800, basename($file) . " has at most 800 lines ($lines)";
}

# The order's JSON and its parts are PL/pgSQL (issue 22, sql/README.md):
# as LANGUAGE sql with a SET clause they are planned again at every call,
# and GET /api/orders/{id} cost PostgreSQL 12 ms instead of under 1.
my $all = join '', map { slurp($_) } @functions;
for my $fn (qw(order_json order_actions order_materials_json material_json
               order_shipment_json order_auto_confirm_on order_agreements_json
               order_voucher order_payment_json order_alipay_attempts_json
               order_einvoice_json order_current_invoice order_open_invoice_request
               order_invoice_state order_invoice_editable order_invoice_requestable
               order_missing order_resubmit_missing order_rejection_json)) {
    my ($language) = $all =~ /^CREATE OR REPLACE FUNCTION \Q$fn\E\(.*?^LANGUAGE (\w+)/ms;
    is $language, 'plpgsql', "$fn is PL/pgSQL (its plans kept for the session)";
}

done_testing;
