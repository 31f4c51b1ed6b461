/*
 * iforest.c - the streaming isolation forest (iforest.h).
 *
 * Whitening. Trees do not split the raw inputs but whitened ones: each
 * dimension standardised by the window's median and (robust, winsorised)
 * standard deviation, then decorrelated with the Cholesky factor L of the
 * window's (winsorised) correlation matrix plus IF_RIDGE on its diagonal,
 * z = L^-1 s; a few wild points in the window do not distort it. Coordinate k of z is
 * the part of dimension k that dimensions 0..k-1 do not predict, in its own
 * residual standard deviations, so axis-parallel splits see a broken
 * correlation (p99 up while p50 stays) as an outlier along one axis, the
 * classic forest's blind spot. A round of rebuilds (tree 0 onwards) starts
 * with a fresh whitening; trees remember which of the two live ones they
 * were built in, and a point is whitened both ways before scoring.
 *
 * Layout: the window is a ring of `window` rows of dim floats (raw, not
 * whitened); each tree owns a fixed slice of one node pool (2*sample-1
 * nodes, enough for any binary tree whose leaves are non-empty) and of one
 * box pool. Trees are built breadth first, so a node's children are
 * adjacent (left = child, right = child+1) and always come after it (which
 * is also what makes a loaded tree safe to walk: load checks child >
 * index). The first IF_BOX_NODES nodes in that order (at least the top
 * IF_BOX_DEPTH+1 levels) also keep the tight bounding box of their points,
 * padded to a multiple of 4 floats so the box test vectorises.
 *
 * A tree is built on `sample` distinct window rows (Floyd's sampling over a
 * bitmap), split on a random non-constant dimension at a uniform value
 * strictly inside the node's range, down to ceil(log2(sample)) levels.
 *
 * Scoring follows the stored splits, as in the classic forest, but where a
 * node has a box the walk also asks what a fresh random cut of that box,
 * widened to take the point in, would do (the idea of robust random cut
 * forests): with the cut dimension drawn in proportion to its widened span
 * (in whitened units, where every dimension has the same robust scale:
 * not the tree's root range, which one wild point in its sample would
 * stretch) and the cut uniform along it, the point is cut off alone with
 * probability p = sum(outside) / sum(widened spans). The path length is
 * the expectation over those chances: isolated at depth k+1 with
 * probability p at node k, otherwise on down the stored path to a leaf at
 * depth + c(leaf size). For a point inside every box this is exactly the
 * classic path length; a point far outside the data is cut off at the root
 * (raw score near 2^(-1/c(psi)), where the classic forest tops out at the
 * score of the sample's own extreme points), and a point in an empty
 * corner falls outside the boxes of the nodes its other coordinates lead
 * it to.
 *
 * Verdict: the deviation is measured on log2(c(psi) / E[h]), the log of how
 * many times shorter than typical the path is (a monotone function of the
 * raw score that does not saturate near 1 as the raw score does), against
 * the median and 90th percentile of the last IF_RING raw scores of learned
 * points (computed before they were learned, like any scored point),
 * recomputed every IF_REQUANT entries into preallocated scratch.
 *
 * Explanation, for points that score above 0 only (a second walk): each
 * stored split on the path credits its dimension with log2(parent size /
 * child size) times the chance of still being on the path; each box chance
 * credits the outside dimensions, in proportion to how far outside, with
 * the log2 of the node's size times its chance. Credit for whitened
 * coordinate k goes to dimension k.
 */
#include "analyze/iforest.h"

#include <math.h>

#include "core/alloc.h"
#include "sql/plan.h"
#include "core/util.h"

#define IF_MAGIC "OLIF"
#define IF_VERSION 1u
#define IF_RING 512u
#define IF_RING_MIN 64u
#define IF_REQUANT 16u
#define IF_MAX_TREES 256u
#define IF_MAX_SAMPLE 1024u
#define IF_MAX_WINDOW 65536u
#define IF_MAX_REFRESH 65536u
#define IF_MAX_WARMUP (1u << 30)
#define IF_DEFAULT_SEED 0x6f6c6c7969666f72ull
/* The first 2^(IF_BOX_DEPTH+1)-1 nodes, breadth first, keep a bounding box. */
#define IF_BOX_DEPTH 4u
#define IF_BOX_NODES ((2u << IF_BOX_DEPTH) - 1)
/* bits are stored in 1/16 */
#define IF_BITS_ONE 16.0f
/* Added to the correlation matrix's diagonal before whitening: caps how
 * much a direction of (almost) no variance is amplified. */
#define IF_RIDGE 0.01
/* Standardised values are clipped to this for the whitening's moments. */
#define IF_CLIP 5.0
#define IF_MIN_M2 1e-6
/* Verdict scale: z at which the score starts rising above 0, and its width. */
#define IF_Z0 3.0
#define IF_ZW 2.5
/* Smallest spread of raw scores, so that a very regular stream does not
 * turn tiny score differences into large deviations. */
#define IF_MIN_SPREAD 0.01

typedef struct {
    float split;    /* internal: x[dim] < split goes left; leaf: its size */
    uint16_t child; /* left child (right = child + 1); 0 = leaf */
    uint8_t dim;
    uint8_t bits; /* 16 * log2(parent size / this node's size) */
} if_node_t;

