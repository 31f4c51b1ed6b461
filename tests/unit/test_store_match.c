/*
 * test_store_match.c - trace search on a part's columns
 * (ol_part_spans_match, src/store/col/spans_match.c) against the reference:
 * the span matcher run on every span the granule rebuilds, which is how the
 * search worked before it read columns (kept here as ol_part_spans_match_slow).
 *
 * Parts are built from load-generator batches (realistic services, names and
 * semantic-convention attributes, some keys promoted to their own column,
 * others in `attrs`) and from synthetic spans with every attribute type
 * (string, bool, int, double with NaN/-0/inf, bytes, arrays and kvlists kept
 * raw, empty and missing values, duplicate keys, unusual KeyValues and
 * Statuses kept in `extra`), resource attributes, resources without a
 * service.name, end before start, and a trace that spans granules. Random
 * filters mix values taken from an existing span (so that some match) with
 * values that exist elsewhere and ones that exist nowhere; every granule's
 * hits (trace, start, end, in order) must be the reference's.
 *
 * `test_store_match --bench PART [SERVICE [KEY VALUE]]` times both on a part
 * file over all granules (defaults: shipping, http.route=/get-quote);
 * `--bench-columns` times the column search alone, for profiling.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/util.h"
#include "loadgen/spans.h"
#include "loadgen/topology.h"
#include "store/col/part.h"
#include "test.h"

/* ---- The reference: the span matcher on rebuilt spans ---- */

#define REF_MAX_ATTRS 32

typedef struct ref_ctx {
    const ol_part_span_filter_t *f;
    ol_part_hit_fn fn;
    void *ud;
    ol_buf_t tmp;
    uint8_t trace[16];
    bool have_trace, hit;
    uint64_t start_ns, end_ns;
    uint32_t mask;
} ref_ctx_t;

static int ref_attr(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ref_ctx_t *c = ud;
    bool rendered = false;
    for (size_t i = 0; i < c->f->n_attrs && i < REF_MAX_ATTRS; i++) {
        if ((c->mask >> i) & 1 || !ol_slice_eq(key, c->f->attr_keys[i])) continue;
        if (!rendered) {
            ol_buf_reset(&c->tmp);
            ol_otlp_anyvalue_text(any_value, &c->tmp);
            rendered = true;
        }
        if (!c->tmp.err && ol_slice_eq(ol_buf_slice(&c->tmp), c->f->attr_values[i])) c->mask |= 1u << i;
    }
    return OL_OK;
}

static bool ref_span(ref_ctx_t *c, const ol_otlp_span_t *sp)
{
    const ol_part_span_filter_t *f = c->f;
    if (f->service.len) {
        ol_slice_t svc = sp->origin && sp->origin->service_name.len ? sp->origin->service_name
                                                                     : OL_SLICE_LIT("unknown_service");
        if (!ol_slice_eq(svc, f->service)) return false;
    }
    if (f->name.len && !ol_slice_eq(sp->name, f->name)) return false;
    if (f->status >= 0 && (int)sp->status_code != f->status) return false;
    uint64_t d = sp->end_ns > sp->start_ns ? sp->end_ns - sp->start_ns : 0;
    if (f->min_duration_ns && d < f->min_duration_ns) return false;
    if (f->max_duration_ns && d > f->max_duration_ns) return false;
    size_t n = f->n_attrs < REF_MAX_ATTRS ? f->n_attrs : REF_MAX_ATTRS;
    if (!n) return true;
    uint32_t all = (uint32_t)((1ull << n) - 1);
    c->mask = 0;
    if (sp->raw.len) ol_otlp_each_attribute(sp->raw, 9, ref_attr, c);
    if (c->mask != all && sp->origin && sp->origin->resource.len)
        ol_otlp_each_attribute(sp->origin->resource, 1, ref_attr, c);
    return c->mask == all;
}

static int ref_flush(ref_ctx_t *c)
{
    int rc = c->have_trace && c->hit ? c->fn(c->ud, c->trace, c->start_ns, c->end_ns) : OL_OK;
    c->have_trace = c->hit = false;
    return rc;
}

static int ref_each(void *ud, const ol_otlp_span_t *sp)
{
    ref_ctx_t *c = ud;
    if (!c->have_trace || memcmp(c->trace, sp->trace_id.ptr, 16) != 0) {
        int rc = ref_flush(c);
        if (rc) return rc;
        memcpy(c->trace, sp->trace_id.ptr, 16);
        c->have_trace = true;
        c->start_ns = UINT64_MAX;
        c->end_ns = 0;
    }
    if (sp->start_ns < c->start_ns) c->start_ns = sp->start_ns;
    if (sp->end_ns > c->end_ns) c->end_ns = sp->end_ns;
    if (!c->hit) c->hit = ref_span(c, sp);
    return OL_OK;
}

/* The search as it was: rebuild every span of the granule and test it. */
static int ol_part_spans_match_slow(const ol_part_t *p, uint32_t g, const ol_part_span_filter_t *f, ol_part_hit_fn fn,
                                    void *ud, ol_err_t *err)
{
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    if (!a) return OL_NOMEM;
    ref_ctx_t c = {.f = f, .fn = fn, .ud = ud};
    ol_buf_init(&c.tmp, OL_MEM_STORE, 0);
    int rc = ol_part_spans_granule(p, g, a, ref_each, &c, err);
    if (!rc) rc = ref_flush(&c);
    ol_buf_free(&c.tmp);
    ol_arena_destroy(a);
    return rc;
}

