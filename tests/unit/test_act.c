/*
 * test_act.c - alerting without the network: the routing configuration
 * (parse, errors that name the field, route matching), the packed alert,
 * every receiver's payload (parsed back with codec/json.h and checked field
 * by field) and the stored record (round trip; every truncation refused).
 * test_act_deliver.c covers delivery against a local HTTP receiver.
 */
#include <unistd.h>

#include "act/act_int.h"
#include "codec/json.h"
#include "core/util.h"
#include "test.h"

/* ---- JSON reading helpers ---- */

static ol_arena_t *J_ARENA;
static ol_json_doc_t J;

static bool jparse(ol_slice_t s)
{
    if (J_ARENA) ol_arena_destroy(J_ARENA);
    J_ARENA = ol_arena_create(65536, 0);
    ol_err_t err;
    int rc = ol_json_parse(s, J_ARENA, &J, &err);
    if (rc != OL_OK) fprintf(stderr, "  JSON parse: %s\n  in: %.*s\n", err.msg, (int)OL_MIN(s.len, 2000), s.ptr);
    return rc == OL_OK;
}

/* Token at a path like "payload.summary" or "alerts[0].labels.service"; 0 if absent. */
static uint32_t jget(const char *path)
{
    uint32_t t = 0;
    const char *p = path;
    while (*p) {
        if (*p == '.') p++;
        if (*p == '[') {
            unsigned idx = (unsigned)strtoul(p + 1, (char **)&p, 10);
            p++;
            if (J.toks[t].kind != OL_JSON_ARRAY || idx >= J.toks[t].size) return 0;
            uint32_t e = t + 1;
            for (unsigned i = 0; i < idx; i++) e = J.toks[e].next;
            t = e;
            continue;
        }
        char name[128];
        size_t n = strcspn(p, ".[");
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        p += n;
        t = ol_json_object_get(&J, t, name);
        if (!t) return 0;
    }
    return t;
}

static const char *jstr(const char *path)
{
    uint32_t t = jget(path);
    if (!t || J.toks[t].kind != OL_JSON_STRING) return NULL;
    ol_slice_t s;
    if (ol_json_unescape(&J.toks[t], J_ARENA, &s) != OL_OK) return NULL;
    char *z = ol_arena_alloc(J_ARENA, s.len + 1);
    memcpy(z, s.ptr, s.len);
    z[s.len] = 0;
    return z;
}

static bool jis(const char *path, const char *want)
{
    const char *got = jstr(path);
    if (!got || strcmp(got, want) != 0) {
        fprintf(stderr, "  %s: got %s%s%s, want \"%s\"\n", path, got ? "\"" : "", got ? got : "(absent)",
                got ? "\"" : "", want);
        return false;
    }
    return true;
}

/* Member `key` (which may hold dots) of the object at path, as a string. */
static bool jkey_is(const char *path, const char *key, const char *want)
{
    uint32_t o = jget(path), t = o ? ol_json_object_get(&J, o, key) : 0;
    ol_slice_t s;
    return t && J.toks[t].kind == OL_JSON_STRING && ol_json_unescape(&J.toks[t], J_ARENA, &s) == OL_OK &&
           ol_slice_eq_cstr(s, want);
}

static uint64_t jtime(const char *path)
{
    const char *s = jstr(path);
    uint64_t ns = 0;
    if (!s || ol_time_parse(ol_slice_cstr(s), &ns) != OL_OK) return 0;
    return ns;
}

static uint32_t jsize(const char *path)
{
    uint32_t t = jget(path);
    return t ? J.toks[t].size : UINT32_MAX;
}

/* ---- configuration ---- */

static ol_act_config_t *cfg_ok(const char *json)
{
    ol_act_config_t *c = NULL;
    ol_err_t err = {{0}};
    int rc = ol_act_config_parse(ol_slice_cstr(json), &c, &err);
    if (rc != OL_OK) fprintf(stderr, "  config refused: %s\n", err.msg);
    CHECK_EQ_INT(rc, OL_OK);
    return c;
}

