/*
 * fuzz_an_blob.c - the detector state loaders of src/analyze (uni, CUSUM,
 * BOCPD, Holt-Winters, SLO, isolation forest, autoencoder, the pooled
 * latency histogram) over arbitrary
 * bytes: a stored baseline is read back from disk or from shared state, so
 * a damaged one must be refused, never crash or poison the detector.
 *
 * Input: byte 0 picks the loader (mod 8), byte 1 the mode, the rest is the
 * blob:
 *   odd:  the blob as is (exercises size, CRC, magic and version checks);
 *   even: the trailing 4 bytes are replaced by the CRC-32C of the bytes
 *         before them (the ol_an_wr_seal framing of verdict.c), so the
 *         fuzzer gets past the CRC into options, counts and state. (uni's
 *         blob has no CRC trailer: there both modes are plain bytes.)
 * A refused blob is OL_CORRUPT (or OL_NOMEM) and yields no detector.
 * Whatever loads must be usable: a few updates with finite, huge, NaN and
 * infinite values give verdicts with a score in [0,1] and the detector's
 * own det; then it saves, the saved blob loads again, and saving that
 * gives the identical bytes (nothing load accepts is changed by a round
 * trip, and nothing an update produces is refused by load, unless the blob
 * carried a step counter of 2^63 or more, which the updates may wrap).
 *
 * Seeds: tests/fuzz/corpus/an_blob, written by this target itself:
 *   OL_AN_BLOB_CORPUS_OUT=<dir> build-fuzz/fuzz_an_blob
 * builds each detector with small options, feeds it 300 synthetic points
 * (or a few, for not-yet-ready states), saves it and writes both modes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/autoenc.h"
#include "analyze/changepoint.h"
#include "analyze/forecast.h"
#include "analyze/iforest.h"
#include "analyze/lathist.h"
#include "analyze/slo.h"
#include "analyze/uni.h"
#include "core/util.h"

enum { FZ_UNI, FZ_CUSUM, FZ_BOCPD, FZ_FC, FZ_SLO, FZ_IFOREST, FZ_AUTOENC, FZ_LATHIST, FZ__COUNT };

/* Update inputs: finite, huge, tiny, missing and infinite values. */
static const double fz_values[] = {0.5, 1.5, -3, NAN, 1e6, 2.5, -1e-3, 1e300, 100, INFINITY, 0.25, -1e150, 7, 7, 7};
#define FZ_STEPS 24
#define FZ_T0 (INT64_MAX - 1000) /* uni ignores points older than its last one: start near the top */

static double fz_val(size_t i) { return fz_values[i % OL_ARRAY_LEN(fz_values)]; }

static void fz_check_verdict(const ol_an_verdict_t *v, int det)
{
    if (!(v->score >= 0 && v->score <= 1)) abort();
    if (det >= 0 ? v->det != det : v->det >= OL_AN_DET__COUNT) abort();
}

/* Loads blob into *out; OL_OK or the loader's code. */
static int fz_load(int kind, ol_slice_t b, void **out)
{
    switch (kind) {
    case FZ_UNI: return ol_an_uni_load(b, (ol_an_uni_t **)out);
    case FZ_CUSUM: return ol_an_cusum_load(b, (ol_an_cusum_t **)out);
    case FZ_BOCPD: return ol_an_bocpd_load(b, (ol_an_bocpd_t **)out);
    case FZ_FC: return ol_an_fc_load(b, (ol_an_fc_t **)out);
    case FZ_SLO: return ol_an_slo_load(b, (ol_an_slo_t **)out);
    case FZ_IFOREST: return ol_an_iforest_load(b, (ol_an_iforest_t **)out);
    case FZ_LATHIST: return ol_an_lathist_load(b, (ol_an_lathist_t **)out);
    default: return ol_an_autoenc_load(b, (ol_an_autoenc_t **)out);
    }
}

static int fz_save(int kind, const void *d, ol_buf_t *out)
{
    switch (kind) {
    case FZ_UNI: return ol_an_uni_save(d, out);
    case FZ_CUSUM: return ol_an_cusum_save(d, out);
    case FZ_BOCPD: return ol_an_bocpd_save(d, out);
    case FZ_FC: return ol_an_fc_save(d, out);
    case FZ_SLO: return ol_an_slo_save(d, out);
    case FZ_IFOREST: return ol_an_iforest_save(d, out);
    case FZ_LATHIST: return ol_an_lathist_save(d, out);
    default: return ol_an_autoenc_save(d, out);
    }
}

