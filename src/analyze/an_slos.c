/*
 * an_slos.c - the SLO declarations file of `olly serve --slos`
 * (docs/analysis.md): {"slos":[declaration, ...]}, each declaration as
 * slo.h parses it. Names must be unique (they key the saved state); every
 * error names the declaration and field.
 */
#include "analyze/analyzer.h"

#include <stdio.h>

#include "codec/json.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/util.h"

#define OL_AN_SLOS_MAX 256u
#define OL_AN_SLOS_FILE_MAX (1u << 20)

int ol_analyzer_slos_parse(ol_slice_t json, ol_an_slo_decl_t **out, uint32_t *n_out, ol_err_t *err)
{
    *out = NULL;
    *n_out = 0;
    ol_arena_t *a = ol_arena_create(16384, 16u << 20);
    if (!a) return OL_NOMEM;
    ol_json_doc_t d;
    ol_err_t e = {{0}};
    int rc = ol_json_parse(json, a, &d, &e);
    if (rc != OL_OK) {
        ol_err_set(err, "SLO file: %s", e.msg);
        ol_arena_destroy(a);
        return rc == OL_NOMEM ? OL_NOMEM : OL_CORRUPT;
    }
    uint32_t arr = d.toks[0].kind == OL_JSON_OBJECT ? ol_json_object_get(&d, 0, "slos") : 0;
    if (!arr || d.toks[arr].kind != OL_JSON_ARRAY) {
        ol_err_set(err, "SLO file: expected an object with an array \"slos\"");
        ol_arena_destroy(a);
        return OL_CORRUPT;
    }
    if (d.toks[0].size != 1) {
        ol_err_set(err, "SLO file: unknown field next to \"slos\"");
        ol_arena_destroy(a);
        return OL_CORRUPT;
    }
    uint32_t n = d.toks[arr].size;
    if (n > OL_AN_SLOS_MAX) {
        ol_err_set(err, "SLO file: %u declarations, at most %u", n, OL_AN_SLOS_MAX);
        ol_arena_destroy(a);
        return OL_LIMIT;
    }
    ol_an_slo_decl_t *v = n ? ol_calloc(OL_MEM_ANALYZE, n, sizeof *v) : NULL;
    if (n && !v) {
        ol_arena_destroy(a);
        return OL_NOMEM;
    }
    uint32_t t = arr + 1;
    for (uint32_t i = 0; i < n && rc == OL_OK; i++, t = d.toks[t].next) {
        rc = ol_an_slo_decl_from_json(&d, t, a, &v[i], &e);
        if (rc != OL_OK) ol_err_set(err, "slos[%u]: %s", i, e.msg);
        for (uint32_t j = 0; j < i && rc == OL_OK; j++)
            if (strcmp(v[j].name, v[i].name) == 0) {
                ol_err_set(err, "slos[%u].name: '%s' is already used by slos[%u]", i, v[i].name, j);
                rc = OL_CORRUPT;
            }
    }
    ol_arena_destroy(a);
    if (rc != OL_OK) {
        if (v) ol_free(OL_MEM_ANALYZE, v, n * sizeof *v);
        return rc == OL_NOMEM ? OL_NOMEM : OL_CORRUPT;
    }
    *out = v;
    *n_out = n;
    return OL_OK;
}

int ol_analyzer_slos_load(const char *path, ol_an_slo_decl_t **out, uint32_t *n_out, ol_err_t *err)
{
    *out = NULL;
    *n_out = 0;
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ANALYZE, 0);
    int rc = ol_read_file(path, OL_AN_SLOS_FILE_MAX, &b, err);
    if (rc == OL_OK) {
        ol_err_t e = {{0}};
        rc = ol_analyzer_slos_parse(ol_buf_slice(&b), out, n_out, &e);
        if (rc != OL_OK) ol_err_set(err, "%s: %s", path, e.msg);
    }
    ol_buf_free(&b);
    return rc;
}

void ol_analyzer_slos_free(ol_an_slo_decl_t *decls, uint32_t n)
{
    if (decls) ol_free(OL_MEM_ANALYZE, decls, n * sizeof *decls);
}
