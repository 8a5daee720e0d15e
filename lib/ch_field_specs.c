/*
 * Every form's fields: see ch_field_specs.h.
 */

#include <string.h>

#include "ch_field_specs.h"
#include "ch_realname.h"
#include "ch_validate.h"


const char *const  ch_services[] = {
    "new", "renew", "unlock", "replace", NULL
};

const char *const  ch_cert_types[] = {
    "org", "personal", NULL
};

const char *const  ch_deliveries[] = {
    "express", "pickup", NULL
};

const char *const  ch_pay_methods[] = {
    "transfer", "alipay", NULL
};

/* Alipay's: a computer's browser (page.pay) or a phone's (wap.pay) */
const char *const  ch_pay_channels[] = {
    "page", "wap", NULL
};

/* an invoice title's type: an organisation's or a person's */
static const char *const  ch_title_types[] = {
    "org", "personal", NULL
};


/*
 * The fields several forms share, written once here: the same field
 * checked the same way wherever it is asked for.
 */

#define CH_MOBILE_FIELD                                                       \
    { "mobile", "手机号码", CH_FIELD_PHONE, 1, 0, 0, NULL }

#define CH_EMAIL_FIELD                                                        \
    { "email", "电子邮箱", CH_FIELD_EMAIL, 1, 0, 0, NULL }

#define CH_PERSON_NAME_FIELD(name, label)                                     \
    { name, label, CH_FIELD_TEXT, 1, 2, 50, NULL }

#define CH_PAGE_FIELDS                                                        \
    { "page", "页码", CH_FIELD_NUMBER, 0, 0, 100000, NULL },                  \
    { "per_page", "每页条数", CH_FIELD_NUMBER, 0, 0, 100, NULL }

/* an invoice title, as an order's invoice and as the list's entry */

#define CH_TITLE_TYPE_FIELD                                                   \
    { "title_type", "抬头类型", CH_FIELD_CHOICE, 1, 0, 0, ch_title_types }

#define CH_TITLE_FIELD                                                        \
    { "title", "发票抬头", CH_FIELD_TEXT, 1, 2, 100, NULL }

/* an organisation's title needs its taxpayer number, a person's not */

#define CH_ORG_TITLE_FIELDS                                                   \
    CH_TITLE_TYPE_FIELD,                                                      \
    CH_TITLE_FIELD,                                                           \
    { "taxpayer_id", "纳税人识别号", CH_FIELD_TAXPAYER_ID, 1, 0, 0, NULL }

#define CH_PERSON_TITLE_FIELDS                                                \
    CH_TITLE_TYPE_FIELD,                                                      \
    CH_TITLE_FIELD,                                                           \
    { "taxpayer_id", "纳税人识别号", CH_FIELD_PERSON_TAXPAYER_ID, 0, 0, 0,    \
      NULL }

#define CH_AGREEMENT_VERSION_FIELD(name, label)                               \
    { name, label, CH_FIELD_NUMBER, 0, 0, CH_AGREEMENT_VERSION_MAX, NULL }


const ch_field_spec_t  ch_order_create_fields[6] = {
    { "project", "申请项目", CH_FIELD_TEXT, 1, 1, 40, NULL },
    { "service", "业务类型", CH_FIELD_CHOICE, 1, 0, 0, ch_services },
    { "cert_type", "证书类型", CH_FIELD_CHOICE, 1, 0, 0, ch_cert_types },
    { "certificate", "证书", CH_FIELD_NUMBER, 0, 0, 0, NULL },
    { "agree_terms", "同意用户申请条款", CH_FIELD_FLAG, 0, 0, 0, NULL },
    CH_AGREEMENT_VERSION_FIELD("terms_version", "用户申请条款版本"),
};

