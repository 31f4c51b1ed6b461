/*
 * genai_prices.c - the GenAI price table: model -> USD per million input
 * and output tokens (format in genai.h, docs/genai.md).
 *
 * Prices are parsed as exact decimals with at most six fractional digits
 * into micro-USD per million tokens, which is picodollars per token, so a
 * span's cost is an integer product and sums of costs are exact.
 *
 * The built-in table holds a few well-known models at their public list
 * prices when this was written. They are examples to start from, not an
 * authoritative or maintained price list: deployments set their own file.
 */
#include <errno.h>
#include <stdio.h>

#include "core/alloc.h"
#include "pipeline/genai_int.h"

static const char ol_genai_builtin_prices[] =
    "# model              input  output   (USD per million tokens; examples only)\n"
    "gpt-4o               2.50   10.00\n"
    "gpt-4o-mini          0.15   0.60\n"
    "gpt-4.1              2.00   8.00\n"
    "gpt-4.1-mini         0.40   1.60\n"
    "o3-mini              1.10   4.40\n"
    "claude-3-5-haiku     0.80   4.00\n"
    "claude-3-5-sonnet    3.00   15.00\n"
    "claude-3-7-sonnet    3.00   15.00\n"
    "claude-sonnet-4      3.00   15.00\n"
    "claude-opus-4        15.00  75.00\n"
    "gemini-1.5-flash     0.075  0.30\n"
    "gemini-1.5-pro       1.25   5.00\n"
    "gemini-2.0-flash     0.10   0.40\n";

#define OL_GENAI_PRICE_FILE_MAX (4u << 20)

static bool ol_genai_blank(uint8_t c) { return c == ' ' || c == '\t' || c == '\r'; }

/* "12.345" -> 12345000 micro. At most 6 fractional digits, at most 10^9 USD. */
static int ol_genai_parse_micro(ol_slice_t s, uint64_t *out)
{
    uint64_t whole = 0, frac = 0;
    size_t i = 0, nd = 0, nf = 0;
    for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++, nd++) {
        if (nd >= 10) return OL_CORRUPT;
        whole = whole * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    if (i < s.len && s.ptr[i] == '.') {
        for (i++; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++, nf++) {
            if (nf >= 6) return OL_CORRUPT;
            frac = frac * 10 + (uint64_t)(s.ptr[i] - '0');
        }
    }
    if (i != s.len || (nd == 0 && nf == 0) || whole > 1000000000u) return OL_CORRUPT;
    for (; nf < 6; nf++) frac *= 10;
    *out = whole * 1000000u + frac;
    return OL_OK;
}

static int ol_genai_prices_put(ol_genai_prices_t *p, ol_slice_t model, uint64_t in, uint64_t out)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->v[i].len == model.len && memcmp(p->v[i].model, model.ptr, model.len) == 0) {
            p->v[i].input_micro = in;
            p->v[i].output_micro = out;
            return OL_OK;
        }
    }
    if (ol_grow_array(OL_GENAI_MEM, (void **)&p->v, &p->cap, p->n + 1, sizeof *p->v) != OL_OK) return OL_NOMEM;
    char *m = ol_strndup(OL_GENAI_MEM, (const char *)model.ptr, model.len);
    if (!m) return OL_NOMEM;
    p->v[p->n++] = (ol_genai_price_t){m, model.len, in, out};
    return OL_OK;
}

int ol_genai_prices_parse(ol_genai_prices_t *p, ol_slice_t text, const char *origin, ol_err_t *err)
{
    size_t line = 0, pos = 0;
    while (pos < text.len) {
        size_t end = pos;
        while (end < text.len && text.ptr[end] != '\n') end++;
        line++;
        ol_slice_t l = ol_slice(text.ptr + pos, end - pos);
        pos = end + 1;
        for (size_t i = 0; i < l.len; i++)
            if (l.ptr[i] == '#') l.len = i;
        ol_slice_t f[4];
        size_t nf = 0, i = 0;
        while (i < l.len) {
            while (i < l.len && ol_genai_blank(l.ptr[i])) i++;
            if (i == l.len) break;
            size_t s = i;
            while (i < l.len && !ol_genai_blank(l.ptr[i])) i++;
            if (nf < OL_ARRAY_LEN(f)) f[nf] = ol_slice(l.ptr + s, i - s);
            nf++;
        }
        if (nf == 0) continue;
        uint64_t in, out;
        if (nf != 3) {
            ol_err_set(err, "genai: %s line %zu: expected \"model input_usd output_usd\" (USD per million tokens)",
                       origin, line);
            return OL_CORRUPT;
        }
        if (f[0].len > OL_GENAI_MAX_NAME) {
            ol_err_set(err, "genai: %s line %zu: the model name is longer than %u bytes", origin, line,
                       OL_GENAI_MAX_NAME);
            return OL_CORRUPT;
        }
        if (ol_genai_parse_micro(f[1], &in) != OL_OK || ol_genai_parse_micro(f[2], &out) != OL_OK) {
            ol_err_set(err, "genai: %s line %zu: prices must be decimal numbers of USD with at most 6 decimals",
                       origin, line);
            return OL_CORRUPT;
        }
        if (ol_genai_prices_put(p, f[0], in, out) != OL_OK) {
            ol_err_set(err, "genai: out of memory reading %s", origin);
            return OL_NOMEM;
        }
    }
    return OL_OK;
}

int ol_genai_prices_load(ol_genai_prices_t *p, const char *path, ol_err_t *err)
{
    memset(p, 0, sizeof *p);
    if (!path || !*path) return ol_genai_prices_parse(p, OL_SLICE_LIT(ol_genai_builtin_prices), "built-in prices", err);
    FILE *f = fopen(path, "rb");
    if (!f) {
        ol_err_set(err, "genai: cannot open the price table %s: %s", path, strerror(errno));
        return OL_ERR;
    }
    ol_buf_t b;
    ol_buf_init(&b, OL_GENAI_MEM, OL_GENAI_PRICE_FILE_MAX);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) ol_buf_append(&b, chunk, n);
    bool read_err = ferror(f) != 0;
    fclose(f);
    int rc;
    if (read_err) {
        ol_err_set(err, "genai: cannot read the price table %s", path);
        rc = OL_ERR;
    } else if (b.err != OL_OK) {
        ol_err_set(err, "genai: the price table %s is larger than %u bytes", path, OL_GENAI_PRICE_FILE_MAX);
        rc = b.err == OL_NOMEM ? OL_NOMEM : OL_ERR;
    } else {
        rc = ol_genai_prices_parse(p, ol_buf_slice(&b), path, err);
    }
    ol_buf_free(&b);
    if (rc != OL_OK) ol_genai_prices_free(p);
    return rc;
}

const ol_genai_price_t *ol_genai_prices_find(const ol_genai_prices_t *p, ol_slice_t model)
{
    const ol_genai_price_t *best = NULL;
    for (size_t i = 0; i < p->n; i++) {
        const ol_genai_price_t *e = &p->v[i];
        if (e->len > model.len || (best && e->len <= best->len)) continue;
        if (memcmp(e->model, model.ptr, e->len) == 0) best = e;
    }
    return best;
}

void ol_genai_prices_free(ol_genai_prices_t *p)
{
    for (size_t i = 0; i < p->n; i++) ol_free(OL_GENAI_MEM, p->v[i].model, p->v[i].len + 1);
    ol_free(OL_GENAI_MEM, p->v, p->cap * sizeof *p->v);
    memset(p, 0, sizeof *p);
}
