// storage.test.mjs - the storage acceptance test: many rounds on one data
// directory, each starting `olly serve` with tiny flush and merge thresholds
// (so the head is flushed into parts and parts are merged all the time),
// sending spans, logs and metrics through the official SDK exporters
// (OTLP/HTTP protobuf mostly, some OTLP/HTTP JSON and OTLP/gRPC), and ending
// with SIGTERM or kill -9 at a random moment, sometimes with exports in
// flight. Traces continue across rounds (one trace ends up in several parts)
// and spans are re-sent (the SDK retry case). After every restart, and while
// the server runs, the read API must return exactly what was acknowledged:
// every acknowledged span, log record and metric point, once, field for field
// as sent; items whose export was cut by a kill may be there or not (logs and
// metric points, which are not deduplicated, may have one more copy per kill
// their export straddled, since the SDK retries); never anything not sent.
// GET /api/v1/storage, when there, must agree (rows, no flush or merge errors).
//
// All random choices (flags, round endings, batch contents, ids) come from
// one seed, printed; OLLY_TEST_SEED=<n> replays them (the timing of kills
// against exports in flight still varies). OLLY_STORAGE_ROUNDS sets the
// number of rounds (default 24); OLLY_KEEP_DATA=1 keeps the data directory.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { Olly, SLOW, sleep } from './lib/olly.mjs';
import { flattenLogs, flattenMetrics, flattenSpans } from './lib/otlp.mjs';
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPLogExporter as LogsGrpc } from '@opentelemetry/exporter-logs-otlp-grpc';
import {
  ExportResultCode, expectedLogs, expectedMetrics, expectedTraces, logExporter, metricExporter, traceExporter,
} from './lib/sdk.mjs';

const ROUNDS = Math.max(2, Number(process.env.OLLY_STORAGE_ROUNDS ?? 24));
const seed = (process.env.OLLY_TEST_SEED ? Number(process.env.OLLY_TEST_SEED) : Math.floor(Math.random() * 2 ** 31)) >>> 0;
if (process.env.OLLY_TEST_SEED && String(seed) !== process.env.OLLY_TEST_SEED.trim()) {
  throw new Error(`OLLY_TEST_SEED must be an integer in 0..4294967295, got ${JSON.stringify(process.env.OLLY_TEST_SEED)}`);
}

