/*
 * Checking an uploaded scan (资料上传: "支持jpg, bmp, png, pdf格式, 图片大小
 * 不超过2M, 扫描件必须为彩色").  The type comes from the content, never from
 * the name or the Content-Type the browser sent: the first bytes say what a
 * file claims to be (ch_file_sniff), and the whole file must then decode as
 * that (ch_file_check).
 *
 * Pure C (no nginx headers): the module runs ch_file_check in an nginx
 * thread pool (it decodes pixels: milliseconds), the back office and the
 * tests call it directly, and each checker has a libFuzzer target.
 *
 * The rules, and why they are what they are:
 *
 * Whole and decodable.  A JPEG is decoded by libjpeg-turbo (at scale 1/8:
 * the entropy decoding, which finds truncation and corruption, still runs
 * over the whole file, while the pixels are 64 times fewer); any libjpeg
 * warning ("premature end of data", a corrupt segment) makes it damaged.
 * A PNG is decoded row by row by libpng (every chunk CRC and the zlib
 * stream checked, IEND required).  A BMP is parsed directly: the pixel
 * array must lie whole inside the file.
 *
 * Nothing after the end.  Bytes after a JPEG's EOI, a PNG's IEND or a
 * BMP's pixel array (beyond CH_FILE_TRAILING_SLACK) are refused: that is
 * where a polyglot hides its second file (a PDF, a ZIP, HTML).
 *
 * Colour (CH_COLOR_*).  A pixel is coloured when max(R,G,B) - min(R,G,B)
 * >= CH_COLOR_CHROMA; a scan is colour when at least CH_COLOR_MIN_PER_MILLE
 * pixels in a thousand are coloured.  A grey scan is grey whatever its
 * storage: saved as RGB its pixels have R = G = B (a JPEG's rounding moves
 * them by one or two), far below 32.  A colour scan of a document has
 * colour somewhere: the red seal (公章), the ID card's print, the licence's
 * border and emblem; a seal's strokes alone cover about half a percent of
 * an A4 page, so one pixel in a thousand asks for less than any real colour
 * scan has, while sensor noise (a few levels) never reaches 32.  The test
 * runs on the decoded pixels: the 1/8-scale JPEG (each pixel the mean of an
 * 8 x 8 block, so JPEG ringing at black text does not count), every PNG
 * row, every BMP pixel (a palette image through its palette).
 *
 * Resolution.  The shorter side at least CH_IMAGE_MIN_SHORT pixels and the
 * longer at least CH_IMAGE_MIN_LONG: an ID card (85.6 x 54 mm), the
 * smallest document asked for, scanned at 200 dpi is 674 x 425; anything
 * smaller is not legible for review.  At most CH_IMAGE_MAX_PIXELS pixels
 * (a 600 dpi A4 scan is 35 megapixels): a larger header is a decompression
 * bomb, refused before any pixel is decoded.
 *
 * The details, by type:
 *
 * JPEG.  Baseline, progressive and arithmetic-coded; 8-bit precision only
 * (12-bit, lossless and hierarchical are CH_CHECK_UNSUPPORTED).  Grey (1
 * component) is decoded whole and counts no coloured pixel; YCbCr (3) is
 * turned into RGB with libjpeg's own arithmetic (here, not by libjpeg's
 * SIMD code, whose reads of row padding valgrind reports), RGB (3) taken
 * as it is; CMYK and YCCK (4) are decoded as CMYK (inverted
 * when an Adobe APP14 marker is present, as Photoshop writes it and as
 * viewers read a standalone JPEG; inside a PDF the samples are ink as
 * they stand and only the image's /Decode [1 0 ...] inverts them, as
 * Ghostscript, pdf.js and MuPDF read them) and
 * turned into RGB roughly (R = (255 - C)(255 - K) / 255 ...) for the colour
 * count; other component counts are CH_CHECK_UNSUPPORTED.  A repeated
 * EOI right after EOI (FF D9 FF D9, as Ghostscript ends its JPEGs) is one
 * EOI.  After EOI may follow padding (bytes 0x00 or 0xFF, which some writers add) and whole
 * JPEG images, up to CH_JPEG_MAX_APPENDED of them, each checked like the
 * first (decodable, and followed by nothing else): phones append them to
 * the photo an applicant takes of an ID card (an MPO's second image, an
 * Ultra HDR gain map).  Last may come a Samsung phone's trailer ("SEFH"
 * directory, "SEFT"), accepted only when its structure accounts for every
 * byte (its blocks end to end up to the directory, each named) and its
 * blocks hold whole JPEGs or at most CH_JPEG_MAX_TRAILER bytes of
 * metadata in which no other file's signature (ZIP, PDF, HTML) appears:
 * the date, the camera's mode, the dual camera's second image.  A motion
 * photo's video is more than that and is refused (the message says to
 * turn motion photos off, or to save the picture again or screenshot it).  Anything else is
 * CH_CHECK_TRAILING_DATA: a PDF, a ZIP (whose directory is read from the
 * end of the file), HTML, an unverifiable trailer.  The colour
 * and size are the first image's.  A
 * progressive JPEG holds all its coefficients while decoding: more than
 * CH_JPEG_MAX_MEMORY is CH_CHECK_TOO_MANY_PIXELS, more than
 * CH_JPEG_MAX_SCANS scans CH_CHECK_UNSUPPORTED.
 *
 * PNG.  Every colour type and depth, interlaced or not, to 8-bit RGB
 * (alpha stripped, not composited; a palette image through its palette;
 * grey only counted).  Bad CRCs (ancillary chunks' too), libpng's "benign"
 * errors (bytes after the zlib stream in its IDAT, a bad adler32), a pixel
 * past the palette and a missing IEND are CH_CHECK_DAMAGED; a further IDAT
 * chunk after the end of the stream is skipped, as libpng does.  Ancillary chunks
 * libpng knows (iCCP, sRGB, text...) are read and CRC-checked but not
 * interpreted: their oddities do not make a damaged scan.  Nothing may
 * follow IEND.
 *
 * BMP.  Headers BITMAPCOREHEADER (12 bytes), BITMAPINFOHEADER (40) and its
 * V2 (52), V3 (56), V4 (108) and V5 (124) forms, OS/2 2.x's (64, and
 * its shortened 16); bottom-up or top-down;
 * 1, 4 and 8 bits per pixel with a palette (its colours judged through the
 * pixels that use them; a palette longer than the bits allow, or a pixel
 * past the palette, is CH_CHECK_DAMAGED), 16 (5-5-5, or bit fields such as
 * 5-6-5), 24, and 32 (B, G, R, x, or bit fields).  RLE8 (8 bits) and RLE4
 * (4 bits) are decoded: ImageMagick writes every 8-bit palette BMP as RLE8
 * unless told otherwise.  Each escape is followed (end of line, end of
 * bitmap, delta, absolute runs padded to a word); the pixels a delta or an
 * early end skips are palette entry 0, as decoders show them; a run past
 * its row, a line or delta below the last row, a top-down RLE bitmap, or
 * a stream without its end of bitmap is CH_CHECK_DAMAGED.  JPEG, PNG and
 * CMYK compression, OS/2's Huffman 1D and RLE24, and 2 and 64 bits per
 * pixel are CH_CHECK_UNSUPPORTED.  A gap between the headers (with palette) and the
 * pixel array (bfOffBits) is allowed; bfSize and biSizeImage are not
 * relied upon.  After the pixel array (an RLE one ends at its end of
 * bitmap): up to CH_FILE_TRAILING_SLACK bytes, or a V5 header's embedded
 * colour profile.
 *
 * PDF.  "%PDF-1.x" at byte 0, "%%EOF" in the last 1024 bytes after a
 * startxref whose offset lies inside the file and points at "xref" or an
 * object (white space before it allowed); every object parsed; every xref
 * entry in use at its object (a free entry's generation, such as Pillow's
 * and MuPDF's 65536 for object 0, is not checked).  No active content: any
 * of the names /JavaScript /JS /Launch /EmbeddedFile /EmbeddedFiles /EF
 * /FileAttachment /RichMedia /SubmitForm /ImportData /GoToE /XFA
 * /AdditionalStreams (LibreOffice's hybrid PDF, which carries the .odt),
 * written plainly or with #xx escapes, in the file, in a (Flate) object
 * stream or in an inline image's dictionary, refuses it; an encrypted PDF
 * (/Encrypt) cannot be inspected and is refused as encrypted, even when it
 * opens without a password.  Colour: a scan in a PDF is an image XObject
 * or an inline image (BI .. ID .. EI) in a page's or a form's content, and
 * its pixels are judged as an image upload's.  Each JPEG (DCTDecode, also
 * under ASCII85 or other filters) image is checked with the JPEG test
 * above (its CMYK as a PDF reads it, /Decode applied; its filter's
 * /ColorTransform when no Adobe marker says it);
 * the others are decoded (Flate with or without PNG/TIFF predictors,
 * ASCIIHex, ASCII85, RunLength; 1 to 16 bits; grey, RGB, CMYK with its
 * /Decode, ICCBased, Indexed through its palette) and each pixel tested;
 * an inline image goes through the same decoder (abbreviated keys and
 * filters, a /CS named in its page's or form's /Resources; an image mask,
 * inline or not, is a stencil and no image), so a grey scan
 * stored as RGB is grey inside a PDF too; CCITT and JBIG2 images are
 * black and white (grey); JPEG 2000 (JPX: a JP2 file or a raw
 * codestream) is decoded by OpenJPEG at 1/8 scale as a JPEG is, after its
 * SIZ header is checked (its size the dictionary's, else damaged; the
 * pixel limit), strictly (a truncated codestream is damaged), its colour
 * by the dictionary's /ColorSpace or else its own (sRGB, grey, sYCC,
 * CMYK; alpha ignored); a JPEG 2000 feature OpenJPEG does not decode is
 * unsupported, not damaged; LZW and Lab images are not decoded and count
 * by their colour space.  The PDF is colour when all
 * its images' pixels together meet the rule: each image weighs by its
 * pixels, so a small colour mark on a grey page is grey.  Colour drawn as
 * vectors or text does not count.  A PDF without any image
 * is no scan and is refused.  Its resolution is its largest image's.
 */

