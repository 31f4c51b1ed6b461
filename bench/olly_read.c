/*
 * olly_read.c - the read side of the benchmark against a running `olly
 * serve`: trace-by-id and trace-search latency over Olly's HTTP API, plus the
 * small helpers bench/run.sh needs around a server (free ports, time to
 * /readyz, one GET).
 *
 *   olly_read ports N                  N distinct free TCP ports on 127.0.0.1
 *   olly_read ready --url U [--since T] [--timeout S] [--pid P]
 *                                      polls U/readyz every 5 ms until 200;
 *                                      prints {"ready_ms":..} counted from T
 *                                      (Unix seconds, e.g. bash $EPOCHREALTIME);
 *                                      gives up early when process P is gone
 *   olly_read get --url U --path P     body of GET U+P on stdout; exit 0 on
 *                                      200, 3 on 404, 1 otherwise
 *   olly_read read --url U --ids FILE --params FILE [--searches R] [--json]
 *                                      the measured reads (below)
 *
 * `read` looks up every trace id of FILE ("<hex id> <expected spans>" lines,
 * written by chdb_bench --ids-out, so both stores fetch the same traces) with
 * GET /api/v1/traces/{id}, and runs the attribute search chdb_bench chose
 * (its --dry-run --json output: service, attribute key and value, time range)
 * R times as GET /api/v1/traces?service=&attr=key:value&start=&end=&limit=.
 *
 * What is timed: from the first byte of the request written to the last byte
 * of the answer read, on one keep-alive HTTP/1.1 connection over loopback
 * (plain sockets, TCP_NODELAY). JSON parsing and checking happen after the
 * clock. One unmeasured request of each kind comes first, as chdb_bench does.
 * Checks: every lookup answers 200 with exactly the expected number of spans,
 * all of that trace; every search answers 200 with 1..limit traces, each
 * listing the searched service. A failed check makes the exit status 1 (the
 * figures are still printed); timing never does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "codec/json.h"
#include "core/arena.h"
#include "core/util.h"

#define READ_IO_TIMEOUT_S 60
#define READ_MAX_BODY (512u << 20)

/* ---- a minimal HTTP/1.1 GET client (keep-alive, Content-Length or chunked) ---- */

typedef struct {
    char host[256], port[8];
    int fd;
    ol_buf_t in; /* bytes received and not yet consumed */
    size_t pos;  /* consumed prefix of `in` */
} hc_t;

static int hc_parse_url(hc_t *c, const char *url, ol_err_t *err)
{
    const char *p = url;
    if (!strncmp(p, "http://", 7)) p += 7;
    const char *colon = strrchr(p, ':');
    size_t hl = colon ? (size_t)(colon - p) : 0;
    size_t pl = colon ? strcspn(colon + 1, "/") : 0;
    if (!colon || hl == 0 || hl >= sizeof c->host || pl == 0 || pl >= sizeof c->port) {
        ol_err_set(err, "bad url '%s': want http://HOST:PORT", url);
        return OL_ERR;
    }
    memcpy(c->host, p, hl);
    c->host[hl] = 0;
    memcpy(c->port, colon + 1, pl);
    c->port[pl] = 0;
    c->fd = -1;
    ol_buf_init(&c->in, OL_MEM_NET, 0);
    return OL_OK;
}

static void hc_close(hc_t *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    ol_buf_reset(&c->in);
    c->pos = 0;
}

static int hc_connect(hc_t *c, ol_err_t *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int g = getaddrinfo(c->host, c->port, &hints, &ai);
    if (g != 0) {
        ol_err_set(err, "resolve %s: %s", c->host, gai_strerror(g));
        return OL_ERR;
    }
    int fd = -1, e = 0;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        ol_err_set(err, "connect %s:%s: %s", c->host, c->port, strerror(e ? e : ECONNREFUSED));
        return OL_ERR;
    }
    int one = 1;
    struct timeval tv = {READ_IO_TIMEOUT_S, 0};
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    c->fd = fd;
    ol_buf_reset(&c->in);
    c->pos = 0;
    return OL_OK;
}

/* Reads until `in` holds at least `need` unconsumed bytes. OL_NOTFOUND on a
 * clean close before that, OL_ERR on an error. */
