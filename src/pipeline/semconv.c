/*
 * semconv.c - the renames of semantic-convention normalisation (contract in
 * semconv.h, the table with its sources in docs/semconv.md).
 *
 * Two tables written once below: the stable names normalisation can fill
 * (OL_SC_STABLE, an X-macro, so an id is an enum value) and the deprecated
 * names (rules[]), each naming the stable name(s) it fills and how its
 * value is carried over (as is, split, or through a value map). A rule's
 * index is its priority: when two deprecated names fill one stable name, the
 * earlier rule wins. The renames follow the OpenTelemetry semantic
 * conventions' schema file (the cumulative rename history,
 * schemas/1.44.0) and the deprecation notes of its attribute registry for
 * the context-dependent ones the schema cannot express.
 *
 * Lookup: every name of both tables sits in one open-addressing hash
 * table built on first use (a few hundred names in 1,024 slots, so a probe
 * or two). Most attribute keys are in neither table, so a 64-bit mask per
 * first byte of the lengths that occur turns almost all of them away
 * before anything is hashed.
 */
#include "pipeline/semconv.h"

#include <pthread.h>
#include <stdatomic.h>

#include "codec/otlp.h"
#include "codec/pb.h"

/* ---- stable names (id order = this order) ---- */

#define OL_SC_STABLE(X)                                                                          \
    X(HTTP_REQUEST_METHOD, "http.request.method")                                                \
    X(HTTP_RESPONSE_STATUS_CODE, "http.response.status_code")                                    \
    X(HTTP_REQUEST_BODY_SIZE, "http.request.body.size")                                          \
    X(HTTP_RESPONSE_BODY_SIZE, "http.response.body.size")                                        \
    X(HTTP_REQUEST_RESEND_COUNT, "http.request.resend_count")                                    \
    X(URL_SCHEME, "url.scheme")                                                                  \
    X(URL_FULL, "url.full")                                                                      \
    X(URL_PATH, "url.path")                                                                      \
    X(URL_QUERY, "url.query")                                                                    \
    X(USER_AGENT_ORIGINAL, "user_agent.original")                                                \
    X(CLIENT_ADDRESS, "client.address")                                                          \
    X(CLIENT_PORT, "client.port")                                                                \
    X(SERVER_ADDRESS, "server.address")                                                          \
    X(SERVER_PORT, "server.port")                                                                \
    X(NETWORK_PEER_ADDRESS, "network.peer.address")                                              \
    X(NETWORK_PEER_PORT, "network.peer.port")                                                    \
    X(NETWORK_LOCAL_ADDRESS, "network.local.address")                                            \
    X(NETWORK_LOCAL_PORT, "network.local.port")                                                  \
    X(NETWORK_PROTOCOL_NAME, "network.protocol.name")                                            \
    X(NETWORK_PROTOCOL_VERSION, "network.protocol.version")                                      \
    X(NETWORK_TRANSPORT, "network.transport")                                                    \
    X(NETWORK_CONNECTION_TYPE, "network.connection.type")                                        \
    X(NETWORK_CONNECTION_SUBTYPE, "network.connection.subtype")                                  \
    X(NETWORK_CARRIER_NAME, "network.carrier.name")                                              \
    X(NETWORK_CARRIER_MCC, "network.carrier.mcc")                                                \
    X(NETWORK_CARRIER_MNC, "network.carrier.mnc")                                                \
    X(NETWORK_CARRIER_ICC, "network.carrier.icc")                                                \
    X(SERVICE_PEER_NAME, "service.peer.name")                                                    \
    X(DB_SYSTEM_NAME, "db.system.name")                                                          \
    X(DB_QUERY_TEXT, "db.query.text")                                                            \
    X(DB_OPERATION_NAME, "db.operation.name")                                                    \
    X(DB_NAMESPACE, "db.namespace")                                                              \
    X(DB_COLLECTION_NAME, "db.collection.name")                                                  \
    X(DB_RESPONSE_STATUS_CODE, "db.response.status_code")                                        \
    X(CASSANDRA_COORDINATOR_DC, "cassandra.coordinator.dc")                                      \
    X(CASSANDRA_COORDINATOR_ID, "cassandra.coordinator.id")                                      \
    X(CASSANDRA_CONSISTENCY_LEVEL, "cassandra.consistency.level")                                \
    X(CASSANDRA_QUERY_IDEMPOTENT, "cassandra.query.idempotent")                                  \
    X(CASSANDRA_PAGE_SIZE, "cassandra.page.size")                                                \
    X(CASSANDRA_SPECULATIVE_EXECUTION_COUNT, "cassandra.speculative_execution.count")            \
    X(AZURE_CLIENT_ID, "azure.client.id")                                                        \
    X(AZURE_COSMOSDB_CONNECTION_MODE, "azure.cosmosdb.connection.mode")                          \
    X(AZURE_COSMOSDB_CONSISTENCY_LEVEL, "azure.cosmosdb.consistency.level")                      \
    X(AZURE_COSMOSDB_OPERATION_REQUEST_CHARGE, "azure.cosmosdb.operation.request_charge")        \
    X(AZURE_COSMOSDB_REQUEST_BODY_SIZE, "azure.cosmosdb.request.body.size")                      \
    X(AZURE_COSMOSDB_OPERATION_CONTACTED_REGIONS, "azure.cosmosdb.operation.contacted_regions")  \
    X(AZURE_COSMOSDB_RESPONSE_SUB_STATUS_CODE, "azure.cosmosdb.response.sub_status_code")        \
    X(ELASTICSEARCH_NODE_NAME, "elasticsearch.node.name")                                        \
    X(MESSAGING_DESTINATION_NAME, "messaging.destination.name")                                  \
    X(MESSAGING_DESTINATION_TEMPORARY, "messaging.destination.temporary")                        \
    X(MESSAGING_DESTINATION_PARTITION_ID, "messaging.destination.partition.id")                  \
    X(MESSAGING_DESTINATION_SUBSCRIPTION_NAME, "messaging.destination.subscription.name")        \
    X(MESSAGING_MESSAGE_ID, "messaging.message.id")                                              \
    X(MESSAGING_MESSAGE_CONVERSATION_ID, "messaging.message.conversation_id")                    \
    X(MESSAGING_MESSAGE_BODY_SIZE, "messaging.message.body.size")                                \
    X(MESSAGING_OPERATION_TYPE, "messaging.operation.type")                                      \
    X(MESSAGING_CONSUMER_GROUP_NAME, "messaging.consumer.group.name")                            \
    X(MESSAGING_CLIENT_ID, "messaging.client.id")                                                \
    X(MESSAGING_KAFKA_MESSAGE_KEY, "messaging.kafka.message.key")                                \
    X(MESSAGING_KAFKA_MESSAGE_TOMBSTONE, "messaging.kafka.message.tombstone")                    \
    X(MESSAGING_KAFKA_OFFSET, "messaging.kafka.offset")                                          \
    X(MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY, "messaging.rabbitmq.destination.routing_key")  \
    X(MESSAGING_ROCKETMQ_MESSAGE_TYPE, "messaging.rocketmq.message.type")                        \
    X(MESSAGING_ROCKETMQ_MESSAGE_TAG, "messaging.rocketmq.message.tag")                          \
    X(MESSAGING_ROCKETMQ_MESSAGE_KEYS, "messaging.rocketmq.message.keys")                        \
    X(RPC_SYSTEM_NAME, "rpc.system.name")                                                        \
    X(RPC_RESPONSE_STATUS_CODE, "rpc.response.status_code")                                      \
    X(JSONRPC_REQUEST_ID, "jsonrpc.request.id")                                                  \
    X(JSONRPC_PROTOCOL_VERSION, "jsonrpc.protocol.version")

