/*
 * The inside of the PDF checker, shared by its files and by nothing else
 * (the module, the back office and the tests use ch_pdf_check through
 * ch_filecheck.h).  ch_pdf.c says what is checked and why; the parts:
 *
 *   ch_pdf_lex.c     the names this checker knows, the tokenizer
 *   ch_pdf_value.c   one value parsed, the keys it keeps (slots), colour
 *                    spaces as written
 *   ch_pdf_obj.c     the walk over the file: objects, streams' extent,
 *                    object streams' members
 *   ch_pdf_xref.c    the frame (header, %%EOF, startxref), trailers, xref
 *                    tables and streams against the objects found
 *   ch_pdf_filter.c  stream data decoded: Flate and its predictors
 *   ch_pdf_image.c   the pixels of images that are no plain JPEG
 *   ch_pdf_jpx.c     JPEG 2000 images, by OpenJPEG
 *   ch_pdf.c         images, pages, and ch_pdf_check itself
 *
 * All state of one check is one pdf_t; nothing is kept between calls.
 */

#ifndef CH_PDF_INT_H
#define CH_PDF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ch_filecheck.h"


/*
 * Hidden: these short names (lex_get, slot_int...) are for these files,
 * not symbols of the nginx module or the back office that could meet a
 * library's own
 */
#pragma GCC visibility push(hidden)


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
/* the pixels of all images together: a page's worth, many times over */
#define PDF_MAX_IMAGE_PIXELS   (4ull * CH_IMAGE_MAX_PIXELS)
#define PDF_MAX_OBJNUM         8388607
#define PDF_MAX_GEN            65535
#define PDF_INT_BIG            ((int64_t) 1 << 53)


/* --- names (ch_pdf_lex.c) ---------------------------------------------- */

/* the slots of a top-level dictionary whose values are kept (captured) */
enum {
    S_TYPE, S_SUBTYPE, S_WIDTH, S_HEIGHT, S_FILTER, S_DECODEPARMS,
    S_COLORSPACE, S_IMAGEMASK, S_LENGTH, S_N, S_ALTERNATE, S_ENCRYPT, S_W,
    S_INDEX, S_SIZE, S_PREV, S_XREFSTM, S_FIRST, S_SMASK, S_MASK,
    S_CONTENTS,
    S_BPC,                  /* an inline image's /BPC */
    S_SELF,                 /* the object's value when it is no dictionary */
    S_COUNT
};

enum {
    N_OTHER = 0,
    /* keys */
    N_Type, N_Subtype, N_Width, N_Height, N_Filter, N_DecodeParms,
    N_ColorSpace, N_ImageMask, N_Length, N_N, N_Alternate, N_Encrypt, N_W,
    N_Index, N_Size, N_Prev, N_XRefStm, N_First, N_SMask, N_Mask,
    N_Contents,
    /* the keys of an inline image, abbreviated */
    N_H, N_CS, N_F, N_DP, N_IM, N_L, N_BPC,
    /* values */
    N_Page, N_Image, N_ObjStm, N_XRef, N_DCTDecode, N_DCT, N_FlateDecode,
    N_Fl, N_DeviceRGB, N_RGB, N_DeviceCMYK, N_CMYK, N_DeviceGray, N_G,
    N_CalRGB, N_CalGray, N_Lab, N_ICCBased, N_Indexed, N_I, N_Predictor,
    N_Colors, N_BitsPerComponent, N_Columns, N_Form, N_ASCII85Decode,
    N_A85, N_ASCIIHexDecode, N_AHx, N_RunLengthDecode, N_RL,
    /* active content */
    N_JavaScript, N_JS, N_Launch, N_EmbeddedFile, N_EmbeddedFiles,
    N_RichMedia, N_SubmitForm, N_ImportData, N_GoToE, N_XFA, N_EF,
    N_FileAttachment, N_AdditionalStreams,
    N_COUNT
};

typedef struct {
    const char     *s;
    unsigned char   len;
    signed char     slot;       /* S_* when captured as a key, else -1 */
    unsigned char   active;
} pdf_name_t;

/* the names this checker knows, by N_* */
extern const pdf_name_t  pdf_names[N_COUNT];


