/*
 * Shared between the request builder (ch_einvoice_xml.c) and the answer
 * parser (ch_einvoice_answer.c); not for callers.
 */

#ifndef CH_EINVOICE_XML_INT_H
#define CH_EINVOICE_XML_INT_H

#include <libxml/xmlerror.h>

/* keeps libxml2's first error message in the err buffer given as data,
 * instead of letting libxml2 print it on stderr */
void ch_einvoice_error(void *data, xmlErrorPtr e);

#endif /* CH_EINVOICE_XML_INT_H */
