/*
 * The printable application form: see ch_appform.h.
 */

#include <string.h>

#include "ch_appform.h"
#include "ch_html.h"


typedef struct {
    unsigned char  *p;          /* NULL: only count */
    size_t          len;
} ch_appform_out_t;


static void
ch_put(ch_appform_out_t *o, const char *s)
{
    size_t  n = strlen(s);

    if (o->p) {
        memcpy(o->p + o->len, s, n);
    }

    o->len += n;
}


static void
ch_put_escaped(ch_appform_out_t *o, const char *s)
{
    if (s == NULL) {
        return;
    }

    o->len += ch_html_escape(o->p ? o->p + o->len : NULL,
                             (const unsigned char *) s, strlen(s));
}


/* one row of the table: a label and its value */
static void
ch_row(ch_appform_out_t *o, const char *label, const char *value)
{
    ch_put(o, "<tr><th>");
    ch_put(o, label);
    ch_put(o, "</th><td>");
    ch_put_escaped(o, value);
    ch_put(o, "</td></tr>\n");
}


/* a box ticked or not, for the service and type the order is for */
static void
ch_box(ch_appform_out_t *o, const char *value, const char *code,
    const char *label)
{
    ch_put(o, value && strcmp(value, code) == 0 ? "☑ " : "☐ ");
    ch_put(o, label);
    ch_put(o, "　");
}


size_t
ch_appform_render(unsigned char *out, const ch_appform_t *f)
{
    int               org;
    ch_appform_out_t  o;

    o.p = out;
    o.len = 0;

    org = f->cert_type && strcmp(f->cert_type, "org") == 0;

    ch_put(&o,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
        "<meta charset=\"utf-8\">\n<title>数字证书申请表 ");
    ch_put_escaped(&o, f->order_id);
    ch_put(&o,
        "</title>\n<style>\n"
        "body{font-family:\"SimSun\",\"Songti SC\",serif;margin:2em auto;"
        "max-width:46em;color:#000}\n"
        "h1{text-align:center;font-size:1.6em;letter-spacing:.2em}\n"
        "table{width:100%;border-collapse:collapse;margin:1em 0}\n"
        "th,td{border:1px solid #000;padding:.5em;text-align:left}\n"
        "th{width:12em;font-weight:normal;background:#f4f4f4}\n"
        ".meta{display:flex;justify-content:space-between}\n"
        ".sign{margin-top:3em;line-height:3em}\n"
        ".note{font-size:.9em}\n"
        "@media print{.hint{display:none}body{margin:0}}\n"
        "</style>\n</head>\n<body>\n"
        "<p class=\"hint\">请核对以下信息，使用浏览器的打印功能（Ctrl+P）打印本表，"
        "手写签字");
    ch_put(&o, org ? "并加盖单位公章" : "");
    ch_put(&o, "后，拍照或扫描为彩色图片上传。</p>\n<h1>");
    ch_put(&o, org ? "单位数字证书申请表" : "个人数字证书申请表");
    ch_put(&o, "</h1>\n<p class=\"meta\"><span>订单号：");
    ch_put_escaped(&o, f->order_id);
    ch_put(&o, "</span><span>填表日期：");
    ch_put_escaped(&o, f->date);
    ch_put(&o, "</span></p>\n<table>\n");

    ch_row(&o, "申请项目", f->project_name);

    ch_put(&o, "<tr><th>业务类型</th><td>");
    ch_box(&o, f->service, "new", "新办");
    ch_box(&o, f->service, "renew", "延期");
    ch_box(&o, f->service, "unlock", "解锁");
    ch_box(&o, f->service, "replace", "补办");
    ch_put(&o, "</td></tr>\n<tr><th>证书类型</th><td>");
    ch_box(&o, f->cert_type, "org", "单位证书");
    ch_box(&o, f->cert_type, "personal", "个人证书");
    ch_put(&o, "</td></tr>\n");

    if (f->certificate_serial) {
        ch_row(&o, "原证书序列号", f->certificate_serial);
    }

    if (org) {
        ch_row(&o, "单位名称", f->org_name);
        ch_row(&o, "统一社会信用代码", f->uscc);
        ch_row(&o, "法定代表人姓名", f->person_name);
        ch_row(&o, "法定代表人身份证号码", f->person_id);
        ch_row(&o, "经办人姓名", f->handler_name);
        ch_row(&o, "经办人手机号码", f->mobile);

    } else {
        ch_row(&o, "姓名", f->person_name);
        ch_row(&o, "身份证号码", f->person_id);
        ch_row(&o, "手机号码", f->mobile);
    }

    ch_row(&o, "电子邮箱", f->email);

    ch_put(&o,
        "</table>\n<p class=\"note\">申请人承诺：以上信息真实、准确、完整，"
        "已阅读并同意《数字证书申请责任书》，并对所提交资料的真实性负责。</p>\n"
        "<div class=\"sign\">\n");

    if (org) {
        ch_put(&o,
            "<p>法定代表人（签字）：____________________　"
            "经办人（签字）：____________________</p>\n"
            "<p>单位（盖章）：</p>\n");

    } else {
        ch_put(&o, "<p>申请人（签字）：____________________</p>\n");
    }

    ch_put(&o,
        "<p>日期：________年____月____日</p>\n</div>\n</body>\n</html>\n");

    return o.len;
}
