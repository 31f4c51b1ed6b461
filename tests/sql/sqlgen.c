/*
 * sqlgen.c - the query generator and the hand-written queries (sqlgen.h).
 *
 * A generated query is assembled from pieces picked with a seeded PRNG:
 * a template (projection, grouped aggregation, time buckets, global
 * aggregates, DISTINCT), select items (columns, map values, expressions
 * with or without aliases), a WHERE of 0-3 atoms joined by AND/OR with NOT
 * and parentheses, GROUP BY keys, HAVING, ORDER BY and LIMIT/OFFSET.
 *
 * Rules that keep the comparison meaningful:
 *   - LIMIT only after an ORDER BY that is a total order (a unique column
 *     such as SpanId last, or every GROUP BY key);
 *   - any(x) only when x is a GROUP BY key (one distinct value per group);
 *   - quantiles only with ORDER BY over every key, so the exact twin's rows
 *     line up with the answer's;
 *   - no now(), today() or other clock reads: time conditions are relative
 *     to fixed points of the data's window (sqldata.h).
 */
#include "sqlgen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/buf.h"
#include "loadgen/spans.h"
#include "sqldata.h"

typedef struct {
    ol_loadgen_rng_t rng;
    const sg_facts_t *f;
    ol_buf_t b;
} gen_t;

static uint32_t rnd(gen_t *g, uint32_t n) { return n ? ol_loadgen_rng_below(&g->rng, n) : 0; }
static bool chance(gen_t *g, uint32_t pct) { return rnd(g, 100) < pct; }
#define PICK(g, arr) ((arr)[rnd((g), (uint32_t)OL_ARRAY_LEN(arr))])

static const char *pool_pick(gen_t *g, const sg_pool_t *p, const char *dflt)
{
    return p->n ? p->v[rnd(g, (uint32_t)p->n)] : dflt;
}

void sg_quote(ol_buf_t *b, const char *s)
{
    ol_buf_append_u8(b, '\'');
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\') ol_buf_append_u8(b, '\\');
        ol_buf_append_u8(b, (uint8_t)*s);
    }
    ol_buf_append_u8(b, '\'');
}

static void out(gen_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(gen_t *g, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) ol_buf_append(&g->b, tmp, (size_t)OL_MIN((size_t)n, sizeof tmp - 1));
}
static void lit(gen_t *g, const char *s) { sg_quote(&g->b, s); }

/* ---- time literals ---- */

static void fmt_time(char *buf, size_t n, uint64_t ns, bool frac)
{
    time_t t = (time_t)(ns / 1000000000ull);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
    if (frac && k + 11 < n) snprintf(buf + k, n - k, ".%09llu", (unsigned long long)(ns % 1000000000ull));
}

/* A point in the window: minute-aligned mostly, midnight often, sometimes with a fraction. */
static uint64_t pick_time_ns(gen_t *g, bool *frac)
{
    *frac = false;
    uint64_t midnight = SD_T0_NS + 2 * SD_HOUR_NS;
    switch (rnd(g, 6)) {
    case 0: return midnight;
    case 1: *frac = true; return SD_T0_NS + (uint64_t)rnd(g, 5 * 3600) * 1000000000ull + rnd(g, 1000000000);
    default: return SD_T0_NS + (uint64_t)rnd(g, 5 * 60) * 60000000000ull;
    }
}

/* A time condition on column `col` (Timestamp or TimeUnix). */
static void time_atom(gen_t *g, const char *col)
{
    char a[48], a0[48], c[48];
    bool fa;
    uint64_t t1 = pick_time_ns(g, &fa);
    uint64_t t2 = t1 + (uint64_t)(1 + rnd(g, 120)) * 60000000000ull;
    fmt_time(a, sizeof a, t1, fa);
    fmt_time(a0, sizeof a0, t1, false);
    fmt_time(c, sizeof c, t2, false);
    static const char *const ops[] = {">=", ">", "<", "<="};
    switch (rnd(g, 9)) {
    case 0: out(g, "%s %s '%s'", col, PICK(g, ops), a); break;
    case 1: out(g, "%s BETWEEN '%s' AND '%s'", col, a, c); break;
    case 2: out(g, "%s >= toDateTime('%s') AND %s < toDateTime('%s')", col, a0, col, c); break;
    case 3: out(g, "%s >= toDateTime('%s') - INTERVAL %u MINUTE", col, c, 5 + rnd(g, 90)); break;
    case 4: out(g, "%s < toDateTime('%s') + INTERVAL %u HOUR", col, a0, 1 + rnd(g, 2)); break;
    case 5: out(g, "toStartOfHour(%s) = toDateTime('%s')", col, "2026-11-22 00:00:00"); break;
    case 6: out(g, "toDate(%s) = '%s'", col, chance(g, 50) ? "2026-11-22" : "2026-11-21"); break;
    case 7: out(g, "%s >= '%s' AND %s < '%s'", col, a, col, c); break;
    default: out(g, "toUnixTimestamp(%s) >= %llu", col, (unsigned long long)(t1 / 1000000000ull)); break;
    }
}

/* ---- traces ---- */

static const char *const kinds[] = {"Server", "Client", "Internal", "Producer", "Consumer", "Unspecified"};
static const char *const statuses[] = {"Error", "Ok", "Unset"};
static const uint64_t durs[] = {1000, 100000, 1000000, 5000000, 20000000, 100000000, 1000000000};

/* Span names usable in LIKE patterns (no backslash, so no dangling escape). */
static const char *like_name(gen_t *g)
{
    for (int i = 0; i < 8; i++) {
        const char *s = pool_pick(g, &g->f->span_names, "GET");
        if (!strchr(s, '\\') && *s) return s;
    }
    return "GET";
}

static void like_pattern(gen_t *g, char *pat, size_t n)
{
    const char *s = like_name(g);
    size_t len = strlen(s);
    size_t cut = 1 + rnd(g, (uint32_t)OL_MIN(len, 6));
    switch (rnd(g, 3)) {
    case 0: snprintf(pat, n, "%.*s%%", (int)cut, s); break;                                 /* prefix */
    case 1: snprintf(pat, n, "%%%.*s%%", (int)OL_MIN(cut + 1, len), s + (len > cut + 2 ? 1 : 0)); break;
    default: snprintf(pat, n, "%%%s", len > 3 ? s + len - 3 : s); break;                    /* suffix */
    }
}

