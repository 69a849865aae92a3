-- compliance: requirements of each framework with open failures in $week.
-- Parameters: $week, $framework ('' for every framework).
WITH entries AS (
    SELECT finding_key, check_id, account_uid, status_code, muted,
           unnest(map_entries(compliance)) AS entry
    FROM latest_findings
    WHERE week = $week
),
expanded AS (
    SELECT finding_key, check_id, account_uid, status_code, muted,
           entry['key'] AS framework, unnest(entry['value']) AS requirement
    FROM entries
    WHERE $framework = '' OR entry['key'] = $framework
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
