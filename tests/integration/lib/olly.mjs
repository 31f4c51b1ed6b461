// olly.mjs - start, stop, crash and restart the real `olly serve` binary for
// the integration tests. Every server gets its own free ports (picked at run
// time) and a temporary data directory; start() resolves once GET /readyz on
// the API port answers 200. The binary comes from $OLLY_BIN (default
// ../../build/olly relative to tests/integration); when it is missing the
// test fails with a message saying so.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from './http.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SUITE_DIR = path.resolve(HERE, '..');
export const OLLY_BIN = process.env.OLLY_BIN
  ? path.resolve(SUITE_DIR, process.env.OLLY_BIN)
  : path.resolve(SUITE_DIR, '../../build/olly');

// Sanitizer builds are several times slower: scale waits with this.
export const SLOW = /build-san/.test(OLLY_BIN) || process.env.OLLY_SLOW === '1' ? 3 : 1;

const live = new Set(); // every child still running, killed if this process exits

process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port that was free a moment ago: bind 127.0.0.1:0, read it, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

async function distinctFreePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Throws a clear error when the binary is not there or not executable. */
export function checkBinary(bin = OLLY_BIN) {
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    const exists = fs.existsSync(bin);
    throw new Error(
      `olly binary ${exists ? 'is not executable' : 'not found'}: ${bin} ` +
        `(build it with \`make -j2\` in the repository root, or set OLLY_BIN to its path)`,
    );
  }
}

const ADDR_IN_USE = /address already in use|EADDRINUSE|bind/i;

export class Olly {
  /**
   * opts: dataDir (default: a new temp dir), maxBodyBytes, fsync, fsyncIntervalMs,
   * ingestToken, apiToken, logLevel, args (extra argv), env (extra environment),
   * readyTimeoutMs, tls ({cert, key, ca}: PEM file paths for the server and
   * the CA's PEM text the clients trust; every listener then speaks TLS).
   */
  constructor(opts = {}) {
    this.opts = opts;
    this.bin = opts.bin ?? OLLY_BIN;
    this.child = null;
    this.ports = null;
    this.tmpDir = null;
    this.dataDir = opts.dataDir ?? null;
    this.output = '';        // stdout+stderr of every run, bounded
    this.exits = [];         // {code, signal} of each process that ended
    this.starts = 0;
  }

  static async start(opts = {}) {
    const o = new Olly(opts);
    await o.start();
    return o;
  }

  get otlpHttpPort() { return this.ports.otlpHttp; }
  get otlpGrpcPort() { return this.ports.otlpGrpc; }
  get apiPort() { return this.ports.http; }
  get scheme() { return this.opts.tls ? 'https' : 'http'; }
  get otlpHttpUrl() { return `${this.scheme}://127.0.0.1:${this.ports.otlpHttp}`; }
  get otlpGrpcUrl() { return `${this.scheme}://127.0.0.1:${this.ports.otlpGrpc}`; }
  get apiUrl() { return `${this.scheme}://127.0.0.1:${this.ports.http}`; }
  /** What lib/http.mjs request() needs to reach this server (undefined without TLS). */
  get clientTls() { return this.opts.tls ? { ca: this.opts.tls.ca } : undefined; }
  get pid() { return this.child?.pid; }
  get running() { return this.child !== null; }

  args() {
    const o = this.opts;
    const a = [
      'serve',
      '--data', this.dataDir,
      '--otlp-grpc', `127.0.0.1:${this.ports.otlpGrpc}`,
      '--otlp-http', `127.0.0.1:${this.ports.otlpHttp}`,
      '--http', `127.0.0.1:${this.ports.http}`,
      '--log-level', o.logLevel ?? process.env.OLLY_LOG_LEVEL ?? 'info',
    ];
    if (o.maxBodyBytes != null) a.push('--max-body-bytes', String(o.maxBodyBytes));
    if (o.fsync) a.push('--fsync', o.fsync);
    if (o.fsyncIntervalMs != null) a.push('--fsync-interval-ms', String(o.fsyncIntervalMs));
    if (o.ingestToken) a.push('--ingest-token', o.ingestToken);
    if (o.apiToken) a.push('--api-token', o.apiToken);
    if (o.tls) a.push('--tls-cert', o.tls.cert, '--tls-key', o.tls.key);
    if (o.args) a.push(...o.args);
    return a;
  }

  /** Output of the server (last 64 KiB), for error messages. */
  tail(n = 4000) {
    return this.output.length > n ? '...' + this.output.slice(-n) : this.output;
  }

  _record(chunk) {
    this.output += chunk.toString('utf8');
    if (this.output.length > 65536) this.output = this.output.slice(-65536);
  }

