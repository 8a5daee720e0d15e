/*
 * The PDF tokenizer and the names the checker knows (see ch_pdf.c, rule
 * 2): comments, strings with nested parentheses and escapes, hex strings,
 * names with #xx escapes decoded, numbers, keywords.
 */

#include <stdint.h>
#include <string.h>

#include "ch_base64.h"
#include "ch_pdf_int.h"


/* --- names ---------------------------------------------------------------- */

#define PN(id, str, slot, act)  [id] = { str, sizeof(str) - 1, slot, act }

const pdf_name_t  pdf_names[N_COUNT] = {
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
    PN(N_Contents, "Contents", S_CONTENTS, 0),
    PN(N_H, "H", -1, 0),
    PN(N_CS, "CS", -1, 0),
    PN(N_F, "F", -1, 0),
    PN(N_DP, "DP", -1, 0),
    PN(N_IM, "IM", -1, 0),
    PN(N_L, "L", -1, 0),
    PN(N_BPC, "BPC", -1, 0),
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
    PN(N_Form, "Form", -1, 0),
    PN(N_ASCII85Decode, "ASCII85Decode", -1, 0),
    PN(N_A85, "A85", -1, 0),
    PN(N_ASCIIHexDecode, "ASCIIHexDecode", -1, 0),
    PN(N_AHx, "AHx", -1, 0),
    PN(N_RunLengthDecode, "RunLengthDecode", -1, 0),
    PN(N_RL, "RL", -1, 0),
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
    PN(N_AdditionalStreams, "AdditionalStreams", -1, 1),
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


/* the character classes of PDF: 1 white space, 2 delimiter, 0 regular */
const unsigned char  pdf_class[256] = {
    ['\0'] = 1, ['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1,
    ['('] = 2, [')'] = 2, ['<'] = 2, ['>'] = 2, ['['] = 2, [']'] = 2,
    ['{'] = 2, ['}'] = 2, ['/'] = 2, ['%'] = 2,
};


void
lex_init(lex_t *lx, const unsigned char *p, size_t n, size_t pos)
{
    /* the look-ahead too: gcc -O2 cannot tell nbuf guards it */
    memset(lx, 0, sizeof(*lx));
    lx->p = p;
    lx->n = n;
    lx->pos = pos;
    lx->nbuf = 0;
}


void
lex_seek(lex_t *lx, size_t pos)
{
    lx->pos = pos;
    lx->nbuf = 0;
}


/* skips white space and comments from pos */
size_t
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


void
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


const tok_t *
lex_peek(lex_t *lx, int k)
{
    while (lx->nbuf <= k) {
        lex_raw(lx, &lx->buf[lx->nbuf]);
        lx->nbuf++;
    }

    return &lx->buf[k];
}


/* the next token, with "N G R" and "N G obj" made one */
void
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
