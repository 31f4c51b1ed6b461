/*
 * otlp_json.h - OTLP/JSON <-> protobuf, driven by the schema tables.
 *
 * Input (ol_otlp_json_to_pb) follows the OTLP/JSON rules: keys in
 * lowerCamelCase (snake_case accepted too), trace/span ids as hex
 * (case-insensitive; an empty string means absent), 64-bit integers as strings or
 * numbers, enums as numbers or (leniently) as their names, bytes as base64,
 * doubles as numbers or "NaN"/"Infinity"/"-Infinity", unknown keys ignored,
 * null treated as absent. A malformed id (odd length, non-hex) is passed
 * through with its decoded length when possible so the OTLP decoder can
 * reject the single span; a value of the wrong JSON type is OL_CORRUPT with
 * the JSON path in err ("resourceSpans[0].scopeSpans[0].spans[2].kind: expected number").
 *
 * Output (ol_pb_to_otlp_json) renders an encoded message as OTLP/JSON:
 * fields present in the protobuf only, ids in lower-case hex, 64-bit
 * integers as strings, enums as numbers, bytes as base64.
 */
#ifndef OL_CODEC_OTLP_JSON_H
#define OL_CODEC_OTLP_JSON_H

#include "codec/pb_schema.h"
#include "core/arena.h"
#include "core/buf.h"

int ol_otlp_json_to_pb(const ol_pb_msg_t *root, ol_slice_t json, ol_arena_t *a, ol_buf_t *out_pb, ol_err_t *err);

/* Appends one JSON object for `pb` (message type m). OL_OK or OL_CORRUPT. */
int ol_pb_to_otlp_json(const ol_pb_msg_t *m, ol_slice_t pb, ol_buf_t *out);

#endif