static void test_config_parse(void)
{
    ol_act_config_t *c = cfg_ok(
        "{\"receivers\":[{\"name\":\"am\",\"type\":\"alertmanager\",\"url\":\"http://127.0.0.1:9093/\"},"
        "{\"name\":\"am2\",\"type\":\"alertmanager\",\"url\":\"http://h:9093/api/v2/alerts\"},"
        "{\"name\":\"slack\",\"type\":\"slack\",\"url\":\"https://hooks.example/T/B/x\",\"timeout_ms\":2500},"
        "{\"name\":\"pd\",\"type\":\"pagerduty\",\"routing_key\":\"R0123\"},"
        "{\"name\":\"hook\",\"type\":\"webhook\",\"url\":\"http://x/h\",\"headers\":{\"Authorization\":\"Bearer t\","
        "\"X-A\":\"b\"}}],"
        "\"routes\":[{\"match\":{\"severity\":\"page\"},\"receivers\":[\"pd\",\"am\"],\"continue\":true},"
        "{\"match_re\":{\"service\":\"check.*\"},\"receivers\":[\"slack\"]},{\"receivers\":[\"hook\"]}],"
        "\"resend_interval_s\":30,\"external_url\":\"http://olly:3300/\",\"node_id\":\"n1\",\"queue_size\":16,"
        "\"retry_initial_ms\":5,\"retry_max_ms\":50,\"retry_give_up_s\":2.5,\"shutdown_flush_ms\":100}");
    if (!c) return;
    CHECK_EQ_INT(c->n_recv, 5);
    CHECK(strcmp(c->recv[0].url, "http://127.0.0.1:9093/api/v2/alerts") == 0);
    CHECK(strcmp(c->recv[1].url, "http://h:9093/api/v2/alerts") == 0);
    CHECK_EQ_INT(c->recv[2].timeout_ms, 2500);
    CHECK_EQ_INT(c->recv[0].timeout_ms, 10000);
    CHECK(strcmp(c->recv[3].url, "https://events.pagerduty.com/v2/enqueue") == 0);
    CHECK(strcmp(c->recv[3].routing_key, "R0123") == 0);
    CHECK_EQ_INT(c->recv[4].n_headers, 2);
    CHECK(strcmp(c->recv[4].headers[0], "Authorization: Bearer t") == 0);
    CHECK_EQ_INT(c->n_routes, 3);
    CHECK(c->routes[0].cont && !c->routes[1].cont);
    CHECK_EQ_INT(c->routes[0].receivers, (1u << 3) | (1u << 0));
    CHECK(c->resend_ns == 30ull * 1000000000ull);
    CHECK(strcmp(c->external_url, "http://olly:3300") == 0);
    CHECK(strcmp(c->node_id, "n1") == 0);
    CHECK_EQ_INT(c->queue_size, 16);
    CHECK_EQ_INT(c->retry_initial_ms, 5);
    CHECK(c->give_up_ns == 2500000000ull);
    CHECK_EQ_INT(c->shutdown_flush_ms, 100);
    ol_act_config_free(c);

    c = cfg_ok("{}");
    if (c) {
        CHECK_EQ_INT(c->n_recv, 0);
        CHECK(c->resend_ns == 60ull * 1000000000ull);
        CHECK(!c->has_routes);
        ol_act_config_free(c);
    }
}

