/*
 * test_store_briefs.c - ol_store_trace_briefs (the search summaries) against
 * the reference, ol_store_scan_trace: for any trace id the brief must
 * describe exactly the spans ol_store_scan_trace gathers, in the same
 * (start, span id) order, with the same start, end and clock-skew flag.
 *
 * The store holds load-generator batches (realistic services, names,
 * statuses and parents) and synthetic ones, spread over every place a trace
 * can live: two generations of parts (several partitions each), traces
 * continued in a later part and in the head (same trace ids, new span ids),
 * batches re-sent after their first copy was flushed (the same spans in a
 * part and in the head, or in two parts), batches re-sent while still in the
 * head (deduplicated on append), and batches only in the head. Synthetic
 * spans add a trace larger than a granule, resources without a service.name
 * or with an empty one, spans without start and/or end, end before start and
 * start in the future (clock skew), no name or an empty one, empty and
 * all-zero parent ids, and a span id sent twice in one batch with two
 * starts. Statuses that a part keeps outside its status column (a code
 * beyond 127, a code before the message, a repeated code, an unknown field)
 * are checked on their own (test_odd_statuses), in the head and in a part.
 *
 * Every trace id seen, plus ids that do not exist, is asked for in one call
 * (shuffled, with duplicates), in random subsets and one by one: one callback
 * per distinct existing id in the order first given, each equal to
 * ol_store_scan_trace's answer field by field, with the ids split across
 * three threads. The same after closing the store (which flushes the head
 * into parts) and opening it again with one query thread. Also: n = 0,
 * OL_STORE_STOP (one callback, OL_OK) and a callback error (returned).
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"
#include "loadgen/spans.h"
#include "loadgen/topology.h"
#include "store/store.h"
#include "test.h"

/* ---- helpers ---- */

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }

static void make_tmpdir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/olly-test-briefs-XXXXXX");
    if (!mkdtemp(out)) abort();
}

/* No background flushes or merges: the test decides where every span lives. */
static ol_store_t *open_store(const char *dir, bool keep_head, uint32_t query_threads)
{
    ol_store_options_t o = {.dir = dir, .fsync = OL_FSYNC_NEVER, .flush_age_ms = 24ull * 3600 * 1000,
                            .merge_min_parts = 1000, .threads = 1, .query_threads = query_threads,
                            .keep_head_on_close = keep_head};
    ol_store_t *s = NULL;
    ol_err_t err = {{0}};
    if (ol_store_open(&o, &s, &err) != OL_OK) {
        fprintf(stderr, "  open: %s\n", err.msg);
        return NULL;
    }
    if (ol_store_replay(s) != OL_OK) {
        ol_store_close(s);
        return NULL;
    }
    return s;
}

static void fmt_id(const uint8_t *id, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static int partition_cb(void *ud, const ol_store_partition_stats_t *p)
{
    (void)ud;
    if (p->signal == OL_SIGNAL_TRACES)
        fprintf(stderr, "    partition %s: %llu parts, %llu rows\n", p->day_name, (unsigned long long)p->parts,
                (unsigned long long)p->rows);
    return OL_OK;
}

/* ---- What was appended: (trace id, span id) of every valid span ---- */

typedef struct skey {
    uint8_t t[16], s[8];
} skey_t;

typedef struct keys {
    skey_t *v;
    size_t n, cap;
} keys_t;

static keys_t g_keys;

static void keys_add(const uint8_t *t, const uint8_t *s)
{
    if (g_keys.n == g_keys.cap) {
        g_keys.cap = g_keys.cap ? 2 * g_keys.cap : 4096;
        g_keys.v = realloc(g_keys.v, g_keys.cap * sizeof *g_keys.v);
        if (!g_keys.v) abort();
    }
    memcpy(g_keys.v[g_keys.n].t, t, 16);
    memcpy(g_keys.v[g_keys.n].s, s, 8);
    g_keys.n++;
}

static int key_order(const void *a, const void *b) { return memcmp(a, b, sizeof(skey_t)); }
static int id_order(const void *a, const void *b) { return memcmp(a, b, 16); }

/* The distinct trace ids appended and, per trace, its distinct span ids. */
typedef struct expect {
    uint8_t (*ids)[16];
    size_t *n_spans;
    size_t n;
} expect_t;

static void expect_build(expect_t *e)
{
    qsort(g_keys.v, g_keys.n, sizeof *g_keys.v, key_order);
    size_t m = 0;
    for (size_t i = 0; i < g_keys.n; i++)
        if (!m || key_order(&g_keys.v[i], &g_keys.v[m - 1]) != 0) g_keys.v[m++] = g_keys.v[i];
    g_keys.n = m;
    e->ids = malloc((m + 1) * sizeof *e->ids);
    e->n_spans = calloc(m + 1, sizeof *e->n_spans);
    e->n = 0;
    for (size_t i = 0; i < m; i++) {
        if (!e->n || memcmp(e->ids[e->n - 1], g_keys.v[i].t, 16) != 0) memcpy(e->ids[e->n++], g_keys.v[i].t, 16);
        e->n_spans[e->n - 1]++;
    }
}

static void expect_free(expect_t *e)
{
    free(e->ids);
    free(e->n_spans);
}

/* Decodes an ExportTraceServiceRequest and appends it; counts its valid spans. */
static void append_request(ol_store_t *s, ol_slice_t pb, uint64_t want_duplicates)
{
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    ol_otlp_batch_t b;
    ol_err_t err = {{0}};
    int rc = ol_otlp_decode(OL_SIGNAL_TRACES, pb, a, &b, &err);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc != OL_OK) fprintf(stderr, "  decode: %s\n", err.msg);
    size_t valid = 0;
    for (size_t i = 0; rc == OL_OK && i < b.n_spans; i++) {
        if (!b.spans[i].valid) continue;
        valid++;
        keys_add(b.spans[i].trace_id.ptr, b.spans[i].span_id.ptr);
    }
    ol_store_append_result_t res = {0};
    if (rc == OL_OK) {
        CHECK_EQ_INT(ol_store_append(s, &b, &res), OL_OK);
        CHECK_EQ_INT(res.accepted + res.duplicates, valid);
        if (want_duplicates != UINT64_MAX) CHECK_EQ_INT(res.duplicates, want_duplicates);
    }
    ol_arena_destroy(a);
}

