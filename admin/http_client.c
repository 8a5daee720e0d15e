/*
 * HTTP requests from the back office's commands to the systems it talks to
 * (the SMS gateway, the tax platform), with libcurl.  The commands run from
 * cron, not in a request, so a blocking transfer is what they want; what
 * they must have is a bound on it: every request carries its connect and
 * total timeouts, and an answer is read into memory up to a size limit.
 *
 * One client keeps one libcurl handle, so consecutive requests to the same
 * host reuse the connection.  The peer's certificate and name are always
 * checked (libcurl's default, set again here): against the system's CAs,
 * or the CA bundle a request names (the tax platform's, http_send).
 * Redirects are not followed: a gateway that moved is a configuration
 * error to fix, not a reason to send the bearer token to another address.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "admin.h"


/* larger than any answer these systems give: a bound, not a format limit;
 * http_send may allow more (the tax platform's answer carries a PDF) */
#define HTTP_BODY_MAX  (64 * 1024)


struct http_client_s {
    CURL        *curl;
};


typedef struct {
    char        *data;
    size_t       len;
    size_t       size;              /* allocated, the NUL included */
    size_t       max;
    int          too_large;
} http_buffer_t;


int
http_client_global_init(char *err, size_t err_size)
{
    CURLcode  rc;

    /*
     * the handles run with CURLOPT_NOSIGNAL, so a peer that closes a kept
     * connection must not kill the process with SIGPIPE
     */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        snprintf(err, err_size, "cannot ignore SIGPIPE");
        return -1;
    }

    rc = curl_global_init(CURL_GLOBAL_DEFAULT);

    if (rc != CURLE_OK) {
        snprintf(err, err_size, "libcurl: %s", curl_easy_strerror(rc));
        return -1;
    }

    return 0;
}


void
http_client_global_cleanup(void)
{
    curl_global_cleanup();
}


http_client_t *
http_client_create(void)
{
    http_client_t  *client;

    client = calloc(1, sizeof(*client));
    if (client == NULL) {
        return NULL;
    }

    client->curl = curl_easy_init();
    if (client->curl == NULL) {
        free(client);
        return NULL;
    }

    return client;
}


void
http_client_destroy(http_client_t *client)
{
    if (client) {
        curl_easy_cleanup(client->curl);
        free(client);
    }
}


static size_t
http_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    http_buffer_t  *buf = userdata;
    size_t          n, want;
    char           *data;

    n = size * nmemb;

    if (n > buf->max - buf->len) {
        buf->too_large = 1;
        return 0;                       /* libcurl stops the transfer */
    }

    /* doubling: a PDF of megabytes comes in 16 KiB pieces */
    if (buf->len + n + 1 > buf->size) {
        want = buf->size ? buf->size : 16 * 1024;

        while (want < buf->len + n + 1) {
            want *= 2;
        }

        data = realloc(buf->data, want);
        if (data == NULL) {
            return 0;
        }

        buf->data = data;
        buf->size = want;
    }

    memcpy(buf->data + buf->len, ptr, n);
    buf->len += n;
    buf->data[buf->len] = '\0';

    return n;
}


static struct curl_slist *
http_header(struct curl_slist *list, const char *name, const char *value)
{
    struct curl_slist  *next;
    char               *line;
    size_t              len;

    if (list == NULL) {
        return NULL;
    }

    len = strlen(name) + 2 + strlen(value) + 1;

    line = malloc(len);
    if (line == NULL) {
        curl_slist_free_all(list);
        return NULL;
    }

    snprintf(line, len, "%s: %s", name, value);

    next = curl_slist_append(list, line);

    /* the line may hold the bearer token: leave no copy of it behind */
    explicit_bzero(line, len);
    free(line);

    if (next == NULL) {
        curl_slist_free_all(list);
    }

    return next;
}


static char *
http_bearer(const char *token)
{
    char    *v;
    size_t   len;

    len = sizeof("Bearer ") + strlen(token);

    v = malloc(len);
    if (v) {
        snprintf(v, len, "Bearer %s", token);
    }

    return v;
}


