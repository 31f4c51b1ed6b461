/*
 * sampling_rules.c - the tail sampler's latency and attribute rules: parsing
 * the option strings and matching spans against them (sampling_int.h).
 *
 * latency_rules: "service/operation=ms,service=ms,...". The service is what
 * precedes the first '/', the operation everything after it up to the last
 * '=' (span names may hold '/', "GET /cart"); ms is a positive decimal
 * number of milliseconds. A span's threshold is its (service, operation)
 * rule, else its service's rule, else the default latency_ns.
 *
 * attr_rules: "key=value,key=value": the key is what precedes the first '=',
 * the value the rest (possibly empty); neither can hold ','. A span matches
 * when one of its attributes or its resource's has that key and a value whose
 * text form (ol_otlp_anyvalue_text: strings as is, numbers in decimal,
 * "true"/"false") equals the value.
 *
 * Blanks around entries, keys and values are ignored, and so are empty
 * entries (a trailing comma).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/util.h"
#include "pipeline/sampling_int.h"
#include "store/store.h"

static ol_slice_t ol_smp_sub(ol_slice_t s, size_t from, size_t to) { return ol_slice(s.ptr + from, to - from); }

static long ol_smp_find(ol_slice_t s, uint8_t c, bool last)
{
    long at = -1;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] != c) continue;
        at = (long)i;
        if (!last) break;
    }
    return at;
}

/* Calls fn for each non-empty trimmed entry of a comma-separated list. */
typedef int (*ol_smp_entry_fn)(ol_smp_rules_t *r, ol_slice_t entry, size_t index, ol_err_t *err);

static int ol_smp_each_entry(ol_smp_rules_t *r, ol_slice_t text, ol_smp_entry_fn fn, ol_err_t *err)
{
    size_t start = 0, index = 0;
    for (size_t i = 0; i <= text.len; i++) {
        if (i < text.len && text.ptr[i] != ',') continue;
        ol_slice_t e = ol_slice_trim(ol_smp_sub(text, start, i));
        start = i + 1;
        if (!e.len) continue;
        int rc = fn(r, e, ++index, err);
        if (rc != OL_OK) return rc;
    }
    return OL_OK;
}

static int ol_smp_latency_entry(ol_smp_rules_t *r, ol_slice_t e, size_t index, ol_err_t *err)
{
    long eq = ol_smp_find(e, '=', true);
    if (eq < 0) {
        ol_err_set(err, "sampling: latency rule %zu (\"%.*s\") has no '=': expected service/operation=ms or "
                        "service=ms", index, (int)OL_MIN(e.len, 80), (const char *)e.ptr);
        return OL_CORRUPT;
    }
    ol_slice_t key = ol_slice_trim(ol_smp_sub(e, 0, (size_t)eq));
    ol_slice_t num = ol_slice_trim(ol_smp_sub(e, (size_t)eq + 1, e.len));
    long slash = ol_smp_find(key, '/', false);
    ol_slice_t svc = slash < 0 ? key : ol_slice_trim(ol_smp_sub(key, 0, (size_t)slash));
    ol_slice_t op = slash < 0 ? OL_SLICE_NULL : ol_slice_trim(ol_smp_sub(key, (size_t)slash + 1, key.len));
    double ms;
    if (!svc.len || (slash >= 0 && !op.len)) {
        ol_err_set(err, "sampling: latency rule %zu (\"%.*s\") names no %s", index, (int)OL_MIN(e.len, 80),
                   (const char *)e.ptr, svc.len ? "operation after '/'" : "service");
        return OL_CORRUPT;
    }
    if (ol_parse_double(num, &ms) != OL_OK || !isfinite(ms) || ms <= 0 || ms > 1e12) {
        ol_err_set(err, "sampling: latency rule %zu (\"%.*s\"): the threshold must be a positive number of "
                        "milliseconds", index, (int)OL_MIN(e.len, 80), (const char *)e.ptr);
        return OL_CORRUPT;
    }
    if (ol_grow_array(OL_SMP_MEM, (void **)&r->latency, &r->cap_latency, r->n_latency + 1,
                      sizeof *r->latency) != OL_OK)
        return OL_NOMEM;
    r->latency[r->n_latency++] = (ol_smp_latency_rule_t){svc, op, (uint64_t)llround(ms * 1e6)};
    return OL_OK;
}

static int ol_smp_attr_entry(ol_smp_rules_t *r, ol_slice_t e, size_t index, ol_err_t *err)
{
    long eq = ol_smp_find(e, '=', false);
    ol_slice_t key = eq < 0 ? OL_SLICE_NULL : ol_slice_trim(ol_smp_sub(e, 0, (size_t)eq));
    if (!key.len) {
        ol_err_set(err, "sampling: attribute rule %zu (\"%.*s\"): expected key=value", index,
                   (int)OL_MIN(e.len, 80), (const char *)e.ptr);
        return OL_CORRUPT;
    }
    ol_slice_t value = ol_slice_trim(ol_smp_sub(e, (size_t)eq + 1, e.len));
    if (ol_grow_array(OL_SMP_MEM, (void **)&r->attr, &r->cap_attr, r->n_attr + 1, sizeof *r->attr) != OL_OK)
        return OL_NOMEM;
    r->attr[r->n_attr++] = (ol_smp_attr_rule_t){key, value};
    return OL_OK;
}