/* The same matcher over spans rebuilt once (the tests run thousands of filters). */
static int ref_match_spans(const ol_otlp_span_t *const *spans, size_t n, const ol_part_span_filter_t *f,
                           ol_part_hit_fn fn, void *ud)
{
    ref_ctx_t c = {.f = f, .fn = fn, .ud = ud};
    ol_buf_init(&c.tmp, OL_MEM_STORE, 0);
    int rc = OL_OK;
    for (size_t i = 0; i < n && !rc; i++) rc = ref_each(&c, spans[i]);
    if (!rc) rc = ref_flush(&c);
    ol_buf_free(&c.tmp);
    return rc;
}

/* ---- Hits ---- */

typedef struct hit {
    uint8_t trace[16];
    uint64_t start, end;
} hit_t;

typedef struct hits {
    hit_t *v;
    size_t n, cap;
    size_t stop_after; /* 0 = never stop */
} hits_t;

static int hits_add(void *ud, const uint8_t trace_id[16], uint64_t start_ns, uint64_t end_ns)
{
    hits_t *h = ud;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
    }
    memcpy(h->v[h->n].trace, trace_id, 16);
    h->v[h->n].start = start_ns;
    h->v[h->n].end = end_ns;
    h->n++;
    return h->stop_after && h->n >= h->stop_after ? 1 : OL_OK;
}

static bool hits_equal(const hits_t *a, const hits_t *b)
{
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (memcmp(a->v[i].trace, b->v[i].trace, 16) || a->v[i].start != b->v[i].start || a->v[i].end != b->v[i].end)
            return false;
    return true;
}

/* ---- Random numbers ---- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }

/* ---- Spans of a part, rebuilt once per granule ---- */

typedef struct granules {
    ol_part_t *p;
    ol_arena_t *a;
    uint32_t n;
    const ol_otlp_span_t ***spans; /* per granule */
    size_t *n_spans;
    size_t cap;
} granules_t;

typedef struct collect {
    const ol_otlp_span_t **v;
    size_t n, cap;
} collect_t;

static int collect_span(void *ud, const ol_otlp_span_t *s)
{
    collect_t *c = ud;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = s;
    return OL_OK;
}

static bool granules_load(granules_t *gr, ol_part_t *p)
{
    memset(gr, 0, sizeof *gr);
    gr->p = p;
    gr->a = ol_arena_create(1 << 20, 0);
    gr->n = ol_part_info(p)->granules;
    gr->spans = calloc(gr->n, sizeof *gr->spans);
    gr->n_spans = calloc(gr->n, sizeof *gr->n_spans);
    for (uint32_t g = 0; g < gr->n; g++) {
        collect_t c = {0};
        ol_err_t err = {{0}};
        if (ol_part_spans_granule(p, g, gr->a, collect_span, &c, &err) != OL_OK) {
            fprintf(stderr, "  granule %u: %s\n", g, err.msg);
            return false;
        }
        gr->spans[g] = c.v;
        gr->n_spans[g] = c.n;
    }
    return true;
}

static void granules_free(granules_t *gr)
{
    for (uint32_t g = 0; g < gr->n; g++) free(gr->spans[g]);
    free(gr->spans);
    free(gr->n_spans);
    ol_arena_destroy(gr->a);
}

typedef struct stats {
    size_t filters, calls, hits, differ;
} stats_t;

static void dump_filter(const ol_part_span_filter_t *f)
{
    fprintf(stderr, "  filter: service '%.*s' name '%.*s' status %d duration [%llu, %llu]", (int)f->service.len,
            (const char *)f->service.ptr, (int)f->name.len, (const char *)f->name.ptr, f->status,
            (unsigned long long)f->min_duration_ns, (unsigned long long)f->max_duration_ns);
    for (size_t i = 0; i < f->n_attrs; i++)
        fprintf(stderr, " %.*s='%.*s'", (int)f->attr_keys[i].len, (const char *)f->attr_keys[i].ptr,
                (int)f->attr_values[i].len, (const char *)f->attr_values[i].ptr);
    fprintf(stderr, "\n");
}

/* Compares the column search with the reference on every granule. */
static void compare_filter(const granules_t *gr, const ol_part_span_filter_t *f, stats_t *st)
{
    st->filters++;
    for (uint32_t g = 0; g < gr->n; g++) {
        hits_t want = {0}, got = {0};
        ol_err_t err = {{0}};
        int rc_want = ref_match_spans(gr->spans[g], gr->n_spans[g], f, hits_add, &want);
        int rc_got = ol_part_spans_match(gr->p, g, f, hits_add, &got, &err);
        st->calls++;
        st->hits += got.n;
        if (rc_want != rc_got || !hits_equal(&want, &got)) {
            if (st->differ++ < 5) {
                fprintf(stderr, "  granule %u: rc %d vs %d, %zu hits vs %zu (%s)\n", g, rc_got, rc_want, got.n,
                        want.n, err.msg);
                dump_filter(f);
            }
        }
        /* start_only: the same hits and starts, every end 0. */
        ol_part_span_filter_t fs = *f;
        fs.start_only = true;
        hits_t got_s = {0};
        int rc_s = ol_part_spans_match(gr->p, g, &fs, hits_add, &got_s, &err);
        for (size_t i = 0; i < want.n; i++) want.v[i].end = 0;
        if (rc_want != rc_s || !hits_equal(&want, &got_s)) {
            if (st->differ++ < 5) {
                fprintf(stderr, "  granule %u, start_only: rc %d vs %d, %zu hits vs %zu (%s)\n", g, rc_s, rc_want,
                        got_s.n, want.n, err.msg);
                dump_filter(f);
            }
        }
        free(got_s.v);
        free(want.v);
        free(got.v);
    }
}

