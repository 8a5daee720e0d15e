/*
 * Form fields against a specification: see ch_fields.h.
 */

#include <stdio.h>
#include <string.h>

#include "ch_fields.h"
#include "ch_realname.h"
#include "ch_validate.h"


static ch_field_refusal_e ch_field_refusal(ch_invalid_e rc);
static int ch_field_refuse(ch_field_error_t *err, const ch_field_spec_t *spec,
    ch_field_refusal_e why);


/*
 * Every kind's messages, with {label}, {min} and {max} for the spec's; the
 * last row is what a kind without its own says.  tools/field-rules.c prints
 * this table for the website, so the page says what the server would.
 */
static const char *const  ch_field_texts[CH_FIELD_KINDS + 1][CH_REFUSALS] = {

    [CH_FIELD_TEXT] = {
        [CH_REFUSED_LENGTH] = "{label}应为{min}-{max}个字",
        [CH_REFUSED_TOO_LONG] = "{label}不能超过{max}个字",
        [CH_REFUSED_OTHER] = "{label}含有不允许的字符",
    },

    [CH_FIELD_ID_NUMBER] = {
        [CH_REFUSED_LENGTH] = "{label}应为18位",
        [CH_REFUSED_CHARS] = "{label}只能由数字和字母X组成",
        [CH_REFUSED_DATE] = "{label}中的出生日期不正确",
        [CH_REFUSED_CHECK] = "{label}校验位错误",
        [CH_REFUSED_OTHER] = "{label}格式不正确",
    },

    [CH_FIELD_USCC] = {
        [CH_REFUSED_LENGTH] = "{label}应为18位",
        [CH_REFUSED_CHARS] = "{label}含有无效字符",
        [CH_REFUSED_CHECK] = "{label}校验位错误",
        [CH_REFUSED_OTHER] = "{label}格式不正确",
    },

    [CH_FIELD_TAXPAYER_ID] = {
        [CH_REFUSED_LENGTH] = "{label}应为15、17、18或20位",
        [CH_REFUSED_CHARS] = "{label}含有无效字符",
        [CH_REFUSED_CHECK] = "{label}校验位错误",
        [CH_REFUSED_OTHER] = "{label}格式不正确",
    },

    [CH_FIELD_PHONE] = { [CH_REFUSED_OTHER] = "请输入正确的11位{label}" },
    [CH_FIELD_EMAIL] = { [CH_REFUSED_OTHER] = "请输入正确的{label}" },
    [CH_FIELD_POSTAL_CODE] = { [CH_REFUSED_OTHER] = "{label}应为6位数字" },

    [CH_FIELD_CHOICE] = {
        [CH_REFUSED_MISSING] = "请选择{label}",
        [CH_REFUSED_OTHER] = "请选择正确的{label}",
    },

    [CH_FIELD_FLAG] = {
        [CH_REFUSED_MISSING] = "请选择{label}",
        [CH_REFUSED_OTHER] = "{label}应为1或0",
    },

    [CH_FIELD_NUMBER] = {
        [CH_REFUSED_TOO_LARGE] = "{label}不能大于{max}",
        [CH_REFUSED_OTHER] = "{label}不正确",
    },

    [CH_FIELD_DATE] = {
        [CH_REFUSED_OTHER] = "{label}应为正确的日期（如2026-01-31）",
    },

    [CH_FIELD_REAL_NAME] = {
        [CH_REFUSED_OTHER] = "{label}应为1-{max}个字符，前后不能有空格",
    },

    /* the account forms: the words their handlers have always answered */

    [CH_FIELD_SMS_PURPOSE] = {
        [CH_REFUSED_MISSING] = "{label}应为注册、登录或重置密码",
        [CH_REFUSED_OTHER] = "{label}应为注册、登录或重置密码",
    },

    [CH_FIELD_NEW_PASSWORD] = {
        [CH_REFUSED_MISSING] = "请设置登录{label}",
        [CH_REFUSED_LENGTH] = "{label}长度应为{min}-{max}位",
        [CH_REFUSED_WEAK] = "{label}须同时包含字母和数字",
        [CH_REFUSED_OTHER] = "{label}含有不允许的字符",
    },

    [CH_FIELD_PASSWORD] = {
        [CH_REFUSED_MISSING] = "请输入登录{label}",
        [CH_REFUSED_OTHER] = "{label}过长",
    },

    [CH_FIELD_SMS_CODE] = { [CH_REFUSED_OTHER] = "{label}为{max}位数字" },

    [CH_FIELD_KINDS] = {
        [CH_REFUSED_MISSING] = "请输入{label}",
        [CH_REFUSED_OTHER] = "{label}不正确",
    },
};