function mulberry32(a) {
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// Separate streams, so that timing-dependent draws (samples to check) do not
// shift the plan (flags, batches, kill delays) or the ids.
const rPlan = mulberry32(seed);
const rIds = mulberry32(seed ^ 0x5bd1e995);
const rCheck = mulberry32(seed ^ 0x27d4eb2f);

const int = (r, lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
const pick = (r, list) => list[Math.floor(r() * list.length)];
const chance = (r, p) => r() < p;
const sample = (r, list, n) => {
  if (list.length <= n) return [...list];
  const a = [...list];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(r() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, n);
};

/** Seeded trace and span ids for the SDK (the default generator uses Math.random). */
class SeededIds {
  hex(n) {
    let s = '';
    while (s.length < n) s += Math.floor(rIds() * 2 ** 32).toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
  generateTraceId() { return this.hex(32); }
  generateSpanId() { return this.hex(16); }
}

const hr = (ms, extraNs = 0) => { const s = Math.floor(ms / 1000); return [s, (ms - s * 1000) * 1e6 + extraNs]; };
const key = (o) => JSON.stringify(o);
const short = (o, n = 600) => { const s = typeof o === 'string' ? o : JSON.stringify(o); return s.length > n ? `${s.slice(0, n)}...` : s; };

/** Runs fn over items with at most n in flight. */
async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

const SERVICES = ['st-frontend', 'st-orders', 'st-db'];
const OPS = ['GET /cart', 'POST /order', 'SELECT items', 'cache.get', 'publish order', 'résumé ✓ 注文'];
const KINDS = [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
const runStartMs = Date.now();
const RANGE = () => `start=${(BigInt(runStartMs - 600000) * 1000000n)}&end=${(BigInt(Date.now() + 600000) * 1000000n)}`;

// ---------------------------------------------------------------------------
// What was made, sent and acknowledged

const spans = new Map();   // spanId -> {id, traceId, service, name, tag, readable, expected, sent, acked}
const traces = new Map();  // traceId -> {id, spans: [span records]}
const traceList = [];
const logs = new Map();    // seq -> {seq, service, expected, batch}
const gauges = new Map();  // metric name -> {name, expected, batch}
const metricNames = new Map(); // name -> batches that carried it
const batches = [];        // every planned batch
const pending = new Set(); // batches whose export has not called back yet

// Each batch: {signal, transport, compression, items, state: planned|pending|acked|failed, kills, round}.
// kills counts the kills and SIGTERMs that happened while its export was pending.

const ended = [];
const collector = { onStart() {}, onEnd(s) { ended.push(s); }, forceFlush: async () => {}, shutdown: async () => {} };
const idGenerator = new SeededIds();
const tracers = {};
const loggers = {};
const logRecords = [];
const logCollector = { onEmit(r) { logRecords.push(r); }, forceFlush: async () => {}, shutdown: async () => {} };
for (const svc of SERVICES) {
  const resource = resourceFromAttributes({ 'service.name': svc, 'service.version': '2.0.1', 'host.name': `host-${svc}` });
  tracers[svc] = new BasicTracerProvider({ resource, idGenerator, spanProcessors: [collector] })
    .getTracer('olly-storage-it', '1.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  loggers[svc] = new LoggerProvider({ resource, processors: [logCollector] }).getLogger('olly-storage-it-logs', '1.0.0');
}

class ManualReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

function randomText(r, n) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 -_/.:é✓';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

let spanSeq = 0;
/** One ended SDK span in trace tr (a new trace when tr is null) under parent (a span record, or null). */
function makeSpan(round, tr, parent, tag) {
  const svc = pick(rPlan, SERVICES);
  const name = pick(rPlan, OPS);
  const attributes = {
    'st.round': round,
    'st.tag': tag,
    'st.seq': spanSeq++,
    'st.str': randomText(rPlan, int(rPlan, 0, 24)),
    'st.int': int(rPlan, -1e9, 1e9),
    'st.double': Math.round(rPlan() * 1e6) / 1e3 + 0.5,
    'st.bool': chance(rPlan, 0.5),
  };
  if (chance(rPlan, 0.3)) attributes['st.list'] = [randomText(rPlan, 3), randomText(rPlan, 5)];
  if (chance(rPlan, 0.5)) attributes['st.payload'] = randomText(rPlan, int(rPlan, 50, 700));
  const startMs = Date.now() - int(rPlan, 5, 3000);
  const ctx = parent
    ? trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.id, traceFlags: 1, isRemote: true })
    : ROOT_CONTEXT;
  const links = [];
  if (spans.size && chance(rPlan, 0.15)) {
    const other = spans.get(pick(rPlan, [...spans.keys()].slice(-200)));
    links.push({ context: { traceId: other.traceId, spanId: other.id, traceFlags: 1 }, attributes: { 'link.n': int(rPlan, 0, 9) } });
  }
  const s = tracers[svc].startSpan(name, {
    kind: pick(rPlan, KINDS), startTime: hr(startMs, int(rPlan, 0, 999999)), attributes, links,
  }, ctx);
  if (chance(rPlan, 0.3)) s.addEvent('st.event', { 'ev.n': int(rPlan, 0, 99), 'ev.s': randomText(rPlan, 6) }, hr(startMs + 1, int(rPlan, 0, 999)));
  const st = int(rPlan, 0, 2);
  if (st === 1) s.setStatus({ code: SpanStatusCode.OK });
  if (st === 2) s.setStatus({ code: SpanStatusCode.ERROR, message: randomText(rPlan, 10) });
  s.end(hr(startMs + int(rPlan, 1, 400), int(rPlan, 0, 999999)));
  const readable = ended.pop();
  const { traceId, spanId } = readable.spanContext();
  if (spans.has(spanId)) throw new Error(`span id ${spanId} generated twice`);
  const [expected] = flattenSpans(expectedTraces([readable]));
  const rec = { id: spanId, traceId, service: svc, name, tag, readable, expected, sent: false, acked: false };
  spans.set(spanId, rec);
  let t = tr;
  if (!t) {
    t = { id: traceId, spans: [] };
    traces.set(traceId, t);
    traceList.push(t);
  }
  t.spans.push(rec);
  return rec;
}

/** A batch of spans: new traces, traces continued from earlier batches or rounds, and re-sent spans. */
function planTraceBatch(round, tag) {
  if (batches.length && chance(rPlan, 0.08)) {
    const earlier = batches.filter((b) => b.signal === 'traces').slice(-30);
    if (earlier.length) return { items: [...pick(rPlan, earlier).items] };
  }
  const items = [];
  const nTraces = int(rPlan, 1, 4);
  for (let k = 0; k < nTraces; k++) {
    let tr = null;
    if (traceList.length && chance(rPlan, 0.35)) tr = pick(rPlan, traceList);
    const n = int(rPlan, 1, 8);
    for (let i = 0; i < n; i++) {
      let parent = null;
      if (tr) parent = chance(rPlan, 0.1) ? { traceId: tr.id, id: idGenerator.generateSpanId() } : pick(rPlan, tr.spans);
      const rec = makeSpan(round, tr, parent, tag);
      tr = traces.get(rec.traceId);
      items.push(rec);
    }
  }
  if (spans.size > items.length && chance(rPlan, 0.3)) {
    const all = [...spans.values()];
    for (let i = int(rPlan, 1, 5); i > 0; i--) {
      const rec = pick(rPlan, all);
      if (!items.includes(rec)) items.push(rec);
    }
  }
  if (chance(rPlan, 0.05)) items.push(pick(rPlan, items)); // the same span twice in one request
  return { items };
}

let logSeq = 0;
function planLogBatch(round) {
  const svc = pick(rPlan, SERVICES);
  const items = [];
  for (let i = int(rPlan, 1, 12); i > 0; i--) {
    const seq = logSeq++;
    const ms = Date.now() - int(rPlan, 0, 5000);
    const rec = {
      timestamp: hr(ms, int(rPlan, 0, 999999)),
      severityNumber: pick(rPlan, [SeverityNumber.DEBUG, SeverityNumber.INFO, SeverityNumber.WARN, SeverityNumber.ERROR]),
      body: chance(rPlan, 0.8)
        ? `st-log r${round} #${seq} ${randomText(rPlan, int(rPlan, 0, 200))}`
        : { event: 'st', seq, nested: { ok: chance(rPlan, 0.5), n: int(rPlan, 0, 1000) } },
      attributes: { 'st.log.seq': seq, 'st.round': round, 'st.text': randomText(rPlan, int(rPlan, 0, 30)) },
    };
    if (chance(rPlan, 0.5)) rec.severityText = randomText(rPlan, 5);
    if (spans.size && chance(rPlan, 0.3)) {
      const s = spans.get(pick(rPlan, [...spans.keys()].slice(-100)));
      rec.context = trace.setSpanContext(ROOT_CONTEXT, { traceId: s.traceId, spanId: s.id, traceFlags: 1 });
    }
    loggers[svc].emit(rec);
    const record = logRecords.pop();
    const [expected] = flattenLogs(expectedLogs([record]));
    const entry = { seq, service: svc, record, expected, batch: null };
    logs.set(seq, entry);
    items.push(entry);
  }
  return { items };
}

let gaugeSeq = 0;
async function planMetricBatch(round) {
  const svc = pick(rPlan, SERVICES);
  const reader = new ManualReader();
  const mp = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': svc, 'host.name': `host-${svc}` }), readers: [reader],
  });
  const meter = mp.getMeter('olly-storage-it-meter', '1.0.0');
  const name = `st.gauge.r${round}.n${gaugeSeq++}`;
  const g = meter.createGauge(name, { unit: '{item}', description: `gauge of round ${round}` });
  for (let i = int(rPlan, 1, 4); i > 0; i--) g.record(Math.round(rPlan() * 1e5) / 100, { 'st.point': i, 'st.round': round });
  meter.createCounter('st.requests', { unit: '{request}' }).add(int(rPlan, 1, 50), { 'st.svc': svc });
  if (chance(rPlan, 0.4)) {
    const h = meter.createHistogram('st.latency', { unit: 'ms' });
    for (let i = int(rPlan, 1, 6); i > 0; i--) h.record(rPlan() * 500);
  }
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length) throw new Error(`metric collection: ${errors}`);
  await mp.shutdown().catch(() => {});
  const all = flattenMetrics(expectedMetrics(resourceMetrics));
  const entry = { name, expected: all.get(name), names: [...all.keys()], resourceMetrics, batch: null };
  gauges.set(name, entry);
  return { items: [entry] };
}

