/*
 * log.c - one line per event on stderr, written with a single write(2) so
 * lines from different threads never interleave.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int g_level = OL_LOG_INFO;

void ol_log_set_level(ol_log_level_t lvl) { atomic_store(&g_level, (int)lvl); }
ol_log_level_t ol_log_get_level(void) { return (ol_log_level_t)atomic_load(&g_level); }

int ol_log_parse_level(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

void ol_log_at(ol_log_level_t lvl, const char *file, int line, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if ((int)lvl < atomic_load(&g_level)) return;
    char out[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s msg=\"", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     names[lvl & 3]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(out + n, sizeof out - (size_t)n - 64, fmt, ap);
    va_end(ap);
    if (m < 0) m = 0;
    n += (m < (int)(sizeof out - (size_t)n - 65) ? m : (int)(sizeof out - (size_t)n - 65));
    const char *base = strrchr(file, '/');
    n += snprintf(out + n, sizeof out - (size_t)n, "\" src=%s:%d\n", base ? base + 1 : file, line);
    if (n > (int)sizeof out) n = (int)sizeof out;
    ssize_t w = write(2, out, (size_t)n);
    (void)w;
}
