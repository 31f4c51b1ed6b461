/*
 * chdb_bench.c - the ClickHouse side of Olly's storage benchmark.
 *
 * Loads current ClickHouse in-process through chDB (libchdb.so, dlopen'd),
 * creates the OpenTelemetry Collector ClickHouse exporter's traces schema in a
 * fresh on-disk session, and measures on the spans of one input file:
 *   1. ingest: every span converted (before the clock) into the exporter's
 *      row, RowBinary; then timed inserts, one per input request (or --batch
 *      N spans), as the exporter inserts one batch per export; also one bulk
 *      insert of everything into a second, identical database;
 *   2. bytes on disk after OPTIMIZE ... FINAL, from system.parts, per span;
 *   3. trace-by-id latency for --lookups random trace ids with the query the
 *      exporter documents (the trace-id lookup table bounds Timestamp);
 *   4. an attribute-filtered trace search (service + attribute value + time
 *      range, newest 20), --searches times.
 * See README.md for what each number means and the pinned versions.
 *
 * Input: repeated [u32 LE length][ExportTraceServiceRequest]. Decoding is
 * Olly's own ol_otlp_decode(); the row conversion is otel_row.c.
 *
 * Memory: the input file, then the RowBinary rows (1.4-2.2x the input).
 * Queries stream nothing large back.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chdb_api.h"
#include "codec/json.h"
#include "codec/otlp.h"
#include "codec/pb.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/util.h"
#include "otel_row.h"
#include "otel_schema.h"

#define CHB_MAX_RECORD (256u << 20)
#define CHB_SEARCH_LIMIT 20
#define CHB_DB "otel"
#define CHB_BULK_DB "otel_bulk"

/* How rows reach ClickHouse. A third way, the rows appended to the query text
 * ("INSERT ... FORMAT RowBinary\n<rows>" through chdb_query_n), is not offered:
 * chDB cut such inserts off mid-row (README.md, "Insert path"). */
typedef enum { INSERT_STREAM = 0, INSERT_FILE } insert_method_t;
static const char *const insert_method_names[] = {"stream", "file"};

typedef struct {
    const char *input;
    const char *lib;
    const char *keep;
    uint64_t batch; /* 0 = one insert per input request */
    uint64_t lookups;
    uint64_t searches;
    uint64_t seed;
    insert_method_t method;
    ol_chb_index_t indexes;
    bool bulk;
    bool json;
    bool dry_run; /* convert the input and stop: no chDB */
    const char *service, *attr_key, *attr_value; /* search overrides */
    const char *ids_out; /* write the lookup sample here: "<trace id hex> <spans>" lines */
} opts_t;

/* ---- counting tables ---- */

/* Distinct trace ids with their span counts (open addressing, 16-byte keys). */
typedef struct {
    uint8_t (*keys)[16];
    uint32_t *counts;
    size_t cap, n;
} trace_table_t;

static int trace_table_add(trace_table_t *t, const uint8_t *id)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1 << 16;
        uint8_t(*keys)[16] = calloc(ncap, 16);
        uint32_t *counts = calloc(ncap, sizeof *counts);
        if (!keys || !counts) {
            free(keys);
            free(counts);
            return OL_NOMEM;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->counts[i]) continue;
            size_t j = ol_hash64(t->keys[i], 16, 0) & (ncap - 1);
            while (counts[j]) j = (j + 1) & (ncap - 1);
            memcpy(keys[j], t->keys[i], 16);
            counts[j] = t->counts[i];
        }
        free(t->keys);
        free(t->counts);
        t->keys = keys;
        t->counts = counts;
        t->cap = ncap;
    }
    size_t j = ol_hash64(id, 16, 0) & (t->cap - 1);
    while (t->counts[j] && memcmp(t->keys[j], id, 16) != 0) j = (j + 1) & (t->cap - 1);
    if (!t->counts[j]) {
        memcpy(t->keys[j], id, 16);
        t->n++;
    }
    t->counts[j]++;
    return OL_OK;
}

/* Byte-string -> count (keys copied into one growing pool). */
typedef struct {
    uint64_t *offs; /* key offset in pool + 1; 0 = empty */
    uint32_t *lens;
    uint64_t *counts;
    size_t cap, n;
    ol_buf_t pool;
} str_table_t;

static ol_slice_t str_key(const str_table_t *t, size_t i)
{
    return ol_slice(t->pool.data + t->offs[i] - 1, t->lens[i]);
}

static int str_table_add(str_table_t *t, ol_slice_t key)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        uint64_t *offs = calloc(ncap, sizeof *offs), *counts = calloc(ncap, sizeof *counts);
        uint32_t *lens = calloc(ncap, sizeof *lens);
        if (!offs || !counts || !lens) {
            free(offs);
            free(counts);
            free(lens);
            return OL_NOMEM;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->offs[i]) continue;
            ol_slice_t k = str_key(t, i);
            size_t j = ol_hash64(k.ptr, k.len, 1) & (ncap - 1);
            while (offs[j]) j = (j + 1) & (ncap - 1);
            offs[j] = t->offs[i];
            lens[j] = t->lens[i];
            counts[j] = t->counts[i];
        }
        free(t->offs);
        free(t->lens);
        free(t->counts);
        t->offs = offs;
        t->lens = lens;
        t->counts = counts;
        t->cap = ncap;
    }
    size_t j = ol_hash64(key.ptr, key.len, 1) & (t->cap - 1);
    while (t->offs[j] && !ol_slice_eq(str_key(t, j), key)) j = (j + 1) & (t->cap - 1);
    if (!t->offs[j]) {
        if (key.len > UINT32_MAX) return OL_LIMIT;
        t->offs[j] = t->pool.len + 1;
        t->lens[j] = (uint32_t)key.len;
        ol_buf_append_slice(&t->pool, key);
        if (t->pool.err) return t->pool.err;
        t->n++;
    }
    t->counts[j]++;
    return OL_OK;
}

static void str_table_free(str_table_t *t)
{
    free(t->offs);
    free(t->lens);
    free(t->counts);
    ol_buf_free(&t->pool);
}

/* ---- the converted input ---- */

/* Attribute keys a search may filter on, in order of preference. */
static const char *const search_keys[] = {"http.route", "url.path", "http.target", "rpc.method", "db.system.name",
                                          "db.system", "messaging.destination.name"};

typedef struct {
    ol_buf_t rows;       /* every span's RowBinary row, in input order */
    uint64_t *row_end;   /* row i ends at row_end[i] */
    size_t n_rows, cap_rows;
    uint64_t *req_end;   /* input request i ends before row req_end[i] */
    size_t n_reqs, cap_reqs;
    uint64_t otlp_bytes; /* protobuf bytes of all requests */
    uint64_t invalid_spans;
    uint64_t min_ts, max_ts;
    trace_table_t traces;
    str_table_t services;    /* service -> spans */
    str_table_t attr_values; /* service \0 key \0 value -> spans */
} dataset_t;

typedef struct {
    dataset_t *d;
    ol_slice_t service;
    ol_buf_t key, value;
    int rc;
} attr_scan_t;

static int attr_scan_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    attr_scan_t *c = ud;
    bool wanted = false;
    for (size_t i = 0; i < OL_ARRAY_LEN(search_keys); i++)
        if (ol_slice_eq_cstr(key, search_keys[i])) wanted = true;
    if (!wanted) return OL_OK;
    ol_buf_reset(&c->value);
    ol_chb_go_as_string(any_value, &c->value);
    ol_buf_reset(&c->key);
    ol_buf_append_slice(&c->key, c->service);
    ol_buf_append_u8(&c->key, 0);
    ol_buf_append_slice(&c->key, key);
    ol_buf_append_u8(&c->key, 0);
    ol_buf_append_slice(&c->key, ol_buf_slice(&c->value));
    if (c->key.err || c->value.err) return c->rc = OL_NOMEM;
    return c->rc = str_table_add(&c->d->attr_values, ol_buf_slice(&c->key));
}

static int grow_u64(uint64_t **a, size_t *cap, size_t need)
{
    if (need <= *cap) return OL_OK;
    size_t ncap = *cap ? *cap * 2 : 4096;
    while (ncap < need) ncap *= 2;
    uint64_t *p = realloc(*a, ncap * sizeof *p);
    if (!p) return OL_NOMEM;
    *a = p;
    *cap = ncap;
    return OL_OK;
}

