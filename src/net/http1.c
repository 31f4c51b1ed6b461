/*
 * http1.c - HTTP/1.1 request-head parser and chunked-body decoder (see http1.h).
 *
 * The head parser walks the buffer once with an index that is checked against
 * len before every byte is read; running off the end means "need more"
 * (OL_AGAIN), anything outside the RFC 9112 grammar means OL_CORRUPT. Bare LF
 * line ends are accepted in the head (RFC 9112 section 2.2), a bare CR is not;
 * obs-fold, whitespace before the colon and control characters in values are
 * rejected. The chunked decoder is a byte-level state machine that insists on
 * CRLF, so framing cannot be read two ways.
 */
#include "net/http1.h"

static bool ol_http1_is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

static bool ol_http1_is_target_char(uint8_t c) { return (c > 0x20 && c < 0x7f) || c >= 0x80; }
static bool ol_http1_is_value_char(uint8_t c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

/* Line end at buf[*i]: OL_OK (advanced past it), OL_AGAIN, OL_CORRUPT or
 * OL_NOTFOUND when buf[*i] does not start a line end. */
static int ol_http1_eol(const uint8_t *buf, size_t len, size_t *i)
{
    if (*i >= len) return OL_AGAIN;
    if (buf[*i] == '\n') {
        (*i)++;
        return OL_OK;
    }
    if (buf[*i] != '\r') return OL_NOTFOUND;
    if (*i + 1 >= len) return OL_AGAIN;
    if (buf[*i + 1] != '\n') return OL_CORRUPT;
    *i += 2;
    return OL_OK;
}

static int ol_http1_parse_head_inner(const uint8_t *buf, size_t len, ol_http_header_t *hdrs,
                                     size_t max_headers, ol_http1_head_t *out)
{
    size_t i = 0;
    int rc;

    while (i < len && (buf[i] == '\r' || buf[i] == '\n')) {
        rc = ol_http1_eol(buf, len, &i);
        if (rc != OL_OK) return rc;
    }

    size_t start = i;
    while (i < len && ol_http1_is_tchar(buf[i])) i++;
    if (i >= len) return OL_AGAIN;
    if (i == start || buf[i] != ' ') return OL_CORRUPT;
    out->method = ol_slice(buf + start, i - start);
    i++;

    start = i;
    while (i < len && ol_http1_is_target_char(buf[i])) i++;
    if (i >= len) return OL_AGAIN;
    if (i == start || buf[i] != ' ') return OL_CORRUPT;
    out->target = ol_slice(buf + start, i - start);
    i++;

    static const char proto[] = "HTTP/1.";
    for (size_t k = 0; k < sizeof proto - 1; k++, i++) {
        if (i >= len) return OL_AGAIN;
        if (buf[i] != (uint8_t)proto[k]) return OL_CORRUPT;
    }
    if (i >= len) return OL_AGAIN;
    if (buf[i] != '0' && buf[i] != '1') return OL_CORRUPT;
    out->minor_version = buf[i] - '0';
    i++;
    rc = ol_http1_eol(buf, len, &i);
    if (rc != OL_OK) return rc == OL_NOTFOUND ? OL_CORRUPT : rc;

    size_t n = 0;
    for (;;) {
        rc = ol_http1_eol(buf, len, &i);
        if (rc == OL_OK) break;
        if (rc != OL_NOTFOUND) return rc;
        if (buf[i] == ' ' || buf[i] == '\t') return OL_CORRUPT; /* obs-fold */

        start = i;
        while (i < len && ol_http1_is_tchar(buf[i])) i++;
        if (i >= len) return OL_AGAIN;
        if (i == start || buf[i] != ':') return OL_CORRUPT;
        ol_slice_t name = ol_slice(buf + start, i - start);
        i++;
        while (i < len && (buf[i] == ' ' || buf[i] == '\t')) i++;
        start = i;
        while (i < len && buf[i] != '\r' && buf[i] != '\n') {
            if (!ol_http1_is_value_char(buf[i])) return OL_CORRUPT;
            i++;
        }
        size_t vend = i;
        rc = ol_http1_eol(buf, len, &i);
        if (rc != OL_OK) return rc;
        while (vend > start && (buf[vend - 1] == ' ' || buf[vend - 1] == '\t')) vend--;
        if (n >= max_headers) return OL_LIMIT;
        hdrs[n].name = name;
        hdrs[n].value = ol_slice(buf + start, vend - start);
        n++;
    }

    out->n_headers = n;
    out->head_len = i;
    out->path = out->target;
    out->query = ol_slice(out->target.ptr + out->target.len, 0);
    const uint8_t *q = memchr(out->target.ptr, '?', out->target.len);
    if (q) {
        out->path.len = (size_t)(q - out->target.ptr);
        out->query = ol_slice(q + 1, out->target.len - out->path.len - 1);
    }
    return OL_OK;
}

int ol_http1_parse_head(const uint8_t *buf, size_t len, size_t max_head, ol_http_header_t *hdrs,
                        size_t max_headers, ol_http1_head_t *out)
{
    memset(out, 0, sizeof *out);
    int rc = ol_http1_parse_head_inner(buf, len, hdrs, max_headers, out);
    if (rc == OL_AGAIN && len >= max_head) return OL_LIMIT;
    if (rc == OL_OK && out->head_len > max_head) return OL_LIMIT;
    return rc;
}

bool ol_http1_has_token(ol_slice_t value, const char *token)
{
    ol_slice_t want = ol_slice_cstr(token);
    const uint8_t *p = value.ptr, *end = value.ptr + value.len;
    while (p < end) {
        const uint8_t *comma = memchr(p, ',', (size_t)(end - p));
        const uint8_t *stop = comma ? comma : end;
        if (ol_slice_eq_nocase(ol_slice_trim(ol_slice(p, (size_t)(stop - p))), want)) return true;
        p = comma ? comma + 1 : end;
    }
    return false;
}

/* ---- chunked ---- */

enum {
    OL_CH_SIZE = 0,   /* hex digits of the chunk size */
    OL_CH_EXT,        /* after the size: BWS, extensions, up to CR */
    OL_CH_SIZE_LF,    /* CR seen at the end of the size line */
    OL_CH_DATA,
    OL_CH_DATA_CR,    /* expecting CR after chunk data */
    OL_CH_DATA_LF,
    OL_CH_TRAILER,    /* at the start of a trailer line (or the final CRLF) */
    OL_CH_TRAILER_NAME,  /* inside a trailer field name */
    OL_CH_TRAILER_FIELD, /* inside a trailer field value */
    OL_CH_TRAILER_LF, /* CR seen at the end of a trailer field line */
    OL_CH_END_LF,     /* CR of the final empty line seen */
    OL_CH_DONE,
    OL_CH_FAILED
};

#define OL_CH_MAX_LINE 4096

void ol_http1_chunked_init(ol_http1_chunked_t *d, uint64_t limit)
{
    memset(d, 0, sizeof *d);
    d->limit = limit;
    d->max_trailer = 16 * 1024;
}

static int ol_http1_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int ol_http1_chunked_decode(ol_http1_chunked_t *d, const uint8_t *in, size_t in_len, size_t *in_used,
                            uint8_t *out, size_t *out_len)
{
    size_t i = 0, o = 0;
    int rc = OL_AGAIN;
    if (d->max_trailer == 0) d->max_trailer = 16 * 1024;
    if (d->state == OL_CH_FAILED) {
        rc = OL_CORRUPT;
        goto done;
    }

    while (i < in_len && d->state != OL_CH_DONE) {
        uint8_t c = in[i];
        switch (d->state) {
        case OL_CH_SIZE: {
            int v = ol_http1_hexval(c);
            if (v >= 0) {
                if (d->size > (UINT64_MAX >> 4)) goto corrupt;
                d->size = d->size << 4 | (uint64_t)v;
                d->digits++;
                if (d->limit && d->size > d->limit) goto limit;
                i++;
                break;
            }
            if (d->digits == 0) goto corrupt;
            d->state = OL_CH_EXT;
            d->line_len = 0;
            break; /* re-examine c in OL_CH_EXT */
        }
        case OL_CH_EXT:
            if (c == '\r') {
                d->state = OL_CH_SIZE_LF;
            } else if (c == '\n' || (c < 0x20 && c != '\t') || c == 0x7f) {
                goto corrupt;
            } else if (++d->line_len > OL_CH_MAX_LINE) {
                goto corrupt;
            } else if (!d->in_ext) {
                if (c == ';') d->in_ext = true;
                else if (c != ' ' && c != '\t') goto corrupt; /* junk after the digits, e.g. "1x" */
            }
            i++;
            break;
        case OL_CH_SIZE_LF:
            if (c != '\n') goto corrupt;
            i++;
            if (d->limit && d->size > d->limit - d->total) goto limit;
            d->total += d->size;
            if (d->size == 0) {
                d->state = OL_CH_TRAILER;
            } else {
                d->remaining = d->size;
                d->state = OL_CH_DATA;
            }
            d->size = 0;
            d->digits = 0;
            d->in_ext = false;
            break;
        case OL_CH_DATA: {
            size_t n = in_len - i;
            if ((uint64_t)n > d->remaining) n = (size_t)d->remaining;
            if (out + o != in + i) memmove(out + o, in + i, n);
            o += n;
            i += n;
            d->remaining -= n;
            if (d->remaining == 0) d->state = OL_CH_DATA_CR;
            break;
        }
        case OL_CH_DATA_CR:
            if (c != '\r') goto corrupt;
            d->state = OL_CH_DATA_LF;
            i++;
            break;
        case OL_CH_DATA_LF:
            if (c != '\n') goto corrupt;
            d->state = OL_CH_SIZE;
            i++;
            break;
        case OL_CH_TRAILER:
            if (c == '\r') {
                d->state = OL_CH_END_LF;
            } else if (c == ' ' || c == '\t' || c == ':' || !ol_http1_is_tchar(c)) {
                goto corrupt;
            } else {
                d->state = OL_CH_TRAILER_NAME;
            }
            if (++d->trailer_bytes > d->max_trailer) goto corrupt;
            i++;
            break;
        case OL_CH_TRAILER_NAME:
            if (c == ':') d->state = OL_CH_TRAILER_FIELD;
            else if (!ol_http1_is_tchar(c)) goto corrupt;
            if (++d->trailer_bytes > d->max_trailer) goto corrupt;
            i++;
            break;
        case OL_CH_TRAILER_FIELD:
            if (c == '\r') {
                d->state = OL_CH_TRAILER_LF;
            } else if (c == '\n' || (c < 0x20 && c != '\t') || c == 0x7f) {
                goto corrupt;
            }
            if (++d->trailer_bytes > d->max_trailer) goto corrupt;
            i++;
            break;
        case OL_CH_TRAILER_LF:
            if (c != '\n') goto corrupt;
            d->state = OL_CH_TRAILER;
            i++;
            break;
        case OL_CH_END_LF:
            if (c != '\n') goto corrupt;
            d->state = OL_CH_DONE;
            i++;
            break;
        default:
            goto corrupt;
        }
    }
    rc = d->state == OL_CH_DONE ? OL_OK : OL_AGAIN;
    goto done;

corrupt:
    d->state = OL_CH_FAILED;
    rc = OL_CORRUPT;
    goto done;
limit:
    d->state = OL_CH_FAILED;
    rc = OL_LIMIT;
done:
    *in_used = i;
    *out_len = o;
    return rc;
}
