/*
 * topology.h - a model of a microservice system that span generators walk.
 *
 * A topology is services (each with what its resource says: language,
 * runtime, version, replicas) and operations (an HTTP route, a gRPC method,
 * a DB query, a cache command, a queue publish or consume, or internal work),
 * each with a call graph to downstream operations, a log-normal self time and
 * an error probability. Roots are the entry operations, picked by weight.
 *
 * It is pure data: `olly loadgen` turns walks of it into OTLP spans
 * (spans.h), and `olly demo` drives the same model live (gen.h). The
 * built-in default is shaped after the OpenTelemetry demo (frontend,
 * checkout, cart, product catalog, currency, payment, shipping, email,
 * recommendation, ad, accounting, fraud detection, plus PostgreSQL, a Valkey
 * cache and Kafka); it can be widened with generic services.
 *
 * Invariants checked by ol_topo_validate(): every index is in range, the call
 * graph is acyclic (so a walk terminates), a PRODUCE op calls only CONSUME
 * ops and CONSUME ops are called only by PRODUCE ops, DB/CACHE/PRODUCE ops
 * belong to DB/CACHE/QUEUE services, GENAI ops to EXTERNAL services, INTERNAL
 * ops are called only from their own service.
 */
#ifndef OL_LOADGEN_TOPOLOGY_H
#define OL_LOADGEN_TOPOLOGY_H

#include "core/arena.h"
#include "core/common.h"

typedef enum {
    OL_TOPO_SVC_APP = 0, /* instrumented: emits spans under its own resource */
    OL_TOPO_SVC_DB,      /* seen only through its callers' client spans */
    OL_TOPO_SVC_CACHE,
    OL_TOPO_SVC_QUEUE,
    OL_TOPO_SVC_EXTERNAL /* a third-party API (a language model provider), seen through client spans */
} ol_topo_svc_kind_t;

typedef struct ol_topo_service {
    const char *name;     /* service.name; also server.address callers use */
    const char *version;  /* service.version */
    const char *language; /* telemetry.sdk.language: go, nodejs, dotnet, java, python, ruby, rust, cpp, php */
    const char *runtime;  /* process.runtime.name */
    const char *runtime_version;
    const char *system; /* DB/CACHE/QUEUE: db.system.name or messaging.system; EXTERNAL: gen_ai.provider.name */
    uint16_t port;      /* server.port */
    uint8_t kind;       /* ol_topo_svc_kind_t */
    uint8_t replicas;   /* distinct instances (service.instance.id, pod) */
} ol_topo_service_t;

typedef enum {
    OL_TOPO_OP_HTTP = 0, /* HTTP server route; a caller gets an HTTP client span */
    OL_TOPO_OP_GRPC,     /* gRPC method; a caller gets an RPC client span */
    OL_TOPO_OP_INTERNAL, /* work inside the caller's own service */
    OL_TOPO_OP_DB,       /* query against a DB service: a client span only */
    OL_TOPO_OP_CACHE,    /* cache command: a client span only */
    OL_TOPO_OP_PRODUCE,  /* publish to a queue: a producer span; its calls are the consumers */
    OL_TOPO_OP_CONSUME,  /* consume from a queue: root of a new trace linked to the producer */
    OL_TOPO_OP_GENAI     /* a call to a language model (EXTERNAL service): a client span with gen_ai.* */
} ol_topo_op_kind_t;

typedef struct ol_topo_call {
    uint16_t op;       /* callee */
    uint8_t min, max;  /* fan-out: the call is made a uniform [min,max] times */
    uint8_t parallel;  /* repeated calls overlap instead of running one after another */
    float p;           /* probability that the call happens at all (1 = always) */
} ol_topo_call_t;

#define OL_TOPO_MAX_CALLS 10

/* What method/path/query mean per kind:
 *   HTTP:     method = "GET", path = route "/api/products/{productId}"
 *   GRPC:     method = rpc.method, path = rpc.service
 *   DB:       method = db.operation.name, path = db.collection.name, query = db.query.text
 *   CACHE:    method = command, query = db.query.text
 *   PRODUCE / CONSUME: path = destination (topic)
 *   GENAI:    method = gen_ai.operation.name, path = request model, query = response model
 *   INTERNAL: name only */
typedef struct ol_topo_op {
    const char *name;        /* span name on the callee side (server, internal, producer...) */
    const char *client_name; /* span name of a caller's client span (HTTP: the method) */
    const char *method, *path, *query;
    const char *error_message; /* status message when the op fails (NULL: a generic one) */
    const char *event;         /* a log-like span event some invocations record (NULL: none) */
    uint16_t service;
    uint8_t kind; /* ol_topo_op_kind_t */
    uint8_t n_calls;
    float median_ms, sigma; /* self time: log-normal with this median and shape */
    float error_rate;       /* probability the op itself fails */
    ol_topo_call_t calls[OL_TOPO_MAX_CALLS];
} ol_topo_op_t;

typedef struct ol_topo_root {
    uint16_t op;
    uint16_t weight;
} ol_topo_root_t;

typedef struct ol_topology {
    ol_topo_service_t *services;
    uint32_t n_services;
    ol_topo_op_t *ops;
    uint32_t n_ops;
    ol_topo_root_t *roots;
    uint32_t n_roots;
    uint32_t total_weight;
    ol_arena_t *arena; /* every array and generated string above */
} ol_topology_t;

/* Number of services (including DB, cache and queue) in the built-in default. */
uint32_t ol_topo_default_services(void);

/* Builds the default topology widened to n_services services: below or at
 * the default count it is the default as is; above, n_services - default
 * generic services are added in chains of four, each chain entered by a new
 * frontend route. Deterministic. OL_NOMEM, OL_LIMIT (n_services > 4096). */
int ol_topo_create_default(uint32_t n_services, ol_topology_t **out, ol_err_t *err);
void ol_topo_destroy(ol_topology_t *t); /* NULL is fine */

/* The topology `olly demo` simulates: the default plus `product-reviews`,
 * which answers questions about products with
 * a language model (GENAI calls to the EXTERNAL service `openai`) and reads
 * reviews from PostgreSQL, behind two new frontend routes and an optional
 * call from the product page. The loadgen default is left exactly as it is.
 * OL_NOMEM. */
int ol_topo_create_demo(ol_topology_t **out, ol_err_t *err);

/* Operation index by span name (the callee-side name), or -1. */
int ol_topo_find_op(const ol_topology_t *t, const char *name);

/* Checks the invariants listed at the top. OL_OK or OL_CORRUPT with err. */
int ol_topo_validate(const ol_topology_t *t, ol_err_t *err);

/* Service index by name, or -1. */
int ol_topo_find_service(const ol_topology_t *t, const char *name);

#endif
