// crash.test.mjs - durability under kill -9. A few concurrent clients that
// never retry send batches of spans (OTLP/JSON over HTTP, unique ids, one
// request at a time per client) while the test kills the server with SIGKILL
// at random moments and restarts it on the same data directory. At the end
// every span whose request got a 200 must be readable exactly once; spans of
// requests that failed may be there or not, but never twice. Then a graceful
// restart (SIGTERM) must keep everything too.
// OLLY_CRASH_SEED=<n> replays a run's random choices (the seed is printed).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Olly, SLOW, sleep } from './lib/olly.mjs';
import { request } from './lib/http.mjs';
import { flattenSpans, newSpanId, newTraceId, nowNs, span, traceRequest } from './lib/otlp.mjs';

const STREAMS = 4;
const MAX_SPANS_PER_REQUEST = 20;
const PAUSE_MS = 5; // between two requests of one client

const seed = Number(process.env.OLLY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
function mulberry32(a) {
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(seed);

let olly;
before(async () => { olly = await Olly.start({ logLevel: 'warn' }); });
after(async () => { await olly?.cleanup(); });

/** Runs fn over items with at most n in flight. */
async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

/** Checks acknowledged batches (each span exactly once) and the others (never twice). Returns problems. */
async function verify(acked, unacked) {
  const problems = [];
  let presentUnacked = 0;
  const check = async (b, required) => {
    let doc;
    try {
      doc = await olly.getTrace(b.traceId);
    } catch (err) {
      problems.push(`trace ${b.traceId}: ${err.message}`);
      return;
    }
    if (!doc) {
      if (required) problems.push(`acknowledged trace ${b.traceId} (${b.spanIds.length} spans, ${b.note}) is missing`);
      return;
    }
    if (!required) presentUnacked++;
    const seen = new Map();
    for (const e of flattenSpans(doc)) seen.set(e.span.spanId, (seen.get(e.span.spanId) ?? 0) + 1);
    for (const id of b.spanIds) {
      const c = seen.get(id) ?? 0;
      if (c > 1) problems.push(`trace ${b.traceId}: span ${id} stored ${c} times`);
      if (required && c === 0) problems.push(`acknowledged trace ${b.traceId}: span ${id} missing`);
    }
    for (const id of seen.keys()) {
      if (!b.spanIds.includes(id)) problems.push(`trace ${b.traceId}: unknown span ${id}`);
    }
  };
  await pool(acked, 8, (b) => check(b, true));
  await pool(unacked, 8, (b) => check(b, false));
  return { problems, presentUnacked };
}

describe('crash safety', () => {
  it('kill -9 at random moments loses no acknowledged span and duplicates none', { timeout: 240000 * SLOW }, async (t) => {
    t.diagnostic(`seed ${seed} (OLLY_CRASH_SEED=${seed} replays it)`);
    const acked = [];
    const unacked = [];
    const statuses = {};
    const errors = {};
    let stop = false;

    const client = async (c) => {
      let seq = 0;
      while (!stop) {
        const traceId = newTraceId();
        const n = 1 + Math.floor(rand() * MAX_SPANS_PER_REQUEST);
        const spans = [];
        const end = nowNs();
        for (let i = 0; i < n; i++) {
          spans.push(span({
            traceId, spanId: newSpanId(), parentSpanId: i ? spans[0].spanId : undefined,
            name: `crash-op-${i % 5}`, startNs: end - BigInt(1000000 * (n - i + 1)), endNs: end - BigInt(1000000 * (n - i)),
            attributes: { 'client.id': c, 'client.seq': seq, 'span.index': i, payload: 'p'.repeat(Math.floor(rand() * 200)) },
          }));
        }
        const batch = { traceId, spanIds: spans.map((s) => s.spanId), note: `client ${c} seq ${seq}` };
        seq++;
        const body = Buffer.from(JSON.stringify(traceRequest(`crash-client-${c}`, spans)));
        try {
          const r = await request({
            port: olly.otlpHttpPort, method: 'POST', path: '/v1/traces',
            headers: { 'content-type': 'application/json' }, body, timeoutMs: 5000 * SLOW,
          });
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status === 200) {
            const resp = JSON.parse(r.body.toString('utf8') || '{}');
            if (resp.partialSuccess && Number(resp.partialSuccess.rejectedSpans ?? 0) > 0) {
              batch.note += ` (partial success: ${JSON.stringify(resp.partialSuccess)})`;
              unacked.push(batch);
            } else {
              acked.push(batch);
            }
          } else {
            unacked.push(batch);
            await sleep(20);
          }
        } catch (err) {
          errors[err.code ?? err.message] = (errors[err.code ?? err.message] ?? 0) + 1;
          unacked.push(batch);
          await sleep(20); // server down: do not spin, and do not retry this batch
        }
        await sleep(PAUSE_MS);
      }
    };

    const clients = Array.from({ length: STREAMS }, (_, c) => client(c));
    const kills = 3 + Math.floor(rand() * 3);
    const downtimes = [];
    try {
      await sleep(300);
      for (let k = 0; k < kills; k++) {
        await sleep(300 + Math.floor(rand() * 900));
        const before = acked.length;
        const exit = await olly.kill9();
        assert.equal(exit?.signal, 'SIGKILL', `olly died of the kill, not before it (exit ${JSON.stringify(exit)})\n${olly.tail()}`);
        await sleep(Math.floor(rand() * 200));
        const t0 = Date.now();
        await olly.start({ keepPorts: true });
        downtimes.push(Date.now() - t0);
        t.diagnostic(`kill ${k + 1}/${kills}: ${before} batches acknowledged before it; restart took ${Date.now() - t0} ms`);
      }
      await sleep(500);
    } finally {
      stop = true;
      await Promise.all(clients);
    }

    const spansAcked = acked.reduce((a, b) => a + b.spanIds.length, 0);
    t.diagnostic(`acknowledged ${acked.length} requests (${spansAcked} spans), unacknowledged ${unacked.length}; ` +
      `statuses ${JSON.stringify(statuses)}; client errors ${JSON.stringify(errors)}`);
    assert.ok(acked.length >= kills, `some requests were acknowledged (${acked.length})`);
    assert.ok(unacked.every((b) => !b.note.includes('partial success')), 'no valid span was rejected');

    const first = await verify(acked, unacked);
    t.diagnostic(`${first.presentUnacked} unacknowledged batches were stored anyway (allowed)`);
    assert.deepEqual(first.problems.slice(0, 20), [], `after ${kills} kills: ${first.problems.length} problems`);

    // A graceful restart keeps everything too.
    const exit = await olly.stop({ timeoutMs: 15000 });
    assert.ok(!exit.forced, 'SIGTERM stopped the server within 15 s');
    assert.equal(exit.code, 0, `clean exit after SIGTERM (${JSON.stringify(exit)})\n${olly.tail()}`);
    await olly.start({ keepPorts: true });
    const sample = acked.length > 1500 ? acked.filter(() => rand() < 1500 / acked.length) : acked;
    const second = await verify(sample, []);
    assert.deepEqual(second.problems.slice(0, 20), [], `after a graceful restart: ${second.problems.length} problems`);
  });
});