static int read_file(const char *path, uint8_t **data, size_t *len, ol_err_t *err)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        ol_err_set(err, "cannot open %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return OL_ERR;
    }
    *len = (size_t)st.st_size;
    *data = malloc(*len ? *len : 1);
    if (!*data) {
        close(fd);
        ol_err_set(err, "%s: cannot allocate %zu bytes", path, *len);
        return OL_NOMEM;
    }
    size_t got = 0;
    while (got < *len) {
        ssize_t n = read(fd, *data + got, *len - got);
        if (n <= 0) {
            ol_err_set(err, "read %s: %s", path, n < 0 ? strerror(errno) : "file shrank");
            close(fd);
            free(*data);
            return OL_ERR;
        }
        got += (size_t)n;
    }
    close(fd);
    return OL_OK;
}

/* Decodes every request of the input and converts its spans to rows. */
static int dataset_load(dataset_t *d, const char *path, ol_err_t *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = read_file(path, &data, &len, err);
    if (rc != OL_OK) return rc;
    ol_arena_t *arena = ol_arena_create(1 << 20, 0);
    ol_buf_t scratch;
    ol_buf_init(&scratch, OL_MEM_CODEC, 0);
    attr_scan_t scan = {d, OL_SLICE_NULL, {0}, {0}, OL_OK};
    ol_buf_init(&scan.key, OL_MEM_CODEC, 0);
    ol_buf_init(&scan.value, OL_MEM_CODEC, 0);
    if (!arena) rc = OL_NOMEM;
    size_t off = 0;
    while (rc == OL_OK && off < len) {
        if (len - off < 4) {
            ol_err_set(err, "%s: %zu stray bytes at offset %zu (want a 4-byte length)", path, len - off, off);
            rc = OL_CORRUPT;
            break;
        }
        uint32_t n = ol_load_le32(data + off);
        if (n > len - off - 4 || n > CHB_MAX_RECORD) {
            ol_err_set(err, "%s: record at offset %zu claims %u bytes, %zu remain (limit %u)", path, off, n,
                       len - off - 4, CHB_MAX_RECORD);
            rc = OL_CORRUPT;
            break;
        }
        ol_slice_t pb = ol_slice(data + off + 4, n);
        ol_otlp_batch_t batch;
        ol_err_t derr;
        ol_arena_reset(arena);
        rc = ol_otlp_decode(OL_SIGNAL_TRACES, pb, arena, &batch, &derr);
        if (rc != OL_OK) {
            ol_err_set(err, "%s: request #%zu at offset %zu: %s", path, d->n_reqs, off, derr.msg);
            break;
        }
        ol_chb_origin_row_t *orow = batch.n_origins ? ol_arena_alloc(arena, batch.n_origins * sizeof *orow) : NULL;
        if (batch.n_origins && !orow) rc = OL_NOMEM;
        for (size_t i = 0; rc == OL_OK && i < batch.n_origins; i++)
            rc = ol_chb_origin_row(&batch.origins[i], arena, &orow[i], err);
        for (size_t i = 0; rc == OL_OK && i < batch.n_spans; i++) {
            const ol_otlp_span_t *s = &batch.spans[i];
            if (!s->valid) {
                d->invalid_spans++;
                continue;
            }
            const ol_chb_origin_row_t *o = &orow[s->origin - batch.origins];
            rc = ol_chb_span_row(&d->rows, s, o, &scratch, err);
            if (rc == OL_OK) rc = grow_u64(&d->row_end, &d->cap_rows, d->n_rows + 1);
            if (rc != OL_OK) break;
            d->row_end[d->n_rows++] = d->rows.len;
            if (d->n_rows == 1 || s->start_ns < d->min_ts) d->min_ts = s->start_ns;
            if (d->n_rows == 1 || s->start_ns > d->max_ts) d->max_ts = s->start_ns;
            rc = trace_table_add(&d->traces, s->trace_id.ptr);
            if (rc == OL_OK) rc = str_table_add(&d->services, o->service_name);
            if (rc == OL_OK) {
                scan.service = o->service_name;
                scan.rc = OL_OK;
                ol_otlp_each_attribute(s->raw, 9, attr_scan_cb, &scan);
                rc = scan.rc;
            }
        }
        if (rc == OL_OK) rc = grow_u64(&d->req_end, &d->cap_reqs, d->n_reqs + 1);
        if (rc != OL_OK) {
            if (rc == OL_NOMEM) ol_err_set(err, "%s: out of memory at request #%zu", path, d->n_reqs);
            break;
        }
        d->req_end[d->n_reqs++] = d->n_rows;
        d->otlp_bytes += n;
        off += 4 + (size_t)n;
    }
    if (rc == OL_OK && d->rows.err) {
        ol_err_set(err, "out of memory holding %zu bytes of rows", d->rows.len);
        rc = OL_NOMEM;
    }
    if (rc == OL_OK && d->n_rows == 0) {
        ol_err_set(err, "%s holds no valid span", path);
        rc = OL_ERR;
    }
    ol_buf_free(&scan.key);
    ol_buf_free(&scan.value);
    ol_buf_free(&scratch);
    if (arena) ol_arena_destroy(arena);
    free(data);
    return rc;
}

static void dataset_free(dataset_t *d)
{
    ol_buf_free(&d->rows);
    free(d->row_end);
    free(d->req_end);
    free(d->traces.keys);
    free(d->traces.counts);
    str_table_free(&d->services);
    str_table_free(&d->attr_values);
}

static uint64_t row_start(const dataset_t *d, size_t row) { return row ? d->row_end[row - 1] : 0; }

/* ---- statistics ---- */

