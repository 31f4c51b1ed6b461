/*
 * correlate_int.h - what the correlation files share (correlate.h is the
 * contract): the id rules and the generated form (correlate_id.c), the
 * bounded id index and its file image (correlate_index.c), the index file
 * (correlate_file.c) and the processor's state (correlate.c). The query
 * (correlate_query.c) reads the index through ol_cix_get.
 */
#ifndef OL_PIPELINE_CORRELATE_INT_H
#define OL_PIPELINE_CORRELATE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "os/io.h"
#include "pipeline/correlate.h"

/* ---- ids (correlate_id.c) ---- */

#define OL_CID_SPAN_ATTRS 9 /* Span.attributes */
#define OL_CID_LOG_ATTRS 6  /* LogRecord.attributes */
#define OL_CID_PREFIX "olly-"
/* Generated form: "olly-" + at most 13 base-36 digits + "-" + 8 hex. */
#define OL_CID_GENERATED_MAX 27
/* Plausible seconds of a generated id: from 2000-01-01T00:00:00Z to a day
 * past the checking node's clock. */
#define OL_CID_MIN_SECOND 946684800ull
#define OL_CID_FUTURE_SLACK_S 86400ull

typedef enum {
    OL_CID_OK = 0,
    OL_CID_EMPTY,         /* "" */
    OL_CID_TOO_LONG,      /* more than OL_CORRELATE_MAX_ID bytes */
    OL_CID_BAD_CHAR,      /* a byte outside [A-Za-z0-9._:-], or no letter or digit at all */
    OL_CID_BAD_GENERATED, /* starts with "olly-" (any case) but is not a well-formed, plausible generated id */
    OL_CID_NOT_STRING,    /* the attribute's value is not a string */
    OL_CID__COUNT
} ol_cid_verdict_t;

/* "empty", "too_long", "bad_char", "bad_generated", "not_string" (the
 * reason label of olly_correlation_ids_rejected_total). */
const char *ol_cid_reason(ol_cid_verdict_t v);
/* What ol_correlate_query says to a client about a malformed id. */
const char *ol_cid_reason_text(ol_cid_verdict_t v);
/* Checks an id's bytes; now_s (Unix seconds) bounds a generated id's time. */
ol_cid_verdict_t ol_cid_check(ol_slice_t id, uint64_t now_s);
/* Parses the generated form (no time bound); false when id is not one. */
bool ol_cid_parse_generated(ol_slice_t id, uint64_t *second, uint32_t *hash);
/* Writes "olly-{base36 second}-{8 hex of hash}" into out; returns its length. */
size_t ol_cid_format_generated(char out[OL_CID_GENERATED_MAX + 1], uint64_t second, uint32_t hash);
/* The id hash: FNV-1a 64 over the bytes, then the splitmix64 finaliser; the
 * 8 hex digits of an id are its upper 32 bits. Fixed forever (ids are
 * derived from it on every node): docs/correlation.md gives test vectors. */
uint64_t ol_cid_hash64(const void *p, size_t n);
static inline uint32_t ol_cid_hash32(const void *p, size_t n) { return (uint32_t)(ol_cid_hash64(p, n) >> 32); }
/* The generated id of a trace starting at start_ns. */
size_t ol_cid_for_trace(char out[OL_CID_GENERATED_MAX + 1], const uint8_t trace_id[16], uint64_t start_ns);
/* "correlation_id" or "correlation.id". */
bool ol_cid_is_key(ol_slice_t key);
/* Calls fn for each attribute of the encoded message (field `field`) whose
 * key is an id key, with its value's string bytes (kind = the AnyValue kind,
 * 1 for a string). Stops at the first non-OL_OK return and returns it. */
typedef int (*ol_cid_attr_fn)(void *ud, ol_slice_t key, uint32_t kind, ol_slice_t value);
int ol_cid_each(ol_slice_t msg, uint32_t field, ol_cid_attr_fn fn, void *ud);
/* The cheap test before any parsing: raw holds the bytes "correlation". */
bool ol_cid_maybe(ol_slice_t raw);

