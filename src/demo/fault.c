/*
 * fault.c - reading what the user scripts: fault specs from the command
 * line, scenario files (JSON), durations and start times.
 *
 * Both ways of writing a fault land in the same ol_demo_fault_t, with
 * parameters left "unset" (negative, empty) when not given; ol_demo_create()
 * resolves names against the topology and fills in each type's defaults, so
 * the rules for what a name means live in one place (sim.c). Errors name the
 * part that is wrong: the spec field, or the JSON path in a scenario file.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/json.h"
#include "core/alloc.h"
#include "core/util.h"
#include "demo/demo.h"

static const char *const ol_demo_fault_names[OL_DEMO_FAULT__COUNT] = {
    [OL_DEMO_BAD_DEPLOY] = "bad_deploy",
    [OL_DEMO_DEPENDENCY_LATENCY] = "dependency_latency",
    [OL_DEMO_ATTRIBUTE_LATENCY] = "attribute_latency",
    [OL_DEMO_ERROR_BURST] = "error_burst",
    [OL_DEMO_HOST_SATURATION] = "host_saturation",
    [OL_DEMO_MEMORY_LEAK] = "memory_leak",
    [OL_DEMO_TRAFFIC_SURGE] = "traffic_surge",
    [OL_DEMO_SLOW_DB_QUERY] = "slow_db_query",
};

const char *ol_demo_fault_type_name(int type)
{
    return type >= 0 && type < OL_DEMO_FAULT__COUNT ? ol_demo_fault_names[type] : NULL;
}

static int ol_demo_fault_type(const char *s, size_t n)
{
    for (int i = 0; i < OL_DEMO_FAULT__COUNT; i++)
        if (strlen(ol_demo_fault_names[i]) == n && strncmp(ol_demo_fault_names[i], s, n) == 0) return i;
    return -1;
}

void ol_demo_fault_init(ol_demo_fault_t *f)
{
    memset(f, 0, sizeof *f);
    f->factor = f->delay_ms = f->error_rate = -1;
    f->oom_after_s = f->restart_s = f->rollout_s = -1;
}

void ol_demo_config_default(ol_demo_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->rate = 10;
    c->metric_interval_s = 30;
    snprintf(c->environment, sizeof c->environment, "production");
}

/* ---- lengths and times ---- */

int ol_demo_parse_duration(const char *s, uint64_t *out_ns)
{
    *out_ns = 0;
    if (!s) return OL_CORRUPT;
    if (*s == '+') s++;
    if (!*s) return OL_CORRUPT;
    char *end;
    errno = 0;
    double bare = strtod(s, &end);
    if (!*end) { /* a bare number: seconds */
        if (errno || !(bare >= 0) || bare > 1e9) return OL_CORRUPT;
        *out_ns = (uint64_t)llround(bare * 1e9);
        return OL_OK;
    }
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ms", 1e6}, {"us", 1e3}, {"ns", 1}, {"d", 86400e9}, {"h", 3600e9}, {"m", 60e9}, {"s", 1e9}};
    double total = 0;
    const char *p = s;
    while (*p) {
        if (!(*p >= '0' && *p <= '9') && *p != '.') return OL_CORRUPT;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !(v >= 0)) return OL_CORRUPT;
        p = end;
        size_t k = 0;
        while (k < OL_ARRAY_LEN(units) && strncmp(p, units[k].unit, strlen(units[k].unit)) != 0) k++;
        if (k == OL_ARRAY_LEN(units)) return OL_CORRUPT;
        p += strlen(units[k].unit);
        total += v * units[k].ns;
    }
    if (!(total <= 1e9 * 1e9)) return OL_CORRUPT; /* about 31 years */
    *out_ns = (uint64_t)llround(total);
    return OL_OK;
}

int ol_demo_parse_start(const char *s, uint64_t now_ns, uint64_t *out_ns)
{
    if (!s || !*s) return OL_CORRUPT;
    if (strcmp(s, "now") == 0) {
        *out_ns = now_ns;
        return OL_OK;
    }
    const char *rel = strncmp(s, "now-", 4) == 0 ? s + 4 : s[0] == '-' ? s + 1 : NULL;
    if (rel) {
        uint64_t back;
        if (ol_demo_parse_duration(rel, &back) != OL_OK || back > now_ns) return OL_CORRUPT;
        *out_ns = now_ns - back;
        return OL_OK;
    }
    size_t n = strlen(s), digits = strspn(s, "0123456789");
    if (digits == n) {
        uint64_t v;
        if (ol_parse_u64(ol_slice(s, n), &v) != OL_OK) return OL_CORRUPT;
        if (n < 16) {
            if (v > UINT64_MAX / 1000000000ull) return OL_CORRUPT;
            v *= 1000000000ull;
        }
        *out_ns = v;
        return OL_OK;
    }
    return ol_time_parse(ol_slice(s, n), out_ns) == OL_OK ? OL_OK : OL_CORRUPT;
}