typedef struct {
    double p50, p99, max, mean;
} lat_t;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentiles of v (sorted in place), in the unit given. */
static lat_t latency(double *v, size_t n)
{
    lat_t l = {0, 0, 0, 0};
    if (!n) return l;
    qsort(v, n, sizeof *v, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += v[i];
    size_t r50 = (size_t)ceil(0.50 * (double)n), r99 = (size_t)ceil(0.99 * (double)n);
    l.p50 = v[(r50 ? r50 : 1) - 1];
    l.p99 = v[(r99 ? r99 : 1) - 1];
    l.max = v[n - 1];
    l.mean = sum / (double)n;
    return l;
}

/* CPU seconds of the whole process: Olly's code and every chDB thread. */
static double cpu_sec(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ---- chDB session ---- */

typedef struct {
    ol_chb_api_t api;
    chdb_connection *conn;
    char dir[4096];
    bool remove_dir;
} session_t;

/* Runs one statement. `show` bytes of it are quoted in an error report (the
 * SQL part of an INSERT with inline data). Result data is appended to out
 * when given; *rows gets the result's row count. */
static int chb_exec(session_t *s, const char *sql, size_t len, size_t show, const char *format, ol_buf_t *out,
                    uint64_t *rows)
{
    chdb_result *r = s->api.query_n(*s->conn, sql, len, format, strlen(format));
    if (!r) {
        fprintf(stderr, "chdb_bench: chDB returned no result for:\n  %.*s\n", (int)OL_MIN(show, 2000), sql);
        return OL_ERR;
    }
    const char *e = s->api.result_error(r);
    if (e) {
        fprintf(stderr, "chdb_bench: ClickHouse error\n  query: %.*s%s\n  error: %s\n", (int)OL_MIN(show, 2000), sql,
                show > 2000 ? " ..." : "", e);
        s->api.destroy_query_result(r);
        return OL_ERR;
    }
    if (out) {
        char *buf = s->api.result_buffer(r);
        size_t n = s->api.result_length(r);
        if (buf && n) ol_buf_append(out, buf, n);
    }
    if (rows) *rows = s->api.result_rows_read(r);
    s->api.destroy_query_result(r);
    return out && out->err ? out->err : OL_OK;
}

static int chb_sql(session_t *s, const char *sql, const char *format, ol_buf_t *out)
{
    size_t n = strlen(sql);
    return chb_exec(s, sql, n, n, format, out, NULL);
}

/* One INSERT of rows [first, last) into db.otel_traces. */
static int chb_insert(session_t *s, const dataset_t *d, const char *db, size_t first, size_t last,
                      insert_method_t method, const char *file_path)
{
    ol_slice_t data = ol_slice(d->rows.data + row_start(d, first), row_start(d, last) - row_start(d, first));
    char sql[8192];
    int n;
    if (method == INSERT_STREAM) {
        n = snprintf(sql, sizeof sql, "INSERT INTO `%s`.`otel_traces` (" OL_CHB_INSERT_COLUMNS ")", db);
        chdb_insert_stream st = s->api.stream_insert_n(*s->conn, sql, (size_t)n, "RowBinary", 9);
        const char *e = st ? s->api.stream_insert_error(st) : "no stream handle";
        int rc = OL_OK;
        if (!e && s->api.stream_append(st, data.ptr, data.len) != CHDBSuccess) {
            e = s->api.stream_insert_error(st);
            if (!e) e = "chdb_stream_append failed";
        }
        if (!e) {
            chdb_result *r = s->api.stream_done(st);
            const char *re = r ? s->api.result_error(r) : "chdb_stream_done returned no result";
            if (re) {
                fprintf(stderr, "chdb_bench: ClickHouse error\n  query: %s FORMAT RowBinary (streamed %zu bytes)\n"
                                "  error: %s\n", sql, data.len, re);
                rc = OL_ERR;
            }
            if (r) s->api.destroy_query_result(r);
        } else {
            fprintf(stderr, "chdb_bench: ClickHouse error\n  query: %s FORMAT RowBinary\n  error: %s\n", sql, e);
            rc = OL_ERR;
        }
        if (st) s->api.destroy_insert_stream(st);
        return rc;
    }
    n = snprintf(sql, sizeof sql,
                 "INSERT INTO `%s`.`otel_traces` (" OL_CHB_INSERT_COLUMNS ") SELECT * FROM file('%s', 'RowBinary', '"
                 OL_CHB_INSERT_STRUCTURE "')",
                 db, file_path);
    if (n < 0 || (size_t)n >= sizeof sql) return OL_LIMIT;
    return chb_exec(s, sql, (size_t)n, (size_t)n, "CSV", NULL, NULL);
}

static int file_prepare(const char *path, const dataset_t *d, size_t first, size_t last)
{
    FILE *f = fopen(path, "wb");
    size_t n = row_start(d, last) - row_start(d, first);
    if (!f || fwrite(d->rows.data + row_start(d, first), 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "chdb_bench: cannot write %s: %s\n", path, strerror(errno));
        return OL_ERR;
    }
    return OL_OK;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    OL_UNUSED(st);
    OL_UNUSED(flag);
    OL_UNUSED(ftw);
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static int session_dir(session_t *s, const char *keep, ol_err_t *err)
{
    if (keep) {
        if (mkdir(keep, 0755) != 0 && errno != EEXIST) {
            ol_err_set(err, "cannot create %s: %s", keep, strerror(errno));
            return OL_ERR;
        }
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/metadata", keep);
        if (access(probe, F_OK) == 0) {
            ol_err_set(err, "%s already holds a ClickHouse session; give an empty or new directory", keep);
            return OL_ERR;
        }
        snprintf(s->dir, sizeof s->dir, "%s", keep);
        s->remove_dir = false;
        return OL_OK;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/olly-chdb-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir)) {
        ol_err_set(err, "mkdtemp %s: %s", s->dir, strerror(errno));
        return OL_ERR;
    }
    s->remove_dir = true;
    return OL_OK;
}

static int create_schema(session_t *s, const char *db, ol_chb_index_t ix)
{
    char sql[256];
    ol_buf_t b;
    int rc;
    snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS `%s`", db);
    rc = chb_sql(s, sql, "CSV", NULL);
    ol_buf_init(&b, OL_MEM_CODEC, 0);
    for (int i = 0; rc == OL_OK && i < OL_CHB_SCHEMA_STATEMENTS; i++) {
        ol_buf_reset(&b);
        ol_chb_schema_statement(&b, i, db, ix);
        ol_buf_append_u8(&b, 0);
        rc = b.err ? b.err : chb_sql(s, (const char *)b.data, "CSV", NULL);
    }
    ol_buf_free(&b);
    return rc;
}

/* ---- measurements ---- */

typedef struct {
    uint64_t parts, rows, bytes_on_disk, compressed, uncompressed, index_bytes;
} table_size_t;

typedef struct {
    char clickhouse_version[64];
    const char *chdb_version;
    size_t n_batches;
    double insert_sec, insert_cpu_sec; /* wall; user+system of the whole process */
    lat_t batch_ms;
    double bulk_sec, bulk_cpu_sec;
    double optimize_sec;
    table_size_t spans_table, ts_table;
    ol_buf_t columns; /* TSV column \t compressed \t uncompressed, biggest first */
    lat_t noop_ms; /* SELECT 1: the per-query floor of the chDB call */
    lat_t lookup_ms;
    uint64_t lookups, lookup_wrong;
    ol_buf_t search_service, search_key, search_value;
    uint64_t search_matches; /* spans matching service + attribute */
    lat_t search_ms, search_hint_ms;
    uint64_t search_rows, search_hint_rows;
} results_t;

static int run_inserts(session_t *s, const dataset_t *d, const opts_t *o, results_t *res)
{
    /* Batches as row ranges. */
    size_t n_batches = o->batch ? (d->n_rows + o->batch - 1) / o->batch : d->n_reqs;
    uint64_t *bend = malloc(n_batches * sizeof *bend);
    double *ms = malloc(n_batches * sizeof *ms);
    char path[4200];
    int rc = OL_OK;
    if (!bend || !ms) rc = OL_NOMEM;
    for (size_t i = 0; rc == OL_OK && i < n_batches; i++)
        bend[i] = o->batch ? OL_MIN((i + 1) * o->batch, d->n_rows) : d->req_end[i];

    /* Batches of the file method are written before the clock. */
    for (size_t i = 0; rc == OL_OK && o->method == INSERT_FILE && i < n_batches; i++) {
        snprintf(path, sizeof path, "%s/batch-%zu.rowbinary", s->dir, i);
        rc = file_prepare(path, d, i ? bend[i - 1] : 0, bend[i]);
    }
    size_t batches_done = 0;
    uint64_t t_all = 0;
    double cpu0 = cpu_sec();
    for (size_t i = 0; rc == OL_OK && i < n_batches; i++) {
        size_t first = i ? bend[i - 1] : 0;
        if (first == bend[i]) continue; /* a request with no valid span inserts nothing */
        snprintf(path, sizeof path, "%s/batch-%zu.rowbinary", s->dir, i);
        uint64_t t0 = ol_mono_ns();
        if (rc == OL_OK) rc = chb_insert(s, d, CHB_DB, first, bend[i], o->method, path);
        uint64_t dt = ol_mono_ns() - t0;
        if (rc != OL_OK)
            fprintf(stderr, "chdb_bench: failed insert was batch %zu of %zu: rows %zu..%llu, %llu bytes\n", i,
                    n_batches, first, (unsigned long long)bend[i] - 1,
                    (unsigned long long)(row_start(d, bend[i]) - row_start(d, first)));
        t_all += dt;
        ms[batches_done++] = (double)dt / 1e6;
        if (o->method == INSERT_FILE) unlink(path);
        if (!o->json && (i + 1) % 200 == 0)
            fprintf(stderr, "  inserted %zu/%zu batches\n", i + 1, n_batches);
    }
    res->n_batches = batches_done;
    res->insert_sec = (double)t_all / 1e9;
    res->insert_cpu_sec = cpu_sec() - cpu0;
    res->batch_ms = latency(ms, batches_done);
    free(bend);
    free(ms);
    if (rc == OL_NOMEM) fprintf(stderr, "chdb_bench: out of memory preparing inserts\n");
    return rc;
}

static int run_bulk(session_t *s, const dataset_t *d, const opts_t *o, results_t *res)
{
    char path[4200];
    int rc = create_schema(s, CHB_BULK_DB, o->indexes);
    snprintf(path, sizeof path, "%s/bulk.rowbinary", s->dir);
    if (rc == OL_OK && o->method == INSERT_FILE) rc = file_prepare(path, d, 0, d->n_rows);
    double cpu0 = cpu_sec();
    uint64_t t0 = ol_mono_ns();
    if (rc == OL_OK) rc = chb_insert(s, d, CHB_BULK_DB, 0, d->n_rows, o->method, path);
    res->bulk_sec = (double)(ol_mono_ns() - t0) / 1e9;
    res->bulk_cpu_sec = cpu_sec() - cpu0;
    if (o->method == INSERT_FILE) unlink(path);
    if (rc == OL_OK) rc = chb_sql(s, "DROP DATABASE `" CHB_BULK_DB "` SYNC", "CSV", NULL);
    return rc;
}

static int measure_storage(session_t *s, results_t *res)
{
    ol_buf_t out;
    ol_buf_init(&out, OL_MEM_CODEC, 0);
    uint64_t t0 = ol_mono_ns();
    int rc = chb_sql(s, "OPTIMIZE TABLE `" CHB_DB "`.`otel_traces` FINAL", "CSV", NULL);
    if (rc == OL_OK) rc = chb_sql(s, "OPTIMIZE TABLE `" CHB_DB "`.`otel_traces_trace_id_ts` FINAL", "CSV", NULL);
    res->optimize_sec = (double)(ol_mono_ns() - t0) / 1e9;
    if (rc == OL_OK)
        rc = chb_sql(s,
                     "SELECT table, count(), sum(rows), sum(bytes_on_disk), sum(data_compressed_bytes), "
                     "sum(data_uncompressed_bytes), sum(secondary_indices_compressed_bytes + primary_key_size + marks_bytes) "
                     "FROM system.parts WHERE database = '" CHB_DB "' AND active GROUP BY table ORDER BY table",
                     "TSV", &out);
    if (rc == OL_OK) {
        ol_buf_append_u8(&out, 0);
        char *line = (char *)out.data, *next;
        for (; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next) *next++ = 0;
            char name[128];
            table_size_t t;
            unsigned long long v[6];
            if (sscanf(line, "%127s %llu %llu %llu %llu %llu %llu", name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 7)
                continue;
            t = (table_size_t){v[0], v[1], v[2], v[3], v[4], v[5]};
            if (!strcmp(name, "otel_traces")) res->spans_table = t;
            else if (!strcmp(name, "otel_traces_trace_id_ts")) res->ts_table = t;
        }
    }
    if (rc == OL_OK)
        rc = chb_sql(s,
                     "SELECT column, sum(column_data_compressed_bytes) AS c, sum(column_data_uncompressed_bytes) "
                     "FROM system.parts_columns WHERE database = '" CHB_DB "' AND table = 'otel_traces' AND active "
                     "GROUP BY column ORDER BY c DESC",
                     "TSV", &res->columns);
    ol_buf_free(&out);
    return rc;
}

static void sql_quote(ol_buf_t *b, ol_slice_t s)
{
    ol_buf_append_u8(b, '\'');
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if (c == '\'' || c == '\\') ol_buf_append_u8(b, '\\');
        ol_buf_append_u8(b, c);
    }
    ol_buf_append_u8(b, '\'');
}

static uint64_t rng_state;
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void trace_query(ol_buf_t *b, const uint8_t *id)
{
    char hex[33];
    ol_hex_encode(hex, id, 16);
    hex[32] = 0;
    ol_buf_reset(b);
    ol_buf_printf(b,
                  "WITH '%s' AS trace_id,\n"
                  " (SELECT min(Start) FROM `" CHB_DB "`.`otel_traces_trace_id_ts` WHERE TraceId = trace_id) AS start,\n"
                  " (SELECT max(End) + 1 FROM `" CHB_DB "`.`otel_traces_trace_id_ts` WHERE TraceId = trace_id) AS end\n"
                  "SELECT Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,\n"
                  " ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage,\n"
                  " Events.Timestamp, Events.Name, Events.Attributes, Links.TraceId, Links.SpanId, Links.TraceState,\n"
                  " Links.Attributes\n"
                  "FROM `" CHB_DB "`.`otel_traces`\n"
                  "WHERE TraceId = trace_id AND Timestamp >= start AND Timestamp <= end",
                  hex);
}

static int run_noop(session_t *s, results_t *res)
{
    double ms[20];
    int rc = OL_OK;
    for (size_t i = 0; rc == OL_OK && i < OL_ARRAY_LEN(ms); i++) {
        uint64_t t0 = ol_mono_ns();
        rc = chb_exec(s, "SELECT 1", 8, 8, "RowBinary", NULL, NULL);
        ms[i] = (double)(ol_mono_ns() - t0) / 1e6;
    }
    res->noop_ms = latency(ms, rc == OL_OK ? OL_ARRAY_LEN(ms) : 0);
    return rc;
}

/* The lookup sample: min(--lookups, traces) distinct trace-table slots in
 * idx[0..k), drawn from --seed (the first draws of rng_next). idx is malloc'd. */
static int pick_lookups(const dataset_t *d, const opts_t *o, size_t **idx_out, size_t *k_out)
{
    size_t n = 0, k = (size_t)OL_MIN(o->lookups, d->traces.n);
    size_t *idx = malloc((d->traces.n ? d->traces.n : 1) * sizeof *idx);
    if (!idx) return OL_NOMEM;
    for (size_t i = 0; i < d->traces.cap; i++)
        if (d->traces.counts[i]) idx[n++] = i;
    for (size_t i = 0; i < k; i++) { /* partial Fisher-Yates */
        size_t j = i + (size_t)(rng_next() % (n - i)), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    *idx_out = idx;
    *k_out = k;
    return OL_OK;
}

/* --ids-out: the sample as "<trace id hex> <spans>" lines, so another store
 * (Olly, in bench/run.sh) looks up exactly the same traces. */
static int write_ids(const char *path, const dataset_t *d, const size_t *idx, size_t k, ol_err_t *err)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        ol_err_set(err, "cannot create %s: %s", path, strerror(errno));
        return OL_ERR;
    }
    for (size_t i = 0; i < k; i++) {
        char hex[33];
        ol_hex_encode(hex, d->traces.keys[idx[i]], 16);
        hex[32] = 0;
        fprintf(f, "%s %u\n", hex, d->traces.counts[idx[i]]);
    }
    if (fclose(f) != 0) {
        ol_err_set(err, "write %s: %s", path, strerror(errno));
        return OL_ERR;
    }
    return OL_OK;
}

