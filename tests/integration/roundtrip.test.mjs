// roundtrip.test.mjs - the official OpenTelemetry JS SDK sends traces,
// metrics and logs to a real `olly serve` over every transport (OTLP/HTTP
// protobuf, OTLP/HTTP JSON, OTLP/gRPC), with and without gzip; each item is
// read back through the read API and compared field by field with what the
// SDK sent (the SDK's own OTLP/JSON serialisation of the exported items,
// normalised for the encodings OTLP/JSON allows). Then the search endpoints
// (services, trace search, log search, metric names and points) are checked
// against the same data. Each transport/compression pair uses its own
// service name and metric names, so their data never mixes.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, ValueType } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { TraceState } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchLogRecordProcessor, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { Olly, waitFor } from './lib/olly.mjs';
import { flattenLogs, flattenMetrics, flattenSpans, newTraceId } from './lib/otlp.mjs';
import {
  COMPRESSIONS, TRANSPORTS, ExportResultCode, expectedLogs, expectedMetrics, expectedTraces, exportOnce,
  logExporter, metricExporter, recording, setupSdkGlobals, traceExporter,
} from './lib/sdk.mjs';

setupSdkGlobals();

let olly;
before(async () => { olly = await Olly.start(); });
after(async () => { await olly?.cleanup(); });

/** HrTime [s, ns] for a millisecond timestamp plus extra nanoseconds, and the same as BigInt ns. */
function hr(ms, extraNs = 0) {
  const s = Math.floor(ms / 1000);
  return [s, (ms - s * 1000) * 1e6 + extraNs];
}
const ns = (h) => BigInt(h[0]) * 1000000000n + BigInt(h[1]);

const rfc3339 = (nsValue) => new Date(Number(nsValue / 1000000n)).toISOString();

/** Attributes of every type the API allows on spans. */
const ALL_TYPES = {
  'http.request.method': 'GET',
  'http.route': '/checkout',
  'http.response.status_code': 503,
  'attr.string': 'héllo wörld ✓ 🙂 "quoted" \\ back\nslash',
  'attr.string.empty': '',
  'attr.bool.true': true,
  'attr.bool.false': false,
  'attr.int': 42,
  'attr.int.negative': -17,
  'attr.int.zero': 0,
  'attr.int.max_safe': Number.MAX_SAFE_INTEGER,
  'attr.double': 3.14159,
  'attr.double.negative': -0.001,
  'attr.ratio': 1.5,
  'attr.array.string': ['a', 'b', 'c'],
  'attr.array.bool': [true, false],
  'attr.array.int': [1, -2, 3],
  'attr.array.double': [1.5, -2.25],
  'attr.array.empty': [],
};

/** Polls until the trace has n spans; returns the OTLP/JSON document. */
async function readTrace(traceId, n) {
  return waitFor(async () => {
    const doc = await olly.getTrace(traceId);
    if (!doc) return null;
    return flattenSpans(doc).length >= n ? doc : null;
  }, { what: `trace ${traceId} with ${n} spans`, timeoutMs: 5000 });
}

const attrValue = (list, key) => list?.find((kv) => kv.key === key)?.value;

/** The canonical form of a value for error messages. */
const show = (v) => JSON.stringify(v, null, 1).slice(0, 3000);

