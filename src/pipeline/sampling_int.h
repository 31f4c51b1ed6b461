/*
 * sampling_int.h - the sampler's rules (sampling_rules.c), shared with the
 * tracker (sampling.c). Nothing outside src/pipeline/sampling*.c includes it.
 *
 * Rules are parsed once from the option strings into views of one owned
 * copy of each string; matching a span against them allocates nothing
 * except the text form of an attribute whose key matches a rule.
 */
#ifndef OL_PIPELINE_SAMPLING_INT_H
#define OL_PIPELINE_SAMPLING_INT_H

#include "codec/otlp.h"
#include "core/buf.h"
#include "core/common.h"

#define OL_SMP_MEM OL_MEM_PIPELINE

typedef struct ol_smp_latency_rule {
    ol_slice_t service, operation; /* operation empty: every operation of the service */
    uint64_t threshold_ns;
} ol_smp_latency_rule_t;

typedef struct ol_smp_attr_rule {
    ol_slice_t key, value;
} ol_smp_attr_rule_t;

typedef struct ol_smp_rules {
    char *latency_text, *attr_text; /* owned copies the views point into */
    size_t latency_text_len, attr_text_len;
    ol_smp_latency_rule_t *latency;
    size_t n_latency, cap_latency;
    ol_smp_attr_rule_t *attr;
    size_t n_attr, cap_attr;
    uint64_t latency_ns; /* the default threshold; 0 = none */
} ol_smp_rules_t;

/* OL_OK, OL_CORRUPT (err names the rule), OL_NOMEM. NULL or empty strings
 * give no rules. On failure the rules are left freed. */
int ol_smp_rules_parse(ol_smp_rules_t *r, const char *latency_rules, const char *attr_rules, uint64_t latency_ns,
                       ol_err_t *err);
void ol_smp_rules_free(ol_smp_rules_t *r);

/* The threshold for a span of this service and name: 0 = none. */
uint64_t ol_smp_threshold(const ol_smp_rules_t *r, ol_slice_t service, ol_slice_t name);
/* Whether the span lasted longer than its threshold. */
bool ol_smp_slow(const ol_smp_rules_t *r, const ol_otlp_span_t *sp);

/* Attribute matching with a per-batch cache of the last resource's answer
 * (spans of one batch share a few origins). scratch renders values. */
typedef struct ol_smp_attr_ctx {
    const ol_smp_rules_t *r;
    const ol_otlp_origin_t *origin;
    bool origin_match;
    ol_buf_t scratch;
} ol_smp_attr_ctx_t;
void ol_smp_attr_ctx_init(ol_smp_attr_ctx_t *c, const ol_smp_rules_t *r);
void ol_smp_attr_ctx_free(ol_smp_attr_ctx_t *c);
/* The span or its resource has an attribute equal to a rule's pair. */
bool ol_smp_attr_match(ol_smp_attr_ctx_t *c, const ol_otlp_span_t *sp);

#endif
