/*
 * request.c - rebuild an Export*ServiceRequest from item views (request.h).
 *
 * The three signals share one shape, so one writer serves all of them:
 *   Export*ServiceRequest { repeated Resource* = 1 }
 *   Resource* { Resource resource = 1; repeated Scope* = 2; string schema_url = 3 }
 *   Scope*    { InstrumentationScope scope = 1; repeated item = 2; string schema_url = 3 }
 * Within a group the resource/scope and schema url are written before the
 * nested list, so the bytes just written serve as the comparison key for the
 * next item in BYTES mode.
 */
#include "store/request.h"

#include "codec/pb.h"

enum {
    OL_REQ_F_RESOURCES = 1, /* Export*ServiceRequest.resource_* */
    OL_REQ_F_RESOURCE = 1,  /* Resource*.resource */
    OL_REQ_F_SCOPES = 2,    /* Resource*.scope_* */
    OL_REQ_F_SCOPE = 1,     /* Scope*.scope */
    OL_REQ_F_ITEMS = 2,     /* Scope*.spans / metrics / log_records */
    OL_REQ_F_SCHEMA_URL = 3 /* both */
};

static bool ol_req_present(ol_slice_t s) { return s.ptr != NULL || s.len != 0; }

static bool ol_req_same(const ol_buf_t *out, size_t off, size_t len, ol_slice_t s)
{
    return len == s.len && (len == 0 || memcmp(out->data + off, s.ptr, len) == 0);
}

/* Writes field `number` with s and returns where its bytes start in out. */
static size_t ol_req_put(ol_buf_t *out, uint32_t number, ol_slice_t s)
{
    ol_pb_put_bytes(out, number, s);
    return out->err ? 0 : out->len - s.len;
}

void ol_req_begin(ol_req_builder_t *rb, ol_buf_t *out, ol_req_group_t mode)
{
    memset(rb, 0, sizeof *rb);
    rb->out = out;
    rb->mode = mode;
}

static void ol_req_close_scope(ol_req_builder_t *rb)
{
    if (!rb->in_scope) return;
    ol_pb_end(rb->out, rb->scope_mark);
    rb->in_scope = false;
}

static void ol_req_close_resource(ol_req_builder_t *rb)
{
    ol_req_close_scope(rb);
    if (!rb->in_resource) return;
    ol_pb_end(rb->out, rb->resource_mark);
    rb->in_resource = false;
}

static bool ol_req_new_resource(const ol_req_builder_t *rb, const ol_otlp_origin_t *o)
{
    if (!rb->in_resource) return true;
    if (rb->mode == OL_REQ_GROUP_ORIGIN) return o->resource_index != rb->resource_index;
    return ol_req_present(o->resource) != rb->res_present ||
           !ol_req_same(rb->out, rb->res_off, rb->res_len, o->resource) ||
           !ol_req_same(rb->out, rb->res_url_off, rb->res_url_len, o->resource_schema_url);
}

static bool ol_req_new_scope(const ol_req_builder_t *rb, const ol_otlp_origin_t *o)
{
    if (!rb->in_scope) return true;
    if (rb->mode == OL_REQ_GROUP_ORIGIN) return o != rb->origin;
    return ol_req_present(o->scope) != rb->scope_present ||
           !ol_req_same(rb->out, rb->scope_off, rb->scope_len, o->scope) ||
           !ol_req_same(rb->out, rb->scope_url_off, rb->scope_url_len, o->scope_schema_url);
}

void ol_req_add(ol_req_builder_t *rb, const ol_otlp_origin_t *o, ol_slice_t item)
{
    ol_buf_t *out = rb->out;
    if (out->err) return;
    bool new_res = ol_req_new_resource(rb, o);
    bool new_scope = new_res || ol_req_new_scope(rb, o);
    if (new_res) {
        ol_req_close_resource(rb);
        rb->resource_mark = ol_pb_begin(out, OL_REQ_F_RESOURCES);
        rb->in_resource = true;
        rb->resource_index = o->resource_index;
        rb->res_present = ol_req_present(o->resource);
        rb->res_len = rb->res_url_len = 0;
        if (rb->res_present) {
            rb->res_off = ol_req_put(out, OL_REQ_F_RESOURCE, o->resource);
            rb->res_len = o->resource.len;
        }
        if (o->resource_schema_url.len) {
            rb->res_url_off = ol_req_put(out, OL_REQ_F_SCHEMA_URL, o->resource_schema_url);
            rb->res_url_len = o->resource_schema_url.len;
        }
    }
    if (new_scope) {
        ol_req_close_scope(rb);
        rb->scope_mark = ol_pb_begin(out, OL_REQ_F_SCOPES);
        rb->in_scope = true;
        rb->scope_present = ol_req_present(o->scope);
        rb->scope_len = rb->scope_url_len = 0;
        if (rb->scope_present) {
            rb->scope_off = ol_req_put(out, OL_REQ_F_SCOPE, o->scope);
            rb->scope_len = o->scope.len;
        }
        if (o->scope_schema_url.len) {
            rb->scope_url_off = ol_req_put(out, OL_REQ_F_SCHEMA_URL, o->scope_schema_url);
            rb->scope_url_len = o->scope_schema_url.len;
        }
    }
    rb->origin = o;
    ol_pb_put_bytes(out, OL_REQ_F_ITEMS, item);
    rb->n_items++;
}

int ol_req_finish(ol_req_builder_t *rb)
{
    ol_req_close_resource(rb);
    return rb->out->err;
}