static int hc_fill(hc_t *c, size_t need, ol_err_t *err)
{
    while (c->in.len - c->pos < need) {
        if (c->pos && c->pos == c->in.len) {
            ol_buf_reset(&c->in);
            c->pos = 0;
        }
        if (ol_buf_reserve(&c->in, 65536) != OL_OK) {
            ol_err_set(err, "out of memory reading an answer");
            return OL_NOMEM;
        }
        ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
        if (n == 0) return OL_NOTFOUND;
        if (n < 0) {
            if (errno == EINTR) continue;
            ol_err_set(err, "recv: %s", errno == EAGAIN ? "timed out" : strerror(errno));
            return OL_ERR;
        }
        c->in.len += (size_t)n;
    }
    return OL_OK;
}

/* Position in `in` of the next CRLF after the consumed prefix; fills as needed. */
static int hc_find_crlf(hc_t *c, size_t *at, ol_err_t *err)
{
    for (;;) {
        for (size_t i = c->pos; i + 1 < c->in.len; i++)
            if (c->in.data[i] == '\r' && c->in.data[i + 1] == '\n') {
                *at = i;
                return OL_OK;
            }
        if (c->in.len - c->pos > (1u << 20)) {
            ol_err_set(err, "answer line longer than 1 MiB");
            return OL_CORRUPT;
        }
        int rc = hc_fill(c, c->in.len - c->pos + 1, err);
        if (rc != OL_OK) return rc;
    }
}

static bool hc_header_is(ol_slice_t line, const char *name, ol_slice_t *value)
{
    size_t n = strlen(name);
    if (line.len <= n || line.ptr[n] != ':' || strncasecmp((const char *)line.ptr, name, n) != 0) return false;
    size_t i = n + 1;
    while (i < line.len && (line.ptr[i] == ' ' || line.ptr[i] == '\t')) i++;
    size_t e = line.len;
    while (e > i && (line.ptr[e - 1] == ' ' || line.ptr[e - 1] == '\t')) e--;
    *value = ol_slice(line.ptr + i, e - i);
    return true;
}

/* Reads one answer: status and body (appended to `body`). */
static int hc_read_answer(hc_t *c, int *status, ol_buf_t *body, bool *close_after, ol_err_t *err)
{
    size_t at;
    int rc = hc_find_crlf(c, &at, err);
    if (rc != OL_OK) return rc;
    ol_slice_t line = ol_slice(c->in.data + c->pos, at - c->pos);
    if (line.len < 12 || memcmp(line.ptr, "HTTP/1.", 7) != 0) {
        ol_err_set(err, "bad status line");
        return OL_CORRUPT;
    }
    *status = (line.ptr[9] - '0') * 100 + (line.ptr[10] - '0') * 10 + (line.ptr[11] - '0');
    c->pos = at + 2;
    uint64_t clen = 0;
    bool have_len = false, chunked = false;
    *close_after = line.ptr[7] == '0';
    for (;;) {
        rc = hc_find_crlf(c, &at, err);
        if (rc != OL_OK) return rc;
        line = ol_slice(c->in.data + c->pos, at - c->pos);
        c->pos = at + 2;
        if (!line.len) break;
        ol_slice_t v;
        if (hc_header_is(line, "Content-Length", &v)) {
            if (ol_parse_u64(v, &clen) != OL_OK || clen > READ_MAX_BODY) {
                ol_err_set(err, "bad Content-Length");
                return OL_CORRUPT;
            }
            have_len = true;
        } else if (hc_header_is(line, "Transfer-Encoding", &v)) {
            chunked = v.len >= 7 && strncasecmp((const char *)v.ptr + v.len - 7, "chunked", 7) == 0;
        } else if (hc_header_is(line, "Connection", &v)) {
            if (v.len == 5 && strncasecmp((const char *)v.ptr, "close", 5) == 0) *close_after = true;
        }
    }
    if (chunked) {
        for (;;) {
            rc = hc_find_crlf(c, &at, err);
            if (rc != OL_OK) return rc;
            uint64_t size = 0;
            size_t i = c->pos, digits = 0;
            for (; i < at; i++, digits++) {
                int ch = c->in.data[i], d = ch >= '0' && ch <= '9' ? ch - '0'
                                          : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                          : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                                                   : -1;
                if (d < 0) break;
                size = size * 16 + (uint64_t)d;
                if (size > READ_MAX_BODY) {
                    ol_err_set(err, "chunk too large");
                    return OL_CORRUPT;
                }
            }
            if (!digits) {
                ol_err_set(err, "bad chunk size");
                return OL_CORRUPT;
            }
            c->pos = at + 2;
            if (size == 0) { /* trailers until an empty line */
                for (;;) {
                    rc = hc_find_crlf(c, &at, err);
                    if (rc != OL_OK) return rc;
                    bool empty = at == c->pos;
                    c->pos = at + 2;
                    if (empty) return OL_OK;
                }
            }
            rc = hc_fill(c, (size_t)size + 2, err);
            if (rc != OL_OK) return rc == OL_NOTFOUND ? (ol_err_set(err, "connection closed mid-body"), OL_ERR) : rc;
            ol_buf_append(body, c->in.data + c->pos, (size_t)size);
            c->pos += (size_t)size + 2;
        }
    }
    if (!have_len) { /* body until close */
        for (;;) {
            rc = hc_fill(c, c->in.len - c->pos + 1, err);
            if (rc == OL_NOTFOUND) break;
            if (rc != OL_OK) return rc;
        }
        ol_buf_append(body, c->in.data + c->pos, c->in.len - c->pos);
        c->pos = c->in.len;
        *close_after = true;
        return OL_OK;
    }
    rc = hc_fill(c, (size_t)clen, err);
    if (rc != OL_OK) return rc == OL_NOTFOUND ? (ol_err_set(err, "connection closed mid-body"), OL_ERR) : rc;
    ol_buf_append(body, c->in.data + c->pos, (size_t)clen);
    c->pos += (size_t)clen;
    return OL_OK;
}

