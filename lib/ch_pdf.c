/*
 * ch_pdf_check: the PDF checker of uploaded scans (the "PDF." paragraph of
 * ch_filecheck.h is the specification).  The input is untrusted: every
 * loop is bounded by the input or by a constant (the PDF_MAX_* and others
 * of ch_pdf_int.h), nothing recurses deeper than a constant, and all state
 * lives in one allocation per call (thread-safe: it runs in nginx's
 * thread pool).
 *
 * The checker is six files, one concern each (ch_pdf_int.h, which they
 * share, lists them); this one has the images, the pages and
 * ch_pdf_check, which runs the steps below in their order.
 *
 * What is checked, in this order (the first rule broken is returned):
 *
 * 1. The frame.  "%PDF-1.0" .. "%PDF-1.7" or "%PDF-2.0" at byte 0, followed
 *    by white space (no junk before it: a file that is something else
 *    first is a polyglot).  The last "%%EOF" lies in the last 1024 bytes;
 *    after it at most PDF_EOF_SLACK bytes of white space (end-of-line
 *    conventions, a NUL pad), anything else is CH_CHECK_TRAILING_DATA:
 *    that is where a polyglot hides its second file.  Immediately before
 *    "%%EOF" (white space apart) stand "startxref" and a decimal offset
 *    inside the file; at that offset (white space skipped) "xref" or
 *    "N G obj".  After the walk (2) the offset must be an xref table or an
 *    xref stream actually parsed there, and so must every /Prev, and every
 *    /XRefStm must be an xref stream.
 *
 * 2. The walk.  A real tokenizer (comments, literal strings with nested
 *    parentheses and backslash escapes, hex strings, names with #xx
 *    escapes decoded, numbers, dictionaries, arrays, keywords) goes over
 *    the whole file once.  At the top level only these may appear:
 *    "N G obj <one value> endobj", "N G obj <dict> stream .. endstream
 *    endobj", an xref table ("xref", subsections of "offset gen n|f",
 *    "trailer <<..>>"), "trailer <<..>>", "startxref N", comments.
 *    Anything else (an unknown keyword, binary junk, a "{", a dictionary
 *    key that is no name, a number such as "1e5") is
 *    CH_CHECK_PDF_MALFORMED.  A stream's data is skipped by its /Length
 *    when that is a direct integer and "endstream" follows (white space
 *    apart), else up to the first "endstream" (what viewers do when the
 *    length is wrong).  Object numbers are 1 .. 8388607, generations
 *    0 .. 65535.  A key this checker reads (/Length, /Filter, /Type,
 *    /Subtype, /Width, /N, /Encrypt, /Prev, ...) twice in one dictionary
 *    is MALFORMED: readers differ on which of the two counts.
 *
 *    A linear walk skips stream data; a viewer follows the xref.  So that
 *    no object can hide inside another object's stream data (or a string)
 *    and be reached through the xref, every in-use entry of every xref
 *    table and xref stream must point exactly at an "N G obj" of the walk
 *    with the same number and generation (white space before it allowed;
 *    an entry with offset 0 is taken as free, as some writers mark
 *    deleted objects so; a free entry's generation is not checked:
 *    Pillow, MuPDF and PyMuPDF write object 0 as "0000000000 65536 f"), and every compressed entry (type 2) must name a
 *    parsed object stream and an index holding that object.  Likewise the
 *    objects of an object stream must tile its data exactly (each starts
 *    at its /First + offset, nothing but white space and comments between
 *    them).  A broken xref is therefore MALFORMED, not repaired: viewers
 *    repair it, and their repairs are what a checker cannot predict.
 *
 * 3. Active content.  Any name, after #xx decoding and anywhere in the
 *    document structure (object values, trailers, xref stream and object
 *    stream dictionaries, the objects inside object streams), equal to
 *    /JavaScript /JS /Launch /EmbeddedFile /EmbeddedFiles /RichMedia
 *    /SubmitForm /ImportData /GoToE /XFA (the header's list), and also /EF
 *    and /FileAttachment (an embedded file's /Type is optional, its file
 *    specification's /EF is not; a file attachment annotation is an
 *    embedded file too), and /AdditionalStreams (LibreOffice's "hybrid"
 *    PDF: the trailer names a stream holding the whole .odt, a ZIP that
 *    may hold macros, which LibreOffice opens instead of the pages: an
 *    embedded file under another name), is CH_CHECK_PDF_ACTIVE.  Other
 *    carriers of a second document need one of these names already: PDF
 *    2.0's associated files (/AF) and portfolios (/Collection) embed
 *    through file specifications with /EF (an /AF naming an external
 *    file embeds nothing, and opens nothing by itself); /PieceInfo is an
 *    application's private data, which no viewer opens as a document.
 *    The names of inline image dictionaries (rule 4) count too.  Names are case
 *    sensitive (as in viewers).  A malformed # escape in a name is
 *    MALFORMED, not guessed.  Strings and stream data (page content, XMP,
 *    fonts, images) are not document structure and are not searched: a
 *    page whose text says "JavaScript" is fine; a JavaScript action needs
 *    /S /JavaScript, a file attachment /EF, an XFA form /XFA, which are
 *    all structure.  Object streams (/Type /ObjStm) are inflated (no
 *    filter, or /FlateDecode with or without a PNG/TIFF predictor; any
 *    other filter is MALFORMED as it cannot be inspected) and their
 *    objects parsed like the file's.
 *
 *    /Encrypt in a trailer or an xref stream dictionary is
 *    CH_CHECK_PDF_ENCRYPTED (its strings and streams cannot be read).
 *
 * 4. Images.  An image is a stream object with /Subtype /Image (images
 *    are streams, so never inside an object stream; a /Subtype /Image
 *    there is no image), not /ImageMask true, not the /SMask or /Mask of
 *    another image, and the last definition of its number (an incremental
 *    update replaces objects).  Inline images (BI <dict> ID <data> EI, as
 *    reportlab's drawInlineImage writes a page) are images too: found in
 *    the content streams of the pages (their last definitions) and of
 *    form XObjects, decoded when their filters are Flate, ASCII85,
 *    ASCIIHex or RunLength (else not searched); the data ends at /L when
 *    "EI" follows it, else at the first "EI" between white space (for a
 *    JPEG, after its EOI).  Content is no structure: content that stops
 *    making sense ends the search quietly (ch_pdf_inline.c).  A JPEG
 *    inline image goes through the decoder of image XObjects
 *    (pdf_image_read, its dictionary read in the content: abbreviated
 *    keys, a /CS named in the page's or form's /Resources; too little
 *    data: DAMAGED); an inline image mask (/IM true) is a stencil, no
 *    image, as an /ImageMask XObject.  /Width and /Height must be direct
 *    positive integers (else MALFORMED).  An image over CH_IMAGE_MAX_SIDE
 *    or CH_IMAGE_MAX_PIXELS is CH_CHECK_TOO_MANY_PIXELS before anything
 *    is decoded.
 *
 *    An image whose /Filter is /DCTDecode (or [/DCTDecode]) is a JPEG: its
 *    stream bytes (trailing white space trimmed: writers' line ends) go
 *    through ch_jpeg_check_pdf (a repeated EOI at the end is one, as in an
 *    upload; CMYK samples are ink as they stand, inverted only by the
 *    image's /Decode, as viewers read a PDF's JPEG).  Damaged, other trailing data after
 *    its EOI, or no JPEG at all is CH_CHECK_DAMAGED; CH_CHECK_TOO_MANY_PIXELS,
 *    CH_CHECK_UNSUPPORTED and CH_CHECK_NO_MEMORY are passed on.  The
 *    JPEG's own size (not the dictionary's) is the image's size, and its
 *    pixel verdict its colour, unless its colour space says grey
 *    (/DeviceGray, /CalGray, an ICC profile with /N 1, an /Indexed over
 *    those): a viewer shows such an image grey.  A chain ending in
 *    /DCTDecode (reportlab writes [/ASCII85Decode /DCTDecode]) is the
 *    same JPEG once the filters before it are undone.
 *
 *    Every other image is decoded (ch_pdf_image.c says what it decodes:
 *    Flate with or without predictors, ASCIIHex, ASCII85, RunLength,
 *    1 to 16 bits, grey, RGB, CMYK, ICC, Indexed through its palette;
 *    ch_pdf_jpx.c JPEG 2000, /JPXDecode, by OpenJPEG at 1/8 scale, its
 *    SIZ checked against the dictionary's size and the limits first) and
 *    its pixels counted with the JPEG/PNG test; broken image data is
 *    CH_CHECK_DAMAGED, a JPEG 2000 feature OpenJPEG does not decode
 *    CH_CHECK_UNSUPPORTED.  CCITT and JBIG2 images are one bit a pixel,
 *    black and white by definition: grey pixels, not decoded.  What is
 *    not decoded here (LZW, Lab, a palette in a stream) is counted by
 *    its colour space, undecoded: /DeviceRGB /DeviceCMYK /CalRGB /Lab (and
 *    the inline abbreviations /RGB /CMYK) are colour; /DeviceGray /CalGray
 *    /G grey; /ICCBased by its stream's /N (3 or 4 colour, 1 grey; without
 *    /N its /Alternate; unresolvable: grey); /Indexed by its base;
 *    /Separation, /DeviceN, a missing colour space and anything
 *    unresolvable are grey.  Colour spaces are followed through indirect
 *    references to a depth of PDF_CS_DEPTH.
 *
 *    The PDF's colour is that of all its images' pixels together: each
 *    image adds its pixels and its coloured pixels (a JPEG: its per mille
 *    of its pixels; an undecoded colour image: all of them), and the sum
 *    meets the rule of ch_filecheck.h or not.  So each image weighs by its
 *    pixel count, not by the area it is drawn at: a scan's page image is
 *    drawn over the whole page, and its pixels are what was scanned; an
 *    8 x 8 red mark on a grey A4 page is 64 pixels in two million, grey.
 *    At most PDF_MAX_IMAGE_PIXELS pixels in all images together (else
 *    CH_CHECK_TOO_MANY_PIXELS): decoding costs time linear in them.
 *    Colour drawn as vectors or text (rg, k, sc operators) is not counted:
 *    a page of no image is no scan, and on a scan's page, vector colour is
 *    something a program added, not what was scanned.
 *
 *    info: pages = the number of objects (their last definitions) with
 *    /Type /Page; width, height = the largest image's (by pixels);
 *    colored_per_mille and color = the verdict of the sum (so color ==
 *    (colored_per_mille >= CH_COLOR_MIN_PER_MILLE)).  No image at all is
 *    CH_CHECK_PDF_NO_IMAGE.
 *
 * What ch_pdf_check does not apply, and ch_file_check must, on an OK: the
 * resolution rule (CH_IMAGE_MIN_SHORT / CH_IMAGE_MIN_LONG on info->width
 * and info->height) and the colour rule (info->color, not a recount of
 * colored_per_mille, when color_required); the pixel limits on
 * info->width and info->height hold already, checking them again is
 * harmless.  Any other result is final.
 *
 * Bounds: PDF_MAX_OBJECTS objects in all (file and object streams),
 * PDF_MAX_XREF_ENTRIES in-use xref entries, containers nested at most
 * PDF_MAX_DEPTH deep, any one inflated stream at most PDF_MAX_INFLATE
 * bytes, and all inflated streams together at most PDF_INFLATE_BASE +
 * PDF_INFLATE_RATIO times the file's size, and never more than
 * PDF_MAX_INFLATE_TOTAL (beyond any of these: MALFORMED).  Parsing
 * inflated structure costs about 9 ms a MiB, so a small file must not
 * buy 64 MiB of it (a 78 KB file of five object streams would cost 0.7 s
 * of a thread); a scan's structure is tiny next to its images, so the
 * budget is generous for real files.  Time is thus linear in the input,
 * plus an n log n sort of the objects, the libjpeg decoding of each
 * JPEG and the OpenJPEG decoding of each JPEG 2000 (both at 1/8 scale).
 *
 * info->detail says why, in English, for the log: "pdf: /JavaScript in
 * object 12", "pdf: startxref 9999 outside the file".
 */


