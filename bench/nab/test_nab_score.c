/*
 * test_nab_score.c - checks the NAB scorer (nab_score.c) against hand-worked
 * cases and against NAB's published figures.
 *
 *   test_nab_score NAB_DIR
 *
 * Synthetic cases (no data needed) pin each rule of SCORING.md with an
 * answer worked out by hand: a window hit at its first row scores A_TP, a
 * miss -A_FN, an FP before any window -A_FP, an FP just after a window
 * less, probation rows nothing, the sweep's tie rule; the sweep is also
 * compared with brute force on random corpora. The loaders are checked on
 * a small NAB tree written to a temporary directory, including the error
 * messages for bad input.
 *
 * Published figures (NAB_DIR = ../shared/data/nab):
 *   (a) Numenta's stored per-row output with NAB's thresholds gives the raw
 *       scores 46.6345 / 30.4311 / 26.6345 and 70.10 / 63.12 / 74.32, and
 *       every file's raw score equals numenta_<profile>_scores.csv;
 *   (b) the sweep gives 70.10 / 63.21 / 74.32;
 *   (c) every other detector: only its per-file summaries are stored (no
 *       per-row scores), so what can be checked is checked: its per-file
 *       row counts against our windows and probation, the per-file scores
 *       that follow from the counts alone, and our normalisation of its
 *       stored raw total against final_results.json.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec/json.h"
#include "nab/nab_score.h"
#include "test.h"

static const char *g_nab;

static const ol_nab_profile_t P_STD = {"standard", 1.0, 0.11, 1.0};
static const ol_nab_profile_t P_LFP = {"reward_low_FP_rate", 1.0, 0.22, 1.0};
static const ol_nab_profile_t P_LFN = {"reward_low_FN_rate", 1.0, 0.11, 2.0};

#define NEAR(x, y, tol) (fabs((x) - (y)) <= (tol))
#define CHECK_NEAR(x, y, tol)                                                                              \
    do {                                                                                                   \
        double x_ = (x), y_ = (y);                                                                         \
        if (!NEAR(x_, y_, tol)) {                                                                          \
            ol_test_failed_checks++;                                                                       \
            fprintf(stderr, "  %s:%d: %s = %.12g, expected %.12g\n", __FILE__, __LINE__, #x, x_, y_);      \
        }                                                                                                  \
    } while (0)

/* One hand-built file: n rows, probation as NAB computes it. */
static ol_nab_file_t mkfile(uint32_t n, const ol_nab_window_t *w, uint32_t nw)
{
    ol_nab_file_t f = {0};
    f.name = "synthetic/f.csv";
    f.category = "synthetic";
    f.base = "f";
    f.n = n;
    f.probation = ol_nab_probation(n);
    f.win = w;
    f.nwin = nw;
    return f;
}

static double score1(const ol_nab_file_t *f, const ol_nab_profile_t *p, const double *a, double th,
                     ol_nab_counts_t *c)
{
    ol_nab_counts_t cc;
    CHECK_EQ_INT(ol_nab_score_file(f, p, a, th, &cc), OL_OK);
    if (c) *c = cc;
    return cc.score;
}

static void test_constants(void)
{
    CHECK_NEAR(ol_nab_max_tp(), 0.9866142981514303, 1e-15);
    CHECK_NEAR(ol_nab_sigmoid(-0.5), 0.84828, 5e-6);
    CHECK_NEAR(ol_nab_sigmoid(0), 0.0, 0);
    CHECK_NEAR(ol_nab_sigmoid(3.0000001), -1.0, 0);
    CHECK(ol_nab_sigmoid(3.0) > -1.0); /* "-1 if y > 3": 3 itself is still the curve */
    CHECK_EQ_INT(ol_nab_probation(100), 15);
    CHECK_EQ_INT(ol_nab_probation(4999), 749); /* floor(749.85) */
    CHECK_EQ_INT(ol_nab_probation(5000), 750);
    CHECK_EQ_INT(ol_nab_probation(22695), 750);
    CHECK_EQ_INT(ol_nab_probation(6), 0);
}

/* n = 200 (probation 30), one window [100,119] (W = 20). */
static const ol_nab_window_t W1[] = {{100, 119}};

static void test_window_hit(void)
{
    ol_nab_file_t f = mkfile(200, W1, 1);
    double a[200] = {0};
    ol_nab_counts_t c;
    a[100] = 1;
    CHECK_NEAR(score1(&f, &P_STD, a, 0.5, &c), 1.0, 1e-12); /* first row: exactly A_TP */
    CHECK_EQ_INT(c.win_hit, 1);
    CHECK_EQ_INT(c.win_miss, 0);
    CHECK_EQ_INT(c.fp_rows, 0);
    CHECK_NEAR(score1(&f, &P_LFN, a, 0.5, NULL), 1.0, 1e-12);
    a[110] = 1; /* a later detection in the same window adds nothing, costs nothing */
    CHECK_NEAR(score1(&f, &P_STD, a, 0.5, &c), 1.0, 1e-12);
    CHECK_EQ_INT(c.tp_rows, 2);
    a[100] = 0; /* from the middle: y = -(119-110+1)/20 = -0.5, sigma(-0.5)/maxTP */
    CHECK_NEAR(score1(&f, &P_STD, a, 0.5, NULL), 0.8597925669097837, 1e-12);
    a[110] = 0;
    a[119] = 1; /* last row: y = -1/20 */
    CHECK_NEAR(score1(&f, &P_STD, a, 0.5, NULL), 0.1260401374727592, 1e-12);
    a[119] = 0.4; /* below the threshold: a miss */
    CHECK_NEAR(score1(&f, &P_STD, a, 0.5, NULL), -1.0, 1e-12);
    CHECK_NEAR(score1(&f, &P_STD, a, 0.4, NULL), 0.1260401374727592, 1e-12); /* a >= theta detects */
}

