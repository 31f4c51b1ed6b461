/*
 * state.h - the analysis and alerting state that must survive a restart
 * and, later, be shared by several Olly nodes: learned baselines, open and
 * past anomalies, alert deduplication and delivery bookkeeping.
 *
 * It is a small versioned key/value interface, grouped in namespaces
 * ("baseline", "anomaly", "alert", ...). Every value carries a version that
 * grows on each write, and writes can be conditional on it (compare and
 * set), which is what lets several nodes agree: the node whose conditional
 * create of an alert key succeeds is the one that notifies; the others see
 * OL_BUSY and leave it. Backends sit behind a vtable: SQLite in the data
 * directory now (state_sqlite.c), shared storage (ClickHouse) later.
 *
 * Values are opaque blobs whose layouts are in docs/format/analysis-state.md.
 * Keys and namespaces are byte strings up to OL_STATE_MAX_KEY bytes.
 * Thread safety: every call may come from any thread.
 */
#ifndef OL_STATE_STATE_H
#define OL_STATE_STATE_H

#include "core/buf.h"
#include "core/common.h"

#define OL_STATE_MAX_KEY 1024
#define OL_STATE_MAX_VALUE (64u << 20)
#define OL_STATE_ANY UINT64_MAX /* expect_version: write whatever is there */
#define OL_STATE_ABSENT 0       /* expect_version: only if the key does not exist */

typedef struct ol_state ol_state_t;

/* Called per entry by ol_state_scan, in key order; return non-zero to stop. */
typedef int (*ol_state_scan_fn)(void *arg, ol_slice_t key, ol_slice_t value, uint64_t version);

typedef struct ol_state_ops {
    int (*get)(void *impl, const char *ns, ol_slice_t key, ol_buf_t *value, uint64_t *version);
    int (*put)(void *impl, const char *ns, ol_slice_t key, ol_slice_t value, uint64_t expect_version,
               uint64_t *new_version);
    int (*del)(void *impl, const char *ns, ol_slice_t key, uint64_t expect_version);
    int (*scan)(void *impl, const char *ns, ol_slice_t prefix, ol_state_scan_fn fn, void *arg);
    void (*close)(void *impl);
} ol_state_ops_t;

/* Wraps a backend (takes ownership of impl; ops->close frees it). */
int ol_state_wrap(const ol_state_ops_t *ops, void *impl, ol_state_t **out);
/* SQLite file (created with its schema if missing). OL_OK, OL_ERR (err says). */
int ol_state_open_sqlite(const char *path, ol_state_t **out, ol_err_t *err);
/* In memory, for tests and --no-state runs. */
int ol_state_open_memory(ol_state_t **out);
void ol_state_close(ol_state_t *s);

/* Copies the value into *value (appended after reset) and its version.
 * OL_NOTFOUND when absent. */
int ol_state_get(ol_state_t *s, const char *ns, ol_slice_t key, ol_buf_t *value, uint64_t *version);
/* Writes when expect_version matches (OL_STATE_ANY, OL_STATE_ABSENT or the
 * current version); otherwise OL_BUSY and nothing changes. new_version may
 * be NULL. OL_LIMIT for an oversized key or value. */
int ol_state_put(ol_state_t *s, const char *ns, ol_slice_t key, ol_slice_t value, uint64_t expect_version,
                 uint64_t *new_version);
/* Deletes under the same condition; OL_NOTFOUND when absent. */
int ol_state_del(ol_state_t *s, const char *ns, ol_slice_t key, uint64_t expect_version);
/* Every entry of ns whose key starts with prefix (empty = all). */
int ol_state_scan(ol_state_t *s, const char *ns, ol_slice_t prefix, ol_state_scan_fn fn, void *arg);

#endif
