// grpc.mjs - a raw gRPC client over node:http2 for the integration tests:
// exact control of the length prefix, compression flag, grpc-encoding and
// content type, so malformed calls can be made that a real gRPC library
// would refuse to send.

import http2 from 'node:http2';
import zlib from 'node:zlib';

export const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
export const METRICS_EXPORT = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
export const LOGS_EXPORT = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

/** 5-byte gRPC message prefix + payload. length: override the declared length. */
export function frame(payload, { compressed = false, length } = {}) {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(length ?? payload.length, 1);
  return Buffer.concat([head, payload]);
}

export const gzipFrame = (payload) => frame(zlib.gzipSync(payload), { compressed: true });

export function connect(port, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => { session.destroy(); reject(new Error(`h2 connect to ${port}: timeout`)); }, timeoutMs);
    session.once('connect', () => { clearTimeout(timer); resolve(session); });
    session.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

/**
 * One unary call. body: the bytes to send as the request body (already
 * framed). Resolves {status (HTTP), headers, trailers, data, grpcStatus,
 * grpcMessage, grpcAcceptEncoding} where grpc-* come from the trailers or,
 * for a trailers-only answer, the headers.
 */
export function call(session, path, body, { headers = {}, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    const timer = setTimeout(() => { req.close(http2.constants.NRST_CANCEL); reject(new Error(`${path}: no answer after ${timeoutMs} ms`)); }, timeoutMs);
    let respHeaders = {};
    let trailers = {};
    const chunks = [];
    req.on('response', (h) => { respHeaders = h; });
    req.on('trailers', (t) => { trailers = t; });
    req.on('data', (c) => chunks.push(c));
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const get = (k) => trailers[k] ?? respHeaders[k];
      const gs = get('grpc-status');
      let msg = get('grpc-message');
      if (msg !== undefined) { try { msg = decodeURIComponent(msg); } catch { /* as sent */ } }
      resolve({
        status: respHeaders[':status'],
        headers: respHeaders,
        trailers,
        data: Buffer.concat(chunks),
        grpcStatus: gs === undefined ? undefined : Number(gs),
        grpcMessage: msg,
        grpcAcceptEncoding: get('grpc-accept-encoding'),
      });
    };
    req.on('end', done);
    req.on('close', done);
    req.on('error', (err) => {
      if (finished) return;
      // A reset after the answer arrived still counts as that answer.
      if (respHeaders[':status']) return done();
      finished = true;
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

/** Messages of a gRPC response body (unframed payloads). */
export function unframe(data) {
  const out = [];
  let p = 0;
  while (p + 5 <= data.length) {
    const n = data.readUInt32BE(p + 1);
    out.push(data.subarray(p + 5, p + 5 + n));
    p += 5 + n;
  }
  return out;
}
