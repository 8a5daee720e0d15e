# certhall-admin staff-add and staff-password, as an operator relies on
# them: staff-add makes an active member with exactly the roles given and
# a PBKDF2 hash (checked here independently of lib/ch_password.c) of the
# password read from standard input, at the configured iteration count,
# audited as the command line; the member can then sign in to the back
# office.  Every refusal says why, exits 1 (the rule, the database) or 2
# (usage, configuration, database unreachable) and writes nothing.
# staff-password sets a new hash, ends the member's sessions and lifts the
# lock.  No password ever reaches stdout, stderr, argv or the database in
# the clear; on a terminal it is asked for twice without echo.
# Runs inside t/bin/testenv, on a database of its own.
use strict;
use warnings;
use utf8;
use Test::More;
use File::Temp qw(tempdir);
use IPC::Run qw(run start pump finish timeout);
use JSON::PP;
use Encode qw(decode encode);
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(decode_base64);
use URI::Escape qw(uri_escape_utf8);

my $root = $ENV{TEST_NGINX_REPO};
my $host = $ENV{PGHOST};
my $admin = $ENV{TEST_NGINX_ADMIN_CGI};
plan skip_all => 'run inside t/bin/testenv' unless $root && $host && $admin;
-x $admin or BAIL_OUT("$admin is not built: make build/certhall-admin");

binmode $_, ':encoding(UTF-8)' for \*STDOUT, \*STDERR, Test::More->builder->output,
    Test::More->builder->failure_output, Test::More->builder->todo_output;

my $db = 'staff_cmd_test';
my $tmp = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->utf8->canonical;

delete @ENV{qw(GATEWAY_INTERFACE CERTHALL_ADMIN_CONF)};

sub psql {
    my ($sql, $dbname, $user) = @_;
    my ($out, $err) = ('', '');
    run ['psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', $host,
         '-U', $user // 'certhall', '-d', $dbname // $db, '-c', $sql],
        \undef, \$out, \$err
        or die "psql: $sql: $err";
    $out = decode('UTF-8', $out);
    chomp $out;
    return $out;
}

sub lit { my $s = shift; $s =~ s/'/''/g; "'$s'" }

psql("DROP DATABASE IF EXISTS $db", 'postgres', 'postgres');
psql("CREATE DATABASE $db OWNER certhall", 'postgres', 'postgres');
{
    my $out = `'$root/sql/migrate' -h '$host' -U certhall -d $db 2>&1`;
    $? == 0 or BAIL_OUT("migrating $db: $out");
}

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $text;
    close $fh or die;
}

my $conf_n = 0;
sub conf {
    my ($text) = @_;
    my $path = "$tmp/admin-" . ++$conf_n . '.conf';
    write_file($path, "# written by t/tools/staff-cmd.t\n" . $text);
    return $path;
}

my $dbline = "db = host=$host dbname=$db user=certhall connect_timeout=5\n";
my $conf = conf($dbline . "password_iterations = 1000\n");
my $conf_2000 = conf($dbline . "password_iterations = 2000\n");

# --- the checks' own tools ---------------------------------------------------

# PBKDF2-HMAC-SHA256 of one 32-byte block (RFC 8018), here in Perl
sub pbkdf2 {
    my ($password, $salt, $n) = @_;
    my $u = hmac_sha256($salt . pack('N', 1), $password);
    my $t = $u;
    for (2 .. $n) {
        $u = hmac_sha256($u, $password);
        $t ^= $u;
    }
    return $t;
}

# the iteration count if $hash is "$pbkdf2-sha256$N$salt$key" (16-byte
# salt, 32-byte key, base64 without padding) of the password (characters,
# hashed as UTF-8); 0 for another password; undef if it is no such hash
sub hash_check {
    my ($password, $hash) = @_;
    return undef unless defined $hash;
    $hash =~ m{^\$pbkdf2-sha256\$([1-9][0-9]*)\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})\z}
        or return undef;
    my ($n, $salt, $key) = ($1, decode_base64("$2=="), decode_base64("$3="));
    return undef unless length $salt == 16 && length $key == 32;
    return pbkdf2(encode('UTF-8', $password), $salt, $n) eq $key ? $n : 0;
}

