/*
 * query.c - `olly query "SQL"` (see query.h).
 *
 * The store belongs to the server process, so the command is a client of
 * the API: one POST /api/v1/query over a blocking HTTP/1.1 connection
 * ("Connection: close", answer read to the end), then the JSON answer
 * printed as it came (--format json) or as an aligned table (the default):
 * a header of column names, one line per row, and the statistics. Errors
 * from the server (syntax errors with their position, bounds hit) are
 * printed on stderr and the exit status is 1; a server that cannot be
 * reached is exit status 2.
 */
#include "cmd/query.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec/json.h"
#include "core/buf.h"
#include "net/http1.h"

#define OL_QUERY_MAX_ANSWER (256u << 20)

static void ol_query_usage(FILE *f)
{
    fprintf(f, "usage: olly query [--api HOST:PORT] [--token TOKEN] [--format table|json] \"SELECT ...\"\n"
               "  Runs one query of Olly's SQL dialect (docs/sql.md) on a running server.\n"
               "  --api     the server's API address (default $OLLY_HTTP or 127.0.0.1:3300)\n"
               "  --token   bearer token (default $OLLY_API_TOKEN)\n"
               "  --format  table (default) or json (the API's answer as it is)\n");
}

static int ol_query_connect(const char *addr)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host) return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int ol_query_send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The answer's status and body (de-chunked). OL_OK, OL_CORRUPT, OL_LIMIT. */
static int ol_query_read(int fd, ol_buf_t *raw, int *status, ol_slice_t *body, ol_buf_t *dechunked)
{
    for (;;) {
        if (ol_buf_reserve(raw, 65536) != OL_OK) return OL_LIMIT;
        ssize_t r = recv(fd, raw->data + raw->len, 65536, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return OL_CORRUPT;
        if (r == 0) break;
        raw->len += (size_t)r;
    }
    size_t head_len = 0;
    /* status line: HTTP/1.1 200 OK */
    const uint8_t *p = raw->data;
    size_t n = raw->len;
    size_t i = 0;
    while (i + 3 < n && !(p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')) i++;
    if (i + 3 >= n || n < 12 || memcmp(p, "HTTP/1.", 7) != 0) return OL_CORRUPT;
    head_len = i + 4;
    *status = atoi((const char *)p + 9);
    bool chunked = false;
    /* headers: one per line after the status line */
    size_t line = 0;
    while (line < head_len && p[line] != '\n') line++;
    for (size_t at = line + 1; at < head_len - 2;) {
        size_t end = at;
        while (end < head_len && p[end] != '\r') end++;
        ol_slice_t h = ol_slice(p + at, end - at);
        if (h.len > 18 && ol_slice_eq_nocase(ol_slice(h.ptr, 18), OL_SLICE_LIT("transfer-encoding:")) &&
            ol_slice_contains_nocase(h, OL_SLICE_LIT("chunked")))
            chunked = true;
        at = end + 2;
    }
    ol_slice_t b = ol_slice(p + head_len, n - head_len);
    if (chunked) {
        ol_http1_chunked_t d;
        ol_http1_chunked_init(&d, OL_QUERY_MAX_ANSWER);
        size_t used = 0;
        if (ol_buf_reserve(dechunked, b.len) != OL_OK) return OL_LIMIT;
        memcpy(dechunked->data, b.ptr, b.len);
        size_t out_len = 0;
        int rc = ol_http1_chunked_decode(&d, dechunked->data, b.len, &used, dechunked->data, &out_len);
        if (rc != OL_OK && rc != OL_AGAIN) return OL_CORRUPT;
        b = ol_slice(dechunked->data, out_len);
    }
    *body = b;
    return OL_OK;
}

/* One value of the answer as text: strings unescaped, everything else as JSON. */
static void ol_query_cell(const ol_json_doc_t *d, uint32_t t, ol_arena_t *a, ol_buf_t *out, bool nested)
{
    const ol_json_tok_t *tok = &d->toks[t];
    ol_slice_t s;
    switch (tok->kind) {
    case OL_JSON_STRING:
        if (ol_json_unescape(tok, a, &s) != OL_OK) return;
        if (nested) ol_json_write_string(out, s);
        else ol_buf_append_slice(out, s);
        return;
    case OL_JSON_NUMBER: ol_buf_append_slice(out, tok->text); return;
    case OL_JSON_TRUE: ol_buf_append_cstr(out, "true"); return;
    case OL_JSON_FALSE: ol_buf_append_cstr(out, "false"); return;
    case OL_JSON_ARRAY:
    case OL_JSON_OBJECT: {
        bool obj = tok->kind == OL_JSON_OBJECT;
        ol_buf_append_u8(out, obj ? '{' : '[');
        uint32_t c = t + 1;
        for (uint32_t i = 0; i < tok->size; i++) {
            if (i) ol_buf_append_u8(out, ',');
            if (obj) {
                ol_query_cell(d, c, a, out, true);
                ol_buf_append_u8(out, ':');
                c = d->toks[c].next;
            }
            ol_query_cell(d, c, a, out, true);
            c = d->toks[c].next;
        }
        ol_buf_append_u8(out, obj ? '}' : ']');
        return;
    }
    default: ol_buf_append_cstr(out, "null"); return;
    }
}

static int ol_query_print_table(ol_slice_t body)
{
    ol_arena_t *a = ol_arena_create(1u << 20, 0);
    ol_json_doc_t d;
    ol_err_t err;
    if (!a || ol_json_parse(body, a, &d, &err) != OL_OK || !d.n) {
        fprintf(stderr, "olly query: the answer is not JSON\n");
        if (a) ol_arena_destroy(a);
        return 1;
    }
    uint32_t cols = ol_json_object_get(&d, 0, "columns"), rows = ol_json_object_get(&d, 0, "rows");
    uint32_t stats = ol_json_object_get(&d, 0, "statistics");
    if (!cols || !rows) {
        fprintf(stderr, "olly query: the answer lacks columns or rows\n");
        ol_arena_destroy(a);
        return 1;
    }
    uint32_t nc = d.toks[cols].size, nr = d.toks[rows].size;
    /* render every cell, then align */
    ol_buf_t cells;
    ol_buf_init(&cells, OL_MEM_QUERY, OL_QUERY_MAX_ANSWER);
    size_t *off = calloc(((size_t)nr + 1) * nc + 1, sizeof *off);
    size_t *width = calloc(nc ? nc : 1, sizeof *width);
    if (!off || !width) {
        free(off);
        free(width);
        ol_buf_free(&cells);
        ol_arena_destroy(a);
        return 1;
    }
    size_t k = 0;
    uint32_t t = cols + 1;
    for (uint32_t c = 0; c < nc; c++) {
        uint32_t name = ol_json_object_get(&d, t, "name");
        off[k++] = cells.len;
        if (name) ol_query_cell(&d, name, a, &cells, false);
        t = d.toks[t].next;
    }
    t = rows + 1;
    for (uint32_t r = 0; r < nr; r++) {
        uint32_t v = t + 1;
        for (uint32_t c = 0; c < nc && c < d.toks[t].size; c++) {
            off[k++] = cells.len;
            ol_query_cell(&d, v, a, &cells, false);
            v = d.toks[v].next;
        }
        for (uint32_t c = d.toks[t].size; c < nc; c++) off[k++] = cells.len;
        t = d.toks[t].next;
    }
    off[k] = cells.len;
    for (size_t i = 0; i < k; i++) {
        size_t w = off[i + 1] - off[i];
        if (w > 60) w = 60;
        if (w > width[i % nc]) width[i % nc] = w;
    }
    for (size_t i = 0; i < k; i++) {
        size_t w = off[i + 1] - off[i];
        int shown = (int)(w > 60 ? 60 : w);
        printf("%s%.*s%*s", i % nc ? "  " : "", shown, (const char *)cells.data + off[i],
               (int)(width[i % nc] - (size_t)shown), "");
        if (i % nc == nc - 1) printf("\n");
    }
    if (stats) {
        uint32_t rs = ol_json_object_get(&d, stats, "rowsScanned"), ms = ol_json_object_get(&d, stats, "elapsedMs");
        ol_buf_t s;
        ol_buf_init(&s, OL_MEM_QUERY, 4096);
        ol_buf_printf(&s, "%u row%s", nr, nr == 1 ? "" : "s");
        if (rs) {
            ol_buf_append_cstr(&s, ", ");
            ol_query_cell(&d, rs, a, &s, false);
            ol_buf_append_cstr(&s, " scanned");
        }
        if (ms) {
            ol_buf_append_cstr(&s, ", ");
            ol_query_cell(&d, ms, a, &s, false);
            ol_buf_append_cstr(&s, " ms");
        }
        fprintf(stderr, "%.*s\n", (int)s.len, (const char *)s.data);
        ol_buf_free(&s);
    }
    free(off);
    free(width);
    ol_buf_free(&cells);
    ol_arena_destroy(a);
    return 0;
}

int ol_cmd_query(int argc, char **argv)
{
    const char *api = getenv("OLLY_HTTP"), *token = getenv("OLLY_API_TOKEN"), *format = "table", *sql = NULL;
    if (!api || !*api) api = "127.0.0.1:3300";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--api") || !strcmp(a, "--token") || !strcmp(a, "--format")) && i + 1 < argc) {
            if (!strcmp(a, "--api")) api = argv[++i];
            else if (!strcmp(a, "--token")) token = argv[++i];
            else format = argv[++i];
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            ol_query_usage(stdout);
            return 0;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "olly query: unknown option %s\n", a);
            ol_query_usage(stderr);
            return 2;
        } else if (!sql) {
            sql = a;
        } else {
            fprintf(stderr, "olly query: one query at a time (put it in quotes)\n");
            return 2;
        }
    }
    if (!sql) {
        ol_query_usage(stderr);
        return 2;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "olly query: --format must be table or json, not %s\n", format);
        return 2;
    }
    ol_buf_t req, raw, dech;
    ol_buf_init(&req, OL_MEM_QUERY, 1u << 20);
    ol_buf_init(&raw, OL_MEM_QUERY, OL_QUERY_MAX_ANSWER);
    ol_buf_init(&dech, OL_MEM_QUERY, OL_QUERY_MAX_ANSWER);
    ol_buf_t body;
    ol_buf_init(&body, OL_MEM_QUERY, 1u << 20);
    ol_buf_append_cstr(&body, "{\"sql\":");
    ol_json_write_cstr(&body, sql);
    ol_buf_append_u8(&body, '}');
    ol_buf_printf(&req, "POST /api/v1/query HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n", api, body.len);
    if (token && *token) ol_buf_printf(&req, "Authorization: Bearer %s\r\n", token);
    ol_buf_append_cstr(&req, "\r\n");
    ol_buf_append(&req, body.data, body.len);
    int rc = 2;
    int fd = ol_query_connect(api);
    if (fd < 0) {
        fprintf(stderr, "olly query: cannot connect to %s (is `olly serve` running? --api sets the address)\n", api);
        goto out;
    }
    int status = 0;
    ol_slice_t answer;
    if (ol_query_send_all(fd, req.data, req.len) != 0 || ol_query_read(fd, &raw, &status, &answer, &dech) != OL_OK) {
        fprintf(stderr, "olly query: no valid answer from %s\n", api);
        close(fd);
        goto out;
    }
    close(fd);
    if (status != 200) {
        fprintf(stderr, "olly query: %d: %.*s\n", status, (int)answer.len, (const char *)answer.ptr);
        rc = 1;
        goto out;
    }
    if (!strcmp(format, "json")) {
        fwrite(answer.ptr, 1, answer.len, stdout);
        fputc('\n', stdout);
        rc = 0;
    } else {
        rc = ol_query_print_table(answer);
    }
out:
    ol_buf_free(&req);
    ol_buf_free(&raw);
    ol_buf_free(&dech);
    ol_buf_free(&body);
    return rc;
}
