/*
 * util.h - small pure helpers: CRC-32C, hex, base64, hashing, time parsing,
 * little-endian loads/stores. No allocation except where a buffer is passed.
 */
#ifndef OL_CORE_UTIL_H
#define OL_CORE_UTIL_H

#include <time.h>

#include "core/buf.h"
#include "core/common.h"

/* CRC-32C (Castagnoli), as used by the WAL. crc is the running value (0 to start). */
uint32_t ol_crc32c(uint32_t crc, const void *p, size_t n);
/* The portable table-driven CRC-32C; ol_crc32c picks the fastest correct one. */
uint32_t ol_crc32c_table(uint32_t crc, const void *p, size_t n);

/* Lower-case hex of n bytes into out (2n chars, no NUL). */
void ol_hex_encode(char *out, const uint8_t *p, size_t n);
void ol_buf_append_hex(ol_buf_t *b, const uint8_t *p, size_t n);
/* Case-insensitive hex decode; returns bytes written or -1 on a bad digit /
 * odd length / out too small. */
long ol_hex_decode(uint8_t *out, size_t out_cap, const char *s, size_t n);

void ol_buf_append_base64(ol_buf_t *b, const uint8_t *p, size_t n);
/* Accepts standard and URL-safe alphabets, with or without padding.
 * Returns bytes written or -1. out must hold at least n*3/4+3 bytes. */
long ol_base64_decode(uint8_t *out, size_t out_cap, const char *s, size_t n);

/* 64-bit hash of bytes (not cryptographic; for hash tables). */
uint64_t ol_hash64(const void *p, size_t n, uint64_t seed);

/* Wall clock in Unix nanoseconds. Monotonic clock in nanoseconds. */
uint64_t ol_now_ns(void);
uint64_t ol_mono_ns(void);
/* The monotonic-clock time ms milliseconds from now, as the absolute
 * deadline pthread_cond_timedwait wants (condvars set to CLOCK_MONOTONIC). */
struct timespec ol_mono_deadline_ms(uint64_t ms);

/* Parses an API time: Unix nanoseconds (all digits) or RFC 3339
 * ("2026-11-21T17:00:00Z", fractional seconds and +hh:mm offsets allowed).
 * Returns OL_OK or OL_CORRUPT. */
int ol_time_parse(ol_slice_t s, uint64_t *out_ns);
/* Formats Unix nanoseconds as RFC 3339 UTC with nanoseconds into out[40]. */
void ol_time_format(uint64_t ns, char out[40]);

/* Strict unsigned decimal parse of the whole slice; OL_CORRUPT on junk/overflow. */
/* Reads a whole file into out (appended; out's limit applies). OL_OK;
 * OL_NOTFOUND / OL_ERR with err naming the path and errno's reason;
 * OL_LIMIT when it is larger than max bytes. */
int ol_read_file(const char *path, size_t max, ol_buf_t *out, ol_err_t *err);

int ol_parse_u64(ol_slice_t s, uint64_t *out);
int ol_parse_i64(ol_slice_t s, int64_t *out);
int ol_parse_double(ol_slice_t s, double *out);

static inline uint32_t ol_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ol_load_le64(const uint8_t *p)
{
    return (uint64_t)ol_load_le32(p) | (uint64_t)ol_load_le32(p + 4) << 32;
}
static inline void ol_store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void ol_store_le64(uint8_t *p, uint64_t v)
{
    ol_store_le32(p, (uint32_t)v);
    ol_store_le32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t ol_load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

#endif
