package Certhall::ToolDb;

# A database of its own for a t/tools suite that runs certhall-admin's
# commands (which would touch the other suites' rows in the test
# database): made afresh and migrated by tool_db(NAME) on t/bin/testenv's
# cluster, then read and written with psql(SQL) as the certhall role.

use strict;
use warnings;

use Encode qw(decode);
use Exporter 'import';
use IPC::Run qw(run);
use Test::More ();

our @EXPORT = qw(tool_db psql lit);

my $db;

# psql -At on the suite's database (or dbname, as user); the output
# decoded, without its last newline; dies on an error
sub psql {
    my ($sql, $dbname, $user) = @_;
    my ($out, $err) = ('', '');
    run ['psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', $ENV{PGHOST},
         '-U', $user // 'certhall', '-d', $dbname // $db, '-c', $sql],
        \undef, \$out, \$err
        or die "psql: $sql: $err";
    $out = decode('UTF-8', $out);
    chomp $out;
    return $out;
}

# a SQL string literal
sub lit { my $s = shift; $s =~ s/'/''/g; "'$s'" }

# the database NAME, dropped if it was there, created and migrated
sub tool_db {
    ($db) = @_;
    my $root = $ENV{TEST_NGINX_REPO};
    psql("DROP DATABASE IF EXISTS $db", 'postgres', 'postgres');
    psql("CREATE DATABASE $db OWNER certhall", 'postgres', 'postgres');
    my $out = `'$root/sql/migrate' -h '$ENV{PGHOST}' -U certhall -d $db 2>&1`;
    $? == 0 or Test::More::BAIL_OUT("migrating $db: $out");
    return $db;
}

1;
