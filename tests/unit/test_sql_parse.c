/*
 * test_sql_parse.c - the SQL lexer (lex.c) and parser (parse.c).
 *
 * Trees are compared as the S-expressions of ol_sql_expr_print() and
 * ol_sql_select_print(), so each case states the exact shape: precedence
 * and associativity as ClickHouse's parser has them, literals at their
 * edges, every escape, names, special forms (CASE, INTERVAL, CAST,
 * parametric aggregates). Errors are compared as exact messages, with
 * their line and column; every refused construct is checked by name; the
 * size and depth limits are hit on purpose (deep nesting of each recursive
 * form, long operator chains, a text over the size limit), and a small
 * arena cap gives OL_NOMEM.
 */
#include "sql/ast.h"
#include "sql/lex.h"
#include "test.h"

static ol_arena_t *A;
static ol_buf_t B;

#define CHECK_STR(got, want)                                                                                       \
    do {                                                                                                          \
        const char *ol_g_ = (got), *ol_w_ = (want);                                                               \
        if (!ol_g_ || strcmp(ol_g_, ol_w_) != 0) {                                                                \
            ol_test_failed_checks++;                                                                              \
            fprintf(stderr, "  %s:%d: got  %s\n  %*s want %s\n", __FILE__, __LINE__, ol_g_ ? ol_g_ : "(null)",    \
                    (int)strlen(__FILE__) + 6, "", ol_w_);                                                        \
        }                                                                                                         \
    } while (0)

static const char *buf_str(void)
{
    ol_buf_append_u8(&B, 0);
    return (const char *)B.data;
}

/* The query's tree, or "error <rc>: <message>". */
static const char *run(const char *sql, size_t len)
{
    ol_sql_select_t *s = NULL;
    ol_err_t err = {{0}};
    ol_buf_reset(&B);
    int rc = ol_sql_parse(sql, len, A, &s, &err);
    if (rc != OL_OK) {
        ol_buf_printf(&B, "error %d: %s", rc, err.msg);
        if (s) ol_buf_append_cstr(&B, " (and a tree)");
    } else {
        ol_sql_select_print(s, &B);
    }
    return buf_str();
}

static const char *query(const char *sql) { return run(sql, strlen(sql)); }

/* The tree of one expression, parsed as SELECT <expr> FROM t. */
static const char *expr(const char *text)
{
    char sql[4096];
    snprintf(sql, sizeof sql, "SELECT %s FROM t", text);
    ol_sql_select_t *s = NULL;
    ol_err_t err = {{0}};
    ol_buf_reset(&B);
    int rc = ol_sql_parse(sql, strlen(sql), A, &s, &err);
    if (rc != OL_OK) {
        ol_buf_printf(&B, "error %d: %s", rc, err.msg);
    } else if (s->n_items != 1 || s->items[0].alias.len) {
        ol_buf_append_cstr(&B, "not one unaliased item");
    } else {
        ol_sql_expr_print(s->items[0].expr, &B);
    }
    return buf_str();
}

/* Only the message of a failing parse ("OK" when it parses). */
static const char *error_of(const char *sql, int *rc)
{
    ol_sql_select_t *s = NULL;
    ol_err_t err = {{0}};
    ol_buf_reset(&B);
    *rc = ol_sql_parse(sql, strlen(sql), A, &s, &err);
    ol_buf_append_cstr(&B, *rc == OL_OK ? "OK" : err.msg);
    return buf_str();
}

static const char *last_sql;

static ol_sql_select_t *parse_or_null(const char *sql)
{
    last_sql = sql;
    ol_sql_select_t *s = NULL;
    ol_err_t err = {{0}};
    if (ol_sql_parse(sql, strlen(sql), A, &s, &err) != OL_OK) {
        fprintf(stderr, "  unexpected error: %s\n", err.msg);
        return NULL;
    }
    return s;
}

/* ---- lexer ---- */

static const char *kind_name(ol_sql_tok_kind_t k)
{
    static const char *const names[] = {
        "END", "WORD", "QUOTED", "STRING", "NUMBER", "(", ")", "[", "]", "{", "}", ",", ";", ".", "+", "-", "*", "/",
        "%", "=", "!=", "<", "<=", ">", ">=", "||", "->", "?", ":", "::", "ERR_STRING", "ERR_COMMENT", "ERR_NUMBER",
        "ERR_CHAR",
    };
    return (unsigned)k < OL_ARRAY_LEN(names) ? names[k] : "?";
}

/* "KIND:text KIND:text ..." for every token of text. */
static const char *tokens(const char *text)
{
    ol_sql_lexer_t lx;
    ol_sql_token_t t;
    size_t n = strlen(text);
    ol_sql_lex_init(&lx, text, n);
    ol_buf_reset(&B);
    for (int guard = 0; guard < 1000; guard++) {
        ol_sql_lex_next(&lx, &t);
        if (B.len) ol_buf_append_u8(&B, ' ');
        ol_buf_append_cstr(&B, kind_name(t.kind));
        if (t.kind == OL_SQL_T_END) break;
        ol_buf_append_u8(&B, ':');
        ol_buf_append(&B, text + t.pos, t.end - t.pos);
        if (t.kw) ol_buf_printf(&B, "#%s", ol_sql_kw_name(t.kw));
    }
    return buf_str();
}

static void test_keywords(void)
{
    for (int k = 2; k < OL_SQL_KW__COUNT; k++) {
        if (strcmp(ol_sql_kw_name((ol_sql_kw_t)(k - 1)), ol_sql_kw_name((ol_sql_kw_t)k)) >= 0)
            fprintf(stderr, "  keywords out of order: %s, %s\n", ol_sql_kw_name((ol_sql_kw_t)(k - 1)),
                    ol_sql_kw_name((ol_sql_kw_t)k));
        CHECK(strcmp(ol_sql_kw_name((ol_sql_kw_t)(k - 1)), ol_sql_kw_name((ol_sql_kw_t)k)) < 0);
    }
    for (int k = 1; k < OL_SQL_KW__COUNT; k++) {
        const char *name = ol_sql_kw_name((ol_sql_kw_t)k);
        char lower[32];
        size_t n = strlen(name);
        for (size_t i = 0; i <= n; i++) lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
        CHECK_EQ_INT(ol_sql_kw_lookup((const uint8_t *)name, n), k);
        CHECK_EQ_INT(ol_sql_kw_lookup((const uint8_t *)lower, n), k);
    }
    CHECK_EQ_INT(ol_sql_kw_lookup((const uint8_t *)"SELECTX", 7), OL_SQL_KW_NONE);
    CHECK_EQ_INT(ol_sql_kw_lookup((const uint8_t *)"SELEC", 5), OL_SQL_KW_NONE);
    CHECK_EQ_INT(ol_sql_kw_lookup((const uint8_t *)"A", 1), OL_SQL_KW_NONE);
    CHECK_EQ_INT(ol_sql_kw_lookup((const uint8_t *)"", 0), OL_SQL_KW_NONE);
    CHECK_EQ_INT(ol_sql_kw_lookup((const uint8_t *)"ZZZZ", 4), OL_SQL_KW_NONE);
    CHECK_STR(ol_sql_kw_name(OL_SQL_KW_NONE), "");
}

static void test_lex_tokens(void)
{
    CHECK_STR(tokens("SELECT a,b FROM t;"), "WORD:SELECT#SELECT WORD:a ,:, WORD:b WORD:FROM#FROM WORD:t ;:; END");
    CHECK_STR(tokens("( ) [ ] { } , ; . + - * / % = == != <> < <= > >= || -> ? : ::"),
              "(:( ):) [:[ ]:] {:{ }:} ,:, ;:; .:. +:+ -:- *:* /:/ %:% =:= =:== !=:!= !=:<> <:< <=:<= >:> >=:>= "
              "||:|| ->:-> ?:? ::: ::::: END");
    CHECK_STR(tokens("`a b` \"c\"\"d\" 'e\\'f' 'g''h'"),
              "QUOTED:`a b` QUOTED:\"c\"\"d\" STRING:'e\\'f' STRING:'g''h' END");
    CHECK_STR(tokens("_x1 x_Y2 select Select"), "WORD:_x1 WORD:x_Y2 WORD:select#SELECT WORD:Select#SELECT END");
    CHECK_STR(tokens("a<b>=c!=d"), "WORD:a <:< WORD:b >=:>= WORD:c !=:!= WORD:d END");
    CHECK_STR(tokens("a-b--c\nd"), "WORD:a -:- WORD:b WORD:d END");
    CHECK_STR(tokens("a|b"), "WORD:a ERR_CHAR:| WORD:b END");
    CHECK_STR(tokens("!a"), "ERR_CHAR:! WORD:a END");
    CHECK_STR(tokens("$x @ \\"), "ERR_CHAR:$ WORD:x ERR_CHAR:@ ERR_CHAR:\\ END");
    CHECK_STR(tokens("a \xc3\xa9"), "WORD:a ERR_CHAR:\xc3\xa9 END");
    CHECK_STR(tokens("'abc"), "ERR_STRING:'abc END");
    CHECK_STR(tokens("'abc\\'"), "ERR_STRING:'abc\\' END");
    CHECK_STR(tokens("'abc\\"), "ERR_STRING:'abc\\ END");
    CHECK_STR(tokens("`abc"), "ERR_STRING:`abc END");
    CHECK_STR(tokens("\"abc''"), "ERR_STRING:\"abc'' END");
    CHECK_STR(tokens(""), "END");
    CHECK_STR(tokens("  \t\r\n\f\v "), "END");
}

