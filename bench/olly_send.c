/*
 * olly_send.c - replays an `olly loadgen --out` file against an OTLP/HTTP
 * endpoint, so Olly ingests exactly the spans (ids and timestamps included)
 * that bench/chdb/chdb_bench inserts into ClickHouse.
 *
 * `olly loadgen` itself cannot replay a file: a live run patches every trace
 * id with a send id derived from the wall clock, so its spans differ from the
 * --out file's and the trace ids bench/run.sh looks up would not exist. This
 * tool sends the records as they are, with the load generator's own HTTP
 * client (src/loadgen/send.h: keep-alive, one request in flight per
 * connection), on N connections that take the next record in file order.
 *
 * A record answered 429/503 is re-sent after Retry-After (at most 5 s, else
 * 100 ms), as an OpenTelemetry exporter would; a transport failure is retried
 * after 100 ms up to 5 times. Everything else that is not 2xx is a failure.
 * The clock runs from the first send to the last answer; each record's
 * latency is that of its final attempt. Record spans are counted (decoded)
 * before the clock starts.
 *
 * Output: a table on stderr and, with --json, one JSON object on stdout.
 * Exit 0 when every record was accepted with no rejected span, 1 otherwise,
 * 2 for bad flags.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "codec/json.h"
#include "codec/otlp.h"
#include "core/arena.h"
#include "core/util.h"
#include "loadgen/send.h"

#define SEND_MAX_CONNECTIONS 64
#define SEND_BACKOFF_TRIES 100
#define SEND_TRANSPORT_TRIES 5

typedef struct {
    ol_slice_t body;
    uint64_t spans;
} send_record_t;

typedef struct {
    const send_record_t *recs;
    size_t n_recs;
    _Atomic size_t next;
    pthread_barrier_t go;
    double *ms;           /* per record, final attempt */
    bool *ok;             /* per record */
    int64_t *rejected;    /* per record */
    uint64_t *wire_bytes; /* per record */
    _Atomic uint64_t retries, transport_errors;
    pthread_mutex_t mu;
    char first_error[256];
} send_run_t;

typedef struct {
    send_run_t *run;
    ol_loadgen_client_t *client;
} send_worker_t;

