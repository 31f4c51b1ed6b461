// alerting.mjs - what the alerting integration tests need around a real
// `olly serve`: local HTTP receivers that record every request body (and can
// be told to fail or hang), Debian's prometheus-alertmanager started on
// loopback with a webhook receiver and stopped by PID, `olly demo` runs in
// accelerated simulated time from a fixed point of a weekday (so the traffic
// is the same whatever day the suite runs), a Prometheus text parser for
// /metrics, and RFC 3339 times with nanoseconds.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { OLLY_BIN, Olly, SLOW, checkBinary, freePort, sleep, waitFor } from './olly.mjs';
import { request } from './http.mjs';

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

const live = new Set(); // children killed if this process exits first
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

export async function tempDir(prefix) {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir) {
  if (dir && process.env.OLLY_KEEP_DATA !== '1') await fsp.rm(dir, { recursive: true, force: true }).catch(() => {});
}

export async function writeJson(dir, name, value) {
  const file = path.join(dir, name);
  await fsp.writeFile(file, JSON.stringify(value, null, 2));
  return file;
}

/** Polls fn until it returns a truthy value (no SLOW scaling: callers pass what they mean). */
export const until = (fn, { timeoutMs, intervalMs = 200, what = 'condition' }) =>
  waitFor(fn, { timeoutMs, intervalMs, what, slow: 1 });

// ---------------------------------------------------------------------------
// Times

/** RFC 3339 with up to nine fractional digits -> BigInt Unix ns (null for null). */
export function timeNs(s) {
  if (s == null) return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) throw new Error(`not an RFC 3339 time: ${JSON.stringify(s)}`);
  const secMs = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(secMs)) throw new Error(`not an RFC 3339 time: ${JSON.stringify(s)}`);
  return BigInt(secMs) * 1000000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

export const msToNs = (ms) => BigInt(Math.round(ms)) * 1000000n;
export const nsToIso = (ns) => new Date(Number(ns / 1000000n)).toISOString();

/**
 * The most recent Monday-Thursday (weekly factor 1.0 in the demo) at
 * hourUtc:00 UTC whose run of lengthMs ends at least marginMs before now: a
 * start that gives the same simulated traffic whatever day it is.
 */
export function weekdayStart(hourUtc, lengthMs, marginMs = 10 * 60000) {
  const d = new Date();
  d.setUTCHours(hourUtc, 0, 0, 0);
  for (let i = 0; i < 10; i++) {
    const dow = d.getUTCDay();
    if (dow >= 1 && dow <= 4 && d.getTime() + lengthMs + marginMs <= Date.now()) return d;
    d.setUTCDate(d.getUTCDate() - 1);
  }
  throw new Error('no weekday start found');
}

// ---------------------------------------------------------------------------
// Receivers

/**
 * A local HTTP server that records every request: {n, at (ms), method, url,
 * headers, text, json, status}. respond(req, n) decides the answer:
 * {status, body, delayMs, hang} (default 200 "ok"); hang keeps the request
 * open until the client gives up or the receiver closes.
 */
export class Receiver {
  constructor(name, respond) {
    this.name = name;
    this.respond = respond ?? (() => ({ status: 200 }));
    this.requests = [];
    this.server = null;
    this.port = null;
    this.hanging = new Set();
  }

  static async start(name, respond) {
    const r = new Receiver(name, respond);
    await r.listen();
    return r;
  }

  get url() { return `http://127.0.0.1:${this.port}`; }

