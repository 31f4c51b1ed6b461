/* demo.h - the `olly demo` command (see docs/demo.md). */
#ifndef OL_CMD_DEMO_H
#define OL_CMD_DEMO_H

#include "demo/demo.h"

/* Runs the command: 0 when the run happened and at least one request was
 * accepted (or there was nothing to send), 1 when none was or the run could
 * not start, 2 on a usage error (bad flag, scenario or fault). */
int ol_cmd_demo(int argc, char **argv);

typedef struct ol_cmd_demo_args {
    ol_demo_config_t cfg;
    ol_demo_run_options_t run;
    bool json, list, help;
} ol_cmd_demo_args_t;

/* Parses the flags after `demo` (a --scenario file is read here; flags given
 * explicitly override its settings, --fault specs are added after its
 * faults). Returns 0, 1 for --help, or -1 with err. Strings point into argv. */
int ol_cmd_demo_parse(int argc, char **argv, ol_cmd_demo_args_t *a, ol_err_t *err);

#endif