#ifndef CH_FILECHECK_H
#define CH_FILECHECK_H

#include <stddef.h>

#define CH_COLOR_CHROMA           32
#define CH_COLOR_MIN_PER_MILLE    1

#define CH_IMAGE_MIN_SHORT        400
#define CH_IMAGE_MIN_LONG         600
#define CH_IMAGE_MAX_PIXELS       50000000u
#define CH_IMAGE_MAX_SIDE         30000u

/* bytes allowed after a BMP's pixel array (writers pad to 4) */
#define CH_FILE_TRAILING_SLACK    4

/* the bytes ch_file_sniff needs to tell every type apart */
#define CH_FILE_SNIFF_LEN         8

/*
 * A progressive (or multi-scan) JPEG keeps all its DCT coefficients, two
 * bytes each, while it is decoded: at most this much (a 4:2:0 image up to
 * about 44 megapixels, 4:4:4 up to 22); libjpeg's own memory limit.
 */
#define CH_JPEG_MAX_MEMORY        (128L << 20)
/* the whole images a JPEG may carry after its EOI (MPO, gain maps) */
#define CH_JPEG_MAX_APPENDED      4

/*
 * the metadata (not its embedded JPEGs) a vendor's trailer after EOI may
 * carry: Samsung's is a few hundred bytes
 */
