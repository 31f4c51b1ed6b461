// http.test.mjs - OTLP/HTTP receiver edge cases over raw HTTP/1.1 (node:http
// and node:net): content types, malformed protobuf/JSON/gzip with their
// google.rpc.Status bodies, partial_success, empty requests, size limits and
// compression bombs, oversized heads, Expect: 100-continue, keep-alive,
// CORS, clients that vanish mid-body, duplicate spans; and at the end, the
// data stored before all that bad input is still there, unchanged.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { Olly, sleep, waitFor } from './lib/olly.mjs';
import { RawConnection, rawPost, request, requestHead } from './lib/http.mjs';
import {
  attrMap, decodeExportResponse, decodeStatus, flattenSpans, newSpanId, newTraceId, PbWriter, span, traceRequest,
  traceRequestToProto,
} from './lib/otlp.mjs';

const MAX_BODY = 256 * 1024;
const SERVICE = 'http-edge';
const JSON_CT = { 'content-type': 'application/json' };
const PB_CT = { 'content-type': 'application/x-protobuf' };

let olly;
const baseline = { traceIds: [], snapshots: new Map() };

before(async () => { olly = await Olly.start({ maxBodyBytes: MAX_BODY }); });
after(async () => { await olly?.cleanup(); });

const post = (path, body, headers, opts = {}) => olly.postOtlp(path, body, { headers, ...opts });
const jsonBody = (obj) => Buffer.from(JSON.stringify(obj));

/** A one-span trace request as {traceId, spanId, json (Buffer), proto (Buffer)}. */
function oneSpan(name = 'op', attributes = {}) {
  const s = span({ name, attributes });
  const req = traceRequest(SERVICE, [s]);
  return { traceId: s.traceId, spanId: s.spanId, req, json: jsonBody(req), proto: traceRequestToProto(req) };
}

async function spanCount(traceId) {
  const doc = await olly.getTrace(traceId);
  return doc ? flattenSpans(doc).length : 0;
}

function assertJsonStatus(r, code, what) {
  assert.match(r.headers['content-type'] ?? '', /json/, `${what}: JSON status body`);
  const st = JSON.parse(r.body.toString('utf8'));
  assert.equal(st.code, code, `${what}: google.rpc.Status code`);
  assert.equal(typeof st.message, 'string');
  assert.ok(st.message.length > 0, `${what}: status message says what went wrong`);
  return st;
}

function assertProtoStatus(r, code, what) {
  assert.match(r.headers['content-type'] ?? '', /protobuf/, `${what}: protobuf status body`);
  const st = decodeStatus(r.body);
  assert.equal(st.code, code, `${what}: google.rpc.Status code`);
  assert.ok(st.message.length > 0, `${what}: status message says what went wrong`);
  return st;
}

