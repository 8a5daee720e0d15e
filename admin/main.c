/*
 * certhall-admin: one dispatch for every page and every command.
 *
 * As CGI (fcgiwrap sets GATEWAY_INTERFACE) it serves the page named by
 * PATH_INFO; its configuration file is named by CERTHALL_ADMIN_CONF, which
 * nginx passes with fastcgi_param.  Otherwise argv[1] names a command for
 * the scheduled jobs (cmd_*.c), which reads the same configuration file.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_route.h"
#include "job.h"


typedef struct {
    const char  *method;
    const char  *pattern;           /* lib/ch_route.h: "{}" is one segment */
    void       (*page)(admin_request_t *req);
} admin_route_t;


typedef struct {
    const char  *name;
    admin_command_pt   run;
    const char  *usage;
} admin_command_t;


/* first match wins: literal paths before the patterns that would take them */
static const admin_route_t  admin_routes[] = {
    { "GET",  "/admin/",                         page_queue },
    { "GET",  "/admin/login",                    page_login },
    { "POST", "/admin/login",                    page_login_post },
    { "POST", "/admin/logout",                   page_logout },
    { "GET",  "/admin/status",                   page_status },
    { "GET",  "/admin/jobs",                     page_jobs },
    { "GET",  "/admin/orders",                   page_queue },
    { "POST", "/admin/orders/approve",           page_bulk_approve },
    { "GET",  "/admin/orders/{}",                page_order },
    { "GET",  "/admin/orders/{}/files/{}",       page_file },
    { "POST", "/admin/orders/{}/invoice-correct", page_invoice_correct },
    { "POST", "/admin/orders/{}/{}",             page_order_action },
    { "GET",  "/admin/audit",                    page_audit },
    { "GET",  "/admin/staff",                    page_staff },
    { "POST", "/admin/staff",                    page_staff_create },
    { "POST", "/admin/staff/{}",                 page_staff_update },
    { "POST", "/admin/staff/{}/password",        page_staff_password },
    { "GET",  "/admin/agreements",               page_agreements },
    { "POST", "/admin/agreements/{}",            page_agreement_post },
    { "GET",  "/admin/alipay/refunds",           page_refunds },
    { "POST", "/admin/alipay/refunds/{}",        page_refund_post },
    { "GET",  "/admin/downloads",                page_downloads },
    { "POST", "/admin/downloads",                page_download_add },
    { "POST", "/admin/downloads/{}/replace",     page_download_replace },
    { "POST", "/admin/downloads/{}/retire",      page_download_retire },
    { "POST", "/admin/downloads/{}/edit",        page_download_edit },
    { "GET",  "/admin/invoices",                 page_invoices },
    { "POST", "/admin/invoices/{}/retry",        page_invoice_retry },
    { "GET",  "/admin/invoices/{}/{}",           page_invoice_file },
    { "GET",  "/admin/password",                 page_password },
    { "POST", "/admin/password",                 page_password_post },
};


static const admin_command_t  admin_commands[] = {
    { "sms-send", cmd_sms_send, "sms-send [-c FILE] [--once]" },
    { "alipay-sync", cmd_alipay_sync, "alipay-sync [-c FILE] [--once]" },
    { "auto-confirm", cmd_auto_confirm, "auto-confirm [-c FILE] [--once]" },
    { "invoice-send", cmd_invoice_send, "invoice-send [-c FILE] [--once]" },
    { "sweep-sessions", cmd_sweep, "sweep-sessions [-c FILE]" },
    { "sweep-sms-codes", cmd_sweep, "sweep-sms-codes [-c FILE]" },
    { "sweep-rate-limits", cmd_sweep, "sweep-rate-limits [-c FILE]" },
    { "sweep-storage", cmd_sweep_storage,
      "sweep-storage [-c FILE] [--older-than SECONDS]" },
    { "jobs", cmd_jobs, "jobs [-c FILE] | jobs run [-c FILE] [NAME...]" },
    { "staff-add", cmd_staff_add,
      "staff-add [-c FILE] LOGIN NAME ROLE[,ROLE...]  (password on stdin)" },
    { "staff-password", cmd_staff_password,
      "staff-password [-c FILE] LOGIN  (password on stdin)" },
    { "download-add", cmd_download_add,
      "download-add [-c FILE] --as LOGIN --category C [--project P] "
      "--title T [--description D] FILE" },
};


