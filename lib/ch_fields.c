/*
 * Form fields against a specification: see ch_fields.h.
 */

#include <stdio.h>
#include <string.h>

#include "ch_fields.h"
#include "ch_validate.h"


static int ch_field_check(const ch_field_spec_t *spec,
    const unsigned char *in, size_t len, long today, char *out,
    ch_field_error_t *err);
static int ch_field_refuse(ch_field_error_t *err, const ch_field_spec_t *spec,
    const char *fmt);


size_t
ch_fields_buf_size(const ch_form_field_t *fields, size_t nfields,
    size_t nspec)
{
    size_t  i, size;

    size = nspec * 8;

    for (i = 0; i < nfields; i++) {
        size += fields[i].value_len + 1;
    }

    return size;
}


int
ch_fields_check(const ch_form_field_t *fields, size_t nfields,
    const ch_field_spec_t *spec, size_t nspec, int strict, long today,
    const char **values, char *buf, size_t size, ch_field_error_t *err)
{
    size_t                  i, j, len, need;
    const unsigned char    *in;
    const ch_form_field_t  *f;

    err->field = NULL;
    err->message[0] = '\0';

    if (strict) {
        for (i = 0; i < nfields; i++) {
            for (j = 0; j < nspec; j++) {
                if (strcmp(fields[i].name, spec[j].name) == 0) {
                    break;
                }
            }

            if (j == nspec) {
                err->field = fields[i].name;
                snprintf(err->message, sizeof(err->message),
                         "此处不填写该项");
                return -1;
            }
        }
    }

    for (i = 0; i < nspec; i++) {
        values[i] = NULL;

        f = ch_form_get(fields, nfields, spec[i].name);

        len = f ? f->value_len : 0;
        in = f ? ch_trim((const unsigned char *) f->value, &len) : NULL;

        if (len == 0) {
            if (spec[i].required) {
                return ch_field_refuse(err, &spec[i],
                                       spec[i].kind == CH_FIELD_CHOICE
                                       || spec[i].kind == CH_FIELD_FLAG
                                       ? "请选择%s" : "请输入%s");
            }

            continue;
        }

        /* every normal form is at most the value, or 8 bytes ("f", ids) */
        need = len + 8;

        if (need > size) {
            err->field = spec[i].name;
            snprintf(err->message, sizeof(err->message), "提交的内容过多");
            return -1;
        }

        if (ch_field_check(&spec[i], in, len, today, buf, err) != 0) {
            return -1;
        }

        values[i] = buf;
        need = strlen(buf) + 1;
        buf += need;
        size -= need;
    }

    return 0;
}


