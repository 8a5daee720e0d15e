# certhall-admin invoice-send against the tax platform's double
# (t/bin/tax-platform, HTTPS with a test CA made here): a queued request is
# built, validated, signed and sent; the invoice's PDF and both XML
# documents land in the storage under their SHA-256 before the invoices row
# (which completes the order).  Every failure is recorded with its reason
# and retried with the SAME serial (http500, badxml, lost, timeout: not
# definite; refuse: definite), so the platform issues one invoice per
# serial whatever happens; a TLS failure (another CA, another name) sends
# nothing; a bad signature is the platform's definite refusal; backoff,
# then failed after max_attempts with the platform's message; a PDF given
# by URL is fetched with the same CA check; a request that does not
# validate or add up is never sent; two senders at once send each serial
# once; --once claims one batch, no larger than the lease allows; a
# correction's red invoice goes before its new blue one.
# Runs inside t/bin/testenv, on a database of its own.
use strict;
use warnings;
use utf8;
use Test::More;
use Certhall::ToolDb;
use Certhall::Tmpfs;
use Digest::SHA qw(sha256_hex);
use Encode qw(decode encode);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IPC::Run qw(run start finish timeout);
use JSON::PP;
use IO::Socket::SSL;
use POSIX ();

my $root = $ENV{TEST_NGINX_REPO};
my $host = $ENV{PGHOST};
my $admin = $ENV{TEST_NGINX_ADMIN_CGI};
plan skip_all => 'run inside t/bin/testenv' unless $root && $host && $admin;
-x $admin or BAIL_OUT("$admin is not built: make build/certhall-admin");

binmode $_, ':encoding(UTF-8)' for \*STDOUT, \*STDERR, Test::More->builder->output,
    Test::More->builder->failure_output, Test::More->builder->todo_output;

delete @ENV{qw(GATEWAY_INTERFACE CERTHALL_ADMIN_CONF http_proxy HTTP_PROXY
               https_proxy HTTPS_PROXY all_proxy ALL_PROXY)};

my $tmp = tempdir(CLEANUP => 1);
my $storage = "$tmp/storage";
mkdir $storage or die;
my $json = JSON::PP->new->canonical;

# --- the double's keys: a test CA, another CA, a certificate for another
# name (made while the database migrates) ------------------------------------

my ($ca_out, $ca_err) = ('', '');
my $ca = start(['sh', '-c', q{set -e
    "$1/t/bin/mk-test-ca" "$2/ca"; "$1/t/bin/mk-test-ca" "$2/other-ca"; cd "$2/ca"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout wrong.key -out wrong.csr -subj '/CN=wrong.example' 2>/dev/null
    printf 'subjectAltName=DNS:wrong.example\n' > wrong.ext
    openssl x509 -req -in wrong.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile wrong.ext -out wrong.crt 2>/dev/null}, 'sh', $root, $tmp], \undef, \$ca_out, \$ca_err);
my $db = tool_db('invoice_send_test');
$ca->finish or BAIL_OUT("the test CAs: $ca_err");

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $text;
    close $fh or die;
}

sub slurp { open my $fh, '<:raw', $_[0] or return undef; local $/; <$fh> }

# --- the double ----------------------------------------------------------------

write_file("$tmp/secret", "s3cret-for-invoice-send\n");
my $KEY = 'certhall-test-app';
my $base = $ENV{TEST_NGINX_PORT};
my @doubles;
END { local $?; for (@doubles) { kill 'TERM', $_->[0]; close $_->[1] if $_->[1] } }

# starts a double with the certificate NAME; its https URL
sub double {
    my ($name, $port) = @_;
    my $pid = open my $fh, '-|', $^X, "$root/t/bin/tax-platform", '--cert', "$tmp/ca/$name.crt",
        '--key', "$tmp/ca/$name.key", '--app-key', $KEY, '--secret-file', "$tmp/secret",
        '--log', "$tmp/$name.log", '--port', $port, '--hang', 3
        or die "tax-platform: $!";
    push @doubles, [$pid, $fh];
    my $line = <$fh> // '';
    $line =~ /^listening on 127\.0\.0\.1:(\d+)$/ or BAIL_OUT("tax-platform said: $line");
    return "https://127.0.0.1:$1";
}