# the derivation against published vectors, so that its "yes" means yes
is unpack('H*', pbkdf2('password', 'salt', 1)),
    '120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b',
    'the Perl PBKDF2-HMAC-SHA256 gives the known answer for 1 iteration';
is unpack('H*', pbkdf2('password', 'salt', 4096)),
    'c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a',
    'and for 4096';

# every password given to the commands, and everything they printed
my @passwords;
my $all_output = '';

# runs a command; $stdin is characters (sent as UTF-8) or undef for none
sub cmd {
    my ($stdin, @args) = @_;
    my ($out, $err) = ('', '');
    my $in = defined $stdin ? encode('UTF-8', $stdin) : '';
    run [$admin, @args], \$in, \$out, \$err;
    my $rc = $? >> 8;
    $out = decode('UTF-8', $out);
    $err = decode('UTF-8', $err);
    $all_output .= $out . $err;
    return ($rc, $out, $err);
}

# everything the commands could write, as one string to compare
sub snapshot {
    return psql(q{SELECT concat_ws(' / ',
        (SELECT count(*) || ':' || md5(coalesce(string_agg(s::text, ',' ORDER BY id), ''))
         FROM staff s),
        (SELECT count(*) || ':' || md5(coalesce(string_agg(g::text, ',' ORDER BY staff_id, role), ''))
         FROM staff_grants g),
        (SELECT count(*) || ':' || coalesce(max(id), 0) FROM staff_audit),
        (SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, ',' ORDER BY id), ''))
         FROM staff_sessions x),
        (SELECT count(*) || ':' || md5(coalesce(string_agg(f::text, ',' ORDER BY login), ''))
         FROM staff_login_failures f))});
}

sub member {
    my ($login) = @_;
    my $r = psql(q{SELECT json_build_object('id', id, 'login', login, 'name', name,
                   'hash', password_hash, 'active', active, 'created_by', created_by,
                   'changed', extract(epoch FROM password_changed_at),
                   'roles', (SELECT coalesce(json_agg(role ORDER BY role), '[]')
                             FROM staff_grants g WHERE g.staff_id = s.id))
                   FROM staff s WHERE login = } . lit($login));
    return $r eq '' ? undef : $json->decode(encode('UTF-8', $r));
}

sub max_audit { psql('SELECT coalesce(max(id), 0) FROM staff_audit') }

# the audit rows after id $since, oldest first
sub audit_since {
    my ($since) = @_;
    my $r = psql(q{SELECT coalesce(json_agg(json_build_object('staff_id', staff_id,
                   'login', login, 'action', action, 'subject', subject,
                   'before', before, 'after', after, 'detail', detail,
                   'client_addr', client_addr) ORDER BY id), '[]')
                   FROM staff_audit WHERE id > } . $since);
    return $json->decode(encode('UTF-8', $r));
}

# POST /admin/login through the CGI, as the browser would: the status
sub web_login {
    my ($login, $password) = @_;
    my $token = 'login-token-' . int(rand 1e9);
    my $body = "csrf=$token&login=" . uri_escape_utf8($login)
             . '&password=' . uri_escape_utf8($password);
    my ($out, $err) = ('', '');
    local @ENV{qw(GATEWAY_INTERFACE REQUEST_METHOD PATH_INFO CONTENT_TYPE
                  CONTENT_LENGTH HTTP_COOKIE REMOTE_ADDR HTTP_HOST CERTHALL_ADMIN_CONF)}
        = ('CGI/1.1', 'POST', '/admin/login', 'application/x-www-form-urlencoded',
           length $body, "certhall_admin_login=$token", '127.0.0.1', 'localhost', $conf);
    run [$admin], \$body, \$out, \$err;
    $out =~ /^Status: (\d{3})/ or return "no status: $out $err";
    return $1;
}