#define OL_SC_ENUM(id, name) S_##id,
enum { OL_SC_STABLE(OL_SC_ENUM) S__COUNT, S_NONE = 0xff };
#define OL_SC_NAME(id, name) OL_SLICE_LIT(name),
static const ol_slice_t stable_names[S__COUNT] = {OL_SC_STABLE(OL_SC_NAME)};

_Static_assert(S__COUNT <= OL_SEMCONV_MAX_STABLE, "raise OL_SEMCONV_MAX_STABLE");

/* ---- deprecated names ---- */

typedef enum {
    X_COPY,
    X_SPLIT_TARGET, /* http.target: to = the path (before '?'), to2 = the query (after it, when there is one) */
    X_SPLIT_FLAVOR, /* http.flavor: to = the protocol name, to2 = its version ("1.1" is HTTP 1.1) */
    X_DB_SYSTEM,    /* the value through db_system_values */
    X_RPC_SYSTEM,
    X_TRANSPORT,
    X_MSG_OPERATION,
} ol_sc_xform_t;

typedef struct ol_sc_rule {
    const char *key;
    uint8_t to;        /* the stable name it fills */
    uint8_t to_server; /* instead of `to` on server spans (S_NONE: same) */
    uint8_t to2;       /* the second stable name of a split */
    uint8_t xform;
} ol_sc_rule_t;

