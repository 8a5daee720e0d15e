package Certhall::Upload;

# What the upload suites share: real files made by build/bin/mkscan
# (JPEG, PNG, BMP with libjpeg and libpng) and Certhall::Pdf, the
# multipart/form-data bodies browsers send, and the storage directory's
# state (every stored file has a row, nothing half-written in tmp/).

use strict;
use warnings;

use Cwd qw(abs_path);
use Digest::SHA qw(sha256_hex);
use Exporter 'import';
use File::Basename qw(dirname);

use Certhall::Test qw(sql);

our @EXPORT = qw(scan slurp multipart file_body $BOUNDARY $MULTIPART
                 storage_files tmp_files stored_path);

my $root = abs_path(dirname(__FILE__) . '/../../..');
my $mkscan = "$root/build/bin/mkscan";

# the boundary of every body (Chrome's shape)
our $BOUNDARY = '----WebKitFormBoundaryCerthallT7x9q';
our $MULTIPART = "Content-Type: multipart/form-data; boundary=$BOUNDARY";

# an image made by mkscan: scan($dir, 'jpg', 'color', 800, 600, @options)
# writes it to $dir and returns its bytes
sub scan {
    my ($dir, $format, $look, $w, $h, @opt) = @_;
    -x $mkscan or die "$mkscan is missing: make tools\n";
    my $name = join('-', $format, $look, $w, $h, @opt);
    $name =~ s/[^A-Za-z0-9_.-]+/_/g;
    my $file = "$dir/$name.$format";
    system("$mkscan $format $look $w $h @opt > $file") == 0
        or die "mkscan $format $look $w $h @opt failed\n";
    return slurp($file);
}

sub slurp {
    my $file = shift;
    open my $fh, '<:raw', $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

# one part: [name, filename or undef, content type or undef, bytes]
sub multipart {
    my $body = '';
    for my $p (@_) {
        my ($name, $filename, $type, $bytes) = @$p;
        $body .= "--$BOUNDARY\r\nContent-Disposition: form-data; name=\"$name\""
               . (defined $filename ? "; filename=\"$filename\"" : '') . "\r\n"
               . (defined $type ? "Content-Type: $type\r\n" : '')
               . "\r\n$bytes\r\n";
    }
    return "$body--$BOUNDARY--\r\n";
}

# the body of one file, as a browser sends it
sub file_body {
    my ($bytes, $filename, $type) = @_;
    return multipart(['file', $filename // 'scan.jpg', $type // 'image/jpeg', $bytes]);
}

# the stored files (relative names ab/<sha256>) and the temporary ones
sub storage_files {
    my $dir = shift;
    opendir my $dh, $dir or die "$dir: $!";
    my @files;
    for my $sub (sort grep { /^[0-9a-f]{2}$/ } readdir $dh) {
        opendir my $sh, "$dir/$sub" or die "$dir/$sub: $!";
        push @files, map { "$sub/$_" } sort grep { !/^\./ } readdir $sh;
    }
    return @files;
}

sub tmp_files {
    my $dir = shift;
    opendir my $dh, "$dir/tmp" or return ();
    return grep { !/^\./ } readdir $dh;
}

sub stored_path {
    my ($dir, $bytes) = @_;
    my $sha = sha256_hex($bytes);
    return "$dir/" . substr($sha, 0, 2) . "/$sha";
}

1;