static int run_lookups(session_t *s, const dataset_t *d, const opts_t *o, results_t *res)
{
    size_t k = 0, *idx = NULL;
    int rc = pick_lookups(d, o, &idx, &k);
    double *ms = malloc((k ? k : 1) * sizeof *ms);
    ol_buf_t q;
    ol_err_t err;
    ol_buf_init(&q, OL_MEM_QUERY, 0);
    if (!ms) rc = OL_NOMEM;
    if (rc == OL_OK && o->ids_out && write_ids(o->ids_out, d, idx, k, &err) != OL_OK) {
        fprintf(stderr, "chdb_bench: %s\n", err.msg);
        rc = OL_ERR;
    }
    if (rc == OL_OK && k) { /* one unmeasured lookup to load marks and indexes */
        trace_query(&q, d->traces.keys[idx[k - 1]]);
        rc = q.err ? q.err : chb_exec(s, (const char *)q.data, q.len, q.len, "RowBinary", NULL, NULL);
    }
    for (size_t i = 0; rc == OL_OK && i < k; i++) {
        uint64_t rows = 0;
        trace_query(&q, d->traces.keys[idx[i]]);
        if (q.err) {
            rc = q.err;
            break;
        }
        uint64_t t0 = ol_mono_ns();
        rc = chb_exec(s, (const char *)q.data, q.len, q.len, "RowBinary", NULL, &rows);
        ms[i] = (double)(ol_mono_ns() - t0) / 1e6;
        if (rc == OL_OK && rows != d->traces.counts[idx[i]]) {
            if (res->lookup_wrong++ < 5) {
                char hex[33];
                ol_hex_encode(hex, d->traces.keys[idx[i]], 16);
                hex[32] = 0;
                fprintf(stderr, "chdb_bench: trace %s: %llu spans returned, %u inserted\n", hex,
                        (unsigned long long)rows, d->traces.counts[idx[i]]);
            }
        }
    }
    res->lookups = k;
    res->lookup_ms = latency(ms, rc == OL_OK ? k : 0);
    ol_buf_free(&q);
    free(idx);
    free(ms);
    return rc;
}

