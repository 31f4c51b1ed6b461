/*
 * test_pipeline_semconv.c - semantic-convention normalisation: the lookup
 * (stable and deprecated names, everything else untouched), one attribute
 * list normalised (renames, the http.target and http.flavor splits,
 * net.peer.* by span kind, value maps, stable names winning, rule
 * priority, repeated keys), single lookups on encoded attribute lists
 * (ol_semconv_get), and SQL over a temporary store with normalisation on
 * (the default) and off: SpanAttributes['http.request.method'] finds spans
 * that sent http.method, Map['http.method'] no longer shows it, a span
 * carrying both names shows the stable one's value, whole maps come out
 * normalised and sorted, LogAttributes too, ResourceAttributes as sent. The
 * SQL runs with the spans in the head and again after a flush into parts.
 */
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "codec/otlp.h"
#include "codec/otlp_json.h"
#include "codec/pb.h"
#include "codec/pb_schema.h"
#include "core/arena.h"
#include "core/buf.h"
#include "pipeline/semconv.h"
#include "sql/sql.h"
#include "store/store.h"
#include "test.h"

#define CHECK_STR(a, b)                                                                          \
    do {                                                                                         \
        const char *x_ = (a), *y_ = (b);                                                         \
        if (strcmp(x_, y_) != 0) {                                                               \
            ol_test_failed_checks++;                                                             \
            fprintf(stderr, "  %s:%d: %s\n    got  %s\n    want %s\n", __FILE__, __LINE__, #a, x_, y_); \
        }                                                                                        \
    } while (0)

static ol_slice_t S(const char *s) { return ol_slice_cstr(s); }

/* ---- lookup ---- */

static void test_names(void)
{
    ol_semconv_name_t n = ol_semconv_name(S("http.method"));
    CHECK(n.deprecated >= 0 && n.stable < 0);
    n = ol_semconv_name(S("http.request.method"));
    CHECK(n.stable >= 0 && n.deprecated < 0);
    CHECK(ol_slice_eq_cstr(ol_semconv_stable_key(n.stable), "http.request.method"));
    const char *plain[] = {"http.route", "", "h", "service.name", "http.methods", "http.metho", "exception.type",
                           "db.system.nam", "url.pathx"};
    for (size_t i = 0; i < OL_ARRAY_LEN(plain); i++) {
        n = ol_semconv_name(S(plain[i]));
        CHECK(n.stable < 0 && n.deprecated < 0);
        CHECK(!ol_semconv_key_affected(S(plain[i])));
    }
    CHECK(ol_semconv_deprecated(S("http.method")) == ol_semconv_name(S("http.method")).deprecated);
    CHECK(ol_semconv_deprecated(S("http.request.method")) < 0);
    CHECK(ol_semconv_deprecated(S("http.route")) < 0);
    CHECK(ol_semconv_deprecated(OL_SLICE_NULL) < 0);
    CHECK(ol_semconv_key_affected(S("http.method")));
    CHECK(ol_semconv_key_affected(S("server.address")));
    CHECK(ol_semconv_key_affected(S("db.system")));
    CHECK(ol_semconv_key_affected(S("url.query")));
    /* every stable name is found as itself and is never a deprecated one */
    int count = 0;
    for (int id = 0; id < OL_SEMCONV_MAX_STABLE; id++) {
        ol_slice_t k = ol_semconv_stable_key(id);
        if (!k.len) break;
        n = ol_semconv_name(k);
        CHECK(n.stable == id && n.deprecated < 0);
        count++;
    }
    CHECK(count > 50);
    CHECK_EQ_INT(ol_semconv_stable_key(-1).len, 0);
    CHECK_EQ_INT(ol_semconv_stable_key(count).len, 0);
    /* deprecated names the brief lists */
    const char *dep[] = {"http.status_code", "http.target", "http.url", "http.scheme", "http.user_agent",
                         "http.request_content_length", "http.response_content_length", "net.peer.name",
                         "net.peer.port", "net.host.name", "net.host.port", "net.sock.peer.addr", "peer.service",
                         "db.system", "db.statement", "db.operation", "db.name", "db.sql.table",
                         "messaging.destination", "messaging.kafka.partition", "rpc.system"};
    for (size_t i = 0; i < OL_ARRAY_LEN(dep); i++) {
        n = ol_semconv_name(S(dep[i]));
        CHECK(n.deprecated >= 0 && n.stable < 0);
        if (n.deprecated < 0) fprintf(stderr, "  not deprecated: %s\n", dep[i]);
    }
    /* stable or not yet renamed: left alone */
    CHECK(ol_semconv_name(S("rpc.grpc.status_code")).deprecated < 0);
    CHECK(ol_semconv_name(S("exception.message")).deprecated < 0);
}

/* ---- one list ---- */

typedef struct kv {
    const char *k, *v;
} kv_t;

/* Normalises the list as a reader does; returns "k=v,k=v" of the kept
 * attributes (in order) then the added ones (in stable-id order). */
static const char *norm(const kv_t *in, size_t n, int32_t kind)
{
    static char out[1024];
    char *o = out;
    *o = 0;
    ol_semconv_state_t st;
    ol_semconv_begin(&st);
    for (size_t i = 0; i < n; i++) {
        ol_semconv_name_t nm = ol_semconv_name(S(in[i].k));
        if (nm.deprecated >= 0) {
            ol_semconv_feed(&st, nm.deprecated, S(in[i].v), kind);
            continue;
        }
        if (nm.stable >= 0) ol_semconv_seen(&st, nm.stable);
        o += sprintf(o, "%s%s=%s", o == out ? "" : ",", in[i].k, in[i].v);
    }
    uint32_t it = 0;
    ol_slice_t k, v;
    while (ol_semconv_next(&st, &it, &k, &v))
        o += sprintf(o, "%s%.*s=%.*s", o == out ? "" : ",", (int)k.len, (const char *)k.ptr, (int)v.len,
                     (const char *)v.ptr);
    return out;
}

#define NORM(kind, ...) norm((const kv_t[]){__VA_ARGS__}, sizeof((const kv_t[]){__VA_ARGS__}) / sizeof(kv_t), kind)

static void test_list(void)
{
    CHECK_STR(NORM(2, {"http.method", "GET"}, {"http.route", "/a"}), "http.route=/a,http.request.method=GET");
    /* the stable name wins, wherever it stands */
    CHECK_STR(NORM(2, {"http.method", "POST"}, {"http.request.method", "PUT"}), "http.request.method=PUT");
    CHECK_STR(NORM(2, {"http.request.method", "PUT"}, {"http.method", "POST"}), "http.request.method=PUT");
    /* http.target: path and query */
    CHECK_STR(NORM(2, {"http.target", "/a/b?x=1&y=2"}), "url.path=/a/b,url.query=x=1&y=2");
    CHECK_STR(NORM(2, {"http.target", "/a"}), "url.path=/a");
    CHECK_STR(NORM(2, {"http.target", "/a?"}), "url.path=/a,url.query=");
    CHECK_STR(NORM(2, {"http.target", "/a?q"}, {"url.path", "/own"}), "url.path=/own,url.query=q");
    /* net.peer.*: the side */
    CHECK_STR(NORM(2, {"net.peer.name", "c"}, {"net.peer.port", "1"}), "client.address=c,client.port=1");
    CHECK_STR(NORM(3, {"net.peer.name", "s"}, {"net.peer.port", "2"}), "server.address=s,server.port=2");
    CHECK_STR(NORM(0, {"net.peer.name", "s"}), "server.address=s");
    CHECK_STR(NORM(5, {"net.peer.name", "broker"}), "server.address=broker");
    CHECK_STR(NORM(2, {"net.host.name", "me"}, {"net.peer.name", "you"}), "client.address=you,server.address=me");
    /* priority: net.peer.name before net.host.name, whatever the order sent */
    CHECK_STR(NORM(3, {"net.host.name", "h"}, {"net.peer.name", "p"}), "server.address=p");
    CHECK_STR(NORM(3, {"net.peer.name", "p"}, {"net.host.name", "h"}), "server.address=p");
    CHECK_STR(NORM(2, {"net.peer.name", "peer"}, {"http.client_ip", "1.2.3.4"}), "client.address=1.2.3.4");
    /* a repeated deprecated name: its first value */
    CHECK_STR(NORM(2, {"http.method", "A"}, {"http.method", "B"}), "http.request.method=A");
    /* value maps */
    CHECK_STR(NORM(3, {"db.system", "mssql"}), "db.system.name=microsoft.sql_server");
    CHECK_STR(NORM(3, {"db.system", "oracle"}), "db.system.name=oracle.db");
    CHECK_STR(NORM(3, {"db.system", "postgresql"}), "db.system.name=postgresql");
    CHECK_STR(NORM(3, {"db.system", "somedb"}), "db.system.name=somedb");
    CHECK_STR(NORM(3, {"db.system", "mssql"}, {"db.system.name", "mysql"}), "db.system.name=mysql");
    CHECK_STR(NORM(3, {"rpc.system", "apache_dubbo"}), "rpc.system.name=dubbo");
    CHECK_STR(NORM(3, {"rpc.system", "grpc"}), "rpc.system.name=grpc");
    CHECK_STR(NORM(3, {"net.transport", "ip_tcp"}), "network.transport=tcp");
    CHECK_STR(NORM(4, {"messaging.operation", "publish"}), "messaging.operation.type=send");
    /* http.flavor: name and version */
    CHECK_STR(NORM(2, {"http.flavor", "1.1"}), "network.protocol.name=http,network.protocol.version=1.1");
    CHECK_STR(NORM(2, {"http.flavor", "QUIC"}), "network.protocol.name=quic");
    CHECK_STR(NORM(2, {"http.flavor", "2.0"}, {"network.protocol.version", "2"}),
              "network.protocol.version=2,network.protocol.name=http");
    /* database, messaging, peer */
    CHECK_STR(NORM(3, {"db.statement", "SELECT 1"}, {"db.operation", "SELECT"}, {"db.name", "shop"},
                   {"db.sql.table", "orders"}),
              "db.query.text=SELECT 1,db.operation.name=SELECT,db.namespace=shop,db.collection.name=orders");
    CHECK_STR(NORM(4, {"messaging.destination", "q"}, {"messaging.kafka.partition", "3"}),
              "messaging.destination.name=q,messaging.destination.partition.id=3");
    CHECK_STR(NORM(3, {"peer.service", "billing"}), "service.peer.name=billing");
    CHECK_STR(NORM(2, {"http.status_code", "200"}, {"http.user_agent", "curl"}, {"http.url", "http://x/"},
                   {"http.scheme", "http"}, {"net.sock.peer.addr", "10.0.0.1"}),
              "http.response.status_code=200,url.scheme=http,url.full=http://x/,user_agent.original=curl,"
              "network.peer.address=10.0.0.1");
    CHECK_STR(NORM(2, {"http.request_content_length", "5"}, {"http.response_content_length", "7"}),
              "http.request.body.size=5,http.response.body.size=7");
    /* stable ids on both sides of 64 */
    CHECK_STR(NORM(3, {"rpc.jsonrpc.version", "2.0"}, {"rpc.system", "grpc"}, {"http.method", "GET"}),
              "http.request.method=GET,rpc.system.name=grpc,jsonrpc.protocol.version=2.0");
    CHECK_STR(NORM(3, {"rpc.jsonrpc.version", "2.0"}, {"rpc.system", "grpc"}, {"rpc.system.name", "x"}),
              "rpc.system.name=x,jsonrpc.protocol.version=2.0");
    /* nothing to do */
    CHECK_STR(NORM(2, {"a", "1"}, {"server.address", "x"}), "a=1,server.address=x");

    CHECK(ol_semconv_fills(ol_semconv_name(S("net.peer.name")).deprecated, 2, S("client.address")));
    CHECK(!ol_semconv_fills(ol_semconv_name(S("net.peer.name")).deprecated, 2, S("server.address")));
    CHECK(ol_semconv_fills(ol_semconv_name(S("net.peer.name")).deprecated, 3, S("server.address")));
    CHECK(ol_semconv_fills(ol_semconv_name(S("http.target")).deprecated, 0, S("url.query")));
    CHECK(!ol_semconv_fills(ol_semconv_name(S("http.target")).deprecated, 0, S("url.full")));
    CHECK(!ol_semconv_fills(-1, 0, S("url.full")));
}

/* ---- single lookups on encoded lists ---- */

static void put_kv(ol_buf_t *b, const char *k, const char *v, bool as_int)
{
    size_t kv = ol_pb_begin(b, 9);
    ol_pb_put_bytes(b, 1, S(k));
    size_t av = ol_pb_begin(b, 2);
    if (as_int) ol_pb_put_uint(b, 3, (uint64_t)strtoll(v, NULL, 10));
    else ol_pb_put_bytes(b, 1, S(v));
    ol_pb_end(b, av);
    ol_pb_end(b, kv);
}

static const char *get(ol_slice_t msg, int32_t kind, const char *key)
{
    static char res[256];
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 0);
    bool ok = ol_semconv_get(msg, 9, kind, S(key), &out);
    snprintf(res, sizeof res, "%s%.*s", ok ? "" : "(none)", (int)out.len, (const char *)out.data);
    if (!ok && out.len) snprintf(res, sizeof res, "(none, but out written)");
    ol_buf_free(&out);
    return res;
}

