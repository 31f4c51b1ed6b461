// pipeline.test.mjs - RED series, the service map and tail sampling end to
// end: the official OpenTelemetry JS SDK sends a known topology (frontend ->
// checkout -> payment, checkout -> postgresql and kafka) with known request
// and error counts, in event time two hours in the past (a replay), to a
// real `olly serve`. Checked: the service map's nodes, edges and figures,
// one service's page, the olly.red.* series through SQL after a restart,
// and with tail sampling dropping 99% of the traces, RED figures that stay
// exact while every error trace is kept.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Olly, waitFor } from './lib/olly.mjs';
import { setupSdkGlobals, traceExporter } from './lib/sdk.mjs';

setupSdkGlobals();

const MS = 1_000_000n;

function providers(olly, names, processor = 'simple') {
  const out = {};
  for (const name of names) {
    const exporter = traceExporter(olly, 'proto', 'none');
    const sp = processor === 'simple' ? new SimpleSpanProcessor(exporter)
      : new BatchSpanProcessor(exporter, { maxExportBatchSize: 512, scheduledDelayMillis: 50, maxQueueSize: 100000 });
    out[name] = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': name }),
      spanProcessors: [sp],
    });
  }
  return out;
}

async function shutdownAll(tps) {
  for (const tp of Object.values(tps)) { await tp.forceFlush(); await tp.shutdown(); }
}

