// grpc.test.mjs - OTLP/gRPC receiver edge cases with a raw HTTP/2 client
// (node:http2): unsupported grpc-encoding (12 + grpc-accept-encoding),
// malformed messages and framing (3), oversized messages, plain and
// compressed (8), unknown methods (12), non-gRPC content types (HTTP 415);
// valid calls, plain and gzip, are stored, and the server keeps serving.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { Olly, waitFor } from './lib/olly.mjs';
import { call, connect, frame, gzipFrame, LOGS_EXPORT, METRICS_EXPORT, TRACE_EXPORT, unframe } from './lib/grpc.mjs';
import { decodeExportResponse, flattenSpans, span, traceRequest, traceRequestToProto } from './lib/otlp.mjs';

const MAX_BODY = 64 * 1024;
let olly;
let session;

before(async () => {
  olly = await Olly.start({ maxBodyBytes: MAX_BODY });
  session = await connect(olly.otlpGrpcPort);
});

/** The shared session, reconnected if the server closed it after a bad call. */
async function live() {
  if (!session || session.closed || session.destroyed) session = await connect(olly.otlpGrpcPort);
  return session;
}
after(async () => {
  session?.close();
  await olly?.cleanup();
});

function oneSpan(name, attributes = {}) {
  const s = span({ name, attributes });
  return { traceId: s.traceId, proto: traceRequestToProto(traceRequest('grpc-edge', [s])) };
}

async function spanCount(traceId) {
  const doc = await olly.getTrace(traceId);
  return doc ? flattenSpans(doc).length : 0;
}

