// sdk.mjs - the official OpenTelemetry JS SDK wired to a running Olly: OTLP
// exporters per transport (http/protobuf, http/json, gRPC) and compression,
// wrapped so the test knows exactly which items were exported and whether
// each export succeeded, and the SDK's own OTLP/JSON serialisation of those
// items as the expected value.

import { context, diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as MetricsJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsGrpc } from '@opentelemetry/exporter-logs-otlp-grpc';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { SLOW, sleep } from './olly.mjs';

let contextReady = false;

/** Async-hooks context manager (startActiveSpan, logs inside spans) and SDK warnings on stderr. */
export function setupSdkGlobals() {
  if (contextReady) return;
  contextReady = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
}

export const TRANSPORTS = ['proto', 'json', 'grpc'];
export const COMPRESSIONS = ['none', 'gzip'];

/** Exporter options for a signal; headers: extra HTTP headers / gRPC metadata are not used here. */
function exporterOptions(olly, transport, compression, signal, headers) {
  const base = { compression, timeoutMillis: 10000 * SLOW };
  if (transport === 'grpc') return { ...base, url: olly.otlpGrpcUrl };
  return { ...base, url: `${olly.otlpHttpUrl}/v1/${signal}`, ...(headers ? { headers } : {}) };
}

export function traceExporter(olly, transport, compression, headers) {
  const C = { proto: TraceProto, json: TraceJson, grpc: TraceGrpc }[transport];
  return new C(exporterOptions(olly, transport, compression, 'traces', headers));
}

export function metricExporter(olly, transport, compression, headers) {
  const C = { proto: MetricsProto, json: MetricsJson, grpc: MetricsGrpc }[transport];
  return new C(exporterOptions(olly, transport, compression, 'metrics', headers));
}

export function logExporter(olly, transport, compression, headers) {
  const C = { proto: LogsProto, json: LogsJson, grpc: LogsGrpc }[transport];
  return new C(exporterOptions(olly, transport, compression, 'logs', headers));
}

/**
 * Wraps an SDK exporter: records every exported item and every result.
 * rec.exporter is what the processor gets; await rec.idle() waits until no
 * export is in flight; rec.failures() lists the failed ones.
 */
export function recording(exporter) {
  const rec = {
    items: [],
    results: [],
    pending: 0,
    waiters: [],
    exporter: null,
    async idle(timeoutMs = 20000 * SLOW) {
      const deadline = Date.now() + timeoutMs;
      while (rec.pending > 0) {
        if (Date.now() > deadline) throw new Error(`${rec.pending} export(s) still in flight after ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    failures() {
      return rec.results.filter((r) => r.code !== ExportResultCode.SUCCESS)
        .map((r) => r.error?.message ?? String(r.error ?? 'failed'));
    },
  };
  rec.exporter = new Proxy(exporter, {
    get(target, prop) {
      if (prop === 'export') {
        return (items, cb) => {
          rec.pending++;
          if (Array.isArray(items)) rec.items.push(...items);
          else rec.items.push(items);
          target.export(items, (result) => {
            rec.results.push(result);
            rec.pending--;
            cb(result);
          });
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return rec;
}

/** Export once through an SDK exporter; resolves the ExportResult. */
export function exportOnce(exporter, data) {
  return new Promise((resolve) => exporter.export(data, resolve));
}

const decode = (u8) => JSON.parse(Buffer.from(u8).toString('utf8'));

/** What the SDK sends for these items, as OTLP/JSON objects (the exporters' own serialisers). */
export const expectedTraces = (spans) => decode(JsonTraceSerializer.serializeRequest(spans));
export const expectedLogs = (records) => decode(JsonLogsSerializer.serializeRequest(records));
export const expectedMetrics = (resourceMetrics) => decode(JsonMetricsSerializer.serializeRequest(resourceMetrics));

export { ExportResultCode };
