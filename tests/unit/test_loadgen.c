/*
 * test_loadgen.c - the load generator: topology validation, deterministic
 * batches that decode with every span valid and look like real telemetry
 * (attribute counts, kinds, semantic-convention keys and types, children
 * inside parents, exceptions, links, one resource per service), the in-place
 * patch (fresh ids per send, consistent per trace, shifted times, path
 * independence), the --out format, the histogram, the flag parser and target
 * parsing, and both export clients against the project's own HTTP/1.1 and
 * gRPC listeners with handlers that decode what arrives and answer OK,
 * partial success or overload.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd/loadgen.h"
#include "codec/compress.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/log.h"
#include "core/util.h"
#include "loadgen/loadgen.h"
#include "net/server.h"
#include "test.h"

static ol_topology_t *topo(uint32_t n)
{
    ol_topology_t *t = NULL;
    ol_err_t err = {{0}};
    int rc = ol_topo_create_default(n, &t, &err);
    if (rc != OL_OK) fprintf(stderr, "  topology: %s\n", err.msg);
    return t;
}

static bool build(const ol_topology_t *t, uint64_t seed, uint32_t index, uint32_t n, ol_loadgen_batch_t *b)
{
    ol_err_t err = {{0}};
    if (!t || ol_loadgen_batch_build(t, seed, index, n, b, &err) != OL_OK) {
        fprintf(stderr, "  build: %s\n", err.msg);
        memset(b, 0, sizeof *b);
        return false;
    }
    return true;
}

/* Decodes into a batch whose arena the caller destroys. */
static bool decode(const uint8_t *p, size_t n, ol_arena_t **a, ol_otlp_batch_t *out)
{
    ol_err_t err = {{0}};
    *a = ol_arena_create(1 << 20, 0);
    int rc = ol_otlp_decode(OL_SIGNAL_TRACES, ol_slice(p, n), *a, out, &err);
    if (rc != OL_OK) fprintf(stderr, "  decode: %s\n", err.msg);
    return rc == OL_OK;
}

/* ---- topology ---- */

static void test_topology_default(void)
{
    ol_topology_t *t = topo(0);
    CHECK(t != NULL);
    if (!t) return;
    ol_err_t err;
    CHECK_EQ_INT(t->n_services, ol_topo_default_services());
    CHECK(t->n_services >= 12 && t->n_services <= 16);
    CHECK_EQ_INT(ol_topo_validate(t, &err), OL_OK);
    CHECK(ol_topo_find_service(t, "checkout") >= 0);
    CHECK(ol_topo_find_service(t, "postgresql") >= 0);
    CHECK(ol_topo_find_service(t, "valkey-cart") >= 0);
    CHECK(ol_topo_find_service(t, "kafka") >= 0);
    CHECK_EQ_INT(ol_topo_find_service(t, "nope"), -1);
    /* A cycle is caught. */
    int fe = -1;
    for (uint32_t i = 0; i < t->n_ops; i++)
        if (t->ops[i].kind == OL_TOPO_OP_GRPC && t->ops[i].n_calls < OL_TOPO_MAX_CALLS && fe < 0) fe = (int)i;
    CHECK(fe >= 0);
    ol_topo_op_t *o = &t->ops[fe];
    o->calls[o->n_calls++] = (ol_topo_call_t){(uint16_t)fe, 1, 1, 0, 1.0f};
    CHECK_EQ_INT(ol_topo_validate(t, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "cycle") != NULL);
    o->n_calls--;
    /* A DB op may not call further. */
    for (uint32_t i = 0; i < t->n_ops; i++)
        if (t->ops[i].kind == OL_TOPO_OP_DB) {
            t->ops[i].calls[0] = (ol_topo_call_t){(uint16_t)fe, 1, 1, 0, 1.0f};
            t->ops[i].n_calls = 1;
            CHECK_EQ_INT(ol_topo_validate(t, &err), OL_CORRUPT);
            t->ops[i].n_calls = 0;
            break;
        }
    CHECK_EQ_INT(ol_topo_validate(t, &err), OL_OK);
    ol_topo_destroy(t);
}

static void test_topology_scaled(void)
{
    ol_topology_t *t = topo(40);
    CHECK(t != NULL);
    if (!t) return;
    CHECK_EQ_INT(t->n_services, 40);
    CHECK(ol_topo_find_service(t, "svc-000") >= 0);
    CHECK(ol_topo_find_service(t, "svc-024") >= 0);
    /* Below the default it is the default. */
    ol_topology_t *s = topo(3);
    CHECK(s && s->n_services == ol_topo_default_services());
    ol_topo_destroy(s);
    ol_topology_t *big = NULL;
    ol_err_t err;
    CHECK_EQ_INT(ol_topo_create_default(100000, &big, &err), OL_LIMIT);
    /* Every generic service shows up in generated spans. */
    ol_loadgen_batch_t b;
    if (build(t, 3, 0, 20000, &b)) {
        ol_arena_t *a;
        ol_otlp_batch_t ob;
        if (decode(b.data, b.len, &a, &ob)) {
            for (uint32_t k = 0; k < 25; k++) {
                char name[16];
                snprintf(name, sizeof name, "svc-%03u", k);
                bool seen = false;
                for (size_t i = 0; i < ob.n_origins && !seen; i++)
                    seen = ol_slice_eq_cstr(ob.origins[i].service_name, name);
                if (!seen) fprintf(stderr, "  %s never appears\n", name);
                CHECK(seen);
            }
        }
        ol_arena_destroy(a);
        ol_loadgen_batch_free(&b);
    }
    ol_topo_destroy(t);
}

/* ---- batches ---- */

