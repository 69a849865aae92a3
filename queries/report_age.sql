-- report_age: per check, the weeks with data up to $week in which it had open (unmuted)
-- FAIL findings in the accounts where it has them in $week; run over the weeks of the
-- report's trend, it tells how long each open issue has been failing there (a check failing
-- in an account scanned for the first time this week is failing since this week, whatever
-- other accounts showed before).
SELECT f.check_id, f.week
FROM latest_findings f
JOIN (
    SELECT DISTINCT check_id, account_uid
    FROM latest_findings
    WHERE week = $week AND status_code = 'FAIL' AND NOT muted
) n ON n.check_id = f.check_id AND n.account_uid = f.account_uid
WHERE f.week <= $week AND f.status_code = 'FAIL' AND NOT f.muted
GROUP BY f.check_id, f.week
ORDER BY f.check_id, f.week;
