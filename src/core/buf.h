/*
 * buf.h - growable byte buffer with an optional hard limit.
 *
 * Used to build responses, WAL records and JSON. Appends never fail
 * silently: after an allocation failure or when `limit` would be exceeded the
 * buffer is marked failed (b->err = OL_NOMEM or OL_LIMIT), further appends are
 * no-ops, and the owner checks b->err once at the end.
 */
#ifndef OL_CORE_BUF_H
#define OL_CORE_BUF_H

#include "core/alloc.h"
#include "core/common.h"

typedef struct ol_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t limit; /* 0 = unlimited */
    int err;      /* OL_OK until an append fails */
    ol_mem_tag_t tag;
} ol_buf_t;

void ol_buf_init(ol_buf_t *b, ol_mem_tag_t tag, size_t limit);
void ol_buf_free(ol_buf_t *b);
void ol_buf_reset(ol_buf_t *b); /* len = 0, err = OL_OK, keeps memory */
int ol_buf_reserve(ol_buf_t *b, size_t extra);
void ol_buf_append(ol_buf_t *b, const void *p, size_t n);
void ol_buf_append_slice(ol_buf_t *b, ol_slice_t s);
void ol_buf_append_cstr(ol_buf_t *b, const char *s);
void ol_buf_append_u8(ol_buf_t *b, uint8_t c);
void ol_buf_printf(ol_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Detach the data (caller frees with ol_free(tag, p, cap)). */
static inline ol_slice_t ol_buf_slice(const ol_buf_t *b) { return ol_slice(b->data, b->len); }

#endif
