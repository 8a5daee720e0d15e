/*
 * ch_pdf_check: the PDF checker of uploaded scans (the "PDF." paragraph of
 * ch_filecheck.h is the specification).  The input is untrusted: every
 * loop is bounded by the input or by a constant below, nothing recurses
 * deeper than a constant, and all state lives in one allocation per call
 * (thread-safe: it runs in nginx's thread pool).
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
 *    deleted objects so), and every compressed entry (type 2) must name a
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
 *    embedded file too), is CH_CHECK_PDF_ACTIVE.  Names are case
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
 *    update replaces objects).  Inline images (BI .. ID .. EI in page
 *    content) are not counted.  /Width and /Height must be direct
 *    positive integers (else MALFORMED).  An image over CH_IMAGE_MAX_SIDE
 *    or CH_IMAGE_MAX_PIXELS is CH_CHECK_TOO_MANY_PIXELS before anything
 *    is decoded.
 *
 *    An image whose /Filter is /DCTDecode (or [/DCTDecode]) is a JPEG: its
 *    stream bytes (trailing white space trimmed: writers' line ends) go
 *    through ch_jpeg_check.  Damaged, trailing data after its EOI, or no
 *    JPEG at all is CH_CHECK_DAMAGED; CH_CHECK_TOO_MANY_PIXELS,
 *    CH_CHECK_UNSUPPORTED and CH_CHECK_NO_MEMORY are passed on.  The
 *    JPEG's own size (not the dictionary's) is the image's size, and its
 *    pixel verdict its colour, unless its colour space says grey
 *    (/DeviceGray, /CalGray, an ICC profile with /N 1, an /Indexed over
 *    those): a viewer shows such an image grey.  Any other filter (a
 *    filter chain ending in /DCTDecode too) is counted by its colour
 *    space, undecoded: /DeviceRGB /DeviceCMYK /CalRGB /Lab (and the
 *    inline abbreviations /RGB /CMYK) are colour; /DeviceGray /CalGray
 *    /G grey; /ICCBased by its stream's /N (3 or 4 colour, 1 grey; without
 *    /N its /Alternate; unresolvable: grey); /Indexed by its base;
 *    /Separation, /DeviceN, a missing colour space (JPX) and anything
 *    unresolvable are grey.  Colour spaces are followed through indirect
 *    references to a depth of PDF_CS_DEPTH.
 *
 *    info: pages = the number of objects (their last definitions) with
 *    /Type /Page; width, height = the largest image's (by pixels);
 *    colored_per_mille = the highest among the images: a JPEG's measured
 *    value (0 when its colour space vetoes it), 1000 for an image that is
 *    colour by its colour space, 0 for a grey one; color = some image is
 *    colour (so color == (colored_per_mille >= CH_COLOR_MIN_PER_MILLE)).
 *    No image at all is CH_CHECK_PDF_NO_IMAGE.
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
 * plus an n log n sort of the objects and the libjpeg decoding of each
 * JPEG.
 *
 * info->detail says why, in English, for the log: "pdf: /JavaScript in
 * object 12", "pdf: startxref 9999 outside the file".
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memmem */
#endif

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ch_base64.h"
#include "ch_filecheck.h"


#define PDF_MAX_OBJECTS        100000
#define PDF_MAX_XREF_ENTRIES   400000
#define PDF_MAX_DEPTH          32
#define PDF_MAX_INFLATE        (16u << 20)
#define PDF_MAX_INFLATE_TOTAL  (64u << 20)
#define PDF_INFLATE_BASE       (4u << 20)
#define PDF_INFLATE_RATIO      8
#define PDF_EOF_WINDOW         1024
#define PDF_EOF_SLACK          16
#define PDF_NAME_MAX           127
#define PDF_CAPTURE_MAX        4096
#define PDF_CS_DEPTH           8
#define PDF_MAX_OBJNUM         8388607
#define PDF_MAX_GEN            65535
#define PDF_INT_BIG            ((int64_t) 1 << 53)


/* --- names ---------------------------------------------------------------- */

/* the slots of a top-level dictionary whose values are kept (captured) */
enum {
    S_TYPE, S_SUBTYPE, S_WIDTH, S_HEIGHT, S_FILTER, S_DECODEPARMS,
    S_COLORSPACE, S_IMAGEMASK, S_LENGTH, S_N, S_ALTERNATE, S_ENCRYPT, S_W,
    S_INDEX, S_SIZE, S_PREV, S_XREFSTM, S_FIRST, S_SMASK, S_MASK,
    S_SELF,                 /* the object's value when it is no dictionary */
    S_COUNT
};

enum {
    N_OTHER = 0,
    /* keys */
    N_Type, N_Subtype, N_Width, N_Height, N_Filter, N_DecodeParms,
    N_ColorSpace, N_ImageMask, N_Length, N_N, N_Alternate, N_Encrypt, N_W,
    N_Index, N_Size, N_Prev, N_XRefStm, N_First, N_SMask, N_Mask,
    /* values */
    N_Page, N_Image, N_ObjStm, N_XRef, N_DCTDecode, N_DCT, N_FlateDecode,
    N_Fl, N_DeviceRGB, N_RGB, N_DeviceCMYK, N_CMYK, N_DeviceGray, N_G,
    N_CalRGB, N_CalGray, N_Lab, N_ICCBased, N_Indexed, N_I, N_Predictor,
    N_Colors, N_BitsPerComponent, N_Columns,
    /* active content */
    N_JavaScript, N_JS, N_Launch, N_EmbeddedFile, N_EmbeddedFiles,
    N_RichMedia, N_SubmitForm, N_ImportData, N_GoToE, N_XFA, N_EF,
    N_FileAttachment,
    N_COUNT
};

typedef struct {
    const char     *s;
    unsigned char   len;
    signed char     slot;       /* S_* when captured as a key, else -1 */
    unsigned char   active;
} pdf_name_t;

#define PN(id, str, slot, act)  [id] = { str, sizeof(str) - 1, slot, act }

static const pdf_name_t  pdf_names[N_COUNT] = {
    PN(N_OTHER, "", -1, 0),
    PN(N_Type, "Type", S_TYPE, 0),
    PN(N_Subtype, "Subtype", S_SUBTYPE, 0),
    PN(N_Width, "Width", S_WIDTH, 0),
    PN(N_Height, "Height", S_HEIGHT, 0),
    PN(N_Filter, "Filter", S_FILTER, 0),
    PN(N_DecodeParms, "DecodeParms", S_DECODEPARMS, 0),
    PN(N_ColorSpace, "ColorSpace", S_COLORSPACE, 0),
    PN(N_ImageMask, "ImageMask", S_IMAGEMASK, 0),
    PN(N_Length, "Length", S_LENGTH, 0),
    PN(N_N, "N", S_N, 0),
    PN(N_Alternate, "Alternate", S_ALTERNATE, 0),
    PN(N_Encrypt, "Encrypt", S_ENCRYPT, 0),
    PN(N_W, "W", S_W, 0),
    PN(N_Index, "Index", S_INDEX, 0),
    PN(N_Size, "Size", S_SIZE, 0),
    PN(N_Prev, "Prev", S_PREV, 0),
    PN(N_XRefStm, "XRefStm", S_XREFSTM, 0),
    PN(N_First, "First", S_FIRST, 0),
    PN(N_SMask, "SMask", S_SMASK, 0),
    PN(N_Mask, "Mask", S_MASK, 0),
    PN(N_Page, "Page", -1, 0),
    PN(N_Image, "Image", -1, 0),
    PN(N_ObjStm, "ObjStm", -1, 0),
    PN(N_XRef, "XRef", -1, 0),
    PN(N_DCTDecode, "DCTDecode", -1, 0),
    PN(N_DCT, "DCT", -1, 0),
    PN(N_FlateDecode, "FlateDecode", -1, 0),
    PN(N_Fl, "Fl", -1, 0),
    PN(N_DeviceRGB, "DeviceRGB", -1, 0),
    PN(N_RGB, "RGB", -1, 0),
    PN(N_DeviceCMYK, "DeviceCMYK", -1, 0),
    PN(N_CMYK, "CMYK", -1, 0),
    PN(N_DeviceGray, "DeviceGray", -1, 0),
    PN(N_G, "G", -1, 0),
    PN(N_CalRGB, "CalRGB", -1, 0),
    PN(N_CalGray, "CalGray", -1, 0),
    PN(N_Lab, "Lab", -1, 0),
    PN(N_ICCBased, "ICCBased", -1, 0),
    PN(N_Indexed, "Indexed", -1, 0),
    PN(N_I, "I", -1, 0),
    PN(N_Predictor, "Predictor", -1, 0),
    PN(N_Colors, "Colors", -1, 0),
    PN(N_BitsPerComponent, "BitsPerComponent", -1, 0),
    PN(N_Columns, "Columns", -1, 0),
    PN(N_JavaScript, "JavaScript", -1, 1),
    PN(N_JS, "JS", -1, 1),
    PN(N_Launch, "Launch", -1, 1),
    PN(N_EmbeddedFile, "EmbeddedFile", -1, 1),
    PN(N_EmbeddedFiles, "EmbeddedFiles", -1, 1),
    PN(N_RichMedia, "RichMedia", -1, 1),
    PN(N_SubmitForm, "SubmitForm", -1, 1),
    PN(N_ImportData, "ImportData", -1, 1),
    PN(N_GoToE, "GoToE", -1, 1),
    PN(N_XFA, "XFA", -1, 1),
    PN(N_EF, "EF", -1, 1),
    PN(N_FileAttachment, "FileAttachment", -1, 1),
};