/* ---- Load-generator batches ---- */

static ol_topology_t *g_topo;

/* Batch `index` of seed 7. With span_xor, every span id (and link span id)
 * is XORed with it, so the batch continues the traces of the unchanged one
 * with new spans; its times are moved by `shift_ns`. */
static void lg_build(uint32_t index, uint32_t n_spans, uint64_t span_xor, uint64_t shift_ns, ol_buf_t *out)
{
    ol_loadgen_batch_t b;
    ol_err_t err = {{0}};
    ol_buf_reset(out);
    int rc = ol_loadgen_batch_build(g_topo, 7, index, n_spans, &b, &err);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc != OL_OK) return;
    if (shift_ns) ol_loadgen_batch_patch(&b, 0, b.max_end_ns + shift_ns);
    size_t patched = 0;
    for (uint32_t k = 0; span_xor && k < b.n_tid; k++) {
        uint32_t off = b.offs[k]; /* a trace id; the span id follows it (Span and Link alike) */
        if (off + 26 > b.len || b.data[off + 16] != 0x12 || b.data[off + 17] != 8) continue;
        for (int i = 0; i < 8; i++) b.data[off + 18 + i] ^= (uint8_t)(span_xor >> (8 * i));
        patched++;
    }
    if (span_xor) CHECK(patched >= b.n_spans);
    ol_buf_append(out, b.data, b.len);
    ol_loadgen_batch_free(&b);
}

/* ---- Synthetic batches ---- */

enum { PARENT_NONE, PARENT_SET, PARENT_EMPTY, PARENT_ZERO };
enum { ST_NONE, ST_OK, ST_ERROR_MSG, ST_EMPTY, ST_UNSET_EXPLICIT, ST_PLAIN_KINDS,
       ST_CODE_300 = ST_PLAIN_KINDS, ST_CODE_FIRST, ST_CODE_TWICE, ST_UNKNOWN_FIELD, ST_KINDS };
enum { N_RES = 5 };

typedef struct syn {
    uint8_t trace[16], span[8];
    int res;     /* 0..2 named services, 3 no service.name, 4 an empty one */
    int parent;  /* PARENT_* */
    int status;  /* ST_* */
    int name;    /* 0 absent, 1 empty, else g_names[name - 2] */
    bool has_start, has_end;
    uint64_t start, end;
} syn_t;

static const char *const g_names[] = {"GET /cart", "POST /checkout", "SELECT orders", "redis GET", "publish"};

static void put_msg(ol_buf_t *b, uint32_t field, ol_buf_t *inner)
{
    ol_pb_put_bytes(b, field, ol_buf_slice(inner));
    ol_buf_reset(inner);
}

static void put_kv_str(ol_buf_t *b, uint32_t field, const char *key, const char *v)
{
    ol_buf_t av, kv;
    ol_buf_init(&av, OL_MEM_CORE, 0);
    ol_buf_init(&kv, OL_MEM_CORE, 0);
    ol_pb_put_bytes(&av, 1, ol_slice_cstr(v));
    ol_pb_put_bytes(&kv, 1, ol_slice_cstr(key));
    put_msg(&kv, 2, &av);
    put_msg(b, field, &kv);
    ol_buf_free(&av);
    ol_buf_free(&kv);
}

