/*
 * nab_run.c - `nab_run`: Olly's single-signal detector over the NAB corpus.
 *
 *   nab_run --nab DIR --out DIR [--name olly] [--only SUBSTR] [--per-file] [--set NAME=VALUE]...
 *
 * Each of NAB's files is one signal, read as a stream: a fresh detector
 * (src/analyze/uni.h, the code the server runs, kind GENERIC, step and
 * warm-up at their defaults) sees the rows in file order, one update per
 * row, and its verdict's score is the row's anomaly_score. Nothing is
 * tuned per file and nothing looks ahead.
 *
 * The scores are written in NAB's results layout,
 * <out>/<name>/<category>/<name>_<file>.csv with the header
 * timestamp,value,anomaly_score (timestamp and value exactly as in the data
 * file, the score with 17 significant digits so it reads back exactly), so
 * that NAB's own scorer can check them. They are then read back from those
 * files, as nab_score would, and scored with the exhaustive threshold
 * sweep: the three profile scores, the thresholds, and per category the
 * windows hit and missed and the false-positive rows. The time per point
 * counts the detector's updates only (not reading, writing or scoring).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "analyze/uni.h"
#include "core/buf.h"
#include "nab/nab_score.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: nab_run --nab DIR --out DIR [--name NAME] [--only SUBSTR] [--per-file]\n"
            "  --name   detector name in the results layout (default olly)\n"
            "  --only   run only the files whose name contains SUBSTR (the score is then a subset score)\n"
            "  --set    override one detector parameter for the whole corpus (ol_an_uni_param_set), repeatable;\n"
            "           the scores are then not the default configuration's\n");
    exit(2);
}

static int mkdir_p(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST) return -1;
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One file through a fresh detector; a[i] = the verdict's score. */
static ol_an_uni_params_t g_params;

static int run_file(const ol_nab_file_t *f, double *a, int64_t *ns, uint64_t *ignored, size_t *bytes)
{
    ol_an_uni_options_t opt = {.params = &g_params, .kind = OL_AN_SIG_GENERIC, .step_ns = 0, .warmup = 0};
    ol_an_uni_t *u = NULL;
    int rc = ol_an_uni_create(&opt, &u);
    if (rc != OL_OK) {
        fprintf(stderr, "nab_run: %s: ol_an_uni_create: %s\n", f->name, ol_rc_str(rc));
        return rc;
    }
    int64_t t0 = now_ns();
    for (uint32_t i = 0; i < f->n; i++) {
        ol_an_verdict_t v;
        rc = ol_an_uni_update(u, f->t_us[i] * 1000, f->value[i], &v, NULL);
        if (rc == OL_AGAIN) {
            (*ignored)++; /* a timestamp that goes back: the detector skips the point */
        } else if (rc != OL_OK) {
            fprintf(stderr, "nab_run: %s row %u: ol_an_uni_update: %s\n", f->name, i, ol_rc_str(rc));
            ol_an_uni_destroy(u);
            return rc;
        }
        a[i] = v.score;
    }
    *ns += now_ns() - t0;
    if (ol_an_uni_bytes(u) > *bytes) *bytes = ol_an_uni_bytes(u);
    ol_an_uni_destroy(u);
    for (uint32_t i = 0; i < f->n; i++) {
        if (!(a[i] >= 0 && a[i] <= 1)) {
            fprintf(stderr, "nab_run: %s row %u: the detector's score %g is not in [0,1]\n", f->name, i, a[i]);
            return OL_ERR;
        }
    }
    return OL_OK;
}

static int write_file(const char *out, const char *name, const ol_nab_file_t *f, const double *a)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", out, name, f->category);
    if (mkdir_p(path) != 0) {
        fprintf(stderr, "nab_run: mkdir %s: %s\n", path, strerror(errno));
        return OL_ERR;
    }
    snprintf(path, sizeof path, "%s/%s/%s/%s_%s.csv", out, name, f->category, name, f->base);
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ANALYZE, 0);
    ol_buf_append_cstr(&b, "timestamp,value,anomaly_score\n");
    for (uint32_t i = 0; i < f->n; i++) {
        ol_buf_append_slice(&b, f->t_text[i]);
        ol_buf_append_u8(&b, ',');
        ol_buf_append_slice(&b, f->v_text[i]);
        ol_buf_printf(&b, ",%.17g\n", a[i]);
    }
    int rc = b.err;
    FILE *fp = rc == OL_OK ? fopen(path, "w") : NULL;
    if (!fp || fwrite(b.data, 1, b.len, fp) != b.len) rc = OL_ERR;
    if (fp && fclose(fp) != 0) rc = OL_ERR;
    if (rc != OL_OK)
        fprintf(stderr, "nab_run: cannot write %s: %s\n", path, b.err ? ol_rc_str(b.err) : strerror(errno));
    ol_buf_free(&b);
    return rc;
}