#define R(k, t) {k, S_##t, S_NONE, S_NONE, X_COPY}
#define RX(k, t, x) {k, S_##t, S_NONE, S_NONE, x}
#define RSIDE(k, t, ts) {k, S_##t, S_##ts, S_NONE, X_COPY}
#define RSPLIT(k, t, t2, x) {k, S_##t, S_NONE, S_##t2, x}

/* Priority order: an earlier rule wins a stable name over a later one. */
static const ol_sc_rule_t rules[] = {
    /* HTTP (schema 1.19, 1.21, 1.22; registry notes for the splits) */
    R("http.method", HTTP_REQUEST_METHOD),
    R("http.status_code", HTTP_RESPONSE_STATUS_CODE),
    R("http.scheme", URL_SCHEME),
    R("http.url", URL_FULL),
    RSPLIT("http.target", URL_PATH, URL_QUERY, X_SPLIT_TARGET),
    R("http.request_content_length_uncompressed", HTTP_REQUEST_BODY_SIZE),
    R("http.request_content_length", HTTP_REQUEST_BODY_SIZE),
    R("http.response_content_length_uncompressed", HTTP_RESPONSE_BODY_SIZE),
    R("http.response_content_length", HTTP_RESPONSE_BODY_SIZE),
    R("http.user_agent", USER_AGENT_ORIGINAL),
    R("http.client_ip", CLIENT_ADDRESS),
    R("http.resend_count", HTTP_REQUEST_RESEND_COUNT),
    R("http.retry_count", HTTP_REQUEST_RESEND_COUNT),
    RSPLIT("http.flavor", NETWORK_PROTOCOL_NAME, NETWORK_PROTOCOL_VERSION, X_SPLIT_FLAVOR),
    /* network (schema 1.13, 1.20, 1.21; registry notes for net.peer.* and net.sock.*) */
    RSIDE("net.peer.name", SERVER_ADDRESS, CLIENT_ADDRESS),
    RSIDE("net.peer.port", SERVER_PORT, CLIENT_PORT),
    R("net.host.name", SERVER_ADDRESS),
    R("net.host.port", SERVER_PORT),
    R("net.sock.peer.addr", NETWORK_PEER_ADDRESS),
    R("net.peer.ip", NETWORK_PEER_ADDRESS),
    R("net.sock.peer.port", NETWORK_PEER_PORT),
    R("net.sock.host.addr", NETWORK_LOCAL_ADDRESS),
    R("net.host.ip", NETWORK_LOCAL_ADDRESS),
    R("net.sock.host.port", NETWORK_LOCAL_PORT),
    R("net.protocol.name", NETWORK_PROTOCOL_NAME),
    R("net.app.protocol.name", NETWORK_PROTOCOL_NAME),
    R("messaging.protocol", NETWORK_PROTOCOL_NAME),
    R("net.protocol.version", NETWORK_PROTOCOL_VERSION),
    R("net.app.protocol.version", NETWORK_PROTOCOL_VERSION),
    R("messaging.protocol_version", NETWORK_PROTOCOL_VERSION),
    RX("net.transport", NETWORK_TRANSPORT, X_TRANSPORT),
    R("net.host.connection.type", NETWORK_CONNECTION_TYPE),
    R("net.host.connection.subtype", NETWORK_CONNECTION_SUBTYPE),
    R("net.host.carrier.name", NETWORK_CARRIER_NAME),
    R("net.host.carrier.mcc", NETWORK_CARRIER_MCC),
    R("net.host.carrier.mnc", NETWORK_CARRIER_MNC),
    R("net.host.carrier.icc", NETWORK_CARRIER_ICC),
    R("http.server_name", SERVER_ADDRESS),
    R("tls.client.server_name", SERVER_ADDRESS),
    /* peer (schema 1.39) */
    R("peer.service", SERVICE_PEER_NAME),
    /* database (schema 1.8, 1.25, 1.27, 1.30; registry for the rest) */
    RX("db.system", DB_SYSTEM_NAME, X_DB_SYSTEM),
    R("db.statement", DB_QUERY_TEXT),
    R("db.operation", DB_OPERATION_NAME),
    R("db.name", DB_NAMESPACE),
    R("db.redis.database_index", DB_NAMESPACE),
    R("db.elasticsearch.cluster.name", DB_NAMESPACE),
    R("db.cassandra.keyspace", DB_NAMESPACE),
    R("db.hbase.namespace", DB_NAMESPACE),
    R("db.sql.table", DB_COLLECTION_NAME),
    R("db.mongodb.collection", DB_COLLECTION_NAME),
    R("db.cosmosdb.container", DB_COLLECTION_NAME),
    R("db.cassandra.table", DB_COLLECTION_NAME),
    R("db.cosmosdb.status_code", DB_RESPONSE_STATUS_CODE),
    R("db.cassandra.coordinator.dc", CASSANDRA_COORDINATOR_DC),
    R("db.cassandra.coordinator.id", CASSANDRA_COORDINATOR_ID),
    R("db.cassandra.consistency_level", CASSANDRA_CONSISTENCY_LEVEL),
    R("db.cassandra.idempotence", CASSANDRA_QUERY_IDEMPOTENT),
    R("db.cassandra.page_size", CASSANDRA_PAGE_SIZE),
    R("db.cassandra.speculative_execution_count", CASSANDRA_SPECULATIVE_EXECUTION_COUNT),
    R("db.cosmosdb.client_id", AZURE_CLIENT_ID),
    R("db.cosmosdb.connection_mode", AZURE_COSMOSDB_CONNECTION_MODE),
    R("db.cosmosdb.consistency_level", AZURE_COSMOSDB_CONSISTENCY_LEVEL),
    R("db.cosmosdb.request_charge", AZURE_COSMOSDB_OPERATION_REQUEST_CHARGE),
    R("db.cosmosdb.request_content_length", AZURE_COSMOSDB_REQUEST_BODY_SIZE),
    R("db.cosmosdb.regions_contacted", AZURE_COSMOSDB_OPERATION_CONTACTED_REGIONS),
    R("db.cosmosdb.sub_status_code", AZURE_COSMOSDB_RESPONSE_SUB_STATUS_CODE),
    R("db.elasticsearch.node.name", ELASTICSEARCH_NODE_NAME),
    /* messaging (schema 1.17, 1.21, 1.22, 1.25, 1.26, 1.27; chains resolved to the last name) */
    R("messaging.destination", MESSAGING_DESTINATION_NAME),
    R("messaging.temp_destination", MESSAGING_DESTINATION_TEMPORARY),
    R("messaging.kafka.destination.partition", MESSAGING_DESTINATION_PARTITION_ID),
    R("messaging.kafka.partition", MESSAGING_DESTINATION_PARTITION_ID),
    R("messaging.servicebus.destination.subscription_name", MESSAGING_DESTINATION_SUBSCRIPTION_NAME),
    R("messaging.message_id", MESSAGING_MESSAGE_ID),
    R("messaging.conversation_id", MESSAGING_MESSAGE_CONVERSATION_ID),
    R("messaging.message.payload_size_bytes", MESSAGING_MESSAGE_BODY_SIZE),
    R("messaging.message_payload_size_bytes", MESSAGING_MESSAGE_BODY_SIZE),
    RX("messaging.operation", MESSAGING_OPERATION_TYPE, X_MSG_OPERATION),
    R("messaging.kafka.consumer.group", MESSAGING_CONSUMER_GROUP_NAME),
    R("messaging.kafka.consumer_group", MESSAGING_CONSUMER_GROUP_NAME),
    R("messaging.rocketmq.client_group", MESSAGING_CONSUMER_GROUP_NAME),
    R("messaging.eventhubs.consumer.group", MESSAGING_CONSUMER_GROUP_NAME),
    R("messaging.client_id", MESSAGING_CLIENT_ID),
    R("messaging.kafka.client_id", MESSAGING_CLIENT_ID),
    R("messaging.rocketmq.client_id", MESSAGING_CLIENT_ID),
    R("messaging.kafka.message_key", MESSAGING_KAFKA_MESSAGE_KEY),
    R("messaging.kafka.tombstone", MESSAGING_KAFKA_MESSAGE_TOMBSTONE),
    R("messaging.kafka.message.offset", MESSAGING_KAFKA_OFFSET),
    R("messaging.rabbitmq.routing_key", MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY),
    R("messaging.rocketmq.message_type", MESSAGING_ROCKETMQ_MESSAGE_TYPE),
    R("messaging.rocketmq.message_tag", MESSAGING_ROCKETMQ_MESSAGE_TAG),
    R("messaging.rocketmq.message_keys", MESSAGING_ROCKETMQ_MESSAGE_KEYS),
    /* RPC (schema 1.39) */
    RX("rpc.system", RPC_SYSTEM_NAME, X_RPC_SYSTEM),
    R("rpc.connect_rpc.error_code", RPC_RESPONSE_STATUS_CODE),
    R("rpc.jsonrpc.request_id", JSONRPC_REQUEST_ID),
    R("rpc.jsonrpc.version", JSONRPC_PROTOCOL_VERSION),
};