admin_command_pt
admin_command(const char *name)
{
    size_t  i;

    for (i = 0; i < sizeof(admin_commands) / sizeof(admin_commands[0]); i++) {
        if (strcmp(name, admin_commands[i].name) == 0) {
            return admin_commands[i].run;
        }
    }

    return NULL;
}


static const char *
admin_env(const char *name)
{
    const char  *v = getenv(name);

    return v ? v : "";
}


static int
admin_cgi(void)
{
    int                 path_known;
    size_t              i, j, len;
    char                err[512];
    const char         *conf;
    admin_request_t     req;
    ch_route_params_t   params;

    memset(&req, 0, sizeof(req));

    /* nginx passes the whole URI, /admin/... */
    req.path = admin_env("PATH_INFO");
    req.method = admin_env("REQUEST_METHOD");
    len = strlen(req.path);

    path_known = 0;

    for (i = 0; i < sizeof(admin_routes) / sizeof(admin_routes[0]); i++) {
        if (!ch_route_match(admin_routes[i].pattern,
                            (const unsigned char *) req.path, len, &params))
        {
            continue;
        }

        path_known = 1;

        if (strcmp(req.method, admin_routes[i].method) == 0
            || (strcmp(req.method, "HEAD") == 0
                && strcmp(admin_routes[i].method, "GET") == 0))
        {
            break;
        }
    }

    if (i == sizeof(admin_routes) / sizeof(admin_routes[0])) {
        if (path_known) {
            html_error_page(NULL, 405, "Method Not Allowed",
                            "不支持此请求方法。");

        } else {
            html_error_page(NULL, 404, "Not Found", "页面不存在。");
        }

        return 0;
    }

    for (j = 0; j < params.nparams && j < 2; j++) {
        if (params.param[j].len >= sizeof(req.param[j])) {
            html_error_page(NULL, 404, "Not Found", "页面不存在。");
            return 0;
        }

        memcpy(req.param[j], params.param[j].data, params.param[j].len);
        req.param[j][params.param[j].len] = '\0';
    }

    conf = getenv("CERTHALL_ADMIN_CONF");

    if (conf == NULL
        || admin_config_load(&req.config, conf, err, sizeof(err)) != 0)
    {
        fprintf(stderr, "certhall-admin: configuration: %s\n",
                conf ? err : "CERTHALL_ADMIN_CONF is not set");
        html_error_page(NULL, 500, "Internal Server Error",
                        "后台配置错误，请联系系统管理员。");
        return 0;
    }

    if (admin_request_read(&req) == 0) {
        admin_routes[i].page(&req);
    }

    fflush(stdout);
    admin_request_drain(&req);

    admin_request_free(&req);
    admin_config_free(&req.config);

    return 0;
}


int
main(int argc, char **argv)
{
    size_t            i;
    admin_command_pt  run;

    if (getenv("GATEWAY_INTERFACE") != NULL) {
        return admin_cgi();
    }

    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        puts("certhall-admin " ADMIN_VERSION);
        return 0;
    }

    run = argc > 1 ? admin_command(argv[1]) : NULL;

    if (run) {
        return run(argc - 1, argv + 1);
    }

    fprintf(stderr, "usage: certhall-admin --version\n");

    for (i = 0; i < sizeof(admin_commands) / sizeof(admin_commands[0]); i++) {
        fprintf(stderr, "       certhall-admin %s\n", admin_commands[i].usage);
    }

    fprintf(stderr, "       (as CGI behind fcgiwrap: serves the back office)\n");

    return 2;
}
