/* lib/ch_disposition.c: the Content-Disposition of a stored file */

#include "unit.h"
#include "ch_disposition.h"


/* writes the header, and checks the sizing pass agrees */
static void
expect_disposition(int attachment, const char *kind, const char *format,
    const char *name, const char *want)
{
    char    out[1024];
    size_t  n, len;

    len = name ? strlen(name) : 0;

    n = ch_disposition(NULL, attachment, kind, format, name, len);
    assert_int_equal(n, strlen(want));
    assert_true(n < sizeof(out));

    n = ch_disposition(out, attachment, kind, format, name, len);
    out[n] = '\0';
    assert_string_equal(out, want);
}


static void
an_image_is_inline_with_an_ascii_name_of_ours(void **state)
{
    (void) state;

    expect_disposition(0, "legal_id_front", "jpg", "scan.jpg",
        "inline; filename=\"legal_id_front.jpg\"; filename*=UTF-8''scan.jpg");
}


static void
a_pdf_is_an_attachment(void **state)
{
    (void) state;

    expect_disposition(1, "application_form", "pdf", "a.pdf",
        "attachment; filename=\"application_form.pdf\"; "
        "filename*=UTF-8''a.pdf");
}


static void
the_applicants_name_is_percent_encoded_utf8(void **state)
{
    (void) state;

    /* 申请表: RFC 8187's upper-case hex; ';', '"', ' ' and '%' encoded */
    expect_disposition(1, "application_form", "pdf", "申请表.pdf",
        "attachment; filename=\"application_form.pdf\"; "
        "filename*=UTF-8''%E7%94%B3%E8%AF%B7%E8%A1%A8.pdf");
    expect_disposition(0, "id_front", "png", "a\"; b=c %.png",
        "inline; filename=\"id_front.png\"; "
        "filename*=UTF-8''a%22%3B%20b%3Dc%20%25.png");
    expect_disposition(0, "id_front", "png", "x\r\ny",
        "inline; filename=\"id_front.png\"; filename*=UTF-8''x%0D%0Ay");
}


static void
no_name_gives_only_ours(void **state)
{
    (void) state;

    expect_disposition(0, "id_back", "bmp", NULL,
                       "inline; filename=\"id_back.bmp\"");
    expect_disposition(0, "id_back", "bmp", "",
                       "inline; filename=\"id_back.bmp\"");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_image_is_inline_with_an_ascii_name_of_ours),
        cmocka_unit_test(a_pdf_is_an_attachment),
        cmocka_unit_test(the_applicants_name_is_percent_encoded_utf8),
        cmocka_unit_test(no_name_gives_only_ours),
    };

    return run_tap(tests);
}