static void put_syn_span(ol_buf_t *b, const syn_t *x)
{
    ol_buf_t sp, st;
    ol_buf_init(&sp, OL_MEM_CORE, 0);
    ol_buf_init(&st, OL_MEM_CORE, 0);
    ol_pb_put_bytes(&sp, 1, ol_slice(x->trace, 16));
    ol_pb_put_bytes(&sp, 2, ol_slice(x->span, 8));
    static const uint8_t zero[8] = {0};
    if (x->parent == PARENT_SET) {
        uint8_t p[8];
        for (int i = 0; i < 8; i++) p[i] = (uint8_t)(x->span[i] ^ 0x5a);
        ol_pb_put_bytes(&sp, 4, ol_slice(p, 8));
    } else if (x->parent == PARENT_EMPTY) {
        ol_pb_put_bytes(&sp, 4, OL_SLICE_NULL);
    } else if (x->parent == PARENT_ZERO) {
        ol_pb_put_bytes(&sp, 4, ol_slice(zero, 8));
    }
    if (x->name == 1) ol_pb_put_bytes(&sp, 5, OL_SLICE_NULL);
    else if (x->name > 1) ol_pb_put_bytes(&sp, 5, ol_slice_cstr(g_names[x->name - 2]));
    ol_pb_put_uint(&sp, 6, 2);
    if (x->has_start) ol_pb_put_fixed64(&sp, 7, x->start);
    if (x->has_end) ol_pb_put_fixed64(&sp, 8, x->end);
    put_kv_str(&sp, 9, "http.route", "/x");
    switch (x->status) {
    case ST_OK: ol_pb_put_uint(&st, 3, 1); break;
    case ST_ERROR_MSG: ol_pb_put_bytes(&st, 2, OL_SLICE_LIT("boom")), ol_pb_put_uint(&st, 3, 2); break;
    case ST_UNSET_EXPLICIT: ol_pb_put_uint(&st, 3, 0); break;
    case ST_CODE_300: ol_pb_put_uint(&st, 3, 300); break;
    case ST_CODE_FIRST: ol_pb_put_uint(&st, 3, 2), ol_pb_put_bytes(&st, 2, OL_SLICE_LIT("late")); break;
    case ST_CODE_TWICE: ol_pb_put_uint(&st, 3, 1), ol_pb_put_uint(&st, 3, 2); break;
    case ST_UNKNOWN_FIELD: ol_pb_put_uint(&st, 3, 2), ol_pb_put_uint(&st, 7, 1); break;
    default: break;
    }
    if (x->status != ST_NONE) put_msg(&sp, 15, &st);
    put_msg(b, 2, &sp);
    ol_buf_free(&sp);
    ol_buf_free(&st);
}

/* One ResourceSpans per resource used, in resource order; spans keep their order within one. */
static void syn_encode(const syn_t *v, size_t n, ol_buf_t *out)
{
    ol_buf_reset(out);
    ol_buf_t rs, res, ss;
    ol_buf_init(&rs, OL_MEM_CORE, 0);
    ol_buf_init(&res, OL_MEM_CORE, 0);
    ol_buf_init(&ss, OL_MEM_CORE, 0);
    static const char *const svc[] = {"checkout", "cart", "db"};
    for (int r = 0; r < N_RES; r++) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            if (v[i].res != r) continue;
            put_syn_span(&ss, &v[i]);
            any = true;
        }
        if (!any) continue;
        if (r < 3) put_kv_str(&res, 1, "service.name", svc[r]);
        else if (r == 4) put_kv_str(&res, 1, "service.name", "");
        put_kv_str(&res, 1, "host.name", r % 2 ? "h1" : "h2");
        put_msg(&rs, 1, &res);
        put_msg(&rs, 2, &ss); /* ScopeSpans{spans = 2}, without a scope */
        put_msg(out, 1, &rs);
    }
    ol_buf_free(&rs);
    ol_buf_free(&res);
    ol_buf_free(&ss);
}

static void random_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
    p[0] |= 1;
}

static uint64_t g_now;

/* A plain span of trace t, about `base` (ns), with the usual statuses. */
static syn_t syn_span(const uint8_t t[16], uint64_t base)
{
    syn_t x = {0};
    memcpy(x.trace, t, 16);
    random_bytes(x.span, 8);
    x.res = (int)below(N_RES);
    x.parent = below(4) ? PARENT_SET : PARENT_NONE;
    x.status = (int)below(ST_PLAIN_KINDS);
    x.name = 2 + (int)below(OL_ARRAY_LEN(g_names));
    x.has_start = x.has_end = true;
    x.start = base + rnd() % 1000000000ull;
    x.end = x.start + rnd() % 300000000ull;
    return x;
}

/* Gives x one of the unusual shapes (0..8) not about statuses. */
static void syn_oddity(syn_t *x, int k)
{
    switch (k) {
    case 0: x->has_start = x->has_end = false, x->start = x->end = 0; break; /* no times at all */
    case 1: x->has_end = false, x->end = 0; break;                           /* start only: end < start */
    case 2: x->has_start = false, x->start = 0; break;                       /* end only */
    case 3: x->end = x->start - 1 - rnd() % 1000000; break;                  /* end before start */
    case 4: x->start = g_now + 2 * 3600 * 1000000000ull, x->end = x->start + 5; break; /* in the future */
    case 5: x->name = 0; break;
    case 6: x->name = 1; break;
    case 7: x->parent = PARENT_EMPTY; break;
    case 8: x->parent = PARENT_ZERO; break;
    default: break;
    }
}
enum { N_ODDITIES = 9 };

typedef struct syn_vec {
    syn_t *v;
    size_t n, cap;
} syn_vec_t;

