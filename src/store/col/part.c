/*
 * part.c - the part container: header, granules of column blocks, part
 * tables, footer and trailer (docs/format/part.md).
 *
 * The builder keeps the whole file image in one buffer (a part is built from
 * one flush or one merge, bounded by the store's flush and merge sizes) and
 * writes it with a single pwrite and fsync. The reader keeps the file open
 * and preads blocks on demand; header, trailer and footer are checked at
 * open, and every block by its CRC when it is read.
 */
#include "store/col/part.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "codec/pb.h"
#include "core/alloc.h"
#include "core/util.h"
#include "store/col/enc.h"

#define OL_PART_HEADER 32
#define OL_PART_TRAILER 24
#define OL_PART_VERSION 1
#define OL_PART_MAX_FOOTER (64u << 20)
#define OL_PART_MAX_TABLE (256u << 20)

static const uint8_t OL_PART_MAGIC[8] = {'O', 'L', 'P', 'A', 'R', 'T', 0, 0};
static const uint8_t OL_PART_END[8] = {'O', 'L', 'P', 'E', 'N', 'D', 0, 0};

typedef struct ol_part_colref {
    uint32_t name; /* index into the column-name dictionary */
    uint64_t off;
    uint32_t size;
} ol_part_colref_t;

typedef struct ol_part_granule_rec {
    ol_part_granule_info_t info;
    uint32_t first_col, n_cols; /* range in the colref array */
} ol_part_granule_rec_t;

/* ---- Growable arrays shared by builder and reader ---- */

typedef struct ol_part_arrays {
    ol_part_granule_rec_t *g;
    size_t n_g, cap_g;
    ol_part_colref_t *c;
    size_t n_c, cap_c;
    ol_part_colref_t *t; /* tables */
    size_t n_t, cap_t;
} ol_part_arrays_t;

static void ol_part_arrays_free(ol_part_arrays_t *a)
{
    ol_free(OL_MEM_STORE, a->g, a->cap_g * sizeof *a->g);
    ol_free(OL_MEM_STORE, a->c, a->cap_c * sizeof *a->c);
    ol_free(OL_MEM_STORE, a->t, a->cap_t * sizeof *a->t);
    memset(a, 0, sizeof *a);
}

/* ---- Builder ---- */

struct ol_part_builder {
    ol_signal_t signal;
    uint64_t id;
    int level;
    ol_buf_t file;
    ol_dict_t *names;
    ol_part_arrays_t a;
    uint64_t rows, min_t, max_t;
    uint64_t input_bytes;
    int err;
};

ol_part_builder_t *ol_part_builder_new(ol_signal_t signal, uint64_t part_id, int zstd_level)
{
    ol_part_builder_t *b = ol_calloc(OL_MEM_STORE, 1, sizeof *b);
    if (!b) return NULL;
    b->names = ol_dict_new();
    if (!b->names) {
        ol_free(OL_MEM_STORE, b, sizeof *b);
        return NULL;
    }
    b->signal = signal;
    b->id = part_id;
    b->level = zstd_level;
    b->min_t = UINT64_MAX;
    ol_buf_init(&b->file, OL_MEM_STORE, 0);
    ol_buf_append(&b->file, (uint8_t[OL_PART_HEADER]){0}, OL_PART_HEADER);
    return b;
}

void ol_part_builder_free(ol_part_builder_t *b)
{
    if (!b) return;
    ol_buf_free(&b->file);
    ol_dict_free(b->names);
    ol_part_arrays_free(&b->a);
    ol_free(OL_MEM_STORE, b, sizeof *b);
}

int ol_part_builder_granule(ol_part_builder_t *b, const ol_part_granule_info_t *g)
{
    if (b->err) return b->err;
    if (b->a.n_g >= OL_PART_MAX_GRANULES) return b->err = OL_LIMIT;
    if (ol_grow_array(OL_MEM_STORE, (void **)&b->a.g, &b->a.cap_g, b->a.n_g + 1, sizeof *b->a.g)) return b->err = OL_NOMEM;
    ol_part_granule_rec_t *r = &b->a.g[b->a.n_g++];
    r->info = *g;
    r->first_col = (uint32_t)b->a.n_c;
    r->n_cols = 0;
    b->rows += g->rows;
    if (g->rows) {
        b->min_t = OL_MIN(b->min_t, g->min_time_ns);
        b->max_t = OL_MAX(b->max_t, g->max_time_ns);
    }
    return OL_OK;
}

