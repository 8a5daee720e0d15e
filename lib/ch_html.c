/*
 * HTML escaping: see ch_html.h.
 */

#include <string.h>

#include "ch_html.h"
#include "ch_json.h"


size_t
ch_html_escape(unsigned char *dst, const unsigned char *src, size_t len)
{
    const unsigned char  *p, *end;
    const char           *rep;
    size_t                total, seq, n;

    total = 0;
    p = src;
    end = src + len;

    while (p < end) {
        seq = ch_utf8_sequence(p, (size_t) (end - p));
        rep = NULL;

        if (seq == 0) {
            rep = "\xef\xbf\xbd";                   /* U+FFFD */
            seq = 1;

        } else {
            switch (*p) {
            case '&':  rep = "&amp;"; break;
            case '<':  rep = "&lt;"; break;
            case '>':  rep = "&gt;"; break;
            case '"':  rep = "&quot;"; break;
            case '\'': rep = "&#39;"; break;
            case '\t':
            case '\n':
                break;
            default:
                if (*p < 0x20 || *p == 0x7f) {
                    rep = "";
                }
            }
        }

        if (rep) {
            n = strlen(rep);
            if (dst) {
                memcpy(dst + total, rep, n);
            }

        } else {
            n = seq;
            if (dst) {
                memcpy(dst + total, p, n);
            }
        }

        total += n;
        p += seq;
    }

    return total;
}