/* what an SMS code is for (api.sms_code_request's purpose) */
static const char *const  ch_sms_purposes[] = {
    "register", "login", "reset", NULL
};


static const char *const  ch_field_kind_names[CH_FIELD_KINDS + 1] = {
    [CH_FIELD_TEXT] = "text",
    [CH_FIELD_MULTILINE] = "multiline",
    [CH_FIELD_ID_NUMBER] = "id_number",
    [CH_FIELD_USCC] = "uscc",
    [CH_FIELD_TAXPAYER_ID] = "taxpayer_id",
    [CH_FIELD_PERSON_TAXPAYER_ID] = "person_taxpayer_id",
    [CH_FIELD_PHONE] = "phone",
    [CH_FIELD_EMAIL] = "email",
    [CH_FIELD_POSTAL_CODE] = "postal_code",
    [CH_FIELD_CHOICE] = "choice",
    [CH_FIELD_FLAG] = "flag",
    [CH_FIELD_NUMBER] = "number",
    [CH_FIELD_DATE] = "date",
    [CH_FIELD_REAL_NAME] = "real_name",
    [CH_FIELD_ACCOUNT_PHONE] = "account_phone",
    [CH_FIELD_SMS_PURPOSE] = "sms_purpose",
    [CH_FIELD_NEW_PASSWORD] = "new_password",
    [CH_FIELD_PASSWORD] = "password",
    [CH_FIELD_SMS_CODE] = "sms_code",
    [CH_FIELD_KINDS] = "any",
};

static const char *const  ch_field_refusal_names[CH_REFUSALS] = {
    [CH_REFUSED_NONE] = "none",
    [CH_REFUSED_MISSING] = "missing",
    [CH_REFUSED_LENGTH] = "length",
    [CH_REFUSED_TOO_LONG] = "too_long",
    [CH_REFUSED_CHARS] = "chars",
    [CH_REFUSED_SHAPE] = "shape",
    [CH_REFUSED_DATE] = "date",
    [CH_REFUSED_CHECK] = "check",
    [CH_REFUSED_TOO_LARGE] = "too_large",
    [CH_REFUSED_WEAK] = "weak",
    [CH_REFUSED_OTHER] = "other",
};


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
    ch_field_refusal_e      why;
    const unsigned char    *in;
    const ch_form_field_t  *f;

    err->field = NULL;
    err->why = CH_REFUSED_NONE;
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

        if (f != NULL && f->value_len && ch_field_as_typed(spec[i].kind)) {
            /* "%00" is not missing, but reads as empty */
            in = (const unsigned char *) f->value;
            len = strlen(f->value);

        } else {
            len = f ? f->value_len : 0;
            in = f ? ch_trim((const unsigned char *) f->value, &len) : NULL;

            if (len == 0) {
                if (spec[i].required) {
                    return ch_field_refuse(err, &spec[i], CH_REFUSED_MISSING);
                }

                continue;
            }
        }

        /* every normal form is at most the value, or 8 bytes ("f", ids) */
        need = len + 8;

        if (need > size) {
            err->field = spec[i].name;
            snprintf(err->message, sizeof(err->message), "提交的内容过多");
            return -1;
        }

        why = ch_field_value_check(&spec[i], in, len, today, buf);

        if (why != CH_REFUSED_NONE) {
            return ch_field_refuse(err, &spec[i], why);
        }

        values[i] = buf;
        need = strlen(buf) + 1;
        buf += need;
        size -= need;
    }

    return 0;
}


