/* lib/ch_download.c: the download centre's file types, by extension */

#include "unit.h"
#include "ch_download.h"


static void
expect_type(const char *name, const char *want_type, const char *want_ext)
{
    char         ext[CH_DOWNLOAD_EXT_MAX + 1];
    size_t       n;
    const char  *type;

    type = ch_download_media_type(name);

    if (want_type == NULL) {
        assert_null(type);
    } else {
        assert_non_null(type);
        assert_string_equal(type, want_type);
    }

    memset(ext, 'x', sizeof(ext));
    n = ch_download_ext(name, ext);
    assert_string_equal(ext, want_ext);
    assert_int_equal(n, strlen(want_ext));
}


static void
every_allowed_type(void **state)
{
    (void) state;

    expect_type("补办申请表.pdf", "application/pdf", "pdf");
    expect_type("申请责任书.doc", "application/msword", "doc");
    expect_type("a.docx", "application/vnd.openxmlformats-officedocument"
                          ".wordprocessingml.document", "docx");
    expect_type("a.xls", "application/vnd.ms-excel", "xls");
    expect_type("a.xlsx", "application/vnd.openxmlformats-officedocument"
                          ".spreadsheetml.sheet", "xlsx");
    expect_type("usbkey-driver-2.1.zip", "application/zip", "zip");
    expect_type("a.rar", "application/vnd.rar", "rar");
    expect_type("a.7z", "application/x-7z-compressed", "7z");
    expect_type("setup.exe", "application/octet-stream", "exe");
    expect_type("setup.msi", "application/x-msi", "msi");
    expect_type("readme.txt", "text/plain", "txt");
}


static void
the_extension_is_case_insensitive_and_the_last_one(void **state)
{
    (void) state;

    expect_type("SCAN.PDF", "application/pdf", "pdf");
    expect_type("Setup.ExE", "application/octet-stream", "exe");
    expect_type("manual.v2.Docx", "application/vnd.openxmlformats-officedocument"
                                  ".wordprocessingml.document", "docx");
    /* what a browser would run or render is never passed off as a PDF */
    expect_type("form.pdf.html", NULL, "");
    expect_type("driver.zip.js", NULL, "");
}


static void
anything_else_is_refused(void **state)
{
    (void) state;

    expect_type(NULL, NULL, "");
    expect_type("", NULL, "");
    expect_type("pdf", NULL, "");
    expect_type(".pdf", NULL, "");
    expect_type("a.", NULL, "");
    expect_type("a.pdf.", NULL, "");
    expect_type("a.pd", NULL, "");
    expect_type("a.pdfx", NULL, "");
    expect_type("a.svg", NULL, "");
    expect_type("a.html", NULL, "");
    expect_type("a.jpg", NULL, "");
    expect_type("a.pdf ", NULL, "");
    expect_type("a.pdf\n", NULL, "");
    expect_type("a.docx\xe3\x80\x80", NULL, "");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allowed_type),
        cmocka_unit_test(the_extension_is_case_insensitive_and_the_last_one),
        cmocka_unit_test(anything_else_is_refused),
    };

    return run_tap(tests);
}