  listen() {
    this.server = http.createServer((req, res) => {
      const parts = [];
      req.on('data', (c) => parts.push(c));
      req.on('end', async () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        const rec = {
          n: this.requests.length + 1, at: Date.now(), method: req.method, url: req.url,
          headers: req.headers, text, json, status: null,
        };
        this.requests.push(rec);
        let a;
        try { a = (await this.respond(rec, rec.n)) ?? {}; } catch (err) { a = { status: 599, body: String(err) }; }
        if (a.hang) {
          rec.status = 'hang';
          this.hanging.add(res);
          res.on('close', () => this.hanging.delete(res));
          return;
        }
        if (a.delayMs) await sleep(a.delayMs);
        rec.status = a.status ?? 200;
        res.writeHead(rec.status, { 'content-type': 'text/plain', ...(a.headers ?? {}) });
        res.end(a.body ?? (rec.status < 300 ? 'ok' : 'failed on purpose'));
      });
    });
    return new Promise((resolve, reject) => {
      this.server.on('error', reject);
      this.server.listen(0, '127.0.0.1', () => { this.port = this.server.address().port; resolve(); });
    });
  }

  /** Recorded requests with a JSON body, optionally those fn accepts. */
  bodies(fn = () => true) {
    return this.requests.filter((r) => r.json !== undefined && fn(r.json, r)).map((r) => r.json);
  }

  async close() {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections?.();
    await new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Short description of what was received, for assertion messages. */
  describe(max = 12) {
    const lines = this.requests.slice(-max).map((r) =>
      `  #${r.n} ${new Date(r.at).toISOString()} ${r.method} ${r.url} -> ${r.status}: ${r.text.slice(0, 300)}`);
    return `${this.name}: ${this.requests.length} request(s)${lines.length ? '\n' + lines.join('\n') : ''}`;
  }
}

// ---------------------------------------------------------------------------
// Alertmanager

export function checkAlertmanager(bin = ALERTMANAGER_BIN) {
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    throw new Error(`prometheus-alertmanager not found at ${bin} (scripts/setup.sh installs Debian's ` +
      'prometheus-alertmanager; or set ALERTMANAGER_BIN)');
  }
}

/**
 * Debian's prometheus-alertmanager on 127.0.0.1 (a free port), without
 * gossip, its storage in a temp dir, one route to a webhook receiver with
 * send_resolved. start() resolves once GET /-/ready answers 200.
 */
export class Alertmanager {
  constructor({ webhookUrl, groupBy = ['alertname', 'service', 'incident'], groupWait = '1s',
    groupInterval = '1s', repeatInterval = '24h', bin = ALERTMANAGER_BIN } = {}) {
    this.opts = { webhookUrl, groupBy, groupWait, groupInterval, repeatInterval };
    this.bin = bin;
    this.child = null;
    this.port = null;
    this.dir = null;
    this.output = '';
  }

