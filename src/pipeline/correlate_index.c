/*
 * correlate_index.c - the explicit-id index: id -> the traces (and the
 * seconds of trace-less log records) that carry it, and its file image.
 *
 * Memory: an open-addressing table (linear probing, backward-shift delete)
 * of entries, each one allocation holding the id, plus a growing array of
 * 24-byte refs. A list orders the entries by when they last gained a ref;
 * beyond max_ids the least recently extended id is dropped whole. Recency
 * changes only when a ref is new, and every new ref is what the file
 * records, so replaying the file rebuilds the same order and the same
 * evictions. An id keeps at most OL_CIX_MAX_REFS refs (the first ones).
 *
 * The file image (docs/format/correlation-index.md) is a header and
 * length+CRC framed records of entries: id refs, and the root hints of
 * correlate_hint.c. Loading applies good records in
 * order, skips a record whose CRC holds but whose entries do not parse,
 * and stops at the first record that fails its framing, telling the caller
 * whether that is a torn append (cut off) or damage (set aside).
 */
#include "core/alloc.h"
#include "core/util.h"
#include "pipeline/correlate_int.h"

#define OL_CIX_MIN_CAP 64
#define OL_CIX_IMAGE_RECORD 65536 /* payload bytes per record in a compacted image */

static const uint8_t ol_cix_zero_id[16];

static bool ol_cix_is_time(const ol_cix_ref_t *r) { return memcmp(r->trace_id, ol_cix_zero_id, 16) == 0; }

size_t ol_cix_entry_bytes(size_t id_len, bool trace) { return 2 + id_len + (trace ? 16 : 0) + 8; }

void ol_cix_init(ol_cix_t *x, uint64_t max_ids)
{
    memset(x, 0, sizeof *x);
    x->max_ids = max_ids ? max_ids : OL_CORRELATE_DEFAULT_MAX_IDS;
}

static void ol_cix_entry_free(ol_cix_entry_t *e)
{
    ol_free(OL_MEM_PIPELINE, e->refs, e->cap_refs * sizeof *e->refs);
    ol_free(OL_MEM_PIPELINE, e, sizeof *e + e->id_len);
}

void ol_cix_free(ol_cix_t *x)
{
    for (ol_cix_entry_t *e = x->lru_head, *next; e; e = next) {
        next = e->lru_next;
        ol_cix_entry_free(e);
    }
    ol_free(OL_MEM_PIPELINE, x->slots, x->cap * sizeof *x->slots);
    uint64_t max_ids = x->max_ids;
    memset(x, 0, sizeof *x);
    x->max_ids = max_ids;
}

static bool ol_cix_entry_is(const ol_cix_entry_t *e, uint64_t h, ol_slice_t id)
{
    return e->hash == h && e->id_len == id.len && memcmp(e->id, id.ptr, id.len) == 0;
}

ol_cix_entry_t *ol_cix_get(const ol_cix_t *x, ol_slice_t id)
{
    if (!x->cap || !id.len || id.len > OL_CORRELATE_MAX_ID) return NULL;
    uint64_t h = ol_cid_hash64(id.ptr, id.len);
    size_t mask = x->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        ol_cix_entry_t *e = x->slots[i];
        if (!e) return NULL;
        if (ol_cix_entry_is(e, h, id)) return e;
    }
}

static void ol_cix_place(ol_cix_entry_t **slots, size_t cap, ol_cix_entry_t *e)
{
    size_t mask = cap - 1, i = e->hash & mask;
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = e;
}

static int ol_cix_grow(ol_cix_t *x)
{
    if ((x->n + 1) * 10 <= x->cap * 7) return OL_OK;
    size_t cap = x->cap ? x->cap * 2 : OL_CIX_MIN_CAP;
    ol_cix_entry_t **slots = ol_calloc(OL_MEM_PIPELINE, cap, sizeof *slots);
    if (!slots) return OL_NOMEM;
    for (size_t i = 0; i < x->cap; i++)
        if (x->slots[i]) ol_cix_place(slots, cap, x->slots[i]);
    ol_free(OL_MEM_PIPELINE, x->slots, x->cap * sizeof *x->slots);
    x->slots = slots;
    x->cap = cap;
    return OL_OK;
}

static void ol_cix_unlink(ol_cix_t *x, ol_cix_entry_t *e)
{
    if (e->lru_prev) e->lru_prev->lru_next = e->lru_next;
    else x->lru_head = e->lru_next;
    if (e->lru_next) e->lru_next->lru_prev = e->lru_prev;
    else x->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void ol_cix_push_front(ol_cix_t *x, ol_cix_entry_t *e)
{
    e->lru_prev = NULL;
    e->lru_next = x->lru_head;
    if (x->lru_head) x->lru_head->lru_prev = e;
    x->lru_head = e;
    if (!x->lru_tail) x->lru_tail = e;
}

static uint64_t ol_cix_entry_live(const ol_cix_entry_t *e)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < e->n_refs; i++) n += ol_cix_entry_bytes(e->id_len, !ol_cix_is_time(&e->refs[i]));
    return n;
}

