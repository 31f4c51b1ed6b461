/*
 * merge.c - several traces parts into one, in bounded memory.
 *
 * Each input is already sorted by (trace id, start, span id) and holds each
 * (trace id, span id) once, so the union in that order is a k-way merge of
 * the inputs' rows. Each input is read one granule at a time into its own
 * arena (the next granule only once the last row of the current one has been
 * taken); the smallest head row goes to the incremental span writer
 * (spans.c), which copies it, drops it when it repeats the previous row's
 * (trace id, span id), and writes a granule as soon as the granule rule
 * settles. So a merge holds one decoded granule per input and one being
 * written, whatever the parts' sizes, and writes exactly the file
 * ol_part_write_spans would write from the union of the inputs' spans.
 *
 * Heads are compared by a linear pass over the inputs: merges join a handful
 * of parts, where a heap would not pay for itself.
 */
#include "core/alloc.h"
#include "store/col/part.h"
#include "store/col/spans_int.h"

typedef struct ol_merge_in {
    const ol_part_t *p;
    ol_arena_t *a;
    uint32_t g;                   /* next granule to read */
    const ol_otlp_span_t **spans; /* the rows of the granule read last */
    size_t n, cap, at, rows;
    bool has_prev;                /* the key of the row taken last, to check the input's order */
    uint8_t prev_trace[16], prev_span[8];
    uint64_t prev_start;
} ol_merge_in_t;

static int ol_merge_collect(void *ud, const ol_otlp_span_t *s)
{
    ol_merge_in_t *in = ud;
    if (in->n == in->rows) return OL_CORRUPT; /* more rows than the footer says */
    in->spans[in->n++] = s;
    return OL_OK;
}

static int ol_merge_key_cmp(const uint8_t *trace_a, uint64_t start_a, const uint8_t *span_a, const ol_otlp_span_t *b)
{
    int c = memcmp(trace_a, b->trace_id.ptr, 16);
    if (c) return c;
    if (start_a != b->start_ns) return start_a < b->start_ns ? -1 : 1;
    return memcmp(span_a, b->span_id.ptr, 8);
}

static int ol_merge_span_cmp(const ol_otlp_span_t *a, const ol_otlp_span_t *b)
{
    return ol_merge_key_cmp(a->trace_id.ptr, a->start_ns, a->span_id.ptr, b);
}

/* Makes in->spans[in->at] the input's next row, reading granules as needed;
 * *more false when the input is exhausted. */
static int ol_merge_head(ol_merge_in_t *in, bool *more, ol_err_t *err)
{
    const ol_part_info_t *info = ol_part_info(in->p);
    while (in->at == in->n) {
        if (in->g >= info->granules) {
            *more = false;
            return OL_OK;
        }
        in->rows = ol_part_granule(in->p, in->g)->rows;
        if (ol_grow_array(OL_MEM_STORE, (void **)&in->spans, &in->cap, in->rows ? in->rows : 1, sizeof *in->spans))
            return OL_NOMEM;
        ol_arena_reset(in->a);
        in->n = in->at = 0;
        if (err) err->msg[0] = 0;
        int rc = ol_part_spans_granule(in->p, in->g, in->a, ol_merge_collect, in, err);
        if (rc == OL_OK && in->n != in->rows) rc = OL_CORRUPT;
        if (rc && (!err || !err->msg[0]))
            ol_err_set(err, "part %s: granule %u: reading for a merge failed: %s", ol_part_path(in->p), in->g, ol_rc_str(rc));
        if (rc) return rc;
        in->g++;
    }
    *more = true;
    return OL_OK;
}

int ol_part_merge_spans(const ol_io_t *io, const char *path, uint64_t part_id, uint64_t wal_segment,
                        ol_part_t *const *in, size_t n_in, ol_part_info_t *info, ol_err_t *err)
{
    for (size_t i = 0; i < n_in; i++) {
        if (ol_part_info(in[i])->signal != OL_SIGNAL_TRACES) {
            ol_err_set(err, "part %s: merging into %s: not a traces part", ol_part_path(in[i]), path);
            return OL_ERR;
        }
    }
    ol_merge_in_t *ins = ol_calloc(OL_MEM_STORE, n_in ? n_in : 1, sizeof *ins);
    ol_span_writer_t *w = NULL;
    int rc = ins ? ol_span_writer_new(path, part_id, true, &w) : OL_NOMEM;
    for (size_t i = 0; i < n_in && !rc; i++) {
        ins[i].p = in[i];
        ins[i].a = ol_arena_create(1 << 20, 0);
        if (!ins[i].a) rc = OL_NOMEM;
    }
    if (rc) ol_err_set(err, "part %s: merge: out of memory", path);
    bool *live = rc ? NULL : ol_calloc(OL_MEM_STORE, n_in ? n_in : 1, sizeof *live);
    if (!rc && !live) rc = OL_NOMEM;
    for (size_t i = 0; i < n_in && !rc; i++) rc = ol_merge_head(&ins[i], &live[i], err);
    while (!rc) {
        ol_merge_in_t *best = NULL;
        for (size_t i = 0; i < n_in; i++) {
            if (live[i] && (!best || ol_merge_span_cmp(ins[i].spans[ins[i].at], best->spans[best->at]) < 0)) best = &ins[i];
        }
        if (!best) break;
        const ol_otlp_span_t *s = best->spans[best->at];
        if (best->has_prev && ol_merge_key_cmp(best->prev_trace, best->prev_start, best->prev_span, s) > 0) {
            ol_err_set(err, "part %s: granule %u: spans out of (trace id, start, span id) order", ol_part_path(best->p),
                       best->g - 1);
            rc = OL_CORRUPT;
            break;
        }
        memcpy(best->prev_trace, s->trace_id.ptr, 16);
        memcpy(best->prev_span, s->span_id.ptr, 8);
        best->prev_start = s->start_ns;
        best->has_prev = true;
        rc = ol_span_writer_add(w, s, err);
        best->at++;
        if (!rc) rc = ol_merge_head(best, &live[best - ins], err);
    }
    if (!rc) rc = ol_span_writer_finish(w, io, wal_segment, info, err);
    ol_span_writer_free(w);
    for (size_t i = 0; ins && i < n_in; i++) {
        ol_arena_destroy(ins[i].a);
        ol_free(OL_MEM_STORE, ins[i].spans, ins[i].cap * sizeof *ins[i].spans);
    }
    ol_free(OL_MEM_STORE, ins, (n_in ? n_in : 1) * sizeof *ins);
    ol_free(OL_MEM_STORE, live, (n_in ? n_in : 1) * sizeof *live);
    return rc;
}