static int
pdf_name_id(const unsigned char *s, size_t len)
{
    int  i;

    for (i = 1; i < N_COUNT; i++) {
        if (pdf_names[i].len == len && pdf_names[i].s[0] == (char) s[0]
            && memcmp(pdf_names[i].s, s, len) == 0)
        {
            return i;
        }
    }

    return N_OTHER;
}


/* --- tokens ---------------------------------------------------------------- */

typedef enum {
    T_EOF, T_ERROR, T_INT, T_REAL, T_NAME, T_STRING, T_HEX, T_ARR_OPEN,
    T_ARR_CLOSE, T_DICT_OPEN, T_DICT_CLOSE, T_KW,
    T_REF,                  /* "N G R", combined */
    T_OBJ                   /* "N G obj", combined */
} tok_type_e;

typedef enum {
    KW_OTHER, KW_TRUE, KW_FALSE, KW_NULL, KW_R, KW_OBJ, KW_ENDOBJ, KW_STREAM,
    KW_ENDSTREAM, KW_XREF, KW_TRAILER, KW_STARTXREF, KW_N, KW_F
} kw_e;

static const struct {
    const char  *s;
    size_t       len;
} pdf_keywords[] = {
    [KW_OTHER] = { "", 0 },
    [KW_TRUE] = { "true", 4 },
    [KW_FALSE] = { "false", 5 },
    [KW_NULL] = { "null", 4 },
    [KW_R] = { "R", 1 },
    [KW_OBJ] = { "obj", 3 },
    [KW_ENDOBJ] = { "endobj", 6 },
    [KW_STREAM] = { "stream", 6 },
    [KW_ENDSTREAM] = { "endstream", 9 },
    [KW_XREF] = { "xref", 4 },
    [KW_TRAILER] = { "trailer", 7 },
    [KW_STARTXREF] = { "startxref", 9 },
    [KW_N] = { "n", 1 },
    [KW_F] = { "f", 1 },
};

typedef struct {
    tok_type_e   type;
    int          kw;            /* T_KW */
    int          name;          /* T_NAME: N_* */
    int          big;           /* T_INT: beyond PDF_INT_BIG (value clamped) */
    int64_t      v;             /* T_INT; T_REF, T_OBJ: the number */
    int64_t      gen;           /* T_REF, T_OBJ */
    size_t       start;
    size_t       end;
    const char  *err;           /* T_ERROR */
} tok_t;

typedef struct {
    const unsigned char  *p;
    size_t                n;
    size_t                pos;
    tok_t                 buf[2];       /* lexed ahead, not yet taken */
    int                   nbuf;
} lex_t;