# === staff-add: a member, their roles, their password ========================

my $pw_ann = 'Harbour-Light 42';
push @passwords, $pw_ann;

my $ann;
{
    my $before = max_audit();
    my ($rc, $out, $err) = cmd("$pw_ann\n", 'staff-add', '-c', $conf,
                               'Ann.Lee', '  李 安娜　', 'reviewer,admin');
    is $rc, 0, 'staff-add exits 0' or diag $err;
    is $out, "staff-add: created ann.lee (reviewer,admin)\n",
        'and says whom it created, by the login as stored (lower case)';
    is $err, '', 'and nothing on stderr';

    $ann = member('ann.lee');
    ok $ann, 'the member exists';
    is $ann->{name}, '李 安娜', 'with the name trimmed (full-width space too)';
    ok $ann->{active}, 'active';
    is $ann->{created_by}, undef, 'created by nobody: the command line';
    is_deeply $ann->{roles}, ['admin', 'reviewer'], 'with exactly the two roles given';

    is hash_check($pw_ann, $ann->{hash}), 1000,
        'the stored hash is PBKDF2-HMAC-SHA256 of the password, at the configured 1000 iterations';
    is hash_check('Harbour-Light 43', $ann->{hash}), 0, 'another password does not match it';
    is hash_check("$pw_ann\n", $ann->{hash}), 0, 'nor the password with its line end';

    my $audit = audit_since($before);
    is_deeply $audit, [ { staff_id => undef, login => undef, action => 'staff_create',
                          subject => 'ann.lee', before => undef,
                          after => { name => '李 安娜', roles => ['reviewer', 'admin'],
                                     active => JSON::PP::true },
                          detail => '命令行', client_addr => undef } ],
        'one audit row: staff_create, no staff member, 命令行, the member as created';

    is web_login('ann.lee', $pw_ann), 303, 'the new member signs in to the back office with it';
    is web_login('ann.lee', 'Harbour-Light 43'), 401, 'and not with another password';
}

# three roles, in any order; a password line ending in CRLF; another configuration
my $pw_bo = 'Tide9Pool-x';
push @passwords, $pw_bo;
my $bo;
{
    my $before = max_audit();
    my ($rc, $out, $err) = cmd("$pw_bo\r\n", 'staff-add', '-c', $conf_2000,
                               'bo_wu', 'Bo Wu', 'shipper,reviewer,finance');
    is $rc, 0, 'staff-add with three roles exits 0' or diag $err;
    is $out, "staff-add: created bo_wu (shipper,reviewer,finance)\n", 'and says so';
    $bo = member('bo_wu');
    is_deeply $bo->{roles}, ['finance', 'reviewer', 'shipper'],
        'the member has exactly the three roles, and not admin';
    is hash_check($pw_bo, $bo->{hash}), 2000,
        'the hash is of the password without the CR, at the 2000 iterations of that configuration';
    is hash_check("$pw_bo\r", $bo->{hash}), 0, 'the CR is not part of it';
    is scalar @{ audit_since($before) }, 1, 'one audit row';
}

# === staff-add: the refusals write nothing ===================================

