SELECT ServiceName, count() AS spans,
  countIf(StatusCode = 'Error') / count() AS error_rate,
  quantiles(0.5, 0.95, 0.99)(Duration / 1e6) AS ms
FROM otel_traces WHERE Timestamp >= now() - INTERVAL 1 HOUR
GROUP BY ServiceName ORDER BY spans DESC