static char *ol_smp_copy(const char *s, size_t *len)
{
    *len = s ? strlen(s) : 0;
    return *len ? ol_strndup(OL_SMP_MEM, s, *len) : NULL;
}

int ol_smp_rules_parse(ol_smp_rules_t *r, const char *latency_rules, const char *attr_rules, uint64_t latency_ns,
                       ol_err_t *err)
{
    memset(r, 0, sizeof *r);
    r->latency_ns = latency_ns;
    r->latency_text = ol_smp_copy(latency_rules, &r->latency_text_len);
    r->attr_text = ol_smp_copy(attr_rules, &r->attr_text_len);
    int rc = OL_OK;
    if ((r->latency_text_len && !r->latency_text) || (r->attr_text_len && !r->attr_text)) rc = OL_NOMEM;
    if (rc == OL_OK)
        rc = ol_smp_each_entry(r, ol_slice(r->latency_text, r->latency_text_len), ol_smp_latency_entry, err);
    if (rc == OL_OK) rc = ol_smp_each_entry(r, ol_slice(r->attr_text, r->attr_text_len), ol_smp_attr_entry, err);
    if (rc == OL_NOMEM) ol_err_set(err, "sampling: out of memory parsing the rules");
    if (rc != OL_OK) ol_smp_rules_free(r);
    return rc;
}

void ol_smp_rules_free(ol_smp_rules_t *r)
{
    if (r->latency_text) ol_free(OL_SMP_MEM, r->latency_text, r->latency_text_len + 1);
    if (r->attr_text) ol_free(OL_SMP_MEM, r->attr_text, r->attr_text_len + 1);
    ol_free(OL_SMP_MEM, r->latency, r->cap_latency * sizeof *r->latency);
    ol_free(OL_SMP_MEM, r->attr, r->cap_attr * sizeof *r->attr);
    memset(r, 0, sizeof *r);
}

uint64_t ol_smp_threshold(const ol_smp_rules_t *r, ol_slice_t service, ol_slice_t name)
{
    uint64_t by_service = 0;
    for (size_t i = 0; i < r->n_latency; i++) {
        const ol_smp_latency_rule_t *l = &r->latency[i];
        if (!ol_slice_eq(l->service, service)) continue;
        if (!l->operation.len) {
            if (!by_service) by_service = l->threshold_ns;
        } else if (ol_slice_eq(l->operation, name)) {
            return l->threshold_ns;
        }
    }
    return by_service ? by_service : r->latency_ns;
}

bool ol_smp_slow(const ol_smp_rules_t *r, const ol_otlp_span_t *sp)
{
    if (!r->n_latency && !r->latency_ns) return false;
    if (sp->end_ns <= sp->start_ns) return false;
    uint64_t th = ol_smp_threshold(r, ol_store_service_of(sp->origin), sp->name);
    return th && sp->end_ns - sp->start_ns > th;
}

void ol_smp_attr_ctx_init(ol_smp_attr_ctx_t *c, const ol_smp_rules_t *r)
{
    memset(c, 0, sizeof *c);
    c->r = r;
    ol_buf_init(&c->scratch, OL_SMP_MEM, 1u << 20);
}

void ol_smp_attr_ctx_free(ol_smp_attr_ctx_t *c) { ol_buf_free(&c->scratch); }

static int ol_smp_attr_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ol_smp_attr_ctx_t *c = ud;
    bool rendered = false;
    for (size_t i = 0; i < c->r->n_attr; i++) {
        const ol_smp_attr_rule_t *a = &c->r->attr[i];
        if (!ol_slice_eq(a->key, key)) continue;
        if (!rendered) {
            ol_buf_reset(&c->scratch);
            ol_otlp_anyvalue_text(any_value, &c->scratch);
            rendered = true;
        }
        if (c->scratch.err == OL_OK && ol_slice_eq(a->value, ol_buf_slice(&c->scratch))) return OL_STORE_STOP;
    }
    return OL_OK;
}

/* Whether some rule's key occurs in the encoded message at all: most spans
 * have none, and a byte search is cheaper than decoding their attributes. */
static bool ol_smp_any_key(const ol_smp_rules_t *r, ol_slice_t msg)
{
    for (size_t i = 0; i < r->n_attr; i++)
        if (msg.len >= r->attr[i].key.len && memmem(msg.ptr, msg.len, r->attr[i].key.ptr, r->attr[i].key.len))
            return true;
    return false;
}

bool ol_smp_attr_match(ol_smp_attr_ctx_t *c, const ol_otlp_span_t *sp)
{
    if (!c->r->n_attr) return false;
    if (ol_smp_any_key(c->r, sp->raw) && ol_otlp_each_attribute(sp->raw, 9, ol_smp_attr_cb, c) == OL_STORE_STOP)
        return true;
    if (!sp->origin) return false;
    if (sp->origin != c->origin) {
        c->origin = sp->origin;
        c->origin_match = ol_otlp_each_attribute(sp->origin->resource, 1, ol_smp_attr_cb, c) == OL_STORE_STOP;
    }
    return c->origin_match;
}