#define CH_JPEG_MAX_TRAILER       (64L << 10)

/* each scan goes over the whole image again; encoders write about ten */
#define CH_JPEG_MAX_SCANS         100

typedef enum {
    CH_FILE_UNKNOWN = 0,       /* none of the four */
    CH_FILE_NEED_MORE,         /* too few bytes yet, but could be one */
    CH_FILE_JPEG,
    CH_FILE_PNG,
    CH_FILE_BMP,
    CH_FILE_PDF
} ch_file_type_e;

typedef enum {
    CH_CHECK_OK = 0,
    CH_CHECK_UNKNOWN_TYPE,     /* 415 unsupported_file_type */
    CH_CHECK_DAMAGED,          /* 422 file_damaged: truncated, corrupt */
    CH_CHECK_TRAILING_DATA,    /* 422 file_trailing_data: a polyglot */
    CH_CHECK_UNSUPPORTED,      /* 422 file_unsupported: e.g. JPEG in BMP */
    CH_CHECK_NOT_COLOR,        /* 422 scan_not_color */
    CH_CHECK_LOW_RESOLUTION,   /* 422 resolution_too_low */
    CH_CHECK_TOO_MANY_PIXELS,  /* 422 image_too_large */
    CH_CHECK_PDF_MALFORMED,    /* 422 pdf_malformed: header, trailer, xref */
    CH_CHECK_PDF_ACTIVE,       /* 422 pdf_active_content */
    CH_CHECK_PDF_ENCRYPTED,    /* 422 pdf_encrypted */
    CH_CHECK_PDF_NO_IMAGE,     /* 422 pdf_no_scan */
    CH_CHECK_NO_MEMORY         /* 500: not the file's fault */
} ch_check_e;

