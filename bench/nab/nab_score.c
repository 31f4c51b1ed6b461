/*
 * nab_score.c - NAB scoring (SCORING.md) and the loaders for NAB's files.
 *
 * The scorer works on row indices only. A window is an inclusive row range;
 * each row's weight s_i depends on where it lies relative to the windows
 * (ol_nab_weights), and a threshold turns a detector's scores into
 * detections: a window counts the weight of its best (earliest) scorable
 * detection or -A_FN, a detection outside every window adds its (negative)
 * weight. The sweep sorts the pooled scorable rows once by score and walks
 * down through the distinct scores, keeping each window's best weight and
 * the running sum, so every candidate threshold costs O(1) amortised.
 *
 * Loaders parse JSON with Olly's parser and CSV by hand; every error names
 * the file (and line) so a damaged data or results file is found quickly.
 */
#include "nab/nab_score.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/json.h"
#include "core/alloc.h"

/* ------------------------------------------------------------------ math */

double ol_nab_sigmoid(double y)
{
    if (y > 3.0) return -1.0;
    return 2.0 / (1.0 + exp(5.0 * y)) - 1.0;
}

double ol_nab_max_tp(void) { return ol_nab_sigmoid(-1.0); }

uint32_t ol_nab_probation(uint32_t n)
{
    double p = floor(0.15 * (double)n);
    double cap = 0.15 * 5000.0;
    return (uint32_t)(p < cap ? p : cap);
}

void ol_nab_weights(const ol_nab_file_t *f, const ol_nab_profile_t *p, double *s)
{
    double max_tp = ol_nab_max_tp();
    uint32_t k = 0; /* first window not yet ended */
    bool have_prev = false;
    ol_nab_window_t prev = {0, 0};
    for (uint32_t i = 0; i < f->n; i++) {
        while (k < f->nwin && f->win[k].r < i) {
            prev = f->win[k++];
            have_prev = true;
        }
        if (k < f->nwin && f->win[k].l <= i) {
            const ol_nab_window_t *w = &f->win[k];
            double width = (double)(w->r - w->l + 1);
            double y = -(double)(w->r - i + 1) / width;
            s[i] = p->a_tp * ol_nab_sigmoid(y) / max_tp;
        } else if (!have_prev || prev.r == prev.l) {
            /* No window yet; or a one-row window, where NAB's y = d / (W - 1)
             * divides by zero: y is infinite, sigma = -1. */
            s[i] = -p->a_fp;
        } else {
            double y = (double)(i - prev.r) / (double)(prev.r - prev.l);
            s[i] = ol_nab_sigmoid(y) * p->a_fp;
        }
    }
}

int ol_nab_score_file(const ol_nab_file_t *f, const ol_nab_profile_t *p, const double *a, double theta,
                      ol_nab_counts_t *c)
{
    ol_nab_counts_t cnt = {0};
    if (f->n == 0) {
        if (c) *c = cnt;
        return OL_OK;
    }
    double *s = ol_malloc(OL_MEM_ANALYZE, (size_t)f->n * sizeof *s);
    if (!s) return OL_NOMEM;
    ol_nab_weights(f, p, s);
    double sum = 0;
    uint32_t i = f->probation, k = 0;
    while (i < f->n) {
        while (k < f->nwin && f->win[k].r < i) k++;
        if (k < f->nwin && f->win[k].l <= i) {
            /* The scorable part of window k: [i, r]. */
            const ol_nab_window_t *w = &f->win[k];
            bool hit = false;
            double best = 0;
            for (; i <= w->r; i++) {
                if (!(a[i] >= theta)) continue;
                cnt.tp_rows++;
                if (!hit || s[i] > best) best = s[i];
                hit = true;
            }
            if (hit) {
                sum += best;
                cnt.win_hit++;
            } else {
                sum -= p->a_fn;
                cnt.win_miss++;
            }
            k++;
            continue;
        }
        if (a[i] >= theta) {
            sum += s[i];
            cnt.fp_rows++;
        }
        i++;
    }
    ol_free(OL_MEM_ANALYZE, s, (size_t)f->n * sizeof *s);
    cnt.score = sum;
    if (c) *c = cnt;
    return OL_OK;
}

