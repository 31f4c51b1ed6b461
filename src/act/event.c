/*
 * event.c - an alert's content packed into one allocation, and the record
 * an alert keeps in the state store.
 *
 * A fire copies the caller's alert into a single block: the ol_act_ev_t,
 * then the label, annotation and link arrays, then every string, each
 * followed by a NUL (route regexes and libcurl want C strings). The block
 * travels through the queue and becomes the alert's current content, so a
 * repeated fire costs one allocation and one free. A label given twice
 * keeps its last value; an alert without "alertname" gets "OllyAnomaly".
 *
 * The stored record (namespace "alert", key = the alert key) is written
 * with verdict.h's little-endian codec; docs/alerts.md has the layout. It
 * holds what a restart or another node needs: who owns the alert, its
 * episode, status and wall-clock times, its content, and per receiver (by
 * name) what that receiver last heard.
 */
#include <string.h>

#include "act/act_int.h"
#include "analyze/verdict.h"
#include "core/log.h"

static const char ol_act_magic[4] = {'O', 'L', 'A', 'L'};
#define OL_ACT_STORED_VERSION 1
#define OL_ACT_STORED_MAX_STR (1u << 20)

ol_slice_t ol_act_get(const ol_act_pair_t *p, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (ol_slice_eq_cstr(p[i].name, name)) return p[i].value;
    return OL_SLICE_NULL;
}

static int ol_act_check_pairs(const ol_act_pair_t *p, uint32_t n, uint32_t max, bool need_name, size_t *bytes)
{
    if (n > max || (n && !p)) return OL_LIMIT;
    for (uint32_t i = 0; i < n; i++) {
        if (p[i].name.len > OL_ACT_MAX_VALUE || p[i].value.len > OL_ACT_MAX_VALUE) return OL_LIMIT;
        if ((p[i].name.len && !p[i].name.ptr) || (p[i].value.len && !p[i].value.ptr)) return OL_CORRUPT;
        if (need_name && !p[i].name.len) return OL_CORRUPT;
        *bytes += p[i].name.len + p[i].value.len + 2;
    }
    return OL_OK;
}

typedef struct ol_act_packer {
    char *str; /* next free string byte */
} ol_act_packer_t;

static ol_slice_t ol_act_put_str(ol_act_packer_t *k, ol_slice_t s)
{
    char *at = k->str;
    if (s.len) memcpy(at, s.ptr, s.len);
    at[s.len] = 0;
    k->str += s.len + 1;
    return ol_slice(at, s.len);
}

/* Copies pairs, a later duplicate name replacing the earlier value. */
static uint32_t ol_act_put_pairs(ol_act_packer_t *k, ol_act_pair_t *dst, const ol_act_pair_t *src, uint32_t n,
                                 bool dedup)
{
    uint32_t out = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = 0;
        while (dedup && j < out && !ol_slice_eq(dst[j].name, src[i].name)) j++;
        ol_slice_t v = ol_act_put_str(k, src[i].value);
        if (dedup && j < out) {
            dst[j].value = v;
            continue;
        }
        dst[out].name = ol_act_put_str(k, src[i].name);
        dst[out++].value = v;
    }
    return out;
}

