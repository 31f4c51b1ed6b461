/*
 * state_sqlite.c - state.h on one SQLite file (or ":memory:").
 *
 * One table, (ns, key) -> (value, version), in WAL mode with
 * synchronous=NORMAL: a committed write survives a process crash; after a
 * power loss the last few writes may be lost, which costs at worst one
 * re-learned baseline step or one repeated notification. One connection
 * behind a mutex: state writes are rare (per resolution step, not per
 * span), so contention is not a concern. Conditional writes run inside a
 * transaction (BEGIN IMMEDIATE), so check and write are atomic.
 */
#include <pthread.h>
#include <sqlite3.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "state/state.h"

typedef struct sq {
    sqlite3 *db;
    pthread_mutex_t mu;
    sqlite3_stmt *get, *ins, *upd, *del, *scan;
} sq_t;

static const char SCHEMA[] = "CREATE TABLE IF NOT EXISTS olly_state ("
                             " ns TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
                             " version INTEGER NOT NULL, updated_ns INTEGER NOT NULL,"
                             " PRIMARY KEY (ns, key)) WITHOUT ROWID;";

static int sq_fail(sq_t *q, const char *what)
{
    ol_error("state: %s: %s", what, sqlite3_errmsg(q->db));
    return OL_ERR;
}

static void sq_bind_key(sqlite3_stmt *st, const char *ns, ol_slice_t key)
{
    sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, key.len ? (const void *)key.ptr : "", (int)key.len, SQLITE_STATIC);
}

/* Current version of (ns,key), 0 when absent; OL_ERR on a database error. */
static int sq_version(sq_t *q, const char *ns, ol_slice_t key, uint64_t *version, ol_buf_t *value)
{
    sqlite3_stmt *st = q->get;
    sqlite3_reset(st);
    sq_bind_key(st, ns, key);
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        *version = 0;
        return OL_OK;
    }
    if (r != SQLITE_ROW) return sq_fail(q, "read");
    *version = (uint64_t)sqlite3_column_int64(st, 1);
    if (value) {
        ol_buf_reset(value);
        int n = sqlite3_column_bytes(st, 0);
        ol_buf_append(value, sqlite3_column_blob(st, 0), (size_t)n);
        if (value->err) return OL_NOMEM;
    }
    return OL_OK;
}

static int sq_get(void *impl, const char *ns, ol_slice_t key, ol_buf_t *value, uint64_t *version)
{
    sq_t *q = impl;
    pthread_mutex_lock(&q->mu);
    uint64_t v = 0;
    int rc = sq_version(q, ns, key, &v, value);
    sqlite3_reset(q->get);
    pthread_mutex_unlock(&q->mu);
    if (rc != OL_OK) return rc;
    if (v == 0) return OL_NOTFOUND;
    if (version) *version = v;
    return OL_OK;
}

static int sq_exec(sq_t *q, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ol_error("state: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return OL_ERR;
    }
    return OL_OK;
}

static int sq_step_done(sq_t *q, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? OL_OK : sq_fail(q, what);
}

static int sq_put(void *impl, const char *ns, ol_slice_t key, ol_slice_t value, uint64_t expect, uint64_t *newv)
{
    sq_t *q = impl;
    pthread_mutex_lock(&q->mu);
    int rc = sq_exec(q, "BEGIN IMMEDIATE");
    if (rc != OL_OK) goto out;
    uint64_t cur = 0;
    rc = sq_version(q, ns, key, &cur, NULL);
    sqlite3_reset(q->get);
    if (rc == OL_OK && expect != OL_STATE_ANY && expect != cur) rc = OL_BUSY;
    if (rc == OL_OK) {
        sqlite3_stmt *st = cur ? q->upd : q->ins;
        sq_bind_key(st, ns, key);
        sqlite3_bind_blob(st, 3, value.len ? (const void *)value.ptr : "", (int)value.len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)(cur + 1));
        sqlite3_bind_int64(st, 5, (sqlite3_int64)ol_now_ns());
        rc = sq_step_done(q, st, "write");
        *newv = cur + 1;
    }
    if (sq_exec(q, rc == OL_OK ? "COMMIT" : "ROLLBACK") != OL_OK && rc == OL_OK) rc = OL_ERR;