{
    my $long = 'Ab1' x 43;          # 129 characters
    my $huge = 'Ab1' x 700;         # longer than the line the command reads
    my $cjk = '汉字密码' x 11 . 'a1';   # 46 characters but 134 bytes
    my @weak = ('short1Ab', 'onlylettersHere', '12345678901234', $long, $huge, $cjk,
                "Tab\tinside123", "Secret12345\0tail", "Secret12345\0");
    push @passwords, grep { length >= 8 } @weak;
    my $ok = 'Valid-pass-77';
    push @passwords, $ok;

    my @cases = (
        [ 'an existing login', 1, [ 'ann.lee', 'Ann Again', 'admin' ], "$ok\n",
          qr/^staff-add: refused: 该用户名已存在\n\z/ ],
        [ 'an existing login in other case', 1, [ 'ANN.LEE', 'Ann Again', 'admin' ], "$ok\n",
          qr/^staff-add: refused: 该用户名已存在\n\z/ ],
        [ 'a login starting with a digit', 1, [ '1ann', 'Ann Digit', 'admin' ], "$ok\n",
          qr/^staff-add: refused: 用户名应为3至32位小写字母、数字或 _ \. -，以字母开头\n\z/ ],
        [ 'a login of two letters', 1, [ 'an', 'Ann Short', 'admin' ], "$ok\n",
          qr/refused: 用户名应为3至32位/ ],
        [ 'a login with a space', 1, [ 'ann lee', 'Ann Space', 'admin' ], "$ok\n",
          qr/refused: 用户名应为3至32位/ ],
        [ 'a name of one character', 1, [ 'carl', 'C', 'admin' ], "$ok\n",
          qr/^staff-add: refused: 姓名应为2至50个字\n\z/ ],
        [ 'an unknown role', 1, [ 'carl', 'Carl Chen', 'boss' ], "$ok\n",
          qr/^staff-add: refused: 未知的角色：boss\n\z/ ],
        [ 'an unknown role among known ones', 1, [ 'carl', 'Carl Chen', 'reviewer,boss,admin' ],
          "$ok\n", qr/^staff-add: refused: 未知的角色：boss\n\z/ ],
        # "null" unquoted in an array literal is SQL NULL, not a role named so
        [ 'the role "null"', 1, [ 'carl', 'Carl Chen', 'null' ], "$ok\n",
          qr/^staff-add: refused: 未知的角色：null\n\z/ ],
        [ 'the role "null" after a known one', 1, [ 'carl', 'Carl Chen', 'admin,null' ], "$ok\n",
          qr/^staff-add: refused: 未知的角色：null\n\z/ ],
        # refused before the password is read: an empty stdin would say so
        [ 'no roles (empty)', 1, [ 'carl', 'Carl Chen', '' ], '',
          qr/^staff-add: roles: expected ROLE\[,ROLE\.\.\.\], each of a-z and _/ ],
        [ 'an empty role after a comma', 1, [ 'carl', 'Carl Chen', 'admin,' ], '',
          qr/^staff-add: roles: expected ROLE/ ],
        [ 'an empty role between commas', 1, [ 'carl', 'Carl Chen', 'admin,,finance' ], '',
          qr/^staff-add: roles: expected ROLE/ ],
        [ 'a role in capitals', 1, [ 'carl', 'Carl Chen', 'Admin' ], '',
          qr/^staff-add: roles: expected ROLE/ ],
        [ 'a role with a quote', 1, [ 'carl', 'Carl Chen', 'admin"}' ], '',
          qr/^staff-add: roles: expected ROLE/ ],
        [ 'no roles argument', 2, [ 'carl', 'Carl Chen' ], "$ok\n",
          qr/^staff-add: missing arguments\nusage: certhall-admin staff-add/ ],
        [ 'a password of 8 characters', 1, [ 'carl', 'Carl Chen', 'admin' ], "short1Ab\n",
          qr/^staff-add: password: 密码太短，至少需要10个字符。\n\z/ ],
        [ 'a password of letters only', 1, [ 'carl', 'Carl Chen', 'admin' ], "onlylettersHere\n",
          qr/^staff-add: password: 密码须同时包含字母和数字。\n\z/ ],
        [ 'a password of digits only', 1, [ 'carl', 'Carl Chen', 'admin' ], "12345678901234\n",
          qr/^staff-add: password: 密码须同时包含字母和数字。\n\z/ ],
        [ 'a password of 129 characters', 1, [ 'carl', 'Carl Chen', 'admin' ], "$long\n",
          qr/^staff-add: password: 密码太长，最多128个字符/ ],
        [ 'a password longer than the line read', 1, [ 'carl', 'Carl Chen', 'admin' ], "$huge\n",
          qr/^staff-add: password: 密码太长，最多128个字符/ ],
        [ 'a password over 128 bytes', 1, [ 'carl', 'Carl Chen', 'admin' ], "$cjk\n",
          qr/^staff-add: password: 密码太长，最多128个字符/ ],
        [ 'a password with a tab', 1, [ 'carl', 'Carl Chen', 'admin' ], "Tab\tinside123\n",
          qr/^staff-add: password: 密码不能包含制表符、换行等控制字符。\n\z/ ],
        # a NUL would end the C string: the password cut short, silently
        [ 'a password with a NUL byte', 1, [ 'carl', 'Carl Chen', 'admin' ], "Secret12345\0tail\n",
          qr/^staff-add: password: 密码不能包含制表符、换行等控制字符。\n\z/ ],
        [ 'a password ending in a NUL byte', 1, [ 'carl', 'Carl Chen', 'admin' ], "Secret12345\0\n",
          qr/^staff-add: password: 密码不能包含制表符、换行等控制字符。\n\z/ ],
        [ 'an empty stdin', 1, [ 'carl', 'Carl Chen', 'admin' ], '',
          qr/^staff-add: password: 请输入新密码。\n\z/ ],
        [ 'an empty line', 1, [ 'carl', 'Carl Chen', 'admin' ], "\n",
          qr/^staff-add: password: 请输入新密码。\n\z/ ],
    );

    for my $c (@cases) {
        my ($what, $want_rc, $args, $stdin, $like) = @$c;
        my $snap = snapshot();
        my ($rc, $out, $err) = cmd($stdin, 'staff-add', '-c', $conf, @$args);
        is $rc, $want_rc, "$what: exit $want_rc";
        like $err, $like, "$what: the message says why";
        is $out, '', "$what: nothing on stdout";
        is snapshot(), $snap, "$what: nothing written";
    }
    is member('carl'), undef, 'no member carl came of any of it';
    is member('ann.lee')->{name}, '李 安娜', 'ann.lee is as she was';

    # the same role twice is one role
    my ($rc, $out, $err) = cmd("$ok\n", 'staff-add', '-c', $conf, 'dee', 'Dee Dee', 'finance,finance');
    is $rc, 0, 'a role given twice is accepted' or diag $err;
    is_deeply member('dee')->{roles}, ['finance'], 'and granted once';
}