/* Preference rank of the key inside an attr_values entry (service \0 key \0
 * value): its index in search_keys, or 0/none when `only` names the key. */
static size_t attr_rank(ol_slice_t entry, const char *only)
{
    const uint8_t *z = memchr(entry.ptr, 0, entry.len);
    if (!z) return OL_ARRAY_LEN(search_keys);
    const uint8_t *key = z + 1, *z2 = memchr(key, 0, (size_t)(entry.ptr + entry.len - key));
    if (!z2) return OL_ARRAY_LEN(search_keys);
    ol_slice_t ks = ol_slice(key, (size_t)(z2 - key));
    if (only) return ol_slice_eq_cstr(ks, only) ? 0 : OL_ARRAY_LEN(search_keys);
    for (size_t r = 0; r < OL_ARRAY_LEN(search_keys); r++)
        if (ol_slice_eq_cstr(ks, search_keys[r])) return r;
    return OL_ARRAY_LEN(search_keys);
}

/* The search parameters: the most common value of the first wanted attribute
 * key present in the mid-size service (median by span count), unless given. */
static int choose_search(const dataset_t *d, const opts_t *o, results_t *res, ol_err_t *err)
{
    ol_slice_t svc = OL_SLICE_NULL;
    if (o->service) {
        svc = ol_slice_cstr(o->service);
    } else {
        size_t n = 0, *order = malloc((d->services.n ? d->services.n : 1) * sizeof *order);
        if (!order) return OL_NOMEM;
        for (size_t i = 0; i < d->services.cap; i++)
            if (d->services.offs[i]) order[n++] = i;
        for (size_t i = 1; i < n; i++) /* by span count, then name: insertion sort, few services */
            for (size_t j = i; j > 0; j--) {
                size_t a = order[j - 1], b = order[j];
                ol_slice_t ka = str_key(&d->services, a), kb = str_key(&d->services, b);
                int c = d->services.counts[a] != d->services.counts[b]
                            ? (d->services.counts[a] < d->services.counts[b] ? 1 : -1)
                            : memcmp(ka.ptr, kb.ptr, OL_MIN(ka.len, kb.len));
                if (c <= 0) break;
                order[j - 1] = b;
                order[j] = a;
            }
        /* The key: the most preferred one any span carries (or --attr-key).
         * The service: the median one by span count that carries it, looking
         * outwards from the median. */
        size_t want = OL_ARRAY_LEN(search_keys);
        for (size_t i = 0; i < d->attr_values.cap && !o->attr_key; i++)
            if (d->attr_values.offs[i]) want = OL_MIN(want, attr_rank(str_key(&d->attr_values, i), NULL));
        for (long step = 0; step < 2 * (long)n && !svc.ptr; step++) {
            long pick = (long)n / 2 + (step % 2 ? (step + 1) / 2 : -(step / 2));
            if (pick < 0 || pick >= (long)n) continue;
            ol_slice_t cand = str_key(&d->services, order[pick]);
            for (size_t i = 0; i < d->attr_values.cap; i++) {
                if (!d->attr_values.offs[i]) continue;
                ol_slice_t k = str_key(&d->attr_values, i);
                if (k.len > cand.len && !memcmp(k.ptr, cand.ptr, cand.len) && k.ptr[cand.len] == 0 &&
                    attr_rank(k, o->attr_key) == (o->attr_key ? 0 : want)) {
                    svc = cand;
                    break;
                }
            }
        }
        free(order);
    }
    ol_buf_append_slice(&res->search_service, svc);
    /* Best (key, value) of that service. */
    size_t best = SIZE_MAX, best_key = OL_ARRAY_LEN(search_keys);
    for (size_t i = 0; i < d->attr_values.cap; i++) {
        if (!d->attr_values.offs[i]) continue;
        ol_slice_t k = str_key(&d->attr_values, i);
        if (k.len <= svc.len || memcmp(k.ptr, svc.ptr, svc.len) != 0 || k.ptr[svc.len] != 0) continue;
        const uint8_t *key = k.ptr + svc.len + 1, *z = memchr(key, 0, k.len - svc.len - 1);
        if (!z) continue;
        ol_slice_t ks = ol_slice(key, (size_t)(z - key)), vs = ol_slice(z + 1, k.len - svc.len - 1 - ks.len - 1);
        size_t rank = OL_ARRAY_LEN(search_keys);
        for (size_t r = 0; r < OL_ARRAY_LEN(search_keys); r++)
            if (ol_slice_eq_cstr(ks, search_keys[r])) rank = r;
        if (o->attr_key) rank = ol_slice_eq_cstr(ks, o->attr_key) ? 0 : OL_ARRAY_LEN(search_keys);
        if (o->attr_value && !ol_slice_eq_cstr(vs, o->attr_value)) continue;
        if (rank < best_key || (rank == best_key && best != SIZE_MAX && d->attr_values.counts[i] > d->attr_values.counts[best])) {
            best = i;
            best_key = rank;
        }
    }
    if (best == SIZE_MAX) {
        if (o->attr_key && o->attr_value) { /* not among the scanned keys: search anyway */
            ol_buf_append_cstr(&res->search_key, o->attr_key);
            ol_buf_append_cstr(&res->search_value, o->attr_value);
            return OL_OK;
        }
        ol_err_set(err, "no span of service '%.*s' carries any of the search attributes (http.route, url.path, ...); "
                        "give --service/--attr-key/--attr-value", (int)svc.len, svc.ptr ? (const char *)svc.ptr : "");
        return OL_ERR;
    }
    ol_slice_t k = str_key(&d->attr_values, best);
    const uint8_t *key = k.ptr + svc.len + 1, *z = memchr(key, 0, k.len - svc.len - 1);
    ol_buf_append(&res->search_key, key, (size_t)(z - key));
    ol_buf_append(&res->search_value, z + 1, (size_t)(k.ptr + k.len - (z + 1)));
    res->search_matches = d->attr_values.counts[best];
    return OL_OK;
}

static void search_query(ol_buf_t *b, const dataset_t *d, const results_t *res, ol_chb_index_t ix, bool hint)
{
    ol_buf_reset(b);
    ol_buf_append_cstr(b, "SELECT TraceId, SpanId, SpanName, Timestamp, Duration\nFROM `" CHB_DB "`.`otel_traces`\n"
                          "WHERE ServiceName = ");
    sql_quote(b, ol_buf_slice(&res->search_service));
    ol_buf_append_cstr(b, " AND SpanAttributes[");
    sql_quote(b, ol_buf_slice(&res->search_key));
    ol_buf_append_cstr(b, "] = ");
    sql_quote(b, ol_buf_slice(&res->search_value));
    if (hint && ix == OL_CHB_INDEX_TEXT) {
        ol_buf_t item;
        ol_buf_init(&item, OL_MEM_QUERY, 0);
        ol_buf_append_slice(&item, ol_buf_slice(&res->search_key));
        ol_buf_append_u8(&item, '=');
        ol_buf_append_slice(&item, ol_buf_slice(&res->search_value));
        ol_buf_append_cstr(b, " AND has(SpanAttributeItems, ");
        sql_quote(b, ol_buf_slice(&item));
        ol_buf_append_u8(b, ')');
        ol_buf_free(&item);
    } else if (hint) {
        ol_buf_append_cstr(b, " AND has(mapValues(SpanAttributes), ");
        sql_quote(b, ol_buf_slice(&res->search_value));
        ol_buf_append_u8(b, ')');
    }
    ol_buf_printf(b,
                  "\n  AND Timestamp BETWEEN fromUnixTimestamp64Nano(toInt64(%llu)) AND fromUnixTimestamp64Nano(toInt64(%llu))\n"
                  "ORDER BY Timestamp DESC LIMIT %d",
                  (unsigned long long)d->min_ts, (unsigned long long)d->max_ts, CHB_SEARCH_LIMIT);
}

