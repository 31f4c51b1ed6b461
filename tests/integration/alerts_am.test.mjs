// alerts_am.test.mjs - an anomaly reaches a real Prometheus Alertmanager.
// Debian's prometheus-alertmanager runs on loopback (no gossip, group_wait
// and group_interval 1 s, a long repeat_interval) with one webhook receiver
// (send_resolved) served here; `olly serve` routes its alerts to it. `olly
// demo` sends the simulated shop in accelerated time (a fixed weekday
// afternoon, so the traffic is the same every day) with one fault: an error
// burst on `currency`, a leaf service. The webhook must get exactly one alert
// in all (which doubles as a false-alarm check over the whole run): firing,
// OllyAnomaly for currency, its event-time onset inside the fault window and
// its startsAt a wall-clock time of this run; then the same alert resolved.
// Olly's own /api/v1/alerts and /api/v1/anomalies must tell the same story.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AlertingOlly, Alertmanager, Receiver, SLOW, checkServeFlags, faultWindow, nsToIso, removeDir, runDemo,
  tempDir, timeNs, until, webhookAlerts, weekdayStart, writeJson,
} from './lib/alerting.mjs';
import { sleep } from './lib/olly.mjs';

const RUN_MIN = 75;
const FAULT_AT_MIN = 45;
const FAULT_MIN = 15;
const SERVICE = 'currency';

let hook, am, olly, dir;

before(async () => {
  await checkServeFlags();
  dir = await tempDir('olly-it-alerts-am-');
  hook = await Receiver.start('alertmanager webhook');
  am = await Alertmanager.start({ webhookUrl: `${hook.url}/alertmanager` });
  const cfg = await writeJson(dir, 'alerts.json', {
    receivers: [{ name: 'am', type: 'alertmanager', url: am.url }],
    resend_interval_s: 5,
  });
  olly = await AlertingOlly.start({ alertsConfig: cfg, logLevel: 'warn' });
});

after(async () => {
  await olly?.cleanup();
  await am?.cleanup();
  await hook?.close();
  await removeDir(dir);
});