typedef struct {
    ch_file_type_e   type;
    unsigned         width;          /* pixels; a PDF: its largest image */
    unsigned         height;
    unsigned         pages;          /* PDF: pages; images: 1 */
    unsigned         colored_per_mille;  /* coloured pixels per thousand */
    int              color;          /* the colour rule is met */
    char             detail[128];    /* what was wrong, English, for the log */
} ch_file_info_t;

/*
 * What the first n bytes of a file say it is: CH_FILE_NEED_MORE while n <
 * CH_FILE_SNIFF_LEN and the bytes so far are a prefix of some type's magic
 * (n = 0 included); CH_FILE_UNKNOWN as soon as they are none.
 *   JPEG  FF D8 FF
 *   PNG   89 50 4E 47 0D 0A 1A 0A
 *   BMP   "BM", then a file size and reserved zero bytes 6..9 (with 8 or 9
 *         bytes only 6 and 7 can be checked; all four once present)
 *   PDF   "%PDF-"
 */
ch_file_type_e ch_file_sniff(const unsigned char *p, size_t n);

/* "jpg", "png", "bmp", "pdf" (the formats of material_kinds), or NULL */
const char *ch_file_format(ch_file_type_e type);

/* "image/jpeg", "image/png", "image/bmp", "application/pdf", or NULL */
const char *ch_file_media_type(ch_file_type_e type);

/*
 * Checks the whole file p[0 .. n - 1] by its sniffed type: decodable,
 * nothing trailing, the resolution, and the colour rule when color_required
 * (the colour is measured and reported in info either way).  Fills info.
 * Returns CH_CHECK_OK or the first rule broken, in this order: the type
 * (CH_CHECK_UNKNOWN_TYPE, also for a file shorter than its magic), what the
 * type's checker finds (damaged, trailing data, unsupported, too many
 * pixels, the PDF's rules), too many pixels, resolution, colour.
 * info->detail then says why, in English, for the log.
 */
ch_check_e ch_file_check(const unsigned char *p, size_t n, int color_required,
    ch_file_info_t *info);

/*
 * The checkers by type, for ch_file_check, the PDF's images and the
 * fuzzers.  Each fills info (type, width, height once the header is read,
 * pages 1, the colour measured when the whole file decoded) and judges the
 * file itself: CH_CHECK_DAMAGED, _TRAILING_DATA, _UNSUPPORTED,
 * _TOO_MANY_PIXELS (from the header, before any pixel is decoded),
 * _NO_MEMORY, or CH_CHECK_OK.  Resolution and colour are not
 * judged here but in ch_file_check (a PDF judges its largest image).  They
 * do not look at the magic's type first: ch_jpeg_check of a PNG is damaged.
 */
ch_check_e ch_jpeg_check(const unsigned char *p, size_t n,
    ch_file_info_t *info);
ch_check_e ch_png_check(const unsigned char *p, size_t n,
    ch_file_info_t *info);
ch_check_e ch_bmp_check(const unsigned char *p, size_t n,
    ch_file_info_t *info);
ch_check_e ch_pdf_check(const unsigned char *p, size_t n,
    ch_file_info_t *info);

/*
 * The counting of coloured pixels, shared by the checkers: pixels of
 * packed R, G, B added to a count (start at zero, call per row), then the
 * verdict: info->colored_per_mille (rounded down) and info->color, which
 * is colored * 1000 >= CH_COLOR_MIN_PER_MILLE * pixels (0 without pixels).
 */
typedef struct {
    unsigned long long  pixels;
    unsigned long long  colored;
} ch_color_count_t;

void ch_color_count_rgb(ch_color_count_t *cc, const unsigned char *rgb,
    size_t pixels);
/* the colour verdict of a count: per mille into info, and the rule */
void ch_color_verdict(const ch_color_count_t *cc, ch_file_info_t *info);

/*
 * The API's error code ("scan_not_color") and Chinese message of a result,
 * static strings; NULL for CH_CHECK_OK.  CH_CHECK_NO_MEMORY is the
 * module's "internal_error".
 */
const char *ch_check_code(ch_check_e e);
const char *ch_check_message(ch_check_e e);

#endif /* CH_FILECHECK_H */
