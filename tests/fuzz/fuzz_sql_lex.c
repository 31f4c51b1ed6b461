/*
 * fuzz_sql_lex.c - the SQL tokenizer (src/sql/lex.c) over arbitrary bytes.
 *
 * Invariants: lexing always reaches OL_SQL_T_END, each token lies within the
 * text after the one before it and covers at least one byte; error tokens
 * that run to the end (unclosed strings and comments) do; a copy of the
 * lexer state yields the same next token (the parser's lookahead relies on
 * it); a WORD is a keyword exactly when the keyword table says so; quoted
 * tokens start and end with their quote and unescape into no more bytes than
 * they hold, or fail at a backslash inside them; byte offsets map to the
 * line and column (in characters) counted here.
 *
 * Seeds: tests/fuzz/corpus/sql_lex (queries and token edge cases).
 */
#include <stdlib.h>

#include "sql/ast.h"
#include "sql/lex.h"

static void fz_check_quoted(const uint8_t *data, const ol_sql_token_t *t, ol_arena_t *a)
{
    uint8_t q = data[t->pos];
    if (t->end - t->pos < 2 || data[t->end - 1] != q) abort();
    if (t->kind == OL_SQL_T_STRING ? q != '\'' : q != '`' && q != '"') abort();
    ol_slice_t s;
    uint32_t bad = 0;
    int rc = ol_sql_unescape((const char *)data, t, a, &s, &bad);
    if (rc == OL_OK) {
        if (s.len > t->end - t->pos - 2) abort();
        if (!(t->flags & OL_SQL_TF_ESCAPED) && s.ptr != data + t->pos + 1) abort();
    } else if (rc == OL_CORRUPT) {
        if (bad <= t->pos || bad >= t->end - 1 || data[bad] != '\\' || !(t->flags & OL_SQL_TF_ESCAPED)) abort();
    } else if (rc != OL_NOMEM) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    ol_arena_t *a = ol_arena_create(4096, 1 << 24);
    if (!a) return 0;
    ol_sql_lexer_t lx;
    ol_sql_lex_init(&lx, (const char *)data, size);
    uint32_t prev_end = 0;
    for (size_t n = 0;; n++) {
        if (n > size + 1) abort(); /* every token but END covers a byte */
        ol_sql_lexer_t copy = lx;
        ol_sql_token_t t, t2;
        ol_sql_lex_next(&lx, &t);
        ol_sql_lex_next(&copy, &t2);
        if (t.kind != t2.kind || t.kw != t2.kw || t.flags != t2.flags || t.pos != t2.pos || t.end != t2.end ||
            lx.off != copy.off || lx.prev != copy.prev)
            abort();
        if (t.pos < prev_end || t.end > size || t.pos > t.end) abort();
        if (t.kind == OL_SQL_T_END) {
            if (t.pos != size || t.end != size) abort();
            break;
        }
        if (t.end == t.pos) abort();
        if ((unsigned)t.kind > OL_SQL_T_ERR_CHAR) abort();
        if (t.kind == OL_SQL_T_WORD) {
            if (t.kw != ol_sql_kw_lookup(data + t.pos, t.end - t.pos)) abort();
        } else if (t.kw != OL_SQL_KW_NONE) {
            abort();
        }
        if (t.kind == OL_SQL_T_STRING || t.kind == OL_SQL_T_QUOTED) fz_check_quoted(data, &t, a);
        if ((t.kind == OL_SQL_T_ERR_STRING || t.kind == OL_SQL_T_ERR_COMMENT) && t.end != size) abort();
        if (t.kind == OL_SQL_T_NUMBER && !(data[t.pos] >= '0' && data[t.pos] <= '9') && data[t.pos] != '.') abort();
        prev_end = t.end;
    }
    /* positions against a count kept here, at a few offsets spread over the text */
    uint32_t want_line = 1, want_col = 1, step = (uint32_t)(size / 8) + 1;
    for (uint32_t pos = 0; pos <= size; pos++) {
        if (pos % step == 0 || pos == size) {
            uint32_t line, col;
            ol_sql_text_position((const char *)data, size, pos, &line, &col);
            if (line != want_line || col != want_col) abort();
        }
        if (pos == size) break;
        if (data[pos] == '\n') {
            want_line++;
            want_col = 1;
        } else if ((data[pos] & 0xC0) != 0x80) {
            want_col++;
        }
    }
    ol_arena_destroy(a);
    return 0;
}
