// otlp.mjs - OTLP helpers for the integration tests: random ids, hand-made
// OTLP/JSON trace requests and their protobuf encoding (a small writer that is
// independent of the SDK), decoders for google.rpc.Status and
// Export*ServiceResponse, and the normalisation that lets the read API's
// OTLP/JSON be compared field by field with what the SDK sent.

import crypto from 'node:crypto';

export const randomHex = (bytes) => crypto.randomBytes(bytes).toString('hex');
export const newTraceId = () => randomHex(16);
export const newSpanId = () => randomHex(8);
export const nowNs = () => BigInt(Date.now()) * 1000000n;

// ---------------------------------------------------------------------------
// Hand-made OTLP/JSON trace requests

/** AnyValue in OTLP/JSON from a JS value (integers -> intValue, other numbers -> doubleValue). */
export function anyValue(v) {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'bigint') return { intValue: v.toString() };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  if (v && typeof v === 'object') return { kvlistValue: { values: attrs(v) } };
  throw new Error(`no AnyValue for ${v}`);
}

export const attrs = (obj = {}) => Object.entries(obj).map(([key, value]) => ({ key, value: anyValue(value) }));

/**
 * One span in OTLP/JSON. startNs/endNs: BigInt ns (default: now-10ms .. now).
 */
export function span({
  traceId = newTraceId(), spanId = newSpanId(), parentSpanId, name = 'op', kind = 2,
  startNs, endNs, attributes = {}, status, events, links,
} = {}) {
  const end = endNs ?? nowNs();
  const start = startNs ?? end - 10000000n;
  const s = {
    traceId, spanId, name, kind,
    startTimeUnixNano: start.toString(), endTimeUnixNano: end.toString(),
    attributes: attrs(attributes),
  };
  if (parentSpanId) s.parentSpanId = parentSpanId;
  if (status) s.status = status;
  if (events) s.events = events;
  if (links) s.links = links;
  return s;
}

/** ExportTraceServiceRequest (OTLP/JSON object) with one resource and scope. */
export function traceRequest(service, spans, { resource = {}, scope = { name: 'olly-it', version: '1.0.0' } } = {}) {
  return {
    resourceSpans: [{
      resource: { attributes: attrs({ 'service.name': service, ...resource }) },
      scopeSpans: [{ scope, spans }],
    }],
  };
}

// ---------------------------------------------------------------------------
// Protobuf writer for ExportTraceServiceRequest (from the OTLP/JSON shape above)

export class PbWriter {
  constructor() { this.parts = []; }
  varint(n) {
    let v = BigInt.asUintN(64, BigInt(n));
    const out = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
    this.parts.push(Buffer.from(out));
    return this;
  }
  tag(field, wire) { return this.varint((field << 3) | wire); }
  uint(field, n) { if (n !== undefined && BigInt(n) !== 0n) this.tag(field, 0).varint(n); return this; }
  bool(field, b) { if (b !== undefined) this.tag(field, 0).varint(b ? 1 : 0); return this; }
  fixed64(field, n) {
    if (n === undefined) return this;
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)));
    this.tag(field, 1).parts.push(b);
    return this;
  }
  fixed32(field, n) {
    if (!n) return this;
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    this.tag(field, 5).parts.push(b);
    return this;
  }
  double(field, x) {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    this.tag(field, 1).parts.push(b);
    return this;
  }
  bytes(field, buf) {
    if (buf === undefined) return this;
    this.tag(field, 2).varint(buf.length).parts.push(Buffer.from(buf));
    return this;
  }
  string(field, s) { return s === undefined ? this : this.bytes(field, Buffer.from(s, 'utf8')); }
  hex(field, s) { return s ? this.bytes(field, Buffer.from(s, 'hex')) : this; }
  message(field, fn) { const w = new PbWriter(); fn(w); return this.bytes(field, w.finish()); }
  finish() { return Buffer.concat(this.parts); }
}

