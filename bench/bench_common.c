/*
 * bench_common.c - file reading and latency percentiles for the Olly side of
 * the benchmark (see bench_common.h).
 */
#include "bench_common.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ol_bench_read_file(const char *path, uint8_t **data, size_t *len, ol_err_t *err)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        ol_err_set(err, "cannot open %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return OL_ERR;
    }
    *len = (size_t)st.st_size;
    *data = malloc(*len ? *len : 1);
    if (!*data) {
        close(fd);
        ol_err_set(err, "%s: cannot allocate %zu bytes", path, *len);
        return OL_NOMEM;
    }
    size_t got = 0;
    while (got < *len) {
        ssize_t n = read(fd, *data + got, *len - got);
        if (n <= 0) {
            ol_err_set(err, "read %s: %s", path, n < 0 ? strerror(errno) : "file shrank");
            close(fd);
            free(*data);
            *data = NULL;
            return OL_ERR;
        }
        got += (size_t)n;
    }
    close(fd);
    return OL_OK;
}

static int ol_bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double ol_bench_rank(const double *v, size_t n, double q)
{
    size_t r = (size_t)ceil(q * (double)n);
    return v[(r ? r : 1) - 1];
}

ol_bench_lat_t ol_bench_lat(double *v, size_t n)
{
    ol_bench_lat_t l = {0, 0, 0, 0, 0, n};
    if (!n) return l;
    qsort(v, n, sizeof *v, ol_bench_cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += v[i];
    l.p50 = ol_bench_rank(v, n, 0.50);
    l.p90 = ol_bench_rank(v, n, 0.90);
    l.p99 = ol_bench_rank(v, n, 0.99);
    l.max = v[n - 1];
    l.mean = sum / (double)n;
    return l;
}

void ol_bench_lat_json(ol_buf_t *b, const char *name, const ol_bench_lat_t *l)
{
    ol_buf_printf(b, "\"%s\":{\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f,\"count\":%zu}",
                  name, l->p50, l->p90, l->p99, l->max, l->mean, l->count);
}