int main(int argc, char **argv)
{
    const char *nab = NULL, *out = NULL, *name = "olly", *only = NULL;
    bool per_file = false;
    int nset = 0;
    ol_an_uni_params_default(&g_params);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--nab") && i + 1 < argc) nab = argv[++i];
        else if (!strcmp(o, "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(o, "--name") && i + 1 < argc) name = argv[++i];
        else if (!strcmp(o, "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(o, "--per-file")) per_file = true;
        else if (!strcmp(o, "--set") && i + 1 < argc) {
            char pname[64];
            const char *eq = strchr(argv[++i], '=');
            if (!eq || (size_t)(eq - argv[i]) >= sizeof pname) usage();
            memcpy(pname, argv[i], (size_t)(eq - argv[i]));
            pname[eq - argv[i]] = 0;
            char *end;
            double v = strtod(eq + 1, &end);
            int src = *end ? OL_LIMIT : ol_an_uni_param_set(&g_params, pname, v);
            if (src != OL_OK) {
                fprintf(stderr, "nab_run: --set %s: %s\n", argv[i], ol_rc_str(src));
                return 2;
            }
            nset++;
        }
        else usage();
    }
    if (!nab || !out || !*name || strchr(name, '/')) usage();

    ol_err_t err = {{0}};
    ol_nab_corpus_t *c;
    int rc = ol_nab_corpus_load(nab, only, &c, &err);
    if (rc != OL_OK) {
        fprintf(stderr, "nab_run: %s\n", err.msg);
        return 1;
    }
    double **a = ol_arena_calloc(c->arena, (size_t)c->nfiles * sizeof *a);
    double **back = ol_arena_calloc(c->arena, (size_t)c->nfiles * sizeof *back);
    if (!a || !back) goto nomem;
    int64_t ns = 0;
    uint64_t ignored = 0;
    size_t bytes = 0;
    for (uint32_t f = 0; f < c->nfiles; f++) {
        a[f] = ol_arena_alloc(c->arena, (size_t)c->files[f].n * sizeof *a[f]);
        if (!a[f]) goto nomem;
        if (run_file(&c->files[f], a[f], &ns, &ignored, &bytes) != OL_OK) goto fail;
        if (write_file(out, name, &c->files[f], a[f]) != OL_OK) goto fail;
    }

    /* Score what was written, read back as any NAB scorer reads it. */
    rc = ol_nab_results_load(c, out, name, back, &err);
    if (rc != OL_OK) {
        fprintf(stderr, "nab_run: reading back: %s\n", err.msg);
        goto fail;
    }
    for (uint32_t f = 0; f < c->nfiles; f++)
        if (memcmp(a[f], back[f], (size_t)c->files[f].n * sizeof *a[f]) != 0) {
            fprintf(stderr, "nab_run: %s: the scores read back differ from the detector's\n", c->files[f].name);
            goto fail;
        }
    ol_nab_eval_t ev;
    rc = ol_nab_evaluate(c, (const double *const *)back, NULL, &ev);
    if (rc != OL_OK) goto nomem;

    printf("nab_run: detector %s (src/analyze/uni.c, kind generic, default step and warm-up, %s), results in "
           "%s/%s/\n",
           name, nset ? "parameters overridden by --set" : "default parameters", out, name);
    printf("%u files, %u windows, %llu rows", c->nfiles, c->nwindows, (unsigned long long)c->nrows);
    if (only)
        printf(" -- a SUBSET (--only %s): scores are normalised over these files only and do not compare with "
               "the NAB scoreboard", only);
    printf("\n");
    ol_nab_print(stdout, c, &ev, true, per_file);
    printf("\ndetector time: %.0f ns per point (%llu points, %.3f s); state %zu bytes per signal",
           (double)ns / (double)c->nrows, (unsigned long long)c->nrows, (double)ns / 1e9, bytes);
    if (ignored) printf("; %llu rows went back in time and were skipped by the detector (score 0)",
                        (unsigned long long)ignored);
    printf("\n");
    ol_nab_corpus_destroy(c);
    return 0;
nomem:
    fprintf(stderr, "nab_run: out of memory\n");
fail:
    ol_nab_corpus_destroy(c);
    return 1;
}