/* ---- Filters drawn from the part's spans ---- */

typedef struct kvtext {
    char *key, *text;
} kvtext_t;

typedef struct pool {
    kvtext_t *v;
    size_t n, cap;
} pool_t;

static char *dup_slice(ol_slice_t s)
{
    char *p = malloc(s.len + 1);
    if (s.len) memcpy(p, s.ptr, s.len);
    p[s.len] = 0;
    return p;
}

static int pool_kv(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    pool_t *pl = ud;
    ol_buf_t t;
    ol_buf_init(&t, OL_MEM_CORE, 0);
    ol_otlp_anyvalue_text(any_value, &t);
    if (pl->n == pl->cap) {
        pl->cap = pl->cap ? pl->cap * 2 : 64;
        pl->v = realloc(pl->v, pl->cap * sizeof *pl->v);
    }
    pl->v[pl->n].key = dup_slice(key);
    pl->v[pl->n].text = dup_slice(ol_buf_slice(&t));
    pl->n++;
    ol_buf_free(&t);
    return OL_OK;
}

static void pool_free(pool_t *pl)
{
    for (size_t i = 0; i < pl->n; i++) {
        free(pl->v[i].key);
        free(pl->v[i].text);
    }
    free(pl->v);
    memset(pl, 0, sizeof *pl);
}

/* The span's attributes and its resource's, as key and text. */
static void span_attrs(const ol_otlp_span_t *s, pool_t *out)
{
    ol_otlp_each_attribute(s->raw, 9, pool_kv, out);
    if (s->origin && s->origin->resource.len) ol_otlp_each_attribute(s->origin->resource, 1, pool_kv, out);
}

typedef struct filter_store {
    ol_part_span_filter_t f;
    ol_slice_t keys[4], values[4];
    char *owned[12];
    size_t n_owned;
} filter_store_t;

static ol_slice_t fs_own(filter_store_t *fs, const char *s)
{
    char *p = strdup(s);
    fs->owned[fs->n_owned++] = p;
    return ol_slice_cstr(p);
}

static void fs_free(filter_store_t *fs)
{
    for (size_t i = 0; i < fs->n_owned; i++) free(fs->owned[i]);
}

static const char *const g_odd_values[] = {"", "true", "false", "0", "-0", "1", "NaN", "Infinity", "nope", "/get-quote",
                                           "3.25", "7", "-5", "[\"a\",7]", "AAEC"};

/* A random filter around span s; others are spans and values of the part. */
static void random_filter(filter_store_t *fs, const ol_otlp_span_t *s, const ol_otlp_span_t *other)
{
    memset(fs, 0, sizeof *fs);
    ol_part_span_filter_t *f = &fs->f;
    f->status = -1;
    uint32_t r = below(100);
    const ol_otlp_span_t *src = r < 80 ? s : other;
    if (below(100) < 45) {
        ol_slice_t svc = src->origin && src->origin->service_name.len ? src->origin->service_name
                                                                       : OL_SLICE_LIT("unknown_service");
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%.*s", (int)svc.len, (const char *)svc.ptr);
        f->service = fs_own(fs, below(10) ? tmp : below(2) ? "unknown_service" : "no-such-service");
    }
    if (below(100) < 40) {
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%.*s", (int)src->name.len, (const char *)src->name.ptr);
        f->name = fs_own(fs, below(10) ? tmp : "no-such-name");
    }
    if (below(100) < 25) f->status = below(4) ? src->status_code : (int)below(4);
    uint64_t d = src->end_ns > src->start_ns ? src->end_ns - src->start_ns : 0;
    if (below(100) < 15) f->min_duration_ns = below(2) ? d : d / 2 + 1;
    if (below(100) < 15) f->max_duration_ns = below(2) ? d : d + d / 2 + 1;
    pool_t mine = {0}, theirs = {0};
    span_attrs(s, &mine);
    span_attrs(other, &theirs);
    size_t n = below(4);
    for (size_t i = 0; i < n; i++) {
        uint32_t k = below(100);
        const char *key = "no.such.key", *val = "x";
        if (k < 60 && mine.n) {
            kvtext_t *kv = &mine.v[below((uint32_t)mine.n)];
            key = kv->key, val = kv->text;
        } else if (k < 75 && theirs.n) {
            kvtext_t *kv = &theirs.v[below((uint32_t)theirs.n)];
            key = kv->key, val = kv->text;
        } else if (k < 90 && mine.n) {
            key = mine.v[below((uint32_t)mine.n)].key;
            val = g_odd_values[below(OL_ARRAY_LEN(g_odd_values))];
        } else if (k < 95 && mine.n) {
            key = mine.v[below((uint32_t)mine.n)].key;
            val = theirs.n ? theirs.v[below((uint32_t)theirs.n)].text : "y";
        }
        fs->keys[i] = fs_own(fs, key);
        fs->values[i] = fs_own(fs, val);
    }
    f->attr_keys = fs->keys;
    f->attr_values = fs->values;
    f->n_attrs = n;
    pool_free(&mine);
    pool_free(&theirs);
}