describe('alerts to Prometheus Alertmanager', () => {
  it('a demo fault gives exactly one firing alert at the receiver, then the same alert resolved', async () => {
    const start = weekdayStart(15, RUN_MIN * 60000);
    const fault = faultWindow(start, FAULT_AT_MIN, FAULT_MIN);
    const wallStart = Date.now();
    const demo = runDemo(olly, {
      start, duration: `${RUN_MIN}m`, speed: 120, rate: 10, seed: 7,
      faults: [`error_burst:${SERVICE}:+${FAULT_AT_MIN}m:${FAULT_MIN}m`],
    });

    // While firing, Alertmanager lists the alert as active.
    const firingSeen = until(() => hook.bodies((m) => m.status === 'firing').length > 0,
      { timeoutMs: 180000 * SLOW, what: 'a firing notification' }).then(async () => {
      const firedAt = Date.now();
      const list = await am.alerts();
      const resolvedBy = hook.bodies((m) => m.status === 'resolved').length > 0;
      return { firedAt, list, resolvedBy };
    });
    firingSeen.catch(() => {}); // awaited below; not unhandled if the demo fails first
    const ctx = () => `\n${hook.describe()}\nalertmanager:\n${am.tail(1500)}\nolly:\n${olly.tail(1500)}`;

    const d = await demo;
    const seen = await firingSeen.catch((err) => { throw new Error(`${err.message}${ctx()}`); });
    await until(() => hook.bodies((m) => m.status === 'resolved').length > 0,
      { timeoutMs: 60000 * SLOW, what: 'the resolved notification' }).catch((err) => { throw new Error(`${err.message}${ctx()}`); });
    await sleep(3000); // group_interval is 1 s: anything else would arrive now
    const wallEnd = Date.now();

    const msgs = hook.bodies();
    const alerts = webhookAlerts(hook);
    const fingerprints = [...new Set(alerts.map((a) => a.fingerprint))];
    assert.equal(fingerprints.length, 1, `exactly one alert in the whole run, got ${fingerprints.length}${ctx()}`);
    const firing = msgs.filter((m) => m.status === 'firing');
    const resolved = msgs.filter((m) => m.status === 'resolved');
    assert.equal(firing.length, 1, `one firing notification${ctx()}`);
    assert.equal(resolved.length, 1, `one resolved notification${ctx()}`);
    assert.equal(msgs.length, 2, `nothing but those two${ctx()}`);
    assert.ok(msgs.indexOf(firing[0]) < msgs.indexOf(resolved[0]), 'firing before resolved');
    for (const r of hook.requests) {
      assert.equal(r.method, 'POST');
      assert.equal(r.url, '/alertmanager');
    }

    // The firing alert.
    assert.equal(firing[0].version, '4');
    assert.equal(firing[0].alerts.length, 1);
    const f = firing[0].alerts[0];
    assert.equal(f.status, 'firing');
    assert.equal(f.labels.alertname, 'OllyAnomaly');
    assert.equal(f.labels.service, SERVICE, `the faulted service is named: ${JSON.stringify(f.labels)}`);
    assert.ok(['warning', 'critical'].includes(f.labels.severity), `severity: ${f.labels.severity}`);
    assert.match(f.labels.incident ?? '', /\S/, 'an incident label');
    for (const k of ['summary', 'description', 'onset', 'score', 'signal', 'detector']) {
      assert.match(f.annotations[k] ?? '', /\S/, `annotation ${k}: ${JSON.stringify(f.annotations)}`);
    }
    const score = Number(f.annotations.score);
    assert.ok(score > 0 && score <= 1, `score in (0,1]: ${f.annotations.score}`);
    const onset = timeNs(f.annotations.onset);
    assert.ok(onset >= fault.startNs - 10n * 1000000000n && onset < fault.endNs,
      `onset ${f.annotations.onset} (event time) inside the fault window ${nsToIso(fault.startNs)} .. ${nsToIso(fault.endNs)}`);
    const startsAtMs = Number(timeNs(f.startsAt) / 1000000n);
    assert.ok(startsAtMs >= wallStart - 1000 && startsAtMs <= seen.firedAt + 1000,
      `startsAt ${f.startsAt} is wall-clock time of this run (${new Date(wallStart).toISOString()} .. ${new Date(seen.firedAt).toISOString()})`);
    assert.equal(f.endsAt, '0001-01-01T00:00:00Z');
    assert.ok(f.generatorURL.startsWith(`${olly.apiUrl}/`), `generatorURL back to Olly: ${f.generatorURL}`);
    const gen = await olly.api(f.generatorURL.slice(olly.apiUrl.length));
    assert.equal(gen.status, 200, `GET ${f.generatorURL}: ${gen.status} ${gen.body.toString('utf8').slice(0, 300)}`);

    // Active in Alertmanager while firing.
    if (!seen.resolvedBy) {
      const mine = seen.list.filter((a) => a.fingerprint === f.fingerprint);
      assert.equal(mine.length, 1, `Alertmanager lists the firing alert: ${JSON.stringify(seen.list)}`);
      assert.equal(mine[0].status.state, 'active');
    }

    // The same alert, resolved, with a wall-clock end.
    const r = resolved[0].alerts[0];
    assert.equal(resolved[0].alerts.length, 1);
    assert.equal(r.status, 'resolved');
    assert.equal(r.fingerprint, f.fingerprint);
    assert.deepEqual(r.labels, f.labels);
    assert.equal(r.startsAt, f.startsAt);
    const endsAtMs = Number(timeNs(r.endsAt) / 1000000n);
    assert.ok(endsAtMs >= startsAtMs && endsAtMs <= wallEnd + 1000, `endsAt ${r.endsAt} after startsAt, before now`);
    assert.equal(r.annotations.onset, f.annotations.onset);

    // Resolved alerts leave Alertmanager's list.
    const left = (await am.alerts()).filter((a) => a.status.state === 'active');
    assert.deepEqual(left, [], 'nothing active in Alertmanager after the resolve');

    // Olly's side: one alert, resolved, Alertmanager told; its incident's anomalies all closed.
    const book = await olly.alerts();
    assert.equal(book.alerts.length, 1, `Olly kept one alert: ${JSON.stringify(book.alerts.map((a) => a.labels))}`);
    const a = book.alerts[0];
    assert.equal(a.status, 'resolved');
    assert.deepEqual(a.labels.service, SERVICE);
    assert.equal(a.labels.incident, f.labels.incident);
    assert.equal(timeNs(a.onset), onset);
    assert.equal(a.episode, 1);
    const rs = book.receivers.find((x) => x.name === 'am');
    assert.ok(rs && rs.sent >= 2 && rs.failed === 0, `receiver am: ${JSON.stringify(rs)}`);
    const incident = await olly.anomalies({ incident: f.labels.incident, status: 'all' });
    assert.ok(incident.length >= 1, 'the incident has anomalies');
    assert.ok(incident.some((x) => x.service === SERVICE), `one of them on ${SERVICE}: ${JSON.stringify(incident.map((x) => [x.service, x.signal]))}`);
    for (const x of incident) {
      assert.equal(x.status, 'closed', `anomaly ${x.id} (${x.service} ${x.signal}) closed`);
      assert.equal(String(x.incident), f.labels.incident);
    }
    const open = await olly.anomalies({ status: 'open' });
    assert.deepEqual(open.map((x) => `#${x.id} ${x.service}${x.operation ? ' ' + x.operation : ''}${x.peer ? ' -> ' + x.peer : ''} ` +
      `${x.signal} (${x.detector}) since ${x.onset}: ${x.explanation}`), [], 'no anomaly left open (a false alarm: its alert would follow)');

    const s = d.summary;
    console.log(`alerts_am: demo ${d.wallMs} ms wall, ${s.generated.spans} spans; firing ${seen.firedAt - wallStart} ms, ` +
      `resolved ${hook.requests.find((q) => q.json?.status === 'resolved').at - wallStart} ms after the demo started; onset ${f.annotations.onset} ` +
      `(fault at ${nsToIso(fault.startNs)}), ${f.annotations.signal}/${f.annotations.detector} score ${f.annotations.score}`);
  });
});