#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_filecheck.h"
#include "ch_filecheck_int.h"
#include "ch_pdf_int.h"


ch_check_e
pdf_fail(pdf_t *pdf, ch_check_e rc, const char *fmt, ...)
{
    va_list  ap;
    char    *d = pdf->info->detail;
    size_t   size = sizeof(pdf->info->detail);

    memcpy(d, "pdf: ", 5);
    va_start(ap, fmt);
    vsnprintf(d + 5, size - 5, fmt, ap);
    va_end(ap);

    return rc;
}


ch_check_e
pdf_nomem(pdf_t *pdf)
{
    return pdf_fail(pdf, CH_CHECK_NO_MEMORY, "out of memory");
}


/* makes room for one more element in *arr */
int
pdf_grow(void **arr, size_t *cap, size_t n, size_t size)
{
    void    *a;
    size_t   c;

    if (n < *cap) {
        return 0;
    }

    c = *cap ? *cap * 2 : 64;
    a = realloc(*arr, c * size);
    if (a == NULL) {
        return -1;
    }

    *arr = a;
    *cap = c;

    return 0;
}


/* --- images ------------------------------------------------------------------ */

/* CS_GRAY, CS_COLOR or CS_UNKNOWN */
static int
pdf_cs_resolve(pdf_t *pdf, pdf_cs_t cs, int depth)
{
    pdf_cs_t    base;
    pdf_obj_t  *o;
    long        k;

    if (depth >= PDF_CS_DEPTH) {
        return CS_UNKNOWN;
    }

    switch (cs.kind) {

    case CS_REF:
        k = pdf_lookup(pdf, cs.ref);
        if (k < 0 || (pdf->objs[k].flags & F_STREAM)) {
            return CS_UNKNOWN;
        }
        return pdf_cs_resolve(pdf, pdf->objs[k].cs, depth + 1);

    case CS_ICC:
        k = pdf_lookup(pdf, cs.ref);
        if (k < 0 || !(pdf->objs[k].flags & F_STREAM)) {
            return CS_UNKNOWN;
        }
        o = &pdf->objs[k];
        if (o->icc_n == 3 || o->icc_n == 4) {
            return CS_COLOR;
        }
        if (o->icc_n == 1) {
            return CS_GRAY;
        }
        return pdf_cs_resolve(pdf, o->cs, depth + 1);

    case CS_INDEXED:
        memset(&base, 0, sizeof(base));
        base.kind = cs.base_kind;
        base.ref = cs.base_ref;
        return pdf_cs_resolve(pdf, base, depth + 1);

    default:
        return cs.kind;
    }
}


