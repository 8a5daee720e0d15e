# t/bin/tax-platform, the double of the tax platform, speaks HTTPS with a
# certificate from a test CA made here (t/bin/mk-test-ca, openssl CLI): a
# client trusting the CA gets through, one without it does not.  It refuses
# a request not signed with the app secret (401) or not valid against
# schema/fpkj.xsd (400, with xmllint's reason), issues a good one (0000, the
# numbers, a real one-page PDF), answers a repeated serial with the first
# invoice (also after a restart, from its state file), and misbehaves in
# each mode.  Signatures the test makes with
# `openssl dgst -hmac`, not with the double's code.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IPC::Run qw(run);
use JSON::PP;
use MIME::Base64 qw(decode_base64);

use FindBin;
my $root = $ENV{TEST_NGINX_REPO} // "$FindBin::Bin/../..";
my $tmp = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->canonical;
# under the project's runner, listen in this run's port range (+8: clear of
# the make run hall, t/tools/run.t and the other doubles' suites)
my $base = $ENV{TEST_NGINX_PORT};
my $port = $base ? $base + 8 : 0;

my ($out, $err);
run ["$root/t/bin/mk-test-ca", "$tmp/ca"], \undef, \$out, \$err
    or BAIL_OUT("mk-test-ca: $err");
open my $sf, '>', "$tmp/secret" or die;
print $sf "s3cret-for-tests\n";
close $sf;
my $KEY = 'certhall-test-app';

my $log = "$tmp/platform.log";
my ($pid, $fh, $url);
# the double keeps what it issued in a state file (as make run starts it)
sub start_double {
    $pid = open $fh, '-|', $^X, "$root/t/bin/tax-platform", '--cert', "$tmp/ca/server.crt",
        '--key', "$tmp/ca/server.key", '--app-key', $KEY, '--secret-file', "$tmp/secret",
        '--log', $log, '--port', $port, '--hang', 4, '--state', "$tmp/platform.state"
        or die "tax-platform: $!";
    my $line = <$fh> // '';
    $line =~ /^listening on 127\.0\.0\.1:(\d+)$/ or BAIL_OUT("tax-platform said: $line");
    $url = "https://127.0.0.1:$1";
    $port ||= $1;
}
start_double();
END { local $?; if ($pid) { kill 'TERM', $pid; close $fh } }

my $http = HTTP::Tiny->new(timeout => 10, verify_SSL => 1, SSL_options => { SSL_ca_file => "$tmp/ca/ca.crt" });

sub hmac {
    my ($ts, $body) = @_;
    open my $m, '>:raw', "$tmp/msg" or die;
    print $m "$ts\n$body";
    close $m;
    run ['openssl', 'dgst', '-sha256', '-hmac', 's3cret-for-tests', '-r', "$tmp/msg"], \undef, \my $o
        or die 'openssl dgst';
    return (split ' ', $o)[0];
}