# === staff-add: configuration and database ===================================

{
    my $down = conf("db = host=$tmp dbname=$db user=certhall connect_timeout=2\n"
                    . "password_iterations = 1000\n");
    my $ok = 'Valid-pass-77';
    my @cases = (
        [ 'a missing configuration file', [ '-c', "$tmp/no-such.conf" ],
          qr/^staff-add: configuration: \Q$tmp\E\/no-such\.conf: No such file or directory\n\z/ ],
        [ 'no configuration at all', [],
          qr/^staff-add: configuration: no file: give -c FILE or set CERTHALL_ADMIN_CONF\n/ ],
        [ 'a configuration without db', [ '-c', conf("password_iterations = 1000\n") ],
          qr/^staff-add: configuration: .*"db" is not set\n\z/ ],
        [ 'too few iterations', [ '-c', conf($dbline . "password_iterations = 999\n") ],
          qr/^staff-add: configuration: .*:3: expected a number from 1000 to 100000000\n\z/ ],
        [ 'an unreachable database', [ '-c', $down ],
          qr/^staff-add: database: .*\S/ ],
        [ 'an unknown option', [ '-c', $conf, '--force' ],
          qr/^staff-add: unknown option "--force"\n/ ],
    );
    for my $c (@cases) {
        my ($what, $args, $like) = @$c;
        my $snap = snapshot();
        my ($rc, $out, $err) = cmd("$ok\n", 'staff-add', @$args, 'carl', 'Carl Chen', 'admin');
        is $rc, 2, "$what: exit 2";
        like $err, $like, "$what: the message names the problem";
        is $out, '', "$what: nothing on stdout";
        is snapshot(), $snap, "$what: nothing written";
    }

    # CERTHALL_ADMIN_CONF stands in for -c
    local $ENV{CERTHALL_ADMIN_CONF} = $conf;
    my ($rc, $out, $err) = cmd("$ok\n", 'staff-add', 'carl', 'Carl Chen', 'shipper');
    is $rc, 0, 'without -c, CERTHALL_ADMIN_CONF names the configuration' or diag $err;
    is_deeply member('carl')->{roles}, ['shipper'], 'and the member is made';
}