static void test_get(void)
{
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    put_kv(&b, "net.host.name", "h", false);
    put_kv(&b, "net.peer.name", "p", false);
    put_kv(&b, "net.peer.port", "5432", true);
    put_kv(&b, "db.system", "db2", false);
    put_kv(&b, "http.target", "/x?y", false);
    put_kv(&b, "peer.service", "old", false);
    put_kv(&b, "service.peer.name", "new", false);
    ol_slice_t m = ol_buf_slice(&b);
    CHECK_STR(get(m, 3, "server.address"), "p");
    CHECK_STR(get(m, 2, "server.address"), "h");
    CHECK_STR(get(m, 2, "client.address"), "p");
    CHECK_STR(get(m, 3, "client.address"), "(none)");
    CHECK_STR(get(m, 3, "server.port"), "5432");
    CHECK_STR(get(m, 3, "db.system.name"), "ibm.db2");
    CHECK_STR(get(m, 3, "url.path"), "/x");
    CHECK_STR(get(m, 3, "url.query"), "y");
    CHECK_STR(get(m, 3, "service.peer.name"), "new");
    CHECK_STR(get(m, 3, "db.system"), "(none)");   /* a deprecated name reads as absent */
    CHECK_STR(get(m, 3, "peer.service"), "(none)");
    CHECK_STR(get(m, 3, "messaging.system"), "(none)");
    CHECK_STR(get(m, 3, "net.peer.port"), "(none)");
    ol_buf_reset(&b);
    put_kv(&b, "messaging.system", "kafka", false);
    put_kv(&b, "url.query", "", false);
    put_kv(&b, "http.target", "/p?q", false);
    m = ol_buf_slice(&b);
    CHECK_STR(get(m, 4, "messaging.system"), "kafka");
    CHECK_STR(get(m, 4, "url.query"), "");         /* its own (empty) value wins */
    CHECK_STR(get(m, 4, "url.path"), "/p");
    CHECK_STR(get(OL_SLICE_NULL, 4, "url.path"), "(none)");
    ol_buf_free(&b);

    ol_buf_t t;
    ol_buf_init(&t, OL_MEM_CORE, 0);
    ol_semconv_metrics_text(&t);
    CHECK(memmem(t.data, t.len, "olly_semconv_renamed_attributes_total ", 38) != NULL);
    ol_buf_free(&t);
}