/* --- tokens (ch_pdf_lex.c) --------------------------------------------- */

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
extern const unsigned char  pdf_class[256];

#define pdf_ws(c)       (pdf_class[(unsigned char) (c)] == 1)
#define pdf_delim(c)    (pdf_class[(unsigned char) (c)] == 2)
#define pdf_regular(c)  (pdf_class[(unsigned char) (c)] == 0)


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
#define F_FORM       0x80       /* a form XObject (/Subtype /Form) */

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
    size_t     data;        /* a stream: its data */
    size_t     dlen;
} pdf_obj_t;

/* a page's content stream: the page (index into objs), the stream's number */
typedef struct {
    uint32_t   page;
    uint32_t   num;
} pdf_cref_t;

typedef struct {
    uint32_t   obj;         /* index into objs */
    int64_t    width;
    int64_t    height;
    int        dct;
    int        mask;        /* /ImageMask true */
    pdf_cs_t   cs;
    size_t     data;
    size_t     len;
    unsigned char  *own;    /* an inline image (BI .. ID .. EI): its bytes,
                               own[0 .. len - 1], allocated; else NULL and
                               the bytes are p[data .. data + len - 1] */
    uint32_t   smask;       /* referenced object numbers, or 0 */
    uint32_t   maskref;
    int        counted;     /* an inline image whose pixels were counted
                               when it was found: into cc */
    ch_color_count_t  cc;
} pdf_image_t;

/* an image's (encoded) bytes, wherever they are */
#define pdf_image_bytes(pdf, im) \
    ((im)->own ? (const unsigned char *) (im)->own : (pdf)->p + (im)->data)

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
    pdf_cref_t           *crefs;
    size_t                ncrefs, ccrefs;
    uint32_t             *sorted;      /* objs by (num, pos, seq) */

    size_t                inflated;    /* in all */
    int64_t               startxref;
    uint64_t              jpx_decoded; /* JPEG 2000 pixels decoded, reduced */

    /* the value being parsed */
    slot_t                slots[S_COUNT];
    int                   is_dict;
    size_t                vend;        /* where its last token ended */
    ctok_t                cap[PDF_CAPTURE_MAX];
    size_t                ncap;

    char                  where[64];   /* "object 12" for messages */
    uint64_t              inline_px;   /* inline images' pixels decoded */
} pdf_t;


/* --- ch_pdf.c ------------------------------------------------------------ */