/* ---- parameters ---- */

static int ol_demo_copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap) return OL_LIMIT;
    memcpy(dst, src, n);
    dst[n] = 0;
    return OL_OK;
}

static bool ol_demo_number(const char *s, size_t n, double lo, double hi, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp) return false;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (*end || errno || !(v >= lo && v <= hi)) return false;
    *out = v;
    return true;
}

static bool ol_demo_seconds(const char *s, size_t n, double *out)
{
    char tmp[64];
    uint64_t ns;
    if (n == 0 || n >= sizeof tmp) return false;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (ol_demo_parse_duration(tmp, &ns) != OL_OK) return false;
    *out = (double)ns / 1e9;
    return true;
}

/* Sets one KEY=VALUE parameter; `where` prefixes errors. */
static int ol_demo_fault_param(ol_demo_fault_t *f, const char *key, size_t kn, const char *v, size_t vn,
                               const char *where, ol_err_t *err)
{
#define KEY(s) (kn == sizeof(s) - 1 && strncmp(key, s, kn) == 0)
    bool ok = true;
    double ms = 0;
    if (KEY("op") || KEY("operation")) ok = ol_demo_copy(f->op, sizeof f->op, v, vn) == OL_OK && vn > 0;
    else if (KEY("factor")) ok = ol_demo_number(v, vn, 0.01, 1000, &f->factor);
    else if (KEY("delay")) {
        ok = ol_demo_seconds(v, vn, &ms) && ms <= 600;
        f->delay_ms = ms * 1000;
    } else if (KEY("error_rate")) ok = ol_demo_number(v, vn, 0, 1, &f->error_rate);
    else if (KEY("version")) ok = ol_demo_copy(f->version, sizeof f->version, v, vn) == OL_OK && vn > 0;
    else if (KEY("attr") || KEY("attribute")) ok = ol_demo_copy(f->attr, sizeof f->attr, v, vn) == OL_OK && vn > 0;
    else if (KEY("value")) ok = ol_demo_copy(f->value, sizeof f->value, v, vn) == OL_OK && vn > 0;
    else if (KEY("oom_after")) ok = ol_demo_seconds(v, vn, &f->oom_after_s) && f->oom_after_s >= 1;
    else if (KEY("restart")) ok = ol_demo_seconds(v, vn, &f->restart_s) && f->restart_s <= 3600;
    else if (KEY("rollout")) ok = ol_demo_seconds(v, vn, &f->rollout_s) && f->rollout_s <= 3600;
    else {
        ol_err_set(err, "%s: unknown parameter '%.*s' (op, factor, delay, error_rate, version, attr, value, "
                        "oom_after, restart, rollout)",
                   where, (int)OL_MIN(kn, 40u), key);
        return OL_CORRUPT;
    }
#undef KEY
    if (!ok) {
        ol_err_set(err, "%s: bad value '%.*s' for %.*s", where, (int)OL_MIN(vn, 60u), v, (int)OL_MIN(kn, 40u), key);
        return OL_CORRUPT;
    }
    return OL_OK;
}

