/*
 * The staff roles, by code, with the labels the back office writes for
 * them: the one table of them in admin/.
 *
 * Which roles exist and who has which is the database's to say
 * (staff_roles and staff.roles, sql/migrations/0007_backoffice.sql, whose
 * names are these labels; the staff page lists the roles from there).
 * This table serves where no query runs: the page refused for want of a
 * role, the command line's usage.
 */

#include <string.h>

#include "admin.h"


const admin_role_t  admin_roles[] = {
    { "reviewer", "审核员" },
    { "finance",  "财务" },
    { "shipper",  "发货员" },
    { "admin",    "管理员" },
    { NULL, NULL }
};


/* the label of a role's code; the code itself for a role not in the table */
const char *
admin_role_label(const char *code)
{
    const admin_role_t  *r;

    for (r = admin_roles; r->code; r++) {
        if (strcmp(r->code, code) == 0) {
            return r->label;
        }
    }

    return code;
}


/* is role in roles, a text[] as PostgreSQL writes it ("{finance,admin}")? */
int
admin_roles_include(const char *roles, const char *role)
{
    size_t       n, len;
    const char  *p;

    if (roles == NULL || roles[0] != '{') {
        return 0;
    }

    n = strlen(role);

    /* role codes are [a-z_], which PostgreSQL never quotes */
    for (p = roles + 1; *p && *p != '}'; p += len + (p[len] == ',')) {
        len = strcspn(p, ",}");

        if (len == n && strncmp(p, role, n) == 0) {
            return 1;
        }
    }

    return 0;
}
