/*
 * Loading the back office's configuration file (format: lib/ch_conf.h).
 *
 *   db = host=/path/to/socket dbname=certhall user=certhall
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "ch_conf.h"


#define ADMIN_CONFIG_MAX  (64 * 1024)


static const char *
admin_config_set(void *data, const char *key, size_t key_len,
    const char *value, size_t value_len)
{
    admin_config_t  *conf = data;

    if (key_len == 2 && memcmp(key, "db", 2) == 0) {
        free(conf->db);
        conf->db = strndup(value, value_len);
        return conf->db ? NULL : "out of memory";
    }

    return "unknown setting";
}


int
admin_config_load(admin_config_t *conf, const char *path, char *err,
    size_t err_size)
{
    FILE             *f;
    char             *text;
    size_t            len;
    ch_conf_error_t   e;

    memset(conf, 0, sizeof(*conf));

    f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -1;
    }

    text = malloc(ADMIN_CONFIG_MAX + 1);
    if (text == NULL) {
        fclose(f);
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    len = fread(text, 1, ADMIN_CONFIG_MAX + 1, f);
    fclose(f);

    if (len > ADMIN_CONFIG_MAX) {
        free(text);
        snprintf(err, err_size, "%s: larger than %d bytes", path,
                 ADMIN_CONFIG_MAX);
        return -1;
    }

    if (ch_conf_parse(text, len, admin_config_set, conf, &e) != 0) {
        free(text);
        snprintf(err, err_size, "%s:%u: %s", path, e.line, e.message);
        return -1;
    }

    free(text);

    if (conf->db == NULL) {
        snprintf(err, err_size, "%s: \"db\" is not set", path);
        return -1;
    }

    return 0;
}