static void test_window_miss(void)
{
    ol_nab_file_t f = mkfile(200, W1, 1);
    double a[200] = {0};
    ol_nab_counts_t c;
    CHECK_NEAR(score1(&f, &P_STD, a, 0.5, &c), -1.0, 1e-12);
    CHECK_EQ_INT(c.win_miss, 1);
    CHECK_NEAR(score1(&f, &P_LFP, a, 0.5, NULL), -1.0, 1e-12);
    CHECK_NEAR(score1(&f, &P_LFN, a, 0.5, NULL), -2.0, 1e-12);
}

static void test_fp_before_window(void)
{
    ol_nab_file_t f = mkfile(200, W1, 1);
    double a[200] = {0};
    ol_nab_counts_t c;
    a[50] = 1; /* an FP, and the window is missed */
    CHECK_NEAR(score1(&f, &P_STD, a, 0.5, &c), -1.11, 1e-12);
    CHECK_EQ_INT(c.fp_rows, 1);
    CHECK_NEAR(score1(&f, &P_LFP, a, 0.5, NULL), -1.22, 1e-12);
    CHECK_NEAR(score1(&f, &P_LFN, a, 0.5, NULL), -2.11, 1e-12);
    ol_nab_file_t g = mkfile(200, NULL, 0); /* no window at all: every FP is -A_FP */
    a[199] = 1;
    CHECK_NEAR(score1(&g, &P_STD, a, 0.5, NULL), -0.22, 1e-12);
}

static void test_fp_after_window(void)
{
    ol_nab_file_t f = mkfile(200, W1, 1);
    double a[200] = {0};
    a[100] = 1;
    a[120] = 1; /* right after the window: y = 1/(W-1) = 1/19 */
    double s = score1(&f, &P_STD, a, 0.5, NULL);
    CHECK_NEAR(s, 1.0 - 0.014390730906933252, 1e-12);
    CHECK(s - 1.0 > -0.11 / 2); /* penalised much less than -A_FP */
    CHECK_NEAR(score1(&f, &P_LFP, a, 0.5, NULL), 1.0 - 0.028781461813866503, 1e-12);
    a[120] = 0;
    a[177] = 1; /* y = 58/19 > 3: the full -A_FP */
    CHECK_NEAR(score1(&f, &P_STD, a, 0.5, NULL), 1.0 - 0.11, 1e-12);
    /* The penalty grows with the distance. */
    double prev = 0;
    for (uint32_t i = 120; i < 200; i++) {
        double w[200];
        ol_nab_weights(&f, &P_STD, w);
        CHECK(w[i] < 0 && w[i] >= -0.11);
        if (i > 120) CHECK(w[i] <= prev);
        prev = w[i];
    }
}

static void test_probation(void)
{
    ol_nab_file_t f = mkfile(200, NULL, 0); /* probation 30 */
    double a[200] = {0};
    ol_nab_counts_t c;
    for (int i = 0; i < 30; i++) a[i] = 1;
    CHECK_NEAR(score1(&f, &P_STD, a, 0.5, &c), 0.0, 0);
    CHECK_EQ_INT(c.fp_rows, 0);
    a[30] = 1;
    CHECK_NEAR(score1(&f, &P_STD, a, 0.5, NULL), -0.11, 1e-12);

    /* A window wholly in the probation period is neither hit nor missed. */
    static const ol_nab_window_t wp[] = {{5, 10}};
    ol_nab_file_t g = mkfile(200, wp, 1);
    double b[200] = {0};
    CHECK_NEAR(score1(&g, &P_STD, b, 0.5, &c), 0.0, 0);
    CHECK_EQ_INT(c.win_miss, 0);
    b[8] = 1;
    CHECK_NEAR(score1(&g, &P_STD, b, 0.5, &c), 0.0, 0);
    CHECK_EQ_INT(c.win_hit, 0);
    b[8] = 0;
    b[30] = 1; /* FP after it: y = (30-10)/(6-1) = 4 > 3 */
    CHECK_NEAR(score1(&g, &P_STD, b, 0.5, NULL), -0.11, 1e-12);

    /* A window across the boundary: only its rows >= 30 count, with the
     * weights of the whole window: row 30 of [20,39] is y = -0.5. */
    static const ol_nab_window_t wx[] = {{20, 39}};
    ol_nab_file_t h = mkfile(200, wx, 1);
    double d[200] = {0};
    d[25] = 1;
    CHECK_NEAR(score1(&h, &P_STD, d, 0.5, &c), -1.0, 1e-12);
    CHECK_EQ_INT(c.tp_rows, 0);
    d[30] = 1;
    CHECK_NEAR(score1(&h, &P_STD, d, 0.5, NULL), 0.8597925669097837, 1e-12);
}