static void sv_push(syn_vec_t *sv, syn_t x)
{
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? 2 * sv->cap : 1024;
        sv->v = realloc(sv->v, sv->cap * sizeof *sv->v);
        if (!sv->v) abort();
    }
    sv->v[sv->n++] = x;
}

enum { N_SMALL = 60, BIG_SPANS = 9000 };

typedef struct syn_traces {
    uint8_t big[16], odd[16], small[N_SMALL][16];
    uint64_t base;
} syn_traces_t;

/* Generation g (0, 1, 2) of the synthetic traces: g = 0 starts them all,
 * later ones add spans to the big one, the odd one and some small ones, and
 * start new small ones. */
static void syn_generation(syn_traces_t *st, int g, syn_vec_t *out)
{
    out->n = 0;
    if (g == 0) {
        random_bytes(st->big, 16);
        random_bytes(st->odd, 16);
        for (int i = 0; i < N_SMALL; i++) random_bytes(st->small[i], 16);
        st->base = g_now - 3600 * 1000000000ull;
    }
    uint64_t base = st->base + (uint64_t)g * 60 * 1000000000ull;
    size_t n_big = g == 0 ? BIG_SPANS : 200;
    for (size_t i = 0; i < n_big; i++) sv_push(out, syn_span(st->big, base));
    for (int k = 0; k < N_ODDITIES; k++) {
        syn_t x = syn_span(st->odd, base);
        syn_oddity(&x, k);
        x.res = (k + g) % N_RES;
        sv_push(out, x);
    }
    for (int i = 0; i < N_SMALL; i++) {
        if (g > 0 && i % (g + 1) != 0) continue;
        uint8_t fresh[16];
        const uint8_t *t = st->small[i];
        if (g > 0 && (i / (g + 1)) % 4 == 1) { /* a new trace instead */
            random_bytes(fresh, 16);
            t = fresh;
        }
        for (uint32_t k = 1 + below(12); k > 0; k--) {
            syn_t x = syn_span(t, base);
            if (below(6) == 0) syn_oddity(&x, (int)below(N_ODDITIES));
            sv_push(out, x);
        }
    }
    if (g == 2) { /* one span id twice in one batch, with two starts */
        syn_t x = syn_span(st->odd, base), y = x;
        y.start -= 1000, y.status = ST_ERROR_MSG;
        sv_push(out, x);
        sv_push(out, y);
    }
}

/* ---- The reference and the briefs, copied ---- */

typedef struct rspan {
    uint8_t id[8];
    bool has_parent;
    int32_t status;
    uint64_t start, end;
    char *service, *name;
    size_t service_len, name_len;
} rspan_t;

typedef struct rtrace {
    uint8_t id[16];
    rspan_t *v;
    size_t n;
    uint64_t start, end;
    bool skew, found;
} rtrace_t;

static char *dup_slice(ol_slice_t s, size_t *len)
{
    char *p = malloc(s.len + 1);
    if (!p) abort();
    if (s.len) memcpy(p, s.ptr, s.len);
    p[s.len] = 0;
    *len = s.len;
    return p;
}

static void rtrace_free(rtrace_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].service);
        free(t->v[i].name);
    }
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

static int ref_cb(void *ud, const ol_store_trace_t *t)
{
    rtrace_t *r = ud;
    CHECK(memcmp(r->id, t->trace_id, 16) == 0);
    r->found = true;
    r->n = t->n_spans;
    r->start = t->start_ns, r->end = t->end_ns, r->skew = t->clock_skew;
    r->v = calloc(t->n_spans + 1, sizeof *r->v);
    for (size_t i = 0; i < t->n_spans; i++) {
        const ol_otlp_span_t *sp = t->spans[i];
        rspan_t *x = &r->v[i];
        CHECK_EQ_INT(sp->span_id.len, 8);
        CHECK(memcmp(sp->trace_id.ptr, r->id, 16) == 0);
        memcpy(x->id, sp->span_id.ptr, 8);
        x->has_parent = sp->parent_span_id.len != 0;
        x->status = sp->status_code;
        x->start = sp->start_ns, x->end = sp->end_ns;
        x->service = dup_slice(ol_store_service_of(sp->origin), &x->service_len);
        x->name = dup_slice(sp->name, &x->name_len);
    }
    return OL_OK;
}

typedef struct got {
    rtrace_t *v;
    size_t n, cap;
    int stop_after; /* return `stop_rc` from call number stop_after (1-based; 0 = never) */
    int stop_rc;
} got_t;

static int brief_cb(void *ud, const ol_store_trace_brief_t *t)
{
    got_t *g = ud;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        g->v = realloc(g->v, g->cap * sizeof *g->v);
        if (!g->v) abort();
    }
    rtrace_t *r = &g->v[g->n++];
    memset(r, 0, sizeof *r);
    memcpy(r->id, t->trace_id, 16);
    r->found = true;
    r->n = t->n_spans;
    r->start = t->start_ns, r->end = t->end_ns, r->skew = t->clock_skew;
    r->v = calloc(t->n_spans + 1, sizeof *r->v);
    for (size_t i = 0; i < t->n_spans; i++) {
        const ol_store_span_brief_t *b = &t->spans[i];
        rspan_t *x = &r->v[i];
        memcpy(x->id, b->span_id, 8);
        x->has_parent = b->has_parent;
        x->status = b->status_code;
        x->start = b->start_ns, x->end = b->end_ns;
        x->service = dup_slice(b->service, &x->service_len);
        x->name = dup_slice(b->name, &x->name_len);
    }
    if (g->stop_after && (int)g->n == g->stop_after) return g->stop_rc;
    return OL_OK;
}

