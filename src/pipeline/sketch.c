/*
 * sketch.c - the latency sketch of sketch.h: fixed-scale base-2 exponential
 * buckets in one contiguous, bounded window.
 *
 * Invariants: counts[0..n) are the buckets offset..offset+n-1; n <= cap <=
 * OL_SKETCH_MAX_BUCKETS; count == zero_count + sum(counts). The window only
 * widens, except that once it is OL_SKETCH_MAX_BUCKETS wide a higher value
 * slides it up, folding the buckets that fall off into the new lowest one.
 */
#include "pipeline/sketch.h"

#include <math.h>

#include "codec/pb.h"
#include "core/alloc.h"

/* Bucket indexes a finite positive double can have at scale 6: 64 per binary
 * order of magnitude, from subnormals (2^-1074) to DBL_MAX (2^1024). */
#define OL_SKETCH_INDEX_MIN (-1075 * 64)
#define OL_SKETCH_INDEX_MAX (1024 * 64)

void ol_sketch_init(ol_sketch_t *s) { memset(s, 0, sizeof *s); }

void ol_sketch_free(ol_sketch_t *s)
{
    if (!s) return;
    ol_free(OL_MEM_PIPELINE, s->counts, (size_t)s->cap * sizeof *s->counts);
    memset(s, 0, sizeof *s);
}

void ol_sketch_reset(ol_sketch_t *s)
{
    uint64_t *c = s->counts;
    uint32_t cap = s->cap;
    memset(s, 0, sizeof *s);
    s->counts = c;
    s->cap = cap;
}

int32_t ol_sketch_index(double v)
{
    int e;
    double m = frexp(v, &e); /* v = m * 2^e, m in [0.5, 1) */
    if (m == 0.5) return (int32_t)((e - 1) * 64 - 1); /* exact power of two: upper bound of its bucket */
    int32_t i = (int32_t)(e * 64) + (int32_t)ceil(log2(m) * 64.0) - 1;
    return i;
}

double ol_sketch_lower(int32_t index)
{
    int32_t q = index >= 0 ? index / 64 : -((-index + 63) / 64); /* floor(index / 64) */
    int32_t r = index - q * 64;
    return ldexp(exp2((double)r / 64.0), q);
}

/* Harmonic midpoint of bucket i: within OL_SKETCH_REL_ERROR of any value in it. */
static double ol_sketch_estimate(int32_t i)
{
    /* 2LU/(L+U) with U = L*base, without the overflow of L*U */
    const double base = 1.0108892860517005; /* 2^(1/64) */
    return ol_sketch_lower(i) * (2.0 * base / (1.0 + base));
}

/* Makes the window cover [lo, hi], or as much of its top as
 * OL_SKETCH_MAX_BUCKETS allows (folding the lowest buckets). */
static int ol_sketch_cover(ol_sketch_t *s, int32_t lo, int32_t hi)
{
    int64_t new_lo = lo, new_hi = hi;
    if (s->n) {
        new_lo = OL_MIN((int64_t)s->offset, new_lo);
        new_hi = OL_MAX((int64_t)s->offset + s->n - 1, new_hi);
    }
    if (new_hi - new_lo + 1 > OL_SKETCH_MAX_BUCKETS) new_lo = new_hi - OL_SKETCH_MAX_BUCKETS + 1;
    uint32_t need = (uint32_t)(new_hi - new_lo + 1);
    if (s->n && new_lo == s->offset && need == s->n) return OL_OK;
    if (need > s->cap) {
        uint32_t cap = s->cap ? s->cap : 16;
        while (cap < need) cap *= 2;
        if (cap > OL_SKETCH_MAX_BUCKETS) cap = OL_SKETCH_MAX_BUCKETS;
        uint64_t *c = ol_realloc(OL_MEM_PIPELINE, s->counts, (size_t)s->cap * sizeof *c, (size_t)cap * sizeof *c);
        if (!c) return OL_NOMEM;
        s->counts = c;
        s->cap = cap;
    }
    if (!s->n) {
        memset(s->counts, 0, (size_t)need * sizeof *s->counts);
    } else if (new_lo <= s->offset) {
        uint32_t shift = (uint32_t)(s->offset - new_lo);
        memmove(s->counts + shift, s->counts, (size_t)s->n * sizeof *s->counts);
        memset(s->counts, 0, (size_t)shift * sizeof *s->counts);
        memset(s->counts + shift + s->n, 0, (size_t)(need - shift - s->n) * sizeof *s->counts);
    } else {
        uint64_t shift = (uint64_t)(new_lo - s->offset), folded = 0, keep = 0;
        for (uint64_t j = 0; j < shift && j < s->n; j++) folded += s->counts[j];
        if (shift < s->n) {
            keep = s->n - shift;
            memmove(s->counts, s->counts + shift, (size_t)keep * sizeof *s->counts);
        }
        memset(s->counts + keep, 0, (size_t)(need - keep) * sizeof *s->counts);
        s->counts[0] += folded;
        s->collapsed += folded;
    }
    s->offset = (int32_t)new_lo;
    s->n = need;
    return OL_OK;
}