static void test_config_errors(void)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"[]", "must be a JSON object"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"slack\"}]}", "receivers[0].url: missing"},
        {"{\"receivers\":[{\"type\":\"slack\",\"url\":\"http://x\"}]}", "receivers[0].name: missing"},
        {"{\"receivers\":[{\"name\":\"a\",\"url\":\"http://x\"}]}", "receivers[0].type: missing"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"email\",\"url\":\"http://x\"}]}",
         "receivers[0].type: \"email\" is not one of"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"slack\",\"url\":\"ftp://x\"}]}",
         "receivers[0].url: must be an http:// or https:// URL"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"pagerduty\"}]}", "receivers[0].routing_key: missing"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"slack\",\"url\":\"http://x\",\"routing_key\":\"k\"}]}",
         "receivers[0].routing_key: only pagerduty"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"slack\",\"url\":\"http://x\"},{\"name\":\"a\",\"type\":"
         "\"webhook\",\"url\":\"http://y\"}]}",
         "receivers[1].name: \"a\" is also the name of receivers[0]"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"slack\",\"url\":\"http://x\",\"rooting_key\":\"k\"}]}",
         "receivers[0].rooting_key: unknown field"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"slack\",\"url\":\"http://x\",\"timeout_ms\":\"5\"}]}",
         "receivers[0].timeout_ms: expected a number, found a string"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"webhook\",\"url\":\"http://x\",\"headers\":{\"A\":\"b\\r\\nC: "
         "d\"}}]}",
         "receivers[0].headers.A: the value contains a line break"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"webhook\",\"url\":\"http://x\",\"headers\":{\"A:B\":\"c\"}}]}",
         "receivers[0].headers.A:B: is not a valid header name"},
        /* a second "headers" got an array of its own size but kept counting from the first: it wrote past the end */
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"webhook\",\"url\":\"http://x\",\"headers\":{\"A\":\"b\"},"
         "\"headers\":{\"C\":\"d\",\"E\":\"f\"}}]}",
         "receivers[0].headers: given twice"},
        /* found by fuzz_act_config: an Alertmanager URL of slashes became "http:/api/v2/alerts" */
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"alertmanager\",\"url\":\"http:////\"}]}",
         "receivers[0].url: has no host"},
        {"{\"external_url\":\"https://\"}", "external_url: has no host"},
        {"{\"receivers\":[],\"routes\":[{\"receivers\":[\"pd\"]}]}", "routes[0].receivers[0]: no receiver is named \"pd\""},
        {"{\"routes\":[{\"match\":{\"a\":\"b\"}}]}", "routes[0].receivers: missing"},
        {"{\"receivers\":[{\"name\":\"a\",\"type\":\"slack\",\"url\":\"http://x\"}],\"routes\":[{\"match_re\":"
         "{\"service\":\"(\"},\"receivers\":[\"a\"]}]}",
         "routes[0].match_re.service: invalid regular expression"},
        {"{\"routes\":[{\"receivers\":[],\"continue\":1}]}", "routes[0].continue: expected a boolean, found a number"},
        {"{\"routes\":[{\"receivers\":[],\"matches\":{}}]}", "routes[0].matches: unknown field"},
        {"{\"resend_interval_s\":0}", "resend_interval_s: must be a number from 0.01 to 86400"},
        {"{\"queue_size\":1.5}", "queue_size: must be a whole number"},
        {"{\"retry_initial_ms\":100,\"retry_max_ms\":10}", "retry_max_ms: must not be below retry_initial_ms"},
        {"{\"external_url\":\"olly:3300\"}", "external_url: must be an http:// or https:// URL"},
        {"{\"resend\":60}", "resend: unknown field"},
        {"{\"receivers\":{}}", "receivers: expected an array, found an object"},
        {"{\"receivers\":[", "not valid JSON"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(cases); i++) {
        ol_act_config_t *c = NULL;
        ol_err_t err = {{0}};
        int rc = ol_act_config_parse(ol_slice_cstr(cases[i].json), &c, &err);
        CHECK(rc != OL_OK);
        CHECK(c == NULL);
        if (!strstr(err.msg, cases[i].want)) {
            fprintf(stderr, "  case %zu: error \"%s\" lacks \"%s\"\n", i, err.msg, cases[i].want);
            CHECK(0);
        }
        ol_act_config_free(c);
    }
}

