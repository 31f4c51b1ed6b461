/*
 * test_act_deliver.c - alert delivery against a local HTTP receiver: a
 * small server on 127.0.0.1 (port 0) on its own thread that records every
 * request and answers with a scripted status, or holds the request without
 * answering. Checks: firing then resolved arrive once each however often
 * analysis fires; a receiver that fails N times gets the alert after N
 * retries; a 4xx is final; a hanging receiver neither blocks fire nor the
 * other receivers; a full queue drops and counts; Alertmanager gets open
 * alerts again each resend interval with endsAt = send time + 4 intervals
 * and the resolve with endsAt = resolve time; a restart does not announce
 * again and still resolves; two nodes on one state notify once.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "act/act_int.h"
#include "codec/json.h"
#include "core/util.h"
#include "test.h"

/* ---- the receiver ---- */

#define SRV_MAX 512

typedef struct srv_req {
    char path[128];
    char *body;
    size_t len;
    uint64_t mono;
} srv_req_t;

typedef struct srv {
    int fd, port;
    pthread_t th;
    volatile int stop;
    pthread_mutex_t mu;
    srv_req_t req[SRV_MAX];
    int n;
    /* script */
    int fail_first;   /* the first fail_first requests get fail_status */
    int fail_status;
    int status;       /* then this (200) */
    const char *hang_prefix; /* requests whose path starts with this are never answered */
    int held[64], n_held;
} srv_t;

static void srv_answer(int c, int status)
{
    char out[256];
    const char *reason = status == 200 ? "OK" : status == 202 ? "Accepted" : "Status";
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                     status, reason);
    ssize_t w = write(c, out, (size_t)n);
    (void)w;
}

/* Reads one request (2 s budget); returns the body length or -1. */
static long srv_read(int c, char *buf, size_t cap, char *path, size_t path_cap, char **body)
{
    size_t have = 0;
    long need = -1;
    char *hdr_end = NULL;
    for (int rounds = 0; rounds < 400; rounds++) {
        struct pollfd p = {c, POLLIN, 0};
        if (poll(&p, 1, 5) <= 0) continue;
        ssize_t r = read(c, buf + have, cap - 1 - have);
        if (r <= 0) return -1;
        have += (size_t)r;
        buf[have] = 0;
        if (!hdr_end && (hdr_end = strstr(buf, "\r\n\r\n")) != NULL) {
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            need = cl ? strtol(cl + 17, NULL, 10) : 0;
            sscanf(buf, "%*s %127s", path);
            (void)path_cap;
        }
        if (hdr_end && (long)(have - (size_t)(hdr_end + 4 - buf)) >= need) {
            *body = hdr_end + 4;
            return need;
        }
        if (have + 1 >= cap) return -1;
    }
    return -1;
}

static void *srv_main(void *arg)
{
    srv_t *s = arg;
    static char buf[1 << 20];
    while (!s->stop) {
        struct pollfd p = {s->fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) continue;
        char path[128] = "";
        char *body = NULL;
        long len = srv_read(c, buf, sizeof buf, path, sizeof path, &body);
        if (len < 0) {
            close(c);
            continue;
        }
        pthread_mutex_lock(&s->mu);
        int idx = s->n;
        if (s->n < SRV_MAX) {
            srv_req_t *q = &s->req[s->n++];
            snprintf(q->path, sizeof q->path, "%s", path);
            q->body = malloc((size_t)len + 1);
            memcpy(q->body, body, (size_t)len);
            q->body[len] = 0;
            q->len = (size_t)len;
            q->mono = ol_mono_ns();
        }
        bool hang = s->hang_prefix && strncmp(path, s->hang_prefix, strlen(s->hang_prefix)) == 0;
        int status = idx < s->fail_first ? s->fail_status : s->status;
        if (hang && s->n_held < 64) s->held[s->n_held++] = c;
        pthread_mutex_unlock(&s->mu);
        if (hang) continue;
        srv_answer(c, status);
        close(c);
    }
    return NULL;
}