# === the password is read from stdin, never from argv ========================

{
    my $pw = 'Stdin-only-99';
    push @passwords, $pw;
    my ($in, $out, $err) = ('', '', '');
    my @argv = ($admin, 'staff-add', '-c', $conf, 'eve', 'Eve Ng', 'admin');
    my $h = start \@argv, \$in, \$out, \$err, timeout(20);
    my $pid = $h->{KIDS}[0]{PID};

    # wait until the command, exec'd, sleeps (reading its stdin); bounded
    my ($cmdline, $stat) = ('', '');
    for (1 .. 600) {
        $cmdline = do { local (@ARGV, $/) = "/proc/$pid/cmdline"; <> // '' };
        $stat = do { local (@ARGV, $/) = "/proc/$pid/stat"; <> // '' };
        last if $cmdline =~ /staff-add/ && $stat =~ /^\d+ \(.*\) S /;
        select undef, undef, undef, 0.05;
    }
    is_deeply [split /\0/, $cmdline], \@argv,
        'while it waits for the password, its argv is exactly the arguments, no password';
    ok $h->pumpable, 'it is still running: the password comes from stdin, which is open';
    is member('eve'), undef, 'and nothing is created before it is read';

    $in = "$pw\n";
    finish $h;
    is $h->full_result(0) >> 8, 0, 'once the line is given, it is done';
    $all_output .= decode('UTF-8', $out . $err);
    is hash_check($pw, member('eve')->{hash}), 1000, 'with that password';
}

# === staff-password ==========================================================

# ann.lee: the session of her web login above, two more live ones, one
# ended; a lock on her login; bo_wu has a live session and a lock too
psql(q{INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, created_at)
       SELECT sha256(convert_to(t, 'UTF8')), s.id, repeat('c', 40), now() - interval '1 hour'
       FROM staff s, (VALUES ('ann-1'), ('ann-2')) v(t) WHERE s.login = 'ann.lee'});
psql(q{INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, created_at, ended_at, ended_why)
       SELECT sha256(convert_to('ann-old', 'UTF8')), id, repeat('c', 40),
              now() - interval '2 days', now() - interval '1 day', 'logout'
       FROM staff WHERE login = 'ann.lee'});
psql(q{INSERT INTO staff_sessions (token_hash, staff_id, csrf_token)
       SELECT sha256(convert_to('bo-1', 'UTF8')), id, repeat('c', 40) FROM staff WHERE login = 'bo_wu'});
psql(q{INSERT INTO staff_login_failures (login, failures, locked_until) VALUES
       ('ann.lee', 5, now() + interval '15 minutes'), ('bo_wu', 5, now() + interval '15 minutes')
       ON CONFLICT (login) DO UPDATE SET failures = excluded.failures,
                                         locked_until = excluded.locked_until});

sub sessions_of {
    my ($login) = @_;
    return psql(q{SELECT string_agg(coalesce(ended_why, 'live'), ',' ORDER BY x.id)
                  FROM staff_sessions x JOIN staff s ON s.id = x.staff_id
                  WHERE s.login = } . lit($login));
}
sub locked { psql('SELECT count(*) FROM staff_login_failures WHERE login = ' . lit($_[0])
                  . ' AND locked_until > now()') }