static void test_config_load(void)
{
    char path[] = "/tmp/ol-act-cfg-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    const char *doc = "{\"receivers\":[{\"name\":\"s\",\"type\":\"slack\",\"url\":\"http://x\"}],\"routes\":[{\"receivers\":[\"t\"]}]}";
    CHECK(write(fd, doc, strlen(doc)) == (ssize_t)strlen(doc));
    close(fd);
    ol_act_config_t *c = NULL;
    ol_err_t err = {{0}};
    CHECK(ol_act_config_load(path, &c, &err) == OL_CORRUPT);
    CHECK(strstr(err.msg, "routes[0].receivers[0]") && strstr(err.msg, path));
    unlink(path);
    CHECK(ol_act_config_load(path, &c, &err) == OL_ERR);
    CHECK(strstr(err.msg, path) != NULL);
}

/* ---- the packed alert and routing ---- */

#define PAIR(n, v) {OL_SLICE_LIT(n), OL_SLICE_LIT(v)}

static ol_act_ev_t *pack(const ol_act_pair_t *labels, uint32_t n)
{
    ol_act_alert_t al = {.key = OL_SLICE_LIT("k"), .labels = labels, .n_labels = n};
    ol_act_ev_t *e = NULL;
    CHECK_EQ_INT(ol_act_ev_pack(&al, OL_ACT_EV_FIRE, &e), OL_OK);
    return e;
}

static void test_pack(void)
{
    ol_act_pair_t labels[] = {PAIR("service", "cart"), PAIR("severity", "warn"), PAIR("service", "checkout")};
    ol_act_pair_t ann[] = {PAIR("summary", "s")};
    ol_act_pair_t links[] = {PAIR("trace", "/api/v1/traces/ab")};
    ol_act_alert_t al = {.key = OL_SLICE_LIT("svc=checkout;incident=1"), .labels = labels, .n_labels = 3,
                         .annotations = ann, .n_annotations = 1, .links = links, .n_links = 1,
                         .onset_ns = 1700000000000000000ll};
    ol_act_ev_t *e = NULL;
    CHECK_EQ_INT(ol_act_ev_pack(&al, OL_ACT_EV_FIRE, &e), OL_OK);
    if (!e) return;
    CHECK_EQ_INT(e->n_labels, 3); /* service (deduplicated, last wins), severity, alertname */
    CHECK(ol_slice_eq_cstr(ol_act_get(e->labels, e->n_labels, "service"), "checkout"));
    CHECK(ol_slice_eq_cstr(ol_act_get(e->labels, e->n_labels, "alertname"), "OllyAnomaly"));
    CHECK(e->labels[0].value.ptr[e->labels[0].value.len] == 0);
    CHECK(ol_slice_eq_cstr(e->key, "svc=checkout;incident=1"));
    CHECK_EQ_INT(e->n_links, 1);
    ol_act_ev_free(e);

    ol_act_alert_t bad = {.key = OL_SLICE_NULL};
    CHECK_EQ_INT(ol_act_ev_pack(&bad, OL_ACT_EV_FIRE, &e), OL_CORRUPT);
    ol_act_pair_t many[OL_ACT_MAX_PAIRS + 1];
    for (int i = 0; i <= OL_ACT_MAX_PAIRS; i++) many[i] = (ol_act_pair_t)PAIR("a", "b");
    bad = (ol_act_alert_t){.key = OL_SLICE_LIT("k"), .labels = many, .n_labels = OL_ACT_MAX_PAIRS + 1};
    CHECK_EQ_INT(ol_act_ev_pack(&bad, OL_ACT_EV_FIRE, &e), OL_LIMIT);
    ol_act_pair_t noname[] = {{OL_SLICE_NULL, OL_SLICE_LIT("v")}};
    bad = (ol_act_alert_t){.key = OL_SLICE_LIT("k"), .labels = noname, .n_labels = 1};
    CHECK_EQ_INT(ol_act_ev_pack(&bad, OL_ACT_EV_FIRE, &e), OL_CORRUPT);
    char big[OL_ACT_MAX_KEY + 1];
    memset(big, 'k', sizeof big);
    bad = (ol_act_alert_t){.key = ol_slice(big, sizeof big)};
    CHECK_EQ_INT(ol_act_ev_pack(&bad, OL_ACT_EV_FIRE, &e), OL_LIMIT);
}

static void test_route(void)
{
    ol_act_config_t *c = cfg_ok(
        "{\"receivers\":[{\"name\":\"pd\",\"type\":\"pagerduty\",\"routing_key\":\"k\"},"
        "{\"name\":\"am\",\"type\":\"alertmanager\",\"url\":\"http://a\"},"
        "{\"name\":\"slack\",\"type\":\"slack\",\"url\":\"http://s\"},"
        "{\"name\":\"hook\",\"type\":\"webhook\",\"url\":\"http://h\"}],"
        "\"routes\":[{\"receivers\":[\"am\"],\"continue\":true},"
        "{\"match\":{\"severity\":\"page\"},\"receivers\":[\"pd\"]},"
        "{\"match_re\":{\"service\":\"check|pay.*\"},\"match\":{\"env\":\"\"},\"receivers\":[\"slack\"]},"
        "{\"receivers\":[\"hook\"]}]}");
    if (!c) return;
    struct {
        ol_act_pair_t l[3];
        uint32_t n;
        uint64_t want;
    } cases[] = {
        {{PAIR("severity", "page"), PAIR("service", "check")}, 2, 1 | 2},       /* am (continue) + pd, stop */
        {{PAIR("service", "check")}, 1, 2 | 4},                                 /* regex anchored: matches */
        {{PAIR("service", "checkout")}, 1, 2 | 8},                              /* "check" only, not a prefix */
        {{PAIR("service", "payment")}, 1, 2 | 4},                               /* pay.* */
        {{PAIR("service", "payment"), PAIR("env", "prod")}, 2, 2 | 8},          /* env must be absent/empty */
        {{PAIR("severity", "pagex")}, 1, 2 | 8},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(cases); i++) {
        ol_act_ev_t *e = pack(cases[i].l, cases[i].n);
        if (!e) continue;
        uint64_t got = ol_act_route(c, e->labels, e->n_labels);
        if (got != cases[i].want) fprintf(stderr, "  route case %zu: got %#llx\n", i, (unsigned long long)got);
        CHECK(got == cases[i].want);
        ol_act_ev_free(e);
    }
    ol_act_config_free(c);

    c = cfg_ok("{\"receivers\":[{\"name\":\"a\",\"type\":\"slack\",\"url\":\"http://s\"},"
               "{\"name\":\"b\",\"type\":\"slack\",\"url\":\"http://t\"}]}");
    if (!c) return;
    ol_act_ev_t *e = pack(NULL, 0);
    if (e) CHECK(ol_act_route(c, e->labels, e->n_labels) == 3); /* no routes: everyone */
    ol_act_ev_free(e);
    ol_act_config_free(c);
}

/* ---- payloads ---- */

#define T0 1767225600000000000ull /* 2026-01-01T00:00:00Z */
#define EXT "http://olly.example:3300"

typedef struct fixture {
    ol_act_rec_t r;
    ol_act_receiver_t rc;
} fixture_t;

static void fixture_init(fixture_t *f, const char *key, bool resolved)
{
    memset(f, 0, sizeof *f);
    ol_act_pair_t labels[] = {PAIR("alertname", "LatencyAnomaly"), PAIR("service", "checkout"),
                              PAIR("operation", "POST /cart"), PAIR("severity", "page"),
                              PAIR("signal", "latency_p99"), PAIR("service.version", "1.2"), PAIR("1st", "x"),
                              PAIR("empty", "")};
    ol_act_pair_t ann[] = {PAIR("summary", "p99 <3x> baseline & rising"), PAIR("description", "longer text"),
                           PAIR("score", "0.93"), PAIR("detector", "robust"),
                           PAIR("explanation", "p99 412 ms vs 130 ms (9.1 MADs) since 12:00")};
    ol_act_pair_t links[] = {PAIR("example trace", "/api/v1/traces/0af7651916cd43dd8448eb211c80319c"),
                             PAIR("runbook", "https://runbooks.example/latency")};
    ol_act_alert_t al = {.key = ol_slice_cstr(key), .labels = labels, .n_labels = OL_ARRAY_LEN(labels),
                         .annotations = ann, .n_annotations = OL_ARRAY_LEN(ann), .links = links, .n_links = 2,
                         .onset_ns = (int64_t)(T0 - 3600ull * 1000000000ull),
                         .generator = OL_SLICE_LIT("/api/v1/anomalies?service=checkout")};
    CHECK_EQ_INT(ol_act_ev_pack(&al, OL_ACT_EV_FIRE, &f->r.c), OL_OK);
    f->r.episode = 1;
    f->r.starts_wall = T0;
    f->r.status = resolved ? OL_ACT_RESOLVED : OL_ACT_FIRING;
    f->r.ends_wall = resolved ? T0 + 125ull * 1000000000ull : 0;
    f->rc = (ol_act_receiver_t){.name = "recv1", .type = OL_ACT_PAGERDUTY, .routing_key = "RKEY"};
}

static void fixture_free(fixture_t *f) { ol_act_ev_free(f->r.c); }

static void test_payload_am(void)
{
    fixture_t f, g;
    fixture_init(&f, "svc=checkout;incident=7", false);
    fixture_init(&g, "svc=checkout;incident=6", true);
    if (!f.r.c || !g.r.c) return;
    ol_act_view_t v[2] = {{&f.r, false, T0 + 240ull * 1000000000ull}, {&g.r, true, g.r.ends_wall}};
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ACT, 0);
    ol_act_payload_am(&b, v, 2, EXT);
    CHECK(b.err == OL_OK);
    if (jparse(ol_buf_slice(&b))) {
        CHECK(J.toks[0].kind == OL_JSON_ARRAY && J.toks[0].size == 2);
        CHECK(jis("[0].labels.alertname", "LatencyAnomaly"));
        CHECK(jis("[0].labels.service", "checkout"));
        CHECK(jis("[0].labels.operation", "POST /cart"));
        CHECK(jis("[0].labels.service_version", "1.2")); /* made a valid label name */
        CHECK(jis("[0].labels._1st", "x"));
        CHECK(jget("[0].labels.empty") == 0); /* empty values left out */
        CHECK(jget("[0].labels.service.version") == 0);
        CHECK(jis("[0].annotations.summary", "p99 <3x> baseline & rising"));
        CHECK(jis("[0].annotations.score", "0.93"));
        CHECK(jis("[0].annotations.onset", "2025-12-31T23:00:00.000000000Z"));
        const char *links = jstr("[0].annotations.links");
        CHECK(links && strstr(links, "example trace: " EXT "/api/v1/traces/0af76519") &&
              strstr(links, "\nrunbook: https://runbooks.example/latency"));
        CHECK(jtime("[0].startsAt") == T0);
        CHECK(jtime("[0].endsAt") == T0 + 240ull * 1000000000ull);
        CHECK(jis("[0].generatorURL", EXT "/api/v1/anomalies?service=checkout"));
        CHECK(jtime("[1].startsAt") == T0);
        CHECK(jtime("[1].endsAt") == T0 + 125ull * 1000000000ull);
        CHECK_EQ_INT(jsize("[0]"), 5);
    }
    ol_buf_free(&b);
    fixture_free(&f);
    fixture_free(&g);
}

