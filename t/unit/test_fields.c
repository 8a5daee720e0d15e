/* lib/ch_fields.c: a form checked against its specification */

#include "unit.h"
#include "ch_fields.h"


#define TODAY  20261121L

static const char *const  delivery[] = { "express", "pickup", NULL };

/* the organisation's basic information, as the module checks it */
static const ch_field_spec_t  org[] = {
    { "org_name", "单位名称", CH_FIELD_TEXT, 1, 2, 100, NULL },
    { "uscc", "统一社会信用代码", CH_FIELD_USCC, 1, 0, 0, NULL },
    { "legal_id_number", "法定代表人身份证号码", CH_FIELD_ID_NUMBER, 1, 0, 0,
      NULL },
    { "mobile", "手机号码", CH_FIELD_PHONE, 1, 0, 0, NULL },
    { "email", "电子邮箱", CH_FIELD_EMAIL, 1, 0, 0, NULL },
    { "remark", "备注", CH_FIELD_MULTILINE, 0, 0, 10, NULL },
    { "delivery", "领取方式", CH_FIELD_CHOICE, 0, 0, 0, delivery },
    { "agree", "同意", CH_FIELD_FLAG, 0, 0, 0, NULL },
    { "address_id", "收货地址", CH_FIELD_NUMBER, 0, 0, 0, NULL },
    { "page", "页码", CH_FIELD_NUMBER, 0, 0, 1000, NULL },
    { "from", "开始日期", CH_FIELD_DATE, 0, 0, 0, NULL },
    { "taxpayer_id", "纳税人识别号", CH_FIELD_PERSON_TAXPAYER_ID, 0, 0, 0,
      NULL },
};

#define NSPEC  (sizeof(org) / sizeof(org[0]))


static const char  good[] =
    "org_name=+%E6%B9%96%E5%8D%97%E7%A4%BA%E4%BE%8B%E7%A7%91%E6%8A%80+"
    "&uscc=91350100m000100y43&legal_id_number=11010519491231002x"
    "&mobile=%2B86+138+0013+8000&email=a%40example.com"
    "&remark=%E7%AC%AC%E4%B8%80%0A%E7%AC%AC%E4%BA%8C&delivery=pickup"
    "&agree=on&address_id=42";


/* runs the check over body; returns its result, values and error */
static int
check(const char *body, int strict, const char **values,
    ch_field_error_t *err)
{
    static char              buf[4096], out[4096];
    static ch_form_field_t   f[32];
    size_t                   n, err_at;

    assert_int_equal(ch_form_parse((const unsigned char *) body, strlen(body),
                                   f, 32, &n, buf, &err_at), CH_FORM_OK);
    assert_true(ch_fields_buf_size(f, n, NSPEC) <= sizeof(out));

    return ch_fields_check(f, n, org, NSPEC, strict, TODAY, values, out,
                           ch_fields_buf_size(f, n, NSPEC), err);
}


static void
normal_forms(void **state)
{
    const char        *v[NSPEC];
    ch_field_error_t   err;

    (void) state;

    assert_int_equal(check(good, 1, v, &err), 0);
    assert_string_equal(v[0], "湖南示例科技");
    assert_string_equal(v[1], "91350100M000100Y43");
    assert_string_equal(v[2], "11010519491231002X");
    assert_string_equal(v[3], "13800138000");
    assert_string_equal(v[4], "a@example.com");
    assert_string_equal(v[5], "第一\n第二");
    assert_string_equal(v[6], "pickup");
    assert_string_equal(v[7], "t");
    assert_string_equal(v[8], "42");
}


static void
expect_refusal(const char *body, int strict, const char *field,
    const char *message)
{
    const char        *v[NSPEC];
    ch_field_error_t   err;

    assert_int_equal(check(body, strict, v, &err), -1);
    assert_string_equal(err.field, field);
    assert_string_equal(err.message, message);
}


