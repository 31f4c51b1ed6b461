/*
 * logs.c - log search: the newest matching records, rendered as OTLP/JSON
 * grouped by resource and scope.
 *
 * The store hands records newest first, so the scan stops at the limit and
 * each kept record is copied into the rebuilt request as it is found.
 */
#include "codec/otlp.h"
#include "query/query_int.h"
#include "store/request.h"

#define OL_Q_LOG_LIMIT_DEFAULT 100

typedef struct ol_q_logs_ctx {
    const ol_log_query_t *q;
    ol_req_builder_t rb;
    ol_buf_t tmp;
    size_t limit;
} ol_q_logs_ctx_t;

static bool ol_q_log_match(ol_q_logs_ctx_t *c, const ol_otlp_log_t *l)
{
    const ol_log_query_t *q = c->q;
    if (q->service.len && !ol_slice_eq(ol_store_service_of(l->origin), q->service)) return false;
    if (q->min_severity > 0 && l->severity_number < q->min_severity) return false;
    if (q->has_trace_id && (l->trace_id.len != 16 || memcmp(l->trace_id.ptr, q->trace_id, 16) != 0)) return false;
    if (q->q.len) {
        if (!l->body.len) return false;
        ol_buf_reset(&c->tmp);
        ol_otlp_anyvalue_text(l->body, &c->tmp);
        if (c->tmp.err || !ol_slice_contains_nocase(ol_buf_slice(&c->tmp), q->q)) return false;
    }
    return true;
}

static int ol_q_logs_cb(void *ud, const ol_otlp_log_t *l)
{
    ol_q_logs_ctx_t *c = ud;
    if (!ol_q_log_match(c, l)) return OL_OK;
    ol_req_add(&c->rb, l->origin, l->raw);
    if (c->rb.out->err) return c->rb.out->err;
    return c->rb.n_items >= c->limit ? OL_STORE_STOP : OL_OK;
}

int ol_query_logs(ol_store_t *s, const ol_log_query_t *q, ol_buf_t *out)
{
    ol_buf_t pb;
    ol_buf_init(&pb, OL_MEM_QUERY, 0);
    ol_q_logs_ctx_t c = {.q = q, .limit = q->limit ? q->limit : OL_Q_LOG_LIMIT_DEFAULT};
    ol_buf_init(&c.tmp, OL_MEM_QUERY, 0);
    ol_req_begin(&c.rb, &pb, OL_REQ_GROUP_BYTES);
    int rc = ol_store_scan_logs(s, q->start_ns, q->end_ns, ol_q_logs_cb, &c);
    if (rc == OL_OK) rc = ol_req_finish(&c.rb);
    if (rc == OL_OK) rc = ol_q_render(&ol_pb_ExportLogsServiceRequest, "resourceLogs", &pb, c.rb.n_items, out);
    ol_buf_free(&c.tmp);
    ol_buf_free(&pb);
    return rc;
}