static void test_payload_slack(void)
{
    fixture_t f;
    fixture_init(&f, "svc=checkout;incident=7", false);
    if (!f.r.c) return;
    ol_act_view_t v = {&f.r, false, 0};
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ACT, 0);
    ol_act_payload_slack(&b, &v, EXT);
    CHECK(b.err == OL_OK);
    if (jparse(ol_buf_slice(&b))) {
        const char *text = jstr("text");
        CHECK(text && strncmp(text, "*[FIRING] LatencyAnomaly* \xC2\xB7 checkout/POST /cart\n", 44) == 0);
        CHECK(text && strstr(text, "p99 &lt;3x&gt; baseline &amp; rising")); /* mrkdwn escaping */
        CHECK(text && !strstr(text, "<3x>"));
        CHECK(text && strstr(text, "<" EXT "/api/v1/anomalies?service=checkout|Open in Olly>"));
        CHECK(text && strstr(text, "<https://runbooks.example/latency|runbook>"));
        CHECK(text && strstr(text, "Onset (event time): 2025-12-31T23:00:00"));
        CHECK(jis("blocks[0].type", "section"));
        CHECK(jis("blocks[0].text.type", "mrkdwn"));
        const char *t0 = jstr("blocks[0].text.text");
        CHECK(t0 && strstr(t0, "[FIRING] LatencyAnomaly") && strstr(t0, "p99 &lt;3x&gt;"));
        CHECK(jis("blocks[1].text.text", "longer text"));
        CHECK(jis("blocks[2].fields[0].text", "*Severity*\npage"));
        CHECK(jis("blocks[2].fields[2].text", "*Score*\n0.93"));
        CHECK(jsize("blocks[2].fields") <= 10);
        CHECK(jis("blocks[3].text.text", "p99 412 ms vs 130 ms (9.1 MADs) since 12:00"));
        CHECK(jis("blocks[4].type", "context"));
    }
    /* resolved */
    f.r.status = OL_ACT_RESOLVED;
    f.r.ends_wall = T0 + 3725ull * 1000000000ull;
    v.resolved = true;
    ol_buf_reset(&b);
    ol_act_payload_slack(&b, &v, EXT);
    if (jparse(ol_buf_slice(&b))) {
        const char *text = jstr("text");
        CHECK(text && strncmp(text, "*[RESOLVED] LatencyAnomaly*", 27) == 0);
        CHECK(text && strstr(text, "Resolved after 1h 2m."));
    }
    /* a long summary is cut on a UTF-8 boundary and still valid JSON */
    char long_summary[9000];
    for (size_t i = 0; i + 2 < sizeof long_summary; i += 2) memcpy(long_summary + i, "\xC3\xA9", 2);
    long_summary[sizeof long_summary - 1] = 0;
    ol_act_pair_t ann[] = {{OL_SLICE_LIT("summary"), ol_slice_cstr(long_summary)}};
    ol_act_alert_t al = {.key = OL_SLICE_LIT("k"), .annotations = ann, .n_annotations = 1};
    ol_act_ev_free(f.r.c);
    CHECK_EQ_INT(ol_act_ev_pack(&al, OL_ACT_EV_FIRE, &f.r.c), OL_OK);
    ol_buf_reset(&b);
    ol_act_payload_slack(&b, &v, EXT);
    if (jparse(ol_buf_slice(&b))) {
        const char *text = jstr("text"), *t0 = jstr("blocks[0].text.text");
        CHECK(text && strlen(text) <= 3900 && !strstr(text, "\xEF\xBF\xBD"));
        CHECK(t0 && strlen(t0) <= 3000 && !strstr(t0, "\xEF\xBF\xBD"));
    }
    ol_buf_free(&b);
    fixture_free(&f);
}