static void srv_start(srv_t *s)
{
    memset(s, 0, sizeof *s);
    s->status = 200;
    pthread_mutex_init(&s->mu, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    CHECK(bind(s->fd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(s->fd, 128) == 0);
    getsockname(s->fd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->th, NULL, srv_main, s);
}

static void srv_stop(srv_t *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    close(s->fd);
    for (int i = 0; i < s->n_held; i++) close(s->held[i]);
    for (int i = 0; i < s->n; i++) free(s->req[i].body);
    pthread_mutex_destroy(&s->mu);
}

static int srv_count(srv_t *s, const char *path_prefix, const char *body_has)
{
    pthread_mutex_lock(&s->mu);
    int n = 0;
    for (int i = 0; i < s->n; i++)
        if ((!path_prefix || strncmp(s->req[i].path, path_prefix, strlen(path_prefix)) == 0) &&
            (!body_has || strstr(s->req[i].body, body_has)))
            n++;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Waits (up to 10 s) until at least want matching requests arrived. */
static int srv_wait(srv_t *s, const char *path_prefix, const char *body_has, int want)
{
    int n = 0;
    for (int i = 0; i < 1000 && (n = srv_count(s, path_prefix, body_has)) < want; i++) usleep(10000);
    return n;
}

static void sleep_ms(int ms) { usleep((useconds_t)ms * 1000); }

/* ---- helpers ---- */

static ol_act_t *act_new(const char *json, ol_state_t *state, const char *node)
{
    ol_act_config_t *c = NULL;
    ol_err_t err = {{0}};
    if (ol_act_config_parse(ol_slice_cstr(json), &c, &err) != OL_OK) {
        fprintf(stderr, "  config: %s\n", err.msg);
        CHECK(0);
        return NULL;
    }
    ol_act_options_t o = {.config = c, .state = state, .node_id = node, .external_url = "http://olly.test:3300"};
    ol_act_t *a = NULL;
    int rc = ol_act_create(&o, &a, &err);
    if (rc != OL_OK) fprintf(stderr, "  create: %s\n", err.msg);
    CHECK_EQ_INT(rc, OL_OK);
    return a;
}

#define PAIR(n, v) {OL_SLICE_LIT(n), OL_SLICE_LIT(v)}

static int fire(ol_act_t *a, const char *key, const char *score)
{
    ol_act_pair_t labels[] = {PAIR("alertname", "LatencyAnomaly"), PAIR("service", "checkout"),
                              PAIR("severity", "page")};
    ol_act_pair_t ann[] = {PAIR("summary", "p99 above baseline"), {OL_SLICE_LIT("score"), ol_slice_cstr(score)}};
    ol_act_alert_t al = {.key = ol_slice_cstr(key), .labels = labels, .n_labels = 3, .annotations = ann,
                         .n_annotations = 2, .onset_ns = 1767225600000000000ll};
    return ol_act_fire(a, &al);
}

static ol_act_stats_t stats(ol_act_t *a)
{
    ol_act_stats_t s;
    ol_act_stats(a, &s);
    return s;
}

/* Waits until nothing is owed or in flight (up to 10 s). */
static void settle(ol_act_t *a)
{
    CHECK_EQ_INT(ol_act_sync(a, 5000), OL_OK);
    for (int i = 0; i < 1000; i++) {
        ol_act_stats_t s = stats(a);
        if (!s.pending && !s.in_flight && !s.queue_len) return;
        sleep_ms(10);
    }
    CHECK(!"settled");
}

static char CFG[4096];

static const char *cfg3(int port, const char *extra)
{
    snprintf(CFG, sizeof CFG,
             "{\"receivers\":[{\"name\":\"slack\",\"type\":\"slack\",\"url\":\"http://127.0.0.1:%d/slack\"},"
             "{\"name\":\"pd\",\"type\":\"pagerduty\",\"url\":\"http://127.0.0.1:%d/pd\",\"routing_key\":\"RK\"},"
             "{\"name\":\"hook\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/hook\"}],"
             "\"retry_initial_ms\":20,\"retry_max_ms\":100%s}",
             port, port, port, extra ? extra : "");
    return CFG;
}

/* ---- tests ---- */

static void test_once_each(void)
{
    srv_t s;
    srv_start(&s);
    ol_act_t *a = act_new(cfg3(s.port, NULL), NULL, "n1");
    if (!a) return;
    for (int i = 0; i < 20; i++) CHECK_EQ_INT(fire(a, "svc=checkout;incident=1", i % 2 ? "0.9" : "0.8"), OL_OK);
    settle(a);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 3);
    CHECK_EQ_INT(ol_act_resolve(a, OL_SLICE_LIT("svc=checkout;incident=1")), OL_OK);
    CHECK_EQ_INT(ol_act_resolve(a, OL_SLICE_LIT("svc=checkout;incident=1")), OL_OK); /* again: ignored */
    CHECK_EQ_INT(ol_act_resolve(a, OL_SLICE_LIT("never-fired")), OL_OK);
    settle(a);
    sleep_ms(100);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 6);
    CHECK_EQ_INT(srv_count(&s, "/slack", "[FIRING]"), 1);
    CHECK_EQ_INT(srv_count(&s, "/slack", "[RESOLVED]"), 1);
    CHECK_EQ_INT(srv_count(&s, "/pd", "\"event_action\":\"trigger\""), 1);
    CHECK_EQ_INT(srv_count(&s, "/pd", "\"event_action\":\"resolve\""), 1);
    CHECK_EQ_INT(srv_count(&s, "/hook", "\"status\":\"firing\""), 1);
    CHECK_EQ_INT(srv_count(&s, "/hook", "\"status\":\"resolved\""), 1);
    /* per receiver, firing came first */
    const char *paths[] = {"/slack", "/pd", "/hook"};
    for (int p = 0; p < 3; p++) {
        int first = -1;
        for (int i = 0; i < s.n && first < 0; i++)
            if (strcmp(s.req[i].path, paths[p]) == 0) first = i;
        CHECK(first >= 0 && (strstr(s.req[first].body, "[FIRING]") || strstr(s.req[first].body, "trigger") ||
                             strstr(s.req[first].body, "\"status\":\"firing\"")));
    }
    /* the last fire's annotations are what was sent and shown */
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ACT, 0);
    CHECK_EQ_INT(ol_act_alerts_json(a, &b), OL_OK);
    ol_arena_t *ar = ol_arena_create(65536, 0);
    ol_json_doc_t d;
    ol_err_t err;
    CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&b), ar, &d, &err), OL_OK);
    CHECK(strstr((char *)b.data, "\"fires\":20") && strstr((char *)b.data, "\"status\":\"resolved\""));
    CHECK(strstr((char *)b.data, "\"heard\":\"resolved\"") && strstr((char *)b.data, "\"score\":\"0.9\""));
    ol_act_stats_t st = stats(a);
    CHECK_EQ_INT(st.sent, 6);
    CHECK_EQ_INT(st.retried, 0);
    CHECK_EQ_INT(st.failed, 0);
    CHECK_EQ_INT(st.events_queued, 23);
    CHECK_EQ_INT(st.resolved, 1);
    ol_arena_destroy(ar);
    ol_buf_free(&b);
    ol_act_destroy(a);
    srv_stop(&s);
}

