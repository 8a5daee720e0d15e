# Uploads: materials (资料上传) and the transfer voucher, with real files
# made by the suite (colour and grey JPEG, PNG, BMP, PDF with the page as
# JPEG, JPEG 2000 or Flate-compressed samples; truncated,
# renamed, polyglot, at 2 MiB and one byte over, chunked): the type by
# content, every check with its code, the streaming refusals that come
# before the body is whole, storage by SHA-256, downloads through nginx's
# internal location, and that no refusal leaves a row or a file behind.
# Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Upload;
use Certhall::Pdf;
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);

no_shuffle();

our $Dir = tempdir(CLEANUP => 1);
chmod 0755, $Dir;
our $Storage = "$Dir/storage";
mkdir $Storage or die "$Storage: $!";
our $KeyFile = data_key_file($Dir);

our $Alice = '13800000001';
our $Bob = '13800000002';

# fixed order ids: requests are written before the blocks run
our %O = map { $_->[0] => sprintf('UO2026112100000001%02d', $_->[1]) }
         [org => 1], [personal => 2], [bob => 3], [submitted => 4], [paying => 5];

# the files
our $Color = scan($Dir, 'jpg', 'color', 800, 600);
our $ColorPng = scan($Dir, 'png', 'color', 640, 480);
our $ColorBmp = scan($Dir, 'bmp', 'color', 600, 400);
our $GreyJpg = scan($Dir, 'jpg', 'grey', 800, 600);
our $GreyJpgNoisy = scan($Dir, 'jpg', 'grey', 800, 600, '--noise', 3);
our $GreyPng = scan($Dir, 'png', 'grey', 640, 480, '--gray-storage');
our $GreyBmp = scan($Dir, 'bmp', 'grey', 600, 400);
our $Tinted = scan($Dir, 'jpg', 'tinted', 800, 600);
our $Narrow = scan($Dir, 'jpg', 'color', 800, 399);
our $Exact = scan($Dir, 'jpg', 'color', 800, 600, '--size', 2097152);
our $Over = scan($Dir, 'jpg', 'color', 800, 600, '--size', 2097153);
our $Pdf = Certhall::Pdf::scan_pdf($Color, 800, 600);
our $Second = scan($Dir, 'jpg', 'color', 900, 600);
our %BadPdf = (
    javascript     => Certhall::Pdf::scan_pdf($Color, 800, 600, javascript => 1),
    javascript_hex => Certhall::Pdf::scan_pdf($Color, 800, 600, javascript_hex => 1),
    objstm_js      => Certhall::Pdf::scan_pdf($Color, 800, 600, objstm_js => 1),
    launch         => Certhall::Pdf::scan_pdf($Color, 800, 600, launch => 1),
    embedded_file  => Certhall::Pdf::scan_pdf($Color, 800, 600, embedded_file => 1),
);
our $PdfEncrypted = Certhall::Pdf::scan_pdf($Color, 800, 600, encrypt => 1);
our $PdfNoImage = Certhall::Pdf::scan_pdf($Color, 800, 600, no_image => 1);
our $PdfGrey = Certhall::Pdf::scan_pdf($GreyJpg, 800, 600);
our $PdfText = Certhall::Pdf::scan_pdf($Color, 800, 600, text_saying_javascript => 1);
our $PdfTruncated = Certhall::Pdf::scan_pdf($Color, 800, 600, truncate => 40);
# the page's image decoded by the checker itself (OpenJPEG, zlib), as img2pdf
# and Pillow write it, not as the JPEG of the others
our %PdfPage = (
    jpx_color      => Certhall::Pdf::scan_pdf(scan($Dir, 'jp2', 'color', 800, 600), 800, 600,
                                              filter => 'JPXDecode'),
    jpx_grey       => Certhall::Pdf::scan_pdf(scan($Dir, 'jp2', 'grey', 800, 600), 800, 600,
                                              filter => 'JPXDecode'),
    jpx_grey_plane => Certhall::Pdf::scan_pdf(scan($Dir, 'jp2', 'grey', 800, 600, '--gray-storage'),
                                              800, 600, filter => 'JPXDecode',
                                              colorspace => 'DeviceGray'),
    flate_color    => Certhall::Pdf::scan_pdf(scan($Dir, 'rgb', 'color', 800, 600), 800, 600,
                                              filter => 'FlateDecode'),
    flate_grey     => Certhall::Pdf::scan_pdf(scan($Dir, 'rgb', 'grey', 800, 600), 800, 600,
                                              filter => 'FlateDecode'),
);
our %Before;        # the rows and files before the grey pages

