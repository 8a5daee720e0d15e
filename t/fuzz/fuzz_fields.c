/*
 * libFuzzer target: a form body parsed (lib/ch_form.c) and checked against
 * a specification with a field of every kind (lib/ch_fields.c).  The
 * buffer is exactly the size ch_fields_buf_size() asks for, so ASan sees
 * any overrun; accepted values are NUL-terminated inside it, a refusal
 * always names a field and says something.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_fields.h"


static const char *const  choices[] = { "express", "pickup", NULL };

static const ch_field_spec_t  spec[] = {
    { "a", "文本", CH_FIELD_TEXT, 0, 2, 20, NULL },
    { "b", "多行", CH_FIELD_MULTILINE, 0, 0, 20, NULL },
    { "c", "身份证", CH_FIELD_ID_NUMBER, 0, 0, 0, NULL },
    { "d", "信用代码", CH_FIELD_USCC, 0, 0, 0, NULL },
    { "e", "税号", CH_FIELD_TAXPAYER_ID, 0, 0, 0, NULL },
    { "f", "手机", CH_FIELD_PHONE, 0, 0, 0, NULL },
    { "g", "邮箱", CH_FIELD_EMAIL, 0, 0, 0, NULL },
    { "h", "邮编", CH_FIELD_POSTAL_CODE, 0, 0, 0, NULL },
    { "i", "方式", CH_FIELD_CHOICE, 0, 0, 0, choices },
    { "j", "同意", CH_FIELD_FLAG, 0, 0, 0, NULL },
    { "k", "编号", CH_FIELD_NUMBER, 0, 0, 0, NULL },
    { "m", "个人税号", CH_FIELD_PERSON_TAXPAYER_ID, 0, 0, 0, NULL },
    { "n", "日期", CH_FIELD_DATE, 0, 0, 0, NULL },
    { "o", "页码", CH_FIELD_NUMBER, 0, 0, 1000, NULL },
    { "l", "必填", CH_FIELD_TEXT, 1, 1, 5, NULL },
};

#define NSPEC  (sizeof(spec) / sizeof(spec[0]))


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char              *text, *out;
    size_t             n, i, err_at, need;
    const char        *values[NSPEC];
    ch_form_field_t    fields[32];
    ch_field_error_t   err;

    text = malloc(size * 2 + 2);
    if (text == NULL) {
        abort();
    }

    if (ch_form_parse(data, size, fields, 32, &n, text, &err_at)
        != CH_FORM_OK)
    {
        free(text);
        return 0;
    }

    need = ch_fields_buf_size(fields, n, NSPEC);
    out = malloc(need);
    if (out == NULL) {
        abort();
    }

    if (ch_fields_check(fields, n, spec, NSPEC, size & 1, 20261121L, values,
                        out, need, &err)
        == 0)
    {
        for (i = 0; i < NSPEC; i++) {
            if (values[i]
                && (values[i] < out || values[i] + strlen(values[i]) >= out + need))
            {
                abort();
            }
        }

        if (values[NSPEC - 1] == NULL) {
            abort();    /* a required field cannot be missing */
        }

    } else if (err.field == NULL || err.message[0] == '\0') {
        abort();
    }

    free(out);
    free(text);

    return 0;
}