static void ol_sketch_put(ol_sketch_t *s, int32_t i, uint64_t c)
{
    if (i < s->offset) {
        i = s->offset;
        s->collapsed += c;
    }
    s->counts[i - s->offset] += c;
}

static void ol_sketch_minmax(ol_sketch_t *s, double lo, double hi)
{
    if (s->count == 0) {
        s->min = lo;
        s->max = hi;
    } else {
        if (lo < s->min) s->min = lo;
        if (hi > s->max) s->max = hi;
    }
}

int ol_sketch_add_n(ol_sketch_t *s, double v, uint64_t n)
{
    if (!isfinite(v) || n == 0) return OL_OK;
    if (v > 0) {
        int32_t i = ol_sketch_index(v);
        int rc = ol_sketch_cover(s, i, i);
        if (rc) return rc;
        ol_sketch_put(s, i, n);
    } else {
        s->zero_count += n;
    }
    ol_sketch_minmax(s, v, v);
    s->count += n;
    s->sum += v * (double)n;
    return OL_OK;
}

int ol_sketch_merge(ol_sketch_t *dst, const ol_sketch_t *src)
{
    if (!src->count) return OL_OK;
    if (src->n) {
        int rc = ol_sketch_cover(dst, src->offset, (int32_t)(src->offset + (int32_t)src->n - 1));
        if (rc) return rc;
        for (uint32_t j = 0; j < src->n; j++)
            if (src->counts[j]) ol_sketch_put(dst, src->offset + (int32_t)j, src->counts[j]);
    }
    ol_sketch_minmax(dst, src->min, src->max);
    dst->count += src->count;
    dst->zero_count += src->zero_count;
    dst->collapsed += src->collapsed;
    dst->sum += src->sum;
    return OL_OK;
}

uint64_t ol_sketch_count_le(const ol_sketch_t *s, double v)
{
    if (!s->count || isnan(v) || v < 0) return 0;
    if (v >= s->max) return s->count;
    if (v < s->min) return 0;
    uint64_t n = s->zero_count;
    if (v == 0) return n;
    int32_t last = ol_sketch_index(v);
    for (uint32_t j = 0; j < s->n && s->offset + (int32_t)j <= last; j++) n += s->counts[j];
    return OL_MIN(n, s->count);
}

double ol_sketch_quantile(const ol_sketch_t *s, double q)
{
    if (!s->count) return 0;
    if (!(q > 0)) return s->min;
    if (q >= 1) return s->max;
    uint64_t rank = (uint64_t)floor(q * (double)(s->count - 1));
    double v = s->max;
    if (rank < s->zero_count) {
        v = 0;
    } else {
        uint64_t cum = s->zero_count;
        for (uint32_t j = 0; j < s->n; j++) {
            cum += s->counts[j];
            if (cum > rank) {
                v = ol_sketch_estimate(s->offset + (int32_t)j);
                break;
            }
        }
    }
    if (v < s->min) v = s->min;
    if (v > s->max) v = s->max;
    return v;
}

static uint64_t ol_sketch_zigzag32(int32_t v) { return (uint32_t)(((uint32_t)v << 1) ^ (0u - (uint32_t)(v < 0))); }