/* info->detail = "pdf: " and the message; returns rc */
ch_check_e pdf_fail(pdf_t *pdf, ch_check_e rc, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* CH_CHECK_NO_MEMORY, said so in the detail */
ch_check_e pdf_nomem(pdf_t *pdf);
/* makes room for one more element in *arr (of *cap, n used): 0, or -1 */
int pdf_grow(void **arr, size_t *cap, size_t n, size_t size);
/* the JPEG d[0 .. len - 1] of image num through ch_jpeg_check_pdf (how:
   its CH_JPEG_*, from its /Decode and /ColorTransform), into ji; its
   verdicts as the PDF's (a damaged JPEG is a damaged PDF) */
ch_check_e pdf_jpeg(pdf_t *pdf, unsigned num, const unsigned char *d,
    size_t len, unsigned how, ch_file_info_t *ji);


/* --- ch_pdf_lex.c -------------------------------------------------------- */

/* readies lx to read p[0 .. n - 1] from pos */
void lex_init(lex_t *lx, const unsigned char *p, size_t n, size_t pos);
/* goes on from pos, the look-ahead dropped */
void lex_seek(lex_t *lx, size_t pos);
/* skips white space and comments from pos */
size_t lex_skip(const unsigned char *p, size_t n, size_t pos);
/* the next token as it is (from the look-ahead first) */
void lex_get(lex_t *lx, tok_t *t);
/* the k-th token ahead (k < 2), left to be taken */
const tok_t *lex_peek(lex_t *lx, int k);
/* the next token, with "N G R" and "N G obj" made one */
void tok_next(lex_t *lx, tok_t *t);


/* --- ch_pdf_value.c ------------------------------------------------------ */

/*
 * One value from lx, its syntax and its names checked; a top-level
 * dictionary's keys of interest kept in pdf->slots
 */
ch_check_e pdf_value(pdf_t *pdf, lex_t *lx);
/* t kept as a token of slot s (when there is room) */
void pdf_capture(pdf_t *pdf, const tok_t *t, int s);
/* the captured value of a slot, when it is there whole */
const ctok_t *slot_get(pdf_t *pdf, int s, size_t *len);
/* 1 when the slot holds one direct integer, 0 when absent, -1 otherwise */
int slot_int(pdf_t *pdf, int s, int64_t *v);
/* the N_* of a slot holding one name, else N_OTHER */
int slot_name(pdf_t *pdf, int s);
/* the object number of a slot holding one reference, else 0 */
uint32_t slot_ref(pdf_t *pdf, int s);
/* /Filter: FILT_*; a chain is "other" */
int slot_filter(pdf_t *pdf);
/* /DecodeParms: the predictor's parameters */
void slot_pred(pdf_t *pdf, pdf_pred_t *pr);
/* a slot read as a colour space, without looking anything up */
pdf_cs_t slot_cs(pdf_t *pdf, int s);


/* --- ch_pdf_obj.c -------------------------------------------------------- */

/* the whole file, token by token: every top-level object, xref, trailer */
ch_check_e pdf_walk(pdf_t *pdf);
/* the objects of one object stream, its data decoded */
ch_check_e pdf_objstm(pdf_t *pdf, pdf_objstm_t *st);


/* --- ch_pdf_xref.c ------------------------------------------------------- */

/* the header, %%EOF and startxref */
ch_check_e pdf_frame(pdf_t *pdf);
/* "trailer" << .. >> */
ch_check_e pdf_trailer(pdf_t *pdf, lex_t *lx);
/* "xref", its subsections, then the trailer */
ch_check_e pdf_xref_table(pdf_t *pdf, lex_t *lx, const tok_t *xref);
/* startxref, each /Prev and /XRefStm at an xref the walk parsed */
ch_check_e pdf_targets(pdf_t *pdf);
/* pdf->sorted: the objects by number, for pdf_lookup */
ch_check_e pdf_index(pdf_t *pdf);
/* the last definition of object num, or -1 */
long pdf_lookup(pdf_t *pdf, uint32_t num);
/* every xref entry, of tables and streams, at the object it names */
ch_check_e pdf_xrefs(pdf_t *pdf);


/* --- ch_pdf_inline.c ----------------------------------------------------- */

/* the inline images (BI .. ID .. EI) of pages' contents and forms, added
   to pdf->imgs */
ch_check_e pdf_inline_images(pdf_t *pdf);


/* --- ch_pdf_filter.c ----------------------------------------------------- */

/* the filters of images */
enum { IF_FLATE, IF_AHX, IF_A85, IF_RL, IF_DCT, IF_BILEVEL, IF_JPX,
       IF_OTHER };

/* what one image filter may write into memory */
#define IMG_MAX_STAGE  (64u << 20)

/* one PNG-predicted row of n bytes undone in place (prev: the row above,
   NULL above the first); -1 for an unknown filter type */
int pdf_png_row(int ft, unsigned char *row, const unsigned char *prev,
    size_t n, size_t bpp);
/* one image filter (IF_AHX, IF_A85, IF_RL, IF_FLATE) undone into memory */
ch_check_e pdf_unfilter(pdf_t *pdf, int f, const unsigned char *in,
    size_t len, size_t max, unsigned char **out, size_t *olen);
/* image filters fl[0 .. nf - 1] undone on the stream data at data, len:
   *out allocated, or NULL when nf is 0 */
ch_check_e pdf_prefilters(pdf_t *pdf, const int *fl, int nf, size_t data,
    size_t len, unsigned char **out, size_t *olen);
/* the same on bytes d[0 .. len - 1] anywhere (an inline image's copy) */
ch_check_e pdf_prefilters_at(pdf_t *pdf, const int *fl, int nf,
    const unsigned char *d, size_t len, unsigned char **out, size_t *olen);

/* the data of an object or xref stream: *owned when it was allocated */
ch_check_e pdf_decode(pdf_t *pdf, size_t data, size_t len, int filter,
    const pdf_pred_t *pr, unsigned char **out, size_t *olen, int *owned);


/* --- ch_pdf_inline.c ----------------------------------------------------- */

/*
 * lx readied just before the value of name (its bytes, without "/") in
 * the /Resources /<kind> of objs[res], a page (or one of the /Pages it
 * inherits them from) or a form: 0; or -1 when there is none, or it is in
 * an object stream (not read again here)
 */
int pdf_inline_resource(pdf_t *pdf, uint32_t res, const char *kind,
    const unsigned char *name, size_t len, lex_t *lx);


/* --- ch_pdf_image.c ------------------------------------------------------ */

/* what pdf_image_count did with an image */
enum { PDF_IMG_UNDECODED, PDF_IMG_COUNTED, PDF_IMG_JPEG };

/*
 * Where an image's dictionary is read: p[0 .. n - 1] from pos, which is
 * an inline image's first key (just past "BI"; the dictionary ends at
 * "ID"), and the page or form (index into objs) whose /Resources
 * /ColorSpace names its /CS.  An image XObject's (src NULL) is its
 * object's in the file.
 */
typedef struct {
    const unsigned char  *p;
    size_t                n;
    size_t                pos;
    uint32_t              res;
} pdf_dict_src_t;

/*
 * The pixels of an image: decoded and added to cc (pixels and coloured
 * pixels), *got = PDF_IMG_COUNTED (a /JPXDecode image, also after other
 * filters, by pdf_jpx_count); a JPEG (/DCTDecode, alone or after
 * other filters, as reportlab's [/ASCII85Decode /DCTDecode]): checked by
 * pdf_jpeg into ji with its /Decode, *got = PDF_IMG_JPEG; or nothing
 * added, *got = PDF_IMG_UNDECODED, when its encoding or colour space is
 * not decoded here (LZW, Lab, ...).  CH_CHECK_OK, or _DAMAGED (its
 * data is broken), _UNSUPPORTED, _TOO_MANY_PIXELS, _NO_MEMORY.
 * pdf_image_read reads the dictionary from src (an inline image's),
 * pdf_image_count an image XObject's.
 */
ch_check_e pdf_image_count(pdf_t *pdf, const pdf_image_t *im,
    ch_color_count_t *cc, ch_file_info_t *ji, int *got);
ch_check_e pdf_image_read(pdf_t *pdf, const pdf_image_t *im,
    const pdf_dict_src_t *src, ch_color_count_t *cc, ch_file_info_t *ji,
    int *got);


/* --- ch_pdf_jpx.c -------------------------------------------------------- */

/* what a JPEG 2000 image's PDF dictionary says of its colour */
typedef struct {
    int                   comps;    /* its /ColorSpace: 1 grey, 3 RGB, 4
                                       CMYK; 0 none: the JPX's own */
    int                   indexed;  /* an /Indexed space: 1 component, an
                                       index into pal */
    unsigned              hival;
    const unsigned char  *pal;      /* indexed: entry i coloured, 0..hival */
    int                   smask_in_data;    /* /SMaskInData 1 or 2 */
} pdf_jpx_cs_t;

/*
 * The JPEG 2000 data d[0 .. len - 1] (a JP2 file or a raw codestream) of
 * image num, whose dictionary says width x height: decoded by OpenJPEG at
 * a reduced resolution and its pixels counted into cc, weighed as width x
 * height pixels.  CH_CHECK_OK; _DAMAGED (not JPEG 2000, truncated,
 * corrupt, its size or components not the dictionary's);
 * _TOO_MANY_PIXELS; _UNSUPPORTED (a feature OpenJPEG does not decode);
 * _NO_MEMORY.  Refusals are said in pdf->info->detail.
 */
ch_check_e pdf_jpx_count(pdf_t *pdf, unsigned num, const unsigned char *d,
    size_t len, int64_t width, int64_t height, const pdf_jpx_cs_t *cs,
    ch_color_count_t *cc);

#pragma GCC visibility pop

#endif /* CH_PDF_INT_H */