static void run_random_filters(const granules_t *gr, size_t n_filters, stats_t *st)
{
    for (size_t i = 0; i < n_filters && st->differ < 5; i++) {
        uint32_t g = below(gr->n), g2 = below(gr->n);
        const ol_otlp_span_t *s = gr->spans[g][below((uint32_t)gr->n_spans[g])];
        const ol_otlp_span_t *o = gr->spans[g2][below((uint32_t)gr->n_spans[g2])];
        filter_store_t fs;
        random_filter(&fs, s, o);
        compare_filter(gr, &fs.f, st);
        fs_free(&fs);
    }
}

/* The filter stops where fn says so, in both. */
static void check_stop(const granules_t *gr, const ol_part_span_filter_t *f)
{
    for (uint32_t g = 0; g < gr->n; g++) {
        hits_t want = {.stop_after = 2}, got = {.stop_after = 2};
        ol_err_t err = {{0}};
        int rc_want = ref_match_spans(gr->spans[g], gr->n_spans[g], f, hits_add, &want);
        int rc_got = ol_part_spans_match(gr->p, g, f, hits_add, &got, &err);
        CHECK_EQ_INT(rc_got, rc_want);
        CHECK(hits_equal(&want, &got));
        free(want.v);
        free(got.v);
    }
    hits_t h = {0};
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_part_spans_match(gr->p, gr->n, f, hits_add, &h, &err), OL_NOTFOUND);
    free(h.v);
}

/* ---- Parts ---- */

static char g_dir[256];

static const char *tmp_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    return p;
}

static ol_part_t *write_part(const char *name, const ol_otlp_span_t **spans, size_t n)
{
    const char *path = tmp_path(name);
    unlink(path);
    ol_err_t err = {{0}};
    ol_part_info_t info;
    if (ol_part_write_spans(NULL, path, 1, 0, spans, n, &info, &err) != OL_OK) {
        fprintf(stderr, "  write %s: %s\n", path, err.msg);
        return NULL;
    }
    ol_part_t *p = NULL;
    if (ol_part_open(NULL, path, &p, &err) != OL_OK) {
        fprintf(stderr, "  open %s: %s\n", path, err.msg);
        return NULL;
    }
    return p;
}

/* ---- Load-generator spans ---- */

static void test_loadgen_part(void)
{
    ol_topology_t *t = NULL;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_topo_create_default(0, &t, &err), OL_OK);
    if (!t) return;
    enum { BATCHES = 5, PER = 4000 };
    ol_arena_t *arenas[BATCHES] = {0};
    ol_loadgen_batch_t batches[BATCHES];
    const ol_otlp_span_t **spans = malloc(BATCHES * PER * sizeof *spans);
    size_t n = 0;
    bool ok = true;
    for (uint32_t b = 0; b < BATCHES && ok; b++) {
        ok = ol_loadgen_batch_build(t, 21, b, PER, &batches[b], &err) == OL_OK;
        if (!ok) break;
        ol_otlp_batch_t ob;
        arenas[b] = ol_arena_create(1 << 20, 0);
        ok = ol_otlp_decode(OL_SIGNAL_TRACES, ol_slice(batches[b].data, batches[b].len), arenas[b], &ob, &err) == OL_OK;
        for (size_t i = 0; ok && i < ob.n_spans; i++) spans[n++] = &ob.spans[i];
    }
    CHECK(ok);
    ol_part_t *p = ok ? write_part("loadgen.olp", spans, n) : NULL;
    CHECK(p != NULL);
    granules_t gr;
    if (p && granules_load(&gr, p)) {
        CHECK(gr.n >= 2);
        stats_t st = {0};
        /* The benchmark's search, then random ones. */
        ol_slice_t k[2] = {OL_SLICE_LIT("http.route"), OL_SLICE_LIT("rpc.method")};
        ol_slice_t v[2] = {OL_SLICE_LIT("/get-quote"), OL_SLICE_LIT("GetCart")};
        ol_part_span_filter_t f = {.service = OL_SLICE_LIT("shipping"), .status = -1, .attr_keys = k,
                                   .attr_values = v, .n_attrs = 1};
        compare_filter(&gr, &f, &st);
        CHECK(st.hits > 0);
        f.service = OL_SLICE_NULL;
        f.attr_keys = k + 1, f.attr_values = v + 1; /* a promoted key */
        compare_filter(&gr, &f, &st);
        check_stop(&gr, &f);
        run_random_filters(&gr, 400, &st);
        fprintf(stderr, "  loadgen: %zu spans, %u granules, %zu filters, %zu granule searches, %zu hits\n", n, gr.n,
                st.filters, st.calls, st.hits);
        CHECK_EQ_INT(st.differ, 0);
        CHECK(st.hits > st.filters); /* the filters do find traces */
        granules_free(&gr);
    }
    if (p) ol_part_close(p);
    for (uint32_t b = 0; b < BATCHES; b++) {
        if (!arenas[b]) continue;
        ol_arena_destroy(arenas[b]);
        ol_loadgen_batch_free(&batches[b]);
    }
    free(spans);
    ol_topo_destroy(t);
}

/* ---- Synthetic spans with every attribute type ---- */

