/*
 * What staff do to one order: POST /admin/orders/{id}/{action}.
 *
 *   approve          reviewer   pending_review -> pending_shipment
 *   reject           reviewer   pending_review -> rejected, with a reason
 *                               and the materials to upload again
 *   voucher-confirm  finance    the transfer arrived: payer and amount as
 *                               on the voucher (the state does not move)
 *   voucher-refuse   finance    pending_review -> pending_voucher
 *   certificate      shipper    the certificate issued for the order
 *   ship             shipper    pending_shipment -> shipped
 *   pickup           shipper    pending_shipment -> pending_invoice
 *
 * Each is one admin.* function: it checks the session, the form token and
 * the role, goes through order_transition() (the one state machine) and
 * writes the audit trail, all in one transaction.  Success is a 303 back
 * to the order; a refusal is a page with the database's status and
 * message, and changed nothing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_money.h"


#define ACTION_KINDS_MAX  32


typedef struct {
    const char  *action;            /* in the URL */
    const char  *sql;               /* $1..$4: token, csrf, client, order */
    const char  *fields[3];         /* the form fields for $5.. */
} action_t;


static const action_t  actions[] = {
    { "approve",
      "SELECT admin.approve($1, $2, $3::inet, $4)", { NULL } },
    { "reject",
      "SELECT admin.reject($1, $2, $3::inet, $4, $5, $6::text[])",
      { "reason", NULL } },                 /* $6: kind.<code> checkboxes */
    { "voucher-confirm",
      "SELECT admin.voucher_confirm($1, $2, $3::inet, $4, $5, $6::bigint)",
      { "payer", NULL } },                  /* $6: amount, read as fen */
    { "voucher-refuse",
      "SELECT admin.voucher_refuse($1, $2, $3::inet, $4, $5)",
      { "reason", NULL } },
    { "certificate",
      "SELECT admin.certificate_record($1, $2, $3::inet, $4, $5, $6::date, "
      "$7::date)", { "serial", "valid_from", "valid_to" } },
    { "ship",
      "SELECT admin.ship($1, $2, $3::inet, $4, $5, $6)",
      { "courier", "tracking_no", NULL } },
    { "pickup",
      "SELECT admin.pickup($1, $2, $3::inet, $4, $5)",
      { "picked_up_by", NULL } },
};


void
page_order_action(admin_request_t *req)
{
    size_t           i, j;
    char             token[128], back[96], done[160], kinds[1024], fen[24];
    PGresult        *res;
    long long        amount;
    const char      *params[8], *v;
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

    /* the role is the database's to check, with the action */
    if (admin_session(req, 1, ADMIN_ROLE_ANY) != 0) {
        return;
    }

    snprintf(back, sizeof(back), "/admin/orders/%s", req->param[0]);

    params[0] = admin_session_token(token, sizeof(token));
    params[1] = admin_field(req, "csrf");
    params[2] = req->client;
    params[3] = req->param[0];

    for (j = 0; j < 3 && a->fields[j]; j++) {
        params[4 + j] = admin_field(req, a->fields[j]);
    }

    if (strcmp(a->action, "reject") == 0) {
        /* "kind.<code>": material_kinds codes are [a-z0-9_] */
        if (admin_checked(req, "kind.", "abcdefghijklmnopqrstuvwxyz0123456789_",
                          40, ACTION_KINDS_MAX, kinds, sizeof(kinds)) != 0)
        {
            html_error_page(req, 422, "Unprocessable Entity",
                            "所选资料不正确。");
            return;
        }

        params[5] = kinds;
        j = 2;

    } else if (strcmp(a->action, "voucher-confirm") == 0) {
        v = admin_field(req, "amount");

        if (v == NULL || ch_money_parse(v, strlen(v), &amount) != 0) {
            memset(&err, 0, sizeof(err));
            err.status = 422;
            snprintf(err.code, sizeof(err.code), "invalid_amount");
            snprintf(err.message, sizeof(err.message),
                     "到账金额格式不正确，请按凭证填写，如 300.00。");
            admin_error_page(req, &err, back);
            return;
        }

        snprintf(fen, sizeof(fen), "%lld", amount);
        params[5] = fen;
        j = 2;
    }

    res = admin_db_call(req, a->sql, (int) (4 + j), params, &err);

    if (res == NULL) {
        admin_error_page(req, &err, back);
        return;
    }

    PQclear(res);

    snprintf(done, sizeof(done), "%s?done=%s", back, a->action);
    admin_redirect(req, done, NULL);
}
