/*
 * The application form (申请表) an applicant prints, signs or stamps and
 * uploads (seed: 填写您的申请资料并打印，手写签字或盖章后上传): one
 * printable HTML page filled in with the order's basic information.
 *
 * Pure C (no nginx headers): the module renders it for applicants, the
 * back office can render the same page for staff, the unit tests read it.
 * Every value goes through ch_html_escape().
 */

#ifndef CH_APPFORM_H
#define CH_APPFORM_H

#include <stddef.h>

/* the values, NUL-terminated UTF-8; NULL prints as blank */
typedef struct {
    const char  *order_id;
    const char  *project_name;
    const char  *service;           /* new, renew, unlock, replace */
    const char  *cert_type;         /* org, personal */
    const char  *certificate_serial;
    const char  *org_name;
    const char  *uscc;
    const char  *handler_name;
    const char  *person_name;       /* legal representative, or the person */
    const char  *person_id;         /* the whole ID number */
    const char  *mobile;
    const char  *email;
    const char  *date;              /* 2026年11月21日 */
} ch_appform_t;

/*
 * Writes the page to out and returns its length; with out == NULL only
 * returns the length (call once to size the buffer, once to write).
 */
size_t ch_appform_render(unsigned char *out, const ch_appform_t *form);

#endif /* CH_APPFORM_H */
