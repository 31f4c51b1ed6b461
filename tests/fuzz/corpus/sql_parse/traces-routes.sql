SELECT SpanAttributes['http.route'] AS route, quantile(0.9)(Duration) p90
FROM otel.otel_traces PREWHERE ServiceName IN ('checkout', 'cart') WHERE SpanKind = 'Server'
  AND SpanAttributes['http.status_code'] NOT IN ('200', '204') GROUP BY route HAVING count() > 10
ORDER BY p90 DESC LIMIT 20 OFFSET 5;