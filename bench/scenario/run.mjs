#!/usr/bin/env node
/*
 * bench/scenario/run.mjs - the scenario evaluation of Olly's anomaly
 * detection (issue 5): `olly demo` runs each of its eight fault types
 * several times against a fresh `olly serve` at an accelerated clock, and
 * a fault-free simulated day runs once; the anomalies and alerts the
 * server raised are read back over its API and scored against the demo's
 * ground truth (--truth). README.md in this folder has the command, the
 * rules (what counts as detected, as the right origin, as false) and the
 * output layout.
 *
 * Every run is a fresh server (its own data directory, three loopback ports
 * free at run time, stopped by PID) and one demo process with one fault.
 * Simulated time is anchored on fixed UTC times of day of a recent Tuesday
 * to Thursday (the demo's weekly curve is flat on those days), so a run
 * sends the same telemetry whatever day the harness runs (docs/demo.md,
 * Determinism), only shifted by whole days.
 *
 * Plain node (20+), no packages.
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const NS = 1000000000n;
const STEP_S = 10; /* the server's default RED resolution */

/* ---- options ---- */

const USAGE = `usage: bench/scenario/run.mjs [options]

  --olly PATH        the olly binary (default: $OLLY, else build/olly)
  --quick            one run per fault type (the first of the three)
  --runs N           runs per fault type, 1..3 (default 3)
  --types A,B        only these fault types
  --speed N          demo clock speed of the fault runs (default 240)
  --rate N           demo traces/s at the weekday peak (default 10)
  --history LEN      simulated time before the fault (default 2h)
  --fault-len LEN    fault duration (default 20m)
  --after LEN        simulated time after the fault (default 30m)
  --settle LEN       after the fault's end, anomalies starting within this are
                     its tail, later ones are false (default 10m)
  --day-speed N      clock speed of the fault-free day (default 240)
  --day-history LEN  simulated time before the fault-free day, not counted (default 1h)
  --no-day           skip the fault-free day
  --day-only         only the fault-free day
  --out FILE         JSON results (default bench/build/scenario.json)
  --keep             keep every run's directory (data, logs, API answers)
  --work DIR         where run directories go (default a new temp dir)
`;

function usage(msg) {
  if (msg) process.stderr.write(`scenario: ${msg}\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

/* "2h", "20m", "1h30m", "90s", "45" (seconds) -> seconds */
function parseLen(s, what) {
  const m = /^\+?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(String(s));
  if (!m || s === '' || s === '+') usage(`${what}: expected a length like 2h, 20m, 1h30m or seconds, got '${s}'`);
  return (+(m[1] || 0)) * 86400 + (+(m[2] || 0)) * 3600 + (+(m[3] || 0)) * 60 + (+(m[4] || 0));
}

function parseArgs(argv) {
  const o = {
    olly: process.env.OLLY || path.join(ROOT, 'build/olly'), runs: 3, types: null, speed: 240, rate: 10,
    history: 7200, faultLen: 1200, after: 1800, settle: 600, daySpeed: 240, dayHistory: 3600, day: true,
    faults: true, out: path.join(ROOT, 'bench/build/scenario.json'), keep: false, work: null, quick: false,
  };
  const num = (v, what, lo, hi) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi) usage(`${what}: expected an integer in ${lo}..${hi}, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    switch (a) {
    case '--olly': o.olly = path.resolve(v()); break;
    case '--quick': o.quick = true; o.runs = 1; break;
    case '--runs': o.runs = num(v(), a, 1, 3); break;
    case '--types': o.types = v().split(',').filter(Boolean); break;
    case '--speed': o.speed = num(v(), a, 1, 100000); break;
    case '--rate': o.rate = num(v(), a, 1, 10000); break;
    case '--history': o.history = parseLen(v(), a); break;
    case '--fault-len': o.faultLen = parseLen(v(), a); break;
    case '--after': o.after = parseLen(v(), a); break;
    case '--settle': o.settle = parseLen(v(), a); break;
    case '--day-speed': o.daySpeed = num(v(), a, 1, 100000); break;
    case '--day-history': o.dayHistory = parseLen(v(), a); break;
    case '--no-day': o.day = false; break;
    case '--day-only': o.faults = false; break;
    case '--out': o.out = path.resolve(v()); break;
    case '--keep': o.keep = true; break;
    case '--work': o.work = path.resolve(v()); break;
    case '-h': case '--help': usage();
    default: usage(`unknown argument ${a}`);
    }
  }
  if (o.history < 3600) usage('--history: at least 1h (the analyzer warms up for 32 simulated minutes)');
  if (o.settle > o.after) usage('--settle cannot be longer than --after');
  for (const t of o.types || []) if (!FAULTS[t]) usage(`--types: unknown fault type '${t}'`);
  return o;
}

