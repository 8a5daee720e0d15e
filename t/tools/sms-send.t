# certhall-admin sms-send: the SMS sender posts the outbox's texts to the
# gateway (t/bin/sms-gateway, a double speaking its protocol) and records
# each one's fate; failures are retried by the database's schedule and given
# up after 5 attempts; expired texts are not sent; no code and no token ever
# reaches its output; configuration and database errors exit 2.
# Runs inside t/bin/testenv, on a database of its own.
use strict;
use warnings;
use utf8;
use Test::More;
use Certhall::ToolDb;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IPC::Run qw(run);
use JSON::PP;
use HTTP::Tiny;
use Encode qw(decode);
use Time::HiRes qw(time);

my $root = $ENV{TEST_NGINX_REPO};
my $host = $ENV{PGHOST};
my $admin = $ENV{TEST_NGINX_ADMIN_CGI};
plan skip_all => 'run inside t/bin/testenv' unless $root && $host && $admin;
-x $admin or BAIL_OUT("$admin is not built: make build/certhall-admin");

binmode $_, ':encoding(UTF-8)' for \*STDOUT, \*STDERR, Test::More->builder->output,
    Test::More->builder->failure_output, Test::More->builder->todo_output;

my $db = 'sms_send_test';
my $tmp = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->utf8;

# the sender talks to 127.0.0.1 directly, whatever the environment says
delete @ENV{qw(GATEWAY_INTERFACE CERTHALL_ADMIN_CONF http_proxy HTTP_PROXY
               https_proxy HTTPS_PROXY all_proxy ALL_PROXY)};

tool_db($db);

# the token, written by the test (secrets are never in the repo)
my $token = 'tok-' . join('', map { sprintf '%02x', int rand 256 } 1 .. 16);
my $token_file = "$tmp/token";
write_file($token_file, "$token\n");
my $wrong_token_file = "$tmp/wrong-token";
write_file($wrong_token_file, "not-$token\n");

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $text;
    close $fh or die;
}

my $conf_n = 0;
sub conf {
    my (%kv) = @_;
    my $path = "$tmp/admin-" . ++$conf_n . '.conf';
    my $text = "# written by t/tools/sms-send.t\n"
             . "db = host=$host dbname=$db user=certhall connect_timeout=5\n";
    $text .= "$_ = $kv{$_}\n" for grep { defined $kv{$_} } sort keys %kv;
    write_file($path, $text);
    return $path;
}

# --- the gateway double ------------------------------------------------------

my @gateways;
my $gw_n = 0;

sub gateway {
    my (%o) = @_;
    my $log = "$tmp/gateway-" . ++$gw_n . '.log';
    my $pid = open my $fh, '-|', $^X, "$root/t/bin/sms-gateway",
        '--token-file', $o{token_file} // $token_file, '--log', $log,
        '--mode', $o{mode} // 'ok', $o{hang} ? ('--hang', $o{hang}) : ()
        or die "sms-gateway: $!";
    my $line = <$fh> // '';
    $line =~ /^listening on 127\.0\.0\.1:(\d+)$/ or die "sms-gateway said: $line";
    my $gw = { pid => $pid, fh => $fh, port => $1, log => $log };
    push @gateways, $gw;
    return $gw;
}

sub gateway_stop {
    my ($gw) = @_;
    return unless $gw->{fh};
    kill 'TERM', $gw->{pid};
    close $gw->{fh};
    delete $gw->{fh};
}

END { gateway_stop($_) for @gateways }

# what the double received, in order
sub received {
    my ($gw) = @_;
    open my $fh, '<:raw', $gw->{log} or return ();
    return map { $json->decode($_) } <$fh>;
}

sub url { "http://127.0.0.1:$_[0]{port}/v1/sms" }

sub gw_conf {
    my ($gw) = @_;
    return conf(sms_gateway_url => url($gw), sms_gateway_token_file => $token_file);
}

# --- running the sender ------------------------------------------------------

my $all_output = '';

sub sender {
    my (@args) = @_;
    my ($out, $err) = ('', '');
    run [$admin, 'sms-send', @args], \undef, \$out, \$err;
    my $rc = $? >> 8;
    $out = decode('UTF-8', $out);
    $err = decode('UTF-8', $err);
    $all_output .= $out . $err;
    return ($rc, $out, $err);
}

