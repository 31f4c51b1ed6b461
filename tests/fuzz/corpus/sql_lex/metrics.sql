SELECT toStartOfInterval(TimeUnix, INTERVAL 5 MINUTE) AS t, MetricName, avg(Value)
FROM `otel_metrics_gauge` WHERE MetricName = 'system.cpu.utilization' AND TimeUnix > now() - INTERVAL '6 hours'
GROUP BY t, MetricName ORDER BY t