typedef struct {
    uint32_t size;    /* points it was built on; 0 = not built yet */
    uint32_t n_nodes; /* used nodes of its pool slice */
    uint32_t n_box;   /* nodes 0..n_box-1 have a box */
    double inv_c;     /* 1 / c(size) */
    uint8_t xf;       /* which of the two whitenings its coordinates are in */
    if_node_t *nodes;
    float *box;   /* n_box * 2 * dp: lo then hi per node, padded with 0 */
    float *span;  /* n_box: sum of the box's sides (derived) */
} if_tree_t;

typedef struct {
    uint32_t node, start, n, depth;
} if_job_t;

/* Whitening: s = (x - mu) * isd, then z = L^-1 s with L the Cholesky factor
 * of the (ridged) correlation matrix of s, packed by rows (row k holds
 * L[k][0..k-1]; the diagonal is kept inverted in inv_diag). */
#define IF_TRI (OL_AN_IFOREST_MAX_DIM * (OL_AN_IFOREST_MAX_DIM - 1) / 2)
typedef struct {
    double mu[OL_AN_IFOREST_MAX_DIM];
    double isd[OL_AN_IFOREST_MAX_DIM];
    double inv_diag[OL_AN_IFOREST_MAX_DIM];
    double l[IF_TRI];
} if_xform_t;

struct ol_an_iforest {
    uint32_t dim, n_trees, sample, window, refresh, warmup;
    uint32_t dp; /* dim rounded up to a multiple of 4: the stride of boxes */
    uint64_t seed, rng, learned;
    uint32_t n, head; /* rows in the window; slot the next learned row goes to */
    float *pts;
    if_tree_t *trees;
    if_node_t *pool;
    float *boxes;
    float *spans;
    uint32_t built, next_tree, since_refresh;
    if_xform_t xf[2]; /* the whitening of this round of rebuilds (cur) and of the last one */
    uint8_t cur;
    double *ring; /* raw scores of learned points */
    uint32_t ring_n, ring_head, since_quant;
    double q50, q90;
    int64_t run_since; /* event time of the first step of the current run of nonzero scores */
    uint8_t in_run;
    /* scratch and tables, derived from the options */
    uint32_t *idx;
    float *zs; /* sample * dim: the whitened rows a tree is built on */
    if_job_t *jobs;
    uint64_t *bitmap;
    double *qscratch;
    double *wscratch; /* window: a column of the window, for its median */
    double *ctab;  /* c(n), n = 0..sample */
    float *lg2tab; /* log2(n), n = 0..sample */
};

static uint64_t if_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t if_below(uint64_t *s, uint32_t n) { return (uint32_t)(((if_next(s) >> 32) * (uint64_t)n) >> 32); }

static size_t if_nodes_per_tree(uint32_t sample) { return 2 * (size_t)sample - 1; }

static size_t if_box_floats(const ol_an_iforest_t *f) { return (size_t)IF_BOX_NODES * 2 * f->dp; }

static int if_check_opts(ol_an_iforest_options_t *o)
{
    if (o->trees == 0) o->trees = 64;
    if (o->sample == 0) o->sample = 128;
    if (o->window == 0) o->window = o->sample > 512 ? o->sample : 512;
    if (o->refresh == 0) o->refresh = 2;
    if (o->warmup == 0) o->warmup = 256;
    if (o->seed == 0) o->seed = IF_DEFAULT_SEED;
    if (o->dim < 1 || o->dim > OL_AN_IFOREST_MAX_DIM) return OL_ERR;
    if (o->trees > IF_MAX_TREES || o->sample < 8 || o->sample > IF_MAX_SAMPLE) return OL_ERR;
    if (o->window < o->sample || o->window > IF_MAX_WINDOW) return OL_ERR;
    if (o->refresh > IF_MAX_REFRESH || o->warmup > IF_MAX_WARMUP) return OL_ERR;
    return OL_OK;
}

void ol_an_iforest_destroy(ol_an_iforest_t *f)
{
    if (!f) return;
    size_t t = f->n_trees;
    ol_free(OL_MEM_ANALYZE, f->pts, sizeof(float) * f->window * f->dim);
    ol_free(OL_MEM_ANALYZE, f->trees, sizeof(if_tree_t) * t);
    ol_free(OL_MEM_ANALYZE, f->pool, sizeof(if_node_t) * t * if_nodes_per_tree(f->sample));
    ol_free(OL_MEM_ANALYZE, f->boxes, sizeof(float) * t * if_box_floats(f));
    ol_free(OL_MEM_ANALYZE, f->spans, sizeof(float) * t * IF_BOX_NODES);
    ol_free(OL_MEM_ANALYZE, f->ring, sizeof(double) * IF_RING);
    ol_free(OL_MEM_ANALYZE, f->idx, sizeof(uint32_t) * f->sample);
    ol_free(OL_MEM_ANALYZE, f->zs, sizeof(float) * f->sample * f->dim);
    ol_free(OL_MEM_ANALYZE, f->jobs, sizeof(if_job_t) * if_nodes_per_tree(f->sample));
    ol_free(OL_MEM_ANALYZE, f->bitmap, sizeof(uint64_t) * (f->window / 64 + 1));
    ol_free(OL_MEM_ANALYZE, f->qscratch, sizeof(double) * IF_RING);
    ol_free(OL_MEM_ANALYZE, f->wscratch, sizeof(double) * f->window);
    ol_free(OL_MEM_ANALYZE, f->ctab, sizeof(double) * (f->sample + 1));
    ol_free(OL_MEM_ANALYZE, f->lg2tab, sizeof(float) * (f->sample + 1));
    ol_free(OL_MEM_ANALYZE, f, sizeof *f);
}

