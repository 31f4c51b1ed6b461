/*
 * spans.c - trace generation from a topology, ExportTraceServiceRequest
 * encoding with recorded patch offsets, and the per-send patch.
 *
 * Generation (lg_gen_*) walks the call graph depth-first and fills flat
 * arrays of span, attribute and event records; strings live in an arena that
 * dies with the batch. A span's attributes are added after its children are
 * generated, because a server span's status (and http.response.status_code)
 * depends on whether a downstream call failed; that also keeps each span's
 * attributes contiguous.
 *
 * Timing: an operation's self time is log-normal; part of it comes before the
 * first call and the rest after the last, calls run one after another (or
 * overlap for a parallel fan-out), a client span encloses the server span it
 * causes plus a network delay each way. So every child lies inside its parent.
 * A queue publish starts one new trace per consumer whose root CONSUMER span
 * links back to the PRODUCER span. A call to a language model (GENAI, only in
 * the demo topology) is a client span whose length follows its output tokens.
 *
 * The records and the generator are declared in gen.h, which `olly demo`
 * uses to generate one trace at a time with hooks; every hook call is behind
 * a NULL check and draws nothing itself, so without hooks (loadgen) the
 * random sequence and the batches are what they always were.
 *
 * Encoding (lg_enc_*) groups the spans by (service, scope) with a stable
 * counting sort and writes each level into its own buffer, then wraps it into
 * the parent with a minimal length prefix. Offsets of trace ids and
 * timestamps are recorded relative to the buffer being written; wrapping a
 * buffer at `base` adds base to every offset recorded since that buffer
 * started, so at the end they are offsets into the request.
 */
#include "loadgen/spans.h"

#include "loadgen/gen.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "codec/pb.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"

/* ---- PRNG ---- */

static uint64_t lg_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A stateless hash of a few numbers, for things fixed per (seed, service,
 * instance) whatever the batch: instance ids, pod names, pids. */
uint64_t ol_lg_hash3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = a ^ (b * 0xD6E8FEB86659FD93ull) ^ (c * 0xA0761D6478BD642Full);
    return lg_splitmix(&x);
}

void ol_loadgen_rng_seed(ol_loadgen_rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = lg_splitmix(&seed);
}

static inline uint64_t lg_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ol_loadgen_rng_next(ol_loadgen_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t out = lg_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = lg_rotl(s[3], 45);
    return out;
}

