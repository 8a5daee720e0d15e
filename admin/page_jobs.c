/*
 * The scheduled jobs: GET /admin/jobs (admin role).  What
 * "certhall-admin jobs" shows (admin.jobs()): every job, its schedule and
 * its last run, so that an admin sees a job that stopped running or keeps
 * failing without a shell on the machines.
 */

#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "job.h"


/* job_runs.status, for people */
static const char *
jobs_status_label(const char *status)
{
    if (status == NULL) {
        return "从未运行";
    }

    if (strcmp(status, "ok") == 0) {
        return "成功";
    }

    if (strcmp(status, "failed") == 0) {
        return "部分失败";
    }

    if (strcmp(status, "error") == 0) {
        return "未能运行";
    }

    return "运行中";
}


void
page_jobs(admin_request_t *req)
{
    int             i;
    PGresult       *res;
    const char     *status, *v;
    admin_error_t   err;

    if (admin_session(req, 0, "admin") != 0) {
        return;
    }

    res = admin_db_call(req,
        "SELECT name, title, schedule, description, last_status, "
        "last_done, last_failed, last_message, last_host, running, "
        "to_char(last_started_at AT TIME ZONE 'Asia/Shanghai', "
        "'YYYY\"年\"MM\"月\"DD\"日\" HH24:MI:SS') AS started, "
        "round(extract(epoch FROM last_finished_at - last_started_at), 1) "
        "AS took FROM admin.jobs()",
        0, NULL, &err);

    if (res == NULL) {
        admin_error_page(req, &err, NULL);
        return;
    }

    html_headers(200, "OK", NULL);
    html_page_begin(req, "定时任务");

    html_raw("<p>每个任务由 systemd 定时器或 cron 运行 "
             "<code>certhall-admin 任务名</code>；下表是每个任务最近一次"
             "运行（北京时间）。</p>\n"
             "<table id=\"jobs\">\n<thead><tr><th>任务</th><th>计划</th>"
             "<th>上次开始</th><th>用时（秒）</th><th>结果</th>"
             "<th>完成/失败</th><th>主机</th><th>信息</th></tr></thead>\n"
             "<tbody>\n");

    for (i = 0; i < PQntuples(res); i++) {
        status = db_nullable(res, i, "last_status");

        html_raw("<tr id=\"job-");
        html_attr(db_value(res, i, "name"));
        html_raw("\" class=\"job-");
        html_attr(status ? status : "never");
        html_raw("\"><td><strong>");
        html_txt(db_value(res, i, "title"));
        html_raw("</strong> <code>");
        html_txt(db_value(res, i, "name"));
        html_raw("</code><br><small>");
        html_txt(db_value(res, i, "description"));
        html_raw("</small></td><td><code>");
        html_txt(db_value(res, i, "schedule"));
        html_raw("</code></td><td>");
        html_txt(status ? db_value(res, i, "started") : "—");
        html_raw("</td><td>");
        v = db_nullable(res, i, "took");
        html_txt(v ? v : "—");
        html_raw("</td><td class=\"status\">");
        html_txt(jobs_status_label(status));

        if (strcmp(db_value(res, i, "running"), "0") != 0) {
            html_raw("（");
            html_txt(db_value(res, i, "running"));
            html_raw(" 个运行中）");
        }

        html_raw("</td><td>");

        if (db_nullable(res, i, "last_done")) {
            html_txt(db_value(res, i, "last_done"));
            html_raw("/");
            html_txt(db_value(res, i, "last_failed"));

        } else {
            html_raw("—");
        }

        html_raw("</td><td>");
        v = db_nullable(res, i, "last_host");
        html_txt(v ? v : "—");
        html_raw("</td><td class=\"message\">");
        v = db_nullable(res, i, "last_message");
        html_txt(v ? v : "");
        html_raw("</td></tr>\n");
    }

    html_raw("</tbody>\n</table>\n");
    html_page_end();

    PQclear(res);
}
