/*
 * gen.h - the trace generator behind spans.h, opened up so that `olly demo`
 * can drive it live: one trace at a time, at a time of its choosing, with
 * hooks that bend latency, errors, availability, retries and attributes.
 *
 * The generator walks a topology (topology.h) depth-first and fills flat
 * arrays of records: spans, their attributes and events. Strings live in the
 * generator's arena. Records accumulate over many traces until
 * ol_lg_gen_clear(); `olly loadgen` builds a batch from one generator and
 * encodes it with recorded patch offsets (spans.c), `olly demo` reads the
 * records and encodes traces, logs and metrics its own way (src/demo).
 *
 * Hooks are all optional and only `olly demo` sets them. With no hooks the
 * generator draws exactly the random numbers it always drew, so loadgen's
 * batches stay byte for byte what they were. A hook may draw from g->rng;
 * the result stays deterministic for a seed as long as the calls are.
 *
 * Span records keep what a consumer of the records needs beyond the wire
 * fields: the topology op a span stands for (for a client span, the callee
 * op), the replica of its service, and the attempt number of a retried call.
 */
#ifndef OL_LOADGEN_GEN_H
#define OL_LOADGEN_GEN_H

#include "core/arena.h"
#include "core/buf.h"
#include "loadgen/spans.h"

enum { OL_LG_A_STR, OL_LG_A_INT, OL_LG_A_DBL, OL_LG_A_BOOL, OL_LG_A_STRS /* array of one string */ };

typedef struct ol_lg_attr {
    const char *key;
    const char *s;
    uint32_t slen;
    uint8_t type;
    int64_t i;
    double d;
} ol_lg_attr_t;

typedef struct ol_lg_event {
    uint64_t t;
    const char *name;
    uint32_t attr_first, n_attr;
} ol_lg_event_t;

/* Scope families: which instrumentation library emitted a span. */
enum { OL_LG_FAM_HTTP, OL_LG_FAM_GRPC, OL_LG_FAM_DB, OL_LG_FAM_CACHE, OL_LG_FAM_MSG, OL_LG_FAM_APP,
       OL_LG_FAM_GENAI, OL_LG_FAM__COUNT };

/* Span kinds as OTLP numbers them. */
enum { OL_LG_INTERNAL = 1, OL_LG_SERVER = 2, OL_LG_CLIENT = 3, OL_LG_PRODUCER = 4, OL_LG_CONSUMER = 5 };

typedef struct ol_lg_span {
    uint8_t trace_id[16], span_id[8], parent_id[8];
    bool has_parent, remote_parent;
    uint8_t kind, family, status; /* status: 0 unset, 2 error */
    uint16_t service;
    uint16_t caller; /* service of the parent span (own service for a root) */
    uint16_t op;     /* the topology op: the callee's for a client span */
    uint8_t instance; /* replica of `service` (g->instance when the span was made) */
    uint8_t attempt;  /* 0, or n for the n-th retry of a failed call (client spans) */
    const char *name;
    const char *status_msg;
    uint64_t start, end;
    uint32_t attr_first, n_attr;
    uint32_t ev_first, n_ev;
    int32_t link; /* index of the span this one links to, or -1 */
} ol_lg_span_t;

/* What one trace is about: the user, their session and what they buy. */
typedef struct ol_lg_ctx {
    const char *user_id, *session_id, *currency, *client_ip, *user_agent, *order_id, *product_id, *product_name;
    const char *tracking_id;
    uint32_t user; /* index into a fixed population of 20000 users */
    int64_t items;
    double amount;
    bool synthetic;
    uint32_t genai_calls; /* language-model calls made so far in this trace */
} ol_lg_ctx_t;

typedef struct ol_lg_gen ol_lg_gen_t;

