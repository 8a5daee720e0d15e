/*
 * Loading the back office's configuration file (format: lib/ch_conf.h).
 *
 *   db = host=/path/to/socket dbname=certhall user=certhall
 *   host_name = hall-1
 *   sms_gateway_url = https://sms.example.com/v1/send
 *   sms_gateway_token_file = /etc/certhall/sms-token
 *   files_uri = /_certhall/staff-files/
 *   password_iterations = 600000
 *   alipay_gateway = https://openapi.alipay.com/gateway.do?charset=utf-8
 *   alipay_app_id = 2021000000000000
 *   alipay_seller_id = 2088000000000000
 *   alipay_private_key = /etc/certhall/alipay-merchant-key.pem
 *   alipay_public_key = /etc/certhall/alipay-public-key.pem
 *   storage = /var/lib/certhall/storage
 *   download_max_size = 64m
 *   einvoice_url = https://fpkj.example.com/fpkj
 *   einvoice_app_key = certhall
 *   einvoice_secret_file = /etc/certhall/einvoice-secret
 *   einvoice_ca_file = /etc/certhall/einvoice-ca.pem
 *   einvoice_timeout = 30
 *   sms_gateway_timeout = 10        (seconds, one text's post)
 *   alipay_timeout = 15             (seconds, one call)
 *   einvoice_schema = /usr/local/share/certhall/schema/fpkj.xsd
 *   einvoice_issuer = 张三            (KPR; einvoice_payee SKR and
 *   einvoice_spbm = 3040201990000000000       einvoice_checker FHR too)
 *   einvoice_tax_rate = 0.06
 *   seller_taxpayer_id = 91430300MA4L000001
 *   seller_name = ...  (seller_address_phone, seller_bank_account)
 *
 * host_name is the name the jobs' runs are recorded under (job_runs.host,
 * "certhall-admin jobs"'s HOST): each machine of a hall has its own, so
 * that the runs of two machines are told apart; the machine's hostname
 * when not set.
 *
 * files_uri is nginx's internal location of the stored files (alias of
 * certhall_storage) that staff downloads go through with X-Accel-Redirect;
 * password_iterations is the PBKDF2 count of the staff passwords this
 * program sets (the module's certhall_password_iterations for applicants).
 *
 * storage is the module's certhall_storage: the 下载中心's files are
 * stored there as the module stores uploads (lib/ch_store.h), and nginx
 * serves them; download_max_size bounds one such file (bytes, or with k
 * or m; 64m when not set; nginx's client_max_body_size of /admin/ must
 * let a body of that much and its form through).
 *
 * The alipay_* keys serve certhall-admin alipay-sync (alipay.c reads the
 * two PEM files when the command starts; the CGI never opens them).
 *
 * The einvoice_* and seller_* keys serve certhall-admin invoice-send:
 * the tax platform's FPKJ address (HTTPS only: its certificate is always
 * checked, against einvoice_ca_file), the app key and the file of the
 * secret its requests are signed with, the answer's time limit, the XSD
 * every request is validated against before it leaves, and what each
 * invoice says of the seller: names, the tax category code of the hall's
 * services and their tax rate (a decimal fraction: 0.06 is 6 %).
 * invoice-send stores the invoices' files in storage.
 *
 * Secrets are never in this file, only the names of the files that hold
 * them: this file is readable by the CGI, the secrets need not be.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "ch_conf.h"
#include "ch_password.h"


#define ADMIN_CONFIG_MAX  (64 * 1024)
#define ADMIN_SECRET_MAX  4096


static const char *
admin_config_string(char **field, const char *value, size_t value_len)
{
    free(*field);
    *field = strndup(value, value_len);
    return *field ? NULL : "out of memory";
}


/* the timeouts: whole seconds, 1 to 600 */
static const char *
admin_config_seconds(long *field, const char *value, size_t value_len)
{
    char   num[8], *end;
    long   n;

    if (value_len == 0 || value_len >= sizeof(num)) {
        return "expected seconds, 1 to 600";
    }

    memcpy(num, value, value_len);
    num[value_len] = '\0';
    n = strtol(num, &end, 10);

    if (*end != '\0' || n < 1 || n > 600) {
        return "expected seconds, 1 to 600";
    }

    *field = n;
    return NULL;
}