/** The round's batches, in sending order: traces mostly, some logs and metrics; the transport of each. */
async function planRound(round) {
  const out = [];
  const n = int(rPlan, 5, 16);
  const tags = Array.from({ length: int(rPlan, 1, 3) }, (_, i) => `tag-r${round}-${i}`);
  for (let i = 0; i < n; i++) {
    const x = rPlan();
    const signal = x < 0.7 ? 'traces' : x < 0.85 ? 'logs' : 'metrics';
    const y = rPlan();
    const transport = y < 0.6 ? 'proto' : y < 0.8 ? 'grpc' : 'json';
    const compression = chance(rPlan, 0.25) ? 'gzip' : 'none';
    const planned = signal === 'traces' ? planTraceBatch(round, pick(rPlan, tags))
      : signal === 'logs' ? planLogBatch(round) : await planMetricBatch(round);
    const b = {
      signal, transport, compression, round, items: planned.items,
      state: 'planned', kills: 0, pauseMs: chance(rPlan, 0.5) ? int(rPlan, 0, 60) : 0,
    };
    if (signal === 'logs') for (const e of b.items) e.batch = b;
    if (signal === 'metrics') {
      for (const e of b.items) {
        e.batch = b;
        for (const nm of e.names) metricNames.set(nm, [...(metricNames.get(nm) ?? []), b]);
      }
    }
    batches.push(b);
    out.push(b);
  }
  return { batches: out, tags };
}

// ---------------------------------------------------------------------------
// Sending

const allExporters = [];

