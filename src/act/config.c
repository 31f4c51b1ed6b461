/*
 * config.c - the alert routing configuration: a JSON file read once at
 * start (docs/alerts.md has the reference), and the route matching.
 *
 * Parsing is strict: an unknown field, a wrong type or a value out of range
 * is an error that names the field by its path ("routes[2].match_re.service:
 * invalid regular expression: ...") so a typo never silently routes nothing.
 * Everything the configuration holds lives in one arena, freed at once.
 *
 * Routing follows Alertmanager's route list: routes are tried in order; a
 * route matches when all its "match" labels are equal and all its
 * "match_re" labels match their anchored POSIX extended regular expression
 * (an absent label is the empty string); a match adds the route's receivers
 * and stops the search unless the route says "continue": true. A route
 * without matchers matches everything. Without "routes" at all, every alert
 * goes to every receiver.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "act/act_int.h"
#include "codec/json.h"
#include "core/log.h"
#include "core/util.h"

#define OL_ACT_CONFIG_MAX (4u << 20)

const char *ol_act_type_name(ol_act_type_t t)
{
    switch (t) {
    case OL_ACT_AM: return "alertmanager";
    case OL_ACT_SLACK: return "slack";
    case OL_ACT_PAGERDUTY: return "pagerduty";
    case OL_ACT_WEBHOOK: return "webhook";
    }
    return "unknown";
}

void ol_act_config_defaults(ol_act_config_t *c)
{
    c->resend_ns = 60ull * 1000000000ull;
    c->queue_size = 4096;
    c->max_alerts = 10000;
    c->resolved_keep_ns = 24ull * 3600 * 1000000000ull;
    c->retry_initial_ms = 1000;
    c->retry_max_ms = 300000;
    c->give_up_ns = 24ull * 3600 * 1000000000ull;
    c->timeout_ms = 10000;
    c->shutdown_flush_ms = 5000;
}

typedef struct ol_act_cp {
    const ol_json_doc_t *d;
    ol_act_config_t *c;
    ol_err_t *err;
} ol_act_cp_t;

static const ol_json_tok_t *ol_act_tok(const ol_act_cp_t *p, uint32_t i) { return &p->d->toks[i]; }

static const char *ol_act_kind_name(ol_json_kind_t k)
{
    switch (k) {
    case OL_JSON_NULL: return "null";
    case OL_JSON_FALSE:
    case OL_JSON_TRUE: return "a boolean";
    case OL_JSON_NUMBER: return "a number";
    case OL_JSON_STRING: return "a string";
    case OL_JSON_ARRAY: return "an array";
    case OL_JSON_OBJECT: return "an object";
    }
    return "?";
}

static int ol_act_bad(ol_act_cp_t *p, const char *path, const char *why)
{
    ol_err_set(p->err, "alerts config: %s: %s", path, why);
    return OL_CORRUPT;
}

static int ol_act_want(ol_act_cp_t *p, uint32_t i, ol_json_kind_t kind, const char *path)
{
    ol_json_kind_t k = ol_act_tok(p, i)->kind;
    if (k == kind || (kind == OL_JSON_TRUE && k == OL_JSON_FALSE)) return OL_OK;
    ol_err_set(p->err, "alerts config: %s: expected %s, found %s", path, ol_act_kind_name(kind), ol_act_kind_name(k));
    return OL_CORRUPT;
}

/* A string token as a NUL-terminated copy in the arena. */
static int ol_act_str(ol_act_cp_t *p, uint32_t i, const char *path, const char **out)
{
    int rc = ol_act_want(p, i, OL_JSON_STRING, path);
    if (rc != OL_OK) return rc;
    ol_slice_t s;
    if (ol_json_unescape(ol_act_tok(p, i), p->c->arena, &s) != OL_OK) return OL_NOMEM;
    if (s.len && memchr(s.ptr, 0, s.len)) return ol_act_bad(p, path, "contains a NUL character");
    char *z = ol_arena_alloc(p->c->arena, s.len + 1);
    if (!z) return OL_NOMEM;
    if (s.len) memcpy(z, s.ptr, s.len);
    z[s.len] = 0;
    *out = z;
    return OL_OK;
}