static double sweep1(const ol_nab_file_t *f, uint32_t nf, const double *const *a, const ol_nab_profile_t *p)
{
    double th = -1, best;
    CHECK_EQ_INT(ol_nab_sweep(f, nf, a, p, &th, &best), OL_OK);
    return th;
}

static void test_sweep_tie(void)
{
    ol_nab_file_t f = mkfile(200, W1, 1);
    double a[200] = {0};
    const double *pa[1] = {a};
    /* S(0.9) = 1 (first row) and S(0.8) = 1 (a later row adds nothing):
     * the tie goes to the higher threshold. */
    a[100] = 0.9;
    a[110] = 0.8;
    CHECK_NEAR(sweep1(&f, 1, pa, &P_STD), 0.9, 0);
    /* Lower threshold strictly better: taken. */
    a[100] = 0.5;
    a[110] = 0.9;
    CHECK_NEAR(sweep1(&f, 1, pa, &P_STD), 0.5, 0);
    /* Nothing worth detecting: 1.1 (no detection) wins over every score. */
    ol_nab_file_t g = mkfile(200, NULL, 0);
    double b[200];
    const double *pb[1] = {b};
    for (int i = 0; i < 200; i++) b[i] = 0.3 + 0.001 * i;
    CHECK_NEAR(sweep1(&g, 1, pb, &P_STD), OL_NAB_NO_DETECTION, 0);
    /* Detecting 0.95 in the window and an FP at 0.95 elsewhere; the FP at
     * 0.7 costs, so the best is the highest candidate reaching it: 0.95. */
    memset(a, 0, sizeof a);
    a[100] = 0.95;
    a[60] = 0.95;
    a[70] = 0.7;
    CHECK_NEAR(sweep1(&f, 1, pa, &P_STD), 0.95, 0);
}

/* Sweep against brute force: every candidate scored directly. */
static void test_sweep_bruteforce(void)
{
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    for (int trial = 0; trial < 60; trial++) {
        enum { NF = 4 };
        ol_nab_file_t files[NF];
        ol_nab_window_t wins[NF][4];
        double *a[NF];
        double cand[NF * 400 + 1];
        size_t nc = 0;
        cand[nc++] = OL_NAB_NO_DETECTION;
        for (int f = 0; f < NF; f++) {
            uint32_t n = 20 + (uint32_t)(ol_test_rng(&rng) % 380);
            uint32_t nw = (uint32_t)(ol_test_rng(&rng) % 4), k = 0, at = 0;
            for (uint32_t j = 0; j < nw; j++) {
                uint32_t gap = 1 + (uint32_t)(ol_test_rng(&rng) % (n / 4 + 1));
                uint32_t w = 1 + (uint32_t)(ol_test_rng(&rng) % (n / 8 + 1));
                if (at + gap + w >= n) break;
                wins[f][k++] = (ol_nab_window_t){at + gap, at + gap + w - 1};
                at += gap + w;
            }
            files[f] = mkfile(n, wins[f], k);
            a[f] = malloc(n * sizeof *a[f]);
            /* Coarse scores (ties) with a few high ones in the windows. */
            for (uint32_t i = 0; i < n; i++) a[f][i] = (double)(ol_test_rng(&rng) % 21) / 20.0;
            for (uint32_t j = 0; j < k; j++)
                a[f][wins[f][j].l + (uint32_t)(ol_test_rng(&rng) % (wins[f][j].r - wins[f][j].l + 1))] = 0.97;
            for (uint32_t i = files[f].probation; i < n; i++) cand[nc++] = a[f][i];
        }
        for (int k = 0; k < OL_NAB_NPROFILES; k++) {
            const ol_nab_profile_t *p = k == 0 ? &P_STD : k == 1 ? &P_LFP : &P_LFN;
            double th, best;
            CHECK_EQ_INT(ol_nab_sweep(files, NF, (const double *const *)a, p, &th, &best), OL_OK);
            /* Brute force: the highest candidate reaching the maximum. */
            double bmax = -INFINITY, bth = 0;
            for (size_t i = 0; i < nc; i++) {
                ol_nab_counts_t t;
                CHECK_EQ_INT(ol_nab_score_corpus(files, NF, (const double *const *)a, p, cand[i], &t, NULL), OL_OK);
                if (t.score > bmax + 1e-9 || (NEAR(t.score, bmax, 1e-9) && cand[i] > bth)) {
                    if (t.score > bmax + 1e-9) bmax = t.score;
                    bth = cand[i];
                }
            }
            ol_nab_counts_t t;
            CHECK_EQ_INT(ol_nab_score_corpus(files, NF, (const double *const *)a, p, th, &t, NULL), OL_OK);
            CHECK_NEAR(t.score, bmax, 1e-9);
            CHECK_NEAR(best, bmax, 1e-9);
            CHECK_NEAR(th, bth, 0);
        }
        for (int f = 0; f < NF; f++) free(a[f]);
    }
}