static void test_payload_pagerduty(void)
{
    fixture_t f;
    fixture_init(&f, "svc=checkout;incident=7", false);
    if (!f.r.c) return;
    ol_act_view_t v = {&f.r, false, 0};
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ACT, 0);
    ol_act_payload_pagerduty(&b, &v, &f.rc, EXT);
    CHECK(b.err == OL_OK);
    if (jparse(ol_buf_slice(&b))) {
        CHECK(jis("routing_key", "RKEY"));
        CHECK(jis("event_action", "trigger"));
        CHECK(jis("dedup_key", "svc=checkout;incident=7"));
        CHECK(jis("payload.summary", "[LatencyAnomaly] checkout: p99 <3x> baseline & rising"));
        CHECK(jis("payload.source", "checkout"));
        CHECK(jis("payload.severity", "critical")); /* "page" */
        CHECK(jtime("payload.timestamp") == T0);
        CHECK(jis("payload.component", "POST /cart"));
        CHECK(jis("payload.class", "latency_p99"));
        CHECK(jis("payload.custom_details.alert_key", "svc=checkout;incident=7"));
        CHECK(jis("payload.custom_details.onset", "2025-12-31T23:00:00.000000000Z"));
        CHECK(jkey_is("payload.custom_details.labels", "service.version", "1.2")); /* names kept as they are */
        CHECK(jis("payload.custom_details.annotations.detector", "robust"));
        CHECK(jis("links[0].href", EXT "/api/v1/anomalies?service=checkout"));
        CHECK(jis("links[1].href", EXT "/api/v1/traces/0af7651916cd43dd8448eb211c80319c"));
        CHECK(jis("links[1].text", "example trace"));
        CHECK(jis("links[2].href", "https://runbooks.example/latency"));
        CHECK(jis("client", "Olly"));
        CHECK(jis("client_url", EXT));
    }
    v.resolved = true;
    ol_buf_reset(&b);
    ol_act_payload_pagerduty(&b, &v, &f.rc, EXT);
    if (jparse(ol_buf_slice(&b))) {
        CHECK_EQ_INT(J.toks[0].size, 3);
        CHECK(jis("event_action", "resolve"));
        CHECK(jis("dedup_key", "svc=checkout;incident=7"));
        CHECK(jis("routing_key", "RKEY"));
    }
    CHECK(strcmp(ol_act_pd_severity(OL_SLICE_LIT("WARN")), "warning") == 0);
    CHECK(strcmp(ol_act_pd_severity(OL_SLICE_LIT("error")), "error") == 0);
    CHECK(strcmp(ol_act_pd_severity(OL_SLICE_LIT("info")), "info") == 0);
    CHECK(strcmp(ol_act_pd_severity(OL_SLICE_NULL), "warning") == 0);
    char longkey[400];
    memset(longkey, 'x', sizeof longkey);
    ol_buf_reset(&b);
    ol_act_dedup_key(&b, ol_slice(longkey, sizeof longkey));
    CHECK(b.len == 37 && memcmp(b.data, "olly:", 5) == 0);
    ol_buf_t b2;
    ol_buf_init(&b2, OL_MEM_ACT, 0);
    longkey[399] = 'y';
    ol_act_dedup_key(&b2, ol_slice(longkey, sizeof longkey));
    CHECK(b2.len == 37 && memcmp(b.data, b2.data, 37) != 0);
    ol_buf_free(&b2);
    ol_buf_free(&b);
    fixture_free(&f);
}