static void test_lex_numbers(void)
{
    CHECK_STR(tokens("1 12 0 007 1.5 (.5 5. 1e3 1E+3 1.5e-3 0xFF 0XaB 0b101 0x1.8p3"),
              "NUMBER:1 NUMBER:12 NUMBER:0 NUMBER:007 NUMBER:1.5 (:( NUMBER:.5 NUMBER:5. NUMBER:1e3 NUMBER:1E+3 "
              "NUMBER:1.5e-3 NUMBER:0xFF NUMBER:0XaB NUMBER:0b101 NUMBER:0x1.8p3 END");
    CHECK_STR(tokens(".5 SELECT .5"), "NUMBER:.5 WORD:SELECT#SELECT .:. NUMBER:5 END");
    CHECK_STR(tokens("x.1e3 x.0x1"), "WORD:x .:. ERR_NUMBER:1e3 WORD:x .:. ERR_NUMBER:0x1 END");
    CHECK_STR(tokens("1abc 1e 0x 0b2 1_000 12$"),
              "ERR_NUMBER:1abc ERR_NUMBER:1e ERR_NUMBER:0x ERR_NUMBER:0b2 ERR_NUMBER:1_000 ERR_NUMBER:12$ END");
    /* after a name, a bracket or a number, .5 is a dot and a number, as in ClickHouse (x.1.1) */
    CHECK_STR(tokens("a.5 x.1.1 (a).5 [1].5 1.2.3"),
              "WORD:a .:. NUMBER:5 WORD:x .:. NUMBER:1 .:. NUMBER:1 (:( WORD:a ):) .:. NUMBER:5 [:[ NUMBER:1 ]:] "
              ".:. NUMBER:5 NUMBER:1.2 .:. NUMBER:3 END");
    CHECK_STR(tokens("a.b `a`.`b` a .b"), "WORD:a .:. WORD:b QUOTED:`a` .:. QUOTED:`b` WORD:a .:. WORD:b END");
    CHECK_STR(tokens("(.5) ,.5 =.5"), "(:( NUMBER:.5 ):) ,:, NUMBER:.5 =:= NUMBER:.5 END");
    CHECK_STR(tokens("1 .5"), "NUMBER:1 .:. NUMBER:5 END");
}

static void test_lex_comments(void)
{
    CHECK_STR(tokens("a -- c\nb // d\nc # e\nd #! f\ne"), "WORD:a WORD:b WORD:c WORD:d WORD:e END");
    CHECK_STR(tokens("a /* x */ b /* /* nested */ still */ c"), "WORD:a WORD:b WORD:c END");
    CHECK_STR(tokens("a/**/b"), "WORD:a WORD:b END");
    CHECK_STR(tokens("a /* x"), "WORD:a ERR_COMMENT:/* x END");
    CHECK_STR(tokens("a /* /* */"), "WORD:a ERR_COMMENT:/* /* */ END");
    CHECK_STR(tokens("a -- no newline"), "WORD:a END");
    CHECK_STR(tokens("a #b"), "WORD:a ERR_CHAR:# WORD:b END");
    CHECK_STR(tokens("a/b"), "WORD:a /:/ WORD:b END");
    /* Unicode spaces ClickHouse skips: NBSP, U+2003, U+3000, BOM; not U+00E9 */
    CHECK_STR(tokens("\xef\xbb\xbf" "a\xc2\xa0" "b\xe2\x80\x83" "c\xe3\x80\x80" "d"),
              "WORD:a WORD:b WORD:c WORD:d END");
}

static const char *unescaped(const char *text)
{
    ol_sql_lexer_t lx;
    ol_sql_token_t t;
    ol_sql_lex_init(&lx, text, strlen(text));
    ol_sql_lex_next(&lx, &t);
    ol_buf_reset(&B);
    if (t.kind != OL_SQL_T_STRING && t.kind != OL_SQL_T_QUOTED) return "not a string";
    ol_slice_t s;
    uint32_t bad = 0;
    int rc = ol_sql_unescape(text, &t, A, &s, &bad);
    if (rc != OL_OK) {
        ol_buf_printf(&B, "error %d at %u", rc, bad);
        return buf_str();
    }
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < 0x20 || s.ptr[i] >= 0x7F)
            ol_buf_printf(&B, "<%02X>", s.ptr[i]);
        else
            ol_buf_append_u8(&B, s.ptr[i]);
    }
    return buf_str();
}

static void test_unescape(void)
{
    CHECK_STR(unescaped("'plain'"), "plain");
    CHECK_STR(unescaped("''"), "");
    CHECK_STR(unescaped("'a\\\\b'"), "a\\b");
    CHECK_STR(unescaped("'it\\'s'"), "it's");
    CHECK_STR(unescaped("'it''s'"), "it's");
    CHECK_STR(unescaped("'\\\"\\`\\/\\='"), "\"`/=");
    CHECK_STR(unescaped("'\\n\\t\\r\\0\\b\\f\\a\\v\\e'"), "<0A><09><0D><00><08><0C><07><0B><1B>");
    CHECK_STR(unescaped("'\\x41\\x7a\\xFF\\x00'"), "Az<FF><00>");
    CHECK_STR(unescaped("'a\\Nb'"), "ab");
    /* other escapes keep their backslash (LIKE and regular expressions) */
    CHECK_STR(unescaped("'100\\%'"), "100\\%");
    CHECK_STR(unescaped("'\\d+\\.\\_'"), "\\d+\\.\\_");
    CHECK_STR(unescaped("'\\\xc3\xa9'"), "\\<C3><A9>");
    /* a backslash before a control byte drops */
    CHECK_STR(unescaped("'a\\\nb'"), "a<0A>b");
    CHECK_STR(unescaped("'\\x4'"), "error -4 at 1");
    CHECK_STR(unescaped("'ab\\xZZ'"), "error -4 at 3");
    CHECK_STR(unescaped("'\\x'"), "error -4 at 1");
    CHECK_STR(unescaped("`a``b`"), "a`b");
    CHECK_STR(unescaped("\"a\"\"b\\\"c\""), "a\"b\"c");
    CHECK_STR(unescaped("`a''b`"), "a''b");
}

/* ---- literals and names ---- */

static void test_literals(void)
{
    CHECK_STR(expr("0"), "0");
    CHECK_STR(expr("42"), "42");
    CHECK_STR(expr("007"), "7");
    CHECK_STR(expr("18446744073709551615"), "18446744073709551615");
    CHECK_STR(expr("18446744073709551616"), "1.8446744073709552e+19");
    CHECK_STR(expr("99999999999999999999999"), "1e+23");
    CHECK_STR(expr("0xFF"), "255");
    CHECK_STR(expr("0Xff"), "255");
    CHECK_STR(expr("0xFFFFFFFFFFFFFFFF"), "18446744073709551615");
    CHECK_STR(expr("0x10000000000000000"), "1.8446744073709552e+19");
    CHECK_STR(expr("0b101"), "5");
    CHECK_STR(expr("0x1.8p3"), "12.0");
    CHECK_STR(expr("1.5"), "1.5");
    CHECK_STR(expr("(.5)"), "0.5");
    CHECK_STR(expr("1 - .5"), "(- 1 0.5)");
    CHECK_STR(expr("5."), "5.0");
    CHECK_STR(expr("1e3"), "1000.0");
    CHECK_STR(expr("1.5e-3"), "0.0015");
    CHECK_STR(expr("1E+2"), "100.0");
    CHECK_STR(expr("0.1"), "0.1");
    CHECK_STR(expr("inf"), "inf");
    CHECK_STR(expr("INF"), "inf");
    CHECK_STR(expr("Infinity"), "inf");
    CHECK_STR(expr("nan"), "nan");
    CHECK_STR(expr("-inf"), "(neg inf)");
    CHECK_STR(expr("nan(1)"), "(nan 1)");
    CHECK_STR(expr("true"), "true");
    CHECK_STR(expr("FALSE"), "false");
    CHECK_STR(expr("NULL"), "NULL");
    CHECK_STR(expr("null"), "NULL");
    CHECK_STR(expr("-1"), "(neg 1)");
    CHECK_STR(expr("-9223372036854775808"), "(neg 9223372036854775808)");
    CHECK_STR(expr("+1"), "1");
    CHECK_STR(expr("+ + -1"), "(neg 1)");
    CHECK_STR(expr("'a''b\\n'"), "'a\\'b\\x0A'");
    CHECK_STR(expr("''"), "''");
    CHECK_STR(expr("[]"), "(array)");
    CHECK_STR(expr("[1, 'a', [2]]"), "(array 1 'a' (array 2))");
    CHECK_STR(expr("(1, 2)"), "(tuple 1 2)");
    CHECK_STR(expr("(1)"), "1");
    CHECK_STR(expr("((1, (2, 3)))"), "(tuple 1 (tuple 2 3))");
    int rc;
    CHECK_STR(error_of("SELECT 1e999 FROM t", &rc), "syntax error at line 1, column 8: number '1e999' is out of range");
    CHECK_EQ_INT(rc, OL_CORRUPT);
    CHECK_STR(error_of("SELECT 1e-999 FROM t", &rc),
              "syntax error at line 1, column 8: number '1e-999' is out of range");
    CHECK_STR(error_of("SELECT 0b11111111111111111111111111111111111111111111111111111111111111111 FROM t", &rc),
              "syntax error at line 1, column 8: number '0b111111111111111111111111111111...' is out of range");
    char big[400] = "SELECT 1";
    memset(big + 8, '0', 330);
    strcpy(big + 338, " FROM t");
    CHECK_STR(error_of(big, &rc), "syntax error at line 1, column 8: number is longer than 319 characters");
}