static int ol_part_builder_block(ol_part_builder_t *b, ol_slice_t name, ol_slice_t streams, ol_part_colref_t *ref)
{
    if (streams.len > OL_BLOCK_MAX_RAW) return b->err = OL_LIMIT;
    uint32_t id = ol_dict_add(b->names, name);
    if (id == UINT32_MAX) return b->err = OL_NOMEM;
    if (ol_dict_count(b->names) > OL_PART_MAX_COLUMNS) return b->err = OL_LIMIT;
    size_t off = b->file.len;
    ol_block_write(&b->file, streams, b->level);
    if (b->file.err) return b->err = b->file.err;
    *ref = (ol_part_colref_t){.name = id, .off = off, .size = (uint32_t)(b->file.len - off)};
    return OL_OK;
}

int ol_part_builder_column(ol_part_builder_t *b, ol_slice_t name, ol_slice_t streams)
{
    if (b->err) return b->err;
    if (!b->a.n_g) return b->err = OL_ERR;
    if (ol_grow_array(OL_MEM_STORE, (void **)&b->a.c, &b->a.cap_c, b->a.n_c + 1, sizeof *b->a.c)) return b->err = OL_NOMEM;
    int rc = ol_part_builder_block(b, name, streams, &b->a.c[b->a.n_c]);
    if (rc) return rc;
    b->a.n_c++;
    b->a.g[b->a.n_g - 1].n_cols++;
    return OL_OK;
}

int ol_part_builder_table(ol_part_builder_t *b, ol_slice_t name, ol_slice_t streams)
{
    if (b->err) return b->err;
    if (ol_grow_array(OL_MEM_STORE, (void **)&b->a.t, &b->a.cap_t, b->a.n_t + 1, sizeof *b->a.t)) return b->err = OL_NOMEM;
    int rc = ol_part_builder_block(b, name, streams, &b->a.t[b->a.n_t]);
    if (rc) return rc;
    b->a.n_t++;
    return OL_OK;
}

static void ol_part_footer_encode(const ol_part_builder_t *b, uint64_t wal_segment, ol_buf_t *f)
{
    ol_pb_put_varint(f, b->rows);
    ol_pb_put_varint(f, b->a.n_g);
    ol_pb_put_varint(f, b->rows ? b->min_t : 0);
    ol_pb_put_varint(f, b->rows ? b->max_t : 0);
    size_t n_names = ol_dict_count(b->names);
    ol_pb_put_varint(f, n_names);
    for (size_t i = 0; i < n_names; i++) {
        ol_slice_t s = ol_dict_get(b->names, (uint32_t)i);
        ol_pb_put_varint(f, s.len);
        ol_buf_append_slice(f, s);
    }
    for (size_t i = 0; i < b->a.n_g; i++) {
        const ol_part_granule_rec_t *g = &b->a.g[i];
        ol_pb_put_varint(f, g->info.rows);
        ol_pb_put_varint(f, g->info.min_time_ns);
        ol_pb_put_varint(f, g->info.max_time_ns);
        ol_buf_append(f, g->info.first_trace_id, 16);
        ol_buf_append(f, g->info.last_trace_id, 16);
        ol_pb_put_varint(f, g->n_cols);
        for (uint32_t c = 0; c < g->n_cols; c++) {
            const ol_part_colref_t *r = &b->a.c[g->first_col + c];
            ol_pb_put_varint(f, r->name);
            ol_pb_put_varint(f, r->off);
            ol_pb_put_varint(f, r->size);
        }
    }
    ol_pb_put_varint(f, b->a.n_t);
    for (size_t i = 0; i < b->a.n_t; i++) {
        ol_pb_put_varint(f, b->a.t[i].name);
        ol_pb_put_varint(f, b->a.t[i].off);
        ol_pb_put_varint(f, b->a.t[i].size);
    }
    ol_pb_put_varint(f, wal_segment);
    if (!b->input_bytes) {
        ol_pb_put_varint(f, 0);
        return;
    }
    size_t vlen = ol_pb_varint_len(b->input_bytes);
    ol_pb_put_varint(f, 2 + vlen);
    ol_pb_put_varint(f, OL_PART_EXT_INPUT_BYTES);
    ol_pb_put_varint(f, vlen);
    ol_pb_put_varint(f, b->input_bytes);
}