static void test_payload_webhook(void)
{
    fixture_t f;
    fixture_init(&f, "svc=checkout;incident=7", false);
    if (!f.r.c) return;
    f.rc.name = "hook";
    f.rc.type = OL_ACT_WEBHOOK;
    ol_act_view_t v = {&f.r, false, 0};
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ACT, 0);
    ol_act_payload_webhook(&b, &v, &f.rc, EXT);
    CHECK(b.err == OL_OK);
    if (jparse(ol_buf_slice(&b))) {
        CHECK(jis("version", "4"));
        CHECK(jis("groupKey", "svc=checkout;incident=7"));
        CHECK(jis("status", "firing"));
        CHECK(jis("receiver", "hook"));
        CHECK(jis("externalURL", EXT));
        CHECK_EQ_INT(jsize("alerts"), 1);
        CHECK(jis("alerts[0].status", "firing"));
        CHECK(jkey_is("alerts[0].labels", "service.version", "1.2"));
        CHECK(jis("alerts[0].annotations.explanation", "p99 412 ms vs 130 ms (9.1 MADs) since 12:00"));
        CHECK(jis("alerts[0].endsAt", "0001-01-01T00:00:00Z"));
        CHECK(jtime("alerts[0].startsAt") == T0);
        CHECK(jis("alerts[0].generatorURL", EXT "/api/v1/anomalies?service=checkout"));
        const char *fp = jstr("alerts[0].fingerprint");
        CHECK(fp && strlen(fp) == 16);
        CHECK(jis("olly.key", "svc=checkout;incident=7"));
        CHECK(jis("olly.links[1].href", "https://runbooks.example/latency"));
    }
    f.r.status = OL_ACT_RESOLVED;
    f.r.ends_wall = T0 + 60ull * 1000000000ull;
    v.resolved = true;
    ol_buf_reset(&b);
    ol_act_payload_webhook(&b, &v, &f.rc, EXT);
    if (jparse(ol_buf_slice(&b))) {
        CHECK(jis("status", "resolved"));
        CHECK(jis("alerts[0].status", "resolved"));
        CHECK(jtime("alerts[0].endsAt") == T0 + 60ull * 1000000000ull);
    }
    /* the default generator URL names the key, percent-encoded */
    ol_act_alert_t al = {.key = OL_SLICE_LIT("svc=a b;x")};
    ol_act_ev_free(f.r.c);
    CHECK_EQ_INT(ol_act_ev_pack(&al, OL_ACT_EV_FIRE, &f.r.c), OL_OK);
    ol_buf_reset(&b);
    ol_act_generator_url(&b, f.r.c, EXT);
    CHECK(b.len == strlen(EXT "/api/v1/alerts?key=svc%3Da%20b%3Bx") &&
          memcmp(b.data, EXT "/api/v1/alerts?key=svc%3Da%20b%3Bx", b.len) == 0);
    ol_buf_free(&b);
    fixture_free(&f);
}

