// http.mjs - HTTP client helpers for the integration tests: a promise-based
// node:http request without connection reuse, and a raw TCP connection that
// writes exact bytes and parses HTTP/1.1 responses itself (keep-alive,
// Expect: 100-continue, bodies cut short, oversized heads).

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/**
 * One request on a fresh connection. body: Buffer|string|undefined.
 * chunked: send the body with Transfer-Encoding: chunked in `chunks` pieces.
 * Resolves {status, headers, body} even when the server answers before the
 * whole body was written (413 on an oversized body); rejects on connection
 * errors before any answer, and after timeoutMs. tls: {ca} for HTTPS.
 */
export function request({
  host = '127.0.0.1', port, method = 'GET', path = '/', headers = {}, body,
  chunked = false, chunks = 3, timeoutMs = 10000, tls,
}) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn, v) => { if (!settled) { settled = true; clearTimeout(timer); fn(v); } };
    const h = { ...headers };
    const buf = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (buf && !chunked && !Object.keys(h).some((k) => k.toLowerCase() === 'content-length')) {
      h['content-length'] = String(buf.length);
    }
    if (chunked) h['transfer-encoding'] = 'chunked';
    // tls: {ca} speaks HTTPS and trusts only that CA (the test's own certificate).
    const req = tls
      ? https.request({ host, port, method, path, headers: h, agent: false, ca: tls.ca, servername: tls.servername })
      : http.request({ host, port, method, path, headers: h, agent: false });
    const timer = setTimeout(() => {
      finish(reject, Object.assign(new Error(`${method} ${path} on port ${port}: no answer after ${timeoutMs} ms`), { code: 'ETIMEOUT' }));
      req.destroy();
    }, timeoutMs);
    req.on('response', (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      const done = () => finish(resolve, { status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('error', (err) => finish(reject, err));
    if (buf && chunked) {
      const step = Math.max(1, Math.ceil(buf.length / chunks));
      for (let i = 0; i < buf.length; i += step) req.write(buf.subarray(i, i + step));
      req.end();
    } else {
      req.end(buf);
    }
  });
}

/**
 * Parses one HTTP/1.1 response from the start of buf. Returns
 * {response: {status, reason, headers, body}, consumed} or null when more
 * bytes are needed. closed: the peer closed, so a body without length ends here.
 */
export function parseResponse(buf, { closed = false, head = false } = {}) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!m) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
  const status = Number(m[1]);
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`bad header line: ${JSON.stringify(line)}`);
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  let p = end + 4;
  const response = { status, reason: m[2] ?? '', headers, body: Buffer.alloc(0) };
  if ((status >= 100 && status < 200) || status === 204 || status === 304 || head) {
    return { response, consumed: p };
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    for (;;) {
      const le = buf.indexOf('\r\n', p);
      if (le < 0) return null;
      const size = parseInt(buf.subarray(p, le).toString('latin1').split(';')[0], 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size');
      p = le + 2;
      if (size === 0) {
        // trailers until an empty line
        for (;;) {
          const te = buf.indexOf('\r\n', p);
          if (te < 0) return null;
          const empty = te === p;
          p = te + 2;
          if (empty) break;
        }
        response.body = Buffer.concat(parts);
        return { response, consumed: p };
      }
      if (buf.length < p + size + 2) return null;
      parts.push(buf.subarray(p, p + size));
      p += size + 2;
    }
  }
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (buf.length < p + n) return null;
    response.body = buf.subarray(p, p + n);
    return { response, consumed: p + n };
  }
  if (!closed) return null;
  response.body = buf.subarray(p);
  return { response, consumed: buf.length };
}

/** A raw TCP connection to 127.0.0.1:port that sends exact bytes and reads HTTP/1.1 responses. */
export class RawConnection {
  static connect(port, { host = '127.0.0.1', timeoutMs = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`connect to ${port}: timeout`)); }, timeoutMs);
      sock.once('connect', () => { clearTimeout(timer); resolve(new RawConnection(sock)); });
      sock.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.closed = false;
    this.error = null;
    this.waiters = [];
    sock.on('data', (c) => { this.buf = Buffer.concat([this.buf, c]); this._wake(); });
    sock.on('end', () => { this.closed = true; this._wake(); });
    sock.on('close', () => { this.closed = true; this._wake(); });
    sock.on('error', (err) => { this.error = err; this.closed = true; this._wake(); });
  }

  _wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  _changed(timeoutMs) {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  /** Writes bytes; resolves false instead of throwing when the peer is gone. */
  write(data) {
    return new Promise((resolve) => {
      if (this.closed || this.sock.destroyed) return resolve(false);
      this.sock.write(data, (err) => resolve(!err));
    });
  }

  /**
   * Next complete response (interim 1xx responses included, as their own
   * response). Rejects after timeoutMs, or when the connection closed first.
   */
  async readResponse({ timeoutMs = 5000, head = false } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = parseResponse(this.buf, { closed: this.closed, head });
      if (r) {
        this.buf = this.buf.subarray(r.consumed);
        return r.response;
      }
      if (this.closed) {
        const e = new Error(`connection closed before a complete response (${this.buf.length} bytes buffered` +
          `${this.error ? `, ${this.error.code ?? this.error.message}` : ''})`);
        e.code = 'ECLOSED';
        throw e;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const e = new Error(`no complete response after ${timeoutMs} ms (${this.buf.length} bytes buffered: ` +
          `${JSON.stringify(this.buf.toString('latin1', 0, 200))})`);
        e.code = 'ETIMEOUT';
        throw e;
      }
      await this._changed(left);
    }
  }

  /** Resolves true once the peer closed the connection, false after timeoutMs. */
  async waitClosed(timeoutMs = 2000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this._changed(deadline - Date.now());
    return this.closed;
  }

  destroy() { this.sock.destroy(); }
}

/** Serialises a request head: method, path, header pairs ([name, value] list or object). */
export function requestHead(method, path, headers) {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  return Buffer.from(`${method} ${path} HTTP/1.1\r\n${pairs.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1');
}

/**
 * POST over a raw connection, writing the body in pieces and stopping as
 * soon as the server has answered (or closed): the way to see a 413 that a
 * server sends before it has read a large body, without racing its close.
 * headers: [name, value] pairs (Host and Content-Length or chunked added).
 */
export async function rawPost(port, path, headers, body, { chunked = false, piece = 16384, timeoutMs = 10000 } = {}) {
  const conn = await RawConnection.connect(port);
  try {
    const h = [['Host', '127.0.0.1'], ...headers,
      chunked ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', String(body.length)]];
    await conn.write(requestHead('POST', path, h));
    for (let i = 0; i < body.length && conn.buf.length === 0 && !conn.closed; i += piece) {
      const part = body.subarray(i, i + piece);
      const ok = await conn.write(chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part);
      if (!ok) break;
    }
    if (chunked && conn.buf.length === 0 && !conn.closed) await conn.write('0\r\n\r\n');
    return await conn.readResponse({ timeoutMs });
  } finally {
    conn.destroy();
  }
}