function exporterFor(round, b, olly) {
  const k = `${b.signal}/${b.transport}/${b.compression}`;
  if (!round.exporters.has(k)) {
    let e;
    if (b.transport === 'grpc') {
      // grpc-js shares a connection among clients with equal options; one
      // still backing off from the previous round's dead server would fail
      // this round's exports, so the user agent differs per round.
      const C = { traces: TraceGrpc, logs: LogsGrpc, metrics: MetricsGrpc }[b.signal];
      e = new C({ url: olly.otlpGrpcUrl, compression: b.compression, timeoutMillis: 10000 * SLOW, userAgent: `olly-storage-it/${round.n}` });
    } else {
      e = { traces: traceExporter, logs: logExporter, metrics: metricExporter }[b.signal](olly, b.transport, b.compression);
    }
    round.exporters.set(k, e);
    allExporters.push(e);
  }
  return round.exporters.get(k);
}

/** Exports one batch; resolves when the exporter calls back (after its own retries). */
function send(round, b, olly) {
  const exporter = exporterFor(round, b, olly);
  let data;
  if (b.signal === 'traces') {
    for (const s of b.items) s.sent = true;
    data = b.items.map((s) => s.readable);
  } else if (b.signal === 'logs') {
    data = b.items.map((l) => l.record);
  } else {
    data = b.items[0].resourceMetrics;
  }
  b.state = 'pending';
  pending.add(b);
  return new Promise((resolve) => {
    exporter.export(data, (result) => {
      pending.delete(b);
      b.state = result.code === ExportResultCode.SUCCESS ? 'acked' : 'failed';
      b.error = result.error?.message;
      if (b.state === 'acked' && b.signal === 'traces') for (const s of b.items) s.acked = true;
      resolve();
    });
  });
}

/** Sends the plan over nStreams concurrent streams until done or round.stop. */
function runStreams(round, plan, nStreams, olly) {
  let next = 0;
  const stream = async () => {
    while (!round.stop && next < plan.length) {
      const b = plan[next++];
      if (b.pauseMs) await sleep(b.pauseMs);
      if (round.stop) break;
      const sent = send(round, b, olly);
      if (b === round.killAfter) round.fire();
      await sent;
    }
  };
  return Promise.all(Array.from({ length: nStreams }, stream));
}

async function settle(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (pending.size && Date.now() < deadline) await sleep(25);
  return pending.size === 0;
}

// ---------------------------------------------------------------------------
// Checks; each returns a list of problems

async function checkTraces(olly, list) {
  const problems = [];
  await pool(list, 4, async (tr) => {
    const required = tr.spans.filter((s) => s.acked);
    let doc;
    try {
      doc = await olly.getTrace(tr.id);
    } catch (err) {
      problems.push(`trace ${tr.id}: ${err.message}`);
      return;
    }
    const got = doc ? flattenSpans(doc) : [];
    const seen = new Map();
    for (const e of got) {
      const id = e.span.spanId;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      const rec = spans.get(id);
      if (!rec || rec.traceId !== tr.id || e.span.traceId !== tr.id) {
        problems.push(`trace ${tr.id}: span ${id} (${e.span.name}) was never made for this trace`);
      } else if (!rec.sent) {
        problems.push(`trace ${tr.id}: span ${id} (${rec.name}) was never sent`);
      } else if (key(e) !== key(rec.expected)) {
        problems.push(`trace ${tr.id}: span ${id} differs from what was sent:\n  got  ${short(e)}\n  sent ${short(rec.expected)}`);
      }
    }
    for (const [id, c] of seen) if (c > 1) problems.push(`trace ${tr.id}: span ${id} returned ${c} times`);
    for (const s of required) {
      if (!seen.has(s.id)) problems.push(`trace ${tr.id}: acknowledged span ${s.id} (${s.name}) missing (${got.length} returned)`);
    }
  });
  return problems;
}

/** Trace search by service and planted tag: every trace with a matching acknowledged span, nothing unsent. */
async function checkSearch(olly, tags) {
  const problems = [];
  for (const tag of tags) {
    for (const svc of SERVICES) {
      const required = new Set();
      for (const s of spans.values()) if (s.tag === tag && s.service === svc && s.acked) required.add(s.traceId);
      const ackedCount = new Map();
      for (const s of spans.values()) if (s.acked) ackedCount.set(s.traceId, (ackedCount.get(s.traceId) ?? 0) + 1);
      const q = `service=${encodeURIComponent(svc)}&attr=${encodeURIComponent(`st.tag:${tag}`)}&${RANGE()}&limit=1000`;
      let body;
      try {
        body = await olly.getJson(`/api/v1/traces?${q}`);
      } catch (err) {
        problems.push(`search ${svc} ${tag}: ${err.message}`);
        continue;
      }
      const ids = (body.traces ?? []).map((t) => t.traceId);
      if (new Set(ids).size !== ids.length) problems.push(`search ${svc} ${tag}: a trace listed twice: ${short(ids)}`);
      for (const id of required) if (!ids.includes(id)) problems.push(`search ${svc} ${tag}: acknowledged trace ${id} not found`);
      for (const t of body.traces ?? []) {
        const tr = traces.get(t.traceId);
        const sent = tr ? tr.spans.filter((s) => s.sent) : [];
        if (!sent.some((s) => s.tag === tag && s.service === svc)) {
          problems.push(`search ${svc} ${tag}: trace ${t.traceId} has no sent span with that service and tag`);
          continue;
        }
        const acked = ackedCount.get(t.traceId) ?? 0;
        const n = Number(t.spanCount);
        if (!(n >= acked && n <= sent.length)) {
          problems.push(`search ${svc} ${tag}: trace ${t.traceId} spanCount ${t.spanCount}, expected ${acked}..${sent.length}`);
        }
      }
    }
  }
  return problems;
}

