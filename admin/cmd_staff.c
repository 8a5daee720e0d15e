/*
 * certhall-admin staff-add [-c FILE] LOGIN NAME ROLE[,ROLE...]
 * certhall-admin staff-password [-c FILE] LOGIN
 *
 * The first staff member (nobody can sign in to create one before it
 * exists), and the way back in when every admin has lost their password.
 * Both run as whoever may read the configuration file and reach the
 * database, so the database functions they call (staff_add,
 * staff_set_password) take no session; they write the audit with no staff
 * member and the detail 命令行.
 *
 * The password is one line on standard input, never an argument (the
 * process list and the shell's history would show it).  On a terminal it
 * is asked for twice without echo; from a pipe, once.  It follows the
 * same rule as on the staff pages (admin_password_rule), is hashed here
 * with the configured iterations, and is wiped from memory once hashed.
 *
 * Exit status: 0 done, 1 refused (the password's rule, or the database:
 * a login taken, a bad login, name or role), 2 usage, configuration or
 * database error.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "admin.h"
#include "ch_password.h"
#include "ch_refusal.h"


#define STAFF_EXIT_OK        0
#define STAFF_EXIT_REFUSED   1
#define STAFF_EXIT_ERROR     2

/* a line longer than any password the rule lets through, and some */
#define STAFF_LINE_MAX       1024
#define STAFF_ROLE_LEN       32


typedef struct {
    const char      *cmd;           /* "staff-add", for the messages */
    const char      *conf_path;
    const char      *args[3];       /* the positional arguments */
    int              nargs;
} staff_cmd_t;


/* the terminal as it was, put back if a signal ends us while echo is off */
static struct termios  staff_tty_saved;

static const int  staff_tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };


static void
staff_tty_restore(int signo)
{
    /* async-signal-safe: tcsetattr, signal, raise */
    tcsetattr(STDIN_FILENO, TCSANOW, &staff_tty_saved);
    signal(signo, SIG_DFL);
    raise(signo);
}


/* the role codes of roles.c: "reviewer, finance, shipper<last>admin" */
static void
staff_role_codes(const char *last)
{
    const admin_role_t  *r;

    for (r = admin_roles; r->code; r++) {
        fprintf(stderr, "%s%s", r == admin_roles ? ""
                                : r[1].code ? ", " : last, r->code);
    }
}


static void
staff_usage(const char *cmd)
{
    if (strcmp(cmd, "staff-add") == 0) {
        fprintf(stderr,
                "usage: certhall-admin staff-add [-c FILE] LOGIN NAME "
                "ROLE[,ROLE...]\n"
                "  ROLE     ");
        staff_role_codes(" or ");
        fprintf(stderr, "\n");

    } else {
        fprintf(stderr,
                "usage: certhall-admin staff-password [-c FILE] LOGIN\n");
    }

    fprintf(stderr,
            "  -c FILE  the configuration (default: $CERTHALL_ADMIN_CONF)\n"
            "  the password: one line on standard input (asked for twice,\n"
            "  without echo, on a terminal)\n");
}


/* argv: [-c FILE] [--] ARG...; 0, 1 for --help, or -1 */
static int
staff_args(staff_cmd_t *c, int argc, char **argv, int want)
{
    int  i, options;

    c->cmd = argv[0];
    c->conf_path = getenv("CERTHALL_ADMIN_CONF");
    c->nargs = 0;
    options = 1;

    for (i = 1; i < argc; i++) {
        if (options && strcmp(argv[i], "-c") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "%s: -c needs a FILE\n", c->cmd);
                return -1;
            }

            c->conf_path = argv[++i];

        } else if (options && (strcmp(argv[i], "-h") == 0
                               || strcmp(argv[i], "--help") == 0))
        {
            return 1;

        } else if (options && strcmp(argv[i], "--") == 0) {
            options = 0;

        } else if (options && argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "%s: unknown option \"%s\"\n", c->cmd, argv[i]);
            return -1;

        } else if (c->nargs == want) {
            fprintf(stderr, "%s: unexpected argument \"%s\"\n", c->cmd,
                    argv[i]);
            return -1;

        } else {
            c->args[c->nargs++] = argv[i];
        }
    }

    if (c->nargs != want) {
        fprintf(stderr, "%s: missing arguments\n", c->cmd);
        return -1;
    }

    if (c->conf_path == NULL || c->conf_path[0] == '\0') {
        fprintf(stderr, "%s: configuration: no file: give -c FILE or set "
                "CERTHALL_ADMIN_CONF\n", c->cmd);
        return -1;
    }

    return 0;
}


