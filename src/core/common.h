/*
 * common.h - the vocabulary every Olly module shares.
 *
 * Return codes: a small closed set, in the spirit of nginx's NGX_AGAIN.
 * Functions return OL_OK (0) or a negative code; callers propagate codes and
 * the function that detected the problem logs it (once) with context.
 *
 * Slices: {ptr,len} views that never own memory. Decoders hand out slices
 * into the request buffer; a slice lives exactly as long as the buffer it
 * points into. Copy only when data outlives the request.
 */
#ifndef OL_CORE_COMMON_H
#define OL_CORE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum {
    OL_OK = 0,
    OL_ERR = -1,      /* generic failure; details were logged or put in an ol_err_t */
    OL_AGAIN = -2,    /* need more input / try again later */
    OL_NOMEM = -3,    /* allocation failed */
    OL_CORRUPT = -4,  /* malformed input (network) or damaged data (disk) */
    OL_LIMIT = -5,    /* a configured limit was hit (size, depth, count) */
    OL_NOTFOUND = -6, /* the thing asked for does not exist */
    OL_FULL = -7,     /* storage cannot accept more right now (disk full, I/O error) */
    OL_BUSY = -8      /* overloaded: the caller should retry later */
};

const char *ol_rc_str(int rc);

typedef struct ol_slice {
    const uint8_t *ptr;
    size_t len;
} ol_slice_t;

#define OL_SLICE_LIT(s) ((ol_slice_t){(const uint8_t *)(s), sizeof(s) - 1})
#define OL_SLICE_NULL ((ol_slice_t){NULL, 0})

static inline ol_slice_t ol_slice(const void *p, size_t n) { return (ol_slice_t){(const uint8_t *)p, n}; }
static inline ol_slice_t ol_slice_cstr(const char *s) { return (ol_slice_t){(const uint8_t *)s, s ? strlen(s) : 0}; }
static inline bool ol_slice_eq(ol_slice_t a, ol_slice_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}
static inline bool ol_slice_eq_cstr(ol_slice_t a, const char *s) { return ol_slice_eq(a, ol_slice_cstr(s)); }
bool ol_slice_eq_nocase(ol_slice_t a, ol_slice_t b);
bool ol_slice_eq_nocase_cstr(ol_slice_t a, const char *s);
/* Case-insensitive substring search (ASCII). Empty needle matches. */
bool ol_slice_contains_nocase(ol_slice_t hay, ol_slice_t needle);
ol_slice_t ol_slice_trim(ol_slice_t s);

/* Error detail for the client: a fixed buffer, no allocation. */
typedef struct ol_err {
    char msg[256];
} ol_err_t;
void ol_err_set(ol_err_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define OL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define OL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define OL_MAX(a, b) ((a) > (b) ? (a) : (b))
#define OL_UNUSED(x) ((void)(x))

/* Three strengths of check (after SQLite):
 *   assert()        invariants, debug builds only;
 *   OL_NEVER(x)     "cannot happen, but survive it": evaluates to x, logs in every build;
 *   ol_panic()      log and abort. */
#define OL_NEVER(x) ((x) ? (ol_never_hit(__FILE__, __LINE__, #x), 1) : 0)
void ol_never_hit(const char *file, int line, const char *expr);
_Noreturn void ol_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
