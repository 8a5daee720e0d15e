# The producer corpus (issue 19): the scans that ordinary software writes,
# made here from one colour A4 page and its grey twin by the producers as
# Debian packages them (t/bin/mk-producer-corpus), each judged by the upload
# checker (build/bin/filecheck, lib/ch_filecheck.c with the colour rule on)
# and compared with what an applicant is owed: the colour page accepted, the
# grey twin refused as scan_not_color, a file with something active or
# encrypted refused with its own code.
#
# No row is TODO: a producer whose file the checker misjudges fails here.
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);

my $root = $ENV{TEST_NGINX_REPO} // abs_path(dirname(__FILE__) . '/../..');
my $filecheck = "$root/build/bin/filecheck";
my $mkscan    = "$root/build/bin/mkscan";

for my $bin ($filecheck, $mkscan) {
    -x $bin or BAIL_OUT("$bin is not built: make tools");
}

# scripts/deps.sh installs them; a developer without them is told which,
# CI (CI=true) fails instead of skipping
my @missing = grep { system("command -v $_ >/dev/null 2>&1") != 0 }
    qw(gs img2pdf mutool qpdf tiff2pdf convert cjpeg);
push @missing, 'python3-pil/reportlab/fitz'
    if system('/usr/bin/python3 -c "import PIL, reportlab, fitz" 2>/dev/null') != 0;
if (@missing) {
    plan skip_all => "producers not installed: @missing (scripts/deps.sh)"
        unless $ENV{CI};
    BAIL_OUT("producers not installed: @missing");
}