int ol_demo_fault_parse(const char *spec, ol_demo_fault_t *f, ol_err_t *err)
{
    ol_demo_fault_init(f);
    const char *part[5];
    size_t len[5];
    int n = 0;
    const char *p = spec;
    while (n < 5) {
        const char *c = n < 4 ? strchr(p, ':') : NULL;
        part[n] = p;
        len[n] = c ? (size_t)(c - p) : strlen(p);
        n++;
        if (!c) break;
        p = c + 1;
    }
    if (n < 4) {
        ol_err_set(err, "fault '%.80s': expected TYPE:TARGET:START:DURATION[:KEY=VALUE,...]", spec);
        return OL_CORRUPT;
    }
    int type = ol_demo_fault_type(part[0], len[0]);
    if (type < 0) {
        ol_err_set(err, "fault '%.80s': unknown type '%.*s' (bad_deploy, dependency_latency, attribute_latency, "
                        "error_burst, host_saturation, memory_leak, traffic_surge, slow_db_query)",
                   spec, (int)OL_MIN(len[0], 40u), part[0]);
        return OL_CORRUPT;
    }
    f->type = (uint8_t)type;
    if (ol_demo_copy(f->target, sizeof f->target, part[1], len[1]) != OL_OK) {
        ol_err_set(err, "fault '%.80s': target is too long", spec);
        return OL_CORRUPT;
    }
    char tmp[64];
    for (int k = 2; k < 4; k++) {
        uint64_t *dst = k == 2 ? &f->start_ns : &f->duration_ns;
        if (ol_demo_copy(tmp, sizeof tmp, part[k], len[k]) != OL_OK || ol_demo_parse_duration(tmp, dst) != OL_OK ||
            (k == 3 && *dst == 0)) {
            ol_err_set(err, "fault '%.80s': bad %s '%.*s' (like +30m, 90s, 1h30m)", spec,
                       k == 2 ? "start" : "duration", (int)OL_MIN(len[k], 40u), part[k]);
            return OL_CORRUPT;
        }
    }
    if (n == 5) {
        const char *q = part[4], *end = part[4] + len[4];
        while (q < end) {
            const char *comma = memchr(q, ',', (size_t)(end - q));
            const char *item_end = comma ? comma : end;
            const char *eq = memchr(q, '=', (size_t)(item_end - q));
            char where[120];
            snprintf(where, sizeof where, "fault '%.80s'", spec);
            if (!eq) {
                ol_err_set(err, "%s: parameter '%.*s' is not KEY=VALUE", where, (int)OL_MIN(item_end - q, 40), q);
                return OL_CORRUPT;
            }
            int rc = ol_demo_fault_param(f, q, (size_t)(eq - q), eq + 1, (size_t)(item_end - eq - 1), where, err);
            if (rc != OL_OK) return rc;
            q = comma ? comma + 1 : end;
        }
    }
    return OL_OK;
}

/* ---- scenario files ---- */

typedef struct ol_demo_sc {
    const ol_json_doc_t *doc;
    ol_arena_t *a;
    const char *name;
    ol_err_t *err;
} ol_demo_sc_t;

/* The text of a string token, or of a number token, as a C string in the arena. */
static const char *ol_demo_sc_text(ol_demo_sc_t *s, uint32_t tok, bool numbers_too)
{
    const ol_json_tok_t *t = &s->doc->toks[tok];
    if (t->kind != OL_JSON_STRING && !(numbers_too && t->kind == OL_JSON_NUMBER)) return NULL;
    ol_slice_t v = t->text;
    if (t->kind == OL_JSON_STRING && ol_json_unescape(t, s->a, &v) != OL_OK) return NULL;
    char *c = ol_arena_alloc(s->a, v.len + 1);
    if (!c) return NULL;
    memcpy(c, v.ptr, v.len);
    c[v.len] = 0;
    if (strlen(c) != v.len) return NULL; /* an embedded NUL */
    return c;
}

static int ol_demo_sc_fail(ol_demo_sc_t *s, const char *path, const char *what)
{
    ol_err_set(s->err, "%s: %s: %s", s->name, path, what);
    return OL_CORRUPT;
}

/* Iterates the members of object `obj`: *key and *val for member m. */
static bool ol_demo_sc_member(const ol_json_doc_t *d, uint32_t *i, uint32_t *key, uint32_t *val)
{
    if (*i + 1 >= d->n) return false;
    *key = *i;
    *val = *i + 1;
    *i = d->toks[*val].next;
    return true;
}