typedef struct ol_lg_hooks {
    void *ud;
    /* A trace is about to start at op `root`; g->ctx is fresh. May set
     * g->instance (the replica each service's spans come from). */
    void (*trace_begin)(void *ud, ol_lg_gen_t *g, uint32_t root);
    /* op's own time given its drawn value `ns`: the self time of a server,
     * consumer or internal op, the whole call for a DB, cache, publish or
     * model call. Returns the time to use. */
    uint64_t (*latency)(void *ud, ol_lg_gen_t *g, uint32_t op, uint64_t ns);
    /* Probability that op itself fails (replaces op->error_rate). */
    double (*error_rate)(void *ud, ol_lg_gen_t *g, uint32_t op);
    /* True when the replica serving op refuses connections: an HTTP/gRPC call
     * to it fails within a millisecond and has no server span. */
    bool (*down)(void *ud, ol_lg_gen_t *g, uint32_t op);
    /* Extra attempts a caller makes after a call to op failed (0 = none). */
    uint32_t (*retries)(void *ud, ol_lg_gen_t *g, uint32_t op);
    /* Span si's attributes are being written: append more with
     * ol_lg_gen_attr_*. `client`: si is a caller's span for a call to op. */
    void (*attrs)(void *ud, ol_lg_gen_t *g, int32_t si, uint32_t op, bool client);
} ol_lg_hooks_t;

struct ol_lg_gen {
    const ol_topology_t *t;
    uint64_t seed;
    ol_loadgen_rng_t rng;
    ol_arena_t *arena;
    ol_lg_span_t *spans;
    uint32_t n_spans, cap_spans;
    ol_lg_attr_t *attrs;
    uint32_t n_attrs, cap_attrs;
    ol_lg_event_t *evs;
    uint32_t n_evs, cap_evs;
    uint8_t trace_id[16];
    uint32_t trace_spans;
    ol_lg_ctx_t ctx;
    uint8_t *instance; /* per service: the replica its spans come from now */
    const ol_lg_hooks_t *hooks;
    uint8_t attempt; /* of the call being made */
    bool nomem;
};

/* Sets up a generator over t (which must outlive it); hooks may be NULL and
 * must outlive it too. Instances start at replica 0. OL_OK or OL_NOMEM. */
int ol_lg_gen_init(ol_lg_gen_t *g, const ol_topology_t *t, uint64_t seed, const ol_lg_hooks_t *hooks);
/* Forgets every record and string, keeps the memory. */
void ol_lg_gen_clear(ol_lg_gen_t *g);
void ol_lg_gen_free(ol_lg_gen_t *g);

/* Picks a root op by weight. */
uint32_t ol_lg_gen_pick_root(ol_lg_gen_t *g);
/* Appends one trace whose root (op `root`) starts at `start` ns, and the
 * traces of the queue consumers it causes. Returns the index of its root
 * span, or -1 when memory ran out (g->nomem). */
int32_t ol_lg_gen_trace(ol_lg_gen_t *g, uint32_t root, uint64_t start);

/* Attributes for the `attrs` hook. String values must outlive the records
 * (static, or from ol_lg_gen_fmt). */
void ol_lg_gen_attr_str(ol_lg_gen_t *g, const char *key, const char *v);
void ol_lg_gen_attr_int(ol_lg_gen_t *g, const char *key, int64_t v);
void ol_lg_gen_attr_dbl(ol_lg_gen_t *g, const char *key, double v);
/* A formatted string in the generator's arena (lives until ol_lg_gen_clear). */
const char *ol_lg_gen_fmt(ol_lg_gen_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Pod name and IP address of a replica, as spans name them. Arena strings. */
const char *ol_lg_gen_pod(ol_lg_gen_t *g, uint32_t svc, uint32_t inst);
const char *ol_lg_gen_ip(ol_lg_gen_t *g, uint32_t svc, uint32_t inst);
/* A stateless hash of three numbers (splitmix64 finish). */
uint64_t ol_lg_hash3(uint64_t a, uint64_t b, uint64_t c);

/* The instrumentation scope of a family in a language (NULL: the service's
 * own tracer), and the SDK version a language reports. */
const char *ol_lg_scope_name(const char *language, uint32_t family);
const char *ol_lg_sdk_version(const char *language);

/* Appends attribute a as KeyValue field `field` of the message in b. */
void ol_lg_put_attr(ol_buf_t *b, uint32_t field, const ol_lg_attr_t *a);

#endif