static void test_retry_then_deliver(void)
{
    srv_t s;
    srv_start(&s);
    s.fail_first = 3;
    s.fail_status = 503;
    snprintf(CFG, sizeof CFG,
             "{\"receivers\":[{\"name\":\"hook\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/hook\"}],"
             "\"retry_initial_ms\":20,\"retry_max_ms\":80}",
             s.port);
    ol_act_t *a = act_new(CFG, NULL, "n1");
    if (!a) return;
    CHECK_EQ_INT(fire(a, "k1", "1"), OL_OK);
    CHECK_EQ_INT(srv_wait(&s, "/hook", NULL, 4), 4);
    settle(a);
    ol_act_stats_t st = stats(a);
    CHECK_EQ_INT(st.retried, 3);
    CHECK_EQ_INT(st.sent, 1);
    CHECK_EQ_INT(st.failed, 0);
    /* backoff grew: the gaps are at least the jittered minimum (half of 20, 40, 80 ms) */
    pthread_mutex_lock(&s.mu);
    for (int i = 1; i < 4; i++) CHECK(s.req[i].mono - s.req[i - 1].mono >= (uint64_t)(10 << (i - 1)) * 1000000ull);
    pthread_mutex_unlock(&s.mu);
    CHECK_EQ_INT(ol_act_resolve(a, OL_SLICE_LIT("k1")), OL_OK);
    settle(a);
    CHECK_EQ_INT(srv_count(&s, "/hook", "\"status\":\"firing\""), 4);
    CHECK_EQ_INT(srv_count(&s, "/hook", "\"status\":\"resolved\""), 1);
    ol_buf_t m;
    ol_buf_init(&m, OL_MEM_ACT, 0);
    ol_act_metrics_text(a, &m);
    ol_buf_append_u8(&m, 0);
    CHECK(strstr((char *)m.data, "olly_alert_notifications_total{receiver=\"hook\",type=\"webhook\",result=\"retried\"} 3\n"));
    CHECK(strstr((char *)m.data, "olly_alert_notifications_total{receiver=\"hook\",type=\"webhook\",result=\"sent\"} 2\n"));
    ol_buf_free(&m);
    ol_act_destroy(a);
    srv_stop(&s);

    /* 429 and a refused connection are retried too */
    srv_start(&s);
    s.fail_first = 1;
    s.fail_status = 429;
    snprintf(CFG, sizeof CFG,
             "{\"receivers\":[{\"name\":\"hook\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/hook\"}],"
             "\"retry_initial_ms\":20,\"retry_max_ms\":80}",
             s.port);
    a = act_new(CFG, NULL, "n1");
    if (!a) return;
    CHECK_EQ_INT(fire(a, "k1", "1"), OL_OK);
    CHECK_EQ_INT(srv_wait(&s, "/hook", NULL, 2), 2);
    settle(a);
    CHECK_EQ_INT(stats(a).retried, 1);
    CHECK_EQ_INT(stats(a).sent, 1);
    ol_act_destroy(a);
    srv_stop(&s);
}

