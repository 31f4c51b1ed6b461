/*
 * loadgen.c - `olly loadgen`: flags -> ol_loadgen_options_t -> run ->
 * report.
 *
 * The serve settings table (config.c) carries environment variables and a
 * config file, which a benchmark client does not want; this command has its
 * own small table (name, type, field, argument, doc) that drives both parsing
 * and --help. Flags take "--name value" or "--name=value".
 */
#include "cmd/loadgen.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"

typedef enum { LG_OPT_STR, LG_OPT_U32, LG_OPT_U64, LG_OPT_DBL, LG_OPT_BOOL } ol_lg_opt_type_t;

typedef struct ol_lg_cli {
    ol_loadgen_options_t o;
    const char *protocol;
    bool json, help;
} ol_lg_cli_t;

#define F(x) offsetof(ol_lg_cli_t, x)
static const struct ol_lg_opt {
    const char *name;
    ol_lg_opt_type_t type;
    size_t off;
    const char *arg;
    const char *doc;
} ol_lg_opts[] = {
    {"target", LG_OPT_STR, F(o.target), "URL",
     "where to send: http://HOST:PORT[/PATH] for http (default http://127.0.0.1:4318/v1/traces), HOST:PORT for "
     "grpc (default 127.0.0.1:4317)"},
    {"protocol", LG_OPT_STR, F(protocol), "http|grpc", "OTLP/HTTP protobuf or OTLP/gRPC (default http)"},
    {"connections", LG_OPT_U32, F(o.connections), "N",
     "connections, one thread each, one request in flight each (default 2)"},
    {"spans-per-request", LG_OPT_U32, F(o.spans_per_request), "N", "spans in each request (default 2000)"},
    {"batches", LG_OPT_U32, F(o.batches), "K", "distinct pre-encoded requests, sent in turn (default 64)"},
    {"duration", LG_OPT_DBL, F(o.duration_s), "SECONDS", "how long to send (default 10)"},
    {"requests", LG_OPT_U64, F(o.requests), "N", "send exactly N requests in total instead of running for a duration"},
    {"rate", LG_OPT_U64, F(o.rate), "SPANS_PER_SEC",
     "pace sends to this many spans/s in total; 0 = unlimited (default 0)"},
    {"seed", LG_OPT_U64, F(o.seed), "N", "generator seed: same seed, same spans (default 1)"},
    {"services", LG_OPT_U32, F(o.services), "N",
     "services in the topology; more than the 15 built in adds generic ones (default 15)"},
    {"gzip", LG_OPT_BOOL, F(o.gzip), NULL, "gzip request bodies (compressed per request, inside the measured time)"},
    {"out", LG_OPT_STR, F(o.out), "FILE",
     "write the requests to FILE ([u32 LE length][ExportTraceServiceRequest] records; --requests N of them, "
     "default one per batch) and exit without sending"},
    {"json", LG_OPT_BOOL, F(json), NULL, "print the report as one JSON object on stdout (the table goes to stderr)"},
    {"help", LG_OPT_BOOL, F(help), NULL, "show this help"},
};
#undef F

static void ol_lg_usage(FILE *f)
{
    fprintf(f, "usage: olly loadgen [flags]\n\n"
               "Sends realistic OpenTelemetry spans to an OTLP endpoint as fast as it answers (or at --rate)\n"
               "and reports accepted spans/s and export latency. See docs/loadgen.md.\n\nflags:\n");
    for (size_t i = 0; i < OL_ARRAY_LEN(ol_lg_opts); i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", ol_lg_opts[i].name, ol_lg_opts[i].arg ? " " : "",
                 ol_lg_opts[i].arg ? ol_lg_opts[i].arg : "");
        fprintf(f, "  %-34s %s\n", left, ol_lg_opts[i].doc);
    }
}

static int ol_lg_set(ol_lg_cli_t *cli, const struct ol_lg_opt *opt, const char *v, ol_err_t *err)
{
    char *base = (char *)cli, *end = NULL;
    errno = 0;
    switch (opt->type) {
    case LG_OPT_STR:
        *(const char **)(base + opt->off) = v;
        return 0;
    case LG_OPT_BOOL:
        *(bool *)(base + opt->off) = true;
        return 0;
    case LG_OPT_DBL: {
        double d = strtod(v, &end);
        if (!*v || *end || errno || !(d >= 0)) break;
        *(double *)(base + opt->off) = d;
        return 0;
    }
    case LG_OPT_U32:
    case LG_OPT_U64: {
        unsigned long long u = strtoull(v, &end, 10);
        if (!*v || *end || errno || v[0] == '-' || (opt->type == LG_OPT_U32 && u > UINT32_MAX)) break;
        if (opt->type == LG_OPT_U32) *(uint32_t *)(base + opt->off) = (uint32_t)u;
        else *(uint64_t *)(base + opt->off) = u;
        return 0;
    }
    }
    ol_err_set(err, "--%s expects a non-negative %s, got '%s'", opt->name,
               opt->type == LG_OPT_DBL ? "number" : "integer", v);
    return -1;
}

