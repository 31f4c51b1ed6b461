/*
 * arena.h - bump allocator for one request, batch or query.
 *
 * Everything decoded from a request is allocated here and freed together by
 * ol_arena_destroy() (or ol_arena_reset() to reuse the first block). Blocks
 * grow geometrically; a cap bounds the total so a hostile request cannot make
 * an arena grow without limit (allocation then returns NULL).
 */
#ifndef OL_CORE_ARENA_H
#define OL_CORE_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct ol_arena ol_arena_t;

/* cap: maximum total bytes the arena may hold; 0 = unlimited. */
ol_arena_t *ol_arena_create(size_t first_block, size_t cap);
void ol_arena_destroy(ol_arena_t *a);
void ol_arena_reset(ol_arena_t *a);
/* Returns 16-byte aligned memory or NULL when the cap is reached / OOM. */
void *ol_arena_alloc(ol_arena_t *a, size_t n);
void *ol_arena_calloc(ol_arena_t *a, size_t n);
void *ol_arena_memdup(ol_arena_t *a, const void *p, size_t n);
size_t ol_arena_used(const ol_arena_t *a);

#endif
