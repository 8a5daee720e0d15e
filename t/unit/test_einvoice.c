/*
 * lib/ch_einvoice_xml.c and ch_einvoice_answer.c: the FPKJ request built
 * with libxml2's tree API and validated against schema/fpkj.xsd (every
 * document built here is also validated again, independently, from its
 * bytes), and the platform's answer parsed, good, bad and hostile.
 * Run from the repository's top folder (as t/bin/run-tests does).
 */

#include <stdio.h>
#include <stdlib.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "unit.h"
#include "ch_base64.h"
#include "ch_einvoice_xml.h"

#define SCHEMA         "schema/fpkj.xsd"
#define ANSWER_SCHEMA  "schema/fpkj-answer.xsd"

static ch_einvoice_schema_t  *schema;


static void
silent(void *data, xmlErrorPtr e)
{
    (void) data;
    (void) e;
}


/* the bytes parse and validate against the XSD, seen from outside */
static int
valid_bytes(const char *xsd, const unsigned char *xml, size_t len)
{
    int                     rc;
    xmlDocPtr               doc;
    xmlSchemaPtr            xs;
    xmlSchemaValidCtxtPtr   v;
    xmlSchemaParserCtxtPtr  p;

    p = xmlSchemaNewParserCtxt(xsd);
    assert_non_null(p);
    xs = xmlSchemaParse(p);
    xmlSchemaFreeParserCtxt(p);
    assert_non_null(xs);

    doc = xmlReadMemory((const char *) xml, (int) len, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR
                        | XML_PARSE_NOWARNING);
    rc = -1;
    if (doc != NULL) {
        v = xmlSchemaNewValidCtxt(xs);
        xmlSchemaSetValidStructuredErrors(v, silent, NULL);
        rc = xmlSchemaValidateDoc(v, doc);
        xmlSchemaFreeValidCtxt(v);
        xmlFreeDoc(doc);
    }

    xmlSchemaFree(xs);

    return rc == 0;
}


static ch_einvoice_item_t  items[3];


static void
blue(ch_einvoice_request_t *req)
{
    memset(req, 0, sizeof(ch_einvoice_request_t));
    memset(items, 0, sizeof(items));

    items[0].name = "*信息技术服务*个人数字证书";
    items[0].unit = "张";
    items[0].spbm = "3040201990000000000";
    items[0].amount.price_fen = 9;
    items[0].amount.quantity = 3;
    items[0].amount.rate_bp = 600;

    req->serial = "CH202611150930000003";
    req->kind = CH_EINVOICE_BLUE;
    req->seller_taxpayer_id = "91110000MA01ABCD1X";
    req->seller_name = "某某数字认证股份有限公司";
    req->seller_address_phone = "北京市海淀区 010-12345678";
    req->seller_bank_account = "招商银行北京分行 110912345610101";
    req->buyer_taxpayer_id = "91310000MA1FL0XX2K";
    req->buyer_name = "上海某某科技有限公司";
    req->buyer_email = "finance@example.cn";
    req->buyer_mobile = "13800138000";
    req->issuer = "开票员";
    req->remark = "订单 UO202611150930000003";
    req->items = items;
    req->nitems = 1;
}


/* builds, expects success, checks the bytes independently; returns them
 * NUL-terminated for strstr */
static char *
built(ch_einvoice_request_t *req, ch_invoice_sum_t *sum)
{
    int             rc;
    char            err[CH_EINVOICE_ERR_LEN], *s;
    size_t          len = 0;
    unsigned char  *out = NULL;

    rc = ch_einvoice_build(req, schema, &out, &len, sum, err);
    if (rc != 0) {
        print_error("refused: %s\n", err);
    }
    assert_int_equal(rc, 0);
    assert_true(valid_bytes(SCHEMA, out, len));

    s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, out, len);
    s[len] = '\0';
    free(out);

    return s;
}


