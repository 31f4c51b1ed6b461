/*
 * calib.c - tail probabilities against a sliding window (calib.h).
 */
#include "analyze/calib.h"

#include <math.h>

#include "core/alloc.h"

/* Values are kept as log1p(v) * Q_SCALE in 16 bits: 4 bytes per value
 * (sorted and ring) instead of 8, relative resolution 5e-4, saturating
 * at about 7.9e13. Negative values count as 0: the statistics ranked
 * here are distances. */
#define Q_SCALE 2048.0

static uint16_t quant(double v)
{
    if (!(v > 0)) return 0;
    double q = log1p(v) * Q_SCALE;
    return q >= 65535 ? 65535 : (uint16_t)lround(q);
}

static double dequant(uint16_t q) { return expm1(q / Q_SCALE); }

int ol_an_calib_init(ol_an_calib_t *c, uint32_t cap)
{
    memset(c, 0, sizeof *c);
    if (cap < 8) cap = 8;
    if (cap > OL_AN_CALIB_MAX) cap = OL_AN_CALIB_MAX;
    c->sorted = ol_malloc(OL_MEM_ANALYZE, cap * sizeof(uint16_t));
    c->ring = ol_malloc(OL_MEM_ANALYZE, cap * sizeof(uint16_t));
    c->cap = cap;
    if (!c->sorted || !c->ring) {
        ol_an_calib_free(c);
        return OL_NOMEM;
    }
    return OL_OK;
}

void ol_an_calib_free(ol_an_calib_t *c)
{
    ol_free(OL_MEM_ANALYZE, c->sorted, c->cap * sizeof(uint16_t));
    ol_free(OL_MEM_ANALYZE, c->ring, c->cap * sizeof(uint16_t));
    c->sorted = c->ring = NULL;
    c->n = 0;
}

static uint32_t lower(const ol_an_calib_t *c, uint16_t v)
{
    uint32_t lo = 0, hi = c->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (c->sorted[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Below the top k values, the empirical rank (#{h >= v} + 1)/(n + 1).
 * Above their threshold u, an exponential tail fitted to the k excesses
 * (peaks over threshold): P(X > v) = k/(n+1) * exp(-(v - u) / beta), beta
 * their mean excess. It meets the rank at u and keeps falling past the
 * largest value in the spread of the tail itself, so a new record is about
 * 1/n (as likely as it should be) and a value ten spreads beyond it is
 * e^-10 rarer. A value already in the window is never rarer than its rank
 * says (ties at the top of a periodic signal are not news). */
double ol_an_calib_tail(const ol_an_calib_t *c, double v)
{
    if (c->n == 0 || isnan(v)) return 1.0;
    uint32_t ge = c->n - lower(c, quant(v));
    double rank = (ge + 1.0) / (c->n + 1.0);
    uint32_t k = c->n / 50 < 8 ? 8 : c->n / 50;
    if (c->n <= 2 * k) return rank;
    double u = dequant(c->sorted[c->n - k - 1]);
    if (!(v > u)) return rank;
    double ex = 0;
    for (uint32_t i = c->n - k; i < c->n; i++) ex += dequant(c->sorted[i]) - u;
    double beta = fmax(ex / k, 1e-9 * (fabs(u) + 1e-300));
    double pot = (double)k / (c->n + 1.0) * exp(-(v - u) / beta);
    return ge ? fmax(pot, (double)ge / (c->n + 1.0)) : pot;
}

void ol_an_calib_add(ol_an_calib_t *c, double v)
{
    if (isnan(v)) return;
    uint16_t fv = quant(v);
    if (c->n == c->cap) {
        uint32_t i = lower(c, c->ring[c->head]);
        memmove(c->sorted + i, c->sorted + i + 1, (c->n - i - 1) * sizeof(uint16_t));
        c->n--;
    }
    uint32_t i = lower(c, fv);
    memmove(c->sorted + i + 1, c->sorted + i, (c->n - i) * sizeof(uint16_t));
    c->sorted[i] = fv;
    c->n++;
    c->ring[c->head] = fv;
    c->head = (c->head + 1) % c->cap;
}

void ol_an_calib_reset(ol_an_calib_t *c) { c->n = c->head = 0; }

/* Only the window in arrival order is stored; the sorted copy is rebuilt. */
void ol_an_calib_save(const ol_an_calib_t *c, ol_buf_t *b)
{
    ol_an_wr_u32(b, c->n);
    uint32_t start = c->n < c->cap ? 0 : c->head;
    for (uint32_t i = 0; i < c->n; i++) {
        uint16_t q = c->ring[(start + i) % c->cap];
        ol_an_wr_u8(b, (uint8_t)q);
        ol_an_wr_u8(b, (uint8_t)(q >> 8));
    }
}

void ol_an_calib_load(ol_an_calib_t *c, ol_an_rd_t *r)
{
    uint32_t n = ol_an_rd_count(r, c->cap, 2);
    c->n = c->head = 0;
    for (uint32_t i = 0; i < n && r->rc == OL_OK; i++) {
        uint16_t q = ol_an_rd_u8(r);
        q |= (uint16_t)(ol_an_rd_u8(r) << 8);
        if (r->rc != OL_OK) break;
        uint32_t at = lower(c, q);
        memmove(c->sorted + at + 1, c->sorted + at, (c->n - at) * sizeof(uint16_t));
        c->sorted[at] = q;
        c->ring[c->head] = q;
        c->head = (c->head + 1) % c->cap;
        c->n++;
    }
}
