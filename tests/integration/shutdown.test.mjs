// shutdown.test.mjs - SIGTERM drains: a request whose body is half sent when
// the signal arrives is still read, stored and answered 200; the process then
// exits 0, and after a restart on the same data directory that request and
// everything acknowledged before it are there, once.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Olly, sleep, waitFor } from './lib/olly.mjs';
import { RawConnection, requestHead } from './lib/http.mjs';
import { flattenSpans, span, traceRequest, traceRequestToProto } from './lib/otlp.mjs';

let olly;
after(async () => { await olly?.cleanup(); });

describe('graceful shutdown', () => {
  it('SIGTERM lets an in-flight request finish, then exits 0 with the data durable', async () => {
    olly = await Olly.start();
    const before = span({ name: 'before-sigterm' });
    const r0 = await olly.postOtlp('/v1/traces', traceRequestToProto(traceRequest('drain', [before])),
      { headers: { 'content-type': 'application/x-protobuf' } });
    assert.equal(r0.status, 200);

    const inflight = span({ name: 'in-flight-at-sigterm' });
    const body = traceRequestToProto(traceRequest('drain', [inflight]));
    const conn = await RawConnection.connect(olly.otlpHttpPort);
    try {
      await conn.write(requestHead('POST', '/v1/traces', {
        host: '127.0.0.1', 'content-type': 'application/x-protobuf', 'content-length': body.length,
      }));
      const half = Math.floor(body.length / 2);
      await conn.write(body.subarray(0, half));
      await sleep(100);
      const exited = olly.child.exitPromise;
      olly.child.kill('SIGTERM');
      await sleep(300);
      assert.ok(olly.running, 'the server waits for the in-flight request');
      await conn.write(body.subarray(half));
      const r = await conn.readResponse({ timeoutMs: 10000 });
      assert.equal(r.status, 200, `in-flight request answered: ${r.status} ${r.body}`);
      const exit = await Promise.race([exited, sleep(15000).then(() => ({ timeout: true }))]);
      assert.ok(!exit.timeout, 'the server exited after draining');
      assert.equal(exit.code, 0, `clean exit: ${JSON.stringify(exit)}\n${olly.tail()}`);
    } finally {
      conn.destroy();
    }

    await olly.start({ keepPorts: true });
    for (const s of [before, inflight]) {
      const doc = await waitFor(() => olly.getTrace(s.traceId), { what: s.name });
      const spans = flattenSpans(doc);
      assert.equal(spans.length, 1, `${s.name} stored once`);
      assert.equal(spans[0].span.name, s.name);
    }
  });
});
