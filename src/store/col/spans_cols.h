/*
 * spans_cols.h - the columns of a traces part's granules, decoded without
 * rebuilding spans (store/scan_cols.h says what a caller gets; spans_cols.c
 * how each value is found).
 *
 * A reader is opened on one part for one request: it decodes the part
 * tables it needs once (resources, scopes, keys), asks the request which
 * resources to keep, and then decodes granule after granule into buffers it
 * reuses, so a scan of a part allocates per granule only from one arena that
 * is reset each time. A reader belongs to one thread; the part may be read
 * by others at the same time.
 */
#ifndef OL_STORE_COL_SPANS_COLS_H
#define OL_STORE_COL_SPANS_COLS_H

#include "store/col/part.h"
#include "store/scan_cols.h"

typedef struct ol_part_cols ol_part_cols_t;

/* Opens a reader of part p for req (which, with its keys, must outlive the
 * reader); req->keep_resource is called here, once per resource, with ud.
 * OL_CORRUPT (err says why) for damaged part tables, OL_NOMEM. */
int ol_part_cols_open(const ol_part_t *p, const ol_span_cols_req_t *req, void *ud, ol_part_cols_t **out,
                      ol_err_t *err);
void ol_part_cols_free(ol_part_cols_t *r); /* NULL is fine */

/* Whether some resource of the part is kept (else no granule need be read). */
bool ol_part_cols_any_resource(const ol_part_cols_t *r);

/* Decodes granule g into *out (valid until the next call or the free).
 * out->n is 0 when the granule cannot hold a wanted row (its time range
 * misses the window, or none of its rows has a kept resource); then only
 * the resource column was read, or nothing. OL_OK, OL_CORRUPT (err),
 * OL_NOMEM. */
int ol_part_cols_granule(ol_part_cols_t *r, uint32_t g, ol_span_cols_t *out, ol_err_t *err);

#endif
