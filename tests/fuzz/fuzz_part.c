/*
 * fuzz_part.c - the part reader over arbitrary bytes.
 *
 *   first byte odd:  the rest of the input is the part file, as is (header,
 *                    trailer, footer and block checks);
 *   first byte even: the rest is a granule's column streams and the part
 *                    tables of signal (first byte / 2) % 3 (0 traces, 1
 *                    metrics, 2 logs), each as [u16 LE length][bytes] in the
 *                    order of that signal's names below, wrapped by the real
 *                    builder so every CRC is right and the fuzzer reaches the
 *                    column decoders, the re-encoding of spans and the
 *                    rebuilding of log and metric payloads. The second byte
 *                    is the row count.
 *
 * Then the part is opened, verified, scanned and searched by trace id, and
 * its log / metric payloads are read and decoded: none of it may crash, leak
 * or read out of bounds, whatever the bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/util.h"
#include "store/col/part.h"
#include "store/col/records.h"

static const char *const OL_FZ_NAMES[] = {
    "trace_id", "span_id", "parent", "start", "duration", "name", "kind", "status_code", "status_message", "trace_state",
    "present", "flags", "resource", "scope", "dropped", "events", "links", "extra", "attr_keys", "attrs", "a:http.route",
    "r:http.route", NULL,
};
static const char *const OL_FZ_METRIC_NAMES[] = {"name", "type", "min_time", "max_time", "points", "resource", "scope", "metric", NULL};
static const char *const OL_FZ_LOG_NAMES[] = {"time", "observed", "severity", "trace_id", "resource", "scope", "record", NULL};
static const char *const OL_FZ_TABLES[] = {"resources", "scopes", "keys", "services", NULL};
static const char *const OL_FZ_RECORD_TABLES[] = {"resources", "scopes", NULL};

static char g_path[128];

static void fz_cleanup(void) { unlink(g_path); }

static int fz_span(void *ud, const ol_otlp_span_t *s)
{
    size_t *n = ud;
    *n += s->raw.len;
    return OL_OK;
}

typedef struct fz_payloads {
    ol_signal_t signal;
    ol_arena_t *a;
    size_t n;
} fz_payloads_t;

static int fz_payload(void *ud, ol_slice_t payload, uint64_t min_ns, uint64_t max_ns)
{
    fz_payloads_t *c = ud;
    ol_otlp_batch_t b;
    ol_err_t err = {0};
    if (ol_otlp_decode(c->signal, payload, c->a, &b, &err) == OL_OK) c->n += b.n_logs + b.n_metrics;
    ol_arena_reset(c->a);
    return c->n > 1000000 ? 1 : OL_OK;
}

static int fz_service(void *ud, ol_slice_t service, ol_slice_t name)
{
    *(size_t *)ud += service.len + name.len;
    return OL_OK;
}

static int fz_hit(void *ud, const uint8_t trace_id[16], uint64_t start_ns, uint64_t end_ns)
{
    *(size_t *)ud += trace_id[0] + (start_ns < end_ns);
    return OL_OK;
}

static int fz_brief(void *ud, size_t which, const ol_part_span_brief_t *b)
{
    *(size_t *)ud += which + b->name.len + b->service.len + (size_t)b->status_code;
    return OL_OK;
}

static void fz_read(void)
{
    ol_part_t *p = NULL;
    ol_err_t err = {0};
    if (ol_part_open(NULL, g_path, &p, &err) != OL_OK) return;
    ol_part_verify(p, &err);
    ol_arena_t *a = ol_arena_create(1 << 16, 64u << 20);
    size_t n = 0;
    ol_part_spans_scan(p, 0, UINT64_MAX, a, fz_span, &n, &err);
    ol_arena_reset(a);
    if (ol_part_info(p)->granules) ol_part_spans_trace(p, ol_part_granule(p, 0)->first_trace_id, a, fz_span, &n, &err);
    ol_arena_reset(a);
    ol_part_spans_services(p, fz_service, &n, &err);
    n += ol_part_spans_has_service(p, OL_SLICE_LIT("frontend"));
    ol_slice_t key = OL_SLICE_LIT("http.route"), val = OL_SLICE_LIT("/get-quote");
    ol_part_span_filter_t f = {.service = OL_SLICE_LIT("shipping"), .status = -1, .attr_keys = &key,
                               .attr_values = &val, .n_attrs = 1};
    for (uint32_t g = 0; g < ol_part_info(p)->granules && g < 4; g++) ol_part_spans_match(p, g, &f, fz_hit, &n, &err);
    f.service = OL_SLICE_NULL; /* any service: the rows of http.route from r:http.route or attr_keys */
    for (uint32_t g = 0; g < ol_part_info(p)->granules && g < 4; g++) ol_part_spans_match(p, g, &f, fz_hit, &n, &err);
    if (ol_part_info(p)->signal == OL_SIGNAL_TRACES && ol_part_info(p)->granules) {
        uint8_t ids[2][16];
        memcpy(ids[0], ol_part_granule(p, 0)->first_trace_id, 16);
        memcpy(ids[1], ol_part_granule(p, ol_part_info(p)->granules - 1)->last_trace_id, 16);
        if (memcmp(ids[0], ids[1], 16) > 0) memcpy(ids[1], ids[0], 16);
        ol_arena_reset(a);
        ol_part_spans_briefs(p, (const uint8_t(*)[16])ids, 2, a, fz_brief, &n, &err);
    }
    if (ol_part_info(p)->signal == OL_SIGNAL_TRACES && ol_part_info(p)->granules <= 4) {
        /* Merging a part with itself must survive any damage too. */
        char out[160];
        snprintf(out, sizeof out, "%s.merged", g_path);
        ol_part_t *in[2] = {p, p};
        ol_part_info_t info;
        unlink(out);
        ol_part_merge_spans(NULL, out, 1, 0, in, 2, &info, &err);
        unlink(out);
    }
    fz_payloads_t c = {ol_part_info(p)->signal, a, 0};
    ol_part_read_payloads(p, 0, UINT64_MAX, fz_payload, &c, &err);
    ol_arena_destroy(a);
    ol_part_close(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_path[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(g_path, sizeof g_path, "%s/olly-fuzz-part-%d.olp", base, (int)getpid());
        atexit(fz_cleanup);
        ol_log_set_level((ol_log_level_t)(OL_LOG_ERROR + 1));
    }
    if (size < 2) return 0;
    unlink(g_path);
    if (data[0] & 1) {
        FILE *f = fopen(g_path, "wb");
        if (!f) return 0;
        fwrite(data + 1, 1, size - 1, f);
        fclose(f);
        fz_read();
        return 0;
    }
    ol_signal_t sig = (ol_signal_t)((data[0] >> 1) % 3);
    const char *const *names = sig == OL_SIGNAL_TRACES ? OL_FZ_NAMES : sig == OL_SIGNAL_LOGS ? OL_FZ_LOG_NAMES : OL_FZ_METRIC_NAMES;
    const char *const *tables = sig == OL_SIGNAL_TRACES ? OL_FZ_TABLES : OL_FZ_RECORD_TABLES;
    ol_part_builder_t *b = ol_part_builder_new(sig, 1, 1);
    if (!b) return 0;
    ol_part_granule_info_t gi = {.rows = data[1], .min_time_ns = 0, .max_time_ns = UINT64_MAX};
    if (sig == OL_SIGNAL_TRACES) memset(gi.last_trace_id, 0xff, 16);
    ol_part_builder_granule(b, &gi);
    const uint8_t *p = data + 2, *end = data + size;
    size_t n_cols = 0, n_tables = 0;
    while (names[n_cols]) n_cols++;
    while (tables[n_tables]) n_tables++;
    size_t n_all = n_cols + n_tables;
    for (size_t i = 0; i < n_all; i++) {
        size_t len = 0;
        if (end - p >= 2) {
            len = (size_t)p[0] | (size_t)p[1] << 8;
            p += 2;
            if (len > (size_t)(end - p)) len = (size_t)(end - p);
        }
        ol_slice_t s = ol_slice(p, len);
        p += len;
        if (i < n_cols) {
            if (sig == OL_SIGNAL_TRACES && i == n_cols - 1 && len == 0) continue; /* the promoted column is optional */
            ol_part_builder_column(b, ol_slice_cstr(names[i]), s);
        } else {
            ol_part_builder_table(b, ol_slice_cstr(tables[i - n_cols]), s);
        }
    }
    ol_err_t err = {0};
    int rc = ol_part_builder_finish(b, NULL, g_path, 0, NULL, &err);
    ol_part_builder_free(b);
    if (rc == OL_OK) fz_read();
    return 0;
}
