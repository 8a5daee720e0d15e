/* certhall-admin jobs: written below */
#include "admin.h"
#include "job.h"

int
cmd_jobs(int argc, char **argv)
{
    (void) argc;
    (void) argv;

    return 2;
}