static void trace_atom(gen_t *g)
{
    const sg_facts_t *f = g->f;
    char pat[128];
    switch (rnd(g, 24)) {
    case 0: out(g, "ServiceName = "); lit(g, pool_pick(g, &f->services, "frontend")); break;
    case 1: out(g, "ServiceName != "); lit(g, pool_pick(g, &f->services, "frontend")); break;
    case 2:
        out(g, "ServiceName %sIN (", chance(g, 25) ? "NOT " : "");
        for (uint32_t i = 0, n = 2 + rnd(g, 3); i < n; i++) {
            if (i) out(g, ", ");
            lit(g, pool_pick(g, &f->services, "frontend"));
        }
        out(g, ")");
        break;
    case 3: out(g, "SpanName = "); lit(g, pool_pick(g, &f->span_names, "GET")); break;
    case 4:
        like_pattern(g, pat, sizeof pat);
        out(g, "SpanName %s%s ", chance(g, 20) ? "NOT " : "", chance(g, 30) ? "ILIKE" : "LIKE");
        lit(g, pat);
        break;
    case 5: out(g, "SpanKind = '%s'", PICK(g, kinds)); break;
    case 6: out(g, "SpanKind IN ('%s', '%s')", PICK(g, kinds), PICK(g, kinds)); break;
    case 7: out(g, "StatusCode %s '%s'", chance(g, 70) ? "=" : "!=", PICK(g, statuses)); break;
    case 8: {
        static const char *const ops[] = {">", ">=", "<", "<="};
        out(g, "Duration %s %llu", PICK(g, ops), (unsigned long long)PICK(g, durs));
        break;
    }
    case 9: {
        uint64_t a = PICK(g, durs), c = PICK(g, durs);
        out(g, "Duration %sBETWEEN %llu AND %llu", chance(g, 20) ? "NOT " : "", (unsigned long long)OL_MIN(a, c),
            (unsigned long long)OL_MAX(a, c));
        break;
    }
    case 10: out(g, "SpanAttributes['http.route'] = "); lit(g, pool_pick(g, &f->routes, "/")); break;
    case 11:
        out(g, "SpanAttributes['http.response.status_code'] %s ", chance(g, 60) ? "=" : ">=");
        lit(g, pool_pick(g, &f->http_codes, "200"));
        break;
    case 12: out(g, "%smapContains(SpanAttributes, ", chance(g, 25) ? "NOT " : ""); lit(g, pool_pick(g, &f->span_attr_keys, "http.route")); out(g, ")"); break;
    case 13: out(g, "ResourceAttributes['deployment.environment.name'] = "); lit(g, pool_pick(g, &f->envs, "prod")); break;
    case 14:
    case 15: time_atom(g, "Timestamp"); break;
    case 16: out(g, "ParentSpanId %s ''", chance(g, 60) ? "=" : "!="); break;
    case 17:
        out(g, "TraceId IN (");
        for (uint32_t i = 0, n = 1 + rnd(g, 4); i < n; i++) {
            if (i) out(g, ", ");
            lit(g, pool_pick(g, &f->trace_ids, "00"));
        }
        out(g, ")");
        break;
    case 18: out(g, "length(SpanName) %s %u", chance(g, 50) ? ">" : "<=", 5 + rnd(g, 15)); break;
    case 19: out(g, "startsWith(SpanName, '%s')", PICK(g, ((const char *const[]){"GET", "POST", "oteldemo", "HTTP", "SELECT", "/"}))); break;
    case 20: like_pattern(g, pat, sizeof pat); out(g, "lower(SpanName) LIKE "); lit(g, pat); break;
    case 21: out(g, "StatusMessage != ''"); break;
    case 22: out(g, "SpanAttributes['db.system.name'] %s ''", chance(g, 50) ? "!=" : "="); break;
    default: out(g, "ScopeName = "); lit(g, pool_pick(g, &f->scope_names, "")); break;
    }
}

typedef void (*atom_fn)(gen_t *g);

/* 0..3 atoms: a, a AND b, a OR b, NOT (a), (a OR b) AND c, ... */
static void where(gen_t *g, atom_fn atom, uint32_t pct_none)
{
    if (chance(g, pct_none)) return;
    out(g, " WHERE ");
    switch (rnd(g, 7)) {
    case 0:
    case 1: atom(g); break;
    case 2: atom(g); out(g, " AND "); atom(g); break;
    case 3: atom(g); out(g, " OR "); atom(g); break;
    case 4: out(g, "NOT ("); atom(g); out(g, ")"); break;
    case 5: out(g, "("); atom(g); out(g, " OR "); atom(g); out(g, ") AND "); atom(g); break;
    default: atom(g); out(g, " AND NOT "); atom(g); break;
    }
}

/* Items a projection may select: text, and a default alias. */
typedef struct {
    const char *expr, *alias;
} item_t;

static const item_t trace_cols[] = {
    {"Timestamp", NULL}, {"TraceId", NULL}, {"SpanId", NULL}, {"ParentSpanId", NULL}, {"TraceState", NULL},
    {"ServiceName", NULL}, {"SpanName", NULL}, {"SpanKind", NULL}, {"Duration", NULL}, {"StatusCode", NULL},
    {"StatusMessage", NULL}, {"ScopeName", NULL}, {"ScopeVersion", NULL},
    {"SpanAttributes['http.route']", "route"}, {"SpanAttributes['http.response.status_code']", "code"},
    {"ResourceAttributes['service.version']", "version"}, {"SpanAttributes['ratio']", "ratio"},
    /* not SpanAttributes['dup']: a key repeated in one map reads as its first value when ClickHouse
     * reads the whole map and as its last when it reads the key alone (chDB 26.7), so no answer is
     * ClickHouse's; the repeated key still shows in the whole maps selected below */
    {"SpanAttributes['tags']", "tags"}, {"SpanAttributes['payload']", "payload"},
    {"SpanAttributes['big.int']", "big"}, {"SpanAttributes['raw']", "raw"}, {"SpanAttributes", NULL},
    {"ResourceAttributes", NULL}, {"Events.Name", NULL}, {"Events.Timestamp", NULL}, {"Events.Attributes", NULL},
    {"Links.TraceId", NULL}, {"Links.SpanId", NULL}, {"Links.TraceState", NULL}, {"Links.Attributes", NULL},
};

static const item_t trace_exprs[] = {
    {"Duration / 1000000", "ms"}, {"Duration / 1e6", "ms"}, {"Duration * 2 + 1", "d2"}, {"Duration - 1000", "dm"},
    {"Duration % 7", "dmod"}, {"if(StatusCode = 'Error', 1, 0)", "is_error"},
    {"multiIf(Duration < 1000000, 'fast', Duration < 100000000, 'ok', 'slow')", "speed"}, {"lower(SpanName)", "lname"},
    {"concat(ServiceName, '/', SpanName)", "op"}, {"ServiceName || ':' || SpanKind", "sk"}, {"length(SpanName)", "len"},
    {"startsWith(SpanName, 'GET')", "is_get"}, {"toUnixTimestamp(Timestamp)", "unix"}, {"toStartOfMinute(Timestamp)", "minute"},
    {"toStartOfHour(Timestamp)", "hour"}, {"toStartOfFiveMinutes(Timestamp)", "m5"}, {"toStartOfDay(Timestamp)", "day"},
    {"toDate(Timestamp)", "date"}, {"toStartOfInterval(Timestamp, INTERVAL 10 MINUTE)", "m10"},
    {"toStartOfInterval(Timestamp, INTERVAL 1 HOUR)", "h1"}, {"Timestamp + INTERVAL 1 HOUR", "later"},
    {"Duration > 1000000 AND StatusCode = 'Error'", "slow_err"}, {"SpanAttributes['http.route'] = '/health'", "health"},
    {"mapContains(SpanAttributes, 'http.route')", "has_route"}, {"ParentSpanId = ''", "is_root"},
    {"Duration >= 1000000 OR SpanKind = 'Server'", "either"}, {"NOT (StatusCode = 'Error')", "ok"},
    {"if(Duration > 100000000, 'long', SpanKind)", "label"}, {"-Duration", "neg"}, {"Duration / 3", "third"},
    {"toUnixTimestamp(toStartOfMinute(Timestamp))", "minute_unix"},
};

