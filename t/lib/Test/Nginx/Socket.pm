package Test::Nginx::Socket;

# The project's own implementation of openresty's Test::Nginx::Socket (CPAN),
# for the subset of its data-section format described in t/lib/README.md.
# Suites written for it must also run unchanged under the CPAN module, so
# section names, their meanings and the test names follow the original.
#
# This file holds the per-block driver, the HTTP client and the checks;
# Test::Nginx::Util holds the settings and the nginx process management.

use strict;
use warnings;

use Test::Base -base;   # Test::Base's exports (plan, blocks, is, ...) come along

use IO::Select ();
use IO::Socket::INET ();
use List::Util qw(min shuffle);
use Test::LongString ();
use Time::HiRes qw(sleep);

use Test::Nginx::Util qw(
    :DEFAULT parse_time expand_env_in_text setup_server_root write_user_files
    write_config_file start_nginx stop_nginx nginx_running read_file_or_empty
    error_log_data reset_error_log_window run_init check_port_free
);

our @EXPORT = ((grep { !/^\$/ } @Test::Nginx::Util::EXPORT), 'run_tests');

# Sections of the original that this implementation does not implement. A
# block using one fails loudly instead of silently passing.
our @UnsupportedSections = qw(
    http2 http3 curl curl_options curl_protocol curl_error
    tcp_listen tcp_reply tcp_reply_delay tcp_query tcp_query_len tcp_shutdown
    tcp_shutdown_delay tcp_no_close udp_listen udp_reply udp_reply_delay
    udp_query stap stap_out stap_out_like stap_out_unlike
    access_log no_access_log grep_error_log grep_error_log_out
    shutdown_error_log no_shutdown_error_log error_log_file
    response_body_filters request_eval response_body_eval charset
    skip_nginx skip_nginx2 skip_openssl skip_eval skip_slave todo todo_nginx
    reload_fails server_addr_for_client post_setup_server_root
    response_body_json_sort write_resp_body_file
);

# the $TEST_NGINX_RAND_PORT_N values of the running block (response_body
# and pipelined_requests expand them too)
our $RandPorts = {};

# the last block that ran on the nginx under valgrind, whose report comes
# when that nginx exits
my $ValgrindBlockName;

sub run_tests () {
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;

    my @blocks = Test::Base::blocks();   # honours --- ONLY / SKIP / LAST
    @blocks = shuffle @blocks unless $Test::Nginx::Util::NoShuffle;

    for my $block (@blocks) {
        my $name = "$0 " . $block->name;
        # A block that cannot run (bad section value, missing env var, ...)
        # fails on its own; the following blocks still run.
        eval {
            $_->($block) for @Test::Nginx::Util::BlockPreprocessors;
            $block->set_value(name => $name);
            run_block($block);
            1;
        } or do {
            my $err = $@;
            fail("$name - test block aborted");
            diag($err);
        };
    }
    check_valgrind();
}