static void put_msg(ol_buf_t *b, uint32_t field, ol_buf_t *inner)
{
    ol_pb_put_bytes(b, field, ol_buf_slice(inner));
    ol_buf_reset(inner);
}

/* KeyValue{key, value = av} (without value when av is NULL). */
static void put_kv(ol_buf_t *b, uint32_t field, const char *key, const ol_buf_t *av)
{
    ol_buf_t kv;
    ol_buf_init(&kv, OL_MEM_CORE, 0);
    ol_pb_put_bytes(&kv, 1, ol_slice_cstr(key));
    if (av) ol_pb_put_bytes(&kv, 2, ol_buf_slice(av));
    put_msg(b, field, &kv);
    ol_buf_free(&kv);
}

static void put_kv_str(ol_buf_t *b, uint32_t field, const char *key, const char *v)
{
    ol_buf_t av;
    ol_buf_init(&av, OL_MEM_CORE, 0);
    ol_pb_put_bytes(&av, 1, ol_slice_cstr(v));
    put_kv(b, field, key, &av);
    ol_buf_free(&av);
}

static void put_kv_int(ol_buf_t *b, uint32_t field, const char *key, int64_t v)
{
    ol_buf_t av;
    ol_buf_init(&av, OL_MEM_CORE, 0);
    ol_pb_put_uint(&av, 3, (uint64_t)v);
    put_kv(b, field, key, &av);
    ol_buf_free(&av);
}

static const char *const g_names[] = {"GET /cart", "POST /checkout", "SELECT orders", "redis GET", "publish"};
static const char *const g_strs[] = {"alpha", "beta", "gamma", "", "/get-quote", "true", "7", "3.25"};
static const int64_t g_ints[] = {-5, 0, 7, 123456789012LL, INT64_MIN};

/* One attribute of a random type and key. */
static void put_random_attr(ol_buf_t *sp)
{
    ol_buf_t av, tmp, el;
    ol_buf_init(&av, OL_MEM_CORE, 0);
    ol_buf_init(&tmp, OL_MEM_CORE, 0);
    ol_buf_init(&el, OL_MEM_CORE, 0);
    char key[32];
    switch (below(14)) {
    case 0: {
        static const double d[] = {0.1, -0.0, 0.0, 1e21, 3.25, 2.0, -7.5};
        uint32_t k = below(OL_ARRAY_LEN(d) + 2);
        ol_pb_put_double(&av, 4, k < OL_ARRAY_LEN(d) ? d[k] : k == OL_ARRAY_LEN(d) ? NAN : INFINITY);
        put_kv(sp, 9, "r.dbl", &av);
        break;
    }
    case 1:
        ol_pb_put_bytes(&av, 7, ol_slice((const uint8_t *)"\x00\x01\x02", 1 + below(3)));
        put_kv(sp, 9, "r.bytes", &av);
        break;
    case 2:
        ol_pb_put_bytes(&el, 1, OL_SLICE_LIT("a"));
        put_msg(&tmp, 1, &el);
        ol_pb_put_uint(&el, 3, 7);
        put_msg(&tmp, 1, &el);
        put_msg(&av, 5, &tmp);
        put_kv(sp, 9, "r.arr", &av);
        break;
    case 3:
        put_kv_str(&tmp, 1, "inner", below(2) ? "x" : "y");
        put_msg(&av, 6, &tmp);
        put_kv(sp, 9, "r.kv", &av);
        break;
    case 4: put_kv(sp, 9, "r.empty", &av); break;          /* empty AnyValue */
    case 5: put_kv(sp, 9, "r.novalue", NULL); break;       /* no value field */
    case 6:
        snprintf(key, sizeof key, "r.str.%u", below(3));
        put_kv_str(sp, 9, key, g_strs[below(OL_ARRAY_LEN(g_strs))]);
        break;
    case 7: put_kv_int(sp, 9, "tier", 1 + below(3)); break; /* also a resource attribute */
    case 8: /* a bool of 2: kept raw, renders "true" */
        ol_pb_put_uint(&av, 2, 2);
        put_kv(sp, 9, "p.bool", &av);
        break;
    case 9: /* a string sent twice: kept raw, the last one wins */
        ol_pb_put_bytes(&av, 1, OL_SLICE_LIT("alpha"));
        ol_pb_put_bytes(&av, 1, OL_SLICE_LIT("beta"));
        put_kv(sp, 9, "p.str", &av);
        break;
    case 10: /* a KeyValue with an unknown field: kept whole in extra */
        ol_pb_put_bytes(&tmp, 1, OL_SLICE_LIT("odd.kv"));
        ol_pb_put_bytes(&av, 1, ol_slice_cstr(g_strs[below(3)]));
        ol_pb_put_bytes(&tmp, 2, ol_buf_slice(&av));
        ol_pb_put_uint(&tmp, 3, 1);
        put_msg(sp, 9, &tmp);
        break;
    case 11: /* value before key: kept in extra */
        ol_pb_put_bytes(&av, 1, OL_SLICE_LIT("beta"));
        ol_pb_put_bytes(&tmp, 2, ol_buf_slice(&av));
        ol_pb_put_bytes(&tmp, 1, OL_SLICE_LIT("p.str"));
        put_msg(sp, 9, &tmp);
        break;
    case 12: put_kv_str(sp, 9, "p.str", g_strs[below(OL_ARRAY_LEN(g_strs))]); break; /* a duplicate key */
    default:
        snprintf(key, sizeof key, "r.int.%u", below(2));
        put_kv_int(sp, 9, key, g_ints[below(OL_ARRAY_LEN(g_ints))]);
        break;
    }
    ol_buf_free(&av);
    ol_buf_free(&tmp);
    ol_buf_free(&el);
}