void ol_part_builder_input_bytes(ol_part_builder_t *b, uint64_t bytes) { b->input_bytes = bytes; }

/* Footer extension: (uvarint tag, uvarint length, bytes) entries; unknown
 * tags are skipped, a known tag whose value does not parse is corruption. */
static int ol_part_ext_parse(ol_part_t *p, const uint8_t *e, size_t n, ol_err_t *err);

int ol_part_builder_finish(ol_part_builder_t *b, const ol_io_t *io, const char *path, uint64_t wal_segment,
                           ol_part_info_t *info, ol_err_t *err)
{
    if (!io) io = ol_io_posix();
    if (b->err) {
        ol_err_set(err, "part %s: building failed: %s", path, ol_rc_str(b->err));
        return b->err;
    }
    ol_buf_t footer;
    ol_buf_init(&footer, OL_MEM_STORE, 0);
    ol_part_footer_encode(b, wal_segment, &footer);
    size_t foff = b->file.len;
    ol_block_write(&b->file, ol_buf_slice(&footer), 3);
    ol_buf_free(&footer);
    size_t fsize = b->file.len - foff;
    uint8_t tr[OL_PART_TRAILER];
    ol_store_le64(tr, foff);
    ol_store_le32(tr + 8, (uint32_t)fsize);
    uint32_t fcrc = ol_crc32c(0, b->file.data + foff, OL_BLOCK_HEADER);
    ol_store_le32(tr + 12, fcrc);
    memcpy(tr + 16, OL_PART_END, 8);
    ol_buf_append(&b->file, tr, sizeof tr);
    if (b->file.err || fsize > OL_PART_MAX_FOOTER) {
        ol_err_set(err, "part %s: out of memory or footer too large", path);
        return OL_NOMEM;
    }
    uint8_t *h = b->file.data;
    memcpy(h, OL_PART_MAGIC, 8);
    ol_store_le32(h + 8, OL_PART_VERSION);
    ol_store_le32(h + 12, (uint32_t)b->signal);
    ol_store_le64(h + 16, b->id);
    ol_store_le32(h + 24, 0);
    ol_store_le32(h + 28, ol_crc32c(0, h, 28));

    int fd = io->open(io, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        ol_err_set(err, "part %s: cannot create: %s", path, strerror(errno));
        return OL_FULL;
    }
    int rc = OL_OK;
    if (io->pwrite(io, fd, b->file.data, b->file.len, 0) < 0) {
        ol_err_set(err, "part %s: write failed: %s", path, strerror(errno));
        rc = OL_FULL;
    } else if (io->fsync(io, fd) != 0) {
        ol_err_set(err, "part %s: fsync failed: %s", path, strerror(errno));
        rc = OL_FULL;
    }
    io->close(io, fd);
    if (rc) {
        unlink(path);
        return rc;
    }
    if (info) {
        *info = (ol_part_info_t){.id = b->id, .signal = b->signal, .rows = b->rows, .bytes = b->file.len,
                                 .min_time_ns = b->rows ? b->min_t : 0, .max_time_ns = b->rows ? b->max_t : 0,
                                 .wal_segment = wal_segment, .footer_crc = fcrc, .granules = (uint32_t)b->a.n_g,
                                 .input_bytes = b->input_bytes};
    }
    return OL_OK;
}

/* ---- Reader ---- */

struct ol_part {
    const ol_io_t *io;
    int fd;
    char *path;
    size_t path_cap;
    ol_part_info_t info;
    uint64_t data_end; /* footer offset */
    ol_buf_t footer;   /* decompressed footer: names point into it */
    ol_slice_t *names;
    size_t n_names;
    ol_part_arrays_t a;
    ol_buf_t tables; /* decompressed tables, back to back */
    ol_slice_t *table_data;
};

typedef struct ol_part_cursor {
    const uint8_t *p, *end;
    const char *path;
    ol_err_t *err;
    int rc;
} ol_part_cursor_t;

static uint64_t ol_part_cur_u64(ol_part_cursor_t *c, const char *what)
{
    uint64_t v = 0;
    if (c->rc) return 0;
    if (ol_pb_read_varint(&c->p, c->end, &v) != OL_OK) {
        ol_err_set(c->err, "part %s: footer: bad varint for %s", c->path, what);
        c->rc = OL_CORRUPT;
    }
    return v;
}

