/*
 * lex.h - the tokens of Olly's SQL dialect (lex.c), read by the parser
 * (parse.c).
 *
 * The lexer follows ClickHouse's (src/Parsers/Lexer.cpp) closely enough that
 * a text splits into the same tokens, but it is stricter where ClickHouse is
 * lenient in ways Olly never needs: no `$` in bare words, no digit-first
 * identifiers (`1abc`), no `_` digit separators, no heredocs or x'..'
 * strings. A token is a kind plus byte offsets into the text; nothing is
 * copied. Whitespace (ASCII and the Unicode spaces ClickHouse skips) and
 * comments (`--`, `//`, `# ` and `#!` to the end of the line, and block
 * comments, which nest as in ClickHouse) are skipped. Bad input becomes an error token
 * (OL_SQL_T_ERR_*) that covers at least one byte, so a caller looping to
 * OL_SQL_T_END always terminates.
 *
 * Bare words are classified as keywords (case-insensitively) but stay
 * words: the parser decides where a keyword is reserved.
 */
#ifndef OL_SQL_LEX_H
#define OL_SQL_LEX_H

#include "core/arena.h"
#include "core/common.h"

typedef enum {
    OL_SQL_T_END = 0,
    OL_SQL_T_WORD,     /* bare word: [A-Za-z_][A-Za-z0-9_]*; kw tells whether it is a keyword */
    OL_SQL_T_QUOTED,   /* `identifier` or "identifier" */
    OL_SQL_T_STRING,   /* 'string' */
    OL_SQL_T_NUMBER,   /* 12, 0xFF, 0b101, 1.5, .5, 1e3, 0x1p4; flags say which */
    OL_SQL_T_LPAREN, OL_SQL_T_RPAREN, OL_SQL_T_LBRACKET, OL_SQL_T_RBRACKET, OL_SQL_T_LBRACE, OL_SQL_T_RBRACE,
    OL_SQL_T_COMMA, OL_SQL_T_SEMI, OL_SQL_T_DOT,
    OL_SQL_T_PLUS, OL_SQL_T_MINUS, OL_SQL_T_STAR, OL_SQL_T_SLASH, OL_SQL_T_PERCENT,
    OL_SQL_T_EQ,     /* = == */
    OL_SQL_T_NE,     /* != <> */
    OL_SQL_T_LT, OL_SQL_T_LE, OL_SQL_T_GT, OL_SQL_T_GE,
    OL_SQL_T_CONCAT, /* || */
    OL_SQL_T_ARROW,  /* -> */
    OL_SQL_T_QUESTION, OL_SQL_T_COLON, OL_SQL_T_DCOLON,
    OL_SQL_T_ERR_STRING,  /* a quoted string or identifier without its closing quote (runs to the end) */
    OL_SQL_T_ERR_COMMENT, /* an unclosed block comment (runs to the end) */
    OL_SQL_T_ERR_NUMBER,  /* a number running into word characters: 1abc, 0x, 1e */
    OL_SQL_T_ERR_CHAR     /* a byte that starts no token (one UTF-8 sequence) */
} ol_sql_tok_kind_t;

/* Keywords the parser looks for. Units of INTERVAL come in singular and
 * plural, as ClickHouse accepts both (parseIntervalKind.cpp). */
