// auth.test.mjs - bearer tokens: with --ingest-token and --api-token set,
// OTLP (HTTP and gRPC) and /api/v1 answer 401 / UNAUTHENTICATED with a clear
// message when the token is missing or wrong, and work with the right one;
// each token opens only its own door; health endpoints stay open.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { Olly, waitFor } from './lib/olly.mjs';
import { request } from './lib/http.mjs';
import { call, connect, frame, TRACE_EXPORT } from './lib/grpc.mjs';
import { decodeStatus, flattenSpans, span, traceRequest, traceRequestToProto } from './lib/otlp.mjs';
import { recording, setupSdkGlobals, traceExporter } from './lib/sdk.mjs';

const INGEST = 'ingest-secret-3f9a';
const API = 'api-secret-71c2';
let olly;

setupSdkGlobals();
before(async () => { olly = await Olly.start({ ingestToken: INGEST, apiToken: API }); });
after(async () => { await olly?.cleanup(); });

function oneSpan(name) {
  const s = span({ name });
  const req = traceRequest('auth-test', [s]);
  return { traceId: s.traceId, json: Buffer.from(JSON.stringify(req)), proto: traceRequestToProto(req) };
}

const ingest = (body, headers) => request({ port: olly.otlpHttpPort, method: 'POST', path: '/v1/traces', headers, body });
const apiGet = (path, headers = {}) => request({ port: olly.apiPort, path, headers });

const WRONG = [
  ['no Authorization header', {}],
  ['wrong token', { authorization: 'Bearer not-the-token' }],
  ['the API token on the ingest port', { authorization: `Bearer ${API}` }],
  ['token without the Bearer scheme', { authorization: INGEST }],
  ['Basic scheme', { authorization: `Basic ${Buffer.from(`user:${INGEST}`).toString('base64')}` }],
  ['token with a suffix', { authorization: `Bearer ${INGEST}x` }],
  ['token prefix only', { authorization: `Bearer ${INGEST.slice(0, -1)}` }],
];

describe('bearer tokens', () => {
  it('OTLP/HTTP JSON: 401 with a clear message without the right token, 200 with it', async () => {
    const t = oneSpan('auth-json');
    for (const [what, headers] of WRONG) {
      const r = await ingest(t.json, { 'content-type': 'application/json', ...headers });
      assert.equal(r.status, 401, `${what}: ${r.status}`);
      const st = JSON.parse(r.body.toString('utf8'));
      assert.equal(st.code, 16, `${what}: UNAUTHENTICATED`);
      assert.match(st.message, /token|auth|bearer|credential/i, `${what}: message says why: ${st.message}`);
    }
    assert.equal(await olly.getTrace(t.traceId), null, 'nothing stored without the token');
    const ok = await ingest(t.json, { 'content-type': 'application/json', authorization: `Bearer ${INGEST}` });
    assert.equal(ok.status, 200, String(ok.body));
    const lower = oneSpan('auth-json-lowercase-scheme');
    const ok2 = await ingest(lower.json, { 'content-type': 'application/json', authorization: `bearer ${INGEST}` });
    assert.equal(ok2.status, 200, 'the scheme name is case-insensitive');
    const doc = await waitFor(() => olly.getTrace(t.traceId), { what: 'the accepted trace' });
    assert.equal(flattenSpans(doc).length, 1);
  });

  it('OTLP/HTTP protobuf: 401 with google.rpc.Status code 16', async () => {
    const t = oneSpan('auth-proto');
    const r = await ingest(t.proto, { 'content-type': 'application/x-protobuf' });
    assert.equal(r.status, 401);
    const st = decodeStatus(r.body);
    assert.equal(st.code, 16);
    assert.match(st.message, /token|auth|bearer|credential/i);
    const ok = await ingest(t.proto, { 'content-type': 'application/x-protobuf', authorization: `Bearer ${INGEST}` });
    assert.equal(ok.status, 200);
  });

  it('OTLP/gRPC: 16 UNAUTHENTICATED without the token, OK with it', async () => {
    const session = await connect(olly.otlpGrpcPort);
    try {
      const t = oneSpan('auth-grpc');
      const r = await call(session, TRACE_EXPORT, frame(t.proto));
      assert.equal(r.grpcStatus, 16, `no token: ${r.grpcStatus}`);
      assert.match(r.grpcMessage ?? '', /token|auth|bearer|credential/i, `grpc-message: ${r.grpcMessage}`);
      const r2 = await call(session, TRACE_EXPORT, frame(t.proto), { headers: { authorization: 'Bearer nope' } });
      assert.equal(r2.grpcStatus, 16, 'wrong token');
      const r3 = await call(session, TRACE_EXPORT, frame(t.proto), { headers: { authorization: `Bearer ${INGEST}` } });
      assert.equal(r3.grpcStatus, 0, `right token: ${r3.grpcMessage}`);
      await waitFor(() => olly.getTrace(t.traceId), { what: 'the gRPC trace' });
    } finally {
      session.close();
    }
  });

  it('the SDK exporter with the token in its headers succeeds', async () => {
    const rec = recording(traceExporter(olly, 'proto', 'none', { Authorization: `Bearer ${INGEST}` }));
    const tp = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'auth-sdk' }), spanProcessors: [new SimpleSpanProcessor(rec.exporter)] });
    try {
      const s = tp.getTracer('auth').startSpan('sdk-with-token');
      s.end();
      await tp.forceFlush();
      await rec.idle();
      assert.deepEqual(rec.failures(), []);
      await waitFor(() => olly.getTrace(s.spanContext().traceId), { what: 'the SDK trace' });
    } finally {
      await tp.shutdown().catch(() => {});
    }
  });

  it('read API: 401 with {"error"} without the right token, 200 with it', async () => {
    for (const [what, headers] of [
      ['no Authorization header', {}],
      ['wrong token', { authorization: 'Bearer wrong' }],
      ['the ingest token', { authorization: `Bearer ${INGEST}` }],
    ]) {
      for (const path of ['/api/v1/services', '/api/v1/traces', '/api/v1/logs', '/api/v1/metrics', `/api/v1/traces/${'ab'.repeat(16)}`]) {
        const r = await apiGet(path, headers);
        assert.equal(r.status, 401, `${path}, ${what}: ${r.status}`);
        const body = JSON.parse(r.body.toString('utf8'));
        assert.equal(typeof body.error, 'string');
        assert.match(body.error, /token|auth|bearer|credential/i, `${path}, ${what}: ${body.error}`);
      }
    }
    const ok = await apiGet('/api/v1/services', { authorization: `Bearer ${API}` });
    assert.equal(ok.status, 200);
    const names = JSON.parse(ok.body.toString('utf8')).services.map((s) => s.name);
    assert.ok(names.includes('auth-test'), `services: ${names}`);
  });

  it('health endpoints need no token', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const r = await apiGet(path);
      assert.equal(r.status, 200, `${path} without a token`);
    }
  });
});