static const char *
admin_config_url(char **field, const char *value, size_t value_len)
{
    size_t  i, scheme;

    if (value_len > 7 && strncasecmp(value, "http://", 7) == 0) {
        scheme = 7;

    } else if (value_len > 8 && strncasecmp(value, "https://", 8) == 0) {
        scheme = 8;

    } else {
        return "expected an http:// or https:// URL";
    }

    /* the URL goes to libcurl as it stands: no blanks or controls in it */
    for (i = scheme; i < value_len; i++) {
        if ((unsigned char) value[i] <= ' ' || value[i] == 0x7f) {
            return "blank or control character in the URL";
        }
    }

    return admin_config_string(field, value, value_len);
}


/*
 * an id Alipay gave (app id, PID: digits); letters, "-" and "_" pass too,
 * for a sandbox or a double, but nothing that would need escaping where the
 * id goes (the string to sign, a form body)
 */
static const char *
admin_config_id(char **field, const char *value, size_t value_len)
{
    size_t  i;

    for (i = 0; i < value_len; i++) {
        if (!isalnum((unsigned char) value[i]) && value[i] != '-'
            && value[i] != '_')
        {
            break;
        }
    }

    if (value_len == 0 || value_len > 32 || i < value_len) {
        return "expected the id Alipay gave (digits, at most 32)";
    }

    return admin_config_string(field, value, value_len);
}


static const char *
admin_config_file(char **field, const char *value, size_t value_len,
    const char *what)
{
    if (value_len == 0) {
        return what;
    }

    return admin_config_string(field, value, value_len);
}


/* a decimal fraction from 0 to 1 with at most 4 decimals, as basis points */
static const char *
admin_config_rate(int *field, const char *value, size_t value_len)
{
    int     bp, unit;
    size_t  i;

    if (value_len == 1 && (value[0] == '0' || value[0] == '1')) {
        *field = (value[0] - '0') * 10000;
        return NULL;
    }

    if (value_len < 3 || value_len > 6 || value[0] != '0' || value[1] != '.') {
        return "expected a tax rate like 0.06 (0 to 1, 4 decimals at most)";
    }

    bp = 0;
    unit = 1000;

    for (i = 2; i < value_len; i++) {
        if (value[i] < '0' || value[i] > '9') {
            return "expected a tax rate like 0.06 (0 to 1, 4 decimals at "
                   "most)";
        }

        bp += (value[i] - '0') * unit;
        unit /= 10;
    }

    *field = bp;
    return NULL;
}


/* one line of text for the invoice (names, phone, account): no controls */
static const char *
admin_config_text(char **field, const char *value, size_t value_len)
{
    size_t  i;

    for (i = 0; i < value_len; i++) {
        if ((unsigned char) value[i] < ' ' || value[i] == 0x7f) {
            return "control character in the text";
        }
    }

    if (value_len == 0) {
        return "expected a text";
    }

    return admin_config_string(field, value, value_len);
}