/*
 * POSTs req->body to req->url.  Returns 0 when the server answered (whatever
 * its status: res->status, res->body), -1 when there was no usable answer
 * (res->error says why: connection refused, timeout, TLS, too large).
 */
int
http_post(http_client_t *client, const http_request_t *req,
    http_response_t *res)
{
    return http_send(client, req, NULL, res);
}


static struct curl_slist *
http_headers(const http_request_t *req, const http_options_t *opt)
{
    char                *bearer;
    const char *const   *h;
    struct curl_slist   *headers, *next;

    /* "Expect:" turns off libcurl's 100-continue round trip */
    headers = curl_slist_append(NULL, "Expect:");

    if (!opt->get) {
        headers = http_header(headers, "Content-Type", req->content_type);
    }

    headers = http_header(headers, "Accept",
                          opt->accept ? opt->accept : "application/json");

    for (h = opt->headers; h && *h && headers; h++) {
        next = curl_slist_append(headers, *h);
        if (next == NULL) {
            curl_slist_free_all(headers);
        }

        headers = next;
    }

    if (req->bearer && headers) {
        bearer = http_bearer(req->bearer);

        if (bearer == NULL) {
            curl_slist_free_all(headers);
            headers = NULL;

        } else {
            headers = http_header(headers, "Authorization", bearer);
            explicit_bzero(bearer, strlen(bearer));
            free(bearer);
        }
    }

    return headers;
}


/* the same as http_post, with the options opt (NULL: none) */
int
http_send(http_client_t *client, const http_request_t *req,
    const http_options_t *opt, http_response_t *res)
{
    CURL                *c;
    CURLcode             rc;
    char                 errbuf[CURL_ERROR_SIZE];
    http_buffer_t        buf;
    http_options_t       none;
    struct curl_slist   *headers;

    memset(res, 0, sizeof(*res));
    memset(&buf, 0, sizeof(buf));
    errbuf[0] = '\0';

    if (opt == NULL) {
        memset(&none, 0, sizeof(none));
        opt = &none;
    }

    buf.max = opt->max_body ? opt->max_body : HTTP_BODY_MAX;

    headers = http_headers(req, opt);

    if (headers == NULL) {
        snprintf(res->error, sizeof(res->error), "out of memory");
        return -1;
    }

    c = client->curl;

    /* a fresh set of options each time; the connection cache stays */
    curl_easy_reset(c);

    if (curl_easy_setopt(c, CURLOPT_URL, req->url) != CURLE_OK
#if LIBCURL_VERSION_NUM >= 0x075500
        || curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https")
           != CURLE_OK
#endif
        || curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK
        || (opt->ca_file
            && curl_easy_setopt(c, CURLOPT_CAINFO, opt->ca_file) != CURLE_OK)
        || curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, req->connect_timeout)
           != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_TIMEOUT, req->timeout) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_USERAGENT,
                            "certhall-admin/" ADMIN_VERSION) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK
        || (opt->get
            ? curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK
            : (curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                                (curl_off_t) req->body_len) != CURLE_OK
               || curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body)
                  != CURLE_OK))
        || curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_WRITEDATA, &buf) != CURLE_OK
        || curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK)
    {
        curl_slist_free_all(headers);
        snprintf(res->error, sizeof(res->error),
                 "libcurl refused an option (URL or library too old?)");
        return -1;
    }

    rc = curl_easy_perform(c);

    /* no pointer into this frame may outlive it */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);

    if (rc != CURLE_OK) {
        if (buf.too_large) {
            snprintf(res->error, sizeof(res->error),
                     "the answer is larger than %zu bytes", buf.max);

        } else {
            snprintf(res->error, sizeof(res->error), "%s",
                     errbuf[0] ? errbuf : curl_easy_strerror(rc));
        }

        free(buf.data);
        return -1;
    }

    if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status)
        != CURLE_OK)
    {
        res->status = 0;
    }

    res->body = buf.data;
    res->body_len = buf.len;

    return 0;
}


void
http_response_free(http_response_t *res)
{
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
}
