/*
 * run.c - the live demo: the simulation paced against the wall clock, its
 * requests sent by a sender thread through the loadgen export clients.
 *
 * The main thread owns the simulation. Every tick it advances simulated time
 * to start + elapsed wall time x speed (in bounded chunks, so a simulation
 * that falls behind still flushes regularly and reports its lag), flushes the
 * produced telemetry into encoded requests, appends ground truth to the truth
 * file, and prints a status line now and then. Requests go into a queue
 * bounded in bytes; when it is full, new requests are dropped and counted, so
 * a slow or dead endpoint never slows the simulation down or grows memory
 * without bound.
 *
 * The sender thread takes requests in order, one client (connection) per
 * signal. Retryable answers (transport failure, HTTP 429/502/503/504, gRPC
 * UNAVAILABLE / RESOURCE_EXHAUSTED) are retried up to five times with
 * exponential back-off (Retry-After honoured, at most 30 s), as the OTLP
 * exporter specification asks; anything else is counted and dropped. At the
 * end (or on SIGINT/SIGTERM) the main thread stops simulating, flushes, and
 * gives the queue `drain_s` seconds to empty before it gives up on the rest.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "codec/json.h"
#include "core/alloc.h"
#include "core/util.h"
#include "demo/demo_int.h"

#define OL_DEMO_MAX_ATTEMPTS 5

typedef struct ol_demo_item {
    struct ol_demo_item *next;
    ol_signal_t sig;
    uint32_t items, attempts;
    uint64_t not_before; /* monotonic ns */
    size_t len;
    uint8_t data[];
} ol_demo_item_t;

typedef struct ol_demo_sender {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ol_demo_item_t *head, *tail;
    uint64_t queued_bytes, cap_bytes;
    uint32_t queued;
    bool closing, abort, busy;
    ol_loadgen_proto_t proto;
    ol_loadgen_client_t *clients[3];
    ol_demo_report_t rep; /* what happened to requests; copied into the caller's report at the end */
} ol_demo_sender_t;

static void ol_demo_item_free(ol_demo_item_t *it) { ol_free(OL_MEM_DEMO, it, sizeof *it + it->len); }

static void ol_demo_note_error(ol_demo_report_t *r, const char *what, const ol_loadgen_result_t *res)
{
    if (r->first_error[0]) return;
    if (res->answered)
        snprintf(r->first_error, sizeof r->first_error, "%s: status %d%s%.150s", what, res->status,
                 res->message[0] ? ": " : "", res->message);
    else
        snprintf(r->first_error, sizeof r->first_error, "%s: %.180s", what,
                 res->message[0] ? res->message : "transport failure");
}

static bool ol_demo_retryable(const ol_loadgen_result_t *res, ol_loadgen_proto_t proto)
{
    if (!res->answered || res->backoff) return true;
    if (proto == OL_LOADGEN_HTTP) return res->status == 502 || res->status == 504;
    return res->status == 4 /* DEADLINE_EXCEEDED */;
}