/* the character classes of PDF: 1 white space, 2 delimiter, 0 regular */
static const unsigned char  pdf_class[256] = {
    ['\0'] = 1, ['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1,
    ['('] = 2, [')'] = 2, ['<'] = 2, ['>'] = 2, ['['] = 2, [']'] = 2,
    ['{'] = 2, ['}'] = 2, ['/'] = 2, ['%'] = 2,
};

#define pdf_ws(c)       (pdf_class[(unsigned char) (c)] == 1)
#define pdf_delim(c)    (pdf_class[(unsigned char) (c)] == 2)
#define pdf_regular(c)  (pdf_class[(unsigned char) (c)] == 0)


static void
lex_init(lex_t *lx, const unsigned char *p, size_t n, size_t pos)
{
    /* the look-ahead too: gcc -O2 cannot tell nbuf guards it */
    memset(lx, 0, sizeof(*lx));
    lx->p = p;
    lx->n = n;
    lx->pos = pos;
    lx->nbuf = 0;
}


static void
lex_seek(lex_t *lx, size_t pos)
{
    lx->pos = pos;
    lx->nbuf = 0;
}


/* skips white space and comments from pos */
static size_t
lex_skip(const unsigned char *p, size_t n, size_t pos)
{
    while (pos < n) {
        if (pdf_ws(p[pos])) {
            pos++;

        } else if (p[pos] == '%') {
            while (pos < n && p[pos] != '\r' && p[pos] != '\n') {
                pos++;
            }

        } else {
            break;
        }
    }

    return pos;
}


static void
lex_raw(lex_t *lx, tok_t *t)
{
    const unsigned char  *p = lx->p;
    size_t                n = lx->n, pos, depth, s, len, i;
    unsigned char         c, name[PDF_NAME_MAX + 1];
    int                   hi, lo, digits, dots, k;

    memset(t, 0, sizeof(*t));

    pos = lex_skip(p, n, lx->pos);
    t->start = pos;

    if (pos >= n) {
        t->type = T_EOF;
        t->end = pos;
        lx->pos = pos;
        return;
    }

    c = p[pos];

    switch (c) {

    case '(':
        depth = 1;
        pos++;
        while (pos < n) {
            c = p[pos++];
            if (c == '\\') {
                if (pos < n) {
                    pos++;
                }
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                break;
            }
        }
        if (depth != 0) {
            t->type = T_ERROR;
            t->err = "unterminated string";
            break;
        }
        t->type = T_STRING;
        break;

    case '<':
        if (pos + 1 < n && p[pos + 1] == '<') {
            t->type = T_DICT_OPEN;
            pos += 2;
            break;
        }
        pos++;
        while (pos < n && p[pos] != '>') {
            if (ch_hex_value(p[pos]) < 0 && !pdf_ws(p[pos])) {
                break;
            }
            pos++;
        }
        if (pos >= n || p[pos] != '>') {
            t->type = T_ERROR;
            t->err = "bad hex string";
            break;
        }
        pos++;
        t->type = T_HEX;
        break;

    case '>':
        if (pos + 1 < n && p[pos + 1] == '>') {
            t->type = T_DICT_CLOSE;
            pos += 2;
            break;
        }
        t->type = T_ERROR;
        t->err = "stray '>'";
        break;

    case '[':
        t->type = T_ARR_OPEN;
        pos++;
        break;

    case ']':
        t->type = T_ARR_CLOSE;
        pos++;
        break;

    case '/':
        pos++;
        len = 0;
        t->type = T_NAME;
        while (pos < n && pdf_regular(p[pos])) {
            c = p[pos++];
            if (c == '#') {
                hi = pos < n ? ch_hex_value(p[pos]) : -1;
                lo = pos + 1 < n ? ch_hex_value(p[pos + 1]) : -1;
                if (hi < 0 || lo < 0 || (hi | lo) == 0) {
                    t->type = T_ERROR;
                    t->err = "bad # escape in a name";
                    break;
                }
                c = (unsigned char) (hi << 4 | lo);
                pos += 2;
            }
            if (len < sizeof(name)) {
                name[len] = c;
            }
            len++;
        }
        if (t->type == T_NAME) {
            t->name = (len == 0 || len > PDF_NAME_MAX)
                      ? N_OTHER : pdf_name_id(name, len);
        }
        break;

    case ')':
    case '{':
    case '}':
        t->type = T_ERROR;
        t->err = c == ')' ? "stray ')'" : "braces outside a stream";
        break;

    default:
        s = pos;
        while (pos < n && pdf_regular(p[pos])) {
            pos++;
        }
        len = pos - s;

        /* a number: [+-] digits [. digits], or [+-] . digits */
        i = 0;
        if (p[s] == '+' || p[s] == '-') {
            i = 1;
        }
        digits = 0;
        dots = 0;
        for ( /* void */ ; i < len; i++) {
            if (p[s + i] >= '0' && p[s + i] <= '9') {
                digits++;
            } else if (p[s + i] == '.' && dots == 0) {
                dots++;
            } else {
                break;
            }
        }

        if (i == len && digits > 0) {
            if (dots) {
                t->type = T_REAL;
                break;
            }
            t->type = T_INT;
            for (i = (p[s] == '+' || p[s] == '-'); i < len; i++) {
                if (t->v >= PDF_INT_BIG) {
                    t->big = 1;
                    continue;
                }
                t->v = t->v * 10 + (p[s + i] - '0');
            }
            if (p[s] == '-') {
                t->v = -t->v;
            }
            break;
        }

        t->type = T_KW;
        t->kw = KW_OTHER;
        for (k = KW_TRUE; k <= KW_F; k++) {
            if (pdf_keywords[k].len == len
                && memcmp(pdf_keywords[k].s, p + s, len) == 0)
            {
                t->kw = k;
                break;
            }
        }
        break;
    }

    if (t->type == T_ERROR) {
        /* an error ends the lexing: the parser gives up at once */
        pos = n;
    }

    t->end = pos;
    lx->pos = pos;
}


static void
lex_get(lex_t *lx, tok_t *t)
{
    if (lx->nbuf > 0) {
        *t = lx->buf[0];
        lx->buf[0] = lx->buf[1];
        lx->nbuf--;
        return;
    }

    lex_raw(lx, t);
}


static const tok_t *
lex_peek(lex_t *lx, int k)
{
    while (lx->nbuf <= k) {
        lex_raw(lx, &lx->buf[lx->nbuf]);
        lx->nbuf++;
    }

    return &lx->buf[k];
}


/* the next token, with "N G R" and "N G obj" made one */
static void
tok_next(lex_t *lx, tok_t *t)
{
    const tok_t  *a, *b;

    lex_get(lx, t);

    if (t->type != T_INT) {
        return;
    }

    a = lex_peek(lx, 0);
    if (a->type != T_INT) {
        return;
    }

    b = lex_peek(lx, 1);
    if (b->type != T_KW || (b->kw != KW_R && b->kw != KW_OBJ)) {
        return;
    }

    t->type = b->kw == KW_R ? T_REF : T_OBJ;
    t->gen = a->big ? PDF_INT_BIG : a->v;
    t->end = b->end;
    if (t->big) {
        t->v = PDF_INT_BIG;
    }
    lx->nbuf = 0;
}


/* --- the state of one check ------------------------------------------------ */

typedef struct {
    unsigned char   type;       /* tok_type_e */
    unsigned char   kw;
    unsigned short  name;
    int64_t         v;
    int64_t         gen;
} ctok_t;

typedef struct {
    int       present;
    int       overflow;
    uint32_t  begin;
    uint32_t  end;
} slot_t;

/* a colour space, as far as it is known without looking anything up */
enum { CS_UNKNOWN, CS_GRAY, CS_COLOR, CS_REF, CS_ICC, CS_INDEXED };

typedef struct {
    unsigned char  kind;
    unsigned char  base_kind;   /* CS_INDEXED: its base (never INDEXED) */
    uint32_t       ref;
    uint32_t       base_ref;
} pdf_cs_t;

#define F_STREAM     0x01
#define F_PAGE       0x02
#define F_IMAGE      0x04
#define F_OBJSTM     0x08
#define F_XREF       0x10
#define F_MEMBER     0x20       /* inside an object stream */
#define F_MASK       0x40       /* the /SMask or /Mask of an image */

typedef struct {
    size_t     pos;         /* "N G obj"; a member: its object stream's */
    uint32_t   num;
    uint32_t   seq;
    uint16_t   gen;
    uint16_t   flags;
    int32_t    icc_n;       /* a stream's /N, or -1 */
    uint32_t   stm;         /* an object stream: its index in stms + 1 */
    pdf_cs_t   cs;          /* the value as a colour space; a stream: its
                               /Alternate */
} pdf_obj_t;

typedef struct {
    uint32_t   obj;         /* index into objs */
    int64_t    width;
    int64_t    height;
    int        dct;
    int        mask;        /* /ImageMask true */
    pdf_cs_t   cs;
    size_t     data;
    size_t     len;
    uint32_t   smask;       /* referenced object numbers, or 0 */
    uint32_t   maskref;
} pdf_image_t;

enum { FILT_NONE, FILT_FLATE, FILT_DCT, FILT_OTHER };

typedef struct {
    int  predictor;
    int  colors;
    int  bpc;
    int  columns;
} pdf_pred_t;

typedef struct {
    uint32_t    obj;
    size_t      data;
    size_t      len;
    int         filter;
    pdf_pred_t  pred;
    int64_t     n;          /* objects */
    int64_t     first;
    uint32_t    members;    /* index of its first member in objs */
    uint32_t    nmembers;
} pdf_objstm_t;

typedef struct {
    uint32_t    obj;
    size_t      data;
    size_t      len;
    int         filter;
    pdf_pred_t  pred;
    int         w[3];
    size_t      index;      /* into idx: pairs of (first, count) */
    size_t      nindex;
} pdf_xstm_t;

typedef struct {
    uint32_t  num;
    uint16_t  gen;
    size_t    off;
} pdf_xent_t;

typedef struct {
    int64_t   off;
    int       what;         /* 1 "/Prev", 2 "/XRefStm" */
} pdf_prev_t;

typedef struct {
    const unsigned char  *p;
    size_t                n;
    ch_file_info_t       *info;

    pdf_obj_t            *objs;
    size_t                nobjs, cobjs, ntop;
    pdf_image_t          *imgs;
    size_t                nimgs, cimgs;
    pdf_objstm_t         *stms;
    size_t                nstms, cstms;
    pdf_xstm_t           *xstms;
    size_t                nxstms, cxstms;
    pdf_xent_t           *xents;
    size_t                nxents, cxents;
    size_t               *xtabs;
    size_t                nxtabs, cxtabs;
    pdf_prev_t           *prevs;
    size_t                nprevs, cprevs;
    int64_t              *idx;
    size_t                nidx, cidx;
    uint32_t             *sorted;      /* objs by (num, pos, seq) */

    size_t                inflated;    /* in all */
    int64_t               startxref;

    /* the value being parsed */
    slot_t                slots[S_COUNT];
    int                   is_dict;
    size_t                vend;        /* where its last token ended */
    ctok_t                cap[PDF_CAPTURE_MAX];
    size_t                ncap;

    char                  where[64];   /* "object 12" for messages */
} pdf_t;


static ch_check_e
pdf_fail(pdf_t *pdf, ch_check_e rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__ ((format (printf, 3, 4)))
#endif
    ;

static ch_check_e
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


static ch_check_e
pdf_nomem(pdf_t *pdf)
{
    return pdf_fail(pdf, CH_CHECK_NO_MEMORY, "out of memory");
}


/* makes room for one more element in *arr */
static int
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


/* --- values ---------------------------------------------------------------- */

static void
pdf_capture(pdf_t *pdf, const tok_t *t, int slot)
{
    ctok_t  *c;

    if (pdf->ncap >= PDF_CAPTURE_MAX) {
        pdf->slots[slot].overflow = 1;
        return;
    }

    c = &pdf->cap[pdf->ncap++];
    c->type = (unsigned char) t->type;
    c->kw = (unsigned char) t->kw;
    c->name = (unsigned short) t->name;
    c->v = t->v;
    c->gen = t->gen;
}


/*
 * Parses one value from lx (a container with everything in it), checking
 * its syntax and its names; keeps the values of the keys of interest of a
 * top-level dictionary, and the value itself when it is no dictionary.
 */
static ch_check_e
pdf_value(pdf_t *pdf, lex_t *lx)
{
    struct {
        unsigned char  dict;
        unsigned char  want_key;
        int            key;
    }         stack[PDF_MAX_DEPTH], *f;
    int       depth = 0, slot = -1, cap_depth = 0, open, close;
    tok_t     t;

    memset(pdf->slots, 0, sizeof(pdf->slots));
    pdf->ncap = 0;
    pdf->is_dict = 0;

    for ( ;; ) {
        tok_next(lx, &t);

        switch (t.type) {
        case T_ERROR:
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "%s at %zu in %s",
                            t.err, t.start, pdf->where);
        case T_EOF:
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "%s ends unfinished", pdf->where);
        case T_OBJ:
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "\"obj\" at %zu inside %s", t.start, pdf->where);
        case T_KW:
            if (t.kw != KW_TRUE && t.kw != KW_FALSE && t.kw != KW_NULL) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "unexpected keyword at %zu in %s", t.start,
                                pdf->where);
            }
            break;
        case T_REF:
            if (t.v < 0 || t.gen < 0 || t.v > PDF_MAX_OBJNUM
                || t.gen > PDF_MAX_GEN)
            {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "bad reference at %zu in %s", t.start,
                                pdf->where);
            }
            break;
        case T_NAME:
            if (pdf_names[t.name].active) {
                return pdf_fail(pdf, CH_CHECK_PDF_ACTIVE, "/%s in %s",
                                pdf_names[t.name].s, pdf->where);
            }
            break;
        default:
            break;
        }

        pdf->vend = t.end;
        f = depth ? &stack[depth - 1] : NULL;
        close = t.type == T_ARR_CLOSE || t.type == T_DICT_CLOSE;
        open = t.type == T_ARR_OPEN || t.type == T_DICT_OPEN;

        if (close) {
            if (f == NULL || f->dict != (t.type == T_DICT_CLOSE)) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "unbalanced %s at %zu in %s",
                                t.type == T_DICT_CLOSE ? "\">>\"" : "\"]\"",
                                t.start, pdf->where);
            }
            if (f->dict && !f->want_key) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "a key without a value at %zu in %s",
                                t.start, pdf->where);
            }
            if (slot >= 0) {
                pdf_capture(pdf, &t, slot);
            }
            depth--;
            if (slot >= 0 && depth == cap_depth) {
                pdf->slots[slot].end = (uint32_t) pdf->ncap;
                slot = -1;
            }
            if (depth == 0) {
                return CH_CHECK_OK;
            }
            continue;
        }

        if (f != NULL && f->dict && f->want_key) {
            if (t.type != T_NAME) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "a dictionary key that is no name at %zu "
                                "in %s", t.start, pdf->where);
            }
            f->want_key = 0;
            f->key = t.name;
            if (slot >= 0) {
                pdf_capture(pdf, &t, slot);
            }
            continue;
        }

        if (f != NULL && f->dict) {
            f->want_key = 1;        /* this token is, or opens, the value */
        }

        if (slot < 0) {
            if (depth == 1 && f->dict && pdf_names[f->key].slot >= 0) {
                slot = pdf_names[f->key].slot;
                if (pdf->slots[slot].present) {
                    /* readers differ on which one counts */
                    return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                    "/%s twice in a dictionary of %s",
                                    pdf_names[f->key].s, pdf->where);
                }
            } else if (depth == 0 && t.type != T_DICT_OPEN) {
                slot = S_SELF;
            }
            if (slot >= 0) {
                cap_depth = depth;
                pdf->slots[slot].present = 1;
                pdf->slots[slot].overflow = 0;
                pdf->slots[slot].begin = (uint32_t) pdf->ncap;
            }
        }

        if (slot >= 0) {
            pdf_capture(pdf, &t, slot);
        }

        if (open) {
            if (depth == PDF_MAX_DEPTH) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "nested deeper than %d at %zu in %s",
                                PDF_MAX_DEPTH, t.start, pdf->where);
            }
            if (depth == 0 && t.type == T_DICT_OPEN) {
                pdf->is_dict = 1;
            }
            stack[depth].dict = t.type == T_DICT_OPEN;
            stack[depth].want_key = 1;
            stack[depth].key = N_OTHER;
            depth++;
            continue;
        }

        if (slot >= 0 && depth == cap_depth) {
            pdf->slots[slot].end = (uint32_t) pdf->ncap;
            slot = -1;
        }

        if (depth == 0) {
            return CH_CHECK_OK;
        }
    }
}


