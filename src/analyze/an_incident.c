/*
 * an_incident.c - anomalies, the incidents they form and the alerts those
 * raise (analyzer.h).
 *
 * Anomalies are kept by id, ascending (ids only grow), at most
 * OL_AN_MAX_ANOMALIES: when full, the oldest closed one is forgotten,
 * here and in the state. Each is written to the state when it opens,
 * every minute of event time while it is open, and when it closes.
 *
 * An anomaly joins the open incident that already holds its service or a
 * service adjacent to it in the call graph (either direction), if it began
 * within 15 minutes of that incident's newest anomaly; otherwise it opens
 * a new incident. An incident is alerted OL_AN_GROUP_WAIT steps
 * after it opened (so the anomalies of one cause, which open within a few
 * steps of each other, are in it by then); the alert's labels are fixed at
 * that moment, because Alertmanager identifies an alert by its labels:
 *   alertname OllyAnomaly, service = the likeliest origin, severity,
 *   incident = its id;
 * the annotations (summary, description, services, score, signal,
 * detector) follow the incident at every step. The likeliest origin is
 * chosen by ol_an_incident_root.
 */
#include "analyze/analyzer_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"

/* snprintf that may cut (names are long, the text is for people) */
static void ol_an_fmt(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ol_an_fmt(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

uint32_t ol_an_anom_index(const ol_analyzer_t *an, uint64_t id)
{
    uint32_t lo = 0, hi = an->n_anoms;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (an->anoms[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < an->n_anoms && an->anoms[lo].id == id ? lo : OL_AN_NONE;
}

static ol_an_incident_t *ol_an_incident_get(ol_analyzer_t *an, uint64_t id)
{
    for (uint32_t i = an->n_incs; i-- > 0;)
        if (an->incs[i].id == id) return &an->incs[i];
    return NULL;
}

static const char *ol_an_unit(uint8_t signal) { return signal == OL_AN_A_LATENCY ? " ms" : signal == OL_AN_A_REQUESTS ? "/s" : ""; }

static const char *const ol_an_peer_types[] = {"service", "database", "queue", "external host"};

void ol_an_explain(ol_analyzer_t *an, ol_an_anom_t *a)
{
    OL_UNUSED(an);
    char what[OL_AN_MAX_NAME * 2 + 64], onset[40];
    ol_time_format((uint64_t)a->onset_ns, onset);
    if (a->scope == OL_AN_SCOPE_EDGE)
        ol_an_fmt(what, sizeof what, "calls from %s to %s %s", a->service,
                 ol_an_peer_types[a->kind < 4 ? a->kind : 0], a->name);
    else if (a->scope == OL_AN_SCOPE_OPERATION)
        ol_an_fmt(what, sizeof what, "%s %s", a->service, a->name);
    else ol_an_fmt(what, sizeof what, "%s", a->service);
    switch (a->signal) {
    case OL_AN_A_REQUESTS:
    case OL_AN_A_ERRORS:
    case OL_AN_A_LATENCY: {
        const char *metric = a->signal == OL_AN_A_REQUESTS ? "request rate"
                             : a->signal == OL_AN_A_ERRORS ? "error ratio"
                                                           : "p95 latency";
        if (a->det == OL_AN_DET_BINOMIAL && a->signal == OL_AN_A_LATENCY && !isfinite(a->value))
            ol_an_fmt(a->explanation, sizeof a->explanation, /* a step without requests has no p95 */
                     "latency of %s: %.0f%% of requests take longer than %.4g ms (p95 baseline %.4g ms), usually "
                     "%.1f%% (tail probability below 1e-%.0f), since %s (binomial detector)",
                     what, 100 * a->share, a->threshold, a->expected, 100 * a->share_expected,
                     fmin(a->deviation, 999), onset);
        else if (a->det == OL_AN_DET_BINOMIAL && a->signal == OL_AN_A_LATENCY)
            ol_an_fmt(a->explanation, sizeof a->explanation,
                     "p95 latency of %s is %.4g ms against %.4g ms expected: %.0f%% of requests take longer than "
                     "%.4g ms, usually %.1f%% (tail probability below 1e-%.0f), since %s (binomial detector)",
                     what, a->value, a->expected, 100 * a->share, a->threshold, 100 * a->share_expected,
                     fmin(a->deviation, 999), onset);
        else if (a->det == OL_AN_DET_POISSON)
            ol_an_fmt(a->explanation, sizeof a->explanation,
                     "%s of %s is %.3g/s, against %.3g/s expected (tail probability below 1e-%.0f), since %s "
                     "(poisson detector)",
                     metric, what, a->value, a->expected, fmin(fabs(a->deviation), 999), onset);
        else if (a->det == OL_AN_DET_BINOMIAL)
            ol_an_fmt(a->explanation, sizeof a->explanation,
                     "%s of %s is %.3g%%, against %.3g%% expected (tail probability below 1e-%.0f), since %s "
                     "(binomial detector)",
                     metric, what, 100 * a->value, 100 * a->expected, fmin(a->deviation, 999), onset);
        else
            ol_an_fmt(a->explanation, sizeof a->explanation,
                     "%s of %s is %.4g%s, against %.4g%s expected (%+.1f robust deviations), since %s (%s detector)",
                     metric, what, a->value, ol_an_unit(a->signal), a->expected, ol_an_unit(a->signal),
                     a->deviation, onset, ol_an_det_name(a->det));
        break;
    }
    case OL_AN_A_RED:
        ol_an_fmt(a->explanation, sizeof a->explanation,
                 "the combination of request rate, error ratio and latency of %s is unlike its normal ones (%s "
                 "score %.2f, most unusual: %s), since %s",
                 what, ol_an_det_name(a->det), a->score, a->name && *a->name ? a->name : "all together", onset);
        break;
    case OL_AN_A_SLO:
        ol_an_fmt(a->explanation, sizeof a->explanation,
                 "SLO %s of %s burns its error budget %.1fx faster than sustainable, since %s", a->name, a->service,
                 a->value, onset);
        break;
    default:
        ol_an_fmt(a->explanation, sizeof a->explanation,
                 "the forecast says SLO %s of %s will be breached in about %.0f minutes (now %.4g ms, forecast "
                 "%.4g ms), predicted since %s",
                 a->name, a->service, a->deviation * (double)an->opt.step_ns / 60e9, a->value, a->expected, onset);
        break;
    }
}

/* Makes room for one more anomaly: forgets the oldest closed one when full. */
static bool ol_an_anom_room(ol_analyzer_t *an)
{
    if (an->n_anoms >= OL_AN_MAX_ANOMALIES) {
        uint32_t i = 0;
        while (i < an->n_anoms && an->anoms[i].open) i++;
        if (i == an->n_anoms) return false;
        ol_an_persist_forget_anom(an, an->anoms[i].id);
        ol_an_anom_free(&an->anoms[i]);
        memmove(&an->anoms[i], &an->anoms[i + 1], (an->n_anoms - i - 1) * sizeof *an->anoms);
        an->n_anoms--;
    }
    return ol_an_grow((void **)&an->anoms, &an->cap_anoms, an->n_anoms + 1, sizeof *an->anoms) == OL_OK;
}

static bool ol_an_adjacent(const ol_analyzer_t *an, uint32_t a, uint32_t b)
{
    if (a == b) return true;
    const ol_an_svc_t *x = &an->svcs[a], *y = &an->svcs[b];
    for (uint32_t i = 0; i < x->n_peers; i++)
        if (x->peers[i] == b) return true;
    for (uint32_t i = 0; i < y->n_peers; i++)
        if (y->peers[i] == a) return true;
    return false;
}

/* The newest onset among the incident's open anomalies. */
static int64_t ol_an_incident_latest(const ol_analyzer_t *an, const ol_an_incident_t *inc)
{
    int64_t t = inc->onset_ns;
    for (uint32_t k = 0; k < an->n_anoms; k++)
        if (an->anoms[k].open && an->anoms[k].incident == inc->id && an->anoms[k].onset_ns > t)
            t = an->anoms[k].onset_ns;
    return t;
}

/* An anomaly joins an open incident of a neighbouring service if it began
 * within OL_AN_JOIN_NS of the incident's newest anomaly: a fault spreads
 * along calls within minutes, while a second fault an hour later next to a
 * service that is still flapping is a new incident. */
static uint64_t ol_an_incident_join(ol_analyzer_t *an, uint32_t svc, int64_t onset)
{
    for (uint32_t i = 0; i < an->n_incs; i++) {
        ol_an_incident_t *inc = &an->incs[i];
        if (!inc->open) continue;
        int64_t latest = ol_an_incident_latest(an, inc);
        if (onset > latest + OL_AN_JOIN_NS || onset < inc->onset_ns - OL_AN_JOIN_NS) continue;
        for (uint32_t j = 0; j < inc->n_svcs; j++) {
            if (!ol_an_adjacent(an, inc->svcs[j], svc)) continue;
            bool have = false;
            for (uint32_t k = 0; k < inc->n_svcs; k++) have |= inc->svcs[k] == svc;
            if (!have && inc->n_svcs < OL_AN_MAX_INCIDENT_SVCS) inc->svcs[inc->n_svcs++] = svc;
            inc->n_open++;
            if (onset < inc->onset_ns) inc->onset_ns = onset;
            ol_an_persist_incident(an, inc);
            return inc->id;
        }
    }
    if (ol_an_grow((void **)&an->incs, &an->cap_incs, an->n_incs + 1, sizeof *an->incs) != OL_OK) return 0;
    ol_an_incident_t *inc = &an->incs[an->n_incs++];
    *inc = (ol_an_incident_t){.id = an->next_incident++, .open = true, .n_open = 1, .svcs = {svc}, .n_svcs = 1,
                              .onset_ns = onset, .created_ns = an->now_event};
    an->st.incidents_opened++;
    ol_an_persist_incident(an, inc);
    return inc->id;
}

uint32_t ol_an_anom_open(ol_analyzer_t *an, uint32_t svc, uint8_t signal, uint8_t det, uint8_t scope,
                         uint8_t kind, ol_slice_t name, const ol_an_verdict_t *v, const double *share,
                         int64_t onset_ns)
{
    if (!ol_an_anom_room(an)) return OL_AN_NONE;
    ol_an_anom_t *a = &an->anoms[an->n_anoms];
    memset(a, 0, sizeof *a);
    a->service = ol_strndup(OL_MEM_ANALYZE, an->svcs[svc].name, an->svcs[svc].len);
    a->name = ol_strndup(OL_MEM_ANALYZE, name.len ? (const char *)name.ptr : "", name.len);
    if (!a->service || !a->name) {
        ol_an_anom_free(a);
        return OL_AN_NONE;
    }
    a->id = an->next_anomaly++;
    a->open = true;
    a->signal = signal;
    a->det = det;
    a->scope = scope;
    a->kind = kind;
    a->onset_ns = onset_ns;
    a->last_ns = an->now_event;
    a->score = a->peak = v->score;
    a->value = v->value;
    a->expected = v->expected;
    a->deviation = v->deviation;
    if (share) {
        a->share = share[0];
        a->share_expected = share[1];
        a->threshold = share[2];
    }
    ol_an_explain(an, a);
    a->incident = ol_an_incident_join(an, svc, onset_ns);
    an->n_anoms++;
    an->st.anomalies_opened++;
    ol_info("analysis: anomaly %" PRIu64 " opened (incident %" PRIu64 "): %s", a->id, a->incident, a->explanation);
    ol_an_persist_anom(an, a);
    return an->n_anoms - 1;
}

void ol_an_anom_update(ol_analyzer_t *an, uint32_t idx, const ol_an_verdict_t *v, int64_t t_ns)
{
    ol_an_anom_t *a = &an->anoms[idx];
    bool write = t_ns - a->last_ns >= 60000000000ll;
    a->last_ns = t_ns;
    a->value = v->value;
    a->deviation = v->deviation;
    if (a->signal >= OL_AN_A_RED) a->expected = v->expected;
    a->score = v->score;
    if (v->score > a->peak) a->peak = v->score;
    ol_an_explain(an, a);
    if (write) ol_an_persist_anom(an, a);
}

void ol_an_anom_close(ol_analyzer_t *an, uint32_t idx, int64_t end_ns)
{
    ol_an_anom_t *a = &an->anoms[idx];
    a->open = false;
    a->end_ns = end_ns > a->onset_ns ? end_ns : a->onset_ns;
    an->st.anomalies_closed++;
    ol_info("analysis: anomaly %" PRIu64 " closed: %s", a->id, a->explanation);
    ol_an_persist_anom(an, a);
    ol_an_incident_t *inc = ol_an_incident_get(an, a->incident);
    if (!inc || !inc->open) return;
    if (inc->n_open) inc->n_open--;
    if (inc->n_open == 0) {
        inc->open = false;
        inc->end_ns = a->end_ns;
        if (inc->alerted && an->opt.act) {
            char key[64];
            ol_an_fmt(key, sizeof key, "incident=%" PRIu64, inc->id);
            if (ol_act_resolve(an->opt.act, ol_slice_cstr(key)) != OL_OK)
                ol_warn("analysis: could not queue the resolution of incident %" PRIu64, inc->id);
        }
    }
    ol_an_persist_incident(an, inc);
}

/* The incident's strongest open anomaly of service svc (or of any when svc = NONE). */
static const ol_an_anom_t *ol_an_strongest(const ol_analyzer_t *an, uint64_t incident, uint32_t svc)
{
    const ol_an_anom_t *best = NULL;
    for (uint32_t i = 0; i < an->n_anoms; i++) {
        const ol_an_anom_t *a = &an->anoms[i];
        if (!a->open || a->incident != incident) continue;
        if (svc != OL_AN_NONE && strcmp(a->service, an->svcs[svc].name) != 0) continue;
        if (!best || a->peak > best->peak || (a->peak == best->peak && a->onset_ns < best->onset_ns)) best = a;
    }
    return best;
}

/* Whether every open anomaly of service s in the incident is more traffic:
 * load travels from callers to callees, the other way from errors and
 * latency. */
static bool ol_an_load_only(const ol_analyzer_t *an, uint64_t incident, uint32_t s)
{
    bool any = false;
    for (uint32_t k = 0; k < an->n_anoms; k++) {
        const ol_an_anom_t *a = &an->anoms[k];
        if (!a->open || a->incident != incident || strcmp(a->service, an->svcs[s].name) != 0) continue;
        if (a->signal != OL_AN_A_REQUESTS || !(a->value > a->expected)) return false;
        any = true;
    }
    return any;
}

/* Whether service s receives more traffic: an open anomaly of more
 * requests into it (the service or one of its operations; its edges are
 * its calls out). */
static bool ol_an_inbound_up(const ol_analyzer_t *an, uint64_t incident, uint32_t s)
{
    for (uint32_t k = 0; k < an->n_anoms; k++) {
        const ol_an_anom_t *a = &an->anoms[k];
        if (a->open && a->incident == incident && a->signal == OL_AN_A_REQUESTS && a->scope != OL_AN_SCOPE_EDGE &&
            a->value > a->expected && strcmp(a->service, an->svcs[s].name) == 0)
            return true;
    }
    return false;
}

/* Whether s's trouble came with its callers' traffic: more requests into s
 * and into a caller of s. A service slower or failing under three times
 * its load is a consequence of the surge, not its origin. */
static bool ol_an_loaded_from_above(const ol_analyzer_t *an, const ol_an_incident_t *inc, uint32_t s)
{
    if (!ol_an_inbound_up(an, inc->id, s)) return false;
    for (uint32_t j = 0; j < inc->n_svcs; j++) {
        uint32_t o = inc->svcs[j];
        if (o == s) continue;
        for (uint32_t k = 0; k < an->svcs[o].n_peers; k++)
            if (an->svcs[o].peers[k] == s && ol_an_inbound_up(an, inc->id, o)) return true;
    }
    return false;
}

/* The origin: among the incident's anomalous services, one that calls no
 * other anomalous service (the deepest: errors and latency travel up the
 * calls), except that a service whose only trouble is more traffic, called
 * by an anomalous service, got that traffic from its caller, and one with
 * more traffic whose caller has more traffic too owes its trouble to the
 * load from above (neither is an origin, nor makes its callers look
 * downstream of a fault); then the earliest onset. Its anomalous edge to a database, queue or host names
 * that peer instead. */
static void ol_an_incident_root(ol_analyzer_t *an, ol_an_incident_t *inc)
{
    uint32_t root = OL_AN_NONE;
    int64_t root_onset = INT64_MAX;
    for (uint32_t pass = 0; pass < 2 && root == OL_AN_NONE; pass++)
        for (uint32_t i = 0; i < inc->n_svcs; i++) {
            uint32_t s = inc->svcs[i];
            const ol_an_anom_t *a = ol_an_strongest(an, inc->id, s);
            if (!a) continue;
            bool calls_anomalous = false, loaded_by_caller = pass == 0 && ol_an_loaded_from_above(an, inc, s);
            bool load_only = ol_an_load_only(an, inc->id, s);
            for (uint32_t j = 0; pass == 0 && j < inc->n_svcs; j++) {
                uint32_t o = inc->svcs[j];
                if (o == s || !ol_an_strongest(an, inc->id, o)) continue;
                bool calls = false, called = false;
                for (uint32_t k = 0; k < an->svcs[s].n_peers; k++) calls |= an->svcs[s].peers[k] == o;
                for (uint32_t k = 0; k < an->svcs[o].n_peers; k++) called |= an->svcs[o].peers[k] == s;
                calls_anomalous |= calls && !ol_an_load_only(an, inc->id, o) && !ol_an_loaded_from_above(an, inc, o);
                loaded_by_caller |= called && load_only;
            }
            if (calls_anomalous || loaded_by_caller) continue;
            int64_t onset = INT64_MAX;
            for (uint32_t k = 0; k < an->n_anoms; k++) {
                const ol_an_anom_t *b = &an->anoms[k];
                if (b->open && b->incident == inc->id && strcmp(b->service, an->svcs[s].name) == 0 &&
                    b->onset_ns < onset)
                    onset = b->onset_ns;
            }
            if (onset < root_onset) {
                root = s;
                root_onset = onset;
            }
        }
    if (root == OL_AN_NONE) root = inc->svcs[0];
    /* calls from the origin to a database, queue or host it cannot see
     * inside explain the rest; so do failing or slow calls to a service that
     * itself shows nothing wrong (it is down, or the way to it is) */
    const char *name = an->svcs[root].name;
    const ol_an_anom_t *peer = NULL;
    for (uint32_t k = 0; k < an->n_anoms; k++) {
        const ol_an_anom_t *a = &an->anoms[k];
        if (!a->open || a->incident != inc->id || a->scope != OL_AN_SCOPE_EDGE || strcmp(a->service, name) != 0)
            continue;
        if (a->kind == 0) {
            uint32_t callee = ol_an_svc_find(an, ol_slice_cstr(a->name), false);
            if (a->signal == OL_AN_A_REQUESTS || (callee != OL_AN_NONE && ol_an_strongest(an, inc->id, callee)))
                continue;
        }
        if (!peer || a->peak > peer->peak) peer = a;
    }
    if (peer) name = peer->name;
    ol_an_fmt(inc->root, sizeof inc->root, "%s", name);
}

static void ol_an_incident_fire(ol_analyzer_t *an, ol_an_incident_t *inc)
{
    const ol_an_anom_t *top = ol_an_strongest(an, inc->id, OL_AN_NONE);
    if (!top) return;
    char key[64], id[32], score[32], services[1024], summary[OL_AN_MAX_NAME + 96], gen[128];
    ol_an_fmt(key, sizeof key, "incident=%" PRIu64, inc->id);
    ol_an_fmt(id, sizeof id, "%" PRIu64, inc->id);
    ol_an_fmt(score, sizeof score, "%.3f", top->peak);
    size_t n = 0;
    services[0] = 0;
    for (uint32_t i = 0; i < inc->n_svcs && n < sizeof services - 1; i++) {
        ol_an_fmt(services + n, sizeof services - n, "%s%s", i ? ", " : "", an->svcs[inc->svcs[i]].name);
        n += strlen(services + n);
    }
    ol_an_fmt(summary, sizeof summary, "Anomaly in %s (%s %s)", inc->root, top->service,
             ol_an_signal_name(top->signal));
    ol_an_fmt(gen, sizeof gen, "/api/v1/anomalies?incident=%" PRIu64 "&start=%" PRId64 "&status=all", inc->id,
             inc->onset_ns);
    ol_act_pair_t labels[] = {
        {OL_SLICE_LIT("alertname"), OL_SLICE_LIT("OllyAnomaly")},
        {OL_SLICE_LIT("service"), ol_slice_cstr(inc->root)},
        {OL_SLICE_LIT("severity"), inc->severity ? OL_SLICE_LIT("critical") : OL_SLICE_LIT("warning")},
        {OL_SLICE_LIT("incident"), ol_slice_cstr(id)},
    };
    ol_act_pair_t ann[] = {
        {OL_SLICE_LIT("summary"), ol_slice_cstr(summary)},
        {OL_SLICE_LIT("description"), ol_slice_cstr(top->explanation)},
        {OL_SLICE_LIT("services"), ol_slice_cstr(services)},
        {OL_SLICE_LIT("score"), ol_slice_cstr(score)},
        {OL_SLICE_LIT("signal"), ol_slice_cstr(ol_an_signal_name(top->signal))},
        {OL_SLICE_LIT("detector"), ol_slice_cstr(ol_an_det_name(top->det))},
    };
    ol_act_alert_t al = {.key = ol_slice_cstr(key), .labels = labels, .n_labels = OL_ARRAY_LEN(labels),
                         .annotations = ann, .n_annotations = OL_ARRAY_LEN(ann), .onset_ns = inc->onset_ns,
                         .generator = ol_slice_cstr(gen)};
    int rc = ol_act_fire(an->opt.act, &al);
    if (rc != OL_OK && rc != OL_BUSY) ol_warn("analysis: alert for incident %s refused: %s", id, ol_rc_str(rc));
}

/* Whether an incident is worth an alert: anything but more traffic is;
 * more traffic alone only from twice the usual (traffic wanders by half for
 * ten minutes on an ordinary day; it stays an anomaly in the API). */
static bool ol_an_incident_alertable(const ol_analyzer_t *an, const ol_an_incident_t *inc)
{
    for (uint32_t k = 0; k < an->n_anoms; k++) {
        const ol_an_anom_t *a = &an->anoms[k];
        if (!a->open || a->incident != inc->id) continue;
        if (a->signal != OL_AN_A_REQUESTS || !(a->value > a->expected) || a->value >= 2 * a->expected) return true;
    }
    return false;
}

void ol_an_incidents_run(ol_analyzer_t *an)
{
    int64_t wait = (int64_t)(OL_AN_GROUP_WAIT * an->opt.step_ns);
    for (uint32_t i = 0; i < an->n_incs; i++) {
        ol_an_incident_t *inc = &an->incs[i];
        if (!inc->open) continue;
        if (!inc->alerted && an->now_event - inc->created_ns >= wait && ol_an_incident_alertable(an, inc)) {
            ol_an_incident_root(an, inc);
            inc->severity = 0;
            for (uint32_t k = 0; k < an->n_anoms; k++) {
                const ol_an_anom_t *a = &an->anoms[k];
                if (a->open && a->incident == inc->id && a->signal == OL_AN_A_SLO && a->score >= 1.0)
                    inc->severity = 1;
            }
            inc->alerted = true;
            ol_an_persist_incident(an, inc);
            ol_info("analysis: incident %" PRIu64 " alerted: origin %s", inc->id, inc->root);
        }
        if (inc->alerted && an->opt.act) ol_an_incident_fire(an, inc);
    }
    /* closed incidents older than every anomaly kept are forgotten */
    uint64_t oldest = UINT64_MAX;
    for (uint32_t k = 0; k < an->n_anoms; k++)
        if (an->anoms[k].incident < oldest) oldest = an->anoms[k].incident;
    uint32_t keep = 0;
    for (uint32_t i = 0; i < an->n_incs; i++)
        if (an->incs[i].open || an->incs[i].id >= oldest) an->incs[keep++] = an->incs[i];
        else ol_an_persist_forget_incident(an, an->incs[i].id);
    an->n_incs = keep;
}
