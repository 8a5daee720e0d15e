/*
 * The tax platform's answer to an FPKJ request (schema/fpkj-answer.xsd
 * documents it): parsed with libxml2 with the network off, entities not
 * substituted and any DOCTYPE stopping the parse before its declarations
 * are read (so no external fetch and no entity expansion, "billion laughs",
 * can happen); then each field checked here, since the bytes come from
 * outside.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "ch_base64.h"
#include "ch_einvoice_xml.h"
#include "ch_einvoice_xml_int.h"
#include "ch_json.h"

/* a URL longer than this is not one the back office fetches */
#define CH_EINVOICE_URL_MAX  2048


static void ch_einvoice_no_dtd(void *ctx, const xmlChar *name,
    const xmlChar *external_id, const xmlChar *system_id);
static int ch_einvoice_child(xmlNodePtr parent, const char *name,
    xmlNodePtr *found);
static xmlChar *ch_einvoice_text(xmlNodePtr node);
static int ch_einvoice_field(xmlNodePtr parent, const char *name,
    const char *digits_min_max, char *dst, size_t size, char *err);
static int ch_einvoice_document(xmlNodePtr data, ch_einvoice_answer_t *a,
    char *err);


int
ch_einvoice_answer_parse(const unsigned char *buf, size_t len,
    ch_einvoice_answer_t *answer, char *err)
{
    int                   rc, dtd;
    size_t                n;
    xmlChar              *msg;
    xmlDocPtr             doc;
    xmlNodePtr            root, data;
    xmlParserCtxtPtr      ctxt;
    ch_einvoice_answer_t  a;

    err[0] = '\0';
    memset(&a, 0, sizeof(ch_einvoice_answer_t));

    if (len > CH_EINVOICE_ANSWER_MAX) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "the answer is larger than %d bytes",
                 CH_EINVOICE_ANSWER_MAX);
        return -1;
    }

    if (len == 0) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "an empty answer");
        return -1;
    }

    xmlInitParser();

    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "out of memory");
        return -1;
    }

    dtd = 0;
    ctxt->_private = &dtd;
    ctxt->sax->internalSubset = ch_einvoice_no_dtd;

    /* no XML_PARSE_NOENT, no XML_PARSE_DTDLOAD: entities stay unexpanded
     * and nothing outside the bytes is read; errors are kept, not printed */
    doc = xmlCtxtReadMemory(ctxt, (const char *) buf, (int) len, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR
                            | XML_PARSE_NOWARNING);

    if (dtd || doc == NULL || !ctxt->wellFormed || doc->intSubset != NULL
        || doc->extSubset != NULL)
    {
        if (dtd || (doc != NULL && doc->intSubset != NULL)) {
            snprintf(err, CH_EINVOICE_ERR_LEN,
                     "the answer has a DOCTYPE, which is not accepted");
        } else {
            ch_einvoice_error(err, xmlCtxtGetLastError(ctxt));
            if (err[0] == '\0') {
                snprintf(err, CH_EINVOICE_ERR_LEN, "the answer is not XML");
            }
        }

        xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctxt);
        return -1;
    }

    xmlFreeParserCtxt(ctxt);

    root = xmlDocGetRootElement(doc);
    if (root == NULL || root->ns != NULL
        || xmlStrcmp(root->name, BAD_CAST "business") != 0)
    {
        snprintf(err, CH_EINVOICE_ERR_LEN, "the answer is not a <business>");
        goto failed;
    }

    if (ch_einvoice_field(root, "returncode", "1 15 alnum", a.returncode,
                          sizeof(a.returncode), err) != 0)
    {
        goto failed;
    }

    rc = ch_einvoice_child(root, "returnmsg", &data);
    if (rc != 1) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "%s <returnmsg>",
                 rc == 0 ? "no" : "more than one");
        goto failed;
    }

    msg = ch_einvoice_text(data);
    if (msg == NULL) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "<returnmsg> is not text");
        goto failed;
    }

    /* kept whole up to the buffer, cut at a character boundary: it is
     * shown to finance as the platform's reason */
    n = 0;
    while (msg[n] != '\0') {
        size_t  k = ch_utf8_sequence(msg + n, strlen((char *) msg + n));

        if (k == 0 || n + k >= sizeof(a.returnmsg)) {
            break;
        }
        n += k;
    }

    memcpy(a.returnmsg, msg, n);
    a.returnmsg[n] = '\0';
    xmlFree(msg);

    if (!ch_einvoice_answer_issued(&a)) {
        /* a refusal carries no invoice, whatever else is there */
        xmlFreeDoc(doc);
        *answer = a;
        return 0;
    }

    rc = ch_einvoice_child(root, "returndata", &data);
    if (rc != 1) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "%s <returndata> with 0000",
                 rc == 0 ? "no" : "more than one");
        goto failed;
    }

    if (ch_einvoice_field(data, "fpdm", "10 12 digits", a.fpdm,
                          sizeof(a.fpdm), err) != 0
        || ch_einvoice_field(data, "fphm", "8 20 digits", a.fphm,
                             sizeof(a.fphm), err) != 0
        || ch_einvoice_field(data, "kprq", "14 14 digits", a.kprq,
                             sizeof(a.kprq), err) != 0
        || ch_einvoice_document(data, &a, err) != 0)
    {
        goto failed;
    }

    xmlFreeDoc(doc);
    *answer = a;

    return 0;