# --- the outbox --------------------------------------------------------------

my %codes;      # phone => the code sent to it (taken from the database)
my $addr_n = 0;

# the last run of sms-send in job_runs: "status done failed message"
sub last_run {
    psql(q{SELECT concat_ws(' ', status, done, failed, coalesce(message, '-'))
           FROM job_runs WHERE job = 'sms-send' ORDER BY id DESC LIMIT 1});
}

sub request_code {
    my ($phone) = @_;
    my $addr = '10.9.' . int($addr_n / 200) . '.' . (1 + $addr_n++ % 200);
    my $status = psql('SELECT status FROM api.sms_code_request(' . lit($phone)
                      . ", 'register', " . lit($addr) . ')');
    $status eq '200' or die "sms_code_request($phone) answered $status";
    my $content = psql('SELECT content FROM sms_outbox WHERE phone = ' . lit($phone)
                       . ' ORDER BY id DESC LIMIT 1');
    $content =~ /验证码为(\d{6})/ or die "no code in the text for $phone";
    $codes{$phone} = $1;
    return $1;
}

sub row {
    my ($phone) = @_;
    my $r = psql(q{SELECT json_build_object('id', id, 'status', status,
                   'has_content', content IS NOT NULL, 'attempts', attempts,
                   'gateway_id', gateway_id, 'last_error', last_error,
                   'retry_later', next_attempt_at > now(),
                   'sent', sent_at IS NOT NULL)
                   FROM sms_outbox WHERE phone = } . lit($phone)
                 . ' ORDER BY id DESC LIMIT 1');
    return JSON::PP->new->decode($r);
}

# ends whatever a scenario left pending, so the next one starts clean
sub retire {
    psql(q{UPDATE sms_outbox SET status = 'failed', content = NULL,
           last_error = 'retired by the test' WHERE status = 'pending'});
}

sub due_again {
    psql('UPDATE sms_outbox SET next_attempt_at = now() WHERE phone = ' . lit($_[0]));
}

# === texts are sent, once, with the right code ===============================