static void select_item(gen_t *g, const item_t *it, uint32_t idx, uint32_t alias_pct)
{
    out(g, "%s", it->expr);
    if (chance(g, alias_pct)) {
        if (it->alias && chance(g, 70)) out(g, " AS %s%u", it->alias, idx);
        else out(g, " AS c%u", idx);
    }
}

static uint32_t trace_projection(gen_t *g, bool *ordered)
{
    out(g, "SELECT ");
    uint32_t n = 1 + rnd(g, 5);
    for (uint32_t i = 0; i < n; i++) {
        if (i) out(g, ", ");
        if (chance(g, 55)) select_item(g, &PICK(g, trace_cols), i, 25);
        else select_item(g, &PICK(g, trace_exprs), i, 60);
    }
    out(g, " FROM otel_traces");
    where(g, trace_atom, 10);
    /* ORDER BY with SpanId last is a total order (span ids are unique in the data) */
    static const char *const orders[] = {"Timestamp, SpanId", "Timestamp DESC, SpanId", "Duration DESC, SpanId",
                                         "ServiceName, SpanName, SpanId", "SpanId", "TraceId, SpanId DESC",
                                         "toStartOfMinute(Timestamp) DESC, SpanId"};
    if (chance(g, 85)) {
        out(g, " ORDER BY %s", PICK(g, orders));
        *ordered = true;
        out(g, " LIMIT %u", 1 + rnd(g, 60));
        if (chance(g, 30)) out(g, " OFFSET %u", rnd(g, 40));
    } else {
        /* no ORDER BY: keep it small with a trace id filter; compared as a multiset */
        g->b.len = 0;
        out(g, "SELECT ");
        for (uint32_t i = 0; i < n; i++) {
            if (i) out(g, ", ");
            select_item(g, chance(g, 50) ? &PICK(g, trace_cols) : &PICK(g, trace_exprs), i, 40);
        }
        out(g, " FROM otel_traces WHERE TraceId = ");
        lit(g, pool_pick(g, &g->f->trace_ids, "00"));
        *ordered = false;
    }
    return n;
}

/* A GROUP BY key: expression and alias. */
static const item_t trace_keys[] = {
    {"ServiceName", NULL}, {"SpanName", NULL}, {"SpanKind", NULL}, {"StatusCode", NULL},
    {"SpanAttributes['http.route']", "route"}, {"SpanAttributes['http.response.status_code']", "code"},
    {"ResourceAttributes['deployment.environment.name']", "env"}, {"toStartOfHour(Timestamp)", "hour"},
    {"toStartOfInterval(Timestamp, INTERVAL 15 MINUTE)", "bucket"}, {"toDate(Timestamp)", "day"},
    {"multiIf(Duration < 1000000, 'fast', Duration < 100000000, 'ok', 'slow')", "speed"}, {"lower(ServiceName)", "lsvc"},
    {"ScopeName", NULL}, {"startsWith(SpanName, 'GET')", "is_get"}, {"ParentSpanId = ''", "is_root"},
    {"SpanAttributes['db.system.name']", "db"}, {"toStartOfDay(Timestamp)", "d"},
};

static const char *const trace_aggs[] = {
    "count()", "count(*)", "countIf(StatusCode = 'Error')", "sum(Duration)", "avg(Duration)", "min(Duration)",
    "max(Duration)", "min(Timestamp)", "max(Timestamp)", "uniq(TraceId)", "uniq(SpanName)", "countIf(SpanKind = 'Server')",
    "sum(if(StatusCode = 'Error', 1, 0))", "countIf(StatusCode = 'Error') / count()", "avg(Duration) / 1e6",
    "max(Duration) - min(Duration)", "min(SpanName)", "max(ServiceName)", "quantile(0.5)(Duration)",
    "quantile(0.95)(Duration)", "quantile(0.99)(Duration)", "quantiles(0.5, 0.9, 0.99)(Duration)",
    "quantile(0.9)(Duration / 1e6)", "count(DISTINCT ServiceName)", "sum(Duration) / count()", "countIf(Duration > 1000000)",
    "max(toUnixTimestamp(Timestamp))", "avg(length(SpanName))",
};

static bool is_quantile(const char *s) { return strstr(s, "quantile") != NULL; }
static bool is_float_sum(const char *s) { return strstr(s, "avg(") || strstr(s, "/ 1e6") || strstr(s, "/ count()"); }

/* One grouped aggregation; table-specific pieces come in as arrays. */
typedef struct {
    const char *table;
    const item_t *keys;
    size_t n_keys;
    const char *const *aggs;
    size_t n_aggs;
    atom_fn atom;
} agg_spec_t;

static void grouped(gen_t *g, const agg_spec_t *s, sg_query_t *q)
{
    uint32_t nk = 1 + rnd(g, 3);
    const item_t *keys[3];
    for (uint32_t i = 0; i < nk; i++) {
        keys[i] = &s->keys[rnd(g, (uint32_t)s->n_keys)];
        for (uint32_t j = 0; j < i; j++)
            if (keys[j] == keys[i]) nk = i; /* a repeated key ends the list */
    }
    if (nk == 0) nk = 1;
    bool by_alias = chance(g, 50);
    char names[3][256];
    out(g, "SELECT ");
    for (uint32_t i = 0; i < nk; i++) {
        if (i) out(g, ", ");
        out(g, "%s", keys[i]->expr);
        if (by_alias || (keys[i]->alias && chance(g, 50))) {
            snprintf(names[i], sizeof names[i], "%s%u", keys[i]->alias ? keys[i]->alias : "k", i);
            out(g, " AS %s", names[i]);
        } else {
            snprintf(names[i], sizeof names[i], "%s", keys[i]->expr);
        }
    }
    uint32_t na = 1 + rnd(g, 4);
    bool quant = false, fsum = false;
    for (uint32_t i = 0; i < na; i++) {
        const char *a = s->aggs[rnd(g, (uint32_t)s->n_aggs)];
        quant |= is_quantile(a);
        fsum |= is_float_sum(a);
        out(g, ", %s", a);
        if (chance(g, 50)) out(g, " AS a%u", i);
    }
    if (chance(g, 15)) out(g, ", any(%s)", keys[0]->expr); /* one distinct value per group */
    out(g, " FROM %s", s->table);
    where(g, s->atom, 30);
    out(g, " GROUP BY ");
    for (uint32_t i = 0; i < nk; i++) out(g, "%s%s", i ? ", " : "", by_alias && chance(g, 80) ? names[i] : keys[i]->expr);
    if (chance(g, 20)) out(g, " HAVING count() > %u", rnd(g, 40));
    else if (chance(g, 5) && strcmp(s->table, "otel_traces") == 0) out(g, " HAVING avg(Duration) > %u", 100000 + rnd(g, 5000000));
    /* ORDER BY every key (a total order: groups are unique), maybe after an aggregate */
    bool ordered = quant || chance(g, 80);
    if (ordered) {
        out(g, " ORDER BY ");
        if (!quant && chance(g, 30)) out(g, "count() DESC, ");
        for (uint32_t i = 0; i < nk; i++) out(g, "%s%s%s", i ? ", " : "", names[i], chance(g, 25) ? " DESC" : "");
        if (chance(g, 30)) {
            out(g, " LIMIT %u", 1 + rnd(g, 20));
            if (chance(g, 25)) out(g, " OFFSET %u", rnd(g, 5));
        }
    }
    q->ordered = ordered;
    q->quantile = quant;
    q->tol = fsum ? 1e-7 : 1e-9;
}