static int ol_act_num(ol_act_cp_t *p, uint32_t i, const char *path, double min, double max, double *out)
{
    int rc = ol_act_want(p, i, OL_JSON_NUMBER, path);
    if (rc != OL_OK) return rc;
    double v;
    if (ol_parse_double(ol_act_tok(p, i)->text, &v) != OL_OK || !isfinite(v) || v < min || v > max) {
        char why[96];
        snprintf(why, sizeof why, "must be a number from %g to %g", min, max);
        return ol_act_bad(p, path, why);
    }
    *out = v;
    return OL_OK;
}

static int ol_act_u32(ol_act_cp_t *p, uint32_t i, const char *path, double min, double max, uint32_t *out)
{
    double v;
    int rc = ol_act_num(p, i, path, min, max, &v);
    if (rc != OL_OK) return rc;
    if (v != floor(v)) return ol_act_bad(p, path, "must be a whole number");
    *out = (uint32_t)v;
    return OL_OK;
}

static int ol_act_secs(ol_act_cp_t *p, uint32_t i, const char *path, double min, double max, uint64_t *out_ns)
{
    double v;
    int rc = ol_act_num(p, i, path, min, max, &v);
    if (rc == OL_OK) *out_ns = (uint64_t)llround(v * 1e9);
    return rc;
}

static bool ol_act_key_is(ol_act_cp_t *p, uint32_t k, const char *name)
{
    const ol_json_tok_t *t = ol_act_tok(p, k);
    return !t->escaped && ol_slice_eq_cstr(t->text, name);
}

static int ol_act_unknown(ol_act_cp_t *p, uint32_t k, const char *where)
{
    const ol_json_tok_t *t = ol_act_tok(p, k);
    ol_err_set(p->err, "alerts config: %s%s%.*s: unknown field", where, *where ? "." : "", (int)OL_MIN(t->text.len, 64),
               (const char *)t->text.ptr);
    return OL_CORRUPT;
}

static int ol_act_url_check(ol_act_cp_t *p, const char *url, const char *path)
{
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return ol_act_bad(p, path, "must be an http:// or https:// URL");
    const char *host = url + (url[4] == 's' ? 8 : 7);
    if (*host == 0 || *host == '/') return ol_act_bad(p, path, "has no host");
    for (const char *s = url; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f) return ol_act_bad(p, path, "contains a space or control character");
    if (strlen(url) > 4096) return ol_act_bad(p, path, "longer than 4096 bytes");
    return OL_OK;
}

static bool ol_act_header_name_ok(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == ':' || (unsigned char)*s >= 0x7f) return false;
    return true;
}

static int ol_act_headers(ol_act_cp_t *p, uint32_t obj, const char *path, ol_act_receiver_t *r)
{
    int rc = ol_act_want(p, obj, OL_JSON_OBJECT, path);
    if (rc != OL_OK) return rc;
    if (r->headers) return ol_act_bad(p, path, "given twice");
    uint32_t n = ol_act_tok(p, obj)->size;
    if (n > 64) return ol_act_bad(p, path, "more than 64 headers");
    r->headers = ol_arena_calloc(p->c->arena, (n ? n : 1) * sizeof *r->headers);
    if (!r->headers) return OL_NOMEM;
    uint32_t k = obj + 1;
    for (uint32_t m = 0; m < n; m++, k = ol_act_tok(p, k + 1)->next) {
        char sub[256];
        const char *name, *value;
        snprintf(sub, sizeof sub, "%s[%u]", path, m);
        if ((rc = ol_act_str(p, k, sub, &name)) != OL_OK) return rc;
        snprintf(sub, sizeof sub, "%s.%.64s", path, name);
        if (!ol_act_header_name_ok(name)) return ol_act_bad(p, sub, "is not a valid header name");
        if ((rc = ol_act_str(p, k + 1, sub, &value)) != OL_OK) return rc;
        if (strpbrk(value, "\r\n")) return ol_act_bad(p, sub, "the value contains a line break");
        size_t len = strlen(name) + 2 + strlen(value) + 1;
        char *line = ol_arena_alloc(p->c->arena, len);
        if (!line) return OL_NOMEM;
        snprintf(line, len, "%s: %s", name, value);
        r->headers[r->n_headers++] = line;
    }
    return OL_OK;
}