async function checkServices(olly) {
  const problems = [];
  const want = new Map();
  for (const s of spans.values()) {
    if (!s.acked) continue;
    if (!want.has(s.service)) want.set(s.service, new Set());
    want.get(s.service).add(s.name);
  }
  const { services } = await olly.getJson('/api/v1/services');
  for (const [svc, ops] of want) {
    const got = services.find((x) => x.name === svc);
    if (!got) { problems.push(`services: ${svc} not listed`); continue; }
    for (const op of ops) if (!got.operations.includes(op)) problems.push(`services: ${svc} lacks operation ${op}`);
  }
  for (const x of services) {
    if (!SERVICES.includes(x.name)) problems.push(`services: unknown service ${x.name}`);
    else for (const op of x.operations) if (!OPS.includes(op)) problems.push(`services: ${x.name} has unknown operation ${op}`);
  }
  return problems;
}

/** Copies of a batch's item that the store may hold: [min, max]. */
function copies(b) {
  if (!b || b.state === 'planned') return [0, 0];
  if (b.state === 'acked') return [1, 1 + b.kills];
  return [0, b.kills + (b.state === 'pending' ? 1 : 0)];
}

async function checkLogs(olly) {
  const problems = [];
  const bounds = new Map([...logs.values()].map((l) => [l.seq, copies(l.batch)]));
  const seen = new Map();
  for (const svc of SERVICES) {
    let doc;
    try {
      doc = await olly.getJson(`/api/v1/logs?service=${svc}&${RANGE()}&limit=10000`);
    } catch (err) {
      problems.push(`logs of ${svc}: ${err.message}`);
      continue;
    }
    for (const e of flattenLogs(doc)) {
      const seq = Number(e.log.attributes?.find((kv) => kv.key === 'st.log.seq')?.value?.intValue);
      const l = logs.get(seq);
      if (!l || l.service !== svc) { problems.push(`logs of ${svc}: record ${seq} was never made for it: ${short(e)}`); continue; }
      if (key(e) !== key(l.expected)) problems.push(`log ${seq} differs from what was sent:\n  got  ${short(e)}\n  sent ${short(l.expected)}`);
      seen.set(seq, (seen.get(seq) ?? 0) + 1);
    }
  }
  for (const [seq, [lo, hi]] of bounds) {
    const c = seen.get(seq) ?? 0;
    const b = logs.get(seq).batch;
    if (c < lo || c > hi) problems.push(`log ${seq}: ${c} copies, expected ${lo}..${hi} (batch ${b?.state}, ${b?.kills} kills)`);
  }
  return problems;
}

async function checkMetrics(olly, names) {
  const problems = [];
  const ackedNames = [...metricNames].filter(([, bs]) => bs.some((b) => b.state === 'acked')).map(([nm]) => nm);
  const { metrics } = await olly.getJson('/api/v1/metrics');
  // Olly's own series (olly.red.*, olly.genai.*: docs/red.md) are derived from the spans, not sent.
  const listed = new Set(metrics.map((m) => m.name).filter((nm) => !nm.startsWith('olly.')));
  for (const nm of ackedNames) if (!listed.has(nm)) problems.push(`metrics: acknowledged ${nm} not listed`);
  for (const [nm, bs] of metricNames) {
    if (listed.has(nm) && !bs.some((b) => b.state !== 'planned')) problems.push(`metrics: ${nm} listed but never sent`);
  }
  for (const nm of listed) if (!metricNames.has(nm)) problems.push(`metrics: unknown metric ${nm}`);
  await pool(names, 4, async (nm) => {
    const g = gauges.get(nm);
    const [lo, hi] = copies(g.batch);
    const r = await olly.api(`/api/v1/metrics/${encodeURIComponent(nm)}?${RANGE()}`);
    if (r.status === 404) {
      if (lo > 0) problems.push(`metric ${nm}: acknowledged, but 404`);
      return;
    }
    if (r.status !== 200 || !r.json) { problems.push(`metric ${nm}: HTTP ${r.status} ${short(r.body.toString())}`); return; }
    const got = flattenMetrics(r.json).get(nm);
    const n = got?.points.length ?? 0;
    const per = g.expected.points.length;
    if (lo === 1 && hi === 1) {
      if (key(got) !== key(g.expected)) problems.push(`metric ${nm} differs from what was sent:\n  got  ${short(got)}\n  sent ${short(g.expected)}`);
    } else if (n < lo * per || n > hi * per || n % per !== 0) {
      problems.push(`metric ${nm}: ${n} points, expected ${lo * per}..${hi * per} in multiples of ${per} (batch ${g.batch.state}, ${g.batch.kills} kills)`);
    } else if (got) {
      const sent = new Set(g.expected.points.map(key));
      for (const p of got.points) if (!sent.has(key(p))) problems.push(`metric ${nm}: point never sent: ${short(p)}`);
    }
  });
  return problems;
}