static void test_normalise(void)
{
    static const ol_nab_window_t w2[] = {{100, 119}, {150, 160}};
    ol_nab_file_t f[2] = {mkfile(200, W1, 1), mkfile(200, w2, 2)};
    double sn, sp;
    CHECK_EQ_INT(ol_nab_bounds(f, 2, &P_STD, &sn, &sp), OL_OK);
    CHECK_NEAR(sn, -3.0, 1e-12);
    CHECK_NEAR(sp, 3.0, 1e-12);
    CHECK_EQ_INT(ol_nab_bounds(f, 2, &P_LFN, &sn, &sp), OL_OK);
    CHECK_NEAR(sn, -6.0, 1e-12);
    double a0[200] = {0}, a1[200] = {0};
    a0[100] = a1[100] = a1[150] = 1;
    const double *pa[2] = {a0, a1};
    ol_nab_counts_t t;
    CHECK_EQ_INT(ol_nab_score_corpus(f, 2, pa, &P_LFN, 0.5, &t, NULL), OL_OK);
    CHECK_NEAR(ol_nab_normalise(t.score, sn, sp), 100.0, 1e-9);
    CHECK_NEAR(ol_nab_normalise(sn, sn, sp), 0.0, 0);
}

/* ---------------------------------------------------------- the loaders */

static void put(const char *dir, const char *rel, const char *text)
{
    char path[4096], cmd[4200];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    CHECK(system(cmd) == 0);
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (!fp) return;
    fputs(text, fp);
    fclose(fp);
}

static const char *PROFILES =
    "{\"standard\":{\"CostMatrix\":{\"tpWeight\":1.0,\"fnWeight\":1.0,\"fpWeight\":0.11,\"tnWeight\":1.0}},"
    "\"reward_low_FP_rate\":{\"CostMatrix\":{\"tpWeight\":1.0,\"fnWeight\":1.0,\"fpWeight\":0.22,\"tnWeight\":1}},"
    "\"reward_low_FN_rate\":{\"CostMatrix\":{\"tpWeight\":1.0,\"fnWeight\":2.0,\"fpWeight\":0.11,\"tnWeight\":1}}}";

/* A 40-row file, one row a minute from 2014-01-01 00:00, with a repeated
 * timestamp at rows 20 and 21 (as a clock change leaves in NAB's data). */
static void put_data(const char *dir, const char *rel, bool trailing_nl)
{
    char text[4096];
    size_t o = (size_t)snprintf(text, sizeof text, "timestamp,value\r\n");
    for (int i = 0; i < 40; i++) {
        int m = i > 20 ? i - 1 : i;
        o += (size_t)snprintf(text + o, sizeof text - o, "2014-01-01 00:%02d:00,%d.5%s", m, i,
                              i < 39 || trailing_nl ? "\n" : "");
    }
    put(dir, rel, text);
}