/*
 * The runs of each fault type: run k uses seed k+1, puts the fault's start
 * at HOURS[k] UTC (moderate and rising traffic, the daily peak, near the
 * night trough) and this target. Parameters are the demo's defaults unless
 * given.
 */
const HOURS = [10, 16, 3];
const FAULTS = {
  bad_deploy: [{ target: 'checkout' }, { target: 'cart', params: 'delay=150ms' }, { target: 'product-catalog' }],
  dependency_latency: [{ target: 'currency' }, { target: 'postgresql' }, { target: 'valkey-cart' }],
  attribute_latency: [{ target: 'payment' }, { target: 'frontend' }, { target: 'checkout' }],
  error_burst: [{ target: 'email' }, { target: 'cart' }, { target: 'currency' }],
  host_saturation: [{ target: 'node-2' }, { target: 'node-4' }, { target: 'node-6' }],
  memory_leak: [{ target: 'ad' }, { target: 'recommendation' }, { target: 'shipping' }],
  traffic_surge: [{ target: 'frontend' }, { target: 'frontend', params: 'factor=2' },
                  { target: 'frontend', params: 'op=GET /api/products/{productId}' }],
  slow_db_query: [{ target: 'postgresql' }, { target: 'postgresql', params: 'op=SELECT productreviews' },
                  { target: 'postgresql', params: 'op=INSERT orders' }],
};

/* ---- processes, ports, HTTP ---- */

const children = new Set();
function killAll() {
  for (const c of children) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
}
process.on('SIGINT', () => { killAll(); process.exit(130); });
process.on('SIGTERM', () => { killAll(); process.exit(143); });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function freePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function start(cmd, args, logBase) {
  const out = fs.openSync(`${logBase}.out`, 'w'), err = fs.openSync(`${logBase}.err`, 'w');
  const c = spawn(cmd, args, { stdio: ['ignore', out, err] });
  fs.closeSync(out);
  fs.closeSync(err);
  children.add(c);
  c.done = new Promise((resolve) => c.on('exit', (code, sig) => { children.delete(c); resolve({ code, sig }); }));
  return c;
}