/* the captured value of a slot, when it is there whole */
static const ctok_t *
slot_get(pdf_t *pdf, int s, size_t *len)
{
    slot_t  *sl = &pdf->slots[s];

    if (!sl->present || sl->overflow || sl->end <= sl->begin) {
        return NULL;
    }

    *len = sl->end - sl->begin;
    return &pdf->cap[sl->begin];
}


/* 1 when the slot holds one direct integer, 0 when absent, -1 otherwise */
static int
slot_int(pdf_t *pdf, int s, int64_t *v)
{
    const ctok_t  *c;
    size_t         len;

    if (!pdf->slots[s].present) {
        return 0;
    }

    c = slot_get(pdf, s, &len);
    if (c == NULL || len != 1 || c->type != T_INT) {
        return -1;
    }

    *v = c->v;
    return 1;
}


static int
slot_name(pdf_t *pdf, int s)
{
    const ctok_t  *c;
    size_t         len;

    c = slot_get(pdf, s, &len);
    if (c == NULL || len != 1 || c->type != T_NAME) {
        return N_OTHER;
    }

    return c->name;
}


static uint32_t
slot_ref(pdf_t *pdf, int s)
{
    const ctok_t  *c;
    size_t         len;

    c = slot_get(pdf, s, &len);
    if (c == NULL || len != 1 || c->type != T_REF) {
        return 0;
    }

    return (uint32_t) c->v;
}


static int
pdf_filter_of(int name)
{
    switch (name) {
    case N_FlateDecode:
    case N_Fl:
        return FILT_FLATE;
    case N_DCTDecode:
    case N_DCT:
        return FILT_DCT;
    default:
        return FILT_OTHER;
    }
}


/* /Filter: none, one name, or an array of one name; a chain is "other" */
static int
slot_filter(pdf_t *pdf)
{
    const ctok_t  *c;
    size_t         len;

    if (!pdf->slots[S_FILTER].present) {
        return FILT_NONE;
    }

    c = slot_get(pdf, S_FILTER, &len);
    if (c == NULL) {
        return FILT_OTHER;
    }

    if (len == 1 && c[0].type == T_KW && c[0].kw == KW_NULL) {
        return FILT_NONE;
    }
    if (len == 1 && c[0].type == T_NAME) {
        return pdf_filter_of(c[0].name);
    }
    if (len == 2 && c[0].type == T_ARR_OPEN) {
        return FILT_NONE;
    }
    if (len == 3 && c[0].type == T_ARR_OPEN && c[1].type == T_NAME) {
        return pdf_filter_of(c[1].name);
    }

    return FILT_OTHER;
}


/* /DecodeParms << /Predictor .. >> or [<< .. >>]: the first dictionary */
static void
slot_pred(pdf_t *pdf, pdf_pred_t *pr)
{
    const ctok_t  *c;
    size_t         len, i;
    int            depth = 0, dicts = 0;

    pr->predictor = 1;
    pr->colors = 1;
    pr->bpc = 8;
    pr->columns = 1;

    c = slot_get(pdf, S_DECODEPARMS, &len);
    if (c == NULL) {
        if (pdf->slots[S_DECODEPARMS].present) {
            pr->predictor = -1;       /* there, but unreadable */
        }
        return;
    }

    for (i = 0; i < len; i++) {
        if (c[i].type == T_DICT_OPEN || c[i].type == T_ARR_OPEN) {
            depth++;
            if (c[i].type == T_DICT_OPEN) {
                dicts++;
            }
            continue;
        }
        if (c[i].type == T_DICT_CLOSE || c[i].type == T_ARR_CLOSE) {
            depth--;
            continue;
        }
        if (dicts != 1 || depth > 2 || c[i].type != T_NAME || i + 1 >= len
            || c[i + 1].type != T_INT)
        {
            continue;
        }
        if (c[i + 1].v < 0 || c[i + 1].v > 1 << 20) {
            pr->predictor = -1;
            return;
        }
        switch (c[i].name) {
        case N_Predictor:
            pr->predictor = (int) c[i + 1].v;
            break;
        case N_Colors:
            pr->colors = (int) c[i + 1].v;
            break;
        case N_BitsPerComponent:
            pr->bpc = (int) c[i + 1].v;
            break;
        case N_Columns:
            pr->columns = (int) c[i + 1].v;
            break;
        }
    }
}


static int
pdf_cs_family(int name)
{
    switch (name) {
    case N_DeviceRGB:
    case N_RGB:
    case N_DeviceCMYK:
    case N_CMYK:
    case N_CalRGB:
    case N_Lab:
        return CS_COLOR;
    case N_DeviceGray:
    case N_G:
    case N_CalGray:
        return CS_GRAY;
    default:
        return CS_UNKNOWN;
    }
}


/*
 * A colour space from tokens c[0 .. len - 1]: a name, a reference, or an
 * array; *used is how many tokens it took (one value).  An /Indexed base
 * is read one level down (a base is never /Indexed itself).
 */
static pdf_cs_t
pdf_cs_parse(const ctok_t *c, size_t len, size_t *used, int level)
{
    pdf_cs_t  cs, base;
    size_t    i, n, depth;

    memset(&cs, 0, sizeof(cs));
    *used = 1;

    if (len == 0) {
        *used = 0;
        return cs;
    }

    if (c[0].type == T_NAME) {
        cs.kind = (unsigned char) pdf_cs_family(c[0].name);
        return cs;
    }

    if (c[0].type == T_REF) {
        cs.kind = CS_REF;
        cs.ref = (uint32_t) c[0].v;
        return cs;
    }

    if (c[0].type != T_ARR_OPEN && c[0].type != T_DICT_OPEN) {
        return cs;
    }

    /* the extent of the container */
    depth = 0;
    for (i = 0; i < len; i++) {
        if (c[i].type == T_ARR_OPEN || c[i].type == T_DICT_OPEN) {
            depth++;
        } else if (c[i].type == T_ARR_CLOSE || c[i].type == T_DICT_CLOSE) {
            if (--depth == 0) {
                break;
            }
        }
    }
    *used = i < len ? i + 1 : len;
    n = *used;

    if (c[0].type != T_ARR_OPEN || n < 3 || c[1].type != T_NAME) {
        return cs;
    }

    switch (c[1].name) {
    case N_CalRGB:
    case N_Lab:
        cs.kind = CS_COLOR;
        break;
    case N_CalGray:
        cs.kind = CS_GRAY;
        break;
    case N_DeviceRGB:
    case N_DeviceCMYK:
    case N_DeviceGray:
        cs.kind = (unsigned char) pdf_cs_family(c[1].name);
        break;
    case N_ICCBased:
        if (c[2].type == T_REF) {
            cs.kind = CS_ICC;
            cs.ref = (uint32_t) c[2].v;
        }
        break;
    case N_Indexed:
    case N_I:
        if (level > 0) {
            break;
        }
        base = pdf_cs_parse(c + 2, n - 2, &i, level + 1);
        if (base.kind == CS_INDEXED) {
            break;
        }
        cs.kind = CS_INDEXED;
        cs.base_kind = base.kind;
        cs.base_ref = base.ref;
        break;
    default:
        break;                  /* Separation, DeviceN, Pattern: grey */
    }

    return cs;
}


static pdf_cs_t
slot_cs(pdf_t *pdf, int s)
{
    const ctok_t  *c;
    size_t         len, used;
    pdf_cs_t       cs;

    c = slot_get(pdf, s, &len);
    if (c == NULL) {
        memset(&cs, 0, sizeof(cs));
        return cs;
    }

    return pdf_cs_parse(c, len, &used, 0);
}


/* --- objects ----------------------------------------------------------------- */