/* ---- root hints (correlate_hint.c) ----
 *
 * An accelerator for generated-id lookups, never the source of truth: the
 * root spans this node stored, by (start second, hash32 of the trace id).
 * A lookup verifies every hinted trace against the store; when none
 * verifies (the root went to another node, started in another second than
 * the trace, or was dropped from the ring) it searches the store. A ring of
 * at most OL_CHINT_MAX entries (28 bytes each), grown on demand, persisted
 * with the index (kind 3 entries). */
#define OL_CHINT_MAX (1u << 20)

typedef struct ol_chint {
    uint8_t trace_id[16];
    uint32_t second, hash;
    uint32_t next; /* index + 1 of the next entry of the bucket, 0 = none */
} ol_chint_t;

typedef struct ol_chints {
    ol_chint_t *e;
    uint32_t *head; /* per bucket: index + 1 of its first entry */
    uint32_t cap, n, pos; /* pos: the next entry to reuse once n == OL_CHINT_MAX */
} ol_chints_t;

void ol_chints_free(ol_chints_t *h);
/* 1 when added, 0 when already there (or a second past 2106: not kept),
 * OL_NOMEM. Without `check` the hint is added even if already there (the
 * index file holds each hint once: loading need not look). */
int ol_chints_add(ol_chints_t *h, const uint8_t trace_id[16], uint64_t second, uint32_t hash, bool check);
/* Room for n hints (at most OL_CHINT_MAX) before a load. */
int ol_chints_reserve(ol_chints_t *h, size_t n);
/* The i-th hint from the oldest (i < h->n). */
const ol_chint_t *ol_chints_at(const ol_chints_t *h, uint32_t i);
/* Up to max trace ids hinted for (second, hash); returns how many. */
size_t ol_chints_find(const ol_chints_t *h, uint64_t second, uint32_t hash, uint8_t (*out)[16], size_t max);

/* ---- the index (correlate_index.c) ---- */

/* One thing an id names: a trace (time = the first item's time seen with
 * it), or, with a zero trace id, the second of trace-less log records. */
typedef struct ol_cix_ref {
    uint8_t trace_id[16];
    uint64_t time_ns;
} ol_cix_ref_t;

#define OL_CIX_MAX_REFS 1024 /* per id; further refs are counted and dropped */

typedef struct ol_cix_entry {
    struct ol_cix_entry *lru_prev, *lru_next; /* most recently extended first */
    ol_cix_ref_t *refs;
    uint32_t n_refs, cap_refs;
    uint64_t hash;
    uint8_t id_len;
    char id[]; /* id_len bytes */
} ol_cix_entry_t;

typedef struct ol_cix {
    ol_cix_entry_t **slots; /* open addressing, linear probing */
    size_t cap, n;          /* cap a power of two */
    ol_cix_entry_t *lru_head, *lru_tail;
    uint64_t max_ids;
    uint64_t n_refs;
    uint64_t live_bytes;    /* what a compacted file image would take */
    uint64_t evicted, refs_dropped;
} ol_cix_t;

void ol_cix_init(ol_cix_t *x, uint64_t max_ids);
void ol_cix_free(ol_cix_t *x);
ol_cix_entry_t *ol_cix_get(const ol_cix_t *x, ol_slice_t id);
/* Adds ref to id's entry (creating it, evicting the least recently extended
 * ids beyond max_ids). Returns 1 when the ref is new, 0 when already there
 * (or dropped: the id holds OL_CIX_MAX_REFS), OL_NOMEM. A trace ref is equal
 * to another of the same trace id; a time ref to one of the same second. */
int ol_cix_add(ol_cix_t *x, ol_slice_t id, const ol_cix_ref_t *ref);

/* File image (docs/format/correlation-index.md). */
#define OL_CIX_MAGIC "OLLYCID"
#define OL_CIX_VERSION 1
#define OL_CIX_HEADER 20
#define OL_CIX_REC_HEADER 8
#define OL_CIX_MAX_PAYLOAD (1u << 20)
#define OL_CIX_KIND_TRACE 1
#define OL_CIX_KIND_TIME 2
#define OL_CIX_KIND_ROOT 3
#define OL_CIX_ROOT_BYTES 25 /* kind, trace id, second */