describe('OTLP/gRPC edge cases', () => {
  it('a valid Export call (plain and gzip) returns OK and is stored', async () => {
    const t = oneSpan('grpc-plain');
    const r = await call(await live(), TRACE_EXPORT, frame(t.proto));
    assert.equal(r.status, 200);
    assert.equal(r.grpcStatus, 0, `grpc-status 0, got ${r.grpcStatus} ${r.grpcMessage}`);
    assert.match(r.headers['content-type'] ?? '', /^application\/grpc/);
    const msgs = unframe(r.data);
    assert.equal(msgs.length, 1, 'one response message');
    assert.deepEqual(decodeExportResponse(msgs[0]), {}, 'no partial_success');
    assert.equal(await waitFor(() => spanCount(t.traceId)), 1);

    const g = oneSpan('grpc-gzip');
    const r2 = await call(await live(), TRACE_EXPORT, gzipFrame(g.proto), { headers: { 'grpc-encoding': 'gzip' } });
    assert.equal(r2.grpcStatus, 0, `gzip: ${r2.grpcMessage}`);
    assert.equal(await waitFor(() => spanCount(g.traceId)), 1);

    // Uncompressed message (flag 0) while grpc-encoding is set: allowed by the gRPC spec.
    const u = oneSpan('grpc-flag0');
    const r3 = await call(await live(), TRACE_EXPORT, frame(u.proto), { headers: { 'grpc-encoding': 'gzip' } });
    assert.equal(r3.grpcStatus, 0, `flag 0 with grpc-encoding gzip: ${r3.grpcMessage}`);

    // Empty requests for every signal.
    for (const path of [TRACE_EXPORT, METRICS_EXPORT, LOGS_EXPORT]) {
      const e = await call(await live(), path, frame(Buffer.alloc(0)));
      assert.equal(e.grpcStatus, 0, `empty ${path}: ${e.grpcMessage}`);
    }
  });

  it('partial_success for a span with a bad trace id', async () => {
    const good = span({ name: 'good' });
    const bad = span({ name: 'bad', traceId: '00000000000000000000000000000000' });
    const r = await call(await live(), TRACE_EXPORT, frame(traceRequestToProto(traceRequest('grpc-edge', [good, bad]))));
    assert.equal(r.grpcStatus, 0);
    const resp = decodeExportResponse(unframe(r.data)[0] ?? Buffer.alloc(0));
    assert.equal(resp.partialSuccess?.rejected, 1n);
    assert.ok(resp.partialSuccess.errorMessage.length > 0);
    assert.equal(await waitFor(() => spanCount(good.traceId)), 1);
  });

  it('unknown grpc-encoding -> 12 UNIMPLEMENTED with grpc-accept-encoding', async () => {
    const t = oneSpan('unknown-encoding');
    const r = await call(await live(), TRACE_EXPORT, frame(t.proto, { compressed: true }), { headers: { 'grpc-encoding': 'x-snappy-nonsense' } });
    assert.equal(r.grpcStatus, 12, `grpc-status ${r.grpcStatus} ${r.grpcMessage}`);
    assert.ok(r.grpcAcceptEncoding, 'grpc-accept-encoding header present');
    const accepted = r.grpcAcceptEncoding.split(',').map((s) => s.trim());
    assert.ok(accepted.includes('gzip'), `gzip accepted: ${r.grpcAcceptEncoding}`);
    assert.ok(accepted.includes('identity'), `identity accepted: ${r.grpcAcceptEncoding}`);
    assert.equal(await spanCount(t.traceId), 0);
  });

  it('malformed message or framing -> 3 INVALID_ARGUMENT', async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);
    const r = await call(await live(), TRACE_EXPORT, frame(garbage));
    assert.equal(r.grpcStatus, 3, `garbage protobuf: ${r.grpcStatus} ${r.grpcMessage}`);
    assert.ok((r.grpcMessage ?? '').length > 0, 'grpc-message says what is wrong');

    const r2 = await call(await live(), LOGS_EXPORT, frame(Buffer.from([0x0f])));
    assert.equal(r2.grpcStatus, 3, 'invalid wire type');

    const t = oneSpan('short-frame');
    const r3 = await call(await live(), TRACE_EXPORT, frame(t.proto, { length: t.proto.length + 100 }));
    assert.equal(r3.grpcStatus, 3, `declared length longer than the body: ${r3.grpcStatus} ${r3.grpcMessage}`);

    const r4 = await call(await live(), TRACE_EXPORT, Buffer.from([0, 0, 0]));
    assert.equal(r4.grpcStatus, 3, `truncated prefix: ${r4.grpcStatus}`);

    const r5 = await call(await live(), TRACE_EXPORT, frame(Buffer.from('not gzip data'), { compressed: true }), { headers: { 'grpc-encoding': 'gzip' } });
    assert.equal(r5.grpcStatus, 3, `corrupt gzip: ${r5.grpcStatus}`);

    const r6 = await call(await live(), TRACE_EXPORT, frame(t.proto, { compressed: true }));
    assert.ok(r6.grpcStatus === 3 || r6.grpcStatus === 12 || r6.grpcStatus === 13,
      `compressed flag without grpc-encoding: ${r6.grpcStatus}`);
    assert.notEqual(r6.grpcStatus, 0);
    assert.equal(await spanCount(t.traceId), 0, 'nothing stored');
  });

  it('oversized message (plain or inflated) -> 8 RESOURCE_EXHAUSTED', async () => {
    const t = oneSpan('too-big', { blob: 'x'.repeat(MAX_BODY + 1000) });
    const r = await call(await live(), TRACE_EXPORT, frame(t.proto));
    assert.equal(r.grpcStatus, 8, `oversized: ${r.grpcStatus} ${r.grpcMessage}`);
    assert.ok(!r.trailers['grpc-status-details-bin'] || !/RetryInfo/.test(Buffer.from(r.trailers['grpc-status-details-bin'], 'base64').toString('latin1')),
      'no RetryInfo, so clients do not retry');

    const bomb = frame(zlib.gzipSync(t.proto, { level: 9 }), { compressed: true });
    assert.ok(bomb.length < MAX_BODY, 'compressed it is under the limit');
    const r2 = await call(await live(), TRACE_EXPORT, bomb, { headers: { 'grpc-encoding': 'gzip' } });
    assert.equal(r2.grpcStatus, 8, `gzip bomb: ${r2.grpcStatus} ${r2.grpcMessage}`);

    const r3 = await call(await live(), TRACE_EXPORT, frame(Buffer.alloc(0), { length: MAX_BODY * 100 }));
    assert.ok(r3.grpcStatus === 8 || r3.grpcStatus === 3, `declared length far over the limit: ${r3.grpcStatus}`);
    assert.equal(await spanCount(t.traceId), 0);
  });

  it('unknown method -> 12; non-gRPC content type -> HTTP 415', async () => {
    const t = oneSpan('unknown-method');
    const r = await call(await live(), '/opentelemetry.proto.collector.trace.v1.TraceService/Nope', frame(t.proto));
    assert.equal(r.grpcStatus, 12, `unknown method: ${r.grpcStatus}`);
    const r2 = await call(await live(), '/no.such.Service/Export', frame(t.proto));
    assert.equal(r2.grpcStatus, 12);
    const r3 = await call(await live(), TRACE_EXPORT, frame(t.proto), { headers: { 'content-type': 'application/json' } });
    assert.equal(r3.status, 415, `non-gRPC content type: HTTP ${r3.status}`);
  });

  it('the session and a new connection still work after the bad calls', async () => {
    const t = oneSpan('after');
    const r = await call(await live(), TRACE_EXPORT, frame(t.proto));
    assert.equal(r.grpcStatus, 0);
    const s2 = await connect(olly.otlpGrpcPort);
    try {
      const u = oneSpan('after-new-session');
      const r2 = await call(s2, TRACE_EXPORT, frame(u.proto));
      assert.equal(r2.grpcStatus, 0);
      assert.equal(await waitFor(() => spanCount(u.traceId)), 1);
    } finally {
      s2.close();
    }
    // Several concurrent streams on one session.
    const many = Array.from({ length: 10 }, (_, i) => oneSpan(`concurrent-${i}`));
    const rs = await Promise.all(many.map(async (m) => call(await live(), TRACE_EXPORT, frame(m.proto))));
    assert.deepEqual(rs.map((x) => x.grpcStatus), many.map(() => 0));
    for (const m of many) assert.equal(await waitFor(() => spanCount(m.traceId)), 1);
  });
});