static void test_refused_then_up(void)
{
    /* nothing listens on the port at first */
    srv_t s;
    srv_start(&s);
    int port = s.port;
    srv_stop(&s);
    snprintf(CFG, sizeof CFG,
             "{\"receivers\":[{\"name\":\"hook\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/hook\"}],"
             "\"retry_initial_ms\":20,\"retry_max_ms\":40}",
             port);
    ol_act_t *a = act_new(CFG, NULL, "n1");
    if (!a) return;
    CHECK_EQ_INT(fire(a, "k1", "1"), OL_OK);
    for (int i = 0; i < 500 && stats(a).retried < 3; i++) sleep_ms(10);
    CHECK(stats(a).retried >= 3);
    CHECK_EQ_INT(stats(a).sent, 0);
    CHECK_EQ_INT(stats(a).pending, 1);
    /* the receiver comes up on the same port: the alert arrives, once */
    memset(&s, 0, sizeof s);
    s.status = 200;
    pthread_mutex_init(&s.mu, NULL);
    s.fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)port)};
    if (bind(s.fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "  (port %d taken meanwhile; skipping the second half)\n", port);
        close(s.fd);
        ol_act_destroy(a);
        return;
    }
    listen(s.fd, 16);
    s.port = port;
    pthread_create(&s.th, NULL, srv_main, &s);
    settle(a);
    CHECK_EQ_INT(srv_count(&s, "/hook", "\"status\":\"firing\""), 1);
    CHECK_EQ_INT(stats(a).sent, 1);
    ol_act_destroy(a);
    srv_stop(&s);
}

static void test_client_error_is_final(void)
{
    srv_t s;
    srv_start(&s);
    s.status = 400;
    ol_act_t *a = act_new(cfg3(s.port, NULL), NULL, "n1");
    if (!a) return;
    CHECK_EQ_INT(fire(a, "k", "1"), OL_OK);
    settle(a);
    CHECK_EQ_INT(ol_act_resolve(a, OL_SLICE_LIT("k")), OL_OK);
    settle(a);
    sleep_ms(100);
    /* one firing each, no retry, and no resolve for what was never delivered */
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 3);
    ol_act_stats_t st = stats(a);
    CHECK_EQ_INT(st.failed, 3);
    CHECK_EQ_INT(st.retried, 0);
    CHECK_EQ_INT(st.sent, 0);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ACT, 0);
    ol_act_alerts_json(a, &b);
    ol_buf_append_u8(&b, 0);
    CHECK(strstr((char *)b.data, "\"heard\":\"failed\"") && strstr((char *)b.data, "\"lastError\":\"HTTP 400: ok\""));
    ol_buf_free(&b);
    ol_act_destroy(a);
    srv_stop(&s);
}

static void test_hanging_receiver(void)
{
    srv_t s;
    srv_start(&s);
    s.hang_prefix = "/slow";
    snprintf(CFG, sizeof CFG,
             "{\"receivers\":[{\"name\":\"slow\",\"type\":\"slack\",\"url\":\"http://127.0.0.1:%d/slow\","
             "\"timeout_ms\":60000},{\"name\":\"fast\",\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/fast\"}],"
             "\"shutdown_flush_ms\":200}",
             s.port, s.port);
    ol_act_t *a = act_new(CFG, NULL, "n1");
    if (!a) return;
    CHECK_EQ_INT(fire(a, "first", "1"), OL_OK);
    CHECK_EQ_INT(srv_wait(&s, "/slow", NULL, 1), 1); /* held now */
    uint64_t t0 = ol_mono_ns();
    int ok = 0;
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ok += fire(a, key, "1") == OL_OK;
    }
    uint64_t took = ol_mono_ns() - t0;
    CHECK_EQ_INT(ok, 200);
    CHECK(took < 5000000000ull); /* the slow receiver holds for 60 s; fire never waits for it */
    /* the healthy receiver gets everything meanwhile */
    CHECK_EQ_INT(srv_wait(&s, "/fast", NULL, 201), 201);
    CHECK(srv_count(&s, "/slow", NULL) <= OL_ACT_RECV_IN_FLIGHT);
    ol_act_stats_t st = stats(a);
    CHECK(st.in_flight >= 1 && st.in_flight <= OL_ACT_RECV_IN_FLIGHT);
    CHECK_EQ_INT(st.pending, 201); /* all owed to the slow one */
    t0 = ol_mono_ns();
    ol_act_destroy(a); /* flush deadline 200 ms, then abandons */
    CHECK(ol_mono_ns() - t0 < 5000000000ull);
    srv_stop(&s);
}