  /** Starts the process (new ports unless keepPorts and ports exist) and waits for /readyz. */
  async start({ keepPorts = false } = {}) {
    checkBinary(this.bin);
    if (this.child) throw new Error('olly is already running');
    if (!this.dataDir) {
      this.tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'olly-it-'));
      this.dataDir = path.join(this.tmpDir, 'data');
    }
    let lastErr;
    for (let attempt = 0; attempt < 4; attempt++) {
      if (!keepPorts || !this.ports || attempt >= 2) {
        const [otlpGrpc, otlpHttp, http] = await distinctFreePorts(3);
        this.ports = { otlpGrpc, otlpHttp, http };
      }
      try {
        await this._spawnAndWait();
        return this;
      } catch (err) {
        lastErr = err;
        // A port taken between freePort() and bind (or still held by the
        // previous process): try again, with new ports from the 3rd attempt.
        if (!err.exited || !ADDR_IN_USE.test(err.message)) throw err;
        await sleep(200);
      }
    }
    throw lastErr;
  }

  _spawnAndWait() {
    const env = { ...process.env, ...(this.opts.env ?? {}) };
    const child = spawn(this.bin, this.args(), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.starts++;
    live.add(child);
    child.stdout.on('data', (c) => this._record(c));
    child.stderr.on('data', (c) => this._record(c));
    child.exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        live.delete(child);
        this.exits.push({ code, signal });
        if (this.child === child) this.child = null;
        resolve({ code, signal });
      });
      child.on('error', (err) => {
        live.delete(child);
        if (this.child === child) this.child = null;
        resolve({ code: null, signal: null, error: err });
      });
    });
    const timeoutMs = (this.opts.readyTimeoutMs ?? 20000) * SLOW;
    return new Promise((resolve, reject) => {
      let done = false;
      const fail = (err) => { if (!done) { done = true; reject(err); } };
      child.exitPromise.then(({ code, signal, error }) => {
        const out = this.tail();
        const e = new Error(
          `olly serve exited before it was ready (${error ? error.message : `code ${code}, signal ${signal}`})\n` +
            `command: ${this.bin} ${this.args().join(' ')}\noutput:\n${out}`,
        );
        e.exited = true;
        fail(e);
      });
      (async () => {
        const deadline = Date.now() + timeoutMs;
        let last = 'no answer';
        while (!done && Date.now() < deadline) {
          try {
            const r = await request({ port: this.ports.http, path: '/readyz', timeoutMs: 1000, tls: this.clientTls });
            if (r.status === 200) { done = true; resolve(); return; }
            last = `HTTP ${r.status}`;
          } catch (err) {
            last = err.code ?? err.message;
          }
          await sleep(50);
        }
        if (!done) {
          fail(new Error(`olly serve was not ready after ${timeoutMs} ms (GET /readyz: ${last})\noutput:\n${this.tail()}`));
          await this.kill9().catch(() => {});
        }
      })();
    });
  }

  /** SIGTERM, then SIGKILL after timeoutMs. Resolves with the exit {code, signal}. */
  async stop({ timeoutMs = 10000 } = {}) {
    const child = this.child;
    if (!child) return this.exits.at(-1) ?? null;
    child.kill('SIGTERM');
    let handle;
    const timer = new Promise((resolve) => { handle = setTimeout(() => resolve('timeout'), timeoutMs * SLOW); });
    const r = await Promise.race([child.exitPromise, timer]);
    clearTimeout(handle);
    if (r === 'timeout') {
      child.kill('SIGKILL');
      const e = await child.exitPromise;
      e.forced = true;
      return e;
    }
    return r;
  }

  /** kill -9 and wait until the process is gone. */
  async kill9() {
    const child = this.child;
    if (!child) return null;
    child.kill('SIGKILL');
    return child.exitPromise;
  }

  /** Crash (kill -9) and start again on the same data dir, same ports when possible. */
  async crashRestart() {
    await this.kill9();
    return this.start({ keepPorts: true });
  }

  /** Graceful stop and start again on the same data dir. */
  async restart() {
    await this.stop();
    return this.start({ keepPorts: true });
  }

  /** Stops the server and removes its temp dir (unless OLLY_KEEP_DATA=1). */
  async cleanup() {
    await this.stop().catch(() => {});
    if (this.tmpDir && process.env.OLLY_KEEP_DATA !== '1') {
      await fsp.rm(this.tmpDir, { recursive: true, force: true }).catch(() => {});
    }
  }

  /** GET (or other method) on the API port; returns {status, headers, body, json}. */
  async api(p, { method = 'GET', token, headers = {}, body, timeoutMs = 10000 } = {}) {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    else if (this.opts.apiToken && !('authorization' in h)) h.authorization = `Bearer ${this.opts.apiToken}`;
    const r = await request({ port: this.ports.http, method, path: p, headers: h, body, timeoutMs, tls: this.clientTls });
    r.json = undefined;
    if ((r.headers['content-type'] ?? '').includes('json') || /^\s*[{[]/.test(r.body.toString('utf8', 0, 16))) {
      try { r.json = JSON.parse(r.body.toString('utf8')); } catch { /* left undefined */ }
    }
    return r;
  }

  /** GET that must answer 200 with JSON; returns the parsed body. */
  async getJson(p, opts) {
    const r = await this.api(p, opts);
    if (r.status !== 200 || r.json === undefined) {
      throw new Error(`GET ${p}: HTTP ${r.status}: ${r.body.toString('utf8').slice(0, 500)}`);
    }
    return r.json;
  }

  /** The trace as OTLP/JSON, or null when the server says 404. */
  async getTrace(traceId) {
    const r = await this.api(`/api/v1/traces/${traceId}`);
    if (r.status === 404) return null;
    if (r.status !== 200 || r.json === undefined) {
      throw new Error(`GET trace ${traceId}: HTTP ${r.status}: ${r.body.toString('utf8').slice(0, 500)}`);
    }
    return r.json;
  }

  /** POST to the OTLP/HTTP port. */
  async postOtlp(p, body, { headers = {}, token, timeoutMs = 10000 } = {}) {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    else if (this.opts.ingestToken && !('authorization' in h)) h.authorization = `Bearer ${this.opts.ingestToken}`;
    return request({ port: this.ports.otlpHttp, method: 'POST', path: p, headers: h, body, timeoutMs, tls: this.clientTls });
  }
}

/** Polls fn until it returns a truthy value; throws the last result/error after timeoutMs
 * (times SLOW unless `slow` says otherwise). */
export async function waitFor(fn, { timeoutMs = 5000, intervalMs = 50, what = 'condition', slow = SLOW } = {}) {
  const deadline = Date.now() + timeoutMs * slow;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 500);
      throw new Error(`timed out waiting for ${what}: ${detail}`);
    }
    await sleep(intervalMs);
  }
}