static uint64_t ol_part_cur_max(ol_part_cursor_t *c, const char *what, uint64_t max)
{
    uint64_t v = ol_part_cur_u64(c, what);
    if (!c->rc && v > max) {
        ol_err_set(c->err, "part %s: footer: %s %llu exceeds %llu", c->path, what, (unsigned long long)v,
                   (unsigned long long)max);
        c->rc = OL_CORRUPT;
    }
    return v;
}

static const uint8_t *ol_part_cur_bytes(ol_part_cursor_t *c, size_t n, const char *what)
{
    if (c->rc) return NULL;
    if ((size_t)(c->end - c->p) < n) {
        ol_err_set(c->err, "part %s: footer: %s past the end", c->path, what);
        c->rc = OL_CORRUPT;
        return NULL;
    }
    const uint8_t *r = c->p;
    c->p += n;
    return r;
}

static int ol_part_pread(const ol_part_t *p, void *dst, size_t n, uint64_t off, ol_err_t *err)
{
    ssize_t got = p->io->pread(p->io, p->fd, dst, n, off);
    if (got < 0) {
        ol_err_set(err, "part %s: read at %llu failed: %s", p->path, (unsigned long long)off, strerror(errno));
        return OL_ERR;
    }
    if ((size_t)got != n) {
        ol_err_set(err, "part %s: short read at %llu", p->path, (unsigned long long)off);
        return OL_CORRUPT;
    }
    return OL_OK;
}

/* Reads the block at [off, off+size) and appends its raw bytes to out. */
static int ol_part_read_block(const ol_part_t *p, uint64_t off, uint32_t size, size_t max_raw, ol_buf_t *out,
                              const char *what, ol_err_t *err)
{
    if (size < OL_BLOCK_HEADER || off < OL_PART_HEADER || off > p->data_end || size > p->data_end - off) {
        ol_err_set(err, "part %s: %s block at %llu size %u lies outside the data", p->path, what,
                   (unsigned long long)off, size);
        return OL_CORRUPT;
    }
    uint8_t *tmp = ol_malloc(OL_MEM_STORE, size);
    if (!tmp) return OL_NOMEM;
    int rc = ol_part_pread(p, tmp, size, off, err);
    size_t used = 0;
    ol_err_t e2 = {0};
    if (rc == OL_OK) {
        rc = ol_block_read(ol_slice(tmp, size), max_raw, out, &used, &e2);
        if (rc == OL_OK && used != size) rc = OL_CORRUPT;
        if (rc == OL_LIMIT) rc = OL_CORRUPT; /* a length no writer produces: damage */
        if (rc) ol_err_set(err, "part %s: %s block at %llu: %s", p->path, what, (unsigned long long)off,
                           e2.msg[0] ? e2.msg : "size mismatch");
    }
    ol_free(OL_MEM_STORE, tmp, size);
    return rc;
}

