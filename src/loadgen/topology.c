/*
 * topology.c - the built-in topology (after the OpenTelemetry demo), its
 * widening with generic services, and validation.
 *
 * The default is two static tables indexed by enums, so a call edge reads as
 * {OP_CART_GET, ...} rather than a bare number. ol_topo_create_default()
 * copies them into an arena, derives the span names, adds generic services
 * when asked, and validates the result, so a mistake in the tables fails
 * loudly at start-up instead of producing odd traces.
 *
 * The demo topology (ol_topo_create_demo) is the default plus a third pair
 * of tables for what only `olly demo` simulates (product reviews answered by
 * a language model); they extend the same enums, so the default tables and
 * everything `olly loadgen` generates from them stay as they were.
 */
#include "loadgen/topology.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/alloc.h"

enum {
    SVC_FRONTEND,
    SVC_CHECKOUT,
    SVC_CART,
    SVC_PRODUCT,
    SVC_CURRENCY,
    SVC_PAYMENT,
    SVC_SHIPPING,
    SVC_EMAIL,
    SVC_RECOMMEND,
    SVC_AD,
    SVC_ACCOUNTING,
    SVC_FRAUD,
    SVC_POSTGRES,
    SVC_VALKEY,
    SVC_KAFKA,
    SVC__COUNT
};

static const ol_topo_service_t ol_topo_default_svcs[SVC__COUNT] = {
    [SVC_FRONTEND] = {"frontend", "2.0.2", "nodejs", "nodejs", "22.14.0", NULL, 8080, OL_TOPO_SVC_APP, 3},
    [SVC_CHECKOUT] = {"checkout", "2.0.2", "go", "go", "go1.24.1", NULL, 5050, OL_TOPO_SVC_APP, 2},
    [SVC_CART] = {"cart", "2.0.2", "dotnet", ".NET", "8.0.14", NULL, 7070, OL_TOPO_SVC_APP, 2},
    [SVC_PRODUCT] = {"product-catalog", "2.0.2", "go", "go", "go1.24.1", NULL, 3550, OL_TOPO_SVC_APP, 3},
    [SVC_CURRENCY] = {"currency", "2.0.2", "cpp", "cpp", "13.2.0", NULL, 7001, OL_TOPO_SVC_APP, 2},
    [SVC_PAYMENT] = {"payment", "2.0.2", "nodejs", "nodejs", "22.14.0", NULL, 50051, OL_TOPO_SVC_APP, 2},
    [SVC_SHIPPING] = {"shipping", "2.0.2", "rust", "rustc", "1.85.0", NULL, 50050, OL_TOPO_SVC_APP, 1},
    [SVC_EMAIL] = {"email", "2.0.2", "ruby", "ruby", "3.4.2", NULL, 6060, OL_TOPO_SVC_APP, 1},
    [SVC_RECOMMEND] = {"recommendation", "2.0.2", "python", "cpython", "3.12.9", NULL, 9001, OL_TOPO_SVC_APP, 2},
    [SVC_AD] = {"ad", "2.0.2", "java", "OpenJDK Runtime Environment", "21.0.6+7-LTS", NULL, 9555,
                OL_TOPO_SVC_APP, 2},
    [SVC_ACCOUNTING] = {"accounting", "2.0.2", "dotnet", ".NET", "8.0.14", NULL, 0, OL_TOPO_SVC_APP, 1},
    [SVC_FRAUD] = {"fraud-detection", "2.0.2", "java", "OpenJDK Runtime Environment", "21.0.6+7-LTS", NULL, 0,
                   OL_TOPO_SVC_APP, 1},
    [SVC_POSTGRES] = {"postgresql", "17.4", NULL, NULL, NULL, "postgresql", 5432, OL_TOPO_SVC_DB, 1},
    [SVC_VALKEY] = {"valkey-cart", "8.1", NULL, NULL, NULL, "redis", 6379, OL_TOPO_SVC_CACHE, 1},
    [SVC_KAFKA] = {"kafka", "3.9", NULL, NULL, NULL, "kafka", 9092, OL_TOPO_SVC_QUEUE, 1},
};

