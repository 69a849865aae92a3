-- compliance: requirements of each framework with open failures in $week (compliance_week:
-- per requirement, its failing and passing findings, failing checks and accounts).
-- Parameters: $week, $framework ('' for every framework).
SELECT framework, requirement, failing_findings, passing_findings, failing_checks,
       failing_accounts
FROM compliance_week
WHERE week = $week AND ($framework = '' OR framework = $framework) AND failing_findings > 0
ORDER BY framework, failing_findings DESC, requirement;
