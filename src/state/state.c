/*
 * state.c - the backend-neutral half of state.h: argument checks and
 * dispatch through the backend's vtable.
 */
#include "state/state.h"

#include "core/alloc.h"

struct ol_state {
    const ol_state_ops_t *ops;
    void *impl;
};

int ol_state_wrap(const ol_state_ops_t *ops, void *impl, ol_state_t **out)
{
    ol_state_t *s = ol_calloc(OL_MEM_CORE, 1, sizeof *s);
    if (!s) {
        ops->close(impl);
        return OL_NOMEM;
    }
    s->ops = ops;
    s->impl = impl;
    *out = s;
    return OL_OK;
}

void ol_state_close(ol_state_t *s)
{
    if (!s) return;
    s->ops->close(s->impl);
    ol_free(OL_MEM_CORE, s, sizeof *s);
}

static bool key_ok(const char *ns, ol_slice_t key)
{
    return ns && strlen(ns) <= OL_STATE_MAX_KEY && key.len <= OL_STATE_MAX_KEY;
}

int ol_state_get(ol_state_t *s, const char *ns, ol_slice_t key, ol_buf_t *value, uint64_t *version)
{
    if (!key_ok(ns, key)) return OL_LIMIT;
    return s->ops->get(s->impl, ns, key, value, version);
}

int ol_state_put(ol_state_t *s, const char *ns, ol_slice_t key, ol_slice_t value, uint64_t expect_version,
                 uint64_t *new_version)
{
    if (!key_ok(ns, key) || value.len > OL_STATE_MAX_VALUE) return OL_LIMIT;
    uint64_t v = 0;
    int rc = s->ops->put(s->impl, ns, key, value, expect_version, &v);
    if (rc == OL_OK && new_version) *new_version = v;
    return rc;
}

int ol_state_del(ol_state_t *s, const char *ns, ol_slice_t key, uint64_t expect_version)
{
    if (!key_ok(ns, key)) return OL_LIMIT;
    return s->ops->del(s->impl, ns, key, expect_version);
}

int ol_state_scan(ol_state_t *s, const char *ns, ol_slice_t prefix, ol_state_scan_fn fn, void *arg)
{
    if (!key_ok(ns, prefix)) return OL_LIMIT;
    return s->ops->scan(s->impl, ns, prefix, fn, arg);
}
