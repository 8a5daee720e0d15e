/* lib/ch_appform.c: the printable application form */

#include "unit.h"
#include "ch_appform.h"


static char *
render(const ch_appform_t *f)
{
    size_t  len;
    char   *page;

    len = ch_appform_render(NULL, f);
    page = test_malloc(len + 1);
    assert_int_equal(ch_appform_render((unsigned char *) page, f), len);
    page[len] = '\0';

    return page;
}


static void
organisation(void **state)
{
    char          *page;
    ch_appform_t   f;

    (void) state;

    memset(&f, 0, sizeof(f));
    f.order_id = "UO202611211642340434";
    f.project_name = "国资云阳光采购平台";
    f.service = "replace";
    f.cert_type = "org";
    f.certificate_serial = "5A0F00000000A1B2";
    f.org_name = "湖南示例科技有限公司";
    f.uscc = "91350100M000100Y43";
    f.handler_name = "李四";
    f.person_name = "张三";
    f.person_id = "11010519491231002X";
    f.mobile = "13800138000";
    f.email = "zhangsan@example.com";
    f.date = "2026年11月21日";

    page = render(&f);

    assert_non_null(strstr(page, "<h1>单位数字证书申请表</h1>"));
    assert_non_null(strstr(page, "订单号：UO202611211642340434"));
    assert_non_null(strstr(page, "☑ 补办"));
    assert_non_null(strstr(page, "☐ 新办"));
    assert_non_null(strstr(page, "☑ 单位证书"));
    assert_non_null(strstr(page,
        "<th>法定代表人身份证号码</th><td>11010519491231002X</td>"));
    assert_non_null(strstr(page, "<th>原证书序列号</th><td>5A0F00000000A1B2</td>"));
    assert_non_null(strstr(page, "单位（盖章）"));
    assert_null(strstr(page, "<script"));

    test_free(page);
}


static void
person_and_escaping(void **state)
{
    char          *page;
    ch_appform_t   f;

    (void) state;

    memset(&f, 0, sizeof(f));
    f.order_id = "UO202611211642340435";
    f.project_name = "湘潭市公共资源交易系统";
    f.service = "new";
    f.cert_type = "personal";
    f.person_name = "<script>alert(1)</script>";
    f.person_id = "11010519491231002X";
    f.email = "a\"b'@example.com";

    page = render(&f);

    assert_non_null(strstr(page, "<h1>个人数字证书申请表</h1>"));
    assert_non_null(strstr(page, "☑ 新办"));
    assert_null(strstr(page, "原证书序列号"));
    assert_null(strstr(page, "<script>"));
    assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(page, "a&quot;b&#39;@example.com"));
    /* a value left NULL prints as nothing */
    assert_non_null(strstr(page, "<th>手机号码</th><td></td>"));
    assert_null(strstr(page, "单位名称"));

    test_free(page);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(organisation),
        cmocka_unit_test(person_and_escaping),
    };

    return run_tap(tests);
}