int ol_act_ev_pack(const ol_act_alert_t *al, ol_act_ev_kind_t kind, ol_act_ev_t **out)
{
    *out = NULL;
    if (!al->key.len || !al->key.ptr) return OL_CORRUPT;
    if (al->key.len > OL_ACT_MAX_KEY || al->generator.len > OL_ACT_MAX_VALUE) return OL_LIMIT;
    if (al->generator.len && !al->generator.ptr) return OL_CORRUPT;
    size_t strs = al->key.len + 1 + al->generator.len + 1 + sizeof "alertname" + sizeof "OllyAnomaly";
    int rc = ol_act_check_pairs(al->labels, al->n_labels, OL_ACT_MAX_PAIRS, true, &strs);
    if (rc == OL_OK) rc = ol_act_check_pairs(al->annotations, al->n_annotations, OL_ACT_MAX_PAIRS, true, &strs);
    if (rc == OL_OK) rc = ol_act_check_pairs(al->links, al->n_links, OL_ACT_MAX_LINKS, false, &strs);
    if (rc != OL_OK) return rc;
    for (uint32_t i = 0; i < al->n_links; i++)
        if (!al->links[i].value.len) return OL_CORRUPT;
    uint32_t n_pairs = al->n_labels + 1 + al->n_annotations + al->n_links;
    size_t size = sizeof(ol_act_ev_t) + n_pairs * sizeof(ol_act_pair_t) + strs;
    ol_act_ev_t *e = ol_malloc(OL_ACT_MEM, size);
    if (!e) return OL_NOMEM;
    memset(e, 0, sizeof *e);
    e->size = size;
    e->kind = (uint8_t)kind;
    e->onset_ns = al->onset_ns;
    ol_act_pair_t *pairs = (ol_act_pair_t *)(e + 1);
    ol_act_packer_t k = {(char *)(pairs + n_pairs)};
    e->key = ol_act_put_str(&k, al->key);
    e->generator = ol_act_put_str(&k, al->generator);
    e->labels = pairs;
    e->n_labels = ol_act_put_pairs(&k, e->labels, al->labels, al->n_labels, true);
    if (kind == OL_ACT_EV_FIRE && !ol_act_get(e->labels, e->n_labels, "alertname").len) {
        uint32_t j = 0;
        while (j < e->n_labels && !ol_slice_eq_cstr(e->labels[j].name, "alertname")) j++;
        if (j == e->n_labels) e->labels[e->n_labels++].name = ol_act_put_str(&k, OL_SLICE_LIT("alertname"));
        e->labels[j].value = ol_act_put_str(&k, OL_SLICE_LIT("OllyAnomaly"));
    }
    e->annotations = e->labels + e->n_labels;
    e->n_annotations = ol_act_put_pairs(&k, e->annotations, al->annotations, al->n_annotations, true);
    e->links = e->annotations + e->n_annotations;
    e->n_links = ol_act_put_pairs(&k, e->links, al->links, al->n_links, false);
    *out = e;
    return OL_OK;
}

void ol_act_ev_free(ol_act_ev_t *e)
{
    if (e) ol_free(OL_ACT_MEM, e, e->size);
}

/* ---- the stored record ---- */

static void ol_act_wr_str(ol_buf_t *b, ol_slice_t s)
{
    ol_an_wr_u32(b, (uint32_t)s.len);
    ol_buf_append_slice(b, s);
}

static void ol_act_wr_pairs(ol_buf_t *b, const ol_act_pair_t *p, uint32_t n)
{
    ol_an_wr_u32(b, n);
    for (uint32_t i = 0; i < n; i++) {
        ol_act_wr_str(b, p[i].name);
        ol_act_wr_str(b, p[i].value);
    }
}

void ol_act_stored_encode(ol_buf_t *b, const ol_act_rec_t *r, const ol_act_config_t *cfg, const char *owner,
                          bool settled, uint64_t heartbeat_wall)
{
    const ol_act_ev_t *c = r->c;
    ol_an_wr_header(b, ol_act_magic, OL_ACT_STORED_VERSION);
    ol_act_wr_str(b, ol_slice_cstr(owner));
    ol_an_wr_u32(b, r->episode);
    ol_an_wr_u8(b, r->status);
    ol_an_wr_u8(b, settled);
    ol_an_wr_i64(b, c->onset_ns);
    ol_an_wr_u64(b, r->starts_wall);
    ol_an_wr_u64(b, r->ends_wall);
    ol_an_wr_u64(b, r->updated_wall);
    ol_an_wr_u64(b, heartbeat_wall);
    ol_an_wr_u64(b, r->fires);
    ol_act_wr_str(b, c->generator);
    ol_act_wr_pairs(b, c->labels, c->n_labels);
    ol_act_wr_pairs(b, c->annotations, c->n_annotations);
    ol_act_wr_pairs(b, c->links, c->n_links);
    ol_an_wr_u32(b, r->n_slots);
    for (uint32_t i = 0; i < r->n_slots; i++) {
        const ol_act_slot_t *s = &r->slots[i];
        ol_act_wr_str(b, ol_slice_cstr(cfg->recv[s->recv].name));
        ol_an_wr_u8(b, s->told);
        ol_an_wr_u32(b, s->announced);
    }
}

