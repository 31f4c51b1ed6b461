/*
 * deliver.c - the act thread: it applies the queue, keeps the alert table
 * (act.c), and sends notifications with libcurl's multi interface, so any
 * number of requests are in flight at once on this one thread and a
 * receiver that hangs only holds its own requests until their timeout.
 *
 * Each pass: apply queued fires/resolves; heartbeats and eviction
 * (ol_act_maintain); start every notification that is due; let libcurl
 * progress; reap finished requests; sleep in curl_multi_poll until the next
 * due time, socket activity, or ol_act_wake() from fire/resolve.
 *
 * What is sent is derived from each slot (act.c, ol_act_slot_need): a slot
 * has at most one request in flight, which is what keeps firing before
 * resolved per alert and receiver. Alertmanager receivers get one POST at
 * a time carrying up to 64 due alerts (as Prometheus batches); other
 * receivers get one request per alert, at most 4 at once per receiver.
 *
 * Outcomes: 2xx is delivered. A transport error, 408, 429 or 5xx is retried
 * after initial * 2^(attempt-1) capped at retry_max_ms, with equal jitter
 * (half fixed, half random) so that many alerts do not retry in lockstep;
 * a Retry-After in seconds on 429/503 is honoured (up to an hour). A step
 * still failing retry_give_up_s after its first attempt is given up. Any
 * other answer is final: the step is counted failed and, except for
 * Alertmanager (which simply gets the alert again at the next resend), not
 * tried again. Each outcome is counted per receiver and logged.
 *
 * Shutdown (ol_act_destroy): the thread keeps going, without Alertmanager's
 * periodic resends, until nothing is owed or in flight or the flush deadline
 * passes; then it abandons what is in flight (its slots are still owed, and
 * the state says so for the next start).
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "act/act_int.h"
#include "core/log.h"
#include "core/util.h"

#define OL_ACT_MAX_IN_FLIGHT 64
#define OL_ACT_BODY_MAX (32u << 20)

typedef struct ol_act_item {
    ol_act_rec_t *r;
    uint32_t slot;
    uint8_t step; /* OL_ACT_FIRING / OL_ACT_RESOLVED */
} ol_act_item_t;

struct ol_act_req {
    ol_act_req_t *next;
    CURL *h;
    struct curl_slist *hdrs;
    ol_buf_t body;
    char resp[160];
    size_t resp_len;
    char errbuf[CURL_ERROR_SIZE];
    uint32_t recv, n;
    ol_act_item_t it[OL_ACT_AM_BATCH];
};

static pthread_once_t ol_act_curl_once = PTHREAD_ONCE_INIT;
static CURLcode ol_act_curl_rc;

static void ol_act_curl_init(void) { ol_act_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

int ol_act_deliver_init(ol_act_t *a)
{
    pthread_once(&ol_act_curl_once, ol_act_curl_init);
    if (ol_act_curl_rc != CURLE_OK) return OL_ERR;
    a->multi = curl_multi_init();
    return a->multi ? OL_OK : OL_ERR;
}

void ol_act_deliver_fini(ol_act_t *a)
{
    if (a->multi) curl_multi_cleanup(a->multi);
    a->multi = NULL;
}

void ol_act_wake(ol_act_t *a)
{
    if (a->multi) curl_multi_wakeup(a->multi);
}

static size_t ol_act_on_body(char *p, size_t size, size_t n, void *ud)
{
    ol_act_req_t *q = ud;
    size_t len = size * n, room = sizeof q->resp - 1 - q->resp_len;
    size_t take = OL_MIN(len, room);
    for (size_t i = 0; i < take; i++) q->resp[q->resp_len++] = (p[i] >= ' ' && p[i] < 0x7f) ? p[i] : ' ';
    q->resp[q->resp_len] = 0;
    return len;
}

static void ol_act_req_free(ol_act_req_t *q)
{
    if (q->h) curl_easy_cleanup(q->h);
    curl_slist_free_all(q->hdrs);
    ol_buf_free(&q->body);
    ol_free(OL_ACT_MEM, q, sizeof *q);
}

static bool ol_act_add_header(ol_act_req_t *q, const char *line)
{
    struct curl_slist *l = curl_slist_append(q->hdrs, line);
    if (!l) return false;
    q->hdrs = l;
    return true;
}

static bool ol_act_curl_setup(ol_act_t *a, ol_act_req_t *q, const ol_act_receiver_t *rc)
{
    CURL *h = q->h = curl_easy_init();
    if (!h) return false;
    bool ok = ol_act_add_header(q, "Content-Type: application/json") &&
              ol_act_add_header(q, "User-Agent: Olly/" OL_VERSION) && ol_act_add_header(q, "Expect:");
    for (uint32_t i = 0; ok && i < rc->n_headers; i++) ok = ol_act_add_header(q, rc->headers[i]);
    if (!ok) return false;
    curl_easy_setopt(h, CURLOPT_URL, rc->url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)q->body.data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body.len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, q->hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)rc->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)OL_MIN(rc->timeout_ms, 5000u));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ol_act_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, q->errbuf);
    curl_easy_setopt(h, CURLOPT_PRIVATE, q);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    return curl_multi_add_handle(a->multi, h) == CURLM_OK;
}