ch_field_refusal_e
ch_field_value_check(const ch_field_spec_t *spec, const unsigned char *in,
    size_t len, long today, char *out)
{
    long                 date;
    size_t               i;
    ch_invalid_e         rc;
    const char *const   *c;
    unsigned long long   number;

    rc = CH_VALID;

    switch (spec->kind) {

    case CH_FIELD_TEXT:
    case CH_FIELD_MULTILINE:
        rc = ch_text_check(in, len, spec->min, spec->max,
                           spec->kind == CH_FIELD_MULTILINE);

        if (rc == CH_INVALID_LENGTH) {
            /* "2-100 characters", or only "at most 100" when 1 will do */
            return spec->min > 1 ? CH_REFUSED_LENGTH : CH_REFUSED_TOO_LONG;
        }

        break;

    case CH_FIELD_ID_NUMBER:
        return ch_field_refusal(ch_id_number_check(in, len, today, out));

    case CH_FIELD_PERSON_TAXPAYER_ID:
        /* individuals' taxpayer number is their ID number */
        if (len == CH_ID_LEN
            && ch_id_number_check(in, len, today, out) == CH_VALID)
        {
            return CH_REFUSED_NONE;
        }

        /* fall through */

    case CH_FIELD_TAXPAYER_ID:
        return ch_field_refusal(ch_taxpayer_id_check(in, len, out));

    case CH_FIELD_USCC:
        return ch_field_refusal(ch_uscc_check(in, len, out));

    case CH_FIELD_PHONE:
    case CH_FIELD_ACCOUNT_PHONE:
        return ch_field_refusal(ch_phone_check(in, len, out));

    case CH_FIELD_EMAIL:
        rc = ch_email_check(in, len);
        break;

    case CH_FIELD_POSTAL_CODE:
        rc = ch_postal_code_check(in, len);
        break;

    case CH_FIELD_CHOICE:
    case CH_FIELD_SMS_PURPOSE:
        for (c = ch_field_choices(spec); c && *c; c++) {
            if (strlen(*c) == len && memcmp(*c, in, len) == 0) {
                break;
            }
        }

        if (c == NULL || *c == NULL) {
            return CH_REFUSED_OTHER;
        }

        break;

    case CH_FIELD_FLAG:
        if ((len == 1 && in[0] == '1')
            || (len == 4 && memcmp(in, "true", 4) == 0)
            || (len == 2 && memcmp(in, "on", 2) == 0))
        {
            strcpy(out, "t");
            return CH_REFUSED_NONE;
        }

        if ((len == 1 && in[0] == '0')
            || (len == 5 && memcmp(in, "false", 5) == 0)
            || (len == 3 && memcmp(in, "off", 3) == 0))
        {
            strcpy(out, "f");
            return CH_REFUSED_NONE;
        }

        return CH_REFUSED_OTHER;

    case CH_FIELD_NUMBER:
        if (len > 18 || in[0] == '0') {
            return CH_REFUSED_SHAPE;
        }

        number = 0;

        for (i = 0; i < len; i++) {
            if (in[i] < '0' || in[i] > '9') {
                return CH_REFUSED_SHAPE;
            }

            number = number * 10 + (unsigned long long) (in[i] - '0');
        }

        if (spec->max && number > spec->max) {
            return CH_REFUSED_TOO_LARGE;
        }

        break;

    case CH_FIELD_DATE:
        rc = ch_date_check(in, len, &date);
        break;

    case CH_FIELD_REAL_NAME:
        rc = ch_realname_name_check(in, len);
        break;

    case CH_FIELD_NEW_PASSWORD:
        rc = ch_password_check(in, len);
        break;

    case CH_FIELD_PASSWORD:
        /* only bounded: hashing a megabyte would be work for nothing */
        if (len > spec->max) {
            return CH_REFUSED_TOO_LONG;
        }

        break;

    case CH_FIELD_SMS_CODE:
        if (len != CH_SMS_CODE_LEN) {
            return CH_REFUSED_OTHER;
        }

        for (i = 0; i < len; i++) {
            if (in[i] < '0' || in[i] > '9') {
                return CH_REFUSED_OTHER;
            }
        }

        break;

    default:
        return CH_REFUSED_OTHER;
    }

    if (rc != CH_VALID) {
        return ch_field_refusal(rc);
    }

    /* the kinds whose normal form is the value itself */

    memcpy(out, in, len);
    out[len] = '\0';

    return CH_REFUSED_NONE;
}


/* a validator's verdict as a refusal (ch_validate.h) */

