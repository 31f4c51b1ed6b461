/* loadgen.h - the `olly loadgen` command (see docs/loadgen.md). */
#ifndef OL_CMD_LOADGEN_H
#define OL_CMD_LOADGEN_H

#include "loadgen/loadgen.h"

/* Runs the command: 0 when at least one request succeeded (or --out was
 * written), 1 when none did or the run could not start, 2 on a usage error. */
int ol_cmd_loadgen(int argc, char **argv);

/* Parses the flags after `loadgen` into o (starting from the defaults).
 * Returns 0, 1 when --help was given, or -1 with err naming the flag.
 * String options point into argv. */
int ol_cmd_loadgen_parse(int argc, char **argv, ol_loadgen_options_t *o, bool *json, ol_err_t *err);

#endif