int ol_nab_score_corpus(const ol_nab_file_t *files, uint32_t nfiles, const double *const *a,
                        const ol_nab_profile_t *p, double theta, ol_nab_counts_t *total, ol_nab_counts_t *per_file)
{
    ol_nab_counts_t t = {0};
    for (uint32_t f = 0; f < nfiles; f++) {
        ol_nab_counts_t c;
        int rc = ol_nab_score_file(&files[f], p, a[f], theta, &c);
        if (rc != OL_OK) return rc;
        if (per_file) per_file[f] = c;
        t.score += c.score;
        t.win_hit += c.win_hit;
        t.win_miss += c.win_miss;
        t.tp_rows += c.tp_rows;
        t.fp_rows += c.fp_rows;
    }
    if (total) *total = t;
    return OL_OK;
}

typedef struct ol_nab_row {
    double a;   /* anomaly score */
    double s;   /* weight */
    int32_t w;  /* corpus-wide index of the scorable window, -1 outside */
} ol_nab_row_t;

static int ol_nab_row_cmp(const void *x, const void *y)
{
    double a = ((const ol_nab_row_t *)x)->a, b = ((const ol_nab_row_t *)y)->a;
    return a > b ? -1 : a < b ? 1 : 0;
}

int ol_nab_sweep(const ol_nab_file_t *files, uint32_t nfiles, const double *const *a, const ol_nab_profile_t *p,
                 double *theta, double *best)
{
    size_t m = 0, maxn = 0;
    for (uint32_t f = 0; f < nfiles; f++) {
        if (files[f].n > files[f].probation) m += files[f].n - files[f].probation;
        if (files[f].n > maxn) maxn = files[f].n;
    }
    int rc = OL_NOMEM;
    ol_nab_row_t *rows = ol_malloc(OL_MEM_ANALYZE, (m ? m : 1) * sizeof *rows);
    double *s = ol_malloc(OL_MEM_ANALYZE, (maxn ? maxn : 1) * sizeof *s);
    double *cur = NULL;
    bool *hit = NULL;
    size_t nwin_all = 0;
    for (uint32_t f = 0; f < nfiles; f++) nwin_all += files[f].nwin;
    cur = ol_malloc(OL_MEM_ANALYZE, (nwin_all ? nwin_all : 1) * sizeof *cur);
    hit = ol_calloc(OL_MEM_ANALYZE, nwin_all ? nwin_all : 1, sizeof *hit);
    if (!rows || !s || !cur || !hit) goto out;

    /* Windows get corpus-wide ids (file by file); a window whose rows all
     * lie in the probation period owns no row and is never counted. */
    size_t r = 0, first_w = 0;
    for (uint32_t f = 0; f < nfiles; f++) {
        const ol_nab_file_t *fl = &files[f];
        ol_nab_weights(fl, p, s);
        uint32_t k = 0;
        for (uint32_t i = fl->probation; i < fl->n; i++) {
            while (k < fl->nwin && fl->win[k].r < i) k++;
            int32_t w = k < fl->nwin && fl->win[k].l <= i ? (int32_t)(first_w + k) : -1;
            if (w >= 0) hit[w] = true;
            rows[r++] = (ol_nab_row_t){a[f][i], s[i], w};
        }
        first_w += fl->nwin;
    }
    size_t nscorable = 0;
    for (size_t w = 0; w < nwin_all; w++) {
        nscorable += hit[w];
        hit[w] = false;
    }

    qsort(rows, m, sizeof *rows, ol_nab_row_cmp);
    long double sum = -(long double)p->a_fn * (long double)nscorable;
    long double top = sum;
    double th = OL_NAB_NO_DETECTION;
    for (size_t i = 0; i < m;) {
        double v = rows[i].a;
        for (; i < m && rows[i].a == v; i++) {
            const ol_nab_row_t *row = &rows[i];
            if (row->w < 0) {
                sum += row->s;
            } else if (!hit[row->w]) {
                hit[row->w] = true;
                cur[row->w] = row->s;
                sum += (long double)row->s + p->a_fn;
            } else if (row->s > cur[row->w]) {
                sum += (long double)row->s - cur[row->w];
                cur[row->w] = row->s;
            }
        }
        if (sum > top) {
            top = sum;
            th = v;
        }
    }
    *theta = th;
    if (best) *best = (double)top;
    rc = OL_OK;
out:
    ol_free(OL_MEM_ANALYZE, rows, (m ? m : 1) * sizeof *rows);
    ol_free(OL_MEM_ANALYZE, s, (maxn ? maxn : 1) * sizeof *s);
    ol_free(OL_MEM_ANALYZE, cur, (nwin_all ? nwin_all : 1) * sizeof *cur);
    ol_free(OL_MEM_ANALYZE, hit, (nwin_all ? nwin_all : 1) * sizeof *hit);
    return rc;
}

