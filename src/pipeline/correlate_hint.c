/*
 * correlate_hint.c - root hints: (start second, id hash) -> trace id for the
 * root spans this node stored, so that a generated id usually resolves
 * without a search of the store.
 *
 * Why: a generated id olly-{s}-{h} says only when the trace started and a
 * hash of its id. Parts keep a trace's spans together and sort granules by
 * trace id, so every granule of a part spans the part's whole time range and
 * a search over one second reads the trace_id and time columns of every
 * granule of every part overlapping it: with millions of spans, and merged
 * parts covering many minutes, that is tens to hundreds of milliseconds.
 * A trace nearly always starts with its root span, so the root's (second,
 * hash) names it, and the hint gives its trace id; the lookup then reads the
 * trace by id and checks that the whole stored trace starts in that second.
 * Hints decide nothing: correlate_query.c falls back to the search whenever
 * no hinted trace checks out, so an answer never depends on which node got
 * the root or on what the ring still holds.
 *
 * Layout: entries in an array used as a ring once it holds OL_CHINT_MAX,
 * chained per bucket through `next` (an index + 1); the bucket array has as
 * many heads as the entry array has slots. Reusing the oldest entry unlinks
 * it from its bucket first. The array doubles from 4,096 entries, so a small
 * installation pays for what it stores.
 */
#include "core/alloc.h"
#include "pipeline/correlate_int.h"

#define OL_CHINT_MIN 4096u

static uint32_t ol_chint_bucket(uint64_t second, uint32_t hash, uint32_t cap)
{
    uint64_t k = (second << 32 | hash) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(k >> 32) & (cap - 1);
}

void ol_chints_free(ol_chints_t *h)
{
    ol_free(OL_MEM_PIPELINE, h->e, (size_t)h->cap * sizeof *h->e);
    ol_free(OL_MEM_PIPELINE, h->head, (size_t)h->cap * sizeof *h->head);
    memset(h, 0, sizeof *h);
}

static int ol_chints_grow(ol_chints_t *h, uint32_t cap)
{
    uint32_t *head = ol_calloc(OL_MEM_PIPELINE, cap, sizeof *head);
    if (!head) return OL_NOMEM;
    ol_chint_t *e = ol_realloc(OL_MEM_PIPELINE, h->e, (size_t)h->cap * sizeof *e, (size_t)cap * sizeof *e);
    if (!e) {
        ol_free(OL_MEM_PIPELINE, head, (size_t)cap * sizeof *head);
        return OL_NOMEM;
    }
    for (uint32_t i = 0; i < h->n; i++) {
        uint32_t b = ol_chint_bucket(e[i].second, e[i].hash, cap);
        e[i].next = head[b];
        head[b] = i + 1;
    }
    ol_free(OL_MEM_PIPELINE, h->head, (size_t)h->cap * sizeof *h->head);
    h->e = e;
    h->head = head;
    h->cap = cap;
    return OL_OK;
}

static void ol_chints_unlink(ol_chints_t *h, uint32_t i)
{
    uint32_t *link = &h->head[ol_chint_bucket(h->e[i].second, h->e[i].hash, h->cap)];
    while (*link && *link != i + 1) link = &h->e[*link - 1].next;
    if (*link) *link = h->e[i].next;
}

int ol_chints_reserve(ol_chints_t *h, size_t n)
{
    uint32_t cap = h->cap ? h->cap : OL_CHINT_MIN;
    while (cap < n && cap < OL_CHINT_MAX) cap *= 2;
    return cap > h->cap ? ol_chints_grow(h, cap) : OL_OK;
}

int ol_chints_add(ol_chints_t *h, const uint8_t trace_id[16], uint64_t second, uint32_t hash, bool check)
{
    if (second > UINT32_MAX) return 0; /* beyond 2106: no hint, the search still answers */
    if (check && h->cap) {
        for (uint32_t k = h->head[ol_chint_bucket(second, hash, h->cap)]; k; k = h->e[k - 1].next) {
            const ol_chint_t *x = &h->e[k - 1];
            if (x->second == second && x->hash == hash && memcmp(x->trace_id, trace_id, 16) == 0) return 0;
        }
    }
    if (h->n == h->cap && h->cap < OL_CHINT_MAX && ol_chints_grow(h, h->cap ? h->cap * 2 : OL_CHINT_MIN) != OL_OK)
        return OL_NOMEM;
    uint32_t i;
    if (h->n < h->cap) {
        i = h->n++;
    } else {
        i = h->pos;
        h->pos = (h->pos + 1) % h->cap;
        ol_chints_unlink(h, i);
    }
    ol_chint_t *x = &h->e[i];
    memcpy(x->trace_id, trace_id, 16);
    x->second = (uint32_t)second;
    x->hash = hash;
    uint32_t b = ol_chint_bucket(second, hash, h->cap);
    x->next = h->head[b];
    h->head[b] = i + 1;
    return 1;
}

const ol_chint_t *ol_chints_at(const ol_chints_t *h, uint32_t i)
{
    return &h->e[h->n < h->cap ? i : (h->pos + i) % h->cap];
}

size_t ol_chints_find(const ol_chints_t *h, uint64_t second, uint32_t hash, uint8_t (*out)[16], size_t max)
{
    size_t n = 0;
    if (!h->cap || second > UINT32_MAX) return 0;
    for (uint32_t k = h->head[ol_chint_bucket(second, hash, h->cap)]; k && n < max; k = h->e[k - 1].next) {
        const ol_chint_t *x = &h->e[k - 1];
        if (x->second == second && x->hash == hash) memcpy(out[n++], x->trace_id, 16);
    }
    return n;
}