#define OL_SQL_KEYWORDS(X)                                                                                  \
    X(ALL) X(ALTER) X(AND) X(ANTI) X(ANY) X(ARRAY) X(AS) X(ASC) X(ASCENDING) X(ASOF) X(ATTACH) X(BACKUP)     \
    X(BEGIN) X(BETWEEN) X(BY) X(CASE) X(CHECK) X(COLLATE) X(COMMIT) X(CREATE) X(CROSS) X(CUBE) X(DAY)        \
    X(DAYS) X(DELETE) X(DESC) X(DESCENDING) X(DESCRIBE) X(DETACH) X(DISTINCT) X(DIV) X(DROP) X(ELSE) X(END)  \
    X(EXCEPT) X(EXCHANGE) X(EXISTS) X(EXPLAIN) X(FALSE) X(FILL) X(FINAL) X(FIRST) X(FORMAT) X(FROM) X(FULL)  \
    X(GLOBAL) X(GRANT) X(GROUP) X(GROUPING) X(HAVING) X(HOUR) X(HOURS) X(ILIKE) X(IN) X(INF) X(INFINITY)     \
    X(INNER) X(INSERT) X(INTERSECT) X(INTERVAL) X(INTO) X(IS) X(JOIN) X(KILL) X(LAST) X(LEFT) X(LIKE)        \
    X(LIMIT) X(MICROSECOND) X(MICROSECONDS) X(MILLISECOND) X(MILLISECONDS) X(MINUTE) X(MINUTES) X(MOD)       \
    X(MONTH) X(MONTHS) X(MOVE) X(NAN) X(NANOSECOND) X(NANOSECONDS) X(NOT) X(NULL) X(NULLS) X(OFFSET) X(ON)  \
    X(ONLY) X(OPTIMIZE) X(OR) X(ORDER) X(OUTER) X(OUTFILE) X(OVER) X(PASTE) X(PREWHERE) X(QUALIFY)          \
    X(QUARTER) X(QUARTERS) X(RENAME) X(REPLACE) X(RESTORE) X(REVOKE) X(RIGHT) X(ROLLBACK) X(ROLLUP)         \
    X(SAMPLE) X(SECOND) X(SECONDS) X(SELECT) X(SEMI) X(SET) X(SETS) X(SETTINGS) X(SHOW) X(SYSTEM) X(THEN)   \
    X(TIES) X(TOP) X(TOTALS) X(TRUE) X(TRUNCATE) X(UNDROP) X(UNION) X(UPDATE) X(USE) X(USING) X(WATCH)      \
    X(WEEK) X(WEEKS) X(WHEN) X(WHERE) X(WINDOW) X(WITH) X(YEAR) X(YEARS)

typedef enum {
    OL_SQL_KW_NONE = 0,
#define OL_SQL_KW_ENUM(k) OL_SQL_KW_##k,
    OL_SQL_KEYWORDS(OL_SQL_KW_ENUM)
#undef OL_SQL_KW_ENUM
    OL_SQL_KW__COUNT
} ol_sql_kw_t;

/* Token flags. */
#define OL_SQL_TF_ESCAPED 0x01 /* STRING, QUOTED: holds a backslash or a doubled quote */
#define OL_SQL_TF_HEX 0x02     /* NUMBER: 0x... */
#define OL_SQL_TF_BIN 0x04     /* NUMBER: 0b... */
#define OL_SQL_TF_FLOAT 0x08   /* NUMBER: has a point or an exponent */

typedef struct ol_sql_token {
    ol_sql_tok_kind_t kind;
    ol_sql_kw_t kw;   /* WORD only */
    uint8_t flags;
    uint32_t pos, end; /* [pos, end) in the text */
} ol_sql_token_t;

/* The whole state: copy it to look ahead. */
typedef struct ol_sql_lexer {
    const uint8_t *text;
    uint32_t len, off;
    ol_sql_tok_kind_t prev; /* the previous token, which decides whether `.5` is a number */
} ol_sql_lexer_t;

/* len must be at most UINT32_MAX (the parser checks its own, smaller, limit). */
void ol_sql_lex_init(ol_sql_lexer_t *lx, const char *text, size_t len);
/* The next token; OL_SQL_T_END (pos = end = len) once the text is used up. */
void ol_sql_lex_next(ol_sql_lexer_t *lx, ol_sql_token_t *t);

/* The keyword's canonical spelling ("SELECT"), "" for OL_SQL_KW_NONE. */
const char *ol_sql_kw_name(ol_sql_kw_t kw);
/* The keyword spelled by s (any case), or OL_SQL_KW_NONE. */
ol_sql_kw_t ol_sql_kw_lookup(const uint8_t *s, size_t n);

/* The value of a STRING or QUOTED token with ClickHouse's escapes resolved:
 * \a \b \e \f \n \r \t \v \0, \xHH, \N (nothing), a doubled quote, and
 * \\ \' \" \` \/ \= for the character itself; any other backslash is kept
 * with the character after it ('100\%' stays `100\%`, for LIKE and regular
 * expressions), as ClickHouse does. Without escapes *out points into the
 * text; otherwise into a. OL_OK; OL_CORRUPT for a \x not followed by two
 * hex digits (*bad = offset of its backslash); OL_NOMEM. */
int ol_sql_unescape(const char *text, const ol_sql_token_t *t, ol_arena_t *a, ol_slice_t *out, uint32_t *bad);

#endif
