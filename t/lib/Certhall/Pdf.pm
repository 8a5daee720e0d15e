package Certhall::Pdf;

# PDFs for the upload suites: scan_pdf wraps the bytes of a JPEG (made by
# another tool; or of a JP2, or raw RGB samples, see filter) into a
# one-page PDF, the way a scanner writes one: the
# catalog, the page tree, one page showing the JPEG full-page as an image
# XObject, with an exact xref table (or, for the object-stream variant, an
# exact xref stream) and trailer.  Options make the variants that
# lib/ch_pdf.c must refuse or accept.  Core modules only.
#
#   Certhall::Pdf::scan_pdf($jpeg_bytes, $width, $height, %opt)
#
#   filter => 'DCTDecode' (the default) | 'JPXDecode' | 'FlateDecode'
#                               how the image's data is stored: the bytes
#                               given as they are (a JPEG; a JP2, as
#                               img2pdf writes it), or, for FlateDecode,
#                               the bytes given are raw 8-bit samples
#                               (mkscan rgb: R, G, B a pixel, rows from
#                               the top) which are zlib-compressed here
#   colorspace => 'DeviceRGB' (the default) | 'DeviceGray'
#                               the image's /ColorSpace (the JPEG's own
#                               pixels decide its colour; a grey colour
#                               space makes a colour JPEG grey)
#   javascript => 1             /OpenAction << /S /JavaScript /JS (..) >>
#   javascript_hex => 1         the same with the names written /J#61vaScript
#                               and /J#53
#   objstm_js => 1              the JavaScript action inside a Flate object
#                               stream, the file then ending in an xref
#                               stream instead of a table
#   launch => 1                 /OpenAction << /S /Launch /F (calc.exe) >>
#   embedded_file => 1          a document attachment: /Names <<
#                               /EmbeddedFiles .. >> and an /EmbeddedFile
#                               stream
#   encrypt => 1                /Encrypt in the trailer (with an /ID; the
#                               content is not really encrypted)
#   no_image => 1               a page of text only, no image at all
#   text_saying_javascript => 1 the page also draws the text "JavaScript:
#                               /JS /Launch app.alert(1)" (uncompressed, so
#                               the words are in the file's bytes): must be
#                               accepted
#   truncate => N               the last N bytes cut off
#
# $width and $height are the image's /Width and /Height (the JPEG's size,
# normally).  Returns the PDF as a byte string.

use strict;
use warnings;

use Compress::Zlib qw(compress);
use Exporter 'import';

our @EXPORT_OK = qw(scan_pdf);