// One request through the topology at time t (ms). fail: payment fails.
function request(tps, t, fail) {
  const fe = tps.frontend.getTracer('it'), co = tps.checkout.getTracer('it'), pa = tps.payment.getTracer('it');
  const root = fe.startSpan('GET /', { kind: SpanKind.SERVER, startTime: t });
  const c1 = fe.startSpan('POST /checkout', { kind: SpanKind.CLIENT, startTime: t + 1,
    attributes: { 'server.address': 'checkout' } }, trace.setSpan(context.active(), root));
  const s1 = co.startSpan('POST /checkout', { kind: SpanKind.SERVER, startTime: t + 2 }, trace.setSpan(context.active(), c1));
  const ctx1 = trace.setSpan(context.active(), s1);
  const db = co.startSpan('SELECT orders', { kind: SpanKind.CLIENT, startTime: t + 3,
    attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM orders' } }, ctx1);
  db.end(t + 8);
  const q = co.startSpan('orders publish', { kind: SpanKind.PRODUCER, startTime: t + 9,
    attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' } }, ctx1);
  q.end(t + 10);
  const c2 = co.startSpan('POST /charge', { kind: SpanKind.CLIENT, startTime: t + 11 }, ctx1);
  const s2 = pa.startSpan('charge', { kind: SpanKind.SERVER, startTime: t + 12 }, trace.setSpan(context.active(), c2));
  if (fail) {
    s2.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
    c2.setStatus({ code: SpanStatusCode.ERROR });
  }
  s2.end(t + 40);
  c2.end(t + 41);
  s1.end(t + 45);
  c1.end(t + 46);
  root.end(t + 50);
}

function node(map, name) { return map.nodes.find((n) => n.name === name); }
function edge(map, s, t) { return map.edges.find((e) => e.source === s && e.target === t); }

describe('RED series and the service map', () => {
  let olly;
  const N = 300, FAIL_EVERY = 10;
  const t0 = Math.floor((Date.now() - 2 * 3600 * 1000) / 10000) * 10000; // a replay, two hours back
  const start = BigInt(t0 - 60000) * MS, end = BigInt(t0 + 3600000) * MS;

  before(async () => {
    olly = await Olly.start({ args: ['--red-edge-wait-ms', '200'] });
    const tps = providers(olly, ['frontend', 'checkout', 'payment', 'assistant'], 'batch');
    for (let i = 0; i < N; i++) request(tps, t0 + i * 100, i % FAIL_EVERY === 0);
    const llm = tps.assistant.getTracer('it');
    for (let i = 0; i < 5; i++) {
      const s = llm.startSpan('chat gpt-4o', { kind: SpanKind.CLIENT, startTime: t0 + i * 1000, attributes: {
        'gen_ai.system': 'openai', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 50 } });
      s.end(t0 + i * 1000 + 800);
    }
    await shutdownAll(tps);
  });
  after(async () => { await olly?.cleanup(); });

  it('maps services, the database, the queue, and the calls between them', async () => {
    let map;
    await waitFor(async () => {
      const r = await olly.api(`/api/v1/service-map?start=${start}&end=${end}`);
      map = r.json;
      return r.status === 200 && node(map, 'payment')?.requests === N && node(map, 'kafka');
    }, { what: 'RED figures of every request', timeoutMs: 10000 });
    for (const n of ['frontend', 'checkout', 'payment', 'postgresql', 'kafka']) assert.ok(node(map, n), `${n} in ${JSON.stringify(map)}`);
    assert.equal(node(map, 'frontend').type, 'service');
    assert.equal(node(map, 'frontend').requests, N);
    assert.equal(node(map, 'frontend').errors, 0);
    assert.equal(node(map, 'checkout').requests, N);
    assert.equal(node(map, 'payment').errors, N / FAIL_EVERY);
    assert.ok(Math.abs(node(map, 'payment').errorRate - 1 / FAIL_EVERY) < 1e-9);
    assert.equal(node(map, 'postgresql').type, 'database');
    assert.equal(node(map, 'kafka').type, 'queue');
    const fc = edge(map, 'frontend', 'checkout');
    assert.equal(fc.calls, N);
    assert.equal(fc.errors, 0);
    const cp = edge(map, 'checkout', 'payment');
    assert.equal(cp.calls, N);
    assert.equal(cp.errors, N / FAIL_EVERY);
    // client-side latency of checkout -> payment is 30 ms for every call
    assert.ok(Math.abs(cp.p50Ms - 30) / 30 < 0.02, `p50 ${cp.p50Ms}`);
    assert.equal(edge(map, 'checkout', 'postgresql').calls, N);
    assert.equal(edge(map, 'checkout', 'postgresql').targetType, 'database');
    assert.equal(edge(map, 'checkout', 'kafka').calls, N);
    assert.equal(map.edges.filter((e) => e.target === 'checkout').length, 1, JSON.stringify(map.edges));
  });

  it('gives one service its operations as time series', async () => {
    const r = await olly.api(`/api/v1/services/checkout?start=${start}&end=${end}`);
    assert.equal(r.status, 200, r.body.toString());
    const s = r.json;
    assert.equal(s.service, 'checkout');
    assert.equal(s.requests, N);
    const ops = Object.fromEntries(s.operations.map((o) => [o.name, o]));
    assert.equal(ops['POST /checkout'].requests, N);
    assert.equal(ops['POST /charge'].errors, N / FAIL_EVERY);
    const total = s.series.requests.reduce((a, b) => a + b, 0);
    assert.equal(total, N);
    assert.equal(s.series.timestamps.length, s.series.requests.length);
    assert.ok(s.upstream.some((e) => e.source === 'frontend'));
    assert.ok(s.downstream.some((e) => e.target === 'payment'));
    const missing = await olly.api(`/api/v1/services/no-such-service?start=${start}&end=${end}`);
    assert.equal(missing.status, 404);
    const bad = await olly.api('/api/v1/service-map?start=yesterday');
    assert.equal(bad.status, 400);
  });

  it('counts GenAI tokens per model', async () => {
    let u;
    await waitFor(async () => {
      const r = await olly.api(`/api/v1/genai/usage?start=${start}&end=${end}&by=model`);
      u = r.json;
      return r.status === 200 && u.groups?.[0]?.requests === 5;
    }, { what: 'GenAI usage', timeoutMs: 10000 });
    assert.equal(u.groups.length, 1);
    assert.equal(u.groups[0].model, 'gpt-4o');
    assert.equal(u.groups[0].inputTokens, 500);
    assert.equal(u.groups[0].outputTokens, 250);
    const bad = await olly.api(`/api/v1/genai/usage?by=colour`);
    assert.equal(bad.status, 400);
  });

  it('stores the series as olly.red.* metrics that SQL reads, across a restart', async () => {
    await olly.restart();
    const sql = `SELECT ServiceName, sum(Value) AS n FROM otel_metrics_sum
      WHERE MetricName = 'olly.red.requests' AND Attributes['olly.entry'] = 'true'
      GROUP BY ServiceName ORDER BY ServiceName`;
    const r = await olly.api('/api/v1/query', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql }) });
    assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual(r.json.rows, [['assistant', 5], ['checkout', N], ['frontend', N], ['payment', N]]);
    const m = await olly.api(`/api/v1/service-map?start=${start}&end=${end}`);
    assert.equal(node(m.json, 'payment').errors, N / FAIL_EVERY);
    const metrics = (await olly.api('/metrics')).body.toString();
    assert.match(metrics, /olly_red_/);
  });
});

describe('tail sampling keeps RED exact', () => {
  let olly;
  const N = 2000, FAIL_EVERY = 100;
  const t0 = Math.floor((Date.now() - 3600 * 1000) / 10000) * 10000;
  const start = BigInt(t0 - 60000) * MS, end = BigInt(t0 + 3600000) * MS;

  before(async () => {
    olly = await Olly.start({ args: ['--sampling', 'true', '--sampling-share', '0.01', '--sampling-wait-ms', '300',
      '--flush-age-ms', '1500'] });
    const tps = providers(olly, ['frontend', 'checkout', 'payment'], 'batch');
    for (let i = 0; i < N; i++) request(tps, t0 + i * 20, i % FAIL_EVERY === 7);
    await shutdownAll(tps);
  });
  after(async () => { await olly?.cleanup(); });

  async function sql(q) {
    const r = await olly.api('/api/v1/query', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: q }) });
    assert.equal(r.status, 200, r.body.toString());
    return r.json.rows;
  }

  it('drops about 99% of the traces when they reach parts, and keeps every error trace', async () => {
    await waitFor(async () => {
      const st = (await olly.api('/api/v1/storage')).json;
      return st && st.head.spans === 0 && st.flushes > 0;
    }, { what: 'the head flushed into parts', timeoutMs: 30000, intervalMs: 250 });
    const [[traces]] = await sql(`SELECT uniqExact(TraceId) FROM otel_traces`);
    const [[errorTraces]] = await sql(`SELECT uniqExact(TraceId) FROM otel_traces WHERE StatusCode = 'Error'`);
    assert.equal(errorTraces, N / FAIL_EVERY);
    assert.ok(traces >= N / FAIL_EVERY && traces <= N / FAIL_EVERY + 0.03 * N, `kept ${traces} of ${N}`);
    const st = (await olly.api('/api/v1/storage')).json;
    const [[kept]] = await sql(`SELECT count() FROM otel_traces`);
    assert.ok(st.sampledOutSpans > 0.9 * 7 * N, `sampled out ${st.sampledOutSpans} spans, kept ${kept} spans of ${traces} traces: ${JSON.stringify(st)}`);
    const metrics = (await olly.api('/metrics')).body.toString();
    assert.match(metrics, /olly_sampling_/);
  });

  it('computes RED from every span, before sampling', async () => {
    const m = (await olly.api(`/api/v1/service-map?start=${start}&end=${end}`)).json;
    assert.equal(node(m, 'frontend').requests, N);
    assert.equal(node(m, 'payment').requests, N);
    assert.equal(node(m, 'payment').errors, N / FAIL_EVERY);
    assert.equal(edge(m, 'checkout', 'payment').calls, N);
    assert.equal(edge(m, 'checkout', 'payment').errors, N / FAIL_EVERY);
  });
});