static void got_free(got_t *g)
{
    for (size_t i = 0; i < g->n; i++) rtrace_free(&g->v[i]);
    free(g->v);
    memset(g, 0, sizeof *g);
}

/* ---- Comparison ---- */

static int g_reported; /* mismatches in this compare_all; the first ones are printed */

#define MISMATCH(...)                                              \
    do {                                                           \
        ol_test_failed_checks++;                                   \
        if (g_reported++ < 25) fprintf(stderr, "  " __VA_ARGS__); \
    } while (0)

static bool same_str(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* The reference must itself be what its contract says: (start, span id)
 * order, one span per span id, start/end the min/max. */
static void check_reference(const rtrace_t *r, const char *where)
{
    char tid[33];
    fmt_id(r->id, 16, tid);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < r->n; i++) {
        lo = OL_MIN(lo, r->v[i].start), hi = OL_MAX(hi, r->v[i].end);
        if (!i) continue;
        const rspan_t *a = &r->v[i - 1], *b = &r->v[i];
        int c = a->start != b->start ? (a->start < b->start ? -1 : 1) : memcmp(a->id, b->id, 8);
        if (c >= 0) MISMATCH("%s: trace %s: reference spans %zu, %zu not in (start, span id) order\n", where, tid, i - 1, i);
    }
    for (size_t i = 0; i < r->n; i++)
        for (size_t j = i + 1; j < r->n && r->v[j].start == r->v[i].start; j++)
            if (memcmp(r->v[i].id, r->v[j].id, 8) == 0) MISMATCH("%s: trace %s: reference has a span id twice\n", where, tid);
    if (r->n && (lo != r->start || hi != r->end)) MISMATCH("%s: trace %s: reference start/end not min/max\n", where, tid);
}

static void compare_trace(const rtrace_t *ref, const rtrace_t *got, const char *where)
{
    char tid[33], sid[17];
    fmt_id(ref->id, 16, tid);
    if (memcmp(ref->id, got->id, 16) != 0) {
        char gid[33];
        fmt_id(got->id, 16, gid);
        MISMATCH("%s: expected trace %s, got %s\n", where, tid, gid);
        return;
    }
    if (ref->n != got->n) MISMATCH("%s: trace %s: n_spans %zu (brief) != %zu (scan_trace)\n", where, tid, got->n, ref->n);
    if (ref->start != got->start)
        MISMATCH("%s: trace %s: start %llu != %llu\n", where, tid, (unsigned long long)got->start,
                 (unsigned long long)ref->start);
    if (ref->end != got->end)
        MISMATCH("%s: trace %s: end %llu != %llu\n", where, tid, (unsigned long long)got->end, (unsigned long long)ref->end);
    if (ref->skew != got->skew) MISMATCH("%s: trace %s: clock_skew %d != %d\n", where, tid, got->skew, ref->skew);
    for (size_t i = 0; i < OL_MIN(ref->n, got->n); i++) {
        const rspan_t *a = &got->v[i], *b = &ref->v[i];
        fmt_id(b->id, 8, sid);
        if (memcmp(a->id, b->id, 8) != 0) {
            char gs[17];
            fmt_id(a->id, 8, gs);
            MISMATCH("%s: trace %s span #%zu: span id %s != %s\n", where, tid, i, gs, sid);
            continue;
        }
        if (a->has_parent != b->has_parent)
            MISMATCH("%s: trace %s span %s: has_parent %d != %d\n", where, tid, sid, a->has_parent, b->has_parent);
        if (a->status != b->status)
            MISMATCH("%s: trace %s span %s: status_code %d != %d\n", where, tid, sid, (int)a->status, (int)b->status);
        if (a->start != b->start)
            MISMATCH("%s: trace %s span %s: start %llu != %llu\n", where, tid, sid, (unsigned long long)a->start,
                     (unsigned long long)b->start);
        if (a->end != b->end)
            MISMATCH("%s: trace %s span %s: end %llu != %llu\n", where, tid, sid, (unsigned long long)a->end,
                     (unsigned long long)b->end);
        if (!same_str(a->service, a->service_len, b->service, b->service_len))
            MISMATCH("%s: trace %s span %s: service \"%s\" != \"%s\"\n", where, tid, sid, a->service, b->service);
        if (!same_str(a->name, a->name_len, b->name, b->name_len))
            MISMATCH("%s: trace %s span %s: name \"%s\" != \"%s\"\n", where, tid, sid, a->name, b->name);
    }
}

/* References for ids[0..n), sorted by id (rtrace_t starts with the id). */
typedef struct refs {
    rtrace_t *v;
    size_t n;
} refs_t;

