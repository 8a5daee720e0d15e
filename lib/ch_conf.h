/*
 * The back office's configuration file: one "key = value" per line, '#'
 * starts a comment line, blank lines are ignored, keys are [a-z0-9_]+,
 * values are taken as they stand after trimming the blanks around them.
 *
 * Pure C: unit-tested and fuzzed directly.
 */

#ifndef CH_CONF_H
#define CH_CONF_H

#include <stddef.h>

typedef struct {
    unsigned     line;          /* 1-based line of the error */
    const char  *message;       /* static English text */
} ch_conf_error_t;

/*
 * Called for each setting; key and value point into the parsed text and
 * are not NUL-terminated.  A non-NULL return is an error message for that
 * line (unknown key, bad value) and stops the parse.
 */
typedef const char *(*ch_conf_handler_pt)(void *data, const char *key,
    size_t key_len, const char *value, size_t value_len);

/* Returns 0 on success, -1 with err filled in. */
int ch_conf_parse(const char *text, size_t len, ch_conf_handler_pt handler,
    void *data, ch_conf_error_t *err);

#endif /* CH_CONF_H */