{
    my $gw = gateway();
    my $conf = gw_conf($gw);
    my @phones = qw(13800000001 13800000002 13900000003);
    request_code($_) for @phones;

    my ($rc, $out, $err) = sender('-c', $conf);
    is $rc, 0, 'the sender exits 0 when every text was sent' or diag $err;
    is $out, "sms-send: 3 done, 0 failed\n", 'and says how many';
    is $err, '', 'and nothing on stderr';
    is last_run(), 'ok 3 0 -', 'the run is recorded in job_runs: ok, 3 done';

    my @got = received($gw);
    is_deeply [sort map { $_->{phone} } @got], [sort @phones],
        'the gateway received exactly one text for each phone';

    for my $m (@got) {
        my $phone = $m->{phone};
        my @found = $m->{content} =~ /(?<!\d)(\d{6})(?!\d)/g;
        is scalar(@found), 1, "the text to $phone holds one 6-digit code";
        is $found[0], $codes{$phone}, 'the code the database made';
        is psql('SELECT outcome FROM sms_code_check(' . lit($phone)
                . q{, 'register', } . lit($found[0] // '') . ')'), 'ok',
            'and it checks ok';

        my $r = row($phone);
        is $r->{status}, 'sent', "the outbox row of $phone is sent";
        ok !$r->{has_content}, 'its text is gone from the database';
        ok $r->{sent}, 'it has its sending time';
        is $r->{gateway_id}, $m->{id}, "it has the gateway's message id ($m->{id})";
        is $r->{attempts}, 1, 'after one attempt';
    }

    # the same through CERTHALL_ADMIN_CONF instead of -c
    {
        local $ENV{CERTHALL_ADMIN_CONF} = $conf;
        ($rc, $out, $err) = sender();
    }
    is $rc, 0, 'a second run succeeds';
    is $out, "sms-send: 0 done, 0 failed\n", 'and sends nothing';
    is scalar(received($gw)), 3, 'the gateway received nothing more: no text twice';

    gateway_stop($gw);
}

# === the text is JSON-escaped correctly ======================================

{
    my $gw = gateway();
    my $text = "引号\"反斜杠\\ 换行\n制表\t<b>&amp;</b> 😀 \x{2028} end";
    psql('INSERT INTO sms_outbox (phone, content, send_before) VALUES '
         . q{('13700000009', } . lit($text) . q{, now() + interval '5 minutes')});

    my ($rc, $out, $err) = sender('-c', gw_conf($gw));
    is $rc, 0, 'a text with quotes, backslashes, controls and emoji is sent'
        or diag $err;
    my @got = received($gw);
    is scalar(@got), 1, 'once';
    is $got[0]{content}, $text, 'the gateway reads exactly the text from its JSON';
    is $got[0]{status}, 200, 'and took the request as well-formed';
    gateway_stop($gw);
}

# === a batch at a time; --once ===============================================

{
    my $gw = gateway();
    my $conf = gw_conf($gw);
    my @phones = map { sprintf '135000001%02d', $_ } 1 .. 12;
    request_code($_) for @phones;

    my ($rc, $out, $err) = sender('-c', $conf, '--once');
    is $rc, 0, '--once succeeds' or diag $err;
    is $out, "sms-send: 10 done, 0 failed\n", 'and sends one batch of 10';
    is psql(q{SELECT count(*) FROM sms_outbox WHERE status = 'pending' AND attempts = 0}),
       2, 'the rest waits, untouched';

    ($rc, $out, $err) = sender('-c', $conf);
    is $out, "sms-send: 2 done, 0 failed\n", 'the next run sends the rest';
    my @got = received($gw);
    is_deeply [sort map { $_->{phone} } @got], [sort @phones], 'each text once';
    gateway_stop($gw);
}

# === two senders at once do not send a text twice ============================

{
    my $gw = gateway();
    my $conf = gw_conf($gw);
    my @phones = map { sprintf '135000002%02d', $_ } 1 .. 15;
    request_code($_) for @phones;

    my @h = map {
        my ($out, $err) = ('', '');
        my $h = IPC::Run::start([$admin, 'sms-send', '-c', $conf], \undef, \$out, \$err);
        { h => $h, out => \$out, err => \$err };
    } 1 .. 2;
    $_->{h}->finish for @h;
    $all_output .= ${ $_->{out} } . ${ $_->{err} } for @h;

    my $sent = 0;
    $sent += ${ $_->{out} } =~ /(\d+) done/ ? $1 : 0 for @h;
    is $sent, 15, 'two senders running at once sent 15 texts between them';
    my @got = received($gw);
    is_deeply [sort map { $_->{phone} } @got], [sort @phones],
        'and the gateway received each text exactly once';
    gateway_stop($gw);
}

# === failures are recorded and retried later =================================

sub check_failure {
    my ($what, $phone, $gw_or_url, $error_like, %o) = @_;
    my $conf = ref $gw_or_url ? gw_conf($gw_or_url)
             : conf(sms_gateway_url => $gw_or_url, sms_gateway_token_file => $token_file);
    $conf = $o{conf} if $o{conf};
    my $code = request_code($phone);
    (my $masked = $phone) =~ s/^(\d{3})\d{4}(\d{4})$/$1****$2/;

    my $t0 = time;
    my ($rc, $out, $err) = sender('-c', $conf);
    my $took = time - $t0;

    is $rc, 1, "$what: the sender exits 1";
    is $out, "sms-send: 0 done, 1 failed\n", "$what: and says so";
    my $r = row($phone);
    like last_run(), qr/^failed 0 1 outbox $r->{id} \(\Q$masked\E\): /,
        "$what: recorded as failed, with the masked error";
    like $err, qr/^sms-send: outbox $r->{id} \(\Q$masked\E\): .*$error_like/m,
        "$what: stderr names the outbox row, the masked phone and the error";
    unlike $err, qr/\Q$phone\E/, "$what: but not the whole phone";
    unlike $out . $err, qr/\Q$code\E/, "$what: nor the code";
    is $r->{status}, 'pending', "$what: the text stays pending";
    ok $r->{has_content}, "$what: with its text";
    is $r->{attempts}, 1, "$what: after 1 attempt";
    ok $r->{retry_later}, "$what: to be retried later";
    like $r->{last_error}, $error_like, "$what: the error is recorded";
    unlike $r->{last_error}, qr/\Q$code\E/, "$what: without the code";
    return ($r, $took);
}

{
    my $gw = gateway(token_file => $wrong_token_file);
    check_failure('a wrong token', '13800000011', $gw, qr/HTTP 401: bad token/);
    is scalar(grep { $_->{status} == 401 } received($gw)), 1,
        'the gateway refused it for the token';
    gateway_stop($gw);
    retire();
}

{
    my $gw = gateway(mode => 'refuse');
    check_failure('a refusal (code 1001)', '13800000012', $gw,
                  qr/gateway code 1001: number is blacklisted/);
    gateway_stop($gw);
    retire();
}

{
    my $gw = gateway(mode => 'notjson');
    check_failure('an answer that is not JSON', '13800000013', $gw,
                  qr/HTTP 200, but the answer is not a JSON object/);
    gateway_stop($gw);
    retire();
}

{
    # a gateway that repeats the text in its error message
    my $gw = gateway(mode => 'echo');
    check_failure('a gateway echoing the text', '13800000014', $gw,
                  qr/HTTP 500: cannot send "【在线服务厅】您的注册验证码为\*{6}，5分钟内有效/);
    gateway_stop($gw);
    retire();
}

{
    # a port nothing listens on
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
        or die "socket: $!";
    my $port = $s->sockport;
    close $s;
    check_failure('an unreachable gateway', '13800000015',
                  "http://127.0.0.1:$port/v1/sms", qr/connect/i);
    retire();
}

{
    my $gw = gateway(mode => 'slow');
    my (undef, $took) = check_failure('a gateway that does not answer', '13800000016',
                                      $gw, qr/timed out|timeout/i);
    # a lower bound only: a loaded machine makes it longer, never shorter;
    # that it gave up rather than waited for the answer (15 s) is what the
    # "timed out" above says
    ok $took >= 9, sprintf('the sender waited its 10 s before giving up (%.1f s)', $took);
    gateway_stop($gw);
    retire();
}

{
    my $gw = gateway(mode => 'http500');
    my $phone = '13800000017';
    my ($r) = check_failure('a gateway error (HTTP 500)', $phone, $gw,
                            qr/HTTP 500: internal error/);

    for my $attempt (2 .. 5) {
        due_again($phone);
        my ($rc) = sender('-c', gw_conf($gw));
        is $rc, 1, "attempt $attempt fails too";
    }

    $r = row($phone);
    is $r->{attempts}, 5, 'after 5 attempts';
    is $r->{status}, 'failed', 'the text is given up';
    ok !$r->{has_content}, 'and its text is gone from the database';

    due_again($phone);
    my ($rc, $out) = sender('-c', gw_conf($gw));
    is $out, "sms-send: 0 done, 0 failed\n", 'a given-up text is not tried again';
    is scalar(grep { $_->{phone} eq $phone } received($gw)), 5,
        'the gateway saw it 5 times in all';
    gateway_stop($gw);
}

{
    # accepted without a message id: sent all the same (failing it would
    # send it twice), and said
    my $gw = gateway(mode => 'noid');
    my $phone = '13800000018';
    request_code($phone);
    my ($rc, $out, $err) = sender('-c', gw_conf($gw));
    is $rc, 0, 'an answer without an id still counts as sent';
    like $err, qr/outbox \d+ \(138\*\*\*\*0018\): sent, but the gateway gave no usable message id/,
        'with a warning';
    my $r = row($phone);
    is $r->{status}, 'sent', 'the text is sent';
    is $r->{gateway_id}, undef, 'without a gateway id';
    gateway_stop($gw);
}

# === expired texts are not sent ==============================================

{
    my $gw = gateway();
    my $phone = '13800000021';
    request_code($phone);
    psql(q{UPDATE sms_outbox SET send_before = now() - interval '1 second' WHERE phone = }
         . lit($phone));
    my ($rc, $out, $err) = sender('-c', gw_conf($gw));
    is $rc, 0, 'an expired text is no failure of the sender';
    is $out, "sms-send: 0 done, 0 failed\n", 'and is not sent';
    is scalar(received($gw)), 0, 'the gateway received nothing';
    my $r = row($phone);
    is $r->{status}, 'failed', 'the text ends failed';
    ok !$r->{has_content}, 'with its text gone';
    is $r->{last_error}, 'expired before it was sent', 'and why';
    gateway_stop($gw);
}

# === configuration and database errors =======================================

{
    my $gw = gateway();
    my $url = url($gw);
    my $phone = '13800000031';
    request_code($phone);
    mkdir "$tmp/a-directory";
    write_file("$tmp/empty-token", "\n");
    write_file("$tmp/two-line-token", "abc\ndef\n");

    my @cases = (
        [ 'no sms_gateway_url', [ '-c', conf(sms_gateway_token_file => $token_file) ],
          qr/"sms_gateway_url" is not set/ ],
        [ 'no sms_gateway_token_file', [ '-c', conf(sms_gateway_url => $url) ],
          qr/"sms_gateway_token_file" is not set/ ],
        [ 'a missing token file',
          [ '-c', conf(sms_gateway_url => $url, sms_gateway_token_file => "$tmp/nonexistent") ],
          qr/sms_gateway_token_file \Q$tmp\E\/nonexistent: No such file or directory/ ],
        [ 'an unreadable token file',
          [ '-c', conf(sms_gateway_url => $url, sms_gateway_token_file => "$tmp/a-directory") ],
          qr/sms_gateway_token_file \Q$tmp\E\/a-directory: Is a directory/ ],
        [ 'an empty token file',
          [ '-c', conf(sms_gateway_url => $url, sms_gateway_token_file => "$tmp/empty-token") ],
          qr/empty-token: the file is empty/ ],
        [ 'a token file of two lines',
          [ '-c', conf(sms_gateway_url => $url, sms_gateway_token_file => "$tmp/two-line-token") ],
          qr/two-line-token: expected one line/ ],
        [ 'a URL that is not http(s)',
          [ '-c', conf(sms_gateway_url => 'ftp://127.0.0.1/sms', sms_gateway_token_file => $token_file) ],
          qr/admin-\d+\.conf:4: expected an http:\/\/ or https:\/\/ URL/ ],
        [ 'a timeout of 0 s',
          [ '-c', conf(sms_gateway_url => $url, sms_gateway_token_file => $token_file,
                       sms_gateway_timeout => 0) ],
          qr/admin-\d+\.conf:\d+: expected seconds, 1 to 600/ ],
        [ 'a timeout that is not a number',
          [ '-c', conf(sms_gateway_url => $url, sms_gateway_token_file => $token_file,
                       sms_gateway_timeout => '10s') ],
          qr/admin-\d+\.conf:\d+: expected seconds, 1 to 600/ ],
        [ 'an unknown setting',
          [ '-c', conf(sms_gateway_url => $url, sms_gateway_token_file => $token_file,
                       sms_gateway_colour => 'blue') ],
          qr/admin-\d+\.conf:3: unknown setting/ ],
        [ 'a missing configuration file', [ '-c', "$tmp/no-such.conf" ],
          qr/no-such\.conf: No such file or directory/ ],
        [ 'no configuration at all', [], qr/no file: give -c FILE or set CERTHALL_ADMIN_CONF/ ],
        [ 'an unknown argument', [ '-c', gw_conf($gw), '--twice' ],
          qr/unexpected argument "--twice"/ ],
    );

    for my $c (@cases) {
        my ($what, $args, $like) = @$c;
        my ($rc, $out, $err) = sender(@$args);
        is $rc, 2, "$what: exit 2";
        like $err, $like, "$what: the message names the problem";
        is $out, '', "$what: no summary";
    }
    like last_run(), qr/^error 0 0 configuration: sms_gateway_token_file /,
        'a configuration error once the database is reached is recorded as an error';

    # the database: a socket folder with no server
    my $down = "$tmp/admin-down.conf";
    write_file($down, "db = host=$tmp dbname=$db user=certhall connect_timeout=2\n"
                      . "sms_gateway_url = $url\nsms_gateway_token_file = $token_file\n");
    my ($rc, $out, $err) = sender('-c', $down);
    is $rc, 2, 'an unreachable database: exit 2';
    like $err, qr/^sms-send: database: /m, 'with the database error';

    my $r = row($phone);
    ok $r->{status} eq 'pending' && $r->{attempts} == 0,
        'none of these touched the outbox';
    is scalar(received($gw)), 0, 'nor posted anything';

    ($rc, $out) = sender('-c', gw_conf($gw));
    is $out, "sms-send: 1 done, 0 failed\n", 'the text goes once the configuration is right';
    gateway_stop($gw);
}

# === a gateway that does not answer ends the run; a lost answer, retried ===

{
    # down: the first post is refused, the rest of the batch is handed back
    # unposted (due at once, the attempt not counted), nothing more claimed
    my $gw = gateway();
    my $port = $gw->{port};
    gateway_stop($gw);
    my @phones = qw(13800000051 13800000052 13800000053);
    request_code($_) for @phones;
    my ($rc, $out, $err) = sender('-c', conf(sms_gateway_url => "http://127.0.0.1:$port/v1/sms",
                                             sms_gateway_token_file => $token_file));
    is $rc, 1, 'a gateway that refuses: exit 1';
    is $out, "sms-send: 0 done, 1 failed\n", 'after one post: the run ends there';
    my @rows = map { row($_) } @phones;
    is_deeply [sort map { "$_->{status} $_->{attempts}" } @rows], ['pending 0', 'pending 0', 'pending 1'],
        'the text posted counts its attempt, the two not posted none';
    ok !(grep { $_->{attempts} == 0 && $_->{retry_later} } @rows), 'they are due at once';
    is psql('SELECT count(*) FROM sms_outbox WHERE claimed_until > now() AND phone IN ('
            . join(', ', map { lit($_) } @phones) . ')'), 0, 'and none is left claimed';

    # the gateway back: all three go, each with its key
    $gw = gateway();
    due_again($_) for @phones;
    ($rc, $out) = sender('-c', gw_conf($gw));
    is $out, "sms-send: 3 done, 0 failed\n", 'the gateway back, all three are sent';
    my %id = map { $_ => row($_)->{id} } @phones;
    is_deeply [sort map { $_->{key} } received($gw)], [sort map { "certhall-sms-$id{$_}" } @phones],
        'each post carries Idempotency-Key: certhall-sms-<outbox id>';
    gateway_stop($gw);

    # slow: the gateway takes the text, its answer comes after the sender
    # gave up (sms_gateway_timeout 1 s); the retry, same key, is answered
    # with the first answer and the text is not sent again
    $gw = gateway(mode => 'slow', hang => 3);
    my $phone = '13800000054';
    request_code($phone);
    my $slow = conf(sms_gateway_url => url($gw), sms_gateway_token_file => $token_file,
                    sms_gateway_timeout => 1);
    ($rc, $out, $err) = sender('-c', $slow);
    ok $rc == 1 && $err =~ /timed out/i, 'an answer that comes too late is a failure'
        or diag $err;
    # the double answers one connection at a time: its control page
    # answers once the late answer is out
    HTTP::Tiny->new(timeout => 30)->get("http://127.0.0.1:$gw->{port}/_control");
    due_again($phone);
    ($rc, $out) = sender('-c', $slow);
    is $out, "sms-send: 1 done, 0 failed\n", 'the retry is answered at once: sent';
    my @got = grep { ($_->{phone} // '') eq $phone } received($gw);
    is_deeply [map { [$_->{key}, $_->{repeat} ? 1 : 0, defined $_->{id} ? 1 : 0] } @got],
        [["certhall-sms-" . row($phone)->{id}, 0, 1], ["certhall-sms-" . row($phone)->{id}, 1, 0]],
        'the gateway took it once; the retry, same key, was a repeat';
    is row($phone)->{status}, 'sent', 'the text is sent, once';
    gateway_stop($gw);
}

# === secrets =================================================================

{
    my @leaked = grep { index($all_output, $codes{$_}) >= 0 } sort keys %codes;
    ok keys(%codes) >= 30, 'the runs above sent at least 30 codes';
    is_deeply \@leaked, [], "no code appears in the sender's stdout or stderr";
    unlike $all_output, qr/\Q$token\E/, "nor does the token";
    like $all_output, qr/\*\*\*\*/, 'what the checks above read was real output';
}

# the CGI still takes the new keys (one configuration file serves both)
{
    my $gw = gateway();
    my ($out, $err) = ('', '');
    local $ENV{GATEWAY_INTERFACE} = 'CGI/1.1';
    local $ENV{REQUEST_METHOD} = 'GET';
    local $ENV{PATH_INFO} = '/admin/login';
    local $ENV{CERTHALL_ADMIN_CONF} = gw_conf($gw);
    run [$admin], \undef, \$out, \$err;
    like $out, qr/^Status: 200 OK\r\n/, 'the back office serves pages with the sms_* keys set'
        or diag $err;
    gateway_stop($gw);
}

psql("DROP DATABASE $db", 'postgres', 'postgres');
done_testing;