static void test_rng(void)
{
    ol_loadgen_rng_t a, b;
    ol_loadgen_rng_seed(&a, 42);
    ol_loadgen_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++) CHECK(ol_loadgen_rng_next(&a) == ol_loadgen_rng_next(&b));
    ol_loadgen_rng_seed(&b, 43);
    CHECK(ol_loadgen_rng_next(&a) != ol_loadgen_rng_next(&b));
    /* The log-normal's median is the median asked for. */
    int below = 0;
    for (int i = 0; i < 20000; i++) below += ol_loadgen_rng_lognormal(&a, 5.0, 0.8) < 5.0;
    CHECK(below > 9400 && below < 10600);
    for (int i = 0; i < 1000; i++) CHECK(ol_loadgen_rng_below(&a, 7) < 7);
}

static void test_deterministic(void)
{
    ol_topology_t *t = topo(0);
    ol_loadgen_batch_t a, b, c, d;
    CHECK(build(t, 7, 3, 2000, &a));
    CHECK(build(t, 7, 3, 2000, &b));
    CHECK(build(t, 8, 3, 2000, &c));
    CHECK(build(t, 7, 4, 2000, &d));
    CHECK(a.len == b.len && a.len && memcmp(a.data, b.data, a.len) == 0);
    CHECK(a.n_tid == b.n_tid && a.n_time == b.n_time &&
          memcmp(a.offs, b.offs, ((size_t)a.n_tid + a.n_time) * 4) == 0);
    CHECK(c.len != a.len || memcmp(a.data, c.data, a.len) != 0);
    CHECK(d.len != a.len || memcmp(a.data, d.data, a.len) != 0);
    CHECK_EQ_INT(a.n_spans, 2000);
    /* Realistic size on the wire: a few hundred bytes per span. */
    double per = (double)a.len / a.n_spans;
    if (per < 250 || per > 650) fprintf(stderr, "  %.1f bytes/span\n", per);
    CHECK(per >= 250 && per <= 650);
    ol_loadgen_batch_free(&a);
    ol_loadgen_batch_free(&b);
    ol_loadgen_batch_free(&c);
    ol_loadgen_batch_free(&d);
    ol_topo_destroy(t);
}

static int count_kv(void *ud, ol_slice_t key, ol_slice_t v)
{
    (void)key;
    (void)v;
    (*(int *)ud)++;
    return OL_OK;
}

static void test_decodes_valid(void)
{
    ol_topology_t *t = topo(0), *t2 = topo(30);
    static const uint32_t sizes[] = {1, 2, 7, 100, 2000, 5000};
    for (size_t k = 0; k < OL_ARRAY_LEN(sizes); k++) {
        for (uint32_t idx = 0; idx < 3; idx++) {
            ol_loadgen_batch_t b;
            if (!build(k % 2 ? t2 : t, 11 + k, idx, sizes[k], &b)) {
                CHECK(0);
                continue;
            }
            ol_arena_t *a;
            ol_otlp_batch_t ob;
            CHECK(decode(b.data, b.len, &a, &ob));
            CHECK_EQ_INT(ob.n_spans, sizes[k]);
            CHECK_EQ_INT(ob.n_rejected, 0);
            uint32_t links = 0, events = 0;
            for (size_t i = 0; i < ob.n_spans; i++) {
                CHECK(ob.spans[i].valid);
                CHECK(ob.spans[i].end_ns >= ob.spans[i].start_ns);
                CHECK(ob.spans[i].origin->service_name.len > 0);
                int n = 0;
                ol_otlp_each_attribute(ob.spans[i].raw, 9, count_kv, &n);
                if (n < 5 || n > 30) fprintf(stderr, "  span %.*s has %d attributes\n", (int)ob.spans[i].name.len,
                                             (const char *)ob.spans[i].name.ptr, n);
                CHECK(n >= 5 && n <= 30);
                ol_pb_reader_t r;
                ol_pb_field_value_t f;
                ol_pb_reader_init(&r, ob.spans[i].raw);
                while (ol_pb_next(&r, &f) == OL_OK) {
                    links += f.number == 13;
                    events += f.number == 11;
                }
            }
            /* Every trace id (spans and links) and every timestamp (start, end, events) was recorded. */
            CHECK_EQ_INT(b.n_tid, sizes[k] + links);
            CHECK_EQ_INT(b.n_time, 2 * sizes[k] + events);
            for (size_t i = 0; i < ob.n_origins; i++) {
                int n = 0;
                ol_otlp_each_attribute(ob.origins[i].resource, 1, count_kv, &n);
                CHECK(n >= 10 && n <= 20);
                /* One ResourceSpans per service. */
                for (size_t j = 0; j < ob.n_origins; j++)
                    if (ol_slice_eq(ob.origins[i].service_name, ob.origins[j].service_name))
                        CHECK(ob.origins[i].resource_index == ob.origins[j].resource_index);
            }
            ol_arena_destroy(a);
            ol_loadgen_batch_free(&b);
        }
    }
    ol_topo_destroy(t);
    ol_topo_destroy(t2);
}

