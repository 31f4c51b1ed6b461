/*
 * conn.h - private to src/net: the connection I/O layer and the server's
 * internal layout shared by server.c (listeners, HTTP/1.1) and grpc.c.
 *
 * Sockets are non-blocking; every read and write waits with poll() against an
 * absolute monotonic deadline, so a connection thread behaves like blocking
 * I/O with timeouts, also under TLS where one SSL_read may need several
 * socket reads (a client that stalls inside a TLS record still times out).
 * tls.c implements the I/O for both plain sockets and OpenSSL.
 */
#ifndef OL_NET_CONN_H
#define OL_NET_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "net/server.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

typedef struct ol_net_conn {
    int fd;
    SSL *ssl;
    int wake_fd;    /* readable once the server stops; -1 = none */
    char peer[80];  /* "ip:port" or "[ip6]:port" */
} ol_net_conn_t;

/* Results of the waiting calls besides a byte count. */
enum { OL_NET_TIMEOUT = -100, OL_NET_WOKEN = -101 };

/* Reads up to n bytes. Returns >0 bytes, 0 on orderly EOF, OL_NET_TIMEOUT at
 * deadline (monotonic ns; 0 = none), OL_ERR on a reset or TLS error. */
ssize_t ol_net_conn_read(ol_net_conn_t *c, void *p, size_t n, uint64_t deadline);
/* Writes all n bytes or returns OL_NET_TIMEOUT / OL_ERR. */
int ol_net_conn_write(ol_net_conn_t *c, const void *p, size_t n, uint64_t deadline);
/* Waits until input is available: OL_OK, OL_NET_TIMEOUT, OL_NET_WOKEN (stop
 * requested while waiting, when watch_wake), OL_ERR. */
int ol_net_conn_wait(ol_net_conn_t *c, uint64_t deadline, bool watch_wake);
/* Server-side TLS handshake on c->fd with ctx. */
int ol_net_conn_tls_accept(ol_net_conn_t *c, SSL_CTX *ctx, uint64_t deadline);
/* Ends the session: TLS close_notify, shutdown(SHUT_WR), and when linger_ms
 * > 0 reads and discards input for up to that long so that a response is not
 * lost to a reset caused by unread request bytes. Does not close the fd. */
void ol_net_conn_finish(ol_net_conn_t *c, int linger_ms);
void ol_net_conn_free_tls(ol_net_conn_t *c);

/* TLS context for a listener; alpn is "h2" or "http/1.1". NULL on error (err set). */
SSL_CTX *ol_net_tls_ctx_create(const char *cert, const char *key, const char *alpn, ol_err_t *err);
void ol_net_tls_ctx_free(SSL_CTX *ctx);

uint64_t ol_net_deadline(int ms); /* now + ms in monotonic ns; 0 when ms <= 0 */

/* ---- server internals ---- */

typedef struct ol_net_listener {
    ol_listener_config_t cfg; /* strings copied */
    int fd;
    int port;
    SSL_CTX *tls;
    pthread_t thread;
    bool thread_started;
    struct ol_server *server;
    int index;
} ol_net_listener_t;

typedef struct ol_net_session {
    struct ol_net_session *next;
    struct ol_server *server;
    ol_net_listener_t *listener;
    ol_net_conn_t conn;
    pthread_t thread;
    bool done;               /* thread has finished; join and free */
} ol_net_session_t;

#define OL_NET_MAX_LISTENERS 8

struct ol_server {
    int max_conns;
    ol_net_listener_t listeners[OL_NET_MAX_LISTENERS];
    int n_listeners;
    int wake[2];             /* pipe; a byte is written on stop and never read */
    atomic_bool stopping;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cond;     /* signalled when a session finishes */
    ol_net_session_t *sessions;
    int active;
    _Atomic uint64_t connections_total;
    _Atomic uint64_t connections_rejected;
    _Atomic uint64_t requests_total;
    _Atomic uint64_t bad_requests;
};

/* Serves one gRPC (HTTP/2) connection until it ends; grpc.c. */
void ol_grpc_serve(ol_net_session_t *s);

/* Effective limits with defaults applied. */
size_t ol_net_max_header_bytes(const ol_listener_config_t *cfg);
size_t ol_net_max_body(const ol_listener_config_t *cfg); /* 0 in the config = 16 MiB */
int ol_net_read_timeout(const ol_listener_config_t *cfg);
int ol_net_idle_timeout(const ol_listener_config_t *cfg);
/* Arena for one request. */
ol_arena_t *ol_net_request_arena(const ol_listener_config_t *cfg);

#endif
