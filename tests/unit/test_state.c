/*
 * test_state.c - the versioned key/value state (state/state.h) on SQLite:
 * conditional writes (the basis of "one alert from several nodes"),
 * deletes, prefix scans, limits, and that a file survives a reopen.
 */
#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "state/state.h"
#include "test.h"

static ol_slice_t S(const char *s) { return ol_slice_cstr(s); }

static void check_cas(ol_state_t *st)
{
    uint64_t v = 0;
    CHECK_EQ_INT(ol_state_put(st, "alert", S("k1"), S("a"), OL_STATE_ABSENT, &v), OL_OK);
    CHECK_EQ_INT(v, 1);
    /* a second node's create loses */
    CHECK_EQ_INT(ol_state_put(st, "alert", S("k1"), S("b"), OL_STATE_ABSENT, &v), OL_BUSY);
    CHECK_EQ_INT(ol_state_put(st, "alert", S("k1"), S("c"), 7, &v), OL_BUSY);
    CHECK_EQ_INT(ol_state_put(st, "alert", S("k1"), S("d"), 1, &v), OL_OK);
    CHECK_EQ_INT(v, 2);
    CHECK_EQ_INT(ol_state_put(st, "alert", S("k1"), S("e"), OL_STATE_ANY, &v), OL_OK);
    CHECK_EQ_INT(v, 3);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    uint64_t got = 0;
    CHECK_EQ_INT(ol_state_get(st, "alert", S("k1"), &b, &got), OL_OK);
    CHECK(got == 3 && b.len == 1 && b.data[0] == 'e');
    /* namespaces are separate */
    CHECK_EQ_INT(ol_state_get(st, "baseline", S("k1"), &b, &got), OL_NOTFOUND);
    CHECK_EQ_INT(ol_state_del(st, "alert", S("k1"), 2), OL_BUSY);
    CHECK_EQ_INT(ol_state_del(st, "alert", S("k1"), 3), OL_OK);
    CHECK_EQ_INT(ol_state_del(st, "alert", S("k1"), OL_STATE_ANY), OL_NOTFOUND);
    CHECK_EQ_INT(ol_state_get(st, "alert", S("k1"), &b, &got), OL_NOTFOUND);
    ol_buf_free(&b);
}

typedef struct {
    int n;
    char keys[8][16];
} seen_t;

static int collect(void *arg, ol_slice_t key, ol_slice_t value, uint64_t version)
{
    seen_t *s = arg;
    (void)value;
    (void)version;
    if (s->n < 8 && key.len < 16) {
        memcpy(s->keys[s->n], key.ptr, key.len);
        s->keys[s->n][key.len] = 0;
    }
    s->n++;
    return 0;
}

static void check_scan(ol_state_t *st)
{
    const char *keys[] = {"svc=b;x", "svc=a;2", "svc=a;1", "svd", "svc=a"};
    for (size_t i = 0; i < 5; i++) CHECK_EQ_INT(ol_state_put(st, "anomaly", S(keys[i]), S("v"), OL_STATE_ANY, NULL), OL_OK);
    seen_t s = {0};
    CHECK_EQ_INT(ol_state_scan(st, "anomaly", S("svc=a"), collect, &s), OL_OK);
    CHECK_EQ_INT(s.n, 3);
    CHECK(strcmp(s.keys[0], "svc=a") == 0 && strcmp(s.keys[1], "svc=a;1") == 0 && strcmp(s.keys[2], "svc=a;2") == 0);
    memset(&s, 0, sizeof s);
    CHECK_EQ_INT(ol_state_scan(st, "anomaly", OL_SLICE_NULL, collect, &s), OL_OK);
    CHECK_EQ_INT(s.n, 5);
    /* binary keys with zero bytes */
    uint8_t bin[3] = {0, 1, 0};
    CHECK_EQ_INT(ol_state_put(st, "bin", ol_slice(bin, 3), S("z"), OL_STATE_ABSENT, NULL), OL_OK);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    CHECK_EQ_INT(ol_state_get(st, "bin", ol_slice(bin, 2), &b, NULL), OL_NOTFOUND);
    CHECK_EQ_INT(ol_state_get(st, "bin", ol_slice(bin, 3), &b, NULL), OL_OK);
    ol_buf_free(&b);
}

static void test_memory(void)
{
    ol_state_t *st = NULL;
    CHECK_EQ_INT(ol_state_open_memory(&st), OL_OK);
    if (!st) return;
    check_cas(st);
    check_scan(st);
    static char big[OL_STATE_MAX_KEY + 1];
    memset(big, 'k', sizeof big);
    CHECK_EQ_INT(ol_state_put(st, "a", ol_slice(big, sizeof big), S("v"), OL_STATE_ANY, NULL), OL_LIMIT);
    ol_state_close(st);
}

static void test_file_survives_reopen(void)
{
    char dir[] = "/tmp/olly-state-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/state.db", dir);
    ol_err_t err;
    ol_state_t *st = NULL;
    CHECK_EQ_INT(ol_state_open_sqlite(path, &st, &err), OL_OK);
    if (!st) return;
    uint8_t blob[300];
    for (size_t i = 0; i < sizeof blob; i++) blob[i] = (uint8_t)(i * 7);
    CHECK_EQ_INT(ol_state_put(st, "baseline", S("svc=checkout"), ol_slice(blob, sizeof blob), OL_STATE_ANY, NULL), OL_OK);
    CHECK_EQ_INT(ol_state_put(st, "baseline", S("svc=checkout"), ol_slice(blob, sizeof blob), OL_STATE_ANY, NULL), OL_OK);
    ol_state_close(st);
    st = NULL;
    CHECK_EQ_INT(ol_state_open_sqlite(path, &st, &err), OL_OK);
    if (!st) return;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_CORE, 0);
    uint64_t v = 0;
    CHECK_EQ_INT(ol_state_get(st, "baseline", S("svc=checkout"), &b, &v), OL_OK);
    CHECK(v == 2 && b.len == sizeof blob && memcmp(b.data, blob, sizeof blob) == 0);
    ol_buf_free(&b);
    ol_state_close(st);
    /* a path that cannot be opened is an error with a message */
    snprintf(path, sizeof path, "%s/missing/dir/state.db", dir);
    CHECK_EQ_INT(ol_state_open_sqlite(path, &st, &err), OL_ERR);
    CHECK(strstr(err.msg, "state database") != NULL);
    ol_test_rm_rf(dir);
}

int main(void)
{
    RUN(test_memory);
    RUN(test_file_survives_reopen);
    return TEST_REPORT();
}
