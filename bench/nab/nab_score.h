/*
 * nab_score.h - the Numenta Anomaly Benchmark scorer, as
 * ../shared/data/nab/SCORING.md states it, and the loaders it needs.
 *
 * The corpus (ol_nab_corpus_load) is the list of files in
 * labels/combined_windows.json, each data/<category>/<file>.csv read whole
 * (timestamps, values), its windows mapped to inclusive row ranges by
 * comparing the window's start/end timestamps with the rows', and its
 * probation period. config/profiles.json gives the three cost profiles.
 *
 * A detector's output is one anomaly score per row of every file (a[f][i],
 * in [0,1], never NaN: the results loader enforces it).
 * Scoring never looks at values or timestamps, only at the file's row
 * count, probation and windows (ol_nab_file_t), so tests can build files by
 * hand. Everything here is deterministic and single-threaded.
 *
 *   row weight s_i        ol_nab_weights     (labels and profile only)
 *   S_f(theta)            ol_nab_score_file  (O(n))
 *   S(theta)              ol_nab_score_corpus
 *   theta* = argmax S     ol_nab_sweep       (O(n log n), ties to the highest threshold)
 *   Score_100             ol_nab_normalise   (null detector swept, perfect = A_TP * #windows)
 *
 * Memory: the corpus and everything loaded for it live in the corpus'
 * arena, freed by ol_nab_corpus_destroy; loaders that take an arena
 * allocate from that arena.
 */
#ifndef OL_BENCH_NAB_SCORE_H
#define OL_BENCH_NAB_SCORE_H

#include <stdio.h>

#include "core/arena.h"
#include "core/common.h"

#define OL_NAB_NPROFILES 3
#define OL_NAB_NO_DETECTION 1.1 /* the sweep's first candidate: nothing detected */

typedef struct ol_nab_profile {
    const char *name; /* "standard", "reward_low_FP_rate", "reward_low_FN_rate" */
    double a_tp, a_fp, a_fn;
} ol_nab_profile_t;

typedef struct ol_nab_window {
    uint32_t l, r; /* inclusive row range, l <= r */
} ol_nab_window_t;

typedef struct ol_nab_file {
    const char *name;     /* "realKnownCause/nyc_taxi.csv", the key in combined_windows.json */
    const char *category; /* "realKnownCause" */
    const char *base;     /* "nyc_taxi" */
    uint32_t n;           /* rows */
    uint32_t probation;   /* rows i < probation are ignored */
    const ol_nab_window_t *win; /* sorted, disjoint */
    uint32_t nwin;
    /* From the data file (NULL in hand-built files): */
    const int64_t *t_us;       /* row timestamps, microseconds since the epoch (UTC) */
    const ol_slice_t *t_text;  /* the timestamp field exactly as in the data file */
    const ol_slice_t *v_text;  /* the value field exactly as in the data file */
    const double *value;
} ol_nab_file_t;

typedef struct ol_nab_corpus {
    ol_arena_t *arena;
    ol_nab_file_t *files;
    uint32_t nfiles;
    uint32_t nwindows; /* over the loaded files */
    uint64_t nrows;
    ol_nab_profile_t prof[OL_NAB_NPROFILES];
} ol_nab_corpus_t;

/* What a threshold does to one file or a set of files. */
typedef struct ol_nab_counts {
    double score;       /* raw S */
    uint32_t win_hit;   /* windows with a scorable detection */
    uint32_t win_miss;  /* scorable windows without one */
    uint64_t tp_rows;   /* scorable detections inside windows */
    uint64_t fp_rows;   /* scorable detections outside windows */
} ol_nab_counts_t;

/* ---- the math (SCORING.md) ---- */

/* 2/(1+e^{5y}) - 1, and -1 when y > 3. */
double ol_nab_sigmoid(double y);
/* sigma(-1), the weight that makes a window's first row score exactly A_TP. */
double ol_nab_max_tp(void);
/* min(floor(0.15 n), 750). */
uint32_t ol_nab_probation(uint32_t n);
/* s[0..f->n): the weight of a detection at each row. */
void ol_nab_weights(const ol_nab_file_t *f, const ol_nab_profile_t *p, double *s);

/* S_f(theta) with detections a[i] >= theta; counts optional (NULL). OL_OK or
 * OL_NOMEM (the weights need f->n doubles). */
int ol_nab_score_file(const ol_nab_file_t *f, const ol_nab_profile_t *p, const double *a, double theta,
                      ol_nab_counts_t *c);
/* Sum over files; per_file optional (nfiles entries). */
int ol_nab_score_corpus(const ol_nab_file_t *files, uint32_t nfiles, const double *const *a,
                        const ol_nab_profile_t *p, double theta, ol_nab_counts_t *total,
                        ol_nab_counts_t *per_file);

