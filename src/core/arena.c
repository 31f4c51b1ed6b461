/*
 * arena.c - bump allocator: a list of blocks, each at least twice the
 * previous, 16-byte aligned allocations, a total cap. Freed all at once.
 */
#include "core/arena.h"

#include <string.h>

#include "core/alloc.h"

typedef struct ol_arena_block {
    struct ol_arena_block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
} ol_arena_block_t;

struct ol_arena {
    ol_arena_block_t *head;
    size_t first_block;
    size_t cap;
    size_t total; /* bytes of all blocks */
    size_t used;
};

#define OL_ARENA_HDR ((sizeof(ol_arena_block_t) + 15) & ~(size_t)15)

ol_arena_t *ol_arena_create(size_t first_block, size_t cap)
{
    ol_arena_t *a = ol_calloc(OL_MEM_CORE, 1, sizeof *a);
    if (!a) return NULL;
    a->first_block = first_block ? first_block : 4096;
    a->cap = cap;
    return a;
}

static void ol_arena_free_blocks(ol_arena_block_t *b)
{
    while (b) {
        ol_arena_block_t *n = b->next;
        ol_free(OL_MEM_CORE, b, OL_ARENA_HDR + b->size);
        b = n;
    }
}

void ol_arena_destroy(ol_arena_t *a)
{
    if (!a) return;
    ol_arena_free_blocks(a->head);
    ol_free(OL_MEM_CORE, a, sizeof *a);
}

void ol_arena_reset(ol_arena_t *a)
{
    if (!a || !a->head) return;
    /* Keep the newest (largest) block only. */
    ol_arena_free_blocks(a->head->next);
    a->head->next = NULL;
    a->head->used = 0;
    a->total = a->head->size;
    a->used = 0;
}

void *ol_arena_alloc(ol_arena_t *a, size_t n)
{
    if (n > SIZE_MAX / 2) return NULL;
    size_t need = (n + 15) & ~(size_t)15;
    if (need == 0) need = 16;
    ol_arena_block_t *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t size = b ? b->size * 2 : a->first_block;
        if (size < need) size = need;
        if (a->cap && a->total + size > a->cap) {
            if (a->total + need > a->cap) return NULL;
            size = need;
        }
        ol_arena_block_t *nb = ol_malloc(OL_MEM_CORE, OL_ARENA_HDR + size);
        if (!nb) return NULL;
        nb->size = size;
        nb->used = 0;
        nb->next = a->head;
        a->head = nb;
        a->total += size;
        b = nb;
    }
    void *p = (uint8_t *)b + OL_ARENA_HDR + b->used;
    b->used += need;
    a->used += need;
    return p;
}

void *ol_arena_calloc(ol_arena_t *a, size_t n)
{
    void *p = ol_arena_alloc(a, n);
    if (p) memset(p, 0, n);
    return p;
}

void *ol_arena_memdup(ol_arena_t *a, const void *p, size_t n)
{
    void *q = ol_arena_alloc(a, n);
    if (q && n) memcpy(q, p, n);
    return q;
}

size_t ol_arena_used(const ol_arena_t *a) { return a->used; }
