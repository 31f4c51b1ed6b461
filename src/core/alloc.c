/*
 * alloc.c - the allocator shim: libc malloc with per-tag accounting and
 * test-time failure injection. Callers pass the size on free so accounting
 * needs no header in front of each block.
 */
#include "core/alloc.h"

#include "core/common.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static _Atomic int64_t g_in_use[OL_MEM__COUNT];
static _Atomic long g_fail_after;

static bool ol_alloc_should_fail(void)
{
    long n = atomic_load_explicit(&g_fail_after, memory_order_relaxed);
    if (n <= 0) return false;
    if (atomic_fetch_sub(&g_fail_after, 1) == 1) return true;
    return false;
}

void *ol_malloc(ol_mem_tag_t tag, size_t n)
{
    if (ol_alloc_should_fail()) return NULL;
    void *p = malloc(n ? n : 1);
    if (p) atomic_fetch_add_explicit(&g_in_use[tag], (int64_t)n, memory_order_relaxed);
    return p;
}

void *ol_calloc(ol_mem_tag_t tag, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    if (ol_alloc_should_fail()) return NULL;
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p) atomic_fetch_add_explicit(&g_in_use[tag], (int64_t)(count * size), memory_order_relaxed);
    return p;
}

void *ol_realloc(ol_mem_tag_t tag, void *p, size_t old_n, size_t new_n)
{
    if (ol_alloc_should_fail()) return NULL;
    void *q = realloc(p, new_n ? new_n : 1);
    if (q) atomic_fetch_add_explicit(&g_in_use[tag], (int64_t)new_n - (int64_t)old_n, memory_order_relaxed);
    return q;
}

void ol_free(ol_mem_tag_t tag, void *p, size_t n)
{
    if (!p) return;
    atomic_fetch_sub_explicit(&g_in_use[tag], (int64_t)n, memory_order_relaxed);
    free(p);
}

char *ol_strndup(ol_mem_tag_t tag, const char *s, size_t n)
{
    char *p = ol_malloc(tag, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

int64_t ol_mem_in_use(ol_mem_tag_t tag) { return atomic_load(&g_in_use[tag]); }

const char *ol_mem_tag_name(ol_mem_tag_t tag)
{
    static const char *names[OL_MEM__COUNT] = {"core", "net", "codec", "ingest", "store", "query", "api", "pipeline", "analyze", "act", "demo"};
    return (unsigned)tag < OL_MEM__COUNT ? names[tag] : "unknown";
}

void ol_alloc_fail_after(long n) { atomic_store(&g_fail_after, n); }

int ol_grow_array(ol_mem_tag_t tag, void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return OL_OK;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem) return OL_NOMEM;
        n *= 2;
    }
    void *q = ol_realloc(tag, *p, *cap * elem, n * elem);
    if (!q) return OL_NOMEM;
    *p = q;
    *cap = n;
    return OL_OK;
}