/* the einvoice_* and seller_* keys; "unknown setting" for any other */
static const char *
admin_config_einvoice(admin_config_t *conf, const char *key, size_t key_len,
    const char *value, size_t value_len)
{
    size_t  i;

#define admin_config_key(name)                                               \
    (key_len == sizeof(name) - 1 && memcmp(key, name, key_len) == 0)

    if (admin_config_key("einvoice_url")) {
        if (value_len < 9 || strncasecmp(value, "https://", 8) != 0) {
            return "expected an https:// URL (the platform's certificate "
                   "is always checked)";
        }

        return admin_config_url(&conf->einvoice_url, value, value_len);
    }

    if (admin_config_key("einvoice_app_key")) {
        for (i = 0; i < value_len; i++) {
            if ((unsigned char) value[i] <= ' '
                || (unsigned char) value[i] > '~')
            {
                break;
            }
        }

        if (value_len == 0 || value_len > 128 || i < value_len) {
            return "expected the app key the platform gave (visible ASCII, "
                   "at most 128)";
        }

        return admin_config_string(&conf->einvoice_app_key, value,
                                   value_len);
    }

    if (admin_config_key("einvoice_secret_file")) {
        return admin_config_file(&conf->einvoice_secret_file, value,
                                 value_len, "expected the path of the file "
                                 "holding the platform's secret");
    }

    if (admin_config_key("einvoice_ca_file")) {
        return admin_config_file(&conf->einvoice_ca_file, value, value_len,
                                 "expected the path of the CA bundle (PEM) "
                                 "the platform's certificate chains to");
    }

    if (admin_config_key("einvoice_schema")) {
        return admin_config_file(&conf->einvoice_schema, value, value_len,
                                 "expected the path of schema/fpkj.xsd");
    }

    if (admin_config_key("einvoice_timeout")) {
        return admin_config_seconds(&conf->einvoice_timeout, value,
                                    value_len);
    }

    if (admin_config_key("einvoice_spbm")) {
        for (i = 0; i < value_len && value[i] >= '0' && value[i] <= '9'; i++) {
            /* digits */
        }

        if (value_len != 19 || i < value_len) {
            return "expected the 19-digit tax category code (SPBM)";
        }

        return admin_config_string(&conf->einvoice_spbm, value, value_len);
    }

    if (admin_config_key("einvoice_tax_rate")) {
        return admin_config_rate(&conf->einvoice_tax_rate, value, value_len);
    }

    if (admin_config_key("einvoice_issuer")) {
        return admin_config_text(&conf->einvoice_issuer, value, value_len);
    }

    if (admin_config_key("einvoice_payee")) {
        return admin_config_text(&conf->einvoice_payee, value, value_len);
    }

    if (admin_config_key("einvoice_checker")) {
        return admin_config_text(&conf->einvoice_checker, value, value_len);
    }

    if (admin_config_key("seller_taxpayer_id")) {
        return admin_config_text(&conf->seller_taxpayer_id, value,
                                 value_len);
    }

    if (admin_config_key("seller_name")) {
        return admin_config_text(&conf->seller_name, value, value_len);
    }

    if (admin_config_key("seller_address_phone")) {
        return admin_config_text(&conf->seller_address_phone, value,
                                 value_len);
    }

    if (admin_config_key("seller_bank_account")) {
        return admin_config_text(&conf->seller_bank_account, value,
                                 value_len);
    }

#undef admin_config_key

    return "unknown setting";
}


