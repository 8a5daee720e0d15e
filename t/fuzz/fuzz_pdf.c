/*
 * libFuzzer target: ch_pdf_check (lib/ch_pdf.c) on arbitrary bytes, given
 * an exact-size copy so that ASan sees any read past the end.  Checks what
 * the result promises: a known code; a NUL-terminated detail that says
 * "pdf: ..." when refused and nothing when accepted; an accepted PDF has
 * an image within the pixel limits and colour exactly when its per mille
 * reaches the rule; and the same bytes give the same answer twice (no
 * state is kept between calls).
 */

#include "fuzz_filecheck.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ch_file_info_t   a, b;
    unsigned char   *copy;
    ch_check_e       rc, rc2;

    copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);

    rc = ch_pdf_check(copy, size, &a);

    if (memchr(a.detail, '\0', sizeof(a.detail)) == NULL
        || a.type != CH_FILE_PDF)
    {
        abort();
    }

    switch (rc) {

    case CH_CHECK_OK:
        if (!fuzz_accepted_info_ok(&a)) {
            abort();
        }
        break;

    case CH_CHECK_DAMAGED:
    case CH_CHECK_TRAILING_DATA:
    case CH_CHECK_UNSUPPORTED:
    case CH_CHECK_TOO_MANY_PIXELS:
    case CH_CHECK_PDF_MALFORMED:
    case CH_CHECK_PDF_ACTIVE:
    case CH_CHECK_PDF_ENCRYPTED:
    case CH_CHECK_PDF_NO_IMAGE:
    case CH_CHECK_NO_MEMORY:
        if (strncmp(a.detail, "pdf: ", 5) != 0) {
            abort();
        }
        break;

    default:
        abort();
    }

    rc2 = ch_pdf_check(copy, size, &b);
    if (rc2 != rc || memcmp(&a, &b, sizeof(a)) != 0) {
        abort();
    }

    free(copy);

    return 0;
}