/*
 * One line from standard input into buf, without its end (LF or CRLF),
 * read a byte at a time with read(2): stdio would keep a copy of the
 * password in its buffer, out of reach of explicit_bzero.  Returns 0,
 * -1 with a reason in *why, -2 when the line does not fit (no password
 * the rule allows is that long), or -3 at a NUL byte (the string would
 * end there, the rest of the password silently dropped).
 */
static int
staff_read_line(char *buf, size_t size, const char **why)
{
    char     ch;
    size_t   len;
    ssize_t  n;

    len = 0;

    for ( ;; ) {
        n = read(STDIN_FILENO, &ch, 1);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n < 0) {
            *why = strerror(errno);
            return -1;
        }

        if (n == 0 || ch == '\n') {
            break;
        }

        if (ch == '\0') {
            buf[len] = '\0';
            return -3;
        }

        if (len + 1 == size) {
            buf[len] = '\0';
            *why = "the line is too long";
            return -2;
        }

        buf[len++] = ch;
    }

    if (len > 0 && buf[len - 1] == '\r') {
        len--;
    }

    buf[len] = '\0';

    return 0;
}


/*
 * The password asked for twice on the terminal, without echo, into
 * password and again (STAFF_LINE_MAX each).  Returns 0, or as
 * staff_read_line() does.
 */
static int
staff_tty_read(const char *login, char *password, char *again,
    const char **why)
{
    int                rc;
    size_t             i;
    struct termios     quiet;
    struct sigaction   sa, old[sizeof(staff_tty_signals)
                               / sizeof(staff_tty_signals[0])];

    if (tcgetattr(STDIN_FILENO, &staff_tty_saved) != 0) {
        *why = strerror(errno);
        return -1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = staff_tty_restore;
    sigemptyset(&sa.sa_mask);

    for (i = 0; i < sizeof(staff_tty_signals) / sizeof(staff_tty_signals[0]);
         i++)
    {
        sigaction(staff_tty_signals[i], &sa, &old[i]);
    }

    /* no echo, but the newline: the next prompt starts on its own line */
    quiet = staff_tty_saved;
    quiet.c_lflag &= ~(tcflag_t) ECHO;
    quiet.c_lflag |= ECHONL;

    rc = -1;

    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
        *why = strerror(errno);

    } else {
        fprintf(stderr, "New password for %s: ", login);
        rc = staff_read_line(password, STAFF_LINE_MAX, why);

        if (rc == 0) {
            fprintf(stderr, "The same password again: ");
            rc = staff_read_line(again, STAFF_LINE_MAX, why);
        }
    }

    tcsetattr(STDIN_FILENO, TCSAFLUSH, &staff_tty_saved);

    for (i = 0; i < sizeof(staff_tty_signals) / sizeof(staff_tty_signals[0]);
         i++)
    {
        sigaction(staff_tty_signals[i], &old[i], NULL);
    }

    return rc;
}


/*
 * The new password, into password (STAFF_LINE_MAX), checked against the
 * rule: from a terminal twice, else one line.  Returns STAFF_EXIT_OK, or
 * the exit status after saying why.
 */
