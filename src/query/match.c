/*
 * match.c - attribute filters and request rendering shared by the queries
 * (query_int.h).
 */
#include "codec/otlp.h"
#include "codec/otlp_json.h"
#include "query/query_int.h"

typedef struct ol_q_attr_ctx {
    const ol_attr_filter_t *f;
    size_t n;
    uint32_t mask;
    ol_buf_t *tmp;
} ol_q_attr_ctx_t;

static int ol_q_attr_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ol_q_attr_ctx_t *c = ud;
    bool rendered = false;
    for (size_t i = 0; i < c->n; i++) {
        if ((c->mask >> i) & 1 || !ol_slice_eq(key, c->f[i].key)) continue;
        if (!rendered) {
            ol_buf_reset(c->tmp);
            ol_otlp_anyvalue_text(any_value, c->tmp);
            rendered = true;
        }
        if (!c->tmp->err && ol_slice_eq(ol_buf_slice(c->tmp), c->f[i].value)) c->mask |= 1u << i;
    }
    return OL_OK;
}

uint32_t ol_q_attr_mask(const ol_attr_filter_t *f, size_t n, uint32_t have, ol_slice_t msg, uint32_t field,
                        ol_buf_t *tmp)
{
    if (n > OL_QUERY_MAX_ATTRS) n = OL_QUERY_MAX_ATTRS;
    if (!n || have == OL_Q_ALL(n) || !msg.len) return have;
    ol_q_attr_ctx_t c = {f, n, have, tmp};
    ol_otlp_each_attribute(msg, field, ol_q_attr_cb, &c);
    return c.mask;
}

int ol_q_render(const ol_pb_msg_t *root, const char *empty_key, const ol_buf_t *pb, size_t n_items, ol_buf_t *out)
{
    if (pb->err) return pb->err;
    if (!n_items) {
        ol_buf_printf(out, "{\"%s\":[]}", empty_key);
        return out->err;
    }
    int rc = ol_pb_to_otlp_json(root, ol_buf_slice(pb), out);
    return rc != OL_OK ? rc : out->err;
}

int ol_q_slice_cmp(ol_slice_t a, ol_slice_t b)
{
    size_t n = OL_MIN(a.len, b.len);
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c) return c;
    return a.len < b.len ? -1 : a.len > b.len;
}
