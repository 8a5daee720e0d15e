package Certhall::Test;

# What the certhall suites share: the test database (t/bin/testenv's
# cluster, through PGHOST etc.), accounts and sessions made directly in it,
# the SMS outbox read as the SMS gateway would, password hashes computed
# here independently of lib/ch_password.c, and the real-name provider's
# side of its protocol (signing callbacks, checking QR payloads).

use strict;
use warnings;

use DBI;
use Digest::SHA qw(hmac_sha256 hmac_sha256_hex sha256);
use Exporter 'import';
use MIME::Base64 qw(encode_base64);

our @EXPORT = qw(sql sql_value quote reset_accounts reset_agreements make_account make_session
                 session_token csrf_token last_sms_code set_sms_code api_request
                 pbkdf2_hash
                 realname_sign realname_body secret_file
                 hall_http_config error_re data_key_file $DATA_KEY
                 $REALNAME_SECRET $REALNAME_APP_ID $DB $API_LOCATION $FORM);

our $REALNAME_APP_ID = 'certhall-test';
our $REALNAME_SECRET;
our $DATA_KEY;

# what the suites' nginx.conf needs (TEST_NGINX_* come from t/bin/testenv)
our $DB = 'host=$TEST_NGINX_PG_HOST dbname=$TEST_NGINX_PG_DATABASE user=$TEST_NGINX_PG_USER';
our $API_LOCATION = "    location /api/ {\n        certhall;\n    }\n";
our $FORM = 'Content-Type: application/x-www-form-urlencoded';