static int run_search_one(session_t *s, const dataset_t *d, const opts_t *o, const results_t *res, bool hint,
                          lat_t *lat, uint64_t *rows_out)
{
    ol_buf_t q;
    double *ms = malloc((o->searches ? o->searches : 1) * sizeof *ms);
    int rc = ms ? OL_OK : OL_NOMEM;
    ol_buf_init(&q, OL_MEM_QUERY, 0);
    search_query(&q, d, res, o->indexes, hint);
    if (q.err) rc = q.err;
    if (rc == OL_OK) rc = chb_exec(s, (const char *)q.data, q.len, q.len, "RowBinary", NULL, rows_out); /* warm-up */
    for (uint64_t i = 0; rc == OL_OK && i < o->searches; i++) {
        uint64_t t0 = ol_mono_ns();
        rc = chb_exec(s, (const char *)q.data, q.len, q.len, "RowBinary", NULL, rows_out);
        ms[i] = (double)(ol_mono_ns() - t0) / 1e6;
    }
    *lat = latency(ms, rc == OL_OK ? o->searches : 0);
    free(ms);
    ol_buf_free(&q);
    return rc;
}

/* ---- output ---- */

static double per_span(uint64_t bytes, uint64_t spans) { return spans ? (double)bytes / (double)spans : 0; }
static double rate(uint64_t n, double sec) { return sec > 0 ? (double)n / sec : 0; }
static double per_span_us(double sec, uint64_t spans) { return spans ? sec * 1e6 / (double)spans : 0; }

static void print_table(FILE *f, const dataset_t *d, const opts_t *o, const results_t *r)
{
    uint64_t n = d->n_rows;
    fprintf(f, "\nClickHouse %s (chDB %s), exporter otel_traces schema, %s skip indexes, insert via %s\n",
            r->clickhouse_version, r->chdb_version, ol_chb_index_name(o->indexes), insert_method_names[o->method]);
    fprintf(f, "input  %s: %zu requests, %llu spans, %zu traces, %llu invalid spans skipped\n", o->input, d->n_reqs,
            (unsigned long long)n, d->traces.n, (unsigned long long)d->invalid_spans);
    fprintf(f, "       OTLP protobuf %.1f B/span, RowBinary %.1f B/span\n", per_span(d->otlp_bytes, n),
            per_span(d->rows.len, n));
    fprintf(f, "\n%-34s %14s\n", "measure", "value");
    fprintf(f, "%-34s %14.0f  (%zu inserts, %.2f s, %.1f us CPU/span)\n", "ingest, batched (spans/s)",
            rate(n, r->insert_sec), r->n_batches, r->insert_sec, per_span_us(r->insert_cpu_sec, n));
    fprintf(f, "%-34s %14.2f / %.2f / %.2f  (p50/p99/max)\n", "  insert latency (ms)", r->batch_ms.p50,
            r->batch_ms.p99, r->batch_ms.max);
    if (o->bulk)
        fprintf(f, "%-34s %14.0f  (%.2f s, %.1f us CPU/span)\n", "ingest, one bulk insert (spans/s)",
                rate(n, r->bulk_sec), r->bulk_sec, per_span_us(r->bulk_cpu_sec, n));
    fprintf(f, "%-34s %14.2f\n", "OPTIMIZE FINAL (s)", r->optimize_sec);
    fprintf(f, "%-34s %14.1f  (%llu B, %llu parts, %llu rows)\n", "otel_traces bytes on disk / span",
            per_span(r->spans_table.bytes_on_disk, n), (unsigned long long)r->spans_table.bytes_on_disk,
            (unsigned long long)r->spans_table.parts, (unsigned long long)r->spans_table.rows);
    fprintf(f, "%-34s %14.1f  (uncompressed %.1f, indexes+marks %.1f)\n", "  data compressed / span",
            per_span(r->spans_table.compressed, n), per_span(r->spans_table.uncompressed, n),
            per_span(r->spans_table.index_bytes, n));
    fprintf(f, "%-34s %14.1f  (%llu B, %llu rows)\n", "trace_id_ts bytes on disk / span",
            per_span(r->ts_table.bytes_on_disk, n), (unsigned long long)r->ts_table.bytes_on_disk,
            (unsigned long long)r->ts_table.rows);
    fprintf(f, "%-34s %14.1f\n", "total bytes on disk / span",
            per_span(r->spans_table.bytes_on_disk + r->ts_table.bytes_on_disk, n));
    fprintf(f, "%-34s %14.2f / %.2f / %.2f  (p50/p99/max)\n", "SELECT 1, the per-query floor (ms)",
            r->noop_ms.p50, r->noop_ms.p99, r->noop_ms.max);
    fprintf(f, "%-34s %14.2f / %.2f / %.2f  (p50/p99/max, %llu lookups, %llu wrong)\n", "trace by id (ms)",
            r->lookup_ms.p50, r->lookup_ms.p99, r->lookup_ms.max, (unsigned long long)r->lookups,
            (unsigned long long)r->lookup_wrong);
    fprintf(f, "%-34s %14.2f / %.2f / %.2f  (p50/p99/max, %llu runs, %llu rows)\n", "search (ms)", r->search_ms.p50,
            r->search_ms.p99, r->search_ms.max, (unsigned long long)o->searches, (unsigned long long)r->search_rows);
    fprintf(f, "%-34s %14.2f / %.2f / %.2f  (p50/p99/max, %llu rows)\n", "search with index hint (ms)",
            r->search_hint_ms.p50, r->search_hint_ms.p99, r->search_hint_ms.max,
            (unsigned long long)r->search_hint_rows);
    fprintf(f, "\nsearch parameters (run the same on Olly): service='%.*s' %.*s='%.*s' time=[%llu, %llu] ns, "
               "newest %d; %llu spans match\n",
            (int)r->search_service.len, (const char *)r->search_service.data, (int)r->search_key.len,
            (const char *)r->search_key.data, (int)r->search_value.len, (const char *)r->search_value.data,
            (unsigned long long)d->min_ts, (unsigned long long)d->max_ts, CHB_SEARCH_LIMIT,
            (unsigned long long)r->search_matches);
    fprintf(f, "\notel_traces columns (compressed bytes / span, largest first):\n");
    const char *p = (const char *)r->columns.data, *end = p + r->columns.len;
    int shown = 0;
    while (p && p < end && shown < 12) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        char name[128];
        unsigned long long c = 0, u = 0;
        if (sscanf(p, "%127s %llu %llu", name, &c, &u) == 3 && c > 0) {
            fprintf(f, "  %-30s %10.1f  (uncompressed %.1f)\n", name, per_span(c, n), per_span(u, n));
            shown++;
        }
        p = nl ? nl + 1 : end;
    }
    if (!shown) fprintf(f, "  (none: a compact part keeps all columns in one file)\n");
}

static void json_lat(ol_buf_t *b, const char *name, const lat_t *l)
{
    ol_buf_printf(b, "\"%s\":{\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f}", name, l->p50, l->p99,
                  l->max, l->mean);
}

static void json_table(ol_buf_t *b, const char *name, const table_size_t *t, uint64_t spans)
{
    ol_buf_printf(b,
                  "\"%s\":{\"parts\":%llu,\"rows\":%llu,\"bytes_on_disk\":%llu,\"data_compressed_bytes\":%llu,"
                  "\"data_uncompressed_bytes\":%llu,\"index_and_marks_bytes\":%llu,\"bytes_on_disk_per_span\":%.2f}",
                  name, (unsigned long long)t->parts, (unsigned long long)t->rows, (unsigned long long)t->bytes_on_disk,
                  (unsigned long long)t->compressed, (unsigned long long)t->uncompressed,
                  (unsigned long long)t->index_bytes, per_span(t->bytes_on_disk, spans));
}

static void json_input(ol_buf_t *b, const dataset_t *d, const opts_t *o)
{
    ol_buf_append_cstr(b, "\"input\":{\"file\":");
    ol_json_write_cstr(b, o->input);
    ol_buf_printf(b,
                  ",\"requests\":%zu,\"spans\":%llu,\"traces\":%zu,\"invalid_spans\":%llu,\"otlp_bytes\":%llu,"
                  "\"rowbinary_bytes\":%zu,\"min_timestamp_ns\":%llu,\"max_timestamp_ns\":%llu}",
                  d->n_reqs, (unsigned long long)d->n_rows, d->traces.n, (unsigned long long)d->invalid_spans,
                  (unsigned long long)d->otlp_bytes, d->rows.len, (unsigned long long)d->min_ts,
                  (unsigned long long)d->max_ts);
}

