/*
 * Every form's fields, defined once (ch_fields.h says what a spec is):
 * the module checks its forms against these tables, and the website's
 * rules (www/js/field-rules.js) are printed from them at build time by
 * tools/field-rules.c, so that no length, pattern or message is typed
 * twice.  t/tools/field-rules.t fails when the two sides disagree.
 *
 * Each table's length is part of its declaration, so that sizeof (and
 * ngx_http_certhall_nfields()) still counts its fields where it is used.
 *
 * Pure C (no nginx headers).
 */

#ifndef CH_FIELD_SPECS_H
#define CH_FIELD_SPECS_H

#include <stddef.h>

#include "ch_fields.h"


/* the largest version number of an agreement (用户申请条款, 责任书) */
#define CH_AGREEMENT_VERSION_MAX  1000000

/* the longest password a login hashes, in bytes: any longer is refused */
#define CH_LOGIN_PASSWORD_MAX  1024

/* the choices: NULL-terminated */
extern const char *const  ch_services[];          /* new, renew, ... */
extern const char *const  ch_cert_types[];        /* org, personal */
extern const char *const  ch_deliveries[];        /* express, pickup */
extern const char *const  ch_pay_methods[];       /* transfer, alipay */
extern const char *const  ch_pay_channels[];      /* page, wap */

/*
 * The forms: ch_<name>_fields[n] for each, n its number of fields.  The
 * ID number comes last in both kinds of 基本信息 (the module seals it); an
 * organisation's invoice title needs its taxpayer number, a person's not.
 * The account forms start with the phone, which is checked first.
 */
#define CH_FIELD_FORMS(form)                                                  \
    form(order_create, 6)           /* POST /api/orders: a draft */           \
    form(order_list, 8)             /* GET /api/orders: the filters */        \
    form(org_info, 7)               /* PUT /api/orders/{id}/info */           \
    form(personal_info, 4)                                                    \
    form(org_invoice, 7)            /* PUT /api/orders/{id}/invoice */        \
    form(personal_invoice, 7)                                                 \
    form(order_submit, 5)           /* POST /api/orders/{id}/submit */        \
    form(order_pay, 2)              /* POST /api/orders/{id}/pay */           \
    form(address, 6)                /* POST, PUT /api/addresses */            \
    form(org_title, 4)              /* POST, PUT /api/invoice-titles */       \
    form(personal_title, 4)                                                   \
    form(message_list, 3)           /* GET /api/messages */                   \
    form(application_list, 2)       /* GET /api/applications */               \
    form(agreement, 1)              /* GET /api/agreements/{code} */       \
    form(realname, 2)               /* POST /api/me/realname */           \
    form(sms_code_request, 2)       /* POST /api/sms-codes */             \
    form(register, 3)               /* POST /api/accounts */              \
    form(password_reset, 3)         /* POST /api/password-reset */        \
    form(login_password, 2)         /* POST /api/session */               \
    form(login_code, 2)

#define CH_FIELD_FORM_DECLARE(name, n)                                        \
    extern const ch_field_spec_t  ch_##name##_fields[n];

CH_FIELD_FORMS(CH_FIELD_FORM_DECLARE)


/* every form by its name, for tools/field-rules.c and the tests */
typedef struct {
    const char             *name;       /* "org_info" */
    const ch_field_spec_t  *fields;
    size_t                  nfields;
} ch_field_form_t;

extern const ch_field_form_t  ch_field_forms[];
extern const size_t           ch_field_nforms;

/* the form of that name, or NULL */
const ch_field_form_t *ch_field_form(const char *name);

#endif /* CH_FIELD_SPECS_H */