static ch_field_refusal_e
ch_field_refusal(ch_invalid_e rc)
{
    switch (rc) {
    case CH_VALID:
        return CH_REFUSED_NONE;
    case CH_INVALID_LENGTH:
        return CH_REFUSED_LENGTH;
    case CH_INVALID_CHARS:
        return CH_REFUSED_CHARS;
    case CH_INVALID_SHAPE:
        return CH_REFUSED_SHAPE;
    case CH_INVALID_DATE:
        return CH_REFUSED_DATE;
    case CH_INVALID_CHECK:
        return CH_REFUSED_CHECK;
    case CH_INVALID_WEAK:
        return CH_REFUSED_WEAK;
    default:
        return CH_REFUSED_OTHER;
    }
}


static int
ch_field_refuse(ch_field_error_t *err, const ch_field_spec_t *spec,
    ch_field_refusal_e why)
{
    err->field = spec->name;
    err->why = why;
    ch_field_message(spec, why, err->message, sizeof(err->message));

    return -1;
}


const char *
ch_field_message_text(ch_field_kind_e kind, ch_field_refusal_e why)
{
    if ((unsigned) kind > CH_FIELD_KINDS || (unsigned) why >= CH_REFUSALS) {
        return NULL;
    }

    return ch_field_texts[kind][why];
}


ch_field_kind_e
ch_field_texts_of(ch_field_kind_e kind)
{
    switch (kind) {

    case CH_FIELD_MULTILINE:
        return CH_FIELD_TEXT;

    case CH_FIELD_PERSON_TAXPAYER_ID:
        return CH_FIELD_TAXPAYER_ID;

    case CH_FIELD_ACCOUNT_PHONE:
        return CH_FIELD_PHONE;

    default:
        return kind;
    }
}


void
ch_field_message(const ch_field_spec_t *spec, ch_field_refusal_e why,
    char *out, size_t size)
{
    int              n;
    size_t           len;
    const char      *text, *p, *end;
    ch_field_kind_e  kind;

    if (size == 0) {
        return;
    }

    /* the kind's own, what every kind says, the kind's, every kind's */

    kind = ch_field_texts_of(spec->kind);

    text = ch_field_message_text(kind, why);

    if (text == NULL) {
        text = ch_field_message_text(CH_FIELD_KINDS, why);
    }

    if (text == NULL) {
        text = ch_field_message_text(kind, CH_REFUSED_OTHER);
    }

    if (text == NULL) {
        text = ch_field_message_text(CH_FIELD_KINDS, CH_REFUSED_OTHER);
    }

    /* {label}, {min} and {max} filled in; the text cut short if it must */

    len = 0;
    out[0] = '\0';

    for (p = text; *p && len + 1 < size; p = end) {
        if (strncmp(p, "{label}", 7) == 0) {
            n = snprintf(out + len, size - len, "%s", spec->label);
            end = p + 7;

        } else if (strncmp(p, "{min}", 5) == 0) {
            n = snprintf(out + len, size - len, "%zu", spec->min);
            end = p + 5;

        } else if (strncmp(p, "{max}", 5) == 0) {
            n = snprintf(out + len, size - len, "%zu", spec->max);
            end = p + 5;

        } else {
            out[len] = *p;
            out[len + 1] = '\0';
            n = 1;
            end = p + 1;
        }

        len += (size_t) n;

        if (len >= size) {
            len = size - 1;
            break;
        }
    }

    out[len] = '\0';
}


int
ch_field_as_typed(ch_field_kind_e kind)
{
    switch (kind) {

    case CH_FIELD_ACCOUNT_PHONE:
    case CH_FIELD_SMS_PURPOSE:
    case CH_FIELD_NEW_PASSWORD:
    case CH_FIELD_PASSWORD:
    case CH_FIELD_SMS_CODE:
        return 1;

    default:
        return 0;
    }
}


const char *const *
ch_field_choices(const ch_field_spec_t *spec)
{
    return spec->kind == CH_FIELD_SMS_PURPOSE ? ch_sms_purposes
                                              : spec->choices;
}


const char *
ch_field_kind_name(ch_field_kind_e kind)
{
    return (unsigned) kind <= CH_FIELD_KINDS ? ch_field_kind_names[kind] : NULL;
}


const char *
ch_field_refusal_name(ch_field_refusal_e why)
{
    return (unsigned) why < CH_REFUSALS ? ch_field_refusal_names[why] : NULL;
}