for (const transport of TRANSPORTS) {
  for (const compression of COMPRESSIONS) {
    const combo = `${transport}-${compression}`;
    const service = `rt-${combo}`;
    const prefix = `rt.${transport}.${compression}`;
    const batch = compression === 'gzip'; // Batch processors on gzip runs, Simple on the others
    const resourceAttrs = {
      'service.name': service,
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
      'host.name': 'host-1',
      'res.int': 7,
      'res.double': 0.25,
      'res.bool': false,
      'res.array': ['x', 'y'],
    };
    const resource = () => defaultResource().merge(resourceFromAttributes(resourceAttrs));
    const state = {};

    describe(`roundtrip ${combo}`, () => {
      it('traces: every field reads back as sent', async () => {
        const rec = recording(traceExporter(olly, transport, compression));
        const processor = batch
          ? new BatchSpanProcessor(rec.exporter, { scheduledDelayMillis: 100 })
          : new SimpleSpanProcessor(rec.exporter);
        const tp = new BasicTracerProvider({ resource: resource(), spanProcessors: [processor] });
        try {
          const tracer = tp.getTracer('olly-it-tracer', '0.9.1', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
          const t0 = Date.now() - 2000;

          const bgStart = hr(t0 - 1000, 111);
          const bgEnd = hr(t0 - 960, 222); // 40 ms
          const bg = tracer.startSpan('background-job', {
            kind: SpanKind.CONSUMER, startTime: bgStart, attributes: { 'messaging.system': 'kafka', 'messaging.batch.size': 3 },
          });
          bg.setStatus({ code: SpanStatusCode.OK });
          bg.end(bgEnd);
          const bgCtx = bg.spanContext();

          const rootStart = hr(t0, 123456);
          const rootEnd = hr(t0 + 250, 0); // 250 ms
          let rootCtx, childCtx, cacheCtx;
          tracer.startActiveSpan('GET /checkout', { kind: SpanKind.SERVER, startTime: rootStart, attributes: ALL_TYPES }, (root) => {
            rootCtx = root.spanContext();
            const child = tracer.startSpan('SELECT orders', {
              kind: SpanKind.CLIENT,
              startTime: hr(t0 + 10, 1),
              attributes: { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT * FROM orders WHERE id=$1' },
              links: [{
                context: { ...bgCtx, traceState: new TraceState('vendor=value,other=x') },
                attributes: { 'link.kind': 'follows', 'link.n': 3 },
              }],
            });
            childCtx = child.spanContext();
            child.addEvent('retry', { attempt: 2, 'backoff.ms': 12.5, final: false }, hr(t0 + 20, 5));
            child.recordException(new Error('db timeout'), hr(t0 + 30, 7));
            child.setStatus({ code: SpanStatusCode.ERROR, message: 'db timeout' });
            child.end(hr(t0 + 100, 9)); // 90 ms
            const cache = tracer.startSpan('cache.lookup', { kind: SpanKind.INTERNAL, startTime: hr(t0 + 105) });
            cacheCtx = cache.spanContext();
            cache.end(hr(t0 + 110)); // 5 ms, status unset
            root.setStatus({ code: SpanStatusCode.ERROR });
            root.end(rootEnd);
          });

          await tp.forceFlush();
          await rec.idle();
          assert.deepEqual(rec.failures(), [], 'every export succeeded');
          assert.equal(rec.items.length, 4, 'the SDK exported 4 spans');

          state.main = { traceId: rootCtx.traceId, rootSpanId: rootCtx.spanId, start: ns(rootStart), end: ns(rootEnd) };
          state.bg = { traceId: bgCtx.traceId, spanId: bgCtx.spanId, start: ns(bgStart), end: ns(bgEnd) };

          const expected = flattenSpans(expectedTraces(rec.items));
          for (const [traceId, n] of [[rootCtx.traceId, 3], [bgCtx.traceId, 1]]) {
            const doc = await readTrace(traceId, n);
            const problems = [];
            const actual = flattenSpans(doc, problems);
            assert.deepEqual(problems, [], `OTLP/JSON encoding of trace ${traceId}`);
            const want = expected.filter((e) => e.span.traceId === traceId);
            assert.equal(actual.length, want.length, `span count of ${traceId}: ${show(actual.map((a) => a.span.name))}`);
            for (const w of want) {
              const got = actual.filter((a) => a.span.spanId === w.span.spanId);
              assert.equal(got.length, 1, `span ${w.span.name} (${w.span.spanId}) appears once`);
              assert.deepEqual(got[0], w, `span ${w.span.name} reads back as sent`);
            }
          }

          // Spot checks on the raw answer, independent of the normalisation.
          const raw = await olly.getTrace(rootCtx.traceId);
          const spans = raw.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
          const rootSpan = spans.find((s) => s.spanId === rootCtx.spanId);
          const childSpan = spans.find((s) => s.spanId === childCtx.spanId);
          const cacheSpan = spans.find((s) => s.spanId === cacheCtx.spanId);
          assert.ok(rootSpan && childSpan && cacheSpan, 'all three spans present');
          assert.equal(rootSpan.traceId, rootCtx.traceId);
          assert.equal(rootSpan.parentSpanId ?? '', '', 'root has no parent');
          assert.equal(childSpan.parentSpanId, rootCtx.spanId, 'child points at root');
          assert.equal(rootSpan.kind, 2);
          assert.equal(childSpan.kind, 3);
          assert.equal(rootSpan.startTimeUnixNano, ns(rootStart).toString(), 'start time to the nanosecond, as a string');
          assert.equal(rootSpan.endTimeUnixNano, ns(rootEnd).toString());
          assert.equal(rootSpan.flags, 257);
          assert.deepEqual(attrValue(rootSpan.attributes, 'attr.int'), { intValue: '42' });
          assert.deepEqual(attrValue(rootSpan.attributes, 'attr.int.zero'), { intValue: '0' });
          assert.deepEqual(attrValue(rootSpan.attributes, 'attr.int.max_safe'), { intValue: '9007199254740991' });
          assert.deepEqual(attrValue(rootSpan.attributes, 'attr.double'), { doubleValue: 3.14159 });
          assert.deepEqual(attrValue(rootSpan.attributes, 'attr.bool.false'), { boolValue: false });
          assert.deepEqual(attrValue(rootSpan.attributes, 'attr.string'), { stringValue: ALL_TYPES['attr.string'] });
          assert.deepEqual(attrValue(rootSpan.attributes, 'attr.string.empty'), { stringValue: '' });
          assert.deepEqual(attrValue(rootSpan.attributes, 'attr.array.int'),
            { arrayValue: { values: [{ intValue: '1' }, { intValue: '-2' }, { intValue: '3' }] } });
          assert.equal(rootSpan.status?.code, 2);
          assert.deepEqual(childSpan.status, { code: 2, message: 'db timeout' });
          assert.equal(cacheSpan.status?.code ?? 0, 0, 'unset status');
          assert.deepEqual(childSpan.events.map((e) => e.name), ['retry', 'exception']);
          assert.equal(childSpan.events[0].timeUnixNano, ns(hr(t0 + 20, 5)).toString());
          assert.equal(childSpan.links.length, 1);
          assert.equal(childSpan.links[0].traceId, bgCtx.traceId);
          assert.equal(childSpan.links[0].spanId, bgCtx.spanId);
          assert.equal(childSpan.links[0].traceState, 'vendor=value,other=x');
          assert.deepEqual(attrValue(childSpan.links[0].attributes, 'link.n'), { intValue: '3' });
          // Rendered as received: the SDK may put explicit zeros on the wire; absent and 0 mean the same.
          assert.equal(rootSpan.droppedAttributesCount ?? 0, 0);
          const rs = raw.resourceSpans.find((r) => r.scopeSpans.some((ss) => ss.spans.some((s) => s.spanId === rootCtx.spanId)));
          assert.deepEqual(attrValue(rs.resource.attributes, 'service.name'), { stringValue: service });
          assert.deepEqual(attrValue(rs.resource.attributes, 'res.int'), { intValue: '7' });
          const ss = rs.scopeSpans.find((s) => s.spans.some((x) => x.spanId === rootCtx.spanId));
          assert.equal(ss.scope.name, 'olly-it-tracer');
          assert.equal(ss.scope.version, '0.9.1');
          assert.equal(ss.schemaUrl, 'https://opentelemetry.io/schemas/1.30.0');
        } finally {
          await tp.shutdown().catch(() => {});
        }
      });

      it('metrics: sum, up-down sum, histogram, gauge, exponential histogram read back as sent', async () => {
        class ManualReader extends MetricReader {
          async onForceFlush() {}
          async onShutdown() {}
        }
        const reader = new ManualReader();
        const mp = new MeterProvider({
          resource: resource(),
          readers: [reader],
          views: [{ instrumentName: `${prefix}.payload.size`, aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
        });
        const exporter = metricExporter(olly, transport, compression);
        try {
          const meter = mp.getMeter('olly-it-meter', '0.9.2', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
          const requests = meter.createCounter(`${prefix}.requests`, { unit: '{request}', description: 'Requests served' });
          requests.add(5, { 'http.route': '/a' });
          requests.add(3, { 'http.route': '/b' });
          requests.add(2, { 'http.route': '/a' });
          meter.createCounter(`${prefix}.int.counter`, { valueType: ValueType.INT, description: 'integer counter' }).add(7, { kind: 'int' });
          const sessions = meter.createUpDownCounter(`${prefix}.active.sessions`, { unit: '{session}' });
          sessions.add(10, { region: 'eu' });
          sessions.add(-3, { region: 'eu' });
          const duration = meter.createHistogram(`${prefix}.duration`, { unit: 'ms', description: 'Request duration' });
          for (const v of [1.5, 7, 42.25, 120, 3000]) duration.record(v, { 'http.route': '/a' });
          const depth = meter.createGauge(`${prefix}.queue.depth`, { unit: '{item}' });
          depth.record(17.5, { queue: 'q1' });
          depth.record(4, { queue: 'q2' });
          const size = meter.createHistogram(`${prefix}.payload.size`, { unit: 'By' });
          for (const v of [0, 3, 100.25, 1024, 1024]) size.record(v);
          meter.createObservableGauge(`${prefix}.cpu.utilization`, { unit: '1' }).addCallback((r) => r.observe(0.42, { cpu: '0' }));

          const { resourceMetrics, errors } = await reader.collect();
          assert.deepEqual(errors, []);
          const result = await exportOnce(exporter, resourceMetrics);
          assert.equal(result.code, ExportResultCode.SUCCESS, `export failed: ${result.error?.message}`);

          const expected = flattenMetrics(expectedMetrics(resourceMetrics));
          assert.equal(expected.size, 7, 'the SDK produced 7 metrics');
          state.metrics = expected;
          for (const [name, want] of expected) {
            const doc = await waitFor(async () => {
              const d = await olly.getJson(`/api/v1/metrics/${encodeURIComponent(name)}`);
              const m = flattenMetrics(d).get(name);
              return m && m.points.length >= want.points.length ? d : null;
            }, { what: `metric ${name} with ${want.points.length} points` });
            const problems = [];
            const got = flattenMetrics(doc, problems).get(name);
            assert.deepEqual(problems, [], `OTLP/JSON encoding of metric ${name}`);
            assert.deepEqual(got, want, `metric ${name} reads back as sent`);
          }

          // Spot checks on the raw answers.
          const metricOf = (doc, name) => doc.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)).find((m) => m.name === name);
          const req = metricOf(await olly.getJson(`/api/v1/metrics/${prefix}.requests`), `${prefix}.requests`);
          assert.equal(req.sum.isMonotonic, true);
          assert.equal(req.sum.aggregationTemporality, 2);
          assert.equal(req.unit, '{request}');
          assert.equal(req.description, 'Requests served');
          const a = req.sum.dataPoints.find((p) => attrValue(p.attributes, 'http.route')?.stringValue === '/a');
          assert.equal(a.asDouble, 7);
          assert.equal(typeof a.timeUnixNano, 'string');
          const ic = metricOf(await olly.getJson(`/api/v1/metrics/${prefix}.int.counter`), `${prefix}.int.counter`);
          assert.equal(ic.sum.dataPoints[0].asInt, '7');
          const ses = metricOf(await olly.getJson(`/api/v1/metrics/${prefix}.active.sessions`), `${prefix}.active.sessions`);
          assert.ok(!ses.sum.isMonotonic, 'up-down counter is not monotonic');
          assert.equal(ses.sum.dataPoints[0].asDouble, 7);
          const h = metricOf(await olly.getJson(`/api/v1/metrics/${prefix}.duration`), `${prefix}.duration`);
          assert.equal(h.histogram.dataPoints[0].count, '5');
          assert.equal(h.histogram.dataPoints[0].sum, 3170.75);
          assert.ok(h.histogram.dataPoints[0].bucketCounts.every((c) => typeof c === 'string'), 'bucket counts are strings');
          const eh = metricOf(await olly.getJson(`/api/v1/metrics/${prefix}.payload.size`), `${prefix}.payload.size`);
          assert.ok(eh.exponentialHistogram, 'exponential histogram');
          assert.equal(eh.exponentialHistogram.dataPoints[0].count, '5');
          assert.equal(eh.exponentialHistogram.dataPoints[0].zeroCount, '1');
          const g = metricOf(await olly.getJson(`/api/v1/metrics/${prefix}.queue.depth`), `${prefix}.queue.depth`);
          assert.ok(g.gauge, 'gauge');
          assert.equal(g.gauge.dataPoints.length, 2);
        } finally {
          await exporter.shutdown().catch(() => {});
          await mp.shutdown().catch(() => {});
        }
      });

      it('logs: severity, string and kvlist bodies, attributes, trace context read back as sent', async () => {
        const rec = recording(logExporter(olly, transport, compression));
        const processor = batch
          ? new BatchLogRecordProcessor({ exporter: rec.exporter, scheduledDelayMillis: 100 })
          : new SimpleLogRecordProcessor({ exporter: rec.exporter });
        const lp = new LoggerProvider({ resource: resource(), processors: [processor] });
        try {
          const logger = lp.getLogger('olly-it-logger', '0.9.3');
          const tracer = new BasicTracerProvider({ resource: resource() }).getTracer('olly-it-log-tracer');
          const t0 = Date.now() - 3000;
          const marker = newTraceId().slice(0, 8);
          state.logMarker = marker;
          tracer.startActiveSpan('log-parent', (span) => {
            logger.emit({
              timestamp: hr(t0, 11),
              severityNumber: SeverityNumber.ERROR,
              severityText: 'ERROR',
              body: `payment declined for order 17 (${marker})`,
              attributes: { 'log.seq': 1, 'order.id': 17, retryable: false, amount: 12.5, tags: ['a', 'b'] },
            });
            state.logSpan = span.spanContext();
            span.end();
          });
          logger.emit({
            timestamp: hr(t0 + 100, 22),
            severityNumber: SeverityNumber.INFO,
            severityText: 'INFO',
            body: { event: 'checkout', 'order.id': 18, nested: { ok: true, ratio: 0.5, list: [1, 'two', false] }, raw: new Uint8Array([0, 1, 254, 255]) },
            attributes: { 'log.seq': 2 },
          });
          logger.emit({
            timestamp: hr(t0 + 200, 33),
            severityNumber: SeverityNumber.WARN,
            body: `Cache MISS for key user:42 (${marker})`,
            attributes: { 'log.seq': 3 },
          });
          state.logTimes = [ns(hr(t0, 11)), ns(hr(t0 + 100, 22)), ns(hr(t0 + 200, 33))];
          await lp.forceFlush();
          await rec.idle();
          assert.deepEqual(rec.failures(), [], 'every export succeeded');
          assert.equal(rec.items.length, 3);

          const seqOf = (l) => Number(l.attributes?.find((kv) => kv.key === 'log.seq')?.value?.intValue);
          const expected = flattenLogs(expectedLogs(rec.items));
          const doc = await waitFor(async () => {
            const d = await olly.getJson(`/api/v1/logs?service=${encodeURIComponent(service)}`);
            return flattenLogs(d).length >= 3 ? d : null;
          }, { what: `3 logs of ${service}` });
          const problems = [];
          const actual = flattenLogs(doc, problems);
          assert.deepEqual(problems, [], 'OTLP/JSON encoding of logs');
          assert.equal(actual.length, 3, 'exactly the 3 records');
          for (const w of expected) {
            const got = actual.filter((a) => seqOf(a.log) === seqOf(w.log));
            assert.equal(got.length, 1, `log ${seqOf(w.log)} appears once`);
            assert.deepEqual(got[0], w, `log ${seqOf(w.log)} reads back as sent`);
          }

          const raw = doc.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords));
          const l1 = raw.find((l) => attrValue(l.attributes, 'log.seq')?.intValue === '1');
          assert.equal(l1.traceId, state.logSpan.traceId);
          assert.equal(l1.spanId, state.logSpan.spanId);
          assert.equal(l1.flags, 1);
          assert.equal(l1.severityNumber, 17);
          assert.equal(l1.severityText, 'ERROR');
          assert.equal(l1.timeUnixNano, state.logTimes[0].toString());
          assert.equal(typeof l1.observedTimeUnixNano, 'string');
          const l2 = raw.find((l) => attrValue(l.attributes, 'log.seq')?.intValue === '2');
          assert.ok(l2.body.kvlistValue, 'kvlist body');
          assert.deepEqual(attrValue(l2.body.kvlistValue.values, 'raw'), { bytesValue: Buffer.from([0, 1, 254, 255]).toString('base64') });
          assert.deepEqual(attrValue(l2.body.kvlistValue.values, 'order.id'), { intValue: '18' });
          assert.equal(l2.traceId ?? '', '', 'no trace context outside a span');
        } finally {
          await lp.shutdown().catch(() => {});
        }
      });

      it('search: services and operations', async () => {
        assert.ok(state.main, 'needs the traces test');
        const { services } = await olly.getJson('/api/v1/services');
        assert.ok(Array.isArray(services));
        const s = services.find((x) => x.name === service);
        assert.ok(s, `service ${service} listed: ${show(services.map((x) => x.name))}`);
        for (const op of ['GET /checkout', 'SELECT orders', 'cache.lookup', 'background-job']) {
          assert.ok(s.operations.includes(op), `operation ${op} listed: ${show(s.operations)}`);
        }
      });

      it('search: traces by service, operation, status, duration, attributes, time range', async () => {
        assert.ok(state.main, 'needs the traces test');
        const { main, bg } = state;
        const find = async (params) => {
          const body = await olly.getJson(`/api/v1/traces?${new URLSearchParams({ service, ...params })}`);
          assert.ok(Array.isArray(body.traces), 'traces array');
          return body;
        };
        const ids = async (params) => (await find(params)).traces.map((t) => t.traceId);

        const all = await find({});
        assert.deepEqual(all.traces.map((t) => t.traceId), [main.traceId, bg.traceId], 'both traces, newest first');
        const sum = all.traces[0];
        assert.equal(sum.rootServiceName, service);
        assert.equal(sum.rootSpanName, 'GET /checkout');
        assert.equal(BigInt(sum.startTimeUnixNano), main.start);
        assert.equal(BigInt(sum.durationNanos), main.end - main.start);
        assert.equal(Number(sum.spanCount), 3);
        assert.equal(Number(sum.errorCount), 2);
        assert.deepEqual(sum.services, [service]);
        if ('clockSkew' in sum) assert.equal(sum.clockSkew, false);
        assert.equal(all.traces[1].rootSpanName, 'background-job');
        assert.equal(Number(all.traces[1].errorCount), 0);

        assert.deepEqual(await ids({ operation: 'SELECT orders' }), [main.traceId]);
        assert.deepEqual(await ids({ operation: 'background-job' }), [bg.traceId]);
        assert.deepEqual(await ids({ operation: 'no such operation' }), []);
        assert.deepEqual(await ids({ status: 'error' }), [main.traceId]);
        assert.deepEqual(await ids({ status: 'ok' }), [bg.traceId]);
        assert.deepEqual(await ids({ status: 'unset' }), [main.traceId], 'cache.lookup has no status');
        assert.deepEqual(await ids({ min_duration_ms: '200' }), [main.traceId]);
        assert.deepEqual(await ids({ min_duration_ms: '30', max_duration_ms: '60' }), [bg.traceId]);
        assert.deepEqual(await ids({ max_duration_ms: '50' }), [main.traceId, bg.traceId], 'cache.lookup (5 ms) matches too');
        assert.deepEqual(await ids({ min_duration_ms: '1000' }), []);
        assert.deepEqual(await ids({ attr: 'attr.bool.true:true' }), [main.traceId]);
        assert.deepEqual(await ids({ attr: 'attr.int:42' }), [main.traceId]);
        assert.deepEqual(await ids({ attr: 'attr.ratio:1.5' }), [main.traceId]);
        assert.deepEqual(await ids({ attr: 'db.system.name:postgresql' }), [main.traceId]);
        assert.deepEqual(await ids({ attr: 'messaging.system:kafka' }), [bg.traceId]);
        assert.deepEqual(await ids({ attr: 'messaging.system:rabbitmq' }), []);
        assert.deepEqual(await ids({ attr: 'host.name:host-1' }), [main.traceId, bg.traceId], 'resource attributes match');
        const two = new URLSearchParams({ service });
        two.append('attr', 'host.name:host-1');
        two.append('attr', 'db.system.name:postgresql');
        assert.deepEqual((await olly.getJson(`/api/v1/traces?${two}`)).traces.map((t) => t.traceId), [main.traceId], 'attrs AND');
        const split = new URLSearchParams({ service });
        split.append('attr', 'http.route:/checkout');
        split.append('attr', 'db.system.name:postgresql');
        assert.deepEqual((await olly.getJson(`/api/v1/traces?${split}`)).traces, [], 'conditions must hold on one span');
        assert.deepEqual(await ids({ status: 'error', operation: 'SELECT orders', min_duration_ms: '50' }), [main.traceId]);
        assert.deepEqual(await ids({ status: 'error', operation: 'cache.lookup' }), []);
        assert.deepEqual(await ids({ limit: '1' }), [main.traceId], 'limit keeps the newest');

        const nowNs = BigInt(Date.now()) * 1000000n;
        const from = bg.start - 60000000000n;
        assert.deepEqual(await ids({ start: rfc3339(from), end: rfc3339(nowNs + 60000000000n) }), [main.traceId, bg.traceId], 'RFC 3339 range');
        assert.deepEqual(await ids({ start: from.toString(), end: (nowNs + 60000000000n).toString() }), [main.traceId, bg.traceId], 'Unix ns range');
        assert.deepEqual(await ids({ start: (nowNs - 3n * 3600n * 1000000000n).toString(), end: (nowNs - 2n * 3600n * 1000000000n).toString() }), [], 'range before the data');

        for (const bad of [{ status: 'bogus' }, { min_duration_ms: 'abc' }, { limit: 'many' }, { start: 'yesterday-ish' }, { attr: 'no-colon' }]) {
          const r = await olly.api(`/api/v1/traces?${new URLSearchParams({ service, ...bad })}`);
          assert.equal(r.status, 400, `400 for ${show(bad)}, got ${r.status} ${r.body}`);
          assert.equal(typeof r.json?.error, 'string', `{"error":...} for ${show(bad)}`);
          assert.ok(r.json.error.length > 0);
        }
        const unknown = await olly.api(`/api/v1/traces/${newTraceId()}`);
        assert.equal(unknown.status, 404, 'unknown trace id');
        const malformed = await olly.api('/api/v1/traces/not-a-trace-id');
        assert.ok(malformed.status === 400 || malformed.status === 404, `malformed trace id: ${malformed.status}`);
      });

      it('search: logs by service, q, trace_id, min_severity, limit', async () => {
        assert.ok(state.logSpan, 'needs the logs test');
        const seqs = async (params) => {
          const d = await olly.getJson(`/api/v1/logs?${new URLSearchParams(params)}`);
          assert.ok(Array.isArray(d.resourceLogs));
          return flattenLogs(d).map((x) => Number(x.log.attributes.find((kv) => kv.key === 'log.seq').value.intValue));
        };
        assert.deepEqual(await seqs({ service }), [3, 2, 1], 'newest first');
        assert.deepEqual(await seqs({ service, q: `PAYMENT DECLINED for order 17 (${state.logMarker.toUpperCase()})` }), [1], 'q is case-insensitive');
        assert.deepEqual(await seqs({ q: `cache miss for key user:42 (${state.logMarker})` }), [3], 'q without service');
        assert.deepEqual(await seqs({ service, q: 'no such text anywhere 8b1f' }), []);
        assert.deepEqual(await seqs({ trace_id: state.logSpan.traceId }), [1], 'by trace id');
        assert.deepEqual(await seqs({ service, min_severity: '17' }), [1]);
        assert.deepEqual(await seqs({ service, min_severity: '13' }), [3, 1]);
        assert.deepEqual(await seqs({ service, limit: '1' }), [3]);
        const [t1, , t3] = state.logTimes;
        assert.deepEqual(await seqs({ service, start: t1.toString(), end: t3.toString() }), [2, 1], 'start inclusive, end exclusive');
        assert.deepEqual(await seqs({ service, start: rfc3339(t1 - 1000000000n), end: rfc3339(t3 + 1000000000n) }), [3, 2, 1]);
        for (const bad of [{ min_severity: 'loud' }, { trace_id: 'xyz' }, { end: 'not-a-time' }]) {
          const r = await olly.api(`/api/v1/logs?${new URLSearchParams({ service, ...bad })}`);
          assert.equal(r.status, 400, `400 for ${show(bad)}, got ${r.status}`);
          assert.equal(typeof r.json?.error, 'string');
        }
      });

      it('search: metric names and points', async () => {
        assert.ok(state.metrics, 'needs the metrics test');
        const { metrics } = await olly.getJson('/api/v1/metrics');
        assert.ok(Array.isArray(metrics));
        const types = {
          [`${prefix}.requests`]: 'sum', [`${prefix}.int.counter`]: 'sum', [`${prefix}.active.sessions`]: 'sum',
          [`${prefix}.duration`]: 'histogram', [`${prefix}.queue.depth`]: 'gauge',
          [`${prefix}.payload.size`]: 'exponentialhistogram', [`${prefix}.cpu.utilization`]: 'gauge',
        };
        for (const [name, type] of Object.entries(types)) {
          const m = metrics.find((x) => x.name === name);
          assert.ok(m, `metric ${name} listed`);
          assert.equal(String(m.type).toLowerCase().replace(/[^a-z]/g, ''), type, `type of ${name}`);
          const want = state.metrics.get(name).metric;
          assert.equal(m.unit ?? '', want.unit ?? '', `unit of ${name}`);
          assert.equal(m.description ?? '', want.description ?? '', `description of ${name}`);
        }
        const points = async (name, params = {}) => {
          const q = new URLSearchParams(params);
          const d = await olly.getJson(`/api/v1/metrics/${encodeURIComponent(name)}${q.size ? `?${q}` : ''}`);
          return flattenMetrics(d).get(name)?.points ?? [];
        };
        const a = await points(`${prefix}.requests`, { attr: 'http.route:/a' });
        assert.equal(a.length, 1, 'attr filter keeps one point');
        assert.equal(a[0].asDouble, 7);
        assert.equal((await points(`${prefix}.requests`, { attr: 'http.route:/zzz' })).length, 0);
        assert.equal((await points(`${prefix}.requests`, { attr: `service.name:${service}` })).length, 2, 'resource attribute filter');
        const nowNs = BigInt(Date.now()) * 1000000n;
        assert.equal((await points(`${prefix}.requests`, {
          start: (nowNs - 3n * 3600n * 1000000000n).toString(), end: (nowNs - 2n * 3600n * 1000000000n).toString(),
        })).length, 0, 'no points before the data');
        assert.equal((await points(`${prefix}.requests`, {
          start: rfc3339(nowNs - 600n * 1000000000n), end: rfc3339(nowNs + 60n * 1000000000n),
        })).length, 2);
        const unknown = await olly.api(`/api/v1/metrics/${prefix}.does.not.exist`);
        assert.equal(unknown.status, 404);
        const bad = await olly.api(`/api/v1/metrics/${prefix}.requests?start=whenever`);
        assert.equal(bad.status, 400);
      });
    });
  }
}