sub run_block {
    my $block = shift;
    my $name = $block->name;

    if (my @bad = grep { defined $block->$_ } @UnsupportedSections) {
        fail("$name - unsupported section(s): " . join ', ', map "--- $_", @bad);
        diag("t/lib/Test/Nginx implements a subset of the CPAN Test::Nginx;"
             . " see t/lib/README.md");
        return;
    }
    # the original sleeps for wait's numeric value: "100ms" would be 100 s
    die "--- wait: a number of seconds is expected, not \"" . $block->wait
        . "\" (the CPAN Test::Nginx does not parse units here)\n"
        if defined $block->wait && $block->wait !~ /^\s*(?:\d+\.?\d*|\.\d+)\s*$/;

    local $Test::Nginx::Util::LogLevel = $block->log_level
        // $Test::Nginx::Util::LogLevel;

    my $rand_ports = $RandPorts = {};
    my $config = expand_env_in_text(scalar $block->config, $rand_ports);

    # As the original: a block with a config restarts nginx (with
    # TEST_NGINX_FORCE_RESTART_ON_TEST=0: only when the config changed);
    # otherwise the block goes on with the running nginx.
    my $restart = 0;
    if (defined $config) {
        my $changed = !defined $Test::Nginx::Util::PrevConfig
                      || $config ne $Test::Nginx::Util::PrevConfig;
        $Test::Nginx::Util::PrevConfig = $config if $changed;
        $restart = $changed || $Test::Nginx::Util::ForceRestartOnTest;
    } elsif (!defined $Test::Nginx::Util::PrevConfig) {
        die "No '--- config' section specified and could not get previous"
            . " one\n";
    }

    if ($restart) {
        # valgrind's report on the previous nginx comes when it exits
        check_valgrind();
        return run_must_die($block, $config, $rand_ports)
            if defined $block->must_die;

        my ($err, undef, undef, $check) = restart_nginx($block, $config, $rand_ports);
        if (defined $err) {
            fail("$name - " . ($check // 'nginx failed to start'));
            diag($err);
            return;
        }
        # pass on what nginx printed while starting (warnings), which the
        # original leaves on the terminal
        warn "WARNING: $name - $_" for split /^/,
            read_file_or_empty($Test::Nginx::Util::StartupLog);
    } elsif (defined $block->must_die) {
        die "--- must_die without a restart of nginx (no --- config, or the"
            . " same config with TEST_NGINX_FORCE_RESTART_ON_TEST=0)\n";
    } elsif (!nginx_running()) {
        die "no nginx to reuse: a block without a restart goes on with the"
            . " nginx of the previous block, which "
            . ($Test::Nginx::Util::NginxExit // 'did not start') . "\n";
    }
    $ValgrindBlockName = $name if $Test::Nginx::Util::UseValgrind;

    # as the original: after nginx is up, once for all the repetitions
    if (defined(my $err = run_init($block, $name))) {
        fail("$name - init failed");
        diag($err);
        return;
    }

    # The block's first error_log check reads error.log from its start: for
    # a block that started nginx, its own lines; for one that did not, all
    # since nginx was started (the earlier blocks' too).
    reset_error_log_window();

    for my $rep (0 .. $Test::Nginx::Util::RepeatEach - 1) {
        # As the original: a block's user_files are written when it starts
        # nginx, and again before each further repetition -- so not for the
        # first repetition of a block that does not restart nginx.
        write_user_files($block, $rand_ports) if $rep > 0;
        run_requests($block, $rep);

        # say so when nginx crashed, rather than leave only the symptoms
        if (!nginx_running()) {
            fail("$name - nginx died during the requests");
            diag("nginx $Test::Nginx::Util::NginxExit; the end of error.log:\n"
                 . join '', grep { defined } (split /^/, read_file_or_empty(
                     $Test::Nginx::Util::ErrLogFile))[-20 .. -1]);
            last;
        }
    }
}

# Returns nothing when nginx is up, else (error text, exit code or undef,
# whether it dumped core, the name of the failing check when nginx was not
# even started).
sub restart_nginx {
    my ($block, $config, $rand_ports) = @_;
    stop_nginx();
    if (defined(my $err = setup_server_root())) {
        return ($err, undef, undef, $err);
    }
    write_user_files($block, $rand_ports);
    write_config_file($block, $config, $rand_ports);
    reset_error_log_window();
    if (defined(my $err = check_port_free())) {
        return ($err, undef, undef,
                "port $ServerPort is already in use by another process");
    }
    return start_nginx();
}

# "--- must_die [exit code]": nginx must fail to start. As nginx runs with
# -e, its start-up errors are in error.log for error_log/no_error_log.
sub run_must_die {
    my ($block, $config, $rand_ports) = @_;
    my $name = $block->name;
    my $must_die = $block->must_die;
    local $Test::Nginx::Util::UseValgrind;   # as the original: no valgrind here

    for my $rep (0 .. $Test::Nginx::Util::RepeatEach - 1) {
        my ($err, $exit_code, $core, $check) =
            restart_nginx($block, $config, $rand_ports);
        if (defined $check) {   # nginx was not run: that is no death
            fail("$name - $check");
            diag($err);
            return;
        }
        if ($core) {
            fail("$name - nginx core dumped");
        } elsif ($must_die =~ /^\d+$/) {
            is($exit_code // '', $must_die,
               "$name - die with the expected exit code");
        } else {
            ok(defined $err, "$name - die as expected");
        }

        check_error_log($block, $rep);

        if (!defined $err) {
            warn "WARNING: $name - nginx must die but it does not;"
                 . " killing it (req $rep)\n";
            stop_nginx();
        }
    }
}

# Stops the nginx that ran under valgrind and fails the last block that
# used it when valgrind reported anything. Unlike the original, which stops
# nginx after every block under valgrind, this keeps nginx for the blocks
# without a restart (see t/lib/README.md).
sub check_valgrind {
    my $name = $ValgrindBlockName // return;
    undef $ValgrindBlockName;
    stop_nginx();   # the leak report is written at exit
    my $report = read_file_or_empty($Test::Nginx::Util::ValgrindLog);
    if ($report =~ /\S/) {
        fail("$name - valgrind reported errors");
        diag($report);
    }
}

# --- requests -------------------------------------------------------------

sub run_requests {
    my ($block, $rep) = @_;

    my @conns = build_requests($block);
    my $timeout = parse_time(scalar $block->timeout) // $Test::Nginx::Util::Timeout;
    my $wait = parse_time(scalar $block->wait);
    my $need_array = defined $block->pipelined_requests || @conns > 1;

    my $req_idx = 0;
    for my $c (0 .. $#conns) {
        my $raw = send_request($block, $conns[$c]{packets}, $timeout);
        my @methods = @{ $conns[$c]{methods} };   # one per expected response

        for my $k (0 .. $#methods) {
            my $last_response = $k == $#methods;
            if (!defined $block->ignore_response) {
                my $res = parse_response($block, $raw // '',
                                         $methods[$k] eq 'HEAD');
                $raw = $res->{left};
                if ($last_response && $raw ne '') {
                    warn "WARNING: ", $block->name, " - unexpected extra bytes",
                         " after the response: \"", fmt_str($raw), "\"\n";
                }
                check_response($block, $res, $req_idx, $rep, $need_array);
            }

            # as the original, the error log is also checked between the
            # requests of a multi-request block
            if (!($c == $#conns && $last_response)) {
                sleep $wait if $wait;
                check_error_log($block, $rep);
            }
            $req_idx++;
        }
    }

    sleep $wait if $wait;
    check_error_log($block, $rep);
}

# The connections to make: { packets => [data, ...], methods => [...] }, with
# one method per response expected on that connection.
sub build_requests {
    my $block = shift;

    if (defined(my $raw = $block->raw_request)) {
        my @packets = ref $raw eq 'ARRAY' ? @$raw : ($raw);
        my ($method) = join('', @packets) =~ /^\s*(\S+)/;
        return { packets => \@packets, methods => [$method // ''] };
    }

    my $more = $block->more_headers // '';
    my $headers_for = sub {
        my $i = shift;
        return $more if ref $more ne 'ARRAY';
        return $more->[$i]
            // die "--- more_headers lacks data for request $i\n";
    };

    if (defined(my $reqs = $block->pipelined_requests)) {
        die "invalid entries in --- pipelined_requests"
            . " (an eval'ed ARRAY is expected)\n" if ref $reqs ne 'ARRAY';
        my ($data, @methods) = ('');
        for my $i (0 .. $#$reqs) {
            # every request but the last keeps the connection open
            # the original expands $TEST_NGINX_* in these (not in request)
            my ($req, $method) = build_request(
                expand_env_in_text($reqs->[$i], $RandPorts), $headers_for->($i),
                $i == $#$reqs ? 'close' : 'keep-alive');
            $data .= $req;
            push @methods, $method;
        }
        return { packets => [$data], methods => \@methods };
    }

    my $request = $block->request;
    die "no --- request, --- raw_request or --- pipelined_requests section\n"
        unless defined $request;

    # As the original, comment lines (and blank space) before the request
    # line are skipped in a --- request string, not in the elements of an
    # eval'ed array.
    if (!ref $request) {
        1 while $request =~ s/^\s*#[^\n]+\s+|^\s+//;
    }

    my @conns;
    my @list = ref $request eq 'ARRAY' ? @$request : ($request);
    for my $i (0 .. $#list) {
        die "--- request: split request packets (nested arrays) are not"
            . " supported by t/lib/Test/Nginx\n" if ref $list[$i];
        my ($req, $method) = build_request($list[$i], $headers_for->($i), 'close');
        push @conns, { packets => [$req], methods => [$method] };
    }
    return @conns;
}

# "METHOD [URI [VERSION]]\n[body]" plus --- more_headers -> the request bytes
# and its method. Host and Connection headers are added unless given, and
# a Content-Length (of the trimmed body) unless given or chunked.
sub build_request {
    my ($text, $more_headers, $conn) = @_;

    my ($line, $body) = split /\n/, $text, 2;
    $body //= '';
    $line //= '';
    $line =~ /^\s*(\S+)(?: +(\S+))?(?: +(\S+))?\s*$/
        or die "Request line is not valid. Should be 'meth [url [version]]'"
               . " but got \"$line\".\n";
    my ($method, $uri, $version) = ($1, $2 // '/', $3 // 'HTTP/1.1');

    my ($headers, $chunked) = ('', 0);
    for my $h (split /\n+/, $more_headers) {
        next if $h =~ /^\s*#/;
        my ($key, $val) = split /:\s*/, $h, 2;
        $val //= '';
        $chunked = 1 if lc $key eq 'transfer-encoding' && $val eq 'chunked';
        $headers .= "$key: $val\r\n";
    }

    my $length = '';
    if (!$chunked && $body ne '' && $headers !~ /(?:^|\n)Content-Length:/) {
        $body =~ s/^\s+|\s+$//g;
        $length = "Content-Length: " . length($body) . "\r\n";
    }

    my $req = "$method $uri $version\r\n";
    $req .= "Host: $ServerName\r\n" if $headers !~ /(?:^|\n)Host:/i;
    $req .= "Connection: $conn\r\n" if $headers !~ /(?:^|\n)Connection/i;
    return ("$req$headers$length\r\n$body", $method);
}

# Sends the packets over one connection and reads until nginx closes it.
# The timeout applies to each wait for socket activity, as in the original.
sub send_request {
    my ($block, $packets, $timeout) = @_;
    my $name = $block->name;
    my $delay = parse_time(scalar $block->raw_request_middle_delay);

    my ($sock, $err);
    for my $try (1 .. 20) {
        $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                      PeerPort => $ServerPortForClient,
                                      Proto => 'tcp', Timeout => $timeout)
            and last;
        $err = $!;
        last unless nginx_running();
        sleep 0.01 * $try;   # in case nginx is not accepting yet
    }
    if (!$sock) {
        fail("$name - Can't connect to $ServerAddr:$ServerPortForClient: $err"
             . " (aborted)");
        diag("nginx " . ($Test::Nginx::Util::NginxExit // 'is not running'))
            unless nginx_running();
        return undef;
    }
    $sock->blocking(0);
    local $SIG{PIPE} = 'IGNORE';   # nginx may close before reading it all

    my @pending = @$packets;
    my $out = shift @pending;
    my $resp = '';
    my $sel = IO::Select->new($sock);

    while (1) {
        my ($readable, $writable) =
            IO::Select->select($sel, defined $out ? $sel : undef, undef, $timeout);
        if (!$readable) {
            next if $!{EINTR};
            if (!defined $block->abort) {
                fail("ERROR: client socket timed out - $name");
                diag("no data from nginx for $timeout s (--- timeout /"
                     . " TEST_NGINX_TIMEOUT); received " . length($resp)
                     . " bytes before that"
                     . ($resp eq '' ? '' : ":\n" . substr($resp, 0, 2000)));
            }
            last;
        }

        if (defined $out && @$writable) {
            my $n = syswrite $sock, $out;
            if (!defined $n) {
                if (!$!{EAGAIN} && !$!{EWOULDBLOCK}) {
                    warn "WARNING: $name - write failed: $!\n";
                    undef $out;
                }
            } elsif ($n < length $out) {
                substr($out, 0, $n) = '';
            } elsif (@pending) {
                sleep $delay if $delay;
                $out = shift @pending;
            } else {
                undef $out;
                if (defined(my $how = $block->shutdown)) {
                    shutdown $sock, $how eq '' ? 1 : $how;
                }
            }
        }

        if (@$readable) {
            my $n = sysread $sock, my $buf, 65536;
            if (!defined $n) {
                next if $!{EAGAIN} || $!{EWOULDBLOCK};
                warn "WARNING: $name - HTTP response read failure: $!\n";
                last;
            }
            last if $n == 0;
            $resp .= $buf;
        }
    }

    close $sock;
    return $resp;
}

# --- responses ------------------------------------------------------------

# Parses one response off the front of $raw: { code, raw_headers (status
# line and header lines), headers (lower-cased name => [values]), content,
# left (what follows the response, e.g. the next pipelined response) }.
sub parse_response {
    my ($block, $raw, $is_head) = @_;

    if (defined $block->http09) {
        return { code => 200, raw_headers => '', headers => {},
                 content => $raw, left => '' };
    }

    my ($head, $rest) = $raw =~ /\A(.*?\r?\n)\r?\n(.*)\z/s ? ($1, $2) : ($raw, '');
    # as the original: the raw headers are those ended by an empty CRLF
    # line, or nothing (a response cut short has none to match)
    my %res = (code => undef,
               raw_headers => $raw =~ /\A(.*?\r\n)\r\n/s ? $1 : '',
               headers => {}, content => '', left => '');

    my ($status, @lines) = split /\r?\n/, $head;
    $res{code} = $1 if ($status // '') =~ m{^HTTP/\d+(?:\.\d+)?\s+(\d{3})\b};
    my $last;
    for my $line (@lines) {
        if ($line =~ /^[ \t]+(.*)$/ && $last) {   # obsolete line folding
            $last->[-1] .= " $1";
        } elsif ($line =~ /^([^:\s]+)\s*:\s*(.*?)\s*$/) {
            $last = $res{headers}{lc $1} //= [];
            push @$last, $2;
        }
    }

    my $code = $res{code} // 0;
    my $length = header_value(\%res, 'Content-Length');
    if ($is_head || $code =~ /^1/ || $code == 204 || $code == 304) {
        $res{left} = $rest;
    } elsif ((header_value(\%res, 'Transfer-Encoding') // '') =~ /\bchunked\b/i) {
        my ($content, $left, $err) = decode_chunked($rest);
        if (defined $err) {
            fail($block->name . " - invalid chunked body received: $err");
            $res{content} = undef;
        } else {
            @res{qw(content left)} = ($content, $left);
        }
    } elsif (defined $length && $length =~ /^\d+$/) {
        $res{content} = substr $rest, 0, $length;
        $res{left} = length $rest > $length ? substr($rest, $length) : '';
        warn "WARNING: ", $block->name, " - response body truncated: $length",
             " expected, but got ", length $rest, "\n" if length $rest < $length;
    } else {
        $res{content} = $rest;   # delimited by the connection close
    }
    return \%res;
}

# Returns (body, bytes after the last chunk) or (undef, undef, error).
sub decode_chunked {
    my $raw = shift;
    my $body = '';
    pos($raw) = 0;
    while (1) {
        $raw =~ /\G[ \t]*([0-9A-Fa-f]+)[^\r\n]*\r\n/gc
            or return (undef, undef, pos($raw) < length $raw
                       ? 'bad chunk size line' : 'no last chunk found');
        my $size = hex $1;
        if ($size == 0) {
            $raw =~ /\G(?:[^\r\n]+\r\n)*\r\n/gc   # trailer fields, then CRLF
                or return (undef, undef, 'incomplete last chunk');
            return ($body, substr($raw, pos $raw));
        }
        return (undef, undef, 'not enough octets for the chunk data')
            if length($raw) - pos($raw) < $size;
        $body .= substr $raw, pos($raw), $size;
        pos($raw) = pos($raw) + $size;
        $raw =~ /\G\r\n/gc
            or return (undef, undef, 'expected CRLF after the chunk data');
    }
}

sub header_value {
    my ($res, $key) = @_;
    my $values = $res->{headers}{lc $key} or return undef;
    return join ', ', @$values;
}

# An expected value for response $idx: sections hold an array when a block
# makes several requests.
sub indexed_value {
    my ($value, $idx, $need_array) = @_;
    if (ref $value eq 'ARRAY') {
        return $need_array ? $value->[$idx] : $value->[0];
    }
    die "You asked for many requests, the expected results should be arrays"
        . " as well.\n" if $need_array;
    return $value;
}

sub expand_port_vars {
    my $s = shift;
    return $s if !defined $s || ref $s;
    $s =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
    $s =~ s/\$ServerPort\b/$ServerPort/g;
    return $s;
}

sub check_response {
    my ($block, $res, $idx, $rep, $need_array) = @_;
    my $name = $block->name;
    my $expected = sub {
        my $section = shift;
        my $v = $block->$section;
        return defined $v ? indexed_value($v, $idx, $need_array) : undef;
    };

    my $code = $res->{code} // '';
    if (defined $block->error_code_like) {
        my $pat = $expected->('error_code_like') // '';
        like($code, qr/$pat/sm, "$name - status code ok");
    } elsif (defined $block->error_code) {
        # an array shorter than the requests expects undef: a failure, as
        # in the original (not the default 200)
        is($code, $expected->('error_code'), "$name - status code ok");
    } else {
        is($code, 200, "$name - status code ok");
    }

    if (defined(my $pat = $expected->('raw_response_headers_like'))) {
        like($res->{raw_headers}, qr/$pat/s, "$name - raw resp headers like");
    }
    if (defined(my $pat = $expected->('raw_response_headers_unlike'))) {
        unlike($res->{raw_headers}, qr/$pat/s, "$name - raw resp headers unlike");
    }

    if (defined(my $spec = $expected->('response_headers'))) {
        for my $h (parse_headers($spec)) {
            my ($key, $val) = @$h;
            if (!defined $val) {
                unlike($res->{raw_headers}, qr/^\s*\Q$key\E\s*:/m,
                       "$name - header $key not present in the raw headers");
                next;
            }
            is(header_value($res, $key) // '', expand_port_vars($val),
               "$name - header $key ok");
        }
    } elsif (defined(my $spec_like = $expected->('response_headers_like'))) {
        for my $h (parse_headers($spec_like)) {
            my ($key, $val) = @$h;
            $val //= '';
            like(header_value($res, $key) // '', qr/^$val$/,
                 "$name - header $key like ok");
        }
    }

    my $content = $res->{content};
    if (defined $block->response_body) {
        my $body = expand_port_vars($expected->('response_body'));
        # as the original: $TEST_NGINX_* too
        $body = expand_env_in_text($body, $RandPorts) if defined $body && !ref $body;
        my $desc = "$name - response_body - response is expected"
                   . " (repeated req $rep, req $idx)";
        if (ref $body) {
            like($content, $body,
                 "$name - response_body - like (repeated req $rep, req $idx)");
        } elsif ($Test::Nginx::Util::NoLongString) {
            is($content, $body, $desc);   # Test::Base's: a diff for multi-line
        } else {
            Test::LongString::is_string($content, $body, $desc);
        }
    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $pat = expand_port_vars($expected->("response_body_$type"));
        my $summary = trim($content);
        my $desc = "$name - response_body_$type - response is expected ($summary)";
        $type eq 'like' ? like($content, qr/$pat/s, $desc)
                        : unlike($content, qr/$pat/s, $desc);
    }
}

# "Name: value" lines; "!Name" (or a bare "Name") means "must be absent";
# "Name:" expects an empty value (or no such header). Like the original's
# hash: one check per name, the last line wins; a blank line is an absent
# header of no name (a check that passes).
sub parse_headers {
    my $text = shift // '';
    my (%val, @order);
    for my $line (split /\n/, $text) {
        $line =~ s/^\s+|\s+$//g;
        my ($key, $val);
        if ($line =~ s/^!\s*//) {
            $key = $line;
        } else {
            ($key, $val) = split /\s*:\s*/, $line, 2;
            $key //= '';
        }
        push @order, $key unless exists $val{$key};
        $val{$key} = $val;
    }
    return map { [$_, $val{$_}] } @order;
}

# the original's summary of a body in a check's name
sub trim {
    my $s = shift // '';
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    return $s;
}

sub fmt_str {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    return $s;
}

# --- error log ------------------------------------------------------------

sub log_patterns {
    my $pats = shift;
    return () unless defined $pats;
    return grep { defined } @$pats if ref $pats eq 'ARRAY';
    return ($pats) if ref $pats;   # a qr//
    chomp $pats;
    return split /\n+/, $pats;
}

sub line_matches {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ $pat : index($line, $pat) >= 0;
}

# error_log / no_error_log against the error.log lines error_log_data()
# returns, with the original's checks and test names.
sub check_error_log {
    my ($block, $rep) = @_;
    my $name = $block->name;
    my $lines = error_log_data();

    my @wanted = log_patterns(scalar $block->error_log);
    my @unwanted = log_patterns(scalar $block->no_error_log);

    for my $pat (@wanted) {
        my $desc = "$name - pattern \"$pat\"";
        if (grep { line_matches($_, $pat) } @$lines) {
            pass("$desc matches a line in error.log (req $rep)");
            next;
        }
        fail("$desc should match a line in error.log (req $rep)");
        my @tail = @$lines > 30 ? @$lines[-30 .. -1] : @$lines;
        diag(@tail ? "the lines checked (last 30):\n" . join('', @tail)
                   : "no error.log lines were read");
    }

    # as the original: one failure per matching line, one pass per pattern
    # that matches none
    my %found;
    for my $i (0 .. $#$lines) {
        for my $pat (@unwanted) {
            next unless line_matches($lines->[$i], $pat);
            $found{$pat} = 1;
            fail("$name - pattern \"" . fmt_str("$pat") . "\" should not match"
                 . " any line in error.log but matches line \""
                 . fmt_str($lines->[$i]) . "\" (req $rep)");
            my @after = @$lines[$i + 1 .. min($i + 9, $#$lines)];
            diag("the lines after it:\n", @after) if @after;
        }
    }
    for my $pat (@unwanted) {
        pass("$name - pattern \"" . fmt_str("$pat") . "\" does not match a"
             . " line in error.log (req $rep)") unless $found{$pat};
    }

    # as the original, show alerts and worse unless the block looks for them
    for my $level (qw(alert crit emerg)) {
        next if grep { index("$_", "[$level") >= 0 } @wanted, @unwanted;
        warn "WARNING: $name - ", fmt_str($_), "\n"
            for grep { /\[$level\]/ } @$lines;
    }

    # as the original: a failed assertion (e.g. an nginx built with debug
    # assertions, or a helper process) fails the block
    for my $line (@$lines) {
        next unless $line =~ /\bAssertion .*?failed\b/;
        (my $l = $line) =~ s/\n\z//;
        fail("$name - $l");
    }
}

1;