static int ol_act_type_parse(ol_act_cp_t *p, uint32_t i, const char *path, ol_act_type_t *out)
{
    static const ol_act_type_t all[] = {OL_ACT_AM, OL_ACT_SLACK, OL_ACT_PAGERDUTY, OL_ACT_WEBHOOK};
    const char *s;
    int rc = ol_act_str(p, i, path, &s);
    if (rc != OL_OK) return rc;
    for (size_t t = 0; t < OL_ARRAY_LEN(all); t++)
        if (strcmp(s, ol_act_type_name(all[t])) == 0) {
            *out = all[t];
            return OL_OK;
        }
    char why[160];
    snprintf(why, sizeof why, "\"%.40s\" is not one of alertmanager, slack, pagerduty, webhook", s);
    return ol_act_bad(p, path, why);
}

static int ol_act_receiver(ol_act_cp_t *p, uint32_t obj, uint32_t idx, ol_act_receiver_t *r)
{
    char path[64], sub[160];
    snprintf(path, sizeof path, "receivers[%u]", idx);
    int rc = ol_act_want(p, obj, OL_JSON_OBJECT, path);
    if (rc != OL_OK) return rc;
    bool have_type = false;
    const char *url = NULL;
    r->timeout_ms = p->c->timeout_ms;
    uint32_t k = obj + 1;
    for (uint32_t m = 0; m < ol_act_tok(p, obj)->size; m++, k = ol_act_tok(p, k + 1)->next) {
        const ol_json_tok_t *kt = ol_act_tok(p, k);
        snprintf(sub, sizeof sub, "%s.%.*s", path, (int)OL_MIN(kt->text.len, 64), (const char *)kt->text.ptr);
        if (ol_act_key_is(p, k, "name")) rc = ol_act_str(p, k + 1, sub, &r->name);
        else if (ol_act_key_is(p, k, "type")) rc = ol_act_type_parse(p, k + 1, sub, &r->type), have_type = true;
        else if (ol_act_key_is(p, k, "url")) rc = ol_act_str(p, k + 1, sub, &url);
        else if (ol_act_key_is(p, k, "routing_key")) rc = ol_act_str(p, k + 1, sub, &r->routing_key);
        else if (ol_act_key_is(p, k, "headers")) rc = ol_act_headers(p, k + 1, sub, r);
        else if (ol_act_key_is(p, k, "timeout_ms")) rc = ol_act_u32(p, k + 1, sub, 10, 600000, &r->timeout_ms);
        else rc = ol_act_unknown(p, k, path);
        if (rc != OL_OK) return rc;
    }
    if (!r->name || !*r->name) {
        snprintf(sub, sizeof sub, "%s.name", path);
        return ol_act_bad(p, sub, r->name ? "must not be empty" : "missing (every receiver needs a name)");
    }
    if (strlen(r->name) > 64) {
        snprintf(sub, sizeof sub, "%s.name", path);
        return ol_act_bad(p, sub, "longer than 64 bytes");
    }
    if (!have_type) {
        snprintf(sub, sizeof sub, "%s.type", path);
        return ol_act_bad(p, sub, "missing (alertmanager, slack, pagerduty or webhook)");
    }
    snprintf(sub, sizeof sub, "%s.url", path);
    if (!url && r->type == OL_ACT_PAGERDUTY) url = "https://events.pagerduty.com/v2/enqueue";
    if (!url) return ol_act_bad(p, sub, "missing (every receiver but pagerduty needs a url)");
    if ((rc = ol_act_url_check(p, url, sub)) != OL_OK) return rc;
    if (r->type == OL_ACT_AM) {
        size_t n = strlen(url);
        while (n > 0 && url[n - 1] == '/') n--;
        static const char suffix[] = "/api/v2/alerts";
        bool has = n >= sizeof suffix - 1 && memcmp(url + n - (sizeof suffix - 1), suffix, sizeof suffix - 1) == 0;
        char *full = ol_arena_alloc(p->c->arena, n + sizeof suffix);
        if (!full) return OL_NOMEM;
        memcpy(full, url, n);
        if (has) full[n] = 0;
        else memcpy(full + n, suffix, sizeof suffix);
        url = full;
    }
    r->url = url;
    if (r->type == OL_ACT_PAGERDUTY && (!r->routing_key || !*r->routing_key)) {
        snprintf(sub, sizeof sub, "%s.routing_key", path);
        return ol_act_bad(p, sub, "missing (the integration key PagerDuty gave the service)");
    }
    if (r->type != OL_ACT_PAGERDUTY && r->routing_key) {
        snprintf(sub, sizeof sub, "%s.routing_key", path);
        return ol_act_bad(p, sub, "only pagerduty receivers take a routing_key");
    }
    return OL_OK;
}