/* GET path; the body replaces `body`'s contents. *ns is the time from the
 * first byte written to the last byte read. A reused connection that turns
 * out closed is reopened once (that attempt is not timed). */
static int hc_get(hc_t *c, const char *path, int *status, ol_buf_t *body, uint64_t *ns, ol_err_t *err)
{
    char req[8192];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%s\r\nAccept: application/json\r\n\r\n", path,
                     c->host, c->port);
    if (n < 0 || (size_t)n >= sizeof req) {
        ol_err_set(err, "request path too long");
        return OL_LIMIT;
    }
    for (int attempt = 0;; attempt++) {
        bool fresh = c->fd < 0;
        if (fresh && hc_connect(c, err) != OL_OK) return OL_ERR;
        ol_buf_reset(body);
        uint64_t t0 = ol_mono_ns();
        size_t off = 0;
        int rc = OL_OK;
        while (off < (size_t)n) {
            ssize_t w = send(c->fd, req + off, (size_t)n - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                ol_err_set(err, "send: %s", strerror(errno));
                rc = OL_ERR;
                break;
            }
            off += (size_t)w;
        }
        bool close_after = false;
        if (rc == OL_OK) rc = hc_read_answer(c, status, body, &close_after, err);
        *ns = ol_mono_ns() - t0;
        if (rc == OL_NOTFOUND) ol_err_set(err, "connection closed before an answer");
        if (rc != OL_OK) {
            hc_close(c);
            if (!fresh && attempt == 0) continue;
            return rc == OL_NOTFOUND ? OL_ERR : rc;
        }
        if (body->err) {
            ol_err_set(err, "out of memory holding an answer");
            hc_close(c);
            return OL_NOMEM;
        }
        if (close_after) hc_close(c);
        return OL_OK;
    }
}

/* ---- helpers ---- */

static void url_encode(ol_buf_t *b, ol_slice_t s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < s.len; i++) {
        uint8_t ch = s.ptr[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '_' || ch == '.' || ch == '~') {
            ol_buf_append_u8(b, ch);
        } else {
            ol_buf_append_u8(b, '%');
            ol_buf_append_u8(b, (uint8_t)hex[ch >> 4]);
            ol_buf_append_u8(b, (uint8_t)hex[ch & 15]);
        }
    }
}

/* A string member of an object, unescaped (arena); OL_SLICE_NULL if absent or not a string. */
static ol_slice_t json_str(const ol_json_doc_t *d, uint32_t obj, const char *key, ol_arena_t *a)
{
    uint32_t i = ol_json_object_get(d, obj, key);
    ol_slice_t out = OL_SLICE_NULL;
    if (!i || d->toks[i].kind != OL_JSON_STRING || ol_json_unescape(&d->toks[i], a, &out) != OL_OK)
        return OL_SLICE_NULL;
    return out;
}

