-- trend: per week with data (the last $weeks of them), open FAIL counts by severity, muted
-- FAIL, and the new / regressed / resolved / unverified counts against the week before
-- (diff_pairs holds each week and the week with data before it).
WITH fails AS (
    SELECT week,
           count(CASE WHEN NOT muted THEN 1 END) AS open_fail,
           count(CASE WHEN NOT muted AND severity = 'Critical' THEN 1 END) AS critical,
           count(CASE WHEN NOT muted AND severity = 'High' THEN 1 END) AS high,
           count(CASE WHEN NOT muted AND severity = 'Medium' THEN 1 END) AS medium,
           count(CASE WHEN NOT muted AND severity = 'Low' THEN 1 END) AS low,
           count(CASE WHEN NOT muted AND severity = 'Informational' THEN 1 END) AS informational,
           count(CASE WHEN muted THEN 1 END) AS muted
    FROM latest_findings
    WHERE status_code = 'FAIL'
    GROUP BY week
),
changes AS (
    SELECT week,
           count(CASE WHEN change = 'new' THEN 1 END) AS new,
           count(CASE WHEN change = 'regressed' THEN 1 END) AS regressed,
           count(CASE WHEN change = 'resolved' THEN 1 END) AS resolved,
           count(CASE WHEN change = 'unverified' THEN 1 END) AS unverified
    FROM finding_changes
    GROUP BY week
),
accounts AS (
    SELECT week, count(*) AS accounts_scanned FROM latest_scans GROUP BY week
)
SELECT p.week, a.accounts_scanned,
       coalesce(f.open_fail, 0) AS open_fail, coalesce(f.critical, 0) AS critical,
       coalesce(f.high, 0) AS high, coalesce(f.medium, 0) AS medium, coalesce(f.low, 0) AS low,
       coalesce(f.informational, 0) AS informational, coalesce(f.muted, 0) AS muted_fail,
       coalesce(c.new, 0) AS new, coalesce(c.regressed, 0) AS regressed,
       coalesce(c.resolved, 0) AS resolved, coalesce(c.unverified, 0) AS unverified
FROM diff_pairs p
LEFT JOIN fails f ON f.week = p.week
LEFT JOIN changes c ON c.week = p.week
LEFT JOIN accounts a ON a.week = p.week
ORDER BY p.week;
