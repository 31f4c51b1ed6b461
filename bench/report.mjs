// bench/report.mjs - the last step of bench/run.sh: gathers what the run wrote into its work
// directory (tool outputs as JSON, meta.tsv from the script), checks every answer, prints the
// side-by-side table and writes one JSON document.
//
//   node bench/report.mjs WORK_DIR OUT_JSON
//
// Exit 1 when an answer was wrong or a figure is missing (the table is printed anyway); the
// figures themselves are never judged here, only reported next to the targets.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [work, outPath] = process.argv.slice(2);
if (!work || !outPath) {
  console.error('usage: node bench/report.mjs WORK_DIR OUT_JSON');
  process.exit(2);
}
const problems = [];
const problem = (msg) => { problems.push(msg); console.error(`bench: FAIL: ${msg}`); };

const text = (name) => (existsSync(join(work, name)) ? readFileSync(join(work, name), 'utf8') : null);
// Tool outputs: one JSON object (the last non-empty line that parses). Nanosecond numbers lose
// precision as doubles; only the Olly reader uses them, and it reads the files itself.
const json = (name) => {
  const t = text(name);
  if (t === null) return null;
  const lines = t.split('\n').filter((l) => l.trim().startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try { return JSON.parse(lines[i]); } catch { /* next */ }
  }
  return null;
};

const meta = {};
for (const line of (text('meta.tsv') || '').split('\n')) {
  if (!line) continue;
  const [sec, key, ...rest] = line.split('\t');
  (meta[sec] ??= {})[key] = rest.join('\t');
}
const num = (v) => (v === undefined || v === null || v === '' ? null : Number(v));
const run = meta.run || {};
const machine = meta.machine || {};
const params = json('params.json');
// Nanosecond times do not fit a double: chdb_bench's are kept exact, as strings.
const exactNs = (doc, file) => {
  if (!doc) return;
  const raw = text(file);
  const exact = (key) => raw.match(new RegExp(`"${key}":(\\d+)`))?.[1] ?? null;
  if (doc.input) for (const k of ['min_timestamp_ns', 'max_timestamp_ns']) doc.input[k] = exact(k);
  if (doc.search) for (const k of ['from_ns', 'to_ns']) doc.search[k] = exact(k);
};
exactNs(params, 'params.json');
const spans = params?.input?.spans ?? null;
if (!params) problem('no input summary (chdb_bench --dry-run --json)');
else if (params.input.invalid_spans) problem(`${params.input.invalid_spans} invalid spans in the input`);

// ---- Olly ----
// GET /api/v1/storage (docs/api.md): {"signals":[{"signal":"traces","parts","rows","bytes",
// "inputBytes","compressionRatio","bytesPerItem",...}],"head":{"spans","bytes"},"wal":{...},...}
function apiStorageTraces(doc) {
  const t = Array.isArray(doc?.signals) ? doc.signals.find((s) => s?.signal === 'traces') : null;
  if (!t) return null;
  return {
    parts: t.parts ?? null,
    rows: t.rows ?? null,
    bytes_on_disk: t.bytes ?? null,
    input_bytes: t.inputBytes ?? null,
    bytes_per_item: t.bytesPerItem ?? null,
    compression_ratio: t.compressionRatio ?? null,
    head_spans: doc.head?.spans ?? null,
  };
}

