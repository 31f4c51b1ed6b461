/*
 * lex.c - the SQL tokenizer declared in lex.h.
 *
 * One pass over bytes, no allocation. The only state carried between tokens
 * is the previous token's kind: as in ClickHouse, `.5` is a number at the
 * start of an operand but a dot after a name, a closing bracket or a number
 * (`a.5`, `x.1.1`). Keywords are found by binary search over the sorted
 * OL_SQL_KEYWORDS list (the unit test checks that it is sorted).
 */
#include "sql/lex.h"

#include <assert.h>

static const char *const ol_sql_kw_names[OL_SQL_KW__COUNT] = {
    [OL_SQL_KW_NONE] = "",
#define OL_SQL_KW_NAME(k) [OL_SQL_KW_##k] = #k,
    OL_SQL_KEYWORDS(OL_SQL_KW_NAME)
#undef OL_SQL_KW_NAME
};

#define OL_SQL_KW_MAX_LEN 16

const char *ol_sql_kw_name(ol_sql_kw_t kw)
{
    return (unsigned)kw < OL_SQL_KW__COUNT ? ol_sql_kw_names[kw] : "";
}

static uint8_t ol_sql_upper(uint8_t c) { return c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c; }

ol_sql_kw_t ol_sql_kw_lookup(const uint8_t *s, size_t n)
{
    if (n == 0 || n > OL_SQL_KW_MAX_LEN) return OL_SQL_KW_NONE;
    unsigned lo = 1, hi = OL_SQL_KW__COUNT; /* [lo, hi) */
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const char *name = ol_sql_kw_names[mid];
        int cmp = 0;
        size_t i = 0;
        for (; i < n && name[i]; i++) {
            cmp = (int)ol_sql_upper(s[i]) - (int)(uint8_t)name[i];
            if (cmp) break;
        }
        if (!cmp) cmp = i < n ? 1 : (name[i] ? -1 : 0);
        if (!cmp) return (ol_sql_kw_t)mid;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return OL_SQL_KW_NONE;
}

static bool ol_sql_is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static bool ol_sql_is_hex(uint8_t c) { return ol_sql_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static bool ol_sql_is_word_start(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool ol_sql_is_word(uint8_t c) { return ol_sql_is_word_start(c) || ol_sql_is_digit(c); }

/* Bytes of the whitespace at s[i] (ASCII, or one of the Unicode spaces that
 * ClickHouse skips so that text pasted from word processors parses), 0 if none. */
static uint32_t ol_sql_space_len(const uint8_t *s, uint32_t n, uint32_t i)
{
    uint8_t c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
    if (c < 0xC2) return 0;
    uint32_t left = n - i;
    if (c == 0xC2) return left >= 2 && (s[i + 1] == 0x85 || s[i + 1] == 0xA0) ? 2 : 0;
    if (left < 3) return 0;
    uint8_t b = s[i + 1], d = s[i + 2];
    if (c == 0xE1) return b == 0xA0 && d == 0x8E ? 3 : 0;
    if (c == 0xE2 && b == 0x80) return (d >= 0x80 && d <= 0x8D) || d == 0xA8 || d == 0xA9 || d == 0xAF ? 3 : 0;
    if (c == 0xE2 && b == 0x81) return d == 0x9F || d == 0xA0 ? 3 : 0;
    if (c == 0xE3) return b == 0x80 && d == 0x80 ? 3 : 0;
    if (c == 0xEF) return b == 0xBB && d == 0xBF ? 3 : 0;
    return 0;
}

static uint32_t ol_sql_line_end(const uint8_t *s, uint32_t n, uint32_t i)
{
    while (i < n && s[i] != '\n') i++;
    return i;
}

/* Skips whitespace and comments from i. Returns the offset of the next
 * token, or sets *unclosed and returns the start of an unclosed block comment. */
static uint32_t ol_sql_skip(const uint8_t *s, uint32_t n, uint32_t i, bool *unclosed)
{
    *unclosed = false;
    while (i < n) {
        uint32_t w = ol_sql_space_len(s, n, i);
        if (w) {
            i += w;
        } else if (i + 1 < n && ((s[i] == '-' && s[i + 1] == '-') || (s[i] == '/' && s[i + 1] == '/'))) {
            i = ol_sql_line_end(s, n, i);
        } else if (s[i] == '#' && i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '!')) {
            i = ol_sql_line_end(s, n, i);
        } else if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
            uint32_t start = i;
            size_t nest = 1;
            i += 2;
            while (nest && i + 1 < n) {
                if (s[i] == '/' && s[i + 1] == '*') {
                    nest++;
                    i += 2;
                } else if (s[i] == '*' && s[i + 1] == '/') {
                    nest--;
                    i += 2;
                } else {
                    i++;
                }
            }
            if (nest) {
                *unclosed = true;
                return start;
            }
        } else {
            break;
        }
    }
    return i;
}