static int ol_part_decode_footer(ol_part_t *p, ol_err_t *err)
{
    ol_part_cursor_t c = {p->footer.data, p->footer.len ? p->footer.data + p->footer.len : p->footer.data, p->path, err, OL_OK};
    p->info.rows = ol_part_cur_u64(&c, "rows");
    uint64_t n_g = ol_part_cur_max(&c, "granule count", OL_PART_MAX_GRANULES);
    p->info.min_time_ns = ol_part_cur_u64(&c, "min time");
    p->info.max_time_ns = ol_part_cur_u64(&c, "max time");
    uint64_t n_names = ol_part_cur_max(&c, "column-name count", OL_PART_MAX_COLUMNS);
    if (c.rc) return c.rc;
    p->names = ol_calloc(OL_MEM_STORE, n_names ? n_names : 1, sizeof *p->names);
    if (!p->names) return OL_NOMEM;
    p->n_names = n_names;
    for (size_t i = 0; i < n_names && !c.rc; i++) {
        uint64_t len = ol_part_cur_max(&c, "column-name length", 4096);
        const uint8_t *s = ol_part_cur_bytes(&c, len, "column name");
        p->names[i] = ol_slice(s, len);
    }
    if (c.rc) return c.rc;
    if (n_g > p->footer.len / 35) { /* each granule takes at least 35 footer bytes */
        ol_err_set(err, "part %s: footer: %llu granules cannot fit in %zu bytes", p->path, (unsigned long long)n_g,
                   p->footer.len);
        return OL_CORRUPT;
    }
    if (ol_grow_array(OL_MEM_STORE, (void **)&p->a.g, &p->a.cap_g, n_g ? n_g : 1, sizeof *p->a.g)) return OL_NOMEM;
    uint64_t rows = 0;
    for (size_t i = 0; i < n_g && !c.rc; i++) {
        ol_part_granule_rec_t *g = &p->a.g[p->a.n_g];
        g->info.rows = (uint32_t)ol_part_cur_max(&c, "granule rows", UINT32_MAX);
        g->info.min_time_ns = ol_part_cur_u64(&c, "granule min time");
        g->info.max_time_ns = ol_part_cur_u64(&c, "granule max time");
        const uint8_t *ids = ol_part_cur_bytes(&c, 32, "granule trace ids");
        if (ids) {
            memcpy(g->info.first_trace_id, ids, 16);
            memcpy(g->info.last_trace_id, ids + 16, 16);
        }
        uint64_t n_cols = ol_part_cur_max(&c, "granule column count", OL_PART_MAX_COLUMNS);
        if (c.rc) break;
        g->first_col = (uint32_t)p->a.n_c;
        g->n_cols = (uint32_t)n_cols;
        if (n_cols > (size_t)(c.end - c.p) / 3) {
            ol_err_set(err, "part %s: footer: granule %zu claims %llu columns", p->path, i, (unsigned long long)n_cols);
            return OL_CORRUPT;
        }
        if (ol_grow_array(OL_MEM_STORE, (void **)&p->a.c, &p->a.cap_c, p->a.n_c + n_cols, sizeof *p->a.c)) return OL_NOMEM;
        for (uint64_t k = 0; k < n_cols && !c.rc; k++) {
            ol_part_colref_t *r = &p->a.c[p->a.n_c++];
            r->name = (uint32_t)ol_part_cur_max(&c, "column name index", n_names ? n_names - 1 : 0);
            r->off = ol_part_cur_u64(&c, "column offset");
            r->size = (uint32_t)ol_part_cur_max(&c, "column size", UINT32_MAX);
            if (!c.rc && n_names == 0) {
                ol_err_set(err, "part %s: footer: column without names", p->path);
                c.rc = OL_CORRUPT;
            }
        }
        rows += g->info.rows;
        p->a.n_g++;
    }
    uint64_t n_t = ol_part_cur_max(&c, "table count", 64);
    if (c.rc) return c.rc;
    if (ol_grow_array(OL_MEM_STORE, (void **)&p->a.t, &p->a.cap_t, n_t ? n_t : 1, sizeof *p->a.t)) return OL_NOMEM;
    for (size_t i = 0; i < n_t && !c.rc; i++) {
        ol_part_colref_t *r = &p->a.t[p->a.n_t++];
        r->name = (uint32_t)ol_part_cur_max(&c, "table name index", n_names ? n_names - 1 : 0);
        r->off = ol_part_cur_u64(&c, "table offset");
        r->size = (uint32_t)ol_part_cur_max(&c, "table size", UINT32_MAX);
    }
    p->info.wal_segment = ol_part_cur_u64(&c, "wal segment");
    uint64_t ext = ol_part_cur_u64(&c, "extension length");
    const uint8_t *ext_bytes = ol_part_cur_bytes(&c, ext, "extension");
    if (c.rc) return c.rc;
    if (ol_part_ext_parse(p, ext_bytes, (size_t)ext, err) != OL_OK) return OL_CORRUPT;
    if (c.p != c.end) {
        ol_err_set(err, "part %s: footer: %zu trailing bytes", p->path, (size_t)(c.end - c.p));
        return OL_CORRUPT;
    }
    if (rows != p->info.rows) {
        ol_err_set(err, "part %s: footer: granules hold %llu rows, the part says %llu", p->path,
                   (unsigned long long)rows, (unsigned long long)p->info.rows);
        return OL_CORRUPT;
    }
    p->info.granules = (uint32_t)p->a.n_g;
    return OL_OK;
}