enum {
    OP_FE_HOME,
    OP_FE_PRODUCT,
    OP_FE_CART,
    OP_FE_CART_ADD,
    OP_FE_CHECKOUT,
    OP_FE_RECS,
    OP_FE_ADS,
    OP_FE_CURRENCY,
    OP_CO_PLACE,
    OP_CO_PREPARE,
    OP_CART_GET,
    OP_CART_ADD,
    OP_CART_EMPTY,
    OP_PC_LIST,
    OP_PC_GET,
    OP_CUR_SUPPORTED,
    OP_CUR_CONVERT,
    OP_PAY_CHARGE,
    OP_PAY_VALIDATE,
    OP_SHIP_QUOTE,
    OP_SHIP_CALC,
    OP_SHIP_ORDER,
    OP_EMAIL_SEND,
    OP_EMAIL_RENDER,
    OP_REC_LIST,
    OP_REC_FETCH,
    OP_AD_GET,
    OP_AD_PICK,
    OP_ACC_CONSUME,
    OP_FRAUD_CONSUME,
    OP_FRAUD_CHECK,
    OP_PG_LIST,
    OP_PG_GET,
    OP_PG_INSERT,
    OP_VK_HGET,
    OP_VK_HSET,
    OP_VK_EXPIRE,
    OP_VK_DEL,
    OP_KAFKA_ORDERS,
    OP__COUNT
};

#define CALL(o) {o, 1, 1, 0, 1.0f}
#define CALLP(o, p) {o, 1, 1, 0, p}
#define FAN(o, lo, hi, par) {o, lo, hi, par, 1.0f}
#define HTTP(svc, m, route) .service = svc, .kind = OL_TOPO_OP_HTTP, .method = m, .path = route
#define GRPC(svc, rpc_service, rpc_method) \
    .service = svc, .kind = OL_TOPO_OP_GRPC, .method = rpc_method, .path = rpc_service
#define INTERNAL(svc, op_name) .service = svc, .kind = OL_TOPO_OP_INTERNAL, .name = op_name
#define DB(svc, op, table, text) .service = svc, .kind = OL_TOPO_OP_DB, .method = op, .path = table, .query = text
#define CACHE(svc, cmd, text) .service = svc, .kind = OL_TOPO_OP_CACHE, .method = cmd, .query = text
#define QUEUE(svc, k, topic) .service = svc, .kind = k, .path = topic
/* Self time: log-normal median (ms) and shape, and the probability the op itself fails. */
#define LAT(median, shape, err) .median_ms = median, .sigma = shape, .error_rate = err

#define PG_PRODUCT_COLUMNS "id, name, description, picture, price_currency_code, price_units, price_nanos, categories"

