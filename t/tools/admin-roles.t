# The back office's role labels (admin/roles.c, the one table of them in
# admin/) are the database's (staff_roles, the roles staff can be given):
# the same codes, in the same order, with the same names.  A role added or
# renamed on one side only fails here.
# Runs inside t/bin/testenv, reading its migrated database (no writes).
use strict;
use warnings;
use utf8;
use Test::More;
use IPC::Run qw(run);
use Encode qw(decode);

my $root = $ENV{TEST_NGINX_REPO};
plan skip_all => 'run inside t/bin/testenv'
    unless $root && $ENV{PGHOST} && $ENV{PGDATABASE};

binmode $_, ':encoding(UTF-8)' for \*STDOUT, \*STDERR, Test::More->builder->output,
    Test::More->builder->failure_output, Test::More->builder->todo_output;

# the table's rows, { "code", "label" }, as the C source writes them
open my $fh, '<:encoding(UTF-8)', "$root/admin/roles.c" or die "roles.c: $!";
my $c = do { local $/; <$fh> };
close $fh;
my ($table) = $c =~ /admin_roles\[\]\s*=\s*\{(.*?)\n\};/s
    or BAIL_OUT('admin/roles.c: no admin_roles[] table');
my @c_roles = map { /\{\s*"([^"]*)"\s*,\s*"([^"]*)"\s*\}/ ? "$1|$2" : () }
              split /\n/, $table;

my ($out, $err) = ('', '');
run ['psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c',
     q{SELECT code || '|' || name FROM staff_roles ORDER BY sort_order, code}],
    \undef, \$out, \$err
    or BAIL_OUT("psql: $err");
my @sql_roles = split /\n/, decode('UTF-8', $out);

ok @c_roles >= 4, 'admin/roles.c has its roles (' . scalar(@c_roles) . ')';
is_deeply \@c_roles, \@sql_roles,
    'admin/roles.c and staff_roles: the same codes, order and labels';

done_testing;