failed:

    xmlFreeDoc(doc);
    ch_einvoice_answer_free(&a);

    return -1;
}


void
ch_einvoice_answer_free(ch_einvoice_answer_t *answer)
{
    free(answer->pdf);
    free(answer->pdf_url);
    answer->pdf = NULL;
    answer->pdf_url = NULL;
    answer->pdf_len = 0;
}


int
ch_einvoice_answer_issued(const ch_einvoice_answer_t *answer)
{
    return strcmp(answer->returncode, "0000") == 0;
}


/* a DOCTYPE: stop before its declarations (entities) are read */
static void
ch_einvoice_no_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
    xmlParserCtxtPtr  ctxt = ctx;

    (void) name;
    (void) external_id;
    (void) system_id;

    *(int *) ctxt->_private = 1;
    xmlStopParser(ctxt);
}


/* how many element children of that name (0, 1, 2 = more); the first */
static int
ch_einvoice_child(xmlNodePtr parent, const char *name, xmlNodePtr *found)
{
    int         n;
    xmlNodePtr  c;

    n = 0;
    *found = NULL;

    for (c = parent->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE
            && xmlStrcmp(c->name, BAD_CAST name) == 0)
        {
            if (n++ == 0) {
                *found = c;
            } else {
                return 2;
            }
        }
    }

    return n;
}


/* the text of an element made of text only (CDATA too), or NULL */
static xmlChar *
ch_einvoice_text(xmlNodePtr node)
{
    xmlNodePtr  c;

    for (c = node->children; c != NULL; c = c->next) {
        if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE
            && c->type != XML_COMMENT_NODE)
        {
            return NULL;
        }
    }

    return node->children == NULL ? xmlStrdup(BAD_CAST "")
                                  : xmlNodeGetContent(node);
}


/*
 * One required field of "MIN MAX digits|alnum" characters, blanks around
 * it ignored (providers indent their answers).
 */
