/*
 * libFuzzer target: the tax platform's answer (lib/ch_einvoice_answer.c).
 * Whatever the bytes, the parser returns 0 or -1 without reading past
 * them; an accepted answer holds what the header promises: a returncode
 * of letters and digits, and with 0000 an invoice code and number of
 * digits, a 14-digit date and exactly one of a PDF (starting "%PDF-") or
 * an https URL.  A refusal leaves nothing to free and says why.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "ch_einvoice_xml.h"


static int
all_digits(const char *s, size_t lo, size_t hi)
{
    size_t  n = strlen(s), i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }

    return n >= lo && n <= hi;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                  err[CH_EINVOICE_ERR_LEN];
    ch_einvoice_answer_t  a;

    if (ch_einvoice_answer_parse(data, size, &a, err) != 0) {
        if (err[0] == '\0' || strlen(err) >= CH_EINVOICE_ERR_LEN) {
            abort();
        }
        return 0;
    }

    if (a.returncode[0] == '\0'
        || strlen(a.returnmsg) >= sizeof(a.returnmsg))
    {
        abort();
    }

    if (!ch_einvoice_answer_issued(&a)) {
        if (a.pdf != NULL || a.pdf_url != NULL || a.fpdm[0] != '\0') {
            abort();
        }

    } else {
        if (!all_digits(a.fpdm, 10, 12) || !all_digits(a.fphm, 8, 20)
            || !all_digits(a.kprq, 14, 14)
            || (a.pdf == NULL) == (a.pdf_url == NULL)
            || (a.pdf != NULL
                && (a.pdf_len < 5 || memcmp(a.pdf, "%PDF-", 5) != 0))
            || (a.pdf_url != NULL
                && strncmp(a.pdf_url, "https://", 8) != 0))
        {
            abort();
        }
    }

    ch_einvoice_answer_free(&a);

    return 0;
}