/* n_calls is derived when the table is copied: calls end at the first empty entry. */
static const ol_topo_op_t ol_topo_default_ops[OP__COUNT] = {
    [OP_FE_HOME] = {HTTP(SVC_FRONTEND, "GET", "/"), LAT(2.5f, 0.5f, 0.001f),
                    .calls = {CALL(OP_CUR_SUPPORTED), CALL(OP_PC_LIST), CALL(OP_CART_GET), CALLP(OP_REC_LIST, 0.6f),
                              CALLP(OP_AD_GET, 0.8f)}},
    [OP_FE_PRODUCT] = {HTTP(SVC_FRONTEND, "GET", "/api/products/{productId}"), LAT(1.5f, 0.5f, 0.001f),
                       .calls = {CALL(OP_PC_GET), CALL(OP_CUR_CONVERT), CALLP(OP_REC_LIST, 0.7f),
                                 CALLP(OP_AD_GET, 0.7f)}},
    [OP_FE_CART] = {HTTP(SVC_FRONTEND, "GET", "/api/cart"), LAT(1.5f, 0.5f, 0.001f),
                    .calls = {CALL(OP_CART_GET), FAN(OP_PC_GET, 1, 4, 1), FAN(OP_CUR_CONVERT, 1, 4, 1),
                              CALLP(OP_SHIP_QUOTE, 0.4f)}},
    [OP_FE_CART_ADD] = {HTTP(SVC_FRONTEND, "POST", "/api/cart"), LAT(1.2f, 0.5f, 0.001f),
                        .calls = {CALL(OP_PC_GET), CALL(OP_CART_ADD)}},
    [OP_FE_CHECKOUT] = {HTTP(SVC_FRONTEND, "POST", "/api/checkout"), LAT(2.0f, 0.5f, 0.002f),
                        .calls = {CALL(OP_CO_PLACE)}},
    [OP_FE_RECS] = {HTTP(SVC_FRONTEND, "GET", "/api/recommendations"), LAT(1.0f, 0.5f, 0.001f),
                    .calls = {CALL(OP_REC_LIST), FAN(OP_PC_GET, 1, 4, 1)}},
    [OP_FE_ADS] = {HTTP(SVC_FRONTEND, "GET", "/api/data"), LAT(0.8f, 0.5f, 0.001f), .calls = {CALL(OP_AD_GET)}},
    [OP_FE_CURRENCY] = {HTTP(SVC_FRONTEND, "GET", "/api/currency"), LAT(0.6f, 0.4f, 0.001f),
                        .calls = {CALL(OP_CUR_SUPPORTED)}},
    [OP_CO_PLACE] = {GRPC(SVC_CHECKOUT, "oteldemo.CheckoutService", "PlaceOrder"), LAT(1.5f, 0.5f, 0.002f),
                     .error_message = "failed to charge card", .event = "order placed",
                     .calls = {CALL(OP_CO_PREPARE), CALL(OP_CUR_CONVERT), CALL(OP_PAY_CHARGE), CALL(OP_SHIP_ORDER),
                               CALL(OP_CART_EMPTY), CALL(OP_EMAIL_SEND), CALL(OP_KAFKA_ORDERS)}},
    [OP_CO_PREPARE] = {INTERNAL(SVC_CHECKOUT, "prepareOrderItemsAndShippingQuotes"), LAT(0.2f, 0.5f, 0.0f),
                       .event = "prepared order items and shipping quotes",
                       .calls = {CALL(OP_CART_GET), FAN(OP_PC_GET, 1, 5, 0), FAN(OP_CUR_CONVERT, 1, 5, 0),
                                 CALL(OP_SHIP_QUOTE)}},
    [OP_CART_GET] = {GRPC(SVC_CART, "oteldemo.CartService", "GetCart"), LAT(0.3f, 0.5f, 0.003f),
                     .error_message = "Can't access cart storage. "
                                      "System.ApplicationException: Wasn't able to connect to redis",
                     .calls = {CALL(OP_VK_HGET)}},
    [OP_CART_ADD] = {GRPC(SVC_CART, "oteldemo.CartService", "AddItem"), LAT(0.3f, 0.5f, 0.003f),
                     .event = "Adding item to cart",
                     .calls = {CALL(OP_VK_HGET), CALL(OP_VK_HSET), CALL(OP_VK_EXPIRE)}},
    [OP_CART_EMPTY] = {GRPC(SVC_CART, "oteldemo.CartService", "EmptyCart"), LAT(0.3f, 0.5f, 0.002f),
                       .calls = {CALL(OP_VK_DEL), CALL(OP_VK_EXPIRE)}},
    [OP_PC_LIST] = {GRPC(SVC_PRODUCT, "oteldemo.ProductCatalogService", "ListProducts"), LAT(0.2f, 0.5f, 0.001f),
                    .calls = {CALLP(OP_PG_LIST, 0.5f)}},
    [OP_PC_GET] = {GRPC(SVC_PRODUCT, "oteldemo.ProductCatalogService", "GetProduct"), LAT(0.15f, 0.5f, 0.005f),
                   .error_message = "Error: Product Catalog Fail Feature Flag Enabled",
                   .calls = {CALLP(OP_PG_GET, 0.3f)}},
    [OP_CUR_SUPPORTED] = {GRPC(SVC_CURRENCY, "oteldemo.CurrencyService", "GetSupportedCurrencies"),
                          LAT(0.1f, 0.4f, 0.0005f)},
    [OP_CUR_CONVERT] = {GRPC(SVC_CURRENCY, "oteldemo.CurrencyService", "Convert"), LAT(0.1f, 0.4f, 0.0005f)},
    [OP_PAY_CHARGE] = {GRPC(SVC_PAYMENT, "oteldemo.PaymentService", "Charge"), LAT(0.8f, 0.6f, 0.02f),
                       .error_message = "Payment request failed. Invalid token. app.loyalty.level=gold",
                       .calls = {CALL(OP_PAY_VALIDATE)}},
    [OP_PAY_VALIDATE] = {INTERNAL(SVC_PAYMENT, "charge"), LAT(0.4f, 0.5f, 0.0f), .event = "Charge request received."},
    [OP_SHIP_QUOTE] = {HTTP(SVC_SHIPPING, "POST", "/get-quote"), LAT(0.3f, 0.5f, 0.001f),
                       .calls = {CALL(OP_SHIP_CALC)}},
    [OP_SHIP_CALC] = {INTERNAL(SVC_SHIPPING, "calculate-quote"), LAT(0.2f, 0.5f, 0.0f), .event = "Received quote"},
    [OP_SHIP_ORDER] = {HTTP(SVC_SHIPPING, "POST", "/ship-order"), LAT(0.4f, 0.5f, 0.001f)},
    [OP_EMAIL_SEND] = {HTTP(SVC_EMAIL, "POST", "/send_order_confirmation"), LAT(2.0f, 0.6f, 0.005f),
                       .error_message = "SMTP connection timed out", .calls = {CALL(OP_EMAIL_RENDER)}},
    [OP_EMAIL_RENDER] = {INTERNAL(SVC_EMAIL, "render_order_confirmation"), LAT(1.0f, 0.5f, 0.0f),
                         .event = "Order confirmation email rendered"},
    [OP_REC_LIST] = {GRPC(SVC_RECOMMEND, "oteldemo.RecommendationService", "ListRecommendations"),
                     LAT(0.8f, 0.5f, 0.002f), .calls = {CALL(OP_REC_FETCH)}},
    [OP_REC_FETCH] = {INTERNAL(SVC_RECOMMEND, "get_product_list"), LAT(0.3f, 0.5f, 0.0f),
                      .event = "Receive ListRecommendations", .calls = {CALL(OP_PC_LIST)}},
    [OP_AD_GET] = {GRPC(SVC_AD, "oteldemo.AdService", "GetAds"), LAT(0.5f, 0.6f, 0.003f),
                   .error_message = "Resource exhausted: ad cache full", .calls = {CALL(OP_AD_PICK)}},
    [OP_AD_PICK] = {INTERNAL(SVC_AD, "getAdsByCategory"), LAT(0.2f, 0.5f, 0.0f),
                    .event = "Targeted ad request received"},
    [OP_ACC_CONSUME] = {QUEUE(SVC_ACCOUNTING, OL_TOPO_OP_CONSUME, "orders"), LAT(0.5f, 0.5f, 0.001f),
                        .event = "Order details persisted", .calls = {CALL(OP_PG_INSERT)}},
    [OP_FRAUD_CONSUME] = {QUEUE(SVC_FRAUD, OL_TOPO_OP_CONSUME, "orders"), LAT(0.3f, 0.5f, 0.001f),
                          .calls = {CALL(OP_FRAUD_CHECK)}},
    [OP_FRAUD_CHECK] = {INTERNAL(SVC_FRAUD, "checkOrderForFraud"), LAT(0.6f, 0.5f, 0.0f), .event = "Consumed record"},
    [OP_PG_LIST] = {DB(SVC_POSTGRES, "SELECT", "products", "SELECT " PG_PRODUCT_COLUMNS " FROM catalog.products"),
                    LAT(1.5f, 0.6f, 0.0005f)},
    [OP_PG_GET] = {DB(SVC_POSTGRES, "SELECT", "products",
                      "SELECT " PG_PRODUCT_COLUMNS " FROM catalog.products WHERE id = $1"),
                   LAT(0.6f, 0.6f, 0.0005f)},
    [OP_PG_INSERT] = {DB(SVC_POSTGRES, "INSERT", "orders",
                         "INSERT INTO accounting.orders (order_id, user_id, total_units, total_nanos, currency_code, "
                         "shipping_tracking_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, now())"),
                      LAT(1.2f, 0.7f, 0.001f), .error_message = "deadlock detected"},
    [OP_VK_HGET] = {CACHE(SVC_VALKEY, "HGET", "HGET ? ?"), LAT(0.15f, 0.4f, 0.0005f)},
    [OP_VK_HSET] = {CACHE(SVC_VALKEY, "HSET", "HSET ? ? ?"), LAT(0.15f, 0.4f, 0.0005f)},
    [OP_VK_EXPIRE] = {CACHE(SVC_VALKEY, "EXPIRE", "EXPIRE ? ?"), LAT(0.1f, 0.4f, 0.0f)},
    [OP_VK_DEL] = {CACHE(SVC_VALKEY, "DEL", "DEL ?"), LAT(0.1f, 0.4f, 0.0f)},
    [OP_KAFKA_ORDERS] = {QUEUE(SVC_KAFKA, OL_TOPO_OP_PRODUCE, "orders"), LAT(0.4f, 0.5f, 0.001f),
                         .calls = {CALL(OP_ACC_CONSUME), CALL(OP_FRAUD_CONSUME)}},
};