void ol_sketch_encode(const ol_sketch_t *s, ol_buf_t *b)
{
    ol_pb_put_fixed64(b, 4, s->count);
    uint64_t bits;
    memcpy(&bits, &s->sum, sizeof bits);
    ol_pb_put_fixed64(b, 5, bits);
    ol_pb_put_uint(b, 6, ol_sketch_zigzag32(OL_SKETCH_SCALE));
    ol_pb_put_fixed64(b, 7, s->zero_count);
    uint32_t lo = 0, hi = s->n;
    while (lo < hi && !s->counts[lo]) lo++;
    while (hi > lo && !s->counts[hi - 1]) hi--;
    if (hi > lo) {
        /* Exact lengths (not ol_pb_begin's 5-byte ones): readers decode every point. */
        size_t packed = 0;
        for (uint32_t j = lo; j < hi; j++) packed += ol_pb_varint_len(s->counts[j]);
        uint64_t zoff = ol_sketch_zigzag32(s->offset + (int32_t)lo);
        size_t msg = 1 + ol_pb_varint_len(zoff) + 1 + ol_pb_varint_len(packed) + packed;
        ol_pb_put_tag(b, 8, OL_PB_LEN);
        ol_pb_put_varint(b, msg);
        ol_pb_put_uint(b, 1, zoff);
        ol_pb_put_tag(b, 2, OL_PB_LEN);
        ol_pb_put_varint(b, packed);
        if (ol_buf_reserve(b, packed) == OL_OK)
            for (uint32_t j = lo; j < hi; j++) {
                uint64_t c = s->counts[j];
                if (c < 0x80) b->data[b->len++] = (uint8_t)c;
                else ol_pb_put_varint(b, c);
            }
    }
    if (s->count) {
        ol_pb_put_double(b, 12, s->min);
        ol_pb_put_double(b, 13, s->max);
    }
}

/* ---- decoding ---- */

/* Where a Buckets message's counts are: offset, number of entries, and the
 * first and last non-zero entry (-1 when none), found without decoding the
 * packed varints (a zero is the single byte 0x00). */
typedef struct ol_sketch_buckets {
    int64_t offset;
    ol_slice_t msg;
    int64_t n, first_nz, last_nz;
} ol_sketch_buckets_t;

/* Calls fn(ud, k, count) for each bucket_counts entry (packed or not). */
typedef void (*ol_sketch_bucket_fn)(void *ud, uint64_t k, uint64_t c);

static int ol_sketch_each_bucket(ol_slice_t msg, ol_sketch_bucket_fn fn, void *ud)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, msg);
    uint64_t k = 0;
    int rc;
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.number != 2) continue;
        if (f.wire_type == OL_PB_VARINT) {
            fn(ud, k++, f.u64);
        } else if (f.wire_type == OL_PB_LEN) {
            const uint8_t *p = f.bytes.ptr, *end = f.bytes.ptr + f.bytes.len;
            while (p < end) {
                uint64_t c = *p;
                if (c < 0x80) p++; /* one-byte counts are the common case */
                else if (ol_pb_read_varint(&p, end, &c)) return OL_CORRUPT;
                if (c) fn(ud, k, c);
                k++;
            }
        } else {
            return OL_CORRUPT;
        }
    }
    return rc == OL_NOTFOUND ? OL_OK : OL_CORRUPT;
}

static void ol_sketch_note(ol_sketch_buckets_t *bk, bool nonzero)
{
    if (nonzero) {
        if (bk->first_nz < 0) bk->first_nz = bk->n;
        bk->last_nz = bk->n;
    }
    bk->n++;
}

static int ol_sketch_read_buckets(ol_slice_t msg, ol_sketch_buckets_t *bk)
{
    memset(bk, 0, sizeof *bk);
    bk->msg = msg;
    bk->first_nz = bk->last_nz = -1;
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, msg);
    int rc;
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        if (f.number == 1) {
            if (f.wire_type != OL_PB_VARINT) return OL_CORRUPT;
            bk->offset = (int32_t)ol_pb_zigzag_decode((uint32_t)f.u64);
        } else if (f.number == 2 && f.wire_type == OL_PB_VARINT) {
            ol_sketch_note(bk, f.u64 != 0);
        } else if (f.number == 2 && f.wire_type == OL_PB_LEN) {
            unsigned len = 0; /* bytes of the varint being read */
            for (size_t i = 0; i < f.bytes.len; i++) {
                uint8_t b = f.bytes.ptr[i];
                if (++len > 10 || (len == 10 && b > 1)) return OL_CORRUPT; /* as ol_pb_read_varint */
                if (b & 0x80) continue;
                ol_sketch_note(bk, !(len == 1 && b == 0));
                len = 0;
            }
            if (len) return OL_CORRUPT; /* truncated varint */
        } else if (f.number == 2) {
            return OL_CORRUPT;
        }
    }
    return rc == OL_NOTFOUND ? OL_OK : OL_CORRUPT;
}

