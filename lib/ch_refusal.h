/*
 * The refusal protocol between the SQL functions and their callers (the
 * nginx module and the back office), decoded in one place.
 *
 * A refusal is an error a user can cause, raised through raise_api_error()
 * (sql/migrations/0002_accounts_catalog.sql) as
 *
 *   SQLSTATE  "CH" and the HTTP status: CH400 to CH499
 *   MESSAGE   a Chinese sentence for people
 *   DETAIL    the stable English code of the API's error object
 *   COLUMN    the form field at fault, when there is one
 *
 * Only 4nn statuses are refusals: a refusal is the client's doing and is
 * shown to it as it is.  Anything else, CH5nn included, is the server's
 * fault: the caller logs it and answers with its own 500 or 503, never
 * with the database's words.  Class CH is not used by PostgreSQL, so it
 * never collides with a state of its own.
 *
 * Pure C (no nginx headers); unit-tested (t/unit/test_refusal.c).
 */

#ifndef CH_REFUSAL_H
#define CH_REFUSAL_H

#include <libpq-fe.h>

/* what a refusal without DETAIL or MESSAGE says */
#define CH_REFUSAL_CODE     "refused"
#define CH_REFUSAL_MESSAGE  "请求被拒绝"

typedef struct {
    int          status;    /* the HTTP status, 400 to 499 */
    const char  *code;      /* DETAIL, else CH_REFUSAL_CODE */
    const char  *message;   /* MESSAGE, else CH_REFUSAL_MESSAGE */
    const char  *field;     /* COLUMN, else NULL */
} ch_refusal_t;

/*
 * The HTTP status of a refusal's SQLSTATE ("CH422": 422), or 0 when the
 * state is no refusal: NULL, not exactly "CH4" and two digits (lower case,
 * "CH4", "CH4x2", "CH5nn", "CH399", "CH600" are not).
 */
int ch_refusal_status(const char *sqlstate);

/*
 * Fills ref from the fields of an error (each may be NULL).  Returns 0
 * when the error is a refusal, -1 (ref untouched) when it is not.  The
 * strings are the caller's, not copied.
 */
int ch_refusal_decode(ch_refusal_t *ref, const char *sqlstate,
    const char *message, const char *detail, const char *column);

/*
 * The same from a failed statement's result (NULL: no refusal).  Inline,
 * so that lib/ itself needs no libpq to link: only its callers use it.
 */
static inline int
ch_refusal_from_result(ch_refusal_t *ref, const PGresult *res)
{
    if (res == NULL) {
        return -1;
    }

    return ch_refusal_decode(ref, PQresultErrorField(res, PG_DIAG_SQLSTATE),
                             PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
                             PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL),
                             PQresultErrorField(res, PG_DIAG_COLUMN_NAME));
}

#endif /* CH_REFUSAL_H */
