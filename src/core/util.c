/*
 * util.c - CRC-32C, hex, base64, hashing, clocks, time and number parsing.
 * Table-driven and portable. CRC-32C, which every WAL record and part block
 * is checked with, uses the SSE4.2 crc32 instruction when the CPU has it
 * (chosen once at run time; the table stays the reference and the fallback).
 */
#include "core/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>

static uint32_t g_crc_table[8][256];
static int g_crc_ready;

static void ol_crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        g_crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            g_crc_table[t][i] = (g_crc_table[t - 1][i] >> 8) ^ g_crc_table[0][g_crc_table[t - 1][i] & 0xff];
    __atomic_store_n(&g_crc_ready, 1, __ATOMIC_RELEASE);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define OL_CRC_HW 1
__attribute__((target("sse4.2"))) static uint32_t ol_crc32c_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = ~crc;
    for (; n && ((uintptr_t)p & 7); n--) c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
    }
    for (; n; n--) c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#endif

/* 0 unknown, 1 table, 2 hardware */
static int g_crc_impl;

uint32_t ol_crc32c_table(uint32_t crc, const void *data, size_t n)
{
    if (!__atomic_load_n(&g_crc_ready, __ATOMIC_ACQUIRE)) ol_crc32c_init(); /* idempotent */
    const uint8_t *p = data;
    crc = ~crc;
    while (n >= 8) {
        uint32_t lo = ol_load_le32(p) ^ crc, hi = ol_load_le32(p + 4);
        crc = g_crc_table[7][lo & 0xff] ^ g_crc_table[6][(lo >> 8) & 0xff] ^ g_crc_table[5][(lo >> 16) & 0xff] ^
              g_crc_table[4][lo >> 24] ^ g_crc_table[3][hi & 0xff] ^ g_crc_table[2][(hi >> 8) & 0xff] ^
              g_crc_table[1][(hi >> 16) & 0xff] ^ g_crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ g_crc_table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

uint32_t ol_crc32c(uint32_t crc, const void *data, size_t n)
{
    int impl = __atomic_load_n(&g_crc_impl, __ATOMIC_RELAXED);
    if (!impl) {
#ifdef OL_CRC_HW
        __builtin_cpu_init();
        impl = __builtin_cpu_supports("sse4.2") ? 2 : 1;
#else
        impl = 1;
#endif
        __atomic_store_n(&g_crc_impl, impl, __ATOMIC_RELAXED);
    }
#ifdef OL_CRC_HW
    if (impl == 2) return ol_crc32c_hw(crc, data, n);
#endif
    return ol_crc32c_table(crc, data, n);
}

void ol_hex_encode(char *out, const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
}

void ol_buf_append_hex(ol_buf_t *b, const uint8_t *p, size_t n)
{
    if (ol_buf_reserve(b, 2 * n) != OL_OK) return;
    ol_hex_encode((char *)b->data + b->len, p, n);
    b->len += 2 * n;
}

static int ol_hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long ol_hex_decode(uint8_t *out, size_t out_cap, const char *s, size_t n)
{
    if (n % 2 || n / 2 > out_cap) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = ol_hex_digit(s[2 * i]), lo = ol_hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

void ol_buf_append_base64(ol_buf_t *b, const uint8_t *p, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (ol_buf_reserve(b, (n + 2) / 3 * 4) != OL_OK) return;
    char *o = (char *)b->data + b->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = t[v >> 18]; *o++ = t[(v >> 12) & 63]; *o++ = t[(v >> 6) & 63]; *o++ = t[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *o++ = t[v >> 18]; *o++ = t[(v >> 12) & 63]; *o++ = '='; *o++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *o++ = t[v >> 18]; *o++ = t[(v >> 12) & 63]; *o++ = t[(v >> 6) & 63]; *o++ = '=';
    }
    b->len = (size_t)(o - (char *)b->data);
}

static int ol_b64_val(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

long ol_base64_decode(uint8_t *out, size_t out_cap, const char *s, size_t n)
{
    while (n && s[n - 1] == '=') n--;
    if (n % 4 == 1) return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = ol_b64_val(s[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= out_cap) return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)o;
}

uint64_t ol_hash64(const void *data, size_t n, uint64_t seed)
{
    /* FNV-1a over 8-byte words with a final avalanche (splitmix64). */
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    while (n >= 8) {
        h = (h ^ ol_load_le64(p)) * 0x100000001b3ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    while (n--) h = (h ^ *p++) * 0x100000001b3ull;
    h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27; h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

uint64_t ol_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t ol_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct timespec ol_mono_deadline_ms(uint64_t ms)
{
    uint64_t t = ol_mono_ns() + ms * 1000000u;
    return (struct timespec){.tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u)};
}

int ol_parse_u64(ol_slice_t s, uint64_t *out)
{
    if (s.len == 0 || s.len > 20) return OL_CORRUPT;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return OL_CORRUPT;
        uint64_t d = (uint64_t)(s.ptr[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return OL_CORRUPT;
        v = v * 10 + d;
    }
    *out = v;
    return OL_OK;
}

int ol_parse_i64(ol_slice_t s, int64_t *out)
{
    bool neg = s.len && s.ptr[0] == '-';
    uint64_t u;
    if (ol_parse_u64(neg ? ol_slice(s.ptr + 1, s.len - 1) : s, &u) != OL_OK) return OL_CORRUPT;
    if (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX) return OL_CORRUPT;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return OL_OK;
}

int ol_parse_double(ol_slice_t s, double *out)
{
    char tmp[64];
    if (s.len == 0 || s.len >= sizeof tmp) return OL_CORRUPT;
    memcpy(tmp, s.ptr, s.len);
    tmp[s.len] = 0;
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (*end || errno == ERANGE) return OL_CORRUPT;
    *out = d;
    return OL_OK;
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t ol_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int ol_digits(const uint8_t *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int ol_time_parse(ol_slice_t s, uint64_t *out_ns)
{
    bool all_digits = s.len > 0;
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] < '0' || s.ptr[i] > '9') all_digits = false;
    if (all_digits) return ol_parse_u64(s, out_ns);
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm) */
    const uint8_t *p = s.ptr;
    if (s.len < 20 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') || p[13] != ':' ||
        p[16] != ':')
        return OL_CORRUPT;
    int y = ol_digits(p, 4), mo = ol_digits(p + 5, 2), d = ol_digits(p + 8, 2);
    int h = ol_digits(p + 11, 2), mi = ol_digits(p + 14, 2), se = ol_digits(p + 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 ||
        se > 60)
        return OL_CORRUPT;
    size_t i = 19;
    uint64_t frac = 0;
    if (i < s.len && p[i] == '.') {
        i++;
        int nd = 0;
        while (i < s.len && p[i] >= '0' && p[i] <= '9') {
            if (nd < 9) { frac = frac * 10 + (uint64_t)(p[i] - '0'); nd++; }
            i++;
        }
        if (nd == 0) return OL_CORRUPT;
        while (nd++ < 9) frac *= 10;
    }
    int64_t off = 0;
    if (i < s.len && (p[i] == 'Z' || p[i] == 'z')) {
        i++;
    } else if (i + 6 == s.len && (p[i] == '+' || p[i] == '-') && p[i + 3] == ':') {
        int oh = ol_digits(p + i + 1, 2), om = ol_digits(p + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return OL_CORRUPT;
        off = (oh * 60 + om) * 60 * (p[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return OL_CORRUPT;
    }
    if (i != s.len) return OL_CORRUPT;
    int64_t secs = ol_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
    if (secs < 0 || (uint64_t)secs > UINT64_MAX / 1000000000ull - 1) return OL_CORRUPT;
    *out_ns = (uint64_t)secs * 1000000000ull + frac;
    return OL_OK;
}

void ol_time_format(uint64_t ns, char out[40])
{
    time_t secs = (time_t)(ns / 1000000000ull);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char frac[16];
    snprintf(frac, sizeof frac, "%09u", (unsigned)(ns % 1000000000ull));
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n + 12 <= 40) {
        out[n] = '.';
        memcpy(out + n + 1, frac, 9);
        out[n + 10] = 'Z';
        out[n + 11] = 0;
    }
}

int ol_read_file(const char *path, size_t max, ol_buf_t *out, ol_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        ol_err_set(err, "%s: %s", path, strerror(e));
        return e == ENOENT ? OL_NOTFOUND : OL_ERR;
    }
    size_t start = out->len, n;
    char chunk[8192];
    int rc = OL_OK;
    while (rc == OL_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->len - start + n > max) {
            ol_err_set(err, "%s: larger than %zu bytes", path, max);
            rc = OL_LIMIT;
        } else ol_buf_append(out, chunk, n);
    }
    if (rc == OL_OK && ferror(f)) {
        ol_err_set(err, "%s: read error", path);
        rc = OL_ERR;
    }
    if (rc == OL_OK && out->err != OL_OK) {
        ol_err_set(err, "%s: out of memory reading it", path);
        rc = out->err;
    }
    fclose(f);
    return rc;
}