/* Scans the number at s[i] (a digit, or a point followed by a digit).
 * Returns its end; sets *bad when word characters run on from it. After a
 * dot only digits make the number, so that x.1.1 is x . 1 . 1. */
static uint32_t ol_sql_scan_number(const uint8_t *s, uint32_t n, uint32_t i, bool after_dot, uint8_t *flags,
                                   bool *bad)
{
    *flags = 0;
    *bad = false;
    if (after_dot) {
        while (i < n && ol_sql_is_digit(s[i])) i++;
    } else if (s[i] == '0' && i + 2 < n && (s[i + 1] == 'x' || s[i + 1] == 'X') && ol_sql_is_hex(s[i + 2])) {
        *flags = OL_SQL_TF_HEX;
        i += 2;
        while (i < n && ol_sql_is_hex(s[i])) i++;
        if (i < n && s[i] == '.') {
            *flags |= OL_SQL_TF_FLOAT;
            i++;
            while (i < n && ol_sql_is_hex(s[i])) i++;
        }
        if (i < n && (s[i] == 'p' || s[i] == 'P')) {
            uint32_t j = i + 1;
            if (j < n && (s[j] == '+' || s[j] == '-')) j++;
            if (j < n && ol_sql_is_digit(s[j])) {
                *flags |= OL_SQL_TF_FLOAT;
                i = j;
                while (i < n && ol_sql_is_digit(s[i])) i++;
            }
        }
    } else if (s[i] == '0' && i + 2 < n && (s[i + 1] == 'b' || s[i + 1] == 'B') &&
               (s[i + 2] == '0' || s[i + 2] == '1')) {
        *flags = OL_SQL_TF_BIN;
        i += 2;
        while (i < n && (s[i] == '0' || s[i] == '1')) i++;
    } else {
        while (i < n && ol_sql_is_digit(s[i])) i++;
        if (i < n && s[i] == '.') {
            *flags = OL_SQL_TF_FLOAT;
            i++;
            while (i < n && ol_sql_is_digit(s[i])) i++;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            uint32_t j = i + 1;
            if (j < n && (s[j] == '+' || s[j] == '-')) j++;
            if (j < n && ol_sql_is_digit(s[j])) {
                *flags = OL_SQL_TF_FLOAT;
                i = j;
                while (i < n && ol_sql_is_digit(s[i])) i++;
            }
        }
    }
    if (i < n && (ol_sql_is_word(s[i]) || s[i] == '$')) {
        *bad = true;
        while (i < n && (ol_sql_is_word(s[i]) || s[i] == '$')) i++;
    }
    return i;
}

/* Scans the quoted text at s[i] (its opening quote). Returns its end, or n
 * with *unclosed set. */
