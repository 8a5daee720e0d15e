# An existing database upgrades in place to the layout of sql/ (issue 15):
# t/sql/fixtures/schema-0011.dump, a database at the schema of migration
# 0011 as main built it before the functions left the migrations, with data
# in every order state, is restored and given today's sql/migrate.  Then
#   - its schema (pg_dump --schema-only) is the schema of a new database,
#   - the pgTAP suites t/sql/*.pg pass against it too (each runs in one
#     transaction and rolls back, as in the new test database).
# Runs inside t/bin/testenv (PGHOST names the test cluster).
use strict;
use warnings;
use Test::More;
use TAP::Parser;
use File::Basename qw(basename);

my $root = $ENV{TEST_NGINX_REPO};
my $host = $ENV{PGHOST} or plan skip_all => 'run inside t/bin/testenv';
my $bin = $ENV{TEST_NGINX_PG_BIN} && -x "$ENV{TEST_NGINX_PG_BIN}/pg_dump"
    ? "$ENV{TEST_NGINX_PG_BIN}/" : '';
my $dump = "$root/t/sql/fixtures/schema-0011.dump";

# The suites that cannot run against a database holding data.  The
# fixture's accounts use phones no suite uses, its staff member is the
# suites' own 'fixture'; but it holds sql/demo.sql's accounts too.
my %needs_empty = (
    '002_catalog.pg' => 'skipped: it inserts the phones of the demo accounts '
                      . '(13800138000, 13900139000), which the fixture holds',
);

sub run_out {
    my ($cmd) = @_;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

sub psql {
    my ($db, $sql, $user) = @_;
    $user //= 'certhall';
    my ($rc, $out) = run_out("psql -X -At -v ON_ERROR_STOP=1 -h '$host' -U $user -d $db -c \"$sql\"");
    chomp $out;
    return $out;
}

sub fresh_db {
    my ($name) = @_;
    psql('postgres', "DROP DATABASE IF EXISTS $name", 'postgres');
    psql('postgres', "CREATE DATABASE $name OWNER certhall", 'postgres');
    return $name;
}

# the schema as pg_dump prints it, without what differs between any two
# dumps (pg_dump's random \restrict key, its version comments)
sub schema_of {
    my ($db) = @_;
    my ($rc, $out) = run_out("${bin}pg_dump --schema-only -h '$host' -U postgres $db");
    die "pg_dump $db: $out" if $rc;
    return join '', grep { !/^\\(?:un)?restrict / && !/^-- Dumped / } split /^/, $out;
}

# A new database, as `make run` makes it (the fixture has the demo data
# too), then once through pg_dump and pg_restore as the fixture was: a
# restore writes some CHECKs with other parentheses (a AND b AND c comes
# back as (a AND b) AND c), which is the dump's doing, not the schema's.
my $made = fresh_db('upgrade_made');
my ($rc, $out) = run_out("'$root/sql/migrate' -h '$host' -U certhall -d $made");
is $rc, 0, 'a new database migrates' or diag $out;
($rc, $out) = run_out("psql -X -q -v ON_ERROR_STOP=1 -h '$host' -U certhall -d $made -f '$root/sql/demo.sql'");
is $rc, 0, 'and takes the demo data' or diag $out;
my $new = fresh_db('upgrade_new');
($rc, $out) = run_out("${bin}pg_dump -Fc -h '$host' -U certhall $made"
                      . " | ${bin}pg_restore --no-owner -h '$host' -U certhall -d $new");
is $rc, 0, 'and goes through pg_dump and pg_restore' or diag $out;

my $old = fresh_db('upgrade_old');
($rc, $out) = run_out("${bin}pg_restore --no-owner -h '$host' -U certhall -d $old '$dump'");
is $rc, 0, 'the database at schema 0011 restores' or diag $out;
# what 0001 set on the database, which a dump keeps only with --create: the
# upgraded database is a real one that has had it since
psql('postgres', "ALTER DATABASE $old SET timezone = 'Asia/Shanghai'", 'postgres');
is psql($old, 'SELECT max(version) FROM schema_migrations'), '0011_prefill',
   'it is at migration 0011';
is psql($old, 'SELECT count(DISTINCT state) FROM orders'), '10',
   'with orders in every state';

my @later = grep { basename($_, '.sql') gt '0011_prefill' }
            sort glob("$root/sql/migrations/[0-9][0-9][0-9][0-9]_*.sql");
($rc, $out) = run_out("'$root/sql/migrate' -h '$host' -U certhall -d $old");
is $rc, 0, 'sql/migrate upgrades it' or diag $out;
is $out, (@later ? join('', map { 'migrate: applied ' . basename($_, '.sql') . "\n" } @later)
                 : "migrate: nothing to apply\n"),
   'applying the migrations after 0011 only';

my ($a, $b) = (schema_of($new), schema_of($old));
ok $a eq $b, 'the upgraded schema is the new schema (pg_dump --schema-only)'
    or do {
        open my $fa, '>', "/tmp/upgrade-new.$$.sql"; print $fa $a; close $fa;
        open my $fb, '>', "/tmp/upgrade-old.$$.sql"; print $fb $b; close $fb;
        diag `diff /tmp/upgrade-new.$$.sql /tmp/upgrade-old.$$.sql | head -60`;
        unlink "/tmp/upgrade-new.$$.sql", "/tmp/upgrade-old.$$.sql";
    };

($rc, $out) = run_out("'$root/sql/migrate' -h '$host' -U certhall -d $old");
is "$rc $out", "0 migrate: nothing to apply\n", 'a second run applies nothing';
is schema_of($old), $b, 'and leaves the schema as it was';

# pgTAP as t/bin/testenv installs it for the test database
for my $sql ('CREATE SCHEMA tap', 'CREATE EXTENSION pgtap SCHEMA tap',
             'CREATE EXTENSION dblink SCHEMA tap', 'GRANT USAGE ON SCHEMA tap TO certhall',
             'GRANT EXECUTE ON FUNCTION tap.dblink_connect_u(text, text) TO certhall') {
    psql($old, $sql, 'postgres');
}

for my $suite (sort glob("$root/t/sql/*.pg")) {
    my $name = basename($suite);
    if ($needs_empty{$name}) {
        note "$name: $needs_empty{$name}";
        next;
    }
    my $parser = TAP::Parser->new({ exec => [qw(psql -X --no-align --quiet --tuples-only
                                                --pset pager=off -v ON_ERROR_STOP=1),
                                             '-h', $host, '-U', 'certhall', '-d', $old,
                                             '-f', $suite] });
    my @failed;
    while (my $r = $parser->next) {
        push @failed, $r->as_string if $r->is_test && !$r->is_ok;
    }
    ok !$parser->has_problems && $parser->tests_run > 0,
       "$name passes against the upgraded database (" . $parser->tests_run . ' tests)'
        or diag join "\n", @failed, 'exit ' . ($parser->exit // '?'),
                          'planned ' . ($parser->tests_planned // '?');
}

psql('postgres', "DROP DATABASE $_", 'postgres') for $made, $new, $old;
done_testing;