static void refs_build(ol_store_t *s, const uint8_t (*ids)[16], size_t n, refs_t *out)
{
    out->v = calloc(n + 1, sizeof *out->v);
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        memcpy(out->v[i].id, ids[i], 16);
        int rc = ol_store_scan_trace(s, ids[i], ref_cb, &out->v[i]);
        CHECK(rc == OL_OK || rc == OL_NOTFOUND);
        CHECK_EQ_INT(rc == OL_OK, out->v[i].found);
    }
    qsort(out->v, out->n, sizeof *out->v, id_order);
}

static const rtrace_t *refs_get(const refs_t *r, const uint8_t *id)
{
    return bsearch(id, r->v, r->n, sizeof *r->v, id_order);
}

static void refs_free(refs_t *r)
{
    for (size_t i = 0; i < r->n; i++) rtrace_free(&r->v[i]);
    free(r->v);
}

/* One call of ol_store_trace_briefs with ids[0..n), checked against the references. */
static size_t check_call(ol_store_t *s, const uint8_t (*ids)[16], size_t n, const refs_t *refs, const char *where)
{
    got_t g = {0};
    CHECK_EQ_INT(ol_store_trace_briefs(s, ids, n, brief_cb, &g), OL_OK);
    /* Expected: the existing ids, deduplicated, in the order first given. */
    size_t k = 0;
    uint8_t (*seen)[16] = malloc((n + 1) * sizeof *seen);
    size_t n_seen = 0;
    for (size_t i = 0; i < n; i++) {
        const rtrace_t *r = refs_get(refs, ids[i]);
        CHECK(r != NULL);
        if (!r || !r->found) continue;
        bool dup = false;
        for (size_t j = 0; j < n_seen && !dup; j++) dup = memcmp(seen[j], ids[i], 16) == 0;
        if (dup) continue;
        memcpy(seen[n_seen++], ids[i], 16);
        if (k >= g.n) {
            char tid[33];
            fmt_id(ids[i], 16, tid);
            MISMATCH("%s: no brief for trace %s (#%zu of the existing ids)\n", where, tid, k);
            k++;
            continue;
        }
        compare_trace(r, &g.v[k], where);
        k++;
    }
    if (g.n > k) MISMATCH("%s: %zu briefs, expected %zu\n", where, g.n, k);
    free(seen);
    size_t calls = g.n;
    got_free(&g);
    return calls;
}

static void shuffle(uint8_t (*v)[16], size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = below((uint32_t)i);
        uint8_t t[16];
        memcpy(t, v[i - 1], 16);
        memcpy(v[i - 1], v[j], 16);
        memcpy(v[j], t, 16);
    }
}

enum { N_MISSING = 12 };

/* Everything: all ids in one call, random subsets, one by one, n = 0. */
static void compare_all(ol_store_t *s, const expect_t *e, const char *label, bool want_shapes)
{
    size_t n_all = e->n + N_MISSING;
    uint8_t (*all)[16] = malloc(n_all * sizeof *all);
    memcpy(all, e->ids, e->n * sizeof *all);
    for (size_t i = e->n; i < n_all; i++) {
        random_bytes(all[i], 16);
        if (i == e->n) { /* a neighbour of an existing id: same granule range, not there */
            memcpy(all[i], e->ids[e->n / 2], 16);
            all[i][15] ^= 1;
        }
    }
    g_reported = 0;
    refs_t refs;
    refs_build(s, (const uint8_t (*)[16])all, n_all, &refs);
    /* Every appended trace is found, with one span per distinct span id. */
    size_t spans = 0, missing_found = 0, shapes[3] = {0};
    for (size_t i = 0; i < e->n; i++) {
        const rtrace_t *r = refs_get(&refs, e->ids[i]);
        if (!r->found) {
            char tid[33];
            fmt_id(e->ids[i], 16, tid);
            MISMATCH("%s: scan_trace does not find trace %s\n", label, tid);
            continue;
        }
        if (r->n != e->n_spans[i]) {
            char tid[33];
            fmt_id(e->ids[i], 16, tid);
            MISMATCH("%s: scan_trace gives %zu spans for trace %s, %zu were appended\n", label, r->n, tid, e->n_spans[i]);
        }
        spans += r->n;
        check_reference(r, label);
        shapes[2] += r->skew;
        for (size_t k = 0; k < r->n; k++) {
            shapes[0] += strcmp(r->v[k].service, OL_STORE_UNKNOWN_SERVICE) == 0;
            shapes[1] += r->v[k].start == 0;
        }
    }
    for (size_t i = e->n; i < n_all; i++) missing_found += refs_get(&refs, all[i])->found;
    CHECK_EQ_INT(missing_found, 0);

    /* All of them at once, shuffled, with duplicates. */
    size_t n_q = n_all + n_all / 4;
    uint8_t (*q)[16] = malloc(OL_MAX(n_q, 200) * sizeof *q); /* also the subsets' */
    memcpy(q, all, n_all * sizeof *q);
    for (size_t i = n_all; i < n_q; i++) memcpy(q[i], all[below((uint32_t)n_all)], 16);
    shuffle(q, n_q);
    char where[128];
    snprintf(where, sizeof where, "%s, all ids", label);
    size_t calls = check_call(s, (const uint8_t (*)[16])q, n_q, &refs, where);
    CHECK_EQ_INT(calls, e->n);

    /* Random subsets, some with one id repeated. */
    for (int r = 0; r < 60; r++) {
        size_t m = 1 + below(r < 30 ? 8 : 200);
        for (size_t i = 0; i < m; i++) memcpy(q[i], all[below((uint32_t)n_all)], 16);
        if (m > 2 && r % 3 == 0) memcpy(q[m - 1], q[0], 16);
        snprintf(where, sizeof where, "%s, subset %d", label, r);
        check_call(s, (const uint8_t (*)[16])q, m, &refs, where);
    }
    /* One by one (every existing id in a small store, a sample otherwise), and the missing ones. */
    size_t step = e->n > 400 ? 5 : 1;
    for (size_t i = 0; i < n_all; i += i < e->n ? step : 1) {
        snprintf(where, sizeof where, "%s, single id #%zu", label, i);
        CHECK_EQ_INT(check_call(s, (const uint8_t (*)[16])&all[i], 1, &refs, where), i < e->n);
    }
    /* n = 0. */
    got_t g = {0};
    CHECK_EQ_INT(ol_store_trace_briefs(s, (const uint8_t (*)[16])all, 0, brief_cb, &g), OL_OK);
    CHECK_EQ_INT(ol_store_trace_briefs(s, NULL, 0, brief_cb, &g), OL_OK);
    CHECK_EQ_INT(g.n, 0);
    fprintf(stderr, "  %s: %zu traces (%zu spans; %zu without service.name, %zu without start, %zu skewed traces), "
            "%d mismatches\n", label, e->n, spans, shapes[0], shapes[1], shapes[2], g_reported);
    if (want_shapes) { /* the data does have the cases it is meant to have */
        CHECK(shapes[0] > 0);
        CHECK(shapes[1] > 0);
        CHECK(shapes[2] > 0);
    }
    free(q);
    free(all);
    refs_free(&refs);
}