#define N_RULES ((int)OL_ARRAY_LEN(rules))
_Static_assert(OL_ARRAY_LEN(rules) < 0x7fff, "rule ids are int16_t");

/* ---- value maps ---- */

typedef struct ol_sc_value {
    const char *from, *to;
} ol_sc_value_t;

/* db.system -> db.system.name (registry: the deprecated values' notes and
 * the db.system.name members; values not listed keep their name). */
static const ol_sc_value_t db_system_values[] = {
    {"adabas", "softwareag.adabas"},
    {"cache", "intersystems.cache"},
    {"cloudscape", "other_sql"},
    {"cosmosdb", "azure.cosmosdb"},
    {"db2", "ibm.db2"},
    {"dynamodb", "aws.dynamodb"},
    {"firebird", "firebirdsql"},
    {"firstsql", "other_sql"},
    {"h2", "h2database"},
    {"hanadb", "sap.hana"},
    {"informix", "ibm.informix"},
    {"ingres", "actian.ingres"},
    {"intersystems_cache", "intersystems.cache"},
    {"maxdb", "sap.maxdb"},
    {"mssql", "microsoft.sql_server"},
    {"mssqlcompact", "other_sql"},
    {"netezza", "ibm.netezza"},
    {"oracle", "oracle.db"},
    {"redshift", "aws.redshift"},
    {"spanner", "gcp.spanner"},
    {NULL, NULL},
};

