/*
 * chdb_api.h - the part of chDB's C API (libchdb.so) the benchmark uses,
 * loaded at run time with dlopen().
 *
 * The npm package @chdb/lib-linux-x64-gnu ships libchdb.so without a header,
 * so the few types and functions used here are declared by hand. They match
 * chdb.h of chDB 26.7 (chdb-io/chdb-core, programs/local/chdb.h, whose
 * CHDB_VERSION is "26.7.0"): opaque handle structs holding one pointer,
 * chdb_state 0 = success, and the signatures below. Nothing else from that
 * header is needed; in particular the deprecated local_result structs are not.
 *
 * Lifetime: a chdb_result must be destroyed with destroy_query_result, an
 * insert stream with destroy_insert_stream (even after stream_done), and a
 * connection closed with close_conn before shutdown.
 */
#ifndef OL_BENCH_CHDB_API_H
#define OL_BENCH_CHDB_API_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

typedef struct chdb_connection_ {
    void *internal_data;
} *chdb_connection;

typedef struct chdb_result_ {
    void *internal_data;
} chdb_result;

typedef struct chdb_insert_stream_ {
    void *internal_data;
} *chdb_insert_stream;

typedef enum chdb_state { CHDBSuccess = 0, CHDBError = 1 } chdb_state;

typedef struct ol_chb_api {
    void *handle;
    const char *(*version)(void);
    chdb_connection *(*connect)(int argc, char **argv);
    void (*close_conn)(chdb_connection *conn);
    chdb_result *(*query_n)(chdb_connection conn, const char *query, size_t query_len, const char *format,
                            size_t format_len);
    void (*destroy_query_result)(chdb_result *result);
    char *(*result_buffer)(chdb_result *result);
    size_t (*result_length)(chdb_result *result);
    double (*result_elapsed)(chdb_result *result);
    uint64_t (*result_rows_read)(chdb_result *result);
    uint64_t (*result_rows_written)(chdb_result *result);
    const char *(*result_error)(chdb_result *result);
    chdb_insert_stream (*stream_insert_n)(chdb_connection conn, const char *query, size_t query_len,
                                          const char *format, size_t format_len);
    chdb_state (*stream_append)(chdb_insert_stream stream, const void *data, size_t len);
    chdb_result *(*stream_done)(chdb_insert_stream stream);
    const char *(*stream_insert_error)(chdb_insert_stream stream);
    void (*destroy_insert_stream)(chdb_insert_stream stream);
    chdb_state (*shutdown)(void);
} ol_chb_api_t;

/* dlopen()s `path` and resolves every function above. OL_OK, or OL_ERR with
 * err naming the missing file or symbol. */
int ol_chb_api_load(ol_chb_api_t *api, const char *path, ol_err_t *err);

/* Where libchdb.so is: $CHDB_LIB, else bench/node_modules/... found from
 * the running executable's directory through `bench_from_exe` (the relative
 * path from it to bench/, e.g. ".." for bench/chdb/build), else that path
 * relative to the project root. Static storage. */
const char *ol_chb_default_lib(const char *bench_from_exe);

#endif
