/*
 * fuzz_manifest.c - the MANIFEST and CHECKPOINT decoders
 * (src/store/embedded/catalog.c, docs/format/manifest.md) over arbitrary bytes.
 *
 * The first input byte picks the mode, the rest is the file:
 *   odd:  the file as is (exercises the size, magic, version and CRC checks);
 *   even: the trailing 4 bytes are replaced by the CRC-32C of the bytes before
 *         them (both files share that framing), so the fuzzer gets past the
 *         CRC into counts, lengths, extensions and per-part checks.
 * Both decoders run on every input. Whatever decodes must satisfy the
 * invariants the store relies on, and re-encode to something that decodes to
 * the same thing; a manifest without extension bytes re-encodes to exactly
 * the input, and so does every checkpoint.
 *
 * Seeds: tests/fuzz/corpus/manifest, written by
 * OL_MANIFEST_CORPUS_OUT=<dir> build/tests/test_store_catalog.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "store/embedded/catalog.h"

static bool fz_same_entry(const ol_part_entry_t *x, const ol_part_entry_t *y)
{
    return x->id == y->id && x->level == y->level && x->rows == y->rows && x->bytes == y->bytes &&
           x->min_ns == y->min_ns && x->max_ns == y->max_ns && x->wal_segment == y->wal_segment &&
           x->footer_crc == y->footer_crc && x->flags == y->flags;
}

static void fz_check_manifest(const uint8_t *file, size_t len, const ol_manifest_t *m)
{
    if (m->n_parts > OL_MANIFEST_MAX_PARTS || (uint32_t)m->signal > 2 || m->day > OL_CATALOG_MAX_DAY) abort();
    if (OL_MANIFEST_HDR + m->n_parts * OL_MANIFEST_ENTRY + 4 > len) abort();
    for (size_t i = 0; i < m->n_parts; i++) {
        const ol_part_entry_t *e = &m->parts[i];
        if (e->id == 0 || e->min_ns > e->max_ns || (e->flags & ~(uint32_t)OL_PART_FLAGS_KNOWN)) abort();
        if (i > 0 && e->id <= m->parts[i - 1].id) abort();
        if (ol_manifest_find(m, e->id) != e) abort();
    }
    ol_buf_t b;
    ol_buf_init(&b, OL_MEM_STORE, 0);
    if (ol_manifest_encode(m, &b) != OL_OK) abort();
    if (b.len == len && memcmp(b.data, file, len) != 0) abort(); /* no extensions: canonical */
    if (b.len > len) abort();
    ol_manifest_t again;
    ol_err_t err;
    if (ol_manifest_decode(ol_buf_slice(&b), &again, &err) != OL_OK) abort();
    if (again.n_parts != m->n_parts || again.generation != m->generation || again.signal != m->signal ||
        again.day != m->day)
        abort();
    for (size_t i = 0; i < m->n_parts; i++)
        if (!fz_same_entry(&again.parts[i], &m->parts[i])) abort();
    ol_manifest_free(&again);
    ol_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t len = size - 1;
    uint8_t *file = malloc(len ? len : 1);
    if (!file) return 0;
    memcpy(file, data + 1, len);
    if ((data[0] & 1) == 0 && len >= 4) ol_store_le32(file + len - 4, ol_crc32c(0, file, len - 4));

    ol_manifest_t m;
    ol_err_t err;
    int rc = ol_manifest_decode(ol_slice(file, len), &m, &err);
    if (rc == OL_OK) fz_check_manifest(file, len, &m);
    else if (rc != OL_CORRUPT || m.n_parts != 0 || m.parts != NULL || err.msg[0] == 0) abort();
    ol_manifest_free(&m);

    ol_checkpoint_t c;
    rc = ol_checkpoint_decode(ol_slice(file, len), &c, &err);
    if (rc == OL_OK) {
        uint8_t b[OL_CHECKPOINT_BYTES];
        ol_checkpoint_encode(&c, b);
        if (len != OL_CHECKPOINT_BYTES || memcmp(b, file, len) != 0) abort();
    } else if (rc != OL_CORRUPT) {
        abort();
    }
    free(file);
    return 0;
}