sub scan_pdf {
    my ($jpeg, $width, $height, %opt) = @_;

    my $cs = $opt{colorspace} // 'DeviceRGB';
    die "scan_pdf: colorspace $cs\n" unless $cs =~ /^Device(?:RGB|Gray)$/;
    my $filter = $opt{filter} // 'DCTDecode';
    die "scan_pdf: filter $filter\n" unless $filter =~ /^(?:DCT|JPX|Flate)Decode$/;
    utf8::downgrade($jpeg);         # bytes, so that lengths are byte counts
    if ($filter eq 'FlateDecode') {
        my $samples = $width * $height * ($cs eq 'DeviceRGB' ? 3 : 1);
        die "scan_pdf: " . length($jpeg) . " bytes of samples, not $samples\n"
            unless length($jpeg) == $samples;
        $jpeg = compress($jpeg);
    }

    my %obj;        # number => the body of an object at the top level
    my %stream;     # number => [dictionary entries, data] for streams
    my %packed;     # number => the body of an object in the object stream

    my $js_name = $opt{javascript_hex} ? '/J#61vaScript' : '/JavaScript';
    my $js_key  = $opt{javascript_hex} ? '/J#53' : '/JS';
    my $catalog = '/Type /Catalog /Pages 2 0 R';

    if ($opt{javascript} || $opt{javascript_hex} || $opt{objstm_js}) {
        $catalog .= ' /OpenAction 6 0 R';
        my $action = "<< /Type /Action /S $js_name $js_key (app.alert\\(1\\)) >>";
        if ($opt{objstm_js}) {
            $packed{6} = $action;
        } else {
            $obj{6} = $action;
        }
    } elsif ($opt{launch}) {
        $catalog .= ' /OpenAction 6 0 R';
        $obj{6} = '<< /Type /Action /S /Launch /F (calc.exe) >>';
    }

    if ($opt{embedded_file}) {
        $catalog .= ' /Names << /EmbeddedFiles << /Names [(readme.txt) 7 0 R] >> >>';
        $obj{7} = '<< /Type /Filespec /F (readme.txt) /EF << /F 8 0 R >> >>';
        $stream{8} = ['/Type /EmbeddedFile', "hello\n"];
    }

    $obj{1} = "<< $catalog >>";
    $obj{2} = '<< /Type /Pages /Kids [3 0 R] /Count 1 >>';

    my $font = '/Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >>';
    my ($resources, $content);
    if ($opt{no_image}) {
        $resources = $font;
        $content = "BT /F1 24 Tf 72 720 Td (Application form) Tj ET\n";
    } else {
        $resources = '/XObject << /Im0 4 0 R >>';
        $content = "q 595 0 0 842 0 0 cm /Im0 Do Q\n";
        $stream{4} = ["/Type /XObject /Subtype /Image /Width $width /Height $height"
                      . " /ColorSpace /$cs /BitsPerComponent 8 /Filter /$filter",
                      $jpeg];
    }
    if ($opt{text_saying_javascript}) {
        $resources .= " $font" unless $opt{no_image};
        $content .= "BT /F1 24 Tf 72 72 Td (JavaScript: /JS /Launch app.alert(1))"
                  . " Tj ET\n";
    }
    $obj{3} = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]'
            . " /Resources << $resources >> /Contents 5 0 R >>";
    $stream{5} = ['', $content];

    my $pdf = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
    my %off;
    my $top = 0;
    for my $n (sort { $a <=> $b } keys %obj, keys %stream) {
        $off{$n} = length $pdf;
        $top = $n if $n > $top;
        if (exists $obj{$n}) {
            $pdf .= "$n 0 obj\n$obj{$n}\nendobj\n";
        } else {
            my ($dict, $data) = @{ $stream{$n} };
            $pdf .= "$n 0 obj\n<< $dict /Length " . length($data)
                  . " >>\nstream\n$data\nendstream\nendobj\n";
        }
    }

    if (%packed) {
        # the object stream 9, then the xref stream 10
        my ($head, $body) = ('', '');
        for my $n (sort { $a <=> $b } keys %packed) {
            $head .= "$n " . length($body) . ' ';
            $body .= "$packed{$n}\n";
        }
        my $data = compress($head . $body);
        $off{9} = length $pdf;
        $pdf .= "9 0 obj\n<< /Type /ObjStm /N " . scalar(keys %packed)
              . ' /First ' . length($head) . ' /Filter /FlateDecode /Length '
              . length($data) . " >>\nstream\n$data\nendstream\nendobj\n";

        $off{10} = length $pdf;
        my $rows = '';
        for my $n (0 .. 10) {
            if ($off{$n}) {
                $rows .= pack 'CNn', 1, $off{$n}, 0;
            } elsif (exists $packed{$n}) {
                my $i = grep { $_ < $n } keys %packed;
                $rows .= pack 'CNn', 2, 9, $i;
            } else {
                $rows .= pack 'CNn', 0, 0, $n ? 0 : 65535;
            }
        }
        $rows = compress($rows);
        $pdf .= "10 0 obj\n<< /Type /XRef /Size 11 /W [1 4 2] /Root 1 0 R"
              . ' /Filter /FlateDecode /Length ' . length($rows)
              . " >>\nstream\n$rows\nendstream\nendobj\n"
              . "startxref\n$off{10}\n%%EOF\n";
    } else {
        my $trailer = '/Size ' . ($top + 1) . ' /Root 1 0 R';
        if ($opt{encrypt}) {
            my $n = $top + 1;
            $off{$n} = length $pdf;
            $pdf .= "$n 0 obj\n<< /Filter /Standard /V 1 /R 2 /P -4"
                  . ' /O <' . ('5a' x 32) . '> /U <' . ('a5' x 32) . "> >>\nendobj\n";
            $top = $n;
            $trailer = '/Size ' . ($top + 1) . " /Root 1 0 R /Encrypt $n 0 R"
                     . ' /ID [<0123456789abcdef0123456789abcdef>'
                     . ' <0123456789abcdef0123456789abcdef>]';
        }
        my $xref = length $pdf;
        $pdf .= "xref\n0 " . ($top + 1) . "\n0000000000 65535 f \n";
        for my $n (1 .. $top) {
            $pdf .= $off{$n} ? sprintf("%010d 00000 n \n", $off{$n})
                             : "0000000000 65535 f \n";
        }
        $pdf .= "trailer\n<< $trailer >>\nstartxref\n$xref\n%%EOF\n";
    }

    substr($pdf, -$opt{truncate}) = '' if $opt{truncate};

    return $pdf;
}

1;
