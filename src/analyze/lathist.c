/*
 * lathist.c - the decayed latency histogram (lathist.h).
 *
 * Invariants: w[0..n) are the buckets offset..offset+n-1, n <= CAP, every
 * weight >= 0 and finite.
 */
#include "analyze/lathist.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "analyze/verdict.h"
#include "core/alloc.h"

#define LATH_MAGIC "LATH"
#define LATH_VERSION 1u
#define LATH_SHIFT (OL_SKETCH_SCALE - OL_AN_LATH_SCALE) /* sketch buckets per lathist bucket: 2^this */
#define LATH_PER_OCTAVE (1 << OL_AN_LATH_SCALE)
#define LATH_INDEX_MIN (-64 * LATH_PER_OCTAVE) /* 2^-64 ms .. 2^64 ms: far beyond any duration */
#define LATH_INDEX_MAX (64 * LATH_PER_OCTAVE)

struct ol_an_lathist {
    int32_t offset;
    uint32_t n;
    float w[OL_AN_LATH_CAP];
};

int ol_an_lathist_create(ol_an_lathist_t **out)
{
    *out = ol_calloc(OL_MEM_ANALYZE, 1, sizeof **out);
    return *out ? OL_OK : OL_NOMEM;
}

void ol_an_lathist_destroy(ol_an_lathist_t *h)
{
    if (h) ol_free(OL_MEM_ANALYZE, h, sizeof *h);
}

/* Weights stay finite: a sum beyond FLT_MAX is held there. */
static void lath_addw(float *w, double c) { *w = (float)fmin((double)*w + c, FLT_MAX); }

static void lath_put(ol_an_lathist_t *h, int32_t j, double c)
{
    if (j < LATH_INDEX_MIN) j = LATH_INDEX_MIN;
    if (j > LATH_INDEX_MAX) j = LATH_INDEX_MAX;
    if (!h->n) {
        h->offset = j;
        h->n = 1;
        h->w[0] = 0;
    } else if (j < h->offset) {
        int64_t grow = (int64_t)h->offset - j;
        if (grow + h->n > OL_AN_LATH_CAP) {
            j = h->offset; /* below the window: the lowest bucket */
        } else {
            memmove(h->w + grow, h->w, h->n * sizeof *h->w);
            memset(h->w, 0, (size_t)grow * sizeof *h->w);
            h->offset = j;
            h->n += (uint32_t)grow;
        }
    } else if ((int64_t)j >= (int64_t)h->offset + h->n) {
        int64_t need = (int64_t)j - h->offset + 1;
        if (need > OL_AN_LATH_CAP) { /* move the window up, folding its lowest buckets */
            uint32_t drop = (uint32_t)OL_MIN((uint64_t)(need - OL_AN_LATH_CAP), (uint64_t)h->n);
            double folded = 0;
            for (uint32_t i = 0; i < drop; i++) folded += h->w[i];
            memmove(h->w, h->w + drop, (h->n - drop) * sizeof *h->w);
            h->n -= drop;
            h->offset += (int32_t)drop;
            if (!h->n) { /* everything was far below: start at j */
                h->offset = j;
                h->n = 1;
                h->w[0] = 0;
                lath_addw(&h->w[0], folded);
                need = 1;
            } else {
                lath_addw(&h->w[0], folded);
                need = (int64_t)j - h->offset + 1;
            }
        }
        for (uint32_t i = h->n; i < (uint32_t)need; i++) h->w[i] = 0;
        h->n = (uint32_t)OL_MAX((int64_t)h->n, need);
    }
    lath_addw(&h->w[j - h->offset], c);
}

void ol_an_lathist_add_value(ol_an_lathist_t *h, double v, double w)
{
    if (!(w > 0) || !isfinite(w) || isnan(v)) return;
    if (!(v > 0)) {
        lath_put(h, h->n ? h->offset : LATH_INDEX_MIN, w);
        return;
    }
    double j = ceil(log2(v) * LATH_PER_OCTAVE) - 1; /* (2^(j/16), 2^((j+1)/16)] */
    lath_put(h, (int32_t)fmax(fmin(j, LATH_INDEX_MAX), LATH_INDEX_MIN), w);
}

void ol_an_lathist_add(ol_an_lathist_t *h, const ol_sketch_t *s)
{
    if (!s || !s->count) return;
    uint64_t below = s->zero_count;
    for (uint32_t i = 0; i < s->n; i++) {
        if (!s->counts[i]) continue;
        int32_t k = s->offset + (int32_t)i;
        /* floor division: sketch bucket k lies inside lathist bucket k >> SHIFT */
        int32_t j = k >= 0 ? k >> LATH_SHIFT : -((-k + (1 << LATH_SHIFT) - 1) >> LATH_SHIFT);
        lath_put(h, j, (double)s->counts[i]);
    }
    if (below) lath_put(h, h->n ? h->offset : LATH_INDEX_MIN, (double)below);
}

void ol_an_lathist_decay(ol_an_lathist_t *h, double f)
{
    if (!(f > 0 && f <= 1)) return;
    for (uint32_t i = 0; i < h->n; i++) h->w[i] = (float)(h->w[i] * f);
}

double ol_an_lathist_weight(const ol_an_lathist_t *h)
{
    double s = 0;
    for (uint32_t i = 0; i < h->n; i++) s += h->w[i];
    return s;
}

double ol_an_lathist_quantile(const ol_an_lathist_t *h, double q)
{
    double total = ol_an_lathist_weight(h);
    if (!(total > 0)) return NAN;
    q = fmin(fmax(q, 0), 1);
    double target = (1 - q) * total, above = 0; /* weight to leave above the answer */
    for (uint32_t i = h->n; i-- > 0;) {
        double c = h->w[i];
        if (above + c >= target && c > 0) {
            double frac = (target - above) / c; /* of this bucket, from its top */
            double top = (double)(h->offset + (int32_t)i + 1) / LATH_PER_OCTAVE;
            return exp2(top - frac / LATH_PER_OCTAVE);
        }
        above += c;
    }
    return exp2((double)h->offset / LATH_PER_OCTAVE);
}

int ol_an_lathist_save(const ol_an_lathist_t *h, ol_buf_t *out)
{
    size_t start = out->len;
    ol_an_wr_header(out, LATH_MAGIC, LATH_VERSION);
    ol_an_wr_i64(out, h->offset);
    ol_an_wr_u32(out, h->n);
    ol_an_wr_f32s(out, h->w, h->n);
    ol_an_wr_seal(out, start);
    return OL_OK;
}

int ol_an_lathist_load(ol_slice_t blob, ol_an_lathist_t **out)
{
    *out = NULL;
    ol_an_rd_t r = ol_an_rd_sealed(blob, LATH_MAGIC, LATH_VERSION);
    int64_t offset = ol_an_rd_i64(&r);
    uint32_t n = ol_an_rd_count(&r, OL_AN_LATH_CAP, sizeof(float));
    float w[OL_AN_LATH_CAP];
    ol_an_rd_f32s(&r, w, n);
    if (r.rc != OL_OK || r.left || offset < LATH_INDEX_MIN || offset + (int64_t)n - 1 > LATH_INDEX_MAX)
        return OL_CORRUPT;
    for (uint32_t i = 0; i < n; i++)
        if (!(w[i] >= 0) || !isfinite(w[i])) return OL_CORRUPT;
    ol_an_lathist_t *h;
    if (ol_an_lathist_create(&h) != OL_OK) return OL_NOMEM;
    h->offset = (int32_t)offset;
    h->n = n;
    memcpy(h->w, w, n * sizeof *w);
    *out = h;
    return OL_OK;
}