static ch_check_e
pdf_add(pdf_t *pdf, uint32_t num, uint16_t gen, size_t pos, int member,
    size_t data, size_t dlen, int stream)
{
    pdf_obj_t     *o;
    pdf_image_t   *im;
    pdf_objstm_t  *st;
    pdf_xstm_t    *xs;
    const ctok_t  *c;
    size_t         len, i;
    int64_t        v;
    int            type, r;

    if (pdf->nobjs >= PDF_MAX_OBJECTS) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "more than %d objects",
                        PDF_MAX_OBJECTS);
    }
    if (pdf_grow((void **) &pdf->objs, &pdf->cobjs, pdf->nobjs,
                 sizeof(pdf_obj_t)))
    {
        return pdf_nomem(pdf);
    }

    o = &pdf->objs[pdf->nobjs];
    memset(o, 0, sizeof(*o));
    o->pos = pos;
    o->num = num;
    o->gen = gen;
    o->seq = (uint32_t) pdf->nobjs;
    o->icc_n = -1;
    o->flags = (uint16_t) ((member ? F_MEMBER : 0) | (stream ? F_STREAM : 0));

    if (!pdf->is_dict) {
        o->cs = slot_cs(pdf, S_SELF);
        pdf->nobjs++;
        return CH_CHECK_OK;
    }

    type = slot_name(pdf, S_TYPE);
    if (type == N_Page) {
        o->flags |= F_PAGE;
    }

    if (!stream) {
        pdf->nobjs++;
        return CH_CHECK_OK;
    }

    r = slot_int(pdf, S_N, &v);
    if (r == 1 && v >= 0 && v <= 64) {
        o->icc_n = (int32_t) v;
    }
    o->cs = slot_cs(pdf, S_ALTERNATE);

    if (type == N_XRef) {
        if (pdf->slots[S_ENCRYPT].present) {
            return pdf_fail(pdf, CH_CHECK_PDF_ENCRYPTED,
                            "encrypted (/Encrypt in the xref stream, %s)",
                            pdf->where);
        }

        if (pdf_grow((void **) &pdf->xstms, &pdf->cxstms, pdf->nxstms,
                     sizeof(pdf_xstm_t)))
        {
            return pdf_nomem(pdf);
        }
        xs = &pdf->xstms[pdf->nxstms];
        memset(xs, 0, sizeof(*xs));
        xs->obj = (uint32_t) pdf->nobjs;
        xs->data = data;
        xs->len = dlen;
        xs->filter = slot_filter(pdf);
        slot_pred(pdf, &xs->pred);

        c = slot_get(pdf, S_W, &len);
        if (c == NULL || len != 5 || c[0].type != T_ARR_OPEN
            || c[4].type != T_ARR_CLOSE)
        {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "xref stream without /W [a b c], %s", pdf->where);
        }
        for (i = 0; i < 3; i++) {
            if (c[i + 1].type != T_INT || c[i + 1].v < 0 || c[i + 1].v > 8) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "bad /W in the xref stream, %s", pdf->where);
            }
            xs->w[i] = (int) c[i + 1].v;
        }

        xs->index = pdf->nidx;
        c = slot_get(pdf, S_INDEX, &len);
        if (c == NULL && pdf->slots[S_INDEX].present) {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "bad /Index in the xref stream, %s", pdf->where);
        }
        if (c == NULL) {
            if (slot_int(pdf, S_SIZE, &v) != 1 || v < 0 || v > PDF_MAX_OBJNUM + 1) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "xref stream without a /Size, %s", pdf->where);
            }
            if (pdf_grow((void **) &pdf->idx, &pdf->cidx, pdf->nidx + 1,
                         sizeof(int64_t)))
            {
                return pdf_nomem(pdf);
            }
            pdf->idx[pdf->nidx++] = 0;
            pdf->idx[pdf->nidx++] = v;

        } else {
            if (len < 2 || len % 2 != 0 || c[0].type != T_ARR_OPEN
                || c[len - 1].type != T_ARR_CLOSE)
            {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "bad /Index in the xref stream, %s",
                                pdf->where);
            }
            for (i = 1; i + 1 < len; i++) {
                if (c[i].type != T_INT || c[i].v < 0
                    || c[i].v > PDF_MAX_OBJNUM + 1)
                {
                    return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                    "bad /Index in the xref stream, %s",
                                    pdf->where);
                }
                if (pdf_grow((void **) &pdf->idx, &pdf->cidx, pdf->nidx,
                             sizeof(int64_t)))
                {
                    return pdf_nomem(pdf);
                }
                pdf->idx[pdf->nidx++] = c[i].v;
            }
        }
        xs->nindex = (pdf->nidx - xs->index) / 2;

        r = slot_int(pdf, S_PREV, &v);
        if (r < 0) {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "the /Prev of the xref stream is no integer, %s",
                            pdf->where);
        }
        if (r == 1) {
            if (pdf_grow((void **) &pdf->prevs, &pdf->cprevs, pdf->nprevs,
                         sizeof(pdf_prev_t)))
            {
                return pdf_nomem(pdf);
            }
            pdf->prevs[pdf->nprevs].off = v;
            pdf->prevs[pdf->nprevs++].what = 1;
        }

        o->flags |= F_XREF;
        pdf->nxstms++;
    }

    if (type == N_ObjStm) {
        if (pdf_grow((void **) &pdf->stms, &pdf->cstms, pdf->nstms,
                     sizeof(pdf_objstm_t)))
        {
            return pdf_nomem(pdf);
        }
        st = &pdf->stms[pdf->nstms];
        memset(st, 0, sizeof(*st));
        st->obj = (uint32_t) pdf->nobjs;
        st->data = data;
        st->len = dlen;
        st->filter = slot_filter(pdf);
        slot_pred(pdf, &st->pred);
        if (slot_int(pdf, S_N, &st->n) != 1
            || slot_int(pdf, S_FIRST, &st->first) != 1
            || st->n < 0 || st->n > PDF_MAX_OBJECTS || st->first < 0)
        {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "object stream without a direct /N and /First, "
                            "%s", pdf->where);
        }
        o->flags |= F_OBJSTM;
        o->stm = (uint32_t) ++pdf->nstms;
    }

    if (slot_name(pdf, S_SUBTYPE) == N_Image && !member) {
        if (pdf_grow((void **) &pdf->imgs, &pdf->cimgs, pdf->nimgs,
                     sizeof(pdf_image_t)))
        {
            return pdf_nomem(pdf);
        }
        im = &pdf->imgs[pdf->nimgs];
        memset(im, 0, sizeof(*im));
        im->obj = (uint32_t) pdf->nobjs;

        if (slot_int(pdf, S_WIDTH, &im->width) != 1 || im->width <= 0
            || slot_int(pdf, S_HEIGHT, &im->height) != 1 || im->height <= 0)
        {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "image without a direct positive /Width and "
                            "/Height, %s", pdf->where);
        }

        c = slot_get(pdf, S_IMAGEMASK, &len);
        im->mask = c != NULL && len == 1 && c->type == T_KW
                   && c->kw == KW_TRUE;
        im->dct = slot_filter(pdf) == FILT_DCT;
        im->cs = slot_cs(pdf, S_COLORSPACE);
        im->data = data;
        im->len = dlen;
        im->smask = slot_ref(pdf, S_SMASK);
        im->maskref = slot_ref(pdf, S_MASK);

        o->flags |= F_IMAGE;
        pdf->nimgs++;
    }

    pdf->nobjs++;

    return CH_CHECK_OK;
}


/* "N G obj" .. "endobj" at the top level, t being "N G obj" */
static ch_check_e
pdf_top_object(pdf_t *pdf, lex_t *lx, const tok_t *obj)
{
    const unsigned char  *p = pdf->p, *e;
    const tok_t          *pk;
    size_t                n = pdf->n, data, dlen, q;
    int64_t               len;
    ch_check_e            rc;
    tok_t                 t;
    int                   r;

    if (obj->big || obj->v < 1 || obj->v > PDF_MAX_OBJNUM || obj->gen < 0
        || obj->gen > PDF_MAX_GEN)
    {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "bad object number at %zu", obj->start);
    }

    snprintf(pdf->where, sizeof(pdf->where), "object %u",
             (unsigned) obj->v);

    pk = lex_peek(lx, 0);
    if (pk->type == T_KW && pk->kw == KW_ENDOBJ) {
        /* "N G obj endobj": some writers free objects so; null */
        lex_get(lx, &t);
        memset(pdf->slots, 0, sizeof(pdf->slots));
        pdf->is_dict = 0;
        return pdf_add(pdf, (uint32_t) obj->v, (uint16_t) obj->gen,
                       obj->start, 0, 0, 0, 0);
    }

    rc = pdf_value(pdf, lx);
    if (rc != CH_CHECK_OK) {
        return rc;
    }

    tok_next(lx, &t);

    if (t.type == T_KW && t.kw == KW_ENDOBJ) {
        return pdf_add(pdf, (uint32_t) obj->v, (uint16_t) obj->gen,
                       obj->start, 0, 0, 0, 0);
    }

    if (t.type != T_KW || t.kw != KW_STREAM || !pdf->is_dict) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "%s has no endobj (at %zu)", pdf->where, t.start);
    }

    /* "stream" is followed by CRLF or LF (a lone CR tolerated) */
    data = t.end;
    if (data < n && p[data] == '\r') {
        data++;
        if (data < n && p[data] == '\n') {
            data++;
        }
    } else if (data < n && p[data] == '\n') {
        data++;
    } else {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "no end of line after \"stream\" in %s", pdf->where);
    }

    q = n;
    dlen = 0;
    r = slot_int(pdf, S_LENGTH, &len);
    if (r == 1 && len >= 0 && (uint64_t) len <= n - data) {
        q = data + (size_t) len;
        while (q < n && pdf_ws(p[q])) {
            q++;
        }
        if (n - q >= 9 && memcmp(p + q, "endstream", 9) == 0) {
            dlen = (size_t) len;
        } else {
            q = n;
        }
    }

    if (q == n) {
        e = memmem(p + data, n - data, "endstream", 9);
        if (e == NULL) {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "%s: a stream without endstream", pdf->where);
        }
        q = (size_t) (e - p);
        dlen = q - data;
        if (dlen > 0 && p[data + dlen - 1] == '\n') {
            dlen--;
        }
        if (dlen > 0 && p[data + dlen - 1] == '\r') {
            dlen--;
        }
    }

    lex_seek(lx, q);
    tok_next(lx, &t);
    if (t.type != T_KW || t.kw != KW_ENDSTREAM) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "%s: a stream without endstream", pdf->where);
    }
    tok_next(lx, &t);
    if (t.type != T_KW || t.kw != KW_ENDOBJ) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "%s has no endobj (at %zu)", pdf->where, t.start);
    }

    return pdf_add(pdf, (uint32_t) obj->v, (uint16_t) obj->gen, obj->start,
                   0, data, dlen, 1);
}