# FILE => the code the upload gets (ok: accepted)
my %EXPECT = (
    # Ghostscript pdfwrite: the JPEG passed through with a second EOI
    'gs-default.color.pdf'        => 'ok',
    'gs-default.grey.pdf'         => 'scan_not_color',
    'gs-ebook.color.pdf'          => 'ok',
    'gs-ebook.grey.pdf'           => 'scan_not_color',
    'gs-pdfa2b.color.pdf'         => 'ok',
    'gs-pdfa2b.grey.pdf'          => 'scan_not_color',
    'gs-compat14.color.pdf'       => 'ok',
    'gs-compat14.grey.pdf'        => 'scan_not_color',
    'gs-viewjpeg.color.pdf'       => 'ok',
    'gs-viewjpeg.grey.pdf'        => 'scan_not_color',
    # Ghostscript's CMYK JPEG: an Adobe APP14 marker over CMYK that is not
    # inverted (no /Decode): inside a PDF the values are ink as stored, as
    # viewers read them (a standalone Adobe CMYK JPEG is inverted)
    'gs-cmyk.color.pdf'           => 'ok',
    'gs-cmyk.grey.pdf'            => 'scan_not_color',
    # Pillow and MuPDF: object 0's free entry has generation 65536
    'pillow-1page.color.pdf'      => 'ok',
    'pillow-1page.grey.pdf'       => 'scan_not_color',
    'pillow-2pages.color.pdf'     => 'ok',
    'pillow-2pages.grey.pdf'      => 'scan_not_color',
    'pillow-append.color.pdf'     => 'ok',
    'pillow-append.grey.pdf'      => 'scan_not_color',
    'pillow-palette.color.pdf'    => 'ok',
    # its grey is a Flate /Indexed image's, judged through the palette
    'pillow-palette.grey.pdf'     => 'scan_not_color',
    'img2pdf-jpeg.color.pdf'      => 'ok',
    'img2pdf-jpeg.grey.pdf'       => 'scan_not_color',
    # grey pixels stored as RGB in a Flate image: decoded, grey
    'img2pdf-png.color.pdf'       => 'ok',
    'img2pdf-png.grey.pdf'        => 'scan_not_color',
    'img2pdf-palette.color.pdf'   => 'ok',
    'img2pdf-palette.grey.pdf'    => 'scan_not_color',
    # img2pdf's JP2 of the page as Pillow writes it (RGB), decoded by
    # OpenJPEG (lib/ch_pdf_jpx.c)
    'img2pdf-jpx.color.pdf'       => 'ok',
    'img2pdf-jpx.grey.pdf'        => 'scan_not_color',
    'mutool-clean.color.pdf'      => 'ok',
    'mutool-clean.grey.pdf'       => 'scan_not_color',
    'mutool-clean-gz.color.pdf'   => 'ok',
    'mutool-clean-gz.grey.pdf'    => 'scan_not_color',
    'mutool-convert.color.pdf'    => 'ok',
    'mutool-convert.grey.pdf'     => 'scan_not_color',
    'pymupdf-png.color.pdf'       => 'ok',
    'pymupdf-png.grey.pdf'        => 'scan_not_color',
    'pymupdf-jpeg.color.pdf'      => 'ok',
    'pymupdf-jpeg.grey.pdf'       => 'scan_not_color',
    'reportlab-image.color.pdf'   => 'ok',
    'reportlab-image.grey.pdf'    => 'scan_not_color',
    # BI ... ID ... EI in the content stream
    'reportlab-inline.color.pdf'  => 'ok',
    'reportlab-inline.grey.pdf'   => 'scan_not_color',
    'ocr-textlayer.color.pdf'     => 'ok',
    'ocr-textlayer.grey.pdf'      => 'scan_not_color',
    # a grey scan whose only colour is a red seal drawn as vectors (~0.2 %
    # of the page): grey.  The rule is about what was scanned (its
    # pixels); a seal a program draws over a grey scan is not a colour
    # scan of the original, it is what one would add to pass the rule
    # (lib/ch_pdf.c rule 4)
    'vector-seal.grey.pdf'        => 'scan_not_color',
    # a grey scan with one 8 x 8 red image: 0.003 % of the page
    'tiny-mark.grey.pdf'          => 'scan_not_color',
    'tiff2pdf-lzw.color.pdf'      => 'ok',
    'tiff2pdf-lzw.grey.pdf'       => 'scan_not_color',
    # libtiff 4.5's tiff2pdf of a JPEG TIFF: startxref 2 bytes short of
    # "xref" (qpdf --check: "file is damaged"): broken, refused as such
    'tiff2pdf-jpeg.color.pdf'     => 'pdf_malformed',
    'tiff2pdf-jpeg.grey.pdf'      => 'pdf_malformed',
    # black and white (CCITT G4): no colour
    'tiff2pdf-g4.grey.pdf'        => 'scan_not_color',
    'qpdf-objstreams.color.pdf'   => 'ok',
    'qpdf-objstreams.grey.pdf'    => 'scan_not_color',
    'qpdf-linearize.color.pdf'    => 'ok',
    'qpdf-linearize.grey.pdf'     => 'scan_not_color',
    'qpdf-qdf.color.pdf'          => 'ok',
    'qpdf-qdf.grey.pdf'           => 'scan_not_color',
    # LibreOffice's hybrid PDF: the .odt (a ZIP) under /AdditionalStreams
    'hybrid-odt.color.pdf'        => 'pdf_active_content',
    'encrypted-owner.color.pdf'   => 'pdf_encrypted',
    'im-jpeg.color.jpg'           => 'ok',
    'im-jpeg.grey.jpg'            => 'scan_not_color',
    'im-jpeg-progressive.color.jpg' => 'ok',
    'im-jpeg-progressive.grey.jpg'  => 'scan_not_color',
    'cjpeg-restart.color.jpg'     => 'ok',
    'cjpeg-restart.grey.jpg'      => 'scan_not_color',
    'cjpeg-progressive.color.jpg' => 'ok',
    'cjpeg-progressive.grey.jpg'  => 'scan_not_color',
    'pil-jpeg-orientation.color.jpg' => 'ok',
    'pil-jpeg-orientation.grey.jpg'  => 'scan_not_color',
    'pil-jpeg-icc.color.jpg'      => 'ok',
    'pil-jpeg-icc.grey.jpg'       => 'scan_not_color',
    'pil-jpeg-444.color.jpg'      => 'ok',
    'pil-jpeg-444.grey.jpg'       => 'scan_not_color',
    'exif-thumbnail.color.jpg'    => 'ok',
    'exif-thumbnail.grey.jpg'     => 'scan_not_color',
    # a Samsung phone's SEF trailer after EOI
    'samsung-trailer.color.jpg'   => 'ok',
    'samsung-trailer.grey.jpg'    => 'scan_not_color',
    'im-png-palette.color.png'    => 'ok',
    'im-png-palette.grey.png'     => 'scan_not_color',
    'im-png-16bit.color.png'      => 'ok',
    'im-png-16bit.grey.png'       => 'scan_not_color',
    'im-png-interlaced.color.png' => 'ok',
    'im-png-interlaced.grey.png'  => 'scan_not_color',
    'pil-png-rgba.color.png'      => 'ok',
    'pil-png-rgba.grey.png'       => 'scan_not_color',
    'pil-png-16bit-grey.grey.png' => 'scan_not_color',
    'im-bmp.color.bmp'            => 'ok',
    'im-bmp.grey.bmp'             => 'scan_not_color',
    'im-bmp3.color.bmp'           => 'ok',
    'im-bmp3.grey.bmp'            => 'scan_not_color',
    'im-bmp2.color.bmp'           => 'ok',
    'im-bmp2.grey.bmp'            => 'scan_not_color',
    'im-bmp-palette.color.bmp'    => 'ok',
    'im-bmp-palette.grey.bmp'     => 'scan_not_color',
    # ImageMagick writes a palette image of 17 to 256 colours as RLE8
    'im-bmp-default-palette.color.bmp' => 'ok',
    'im-bmp-default-palette.grey.bmp'  => 'scan_not_color',
    'im-bmp-rle8.color.bmp'       => 'ok',
    'im-bmp-rle8.grey.bmp'        => 'scan_not_color',
    'rle4.color.bmp'              => 'ok',
    'rle4.grey.bmp'               => 'scan_not_color',
    'bmp-v4.color.bmp'            => 'ok',
    'bmp-v4.grey.bmp'             => 'scan_not_color',
    'bmp-v5.color.bmp'            => 'ok',
    'bmp-v5.grey.bmp'             => 'scan_not_color',
    'pil-bmp.color.bmp'           => 'ok',
    'pil-bmp.grey.bmp'            => 'scan_not_color',
);