static const ol_sc_value_t rpc_system_values[] = {
    {"apache_dubbo", "dubbo"},
    {"connect_rpc", "connectrpc"},
    {NULL, NULL},
};

static const ol_sc_value_t transport_values[] = {
    {"ip_tcp", "tcp"},
    {"ip_udp", "udp"},
    {NULL, NULL},
};

static const ol_sc_value_t msg_operation_values[] = {
    {"publish", "send"},
    {"deliver", "process"},
    {NULL, NULL},
};

static ol_slice_t map_value(const ol_sc_value_t *t, ol_slice_t v)
{
    for (; t->from; t++)
        if (ol_slice_eq_cstr(v, t->from)) return ol_slice_cstr(t->to);
    return v;
}

/* ---- lookup ---- */

typedef struct ol_sc_entry {
    ol_slice_t name;
    ol_semconv_name_t what;
} ol_sc_entry_t;

#define OL_SC_SLOTS 1024
_Static_assert(S__COUNT + OL_ARRAY_LEN(rules) <= OL_SC_SLOTS / 2, "raise OL_SC_SLOTS");

static ol_sc_entry_t g_index[S__COUNT + OL_ARRAY_LEN(rules)];
static size_t g_n_index;
static int16_t g_slots[OL_SC_SLOTS]; /* index into g_index + 1; 0 = empty */
static uint64_t g_len_mask[256];     /* bit (len & 63) for names that start with that byte */
static uint64_t g_dep_mask[256];     /* the same for deprecated names only */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t g_renamed;

static uint32_t name_hash(ol_slice_t s)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < s.len; i++) h = (h ^ s.ptr[i]) * 0x100000001b3ull;
    return (uint32_t)(h ^ (h >> 29));
}

static void index_add(ol_slice_t name, int stable, int deprecated)
{
    size_t i = g_n_index++;
    ol_sc_entry_t *e = &g_index[i];
    e->name = name;
    e->what.stable = (int16_t)stable;
    e->what.deprecated = (int16_t)deprecated;
    g_len_mask[name.ptr[0]] |= 1ull << (name.len & 63);
    if (deprecated >= 0) g_dep_mask[name.ptr[0]] |= 1ull << (name.len & 63);
    uint32_t j = name_hash(name) & (OL_SC_SLOTS - 1);
    for (; g_slots[j]; j = (j + 1) & (OL_SC_SLOTS - 1))
        if (OL_NEVER(ol_slice_eq(g_index[g_slots[j] - 1].name, name))) return; /* a name listed twice */
    g_slots[j] = (int16_t)(i + 1);
}