/* ---- SQL over a store ---- */

#define BASE_S UINT64_C(1700000000)

static ol_store_t *g_store;
static char g_dir[64];

static void append_json(ol_signal_t sig, const ol_pb_msg_t *root, const char *json)
{
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_CORE, 1u << 20);
    ol_arena_t *a = ol_arena_create(1u << 16, 0);
    ol_err_t err = {{0}};
    int rc = ol_otlp_json_to_pb(root, S(json), a, &pb, &err);
    if (rc != OL_OK) fprintf(stderr, "json: %s\n", err.msg);
    CHECK_EQ_INT(rc, OL_OK);
    ol_otlp_batch_t batch;
    CHECK_EQ_INT(ol_otlp_decode(sig, ol_buf_slice(&pb), a, &batch, &err), OL_OK);
    ol_store_append_result_t res = {0};
    CHECK_EQ_INT(ol_store_append(g_store, &batch, &res), OL_OK);
    ol_arena_destroy(a);
    ol_buf_free(&pb);
}

#define KS(k, v) "{\"key\":\"" k "\",\"value\":{\"stringValue\":\"" v "\"}}"
#define KI(k, v) "{\"key\":\"" k "\",\"value\":{\"intValue\":\"" v "\"}}"

static void span(ol_buf_t *b, int i, const char *name, int kind, const char *attrs)
{
    uint64_t start = (BASE_S + (uint64_t)i * 60) * UINT64_C(1000000000);
    ol_buf_printf(b,
                  "%s{\"traceId\":\"%032x\",\"spanId\":\"%016x\",\"name\":\"%s\",\"kind\":%d,"
                  "\"startTimeUnixNano\":\"%" PRIu64 "\",\"endTimeUnixNano\":\"%" PRIu64 "\",\"attributes\":[%s]}",
                  i ? "," : "", 0x100 + i, 0x200 + i, name, kind, start, start + 1000000, attrs);
}

