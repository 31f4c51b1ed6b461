/*
 * services.c - the service list: every service that sent spans, with its
 * distinct span names, both sorted by name.
 *
 * The store's views are only valid during its callback, so names are copied
 * into a query arena first and sorted there.
 */
#include <stdlib.h>

#include "codec/json.h"
#include "core/arena.h"
#include "query/query_int.h"

typedef struct ol_q_service {
    ol_slice_t name;
    ol_slice_t *ops;
    size_t n_ops;
} ol_q_service_t;

typedef struct ol_q_services_ctx {
    ol_arena_t *a;
    ol_q_service_t *v;
    size_t n, cap;
} ol_q_services_ctx_t;

static bool ol_q_copy(ol_arena_t *a, ol_slice_t in, ol_slice_t *out)
{
    void *p = ol_arena_memdup(a, in.ptr, in.len);
    if (!p) return false;
    *out = ol_slice(p, in.len);
    return true;
}

static int ol_q_services_cb(void *ud, ol_slice_t service, const ol_slice_t *ops, size_t n_ops)
{
    ol_q_services_ctx_t *c = ud;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        ol_q_service_t *nv = ol_arena_alloc(c->a, nc * sizeof *nv);
        if (!nv) return OL_NOMEM;
        if (c->n) memcpy(nv, c->v, c->n * sizeof *nv);
        c->v = nv;
        c->cap = nc;
    }
    ol_q_service_t *e = &c->v[c->n];
    e->ops = ol_arena_alloc(c->a, (n_ops ? n_ops : 1) * sizeof *e->ops);
    if (!e->ops || !ol_q_copy(c->a, service, &e->name)) return OL_NOMEM;
    for (size_t i = 0; i < n_ops; i++)
        if (!ol_q_copy(c->a, ops[i], &e->ops[i])) return OL_NOMEM;
    e->n_ops = n_ops;
    c->n++;
    return OL_OK;
}

static int ol_q_service_cmp(const void *a, const void *b)
{
    return ol_q_slice_cmp(((const ol_q_service_t *)a)->name, ((const ol_q_service_t *)b)->name);
}

static int ol_q_op_cmp(const void *a, const void *b) { return ol_q_slice_cmp(*(const ol_slice_t *)a, *(const ol_slice_t *)b); }

int ol_query_services(ol_store_t *s, ol_buf_t *out)
{
    ol_q_services_ctx_t c = {.a = ol_arena_create(4096, 0)};
    if (!c.a) return OL_NOMEM;
    int rc = ol_store_scan_services(s, ol_q_services_cb, &c);
    if (rc == OL_OK) {
        if (c.n) qsort(c.v, c.n, sizeof *c.v, ol_q_service_cmp);
        ol_buf_append_cstr(out, "{\"services\":[");
        for (size_t i = 0; i < c.n; i++) {
            ol_q_service_t *e = &c.v[i];
            if (e->n_ops) qsort(e->ops, e->n_ops, sizeof *e->ops, ol_q_op_cmp);
            ol_buf_append_cstr(out, i ? ",{\"name\":" : "{\"name\":");
            ol_json_write_string(out, e->name);
            ol_buf_append_cstr(out, ",\"operations\":[");
            for (size_t j = 0; j < e->n_ops; j++) {
                if (j) ol_buf_append_u8(out, ',');
                ol_json_write_string(out, e->ops[j]);
            }
            ol_buf_append_cstr(out, "]}");
        }
        ol_buf_append_cstr(out, "]}");
        rc = out->err;
    }
    ol_arena_destroy(c.a);
    return rc;
}