  static async start(opts) {
    const am = new Alertmanager(opts);
    await am.start();
    return am;
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get pid() { return this.child?.pid; }

  config() {
    const o = this.opts;
    // YAML is a superset of JSON: no YAML writer needed.
    return JSON.stringify({
      route: {
        receiver: 'hook', group_by: o.groupBy, group_wait: o.groupWait,
        group_interval: o.groupInterval, repeat_interval: o.repeatInterval,
      },
      receivers: [{ name: 'hook', webhook_configs: [{ url: o.webhookUrl, send_resolved: true, max_alerts: 0 }] }],
    }, null, 2);
  }

  tail(n = 3000) { return this.output.length > n ? '...' + this.output.slice(-n) : this.output; }

  async start() {
    checkAlertmanager(this.bin);
    this.dir = await tempDir('olly-it-am-');
    const cfg = path.join(this.dir, 'alertmanager.yml');
    await fsp.writeFile(cfg, this.config());
    let lastErr;
    for (let attempt = 0; attempt < 3; attempt++) {
      this.port = await freePort();
      try {
        await this._spawn(cfg);
        return this;
      } catch (err) {
        lastErr = err;
        if (!err.exited || !/address already in use/i.test(this.output)) throw err;
      }
    }
    throw lastErr;
  }

  _spawn(cfg) {
    const args = [
      `--config.file=${cfg}`,
      `--storage.path=${path.join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      '--cluster.listen-address=',
      '--log.level=info',
    ];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    const rec = (c) => { this.output += c.toString('utf8'); if (this.output.length > 65536) this.output = this.output.slice(-65536); };
    child.stdout.on('data', rec);
    child.stderr.on('data', rec);
    child.exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => { live.delete(child); if (this.child === child) this.child = null; resolve({ code, signal }); });
      child.on('error', (error) => { live.delete(child); if (this.child === child) this.child = null; resolve({ error }); });
    });
    return new Promise((resolve, reject) => {
      let done = false;
      child.exitPromise.then((e) => {
        if (done) return;
        done = true;
        const err = new Error(`prometheus-alertmanager exited before it was ready (${JSON.stringify(e)})\n` +
          `command: ${this.bin} ${args.join(' ')}\noutput:\n${this.tail()}`);
        err.exited = true;
        reject(err);
      });
      (async () => {
        const deadline = Date.now() + 20000;
        let last = 'no answer';
        while (!done && Date.now() < deadline) {
          try {
            const r = await request({ port: this.port, path: '/-/ready', timeoutMs: 1000 });
            if (r.status === 200) { done = true; resolve(); return; }
            last = `HTTP ${r.status}`;
          } catch (err) { last = err.code ?? err.message; }
          await sleep(100);
        }
        if (!done) {
          done = true;
          child.kill('SIGKILL');
          reject(new Error(`prometheus-alertmanager not ready after 20 s (GET /-/ready: ${last})\n${this.tail()}`));
        }
      })();
    });
  }

  /** GET /api/v2/alerts (active, silenced, inhibited, unprocessed). */
  async alerts() {
    const r = await request({ port: this.port, path: '/api/v2/alerts', timeoutMs: 5000 });
    if (r.status !== 200) throw new Error(`GET /api/v2/alerts: HTTP ${r.status}: ${r.body}`);
    return JSON.parse(r.body.toString('utf8'));
  }

  /** POST /api/v2/alerts with a list of postableAlert; returns {status, body}. */
  async postAlerts(list) {
    const r = await request({
      port: this.port, method: 'POST', path: '/api/v2/alerts',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify(list), timeoutMs: 5000,
    });
    return { status: r.status, body: r.body.toString('utf8') };
  }

  /** SIGTERM by PID, SIGKILL after timeoutMs. */
  async stop({ timeoutMs = 10000 } = {}) {
    const child = this.child;
    if (!child) return null;
    child.kill('SIGTERM');
    let t;
    const r = await Promise.race([child.exitPromise, new Promise((res) => { t = setTimeout(() => res('timeout'), timeoutMs); })]);
    clearTimeout(t);
    if (r !== 'timeout') return r;
    child.kill('SIGKILL');
    return child.exitPromise;
  }

  async cleanup() {
    await this.stop().catch(() => {});
    await removeDir(this.dir);
  }
}

/** Every alert an Alertmanager webhook receiver was told about, with the message status. */
export function webhookAlerts(receiver) {
  const out = [];
  for (const msg of receiver.bodies((j) => Array.isArray(j?.alerts))) {
    for (const a of msg.alerts) out.push({ ...a, messageStatus: msg.status, groupKey: msg.groupKey });
  }
  return out;
}

// ---------------------------------------------------------------------------
// olly demo

/**
 * `olly demo` sending OTLP/HTTP to olly in simulated time. opts: start
 * (Date), duration ('75m'), speed, rate, seed, faults (spec strings), args
 * (extra flags), truth (write the ground truth here). run() resolves when
 * the demo ends with {code, signal, summary (the --json object), output}.
 */
export class Demo {
  constructor(olly, opts) {
    this.olly = olly;
    this.opts = opts;
    this.child = null;
    this.output = '';
    this.stdout = '';
  }

  args() {
    const o = this.opts;
    const a = [
      'demo', '--target', this.olly.otlpHttpUrl, '--protocol', 'http',
      '--start', o.start.toISOString().replace(/\.000Z$/, 'Z'), '--duration', o.duration,
      '--speed', String(o.speed), '--rate', String(o.rate), '--seed', String(o.seed ?? 1),
      '--status', String(o.status ?? 10), '--json',
    ];
    for (const f of o.faults ?? []) a.push('--fault', f);
    if (o.truth) a.push('--truth', o.truth);
    if (o.args) a.push(...o.args);
    return a;
  }

  tail(n = 3000) { return this.output.length > n ? '...' + this.output.slice(-n) : this.output; }

  /** Starts the demo; returns a promise of its end. */
  run() {
    checkBinary(this.opts.bin ?? OLLY_BIN);
    const child = spawn(this.opts.bin ?? OLLY_BIN, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.startedAt = Date.now();
    live.add(child);
    child.stdout.on('data', (c) => { this.stdout += c.toString('utf8'); });
    child.stderr.on('data', (c) => { this.output += c.toString('utf8'); if (this.output.length > 65536) this.output = this.output.slice(-65536); });
    this.done = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        live.delete(child);
        this.child = null;
        let summary = null;
        try { summary = JSON.parse(this.stdout); } catch { /* left null */ }
        this.wallMs = Date.now() - this.startedAt;
        resolve({ code, signal, summary, output: this.tail() });
      });
      child.on('error', (error) => { live.delete(child); this.child = null; resolve({ code: null, error, output: String(error) }); });
    });
    return this.done;
  }

  /** SIGTERM by PID (the demo flushes and prints its summary). */
  async stop() {
    if (this.child) this.child.kill('SIGTERM');
    return this.done;
  }
}

/** Runs a demo to its end and checks it sent everything it generated. */
export async function runDemo(olly, opts, { allowFailures = false } = {}) {
  const d = new Demo(olly, opts);
  const r = await d.run();
  const ctx = `olly ${d.args().join(' ')}\nexit ${r.code} ${r.signal ?? ''}\n${r.output}\n${d.stdout.slice(0, 2000)}`;
  if (r.code !== 0 || !r.summary) throw new Error(`the demo failed:\n${ctx}`);
  if (!allowFailures && (r.summary.requests_failed !== 0 || r.summary.dropped_requests !== 0)) {
    throw new Error(`the demo lost requests (requests_failed ${r.summary.requests_failed}, ` +
      `dropped_requests ${r.summary.dropped_requests}, first_error ${JSON.stringify(r.summary.first_error)}):\n${ctx}`);
  }
  r.demo = d;
  r.wallMs = d.wallMs;
  return r;
}

// ---------------------------------------------------------------------------
// /metrics

/** Prometheus text -> [{name, labels, value}] (comments skipped). */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l;
      while ((l = re.exec(m[2]))) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one series with that name and (at least) those labels; undefined when absent. */
export function metric(series, name, labels = {}) {
  const hits = series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${name}${JSON.stringify(labels)} matches ${hits.length} series`);
  return hits[0]?.value;
}

export async function scrape(olly) {
  const r = await olly.api('/metrics');
  if (r.status !== 200) throw new Error(`GET /metrics: HTTP ${r.status}`);
  return parseMetrics(r.body.toString('utf8'));
}

export { SLOW };

// ---------------------------------------------------------------------------
// olly serve with alerting

/**
 * Olly with --external-url set to its own API URL (known only once its
 * ports are chosen) and, when given, --alerts-config.
 */
export class AlertingOlly extends Olly {
  constructor(opts = {}) {
    super(opts);
    this.alertsConfig = opts.alertsConfig ?? null;
  }

  static async start(opts = {}) {
    const o = new AlertingOlly(opts);
    await o.start();
    return o;
  }

  args() {
    const a = super.args();
    a.push('--external-url', this.apiUrl);
    if (this.alertsConfig) a.push('--alerts-config', this.alertsConfig);
    return a;
  }

  /** GET /api/v1/anomalies over all event time; query: service, status, incident, limit. */
  async anomalies(query = {}) {
    const q = new URLSearchParams({ start: '1', end: String(BigInt(Date.now() + 86400000) * 1000000n), limit: '10000', ...query });
    return (await this.getJson(`/api/v1/anomalies?${q}`)).anomalies;
  }

  async baselines(query = {}) {
    const q = new URLSearchParams(query).toString();
    return this.getJson(`/api/v1/baselines${q ? '?' + q : ''}`);
  }

  async alerts() {
    return this.getJson('/api/v1/alerts');
  }
}

/** Skips nothing: fails with a clear message when the binary lacks the alerting flags. */
export async function checkServeFlags(bin = OLLY_BIN, flags = ['--alerts-config', '--external-url']) {
  checkBinary(bin);
  const out = await new Promise((resolve) => {
    const c = spawn(bin, ['serve', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let s = '';
    c.stdout.on('data', (d) => { s += d; });
    c.stderr.on('data', (d) => { s += d; });
    c.on('exit', () => resolve(s));
    c.on('error', (e) => resolve(String(e)));
  });
  const missing = flags.filter((f) => !out.includes(f));
  if (missing.length) throw new Error(`${bin} serve --help does not list ${missing.join(', ')}`);
}

/** Demo start and the event-time window of a fault at offsetMin for lenMin minutes. */
export function faultWindow(start, offsetMin, lenMin) {
  const s = msToNs(start.getTime() + offsetMin * 60000);
  return { startNs: s, endNs: s + BigInt(lenMin * 60) * 1000000000n };
}