static void ol_cix_remove(ol_cix_t *x, ol_cix_entry_t *e)
{
    size_t mask = x->cap - 1, i = e->hash & mask;
    while (x->slots[i] != e) i = (i + 1) & mask;
    x->slots[i] = NULL;
    /* Backward shift: move up every later entry of the run whose home slot
     * is not cyclically within (i, j]. */
    for (size_t j = (i + 1) & mask; x->slots[j]; j = (j + 1) & mask) {
        size_t k = x->slots[j]->hash & mask;
        bool stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);
        if (stays) continue;
        x->slots[i] = x->slots[j];
        x->slots[j] = NULL;
        i = j;
    }
    ol_cix_unlink(x, e);
    x->n--;
    x->n_refs -= e->n_refs;
    x->live_bytes -= ol_cix_entry_live(e);
    ol_cix_entry_free(e);
}

static ol_cix_entry_t *ol_cix_create(ol_cix_t *x, ol_slice_t id)
{
    if (ol_cix_grow(x) != OL_OK) return NULL;
    ol_cix_entry_t *e = ol_malloc(OL_MEM_PIPELINE, sizeof *e + id.len);
    if (!e) return NULL;
    memset(e, 0, sizeof *e);
    e->hash = ol_cid_hash64(id.ptr, id.len);
    e->id_len = (uint8_t)id.len;
    memcpy(e->id, id.ptr, id.len);
    ol_cix_place(x->slots, x->cap, e);
    ol_cix_push_front(x, e);
    x->n++;
    return e;
}

static bool ol_cix_has(const ol_cix_entry_t *e, const ol_cix_ref_t *ref)
{
    bool time = ol_cix_is_time(ref);
    for (uint32_t k = e->n_refs; k > 0; k--) { /* newest first: spans of a trace arrive together */
        const ol_cix_ref_t *r = &e->refs[k - 1];
        if (time ? ol_cix_is_time(r) && r->time_ns == ref->time_ns : memcmp(r->trace_id, ref->trace_id, 16) == 0)
            return true;
    }
    return false;
}

int ol_cix_add(ol_cix_t *x, ol_slice_t id, const ol_cix_ref_t *ref_in)
{
    if (!id.len || id.len > OL_CORRELATE_MAX_ID) return 0;
    ol_cix_ref_t ref = *ref_in;
    bool time = ol_cix_is_time(&ref);
    if (time) ref.time_ns -= ref.time_ns % 1000000000ull;
    ol_cix_entry_t *e = ol_cix_get(x, id);
    if (e && ol_cix_has(e, &ref)) return 0;
    if (e && e->n_refs >= OL_CIX_MAX_REFS) {
        x->refs_dropped++;
        return 0;
    }
    if (!e && !(e = ol_cix_create(x, id))) return OL_NOMEM;
    if (e->n_refs == e->cap_refs) {
        uint32_t cap = e->cap_refs ? OL_MIN(e->cap_refs * 2, (uint32_t)OL_CIX_MAX_REFS) : 1;
        ol_cix_ref_t *r = ol_realloc(OL_MEM_PIPELINE, e->refs, e->cap_refs * sizeof *r, cap * sizeof *r);
        if (!r) return OL_NOMEM;
        e->refs = r;
        e->cap_refs = cap;
    }
    e->refs[e->n_refs++] = ref;
    x->n_refs++;
    x->live_bytes += ol_cix_entry_bytes(id.len, !time);
    if (x->lru_head != e) {
        ol_cix_unlink(x, e);
        ol_cix_push_front(x, e);
    }
    while (x->n > x->max_ids && x->lru_tail && x->lru_tail != e) {
        ol_cix_remove(x, x->lru_tail);
        x->evicted++;
    }
    return 1;
}

/* ---- file image ---- */

void ol_cix_put_header(uint8_t out[OL_CIX_HEADER])
{
    memset(out, 0, OL_CIX_HEADER);
    memcpy(out, OL_CIX_MAGIC, sizeof OL_CIX_MAGIC); /* with its NUL: 8 bytes */
    ol_store_le32(out + 8, OL_CIX_VERSION);
    ol_store_le32(out + 12, 0);
    ol_store_le32(out + 16, ol_crc32c(0, out, 16));
}

size_t ol_cix_record_begin(ol_buf_t *b)
{
    size_t mark = b->len;
    static const uint8_t zero[OL_CIX_REC_HEADER];
    ol_buf_append(b, zero, sizeof zero);
    return mark;
}