/* The exhaustive sweep: candidates 1.1 and every distinct scorable a_i,
 * visited in descending order; *theta is the first one reaching the maximum
 * (a tie keeps the higher threshold), *best its S as summed by the sweep.
 * Score the corpus at *theta with ol_nab_score_corpus for the reported raw
 * score. OL_OK, OL_NOMEM. */
int ol_nab_sweep(const ol_nab_file_t *files, uint32_t nfiles, const double *const *a, const ol_nab_profile_t *p,
                 double *theta, double *best);

/* The normalisation's two ends for these files: S_null, the null detector
 * (a_i = 0.5 everywhere) at its own swept threshold, and S_perfect = A_TP *
 * number of windows. */
int ol_nab_bounds(const ol_nab_file_t *files, uint32_t nfiles, const ol_nab_profile_t *p, double *s_null,
                  double *s_perfect);
/* 100 (raw - s_null) / (s_perfect - s_null). */
double ol_nab_normalise(double raw, double s_null, double s_perfect);

/* ---- loaders (errors name the file and line) ---- */

/* Loads the corpus from a NAB directory (data/, labels/, config/). only:
 * NULL for all files, else only files whose name contains it. OL_OK,
 * OL_ERR (I/O), OL_CORRUPT (bad input), OL_NOMEM, OL_NOTFOUND (only matched
 * nothing). */
int ol_nab_corpus_load(const char *nab_dir, const char *only, ol_nab_corpus_t **out, ol_err_t *err);
void ol_nab_corpus_destroy(ol_nab_corpus_t *c);

/* Reads `<results>/<detector>/<category>/<detector>_<base>.csv` for every
 * file: header with `timestamp` and `anomaly_score` columns, one row per
 * data row with the same timestamp, scores finite and in [0,1]. a[f] is
 * allocated from the corpus arena. */
int ol_nab_results_load(ol_nab_corpus_t *c, const char *results_dir, const char *detector, double **a,
                        ol_err_t *err);

/* config/thresholds.json: thr[k] for c->prof[k] (and the raw score NAB
 * stored with it, raw may be NULL). OL_NOTFOUND when the detector is absent. */
int ol_nab_thresholds_load(ol_nab_corpus_t *c, const char *nab_dir, const char *detector,
                           double thr[OL_NAB_NPROFILES], double raw[OL_NAB_NPROFILES], ol_err_t *err);

/* Reads a whole file into the arena (NUL-terminated; len excludes it). */
int ol_nab_read_file(ol_arena_t *a, const char *path, uint8_t **data, size_t *len, ol_err_t *err);

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) to microseconds since the epoch. */
int ol_nab_parse_time(ol_slice_t s, int64_t *us);

/* One CSV line at a time: fields split on ',', trailing '\r' dropped, no
 * quoting (a '"' is an error). Lines are counted from 1 for messages. */
typedef struct ol_nab_csv {
    const char *path;
    const uint8_t *p, *end;
    uint32_t line; /* the line last returned */
} ol_nab_csv_t;

void ol_nab_csv_init(ol_nab_csv_t *r, const char *path, const uint8_t *data, size_t len);
/* Splits the next non-empty line into at most max fields. Returns the
 * number of fields, 0 at the end, OL_CORRUPT (err names path:line) for a
 * quote or more than max fields. */
int ol_nab_csv_next(ol_nab_csv_t *r, ol_slice_t *fields, int max, ol_err_t *err);
/* Parses a whole field as a finite double. */
int ol_nab_parse_double(ol_slice_t s, double *out);

/* ---- evaluation: thresholds, scores, normalisation for all profiles ---- */

typedef struct ol_nab_eval {
    bool swept;
    double theta[OL_NAB_NPROFILES];
    double raw[OL_NAB_NPROFILES];
    double norm[OL_NAB_NPROFILES];
    double s_null[OL_NAB_NPROFILES], s_perfect[OL_NAB_NPROFILES];
    ol_nab_counts_t total[OL_NAB_NPROFILES];
    ol_nab_counts_t *per_file[OL_NAB_NPROFILES]; /* c->nfiles each, corpus arena */
} ol_nab_eval_t;

/* Scores a[] for every profile at thr[k], or swept thresholds when thr is
 * NULL. OL_OK, OL_NOMEM. */
int ol_nab_evaluate(ol_nab_corpus_t *c, const double *const *a, const double *thr, ol_nab_eval_t *ev);

/* The profile table (normalised to 2 decimals, raw, threshold); with
 * categories, per profile and category the windows hit/missed and FP rows;
 * with per_file, each file's raw score and counts. */
void ol_nab_print(FILE *out, const ol_nab_corpus_t *c, const ol_nab_eval_t *ev, bool categories, bool per_file);

/* The shortest decimal that reads back as v (like Python's repr). */
void ol_nab_fmt(double v, char buf[32]);

#endif
