// alerts_receivers.test.mjs - the Slack, PagerDuty and generic webhook
// receivers, and one that fails. Four local HTTP servers record what `olly
// serve` sends them while `olly demo` runs a fault (latency on `currency`,
// which its callers feel too) in accelerated simulated time:
// - Slack-compatible: text and blocks as src/act/payload.c writes them;
// - PagerDuty Events v2 (its url pointed here): trigger, then resolve with
//   the same dedup_key and routing_key;
// - webhook: Alertmanager's webhook message (version 4), the configured
//   Authorization header;
// - a webhook that fails while the alert fires and resolves (its first
//   request hangs past the receiver's timeout, the second answers 503 with
//   Retry-After: 2, the rest 500) and then recovers: it must still hear the
//   firing and then the resolved notification (nothing lost, firing first),
//   /metrics must count every failed attempt as retried, the Retry-After must
//   be honoured, and ingest must not stall meanwhile (log exports answered
//   200 in well under 5 s, no trace export slower than 5 s in Olly's own
//   request-duration histogram, the demo losing nothing).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AlertingOlly, Receiver, SLOW, checkServeFlags, faultWindow, metric, nsToIso, removeDir, runDemo, scrape,
  tempDir, timeNs, until, weekdayStart, writeJson,
} from './lib/alerting.mjs';
import { sleep } from './lib/olly.mjs';

const RUN_MIN = 75;
const FAULT_AT_MIN = 45;
const FAULT_MIN = 15;
const SERVICE = 'currency';
const ROUTING_KEY = 'olly-it-0123456789abcdef0123456789ab';
const SECRET = 'Bearer olly-it-webhook-secret';
const FLAKY_TIMEOUT_MS = 8000;

let slack, pd, hook, flaky, olly, dir;
let failing = true;

before(async () => {
  await checkServeFlags();
  dir = await tempDir('olly-it-alerts-recv-');
  slack = await Receiver.start('slack');
  pd = await Receiver.start('pagerduty', (req) => ({
    status: 202, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: req.json?.dedup_key }),
  }));
  hook = await Receiver.start('webhook');
  flaky = await Receiver.start('flaky webhook', (req, n) => {
    if (!failing) return { status: 200 };
    if (n === 1) return { hang: true };
    if (n === 2) return { status: 503, headers: { 'retry-after': '2' } };
    return { status: 500 };
  });
  const cfg = await writeJson(dir, 'alerts.json', {
    receivers: [
      { name: 'slack', type: 'slack', url: `${slack.url}/services/T000/B000/XXXX` },
      { name: 'pd', type: 'pagerduty', url: `${pd.url}/v2/enqueue`, routing_key: ROUTING_KEY },
      { name: 'hook', type: 'webhook', url: `${hook.url}/olly`, headers: { Authorization: SECRET } },
      { name: 'flaky', type: 'webhook', url: `${flaky.url}/flaky`, timeout_ms: FLAKY_TIMEOUT_MS },
    ],
    retry_initial_ms: 200,
    retry_max_ms: 1000,
  });
  olly = await AlertingOlly.start({ alertsConfig: cfg, logLevel: 'warn' });
});

after(async () => {
  await olly?.cleanup();
  for (const r of [slack, pd, hook, flaky]) await r?.close();
  await removeDir(dir);
});

const mrkdwn = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const ok = (r) => r.status !== null && r.status !== 'hang' && r.status < 300;

/** A one-record OTLP/JSON log export; resolves {status, ms}. */
async function probe(n) {
  const body = JSON.stringify({
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'olly-it-probe' } }] },
      scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1000000n), severityNumber: 9,
        body: { stringValue: `ingest probe ${n} while a receiver fails` } }] }],
    }],
  });
  const t = Date.now();
  try {
    const r = await olly.postOtlp('/v1/logs', body, { headers: { 'content-type': 'application/json' }, timeoutMs: 20000 });
    return { status: r.status, ms: Date.now() - t };
  } catch (err) {
    return { status: err.code ?? err.message, ms: Date.now() - t };
  }
}