static void test_queue_full(void)
{
    srv_t s;
    srv_start(&s);
    ol_act_t *a = act_new(cfg3(s.port, ",\"queue_size\":4"), NULL, "n1");
    if (!a) return;
    ol_act_test_pause(a, true);
    int ok = 0, busy = 0;
    char key[16];
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "q%d", i);
        int rc = fire(a, key, "1");
        ok += rc == OL_OK;
        busy += rc == OL_BUSY;
    }
    CHECK_EQ_INT(ok, 4);
    CHECK_EQ_INT(busy, 6);
    CHECK_EQ_INT(ol_act_resolve(a, OL_SLICE_LIT("q0")), OL_BUSY);
    ol_act_stats_t st = stats(a);
    CHECK_EQ_INT(st.events_dropped, 7);
    CHECK_EQ_INT(st.events_queued, 4);
    CHECK_EQ_INT(st.queue_len, 4);
    ol_buf_t m;
    ol_buf_init(&m, OL_MEM_ACT, 0);
    ol_act_metrics_text(a, &m);
    ol_buf_append_u8(&m, 0);
    CHECK(strstr((char *)m.data, "olly_alert_events_total{result=\"dropped\"} 7\n"));
    CHECK(strstr((char *)m.data, "olly_alert_queue_length 4\n"));
    ol_buf_free(&m);
    ol_act_test_pause(a, false);
    settle(a);
    CHECK_EQ_INT(stats(a).firing, 4);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 12);
    ol_act_destroy(a);
    srv_stop(&s);
}

static uint64_t body_time(const char *body, const char *field, int nth)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":\"", field);
    const char *p = body;
    for (int i = 0; i <= nth && p; i++) {
        p = strstr(p, pat);
        if (p && i < nth) p++;
    }
    if (!p) return 0;
    p += strlen(pat);
    const char *e = strchr(p, '"');
    uint64_t ns = 0;
    if (!e || ol_time_parse(ol_slice(p, (size_t)(e - p)), &ns) != OL_OK) return 0;
    return ns;
}

static void test_alertmanager_resend(void)
{
    srv_t s;
    srv_start(&s);
    snprintf(CFG, sizeof CFG,
             "{\"receivers\":[{\"name\":\"am\",\"type\":\"alertmanager\",\"url\":\"http://127.0.0.1:%d/am\"}],"
             "\"resend_interval_s\":0.1}",
             s.port);
    ol_act_t *a = act_new(CFG, NULL, "n1");
    if (!a) return;
    uint64_t before = ol_now_ns();
    CHECK_EQ_INT(fire(a, "svc=checkout;incident=9", "1"), OL_OK);
    CHECK_EQ_INT(srv_wait(&s, "/am/api/v2/alerts", NULL, 4), 4);
    for (int i = 0; i < 5; i++) fire(a, "svc=checkout;incident=9", "1"); /* fires do not add sends */
    CHECK_EQ_INT(ol_act_resolve(a, OL_SLICE_LIT("svc=checkout;incident=9")), OL_OK);
    uint64_t after = ol_now_ns();
    settle(a);
    sleep_ms(350);
    pthread_mutex_lock(&s.mu);
    int n = s.n;
    uint64_t starts = body_time(s.req[0].body, "startsAt", 0);
    CHECK(starts >= before && starts <= after);
    uint64_t prev_end = 0;
    for (int i = 0; i < n; i++) {
        const char *b = s.req[i].body;
        CHECK(b[0] == '[' && body_time(b, "startsAt", 1) == 0); /* one alert per POST */
        CHECK(body_time(b, "startsAt", 0) == starts);
        uint64_t end = body_time(b, "endsAt", 0);
        if (i < n - 1) { /* firing: send time + 4 x resend */
            CHECK(end >= starts + 4 * 100000000ull);
            CHECK(end >= prev_end);
            prev_end = end;
        } else { /* the last: resolved, endsAt = the resolve call's wall time */
            CHECK(end >= starts && end <= after);
        }
        CHECK(strstr(b, "\"service\":\"checkout\"") && strstr(b, "\"generatorURL\":\"http://olly.test:3300/api/v1/alerts?key=svc%3Dcheckout%3Bincident%3D9\""));
    }
    pthread_mutex_unlock(&s.mu);
    CHECK(n >= 5);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), n); /* nothing after the resolve */
    ol_act_destroy(a);
    srv_stop(&s);
}