static void time_buckets(gen_t *g, const char *table, const char *tcol, atom_fn atom, const char *const *aggs,
                         size_t n_aggs, const char *extra_key, sg_query_t *q)
{
    static const char *const buckets[] = {
        "toStartOfInterval(%s, INTERVAL 1 MINUTE)", "toStartOfInterval(%s, INTERVAL 5 MINUTE)",
        "toStartOfInterval(%s, INTERVAL 15 MINUTE)", "toStartOfInterval(%s, INTERVAL 1 HOUR)",
        "toStartOfInterval(%s, INTERVAL 30 SECOND)", "toStartOfMinute(%s)", "toStartOfFiveMinutes(%s)",
        "toStartOfFifteenMinutes(%s)", "toStartOfHour(%s)", "toStartOfDay(%s)",
        "toStartOfInterval(%s, INTERVAL 1 DAY)", "toStartOfInterval(toDateTime(%s), INTERVAL 20 MINUTE)",
    };
    char bucket[160];
    snprintf(bucket, sizeof bucket, PICK(g, buckets), tcol);
    bool with_key = extra_key && chance(g, 40);
    out(g, "SELECT %s AS t", bucket);
    if (with_key) out(g, ", %s", extra_key);
    bool quant = false, fsum = false;
    for (uint32_t i = 0, n = 1 + rnd(g, 3); i < n; i++) {
        const char *a = aggs[rnd(g, (uint32_t)n_aggs)];
        quant |= is_quantile(a);
        fsum |= is_float_sum(a);
        out(g, ", %s AS v%u", a, i);
    }
    out(g, " FROM %s", table);
    where(g, atom, 40);
    out(g, " GROUP BY t%s%s ORDER BY t%s%s", with_key ? ", " : "", with_key ? extra_key : "",
        with_key ? ", " : "", with_key ? extra_key : "");
    q->ordered = true;
    q->quantile = quant;
    q->tol = fsum ? 1e-7 : 1e-9;
}

static void global_aggs(gen_t *g, const char *table, atom_fn atom, const char *const *aggs, size_t n_aggs, sg_query_t *q)
{
    out(g, "SELECT ");
    bool quant = false, fsum = false;
    for (uint32_t i = 0, n = 1 + rnd(g, 4); i < n; i++) {
        const char *a = aggs[rnd(g, (uint32_t)n_aggs)];
        quant |= is_quantile(a);
        fsum |= is_float_sum(a);
        out(g, "%s%s", i ? ", " : "", a);
        if (chance(g, 40)) out(g, " AS x%u", i);
    }
    out(g, " FROM %s", table);
    where(g, atom, 20);
    q->ordered = true; /* one row */
    q->quantile = quant;
    q->tol = fsum ? 1e-7 : 1e-9;
}

static void distinct(gen_t *g, const char *table, const item_t *keys, size_t n_keys, atom_fn atom, sg_query_t *q)
{
    const item_t *k1 = &keys[rnd(g, (uint32_t)n_keys)], *k2 = &keys[rnd(g, (uint32_t)n_keys)];
    out(g, "SELECT DISTINCT %s", k1->expr);
    if (k2 != k1 && chance(g, 50)) out(g, ", %s", k2->expr);
    out(g, " FROM %s", table);
    where(g, atom, 30);
    q->ordered = false;
}

static void gen_trace_query(gen_t *g, sg_query_t *q)
{
    static const agg_spec_t spec = {"otel_traces", trace_keys, OL_ARRAY_LEN(trace_keys), trace_aggs,
                                    OL_ARRAY_LEN(trace_aggs), trace_atom};
    uint32_t t = rnd(g, 100);
    q->tol = 1e-9;
    if (t < 30) {
        snprintf(q->category, sizeof q->category, "traces.select");
        trace_projection(g, &q->ordered);
    } else if (t < 70) {
        snprintf(q->category, sizeof q->category, "traces.group");
        grouped(g, &spec, q);
    } else if (t < 85) {
        snprintf(q->category, sizeof q->category, "traces.buckets");
        time_buckets(g, "otel_traces", "Timestamp", trace_atom, trace_aggs, OL_ARRAY_LEN(trace_aggs),
                     PICK(g, ((const char *const[]){"ServiceName", "StatusCode", "SpanKind"})), q);
    } else if (t < 95) {
        snprintf(q->category, sizeof q->category, "traces.global");
        global_aggs(g, "otel_traces", trace_atom, trace_aggs, OL_ARRAY_LEN(trace_aggs), q);
    } else {
        snprintf(q->category, sizeof q->category, "traces.distinct");
        distinct(g, "otel_traces", trace_keys, OL_ARRAY_LEN(trace_keys), trace_atom, q);
    }
}

/* ---- logs ---- */

static void log_atom(gen_t *g)
{
    const sg_facts_t *f = g->f;
    static const char *const words[] = {"timeout", "error", "cart", "user", "refused", "ORDER", "12%", "_",
                                        "\xe6\x97\xa5\xe6\x9c\xac"};
    switch (rnd(g, 14)) {
    case 0: out(g, "ServiceName = "); lit(g, pool_pick(g, &f->log_services, "cart")); break;
    case 1: out(g, "SeverityText = "); lit(g, pool_pick(g, &f->severities, "ERROR")); break;
    case 2: out(g, "SeverityNumber %s %u", chance(g, 50) ? ">=" : "<", PICK(g, ((const unsigned[]){1, 5, 9, 13, 17, 21}))); break;
    case 3: out(g, "Body LIKE '%%%s%%'", PICK(g, words)); break;
    case 4: out(g, "Body ILIKE '%%%s%%'", PICK(g, words)); break;
    case 5: out(g, "TraceId %s ''", chance(g, 50) ? "!=" : "="); break;
    case 6: out(g, "LogAttributes['http.status_code'] = '%s'", chance(g, 50) ? "503" : "200"); break;
    case 7: out(g, "mapContains(LogAttributes, "); lit(g, pool_pick(g, &f->log_attr_keys, "user.id")); out(g, ")"); break;
    case 8:
    case 9: time_atom(g, "Timestamp"); break;
    case 10: out(g, "EventName %s ''", chance(g, 50) ? "!=" : "="); break;
    case 11: out(g, "ServiceName IN ("); lit(g, pool_pick(g, &f->log_services, "cart")); out(g, ", "); lit(g, pool_pick(g, &f->log_services, "cart")); out(g, ")"); break;
    case 12: out(g, "ResourceAttributes['host.name'] = '%s'", chance(g, 50) ? "host-a" : "host-b"); break;
    default: out(g, "length(Body) > %u", 10 + rnd(g, 40)); break;
    }
}

