/*
 * payload.c - the request bodies, one writer per receiver type. Each reads
 * an alert's record through an ol_act_view_t (what to say: firing or
 * resolved, and the endsAt to send) and appends JSON to a buffer.
 *
 * Alertmanager (POST /api/v2/alerts, openapi postableAlert): a JSON array
 * of {labels, annotations, startsAt, endsAt, generatorURL}. Label and
 * annotation names are made valid Prometheus names ([a-zA-Z_][a-zA-Z0-9_]*,
 * other bytes become '_') because Alertmanager rejects the whole batch
 * otherwise; labels with empty values are left out, as Prometheus does.
 * Annotations gain "onset" (the event-time onset, RFC 3339) and "links"
 * (one "text: URL" per line) unless the caller set them.
 *
 * Slack incoming webhook: "text" (the whole message in mrkdwn, which is what
 * Slack-compatible servers without Block Kit show, and Slack's notification
 * text) and "blocks" (sections with the summary, the description, up to ten
 * fields, the explanation, and the links). Text is escaped for mrkdwn
 * (&, <, >) and cut on a UTF-8 boundary below Slack's limits.
 *
 * PagerDuty Events API v2: trigger with routing_key, dedup_key, payload
 * {summary <= 1024, source, severity, timestamp, component, class,
 * custom_details}, links, client, client_url; resolve with routing_key,
 * dedup_key and event_action only. The dedup_key is the alert key, or a
 * hash of it when it is longer than PagerDuty's 255 bytes.
 *
 * Generic webhook: Alertmanager's own webhook message (version "4", one
 * alert, groupKey = the alert key) so that any receiver written for
 * Alertmanager's webhook_config works, plus an "olly" object with the key,
 * episode, onset and links.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "act/act_int.h"
#include "codec/json.h"
#include "core/util.h"

void ol_act_url(ol_buf_t *b, const char *external_url, ol_slice_t path_or_url)
{
    bool absolute = (path_or_url.len >= 7 && memcmp(path_or_url.ptr, "http://", 7) == 0) ||
                    (path_or_url.len >= 8 && memcmp(path_or_url.ptr, "https://", 8) == 0);
    if (!absolute) {
        ol_buf_append_cstr(b, external_url);
        if (!path_or_url.len || path_or_url.ptr[0] != '/') ol_buf_append_u8(b, '/');
    }
    ol_buf_append_slice(b, path_or_url);
}

static void ol_act_pct(ol_buf_t *b, ol_slice_t s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            ol_buf_append_u8(b, c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            ol_buf_append(b, e, 3);
        }
    }
}

void ol_act_generator_url(ol_buf_t *b, const ol_act_ev_t *c, const char *external_url)
{
    if (c->generator.len) {
        ol_act_url(b, external_url, c->generator);
        return;
    }
    ol_buf_append_cstr(b, external_url);
    ol_buf_append_cstr(b, "/api/v1/alerts?key=");
    ol_act_pct(b, c->key);
}

void ol_act_dedup_key(ol_buf_t *b, ol_slice_t key)
{
    if (key.len <= 255) {
        ol_buf_append_slice(b, key);
        return;
    }
    ol_buf_printf(b, "olly:%016" PRIx64 "%016" PRIx64, ol_hash64(key.ptr, key.len, 1),
                  ol_hash64(key.ptr, key.len, 2));
}

const char *ol_act_pd_severity(ol_slice_t sev)
{
    static const struct {
        const char *in, *out;
    } map[] = {{"critical", "critical"}, {"page", "critical"}, {"fatal", "critical"}, {"error", "error"},
               {"high", "error"},        {"major", "error"},   {"warning", "warning"}, {"warn", "warning"},
               {"ticket", "warning"},    {"minor", "warning"}, {"info", "info"},       {"low", "info"},
               {"none", "info"}};
    for (size_t i = 0; i < OL_ARRAY_LEN(map); i++)
        if (ol_slice_eq_nocase_cstr(sev, map[i].in)) return map[i].out;
    return "warning";
}

static void ol_act_time(ol_buf_t *b, uint64_t ns)
{
    char t[40];
    ol_time_format(ns, t);
    ol_json_write_cstr(b, t);
}

/* The longest prefix of s within max bytes that ends on a UTF-8 boundary. */
static ol_slice_t ol_act_cut(ol_slice_t s, size_t max)
{
    if (s.len <= max) return s;
    size_t n = max;
    while (n > 0 && (s.ptr[n] & 0xC0) == 0x80) n--;
    return ol_slice(s.ptr, n);
}