/* Index of spans by span id for parent and link lookups. */
static const ol_otlp_span_t *g_sorted_base;
static int cmp_span_id(const void *x, const void *y)
{
    const ol_otlp_span_t *a = &g_sorted_base[*(const uint32_t *)x], *b = &g_sorted_base[*(const uint32_t *)y];
    return memcmp(a->span_id.ptr, b->span_id.ptr, 8);
}
static const ol_otlp_span_t *find_span(const ol_otlp_batch_t *ob, const uint32_t *idx, ol_slice_t id)
{
    size_t lo = 0, hi = ob->n_spans;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = memcmp(ob->spans[idx[mid]].span_id.ptr, id.ptr, 8);
        if (c == 0) return &ob->spans[idx[mid]];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

typedef struct keyset {
    const char *want[32];
    uint8_t want_type[32]; /* expected AnyValue tag byte, 0 = any */
    bool seen[32];
    int n;
} keyset_t;

static int note_key(void *ud, ol_slice_t key, ol_slice_t v)
{
    keyset_t *ks = ud;
    for (int i = 0; i < ks->n; i++)
        if (ol_slice_eq_cstr(key, ks->want[i]) && v.len && (!ks->want_type[i] || v.ptr[0] == ks->want_type[i]))
            ks->seen[i] = true;
    return OL_OK;
}

static void test_semantics(void)
{
    ol_topology_t *t = topo(0);
    ol_loadgen_batch_t b;
    if (!build(t, 1, 0, 5000, &b)) {
        CHECK(0);
        ol_topo_destroy(t);
        return;
    }
    ol_arena_t *a;
    ol_otlp_batch_t ob;
    CHECK(decode(b.data, b.len, &a, &ob));
    uint32_t *idx = malloc(ob.n_spans * sizeof *idx);
    for (uint32_t i = 0; i < ob.n_spans; i++) idx[i] = i;
    g_sorted_base = ob.spans;
    qsort(idx, ob.n_spans, sizeof *idx, cmp_span_id);
    for (size_t i = 1; i < ob.n_spans; i++)
        CHECK(memcmp(ob.spans[idx[i - 1]].span_id.ptr, ob.spans[idx[i]].span_id.ptr, 8) != 0);

    keyset_t ks = {.n = 0};
    static const struct { const char *k; uint8_t tag; } want[] = {
        {"http.request.method", 0x0a}, {"http.route", 0x0a}, {"url.full", 0x0a},
        {"http.response.status_code", 0x18}, {"server.address", 0x0a}, {"network.peer.address", 0x0a},
        {"user_agent.original", 0x0a}, {"db.system.name", 0x0a}, {"db.query.text", 0x0a},
        {"db.collection.name", 0x0a}, {"rpc.system", 0x0a}, {"rpc.service", 0x0a}, {"rpc.method", 0x0a},
        {"messaging.system", 0x0a}, {"messaging.destination.name", 0x0a}, {"app.user.id", 0x0a},
        {"session.id", 0x0a}, {"app.order.id", 0x0a}, {"app.cart.items", 0x18}, {"app.payment.amount", 0x21},
        {"app.synthetic_request", 0x10}, {"code.function.name", 0x0a}, {"error.type", 0x0a},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(want); i++) {
        ks.want[ks.n] = want[i].k;
        ks.want_type[ks.n++] = want[i].tag;
    }
    int kinds[6] = {0}, with_parent = 0, parent_found = 0, errors = 0, exceptions = 0, links_ok = 0, links = 0;
    for (size_t i = 0; i < ob.n_spans; i++) {
        const ol_otlp_span_t *s = &ob.spans[i];
        if (s->kind >= 1 && s->kind <= 5) kinds[s->kind]++;
        ol_otlp_each_attribute(s->raw, 9, note_key, &ks);
        errors += s->status_code == 2;
        if (s->parent_span_id.len) {
            with_parent++;
            const ol_otlp_span_t *p = find_span(&ob, idx, s->parent_span_id);
            if (p) {
                parent_found++;
                CHECK(ol_slice_eq(p->trace_id, s->trace_id));
                if (!(p->start_ns <= s->start_ns && s->end_ns <= p->end_ns))
                    fprintf(stderr, "  %.*s outside its parent %.*s\n", (int)s->name.len, (const char *)s->name.ptr,
                            (int)p->name.len, (const char *)p->name.ptr);
                CHECK(p->start_ns <= s->start_ns && s->end_ns <= p->end_ns);
            }
        }
        ol_pb_reader_t r, er;
        ol_pb_field_value_t f, ef;
        ol_pb_reader_init(&r, s->raw);
        while (ol_pb_next(&r, &f) == OL_OK) {
            if (f.number == 11) {
                ol_slice_t name = OL_SLICE_NULL;
                uint64_t time = 0;
                ol_pb_reader_init(&er, f.bytes);
                while (ol_pb_next(&er, &ef) == OL_OK) {
                    if (ef.number == 1) time = ef.u64;
                    if (ef.number == 2) name = ef.bytes;
                }
                CHECK(time >= s->start_ns && time <= s->end_ns);
                if (ol_slice_eq_cstr(name, "exception")) {
                    keyset_t ex = {.want = {"exception.type", "exception.message", "exception.stacktrace"}, .n = 3};
                    ol_otlp_each_attribute(f.bytes, 3, note_key, &ex);
                    CHECK(ex.seen[0] && ex.seen[1] && ex.seen[2]);
                    CHECK(s->status_code == 2);
                    exceptions++;
                }
            } else if (f.number == 13) {
                links++;
                ol_slice_t tid = OL_SLICE_NULL, sid = OL_SLICE_NULL;
                ol_pb_reader_init(&er, f.bytes);
                while (ol_pb_next(&er, &ef) == OL_OK) {
                    if (ef.number == 1) tid = ef.bytes;
                    if (ef.number == 2) sid = ef.bytes;
                }
                CHECK(s->kind == 5 && s->parent_span_id.len == 0);
                const ol_otlp_span_t *p = sid.len == 8 ? find_span(&ob, idx, sid) : NULL;
                if (p) {
                    links_ok++;
                    CHECK(ol_slice_eq(p->trace_id, tid));
                    CHECK(p->kind == 4);
                    CHECK(!ol_slice_eq(p->trace_id, s->trace_id));
                }
            }
        }
    }
    for (int k = 1; k <= 5; k++) {
        if (!kinds[k]) fprintf(stderr, "  no span of kind %d\n", k);
        CHECK(kinds[k] > 0);
    }
    for (int i = 0; i < ks.n; i++) {
        if (!ks.seen[i]) fprintf(stderr, "  attribute %s never seen with its type\n", ks.want[i]);
        CHECK(ks.seen[i]);
    }
    CHECK(with_parent > (int)ob.n_spans * 8 / 10);
    CHECK_EQ_INT(parent_found, with_parent); /* parents precede children, so a cut batch keeps them */
    CHECK(errors > 0 && exceptions > 0);
    CHECK(links > 0 && links_ok > 0);
    free(idx);
    ol_arena_destroy(a);
    ol_loadgen_batch_free(&b);
    ol_topo_destroy(t);
}

/* ---- patching ---- */

static void test_patch(void)
{
    ol_topology_t *t = topo(0);
    ol_loadgen_batch_t b;
    if (!build(t, 5, 1, 3000, &b)) {
        CHECK(0);
        ol_topo_destroy(t);
        return;
    }
    uint8_t *orig = malloc(b.len);
    memcpy(orig, b.data, b.len);
    ol_arena_t *a0, *a1;
    ol_otlp_batch_t o0, o1;
    CHECK(decode(orig, b.len, &a0, &o0));
    uint64_t target_end = 1900000000000000000ull;
    ol_loadgen_batch_patch(&b, 5, target_end);
    uint8_t *p5 = malloc(b.len);
    memcpy(p5, b.data, b.len);
    CHECK(decode(p5, b.len, &a1, &o1));
    CHECK_EQ_INT(o1.n_spans, o0.n_spans);
    uint64_t mask = ol_loadgen_mask(5), delta = target_end - b.max_end_ns, max_end = 0;
    CHECK(mask != 0);
    bool ids_ok = true, times_ok = true, same_trace_ok = true;
    for (size_t i = 0; i < o1.n_spans; i++) {
        const ol_otlp_span_t *x = &o0.spans[i], *y = &o1.spans[i];
        CHECK(y->valid);
        ids_ok &= memcmp(x->trace_id.ptr, y->trace_id.ptr, 8) == 0 &&
                  (ol_load_le64(x->trace_id.ptr + 8) ^ mask) == ol_load_le64(y->trace_id.ptr + 8);
        ids_ok &= ol_slice_eq(x->span_id, y->span_id) && ol_slice_eq(x->parent_span_id, y->parent_span_id);
        times_ok &= y->start_ns == x->start_ns + delta && y->end_ns == x->end_ns + delta;
        if (y->end_ns > max_end) max_end = y->end_ns;
        /* Spans that shared a trace id still do, and different ones stay different. */
        if (i > 0) same_trace_ok &= ol_slice_eq(o0.spans[i - 1].trace_id, x->trace_id) ==
                                    ol_slice_eq(o1.spans[i - 1].trace_id, y->trace_id);
    }
    CHECK(ids_ok);
    CHECK(times_ok);
    CHECK(same_trace_ok);
    CHECK(max_end == target_end);
    /* Only the recorded bytes changed. */
    size_t changed = 0;
    for (size_t i = 0; i < b.len; i++) changed += orig[i] != p5[i];
    CHECK(changed > 0 && changed <= (size_t)b.n_tid * 8 + (size_t)b.n_time * 8);
    /* Links follow their trace: every link's trace id is a span's trace id after patching too. */
    int link_hits = 0;
    for (size_t i = 0; i < o1.n_spans; i++) {
        ol_pb_reader_t r, lr;
        ol_pb_field_value_t f, lf;
        ol_pb_reader_init(&r, o1.spans[i].raw);
        while (ol_pb_next(&r, &f) == OL_OK) {
            if (f.number != 13) continue;
            ol_pb_reader_init(&lr, f.bytes);
            while (ol_pb_next(&lr, &lf) == OL_OK)
                if (lf.number == 1)
                    for (size_t j = 0; j < o1.n_spans; j++)
                        if (ol_slice_eq(o1.spans[j].trace_id, lf.bytes)) {
                            link_hits++;
                            break;
                        }
        }
    }
    CHECK(link_hits > 0);
    /* Path independence: 5 -> 9 -> 5 is 5; 0 at the built end is the original. */
    ol_loadgen_batch_patch(&b, 9, target_end + 12345);
    CHECK(memcmp(b.data, p5, b.len) != 0);
    ol_loadgen_batch_patch(&b, 5, target_end);
    CHECK(memcmp(b.data, p5, b.len) == 0);
    ol_loadgen_batch_patch(&b, 0, b.max_end_ns);
    CHECK(memcmp(b.data, orig, b.len) == 0);
    /* A clone patches independently and shares the offsets. */
    ol_loadgen_batch_t c;
    CHECK_EQ_INT(ol_loadgen_batch_clone(&b, &c), OL_OK);
    CHECK(c.offs == b.offs && c.shared_offs && c.data != b.data);
    ol_loadgen_batch_patch(&c, 5, target_end);
    CHECK(memcmp(c.data, p5, b.len) == 0);
    CHECK(memcmp(b.data, orig, b.len) == 0);
    ol_loadgen_batch_free(&c);
    /* Distinct send ids give disjoint trace-id sets (16-byte ids compared). */
    ol_loadgen_batch_patch(&b, 1000001, target_end);
    bool disjoint = true;
    for (size_t i = 0; i < o1.n_spans && disjoint; i += 37) {
        for (size_t k = 0; k < b.n_tid; k++)
            if (memcmp(b.data + b.offs[k], o1.spans[i].trace_id.ptr, 16) == 0) disjoint = false;
    }
    CHECK(disjoint);
    free(orig);
    free(p5);
    ol_arena_destroy(a0);
    ol_arena_destroy(a1);
    ol_loadgen_batch_free(&b);
    ol_topo_destroy(t);
}

/* ---- --out ---- */

static void test_out_format(void)
{
    ol_topology_t *t = topo(0);
    ol_loadgen_batch_t bs[2];
    CHECK(build(t, 2, 0, 300, &bs[0]));
    CHECK(build(t, 2, 1, 300, &bs[1]));
    char path[] = "/tmp/olly-loadgen-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    uint64_t bytes = 0, end = 1800000000000000000ull;
    ol_err_t err;
    CHECK_EQ_INT(ol_loadgen_write_records(f, bs, 2, 5, end, &bytes, &err), OL_OK);
    fclose(f);
    size_t n = 0;
    f = fopen(path, "rb");
    uint8_t *file = malloc(bytes + 1);
    if (f) {
        n = fread(file, 1, bytes + 1, f);
        fclose(f);
    }
    CHECK_EQ_INT(n, bytes);
    size_t pos = 0;
    ol_slice_t rec, recs[5];
    int k = 0;
    while (ol_loadgen_out_next(ol_slice(file, n), &pos, &rec) == OL_OK && k < 6) {
        if (k < 5) recs[k] = rec;
        k++;
    }
    CHECK_EQ_INT(k, 5);
    CHECK_EQ_INT(pos, n);
    for (int i = 0; i < 5 && k == 5; i++) {
        /* Record i is batch i % 2 patched with send id i / 2. */
        ol_loadgen_batch_patch(&bs[i % 2], (uint64_t)i / 2, end);
        CHECK(recs[i].len == bs[i % 2].len && memcmp(recs[i].ptr, bs[i % 2].data, recs[i].len) == 0);
        ol_arena_t *a;
        ol_otlp_batch_t ob;
        CHECK(decode(recs[i].ptr, recs[i].len, &a, &ob));
        CHECK_EQ_INT(ob.n_spans, 300);
        CHECK_EQ_INT(ob.n_rejected, 0);
        ol_arena_destroy(a);
    }
    /* Repetitions of one batch carry different trace ids. */
    if (k == 5) CHECK(memcmp(recs[0].ptr + bs[0].offs[0], recs[2].ptr + bs[0].offs[0], 16) != 0);
    /* A cut file is corrupt, not silently short. */
    pos = 0;
    int rc;
    while ((rc = ol_loadgen_out_next(ol_slice(file, n - 1), &pos, &rec)) == OL_OK) {
    }
    CHECK_EQ_INT(rc, OL_CORRUPT);
    pos = 0;
    CHECK_EQ_INT(ol_loadgen_out_next(ol_slice(file, 3), &pos, &rec), OL_CORRUPT);
    unlink(path);
    free(file);

    /* Through the driver: --out with --requests. */
    ol_loadgen_options_t o;
    ol_loadgen_options_default(&o);
    o.spans_per_request = 50;
    o.batches = 3;
    o.requests = 7;
    o.out = path;
    ol_loadgen_report_t *r = calloc(1, sizeof *r);
    CHECK_EQ_INT(ol_loadgen_run(&o, r, &err), OL_OK);
    CHECK_EQ_INT(r->out_records, 7);
    CHECK_EQ_INT(r->spans_sent, 350);
    f = fopen(path, "rb");
    file = realloc(NULL, r->out_bytes + 1);
    n = f ? fread(file, 1, r->out_bytes + 1, f) : 0;
    if (f) fclose(f);
    CHECK_EQ_INT(n, r->out_bytes);
    pos = 0;
    k = 0;
    while (ol_loadgen_out_next(ol_slice(file, n), &pos, &rec) == OL_OK) k++;
    CHECK_EQ_INT(k, 7);
    unlink(path);
    free(file);
    free(r);
    ol_loadgen_batch_free(&bs[0]);
    ol_loadgen_batch_free(&bs[1]);
    ol_topo_destroy(t);
}

/* ---- histogram, flags, targets ---- */

static void test_hist(void)
{
    ol_loadgen_hist_t *h = calloc(1, sizeof *h), *g = calloc(1, sizeof *g);
    CHECK(ol_loadgen_hist_quantile(h, 0.5) == 0);
    for (uint64_t v = 1; v <= 10000; v++) ol_loadgen_hist_add(v % 2 ? h : g, v * 10);
    ol_loadgen_hist_merge(h, g);
    CHECK_EQ_INT(h->count, 10000);
    CHECK_EQ_INT(h->max_us, 100000);
    double p50 = ol_loadgen_hist_quantile(h, 0.5), p99 = ol_loadgen_hist_quantile(h, 0.99);
    CHECK(p50 > 50000 * 0.98 && p50 < 50000 * 1.02);
    CHECK(p99 > 99000 * 0.98 && p99 < 99000 * 1.02);
    CHECK(ol_loadgen_hist_quantile(h, 1.0) <= 100000);
    memset(h, 0, sizeof *h);
    ol_loadgen_hist_add(h, 37);
    CHECK(ol_loadgen_hist_quantile(h, 0.99) == 37); /* exact below 128 us */
    ol_loadgen_hist_add(h, UINT64_MAX / 2);        /* clamps, no overflow */
    CHECK(h->count == 2);
    free(h);
    free(g);
}

static int parse(ol_loadgen_options_t *o, bool *json, ol_err_t *err, int argc, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, argc);
    argv[0] = "loadgen";
    for (int i = 1; i < argc; i++) argv[i] = va_arg(ap, char *);
    va_end(ap);
    return ol_cmd_loadgen_parse(argc, argv, o, json, err);
}

