// sql.test.mjs - the SQL endpoint end to end: the official OpenTelemetry JS
// SDK sends spans and logs to a real `olly serve`; POST /api/v1/query and
// `olly query` answer ClickHouse-dialect questions over the exporter's
// tables (otel_traces, otel_logs), with the values as the exporter writes
// them (attribute maps of strings, SpanKind 'Server', StatusCode 'Error').
// Bad queries get 400 with where and why; read-only is enforced; bounds
// answer 422.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OLLY_BIN, Olly, waitFor } from './lib/olly.mjs';
import { logExporter, setupSdkGlobals, traceExporter } from './lib/sdk.mjs';

setupSdkGlobals();
const run = promisify(execFile);

let olly;
before(async () => { olly = await Olly.start(); });
after(async () => { await olly?.cleanup(); });

async function query(sql) {
  const r = await olly.api('/api/v1/query', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }),
  });
  return { status: r.status, json: r.json, text: r.body.toString('utf8') };
}

describe('SQL over what the SDK sent', () => {
  const service = `sql-it-${Date.now()}`;
  before(async () => {
    const exporter = traceExporter(olly, 'proto', 'none');
    const tp = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.2.3' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = tp.getTracer('sql-it');
    const t0 = Date.now() - 5000;
    for (let i = 0; i < 10; i++) {
      const s = tracer.startSpan(i % 2 ? 'GET /cart' : 'POST /checkout', {
        kind: SpanKind.SERVER, startTime: t0 + i * 100,
        attributes: { 'http.route': i % 2 ? '/cart' : '/checkout', 'cart.items': i, 'http.response.status_code': i === 9 ? 500 : 200 },
      });
      if (i === 9) s.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
      s.end(t0 + i * 100 + (i + 1) * 10);
    }
    await tp.forceFlush();
    await tp.shutdown();
    const lp = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      processors: [new SimpleLogRecordProcessor({ exporter: logExporter(olly, 'proto', 'none') })],
    });
    lp.getLogger('sql-it').emit({ timestamp: t0, severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'low stock' });
    await lp.forceFlush();
    await lp.shutdown();
    await waitFor(async () => {
      const r = await query(`SELECT count() FROM otel_traces WHERE ServiceName = '${service}'`);
      return r.status === 200 && r.json.rows[0][0] === 10;
    }, { what: 'spans visible to SQL', timeoutMs: 5000 });
  });

  it('groups, aggregates and renders like the exporter schema', async () => {
    const r = await query(`SELECT SpanName, SpanKind, count() AS n, countIf(StatusCode = 'Error') AS errors,
        max(Duration) / 1e6 AS max_ms, any(ResourceAttributes['service.version']) AS version
      FROM otel_traces WHERE ServiceName = '${service}' AND Timestamp >= now() - INTERVAL 1 HOUR
      GROUP BY SpanName, SpanKind ORDER BY SpanName`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.columns.map((c) => c.name), ['SpanName', 'SpanKind', 'n', 'errors', 'max_ms', 'version']);
    assert.deepEqual(r.json.columns.map((c) => c.type), ['LowCardinality(String)', 'LowCardinality(String)', 'UInt64', 'UInt64', 'Float64', 'String']);
    assert.deepEqual(r.json.rows, [['GET /cart', 'Server', 5, 1, 100, '1.2.3'], ['POST /checkout', 'Server', 5, 0, 90, '1.2.3']]);
    assert.ok(r.json.statistics.rowsScanned >= 10);
  });

  it('keeps attribute values as strings, as the exporter does', async () => {
    const r = await query(`SELECT SpanAttributes['cart.items'] AS items, SpanAttributes['http.response.status_code'], StatusMessage
      FROM spans WHERE ServiceName = '${service}' AND SpanAttributes['http.route'] = '/cart' ORDER BY Timestamp DESC LIMIT 1`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.rows, [['9', '500', 'boom']]);
  });

  it('reads logs', async () => {
    const r = await query(`SELECT SeverityText, SeverityNumber, Body FROM otel_logs WHERE ServiceName = '${service}'`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.rows, [['WARN', 13, 'low stock']]);
  });

  it('answers `olly query` on the command line', async () => {
    const { stdout } = await run(OLLY_BIN, ['query', '--api', `127.0.0.1:${olly.ports.http}`, '--format', 'json',
      `SELECT count() AS n FROM spans WHERE ServiceName = '${service}'`]);
    assert.deepEqual(JSON.parse(stdout).rows, [[10]]);
    const table = await run(OLLY_BIN, ['query', '--api', `127.0.0.1:${olly.ports.http}`,
      `SELECT SpanName, count() AS n FROM spans WHERE ServiceName = '${service}' GROUP BY SpanName ORDER BY SpanName`]);
    assert.match(table.stdout, /^SpanName\s+n\nGET \/cart\s+5\nPOST \/checkout\s+5\n$/);
    await assert.rejects(run(OLLY_BIN, ['query', '--api', `127.0.0.1:${olly.ports.http}`, 'SELECT nope FROM spans']),
      (e) => e.code === 1 && /Unknown column nope/.test(e.stderr));
  });

  it('says where a query is wrong, refuses writes, and enforces bounds', async () => {
    let r = await query('SELECT count() FROM spans WHERE');
    assert.equal(r.status, 400);
    assert.match(r.json.error ?? r.text, /syntax error at line 1, column 32: expected/);
    r = await query('DROP TABLE otel_traces');
    assert.equal(r.status, 400);
    assert.match(r.text, /read-only/);
    r = await query("SELECT * FROM file('/etc/passwd')");
    assert.equal(r.status, 400);
    r = await query(`SELECT SpanName FROM spans WHERE ServiceName = '${service}' LIMIT 200001`);
    assert.equal(r.status, 200, r.text);
    r = await olly.api('/api/v1/query', { method: 'POST', body: 'not json' });
    assert.equal(r.status, 400);
    r = await olly.api('/api/v1/query', { method: 'DELETE' });
    assert.equal(r.status, 405);
    const metrics = (await olly.api('/metrics')).body.toString('utf8');
    assert.match(metrics, /olly_sql_queries_total \d+/);
    assert.match(metrics, /olly_sql_errors_total [1-9]/);
  });
});