static void test_names(void)
{
    CHECK_STR(expr("ServiceName"), "ServiceName");
    CHECK_STR(expr("Events.Name"), "Events.Name");
    CHECK_STR(expr("otel.otel_traces.Duration"), "otel.otel_traces.Duration");
    CHECK_STR(expr("`Events`.`Name`"), "Events.Name");
    CHECK_STR(expr("\"Events\".Name"), "Events.Name");
    CHECK_STR(expr("Events . Name"), "Events.Name");
    CHECK_STR(expr("`Events.Name`"), "Events.Name");
    CHECK_STR(expr("`select`"), "select");
    CHECK_STR(expr("`a``b`"), "a`b");
    CHECK_STR(expr("day"), "day");
    CHECK_STR(expr("sample"), "sample");
    CHECK_STR(expr("a.from"), "a.from");
    /* plain dotted names are slices of the text */
    ol_sql_select_t *s = parse_or_null("SELECT Events.Name, `x`.y FROM t");
    if (s) {
        CHECK(ol_slice_eq_cstr(s->items[0].expr->name, "Events.Name"));
        CHECK((const char *)s->items[0].expr->name.ptr == strstr(last_sql, "Events.Name"));
        CHECK_EQ_INT(s->items[0].expr->pos, 7);
        CHECK_EQ_INT(s->items[0].expr->end, 18);
        CHECK(ol_slice_eq_cstr(s->items[1].expr->name, "x.y"));
    }
    int rc;
    CHECK_STR(error_of("SELECT a. + 1 FROM t", &rc),
              "syntax error at line 1, column 11: expected name after '.', got '+'");
    /* after a word, .5 is a dot and 5, as in ClickHouse */
    CHECK_STR(error_of("SELECT .5 FROM t", &rc), "syntax error at line 1, column 8: expected expression, got '.'");
    CHECK_STR(error_of("SELECT t.* FROM t", &rc),
              "syntax error at line 1, column 10: expected name after '.', got '*'");
    CHECK_STR(error_of("SELECT `` FROM t", &rc), "syntax error at line 1, column 8: empty quoted identifier");
    CHECK_STR(error_of("SELECT a.1 FROM t", &rc),
              "syntax error at line 1, column 10: expected name after '.', got '1'");
}

/* ---- expressions ---- */

static void test_precedence(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"1 + 2 * 3", "(+ 1 (* 2 3))"},
        {"(1 + 2) * 3", "(* (+ 1 2) 3)"},
        {"1 - 2 - 3", "(- (- 1 2) 3)"},
        {"8 / 4 / 2", "(/ (/ 8 4) 2)"},
        {"a % b * c", "(* (% a b) c)"},
        {"a MOD b", "(% a b)"},
        {"a DIV b + 1", "(+ (intDiv a b) 1)"},
        {"-a * b", "(* (neg a) b)"},
        {"-a[1]", "(neg (index a 1))"},
        {"- - - x", "(neg (neg (neg x)))"},
        {"a * -b + c", "(+ (* a (neg b)) c)"},
        {"a - -1", "(- a (neg 1))"},
        {"a || b || c", "(|| (|| a b) c)"},
        {"a || b + c", "(|| a (+ b c))"},
        {"a + b || c", "(|| (+ a b) c)"},
        {"a = b || c", "(= a (|| b c))"},
        {"a = b", "(= a b)"},
        {"a == b", "(= a b)"},
        {"a != b", "(!= a b)"},
        {"a <> b", "(!= a b)"},
        {"a < b", "(< a b)"},
        {"a <= b", "(<= a b)"},
        {"a > b", "(> a b)"},
        {"a >= b", "(>= a b)"},
        {"a = b = c", "(= (= a b) c)"},
        {"a < b + 1", "(< a (+ b 1))"},
        {"a + 1 > b * 2", "(> (+ a 1) (* b 2))"},
        {"a = 1 AND b = 2", "(and (= a 1) (= b 2))"},
        {"a OR b AND c", "(or a (and b c))"},
        {"a AND b OR c", "(or (and a b) c)"},
        {"a OR b OR c", "(or (or a b) c)"},
        {"a OR b OR c OR d", "(or (or a b) (or c d))"},
        {"a OR b OR c OR d OR e", "(or (or (or a b) (or c d)) e)"},
        {"NOT a", "(not a)"},
        {"NOT a = b", "(not (= a b))"},
        {"NOT a AND b", "(and (not a) b)"},
        {"NOT NOT a", "(not (not a))"},
        {"a AND NOT b", "(and a (not b))"},
        {"a = NOT b", "(= a (not b))"},
        {"a = NOT b AND c", "(and (= a (not b)) c)"},
        {"a = NOT b = c", "(= a (not (= b c)))"},
        {"a + NOT b + c", "(+ a (not (+ b c)))"},
        {"NOT (a) = b", "(= (not a) b)"},
        {"NOT (a = b)", "(not (= a b))"},
        {"NOT(a) AND b", "(and (not a) b)"},
        {"NOT a BETWEEN 1 AND 2", "(not (between a 1 2))"},
        {"a BETWEEN 1 AND 2", "(between a 1 2)"},
        {"a NOT BETWEEN 1 AND 2", "(not-between a 1 2)"},
        {"a BETWEEN 1 AND 2 AND b", "(and (between a 1 2) b)"},
        {"a BETWEEN b + 1 AND c * 2", "(between a (+ b 1) (* c 2))"},
        {"a BETWEEN 1 AND 2 OR c", "(or (between a 1 2) c)"},
        {"a + 1 BETWEEN 1 AND 2", "(between (+ a 1) 1 2)"},
        {"a = 1 BETWEEN 0 AND 1", "(between (= a 1) 0 1)"},
        {"x BETWEEN a = b AND c", "(between x (= a b) c)"},
        {"a LIKE 'x%'", "(like a 'x%')"},
        {"a NOT LIKE 'x%'", "(not-like a 'x%')"},
        {"a ILIKE 'x%'", "(ilike a 'x%')"},
        {"a NOT ILIKE 'x%'", "(not-ilike a 'x%')"},
        {"a || 'x' LIKE b", "(like (|| a 'x') b)"},
        {"NOT a LIKE b", "(not (like a b))"},
        {"a LIKE b AND c", "(and (like a b) c)"},
        {"x IN (1, 2, 3)", "(in x (tuple 1 2 3))"},
        {"x IN ('a')", "(in x 'a')"},
        {"x IN ['a', 'b']", "(in x (array 'a' 'b'))"},
        {"x NOT IN (1, 2)", "(not-in x (tuple 1 2))"},
        {"x IN (1, 2) AND y", "(and (in x (tuple 1 2)) y)"},
        {"x IN other", "(in x other)"},
        {"x + 1 IN (1, 2) = 0", "(= (in (+ x 1) (tuple 1 2)) 0)"},
        {"a IS NULL", "(isNull a)"},
        {"a IS NOT NULL", "(isNotNull a)"},
        {"NOT a IS NULL", "(not (isNull a))"},
        {"a = b IS NULL", "(isNull (= a b))"},
        {"a IS NULL AND b", "(and (isNull a) b)"},
        {"m['k']", "(index m 'k')"},
        {"m['k'][1]", "(index (index m 'k') 1)"},
        {"m['k'] = 'v'", "(= (index m 'k') 'v')"},
        {"f(x)[1] + 1", "(+ (index (f x) 1) 1)"},
        {"[1, 2][1]", "(index (array 1 2) 1)"},
        {"(a, b)[1]", "(index (tuple a b) 1)"},
        {"a - b + c", "(+ (- a b) c)"},
        {"a * b / c % d", "(% (/ (* a b) c) d)"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(cases); i++) CHECK_STR(expr(cases[i].in), cases[i].out);
    /* seven ANDed operands: a balanced tree of height 4, not a chain of 7 */
    CHECK_STR(expr("a AND b AND c AND d AND e AND f AND g"), "(and (and (and a b) (and c d)) (and (and e f) g))");
    CHECK_STR(expr("a || b || c || d"), "(|| (|| a b) (|| c d))");
}