static int
staff_password_read(const staff_cmd_t *c, const char *login, char *password)
{
    int          rc;
    char         again[STAFF_LINE_MAX];
    const char  *why, *problem;

    why = NULL;
    problem = NULL;

    if (isatty(STDIN_FILENO)) {
        rc = staff_tty_read(login, password, again, &why);

        if (rc == 0) {
            problem = admin_password_rule(password, again);
        }

        explicit_bzero(again, sizeof(again));

    } else {
        rc = staff_read_line(password, STAFF_LINE_MAX, &why);

        if (rc == 0) {
            problem = admin_password_rule(password, password);
        }
    }

    if (rc == -2) {
        problem = "密码太长，最多128个字符。";

    } else if (rc == -3) {
        problem = "密码不能包含制表符、换行等控制字符。";

    } else if (rc != 0) {
        fprintf(stderr, "%s: reading the password: %s\n", c->cmd, why);
        return STAFF_EXIT_ERROR;
    }

    if (problem) {
        fprintf(stderr, "%s: password: %s\n", c->cmd, problem);
        return STAFF_EXIT_REFUSED;
    }

    return STAFF_EXIT_OK;
}


/*
 * "reviewer,admin" -> {"reviewer","admin"}: codes of [a-z_] only, each
 * quoted (unquoted, "null" in an array literal is no role but SQL NULL)
 */
static int
staff_roles_literal(const char *roles, char *buf, size_t size)
{
    int          w;
    size_t       len, n;
    const char  *p;

    n = 0;
    buf[n++] = '{';

    for (p = roles; ; p += len + 1) {
        len = strcspn(p, ",");

        if (len == 0 || len > STAFF_ROLE_LEN
            || strspn(p, "abcdefghijklmnopqrstuvwxyz_") != len)
        {
            return -1;
        }

        w = snprintf(buf + n, size - n, "%s\"%.*s\"", n > 1 ? "," : "",
                     (int) len, p);

        if (w < 0 || (size_t) w >= size - n) {
            return -1;
        }

        n += (size_t) w;

        if (p[len] == '\0') {
            break;
        }
    }

    if (n + 2 > size) {
        return -1;
    }

    buf[n++] = '}';
    buf[n] = '\0';

    return 0;
}


static PGconn *
staff_db_connect(const staff_cmd_t *c, const char *conninfo)
{
    char     app[64];
    PGconn  *conn;

    /* conninfo expands in place of "dbname", its connect_timeout winning */
    static const char  *keys[] = {
        "connect_timeout", "dbname", "fallback_application_name", NULL
    };
    const char         *values[] = { "10", conninfo, app, NULL };

    snprintf(app, sizeof(app), "certhall-admin %s", c->cmd);

    conn = PQconnectdbParams(keys, values, 1);

    if (conn == NULL) {
        fprintf(stderr, "%s: database: out of memory\n", c->cmd);
        return NULL;
    }

    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "%s: database: %s", c->cmd, PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }

    return conn;
}


/*
 * Runs the statement, and the login of the staff member whose id it
 * returns into login (the database lower-cases what was typed).  The
 * database's refusal (SQLSTATE CH4nn, decoded by lib/ch_refusal.h as
 * everywhere) is the command's (exit 1) with the database's message;
 * anything else is an error (exit 2).
 */
static int
staff_db_run(const staff_cmd_t *c, const char *conninfo, const char *sql,
    int nparams, const char *const *params, char *login, size_t size)
{
    int            rc;
    char           id[24];
    PGconn        *conn;
    PGresult      *res;
    const char    *param;
    ch_refusal_t   ref;

    conn = staff_db_connect(c, conninfo);
    if (conn == NULL) {
        return STAFF_EXIT_ERROR;
    }

    res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        snprintf(id, sizeof(id), "%s", db_value(res, 0, "staff_id"));
        param = id;

        /* a statement of its own: the one before cannot see its insert */
        PQclear(res);
        res = PQexecParams(conn, "SELECT login FROM staff WHERE id = $1",
                           1, NULL, &param, NULL, NULL, 0);
    }

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        snprintf(login, size, "%s", db_value(res, 0, "login"));
        rc = STAFF_EXIT_OK;

    } else {
        if (ch_refusal_from_result(&ref, res) == 0) {
            fprintf(stderr, "%s: refused: %s\n", c->cmd, ref.message);
            rc = STAFF_EXIT_REFUSED;

        } else if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            fprintf(stderr, "%s: database: no staff member was returned\n",
                    c->cmd);
            rc = STAFF_EXIT_ERROR;

        } else {
            fprintf(stderr, "%s: database: %s", c->cmd,
                    res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
            rc = STAFF_EXIT_ERROR;
        }
    }

    PQclear(res);
    PQfinish(conn);

    return rc;
}