static int ol_act_receivers(ol_act_cp_t *p, uint32_t arr)
{
    int rc = ol_act_want(p, arr, OL_JSON_ARRAY, "receivers");
    if (rc != OL_OK) return rc;
    uint32_t n = ol_act_tok(p, arr)->size;
    if (n > OL_ACT_MAX_RECEIVERS) return ol_act_bad(p, "receivers", "more than 64 receivers");
    p->c->recv = ol_arena_calloc(p->c->arena, (n ? n : 1) * sizeof *p->c->recv);
    if (!p->c->recv) return OL_NOMEM;
    uint32_t e = arr + 1;
    for (uint32_t i = 0; i < n; i++, e = ol_act_tok(p, e)->next) {
        ol_act_receiver_t *r = &p->c->recv[i];
        if ((rc = ol_act_receiver(p, e, i, r)) != OL_OK) return rc;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(p->c->recv[j].name, r->name) == 0) {
                char path[64], why[160];
                snprintf(path, sizeof path, "receivers[%u].name", i);
                snprintf(why, sizeof why, "\"%s\" is also the name of receivers[%u]", r->name, j);
                return ol_act_bad(p, path, why);
            }
        p->c->n_recv = i + 1;
    }
    return OL_OK;
}

static int ol_act_matchers(ol_act_cp_t *p, uint32_t obj, const char *path, bool is_re, ol_act_route_t *rt)
{
    int rc = ol_act_want(p, obj, OL_JSON_OBJECT, path);
    if (rc != OL_OK) return rc;
    uint32_t n = ol_act_tok(p, obj)->size;
    if (rt->n_m + n > 64) return ol_act_bad(p, path, "more than 64 matchers in one route");
    ol_act_matcher_t *m = ol_arena_calloc(p->c->arena, (rt->n_m + n + 1) * sizeof *m);
    if (!m) return OL_NOMEM;
    if (rt->n_m) memcpy(m, rt->m, rt->n_m * sizeof *m);
    rt->m = m;
    uint32_t k = obj + 1;
    for (uint32_t i = 0; i < n; i++, k = ol_act_tok(p, k + 1)->next) {
        char sub[256];
        ol_act_matcher_t *x = &rt->m[rt->n_m];
        snprintf(sub, sizeof sub, "%s[%u]", path, i);
        if ((rc = ol_act_str(p, k, sub, &x->label)) != OL_OK) return rc;
        snprintf(sub, sizeof sub, "%s.%.64s", path, x->label);
        if ((rc = ol_act_str(p, k + 1, sub, &x->value)) != OL_OK) return rc;
        if (is_re) {
            size_t len = strlen(x->value) + 5;
            char *anchored = ol_arena_alloc(p->c->arena, len);
            if (!anchored) return OL_NOMEM;
            snprintf(anchored, len, "^(%s)$", x->value);
            int e = regcomp(&x->re, anchored, REG_EXTENDED | REG_NOSUB);
            if (e != 0) {
                char msg[128], why[200];
                regerror(e, &x->re, msg, sizeof msg);
                snprintf(why, sizeof why, "invalid regular expression: %s", msg);
                return ol_act_bad(p, sub, why);
            }
            x->is_re = true;
        }
        rt->n_m++;
    }
    return OL_OK;
}

