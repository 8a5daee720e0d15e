/*
 * libFuzzer target: the field validators on arbitrary bytes.  Whatever
 * they accept must come out in the normal form their callers store: 11
 * digits for a phone, 17 digits and a digit or X for an ID number (that
 * passes its own check again), 18 symbols of the code's alphabet.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_validate.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char    out[CH_USCC_LEN + 1], again[CH_ID_LEN + 1], masked[CH_ID_LEN + 1];
    char    phone[CH_PHONE_LEN + 1];
    size_t  i;

    /* buffers of exactly the documented size, so ASan sees any overrun */

    if (ch_phone_check(data, size, phone) == CH_VALID) {
        if (strlen(phone) != CH_PHONE_LEN || phone[0] != '1') {
            abort();
        }
        for (i = 0; i < CH_PHONE_LEN; i++) {
            if (phone[i] < '0' || phone[i] > '9') {
                abort();
            }
        }
    }

    if (ch_id_number_check(data, size, 20261121L, out) == CH_VALID) {
        if (strlen(out) != CH_ID_LEN
            || ch_id_number_check((const uint8_t *) out, CH_ID_LEN,
                                  20261121L, again) != CH_VALID
            || strcmp(out, again) != 0)
        {
            abort();
        }

        ch_id_number_mask(out, masked);
        if (strlen(masked) != CH_ID_LEN || strspn(masked + 4, "*") != 10) {
            abort();
        }
    }

    if (ch_uscc_check(data, size, out) == CH_VALID) {
        if (strlen(out) != CH_USCC_LEN
            || strspn(out, "0123456789ABCDEFGHJKLMNPQRTUWXY") != CH_USCC_LEN)
        {
            abort();
        }
    }

    (void) ch_password_check(data, size);

    {
        char                  tax[CH_TAXPAYER_ID_MAX + 1];
        long                  date;
        size_t                len;
        const unsigned char  *p;

        if (ch_taxpayer_id_check(data, size, tax) == CH_VALID
            && strspn(tax, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
               != strlen(tax))
        {
            abort();
        }

        if (ch_date_check(data, size, &date) == CH_VALID
            && (date < 19000101L || date > 29991231L))
        {
            abort();
        }

        /* accepted text has no control byte; trimming stays inside */
        if (ch_text_check(data, size, 0, 1000, 0) == CH_VALID) {
            for (i = 0; i < size; i++) {
                if (data[i] < 0x20 || data[i] == 0x7f) {
                    abort();
                }
            }
        }

        len = size;
        p = ch_trim(data, &len);
        if (p < data || p + len > data + size) {
            abort();
        }

        (void) ch_email_check(data, size);
        (void) ch_postal_code_check(data, size);
    }

    return 0;
}
