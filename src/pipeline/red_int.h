/*
 * red_int.h - the RED aggregator's private layout, shared by red.c (observe,
 * buckets, emission), red_edge.c (matching client spans with the spans they
 * caused) and red_query.c (service map and service queries).
 *
 * State, all under r->mu:
 *   services  interned service names with their event-time watermark; never
 *             removed (at most OL_RED_MAX_SERVICES).
 *   series    one per operation (service, span name, kind, entry) or edge
 *             (caller, peer name, peer type), refcounted by the cells and the
 *             pending client spans that use it, freed at zero.
 *   cells     one per (series, bucket): requests, errors, duration sketch.
 *   pending   client/producer spans waiting for the server/consumer span they
 *             caused, server/consumer spans waiting for their client, and
 *             client spans already counted at once (as calls to an
 *             uninstrumented peer or to a predicted service) that still
 *             listen for their partner, keyed by (trace
 *             id, client span id), in insertion order (a doubly linked list)
 *             so expiry pops from the head.
 *   peers     per (caller, peer type, peer name) named by client span
 *             attributes: how its client spans ended (matched or expired)
 *             and which service its latest matched ones reached, which
 *             decides whether new ones are counted at once, and as what
 *             (red_edge.c). At most OL_RED_MAX_PEERS; when full, one not
 *             used since the clock hand last passed is forgotten. A slot's
 *             gen changes when it is reused, so a pending record that names
 *             a forgotten peer teaches nothing.
 * Every table is a pool (array + free list) indexed by a hash index; every
 * pool has a hard cap and what does not fit is counted.
 *
 * Locks: emit_lock (rwlock) orders emission against queries: tick and flush
 * hold it exclusively while they move cells from memory into the store,
 * queries share it while they read memory and then the store, so a bucket is
 * seen in exactly one of the two. mu guards the state; it is never held
 * while calling the store.
 */
#ifndef OL_PIPELINE_RED_INT_H
#define OL_PIPELINE_RED_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "pipeline/emit.h"
#include "pipeline/red.h"
#include "pipeline/sketch.h"

#define OL_RED_MAX_SERVICES 10000u
#define OL_RED_MAX_SERIES 100000u
#define OL_RED_MAX_CELLS 100000u
#define OL_RED_MAX_PENDING (1u << 20)
#define OL_RED_MAX_NAME 1024u     /* longer span/peer/service names are cut */
#define OL_RED_MAX_LINKS 16u      /* links of a consumer span looked at */
#define OL_RED_FUTURE_NS (3600ull * 1000000000ull) /* spans further ahead of the wall clock do not move watermarks */
#define OL_RED_NONE UINT32_MAX
#define OL_RED_MAX_PEERS 16384u
#define OL_RED_PEER_LEARN 8u        /* expiries of a non-database peer before its calls are counted at once...
                                     * (and matches in a row to one service before its calls are predicted) */
#define OL_RED_PEER_SHARE 32u       /* ...while at most 1 in this many of its client spans matched */
#define OL_RED_PEER_DECAY (1u << 20) /* a peer's counts are halved when one reaches this */

enum { OL_RED_KIND_UNSPECIFIED = 0, OL_RED_KIND_INTERNAL, OL_RED_KIND_SERVER, OL_RED_KIND_CLIENT,
       OL_RED_KIND_PRODUCER, OL_RED_KIND_CONSUMER };
enum { OL_RED_PEER_SERVICE = 0, OL_RED_PEER_DATABASE, OL_RED_PEER_QUEUE, OL_RED_PEER_EXTERNAL, OL_RED_PEER__COUNT };

const char *ol_red_kind_name(int kind);      /* "Server", ..., "Unspecified" for unknown values */
int ol_red_kind_parse(ol_slice_t s);         /* -1 when unknown */
const char *ol_red_peer_name(int peer_type); /* "service", "database", "queue", "external" */
int ol_red_peer_parse(ol_slice_t s);         /* -1 when unknown */
uint64_t ol_red_hash(const void *p, size_t n, uint64_t seed);

/* Open-addressing hash index (linear probing, backward-shift deletion) from
 * a 32-bit hash to pool indexes; the caller compares keys. */
typedef struct ol_red_index {
    uint32_t *idx;  /* pool index + 1; 0 = empty */
    uint32_t *hash;
    uint32_t mask;  /* slots - 1 */
    uint32_t n;
} ol_red_index_t;
typedef bool (*ol_red_eq_fn)(const void *ud, uint32_t idx);
uint32_t ol_red_index_find(const ol_red_index_t *ix, uint32_t hash, ol_red_eq_fn eq, const void *ud);
int ol_red_index_insert(ol_red_index_t *ix, uint32_t hash, uint32_t idx);
void ol_red_index_remove(ol_red_index_t *ix, uint32_t hash, uint32_t idx);
void ol_red_index_free(ol_red_index_t *ix);

typedef struct ol_red_service_ent {
    char *name;
    uint32_t len;
    uint32_t hash;
    uint64_t watermark; /* newest span start seen (event time); 0 = none yet */
} ol_red_service_ent_t;

typedef struct ol_red_series {
    uint32_t refs;      /* 0 = free (next_free valid) */
    uint32_t svc;
    uint32_t hash;
    uint8_t is_edge;
    uint8_t kind;       /* span kind (operation) or peer type (edge) */
    uint8_t entry;      /* operation: entry span */
    char *name;         /* span name or peer name */
    uint32_t len;
    uint32_t next_free;
} ol_red_series_t;