static void test_functions(void)
{
    CHECK_STR(expr("count()"), "(count)");
    CHECK_STR(expr("count(*)"), "(count *)");
    CHECK_STR(expr("COUNT(x)"), "(COUNT x)");
    CHECK_STR(expr("count(DISTINCT x)"), "(count distinct x)");
    CHECK_STR(expr("uniqExact(DISTINCT a, b)"), "(uniqExact distinct a b)");
    CHECK_STR(expr("sum(ALL x)"), "(sum x)");
    CHECK_STR(expr("f(a, b + 1, 'c')"), "(f a (+ b 1) 'c')");
    CHECK_STR(expr("quantile(0.9)(Duration)"), "(quantile (params 0.9) Duration)");
    CHECK_STR(expr("quantiles(0.5, 0.9, 0.99)(Duration / 1e6)"),
              "(quantiles (params 0.5 0.9 0.99) (/ Duration 1000000.0))");
    CHECK_STR(expr("quantileIf(0.9)(x, c = 1)"), "(quantileIf (params 0.9) x (= c 1))");
    CHECK_STR(expr("quantile()(x)"), "(quantile (params) x)");
    CHECK_STR(expr("uniq(0.5)(DISTINCT x)"), "(uniq distinct (params 0.5) x)");
    CHECK_STR(expr("f(g(h(1)))"), "(f (g (h 1)))");
    CHECK_STR(expr("`my func`(1)"), "(my func 1)");
    CHECK_STR(expr("left(s, 2)"), "(left s 2)");
    CHECK_STR(expr("any(x)"), "(any x)");
    CHECK_STR(expr("if(a, b, c)"), "(if a b c)");
    CHECK_STR(expr("and(a, b)"), "(and a b)");
    CHECK_STR(expr("not(a)"), "(not a)");
    CHECK_STR(expr("CAST(x AS String)"), "(CAST x 'String')");
    CHECK_STR(expr("cast(x as Nullable( String ))"), "(cast x 'Nullable(String)')");
    CHECK_STR(expr("CAST(x AS DateTime64(9,'UTC'))"), "(CAST x 'DateTime64(9, \\'UTC\\')')");
    CHECK_STR(expr("CAST(x AS Map(String, Array(UInt64)))"), "(CAST x 'Map(String, Array(UInt64))')");
    CHECK_STR(expr("CAST(x AS Double Precision)"), "(CAST x 'Double Precision')");
    CHECK_STR(expr("CAST(x, 'String')"), "(CAST x 'String')");
    CHECK_STR(expr("position('abc' IN s)"), "(position s 'abc')");
    CHECK_STR(expr("position(s, 'abc')"), "(position s 'abc')");
    CHECK_STR(expr("position(('abc' IN s))"), "(position (in 'abc' s))");
    CHECK_STR(expr("toStartOfInterval(Timestamp, INTERVAL 5 MINUTE)"),
              "(toStartOfInterval Timestamp (interval 5 minute))");
    int rc;
    CHECK_STR(error_of("SELECT f(a FROM t", &rc), "syntax error at line 1, column 12: expected ',' or ')', got 'FROM'");
    CHECK_STR(error_of("SELECT f(a,) FROM t", &rc), "syntax error at line 1, column 12: expected expression, got ')'");
    CHECK_STR(error_of("SELECT f(DISTINCT x)(y) FROM t", &rc),
              "syntax error at line 1, column 21: expected no DISTINCT in the parameters before, got '('");
    CHECK_STR(error_of("SELECT CAST(x AS) FROM t", &rc),
              "syntax error at line 1, column 17: expected type name, got ')'");
    CHECK_STR(error_of("SELECT CAST(x AS Nullable(String FROM t", &rc),
              "syntax error at line 1, column 40: expected ')', got end of query");
    CHECK_STR(error_of("SELECT count(DISTINCT) FROM t", &rc),
              "syntax error at line 1, column 14: expected expression, got 'DISTINCT'");
}

static void test_case_interval(void)
{
    CHECK_STR(expr("CASE WHEN a THEN 1 ELSE 2 END"), "(case (when a 1) (else 2))");
    CHECK_STR(expr("CASE WHEN a = 1 THEN 'x' WHEN a = 2 THEN 'y' END"), "(case (when (= a 1) 'x') (when (= a 2) 'y'))");
    CHECK_STR(expr("CASE a WHEN 1 THEN 'x' ELSE 'z' END"), "(case a (when 1 'x') (else 'z'))");
    CHECK_STR(expr("case (a) when 1 then 2 end"), "(case a (when 1 2))");
    CHECK_STR(expr("CASE WHEN a THEN CASE WHEN b THEN 1 END END"), "(case (when a (case (when b 1))))");
    CHECK_STR(expr("CASE WHEN a THEN 1 END + 1"), "(+ (case (when a 1)) 1)");
    ol_sql_select_t *s = parse_or_null("SELECT CASE x WHEN 1 THEN 2 WHEN 3 THEN 4 ELSE 5 END FROM t");
    if (s) {
        const ol_sql_expr_t *c = s->items[0].expr;
        CHECK(c->kind == OL_SQL_E_CASE && c->has_operand && c->has_else);
        CHECK_EQ_INT(c->n_args, 6);
        CHECK_EQ_INT(c->pos, 7);
        CHECK_EQ_INT(c->end, 52);
    }
    CHECK_STR(expr("INTERVAL 1 HOUR"), "(interval 1 hour)");
    CHECK_STR(expr("INTERVAL 2 hours"), "(interval 2 hour)");
    CHECK_STR(expr("now() - INTERVAL 1 DAY"), "(- (now) (interval 1 day))");
    CHECK_STR(expr("now() - INTERVAL 1 DAY > x"), "(> (- (now) (interval 1 day)) x)");
    CHECK_STR(expr("INTERVAL 1 + 2 MINUTE"), "(interval (+ 1 2) minute)");
    CHECK_STR(expr("INTERVAL (n * 2) SECOND"), "(interval (* n 2) second)");
    CHECK_STR(expr("INTERVAL '5' MINUTE"), "(interval '5' minute)");
    CHECK_STR(expr("INTERVAL '5 minutes'"), "(interval 5 minute)");
    CHECK_STR(expr("INTERVAL '1.5 Day'"), "(interval 1.5 day)");
    CHECK_STR(expr("INTERVAL '-3 week'"), "(interval (neg 3) week)");
    static const char *const units[] = {
        "NANOSECOND", "nanosecond", "NANOSECONDS", "nanosecond", "MICROSECOND", "microsecond", "MICROSECONDS",
        "microsecond", "MILLISECOND", "millisecond", "MILLISECONDS", "millisecond", "SECOND", "second", "SECONDS",
        "second", "MINUTE", "minute", "MINUTES", "minute", "HOUR", "hour", "HOURS", "hour", "DAY", "day", "DAYS",
        "day", "WEEK", "week", "WEEKS", "week", "MONTH", "month", "MONTHS", "month", "QUARTER", "quarter",
        "QUARTERS", "quarter", "YEAR", "year", "YEARS", "year", "Year", "year", "year", "year",
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(units); i += 2) {
        char in[64], want[64];
        snprintf(in, sizeof in, "INTERVAL 3 %s", units[i]);
        snprintf(want, sizeof want, "(interval 3 %s)", units[i + 1]);
        CHECK_STR(expr(in), want);
    }
    s = parse_or_null("SELECT INTERVAL 10 SECOND FROM t");
    if (s) {
        CHECK_EQ_INT(s->items[0].expr->unit, OL_SQL_UNIT_SECOND);
        CHECK_EQ_INT(s->items[0].expr->pos, 7);
        CHECK_EQ_INT(s->items[0].expr->end, 25);
    }
    int rc;
    CHECK_STR(error_of("SELECT INTERVAL 1 FROM t", &rc),
              "syntax error at line 1, column 19: expected interval unit (SECOND, MINUTE, HOUR, DAY, ...), got 'FROM'");
    CHECK_STR(error_of("SELECT INTERVAL 1 D FROM t", &rc),
              "syntax error at line 1, column 19: expected interval unit (SECOND, MINUTE, HOUR, DAY, ...), got 'D'");
    CHECK_STR(error_of("SELECT INTERVAL 'abc' FROM t", &rc),
              "syntax error at line 1, column 17: expected '<number> <unit>' after INTERVAL, got ''abc''");
    CHECK_STR(error_of("SELECT INTERVAL '1 fortnight' FROM t", &rc),
              "syntax error at line 1, column 17: expected '<number> <unit>' after INTERVAL, got ''1 fortnight''");
    CHECK_STR(error_of("SELECT INTERVAL '1 hour 2 minute' FROM t", &rc),
              "INTERVAL strings with more than one unit are not supported: '1 hour 2 minute'");
    CHECK_STR(error_of("SELECT CASE END FROM t", &rc), "syntax error at line 1, column 13: expected WHEN, got 'END'");
    CHECK_STR(error_of("SELECT CASE WHEN a 1 END FROM t", &rc),
              "syntax error at line 1, column 20: expected THEN, got '1'");
    CHECK_STR(error_of("SELECT CASE WHEN a THEN 1 FROM t", &rc),
              "syntax error at line 1, column 27: expected WHEN, ELSE or END, got 'FROM'");
    CHECK_STR(error_of("SELECT CASE WHEN a THEN 1 ELSE 2 FROM t", &rc),
              "syntax error at line 1, column 34: expected END, got 'FROM'");
}