/* "trailer" << .. >> */
static ch_check_e
pdf_trailer(pdf_t *pdf, lex_t *lx)
{
    ch_check_e  rc;
    int64_t     v;
    int         s, r;

    snprintf(pdf->where, sizeof(pdf->where), "the trailer");

    rc = pdf_value(pdf, lx);
    if (rc != CH_CHECK_OK) {
        return rc;
    }

    if (!pdf->is_dict) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "a trailer that is no dictionary");
    }

    if (pdf->slots[S_ENCRYPT].present) {
        return pdf_fail(pdf, CH_CHECK_PDF_ENCRYPTED,
                        "encrypted (/Encrypt in the trailer)");
    }

    for (s = S_PREV; s <= S_XREFSTM; s++) {
        r = slot_int(pdf, s, &v);
        if (r < 0) {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "the trailer's %s is no integer",
                            s == S_PREV ? "/Prev" : "/XRefStm");
        }
        if (r == 1) {
            if (pdf_grow((void **) &pdf->prevs, &pdf->cprevs, pdf->nprevs,
                         sizeof(pdf_prev_t)))
            {
                return pdf_nomem(pdf);
            }
            pdf->prevs[pdf->nprevs].off = v;
            pdf->prevs[pdf->nprevs++].what = s == S_PREV ? 1 : 2;
        }
    }

    return CH_CHECK_OK;
}


/* "xref", its subsections, then the trailer */
static ch_check_e
pdf_xref_table(pdf_t *pdf, lex_t *lx, const tok_t *xref)
{
    const tok_t  *pk;
    tok_t         a, b, k;
    int64_t       i, first, count;

    if (pdf_grow((void **) &pdf->xtabs, &pdf->cxtabs, pdf->nxtabs,
                 sizeof(size_t)))
    {
        return pdf_nomem(pdf);
    }
    pdf->xtabs[pdf->nxtabs++] = xref->start;

    for ( ;; ) {
        pk = lex_peek(lx, 0);
        if (pk->type != T_INT) {
            break;
        }

        lex_get(lx, &a);
        lex_get(lx, &b);
        if (b.type != T_INT || a.big || b.big || a.v < 0 || b.v < 0
            || a.v + b.v > PDF_MAX_OBJNUM + 1)
        {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "bad xref subsection at %zu", a.start);
        }
        first = a.v;
        count = b.v;

        for (i = 0; i < count; i++) {
            lex_get(lx, &a);
            lex_get(lx, &b);
            lex_get(lx, &k);
            if (a.type != T_INT || b.type != T_INT || k.type != T_KW
                || (k.kw != KW_N && k.kw != KW_F) || a.big || a.v < 0
                || b.v < 0 || b.v > PDF_MAX_GEN)
            {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "bad xref entry at %zu", a.start);
            }
            if (k.kw == KW_F || a.v == 0) {
                continue;
            }
            if (pdf->nxents >= PDF_MAX_XREF_ENTRIES) {
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "more than %d xref entries",
                                PDF_MAX_XREF_ENTRIES);
            }
            if (pdf_grow((void **) &pdf->xents, &pdf->cxents, pdf->nxents,
                         sizeof(pdf_xent_t)))
            {
                return pdf_nomem(pdf);
            }
            pdf->xents[pdf->nxents].num = (uint32_t) (first + i);
            pdf->xents[pdf->nxents].gen = (uint16_t) b.v;
            pdf->xents[pdf->nxents].off = (size_t) a.v;
            pdf->nxents++;
        }
    }

    lex_get(lx, &k);
    if (k.type != T_KW || k.kw != KW_TRAILER) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "an xref table without a trailer (at %zu)", k.start);
    }

    return pdf_trailer(pdf, lx);
}


/* --- the frame: header, %%EOF, startxref ------------------------------------ */

static ch_check_e
pdf_frame(pdf_t *pdf)
{
    const unsigned char  *p = pdf->p;
    size_t                n = pdf->n, i, eof, win, ds, de, q;
    uint64_t              off;
    lex_t                 lx;
    tok_t                 t;

    if (n < 8 || memcmp(p, "%PDF-", 5) != 0) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "no %%PDF- at byte 0");
    }

    if (!((p[5] == '1' && p[6] == '.' && p[7] >= '0' && p[7] <= '7')
          || (p[5] == '2' && p[6] == '.' && p[7] == '0'))
        || (n > 8 && !pdf_ws(p[8]) && p[8] != '%'))
    {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "not a PDF version 1.0 to 2.0 in the header");
    }

    /* the last %%EOF, in the last PDF_EOF_WINDOW bytes */
    win = n > PDF_EOF_WINDOW ? n - PDF_EOF_WINDOW : 0;
    eof = n;
    for (i = n - 5 + 1; i-- > win; ) {
        if (memcmp(p + i, "%%EOF", 5) == 0) {
            eof = i;
            break;
        }
    }
    if (eof == n) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "no %%%%EOF in the last %d bytes (truncated?)",
                        PDF_EOF_WINDOW);
    }

    for (i = eof + 5; i < n; i++) {
        if (!pdf_ws(p[i])) {
            return pdf_fail(pdf, CH_CHECK_TRAILING_DATA,
                            "%zu bytes after %%%%EOF", n - eof - 5);
        }
    }
    if (n - eof - 5 > PDF_EOF_SLACK) {
        return pdf_fail(pdf, CH_CHECK_TRAILING_DATA,
                        "%zu bytes of white space after %%%%EOF",
                        n - eof - 5);
    }

    /* "startxref" ws digits ws "%%EOF" */
    i = eof;
    while (i > 0 && pdf_ws(p[i - 1])) {
        i--;
    }
    de = i;
    while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9') {
        i--;
    }
    ds = i;
    while (i > 0 && pdf_ws(p[i - 1])) {
        i--;
    }
    if (ds == de || i == ds || i < 9 || memcmp(p + i - 9, "startxref", 9) != 0
        || (i > 9 && !pdf_ws(p[i - 10]) && !pdf_delim(p[i - 10])))
    {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "no \"startxref offset\" before %%%%EOF");
    }

    if (de - ds > 15) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "startxref %.20s... outside the file", p + ds);
    }
    off = 0;
    for (i = ds; i < de; i++) {
        off = off * 10 + (uint64_t) (p[i] - '0');
    }
    if (off >= n) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "startxref %llu outside the file",
                        (unsigned long long) off);
    }
    pdf->startxref = (int64_t) off;

    q = (size_t) off;
    while (q < n && pdf_ws(p[q])) {
        q++;
    }
    if (n - q >= 5 && memcmp(p + q, "xref", 4) == 0
        && (pdf_ws(p[q + 4]) || pdf_delim(p[q + 4])))
    {
        return CH_CHECK_OK;
    }
    lex_init(&lx, p, n, q);
    tok_next(&lx, &t);
    if (t.type == T_OBJ && t.start == q) {
        return CH_CHECK_OK;
    }

    return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                    "startxref %llu points at neither xref nor an object",
                    (unsigned long long) off);
}


/* --- the walk over the file -------------------------------------------------- */

static ch_check_e
pdf_walk(pdf_t *pdf)
{
    ch_check_e  rc;
    lex_t       lx;
    tok_t       t;

    lex_init(&lx, pdf->p, pdf->n, 0);

    for ( ;; ) {
        tok_next(&lx, &t);
        rc = CH_CHECK_OK;

        switch (t.type) {

        case T_EOF:
            return CH_CHECK_OK;

        case T_OBJ:
            rc = pdf_top_object(pdf, &lx, &t);
            break;

        case T_KW:
            if (t.kw == KW_XREF) {
                rc = pdf_xref_table(pdf, &lx, &t);

            } else if (t.kw == KW_TRAILER) {
                rc = pdf_trailer(pdf, &lx);

            } else if (t.kw == KW_STARTXREF) {
                tok_next(&lx, &t);
                if (t.type != T_INT) {
                    rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                  "startxref without an offset at %zu",
                                  t.start);
                }

            } else {
                rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                              "unexpected keyword at %zu outside any object",
                              t.start);
            }
            break;

        case T_ERROR:
            rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "%s at %zu", t.err,
                          t.start);
            break;

        default:
            rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                          "unexpected token at %zu outside any object",
                          t.start);
            break;
        }

        if (rc != CH_CHECK_OK) {
            return rc;
        }
    }
}


/* the top-level object whose "N G obj" is at off (white space skipped) */
static long
pdf_obj_at(pdf_t *pdf, int64_t off)
{
    size_t  q, lo, hi, mid;

    if (off < 0 || (uint64_t) off >= pdf->n) {
        return -1;
    }

    q = (size_t) off;
    while (q < pdf->n && pdf_ws(pdf->p[q])) {
        q++;
    }

    lo = 0;
    hi = pdf->ntop;
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (pdf->objs[mid].pos < q) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return lo < pdf->ntop && pdf->objs[lo].pos == q ? (long) lo : -1;
}


/* an xref table ("xref") or, when streams, an xref stream at off */
static int
pdf_xref_at(pdf_t *pdf, int64_t off, int tables)
{
    size_t  q, lo, hi, mid;
    long    k;

    if (off < 0 || (uint64_t) off >= pdf->n) {
        return 0;
    }

    if (tables) {
        q = (size_t) off;
        while (q < pdf->n && pdf_ws(pdf->p[q])) {
            q++;
        }
        lo = 0;
        hi = pdf->nxtabs;
        while (lo < hi) {
            mid = lo + (hi - lo) / 2;
            if (pdf->xtabs[mid] < q) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo < pdf->nxtabs && pdf->xtabs[lo] == q) {
            return 1;
        }
    }

    k = pdf_obj_at(pdf, off);

    return k >= 0 && (pdf->objs[k].flags & F_XREF);
}