typedef struct syn_span {
    uint8_t trace[16], span[8];
    int res;
    uint64_t start, end;
} syn_span_t;

static void put_syn_span(ol_buf_t *b, const syn_span_t *s)
{
    ol_buf_t sp, tmp, av;
    ol_buf_init(&sp, OL_MEM_CORE, 0);
    ol_buf_init(&tmp, OL_MEM_CORE, 0);
    ol_buf_init(&av, OL_MEM_CORE, 0);
    ol_pb_put_bytes(&sp, 1, ol_slice(s->trace, 16));
    ol_pb_put_bytes(&sp, 2, ol_slice(s->span, 8));
    if (below(10)) ol_pb_put_bytes(&sp, 5, ol_slice_cstr(g_names[below(OL_ARRAY_LEN(g_names))]));
    ol_pb_put_uint(&sp, 6, 1 + below(5));
    ol_pb_put_fixed64(&sp, 7, s->start);
    ol_pb_put_fixed64(&sp, 8, s->end);
    /* Frequent keys (promoted), then a few random ones. */
    if (below(10)) put_kv_str(&sp, 9, "p.str", g_strs[below(OL_ARRAY_LEN(g_strs))]);
    if (below(10) < 6) put_kv_int(&sp, 9, "p.int", g_ints[below(OL_ARRAY_LEN(g_ints))]);
    if (below(2)) {
        ol_pb_put_uint(&av, 2, below(2));
        put_kv(&sp, 9, "p.bool", &av);
        ol_buf_reset(&av);
    }
    if (below(3) == 0) {
        ol_pb_put_double(&av, 4, below(2) ? 3.25 : -0.0);
        put_kv(&sp, 9, "p.dbl", &av);
        ol_buf_reset(&av);
    }
    for (uint32_t k = below(4); k > 0; k--) put_random_attr(&sp);
    switch (below(8)) {
    case 0: ol_pb_put_uint(&tmp, 3, 1); put_msg(&sp, 15, &tmp); break;
    case 1:
        ol_pb_put_bytes(&tmp, 2, OL_SLICE_LIT("boom"));
        ol_pb_put_uint(&tmp, 3, 2);
        put_msg(&sp, 15, &tmp);
        break;
    case 2: ol_pb_put_bytes(&tmp, 2, OL_SLICE_LIT("message only")); put_msg(&sp, 15, &tmp); break;
    case 3: ol_pb_put_uint(&tmp, 3, 300); put_msg(&sp, 15, &tmp); break; /* kept in extra */
    case 4: /* an unknown field in the Status: kept in extra */
        ol_pb_put_uint(&tmp, 3, 2);
        ol_pb_put_uint(&tmp, 7, 1);
        put_msg(&sp, 15, &tmp);
        break;
    default: break;
    }
    put_msg(b, 2, &sp);
    ol_buf_free(&sp);
    ol_buf_free(&tmp);
    ol_buf_free(&av);
}

enum { SYN_RESOURCES = 6 };

/* Resources: three services, one without service.name, one with an empty
 * one, one whose service.name is an int (no service either); attributes
 * that share keys with span attributes. */
static void put_syn_resource(ol_buf_t *res, int r)
{
    static const char *const svc[] = {"svc-a", "svc-b", "svc-c"};
    if (r < 3) put_kv_str(res, 1, "service.name", svc[r]);
    else if (r == 4) put_kv_str(res, 1, "service.name", "");
    else if (r == 5) put_kv_int(res, 1, "service.name", 5);
    put_kv_str(res, 1, "host.name", r % 2 ? "h1" : "h2");
    if (r % 3 == 0) put_kv_int(res, 1, "tier", 3);
    if (r == 1) put_kv_str(res, 1, "p.str", "from-resource");
}

