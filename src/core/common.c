/*
 * common.c - return-code names, slice helpers, error details, check failures.
 */
#include "core/common.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"

const char *ol_rc_str(int rc)
{
    switch (rc) {
    case OL_OK: return "ok";
    case OL_ERR: return "error";
    case OL_AGAIN: return "again";
    case OL_NOMEM: return "out of memory";
    case OL_CORRUPT: return "corrupt";
    case OL_LIMIT: return "limit exceeded";
    case OL_NOTFOUND: return "not found";
    case OL_FULL: return "storage full";
    case OL_BUSY: return "busy";
    default: return "unknown";
    }
}

bool ol_slice_eq_nocase(ol_slice_t a, ol_slice_t b)
{
    if (a.len != b.len) return false;
    for (size_t i = 0; i < a.len; i++)
        if (tolower(a.ptr[i]) != tolower(b.ptr[i])) return false;
    return true;
}

bool ol_slice_eq_nocase_cstr(ol_slice_t a, const char *s) { return ol_slice_eq_nocase(a, ol_slice_cstr(s)); }

bool ol_slice_contains_nocase(ol_slice_t hay, ol_slice_t needle)
{
    if (needle.len == 0) return true;
    if (needle.len > hay.len) return false;
    for (size_t i = 0; i + needle.len <= hay.len; i++) {
        size_t j = 0;
        while (j < needle.len && tolower(hay.ptr[i + j]) == tolower(needle.ptr[j])) j++;
        if (j == needle.len) return true;
    }
    return false;
}

ol_slice_t ol_slice_trim(ol_slice_t s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) { s.ptr++; s.len--; }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t' || s.ptr[s.len - 1] == '\r' ||
                     s.ptr[s.len - 1] == '\n'))
        s.len--;
    return s;
}

void ol_err_set(ol_err_t *e, const char *fmt, ...)
{
    if (!e) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

void ol_never_hit(const char *file, int line, const char *expr)
{
    ol_log_at(OL_LOG_ERROR, file, line, "internal check failed: %s", expr);
}

void ol_panic(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ol_log_at(OL_LOG_ERROR, __FILE__, __LINE__, "panic: %s", msg);
    abort();
}