/* ---- statements ---- */

static void test_select(void)
{
    CHECK_STR(query("SELECT * FROM otel_traces"), "(select *) (from `otel_traces`)");
    CHECK_STR(query("select *, 1 from t"), "(select * 1) (from `t`)");
    CHECK_STR(query("SELECT DISTINCT ServiceName FROM t"), "(select distinct ServiceName) (from `t`)");
    CHECK_STR(query("SELECT ALL x FROM t"), "(select x) (from `t`)");
    CHECK_STR(query("SELECT count() AS n, ServiceName svc, 1 `one`, 2 \"two\", 3 AS `select` FROM t"),
              "(select (as (count) `n`) (as ServiceName `svc`) (as 1 `one`) (as 2 `two`) (as 3 `select`)) (from `t`)");
    CHECK_STR(query("SELECT x AS day, y day2 FROM t"), "(select (as x `day`) (as y `day2`)) (from `t`)");
    CHECK_STR(query("SELECT a FROM otel.otel_traces"), "(select a) (from `otel`.`otel_traces`)");
    CHECK_STR(query("SELECT a FROM `otel`.\"otel_traces\""), "(select a) (from `otel`.`otel_traces`)");
    CHECK_STR(query("SELECT a FROM t AS x"), "(select a) (from `t` as `x`)");
    CHECK_STR(query("SELECT a FROM t x WHERE a"), "(select a) (from `t` as `x`) (where a)");
    CHECK_STR(query("SELECT a FROM t WHERE a = 1 AND b"), "(select a) (from `t`) (where (and (= a 1) b))");
    CHECK_STR(query("SELECT a FROM t PREWHERE a = 1"), "(select a) (from `t`) (where (= a 1))");
    CHECK_STR(query("SELECT a FROM t PREWHERE a = 1 WHERE b = 2"),
              "(select a) (from `t`) (where (and (= a 1) (= b 2)))");
    CHECK_STR(query("SELECT a, count() FROM t GROUP BY a, b + 1 HAVING count() > 10"),
              "(select a (count)) (from `t`) (group-by a (+ b 1)) (having (> (count) 10))");
    CHECK_STR(query("SELECT a FROM t ORDER BY a DESC, b ASC, c, d DESCENDING, e ascending"),
              "(select a) (from `t`) (order-by (desc a) b c (desc d) e)");
    CHECK_STR(query("SELECT a FROM t ORDER BY 2 DESC"), "(select a) (from `t`) (order-by (desc 2))");
    CHECK_STR(query("SELECT a FROM t LIMIT 10"), "(select a) (from `t`) (limit 10)");
    CHECK_STR(query("SELECT a FROM t LIMIT 10 OFFSET 20"), "(select a) (from `t`) (limit 10) (offset 20)");
    CHECK_STR(query("SELECT a FROM t LIMIT 20, 10"), "(select a) (from `t`) (limit 10) (offset 20)");
    CHECK_STR(query("SELECT a FROM t LIMIT 0"), "(select a) (from `t`) (limit 0)");
    CHECK_STR(query("SELECT a FROM t LIMIT 0x10"), "(select a) (from `t`) (limit 16)");
    CHECK_STR(query("SELECT a FROM t LIMIT 18446744073709551615"),
              "(select a) (from `t`) (limit 18446744073709551615)");
    CHECK_STR(query("SELECT a FROM t;"), "(select a) (from `t`)");
    CHECK_STR(query("SELECT a FROM t ; ;"), "(select a) (from `t`)");
    CHECK_STR(query("  SELECT\n\ta\nFROM\n\tt\n"), "(select a) (from `t`)");
    CHECK_STR(query("sElEcT a fRoM t wHeRe a oRdEr bY a lImIt 1"),
              "(select a) (from `t`) (where a) (order-by a) (limit 1)");
    CHECK_STR(query("-- leading comment\nSELECT /* inline */ a -- trailing\nFROM t /* end */"),
              "(select a) (from `t`)");
    CHECK_STR(query("SELECT a/**/FROM/**/t"), "(select a) (from `t`)");
    CHECK_STR(query("SELECT a FROM t WHERE(a = 1)"), "(select a) (from `t`) (where (= a 1))");
    CHECK_STR(query("SELECT a FROM t WHERE a = 1 AND(b = 2)"), "(select a) (from `t`) (where (and (= a 1) (= b 2)))");
    CHECK_STR(query("SELECT ServiceName, count() AS spans, countIf(StatusCode = 'Error') / count() AS error_rate, "
                    "quantiles(0.5, 0.95, 0.99)(Duration / 1e6) AS ms FROM otel_traces WHERE Timestamp >= now() - "
                    "INTERVAL 1 HOUR GROUP BY ServiceName ORDER BY spans DESC"),
              "(select ServiceName (as (count) `spans`) (as (/ (countIf (= StatusCode 'Error')) (count)) `error_rate`) "
              "(as (quantiles (params 0.5 0.95 0.99) (/ Duration 1000000.0)) `ms`)) (from `otel_traces`) (where (>= "
              "Timestamp (- (now) (interval 1 hour)))) (group-by ServiceName) (order-by (desc spans))");
    CHECK_STR(query("SELECT SpanAttributes['http.route'] AS route FROM otel_traces "
                    "WHERE SpanAttributes['http.status_code'] IN ('500', '503')"),
              "(select (as (index SpanAttributes 'http.route') `route`)) (from `otel_traces`) (where (in (index "
              "SpanAttributes 'http.status_code') (tuple '500' '503')))");
}

static void test_positions(void)
{
    const char *sql = "SELECT a + f(b) AS x, (c), -d FROM t";
    ol_sql_select_t *s = parse_or_null(sql);
    if (!s) return;
    CHECK_EQ_INT(s->n_items, 3);
    const ol_sql_expr_t *e = s->items[0].expr;
    CHECK_EQ_INT(e->pos, 7);
    CHECK_EQ_INT(e->end, 15);
    CHECK_EQ_INT(e->args[1]->pos, 11);
    CHECK_EQ_INT(e->args[1]->end, 15);
    CHECK_EQ_INT(e->args[1]->args[0]->pos, 13);
    CHECK_EQ_INT(e->height, 3);
    CHECK_EQ_INT(s->items[0].pos, 7);
    CHECK_EQ_INT(s->items[0].end, 20);
    CHECK(ol_slice_eq_cstr(s->items[0].alias, "x"));
    e = s->items[1].expr;
    CHECK(e->parenthesized);
    CHECK_EQ_INT(e->pos, 22);
    CHECK_EQ_INT(e->end, 25);
    CHECK_EQ_INT(s->items[2].expr->pos, 27);
    CHECK_EQ_INT(s->items[2].expr->end, 29);
    CHECK_EQ_INT(s->table_pos, 35);
    /* every node lies within its parent */
    s = parse_or_null("SELECT CASE WHEN x IN (1, 2) THEN m['k'] ELSE [1][1] END BETWEEN 1 AND 2 FROM t");
    if (s) {
        e = s->items[0].expr;
        CHECK_EQ_INT(e->pos, 7);
        CHECK_EQ_INT(e->end, 72);
        CHECK_EQ_INT(e->args[0]->end, 56);
        CHECK_EQ_INT(e->args[0]->args[0]->pos, 17);
        CHECK_EQ_INT(e->args[0]->args[0]->end, 28);
        CHECK_EQ_INT(e->args[0]->args[1]->pos, 34);
        CHECK_EQ_INT(e->args[0]->args[1]->end, 40);
        CHECK_EQ_INT(e->args[0]->args[2]->pos, 46);
        CHECK_EQ_INT(e->args[0]->args[2]->end, 52);
    }
}

static void test_text_position(void)
{
    const char *t = "ab\ncd\n\xc3\xa9x";
    uint32_t line, col;
    ol_sql_text_position(t, strlen(t), 0, &line, &col);
    CHECK(line == 1 && col == 1);
    ol_sql_text_position(t, strlen(t), 2, &line, &col);
    CHECK(line == 1 && col == 3);
    ol_sql_text_position(t, strlen(t), 3, &line, &col);
    CHECK(line == 2 && col == 1);
    ol_sql_text_position(t, strlen(t), 8, &line, &col); /* x, after a two-byte character */
    CHECK(line == 3 && col == 2);
    ol_sql_text_position(t, strlen(t), 1000, &line, &col);
    CHECK(line == 3 && col == 3);
}

