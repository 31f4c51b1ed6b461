/*
 * records.h - log records and metrics in parts (docs/format/part.md, "Logs
 * and metrics").
 *
 * A log record or a metric is kept as its encoded message, byte for byte as
 * received, beside the few columns reads prune on (times, severity, trace
 * id, metric name and type), with its resource and scope as indexes into
 * the part's tables. Reading does not hand out items: per granule it
 * rebuilds one Export{Logs,Metrics}ServiceRequest, exactly the kind of
 * payload a WAL record holds, so the store decodes parts and WAL records
 * with the same code (ol_otlp_decode) and gets the same views.
 *
 * Writers take the items in any order, sort them, cut granules of at most
 * OL_PART_GRANULE_ROWS rows (fewer when the records pass
 * OL_PART_RECORD_GRANULE_BYTES) and write the file like ol_part_write_spans:
 * created exclusively, fsynced, removed again on failure.
 */
#ifndef OL_STORE_COL_RECORDS_H
#define OL_STORE_COL_RECORDS_H

#include "store/col/part.h"

/* A granule is closed once its records add up to this many bytes. */
#define OL_PART_RECORD_GRANULE_BYTES (8u << 20)

/* Writes the log records (any order) as a logs part, sorted by time (the
 * record time, or the observed time when the record time is 0); records
 * with equal times keep their input order. */
int ol_part_write_logs(const ol_io_t *io, const char *path, uint64_t part_id, uint64_t wal_segment,
                       const ol_otlp_log_t *const *logs, size_t n, ol_part_info_t *info, ol_err_t *err);

/* Writes the metrics (each an OTLP Metric message with its points) as a
 * metrics part, sorted by (name, min time); ties keep their input order. */
int ol_part_write_metrics(const ol_io_t *io, const char *path, uint64_t part_id, uint64_t wal_segment,
                          const ol_otlp_metric_t *const *metrics, size_t n, ol_part_info_t *info, ol_err_t *err);

/* Called once per granule read: `payload` is an ExportLogsServiceRequest or
 * ExportMetricsServiceRequest holding the granule's rows grouped under their
 * resource and scope (row order within a group), valid only during the
 * call; [min_ns, max_ns] is the granule's time range from the footer. */
typedef int (*ol_part_payload_fn)(void *ud, ol_slice_t payload, uint64_t min_ns, uint64_t max_ns);

/* For a logs or metrics part: calls fn for every granule whose time range
 * overlaps [start_ns, end_ns] (inclusive), in granule order. fn returning
 * nonzero stops the read: 1 (OL_STORE_STOP) returns OL_OK, anything else is
 * returned as is. OL_CORRUPT (err says where) on damage, OL_ERR for a
 * traces part. Reads three columns per granule (resource, scope, and the
 * record / metric bytes). */
int ol_part_read_payloads(const ol_part_t *p, uint64_t start_ns, uint64_t end_ns, ol_part_payload_fn fn, void *ud,
                          ol_err_t *err);

/* Full check of a logs or metrics part: every block of every granule is
 * read, every column decoded, each granule's payload decoded as an OTLP
 * request and each item compared with its columns, the row order and the
 * footer's time and trace-id ranges checked. OL_OK for a traces part
 * (nothing to do here), OL_CORRUPT on the first problem. */
int ol_part_verify_records(const ol_part_t *p, ol_err_t *err);

#endif