ch_check_e
pdf_jpeg(pdf_t *pdf, unsigned num, const unsigned char *d, size_t len,
    unsigned how, ch_file_info_t *ji)
{
    ch_check_e  rc;

    while (len > 0 && pdf_ws(d[len - 1])) {
        len--;
    }

    /* Ghostscript's doubled EOI (FF D9 FF D9) is one, as in an upload */
    rc = ch_jpeg_check_pdf(d, len, how, ji);

    switch (rc) {
    case CH_CHECK_OK:
    case CH_CHECK_NOT_COLOR:
    case CH_CHECK_LOW_RESOLUTION:
        return CH_CHECK_OK;
    case CH_CHECK_TOO_MANY_PIXELS:
    case CH_CHECK_UNSUPPORTED:
    case CH_CHECK_NO_MEMORY:
        return pdf_fail(pdf, rc, "image %u: %s", num, ji->detail);
    default:
        return pdf_fail(pdf, CH_CHECK_DAMAGED, "image %u: damaged JPEG (%s)",
                        num, ji->detail[0] ? ji->detail : "not a JPEG");
    }
}


static ch_check_e
pdf_images(pdf_t *pdf)
{
    ch_file_info_t    *info = pdf->info, ji;
    ch_color_count_t   cc;
    pdf_image_t       *im;
    pdf_obj_t         *o;
    uint64_t           px, best = 0, decoded = 0;
    size_t             i, count = 0;
    unsigned           w, h;
    ch_check_e         rc;
    long               k;
    int                space, got;

    /* the last definitions only; masks of other images are no scans */
    for (i = 0; i < pdf->nimgs; i++) {
        im = &pdf->imgs[i];
        if (pdf_lookup(pdf, pdf->objs[im->obj].num) != (long) im->obj) {
            im->mask = 1;
            continue;
        }
        if (im->smask && (k = pdf_lookup(pdf, im->smask)) >= 0) {
            pdf->objs[k].flags |= F_MASK;
        }
        if (im->maskref && (k = pdf_lookup(pdf, im->maskref)) >= 0) {
            pdf->objs[k].flags |= F_MASK;
        }
    }

    for (i = 0; i < pdf->nimgs; i++) {
        im = &pdf->imgs[i];
        if (im->mask || (pdf->objs[im->obj].flags & F_MASK)) {
            continue;
        }
        count++;
        if (im->width > CH_IMAGE_MAX_SIDE || im->height > CH_IMAGE_MAX_SIDE
            || (uint64_t) im->width * (uint64_t) im->height
               > CH_IMAGE_MAX_PIXELS)
        {
            info->width = im->width > CH_IMAGE_MAX_SIDE * 100
                          ? CH_IMAGE_MAX_SIDE * 100 : (unsigned) im->width;
            info->height = im->height > CH_IMAGE_MAX_SIDE * 100
                           ? CH_IMAGE_MAX_SIDE * 100 : (unsigned) im->height;
            return pdf_fail(pdf, CH_CHECK_TOO_MANY_PIXELS,
                            "image %u is %lld x %lld pixels",
                            (unsigned) pdf->objs[im->obj].num,
                            (long long) im->width, (long long) im->height);
        }
    }

    if (count == 0) {
        return pdf_fail(pdf, CH_CHECK_PDF_NO_IMAGE, "no image");
    }

    /* every image's pixels counted, so each weighs by its pixel count */
    memset(&cc, 0, sizeof(cc));

    for (i = 0; i < pdf->nimgs; i++) {
        im = &pdf->imgs[i];
        o = &pdf->objs[im->obj];
        if (im->mask || (o->flags & F_MASK)) {
            continue;
        }

        space = pdf_cs_resolve(pdf, im->cs, 0);
        w = (unsigned) im->width;
        h = (unsigned) im->height;
        px = (uint64_t) w * h;

        decoded += px;
        if (decoded > PDF_MAX_IMAGE_PIXELS) {
            return pdf_fail(pdf, CH_CHECK_TOO_MANY_PIXELS,
                            "the images hold more than %u pixels in all",
                            (unsigned) PDF_MAX_IMAGE_PIXELS);
        }

        if (im->own) {
            /*
             * an inline image: read when it was found (its dictionary is
             * in content decoded then), a JPEG's pixels and size included
             */
            rc = CH_CHECK_OK;
            got = im->counted ? PDF_IMG_COUNTED : PDF_IMG_UNDECODED;
            cc.pixels += im->cc.pixels;
            cc.colored += im->cc.colored;
        } else {
            rc = pdf_image_count(pdf, im, &cc, &ji, &got);
        }
        if (rc != CH_CHECK_OK) {
            return rc;
        }

        if (got == PDF_IMG_JPEG) {
            w = ji.width;
            h = ji.height;
            px = (uint64_t) w * h;
            cc.pixels += px;
            if (space != CS_GRAY) {
                cc.colored += px * ji.colored_per_mille / 1000;
            }

        } else if (got == PDF_IMG_UNDECODED) {
            /* not decoded here: by its colour space */
            cc.pixels += px;
            cc.colored += space == CS_COLOR ? px : 0;
        }

        if (px > best) {
            best = px;
            info->width = w;
            info->height = h;
        }
    }

    ch_color_verdict(&cc, info);

    return CH_CHECK_OK;
}