# +8, +9: clear of make run's hall and the other doubles' suites
my $url = double('server', $base ? $base + 8 : 0);
my $wrong_url = double('wrong', $base ? $base + 9 : 0);

my $http = HTTP::Tiny->new(timeout => 10, verify_SSL => 1,
                           SSL_options => { SSL_ca_file => "$tmp/ca/ca.crt" });
sub mode { is $http->post("$url/_control", { content => "mode=$_[0]" })->{status}, 200, "the double: mode $_[0]" }
sub issued { @{ $json->decode($http->get("$url/_control")->{content})->{invoices} } }

# the platform's log: one JSON line per request
sub platform_log {
    my $text = slurp("$tmp/server.log") // '';
    return map { $json->decode($_) } split /\n/, $text;
}

my %conf = (
    db => "host=$host dbname=$db user=certhall connect_timeout=5",
    einvoice_url => "$url/fpkj", einvoice_app_key => $KEY, einvoice_secret_file => "$tmp/secret",
    einvoice_ca_file => "$tmp/ca/ca.crt", einvoice_timeout => 10,
    einvoice_schema => "$root/schema/fpkj.xsd", storage => $storage,
    seller_taxpayer_id => '91430300MA4L000001', seller_name => '湘潭数字证书认证有限公司',
    seller_address_phone => '湘潭市岳塘区 0731-00000000',
    seller_bank_account => '工商银行湘潭支行 1904000000000000000',
    einvoice_issuer => '财务', einvoice_spbm => '3040201990000000000', einvoice_tax_rate => '0.06',
);

# a configuration file: %conf with the changes given (undef: left out)
my $nconf = 0;
sub conf {
    my (%change) = @_;
    my %c = (%conf, %change);
    my $path = "$tmp/admin" . $nconf++ . '.conf';
    write_file($path, encode('UTF-8', join '', map { "$_ = $c{$_}\n" } grep { defined $c{$_} } sort keys %c));
    return $path;
}
my $good = conf();

sub command {
    my ($conf, @args) = @_;
    my ($o, $e) = ('', '');
    run [$admin, 'invoice-send', '-c', $conf // $good, @args], \undef, \$o, \$e, timeout(60);
    return ($? >> 8, decode('UTF-8', $o), decode('UTF-8', $e));
}

# --- orders in 待开票 --------------------------------------------------------

my $setup = q{
    CREATE FUNCTION pg_temp.pending_invoice(p_first integer, p_count integer)
    RETURNS integer
    LANGUAGE plpgsql AS $$
    DECLARE
        v_acct bigint;
        v_id   text;
    BEGIN
        INSERT INTO accounts (phone, realname_status, realname_name, realname_id_masked, realname_verified_at)
        VALUES ('13700000018', 'verified', '测试', '1101**********002X', now())
        ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id INTO v_acct;
        FOR n IN p_first .. p_first + p_count - 1 LOOP
            v_id := 'UO202612070900' || lpad(n::text, 6, '0');
            PERFORM pg_temp.shipped_order(v_id, v_acct);
            PERFORM order_transition(v_id, 'pending_invoice', 'system', NULL);
        END LOOP;
        RETURN p_count;
    END
    $$;
};

# the orders numbered in @_ in 待开票, each with its blue request queued
# but held back (next_try_at infinity) until due(n) lets it go
sub pending_invoice {
    my $sql = join '', map { "SELECT pg_temp.pending_invoice($_, 1);" } @_;
    my ($o, $e) = ('', '');
    run ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $host, '-U', 'certhall', '-d', $db,
         '-f', "$root/t/sql/lib/fixtures.sql", '-c', $setup . $sql
         . q{UPDATE invoice_requests SET next_try_at = 'infinity' WHERE state = 'queued'}],
        \undef, \$o, \$e
        or die "psql: making orders in pending_invoice: $e";
}

sub id { sprintf 'UO202612070900%06d', $_[0] }