/**
 * GET /api/v1/storage (docs/api.md): {"signals":[{"signal","parts","rows",
 * "partitions":[{"day","parts","rows",...}],...}],"head":{"spans",...},
 * "flushes","flushErrors","merges","mergeErrors","droppedPartitions"}.
 * Optional: a 404 (a store without parts) or a shape not understood skips
 * these checks with a note. Counters are per process.
 */
const storageSeen = { noted: false, flushes: 0, merges: 0, last: null };
const num = (v) => (v === undefined || v === null ? undefined : Number(v));

async function readStorage(t, olly) {
  const r = await olly.api('/api/v1/storage');
  if (r.status === 404) {
    if (!storageSeen.noted) t.diagnostic('GET /api/v1/storage answers 404: storage checks skipped');
    storageSeen.noted = true;
    return { skip: true };
  }
  if (r.status !== 200 || !r.json) return { problem: `GET /api/v1/storage: HTTP ${r.status} ${short(r.body.toString())}` };
  const sigs = r.json.signals;
  const find = (name) => (Array.isArray(sigs) ? sigs.find((x) => (x.signal ?? x.name) === name) : sigs?.[name]);
  const traces = find('traces');
  const logsSig = find('logs');
  if (!traces || !logsSig || num(traces.rows) === undefined || num(logsSig.rows) === undefined) {
    if (!storageSeen.noted) t.diagnostic(`GET /api/v1/storage: shape not understood, storage checks skipped: ${short(r.json, 400)}`);
    storageSeen.noted = true;
    return { skip: true };
  }
  return { body: r.json, traces, logs: logsSig };
}

async function checkStorage(t, olly, { final = false } = {}) {
  const ackedSpans = [...spans.values()].filter((s) => s.acked).length;
  const ackedLogs = [...logs.values()].filter((l) => l.batch?.state === 'acked').length;
  const st = await readStorage(t, olly);
  if (st.skip) return [];
  if (st.problem) return [st.problem];
  const problems = [];
  const { body } = st;
  for (const sig of Array.isArray(body.signals) ? body.signals : Object.values(body.signals)) {
    const name = sig.signal ?? sig.name;
    for (const f of ['rows', 'parts']) {
      const v = num(sig[f]);
      if (v !== undefined && !(Number.isInteger(v) && v >= 0)) problems.push(`storage: ${name} ${f} ${sig[f]}`);
      if (v !== undefined && Array.isArray(sig.partitions)) {
        const sum = sig.partitions.reduce((a, p) => a + Number(p[f] ?? 0), 0);
        if (sum !== v) problems.push(`storage: ${name} ${f} ${v}, but its partitions add up to ${sum}`);
      }
    }
  }
  for (const f of ['flushErrors', 'mergeErrors', 'droppedPartitions']) {
    if (num(body[f]) !== undefined && num(body[f]) !== 0) problems.push(`storage: ${f} ${body[f]}`);
  }
  // Parts (which may still hold copies a merge has not removed) plus the head
  // hold at least every acknowledged span.
  const head = num(body.head?.spans) ?? 0;
  const rows = num(st.traces.rows);
  if (rows + head < ackedSpans) problems.push(`storage: traces rows ${rows} + head ${head} < ${ackedSpans} acknowledged spans`);
  if (final) {
    // Everything settled long enough ago for an age flush: the parts hold it all.
    const lrows = num(st.logs.rows);
    if (lrows < ackedLogs) problems.push(`storage: logs rows ${lrows} < ${ackedLogs} acknowledged log records`);
    t.diagnostic(`storage: traces rows ${rows} + head ${head} (acknowledged ${ackedSpans}, sent ` +
      `${[...spans.values()].filter((s) => s.sent).length}), logs rows ${lrows} (acknowledged ${ackedLogs}); ` +
      `parts ${JSON.stringify(Object.fromEntries((Array.isArray(body.signals) ? body.signals : []).map((x) => [x.signal, x.parts])))}`);
  }
  return problems;
}

/** Adds the server's flush and merge counters to the run's totals; call just before stopping it. */
async function countStorage(t, olly) {
  const st = await readStorage(t, olly).catch(() => ({ skip: true }));
  if (st.skip || st.problem) return;
  storageSeen.last = st.body;
  storageSeen.flushes += num(st.body.flushes) ?? 0;
  storageSeen.merges += num(st.body.merges) ?? 0;
}

