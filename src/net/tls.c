/*
 * tls.c - connection I/O over plain sockets and OpenSSL (see conn.h).
 *
 * Every call takes an absolute deadline and loops poll() + non-blocking
 * read/write (or SSL_read/SSL_write with WANT_READ/WANT_WRITE), so a slow or
 * stalled peer costs its own thread a bounded wait and nothing more. TLS
 * contexts are per listener: certificate chain and key from PEM files,
 * TLS 1.2 minimum, and an ALPN choice fixed by the listener's protocol.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "net/conn.h"

uint64_t ol_net_deadline(int ms)
{
    if (ms <= 0) return 0;
    return ol_mono_ns() + (uint64_t)ms * 1000000ull;
}

static int ol_net_remaining_ms(uint64_t deadline)
{
    if (deadline == 0) return -1;
    uint64_t now = ol_mono_ns();
    if (now >= deadline) return 0;
    uint64_t ms = (deadline - now + 999999) / 1000000;
    return ms > 1000000000 ? 1000000000 : (int)ms;
}

/* Waits for events on c->fd (and optionally the wake pipe). */
static int ol_net_poll(ol_net_conn_t *c, short events, uint64_t deadline, bool watch_wake)
{
    for (;;) {
        struct pollfd pf[2] = {{.fd = c->fd, .events = events}, {.fd = c->wake_fd, .events = POLLIN}};
        nfds_t n = watch_wake && c->wake_fd >= 0 ? 2 : 1;
        int ms = ol_net_remaining_ms(deadline);
        int r = poll(pf, n, ms);
        if (r < 0) {
            if (errno == EINTR) continue;
            return OL_ERR;
        }
        if (r == 0) return OL_NET_TIMEOUT;
        if (pf[0].revents) return OL_OK; /* errors surface in the following read/write */
        if (n == 2 && pf[1].revents) return OL_NET_WOKEN;
    }
}

int ol_net_conn_wait(ol_net_conn_t *c, uint64_t deadline, bool watch_wake)
{
    if (c->ssl && (SSL_pending(c->ssl) > 0 || SSL_has_pending(c->ssl))) return OL_OK;
    return ol_net_poll(c, POLLIN, deadline, watch_wake);
}

ssize_t ol_net_conn_read(ol_net_conn_t *c, void *p, size_t n, uint64_t deadline)
{
    if (n == 0) return 0;
    for (;;) {
        short want;
        if (c->ssl) {
            ERR_clear_error();
            int r = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
            if (r > 0) return r;
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN) return 0;
            if (e == SSL_ERROR_WANT_READ) want = POLLIN;
            else if (e == SSL_ERROR_WANT_WRITE) want = POLLOUT;
            else return OL_ERR;
        } else {
            ssize_t r = recv(c->fd, p, n, 0);
            if (r >= 0) return r;
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) return OL_ERR;
            want = POLLIN;
        }
        int w = ol_net_poll(c, want, deadline, false);
        if (w != OL_OK) return w;
    }
}

int ol_net_conn_write(ol_net_conn_t *c, const void *p, size_t n, uint64_t deadline)
{
    const uint8_t *q = p;
    while (n > 0) {
        short want;
        if (c->ssl) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, q, n > INT32_MAX ? INT32_MAX : (int)n);
            if (r > 0) {
                q += r;
                n -= (size_t)r;
                continue;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) want = POLLIN;
            else if (e == SSL_ERROR_WANT_WRITE) want = POLLOUT;
            else return OL_ERR;
        } else {
            ssize_t r = send(c->fd, q, n, MSG_NOSIGNAL);
            if (r >= 0) {
                q += r;
                n -= (size_t)r;
                continue;
            }
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) return OL_ERR;
            want = POLLOUT;
        }
        int w = ol_net_poll(c, want, deadline, false);
        if (w != OL_OK) return w;
    }
    return OL_OK;
}

int ol_net_conn_tls_accept(ol_net_conn_t *c, SSL_CTX *ctx, uint64_t deadline)
{
    c->ssl = SSL_new(ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) return OL_ERR;
    SSL_set_accept_state(c->ssl);
    for (;;) {
        ERR_clear_error();
        int r = SSL_do_handshake(c->ssl);
        if (r == 1) return OL_OK;
        int e = SSL_get_error(c->ssl, r);
        short want;
        if (e == SSL_ERROR_WANT_READ) want = POLLIN;
        else if (e == SSL_ERROR_WANT_WRITE) want = POLLOUT;
        else {
            unsigned long le = ERR_peek_error();
            char msg[160] = "connection closed";
            if (le) ERR_error_string_n(le, msg, sizeof msg);
            ol_debug("tls handshake with %s failed: %s", c->peer, msg);
            return OL_ERR;
        }
        int w = ol_net_poll(c, want, deadline, false);
        if (w != OL_OK) return w;
    }
}

void ol_net_conn_finish(ol_net_conn_t *c, int linger_ms)
{
    if (c->fd < 0) return;
    if (c->ssl) {
        ERR_clear_error();
        SSL_shutdown(c->ssl); /* one close_notify, best effort; no waiting for the peer's */
    }
    shutdown(c->fd, SHUT_WR);
    uint64_t deadline = ol_net_deadline(linger_ms);
    uint8_t junk[4096];
    size_t drained = 0;
    for (;;) {
        ssize_t r = recv(c->fd, junk, sizeof junk, MSG_DONTWAIT);
        if (r > 0) {
            drained += (size_t)r;
            if (drained > (1u << 20)) break;
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) break;
        if (linger_ms <= 0) break;
        struct pollfd pf = {.fd = c->fd, .events = POLLIN};
        int ms = ol_net_remaining_ms(deadline);
        if (ms == 0 || poll(&pf, 1, ms) <= 0) break;
    }
}

void ol_net_conn_free_tls(ol_net_conn_t *c)
{
    if (c->ssl) SSL_free(c->ssl);
    c->ssl = NULL;
}

static int ol_net_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                              const unsigned char *in, unsigned int inlen, void *arg)
{
    const char *want = arg;
    size_t wl = strlen(want);
    unsigned int i = 0;
    while (i < inlen) {
        unsigned int l = in[i];
        if (l > inlen - i - 1) break;
        if (l == wl && memcmp(in + i + 1, want, wl) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)l;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + l;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

SSL_CTX *ol_net_tls_ctx_create(const char *cert, const char *key, const char *alpn, ol_err_t *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ol_err_set(err, "tls: cannot create context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        char m[160];
        ERR_error_string_n(ERR_get_error(), m, sizeof m);
        ol_err_set(err, "tls: cannot load certificate %s: %s", cert, m);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        char m[160];
        ERR_error_string_n(ERR_get_error(), m, sizeof m);
        ol_err_set(err, "tls: cannot load key %s: %s", key, m);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ol_err_set(err, "tls: key %s does not match certificate %s", key, cert);
        goto fail;
    }
    SSL_CTX_set_alpn_select_cb(ctx, ol_net_alpn_select, (void *)alpn);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

void ol_net_tls_ctx_free(SSL_CTX *ctx)
{
    if (ctx) SSL_CTX_free(ctx);
}
