/*
 * alloc.h - the one allocator shim.
 *
 * Every heap allocation in Olly goes through these functions so that memory
 * is accounted per subsystem (exported on /metrics) and tests can inject
 * failures. Allocations whose size comes from the network or disk must be
 * checked by the caller: they may return NULL and the caller answers
 * OL_NOMEM / OL_LIMIT, never crashes.
 */
#ifndef OL_CORE_ALLOC_H
#define OL_CORE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    OL_MEM_CORE = 0,
    OL_MEM_NET,
    OL_MEM_CODEC,
    OL_MEM_INGEST,
    OL_MEM_STORE,
    OL_MEM_QUERY,
    OL_MEM_API,
    OL_MEM_PIPELINE,
    OL_MEM_ANALYZE,
    OL_MEM_ACT,
    OL_MEM_DEMO,
    OL_MEM__COUNT
} ol_mem_tag_t;

void *ol_malloc(ol_mem_tag_t tag, size_t n);
void *ol_calloc(ol_mem_tag_t tag, size_t count, size_t size);
void *ol_realloc(ol_mem_tag_t tag, void *p, size_t old_n, size_t new_n);
void ol_free(ol_mem_tag_t tag, void *p, size_t n);
char *ol_strndup(ol_mem_tag_t tag, const char *s, size_t n);
/* Grows the array *p of *cap elements of elem bytes (doubling, from 8) until
 * it holds at least `need`. OL_OK, or OL_NOMEM with the array unchanged. */
int ol_grow_array(ol_mem_tag_t tag, void **p, size_t *cap, size_t need, size_t elem);

/* Bytes currently allocated under a tag (approximate under concurrency). */
int64_t ol_mem_in_use(ol_mem_tag_t tag);
const char *ol_mem_tag_name(ol_mem_tag_t tag);

/* Test hook: make the Nth allocation from now fail (0 disables). */
void ol_alloc_fail_after(long n);

#endif