static void test_syntax_errors(void)
{
    static const struct {
        const char *sql, *msg;
    } cases[] = {
        {"", "syntax error at line 1, column 1: expected SELECT, got end of query"},
        {"   \n  ", "syntax error at line 2, column 3: expected SELECT, got end of query"},
        {"SELEC a FROM t", "syntax error at line 1, column 1: expected SELECT, got 'SELEC'"},
        {"SELECT * FORM t", "syntax error at line 1, column 10: expected FROM, got 'FORM'"},
        {"SELECT count() FORM t", "syntax error at line 1, column 16: expected FROM, got 'FORM'"},
        {"SELECT ServiceName FORM otel_traces", "syntax error at line 1, column 20: expected FROM, got 'FORM'"},
        {"SELECT a frm t", "syntax error at line 1, column 10: expected FROM, got 'frm'"},
        {"SELECT a fromm t", "syntax error at line 1, column 10: expected FROM, got 'fromm'"},
        {"SELECT a rfom t", "syntax error at line 1, column 10: expected FROM, got 'rfom'"},
        {"SELECT a fro t WHERE x", "syntax error at line 1, column 10: expected FROM, got 'fro'"},
        {"SELECT a form", "syntax error at line 1, column 10: expected FROM, got 'form'"},
        {"SELECT a AS form t", "syntax error at line 1, column 18: expected FROM, got 't'"},
        {"SELECT a fame t", "syntax error at line 1, column 15: expected FROM, got 't'"},
        {"SELECT a b c FROM t", "syntax error at line 1, column 12: expected FROM, got 'c'"},
        {"SELECT a", "syntax error at line 1, column 9: expected FROM, got end of query"},
        {"SELECT FROM t", "syntax error at line 1, column 8: expected expression, got 'FROM'"},
        {"SELECT a, FROM t", "syntax error at line 1, column 11: expected expression, got 'FROM'"},
        {"SELECT a FROM", "syntax error at line 1, column 14: expected table name, got end of query"},
        {"SELECT a FROM WHERE", "syntax error at line 1, column 15: expected table name, got 'WHERE'"},
        {"SELECT a FROM 't'", "syntax error at line 1, column 15: expected table name, got ''t''"},
        {"SELECT a FROM db.", "syntax error at line 1, column 18: expected table name, got end of query"},
        {"SELECT a FROM t WHERE", "syntax error at line 1, column 22: expected expression, got end of query"},
        {"SELECT a FROM t WHERE a =", "syntax error at line 1, column 26: expected expression, got end of query"},
        {"SELECT a FROM t GROUP a", "syntax error at line 1, column 23: expected BY, got 'a'"},
        {"SELECT a FROM t ORDER a", "syntax error at line 1, column 23: expected BY, got 'a'"},
        {"SELECT a FROM t LIMIT x", "syntax error at line 1, column 23: expected integer, got 'x'"},
        {"SELECT a FROM t LIMIT -1", "syntax error at line 1, column 23: expected integer, got '-'"},
        {"SELECT a FROM t LIMIT 1.5", "syntax error at line 1, column 23: expected integer, got '1.5'"},
        {"SELECT a FROM t LIMIT 18446744073709551616",
         "syntax error at line 1, column 23: expected integer below 2^64, got '18446744073709551616'"},
        {"SELECT a FROM t LIMIT 1 OFFSET", "syntax error at line 1, column 31: expected integer, got end of query"},
        {"SELECT a FROM t LIMIT 1, 2 OFFSET 3",
         "syntax error at line 1, column 28: expected end of query, got 'OFFSET'"},
        {"SELECT a FROM t ORDER BY a WHERE b", "syntax error at line 1, column 28: expected end of query, got 'WHERE'"},
        {"SELECT a FROM t t2 t3", "syntax error at line 1, column 20: expected end of query, got 't3'"},
        {"SELECT (a FROM t", "syntax error at line 1, column 11: expected ')', got 'FROM'"},
        {"SELECT (a, b FROM t", "syntax error at line 1, column 14: expected ',' or ')', got 'FROM'"},
        {"SELECT () FROM t", "syntax error at line 1, column 9: expected expression, got ')'"},
        {"SELECT [1, 2 FROM t", "syntax error at line 1, column 14: expected ',' or ']', got 'FROM'"},
        {"SELECT m['a' FROM t", "syntax error at line 1, column 14: expected ']', got 'FROM'"},
        {"SELECT a BETWEEN 1 OR 2 FROM t", "syntax error at line 1, column 20: expected AND, got 'OR'"},
        {"SELECT a NOT b FROM t",
         "syntax error at line 1, column 14: expected IN, LIKE, ILIKE or BETWEEN after NOT, got 'b'"},
        {"SELECT a IS 1 FROM t", "syntax error at line 1, column 13: expected NULL or NOT NULL, got '1'"},
        {"SELECT a IS NOT 1 FROM t", "syntax error at line 1, column 17: expected NULL, got '1'"},
        {"SELECT a AS FROM t", "syntax error at line 1, column 18: expected FROM, got 't'"},
        {"SELECT a AS 'x' FROM t", "syntax error at line 1, column 13: expected alias, got ''x''"},
        {"SELECT 'x' 'y' FROM t", "syntax error at line 1, column 12: expected FROM, got ''y''"},
        {"SELECT * AS x FROM t", "syntax error at line 1, column 10: expected FROM, got 'AS'"},
        {"SELECT a + * FROM t", "syntax error at line 1, column 12: expected expression, got '*'"},
        {"SELECT a = = b FROM t", "syntax error at line 1, column 12: expected expression, got '='"},
        {"SELECT f(x).1 FROM t", "syntax error at line 1, column 12: expected FROM, got '.'"},
        {"SELECT a FROM t WHERE a IN ()", "syntax error at line 1, column 29: expected expression, got ')'"},
        {"SELECT 'abc FROM t", "syntax error at line 1, column 8: string literal is not closed"},
        {"SELECT `abc FROM t", "syntax error at line 1, column 8: quoted identifier is not closed"},
        {"SELECT a /* FROM t", "syntax error at line 1, column 10: comment is not closed"},
        {"SELECT 12abc FROM t", "syntax error at line 1, column 8: invalid number '12abc'"},
        {"SELECT a ! b FROM t", "syntax error at line 1, column 10: unexpected character '!'"},
        {"SELECT a | b FROM t", "syntax error at line 1, column 10: unexpected character '|'"},
        {"SELECT a FROM t WHERE x = '\\x4'", "syntax error at line 1, column 28: invalid escape sequence"},
        {"SELECT\n  a,\n  b c d\nFROM t", "syntax error at line 3, column 7: expected FROM, got 'd'"},
        {"SELECT a\nFROM t\nWHERE x = 1\n  AND",
         "syntax error at line 4, column 6: expected expression, got end of query"},
        {"SELECT 'caf\xc3\xa9', \xc3\xa9 FROM t", "syntax error at line 1, column 16: unexpected character '\xc3\xa9'"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(cases); i++) {
        int rc;
        CHECK_STR(error_of(cases[i].sql, &rc), cases[i].msg);
        CHECK_EQ_INT(rc, OL_CORRUPT);
    }
}

static void test_error_token_text(void)
{
    int rc;
    /* long tokens are cut at 32 bytes */
    CHECK_STR(error_of("SELECT a FROM t abcdefghijklmnopqrstuvwxyz0123456789abcdef xyz", &rc),
              "syntax error at line 1, column 60: expected end of query, got 'xyz'");
    CHECK_STR(error_of("SELECT a b abcdefghijklmnopqrstuvwxyz0123456789abcdef FROM t", &rc),
              "syntax error at line 1, column 12: expected FROM, got 'abcdefghijklmnopqrstuvwxyz012345...'");
    CHECK_STR(error_of("SELECT a b 'abcdefghijklmnopqrstuvwxyz0123456789' FROM t", &rc),
              "syntax error at line 1, column 12: expected FROM, got ''abcdefghijklmnopqrstuvwxyz01234...'");
    /* control bytes and invalid UTF-8 are escaped; valid UTF-8 is kept whole */
    CHECK_STR(error_of("SELECT a b 'x\x01y\"\xff' FROM t", &rc),
              "syntax error at line 1, column 12: expected FROM, got ''x\\x01y\"\\xFF''");
    CHECK_STR(error_of("SELECT a b '\xe2\x82\xac' FROM t", &rc),
              "syntax error at line 1, column 12: expected FROM, got ''\xe2\x82\xac''");
    CHECK_STR(error_of("SELECT \x01 FROM t", &rc), "syntax error at line 1, column 8: unexpected character '\\x01'");
    CHECK_STR(error_of("SELECT \xff FROM t", &rc), "syntax error at line 1, column 8: unexpected character '\\xFF'");
    /* a multi-byte character straddling the cut is left out whole */
    CHECK_STR(error_of("SELECT a b 'abcdefghijklmnopqrstuvwxyz01234\xe2\x82\xac' FROM t", &rc),
              "syntax error at line 1, column 12: expected FROM, got ''abcdefghijklmnopqrstuvwxyz01234...'");
    /* a NUL byte inside the text is just another byte */
    const char nul[] = "SELECT a\0 FROM t";
    ol_sql_select_t *s = NULL;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_sql_parse(nul, sizeof nul - 1, A, &s, &err), OL_CORRUPT);
    CHECK_STR(err.msg, "syntax error at line 1, column 9: unexpected character '\\x00'");
}