static void *ol_demo_sender_main(void *arg)
{
    ol_demo_sender_t *s = arg;
    static const char *const sig_names[] = {"traces", "metrics", "logs"};
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->closing && !s->abort) pthread_cond_wait(&s->cv, &s->mu);
        if (s->abort || !s->head) break;
        ol_demo_item_t *it = s->head;
        uint64_t now = ol_mono_ns();
        if (it->not_before > now) { /* backing off: wait, but wake for an abort */
            struct timespec ts = ol_mono_deadline_ms((it->not_before - now) / 1000000 + 1);
            pthread_cond_timedwait(&s->cv, &s->mu, &ts);
            continue;
        }
        s->head = it->next;
        if (!s->head) s->tail = NULL;
        s->busy = true;
        pthread_mutex_unlock(&s->mu);

        ol_loadgen_result_t res;
        ol_loadgen_client_t *c = s->clients[it->sig];
        ol_loadgen_client_export(c, ol_slice(it->data, it->len), &res);

        pthread_mutex_lock(&s->mu);
        s->busy = false;
        ol_demo_report_t *r = &s->rep;
        r->bytes_sent += res.wire_bytes;
        if (res.ok) {
            r->requests_ok++;
            r->sent_items[it->sig] += it->items;
            int64_t rej = res.rejected > 0 ? OL_MIN(res.rejected, (int64_t)it->items) : 0;
            r->rejected_items[it->sig] += (uint64_t)rej;
            r->accepted_items[it->sig] += it->items - (uint64_t)rej;
            s->queued--;
            s->queued_bytes -= it->len;
            ol_demo_item_free(it);
            continue;
        }
        if (!res.answered) r->fail_transport++;
        else if (res.backoff) r->fail_backoff++;
        else r->fail_other++;
        ol_demo_note_error(r, sig_names[it->sig], &res);
        it->attempts++;
        if (ol_demo_retryable(&res, s->proto) && it->attempts < OL_DEMO_MAX_ATTEMPTS && !s->abort) {
            uint64_t wait_ms = res.retry_after_ms ? res.retry_after_ms : 500ull << (it->attempts - 1);
            it->not_before = ol_mono_ns() + OL_MIN(wait_ms, 30000ull) * 1000000ull;
            it->next = s->head; /* in order: the next request waits behind it */
            s->head = it;
            if (!s->tail) s->tail = it;
            r->retries++;
            continue;
        }
        r->requests_failed++;
        r->dropped_items += it->items;
        s->queued--;
        s->queued_bytes -= it->len;
        ol_demo_item_free(it);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static int ol_demo_enqueue(void *ud, ol_signal_t sig, ol_slice_t body, uint32_t items)
{
    ol_demo_sender_t *s = ud;
    pthread_mutex_lock(&s->mu);
    bool full = s->queued_bytes + body.len > s->cap_bytes;
    pthread_mutex_unlock(&s->mu);
    ol_demo_item_t *it = full ? NULL : ol_malloc(OL_MEM_DEMO, sizeof *it + body.len);
    pthread_mutex_lock(&s->mu);
    if (!it) {
        s->rep.dropped_requests++;
        s->rep.dropped_items += items;
        if (!s->rep.first_error[0])
            snprintf(s->rep.first_error, sizeof s->rep.first_error, "%s",
                     full ? "send queue full: requests dropped" : "out of memory: requests dropped");
    } else {
        *it = (ol_demo_item_t){.sig = sig, .items = items, .len = body.len};
        memcpy(it->data, body.ptr, body.len);
        if (s->tail) s->tail->next = it;
        else s->head = it;
        s->tail = it;
        s->queued++;
        s->queued_bytes += body.len;
        pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return OL_OK;
}

/* Per-signal targets from one endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT works:
 * HTTP paths /v1/traces, /v1/logs, /v1/metrics under the given base path. */
static int ol_demo_targets(const ol_demo_run_options_t *o, ol_loadgen_target_t t[3], ol_err_t *err)
{
    const char *url = o->target ? o->target : o->protocol == OL_LOADGEN_GRPC ? "127.0.0.1:4317" : "127.0.0.1:4318";
    static const char *const grpc_paths[3] = {"/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                                              "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                                              "/opentelemetry.proto.collector.logs.v1.LogsService/Export"};
    static const char *const http_suffix[3] = {"/v1/traces", "/v1/metrics", "/v1/logs"};
    for (int k = 0; k < 3; k++) {
        if (ol_loadgen_target_parse(url, o->protocol, &t[k], err) != OL_OK) return OL_CORRUPT;
        if (o->protocol == OL_LOADGEN_GRPC) {
            snprintf(t[k].path, sizeof t[k].path, "%s", grpc_paths[k]);
            continue;
        }
        char base[512];
        snprintf(base, sizeof base, "%s", t[k].path);
        size_t bl = strlen(base);
        if (bl >= 10 && strcmp(base + bl - 10, "/v1/traces") == 0) base[bl - 10] = 0; /* a traces URL names the base */
        bl = strlen(base);
        if (bl && base[bl - 1] == '/') base[bl - 1] = 0;
        if (strlen(base) + strlen(http_suffix[k]) >= sizeof t[k].path) {
            ol_err_set(err, "target '%s': path too long", url);
            return OL_CORRUPT;
        }
        snprintf(t[k].path, sizeof t[k].path, "%s%s", base, http_suffix[k]);
    }
    return OL_OK;
}

static void ol_demo_fmt_count(char *out, size_t cap, double v)
{
    if (v >= 1e9) snprintf(out, cap, "%.2fG", v / 1e9);
    else if (v >= 1e6) snprintf(out, cap, "%.2fM", v / 1e6);
    else if (v >= 1e4) snprintf(out, cap, "%.1fk", v / 1e3);
    else snprintf(out, cap, "%.0f", v);
}

static void ol_demo_status(ol_demo_t *d, ol_demo_sender_t *s, double speed, double dt, const ol_demo_stats_t *prev,
                           uint64_t lag_ms)
{
    const ol_demo_report_t *r = &s->rep;
    ol_demo_stats_t st;
    ol_demo_stats(d, &st);
    char when[40], faults[200], spans[16], logs[16], pts[16];
    ol_time_format(ol_demo_now(d), when);
    ol_demo_active_faults(d, faults, sizeof faults);
    ol_demo_fmt_count(spans, sizeof spans, (double)(st.spans - prev->spans) / dt);
    ol_demo_fmt_count(logs, sizeof logs, (double)(st.logs - prev->logs) / dt);
    ol_demo_fmt_count(pts, sizeof pts, (double)(st.points - prev->points) / dt);
    pthread_mutex_lock(&s->mu);
    fprintf(stderr,
            "olly demo: %.19s x%g | %s spans/s %s logs/s %s points/s | requests %llu ok %llu failed, %llu retries, "
            "%llu dropped | queue %u (%.1f MB)%s%s%s\n",
            when, speed, spans, logs, pts, (unsigned long long)r->requests_ok, (unsigned long long)r->requests_failed,
            (unsigned long long)r->retries, (unsigned long long)r->dropped_requests, s->queued,
            (double)s->queued_bytes / 1e6, lag_ms > 2000 ? " | behind the clock" : "", faults[0] ? " | faults: " : "",
            faults);
    if (r->first_error[0] && (r->requests_failed || r->retries || r->dropped_requests))
        fprintf(stderr, "olly demo:   first problem: %s\n", r->first_error);
    pthread_mutex_unlock(&s->mu);
}

int ol_demo_run(ol_demo_t *d, const ol_demo_run_options_t *o, ol_demo_report_t *r, ol_err_t *err)
{
    memset(r, 0, sizeof *r);
    double speed = o->speed > 0 ? o->speed : 1;
    ol_loadgen_target_t t[3];
    if (ol_demo_targets(o, t, err) != OL_OK) return OL_CORRUPT;
    snprintf(r->target, sizeof r->target, "%s%s", o->protocol == OL_LOADGEN_GRPC ? "" : "http://", t[0].authority);
    r->protocol = o->protocol == OL_LOADGEN_GRPC ? "grpc" : "http";
    r->speed = speed;
    r->sim_start_ns = ol_demo_now(d);
    FILE *truth = NULL;
    if (o->truth && !(truth = fopen(o->truth, "w"))) {
        ol_err_set(err, "--truth %s: %s", o->truth, strerror(errno));
        return OL_ERR;
    }
    ol_demo_sender_t *s = ol_calloc(OL_MEM_DEMO, 1, sizeof *s);
    if (!s) {
        if (truth) fclose(truth);
        ol_err_set(err, "out of memory");
        return OL_NOMEM;
    }
    s->cap_bytes = o->queue_bytes ? o->queue_bytes : 64ull << 20;
    s->proto = o->protocol;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = OL_OK;
    for (int k = 0; k < 3; k++)
        if (ol_loadgen_client_create(&t[k], o->gzip, &s->clients[k]) != OL_OK) rc = OL_NOMEM;
    pthread_t th;
    bool started = rc == OL_OK && pthread_create(&th, NULL, ol_demo_sender_main, s) == 0;
    if (!started) {
        for (int k = 0; k < 3; k++) ol_loadgen_client_destroy(s->clients[k]);
        if (truth) fclose(truth);
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        ol_free(OL_MEM_DEMO, s, sizeof *s);
        ol_err_set(err, "cannot start the sender");
        return rc == OL_OK ? OL_ERR : rc;
    }

    ol_buf_t tb;
    ol_buf_init(&tb, OL_MEM_DEMO, 0);
    uint64_t wall0 = ol_mono_ns(), sim0 = ol_demo_now(d), end = ol_demo_end(d);
    uint64_t status_every = o->status_s > 0 ? (uint64_t)(o->status_s * 1e9) : 0, next_status = wall0 + status_every;
    uint64_t last_status = wall0;
    ol_demo_stats_t prev = {0};
    /* At most this much simulated time per tick, so requests keep flowing when the simulation falls behind. */
    uint64_t chunk = (uint64_t)OL_MAX(speed * 0.25e9, 1e9);
    for (;;) {
        if (o->stop && atomic_load(o->stop)) {
            r->interrupted = true;
            break;
        }
        uint64_t now = ol_mono_ns();
        double target = (double)sim0 + (double)(now - wall0) * speed;
        uint64_t want = target >= (double)end ? end : (uint64_t)target;
        uint64_t upto = OL_MIN(want, ol_demo_now(d) + chunk);
        if (upto > ol_demo_now(d) && ol_demo_advance(d, upto) != OL_OK) {
            ol_err_set(err, "out of memory in the simulation");
            rc = OL_NOMEM;
            break;
        }
        if (ol_demo_flush(d, o->max_items, ol_demo_enqueue, s) != OL_OK) {
            ol_err_set(err, "out of memory encoding requests");
            rc = OL_NOMEM;
            break;
        }
        ol_demo_take_truth(d, &tb);
        if (truth && tb.len) {
            fwrite(tb.data, 1, tb.len, truth);
            fflush(truth);
        }
        ol_buf_reset(&tb);
        uint64_t lag_ms = want > ol_demo_now(d) ? (uint64_t)((double)(want - ol_demo_now(d)) / speed / 1e6) : 0;
        if (lag_ms > r->lag_max_ms) r->lag_max_ms = lag_ms;
        now = ol_mono_ns();
        if (status_every && now >= next_status) {
            ol_demo_status(d, s, speed, (double)(now - last_status) / 1e9, &prev, lag_ms);
            ol_demo_stats(d, &prev);
            last_status = now;
            next_status = now + status_every;
        }
        if (ol_demo_now(d) >= end) break;
        if (ol_demo_now(d) >= want) { /* caught up: sleep until a simulated second is due, within 20..200 ms */
            double ms = OL_MIN(OL_MAX(1000.0 / speed, 20.0), 200.0);
            struct timespec ts = {0, (long)(ms * 1e6)};
            nanosleep(&ts, NULL);
        }
    }
    if (r->interrupted) {
        ol_demo_interrupt(d);
        ol_demo_flush(d, o->max_items, ol_demo_enqueue, s);
    }
    ol_demo_take_truth(d, &tb);
    if (truth) {
        if (tb.len) fwrite(tb.data, 1, tb.len, truth);
        fclose(truth);
    }
    ol_buf_free(&tb);

    /* Drain: let the sender empty the queue for a while, then stop it. */
    uint64_t drain_until = ol_mono_ns() + (uint64_t)((o->drain_s > 0 ? o->drain_s : 10) * 1e9);
    pthread_mutex_lock(&s->mu);
    s->closing = true;
    pthread_cond_broadcast(&s->cv);
    while ((s->head || s->busy) && ol_mono_ns() < drain_until) {
        pthread_mutex_unlock(&s->mu);
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&s->mu);
    }
    s->abort = true;
    pthread_cond_broadcast(&s->cv);
    for (ol_demo_item_t *it = s->head, *next; it; it = next) { /* what could not be sent in time */
        next = it->next;
        s->rep.dropped_requests++;
        s->rep.dropped_items += it->items;
        ol_demo_item_free(it);
    }
    s->head = s->tail = NULL;
    const ol_demo_report_t *q = &s->rep;
    r->requests_ok = q->requests_ok;
    r->requests_failed = q->requests_failed;
    r->retries = q->retries;
    r->dropped_requests = q->dropped_requests;
    r->dropped_items = q->dropped_items;
    r->bytes_sent = q->bytes_sent;
    r->fail_transport = q->fail_transport;
    r->fail_backoff = q->fail_backoff;
    r->fail_other = q->fail_other;
    memcpy(r->sent_items, q->sent_items, sizeof r->sent_items);
    memcpy(r->accepted_items, q->accepted_items, sizeof r->accepted_items);
    memcpy(r->rejected_items, q->rejected_items, sizeof r->rejected_items);
    memcpy(r->first_error, q->first_error, sizeof r->first_error);
    pthread_mutex_unlock(&s->mu);
    /* A sender stuck in a blocking call (a black-holed endpoint) is left behind with its state,
     * which is not freed: the process ends anyway, and the thread may still touch it. */
    struct timespec jt;
    clock_gettime(CLOCK_REALTIME, &jt);
    jt.tv_sec += 2;
    if (pthread_timedjoin_np(th, NULL, &jt) == 0) {
        for (int k = 0; k < 3; k++) ol_loadgen_client_destroy(s->clients[k]);
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        ol_free(OL_MEM_DEMO, s, sizeof *s);
    } else {
        pthread_detach(th);
    }
    ol_demo_stats(d, &r->gen);
    r->sim_end_ns = ol_demo_now(d);
    r->wall_s = (double)(ol_mono_ns() - wall0) / 1e9;
    if (status_every) {
        fprintf(stderr, "olly demo: done: %.0f s simulated in %.1f s; %llu requests ok, %llu failed, %llu dropped\n",
                (double)(r->sim_end_ns - r->sim_start_ns) / 1e9, r->wall_s, (unsigned long long)r->requests_ok,
                (unsigned long long)r->requests_failed, (unsigned long long)r->dropped_requests);
    }
    return rc;
}

