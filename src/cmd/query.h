/*
 * query.h - `olly query "SQL"`: runs one query of the SQL dialect on a
 * running Olly (POST /api/v1/query) and prints the answer.
 */
#ifndef OL_CMD_QUERY_H
#define OL_CMD_QUERY_H

int ol_cmd_query(int argc, char **argv);

#endif