static void test_refusals(void)
{
    static const struct {
        const char *sql, *msg;
    } cases[] = {
        {"INSERT INTO t VALUES (1)", "INSERT is not allowed: the query language is read-only"},
        {"insert into t select 1", "INSERT is not allowed: the query language is read-only"},
        {"ALTER TABLE t DELETE WHERE 1", "ALTER is not allowed: the query language is read-only"},
        {"CREATE TABLE x (a Int8)", "CREATE is not allowed: the query language is read-only"},
        {"DROP TABLE t", "DROP is not allowed: the query language is read-only"},
        {"TRUNCATE t", "TRUNCATE is not allowed: the query language is read-only"},
        {"RENAME TABLE a TO b", "RENAME is not allowed: the query language is read-only"},
        {"ATTACH TABLE t", "ATTACH is not allowed: the query language is read-only"},
        {"DETACH TABLE t", "DETACH is not allowed: the query language is read-only"},
        {"OPTIMIZE TABLE t FINAL", "OPTIMIZE is not allowed: the query language is read-only"},
        {"SYSTEM SHUTDOWN", "SYSTEM is not allowed: the query language is read-only"},
        {"KILL QUERY WHERE 1", "KILL is not allowed: the query language is read-only"},
        {"GRANT ALL ON *.* TO x", "GRANT is not allowed: the query language is read-only"},
        {"REVOKE ALL ON *.* FROM x", "REVOKE is not allowed: the query language is read-only"},
        {"SET max_threads = 1", "SET is not allowed: the query language is read-only"},
        {"USE otel", "USE is not allowed: the query language is read-only"},
        {"DELETE FROM t WHERE 1", "DELETE is not allowed: the query language is read-only"},
        {"UPDATE t SET a = 1", "UPDATE is not allowed: the query language is read-only"},
        {"EXCHANGE TABLES a AND b", "EXCHANGE is not allowed: the query language is read-only"},
        {"BACKUP TABLE t TO Disk('a')", "BACKUP is not allowed: the query language is read-only"},
        {"/* hidden */ -- also\n  drop table t", "DROP is not allowed: the query language is read-only"},
        {"SHOW TABLES", "SHOW is not supported: only SELECT queries are"},
        {"DESCRIBE TABLE t", "DESCRIBE is not supported: only SELECT queries are"},
        {"DESC t", "DESC is not supported: only SELECT queries are"},
        {"EXPLAIN SELECT 1", "EXPLAIN is not supported: only SELECT queries are"},
        {"EXISTS TABLE t", "EXISTS is not supported: only SELECT queries are"},
        {"WATCH lv", "WATCH is not supported: only SELECT queries are"},
        {"WITH 1 AS x SELECT x FROM t", "WITH is not supported"},
        {"SELECT a FROM t; SELECT b FROM t", "multiple statements are not supported"},
        {"SELECT a FROM t; DROP TABLE t", "multiple statements are not supported"},
        {"SELECT a FROM (SELECT a FROM t)", "subqueries are not supported"},
        {"SELECT a FROM t WHERE a IN (SELECT a FROM u)", "subqueries are not supported"},
        {"SELECT (SELECT 1) FROM t", "subqueries are not supported"},
        {"SELECT a FROM t WHERE EXISTS (SELECT 1)", "subqueries are not supported"},
        {"SELECT a FROM t WHERE a = ANY (SELECT 1)", "subqueries are not supported"},
        {"SELECT a FROM t WHERE NOT (WITH 1 AS x SELECT x)", "subqueries are not supported"},
        {"SELECT a FROM t JOIN u ON t.a = u.a", "JOIN is not supported"},
        {"SELECT a FROM t INNER JOIN u USING a", "JOIN is not supported"},
        {"SELECT a FROM t LEFT JOIN u USING a", "JOIN is not supported"},
        {"SELECT a FROM t LEFT OUTER JOIN u USING a", "JOIN is not supported"},
        {"SELECT a FROM t RIGHT JOIN u USING a", "JOIN is not supported"},
        {"SELECT a FROM t FULL JOIN u USING a", "JOIN is not supported"},
        {"SELECT a FROM t CROSS JOIN u", "JOIN is not supported"},
        {"SELECT a FROM t ANY LEFT JOIN u USING a", "JOIN is not supported"},
        {"SELECT a FROM t GLOBAL JOIN u USING a", "JOIN is not supported"},
        {"SELECT a FROM t, u", "JOIN is not supported"},
        {"SELECT a FROM t AS x JOIN u ON 1", "JOIN is not supported"},
        {"SELECT a FROM t ARRAY JOIN arr", "ARRAY JOIN is not supported"},
        {"SELECT a FROM t LEFT ARRAY JOIN arr", "ARRAY JOIN is not supported"},
        {"SELECT a FROM t UNION ALL SELECT b FROM u", "UNION is not supported"},
        {"SELECT a FROM t INTERSECT SELECT b FROM u", "INTERSECT is not supported"},
        {"SELECT a FROM t EXCEPT SELECT b FROM u", "EXCEPT is not supported"},
        {"SELECT a FROM t WHERE a = 1 UNION ALL SELECT 1 FROM u", "UNION is not supported"},
        {"SELECT a FROM t SETTINGS max_threads = 1", "SETTINGS is not supported"},
        {"SELECT a FROM t LIMIT 1 SETTINGS max_threads = 1", "SETTINGS is not supported"},
        {"SELECT a FROM t FORMAT JSON", "FORMAT is not supported"},
        {"SELECT a FROM t INTO OUTFILE 'x'", "INTO OUTFILE is not allowed: the query language is read-only"},
        {"SELECT a FROM t SAMPLE 0.1", "SAMPLE is not supported"},
        {"SELECT a FROM t FINAL", "FINAL is not supported"},
        {"SELECT a FROM t x FINAL", "FINAL is not supported"},
        {"SELECT a FROM t LIMIT 1 BY a", "LIMIT BY is not supported"},
        {"SELECT a FROM t GROUP BY a WITH TOTALS", "WITH TOTALS is not supported"},
        {"SELECT a FROM t GROUP BY a WITH ROLLUP", "WITH ROLLUP is not supported"},
        {"SELECT a FROM t GROUP BY a WITH CUBE", "WITH CUBE is not supported"},
        {"SELECT a FROM t ORDER BY a WITH FILL", "WITH FILL is not supported"},
        {"SELECT a FROM t ORDER BY a LIMIT 1 WITH TIES", "WITH TIES is not supported"},
        {"SELECT a FROM t GROUP BY ALL", "GROUP BY ALL is not supported"},
        {"SELECT a FROM t GROUP BY ROLLUP(a, b)", "GROUP BY ROLLUP is not supported"},
        {"SELECT a FROM t GROUP BY CUBE(a)", "GROUP BY CUBE is not supported"},
        {"SELECT a FROM t GROUP BY GROUPING SETS ((a), (b))", "GROUPING SETS is not supported"},
        {"SELECT a FROM t ORDER BY ALL", "ORDER BY ALL is not supported"},
        {"SELECT a FROM t ORDER BY a NULLS FIRST", "NULLS FIRST|LAST is not supported"},
        {"SELECT a FROM t ORDER BY a COLLATE 'de'", "COLLATE is not supported"},
        {"SELECT a FROM t WINDOW w AS (PARTITION BY a)", "WINDOW is not supported"},
        {"SELECT a FROM t QUALIFY a > 1", "QUALIFY is not supported"},
        {"SELECT a FROM url('http://x', CSV)", "table functions are not allowed"},
        {"SELECT a FROM file('/etc/passwd')", "table functions are not allowed"},
        {"SELECT a FROM remote('h', db.t)", "table functions are not allowed"},
        {"SELECT a FROM default.s3('x')", "table functions are not allowed"},
        {"SELECT arrayMap(x -> x * 2, a) FROM t", "lambda functions (->) are not supported"},
        {"SELECT arrayFilter((x, y) -> x, a, b) FROM t", "lambda functions (->) are not supported"},
        {"SELECT a ? 1 : 2 FROM t", "the ternary operator ?: is not supported: use if(cond, then, else)"},
        {"SELECT a::String FROM t", "the :: cast is not supported: use CAST(x AS T)"},
        {"SELECT {x:UInt8} FROM t", "query parameters are not supported"},
        {"SELECT a FROM t WHERE a = {v:String}", "query parameters are not supported"},
        {"SELECT a FROM t WHERE a = ?", "query parameters are not supported"},
        {"SELECT a FROM t WHERE a GLOBAL IN (1)", "GLOBAL IN is not supported"},
        {"SELECT a FROM t WHERE a GLOBAL NOT IN (1)", "GLOBAL IN is not supported"},
        {"SELECT count() OVER (PARTITION BY a) FROM t", "window functions (OVER) are not supported"},
        {"SELECT DISTINCT ON (a) a FROM t", "DISTINCT ON is not supported"},
        {"SELECT TOP 10 a FROM t", "TOP is not supported: use LIMIT"},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(cases); i++) {
        int rc;
        CHECK_STR(error_of(cases[i].sql, &rc), cases[i].msg);
        CHECK_EQ_INT(rc, OL_CORRUPT);
    }
}