static void test_restart_keeps_alerts(void)
{
    srv_t s;
    srv_start(&s);
    ol_state_t *st = NULL;
    CHECK_EQ_INT(ol_state_open_memory(&st), OL_OK);
    if (!st) return;
    ol_act_t *a = act_new(cfg3(s.port, NULL), st, "n1");
    if (!a) return;
    CHECK_EQ_INT(fire(a, "svc=checkout;incident=3", "1"), OL_OK);
    CHECK_EQ_INT(fire(a, "svc=cart;incident=4", "1"), OL_OK);
    settle(a);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 6);
    ol_act_destroy(a);

    a = act_new(cfg3(s.port, NULL), st, "n1");
    if (!a) return;
    CHECK_EQ_INT(stats(a).firing, 2); /* reloaded */
    CHECK_EQ_INT(fire(a, "svc=checkout;incident=3", "1"), OL_OK);
    settle(a);
    sleep_ms(100);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 6); /* not announced again */
    CHECK_EQ_INT(ol_act_resolve(a, OL_SLICE_LIT("svc=checkout;incident=3")), OL_OK);
    CHECK_EQ_INT(ol_act_resolve(a, OL_SLICE_LIT("svc=cart;incident=4")), OL_OK);
    settle(a);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 12);
    CHECK_EQ_INT(srv_count(&s, "/pd", "\"event_action\":\"resolve\""), 2);
    ol_act_destroy(a);

    /* a resolve that could not be delivered before shutdown goes out after the restart */
    s.status = 503;
    a = act_new(cfg3(s.port, ",\"shutdown_flush_ms\":50"), st, "n1");
    if (!a) return;
    CHECK_EQ_INT(fire(a, "svc=x;incident=5", "1"), OL_OK);
    for (int i = 0; i < 500 && stats(a).retried < 3; i++) sleep_ms(10);
    CHECK(stats(a).retried >= 3 && stats(a).sent == 0);
    ol_act_destroy(a);
    s.status = 200;
    int before = srv_count(&s, NULL, "incident=5");
    a = act_new(cfg3(s.port, NULL), st, "n1");
    if (!a) return;
    settle(a);
    CHECK(srv_count(&s, NULL, "incident=5") > before);
    CHECK_EQ_INT(stats(a).sent, 3);
    ol_act_destroy(a);
    ol_state_close(st);
    srv_stop(&s);
}

static void test_two_nodes_one_alert(void)
{
    srv_t s;
    srv_start(&s);
    ol_state_t *st = NULL;
    CHECK_EQ_INT(ol_state_open_memory(&st), OL_OK);
    if (!st) return;
    ol_act_t *a = act_new(cfg3(s.port, NULL), st, "node-a");
    ol_act_t *b = act_new(cfg3(s.port, NULL), st, "node-b");
    if (!a || !b) return;
    for (int i = 0; i < 5; i++) {
        fire(a, "svc=checkout;incident=1", "1");
        fire(b, "svc=checkout;incident=1", "1");
    }
    settle(a);
    settle(b);
    CHECK_EQ_INT(stats(a).claims_owned + stats(b).claims_owned, 1);
    CHECK_EQ_INT(stats(a).claims_busy + stats(b).claims_busy, 1);
    CHECK_EQ_INT(ol_act_resolve(a, OL_SLICE_LIT("svc=checkout;incident=1")), OL_OK);
    CHECK_EQ_INT(ol_act_resolve(b, OL_SLICE_LIT("svc=checkout;incident=1")), OL_OK);
    settle(a);
    settle(b);
    sleep_ms(100);
    CHECK_EQ_INT(srv_count(&s, "/slack", "[FIRING]"), 1);
    CHECK_EQ_INT(srv_count(&s, "/slack", "[RESOLVED]"), 1);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 6);
    ol_act_destroy(a);
    ol_act_destroy(b);
    ol_state_close(st);
    srv_stop(&s);
}

