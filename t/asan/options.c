/*
 * Linked only into the AddressSanitizer build of certhall-admin
 * (build/asan/certhall-admin): fcgiwrap gives a CGI no environment of its
 * own, so ASAN_OPTIONS cannot reach it; the options are built in instead.
 * Every report goes to a file under CERTHALL_ASAN_LOG, which t/bin/asan-suite
 * reads after the suite: a report there fails it, even one (a leak) made
 * after the page was sent.
 */

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);


const char *
__asan_default_options(void)
{
    return "log_path=" CERTHALL_ASAN_LOG ":detect_leaks=1:abort_on_error=0";
}


const char *
__ubsan_default_options(void)
{
    return "log_path=" CERTHALL_ASAN_LOG ":print_stacktrace=1";
}
