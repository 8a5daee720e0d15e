/*
 * field-verdicts: the C side of t/tools/field-rules.t.  For each line of
 * stdin,
 *
 *   form TAB field TAB value TAB today
 *
 * (value "=" and its bytes in hex, "-" for a form without the field;
 * today yyyymmdd) it
 * checks a form holding that one field against the field's spec in
 * lib/ch_field_specs.c, as the module does (ch_fields_check), and prints
 *
 *   why TAB normal TAB message
 *
 * why a refusal's name (ch_field_refusal_name) or "none"; normal the
 * value kept, in hex ("-": none); message the refusal's text, or "".
 * t/tools/field-agreement.js asks www/js/fields.js the same and compares.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_field_specs.h"
#include "ch_fields.h"


#define LINE_MAX_LEN  65536


static int
unhex(const char *hex, char *out, size_t *len)
{
    size_t        i, n;
    unsigned int  byte;

    n = strlen(hex);

    if (n % 2) {
        return -1;
    }

    for (i = 0; i < n / 2; i++) {
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
            return -1;
        }

        out[i] = (char) byte;
    }

    out[n / 2] = '\0';
    *len = n / 2;

    return 0;
}


static void
print_hex(const char *s)
{
    if (s == NULL) {
        putchar('-');
        return;
    }

    for ( ; *s; s++) {
        printf("%02x", (unsigned char) *s);
    }
}


int
main(void)
{
    static char             line[LINE_MAX_LEN], value[LINE_MAX_LEN],
                            buf[LINE_MAX_LEN + 64];
    char                   *form_name, *field_name, *hex, *today, *save;
    size_t                  i, len, nfields;
    const char             *values[1];
    ch_form_field_t         f;
    ch_field_error_t        err;
    const ch_field_form_t  *form;

    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = '\0';

        form_name = strtok_r(line, "\t", &save);
        field_name = strtok_r(NULL, "\t", &save);
        hex = strtok_r(NULL, "\t", &save);
        today = strtok_r(NULL, "\t", &save);

        if (today == NULL) {
            fprintf(stderr, "field-verdicts: a line needs four fields\n");
            return 2;
        }

        form = ch_field_form(form_name);

        for (i = 0; form && i < form->nfields; i++) {
            if (strcmp(form->fields[i].name, field_name) == 0) {
                break;
            }
        }

        if (form == NULL || i == form->nfields) {
            fprintf(stderr, "field-verdicts: no field %s.%s\n", form_name,
                    field_name);
            return 2;
        }

        nfields = 0;

        if (hex[0] != '=' && strcmp(hex, "-") != 0) {
            fprintf(stderr, "field-verdicts: bad value \"%s\"\n", hex);
            return 2;
        }

        if (hex[0] == '=') {
            if (unhex(hex + 1, value, &len) != 0) {
                fprintf(stderr, "field-verdicts: bad hex \"%s\"\n", hex);
                return 2;
            }

            f.name = field_name;
            f.name_len = strlen(field_name);
            f.value = value;
            f.value_len = len;
            nfields = 1;
        }

        if (ch_fields_check(&f, nfields, &form->fields[i], 1, 0,
                            atol(today), values, buf,
                            ch_fields_buf_size(&f, nfields, 1), &err)
            == 0)
        {
            printf("none\t");
            print_hex(values[0]);
            printf("\t\n");

        } else {
            printf("%s\t-\t%s\n", ch_field_refusal_name(err.why),
                   err.message);
        }
    }

    return ferror(stdout) || fflush(stdout) != 0 ? 1 : 0;
}