int ol_cmd_loadgen_parse(int argc, char **argv, ol_loadgen_options_t *o, bool *json, ol_err_t *err)
{
    ol_lg_cli_t cli = {.protocol = "http"};
    ol_loadgen_options_default(&cli.o);
    cli.o.services = ol_topo_default_services();
    bool saw_duration = false, saw_requests = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            ol_err_set(err, "unexpected argument '%s' (flags start with --)", a);
            return -1;
        }
        a += 2;
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        const struct ol_lg_opt *opt = NULL;
        for (size_t k = 0; k < OL_ARRAY_LEN(ol_lg_opts); k++)
            if (strlen(ol_lg_opts[k].name) == nl && strncmp(ol_lg_opts[k].name, a, nl) == 0) opt = &ol_lg_opts[k];
        if (!opt) {
            ol_err_set(err, "unknown flag '--%.*s' (try --help)", (int)OL_MIN(nl, 100u), a);
            return -1;
        }
        const char *v = NULL;
        if (opt->type == LG_OPT_BOOL) {
            if (eq) {
                ol_err_set(err, "--%s takes no value", opt->name);
                return -1;
            }
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            ol_err_set(err, "--%s needs a value (%s)", opt->name, opt->arg);
            return -1;
        }
        if (ol_lg_set(&cli, opt, v, err) != 0) return -1;
        saw_duration |= opt->off == offsetof(ol_lg_cli_t, o.duration_s);
        saw_requests |= opt->off == offsetof(ol_lg_cli_t, o.requests);
    }
    *json = cli.json;
    *o = cli.o;
    if (cli.help) return 1;
    if (strcmp(cli.protocol, "http") == 0) o->protocol = OL_LOADGEN_HTTP;
    else if (strcmp(cli.protocol, "grpc") == 0) o->protocol = OL_LOADGEN_GRPC;
    else {
        ol_err_set(err, "--protocol must be http or grpc, got '%s'", cli.protocol);
        return -1;
    }
    if (saw_duration && saw_requests) {
        ol_err_set(err, "give either --duration or --requests, not both");
        return -1;
    }
    if (saw_requests && o->requests == 0) {
        ol_err_set(err, "--requests must be at least 1");
        return -1;
    }
    if (!o->requests && !o->out && !(o->duration_s > 0 && o->duration_s <= 86400)) {
        ol_err_set(err, "--duration must be more than 0 and at most 86400 seconds");
        return -1;
    }
    if (o->connections < 1 || o->connections > 1024) {
        ol_err_set(err, "--connections must be 1..1024, got %u", o->connections);
        return -1;
    }
    if (o->spans_per_request < 1 || o->spans_per_request > 1000000) {
        ol_err_set(err, "--spans-per-request must be 1..1000000, got %u", o->spans_per_request);
        return -1;
    }
    if (o->batches < 1 || (uint64_t)o->batches * o->spans_per_request > 20000000) {
        ol_err_set(err, "--batches must be at least 1 and batches x spans-per-request at most 20000000 "
                        "(about 10 GB pre-encoded)");
        return -1;
    }
    if (o->target && o->out) {
        ol_err_set(err, "--out writes a file and sends nothing: drop --target");
        return -1;
    }
    return 0;
}

static _Atomic bool ol_lg_interrupted;

static void ol_lg_on_sigint(int sig)
{
    (void)sig;
    atomic_store(&ol_lg_interrupted, true);
}

int ol_cmd_loadgen(int argc, char **argv)
{
    ol_loadgen_options_t o;
    bool json = false;
    ol_err_t err = {{0}};
    int rc = ol_cmd_loadgen_parse(argc, argv, &o, &json, &err);
    if (rc == 1) {
        ol_lg_usage(stdout);
        return 0;
    }
    if (rc < 0) {
        fprintf(stderr, "olly loadgen: %s\n", err.msg);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Ctrl-C ends the run early, still with a report; a second one kills. */
    struct sigaction sa = {.sa_handler = ol_lg_on_sigint, .sa_flags = SA_RESETHAND};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    o.stop = &ol_lg_interrupted;
    ol_loadgen_report_t *r = ol_calloc(OL_MEM_CORE, 1, sizeof *r);
    if (!r) {
        fprintf(stderr, "olly loadgen: out of memory\n");
        return 1;
    }
    int exit_code = 1;
    if (ol_loadgen_run(&o, r, &err) != OL_OK) {
        fprintf(stderr, "olly loadgen: %s\n", err.msg);
        goto out;
    }
    ol_loadgen_report_print(json ? stderr : stdout, r);
    if (json) {
        ol_buf_t b;
        ol_buf_init(&b, OL_MEM_CORE, 0);
        ol_loadgen_report_json(&b, r);
        ol_buf_append_u8(&b, '\n');
        fwrite(b.data, 1, b.len, stdout);
        ol_buf_free(&b);
    }
    exit_code = o.out || r->requests_ok > 0 ? 0 : 1;
    if (exit_code) fprintf(stderr, "olly loadgen: no request succeeded\n");
out:
    ol_free(OL_MEM_CORE, r, sizeof *r);
    return exit_code;
}