# the http{} lines of a hall: the database, a cheap password hash, and the
# real-name provider with the secret in secret_file (when given)
sub hall_http_config {
    my %o = @_;
    my $conf = qq{    certhall_db "$DB";\n}
             . "    certhall_password_iterations " . ($o{iterations} // 1000) . ";\n";
    $conf .= "    certhall_data_key $o{data_key};\n" if $o{data_key};
    $conf .= "    certhall_realname_secret $o{secret_file};\n"
           . "    certhall_realname_app_id $REALNAME_APP_ID;\n"
           . "    certhall_realname_url https://realname.example/scan;\n"
        if $o{secret_file};
    return $conf;
}

# the API's error object, as a pattern
sub error_re {
    my ($code, $field, $message) = @_;
    my $f = defined $field ? qq{"field":"$field",} : '';
    return qq{^\\{"error":\\{"code":"$code",$f"message":"$message"\\}\\}\$};
}


# a fresh secret per run, in a file only this run knows
sub secret_file {
    my $dir = shift;
    open my $rnd, '<', '/dev/urandom' or die "urandom: $!";
    read $rnd, my $bytes, 32;
    $REALNAME_SECRET = unpack 'H*', $bytes;
    my $file = "$dir/realname.secret";
    open my $fh, '>', $file or die "$file: $!";
    print $fh "$REALNAME_SECRET\n";
    close $fh;
    return $file;
}

# a fresh data key (certhall_data_key) per run: 64 hex digits in a file;
# $DATA_KEY holds them for the suite to seal and open with
sub data_key_file {
    my $dir = shift;
    open my $rnd, '<', '/dev/urandom' or die "urandom: $!";
    read $rnd, my $bytes, 32;
    $DATA_KEY = unpack 'H*', $bytes;
    my $file = "$dir/data.key";
    open my $fh, '>', $file or die "$file: $!";
    print $fh "$DATA_KEY\n";
    close $fh;
    return $file;
}

sub quote {
    my $v = shift;
    return 'NULL' unless defined $v;
    $v =~ s/'/''/g;
    return "'$v'";
}

# runs SQL, dies on error; returns the rows, fields split on "|": what
# "psql -X -At -c SQL" prints, NULL as "", true as "t", arrays as text, a
# value with a newline or "|" split as psql's lines are, and of several
# statements the last one's rows.  It is one connection for the process
# (through PGHOST and the others, as psql), not a psql each time: starting
# psql cost 0.1 s a call on CI's machine, over 20 s of a back-office
# suite's set-up.  As with psql, each call is a transaction of its own: a
# transaction the text opens and leaves open, or leaves failed, is rolled
# back; a child process (fork) makes a connection of its own; a connection
# ended by the server (a suite's pg_terminate_backend) is made again, and
# so is one whose PG* environment a suite changed.  sql_disconnect() ends
# it (before a suite drops its database).
my ($Dbh, $DbhPid, $DbhEnv);

sub dbh {
    my $env = join "\0", map { $ENV{$_} // '' } qw(PGHOST PGPORT PGDATABASE PGUSER);
    return $Dbh if $Dbh && $DbhPid == $$ && $DbhEnv eq $env && $Dbh->ping;
    sql_disconnect();
    $Dbh = DBI->connect('dbi:Pg:', undef, undef, {
        RaiseError => 0, PrintError => 0, PrintWarn => 0, AutoCommit => 1,
        AutoInactiveDestroy => 1,       # a child's exit keeps the parent's
        pg_enable_utf8 => 0,            # bytes, as psql prints them
        pg_bool_tf => 1, pg_expand_array => 0,
    }) or die "database: $DBI::errstr\n";
    ($DbhPid, $DbhEnv) = ($$, $env);
    return $Dbh;
}

sub sql_disconnect {
    if ($Dbh) {
        $Dbh->disconnect if $DbhPid == $$;
        undef $Dbh;
    }
}

sub sql {
    my $q = shift;
    my $dbh = dbh();
    # a text of characters (a suite under "use utf8") goes as its UTF-8
    # bytes, as it did as psql's argument
    utf8::encode($q) if utf8::is_utf8($q);
    # pg_direct: the text goes to the server as it is (several statements,
    # no placeholders read into "?" or ":name")
    my $sth = $dbh->prepare($q, { pg_direct => 1 });
    my $ok = $sth && $sth->execute;
    my $text = '';
    if ($ok && $sth->{NUM_OF_FIELDS}) {
        $text = join '', map { join('|', map { $_ // '' } @$_) . "\n" }
                         @{ $sth->fetchall_arrayref };
    }
    my $err = $dbh->errstr;
    $dbh->do('ROLLBACK') if $dbh->ping > 1;    # a transaction left open
    die "psql failed on: $q\n" . ($err // '') . "\n" unless $ok;
    my @lines = split /\n/, $text, -1;
    pop @lines;                                 # after the last newline
    return map { [split /\|/, $_, -1] } @lines;
}

sub sql_value {
    my ($row) = sql(shift);
    return $row ? $row->[0] : undef;
}

# every account and everything about them, so that a suite starts clean
# (the invoice requests' ids, so their serials, start again at 1)
sub reset_accounts {
    sql(q{
        TRUNCATE invoice_attempts, invoices, invoice_requests RESTART IDENTITY;
        TRUNCATE materials, order_transfers, voucher_reviews, order_shipments,
                 order_rejections;
        DELETE FROM order_info; DELETE FROM order_invoice;
        DELETE FROM order_events; DELETE FROM messages;
        UPDATE certificates SET order_id = NULL; DELETE FROM orders;
        DELETE FROM certificates; DELETE FROM addresses; DELETE FROM invoice_titles;
        DELETE FROM sessions; DELETE FROM realname_requests;
        DELETE FROM realname_nonces; DELETE FROM login_failures;
        DELETE FROM sms_codes; DELETE FROM sms_requests; DELETE FROM sms_outbox;
        DELETE FROM accounts;
    });
}

# the agreements as the migrations ship them: the versions a suite
# published are removed (append only, so the owner switches the guard off
# for this); the orders that agreed to them must be gone first
# (reset_accounts)
sub reset_agreements {
    sql(q{
        BEGIN;
        ALTER TABLE agreement_versions DISABLE TRIGGER agreement_versions_append_only;
        DELETE FROM agreement_versions WHERE published_by IS NOT NULL OR version > 1;
        ALTER TABLE agreement_versions ENABLE TRIGGER agreement_versions_append_only;
        COMMIT;
    });
}

# "$pbkdf2-sha256$N$salt$key", computed here from RFC 8018, not by lib/
sub pbkdf2_hash {
    my ($password, $iterations) = @_;
    $iterations //= 1000;
    my $salt = join '', map { chr int rand 256 } 1 .. 16;
    my $u = hmac_sha256($salt . pack('N', 1), $password);
    my $t = $u;
    for (2 .. $iterations) {
        $u = hmac_sha256($u, $password);
        $t ^= $u;
    }
    my $b64 = sub { my $s = encode_base64(shift, ''); $s =~ s/=+$//; $s };
    return '$pbkdf2-sha256$' . $iterations . '$' . $b64->($salt) . '$' . $b64->($t);
}

# an account with a password; verified => [name, masked id] makes it
# real-name verified
sub make_account {
    my ($phone, $password, %opt) = @_;
    my $hash = defined $password ? pbkdf2_hash($password, $opt{iterations}) : undef;
    if (my $v = $opt{verified}) {
        return sql_value("INSERT INTO accounts (phone, password_hash, realname_status,"
            . " realname_name, realname_id_masked, realname_verified_at)"
            . " VALUES (" . join(', ', map { quote($_) } $phone, $hash, 'verified',
                                 @$v) . ", now()) RETURNING id");
    }
    return sql_value("INSERT INTO accounts (phone, password_hash) VALUES ("
                     . quote($phone) . ", " . quote($hash) . ") RETURNING id");
}

# fixed tokens, so that a block's --- more_headers can name them
sub session_token { my $n = shift; my $t = "TestSession$n"; $t . ('x' x (43 - length $t)) }
sub csrf_token    { my $n = shift; my $t = "TestCsrf$n";    $t . ('y' x (43 - length $t)) }

# a live session n for the account with that phone
sub make_session {
    my ($phone, $n, %opt) = @_;
    my $token = session_token($n);
    sql("DELETE FROM sessions WHERE token_hash = sha256(convert_to("
        . quote($token) . ", 'UTF8'))");
    sql("INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at)"
        . " SELECT sha256(convert_to(" . quote($token) . ", 'UTF8')), id, "
        . quote(csrf_token($n)) . ", "
        . ($opt{created_at} // 'now()') . ", " . ($opt{last_seen_at} // 'now()')
        . " FROM accounts WHERE phone = " . quote($phone));
    return $token;
}

# the code in the newest text to phone, as the SMS gateway would receive it
sub last_sms_code {
    my $phone = shift;
    my $text = sql_value("SELECT content FROM sms_outbox WHERE phone = "
                         . quote($phone) . " ORDER BY id DESC LIMIT 1");
    die "no text for $phone in the outbox\n" unless defined $text;
    $text =~ /(?<![0-9])([0-9]{6})(?![0-9])/ or die "no code in the text\n";
    return $1;
}

# The requests of a block are fixed before it runs, so a code the block
# sends must be known then: this makes the live code for phone and purpose
# be code (the hash is replaced; the code in the outbox no longer works).
sub set_sms_code {
    my ($phone, $purpose, $code) = @_;
    my $n = sql_value("UPDATE sms_codes SET code_hash = hmac(convert_to("
        . quote($code) . ", 'UTF8'), salt, 'sha256') WHERE phone = " . quote($phone)
        . " AND purpose = " . quote($purpose) . " AND ended_at IS NULL RETURNING 1");
    die "no live $purpose code for $phone\n" unless $n;
}

# A request to the nginx under test from Perl (an --- init that needs a
# value known only at run time, such as the code in the outbox): returns
# (status, body, headers as a hash of array refs by lower-case name).
sub api_request {
    my ($method, $path, $body, %headers) = @_;
    require HTTP::Tiny;
    my $port = $Test::Nginx::Util::ServerPortForClient;
    my $res = HTTP::Tiny->new(timeout => 10)->request($method,
        "http://127.0.0.1:$port$path",
        { headers => { 'Content-Type' => 'application/x-www-form-urlencoded', %headers },
          (defined $body ? (content => $body) : ()) });
    my %h = map { my $v = $res->{headers}{$_}; ($_ => ref $v ? $v : [$v]) }
            keys %{ $res->{headers} };
    return ($res->{status}, $res->{content}, \%h);
}

# the provider's side: the string to sign is every field but sign with a
# value, sorted by name, name=value joined by "&"
sub realname_sign {
    my %f = @_;
    my $s = join '&', map { "$_=$f{$_}" }
                      sort grep { $_ ne 'sign' && length $f{$_} } keys %f;
    return hmac_sha256_hex($s, $REALNAME_SECRET);
}

# a signed callback body (values are UTF-8 bytes); fields given override
# the defaults; _secret signs with another key
sub realname_body {
    my %f = (app_id => $REALNAME_APP_ID, timestamp => time,
             nonce => 'nonce' . int(rand 1e9) . time, @_);
    my $secret_override = delete $f{_secret};
    local $REALNAME_SECRET = $secret_override // $REALNAME_SECRET;
    $f{sign} //= realname_sign(%f);
    require URI::Escape;
    return join '&', map { "$_=" . URI::Escape::uri_escape($f{$_}) }
                     sort keys %f;
}

1;
