/*
 * request.h - rebuild an Export{Trace,Metrics,Logs}ServiceRequest protobuf
 * from item views.
 *
 * Items are added one at a time with the origin they were received under;
 * consecutive items that share a resource (and scope) go into one
 * Resource* (and Scope*) message. The Resource and InstrumentationScope
 * bytes, both schema urls and each item's encoded message are copied
 * verbatim, so the result holds exactly what was received.
 *
 * Two grouping modes:
 *   OL_REQ_GROUP_ORIGIN: a new Resource* whenever origin->resource_index
 *     changes, a new Scope* whenever the origin pointer changes. For items
 *     from one decoded request (the WAL writer): the request's structure is
 *     kept.
 *   OL_REQ_GROUP_BYTES: a new Resource* / Scope* whenever the resource or
 *     scope bytes (or their schema urls) differ from the previous item's. For
 *     items from many requests (query results). Compares against the bytes
 *     already written, so origins need not outlive ol_req_add().
 *
 * All output goes to `out`; its sticky err reports allocation failure.
 */
#ifndef OL_STORE_REQUEST_H
#define OL_STORE_REQUEST_H

#include "codec/otlp.h"
#include "core/buf.h"

typedef enum { OL_REQ_GROUP_ORIGIN = 0, OL_REQ_GROUP_BYTES = 1 } ol_req_group_t;

typedef struct ol_req_builder {
    ol_buf_t *out;
    ol_req_group_t mode;
    bool in_resource, in_scope;
    size_t resource_mark, scope_mark; /* ol_pb_begin marks */
    /* Where the current group's bytes were written in out (BYTES mode). */
    size_t res_off, res_len, res_url_off, res_url_len;
    size_t scope_off, scope_len, scope_url_off, scope_url_len;
    bool res_present, scope_present;
    /* ORIGIN mode. */
    uint32_t resource_index;
    const ol_otlp_origin_t *origin;
    size_t n_items;
} ol_req_builder_t;

void ol_req_begin(ol_req_builder_t *rb, ol_buf_t *out, ol_req_group_t mode);
/* Appends one encoded item (Span, Metric or LogRecord) under origin o. */
void ol_req_add(ol_req_builder_t *rb, const ol_otlp_origin_t *o, ol_slice_t item);
/* Closes the open groups. Returns out->err. */
int ol_req_finish(ol_req_builder_t *rb);

#endif