static const item_t log_cols[] = {
    {"Timestamp", NULL}, {"ServiceName", NULL}, {"SeverityText", NULL}, {"SeverityNumber", NULL}, {"Body", NULL},
    {"TraceId", NULL}, {"SpanId", NULL}, {"TraceFlags", NULL}, {"LogAttributes['log.seq']", "seq"},
    {"LogAttributes", NULL}, {"ResourceAttributes['host.name']", "host"}, {"ScopeName", NULL}, {"ScopeVersion", NULL},
    {"EventName", NULL}, {"ResourceSchemaUrl", NULL}, {"ScopeSchemaUrl", NULL}, {"ScopeAttributes", NULL},
    {"LogAttributes['duration_ms']", "dms"}, {"ResourceAttributes", NULL}, {"lower(SeverityText)", "lvl"},
    {"length(Body)", "blen"}, {"toStartOfMinute(Timestamp)", "minute"}, {"SeverityNumber >= 17", "is_err"},
    {"concat(ServiceName, ': ', Body)", "line"}, {"if(TraceId = '', 'unlinked', 'linked')", "linked"},
};
static const item_t log_keys[] = {
    {"ServiceName", NULL}, {"SeverityText", NULL}, {"SeverityNumber", NULL}, {"EventName", NULL},
    {"LogAttributes['http.status_code']", "code"}, {"ResourceAttributes['host.name']", "host"},
    {"toStartOfHour(Timestamp)", "hour"}, {"TraceId = ''", "unlinked"}, {"ScopeName", NULL}, {"TraceFlags", NULL},
    {"multiIf(SeverityNumber >= 17, 'error', SeverityNumber >= 13, 'warn', 'info')", "level"},
};
static const char *const log_aggs[] = {
    "count()", "countIf(SeverityNumber >= 17)", "uniq(TraceId)", "min(Timestamp)", "max(Timestamp)",
    "avg(SeverityNumber)", "sum(length(Body))", "max(Body)", "min(SeverityText)", "countIf(Body LIKE '%timeout%')",
    "max(SeverityNumber)", "count(*)",
};

static void gen_log_query(gen_t *g, sg_query_t *q)
{
    static const agg_spec_t spec = {"otel_logs", log_keys, OL_ARRAY_LEN(log_keys), log_aggs, OL_ARRAY_LEN(log_aggs), log_atom};
    uint32_t t = rnd(g, 100);
    q->tol = 1e-9;
    if (t < 35) {
        snprintf(q->category, sizeof q->category, "logs.select");
        out(g, "SELECT ");
        for (uint32_t i = 0, n = 1 + rnd(g, 5); i < n; i++) {
            if (i) out(g, ", ");
            select_item(g, &PICK(g, log_cols), i, 35);
        }
        out(g, " FROM otel_logs");
        where(g, log_atom, 10);
        /* Timestamps are unique among the generated records; the JS SDK's records may repeat
         * across captures but then tie on every column below. */
        out(g, " ORDER BY Timestamp%s, TraceId, Body, LogAttributes['log.seq'] LIMIT %u", chance(g, 50) ? " DESC" : "",
            1 + rnd(g, 50));
        if (chance(g, 25)) out(g, " OFFSET %u", rnd(g, 30));
        q->ordered = true;
    } else if (t < 75) {
        snprintf(q->category, sizeof q->category, "logs.group");
        grouped(g, &spec, q);
    } else if (t < 90) {
        snprintf(q->category, sizeof q->category, "logs.buckets");
        time_buckets(g, "otel_logs", "Timestamp", log_atom, log_aggs, OL_ARRAY_LEN(log_aggs), "SeverityText", q);
    } else {
        snprintf(q->category, sizeof q->category, "logs.global");
        global_aggs(g, "otel_logs", log_atom, log_aggs, OL_ARRAY_LEN(log_aggs), q);
    }
}

/* ---- metrics ---- */

static void metric_atom(gen_t *g)
{
    const sg_facts_t *f = g->f;
    switch (rnd(g, 6)) {
    case 0: out(g, "ServiceName = "); lit(g, pool_pick(g, &f->metric_services, "cart")); break;
    case 1:
    case 2: time_atom(g, "TimeUnix"); break;
    case 3: out(g, "ResourceAttributes['host.name'] = '%s'", chance(g, 50) ? "host-a" : "host-b"); break;
    case 4: out(g, "ServiceName != "); lit(g, pool_pick(g, &f->metric_services, "cart")); break;
    default: out(g, "MetricUnit != ''"); break;
    }
}

static const char *const gauge_aggs[] = {"avg(Value)", "min(Value)", "max(Value)", "count()", "sum(Value)",
                                         "quantile(0.9)(Value)", "max(TimeUnix)", "uniq(Attributes['cpu'])"};

