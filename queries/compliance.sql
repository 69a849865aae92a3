-- compliance: requirements of each framework with open failures in $week.
-- Parameters: $week, $framework ('' for every framework).
WITH expanded AS (
    SELECT finding_key, check_id, account_uid, status_code, muted, framework, requirement
    FROM compliance_requirements
    WHERE week = $week AND ($framework = '' OR framework = $framework)
)
SELECT framework, requirement,
       count(DISTINCT CASE WHEN status_code = 'FAIL' AND NOT muted THEN finding_key END) AS failing_findings,
       count(DISTINCT CASE WHEN status_code = 'PASS' THEN finding_key END) AS passing_findings,
       count(DISTINCT CASE WHEN status_code = 'FAIL' AND NOT muted THEN check_id END) AS failing_checks,
       count(DISTINCT CASE WHEN status_code = 'FAIL' AND NOT muted THEN account_uid END) AS failing_accounts
FROM expanded
GROUP BY framework, requirement
HAVING count(DISTINCT CASE WHEN status_code = 'FAIL' AND NOT muted THEN finding_key END) > 0
ORDER BY framework, failing_findings DESC, requirement;
