/*
 * act.h - alerting: anomalies become alerts that are deduplicated, kept
 * while firing, resolved, and delivered to receivers chosen by a routing
 * configuration: Prometheus Alertmanager (v2 API), Slack-compatible incoming
 * webhooks, PagerDuty Events API v2 and generic JSON webhooks.
 *
 * Shape. Analysis calls ol_act_fire() at every step an anomaly is open and
 * ol_act_resolve() once it is over. Both only copy the alert into a bounded
 * queue and wake the act thread: they never wait for a receiver, the state
 * store or the API (a full queue is OL_BUSY, counted and logged). The act
 * thread owns everything else: the table of alerts (one per key), the
 * routing decision, the state bookkeeping and the HTTP deliveries, which
 * run concurrently on one libcurl multi handle with timeouts.
 *
 * Deduplication is per key: repeated fires update the alert's labels,
 * annotations and links without notifying. Slack, PagerDuty and webhooks
 * hear each episode of an alert once as firing and once as resolved, in that
 * order (one request in flight per alert and receiver); Alertmanager gets
 * every open alert again each resend interval with endsAt = now + 4 x resend
 * interval (as Prometheus does, so Alertmanager resolves it by itself if
 * Olly goes away), and the resolved alert with endsAt = the resolve time.
 * startsAt/endsAt are wall-clock times; the anomaly's event-time onset is
 * the "onset" annotation, so replayed or accelerated telemetry behaves.
 * Failed deliveries (network errors, 5xx, 408, 429) are retried with
 * exponential backoff and jitter up to a cap (429 honours Retry-After); other
 * 4xx answers fail at once. Everything is counted (ol_act_metrics_text).
 *
 * Ownership across nodes: the first fire of a key creates its entry in the
 * state store (namespace "alert") with expect_version OL_STATE_ABSENT; only
 * the node whose create succeeds notifies, the others keep the alert for
 * the API and leave it. The owner rewrites the entry at every state change
 * and every resend interval while it owes anything (a heartbeat); an entry
 * whose heartbeat is older than 10 resend intervals is taken over by
 * compare-and-set with what its receivers heard, and a resolved, delivered
 * one by the next node where the key fires anew. A restart reloads this
 * node's entries, so firing alerts are not announced again and are still
 * resolved later. docs/alerts.md describes the configuration, the payloads
 * and the stored layout.
 *
 * Thread safety: fire, resolve, sync, alerts_json, metrics_text and stats
 * may be called from any thread at once; destroy must not race with them.
 */
#ifndef OL_ACT_ACT_H
#define OL_ACT_ACT_H

#include "core/buf.h"
#include "core/common.h"
#include "state/state.h"

typedef struct ol_act ol_act_t;
typedef struct ol_act_config ol_act_config_t;

#define OL_ACT_MAX_PAIRS 64        /* labels, annotations (each) */
#define OL_ACT_MAX_LINKS 16
#define OL_ACT_MAX_VALUE (16u << 10) /* bytes of one label/annotation value or link */
#define OL_ACT_MAX_KEY 512

/* A label, an annotation, or a link (name = its text, value = its href: an
 * absolute URL, or a path that is put under the external URL). */
typedef struct ol_act_pair {
    ol_slice_t name;
    ol_slice_t value;
} ol_act_pair_t;

/* What analysis reports about one open anomaly. Only read during the call. */
typedef struct ol_act_alert {
    ol_slice_t key; /* stable identity, e.g. "svc=checkout;incident=42"; required */
    const ol_act_pair_t *labels;      /* alertname, service, operation, severity, signal, ... */
    uint32_t n_labels;                /* (alertname defaults to "OllyAnomaly") */
    const ol_act_pair_t *annotations; /* summary, description, score, detector, explanation, ... */
    uint32_t n_annotations;
    const ol_act_pair_t *links; /* e.g. example traces */
    uint32_t n_links;
    int64_t onset_ns;     /* event time the anomaly began (0 = unknown); becomes the "onset" annotation */
    ol_slice_t generator; /* path and query under the external URL (or an absolute URL) that shows the
                           * anomaly, e.g. "/api/v1/anomalies?service=checkout&start=..."; empty =
                           * "/api/v1/alerts?key=<key>" */
} ol_act_alert_t;

/* ---- configuration (a JSON file, docs/alerts.md) ---- */

/* Parses a routing configuration. OL_OK; OL_CORRUPT with err naming the
 * field and why ("receivers[1].url: missing"); OL_NOMEM. */
int ol_act_config_parse(ol_slice_t json, ol_act_config_t **out, ol_err_t *err);
/* Reads and parses a file (err names the path on failure). */
int ol_act_config_load(const char *path, ol_act_config_t **out, ol_err_t *err);
void ol_act_config_free(ol_act_config_t *c);

typedef struct ol_act_options {
    ol_act_config_t *config;  /* taken over (also on failure); NULL = no receivers, defaults */
    ol_state_t *state;        /* alert bookkeeping; NULL = nothing persisted, single node. Must outlive act */
    const char *node_id;      /* overrides the config's node_id; neither = the host name */
    const char *external_url; /* used when the config has none; neither = "http://localhost:3300" */
} ol_act_options_t;

/* Starts the act thread after reloading this node's alerts from the state.
 * OL_OK, OL_NOMEM, OL_ERR (err says). */
int ol_act_create(const ol_act_options_t *opt, ol_act_t **out, ol_err_t *err);
/* Applies what is queued, keeps delivering state changes until nothing is
 * left or the configured shutdown_flush_ms passed, then stops. What was not
 * delivered stays in the state and goes out after the next start. NULL ok. */
void ol_act_destroy(ol_act_t *a);

/* Reports that the anomaly behind alert->key is open. Copies the alert.
 * OL_OK (queued); OL_BUSY when the queue is full (the fire is dropped,
 * counted in olly_alert_events_total{result="dropped"} and logged; fire
 * again at the next step); OL_CORRUPT for an empty key; OL_LIMIT when a size
 * or count above is exceeded; OL_NOMEM. O(size of the alert), no I/O. */
int ol_act_fire(ol_act_t *a, const ol_act_alert_t *alert);
/* Reports that the anomaly is over (wall time of the call = endsAt).
 * Unknown or already resolved keys are ignored. Same codes as fire. */
int ol_act_resolve(ol_act_t *a, ol_slice_t key);
/* Waits until every fire/resolve queued before the call has been applied
 * to the alert table (not delivered). OL_OK or OL_AGAIN after timeout_ms. */
int ol_act_sync(ol_act_t *a, uint64_t timeout_ms);

/* GET /api/v1/alerts: {"alerts":[...],"receivers":[...],"queue":{...}},
 * firing alerts first (newest first), then the recently resolved ones
 * (docs/alerts.md). OL_OK or the buffer's error. */
int ol_act_alerts_json(ol_act_t *a, ol_buf_t *out);
/* Appends the olly_alert* series in Prometheus text format. NULL ok. */
void ol_act_metrics_text(ol_act_t *a, ol_buf_t *out);

typedef struct ol_act_stats {
    uint64_t events_queued, events_dropped; /* fire/resolve calls accepted / dropped (queue full) */
    uint64_t table_full;                    /* new keys refused because max_alerts alerts are kept */
    uint64_t sent, retried, failed;         /* notifications, all receivers */
    uint64_t claims_owned, claims_busy;     /* first fires that created / found the state entry */
    uint64_t state_errors;
    uint32_t queue_len, in_flight, pending, firing, resolved;
} ol_act_stats_t;
void ol_act_stats(ol_act_t *a, ol_act_stats_t *out);

#endif