static const char *
admin_config_set(void *data, const char *key, size_t key_len,
    const char *value, size_t value_len)
{
    admin_config_t  *conf = data;

#define admin_config_key(name)                                               \
    (key_len == sizeof(name) - 1 && memcmp(key, name, key_len) == 0)

    if (admin_config_key("db")) {
        return admin_config_string(&conf->db, value, value_len);
    }

    if (admin_config_key("host_name")) {
        size_t  i;

        /* a name, as a hostname is: it is shown in lists and on pages */

        for (i = 0; i < value_len; i++) {
            if (!isalnum((unsigned char) value[i]) && value[i] != '-'
                && value[i] != '_' && value[i] != '.')
            {
                break;
            }
        }

        if (value_len == 0 || value_len > 64 || i < value_len) {
            return "expected a host name (letters, digits, \".\", \"-\", "
                   "\"_\", at most 64)";
        }

        return admin_config_string(&conf->host_name, value, value_len);
    }

    if (admin_config_key("sms_gateway_url")) {
        return admin_config_url(&conf->sms_gateway_url, value, value_len);
    }

    if (admin_config_key("sms_gateway_token_file")) {
        if (value_len == 0) {
            return "expected the path of the file holding the token";
        }

        return admin_config_string(&conf->sms_gateway_token_file, value,
                                   value_len);
    }

    if (admin_config_key("sms_gateway_timeout")) {
        return admin_config_seconds(&conf->sms_gateway_timeout, value,
                                    value_len);
    }

    if (admin_config_key("alipay_timeout")) {
        return admin_config_seconds(&conf->alipay_timeout, value, value_len);
    }

    if (admin_config_key("alipay_gateway")) {
        return admin_config_url(&conf->alipay_gateway, value, value_len);
    }

    if (admin_config_key("alipay_app_id")) {
        return admin_config_id(&conf->alipay_app_id, value, value_len);
    }

    if (admin_config_key("alipay_seller_id")) {
        return admin_config_id(&conf->alipay_seller_id, value, value_len);
    }

    if (admin_config_key("alipay_private_key")) {
        return admin_config_file(&conf->alipay_private_key, value, value_len,
                                 "expected the path of the merchant's "
                                 "private key (PEM)");
    }

    if (admin_config_key("alipay_public_key")) {
        return admin_config_file(&conf->alipay_public_key, value, value_len,
                                 "expected the path of Alipay's public key "
                                 "(PEM)");
    }

    if (admin_config_key("files_uri")) {
        if (value_len < 2 || value[0] != '/' || value[value_len - 1] != '/'
            || memchr(value, '\r', value_len) || memchr(value, '\n', value_len))
        {
            return "expected a URI path that begins and ends with \"/\"";
        }

        return admin_config_string(&conf->files_uri, value, value_len);
    }

    if (admin_config_key("storage")) {
        while (value_len > 1 && value[value_len - 1] == '/') {
            value_len--;
        }

        if (value_len == 0 || value[0] != '/') {
            return "expected the absolute path of the storage directory";
        }

        return admin_config_string(&conf->storage, value, value_len);
    }

    if (admin_config_key("download_max_size")) {
        char                num[24], *end;
        unsigned long long  n;

        if (value_len == 0 || value_len >= sizeof(num)
            || value[0] < '0' || value[0] > '9')
        {
            return "expected a size in bytes (or with k or m)";
        }

        memcpy(num, value, value_len);
        num[value_len] = '\0';
        errno = 0;
        n = strtoull(num, &end, 10);

        /* the bound before the unit, so that no product wraps */
        if (n > (1ULL << 32)) {
            return "expected a size from 1 byte to 4096m";
        }

        if (*end == 'k' || *end == 'K') {
            n *= 1024;
            end++;

        } else if (*end == 'm' || *end == 'M') {
            n *= 1024 * 1024;
            end++;
        }

        if (errno || *end != '\0' || n == 0 || n > (1ULL << 32)) {
            return "expected a size from 1 byte to 4096m";
        }

        conf->download_max_size = n;
        return NULL;
    }

    if (admin_config_key("password_iterations")) {
        char           num[16], *end;
        unsigned long  n;

        if (value_len == 0 || value_len >= sizeof(num)) {
            return "expected a number";
        }

        memcpy(num, value, value_len);
        num[value_len] = '\0';
        n = strtoul(num, &end, 10);

        if (*end != '\0' || n < CH_PASSWORD_MIN_ITERATIONS
            || n > CH_PASSWORD_MAX_ITERATIONS)
        {
            return "expected a number from 1000 to 100000000";
        }

        conf->password_iterations = n;
        return NULL;
    }

#undef admin_config_key

    if (key_len > 9 && (memcmp(key, "einvoice_", 9) == 0
                        || memcmp(key, "seller_", 7) == 0))
    {
        return admin_config_einvoice(conf, key, key_len, value, value_len);
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
    conf->einvoice_tax_rate = -1;

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
        admin_config_free(conf);
        snprintf(err, err_size, "%s:%u: %s", path, e.line, e.message);
        return -1;
    }

    free(text);

    if (conf->files_uri == NULL) {
        conf->files_uri = strdup("/_certhall/staff-files/");

        if (conf->files_uri == NULL) {
            admin_config_free(conf);
            snprintf(err, err_size, "out of memory");
            return -1;
        }
    }

    if (conf->password_iterations == 0) {
        conf->password_iterations = CH_PASSWORD_ITERATIONS;
    }

    if (conf->download_max_size == 0) {
        conf->download_max_size = ADMIN_DOWNLOAD_MAX_SIZE;
    }

    if (conf->einvoice_timeout == 0) {
        conf->einvoice_timeout = ADMIN_EINVOICE_TIMEOUT;
    }

    if (conf->sms_gateway_timeout == 0) {
        conf->sms_gateway_timeout = ADMIN_SMS_TIMEOUT;
    }

    if (conf->alipay_timeout == 0) {
        conf->alipay_timeout = ADMIN_ALIPAY_TIMEOUT;
    }

    if (conf->db == NULL) {
        admin_config_free(conf);
        snprintf(err, err_size, "%s: \"db\" is not set", path);
        return -1;
    }

    return 0;
}