/* The search's parameters (without its figures): "search":{...  no closing brace. */
static void json_search_params(ol_buf_t *b, const dataset_t *d, const opts_t *o, const results_t *r)
{
    ol_buf_append_cstr(b, "\"search\":{\"service\":");
    ol_json_write_string(b, ol_buf_slice(&r->search_service));
    ol_buf_append_cstr(b, ",\"attribute_key\":");
    ol_json_write_string(b, ol_buf_slice(&r->search_key));
    ol_buf_append_cstr(b, ",\"attribute_value\":");
    ol_json_write_string(b, ol_buf_slice(&r->search_value));
    ol_buf_printf(b, ",\"from_ns\":%llu,\"to_ns\":%llu,\"limit\":%d,\"runs\":%llu,\"matching_spans\":%llu",
                  (unsigned long long)d->min_ts, (unsigned long long)d->max_ts, CHB_SEARCH_LIMIT,
                  (unsigned long long)o->searches, (unsigned long long)r->search_matches);
}

static void print_json(FILE *f, const dataset_t *d, const opts_t *o, const results_t *r)
{
    ol_buf_t b;
    uint64_t n = d->n_rows;
    ol_buf_init(&b, OL_MEM_API, 0);
    ol_buf_append_cstr(&b, "{\"clickhouse_version\":");
    ol_json_write_cstr(&b, r->clickhouse_version);
    ol_buf_append_cstr(&b, ",\"chdb_version\":");
    ol_json_write_cstr(&b, r->chdb_version);
    ol_buf_append_cstr(&b, ",\"schema\":\"opentelemetry-collector-contrib clickhouseexporter traces "
                           "(traces_table.sql@2bf6b9e1f8c8716ab54eaac1635e56b4d0649900)\",\"indexes\":");
    ol_json_write_cstr(&b, ol_chb_index_name(o->indexes));
    ol_buf_append_cstr(&b, ",\"insert_method\":");
    ol_json_write_cstr(&b, insert_method_names[o->method]);
    ol_buf_append_u8(&b, ',');
    json_input(&b, d, o);
    ol_buf_append_u8(&b, ',');
    ol_buf_printf(&b,
                  "\"insert\":{\"batches\":%zu,\"batch_spans\":%llu,\"seconds\":%.4f,\"spans_per_sec\":%.1f,"
                  "\"cpu_seconds\":%.4f,\"cpu_us_per_span\":%.3f,",
                  r->n_batches, (unsigned long long)o->batch, r->insert_sec, rate(n, r->insert_sec), r->insert_cpu_sec,
                  per_span_us(r->insert_cpu_sec, n));
    json_lat(&b, "batch_latency", &r->batch_ms);
    ol_buf_append_cstr(&b, "},");
    if (o->bulk)
        ol_buf_printf(&b, "\"bulk_insert\":{\"seconds\":%.4f,\"spans_per_sec\":%.1f,\"cpu_seconds\":%.4f,"
                          "\"cpu_us_per_span\":%.3f},",
                      r->bulk_sec, rate(n, r->bulk_sec), r->bulk_cpu_sec, per_span_us(r->bulk_cpu_sec, n));
    ol_buf_printf(&b, "\"optimize_final_seconds\":%.4f,\"storage\":{", r->optimize_sec);
    json_table(&b, "otel_traces", &r->spans_table, n);
    ol_buf_append_u8(&b, ',');
    json_table(&b, "otel_traces_trace_id_ts", &r->ts_table, n);
    ol_buf_printf(&b, ",\"total_bytes_on_disk\":%llu,\"total_bytes_on_disk_per_span\":%.2f,\"columns\":{",
                  (unsigned long long)(r->spans_table.bytes_on_disk + r->ts_table.bytes_on_disk),
                  per_span(r->spans_table.bytes_on_disk + r->ts_table.bytes_on_disk, n));
    const char *p = (const char *)r->columns.data, *end = p + r->columns.len;
    bool first = true;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        char name[128];
        unsigned long long c = 0, u = 0;
        if (sscanf(p, "%127s %llu %llu", name, &c, &u) == 3) {
            if (!first) ol_buf_append_u8(&b, ',');
            first = false;
            ol_json_write_cstr(&b, name);
            ol_buf_printf(&b, ":{\"compressed\":%llu,\"uncompressed\":%llu}", c, u);
        }
        p = nl ? nl + 1 : end;
    }
    ol_buf_append_cstr(&b, "}},");
    json_lat(&b, "select_1", &r->noop_ms);
    ol_buf_printf(&b, ",\"trace_by_id\":{\"lookups\":%llu,\"wrong_span_count\":%llu,",
                  (unsigned long long)r->lookups, (unsigned long long)r->lookup_wrong);
    json_lat(&b, "latency", &r->lookup_ms);
    ol_buf_append_cstr(&b, "},");
    json_search_params(&b, d, o, r);
    ol_buf_printf(&b, ",\"rows\":%llu,\"rows_with_hint\":%llu,", (unsigned long long)r->search_rows,
                  (unsigned long long)r->search_hint_rows);
    json_lat(&b, "latency", &r->search_ms);
    ol_buf_append_u8(&b, ',');
    json_lat(&b, "latency_with_index_hint", &r->search_hint_ms);
    ol_buf_append_cstr(&b, "}}\n");
    fwrite(b.data, 1, b.len, f);
    ol_buf_free(&b);
}

/* ---- main ---- */

static void usage(void)
{
    fprintf(stderr,
            "usage: chdb_bench --input FILE [options]\n"
            "  --input FILE      spans: repeated [u32 LE length][ExportTraceServiceRequest]\n"
            "  --lib PATH        libchdb.so (default $CHDB_LIB, else bench/node_modules/@chdb/lib-linux-x64-gnu/)\n"
            "  --batch N         spans per INSERT (default 0: one INSERT per input request)\n"
            "  --lookups K       trace-by-id lookups (default 200)\n"
            "  --searches R      runs of the attribute search (default 20)\n"
            "  --insert M        stream | file (default stream; see README)\n"
            "  --indexes X       text | bloom: the exporter's skip indexes for ClickHouse >= 26.2 | older (default text)\n"
            "  --no-bulk         skip the one-bulk-insert measurement\n"
            "  --service S --attr-key K --attr-value V   search parameters (default: chosen from the data)\n"
            "  --seed S          lookup sample seed (default 1)\n"
            "  --ids-out FILE    write the looked-up trace ids as \"<hex> <spans>\" lines (also with --dry-run)\n"
            "  --keep DIR        build the ClickHouse session in DIR and keep it (default: temp dir, removed)\n"
            "  --json            one JSON object on stdout (the table goes to stderr)\n"
            "  --dry-run         only decode and convert the input, print its summary (JSON with --json: input and\n"
            "                    search parameters); chDB is not loaded\n");
}


static int parse_opts(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){.lookups = 200, .searches = 20, .seed = 1, .bulk = true};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u = 0;
        bool num = v && ol_parse_u64(ol_slice_cstr(v), &u) == OL_OK;
        if (!strcmp(a, "--json")) o->json = true;
        else if (!strcmp(a, "--no-bulk")) o->bulk = false;
        else if (!strcmp(a, "--dry-run")) o->dry_run = true;
        else if (!v) return OL_ERR;
        else if (!strcmp(a, "--input")) o->input = v, i++;
        else if (!strcmp(a, "--lib")) o->lib = v, i++;
        else if (!strcmp(a, "--keep")) o->keep = v, i++;
        else if (!strcmp(a, "--ids-out")) o->ids_out = v, i++;
        else if (!strcmp(a, "--service")) o->service = v, i++;
        else if (!strcmp(a, "--attr-key")) o->attr_key = v, i++;
        else if (!strcmp(a, "--attr-value")) o->attr_value = v, i++;
        else if (!strcmp(a, "--batch") && num) o->batch = u, i++;
        else if (!strcmp(a, "--lookups") && num) o->lookups = u, i++;
        else if (!strcmp(a, "--searches") && num && u > 0) o->searches = u, i++;
        else if (!strcmp(a, "--seed") && num) o->seed = u, i++;
        else if (!strcmp(a, "--insert")) {
            size_t m = 0;
            while (m < OL_ARRAY_LEN(insert_method_names) && strcmp(v, insert_method_names[m])) m++;
            if (m == OL_ARRAY_LEN(insert_method_names)) return OL_ERR;
            o->method = (insert_method_t)m;
            i++;
        } else if (!strcmp(a, "--indexes") && (!strcmp(v, "text") || !strcmp(v, "bloom"))) {
            o->indexes = !strcmp(v, "bloom") ? OL_CHB_INDEX_BLOOM : OL_CHB_INDEX_TEXT;
            i++;
        } else return OL_ERR;
    }
    if (!o->input || (o->attr_value && !o->attr_key)) return OL_ERR;
    if (!o->lib) o->lib = ol_chb_default_lib("../.."); /* bench/chdb/build -> bench */
    return OL_OK;
}

