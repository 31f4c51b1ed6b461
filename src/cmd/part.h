/* part.h - the `olly part` offline tool (verify, dump, build). */
#ifndef OL_CMD_PART_H
#define OL_CMD_PART_H

int ol_cmd_part(int argc, char **argv);

#endif