static void gen_metric_query(gen_t *g, sg_query_t *q)
{
    const sg_facts_t *f = g->f;
    q->tol = 1e-9;
    uint32_t t = rnd(g, 13);
    switch (t) {
    case 0:
    case 1: { /* gauge select */
        snprintf(q->category, sizeof q->category, "metrics.gauge");
        static const item_t cols[] = {{"ServiceName", NULL}, {"MetricName", NULL}, {"Value", NULL}, {"TimeUnix", NULL},
                                      {"StartTimeUnix", NULL}, {"Attributes", NULL}, {"Attributes['cpu']", "cpu"},
                                      {"MetricDescription", NULL}, {"MetricUnit", NULL}, {"Flags", NULL},
                                      {"Exemplars.Value", NULL}, {"Exemplars.TraceId", NULL}, {"Exemplars.TimeUnix", NULL},
                                      {"Exemplars.FilteredAttributes", NULL}, {"ScopeName", NULL}, {"ScopeVersion", NULL},
                                      {"ScopeAttributes", NULL}, {"ScopeDroppedAttrCount", NULL}, {"Value * 100", "pct"}};
        out(g, "SELECT ");
        for (uint32_t i = 0, n = 1 + rnd(g, 4); i < n; i++) {
            if (i) out(g, ", ");
            select_item(g, &PICK(g, cols), i, 30);
        }
        out(g, " FROM otel_metrics_gauge WHERE MetricName = ");
        lit(g, pool_pick(g, &f->gauge_names, "queue.depth"));
        if (chance(g, 50)) {
            out(g, " AND ");
            metric_atom(g);
        }
        out(g, " ORDER BY TimeUnix%s, ServiceName, Attributes['cpu'], Attributes['queue'], Value LIMIT %u",
            chance(g, 50) ? " DESC" : "", 1 + rnd(g, 40));
        q->ordered = true;
        break;
    }
    case 2:
    case 3:
    case 4: {
        snprintf(q->category, sizeof q->category, "metrics.gauge_agg");
        static const item_t keys[] = {{"ServiceName", NULL}, {"MetricName", NULL}, {"Attributes['cpu']", "cpu"},
                                      {"toStartOfInterval(TimeUnix, INTERVAL 30 MINUTE)", "t"},
                                      {"ResourceAttributes['host.name']", "host"}};
        static const agg_spec_t spec = {"otel_metrics_gauge", keys, OL_ARRAY_LEN(keys), gauge_aggs,
                                        OL_ARRAY_LEN(gauge_aggs), metric_atom};
        grouped(g, &spec, q);
        q->tol = 1e-7;
        break;
    }
    case 5:
    case 6: {
        snprintf(q->category, sizeof q->category, "metrics.sum");
        static const char *const forms[] = {
            "SELECT ServiceName, Attributes['http.route'] AS route, max(Value) - min(Value) AS increase, count() FROM "
            "otel_metrics_sum WHERE MetricName = 'http.server.request.count'%s GROUP BY ServiceName, route ORDER BY "
            "ServiceName, route",
            "SELECT MetricName, IsMonotonic, AggregationTemporality, count(), sum(Value) FROM otel_metrics_sum%s GROUP BY "
            "MetricName, IsMonotonic, AggregationTemporality ORDER BY MetricName, IsMonotonic, AggregationTemporality",
            "SELECT ServiceName, TimeUnix, Value, Attributes, Exemplars.Value, Exemplars.SpanId FROM otel_metrics_sum WHERE "
            "MetricName = 'http.server.request.count'%s ORDER BY TimeUnix, ServiceName, Attributes['http.route'] LIMIT 25",
            "SELECT toStartOfHour(TimeUnix) AS h, avg(Value), min(Value), max(Value) FROM otel_metrics_sum WHERE "
            "MetricName = 'active.sessions'%s GROUP BY h ORDER BY h",
        };
        int form = (int)rnd(g, OL_ARRAY_LEN(forms));
        ol_buf_t cond;
        ol_buf_t save = g->b;
        ol_buf_init(&g->b, OL_MEM_QUERY, 0);
        if (chance(g, 50)) {
            out(g, form == 1 ? " WHERE " : " AND ");
            metric_atom(g);
        }
        cond = g->b;
        g->b = save;
        ol_buf_append_u8(&cond, 0);
        out(g, forms[form], cond.err ? "" : (const char *)cond.data);
        ol_buf_free(&cond);
        q->ordered = true;
        q->tol = 1e-7;
        break;
    }
    case 7:
    case 8: {
        snprintf(q->category, sizeof q->category, "metrics.histogram");
        static const char *const forms[] = {
            "SELECT ServiceName, TimeUnix, Count, Sum, BucketCounts, ExplicitBounds, Min, Max, AggregationTemporality, Flags "
            "FROM otel_metrics_histogram ORDER BY TimeUnix, ServiceName LIMIT 30",
            "SELECT ServiceName, sum(Count) AS n, sum(Sum) / sum(Count) AS mean, max(Max), min(Min) FROM "
            "otel_metrics_histogram GROUP BY ServiceName ORDER BY ServiceName",
            "SELECT MetricName, MetricUnit, Attributes['http.route'] AS route, count(), max(Count) FROM "
            "otel_metrics_histogram GROUP BY MetricName, MetricUnit, route ORDER BY MetricName, MetricUnit, route",
            "SELECT ServiceName, TimeUnix, Exemplars.Value, Exemplars.TraceId, Exemplars.FilteredAttributes FROM "
            "otel_metrics_histogram WHERE length(Exemplars.Value) > 0 ORDER BY TimeUnix, ServiceName",
        };
        out(g, "%s", PICK(g, forms));
        q->ordered = true;
        q->tol = 1e-7;
        break;
    }
    case 9:
    case 10: {
        snprintf(q->category, sizeof q->category, "metrics.exp_histogram");
        static const char *const forms[] = {
            "SELECT ServiceName, TimeUnix, Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, "
            "NegativeOffset, NegativeBucketCounts, Min, Max FROM otel_metrics_exponential_histogram ORDER BY TimeUnix, "
            "ServiceName, Attributes['rpc.method'] LIMIT 40",
            "SELECT Attributes['rpc.method'] AS method, sum(Count), avg(Scale), max(ZeroCount) FROM "
            "otel_metrics_exponential_histogram GROUP BY method ORDER BY method",
            "SELECT ServiceName, count(), sum(Sum) FROM otel_metrics_exponential_histogram WHERE TimeUnix >= "
            "'2026-11-22 00:00:00' GROUP BY ServiceName ORDER BY ServiceName",
        };
        out(g, "%s", PICK(g, forms));
        q->ordered = true;
        q->tol = 1e-7;
        break;
    }
    default: {
        snprintf(q->category, sizeof q->category, "metrics.summary");
        static const char *const forms[] = {
            "SELECT ServiceName, TimeUnix, Count, Sum, ValueAtQuantiles.Quantile, ValueAtQuantiles.Value FROM "
            "otel_metrics_summary ORDER BY TimeUnix, ServiceName LIMIT 20",
            "SELECT ServiceName, sum(Count), sum(Sum) / sum(Count) AS mean_s FROM otel_metrics_summary GROUP BY "
            "ServiceName ORDER BY ServiceName",
            "SELECT MetricName, MetricUnit, count(), min(TimeUnix), max(TimeUnix) FROM otel_metrics_summary GROUP BY "
            "MetricName, MetricUnit ORDER BY MetricName",
        };
        out(g, "%s", PICK(g, forms));
        q->ordered = true;
        q->tol = 1e-7;
        break;
    }
    }
}

/* ---- hand-written ---- */

typedef struct {
    const char *category;
    bool ordered, quantile;
    double tol;
    const char *sql; /* %T = a trace id of the data */
} hand_t;