static void fz_destroy(int kind, void *d)
{
    switch (kind) {
    case FZ_UNI: ol_an_uni_destroy(d); break;
    case FZ_CUSUM: ol_an_cusum_destroy(d); break;
    case FZ_BOCPD: ol_an_bocpd_destroy(d); break;
    case FZ_FC: ol_an_fc_destroy(d); break;
    case FZ_SLO: ol_an_slo_destroy(d); break;
    case FZ_IFOREST: ol_an_iforest_destroy(d); break;
    case FZ_LATHIST: ol_an_lathist_destroy(d); break;
    default: ol_an_autoenc_destroy(d); break;
    }
}

/* One step i at time t; returns the code of the update and checks its verdict. */
static int fz_update(int kind, void *d, size_t i, int64_t t)
{
    ol_an_verdict_t v, parts[OL_AN_DET__COUNT];
    double x = fz_val(i), vec[16];
    int rc;
    switch (kind) {
    case FZ_UNI:
        rc = ol_an_uni_update(d, t, x, &v, parts);
        fz_check_verdict(&v, -1);
        if (rc == OL_OK)
            for (int k = 0; k < OL_AN_DET__COUNT; k++)
                if (!(parts[k].score >= 0 && parts[k].score <= 1)) abort();
        return rc;
    case FZ_CUSUM: rc = ol_an_cusum_update(d, t, x, &v); fz_check_verdict(&v, OL_AN_DET_CUSUM); return rc;
    case FZ_BOCPD: rc = ol_an_bocpd_update(d, t, x, &v); fz_check_verdict(&v, OL_AN_DET_BOCPD); return rc;
    case FZ_FC: rc = ol_an_fc_update(d, t, x, &v); fz_check_verdict(&v, OL_AN_DET_FORECAST); return rc;
    case FZ_SLO: {
        int rule;
        rc = ol_an_slo_update(d, t, x, fz_val(i + 3) * 10, &v, &rule);
        fz_check_verdict(&v, OL_AN_DET_SLO);
        const ol_an_slo_options_t *o = ol_an_slo_options(d);
        if (rule < -1 || rule >= (int)o->n_rules || rule != ol_an_slo_firing(d)) abort();
        if (isnan(v.value) || v.value < 0 || !(ol_an_slo_budget_remaining(d) <= 1)) abort(); /* burn rates */
        return rc;
    }
    case FZ_LATHIST: { /* a value and a decay; quantiles ordered, finite once weighted */
        ol_an_lathist_add_value(d, x, 1);
        ol_an_lathist_decay(d, i % 3 ? 0.99 : fz_val(i + 1));
        double q50 = ol_an_lathist_quantile(d, 0.5), q95 = ol_an_lathist_quantile(d, 0.95);
        if (ol_an_lathist_weight(d) > 0 ? !(q50 <= q95 && q50 > 0 && isfinite(q95)) : !isnan(q95)) abort();
        return OL_OK;
    }
    case FZ_IFOREST:
    case FZ_AUTOENC: {
        uint32_t dim = kind == FZ_IFOREST ? ol_an_iforest_dim(d) : ol_an_autoenc_dim(d), culprit;
        if (dim < 1 || dim > 16) abort();
        for (uint32_t j = 0; j < dim; j++) vec[j] = x * (double)(j + 1) + (double)(i % 5);
        bool finite = true;
        for (uint32_t j = 0; j < dim; j++) finite = finite && isfinite(vec[j]);
        bool learn = i % 4 != 3;
        if (kind == FZ_IFOREST) {
            rc = ol_an_iforest_update(d, t, vec, learn, &v, &culprit);
            fz_check_verdict(&v, OL_AN_DET_IFOREST);
            if (rc == OL_OK && culprit != OL_AN_IFOREST_NONE && culprit >= dim) abort();
        } else {
            double err;
            rc = ol_an_autoenc_update(d, t, vec, learn, &v, &culprit, &err);
            fz_check_verdict(&v, OL_AN_DET_AUTOENC);
            if (rc == OL_OK && culprit >= dim) abort();
        }
        /* not finite (or beyond 1e30, which both refuse too): nothing scored */
        if ((rc != OL_OK && rc != OL_AGAIN) || (!finite && rc != OL_AGAIN) || (rc == OL_AGAIN && v.score != 0))
            abort();
        return rc;
    }
    }
    return OL_ERR;
}

