/*
 * verdict.h - what every detector says about one step of a signal, and the
 * little binary codec every detector uses to persist its state.
 *
 * Olly's detectors (src/analyze/) are streaming: they see one step of a
 * signal at a time, never a later one, and after each step say how
 * anomalous it is (score in [0,1]) and why: what they expected, what they
 * saw, by how much that differs in their own unit, and since when. The
 * combination (uni.h for one signal, the service detector for a RED
 * vector) keeps the verdicts of its parts so that an anomaly can always
 * name the detector and the evidence that raised it.
 *
 * State is saved as a byte string (ol_an_wr_*), loaded back with bounds
 * checks (ol_an_rd_*): a truncated or damaged blob is OL_CORRUPT, never a
 * crash. Every detector's blob starts with its own magic and version, so a
 * stored baseline from an older Olly is refused rather than misread.
 * docs/format/analysis-state.md specifies the layout.
 */
#ifndef OL_ANALYZE_VERDICT_H
#define OL_ANALYZE_VERDICT_H

#include "core/buf.h"
#include "core/common.h"

typedef enum {
    OL_AN_DET_NONE = 0,
    OL_AN_DET_ROBUST,     /* median/MAD deviation against the seasonal baseline */
    OL_AN_DET_CUSUM,      /* CUSUM change point */
    OL_AN_DET_BOCPD,      /* Bayesian online change point */
    OL_AN_DET_IFOREST,    /* isolation forest */
    OL_AN_DET_AUTOENC,    /* autoencoder reconstruction error */
    OL_AN_DET_SLO,        /* SLO burn rate */
    OL_AN_DET_FORECAST,   /* Holt-Winters forecast (predictive) */
    OL_AN_DET_NOVELTY,    /* value/context never seen before */
    OL_AN_DET_BINOMIAL,   /* events (errors, slow requests) in a window against their learned share */
    OL_AN_DET_POISSON,    /* requests in a window against the expected count */
    OL_AN_DET__COUNT
} ol_an_det_t;

/* "robust", "cusum", ... ("none" for OL_AN_DET_NONE or out of range). */
const char *ol_an_det_name(ol_an_det_t d);

typedef struct ol_an_verdict {
    double score;     /* [0,1]; 0 = nothing unusual */
    double value;     /* what was observed (the detector's input, or its own statistic) */
    double expected;  /* what the detector expected (baseline, forecast, typical score) */
    double deviation; /* signed distance in the detector's unit (MADs, sigmas, burn rate, minutes to breach) */
    int64_t since_ns; /* onset estimate (event time); 0 = unknown */
    uint8_t det;      /* ol_an_det_t */
} ol_an_verdict_t;

/* ---- persistence: little-endian, fixed-width, no padding ---- */
void ol_an_wr_u8(ol_buf_t *b, uint8_t v);
void ol_an_wr_u32(ol_buf_t *b, uint32_t v);
void ol_an_wr_u64(ol_buf_t *b, uint64_t v);
void ol_an_wr_i64(ol_buf_t *b, int64_t v);
void ol_an_wr_f64(ol_buf_t *b, double v);
void ol_an_wr_f64s(ol_buf_t *b, const double *v, size_t n);
void ol_an_wr_f32s(ol_buf_t *b, const float *v, size_t n);

/* A reader over a blob; every read checks the remaining length. After the
 * first failure every later read fails too and rd.rc == OL_CORRUPT, so a
 * loader can read everything and check once at the end. */
typedef struct ol_an_rd {
    const uint8_t *p;
    size_t left;
    int rc;
} ol_an_rd_t;

static inline ol_an_rd_t ol_an_rd(ol_slice_t s) { return (ol_an_rd_t){s.ptr, s.len, OL_OK}; }
uint8_t ol_an_rd_u8(ol_an_rd_t *r);
uint32_t ol_an_rd_u32(ol_an_rd_t *r);
uint64_t ol_an_rd_u64(ol_an_rd_t *r);
int64_t ol_an_rd_i64(ol_an_rd_t *r);
double ol_an_rd_f64(ol_an_rd_t *r); /* NaN is allowed; the caller checks ranges it needs */
void ol_an_rd_f64s(ol_an_rd_t *r, double *v, size_t n);
void ol_an_rd_f32s(ol_an_rd_t *r, float *v, size_t n);
/* A count read from a blob that sizes an allocation: fails (OL_CORRUPT)
 * when above max or when fewer than count*elem bytes remain. */
uint32_t ol_an_rd_count(ol_an_rd_t *r, uint32_t max, size_t elem);

/* Magic + version header: writes 4 magic bytes and a u32 version; the
 * reader fails unless both match. */
void ol_an_wr_header(ol_buf_t *b, const char magic[4], uint32_t version);
void ol_an_rd_header(ol_an_rd_t *r, const char magic[4], uint32_t version);

/* Sealed blobs end with a CRC-32C of everything before it. ol_an_wr_seal
 * appends the CRC of b's bytes from `start` (where the header was written);
 * ol_an_rd_sealed checks it and the header and returns a reader over what
 * lies between (rc OL_CORRUPT when either is wrong). */
void ol_an_wr_seal(ol_buf_t *b, size_t start);
ol_an_rd_t ol_an_rd_sealed(ol_slice_t blob, const char magic[4], uint32_t version);

#endif
