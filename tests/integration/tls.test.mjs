// tls.test.mjs - TLS on every listener: a CA and a server certificate for
// 127.0.0.1 are made with the openssl command line, `olly serve` gets
// --tls-cert/--tls-key, and the official SDK exporters (http/protobuf,
// http/json and gRPC, trusting only that CA) export over TLS; the read API
// answers over HTTPS; a plain-text client gets nothing stored; a client that
// does not trust the certificate fails its handshake and the server keeps
// serving.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { credentials } from '@grpc/grpc-js';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { Olly, waitFor } from './lib/olly.mjs';
import { request } from './lib/http.mjs';
import { attrMap, flattenSpans, span, traceRequest, traceRequestToProto } from './lib/otlp.mjs';
import { recording, setupSdkGlobals, traceExporter } from './lib/sdk.mjs';

let olly;
let dir;
let ca;

function openssl(args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, a server certificate for IP 127.0.0.1 and localhost signed by it, and an unrelated CA. */
function makeCertificates() {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=olly-test-ca']);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf']);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=some-other-ca']);
  return { cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key'), ca: fs.readFileSync(path.join(dir, 'ca.pem')) };
}

setupSdkGlobals();
before(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'olly-tls-'));
  const certs = makeCertificates();
  ca = certs.ca;
  olly = await Olly.start({ tls: certs });
});
after(async () => {
  await olly?.cleanup();
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

/** Exports one span with the SDK exporter for a transport, trusting only the test CA. */
async function exportOneSpan(transport) {
  const C = traceExporter(olly, transport, 'gzip').constructor;
  const exporter = transport === 'grpc'
    ? new C({ url: olly.otlpGrpcUrl, compression: 'gzip', credentials: credentials.createSsl(ca) })
    : new C({ url: `${olly.otlpHttpUrl}/v1/traces`, compression: 'gzip', httpAgentOptions: { ca } });
  const rec = recording(exporter);
  const tp = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `tls-${transport}` }),
    spanProcessors: [new SimpleSpanProcessor(rec.exporter)],
  });
  try {
    const s = tp.getTracer('tls').startSpan(`over-tls-${transport}`, { attributes: { transport } });
    s.end();
    await tp.forceFlush();
    await rec.idle();
    return { rec, traceId: s.spanContext().traceId };
  } finally {
    await tp.shutdown().catch(() => {});
  }
}

describe('TLS', () => {
  for (const transport of ['proto', 'json', 'grpc']) {
    it(`the SDK's ${transport} exporter exports over TLS and the span reads back over HTTPS`, async () => {
      const { rec, traceId } = await exportOneSpan(transport);
      assert.deepEqual(rec.failures(), [], `export over TLS (${transport}) failed`);
      const doc = await waitFor(() => olly.getTrace(traceId), { what: `the ${transport} trace` });
      const spans = flattenSpans(doc);
      assert.equal(spans.length, 1);
      assert.equal(spans[0].span.name, `over-tls-${transport}`);
      assert.deepEqual(attrMap(spans[0].resource.attributes)['service.name'], { stringValue: `tls-${transport}` });
    });
  }

  it('the listeners negotiate ALPN as their protocol needs: h2 for gRPC, http/1.1 for HTTP', async () => {
    const alpn = (port, protocols) => new Promise((resolve, reject) => {
      const sock = tls.connect({ host: '127.0.0.1', port, ca, ALPNProtocols: protocols }, () => {
        resolve(sock.alpnProtocol);
        sock.end();
      });
      sock.on('error', reject);
    });
    assert.equal(await alpn(olly.otlpGrpcPort, ['h2']), 'h2');
    const http1 = await alpn(olly.otlpHttpPort, ['http/1.1']);
    assert.ok(http1 === 'http/1.1' || http1 === false, `OTLP/HTTP ALPN: ${http1}`);
  });

  it('a client that does not trust the certificate fails its handshake; plain text stores nothing', async () => {
    const s = span({ name: 'untrusted' });
    const body = traceRequestToProto(traceRequest('tls-untrusted', [s]));
    await assert.rejects(
      request({ port: olly.otlpHttpPort, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' },
        body, tls: { ca: fs.readFileSync(path.join(dir, 'other.pem')) } }),
      (err) => /certificate|self.signed|verify|PEM|unable/i.test(`${err.code} ${err.message}`),
    );
    // Plain HTTP against the TLS port: no answer that could be taken as success, and nothing stored.
    const plain = await request({ port: olly.otlpHttpPort, method: 'POST', path: '/v1/traces',
      headers: { 'content-type': 'application/x-protobuf' }, body, timeoutMs: 5000 }).catch((err) => err);
    assert.ok(plain instanceof Error || plain.status !== 200, `plain HTTP on the TLS port answered ${plain.status}`);
    assert.equal(await olly.getTrace(s.traceId), null);
    // The server still serves TLS clients.
    const ok = await olly.postOtlp('/v1/traces', body, { headers: { 'content-type': 'application/x-protobuf' } });
    assert.equal(ok.status, 200);
    await waitFor(() => olly.getTrace(s.traceId), { what: 'the span sent over TLS after the bad clients' });
  });

  it('the read API and health endpoints answer over HTTPS', async () => {
    const r = await olly.api('/healthz');
    assert.equal(r.status, 200);
    const svc = await olly.getJson('/api/v1/services');
    const names = JSON.stringify(svc);
    for (const t of ['proto', 'json', 'grpc']) assert.ok(names.includes(`tls-${t}`), `service tls-${t} listed: ${names}`);
  });
});