static void index_build(void)
{
    for (int i = 0; i < S__COUNT; i++) index_add(stable_names[i], i, -1);
    for (int i = 0; i < N_RULES; i++) index_add(ol_slice_cstr(rules[i].key), -1, i);
}

ol_semconv_name_t ol_semconv_name(ol_slice_t key)
{
    ol_semconv_name_t none = {-1, -1};
    if (!key.len) return none;
    pthread_once(&g_once, index_build);
    if (!((g_len_mask[key.ptr[0]] >> (key.len & 63)) & 1)) return none;
    for (uint32_t j = name_hash(key) & (OL_SC_SLOTS - 1); g_slots[j]; j = (j + 1) & (OL_SC_SLOTS - 1)) {
        const ol_sc_entry_t *e = &g_index[g_slots[j] - 1];
        if (ol_slice_eq(e->name, key)) return e->what;
    }
    return none;
}

int ol_semconv_deprecated(ol_slice_t key)
{
    if (!key.len) return -1;
    pthread_once(&g_once, index_build);
    if (!((g_dep_mask[key.ptr[0]] >> (key.len & 63)) & 1)) return -1;
    return ol_semconv_name(key).deprecated;
}

bool ol_semconv_key_affected(ol_slice_t key)
{
    ol_semconv_name_t n = ol_semconv_name(key);
    return n.stable >= 0 || n.deprecated >= 0;
}

ol_slice_t ol_semconv_stable_key(int stable)
{
    return stable >= 0 && stable < S__COUNT ? stable_names[stable] : OL_SLICE_LIT("");
}

static int rule_to(const ol_sc_rule_t *r, int32_t span_kind)
{
    return r->to_server != S_NONE && span_kind == OL_SEMCONV_KIND_SERVER ? r->to_server : r->to;
}

bool ol_semconv_sided(int deprecated)
{
    return deprecated >= 0 && deprecated < N_RULES && rules[deprecated].to_server != S_NONE;
}

bool ol_semconv_fills(int deprecated, int32_t span_kind, ol_slice_t key)
{
    if (deprecated < 0 || deprecated >= N_RULES) return false;
    const ol_sc_rule_t *r = &rules[deprecated];
    if (ol_slice_eq(stable_names[rule_to(r, span_kind)], key)) return true;
    return r->to2 != S_NONE && ol_slice_eq(stable_names[r->to2], key);
}

/* ---- one list ---- */

void ol_semconv_begin(ol_semconv_state_t *st)
{
    memset(st->seen, 0, sizeof st->seen);
    memset(st->set, 0, sizeof st->set);
    st->fed = 0;
}

void ol_semconv_seen(ol_semconv_state_t *st, int stable)
{
    if (stable >= 0 && stable < S__COUNT) st->seen[stable / 64] |= 1ull << (stable % 64);
}

static void fill(ol_semconv_state_t *st, int t, ol_slice_t v, uint16_t prio)
{
    uint64_t bit = 1ull << (t % 64);
    if ((st->set[t / 64] & bit) && st->prio[t] <= prio) return;
    st->set[t / 64] |= bit;
    st->prio[t] = prio;
    st->value[t] = v;
}

static ol_slice_t flavor_name(ol_slice_t v)
{
    if (ol_slice_eq_nocase_cstr(v, "SPDY")) return OL_SLICE_LIT("spdy");
    if (ol_slice_eq_nocase_cstr(v, "QUIC")) return OL_SLICE_LIT("quic");
    return v;
}

