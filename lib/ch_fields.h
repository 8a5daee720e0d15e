/*
 * Form fields checked against a specification: which fields a form has,
 * which are required, what each must be (ch_validate.h), and what goes to
 * the database (the value trimmed and normalised).  One table per form,
 * so that the module and the back office check the same form the same way
 * and every refusal names the field and says why in Chinese.
 *
 * Pure C (no nginx headers), unit-tested and fuzzed directly.
 */

#ifndef CH_FIELDS_H
#define CH_FIELDS_H

#include <stddef.h>

#include "ch_form.h"

typedef enum {
    CH_FIELD_TEXT = 0,          /* one line: min..max characters */
    CH_FIELD_MULTILINE,         /* lines: at most max characters */
    CH_FIELD_ID_NUMBER,         /* resident ID card number, X upper-case */
    CH_FIELD_USCC,              /* Unified Social Credit Code */
    CH_FIELD_TAXPAYER_ID,       /* 纳税人识别号 (ch_taxpayer_id_check) */
    CH_FIELD_PERSON_TAXPAYER_ID, /* a person's: the same, or an ID number */
    CH_FIELD_PHONE,             /* mainland mobile number, 11 digits */
    CH_FIELD_EMAIL,
    CH_FIELD_POSTAL_CODE,
    CH_FIELD_CHOICE,            /* one of choices */
    CH_FIELD_FLAG,              /* 1/0, true/false, on/off: "t" or "f" */
    CH_FIELD_NUMBER,            /* an id or count: 1 to max (0: 10^18 - 1) */
    CH_FIELD_DATE,              /* yyyy-mm-dd */
    CH_FIELD_REAL_NAME,         /* for real-name verification: at most max
                                   characters (ch_realname_name_check) */

    /*
     * The account forms' kinds take a value as it was sent (see
     * ch_field_as_typed()): a password is what was typed, blanks too.
     */
    CH_FIELD_ACCOUNT_PHONE,     /* CH_FIELD_PHONE's check and messages */
    CH_FIELD_SMS_PURPOSE,       /* what an SMS code is for: register,
                                   login or reset (ch_field_choices()) */
    CH_FIELD_NEW_PASSWORD,      /* a password being set: the policy of
                                   ch_password_check (min, max: its limits,
                                   for the messages) */
    CH_FIELD_PASSWORD,          /* a password given to log in: at most max
                                   bytes, anything else allowed, since the
                                   policy may have changed since it was set */
    CH_FIELD_SMS_CODE,          /* CH_SMS_CODE_LEN digits */
    CH_FIELD_KINDS              /* how many there are */
} ch_field_kind_e;

#define CH_SMS_CODE_LEN  6        /* digits */

/*
 * Why a field is refused.  Each kind has its message for each (the
 * website's copy of these messages is printed from the same table, see
 * ch_field_message_text()).
 */
typedef enum {
    CH_REFUSED_NONE = 0,
    CH_REFUSED_MISSING,         /* required, and blank or absent */
    CH_REFUSED_LENGTH,          /* not min..max characters */
    CH_REFUSED_TOO_LONG,        /* over max characters (min 0 or 1) */
    CH_REFUSED_CHARS,           /* a character it may not hold */
    CH_REFUSED_SHAPE,           /* the right characters, wrongly placed */
    CH_REFUSED_DATE,            /* no real (birth) date */
    CH_REFUSED_CHECK,           /* the check character does not match */
    CH_REFUSED_TOO_LARGE,       /* a number over max */
    CH_REFUSED_WEAK,            /* a password without letters and digits */
    CH_REFUSED_OTHER,           /* anything else: the kind's own message */
    CH_REFUSALS                 /* how many there are */
} ch_field_refusal_e;

typedef struct {
    const char           *name;     /* in the form */
    const char           *label;    /* for people: 单位名称 */
    ch_field_kind_e       kind;
    int                   required;
    size_t                min;      /* characters (TEXT, MULTILINE) */
    size_t                max;      /* characters, or NUMBER's largest */
    const char *const    *choices;  /* CHOICE: NULL-terminated */
} ch_field_spec_t;

typedef struct {
    const char           *field;    /* the form field at fault, or NULL */
    ch_field_refusal_e    why;      /* CH_REFUSED_NONE: not the value's */
    char                  message[200];
} ch_field_error_t;

/*
 * Checks the form against spec[0 .. nspec - 1].  values[i] gets the
 * normalised value of spec[i] (NUL-terminated, in buf), or NULL when the
 * form lacks it or it is blank.  With strict, a form field that spec does
 * not name is refused.  today (yyyymmdd) bounds ID numbers' birth dates.
 * buf needs the sum of the fields' value lengths plus 8 bytes per spec
 * entry.  Returns 0, or -1 with err saying which field and why.
 */
int ch_fields_check(const ch_form_field_t *fields, size_t nfields,
    const ch_field_spec_t *spec, size_t nspec, int strict, long today,
    const char **values, char *buf, size_t size, ch_field_error_t *err);

/* the buffer ch_fields_check() needs for this form and spec */
size_t ch_fields_buf_size(const ch_form_field_t *fields, size_t nfields,
    size_t nspec);

/*
 * One field's value (trimmed, non-empty) checked against its spec: returns
 * CH_REFUSED_NONE with the normal form in out (len + 8 bytes), or why not.
 */
ch_field_refusal_e ch_field_value_check(const ch_field_spec_t *spec,
    const unsigned char *in, size_t len, long today, char *out);

/*
 * The message for a field refused for why, in out, with {label}, {min}
 * and {max} filled in: the text of its kind's texts (ch_field_texts_of())
 * for why, else every kind's for why, else its kind's CH_REFUSED_OTHER,
 * else every kind's.
 */
void ch_field_message(const ch_field_spec_t *spec, ch_field_refusal_e why,
    char *out, size_t size);

/*
 * A kind's own text for why (kind CH_FIELD_KINDS: every kind's), with the
 * placeholders {label}, {min} and {max}; NULL when it has none.
 */
const char *ch_field_message_text(ch_field_kind_e kind,
    ch_field_refusal_e why);

/* the kind whose texts a kind uses: a remark speaks as a line of text */
ch_field_kind_e ch_field_texts_of(ch_field_kind_e kind);

/*
 * Whether a kind's value is taken as it was sent: not trimmed, only
 * missing when empty, and read up to any NUL byte, the way the account
 * handlers have always read their fields as C strings (ch_form_parse()
 * refuses a NUL, but a caller with fields of its own may pass one).
 */
int ch_field_as_typed(ch_field_kind_e kind);

/* the values a field may have (NULL-terminated), or NULL: any */
const char *const *ch_field_choices(const ch_field_spec_t *spec);

/* names for the tools and the website: "text" ("any": CH_FIELD_KINDS), "missing" */
const char *ch_field_kind_name(ch_field_kind_e kind);
const char *ch_field_refusal_name(ch_field_refusal_e why);

#endif /* CH_FIELDS_H */
