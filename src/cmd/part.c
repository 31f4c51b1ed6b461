/*
 * part.c - `olly part`: the offline tool for part files.
 *
 *   olly part verify FILE...      check every header, block and row; exit 1 on damage
 *   olly part dump FILE [--rows]  what the part holds: granules, columns and
 *                                 their sizes; with --rows (or --spans) every
 *                                 span, log record or metric as one OTLP/JSON
 *                                 request
 *   olly part build --input BATCHES --out FILE
 *                                 encode the spans of a batches file (`olly
 *                                 loadgen --out`: [u32 LE length][request])
 *                                 into one part and report bytes per span and
 *                                 encoding speed
 *
 * It reads parts through the same reader the server uses, so what verify
 * accepts is what the server serves.
 */
#include "cmd/part.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/otlp.h"
#include "codec/otlp_json.h"
#include "codec/pb_schema.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"
#include "store/col/part.h"
#include "store/col/records.h"
#include "store/request.h"

static int ol_part_usage(void)
{
    fprintf(stderr, "usage: olly part verify FILE...\n"
                    "       olly part dump FILE [--rows]\n"
                    "       olly part build --input BATCHES --out FILE\n");
    return 2;
}

static int ol_part_cmd_verify(int argc, char **argv)
{
    if (argc < 2) return ol_part_usage();
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        ol_err_t err = {0};
        ol_part_t *p = NULL;
        int rc = ol_part_open(NULL, argv[i], &p, &err);
        if (!rc) rc = ol_part_verify(p, &err);
        if (rc) {
            printf("%s: DAMAGED: %s\n", argv[i], err.msg[0] ? err.msg : ol_rc_str(rc));
            bad++;
        } else {
            const ol_part_info_t *in = ol_part_info(p);
            printf("%s: ok: %s part %016llx, %llu rows in %u granules, %llu bytes\n", argv[i], ol_signal_name(in->signal),
                   (unsigned long long)in->id, (unsigned long long)in->rows, in->granules, (unsigned long long)in->bytes);
        }
        ol_part_close(p);
    }
    return bad ? 1 : 0;
}

typedef struct ol_dump_ctx {
    ol_buf_t pb, json;
    ol_req_builder_t rb;
    size_t n;
    ol_signal_t signal;
    ol_arena_t *a;
    ol_err_t *err;
} ol_dump_ctx_t;

static int ol_dump_span(void *ud, const ol_otlp_span_t *s)
{
    ol_dump_ctx_t *c = ud;
    ol_req_add(&c->rb, s->origin, s->raw);
    c->n++;
    return OL_OK;
}

/* A granule's payload: its items join the one request being dumped. */
static int ol_dump_payload(void *ud, ol_slice_t payload, uint64_t min_ns, uint64_t max_ns)
{
    ol_dump_ctx_t *c = ud;
    ol_otlp_batch_t b = {0};
    int rc = ol_otlp_decode(c->signal, payload, c->a, &b, c->err);
    for (size_t i = 0; !rc && i < b.n_logs; i++) ol_req_add(&c->rb, b.logs[i].origin, b.logs[i].raw);
    for (size_t i = 0; !rc && i < b.n_metrics; i++) ol_req_add(&c->rb, b.metrics[i].origin, b.metrics[i].raw);
    c->n += b.n_logs + b.n_metrics;
    ol_arena_reset(c->a);
    return rc ? rc : c->pb.err;
}

