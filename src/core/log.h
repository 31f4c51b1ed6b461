/*
 * log.h - leveled logging to stderr, one line per event, logfmt-ish:
 *   2026-11-21T17:00:00.123Z level=warn msg="..." (module: file:line)
 * Thread-safe (one write(2) per line).
 */
#ifndef OL_CORE_LOG_H
#define OL_CORE_LOG_H

typedef enum { OL_LOG_DEBUG = 0, OL_LOG_INFO, OL_LOG_WARN, OL_LOG_ERROR } ol_log_level_t;

void ol_log_set_level(ol_log_level_t lvl);
ol_log_level_t ol_log_get_level(void);
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int ol_log_parse_level(const char *s);
void ol_log_at(ol_log_level_t lvl, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define ol_debug(...) ol_log_at(OL_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define ol_info(...) ol_log_at(OL_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define ol_warn(...) ol_log_at(OL_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define ol_error(...) ol_log_at(OL_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#endif