static int
ch_field_check(const ch_field_spec_t *spec, const unsigned char *in,
    size_t len, long today, char *out, ch_field_error_t *err)
{
    long                 date;
    size_t               i;
    ch_invalid_e         rc;
    const char *const   *c;
    unsigned long long   number;

    switch (spec->kind) {

    case CH_FIELD_TEXT:
    case CH_FIELD_MULTILINE:
        rc = ch_text_check(in, len, spec->min, spec->max,
                           spec->kind == CH_FIELD_MULTILINE);

        if (rc == CH_INVALID_LENGTH) {
            if (spec->min > 1) {
                snprintf(err->message, sizeof(err->message), "%s应为%zu-%zu个字",
                         spec->label, spec->min, spec->max);
            } else {
                snprintf(err->message, sizeof(err->message), "%s不能超过%zu个字",
                         spec->label, spec->max);
            }

            err->field = spec->name;
            return -1;
        }

        if (rc != CH_VALID) {
            return ch_field_refuse(err, spec, "%s含有不允许的字符");
        }

        memcpy(out, in, len);
        out[len] = '\0';
        return 0;

    case CH_FIELD_ID_NUMBER:
        switch (ch_id_number_check(in, len, today, out)) {
        case CH_VALID:
            return 0;
        case CH_INVALID_LENGTH:
            return ch_field_refuse(err, spec, "%s应为18位");
        case CH_INVALID_CHARS:
            return ch_field_refuse(err, spec, "%s只能由数字和字母X组成");
        case CH_INVALID_DATE:
            return ch_field_refuse(err, spec, "%s中的出生日期不正确");
        case CH_INVALID_CHECK:
            return ch_field_refuse(err, spec, "%s校验位错误");
        default:
            return ch_field_refuse(err, spec, "%s格式不正确");
        }

    case CH_FIELD_PERSON_TAXPAYER_ID:
        /* individuals' taxpayer number is their ID number */
        if (len == CH_ID_LEN
            && ch_id_number_check(in, len, today, out) == CH_VALID)
        {
            return 0;
        }

        /* fall through */

    case CH_FIELD_USCC:
    case CH_FIELD_TAXPAYER_ID:
        rc = spec->kind == CH_FIELD_USCC ? ch_uscc_check(in, len, out)
                                         : ch_taxpayer_id_check(in, len, out);
        switch (rc) {
        case CH_VALID:
            return 0;
        case CH_INVALID_LENGTH:
            return ch_field_refuse(err, spec,
                                   spec->kind == CH_FIELD_USCC
                                   ? "%s应为18位" : "%s应为15、17、18或20位");
        case CH_INVALID_CHARS:
            return ch_field_refuse(err, spec, "%s含有无效字符");
        case CH_INVALID_CHECK:
            return ch_field_refuse(err, spec, "%s校验位错误");
        default:
            return ch_field_refuse(err, spec, "%s格式不正确");
        }

    case CH_FIELD_PHONE:
        if (ch_phone_check(in, len, out) != CH_VALID) {
            return ch_field_refuse(err, spec, "请输入正确的11位%s");
        }

        return 0;

    case CH_FIELD_EMAIL:
        if (ch_email_check(in, len) != CH_VALID) {
            return ch_field_refuse(err, spec, "请输入正确的%s");
        }

        memcpy(out, in, len);
        out[len] = '\0';
        return 0;

    case CH_FIELD_POSTAL_CODE:
        if (ch_postal_code_check(in, len) != CH_VALID) {
            return ch_field_refuse(err, spec, "%s应为6位数字");
        }

        memcpy(out, in, len);
        out[len] = '\0';
        return 0;

    case CH_FIELD_CHOICE:
        for (c = spec->choices; c && *c; c++) {
            if (strlen(*c) == len && memcmp(*c, in, len) == 0) {
                memcpy(out, in, len);
                out[len] = '\0';
                return 0;
            }
        }

        return ch_field_refuse(err, spec, "请选择正确的%s");

    case CH_FIELD_FLAG:
        if ((len == 1 && in[0] == '1')
            || (len == 4 && memcmp(in, "true", 4) == 0)
            || (len == 2 && memcmp(in, "on", 2) == 0))
        {
            strcpy(out, "t");
            return 0;
        }

        if ((len == 1 && in[0] == '0')
            || (len == 5 && memcmp(in, "false", 5) == 0)
            || (len == 3 && memcmp(in, "off", 3) == 0))
        {
            strcpy(out, "f");
            return 0;
        }

        return ch_field_refuse(err, spec, "%s应为1或0");

    case CH_FIELD_NUMBER:
        if (len > 18 || in[0] == '0') {
            return ch_field_refuse(err, spec, "%s不正确");
        }

        number = 0;

        for (i = 0; i < len; i++) {
            if (in[i] < '0' || in[i] > '9') {
                return ch_field_refuse(err, spec, "%s不正确");
            }

            number = number * 10 + (unsigned long long) (in[i] - '0');
        }

        if (spec->max && number > spec->max) {
            snprintf(err->message, sizeof(err->message), "%s不能大于%zu",
                     spec->label, spec->max);
            err->field = spec->name;
            return -1;
        }

        memcpy(out, in, len);
        out[len] = '\0';
        return 0;

    case CH_FIELD_DATE:
        if (ch_date_check(in, len, &date) != CH_VALID) {
            return ch_field_refuse(err, spec, "%s应为正确的日期（如2026-01-31）");
        }

        memcpy(out, in, len);
        out[len] = '\0';
        return 0;
    }

    return ch_field_refuse(err, spec, "%s不正确");
}


static int
ch_field_refuse(ch_field_error_t *err, const ch_field_spec_t *spec,
    const char *fmt)
{
    err->field = spec->name;

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif

    /* fmt is one of this file's literals, with one %s for the label */
    snprintf(err->message, sizeof(err->message), fmt, spec->label);

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

    return -1;
}