static ch_check_e
pdf_targets(pdf_t *pdf)
{
    size_t  i;

    if (pdf->nobjs == 0) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "no object at all");
    }

    if (!pdf_xref_at(pdf, pdf->startxref, 1)) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "startxref %lld points at no xref table or stream",
                        (long long) pdf->startxref);
    }

    for (i = 0; i < pdf->nprevs; i++) {
        if (!pdf_xref_at(pdf, pdf->prevs[i].off, pdf->prevs[i].what == 1)) {
            return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                            "%s %lld points at no xref %s",
                            pdf->prevs[i].what == 1 ? "/Prev" : "/XRefStm",
                            (long long) pdf->prevs[i].off,
                            pdf->prevs[i].what == 1 ? "table or stream"
                                                    : "stream");
        }
    }

    return CH_CHECK_OK;
}


/* --- decoding streams -------------------------------------------------------- */

static ch_check_e
pdf_inflate(pdf_t *pdf, const unsigned char *in, size_t len,
    unsigned char **out, size_t *olen)
{
    unsigned char  *buf, *nb;
    size_t          cap, limit, total;
    z_stream        z;
    int             zr;

    /* all streams together: at most PDF_INFLATE_BASE + PDF_INFLATE_RATIO
       times the file, and PDF_MAX_INFLATE_TOTAL */
    total = PDF_MAX_INFLATE_TOTAL;
    if (pdf->n < (PDF_MAX_INFLATE_TOTAL - PDF_INFLATE_BASE) / PDF_INFLATE_RATIO) {
        total = PDF_INFLATE_BASE + pdf->n * PDF_INFLATE_RATIO;
    }

    limit = PDF_MAX_INFLATE;
    if (total - pdf->inflated < limit) {
        limit = total - pdf->inflated;
    }

    if (len > (uInt) -1) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "%s is too long",
                        pdf->where);
    }

    cap = len < limit / 4 ? len * 4 + 1024 : limit;
    if (cap > limit) {
        cap = limit;
    }

    buf = malloc(cap ? cap : 1);
    if (buf == NULL) {
        return pdf_nomem(pdf);
    }

    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK) {
        free(buf);
        return pdf_nomem(pdf);
    }

    z.next_in = (Bytef *) in;
    z.avail_in = (uInt) len;

    for ( ;; ) {
        z.next_out = buf + z.total_out;
        z.avail_out = (uInt) (cap - z.total_out);

        zr = inflate(&z, Z_NO_FLUSH);

        if (zr == Z_STREAM_END) {
            break;
        }

        if ((zr == Z_OK || zr == Z_BUF_ERROR) && z.avail_out == 0) {
            if (cap >= limit) {
                inflateEnd(&z);
                free(buf);
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "%s inflates beyond %zu bytes", pdf->where,
                                limit);
            }
            cap = cap > limit / 2 ? limit : cap * 2;
            nb = realloc(buf, cap);
            if (nb == NULL) {
                inflateEnd(&z);
                free(buf);
                return pdf_nomem(pdf);
            }
            buf = nb;
            continue;
        }

        if (zr == Z_OK) {
            continue;
        }

        inflateEnd(&z);
        free(buf);
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "%s: %s", pdf->where,
                        zr == Z_BUF_ERROR ? "truncated Flate data"
                                          : "corrupt Flate data");
    }

    *out = buf;
    *olen = z.total_out;
    pdf->inflated += z.total_out;
    inflateEnd(&z);

    return CH_CHECK_OK;
}


static uint32_t
pdf_paeth(int a, int b, int c)
{
    int  p = a + b - c, pa, pb, pc;

    pa = p > a ? p - a : a - p;
    pb = p > b ? p - b : b - p;
    pc = p > c ? p - c : c - p;

    return (uint32_t) (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}


/* undoes a /DecodeParms /Predictor on buf (replaced by the result) */
static ch_check_e
pdf_unpredict(pdf_t *pdf, const pdf_pred_t *pr, unsigned char **buf,
    size_t *len)
{
    unsigned char  *in = *buf, *out, *row, *prev;
    size_t          rowbytes, bpp, rows, r, k, i;
    int             ft;

    if (pr->predictor == 1 || pr->predictor == 0) {
        return CH_CHECK_OK;
    }

    if (pr->predictor < 0 || pr->colors < 1 || pr->colors > 32
        || (pr->bpc != 1 && pr->bpc != 2 && pr->bpc != 4 && pr->bpc != 8
            && pr->bpc != 16)
        || pr->columns < 1 || (pr->predictor != 2 && pr->predictor < 10)
        || pr->predictor > 15 || (pr->predictor == 2 && pr->bpc != 8))
    {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "%s: unsupported /DecodeParms", pdf->where);
    }

    rowbytes = ((size_t) pr->colors * (size_t) pr->bpc * (size_t) pr->columns
                + 7) / 8;
    bpp = ((size_t) pr->colors * (size_t) pr->bpc + 7) / 8;

    if (pr->predictor == 2) {
        for (r = 0; r + rowbytes <= *len; r += rowbytes) {
            for (k = bpp; k < rowbytes; k++) {
                in[r + k] = (unsigned char) (in[r + k] + in[r + k - bpp]);
            }
        }
        return CH_CHECK_OK;
    }

    rows = *len / (rowbytes + 1);
    out = malloc(rows * rowbytes + 1);
    if (out == NULL) {
        return pdf_nomem(pdf);
    }

    for (r = 0; r < rows; r++) {
        ft = in[r * (rowbytes + 1)];
        row = out + r * rowbytes;
        prev = r ? row - rowbytes : NULL;
        memcpy(row, in + r * (rowbytes + 1) + 1, rowbytes);

        for (i = 0; i < rowbytes; i++) {
            int  a = i >= bpp ? row[i - bpp] : 0;
            int  b = prev ? prev[i] : 0;
            int  c = prev && i >= bpp ? prev[i - bpp] : 0;

            switch (ft) {
            case 0:
                break;
            case 1:
                row[i] = (unsigned char) (row[i] + a);
                break;
            case 2:
                row[i] = (unsigned char) (row[i] + b);
                break;
            case 3:
                row[i] = (unsigned char) (row[i] + ((a + b) >> 1));
                break;
            case 4:
                row[i] = (unsigned char) (row[i] + pdf_paeth(a, b, c));
                break;
            default:
                free(out);
                return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                                "%s: bad PNG predictor %d", pdf->where, ft);
            }
        }
    }

    free(in);
    *buf = out;
    *len = rows * rowbytes;

    return CH_CHECK_OK;
}


/* the data of an object or xref stream: *owned when it was allocated */
static ch_check_e
pdf_decode(pdf_t *pdf, size_t data, size_t len, int filter,
    const pdf_pred_t *pr, unsigned char **out, size_t *olen, int *owned)
{
    ch_check_e  rc;

    *owned = 0;

    if (filter == FILT_NONE) {
        /* a predictor without a filter means nothing */
        *out = (unsigned char *) pdf->p + data;
        *olen = len;
        return CH_CHECK_OK;
    }

    if (filter != FILT_FLATE) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "%s: a filter other than /FlateDecode", pdf->where);
    }

    rc = pdf_inflate(pdf, pdf->p + data, len, out, olen);
    if (rc != CH_CHECK_OK) {
        return rc;
    }
    *owned = 1;

    rc = pdf_unpredict(pdf, pr, out, olen);
    if (rc != CH_CHECK_OK) {
        free(*out);
        *owned = 0;
    }

    return rc;
}


/* --- object streams ---------------------------------------------------------- */

static ch_check_e
pdf_objstm(pdf_t *pdf, pdf_objstm_t *st)
{
    unsigned char  *buf = NULL;
    size_t          len, i, start, end, first, cnt;
    int64_t        *hdr = NULL;
    uint32_t        num;
    ch_check_e      rc;
    lex_t           lx;
    tok_t           t;
    int             owned = 0;

    num = pdf->objs[st->obj].num;
    snprintf(pdf->where, sizeof(pdf->where), "object stream %u",
             (unsigned) num);

    rc = pdf_decode(pdf, st->data, st->len, st->filter, &st->pred, &buf, &len,
                    &owned);
    if (rc != CH_CHECK_OK) {
        return rc;
    }

    cnt = (size_t) st->n;
    if ((uint64_t) st->first > len || cnt > PDF_MAX_OBJECTS - pdf->nobjs) {
        rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                      "object stream %u: bad /N or /First", (unsigned) num);
        goto done;
    }
    first = (size_t) st->first;

    hdr = malloc(cnt * 2 * sizeof(int64_t) + 1);
    if (hdr == NULL) {
        rc = pdf_nomem(pdf);
        goto done;
    }

    /* the header: N pairs "number offset", then nothing up to /First */
    lex_init(&lx, buf, first, 0);
    for (i = 0; i < cnt * 2; i++) {
        lex_get(&lx, &t);
        if (t.type != T_INT || t.big || t.v < (i % 2 ? 0 : 1)
            || (i % 2 == 0 && t.v > PDF_MAX_OBJNUM)
            || (i % 2 == 1 && (uint64_t) t.v > len - first)
            || (i % 2 == 1 && i > 1 && t.v <= hdr[i - 2]))
        {
            rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                          "object stream %u: bad header", (unsigned) num);
            goto done;
        }
        hdr[i] = t.v;
    }
    if (lex_skip(buf, first, lx.pos) != first) {
        rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                      "object stream %u: more than /N objects in its header",
                      (unsigned) num);
        goto done;
    }

    /* the objects tile the rest: each from its offset to the next one's */
    st->members = (uint32_t) pdf->nobjs;
    st->nmembers = 0;

    for (i = 0; i < cnt; i++) {
        start = first + (size_t) hdr[2 * i + 1];
        end = i + 1 < cnt ? first + (size_t) hdr[2 * i + 3] : len;

        snprintf(pdf->where, sizeof(pdf->where),
                 "object %u in object stream %u", (unsigned) hdr[2 * i],
                 (unsigned) num);

        lex_init(&lx, buf, end, start);
        rc = pdf_value(pdf, &lx);
        if (rc != CH_CHECK_OK) {
            goto done;
        }
        if (lex_skip(buf, end, pdf->vend) != end) {
            rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                          "%s: more than one value", pdf->where);
            goto done;
        }

        rc = pdf_add(pdf, (uint32_t) hdr[2 * i], 0, pdf->objs[st->obj].pos,
                     1, 0, 0, 0);
        if (rc != CH_CHECK_OK) {
            goto done;
        }
        st->nmembers++;
    }

    rc = CH_CHECK_OK;