/* Window: 2026-11-21 22:00:00 .. 2026-11-22 03:00:00 UTC = [1795298400, 1795316400] s. */
static const hand_t hand[] = {
    /* Grafana ClickHouse plugin, OpenTelemetry mode: trace search ($__fromTime/$__toTime expanded) */
    {"handwritten.grafana", true, false, 1e-9,
     "SELECT \"TraceId\" as traceID, \"ServiceName\" as serviceName, \"SpanName\" as operationName, \"Timestamp\" as "
     "startTime, multiply(\"Duration\", 0.000001) as duration FROM \"otel\".\"otel_traces\" WHERE ( Timestamp >= "
     "toDateTime(intDiv(1795298400000,1000)) AND Timestamp <= toDateTime(intDiv(1795316400000,1000)) ) AND ( "
     "ParentSpanId = '' ) AND ( Duration > 0 ) ORDER BY Timestamp DESC, Duration DESC, traceID LIMIT 1000"},
    /* trace by id, the columns of the trace view (tags as maps rather than arrayMap lambdas) */
    {"handwritten.grafana", true, false, 1e-9,
     "SELECT \"TraceId\" as traceID, \"SpanId\" as spanID, \"ParentSpanId\" as parentSpanID, \"ServiceName\" as "
     "serviceName, \"SpanName\" as operationName, \"Timestamp\" as startTime, multiply(\"Duration\", 0.000001) as "
     "duration, \"SpanAttributes\" as tags, \"ResourceAttributes\" as serviceTags, \"StatusCode\" as statusCode, "
     "\"Events.Name\" as logNames FROM \"otel\".\"otel_traces\" WHERE traceID = %T ORDER BY startTime ASC, spanID"},
    /* logs panel */
    {"handwritten.grafana", true, false, 1e-9,
     "SELECT Timestamp as \"timestamp\", Body as \"body\", SeverityText as \"level\", LogAttributes as \"labels\", "
     "TraceId as \"traceID\" FROM \"otel\".\"otel_logs\" WHERE ( timestamp >= toDateTime(1795305600) AND timestamp <= "
     "toDateTime(1795309200) ) ORDER BY timestamp DESC, traceID, body LIMIT 1000"},
    /* logs volume */
    {"handwritten.grafana", true, false, 1e-9,
     "SELECT toStartOfInterval(\"Timestamp\", INTERVAL 300 second) as time, SeverityText as level, count() as logs "
     "FROM \"otel\".\"otel_logs\" WHERE ( Timestamp >= toDateTime(1795298400) AND Timestamp <= toDateTime(1795316400) ) "
     "GROUP BY level, time ORDER BY time ASC, level ASC"},
    /* time series of requests per service ($__timeInterval, $__timeFilter expanded); ORDER BY time only */
    {"handwritten.grafana", false, false, 1e-9,
     "SELECT toStartOfInterval(toDateTime(Timestamp), INTERVAL 60 second) as time, ServiceName, count() as requests "
     "FROM otel_traces WHERE Timestamp >= toDateTime(1795305600) AND Timestamp <= toDateTime(1795309200) AND SpanKind = "
     "'Server' GROUP BY ServiceName, time ORDER BY time ASC"},
    /* trace duration percentiles per operation */
    {"handwritten.grafana", true, true, 1e-9,
     "SELECT ServiceName, SpanName, quantile(0.5)(Duration / 1000000) AS p50, quantile(0.9)(Duration / 1000000) AS p90, "
     "count() FROM otel_traces WHERE ServiceName != '' GROUP BY ServiceName, SpanName ORDER BY ServiceName, SpanName"},
    /* ClickStack (HyperDX) charts */
    {"handwritten.clickstack", true, false, 1e-9,
     "SELECT toStartOfInterval(toDateTime(Timestamp), INTERVAL 1 minute) AS `__hdx_time_bucket`, count() AS `count`, "
     "ServiceName FROM otel.otel_traces WHERE (Timestamp >= fromUnixTimestamp64Milli(1795305600000) AND Timestamp <= "
     "fromUnixTimestamp64Milli(1795309200000)) AND (StatusCode = 'Error') GROUP BY ServiceName, `__hdx_time_bucket` "
     "ORDER BY `__hdx_time_bucket`, ServiceName"},
    {"handwritten.clickstack", true, true, 1e-9,
     "SELECT toStartOfInterval(toDateTime(Timestamp), INTERVAL 15 minute) AS `__hdx_time_bucket`, quantile(0.95)("
     "Duration / 1e6) AS `p95`, quantile(0.99)(Duration / 1e6) AS `p99`, quantile(0.5)(Duration / 1e6) AS `p50` FROM "
     "otel.otel_traces WHERE (Timestamp >= fromUnixTimestamp64Milli(1795298400000) AND Timestamp <= "
     "fromUnixTimestamp64Milli(1795316400000)) AND (SpanKind IN ('Server', 'SPAN_KIND_SERVER')) GROUP BY "
     "`__hdx_time_bucket` ORDER BY `__hdx_time_bucket`"},
    {"handwritten.clickstack", true, false, 1e-7,
     "SELECT toStartOfInterval(toDateTime(Timestamp), INTERVAL 30 minute) AS `__hdx_time_bucket`, "
     "countIf(StatusCode = 'Error') / count() AS `error_rate`, ServiceName FROM otel.otel_traces WHERE (Timestamp >= "
     "fromUnixTimestamp64Milli(1795298400000) AND Timestamp <= fromUnixTimestamp64Milli(1795316400000)) GROUP BY "
     "ServiceName, `__hdx_time_bucket` ORDER BY `__hdx_time_bucket`, ServiceName"},
    {"handwritten.clickstack", true, false, 1e-9,
     "SELECT Timestamp, ServiceName, SeverityText, Body FROM otel.otel_logs WHERE (TimestampTime >= "
     "fromUnixTimestamp64Milli(1795298400000) AND TimestampTime <= fromUnixTimestamp64Milli(1795316400000)) AND (Body "
     "ILIKE '%timeout%') ORDER BY Timestamp DESC, Body LIMIT 200"},
    {"handwritten.clickstack", true, false, 1e-9,
     "SELECT toStartOfInterval(TimestampTime, INTERVAL 5 minute) AS `__hdx_time_bucket`, count() AS `count`, "
     "SeverityText FROM otel.otel_logs WHERE (TimestampTime >= fromUnixTimestamp64Milli(1795298400000) AND "
     "TimestampTime <= fromUnixTimestamp64Milli(1795316400000)) GROUP BY SeverityText, `__hdx_time_bucket` ORDER BY "
     "`__hdx_time_bucket`, SeverityText"},
    {"handwritten.clickstack", true, false, 1e-9,
     "SELECT SpanName, count() AS `count`, sum(Duration) / 1e6 AS `total_ms` FROM otel.otel_traces WHERE ServiceName "
     "= 'frontend' AND SpanKind = 'Server' GROUP BY SpanName ORDER BY `total_ms` DESC, SpanName LIMIT 10"},
    /* RED: count, error rate, p50/p95/p99 per service over an hour */
    {"handwritten.red", true, true, 1e-9,
     "SELECT ServiceName, count() AS requests, countIf(StatusCode = 'Error') / count() AS error_rate, "
     "quantile(0.5)(Duration) / 1e6 AS p50_ms, quantile(0.95)(Duration) / 1e6 AS p95_ms, quantile(0.99)(Duration) / "
     "1e6 AS p99_ms FROM otel_traces WHERE SpanKind = 'Server' AND Timestamp >= '2026-11-21 23:30:00' AND Timestamp < "
     "'2026-11-22 00:30:00' GROUP BY ServiceName ORDER BY ServiceName"},
    {"handwritten.red", true, true, 1e-9,
     "SELECT ServiceName, SpanName, count() AS requests, countIf(StatusCode = 'Error') AS errors, "
     "quantiles(0.5, 0.95, 0.99)(Duration) AS latency FROM otel_traces WHERE SpanKind IN ('Server', 'Consumer') AND "
     "Timestamp >= toDateTime('2026-11-22 01:00:00') - INTERVAL 1 HOUR AND Timestamp < toDateTime('2026-11-22 "
     "01:00:00') GROUP BY ServiceName, SpanName ORDER BY ServiceName, SpanName"},
    {"handwritten.red", true, false, 1e-7,
     "SELECT toStartOfFiveMinutes(Timestamp) AS t, ServiceName, count() / 300 AS rps, countIf(StatusCode = 'Error') "
     "/ count() AS error_rate FROM otel_traces WHERE SpanKind = 'Server' AND Timestamp >= '2026-11-21 23:00:00' AND "
     "Timestamp < '2026-11-22 01:00:00' GROUP BY t, ServiceName ORDER BY t, ServiceName"},
    /* other everyday questions */
    {"handwritten.misc", true, false, 1e-7,
     "SELECT SpanAttributes['http.route'] AS route, count() AS n, avg(Duration) / 1e6 AS avg_ms, max(Duration) FROM "
     "otel_traces WHERE SpanAttributes['http.route'] != '' GROUP BY route ORDER BY avg_ms DESC, route LIMIT 10"},
    {"handwritten.misc", true, false, 1e-9,
     "SELECT TraceId, min(Timestamp) AS start, count() AS spans, max(Duration) AS longest, uniq(ServiceName) AS "
     "services FROM otel_traces WHERE Timestamp BETWEEN '2026-11-21 23:50:00' AND '2026-11-22 00:10:00' GROUP BY "
     "TraceId ORDER BY start DESC, TraceId LIMIT 20"},
    {"handwritten.misc", true, false, 1e-9,
     "SELECT TraceId, count() FROM otel_logs WHERE SeverityNumber >= 17 AND TraceId != '' GROUP BY TraceId ORDER BY "
     "TraceId LIMIT 20"},
    {"handwritten.misc", true, false, 1e-7,
     "SELECT toStartOfInterval(TimeUnix, INTERVAL 15 minute) AS t, ServiceName, avg(Value) FROM otel_metrics_gauge "
     "WHERE MetricName = 'system.cpu.utilization' GROUP BY t, ServiceName ORDER BY t, ServiceName"},
    {"handwritten.misc", true, false, 1e-9,
     "SELECT ServiceName, Attributes['http.route'] AS route, max(Value) - min(Value) AS increase FROM "
     "otel_metrics_sum WHERE MetricName = 'http.server.request.count' GROUP BY ServiceName, route ORDER BY "
     "ServiceName, route"},
    {"handwritten.misc", true, false, 1e-9,
     "SELECT * FROM otel_traces WHERE TraceId = %T ORDER BY Timestamp, SpanId"},
    {"handwritten.misc", true, false, 1e-9,
     "SELECT ServiceName, SpanName, Events.Name, Events.Timestamp, Events.Attributes, Links.TraceId, Links.SpanId, "
     "Links.TraceState, Links.Attributes FROM otel_traces WHERE ScopeName = 'edge-lab' OR ScopeName = "
     "'billing-instrumentation' ORDER BY Timestamp, SpanId LIMIT 100"},
    {"handwritten.misc", true, false, 1e-9,
     "SELECT SpanAttributes['ratio'] AS ratio, SpanAttributes['tags'] AS tags, SpanAttributes['payload'] AS payload, "
     "SpanAttributes['raw'] AS raw, SpanAttributes['big.int'] AS big, SpanAttributes['dup'] AS dup, "
     "SpanAttributes['cache.hit'] AS hit, ResourceAttributes, ServiceName FROM otel_traces WHERE "
     "mapContains(SpanAttributes, 'edge.seq') ORDER BY SpanAttributes['edge.seq'], SpanId LIMIT 400"},
    {"handwritten.misc", true, false, 1e-9,
     "SELECT ServiceName, count() FROM otel_traces GROUP BY ServiceName ORDER BY ServiceName"},
    {"handwritten.misc", true, false, 1e-9,
     "SELECT Timestamp, Body, SeverityText, SeverityNumber, TraceId, SpanId, TraceFlags, LogAttributes, "
     "ResourceAttributes, ScopeName, ScopeVersion, ScopeAttributes, EventName FROM otel_logs WHERE Timestamp < "
     "'2026-11-21 20:00:00' ORDER BY Timestamp, TraceId, Body"},
    {"handwritten.misc", true, false, 1e-9,
     "SELECT MetricName, ServiceName, TimeUnix, StartTimeUnix, Value, Attributes FROM otel_metrics_gauge WHERE "
     "TimeUnix < '2026-11-21 20:00:00' ORDER BY MetricName, TimeUnix, Value"},
};

