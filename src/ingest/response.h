/*
 * response.h (private to ingest) - OTLP response bodies: Export*ServiceResponse
 * with partial_success, and google.rpc.Status (with RetryInfo when a retry
 * delay is given), in protobuf or in JSON.
 */
#ifndef OL_INGEST_RESPONSE_H
#define OL_INGEST_RESPONSE_H

#include "codec/otlp.h"
#include "core/buf.h"

void ol_ingest_write_export_response(ol_buf_t *b, bool json, ol_signal_t sig, uint64_t rejected, const char *msg);
/* retry_delay_s > 0 adds a google.rpc.RetryInfo detail. */
void ol_ingest_write_status(ol_buf_t *b, bool json, int grpc_code, const char *msg, uint32_t retry_delay_s);

#endif