static ol_slice_t ol_act_rd_str(ol_an_rd_t *r)
{
    uint32_t n = ol_an_rd_count(r, OL_ACT_STORED_MAX_STR, 1);
    if (r->rc != OL_OK) return OL_SLICE_NULL;
    ol_slice_t s = ol_slice(r->p, n);
    r->p += n;
    r->left -= n;
    return s;
}

static uint32_t ol_act_rd_pairs(ol_an_rd_t *r, ol_act_pair_t *dst, uint32_t room, uint32_t max)
{
    uint32_t n = ol_an_rd_count(r, OL_MIN(max, room), 8);
    for (uint32_t i = 0; i < n && r->rc == OL_OK; i++) {
        dst[i].name = ol_act_rd_str(r);
        dst[i].value = ol_act_rd_str(r);
    }
    return r->rc == OL_OK ? n : 0;
}

int ol_act_stored_decode(ol_slice_t blob, ol_arena_t *arena, ol_act_stored_t *out)
{
    memset(out, 0, sizeof *out);
    ol_an_rd_t r = ol_an_rd(blob);
    ol_an_rd_header(&r, ol_act_magic, OL_ACT_STORED_VERSION);
    out->owner = ol_act_rd_str(&r);
    out->episode = ol_an_rd_u32(&r);
    out->status = ol_an_rd_u8(&r);
    out->settled = ol_an_rd_u8(&r) != 0;
    out->alert.onset_ns = ol_an_rd_i64(&r);
    out->starts_wall = ol_an_rd_u64(&r);
    out->ends_wall = ol_an_rd_u64(&r);
    out->updated_wall = ol_an_rd_u64(&r);
    out->heartbeat_wall = ol_an_rd_u64(&r);
    out->fires = ol_an_rd_u64(&r);
    out->alert.generator = ol_act_rd_str(&r);
    if (r.rc != OL_OK) return OL_CORRUPT;
    uint32_t room = 2 * (OL_ACT_MAX_PAIRS + 1) + OL_ACT_MAX_LINKS;
    out->pairs = ol_arena_alloc(arena, room * sizeof *out->pairs);
    if (!out->pairs) return OL_NOMEM;
    ol_act_pair_t *p = out->pairs;
    out->alert.labels = p;
    out->alert.n_labels = ol_act_rd_pairs(&r, p, room, OL_ACT_MAX_PAIRS + 1);
    p += out->alert.n_labels, room -= out->alert.n_labels;
    out->alert.annotations = p;
    out->alert.n_annotations = ol_act_rd_pairs(&r, p, room, OL_ACT_MAX_PAIRS);
    p += out->alert.n_annotations, room -= out->alert.n_annotations;
    out->alert.links = p;
    out->alert.n_links = ol_act_rd_pairs(&r, p, room, OL_ACT_MAX_LINKS);
    uint32_t n = ol_an_rd_count(&r, OL_ACT_MAX_RECEIVERS, 9);
    if (r.rc != OL_OK) return OL_CORRUPT;
    out->slots = ol_arena_calloc(arena, (n ? n : 1) * sizeof *out->slots);
    if (!out->slots) return OL_NOMEM;
    for (uint32_t i = 0; i < n && r.rc == OL_OK; i++) {
        out->slots[i].receiver = ol_act_rd_str(&r);
        out->slots[i].told = ol_an_rd_u8(&r);
        out->slots[i].announced = ol_an_rd_u32(&r);
    }
    out->n_slots = n;
    if (r.rc != OL_OK || r.left != 0) return OL_CORRUPT;
    if (out->status != OL_ACT_FIRING && out->status != OL_ACT_RESOLVED) return OL_CORRUPT;
    if (!out->owner.len || out->owner.len > 63) return OL_CORRUPT;
    for (uint32_t i = 0; i < n; i++)
        if (out->slots[i].told > OL_ACT_TOLD_GAVE_UP) return OL_CORRUPT;
    return OL_OK;
}