/* Renders and starts one request; on failure the items retry in a second. */
static void ol_act_start(ol_act_t *a, uint32_t recv, const ol_act_item_t *it, uint32_t n, uint64_t now_mono,
                         uint64_t now_wall)
{
    const ol_act_receiver_t *rc = &a->cfg->recv[recv];
    ol_act_req_t *q = ol_calloc(OL_ACT_MEM, 1, sizeof *q);
    bool ok = q != NULL;
    if (ok) {
        q->recv = recv;
        q->n = n;
        memcpy(q->it, it, n * sizeof *it);
        ol_buf_init(&q->body, OL_ACT_MEM, OL_ACT_BODY_MAX);
        ol_act_view_t v[OL_ACT_AM_BATCH];
        for (uint32_t i = 0; i < n; i++) {
            v[i].r = it[i].r;
            v[i].resolved = it[i].step == OL_ACT_RESOLVED;
            v[i].ends_wall = v[i].resolved ? it[i].r->ends_wall : now_wall + 4 * a->cfg->resend_ns;
        }
        switch (rc->type) {
        case OL_ACT_AM: ol_act_payload_am(&q->body, v, n, a->external_url); break;
        case OL_ACT_SLACK: ol_act_payload_slack(&q->body, v, a->external_url); break;
        case OL_ACT_PAGERDUTY: ol_act_payload_pagerduty(&q->body, v, rc, a->external_url); break;
        case OL_ACT_WEBHOOK: ol_act_payload_webhook(&q->body, v, rc, a->external_url); break;
        }
        ol_buf_append_u8(&q->body, 0); /* not sent: POSTFIELDSIZE excludes it */
        q->body.len--;
        ok = q->body.err == OL_OK && ol_act_curl_setup(a, q, rc);
    }
    pthread_mutex_lock(&a->mu);
    for (uint32_t i = 0; i < n; i++) {
        ol_act_slot_t *s = &it[i].r->slots[it[i].slot];
        if (!ok) {
            s->next_mono = now_mono + 1000000000ull;
            snprintf(s->err, sizeof s->err, "%s", "could not build the request (out of memory?)");
            continue;
        }
        s->in_flight = true;
        if (!s->attempts) s->step_mono = now_mono;
    }
    if (ok) {
        a->rs[recv].in_flight++;
        a->in_flight++;
    }
    pthread_mutex_unlock(&a->mu);
    if (!ok) {
        ol_warn("alerts: cannot build a request to receiver %s (%s); trying again in a second", rc->name,
                q && q->body.err != OL_OK ? ol_rc_str(q->body.err) : "libcurl");
        if (q) {
            if (q->h) curl_multi_remove_handle(a->multi, q->h);
            ol_act_req_free(q);
        }
        return;
    }
    q->next = a->reqs;
    a->reqs = q;
}

