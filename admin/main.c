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


typedef struct {
    const char  *path;
    void       (*page)(admin_request_t *req);
} admin_route_t;


typedef struct {
    const char  *name;
    int        (*run)(int argc, char **argv);
    const char  *usage;
} admin_command_t;


static const admin_route_t  admin_routes[] = {
    { "/", page_home },
};


static const admin_command_t  admin_commands[] = {
    { "sms-send", cmd_sms_send, "sms-send [-c FILE] [--once]" },
};


static const char *
admin_env(const char *name)
{
    const char  *v = getenv(name);

    return v ? v : "";
}


static int
admin_cgi(void)
{
    size_t            i;
    char              err[512];
    const char       *conf, *path;
    admin_request_t   req;

    memset(&req, 0, sizeof(req));

    req.method = admin_env("REQUEST_METHOD");
    req.query = admin_env("QUERY_STRING");

    /* nginx passes the whole URI; the pages are named below /admin */
    path = admin_env("PATH_INFO");
    if (strncmp(path, "/admin", 6) == 0) {
        path += 6;
    }
    req.path = *path ? path : "/";

    for (i = 0; i < sizeof(admin_routes) / sizeof(admin_routes[0]); i++) {
        if (strcmp(req.path, admin_routes[i].path) == 0) {
            break;
        }
    }

    if (i == sizeof(admin_routes) / sizeof(admin_routes[0])) {
        html_error_page(404, "Not Found", "页面不存在。");
        return 0;
    }

    if (strcmp(req.method, "GET") != 0 && strcmp(req.method, "HEAD") != 0) {
        html_error_page(405, "Method Not Allowed", "不支持此请求方法。");
        return 0;
    }

    conf = getenv("CERTHALL_ADMIN_CONF");

    if (conf == NULL
        || admin_config_load(&req.config, conf, err, sizeof(err)) != 0)
    {
        fprintf(stderr, "certhall-admin: configuration: %s\n",
                conf ? err : "CERTHALL_ADMIN_CONF is not set");
        html_error_page(500, "Internal Server Error",
                        "后台配置错误，请联系系统管理员。");
        return 0;
    }

    admin_routes[i].page(&req);

    admin_config_free(&req.config);

    return 0;
}


int
main(int argc, char **argv)
{
    size_t  i;

    if (getenv("GATEWAY_INTERFACE") != NULL) {
        return admin_cgi();
    }

    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        puts("certhall-admin " ADMIN_VERSION);
        return 0;
    }

    for (i = 0; argc > 1 && i < sizeof(admin_commands)
                                / sizeof(admin_commands[0]); i++)
    {
        if (strcmp(argv[1], admin_commands[i].name) == 0) {
            return admin_commands[i].run(argc - 1, argv + 1);
        }
    }

    fprintf(stderr, "usage: certhall-admin --version\n");

    for (i = 0; i < sizeof(admin_commands) / sizeof(admin_commands[0]); i++) {
        fprintf(stderr, "       certhall-admin %s\n", admin_commands[i].usage);
    }

    fprintf(stderr, "       (as CGI behind fcgiwrap: serves the back office)\n");

    return 2;
}