static void test_loader(void)
{
    char dir[] = "/tmp/test_nab_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    put(dir, "config/profiles.json", PROFILES);
    put(dir, "labels/combined_windows.json",
        "{\"catA/one.csv\": [[\"2014-01-01 00:10:00.000000\", \"2014-01-01 00:14:00.000000\"],"
        "                   [\"2014-01-01 00:20:00.000000\", \"2014-01-01 00:25:00.000000\"]],"
        " \"catB/two.csv\": []}");
    put_data(dir, "data/catA/one.csv", true);
    put_data(dir, "data/catB/two.csv", false);
    ol_err_t err = {{0}};
    ol_nab_corpus_t *c = NULL;
    int rc = ol_nab_corpus_load(dir, NULL, &c, &err);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc != OL_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        ol_test_rm_rf(dir);
        return;
    }
    CHECK_EQ_INT(c->nfiles, 2);
    CHECK_EQ_INT(c->nwindows, 2);
    CHECK_NEAR(c->prof[1].a_fp, 0.22, 0);
    CHECK_NEAR(c->prof[2].a_fn, 2.0, 0);
    const ol_nab_file_t *f = &c->files[0];
    CHECK(strcmp(f->category, "catA") == 0 && strcmp(f->base, "one") == 0);
    CHECK_EQ_INT(f->n, 40);
    CHECK_EQ_INT(f->probation, 6);
    CHECK_EQ_INT(f->win[0].l, 10);
    CHECK_EQ_INT(f->win[0].r, 14);
    CHECK_EQ_INT(f->win[1].l, 20); /* first of the two 00:20 rows */
    CHECK_EQ_INT(f->win[1].r, 26); /* row 26 is 00:25 */
    CHECK(ol_slice_eq_cstr(f->t_text[39], "2014-01-01 00:38:00"));
    CHECK(ol_slice_eq_cstr(f->v_text[3], "3.5"));
    CHECK_NEAR(f->value[39], 39.5, 0);
    CHECK_EQ_INT(c->files[1].n, 40); /* no trailing newline */
    CHECK_NEAR(c->files[1].value[39], 39.5, 0);
    ol_nab_corpus_destroy(c);

    rc = ol_nab_corpus_load(dir, "two", &c, &err);
    CHECK_EQ_INT(rc, OL_OK);
    if (rc == OL_OK) {
        CHECK_EQ_INT(c->nfiles, 1);
        /* Results: header with extra columns; the detector's scores. */
        char text[4096];
        size_t o = (size_t)snprintf(text, sizeof text, "timestamp,value,anomaly_score,label\n");
        for (uint32_t i = 0; i < 40; i++)
            o += (size_t)snprintf(text + o, sizeof text - o, "%.*s,1,%g,0\n", (int)c->files[0].t_text[i].len,
                                  (const char *)c->files[0].t_text[i].ptr, i == 30 ? 0.75 : 0.0);
        put(dir, "res/det/catB/det_two.csv", text);
        char rdir[600];
        snprintf(rdir, sizeof rdir, "%s/res", dir);
        double *a[1] = {NULL};
        rc = ol_nab_results_load(c, rdir, "det", a, &err);
        CHECK_EQ_INT(rc, OL_OK);
        if (rc == OL_OK) CHECK_NEAR(a[0][30], 0.75, 0);
        /* Damaged results: each error names the file and line. */
        char *bad = strdup(text);
        char *line5 = bad;
        for (int l = 0; l < 4; l++) line5 = strchr(line5, '\n') + 1;
        char *sc = strchr(strchr(line5, ',') + 1, ',') + 1;
        *sc = '7'; /* anomaly_score 7 on line 5 */
        put(dir, "res/det/catB/det_two.csv", bad);
        CHECK_EQ_INT(ol_nab_results_load(c, rdir, "det", a, &err), OL_CORRUPT);
        CHECK(strstr(err.msg, "det_two.csv:5:") && strstr(err.msg, "anomaly_score"));
        free(bad);
        put(dir, "res/det/catB/det_two.csv", "timestamp,value,anomaly_score\n2014-01-01 00:00:00,1,0\n");
        CHECK_EQ_INT(ol_nab_results_load(c, rdir, "det", a, &err), OL_CORRUPT);
        CHECK(strstr(err.msg, "det_two.csv: 1 rows, the data file has 40"));
        put(dir, "res/det/catB/det_two.csv", "timestamp,value,anomaly_score\n2014-01-01 00:01:00,1,0\n");
        CHECK_EQ_INT(ol_nab_results_load(c, rdir, "det", a, &err), OL_CORRUPT);
        CHECK(strstr(err.msg, "det_two.csv:2: timestamp"));
        ol_nab_corpus_destroy(c);
    }

    /* Damaged data and labels. */
    put(dir, "data/catB/two.csv", "timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:01:00,x1\n");
    CHECK_EQ_INT(ol_nab_corpus_load(dir, NULL, &c, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "two.csv:3: bad value"));
    put(dir, "data/catB/two.csv", "timestamp,value\n2014-01-01 00:00:00,1\n2014-13-01 00:01:00,1\n");
    CHECK_EQ_INT(ol_nab_corpus_load(dir, NULL, &c, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "two.csv:3: bad timestamp"));
    put(dir, "data/catB/two.csv", "timestamp,value\n2014-01-01 00:00:00,1,2\n");
    CHECK_EQ_INT(ol_nab_corpus_load(dir, NULL, &c, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "two.csv:2: expected 2 fields"));
    put_data(dir, "data/catB/two.csv", false);
    put(dir, "labels/combined_windows.json",
        "{\"catA/one.csv\": [[\"2014-01-01 00:10:30.000000\", \"2014-01-01 00:14:00.000000\"]], \"catB/two.csv\": []}");
    CHECK_EQ_INT(ol_nab_corpus_load(dir, NULL, &c, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "no data row has its start timestamp"));
    put(dir, "labels/combined_windows.json", "{\"catA/one.csv\": [[\"2014-01-01 00:10:00.000000\"]]}");
    CHECK_EQ_INT(ol_nab_corpus_load(dir, NULL, &c, &err), OL_CORRUPT);
    put(dir, "labels/combined_windows.json", "{\"catA/one.csv\": [}");
    CHECK_EQ_INT(ol_nab_corpus_load(dir, NULL, &c, &err), OL_CORRUPT);
    CHECK(strstr(err.msg, "combined_windows.json"));
    ol_test_rm_rf(dir);
}

/* --------------------------------------------------- NAB's own figures */

typedef struct stored_row {
    char file[256];
    double threshold, score;
    long tp, tn, fp, fn, total;
} stored_row_t;

/* results/<det>/<det>_<profile>_scores.csv: per-file rows and Totals. */
static int read_scores_csv(ol_nab_corpus_t *c, const char *det, const char *prof, stored_row_t **rows, int *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/results/%s/%s_%s_scores.csv", g_nab, det, det, prof);
    uint8_t *data;
    size_t len;
    ol_err_t err;
    if (ol_nab_read_file(c->arena, path, &data, &len, &err) != OL_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        return OL_ERR;
    }
    ol_nab_csv_t r;
    ol_nab_csv_init(&r, path, data, len);
    ol_slice_t fl[12];
    int nf = ol_nab_csv_next(&r, fl, 12, &err);
    if (nf != 10 || !ol_slice_eq_cstr(fl[4], "Score")) return OL_CORRUPT;
    *rows = calloc(128, sizeof **rows);
    *n = 0;
    while ((nf = ol_nab_csv_next(&r, fl, 12, &err)) > 0 && *n < 128) {
        stored_row_t *x = &(*rows)[(*n)++];
        if (nf != 10) return OL_CORRUPT;
        snprintf(x->file, sizeof x->file, "%.*s", (int)fl[2].len, (const char *)fl[2].ptr);
        double v[7];
        for (int j = 0; j < 7; j++) {
            if (j == 0 && fl[3].len == 0) {
                v[0] = NAN;
                continue;
            }
            if (ol_nab_parse_double(fl[3 + j], &v[j]) != OL_OK) {
                fprintf(stderr, "  %s:%u: bad field %d\n", path, r.line, 3 + j);
                return OL_CORRUPT;
            }
        }
        x->threshold = v[0];
        x->score = v[1];
        x->tp = (long)v[2], x->tn = (long)v[3], x->fp = (long)v[4], x->fn = (long)v[5], x->total = (long)v[6];
        if (ol_slice_eq_cstr(fl[0], "Totals")) snprintf(x->file, sizeof x->file, "Totals");
    }
    return nf < 0 ? nf : OL_OK;
}