const olly = {};
for (const policy of ['interval', 'always']) {
  const m = meta[policy] || {};
  const ingest = json(`ingest-${policy}.out`);
  const read = json(`read-${policy}.out`);
  const readLive = json(`read-live-${policy}.out`);
  const readyAfter = json(`ready-${policy}-restart.json`);
  const storageDoc = m.api_storage === 'available' ? json(`storage-${policy}.out`) : null;
  const api = apiStorageTraces(storageDoc);
  const parts = num(m.parts_traces_bytes);
  const dataDir = num(m.data_dir_bytes);
  const r = {
    fsync: policy,
    ingest,
    shutdown_ms: num(m.shutdown_ms),
    storage: {
      parts_traces_bytes: parts,
      parts_traces_files: num(m.parts_traces_files),
      parts_bytes: num(m.parts_bytes),
      wal_bytes: num(m.wal_bytes),
      data_dir_bytes: dataDir,
      // The figure compared: the traces parts when the server wrote any, else everything it
      // keeps (the write-ahead log of a store without parts).
      measured: parts > 0 ? 'parts/traces' : 'whole data dir (no parts/traces)',
      bytes_per_span: spans ? (parts > 0 ? parts : dataDir) / spans : null,
      data_dir_bytes_per_span: spans && dataDir !== null ? dataDir / spans : null,
      api_storage: storageDoc ?? (m.api_storage || null),
      api_traces: api,
    },
    restart_ready_ms: readyAfter?.ready_ms ?? null,
    restart_store_log: m.restart_log || null,
    read,
    read_before_restart: readLive,
  };
  olly[policy] = r;
  if (!ingest) problem(`olly (${policy}): no ingest figures`);
  else if (spans !== null && (ingest.spans_accepted !== spans || ingest.requests_failed))
    problem(`olly (${policy}): ${ingest.spans_accepted} of ${spans} spans accepted, ${ingest.requests_failed} requests failed`);
  if (r.shutdown_ms === null) problem(`olly (${policy}): no clean shutdown`);
  if (!dataDir) problem(`olly (${policy}): nothing on disk after shutdown`);
  if (!readyAfter) problem(`olly (${policy}): not ready after restart`);
  for (const [rd, when] of [[read, 'after restart'], [readLive, 'before restart']]) {
    if (!rd) { problem(`olly (${policy}): no read figures ${when}`); continue; }
    const t = rd.trace_by_id, s = rd.search;
    if (!rd.ok || !t.complete || t.wrong_span_count || t.http_errors || t.lookups !== params?.lookups)
      problem(`olly (${policy}, ${when}): trace by id: ${t.lookups} lookups, ${t.wrong_span_count} wrong span counts, ${t.http_errors} HTTP errors`);
    if (!s.complete || s.bad_answers || !s.traces) problem(`olly (${policy}, ${when}): search: ${s.traces} traces, ${s.bad_answers} bad answers`);
  }
  if (api && spans !== null && (api.rows ?? 0) + (api.head_spans ?? 0) !== spans)
    problem(`olly (${policy}): /api/v1/storage after restart: ${api.rows} trace rows in parts + ${api.head_spans} in memory, ${spans} were sent`);
}

const live = json('ingest-live-loadgen.out');
if (!live) problem('olly live loadgen run: no report');
else if (spans !== null && (live.spans_accepted !== spans || live.requests_failed))
  problem(`olly live loadgen run: ${live.spans_accepted} of ${spans} spans accepted, ${live.requests_failed} requests failed`);
const oneConn = Number(run.connections) !== 1 ? json('ingest-replay-1conn.out') : null;
if (Number(run.connections) !== 1) {
  if (!oneConn) problem('olly 1-connection replay: no report');
  else if (spans !== null && oneConn.spans_accepted !== spans) problem(`olly 1-connection replay: ${oneConn.spans_accepted} of ${spans} spans accepted`);
}

// ---- ClickHouse ----
const ch = run.clickhouse === '1' ? json('clickhouse.out') : null;
exactNs(ch, 'clickhouse.out');
if (run.clickhouse === '1') {
  if (!ch) problem('ClickHouse: no figures from chdb_bench');
  else {
    if (ch.trace_by_id.wrong_span_count) problem(`ClickHouse: ${ch.trace_by_id.wrong_span_count} wrong span counts`);
    if (!ch.search.rows) problem('ClickHouse: the search found nothing');
    if (spans !== null && ch.storage.otel_traces.rows !== spans) problem(`ClickHouse: ${ch.storage.otel_traces.rows} rows stored, ${spans} inserted`);
  }
}

// ---- the RED query (red_bench --json) ----
// {"spans","spans_in_hour","services","runs","sql","sql_clickhouse","clickhouse_exact_ok",
//  "paths":[{"name","what","latency":{p50_ms,p99_ms,...},"answer_ok","quantiles_checked",
//            "max_quantile_deviation","rows_scanned","bytes_scanned","problem"}],"answer":[...]}
const red = run.red === '1' ? json('red.out') : null;
const redPath = (name) => red?.paths?.find((p) => p.name === name) ?? null;
if (run.red === '1') {
  if (!red) problem('RED query: no figures from red_bench');
  else {
    if (red.spans < num(run.red_spans) || !red.spans_in_hour) problem(`RED query: ${red.spans} spans generated (${red.spans_in_hour} in the hour), ${run.red_spans} asked for`);
    for (const p of red.paths) if (!p.answer_ok) problem(`RED query, ${p.name}: a wrong answer (${p.problem})`);
    if (run.clickhouse === '1' && !red.clickhouse_exact_ok) problem('RED query: ClickHouse\'s exact quantiles differ from the bench\'s own');
    for (const n of ['olly-parts', ...(run.clickhouse === '1' ? ['clickhouse'] : [])])
      if (!redPath(n)) problem(`RED query: no ${n} run`);
  }
}