/** All the checks; full: every trace, log and gauge, else a sample (plus the traces of lastRound). */
async function checkAll(t, olly, { full = false, lastRound = -1, tags = [], final = false } = {}) {
  const t0 = Date.now();
  let list;
  if (full) {
    list = traceList;
  } else {
    const withAck = traceList.filter((tr) => tr.spans.some((s) => s.acked));
    const sentOnly = traceList.filter((tr) => !tr.spans.some((s) => s.acked) && tr.spans.some((s) => s.sent));
    const recent = traceList.filter((tr) => tr.spans.some((s) => s.sent && s.readable.attributes['st.round'] === lastRound));
    list = [...new Set([...sample(rCheck, withAck, 15), ...sample(rCheck, sentOnly, 5), ...sample(rCheck, recent, 25)])];
  }
  const gaugeNames = [...gauges.values()].filter((g) => g.batch && g.batch.state !== 'planned').map((g) => g.name);
  const allTags = [...new Set([...spans.values()].filter((s) => s.sent).map((s) => s.tag))];
  const problems = [
    ...await checkTraces(olly, list),
    ...await checkSearch(olly, full ? allTags : [...new Set([...tags, ...sample(rCheck, allTags, 2)])]),
    ...await checkServices(olly),
    ...await checkLogs(olly),
    ...await checkMetrics(olly, full ? gaugeNames : sample(rCheck, gaugeNames, 4)),
    ...await checkStorage(t, olly, { final }),
  ];
  return { problems, traces: list.length, ms: Date.now() - t0 };
}

// ---------------------------------------------------------------------------

let olly;
after(async () => {
  let timer;
  await Promise.race([
    Promise.all(allExporters.map((e) => e.shutdown().catch(() => {}))),
    new Promise((resolve) => { timer = setTimeout(resolve, 5000); }),
  ]);
  clearTimeout(timer);
  await olly?.cleanup();
});