static int ol_act_route_receivers(ol_act_cp_t *p, uint32_t arr, const char *path, ol_act_route_t *rt)
{
    int rc = ol_act_want(p, arr, OL_JSON_ARRAY, path);
    if (rc != OL_OK) return rc;
    uint32_t e = arr + 1;
    for (uint32_t i = 0; i < ol_act_tok(p, arr)->size; i++, e = ol_act_tok(p, e)->next) {
        char sub[256];
        const char *name;
        snprintf(sub, sizeof sub, "%s[%u]", path, i);
        if ((rc = ol_act_str(p, e, sub, &name)) != OL_OK) return rc;
        uint32_t j = 0;
        while (j < p->c->n_recv && strcmp(p->c->recv[j].name, name) != 0) j++;
        if (j == p->c->n_recv) {
            char why[160];
            snprintf(why, sizeof why, "no receiver is named \"%.64s\"", name);
            return ol_act_bad(p, sub, why);
        }
        rt->receivers |= 1ull << j;
    }
    return OL_OK;
}

static int ol_act_routes(ol_act_cp_t *p, uint32_t arr)
{
    int rc = ol_act_want(p, arr, OL_JSON_ARRAY, "routes");
    if (rc != OL_OK) return rc;
    uint32_t n = ol_act_tok(p, arr)->size;
    if (n > 1024) return ol_act_bad(p, "routes", "more than 1024 routes");
    p->c->routes = ol_arena_calloc(p->c->arena, (n ? n : 1) * sizeof *p->c->routes);
    if (!p->c->routes) return OL_NOMEM;
    p->c->has_routes = true;
    uint32_t e = arr + 1;
    for (uint32_t i = 0; i < n; i++, e = ol_act_tok(p, e)->next) {
        char path[64], sub[160];
        snprintf(path, sizeof path, "routes[%u]", i);
        if ((rc = ol_act_want(p, e, OL_JSON_OBJECT, path)) != OL_OK) return rc;
        ol_act_route_t *rt = &p->c->routes[i];
        p->c->n_routes = i + 1;
        bool have_receivers = false;
        uint32_t k = e + 1;
        for (uint32_t m = 0; m < ol_act_tok(p, e)->size; m++, k = ol_act_tok(p, k + 1)->next) {
            const ol_json_tok_t *kt = ol_act_tok(p, k);
            snprintf(sub, sizeof sub, "%s.%.*s", path, (int)OL_MIN(kt->text.len, 64), (const char *)kt->text.ptr);
            if (ol_act_key_is(p, k, "match")) rc = ol_act_matchers(p, k + 1, sub, false, rt);
            else if (ol_act_key_is(p, k, "match_re")) rc = ol_act_matchers(p, k + 1, sub, true, rt);
            else if (ol_act_key_is(p, k, "receivers"))
                rc = ol_act_route_receivers(p, k + 1, sub, rt), have_receivers = true;
            else if (ol_act_key_is(p, k, "continue")) {
                rc = ol_act_want(p, k + 1, OL_JSON_TRUE, sub);
                rt->cont = ol_act_tok(p, k + 1)->kind == OL_JSON_TRUE;
            } else rc = ol_act_unknown(p, k, path);
            if (rc != OL_OK) return rc;
        }
        if (!have_receivers) {
            snprintf(sub, sizeof sub, "%s.receivers", path);
            return ol_act_bad(p, sub, "missing (a list of receiver names; [] drops what matches)");
        }
    }
    return OL_OK;
}