function traceLatency(series) {
  const q = { signal: 'traces', transport: 'http' };
  return {
    under5s: metric(series, 'olly_ingest_request_duration_seconds_bucket', { ...q, le: '5' }) ?? 0,
    all: metric(series, 'olly_ingest_request_duration_seconds_bucket', { ...q, le: '+Inf' }) ?? 0,
  };
}

describe('alerts to Slack, PagerDuty, webhooks, and a receiver that fails', () => {
  it('each receiver hears firing then resolved in its format; the failing one too, after retries, without stalling ingest', async () => {
    const start = weekdayStart(15, RUN_MIN * 60000);
    const fault = faultWindow(start, FAULT_AT_MIN, FAULT_MIN);
    const wallStart = Date.now();
    const ctx = () => `\n${[slack, pd, hook, flaky].map((r) => r.describe(6)).join('\n')}\nolly:\n${olly.tail(2000)}`;
    const demo = runDemo(olly, {
      start, duration: `${RUN_MIN}m`, speed: 120, rate: 10, seed: 11,
      faults: [`dependency_latency:${SERVICE}:+${FAULT_AT_MIN}m:${FAULT_MIN}m`],
    });

    // The alert fires: the flaky receiver's first attempt starts the failing period.
    await Promise.race([
      until(() => flaky.requests.length > 0, { timeoutMs: 180000 * SLOW, what: 'the first notification to the failing receiver' }),
      demo.then(() => until(() => flaky.requests.length > 0, { timeoutMs: 30000 * SLOW, what: 'the first notification after the demo' })),
    ]).catch((err) => { throw new Error(`${err.message}${ctx()}`); });
    const before = traceLatency(await scrape(olly));
    const probes = [];
    let probing = true;
    const prober = (async () => {
      for (let n = 0; probing; n++) {
        probes.push(await probe(n));
        await sleep(500);
      }
    })();

    let d, resolvedAt;
    try {
      // It resolves while the receiver still fails; the others hear it.
      d = await demo;
      for (const r of [slack, pd, hook]) {
        await until(() => r.requests.length >= 2, { timeoutMs: 60000 * SLOW, what: `firing and resolved at ${r.name}` })
          .catch((err) => { throw new Error(`${err.message}${ctx()}`); });
      }
      resolvedAt = Math.max(...[slack, pd, hook].map((r) => r.requests[1].at));
      // Fail on: at least one more failed attempt after the resolve, and past the hang.
      await until(() => flaky.requests.length >= 4 && flaky.requests.at(-1).at > resolvedAt + 500,
        { timeoutMs: 60000 * SLOW, what: 'failed attempts at the failing receiver after the resolve' })
        .catch((err) => { throw new Error(`${err.message}${ctx()}`); });
    } finally {
      probing = false;
      await prober;
    }
    const during = traceLatency(await scrape(olly));
    const failedAttempts = flaky.requests.length;
    failing = false;
    const recoveredAt = Date.now();

    await until(() => flaky.requests.filter(ok).length >= 2, { timeoutMs: 30000, what: 'firing and resolved at the recovered receiver' })
      .catch((err) => { throw new Error(`${err.message}${ctx()}`); });
    await sleep(2000); // anything more would arrive now
    const wallEnd = Date.now();

    // ---- nothing but firing then resolved, everywhere ----
    for (const r of [slack, pd, hook]) {
      assert.equal(r.requests.length, 2, `${r.name}: one firing, one resolved${ctx()}`);
      for (const q of r.requests) {
        assert.equal(q.method, 'POST');
        assert.match(q.headers['content-type'] ?? '', /^application\/json/);
        assert.match(q.headers['user-agent'] ?? '', /^Olly\//);
        assert.ok(q.json !== undefined, `${r.name}: JSON body: ${q.text.slice(0, 200)}`);
      }
    }

    // ---- the generic webhook: Alertmanager's webhook message ----
    const [wf, wr] = hook.requests;
    assert.equal(wf.url, '/olly');
    assert.equal(wf.headers.authorization, SECRET, 'configured headers are sent');
    const key = wf.json.groupKey;
    assert.match(key ?? '', /\S/);
    for (const [q, status] of [[wf, 'firing'], [wr, 'resolved']]) {
      const m = q.json;
      assert.equal(m.version, '4');
      assert.equal(m.status, status);
      assert.equal(m.receiver, 'hook');
      assert.equal(m.groupKey, key);
      assert.equal(m.externalURL, olly.apiUrl);
      assert.equal(m.alerts.length, 1);
      const a = m.alerts[0];
      assert.equal(a.status, status);
      assert.equal(a.labels.alertname, 'OllyAnomaly');
      assert.equal(a.labels.service, SERVICE, `the service at the root: ${JSON.stringify(a.labels)}`);
      assert.ok(['warning', 'critical'].includes(a.labels.severity), `severity ${a.labels.severity}`);
      assert.match(a.labels.incident ?? '', /\S/);
      assert.deepEqual(m.commonLabels, a.labels);
      for (const k of ['summary', 'description', 'onset', 'score', 'signal', 'detector']) {
        assert.match(a.annotations[k] ?? '', /\S/, `annotation ${k}: ${JSON.stringify(a.annotations)}`);
      }
      assert.match(a.fingerprint, /^[0-9a-f]{16}$/);
      assert.ok(a.generatorURL.startsWith(`${olly.apiUrl}/`), `generatorURL ${a.generatorURL}`);
      assert.equal(m.olly.key, key);
      assert.equal(m.olly.episode, 1);
      assert.equal(m.olly.onset, a.annotations.onset);
    }
    const fa = wf.json.alerts[0], ra = wr.json.alerts[0];
    assert.equal(fa.endsAt, '0001-01-01T00:00:00Z');
    assert.equal(ra.fingerprint, fa.fingerprint);
    assert.deepEqual(ra.labels, fa.labels);
    assert.equal(ra.startsAt, fa.startsAt);
    const startsAtMs = Number(timeNs(fa.startsAt) / 1000000n);
    assert.ok(startsAtMs >= wallStart - 1000 && startsAtMs <= wf.at + 1000, `startsAt ${fa.startsAt} is wall clock of this run`);
    const endsAtMs = Number(timeNs(ra.endsAt) / 1000000n);
    assert.ok(endsAtMs >= startsAtMs && endsAtMs <= wr.at + 1000, `endsAt ${ra.endsAt}`);
    const onset = timeNs(fa.annotations.onset);
    assert.ok(onset >= fault.startNs - 10n * 1000000000n && onset < fault.endNs,
      `onset ${fa.annotations.onset} inside the fault window ${nsToIso(fault.startNs)} .. ${nsToIso(fault.endNs)}`);

    // ---- PagerDuty Events v2 ----
    const [pt, pr] = pd.requests;
    assert.equal(pt.url, '/v2/enqueue');
    const t = pt.json;
    assert.equal(t.routing_key, ROUTING_KEY);
    assert.equal(t.event_action, 'trigger');
    assert.equal(t.dedup_key, key.length <= 255 ? key : t.dedup_key);
    assert.ok(t.dedup_key.length > 0 && t.dedup_key.length <= 255);
    assert.ok(t.payload.summary.startsWith(`[OllyAnomaly] ${SERVICE}: `), `summary ${t.payload.summary}`);
    assert.ok(t.payload.summary.length <= 1024);
    assert.equal(t.payload.source, SERVICE);
    assert.equal(t.payload.severity, fa.labels.severity === 'critical' ? 'critical' : 'warning');
    assert.equal(t.payload.timestamp, fa.startsAt);
    assert.equal(t.payload.class, fa.labels.signal ?? t.payload.class);
    assert.equal(t.payload.custom_details.alert_key, key);
    assert.equal(t.payload.custom_details.onset, fa.annotations.onset);
    assert.deepEqual(t.payload.custom_details.labels, fa.labels);
    assert.equal(t.links[0].text, 'Open in Olly');
    assert.equal(t.links[0].href, fa.generatorURL);
    assert.equal(t.client, 'Olly');
    assert.equal(t.client_url, olly.apiUrl);
    assert.deepEqual(pr.json, { routing_key: ROUTING_KEY, dedup_key: t.dedup_key, event_action: 'resolve' });

    // ---- Slack ----
    const [sf, sr] = slack.requests;
    const openLink = `<${mrkdwn(fa.generatorURL)}|Open in Olly>`;
    assert.equal(sf.url, '/services/T000/B000/XXXX');
    for (const [q, word] of [[sf.json, 'FIRING'], [sr.json, 'RESOLVED']]) {
      const title = `*[${word}] OllyAnomaly* \u00b7 ${SERVICE}`;
      assert.ok(typeof q.text === 'string' && q.text.startsWith(title), `text starts with ${title}: ${q.text?.slice(0, 200)}`);
      assert.ok(q.text.length <= 4000);
      assert.ok(Array.isArray(q.blocks) && q.blocks.length >= 3, `blocks: ${JSON.stringify(q.blocks)?.slice(0, 300)}`);
      assert.equal(q.blocks[0].type, 'section');
      assert.equal(q.blocks[0].text.type, 'mrkdwn');
      assert.ok(q.blocks[0].text.text.startsWith(title));
      const fields = q.blocks.find((b) => Array.isArray(b.fields));
      assert.ok(fields, 'a section with fields');
      assert.ok(fields.fields.length <= 10);
      const ft = fields.fields.map((x) => x.text);
      assert.ok(ft.includes(`*Severity*\n${fa.labels.severity}`), `fields: ${JSON.stringify(ft)}`);
      assert.ok(ft.some((x) => x.startsWith('*Onset (event time)*\n') && timeNs(x.split('\n')[1]) === onset), 'the event-time onset');
      assert.ok(ft.some((x) => x.startsWith('*Started*\n')));
      assert.equal(ft.some((x) => x.startsWith('*Resolved*\n')), word === 'RESOLVED');
      const last = q.blocks.at(-1);
      assert.equal(last.type, 'context');
      assert.ok(last.elements[0].text.startsWith(openLink), `links: ${last.elements[0].text}`);
      assert.ok(q.text.includes(openLink));
    }
    assert.match(sr.json.text, /\nResolved after \d+(d|h|m|s)/);

    // ---- the failing receiver: retried, nothing lost, firing first ----
    const fails = flaky.requests.filter((r) => !ok(r));
    const oks = flaky.requests.filter(ok);
    assert.equal(fails.length, failedAttempts, 'every request while failing failed');
    assert.ok(fails.length >= 4, `failed attempts: ${fails.length}`);
    assert.equal(fails[0].status, 'hang');
    assert.equal(fails[1].status, 503);
    assert.ok(fails[1].at - fails[0].at >= FLAKY_TIMEOUT_MS - 1000, `the hung request was given ${FLAKY_TIMEOUT_MS} ms (${fails[1].at - fails[0].at} ms)`);
    assert.ok(fails[2].at - fails[1].at >= 1900, `Retry-After: 2 honoured (${fails[2].at - fails[1].at} ms)`);
    for (let i = 3; i < fails.length; i++) {
      const gap = fails[i].at - fails[i - 1].at;
      assert.ok(gap >= 90 && gap <= 1000 + 1500 * SLOW, `backoff between attempts ${i} and ${i + 1}: ${gap} ms`);
    }
    for (const f of fails) assert.equal(f.json?.status, 'firing', 'the firing is owed first');
    assert.equal(oks.length, 2, `after recovering: firing and resolved, once each${ctx()}`);
    assert.deepEqual(oks.map((r) => r.json.status), ['firing', 'resolved']);
    assert.ok(oks[0].at >= recoveredAt);
    for (const r of oks) {
      assert.equal(r.json.groupKey, key);
      assert.equal(r.json.alerts[0].fingerprint, fa.fingerprint);
      assert.equal(r.json.alerts[0].startsAt, fa.startsAt, 'startsAt is when it fired, not when delivered');
    }
    assert.deepEqual(oks[0].json.alerts[0].labels, fa.labels);
    assert.equal(oks[1].json.alerts[0].endsAt, ra.endsAt, 'endsAt is when it resolved, not when delivered');

    // ---- /metrics and /api/v1/alerts count it ----
    const m = await scrape(olly);
    const n = (recv, type, result) => metric(m, 'olly_alert_notifications_total', { receiver: recv, type, result });
    for (const [recv, type] of [['slack', 'slack'], ['pd', 'pagerduty'], ['hook', 'webhook']]) {
      assert.equal(n(recv, type, 'sent'), 2, `${recv} sent`);
      assert.equal(n(recv, type, 'retried'), 0, `${recv} retried`);
      assert.equal(n(recv, type, 'failed'), 0, `${recv} failed`);
    }
    assert.equal(n('flaky', 'webhook', 'sent'), 2);
    assert.equal(n('flaky', 'webhook', 'retried'), fails.length, 'every failed attempt counted as retried');
    assert.equal(n('flaky', 'webhook', 'failed'), 0);
    for (const recv of ['slack', 'pd', 'hook', 'flaky']) {
      const s = m.find((x) => x.name === 'olly_alert_notifications_pending' && x.labels.receiver === recv);
      assert.equal(s?.value, 0, `${recv}: nothing pending`);
    }
    assert.equal(metric(m, 'olly_alert_notifications_in_flight'), 0);
    assert.equal(metric(m, 'olly_alerts', { status: 'firing' }), 0);
    assert.equal(metric(m, 'olly_alerts', { status: 'resolved' }), 1);
    assert.equal(metric(m, 'olly_alert_events_total', { result: 'dropped' }), 0);
    const book = await olly.alerts();
    assert.equal(book.alerts.length, 1, `one alert: ${JSON.stringify(book.alerts.map((a) => a.labels))}`);
    assert.equal(book.alerts[0].key, key);
    assert.equal(book.alerts[0].status, 'resolved');
    for (const r of book.alerts[0].receivers) assert.equal(r.heard, 'resolved', `${r.name} heard resolved: ${JSON.stringify(r)}`);
    const fr = book.receivers.find((r) => r.name === 'flaky');
    assert.equal(fr.retried, fails.length);
    assert.equal(fr.sent, 2);

    // ---- ingest did not stall while the receiver failed ----
    assert.ok(probes.length >= 3, `probes sent: ${probes.length}`);
    for (const p of probes) {
      assert.equal(p.status, 200, `log export while the receiver failed: ${JSON.stringify(p)}`);
      assert.ok(p.ms < 5000, `log export answered in ${p.ms} ms`);
    }
    assert.ok(during.all > before.all, 'trace exports during the failing period');
    assert.equal(during.all - during.under5s - (before.all - before.under5s), 0,
      `no trace export took over 5 s while the receiver failed (${JSON.stringify({ before, during })})`);
    assert.equal(d.summary.requests_failed, 0);

    const ms = probes.map((p) => p.ms).sort((a, b) => a - b);
    console.log(`alerts_receivers: demo ${d.wallMs} ms wall; fired ${flaky.requests[0].at - wallStart} ms, resolved ` +
      `${resolvedAt - wallStart} ms, recovered receiver done ${oks[1].at - wallStart} ms after start; ${fails.length} failed attempts; ` +
      `${probes.length} probes, median ${ms[ms.length >> 1]} ms, max ${ms.at(-1)} ms; trace exports in the window ` +
      `${during.all - before.all}; total ${wallEnd - wallStart} ms`);
  });
});