int ol_nab_bounds(const ol_nab_file_t *files, uint32_t nfiles, const ol_nab_profile_t *p, double *s_null,
                  double *s_perfect)
{
    uint32_t maxn = 0, nwin = 0;
    for (uint32_t f = 0; f < nfiles; f++) {
        if (files[f].n > maxn) maxn = files[f].n;
        nwin += files[f].nwin;
    }
    double *half = ol_malloc(OL_MEM_ANALYZE, (size_t)(maxn ? maxn : 1) * sizeof *half);
    const double **a = ol_malloc(OL_MEM_ANALYZE, (size_t)(nfiles ? nfiles : 1) * sizeof *a);
    int rc = OL_NOMEM;
    if (!half || !a) goto out;
    for (uint32_t i = 0; i < maxn; i++) half[i] = 0.5;
    for (uint32_t f = 0; f < nfiles; f++) a[f] = half;
    double theta;
    rc = ol_nab_sweep(files, nfiles, a, p, &theta, NULL);
    ol_nab_counts_t t;
    if (rc == OL_OK) rc = ol_nab_score_corpus(files, nfiles, a, p, theta, &t, NULL);
    if (rc == OL_OK) {
        *s_null = t.score;
        *s_perfect = p->a_tp * (double)nwin;
    }
out:
    ol_free(OL_MEM_ANALYZE, half, (size_t)(maxn ? maxn : 1) * sizeof *half);
    ol_free(OL_MEM_ANALYZE, a, (size_t)(nfiles ? nfiles : 1) * sizeof *a);
    return rc;
}

double ol_nab_normalise(double raw, double s_null, double s_perfect)
{
    return 100.0 * (raw - s_null) / (s_perfect - s_null);
}

/* ------------------------------------------------------------- parsing */

int ol_nab_read_file(ol_arena_t *a, const char *path, uint8_t **data, size_t *len, ol_err_t *err)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        ol_err_set(err, "cannot open %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return OL_ERR;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)1 << 30) {
        ol_err_set(err, "%s: not a regular file of at most 1 GiB", path);
        close(fd);
        return OL_ERR;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *p = ol_arena_alloc(a, n + 1);
    if (!p) {
        close(fd);
        ol_err_set(err, "%s: cannot allocate %zu bytes", path, n);
        return OL_NOMEM;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            ol_err_set(err, "read %s: %s", path, k < 0 ? strerror(errno) : "file shrank");
            close(fd);
            return OL_ERR;
        }
        got += (size_t)k;
    }
    close(fd);
    p[n] = 0;
    *data = p;
    *len = n;
    return OL_OK;
}

