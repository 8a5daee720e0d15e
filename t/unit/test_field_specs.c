/* lib/ch_field_specs.c: every form's fields; lib/ch_fields.c's messages */

#include "unit.h"
#include "ch_field_specs.h"
#include "ch_fields.h"


/* each form is whole: names once, a label, lengths that can be met */
static void
forms_are_well_formed(void **state)
{
    size_t                  i, j, k;
    const ch_field_spec_t  *f;
    const ch_field_form_t  *form;

    (void) state;

    assert_int_equal(ch_field_nforms, 20);

    for (i = 0; i < ch_field_nforms; i++) {
        form = &ch_field_forms[i];

        assert_ptr_equal(ch_field_form(form->name), form);
        assert_true(form->nfields > 0);

        for (j = 0; j < form->nfields; j++) {
            f = &form->fields[j];

            assert_non_null(f->name);
            assert_true(f->label != NULL && f->label[0] != '\0');
            assert_true((unsigned) f->kind < CH_FIELD_KINDS);

            if (f->kind == CH_FIELD_TEXT || f->kind == CH_FIELD_MULTILINE) {
                assert_true(f->max > 0 && f->min <= f->max);
            }

            assert_true((f->kind == CH_FIELD_CHOICE) == (f->choices != NULL));

            for (k = 0; k < j; k++) {
                assert_string_not_equal(form->fields[k].name, f->name);
            }
        }
    }

    assert_null(ch_field_form("no_such_form"));
}


/* what the module's handlers count on */
static void
forms_keep_their_order(void **state)
{
    (void) state;

    /* the ID number last in both kinds of 基本信息: it is sealed */
    assert_string_equal(ch_org_info_fields[6].name, "legal_id_number");
    assert_string_equal(ch_personal_info_fields[3].name, "id_number");

    /* the two invoice forms, and the two titles, differ in one field */
    assert_int_equal(ch_org_invoice_fields[2].kind, CH_FIELD_TAXPAYER_ID);
    assert_int_equal(ch_personal_invoice_fields[2].kind,
                     CH_FIELD_PERSON_TAXPAYER_ID);
    assert_int_equal(ch_org_title_fields[2].kind, CH_FIELD_TAXPAYER_ID);
    assert_int_equal(ch_personal_title_fields[2].kind,
                     CH_FIELD_PERSON_TAXPAYER_ID);
    /* the paged lists' statements take the page, then its size */
    assert_string_equal(ch_application_list_fields[0].name, "page");
    assert_string_equal(ch_application_list_fields[1].name, "per_page");
    assert_string_equal(ch_message_list_fields[0].name, "page");
    assert_string_equal(ch_message_list_fields[1].name, "per_page");

    assert_string_equal(ch_order_create_fields[5].name, "terms_version");
    assert_int_equal(ch_order_create_fields[5].max, CH_AGREEMENT_VERSION_MAX);
}


/* every kind says something for every refusal, its placeholders filled */
static void
every_refusal_has_a_message(void **state)
{
    int               kind, why;
    char              out[200];
    size_t            i;
    ch_field_spec_t   spec = { "f", "字段", CH_FIELD_TEXT, 1, 2, 30, NULL };

    static const struct {
        ch_field_kind_e      kind;
        ch_field_refusal_e   why;
        const char          *text;
    } said[] = {
        { CH_FIELD_TEXT, CH_REFUSED_LENGTH, "字段应为2-30个字" },
        { CH_FIELD_MULTILINE, CH_REFUSED_TOO_LONG, "字段不能超过30个字" },
        { CH_FIELD_CHOICE, CH_REFUSED_MISSING, "请选择字段" },
        { CH_FIELD_PHONE, CH_REFUSED_LENGTH, "请输入正确的11位字段" },
        { CH_FIELD_REAL_NAME, CH_REFUSED_SHAPE,
          "字段应为1-30个字符，前后不能有空格" },
    };

    (void) state;

    for (kind = 0; kind < CH_FIELD_KINDS; kind++) {
        assert_non_null(ch_field_kind_name((ch_field_kind_e) kind));

        for (why = CH_REFUSED_MISSING; why < CH_REFUSALS; why++) {
            spec.kind = (ch_field_kind_e) kind;
            ch_field_message(&spec, (ch_field_refusal_e) why, out,
                             sizeof(out));

            assert_non_null(strstr(out, "字段"));
            assert_null(strchr(out, '{'));
        }
    }

    for (i = 0; i < sizeof(said) / sizeof(said[0]); i++) {
        spec.kind = said[i].kind;
        ch_field_message(&spec, said[i].why, out, sizeof(out));
        assert_string_equal(out, said[i].text);
    }

    /* cut short, never past the buffer */
    ch_field_message(&spec, CH_REFUSED_LENGTH, out, 8);
    assert_int_equal(strlen(out), 7);
    assert_string_equal(ch_field_refusal_name(CH_REFUSED_TOO_LARGE),
                        "too_large");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forms_are_well_formed),
        cmocka_unit_test(forms_keep_their_order),
        cmocka_unit_test(every_refusal_has_a_message),
    };

    return run_tap(tests);
}