# order n's latest request of the kind (blue), its order's state, its
# invoice: one hash
sub req {
    my ($n, $kind) = @_;
    my $row = psql(q{SELECT row_to_json(x) FROM (
        SELECT r.*, r.next_try_at > now() + interval '50 s' AS later,
               round(extract(epoch FROM r.next_try_at - r.last_error_at) / 60) AS wait_min,
               o.state AS order_state, o.amount_fen AS order_amount,
               i.fpdm, i.fphm, i.total_fen, i.net_fen, i.tax_fen, i.pdf_sha256, i.pdf_size,
               i.request_xml_sha256, i.answer_xml_sha256, i.reversed_by_request_id,
               to_char(i.kprq AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDDHH24MISS') AS kprq
        FROM invoice_requests r JOIN orders o ON o.id = r.order_id
        LEFT JOIN invoices i ON i.request_id = r.id
        WHERE r.order_id = '} . id($n) . q{' AND r.kind = '} . ($kind // 'blue') . q{'
        ORDER BY r.id DESC LIMIT 1) x});
    my $h = JSON::PP->new->decode($row);
    $_ = ref $_ ? ($_ ? 't' : 'f') : $_ for values %$h;
    return $h;
}

sub fields { my ($h, @k) = @_; join '|', map { $h->{$_} // '-' } @k }

# lets order n's queued request go now, as if its backoff had passed
sub due {
    psql(q{UPDATE invoice_requests SET next_try_at = now() WHERE state = 'queued' AND order_id IN ('}
         . join("', '", map { id($_) } @_) . q{')});
}

sub stored { my $sha = shift; slurp("$storage/" . substr($sha // 'xx', 0, 2) . '/' . ($sha // '')) }

# === configuration ===========================================================

{
    my ($rc, $o, $e) = command(conf(einvoice_url => undef));
    is $rc, 2, 'no einvoice_url: exit 2';
    like $e, qr/^invoice-send: configuration: "einvoice_url" is not set$/m, 'said';
    ($rc, $o, $e) = command(conf(einvoice_url => "http://127.0.0.1:1/fpkj"));
    like "$rc $e", qr/^2 .*:\d+: expected an https:\/\/ URL/, 'an http:// platform is refused';
    ($rc, $o, $e) = command(conf(einvoice_tax_rate => '6%'));
    like "$rc $e", qr/^2 .*:\d+: expected a tax rate like 0\.06/, 'a tax rate not a decimal fraction: refused';
    ($rc, $o, $e) = command();
    is "$rc $o", "0 invoice-send: 0 done, 0 failed\n", 'nothing queued: nothing done' or diag $e;
    # what it stores is for nginx's workers to serve: written by a user that
    # does not own the storage (root from a shell), they could not read it
    my $theirs = "$tmp/storage-of-another";
    mkdir $theirs or die;
    SKIP: {
        skip 'only root can give a folder to another user', 1 unless chown 65534, -1, $theirs;
        ($rc, $o, $e) = command(conf(storage => $theirs));
        like "$rc $e", qr/^2 invoice-send: storage \Q$theirs\E belongs to uid 65534, not to this user \(uid $<\): run invoice-send as its owner/m,
            'a storage another user owns: refused before anything is claimed, exit 2';
    }
}

pending_invoice(1 .. 9, 20 .. 25, 30 .. 33);

# === issued end to end ========================================================

my $serial1 = req(1)->{serial};
like $serial1, qr/^CH\d{18}$/, 'entering 待开票 queued a request with its serial';
{
    due(1);
    my ($rc, $o, $e) = command();
    is "$rc $o", "0 invoice-send: 1 done, 0 failed\n", 'invoice-send: one done, exit 0' or diag $e;
    my $r = req(1);
    is fields($r, qw(order_state state attempts)), 'completed|issued|1',
        'the order is completed, the request issued at the first attempt';
    my @inv = issued();
    is join(' ', map { $_->{serial} } @inv), $serial1, 'the platform issued one invoice, for the serial';
    is "$r->{fpdm}/$r->{fphm} $r->{kprq}", "$inv[0]{fpdm}/$inv[0]{fphm} $inv[0]{kprq}",
        'the invoices row has the platform\'s numbers and date (Beijing)';
    is "$r->{total_fen} $inv[0]{jshj}", "$r->{order_amount} $r->{order_amount}",
        'the total is the order\'s amount, here and at the platform';
    is $r->{net_fen} + $r->{tax_fen}, $r->{total_fen}, 'net + tax = total';
    my $pdf = stored($r->{pdf_sha256}) // '';
    is sha256_hex($pdf) . ' ' . length($pdf), "$r->{pdf_sha256} $r->{pdf_size}",
        'the PDF is in the storage under its SHA-256, its size recorded';
    like $pdf, qr/^%PDF-.*fphm $r->{fphm}/s, 'it is the invoice\'s PDF';
    my $req_xml = stored($r->{request_xml_sha256}) // '';
    is sha256_hex($req_xml), $r->{request_xml_sha256}, 'the request XML too';
    like $req_xml, qr{<FPQQLSH>$serial1</FPQQLSH>.*<JSHJ>[0-9]+\.[0-9]{2}</JSHJ>}s, 'the FPKJ request sent';
    run ['xmllint', '--noout', '--schema', "$root/schema/fpkj.xsd", '-'], \$req_xml, \my $xo, \my $xe;
    is $?, 0, 'valid against schema/fpkj.xsd' or diag $xe;
    my $ans_xml = stored($r->{answer_xml_sha256}) // '';
    is sha256_hex($ans_xml), $r->{answer_xml_sha256}, 'and the answer';
    like $ans_xml, qr{<fphm>$r->{fphm}</fphm>}, 'as the platform wrote it';
    is psql(q{SELECT concat_ws(' ', status, done, failed) FROM job_runs WHERE job = 'invoice-send'
              ORDER BY id DESC LIMIT 1}), 'ok 1 0', 'the run is recorded';
    ($rc, $o) = command();
    is $o, "invoice-send: 0 done, 0 failed\n", 'a second run finds nothing to send';
}

# === failures that may have issued: the same serial again ======================

my %mode_order = (http500 => 2, badxml => 3, lost => 4, timeout => 6);
my %serial = map { $_ => req($mode_order{$_})->{serial} } keys %mode_order;
for my $c (['http500', qr/no answer: HTTP 500/], ['badxml', qr/no answer: HTTP 200, not an answer/],
           ['lost', qr/no answer: /], ['timeout', qr/no answer: .*(?i:timed? ?out)/])
{
    my ($m, $why) = @$c;
    my $n = $mode_order{$m};
    due($n);
    mode($m);
    # the timeout mode once, with a short einvoice_timeout
    my ($rc, $o, $e) = command($m eq 'timeout' ? conf(einvoice_timeout => 1) : undef);
    is "$rc $o", "1 invoice-send: 0 done, 1 failed\n", "$m: one failed, exit 1";
    like $e, qr/^invoice-send: \Q$serial{$m}\E \(order ${\ id($n)}, attempt 1\): $why.* -> queued$/m,
        "$m: stderr names the serial, the order and the reason" or diag $e;
    my $r = req($n);
    is fields($r, qw(state attempts definite_refusal later order_state)), 'queued|1|f|t|pending_invoice',
        "$m: queued again in a minute, not a definite refusal; the order waits";
    like $r->{last_error}, $why, "$m: the reason recorded";
}
{
    mode('ok');
    due(values %mode_order);
    my ($rc, $o, $e) = command();
    is "$rc $o", "0 invoice-send: 4 done, 0 failed\n", 'the next run gets them all' or diag $e;
    my %platform = map { $_->{serial} => [ @{ $_ }{qw(fpdm fphm)} ] } issued();
    for my $m (sort keys %mode_order) {
        my $r = req($mode_order{$m});
        is fields($r, qw(serial state attempts fpdm fphm)),
            "$serial{$m}|issued|2|" . join('|', @{ $platform{ $serial{$m} } // [] }),
            "$m: the same serial issued, the platform's invoice for it recorded";
    }
    my %count;
    $count{ $_->{serial} }++ for issued();
    is join(' ', map { $count{ $serial{$_} } } sort keys %mode_order), '1 1 1 1',
        'one invoice at the platform for each';
}

# lost: the platform had issued it, and answered the repeat with that invoice
{
    my @sent = grep { ($_->{serial} // '') eq $serial{lost} } platform_log();
    is join(' ', map { $_->{mode} . ($_->{repeat} ? '/repeat' : '') } @sent), 'lost ok/repeat',
        'lost: sent twice, the second a repeat of the serial';
}

# === refused: definite; backoff; failed after max_attempts =======================

{
    # 3 attempts, not the 5 of the policy as shipped: the same rule, two runs less
    psql(q{UPDATE invoice_policy SET max_attempts = 3});
    due(5);
    mode('refuse');
    my ($rc, $o, $e) = command();
    is $rc, 1, 'refuse: exit 1';
    like $e, qr/税务平台拒绝：1001 购买方纳税人识别号校验失败 -> queued$/m, 'the platform\'s message on stderr';
    my $r = req(5);
    is fields($r, qw(state definite_refusal last_error)), 'queued|t|税务平台拒绝：1001 购买方纳税人识别号校验失败',
        'a definite refusal, with the platform\'s message';
    # backoff 1, 2 (4, 8, ...) minutes, then failed after max_attempts
    my @waits = ($r->{wait_min});
    for my $try (2 .. 3) {
        due(5);
        ($rc, $o, $e) = command();
        $r = req(5);
        push @waits, $r->{state} eq 'queued' ? $r->{wait_min} : $r->{state};
    }
    is "@waits", '1 2 failed', 'backoff doubles, then failed after max_attempts';
    like $e, qr/-> failed$/m, 'the last run says failed';
    is fields($r, qw(attempts last_error)), '3|税务平台拒绝：1001 购买方纳税人识别号校验失败',
        'finance sees the platform\'s message';
    is psql(q{SELECT string_agg(outcome, ' ' ORDER BY n) FROM invoice_attempts WHERE request_id = } . $r->{id}),
        join(' ', ('refused') x 3), 'every attempt recorded';
    due(5);
    ($rc, $o) = command();
    is $o, "invoice-send: 0 done, 0 failed\n", 'a failed request is not sent again';
    mode('ok');
}

# === TLS: another CA, another name: nothing sent ==================================

{
    my $before = () = platform_log();
    due(7);
    my ($rc, $o, $e) = command(conf(einvoice_ca_file => "$tmp/other-ca/ca.crt"));
    is $rc, 1, 'a CA file that is not the platform\'s: exit 1';
    like $e, qr/\Q${\ req(7)->{serial}}\E .*no answer: .*certificate/i, 'a certificate problem, said' or diag $e;
    is fields(req(7), qw(state definite_refusal)), 'queued|f', 'queued again';
    due(7);
    ($rc, $o, $e) = command(conf(einvoice_url => "$wrong_url/fpkj"));
    is $rc, 1, 'a certificate for another name: exit 1';
    like $e, qr/no answer: .*(?:certificate|name|match)/i, 'said' or diag $e;
    my $after = () = platform_log();
    is $after, $before, 'the platform never saw a request';
    is slurp("$tmp/wrong.log") // '', '', 'nor did the other one';
    due(7);
    ($rc, $o) = command();
    is $o, "invoice-send: 1 done, 0 failed\n", 'with the right CA it goes';
}

# === a request not signed as the platform wants: refused, 401 ======================

{
    due(32);
    write_file("$tmp/other-secret", "not-the-platform-s\n");
    my ($rc, $o, $e) = command(conf(einvoice_secret_file => "$tmp/other-secret"));
    like "$rc $e", qr/^1 invoice-send: \Q${\ req(32)->{serial}}\E .*: 税务平台拒绝：9001 bad signature -> queued$/m,
        'another secret: the platform refuses the signature (401, 9001)';
    is fields(req(32), qw(state definite_refusal)), 'queued|t', 'a definite refusal: nothing issued';
    due(32);
    ($rc, $o) = command();
    is $o, "invoice-send: 1 done, 0 failed\n", 'signed right, it goes';
}

# === a platform that gives the PDF by URL: fetched, with the same CA ================

{
    # a platform of a few lines (HTTPS, the test CA's certificate): the
    # answer names the PDF's https URL, and the PDF is larger than the 64 KiB
    # the other systems' answers may be
    my $srv = IO::Socket::SSL->new(LocalAddr => '127.0.0.1', LocalPort => $base ? $base + 10 : 0,
        Listen => 5, ReuseAddr => 1, SSL_server => 1,
        SSL_cert_file => "$tmp/ca/server.crt", SSL_key_file => "$tmp/ca/server.key")
        or BAIL_OUT("a platform with pdf_url: $! $SSL_ERROR");
    my $at = 'https://127.0.0.1:' . $srv->sockport;
    my $pdf = "%PDF-1.4\n" . ('%' . ('x' x 99) . "\n") x 2000 . "%%EOF\n";
    my $answer = qq{<?xml version="1.0" encoding="UTF-8"?>\n<business id="FPKJ"><returncode>0000</returncode>}
        . qq{<returnmsg>ok</returnmsg><returndata><fpdm>043002600999</fpdm><fphm>90000001</fphm>}
        . qq{<kprq>20261207100000</kprq><pdf_url>$at/pdf/90000001.pdf</pdf_url></returndata></business>\n};
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        while (my $c = $srv->accept) {
            local $/ = "\r\n";
            my $line = <$c> // '';
            my %h;
            while (defined(my $l = <$c>)) {
                last if $l eq "\r\n";
                $h{ lc $1 } = $2 if $l =~ /^([^:]+):\s*(.*?)\r\n\z/;
            }
            read($c, my $body, $h{'content-length'}) if $h{'content-length'};
            my ($type, $out) = $line =~ /^POST / ? ('application/xml', $answer) : ('application/pdf', $pdf);
            print $c "HTTP/1.1 200 OK\r\nContent-Type: $type\r\nContent-Length: " . length($out)
                   . "\r\nConnection: close\r\n\r\n$out";
            $c->close;
        }
        POSIX::_exit(0);
    }
    push @doubles, [$pid];
    close $srv;
    due(33);
    my ($rc, $o, $e) = command(conf(einvoice_url => "$at/fpkj"));
    is "$rc $o", "0 invoice-send: 1 done, 0 failed\n", 'an answer with pdf_url: issued' or diag $e;
    my $r = req(33);
    is fields($r, qw(fphm pdf_sha256 pdf_size)), join('|', '90000001', sha256_hex($pdf), length $pdf),
        'the PDF fetched from the URL (over 64 KiB) is the one recorded';
    is sha256_hex(stored($r->{pdf_sha256}) // ''), sha256_hex($pdf), 'and stored';
}

# === never sent: a request that does not validate, or does not add up ==============

{
    my $before = () = platform_log();
    # the snapshot may change until the first send: a title the builder
    # refuses; and the database's own CHECK goes (in this suite's database
    # only) to show that the sender checks the total on its own
    psql(q{UPDATE invoice_requests SET buyer_name = E'测试\tTAB' WHERE order_id = '} . id(8) . q{';
           ALTER TABLE invoice_requests DROP CONSTRAINT invoice_requests_check;
           UPDATE invoice_requests SET amount_fen = amount_fen + 1 WHERE order_id = '} . id(9) . q{'});
    due(8, 9);
    my ($rc, $o, $e) = command();
    is "$rc $o", "1 invoice-send: 0 done, 2 failed\n", 'both fail';
    like $e, qr/^invoice-send: \Q${\ req(8)->{serial}}\E .*: not sent: .* -> failed$/m,
        'an invalid title: not sent, failed';
    like $e, qr/^invoice-send: \Q${\ req(9)->{serial}}\E .*: not sent: the invoice's total (\d+) fen is not the request's amount (??{$1 + 1}) fen -> failed$/m,
        'a wrong total: not sent, failed';
    is fields(req(8), qw(state definite_refusal)) . ' ' . req(9)->{state}, 'failed|t failed',
        'waiting for finance (nothing issued: the title may be corrected)';
    my $after = () = platform_log();
    is $after, $before, 'nothing reached the platform';
}

# === two senders at once ===========================================================

{
    # and a request whose sender died mid-send: its lease ran out
    psql(q{UPDATE invoice_requests SET state = 'sending', attempts = 1, first_sent_at = now(),
           lease_token = 'dead-run', lease_until = now() - interval '1 second'
           WHERE order_id = '} . id(25) . q{'});
    due(20 .. 24);
    my @runs = map {
        my ($o, $e) = ('', '');
        { h => start([$admin, 'invoice-send', '-c', $good], \undef, \$o, \$e, timeout(60)), o => \$o, e => \$e }
    } 1 .. 2;
    finish($_->{h}) for @runs;
    my ($d1) = ${ $runs[0]{o} } =~ /(\d+) done/;
    my ($d2) = ${ $runs[1]{o} } =~ /(\d+) done/;
    is(($d1 // 0) + ($d2 // 0), 6, 'two runs at once: six done between them')
        or diag ${ $runs[0]{e} } . ${ $runs[1]{e} };
    is psql(q{SELECT count(*) FILTER (WHERE o.state = 'completed') || ' '
                     || (SELECT count(*) FROM order_events e WHERE e.order_id BETWEEN '} . id(20) . q{' AND '}
                     . id(25) . q{' AND e.to_state = 'completed')
              FROM orders o WHERE o.id BETWEEN '} . id(20) . q{' AND '} . id(25) . q{'}),
        '6 6', 'every order completed, once';
    my %seen;
    $seen{ $_->{serial} }++ for issued();
    is scalar(grep { $_ > 1 } values %seen), 0, 'the platform lists each serial once';
    is scalar(keys %seen), psql(q{SELECT count(*) FROM invoices WHERE fpdm = '043002600111'}),
        'and every invoice it issued is recorded';
    is fields(req(25), qw(state attempts)), 'issued|2', 'the dead run\'s request sent again and issued';
}

# === --once: one claim, no more than the lease allows ================================

{
    due(30, 31);
    # 600 s a request at most: only one fits in half of the 5-minute lease
    my ($rc, $o, $e) = command(conf(einvoice_timeout => 600), '--once');
    is "$rc $o", "0 invoice-send: 1 done, 0 failed\n", '--once with a long timeout: one request claimed' or diag $e;
    ($rc, $o, $e) = command();
    is "$rc $o", "0 invoice-send: 1 done, 0 failed\n", 'the next run sends the other';
}

# === a correction: red before the new blue ==========================================

{
    # finance's 冲红重开 of order 1's invoice (a staff session made here):
    # a red request reversing it, and a blue one with the new title that
    # waits for it
    psql(q{SELECT staff_add('invfin', '赵财务', ARRAY['finance'], '$pbkdf2-sha256$1000$c$a2V5');
           INSERT INTO staff_sessions (token_hash, staff_id, csrf_token)
           SELECT token_hash(rpad('send-token', 43, '0')), id, rpad('send-csrf', 43, '0')
           FROM staff WHERE login = 'invfin'});
    psql(q{SELECT admin.invoice_correct(rpad('send-token', 43, '0'), rpad('send-csrf', 43, '0'),
                                        '10.0.0.8', '} . id(1) . q{', 'personal', '张三', NULL,
                                        'zhang@example.com', '13900000001', NULL, '抬头应为个人')});
    is fields(req(1, 'red'), qw(state)) . ' ' . fields(req(1), qw(state buyer_name later)),
        'queued queued|张三|t', 'finance\'s correction queued a red request, the new blue one waits';
    my ($rc, $o, $e) = command();
    is "$rc $o", "0 invoice-send: 2 done, 0 failed\n", 'one run sends both' or diag $e;
    my ($red, $blue) = (req(1, 'red'), req(1));
    my @mine = grep { $_->{serial} eq $red->{serial} || $_->{serial} eq $blue->{serial} } issued();
    my $amount = $blue->{order_amount};
    is join(' ', map { "$_->{kplx}:$_->{jshj}" } @mine), "1:-$amount 0:$amount",
        'the red one first, for minus the total, then the new blue one';
    my ($first) = grep { $_->{serial} eq $serial1 } issued();
    is $first->{reversed_by}, $red->{fphm}, 'the platform has the first reversed by the red one';
    is psql(q{SELECT reversed_by_request_id FROM invoices WHERE fphm = '} . $first->{fphm} . q{'}), $red->{id},
        'so has the database';
    is fields($blue, qw(buyer_name state)) . ' ' . ($blue->{total_fen} > 0 ? 'positive' : 'negative'),
        '张三|issued positive', 'the new invoice has the new title';
}

# === the storage full (issue 21) ==============================================
# A storage with no room for what the platform issues (a tmpfs of its own,
# mounted here, filled but for one page: the PDF may fit, the rest does
# not): nothing of the send is kept (no file without its row), the
# request goes back to the queue WITHOUT counting the attempt (however long
# the disk stays full it never becomes 'failed'), the rest of the claim is
# not sent at all; once there is room the next run records the platform's
# same invoice, with its files.

SKIP: {
    my $small = "$tmp/small-storage";
    mkdir $small or die;
    my $refused = tmpfs_mount($small, 'size=256k,mode=0755', 'certhall-invoice-send');
    skip $refused, 14 if $refused;

    # fills the filesystem, then gives back a page
    my $filler = tmpfs_fill($small);
    truncate $filler, (-s $filler) - 4096 or die "filler: $!";

    pending_invoice(40, 41);
    due(40, 41);
    my %before = map { $_ => req($_) } 40, 41;
    my %count_before;
    $count_before{ $_->{serial} }++ for issued();
    my $full = conf(storage => $small);
    my ($rc, $o, $e) = command($full);
    is "$rc $o", "1 invoice-send: 0 done, 2 failed\n", 'storage full: nothing done, exit 1' or diag $e;
    my ($serial40, $serial41) = map { $before{$_}{serial} } 40, 41;
    like $e, qr/^invoice-send: \Q$serial40\E .*storage full: .*No space left on device -> queued$/m,
        'the issued one: said, with the storage full, and queued';
    like $e, qr/^invoice-send: \Q$serial41\E .*not sent: the storage is full -> queued$/m,
        'the next one is not sent at all';
    my %after = map { $_ => req($_) } 40, 41;
    is fields($after{$_}, qw(state attempts order_state fpdm)),
        "queued|$before{$_}{attempts}|pending_invoice|-", "order $_: queued, its attempt not counted, no invoice row"
        for 40, 41;
    is psql(q{SELECT string_agg(outcome || ':' || (message LIKE '%storage%full%')::text, ' ' ORDER BY id)
              FROM invoice_attempts WHERE request_id = } . $after{40}{id}), 'error:true',
        'the attempt is closed as an error, with the reason';
    my %count;
    $count{ $_->{serial} }++ for issued();
    is $count{ $before{40}{serial} }, 1, 'the platform issued the first one once';
    ok !$count{ $before{41}{serial} }, 'and was never asked for the second';
    # (a content address's directory may stay, empty: no file)
    my @left = grep { -f } glob("$small/??/*");
    opendir my $th, "$small/tmp" or die;
    my @tmp_left = grep { !/^\.\.?$/ } readdir $th;
    is "@left|@tmp_left", '|', 'nothing of the send in the storage: no file without its row, no temporary file';

    # room again; the backoff passed
    unlink "$small/filler";
    due(40, 41);
    ($rc, $o, $e) = command($full);
    is "$rc $o", "0 invoice-send: 2 done, 0 failed\n", 'room again: both done' or diag $e;
    my $r = req(40);
    is fields($r, qw(state order_state attempts)), "issued|completed|" . ($before{40}{attempts} + 1),
        'the first is issued, one attempt counted';
    %count = ();
    $count{ $_->{serial} }++ for issued();
    is "$count{ $before{40}{serial} } $count{ $before{41}{serial} }", '1 1',
        'the platform holds one invoice per serial: the same one was recorded';
    my $pdf = slurp("$small/" . substr($r->{pdf_sha256}, 0, 2) . "/$r->{pdf_sha256}") // '';
    is sha256_hex($pdf), $r->{pdf_sha256}, 'its PDF is in the storage';
    tmpfs_unmount($small);
}

done_testing;
