/*
 * libFuzzer target: the image decoder of the PDF checker
 * (lib/ch_pdf_image.c, lib/ch_pdf_filter.c's image filters) on arbitrary
 * image data.  The first byte picks one of the image dictionaries below
 * (a filter chain, a colour space, a depth, a predictor), the next two
 * its width and height (1 .. 256); the rest is the image's stream data,
 * framed in a well-formed one-page PDF, so that the fuzzer spends its
 * time in the decoding and not in the PDF's structure (fuzz_pdf does
 * that).  Checks what the result promises: a code the decoder may give
 * (OK, damaged, unsupported, no memory), "pdf: ..." when refused, an
 * accepted page's info consistent, the same answer twice.
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
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ch_file_info_t   a, b;
    unsigned char   *pdf;
    size_t           n = 0, cap, off[6], x;
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
    PUT("5 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d "
        "%s /Length %zu >>\nstream\n", data[1] + 1, data[2] + 1,
        dicts[data[0] % (sizeof(dicts) / sizeof(dicts[0]))], size - 3);
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