void ol_semconv_feed(ol_semconv_state_t *st, int deprecated, ol_slice_t value, int32_t span_kind)
{
    if (deprecated < 0 || deprecated >= N_RULES) return;
    const ol_sc_rule_t *r = &rules[deprecated];
    uint16_t prio = (uint16_t)deprecated;
    int to = rule_to(r, span_kind);
    st->fed++;
    atomic_fetch_add_explicit(&g_renamed, 1, memory_order_relaxed);
    switch (r->xform) {
    case X_SPLIT_TARGET: {
        const uint8_t *q = value.len ? memchr(value.ptr, '?', value.len) : NULL;
        size_t path = q ? (size_t)(q - value.ptr) : value.len;
        fill(st, to, ol_slice(value.ptr, path), prio);
        if (q) fill(st, r->to2, ol_slice(q + 1, value.len - path - 1), prio);
        break;
    }
    case X_SPLIT_FLAVOR:
        if (value.len && value.ptr[0] >= '0' && value.ptr[0] <= '9') {
            fill(st, to, OL_SLICE_LIT("http"), prio);
            fill(st, r->to2, value, prio);
        } else {
            fill(st, to, flavor_name(value), prio);
        }
        break;
    case X_DB_SYSTEM: fill(st, to, map_value(db_system_values, value), prio); break;
    case X_RPC_SYSTEM: fill(st, to, map_value(rpc_system_values, value), prio); break;
    case X_TRANSPORT: fill(st, to, map_value(transport_values, value), prio); break;
    case X_MSG_OPERATION: fill(st, to, map_value(msg_operation_values, value), prio); break;
    default: fill(st, to, value, prio); break;
    }
}

bool ol_semconv_next(ol_semconv_state_t *st, uint32_t *iter, ol_slice_t *key, ol_slice_t *value)
{
    for (uint32_t w = *iter / 64; w < OL_SEMCONV_MAX_STABLE / 64; w++) {
        uint64_t m = st->set[w] & ~st->seen[w];
        if (w == *iter / 64) m &= ~0ull << (*iter % 64);
        if (!m) continue;
        uint32_t t = w * 64 + (uint32_t)__builtin_ctzll(m);
        *key = stable_names[t];
        *value = st->value[t];
        *iter = t + 1;
        return true;
    }
    *iter = OL_SEMCONV_MAX_STABLE;
    return false;
}

/* ---- single lookups ---- */

typedef struct ol_sc_get {
    ol_slice_t key;
    int32_t kind;
    bool deprecated_key;
    ol_slice_t own;      /* the list's own first `key` (AnyValue) */
    bool has_own;
    int best;            /* the winning deprecated rule, or -1 */
    ol_slice_t best_value;
} ol_sc_get_t;

static int get_cb(void *ud, ol_slice_t key, ol_slice_t any_value)
{
    ol_sc_get_t *g = ud;
    if (g->has_own) return OL_OK;
    if (ol_slice_eq(key, g->key)) {
        g->own = any_value;
        g->has_own = true;
        return OL_OK;
    }
    ol_semconv_name_t n = ol_semconv_name(key);
    if (n.deprecated >= 0 && (g->best < 0 || n.deprecated < g->best) &&
        ol_semconv_fills(n.deprecated, g->kind, g->key)) {
        g->best = n.deprecated;
        g->best_value = any_value;
    }
    return OL_OK;
}

bool ol_semconv_get(ol_slice_t msg, uint32_t field, int32_t span_kind, ol_slice_t key, ol_buf_t *out)
{
    ol_semconv_name_t n = ol_semconv_name(key);
    if (n.deprecated >= 0) return false;
    ol_sc_get_t g = {.key = key, .kind = span_kind, .best = -1};
    ol_otlp_each_attribute(msg, field, get_cb, &g);
    if (g.has_own) {
        ol_otlp_anyvalue_text(g.own, out);
        return true;
    }
    if (g.best < 0 || n.stable < 0) return false;
    ol_buf_t text;
    ol_buf_init(&text, OL_MEM_QUERY, 0);
    ol_otlp_anyvalue_text(g.best_value, &text);
    ol_semconv_state_t st;
    ol_semconv_begin(&st);
    ol_semconv_feed(&st, g.best, ol_buf_slice(&text), span_kind);
    bool found = (st.set[n.stable / 64] >> (n.stable % 64)) & 1;
    if (found) ol_buf_append_slice(out, st.value[n.stable]);
    ol_buf_free(&text);
    return found;
}

void ol_semconv_metrics_text(ol_buf_t *out)
{
    ol_buf_printf(out,
                  "# HELP olly_semconv_renamed_attributes_total Deprecated attributes resolved to stable names "
                  "while reading.\n# TYPE olly_semconv_renamed_attributes_total counter\n"
                  "olly_semconv_renamed_attributes_total %llu\n",
                  (unsigned long long)atomic_load_explicit(&g_renamed, memory_order_relaxed));
}
