/*
 * act_int.h - the layouts behind act.h, shared by its files:
 *   config.c   the routing configuration (parse, route matching)
 *   event.c    a fire/resolve packed into one allocation; the stored record
 *   payload.c  request bodies per receiver type
 *   act.c      the queue, the alert table, ownership, the API JSON, metrics
 *   deliver.c  the act thread: scheduling, libcurl, retries
 *
 * The act thread is the only writer of the alert table; it takes a->mu for
 * each change so that the API can read under a->mu. Callers of fire/resolve
 * only touch the queue under a->qmu.
 */
#ifndef OL_ACT_ACT_INT_H
#define OL_ACT_ACT_INT_H

#include <pthread.h>
#include <regex.h>

#include "act/act.h"
#include "core/arena.h"

#define OL_ACT_MEM OL_MEM_ACT
#define OL_ACT_MAX_RECEIVERS 64 /* routes keep receiver sets as 64-bit masks */
#define OL_ACT_AM_BATCH 64      /* alerts per Alertmanager POST (Prometheus's batch size) */
#define OL_ACT_RECV_IN_FLIGHT 4 /* concurrent requests per receiver */

typedef enum { OL_ACT_AM = 0, OL_ACT_SLACK, OL_ACT_PAGERDUTY, OL_ACT_WEBHOOK } ol_act_type_t;

const char *ol_act_type_name(ol_act_type_t t);

typedef struct ol_act_receiver {
    const char *name;
    ol_act_type_t type;
    const char *url;         /* for Alertmanager with /api/v2/alerts appended */
    const char *routing_key; /* PagerDuty */
    const char **headers;    /* "Name: value", for curl */
    uint32_t n_headers;
    uint32_t timeout_ms;
} ol_act_receiver_t;

typedef struct ol_act_matcher {
    const char *label;
    const char *value; /* exact, or the regex text */
    bool is_re;
    regex_t re; /* anchored: ^(?:value)$ */
} ol_act_matcher_t;

typedef struct ol_act_route {
    ol_act_matcher_t *m;
    uint32_t n_m;
    uint64_t receivers; /* bit i = cfg->recv[i] */
    bool cont;          /* keep looking at later routes after a match */
} ol_act_route_t;

struct ol_act_config {
    ol_arena_t *arena; /* every string and array below */
    ol_act_receiver_t *recv;
    uint32_t n_recv;
    ol_act_route_t *routes;
    uint32_t n_routes;
    bool has_routes; /* without "routes" every alert goes to every receiver */
    uint64_t resend_ns;
    const char *external_url; /* no trailing '/'; NULL = the option's */
    const char *node_id;
    uint32_t queue_size, max_alerts;
    uint64_t resolved_keep_ns;
    uint32_t retry_initial_ms, retry_max_ms;
    uint64_t give_up_ns;
    uint32_t timeout_ms, shutdown_flush_ms;
};

/* Fills the defaults (no receivers). */
void ol_act_config_defaults(ol_act_config_t *c);
/* The receivers an alert with these labels goes to (bit i = recv[i]). */
uint64_t ol_act_route(const ol_act_config_t *c, const ol_act_pair_t *labels, uint32_t n);

/* ---- an alert's content: one allocation, strings NUL-terminated ---- */
typedef enum { OL_ACT_EV_FIRE = 1, OL_ACT_EV_RESOLVE } ol_act_ev_kind_t;

typedef struct ol_act_ev {
    size_t size; /* of the whole allocation */
    uint8_t kind;
    uint64_t wall_ns; /* when fire/resolve was called */
    uint64_t seq;     /* queue order, for ol_act_sync */
    int64_t onset_ns;
    ol_slice_t key, generator;
    ol_act_pair_t *labels, *annotations, *links;
    uint32_t n_labels, n_annotations, n_links;
} ol_act_ev_t;

/* Packs a copy (checks the limits of act.h; adds alertname when missing).
 * OL_OK, OL_CORRUPT (empty key), OL_LIMIT, OL_NOMEM. */
int ol_act_ev_pack(const ol_act_alert_t *al, ol_act_ev_kind_t kind, ol_act_ev_t **out);
void ol_act_ev_free(ol_act_ev_t *e);
/* The value of a label / annotation, or an empty slice. */
ol_slice_t ol_act_get(const ol_act_pair_t *p, uint32_t n, const char *name);

/* ---- the alert table ---- */
enum { OL_ACT_FIRING = 1, OL_ACT_RESOLVED = 2 };
/* What a receiver last heard about an alert. */
enum { OL_ACT_TOLD_NONE = 0, OL_ACT_TOLD_FIRING, OL_ACT_TOLD_RESOLVED, OL_ACT_TOLD_GAVE_UP };

typedef struct ol_act_slot {
    uint32_t recv;      /* index into cfg->recv */
    uint8_t told;       /* OL_ACT_TOLD_* */
    bool in_flight;
    uint32_t announced; /* the episode whose firing the receiver heard (0 = none) */
    uint32_t attempts;  /* failed attempts of the current step */
    uint64_t next_mono; /* not before (backoff; Alertmanager: next resend) */
    uint64_t step_mono; /* first attempt of the current step, for give_up */
    char err[112];      /* the last failure, for the API */
} ol_act_slot_t;

typedef struct ol_act_rec {
    struct ol_act_rec *hnext;
    uint64_t hash;
    ol_act_ev_t *c; /* current content (the last fire) */
    uint8_t status;
    bool owned;
    bool dirty; /* to be written to the state */
    bool quiet; /* not owned, resolved, and its owner resolved it too: no more checks */
    char owner[64];
    uint32_t episode;
    uint64_t starts_wall, ends_wall, updated_wall, fires;
    uint64_t version;   /* of the state entry */
    uint64_t beat_mono; /* owned: next heartbeat write; not owned: next ownership check */
    ol_act_slot_t *slots;
    uint32_t n_slots;
    size_t cap_slots;
} ol_act_rec_t;