function pbAnyValue(w, v) {
  if ('stringValue' in v) w.string(1, v.stringValue);
  else if ('boolValue' in v) w.bool(2, v.boolValue);
  else if ('intValue' in v) w.tag(3, 0).varint(BigInt(v.intValue));
  else if ('doubleValue' in v) w.double(4, v.doubleValue);
  else if ('arrayValue' in v) w.message(5, (a) => (v.arrayValue.values ?? []).forEach((x) => a.message(1, (e) => pbAnyValue(e, x))));
  else if ('kvlistValue' in v) w.message(6, (a) => pbKeyValues(a, 1, v.kvlistValue.values ?? []));
  else if ('bytesValue' in v) w.bytes(7, Buffer.from(v.bytesValue, 'base64'));
}

function pbKeyValues(w, field, kvs = []) {
  for (const kv of kvs) w.message(field, (m) => { m.string(1, kv.key); m.message(2, (a) => pbAnyValue(a, kv.value)); });
}

/** Encodes an OTLP/JSON ExportTraceServiceRequest object (as built above) as protobuf. */
export function traceRequestToProto(req) {
  const w = new PbWriter();
  for (const rs of req.resourceSpans ?? []) {
    w.message(1, (r) => {
      if (rs.resource) r.message(1, (res) => pbKeyValues(res, 1, rs.resource.attributes));
      for (const ss of rs.scopeSpans ?? []) {
        r.message(2, (sw) => {
          if (ss.scope) sw.message(1, (sc) => { sc.string(1, ss.scope.name); sc.string(2, ss.scope.version); });
          for (const s of ss.spans ?? []) {
            sw.message(2, (p) => {
              p.hex(1, s.traceId).hex(2, s.spanId).string(3, s.traceState).hex(4, s.parentSpanId).string(5, s.name)
                .uint(6, s.kind).fixed64(7, s.startTimeUnixNano).fixed64(8, s.endTimeUnixNano);
              pbKeyValues(p, 9, s.attributes);
              for (const e of s.events ?? []) {
                p.message(11, (ew) => { ew.fixed64(1, e.timeUnixNano).string(2, e.name); pbKeyValues(ew, 3, e.attributes); });
              }
              for (const l of s.links ?? []) {
                p.message(13, (lw) => { lw.hex(1, l.traceId).hex(2, l.spanId).string(3, l.traceState); pbKeyValues(lw, 4, l.attributes); });
              }
              if (s.status) p.message(15, (st) => { st.string(2, s.status.message); st.uint(3, s.status.code); });
              p.fixed32(16, s.flags);
            });
          }
        });
      }
    });
  }
  return w.finish();
}

// ---------------------------------------------------------------------------
// Protobuf reader (enough for responses)