static void ol_act_am_name(ol_buf_t *b, ol_slice_t name)
{
    ol_buf_append_u8(b, '"');
    for (size_t i = 0; i < name.len; i++) {
        uint8_t c = name.ptr[i];
        bool digit = c >= '0' && c <= '9';
        if (i == 0 && digit) ol_buf_append_u8(b, '_');
        ol_buf_append_u8(b, (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || digit ? c : '_');
    }
    if (!name.len) ol_buf_append_u8(b, '_');
    ol_buf_append_u8(b, '"');
}

static void ol_act_name(ol_buf_t *b, ol_slice_t name, bool am)
{
    if (am) ol_act_am_name(b, name);
    else ol_json_write_string(b, name);
}

static void ol_act_labels(ol_buf_t *b, const ol_act_ev_t *c, bool am)
{
    ol_buf_append_u8(b, '{');
    bool first = true;
    for (uint32_t i = 0; i < c->n_labels; i++) {
        if (am && !c->labels[i].value.len) continue;
        if (!first) ol_buf_append_u8(b, ',');
        first = false;
        ol_act_name(b, c->labels[i].name, am);
        ol_buf_append_u8(b, ':');
        ol_json_write_string(b, c->labels[i].value);
    }
    ol_buf_append_u8(b, '}');
}

static void ol_act_links_text(ol_buf_t *b, const ol_act_ev_t *c, const char *ext)
{
    for (uint32_t i = 0; i < c->n_links; i++) {
        if (i) ol_buf_append_u8(b, '\n');
        if (c->links[i].name.len) {
            ol_buf_append_slice(b, c->links[i].name);
            ol_buf_append_cstr(b, ": ");
        }
        ol_act_url(b, ext, c->links[i].value);
    }
}

static void ol_act_annotations(ol_buf_t *b, const ol_act_ev_t *c, const char *ext, bool am, ol_buf_t *tmp)
{
    ol_buf_append_u8(b, '{');
    for (uint32_t i = 0; i < c->n_annotations; i++) {
        if (i) ol_buf_append_u8(b, ',');
        ol_act_name(b, c->annotations[i].name, am);
        ol_buf_append_u8(b, ':');
        ol_json_write_string(b, c->annotations[i].value);
    }
    bool comma = c->n_annotations > 0;
    if (c->onset_ns > 0 && !ol_act_get(c->annotations, c->n_annotations, "onset").len) {
        ol_buf_append_cstr(b, comma ? ",\"onset\":" : "\"onset\":");
        ol_act_time(b, (uint64_t)c->onset_ns);
        comma = true;
    }
    if (c->n_links && !ol_act_get(c->annotations, c->n_annotations, "links").len) {
        ol_buf_reset(tmp);
        ol_act_links_text(tmp, c, ext);
        ol_buf_append_cstr(b, comma ? ",\"links\":" : "\"links\":");
        ol_json_write_string(b, ol_buf_slice(tmp));
    }
    ol_buf_append_u8(b, '}');
}

static void ol_act_generator_json(ol_buf_t *b, const ol_act_ev_t *c, const char *ext, ol_buf_t *tmp)
{
    ol_buf_reset(tmp);
    ol_act_generator_url(tmp, c, ext);
    ol_json_write_string(b, ol_buf_slice(tmp));
}

static void ol_act_fail_into(ol_buf_t *b, const ol_buf_t *tmp)
{
    if (tmp->err != OL_OK && b->err == OL_OK) b->err = tmp->err;
}

void ol_act_payload_am(ol_buf_t *b, const ol_act_view_t *v, uint32_t n, const char *ext)
{
    ol_buf_t tmp;
    ol_buf_init(&tmp, OL_ACT_MEM, 0);
    ol_buf_append_u8(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        const ol_act_rec_t *r = v[i].r;
        if (i) ol_buf_append_u8(b, ',');
        ol_buf_append_cstr(b, "{\"labels\":");
        ol_act_labels(b, r->c, true);
        ol_buf_append_cstr(b, ",\"annotations\":");
        ol_act_annotations(b, r->c, ext, true, &tmp);
        ol_buf_append_cstr(b, ",\"startsAt\":");
        ol_act_time(b, r->starts_wall);
        ol_buf_append_cstr(b, ",\"endsAt\":");
        ol_act_time(b, OL_MAX(v[i].ends_wall, r->starts_wall));
        ol_buf_append_cstr(b, ",\"generatorURL\":");
        ol_act_generator_json(b, r->c, ext, &tmp);
        ol_buf_append_u8(b, '}');
    }
    ol_buf_append_u8(b, ']');
    ol_act_fail_into(b, &tmp);
    ol_buf_free(&tmp);
}

/* ---- Slack ---- */

static void ol_act_mrkdwn(ol_buf_t *b, ol_slice_t s, size_t max)
{
    ol_slice_t t = ol_act_cut(s, max);
    for (size_t i = 0; i < t.len; i++) {
        switch (t.ptr[i]) {
        case '&': ol_buf_append_cstr(b, "&amp;"); break;
        case '<': ol_buf_append_cstr(b, "&lt;"); break;
        case '>': ol_buf_append_cstr(b, "&gt;"); break;
        default: ol_buf_append_u8(b, t.ptr[i]);
        }
    }
    if (t.len < s.len) ol_buf_append_cstr(b, "\xE2\x80\xA6");
}

/* <url|text>; a URL holding '|' or '>' or a space cannot be a Slack link and is written as text. */
static void ol_act_slack_link(ol_buf_t *b, const char *ext, ol_slice_t href, ol_slice_t text, ol_buf_t *tmp)
{
    ol_buf_reset(tmp);
    ol_act_url(tmp, ext, href);
    ol_slice_t u = ol_buf_slice(tmp);
    bool linkable = u.len < 2000;
    for (size_t i = 0; i < u.len && linkable; i++) linkable = u.ptr[i] > ' ' && u.ptr[i] != '|' && u.ptr[i] != '>';
    if (!linkable) {
        ol_act_mrkdwn(b, text.len ? text : u, 300);
        return;
    }
    ol_buf_append_u8(b, '<');
    ol_act_mrkdwn(b, u, u.len);
    if (text.len) {
        ol_buf_append_u8(b, '|');
        ol_act_mrkdwn(b, text, 200);
    }
    ol_buf_append_u8(b, '>');
}

static void ol_act_duration(ol_buf_t *b, uint64_t ns)
{
    uint64_t s = ns / 1000000000ull;
    if (s >= 86400) ol_buf_printf(b, "%" PRIu64 "d %" PRIu64 "h", s / 86400, s % 86400 / 3600);
    else if (s >= 3600) ol_buf_printf(b, "%" PRIu64 "h %" PRIu64 "m", s / 3600, s % 3600 / 60);
    else if (s >= 60) ol_buf_printf(b, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
    else ol_buf_printf(b, "%" PRIu64 "s", s);
}

/* "*[FIRING] alertname* · service/operation" */
static void ol_act_slack_title(ol_buf_t *b, const ol_act_view_t *v)
{
    const ol_act_ev_t *c = v->r->c;
    ol_slice_t svc = ol_act_get(c->labels, c->n_labels, "service");
    ol_slice_t op = ol_act_get(c->labels, c->n_labels, "operation");
    ol_buf_append_cstr(b, v->resolved ? "*[RESOLVED] " : "*[FIRING] ");
    ol_act_mrkdwn(b, ol_act_get(c->labels, c->n_labels, "alertname"), 120);
    ol_buf_append_u8(b, '*');
    if (svc.len) {
        ol_buf_append_cstr(b, " \xC2\xB7 ");
        ol_act_mrkdwn(b, svc, 200);
        if (op.len) {
            ol_buf_append_u8(b, '/');
            ol_act_mrkdwn(b, op, 300);
        }
    }
}

static ol_slice_t ol_act_summary(const ol_act_ev_t *c)
{
    ol_slice_t s = ol_act_get(c->annotations, c->n_annotations, "summary");
    if (!s.len) s = ol_act_get(c->annotations, c->n_annotations, "description");
    return s.len ? s : c->key;
}

typedef struct ol_act_field {
    const char *title;
    ol_slice_t value;
    char own[48];
} ol_act_field_t;

static uint32_t ol_act_slack_fields(const ol_act_view_t *v, ol_act_field_t *f)
{
    const ol_act_rec_t *r = v->r;
    const ol_act_ev_t *c = r->c;
    uint32_t n = 0;
    static const struct {
        const char *title, *name;
        bool label;
    } from[] = {{"Severity", "severity", true}, {"Signal", "signal", true},     {"Score", "score", false},
                {"Detector", "detector", false}, {"Edge", "edge", true},        {"Environment", "environment", true}};
    for (size_t i = 0; i < OL_ARRAY_LEN(from); i++) {
        ol_slice_t val = from[i].label ? ol_act_get(c->labels, c->n_labels, from[i].name)
                                       : ol_act_get(c->annotations, c->n_annotations, from[i].name);
        if (val.len) f[n++] = (ol_act_field_t){.title = from[i].title, .value = val};
    }
    if (c->onset_ns > 0) {
        f[n].title = "Onset (event time)";
        ol_time_format((uint64_t)c->onset_ns, f[n].own);
        f[n].value = ol_slice_cstr(f[n].own);
        n++;
    }
    f[n].title = "Started";
    ol_time_format(r->starts_wall, f[n].own);
    f[n].value = ol_slice_cstr(f[n].own);
    n++;
    if (v->resolved) {
        f[n].title = "Resolved";
        ol_time_format(OL_MAX(r->ends_wall, r->starts_wall), f[n].own);
        f[n].value = ol_slice_cstr(f[n].own);
        n++;
    }
    return n;
}

static void ol_act_section(ol_buf_t *b, ol_slice_t mrkdwn)
{
    ol_buf_append_cstr(b, ",{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":");
    ol_json_write_string(b, mrkdwn);
    ol_buf_append_cstr(b, "}}");
}

void ol_act_payload_slack(ol_buf_t *b, const ol_act_view_t *v, const char *ext)
{
    const ol_act_rec_t *r = v->r;
    const ol_act_ev_t *c = r->c;
    ol_buf_t text, t2, tmp;
    ol_buf_init(&text, OL_ACT_MEM, 0);
    ol_buf_init(&t2, OL_ACT_MEM, 0);
    ol_buf_init(&tmp, OL_ACT_MEM, 0);
    ol_slice_t summary = ol_act_summary(c), desc = ol_act_get(c->annotations, c->n_annotations, "description");
    ol_slice_t expl = ol_act_get(c->annotations, c->n_annotations, "explanation");
    if (ol_slice_eq(desc, summary)) desc = OL_SLICE_NULL;
    ol_act_field_t f[10];
    uint32_t nf = ol_act_slack_fields(v, f);

    /* the whole message as text */
    ol_act_slack_title(&text, v);
    ol_buf_append_u8(&text, '\n');
    ol_act_mrkdwn(&text, summary, 1000);
    if (v->resolved) {
        ol_buf_append_cstr(&text, "\nResolved after ");
        ol_act_duration(&text, r->ends_wall > r->starts_wall ? r->ends_wall - r->starts_wall : 0);
        ol_buf_append_u8(&text, '.');
    }
    if (desc.len) {
        ol_buf_append_u8(&text, '\n');
        ol_act_mrkdwn(&text, desc, 1000);
    }
    for (uint32_t i = 0; i < nf; i++) {
        ol_buf_append_cstr(&text, i ? " \xC2\xB7 " : "\n");
        ol_buf_append_cstr(&text, f[i].title);
        ol_buf_append_cstr(&text, ": ");
        ol_act_mrkdwn(&text, f[i].value, 200);
    }
    /* links, shared by the text and the last block */
    ol_buf_t gen;
    ol_buf_init(&gen, OL_ACT_MEM, 0);
    ol_act_generator_url(&gen, c, ext);
    ol_act_slack_link(&t2, ext, ol_buf_slice(&gen), OL_SLICE_LIT("Open in Olly"), &tmp);
    for (uint32_t i = 0; i < c->n_links; i++) {
        ol_buf_append_cstr(&t2, " \xC2\xB7 ");
        ol_act_slack_link(&t2, ext, c->links[i].value, c->links[i].name, &tmp);
    }
    ol_act_fail_into(b, &gen);
    ol_buf_free(&gen);
    ol_buf_append_u8(&text, '\n');
    ol_buf_append_slice(&text, ol_buf_slice(&t2));

    ol_buf_append_cstr(b, "{\"text\":");
    ol_json_write_string(b, ol_act_cut(ol_buf_slice(&text), 3900));
    ol_buf_append_cstr(b, ",\"blocks\":[");
    /* 1: title and summary */
    ol_buf_reset(&tmp);
    ol_act_slack_title(&tmp, v);
    ol_buf_append_u8(&tmp, '\n');
    ol_act_mrkdwn(&tmp, summary, 2000);
    ol_buf_append_cstr(b, "{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":");
    ol_json_write_string(b, ol_act_cut(ol_buf_slice(&tmp), 2990));
    ol_buf_append_cstr(b, "}}");
    if (desc.len) {
        ol_buf_reset(&tmp);
        ol_act_mrkdwn(&tmp, desc, 2900);
        ol_act_section(b, ol_buf_slice(&tmp));
    }
    ol_buf_append_cstr(b, ",{\"type\":\"section\",\"fields\":[");
    for (uint32_t i = 0; i < nf; i++) {
        ol_buf_reset(&tmp);
        ol_buf_printf(&tmp, "*%s*\n", f[i].title);
        ol_act_mrkdwn(&tmp, f[i].value, 1900);
        if (i) ol_buf_append_u8(b, ',');
        ol_buf_append_cstr(b, "{\"type\":\"mrkdwn\",\"text\":");
        ol_json_write_string(b, ol_buf_slice(&tmp));
        ol_buf_append_u8(b, '}');
    }
    ol_buf_append_cstr(b, "]}");
    if (expl.len) {
        ol_buf_reset(&tmp);
        ol_act_mrkdwn(&tmp, expl, 2900);
        ol_act_section(b, ol_buf_slice(&tmp));
    }
    ol_buf_append_cstr(b, ",{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":");
    ol_json_write_string(b, ol_act_cut(ol_buf_slice(&t2), 2990));
    ol_buf_append_cstr(b, "}]}]}");
    ol_act_fail_into(b, &text);
    ol_act_fail_into(b, &t2);
    ol_act_fail_into(b, &tmp);
    ol_buf_free(&text);
    ol_buf_free(&t2);
    ol_buf_free(&tmp);
}

/* ---- PagerDuty ---- */

static void ol_act_pd_key(ol_buf_t *b, const ol_act_ev_t *c, ol_buf_t *tmp)
{
    ol_buf_reset(tmp);
    ol_act_dedup_key(tmp, c->key);
    ol_json_write_string(b, ol_buf_slice(tmp));
}

void ol_act_payload_pagerduty(ol_buf_t *b, const ol_act_view_t *v, const ol_act_receiver_t *rc, const char *ext)
{
    const ol_act_rec_t *r = v->r;
    const ol_act_ev_t *c = r->c;
    ol_buf_t tmp;
    ol_buf_init(&tmp, OL_ACT_MEM, 0);
    ol_buf_append_cstr(b, "{\"routing_key\":");
    ol_json_write_cstr(b, rc->routing_key);
    ol_buf_append_cstr(b, ",\"dedup_key\":");
    ol_act_pd_key(b, c, &tmp);
    if (v->resolved) {
        ol_buf_append_cstr(b, ",\"event_action\":\"resolve\"}");
        ol_act_fail_into(b, &tmp);
        ol_buf_free(&tmp);
        return;
    }
    ol_slice_t svc = ol_act_get(c->labels, c->n_labels, "service");
    ol_slice_t op = ol_act_get(c->labels, c->n_labels, "operation");
    ol_slice_t signal = ol_act_get(c->labels, c->n_labels, "signal");
    ol_buf_append_cstr(b, ",\"event_action\":\"trigger\",\"payload\":{\"summary\":");
    ol_buf_reset(&tmp);
    ol_buf_append_u8(&tmp, '[');
    ol_buf_append_slice(&tmp, ol_act_get(c->labels, c->n_labels, "alertname"));
    ol_buf_append_cstr(&tmp, "] ");
    if (svc.len) {
        ol_buf_append_slice(&tmp, svc);
        ol_buf_append_cstr(&tmp, ": ");
    }
    ol_buf_append_slice(&tmp, ol_act_summary(c));
    ol_json_write_string(b, ol_act_cut(ol_buf_slice(&tmp), 1024));
    ol_buf_append_cstr(b, ",\"source\":");
    ol_json_write_string(b, svc.len ? ol_act_cut(svc, 255) : OL_SLICE_LIT("olly"));
    ol_buf_append_cstr(b, ",\"severity\":");
    ol_json_write_cstr(b, ol_act_pd_severity(ol_act_get(c->labels, c->n_labels, "severity")));
    ol_buf_append_cstr(b, ",\"timestamp\":");
    ol_act_time(b, r->starts_wall);
    if (op.len) {
        ol_buf_append_cstr(b, ",\"component\":");
        ol_json_write_string(b, ol_act_cut(op, 255));
    }
    if (signal.len) {
        ol_buf_append_cstr(b, ",\"class\":");
        ol_json_write_string(b, ol_act_cut(signal, 255));
    }
    ol_buf_append_cstr(b, ",\"custom_details\":{\"alert_key\":");
    ol_json_write_string(b, c->key);
    if (c->onset_ns > 0) {
        ol_buf_append_cstr(b, ",\"onset\":");
        ol_act_time(b, (uint64_t)c->onset_ns);
    }
    ol_buf_append_cstr(b, ",\"labels\":");
    ol_act_labels(b, c, false);
    ol_buf_append_cstr(b, ",\"annotations\":");
    ol_act_annotations(b, c, ext, false, &tmp);
    ol_buf_append_cstr(b, "}},\"links\":[{\"href\":");
    ol_act_generator_json(b, c, ext, &tmp);
    ol_buf_append_cstr(b, ",\"text\":\"Open in Olly\"}");
    for (uint32_t i = 0; i < c->n_links; i++) {
        ol_buf_append_cstr(b, ",{\"href\":");
        ol_buf_reset(&tmp);
        ol_act_url(&tmp, ext, c->links[i].value);
        ol_json_write_string(b, ol_buf_slice(&tmp));
        if (c->links[i].name.len) {
            ol_buf_append_cstr(b, ",\"text\":");
            ol_json_write_string(b, c->links[i].name);
        }
        ol_buf_append_u8(b, '}');
    }
    ol_buf_append_cstr(b, "],\"client\":\"Olly\",\"client_url\":");
    ol_json_write_cstr(b, ext);
    ol_buf_append_u8(b, '}');
    ol_act_fail_into(b, &tmp);
    ol_buf_free(&tmp);
}

/* ---- generic webhook ---- */

void ol_act_payload_webhook(ol_buf_t *b, const ol_act_view_t *v, const ol_act_receiver_t *rc, const char *ext)
{
    const ol_act_rec_t *r = v->r;
    const ol_act_ev_t *c = r->c;
    const char *status = v->resolved ? "\"resolved\"" : "\"firing\"";
    ol_buf_t tmp;
    ol_buf_init(&tmp, OL_ACT_MEM, 0);
    ol_buf_append_cstr(b, "{\"version\":\"4\",\"groupKey\":");
    ol_json_write_string(b, c->key);
    ol_buf_append_cstr(b, ",\"truncatedAlerts\":0,\"status\":");
    ol_buf_append_cstr(b, status);
    ol_buf_append_cstr(b, ",\"receiver\":");
    ol_json_write_cstr(b, rc->name);
    ol_buf_append_cstr(b, ",\"groupLabels\":{},\"commonLabels\":");
    ol_act_labels(b, c, false);
    ol_buf_append_cstr(b, ",\"commonAnnotations\":");
    ol_act_annotations(b, c, ext, false, &tmp);
    ol_buf_append_cstr(b, ",\"externalURL\":");
    ol_json_write_cstr(b, ext);
    ol_buf_append_cstr(b, ",\"alerts\":[{\"status\":");
    ol_buf_append_cstr(b, status);
    ol_buf_append_cstr(b, ",\"labels\":");
    ol_act_labels(b, c, false);
    ol_buf_append_cstr(b, ",\"annotations\":");
    ol_act_annotations(b, c, ext, false, &tmp);
    ol_buf_append_cstr(b, ",\"startsAt\":");
    ol_act_time(b, r->starts_wall);
    ol_buf_append_cstr(b, ",\"endsAt\":");
    if (v->resolved) ol_act_time(b, OL_MAX(r->ends_wall, r->starts_wall));
    else ol_buf_append_cstr(b, "\"0001-01-01T00:00:00Z\"");
    ol_buf_append_cstr(b, ",\"generatorURL\":");
    ol_act_generator_json(b, c, ext, &tmp);
    ol_buf_printf(b, ",\"fingerprint\":\"%016" PRIx64 "\"}],\"olly\":{\"key\":", ol_hash64(c->key.ptr, c->key.len, 0));
    ol_json_write_string(b, c->key);
    ol_buf_printf(b, ",\"episode\":%u", r->episode);
    if (c->onset_ns > 0) {
        ol_buf_append_cstr(b, ",\"onset\":");
        ol_act_time(b, (uint64_t)c->onset_ns);
    }
    ol_buf_append_cstr(b, ",\"links\":[");
    for (uint32_t i = 0; i < c->n_links; i++) {
        ol_buf_append_cstr(b, i ? ",{\"href\":" : "{\"href\":");
        ol_buf_reset(&tmp);
        ol_act_url(&tmp, ext, c->links[i].value);
        ol_json_write_string(b, ol_buf_slice(&tmp));
        ol_buf_append_cstr(b, ",\"text\":");
        ol_json_write_string(b, c->links[i].name);
        ol_buf_append_u8(b, '}');
    }
    ol_buf_append_cstr(b, "]}}");
    ol_act_fail_into(b, &tmp);
    ol_buf_free(&tmp);
}
