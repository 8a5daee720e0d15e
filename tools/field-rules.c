/*
 * field-rules: prints www/js/field-rules.js, the website's copy of the
 * field rules, from the C that the module checks forms with: every form's
 * fields (lib/ch_field_specs.c), every kind's messages (lib/ch_fields.c)
 * and the validators' limits (lib/ch_validate.h).  `make` runs it, so the
 * website never has a rule of its own to drift; www/js/fields.js applies
 * these the way lib/ch_fields.c does, and t/tools/field-rules.t fails when
 * the two sides disagree.
 *
 *   build/bin/field-rules > www/js/field-rules.js
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_field_specs.h"
#include "ch_fields.h"
#include "ch_validate.h"


/* a JavaScript string literal in single quotes: the text is UTF-8 */
static void
js_string(const char *s)
{
    putchar('\'');

    for ( ; *s; s++) {
        if (*s == '\'' || *s == '\\') {
            printf("\\%c", *s);

        } else if ((unsigned char) *s < 0x20) {
            printf("\\u%04x", (unsigned char) *s);

        } else {
            putchar(*s);
        }
    }

    putchar('\'');
}


static void
print_limits(void)
{
    printf("  limits: {\n"
           "    phone: %d, idNumber: %d, uscc: %d, taxpayerIdMax: %d,\n"
           "    passwordMin: %d, passwordMax: %d,\n"
           "    emailMin: %d, emailMax: %d, emailLocalMax: %d,"
           " emailLabelMax: %d,\n"
           "    postalCode: %d\n"
           "  },\n",
           CH_PHONE_LEN, CH_ID_LEN, CH_USCC_LEN, CH_TAXPAYER_ID_MAX,
           CH_PASSWORD_MIN, CH_PASSWORD_MAX,
           CH_EMAIL_MIN, CH_EMAIL_MAX, CH_EMAIL_LOCAL_MAX, CH_EMAIL_LABEL_MAX,
           CH_POSTAL_CODE_LEN);
}


static void
print_messages(void)
{
    int          kind, why, first;
    const char  *text, *sep;

    printf("  messages: {");
    sep = "\n";

    for (kind = 0; kind <= CH_FIELD_KINDS; kind++) {
        first = 1;

        for (why = 0; why < CH_REFUSALS; why++) {
            text = ch_field_message_text((ch_field_kind_e) kind,
                                         (ch_field_refusal_e) why);
            if (text == NULL) {
                continue;
            }

            if (first) {
                printf("%s    %s: {", sep,
                       ch_field_kind_name((ch_field_kind_e) kind));
                sep = ",\n";
            }

            printf("%s\n      %s: ", first ? "" : ",",
                   ch_field_refusal_name((ch_field_refusal_e) why));
            js_string(text);
            first = 0;
        }

        if (!first) {
            printf("\n    }");
        }
    }

    printf("\n  },\n  messagesOf: {");
    sep = "";

    for (kind = 0; kind < CH_FIELD_KINDS; kind++) {
        if ((int) ch_field_texts_of((ch_field_kind_e) kind) != kind) {
            printf("%s %s: '%s'", sep,
                   ch_field_kind_name((ch_field_kind_e) kind),
                   ch_field_kind_name(ch_field_texts_of((ch_field_kind_e) kind)));
            sep = ",";
        }
    }

    printf(" },\n  asTyped: {");
    sep = "";

    for (kind = 0; kind < CH_FIELD_KINDS; kind++) {
        if (ch_field_as_typed((ch_field_kind_e) kind)) {
            printf("%s %s: true", sep,
                   ch_field_kind_name((ch_field_kind_e) kind));
            sep = ",";
        }
    }

    printf(" },\n");
}


static int
same_field(const ch_field_spec_t *a, const ch_field_spec_t *b)
{
    const char *const  *x, *const *y;

    if (strcmp(a->name, b->name) != 0 || strcmp(a->label, b->label) != 0
        || a->kind != b->kind || a->required != b->required
        || a->min != b->min || a->max != b->max)
    {
        return 0;
    }

    for (x = a->choices, y = b->choices; x && y && *x && *y; x++, y++) {
        if (strcmp(*x, *y) != 0) {
            return 0;
        }
    }

    return (x == NULL || *x == NULL) && (y == NULL || *y == NULL);
}