/* Step counters a blob can carry but no detector reaches (2^63 steps): the
 * updates below may wrap them, and load then rightly refuses the state, so
 * the reload is only required below that. CUSUM's steps since onset and
 * BOCPD's points seen are at fixed offsets of their blobs
 * (docs/format/analysis-state.md); the vector detectors have accessors. */
static bool fz_counter_near_wrap(int kind, const void *d, ol_slice_t blob)
{
    const uint64_t far = 1ull << 63;
    switch (kind) {
    case FZ_CUSUM: return ol_load_le64(blob.ptr + 64) >= far || ol_load_le64(blob.ptr + 72) >= far;
    case FZ_BOCPD: return ol_load_le64(blob.ptr + 65) >= far;
    case FZ_IFOREST: return ol_an_iforest_learned(d) >= far;
    case FZ_AUTOENC: return ol_an_autoenc_learned(d) >= far;
    default: return false;
    }
}

static void fz_use(int kind, void *d, ol_slice_t blob)
{
    bool wraps = fz_counter_near_wrap(kind, d, blob);
    for (size_t i = 0; i < FZ_STEPS; i++) fz_update(kind, d, i, FZ_T0 + (int64_t)i);

    ol_buf_t b1, b2;
    ol_buf_init(&b1, OL_MEM_ANALYZE, 0);
    ol_buf_init(&b2, OL_MEM_ANALYZE, 0);
    if (fz_save(kind, d, &b1) != OL_OK) abort();
    void *again = NULL;
    int rc = fz_load(kind, ol_buf_slice(&b1), &again);
    if (rc != OL_OK && wraps) {
        ol_buf_free(&b1);
        ol_buf_free(&b2);
        return;
    }
    if (rc != OL_OK || !again) abort();
    if (fz_save(kind, again, &b2) != OL_OK) abort();
    if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) abort();
    fz_destroy(kind, again);
    ol_buf_free(&b1);
    ol_buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int kind = data[0] % FZ__COUNT;
    size_t len = size - 2;
    uint8_t *blob = malloc(len ? len : 1);
    if (!blob) return 0;
    memcpy(blob, data + 2, len);
    if ((data[1] & 1) == 0 && len >= 4) ol_store_le32(blob + len - 4, ol_crc32c(0, blob, len - 4));

    void *d = NULL;
    int rc = fz_load(kind, ol_slice(blob, len), &d);
    if (rc == OL_OK) {
        if (!d) abort();
        fz_use(kind, d, ol_slice(blob, len));
        fz_destroy(kind, d);
    } else if ((rc != OL_CORRUPT && rc != OL_NOMEM) || d != NULL) {
        abort();
    }
    free(blob);
    return 0;
}

/* ---- seed writer ---- */

static void fz_write(const char *dir, const char *name, int kind, const ol_buf_t *b)
{
    for (int mode = 0; mode < 2; mode++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s%s", dir, name, mode ? "-raw" : "");
        FILE *fp = fopen(path, "wb");
        uint8_t head[2] = {(uint8_t)kind, (uint8_t)mode};
        if (!fp || fwrite(head, 1, 2, fp) != 2 || fwrite(b->data, 1, b->len, fp) != b->len || fclose(fp) != 0) {
            fprintf(stderr, "cannot write %s\n", path);
            exit(1);
        }
    }
}

/* A daily-ish signal with noise and a step late in the run. */
static double fz_signal(uint32_t i, uint32_t j)
{
    double noise = (double)((i * 2654435761u + j * 40503u) % 1000) / 1000.0 - 0.5;
    return 10 + 3 * sin(2 * M_PI * i / 48.0) + (double)j + noise + (i > 260 ? 8 : 0);
}