is sessions_of('ann.lee'), 'live,live,live,logout',
    'before: ann.lee has three live sessions (the web login among them) and an ended one';
is locked('ann.lee'), 1, 'and her login is locked';
is web_login('ann.lee', $pw_ann), 423, 'so even her right password is turned away';

my $pw_new = '新密码 Quay-7 北门';
push @passwords, $pw_new;

# refusals first, while there are sessions and a lock to spare
{
    my $down = conf("db = host=$tmp dbname=$db user=certhall connect_timeout=2\n");
    my @cases = (
        [ 'an unknown login', 1, [ '-c', $conf, 'nobody' ], "$pw_new\n",
          qr/^staff-password: refused: 员工不存在\n\z/ ],
        [ 'a short password', 1, [ '-c', $conf, 'ann.lee' ], "short1Ab\n",
          qr/^staff-password: password: 密码太短，至少需要10个字符。\n\z/ ],
        [ 'a password without a digit', 1, [ '-c', $conf, 'ann.lee' ], "No-digits-here\n",
          qr/^staff-password: password: 密码须同时包含字母和数字。\n\z/ ],
        [ 'an empty stdin', 1, [ '-c', $conf, 'ann.lee' ], '',
          qr/^staff-password: password: 请输入新密码。\n\z/ ],
        [ 'a missing configuration', 2, [ '-c', "$tmp/no-such.conf", 'ann.lee' ], "$pw_new\n",
          qr/^staff-password: configuration: .*No such file or directory\n\z/ ],
        [ 'an unreachable database', 2, [ '-c', $down, 'ann.lee' ], "$pw_new\n",
          qr/^staff-password: database: .*\S/ ],
        [ 'no login', 2, [ '-c', $conf ], "$pw_new\n",
          qr/^staff-password: missing arguments\nusage: certhall-admin staff-password/ ],
        [ 'two logins', 2, [ '-c', $conf, 'ann.lee', 'bo_wu' ], "$pw_new\n",
          qr/^staff-password: unexpected argument "bo_wu"\n/ ],
    );
    for my $c (@cases) {
        my ($what, $want_rc, $args, $stdin, $like) = @$c;
        my $snap = snapshot();
        my ($rc, $out, $err) = cmd($stdin, 'staff-password', @$args);
        is $rc, $want_rc, "staff-password, $what: exit $want_rc";
        like $err, $like, "staff-password, $what: the message says why";
        is $out, '', "staff-password, $what: nothing on stdout";
        is snapshot(), $snap, "staff-password, $what: nothing written (hash, sessions, lock)";
    }
}

{
    my $old = member('ann.lee');
    my $before = max_audit();
    select undef, undef, undef, 0.01;
    my ($rc, $out, $err) = cmd("$pw_new\n", 'staff-password', '-c', $conf_2000, 'ANN.LEE');
    is $rc, 0, 'staff-password exits 0' or diag $err;
    is $out, "staff-password: password set for ann.lee\n", 'and names the member (the login in any case)';
    is $err, '', 'nothing on stderr';

    my $new = member('ann.lee');
    isnt $new->{hash}, $old->{hash}, 'the hash changed';
    is hash_check($pw_new, $new->{hash}), 2000,
        'to the new password (UTF-8), at the 2000 iterations of the configuration used';
    is hash_check($pw_ann, $new->{hash}), 0, 'the old password no longer matches';
    cmp_ok $new->{changed}, '>', $old->{changed}, 'password_changed_at moved on';
    is_deeply [ @$new{qw(name active roles)} ], [ @$old{qw(name active roles)} ],
        'name, active and roles untouched';

    is sessions_of('ann.lee'), 'password_changed,password_changed,password_changed,logout',
        'her live sessions ended (password_changed), the one ended before left as it was';
    is sessions_of('bo_wu'), 'live', "another member's session is untouched";
    is locked('ann.lee'), 0, 'her lock is lifted';
    is psql(q{SELECT count(*) FROM staff_login_failures WHERE login = 'ann.lee'}), 0,
        'and her failure count gone';
    is locked('bo_wu'), 1, "another member's lock stays";
    is hash_check($pw_bo, member('bo_wu')->{hash}), 2000, "and so does their password";

    is_deeply audit_since($before),
        [ { staff_id => undef, login => undef, action => 'staff_password', subject => 'ann.lee',
            before => undef, after => undef, detail => '命令行', client_addr => undef } ],
        'one audit row: staff_password, no staff member, 命令行';

    is web_login('ann.lee', $pw_ann), 401, 'the old password no longer signs in';
    is web_login('ann.lee', $pw_new), 303, 'the new one does';
}