static int file_index(const ol_nab_corpus_t *c, const char *name)
{
    for (uint32_t f = 0; f < c->nfiles; f++)
        if (strcmp(c->files[f].name, name) == 0) return (int)f;
    return -1;
}

static ol_nab_corpus_t *load_corpus(void)
{
    ol_err_t err = {{0}};
    ol_nab_corpus_t *c = NULL;
    if (ol_nab_corpus_load(g_nab, NULL, &c, &err) != OL_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        ol_test_failed_checks++;
        return NULL;
    }
    return c;
}

static double **load_results(ol_nab_corpus_t *c, const char *det)
{
    char rdir[4096];
    snprintf(rdir, sizeof rdir, "%s/results", g_nab);
    double **a = ol_arena_calloc(c->arena, c->nfiles * sizeof *a);
    ol_err_t err = {{0}};
    if (!a || ol_nab_results_load(c, rdir, det, a, &err) != OL_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        ol_test_failed_checks++;
        return NULL;
    }
    return a;
}

static void fmt_check(const char *what, double v, int dec, const char *want)
{
    char got[64];
    snprintf(got, sizeof got, "%.*f", dec, v);
    printf("    %-34s %-10s (expected %s)\n", what, got, want);
    if (strcmp(got, want) != 0) {
        ol_test_failed_checks++;
        fprintf(stderr, "  %s: got %s, expected %s\n", what, got, want);
    }
}

static void test_numenta_published_thresholds(void)
{
    ol_nab_corpus_t *c = load_corpus();
    if (!c) return;
    CHECK_EQ_INT(c->nfiles, 58);
    CHECK_EQ_INT(c->nwindows, 116);
    CHECK_EQ_INT(c->nrows, 365558);
    double **a = load_results(c, "numenta");
    double thr[OL_NAB_NPROFILES], stored_raw[OL_NAB_NPROFILES];
    ol_err_t err = {{0}};
    if (!a || ol_nab_thresholds_load(c, g_nab, "numenta", thr, stored_raw, &err) != OL_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        ol_test_failed_checks++;
        ol_nab_corpus_destroy(c);
        return;
    }
    ol_nab_eval_t ev;
    CHECK_EQ_INT(ol_nab_evaluate(c, (const double *const *)a, thr, &ev), OL_OK);
    static const char *raw_want[] = {"46.6345", "30.4311", "26.6345"};
    static const char *norm_want[] = {"70.10", "63.12", "74.32"};
    printf("  (a) numenta, NAB's thresholds:\n");
    double maxdiff = 0;
    for (int k = 0; k < OL_NAB_NPROFILES; k++) {
        char what[80];
        snprintf(what, sizeof what, "raw %s", c->prof[k].name);
        fmt_check(what, ev.raw[k], 4, raw_want[k]);
        snprintf(what, sizeof what, "normalised %s", c->prof[k].name);
        fmt_check(what, ev.norm[k], 2, norm_want[k]);
        CHECK_NEAR(ev.raw[k], stored_raw[k], 1e-6);
        /* Every file against NAB's per-file scores. */
        stored_row_t *rows = NULL;
        int n = 0;
        CHECK_EQ_INT(read_scores_csv(c, "numenta", c->prof[k].name, &rows, &n), OL_OK);
        int seen = 0;
        for (int i = 0; i < n; i++) {
            if (strcmp(rows[i].file, "Totals") == 0) {
                CHECK_NEAR(ev.raw[k], rows[i].score, 1e-6);
                continue;
            }
            int f = file_index(c, rows[i].file);
            CHECK(f >= 0);
            if (f < 0) continue;
            seen++;
            const ol_nab_counts_t *x = &ev.per_file[k][f];
            double d = fabs(x->score - rows[i].score);
            if (d > maxdiff) maxdiff = d;
            if (d > 1e-6) fprintf(stderr, "  %s %s: %.9f, NAB %.9f\n", c->prof[k].name, rows[i].file, x->score,
                                  rows[i].score);
            CHECK(d <= 1e-6);
            CHECK_EQ_INT(x->tp_rows, rows[i].tp);
            CHECK_EQ_INT(x->fp_rows, rows[i].fp);
        }
        CHECK_EQ_INT(seen, 58);
        free(rows);
    }
    printf("    largest per-file difference from numenta_<profile>_scores.csv: %.2g\n", maxdiff);
    ol_nab_corpus_destroy(c);
}