void ol_cix_put_entry(ol_buf_t *b, ol_slice_t id, const ol_cix_ref_t *ref)
{
    bool trace = !ol_cix_is_time(ref);
    uint8_t hdr[2] = {trace ? OL_CIX_KIND_TRACE : OL_CIX_KIND_TIME, (uint8_t)id.len};
    ol_buf_append(b, hdr, 2);
    ol_buf_append_slice(b, id);
    if (trace) ol_buf_append(b, ref->trace_id, 16);
    uint8_t t[8];
    ol_store_le64(t, ref->time_ns);
    ol_buf_append(b, t, 8);
}

void ol_cix_record_end(ol_buf_t *b, size_t mark)
{
    if (b->err) return;
    size_t n = b->len - mark - OL_CIX_REC_HEADER;
    if (!n) {
        b->len = mark;
        return;
    }
    uint8_t *h = b->data + mark;
    ol_store_le32(h, (uint32_t)n);
    uint32_t crc = ol_crc32c(0, h, 4);
    ol_store_le32(h + 4, ol_crc32c(crc, h + OL_CIX_REC_HEADER, n));
}

void ol_cix_put_root(ol_buf_t *b, const uint8_t trace_id[16], uint64_t second)
{
    uint8_t e[OL_CIX_ROOT_BYTES];
    e[0] = OL_CIX_KIND_ROOT;
    memcpy(e + 1, trace_id, 16);
    ol_store_le64(e + 17, second);
    ol_buf_append(b, e, sizeof e);
}

/* Parses one entry at p (bounded by end): its kind, or OL_CORRUPT when
 * malformed. A root hint comes back as an empty id and ref (trace id, the
 * second in time_ns). */
static int ol_cix_parse_entry(const uint8_t **pp, const uint8_t *end, ol_slice_t *id, ol_cix_ref_t *ref)
{
    const uint8_t *p = *pp;
    if (end - p < 2) return OL_CORRUPT;
    uint8_t kind = p[0], len = p[1];
    if (kind == OL_CIX_KIND_ROOT) {
        if (end - p < OL_CIX_ROOT_BYTES) return OL_CORRUPT;
        *id = OL_SLICE_NULL;
        memcpy(ref->trace_id, p + 1, 16);
        ref->time_ns = ol_load_le64(p + 17);
        if (ol_cix_is_time(ref) || ref->time_ns > UINT32_MAX) return OL_CORRUPT;
        *pp = p + OL_CIX_ROOT_BYTES;
        return kind;
    }
    if (kind != OL_CIX_KIND_TRACE && kind != OL_CIX_KIND_TIME) return OL_CORRUPT;
    size_t need = ol_cix_entry_bytes(len, kind == OL_CIX_KIND_TRACE);
    if ((size_t)(end - p) < need) return OL_CORRUPT;
    *id = ol_slice(p + 2, len);
    /* A stored id passed the rules when it came; no upper time bound now. */
    if (ol_cid_check(*id, UINT64_MAX - OL_CID_FUTURE_SLACK_S) != OL_CID_OK) return OL_CORRUPT;
    p += 2 + len;
    memset(ref->trace_id, 0, 16);
    if (kind == OL_CIX_KIND_TRACE) {
        memcpy(ref->trace_id, p, 16);
        if (ol_cix_is_time(ref)) return OL_CORRUPT;
        p += 16;
    }
    ref->time_ns = ol_load_le64(p);
    if (kind == OL_CIX_KIND_TIME && ref->time_ns % 1000000000ull) return OL_CORRUPT;
    *pp = p + 8;
    return kind;
}

static bool ol_cix_all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* One pass over the records: framing, CRCs and entries checked, res
 * filled; with apply, each good record's entries are applied. */