/* ---- what only the demo adds ---- */

enum { SVC_REVIEWS = SVC__COUNT, SVC_LLM, SVC__DEMO };
enum { OP_FE_REVIEWS = OP__COUNT, OP_FE_ASK, OP_PR_GET, OP_PR_ASK, OP_PG_REVIEWS, OP_LLM_CHAT, OP__DEMO };

static const ol_topo_service_t ol_topo_demo_svcs[SVC__DEMO - SVC__COUNT] = {
    [SVC_REVIEWS - SVC__COUNT] = {"product-reviews", "2.0.2", "python", "cpython", "3.12.9", NULL, 3551,
                                  OL_TOPO_SVC_APP, 2},
    [SVC_LLM - SVC__COUNT] = {"openai", "v1", NULL, NULL, NULL, "openai", 443, OL_TOPO_SVC_EXTERNAL, 1},
};

#define GENAI(svc, operation, model, response_model) \
    .service = svc, .kind = OL_TOPO_OP_GENAI, .method = operation, .path = model, .query = response_model

static const ol_topo_op_t ol_topo_demo_ops[OP__DEMO - OP__COUNT] = {
    [OP_FE_REVIEWS - OP__COUNT] = {HTTP(SVC_FRONTEND, "GET", "/api/product-reviews/{productId}"),
                                   LAT(1.2f, 0.5f, 0.001f), .calls = {CALL(OP_PR_GET)}},
    [OP_FE_ASK - OP__COUNT] = {HTTP(SVC_FRONTEND, "POST", "/api/product-ask-ai-assistant/{productId}"),
                               LAT(1.5f, 0.5f, 0.002f), .calls = {CALL(OP_PR_ASK)}},
    [OP_PR_GET - OP__COUNT] = {GRPC(SVC_REVIEWS, "oteldemo.ProductReviewService", "GetProductReviews"),
                               LAT(0.6f, 0.5f, 0.002f), .calls = {CALL(OP_PG_REVIEWS)}},
    /* The model first asks for the reviews (a tool call), the service fetches them, the model answers. */
    [OP_PR_ASK - OP__COUNT] = {GRPC(SVC_REVIEWS, "oteldemo.ProductReviewService", "AskProductAIAssistant"),
                               LAT(2.0f, 0.5f, 0.003f), .event = "Answering question about product",
                               .error_message = "Failed to get a response from the AI assistant",
                               .calls = {CALL(OP_LLM_CHAT), CALL(OP_PG_REVIEWS), CALLP(OP_LLM_CHAT, 0.95f)}},
    [OP_PG_REVIEWS - OP__COUNT] = {DB(SVC_POSTGRES, "SELECT", "productreviews",
                                      "SELECT username, description, score FROM reviews.productreviews "
                                      "WHERE product_id = $1"),
                                   LAT(0.8f, 0.6f, 0.0005f)},
    [OP_LLM_CHAT - OP__COUNT] = {GENAI(SVC_LLM, "chat", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
                                 LAT(350.0f, 0.35f, 0.004f), .error_message = "Rate limit reached for gpt-4o-mini"},
};

static const ol_topo_root_t ol_topo_demo_roots[] = {{OP_FE_REVIEWS, 6}, {OP_FE_ASK, 2}};

static const ol_topo_root_t ol_topo_default_roots[] = {
    {OP_FE_HOME, 15}, {OP_FE_PRODUCT, 30}, {OP_FE_CART, 12}, {OP_FE_CART_ADD, 10}, {OP_FE_CHECKOUT, 5},
    {OP_FE_RECS, 10}, {OP_FE_ADS, 10},     {OP_FE_CURRENCY, 8},
};

/* Generic services come in chains of this length, each chain entered by one frontend route. */
#define OL_TOPO_CHAIN 4
#define OL_TOPO_MAX_SERVICES 4096

uint32_t ol_topo_default_services(void) { return SVC__COUNT; }

static const char *ol_topo_printf(ol_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *ol_topo_printf(ol_arena_t *a, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    size_t len = OL_MIN((size_t)n, sizeof tmp - 1);
    char *s = ol_arena_alloc(a, len + 1);
    if (!s) return NULL;
    memcpy(s, tmp, len);
    s[len] = 0;
    return s;
}

/* Span names as the semantic conventions spell them. */
static int ol_topo_name_ops(ol_topology_t *t)
{
    for (uint32_t i = 0; i < t->n_ops; i++) {
        ol_topo_op_t *o = &t->ops[i];
        const char *name = o->name, *client = o->client_name;
        switch ((ol_topo_op_kind_t)o->kind) {
        case OL_TOPO_OP_HTTP:
            if (!name) name = ol_topo_printf(t->arena, "%s %s", o->method, o->path);
            if (!client) client = o->method;
            break;
        case OL_TOPO_OP_GRPC:
            if (!name) name = ol_topo_printf(t->arena, "%s/%s", o->path, o->method);
            break;
        case OL_TOPO_OP_DB:
            if (!name) name = ol_topo_printf(t->arena, "%s %s", o->method, o->path);
            break;
        case OL_TOPO_OP_CACHE:
            if (!name) name = o->method;
            break;
        case OL_TOPO_OP_PRODUCE:
            if (!name) name = ol_topo_printf(t->arena, "publish %s", o->path);
            break;
        case OL_TOPO_OP_CONSUME:
            if (!name) name = ol_topo_printf(t->arena, "process %s", o->path);
            break;
        case OL_TOPO_OP_GENAI:
            if (!name) name = ol_topo_printf(t->arena, "%s %s", o->method, o->path);
            break;
        case OL_TOPO_OP_INTERNAL:
            break;
        }
        if (!name && o->kind != OL_TOPO_OP_INTERNAL) return OL_NOMEM;
        o->name = name;
        o->client_name = client ? client : name;
    }
    return OL_OK;
}

/* Generic service k: a gRPC method that reads the cache, sometimes the
 * database, and calls the next service of its chain. */
static int ol_topo_add_generic(ol_topology_t *t, uint32_t n_extra)
{
    static const char *const langs[][3] = {
        {"go", "go", "go1.24.1"}, {"java", "OpenJDK Runtime Environment", "21.0.6+7-LTS"},
        {"python", "cpython", "3.12.9"}, {"nodejs", "nodejs", "22.14.0"}, {"dotnet", ".NET", "8.0.14"}};
    uint32_t first_svc = t->n_services, first_op = t->n_ops;
    for (uint32_t k = 0; k < n_extra; k++) {
        ol_topo_service_t *s = &t->services[t->n_services++];
        const char *const *l = langs[k % OL_ARRAY_LEN(langs)];
        *s = (ol_topo_service_t){.name = ol_topo_printf(t->arena, "svc-%03u", k), .version = "1.4.0",
                                 .language = l[0], .runtime = l[1], .runtime_version = l[2],
                                 .port = (uint16_t)(9100 + k % 800), .kind = OL_TOPO_SVC_APP,
                                 .replicas = (uint8_t)(1 + k % 3)};
        ol_topo_op_t *o = &t->ops[t->n_ops++];
        *o = (ol_topo_op_t){.method = "Handle", .path = ol_topo_printf(t->arena, "olly.loadgen.Service%03u", k),
                            .service = (uint16_t)(first_svc + k), .kind = OL_TOPO_OP_GRPC,
                            .median_ms = 0.3f + 0.1f * (float)(k % 5), .sigma = 0.5f, .error_rate = 0.002f};
        if (!s->name || !o->path) return OL_NOMEM;
        o->calls[o->n_calls++] = (ol_topo_call_t)CALLP(OP_VK_HGET, 0.5f);
        o->calls[o->n_calls++] = (ol_topo_call_t)CALLP(OP_PG_GET, 0.3f);
        if ((k + 1) % OL_TOPO_CHAIN != 0 && k + 1 < n_extra)
            o->calls[o->n_calls++] = (ol_topo_call_t)CALL((uint16_t)(first_op + k + 1));
    }
    for (uint32_t k = 0; k < n_extra; k += OL_TOPO_CHAIN) {
        ol_topo_op_t *o = &t->ops[t->n_ops];
        *o = (ol_topo_op_t){.method = "GET", .path = ol_topo_printf(t->arena, "/api/ext/%u", k / OL_TOPO_CHAIN),
                            .service = SVC_FRONTEND, .kind = OL_TOPO_OP_HTTP, .median_ms = 1.0f, .sigma = 0.5f,
                            .error_rate = 0.001f, .n_calls = 1};
        if (!o->path) return OL_NOMEM;
        o->calls[0] = (ol_topo_call_t)CALL((uint16_t)(first_op + k));
        t->roots[t->n_roots++] = (ol_topo_root_t){(uint16_t)t->n_ops, 5};
        t->n_ops++;
    }
    return OL_OK;
}

/* Copies `n` ops from `src` to `dst`, counting their calls (a list ends at its first empty entry). */
static void ol_topo_copy_ops(ol_topo_op_t *dst, const ol_topo_op_t *src, uint32_t n)
{
    memcpy(dst, src, n * sizeof *src);
    for (uint32_t i = 0; i < n; i++)
        while (dst[i].n_calls < OL_TOPO_MAX_CALLS && dst[i].calls[dst[i].n_calls].p > 0) dst[i].n_calls++;
}

static int ol_topo_build(uint32_t n_extra, bool demo, ol_topology_t **out, ol_err_t *err)
{
    *out = NULL;
    uint32_t n_chains = (n_extra + OL_TOPO_CHAIN - 1) / OL_TOPO_CHAIN;
    uint32_t demo_svcs = demo ? SVC__DEMO - SVC__COUNT : 0, demo_ops = demo ? OP__DEMO - OP__COUNT : 0;
    uint32_t demo_roots = demo ? OL_ARRAY_LEN(ol_topo_demo_roots) : 0;
    ol_topology_t *t = ol_calloc(OL_MEM_CORE, 1, sizeof *t);
    if (!t) goto nomem;
    t->arena = ol_arena_create(16384, 0);
    if (!t->arena) goto nomem;
    t->services = ol_arena_calloc(t->arena, (SVC__COUNT + demo_svcs + n_extra) * sizeof *t->services);
    t->ops = ol_arena_calloc(t->arena, (OP__COUNT + demo_ops + n_extra + n_chains) * sizeof *t->ops);
    t->roots = ol_arena_calloc(t->arena,
                               (OL_ARRAY_LEN(ol_topo_default_roots) + demo_roots + n_chains) * sizeof *t->roots);
    if (!t->services || !t->ops || !t->roots) goto nomem;
    memcpy(t->services, ol_topo_default_svcs, sizeof ol_topo_default_svcs);
    ol_topo_copy_ops(t->ops, ol_topo_default_ops, OP__COUNT);
    memcpy(t->roots, ol_topo_default_roots, sizeof ol_topo_default_roots);
    t->n_services = SVC__COUNT;
    t->n_ops = OP__COUNT;
    t->n_roots = OL_ARRAY_LEN(ol_topo_default_roots);
    if (demo) {
        memcpy(t->services + SVC__COUNT, ol_topo_demo_svcs, sizeof ol_topo_demo_svcs);
        ol_topo_copy_ops(t->ops + OP__COUNT, ol_topo_demo_ops, demo_ops);
        memcpy(t->roots + t->n_roots, ol_topo_demo_roots, sizeof ol_topo_demo_roots);
        t->n_services += demo_svcs;
        t->n_ops += demo_ops;
        t->n_roots += demo_roots;
        ol_topo_op_t *product = &t->ops[OP_FE_PRODUCT];
        product->calls[product->n_calls++] = (ol_topo_call_t)CALLP(OP_PR_GET, 0.5f);
    }
    if (ol_topo_add_generic(t, n_extra) != OL_OK || ol_topo_name_ops(t) != OL_OK) goto nomem;
    for (uint32_t i = 0; i < t->n_roots; i++) t->total_weight += t->roots[i].weight;
    int rc = ol_topo_validate(t, err);
    if (rc != OL_OK) {
        ol_topo_destroy(t);
        return rc;
    }
    *out = t;
    return OL_OK;
nomem:
    ol_topo_destroy(t);
    ol_err_set(err, "out of memory building the topology");
    return OL_NOMEM;
}

int ol_topo_create_default(uint32_t n_services, ol_topology_t **out, ol_err_t *err)
{
    *out = NULL;
    if (n_services > OL_TOPO_MAX_SERVICES) {
        ol_err_set(err, "--services %u is more than the %u supported", n_services, OL_TOPO_MAX_SERVICES);
        return OL_LIMIT;
    }
    return ol_topo_build(n_services > SVC__COUNT ? n_services - SVC__COUNT : 0, false, out, err);
}

int ol_topo_create_demo(ol_topology_t **out, ol_err_t *err) { return ol_topo_build(0, true, out, err); }

void ol_topo_destroy(ol_topology_t *t)
{
    if (!t) return;
    if (t->arena) ol_arena_destroy(t->arena);
    ol_free(OL_MEM_CORE, t, sizeof *t);
}

int ol_topo_find_service(const ol_topology_t *t, const char *name)
{
    for (uint32_t i = 0; i < t->n_services; i++)
        if (strcmp(t->services[i].name, name) == 0) return (int)i;
    return -1;
}

int ol_topo_find_op(const ol_topology_t *t, const char *name)
{
    for (uint32_t i = 0; i < t->n_ops; i++)
        if (t->ops[i].name && strcmp(t->ops[i].name, name) == 0) return (int)i;
    return -1;
}

/* Depth-first search for a cycle: state 0 unvisited, 1 on the stack, 2 done.
 * Recursion depth is bounded by the number of ops (a few thousand). */
static int ol_topo_dfs(const ol_topology_t *t, uint32_t op, uint8_t *state, ol_err_t *err)
{
    if (state[op] == 2) return OL_OK;
    if (state[op] == 1) {
        ol_err_set(err, "topology: call graph has a cycle through operation %u (%s)", op, t->ops[op].name);
        return OL_CORRUPT;
    }
    state[op] = 1;
    for (uint32_t c = 0; c < t->ops[op].n_calls; c++)
        if (ol_topo_dfs(t, t->ops[op].calls[c].op, state, err) != OL_OK) return OL_CORRUPT;
    state[op] = 2;
    return OL_OK;
}

int ol_topo_validate(const ol_topology_t *t, ol_err_t *err)
{
    if (t->n_services == 0 || t->n_ops == 0 || t->n_roots == 0 || t->total_weight == 0) {
        ol_err_set(err, "topology: needs services, operations and weighted roots");
        return OL_CORRUPT;
    }
    for (uint32_t i = 0; i < t->n_services; i++) {
        const ol_topo_service_t *s = &t->services[i];
        if (!s->name || !s->version || s->kind > OL_TOPO_SVC_EXTERNAL || s->replicas == 0 ||
            (s->kind == OL_TOPO_SVC_APP && (!s->language || !s->runtime || !s->runtime_version)) ||
            (s->kind != OL_TOPO_SVC_APP && !s->system)) {
            ol_err_set(err, "topology: service %u (%s) is incomplete", i, s->name ? s->name : "?");
            return OL_CORRUPT;
        }
    }
    for (uint32_t i = 0; i < t->n_ops; i++) {
        const ol_topo_op_t *o = &t->ops[i];
        if (o->service >= t->n_services || o->kind > OL_TOPO_OP_GENAI || !o->name || o->n_calls > OL_TOPO_MAX_CALLS ||
            !(o->median_ms > 0) || o->sigma < 0 || o->error_rate < 0 || o->error_rate > 1) {
            ol_err_set(err, "topology: operation %u (%s) is malformed", i, o->name ? o->name : "?");
            return OL_CORRUPT;
        }
        uint8_t sk = t->services[o->service].kind;
        uint8_t want = o->kind == OL_TOPO_OP_DB ? OL_TOPO_SVC_DB
                       : o->kind == OL_TOPO_OP_CACHE ? OL_TOPO_SVC_CACHE
                       : o->kind == OL_TOPO_OP_PRODUCE ? OL_TOPO_SVC_QUEUE
                       : o->kind == OL_TOPO_OP_GENAI   ? OL_TOPO_SVC_EXTERNAL
                                                       : OL_TOPO_SVC_APP;
        if (sk != want ||
            ((o->kind == OL_TOPO_OP_HTTP || o->kind == OL_TOPO_OP_GRPC) && (!o->method || !o->path)) ||
            ((o->kind == OL_TOPO_OP_DB || o->kind == OL_TOPO_OP_CACHE) && (!o->method || !o->query)) ||
            (o->kind == OL_TOPO_OP_GENAI && (!o->method || !o->path)) ||
            ((o->kind == OL_TOPO_OP_PRODUCE || o->kind == OL_TOPO_OP_CONSUME) && !o->path)) {
            ol_err_set(err, "topology: operation %u (%s) does not fit its service %s", i, o->name,
                       t->services[o->service].name);
            return OL_CORRUPT;
        }
        if ((o->kind == OL_TOPO_OP_DB || o->kind == OL_TOPO_OP_CACHE || o->kind == OL_TOPO_OP_GENAI) && o->n_calls) {
            ol_err_set(err, "topology: operation %u (%s) is a client call and cannot call further", i, o->name);
            return OL_CORRUPT;
        }
        for (uint32_t c = 0; c < o->n_calls; c++) {
            const ol_topo_call_t *call = &o->calls[c];
            if (call->op >= t->n_ops || call->min > call->max || call->max == 0 || !(call->p > 0) || call->p > 1) {
                ol_err_set(err, "topology: operation %u (%s) call %u is malformed", i, o->name, c);
                return OL_CORRUPT;
            }
            const ol_topo_op_t *callee = &t->ops[call->op];
            bool to_consume = callee->kind == OL_TOPO_OP_CONSUME;
            if (to_consume != (o->kind == OL_TOPO_OP_PRODUCE) ||
                (callee->kind == OL_TOPO_OP_INTERNAL && callee->service != o->service)) {
                ol_err_set(err, "topology: operation %u (%s) may not call %s", i, o->name, callee->name);
                return OL_CORRUPT;
            }
        }
    }
    for (uint32_t r = 0; r < t->n_roots; r++) {
        if (t->roots[r].op >= t->n_ops) {
            ol_err_set(err, "topology: root %u is out of range", r);
            return OL_CORRUPT;
        }
        uint8_t k = t->ops[t->roots[r].op].kind;
        if (k != OL_TOPO_OP_HTTP && k != OL_TOPO_OP_GRPC && k != OL_TOPO_OP_CONSUME) {
            ol_err_set(err, "topology: root %u (%s) must be a server or consumer operation", r,
                       t->ops[t->roots[r].op].name);
            return OL_CORRUPT;
        }
    }
    uint8_t *state = ol_calloc(OL_MEM_CORE, t->n_ops, 1);
    if (!state) {
        ol_err_set(err, "out of memory validating the topology");
        return OL_NOMEM;
    }
    int rc = OL_OK;
    for (uint32_t i = 0; i < t->n_ops && rc == OL_OK; i++) rc = ol_topo_dfs(t, i, state, err);
    ol_free(OL_MEM_CORE, state, t->n_ops);
    return rc;
}
