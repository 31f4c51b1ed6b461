/*
 * storage.c - GET /api/v1/storage: what the parts hold per signal and per
 * partition (rows, bytes on disk, the rows' size as received, compression
 * ratio, bytes per item), plus what is still only in memory and the log.
 */
#include "codec/json.h"
#include "core/alloc.h"
#include "query/query_int.h"

typedef struct ol_q_storage_sig {
    uint64_t parts, rows, bytes, input_bytes;
} ol_q_storage_sig_t;

typedef struct ol_q_storage_ctx {
    ol_store_partition_stats_t *v;
    size_t n, cap;
} ol_q_storage_ctx_t;

static int ol_q_storage_cb(void *ud, const ol_store_partition_stats_t *p)
{
    ol_q_storage_ctx_t *c = ud;
    if (ol_grow_array(OL_MEM_QUERY, (void **)&c->v, &c->cap, c->n + 1, sizeof *c->v) != OL_OK) return OL_NOMEM;
    c->v[c->n++] = *p;
    return OL_OK;
}

static void ol_q_storage_ratios(ol_buf_t *out, uint64_t rows, uint64_t bytes, uint64_t input_bytes)
{
    ol_buf_printf(out, ",\"compressionRatio\":%.2f,\"bytesPerItem\":%.2f", bytes ? (double)input_bytes / (double)bytes : 0.0,
                  rows ? (double)bytes / (double)rows : 0.0);
}

int ol_query_storage(ol_store_t *s, ol_buf_t *out)
{
    ol_q_storage_ctx_t c = {0};
    int rc = ol_store_scan_partitions(s, ol_q_storage_cb, &c);
    if (rc != OL_OK) {
        ol_free(OL_MEM_QUERY, c.v, c.cap * sizeof *c.v);
        return rc;
    }
    ol_store_stats_t st;
    ol_store_stats(s, &st);
    static const ol_signal_t order[3] = {OL_SIGNAL_TRACES, OL_SIGNAL_LOGS, OL_SIGNAL_METRICS};
    ol_buf_append_cstr(out, "{\"signals\":[");
    for (int k = 0; k < 3; k++) {
        ol_q_storage_sig_t t = {0};
        for (size_t i = 0; i < c.n; i++) {
            if (c.v[i].signal != order[k]) continue;
            t.parts += c.v[i].parts;
            t.rows += c.v[i].rows;
            t.bytes += c.v[i].bytes;
            t.input_bytes += c.v[i].input_bytes;
        }
        ol_buf_printf(out, "%s{\"signal\":\"%s\",\"parts\":%llu,\"rows\":%llu,\"bytes\":%llu,\"inputBytes\":%llu", k ? "," : "",
                      ol_signal_name(order[k]), (unsigned long long)t.parts, (unsigned long long)t.rows,
                      (unsigned long long)t.bytes, (unsigned long long)t.input_bytes);
        ol_q_storage_ratios(out, t.rows, t.bytes, t.input_bytes);
        ol_buf_append_cstr(out, ",\"partitions\":[");
        bool first = true;
        for (size_t i = 0; i < c.n; i++) {
            const ol_store_partition_stats_t *p = &c.v[i];
            if (p->signal != order[k]) continue;
            ol_buf_printf(out, "%s{\"day\":\"%s\",\"parts\":%llu,\"rows\":%llu,\"bytes\":%llu,\"inputBytes\":%llu",
                          first ? "" : ",", p->day_name, (unsigned long long)p->parts, (unsigned long long)p->rows,
                          (unsigned long long)p->bytes, (unsigned long long)p->input_bytes);
            ol_q_storage_ratios(out, p->rows, p->bytes, p->input_bytes);
            ol_buf_append_cstr(out, ",\"minTimeUnixNano\":");
            ol_json_write_u64_str(out, p->min_ns);
            ol_buf_append_cstr(out, ",\"maxTimeUnixNano\":");
            ol_json_write_u64_str(out, p->max_ns);
            ol_buf_append_u8(out, '}');
            first = false;
        }
        ol_buf_append_cstr(out, "]}");
    }
    ol_buf_printf(out,
                  "],\"head\":{\"spans\":%llu,\"bytes\":%llu},\"wal\":{\"bytes\":%llu,\"segments\":%llu},"
                  "\"flushes\":%llu,\"flushErrors\":%llu,\"merges\":%llu,\"mergeErrors\":%llu,\"droppedPartitions\":%llu,"
                  "\"sampledOutSpans\":%llu}",
                  (unsigned long long)st.head_spans, (unsigned long long)st.head_bytes,
                  (unsigned long long)st.wal_bytes, (unsigned long long)st.wal_segments,
                  (unsigned long long)st.flushes, (unsigned long long)st.flush_errors, (unsigned long long)st.merges,
                  (unsigned long long)st.merge_errors, (unsigned long long)st.dropped_partitions,
                  (unsigned long long)st.sampled_out_spans);
    ol_free(OL_MEM_QUERY, c.v, c.cap * sizeof *c.v);
    return out->err;
}