static void test_owner_resolves_first(void)
{
    srv_t s;
    srv_start(&s);
    ol_state_t *st = NULL;
    CHECK_EQ_INT(ol_state_open_memory(&st), OL_OK);
    if (!st) return;
    ol_act_t *a = act_new(cfg3(s.port, ",\"resend_interval_s\":0.05"), st, "node-a");
    ol_act_t *b = act_new(cfg3(s.port, ",\"resend_interval_s\":0.05"), st, "node-b");
    if (!a || !b) return;
    fire(a, "k", "1");
    settle(a);
    fire(b, "k", "1");
    ol_act_resolve(a, OL_SLICE_LIT("k"));
    settle(a);
    sleep_ms(300); /* b rechecks several times and sees a's resolved entry */
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 6);
    ol_act_resolve(b, OL_SLICE_LIT("k"));
    settle(b);
    sleep_ms(200);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 6);
    fire(a, "k", "1"); /* the owner's next fire opens a new episode */
    settle(a);
    CHECK_EQ_INT(srv_count(&s, "/pd", "\"event_action\":\"trigger\""), 2);
    ol_act_destroy(a);
    ol_act_destroy(b);
    ol_state_close(st);
    srv_stop(&s);
}

static void test_takeover_after_silence(void)
{
    srv_t s;
    srv_start(&s);
    ol_state_t *st = NULL;
    CHECK_EQ_INT(ol_state_open_memory(&st), OL_OK);
    if (!st) return;
    /* resend 0.05 s: the lease is 10 x that */
    ol_act_t *a = act_new(cfg3(s.port, ",\"resend_interval_s\":0.05"), st, "node-a");
    if (!a) return;
    fire(a, "k", "1");
    settle(a);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 3);
    /* node a goes away without resolving; its entry keeps node-a as owner */
    ol_act_destroy(a);
    ol_act_t *b = act_new(cfg3(s.port, ",\"resend_interval_s\":0.05"), st, "node-b");
    if (!b) return;
    fire(b, "k", "1");
    CHECK_EQ_INT(ol_act_sync(b, 5000), OL_OK);
    CHECK_EQ_INT(stats(b).claims_busy, 1);
    /* after the lease b takes over, with what a's receivers heard: no second announcement */
    ol_buf_t j;
    ol_buf_init(&j, OL_MEM_ACT, 0);
    for (int i = 0; i < 500; i++) {
        ol_buf_reset(&j);
        ol_act_alerts_json(b, &j);
        ol_buf_append_u8(&j, 0);
        if (strstr((char *)j.data, "\"owned\":true")) break;
        sleep_ms(10);
    }
    CHECK(strstr((char *)j.data, "\"owner\":\"node-b\",\"owned\":true"));
    CHECK(strstr((char *)j.data, "\"heard\":\"firing\""));
    ol_buf_free(&j);
    settle(b);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 3);
    ol_act_resolve(b, OL_SLICE_LIT("k"));
    settle(b);
    CHECK_EQ_INT(srv_count(&s, "/pd", "\"event_action\":\"resolve\""), 1);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 6);
    /* the key fires again later on b: a new episode, announced once */
    fire(b, "k", "1");
    settle(b);
    CHECK_EQ_INT(srv_count(&s, "/pd", "\"event_action\":\"trigger\""), 2);
    ol_act_destroy(b);
    ol_state_close(st);
    srv_stop(&s);
}

static void test_silent_owner_resolved_elsewhere(void)
{
    srv_t s;
    srv_start(&s);
    ol_state_t *st = NULL;
    CHECK_EQ_INT(ol_state_open_memory(&st), OL_OK);
    if (!st) return;
    ol_act_t *a = act_new(cfg3(s.port, ",\"resend_interval_s\":0.05"), st, "node-a");
    if (!a) return;
    fire(a, "k", "1");
    settle(a);
    ol_act_destroy(a); /* gone while firing */
    ol_act_t *b = act_new(cfg3(s.port, ",\"resend_interval_s\":0.05"), st, "node-b");
    if (!b) return;
    fire(b, "k", "1");
    ol_act_resolve(b, OL_SLICE_LIT("k")); /* b saw the anomaly end before a's lease ran out */
    CHECK_EQ_INT(ol_act_sync(b, 5000), OL_OK);
    CHECK_EQ_INT(stats(b).claims_busy, 1);
    for (int i = 0; i < 500 && srv_count(&s, NULL, NULL) < 6; i++) sleep_ms(10);
    settle(b);
    sleep_ms(100);
    CHECK_EQ_INT(srv_count(&s, "/slack", "[FIRING]"), 1);
    CHECK_EQ_INT(srv_count(&s, "/slack", "[RESOLVED]"), 1);
    CHECK_EQ_INT(srv_count(&s, "/pd", "\"event_action\":\"resolve\""), 1);
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 6);
    ol_act_destroy(b);
    ol_state_close(st);
    srv_stop(&s);
}