static void load(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/olly-test-semconv-XXXXXX");
    if (!mkdtemp(g_dir)) abort();
    ol_store_options_t o = {.dir = g_dir, .fsync = OL_FSYNC_NEVER, .flush_age_ms = 24ull * 3600 * 1000,
                            .merge_min_parts = 1000, .threads = 1};
    ol_err_t err = {{0}};
    if (ol_store_open(&o, &g_store, &err) != OL_OK || ol_store_replay(g_store) != OL_OK) abort();
    ol_buf_t j;
    ol_buf_init(&j, OL_MEM_CORE, 1u << 20);
    ol_buf_append_cstr(&j, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[" KS("service.name", "web") ","
                           KS("net.host.name", "h1") "]},\"scopeSpans\":[{\"scope\":{\"name\":\"t\"},\"spans\":[");
    span(&j, 0, "GET /a", 2,
         KS("http.method", "GET") "," KS("http.target", "/a/b?x=1") "," KS("net.peer.name", "10.0.0.9") ","
         KI("http.status_code", "200"));
    span(&j, 1, "GET /c", 2, KS("http.method", "GET") "," KS("http.scheme", "https"));
    span(&j, 2, "both", 2, KS("http.method", "POST") "," KS("http.request.method", "PUT"));
    span(&j, 3, "call", 3,
         KS("net.peer.name", "db.local") "," KI("net.peer.port", "5432") "," KS("db.system", "mssql") ","
         KS("db.statement", "SELECT 1") "," KS("peer.service", "billing"));
    span(&j, 4, "stable", 3,
         KS("net.peer.name", "ignored") "," KS("http.request.method", "DELETE") "," KS("server.address", "x.example"));
    span(&j, 5, "plain", 1, KS("http.route", "/r"));
    ol_buf_append_cstr(&j, "]}]}]}");
    ol_buf_append_u8(&j, 0);
    append_json(OL_SIGNAL_TRACES, &ol_pb_ExportTraceServiceRequest, (const char *)j.data);
    ol_buf_reset(&j);
    ol_buf_printf(&j,
                  "{\"resourceLogs\":[{\"resource\":{\"attributes\":[" KS("service.name", "web") "]},"
                  "\"scopeLogs\":[{\"logRecords\":["
                  "{\"timeUnixNano\":\"%" PRIu64 "\",\"body\":{\"stringValue\":\"a\"},\"attributes\":["
                  KI("http.status_code", "404") "," KS("net.peer.name", "c.example") "]},"
                  "{\"timeUnixNano\":\"%" PRIu64 "\",\"body\":{\"stringValue\":\"b\"},\"attributes\":["
                  KI("http.response.status_code", "500") "]}]}]}]}",
                  (BASE_S + 10) * UINT64_C(1000000000), (BASE_S + 20) * UINT64_C(1000000000));
    ol_buf_append_u8(&j, 0);
    append_json(OL_SIGNAL_LOGS, &ol_pb_ExportLogsServiceRequest, (const char *)j.data);
    ol_buf_free(&j);
}

static char g_res[8192];

static const char *sql_lim(const char *sql, bool off)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CORE, 16u << 20);
    ol_err_t err = {{0}};
    ol_sql_limits_t lim = {.semconv_off = off};
    int rc = ol_sql_run(g_store, sql, strlen(sql), &lim, (BASE_S + 3600) * UINT64_C(1000000000), &out, NULL, &err);
    if (rc != OL_OK) {
        snprintf(g_res, sizeof g_res, "error: %s", err.msg);
    } else {
        const char *r = memmem(out.data, out.len, "\"rows\":", 7);
        const char *e = memmem(out.data, out.len, ",\"statistics\"", 13);
        if (r && e) snprintf(g_res, sizeof g_res, "%.*s", (int)(e - r - 7), r + 7);
        else snprintf(g_res, sizeof g_res, "%.*s", (int)out.len, (const char *)out.data);
    }
    ol_buf_free(&out);
    return g_res;
}