static void fz_seed(const char *dir, const char *name, int kind, void *d, uint32_t points)
{
    ol_an_verdict_t v;
    for (uint32_t i = 0; i < points; i++) {
        int64_t t = 1700000000000000000ll + (int64_t)i * 60000000000ll;
        double x = i % 97 == 50 ? NAN : fz_signal(i, 0), vec[4];
        for (uint32_t j = 0; j < 4; j++) vec[j] = fz_signal(i, j);
        switch (kind) {
        case FZ_UNI: ol_an_uni_update(d, t, x, &v, NULL); break;
        case FZ_CUSUM: ol_an_cusum_update(d, t, (x - 10) / 2, &v); break;
        case FZ_BOCPD: ol_an_bocpd_update(d, t, x, &v); break;
        case FZ_FC: ol_an_fc_update(d, t, x, &v); break;
        case FZ_SLO: ol_an_slo_update(d, t, i > 250 && i < 280 ? 80 : 1000 - i % 3, 1000, &v, NULL); break;
        case FZ_IFOREST: ol_an_iforest_update(d, t, vec, true, &v, NULL); break;
        case FZ_LATHIST: ol_an_lathist_add_value(d, x * 3, 1 + i % 4); break;
        default: ol_an_autoenc_update(d, t, vec, true, &v, NULL, NULL); break;
        }
    }
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_ANALYZE, 0);
    if (fz_save(kind, d, &b) != OL_OK) exit(1);
    fz_write(dir, name, kind, &b);
    ol_buf_free(&b);
    fz_destroy(kind, d);
}

static void fz_write_seeds(const char *dir)
{
    void *d;
    ol_an_uni_options_t uo = {.kind = OL_AN_SIG_LATENCY, .step_ns = 60000000000ll};
    if (ol_an_uni_create(&uo, (ol_an_uni_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "uni", FZ_UNI, d, 300);
    if (ol_an_uni_create(&uo, (ol_an_uni_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "uni-young", FZ_UNI, d, 12);

    if (ol_an_cusum_create(NULL, (ol_an_cusum_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "cusum", FZ_CUSUM, d, 300);
    ol_an_cusum_options_t co = {.k = 0.25, .h = 5, .clip = -1};
    if (ol_an_cusum_create(&co, (ol_an_cusum_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "cusum-noclip", FZ_CUSUM, d, 270);

    ol_an_bocpd_options_t bo = {.r_max = 64, .window = 4};
    if (ol_an_bocpd_create(&bo, (ol_an_bocpd_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "bocpd", FZ_BOCPD, d, 300);
    ol_an_bocpd_options_t bf = {.r_max = 16, .window = 2, .fixed_prior = 1, .mu0 = 10, .outlier = -1};
    if (ol_an_bocpd_create(&bf, (ol_an_bocpd_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "bocpd-fixed", FZ_BOCPD, d, 40);

    ol_an_fc_options_t fo = {.period = 48, .objective = {.dir = OL_AN_FC_STAY_BELOW, .threshold = 20, .horizon = 30}};
    if (ol_an_fc_create(&fo, (ol_an_fc_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "fc", FZ_FC, d, 300);
    ol_an_fc_options_t fi = {.init_steps = 8, .phi = 1, .clip = -1};
    if (ol_an_fc_create(&fi, (ol_an_fc_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "fc-init", FZ_FC, d, 5);

    ol_an_slo_options_t so = {.target = 0.99, .step_ns = 60000000000ll, .period_ns = 86400000000000ll, .n_rules = 2};
    so.rules[0] = (ol_an_slo_rule_t){600000000000ll, 120000000000ll, 2, OL_AN_SLO_PAGE};
    so.rules[1] = (ol_an_slo_rule_t){3600000000000ll, 600000000000ll, 1, OL_AN_SLO_TICKET};
    if (ol_an_slo_create(&so, (ol_an_slo_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "slo", FZ_SLO, d, 300);

    ol_an_iforest_options_t io = {.dim = 3, .trees = 8, .sample = 16, .window = 32, .warmup = 20};
    if (ol_an_iforest_create(&io, (ol_an_iforest_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "iforest", FZ_IFOREST, d, 300);
    if (ol_an_iforest_create(&io, (ol_an_iforest_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "iforest-young", FZ_IFOREST, d, 10);

    if (ol_an_lathist_create((ol_an_lathist_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "lathist", FZ_LATHIST, d, 300);

    ol_an_autoenc_options_t ao = {.dim = 3, .replay = 16, .warmup = 50};
    if (ol_an_autoenc_create(&ao, (ol_an_autoenc_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "autoenc", FZ_AUTOENC, d, 300);
    ol_an_autoenc_options_t a1 = {.dim = 1, .replay = 4, .warmup = 8, .steps = 1};
    if (ol_an_autoenc_create(&a1, (ol_an_autoenc_t **)&d) != OL_OK) exit(1);
    fz_seed(dir, "autoenc-dim1", FZ_AUTOENC, d, 20);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("OL_AN_BLOB_CORPUS_OUT");
    if (dir && *dir) {
        fz_write_seeds(dir);
        exit(0);
    }
    return 0;
}