// ---- table ----
const f0 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '-' : Math.round(v).toLocaleString('en-US'));
const f1 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(1));
const f2 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(2));
const pp = (l) => (l ? `${f2(l.p50_ms)} / ${f2(l.p99_ms)}` : '-');
const oi = olly.interval, oa = olly.always;
const rows = [
  ['', 'Olly fsync=interval', 'Olly fsync=always', 'ClickHouse (chDB)'],
  ['ingest, spans/s', f0(oi.ingest?.accepted_spans_per_sec), f0(oa.ingest?.accepted_spans_per_sec), f0(ch?.insert?.spans_per_sec)],
  ['  per request p50/p99 ms', pp(oi.ingest?.latency), pp(oa.ingest?.latency),
    ch ? `${f2(ch.insert.batch_latency.p50_ms)} / ${f2(ch.insert.batch_latency.p99_ms)}` : '-'],
  ['  how', `OTLP/HTTP, ${run.connections} conn`, `OTLP/HTTP, ${run.connections} conn`, ch ? `1 INSERT per request` : '-'],
  ['bytes on disk / span', f1(oi.storage.bytes_per_span), f1(oa.storage.bytes_per_span), f1(ch?.storage?.total_bytes_on_disk_per_span)],
  ['  what', oi.storage.measured, oa.storage.measured, ch ? 'otel_traces + id table' : '-'],
  ['  whole data dir / span', f1(oi.storage.data_dir_bytes_per_span), f1(oa.storage.data_dir_bytes_per_span), '-'],
  ['trace by id p50/p99 ms', pp(oi.read?.trace_by_id?.latency), pp(oa.read?.trace_by_id?.latency),
    ch ? `${f2(ch.trace_by_id.latency.p50_ms)} / ${f2(ch.trace_by_id.latency.p99_ms)}` : '-'],
  ['search p50/p99 ms', pp(oi.read?.search?.latency), pp(oa.read?.search?.latency),
    ch ? `${f2(ch.search.latency.p50_ms)} / ${f2(ch.search.latency.p99_ms)}` : '-'],
  ['  with index hint', '', '', ch ? `${f2(ch.search.latency_with_index_hint.p50_ms)} / ${f2(ch.search.latency_with_index_hint.p99_ms)}` : '-'],
  ['before restart: by id', pp(oi.read_before_restart?.trace_by_id?.latency), pp(oa.read_before_restart?.trace_by_id?.latency), ''],
  ['before restart: search', pp(oi.read_before_restart?.search?.latency), pp(oa.read_before_restart?.search?.latency), ''],
  ['shutdown (flush) ms', f0(oi.shutdown_ms), f0(oa.shutdown_ms), ch ? `OPTIMIZE FINAL ${f0(ch.optimize_final_seconds * 1000)}` : '-'],
  ['restart to /readyz ms', f0(oi.restart_ready_ms), f0(oa.restart_ready_ms), '-'],
];
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
const lines = [];
lines.push(`Side by side: ${f0(spans)} spans (${run.requests} requests x ${run.spans_per_request}, olly loadgen --seed ${run.seed}), ` +
  `${run.lookups} trace-by-id lookups, ${run.searches} searches${run.short === '1' ? ' [--short: sizes too small for figures]' : ''}`);