const ch_field_spec_t  ch_order_list_fields[8] = {
    { "state", "订单状态", CH_FIELD_TEXT, 0, 1, 32, NULL },
    { "project", "申请项目", CH_FIELD_TEXT, 0, 1, 40, NULL },
    { "service", "业务类型", CH_FIELD_CHOICE, 0, 0, 0, ch_services },
    { "q", "搜索内容", CH_FIELD_TEXT, 0, 1, 50, NULL },
    { "from", "开始日期", CH_FIELD_DATE, 0, 0, 0, NULL },
    { "to", "结束日期", CH_FIELD_DATE, 0, 0, 0, NULL },
    CH_PAGE_FIELDS,
};

/*
 * The order of the statement's parameters after the ID number: org_name,
 * uscc, handler_name, person_name, then the ID number's mask, digest and
 * seal, mobile, email.
 */

const ch_field_spec_t  ch_org_info_fields[7] = {
    { "org_name", "单位名称", CH_FIELD_TEXT, 1, 2, 100, NULL },
    { "uscc", "统一社会信用代码", CH_FIELD_USCC, 1, 0, 0, NULL },
    CH_PERSON_NAME_FIELD("handler_name", "经办人姓名"),
    CH_PERSON_NAME_FIELD("legal_name", "法定代表人姓名"),
    CH_MOBILE_FIELD,
    CH_EMAIL_FIELD,
    { "legal_id_number", "法定代表人身份证号码", CH_FIELD_ID_NUMBER, 1, 0, 0,
      NULL },
};

const ch_field_spec_t  ch_personal_info_fields[4] = {
    CH_PERSON_NAME_FIELD("name", "姓名"),
    CH_MOBILE_FIELD,
    CH_EMAIL_FIELD,
    { "id_number", "身份证号码", CH_FIELD_ID_NUMBER, 1, 0, 0, NULL },
};

/* the two differ only in the taxpayer number; the same order otherwise */

#define CH_INVOICE_REST_FIELDS                                                \
    CH_EMAIL_FIELD,                                                           \
    CH_MOBILE_FIELD,                                                          \
    { "remark", "发票备注", CH_FIELD_MULTILINE, 0, 0, 100, NULL },            \
    { "save_title", "保存发票抬头", CH_FIELD_FLAG, 0, 0, 0, NULL }

const ch_field_spec_t  ch_org_invoice_fields[7] = {
    CH_ORG_TITLE_FIELDS, CH_INVOICE_REST_FIELDS
};

const ch_field_spec_t  ch_personal_invoice_fields[7] = {
    CH_PERSON_TITLE_FIELDS, CH_INVOICE_REST_FIELDS
};

/* the database lists what is missing */

const ch_field_spec_t  ch_order_submit_fields[5] = {
    { "agree", "同意申请责任书", CH_FIELD_FLAG, 0, 0, 0, NULL },
    { "delivery", "领取方式", CH_FIELD_CHOICE, 0, 0, 0, ch_deliveries },
    { "address_id", "收货地址", CH_FIELD_NUMBER, 0, 0, 0, NULL },
    { "pickup_point", "受理点", CH_FIELD_TEXT, 0, 1, 40, NULL },
    CH_AGREEMENT_VERSION_FIELD("agreement_version", "申请责任书版本"),
};

const ch_field_spec_t  ch_order_pay_fields[2] = {
    { "method", "缴费方式", CH_FIELD_CHOICE, 1, 0, 0, ch_pay_methods },
    { "channel", "支付渠道", CH_FIELD_CHOICE, 0, 0, 0, ch_pay_channels },
};

const ch_field_spec_t  ch_address_fields[6] = {
    CH_PERSON_NAME_FIELD("recipient", "收件人"),
    CH_MOBILE_FIELD,
    { "region", "所在地区", CH_FIELD_TEXT, 1, 2, 60, NULL },
    { "detail", "详细地址", CH_FIELD_TEXT, 1, 2, 120, NULL },
    { "postal_code", "邮政编码", CH_FIELD_POSTAL_CODE, 0, 0, 0, NULL },
    { "is_default", "默认地址", CH_FIELD_FLAG, 0, 0, 0, NULL },
};