static int
ch_einvoice_field(xmlNodePtr parent, const char *name,
    const char *digits_min_max, char *dst, size_t size, char *err)
{
    int          rc, lo, hi, digits;
    char         kind[8];
    size_t       i, b, e;
    xmlChar     *t;
    xmlNodePtr   node;

    rc = ch_einvoice_child(parent, name, &node);
    if (rc != 1) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "%s <%s>",
                 rc == 0 ? "no" : "more than one", name);
        return -1;
    }

    t = ch_einvoice_text(node);
    if (t == NULL) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "<%s> is not text", name);
        return -1;
    }

    sscanf(digits_min_max, "%d %d %7s", &lo, &hi, kind);
    digits = strcmp(kind, "digits") == 0;

    b = 0;
    e = (size_t) xmlStrlen(t);
    while (b < e && (t[b] == ' ' || t[b] == '\t' || t[b] == '\n'
                     || t[b] == '\r'))
    {
        b++;
    }
    while (e > b && (t[e - 1] == ' ' || t[e - 1] == '\t' || t[e - 1] == '\n'
                     || t[e - 1] == '\r'))
    {
        e--;
    }

    for (i = b; i < e; i++) {
        if (!((t[i] >= '0' && t[i] <= '9')
              || (!digits && ((t[i] >= 'A' && t[i] <= 'Z')
                              || (t[i] >= 'a' && t[i] <= 'z')))))
        {
            break;
        }
    }

    if (i < e || e - b < (size_t) lo || e - b > (size_t) hi
        || e - b >= size)
    {
        snprintf(err, CH_EINVOICE_ERR_LEN, "<%s> is not %d to %d %s", name,
                 lo, hi, digits ? "digits" : "letters or digits");
        xmlFree(t);
        return -1;
    }

    memcpy(dst, t + b, e - b);
    dst[e - b] = '\0';
    xmlFree(t);

    return 0;
}


/* the invoice document: <pdf> base64 (line breaks allowed) or <pdf_url> */
static int
ch_einvoice_document(xmlNodePtr data, ch_einvoice_answer_t *a, char *err)
{
    int         has_pdf, has_url;
    size_t      i, n, len;
    xmlChar    *t;
    xmlNodePtr  pdf, url;

    has_pdf = ch_einvoice_child(data, "pdf", &pdf);
    has_url = ch_einvoice_child(data, "pdf_url", &url);

    if (has_pdf + has_url != 1) {
        snprintf(err, CH_EINVOICE_ERR_LEN,
                 "not exactly one <pdf> or <pdf_url> in <returndata>");
        return -1;
    }

    t = ch_einvoice_text(has_pdf ? pdf : url);
    if (t == NULL) {
        snprintf(err, CH_EINVOICE_ERR_LEN, "<%s> is not text",
                 has_pdf ? "pdf" : "pdf_url");
        return -1;
    }

    len = (size_t) xmlStrlen(t);

    /* drop the blanks: the base64 is often wrapped, the URL indented */
    for (i = 0, n = 0; i < len; i++) {
        if (t[i] != ' ' && t[i] != '\t' && t[i] != '\n' && t[i] != '\r') {
            t[n++] = t[i];
        }
    }
    t[n] = '\0';

    if (has_url) {
        for (i = 0; i < n; i++) {
            if (t[i] <= 0x20 || t[i] >= 0x7f) {
                break;
            }
        }

        if (i < n || n > CH_EINVOICE_URL_MAX
            || n <= sizeof("https://") - 1
            || strncmp((char *) t, "https://", sizeof("https://") - 1) != 0)
        {
            xmlFree(t);
            snprintf(err, CH_EINVOICE_ERR_LEN, "<pdf_url> is not an https URL");
            return -1;
        }

        a->pdf_url = strdup((char *) t);
        xmlFree(t);

        if (a->pdf_url == NULL) {
            snprintf(err, CH_EINVOICE_ERR_LEN, "out of memory");
            return -1;
        }

        return 0;
    }

    a->pdf = malloc(n * 3 / 4 + 1);
    if (a->pdf == NULL) {
        xmlFree(t);
        snprintf(err, CH_EINVOICE_ERR_LEN, "out of memory");
        return -1;
    }

    a->pdf_len = ch_base64_decode(a->pdf, (char *) t, n, CH_BASE64_STD);
    xmlFree(t);

    if (a->pdf_len == (size_t) -1 || a->pdf_len < sizeof("%PDF-") - 1
        || memcmp(a->pdf, "%PDF-", sizeof("%PDF-") - 1) != 0)
    {
        snprintf(err, CH_EINVOICE_ERR_LEN, "<pdf> is not a base64 PDF");
        return -1;
    }

    return 0;
}
