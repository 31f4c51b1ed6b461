/*
 * loadgen.c - the driver behind `olly loadgen` (see loadgen.h): batch set-up,
 * the --out writer and reader, the connection threads, pacing, back-off,
 * statistics and the report.
 *
 * Batch ownership: with at least as many batches as connections, connection
 * j sends batches j, j+N, j+2N... and patches them in place without sharing;
 * with fewer, each connection gets a private copy of batch j % K. Trace-id
 * masks come from one atomic counter started at the wall clock in
 * nanoseconds, so no two sends of one run, nor of two runs started apart,
 * carry the same ids (and none collides with an --out file, whose masks are
 * small repetition numbers).
 *
 * Back-off: a 429/503 (UNAVAILABLE/RESOURCE_EXHAUSTED) answer pauses that
 * connection for Retry-After or 100 ms; a transport failure pauses it
 * 100 ms before reconnecting. The request is counted, never re-sent.
 */
#include "loadgen/loadgen.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "codec/json.h"
#include "core/alloc.h"
#include "core/util.h"

void ol_loadgen_options_default(ol_loadgen_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->protocol = OL_LOADGEN_HTTP;
    o->connections = 2;
    o->spans_per_request = 2000;
    o->batches = 64;
    o->duration_s = 10;
    o->seed = 1;
}

/* ---- histogram ---- */

static uint32_t ol_lg_bucket(uint64_t us)
{
    if (us < 128) return (uint32_t)us;
    if (us >= (1ull << 32)) us = (1ull << 32) - 1;
    int e = 63 - __builtin_clzll(us);
    return 128 + (uint32_t)(e - 7) * 64 + (uint32_t)((us >> (e - 6)) & 63);
}

void ol_loadgen_hist_add(ol_loadgen_hist_t *h, uint64_t us)
{
    h->b[ol_lg_bucket(us)]++;
    h->count++;
    if (us > h->max_us) h->max_us = us;
}

void ol_loadgen_hist_merge(ol_loadgen_hist_t *into, const ol_loadgen_hist_t *from)
{
    for (uint32_t i = 0; i < OL_LOADGEN_HIST_BUCKETS; i++) into->b[i] += from->b[i];
    into->count += from->count;
    if (from->max_us > into->max_us) into->max_us = from->max_us;
}

double ol_loadgen_hist_quantile(const ol_loadgen_hist_t *h, double q)
{
    if (h->count == 0) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.5);
    if (rank < 1) rank = 1;
    if (rank > h->count) rank = h->count;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < OL_LOADGEN_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen < rank) continue;
        double mid;
        if (i < 128) {
            mid = i;
        } else {
            uint32_t e = 7 + (i - 128) / 64, sub = (i - 128) % 64;
            double width = (double)(1ull << (e - 6));
            mid = (double)(64 + sub) * width + width / 2;
        }
        return mid > (double)h->max_us ? (double)h->max_us : mid;
    }
    return (double)h->max_us;
}

/* ---- --out records ---- */

int ol_loadgen_write_records(FILE *f, ol_loadgen_batch_t *batches, uint32_t n_batches, uint64_t n, uint64_t end_ns,
                             uint64_t *bytes, ol_err_t *err)
{
    *bytes = 0;
    for (uint64_t i = 0; i < n; i++) {
        ol_loadgen_batch_t *b = &batches[i % n_batches];
        ol_loadgen_batch_patch(b, i / n_batches, end_ns);
        uint8_t len[4];
        ol_store_le32(len, (uint32_t)b->len);
        if (fwrite(len, 1, 4, f) != 4 || fwrite(b->data, 1, b->len, f) != b->len) {
            ol_err_set(err, "writing record %llu: %s", (unsigned long long)i, strerror(errno));
            return OL_ERR;
        }
        *bytes += 4 + b->len;
    }
    return OL_OK;
}

int ol_loadgen_out_next(ol_slice_t file, size_t *pos, ol_slice_t *rec)
{
    if (*pos >= file.len) return OL_NOTFOUND;
    if (file.len - *pos < 4) return OL_CORRUPT;
    uint32_t n = ol_load_le32(file.ptr + *pos);
    if (n > file.len - *pos - 4) return OL_CORRUPT;
    *rec = ol_slice(file.ptr + *pos + 4, n);
    *pos += 4 + (size_t)n;
    return OL_OK;
}