# an FPKJ request as the builder makes it: 2 lines, prices with tax, 6 %
sub fpkj {
    my (%o) = @_;
    my %h = (FPQQLSH => 'CH0000001', KPLX => 0, JSHJ => '500.00', HJJE => '471.70', HJSE => '28.30', %o);
    my $red = $h{YFP_DM} ? "<YFP_DM>$h{YFP_DM}</YFP_DM><YFP_HM>$h{YFP_HM}</YFP_HM>" : '';
    my $sign = $h{KPLX} ? '-' : '';
    my $lines = $h{lines} // [["${sign}400.00", "${sign}22.64"], ["${sign}100.00", "${sign}5.66"]];
    return qq{<?xml version="1.0" encoding="UTF-8"?>\n<business id="FPKJ"><REQUEST_COMMON_FPKJ class="REQUEST_COMMON_FPKJ">}
        . qq{<COMMON_FPKJ_FPT class="COMMON_FPKJ_FPT"><FPQQLSH>$h{FPQQLSH}</FPQQLSH><KPLX>$h{KPLX}</KPLX>}
        . '<XSF_NSRSBH>91430300MA4L000001</XSF_NSRSBH><XSF_MC>湘潭数字证书认证有限公司</XSF_MC>'
        . '<XSF_DZDH>湘潭市岳塘区 0731-00000000</XSF_DZDH><XSF_YHZH>工商银行湘潭支行 1904000000000000000</XSF_YHZH>'
        . '<GMF_NSRSBH>91430300MA4L000099</GMF_NSRSBH><GMF_MC>湘潭某某建设有限公司</GMF_MC>'
        . '<GMF_SJH>13800000000</GMF_SJH><GMF_DZYX>a@example.com</GMF_DZYX><KPR>财务</KPR>'
        . "$red<JSHJ>$h{JSHJ}</JSHJ><HJJE>$h{HJJE}</HJJE><HJSE>$h{HJSE}</HJSE></COMMON_FPKJ_FPT>"
        . '<COMMON_FPKJ_XMXXS class="COMMON_FPKJ_XMXX" size="' . @$lines . '">'
        . join('', map { "<COMMON_FPKJ_XMXX><FPHXZ>0</FPHXZ><SPBM>3040201990000000000</SPBM><XMMC>数字证书服务</XMMC>"
                         . "<XMSL>${sign}1</XMSL><XMDJ>" . ($_->[0] =~ s/^-//r) . "</XMDJ><XMJE>$_->[0]</XMJE>"
                         . "<SL>0.06</SL><SE>$_->[1]</SE><HSBZ>1</HSBZ></COMMON_FPKJ_XMXX>" } @$lines)
        . "</COMMON_FPKJ_XMXXS></REQUEST_COMMON_FPKJ></business>\n";
}

sub post {
    my ($body, %o) = @_;
    my $ts = $o{ts} // time;
    return $http->post("$url/fpkj", { content => $body, headers => {
        'Content-Type' => 'application/xml; charset=utf-8', 'X-App-Key' => $o{key} // $KEY,
        'X-Timestamp' => $ts, 'X-Signature' => $o{sig} // hmac($ts, $body) } });
}

sub field { my ($x, $n) = @_; ($x // '') =~ m{<$n>([^<]*)</$n>} ? $1 : undef }
sub mode { $http->post("$url/_control", { content => "mode=$_[0]" })->{status} }
sub invoices { @{ $json->decode($http->get("$url/_control")->{content})->{invoices} } }

# --- TLS ---------------------------------------------------------------------

my $curl_ok = run ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', "$tmp/ca/ca.crt",
                   "$url/_control"], \undef, \my $code, \my $cerr;
ok $curl_ok && $code eq '200', 'curl trusting the test CA gets through' or diag $cerr;
my $curl_bad = run ['curl', '-sS', '-o', '/dev/null', "$url/_control"], \undef, \my $o2, \my $e2;
ok !$curl_bad && $e2 =~ /certificate/i, 'without the CA, curl refuses the certificate' or diag $e2;
$curl_ok = run ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', "$tmp/ca/ca.crt",
                '--resolve', "localhost:" . ($url =~ /(\d+)$/)[0] . ':127.0.0.1',
                "https://localhost:" . ($url =~ /(\d+)$/)[0] . '/_control'], \undef, \$code, \$cerr;
ok $curl_ok && $code eq '200', 'the certificate names localhost too' or diag $cerr;
my $r = HTTP::Tiny->new(timeout => 5)->get("http://" . ($url =~ m{//(.*)})[0] . '/_control');
isnt $r->{status}, 200, 'plain HTTP gets nothing';

# --- the signature -------------------------------------------------------------

my $good = fpkj();
$r = post($good, key => 'other-app');
ok $r->{status} == 401 && field($r->{content}, 'returncode') eq '9001', 'another app key: 401';
$r = post($good, sig => hmac(time, $good . ' '));
ok $r->{status} == 401 && field($r->{content}, 'returnmsg') eq 'bad signature', 'a signature over other bytes: 401';
$r = post($good, ts => time - 3600);
is $r->{status}, 401, 'an hour-old timestamp: 401';

# --- the schema ------------------------------------------------------------------

(my $invalid = $good) =~ s{<KPR>财务</KPR>}{};
$r = post($invalid);
is $r->{status}, 400, 'a request without KPR: 400';
like field($r->{content}, 'returnmsg'), qr/^schema: .*(?:JSHJ|KPR)/, 'with xmllint\'s reason';
($invalid = $good) =~ s{<JSHJ>500.00</JSHJ>}{<JSHJ>500</JSHJ>};
$r = post($invalid);
ok $r->{status} == 400 && field($r->{content}, 'returnmsg') =~ /JSHJ/, 'an amount without its decimals: 400, naming JSHJ';
$r = post("<business id=\"FPKJ\"><REQUEST_COMMON_FPKJ");
ok $r->{status} == 400 && field($r->{content}, 'returncode') eq '9002', 'bytes that are not XML: 400';
is scalar(invoices()), 0, 'nothing issued so far';

# --- issuing -------------------------------------------------------------------

$r = post($good);
is $r->{status}, 200, "a good request: 200" or diag $r->{content};
is field($r->{content}, 'returncode'), '0000', 'returncode 0000';
my %inv = map { $_ => field($r->{content}, $_) } qw(fpdm fphm kprq pdf);
like $inv{fpdm}, qr/^\d{12}\z/, 'fpdm: 12 digits';
is $inv{fphm}, '00000001', 'fphm: 8 digits, the first';
like $inv{kprq}, qr/^20\d{12}\z/, 'kprq: yyyyMMddHHmmss';
my $pdf = decode_base64($inv{pdf} // '');
like $pdf, qr/\A%PDF-1\.\d\n/, 'the PDF starts with %PDF-';
like $pdf, qr/%%EOF\n?\z/, 'and ends with %%EOF';
like $pdf, qr/\(fphm $inv{fphm}\) Tj/, 'and shows the invoice number';
my ($xref) = $pdf =~ /startxref\n(\d+)\n/;
ok defined $xref && substr($pdf, $xref, 4) eq 'xref', 'its startxref points at the xref table';
my ($count, $table) = substr($pdf, $xref // 0) =~ /\Axref\n0 (\d+)\n0000000000 65535 f \n((?:\d{10} 00000 n \n)*)trailer\n/;
my @at = ($table // '') =~ /(\d{10}) 00000 n/g;
ok @at && @at == $count - 1 && !grep({ substr($pdf, $at[$_], length($_ + 1) + 6) ne ($_ + 1) . " 0 obj" } 0 .. $#at),
   'and each of its entries at its object';
is scalar(() = $pdf =~ m{/Type /Page\b}g), 1, 'one page';
open my $answer, '>:raw', "$tmp/answer.xml" or die;
print $answer $r->{content};
close $answer;
ok run(['xmllint', '--noout', '--schema', "$root/schema/fpkj-answer.xsd", "$tmp/answer.xml"], \undef, \$out, \$err),
   'the answer is valid against schema/fpkj-answer.xsd' or diag $err;

my $first = $r->{content};
$r = post($good);
is $r->{content}, $first, 'the same serial again: the first answer, byte for byte';
is scalar(invoices()), 1, 'one invoice in all';

$r = post(fpkj(FPQQLSH => 'CH0000002'));
is field($r->{content}, 'fphm'), '00000002', 'another serial: the next number';

$r = post(fpkj(FPQQLSH => 'CH0000003', JSHJ => '500.01'));
ok $r->{status} == 200 && field($r->{content}, 'returncode') eq '2001'
   && field($r->{content}, 'returnmsg') =~ /JSHJ 50001 != HJJE 47170 \+ HJSE 2830/,
   'JSHJ not HJJE + HJSE: returncode 2001, saying so';
$r = post(fpkj(FPQQLSH => 'CH0000004', lines => [['400.00', '22.64'], ['100.00', '5.65']]));
ok field($r->{content}, 'returncode') eq '2001' && field($r->{content}, 'returnmsg') =~ /lines' tax 2829 != HJSE 2830/,
   'lines whose tax is not the header\'s: 2001';

# red against the first
$r = post(fpkj(FPQQLSH => 'CH0000005', KPLX => 1, JSHJ => '-500.00', HJJE => '-471.70', HJSE => '-28.30',
               YFP_DM => $inv{fpdm}, YFP_HM => '00000009'));
ok field($r->{content}, 'returncode') eq '2001' && field($r->{content}, 'returnmsg') =~ /no blue invoice/,
   'a red invoice against an unknown number: 2001';
$r = post(fpkj(FPQQLSH => 'CH0000006', KPLX => 1, JSHJ => '-500.00', HJJE => '-471.70', HJSE => '-28.30',
               YFP_DM => $inv{fpdm}, YFP_HM => $inv{fphm}));
ok field($r->{content}, 'returncode') eq '0000' && field($r->{content}, 'fphm') eq '00000003',
   'a red invoice against the first: issued';
$r = post(fpkj(FPQQLSH => 'CH0000007', KPLX => 1, JSHJ => '-500.00', HJJE => '-471.70', HJSE => '-28.30',
               YFP_DM => $inv{fpdm}, YFP_HM => $inv{fphm}));
ok field($r->{content}, 'returnmsg') =~ /reversed already/, 'a second red against it: refused';
is((invoices())[0]{reversed_by}, '00000003', 'the first invoice is reversed by the red one');
is scalar(invoices()), 3, 'three invoices in all';

# --- modes -----------------------------------------------------------------------

is mode('nonsense'), 400, 'an unknown mode is refused';

is mode('http500'), 200, 'http500';
$r = post(fpkj(FPQQLSH => 'CH0000010'));
is $r->{status}, 500, 'http500: 500';
mode('badxml');
$r = post(fpkj(FPQQLSH => 'CH0000010'));
open $answer, '>:raw', "$tmp/bad.xml" or die;
print $answer $r->{content};
close $answer;
ok $r->{status} == 200 && !run(['xmllint', '--noout', "$tmp/bad.xml"], \undef, \$out, \$err),
   'badxml: 200 with an answer that is not well-formed XML';
mode('refuse');
$r = post(fpkj(FPQQLSH => 'CH0000010'));
ok field($r->{content}, 'returncode') eq '1001' && field($r->{content}, 'returnmsg') ne '', 'refuse: 1001 with a message';
$r = post($good);
is field($r->{content}, 'fphm'), '00000001', 'refuse: a serial issued before still gets its invoice';
is scalar(invoices()), 3, 'none of these issued anything';

mode('timeout');
my $t0 = time;
my $slow = fpkj(FPQQLSH => 'CH0000011');
open my $sb, '>:raw', "$tmp/slow.xml" or die;
print $sb $slow;
close $sb;
# curl, as libcurl in the sender: --max-time is its CURLOPT_TIMEOUT
run ['curl', '-sS', '--max-time', 1, '--cacert', "$tmp/ca/ca.crt", '-H', "X-App-Key: $KEY",
     '-H', "X-Timestamp: $t0", '-H', 'X-Signature: ' . hmac($t0, $slow), '--data-binary', "\@$tmp/slow.xml",
     "$url/fpkj"], \undef, \$out, \$err;
ok $? >> 8 == 28 && $out eq '', 'timeout: no answer within the client\'s 1 s' or diag "$? $err";
is mode('lost'), 200, 'while it hangs, the double still answers others';

$r = post(fpkj(FPQQLSH => 'CH0000012'));
ok $r->{status} == 599, 'lost: no answer' or diag $r->{status};
is((invoices())[-1]{serial}, 'CH0000012', 'but the invoice was issued');
mode('ok');
$r = post(fpkj(FPQQLSH => 'CH0000012'));
ok field($r->{content}, 'returncode') eq '0000' && field($r->{content}, 'fphm') eq '00000004',
   'asked again with the serial: that invoice';
is scalar(invoices()), 4, 'not a second one';
$r = post(fpkj(FPQQLSH => 'CH0000011'));
is field($r->{content}, 'fphm'), '00000005', 'the timed-out serial was never issued: issued now';

# libcurl, as the sender uses it, asks "Expect: 100-continue" before a body
my $t1 = time;
open $sb, '>:raw', "$tmp/expect.xml" or die;
print $sb fpkj(FPQQLSH => 'CH0000013');
close $sb;
open $sb, '<:raw', "$tmp/expect.xml" or die;
my $expect_body = do { local $/; <$sb> };
close $sb;
run ['curl', '-sS', '--max-time', 5, '--expect100-timeout', 30, '--cacert', "$tmp/ca/ca.crt",
     '-H', 'Expect: 100-continue', '-H', "X-App-Key: $KEY", '-H', "X-Timestamp: $t1",
     '-H', 'X-Signature: ' . hmac($t1, $expect_body), '--data-binary', "\@$tmp/expect.xml",
     "$url/fpkj"], \undef, \$out, \$err;
is field($out, 'fphm'), '00000006', 'a request with Expect: 100-continue gets its invoice' or diag $err;

open my $l, '<', $log or die;
my @log = map { $json->decode($_) } <$l>;
my @fpkj = grep { $_->{path} eq '/fpkj' } @log;
is scalar(@fpkj), 23, 'every request is a line of the log';
ok !grep({ !defined $_->{status} } @fpkj), 'with its answer';
is scalar(grep { $_->{repeat} } @fpkj), 3, 'the repeats are marked';

# restarted (make stop, make run), it remembers what it issued, as the
# platform does: a known serial gets its first answer, byte for byte, and
# the next invoice is numbered after the last
my $before = post(fpkj(FPQQLSH => 'CH0000012'))->{content};
kill 'TERM', $pid;
close $fh;
start_double();
is scalar(invoices()), 6, 'restarted with its state file, it lists the invoices it issued';
is post(fpkj(FPQQLSH => 'CH0000012'))->{content}, $before, 'and answers a known serial as before';
is field(post(fpkj(FPQQLSH => 'CH0000014'))->{content}, 'fphm'), '00000007', 'numbering on after the last';

done_testing;