static int64_t ol_nab_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool ol_nab_digits(const uint8_t *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

int ol_nab_parse_time(ol_slice_t s, int64_t *us)
{
    static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const uint8_t *p = s.ptr;
    int y, mo, d, h, mi, se, frac = 0;
    if (s.len < 19 || p[4] != '-' || p[7] != '-' || p[10] != ' ' || p[13] != ':' || p[16] != ':') return OL_CORRUPT;
    if (!ol_nab_digits(p, 4, &y) || !ol_nab_digits(p + 5, 2, &mo) || !ol_nab_digits(p + 8, 2, &d) ||
        !ol_nab_digits(p + 11, 2, &h) || !ol_nab_digits(p + 14, 2, &mi) || !ol_nab_digits(p + 17, 2, &se))
        return OL_CORRUPT;
    if (s.len > 19) {
        size_t nf = s.len - 20;
        if (p[19] != '.' || nf < 1 || nf > 6 || !ol_nab_digits(p + 20, (int)nf, &frac)) return OL_CORRUPT;
        for (size_t i = nf; i < 6; i++) frac *= 10;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59) return OL_CORRUPT;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return OL_CORRUPT;
    int64_t days = ol_nab_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *us = ((days * 86400 + h * 3600 + mi * 60 + se) * 1000000) + frac;
    return OL_OK;
}

int ol_nab_parse_double(ol_slice_t s, double *out)
{
    char buf[64];
    if (s.len == 0 || s.len >= sizeof buf) return OL_CORRUPT;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = 0;
    if (buf[0] == ' ' || buf[0] == '\t') return OL_CORRUPT;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + s.len || !isfinite(v)) return OL_CORRUPT;
    *out = v;
    return OL_OK;
}

void ol_nab_csv_init(ol_nab_csv_t *r, const char *path, const uint8_t *data, size_t len)
{
    r->path = path;
    r->p = data;
    r->end = data + len;
    r->line = 0;
}

int ol_nab_csv_next(ol_nab_csv_t *r, ol_slice_t *fields, int max, ol_err_t *err)
{
    for (;;) {
        if (r->p >= r->end) return 0;
        const uint8_t *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
        const uint8_t *ls = r->p, *le = nl ? nl : r->end;
        r->p = nl ? nl + 1 : r->end;
        r->line++;
        if (le > ls && le[-1] == '\r') le--;
        if (le == ls) continue;
        int n = 0;
        const uint8_t *fs = ls;
        for (const uint8_t *q = ls;; q++) {
            if (q < le && *q == '"') {
                ol_err_set(err, "%s:%u: quoted CSV fields are not supported", r->path, r->line);
                return OL_CORRUPT;
            }
            if (q == le || *q == ',') {
                if (n == max) {
                    ol_err_set(err, "%s:%u: more than %d fields", r->path, r->line, max);
                    return OL_CORRUPT;
                }
                fields[n++] = ol_slice(fs, (size_t)(q - fs));
                fs = q + 1;
                if (q == le) break;
            }
        }
        return n;
    }
}

/* ---------------------------------------------------------------- JSON */

static char *ol_nab_cstr(ol_arena_t *a, ol_slice_t s)
{
    char *p = ol_arena_alloc(a, s.len + 1);
    if (!p) return NULL;
    if (s.len) memcpy(p, s.ptr, s.len);
    p[s.len] = 0;
    return p;
}

static int ol_nab_json_load(ol_arena_t *a, const char *path, ol_json_doc_t *doc, ol_err_t *err)
{
    uint8_t *data;
    size_t len;
    int rc = ol_nab_read_file(a, path, &data, &len, err);
    if (rc != OL_OK) return rc;
    ol_err_t jerr = {{0}};
    rc = ol_json_parse(ol_slice(data, len), a, doc, &jerr);
    if (rc != OL_OK) {
        ol_err_set(err, "%s: %s", path, jerr.msg);
        return rc;
    }
    if (doc->n == 0 || doc->toks[0].kind != OL_JSON_OBJECT) {
        ol_err_set(err, "%s: the top level is not an object", path);
        return OL_CORRUPT;
    }
    return OL_OK;
}

