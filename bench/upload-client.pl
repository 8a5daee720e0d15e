#!/usr/bin/perl
# The upload benchmark's client (bench/upload.sh): sends exactly COUNT
# requests with the body in BODY_FILE to 127.0.0.1:PORT, over CONCURRENCY
# keep-alive connections (one forked process each, requests in turn on
# each), and checks every answer's status.  An exact count, unlike wrk,
# whose run ends with requests half sent: the CPU per upload is then the
# server's CPU divided by COUNT, with nothing half done in it.
#
#   upload-client.pl METHOD PORT PATH BODY_FILE COUNT CONCURRENCY [HEADER...]
#
# PATH may hold "%c", replaced by the connection's number as two digits
# (01, 02, ...), so that each connection has its own file, or order: two
# uploads of one kind to one order at the same time are what the client
# of a benchmark must not send (one of them may be answered 500: the
# materials_replaced_after_upload check, see bench/README.md).  HEADERs are "Name: value".
# Prints "COUNT ok in S s (R/s)" and exits 0 when every answer was 2xx;
# else prints the first bad answer to stderr and exits 1.  Core Perl only.

use strict;
use warnings;

use IO::Socket::INET;
use Time::HiRes qw(time);

my ($method, $port, $path, $file, $count, $conc, @headers) = @ARGV;
die "usage: $0 METHOD PORT PATH BODY_FILE COUNT CONCURRENCY [HEADER...]\n"
    unless defined $conc && $count =~ /^\d+$/ && $conc =~ /^[1-9]\d*$/;

my $body = do {
    open my $fh, '<:raw', $file or die "$file: $!\n";
    local $/;
    <$fh>;
};

my $start = time;
my @kids;
for my $c (0 .. $conc - 1) {
    my $n = int($count / $conc) + ($c < $count % $conc ? 1 : 0);
    next unless $n;
    my $pid = fork // die "fork: $!\n";
    if ($pid) { push @kids, $pid; next; }
    exit one_connection($c, $n);
}

my $bad = 0;
for my $pid (@kids) {
    waitpid $pid, 0;
    $bad = 1 if $?;
}
my $took = time - $start;
exit 1 if $bad;
printf "%d ok in %.2f s (%.0f/s)\n", $count, $took, $count / $took;
exit 0;


sub one_connection {
    my ($c, $n) = @_;
    my $cc = sprintf '%02d', $c + 1;
    (my $p = $path) =~ s/%c/$cc/g;
    my $request = "$method $p HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        . join('', map { "$_\r\n" } @headers)
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                     Proto => 'tcp')
        or do { warn "connect to $port: $!\n"; return 1 };
    binmode $sock;
    for (1 .. $n) {
        my $off = 0;
        while ($off < length $request) {
            my $w = syswrite $sock, $request, length($request) - $off, $off;
            if (!defined $w) { warn "write: $!\n"; return 1 }
            $off += $w;
        }
        my ($status, $answer) = read_answer($sock);
        if (!defined $status || $status !~ /^2/) {
            warn "$method $p: " . ($status // 'no answer') . "\n" . ($answer // '') . "\n";
            return 1;
        }
    }
    close $sock;
    return 0;
}

# one answer with a Content-Length (every answer here has one)
sub read_answer {
    my $sock = shift;
    my $buf = '';
    while ($buf !~ /\r\n\r\n/) {
        my $r = sysread $sock, $buf, 65536, length $buf;
        return (undef, $buf) unless $r;
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    my ($status) = $head =~ m{^HTTP/1\.[01] (\d{3})};
    my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
    $len //= 0;
    while (length $rest < $len) {
        my $r = sysread $sock, $rest, 65536, length $rest;
        return ($status, "$head\r\n\r\n$rest") unless $r;
    }
    return ($status, "$head\r\n\r\n$rest");
}