/* "<prefix> x <suffix>" with the prefix and suffix repeated n times. */
static char *nested(const char *prefix, const char *middle, const char *suffix, int n)
{
    size_t lp = strlen(prefix), lm = strlen(middle), ls = strlen(suffix);
    char *s = malloc(32 + n * (lp + ls) + lm);
    size_t k = 0;
    k += (size_t)sprintf(s, "SELECT ");
    for (int i = 0; i < n; i++, k += lp) memcpy(s + k, prefix, lp);
    memcpy(s + k, middle, lm);
    k += lm;
    for (int i = 0; i < n; i++, k += ls) memcpy(s + k, suffix, ls);
    strcpy(s + k, " FROM t");
    return s;
}

static int parse_rc(const char *sql, ol_err_t *err)
{
    ol_sql_select_t *s = NULL;
    return ol_sql_parse(sql, strlen(sql), A, &s, err);
}

static void test_depth_limits(void)
{
    static const struct {
        const char *prefix, *middle, *suffix;
        int ok; /* deepest nesting that parses */
    } forms[] = {
        {"(", "x", ")", 63},
        {"f(", "x", ")", 63},
        {"[", "x", "]", 63},
        {"- ", "x", "", 63},
        {"NOT ", "x", "", 63},
        {"NOT (", "x", ")", 63},
        {"CASE WHEN 1 THEN ", "x", " END", 63},
        {"CASE ", "x", " WHEN 1 THEN 1 END", 63},
        {"INTERVAL ", "1", " DAY", 63},
        {"(1, ", "x", ")", 63},
        {"quantile(", "0.5", ")(x)", 63},
        {"1 + (", "x", ")", 31},
        {"1 = (", "x", ")", 31},
        {"x[", "1", "]", 63},
        {"a BETWEEN (", "1", ") AND 2", 31},
        {"a IN (", "1", ")", 31},
        {"CAST(", "x", " AS String)", 63},
    };
    for (size_t i = 0; i < OL_ARRAY_LEN(forms); i++) {
        char *good = nested(forms[i].prefix, forms[i].middle, forms[i].suffix, forms[i].ok);
        char *bad = nested(forms[i].prefix, forms[i].middle, forms[i].suffix, forms[i].ok + 1);
        ol_err_t err = {{0}};
        int rc = parse_rc(good, &err);
        if (rc != OL_OK) fprintf(stderr, "  form %zu at %d: %s\n", i, forms[i].ok, err.msg);
        CHECK_EQ_INT(rc, OL_OK);
        rc = parse_rc(bad, &err);
        if (rc != OL_LIMIT) fprintf(stderr, "  form %zu at %d: rc %d %s\n", i, forms[i].ok + 1, rc, err.msg);
        CHECK_EQ_INT(rc, OL_LIMIT);
        CHECK(strstr(err.msg, "expressions nest deeper than 64 levels (at line 1, column ") == err.msg);
        free(good);
        free(bad);
        /* far past the limit: still no deep recursion */
        char *bomb = nested(forms[i].prefix, forms[i].middle, forms[i].suffix, 20000);
        CHECK_EQ_INT(parse_rc(bomb, &err), OL_LIMIT);
        free(bomb);
        ol_arena_reset(A);
    }
    ol_err_t err = {{0}};
    /* a left-associative chain is as deep as it is long */
    char sql[8192];
    strcpy(sql, "SELECT 1");
    for (int i = 0; i < 63; i++) strcat(sql, " + 1");
    strcat(sql, " FROM t");
    CHECK_EQ_INT(parse_rc(sql, &err), OL_OK);
    strcpy(sql, "SELECT 1");
    for (int i = 0; i < 64; i++) strcat(sql, " + 1");
    strcat(sql, " FROM t");
    CHECK_EQ_INT(parse_rc(sql, &err), OL_LIMIT);
    CHECK_STR(err.msg, "expressions nest deeper than 64 levels (at line 1, column 8)");
    strcpy(sql, "SELECT x");
    for (int i = 0; i < 64; i++) strcat(sql, "[1]");
    strcat(sql, " FROM t");
    CHECK_EQ_INT(parse_rc(sql, &err), OL_LIMIT);
    /* but runs of OR, AND and || are balanced: 5000 ORed conditions are 14 levels */
    size_t cap = 5000 * 16 + 64, k = 0;
    char *big = malloc(cap);
    k += (size_t)sprintf(big, "SELECT a FROM t WHERE a = 0");
    for (int i = 1; i < 5000; i++) k += (size_t)sprintf(big + k, " OR a = %d", i);
    ol_sql_select_t *s = NULL;
    CHECK_EQ_INT(ol_sql_parse(big, k, A, &s, &err), OL_OK);
    if (s) CHECK_EQ_INT(s->where->height, 15);
    k = (size_t)sprintf(big, "SELECT a");
    for (int i = 0; i < 3000; i++) k += (size_t)sprintf(big + k, " || 'x' AND b");
    k += (size_t)sprintf(big + k, " FROM t");
    CHECK_EQ_INT(ol_sql_parse(big, k, A, &s, &err), OL_OK);
    free(big);
    ol_arena_reset(A);
}

static void test_size_limit(void)
{
    size_t n = OL_SQL_MAX_QUERY_BYTES;
    char *sql = malloc(n + 2);
    memset(sql, ' ', n + 1);
    const char *head = "SELECT a FROM t -- ";
    memcpy(sql, head, strlen(head));
    ol_sql_select_t *s = NULL;
    ol_err_t err = {{0}};
    CHECK_EQ_INT(ol_sql_parse(sql, n, A, &s, &err), OL_OK);
    CHECK_EQ_INT(ol_sql_parse(sql, n + 1, A, &s, &err), OL_LIMIT);
    CHECK_STR(err.msg, "the query is 262145 bytes long, more than the limit of 262144");
    CHECK(s == NULL);
    /* a string literal as long as the whole text */
    memset(sql, 'x', n);
    memcpy(sql, "SELECT '", 8);
    memcpy(sql + n - 9, "' FROM t", 8);
    sql[n - 1] = ' ';
    CHECK_EQ_INT(ol_sql_parse(sql, n, A, &s, &err), OL_OK);
    if (s) CHECK_EQ_INT(s->items[0].expr->str.len, n - 17);
    free(sql);
    ol_arena_reset(A);
    /* NULL text with length 0 is the empty query */
    CHECK_EQ_INT(ol_sql_parse(NULL, 0, A, &s, &err), OL_CORRUPT);
    CHECK_EQ_INT(ol_sql_parse("SELECT a FROM t", 15, A, &s, NULL), OL_OK);
}

static void test_nomem(void)
{
    const char *sql = "SELECT a, b, c, f(x, y, 'it''s'), CASE WHEN a THEN b END FROM t WHERE a IN (1, 2, 3) ORDER BY a";
    int ok = 0;
    for (size_t cap = 64; cap < 16384; cap += 64) {
        ol_arena_t *a = ol_arena_create(64, cap);
        ol_sql_select_t *s = NULL;
        ol_err_t err = {{0}};
        int rc = ol_sql_parse(sql, strlen(sql), a, &s, &err);
        if (rc == OL_NOMEM) {
            CHECK_STR(err.msg, "out of memory parsing the query");
            CHECK(s == NULL);
        } else {
            CHECK_EQ_INT(rc, OL_OK);
            ok++;
        }
        ol_arena_destroy(a);
    }
    CHECK(ok > 0);
}

int main(void)
{
    A = ol_arena_create(1 << 16, 1 << 28);
    ol_buf_init(&B, OL_MEM_QUERY, 0);
    RUN(test_keywords);
    RUN(test_lex_tokens);
    RUN(test_lex_numbers);
    RUN(test_lex_comments);
    RUN(test_unescape);
    RUN(test_literals);
    RUN(test_names);
    RUN(test_precedence);
    RUN(test_functions);
    RUN(test_case_interval);
    RUN(test_select);
    RUN(test_positions);
    RUN(test_text_position);
    RUN(test_syntax_errors);
    RUN(test_error_token_text);
    RUN(test_refusals);
    RUN(test_depth_limits);
    RUN(test_size_limit);
    RUN(test_nomem);
    ol_buf_free(&B);
    ol_arena_destroy(A);
    return TEST_REPORT();
}
