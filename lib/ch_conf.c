/*
 * The back office's configuration file: see ch_conf.h.
 */

#include "ch_conf.h"


static int
ch_conf_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}


static int
ch_conf_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}


int
ch_conf_parse(const char *text, size_t len, ch_conf_handler_pt handler,
    void *data, ch_conf_error_t *err)
{
    const char  *p, *end, *eol, *key, *key_end, *value, *value_end;
    const char  *msg;
    unsigned     line;

    p = text;
    end = text + len;
    line = 0;

    while (p < end) {
        line++;

        for (eol = p; eol < end && *eol != '\n'; eol++) {
            if (*eol == '\0') {
                err->line = line;
                err->message = "NUL byte in configuration";
                return -1;
            }
        }

        while (p < eol && ch_conf_blank(*p)) {
            p++;
        }

        if (p == eol || *p == '#') {
            p = eol + (eol < end);
            continue;
        }

        key = p;

        while (p < eol && ch_conf_key_char(*p)) {
            p++;
        }

        key_end = p;

        while (p < eol && ch_conf_blank(*p)) {
            p++;
        }

        if (key == key_end || p == eol || *p != '=') {
            err->line = line;
            err->message = "expected \"key = value\" with a key of a-z, 0-9, _";
            return -1;
        }

        p++;

        while (p < eol && ch_conf_blank(*p)) {
            p++;
        }

        value = p;
        value_end = eol;

        while (value_end > value && ch_conf_blank(value_end[-1])) {
            value_end--;
        }

        msg = handler(data, key, (size_t) (key_end - key), value,
                      (size_t) (value_end - value));

        if (msg) {
            err->line = line;
            err->message = msg;
            return -1;
        }

        p = eol + (eol < end);
    }

    return 0;
}