/* ---- the stored record ---- */

static void test_stored(void)
{
    ol_act_config_t *c = cfg_ok("{\"receivers\":[{\"name\":\"am\",\"type\":\"alertmanager\",\"url\":\"http://a\"},"
                                "{\"name\":\"slack\",\"type\":\"slack\",\"url\":\"http://s\"}]}");
    fixture_t f;
    fixture_init(&f, "svc=checkout;incident=7", true);
    if (!c || !f.r.c) return;
    ol_act_slot_t slots[2] = {{.recv = 1, .told = OL_ACT_TOLD_RESOLVED, .announced = 3},
                              {.recv = 0, .told = OL_ACT_TOLD_FIRING, .announced = 2}};
    f.r.slots = slots;
    f.r.n_slots = 2;
    f.r.episode = 3;
    f.r.fires = 42;
    f.r.updated_wall = T0 + 5;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ACT, 0);
    ol_act_stored_encode(&b, &f.r, c, "node-a", true, T0 + 7);
    CHECK(b.err == OL_OK);
    ol_arena_t *ar = ol_arena_create(4096, 0);
    ol_act_stored_t st;
    CHECK_EQ_INT(ol_act_stored_decode(ol_buf_slice(&b), ar, &st), OL_OK);
    CHECK(ol_slice_eq_cstr(st.owner, "node-a"));
    CHECK_EQ_INT(st.episode, 3);
    CHECK_EQ_INT(st.status, OL_ACT_RESOLVED);
    CHECK(st.settled);
    CHECK(st.starts_wall == T0 && st.ends_wall == f.r.ends_wall && st.updated_wall == T0 + 5);
    CHECK(st.heartbeat_wall == T0 + 7);
    CHECK(st.fires == 42);
    CHECK(st.alert.onset_ns == f.r.c->onset_ns);
    CHECK(ol_slice_eq_cstr(st.alert.generator, "/api/v1/anomalies?service=checkout"));
    CHECK_EQ_INT(st.alert.n_labels, f.r.c->n_labels);
    CHECK_EQ_INT(st.alert.n_annotations, 5);
    CHECK_EQ_INT(st.alert.n_links, 2);
    CHECK(ol_slice_eq_cstr(ol_act_get(st.alert.annotations, 5, "detector"), "robust"));
    CHECK(ol_slice_eq_cstr(st.alert.links[1].value, "https://runbooks.example/latency"));
    CHECK_EQ_INT(st.n_slots, 2);
    CHECK(ol_slice_eq_cstr(st.slots[0].receiver, "slack") && st.slots[0].told == OL_ACT_TOLD_RESOLVED &&
          st.slots[0].announced == 3);
    CHECK(ol_slice_eq_cstr(st.slots[1].receiver, "am") && st.slots[1].told == OL_ACT_TOLD_FIRING);
    /* every truncation and a trailing byte are refused */
    int bad = 0;
    for (size_t n = 0; n < b.len; n++) bad += ol_act_stored_decode(ol_slice(b.data, n), ar, &st) == OL_CORRUPT;
    CHECK_EQ_INT(bad, (int)b.len);
    ol_buf_append_u8(&b, 0);
    CHECK_EQ_INT(ol_act_stored_decode(ol_buf_slice(&b), ar, &st), OL_CORRUPT);
    b.len--;
    b.data[0] ^= 1; /* magic */
    CHECK_EQ_INT(ol_act_stored_decode(ol_buf_slice(&b), ar, &st), OL_CORRUPT);
    ol_arena_destroy(ar);
    ol_buf_free(&b);
    f.r.slots = NULL;
    fixture_free(&f);
    ol_act_config_free(c);
}

int main(void)
{
    RUN(test_config_parse);
    RUN(test_config_errors);
    RUN(test_config_load);
    RUN(test_pack);
    RUN(test_route);
    RUN(test_payload_am);
    RUN(test_payload_slack);
    RUN(test_payload_pagerduty);
    RUN(test_payload_webhook);
    RUN(test_stored);
    if (J_ARENA) ol_arena_destroy(J_ARENA);
    return TEST_REPORT();
}
