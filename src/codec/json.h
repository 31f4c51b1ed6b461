/*
 * json.h - a strict RFC 8259 JSON tokenizer/parser and a JSON writer.
 *
 * Parser: parses a whole document into a flat array of tokens allocated from
 * an arena (no per-node malloc). Strings are slices into the input with an
 * `escaped` flag; ol_json_unescape() decodes one when needed. Depth is limited
 * (OL_JSON_MAX_DEPTH) and every error says the byte offset and what was
 * expected.
 *
 * Writer: appends to an ol_buf_t with correct escaping (control chars,
 * quotes, backslash; invalid UTF-8 replaced by U+FFFD).
 */
#ifndef OL_CODEC_JSON_H
#define OL_CODEC_JSON_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/common.h"

#define OL_JSON_MAX_DEPTH 128

typedef enum {
    OL_JSON_NULL,
    OL_JSON_FALSE,
    OL_JSON_TRUE,
    OL_JSON_NUMBER, /* text in `text` */
    OL_JSON_STRING, /* raw (still escaped) text between the quotes in `text` */
    OL_JSON_ARRAY,
    OL_JSON_OBJECT
} ol_json_kind_t;

typedef struct ol_json_tok {
    ol_json_kind_t kind;
    bool escaped;   /* STRING contains backslash escapes */
    uint32_t size;  /* ARRAY: elements; OBJECT: members (each member = key token + value token(s)) */
    uint32_t next;  /* index of the token after this value and all its children */
    ol_slice_t text;
    size_t offset;  /* byte offset in the input, for error messages */
} ol_json_tok_t;

typedef struct ol_json_doc {
    ol_json_tok_t *toks;
    uint32_t n;
} ol_json_doc_t;

/* OL_OK, OL_CORRUPT (err: "offset N: expected ..."), OL_NOMEM, OL_LIMIT (depth). */
int ol_json_parse(ol_slice_t in, ol_arena_t *a, ol_json_doc_t *doc, ol_err_t *err);
/* Decodes a STRING token into UTF-8 (arena memory). Non-escaped strings are returned as is. */
int ol_json_unescape(const ol_json_tok_t *t, ol_arena_t *a, ol_slice_t *out);
/* Object member lookup by key (exact match of unescaped key). Returns token index or 0 if absent
 * (index 0 is always the root, never a member value). */
uint32_t ol_json_object_get(const ol_json_doc_t *d, uint32_t obj, const char *key);

/* Writer. */
void ol_json_write_string(ol_buf_t *b, ol_slice_t s);
/* Appends the JSON escape of one ASCII byte (a quote, a backslash or a
 * control character): the short form (\n, \") where JSON has one, else \u00XX. */
void ol_json_write_escape(ol_buf_t *b, uint8_t c);
void ol_json_write_cstr(ol_buf_t *b, const char *s);
void ol_json_write_u64_str(ol_buf_t *b, uint64_t v);    /* "123" (quoted) */
void ol_json_write_i64_str(ol_buf_t *b, int64_t v);
void ol_json_write_double(ol_buf_t *b, double v);       /* shortest round-trip; NaN/Inf as strings */

#endif
