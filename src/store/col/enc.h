/*
 * enc.h - column encodings for the embedded store's parts.
 *
 * Each encoder appends one self-delimiting stream to an ol_buf_t; each
 * decoder reads one stream from the front of a slice, checks every length
 * and count against the bytes that are really there (parts come from disk,
 * so a decoder must survive any input), and says how many bytes it used, so
 * several streams can sit back to back in one block. The stream layouts are
 * specified in docs/format/part.md ("Encodings"); this header is their only
 * implementation.
 *
 * Decoders return OL_OK, or OL_CORRUPT with err saying which stream and at
 * which byte offset, or OL_LIMIT when a count exceeds the caller's maximum.
 * n (the number of values) is always known from the part's metadata, never
 * taken from the stream alone.
 *
 * Blocks: a stream (or several) is compressed as one block with a small
 * header (codec, raw length, stored length, CRC-32C of the stored bytes).
 */
#ifndef OL_STORE_COL_ENC_H
#define OL_STORE_COL_ENC_H

#include "core/buf.h"
#include "core/common.h"

/* ---- Integers ---- */

/* n unsigned varints. */
void ol_enc_uvarints(ol_buf_t *b, const uint64_t *v, size_t n);
int ol_dec_uvarints(ol_slice_t in, uint64_t *out, size_t n, size_t *used, ol_err_t *err);

/* Deltas: v[0] as a zigzag varint against `base`, then each v[i] - v[i-1]
 * as a zigzag varint (wrap-around arithmetic, so any u64 sequence round
 * trips). For timestamps sorted or nearly sorted. */
void ol_enc_delta(ol_buf_t *b, uint64_t base, const uint64_t *v, size_t n);
int ol_dec_delta(ol_slice_t in, uint64_t base, uint64_t *out, size_t n, size_t *used, ol_err_t *err);

/* Signed values as zigzag varints (durations that may be negative under clock skew). */
void ol_enc_zigzag(ol_buf_t *b, const int64_t *v, size_t n);
int ol_dec_zigzag(ol_slice_t in, int64_t *out, size_t n, size_t *used, ol_err_t *err);

/* Small integers (kinds, status codes, type tags): one byte each. */
void ol_enc_u8(ol_buf_t *b, const uint8_t *v, size_t n);
int ol_dec_u8(ol_slice_t in, uint8_t *out, size_t n, size_t *used, ol_err_t *err);

/* ---- Fixed-width values (span ids, doubles as their bit patterns) ---- */

/* n values of `width` bytes each, stored as given. */
void ol_enc_fixed(ol_buf_t *b, const uint8_t *v, size_t width, size_t n);
/* Points *out at the n*width bytes inside `in` (no copy). */
int ol_dec_fixed(ol_slice_t in, size_t width, size_t n, const uint8_t **out, size_t *used, ol_err_t *err);

/* ---- Runs of fixed-width values (trace ids: a trace's spans are adjacent) ----
 * Layout: varint run count, then per run: varint length (>= 1), width bytes.
 * The run lengths must add up to exactly n. */
void ol_enc_runs(ol_buf_t *b, const uint8_t *v, size_t width, size_t n);
/* Expands into out (n*width bytes). */
int ol_dec_runs(ol_slice_t in, size_t width, size_t n, uint8_t *out, size_t *used, ol_err_t *err);

/* ---- Booleans / presence ---- */

/* n bits, least significant bit first, ceil(n/8) bytes. */
void ol_enc_bits(ol_buf_t *b, const bool *v, size_t n);
int ol_dec_bits(ol_slice_t in, bool *out, size_t n, size_t *used, ol_err_t *err);

/* ---- Byte strings ----
 * Layout: n varint lengths, then the n values back to back. Decoding
 * yields slices into `in` (no copy). */
void ol_enc_bytes(ol_buf_t *b, const ol_slice_t *v, size_t n);
int ol_dec_bytes(ol_slice_t in, ol_slice_t *out, size_t n, size_t *used, ol_err_t *err);

/* ---- Dictionaries ----
 * A dictionary maps distinct byte strings to ids 0, 1, 2, ... in first-seen
 * order. Encoded as: varint count, then the strings as ol_enc_bytes. Values
 * referring to it are stored as uvarints of their ids. */
typedef struct ol_dict ol_dict_t;
ol_dict_t *ol_dict_new(void);
void ol_dict_free(ol_dict_t *d);
/* Id of s, adding a copy of it when new. Returns UINT32_MAX on allocation failure. */
uint32_t ol_dict_add(ol_dict_t *d, ol_slice_t s);
/* Id of s, or UINT32_MAX when absent (no insertion). */
uint32_t ol_dict_find(const ol_dict_t *d, ol_slice_t s);
size_t ol_dict_count(const ol_dict_t *d);
ol_slice_t ol_dict_get(const ol_dict_t *d, uint32_t id); /* id < count */
size_t ol_dict_bytes(const ol_dict_t *d);                /* sum of string lengths */
void ol_dict_encode(const ol_dict_t *d, ol_buf_t *b);
/* Decodes a dictionary into out (slices into `in`, array from the caller's
 * allocation of at most max_count entries); *count receives its size. */
int ol_dict_decode(ol_slice_t in, ol_slice_t *out, size_t max_count, size_t *count, size_t *used, ol_err_t *err);

/* ---- Blocks ----
 * Header (13 bytes, little endian): u8 codec (0 = none, 1 = zstd),
 * u32 raw length, u32 stored length, u32 CRC-32C of the stored bytes;
 * then the stored bytes. A block whose zstd output is not smaller than its
 * input is stored with codec 0. */
#define OL_BLOCK_HEADER 13
#define OL_BLOCK_MAX_RAW (256u << 20)
void ol_block_write(ol_buf_t *out, ol_slice_t raw, int zstd_level);
/* Verifies the CRC and decompresses into out (appending). max_raw caps the
 * raw length the header may claim (OL_LIMIT beyond). *used = header + stored. */
int ol_block_read(ol_slice_t in, size_t max_raw, ol_buf_t *out, size_t *used, ol_err_t *err);

#endif