static void send_sleep_ms(uint32_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void send_note_error(send_run_t *r, size_t rec, const ol_loadgen_result_t *res)
{
    pthread_mutex_lock(&r->mu);
    if (!r->first_error[0])
        snprintf(r->first_error, sizeof r->first_error, "record %zu: status %d: %s", rec, res->status,
                 res->message[0] ? res->message : "(no message)");
    pthread_mutex_unlock(&r->mu);
}

static void *send_worker(void *arg)
{
    send_worker_t *w = arg;
    send_run_t *r = w->run;
    pthread_barrier_wait(&r->go);
    for (;;) {
        size_t i = atomic_fetch_add(&r->next, 1);
        if (i >= r->n_recs) break;
        ol_loadgen_result_t res;
        unsigned backoffs = 0, transport = 0;
        for (;;) {
            int rc = ol_loadgen_client_export(w->client, r->recs[i].body, &res);
            if (rc != OL_OK || !res.answered) {
                atomic_fetch_add(&r->transport_errors, 1);
                if (++transport >= SEND_TRANSPORT_TRIES) break;
                atomic_fetch_add(&r->retries, 1);
                send_sleep_ms(100);
                continue;
            }
            if (res.backoff && ++backoffs < SEND_BACKOFF_TRIES) {
                atomic_fetch_add(&r->retries, 1);
                send_sleep_ms(res.retry_after_ms ? OL_MIN(res.retry_after_ms, 5000u) : 100);
                continue;
            }
            break;
        }
        r->ms[i] = (double)res.latency_ns / 1e6;
        r->ok[i] = res.answered && res.ok;
        r->rejected[i] = r->ok[i] ? res.rejected : 0;
        r->wire_bytes[i] = res.wire_bytes;
        if (!r->ok[i] || res.rejected) send_note_error(r, i, &res);
    }
    return NULL;
}

/* Splits the file into records and counts each one's spans (as the server
 * counts items: every span, valid or not). */
static int send_load(ol_slice_t file, send_record_t **out, size_t *n_out, uint64_t *spans, ol_err_t *err)
{
    size_t n = 0, cap = 0, pos = 0;
    send_record_t *recs = NULL;
    ol_arena_t *arena = ol_arena_create(1 << 20, 0);
    int rc = arena ? OL_OK : OL_NOMEM;
    *spans = 0;
    while (rc == OL_OK && pos < file.len) {
        if (file.len - pos < 4) {
            ol_err_set(err, "%zu stray bytes at offset %zu (want a 4-byte length)", file.len - pos, pos);
            rc = OL_CORRUPT;
            break;
        }
        uint32_t len = ol_load_le32(file.ptr + pos);
        if (len > file.len - pos - 4) {
            ol_err_set(err, "record at offset %zu claims %u bytes, %zu remain", pos, len, file.len - pos - 4);
            rc = OL_CORRUPT;
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            send_record_t *p = realloc(recs, ncap * sizeof *p);
            if (!p) {
                rc = OL_NOMEM;
                break;
            }
            recs = p;
            cap = ncap;
        }
        ol_otlp_batch_t batch;
        ol_err_t derr;
        ol_arena_reset(arena);
        recs[n].body = ol_slice(file.ptr + pos + 4, len);
        rc = ol_otlp_decode(OL_SIGNAL_TRACES, recs[n].body, arena, &batch, &derr);
        if (rc != OL_OK) {
            ol_err_set(err, "record %zu at offset %zu: %s", n, pos, derr.msg);
            break;
        }
        recs[n].spans = batch.n_items;
        *spans += batch.n_items;
        n++;
        pos += 4 + (size_t)len;
    }
    if (rc == OL_NOMEM) ol_err_set(err, "out of memory at record %zu", n);
    if (rc == OL_OK && n == 0) {
        ol_err_set(err, "no record in the file");
        rc = OL_ERR;
    }
    if (arena) ol_arena_destroy(arena);
    if (rc != OL_OK) {
        free(recs);
        return rc;
    }
    *out = recs;
    *n_out = n;
    return OL_OK;
}

static void send_usage(void)
{
    fprintf(stderr, "usage: olly_send --input FILE [--target URL] [--connections N] [--json]\n"
                    "  --input FILE       an `olly loadgen --out` file: [u32 LE length][ExportTraceServiceRequest]...\n"
                    "  --target URL       OTLP/HTTP endpoint (default http://127.0.0.1:4318/v1/traces)\n"
                    "  --connections N    connections, one thread and one request in flight each (default 2, max %d)\n"
                    "  --json             one JSON object on stdout (the table stays on stderr)\n",
            SEND_MAX_CONNECTIONS);
}

int main(int argc, char **argv)
{
    const char *input = NULL, *target = "http://127.0.0.1:4318/v1/traces";
    uint64_t conns = 2;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) json = true;
        else if (!strcmp(a, "--input") && v) input = v, i++;
        else if (!strcmp(a, "--target") && v) target = v, i++;
        else if (!strcmp(a, "--connections") && v && ol_parse_u64(ol_slice_cstr(v), &conns) == OL_OK && conns >= 1 &&
                 conns <= SEND_MAX_CONNECTIONS)
            i++;
        else {
            send_usage();
            return 2;
        }
    }
    if (!input) {
        send_usage();
        return 2;
    }

    ol_err_t err;
    ol_loadgen_target_t t;
    uint8_t *data = NULL;
    size_t len = 0, n = 0;
    uint64_t spans = 0;
    send_record_t *recs = NULL;
    if (ol_loadgen_target_parse(target, OL_LOADGEN_HTTP, &t, &err) != OL_OK ||
        ol_bench_read_file(input, &data, &len, &err) != OL_OK ||
        send_load(ol_slice(data, len), &recs, &n, &spans, &err) != OL_OK) {
        fprintf(stderr, "olly_send: %s\n", err.msg);
        free(data);
        return 1;
    }

    send_run_t run;
    memset(&run, 0, sizeof run);
    run.recs = recs;
    run.n_recs = n;
    atomic_init(&run.next, 0);
    atomic_init(&run.retries, 0);
    atomic_init(&run.transport_errors, 0);
    pthread_mutex_init(&run.mu, NULL);
    run.ms = calloc(n, sizeof *run.ms);
    run.ok = calloc(n, sizeof *run.ok);
    run.rejected = calloc(n, sizeof *run.rejected);
    run.wire_bytes = calloc(n, sizeof *run.wire_bytes);
    send_worker_t workers[SEND_MAX_CONNECTIONS];
    pthread_t threads[SEND_MAX_CONNECTIONS];
    int rc = run.ms && run.ok && run.rejected && run.wire_bytes ? OL_OK : OL_NOMEM;
    if (rc == OL_NOMEM) ol_err_set(&err, "out of memory");
    size_t made = 0;
    for (; rc == OL_OK && made < conns; made++) { /* connect before the clock */
        workers[made].run = &run;
        workers[made].client = NULL;
        rc = ol_loadgen_client_create(&t, false, &workers[made].client);
        if (rc == OL_NOMEM) ol_err_set(&err, "out of memory creating client %zu", made);
        if (rc == OL_OK) rc = ol_loadgen_client_connect(workers[made].client, &err);
        if (rc != OL_OK) ol_loadgen_client_destroy(workers[made].client);
    }
    if (rc != OL_OK) {
        fprintf(stderr, "olly_send: %s\n", err.msg);
        for (size_t i = 0; i + 1 < made; i++) ol_loadgen_client_destroy(workers[i].client);
        free(run.ms);
        free(run.ok);
        free(run.rejected);
        free(run.wire_bytes);
        free(recs);
        free(data);
        return 1;
    }
    pthread_barrier_init(&run.go, NULL, (unsigned)conns + 1);
    for (size_t i = 0; i < conns; i++)
        if (pthread_create(&threads[i], NULL, send_worker, &workers[i]) != 0) {
            fprintf(stderr, "olly_send: cannot start thread %zu\n", i);
            exit(1);
        }
    pthread_barrier_wait(&run.go);
    uint64_t t0 = ol_mono_ns();
    for (size_t i = 0; i < conns; i++) {
        pthread_join(threads[i], NULL);
        ol_loadgen_client_destroy(workers[i].client);
    }
    uint64_t t1 = ol_mono_ns();
    pthread_barrier_destroy(&run.go);

    uint64_t ok = 0, accepted = 0, bytes = 0;
    int64_t rejected = 0;
    for (size_t i = 0; i < n; i++) {
        if (run.ok[i]) {
            ok++;
            accepted += recs[i].spans - (uint64_t)OL_MIN((uint64_t)(run.rejected[i] > 0 ? run.rejected[i] : 0), recs[i].spans);
            rejected += run.rejected[i];
        }
        bytes += run.wire_bytes[i];
    }
    double sec = (double)(t1 - t0) / 1e9;
    ol_bench_lat_t lat = ol_bench_lat(run.ms, n);
    double rate = sec > 0 ? (double)accepted / sec : 0;
    fprintf(stderr,
            "olly_send: %s -> %s, %llu connections\n"
            "  records                %zu (%llu spans, %.1f MB)\n"
            "  measured               %.3f s\n"
            "  requests               %llu ok, %llu failed, %llu retries, %llu transport errors\n"
            "  spans accepted         %llu (%lld rejected)\n"
            "  accepted throughput    %.0f spans/s\n"
            "  export latency         p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms\n",
            input, target, (unsigned long long)conns, n, (unsigned long long)spans, (double)len / 1e6, sec,
            (unsigned long long)ok, (unsigned long long)(n - ok), (unsigned long long)atomic_load(&run.retries),
            (unsigned long long)atomic_load(&run.transport_errors), (unsigned long long)accepted, (long long)rejected,
            rate, lat.p50, lat.p90, lat.p99, lat.max);
    if (run.first_error[0]) fprintf(stderr, "  first problem          %s\n", run.first_error);
    if (json) {
        ol_buf_t b;
        ol_buf_init(&b, OL_MEM_API, 0);
        ol_buf_append_cstr(&b, "{\"tool\":\"olly_send\",\"input\":");
        ol_json_write_cstr(&b, input);
        ol_buf_append_cstr(&b, ",\"target\":");
        ol_json_write_cstr(&b, target);
        ol_buf_printf(&b,
                      ",\"connections\":%llu,\"records\":%zu,\"spans\":%llu,\"seconds\":%.4f,\"requests_ok\":%llu,"
                      "\"requests_failed\":%llu,\"retries\":%llu,\"transport_errors\":%llu,\"spans_accepted\":%llu,"
                      "\"spans_rejected\":%lld,\"accepted_spans_per_sec\":%.1f,\"bytes_sent\":%llu,",
                      (unsigned long long)conns, n, (unsigned long long)spans, sec, (unsigned long long)ok,
                      (unsigned long long)(n - ok), (unsigned long long)atomic_load(&run.retries),
                      (unsigned long long)atomic_load(&run.transport_errors), (unsigned long long)accepted,
                      (long long)rejected, rate, (unsigned long long)bytes);
        ol_bench_lat_json(&b, "latency", &lat);
        ol_buf_append_cstr(&b, ",\"first_error\":");
        ol_json_write_cstr(&b, run.first_error);
        ol_buf_append_cstr(&b, "}\n");
        fwrite(b.data, 1, b.len, stdout);
        ol_buf_free(&b);
    }
    bool good = ok == n && rejected == 0;
    free(run.ms);
    free(run.ok);
    free(run.rejected);
    free(run.wire_bytes);
    free(recs);
    free(data);
    return good ? 0 : 1;
}