typedef struct ol_red_cell {
    uint32_t series;    /* OL_RED_NONE = free */
    uint32_t hash;
    uint64_t bucket;    /* bucket index: start / resolution */
    uint64_t opened_ns; /* wall time it was opened; 0 = before the first tick */
    uint64_t requests, errors;
    ol_sketch_t duration;
    uint32_t next_free;
} ol_red_cell_t;

typedef struct ol_red_peer {
    char *name;         /* NULL when the slot is dead (not in the index) */
    uint32_t len;
    uint32_t hash;
    uint32_t svc;       /* the caller */
    uint32_t gen;       /* bumped when the slot is given to another peer */
    uint32_t matched;   /* client spans that met their server/consumer span (in time or late) */
    uint32_t expired;   /* client spans that waited edge_wait in vain (reset by a late partner) */
    uint32_t callee;    /* the service its latest matched client spans reached; OL_RED_NONE = none */
    uint32_t run;       /* resolved client spans in a row matched to callee, at most OL_RED_PEER_LEARN */
    uint8_t type;       /* OL_RED_PEER_* */
    uint8_t used;       /* looked up since the clock hand last passed */
} ol_red_peer_t;

/* CLIENT waits for its partner; RESOLVED was counted at once, as a call to
 * its uninstrumented peer or to the service its peer predicts, and only
 * listens for its partner; CALLEE is a server/consumer span waiting for its
 * client. */
enum { OL_RED_PEND_FREE = 0, OL_RED_PEND_CLIENT, OL_RED_PEND_CALLEE, OL_RED_PEND_RESOLVED };
typedef struct ol_red_pending {
    uint8_t state;
    uint8_t error;
    uint8_t trace_id[16];
    uint8_t span_id[8]; /* the client span's id */
    uint32_t hash;
    uint32_t svc;       /* CLIENT: the caller; CALLEE: the callee; RESOLVED: the predicted callee it was
                         * counted against, or OL_RED_NONE when counted against the uninstrumented peer */
    uint32_t fallback;  /* CLIENT: edge series to the uninstrumented peer, or OL_RED_NONE */
    uint32_t peer, peer_gen; /* CLIENT, RESOLVED: the peers slot (and its gen) to teach, or OL_RED_NONE */
    uint64_t start_ns;  /* CLIENT */
    double duration_ms; /* CLIENT */
    uint64_t since_ns;  /* wall time it started waiting; 0 = before the first tick */
    uint32_t prev, next; /* insertion order; next doubles as the free list */
} ol_red_pending_t;

typedef struct ol_red_counters {
    uint64_t spans_observed, spans_skipped, late_spans, future_spans, dropped_spans;
    uint64_t buckets_emitted, points_emitted, emit_errors, points_lost;
    uint64_t edges_matched, edges_self, edges_uninstrumented, edges_unresolved, callees_unmatched;
    uint64_t edges_fast, edges_late_partner, peers_forgotten;
    uint64_t edges_predicted, edges_mispredicted, edges_predicted_unanswered;
    uint64_t pending_overflow, pending_duplicates;
} ol_red_counters_t;

struct ol_red {
    ol_red_options_t opt;
    ol_store_t *store;
    pthread_rwlock_t emit_lock;
    pthread_mutex_t mu;
    bool locks_ready;

    uint64_t now_ns; /* the last tick's wall time; 0 before the first */

    ol_red_service_ent_t *services;
    size_t n_services, cap_services;
    ol_red_index_t service_ix;

    ol_red_series_t *series;
    size_t n_series, cap_series; /* pool slots in use (live or free) */
    uint32_t series_free, live_series;
    ol_red_index_t series_ix;

    ol_red_cell_t *cells;
    size_t n_cells, cap_cells;
    uint32_t cells_free, live_cells;
    ol_red_index_t cell_ix;

    ol_red_pending_t *pending;
    size_t n_pending, cap_pending;
    uint32_t pending_free, pending_head, pending_tail, live_pending;
    ol_red_index_t pending_ix;

    ol_red_peer_t *peers;
    size_t n_peers, cap_peers;
    uint32_t peer_hand; /* the clock hand over peers, for forgetting */
    ol_red_index_t peer_ix;

    ol_emit_t *emit; /* used under emit_lock (write) */
    ol_red_sink_t sink; /* under mu; cell == NULL = none */
    ol_red_counters_t c;
};

/* red.c, under mu. */
uint32_t ol_red_series_get(ol_red_t *r, uint32_t svc, bool is_edge, int kind, bool entry, ol_slice_t name);
void ol_red_series_release(ol_red_t *r, uint32_t series);
/* Adds to the cell (series, bucket of start_ns); counts a drop on failure. */
void ol_red_cell_add(ol_red_t *r, uint32_t series, uint64_t start_ns, uint64_t requests, uint64_t errors,
                     double duration_ms);

/* red_edge.c, under mu. */
void ol_red_edge_client(ol_red_t *r, const ol_otlp_span_t *s, uint32_t svc, double duration_ms);
void ol_red_edge_callee(ol_red_t *r, ol_slice_t trace_id, ol_slice_t client_span_id, uint32_t svc);
/* Resolves pending spans that waited edge_wait (all of them when `all`). */
void ol_red_edge_expire(ol_red_t *r, bool all);
void ol_red_pending_free_all(ol_red_t *r);
void ol_red_peers_free_all(ol_red_t *r);
/* Peers whose new client spans are counted at once now: as calls to the
 * uninstrumented peer (fast) or to a predicted service (predicted). */
void ol_red_peers_count(const ol_red_t *r, uint32_t *fast, uint32_t *predicted);

#endif
