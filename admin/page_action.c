/*
 * What staff do to one order: POST /admin/orders/{id}/{action}.
 *
 *   approve          reviewer   pending_review -> pending_shipment
 *   reject           reviewer   pending_review -> rejected, with a reason
 *                               and the materials to upload again
 *   voucher-confirm  finance    the transfer arrived: payer and amount as
 *                               on the voucher (the state does not move)
 *   voucher-refuse   finance    pending_review -> pending_voucher
 *                               (both: page_payment.c)
 *   certificate      shipper    the certificate issued for the order
 *   ship             shipper    pending_shipment -> shipped
 *   pickup           shipper    pending_shipment -> pending_invoice
 *
 * Each is one admin.* function: it checks the session, the form token and
 * the role, goes through order_transition() (the one state machine) and
 * writes the audit trail, all in one transaction, the request's one
 * statement.  Success is a 303 back to the order; a refusal is a page with
 * the database's status and message, and changed nothing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_date.h"


#define ACTION_KINDS_MAX  32

/* the parameters every action's function takes first, $1..$4 */
enum {
    ACTION_TOKEN = 0,               /* the session cookie's */
    ACTION_CSRF,                    /* the form's */
    ACTION_CLIENT,
    ACTION_ORDER,
    ACTION_FIELDS                   /* the form fields' from here */
};

/* the parameters at most: the fixed ones, 3 fields, 1 of extra() */
#define ACTION_PARAMS_MAX  (ACTION_FIELDS + 3 + 1)


typedef struct {
    const char  *action;            /* in the URL */
    const char  *sql;               /* $1..$4: token, csrf, client, order */
    const char  *fields[3];         /* the form fields for $5.. */

    /*
     * the parameter after the fields that is not a field as it came, made
     * into buf: 0, or -1 when the page was answered; NULL for none
     */
    int        (*extra)(admin_request_t *req, const char *back, char *buf,
                        size_t size);

    unsigned     dates;             /* bit j: fields[j] is a typed date */
} action_t;


static int action_reject_kinds(admin_request_t *req, const char *back,
    char *buf, size_t size);


static const action_t  actions[] = {
    { "approve",
      "SELECT admin.approve($1, $2, $3::inet, $4)", { NULL }, NULL, 0 },
    { "reject",
      "SELECT admin.reject($1, $2, $3::inet, $4, $5, $6::text[])",
      { "reason", NULL },
      action_reject_kinds, 0 },             /* $6: kind.<code> checkboxes */
    { "voucher-confirm",
      "SELECT admin.voucher_confirm($1, $2, $3::inet, $4, $5, $6::bigint)",
      { "payer", NULL },
      payment_voucher_amount, 0 },          /* $6: amount, read as fen */
    { "voucher-refuse",
      "SELECT admin.voucher_refuse($1, $2, $3::inet, $4, $5)",
      { "reason", NULL }, NULL, 0 },
    { "certificate",
      "SELECT admin.certificate_record($1, $2, $3::inet, $4, $5, $6::date, "
      "$7::date)", { "serial", "valid_from", "valid_to" }, NULL, 6 },
    { "ship",
      "SELECT admin.ship($1, $2, $3::inet, $4, $5, $6)",
      { "courier", "tracking_no", NULL }, NULL, 0 },
    { "pickup",
      "SELECT admin.pickup($1, $2, $3::inet, $4, $5)",
      { "picked_up_by", NULL }, NULL, 0 },
};


/* reject's materials to upload again, as a text[] literal into buf */
static int
action_reject_kinds(admin_request_t *req, const char *back, char *buf,
    size_t size)
{
    (void) back;

    /* "kind.<code>": material_kinds codes are [a-z0-9_] */
    if (admin_checked(req, "kind.", "abcdefghijklmnopqrstuvwxyz0123456789_",
                      40, ACTION_KINDS_MAX, buf, size) != 0)
    {
        html_error_page(req, 422, "Unprocessable Entity",
                        "所选资料不正确。");
        return -1;
    }

    return 0;
}


void
page_order_action(admin_request_t *req)
{
    size_t           i, j;
    int              bad;
    char             token[128], back[96], done[160], extra[1024];
    char             dates[3][CH_DATE_ISO_SIZE];
    PGresult        *res;
    const char      *params[ACTION_PARAMS_MAX];
    const action_t  *a;
    admin_error_t    err;

    a = NULL;

    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(req->param[1], actions[i].action) == 0) {
            a = &actions[i];
            break;
        }
    }

    if (a == NULL) {
        html_error_page(NULL, 404, "Not Found", "页面不存在。");
        return;
    }

    /*
     * the session, the form token and the role are the function's to
     * check, in its transaction: one statement; a refusal, the function's
     * or the form's, is preceded by admin_session()'s (admin_error_page)
     */
    if (admin_session_deferred(req, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    snprintf(back, sizeof(back), "/admin/orders/%s", req->param[0]);

    params[ACTION_TOKEN] = admin_session_token(token, sizeof(token));
    params[ACTION_CSRF] = admin_field(req, "csrf");
    params[ACTION_CLIENT] = req->client;
    params[ACTION_ORDER] = req->param[0];

    bad = 0;

    for (j = 0; j < 3 && a->fields[j]; j++) {
        params[ACTION_FIELDS + j] = admin_field(req, a->fields[j]);

        /* 2026年12月7日 as the database's 2026-12-07; nothing typed stays */
        if ((a->dates & (1u << j))
            && admin_date(params[ACTION_FIELDS + j], dates[j], &bad))
        {
            params[ACTION_FIELDS + j] = dates[j];
        }
    }

    if (bad) {
        html_error_page(req, 422, "Unprocessable Entity",
                        CH_DATE_WRONG "证书有效期。");
        return;
    }

    if (a->extra) {
        if (a->extra(req, back, extra, sizeof(extra)) != 0) {
            return;
        }

        params[ACTION_FIELDS + j++] = extra;
    }

    res = admin_db_call(req, a->sql, (int) (ACTION_FIELDS + j), params, &err);

    if (res == NULL) {
        admin_error_page(req, &err, back);
        return;
    }

    PQclear(res);

    snprintf(done, sizeof(done), "%s?done=%s", back, a->action);
    admin_redirect(req, done, NULL);
}