static int ol_nab_json_number(const ol_json_doc_t *d, uint32_t obj, const char *key, double *out)
{
    uint32_t t = obj ? ol_json_object_get(d, obj, key) : 0;
    if (!t || d->toks[t].kind != OL_JSON_NUMBER) return OL_NOTFOUND;
    return ol_nab_parse_double(d->toks[t].text, out);
}

static int ol_nab_profiles_load(ol_nab_corpus_t *c, const char *nab_dir, ol_err_t *err)
{
    static const char *names[OL_NAB_NPROFILES] = {"standard", "reward_low_FP_rate", "reward_low_FN_rate"};
    char path[4096];
    snprintf(path, sizeof path, "%s/config/profiles.json", nab_dir);
    ol_json_doc_t d;
    int rc = ol_nab_json_load(c->arena, path, &d, err);
    if (rc != OL_OK) return rc;
    for (int k = 0; k < OL_NAB_NPROFILES; k++) {
        ol_nab_profile_t *p = &c->prof[k];
        p->name = names[k];
        uint32_t o = ol_json_object_get(&d, 0, names[k]);
        uint32_t cm = o && d.toks[o].kind == OL_JSON_OBJECT ? ol_json_object_get(&d, o, "CostMatrix") : 0;
        if (!cm || d.toks[cm].kind != OL_JSON_OBJECT || ol_nab_json_number(&d, cm, "tpWeight", &p->a_tp) != OL_OK ||
            ol_nab_json_number(&d, cm, "fpWeight", &p->a_fp) != OL_OK ||
            ol_nab_json_number(&d, cm, "fnWeight", &p->a_fn) != OL_OK) {
            ol_err_set(err, "%s: profile %s lacks CostMatrix tpWeight/fpWeight/fnWeight numbers", path, names[k]);
            return OL_CORRUPT;
        }
        if (!(p->a_tp > 0) || !(p->a_fp >= 0) || !(p->a_fn >= 0)) {
            ol_err_set(err, "%s: profile %s has out-of-range weights", path, names[k]);
            return OL_CORRUPT;
        }
    }
    return OL_OK;
}

/* data/<name>: header timestamp,value, then one row per line. */
static int ol_nab_data_load(ol_nab_corpus_t *c, const char *nab_dir, ol_nab_file_t *f, ol_err_t *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data/%s", nab_dir, f->name);
    uint8_t *data;
    size_t len;
    int rc = ol_nab_read_file(c->arena, path, &data, &len, err);
    if (rc != OL_OK) return rc;
    char *pathc = ol_nab_cstr(c->arena, ol_slice_cstr(path));
    if (!pathc) return OL_NOMEM;
    /* Rows <= newlines + 1: size the arrays once. */
    size_t cap = 1;
    for (size_t i = 0; i < len; i++) cap += data[i] == '\n';
    if (cap > UINT32_MAX) {
        ol_err_set(err, "%s: too many rows", path);
        return OL_LIMIT;
    }
    int64_t *t = ol_arena_alloc(c->arena, cap * sizeof *t);
    ol_slice_t *tt = ol_arena_alloc(c->arena, cap * sizeof *tt);
    ol_slice_t *vt = ol_arena_alloc(c->arena, cap * sizeof *vt);
    double *v = ol_arena_alloc(c->arena, cap * sizeof *v);
    if (!t || !tt || !vt || !v) return OL_NOMEM;

    ol_nab_csv_t r;
    ol_nab_csv_init(&r, pathc, data, len);
    ol_slice_t fl[4];
    int nf = ol_nab_csv_next(&r, fl, 4, err);
    if (nf < 0) return nf;
    if (nf != 2 || !ol_slice_eq_cstr(fl[0], "timestamp") || !ol_slice_eq_cstr(fl[1], "value")) {
        ol_err_set(err, "%s:%u: expected the header timestamp,value", path, r.line);
        return OL_CORRUPT;
    }
    uint32_t n = 0;
    while ((nf = ol_nab_csv_next(&r, fl, 4, err)) > 0) {
        if (nf != 2) {
            ol_err_set(err, "%s:%u: expected 2 fields, found %d", path, r.line, nf);
            return OL_CORRUPT;
        }
        if (ol_nab_parse_time(fl[0], &t[n]) != OL_OK) {
            ol_err_set(err, "%s:%u: bad timestamp '%.*s'", path, r.line, (int)OL_MIN(fl[0].len, 40),
                       (const char *)fl[0].ptr);
            return OL_CORRUPT;
        }
        if (ol_nab_parse_double(fl[1], &v[n]) != OL_OK) {
            ol_err_set(err, "%s:%u: bad value '%.*s'", path, r.line, (int)OL_MIN(fl[1].len, 40),
                       (const char *)fl[1].ptr);
            return OL_CORRUPT;
        }
        tt[n] = fl[0];
        vt[n] = fl[1];
        n++;
    }
    if (nf < 0) return nf;
    if (n == 0) {
        ol_err_set(err, "%s: no rows", path);
        return OL_CORRUPT;
    }
    f->n = n;
    f->probation = ol_nab_probation(n);
    f->t_us = t;
    f->t_text = tt;
    f->v_text = vt;
    f->value = v;
    return OL_OK;
}