static void test_numenta_sweep(void)
{
    ol_nab_corpus_t *c = load_corpus();
    if (!c) return;
    double **a = load_results(c, "numenta");
    double thr[OL_NAB_NPROFILES];
    ol_err_t err = {{0}};
    if (!a || ol_nab_thresholds_load(c, g_nab, "numenta", thr, NULL, &err) != OL_OK) {
        ol_test_failed_checks++;
        ol_nab_corpus_destroy(c);
        return;
    }
    ol_nab_eval_t ev;
    CHECK_EQ_INT(ol_nab_evaluate(c, (const double *const *)a, NULL, &ev), OL_OK);
    static const char *norm_want[] = {"70.10", "63.21", "74.32"};
    printf("  (b) numenta, swept thresholds:\n");
    for (int k = 0; k < OL_NAB_NPROFILES; k++) {
        char what[80];
        snprintf(what, sizeof what, "normalised %s", c->prof[k].name);
        fmt_check(what, ev.norm[k], 2, norm_want[k]);
        char t1[32], t2[32];
        ol_nab_fmt(ev.theta[k], t1);
        ol_nab_fmt(thr[k], t2);
        printf("    %-34s %s (NAB's %s)\n", "threshold", t1, t2);
    }
    /* Standard and low FN: NAB's thresholds are equivalent to the swept
     * ones (no score lies in [NAB's, swept)), so the same detections. */
    for (int k = 0; k < OL_NAB_NPROFILES; k += 2) {
        CHECK(thr[k] <= ev.theta[k]);
        long between = 0;
        for (uint32_t f = 0; f < c->nfiles; f++)
            for (uint32_t i = c->files[f].probation; i < c->files[f].n; i++)
                between += a[f][i] >= thr[k] && a[f][i] < ev.theta[k];
        CHECK_EQ_INT(between, 0);
    }
    /* Low FP: the sweep found a better threshold than NAB's. */
    CHECK(ev.raw[1] > 30.4311 + 0.1);
    ol_nab_corpus_destroy(c);
}

static int json_number_at(const ol_json_doc_t *d, uint32_t obj, const char *k1, const char *k2, double *out)
{
    uint32_t o = ol_json_object_get(d, obj, k1);
    if (!o || d->toks[o].kind != OL_JSON_OBJECT) return OL_NOTFOUND;
    uint32_t t = ol_json_object_get(d, o, k2);
    if (!t || d->toks[t].kind != OL_JSON_NUMBER) return OL_NOTFOUND;
    return ol_nab_parse_double(d->toks[t].text, out);
}