static int ol_part_load_tables(ol_part_t *p, ol_err_t *err)
{
    size_t *offs = ol_calloc(OL_MEM_STORE, p->a.n_t ? p->a.n_t : 1, sizeof *offs);
    p->table_data = ol_calloc(OL_MEM_STORE, p->a.n_t ? p->a.n_t : 1, sizeof *p->table_data);
    if (!offs || !p->table_data) {
        ol_free(OL_MEM_STORE, offs, (p->a.n_t ? p->a.n_t : 1) * sizeof *offs);
        return OL_NOMEM;
    }
    int rc = OL_OK;
    for (size_t i = 0; i < p->a.n_t && !rc; i++) {
        offs[i] = p->tables.len;
        rc = ol_part_read_block(p, p->a.t[i].off, p->a.t[i].size, OL_PART_MAX_TABLE, &p->tables, "table", err);
    }
    if (!rc && p->tables.err) rc = OL_NOMEM;
    for (size_t i = 0; i < p->a.n_t && !rc; i++) {
        size_t end = i + 1 < p->a.n_t ? offs[i + 1] : p->tables.len;
        p->table_data[i] = end > offs[i] ? ol_slice(p->tables.data + offs[i], end - offs[i]) : OL_SLICE_NULL;
    }
    ol_free(OL_MEM_STORE, offs, (p->a.n_t ? p->a.n_t : 1) * sizeof *offs);
    return rc;
}

static int ol_part_ext_parse(ol_part_t *p, const uint8_t *e, size_t n, ol_err_t *err)
{
    const uint8_t *end = e + n;
    while (n && e < end) {
        uint64_t tag, len;
        if (ol_pb_read_varint(&e, end, &tag) != OL_OK || ol_pb_read_varint(&e, end, &len) != OL_OK ||
            len > (uint64_t)(end - e)) {
            ol_err_set(err, "part %s: footer extension: bad entry", p->path);
            return OL_CORRUPT;
        }
        const uint8_t *v = e, *v_end = e + len;
        e = v_end;
        if (tag != OL_PART_EXT_INPUT_BYTES) continue;
        if (ol_pb_read_varint(&v, v_end, &p->info.input_bytes) != OL_OK || v != v_end) {
            ol_err_set(err, "part %s: footer extension: bad input byte count", p->path);
            return OL_CORRUPT;
        }
    }
    return OL_OK;
}

int ol_part_open(const ol_io_t *io, const char *path, ol_part_t **out, ol_err_t *err)
{
    *out = NULL;
    if (!io) io = ol_io_posix();
    ol_part_t *p = ol_calloc(OL_MEM_STORE, 1, sizeof *p);
    if (!p) return OL_NOMEM;
    p->io = io;
    p->path_cap = strlen(path) + 1;
    p->path = ol_strndup(OL_MEM_STORE, path, p->path_cap - 1);
    ol_buf_init(&p->footer, OL_MEM_STORE, 0);
    ol_buf_init(&p->tables, OL_MEM_STORE, 0);
    p->fd = io->open(io, path, O_RDONLY | O_CLOEXEC, 0);
    int rc = OL_OK;
    if (!p->path) {
        rc = OL_NOMEM;
    } else if (p->fd < 0) {
        ol_err_set(err, "part %s: cannot open: %s", path, strerror(errno));
        rc = errno == ENOENT ? OL_NOTFOUND : OL_ERR;
    }
    off_t size = rc ? 0 : lseek(p->fd, 0, SEEK_END);
    uint8_t h[OL_PART_HEADER], tr[OL_PART_TRAILER];
    if (!rc && size < OL_PART_HEADER + OL_BLOCK_HEADER + OL_PART_TRAILER) {
        ol_err_set(err, "part %s: %lld bytes is too short to be a part", path, (long long)size);
        rc = OL_CORRUPT;
    }
    if (!rc) rc = ol_part_pread(p, h, sizeof h, 0, err);
    if (!rc) rc = ol_part_pread(p, tr, sizeof tr, (uint64_t)size - OL_PART_TRAILER, err);
    if (!rc) {
        if (memcmp(h, OL_PART_MAGIC, 8) != 0) {
            ol_err_set(err, "part %s: bad magic", path);
            rc = OL_CORRUPT;
        } else if (ol_load_le32(h + 28) != ol_crc32c(0, h, 28)) {
            ol_err_set(err, "part %s: header CRC mismatch", path);
            rc = OL_CORRUPT;
        } else if (ol_load_le32(h + 8) != OL_PART_VERSION) {
            ol_err_set(err, "part %s: unsupported version %u", path, ol_load_le32(h + 8));
            rc = OL_CORRUPT;
        } else if (ol_load_le32(h + 12) > OL_SIGNAL_LOGS || ol_load_le32(h + 24) != 0) {
            ol_err_set(err, "part %s: unknown signal or flags in the header", path);
            rc = OL_CORRUPT;
        } else if (memcmp(tr + 16, OL_PART_END, 8) != 0) {
            ol_err_set(err, "part %s: bad trailer magic (torn write?)", path);
            rc = OL_CORRUPT;
        }
    }
    if (!rc) {
        p->info.id = ol_load_le64(h + 16);
        p->info.signal = (ol_signal_t)ol_load_le32(h + 12);
        p->info.bytes = (uint64_t)size;
        uint64_t foff = ol_load_le64(tr);
        uint32_t fsize = ol_load_le32(tr + 8);
        p->info.footer_crc = ol_load_le32(tr + 12);
        if (foff < OL_PART_HEADER || fsize < OL_BLOCK_HEADER || foff + fsize + OL_PART_TRAILER != (uint64_t)size) {
            ol_err_set(err, "part %s: footer at %llu size %u does not end at the trailer (file size %lld)", path,
                       (unsigned long long)foff, fsize, (long long)size);
            rc = OL_CORRUPT;
        } else {
            uint8_t fh[OL_BLOCK_HEADER];
            rc = ol_part_pread(p, fh, sizeof fh, foff, err);
            if (!rc && ol_crc32c(0, fh, sizeof fh) != p->info.footer_crc) {
                ol_err_set(err, "part %s: footer header CRC mismatch", path);
                rc = OL_CORRUPT;
            }
            p->data_end = foff + fsize; /* lets read_block accept the footer itself */
            if (!rc) rc = ol_part_read_block(p, foff, fsize, OL_PART_MAX_FOOTER, &p->footer, "footer", err);
            p->data_end = foff;
            if (!rc && p->footer.err) rc = OL_NOMEM;
        }
    }
    if (!rc) rc = ol_part_decode_footer(p, err);
    if (!rc) rc = ol_part_load_tables(p, err);
    if (rc) {
        ol_part_close(p);
        return rc;
    }
    *out = p;
    return OL_OK;
}