describe('storage', () => {
  it('writes, flushes, merges, restarts and crashes: the API returns exactly what was acknowledged', { timeout: 600000 * SLOW }, async (t) => {
    t.diagnostic(`seed ${seed} (OLLY_TEST_SEED=${seed} replays it), ${ROUNDS} rounds`);
    const fail = (where, problems) => {
      assert.deepEqual(problems.slice(0, 25), [],
        `${where}: ${problems.length} problems (seed ${seed}, OLLY_TEST_SEED=${seed} replays)\n${olly?.tail(3000)}`);
    };
    const flagsOf = () => {
      const flushBytes = Math.round(4096 * 16 ** rPlan());
      const f = {
        flushBytes, flushAge: int(rPlan, 200, 2000), mergeMin: int(rPlan, 2, 4), threads: int(rPlan, 1, 3),
        retention: pick(rPlan, [0, 24, 168]),
      };
      return {
        f,
        args: ['--flush-bytes', String(f.flushBytes), '--flush-age-ms', String(f.flushAge), '--merge-min-parts', String(f.mergeMin),
          '--store-threads', String(f.threads), '--retention-traces-hours', String(f.retention),
          '--retention-logs-hours', String(f.retention), '--retention-metrics-hours', String(f.retention)],
      };
    };

    let prevTags = [];
    for (let r = 0; r < ROUNDS; r++) {
      const { f, args } = flagsOf();
      const mode = pick(rPlan, ['term', 'term-inflight', 'kill', 'kill', 'kill-inflight', 'kill-inflight', 'kill-inflight']);
      const nStreams = int(rPlan, 1, 3);
      const endDelay = int(rPlan, 0, 1000);
      const midCheck = chance(rPlan, 0.4);
      const plan = await planRound(r);
      const killAfter = int(rPlan, 0, plan.batches.length - 1);

      const t0 = Date.now();
      if (!olly) olly = new Olly({ fsync: 'always', logLevel: process.env.OLLY_LOG_LEVEL ?? 'warn', args });
      olly.opts.args = args;
      await olly.start({ keepPorts: true });
      const startMs = Date.now() - t0;

      let check = null;
      if (r > 0) {
        check = await checkAll(t, olly, { lastRound: r - 1, tags: prevTags });
        fail(`after restart ${r}`, check.problems);
      }

      const round = { n: r, stop: false, exporters: new Map(), killAfter: plan.batches[killAfter] };
      const fired = new Promise((resolve) => { round.fire = resolve; });
      const streams = runStreams(round, plan.batches, nStreams, olly);
      let exit;
      let midMs = 0;
      if (mode.endsWith('inflight')) {
        // Right after the export of a chosen batch has started, or a little later.
        await Promise.race([streams, fired]);
        const d = pick(rPlan, [0, 0, 1, 2, 5, 10, 30]);
        if (d) await sleep(d);
      } else {
        await streams;
        if (!await settle(30000 * SLOW)) throw new Error(`round ${r}: ${pending.size} exports still pending with the server up`);
        if (midCheck) {
          // Long enough for an age flush (and merges), then read while the server runs.
          await sleep(f.flushAge + 300 * SLOW);
          const m0 = Date.now();
          const mid = await checkAll(t, olly, { lastRound: r, tags: plan.tags });
          fail(`round ${r}, running`, mid.problems);
          midMs = Date.now() - m0;
        }
        await sleep(Math.floor(endDelay * (f.flushAge / 1000)));
        await countStorage(t, olly);
      }
      round.stop = true;
      const inflight = pending.size;
      for (const b of pending) b.kills++;
      if (mode.startsWith('kill')) {
        exit = await olly.kill9();
        assert.equal(exit?.signal, 'SIGKILL', `round ${r}: olly died of the kill, not before (exit ${JSON.stringify(exit)})\n${olly.tail()}`);
      } else {
        exit = await olly.stop({ timeoutMs: 20000 });
        assert.ok(!exit.forced, `round ${r}: SIGTERM stopped the server within 20 s`);
        assert.equal(exit.code, 0, `round ${r}: clean exit after SIGTERM (${JSON.stringify(exit)})\n${olly.tail()}`);
      }
      const counts = {};
      for (const b of plan.batches) counts[b.state] = (counts[b.state] ?? 0) + 1;
      t.diagnostic(`round ${r}: flush-bytes ${f.flushBytes} flush-age ${f.flushAge} ms merge-min-parts ${f.mergeMin} ` +
        `threads ${f.threads} retention ${f.retention} h; ${plan.batches.length} batches over ${nStreams} streams ` +
        `${JSON.stringify(counts)}; ended by ${mode} with ${inflight} exports in flight; start ${startMs} ms` +
        `${check ? `, check of ${check.traces} traces ${check.ms} ms` : ''}${midMs ? `, running check ${midMs} ms` : ''}`);
      prevTags = plan.tags;
    }

    // Final: the pending exports retry into this server; after an age flush
    // everything is checked, then again after a clean restart.
    const { f, args } = flagsOf();
    olly.opts.args = args;
    await olly.start({ keepPorts: true });
    let check = await checkAll(t, olly, { full: true, tags: prevTags });
    fail('after the last restart', check.problems);
    if (!await settle(40000 * SLOW)) t.diagnostic(`${pending.size} exports still pending at the end`);
    await sleep(f.flushAge * 2 + 500 * SLOW);
    check = await checkAll(t, olly, { full: true, final: true });
    fail('final, running', check.problems);
    await countStorage(t, olly);
    const exit = await olly.stop({ timeoutMs: 20000 });
    assert.equal(exit.code, 0, `final SIGTERM: clean exit (${JSON.stringify(exit)})\n${olly.tail()}`);
    await olly.start({ keepPorts: true });
    check = await checkAll(t, olly, { full: true });
    fail('final, after a clean restart', check.problems);

    const sent = [...spans.values()].filter((s) => s.sent);
    const acked = sent.filter((s) => s.acked);
    const resent = batches.filter((b) => b.signal === 'traces' && b.state !== 'planned').reduce((a, b) => a + b.items.length, 0) - sent.length;
    const multi = traceList.filter((tr) => new Set(tr.spans.filter((s) => s.sent).map((s) => s.readable.attributes['st.round'])).size > 1);
    const states = {};
    const errors = {};
    for (const b of batches) {
      states[b.state] = (states[b.state] ?? 0) + 1;
      if (b.state === 'failed') errors[`${b.transport}: ${b.error}`] = (errors[`${b.transport}: ${b.error}`] ?? 0) + 1;
      // With the server up the whole time, an export should not fail (gRPC
      // clients can, while their reconnect backoff from an earlier kill runs).
      if (b.state === 'failed' && b.kills === 0) t.diagnostic(`round ${b.round}: ${b.signal} export over ${b.transport} failed without a kill: ${b.error}`);
    }
    t.diagnostic(`spans: ${sent.length} sent, ${acked.length} acknowledged, ${resent} re-sent copies; traces ${traceList.length}, ` +
      `${multi.length} spanning several rounds; logs ${[...logs.values()].filter((l) => l.batch?.state === 'acked').length} acknowledged; ` +
      `gauges ${gauges.size}; batches ${JSON.stringify(states)}, failures ${JSON.stringify(errors)}; final check of ${check.traces} traces ${check.ms} ms`);
    assert.ok(acked.length > 0 && multi.length > 0, 'the run acknowledged spans and continued traces across rounds');
    if (storageSeen.last) {
      t.diagnostic(`storage: at least ${storageSeen.flushes} flushes and ${storageSeen.merges} merges over the run`);
      assert.ok(storageSeen.flushes > 0, 'the head was flushed into parts during the run');
    }
  });
});