/* Index at OL_SKETCH_SCALE of bucket k of a point at `scale`. */
static int64_t ol_sketch_map(int64_t k, int scale)
{
    if (scale == OL_SKETCH_SCALE) return k;
    if (scale > OL_SKETCH_SCALE) {
        int64_t d = (int64_t)1 << (scale - OL_SKETCH_SCALE);
        return k >= 0 ? k / d : -((-k + d - 1) / d);
    }
    int64_t d = (int64_t)1 << (OL_SKETCH_SCALE - scale);
    return k * d + d / 2;
}

typedef struct ol_sketch_fill {
    ol_sketch_t *s; /* NULL: only sum the counts */
    int64_t offset;
    int scale;
    uint64_t total;
} ol_sketch_fill_t;

static void ol_sketch_fill_bucket(void *ud, uint64_t k, uint64_t c)
{
    ol_sketch_fill_t *fl = ud;
    fl->total += c;
    if (fl->s && c) ol_sketch_put(fl->s, (int32_t)ol_sketch_map(fl->offset + (int64_t)k, fl->scale), c);
}

int ol_sketch_decode(ol_sketch_t *s, ol_slice_t point)
{
    ol_pb_reader_t r;
    ol_pb_field_value_t f;
    ol_pb_reader_init(&r, point);
    int64_t scale = 0;
    uint64_t zero = 0;
    double sum = 0, mn = 0, mx = 0;
    bool has_min = false, has_max = false;
    ol_sketch_buckets_t pos, neg;
    memset(&pos, 0, sizeof pos);
    memset(&neg, 0, sizeof neg);
    pos.first_nz = pos.last_nz = neg.first_nz = neg.last_nz = -1;
    int rc;
    while ((rc = ol_pb_next(&r, &f)) == OL_OK) {
        switch (f.number) {
        case 5: case 7: case 12: case 13:
            if (f.wire_type != OL_PB_I64) return OL_CORRUPT;
            if (f.number == 5) sum = ol_pb_as_double(f.u64);
            else if (f.number == 7) zero = f.u64;
            else if (f.number == 12) mn = ol_pb_as_double(f.u64), has_min = true;
            else mx = ol_pb_as_double(f.u64), has_max = true;
            break;
        case 6:
            if (f.wire_type != OL_PB_VARINT) return OL_CORRUPT;
            scale = ol_pb_zigzag_decode((uint32_t)f.u64);
            break;
        case 8: case 9: {
            if (f.wire_type != OL_PB_LEN) return OL_CORRUPT;
            ol_sketch_buckets_t *bk = f.number == 8 ? &pos : &neg;
            if (ol_sketch_read_buckets(f.bytes, bk)) return OL_CORRUPT;
            break;
        }
        default:
            break;
        }
    }
    if (rc != OL_NOTFOUND) return OL_CORRUPT;
    if (scale < -10 || scale > 20) return OL_CORRUPT;
    ol_sketch_fill_t nf = {NULL, 0, 0, 0};
    if (neg.first_nz >= 0 && ol_sketch_each_bucket(neg.msg, ol_sketch_fill_bucket, &nf)) return OL_CORRUPT;
    zero += nf.total;
    int64_t lo = 0, hi = 0;
    ol_sketch_fill_t fl = {s, pos.offset, (int)scale, 0};
    if (pos.first_nz >= 0) {
        lo = ol_sketch_map(pos.offset + pos.first_nz, (int)scale);
        hi = ol_sketch_map(pos.offset + pos.last_nz, (int)scale);
        if (lo < OL_SKETCH_INDEX_MIN || hi > OL_SKETCH_INDEX_MAX) return OL_CORRUPT;
        if ((rc = ol_sketch_cover(s, (int32_t)lo, (int32_t)hi))) return rc;
        /* The payload was validated by ol_sketch_read_buckets: this cannot fail. */
        if (OL_NEVER(ol_sketch_each_bucket(pos.msg, ol_sketch_fill_bucket, &fl) != OL_OK)) return OL_CORRUPT;
    }
    uint64_t count = zero + fl.total;
    if (!count) return OL_OK;
    if (!has_min) mn = zero ? 0 : ol_sketch_lower((int32_t)lo);
    if (!has_max) mx = fl.total ? ol_sketch_lower((int32_t)hi + 1) : 0;
    ol_sketch_minmax(s, mn, mx);
    s->count += count;
    s->zero_count += zero;
    s->sum += sum;
    return OL_OK;
}
