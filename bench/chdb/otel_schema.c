/*
 * otel_schema.c - the exporter's traces DDL (see otel_schema.h).
 *
 * The DDL is the schema being compared against, so it is written down here as
 * the exporter's templates render it, not redesigned. Source:
 * open-telemetry/opentelemetry-collector-contrib, exporter/clickhouseexporter,
 * the revision whose exporter_traces.go renders Go text/template DDL and
 * picks text indexes for servers >= 26.2 (versionFullTextSearch):
 *   internal/sqltemplates/traces_table.sql            @ 2bf6b9e1f8c8716ab54eaac1635e56b4d0649900
 *   internal/sqltemplates/traces_id_ts_lookup_table.sql @ 1b08503058e58c68b9175b4d0663d0aaf16b5398
 *   internal/sqltemplates/traces_id_ts_lookup_mv.sql  (template revision reading min/max(toDateTime(Timestamp)))
 * with Engine = MergeTree() for otel_traces and AggregatingMergeTree() for the
 * lookup table (Config.traceIDTsTableEngineString), {{.TTL}} and
 * {{.ClusterString}} empty. "{db}" stands for the database name.
 */
#include "otel_schema.h"

#include <string.h>

static const char traces_head[] =
    "CREATE TABLE IF NOT EXISTS `{db}`.`otel_traces` (\n"
    "    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),\n"
    "    TraceId String CODEC(ZSTD(1)),\n"
    "    SpanId String CODEC(ZSTD(1)),\n"
    "    ParentSpanId String CODEC(ZSTD(1)),\n"
    "    TraceState String CODEC(ZSTD(1)),\n"
    "    SpanName LowCardinality(String) CODEC(ZSTD(1)),\n"
    "    SpanKind LowCardinality(String) CODEC(ZSTD(1)),\n"
    "    ServiceName LowCardinality(String) CODEC(ZSTD(1)),\n"
    "    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n"
    "    ScopeName String CODEC(ZSTD(1)),\n"
    "    ScopeVersion String CODEC(ZSTD(1)),\n"
    "    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n"
    "    Duration UInt64 CODEC(T64, ZSTD(1)),\n"
    "    StatusCode LowCardinality(String) CODEC(ZSTD(1)),\n"
    "    StatusMessage String CODEC(ZSTD(1)),\n"
    "    Events Nested (\n"
    "        Timestamp DateTime64(9),\n"
    "        Name LowCardinality(String),\n"
    "        Attributes Map(LowCardinality(String), String)\n"
    "    ) CODEC(ZSTD(1)),\n"
    "    Links Nested (\n"
    "        TraceId String,\n"
    "        SpanId String,\n"
    "        TraceState String,\n"
    "        Attributes Map(LowCardinality(String), String)\n"
    "    ) CODEC(ZSTD(1)),\n"
    "    ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), "
    "CAST(ResourceAttributes, 'Array(Tuple(String, String))')),\n"
    "    SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), "
    "CAST(SpanAttributes, 'Array(Tuple(String, String))')),\n";

static const char traces_text_indexes[] =
    "    INDEX idx_trace_id TraceId TYPE text(tokenizer = 'array'),\n"
    "    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE text(tokenizer = 'array'),\n"
    "    INDEX idx_res_attr_items ResourceAttributeItems TYPE text(tokenizer = 'array'),\n"
    "    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE text(tokenizer = 'array'),\n"
    "    INDEX idx_span_attr_items SpanAttributeItems TYPE text(tokenizer = 'array'),\n";

static const char traces_bloom_indexes[] =
    "    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,\n"
    "    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"
    "    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"
    "    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n"
    "    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n";

static const char traces_tail[] =
    "    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,\n"
    "    INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8\n"
    ") ENGINE = MergeTree()\n"
    "PARTITION BY toDate(Timestamp)\n"
    "PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))\n"
    "ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)\n"
    "SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1\n";

static const char trace_id_ts[] =
    "CREATE TABLE IF NOT EXISTS `{db}`.`otel_traces_trace_id_ts` (\n"
    "    TraceId String CODEC(ZSTD(1)),\n"
    "    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),\n"
    "    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))\n"
    ") ENGINE = AggregatingMergeTree()\n"
    "PARTITION BY toStartOfWeek(Start)\n"
    "ORDER BY (TraceId)\n"
    "SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1\n";

static const char trace_id_ts_mv[] =
    "CREATE MATERIALIZED VIEW IF NOT EXISTS `{db}`.`otel_traces_trace_id_ts_mv`\n"
    "TO `{db}`.`otel_traces_trace_id_ts`\n"
    "AS SELECT\n"
    "    TraceId,\n"
    "    min(toDateTime(Timestamp)) AS Start,\n"
    "    max(toDateTime(Timestamp)) AS End\n"
    "FROM `{db}`.`otel_traces`\n"
    "WHERE TraceId != ''\n"
    "GROUP BY TraceId\n";

const char *ol_chb_index_name(ol_chb_index_t ix) { return ix == OL_CHB_INDEX_BLOOM ? "bloom" : "text"; }

static void append_with_db(ol_buf_t *b, const char *tmpl, const char *db)
{
    const char *p = tmpl, *hit;
    while ((hit = strstr(p, "{db}")) != NULL) {
        ol_buf_append(b, p, (size_t)(hit - p));
        ol_buf_append_cstr(b, db);
        p = hit + 4;
    }
    ol_buf_append_cstr(b, p);
}

void ol_chb_schema_statement(ol_buf_t *b, int i, const char *db, ol_chb_index_t ix)
{
    switch (i) {
    case 0:
        append_with_db(b, traces_head, db);
        ol_buf_append_cstr(b, ix == OL_CHB_INDEX_BLOOM ? traces_bloom_indexes : traces_text_indexes);
        ol_buf_append_cstr(b, traces_tail);
        break;
    case 1:
        append_with_db(b, trace_id_ts, db);
        break;
    case 2:
        append_with_db(b, trace_id_ts_mv, db);
        break;
    default:
        break;
    }
}
