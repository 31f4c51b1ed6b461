select Timestamp, SeverityText, Body from otel_logs
where Body ILIKE '%timeout%' and SeverityNumber between 13 and 24 and not Body like 'debug\_%'
order by Timestamp desc limit 100