static int ol_act_config_top(ol_act_cp_t *p)
{
    if (p->d->n == 0 || ol_act_tok(p, 0)->kind != OL_JSON_OBJECT) {
        ol_err_set(p->err, "alerts config: the document must be a JSON object");
        return OL_CORRUPT;
    }
    ol_act_config_t *c = p->c;
    int rc = OL_OK;
    uint32_t routes = 0, k;
    /* Settings first: receivers take the default timeout from them. */
    k = 1;
    for (uint32_t m = 0; m < ol_act_tok(p, 0)->size; m++, k = ol_act_tok(p, k + 1)->next) {
        const ol_json_tok_t *kt = ol_act_tok(p, k);
        char path[80];
        snprintf(path, sizeof path, "%.*s", (int)OL_MIN(kt->text.len, 64), (const char *)kt->text.ptr);
        uint32_t v = k + 1;
        if (ol_act_key_is(p, k, "receivers") || ol_act_key_is(p, k, "routes")) continue;
        if (ol_act_key_is(p, k, "resend_interval_s")) rc = ol_act_secs(p, v, path, 0.01, 86400, &c->resend_ns);
        else if (ol_act_key_is(p, k, "external_url")) {
            const char *u;
            if ((rc = ol_act_str(p, v, path, &u)) == OL_OK && (rc = ol_act_url_check(p, u, path)) == OL_OK) {
                char *t = (char *)u;
                size_t n = strlen(t);
                while (n > 0 && t[n - 1] == '/') t[--n] = 0;
                c->external_url = t;
            }
        } else if (ol_act_key_is(p, k, "node_id")) {
            if ((rc = ol_act_str(p, v, path, &c->node_id)) == OL_OK && (!*c->node_id || strlen(c->node_id) > 63))
                rc = ol_act_bad(p, path, "must be 1 to 63 bytes");
        } else if (ol_act_key_is(p, k, "queue_size")) rc = ol_act_u32(p, v, path, 1, 1 << 20, &c->queue_size);
        else if (ol_act_key_is(p, k, "max_alerts")) rc = ol_act_u32(p, v, path, 1, 1 << 20, &c->max_alerts);
        else if (ol_act_key_is(p, k, "resolved_keep_s"))
            rc = ol_act_secs(p, v, path, 0, 90 * 86400.0, &c->resolved_keep_ns);
        else if (ol_act_key_is(p, k, "retry_initial_ms"))
            rc = ol_act_u32(p, v, path, 1, 3600000, &c->retry_initial_ms);
        else if (ol_act_key_is(p, k, "retry_max_ms")) rc = ol_act_u32(p, v, path, 1, 86400000, &c->retry_max_ms);
        else if (ol_act_key_is(p, k, "retry_give_up_s"))
            rc = ol_act_secs(p, v, path, 0.001, 30 * 86400.0, &c->give_up_ns);
        else if (ol_act_key_is(p, k, "timeout_ms")) rc = ol_act_u32(p, v, path, 10, 600000, &c->timeout_ms);
        else if (ol_act_key_is(p, k, "shutdown_flush_ms"))
            rc = ol_act_u32(p, v, path, 0, 600000, &c->shutdown_flush_ms);
        else rc = ol_act_unknown(p, k, "");
        if (rc != OL_OK) return rc;
    }
    if (c->retry_max_ms < c->retry_initial_ms)
        return ol_act_bad(p, "retry_max_ms", "must not be below retry_initial_ms");
    k = 1;
    for (uint32_t m = 0; m < ol_act_tok(p, 0)->size; m++, k = ol_act_tok(p, k + 1)->next) {
        if (ol_act_key_is(p, k, "receivers")) {
            if (c->recv) return ol_act_bad(p, "receivers", "given twice");
            if ((rc = ol_act_receivers(p, k + 1)) != OL_OK) return rc;
        } else if (ol_act_key_is(p, k, "routes")) {
            if (routes) return ol_act_bad(p, "routes", "given twice");
            routes = k + 1;
        }
    }
    return routes ? ol_act_routes(p, routes) : OL_OK;
}

