package Certhall::Alipay;

# Alipay's side of the protocol for the suites (../shared/reference/
# alipay.md), done independently of lib/ch_alipay.c: RSA keys made with
# the openssl command line into the suite's own directory (never
# committed), the string to sign built here, signatures made and checked
# by `openssl dgst -sha256`, and notifications signed as Alipay signs them.

use strict;
use warnings;

use Exporter 'import';
use File::Temp qw(tempfile);
use MIME::Base64 qw(decode_base64 encode_base64);
use POSIX qw(strftime);

our @EXPORT = qw(alipay_keys alipay_sign_string openssl_sign openssl_verify
                 alipay_notify_fields alipay_notify_body beijing_time
                 $ALIPAY_APP_ID $ALIPAY_SELLER_ID);

our $ALIPAY_APP_ID = '2021000000000001';
our $ALIPAY_SELLER_ID = '2088000000000001';

# the key files of a suite, by name (alipay_keys fills it)
our %KEY;

sub run_openssl {
    my @cmd = ('openssl', @_);
    system(@cmd) == 0 or die "@cmd failed ($?)\n";
}

# Makes in dir: merchant.key/.pub (the hall's pair), alipay.key/.pub
# (Alipay's), other.key (a forger's), short.key/.pub (1024 bits) and
# notakey.pem; returns the names
sub alipay_keys {
    my $dir = shift;
    for my $name (qw(merchant alipay other)) {
        run_openssl('genpkey', '-quiet', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048',
                    '-out', "$dir/$name.key");
        run_openssl('pkey', '-in', "$dir/$name.key", '-pubout', '-out', "$dir/$name.pub");
        $KEY{$name} = "$dir/$name.key";
        $KEY{"$name.pub"} = "$dir/$name.pub";
    }
    run_openssl('genpkey', '-quiet', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024',
                '-out', "$dir/short.key");
    run_openssl('pkey', '-in', "$dir/short.key", '-pubout', '-out', "$dir/short.pub");
    $KEY{short} = "$dir/short.key";
    $KEY{'short.pub'} = "$dir/short.pub";
    open my $fh, '>', "$dir/notakey.pem" or die "$dir/notakey.pem: $!";
    print $fh "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n";
    close $fh;
    $KEY{notakey} = "$dir/notakey.pem";
    return \%KEY;
}

# every field but the excluded and the empty, sorted by name, name=value
# joined with "&", values as they are
sub alipay_sign_string {
    my ($fields, @exclude) = @_;
    my %skip = map { $_ => 1 } @exclude;
    return join '&', map { "$_=$fields->{$_}" }
                     sort grep { !$skip{$_} && defined $fields->{$_} && length $fields->{$_} }
                     keys %$fields;
}

# base64 of SHA256withRSA (PKCS#1 v1.5) by the openssl command line, as
# `openssl dgst -sha256 -sign KEY | base64 -w0`
sub openssl_sign {
    my ($key, $string) = @_;
    my ($fh, $file) = tempfile(UNLINK => 1);
    binmode $fh;
    print $fh $string;
    close $fh;
    open my $sig, '-|', 'openssl', 'dgst', '-sha256', '-sign', $key, $file
        or die "openssl: $!";
    binmode $sig;
    local $/;
    my $bytes = <$sig>;
    close $sig or die "openssl dgst -sign $key failed ($?)\n";
    unlink $file;
    return encode_base64($bytes, '');
}

# whether sign (base64) is pub's signature of string, by openssl
sub openssl_verify {
    my ($pub, $string, $sign) = @_;
    my ($fh, $file) = tempfile(UNLINK => 1);
    binmode $fh;
    print $fh $string;
    close $fh;
    my ($sfh, $sfile) = tempfile(UNLINK => 1);
    binmode $sfh;
    print $sfh decode_base64($sign);
    close $sfh;
    my $ok = system("openssl dgst -sha256 -verify '$pub' -signature '$sfile' '$file'"
                    . " >/dev/null 2>&1") == 0;
    unlink $file, $sfile;
    return $ok;
}

# "yyyy-MM-dd HH:mm:ss" in Beijing (UTC+8, no summer time) of epoch t
sub beijing_time {
    my $t = shift // time;
    return strftime('%Y-%m-%d %H:%M:%S', gmtime($t + 8 * 3600));
}

# A notification's fields as Alipay sends them, for a paid trade; fields
# given override (undef removes one)
sub alipay_notify_fields {
    my %o = @_;
    my $now = beijing_time();
    my %f = (
        notify_time => $now, notify_type => 'trade_status_sync',
        notify_id => 'ac05099524730693a8b330c5ecf72da' . int(rand 1e6),
        app_id => $ALIPAY_APP_ID, charset => 'utf-8', version => '1.0',
        sign_type => 'RSA2', trade_no => '2026120722001400001',
        out_trade_no => 'UO202612070000000001_1', buyer_id => '2088102177846880',
        buyer_logon_id => 'a***@example.com', seller_id => $ALIPAY_SELLER_ID,
        trade_status => 'TRADE_SUCCESS', total_amount => '400.00',
        receipt_amount => '400.00', buyer_pay_amount => '400.00',
        subject => '湘潭市公共资源交易系统 单位证书-新办', gmt_create => $now, gmt_payment => $now,
    );
    while (my ($k, $v) = each %o) {
        if (defined $v) { $f{$k} = $v } else { delete $f{$k} }
    }
    return \%f;
}

# The form-urlencoded body of a notification signed by Alipay's key (or
# _key => another); _after => { field => value } alters fields after
# signing; _sign => value replaces the signature (undef: none sent)
sub alipay_notify_body {
    my %o = @_;
    my $key = delete $o{_key} // $KEY{alipay};
    my $after = delete $o{_after} // {};
    my $has_sign = exists $o{_sign};
    my $sign = delete $o{_sign};
    my $f = alipay_notify_fields(%o);
    # the values are UTF-8 bytes (this file is UTF-8 source without "use utf8")
    $f->{sign} = $has_sign ? $sign : openssl_sign($key, alipay_sign_string($f, 'sign', 'sign_type'));
    delete $f->{sign} unless defined $f->{sign};
    $f->{$_} = $after->{$_} for keys %$after;
    require URI::Escape;
    return join '&', map { "$_=" . URI::Escape::uri_escape($f->{$_}) } sort keys %$f;
}

1;