static int ol_demo_sc_fault(ol_demo_sc_t *s, uint32_t obj, uint32_t idx, ol_demo_fault_t *f)
{
    const ol_json_doc_t *d = s->doc;
    char path[64], fpath[128];
    snprintf(path, sizeof path, "faults[%u]", idx);
    if (d->toks[obj].kind != OL_JSON_OBJECT) return ol_demo_sc_fail(s, path, "expected an object");
    ol_demo_fault_init(f);
    bool have_type = false, have_start = false, have_duration = false;
    uint32_t i = obj + 1, key, val;
    for (uint32_t m = 0; m < d->toks[obj].size && ol_demo_sc_member(d, &i, &key, &val); m++) {
        const char *k = ol_demo_sc_text(s, key, false);
        if (!k) return ol_demo_sc_fail(s, path, "unreadable member name");
        snprintf(fpath, sizeof fpath, "%s.%.40s", path, k);
        const ol_json_tok_t *vt = &d->toks[val];
        const char *v = ol_demo_sc_text(s, val, true);
        if (!v) return ol_demo_sc_fail(s, fpath, "expected a string or a number");
        if (strcmp(k, "type") == 0) {
            int type = ol_demo_fault_type(v, strlen(v));
            if (type < 0 || vt->kind != OL_JSON_STRING) return ol_demo_sc_fail(s, fpath, "unknown fault type");
            f->type = (uint8_t)type;
            have_type = true;
        } else if (strcmp(k, "service") == 0 || strcmp(k, "host") == 0 || strcmp(k, "target") == 0) {
            if (f->target[0]) return ol_demo_sc_fail(s, fpath, "a fault has one target (service or host)");
            if (ol_demo_copy(f->target, sizeof f->target, v, strlen(v)) != OL_OK || !*v)
                return ol_demo_sc_fail(s, fpath, "empty or longer than 63 bytes");
        } else if (strcmp(k, "start") == 0 || strcmp(k, "duration") == 0) {
            uint64_t *dst = k[0] == 's' ? &f->start_ns : &f->duration_ns;
            if (ol_demo_parse_duration(v, dst) != OL_OK || (k[0] == 'd' && *dst == 0))
                return ol_demo_sc_fail(s, fpath, "expected a length like \"+30m\", \"90s\", \"1h30m\" or seconds");
            if (k[0] == 's') have_start = true;
            else have_duration = true;
        } else {
            char where[160];
            snprintf(where, sizeof where, "%s: %s", s->name, path);
            int rc = ol_demo_fault_param(f, k, strlen(k), v, strlen(v), where, s->err);
            if (rc != OL_OK) return rc;
        }
    }
    if (!have_type) return ol_demo_sc_fail(s, path, "missing \"type\"");
    if (!f->target[0] && f->type != OL_DEMO_TRAFFIC_SURGE)
        return ol_demo_sc_fail(s, path, "missing \"service\" (or \"host\")");
    if (!have_start) return ol_demo_sc_fail(s, path, "missing \"start\"");
    if (!have_duration) return ol_demo_sc_fail(s, path, "missing \"duration\"");
    return OL_OK;
}