our $HttpConfig = hall_http_config(data_key => $KeyFile)
    . "    certhall_storage $Storage;\n"
    . "    certhall_transfer_payee \"华盾云科技术有限公司\";\n"
    . "    certhall_transfer_bank \"华夏银行股份有限公司长沙窑岭支行\";\n"
    . "    certhall_transfer_account \"13452000000402912\";\n"
    . "    lingering_timeout 100ms;\n";
our $Config = $API_LOCATION
    . "    location /_certhall/files/ {\n        internal;\n        alias $Storage/;\n    }\n";

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && !defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);
    }
});

sub auth {
    my $n = shift // 1;
    return "Cookie: certhall_session=" . session_token($n) . "\nX-CSRF-Token: " . csrf_token($n);
}

# the headers of an upload by session n
sub up { my $n = shift // 1; return "$MULTIPART\n" . auth($n) }

sub post {
    my ($order, $kind, $body) = @_;
    return "POST /api/orders/$order/materials/$kind\n$body";
}

# a JSON answer that contains every fragment given (json_build_object's
# spacing: "key" : value)
sub has {
    return '(?s)^\{' . join('', map { '(?=.*' . quotemeta($_) . ')' } @_);
}

sub err { my ($code, $msg) = @_; return error_re($code, undef, $msg // '[^"]+') }

sub rows { sql_value("SELECT count(*) FROM materials") }

# Waits, bounded (30 s), for tmp/ to be empty, and returns what is left:
# a request that ends because its client went away has its temporary file
# removed when nginx's event loop gets to the closed connection, which the
# suite cannot know the time of.
sub tmp_left {
    my @tmp;
    for (1 .. 1500) {
        @tmp = tmp_files($Storage);
        return () unless @tmp;
        select undef, undef, undef, 0.02;
    }
    return @tmp;
}

# every stored file has a row, every row its file, nothing in tmp/ (once
# the requests that ended have let go of theirs)
sub consistent {
    my $what = shift;
    my @tmp = tmp_left();
    is(scalar @tmp, 0, "$what: no temporary file left") or diag("@tmp");
    my @files = storage_files($Storage);
    my @rows = map { substr($_->[0], 0, 2) . "/$_->[0]" }
               sql("SELECT DISTINCT sha256 FROM materials ORDER BY 1");
    is_deeply([sort @files], [sort @rows], "$what: the stored files are the rows' files");
}

# a draft with its basic information
sub draft {
    my (%o) = @_;
    sql("INSERT INTO orders (id, account_id, project_code, service, cert_type)"
        . " SELECT " . quote($o{id}) . ", id, 'xiangtan_ggzy', 'new', " . quote($o{type} // 'org')
        . " FROM accounts WHERE phone = " . quote($o{phone}));
    sql("INSERT INTO order_events (order_id, to_state, actor_kind, actor_id)"
        . " SELECT id, 'draft', 'applicant', account_id FROM orders WHERE id = " . quote($o{id}));
    sql("INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name,"
        . " person_id_masked, person_id_digest, person_id_sealed, mobile, email) VALUES ("
        . join(', ', map { quote($_) } $o{id},
               ($o{type} // 'org') eq 'org' ? ('湖南示例科技有限公司', '91350100M000100Y43', '李四')
                                            : (undef, undef, undef),
               '张三', '1101**********002X', 'd' x 64, 'v1.' . ('A' x 60),
               '13800138000', 'a@example.com') . ")");
}

# a material stored as the module stores it: the file and its row
sub stored {
    my ($order, $kind, $bytes) = @_;
    my $path = stored_path($Storage, $bytes);
    (my $sub = $path) =~ s{/[^/]+$}{};
    mkdir $sub;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $bytes;
    close $fh;
    sql("INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height,"
        . " pages, original_name, account_id) SELECT " . join(', ', quote($order), quote($kind),
        quote(sha256_hex($bytes)), length($bytes), "'jpg', 800, 600, 1, 'scan.jpg'")
        . ", account_id FROM orders WHERE id = " . quote($order));
}

# an order with everything, submitted (pending_payment)
sub submitted {
    my ($id, $phone) = @_;
    draft(id => $id, phone => $phone);
    stored($id, $_->[0], $Color)
        for sql("SELECT material_kind FROM project_service_materials WHERE project_code ="
                . " 'xiangtan_ggzy' AND service = 'new' AND cert_type = 'org' AND required");
    sql("INSERT INTO order_invoice (order_id, title_type, title, taxpayer_id, email, mobile)"
        . " VALUES (" . quote($id) . ", 'org', '湖南示例科技有限公司', '91350100M000100Y43',"
        . " 'a\@example.com', '13800138000');"
        . " UPDATE orders SET agreed_at = now(), delivery_method = 'pickup',"
        . " pickup_point = 'changsha' WHERE id = " . quote($id) . ";");
    sql("SELECT order_transition(" . quote($id) . ", 'pending_payment', 'applicant',"
        . " account_id) FROM orders WHERE id = " . quote($id));
}

run_tests();

__DATA__

=== TEST 1: a colour JPEG: 201 with what it is; stored under its SHA-256, whole
--- config eval: $::Config
--- init
::reset_accounts();
system("rm -rf $::Storage/[0-9a-f][0-9a-f]");
::make_account($::Alice, 'alice123', verified => ['张三', '1101**********002X']);
::make_account($::Bob, 'bob12345', verified => ['李四', '4405**********0014']);
::make_session($::Alice, 1);
::make_session($::Bob, 2);
::draft(id => $::O{org}, phone => $::Alice);
::draft(id => $::O{personal}, phone => $::Alice, type => 'personal');
::draft(id => $::O{bob}, phone => $::Bob);
--- more_headers eval: ::up(1)
--- request eval: ::post($::O{org}, 'legal_id_front', ::file_body($::Color, '法人身份证正面.jpg'))
--- error_code: 201
--- response_body_like eval
::has('"kind" : "legal_id_front"', '"kind_name" : "法人身份证正面"', '"name" : "法人身份证正面.jpg"',
      '"format" : "jpg"', '"media_type" : "image/jpeg"', '"size" : ' . length($::Color),
      '"width" : 800', '"height" : 600', '"sha256" : "' . ::sha256_hex($::Color) . '"',
      "\"url\" : \"/api/orders/$::O{org}/materials/legal_id_front\"")



=== TEST 2: (the block before) the file is in place with its bytes; the download is the file, with the headers that keep it inert
--- config eval: $::Config
--- init
my $path = ::stored_path($::Storage, $::Color);
::ok(-f $path, 'stored under ab/<sha256>');
::is(Certhall::Upload::slurp($path), $::Color, 'byte for byte');
::is(::rows(), 1, 'one row');
::consistent('after the upload');
--- more_headers eval: ::auth(1)
--- request eval: "GET /api/orders/$::O{org}/materials/legal_id_front"
--- error_code: 200
--- response_headers eval
"Content-Type: image/jpeg
Content-Length: " . length($::Color) . "
X-Content-Type-Options: nosniff
Content-Security-Policy: sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'
Cache-Control: private, no-store
Content-Disposition: inline; filename=\"legal_id_front.jpg\"; filename*=UTF-8''%E6%B3%95%E4%BA%BA%E8%BA%AB%E4%BB%BD%E8%AF%81%E6%AD%A3%E9%9D%A2.jpg"
--- response_body eval: $::Color



=== TEST 3: only the owner: another account, no session, a kind never uploaded, a kind the order does not ask
--- config eval: $::Config
--- more_headers eval
[::auth(2), '', ::auth(1), ::auth(1), ::auth(1)]
--- request eval
["GET /api/orders/$::O{org}/materials/legal_id_front",
 "GET /api/orders/$::O{org}/materials/legal_id_front",
 "GET /api/orders/$::O{org}/materials/legal_id_back",
 "GET /api/orders/$::O{org}/materials/no_such_kind",
 "GET /api/orders/$::O{org}/materials/Legal"]
--- error_code eval: [404, 401, 404, 404, 404]
--- response_body_like eval
[::err('order_not_found'), ::err('not_logged_in'), ::err('no_such_material'),
 ::err('no_such_material'), ::err('no_such_material')]



=== TEST 4: the type comes from the content: a PNG named .jpg and sent as image/jpeg is a PNG; a BMP; a PDF, downloaded as an attachment
--- config eval: $::Config
--- more_headers eval: [::up(1), ::up(1), ::up(1)]
--- request eval
[::post($::O{org}, 'legal_id_back', ::file_body($::ColorPng, 'back.jpg', 'image/jpeg')),
 ::post($::O{org}, 'business_license', ::file_body($::ColorBmp, 'licence.bmp', 'image/bmp')),
 ::post($::O{org}, 'application_form', ::file_body($::Pdf, '申请表.pdf', 'application/pdf'))]
--- error_code eval: [201, 201, 201]
--- response_body_like eval
[::has('"format" : "png"', '"media_type" : "image/png"', '"name" : "back.jpg"', '"width" : 640', '"height" : 480'),
 ::has('"format" : "bmp"', '"media_type" : "image/bmp"', '"width" : 600', '"height" : 400'),
 ::has('"format" : "pdf"', '"media_type" : "application/pdf"', '"pages" : 1', '"width" : 800')]



=== TEST 5: (the block before) a PDF is never shown inside the site: attachment, nosniff, sandbox
--- config eval: $::Config
--- init
::consistent('after three uploads');
--- more_headers eval: ::auth(1)
--- request eval: "GET /api/orders/$::O{org}/materials/application_form"
--- error_code: 200
--- response_headers eval
"Content-Type: application/pdf
X-Content-Type-Options: nosniff
Content-Disposition: attachment; filename=\"application_form.pdf\"; filename*=UTF-8''%E7%94%B3%E8%AF%B7%E8%A1%A8.pdf"
--- response_body eval: $::Pdf



=== TEST 6: grey scans are refused whatever their storage: grey as RGB, with sensor noise, 1-channel PNG, grey BMP, a page with a speck of colour
--- config eval: $::Config
--- init
::consistent('before');
--- more_headers eval: [(::up(1)) x 5]
--- request eval
[map { ::post($::O{org}, 'eseal_form', ::file_body($_)) } $::GreyJpg, $::GreyJpgNoisy, $::GreyPng, $::GreyBmp, $::Tinted]
--- error_code eval: [(422) x 5]
--- response_body_like eval
[(::err('scan_not_color')) x 5]



=== TEST 7: (the block before) nothing was stored; a scan too small to read; damaged files of each kind
--- config eval: $::Config
--- init
::consistent('after the grey scans');
::is(::sql_value("SELECT count(*) FROM materials WHERE kind = 'eseal_form'"), 0, 'no row');
--- more_headers eval: [(::up(1)) x 5]
--- request eval
[::post($::O{org}, 'eseal_form', ::file_body($::Narrow)),
 ::post($::O{org}, 'eseal_form', ::file_body(substr($::Color, 0, length($::Color) - 300))),
 ::post($::O{org}, 'eseal_form', ::file_body(substr($::ColorPng, 0, length($::ColorPng) - 100))),
 ::post($::O{org}, 'eseal_form', ::file_body(substr($::ColorBmp, 0, length($::ColorBmp) - 1000))),
 ::post($::O{org}, 'eseal_form', ::file_body($::PdfTruncated))]
--- error_code eval: [(422) x 5]
--- response_body_like eval
[::err('resolution_too_low'), ::err('file_damaged'), ::err('file_damaged'), ::err('file_damaged'),
 ::err('pdf_malformed')]



=== TEST 8: (the block before) nothing stored; polyglots: a JPEG carrying a PDF, a PNG carrying a ZIP
--- config eval: $::Config
--- init
::consistent('after the damaged files');
--- more_headers eval: [(::up(1)) x 2]
--- request eval
[::post($::O{org}, 'eseal_form', ::file_body($::Color . $::Pdf)),
 ::post($::O{org}, 'eseal_form', ::file_body($::ColorPng . "PK\x03\x04" . ("\0" x 100)))]
--- error_code eval: [422, 422]
--- response_body_like eval
[::err('file_trailing_data'), ::err('file_trailing_data')]



=== TEST 9: PDFs with active content or that cannot be inspected; a PDF with no scan; a grey scan in a PDF
--- config eval: $::Config
--- init
::consistent('after the polyglots');
--- more_headers eval: [(::up(1)) x 8]
--- request eval
[(map { ::post($::O{org}, 'eseal_form', ::file_body($::BadPdf{$_}, 'x.pdf', 'application/pdf')) }
      qw(javascript javascript_hex objstm_js launch embedded_file)),
 ::post($::O{org}, 'eseal_form', ::file_body($::PdfEncrypted, 'x.pdf')),
 ::post($::O{org}, 'eseal_form', ::file_body($::PdfNoImage, 'x.pdf')),
 ::post($::O{org}, 'eseal_form', ::file_body($::PdfGrey, 'x.pdf'))]
--- error_code eval: [(422) x 8]
--- response_body_like eval
[(::err('pdf_active_content')) x 5, ::err('pdf_encrypted'), ::err('pdf_no_scan'), ::err('scan_not_color')]



=== TEST 10: (the block before) nothing stored; a PDF whose page only says "JavaScript" is fine
--- config eval: $::Config
--- init
::consistent('after the PDFs');
--- more_headers eval: ::up(1)
--- request eval: ::post($::O{org}, 'eseal_form', ::file_body($::PdfText, 'seal.pdf'))
--- error_code: 201
--- response_body_like eval: ::has('"kind" : "eseal_form"', '"format" : "pdf"')



=== TEST 11: not a scan at all: text named .jpg is 415; the request's own type must be multipart
--- config eval: $::Config
--- init
::consistent('after the text PDF');
--- more_headers eval
[::up(1), ::up(1), "Content-Type: application/x-www-form-urlencoded\n" . ::auth(1), "Content-Type: multipart/form-data\n" . ::auth(1)]
--- request eval
[::post($::O{org}, 'responsibility_letter', ::file_body("这是一段文字，不是扫描件。\n" x 50, 'letter.jpg')),
 ::post($::O{org}, 'responsibility_letter', ::file_body("GIF89a" . ("\0" x 2000), 'letter.gif', 'image/gif')),
 ::post($::O{org}, 'responsibility_letter', 'file=abc'),
 ::post($::O{org}, 'responsibility_letter', ::file_body($::Color))]
--- error_code eval: [415, 415, 415, 400]
--- response_body_like eval
[::err('unsupported_file_type'), ::err('unsupported_file_type'), ::err('unsupported_media_type'),
 ::err('invalid_multipart')]



=== TEST 12: malformed multipart is 400 and says so; a body with no file; an empty file; another field; two files
--- config eval: $::Config
--- init
::consistent('after the wrong types');
--- more_headers eval: [(::up(1)) x 6]
--- request eval
[::post($::O{org}, 'responsibility_letter', substr(::file_body($::Color), 0, -30)),
 ::post($::O{org}, 'responsibility_letter', "--$Certhall::Upload::BOUNDARY\r\nContent-Disposition: form-data\r\n\r\nx\r\n--$Certhall::Upload::BOUNDARY--\r\n"),
 ::post($::O{org}, 'responsibility_letter', "--$Certhall::Upload::BOUNDARY--\r\n"),
 ::post($::O{org}, 'responsibility_letter', ::file_body('')),
 ::post($::O{org}, 'responsibility_letter', ::multipart(['note', undef, undef, 'hi'], ['file', 'a.jpg', 'image/jpeg', $::Color])),
 ::post($::O{org}, 'responsibility_letter', ::multipart(['file', 'a.jpg', 'image/jpeg', $::Color], ['file', 'b.jpg', 'image/jpeg', $::Color]))]
--- error_code eval: [400, 400, 400, 400, 400, 400]
--- response_body_like eval
[::err('invalid_multipart'), ::err('invalid_multipart'), ::err('file_missing'), ::err('file_missing'),
 ::err('unexpected_field'), ::err('unexpected_field')]



=== TEST 13: exactly 2 MiB is taken; one byte more is 413 as soon as the part passes the limit
--- config eval: $::Config
--- init
::consistent('after the malformed bodies');
::is(length $::Exact, 2097152, 'the file is 2 MiB');
--- more_headers eval: [::up(1), ::up(1)]
--- request eval
[::post($::O{org}, 'responsibility_letter', ::file_body($::Exact)),
 ::post($::O{org}, 'legal_id_back', ::file_body($::Over))]
--- error_code eval: [201, 413]
--- response_body_like eval
[::has('"size" : 2097152'), ::err('file_too_large', '文件大小超过限制（不超过2M）')]



=== TEST 14: a Content-Length over the limit is 413 before the body is read: no 100 Continue, nothing sent needed
--- config eval: $::Config
--- init
::consistent('after 2 MiB');
--- raw_request eval
"POST /api/orders/$::O{org}/materials/legal_id_back HTTP/1.1\r
Host: localhost\r
Connection: close\r
Cookie: certhall_session=" . ::session_token(1) . "\r
X-CSRF-Token: " . ::csrf_token(1) . "\r
Content-Type: multipart/form-data; boundary=$Certhall::Upload::BOUNDARY\r
Content-Length: 3000000\r
Expect: 100-continue\r
\r
"
--- error_code: 413
--- raw_response_headers_unlike: 100 Continue
--- response_body_like eval: ::err('file_too_large')



=== TEST 15: a first chunk that is no scan is refused at once: the rest of the 2 MB body is never sent
--- config eval: $::Config
--- raw_request eval
"POST /api/orders/$::O{org}/materials/legal_id_back HTTP/1.1\r
Host: localhost\r
Connection: close\r
Cookie: certhall_session=" . ::session_token(1) . "\r
X-CSRF-Token: " . ::csrf_token(1) . "\r
Content-Type: multipart/form-data; boundary=$Certhall::Upload::BOUNDARY\r
Content-Length: 2000000\r
\r
--$Certhall::Upload::BOUNDARY\r
Content-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r
Content-Type: image/jpeg\r
\r
MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00" . ("\0" x 4000)
--- error_code: 415
--- response_body_like eval: ::err('unsupported_file_type')
--- timeout eval: ($ENV{TEST_NGINX_TIMEOUT} // 0) > 5 ? $ENV{TEST_NGINX_TIMEOUT} : 5



=== TEST 16: chunked: a whole upload is taken; a part over the limit is 413 before the body ends
--- config eval: $::Config
--- init
::consistent('after the early refusals');
--- raw_request eval
my $body = ::file_body($::Second);
my $chunked = CORE::join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) } unpack('(a16384)*', $body)) . "0\r\n\r\n";
["POST /api/orders/$::O{org}/materials/legal_id_back HTTP/1.1\r
Host: localhost\r
Connection: close\r
Cookie: certhall_session=" . ::session_token(1) . "\r
X-CSRF-Token: " . ::csrf_token(1) . "\r
Content-Type: multipart/form-data; boundary=$Certhall::Upload::BOUNDARY\r
Transfer-Encoding: chunked\r
\r
$chunked"]
--- error_code: 201
--- response_body_like eval: ::has('"kind" : "legal_id_back"', '"sha256" : "' . ::sha256_hex($::Second) . '"')



=== TEST 17: chunked, never ending, over the limit: 413 without the end of the body
--- config eval: $::Config
--- init
::consistent('after the chunked upload');
--- raw_request eval
my $over = ::file_body($::Over);
my $open = CORE::join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) } unpack('(a65536)*', substr($over, 0, 2097152 + 400)));
"POST /api/orders/$::O{org}/materials/responsibility_letter HTTP/1.1\r
Host: localhost\r
Connection: close\r
Cookie: certhall_session=" . ::session_token(1) . "\r
X-CSRF-Token: " . ::csrf_token(1) . "\r
Content-Type: multipart/form-data; boundary=$Certhall::Upload::BOUNDARY\r
Transfer-Encoding: chunked\r
\r
$open"
--- error_code: 413
--- response_body_like eval: ::err('file_too_large')
--- timeout eval: ($ENV{TEST_NGINX_TIMEOUT} // 0) > 5 ? $ENV{TEST_NGINX_TIMEOUT} : 5



=== TEST 18: a client that goes away halfway through its upload
The short timeout is how the client goes away (whether before or after all
its bytes were read): TEST 19 waits for the removal of the half file.
--- config eval: $::Config
--- init
::consistent('after the open chunked body');
--- raw_request eval
my $body = ::file_body($::Exact);
"POST /api/orders/$::O{org}/materials/legal_id_back HTTP/1.1\r
Host: localhost\r
Connection: close\r
Cookie: certhall_session=" . ::session_token(1) . "\r
X-CSRF-Token: " . ::csrf_token(1) . "\r
Content-Type: multipart/form-data; boundary=$Certhall::Upload::BOUNDARY\r
Content-Length: " . length($body) . "\r
\r
" . substr($body, 0, 1000000)
--- timeout: 0.5
--- abort
--- ignore_response



=== TEST 19: re-uploading a kind replaces it and keeps the history; delete keeps it too
--- config eval: $::Config
--- init
::consistent('after the client that went away');
::is(scalar(() = ::tmp_left()), 0, 'its half file is gone');
--- more_headers eval: [::up(1), ::auth(1), ::auth(1), ::auth(1)]
--- request eval
[::post($::O{org}, 'legal_id_front', ::file_body($::Second, 'again.jpg')),
 "GET /api/orders/$::O{org}/materials/legal_id_front",
 "DELETE /api/orders/$::O{org}/materials/legal_id_front",
 "GET /api/orders/$::O{org}/materials/legal_id_front"]
--- error_code eval: [201, 200, 200, 404]
--- response_body_like eval
[::has('"name" : "again.jpg"', '"width" : 900'), '^\xFF\xD8', '"materials"', ::err('no_such_material')]



=== TEST 20: (the block before) both files remain, with their rows; another account, no CSRF token, a cross-site page: refused, nothing written
--- config eval: $::Config
--- init
::consistent('after replace and delete');
::is(::sql_value("SELECT count(*) FROM materials WHERE order_id = '$::O{org}' AND kind = 'legal_id_front'"), 2, 'the history');
::is(::sql_value("SELECT count(*) FROM materials WHERE order_id = '$::O{org}' AND kind = 'legal_id_front' AND replaced_at IS NULL"), 0, 'none current');
--- more_headers eval
[::up(2), "$::MULTIPART\nCookie: certhall_session=" . ::session_token(1), ::up(1) . "\nOrigin: https://evil.example", ::up(1), ::up(2)]
--- request eval
[::post($::O{org}, 'legal_id_front', ::file_body($::Color)),
 ::post($::O{org}, 'legal_id_front', ::file_body($::Color)),
 ::post($::O{org}, 'legal_id_front', ::file_body($::Color)),
 ::post($::O{org}, 'id_front', ::file_body($::Color)),
 "DELETE /api/orders/$::O{org}/materials/legal_id_back"]
--- error_code eval: [404, 403, 403, 404, 404]
--- response_body_like eval
[::err('order_not_found'), ::err('csrf_failed'), ::err('cross_site'), ::err('no_such_material'), ::err('order_not_found')]



=== TEST 21: submit waits for every required material and names the missing ones
--- config eval: $::Config
--- init
::consistent('after the refusals');
::sql("INSERT INTO order_invoice (order_id, title_type, title, taxpayer_id, email, mobile) VALUES ('$::O{org}', 'org', '湖南示例科技有限公司', '91350100M000100Y43', 'a\@example.com', '13800138000')");
--- more_headers eval: "$Certhall::Test::FORM\n" . ::auth(1)
--- request eval: "POST /api/orders/$::O{org}/submit\nagree=1&agreement_version=1&delivery=pickup&pickup_point=changsha"
--- error_code: 422
--- response_body_like eval
'"code" : "incomplete".*"kind" ?: "legal_id_front", "message" ?: "请上传法人身份证正面"'



=== TEST 22: uploads only while the order may change: after submission 409, nothing stored
--- config eval: $::Config
--- init
::consistent('after the submission refused');
::submitted($::O{submitted}, $::Alice);
::consistent('with a submitted order');
--- more_headers eval: [::up(1), ::auth(1)]
--- request eval
[::post($::O{submitted}, 'legal_id_front', ::file_body($::Second)),
 "DELETE /api/orders/$::O{submitted}/materials/legal_id_front"]
--- error_code eval: [409, 409]
--- response_body_like eval: [::err('order_not_editable'), ::err('order_not_editable')]



=== TEST 23: a voucher only once transfer is chosen; pay by transfer gives the bank details; Alipay is not open yet
--- config eval: $::Config
--- init
::consistent('after the refused changes');
--- more_headers eval: [::up(1), "$Certhall::Test::FORM\n" . ::auth(1), "$Certhall::Test::FORM\n" . ::auth(1), "$Certhall::Test::FORM\n" . ::auth(1)]
--- request eval
["POST /api/orders/$::O{submitted}/voucher\n" . ::file_body($::Color),
 "POST /api/orders/$::O{submitted}/pay\nmethod=alipay",
 "POST /api/orders/$::O{org}/pay\nmethod=transfer",
 "POST /api/orders/$::O{submitted}/pay\nmethod=transfer"]
--- error_code eval: [409, 503, 409, 200]
--- response_body_like eval
[::err('order_not_awaiting_voucher'), ::err('alipay_unavailable'), '"code"',
 ::has('"method" : "transfer"', '"payee" : "华盾云科技术有限公司"', '"bank" : "华夏银行股份有限公司长沙窑岭支行"',
       '"account" : "13452000000402912"', '"state" : "pending_voucher"')]



=== TEST 24: the voucher goes through the same checks, then the order waits for review
--- config eval: $::Config
--- init
::consistent('after choosing transfer');
--- more_headers eval: [::up(1), ::up(1), ::auth(1), ::auth(1)]
--- request eval
["POST /api/orders/$::O{submitted}/voucher\n" . ::file_body($::GreyJpg),
 "POST /api/orders/$::O{submitted}/voucher\n" . ::file_body($::ColorPng, '转账凭证.png', 'image/png'),
 "GET /api/orders/$::O{submitted}/materials/transfer_voucher",
 "GET /api/orders/$::O{submitted}"]
--- error_code eval: [422, 201, 200, 200]
--- response_body_like eval
[::err('scan_not_color'), ::has('"kind" : "transfer_voucher"', '"format" : "png"'), '^\x89PNG',
 ::has('"state" : "pending_review"')]



=== TEST 25: (the block before) the voucher is stored; a second voucher once in review is 409
--- config eval: $::Config
--- init
::consistent('after the voucher');
--- more_headers eval: ::up(1)
--- request eval: "POST /api/orders/$::O{submitted}/voucher\n" . ::file_body($::Color)
--- error_code: 409
--- response_body_like eval: ::err('order_not_awaiting_voucher')



=== TEST 26: (the block before) nothing stored; the checks ran in the thread pool, never in the event loop
--- config eval: $::Config
--- init
::consistent('at the end');
--- log_level: debug
--- more_headers eval: ::up(1)
--- request eval: ::post($::O{personal}, 'id_front', ::file_body($::Color))
--- error_code: 201
--- error_log eval
[qr/certhall upload: \d+ bytes, sha256 [0-9a-f]{64}, to the thread pool/, qr/run task #\d+ in thread pool "default"/,
 qr/complete task #\d+ in thread pool "default"/]



=== TEST 27: without certhall_storage uploads are 503 and the body is dropped
--- http_config eval: ::hall_http_config(data_key => $::KeyFile)
--- config eval: $::Config
--- more_headers eval: ::up(1)
--- request eval: ::post($::O{personal}, 'id_back', ::file_body($::Color))
--- error_code: 503
--- response_body_like eval: ::err('uploads_unavailable')



=== TEST 28: a location that would let nginx refuse large bodies itself stops nginx
--- config
    location /api/ {
        certhall;
        client_max_body_size 1m;
    }
--- must_die
--- error_log
needs "client_max_body_size 0"



=== TEST 29: a storage that is no directory stops nginx
--- http_config eval: ::hall_http_config(data_key => $::KeyFile) . "    certhall_storage $::Dir/nonexistent;\n"
--- config eval: $::Config
--- must_die
--- error_log
nonexistent



=== TEST 30: a PDF whose page is a JPEG 2000 colour scan; one whose page is Flate-compressed RGB samples: taken like the JPEG's
--- config eval: $::Config
--- init
::consistent('before the JPEG 2000 and Flate pages');
--- more_headers eval: [::up(1), ::up(1)]
--- request eval
[::post($::O{org}, 'eseal_form', ::file_body($::PdfPage{jpx_color}, '电子印章申请表.pdf', 'application/pdf')),
 ::post($::O{org}, 'application_form', ::file_body($::PdfPage{flate_color}, 'form.pdf', 'application/pdf'))]
--- error_code eval: [201, 201]
--- response_body_like eval
[::has('"kind" : "eseal_form"', '"format" : "pdf"', '"pages" : 1', '"width" : 800', '"height" : 600',
       '"sha256" : "' . ::sha256_hex($::PdfPage{jpx_color}) . '"'),
 ::has('"kind" : "application_form"', '"format" : "pdf"', '"pages" : 1', '"width" : 800', '"height" : 600',
       '"sha256" : "' . ::sha256_hex($::PdfPage{flate_color}) . '"')]



=== TEST 31: (the block before) grey pages are refused however the PDF stores them: grey as RGB under JPXDecode, one grey JPEG 2000 component, grey as RGB under FlateDecode
--- config eval: $::Config
--- init
::consistent('after the JPEG 2000 and Flate pages');
%::Before = (rows => ::rows(), files => scalar(() = ::storage_files($::Storage)));
--- more_headers eval: [(::up(1)) x 3]
--- request eval
[::post($::O{org}, 'eseal_form', ::file_body($::PdfPage{jpx_grey}, 'x.pdf', 'application/pdf')),
 ::post($::O{org}, 'eseal_form', ::file_body($::PdfPage{jpx_grey_plane}, 'x.pdf', 'application/pdf')),
 ::post($::O{org}, 'application_form', ::file_body($::PdfPage{flate_grey}, 'x.pdf', 'application/pdf'))]
--- error_code eval: [(422) x 3]
--- response_body_like eval
[(::err('scan_not_color', '扫描件必须为彩色，请使用彩色模式重新扫描后上传')) x 3]



=== TEST 32: (the block before) nothing stored, nothing replaced: the material is still the JPEG 2000 colour page
--- config eval: $::Config
--- init
::consistent('after the grey pages');
::is(::rows(), $::Before{rows}, 'no row');
::is(scalar(() = ::storage_files($::Storage)), $::Before{files}, 'no file');
--- more_headers eval: ::auth(1)
--- request eval: "GET /api/orders/$::O{org}/materials/eseal_form"
--- error_code: 200
--- response_body eval: $::PdfPage{jpx_color}



=== TEST 33: a row whose stored copy has gone (a lost disk; a machine of the hall not sharing the storage): 503 in JSON, logged, not nginx's 404 page
--- config eval: $::Config
--- init
my $sha = ::sql_value("SELECT sha256 FROM materials WHERE order_id = '$::O{org}' AND kind = 'eseal_form'"
                      . " AND replaced_at IS NULL");
unlink "$::Storage/" . substr($sha, 0, 2) . "/$sha" or die "$sha: $!";
--- more_headers eval: ::auth(1)
--- request eval: "GET /api/orders/$::O{org}/materials/eseal_form"
--- error_code: 503
--- response_headers
Content-Type: application/json; charset=utf-8
Retry-After: 300
!Content-Disposition
--- response_body_like eval
::err('material_unavailable', '文件暂时无法查看，请稍后再试')
--- error_log eval
qr{\[error\] .*certhall: material: stored file ".*/storage/[0-9a-f]{2}/[0-9a-f]{64}" missing \(2: No such file or directory\)}