/** Decodes one message level into [{field, wire, value}] (value: BigInt, Buffer). Throws on bad input. */
export function pbFields(buf) {
  const out = [];
  let p = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      if (p >= buf.length) throw new Error('truncated varint');
      const b = buf[p++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (p < buf.length) {
    const key = varint();
    const field = Number(key >> 3n), wire = Number(key & 7n);
    let value;
    if (wire === 0) value = varint();
    else if (wire === 1) { if (p + 8 > buf.length) throw new Error('truncated fixed64'); value = buf.subarray(p, p + 8); p += 8; }
    else if (wire === 5) { if (p + 4 > buf.length) throw new Error('truncated fixed32'); value = buf.subarray(p, p + 4); p += 4; }
    else if (wire === 2) {
      const n = Number(varint());
      if (p + n > buf.length) throw new Error('truncated bytes');
      value = buf.subarray(p, p + n);
      p += n;
    } else throw new Error(`unsupported wire type ${wire}`);
    out.push({ field, wire, value });
  }
  return out;
}

/** google.rpc.Status {code, message, details: [{typeUrl, value}]} from protobuf. */
export function decodeStatus(buf) {
  const st = { code: 0, message: '', details: [] };
  for (const f of pbFields(buf)) {
    if (f.field === 1 && f.wire === 0) st.code = Number(BigInt.asIntN(32, f.value));
    else if (f.field === 2 && f.wire === 2) st.message = f.value.toString('utf8');
    else if (f.field === 3 && f.wire === 2) {
      const any = { typeUrl: '', value: Buffer.alloc(0) };
      for (const g of pbFields(f.value)) {
        if (g.field === 1) any.typeUrl = g.value.toString('utf8');
        if (g.field === 2) any.value = g.value;
      }
      st.details.push(any);
    }
  }
  return st;
}

/** Export*ServiceResponse from protobuf: {partialSuccess: {rejected, errorMessage}} or {}. */
export function decodeExportResponse(buf) {
  const r = {};
  for (const f of pbFields(buf)) {
    if (f.field === 1 && f.wire === 2) {
      const ps = { rejected: 0n, errorMessage: '' };
      for (const g of pbFields(f.value)) {
        if (g.field === 1 && g.wire === 0) ps.rejected = g.value;
        if (g.field === 2 && g.wire === 2) ps.errorMessage = g.value.toString('utf8');
      }
      r.partialSuccess = ps;
    }
  }
  return r;
}

// ---------------------------------------------------------------------------
// Normalisation of OTLP/JSON for comparisons

const INT64 = new Set(['startTimeUnixNano', 'endTimeUnixNano', 'timeUnixNano', 'observedTimeUnixNano',
  'intValue', 'asInt', 'count', 'zeroCount', 'bucketCounts']);
const DOUBLE = new Set(['asDouble', 'doubleValue', 'sum', 'min', 'max', 'explicitBounds', 'quantile', 'value']);
const ENUM = new Set(['kind', 'code', 'aggregationTemporality', 'severityNumber']);
const IDS = { traceId: 32, spanId: 16, parentSpanId: 16 };
// Fields with presence (oneof members, optional): a zero value is meaningful.
const PRESENCE = new Set(['stringValue', 'boolValue', 'intValue', 'doubleValue', 'bytesValue', 'arrayValue',
  'kvlistValue', 'value', 'body', 'asDouble', 'asInt', 'sum', 'min', 'max']);
// Lists of KeyValue: order carries no meaning in OTLP, sorted by key.
const KV_LISTS = new Set(['attributes']);

function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }

function isEmpty(v) {
  return v === 0 || v === '0' || v === '' || v === false || v === null || v === undefined ||
    (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
}

function toInt64String(v, where, problems) {
  if (problems && typeof v !== 'string') problems.push(`${where}: 64-bit integer not a string (${JSON.stringify(v)})`);
  try {
    return BigInt(typeof v === 'number' ? Math.round(v) : v).toString();
  } catch {
    problems?.push(`${where}: not an integer (${JSON.stringify(v)})`);
    return String(v);
  }
}

function toDouble(v) {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}

function normValue(key, v, where, problems) {
  if (Array.isArray(v)) {
    const items = v.map((x, i) => normValue(key, x, `${where}[${i}]`, problems));
    if (KV_LISTS.has(key) || key === 'values') {
      // kvlist values are KeyValue objects (have "key"); array values are AnyValues (no "key").
      if (items.every((x) => isObj(x) && typeof x.key === 'string')) {
        items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      }
    }
    return items;
  }
  if (isObj(v)) return normObject(v, where, problems);
  if (INT64.has(key)) return toInt64String(v, where, problems);
  if (DOUBLE.has(key)) return toDouble(v);
  if (ENUM.has(key)) {
    if (problems && typeof v !== 'number') problems.push(`${where}: enum not a number (${JSON.stringify(v)})`);
    return Number(v);
  }
  if (key in IDS) {
    if (problems && v !== '' && !new RegExp(`^[0-9a-f]{${IDS[key]}}$`).test(v)) {
      problems.push(`${where}: id not ${IDS[key]} lower-case hex digits (${JSON.stringify(v)})`);
    }
    return v;
  }
  return v;
}

function normObject(o, where, problems) {
  const out = {};
  for (const k of Object.keys(o).sort()) {
    if (problems && /_/.test(k)) problems.push(`${where}.${k}: key is not lowerCamelCase`);
    const v = normValue(k, o[k], `${where}.${k}`, problems);
    if (!PRESENCE.has(k) && isEmpty(v)) continue;
    if (v === undefined) continue;
    out[k] = v;
  }
  return out;
}

/**
 * Canonical form of an OTLP/JSON document: 64-bit integers as decimal
 * strings, doubles as numbers, proto3 default values dropped (except for
 * fields with presence), object keys sorted, attribute lists sorted by key.
 * With problems (an array), also records where the document breaks the
 * OTLP/JSON output rules (int64 not a string, enum not a number, id not
 * lower-case hex, snake_case key).
 */
export function normalize(doc, problems) {
  return normObject(doc, '$', problems);
}

const strip = (o, ...keys) => { const c = { ...o }; for (const k of keys) delete c[k]; return c; };

/** [{resource, scope, span}] with each part normalised (resource/scope schemaUrl kept). */
export function flattenSpans(doc, problems) {
  const n = normalize(doc, problems);
  const out = [];
  for (const rs of n.resourceSpans ?? []) {
    const resource = { ...(rs.resource ?? {}), ...(rs.schemaUrl ? { schemaUrl: rs.schemaUrl } : {}) };
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { ...(ss.scope ?? {}), ...(ss.schemaUrl ? { schemaUrl: ss.schemaUrl } : {}) };
      for (const s of ss.spans ?? []) out.push({ resource, scope, span: s });
    }
  }
  return out;
}