int ol_demo_scenario_parse(ol_slice_t json, const char *name, ol_demo_config_t *c, ol_err_t *err)
{
    ol_arena_t *a = ol_arena_create(16384, 16u << 20);
    if (!a) {
        ol_err_set(err, "%s: out of memory", name);
        return OL_NOMEM;
    }
    ol_json_doc_t doc;
    ol_err_t jerr;
    int rc = ol_json_parse(json, a, &doc, &jerr);
    if (rc != OL_OK) {
        ol_err_set(err, "%s: not JSON: %s", name, jerr.msg);
        goto out;
    }
    ol_demo_sc_t s = {&doc, a, name, err};
    rc = OL_CORRUPT;
    if (doc.n == 0 || doc.toks[0].kind != OL_JSON_OBJECT) {
        ol_err_set(err, "%s: expected a JSON object at the top", name);
        goto out;
    }
    /* Settings go to a copy, so a failure leaves c as it was. */
    ol_demo_config_t *n = ol_malloc(OL_MEM_DEMO, sizeof *n);
    if (!n) {
        rc = OL_NOMEM;
        ol_err_set(err, "%s: out of memory", name);
        goto out;
    }
    *n = *c;
    uint32_t i = 1, key, val;
    rc = OL_OK;
    for (uint32_t m = 0; m < doc.toks[0].size && rc == OL_OK && ol_demo_sc_member(&doc, &i, &key, &val); m++) {
        const char *k = ol_demo_sc_text(&s, key, false);
        const ol_json_tok_t *vt = &doc.toks[val];
        if (!k) {
            rc = ol_demo_sc_fail(&s, "(top)", "unreadable member name");
            break;
        }
        if (strcmp(k, "faults") == 0) {
            if (vt->kind != OL_JSON_ARRAY) {
                rc = ol_demo_sc_fail(&s, "faults", "expected an array");
                break;
            }
            uint32_t e = val + 1;
            for (uint32_t j = 0; j < vt->size && rc == OL_OK; j++) {
                if (n->n_faults >= OL_DEMO_MAX_FAULTS) {
                    ol_err_set(err, "%s: faults: more than %u faults", name, OL_DEMO_MAX_FAULTS);
                    rc = OL_LIMIT;
                    break;
                }
                rc = ol_demo_sc_fault(&s, e, j, &n->faults[n->n_faults]);
                if (rc == OL_OK) n->n_faults++;
                e = doc.toks[e].next;
            }
            continue;
        }
        const char *v = ol_demo_sc_text(&s, val, true);
        double num;
        uint64_t ns;
        if (strcmp(k, "seasonality") == 0 || strcmp(k, "noise") == 0) {
            bool on = vt->kind == OL_JSON_TRUE;
            if (vt->kind != OL_JSON_TRUE && vt->kind != OL_JSON_FALSE)
                rc = ol_demo_sc_fail(&s, k, "expected true or false");
            else if (k[0] == 's') n->no_seasonality = !on;
            else n->no_noise = !on;
        } else if (!v) {
            rc = ol_demo_sc_fail(&s, k, "expected a string or a number");
        } else if (strcmp(k, "seed") == 0) {
            if (vt->kind != OL_JSON_NUMBER || ol_parse_u64(ol_slice_cstr(v), &n->seed) != OL_OK)
                rc = ol_demo_sc_fail(&s, k, "expected a non-negative integer");
        } else if (strcmp(k, "rate") == 0) {
            if (!ol_demo_number(v, strlen(v), 0.001, 1e6, &num)) rc = ol_demo_sc_fail(&s, k, "expected 0.001..1e6");
            else n->rate = num;
        } else if (strcmp(k, "speed") == 0) {
            if (!ol_demo_number(v, strlen(v), 0.001, 1e6, &num)) rc = ol_demo_sc_fail(&s, k, "expected 0.001..1e6");
            else n->speed = num;
        } else if (strcmp(k, "start") == 0) {
            if (ol_demo_parse_start(v, ol_now_ns(), &n->start_ns) != OL_OK)
                rc = ol_demo_sc_fail(&s, k, "expected \"now\", \"now-2h\", RFC 3339 or Unix seconds");
        } else if (strcmp(k, "duration") == 0) {
            if (ol_demo_parse_duration(v, &n->duration_ns) != OL_OK)
                rc = ol_demo_sc_fail(&s, k, "expected a length like \"24h\"");
        } else if (strcmp(k, "metric_interval") == 0) {
            if (ol_demo_parse_duration(v, &ns) != OL_OK || ns < 1000000000ull || ns > 3600000000000ull)
                rc = ol_demo_sc_fail(&s, k, "expected a length from 1s to 1h");
            else n->metric_interval_s = (double)ns / 1e9;
        } else if (strcmp(k, "environment") == 0) {
            if (vt->kind != OL_JSON_STRING || !*v || strlen(v) > 63)
                rc = ol_demo_sc_fail(&s, k, "expected a name of 1..63 bytes");
            else snprintf(n->environment, sizeof n->environment, "%s", v);
        } else {
            rc = ol_demo_sc_fail(&s, k, "unknown field (seed, rate, speed, start, duration, metric_interval, "
                                        "environment, seasonality, noise, faults)");
        }
    }
    if (rc == OL_OK) *c = *n;
    ol_free(OL_MEM_DEMO, n, sizeof *n);
out:
    ol_arena_destroy(a);
    return rc;
}

int ol_demo_scenario_load(const char *path, ol_demo_config_t *c, ol_err_t *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        ol_err_set(err, "%s: %s", path, strerror(errno));
        return OL_ERR;
    }
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_DEMO, 16u << 20);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) ol_buf_append(&b, chunk, got);
    bool rerr = ferror(fp);
    fclose(fp);
    int rc;
    if (rerr) {
        ol_err_set(err, "%s: read error", path);
        rc = OL_ERR;
    } else if (b.err) {
        ol_err_set(err, "%s: larger than 16 MiB", path);
        rc = OL_LIMIT;
    } else {
        rc = ol_demo_scenario_parse(ol_buf_slice(&b), path, c, err);
    }
    ol_buf_free(&b);
    return rc;
}