void ol_demo_report_json(ol_buf_t *b, const ol_demo_report_t *r)
{
    static const char *const names[3] = {"spans", "data_points", "log_records"};
    ol_buf_append_cstr(b, "{\"target\":");
    ol_json_write_cstr(b, r->target);
    ol_buf_append_cstr(b, ",\"protocol\":");
    ol_json_write_cstr(b, r->protocol ? r->protocol : "http");
    ol_buf_append_cstr(b, ",\"speed\":");
    ol_json_write_double(b, r->speed);
    ol_buf_printf(b, ",\"sim_start_ns\":%llu,\"sim_end_ns\":%llu,\"wall_seconds\":",
                  (unsigned long long)r->sim_start_ns, (unsigned long long)r->sim_end_ns);
    ol_json_write_double(b, r->wall_s);
    ol_buf_printf(b,
                  ",\"generated\":{\"traces\":%llu,\"spans\":%llu,\"error_spans\":%llu,\"log_records\":%llu,"
                  "\"data_points\":%llu,\"restarts\":%llu}",
                  (unsigned long long)r->gen.traces, (unsigned long long)r->gen.spans,
                  (unsigned long long)r->gen.error_spans, (unsigned long long)r->gen.logs,
                  (unsigned long long)r->gen.points, (unsigned long long)r->gen.restarts);
    static const int order[3] = {OL_SIGNAL_TRACES, OL_SIGNAL_LOGS, OL_SIGNAL_METRICS};
    ol_buf_append_cstr(b, ",\"sent\":{");
    for (int k = 0; k < 3; k++)
        ol_buf_printf(b, "%s\"%s\":%llu", k ? "," : "", names[order[k]], (unsigned long long)r->sent_items[order[k]]);
    ol_buf_append_cstr(b, "},\"accepted\":{");
    for (int k = 0; k < 3; k++)
        ol_buf_printf(b, "%s\"%s\":%llu", k ? "," : "", names[order[k]],
                      (unsigned long long)r->accepted_items[order[k]]);
    ol_buf_append_cstr(b, "},\"rejected\":{");
    for (int k = 0; k < 3; k++)
        ol_buf_printf(b, "%s\"%s\":%llu", k ? "," : "", names[order[k]],
                      (unsigned long long)r->rejected_items[order[k]]);
    ol_buf_printf(b,
                  "},\"requests_ok\":%llu,\"requests_failed\":%llu,\"retries\":%llu,\"dropped_requests\":%llu,"
                  "\"dropped_items\":%llu,\"failed_attempts\":{\"transport\":%llu,\"backoff\":%llu,\"other\":%llu},"
                  "\"bytes_sent\":%llu,\"lag_max_ms\":%llu,\"interrupted\":%s,\"first_error\":",
                  (unsigned long long)r->requests_ok, (unsigned long long)r->requests_failed,
                  (unsigned long long)r->retries, (unsigned long long)r->dropped_requests,
                  (unsigned long long)r->dropped_items, (unsigned long long)r->fail_transport,
                  (unsigned long long)r->fail_backoff, (unsigned long long)r->fail_other,
                  (unsigned long long)r->bytes_sent, (unsigned long long)r->lag_max_ms,
                  r->interrupted ? "true" : "false");
    if (r->first_error[0]) ol_json_write_cstr(b, r->first_error);
    else ol_buf_append_cstr(b, "null");
    ol_buf_append_u8(b, '}');
}
