-- summary counts of $week and $against, long format: (section, name, current, previous).
--   status   PASS / FAIL / MANUAL / muted: every finding of the week's latest scans
--   severity open (unmuted) FAIL findings by severity
--   change   new / regressed / persisting / resolved / unverified (diff_pairs: $week, $against)
WITH cur AS (SELECT * FROM latest_findings WHERE week = $week),
prev AS (SELECT * FROM latest_findings WHERE week = $against),
status AS (
    SELECT 'status' AS section, status_code AS name, count(*) AS current, 0 AS previous FROM cur GROUP BY status_code
    UNION ALL SELECT 'status', status_code, 0, count(*) FROM prev GROUP BY status_code
    UNION ALL SELECT 'status', 'muted', count(*), 0 FROM cur WHERE muted
    UNION ALL SELECT 'status', 'muted', 0, count(*) FROM prev WHERE muted
),
severity AS (
    SELECT 'severity' AS section, severity AS name, count(*) AS current, 0 AS previous
    FROM cur WHERE status_code = 'FAIL' AND NOT muted GROUP BY severity
    UNION ALL SELECT 'severity', severity, 0, count(*)
    FROM prev WHERE status_code = 'FAIL' AND NOT muted GROUP BY severity
    UNION ALL SELECT 'muted_fail', 'all', count(*), 0 FROM cur WHERE status_code = 'FAIL' AND muted
    UNION ALL SELECT 'muted_fail', 'all', 0, count(*) FROM prev WHERE status_code = 'FAIL' AND muted
),
changes AS (
    SELECT 'change' AS section, change AS name, count(*) AS current, 0 AS previous
    FROM finding_changes GROUP BY change
)
SELECT section, name, sum(current) AS current, sum(previous) AS previous
FROM (SELECT * FROM status UNION ALL SELECT * FROM severity UNION ALL SELECT * FROM changes) u
GROUP BY section, name
ORDER BY section, name;