/* Starts what is due; returns whether a notification is owed (for the shutdown flush). */
static bool ol_act_schedule(ol_act_t *a, uint64_t now_mono, uint64_t now_wall, uint64_t *next_wake)
{
    const ol_act_config_t *cfg = a->cfg;
    bool stopping = __atomic_load_n(&a->stopping, __ATOMIC_ACQUIRE);
    bool owed = false;
    uint64_t am_due = 0;
    for (uint32_t b = 0; b < a->n_buckets; b++) {
        for (ol_act_rec_t *r = a->buckets[b]; r; r = r->hnext) {
            for (uint32_t k = 0; k < r->n_slots; k++) {
                ol_act_slot_t *s = &r->slots[k];
                if (s->in_flight) {
                    owed = true;
                    continue;
                }
                int need = r->owned ? ol_act_slot_need(cfg, r, s) : 0;
                if (!need) continue;
                bool is_owed = ol_act_slot_owed(cfg, r, s);
                if (stopping && !is_owed) continue;
                if (is_owed && (!stopping || s->next_mono <= a->stop_deadline_mono)) owed = true;
                if (s->next_mono > now_mono) {
                    if (s->next_mono < *next_wake) *next_wake = s->next_mono;
                    continue;
                }
                if (cfg->recv[s->recv].type == OL_ACT_AM) {
                    am_due |= 1ull << s->recv;
                    continue;
                }
                if (a->rs[s->recv].in_flight >= OL_ACT_RECV_IN_FLIGHT || a->in_flight >= OL_ACT_MAX_IN_FLIGHT)
                    continue; /* a completion wakes the thread */
                ol_act_item_t it = {r, k, (uint8_t)need};
                ol_act_start(a, s->recv, &it, 1, now_mono, now_wall);
            }
        }
    }
    for (uint32_t i = 0; am_due && i < cfg->n_recv; i++) {
        if (!(am_due & (1ull << i)) || a->rs[i].in_flight || a->in_flight >= OL_ACT_MAX_IN_FLIGHT) continue;
        ol_act_item_t it[OL_ACT_AM_BATCH];
        uint32_t n = 0;
        for (uint32_t b = 0; b < a->n_buckets && n < OL_ACT_AM_BATCH; b++)
            for (ol_act_rec_t *r = a->buckets[b]; r && n < OL_ACT_AM_BATCH; r = r->hnext)
                for (uint32_t k = 0; r->owned && k < r->n_slots && n < OL_ACT_AM_BATCH; k++) {
                    ol_act_slot_t *s = &r->slots[k];
                    if (s->recv != i || s->in_flight || s->next_mono > now_mono) continue;
                    int need = ol_act_slot_need(cfg, r, s);
                    if (need && (!stopping || ol_act_slot_owed(cfg, r, s))) it[n++] = (ol_act_item_t){r, k, (uint8_t)need};
                }
        if (n) ol_act_start(a, i, it, n, now_mono, now_wall);
    }
    return owed;
}

static uint64_t ol_act_backoff_ns(ol_act_t *a, uint32_t attempts)
{
    uint64_t ms = a->cfg->retry_initial_ms;
    for (uint32_t i = 1; i < attempts && ms < a->cfg->retry_max_ms; i++) ms *= 2;
    ms = OL_MIN(ms, (uint64_t)a->cfg->retry_max_ms);
    uint64_t ns = ms * 1000000ull, half = ns / 2;
    uint64_t x = a->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    a->rng = x;
    return half + (half ? x % (half + 1) : 0);
}

static uint64_t ol_act_retry_after_ns(CURL *h)
{
#if LIBCURL_VERSION_NUM >= 0x075400
    struct curl_header *hh;
    if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &hh) != CURLHE_OK) return 0;
    uint64_t secs;
    if (ol_parse_u64(ol_slice_trim(ol_slice_cstr(hh->value)), &secs) != OL_OK) return 0;
    return OL_MIN(secs, 3600u) * 1000000000ull;
#else
    (void)h;
    return 0;
#endif
}