async function stop(c, timeoutMs = 60000) {
  if (c.exitCode !== null || c.signalCode !== null) return c.done;
  process.kill(c.pid, 'SIGTERM');
  const t = setTimeout(() => { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
  const r = await c.done;
  clearTimeout(t);
  return r;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function get(url, asText = false) {
  const res = await fetch(url, { signal: AbortSignal.timeout(30000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return asText ? res.text() : res.json();
}

async function waitReady(base, serve) {
  for (let i = 0; i < 300; i++) {
    if (serve.exitCode !== null) throw new Error(`olly serve exited (${serve.exitCode}) before it was ready`);
    try { if ((await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200) return; } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error('olly serve not ready after 30 s');
}

/* ---- simulated time ---- */

const iso = (ms) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

/*
 * The latest Tuesday-Thursday d (UTC) such that d + hour + endOffset fits
 * before now (less a margin): the fault starts at d + hour. Returns ms.
 */
function anchor(hour, endOffsetS) {
  const now = Date.now(), day = 86400000;
  let d = Math.floor(now / day) * day;
  for (let k = 0; k < 14; k++, d -= day) {
    const wd = new Date(d).getUTCDay(); /* 0 Sunday */
    if (wd < 2 || wd > 4) continue;
    const t = d + hour * 3600000;
    if (t + endOffsetS * 1000 <= now - 5 * 60000) return t;
  }
  throw new Error('no anchor day found');
}

/* ---- the system's shape, from `olly demo --list` ---- */

function uninstrumented(olly) {
  const out = execFileSync(olly, ['demo', '--list'], { encoding: 'utf8' });
  const names = new Set();
  for (const line of out.split('\n')) {
    const m = /^ {2}(\S+)\s+(database|cache|queue|external)\s/.exec(line);
    if (m) names.add(m[1]);
  }
  if (!names.size) throw new Error('olly demo --list: no database, cache, queue or external service found');
  return names;
}

/* ---- one run ---- */

/*
 * A client span to a database is counted at once (docs/red.md); one to an
 * external API or a queue waits --red-edge-wait-ms of wall time (30 s) for
 * a server span until RED has learned, from 8 such waits, that the peer
 * never answers with one. At N times the clock that wait is N x 30 s of
 * simulated time, so the first calls' edge buckets would reach the
 * analyzer after their step was complete. The harness keeps the wait at
 * about 30 simulated seconds, and at least 200 ms, so that partners sent a
 * request apart still meet.
 */
const edgeWaitMs = (speed) => Math.max(200, Math.round(30000 / speed));

function metricValue(text, name) {
  const re = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} ([0-9.eE+-]+)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : null;
}

async function settle(base, simEndNs) {
  /* the analyzer completes a step a few runs (about a second each) after its buckets arrived */
  let last = null, same = 0;
  for (let i = 0; i < 60; i++) {
    const a = (await get(`${base}/api/v1/anomalies?start=1&limit=1&traces=0`)).analysis || {};
    const t = a.eventTime || '';
    if (t === last) same++;
    else same = 0;
    last = t;
    const near = t && BigInt(Date.parse(t)) * 1000000n >= simEndNs - 120n * NS;
    if ((near && same >= 2) || same >= 8) return t;
    await sleep(1000);
  }
  return last;
}

async function runOne(o, run) {
  const dir = path.join(o.work, run.name);
  fs.rmSync(dir, { recursive: true, force: true }); /* a repeated run starts from nothing too */
  fs.mkdirSync(dir, { recursive: true });
  const [pg, ph, pa] = await freePorts(3);
  const base = `http://127.0.0.1:${pa}`;
  const serveArgs = ['serve', '--data', path.join(dir, 'data'), '--otlp-grpc', `127.0.0.1:${pg}`,
                     '--otlp-http', `127.0.0.1:${ph}`, '--http', `127.0.0.1:${pa}`,
                     '--red-edge-wait-ms', String(edgeWaitMs(run.speed))];
  const demoArgs = ['demo', '--target', `http://127.0.0.1:${ph}`, '--start', run.start, '--duration', String(run.duration),
                    '--speed', String(run.speed), '--rate', String(o.rate), '--seed', String(run.seed), '--status', '0',
                    '--json', '--truth', path.join(dir, 'truth.jsonl'), ...(run.fault ? ['--fault', run.fault] : [])];
  const t0 = Date.now();
  const serve = start(o.olly, serveArgs, path.join(dir, 'serve'));
  let result;
  try {
    await waitReady(base, serve);
    const demo = start(o.olly, demoArgs, path.join(dir, 'demo'));
    const dr = await demo.done;
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'demo.out'), 'utf8') || 'null');
    if (dr.code !== 0 || !summary) throw new Error(`olly demo failed (${dr.code}): ${fs.readFileSync(path.join(dir, 'demo.err'), 'utf8').slice(-500)}`);
    const simEnd = BigInt(summary.sim_end_ns);
    const eventTime = await settle(base, simEnd);
    const anomalies = await get(`${base}/api/v1/anomalies?start=1&limit=10000&status=all&traces=0`);
    const alerts = await get(`${base}/api/v1/alerts`);
    const metrics = await get(`${base}/metrics`, true);
    const map = await get(`${base}/api/v1/service-map?start=${summary.sim_start_ns}&end=${summary.sim_end_ns}`);
    fs.writeFileSync(path.join(dir, 'anomalies.json'), JSON.stringify(anomalies, null, 1));
    fs.writeFileSync(path.join(dir, 'alerts.json'), JSON.stringify(alerts, null, 1));
    fs.writeFileSync(path.join(dir, 'metrics.txt'), metrics);
    fs.writeFileSync(path.join(dir, 'service-map.json'), JSON.stringify(map, null, 1));
    const truth = fs.existsSync(path.join(dir, 'truth.jsonl'))
      ? fs.readFileSync(path.join(dir, 'truth.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
    result = {
      summary, eventTime, map, anomalies: anomalies.anomalies, analysis: anomalies.analysis, alerts: alerts.alerts, truth,
      server: {
        buckets_used: metricValue(metrics, 'olly_analysis_buckets_total{result="used"}'),
        buckets_late: metricValue(metrics, 'olly_analysis_buckets_total{result="late"}'),
        buckets_dropped: metricValue(metrics, 'olly_analysis_buckets_total{result="dropped"}'),
        steps: metricValue(metrics, 'olly_analysis_steps_total'),
        detector_updates: metricValue(metrics, 'olly_analysis_detector_updates_total'),
        analysis_cpu_s: metricValue(metrics, 'olly_analysis_cpu_seconds_total'),
        red_late_spans: metricValue(metrics, 'olly_red_late_spans_total'),
      },
    };
  } finally {
    const sr = await stop(serve);
    if (sr.code !== 0 && sr.sig !== 'SIGTERM') process.stderr.write(`scenario: ${run.name}: olly serve exited with ${sr.code ?? sr.sig}\n`);
    if (!o.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  result.wall_s = (Date.now() - t0) / 1000;
  return result;
}

/* ---- scoring ---- */

/* What the demo generated and whether all of it arrived: dropped or refused telemetry, a
 * simulation behind the clock or buckets the analyzer received late would all bias the scores. */
function demoHealth(sum) {
  const lost = (sum.dropped_items || 0) + (sum.requests_failed || 0);
  return { generated: sum.generated, dropped_requests: sum.dropped_requests, dropped_items: sum.dropped_items,
           requests_failed: sum.requests_failed, lag_max_ms: sum.lag_max_ms, complete: lost === 0 };
}

const ns = (s) => BigInt(s);
const secs = (d) => Number(d) / 1e9;

function brief(a, refNs) {
  return {
    id: a.id, service: a.service, operation: a.operation ?? null, peer: a.peer ?? null, peerType: a.peerType ?? null,
    signal: a.signal, detector: a.detector, value: a.value, expected: a.expected, deviation: a.deviation,
    score: a.score, onset: a.onset, end: a.end ?? null, incident: a.incident ?? null,
    at_s: refNs === undefined ? undefined : secs(ns(a.onsetNs) - refNs),
  };
}

/*
 * The rules (README.md). R = the fault's target (host_saturation: the
 * services with a replica on the host, from the truth). For a target
 * without spans of its own (a database, cache, queue or external API),
 * its callers C are the services with an edge to it in the service map.
 * An anomaly is about the fault when its service or its peer is in R, or
 * (such a target) its service is in C. Detected: such an anomaly with its
 * onset in [start - one step, end]; the delay is the first one's onset
 * after the start. Right origin: the first alerted incident holding an
 * anomaly of that window is labelled with a service of R or, for such a
 * target, a caller whose edge to it is flagged in that incident.
 */
function score(o, run, r, outside) {
  const f = r.truth.find((e) => e.event === 'start' && e.fault === 0);
  if (!f) throw new Error(`${run.name}: no start record in the truth file`);
  const start = ns(f.start_ns), end = ns(f.end_ns), step = BigInt(STEP_S) * NS;
  const right = new Set(f.type === 'host_saturation' ? f.services || [] : [f.service]);
  const peerTarget = f.service && outside.has(f.service);
  const callers = new Set(peerTarget ? (r.map.edges || []).filter((e) => e.target === f.service).map((e) => e.source) : []);
  const about = (a) => right.has(a.service) || (a.peer && right.has(a.peer)) || callers.has(a.service);
  const all = r.anomalies.map((a) => ({ ...a, on: ns(a.onsetNs) })).sort((a, b) => (a.on < b.on ? -1 : a.on > b.on ? 1 : 0));
  const inWin = all.filter((a) => a.on >= start - step && a.on <= end);
  const before = all.filter((a) => a.on < start - step);
  const tail = all.filter((a) => a.on > end && a.on <= end + BigInt(o.settle) * NS);
  const after = all.filter((a) => a.on > end + BigInt(o.settle) * NS);
  const delay = (a) => Math.max(0, secs(a.on - start));
  const hit = inWin.find(about);

  /* the first alerted incident holding an anomaly of the window */
  const alertOf = new Map(r.alerts.map((al) => [String(al.labels?.incident), al]));
  const incOrder = [];
  for (const a of inWin) if (a.incident && !incOrder.includes(String(a.incident))) incOrder.push(String(a.incident));
  let origin = null, originIncident = null, originRight = false, preexisting = false;
  for (const inc of incOrder) {
    const al = alertOf.get(inc);
    if (!al) continue;
    origin = al.labels.service;
    originIncident = inc;
    originRight = right.has(origin) ||
      (peerTarget && all.some((a) => String(a.incident) === inc && a.service === origin && a.peer === f.service));
    preexisting = all.some((a) => String(a.incident) === inc && a.on < start - step);
    break;
  }
  return {
    fault: { type: f.type, service: f.service, host: f.host, operation: f.operation, services: f.services,
             start: iso(Number(start / 1000000n)), end: iso(Number(end / 1000000n)), params: f.params },
    right: [...right], callers: [...callers],
    detected: !!hit,
    delay_s: hit ? delay(hit) : null,
    first: hit ? brief(hit, start) : null,
    any_delay_s: inWin.length ? delay(inWin[0]) : null,
    first_any: inWin.length ? brief(inWin[0], start) : null,
    origin, origin_incident: originIncident, origin_right: originRight, origin_incident_preexisting: preexisting,
    incidents_in_window: incOrder.length,
    alerted_in_window: incOrder.filter((i) => alertOf.has(i)).length,
    anomalies_in_window: inWin.length,
    anomalies_about: inWin.filter(about).length,
    false_before: before.map((a) => brief(a, start)),
    tail: tail.length,
    false_after: after.map((a) => brief(a, end)),
    restarts: r.truth.filter((e) => e.event === 'restart').length,
  };
}

function scoreDay(o, dayStartMs, r) {
  const from = BigInt(dayStartMs) * 1000000n;
  const counted = r.anomalies.filter((a) => ns(a.onsetNs) >= from);
  const incidents = [...new Set(counted.map((a) => String(a.incident)).filter((x) => x !== 'null' && x !== 'undefined'))];
  const alerted = r.alerts.filter((al) => incidents.includes(String(al.labels?.incident)));
  return {
    anomalies: counted.length, incidents: incidents.length, alerts: alerted.length,
    before_day: r.anomalies.length - counted.length,
    list: counted.map((a) => brief(a, from)),
    alert_list: alerted.map((al) => ({ incident: al.labels.incident, service: al.labels.service, onset: al.onset,
                                        summary: al.annotations?.summary, description: al.annotations?.description })),
  };
}

/* ---- output ---- */

const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (!v.length) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const fmtS = (s) => (s === null ? '-' : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);
const pad = (s, n) => String(s).padEnd(n);

function machine() {
  let commit = null, dirty = null;
  try {
    commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
  } catch { /* not a checkout */ }
  return { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, mem_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
           loadavg: os.loadavg().map((x) => +x.toFixed(2)), kernel: os.release(), node: process.version, commit, dirty };
}

/*
 * Runs and scores one run. Telemetry the demo had to drop (the server or
 * the machine could not keep up) would read as a traffic drop, so such a
 * run is repeated at half the speed, down to 30.
 */
async function runScored(o, run, log, scorer) {
  for (;;) {
    try {
      const r = await runOne(o, run);
      const rec = { ...run, ok: true, wall_s: r.wall_s, server: r.server, demo: demoHealth(r.summary), ...scorer(r) };
      if (rec.demo.complete || run.speed <= 30) {
        if (!rec.demo.complete || rec.server.buckets_late)
          log(`  WARNING: telemetry lost (${JSON.stringify(rec.demo)}) or late buckets (${rec.server.buckets_late})`);
        return rec;
      }
      log(`  the demo dropped ${rec.demo.dropped_items} items at speed ${run.speed}; again at ${Math.max(30, run.speed >> 1)}`);
      run = { ...run, speed: Math.max(30, run.speed >> 1), retried: (run.retried || 0) + 1 };
    } catch (e) {
      log(`  FAILED: ${e.message || e}`);
      return { ...run, ok: false, error: String(e.message || e) };
    }
  }
}

/* ---- main ---- */

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(o.olly)) usage(`no olly binary at ${o.olly} (make -j2, or --olly PATH)`);
  o.work = o.work || fs.mkdtempSync(path.join(os.tmpdir(), 'olly-scenario.'));
  fs.mkdirSync(o.work, { recursive: true });
  const outside = uninstrumented(o.olly);
  const t0 = Date.now();
  const results = { date: new Date().toISOString(), machine: machine(), command: process.argv.slice(1).join(' '),
                    options: { ...o, work: undefined }, runs: [], summary: {}, day: null };
  const log = (s) => process.stderr.write(`scenario: ${s}\n`);

  if (o.faults) {
    const total = o.history + o.faultLen + o.after;
    for (const type of Object.keys(FAULTS)) {
      if (o.types && !o.types.includes(type)) continue;
      for (let k = 0; k < o.runs; k++) {
        const def = FAULTS[type][k];
        const faultMs = anchor(HOURS[k], o.faultLen + o.after);
        const spec = `${type}:${def.target}:+${o.history}:${o.faultLen}${def.params ? `:${def.params}` : ''}`;
        const run = { name: `${type}-${k + 1}`, type, target: def.target, params: def.params || null, seed: k + 1,
                      hour: HOURS[k], start: iso(faultMs - o.history * 1000), duration: total, speed: o.speed, fault: spec };
        log(`${run.name}: --fault '${spec}' --start ${run.start} --seed ${run.seed} --speed ${o.speed}`);
        const rec = await runScored(o, run, log, (r) => score(o, run, r, outside));
        if (rec.ok)
          log(`  ${rec.detected ? `detected after ${fmtS(rec.delay_s)} (${rec.first.service} ${rec.first.signal})` : 'NOT detected'}` +
              `, origin ${rec.origin ?? '-'}${rec.origin_right ? ' (right)' : ''}` +
              `, false ${rec.false_before.length}+${rec.false_after.length}, ${rec.wall_s.toFixed(0)} s`);
        results.runs.push(rec);
      }
    }
  }

  if (o.day) {
    /* a Tuesday-Thursday 00:00 UTC; the day before it is a Monday-Wednesday, flat on the weekly curve too */
    const dayMs = anchor(0, 86400);
    const run = { name: 'fault-free-day', seed: 1, start: iso(dayMs - o.dayHistory * 1000), duration: o.dayHistory + 86400,
                  speed: o.daySpeed, fault: null };
    log(`fault-free day: --start ${run.start} --duration ${run.duration} --speed ${o.daySpeed}, counting from ${iso(dayMs)}`);
    results.day = await runScored(o, run, log, (r) => ({ day_start: iso(dayMs), ...scoreDay(o, dayMs, r) }));
  }
  results.wall_s = (Date.now() - t0) / 1000;

  /* summary per fault type */
  const lines = [];
  const p = (s) => lines.push(s);
  p(`scenario evaluation: olly ${results.machine.commit ?? '?'}${results.machine.dirty ? '+changes' : ''}, ` +
    `${results.machine.cpus} CPUs, speed ${o.speed}, rate ${o.rate}, history ${fmtS(o.history)}, fault ${fmtS(o.faultLen)}, ` +
    `settle ${fmtS(o.settle)}`);
  const summarize = (rs) => {
    const ok = rs.filter((x) => x.ok);
    return {
      runs: rs.length, failed: rs.length - ok.length, detected: ok.filter((x) => x.detected).length,
      origin_right: ok.filter((x) => x.origin_right).length,
      median_delay_s: median(ok.map((x) => x.delay_s)), max_delay_s: ok.reduce((m, x) => Math.max(m, x.delay_s ?? 0), 0),
      false_before: ok.reduce((t, x) => t + x.false_before.length, 0),
      false_after: ok.reduce((t, x) => t + x.false_after.length, 0),
    };
  };
  if (o.faults) {
    p('');
    p(`${pad('fault type', 20)}${pad('detected', 10)}${pad('right origin', 14)}${pad('median delay', 14)}` +
      `${pad('max delay', 11)}false anomalies (before+after)`);
    const row = (name, s) => p(`${pad(name, 20)}${pad(`${s.detected}/${s.runs}`, 10)}${pad(`${s.origin_right}/${s.runs}`, 14)}` +
      `${pad(fmtS(s.median_delay_s), 14)}${pad(fmtS(s.max_delay_s), 11)}${s.false_before}+${s.false_after}` +
      `${s.failed ? `  (${s.failed} run(s) failed)` : ''}`);
    for (const type of Object.keys(FAULTS)) {
      const rs = results.runs.filter((x) => x.type === type);
      if (!rs.length) continue;
      results.summary[type] = summarize(rs);
      row(type, results.summary[type]);
    }
    results.summary.all = summarize(results.runs);
    row('all', results.summary.all);
    const bad = results.runs.filter((x) => x.ok && (!x.demo.complete || x.server.buckets_late));
    if (bad.length) p(`runs with lost telemetry or late buckets: ${bad.map((x) => x.name).join(', ')}`);
    p('');
    p('runs (fault start UTC, delay to the first anomaly about the fault, that anomaly, the alert\'s origin, false):');
    for (const x of results.runs) {
      if (!x.ok) { p(`  ${pad(x.name, 22)} FAILED: ${x.error}`); continue; }
      const fa = x.first ? `${x.first.service}${x.first.peer ? `->${x.first.peer}` : ''} ${x.first.signal}/${x.first.detector}` : '-';
      const org = `${x.origin ?? '-'}${x.origin ? (x.origin_right ? ' (right)' : ' (wrong)') : ''}${x.origin_incident_preexisting ? ' [older incident]' : ''}`;
      p(`  ${pad(x.name, 22)}${pad(`${x.target}${x.params ? ` ${x.params}` : ''}`, 42)}${pad(`${String(x.hour).padStart(2, '0')}:00`, 7)}` +
        `${pad(x.detected ? fmtS(x.delay_s) : 'missed', 8)}${pad(fa, 50)}${pad(org, 36)}` +
        `${x.false_before.length}+${x.false_after.length}${x.retried ? `  (at speed ${x.speed})` : ''}`);
    }
  }
  if (results.day) {
    p('');
    const d = results.day;
    if (!d.ok) p(`fault-free day: FAILED: ${d.error}`);
    else {
      p(`fault-free day (24 h from ${d.day_start}, speed ${d.speed}): ${d.anomalies} anomalies, ${d.incidents} incidents, ` +
        `${d.alerts} alerted${d.demo.complete ? '' : ' [TELEMETRY LOST]'}${d.server.buckets_late ? ` [${d.server.buckets_late} late buckets]` : ''}`);
      for (const a of d.list)
        p(`  ${a.onset} ${a.service}${a.peer ? `->${a.peer}` : ''}${a.operation ? ` [${a.operation}]` : ''} ${a.signal}/${a.detector} ` +
          `value ${Number(a.value).toPrecision(4)} expected ${Number(a.expected).toPrecision(4)} incident ${a.incident}`);
    }
  }
  p('');
  p(`wall time ${fmtS(results.wall_s)}; JSON in ${o.out}${o.keep ? `; run directories in ${o.work}` : ''}`);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, JSON.stringify(results, (k, v) => (typeof v === 'bigint' ? String(v) : v), 1));
  if (!o.keep) fs.rmSync(o.work, { recursive: true, force: true });
  process.stdout.write(lines.join('\n') + '\n');
  const failed = results.runs.some((x) => !x.ok) || (results.day && !results.day.ok);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { killAll(); process.stderr.write(`scenario: ${e.stack || e}\n`); process.exit(1); });
