/*
 * buf.c - growable byte buffer with sticky errors (see buf.h).
 */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>

void ol_buf_init(ol_buf_t *b, ol_mem_tag_t tag, size_t limit)
{
    memset(b, 0, sizeof *b);
    b->tag = tag;
    b->limit = limit;
}

void ol_buf_free(ol_buf_t *b)
{
    ol_free(b->tag, b->data, b->cap);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ol_buf_reset(ol_buf_t *b)
{
    b->len = 0;
    b->err = OL_OK;
}

int ol_buf_reserve(ol_buf_t *b, size_t extra)
{
    if (b->err) return b->err;
    if (extra > SIZE_MAX - b->len || (b->limit && b->len + extra > b->limit)) return b->err = OL_LIMIT;
    size_t need = b->len + extra;
    if (need <= b->cap) return OL_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (b->limit && cap > b->limit) cap = b->limit;
    uint8_t *p = ol_realloc(b->tag, b->data, b->cap, cap);
    if (!p) return b->err = OL_NOMEM;
    b->data = p;
    b->cap = cap;
    return OL_OK;
}

void ol_buf_append(ol_buf_t *b, const void *p, size_t n)
{
    if (n == 0 || ol_buf_reserve(b, n) != OL_OK) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void ol_buf_append_slice(ol_buf_t *b, ol_slice_t s) { ol_buf_append(b, s.ptr, s.len); }
void ol_buf_append_cstr(ol_buf_t *b, const char *s) { ol_buf_append(b, s, strlen(s)); }

void ol_buf_append_u8(ol_buf_t *b, uint8_t c)
{
    if (ol_buf_reserve(b, 1) != OL_OK) return;
    b->data[b->len++] = c;
}

void ol_buf_printf(ol_buf_t *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        ol_buf_append(b, tmp, (size_t)n);
        return;
    }
    if (ol_buf_reserve(b, (size_t)n + 1) != OL_OK) return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}