void ol_part_close(ol_part_t *p)
{
    if (!p) return;
    if (p->fd >= 0) p->io->close(p->io, p->fd);
    ol_free(OL_MEM_STORE, p->path, p->path_cap);
    ol_buf_free(&p->footer);
    ol_buf_free(&p->tables);
    ol_free(OL_MEM_STORE, p->names, (p->n_names ? p->n_names : 1) * sizeof *p->names);
    ol_free(OL_MEM_STORE, p->table_data, (p->a.n_t ? p->a.n_t : 1) * sizeof *p->table_data);
    ol_part_arrays_free(&p->a);
    ol_free(OL_MEM_STORE, p, sizeof *p);
}

const ol_part_info_t *ol_part_info(const ol_part_t *p) { return &p->info; }
const char *ol_part_path(const ol_part_t *p) { return p->path; }

const ol_part_granule_info_t *ol_part_granule(const ol_part_t *p, uint32_t g)
{
    return g < p->a.n_g ? &p->a.g[g].info : NULL;
}

int ol_part_read_column(const ol_part_t *p, uint32_t g, ol_slice_t name, ol_buf_t *out, ol_err_t *err)
{
    if (g >= p->a.n_g) return OL_NOTFOUND;
    const ol_part_granule_rec_t *gr = &p->a.g[g];
    for (uint32_t i = 0; i < gr->n_cols; i++) {
        const ol_part_colref_t *r = &p->a.c[gr->first_col + i];
        if (ol_slice_eq(p->names[r->name], name)) return ol_part_read_block(p, r->off, r->size, OL_BLOCK_MAX_RAW, out, "column", err);
    }
    return OL_NOTFOUND;
}

int ol_part_table(const ol_part_t *p, ol_slice_t name, ol_slice_t *out)
{
    for (size_t i = 0; i < p->a.n_t; i++) {
        if (ol_slice_eq(p->names[p->a.t[i].name], name)) {
            *out = p->table_data[i];
            return OL_OK;
        }
    }
    *out = OL_SLICE_NULL;
    return OL_NOTFOUND;
}

size_t ol_part_columns(const ol_part_t *p, uint32_t g, ol_slice_t *names, size_t max)
{
    if (g >= p->a.n_g) return 0;
    const ol_part_granule_rec_t *gr = &p->a.g[g];
    size_t n = 0;
    for (uint32_t i = 0; i < gr->n_cols && n < max; i++) names[n++] = p->names[p->a.c[gr->first_col + i].name];
    return gr->n_cols;
}