/* OL_STORE_STOP ends the call after one trace (OL_OK); an error is returned. */
static void check_stop(ol_store_t *s, const expect_t *e)
{
    size_t n = OL_MIN(e->n, 40);
    got_t g = {.stop_after = 1, .stop_rc = OL_STORE_STOP};
    CHECK_EQ_INT(ol_store_trace_briefs(s, (const uint8_t (*)[16])e->ids, n, brief_cb, &g), OL_OK);
    CHECK_EQ_INT(g.n, 1);
    if (g.n) CHECK(memcmp(g.v[0].id, e->ids[0], 16) == 0);
    got_free(&g);
    g = (got_t){.stop_after = 1, .stop_rc = OL_LIMIT};
    CHECK_EQ_INT(ol_store_trace_briefs(s, (const uint8_t (*)[16])e->ids, n, brief_cb, &g), OL_LIMIT);
    CHECK_EQ_INT(g.n, 1);
    got_free(&g);
    g = (got_t){.stop_after = 3, .stop_rc = OL_CORRUPT};
    CHECK_EQ_INT(ol_store_trace_briefs(s, (const uint8_t (*)[16])e->ids, n, brief_cb, &g), OL_CORRUPT);
    CHECK_EQ_INT(g.n, 3);
    got_free(&g);
    g = (got_t){.stop_after = 2, .stop_rc = OL_STORE_STOP};
    CHECK_EQ_INT(ol_store_trace_briefs(s, (const uint8_t (*)[16])e->ids, n, brief_cb, &g), OL_OK);
    CHECK_EQ_INT(g.n, 2);
    got_free(&g);
}

/* ---- Tests ---- */