done:

    free(hdr);
    if (owned) {
        free(buf);
    }

    return rc;
}


/* --- the index of objects by number ---------------------------------------- */

typedef struct {
    uint32_t  num;
    uint32_t  seq;
    size_t    pos;
} pdf_key_t;


static int
pdf_key_cmp(const void *a, const void *b)
{
    const pdf_key_t  *x = a, *y = b;

    if (x->num != y->num) {
        return x->num < y->num ? -1 : 1;
    }
    if (x->pos != y->pos) {
        return x->pos < y->pos ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}


static ch_check_e
pdf_index(pdf_t *pdf)
{
    pdf_key_t  *keys;
    size_t      i;

    keys = malloc(pdf->nobjs * sizeof(pdf_key_t) + 1);
    pdf->sorted = malloc(pdf->nobjs * sizeof(uint32_t) + 1);
    if (keys == NULL || pdf->sorted == NULL) {
        free(keys);
        return pdf_nomem(pdf);
    }

    for (i = 0; i < pdf->nobjs; i++) {
        keys[i].num = pdf->objs[i].num;
        keys[i].seq = pdf->objs[i].seq;
        keys[i].pos = pdf->objs[i].pos;
    }

    qsort(keys, pdf->nobjs, sizeof(pdf_key_t), pdf_key_cmp);

    for (i = 0; i < pdf->nobjs; i++) {
        pdf->sorted[i] = keys[i].seq;       /* seq is the index in objs */
    }

    free(keys);

    return CH_CHECK_OK;
}


/* the last definition of object num, or -1 */
static long
pdf_lookup(pdf_t *pdf, uint32_t num)
{
    size_t  lo = 0, hi = pdf->nobjs, mid;

    /* the first entry with a number above num */
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (pdf->objs[pdf->sorted[mid]].num <= num) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    if (lo == 0 || pdf->objs[pdf->sorted[lo - 1]].num != num) {
        return -1;
    }

    return (long) pdf->sorted[lo - 1];
}


/* --- the xref against the objects -------------------------------------------- */

static ch_check_e
pdf_check_entry(pdf_t *pdf, uint32_t num, uint16_t gen, int64_t off)
{
    long  k;

    k = pdf_obj_at(pdf, off);
    if (k < 0 || pdf->objs[k].num != num || pdf->objs[k].gen != gen) {
        return pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                        "the xref puts object %u at %lld, where it is not",
                        (unsigned) num, (long long) off);
    }

    return CH_CHECK_OK;
}


static ch_check_e
pdf_xref_stream(pdf_t *pdf, pdf_xstm_t *xs)
{
    unsigned char  *buf = NULL;
    const int64_t  *ix = pdf->idx + xs->index;
    pdf_objstm_t   *st;
    size_t          len, w, at, i, j, total;
    uint64_t        f[3];
    uint32_t        num;
    ch_check_e      rc;
    long            k;
    int             owned = 0, q, b;

    snprintf(pdf->where, sizeof(pdf->where), "the xref stream (object %u)",
             (unsigned) pdf->objs[xs->obj].num);

    rc = pdf_decode(pdf, xs->data, xs->len, xs->filter, &xs->pred, &buf, &len,
                    &owned);
    if (rc != CH_CHECK_OK) {
        return rc;
    }

    w = (size_t) (xs->w[0] + xs->w[1] + xs->w[2]);
    total = 0;
    for (i = 0; i < xs->nindex; i++) {
        if (ix[2 * i] + ix[2 * i + 1] > PDF_MAX_OBJNUM + 1) {
            rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED, "%s: bad /Index",
                          pdf->where);
            goto done;
        }
        total += (size_t) ix[2 * i + 1];
    }
    if (total > 0 && (w == 0 || total > len / w)) {
        rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                      "%s: shorter than its entries", pdf->where);
        goto done;
    }

    at = 0;
    for (i = 0; i < xs->nindex; i++) {
        for (j = 0; j < (size_t) ix[2 * i + 1]; j++) {
            num = (uint32_t) (ix[2 * i] + (int64_t) j);
            for (q = 0; q < 3; q++) {
                f[q] = 0;
                for (b = 0; b < xs->w[q]; b++) {
                    f[q] = f[q] << 8 | buf[at++];
                }
            }
            if (xs->w[0] == 0) {
                f[0] = 1;
            }

            if (f[0] == 1) {
                if (f[1] == 0) {
                    continue;           /* taken as free, see above */
                }
                if (f[2] > PDF_MAX_GEN) {
                    goto bad;
                }
                rc = pdf_check_entry(pdf, num, (uint16_t) f[2],
                                     f[1] > (uint64_t) INT64_MAX
                                     ? -1 : (int64_t) f[1]);
                if (rc != CH_CHECK_OK) {
                    goto done;
                }

            } else if (f[0] == 2) {
                k = f[1] <= PDF_MAX_OBJNUM ? pdf_lookup(pdf, (uint32_t) f[1])
                                           : -1;
                if (k < 0 || pdf->objs[k].stm == 0) {
                    goto bad;
                }
                st = &pdf->stms[pdf->objs[k].stm - 1];
                if (f[2] >= st->nmembers
                    || pdf->objs[st->members + f[2]].num != num)
                {
                    goto bad;
                }
            }
        }
    }

    rc = CH_CHECK_OK;
    goto done;

bad:

    rc = pdf_fail(pdf, CH_CHECK_PDF_MALFORMED,
                  "%s: the entry of object %u points at no such object",
                  pdf->where, (unsigned) num);

done:

    if (owned) {
        free(buf);
    }

    return rc;
}


static ch_check_e
pdf_xrefs(pdf_t *pdf)
{
    ch_check_e  rc;
    size_t      i;

    for (i = 0; i < pdf->nxents; i++) {
        rc = pdf_check_entry(pdf, pdf->xents[i].num, pdf->xents[i].gen,
                             (int64_t) pdf->xents[i].off);
        if (rc != CH_CHECK_OK) {
            return rc;
        }
    }

    for (i = 0; i < pdf->nxstms; i++) {
        rc = pdf_xref_stream(pdf, &pdf->xstms[i]);
        if (rc != CH_CHECK_OK) {
            return rc;
        }
    }

    return CH_CHECK_OK;
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


static ch_check_e
pdf_jpeg(pdf_t *pdf, pdf_image_t *im, ch_file_info_t *ji)
{
    const unsigned char  *d = pdf->p + im->data;
    size_t                len = im->len;
    ch_check_e            rc;
    unsigned              num = pdf->objs[im->obj].num;

    while (len > 0 && pdf_ws(d[len - 1])) {
        len--;
    }

    rc = ch_jpeg_check(d, len, ji);

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
    ch_file_info_t  *info = pdf->info, ji;
    pdf_image_t     *im;
    pdf_obj_t       *o;
    uint64_t         px, best = 0;
    size_t           i, count = 0;
    unsigned         pm, w, h;
    ch_check_e       rc;
    long             k;
    int              space, colour;

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

    for (i = 0; i < pdf->nimgs; i++) {
        im = &pdf->imgs[i];
        o = &pdf->objs[im->obj];
        if (im->mask || (o->flags & F_MASK)) {
            continue;
        }

        space = pdf_cs_resolve(pdf, im->cs, 0);

        if (im->dct) {
            rc = pdf_jpeg(pdf, im, &ji);
            if (rc != CH_CHECK_OK) {
                return rc;
            }
            w = ji.width;
            h = ji.height;
            colour = ji.color && space != CS_GRAY;
            pm = space == CS_GRAY ? 0 : ji.colored_per_mille;

        } else {
            w = (unsigned) im->width;
            h = (unsigned) im->height;
            colour = space == CS_COLOR;
            pm = colour ? 1000 : 0;
        }

        px = (uint64_t) w * h;
        if (px > best) {
            best = px;
            info->width = w;
            info->height = h;
        }
        if (colour) {
            info->color = 1;
        }
        if (pm > info->colored_per_mille) {
            info->colored_per_mille = pm;
        }
    }

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
        pdf_pages(pdf);
        rc = pdf_images(pdf);
    }

    if (rc == CH_CHECK_OK) {
        info->detail[0] = '\0';
    }

    free(pdf->objs);
    free(pdf->imgs);
    free(pdf->stms);
    free(pdf->xstms);
    free(pdf->xents);
    free(pdf->xtabs);
    free(pdf->prevs);
    free(pdf->idx);
    free(pdf->sorted);
    free(pdf);

    return rc;
}
