/*
 * api.h - the HTTP routes of the API port: /api/v1/... (read API, JSON),
 * /healthz, /readyz and /metrics (Prometheus text). Parameters are parsed and
 * validated here (a bad one gets 400 naming it and why); the queries
 * themselves live in src/query/.
 */
#ifndef OL_API_API_H
#define OL_API_API_H

#include <stdatomic.h>

#include "act/act.h"
#include "analyze/analyzer.h"
#include "ingest/ingest.h"
#include "net/server.h"
#include "pipeline/pipeline.h"
#include "sql/sql.h"
#include "store/store.h"

typedef struct ol_api {
    ol_store_t *store;
    ol_ingest_t *ingest;
    ol_pipeline_t *pipeline; /* RED, service map, correlation, GenAI; NULL in tests that need none */
    ol_server_t *server;
    ol_analyzer_t *analyzer; /* anomalies, baselines; NULL = analysis off */
    ol_act_t *act;           /* alerts; NULL = analysis off */
    const char *token; /* bearer token for /api/v1/..., NULL = open */
    uint64_t started_ns;
    ol_sql_limits_t sql_limits; /* bounds on POST /api/v1/query (0 = defaults) */
    _Atomic uint64_t sql_queries, sql_errors, sql_limited;
} ol_api_t;

void ol_api_http(void *api, const ol_http_request_t *req, ol_http_response_t *res);

/* Query-string helpers (exposed for tests). Decodes %XX and '+'. Returns the
 * number of values found for `key` (up to max) into out (arena memory). */
size_t ol_api_query_get(ol_slice_t query, const char *key, ol_slice_t *out, size_t max, ol_arena_t *a);

#endif