static void test_shutdown_flushes(void)
{
    srv_t s;
    srv_start(&s);
    ol_act_t *a = act_new(cfg3(s.port, NULL), NULL, "n1");
    if (!a) return;
    fire(a, "k", "1");
    ol_act_resolve(a, OL_SLICE_LIT("k"));
    ol_act_destroy(a); /* right away: what is queued is applied and delivered */
    CHECK_EQ_INT(srv_count(&s, NULL, NULL), 6);
    CHECK_EQ_INT(srv_count(&s, "/hook", "\"status\":\"resolved\""), 1);
    srv_stop(&s);
}

static void test_alerts_json(void)
{
    srv_t s;
    srv_start(&s);
    ol_act_t *a = act_new(cfg3(s.port, NULL), NULL, "n1");
    if (!a) return;
    fire(a, "old", "1");
    CHECK_EQ_INT(ol_act_sync(a, 5000), OL_OK);
    sleep_ms(2);
    fire(a, "new", "1");
    fire(a, "gone", "1");
    ol_act_resolve(a, OL_SLICE_LIT("gone"));
    settle(a);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ACT, 0);
    CHECK_EQ_INT(ol_act_alerts_json(a, &b), OL_OK);
    ol_arena_t *ar = ol_arena_create(65536, 0);
    ol_json_doc_t d;
    ol_err_t err;
    CHECK_EQ_INT(ol_json_parse(ol_buf_slice(&b), ar, &d, &err), OL_OK);
    uint32_t alerts = ol_json_object_get(&d, 0, "alerts");
    CHECK(alerts && d.toks[alerts].size == 3);
    const char *order[] = {"new", "old", "gone"};
    uint32_t e = alerts + 1;
    for (int i = 0; alerts && i < 3; i++, e = d.toks[e].next) {
        uint32_t k = ol_json_object_get(&d, e, "key");
        CHECK(k && ol_slice_eq_cstr(d.toks[k].text, order[i]));
        uint32_t status = ol_json_object_get(&d, e, "status");
        CHECK(status && ol_slice_eq_cstr(d.toks[status].text, i < 2 ? "firing" : "resolved"));
        uint32_t rc = ol_json_object_get(&d, e, "receivers");
        CHECK(rc && d.toks[rc].size == 3);
        CHECK(ol_json_object_get(&d, e, "onset") && ol_json_object_get(&d, e, "startsAt") &&
              ol_json_object_get(&d, e, "generatorURL"));
    }
    uint32_t rv = ol_json_object_get(&d, 0, "receivers");
    CHECK(rv && d.toks[rv].size == 3);
    uint32_t q = ol_json_object_get(&d, 0, "queue");
    CHECK(q && ol_json_object_get(&d, q, "dropped"));
    ol_arena_destroy(ar);
    ol_buf_free(&b);
    ol_act_destroy(a);
    srv_stop(&s);
}

static void test_no_receivers(void)
{
    ol_act_options_t o = {0};
    ol_act_t *a = NULL;
    ol_err_t err;
    CHECK_EQ_INT(ol_act_create(&o, &a, &err), OL_OK);
    if (!a) return;
    fire(a, "k", "1");
    CHECK_EQ_INT(ol_act_sync(a, 5000), OL_OK);
    CHECK_EQ_INT(stats(a).firing, 1);
    ol_act_resolve(a, OL_SLICE_LIT("k"));
    CHECK_EQ_INT(ol_act_sync(a, 5000), OL_OK);
    CHECK_EQ_INT(stats(a).resolved, 1);
    ol_act_destroy(a);
}

int main(void)
{
    RUN(test_once_each);
    RUN(test_retry_then_deliver);
    RUN(test_refused_then_up);
    RUN(test_client_error_is_final);
    RUN(test_hanging_receiver);
    RUN(test_queue_full);
    RUN(test_alertmanager_resend);
    RUN(test_restart_keeps_alerts);
    RUN(test_two_nodes_one_alert);
    RUN(test_owner_resolves_first);
    RUN(test_takeover_after_silence);
    RUN(test_silent_owner_resolved_elsewhere);
    RUN(test_shutdown_flushes);
    RUN(test_alerts_json);
    RUN(test_no_receivers);
    return TEST_REPORT();
}
