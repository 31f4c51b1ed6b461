// correlate.test.mjs - correlation ids end to end: the official OpenTelemetry
// JS SDK puts a correlation id in W3C baggage, @opentelemetry/baggage-span-processor
// and @opentelemetry/baggage-log-record-processor copy it into span and log
// attributes, a real `olly serve` indexes it, and GET /api/v1/correlate/{id}
// (and /timeline) answers the flow: its traces, logs (sent before and after
// their trace, and without a trace), an exemplar-linked metric point, and one
// timeline in time order. A trace without an id answers to its generated id,
// computed here independently (base 36 of the start second, FNV-1a 64 +
// splitmix64 of the trace id). Hostile ids (too long, control characters,
// spaces, non-ASCII, fake olly- ids) are counted, never stored: spans lose the
// attribute, a trace-less log gets an olly- replacement. Malformed ids in
// the URL answer 400, unknown ones 404. The index survives a restart.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, trace, SpanKind } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ALLOW_ALL_BAGGAGE_KEYS as ALL_SPAN_KEYS, BaggageSpanProcessor } from '@opentelemetry/baggage-span-processor';
import { ALLOW_ALL_BAGGAGE_KEYS as ALL_LOG_KEYS, BaggageLogRecordProcessor } from '@opentelemetry/baggage-log-record-processor';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { Olly } from './lib/olly.mjs';
import { logExporter, setupSdkGlobals, traceExporter } from './lib/sdk.mjs';

setupSdkGlobals();

// ---- the generated id, independently of the server ----

const M64 = (1n << 64n) - 1n;
function hash64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & M64;
  h = ((h ^ (h >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  h = ((h ^ (h >> 27n)) * 0x94d049bb133111ebn) & M64;
  return h ^ (h >> 31n);
}
function generatedId(traceIdHex, startMs) {
  const second = BigInt(Math.floor(startMs / 1000));
  const hash = (hash64(Buffer.from(traceIdHex, 'hex')) >> 32n).toString(16).padStart(8, '0');
  return `olly-${second.toString(36)}-${hash}`;
}

// ---- SDK set-up: baggage copied into span and log attributes ----

let olly, tp, lp, tracer, logger;
const service = `corr-it-${process.pid}`;

before(async () => {
  olly = await Olly.start();
  tp = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BaggageSpanProcessor(ALL_SPAN_KEYS), new SimpleSpanProcessor(traceExporter(olly, 'proto', 'none'))],
  });
  lp = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [new BaggageLogRecordProcessor(ALL_LOG_KEYS), new SimpleLogRecordProcessor({ exporter: logExporter(olly, 'proto', 'none') })],
  });
  tracer = tp.getTracer('corr-it');
  logger = lp.getLogger('corr-it');
});
after(async () => {
  await tp?.shutdown();
  await lp?.shutdown();
  await olly?.cleanup();
});

const flush = async () => { await tp.forceFlush(); await lp.forceFlush(); };
const withBaggage = (entries, ctx = context.active()) => {
  const b = {};
  for (const [k, v] of Object.entries(entries)) b[k] = { value: v };
  return propagation.setBaggage(ctx, propagation.createBaggage(b));
};
const emit = (body, ctx, t, attrs = {}) =>
  logger.emit({ body, context: ctx, timestamp: t, severityNumber: SeverityNumber.INFO, severityText: 'INFO', attributes: attrs });

async function correlate(id, suffix = '') {
  const r = await olly.api(`/api/v1/correlate/${encodeURIComponent(id)}${suffix}`);
  return { status: r.status, json: r.json, text: r.body.toString('utf8') };
}