/** [{resource, scope, log}] normalised. */
export function flattenLogs(doc, problems) {
  const n = normalize(doc, problems);
  const out = [];
  for (const rl of n.resourceLogs ?? []) {
    const resource = { ...(rl.resource ?? {}), ...(rl.schemaUrl ? { schemaUrl: rl.schemaUrl } : {}) };
    for (const sl of rl.scopeLogs ?? []) {
      const scope = { ...(sl.scope ?? {}), ...(sl.schemaUrl ? { schemaUrl: sl.schemaUrl } : {}) };
      for (const l of sl.logRecords ?? []) out.push({ resource, scope, log: l });
    }
  }
  return out;
}

const DATA_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

/**
 * Map name -> {resource, scope, metric (data points removed), kind, points}
 * normalised; points of the same metric (and resource) are merged and sorted
 * by attributes then time. Throws if one name comes with different
 * resources, which these tests never send.
 */
export function flattenMetrics(doc, problems) {
  const n = normalize(doc, problems);
  const out = new Map();
  for (const rm of n.resourceMetrics ?? []) {
    const resource = { ...(rm.resource ?? {}), ...(rm.schemaUrl ? { schemaUrl: rm.schemaUrl } : {}) };
    for (const sm of rm.scopeMetrics ?? []) {
      const scope = { ...(sm.scope ?? {}), ...(sm.schemaUrl ? { schemaUrl: sm.schemaUrl } : {}) };
      for (const m of sm.metrics ?? []) {
        const kind = DATA_KINDS.find((k) => k in m);
        const data = kind ? m[kind] : {};
        const entry = out.get(m.name) ?? {
          resource, scope, kind,
          metric: { ...strip(m, ...DATA_KINDS), ...(kind ? { [kind]: strip(data, 'dataPoints') } : {}) },
          points: [],
        };
        entry.points.push(...(data.dataPoints ?? []));
        out.set(m.name, entry);
      }
    }
  }
  for (const e of out.values()) {
    e.points.sort((a, b) => {
      const ka = JSON.stringify(a.attributes ?? []) + (a.timeUnixNano ?? '');
      const kb = JSON.stringify(b.attributes ?? []) + (b.timeUnixNano ?? '');
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }
  return out;
}

/** Text form of an attribute list entry for messages: {key: value}. */
export function attrMap(list = []) {
  const m = {};
  for (const kv of list) m[kv.key] = kv.value;
  return m;
}