enum { OL_ACT_SENT, OL_ACT_RETRY, OL_ACT_FAIL };

/* Applies a request's outcome to its slots; returns whether a step was given up. Under a->mu. */
static bool ol_act_outcome(ol_act_t *a, ol_act_req_t *q, int out, uint64_t wait_ns, const char *why,
                           uint64_t now_mono, uint32_t *attempts)
{
    const ol_act_config_t *cfg = a->cfg;
    bool am = cfg->recv[q->recv].type == OL_ACT_AM, gave_up = false;
    ol_act_recv_stats_t *st = &a->rs[q->recv];
    if (out == OL_ACT_SENT) st->sent++;
    for (uint32_t i = 0; i < q->n; i++) {
        ol_act_rec_t *r = q->it[i].r;
        ol_act_slot_t *s = &r->slots[q->it[i].slot];
        uint8_t told = s->told;
        uint32_t announced = s->announced;
        s->in_flight = false;
        int o = out;
        if (o == OL_ACT_RETRY && now_mono - s->step_mono >= cfg->give_up_ns) {
            o = OL_ACT_FAIL;
            gave_up = true;
        }
        if (o == OL_ACT_SENT) {
            s->attempts = 0;
            s->err[0] = 0;
            if (q->it[i].step == OL_ACT_FIRING) {
                s->told = OL_ACT_TOLD_FIRING;
                s->announced = r->episode;
            } else {
                s->told = OL_ACT_TOLD_RESOLVED;
            }
            s->next_mono = am && r->status == OL_ACT_FIRING ? now_mono + cfg->resend_ns : 0;
        } else if (o == OL_ACT_RETRY) {
            s->attempts++;
            *attempts = OL_MAX(*attempts, s->attempts);
            uint64_t d = ol_act_backoff_ns(a, s->attempts);
            s->next_mono = now_mono + OL_MAX(d, wait_ns);
            snprintf(s->err, sizeof s->err, "%s", why);
        } else {
            s->attempts = 0;
            snprintf(s->err, sizeof s->err, "%s", why);
            if (am && q->it[i].step == OL_ACT_FIRING) {
                s->next_mono = now_mono + cfg->resend_ns; /* the next resend tries again */
            } else {
                if (q->it[i].step == OL_ACT_FIRING) s->announced = r->episode;
                s->told = OL_ACT_TOLD_GAVE_UP;
                s->next_mono = 0;
            }
        }
        if (o == OL_ACT_RETRY) st->retried++;
        else if (o == OL_ACT_FAIL) st->failed++;
        if (s->told != told || s->announced != announced) r->dirty = true;
    }
    st->in_flight--;
    a->in_flight--;
    return gave_up;
}

static void ol_act_finish(ol_act_t *a, ol_act_req_t *q, CURLcode res, uint64_t now_mono)
{
    const ol_act_receiver_t *rc = &a->cfg->recv[q->recv];
    long code = 0;
    curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &code);
    char why[112];
    int out;
    uint64_t wait_ns = 0;
    if (res != CURLE_OK) {
        out = OL_ACT_RETRY;
        snprintf(why, sizeof why, "%.100s", q->errbuf[0] ? q->errbuf : curl_easy_strerror(res));
    } else if (code >= 200 && code < 300) {
        out = OL_ACT_SENT;
        why[0] = 0;
    } else {
        out = code == 408 || code == 429 || code >= 500 ? OL_ACT_RETRY : OL_ACT_FAIL;
        snprintf(why, sizeof why, "HTTP %ld%s%.80s", code, q->resp_len ? ": " : "", q->resp);
        if (code == 429 || code == 503) wait_ns = ol_act_retry_after_ns(q->h);
    }
    uint32_t attempts = 0;
    pthread_mutex_lock(&a->mu);
    bool gave_up = ol_act_outcome(a, q, out, wait_ns, why, now_mono, &attempts);
    pthread_mutex_unlock(&a->mu);
    const ol_act_ev_t *c = q->it[0].r->c;
    const char *what = q->it[0].step == OL_ACT_RESOLVED ? "resolved" : "firing";
    if (out == OL_ACT_SENT)
        ol_debug("alerts: sent %s (%u alert(s)) to %s: HTTP %ld", what, q->n, rc->name, code);
    else if (out == OL_ACT_RETRY && !gave_up && (attempts & (attempts - 1)) == 0)
        ol_warn("alerts: sending %s alert %.*s%s to %s (%s) failed: %s; retry %u", what,
                (int)OL_MIN(c->key.len, 120), (const char *)c->key.ptr, q->n > 1 ? " and others" : "", rc->name,
                ol_act_type_name(rc->type), why, attempts);
    else if (out != OL_ACT_RETRY || gave_up)
        ol_error("alerts: %s alert %.*s%s was not delivered to %s (%s): %s%s", what, (int)OL_MIN(c->key.len, 120),
                 (const char *)c->key.ptr, q->n > 1 ? " and others" : "", rc->name, ol_act_type_name(rc->type), why,
                 gave_up ? " (gave up after retry_give_up_s)" : "");
    for (uint32_t i = 0; i < q->n; i++)
        if (q->it[i].r->dirty) ol_act_persist(a, q->it[i].r, now_mono);
}