/* ---- driver ---- */

void sg_options_default(sg_options_t *o) { *o = (sg_options_t){.seed = 1, .traces = 300, .logs = 70, .metrics = 50, .handwritten = true}; }

void sg_free(sg_query_t *q, size_t n)
{
    for (size_t i = 0; i < n; i++) free(q[i].sql);
    free(q);
}

static bool seen(const sg_query_t *qs, size_t n, const char *sql)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(qs[i].sql, sql) == 0) return true;
    return false;
}

int sg_generate(const sg_facts_t *f, const sg_options_t *o, sg_query_t **out_q, size_t *out_n)
{
    size_t cap = OL_ARRAY_LEN(hand) + o->traces + o->logs + o->metrics;
    sg_query_t *qs = calloc(cap ? cap : 1, sizeof *qs);
    if (!qs) return OL_NOMEM;
    size_t n = 0;
    gen_t g;
    memset(&g, 0, sizeof g);
    g.f = f;
    ol_loadgen_rng_seed(&g.rng, o->seed ^ 0x73716c67656eull);
    ol_buf_init(&g.b, OL_MEM_QUERY, 0);
    int rc = OL_OK;
    for (size_t i = 0; o->handwritten && i < OL_ARRAY_LEN(hand); i++) {
        ol_buf_reset(&g.b);
        for (const char *p = hand[i].sql; *p; p++) {
            if (p[0] == '%' && p[1] == 'T') {
                lit(&g, f->trace_ids.n ? f->trace_ids.v[i % f->trace_ids.n] : "00");
                p++;
            } else ol_buf_append_u8(&g.b, (uint8_t)*p);
        }
        ol_buf_append_u8(&g.b, 0);
        if (g.b.err) break;
        sg_query_t *q = &qs[n];
        q->sql = strdup((const char *)g.b.data);
        snprintf(q->category, sizeof q->category, "%s", hand[i].category);
        q->ordered = hand[i].ordered;
        q->quantile = hand[i].quantile;
        q->tol = hand[i].tol;
        if (!q->sql) rc = OL_NOMEM;
        else n++;
    }
    struct {
        uint32_t want;
        void (*fn)(gen_t *, sg_query_t *);
    } groups[] = {{o->traces, gen_trace_query}, {o->logs, gen_log_query}, {o->metrics, gen_metric_query}};
    for (size_t gi = 0; rc == OL_OK && gi < OL_ARRAY_LEN(groups); gi++) {
        uint32_t made = 0, tries = 0;
        while (rc == OL_OK && made < groups[gi].want && tries++ < groups[gi].want * 20) {
            sg_query_t q;
            memset(&q, 0, sizeof q);
            ol_buf_reset(&g.b);
            groups[gi].fn(&g, &q);
            ol_buf_append_u8(&g.b, 0);
            if (g.b.err) {
                rc = g.b.err;
                break;
            }
            if (seen(qs, n, (const char *)g.b.data)) continue;
            q.sql = strdup((const char *)g.b.data);
            if (!q.sql) {
                rc = OL_NOMEM;
                break;
            }
            qs[n++] = q;
            made++;
        }
    }
    ol_buf_free(&g.b);
    if (rc != OL_OK) {
        sg_free(qs, n);
        return rc;
    }
    *out_q = qs;
    *out_n = n;
    return OL_OK;
}
