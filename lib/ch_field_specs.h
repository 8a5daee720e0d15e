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

/* the choices: NULL-terminated */
extern const char *const  ch_services[];          /* new, renew, ... */
extern const char *const  ch_cert_types[];        /* org, personal */
extern const char *const  ch_deliveries[];        /* express, pickup */
extern const char *const  ch_pay_methods[];       /* transfer, alipay */

/* POST /api/orders: a draft */
extern const ch_field_spec_t  ch_order_create_fields[6];

/* GET /api/orders: the filters */
extern const ch_field_spec_t  ch_order_list_fields[8];

/*
 * PUT /api/orders/{id}/info: an organisation's (单位) and a person's
 * (个人); the ID number comes last in both (the module seals it)
 */
extern const ch_field_spec_t  ch_org_info_fields[7];
extern const ch_field_spec_t  ch_personal_info_fields[4];

/* PUT /api/orders/{id}/invoice: an organisation's title and a person's */
extern const ch_field_spec_t  ch_org_invoice_fields[7];
extern const ch_field_spec_t  ch_personal_invoice_fields[7];

/* POST /api/orders/{id}/submit */
extern const ch_field_spec_t  ch_order_submit_fields[5];

/* POST /api/orders/{id}/pay */
extern const ch_field_spec_t  ch_order_pay_fields[1];

/* POST, PUT /api/addresses */
extern const ch_field_spec_t  ch_address_fields[6];

/* POST, PUT /api/invoice-titles: an organisation's title and a person's */
extern const ch_field_spec_t  ch_org_title_fields[4];
extern const ch_field_spec_t  ch_personal_title_fields[4];

/* GET /api/messages */
extern const ch_field_spec_t  ch_message_list_fields[3];

/* GET /api/agreements/{code}?version= */
extern const ch_field_spec_t  ch_agreement_fields[1];


/* every table above by a name, for tools/field-rules.c and the tests */
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