static void test_synthetic_part(void)
{
    enum { N_SPANS = 26000 };
    syn_span_t *ss = calloc(N_SPANS, sizeof *ss);
    size_t n = 0, t = 0;
    while (n < N_SPANS) {
        size_t len = t == 3 ? 9000 : 1 + below(40); /* one trace larger than a granule */
        uint8_t trace[16];
        for (int i = 0; i < 16; i++) trace[i] = (uint8_t)rnd();
        trace[0] |= 1;
        uint64_t base = 1700000000000000000ull + rnd() % 1000000000000ull;
        for (size_t j = 0; j < len && n < N_SPANS; j++, n++) {
            syn_span_t *s = &ss[n];
            memcpy(s->trace, trace, 16);
            for (int i = 0; i < 8; i++) s->span[i] = (uint8_t)rnd();
            s->span[0] |= 1;
            s->res = (int)below(SYN_RESOURCES);
            s->start = base + rnd() % 1000000000ull;
            s->end = s->start + rnd() % 500000000ull;
            if (below(30) == 0) s->end = s->start - 1 - rnd() % 1000; /* clock skew */
        }
        t++;
    }
    /* Extremes of the duration arithmetic. */
    ss[10].start = UINT64_MAX - 10, ss[10].end = 5;
    ss[11].start = 5, ss[11].end = UINT64_MAX - 3;
    ol_buf_t req;
    ol_buf_init(&req, OL_MEM_CORE, 0);
    for (int r = 0; r < SYN_RESOURCES; r++) {
        ol_buf_t rs, res, scs, scope;
        ol_buf_init(&rs, OL_MEM_CORE, 0);
        ol_buf_init(&res, OL_MEM_CORE, 0);
        ol_buf_init(&scs, OL_MEM_CORE, 0);
        ol_buf_init(&scope, OL_MEM_CORE, 0);
        put_syn_resource(&res, r);
        put_msg(&rs, 1, &res);
        ol_pb_put_bytes(&scope, 1, OL_SLICE_LIT("lib"));
        put_msg(&scs, 1, &scope);
        for (size_t i = 0; i < n; i++)
            if (ss[i].res == r) put_syn_span(&scs, &ss[i]);
        put_msg(&rs, 2, &scs);
        put_msg(&req, 1, &rs);
        ol_buf_free(&rs);
        ol_buf_free(&res);
        ol_buf_free(&scs);
        ol_buf_free(&scope);
    }
    CHECK(!req.err);
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    ol_otlp_batch_t ob;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_otlp_decode(OL_SIGNAL_TRACES, ol_buf_slice(&req), a, &ob, &err), OL_OK);
    CHECK_EQ_INT(ob.n_spans, n);
    const ol_otlp_span_t **spans = malloc(ob.n_spans * sizeof *spans);
    for (size_t i = 0; i < ob.n_spans; i++) spans[i] = &ob.spans[i];
    ol_part_t *p = write_part("synthetic.olp", spans, ob.n_spans);
    CHECK(p != NULL);
    granules_t gr;
    if (p && granules_load(&gr, p)) {
        CHECK(gr.n >= 3);
        stats_t st = {0};
        /* Conditions on each kind of value, alone. */
        static const char *const fixed[][2] = {
            {"p.str", "alpha"},  {"p.str", "beta"},     {"p.str", ""},        {"p.str", "from-resource"},
            {"p.int", "-5"},     {"p.int", "123456789012"}, {"p.int", "-9223372036854775808"}, {"p.int", "07"},
            {"p.bool", "true"},  {"p.bool", "false"},   {"p.dbl", "3.25"},    {"p.dbl", "-0"},
            {"p.dbl", "0"},      {"r.dbl", "NaN"},      {"r.dbl", "Infinity"}, {"r.dbl", "1e+21"},
            {"r.dbl", "0.1"},    {"r.dbl", "-0"},       {"r.bytes", "AAEC"},  {"r.bytes", "AA=="},
            {"r.arr", "[\"a\",7]"}, {"r.kv", "{\"inner\":\"x\"}"}, {"r.empty", ""}, {"r.novalue", ""},
            {"tier", "3"},       {"tier", "1"},         {"odd.kv", "alpha"},  {"odd.kv", "gamma"},
            {"r.str.1", "7"},    {"r.int.0", "0"},      {"host.name", "h1"},  {"service.name", "svc-a"},
            {"service.name", "5"}, {"no.such", ""},     {"", ""},
        };
        for (size_t i = 0; i < OL_ARRAY_LEN(fixed); i++) {
            ol_slice_t k = ol_slice_cstr(fixed[i][0]), v = ol_slice_cstr(fixed[i][1]);
            ol_part_span_filter_t f = {.status = -1, .attr_keys = &k, .attr_values = &v, .n_attrs = 1};
            compare_filter(&gr, &f, &st);
        }
        static const char *const services[] = {"svc-a", "svc-b", "unknown_service", "nope"};
        for (size_t i = 0; i < OL_ARRAY_LEN(services); i++) {
            ol_part_span_filter_t f = {.service = ol_slice_cstr(services[i]), .status = -1};
            compare_filter(&gr, &f, &st);
        }
        for (int s = 0; s < 4; s++) {
            ol_part_span_filter_t f = {.status = s == 3 ? 300 : s};
            compare_filter(&gr, &f, &st);
        }
        {
            ol_part_span_filter_t f = {.status = -1, .min_duration_ns = 1ull << 62};
            compare_filter(&gr, &f, &st);
            f.min_duration_ns = 0, f.max_duration_ns = 1;
            compare_filter(&gr, &f, &st);
        }
        {
            /* Two conditions on one key, both must hold (duplicate keys in a span). */
            ol_slice_t k[2] = {OL_SLICE_LIT("p.str"), OL_SLICE_LIT("p.str")};
            ol_slice_t v[2] = {OL_SLICE_LIT("alpha"), OL_SLICE_LIT("gamma")};
            ol_part_span_filter_t f = {.status = -1, .attr_keys = k, .attr_values = v, .n_attrs = 2};
            compare_filter(&gr, &f, &st);
            check_stop(&gr, &f);
        }
        {
            /* Conditions past the 32nd are ignored, as the span matcher ignores them. */
            ol_slice_t k[33], v[33];
            for (int i = 0; i < 33; i++) k[i] = OL_SLICE_LIT("p.str"), v[i] = OL_SLICE_LIT("alpha");
            k[32] = OL_SLICE_LIT("no.such.key");
            ol_part_span_filter_t f = {.status = -1, .attr_keys = k, .attr_values = v, .n_attrs = 33};
            size_t before = st.hits;
            compare_filter(&gr, &f, &st);
            CHECK(st.hits > before);
        }
        run_random_filters(&gr, 700, &st);
        fprintf(stderr, "  synthetic: %zu spans, %u granules, %zu filters, %zu granule searches, %zu hits\n",
                ob.n_spans, gr.n, st.filters, st.calls, st.hits);
        CHECK_EQ_INT(st.differ, 0);
        CHECK(st.hits > st.filters);
        granules_free(&gr);
    }
    if (p) ol_part_close(p);
    /* A part of one service: the service alone needs no resource column. */
    size_t n_one = 0;
    for (size_t i = 0; i < ob.n_spans; i++)
        if (ol_slice_eq_cstr(ob.spans[i].origin->service_name, "svc-a")) spans[n_one++] = &ob.spans[i];
    p = write_part("one-service.olp", spans, n_one);
    CHECK(p != NULL);
    if (p && granules_load(&gr, p)) {
        stats_t st = {0};
        static const char *const services[] = {"svc-a", "unknown_service", "svc-b"};
        ol_slice_t k = OL_SLICE_LIT("p.str"), v = OL_SLICE_LIT("beta");
        for (size_t i = 0; i < OL_ARRAY_LEN(services); i++) {
            ol_part_span_filter_t f = {.service = ol_slice_cstr(services[i]), .status = -1};
            compare_filter(&gr, &f, &st);
            f.attr_keys = &k, f.attr_values = &v, f.n_attrs = 1;
            compare_filter(&gr, &f, &st);
        }
        run_random_filters(&gr, 100, &st);
        CHECK_EQ_INT(st.differ, 0);
        CHECK(st.hits > 0);
        granules_free(&gr);
    }
    if (p) ol_part_close(p);
    free(spans);
    ol_arena_destroy(a);
    ol_buf_free(&req);
    free(ss);
}