describe('OTLP/HTTP edge cases', () => {
  it('stores a baseline (protobuf and JSON) that must survive everything below', async () => {
    for (let i = 0; i < 3; i++) {
      const t = oneSpan(`baseline-${i}`, { 'baseline.i': i, note: 'keep me' });
      const r = i % 2 ? await post('/v1/traces', t.json, JSON_CT) : await post('/v1/traces', t.proto, PB_CT);
      assert.equal(r.status, 200, `baseline ${i}: ${r.body}`);
      baseline.traceIds.push(t.traceId);
    }
    for (const id of baseline.traceIds) {
      const doc = await waitFor(() => olly.getTrace(id), { what: `baseline trace ${id}` });
      baseline.snapshots.set(id, doc);
    }
  });

  it('accepts protobuf (both content types), JSON, gzip and deflate', async () => {
    const cases = [
      ['application/x-protobuf', (t) => t.proto, null],
      ['application/protobuf', (t) => t.proto, null],
      ['application/json', (t) => t.json, null],
      ['application/json; charset=utf-8', (t) => t.json, null],
      ['application/x-protobuf', (t) => zlib.gzipSync(t.proto), 'gzip'],
      ['application/json', (t) => zlib.gzipSync(t.json), 'gzip'],
      ['application/x-protobuf', (t) => zlib.deflateSync(t.proto), 'deflate'],
    ];
    for (const [ct, body, enc] of cases) {
      const t = oneSpan(`accept ${ct} ${enc}`);
      const headers = { 'content-type': ct, ...(enc ? { 'content-encoding': enc } : {}) };
      const r = await post('/v1/traces', body(t), headers);
      assert.equal(r.status, 200, `${ct} ${enc ?? 'identity'}: ${r.body}`);
      if (ct.includes('json')) assert.match(r.headers['content-type'] ?? '', /json/, 'JSON reply to a JSON request');
      else assert.match(r.headers['content-type'] ?? '', /protobuf/, 'protobuf reply to a protobuf request');
      assert.equal(await waitFor(() => spanCount(t.traceId), { what: `trace for ${ct} ${enc}` }), 1);
    }
  });

  it('chunked request bodies are accepted', async () => {
    const t = oneSpan('chunked');
    const r = await request({ port: olly.otlpHttpPort, method: 'POST', path: '/v1/traces', headers: PB_CT, body: t.proto, chunked: true, chunks: 4 });
    assert.equal(r.status, 200);
    assert.equal(await waitFor(() => spanCount(t.traceId)), 1);
  });

  it('415 for an unsupported content type or content encoding', async () => {
    const t = oneSpan();
    const r = await post('/v1/traces', 'hello', { 'content-type': 'text/plain' });
    assert.equal(r.status, 415);
    const r2 = await post('/v1/traces', t.proto, { ...PB_CT, 'content-encoding': 'br' });
    assert.equal(r2.status, 415, 'unknown content-encoding');
    assert.equal(await spanCount(t.traceId), 0, 'nothing stored');
  });

  it('400 with google.rpc.Status (protobuf) for garbage protobuf', async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03]);
    const r = await post('/v1/traces', garbage, PB_CT);
    assert.equal(r.status, 400);
    assertProtoStatus(r, 3, 'garbage protobuf');
    const r2 = await post('/v1/logs', Buffer.from('this is not protobuf at all, just text \xff\xfe'), PB_CT);
    assert.equal(r2.status, 400);
    assertProtoStatus(r2, 3, 'text as protobuf');
    const r3 = await post('/v1/metrics', Buffer.from([0x0f]), PB_CT);
    assert.equal(r3.status, 400, 'invalid wire type');
    assertProtoStatus(r3, 3, 'invalid wire type');
  });

  it('400 with JSON {"code":3,"message"} for invalid JSON', async () => {
    for (const body of ['{"resourceSpans":[{', 'not json', '{"resourceSpans":"a string"}', '[1,2,3]']) {
      const r = await post('/v1/traces', body, JSON_CT);
      assert.equal(r.status, 400, `invalid JSON ${JSON.stringify(body)}`);
      assertJsonStatus(r, 3, `invalid JSON ${JSON.stringify(body)}`);
    }
  });

  it('partial_success when one span has a 15-byte trace id; the good span is stored', async () => {
    const good = span({ name: 'good' });
    const bad = span({ name: 'bad', traceId: newTraceId().slice(0, 30) });
    const r = await post('/v1/traces', jsonBody(traceRequest(SERVICE, [good, bad])), JSON_CT);
    assert.equal(r.status, 200, `partial success is 200: ${r.body}`);
    const body = JSON.parse(r.body.toString('utf8'));
    assert.ok(body.partialSuccess, `partialSuccess in ${r.body}`);
    assert.ok(body.partialSuccess.rejectedSpans === '1' || body.partialSuccess.rejectedSpans === 1,
      `rejectedSpans 1: ${r.body}`);
    assert.ok((body.partialSuccess.errorMessage ?? '').length > 0, 'errorMessage says why');
    assert.equal(await waitFor(() => spanCount(good.traceId)), 1);

    // The same over protobuf: the reply is a protobuf ExportTraceServiceResponse.
    const good2 = span({ name: 'good2' });
    const bad2 = span({ name: 'bad2', spanId: '0000000000000000' });
    const r2 = await post('/v1/traces', traceRequestToProto(traceRequest(SERVICE, [good2, bad2])), PB_CT);
    assert.equal(r2.status, 200);
    const resp = decodeExportResponse(r2.body);
    assert.equal(resp.partialSuccess?.rejected, 1n, 'rejected_spans 1 for an all-zero span id');
    assert.equal(await waitFor(() => spanCount(good2.traceId)), 1);
  });

  it('400 for wrong wire types, lengths past the end, truncation and nesting deeper than 64', async () => {
    const t = oneSpan('structural');
    const spanMsg = (fn) => new PbWriter().message(1, (rs) => rs.message(2, (ss) => ss.message(2, fn))).finish();
    const cases = [
      // Span.name (field 5) sent as a varint instead of a string.
      ['wrong wire type for Span.name', spanMsg((p) => p.hex(1, t.traceId).hex(2, newSpanId()).tag(5, 0).varint(7))],
      // Span.start_time_unix_nano (fixed64) sent as a length-delimited field.
      ['wrong wire type for start_time_unix_nano', spanMsg((p) => p.hex(1, t.traceId).hex(2, newSpanId()).string(7, 'yesterday'))],
      // A ResourceSpans that claims 127 bytes where 10 follow; then one whose Span claims 60 of 20.
      ['a length past the end', Buffer.concat([Buffer.from([0x0a, 0x7f]), Buffer.alloc(10)])],
      ['a nested length past the end', new PbWriter().message(1, (rs) => rs.message(2, (ss) => { ss.tag(2, 2).varint(60); ss.parts.push(Buffer.alloc(20)); })).finish()],
      ['a valid request cut in half', t.proto.subarray(0, Math.floor(t.proto.length / 2))],
      ['a varint that never ends', Buffer.concat([t.proto, Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])])],
    ];
    for (const [what, body] of cases) {
      const r = await post('/v1/traces', body, PB_CT);
      assert.equal(r.status, 400, `${what}: ${r.status} ${r.body}`);
      const st = assertProtoStatus(r, 3, what);
      assert.match(st.message, /offset|field|length|wire|truncat|varint/i, `${what}: message says where: ${st.message}`);
    }
    // AnyValue kvlists nest: each level is KeyValue -> AnyValue -> KeyValueList (3 messages).
    const nested = (levels) => {
      let v = 'leaf';
      for (let i = 0; i < levels; i++) v = { [`k${i}`]: v };
      const s = span({ name: `nested-${levels}`, attributes: { deep: v } });
      return { s, req: traceRequest(SERVICE, [s]) };
    };
    const deep = nested(25);
    const rDeep = await post('/v1/traces', traceRequestToProto(deep.req), PB_CT);
    assert.equal(rDeep.status, 400, `nesting ~80 deep (protobuf): ${rDeep.status}`);
    assert.match(assertProtoStatus(rDeep, 3, 'deep nesting').message, /nest|deep|depth/i);
    const rDeepJson = await post('/v1/traces', jsonBody(deep.req), JSON_CT);
    assert.equal(rDeepJson.status, 400, `nesting ~80 deep (JSON): ${rDeepJson.status}`);
    assert.match(assertJsonStatus(rDeepJson, 3, 'deep nesting (JSON)').message, /nest|deep|depth/i);
    assert.equal(await spanCount(deep.s.traceId), 0, 'nothing of the deep request stored');
    const shallow = nested(15);
    const rShallow = await post('/v1/traces', traceRequestToProto(shallow.req), PB_CT);
    assert.equal(rShallow.status, 200, `nesting ~50 deep is within the limit: ${rShallow.body}`);
    const doc = await waitFor(() => olly.getTrace(shallow.s.traceId), { what: 'the nested span' });
    let v = attrMap(flattenSpans(doc)[0].span.attributes).deep;
    for (let i = 14; i >= 0; i--) v = attrMap(v.kvlistValue.values)[`k${i}`];
    assert.deepEqual(v, { stringValue: 'leaf' }, 'the 15-level value reads back whole');
    assert.equal(await spanCount(t.traceId), 0, 'no structural-error request stored anything');
  });

  it('no service.name reads as unknown_service; clock skew is kept as sent and flagged', async () => {
    const orphan = span({ name: 'orphan-op' });
    const noName = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [orphan] }] }] };
    assert.equal((await post('/v1/traces', jsonBody(noName), JSON_CT)).status, 200);
    const now = BigInt(Date.now()) * 1000000n;
    const backwards = span({ name: 'ends-before-it-starts', startNs: now - 1000000n, endNs: now - 5000000000n });
    const future = span({ name: 'from-the-future', startNs: now + 86400n * 1000000000n, endNs: now + 86401n * 1000000000n });
    assert.equal((await post('/v1/traces', jsonBody(traceRequest('skewed', [backwards, future])), JSON_CT)).status, 200);

    const services = await olly.getJson('/api/v1/services');
    const unknown = (services.services ?? []).find((x) => x.name === 'unknown_service');
    assert.ok(unknown && unknown.operations.includes('orphan-op'), `unknown_service listed: ${JSON.stringify(services)}`);
    for (const s of [backwards, future]) {
      const doc = await olly.getTrace(s.traceId);
      const got = flattenSpans(doc)[0].span;
      assert.equal(got.startTimeUnixNano, s.startTimeUnixNano, `${s.name}: start as sent`);
      assert.equal(got.endTimeUnixNano, s.endTimeUnixNano, `${s.name}: end as sent`);
    }
    const start = (now - 3600n * 1000000000n).toString();
    const end = (now + 2n * 86400n * 1000000000n).toString();
    const found = await olly.getJson(`/api/v1/traces?service=skewed&start=${start}&end=${end}&limit=10`);
    assert.equal(found.traces.length, 2, JSON.stringify(found));
    for (const t of found.traces) assert.equal(t.clockSkew, true, `${t.rootSpanName} flagged`);
    const m = (await olly.api('/metrics')).body.toString('utf8');
    assert.match(m, /^olly_clock_skew_spans_total(\{[^}]*\})? [1-9]/m, 'the skew counter moved');
  });

  it('an empty request is accepted (200)', async () => {
    const r = await post('/v1/traces', Buffer.alloc(0), PB_CT);
    assert.equal(r.status, 200, `empty protobuf: ${r.body}`);
    const r2 = await post('/v1/logs', '{}', JSON_CT);
    assert.equal(r2.status, 200, `empty JSON: ${r2.body}`);
    const r3 = await post('/v1/metrics', '{"resourceMetrics":[]}', JSON_CT);
    assert.equal(r3.status, 200);
    const body = JSON.parse(r3.body.toString('utf8') || '{}');
    assert.ok(!body.partialSuccess || !Number(body.partialSuccess.rejectedDataPoints ?? 0), 'nothing rejected');
  });

  it('413 for a body over --max-body-bytes (Content-Length and chunked)', async () => {
    const big = Buffer.alloc(MAX_BODY + 1024, 0x41);
    const r = await rawPost(olly.otlpHttpPort, '/v1/traces', [['Content-Type', 'application/x-protobuf']], big);
    assert.equal(r.status, 413);
    if (r.body.length) assertProtoStatus(r, 8, 'too large');
    const r2 = await rawPost(olly.otlpHttpPort, '/v1/traces', [['Content-Type', 'application/json']], big, { chunked: true });
    assert.equal(r2.status, 413, 'chunked body over the limit');
    if (r2.body.length) assertJsonStatus(r2, 8, 'too large (JSON)');
    const h = await olly.api('/healthz');
    assert.equal(h.status, 200, 'still serving');
  });

  it('413 for a gzip bomb (small on the wire, larger than the limit inflated)', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(MAX_BODY * 16, 0), { level: 9 });
    assert.ok(bomb.length < 16 * 1024, `bomb is small on the wire (${bomb.length} bytes)`);
    const r = await post('/v1/traces', bomb, { ...PB_CT, 'content-encoding': 'gzip' });
    assert.equal(r.status, 413);
    if (r.body.length) assertProtoStatus(r, 8, 'gzip bomb');
    const r2 = await post('/v1/traces', bomb, { ...JSON_CT, 'content-encoding': 'gzip' });
    assert.equal(r2.status, 413);
    if (r2.body.length) assertJsonStatus(r2, 8, 'gzip bomb (JSON)');
  });

  it('400 for truncated or corrupt gzip', async () => {
    const t = oneSpan('truncated');
    const gz = zlib.gzipSync(t.proto);
    const r = await post('/v1/traces', gz.subarray(0, Math.floor(gz.length / 2)), { ...PB_CT, 'content-encoding': 'gzip' });
    assert.equal(r.status, 400);
    assertProtoStatus(r, 3, 'truncated gzip');
    const r2 = await post('/v1/traces', Buffer.from('definitely not gzip'), { ...JSON_CT, 'content-encoding': 'gzip' });
    assert.equal(r2.status, 400);
    assertJsonStatus(r2, 3, 'not gzip');
    assert.equal(await spanCount(t.traceId), 0, 'nothing stored');
  });

  it('431 for a request head over 64 KiB', async () => {
    const conn = await RawConnection.connect(olly.otlpHttpPort);
    try {
      const t = oneSpan();
      await conn.write(requestHead('POST', '/v1/traces', [
        ['Host', '127.0.0.1'], ['Content-Type', 'application/x-protobuf'], ['Content-Length', String(t.proto.length)],
        ['X-Big', 'a'.repeat(70 * 1024)],
      ]));
      await conn.write(t.proto);
      const res = await conn.readResponse({ timeoutMs: 5000 });
      assert.equal(res.status, 431);
      assert.equal(await spanCount(t.traceId), 0);
    } finally {
      conn.destroy();
    }
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-h${i}`, 'b'.repeat(400)]));
    const r = await post('/v1/traces', Buffer.alloc(0), { ...PB_CT, ...many }).catch((e) => ({ status: e.code }));
    assert.equal(r.status, 431, 'many headers adding up to over 64 KiB');
  });

  it('Expect: 100-continue gets 100 Continue, then the final answer', async () => {
    const t = oneSpan('expect-continue');
    const conn = await RawConnection.connect(olly.otlpHttpPort);
    try {
      await conn.write(requestHead('POST', '/v1/traces', [
        ['Host', '127.0.0.1'], ['Content-Type', 'application/x-protobuf'],
        ['Content-Length', String(t.proto.length)], ['Expect', '100-continue'],
      ]));
      const interim = await conn.readResponse({ timeoutMs: 3000 });
      assert.equal(interim.status, 100, 'interim 100 Continue before the body is sent');
      await conn.write(t.proto);
      const res = await conn.readResponse();
      assert.equal(res.status, 200);
    } finally {
      conn.destroy();
    }
    assert.equal(await waitFor(() => spanCount(t.traceId)), 1);

    // Expect with a body over the limit: refused without reading the body.
    const conn2 = await RawConnection.connect(olly.otlpHttpPort);
    try {
      await conn2.write(requestHead('POST', '/v1/traces', [
        ['Host', '127.0.0.1'], ['Content-Type', 'application/x-protobuf'],
        ['Content-Length', String(MAX_BODY * 4)], ['Expect', '100-continue'],
      ]));
      const res = await conn2.readResponse({ timeoutMs: 3000 });
      assert.equal(res.status, 413, 'oversized Content-Length refused before 100 Continue');
    } finally {
      conn2.destroy();
    }
  });

  it('keep-alive: several requests on one connection', async () => {
    const conn = await RawConnection.connect(olly.otlpHttpPort);
    const ids = [];
    try {
      for (let i = 0; i < 5; i++) {
        const t = oneSpan(`keepalive-${i}`);
        ids.push(t.traceId);
        const json = i % 2 === 1;
        const body = json ? t.json : t.proto;
        await conn.write(Buffer.concat([requestHead('POST', '/v1/traces', [
          ['Host', '127.0.0.1'], ['Content-Type', json ? 'application/json' : 'application/x-protobuf'],
          ['Content-Length', String(body.length)],
        ]), body]));
        const res = await conn.readResponse();
        assert.equal(res.status, 200, `request ${i} on the same connection`);
        assert.ok(!/close/i.test(res.headers.connection ?? ''), 'server keeps the connection open');
      }
      // Two requests pipelined in one write.
      const a = oneSpan('pipelined-a');
      const b = oneSpan('pipelined-b');
      ids.push(a.traceId, b.traceId);
      const mk = (t) => Buffer.concat([requestHead('POST', '/v1/traces', [
        ['Host', '127.0.0.1'], ['Content-Type', 'application/x-protobuf'], ['Content-Length', String(t.proto.length)],
      ]), t.proto]);
      await conn.write(Buffer.concat([mk(a), mk(b)]));
      assert.equal((await conn.readResponse()).status, 200, 'first pipelined request');
      assert.equal((await conn.readResponse()).status, 200, 'second pipelined request');
      // An error answer does not have to end the connection, but a further request must work or the server must have closed cleanly.
      await conn.write(Buffer.concat([requestHead('POST', '/v1/traces', [
        ['Host', '127.0.0.1'], ['Content-Type', 'application/json'], ['Content-Length', '5'],
      ]), Buffer.from('nope!')]));
      assert.equal((await conn.readResponse()).status, 400);
    } finally {
      conn.destroy();
    }
    for (const id of ids) assert.equal(await waitFor(() => spanCount(id)), 1, `trace ${id}`);
  });

  it('CORS: preflight OPTIONS and Access-Control-Allow-Origin on responses', async () => {
    const origin = 'http://localhost:5173';
    const r = await request({
      port: olly.otlpHttpPort, method: 'OPTIONS', path: '/v1/traces',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-custom-header' },
    });
    assert.ok(r.status === 204 || r.status === 200, `preflight status ${r.status}`);
    const acao = r.headers['access-control-allow-origin'];
    assert.ok(acao === '*' || acao === origin, `Access-Control-Allow-Origin: ${acao}`);
    const allowHeaders = (r.headers['access-control-allow-headers'] ?? '').toLowerCase();
    assert.ok(allowHeaders === '*' || allowHeaders.includes('content-type'), `allow-headers: ${allowHeaders}`);
    const allowMethods = (r.headers['access-control-allow-methods'] ?? 'POST').toUpperCase();
    assert.ok(allowMethods.includes('POST') || allowMethods === '*', `allow-methods: ${allowMethods}`);

    const t = oneSpan('cors');
    const r2 = await post('/v1/traces', t.json, { ...JSON_CT, origin });
    assert.equal(r2.status, 200);
    const acao2 = r2.headers['access-control-allow-origin'];
    assert.ok(acao2 === '*' || acao2 === origin, `ACAO on the POST answer: ${acao2}`);
  });

  it('404 for an unknown path, 405 for a wrong method', async () => {
    const r = await post('/v1/nothing', Buffer.alloc(0), PB_CT);
    assert.equal(r.status, 404);
    const r2 = await request({ port: olly.otlpHttpPort, method: 'GET', path: '/v1/traces' });
    assert.equal(r2.status, 405);
  });

  it('a client that sends half a body and goes away does not disturb the server', async () => {
    const t = oneSpan('half');
    for (let i = 0; i < 5; i++) {
      const conn = await RawConnection.connect(olly.otlpHttpPort);
      const chunked = i % 2 === 1;
      await conn.write(requestHead('POST', '/v1/traces', [
        ['Host', '127.0.0.1'], ['Content-Type', 'application/x-protobuf'],
        chunked ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', String(t.proto.length)],
      ]));
      const half = t.proto.subarray(0, Math.floor(t.proto.length / 2));
      await conn.write(chunked ? Buffer.concat([Buffer.from(`${t.proto.length.toString(16)}\r\n`), half]) : half);
      await sleep(20);
      if (i === 4) conn.sock.resetAndDestroy?.(); else conn.destroy();
    }
    // A client that connects and sends nothing, and one that sends half a head.
    const idle = await RawConnection.connect(olly.otlpHttpPort);
    const partial = await RawConnection.connect(olly.otlpHttpPort);
    await partial.write('POST /v1/traces HTTP/1.1\r\nContent-Ty');
    try {
      const t2 = oneSpan('after-half');
      const r = await post('/v1/traces', t2.proto, PB_CT);
      assert.equal(r.status, 200, 'server still serves while half-open connections exist');
      assert.equal(await waitFor(() => spanCount(t2.traceId)), 1);
      assert.equal(await spanCount(t.traceId), 0, 'the cut-off request stored nothing');
      const h = await olly.api('/healthz');
      assert.equal(h.status, 200);
    } finally {
      idle.destroy();
      partial.destroy();
    }
  });

  it('a span sent twice reads back once', async () => {
    const t = oneSpan('dup', { attempt: 1 });
    assert.equal((await post('/v1/traces', t.proto, PB_CT)).status, 200);
    assert.equal((await post('/v1/traces', t.proto, PB_CT)).status, 200, 'the retry is acknowledged too');
    assert.equal((await post('/v1/traces', t.json, JSON_CT)).status, 200, 'and the same span as JSON');
    await waitFor(() => spanCount(t.traceId));
    await sleep(100);
    assert.equal(await spanCount(t.traceId), 1, 'stored once');

    // Two spans of one trace, one of them repeated inside the same request.
    const traceId = newTraceId();
    const a = span({ traceId, name: 'a' });
    const b = span({ traceId, name: 'b', parentSpanId: a.spanId, spanId: newSpanId() });
    assert.equal((await post('/v1/traces', jsonBody(traceRequest(SERVICE, [a, b, a])), JSON_CT)).status, 200);
    assert.equal((await post('/v1/traces', jsonBody(traceRequest(SERVICE, [b])), JSON_CT)).status, 200);
    await waitFor(() => spanCount(traceId));
    await sleep(100);
    assert.equal(await spanCount(traceId), 2);
  });

  it('after all the bad input, the baseline is still there, unchanged, and /metrics counts it', async () => {
    assert.equal(baseline.traceIds.length, 3, 'needs the baseline test');
    for (const id of baseline.traceIds) {
      const doc = await olly.getTrace(id);
      assert.deepEqual(doc, baseline.snapshots.get(id), `baseline trace ${id} unchanged`);
    }
    const h = await olly.api('/healthz');
    assert.equal(h.status, 200);
    const m = await olly.api('/metrics');
    assert.equal(m.status, 200);
    assert.match(m.body.toString('utf8'), /^# (HELP|TYPE) /m, 'Prometheus text format');
    assert.match(m.body.toString('utf8'), /olly_/, 'olly_ metrics');
  });
});
