/*
 * The refusal protocol of the SQL functions: SQLSTATE CH4nn (see
 * ch_refusal.h).
 */

#include <stddef.h>

#include "ch_refusal.h"


int
ch_refusal_status(const char *sqlstate)
{
    if (sqlstate == NULL
        || sqlstate[0] != 'C' || sqlstate[1] != 'H' || sqlstate[2] != '4'
        || sqlstate[3] < '0' || sqlstate[3] > '9'
        || sqlstate[4] < '0' || sqlstate[4] > '9'
        || sqlstate[5] != '\0')
    {
        return 0;
    }

    return 400 + (sqlstate[3] - '0') * 10 + (sqlstate[4] - '0');
}


int
ch_refusal_decode(ch_refusal_t *ref, const char *sqlstate,
    const char *message, const char *detail, const char *column)
{
    int  status;

    status = ch_refusal_status(sqlstate);

    if (status == 0) {
        return -1;
    }

    ref->status = status;
    ref->code = detail ? detail : CH_REFUSAL_CODE;
    ref->message = message ? message : CH_REFUSAL_MESSAGE;
    ref->field = column;

    return 0;
}