void
admin_config_free(admin_config_t *conf)
{
    free(conf->db);
    free(conf->host_name);
    free(conf->sms_gateway_url);
    free(conf->sms_gateway_token_file);
    free(conf->files_uri);
    free(conf->alipay_gateway);
    free(conf->alipay_app_id);
    free(conf->alipay_seller_id);
    free(conf->alipay_private_key);
    free(conf->alipay_public_key);
    free(conf->storage);
    free(conf->einvoice_url);
    free(conf->einvoice_app_key);
    free(conf->einvoice_secret_file);
    free(conf->einvoice_ca_file);
    free(conf->einvoice_schema);
    free(conf->einvoice_issuer);
    free(conf->einvoice_payee);
    free(conf->einvoice_checker);
    free(conf->einvoice_spbm);
    free(conf->seller_taxpayer_id);
    free(conf->seller_name);
    free(conf->seller_address_phone);
    free(conf->seller_bank_account);
    memset(conf, 0, sizeof(*conf));
}


/*
 * A secret (a token, a password) from the file named in the configuration:
 * one line of visible ASCII, one trailing newline allowed.  The secret
 * itself never appears in an error message.
 */
int
admin_secret_read(const char *path, char **secret, char *err,
    size_t err_size)
{
    FILE    *f;
    char    *buf;
    size_t   len, i;

    *secret = NULL;

    f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -1;
    }

    buf = malloc(ADMIN_SECRET_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    len = fread(buf, 1, ADMIN_SECRET_MAX + 1, f);

    if (ferror(f)) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        goto failed;
    }

    if (len > ADMIN_SECRET_MAX) {
        snprintf(err, err_size, "%s: larger than %d bytes", path,
                 ADMIN_SECRET_MAX);
        goto failed;
    }

    if (len > 0 && buf[len - 1] == '\n') {
        len--;

        if (len > 0 && buf[len - 1] == '\r') {
            len--;
        }
    }

    if (len == 0) {
        snprintf(err, err_size, "%s: the file is empty", path);
        goto failed;
    }

    /* it goes into a header line: a newline in it would forge headers */
    for (i = 0; i < len; i++) {
        if ((unsigned char) buf[i] <= ' ' || (unsigned char) buf[i] > '~') {
            snprintf(err, err_size, "%s: expected one line of visible ASCII "
                     "(no blanks, no second line)", path);
            goto failed;
        }
    }

    fclose(f);
    buf[len] = '\0';
    *secret = buf;

    return 0;

failed:

    fclose(f);
    explicit_bzero(buf, ADMIN_SECRET_MAX + 1);
    free(buf);

    return -1;
}


void
admin_secret_free(char *secret)
{
    if (secret) {
        explicit_bzero(secret, strlen(secret));
        free(secret);
    }
}
