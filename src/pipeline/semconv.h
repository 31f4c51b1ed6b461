/*
 * semconv.h - semantic-convention normalisation, applied when data is read.
 *
 * Stored data stays as it was sent. When attributes are read (the SQL
 * tables' SpanAttributes and LogAttributes maps, the service map),
 * deprecated OpenTelemetry attribute names resolve to the stable ones, so a
 * query sees one name whatever semantic-conventions version the sender
 * followed: `http.method` is read as `http.request.method`, `net.peer.name`
 * as `server.address` (or `client.address` on a server span), `http.target`
 * as `url.path` + `url.query`, `db.system` "mssql" as `db.system.name`
 * "microsoft.sql_server", and so on. The table, the version followed and
 * what is left out are in docs/semconv.md.
 *
 * Rules, for one attribute list:
 *   - a deprecated name never shows: the attribute is dropped, and its value
 *     (renamed, split or mapped) fills its stable name(s);
 *   - a stable name the list has itself wins over any deprecated source;
 *   - when several deprecated names fill one stable name, the first in the
 *     table (docs/semconv.md) wins; a repeated deprecated name gives its
 *     first value;
 *   - other attributes pass through untouched, in their order.
 *
 * Use, per attribute list (allocation-free; values are text, i.e. the form
 * the reader renders values in, e.g. pcommon AsString for SQL):
 *     ol_semconv_state_t st;  ol_semconv_begin(&st);
 *     for each attribute (key, value):
 *         ol_semconv_name_t n = ol_semconv_name(key);
 *         if (n.deprecated >= 0) ol_semconv_feed(&st, n.deprecated, value, span_kind);   (drop it)
 *         else { if (n.stable >= 0) ol_semconv_seen(&st, n.stable); keep it; }
 *     then ol_semconv_next() yields the stable attributes to add.
 * The seen marks matter only once something was fed (st.fed), so a hot
 * reader may test keys with ol_semconv_deprecated alone and mark what it
 * kept afterwards, only for lists that had a deprecated attribute.
 * Values handed out by ol_semconv_next are the fed values, pieces of them,
 * or static strings; keys are static strings.
 *
 * Thread safety: every function may be called from any thread (the lookup
 * tables are built once, on first use).
 */
#ifndef OL_PIPELINE_SEMCONV_H
#define OL_PIPELINE_SEMCONV_H

#include "core/buf.h"
#include "core/common.h"

/* OTLP Span.kind values the rules look at. */
#define OL_SEMCONV_KIND_UNSPECIFIED 0
#define OL_SEMCONV_KIND_SERVER 2

/* Stable names normalisation can fill (a fixed table; docs/semconv.md). */
#define OL_SEMCONV_MAX_STABLE 128

typedef struct ol_semconv_name {
    int16_t stable;     /* id of a stable name normalisation can fill, or -1 */
    int16_t deprecated; /* id of a deprecated name, or -1 */
} ol_semconv_name_t;

/* What `key` is to normalisation ({-1, -1} for most keys; cheap). */
ol_semconv_name_t ol_semconv_name(ol_slice_t key);

/* ol_semconv_name(key).deprecated, faster for the common case of a key
 * that is not a deprecated name (stable names included). */
int ol_semconv_deprecated(ol_slice_t key);

/* True when normalisation can change what a map lookup of `key` returns:
 * a stable name with deprecated sources, or a deprecated name (which then
 * always reads as absent). A column store that reads such a key directly
 * must take the normalising path instead. */
bool ol_semconv_key_affected(ol_slice_t key);

/* The stable name of id `stable` (static), or "" for a bad id. */
ol_slice_t ol_semconv_stable_key(int stable);

/* True when where deprecated name `deprecated` goes depends on the span
 * kind (net.peer.*): other names take any kind, so a reader need not find
 * the kind out for them. */
bool ol_semconv_sided(int deprecated);

/* True when deprecated name `deprecated` fills stable name `key` on a span
 * of this kind (filters which deprecated attributes a lookup must read). */
bool ol_semconv_fills(int deprecated, int32_t span_kind, ol_slice_t key);

/* One attribute list being normalised; plain data, reset by begin. */
typedef struct ol_semconv_state {
    uint64_t seen[OL_SEMCONV_MAX_STABLE / 64]; /* stable names the list has itself */
    uint64_t set[OL_SEMCONV_MAX_STABLE / 64];  /* stable names filled from deprecated ones */
    uint16_t prio[OL_SEMCONV_MAX_STABLE];
    ol_slice_t value[OL_SEMCONV_MAX_STABLE];
    uint32_t fed;                              /* deprecated attributes fed */
} ol_semconv_state_t;

void ol_semconv_begin(ol_semconv_state_t *st);
/* The list has stable name `stable` itself (its own value wins). */
void ol_semconv_seen(ol_semconv_state_t *st, int stable);
/* A deprecated attribute (`deprecated` from ol_semconv_name) with its value
 * as text; span_kind picks the stable name where it depends on the side
 * (net.peer.*: client.* on server spans); logs pass
 * OL_SEMCONV_KIND_UNSPECIFIED. `value` must outlive the list's
 * ol_semconv_next calls. */
void ol_semconv_feed(ol_semconv_state_t *st, int deprecated, ol_slice_t value, int32_t span_kind);
/* The next stable attribute to add (filled, not seen), in stable-id order;
 * *iter starts at 0. False when there are no more. */
bool ol_semconv_next(ol_semconv_state_t *st, uint32_t *iter, ol_slice_t *key, ol_slice_t *value);

/* The value attribute `key` has after normalisation, in an encoded
 * attribute list (the repeated KeyValue field `field` of msg, e.g.
 * Span.attributes = 9): the text form (ol_otlp_anyvalue_text) of the list's
 * own first `key`, else of the deprecated attribute that fills it, renamed,
 * split or mapped. Appends it to out and returns true; false (out
 * untouched) when the list has neither, or when `key` is itself deprecated.
 * For readers of single attributes (the service map: db.system.name,
 * server.address, service.peer.name, messaging.system). */
bool ol_semconv_get(ol_slice_t msg, uint32_t field, int32_t span_kind, ol_slice_t key, ol_buf_t *out);

/* Counters in Prometheus text format: olly_semconv_renamed_attributes_total
 * (deprecated attributes resolved while reading, counted per read). */
void ol_semconv_metrics_text(ol_buf_t *out);

#endif
