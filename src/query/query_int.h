/*
 * query_int.h - helpers shared by the query files (traces.c, logs.c,
 * metrics.c, services.c): attribute matching and OTLP/JSON rendering of a
 * rebuilt export request.
 */
#ifndef OL_QUERY_INT_H
#define OL_QUERY_INT_H

#include "codec/pb_schema.h"
#include "query/read.h"

#define OL_Q_ALL(n) ((uint32_t)((1ull << (n)) - 1))

/* Bit i is set when filter f[i] matches an attribute of the encoded message
 * msg (repeated KeyValue field `field`): same key, and the value's text form
 * (ol_otlp_anyvalue_text) equal to f[i].value. Bits in `have` are not
 * re-checked. tmp is scratch. n <= OL_QUERY_MAX_ATTRS. */
uint32_t ol_q_attr_mask(const ol_attr_filter_t *f, size_t n, uint32_t have, ol_slice_t msg, uint32_t field,
                        ol_buf_t *tmp);

/* Renders the export request in pb (message type root) to out; with no
 * items, writes {"<empty_key>":[]} instead. Frees nothing. */
int ol_q_render(const ol_pb_msg_t *root, const char *empty_key, const ol_buf_t *pb, size_t n_items, ol_buf_t *out);

int ol_q_slice_cmp(ol_slice_t a, ol_slice_t b);

#endif
