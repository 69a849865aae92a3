-- compliance: requirements of each framework with open failures in $week.
-- Parameters: $week, $framework ('' for every framework).
-- A requirement's findings are the sum of its rows in compliance_counts (a finding is
-- counted in one of them); its failing checks and accounts those with a failing finding.
SELECT framework, requirement,
       sum(failing) AS failing_findings,
       sum(passing) AS passing_findings,
       count(DISTINCT CASE WHEN failing > 0 THEN check_id END) AS failing_checks,
       count(DISTINCT CASE WHEN failing > 0 THEN account_uid END) AS failing_accounts
FROM compliance_counts
WHERE week = $week AND ($framework = '' OR framework = $framework)
GROUP BY framework, requirement
HAVING sum(failing) > 0
ORDER BY framework, failing_findings DESC, requirement;