static uint32_t ol_sql_scan_quoted(const uint8_t *s, uint32_t n, uint32_t i, uint8_t *flags, bool *unclosed)
{
    uint8_t q = s[i++];
    *flags = 0;
    *unclosed = false;
    while (i < n) {
        if (s[i] == '\\') {
            *flags = OL_SQL_TF_ESCAPED;
            if (i + 1 >= n) break;
            i += 2;
        } else if (s[i] == q) {
            if (i + 1 < n && s[i + 1] == q) {
                *flags = OL_SQL_TF_ESCAPED;
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i++;
        }
    }
    *unclosed = true;
    return n;
}

/* One UTF-8 sequence (or one byte when it is not one), for an error token. */
static uint32_t ol_sql_char_len(const uint8_t *s, uint32_t n, uint32_t i)
{
    uint8_t c = s[i];
    uint32_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    uint32_t k = 1;
    while (k < need && i + k < n && (s[i + k] & 0xC0) == 0x80) k++;
    return k;
}

void ol_sql_lex_init(ol_sql_lexer_t *lx, const char *text, size_t len)
{
    assert(len <= UINT32_MAX);
    lx->text = (const uint8_t *)text;
    lx->len = (uint32_t)len;
    lx->off = 0;
    lx->prev = OL_SQL_T_END;
}

static ol_sql_tok_kind_t ol_sql_lex_token(ol_sql_lexer_t *lx, ol_sql_token_t *t)
{
    const uint8_t *s = lx->text;
    uint32_t n = lx->len, i = t->pos;
    uint8_t c = s[i], c1 = i + 1 < n ? s[i + 1] : 0;
    bool bad;
    t->end = i + 1;
    switch (c) {
    case '(': return OL_SQL_T_LPAREN;
    case ')': return OL_SQL_T_RPAREN;
    case '[': return OL_SQL_T_LBRACKET;
    case ']': return OL_SQL_T_RBRACKET;
    case '{': return OL_SQL_T_LBRACE;
    case '}': return OL_SQL_T_RBRACE;
    case ',': return OL_SQL_T_COMMA;
    case ';': return OL_SQL_T_SEMI;
    case '+': return OL_SQL_T_PLUS;
    case '*': return OL_SQL_T_STAR;
    case '/': return OL_SQL_T_SLASH;
    case '%': return OL_SQL_T_PERCENT;
    case '?': return OL_SQL_T_QUESTION;
    case '-':
        if (c1 == '>') {
            t->end = i + 2;
            return OL_SQL_T_ARROW;
        }
        return OL_SQL_T_MINUS;
    case '=':
        if (c1 == '=') t->end = i + 2;
        return OL_SQL_T_EQ;
    case '!':
        if (c1 != '=') return OL_SQL_T_ERR_CHAR;
        t->end = i + 2;
        return OL_SQL_T_NE;
    case '<':
        if (c1 == '=' || c1 == '>') {
            t->end = i + 2;
            return c1 == '=' ? OL_SQL_T_LE : OL_SQL_T_NE;
        }
        return OL_SQL_T_LT;
    case '>':
        if (c1 == '=') {
            t->end = i + 2;
            return OL_SQL_T_GE;
        }
        return OL_SQL_T_GT;
    case ':':
        if (c1 == ':') {
            t->end = i + 2;
            return OL_SQL_T_DCOLON;
        }
        return OL_SQL_T_COLON;
    case '|':
        if (c1 != '|') return OL_SQL_T_ERR_CHAR;
        t->end = i + 2;
        return OL_SQL_T_CONCAT;
    case '\'':
    case '"':
    case '`':
        t->end = ol_sql_scan_quoted(s, n, i, &t->flags, &bad);
        if (bad) return OL_SQL_T_ERR_STRING;
        return c == '\'' ? OL_SQL_T_STRING : OL_SQL_T_QUOTED;
    case '.': {
        ol_sql_tok_kind_t p = lx->prev;
        if (!ol_sql_is_digit(c1) || p == OL_SQL_T_WORD || p == OL_SQL_T_QUOTED || p == OL_SQL_T_RPAREN ||
            p == OL_SQL_T_RBRACKET || p == OL_SQL_T_NUMBER)
            return OL_SQL_T_DOT;
        t->end = ol_sql_scan_number(s, n, i, false, &t->flags, &bad);
        return bad ? OL_SQL_T_ERR_NUMBER : OL_SQL_T_NUMBER;
    }
    default:
        break;
    }
    if (ol_sql_is_digit(c)) {
        t->end = ol_sql_scan_number(s, n, i, lx->prev == OL_SQL_T_DOT, &t->flags, &bad);
        return bad ? OL_SQL_T_ERR_NUMBER : OL_SQL_T_NUMBER;
    }
    if (ol_sql_is_word_start(c)) {
        uint32_t j = i + 1;
        while (j < n && ol_sql_is_word(s[j])) j++;
        t->end = j;
        t->kw = ol_sql_kw_lookup(s + i, j - i);
        return OL_SQL_T_WORD;
    }
    t->end = i + ol_sql_char_len(s, n, i);
    return OL_SQL_T_ERR_CHAR;
}

void ol_sql_lex_next(ol_sql_lexer_t *lx, ol_sql_token_t *t)
{
    bool unclosed;
    uint32_t i = ol_sql_skip(lx->text, lx->len, lx->off, &unclosed);
    t->kw = OL_SQL_KW_NONE;
    t->flags = 0;
    t->pos = i;
    if (unclosed) {
        t->kind = OL_SQL_T_ERR_COMMENT;
        t->end = lx->len;
    } else if (i >= lx->len) {
        t->kind = OL_SQL_T_END;
        t->pos = t->end = lx->len;
    } else {
        t->kind = ol_sql_lex_token(lx, t);
    }
    lx->off = t->end;
    lx->prev = t->kind;
}

static int ol_sql_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int ol_sql_unescape(const char *text, const ol_sql_token_t *t, ol_arena_t *a, ol_slice_t *out, uint32_t *bad)
{
    const uint8_t *s = (const uint8_t *)text;
    assert(t->end - t->pos >= 2);
    uint8_t q = s[t->pos];
    uint32_t b = t->pos + 1, e = t->end - 1; /* the text between the quotes */
    if (!(t->flags & OL_SQL_TF_ESCAPED)) {
        *out = ol_slice(s + b, e - b);
        return OL_OK;
    }
    uint8_t *o = ol_arena_alloc(a, e - b + 1);
    if (!o) return OL_NOMEM;
    size_t k = 0;
    for (uint32_t i = b; i < e;) {
        uint8_t c = s[i];
        if (c == q) { /* the lexer only lets a quote through doubled */
            o[k++] = q;
            i += 2;
            continue;
        }
        if (c != '\\') {
            o[k++] = c;
            i++;
            continue;
        }
        uint8_t d = s[i + 1]; /* a backslash always has a byte after it before the closing quote */
        i += 2;
        switch (d) {
        case 'x': {
            int hi = i + 1 < e ? ol_sql_hexval(s[i]) : -1, lo = i + 1 < e ? ol_sql_hexval(s[i + 1]) : -1;
            if (hi < 0 || lo < 0) {
                *bad = i - 2;
                return OL_CORRUPT;
            }
            o[k++] = (uint8_t)(hi << 4 | lo);
            i += 2;
            break;
        }
        case 'N': break;
        case 'a': o[k++] = '\a'; break;
        case 'b': o[k++] = '\b'; break;
        case 'e': o[k++] = 0x1B; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'v': o[k++] = '\v'; break;
        case '0': o[k++] = 0; break;
        case '\\':
        case '\'':
        case '"':
        case '`':
        case '/':
        case '=': o[k++] = d; break;
        default:
            if (d > 0x1F) o[k++] = '\\';
            o[k++] = d;
            break;
        }
    }
    *out = ol_slice(o, k);
    return OL_OK;
}