/* Element token indexes of an array: first child is arr + 1, then each .next. */
#define JSON_EACH(d, arr, it, k) \
    for (uint32_t k = 0, it = (arr) + 1; k < (d)->toks[arr].size; k++, it = (d)->toks[it].next)

/* ---- ports ---- */

static int cmd_ports(int argc, char **argv)
{
    uint64_t n = 0;
    if (argc != 3 || ol_parse_u64(ol_slice_cstr(argv[2]), &n) != OL_OK || n < 1 || n > 64) {
        fprintf(stderr, "usage: olly_read ports N (1..64)\n");
        return 2;
    }
    int fds[64];
    for (uint64_t i = 0; i < n; i++) { /* all bound at once: distinct */
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t sl = sizeof sa;
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, sizeof sa) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&sa, &sl) != 0) {
            fprintf(stderr, "olly_read: cannot bind a free port: %s\n", strerror(errno));
            return 1;
        }
        printf("%s%u", i ? " " : "", ntohs(sa.sin_port));
    }
    printf("\n");
    for (uint64_t i = 0; i < n; i++) close(fds[i]);
    return 0;
}

/* ---- ready ---- */

/* Whether process pid is gone: no such process, or a zombie nobody reaped yet. */
static bool process_gone(uint64_t pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return true;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%llu/stat", (unsigned long long)pid);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *paren = strrchr(buf, ')'); /* "pid (comm) S ..." */
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

static int cmd_ready(int argc, char **argv)
{
    const char *url = NULL;
    double since = 0, timeout = 120;
    uint64_t pid = 0;
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--url") && v) url = v, i++;
        else if (!strcmp(argv[i], "--since") && v && ol_parse_double(ol_slice_cstr(v), &since) == OL_OK) i++;
        else if (!strcmp(argv[i], "--timeout") && v && ol_parse_double(ol_slice_cstr(v), &timeout) == OL_OK) i++;
        else if (!strcmp(argv[i], "--pid") && v && ol_parse_u64(ol_slice_cstr(v), &pid) == OL_OK && pid > 0) i++;
        else url = NULL, i = argc;
    }
    hc_t c;
    ol_err_t err;
    if (!url) {
        fprintf(stderr, "usage: olly_read ready --url http://HOST:PORT [--since UNIX_SECONDS] [--timeout S] [--pid P]\n");
        return 2;
    }
    if (hc_parse_url(&c, url, &err) != OL_OK) {
        fprintf(stderr, "olly_read: %s\n", err.msg);
        return 2;
    }
    ol_buf_t body;
    ol_buf_init(&body, OL_MEM_API, 0);
    uint64_t start = ol_mono_ns(), polls = 0;
    int status = 0;
    double since_ms = since > 0 ? ((double)ol_now_ns() / 1e9 - since) * 1e3 : 0;
    for (;;) {
        uint64_t ns;
        polls++;
        if (hc_get(&c, "/readyz", &status, &body, &ns, &err) == OL_OK && status == 200) break;
        hc_close(&c); /* a fresh connection per poll, as a prober does */
        if (pid && process_gone(pid)) {
            fprintf(stderr, "olly_read: process %llu exited before %s/readyz answered 200\n", (unsigned long long)pid,
                    url);
            ol_buf_free(&body);
            return 1;
        }
        if ((double)(ol_mono_ns() - start) / 1e9 > timeout) {
            fprintf(stderr, "olly_read: %s/readyz not 200 after %.0f s (last: %s)\n", url, timeout,
                    status ? "non-200 status" : err.msg);
            ol_buf_free(&body);
            return 1;
        }
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    double ms = (double)(ol_mono_ns() - start) / 1e6 + since_ms;
    printf("{\"ready_ms\":%.1f,\"polls\":%llu}\n", ms, (unsigned long long)polls);
    hc_close(&c);
    ol_buf_free(&c.in);
    ol_buf_free(&body);
    return 0;
}

/* ---- get ---- */

static int cmd_get(int argc, char **argv)
{
    const char *url = NULL, *path = NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--url")) url = argv[i + 1];
        else if (!strcmp(argv[i], "--path")) path = argv[i + 1];
    }
    hc_t c;
    ol_err_t err;
    if (!url || !path || path[0] != '/') {
        fprintf(stderr, "usage: olly_read get --url http://HOST:PORT --path /PATH\n");
        return 2;
    }
    if (hc_parse_url(&c, url, &err) != OL_OK) {
        fprintf(stderr, "olly_read: %s\n", err.msg);
        return 2;
    }
    ol_buf_t body;
    ol_buf_init(&body, OL_MEM_API, 0);
    int status = 0;
    uint64_t ns;
    int rc = hc_get(&c, path, &status, &body, &ns, &err);
    if (rc != OL_OK) fprintf(stderr, "olly_read: GET %s: %s\n", path, err.msg);
    else fwrite(body.data, 1, body.len, stdout);
    hc_close(&c);
    ol_buf_free(&c.in);
    ol_buf_free(&body);
    return rc != OL_OK ? 1 : status == 200 ? 0 : status == 404 ? 3 : 1;
}