static void test_other_detectors(void)
{
    ol_nab_corpus_t *c = load_corpus();
    if (!c) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/results/final_results.json", g_nab);
    uint8_t *data;
    size_t len;
    ol_err_t err = {{0}};
    ol_json_doc_t fin, thj;
    CHECK_EQ_INT(ol_nab_read_file(c->arena, path, &data, &len, &err), OL_OK);
    CHECK_EQ_INT(ol_json_parse(ol_slice(data, len), c->arena, &fin, &err), OL_OK);
    snprintf(path, sizeof path, "%s/config/thresholds.json", g_nab);
    CHECK_EQ_INT(ol_nab_read_file(c->arena, path, &data, &len, &err), OL_OK);
    CHECK_EQ_INT(ol_json_parse(ol_slice(data, len), c->arena, &thj, &err), OL_OK);

    /* Per file: rows in windows and outside, after probation. */
    uint64_t *win_rows = calloc(c->nfiles, sizeof *win_rows), *out_rows = calloc(c->nfiles, sizeof *out_rows);
    for (uint32_t f = 0; f < c->nfiles; f++) {
        const ol_nab_file_t *fl = &c->files[f];
        uint64_t in = 0;
        for (uint32_t k = 0; k < fl->nwin; k++)
            if (fl->win[k].r >= fl->probation)
                in += fl->win[k].r - OL_MAX(fl->win[k].l, fl->probation) + 1;
        win_rows[f] = in;
        out_rows[f] = fl->n - fl->probation - in;
    }
    double s_null[OL_NAB_NPROFILES], s_perf[OL_NAB_NPROFILES];
    for (int k = 0; k < OL_NAB_NPROFILES; k++)
        CHECK_EQ_INT(ol_nab_bounds(c->files, c->nfiles, &c->prof[k], &s_null[k], &s_perf[k]), OL_OK);

    snprintf(path, sizeof path, "%s/results", g_nab);
    DIR *dir = opendir(path);
    CHECK(dir != NULL);
    if (!dir) goto out;
    printf("  (c) other detectors: stored raw total, normalised here vs final_results.json\n");
    printf("    %-20s %-20s %10s %9s %9s %8s %s\n", "detector", "profile", "raw", "ours", "final", "diff",
           "per-file checks");
    int ndet = 0, skipped = 0, th_mismatch = 0;
    double worst = 0;
    char names[64][256];
    int nn = 0;
    struct dirent *de;
    while ((de = readdir(dir)) && nn < 64) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "numenta") == 0) continue;
        if (!ol_json_object_get(&fin, 0, de->d_name)) continue;
        snprintf(names[nn++], sizeof names[0], "%s", de->d_name);
    }
    closedir(dir);
    qsort(names, (size_t)nn, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    for (int d = 0; d < nn; d++) {
        const char *det = names[d];
        ndet++;
        for (int k = 0; k < OL_NAB_NPROFILES; k++) {
            const ol_nab_profile_t *p = &c->prof[k];
            stored_row_t *rows = NULL;
            int n = 0;
            CHECK_EQ_INT(read_scores_csv(c, det, p->name, &rows, &n), OL_OK);
            double total = NAN;
            int nfile = 0, counts_ok = 0, score_rule = 0, score_ok = 0, known = 0;
            for (int i = 0; i < n; i++) known += file_index(c, rows[i].file) >= 0;
            for (int i = 0; i < n && known == (int)c->nfiles; i++) {
                stored_row_t *x = &rows[i];
                if (strcmp(x->file, "Totals") == 0) {
                    total = x->score;
                    continue;
                }
                int f = file_index(c, x->file);
                CHECK(f >= 0);
                if (f < 0) continue;
                nfile++;
                /* TP+FN are the scorable window rows, TN+FP the others. */
                bool ok = (uint64_t)(x->tp + x->fn) == win_rows[f] && (uint64_t)(x->tn + x->fp) == out_rows[f];
                counts_ok += ok;
                if (!ok)
                    fprintf(stderr, "  %s %s %s: TP+FN %ld TN+FP %ld, ours %llu %llu\n", det, p->name, x->file,
                            x->tp + x->fn, x->tn + x->fp, (unsigned long long)win_rows[f],
                            (unsigned long long)out_rows[f]);
                /* Scores that follow from the counts alone. */
                double want = NAN;
                if (x->tp == 0 && x->fp == 0) want = -p->a_fn * c->files[f].nwin;
                else if (c->files[f].nwin == 0) want = -p->a_fp * (double)x->fp;
                if (!isnan(want)) {
                    score_rule++;
                    score_ok += NEAR(x->score, want, 1e-9);
                    if (!NEAR(x->score, want, 1e-9))
                        fprintf(stderr, "  %s %s %s: score %.9f, from the counts %.9f\n", det, p->name, x->file,
                                x->score, want);
                }
            }
            double fin_v = NAN, th_raw = NAN;
            CHECK_EQ_INT(json_number_at(&fin, 0, det, p->name, &fin_v), OL_OK);
            double ours = ol_nab_normalise(total, s_null[k], s_perf[k]);
            double diff = ours - fin_v;
            if (known != (int)c->nfiles) {
                /* A summary of another corpus version (NAB's `random`
                 * covers 32 files, with other row counts): nothing to
                 * compare. */
                printf("    %-20s %-20s skipped: its scores file covers %d of the %u files (stale)\n", det, p->name,
                       known, c->nfiles);
                skipped++;
                free(rows);
                continue;
            }
            CHECK_EQ_INT(nfile, (int)c->nfiles);
            CHECK_EQ_INT(counts_ok, nfile);
            CHECK_EQ_INT(score_ok, score_rule);
            if (fabs(diff) > worst) worst = fabs(diff);
            CHECK(NEAR(ours, fin_v, 1e-6));
            printf("    %-20s %-20s %10.4f %9.4f %9.4f %8.1e counts %d/%d, scores %d/%d\n", det, p->name, total, ours,
                   fin_v, diff, counts_ok, nfile, score_ok, score_rule);
            /* thresholds.json's raw score: informative only, it disagrees
             * with the summaries for a few detectors. */
            uint32_t tdet = ol_json_object_get(&thj, 0, det);
            uint32_t po = tdet ? ol_json_object_get(&thj, tdet, p->name) : 0;
            uint32_t st = po ? ol_json_object_get(&thj, po, "score") : 0;
            if (st && ol_nab_parse_double(thj.toks[st].text, &th_raw) == OL_OK && !NEAR(th_raw, total, 1e-6))
                th_mismatch++;
            if (strcmp(det, "null") == 0) CHECK_NEAR(total, s_null[k], 1e-9);
            free(rows);
        }
    }
    printf("    %d detectors, %d profile results skipped; largest |normalised difference| %.2g\n", ndet, skipped,
           worst);
    printf("    (config/thresholds.json's raw score differs from the summary's Totals in %d results: not used)\n",
           th_mismatch);
    CHECK(ndet >= 14);
    CHECK(skipped <= 3);
out:
    free(win_rows);
    free(out_rows);
    ol_nab_corpus_destroy(c);
}

int main(int argc, char **argv)
{
    g_nab = argc > 1 ? argv[1] : NULL;
    setvbuf(stdout, NULL, _IONBF, 0); /* interleave with the harness' stderr */
    RUN(test_constants);
    RUN(test_window_hit);
    RUN(test_window_miss);
    RUN(test_fp_before_window);
    RUN(test_fp_after_window);
    RUN(test_probation);
    RUN(test_sweep_tie);
    RUN(test_sweep_bruteforce);
    RUN(test_normalise);
    RUN(test_loader);
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/labels/combined_windows.json", g_nab ? g_nab : "");
    if (!g_nab || access(probe, R_OK) != 0) {
        fprintf(stderr, "FAIL NAB data: %s not found (pass the NAB directory)\n", probe);
        ol_test_failed++;
    } else {
        RUN(test_numenta_published_thresholds);
        RUN(test_numenta_sweep);
        RUN(test_other_detectors);
    }
    return TEST_REPORT();
}
