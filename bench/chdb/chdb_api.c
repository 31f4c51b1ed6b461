/*
 * chdb_api.c - resolves the chDB functions declared in chdb_api.h.
 *
 * The library is opened RTLD_NOW so a missing symbol is reported here, once,
 * rather than as a crash in the middle of a measurement. It is never closed:
 * chDB keeps engine threads alive until chdb_shutdown() and process exit.
 */
#include "chdb_api.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ol_chb_api_load(ol_chb_api_t *api, const char *path, ol_err_t *err)
{
    memset(api, 0, sizeof *api);
    api->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!api->handle) {
        ol_err_set(err, "cannot load chDB library %s: %s", path, dlerror());
        return OL_ERR;
    }
    static const struct {
        const char *name;
        size_t offset;
    } syms[] = {
#define OL_CHB_SYM(field, name) {name, offsetof(ol_chb_api_t, field)}
        OL_CHB_SYM(version, "chdb_version"),
        OL_CHB_SYM(connect, "chdb_connect"),
        OL_CHB_SYM(close_conn, "chdb_close_conn"),
        OL_CHB_SYM(query_n, "chdb_query_n"),
        OL_CHB_SYM(destroy_query_result, "chdb_destroy_query_result"),
        OL_CHB_SYM(result_buffer, "chdb_result_buffer"),
        OL_CHB_SYM(result_length, "chdb_result_length"),
        OL_CHB_SYM(result_elapsed, "chdb_result_elapsed"),
        OL_CHB_SYM(result_rows_read, "chdb_result_rows_read"),
        OL_CHB_SYM(result_rows_written, "chdb_result_rows_written"),
        OL_CHB_SYM(result_error, "chdb_result_error"),
        OL_CHB_SYM(stream_insert_n, "chdb_stream_insert_n"),
        OL_CHB_SYM(stream_append, "chdb_stream_append"),
        OL_CHB_SYM(stream_done, "chdb_stream_done"),
        OL_CHB_SYM(stream_insert_error, "chdb_stream_insert_error"),
        OL_CHB_SYM(destroy_insert_stream, "chdb_destroy_insert_stream"),
        OL_CHB_SYM(shutdown, "chdb_shutdown"),
#undef OL_CHB_SYM
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(syms); i++) {
        dlerror();
        void *fn = dlsym(api->handle, syms[i].name);
        if (!fn) {
            ol_err_set(err, "chDB library %s has no symbol %s (not a chDB 26.x libchdb.so?)", path, syms[i].name);
            return OL_ERR;
        }
        /* POSIX guarantees object and function pointers convert; store the bits. */
        memcpy((char *)api + syms[i].offset, &fn, sizeof fn);
    }
    return OL_OK;
}

const char *ol_chb_default_lib(const char *bench_from_exe)
{
    static char path[4200];
    const char *env = getenv("CHDB_LIB");
    if (env && *env) return env;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        snprintf(path, sizeof path, "%s/%s/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so", exe, bench_from_exe);
        if (access(path, R_OK) == 0) return path;
    }
    return "bench/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so";
}