/* Allocates everything for validated options; state is empty. */
static int if_alloc(const ol_an_iforest_options_t *o, ol_an_iforest_t **out)
{
    ol_an_iforest_t *f = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *f);
    if (!f) return OL_NOMEM;
    f->dim = o->dim;
    f->dp = (o->dim + 3) & ~3u;
    f->n_trees = o->trees;
    f->sample = o->sample;
    f->window = o->window;
    f->refresh = o->refresh;
    f->warmup = o->warmup;
    f->seed = f->rng = o->seed;
    size_t t = f->n_trees, per = if_nodes_per_tree(f->sample);
    f->pts = ol_calloc(OL_MEM_ANALYZE, (size_t)f->window * f->dim, sizeof(float));
    f->trees = ol_calloc(OL_MEM_ANALYZE, t, sizeof(if_tree_t));
    f->pool = ol_calloc(OL_MEM_ANALYZE, t * per, sizeof(if_node_t));
    f->boxes = ol_calloc(OL_MEM_ANALYZE, t * if_box_floats(f), sizeof(float));
    f->spans = ol_calloc(OL_MEM_ANALYZE, t * IF_BOX_NODES, sizeof(float));
    f->ring = ol_calloc(OL_MEM_ANALYZE, IF_RING, sizeof(double));
    f->idx = ol_calloc(OL_MEM_ANALYZE, f->sample, sizeof(uint32_t));
    f->zs = ol_calloc(OL_MEM_ANALYZE, (size_t)f->sample * f->dim, sizeof(float));
    f->jobs = ol_calloc(OL_MEM_ANALYZE, per, sizeof(if_job_t));
    f->bitmap = ol_calloc(OL_MEM_ANALYZE, f->window / 64 + 1, sizeof(uint64_t));
    f->qscratch = ol_calloc(OL_MEM_ANALYZE, IF_RING, sizeof(double));
    f->wscratch = ol_calloc(OL_MEM_ANALYZE, f->window, sizeof(double));
    f->ctab = ol_calloc(OL_MEM_ANALYZE, f->sample + 1, sizeof(double));
    f->lg2tab = ol_calloc(OL_MEM_ANALYZE, f->sample + 1, sizeof(float));
    if (!f->pts || !f->trees || !f->pool || !f->boxes || !f->spans || !f->ring || !f->idx ||
        !f->zs || !f->jobs || !f->bitmap || !f->qscratch || !f->wscratch || !f->ctab || !f->lg2tab) {
        ol_an_iforest_destroy(f);
        return OL_NOMEM;
    }
    for (size_t i = 0; i < t; i++) {
        f->trees[i].nodes = f->pool + i * per;
        f->trees[i].box = f->boxes + i * if_box_floats(f);
        f->trees[i].span = f->spans + i * IF_BOX_NODES;
    }
    double h = 0; /* H(n-1) */
    for (uint32_t n = 0; n <= f->sample; n++) {
        if (n >= 2) h += 1.0 / (double)(n - 1);
        f->ctab[n] = n <= 1 ? 0.0 : n == 2 ? 1.0 : 2.0 * h - 2.0 * (double)(n - 1) / (double)n;
        f->lg2tab[n] = n == 0 ? 0.0f : (float)log2((double)n);
    }
    *out = f;
    return OL_OK;
}

int ol_an_iforest_create(const ol_an_iforest_options_t *opt, ol_an_iforest_t **out)
{
    ol_an_iforest_options_t o = *opt;
    if (if_check_opts(&o) != OL_OK) return OL_ERR;
    return if_alloc(&o, out);
}

bool ol_an_iforest_ready(const ol_an_iforest_t *f)
{
    return f->built == f->n_trees && f->ring_n >= IF_RING_MIN && f->learned >= f->warmup;
}

uint64_t ol_an_iforest_learned(const ol_an_iforest_t *f) { return f->learned; }
uint32_t ol_an_iforest_dim(const ol_an_iforest_t *f) { return f->dim; }

/* ---- building ---- */

static uint32_t if_depth_limit(uint32_t size)
{
    uint32_t l = 0;
    while ((1u << l) < size) l++;
    return l;
}

static void if_tree_spans(const ol_an_iforest_t *f, if_tree_t *t)
{
    for (uint32_t i = 0; i < t->n_box; i++) {
        const float *b = t->box + (size_t)i * 2 * f->dp;
        float sp = 0;
        for (uint32_t j = 0; j < f->dim; j++) sp += b[f->dp + j] - b[j];
        t->span[i] = sp;
    }
}