/* First row whose timestamp is x (n when none). Timestamps repeat and even
 * go back in a few NAB files (clock changes), so windows are found by
 * equality, first occurrence, as NAB's scorer finds them. */
static uint32_t ol_nab_find_time(const int64_t *t, uint32_t n, int64_t x)
{
    for (uint32_t i = 0; i < n; i++)
        if (t[i] == x) return i;
    return n;
}

/* The windows of one file: [[start, end], ...] to rows start <= t <= end. */
static int ol_nab_windows_map(ol_nab_corpus_t *c, const char *path, const ol_json_doc_t *d, uint32_t arr,
                              ol_nab_file_t *f, ol_err_t *err)
{
    const ol_json_tok_t *at = &d->toks[arr];
    if (at->kind != OL_JSON_ARRAY) {
        ol_err_set(err, "%s: windows of %s are not an array", path, f->name);
        return OL_CORRUPT;
    }
    ol_nab_window_t *w = ol_arena_alloc(c->arena, (at->size ? at->size : 1) * sizeof *w);
    if (!w) return OL_NOMEM;
    uint32_t k = 0;
    for (uint32_t e = arr + 1; k < at->size; e = d->toks[e].next, k++) {
        const ol_json_tok_t *pair = &d->toks[e];
        int64_t lim[2];
        if (pair->kind != OL_JSON_ARRAY || pair->size != 2) goto bad;
        for (uint32_t j = 0, q = e + 1; j < 2; j++, q = d->toks[q].next) {
            if (d->toks[q].kind != OL_JSON_STRING || d->toks[q].escaped ||
                ol_nab_parse_time(d->toks[q].text, &lim[j]) != OL_OK)
                goto bad;
        }
        uint32_t l = ol_nab_find_time(f->t_us, f->n, lim[0]);
        uint32_t r = ol_nab_find_time(f->t_us, f->n, lim[1]);
        if (l == f->n || r == f->n || r < l) {
            ol_err_set(err, "%s: window %u of %s: %s", path, k, f->name,
                       l == f->n ? "no data row has its start timestamp"
                       : r == f->n ? "no data row has its end timestamp"
                                   : "its end row comes before its start row");
            return OL_CORRUPT;
        }
        w[k] = (ol_nab_window_t){l, r};
        if (k > 0 && w[k].l <= w[k - 1].r) {
            ol_err_set(err, "%s: windows %u and %u of %s overlap or are out of order", path, k - 1, k, f->name);
            return OL_CORRUPT;
        }
    }
    f->win = w;
    f->nwin = at->size;
    return OL_OK;
bad:
    ol_err_set(err, "%s: window %u of %s is not a pair of \"YYYY-MM-DD HH:MM:SS[.ffffff]\" strings", path, k,
               f->name);
    return OL_CORRUPT;
}