static int ol_cix_walk(ol_cix_t *x, ol_chints_t *hints, ol_slice_t file, ol_cix_load_t *res, bool apply, ol_err_t *err)
{
    memset(res, 0, sizeof *res);
    size_t pos = OL_CIX_HEADER, len = file.len;
    res->good_end = pos;
    while (pos < len) {
        const uint8_t *h = file.ptr + pos;
        size_t left = len - pos;
        if (left < OL_CIX_REC_HEADER) {
            res->tail = OL_CIX_TORN;
            return OL_OK;
        }
        uint32_t n = ol_load_le32(h);
        if (n == 0 || n > OL_CIX_MAX_PAYLOAD) {
            res->tail = ol_cix_all_zero(h, left) ? OL_CIX_TORN : OL_CIX_DAMAGED;
            return OL_OK;
        }
        if ((size_t)n > left - OL_CIX_REC_HEADER) {
            res->tail = OL_CIX_TORN;
            return OL_OK;
        }
        uint32_t crc = ol_crc32c(ol_crc32c(0, h, 4), h + OL_CIX_REC_HEADER, n);
        if (crc != ol_load_le32(h + 4)) {
            bool last = (size_t)n == left - OL_CIX_REC_HEADER;
            res->tail = last || ol_cix_all_zero(h, left) ? OL_CIX_TORN : OL_CIX_DAMAGED;
            return OL_OK;
        }
        /* Check every entry before applying any, so a record is all or nothing. */
        const uint8_t *p = h + OL_CIX_REC_HEADER, *end = p + n;
        size_t entries = 0, roots = 0;
        int kind = OL_CIX_KIND_TRACE; /* anything > 0 */
        while (p < end && kind > 0) {
            ol_slice_t id;
            ol_cix_ref_t ref;
            kind = ol_cix_parse_entry(&p, end, &id, &ref);
            entries++;
            roots += kind == OL_CIX_KIND_ROOT;
        }
        if (p < end || kind <= 0) {
            res->skipped_records++;
        } else {
            for (p = h + OL_CIX_REC_HEADER; apply && p < end;) {
                ol_slice_t id;
                ol_cix_ref_t ref;
                int rc;
                if (ol_cix_parse_entry(&p, end, &id, &ref) == OL_CIX_KIND_ROOT)
                    rc = hints ? ol_chints_add(hints, ref.trace_id, ref.time_ns, ol_cid_hash32(ref.trace_id, 16), false)
                               : 0;
                else
                    rc = ol_cix_add(x, id, &ref);
                if (rc == OL_NOMEM) {
                    ol_err_set(err, "out of memory at offset %zu", pos);
                    return OL_NOMEM;
                }
            }
            res->records++;
            res->entries += entries;
            res->roots += roots;
        }
        pos += OL_CIX_REC_HEADER + n;
        res->good_end = pos;
    }
    return OL_OK;
}

int ol_cix_load_image(ol_cix_t *x, ol_chints_t *hints, ol_slice_t file, ol_cix_load_t *res, ol_err_t *err)
{
    memset(res, 0, sizeof *res);
    uint8_t want[OL_CIX_HEADER];
    ol_cix_put_header(want);
    if (file.len < OL_CIX_HEADER) {
        ol_err_set(err, "shorter than its %d-byte header (%zu bytes)", OL_CIX_HEADER, file.len);
        return OL_CORRUPT;
    }
    if (memcmp(file.ptr, want, 8) != 0) {
        ol_err_set(err, "bad magic");
        return OL_CORRUPT;
    }
    if (ol_load_le32(file.ptr + 16) != ol_crc32c(0, file.ptr, 16)) {
        ol_err_set(err, "header CRC mismatch");
        return OL_CORRUPT;
    }
    if (ol_load_le32(file.ptr + 8) != OL_CIX_VERSION || ol_load_le32(file.ptr + 12) != 0) {
        ol_err_set(err, "unsupported version %u or flags %u", ol_load_le32(file.ptr + 8), ol_load_le32(file.ptr + 12));
        return OL_CORRUPT;
    }
    /* Count first, so the hint ring is sized once rather than doubled along. */
    int rc = ol_cix_walk(x, NULL, file, res, false, err);
    if (rc == OL_OK && hints && ol_chints_reserve(hints, res->roots) != OL_OK) {
        ol_err_set(err, "out of memory for %llu root hints", (unsigned long long)res->roots);
        rc = OL_NOMEM;
    }
    ol_cix_load_t applied; /* the good records only: the first walk said what follows them */
    if (rc == OL_OK) rc = ol_cix_walk(x, hints, ol_slice(file.ptr, res->good_end), &applied, true, err);
    return rc;
}

int ol_cix_write_image(const ol_cix_t *x, const ol_chints_t *h, ol_buf_t *out)
{
    uint8_t hdr[OL_CIX_HEADER];
    ol_cix_put_header(hdr);
    ol_buf_append(out, hdr, sizeof hdr);
    size_t mark = ol_cix_record_begin(out);
    for (const ol_cix_entry_t *e = x->lru_tail; e; e = e->lru_prev) {
        ol_slice_t id = ol_slice(e->id, e->id_len);
        for (uint32_t i = 0; i < e->n_refs; i++) {
            if (out->len - mark - OL_CIX_REC_HEADER >= OL_CIX_IMAGE_RECORD) {
                ol_cix_record_end(out, mark);
                mark = ol_cix_record_begin(out);
            }
            ol_cix_put_entry(out, id, &e->refs[i]);
        }
    }
    for (uint32_t i = 0; h && i < h->n; i++) {
        if (out->len - mark - OL_CIX_REC_HEADER >= OL_CIX_IMAGE_RECORD) {
            ol_cix_record_end(out, mark);
            mark = ol_cix_record_begin(out);
        }
        const ol_chint_t *r = ol_chints_at(h, i);
        ol_cix_put_root(out, r->trace_id, r->second);
    }
    ol_cix_record_end(out, mark);
    return out->err;
}