int ol_act_config_parse(ol_slice_t json, ol_act_config_t **out, ol_err_t *err)
{
    *out = NULL;
    if (json.len > OL_ACT_CONFIG_MAX) {
        ol_err_set(err, "alerts config: larger than %u bytes", OL_ACT_CONFIG_MAX);
        return OL_LIMIT;
    }
    ol_arena_t *arena = ol_arena_create(16384, 64u << 20);
    ol_act_config_t *c = arena ? ol_arena_calloc(arena, sizeof *c) : NULL;
    if (!c) {
        ol_arena_destroy(arena);
        ol_err_set(err, "alerts config: out of memory");
        return OL_NOMEM;
    }
    c->arena = arena;
    ol_act_config_defaults(c);
    ol_json_doc_t doc;
    ol_err_t jerr;
    int rc = ol_json_parse(json, arena, &doc, &jerr);
    if (rc != OL_OK) {
        ol_err_set(err, "alerts config: not valid JSON: %s", jerr.msg);
    } else {
        ol_act_cp_t p = {&doc, c, err};
        rc = ol_act_config_top(&p);
        if (rc == OL_NOMEM) ol_err_set(err, "alerts config: out of memory");
    }
    if (rc != OL_OK) {
        ol_act_config_free(c);
        return rc;
    }
    *out = c;
    return OL_OK;
}

int ol_act_config_load(const char *path, ol_act_config_t **out, ol_err_t *err)
{
    *out = NULL;
    ol_buf_t b;
    ol_buf_init(&b, OL_ACT_MEM, 0);
    ol_err_t e = {{0}};
    int rc = ol_read_file(path, OL_ACT_CONFIG_MAX, &b, &e);
    if (rc != OL_OK) {
        ol_err_set(err, "alerts config %s", e.msg);
        if (rc == OL_NOTFOUND) rc = OL_ERR;
    } else {
        rc = ol_act_config_parse(ol_buf_slice(&b), out, &e);
        if (rc != OL_OK) ol_err_set(err, "%s (%s)", e.msg, path);
    }
    ol_buf_free(&b);
    return rc;
}

void ol_act_config_free(ol_act_config_t *c)
{
    if (!c) return;
    for (uint32_t i = 0; i < c->n_routes; i++)
        for (uint32_t j = 0; j < c->routes[i].n_m; j++)
            if (c->routes[i].m[j].is_re) regfree(&c->routes[i].m[j].re);
    ol_arena_destroy(c->arena);
}

static bool ol_act_matcher_ok(const ol_act_matcher_t *m, const ol_act_pair_t *labels, uint32_t n)
{
    ol_slice_t v = ol_act_get(labels, n, m->label);
    if (!m->is_re) return ol_slice_eq_cstr(v, m->value);
    /* labels of a packed event are NUL-terminated (event.c) */
    return regexec(&m->re, v.len ? (const char *)v.ptr : "", 0, NULL, 0) == 0;
}

uint64_t ol_act_route(const ol_act_config_t *c, const ol_act_pair_t *labels, uint32_t n)
{
    if (!c->has_routes) return c->n_recv == 64 ? UINT64_MAX : (1ull << c->n_recv) - 1;
    uint64_t out = 0;
    for (uint32_t i = 0; i < c->n_routes; i++) {
        const ol_act_route_t *rt = &c->routes[i];
        bool ok = true;
        for (uint32_t j = 0; j < rt->n_m && ok; j++) ok = ol_act_matcher_ok(&rt->m[j], labels, n);
        if (!ok) continue;
        out |= rt->receivers;
        if (!rt->cont) break;
    }
    return out;
}
