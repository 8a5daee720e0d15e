/*
 * libFuzzer target: the image decoder of the PDF checker
 * (lib/ch_pdf_image.c, lib/ch_pdf_filter.c's image filters,
 * lib/ch_pdf_jpx.c's JPEG 2000) on arbitrary image data.  The first byte
 * picks one of the image dictionaries below (a filter chain, a colour
 * space, a depth, a predictor, JPEG 2000), the next two its width and
 * height (1 .. 256; JPEG 2000: its SIZ's size); the rest is the image's
 * stream data, framed in a well-formed one-page PDF, so that the fuzzer
 * spends its time in the decoding and not in the PDF's structure
 * (fuzz_pdf does that).  Checks what the result promises: a code the
 * decoder may give (OK, damaged, unsupported, too many pixels, no
 * memory), "pdf: ..." when refused, an accepted page's info consistent,
 * the same answer twice.
 */

#include <stdio.h>

#include "fuzz_filecheck.h"


static const char  *dicts[] = {
    "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
    "/ColorSpace /DeviceRGB /BitsPerComponent 8",
    "/ColorSpace /DeviceCMYK /BitsPerComponent 8 /Filter /FlateDecode",
    "/ColorSpace /DeviceRGB /BitsPerComponent 16 /Filter /FlateDecode",
    "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /RunLengthDecode",
    "/ColorSpace [/Indexed /DeviceRGB 3 <ff0000 00ff00 808080 000000>] "
        "/BitsPerComponent 2 /Filter /FlateDecode",
    "/ColorSpace [/Indexed /DeviceCMYK 1 (abcdefgh)] /BitsPerComponent 4 "
        "/Filter /ASCIIHexDecode",
    "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode "
        "/DecodeParms << /Predictor 15 /Colors 3 /Columns 16 >>",
    "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode "
        "/DecodeParms << /Predictor 2 /Colors 3 /Columns 16 >>",
    "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter "
        "[/ASCII85Decode /FlateDecode] /DecodeParms [null "
        "<< /Predictor 12 /Colors 3 /BitsPerComponent 8 /Columns 7 >>]",
    "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter "
        "[/ASCII85Decode /DCTDecode]",
    "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter "
        "[/RunLengthDecode /AHx /A85 /Fl]",
    /* JPEG 2000 (lib/ch_pdf_jpx.c): the size is its SIZ's, see jpx_size */
    "/Filter /JPXDecode",
    "/ColorSpace /DeviceRGB /Filter /JPXDecode",
    "/ColorSpace /DeviceCMYK /SMaskInData 1 /Filter /JPXDecode",
    "/ColorSpace [/Indexed /DeviceRGB 3 <ff0000 00ff00 808080 000000>] "
        "/Filter /JPXDecode",
};

#define FIRST_JPX  12


/*
 * A JPEG 2000 image's size as its SIZ marker says (found in the first
 * bytes), so that inputs reach OpenJPEG rather than stopping at a size
 * other than the dictionary's; else the bytes' w, h
 */
static void
jpx_size(const uint8_t *p, size_t n, unsigned *w, unsigned *h)
{
    size_t    i;
    uint32_t  v[4];
    int       k;

    for (i = 0; i + 22 <= n && i < 256; i++) {
        if (p[i] != 0xff || p[i + 1] != 0x51) {
            continue;
        }
        for (k = 0; k < 4; k++) {
            v[k] = (uint32_t) p[i + 6 + 4 * k] << 24
                   | (uint32_t) p[i + 7 + 4 * k] << 16
                   | (uint32_t) p[i + 8 + 4 * k] << 8 | p[i + 9 + 4 * k];
        }
        if (v[2] < v[0] && v[3] < v[1] && v[0] - v[2] <= 4096
            && v[1] - v[3] <= 4096)
        {
            *w = v[0] - v[2];
            *h = v[1] - v[3];
        }
        return;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ch_file_info_t   a, b;
    unsigned char   *pdf;
    size_t           n = 0, cap, off[6], x, d;
    unsigned         w, h;
    ch_check_e       rc, rc2;
    int              i;

    if (size < 3) {
        return 0;
    }

    cap = size + 2048;
    pdf = malloc(cap);
    if (pdf == NULL) {
        return 0;
    }

#define PUT(...)  n += (size_t) snprintf((char *) pdf + n, cap - n, __VA_ARGS__)

    PUT("%%PDF-1.7\n");
    off[1] = n;
    PUT("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = n;
    PUT("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    off[3] = n;
    PUT("3 0 obj\n<< /Type /Page /Parent 2 0 R /Resources << /XObject "
        "<< /Im0 5 0 R >> >> /Contents 4 0 R >>\nendobj\n");
    off[4] = n;
    PUT("4 0 obj\n<< /Length 7 >>\nstream\n/Im0 Do\nendstream\nendobj\n");
    off[5] = n;
    d = data[0] % (sizeof(dicts) / sizeof(dicts[0]));
    w = data[1] + 1u;
    h = data[2] + 1u;
    if (d >= FIRST_JPX) {
        jpx_size(data + 3, size - 3, &w, &h);
    }
    PUT("5 0 obj\n<< /Type /XObject /Subtype /Image /Width %u /Height %u "
        "%s /Length %zu >>\nstream\n", w, h, dicts[d], size - 3);
    memcpy(pdf + n, data + 3, size - 3);
    n += size - 3;
    PUT("\nendstream\nendobj\n");
    x = n;
    PUT("xref\n0 6\n0000000000 65535 f \n");
    for (i = 1; i <= 5; i++) {
        PUT("%010zu 00000 n \n", off[i]);
    }
    PUT("trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", x);

    rc = ch_pdf_check(pdf, n, &a);

    switch (rc) {
    case CH_CHECK_OK:
        if (!fuzz_accepted_info_ok(&a) || a.detail[0] != '\0') {
            abort();
        }
        break;
    case CH_CHECK_DAMAGED:
    case CH_CHECK_UNSUPPORTED:
    case CH_CHECK_TOO_MANY_PIXELS:
    case CH_CHECK_NO_MEMORY:
        if (strncmp(a.detail, "pdf: ", 5) != 0) {
            abort();
        }
        break;
    default:
        /* the frame around the data is well formed: nothing else */
        abort();
    }

    rc2 = ch_pdf_check(pdf, n, &b);
    if (rc2 != rc || memcmp(&a, &b, sizeof(a)) != 0) {
        abort();
    }

    free(pdf);

    return 0;
}
