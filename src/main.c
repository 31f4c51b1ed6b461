/*
 * main.c - the `olly` command line: dispatches subcommands.
 *
 * Subcommands are a table (name, handler, summary) so `olly help` is
 * generated from the same place that dispatches.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/demo.h"
#include "cmd/loadgen.h"
#include "cmd/part.h"
#include "cmd/query.h"
#include "cmd/serve.h"

typedef int (*ol_cmd_fn)(int argc, char **argv);

static int ol_cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("olly %s\n", OL_VERSION);
    return 0;
}

static int ol_cmd_help(int argc, char **argv);

static const struct {
    const char *name;
    ol_cmd_fn fn;
    const char *summary;
} ol_commands[] = {
    {"serve", ol_cmd_serve, "receive OTLP, store it, serve the API"},
    {"loadgen", ol_cmd_loadgen, "send realistic OTLP spans to an endpoint and measure ingest"},
    {"demo", ol_cmd_demo, "run a simulated microservice system that sends OTLP, with scripted faults"},
    {"query", ol_cmd_query, "run one SQL query on a running server (docs/sql.md)"},
    {"part", ol_cmd_part, "verify, dump or build part files (offline)"},
    {"version", ol_cmd_version, "print the version"},
    {"help", ol_cmd_help, "show this help"},
};

static int ol_cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: olly <command> [flags]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof ol_commands / sizeof ol_commands[0]; i++)
        printf("  %-10s %s\n", ol_commands[i].name, ol_commands[i].summary);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        ol_cmd_help(argc, argv);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) return ol_cmd_version(argc, argv);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return ol_cmd_help(argc, argv);
    for (size_t i = 0; i < sizeof ol_commands / sizeof ol_commands[0]; i++)
        if (strcmp(argv[1], ol_commands[i].name) == 0) return ol_commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "olly: unknown command '%s' (try 'olly help')\n", argv[1]);
    return 2;
}