static void
refusals_name_the_field(void **state)
{
    (void) state;

    expect_refusal("uscc=91350100M000100Y43", 0, "org_name", "请输入单位名称");
    expect_refusal("org_name=%E3%80%80+&uscc=1", 0, "org_name",
                   "请输入单位名称");
    expect_refusal("org_name=%E6%B9%96", 0, "org_name",
                   "单位名称应为2-100个字");
    expect_refusal("org_name=a%09b", 0, "org_name", "单位名称含有不允许的字符");
    expect_refusal("org_name=ab&uscc=91350100M000100Y44", 0, "uscc",
                   "统一社会信用代码校验位错误");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=110105194912310021", 0,
                   "legal_id_number", "法定代表人身份证号码校验位错误");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=110105209912310021", 0,
                   "legal_id_number", "法定代表人身份证号码中的出生日期不正确");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=11010519491231002X&mobile=12345", 0,
                   "mobile", "请输入正确的11位手机号码");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=11010519491231002X&mobile=13800138000"
                   "&email=a@b", 0, "email", "请输入正确的电子邮箱");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=11010519491231002X&mobile=13800138000"
                   "&email=a@example.com&remark=12345678901", 0, "remark",
                   "备注不能超过10个字");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=11010519491231002X&mobile=13800138000"
                   "&email=a@example.com&delivery=drone", 0, "delivery",
                   "请选择正确的领取方式");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=11010519491231002X&mobile=13800138000"
                   "&email=a@example.com&agree=yes", 0, "agree",
                   "同意应为1或0");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=11010519491231002X&mobile=13800138000"
                   "&email=a@example.com&address_id=01", 0, "address_id",
                   "收货地址不正确");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=11010519491231002X&mobile=13800138000"
                   "&email=a@example.com&page=1001", 0, "page",
                   "页码不能大于1000");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=11010519491231002X&mobile=13800138000"
                   "&email=a@example.com&from=2026-02-30", 0, "from",
                   "开始日期应为正确的日期（如2026-01-31）");
    expect_refusal("org_name=ab&uscc=91350100M000100Y43"
                   "&legal_id_number=11010519491231002X&mobile=13800138000"
                   "&email=a@example.com&taxpayer_id=110105194912310021", 0,
                   "taxpayer_id", "纳税人识别号校验位错误");

    /* strict: a field the form does not have */
    expect_refusal("name=x&org_name=ab", 1, "name", "此处不填写该项");
}


static void
optional_fields_may_be_absent(void **state)
{
    const char        *v[NSPEC];
    ch_field_error_t   err;

    (void) state;

    assert_int_equal(check("org_name=ab&uscc=91350100M000100Y43"
                           "&legal_id_number=11010519491231002X"
                           "&mobile=13800138000&email=a@example.com&remark=",
                           1, v, &err), 0);
    assert_null(v[5]);
    assert_null(v[6]);
    assert_null(v[7]);
    assert_null(v[8]);

    /* a person's taxpayer number may be an ID number, or a company's */
    assert_int_equal(check("org_name=ab&uscc=91350100M000100Y43"
                           "&legal_id_number=11010519491231002X"
                           "&mobile=13800138000&email=a@example.com"
                           "&taxpayer_id=11010519491231002x&page=1000"
                           "&from=2024-02-29", 1, v, &err), 0);
    assert_string_equal(v[11], "11010519491231002X");
    assert_string_equal(v[9], "1000");
    assert_string_equal(v[10], "2024-02-29");
    assert_int_equal(check("org_name=ab&uscc=91350100M000100Y43"
                           "&legal_id_number=11010519491231002X"
                           "&mobile=13800138000&email=a@example.com"
                           "&taxpayer_id=91110000802100433B", 1, v, &err), 0);
    assert_string_equal(v[11], "91110000802100433B");

    /* not strict: other fields are someone else's business */
    assert_int_equal(check("org_name=ab&uscc=91350100M000100Y43"
                           "&legal_id_number=11010519491231002X"
                           "&mobile=13800138000&email=a@example.com&x=1",
                           0, v, &err), 0);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normal_forms),
        cmocka_unit_test(refusals_name_the_field),
        cmocka_unit_test(optional_fields_may_be_absent),
    };

    return run_tap(tests);
}