my $dir = tempdir('producers-XXXXXX', TMPDIR => 1, CLEANUP => 1);

my @made = `'$root/t/bin/mk-producer-corpus' '$dir'`;
is($?, 0, 'every producer wrote its file') or diag("mk-producer-corpus: exit $?");
chomp @made;

# filecheck: FILE TAB code TAB detail (the measure last)
my %got;
open(my $fc, '-|', $filecheck, @made) or die "filecheck: $!";
while (my $line = <$fc>) {
    chomp $line;
    my ($file, $code, $detail) = split /\t/, $line, 3;
    $file =~ s{.*/}{};
    $got{$file} = [$code, $detail];
}
close($fc);
is($?, 0, 'filecheck read every file');

is_deeply([sort keys %got], [sort keys %EXPECT],
    'the corpus is the table: every file made is judged, every row made');

for my $file (sort keys %EXPECT) {
    my $want = $EXPECT{$file};
    my ($code, $detail) = @{ $got{$file} // ['(not made)', ''] };

    is($code, $want, "$file: $want") or diag("$file: $code: $detail");

    # an accepted page is measured as the page: the scan's 1240 x 1754
    like($detail, qr/\b1240x1754\b/, "$file: accepted, measured as the scan")
        if $code eq 'ok';
}

done_testing();