static void
refused_with(ch_einvoice_request_t *req, const char *reason)
{
    char             err[CH_EINVOICE_ERR_LEN];
    size_t           len = 7;
    unsigned char   *out = NULL;
    ch_invoice_sum_t sum = { 1, 2, 3 };

    assert_int_equal(ch_einvoice_build(req, schema, &out, &len, &sum, err),
                     -1);
    assert_null(out);
    assert_int_equal(len, 7);
    assert_int_equal(sum.total_fen, 1);
    if (strstr(err, reason) == NULL) {
        print_error("reason \"%s\" lacks \"%s\"\n", err, reason);
        fail();
    }
}


static void
a_blue_invoice_validates_and_sums_its_lines(void **state)
{
    char                  *x;
    ch_invoice_sum_t       sum;
    ch_einvoice_request_t  req;

    (void) state;

    blue(&req);

    /* three lines whose per-line rounding differs from the total's */
    items[1] = items[0];
    items[2] = items[0];
    items[0].amount.quantity = 1;
    items[1].amount.quantity = 1;
    items[2].amount.quantity = 1;
    items[2].name = "*信息技术服务*证书介质";
    items[2].amount.price_fen = 10600;
    req.nitems = 3;

    x = built(&req, &sum);

    /* 0.09 + 0.09 + 106.00: tax 0.01 + 0.01 + 6.00 */
    assert_int_equal(sum.total_fen, 10618);
    assert_int_equal(sum.tax_fen, 602);
    assert_int_equal(sum.net_fen, 10016);
    assert_non_null(strstr(x, "<JSHJ>106.18</JSHJ><HJJE>100.16</HJJE>"
                              "<HJSE>6.02</HJSE>"));
    assert_non_null(strstr(x, "<KPLX>0</KPLX>"));
    assert_null(strstr(x, "YFP_"));
    assert_non_null(strstr(x, "<business id=\"FPKJ\">"));
    assert_non_null(strstr(x, "<COMMON_FPKJ_XMXXS class=\"COMMON_FPKJ_XMXX\""
                              " size=\"3\">"));
    assert_non_null(strstr(x, "<XMSL>1</XMSL><XMDJ>0.09</XMDJ>"
                              "<XMJE>0.09</XMJE><SL>0.06</SL><SE>0.01</SE>"
                              "<HSBZ>1</HSBZ>"));
    assert_non_null(strstr(x, "<XMMC>*信息技术服务*证书介质</XMMC>"));
    /* the computed fields are handed back for the caller to store */
    assert_int_equal(items[2].amount.tax_fen, 600);
    /* optional fields left empty are left out */
    assert_null(strstr(x, "<SKR>"));
    assert_null(strstr(x, "<GGXH>"));
    assert_non_null(strstr(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    free(x);

    /* a person: no taxpayer id, no mobile, no remark */
    blue(&req);
    req.buyer_taxpayer_id = NULL;
    req.buyer_mobile = "";
    req.remark = NULL;
    req.buyer_name = "张三";
    x = built(&req, &sum);
    assert_null(strstr(x, "GMF_NSRSBH"));
    assert_null(strstr(x, "GMF_SJH"));
    assert_null(strstr(x, "<BZ>"));
    /* 3 x 0.09 on one line: 0.27 with 0.02 of tax */
    assert_non_null(strstr(x, "<JSHJ>0.27</JSHJ><HJJE>0.25</HJJE>"
                              "<HJSE>0.02</HJSE>"));
    free(x);

    /* 13 % and 0 % */
    blue(&req);
    items[0].amount.rate_bp = 1300;
    items[0].amount.price_fen = 9999999;
    items[0].amount.quantity = 1;
    x = built(&req, &sum);
    assert_non_null(strstr(x, "<SL>0.13</SL><SE>11504.42</SE>"));
    free(x);
    items[0].amount.rate_bp = 0;
    x = built(&req, &sum);
    assert_non_null(strstr(x, "<SL>0</SL><SE>0.00</SE>"));
    free(x);
}


static void
a_red_invoice_carries_the_original_and_negates_the_lines(void **state)
{
    char                  *x;
    ch_invoice_sum_t       sum;
    ch_einvoice_request_t  req;

    (void) state;

    blue(&req);
    req.kind = CH_EINVOICE_RED;
    req.serial = "CH202611150930000R1";
    req.original_code = "011001900111";
    req.original_number = "12345678";
    x = built(&req, &sum);

    assert_non_null(strstr(x, "<KPLX>1</KPLX>"));
    assert_non_null(strstr(x, "<YFP_DM>011001900111</YFP_DM>"
                              "<YFP_HM>12345678</YFP_HM>"));
    assert_non_null(strstr(x, "<JSHJ>-0.27</JSHJ><HJJE>-0.25</HJJE>"
                              "<HJSE>-0.02</HJSE>"));
    assert_non_null(strstr(x, "<XMSL>-3</XMSL><XMDJ>0.09</XMDJ>"
                              "<XMJE>-0.27</XMJE><SL>0.06</SL>"
                              "<SE>-0.02</SE>"));
    assert_int_equal(sum.total_fen, -27);
    free(x);

    /* the rule the XSD cannot state, both ways */
    req.original_number = NULL;
    refused_with(&req, "red invoice needs the original");
    req.original_number = "12345678";
    req.original_code = "";
    refused_with(&req, "red invoice needs the original");

    blue(&req);
    req.original_code = "011001900111";
    refused_with(&req, "blue invoice has no original");

    /* the original's code and number must look like ones */
    blue(&req);
    req.kind = CH_EINVOICE_RED;
    req.original_code = "0110019001";
    req.original_number = "1234567X";
    refused_with(&req, "YFP_HM");
}


static void
titles_are_escaped_by_libxml2(void **state)
{
    char                  *x;
    xmlDocPtr              doc;
    xmlNodePtr             n;
    xmlChar               *title;
    ch_invoice_sum_t       sum;
    ch_einvoice_request_t  req;
    const char            *hostile = "A&B <C> \"D\" 'E' </GMF_MC><KPLX>1";

    (void) state;

    blue(&req);
    req.buyer_name = hostile;
    req.remark = "第一行\n]]> &amp; <!-- -->";
    x = built(&req, &sum);

    assert_non_null(strstr(x, "<GMF_MC>A&amp;B &lt;C&gt; \"D\" 'E' "
                              "&lt;/GMF_MC&gt;&lt;KPLX&gt;1</GMF_MC>"));
    assert_non_null(strstr(x, "&amp;amp;"));
    /* and it reads back as exactly what was given */
    doc = xmlReadMemory(x, (int) strlen(x), NULL, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    n = xmlDocGetRootElement(doc)->children->children->children;
    while (n != NULL && xmlStrcmp(n->name, BAD_CAST "GMF_MC") != 0) {
        n = n->next;
    }
    assert_non_null(n);
    title = xmlNodeGetContent(n);
    assert_string_equal((char *) title, hostile);
    xmlFree(title);
    xmlFreeDoc(doc);
    free(x);
}


static void
what_the_schema_or_the_rules_refuse_is_not_built(void **state)
{
    ch_einvoice_request_t  req;

    (void) state;

    blue(&req);
    req.serial = "CH-2026";
    refused_with(&req, "FPQQLSH");
    req.serial = "CH2026111509300000031";          /* 21 characters */
    refused_with(&req, "FPQQLSH");
    req.serial = NULL;
    refused_with(&req, "FPQQLSH");

    blue(&req);
    req.buyer_taxpayer_id = "9131000";
    refused_with(&req, "GMF_NSRSBH");
    blue(&req);
    req.buyer_taxpayer_id = "91310000ma1fl0xx2k";
    refused_with(&req, "GMF_NSRSBH");
    blue(&req);
    req.buyer_mobile = "12800138000";
    refused_with(&req, "GMF_SJH");
    blue(&req);
    req.buyer_email = "finance.example.cn";
    refused_with(&req, "GMF_DZYX");
    blue(&req);
    items[0].spbm = "304020199000000000";
    refused_with(&req, "SPBM");
    blue(&req);
    req.buyer_name = "";
    refused_with(&req, "GMF_MC");
    blue(&req);
    req.issuer = NULL;
    refused_with(&req, "KPR");

    /* what XML cannot carry */
    blue(&req);
    req.buyer_name = "A\x01" "B";
    refused_with(&req, "control characters");
    blue(&req);
    req.buyer_name = "A\nB";
    refused_with(&req, "control characters");
    blue(&req);
    req.buyer_name = "\xe4\xb8";                    /* cut UTF-8 */
    refused_with(&req, "UTF-8");
    blue(&req);
    req.buyer_name = "\xed\xa0\x80";                /* a surrogate */
    refused_with(&req, "UTF-8");
    blue(&req);
    items[0].name = "\xef\xbf\xbf";                 /* U+FFFF */
    refused_with(&req, "an item");
    blue(&req);
    req.remark = "a\rb";
    refused_with(&req, "the remark");

    /* amounts */
    blue(&req);
    req.nitems = 0;
    refused_with(&req, "without lines");
    blue(&req);
    items[0].amount.quantity = 0;
    refused_with(&req, "line 1: the quantity");
    blue(&req);
    items[0].amount.quantity = -1;
    refused_with(&req, "line 1: the quantity");
    blue(&req);
    items[0].amount.rate_bp = 10001;
    refused_with(&req, "line 1: a bad");
    blue(&req);
    items[0].amount.price_fen = 0x7fffffffffffffffLL;
    refused_with(&req, "line 1: a bad");
    blue(&req);
    items[1] = items[0];
    items[0].amount.price_fen = CH_INVOICE_MAX_FEN;
    items[0].amount.quantity = 1;
    items[1].amount.price_fen = 1;
    req.nitems = 2;
    refused_with(&req, "too large");
}


/* --- the answer ------------------------------------------------------- */

static const char  pdf_b64[] =
    /* "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" wrapped as providers wrap it */
    "JVBERi0xLjQK\n  JeLjz9MK";

static int
parse(const char *s, ch_einvoice_answer_t *a, char *err)
{
    return ch_einvoice_answer_parse((const unsigned char *) s, strlen(s), a,
                                    err);
}


static void
refused_answer(const char *s, const char *reason)
{
    char                  err[CH_EINVOICE_ERR_LEN];
    ch_einvoice_answer_t  a;

    memset(&a, 0x5a, sizeof(a));
    if (parse(s, &a, err) != -1) {
        print_error("accepted: %s\n", s);
        fail();
    }
    if (strstr(err, reason) == NULL) {
        print_error("reason \"%s\" lacks \"%s\" for %s\n", err, reason, s);
        fail();
    }
}


static void
an_issued_answer_is_read(void **state)
{
    char                  err[CH_EINVOICE_ERR_LEN], doc[1024];
    ch_einvoice_answer_t  a;

    (void) state;

    snprintf(doc, sizeof(doc),
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<business id=\"FPKJ\">\n"
             "  <returncode>0000</returncode>\n"
             "  <returnmsg>开票成功</returnmsg>\n"
             "  <returndata>\n"
             "    <fpdm> 011001900111 </fpdm><fphm>12345678</fphm>\n"
             "    <kprq>20261207081900</kprq>\n"
             "    <pdf>%s</pdf>\n"
             "  </returndata>\n"
             "</business>\n", pdf_b64);

    assert_true(valid_bytes(ANSWER_SCHEMA, (unsigned char *) doc,
                            strlen(doc)));
    assert_int_equal(parse(doc, &a, err), 0);
    assert_true(ch_einvoice_answer_issued(&a));
    assert_string_equal(a.returncode, "0000");
    assert_string_equal(a.returnmsg, "开票成功");
    assert_string_equal(a.fpdm, "011001900111");
    assert_string_equal(a.fphm, "12345678");
    assert_string_equal(a.kprq, "20261207081900");
    assert_int_equal(a.pdf_len, 15);
    assert_memory_equal(a.pdf, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", 15);
    assert_null(a.pdf_url);
    ch_einvoice_answer_free(&a);

    /* the document as a URL, in CDATA */
    assert_int_equal(parse("<business><returncode>0000</returncode>"
                           "<returnmsg/><returndata><fpdm>0110019001</fpdm>"
                           "<fphm>00000001</fphm><kprq>20261207081900</kprq>"
                           "<pdf_url><![CDATA[https://fp.example.cn/d?a=1&b=2]]>"
                           "</pdf_url></returndata></business>", &a, err), 0);
    assert_string_equal(a.pdf_url, "https://fp.example.cn/d?a=1&b=2");
    assert_null(a.pdf);
    assert_string_equal(a.returnmsg, "");
    ch_einvoice_answer_free(&a);
}


static void
a_refusal_by_the_platform_is_read_with_its_reason(void **state)
{
    int                   i;
    char                  err[CH_EINVOICE_ERR_LEN], *doc;
    size_t                n;
    ch_einvoice_answer_t  a;

    (void) state;

    assert_int_equal(parse("<business id=\"FPKJ\"><returncode>9999"
                           "</returncode><returnmsg>购方税号&lt;错误&gt;"
                           "</returnmsg></business>", &a, err), 0);
    assert_false(ch_einvoice_answer_issued(&a));
    assert_string_equal(a.returncode, "9999");
    assert_string_equal(a.returnmsg, "购方税号<错误>");
    assert_null(a.pdf);
    ch_einvoice_answer_free(&a);

    /* a long reason is cut between characters, never inside one */
    doc = malloc(4096);
    assert_non_null(doc);
    n = (size_t) sprintf(doc, "<business><returncode>E1</returncode>"
                              "<returnmsg>x");
    for (i = 0; i < 300; i++) {
        n += (size_t) sprintf(doc + n, "错");
    }
    sprintf(doc + n, "</returnmsg></business>");
    assert_int_equal(parse(doc, &a, err), 0);
    assert_int_equal(strlen(a.returnmsg), 1 + 170 * 3);
    free(doc);
    ch_einvoice_answer_free(&a);
}


static void
malformed_or_incomplete_answers_are_refused(void **state)
{
    (void) state;

    refused_answer("", "empty");
    refused_answer("HTTP/1.1 502 Bad Gateway", "line 1");
    refused_answer("<business><returncode>0000</returncode>", "line 1");
    refused_answer("<html><body>oops</body></html>", "not a <business>");
    refused_answer("<x:business xmlns:x=\"urn:x\"><returncode>0000"
                   "</returncode><returnmsg/></x:business>",
                   "not a <business>");
    refused_answer("<business><returnmsg/></business>", "no <returncode>");
    refused_answer("<business><returncode>0000</returncode>"
                   "<returncode>9999</returncode><returnmsg/></business>",
                   "more than one <returncode>");
    refused_answer("<business><returncode>00-0</returncode><returnmsg/>"
                   "</business>", "<returncode> is not");
    refused_answer("<business><returncode><b>0000</b></returncode>"
                   "<returnmsg/></business>", "<returncode> is not text");
    refused_answer("<business><returncode>9999</returncode></business>",
                   "no <returnmsg>");
    refused_answer("<business><returncode>0000</returncode><returnmsg/>"
                   "</business>", "no <returndata>");

#define ISSUED(data) \
    "<business><returncode>0000</returncode><returnmsg>ok</returnmsg>" \
    "<returndata>" data "</returndata></business>"

    refused_answer(ISSUED("<fphm>12345678</fphm><kprq>20261207081900</kprq>"
                          "<pdf>JVBERi0xLjQK</pdf>"), "no <fpdm>");
    refused_answer(ISSUED("<fpdm>01100190011A</fpdm><fphm>12345678</fphm>"
                          "<kprq>20261207081900</kprq><pdf>JVBERi0xLjQK</pdf>"),
                   "<fpdm> is not 10 to 12 digits");
    refused_answer(ISSUED("<fpdm>011001900111</fpdm><fphm>1234567</fphm>"
                          "<kprq>20261207081900</kprq><pdf>JVBERi0xLjQK</pdf>"),
                   "<fphm> is not 8 to 20 digits");
    refused_answer(ISSUED("<fpdm>011001900111</fpdm><fphm>12345678</fphm>"
                          "<kprq>2026-12-07 08:19</kprq><pdf>JVBERi0xLjQK</pdf>"),
                   "<kprq>");
    refused_answer(ISSUED("<fpdm>011001900111</fpdm><fphm>12345678</fphm>"
                          "<kprq>20261207081900</kprq>"),
                   "not exactly one <pdf> or <pdf_url>");
    refused_answer(ISSUED("<fpdm>011001900111</fpdm><fphm>12345678</fphm>"
                          "<kprq>20261207081900</kprq><pdf>JVBERi0xLjQK</pdf>"
                          "<pdf_url>https://a.cn/x</pdf_url>"),
                   "not exactly one");
    refused_answer(ISSUED("<fpdm>011001900111</fpdm><fphm>12345678</fphm>"
                          "<kprq>20261207081900</kprq><pdf>JVBERi0xLjQK=</pdf>"),
                   "not a base64 PDF");
    refused_answer(ISSUED("<fpdm>011001900111</fpdm><fphm>12345678</fphm>"
                          "<kprq>20261207081900</kprq><pdf>PGh0bWw+</pdf>"),
                   "not a base64 PDF");                        /* <html> */
    refused_answer(ISSUED("<fpdm>011001900111</fpdm><fphm>12345678</fphm>"
                          "<kprq>20261207081900</kprq><pdf></pdf>"),
                   "not a base64 PDF");
    refused_answer(ISSUED("<fpdm>011001900111</fpdm><fphm>12345678</fphm>"
                          "<kprq>20261207081900</kprq>"
                          "<pdf_url>http://a.cn/x</pdf_url>"),
                   "not an https URL");
    refused_answer(ISSUED("<fpdm>011001900111</fpdm><fphm>12345678</fphm>"
                          "<kprq>20261207081900</kprq>"
                          "<pdf_url>https://</pdf_url>"),
                   "not an https URL");
    refused_answer(ISSUED("<fpdm>011001900111</fpdm><fphm>12345678</fphm>"
                          "<kprq>20261207081900</kprq>"
                          "<pdf_url>https://a.cn/\xe4\xb8\xad</pdf_url>"),
                   "not an https URL");
#undef ISSUED
}


static void
hostile_answers_are_refused_unexpanded(void **state)
{
    char                  err[CH_EINVOICE_ERR_LEN];
    unsigned char        *big;
    ch_einvoice_answer_t  a;

    (void) state;

    /* billion laughs: refused at the DOCTYPE, before any expansion */
    refused_answer("<?xml version=\"1.0\"?>\n<!DOCTYPE business [\n"
                   "<!ENTITY a \"aaaaaaaaaa\">\n"
                   "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
                   "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
                   "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
                   "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
                   "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
                   "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
                   "<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
                   "<!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">\n"
                   "]>\n<business><returncode>9999</returncode>"
                   "<returnmsg>&i;</returnmsg></business>", "DOCTYPE");
    /* an external entity: the file is never read */
    refused_answer("<!DOCTYPE business [<!ENTITY x SYSTEM "
                   "\"file:///etc/passwd\">]><business><returncode>9999"
                   "</returncode><returnmsg>&x;</returnmsg></business>",
                   "DOCTYPE");
    refused_answer("<!DOCTYPE business SYSTEM \"http://127.0.0.1:1/x.dtd\">"
                   "<business><returncode>9999</returncode><returnmsg/>"
                   "</business>", "DOCTYPE");
    /* an entity nobody declared */
    refused_answer("<business><returncode>9999</returncode>"
                   "<returnmsg>&x;</returnmsg></business>", "line 1");
    /* a NUL inside */
    assert_int_equal(ch_einvoice_answer_parse((const unsigned char *)
                         "<business>\0<returncode>", 23, &a, err), -1);

    /* more than 8 MiB is refused unread, however well-formed */
    big = malloc(CH_EINVOICE_ANSWER_MAX + 1);
    assert_non_null(big);
    memset(big, ' ', CH_EINVOICE_ANSWER_MAX + 1);
    memcpy(big, "<business><returncode>9999</returncode><returnmsg/>",
           sizeof("<business><returncode>9999</returncode><returnmsg/>") - 1);
    memcpy(big + CH_EINVOICE_ANSWER_MAX + 1 - sizeof("</business>") + 1,
           "</business>", sizeof("</business>") - 1);
    assert_int_equal(ch_einvoice_answer_parse(big, CH_EINVOICE_ANSWER_MAX + 1,
                                              &a, err), -1);
    assert_non_null(strstr(err, "larger than"));
    /* and one byte less is read */
    big[CH_EINVOICE_ANSWER_MAX - 1 - sizeof("</business>") + 1] = '<';
    memcpy(big + CH_EINVOICE_ANSWER_MAX - sizeof("</business>") + 1,
           "</business>", sizeof("</business>") - 1);
    big[CH_EINVOICE_ANSWER_MAX - 1 - sizeof("</business>") + 1] = ' ';
    assert_int_equal(ch_einvoice_answer_parse(big, CH_EINVOICE_ANSWER_MAX,
                                              &a, err), 0);
    assert_string_equal(a.returncode, "9999");
    ch_einvoice_answer_free(&a);
    free(big);
}


static int
setup(void **state)
{
    char  err[CH_EINVOICE_ERR_LEN];

    (void) state;

    schema = ch_einvoice_schema_load(SCHEMA, err);
    if (schema == NULL) {
        print_error("%s\n", err);
        return -1;
    }

    return 0;
}


static int
teardown(void **state)
{
    (void) state;

    ch_einvoice_schema_free(schema);
    xmlCleanupParser();

    return 0;
}


static void
a_missing_or_broken_schema_is_reported(void **state)
{
    char  err[CH_EINVOICE_ERR_LEN];

    (void) state;

    assert_null(ch_einvoice_schema_load("schema/none.xsd", err));
    assert_true(err[0] != '\0');
    /* an XML file that is not a schema */
    assert_null(ch_einvoice_schema_load("t/fuzz/corpus/einvoice_answer/issued",
                                        err));
    assert_true(err[0] != '\0');
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_blue_invoice_validates_and_sums_its_lines),
        cmocka_unit_test(a_red_invoice_carries_the_original_and_negates_the_lines),
        cmocka_unit_test(titles_are_escaped_by_libxml2),
        cmocka_unit_test(what_the_schema_or_the_rules_refuse_is_not_built),
        cmocka_unit_test(an_issued_answer_is_read),
        cmocka_unit_test(a_refusal_by_the_platform_is_read_with_its_reason),
        cmocka_unit_test(malformed_or_incomplete_answers_are_refused),
        cmocka_unit_test(hostile_answers_are_refused_unexpanded),
        cmocka_unit_test(a_missing_or_broken_schema_is_reported),
    };

    cmocka_set_message_output(CM_OUTPUT_TAP);

    return cmocka_run_group_tests(tests, setup, teardown);
}