lines.push('');
for (const r of rows) lines.push(r.map((v, c) => (c === 0 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join('   '));
lines.push('');
lines.push('Olly reads: after a restart (the data as the shutdown flush left it); "before restart": right after ingest, same process.');
if (live) lines.push(`Olly, live \`olly loadgen\` (same seed, fresh trace ids, fsync=interval): ${f0(live.accepted_spans_per_sec)} spans/s, p50/p99 ${f2(live.latency_ms?.p50)} / ${f2(live.latency_ms?.p99)} ms`);
if (oneConn) lines.push(`Olly, replay on 1 connection (fsync=interval): ${f0(oneConn.accepted_spans_per_sec)} spans/s, p50/p99 ${pp(oneConn.latency)} ms`);
if (ch?.bulk_insert) lines.push(`ClickHouse, the same spans as one bulk INSERT: ${f0(ch.bulk_insert.spans_per_sec)} spans/s`);
if (ch) lines.push(`ClickHouse ${ch.clickhouse_version} (chDB ${ch.chdb_version}), ${ch.indexes} skip indexes, SELECT 1 p50 ${f2(ch.select_1.p50_ms)} ms`);
const sp = params?.search;
if (sp) lines.push(`Search: service=${sp.service} ${sp.attribute_key}=${sp.attribute_value} over the input's time range, newest ${sp.limit} ` +
  `(ClickHouse: spans; Olly: traces); ${f0(sp.matching_spans)} spans match`);
for (const p of ['interval', 'always']) {
  const a = olly[p].storage.api_traces;
  if (a) lines.push(`Olly (${p}) /api/v1/storage after restart, traces: ${a.parts} parts, ${f0(a.rows)} rows (+${a.head_spans} in memory), ` +
    `${f0(a.bytes_on_disk)} bytes, ${f1(a.bytes_per_item)} B/span, OTLP/stored ${f1(a.compression_ratio)}x`);
  else lines.push(`Olly (${p}) /api/v1/storage: ${typeof olly[p].storage.api_storage === 'string' ? olly[p].storage.api_storage : 'no traces entry'} (bytes from the files)`);
  if (olly[p].restart_store_log) lines.push(`Olly (${p}) restart: ${olly[p].restart_store_log}`);
}

if (red) {
  lines.push('');
  lines.push(`RED query: ${f0(red.spans_in_hour)} spans over one hour, ${red.services} services, ${red.runs} runs per path (after one unmeasured run), ` +
    'wall time of the call in the same process:');
  for (const p of red.paths) {
    const note = p.quantiles_checked ? `answer ${p.answer_ok ? 'exact' : 'WRONG'}` : `quantiles sampled, up to ${(100 * p.max_quantile_deviation).toFixed(2)}% from exact`;
    lines.push(`  ${p.name.padEnd(11)} p50/p99 ${pp(p.latency).padStart(20)} ms   ${note}` +
      (p.rows_scanned ? `; rowsScanned ${f0(p.rows_scanned)}, bytesScanned ${f0(p.bytes_scanned)}` : ''));
  }
  lines.push(`  ${red.sql}`);
}

// Targets: reported, never asserted.
const ratio = (a, b) => (a && b ? a / b : null);
const targets = {
  ingest_vs_clickhouse: { value: ratio(oi.ingest?.accepted_spans_per_sec, ch?.insert?.spans_per_sec), target: '>= 2' },
  ingest_fsync_always_vs_clickhouse: { value: ratio(oa.ingest?.accepted_spans_per_sec, ch?.insert?.spans_per_sec), target: '>= 2' },
  bytes_vs_clickhouse: { value: ratio(oi.storage.bytes_per_span, ch?.storage?.total_bytes_on_disk_per_span), target: '<= 0.5' },
  trace_by_id_p99_ms: { value: oi.read?.trace_by_id?.latency?.p99_ms ?? null, target: '<= 10' },
  search_p50_vs_clickhouse: { value: ratio(oi.read?.search?.latency?.p50_ms, ch?.search?.latency?.p50_ms), target: '<= 1' },
  red_p50_vs_clickhouse: { value: ratio(redPath('olly-parts')?.latency?.p50_ms, redPath('clickhouse')?.latency?.p50_ms), target: '<= 1' },
};
lines.push('');
lines.push('Targets (figures only; timing is never asserted):');
lines.push(`  ingest Olly/ClickHouse       ${f2(targets.ingest_vs_clickhouse.value)}x (fsync=always ${f2(targets.ingest_fsync_always_vs_clickhouse.value)}x)   target >= 2x`);
lines.push(`  bytes/span Olly/ClickHouse   ${f2(targets.bytes_vs_clickhouse.value)}   target <= 0.5`);
lines.push(`  trace by id p99 (Olly)       ${f2(targets.trace_by_id_p99_ms.value)} ms   target <= 10 ms`);
lines.push(`  search p50 Olly/ClickHouse   ${f2(targets.search_p50_vs_clickhouse.value)}   target <= 1`);
lines.push(`  RED p50 Olly/ClickHouse      ${f2(targets.red_p50_vs_clickhouse.value)}   target <= 1 (Olly from parts)`);
lines.push('');
lines.push(`Machine: ${machine.nproc} CPUs (${machine.cpu}), ${f1(Number(machine.ram_bytes) / 2 ** 30)} GiB RAM, ${machine.kernel}, ` +
  `load average at the end ${machine.loadavg_end}; ${machine.olly_version}, ${machine.git_commit}; ${machine.compiler}`);
lines.push('Commands ($WORK is the run\'s temp dir; ports are picked free at run time):');
const commands = (text('commands.txt') || '').split('\n').filter(Boolean);
for (const c of commands) lines.push(`  ${c}`);
console.log(lines.join('\n'));

const scriptFailures = (text('failures.txt') || '').split('\n').filter(Boolean);
const result = {
  date: run.date,
  machine: { ...machine, nproc: num(machine.nproc), ram_bytes: num(machine.ram_bytes) },
  run: { ...run, short: run.short === '1', clickhouse: run.clickhouse === '1', spans, lookups: num(run.lookups),
    searches: num(run.searches), connections: num(run.connections), requests: num(run.requests),
    spans_per_request: num(run.spans_per_request), seed: num(run.seed) },
  input: params?.input ?? null,
  search: params?.search ?? null,
  olly,
  olly_live_loadgen: live,
  olly_replay_1_connection: oneConn,
  clickhouse: ch,
  red,
  targets,
  commands,
  failures: [...scriptFailures, ...problems],
  ok: scriptFailures.length === 0 && problems.length === 0,
};
writeFileSync(outPath, JSON.stringify(result, null, 2) + '\n');
process.exit(problems.length ? 1 : 0);
