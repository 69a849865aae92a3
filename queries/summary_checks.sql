-- summary top failing checks of $week: open (unmuted) FAIL findings per check, with the
-- accounts and resources they are in (also the weekly report's top open issues).
SELECT check_id, max(title) AS title, max(severity) AS severity, max(severity_id) AS severity_id,
       count(*) AS open_fail, count(DISTINCT account_uid) AS accounts,
       count(DISTINCT resource_uid) AS resources
FROM latest_findings
WHERE week = $week AND status_code = 'FAIL' AND NOT muted
GROUP BY check_id
ORDER BY severity_id DESC, open_fail DESC, check_id
LIMIT 10;