static void test_briefs_match_scan_trace(void)
{
    char dir[256];
    make_tmpdir(dir, sizeof dir);
    g_keys.n = 0;
    g_now = ol_now_ns();
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_topo_create_default(0, &g_topo, &err), OL_OK);
    ol_store_t *s = g_topo ? open_store(dir, false, 3) : NULL; /* ids split in 3 runs */
    CHECK(s != NULL);
    if (!s) {
        ol_topo_destroy(g_topo);
        ol_test_rm_rf(dir);
        return;
    }
    enum { PER = 3000 };
    const uint64_t MIN = 60 * 1000000000ull;
    ol_buf_t pb, resend_l2, resend_syn0;
    ol_buf_init(&pb, OL_MEM_CORE, 0);
    ol_buf_init(&resend_l2, OL_MEM_CORE, 0);
    ol_buf_init(&resend_syn0, OL_MEM_CORE, 0);
    syn_traces_t st;
    syn_vec_t sv = {0};
    ol_store_stats_t stats;

    /* First part generation: loadgen batches 0 and 1, synthetic generation 0. */
    lg_build(0, PER, 0, 0, &pb);
    append_request(s, ol_buf_slice(&pb), 0);
    lg_build(1, PER, 0, 0, &pb);
    append_request(s, ol_buf_slice(&pb), 0);
    syn_generation(&st, 0, &sv);
    syn_encode(sv.v, sv.n, &pb);
    append_request(s, ol_buf_slice(&pb), 0);
    syn_encode(sv.v + BIG_SPANS, sv.n - BIG_SPANS, &resend_syn0); /* re-sent below, without the big trace */
    CHECK_EQ_INT(ol_store_flush_now(s), OL_OK);
    ol_store_stats(s, &stats);
    uint64_t parts1 = stats.parts;
    CHECK(parts1 >= 2); /* 2024-01-01 (loadgen), today (synthetic) */
    CHECK_EQ_INT(stats.head_spans, 0);

    /* Second: loadgen 2, batch 0 continued (new span ids, later), synthetic generation 1. */
    lg_build(2, PER, 0, 0, &resend_l2);
    append_request(s, ol_buf_slice(&resend_l2), 0);
    lg_build(0, PER / 2, 0x1111111111111111ull, 30 * MIN, &pb);
    append_request(s, ol_buf_slice(&pb), 0);
    syn_generation(&st, 1, &sv);
    syn_encode(sv.v, sv.n, &pb);
    append_request(s, ol_buf_slice(&pb), 0);
    CHECK_EQ_INT(ol_store_flush_now(s), OL_OK);
    ol_store_stats(s, &stats);
    CHECK(stats.parts > parts1); /* small groups join the main partition's part */

    /* Left in the head: loadgen 3 (sent twice: the second copy is all
     * duplicates), batch 0 continued again, batch 1 continued, batch 2 and
     * synthetic generation 0 (but the big trace, whose first 9000 spans are
     * then only in two granules of the first part) re-sent after their
     * flush, synthetic generation 2. */
    lg_build(3, PER, 0, 0, &pb);
    append_request(s, ol_buf_slice(&pb), 0);
    append_request(s, ol_buf_slice(&pb), PER);
    lg_build(0, 800, 0x2222222222222222ull, 90 * MIN, &pb);
    append_request(s, ol_buf_slice(&pb), 0);
    lg_build(1, 500, 0x3333333333333333ull, 10 * MIN, &pb);
    append_request(s, ol_buf_slice(&pb), 0);
    append_request(s, ol_buf_slice(&resend_l2), 0);
    append_request(s, ol_buf_slice(&resend_syn0), 0);
    syn_generation(&st, 2, &sv);
    syn_encode(sv.v, sv.n, &pb);
    append_request(s, ol_buf_slice(&pb), UINT64_MAX); /* the span id sent twice: one duplicate, or none */
    ol_store_stats(s, &stats);
    CHECK(stats.head_spans > 0);
    CHECK(stats.clock_skew_spans > 0);
    fprintf(stderr, "  %llu parts, %llu spans in the head, %llu in all\n", (unsigned long long)stats.parts,
            (unsigned long long)stats.head_spans, (unsigned long long)stats.spans);
    ol_store_scan_partitions(s, partition_cb, NULL);

    expect_t e;
    expect_build(&e);
    compare_all(s, &e, "head and parts", true);
    check_stop(s, &e);

    /* Closing flushes the head; everything is then in parts. */
    ol_store_close(s);
    s = open_store(dir, false, 1); /* one run */
    CHECK(s != NULL);
    if (s) {
        ol_store_stats(s, &stats);
        CHECK_EQ_INT(stats.head_spans, 0);
        CHECK(stats.parts > parts1);
        compare_all(s, &e, "reopened", true);
        check_stop(s, &e);
        ol_store_close(s);
    }
    expect_free(&e);
    free(sv.v);
    ol_buf_free(&pb);
    ol_buf_free(&resend_l2);
    ol_buf_free(&resend_syn0);
    ol_topo_destroy(g_topo);
    g_topo = NULL;
    ol_test_rm_rf(dir);
}

/* Statuses a part keeps outside its status column, and codes that do not
 * fit a byte: in the head, then in a part. */
static void test_odd_statuses(void)
{
    char dir[256];
    make_tmpdir(dir, sizeof dir);
    g_keys.n = 0;
    g_now = ol_now_ns();
    ol_store_t *s = open_store(dir, false, 0);
    CHECK(s != NULL);
    if (!s) {
        ol_test_rm_rf(dir);
        return;
    }
    syn_vec_t sv = {0};
    uint8_t t[16];
    random_bytes(t, 16);
    for (int k = 0; k < ST_KINDS; k++) {
        syn_t x = syn_span(t, g_now - 600 * 1000000000ull);
        x.status = k;
        sv_push(&sv, x);
    }
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CORE, 0);
    syn_encode(sv.v, sv.n, &pb);
    append_request(s, ol_buf_slice(&pb), 0);
    expect_t e;
    expect_build(&e);
    compare_all(s, &e, "odd statuses, head", false);
    CHECK_EQ_INT(ol_store_flush_now(s), OL_OK);
    compare_all(s, &e, "odd statuses, part", false);
    ol_store_close(s);
    expect_free(&e);
    free(sv.v);
    ol_buf_free(&pb);
    ol_test_rm_rf(dir);
}

int main(void)
{
    RUN(test_briefs_match_scan_trace);
    RUN(test_odd_statuses);
    free(g_keys.v);
    return TEST_REPORT();
}
