/*
 * fuzz_act_config.c - the alert routing configuration parser
 * (ol_act_config_parse, src/act/config.c, docs/alerts.md) over arbitrary
 * bytes.
 *
 * A refused configuration must leave no config behind and say why. An
 * accepted one must hold what the act thread relies on (act_int.h): at
 * most 64 receivers with unique non-empty names of at most 64 bytes, http(s)
 * URLs without spaces (Alertmanager's ending in /api/v2/alerts), a routing
 * key exactly for PagerDuty, well-formed header lines, routes that only
 * name existing receivers, settings inside their documented ranges. Then
 * routing runs on label sets built from the configuration's own matchers
 * (so exact and regex matchers both get hits) and must only pick existing
 * receivers; freeing it must release every regex and the arena (the leak
 * checker watches).
 *
 * Seeds: tests/fuzz/corpus/act_config (docs/alerts.md's examples and edge
 * cases).
 */
#include <stdlib.h>
#include <string.h>

#include "act/act_int.h"

static bool fz_http_url(const char *u)
{
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) return false;
    for (; *u; u++)
        if ((unsigned char)*u <= ' ' || *u == 0x7f) return false;
    return true;
}

static void fz_check_receiver(const ol_act_config_t *c, uint32_t i)
{
    const ol_act_receiver_t *r = &c->recv[i];
    if (!r->name || !*r->name || strlen(r->name) > 64) abort();
    for (uint32_t j = 0; j < i; j++)
        if (strcmp(c->recv[j].name, r->name) == 0) abort();
    if ((unsigned)r->type > OL_ACT_WEBHOOK || !r->url || !fz_http_url(r->url)) abort();
    if (r->type == OL_ACT_AM) {
        size_t n = strlen(r->url);
        if (n < 14 || strcmp(r->url + n - 14, "/api/v2/alerts") != 0) abort();
    }
    if ((r->type == OL_ACT_PAGERDUTY) != (r->routing_key != NULL)) abort();
    if (r->routing_key && !*r->routing_key) abort();
    if (r->timeout_ms < 10 || r->timeout_ms > 600000) abort();
    if (r->n_headers > 64 || (r->n_headers && !r->headers)) abort();
    for (uint32_t h = 0; h < r->n_headers; h++) {
        const char *line = r->headers[h], *colon = strchr(line, ':');
        if (!colon || colon == line || colon[1] != ' ' || strpbrk(line, "\r\n")) abort();
        for (const char *p = line; p < colon; p++)
            if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) abort();
    }
}

static void fz_check_config(const ol_act_config_t *c)
{
    if (c->n_recv > OL_ACT_MAX_RECEIVERS || (c->n_recv && !c->recv)) abort();
    for (uint32_t i = 0; i < c->n_recv; i++) fz_check_receiver(c, i);
    uint64_t all = c->n_recv == 64 ? UINT64_MAX : (1ull << c->n_recv) - 1;
    if (c->n_routes > 1024 || (c->n_routes && !c->has_routes)) abort();
    for (uint32_t i = 0; i < c->n_routes; i++) {
        const ol_act_route_t *rt = &c->routes[i];
        if (rt->receivers & ~all) abort();
        if (rt->n_m > 64) abort();
        for (uint32_t j = 0; j < rt->n_m; j++)
            if (!rt->m[j].label || !rt->m[j].value) abort();
    }
    if (c->external_url && (!fz_http_url(c->external_url) || c->external_url[strlen(c->external_url) - 1] == '/'))
        abort();
    if (c->node_id && (!*c->node_id || strlen(c->node_id) > 63)) abort();
    if (c->queue_size < 1 || c->queue_size > (1u << 20) || c->max_alerts < 1 || c->max_alerts > (1u << 20)) abort();
    if (c->retry_initial_ms < 1 || c->retry_max_ms < c->retry_initial_ms || c->retry_max_ms > 86400000) abort();
    if (c->resend_ns < 10000000ull || c->resend_ns > 86400ull * 1000000000ull) abort();
    if (c->give_up_ns < 1000000ull || c->timeout_ms < 10 || c->timeout_ms > 600000 || c->shutdown_flush_ms > 600000)
        abort();

    /* Routing: labels taken from each route's matchers (values NUL-terminated, as packed events are). */
    ol_act_pair_t labels[64];
    for (uint32_t i = 0; i < c->n_routes; i++) {
        const ol_act_route_t *rt = &c->routes[i];
        uint32_t n = 0;
        for (uint32_t j = 0; j < rt->n_m; j++)
            labels[n++] = (ol_act_pair_t){ol_slice_cstr(rt->m[j].label), ol_slice_cstr(rt->m[j].value)};
        if (ol_act_route(c, labels, n) & ~all) abort();
    }
    labels[0] = (ol_act_pair_t){ol_slice_cstr("service"), ol_slice_cstr("checkout")};
    labels[1] = (ol_act_pair_t){ol_slice_cstr("severity"), ol_slice_cstr("page")};
    uint64_t m = ol_act_route(c, labels, 2);
    if (m & ~all) abort();
    if (!c->has_routes && m != all) abort();
    if (ol_act_route(c, NULL, 0) & ~all) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ol_act_config_t *c = (ol_act_config_t *)1;
    ol_err_t err;
    err.msg[0] = 0;
    int rc = ol_act_config_parse(ol_slice(data, size), &c, &err);
    if (rc == OL_OK) {
        if (!c) abort();
        fz_check_config(c);
        ol_act_config_free(c);
    } else if (c != NULL || (rc != OL_CORRUPT && rc != OL_LIMIT && rc != OL_NOMEM) || err.msg[0] == 0 ||
               !memchr(err.msg, 0, sizeof err.msg)) {
        abort();
    }
    return 0;
}