# === on a terminal: asked twice, without echo ================================

SKIP: {
    eval { require IO::Pty; 1 } or skip 'IO::Pty is not installed', 9;

    my $tty_pw = 'Lantern-88-ttys';
    push @passwords, $tty_pw, 'Lantern-88-other';

    # types each line once its prompt is on stderr (echo goes off first)
    my $on_tty = sub {
        my ($first, $second) = @_;
        my ($in, $out, $err) = ('', '', '');
        my $h = start [$admin, 'staff-password', '-c', $conf, 'bo_wu'],
            '<pty<', \$in, '>pty>', \$out, '2>', \$err, timeout(20);
        pump $h until $err =~ /New password for bo_wu: \z/;
        $in = "$first\n";
        pump $h until $err =~ /The same password again: \z/;
        $in = "$second\n";
        finish $h;
        my $rc = $h->full_result(0) >> 8;
        $out = decode('UTF-8', $out);
        $err = decode('UTF-8', $err);
        $all_output .= $out . $err;
        return ($rc, $out, $err);
    };

    my $old = member('bo_wu');
    my ($rc, $out, $err) = $on_tty->($tty_pw, 'Lantern-88-other');
    is $rc, 1, 'on a terminal, two different passwords: exit 1';
    like $err, qr/staff-password: password: 两次输入的新密码不一致。\n\z/, 'saying they differ';
    is member('bo_wu')->{hash}, $old->{hash}, 'and the password is unchanged';

    ($rc, $out, $err) = $on_tty->($tty_pw, $tty_pw);
    is $rc, 0, 'the same password twice: exit 0' or diag $err;
    is $err, 'New password for bo_wu: The same password again: ', 'both prompts on stderr';
    like $out, qr/^\r?\n\r?\nstaff-password: password set for bo_wu\r?\n\z/,
        'the terminal shows only the newlines and the result';
    unlike $out, qr/Lantern/, 'not the password: no echo';
    is hash_check($tty_pw, member('bo_wu')->{hash}), 1000, 'the password typed is set';
    is psql('SELECT count(*) FROM staff_login_failures WHERE login = ' . lit('bo_wu')), 0,
        'and the lock on bo_wu is lifted';
}

# === no password in the clear anywhere =======================================

{
    like $all_output, qr/created ann\.lee/, 'what the checks below read is the real output';
    my @seen = grep { index($all_output, $_) >= 0 } @passwords;
    is_deeply \@seen, [], 'no password given appears in any stdout or stderr of the commands';

    my $pg_dump = -x "$ENV{TEST_NGINX_PG_BIN}/pg_dump" ? "$ENV{TEST_NGINX_PG_BIN}/pg_dump" : 'pg_dump';
    my ($dump, $err) = ('', '');
    run [$pg_dump, '-h', $host, '-U', 'certhall', '--data-only', $db], \undef, \$dump, \$err
        or die "pg_dump: $err";
    $dump = decode('UTF-8', $dump);
    like $dump, qr/\$pbkdf2-sha256\$1000\$/, 'the dump of the database holds the hashes';
    my @stored = grep { index($dump, $_) >= 0 } @passwords;
    is_deeply \@stored, [], 'and none of the passwords';
}

psql("DROP DATABASE $db", 'postgres', 'postgres');
done_testing;