/* ---- read: lookups and search ---- */

typedef struct {
    uint8_t id[16];
    char hex[33];
    uint32_t spans;
} read_id_t;

static int load_ids(const char *path, read_id_t **out, size_t *n_out, ol_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        ol_err_set(err, "cannot open %s: %s", path, strerror(errno));
        return OL_ERR;
    }
    size_t n = 0, cap = 0;
    read_id_t *ids = NULL;
    char line[256];
    int rc = OL_OK;
    while (rc == OL_OK && fgets(line, sizeof line, f)) {
        char hex[64];
        unsigned spans = 0;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (sscanf(line, "%63s %u", hex, &spans) != 2 || strlen(hex) != 32 || spans == 0) {
            ol_err_set(err, "%s: line %zu: want '<32 hex digits> <spans>'", path, n + 1);
            rc = OL_CORRUPT;
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            read_id_t *p = realloc(ids, ncap * sizeof *p);
            if (!p) {
                ol_err_set(err, "out of memory");
                rc = OL_NOMEM;
                break;
            }
            ids = p;
            cap = ncap;
        }
        if (ol_hex_decode(ids[n].id, 16, hex, 32) != 16) {
            ol_err_set(err, "%s: line %zu: bad hex id", path, n + 1);
            rc = OL_CORRUPT;
            break;
        }
        for (size_t i = 0; i < 33; i++) ids[n].hex[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] + 32 : hex[i]);
        ids[n].spans = spans;
        n++;
    }
    fclose(f);
    if (rc == OL_OK && !n) {
        ol_err_set(err, "%s holds no trace id", path);
        rc = OL_ERR;
    }
    if (rc != OL_OK) {
        free(ids);
        return rc;
    }
    *out = ids;
    *n_out = n;
    return OL_OK;
}

/* Counts the spans of an OTLP/JSON trace answer; *foreign counts spans whose
 * traceId is not `hex`. OL_CORRUPT when the shape is wrong. */
static int count_trace_spans(ol_slice_t body, const char *hex, ol_arena_t *a, uint64_t *spans, uint64_t *foreign,
                             ol_err_t *err)
{
    ol_json_doc_t d;
    *spans = *foreign = 0;
    if (ol_json_parse(body, a, &d, err) != OL_OK) return OL_CORRUPT;
    uint32_t rs = d.toks[0].kind == OL_JSON_OBJECT ? ol_json_object_get(&d, 0, "resourceSpans") : 0;
    if (!rs || d.toks[rs].kind != OL_JSON_ARRAY) {
        ol_err_set(err, "no resourceSpans array");
        return OL_CORRUPT;
    }
    JSON_EACH(&d, rs, r, i) {
        uint32_t ss = d.toks[r].kind == OL_JSON_OBJECT ? ol_json_object_get(&d, r, "scopeSpans") : 0;
        if (!ss || d.toks[ss].kind != OL_JSON_ARRAY) continue;
        JSON_EACH(&d, ss, s, j) {
            uint32_t sp = d.toks[s].kind == OL_JSON_OBJECT ? ol_json_object_get(&d, s, "spans") : 0;
            if (!sp || d.toks[sp].kind != OL_JSON_ARRAY) continue;
            JSON_EACH(&d, sp, span, k) {
                (*spans)++;
                ol_slice_t tid = d.toks[span].kind == OL_JSON_OBJECT ? json_str(&d, span, "traceId", a) : OL_SLICE_NULL;
                if (!ol_slice_eq_cstr(tid, hex)) (*foreign)++;
            }
        }
    }
    return OL_OK;
}