void ol_cix_put_header(uint8_t out[OL_CIX_HEADER]);
/* A record: ol_cix_record_begin reserves its header and returns a mark,
 * entries are appended with ol_cix_put_entry, ol_cix_record_end fills in the
 * length and CRC (and takes the header back out when no entry came). */
size_t ol_cix_record_begin(ol_buf_t *b);
void ol_cix_put_entry(ol_buf_t *b, ol_slice_t id, const ol_cix_ref_t *ref);
void ol_cix_record_end(ol_buf_t *b, size_t mark);
/* A root hint entry: the trace id and its root's start second. */
void ol_cix_put_root(ol_buf_t *b, const uint8_t trace_id[16], uint64_t second);
/* Entry size in the file. */
size_t ol_cix_entry_bytes(size_t id_len, bool trace);

typedef enum {
    OL_CIX_CLEAN = 0, /* every byte is a good record */
    OL_CIX_TORN,      /* the tail after good_end is an interrupted append */
    OL_CIX_DAMAGED    /* the bytes from good_end on are damaged */
} ol_cix_tail_t;

typedef struct ol_cix_load {
    size_t good_end;      /* bytes up to the end of the last good record */
    ol_cix_tail_t tail;
    uint64_t records, entries, skipped_records; /* skipped: CRC good, entries malformed */
    uint64_t roots; /* root hint entries */
} ol_cix_load_t;

/* Applies a file image to x and h (root hints; NULL: checked, not kept).
 * OL_CORRUPT when the header is bad (nothing applied; err says why);
 * OL_NOMEM; else OL_OK with res telling where the good records end and what
 * follows. */
int ol_cix_load_image(ol_cix_t *x, ol_chints_t *h, ol_slice_t file, ol_cix_load_t *res, ol_err_t *err);
/* The compacted image of x and h: header, the ids oldest-extended first,
 * then the hints oldest first, so a load rebuilds the same order. */
int ol_cix_write_image(const ol_cix_t *x, const ol_chints_t *h, ol_buf_t *out);

/* ---- the processor ---- */

typedef enum { OL_CLOOKUP_EXPLICIT = 0, OL_CLOOKUP_GENERATED = 1 } ol_clookup_t;

struct ol_correlate {
    ol_store_t *store;
    pthread_mutex_t mu;
    ol_cix_t ix;
    ol_chints_t hints;
    /* index file (correlate_file.c); fd < 0 when memory only or broken */
    const ol_io_t *io;
    char *dir, *path, *tmp_path;
    int fd;
    uint64_t file_end;
    bool dirty; /* appended since the last fsync */
    uint64_t compact_retry_end; /* after a failed rewrite: not again before the file is this long */
    ol_buf_t wbuf;
    /* a clock override for tests (0 = the wall clock) */
    uint64_t now_s;
    atomic_uint_fast64_t seen[3];                 /* per ol_signal_t */
    atomic_uint_fast64_t rejected[OL_CID__COUNT]; /* per reason */
    atomic_uint_fast64_t replaced;
    atomic_uint_fast64_t lookups[2];
    atomic_uint_fast64_t searches; /* generated lookups the hints did not answer */
    atomic_uint_fast64_t file_errors, compactions;
};

uint64_t ol_correlate_now_s(const ol_correlate_t *c);

/* correlate_file.c, called with c->mu held (or before the processor is shared). */
int ol_correlate_file_open(ol_correlate_t *c, ol_err_t *err);
void ol_correlate_file_close(ol_correlate_t *c);
/* Appends the entries in c->wbuf as one record (clears wbuf). */
void ol_correlate_file_append(ol_correlate_t *c);
void ol_correlate_file_sync(ol_correlate_t *c);
/* Rewrites the file from memory when it is more than twice what it needs. */
void ol_correlate_file_maybe_compact(ol_correlate_t *c);

#endif