int ol_nab_corpus_load(const char *nab_dir, const char *only, ol_nab_corpus_t **out, ol_err_t *err)
{
    *out = NULL;
    ol_nab_corpus_t *c = ol_calloc(OL_MEM_ANALYZE, 1, sizeof *c);
    if (!c) return OL_NOMEM;
    c->arena = ol_arena_create(1 << 20, 0);
    int rc = OL_NOMEM;
    if (!c->arena) goto fail;
    rc = ol_nab_profiles_load(c, nab_dir, err);
    if (rc != OL_OK) goto fail;

    char path[4096];
    snprintf(path, sizeof path, "%s/labels/combined_windows.json", nab_dir);
    ol_json_doc_t d;
    rc = ol_nab_json_load(c->arena, path, &d, err);
    if (rc != OL_OK) goto fail;
    uint32_t nmemb = d.toks[0].size;
    rc = OL_NOMEM;
    c->files = ol_arena_calloc(c->arena, (nmemb ? nmemb : 1) * sizeof *c->files);
    if (!c->files) goto fail;
    uint32_t key = 1;
    for (uint32_t m = 0; m < nmemb; m++, key = d.toks[key + 1].next) {
        ol_slice_t name;
        rc = ol_json_unescape(&d.toks[key], c->arena, &name);
        if (rc != OL_OK) goto fail;
        char *cname = ol_nab_cstr(c->arena, name);
        rc = OL_NOMEM;
        if (!cname) goto fail;
        if (only && !strstr(cname, only)) continue;
        const char *slash = strchr(cname, '/');
        size_t nl = strlen(cname);
        if (!slash || slash == cname || strchr(slash + 1, '/') || nl < 5 || strcmp(cname + nl - 4, ".csv") != 0 ||
            strstr(cname, "..") || slash + 1 == cname + nl - 4) {
            ol_err_set(err, "%s: key '%s' is not <category>/<file>.csv", path, cname);
            rc = OL_CORRUPT;
            goto fail;
        }
        ol_nab_file_t *f = &c->files[c->nfiles];
        f->name = cname;
        f->category = ol_nab_cstr(c->arena, ol_slice(cname, (size_t)(slash - cname)));
        f->base = ol_nab_cstr(c->arena, ol_slice(slash + 1, (size_t)(cname + nl - 4 - (slash + 1))));
        if (!f->category || !f->base) goto fail;
        rc = ol_nab_data_load(c, nab_dir, f, err);
        if (rc != OL_OK) goto fail;
        rc = ol_nab_windows_map(c, path, &d, key + 1, f, err);
        if (rc != OL_OK) goto fail;
        c->nfiles++;
        c->nwindows += f->nwin;
        c->nrows += f->n;
    }
    if (c->nfiles == 0) {
        ol_err_set(err, "%s: no file%s%s%s", path, only ? " matches '" : "", only ? only : "", only ? "'" : "");
        rc = OL_NOTFOUND;
        goto fail;
    }
    *out = c;
    return OL_OK;
fail:
    ol_nab_corpus_destroy(c);
    return rc;
}

void ol_nab_corpus_destroy(ol_nab_corpus_t *c)
{
    if (!c) return;
    if (c->arena) ol_arena_destroy(c->arena);
    ol_free(OL_MEM_ANALYZE, c, sizeof *c);
}

#define OL_NAB_MAX_COLS 32