#define ON(sql, want) CHECK_STR(sql_lim(sql, false), want)
#define OFF(sql, want) CHECK_STR(sql_lim(sql, true), want)

static void queries(void)
{
    ON("SELECT count() FROM spans WHERE SpanAttributes['http.request.method'] = 'GET'", "[[2]]");
    ON("SELECT count() FROM spans WHERE SpanAttributes['http.method'] != ''", "[[0]]");
    ON("SELECT count() FROM spans WHERE mapContains(SpanAttributes, 'http.method')", "[[0]]");
    ON("SELECT count() FROM spans WHERE mapContains(SpanAttributes, 'http.request.method')", "[[4]]");
    ON("SELECT SpanAttributes['http.request.method'] FROM spans WHERE SpanName = 'both'", "[[\"PUT\"]]");
    ON("SELECT SpanAttributes FROM spans WHERE SpanName = 'both'", "[[{\"http.request.method\":\"PUT\"}]]");
    ON("SELECT SpanAttributes FROM spans WHERE SpanName = 'GET /a'",
       "[[{\"client.address\":\"10.0.0.9\",\"http.request.method\":\"GET\",\"http.response.status_code\":\"200\","
       "\"url.path\":\"/a/b\",\"url.query\":\"x=1\"}]]");
    ON("SELECT SpanAttributes['client.address'], SpanAttributes['server.address'], SpanAttributes['url.query'], "
       "SpanAttributes['http.target'] FROM spans WHERE SpanName = 'GET /a'",
       "[[\"10.0.0.9\",\"\",\"x=1\",\"\"]]");
    ON("SELECT SpanAttributes['server.address'], SpanAttributes['server.port'], SpanAttributes['db.system.name'], "
       "SpanAttributes['db.query.text'], SpanAttributes['service.peer.name'] FROM spans WHERE SpanName = 'call'",
       "[[\"db.local\",\"5432\",\"microsoft.sql_server\",\"SELECT 1\",\"billing\"]]");
    ON("SELECT SpanAttributes FROM spans WHERE SpanName = 'stable'",
       "[[{\"http.request.method\":\"DELETE\",\"server.address\":\"x.example\"}]]");
    ON("SELECT SpanAttributes FROM spans WHERE SpanName = 'plain'", "[[{\"http.route\":\"/r\"}]]");
    ON("SELECT count() FROM spans WHERE has(SpanAttributeItems, 'http.request.method=GET')", "[[2]]");
    ON("SELECT SpanAttributes['http.request.method'] AS m, count() FROM spans GROUP BY m ORDER BY m",
       "[[\"\",2],[\"DELETE\",1],[\"GET\",2],[\"PUT\",1]]");
    ON("SELECT SpanAttributes['url.scheme'], length(SpanAttributes) FROM spans WHERE SpanName = 'GET /c'",
       "[[\"https\",2]]");
    /* resource attributes are read as sent */
    ON("SELECT ResourceAttributes['net.host.name'], ResourceAttributes['server.address'] FROM spans LIMIT 1",
       "[[\"h1\",\"\"]]");
    /* logs: no span kind, so net.peer.name is the server's address */
    ON("SELECT LogAttributes['http.response.status_code'], LogAttributes['server.address'], "
       "LogAttributes['http.status_code'] FROM logs ORDER BY Timestamp",
       "[[\"404\",\"c.example\",\"\"],[\"500\",\"\",\"\"]]");
    ON("SELECT mapKeys(LogAttributes) FROM logs ORDER BY Timestamp LIMIT 1",
       "[[[\"http.response.status_code\",\"server.address\"]]]");

    /* off: the maps as the exporter writes them */
    OFF("SELECT count() FROM spans WHERE SpanAttributes['http.request.method'] = 'GET'", "[[0]]");
    OFF("SELECT SpanAttributes['http.method'], SpanAttributes['url.path'] FROM spans WHERE SpanName = 'GET /a'",
        "[[\"GET\",\"\"]]");
    OFF("SELECT SpanAttributes FROM spans WHERE SpanName = 'both'",
        "[[{\"http.method\":\"POST\",\"http.request.method\":\"PUT\"}]]");
    OFF("SELECT mapKeys(LogAttributes) FROM logs ORDER BY Timestamp LIMIT 1",
        "[[[\"http.status_code\",\"net.peer.name\"]]]");
}

static void test_sql_head(void) { queries(); }

static void test_sql_parts(void)
{
    CHECK_EQ_INT(ol_store_flush_now(g_store), OL_OK);
    ol_store_stats_t st;
    ol_store_stats(g_store, &st);
    CHECK(st.parts > 0 && st.head_spans == 0);
    queries();
}

int main(void)
{
    RUN(test_names);
    RUN(test_list);
    RUN(test_get);
    load();
    RUN(test_sql_head);
    RUN(test_sql_parts);
    ol_store_close(g_store);
    ol_test_rm_rf(g_dir);
    return TEST_REPORT();
}