/* Checks a search answer: 1..limit traces, each listing `service`. */
static int check_search(ol_slice_t body, ol_slice_t service, uint64_t limit, ol_arena_t *a, uint64_t *traces,
                        ol_err_t *err)
{
    ol_json_doc_t d;
    *traces = 0;
    if (ol_json_parse(body, a, &d, err) != OL_OK) return OL_CORRUPT;
    uint32_t tr = d.toks[0].kind == OL_JSON_OBJECT ? ol_json_object_get(&d, 0, "traces") : 0;
    if (!tr || d.toks[tr].kind != OL_JSON_ARRAY) {
        ol_err_set(err, "no traces array");
        return OL_CORRUPT;
    }
    *traces = d.toks[tr].size;
    if (*traces == 0 || *traces > limit) {
        ol_err_set(err, "%llu traces found, want 1..%llu", (unsigned long long)*traces, (unsigned long long)limit);
        return OL_ERR;
    }
    JSON_EACH(&d, tr, t, i) {
        uint32_t sv = d.toks[t].kind == OL_JSON_OBJECT ? ol_json_object_get(&d, t, "services") : 0;
        bool found = false;
        if (sv && d.toks[sv].kind == OL_JSON_ARRAY) {
            JSON_EACH(&d, sv, s, j) {
                ol_slice_t name;
                if (d.toks[s].kind == OL_JSON_STRING && ol_json_unescape(&d.toks[s], a, &name) == OL_OK &&
                    ol_slice_eq(name, service))
                    found = true;
            }
        }
        if (!found) {
            ol_err_set(err, "trace #%u of the answer does not list service '%.*s'", i, (int)service.len,
                       (const char *)service.ptr);
            return OL_ERR;
        }
    }
    return OL_OK;
}

typedef struct {
    ol_slice_t service, key, value, from, to;
    uint64_t limit, matching_spans;
} read_search_t;

/* The search chdb_bench chose: its --dry-run --json object ("search": service,
 * attribute_key, attribute_value, from_ns, to_ns, limit). Numbers are kept as
 * text (nanoseconds do not fit a double). */
static int load_params(ol_slice_t text, ol_arena_t *a, read_search_t *s, ol_err_t *err)
{
    ol_json_doc_t d;
    if (ol_json_parse(text, a, &d, err) != OL_OK) return OL_CORRUPT;
    uint32_t o = d.toks[0].kind == OL_JSON_OBJECT ? ol_json_object_get(&d, 0, "search") : 0;
    if (!o || d.toks[o].kind != OL_JSON_OBJECT) {
        ol_err_set(err, "no \"search\" object");
        return OL_CORRUPT;
    }
    s->service = json_str(&d, o, "service", a);
    s->key = json_str(&d, o, "attribute_key", a);
    s->value = json_str(&d, o, "attribute_value", a);
    uint32_t f = ol_json_object_get(&d, o, "from_ns"), t = ol_json_object_get(&d, o, "to_ns");
    uint32_t l = ol_json_object_get(&d, o, "limit"), m = ol_json_object_get(&d, o, "matching_spans");
    if (!s->service.ptr || !s->key.ptr || !s->value.ptr || !f || !t || !l || d.toks[f].kind != OL_JSON_NUMBER ||
        d.toks[t].kind != OL_JSON_NUMBER || d.toks[l].kind != OL_JSON_NUMBER ||
        ol_parse_u64(d.toks[l].text, &s->limit) != OL_OK) {
        ol_err_set(err, "\"search\" lacks service, attribute_key, attribute_value, from_ns, to_ns or limit");
        return OL_CORRUPT;
    }
    s->from = d.toks[f].text;
    s->to = d.toks[t].text;
    s->matching_spans = 0;
    if (m && d.toks[m].kind == OL_JSON_NUMBER) ol_parse_u64(d.toks[m].text, &s->matching_spans);
    return OL_OK;
}