async function metricsText() {
  const r = await olly.api('/metrics');
  return r.body.toString('utf8');
}
function counter(text, name) {
  const m = text.match(new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

function assertTimelineSorted(timeline) {
  for (let i = 1; i < timeline.length; i++)
    assert.ok(BigInt(timeline[i - 1].timeUnixNano) <= BigInt(timeline[i].timeUnixNano), `timeline out of order at ${i}`);
}

// ---- the flows ----

const t0 = Date.now() - 60_000; // whole milliseconds, so the SDK's times are exact
const ids = {};

describe('correlation ids through the JS SDK', () => {
  before(async () => {
    // Flow order-4711: a request (trace A) and its retry (trace B), a log sent
    // before A's spans, one after B's, one without a trace (an e-mail later).
    const flowCtx = withBaggage({ correlation_id: 'order-4711' });
    const a = tracer.startSpan('POST /order', { kind: SpanKind.SERVER, startTime: t0, attributes: { 'http.route': '/order' } }, flowCtx);
    const aCtx = trace.setSpan(flowCtx, a);
    emit('order received', aCtx, t0 + 5);
    await lp.forceFlush(); // the log is stored before any span of its trace
    const db = tracer.startSpan('INSERT orders', { kind: SpanKind.CLIENT, startTime: t0 + 10 }, aCtx);
    db.end(t0 + 30);
    a.end(t0 + 50);
    await tp.forceFlush();
    ids.a = a.spanContext().traceId;

    const b = tracer.startSpan('POST /order (retry)', { kind: SpanKind.SERVER, startTime: t0 + 2000 }, flowCtx);
    const bCtx = trace.setSpan(flowCtx, b);
    b.end(t0 + 2100);
    await tp.forceFlush();
    emit('retry succeeded', bCtx, t0 + 2090); // after its trace was stored
    emit('confirmation e-mail sent', flowCtx, t0 + 9000); // no trace at all
    await lp.forceFlush();
    ids.b = b.spanContext().traceId;

    // An exemplar of a metric point pointing at trace A (sent as OTLP/JSON).
    const tNs = (BigInt(t0 + 40) * 1000000n).toString();
    const body = {
      resourceMetrics: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeMetrics: [{ scope: { name: 'corr-it' }, metrics: [{
          name: 'http.server.request.duration', unit: 's',
          gauge: { dataPoints: [{ timeUnixNano: tNs, asDouble: 0.05,
            exemplars: [{ timeUnixNano: tNs, asDouble: 0.05, traceId: ids.a, spanId: a.spanContext().spanId }] }] },
        }] }],
      }],
    };
    const r = await olly.postOtlp('/v1/metrics', JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 200);

    // Trace C: no id. Its child is exported first, the root last; a log
    // before any of its spans and one after.
    const c = tracer.startSpan('GET /cart', { kind: SpanKind.SERVER, startTime: t0 + 20_000 }, context.active());
    const cCtx = trace.setSpan(context.active(), c);
    emit('cart requested', cCtx, t0 + 20_001);
    await lp.forceFlush();
    const child = tracer.startSpan('cache get', { kind: SpanKind.CLIENT, startTime: t0 + 20_002 }, cCtx);
    child.end(t0 + 20_003);
    await tp.forceFlush();
    c.end(t0 + 20_010);
    await tp.forceFlush();
    emit('cart rendered', cCtx, t0 + 20_009);
    await lp.forceFlush();
    ids.c = c.spanContext().traceId;

    // A second flow named with the other attribute key.
    const otherCtx = withBaggage({ 'correlation.id': 'tenant-7:job-12' });
    const o = tracer.startSpan('job', { startTime: t0 + 30_000 }, otherCtx);
    o.end(t0 + 30_100);
    await flush();
    ids.o = o.spanContext().traceId;
  });

  it('answers a flow: both traces, the logs before, after and without a trace, the exemplar, one timeline', async () => {
    const r = await correlate('order-4711');
    assert.equal(r.status, 200, r.text);
    const f = r.json;
    assert.equal(f.id, 'order-4711');
    assert.equal(f.generated, false);
    assert.deepEqual(f.traces.map((t) => t.traceId), [ids.a, ids.b]);
    const [ta, tb] = f.traces;
    assert.equal(ta.spanCount, 2);
    assert.deepEqual(ta.spans.map((s) => s.name), ['POST /order', 'INSERT orders']);
    assert.equal(ta.spans[0].root, true);
    assert.equal(ta.startTimeUnixNano, (BigInt(t0) * 1000000n).toString());
    assert.equal(ta.generatedId, generatedId(ids.a, t0));
    assert.deepEqual(ta.services, [service]);
    assert.equal(tb.spanCount, 1);
    assert.deepEqual(f.logs.map((l) => l.body), ['order received', 'retry succeeded', 'confirmation e-mail sent']);
    assert.equal(f.logs[0].traceId, ids.a);
    assert.equal(f.logs[1].traceId, ids.b);
    assert.equal(f.logs[2].traceId, '');
    assert.equal(f.logs[2].attributes.correlation_id, 'order-4711');
    assert.equal(f.metrics.length, 1);
    assert.equal(f.metrics[0].metric, 'http.server.request.duration');
    assert.equal(f.metrics[0].traceId, ids.a);
    assert.equal(f.metrics[0].value, 0.05);
    const kinds = f.timeline.map((e) => e.kind);
    assert.equal(kinds.filter((k) => k === 'span_start').length, 3);
    assert.equal(kinds.filter((k) => k === 'span_end').length, 3);
    assert.equal(kinds.filter((k) => k === 'log').length, 3);
    assert.equal(kinds.filter((k) => k === 'metric').length, 1);
    assertTimelineSorted(f.timeline);
    assert.equal(f.timeline[0].kind, 'span_start');
    assert.equal(f.timeline[0].name, 'POST /order');
    assert.equal(f.timeline.at(-1).body, 'confirmation e-mail sent');
    assert.equal(f.truncated, false);

    const tl = await correlate('order-4711', '/timeline');
    assert.equal(tl.status, 200, tl.text);
    assert.deepEqual(Object.keys(tl.json).sort(), ['generated', 'id', 'timeline', 'truncated']);
    assert.deepEqual(tl.json.timeline, f.timeline);
  });

  it('stores valid ids as sent', async () => {
    const t = await olly.getTrace(ids.a);
    const attrs = t.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.flatMap((s) => s.attributes)));
    assert.ok(attrs.some((kv) => kv.key === 'correlation_id' && kv.value.stringValue === 'order-4711'));
    const other = await correlate('tenant-7:job-12');
    assert.equal(other.status, 200, other.text);
    assert.deepEqual(other.json.traces.map((x) => x.traceId), [ids.o]);
  });

  it('gives a trace without an id its generated id, with the logs sent before and after it', async () => {
    const id = generatedId(ids.c, t0 + 20_000);
    const r = await correlate(id);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.generated, true);
    assert.deepEqual(r.json.traces.map((t) => [t.traceId, t.spanCount, t.generatedId]), [[ids.c, 2, id]]);
    assert.deepEqual(r.json.logs.map((l) => l.body), ['cart requested', 'cart rendered']);
    assertTimelineSorted(r.json.timeline);
  });

  describe('hostile ids', () => {
    const hostile = {
      too_long: 'x'.repeat(150),
      control: 'bad\u0001id\u001b[31m',
      space: 'has space',
      non_ascii: 'caf\u00e9-\u{1F600}',
      fake_old: 'olly-zzzz-12345678',
      fake_hex: 'olly-s44we8-NOTHEXAB',
      fake_future: `olly-${(BigInt(Math.floor(Date.now() / 1000)) + 10n * 86400n).toString(36)}-deadbeef`,
    };
    const traces = {};
    let before_;
    before(async () => {
      before_ = await metricsText();
      let i = 0;
      for (const [name, value] of Object.entries(hostile)) {
        const ctx = withBaggage({ correlation_id: value });
        const s = tracer.startSpan(`hostile ${name}`, { startTime: t0 + 40_000 + i * 1000, attributes: { 'test.case': name } }, ctx);
        s.end(t0 + 40_000 + i * 1000 + 5);
        traces[name] = { traceId: s.spanContext().traceId, start: t0 + 40_000 + i * 1000 };
        emit(`hostile log ${name}`, ctx, t0 + 40_000 + i * 1000 + 7, { 'test.case': name });
        i++;
      }
      await flush();
    });

    it('counts them by reason', async () => {
      const now = await metricsText();
      const delta = (reason) => counter(now, `olly_correlation_ids_rejected_total{reason="${reason}"}`) -
        counter(before_, `olly_correlation_ids_rejected_total{reason="${reason}"}`);
      assert.equal(delta('too_long'), 2);
      assert.equal(delta('bad_char'), 6);
      assert.equal(delta('bad_generated'), 6);
      assert.equal(counter(now, 'olly_correlation_ids_replaced_total') - counter(before_, 'olly_correlation_ids_replaced_total'), 7);
    });

    it('never stores them: spans lose the attribute and answer to their generated id', async () => {
      for (const [name, { traceId, start }] of Object.entries(traces)) {
        const t = await olly.getTrace(traceId);
        const text = JSON.stringify(t);
        assert.ok(!text.includes('correlation_id'), `${name}: ${text.slice(0, 300)}`);
        assert.ok(text.includes(`"test.case"`), `${name}: other attributes kept`);
        const r = await correlate(generatedId(traceId, start));
        assert.equal(r.status, 200, `${name}: ${r.text}`);
        assert.deepEqual(r.json.traces.map((x) => x.traceId), [traceId]);
      }
    });

    it('replaces them in trace-less logs with a deterministic olly- id that finds the log', async () => {
      const r = await olly.getJson(`/api/v1/logs?q=hostile%20log&start=${BigInt(t0) * 1000000n}&end=${BigInt(t0 + 120_000) * 1000000n}&limit=100`);
      const recs = r.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords));
      assert.equal(recs.length, Object.keys(hostile).length);
      for (const rec of recs) {
        const text = JSON.stringify(rec);
        for (const v of Object.values(hostile)) assert.ok(!text.includes(JSON.stringify(v).slice(1, -1)), text);
        const cid = rec.attributes.find((kv) => kv.key === 'correlation_id')?.value.stringValue;
        assert.match(cid, /^olly-[0-9a-z]+-[0-9a-f]{8}$/);
        assert.equal(cid.split('-')[1], BigInt(Math.floor(Number(BigInt(rec.timeUnixNano) / 1000000n) / 1000)).toString(36));
        const f = await correlate(cid);
        assert.equal(f.status, 200, f.text);
        assert.ok(f.json.logs.some((l) => l.body === rec.body.stringValue), f.text);
      }
    });

    it('answers 400 for malformed ids in the URL and 404 for unknown ones', async () => {
      for (const bad of ['has space', 'x'.repeat(101), 'olly-abc', 'OLLY-s44we8-deadbeef', '\u0001', '..', 'caf\u00e9']) {
        const r = await correlate(bad);
        assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.text}`);
        assert.ok(r.json?.error, r.text);
      }
      const nf = await correlate('no-such-flow');
      assert.equal(nf.status, 404, nf.text);
      const gen404 = await correlate(generatedId('0102030405060708090a0b0c0d0e0f10', t0));
      assert.equal(gen404.status, 404, gen404.text);
    });
  });

  it('keeps the index across a restart', async () => {
    const before_ = await correlate('order-4711');
    await olly.restart();
    const r = await correlate('order-4711');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.traces.map((t) => t.traceId), before_.json.traces.map((t) => t.traceId));
    assert.deepEqual(r.json.logs.map((l) => l.body), before_.json.logs.map((l) => l.body));
    const lookups = counter(await metricsText(), 'olly_correlation_lookups_total{kind="explicit"}');
    assert.equal(lookups, 1);
  });
});