/* ---- the run ---- */

typedef struct ol_lg_run ol_lg_run_t;

typedef struct ol_lg_worker {
    ol_lg_run_t *run;
    uint32_t id;
    pthread_t th;
    bool started;
    ol_loadgen_client_t *client;
    ol_loadgen_batch_t **mine; /* the batches this connection sends, in turn */
    uint32_t n_mine;
    ol_loadgen_batch_t clone;  /* private copy when batches < connections */
    uint64_t end_ns;
    /* statistics, merged after join */
    uint64_t ok, failed, transport, spans_sent, spans_accepted, spans_rejected, bytes;
    uint64_t http_failed[600], grpc_failed[17];
    ol_loadgen_hist_t lat;
    char first_error[200];
} ol_lg_worker_t;

struct ol_lg_run {
    const ol_loadgen_options_t *o;
    uint64_t start_ns, deadline_ns; /* monotonic */
    uint64_t id_base;
    _Atomic uint64_t send_counter;
    _Atomic uint64_t next_request;
    double spans_per_ns_per_worker; /* pacing; 0 = unpaced */
};

static void ol_lg_sleep_until(uint64_t mono_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(mono_ns / 1000000000ull), .tv_nsec = (long)(mono_ns % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* Pauses for ms, but never past the end of a timed run. */
static void ol_lg_pause(ol_lg_run_t *run, uint32_t ms)
{
    uint64_t until = ol_mono_ns() + (uint64_t)ms * 1000000ull;
    if (run->o->requests == 0 && until > run->deadline_ns) until = run->deadline_ns;
    ol_lg_sleep_until(until);
}

static void ol_lg_note_error(ol_lg_worker_t *w, const ol_loadgen_result_t *res)
{
    if (w->first_error[0]) return;
    if (res->answered)
        snprintf(w->first_error, sizeof w->first_error, "status %d: %.180s", res->status, res->message);
    else
        snprintf(w->first_error, sizeof w->first_error, "%.190s", res->message);
}

static void *ol_lg_worker_main(void *ud)
{
    ol_lg_worker_t *w = ud;
    ol_lg_run_t *run = w->run;
    const ol_loadgen_options_t *o = run->o;
    uint64_t spans_done = 0;
    for (uint64_t k = 0;; k++) {
        if (o->stop && atomic_load(o->stop)) break;
        if (o->requests) {
            if (atomic_fetch_add(&run->next_request, 1) >= o->requests) break;
        } else if (ol_mono_ns() >= run->deadline_ns) {
            break;
        }
        if (run->spans_per_ns_per_worker > 0) {
            uint64_t due = run->start_ns + (uint64_t)((double)spans_done / run->spans_per_ns_per_worker);
            if (o->requests == 0 && due >= run->deadline_ns) break;
            ol_lg_sleep_until(due);
        }
        ol_loadgen_batch_t *b = w->mine[k % w->n_mine];
        uint64_t send_id = run->id_base + atomic_fetch_add(&run->send_counter, 1);
        ol_loadgen_batch_patch(b, send_id, ol_now_ns());
        ol_loadgen_result_t res;
        int rc = ol_loadgen_client_export(w->client, ol_slice(b->data, b->len), &res);
        spans_done += b->n_spans;
        if (rc != OL_OK) {
            w->transport++;
            w->failed++;
            ol_lg_note_error(w, &res);
            ol_lg_pause(run, 100);
            continue;
        }
        ol_loadgen_hist_add(&w->lat, res.latency_ns / 1000);
        w->spans_sent += b->n_spans;
        w->bytes += res.wire_bytes;
        if (res.ok) {
            uint64_t rej = res.rejected < 0 ? 0 : OL_MIN((uint64_t)res.rejected, (uint64_t)b->n_spans);
            w->ok++;
            w->spans_rejected += rej;
            w->spans_accepted += b->n_spans - rej;
            if (rej) ol_lg_note_error(w, &res);
            continue;
        }
        w->failed++;
        if (o->protocol == OL_LOADGEN_GRPC && res.status >= 0 && res.status < 17) w->grpc_failed[res.status]++;
        else if (o->protocol == OL_LOADGEN_HTTP && res.status >= 0 && res.status < 600) w->http_failed[res.status]++;
        ol_lg_note_error(w, &res);
        if (res.backoff) ol_lg_pause(run, res.retry_after_ms ? OL_MIN(res.retry_after_ms, 5000u) : 100);
    }
    w->end_ns = ol_mono_ns();
    return NULL;
}

static int ol_lg_build(const ol_loadgen_options_t *o, ol_loadgen_batch_t **out, ol_err_t *err)
{
    ol_topology_t *t = NULL;
    int rc = ol_topo_create_default(o->services, &t, err);
    if (rc != OL_OK) return rc;
    ol_loadgen_batch_t *b = ol_calloc(OL_MEM_CORE, o->batches, sizeof *b);
    if (!b) {
        ol_topo_destroy(t);
        ol_err_set(err, "out of memory for %u batches", o->batches);
        return OL_NOMEM;
    }
    for (uint32_t i = 0; i < o->batches && rc == OL_OK; i++)
        rc = ol_loadgen_batch_build(t, o->seed, i, o->spans_per_request, &b[i], err);
    ol_topo_destroy(t);
    if (rc != OL_OK) {
        for (uint32_t i = 0; i < o->batches; i++) ol_loadgen_batch_free(&b[i]);
        ol_free(OL_MEM_CORE, b, (size_t)o->batches * sizeof *b);
        return rc;
    }
    *out = b;
    return OL_OK;
}

static int ol_lg_write_out(const ol_loadgen_options_t *o, ol_loadgen_batch_t *batches, ol_loadgen_report_t *r,
                           ol_err_t *err)
{
    FILE *f = fopen(o->out, "wb");
    if (!f) {
        ol_err_set(err, "cannot create %s: %s", o->out, strerror(errno));
        return OL_ERR;
    }
    uint64_t n = o->requests ? o->requests : o->batches;
    int rc = ol_loadgen_write_records(f, batches, o->batches, n, ol_now_ns(), &r->out_bytes, err);
    if (fclose(f) != 0 && rc == OL_OK) {
        ol_err_set(err, "writing %s: %s", o->out, strerror(errno));
        rc = OL_ERR;
    }
    if (rc == OL_OK) {
        r->out_records = n;
        r->spans_sent = n * o->spans_per_request;
    }
    return rc;
}

static int ol_lg_send(const ol_loadgen_options_t *o, const ol_loadgen_target_t *target, ol_loadgen_batch_t *batches,
                      ol_loadgen_report_t *r, ol_err_t *err)
{
    uint32_t n = o->connections;
    ol_lg_run_t run = {.o = o};
    ol_lg_worker_t *ws = ol_calloc(OL_MEM_CORE, n, sizeof *ws);
    ol_loadgen_batch_t **slots = ol_calloc(OL_MEM_CORE, (size_t)OL_MAX(n, o->batches), sizeof *slots);
    int rc = OL_OK;
    if (!ws || !slots) {
        ol_err_set(err, "out of memory for %u connections", n);
        rc = OL_NOMEM;
        goto out;
    }
    for (uint32_t j = 0, s = 0; j < n; j++) {
        ol_lg_worker_t *w = &ws[j];
        w->run = &run;
        w->id = j;
        w->mine = &slots[s];
        if (o->batches >= n) {
            for (uint32_t i = j; i < o->batches; i += n) slots[s++] = &batches[i];
        } else {
            if (ol_loadgen_batch_clone(&batches[j % o->batches], &w->clone) != OL_OK) {
                ol_err_set(err, "out of memory copying batches for %u connections", n);
                rc = OL_NOMEM;
                goto out;
            }
            slots[s++] = &w->clone;
        }
        w->n_mine = (uint32_t)(&slots[s] - w->mine);
        if (ol_loadgen_client_create(target, o->gzip, &w->client) != OL_OK) {
            ol_err_set(err, "out of memory for connection %u", j);
            rc = OL_NOMEM;
            goto out;
        }
        if (ol_loadgen_client_connect(w->client, err) != OL_OK) {
            rc = OL_ERR;
            goto out;
        }
    }
    if (o->rate) run.spans_per_ns_per_worker = (double)o->rate / n / 1e9;
    run.id_base = ol_now_ns();
    run.start_ns = ol_mono_ns();
    run.deadline_ns = run.start_ns + (uint64_t)(o->duration_s * 1e9);
    for (uint32_t j = 0; j < n; j++) {
        if (pthread_create(&ws[j].th, NULL, ol_lg_worker_main, &ws[j]) != 0) {
            ol_err_set(err, "cannot start connection thread %u", j);
            rc = OL_ERR;
            /* the started ones run to their end and are joined below */
            break;
        }
        ws[j].started = true;
    }
    uint64_t end = run.start_ns;
    for (uint32_t j = 0; j < n; j++) {
        ol_lg_worker_t *w = &ws[j];
        if (!w->started) continue;
        pthread_join(w->th, NULL);
        if (w->end_ns > end) end = w->end_ns;
        r->requests_ok += w->ok;
        r->requests_failed += w->failed;
        r->transport_errors += w->transport;
        r->spans_sent += w->spans_sent;
        r->spans_accepted += w->spans_accepted;
        r->spans_rejected += w->spans_rejected;
        r->bytes_sent += w->bytes;
        for (int s = 0; s < 600; s++) r->http_failed[s] += w->http_failed[s];
        for (int s = 0; s < 17; s++) r->grpc_failed[s] += w->grpc_failed[s];
        ol_loadgen_hist_merge(&r->latency, &w->lat);
        if (!r->first_error[0] && w->first_error[0]) memcpy(r->first_error, w->first_error, sizeof r->first_error);
    }
    r->seconds = (double)(end - run.start_ns) / 1e9;
out:
    if (ws)
        for (uint32_t j = 0; j < n; j++) {
            ol_loadgen_client_destroy(ws[j].client);
            if (ws[j].clone.data) ol_loadgen_batch_free(&ws[j].clone);
        }
    ol_free(OL_MEM_CORE, ws, (size_t)n * sizeof *ws);
    ol_free(OL_MEM_CORE, slots, (size_t)OL_MAX(n, o->batches) * sizeof *slots);
    return rc;
}

int ol_loadgen_run(const ol_loadgen_options_t *opts, ol_loadgen_report_t *r, ol_err_t *err)
{
    memset(r, 0, sizeof *r);
    ol_loadgen_options_t eff = *opts, *o = &eff;
    /* --out needs no more batches than it writes. */
    if (o->out && o->requests && o->requests < o->batches) o->batches = (uint32_t)o->requests;
    if (o->connections == 0 || o->batches == 0 || o->spans_per_request == 0) {
        ol_err_set(err, "connections, batches and spans per request must be at least 1");
        return OL_LIMIT;
    }
    if (o->requests == 0 && !(o->duration_s > 0)) {
        ol_err_set(err, "give a positive duration or a number of requests");
        return OL_LIMIT;
    }
    ol_loadgen_target_t target;
    const char *url = o->target && *o->target ? o->target
                      : o->protocol == OL_LOADGEN_GRPC ? "127.0.0.1:4317"
                                                       : "http://127.0.0.1:4318";
    if (!o->out && ol_loadgen_target_parse(url, o->protocol, &target, err) != OL_OK) return OL_ERR;
    snprintf(r->target, sizeof r->target, "%s", o->out ? o->out : url);
    r->protocol = o->protocol;
    r->connections = o->connections;
    r->spans_per_request = o->spans_per_request;
    r->batches = o->batches;
    r->gzip = o->gzip;

    uint64_t t0 = ol_mono_ns();
    ol_loadgen_batch_t *batches = NULL;
    int rc = ol_lg_build(o, &batches, err);
    if (rc != OL_OK) return rc;
    r->build_seconds = (double)(ol_mono_ns() - t0) / 1e9;
    for (uint32_t i = 0; i < o->batches; i++) {
        r->batch_bytes += batches[i].len;
        r->batch_spans += batches[i].n_spans;
    }
    rc = o->out ? ol_lg_write_out(o, batches, r, err) : ol_lg_send(o, &target, batches, r, err);
    for (uint32_t i = 0; i < o->batches; i++) ol_loadgen_batch_free(&batches[i]);
    ol_free(OL_MEM_CORE, batches, (size_t)o->batches * sizeof *batches);
    return rc;
}

/* ---- report ---- */

static const char *const ol_lg_grpc_names[17] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

static double ol_lg_rate(uint64_t v, double s) { return s > 0 ? (double)v / s : 0; }

void ol_loadgen_report_print(FILE *f, const ol_loadgen_report_t *r)
{
    double per_span = r->batch_spans ? (double)r->batch_bytes / (double)r->batch_spans : 0;
    if (r->out_records) {
        fprintf(f, "olly loadgen: wrote %llu requests (%llu spans, %.1f MB) to %s\n",
                (unsigned long long)r->out_records, (unsigned long long)r->spans_sent, (double)r->out_bytes / 1e6,
                r->target);
        fprintf(f, "  %u distinct batches of %u spans, %.0f bytes/span, built in %.2f s\n", r->batches,
                r->spans_per_request, per_span, r->build_seconds);
        return;
    }
    fprintf(f, "olly loadgen: %s -> %s, %u connections, %u spans/request, %u batches (%.1f MB, %.0f B/span), gzip %s\n",
            r->protocol == OL_LOADGEN_GRPC ? "otlp/grpc" : "otlp/http", r->target, r->connections,
            r->spans_per_request, r->batches, (double)r->batch_bytes / 1e6, per_span, r->gzip ? "on" : "off");
    fprintf(f, "  %-22s %.2f s (batches built in %.2f s before the clock)\n", "measured", r->seconds,
            r->build_seconds);
    fprintf(f, "  %-22s %llu ok, %llu failed", "requests", (unsigned long long)r->requests_ok,
            (unsigned long long)r->requests_failed);
    if (r->requests_failed) {
        const char *sep = " (";
        for (int s = 0; s < 600; s++)
            if (r->http_failed[s]) {
                fprintf(f, "%sHTTP %d: %llu", sep, s, (unsigned long long)r->http_failed[s]);
                sep = ", ";
            }
        for (int s = 0; s < 17; s++)
            if (r->grpc_failed[s]) {
                fprintf(f, "%s%s: %llu", sep, ol_lg_grpc_names[s], (unsigned long long)r->grpc_failed[s]);
                sep = ", ";
            }
        if (r->transport_errors) fprintf(f, "%stransport: %llu", sep, (unsigned long long)r->transport_errors);
        fprintf(f, ")");
    }
    fprintf(f, "\n");
    fprintf(f, "  %-22s %llu\n", "spans sent", (unsigned long long)r->spans_sent);
    fprintf(f, "  %-22s %llu (%llu rejected)\n", "spans accepted", (unsigned long long)r->spans_accepted,
            (unsigned long long)r->spans_rejected);
    fprintf(f, "  %-22s %.0f spans/s\n", "accepted throughput", ol_lg_rate(r->spans_accepted, r->seconds));
    fprintf(f, "  %-22s %.1f MB/s (%s request bodies)\n", "bytes", ol_lg_rate(r->bytes_sent, r->seconds) / 1e6,
            r->gzip ? "gzip" : "uncompressed");
    const ol_loadgen_hist_t *h = &r->latency;
    fprintf(f, "  %-22s p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms (%llu answers)\n", "export latency",
            ol_loadgen_hist_quantile(h, 0.5) / 1e3, ol_loadgen_hist_quantile(h, 0.9) / 1e3,
            ol_loadgen_hist_quantile(h, 0.99) / 1e3, (double)h->max_us / 1e3, (unsigned long long)h->count);
    if (r->first_error[0]) fprintf(f, "  %-22s %s\n", "first problem", r->first_error);
}

static void ol_lg_json_num(ol_buf_t *b, const char *key, double v, bool comma)
{
    ol_buf_printf(b, "%s\"%s\":", comma ? "," : "", key);
    ol_json_write_double(b, v);
}

static void ol_lg_json_u64(ol_buf_t *b, const char *key, uint64_t v)
{
    ol_buf_printf(b, ",\"%s\":%llu", key, (unsigned long long)v);
}

void ol_loadgen_report_json(ol_buf_t *b, const ol_loadgen_report_t *r)
{
    ol_buf_append_cstr(b, "{\"protocol\":");
    ol_json_write_cstr(b, r->out_records ? "file" : r->protocol == OL_LOADGEN_GRPC ? "grpc" : "http");
    ol_buf_append_cstr(b, ",\"target\":");
    ol_json_write_cstr(b, r->target);
    ol_lg_json_u64(b, "connections", r->connections);
    ol_lg_json_u64(b, "spans_per_request", r->spans_per_request);
    ol_lg_json_u64(b, "batches", r->batches);
    ol_buf_printf(b, ",\"gzip\":%s", r->gzip ? "true" : "false");
    ol_lg_json_u64(b, "batch_bytes", r->batch_bytes);
    ol_lg_json_num(b, "bytes_per_span", r->batch_spans ? (double)r->batch_bytes / (double)r->batch_spans : 0, true);
    ol_lg_json_num(b, "build_seconds", r->build_seconds, true);
    if (r->out_records) {
        ol_lg_json_u64(b, "records", r->out_records);
        ol_lg_json_u64(b, "spans", r->spans_sent);
        ol_lg_json_u64(b, "bytes", r->out_bytes);
        ol_buf_append_u8(b, '}');
        return;
    }
    ol_lg_json_num(b, "seconds", r->seconds, true);
    ol_lg_json_u64(b, "requests_ok", r->requests_ok);
    ol_lg_json_u64(b, "requests_failed", r->requests_failed);
    ol_buf_append_cstr(b, ",\"failures\":{");
    const char *sep = "";
    for (int s = 0; s < 600; s++)
        if (r->http_failed[s]) {
            ol_buf_printf(b, "%s\"%d\":%llu", sep, s, (unsigned long long)r->http_failed[s]);
            sep = ",";
        }
    for (int s = 0; s < 17; s++)
        if (r->grpc_failed[s]) {
            ol_buf_printf(b, "%s\"%s\":%llu", sep, ol_lg_grpc_names[s], (unsigned long long)r->grpc_failed[s]);
            sep = ",";
        }
    if (r->transport_errors) ol_buf_printf(b, "%s\"transport\":%llu", sep, (unsigned long long)r->transport_errors);
    ol_buf_append_u8(b, '}');
    ol_lg_json_u64(b, "spans_sent", r->spans_sent);
    ol_lg_json_u64(b, "spans_accepted", r->spans_accepted);
    ol_lg_json_u64(b, "spans_rejected", r->spans_rejected);
    ol_lg_json_num(b, "accepted_spans_per_sec", ol_lg_rate(r->spans_accepted, r->seconds), true);
    ol_lg_json_u64(b, "bytes_sent", r->bytes_sent);
    ol_lg_json_num(b, "bytes_per_sec", ol_lg_rate(r->bytes_sent, r->seconds), true);
    const ol_loadgen_hist_t *h = &r->latency;
    ol_buf_append_cstr(b, ",\"latency_ms\":{");
    ol_lg_json_num(b, "p50", ol_loadgen_hist_quantile(h, 0.5) / 1e3, false);
    ol_lg_json_num(b, "p90", ol_loadgen_hist_quantile(h, 0.9) / 1e3, true);
    ol_lg_json_num(b, "p99", ol_loadgen_hist_quantile(h, 0.99) / 1e3, true);
    ol_lg_json_num(b, "max", (double)h->max_us / 1e3, true);
    ol_lg_json_u64(b, "count", h->count);
    ol_buf_append_u8(b, '}');
    ol_buf_append_cstr(b, ",\"first_error\":");
    ol_json_write_cstr(b, r->first_error);
    ol_buf_append_u8(b, '}');
}
