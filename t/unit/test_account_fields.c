/*
 * lib/ch_field_specs.c's account forms, checked by lib/ch_fields.c: the
 * field and message each refusal names are the ones the account and login
 * handlers answered before their checks moved to lib/ (t/005-accounts.t
 * checks them over HTTP), and the values are taken as they were sent.
 */

#include "unit.h"
#include "ch_field_specs.h"
#include "ch_fields.h"


#define TODAY  20261121L

/* a form body, and the spec of the form it is sent to */
typedef struct {
    const ch_field_spec_t  *spec;
    size_t                  nspec;
    const char             *body;
} account_form_t;

#define FORM(spec, body)  { spec, sizeof(spec) / sizeof(spec[0]), body }


/* the form checked: 0, or -1 with err; the normal forms in values */
static int
check(const account_form_t *form, const char **values, ch_field_error_t *err)
{
    static char              buf[4096], out[4096];
    static ch_form_field_t   f[16];
    size_t                   n, err_at, size;

    assert_int_equal(ch_form_parse((const unsigned char *) form->body,
                                   strlen(form->body), f, 16, &n, buf,
                                   &err_at), CH_FORM_OK);

    size = ch_fields_buf_size(f, n, form->nspec);
    assert_true(size <= sizeof(out));

    return ch_fields_check(f, n, form->spec, form->nspec, 0, TODAY, values,
                           out, size, err);
}


/* each form, the field it is refused for, and what that says */
static const struct {
    account_form_t   form;
    const char      *field;
    const char      *message;
} refusals[] = {

    /* POST /api/sms-codes */
    { FORM(ch_sms_code_request_fields, "purpose=register"),
      "phone", "请输入手机号码" },
    { FORM(ch_sms_code_request_fields, "phone=123&purpose=register"),
      "phone", "请输入正确的11位手机号码" },
    { FORM(ch_sms_code_request_fields, "phone=13800138000"),
      "purpose", "验证码用途应为注册、登录或重置密码" },
    { FORM(ch_sms_code_request_fields, "phone=13800138000&purpose=+login"),
      "purpose", "验证码用途应为注册、登录或重置密码" },

    /* POST /api/accounts: the phone, the password, then the code */
    { FORM(ch_register_fields, "phone=x&sms_code=1"),
      "phone", "请输入正确的11位手机号码" },
    { FORM(ch_register_fields, "phone=13800138000&sms_code=1"),
      "password", "请设置登录密码" },
    { FORM(ch_register_fields, "phone=13800138000&password=abc1"),
      "password", "密码长度应为8-64位" },
    { FORM(ch_register_fields, "phone=13800138000&password=abcdefgh"),
      "password", "密码须同时包含字母和数字" },
    { FORM(ch_register_fields, "phone=13800138000&password=abc%0912345"),
      "password", "密码含有不允许的字符" },
    { FORM(ch_register_fields,
           "phone=13800138000&password=abc12345&sms_code=12345"),
      "sms_code", "短信验证码为6位数字" },
    { FORM(ch_register_fields, "phone=13800138000&password=abc12345"),
      "sms_code", "请输入短信验证码" },

    /* POST /api/password-reset: the same, in new_password */
    { FORM(ch_password_reset_fields, "phone=13800138000&new_password=a1"),
      "new_password", "密码长度应为8-64位" },

    /* POST /api/session */
    { FORM(ch_login_password_fields, "phone=13800138000"),
      "password", "请输入登录密码" },
    { FORM(ch_login_code_fields, "phone=13800138000&sms_code=+123456"),
      "sms_code", "短信验证码为6位数字" },

    /* taken as sent: a blank phone is a wrong one, not a missing one */
    { FORM(ch_login_code_fields, "phone=+&sms_code=123456"),
      "phone", "请输入正确的11位手机号码" },
    { FORM(ch_login_code_fields, "phone=+%2B8613800138000&sms_code=123456"),
      "phone", "请输入正确的11位手机号码" },

    /* and a tab part of the value, not a blank to trim */
    { FORM(ch_login_code_fields, "phone=13800138000&sms_code=123456%09"),
      "sms_code", "短信验证码为6位数字" },
};


static void
refusals_say_what_the_handlers_said(void **state)
{
    size_t             i;
    const char        *v[3];
    ch_field_error_t   err;

    (void) state;

    for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        assert_int_equal(check(&refusals[i].form, v, &err), -1);
        assert_string_equal(err.field, refusals[i].field);
        assert_string_equal(err.message, refusals[i].message);
    }
}


static void
values_are_taken_as_sent(void **state)
{
    char               body[1200];
    const char        *v[3];
    account_form_t     login = FORM(ch_login_password_fields, body);
    ch_field_error_t   err;

    static const account_form_t  registration = FORM(ch_register_fields,
        "phone=%2B86+138-0013-8000&password=+abc12345+&sms_code=012345");

    (void) state;

    /* the phone normalised, the password with its blanks */
    assert_int_equal(check(&registration, v, &err), 0);
    assert_string_equal(v[0], "13800138000");
    assert_string_equal(v[1], " abc12345 ");
    assert_string_equal(v[2], "012345");

    /* a login's password: anything, up to 1024 bytes */
    memcpy(body, "phone=13800138000&password=", 27);
    memset(body + 27, 'a', CH_LOGIN_PASSWORD_MAX + 1);
    body[27 + CH_LOGIN_PASSWORD_MAX] = '\0';
    assert_int_equal(check(&login, v, &err), 0);
    assert_int_equal(strlen(v[1]), CH_LOGIN_PASSWORD_MAX);

    body[27 + CH_LOGIN_PASSWORD_MAX] = 'a';
    body[28 + CH_LOGIN_PASSWORD_MAX] = '\0';
    assert_int_equal(check(&login, v, &err), -1);
    assert_string_equal(err.field, "password");
    assert_string_equal(err.message, "密码过长");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refusals_say_what_the_handlers_said),
        cmocka_unit_test(values_are_taken_as_sent),
    };

    return run_tap(tests);
}
