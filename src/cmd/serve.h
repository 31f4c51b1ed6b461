/* serve.h - the `olly serve` command. */
#ifndef OL_CMD_SERVE_H
#define OL_CMD_SERVE_H

int ol_cmd_serve(int argc, char **argv);

#endif