/* Handles finished requests; returns whether there were any. */
static bool ol_act_reap(ol_act_t *a)
{
    bool any = false;
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(a->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) continue;
        CURL *h = m->easy_handle;
        CURLcode res = m->data.result;
        ol_act_req_t **p = &a->reqs;
        while (*p && (*p)->h != h) p = &(*p)->next;
        if (!*p) continue;
        ol_act_req_t *q = *p;
        *p = q->next;
        curl_multi_remove_handle(a->multi, h);
        ol_act_finish(a, q, res, ol_mono_ns());
        ol_act_req_free(q);
        any = true;
    }
    return any;
}

static void ol_act_abandon(ol_act_t *a)
{
    while (a->reqs) {
        ol_act_req_t *q = a->reqs;
        a->reqs = q->next;
        curl_multi_remove_handle(a->multi, q->h);
        pthread_mutex_lock(&a->mu);
        for (uint32_t i = 0; i < q->n; i++) q->it[i].r->slots[q->it[i].slot].in_flight = false;
        a->rs[q->recv].in_flight--;
        a->in_flight--;
        pthread_mutex_unlock(&a->mu);
        ol_warn("alerts: a request to %s was still in flight at shutdown; it goes out again after the next start",
                a->cfg->recv[q->recv].name);
        ol_act_req_free(q);
    }
}

void *ol_act_thread(void *arg)
{
    ol_act_t *a = arg;
    for (;;) {
        ol_act_apply_queue(a);
        uint64_t now = ol_mono_ns(), wall = ol_now_ns();
        uint64_t wake = now + 1000000000ull;
        ol_act_maintain(a, now, wall, &wake);
        bool owed = ol_act_schedule(a, now, wall, &wake);
        int running = 0;
        curl_multi_perform(a->multi, &running);
        bool reaped = ol_act_reap(a);
        if (__atomic_load_n(&a->stopping, __ATOMIC_ACQUIRE)) {
            pthread_mutex_lock(&a->qmu);
            bool queued = a->q_len > 0;
            pthread_mutex_unlock(&a->qmu);
            if ((!queued && !owed && !reaped && a->in_flight == 0) || now >= a->stop_deadline_mono) break;
            if (a->stop_deadline_mono < wake) wake = a->stop_deadline_mono;
        }
        if (reaped) continue;
        uint64_t ms = wake > now ? (wake - now + 999999) / 1000000 : 0;
        curl_multi_poll(a->multi, NULL, 0, (int)OL_MIN(ms, 1000u), NULL);
    }
    ol_act_abandon(a);
    for (uint32_t b = 0; b < a->n_buckets; b++)
        for (ol_act_rec_t *r = a->buckets[b]; r; r = r->hnext)
            if (r->dirty && r->owned) ol_act_persist(a, r, ol_mono_ns());
    return NULL;
}