#define CH_TITLE_DEFAULT_FIELD                                                \
    { "is_default", "默认抬头", CH_FIELD_FLAG, 0, 0, 0, NULL }

const ch_field_spec_t  ch_org_title_fields[4] = {
    CH_ORG_TITLE_FIELDS, CH_TITLE_DEFAULT_FIELD
};

const ch_field_spec_t  ch_personal_title_fields[4] = {
    CH_PERSON_TITLE_FIELDS, CH_TITLE_DEFAULT_FIELD
};

const ch_field_spec_t  ch_application_list_fields[2] = {
    CH_PAGE_FIELDS,
};

const ch_field_spec_t  ch_message_list_fields[3] = {
    CH_PAGE_FIELDS,
    { "unread", "只看未读", CH_FIELD_FLAG, 0, 0, 0, NULL },
};

const ch_field_spec_t  ch_agreement_fields[1] = {
    CH_AGREEMENT_VERSION_FIELD("version", "版本"),
};

/* the name and number the real-name provider will check */

const ch_field_spec_t  ch_realname_fields[2] = {
    { "name", "姓名", CH_FIELD_REAL_NAME, 1, 1, CH_REALNAME_NAME_MAX, NULL },
    { "id_number", "身份证号码", CH_FIELD_ID_NUMBER, 1, 0, 0, NULL },
};


/*
 * The account forms: the phone first, then the new password, then the
 * code, the order their handlers have always answered in.  Logging in
 * takes a password or a code; sending both is the handler's refusal.
 */

#define CH_ACCOUNT_PHONE_FIELD                                                \
    { "phone", "手机号码", CH_FIELD_ACCOUNT_PHONE, 1, 0, 0, NULL }

#define CH_SMS_CODE_FIELD                                                     \
    { "sms_code", "短信验证码", CH_FIELD_SMS_CODE, 1, CH_SMS_CODE_LEN,        \
      CH_SMS_CODE_LEN, NULL }

#define CH_NEW_PASSWORD_FIELD(name)                                           \
    { name, "密码", CH_FIELD_NEW_PASSWORD, 1, CH_PASSWORD_MIN,                \
      CH_PASSWORD_MAX, NULL }

const ch_field_spec_t  ch_sms_code_request_fields[2] = {
    CH_ACCOUNT_PHONE_FIELD,
    { "purpose", "验证码用途", CH_FIELD_SMS_PURPOSE, 1, 0, 0, NULL },
};

const ch_field_spec_t  ch_register_fields[3] = {
    CH_ACCOUNT_PHONE_FIELD,
    CH_NEW_PASSWORD_FIELD("password"),
    CH_SMS_CODE_FIELD,
};

const ch_field_spec_t  ch_password_reset_fields[3] = {
    CH_ACCOUNT_PHONE_FIELD,
    CH_NEW_PASSWORD_FIELD("new_password"),
    CH_SMS_CODE_FIELD,
};

const ch_field_spec_t  ch_login_password_fields[2] = {
    CH_ACCOUNT_PHONE_FIELD,
    { "password", "密码", CH_FIELD_PASSWORD, 1, 0, CH_LOGIN_PASSWORD_MAX,
      NULL },
};

const ch_field_spec_t  ch_login_code_fields[2] = {
    CH_ACCOUNT_PHONE_FIELD,
    CH_SMS_CODE_FIELD,
};


#define CH_FIELD_FORM_ENTRY(name, n)                                          \
    { #name, ch_##name##_fields, n },

const ch_field_form_t  ch_field_forms[] = {
    CH_FIELD_FORMS(CH_FIELD_FORM_ENTRY)
};

const size_t  ch_field_nforms = sizeof(ch_field_forms) / sizeof(ch_field_forms[0]);


const ch_field_form_t *
ch_field_form(const char *name)
{
    size_t  i;

    for (i = 0; i < ch_field_nforms; i++) {
        if (strcmp(ch_field_forms[i].name, name) == 0) {
            return &ch_field_forms[i];
        }
    }

    return NULL;
}