/*
 * The common part once the arguments are known: the configuration, and
 * the password read and hashed into hash.  Returns STAFF_EXIT_OK with conf
 * loaded, or the exit status.
 */
static int
staff_prepare(const staff_cmd_t *c, admin_config_t *conf, char *hash)
{
    int   rc;
    char  err[512], password[STAFF_LINE_MAX];

    if (admin_config_load(conf, c->conf_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: configuration: %s\n", c->cmd, err);
        return STAFF_EXIT_ERROR;
    }

    rc = staff_password_read(c, c->args[0], password);

    if (rc == STAFF_EXIT_OK
        && ch_password_hash(password, strlen(password),
                            conf->password_iterations, hash) != 0)
    {
        fprintf(stderr, "%s: hashing the password failed (OpenSSL)\n",
                c->cmd);
        rc = STAFF_EXIT_ERROR;
    }

    explicit_bzero(password, sizeof(password));

    if (rc != STAFF_EXIT_OK) {
        admin_config_free(conf);
    }

    return rc;
}


int
cmd_staff_add(int argc, char **argv)
{
    int              rc;
    char             roles[256], hash[CH_PASSWORD_HASH_SIZE], login[64];
    const char      *params[4];
    staff_cmd_t      c;
    admin_config_t   conf;

    rc = staff_args(&c, argc, argv, 3);
    if (rc != 0) {
        staff_usage(argv[0]);
        return rc > 0 ? STAFF_EXIT_OK : STAFF_EXIT_ERROR;
    }

    /* a bad role list is refused before anyone types a password for it */
    if (staff_roles_literal(c.args[2], roles, sizeof(roles)) != 0) {
        fprintf(stderr, "staff-add: roles: expected ROLE[,ROLE...], each of "
                "a-z and _ (");
        staff_role_codes(", ");
        fprintf(stderr, ")\n");
        return STAFF_EXIT_REFUSED;
    }

    rc = staff_prepare(&c, &conf, hash);
    if (rc != STAFF_EXIT_OK) {
        return rc;
    }

    params[0] = c.args[0];
    params[1] = c.args[1];
    params[2] = roles;
    params[3] = hash;

    rc = staff_db_run(&c, conf.db, "SELECT staff_add($1, $2, $3::text[], $4) "
                      "AS staff_id", 4, params, login, sizeof(login));

    if (rc == STAFF_EXIT_OK) {
        printf("staff-add: created %s (%s)\n", login, c.args[2]);
    }

    admin_config_free(&conf);

    return rc;
}


int
cmd_staff_password(int argc, char **argv)
{
    int              rc;
    char             hash[CH_PASSWORD_HASH_SIZE], login[64];
    const char      *params[2];
    staff_cmd_t      c;
    admin_config_t   conf;

    rc = staff_args(&c, argc, argv, 1);
    if (rc != 0) {
        staff_usage(argv[0]);
        return rc > 0 ? STAFF_EXIT_OK : STAFF_EXIT_ERROR;
    }

    rc = staff_prepare(&c, &conf, hash);
    if (rc != STAFF_EXIT_OK) {
        return rc;
    }

    params[0] = c.args[0];
    params[1] = hash;

    rc = staff_db_run(&c, conf.db, "SELECT staff_set_password($1, $2) "
                      "AS staff_id", 2, params, login, sizeof(login));

    if (rc == STAFF_EXIT_OK) {
        printf("staff-password: password set for %s\n", login);
    }

    admin_config_free(&conf);

    return rc;
}