static int cmd_read(int argc, char **argv)
{
    const char *url = NULL, *ids_path = NULL, *params_path = NULL;
    uint64_t searches = 20;
    bool json = false, bad = false;
    for (int i = 2; i < argc && !bad; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--json")) json = true;
        else if (!strcmp(argv[i], "--url") && v) url = v, i++;
        else if (!strcmp(argv[i], "--ids") && v) ids_path = v, i++;
        else if (!strcmp(argv[i], "--params") && v) params_path = v, i++;
        else if (!strcmp(argv[i], "--searches") && v && ol_parse_u64(ol_slice_cstr(v), &searches) == OL_OK &&
                 searches > 0)
            i++;
        else bad = true;
    }
    if (bad || !url || !ids_path || !params_path) {
        fprintf(stderr, "usage: olly_read read --url http://HOST:PORT --ids FILE --params FILE [--searches R] [--json]\n");
        return 2;
    }
    hc_t c;
    ol_err_t err;
    read_id_t *ids = NULL;
    size_t n_ids = 0, params_len = 0;
    uint8_t *params = NULL;
    read_search_t sp;
    ol_arena_t *a = ol_arena_create(1 << 20, 0);
    if (!a || hc_parse_url(&c, url, &err) != OL_OK || load_ids(ids_path, &ids, &n_ids, &err) != OL_OK ||
        ol_bench_read_file(params_path, &params, &params_len, &err) != OL_OK ||
        load_params(ol_slice(params, params_len), a, &sp, &err) != OL_OK) {
        fprintf(stderr, "olly_read: %s\n", a ? err.msg : "out of memory");
        free(ids);
        free(params);
        if (a) ol_arena_destroy(a);
        return 1;
    }
    ol_arena_t *scratch = ol_arena_create(1 << 20, 0);
    double *ms = malloc((n_ids > searches ? n_ids : searches) * sizeof *ms);
    ol_buf_t body, path, out;
    ol_buf_init(&body, OL_MEM_API, 0);
    ol_buf_init(&path, OL_MEM_API, 0);
    ol_buf_init(&out, OL_MEM_API, 0);
    if (!scratch || !ms) {
        fprintf(stderr, "olly_read: out of memory\n");
        return 1;
    }

    /* Trace by id. */
    uint64_t wrong = 0, http_errors = 0, spans_total = 0, ns = 0;
    int status = 0, rc = OL_OK;
    char p[128];
    snprintf(p, sizeof p, "/api/v1/traces/%s", ids[n_ids - 1].hex); /* unmeasured first request */
    rc = hc_get(&c, p, &status, &body, &ns, &err);
    for (size_t i = 0; rc == OL_OK && i < n_ids; i++) {
        snprintf(p, sizeof p, "/api/v1/traces/%s", ids[i].hex);
        rc = hc_get(&c, p, &status, &body, &ns, &err);
        if (rc != OL_OK) break;
        ms[i] = (double)ns / 1e6;
        uint64_t spans = 0, foreign = 0;
        ol_err_t cerr;
        ol_arena_reset(scratch);
        if (status != 200) {
            if (http_errors++ < 5)
                fprintf(stderr, "olly_read: GET %s: status %d: %.*s\n", p, status, (int)OL_MIN(body.len, 200),
                        body.data ? (const char *)body.data : "");
        } else if (count_trace_spans(ol_buf_slice(&body), ids[i].hex, scratch, &spans, &foreign, &cerr) != OL_OK ||
                   spans != ids[i].spans || foreign) {
            if (wrong++ < 5)
                fprintf(stderr, "olly_read: trace %s: %llu spans returned (%llu of another trace), %u expected%s%s\n",
                        ids[i].hex, (unsigned long long)spans, (unsigned long long)foreign, ids[i].spans,
                        spans || foreign ? "" : ": ", spans || foreign ? "" : cerr.msg);
        }
        spans_total += spans;
    }
    if (rc != OL_OK) fprintf(stderr, "olly_read: trace by id: %s\n", err.msg);
    ol_bench_lat_t lookup = ol_bench_lat(ms, rc == OL_OK ? n_ids : 0);

    /* Search. */
    ol_buf_append_cstr(&path, "/api/v1/traces?service=");
    url_encode(&path, sp.service);
    ol_buf_append_cstr(&path, "&attr=");
    url_encode(&path, sp.key);
    ol_buf_append_u8(&path, ':');
    url_encode(&path, sp.value);
    ol_buf_append_cstr(&path, "&start=");
    ol_buf_append_slice(&path, sp.from);
    ol_buf_append_cstr(&path, "&end=");
    uint64_t to = 0;
    ol_parse_u64(sp.to, &to);
    ol_buf_printf(&path, "%llu&limit=%llu", (unsigned long long)to + 1, (unsigned long long)sp.limit); /* end is exclusive */
    ol_buf_append_u8(&path, 0);
    uint64_t found = 0, search_bad = 0;
    int src = path.err ? OL_NOMEM : OL_OK;
    ol_err_t serr = {0};
    if (src == OL_OK) src = hc_get(&c, (const char *)path.data, &status, &body, &ns, &err); /* unmeasured */
    for (uint64_t i = 0; src == OL_OK && i < searches; i++) {
        src = hc_get(&c, (const char *)path.data, &status, &body, &ns, &err);
        if (src != OL_OK) break;
        ms[i] = (double)ns / 1e6;
        ol_arena_reset(scratch);
        if (status != 200) {
            if (search_bad++ < 3)
                fprintf(stderr, "olly_read: search: status %d: %.*s\n", status, (int)OL_MIN(body.len, 200),
                        body.data ? (const char *)body.data : "");
        } else if (check_search(ol_buf_slice(&body), sp.service, sp.limit, scratch, &found, &serr) != OL_OK) {
            if (search_bad++ < 3) fprintf(stderr, "olly_read: search: %s\n", serr.msg);
        }
    }
    if (src != OL_OK) fprintf(stderr, "olly_read: search: %s\n", err.msg);
    ol_bench_lat_t search = ol_bench_lat(ms, src == OL_OK ? searches : 0);

    bool good = rc == OL_OK && src == OL_OK && !wrong && !http_errors && !search_bad;
    fprintf(stderr,
            "olly_read: %s\n"
            "  trace by id (ms)       p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  (%zu lookups, %llu spans, %llu wrong, "
            "%llu HTTP errors)\n"
            "  search (ms)            p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  (%llu runs, %llu traces; service=%.*s "
            "attr=%.*s:%.*s)\n",
            url, lookup.p50, lookup.p90, lookup.p99, lookup.max, n_ids, (unsigned long long)spans_total,
            (unsigned long long)wrong, (unsigned long long)http_errors, search.p50, search.p90, search.p99,
            search.max, (unsigned long long)searches, (unsigned long long)found, (int)sp.service.len,
            (const char *)sp.service.ptr, (int)sp.key.len, (const char *)sp.key.ptr, (int)sp.value.len,
            (const char *)sp.value.ptr);
    if (json) {
        ol_buf_printf(&out, "{\"trace_by_id\":{\"lookups\":%zu,\"spans\":%llu,\"wrong_span_count\":%llu,"
                            "\"http_errors\":%llu,\"complete\":%s,",
                      n_ids, (unsigned long long)spans_total, (unsigned long long)wrong,
                      (unsigned long long)http_errors, rc == OL_OK ? "true" : "false");
        ol_bench_lat_json(&out, "latency", &lookup);
        ol_buf_append_cstr(&out, "},\"search\":{\"path\":");
        ol_json_write_string(&out, ol_slice(path.data, path.len ? path.len - 1 : 0));
        ol_buf_printf(&out, ",\"runs\":%llu,\"traces\":%llu,\"bad_answers\":%llu,\"complete\":%s,",
                      (unsigned long long)searches, (unsigned long long)found, (unsigned long long)search_bad,
                      src == OL_OK ? "true" : "false");
        ol_bench_lat_json(&out, "latency", &search);
        ol_buf_printf(&out, "},\"ok\":%s}\n", good ? "true" : "false");
        fwrite(out.data, 1, out.len, stdout);
    }
    hc_close(&c);
    ol_buf_free(&c.in);
    ol_buf_free(&body);
    ol_buf_free(&path);
    ol_buf_free(&out);
    ol_arena_destroy(scratch);
    ol_arena_destroy(a);
    free(ms);
    free(ids);
    free(params);
    return good ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "ports")) return cmd_ports(argc, argv);
    if (!strcmp(cmd, "ready")) return cmd_ready(argc, argv);
    if (!strcmp(cmd, "get")) return cmd_get(argc, argv);
    if (!strcmp(cmd, "read")) return cmd_read(argc, argv);
    fprintf(stderr, "usage: olly_read ports|ready|get|read ... (see the comment at the top of bench/olly_read.c)\n");
    return 2;
}