static void
pdf_pages(pdf_t *pdf)
{
    size_t  i;

    for (i = 0; i < pdf->nobjs; i++) {
        if ((pdf->objs[i].flags & F_PAGE)
            && pdf_lookup(pdf, pdf->objs[i].num) == (long) i
            && pdf->info->pages < (unsigned) -1)
        {
            pdf->info->pages++;
        }
    }
}


/* --- the check ----------------------------------------------------------- */

ch_check_e
ch_pdf_check(const unsigned char *p, size_t n, ch_file_info_t *info)
{
    ch_check_e   rc;
    pdf_t       *pdf;
    size_t       i;

    memset(info, 0, sizeof(*info));
    info->type = CH_FILE_PDF;

    pdf = calloc(1, sizeof(pdf_t));
    if (pdf == NULL) {
        snprintf(info->detail, sizeof(info->detail), "pdf: out of memory");
        return CH_CHECK_NO_MEMORY;
    }

    pdf->p = p;
    pdf->n = n;
    pdf->info = info;

    rc = pdf_frame(pdf);

    if (rc == CH_CHECK_OK) {
        rc = pdf_walk(pdf);
    }

    if (rc == CH_CHECK_OK) {
        pdf->ntop = pdf->nobjs;
        rc = pdf_targets(pdf);
    }

    for (i = 0; rc == CH_CHECK_OK && i < pdf->nstms; i++) {
        rc = pdf_objstm(pdf, &pdf->stms[i]);
    }

    if (rc == CH_CHECK_OK) {
        rc = pdf_index(pdf);
    }

    if (rc == CH_CHECK_OK) {
        rc = pdf_xrefs(pdf);
    }

    if (rc == CH_CHECK_OK) {
        rc = pdf_inline_images(pdf);
    }

    if (rc == CH_CHECK_OK) {
        pdf_pages(pdf);
        rc = pdf_images(pdf);
    }

    if (rc == CH_CHECK_OK) {
        info->detail[0] = '\0';
    }

    free(pdf->objs);
    for (i = 0; i < pdf->nimgs; i++) {
        free(pdf->imgs[i].own);
    }
    free(pdf->imgs);
    free(pdf->stms);
    free(pdf->xstms);
    free(pdf->xents);
    free(pdf->xtabs);
    free(pdf->prevs);
    free(pdf->idx);
    free(pdf->crefs);
    free(pdf->sorted);
    free(pdf);

    return rc;
}