static void test_flags(void)
{
    ol_loadgen_options_t o;
    bool json = false;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(parse(&o, &json, &err, 1), 0);
    CHECK(o.protocol == OL_LOADGEN_HTTP && o.connections == 2 && o.spans_per_request == 2000 && o.batches == 64);
    CHECK(o.duration_s == 10 && o.requests == 0 && o.rate == 0 && !o.gzip && !o.out && !json);
    CHECK_EQ_INT(o.services, ol_topo_default_services());
    CHECK_EQ_INT(parse(&o, &json, &err, 13, "--protocol", "grpc", "--connections=8", "--gzip", "--json", "--rate",
                       "50000", "--requests", "100", "--seed", "9", "--services=30"),
                 0);
    CHECK(o.protocol == OL_LOADGEN_GRPC && o.connections == 8 && o.gzip && json && o.rate == 50000);
    CHECK(o.requests == 100 && o.seed == 9 && o.services == 30);
    CHECK_EQ_INT(parse(&o, &json, &err, 2, "--help"), 1);
    CHECK_EQ_INT(parse(&o, &json, &err, 2, "--bogus"), -1);
    CHECK(strstr(err.msg, "--bogus") != NULL);
    CHECK_EQ_INT(parse(&o, &json, &err, 5, "--duration", "3", "--requests", "4"), -1);
    CHECK_EQ_INT(parse(&o, &json, &err, 3, "--protocol", "udp"), -1);
    CHECK_EQ_INT(parse(&o, &json, &err, 3, "--connections", "-1"), -1);
    CHECK_EQ_INT(parse(&o, &json, &err, 3, "--connections", "0"), -1);
    CHECK_EQ_INT(parse(&o, &json, &err, 3, "--duration", "abc"), -1);
    CHECK_EQ_INT(parse(&o, &json, &err, 2, "--batches"), -1);
    CHECK_EQ_INT(parse(&o, &json, &err, 2, "--gzip=1"), -1);
    CHECK_EQ_INT(parse(&o, &json, &err, 5, "--batches", "1000", "--spans-per-request", "1000000"), -1);
    CHECK_EQ_INT(parse(&o, &json, &err, 5, "--out", "/tmp/x", "--target", "http://h:1"), -1);
}