/* The file-reading reference (what the search did before) on a part file. */
static void test_slow_reference_agrees_on_file(void)
{
    ol_part_t *p = NULL;
    ol_err_t err = {{0}};
    if (ol_part_open(NULL, tmp_path("synthetic.olp"), &p, &err) != OL_OK) {
        CHECK(0);
        return;
    }
    ol_slice_t k = OL_SLICE_LIT("p.str"), v = OL_SLICE_LIT("alpha");
    ol_part_span_filter_t f = {.service = OL_SLICE_LIT("svc-b"), .status = -1, .attr_keys = &k, .attr_values = &v,
                               .n_attrs = 1};
    for (uint32_t g = 0; g < ol_part_info(p)->granules; g++) {
        hits_t a = {0}, b = {0};
        CHECK_EQ_INT(ol_part_spans_match_slow(p, g, &f, hits_add, &a, &err), OL_OK);
        CHECK_EQ_INT(ol_part_spans_match(p, g, &f, hits_add, &b, &err), OL_OK);
        CHECK(hits_equal(&a, &b));
        CHECK(a.n > 0);
        free(a.v);
        free(b.v);
    }
    ol_part_close(p);
}

/* ---- Timing ---- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int bench(int argc, char **argv)
{
    const char *path = argv[2];
    ol_slice_t svc = ol_slice_cstr(argc > 3 ? argv[3] : "shipping");
    ol_slice_t k = ol_slice_cstr(argc > 5 ? argv[4] : "http.route"), v = ol_slice_cstr(argc > 5 ? argv[5] : "/get-quote");
    ol_part_t *p = NULL;
    ol_err_t err = {{0}};
    if (ol_part_open(NULL, path, &p, &err) != OL_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    ol_part_span_filter_t f = {.service = svc, .status = -1, .attr_keys = &k, .attr_values = &v, .n_attrs = 1};
    uint32_t n_g = ol_part_info(p)->granules;
    bool only_columns = strcmp(argv[1], "--bench-columns") == 0;
    for (int which = only_columns; which < 2; which++) {
        int reps = which ? (only_columns ? 500 : 50) : 3;
        hits_t h = {0};
        double best = 1e18, total = 0;
        for (int r = 0; r < reps; r++) {
            h.n = 0;
            double t0 = now_ms();
            for (uint32_t g = 0; g < n_g; g++) {
                int rc = which ? ol_part_spans_match(p, g, &f, hits_add, &h, &err)
                               : ol_part_spans_match_slow(p, g, &f, hits_add, &h, &err);
                if (rc) {
                    fprintf(stderr, "granule %u: %s\n", g, err.msg);
                    return 1;
                }
            }
            double dt = now_ms() - t0;
            total += dt;
            if (dt < best) best = dt;
        }
        printf("%-8s %u granules, %llu rows: %zu traces, best %.2f ms, mean %.2f ms over %d runs\n",
               which ? "columns" : "rebuild", n_g, (unsigned long long)ol_part_info(p)->rows, h.n, best, total / reps,
               reps);
        free(h.v);
    }
    ol_part_close(p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && (strcmp(argv[1], "--bench") == 0 || strcmp(argv[1], "--bench-columns") == 0))
        return bench(argc, argv);
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-match-test-XXXXXX");
    if (!mkdtemp(g_dir)) return 1;
    RUN(test_loadgen_part);
    RUN(test_synthetic_part);
    RUN(test_slow_reference_agrees_on_file);
    unlink(tmp_path("loadgen.olp"));
    unlink(tmp_path("synthetic.olp"));
    unlink(tmp_path("one-service.olp"));
    rmdir(g_dir);
    return TEST_REPORT();
}