/* Splits one queued node: chooses the dimension and cut, partitions its rows, queues the children. */
static void if_build_node(ol_an_iforest_t *f, if_tree_t *t, const if_job_t *job, uint32_t limit, uint32_t *tail)
{
    uint32_t d = f->dim, n = job->n, *idx = f->idx + job->start;
    if_node_t *nd = &t->nodes[job->node];
    nd->child = 0;
    nd->dim = 0;
    nd->split = (float)n;
    float *box = NULL;
    if (job->node < IF_BOX_NODES) {
        box = t->box + (size_t)job->node * 2 * f->dp;
        for (uint32_t j = 0; j < d; j++) {
            float lo = f->zs[(size_t)idx[0] * d + j], hi = lo;
            for (uint32_t i = 1; i < n; i++) {
                float v = f->zs[(size_t)idx[i] * d + j];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            box[j] = lo;
            box[f->dp + j] = hi;
        }
        t->n_box = job->node + 1;
    }
    if (n <= 1 || job->depth >= limit) return;
    uint32_t start = if_below(&f->rng, d), dd = 0;
    float lo = 0, hi = 0;
    bool found = false;
    for (uint32_t j = 0; j < d && !found; j++) {
        dd = (start + j) % d;
        if (box) {
            lo = box[dd];
            hi = box[f->dp + dd];
        } else {
            lo = hi = f->zs[(size_t)idx[0] * d + dd];
            for (uint32_t i = 1; i < n; i++) {
                float v = f->zs[(size_t)idx[i] * d + dd];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        }
        found = hi > lo;
    }
    if (!found) return;
    double u = ((double)(if_next(&f->rng) >> 11) + 0.5) * 0x1p-53;
    float split = (float)((double)lo + u * ((double)hi - (double)lo));
    if (!(split > lo)) split = hi;
    uint32_t l = 0;
    for (uint32_t i = 0; i < n; i++) { /* branchless Lomuto: [0,l) < split <= [l,i] */
        uint32_t v = idx[i];
        idx[i] = idx[l];
        idx[l] = v;
        l += f->zs[(size_t)v * d + dd] < split;
    }
    uint32_t c = t->n_nodes;
    t->n_nodes += 2;
    nd->child = (uint16_t)c;
    nd->dim = (uint8_t)dd;
    nd->split = split;
    t->nodes[c].bits = (uint8_t)lrintf((f->lg2tab[n] - f->lg2tab[l]) * IF_BITS_ONE);
    t->nodes[c + 1].bits = (uint8_t)lrintf((f->lg2tab[n] - f->lg2tab[n - l]) * IF_BITS_ONE);
    f->jobs[(*tail)++] = (if_job_t){c, job->start, l, job->depth + 1};
    f->jobs[(*tail)++] = (if_job_t){c + 1, job->start + l, n - l, job->depth + 1};
}

/* The smallest standard deviation a dimension is measured with (a
 * dimension that never moved in the window still has a finite unit). */
static double if_min_sd(double mu)
{
    double a = fabs(mu);
    return 1e-3 * (a > 1.0 ? a : 1.0);
}

static double if_select(double *v, uint32_t n, uint32_t k);

/* Whitening of the current window, robust to a few wild points the caller
 * let through: centre = median, unit = 1.4826 * MAD (floored), values
 * clipped to IF_CLIP units for the second moments, then the unit rescaled
 * to the clipped standard deviation and the correlation matrix (plus
 * IF_RIDGE on its diagonal) factored by Cholesky. */
static void if_fit_xform(ol_an_iforest_t *f, if_xform_t *xf)
{
    uint32_t d = f->dim, n = f->n;
    double c[OL_AN_IFOREST_MAX_DIM][OL_AN_IFOREST_MAX_DIM] = {{0}}, m2[OL_AN_IFOREST_MAX_DIM];
    for (uint32_t j = 0; j < d; j++) {
        double *w = f->wscratch;
        for (uint32_t i = 0; i < n; i++) w[i] = f->pts[(size_t)i * d + j];
        double med = if_select(w, n, n / 2);
        for (uint32_t i = 0; i < n; i++) w[i] = fabs(w[i] - med);
        double scale = 1.4826 * if_select(w, n, n / 2), m = if_min_sd(med);
        xf->mu[j] = med;
        xf->isd[j] = 1.0 / (scale > m ? scale : m);
    }
    for (uint32_t i = 0; i < n; i++) {
        const float *p = f->pts + (size_t)i * d;
        double v[OL_AN_IFOREST_MAX_DIM];
        for (uint32_t j = 0; j < d; j++) {
            double t = ((double)p[j] - xf->mu[j]) * xf->isd[j];
            v[j] = t > IF_CLIP ? IF_CLIP : t < -IF_CLIP ? -IF_CLIP : t;
        }
        for (uint32_t j = 0; j < d; j++)
            for (uint32_t k = 0; k <= j; k++) c[j][k] += v[j] * v[k];
    }
    for (uint32_t j = 0; j < d; j++) {
        /* Below IF_MIN_M2 the dimension is as good as constant: keep the floor unit. */
        m2[j] = c[j][j] / (double)n;
        if (m2[j] > IF_MIN_M2) {
            xf->isd[j] /= sqrt(m2[j]);
        } else {
            m2[j] = m2[j] > 0 ? m2[j] : 1;
        }
    }
    /* Correlations (ridged), then Cholesky in place in the lower triangle. */
    for (uint32_t j = 0; j < d; j++)
        for (uint32_t k = 0; k <= j; k++)
            c[j][k] = (c[j][k] / (double)n / sqrt(m2[j] * m2[k]) + (j == k ? IF_RIDGE : 0.0)) / (1.0 + IF_RIDGE);
    for (uint32_t j = 0; j < d; j++) {
        for (uint32_t k = 0; k <= j; k++) {
            double v = c[j][k];
            for (uint32_t i = 0; i < k; i++) v -= c[j][i] * c[k][i];
            if (k < j) {
                c[j][k] = v / c[k][k];
            } else {
                c[j][j] = sqrt(v > IF_RIDGE ? v : IF_RIDGE);
            }
        }
    }
    double *l = xf->l;
    for (uint32_t j = 0; j < d; j++) {
        xf->inv_diag[j] = 1.0 / c[j][j];
        for (uint32_t k = 0; k < j; k++) *l++ = c[j][k];
    }
}

/* A whitened coordinate as a float, clipped far inside float range. */
static float if_f32(double v) { return (float)(v > 1e30 ? 1e30 : v < -1e30 ? -1e30 : v); }

static void if_whiten(const if_xform_t *xf, uint32_t d, const double *x, double *z)
{
    const double *l = xf->l;
    for (uint32_t j = 0; j < d; j++) {
        double v = (x[j] - xf->mu[j]) * xf->isd[j];
        for (uint32_t k = 0; k < j; k++) v -= *l++ * z[k];
        z[j] = v * xf->inv_diag[j];
    }
}

static void if_build_tree(ol_an_iforest_t *f, if_tree_t *t)
{
    uint32_t d = f->dim, m = f->n < f->sample ? f->n : f->sample;
    /* Floyd: m distinct rows of 0..n-1, whitened into zs. */
    memset(f->bitmap, 0, sizeof(uint64_t) * (f->n / 64 + 1));
    uint32_t k = 0;
    for (uint32_t j = f->n - m; j < f->n; j++) {
        uint32_t r = if_below(&f->rng, j + 1);
        if (f->bitmap[r >> 6] & (1ull << (r & 63))) r = j;
        f->bitmap[r >> 6] |= 1ull << (r & 63);
        double x[OL_AN_IFOREST_MAX_DIM], z[OL_AN_IFOREST_MAX_DIM];
        for (uint32_t i = 0; i < d; i++) x[i] = f->pts[(size_t)r * d + i];
        if_whiten(&f->xf[f->cur], d, x, z);
        for (uint32_t i = 0; i < d; i++) f->zs[(size_t)k * d + i] = if_f32(z[i]);
        f->idx[k] = k;
        k++;
    }
    t->size = m;
    t->xf = f->cur;
    t->n_nodes = 1;
    t->n_box = 0;
    t->nodes[0].bits = 0;
    t->inv_c = f->ctab[m] > 0 ? 1.0 / f->ctab[m] : 1.0;
    uint32_t limit = if_depth_limit(m), head = 0, tail = 0;
    f->jobs[tail++] = (if_job_t){0, 0, m, 0};
    while (head < tail) if_build_node(f, t, &f->jobs[head++], limit, &tail);
    if_tree_spans(f, t);
}

/* Trees start once the window holds this many rows. */
static uint32_t if_start_rows(const ol_an_iforest_t *f)
{
    uint32_t s = f->sample / 2;
    return s < 8 ? 8 : s;
}

/* Rebuilds tree t; a round of rebuilds (tree 0 onwards) starts with a new
 * whitening, so at most two are in use at any time. */
static void if_rebuild(ol_an_iforest_t *f, uint32_t t)
{
    if (t == 0) {
        f->cur ^= 1;
        if_fit_xform(f, &f->xf[f->cur]);
    }
    if_build_tree(f, &f->trees[t]);
}

static void if_learn(ol_an_iforest_t *f, const double *x)
{
    float *row = f->pts + (size_t)f->head * f->dim;
    for (uint32_t j = 0; j < f->dim; j++) row[j] = (float)x[j];
    f->head = f->head + 1 == f->window ? 0 : f->head + 1;
    if (f->n < f->window) f->n++;
    f->learned++;
    if (f->n < if_start_rows(f)) return;
    if (f->built < f->n_trees) {
        if_rebuild(f, f->built++);
        return;
    }
    if (++f->since_refresh < f->refresh) return;
    f->since_refresh = 0;
    if_rebuild(f, f->next_tree);
    f->next_tree = f->next_tree + 1 == f->n_trees ? 0 : f->next_tree + 1;
}

/* ---- scoring ---- */

/* Expected path length of z (whitened) in one tree; with want, credit[]
 * gets the isolation tally (inlined twice: with and without). */
static inline __attribute__((always_inline)) double if_path(const ol_an_iforest_t *f, const if_tree_t *t,
                                                            const double *z, bool want, double *credit)
{
    uint32_t d = f->dim, dp = f->dp, at = 0, depth = 0;
    double reach = 1.0, eh = 0.0, lgn = want ? f->lg2tab[t->size] : 0.0;
    float xs[OL_AN_IFOREST_MAX_DIM] = {0};
    for (uint32_t j = 0; j < d; j++) {
        xs[j] = if_f32(z[j]);
    }
    for (;;) {
        const if_node_t *nd = &t->nodes[at];
        if (at < t->n_box) {
            const float *lo = t->box + (size_t)at * 2 * dp, *hi = lo + dp;
            float o4[4] = {0, 0, 0, 0};
            for (uint32_t j = 0; j < dp; j += 4) {
                for (uint32_t u = 0; u < 4; u++) {
                    float a = lo[j + u] - xs[j + u], b = xs[j + u] - hi[j + u];
                    o4[u] += (a > 0 ? a : 0) + (b > 0 ? b : 0);
                }
            }
            float so = (o4[0] + o4[1]) + (o4[2] + o4[3]);
            if (so > 0) {
                double q = reach * ((double)so / ((double)so + (double)t->span[at]));
                eh += q * (double)(depth + 1);
                if (want) {
                    double w = q * lgn / (double)so;
                    for (uint32_t j = 0; j < d; j++) {
                        float a = lo[j] - xs[j], b = xs[j] - hi[j];
                        credit[j] += w * (double)((a > 0 ? a : 0) + (b > 0 ? b : 0));
                    }
                }
                reach -= q;
            }
        }
        if (!nd->child) {
            uint32_t n = (uint32_t)nd->split;
            return eh + reach * ((double)depth + f->ctab[n]);
        }
        uint32_t k = nd->child + (z[nd->dim] >= (double)nd->split);
        if (want) {
            double b = (double)t->nodes[k].bits * (1.0 / IF_BITS_ONE);
            credit[nd->dim] += reach * b;
            lgn = lgn > b ? lgn - b : 0.0;
        }
        at = k;
        depth++;
    }
}

/* Both whitenings of x (trees use the one they were built in). */
static void if_whiten2(const ol_an_iforest_t *f, const double *x, double z[2][OL_AN_IFOREST_MAX_DIM])
{
    if_whiten(&f->xf[0], f->dim, x, z[0]);
    if_whiten(&f->xf[1], f->dim, x, z[1]);
}

static double if_raw(const ol_an_iforest_t *f, double z[2][OL_AN_IFOREST_MAX_DIM])
{
    double sum = 0;
    for (uint32_t t = 0; t < f->built; t++) {
        const if_tree_t *tr = &f->trees[t];
        sum += if_path(f, tr, z[tr->xf], false, NULL) * tr->inv_c;
    }
    return f->built ? exp2(-sum / (double)f->built) : 0.0;
}

/* The dimension with the largest isolation tally over all trees; a
 * whitened coordinate is the part of its own dimension that the ones
 * before it do not predict, so its tally goes to that dimension. */
static uint32_t if_culprit(const ol_an_iforest_t *f, double z[2][OL_AN_IFOREST_MAX_DIM])
{
    double credit[OL_AN_IFOREST_MAX_DIM] = {0};
    for (uint32_t t = 0; t < f->built; t++) if_path(f, &f->trees[t], z[f->trees[t].xf], true, credit);
    uint32_t best = 0;
    for (uint32_t i = 1; i < f->dim; i++)
        if (credit[i] > credit[best]) best = i;
    return best;
}

/* The k-th smallest of v[0..n-1] (reorders v). */
static double if_select(double *v, uint32_t n, uint32_t k)
{
    ol_sql_select_nth(v, n, k);
    return v[k];
}

static void if_requant(ol_an_iforest_t *f)
{
    uint32_t n = f->ring_n;
    memcpy(f->qscratch, f->ring, sizeof(double) * n);
    f->q50 = if_select(f->qscratch, n, n / 2);
    f->q90 = if_select(f->qscratch, n, (uint32_t)((uint64_t)n * 9 / 10));
    f->since_quant = 0;
}

static void if_push_score(ol_an_iforest_t *f, double s)
{
    f->ring[f->ring_head] = s;
    f->ring_head = f->ring_head + 1 == IF_RING ? 0 : f->ring_head + 1;
    if (f->ring_n < IF_RING) f->ring_n++;
    if (++f->since_quant >= IF_REQUANT || f->ring_n == IF_RING_MIN) if_requant(f);
}

static double if_stat(double raw)
{
    double r = raw > 1e-300 ? raw : 1e-300;
    return -log2(-log2(r < 0.999999 ? r : 0.999999));
}

static double if_spread(const ol_an_iforest_t *f)
{
    double s = (if_stat(f->q90) - if_stat(f->q50)) / 1.2816;
    return s > IF_MIN_SPREAD ? s : IF_MIN_SPREAD;
}

static double if_score_of(double z)
{
    if (!(z > IF_Z0)) return 0.0;
    double u = (z - IF_Z0) / IF_ZW;
    return 1.0 - exp(-u * u);
}

int ol_an_iforest_update(ol_an_iforest_t *f, int64_t t_ns, const double *x, bool learn, ol_an_verdict_t *out,
                         uint32_t *culprit)
{
    *out = (ol_an_verdict_t){.det = OL_AN_DET_IFOREST};
    if (culprit) *culprit = OL_AN_IFOREST_NONE;
    for (uint32_t i = 0; i < f->dim; i++)
        if (!isfinite(x[i]) || fabs(x[i]) > 1e30) return OL_AGAIN;
    double z[2][OL_AN_IFOREST_MAX_DIM];
    if_whiten2(f, x, z);
    double raw = if_raw(f, z);
    out->value = raw;
    if (ol_an_iforest_ready(f)) {
        double dev = (if_stat(raw) - if_stat(f->q50)) / if_spread(f);
        out->expected = f->q50;
        out->deviation = dev;
        out->score = if_score_of(dev);
        if (out->score > 0) {
            if (!f->in_run) f->run_since = t_ns;
            f->in_run = 1;
            out->since_ns = f->run_since;
            if (culprit) *culprit = if_culprit(f, z);
        } else {
            f->in_run = 0;
        }
    }
    if (learn) {
        if (f->built == f->n_trees) if_push_score(f, raw);
        if_learn(f, x);
    }
    return OL_OK;
}

/* ---- persistence ---- */

static size_t if_tri(uint32_t d) { return (size_t)d * (d - 1) / 2; }

int ol_an_iforest_save(const ol_an_iforest_t *f, ol_buf_t *out)
{
    size_t start = out->len;
    ol_an_wr_header(out, IF_MAGIC, IF_VERSION);
    ol_an_wr_u32(out, f->dim);
    ol_an_wr_u32(out, f->n_trees);
    ol_an_wr_u32(out, f->sample);
    ol_an_wr_u32(out, f->window);
    ol_an_wr_u32(out, f->refresh);
    ol_an_wr_u32(out, f->warmup);
    ol_an_wr_u64(out, f->seed);
    ol_an_wr_u64(out, f->rng);
    ol_an_wr_u64(out, f->learned);
    ol_an_wr_u32(out, f->head);
    ol_an_wr_u32(out, f->n);
    ol_an_wr_f32s(out, f->pts, (size_t)f->n * f->dim);
    ol_an_wr_u32(out, f->next_tree);
    ol_an_wr_u32(out, f->since_refresh);
    ol_an_wr_u8(out, f->cur);
    for (int k = 0; k < 2; k++) {
        const if_xform_t *xf = &f->xf[k];
        ol_an_wr_f64s(out, xf->mu, f->dim);
        ol_an_wr_f64s(out, xf->isd, f->dim);
        ol_an_wr_f64s(out, xf->inv_diag, f->dim);
        ol_an_wr_f64s(out, xf->l, if_tri(f->dim));
    }
    ol_an_wr_u32(out, f->built);
    for (uint32_t t = 0; t < f->built; t++) {
        const if_tree_t *tr = &f->trees[t];
        ol_an_wr_u8(out, tr->xf);
        ol_an_wr_u32(out, tr->size);
        ol_an_wr_u32(out, tr->n_nodes);
        for (uint32_t i = 0; i < tr->n_nodes; i++) {
            const if_node_t *nd = &tr->nodes[i];
            ol_an_wr_f32s(out, &nd->split, 1);
            ol_an_wr_u32(out, nd->child);
            ol_an_wr_u8(out, nd->dim);
            ol_an_wr_u8(out, nd->bits);
        }
        ol_an_wr_u32(out, tr->n_box);
        for (uint32_t i = 0; i < 2 * tr->n_box; i++) ol_an_wr_f32s(out, tr->box + (size_t)i * f->dp, f->dim);
    }
    ol_an_wr_u32(out, f->ring_head);
    ol_an_wr_u32(out, f->since_quant);
    ol_an_wr_u32(out, f->ring_n);
    ol_an_wr_f64s(out, f->ring, f->ring_n);
    ol_an_wr_f64(out, f->q50);
    ol_an_wr_f64(out, f->q90);
    ol_an_wr_i64(out, f->run_since);
    ol_an_wr_u8(out, f->in_run);
    ol_an_wr_seal(out, start);
    return out->err;
}

static bool if_finite_f64s(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return false;
    return true;
}

/* A whitening that cannot produce NaN or infinity from finite input (a
 * never-fitted one is all zeros: it maps everything to 0). */
static bool if_xform_ok(const if_xform_t *xf, uint32_t d)
{
    if (!if_finite_f64s(xf->mu, d) || !if_finite_f64s(xf->isd, d) || !if_finite_f64s(xf->inv_diag, d) ||
        !if_finite_f64s(xf->l, if_tri(d)))
        return false;
    for (uint32_t j = 0; j < d; j++)
        if (xf->isd[j] < 0 || xf->isd[j] > 1e12 || fabs(xf->inv_diag[j]) > 1e6) return false;
    for (size_t i = 0; i < if_tri(d); i++)
        if (fabs(xf->l[i]) > 1e6) return false;
    return true;
}

/* Each node: split f32, child u32, dim u8, bits u8. */
#define IF_NODE_BYTES 10u

static bool if_finite_f32s(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return false;
    return true;
}

/* Everything a walk relies on: children after their parent and inside
 * the tree, dimensions in range, leaf sizes within the sample, boxes
 * ordered, and boxes only on the breadth-first prefix. */
static bool if_tree_ok(const ol_an_iforest_t *f, const if_tree_t *t)
{
    if (t->n_nodes > 2 * t->size - 1 || t->n_box < 1 || t->n_box > t->n_nodes || t->n_box > IF_BOX_NODES)
        return false;
    for (uint32_t i = 0; i < t->n_nodes; i++) {
        const if_node_t *nd = &t->nodes[i];
        if (!isfinite(nd->split)) return false;
        if (nd->child && (nd->child <= i || (uint32_t)nd->child + 1 >= t->n_nodes || nd->dim >= f->dim)) return false;
        if (!nd->child && !(nd->split >= 1.0f && nd->split <= (float)t->size && nd->split == floorf(nd->split)))
            return false;
    }
    if (!if_finite_f32s(t->box, (size_t)t->n_box * 2 * f->dp)) return false;
    for (uint32_t i = 0; i < t->n_box; i++) {
        const float *lo = t->box + (size_t)i * 2 * f->dp, *hi = lo + f->dp;
        for (uint32_t j = 0; j < f->dim; j++) /* whitened coordinates are clipped to +-1e30 (if_f32) */
            if (!(lo[j] <= hi[j]) || lo[j] < -1e30f || hi[j] > 1e30f) return false;
    }
    return true;
}

int ol_an_iforest_load(ol_slice_t blob, ol_an_iforest_t **out)
{
    *out = NULL;
    ol_an_rd_t r = ol_an_rd_sealed(blob, IF_MAGIC, IF_VERSION);
    if (r.rc != OL_OK) return OL_CORRUPT;
    ol_an_iforest_options_t o = {0};
    o.dim = ol_an_rd_u32(&r);
    o.trees = ol_an_rd_u32(&r);
    o.sample = ol_an_rd_u32(&r);
    o.window = ol_an_rd_u32(&r);
    o.refresh = ol_an_rd_u32(&r);
    o.warmup = ol_an_rd_u32(&r);
    o.seed = ol_an_rd_u64(&r);
    if (r.rc != OL_OK || o.trees == 0 || o.sample == 0 || o.window == 0 || o.refresh == 0 || o.warmup == 0 ||
        o.seed == 0 || if_check_opts(&o) != OL_OK)
        return OL_CORRUPT;
    ol_an_iforest_t *f;
    int rc = if_alloc(&o, &f);
    if (rc != OL_OK) return rc;
    f->rng = ol_an_rd_u64(&r);
    f->learned = ol_an_rd_u64(&r);
    f->head = ol_an_rd_u32(&r);
    f->n = ol_an_rd_count(&r, f->window, sizeof(float) * f->dim);
    ol_an_rd_f32s(&r, f->pts, (size_t)f->n * f->dim);
    f->next_tree = ol_an_rd_u32(&r);
    f->since_refresh = ol_an_rd_u32(&r);
    f->cur = ol_an_rd_u8(&r);
    bool xf_ok = f->cur <= 1;
    for (int k = 0; k < 2; k++) {
        if_xform_t *xf = &f->xf[k];
        ol_an_rd_f64s(&r, xf->mu, f->dim);
        ol_an_rd_f64s(&r, xf->isd, f->dim);
        ol_an_rd_f64s(&r, xf->inv_diag, f->dim);
        ol_an_rd_f64s(&r, xf->l, if_tri(f->dim));
        xf_ok = xf_ok && if_xform_ok(xf, f->dim);
    }
    f->built = ol_an_rd_count(&r, f->n_trees, 8);
    bool ok = r.rc == OL_OK && xf_ok && f->head < f->window && (f->n == f->window || f->head == f->n) &&
              f->learned >= f->n && f->next_tree < f->n_trees && f->since_refresh < f->refresh &&
              if_finite_f32s(f->pts, (size_t)f->n * f->dim);
    for (uint32_t t = 0; ok && t < f->built; t++) {
        if_tree_t *tr = &f->trees[t];
        tr->xf = ol_an_rd_u8(&r);
        tr->size = ol_an_rd_u32(&r);
        if (tr->xf > 1 || tr->size < 1 || tr->size > f->sample) {
            ok = false;
            break;
        }
        tr->n_nodes = ol_an_rd_count(&r, 2 * tr->size - 1, IF_NODE_BYTES);
        for (uint32_t i = 0; i < tr->n_nodes; i++) {
            if_node_t *nd = &tr->nodes[i];
            ol_an_rd_f32s(&r, &nd->split, 1);
            uint32_t child = ol_an_rd_u32(&r);
            nd->dim = ol_an_rd_u8(&r);
            nd->bits = ol_an_rd_u8(&r);
            if (child > UINT16_MAX) r.rc = OL_CORRUPT;
            nd->child = (uint16_t)child;
        }
        tr->n_box = ol_an_rd_count(&r, IF_BOX_NODES, sizeof(float) * 2 * f->dim);
        for (uint32_t i = 0; i < 2 * tr->n_box; i++) ol_an_rd_f32s(&r, tr->box + (size_t)i * f->dp, f->dim);
        ok = r.rc == OL_OK && tr->n_nodes >= 1 && if_tree_ok(f, tr);
        if (ok) if_tree_spans(f, tr);
        tr->inv_c = f->ctab[tr->size] > 0 ? 1.0 / f->ctab[tr->size] : 1.0;
    }
    if (ok) {
        f->ring_head = ol_an_rd_u32(&r);
        f->since_quant = ol_an_rd_u32(&r);
        f->ring_n = ol_an_rd_count(&r, IF_RING, sizeof(double));
        ol_an_rd_f64s(&r, f->ring, f->ring_n);
        f->q50 = ol_an_rd_f64(&r);
        f->q90 = ol_an_rd_f64(&r);
        f->run_since = ol_an_rd_i64(&r);
        f->in_run = ol_an_rd_u8(&r);
        ok = r.rc == OL_OK && r.left == 0 && f->ring_head < IF_RING &&
             (f->ring_n == IF_RING || f->ring_head == f->ring_n) && f->since_quant < IF_REQUANT &&
             isfinite(f->q50) && isfinite(f->q90) && f->in_run <= 1;
        for (uint32_t i = 0; ok && i < f->ring_n; i++) ok = isfinite(f->ring[i]);
    }
    if (!ok) {
        ol_an_iforest_destroy(f);
        return OL_CORRUPT;
    }
    *out = f;
    return OL_OK;
}