int main(int argc, char **argv)
{
    opts_t o;
    dataset_t d;
    results_t res;
    session_t s;
    ol_err_t err;
    int rc;
    if (parse_opts(argc, argv, &o) != OL_OK) {
        usage();
        return 2;
    }
    memset(&d, 0, sizeof d);
    memset(&res, 0, sizeof res);
    memset(&s, 0, sizeof s);
    ol_buf_init(&d.rows, OL_MEM_CODEC, 0);
    ol_buf_init(&d.services.pool, OL_MEM_CODEC, 0);
    ol_buf_init(&d.attr_values.pool, OL_MEM_CODEC, 0);
    ol_buf_init(&res.columns, OL_MEM_QUERY, 0);
    ol_buf_init(&res.search_service, OL_MEM_QUERY, 0);
    ol_buf_init(&res.search_key, OL_MEM_QUERY, 0);
    ol_buf_init(&res.search_value, OL_MEM_QUERY, 0);
    rng_state = o.seed;

    uint64_t t0 = ol_mono_ns();
    rc = dataset_load(&d, o.input, &err);
    if (rc != OL_OK) {
        fprintf(stderr, "chdb_bench: %s\n", err.msg);
        dataset_free(&d);
        return 1;
    }
    fprintf(stderr, "chdb_bench: %zu requests, %zu spans, %zu traces converted to %.1f MB of RowBinary in %.2f s\n",
            d.n_reqs, d.n_rows, d.traces.n, (double)d.rows.len / 1e6, (double)(ol_mono_ns() - t0) / 1e9);
    if (choose_search(&d, &o, &res, &err) != OL_OK) {
        fprintf(stderr, "chdb_bench: %s\n", err.msg);
        dataset_free(&d);
        return 1;
    }
    if (o.dry_run) {
        size_t k = 0, *idx = NULL;
        rc = o.ids_out ? pick_lookups(&d, &o, &idx, &k) : OL_OK;
        if (rc == OL_NOMEM) ol_err_set(&err, "out of memory sampling trace ids");
        if (rc == OL_OK && o.ids_out) rc = write_ids(o.ids_out, &d, idx, k, &err);
        free(idx);
        if (rc != OL_OK) fprintf(stderr, "chdb_bench: %s\n", err.msg);
        if (rc == OL_OK && o.json) {
            ol_buf_t b;
            ol_buf_init(&b, OL_MEM_API, 0);
            ol_buf_append_u8(&b, '{');
            json_input(&b, &d, &o);
            ol_buf_append_u8(&b, ',');
            json_search_params(&b, &d, &o, &res);
            ol_buf_printf(&b, "},\"lookups\":%zu}\n", k);
            fwrite(b.data, 1, b.len, stdout);
            ol_buf_free(&b);
        } else if (rc == OL_OK) {
            printf("%zu requests, %zu spans, %zu traces, %llu invalid spans; OTLP %.1f B/span, RowBinary %.1f B/span\n"
                   "search: service='%.*s' %.*s='%.*s' time=[%llu, %llu] ns; %llu spans match\n",
                   d.n_reqs, d.n_rows, d.traces.n, (unsigned long long)d.invalid_spans, per_span(d.otlp_bytes, d.n_rows),
                   per_span(d.rows.len, d.n_rows), (int)res.search_service.len, (const char *)res.search_service.data,
                   (int)res.search_key.len, (const char *)res.search_key.data, (int)res.search_value.len,
                   (const char *)res.search_value.data, (unsigned long long)d.min_ts, (unsigned long long)d.max_ts,
                   (unsigned long long)res.search_matches);
        }
        dataset_free(&d);
        ol_buf_free(&res.search_service);
        ol_buf_free(&res.search_key);
        ol_buf_free(&res.search_value);
        ol_buf_free(&res.columns);
        return rc == OL_OK ? 0 : 1;
    }

    t0 = ol_mono_ns();
    if (ol_chb_api_load(&s.api, o.lib, &err) != OL_OK) {
        fprintf(stderr, "chdb_bench: %s\n", err.msg);
        dataset_free(&d);
        return 1;
    }
    res.chdb_version = s.api.version();
    fprintf(stderr, "chdb_bench: loaded %s (chDB %s) in %.2f s\n", o.lib, res.chdb_version,
            (double)(ol_mono_ns() - t0) / 1e9);

    if (session_dir(&s, o.keep, &err) != OL_OK) {
        fprintf(stderr, "chdb_bench: %s\n", err.msg);
        dataset_free(&d);
        return 1;
    }
    char path_arg[4200];
    snprintf(path_arg, sizeof path_arg, "--path=%s", s.dir);
    char *cargv[] = {"chdb_bench", path_arg};
    s.conn = s.api.connect(2, cargv);
    if (!s.conn) {
        fprintf(stderr, "chdb_bench: chdb_connect(%s) failed\n", path_arg);
        rc = OL_ERR;
    }
    ol_buf_t ver;
    ol_buf_init(&ver, OL_MEM_QUERY, 0);
    if (rc == OL_OK) rc = chb_sql(&s, "SELECT version()", "TSVRaw", &ver);
    if (rc == OL_OK) {
        snprintf(res.clickhouse_version, sizeof res.clickhouse_version, "%.*s", (int)ver.len, (const char *)ver.data);
        res.clickhouse_version[strcspn(res.clickhouse_version, "\r\n")] = 0;
        fprintf(stderr, "chdb_bench: ClickHouse %s, session in %s\n", res.clickhouse_version, s.dir);
        rc = create_schema(&s, CHB_DB, o.indexes);
    }
    ol_buf_free(&ver);

    if (rc == OL_OK) {
        fprintf(stderr, "chdb_bench: inserting (%s)...\n", insert_method_names[o.method]);
        rc = run_inserts(&s, &d, &o, &res);
    }
    if (rc == OL_OK) {
        fprintf(stderr, "chdb_bench: OPTIMIZE FINAL and sizes...\n");
        rc = measure_storage(&s, &res);
    }
    if (rc == OL_OK && o.bulk) {
        fprintf(stderr, "chdb_bench: bulk insert...\n");
        rc = run_bulk(&s, &d, &o, &res);
    }
    if (rc == OL_OK) rc = run_noop(&s, &res);
    if (rc == OL_OK) {
        fprintf(stderr, "chdb_bench: %llu trace-by-id lookups...\n", (unsigned long long)o.lookups);
        rc = run_lookups(&s, &d, &o, &res);
    }
    if (rc == OL_OK) {
        fprintf(stderr, "chdb_bench: %llu searches x 2...\n", (unsigned long long)o.searches);
        rc = run_search_one(&s, &d, &o, &res, false, &res.search_ms, &res.search_rows);
    }
    if (rc == OL_OK) rc = run_search_one(&s, &d, &o, &res, true, &res.search_hint_ms, &res.search_hint_rows);

    if (rc == OL_OK) {
        print_table(o.json ? stderr : stdout, &d, &o, &res);
        if (o.json) print_json(stdout, &d, &o, &res);
    }
    if (s.conn) s.api.close_conn(s.conn);
    s.api.shutdown();
    if (s.remove_dir) nftw(s.dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    else if (s.dir[0]) fprintf(stderr, "chdb_bench: session kept in %s\n", s.dir);
    dataset_free(&d);
    ol_buf_free(&res.columns);
    ol_buf_free(&res.search_service);
    ol_buf_free(&res.search_key);
    ol_buf_free(&res.search_value);
    return rc == OL_OK ? 0 : 1;
}