/* ---- the stored record (state namespace "alert", docs/alerts.md) ---- */
typedef struct ol_act_stored_slot {
    ol_slice_t receiver;
    uint8_t told;
    uint32_t announced;
} ol_act_stored_slot_t;

typedef struct ol_act_stored {
    ol_slice_t owner;
    uint32_t episode;
    uint8_t status;
    bool settled; /* resolved and every receiver done: anyone may reuse the key */
    uint64_t starts_wall, ends_wall, updated_wall, heartbeat_wall, fires;
    ol_act_alert_t alert; /* key is not stored (it is the state key) */
    ol_act_pair_t *pairs; /* labels, annotations, links (arena) */
    ol_act_stored_slot_t *slots;
    uint32_t n_slots;
} ol_act_stored_t;

void ol_act_stored_encode(ol_buf_t *b, const ol_act_rec_t *r, const ol_act_config_t *cfg, const char *owner,
                          bool settled, uint64_t heartbeat_wall);
/* Decodes into slices of blob and arrays from the arena. OL_OK, OL_CORRUPT. */
int ol_act_stored_decode(ol_slice_t blob, ol_arena_t *arena, ol_act_stored_t *out);

/* ---- payloads (payload.c) ---- */
typedef struct ol_act_view {
    const ol_act_rec_t *r;
    bool resolved;      /* what to say (may differ from r->status) */
    uint64_t ends_wall; /* Alertmanager firing: now + 4 x resend */
} ol_act_view_t;

/* Alertmanager POST /api/v2/alerts body: a JSON array of postableAlert. */
void ol_act_payload_am(ol_buf_t *b, const ol_act_view_t *v, uint32_t n, const char *external_url);
void ol_act_payload_slack(ol_buf_t *b, const ol_act_view_t *v, const char *external_url);
void ol_act_payload_pagerduty(ol_buf_t *b, const ol_act_view_t *v, const ol_act_receiver_t *rc,
                              const char *external_url);
/* The Alertmanager webhook_config message (version "4"), one alert. */
void ol_act_payload_webhook(ol_buf_t *b, const ol_act_view_t *v, const ol_act_receiver_t *rc,
                            const char *external_url);
/* Absolute URL for a path or URL (writes the raw URL, not JSON). */
void ol_act_url(ol_buf_t *b, const char *external_url, ol_slice_t path_or_url);
/* The generatorURL of an alert (raw). */
void ol_act_generator_url(ol_buf_t *b, const ol_act_ev_t *c, const char *external_url);
/* PagerDuty's dedup_key for an alert key (the key itself when it fits in 255 bytes). */
void ol_act_dedup_key(ol_buf_t *b, ol_slice_t key);
/* PagerDuty severity for a "severity" label value. */
const char *ol_act_pd_severity(ol_slice_t sev);

/* ---- the act instance ---- */
typedef struct ol_act_recv_stats {
    uint64_t sent, retried, failed;
    uint32_t in_flight, pending;
} ol_act_recv_stats_t;

typedef struct ol_act_req ol_act_req_t;

struct ol_act {
    ol_act_config_t *cfg;
    ol_state_t *state;
    char node_id[64];
    const char *external_url;
    char *external_url_own;

    /* queue: callers -> act thread */
    pthread_mutex_t qmu;
    pthread_cond_t qcv; /* applied_seq moved */
    ol_act_ev_t **q;
    uint32_t q_head, q_len;
    uint64_t enq_seq, applied_seq;
    uint64_t events_queued, events_dropped, drops_unlogged;
    uint64_t last_drop_log_mono;
    bool paused; /* tests: the thread leaves the queue alone */

    /* table: written by the act thread under mu */
    pthread_mutex_t mu;
    ol_act_rec_t **buckets;
    uint32_t n_buckets, n_recs;
    ol_act_recv_stats_t *rs;
    uint64_t table_full, claims_owned, claims_busy, state_errors;
    uint32_t in_flight;

    /* act thread */
    void *multi;       /* CURLM */
    ol_act_req_t *reqs; /* in flight (act thread only) */
    pthread_t thread;
    bool thread_on;
    volatile int stopping;
    uint64_t stop_deadline_mono;
    uint64_t rng;
    ol_buf_t scratch;
};

/* act.c: applying events and the table, used by deliver.c */
void ol_act_apply_queue(ol_act_t *a);
void ol_act_maintain(ol_act_t *a, uint64_t now_mono, uint64_t now_wall, uint64_t *next_wake);
void ol_act_persist(ol_act_t *a, ol_act_rec_t *r, uint64_t now_mono);
/* What the slot's receiver should hear next: 0, OL_ACT_FIRING or OL_ACT_RESOLVED
 * (for Alertmanager, firing is always wanted; next_mono says when). */
int ol_act_slot_need(const ol_act_config_t *cfg, const ol_act_rec_t *r, const ol_act_slot_t *s);
/* Whether the receiver is owed a notification (Alertmanager's periodic resends are not owed). */
bool ol_act_slot_owed(const ol_act_config_t *cfg, const ol_act_rec_t *r, const ol_act_slot_t *s);

/* deliver.c */
void *ol_act_thread(void *arg);
int ol_act_deliver_init(ol_act_t *a);
void ol_act_deliver_fini(ol_act_t *a);
void ol_act_wake(ol_act_t *a);

/* Tests: while paused the act thread does not take events from the queue. */
void ol_act_test_pause(ol_act_t *a, bool paused);

#endif