static int ol_part_cmd_dump(int argc, char **argv)
{
    if (argc < 2) return ol_part_usage();
    bool rows = argc > 2 && (strcmp(argv[2], "--rows") == 0 || strcmp(argv[2], "--spans") == 0);
    ol_err_t err = {0};
    ol_part_t *p = NULL;
    int rc = ol_part_open(NULL, argv[1], &p, &err);
    if (rc) {
        fprintf(stderr, "olly part: %s\n", err.msg[0] ? err.msg : ol_rc_str(rc));
        return 1;
    }
    const ol_part_info_t *in = ol_part_info(p);
    char t0[40], t1[40];
    ol_time_format(in->min_time_ns, t0);
    ol_time_format(in->max_time_ns, t1);
    printf("part %s\n  id %016llx, signal %s, %llu rows, %u granules, %llu bytes (%.1f bytes/row)\n"
           "  time %s .. %s\n  wal segment %llu, footer crc %08x\n",
           argv[1], (unsigned long long)in->id, ol_signal_name(in->signal), (unsigned long long)in->rows, in->granules,
           (unsigned long long)in->bytes, in->rows ? (double)in->bytes / (double)in->rows : 0.0, t0, t1,
           (unsigned long long)in->wal_segment, in->footer_crc);
    ol_buf_t col;
    ol_buf_init(&col, OL_MEM_CORE, 0);
    for (uint32_t g = 0; g < in->granules && !rows; g++) {
        const ol_part_granule_info_t *gi = ol_part_granule(p, g);
        char first[33], last[33];
        ol_hex_encode(first, gi->first_trace_id, 16);
        ol_hex_encode(last, gi->last_trace_id, 16);
        first[32] = last[32] = 0;
        ol_time_format(gi->min_time_ns, t0);
        ol_time_format(gi->max_time_ns, t1);
        if (in->signal == OL_SIGNAL_METRICS) printf("  granule %u: %u rows, time %s .. %s\n", g, gi->rows, t0, t1);
        else printf("  granule %u: %u rows, time %s .. %s, traces %s .. %s\n", g, gi->rows, t0, t1, first, last);
        size_t n = ol_part_columns(p, g, NULL, 0);
        ol_slice_t *names = calloc(n ? n : 1, sizeof *names);
        ol_part_columns(p, g, names, n);
        for (size_t i = 0; i < n; i++) {
            ol_buf_reset(&col);
            rc = ol_part_read_column(p, g, names[i], &col, &err);
            printf("    %-32.*s %9zu raw bytes%s\n", (int)names[i].len, (const char *)names[i].ptr, col.len,
                   rc ? " (DAMAGED)" : "");
        }
        free(names);
    }
    ol_buf_free(&col);
    rc = OL_OK;
    if (rows) {
        static const ol_pb_msg_t *const schema[] = {&ol_pb_ExportTraceServiceRequest, &ol_pb_ExportMetricsServiceRequest,
                                                    &ol_pb_ExportLogsServiceRequest};
        ol_dump_ctx_t c = {.signal = in->signal, .err = &err};
        ol_buf_init(&c.pb, OL_MEM_CORE, 0);
        ol_buf_init(&c.json, OL_MEM_CORE, 0);
        ol_req_begin(&c.rb, &c.pb, OL_REQ_GROUP_BYTES);
        ol_arena_t *a = ol_arena_create(1 << 20, 0);
        c.a = ol_arena_create(1 << 20, 0);
        if (!a || !c.a) rc = OL_NOMEM;
        else if (in->signal == OL_SIGNAL_TRACES) rc = ol_part_spans_scan(p, 0, UINT64_MAX, a, ol_dump_span, &c, &err);
        else rc = ol_part_read_payloads(p, 0, UINT64_MAX, ol_dump_payload, &c, &err);
        if (!rc) rc = ol_req_finish(&c.rb);
        if (!rc) rc = ol_pb_to_otlp_json(schema[in->signal], ol_buf_slice(&c.pb), &c.json);
        if (!rc) printf("%.*s\n", (int)c.json.len, (const char *)c.json.data);
        else fprintf(stderr, "olly part: %s\n", err.msg[0] ? err.msg : ol_rc_str(rc));
        if (a) ol_arena_destroy(a);
        if (c.a) ol_arena_destroy(c.a);
        ol_buf_free(&c.pb);
        ol_buf_free(&c.json);
    }
    ol_part_close(p);
    return rc ? 1 : 0;
}

static int ol_part_cmd_build(int argc, char **argv)
{
    const char *input = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--input") == 0 && i + 1 < argc) input = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
        else return ol_part_usage();
    }
    if (!input || !out) return ol_part_usage();
    FILE *f = fopen(input, "rb");
    if (!f) {
        fprintf(stderr, "olly part: cannot open %s\n", input);
        return 1;
    }
    ol_buf_t data;
    ol_buf_init(&data, OL_MEM_CORE, 0);
    char chunk[1 << 16];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) ol_buf_append(&data, chunk, got);
    fclose(f);
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    const ol_otlp_span_t **spans = NULL;
    size_t n = 0, cap = 0, off = 0, batches = 0;
    int rc = data.err ? OL_NOMEM : OL_OK;
    while (!rc && off < data.len) {
        if (data.len - off < 4 || ol_load_le32(data.data + off) > data.len - off - 4) {
            fprintf(stderr, "olly part: %s: record at offset %zu runs past the end\n", input, off);
            rc = OL_CORRUPT;
            break;
        }
        uint32_t len = ol_load_le32(data.data + off);
        ol_otlp_batch_t b;
        ol_err_t err = {0};
        rc = ol_otlp_decode(OL_SIGNAL_TRACES, ol_slice(data.data + off + 4, len), a, &b, &err);
        if (rc) {
            fprintf(stderr, "olly part: %s: record at offset %zu: %s\n", input, off, err.msg);
            break;
        }
        for (size_t i = 0; i < b.n_spans; i++) {
            if (!b.spans[i].valid) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 4096;
                spans = realloc(spans, cap * sizeof *spans);
            }
            spans[n++] = &b.spans[i];
        }
        off += 4 + (size_t)len;
        batches++;
    }
    if (!rc) {
        ol_err_t err = {0};
        ol_part_info_t info;
        remove(out);
        uint64_t t0 = ol_mono_ns();
        rc = ol_part_write_spans(NULL, out, 1, 0, spans, n, &info, &err);
        double secs = (double)(ol_mono_ns() - t0) / 1e9;
        if (rc) {
            fprintf(stderr, "olly part: %s\n", err.msg);
        } else {
            printf("%zu batches, %zu spans (%.1f bytes/span as OTLP protobuf) -> %s: %llu bytes, %.1f bytes/span, "
                   "%u granules; encoded in %.3f s (%.0f spans/s, one thread)\n",
                   batches, n, n ? (double)(data.len - 4 * batches) / (double)n : 0.0, out, (unsigned long long)info.bytes,
                   info.rows ? (double)info.bytes / (double)info.rows : 0.0, info.granules, secs, secs > 0 ? (double)n / secs : 0.0);
        }
    }
    free(spans);
    ol_arena_destroy(a);
    ol_buf_free(&data);
    return rc ? 1 : 0;
}

int ol_cmd_part(int argc, char **argv)
{
    if (argc < 2) return ol_part_usage();
    if (strcmp(argv[1], "verify") == 0) return ol_part_cmd_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "dump") == 0) return ol_part_cmd_dump(argc - 1, argv + 1);
    if (strcmp(argv[1], "build") == 0) return ol_part_cmd_build(argc - 1, argv + 1);
    return ol_part_usage();
}
