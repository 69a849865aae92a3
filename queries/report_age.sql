-- report_age: per check, the weeks with data up to $week in which it had open (unmuted)
-- FAIL findings; run over the weeks of the report's trend, it tells how long each open issue
-- has been failing.
SELECT check_id, week
FROM latest_findings
WHERE week <= $week AND status_code = 'FAIL' AND NOT muted
GROUP BY check_id, week
ORDER BY check_id, week;