/*
 * Every field once, under its name, or name:2, name:3 for the fields that
 * share a name but not a rule (an optional filter beside a required
 * field); each form is then the list of its fields' keys.
 */

#define FIELDS_MAX  128

static const ch_field_spec_t  *fields[FIELDS_MAX];
static int                     nth[FIELDS_MAX];
static size_t                  nfields;


static size_t
field_key(const ch_field_spec_t *f)
{
    size_t  i;
    int     n;

    n = 1;

    for (i = 0; i < nfields; i++) {
        if (same_field(fields[i], f)) {
            return i;
        }

        n += strcmp(fields[i]->name, f->name) == 0;
    }

    if (nfields == FIELDS_MAX) {
        fprintf(stderr, "field-rules: more than %d fields\n", FIELDS_MAX);
        exit(1);
    }

    fields[nfields] = f;
    nth[nfields] = n;

    return nfields++;
}


static void
print_key(size_t i)
{
    if (nth[i] == 1) {
        printf("'%s'", fields[i]->name);

    } else {
        printf("'%s:%d'", fields[i]->name, nth[i]);
    }
}


static void
print_field(const ch_field_spec_t *f)
{
    const char *const  *c;

    printf("{ name: ");
    js_string(f->name);
    printf(", label: ");
    js_string(f->label);
    printf(", kind: '%s', required: %s", ch_field_kind_name(f->kind),
           f->required ? "true" : "false");

    if (f->kind == CH_FIELD_TEXT || f->kind == CH_FIELD_MULTILINE
        || f->kind == CH_FIELD_REAL_NAME || f->kind == CH_FIELD_NEW_PASSWORD
        || f->kind == CH_FIELD_PASSWORD || f->kind == CH_FIELD_SMS_CODE)
    {
        printf(", min: %zu, max: %zu", f->min, f->max);

    } else if (f->kind == CH_FIELD_NUMBER && f->max) {
        /* a string: JavaScript's numbers stop being exact at 2^53 */
        printf(", max: '%zu'", f->max);
    }

    if (ch_field_choices(f)) {
        printf(", choices: [");

        for (c = ch_field_choices(f); *c; c++) {
            printf("%s", c == ch_field_choices(f) ? "" : ", ");
            js_string(*c);
        }

        printf("]");
    }

    printf(" }");
}


static void
print_forms(void)
{
    size_t                  i, j;
    const ch_field_form_t  *form;

    for (i = 0; i < ch_field_nforms; i++) {
        for (j = 0; j < ch_field_forms[i].nfields; j++) {
            (void) field_key(&ch_field_forms[i].fields[j]);
        }
    }

    printf("  fields: {\n");

    for (i = 0; i < nfields; i++) {
        printf("    ");
        print_key(i);
        printf(": ");
        print_field(fields[i]);
        printf("%s\n", i + 1 < nfields ? "," : "");
    }

    printf("  },\n  forms: {\n");

    for (i = 0; i < ch_field_nforms; i++) {
        form = &ch_field_forms[i];

        printf("    %s: [", form->name);

        for (j = 0; j < form->nfields; j++) {
            printf("%s", j ? ", " : "");
            print_key(field_key(&form->fields[j]));
        }

        printf("]%s\n", i + 1 < ch_field_nforms ? "," : "");
    }

    printf("  }\n");
}


int
main(int argc, char **argv)
{
    (void) argv;

    if (argc != 1) {
        fprintf(stderr, "usage: field-rules > www/js/field-rules.js\n");
        return 2;
    }

    printf("// GENERATED by make from lib/ch_field_specs.c, lib/ch_fields.c and\n"
           "// lib/ch_validate.h (tools/field-rules.c): do not edit; change the C\n"
           "// and run make. The website's field rules: the validators' limits,\n"
           "// each kind's messages ({label}, {min}, {max}; \"any\": every kind's),\n"
           "// the kinds taken as sent (not trimmed, up to any NUL),\n"
           "// every field once (name:2 when a name has two rules), each form's\n"
           "// fields; www/js/fields.js applies them as the server does.\n"
           "// An ES module: import { fieldRules } from './field-rules.js'.\n"
           "export const fieldRules = {\n");

    print_limits();
    print_messages();
    print_forms();

    printf("};\n");

    return ferror(stdout) || fflush(stdout) != 0 ? 1 : 0;
}
