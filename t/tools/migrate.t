# sql/migrate: pending migrations applied in order, each atomically with its
# record; a second run applies nothing; a failing migration leaves nothing.
# Runs inside t/bin/testenv (PGHOST names the test cluster).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use File::Basename qw(basename);

my $root = "$ENV{TEST_NGINX_REPO}";
my $host = $ENV{PGHOST} or plan skip_all => 'run inside t/bin/testenv';

my @files = sort glob("$root/sql/migrations/[0-9][0-9][0-9][0-9]_*.sql");
my @versions = map { basename($_, '.sql') } @files;

sub psql {
    my ($db, $sql, $user) = @_;
    $user //= 'certhall';
    my $out = `psql -X -At -h '$host' -U $user -d $db -c "$sql" 2>&1`;
    chomp $out;
    return $out;
}

sub fresh_db {
    my ($name) = @_;
    psql('postgres', "DROP DATABASE IF EXISTS $name", 'postgres');
    psql('postgres', "CREATE DATABASE $name OWNER certhall", 'postgres');
    return $name;
}

sub migrate {
    my ($script, $db) = @_;
    my $out = `'$script' -h '$host' -U certhall -d $db 2>&1`;
    return ($? >> 8, $out);
}

my $db = fresh_db('migrate_fresh');

my ($rc, $out) = migrate("$root/sql/migrate", $db);
is $rc, 0, 'a fresh database migrates' or diag $out;
is psql($db, 'SELECT string_agg(version, \',\' ORDER BY version) FROM schema_migrations'),
   join(',', @versions), 'every migration is recorded, in order';
is $out, join('', map { "migrate: applied $_\n" } @versions),
   'it says what it applied';

($rc, $out) = migrate("$root/sql/migrate", $db);
is $rc, 0, 'a second run succeeds';
is $out, "migrate: nothing to apply\n", 'and applies nothing';

# a copy of the migrations with a failing one after them
my $tmp = tempdir(CLEANUP => 1);
mkdir "$tmp/migrations" or die;
copy("$root/sql/migrate", "$tmp/migrate") or die;
chmod 0755, "$tmp/migrate";
copy($_, "$tmp/migrations/") or die for @files;

open my $fh, '>', "$tmp/migrations/9998_good.sql" or die;
print $fh "CREATE TABLE good_one (x int);\n";
close $fh;
open $fh, '>', "$tmp/migrations/9999_broken.sql" or die;
print $fh "CREATE TABLE half_done (x int);\nSELECT 1/0;\n";
close $fh;

($rc, $out) = migrate("$tmp/migrate", $db);
isnt $rc, 0, 'a failing migration fails the run';
like $out, qr/9999_broken failed; nothing of it was applied/, 'and says which';
is psql($db, "SELECT to_regclass('half_done') IS NULL"), 't',
   'nothing of the failing migration is left';
is psql($db, "SELECT count(*) FROM schema_migrations WHERE version = '9999_broken'"), '0',
   'the failing migration is not recorded';
is psql($db, "SELECT count(*) FROM schema_migrations WHERE version = '9998_good'"), '1',
   'the migration before it stays applied';

unlink "$tmp/migrations/9999_broken.sql";
open $fh, '>', "$tmp/migrations/9999_Bad-Name.sql" or die;
close $fh;
($rc, $out) = migrate("$tmp/migrate", $db);
isnt $rc, 0, 'a badly named migration is refused';
like $out, qr/name must be NNNN_lowercase_words\.sql/, 'with the naming rule';

psql('postgres', "DROP DATABASE $db", 'postgres');
done_testing;