int ol_nab_results_load(ol_nab_corpus_t *c, const char *results_dir, const char *detector, double **a,
                        ol_err_t *err)
{
    for (uint32_t fi = 0; fi < c->nfiles; fi++) {
        const ol_nab_file_t *f = &c->files[fi];
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/%s/%s_%s.csv", results_dir, detector, f->category, detector, f->base);
        char *pathc = ol_nab_cstr(c->arena, ol_slice_cstr(path));
        if (!pathc) return OL_NOMEM;
        uint8_t *data;
        size_t len;
        int rc = ol_nab_read_file(c->arena, pathc, &data, &len, err);
        if (rc != OL_OK) return rc;
        double *sc = ol_arena_alloc(c->arena, (size_t)f->n * sizeof *sc);
        if (!sc) return OL_NOMEM;

        ol_nab_csv_t r;
        ol_nab_csv_init(&r, pathc, data, len);
        ol_slice_t fl[OL_NAB_MAX_COLS];
        int nf = ol_nab_csv_next(&r, fl, OL_NAB_MAX_COLS, err);
        if (nf < 0) return nf;
        int ct = -1, ca = -1;
        for (int j = 0; j < nf; j++) {
            if (ol_slice_eq_cstr(fl[j], "timestamp")) ct = j;
            if (ol_slice_eq_cstr(fl[j], "anomaly_score")) ca = j;
        }
        if (ct < 0 || ca < 0) {
            ol_err_set(err, "%s:%u: the header lacks timestamp and anomaly_score columns", pathc, r.line);
            return OL_CORRUPT;
        }
        int ncol = nf;
        uint32_t n = 0;
        while ((nf = ol_nab_csv_next(&r, fl, OL_NAB_MAX_COLS, err)) > 0) {
            if (nf != ncol) {
                ol_err_set(err, "%s:%u: %d fields, the header has %d", pathc, r.line, nf, ncol);
                return OL_CORRUPT;
            }
            if (n >= f->n) {
                ol_err_set(err, "%s:%u: more rows than the data file's %u", pathc, r.line, f->n);
                return OL_CORRUPT;
            }
            int64_t t;
            if (!ol_slice_eq(fl[ct], f->t_text[n]) &&
                (ol_nab_parse_time(fl[ct], &t) != OL_OK || t != f->t_us[n])) {
                ol_err_set(err, "%s:%u: timestamp '%.*s' is not data row %u's '%.*s'", pathc, r.line,
                           (int)OL_MIN(fl[ct].len, 40), (const char *)fl[ct].ptr, n, (int)f->t_text[n].len,
                           (const char *)f->t_text[n].ptr);
                return OL_CORRUPT;
            }
            if (ol_nab_parse_double(fl[ca], &sc[n]) != OL_OK || sc[n] < 0 || sc[n] > 1) {
                ol_err_set(err, "%s:%u: anomaly_score '%.*s' is not a number in [0,1]", pathc, r.line,
                           (int)OL_MIN(fl[ca].len, 40), (const char *)fl[ca].ptr);
                return OL_CORRUPT;
            }
            n++;
        }
        if (nf < 0) return nf;
        if (n != f->n) {
            ol_err_set(err, "%s: %u rows, the data file has %u", pathc, n, f->n);
            return OL_CORRUPT;
        }
        a[fi] = sc;
    }
    return OL_OK;
}

int ol_nab_thresholds_load(ol_nab_corpus_t *c, const char *nab_dir, const char *detector,
                           double thr[OL_NAB_NPROFILES], double raw[OL_NAB_NPROFILES], ol_err_t *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config/thresholds.json", nab_dir);
    ol_json_doc_t d;
    int rc = ol_nab_json_load(c->arena, path, &d, err);
    if (rc != OL_OK) return rc;
    uint32_t det = ol_json_object_get(&d, 0, detector);
    if (!det || d.toks[det].kind != OL_JSON_OBJECT) {
        ol_err_set(err, "%s: no detector '%s'", path, detector);
        return OL_NOTFOUND;
    }
    for (int k = 0; k < OL_NAB_NPROFILES; k++) {
        uint32_t o = ol_json_object_get(&d, det, c->prof[k].name);
        double dummy;
        if (!o || d.toks[o].kind != OL_JSON_OBJECT || ol_nab_json_number(&d, o, "threshold", &thr[k]) != OL_OK ||
            ol_nab_json_number(&d, o, "score", raw ? &raw[k] : &dummy) != OL_OK) {
            ol_err_set(err, "%s: %s/%s lacks threshold and score numbers", path, detector, c->prof[k].name);
            return OL_CORRUPT;
        }
    }
    return OL_OK;
}