out:
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static int sq_del(void *impl, const char *ns, ol_slice_t key, uint64_t expect)
{
    sq_t *q = impl;
    pthread_mutex_lock(&q->mu);
    int rc = sq_exec(q, "BEGIN IMMEDIATE");
    if (rc != OL_OK) goto out;
    uint64_t cur = 0;
    rc = sq_version(q, ns, key, &cur, NULL);
    sqlite3_reset(q->get);
    if (rc == OL_OK && cur == 0) rc = OL_NOTFOUND;
    if (rc == OL_OK && expect != OL_STATE_ANY && expect != cur) rc = OL_BUSY;
    if (rc == OL_OK) {
        sq_bind_key(q->del, ns, key);
        rc = sq_step_done(q, q->del, "delete");
    }
    if (sq_exec(q, rc == OL_OK ? "COMMIT" : "ROLLBACK") != OL_OK && rc == OL_OK) rc = OL_ERR;
out:
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static int sq_scan(void *impl, const char *ns, ol_slice_t prefix, ol_state_scan_fn fn, void *arg)
{
    sq_t *q = impl;
    pthread_mutex_lock(&q->mu);
    sqlite3_stmt *st = q->scan;
    sqlite3_reset(st);
    sq_bind_key(st, ns, prefix);
    int rc = OL_OK, r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        ol_slice_t k = ol_slice(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
        if (k.len < prefix.len || (prefix.len && memcmp(k.ptr, prefix.ptr, prefix.len) != 0)) break;
        ol_slice_t v = ol_slice(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
        if (fn(arg, k, v, (uint64_t)sqlite3_column_int64(st, 2))) break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE) rc = sq_fail(q, "scan");
    sqlite3_reset(st);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static void sq_close(void *impl)
{
    sq_t *q = impl;
    if (!q) return;
    sqlite3_finalize(q->get);
    sqlite3_finalize(q->ins);
    sqlite3_finalize(q->upd);
    sqlite3_finalize(q->del);
    sqlite3_finalize(q->scan);
    sqlite3_close(q->db);
    pthread_mutex_destroy(&q->mu);
    ol_free(OL_MEM_CORE, q, sizeof *q);
}

static const ol_state_ops_t SQ_OPS = {sq_get, sq_put, sq_del, sq_scan, sq_close};

int ol_state_open_sqlite(const char *path, ol_state_t **out, ol_err_t *err)
{
    sq_t *q = ol_calloc(OL_MEM_CORE, 1, sizeof *q);
    if (!q) return OL_NOMEM;
    pthread_mutex_init(&q->mu, NULL);
    if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        ol_err_set(err, "cannot open state database %s: %s", path, q->db ? sqlite3_errmsg(q->db) : "out of memory");
        sq_close(q);
        return OL_ERR;
    }
    sqlite3_busy_timeout(q->db, 5000);
    static const char *const prep[] = {
        "SELECT value, version FROM olly_state WHERE ns = ?1 AND key = ?2",
        "INSERT INTO olly_state (ns, key, value, version, updated_ns) VALUES (?1, ?2, ?3, ?4, ?5)",
        "UPDATE olly_state SET value = ?3, version = ?4, updated_ns = ?5 WHERE ns = ?1 AND key = ?2",
        "DELETE FROM olly_state WHERE ns = ?1 AND key = ?2",
        "SELECT key, value, version FROM olly_state WHERE ns = ?1 AND key >= ?2 ORDER BY key",
    };
    sqlite3_stmt **stmts[] = {&q->get, &q->ins, &q->upd, &q->del, &q->scan};
    bool ok = sqlite3_exec(q->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL) ==
                  SQLITE_OK &&
              sqlite3_exec(q->db, SCHEMA, NULL, NULL, NULL) == SQLITE_OK;
    for (size_t i = 0; ok && i < OL_ARRAY_LEN(prep); i++)
        ok = sqlite3_prepare_v2(q->db, prep[i], -1, stmts[i], NULL) == SQLITE_OK;
    if (!ok) {
        ol_err_set(err, "cannot prepare state database %s: %s", path, sqlite3_errmsg(q->db));
        sq_close(q);
        return OL_ERR;
    }
    return ol_state_wrap(&SQ_OPS, q, out);
}

int ol_state_open_memory(ol_state_t **out)
{
    ol_err_t err;
    return ol_state_open_sqlite(":memory:", out, &err);
}