static void test_targets(void)
{
    ol_loadgen_target_t t;
    ol_err_t err;
    CHECK_EQ_INT(ol_loadgen_target_parse("http://127.0.0.1:4318", OL_LOADGEN_HTTP, &t, &err), OL_OK);
    CHECK(strcmp(t.host, "127.0.0.1") == 0 && strcmp(t.port, "4318") == 0 && strcmp(t.path, "/v1/traces") == 0);
    CHECK(strcmp(t.authority, "127.0.0.1:4318") == 0);
    CHECK_EQ_INT(ol_loadgen_target_parse("localhost/otlp/v1/traces", OL_LOADGEN_HTTP, &t, &err), OL_OK);
    CHECK(strcmp(t.host, "localhost") == 0 && strcmp(t.port, "4318") == 0 && strcmp(t.path, "/otlp/v1/traces") == 0);
    CHECK_EQ_INT(ol_loadgen_target_parse("[::1]:9", OL_LOADGEN_GRPC, &t, &err), OL_OK);
    CHECK(strcmp(t.host, "::1") == 0 && strcmp(t.port, "9") == 0 && strcmp(t.authority, "[::1]:9") == 0);
    CHECK(strcmp(t.path, "/opentelemetry.proto.collector.trace.v1.TraceService/Export") == 0);
    CHECK_EQ_INT(ol_loadgen_target_parse("h", OL_LOADGEN_GRPC, &t, &err), OL_OK);
    CHECK(strcmp(t.port, "4317") == 0);
    CHECK_EQ_INT(ol_loadgen_target_parse("https://h:1", OL_LOADGEN_HTTP, &t, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_loadgen_target_parse("h:1/x", OL_LOADGEN_GRPC, &t, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_loadgen_target_parse("h:99999", OL_LOADGEN_HTTP, &t, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_loadgen_target_parse("h:", OL_LOADGEN_HTTP, &t, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_loadgen_target_parse(":80", OL_LOADGEN_HTTP, &t, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_loadgen_target_parse("h:80?x", OL_LOADGEN_HTTP, &t, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_loadgen_target_parse("[::1", OL_LOADGEN_HTTP, &t, &err), OL_CORRUPT);
}

static void test_export_response(void)
{
    int64_t rej;
    ol_slice_t msg;
    CHECK_EQ_INT(ol_loadgen_parse_export_response(OL_SLICE_NULL, &rej, &msg), OL_OK);
    CHECK(rej == 0 && msg.len == 0);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    size_t m = ol_pb_begin(&b, 1);
    ol_pb_put_uint(&b, 1, 17);
    ol_pb_put_bytes(&b, 2, OL_SLICE_LIT("bad spans"));
    ol_pb_end(&b, m);
    CHECK_EQ_INT(ol_loadgen_parse_export_response(ol_buf_slice(&b), &rej, &msg), OL_OK);
    CHECK(rej == 17 && ol_slice_eq_cstr(msg, "bad spans"));
    CHECK_EQ_INT(ol_loadgen_parse_export_response(ol_slice(b.data, b.len - 1), &rej, &msg), OL_CORRUPT);
    ol_buf_free(&b);
}

/* ---- clients against the project's own listeners ---- */

enum { MODE_OK, MODE_PARTIAL, MODE_OVERLOAD };
static _Atomic int g_mode;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *g_ids;      /* trace id + span id (24 bytes) of every span received */
static size_t g_n_ids, g_cap_ids;
static _Atomic int g_bad_requests, g_gzip_requests;

/* Decodes a received request; records ids. Returns the span count or -1. */
static int receive(ol_slice_t body, bool gz)
{
    ol_buf_t plain;
    ol_buf_init(&plain, OL_MEM_CORE, 0);
    ol_err_t err;
    if (gz) {
        atomic_fetch_add(&g_gzip_requests, 1);
        if (ol_decompress(OL_ENC_GZIP, body, 64 << 20, &plain, &err) != OL_OK) {
            ol_buf_free(&plain);
            return -1;
        }
        body = ol_buf_slice(&plain);
    }
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    ol_otlp_batch_t ob;
    int n = -1;
    if (ol_otlp_decode(OL_SIGNAL_TRACES, body, a, &ob, &err) == OL_OK && ob.n_rejected == 0) {
        n = (int)ob.n_spans;
        pthread_mutex_lock(&g_mu);
        if (g_n_ids + ob.n_spans > g_cap_ids) {
            g_cap_ids = (g_n_ids + ob.n_spans) * 2;
            g_ids = realloc(g_ids, g_cap_ids * 24);
        }
        for (size_t i = 0; i < ob.n_spans; i++) {
            memcpy(g_ids + (g_n_ids + i) * 24, ob.spans[i].trace_id.ptr, 16);
            memcpy(g_ids + (g_n_ids + i) * 24 + 16, ob.spans[i].span_id.ptr, 8);
        }
        g_n_ids += ob.n_spans;
        pthread_mutex_unlock(&g_mu);
    }
    ol_arena_destroy(a);
    ol_buf_free(&plain);
    if (n < 0) atomic_fetch_add(&g_bad_requests, 1);
    return n;
}

static void put_partial(ol_buf_t *b, int rejected)
{
    size_t m = ol_pb_begin(b, 1);
    ol_pb_put_uint(b, 1, (uint64_t)rejected);
    ol_pb_put_bytes(b, 2, OL_SLICE_LIT("3 spans too old"));
    ol_pb_end(b, m);
}

static void lg_http(void *ud, const ol_http_request_t *req, ol_http_response_t *res)
{
    ol_slice_t ce = ol_http_header_get(req->headers, req->n_headers, "content-encoding");
    int n = receive(req->body, ol_slice_eq_cstr(ce, "gzip"));
    ol_http_response_header(res, "Content-Type", "application/x-protobuf");
    if (n < 0) {
        res->status = 400;
        return;
    }
    int mode = atomic_load(&g_mode);
    if (mode == MODE_OVERLOAD) {
        res->status = 429;
        ol_http_response_header(res, "Retry-After", "0");
        ol_pb_put_bytes(&res->body, 2, OL_SLICE_LIT("slow down"));
        return;
    }
    res->status = 200;
    if (mode == MODE_PARTIAL) put_partial(&res->body, 3);
}

static void lg_grpc(void *ud, const ol_grpc_call_t *call, ol_grpc_reply_t *reply)
{
    int n = call->message_status == OL_OK ? receive(call->message, call->compressed) : -1;
    if (n < 0) {
        reply->status = OL_GRPC_INVALID_ARGUMENT;
        return;
    }
    int mode = atomic_load(&g_mode);
    if (mode == MODE_OVERLOAD) {
        reply->status = OL_GRPC_UNAVAILABLE;
        snprintf(reply->message, sizeof reply->message, "slow down");
        return;
    }
    if (mode == MODE_PARTIAL) put_partial(&reply->response, 3);
}

static int cmp24(const void *a, const void *b) { return memcmp(a, b, 24); }

static size_t duplicates(void)
{
    qsort(g_ids, g_n_ids, 24, cmp24);
    size_t d = 0;
    for (size_t i = 1; i < g_n_ids; i++) d += memcmp(g_ids + (i - 1) * 24, g_ids + i * 24, 24) == 0;
    return d;
}

static void test_clients(void)
{
    ol_server_t *s = NULL;
    CHECK_EQ_INT(ol_server_create(&s, 64), OL_OK);
    ol_listener_config_t h = {.name = "lg-http", .addr = "127.0.0.1:0", .proto = OL_PROTO_HTTP1, .http = lg_http,
                              .max_body = 64 << 20};
    ol_listener_config_t g = {.name = "lg-grpc", .addr = "127.0.0.1:0", .proto = OL_PROTO_GRPC, .grpc = lg_grpc,
                              .max_body = 64 << 20};
    ol_err_t err = {{0}};
    int hi = ol_server_listen(s, &h, &err), gi = ol_server_listen(s, &g, &err);
    CHECK(hi >= 0 && gi >= 0);
    if (hi < 0 || gi < 0 || ol_server_start(s) != OL_OK) {
        ol_server_destroy(s);
        return;
    }
    char http_url[64], grpc_url[64];
    snprintf(http_url, sizeof http_url, "http://127.0.0.1:%d", ol_server_port(s, hi));
    snprintf(grpc_url, sizeof grpc_url, "127.0.0.1:%d", ol_server_port(s, gi));

    ol_topology_t *t = topo(0);
    ol_loadgen_batch_t b;
    CHECK(build(t, 4, 0, 400, &b));
    for (int proto = 0; proto < 2; proto++) {
        for (int gz = 0; gz < 2; gz++) {
            ol_loadgen_target_t tg;
            CHECK_EQ_INT(ol_loadgen_target_parse(proto ? grpc_url : http_url, (ol_loadgen_proto_t)proto, &tg, &err),
                         OL_OK);
            ol_loadgen_client_t *c = NULL;
            CHECK_EQ_INT(ol_loadgen_client_create(&tg, gz, &c), OL_OK);
            CHECK_EQ_INT(ol_loadgen_client_connect(c, &err), OL_OK);
            ol_loadgen_result_t res;
            for (int mode = 0; mode < 3; mode++) {
                atomic_store(&g_mode, mode);
                /* Twice per mode on one connection: keep-alive / stream reuse. */
                for (int rep = 0; rep < 2; rep++) {
                    ol_loadgen_batch_patch(&b, (uint64_t)(proto * 100 + gz * 10 + mode * 2 + rep + 1), 1);
                    int rc = ol_loadgen_client_export(c, ol_slice(b.data, b.len), &res);
                    if (rc != OL_OK) fprintf(stderr, "  export failed: %s\n", res.message);
                    CHECK_EQ_INT(rc, OL_OK);
                    CHECK(res.answered);
                    CHECK(res.wire_bytes > 0 && (gz ? res.wire_bytes < b.len : res.wire_bytes == b.len));
                    if (mode == MODE_OK) {
                        CHECK(res.ok && !res.backoff && res.rejected == 0);
                        CHECK_EQ_INT(res.status, proto ? 0 : 200);
                    } else if (mode == MODE_PARTIAL) {
                        CHECK(res.ok && res.rejected == 3);
                        CHECK(strstr(res.message, "too old") != NULL);
                    } else {
                        CHECK(!res.ok && res.backoff);
                        CHECK_EQ_INT(res.status, proto ? 14 : 429);
                        CHECK(strstr(res.message, "slow down") != NULL);
                    }
                }
            }
            ol_loadgen_client_destroy(c);
        }
    }
    CHECK_EQ_INT(atomic_load(&g_bad_requests), 0);
    CHECK_EQ_INT(atomic_load(&g_gzip_requests), 12);
    CHECK_EQ_INT(g_n_ids, 24 * 400);
    CHECK_EQ_INT(duplicates(), 0);

    /* The whole driver, both protocols, several connections sharing fewer batches. */
    atomic_store(&g_mode, MODE_PARTIAL);
    g_n_ids = 0;
    for (int proto = 0; proto < 2; proto++) {
        ol_loadgen_options_t o;
        ol_loadgen_options_default(&o);
        o.protocol = (ol_loadgen_proto_t)proto;
        o.target = proto ? grpc_url : http_url;
        o.connections = 3;
        o.batches = 2;
        o.spans_per_request = 150;
        o.requests = 9;
        o.gzip = proto == 1;
        ol_loadgen_report_t *r = calloc(1, sizeof *r);
        int rc = ol_loadgen_run(&o, r, &err);
        if (rc != OL_OK) fprintf(stderr, "  run: %s\n", err.msg);
        CHECK_EQ_INT(rc, OL_OK);
        CHECK_EQ_INT(r->requests_ok, 9);
        CHECK_EQ_INT(r->requests_failed, 0);
        CHECK_EQ_INT(r->spans_sent, 9 * 150);
        CHECK_EQ_INT(r->spans_rejected, 9 * 3);
        CHECK_EQ_INT(r->spans_accepted, 9 * 147);
        CHECK_EQ_INT(r->latency.count, 9);
        ol_buf_t j;
        ol_buf_init(&j, OL_MEM_CORE, 0);
        ol_loadgen_report_json(&j, r);
        ol_buf_append_u8(&j, 0);
        CHECK(j.data && strstr((char *)j.data, "\"spans_accepted\":1323") != NULL);
        ol_buf_free(&j);
        free(r);
    }
    CHECK_EQ_INT(g_n_ids, 2 * 9 * 150);
    CHECK_EQ_INT(duplicates(), 0);

    /* Overload is counted by status, not retried. */
    atomic_store(&g_mode, MODE_OVERLOAD);
    ol_loadgen_options_t o;
    ol_loadgen_options_default(&o);
    o.target = http_url;
    o.connections = 1;
    o.batches = 1;
    o.spans_per_request = 10;
    o.requests = 3;
    ol_loadgen_report_t *r = calloc(1, sizeof *r);
    CHECK_EQ_INT(ol_loadgen_run(&o, r, &err), OL_OK);
    CHECK_EQ_INT(r->requests_ok, 0);
    CHECK_EQ_INT(r->requests_failed, 3);
    CHECK_EQ_INT(r->http_failed[429], 3);
    CHECK_EQ_INT(r->spans_accepted, 0);
    free(r);

    ol_server_stop(s, 1000);
    ol_server_destroy(s);
    /* Nobody listening: the run refuses to start. */
    r = calloc(1, sizeof *r);
    CHECK_EQ_INT(ol_loadgen_run(&o, r, &err), OL_ERR);
    CHECK(strstr(err.msg, "connect") != NULL);
    free(r);
    free(g_ids);
    ol_loadgen_batch_free(&b);
    ol_topo_destroy(t);
}

int main(void)
{
    ol_log_set_level(OL_LOG_WARN);
    RUN(test_topology_default);
    RUN(test_topology_scaled);
    RUN(test_rng);
    RUN(test_deterministic);
    RUN(test_decodes_valid);
    RUN(test_semantics);
    RUN(test_patch);
    RUN(test_out_format);
    RUN(test_hist);
    RUN(test_flags);
    RUN(test_targets);
    RUN(test_export_response);
    RUN(test_clients);
    return TEST_REPORT();
}