uint32_t ol_loadgen_rng_below(ol_loadgen_rng_t *r, uint32_t n)
{
    return (uint32_t)(((ol_loadgen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double ol_loadgen_rng_unit(ol_loadgen_rng_t *r) { return (double)(ol_loadgen_rng_next(r) >> 11) * 0x1.0p-53; }

double ol_loadgen_rng_lognormal(ol_loadgen_rng_t *r, double median, double sigma)
{
    double u1 = 1.0 - ol_loadgen_rng_unit(r), u2 = ol_loadgen_rng_unit(r);
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    if (z > 6) z = 6; /* keep the tail long but finite */
    return median * exp(sigma * z);
}

/* ---- records (gen.h) ---- */

typedef ol_lg_attr_t lg_attr_t;
typedef ol_lg_event_t lg_event_t;
typedef ol_lg_span_t lg_span_t;
typedef ol_lg_ctx_t lg_ctx_t;
typedef ol_lg_gen_t lg_gen_t;

enum { A_STR = OL_LG_A_STR, A_INT = OL_LG_A_INT, A_DBL = OL_LG_A_DBL, A_BOOL = OL_LG_A_BOOL, A_STRS = OL_LG_A_STRS };
enum {
    FAM_HTTP = OL_LG_FAM_HTTP,
    FAM_GRPC = OL_LG_FAM_GRPC,
    FAM_DB = OL_LG_FAM_DB,
    FAM_CACHE = OL_LG_FAM_CACHE,
    FAM_MSG = OL_LG_FAM_MSG,
    FAM_APP = OL_LG_FAM_APP,
    FAM_GENAI = OL_LG_FAM_GENAI,
    FAM__COUNT = OL_LG_FAM__COUNT
};
enum {
    KIND_INTERNAL = OL_LG_INTERNAL,
    KIND_SERVER = OL_LG_SERVER,
    KIND_CLIENT = OL_LG_CLIENT,
    KIND_PRODUCER = OL_LG_PRODUCER,
    KIND_CONSUMER = OL_LG_CONSUMER
};

#define LG_MAX_TRACE_SPANS 600

static bool lg_grow(lg_gen_t *g, void **arr, uint32_t *cap, uint32_t n, size_t elem)
{
    if (n < *cap) return true;
    uint32_t ncap = *cap ? *cap * 2 : 1024;
    void *p = ol_realloc(OL_MEM_CORE, *arr, (size_t)*cap * elem, (size_t)ncap * elem);
    if (!p) {
        g->nomem = true;
        return false;
    }
    *arr = p;
    *cap = ncap;
    return true;
}

static const char *lg_fmt(lg_gen_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *lg_fmt(lg_gen_t *g, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : OL_MIN((size_t)n, sizeof tmp - 1);
    char *s = ol_arena_alloc(g->arena, len + 1);
    if (!s) {
        g->nomem = true;
        return "";
    }
    memcpy(s, tmp, len);
    s[len] = 0;
    return s;
}

static const char *lg_uuid(lg_gen_t *g, uint64_t a, uint64_t b)
{
    return lg_fmt(g, "%08x-%04x-4%03x-%04x-%012llx", (uint32_t)(a >> 32), (uint32_t)(a >> 16) & 0xffff,
                  (uint32_t)a & 0xfff, (uint32_t)(0x8000 | ((b >> 48) & 0x3fff)),
                  (unsigned long long)(b & 0xffffffffffffull));
}

static double lg_unit(lg_gen_t *g) { return ol_loadgen_rng_unit(&g->rng); }
static uint32_t lg_below(lg_gen_t *g, uint32_t n) { return ol_loadgen_rng_below(&g->rng, n); }
static uint64_t lg_ns(lg_gen_t *g, double median_ms, double sigma)
{
    return (uint64_t)(ol_loadgen_rng_lognormal(&g->rng, median_ms, sigma) * 1e6);
}

static lg_attr_t *lg_attr(lg_gen_t *g, const char *key, uint8_t type)
{
    if (!lg_grow(g, (void **)&g->attrs, &g->cap_attrs, g->n_attrs, sizeof *g->attrs)) return NULL;
    lg_attr_t *a = &g->attrs[g->n_attrs++];
    memset(a, 0, sizeof *a);
    a->key = key;
    a->type = type;
    return a;
}
static void A_str(lg_gen_t *g, const char *key, const char *v)
{
    lg_attr_t *a = lg_attr(g, key, A_STR);
    if (a) {
        a->s = v;
        a->slen = (uint32_t)strlen(v);
    }
}
static void A_int(lg_gen_t *g, const char *key, int64_t v)
{
    lg_attr_t *a = lg_attr(g, key, A_INT);
    if (a) a->i = v;
}
static void A_dbl(lg_gen_t *g, const char *key, double v)
{
    lg_attr_t *a = lg_attr(g, key, A_DBL);
    if (a) a->d = v;
}
static void A_bool(lg_gen_t *g, const char *key, bool v)
{
    lg_attr_t *a = lg_attr(g, key, A_BOOL);
    if (a) a->i = v;
}

/* ---- vocabulary ---- */

static const char *const lg_products[][2] = {
    {"OLJCESPC7Z", "National Park Foundation Explorascope"},
    {"66VCHSJNUP", "Starsense Explorer Refractor Telescope"},
    {"1YMWWN1N4O", "Eclipsmart Travel Refractor Telescope"},
    {"L9ECAV7KIM", "Lens Cleaning Kit"},
    {"2ZYFJ3GM2N", "Roof Binoculars"},
    {"0PUK6V6EV0", "Solar System Color Imager"},
    {"LS4PSXUNUM", "Red Flashlight"},
    {"9SIQT8TOJO", "Optical Tube Assembly"},
    {"6E92ZMYYFZ", "Solar Filter"},
    {"HQTGWGPNH4", "The Comet Book"},
};
static const char *const lg_currencies[] = {"USD", "EUR", "CAD", "JPY", "GBP", "TRY", "CHF", "INR"};
static const char *const lg_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:136.0) Gecko/20100101 Firefox/136.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Mobile "
    "Safari/537.36",
    "python-requests/2.32.3",
    "locust/2.33.2",
};
static const char *const lg_cards[] = {"visa", "mastercard", "amex", "discover"};
static const char *const lg_loyalty[] = {"bronze", "silver", "gold", "platinum"};
static const char *const lg_ad_keys[] = {"telescopes", "binoculars", "accessories", "travel", "books", "assembly"};

enum { LANG_GO, LANG_NODE, LANG_JAVA, LANG_DOTNET, LANG_PYTHON, LANG_RUBY, LANG_RUST, LANG_CPP, LANG_PHP, LANG__COUNT };
static const char *const lg_lang_names[LANG__COUNT] = {"go", "nodejs", "java", "dotnet", "python",
                                                       "ruby", "rust", "cpp", "php"};
static const char *const lg_sdk_versions[LANG__COUNT] = {"1.35.0", "2.0.0", "1.48.0", "1.11.2", "1.31.1",
                                                         "1.8.0", "0.28.0", "1.19.0", "1.2.0"};
/* Instrumentation scope per language and family; NULL = the service's own tracer. */
static const char *const lg_scopes[LANG__COUNT][FAM__COUNT] = {
    [LANG_GO] = {"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
                 "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc",
                 "github.com/XSAM/otelsql",
                 "github.com/redis/go-redis/extra/redisotel", "github.com/IBM/sarama/otelsarama", NULL, NULL},
    [LANG_NODE] = {"@opentelemetry/instrumentation-http", "@opentelemetry/instrumentation-grpc",
                   "@opentelemetry/instrumentation-pg", "@opentelemetry/instrumentation-ioredis",
                   "@opentelemetry/instrumentation-kafkajs", NULL, "@opentelemetry/instrumentation-openai"},
    [LANG_JAVA] = {"io.opentelemetry.netty-4.1", "io.opentelemetry.grpc-1.6", "io.opentelemetry.jdbc",
                   "io.opentelemetry.lettuce-5.1", "io.opentelemetry.kafka-clients-0.11", NULL,
                   "io.opentelemetry.openai-java-1.1"},
    [LANG_DOTNET] = {"Microsoft.AspNetCore", "Grpc.Net.Client", "Npgsql",
                     "OpenTelemetry.Instrumentation.StackExchangeRedis", "Confluent.Kafka", NULL, NULL},
    [LANG_PYTHON] = {"opentelemetry.instrumentation.flask", "opentelemetry.instrumentation.grpc",
                     "opentelemetry.instrumentation.psycopg2", "opentelemetry.instrumentation.redis",
                     "opentelemetry.instrumentation.kafka", NULL, "opentelemetry.instrumentation.openai_v2"},
    [LANG_RUBY] = {"OpenTelemetry::Instrumentation::Sinatra", "OpenTelemetry::Instrumentation::GRPC",
                   "OpenTelemetry::Instrumentation::PG", "OpenTelemetry::Instrumentation::Redis",
                   "OpenTelemetry::Instrumentation::RubyKafka", NULL, NULL},
    [LANG_RUST] = {"opentelemetry-http", "tonic", "sqlx", "redis", "rdkafka", NULL, NULL},
    [LANG_CPP] = {"opentelemetry-cpp/http", "opentelemetry-cpp/grpc", "opentelemetry-cpp/db",
                  "opentelemetry-cpp/redis", "opentelemetry-cpp/kafka", NULL, NULL},
    [LANG_PHP] = {"io.opentelemetry.contrib.php.slim", "io.opentelemetry.contrib.php.grpc",
                  "io.opentelemetry.contrib.php.pdo", "io.opentelemetry.contrib.php.redis",
                  "io.opentelemetry.contrib.php.kafka", NULL, NULL},
};
static const char *const lg_exc_types[LANG__COUNT] = {
    "*errors.errorString", "Error", "io.grpc.StatusRuntimeException", "System.ApplicationException",
    "grpc.RpcError", "Net::ReadTimeout", "std::io::Error", "std::runtime_error", "RuntimeException"};
/* Stack trace templates; %1$s is the operation, %2$s the service. */
static const char *const lg_stacks[LANG__COUNT] = {
    "goroutine 1187 [running]:\nmain.(*%2$s).%1$s(0xc0001a4000, {0x1f3c4a0, 0xc00071e2d0}, 0xc0004b6080)\n"
    "\t/usr/src/app/main.go:312 +0x1c5\ngoogle.golang.org/grpc.(*Server).processUnaryRPC(0xc0000e6200, "
    "{0x1f41e18, 0xc0002e2000}, 0xc0004a4000)\n\t/go/pkg/mod/google.golang.org/grpc@v1.71.0/server.go:1405 "
    "+0xe1d\ngoogle.golang.org/grpc.(*Server).handleStream(0xc0000e6200)\n"
    "\t/go/pkg/mod/google.golang.org/grpc@v1.71.0/server.go:1815 +0xb4a\ncreated by "
    "google.golang.org/grpc.(*Server).serveStreams\n\t/go/pkg/mod/google.golang.org/grpc@v1.71.0/server.go:1030",
    "Error: %1$s failed\n    at %2$s.handler (/app/src/%2$s/index.js:87:13)\n    at process.processTicksAndRejections "
    "(node:internal/process/task_queues:105:5)\n    at async Server.<anonymous> (/app/node_modules/@grpc/grpc-js/"
    "build/src/server.js:1295:19)\n    at async /app/src/%2$s/tracing.js:44:7",
    "io.grpc.StatusRuntimeException: UNAVAILABLE: %1$s failed\n\tat io.grpc.stub.ClientCalls.toStatusRuntimeException"
    "(ClientCalls.java:268)\n\tat io.grpc.stub.ClientCalls.getUnchecked(ClientCalls.java:249)\n\tat "
    "oteldemo.%2$s.%1$s(%2$s.java:211)\n\tat io.grpc.stub.ServerCalls$UnaryServerCallHandler$UnaryServerCallListener"
    ".onHalfClose(ServerCalls.java:182)\n\tat io.grpc.internal.ServerImpl$JumpToApplicationThreadServerStreamListener"
    "$1HalfClosed.runInContext(ServerImpl.java:356)\n\tat java.base/java.lang.Thread.run(Thread.java:1583)",
    "System.ApplicationException: %1$s failed\n   at cart.cartstore.ValkeyCartStore.EnsureRedisConnected() in "
    "/usr/src/app/src/cartstore/ValkeyCartStore.cs:line 97\n   at cart.services.%2$s.%1$s(Request request, "
    "ServerCallContext context) in /usr/src/app/src/services/CartService.cs:line 51\n   at "
    "Grpc.Shared.Server.UnaryServerMethodInvoker`3.ResolvedInterceptorInvoker(TRequest resolvedRequest, "
    "ServerCallContext resolvedContext)",
    "Traceback (most recent call last):\n  File \"/app/%2$s_server.py\", line 73, in %1$s\n    prod_list = "
    "get_product_list(request.product_ids)\n  File \"/app/%2$s_server.py\", line 112, in get_product_list\n    "
    "cat_response = product_catalog_stub.ListProducts(demo_pb2.Empty())\ngrpc.RpcError: %1$s failed",
    "/app/%2$s.rb:34:in `%1$s': execution expired (Net::ReadTimeout)\n\tfrom /usr/local/bundle/gems/"
    "net-protocol-0.2.2/lib/net/protocol.rb:229:in `rbuf_fill'\n\tfrom /usr/local/bundle/gems/sinatra-4.1.1/lib/"
    "sinatra/base.rb:1804:in `call'",
    "Error: %1$s failed: Connection reset by peer (os error 104)\n   0: %2$s::handlers::%1$s\n             at "
    "src/handlers.rs:58:13\n   1: actix_web::handler::Handler::call\n             at "
    "/usr/local/cargo/registry/src/actix-web-4.9.0/src/handler.rs:121",
    "std::runtime_error: %1$s failed\n#0 0x55d3c1a2b4f1 in CurrencyService::%1$s(grpc::ServerContext*) "
    "/currency/src/server.cpp:152\n#1 0x55d3c1a6e2d0 in grpc::internal::RpcMethodHandler::RunHandler "
    "/grpc/include/grpcpp/impl/codegen/method_handler.h:92",
    ("RuntimeException: %1$s failed in /var/www/%2$s/app/routes.php:41\nStack trace:\n#0 "
     "/var/www/%2$s/vendor/slim/slim/Slim/Handlers/Strategies/RequestResponse.php(38): {closure}()\n#1 {main}"),
};

static int lg_lang(const char *name)
{
    for (int i = 0; i < LANG__COUNT; i++)
        if (strcmp(lg_lang_names[i], name) == 0) return i;
    return LANG_CPP;
}

/* ---- per-instance facts ---- */

static const char *lg_ip(lg_gen_t *g, uint32_t svc, uint32_t inst)
{
    uint64_t h = ol_lg_hash3(g->seed, svc, inst + 1000);
    return lg_fmt(g, "10.244.%u.%u", (unsigned)(h & 0x3f) + 1, (unsigned)((h >> 8) % 250) + 2);
}

static const char *lg_pod(lg_gen_t *g, uint32_t svc, uint32_t inst)
{
    static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
    uint64_t h = ol_lg_hash3(g->seed, svc, inst);
    char rs[10], pod[5];
    for (int i = 0; i < 10; i++, h /= 27) rs[i] = alnum[h % 27];
    h = ol_lg_hash3(g->seed ^ 0x5a5a, svc, inst);
    for (int i = 0; i < 5; i++, h /= 27) pod[i] = alnum[h % 27];
    return lg_fmt(g, "%s-%.10s-%.5s", g->t->services[svc].name, rs, pod);
}

/* ---- generation ---- */

static void lg_random_id(lg_gen_t *g, uint8_t *out, size_t n)
{
    for (;;) {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t v = ol_loadgen_rng_next(&g->rng);
            memcpy(out + i, &v, OL_MIN((size_t)8, n - i));
        }
        /* Patching XORs bytes 8..15 of trace ids, so bytes 0..7 alone keep them non-zero. */
        uint64_t lo = 0;
        memcpy(&lo, out, 8);
        if (lo) return;
    }
}

static int32_t lg_span(lg_gen_t *g, uint16_t svc, uint8_t kind, uint8_t fam, const char *name, int32_t parent,
                       uint64_t start, uint32_t op)
{
    if (!lg_grow(g, (void **)&g->spans, &g->cap_spans, g->n_spans, sizeof *g->spans)) return -1;
    lg_span_t *s = &g->spans[g->n_spans];
    memset(s, 0, sizeof *s);
    memcpy(s->trace_id, g->trace_id, 16);
    lg_random_id(g, s->span_id, 8);
    s->caller = svc;
    if (parent >= 0) {
        memcpy(s->parent_id, g->spans[parent].span_id, 8);
        s->has_parent = true;
        s->caller = g->spans[parent].service;
    }
    s->service = svc;
    s->kind = kind;
    s->family = fam;
    s->name = name;
    s->start = s->end = start;
    s->link = -1;
    s->op = (uint16_t)op;
    s->instance = g->instance[svc];
    g->trace_spans++;
    return (int32_t)g->n_spans++;
}

/* Starts the attribute list of span i; everything added until lg_attrs_done belongs to it. */
static void lg_attrs_begin(lg_gen_t *g, int32_t i) { g->spans[i].attr_first = g->n_attrs; }
static void lg_attrs_done(lg_gen_t *g, int32_t i) { g->spans[i].n_attr = g->n_attrs - g->spans[i].attr_first; }

static void lg_event(lg_gen_t *g, int32_t span, uint64_t t, const char *name, uint32_t attr_first)
{
    if (!lg_grow(g, (void **)&g->evs, &g->cap_evs, g->n_evs, sizeof *g->evs)) return;
    lg_span_t *s = &g->spans[span];
    if (s->n_ev == 0) s->ev_first = g->n_evs;
    g->evs[g->n_evs++] = (lg_event_t){t, name, attr_first, g->n_attrs - attr_first};
    s->n_ev++;
}

static uint64_t lg_net(lg_gen_t *g) { return 40000 + lg_below(g, 360000); }

static const char *lg_product(lg_gen_t *g, const char **name)
{
    uint32_t p = lg_below(g, OL_ARRAY_LEN(lg_products));
    if (name) *name = lg_products[p][1];
    return lg_products[p][0];
}

static void lg_ctx_new(lg_gen_t *g)
{
    lg_ctx_t *c = &g->ctx;
    uint32_t user = c->user = lg_below(g, 20000);
    c->user_id = lg_uuid(g, ol_lg_hash3(g->seed, user, 1), ol_lg_hash3(g->seed, user, 2));
    c->session_id = lg_uuid(g, ol_loadgen_rng_next(&g->rng), ol_loadgen_rng_next(&g->rng));
    c->currency = lg_currencies[lg_below(g, OL_ARRAY_LEN(lg_currencies))];
    c->client_ip =
        lg_fmt(g, "%u.%u.%u.%u", 23 + lg_below(g, 180), lg_below(g, 256), lg_below(g, 256), 1 + lg_below(g, 254));
    c->user_agent = lg_agents[lg_below(g, OL_ARRAY_LEN(lg_agents))];
    c->order_id = lg_uuid(g, ol_loadgen_rng_next(&g->rng), ol_loadgen_rng_next(&g->rng));
    c->product_id = lg_product(g, &c->product_name);
    c->tracking_id = lg_uuid(g, ol_loadgen_rng_next(&g->rng), ol_loadgen_rng_next(&g->rng));
    c->items = 1 + lg_below(g, 6);
    c->amount = (double)(500 + lg_below(g, 150000)) / 100.0;
    c->synthetic = lg_unit(g) < 0.3;
}

static void lg_peer(lg_gen_t *g, uint32_t svc)
{
    const ol_topo_service_t *s = &g->t->services[svc];
    A_str(g, "server.address", s->name);
    A_int(g, "server.port", s->port ? s->port : 8080);
    A_str(g, "network.peer.address", lg_ip(g, svc, g->instance[svc]));
    A_int(g, "network.peer.port", s->port ? s->port : 8080);
}

static void lg_code_attrs(lg_gen_t *g, const ol_topo_op_t *op, uint32_t svc)
{
    const ol_topo_service_t *s = &g->t->services[svc];
    A_str(g, "code.function.name", lg_fmt(g, "%s.%s", s->name, op->name));
    A_str(g, "code.file.path", lg_fmt(g, "/usr/src/app/%s/%s.src", s->name, op->name));
    A_int(g, "code.line.number", 20 + (int64_t)(ol_lg_hash3(svc, op->median_ms * 1000, 7) % 400));
    A_int(g, "thread.id", 1 + lg_below(g, 64));
    A_str(g, "thread.name", lg_fmt(g, "worker-%u", lg_below(g, 16)));
}

/* Application attributes by service, as the demo's services set them. */
static void lg_app_attrs(lg_gen_t *g, const ol_topo_op_t *op, uint32_t svc)
{
    const char *name = g->t->services[svc].name;
    lg_ctx_t *c = &g->ctx;
    if (strcmp(name, "frontend") == 0) {
        A_str(g, "session.id", c->session_id);
        A_str(g, "app.user.id", c->user_id);
        A_str(g, "app.currency", c->currency);
        A_bool(g, "app.synthetic_request", c->synthetic);
        A_bool(g, "app.feature_flag.new_checkout", (ol_lg_hash3(g->seed, 11, c->user) & 3) == 0);
        if (op->path && strstr(op->path, "{productId}")) {
            A_str(g, "app.product.id", c->product_id);
            A_str(g, "app.product.name", c->product_name);
        } else if (op->path && strncmp(op->path, "/api/cart", 9) == 0) {
            A_int(g, "app.cart.items", c->items);
        } else if (op->path && strcmp(op->path, "/api/checkout") == 0) {
            A_str(g, "app.order.id", c->order_id);
            A_dbl(g, "app.order.amount", c->amount);
        }
    } else if (strcmp(name, "checkout") == 0) {
        A_str(g, "app.user.id", c->user_id);
        A_str(g, "app.user.currency", c->currency);
        A_str(g, "app.order.id", c->order_id);
        A_dbl(g, "app.order.amount", c->amount);
        A_dbl(g, "app.shipping.amount", (double)(599 + lg_below(g, 2000)) / 100.0);
        A_str(g, "app.shipping.tracking.id", c->tracking_id);
        A_int(g, "app.order.items.count", c->items);
    } else if (strcmp(name, "cart") == 0) {
        A_str(g, "app.user.id", c->user_id);
        A_int(g, "app.cart.items.count", c->items);
        if (strcmp(op->method ? op->method : "", "AddItem") == 0) {
            A_str(g, "app.product.id", c->product_id);
            A_int(g, "app.product.quantity", 1 + lg_below(g, 5));
        }
    } else if (strcmp(name, "product-catalog") == 0) {
        if (strcmp(op->method ? op->method : "", "ListProducts") == 0) {
            A_int(g, "app.products.count", OL_ARRAY_LEN(lg_products));
        } else {
            const char *pname;
            A_str(g, "app.product.id", lg_product(g, &pname));
            A_str(g, "app.product.name", pname);
        }
    } else if (strcmp(name, "currency") == 0) {
        A_str(g, "app.currency.conversion.from", "USD");
        A_str(g, "app.currency.conversion.to", c->currency);
        A_dbl(g, "app.currency.conversion.units", (double)(lg_below(g, 100000)) / 100.0);
    } else if (strcmp(name, "payment") == 0) {
        A_dbl(g, "app.payment.amount", c->amount);
        A_str(g, "app.payment.card_type", lg_cards[lg_below(g, OL_ARRAY_LEN(lg_cards))]);
        A_bool(g, "app.payment.card_valid", lg_unit(g) > 0.01);
        A_str(g, "app.loyalty.level", lg_loyalty[lg_below(g, OL_ARRAY_LEN(lg_loyalty))]);
        A_bool(g, "app.payment.charged", !c->synthetic);
        A_str(g, "app.payment.transaction.id",
              lg_uuid(g, ol_loadgen_rng_next(&g->rng), ol_loadgen_rng_next(&g->rng)));
    } else if (strcmp(name, "shipping") == 0 || strcmp(name, "email") == 0) {
        A_str(g, "app.order.id", c->order_id);
        A_int(g, "app.shipping.items.count", c->items);
        A_str(g, "app.shipping.zip_code", lg_fmt(g, "%05u", lg_below(g, 99999)));
    } else if (strcmp(name, "recommendation") == 0) {
        A_int(g, "app.products.count", OL_ARRAY_LEN(lg_products));
        A_int(g, "app.products_recommended.count", 1 + lg_below(g, 5));
        A_bool(g, "app.recommendation.cache_enabled", (g->seed & 1) != 0);
    } else if (strcmp(name, "ad") == 0) {
        uint32_t k = lg_below(g, OL_ARRAY_LEN(lg_ad_keys));
        A_str(g, "app.ads.contextKeys", lg_ad_keys[k]);
        A_int(g, "app.ads.contextKeys.count", 1);
        A_int(g, "app.ads.count", 1 + lg_below(g, 2));
        A_str(g, "app.ads.ad_request_type", k & 1 ? "TARGETED" : "NOT_TARGETED");
    } else if (strcmp(name, "product-reviews") == 0) {
        A_str(g, "app.product.id", c->product_id);
        A_int(g, "app.product_reviews.count", 3 + lg_below(g, 40));
    } else if (strcmp(name, "accounting") == 0 || strcmp(name, "fraud-detection") == 0) {
        A_str(g, "app.order.id", c->order_id);
        A_str(g, "app.user.id", c->user_id);
        A_dbl(g, "app.order.amount", c->amount);
    } else {
        A_str(g, "app.request.id", lg_uuid(g, ol_loadgen_rng_next(&g->rng), ol_loadgen_rng_next(&g->rng)));
        A_str(g, "app.tenant.id", lg_fmt(g, "tenant-%03u", (unsigned)(ol_lg_hash3(g->seed, 3, c->user) % 500)));
        A_int(g, "app.batch.size", 1 + lg_below(g, 100));
    }
}

static const char *const lg_grpc_codes[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                            "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                            "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                                            "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

/* The failure an op reports (HTTP status or gRPC code): fixed per op, so client and server spans agree. */
static int lg_fail_code(const ol_topo_op_t *op, bool http)
{
    uint32_t h = (uint32_t)(op->median_ms * 1000) + op->n_calls;
    if (http) return h % 3 == 0 ? 503 : 500;
    static const int codes[] = {2, 13, 14, 4};
    return codes[h % 4];
}

static const char *lg_status_msg(lg_gen_t *g, const ol_topo_op_t *op)
{
    return op->error_message ? op->error_message : lg_fmt(g, "%s failed: upstream connect error", op->name);
}

static void lg_exception(lg_gen_t *g, int32_t span, uint32_t svc, const ol_topo_op_t *op)
{
    const ol_topo_service_t *s = &g->t->services[svc];
    int lang = lg_lang(s->language ? s->language : "cpp");
    uint32_t first = g->n_attrs;
    const char *fn = op->method && op->kind != OL_TOPO_OP_HTTP ? op->method : op->name;
    A_str(g, "exception.type", lg_exc_types[lang]);
    A_str(g, "exception.message", lg_status_msg(g, op));
    A_str(g, "exception.stacktrace", lg_fmt(g, lg_stacks[lang], fn, s->name));
    lg_span_t *sp = &g->spans[span];
    lg_event(g, span, sp->end - (sp->end - sp->start) / 8, "exception", first);
}

/* Ends a callee-side span (server, internal, consumer): status, attributes, events. */
static void lg_finish(lg_gen_t *g, int32_t si, const ol_topo_op_t *op, bool failed)
{
    lg_span_t *s = &g->spans[si];
    uint32_t svc = s->service;
    bool http = op->kind == OL_TOPO_OP_HTTP;
    int code = failed ? lg_fail_code(op, http) : http ? 200 : 0;
    if (failed) {
        s->status = 2;
        s->status_msg = http ? NULL : lg_status_msg(g, op); /* HTTP servers leave the description empty */
    }
    lg_attrs_begin(g, si);
    switch ((ol_topo_op_kind_t)op->kind) {
    case OL_TOPO_OP_HTTP: {
        bool front = strcmp(g->t->services[svc].name, "frontend") == 0;
        const char *path = op->path;
        const char *ph = strstr(path, "{productId}");
        if (ph) path = lg_fmt(g, "%.*s%s%s", (int)(ph - path), path, g->ctx.product_id, ph + 11);
        A_str(g, "http.request.method", op->method);
        A_str(g, "http.route", op->path);
        A_str(g, "url.path", path);
        A_str(g, "url.scheme", "http");
        if (front && strcmp(op->method, "GET") == 0)
            A_str(g, "url.query", lg_fmt(g, "currencyCode=%s", g->ctx.currency));
        A_int(g, "http.response.status_code", code);
        A_str(g, "server.address", front ? "shop.example.com" : g->t->services[svc].name);
        A_int(g, "server.port", front ? 443 : g->t->services[svc].port);
        A_str(g, "network.protocol.version", "1.1");
        A_str(g, "client.address", front ? g->ctx.client_ip : lg_ip(g, s->caller, g->instance[s->caller]));
        A_str(g, "network.peer.address", front ? "10.244.0.12" : lg_ip(g, s->caller, g->instance[s->caller]));
        A_int(g, "network.peer.port", 32768 + lg_below(g, 28000));
        if (front) A_str(g, "user_agent.original", g->ctx.user_agent);
        if (strcmp(op->method, "POST") == 0) A_int(g, "http.request.body.size", 60 + lg_below(g, 900));
        A_int(g, "http.response.body.size", failed ? 21 : 200 + lg_below(g, 20000));
        if (failed) A_str(g, "error.type", code == 503 ? "503" : "500");
        lg_app_attrs(g, op, svc);
        break;
    }
    case OL_TOPO_OP_GRPC:
        A_str(g, "rpc.system", "grpc");
        A_str(g, "rpc.service", op->path);
        A_str(g, "rpc.method", op->method);
        A_int(g, "rpc.grpc.status_code", code);
        A_str(g, "server.address", g->t->services[svc].name);
        A_int(g, "server.port", g->t->services[svc].port);
        A_str(g, "network.peer.address", lg_ip(g, s->caller, g->instance[s->caller]));
        A_int(g, "network.peer.port", 32768 + lg_below(g, 28000));
        if (failed) A_str(g, "error.type", lg_grpc_codes[code]);
        lg_app_attrs(g, op, svc);
        break;
    case OL_TOPO_OP_CONSUME: {
        const ol_topo_service_t *q = NULL;
        for (uint32_t i = 0; i < g->t->n_services; i++)
            if (g->t->services[i].kind == OL_TOPO_SVC_QUEUE) q = &g->t->services[i];
        A_str(g, "messaging.system", q ? q->system : "kafka");
        A_str(g, "messaging.destination.name", op->path);
        A_str(g, "messaging.operation.type", "process");
        A_str(g, "messaging.operation.name", "process");
        A_str(g, "messaging.consumer.group.name", g->t->services[svc].name);
        A_str(g, "messaging.destination.partition.id", lg_fmt(g, "%u", lg_below(g, 6)));
        A_int(g, "messaging.kafka.offset", 100000 + (int64_t)lg_below(g, 5000000));
        A_str(g, "messaging.kafka.message.key", g->ctx.order_id);
        A_int(g, "messaging.message.body.size", 180 + lg_below(g, 600));
        A_str(g, "messaging.client.id", lg_fmt(g, "%s-%u", g->t->services[svc].name, g->instance[svc]));
        A_str(g, "server.address", q ? q->name : "kafka");
        A_int(g, "server.port", q ? q->port : 9092);
        if (failed) A_str(g, "error.type", "processing_error");
        lg_app_attrs(g, op, svc);
        break;
    }
    default: /* internal */
        lg_code_attrs(g, op, svc);
        A_str(g, "app.user.id", g->ctx.user_id);
        if (failed) A_str(g, "error.type", "internal");
        break;
    }
    if (g->hooks && g->hooks->attrs) g->hooks->attrs(g->hooks->ud, g, si, g->spans[si].op, false);
    lg_attrs_done(g, si);
    s = &g->spans[si];
    /* Go's otelgrpc records one message event per direction. */
    const ol_topo_service_t *sv = &g->t->services[svc];
    if (op->kind == OL_TOPO_OP_GRPC && sv->language && strcmp(sv->language, "go") == 0) {
        uint32_t a = g->n_attrs;
        A_str(g, "message.type", "RECEIVED");
        A_int(g, "message.id", 1);
        A_int(g, "message.uncompressed_size", 20 + lg_below(g, 400));
        lg_event(g, si, s->start + 20000, "message", a);
        a = g->n_attrs;
        A_str(g, "message.type", "SENT");
        A_int(g, "message.id", 1);
        A_int(g, "message.uncompressed_size", 40 + lg_below(g, 2000));
        lg_event(g, si, s->end - 15000, "message", a);
    }
    if (op->event && lg_unit(g) < 0.7) {
        uint32_t a = g->n_attrs;
        A_str(g, "app.user.id", g->ctx.user_id);
        A_int(g, "app.event.sequence", 1 + lg_below(g, 8));
        lg_event(g, si, s->start + (s->end - s->start) / 2, op->event, a);
    }
    if (failed) lg_exception(g, si, svc, op);
}

/* Client span attributes for a call to op (whose callee reported `failed`). */
static void lg_client_attrs(lg_gen_t *g, int32_t ci, const ol_topo_op_t *op, bool failed)
{
    lg_span_t *c = &g->spans[ci];
    uint32_t svc = op->service;
    const ol_topo_service_t *s = &g->t->services[svc];
    bool http = op->kind == OL_TOPO_OP_HTTP;
    int code = failed ? lg_fail_code(op, http) : http ? 200 : 0;
    if (failed) {
        c->status = 2;
        c->status_msg = http ? NULL : lg_status_msg(g, op);
    }
    lg_attrs_begin(g, ci);
    switch ((ol_topo_op_kind_t)op->kind) {
    case OL_TOPO_OP_HTTP:
        A_str(g, "http.request.method", op->method);
        A_str(g, "url.full", lg_fmt(g, "http://%s:%u%s", s->name, s->port, op->path));
        A_int(g, "http.response.status_code", code);
        A_str(g, "network.protocol.version", "1.1");
        lg_peer(g, svc);
        if (failed) A_str(g, "error.type", code == 503 ? "503" : "500");
        break;
    case OL_TOPO_OP_GRPC:
        A_str(g, "rpc.system", "grpc");
        A_str(g, "rpc.service", op->path);
        A_str(g, "rpc.method", op->method);
        A_int(g, "rpc.grpc.status_code", code);
        lg_peer(g, svc);
        if (failed) A_str(g, "error.type", lg_grpc_codes[code]);
        break;
    case OL_TOPO_OP_DB:
        A_str(g, "db.system.name", s->system);
        A_str(g, "db.namespace", "otel");
        A_str(g, "db.collection.name", op->path);
        A_str(g, "db.operation.name", op->method);
        A_str(g, "db.query.text", op->query);
        lg_peer(g, svc);
        if (strcmp(op->method, "SELECT") == 0) A_int(g, "db.response.returned_rows", 1 + lg_below(g, 10));
        if (failed) {
            A_str(g, "error.type", "40P01");
            A_str(g, "db.response.status_code", "40P01");
        }
        break;
    case OL_TOPO_OP_CACHE:
        A_str(g, "db.system.name", s->system);
        A_str(g, "db.namespace", "0");
        A_str(g, "db.operation.name", op->method);
        A_str(g, "db.query.text", op->query);
        lg_peer(g, svc);
        if (failed) A_str(g, "error.type", "ReplyError");
        break;
    case OL_TOPO_OP_PRODUCE:
        A_str(g, "messaging.system", s->system);
        A_str(g, "messaging.destination.name", op->path);
        A_str(g, "messaging.operation.type", "send");
        A_str(g, "messaging.operation.name", "publish");
        A_str(g, "messaging.client.id", lg_fmt(g, "%s-%u", g->t->services[c->service].name, g->instance[c->service]));
        A_str(g, "messaging.destination.partition.id", lg_fmt(g, "%u", lg_below(g, 6)));
        A_str(g, "messaging.kafka.message.key", g->ctx.order_id);
        A_int(g, "messaging.message.body.size", 180 + lg_below(g, 600));
        lg_peer(g, svc);
        if (failed) A_str(g, "error.type", "timeout");
        break;
    default:
        break;
    }
    if (c->attempt && op->kind == OL_TOPO_OP_HTTP) A_int(g, "http.request.resend_count", c->attempt);
    if (g->hooks && g->hooks->attrs) g->hooks->attrs(g->hooks->ud, g, ci, c->op, true);
    lg_attrs_done(g, ci);
}

/* A caller's span for an HTTP or gRPC call whose callee refused the connection. */
static void lg_refused_attrs(lg_gen_t *g, int32_t ci, const ol_topo_op_t *op)
{
    lg_span_t *c = &g->spans[ci];
    const ol_topo_service_t *s = &g->t->services[op->service];
    c->status = 2;
    c->status_msg = lg_fmt(g, "connect ECONNREFUSED %s:%u", lg_ip(g, op->service, g->instance[op->service]), s->port);
    lg_attrs_begin(g, ci);
    if (op->kind == OL_TOPO_OP_HTTP) {
        A_str(g, "http.request.method", op->method);
        A_str(g, "url.full", lg_fmt(g, "http://%s:%u%s", s->name, s->port, op->path));
        A_str(g, "network.protocol.version", "1.1");
        lg_peer(g, op->service);
        A_str(g, "error.type", "ECONNREFUSED");
        if (c->attempt) A_int(g, "http.request.resend_count", c->attempt);
    } else {
        A_str(g, "rpc.system", "grpc");
        A_str(g, "rpc.service", op->path);
        A_str(g, "rpc.method", op->method);
        A_int(g, "rpc.grpc.status_code", 14);
        lg_peer(g, op->service);
        A_str(g, "error.type", "UNAVAILABLE");
    }
    if (g->hooks && g->hooks->attrs) g->hooks->attrs(g->hooks->ud, g, ci, c->op, true);
    lg_attrs_done(g, ci);
}

static double lg_error_rate(lg_gen_t *g, uint32_t op_i)
{
    if (g->hooks && g->hooks->error_rate) return g->hooks->error_rate(g->hooks->ud, g, op_i);
    return g->t->ops[op_i].error_rate;
}

static uint64_t lg_latency(lg_gen_t *g, uint32_t op_i, uint64_t ns)
{
    return g->hooks && g->hooks->latency ? g->hooks->latency(g->hooks->ud, g, op_i, ns) : ns;
}

static const char lg_alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* A call to a language model: a client span with the GenAI attributes. The
 * answer's length drives the latency (time to first token, then a steady
 * token rate); the first call of a trace asks for a tool, later ones answer. */
static uint64_t lg_genai(lg_gen_t *g, uint32_t op_i, int32_t parent, uint64_t start, uint8_t attempt, bool *failed)
{
    const ol_topo_op_t *op = &g->t->ops[op_i];
    const ol_topo_service_t *s = &g->t->services[op->service];
    int32_t ci = lg_span(g, g->spans[parent].service, KIND_CLIENT, FAM_GENAI, op->name, parent, start, op_i);
    if (ci < 0) return start;
    g->spans[ci].attempt = attempt;
    bool first = g->ctx.genai_calls++ == 0;
    int64_t in_tok = 40 + (int64_t)ol_loadgen_rng_lognormal(&g->rng, first ? 420 : 1500, 0.35);
    int64_t out_tok = 1 + (int64_t)ol_loadgen_rng_lognormal(&g->rng, first ? 24 : 170, 0.45);
    uint64_t dur = lg_ns(g, op->median_ms, op->sigma) + (uint64_t)out_tok * 11000000ull;
    dur = lg_latency(g, op_i, dur);
    bool f = lg_unit(g) < lg_error_rate(g, op_i);
    lg_span_t *c = &g->spans[ci];
    c->end = start + dur;
    if (f) {
        c->status = 2;
        c->status_msg = lg_status_msg(g, op);
    }
    char rid[25];
    for (int i = 0; i < 24; i++) rid[i] = lg_alnum[lg_below(g, sizeof lg_alnum - 1)];
    rid[24] = 0;
    lg_attrs_begin(g, ci);
    A_str(g, "gen_ai.operation.name", op->method);
    A_str(g, "gen_ai.provider.name", s->system);
    A_str(g, "gen_ai.request.model", op->path);
    A_int(g, "gen_ai.request.max_tokens", 1024);
    A_dbl(g, "gen_ai.request.temperature", 0.2);
    A_str(g, "server.address", "api.openai.com");
    A_int(g, "server.port", s->port);
    if (f) {
        A_str(g, "error.type", "429");
    } else {
        A_str(g, "gen_ai.response.id", lg_fmt(g, "chatcmpl-%s", rid));
        A_str(g, "gen_ai.response.model", op->query ? op->query : op->path);
        lg_attr_t *a = lg_attr(g, "gen_ai.response.finish_reasons", A_STRS);
        if (a) {
            a->s = first ? "tool_calls" : "stop";
            a->slen = (uint32_t)strlen(a->s);
        }
        A_int(g, "gen_ai.usage.input_tokens", in_tok);
        A_int(g, "gen_ai.usage.output_tokens", out_tok);
    }
    if (g->hooks && g->hooks->attrs) g->hooks->attrs(g->hooks->ud, g, ci, (uint32_t)op_i, true);
    lg_attrs_done(g, ci);
    if (f) lg_exception(g, ci, g->spans[ci].service, op);
    *failed |= f;
    return start + dur;
}

static uint64_t lg_body(lg_gen_t *g, int32_t si, uint32_t op_i, uint64_t start, bool *failed);

static uint64_t lg_server(lg_gen_t *g, uint32_t op_i, int32_t parent, uint64_t start, bool *failed)
{
    const ol_topo_op_t *op = &g->t->ops[op_i];
    uint8_t kind = op->kind == OL_TOPO_OP_CONSUME ? KIND_CONSUMER : KIND_SERVER;
    uint8_t fam = op->kind == OL_TOPO_OP_HTTP ? FAM_HTTP : op->kind == OL_TOPO_OP_GRPC ? FAM_GRPC : FAM_MSG;
    int32_t si = lg_span(g, op->service, kind, fam, op->name, parent, start, op_i);
    if (si < 0) return start;
    g->spans[si].remote_parent = parent >= 0;
    return lg_body(g, si, op_i, start, failed);
}

/* One invocation of op_i from span `parent` (or as a trace root when parent < 0). Returns its end time. */
static uint64_t lg_call(lg_gen_t *g, uint32_t op_i, int32_t parent, uint64_t start, bool *failed)
{
    const ol_topo_op_t *op = &g->t->ops[op_i];
    uint8_t attempt = g->attempt; /* of this call only, not of the calls it makes */
    g->attempt = 0;
    if (parent < 0) return lg_server(g, op_i, -1, start, failed);
    uint16_t caller = g->spans[parent].service;
    bool f = false;
    switch ((ol_topo_op_kind_t)op->kind) {
    case OL_TOPO_OP_HTTP:
    case OL_TOPO_OP_GRPC: {
        int32_t ci = lg_span(g, caller, KIND_CLIENT, op->kind == OL_TOPO_OP_HTTP ? FAM_HTTP : FAM_GRPC,
                             op->client_name, parent, start, op_i);
        if (ci < 0) return start;
        g->spans[ci].attempt = attempt;
        if (g->hooks && g->hooks->down && g->hooks->down(g->hooks->ud, g, op_i)) {
            uint64_t end = start + 150000 + lg_below(g, 900000);
            g->spans[ci].end = end;
            lg_refused_attrs(g, ci, op);
            *failed = true;
            return end;
        }
        uint64_t end = lg_server(g, op_i, ci, start + lg_net(g), &f) + lg_net(g);
        g->spans[ci].end = end;
        lg_client_attrs(g, ci, op, f);
        *failed |= f;
        return end;
    }
    case OL_TOPO_OP_INTERNAL: {
        int32_t si = lg_span(g, op->service, KIND_INTERNAL, FAM_APP, op->name, parent, start, op_i);
        if (si < 0) return start;
        uint64_t end = lg_body(g, si, op_i, start, &f);
        *failed |= f;
        return end;
    }
    case OL_TOPO_OP_DB:
    case OL_TOPO_OP_CACHE:
    case OL_TOPO_OP_PRODUCE: {
        uint8_t kind = op->kind == OL_TOPO_OP_PRODUCE ? KIND_PRODUCER : KIND_CLIENT;
        uint8_t fam = op->kind == OL_TOPO_OP_DB ? FAM_DB : op->kind == OL_TOPO_OP_CACHE ? FAM_CACHE : FAM_MSG;
        int32_t ci = lg_span(g, caller, kind, fam, op->name, parent, start, op_i);
        if (ci < 0) return start;
        g->spans[ci].attempt = attempt;
        uint64_t end = start + lg_latency(g, op_i, lg_ns(g, op->median_ms, op->sigma) + 1000);
        f = lg_unit(g) < lg_error_rate(g, op_i);
        g->spans[ci].end = end;
        lg_client_attrs(g, ci, op, f);
        if (f) lg_exception(g, ci, caller, op);
        *failed |= f;
        if (op->kind != OL_TOPO_OP_PRODUCE || f) return end;
        /* Each consumer processes the message in a trace of its own, linked to the publish. */
        uint8_t saved_id[16];
        uint32_t saved_spans = g->trace_spans;
        memcpy(saved_id, g->trace_id, 16);
        for (uint32_t c = 0; c < op->n_calls; c++) {
            const ol_topo_call_t *call = &op->calls[c];
            if (lg_unit(g) >= call->p) continue;
            lg_random_id(g, g->trace_id, 16);
            g->trace_spans = 0;
            bool cf = false;
            uint64_t cstart = start + lg_ns(g, 3.0, 0.8);
            uint32_t before = g->n_spans;
            lg_server(g, call->op, -1, cstart, &cf);
            if (g->n_spans > before) g->spans[before].link = ci;
        }
        memcpy(g->trace_id, saved_id, 16);
        g->trace_spans = saved_spans;
        return end;
    }
    case OL_TOPO_OP_CONSUME:
        return lg_server(g, op_i, parent, start, failed);
    case OL_TOPO_OP_GENAI:
        return lg_genai(g, op_i, parent, start, attempt, failed);
    }
    return start;
}

/* A call and, when the hooks ask for them, retries after it failed, each a
 * little later than the end of the one before. */
static uint64_t lg_attempts(lg_gen_t *g, uint32_t op_i, int32_t parent, uint64_t start, bool *failed)
{
    bool f = false;
    uint64_t end = lg_call(g, op_i, parent, start, &f);
    uint32_t n = f && g->hooks && g->hooks->retries ? g->hooks->retries(g->hooks->ud, g, op_i) : 0;
    for (uint32_t a = 1; a <= n && f && g->trace_spans < LG_MAX_TRACE_SPANS && !g->nomem; a++) {
        f = false;
        g->attempt = (uint8_t)OL_MIN(a, 255u);
        end = lg_call(g, op_i, parent, end + lg_ns(g, 20.0 * a, 0.5), &f);
        g->attempt = 0;
    }
    *failed |= f;
    return end;
}

static uint64_t lg_body(lg_gen_t *g, int32_t si, uint32_t op_i, uint64_t start, bool *failed)
{
    const ol_topo_op_t *op = &g->t->ops[op_i];
    uint64_t self = lg_latency(g, op_i, lg_ns(g, op->median_ms, op->sigma) + 2000);
    uint64_t pre = (uint64_t)((double)self * (0.2 + 0.4 * lg_unit(g)));
    uint64_t t = start + pre;
    bool child_failed = false;
    for (uint32_t c = 0; c < op->n_calls && !g->nomem; c++) {
        const ol_topo_call_t *call = &op->calls[c];
        if (call->p < 1.0f && lg_unit(g) >= call->p) continue;
        uint32_t n = call->min + lg_below(g, (uint32_t)(call->max - call->min) + 1);
        uint64_t tend = t;
        for (uint32_t i = 0; i < n && g->trace_spans < LG_MAX_TRACE_SPANS; i++) {
            if (call->parallel) {
                uint64_t e = lg_attempts(g, call->op, si, t + i * (5000 + lg_below(g, 25000)), &child_failed);
                if (e > tend) tend = e;
            } else {
                tend = lg_attempts(g, call->op, si, tend, &child_failed) + 2000 + lg_below(g, 30000);
            }
        }
        t = tend;
    }
    uint64_t end = t + (self - pre);
    g->spans[si].end = end;
    bool f = lg_unit(g) < lg_error_rate(g, op_i) || (child_failed && lg_unit(g) < 0.6);
    lg_finish(g, si, op, f);
    *failed |= f;
    return end;
}

static uint32_t lg_pick_root(lg_gen_t *g)
{
    uint32_t w = lg_below(g, g->t->total_weight);
    for (uint32_t r = 0; r < g->t->n_roots; r++) {
        if (w < g->t->roots[r].weight) return g->t->roots[r].op;
        w -= g->t->roots[r].weight;
    }
    return g->t->roots[0].op;
}

/* ---- encoding ---- */

typedef struct lg_offs {
    uint32_t *tid, *tm;
    uint32_t n_tid, n_tm, cap_tid, cap_tm;
    bool nomem;
} lg_offs_t;

static void lg_offs_push(lg_offs_t *o, bool tid, size_t off)
{
    uint32_t **arr = tid ? &o->tid : &o->tm, *n = tid ? &o->n_tid : &o->n_tm, *cap = tid ? &o->cap_tid : &o->cap_tm;
    if (*n == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 4096;
        uint32_t *p = ol_realloc(OL_MEM_CORE, *arr, (size_t)*cap * 4, (size_t)ncap * 4);
        if (!p) {
            o->nomem = true;
            return;
        }
        *arr = p;
        *cap = ncap;
    }
    (*arr)[(*n)++] = (uint32_t)off;
}

typedef struct lg_mark {
    uint32_t tid, tm;
} lg_mark_t;

static lg_mark_t lg_mark(const lg_offs_t *o) { return (lg_mark_t){o->n_tid, o->n_tm}; }

/* Appends src to dst as LEN field `field` with a minimal length prefix,
 * rebases the offsets recorded since `m` and empties src. */
static void lg_wrap(ol_buf_t *dst, uint32_t field, ol_buf_t *src, lg_offs_t *o, lg_mark_t m)
{
    if (src->err && !dst->err) dst->err = src->err; /* reset below would forget it */
    ol_pb_put_tag(dst, field, OL_PB_LEN);
    ol_pb_put_varint(dst, src->len);
    uint32_t base = (uint32_t)dst->len;
    ol_buf_append(dst, src->data, src->len);
    for (uint32_t i = m.tid; i < o->n_tid; i++) o->tid[i] += base;
    for (uint32_t i = m.tm; i < o->n_tm; i++) o->tm[i] += base;
    ol_buf_reset(src);
}

static size_t lg_vsz(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* KeyValue with exact lengths, no scratch buffer. */
static void lg_put_kv(ol_buf_t *b, uint32_t field, const lg_attr_t *a)
{
    size_t klen = strlen(a->key), any;
    size_t str_any = 1 + lg_vsz(a->slen) + a->slen, arr = 1 + lg_vsz(str_any) + str_any;
    switch (a->type) {
    case A_STR: any = str_any; break;
    case A_INT: any = 1 + lg_vsz((uint64_t)a->i); break;
    case A_DBL: any = 9; break;
    case A_STRS: any = 1 + lg_vsz(arr) + arr; break;
    default: any = 2; break;
    }
    ol_pb_put_tag(b, field, OL_PB_LEN);
    ol_pb_put_varint(b, 1 + lg_vsz(klen) + klen + 1 + lg_vsz(any) + any);
    ol_pb_put_bytes(b, 1, ol_slice(a->key, klen));
    ol_pb_put_tag(b, 2, OL_PB_LEN);
    ol_pb_put_varint(b, any);
    switch (a->type) {
    case A_STR: ol_pb_put_bytes(b, 1, ol_slice(a->s, a->slen)); break;
    case A_INT: ol_pb_put_uint(b, 3, (uint64_t)a->i); break;
    case A_DBL: ol_pb_put_double(b, 4, a->d); break;
    case A_STRS: /* AnyValue.array_value: ArrayValue{values: [AnyValue{string_value}]} */
        ol_pb_put_tag(b, 5, OL_PB_LEN);
        ol_pb_put_varint(b, arr);
        ol_pb_put_tag(b, 1, OL_PB_LEN);
        ol_pb_put_varint(b, str_any);
        ol_pb_put_bytes(b, 1, ol_slice(a->s, a->slen));
        break;
    default: ol_pb_put_uint(b, 2, (uint64_t)a->i); break;
    }
}

void ol_lg_put_attr(ol_buf_t *b, uint32_t field, const ol_lg_attr_t *a) { lg_put_kv(b, field, a); }

static void lg_put_str_kv(ol_buf_t *b, uint32_t field, const char *key, const char *v)
{
    lg_attr_t a = {.key = key, .s = v, .slen = (uint32_t)strlen(v), .type = A_STR};
    lg_put_kv(b, field, &a);
}

static void lg_put_int_kv(ol_buf_t *b, uint32_t field, const char *key, int64_t v)
{
    lg_attr_t a = {.key = key, .i = v, .type = A_INT};
    lg_put_kv(b, field, &a);
}

typedef struct lg_enc {
    ol_buf_t out, rs, sc, sp, sub;
    lg_offs_t o;
} lg_enc_t;

static void lg_put_fixed64_rec(ol_buf_t *b, uint32_t field, uint64_t v, lg_offs_t *o)
{
    ol_pb_put_fixed64(b, field, v);
    lg_offs_push(o, false, b->len - 8);
}

static void lg_put_trace_id(ol_buf_t *b, uint32_t field, const uint8_t *id, lg_offs_t *o)
{
    ol_pb_put_bytes(b, field, ol_slice(id, 16));
    lg_offs_push(o, true, b->len - 16);
}

static void lg_encode_span(lg_gen_t *g, lg_enc_t *e, const lg_span_t *s)
{
    ol_buf_t *b = &e->sp;
    lg_put_trace_id(b, 1, s->trace_id, &e->o);
    ol_pb_put_bytes(b, 2, ol_slice(s->span_id, 8));
    if (s->has_parent) ol_pb_put_bytes(b, 4, ol_slice(s->parent_id, 8));
    ol_pb_put_bytes(b, 5, ol_slice_cstr(s->name));
    ol_pb_put_uint(b, 6, s->kind);
    lg_put_fixed64_rec(b, 7, s->start, &e->o);
    lg_put_fixed64_rec(b, 8, s->end, &e->o);
    for (uint32_t i = 0; i < s->n_attr; i++) lg_put_kv(b, 9, &g->attrs[s->attr_first + i]);
    for (uint32_t i = 0; i < s->n_ev; i++) {
        const lg_event_t *ev = &g->evs[s->ev_first + i];
        lg_mark_t m = lg_mark(&e->o);
        lg_put_fixed64_rec(&e->sub, 1, ev->t, &e->o);
        ol_pb_put_bytes(&e->sub, 2, ol_slice_cstr(ev->name));
        for (uint32_t k = 0; k < ev->n_attr; k++) lg_put_kv(&e->sub, 3, &g->attrs[ev->attr_first + k]);
        lg_wrap(b, 11, &e->sub, &e->o, m);
    }
    if (s->link >= 0) {
        const lg_span_t *l = &g->spans[s->link];
        lg_mark_t m = lg_mark(&e->o);
        lg_put_trace_id(&e->sub, 1, l->trace_id, &e->o);
        ol_pb_put_bytes(&e->sub, 2, ol_slice(l->span_id, 8));
        ol_pb_put_fixed32(&e->sub, 6, 0x301);
        lg_wrap(b, 13, &e->sub, &e->o, m);
    }
    if (s->status_msg) ol_pb_put_bytes(&e->sub, 2, ol_slice_cstr(s->status_msg));
    if (s->status) ol_pb_put_uint(&e->sub, 3, s->status);
    lg_wrap(b, 15, &e->sub, &e->o, lg_mark(&e->o));
    ol_pb_put_fixed32(b, 16, s->remote_parent ? 0x301 : 0x101);
}

static void lg_encode_resource(lg_gen_t *g, lg_enc_t *e, uint32_t svc)
{
    const ol_topo_service_t *s = &g->t->services[svc];
    uint32_t inst = g->instance[svc];
    uint64_t h = ol_lg_hash3(g->seed, svc, inst);
    const char *pod = lg_pod(g, svc, inst);
    int lang = lg_lang(s->language);
    ol_buf_t *b = &e->sub;
    lg_put_str_kv(b, 1, "service.name", s->name);
    lg_put_str_kv(b, 1, "service.namespace", "opentelemetry-demo");
    lg_put_str_kv(b, 1, "service.version", s->version);
    lg_put_str_kv(b, 1, "service.instance.id", lg_uuid(g, h, ol_lg_hash3(g->seed, svc, inst + 77)));
    lg_put_str_kv(b, 1, "host.name", pod);
    lg_put_str_kv(b, 1, "host.arch", "amd64");
    lg_put_str_kv(b, 1, "os.type", "linux");
    lg_put_int_kv(b, 1, "process.pid", 1 + (int64_t)(h % 4000));
    lg_put_str_kv(b, 1, "process.runtime.name", s->runtime);
    lg_put_str_kv(b, 1, "process.runtime.version", s->runtime_version);
    lg_put_str_kv(b, 1, "telemetry.sdk.name", "opentelemetry");
    lg_put_str_kv(b, 1, "telemetry.sdk.language", s->language);
    lg_put_str_kv(b, 1, "telemetry.sdk.version", lg_sdk_versions[lang]);
    lg_put_str_kv(b, 1, "k8s.namespace.name", "otel-demo");
    lg_put_str_kv(b, 1, "k8s.pod.name", pod);
    uint64_t node = ol_lg_hash3(g->seed, 0x6e6f6465, (h >> 20) % 6);
    lg_put_str_kv(b, 1, "k8s.node.name", lg_fmt(g, "gke-olly-prod-default-pool-%08x-%04x", (uint32_t)(node >> 32),
                                                   (uint32_t)node & 0xffff));
    lg_put_str_kv(b, 1, "deployment.environment.name", "production");
    lg_put_str_kv(b, 1, "cloud.region", "us-east1");
    lg_wrap(&e->rs, 1, b, &e->o, lg_mark(&e->o));
}

static void lg_encode_scope(lg_gen_t *g, lg_enc_t *e, uint32_t svc, uint32_t fam)
{
    const ol_topo_service_t *s = &g->t->services[svc];
    int lang = lg_lang(s->language);
    const char *name = lg_scopes[lang][fam];
    ol_pb_put_bytes(&e->sub, 1, ol_slice_cstr(name ? name : s->name));
    ol_pb_put_bytes(&e->sub, 2, ol_slice_cstr(name ? lg_sdk_versions[lang] : s->version));
    lg_wrap(&e->sc, 1, &e->sub, &e->o, lg_mark(&e->o));
}

static int lg_encode(lg_gen_t *g, uint32_t n, ol_loadgen_batch_t *out, ol_err_t *err)
{
    int rc = OL_NOMEM;
    uint32_t n_keys = g->t->n_services * FAM__COUNT;
    uint32_t *start = ol_calloc(OL_MEM_CORE, (size_t)n_keys + 1, sizeof *start);
    uint32_t *order = ol_malloc(OL_MEM_CORE, (size_t)n * sizeof *order);
    lg_enc_t e;
    memset(&e, 0, sizeof e);
    ol_buf_init(&e.out, OL_MEM_CORE, 0);
    ol_buf_init(&e.rs, OL_MEM_CORE, 0);
    ol_buf_init(&e.sc, OL_MEM_CORE, 0);
    ol_buf_init(&e.sp, OL_MEM_CORE, 0);
    ol_buf_init(&e.sub, OL_MEM_CORE, 0);
    if (!start || !order) goto out;
    for (uint32_t i = 0; i < n; i++) start[g->spans[i].service * FAM__COUNT + g->spans[i].family + 1]++;
    for (uint32_t k = 0; k < n_keys; k++) start[k + 1] += start[k];
    for (uint32_t i = 0; i < n; i++) order[start[g->spans[i].service * FAM__COUNT + g->spans[i].family]++] = i;

    uint32_t i = 0;
    while (i < n) {
        uint32_t svc = g->spans[order[i]].service;
        lg_mark_t mrs = lg_mark(&e.o);
        lg_encode_resource(g, &e, svc);
        while (i < n && g->spans[order[i]].service == svc) {
            uint32_t fam = g->spans[order[i]].family;
            lg_mark_t msc = lg_mark(&e.o);
            lg_encode_scope(g, &e, svc, fam);
            for (; i < n && g->spans[order[i]].service == svc && g->spans[order[i]].family == fam; i++) {
                lg_mark_t msp = lg_mark(&e.o);
                lg_encode_span(g, &e, &g->spans[order[i]]);
                lg_wrap(&e.sc, 2, &e.sp, &e.o, msp);
            }
            lg_wrap(&e.rs, 2, &e.sc, &e.o, msc);
        }
        ol_pb_put_bytes(&e.rs, 3, OL_SLICE_LIT("https://opentelemetry.io/schemas/1.30.0"));
        lg_wrap(&e.out, 1, &e.rs, &e.o, mrs);
    }
    if (e.out.err || e.rs.err || e.sc.err || e.sp.err || e.sub.err || e.o.nomem) goto out;
    if (e.out.len > UINT32_MAX) {
        ol_err_set(err, "loadgen: a batch of %u spans encodes to %zu bytes, more than 4 GiB", n, e.out.len);
        rc = OL_LIMIT;
        goto out;
    }
    uint32_t *offs = ol_malloc(OL_MEM_CORE, ((size_t)e.o.n_tid + e.o.n_tm) * sizeof *offs);
    if (!offs) goto out;
    memcpy(offs, e.o.tid, (size_t)e.o.n_tid * 4);
    memcpy(offs + e.o.n_tid, e.o.tm, (size_t)e.o.n_tm * 4);
    out->offs = offs;
    out->n_tid = e.o.n_tid;
    out->n_time = e.o.n_tm;
    out->data = e.out.data;
    out->len = e.out.len;
    e.out.data = NULL; /* now owned by the batch: freed with the cap recorded below */
    out->cap = e.out.cap;
    rc = OL_OK;
out:
    if (rc == OL_NOMEM) ol_err_set(err, "loadgen: out of memory encoding a batch of %u spans", n);
    ol_free(OL_MEM_CORE, start, ((size_t)n_keys + 1) * sizeof *start);
    ol_free(OL_MEM_CORE, order, (size_t)n * sizeof *order);
    ol_free(OL_MEM_CORE, e.o.tid, (size_t)e.o.cap_tid * 4);
    ol_free(OL_MEM_CORE, e.o.tm, (size_t)e.o.cap_tm * 4);
    if (e.out.data) ol_buf_free(&e.out);
    ol_buf_free(&e.rs);
    ol_buf_free(&e.sc);
    ol_buf_free(&e.sp);
    ol_buf_free(&e.sub);
    return rc;
}

/* ---- batches ---- */

#define LG_MAX_SPANS 1000000u
#define LG_BASE_NS 1704067200000000000ull /* 2024-01-01T00:00:00Z: where built batches start */

int ol_loadgen_batch_build(const ol_topology_t *t, uint64_t seed, uint32_t index, uint32_t n_spans,
                           ol_loadgen_batch_t *out, ol_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (n_spans == 0 || n_spans > LG_MAX_SPANS) {
        ol_err_set(err, "loadgen: spans per request must be 1..%u, got %u", LG_MAX_SPANS, n_spans);
        return OL_LIMIT;
    }
    lg_gen_t g;
    memset(&g, 0, sizeof g);
    g.t = t;
    g.seed = seed;
    ol_loadgen_rng_seed(&g.rng, ol_lg_hash3(seed, index, 0x6c6f6164));
    g.arena = ol_arena_create(1 << 16, 0);
    g.instance = ol_calloc(OL_MEM_CORE, t->n_services, 1);
    int rc = OL_NOMEM;
    if (!g.arena || !g.instance) goto out;
    for (uint32_t s = 0; s < t->n_services; s++)
        g.instance[s] = (uint8_t)((index + ol_lg_hash3(seed, s, 9)) % t->services[s].replicas);

    uint64_t now = LG_BASE_NS + (uint64_t)index * 3600000000000ull;
    while (g.n_spans < n_spans && !g.nomem) {
        lg_random_id(&g, g.trace_id, 16);
        g.trace_spans = 0;
        lg_ctx_new(&g);
        bool failed = false;
        lg_call(&g, lg_pick_root(&g), -1, now, &failed);
        now += (uint64_t)(-log(1.0 - lg_unit(&g)) * 2e6); /* Poisson arrivals, 500 traces/s */
    }
    if (g.nomem) goto out;
    for (uint32_t i = 0; i < n_spans; i++) {
        if (g.spans[i].end > out->max_end_ns) out->max_end_ns = g.spans[i].end;
        if (!g.spans[i].has_parent) out->n_traces++;
    }
    out->n_spans = n_spans;
    rc = lg_encode(&g, n_spans, out, err);
    if (rc != OL_OK) memset(out, 0, sizeof *out);
out:
    if (rc == OL_NOMEM && g.nomem) ol_err_set(err, "loadgen: out of memory generating %u spans", n_spans);
    ol_free(OL_MEM_CORE, g.spans, (size_t)g.cap_spans * sizeof *g.spans);
    ol_free(OL_MEM_CORE, g.attrs, (size_t)g.cap_attrs * sizeof *g.attrs);
    ol_free(OL_MEM_CORE, g.evs, (size_t)g.cap_evs * sizeof *g.evs);
    ol_free(OL_MEM_CORE, g.instance, t->n_services);
    if (g.arena) ol_arena_destroy(g.arena);
    return rc;
}

void ol_loadgen_batch_free(ol_loadgen_batch_t *b)
{
    if (!b) return;
    ol_free(OL_MEM_CORE, b->data, b->cap);
    if (!b->shared_offs) ol_free(OL_MEM_CORE, b->offs, ((size_t)b->n_tid + b->n_time) * sizeof *b->offs);
    memset(b, 0, sizeof *b);
}

int ol_loadgen_batch_clone(const ol_loadgen_batch_t *src, ol_loadgen_batch_t *out)
{
    *out = *src;
    out->data = ol_malloc(OL_MEM_CORE, src->len ? src->len : 1);
    if (!out->data) {
        memset(out, 0, sizeof *out);
        return OL_NOMEM;
    }
    memcpy(out->data, src->data, src->len);
    out->cap = src->len ? src->len : 1;
    out->shared_offs = true;
    return OL_OK;
}

void ol_loadgen_batch_patch(ol_loadgen_batch_t *b, uint64_t send_id, uint64_t end_ns)
{
    uint64_t mask = ol_loadgen_mask(send_id), shift = end_ns - b->max_end_ns;
    uint64_t x = mask ^ b->mask, d = shift - b->shift;
    uint8_t *p = b->data;
    const uint32_t *o = b->offs;
    if (x)
        for (uint32_t i = 0; i < b->n_tid; i++) {
            uint8_t *q = p + o[i] + 8;
            ol_store_le64(q, ol_load_le64(q) ^ x);
        }
    if (d) {
        o += b->n_tid;
        for (uint32_t i = 0; i < b->n_time; i++) {
            uint8_t *q = p + o[i];
            ol_store_le64(q, ol_load_le64(q) + d);
        }
    }
    b->mask = mask;
    b->shift = shift;
}

/* ---- the generator as gen.h opens it ---- */

int ol_lg_gen_init(ol_lg_gen_t *g, const ol_topology_t *t, uint64_t seed, const ol_lg_hooks_t *hooks)
{
    memset(g, 0, sizeof *g);
    g->t = t;
    g->seed = seed;
    g->hooks = hooks;
    ol_loadgen_rng_seed(&g->rng, ol_lg_hash3(seed, 0x6c697665, 0x6c6f6164));
    g->arena = ol_arena_create(1 << 16, 0);
    g->instance = ol_calloc(OL_MEM_CORE, t->n_services, 1);
    if (!g->arena || !g->instance) {
        ol_lg_gen_free(g);
        return OL_NOMEM;
    }
    return OL_OK;
}

void ol_lg_gen_clear(ol_lg_gen_t *g)
{
    g->n_spans = g->n_attrs = g->n_evs = 0;
    g->nomem = false;
    if (g->arena) ol_arena_reset(g->arena);
}

void ol_lg_gen_free(ol_lg_gen_t *g)
{
    if (!g) return;
    ol_free(OL_MEM_CORE, g->spans, (size_t)g->cap_spans * sizeof *g->spans);
    ol_free(OL_MEM_CORE, g->attrs, (size_t)g->cap_attrs * sizeof *g->attrs);
    ol_free(OL_MEM_CORE, g->evs, (size_t)g->cap_evs * sizeof *g->evs);
    if (g->instance) ol_free(OL_MEM_CORE, g->instance, g->t->n_services);
    if (g->arena) ol_arena_destroy(g->arena);
    memset(g, 0, sizeof *g);
}

uint32_t ol_lg_gen_pick_root(ol_lg_gen_t *g) { return lg_pick_root(g); }

int32_t ol_lg_gen_trace(ol_lg_gen_t *g, uint32_t root, uint64_t start)
{
    uint32_t first = g->n_spans;
    lg_random_id(g, g->trace_id, 16);
    g->trace_spans = 0;
    g->attempt = 0;
    lg_ctx_new(g);
    g->ctx.genai_calls = 0;
    if (g->hooks && g->hooks->trace_begin) g->hooks->trace_begin(g->hooks->ud, g, root);
    bool failed = false;
    lg_call(g, root, -1, start, &failed);
    return g->nomem || g->n_spans == first ? -1 : (int32_t)first;
}

void ol_lg_gen_attr_str(ol_lg_gen_t *g, const char *key, const char *v) { A_str(g, key, v); }
void ol_lg_gen_attr_int(ol_lg_gen_t *g, const char *key, int64_t v) { A_int(g, key, v); }
void ol_lg_gen_attr_dbl(ol_lg_gen_t *g, const char *key, double v) { A_dbl(g, key, v); }

const char *ol_lg_gen_fmt(ol_lg_gen_t *g, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return lg_fmt(g, "%.*s", n < 0 ? 0 : (int)OL_MIN((size_t)n, sizeof tmp - 1), tmp);
}

const char *ol_lg_gen_pod(ol_lg_gen_t *g, uint32_t svc, uint32_t inst) { return lg_pod(g, svc, inst); }
const char *ol_lg_gen_ip(ol_lg_gen_t *g, uint32_t svc, uint32_t inst) { return lg_ip(g, svc, inst); }

const char *ol_lg_scope_name(const char *language, uint32_t family)
{
    return family < FAM__COUNT ? lg_scopes[lg_lang(language ? language : "cpp")][family] : NULL;
}

const char *ol_lg_sdk_version(const char *language) { return lg_sdk_versions[lg_lang(language ? language : "cpp")]; }
