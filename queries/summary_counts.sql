-- summary counts of $week and $against, long format: (section, name, current, previous).
--   status     PASS / FAIL / MANUAL / muted: every finding of the week's latest scans
--   severity   open (unmuted) FAIL findings by severity
--   muted_fail muted FAIL findings (name 'all')
--   change     new / regressed / persisting / resolved / unverified (diff_pairs: $week, $against)
-- The two weeks are read once: each row is tagged with every count it belongs to.
WITH rows AS (
    SELECT week = $week AS now, status_code, muted, severity
    FROM latest_findings
    WHERE week = $week OR week = $against
),
tagged AS (
    SELECT CASE t.tag WHEN 'muted' THEN 'status' ELSE t.tag END AS section,
           CASE t.tag WHEN 'status' THEN r.status_code
                      WHEN 'muted' THEN 'muted'
                      WHEN 'severity' THEN r.severity
                      ELSE 'all' END AS name,
           r.now
    FROM rows r
    CROSS JOIN (VALUES ('status'), ('muted'), ('severity'), ('muted_fail')) AS t (tag)
    WHERE t.tag = 'status'
       OR (t.tag = 'muted' AND r.muted)
       OR (t.tag = 'severity' AND r.status_code = 'FAIL' AND NOT r.muted)
       OR (t.tag = 'muted_fail' AND r.status_code = 'FAIL' AND r.muted)
),
counts AS (
    SELECT section, name, count(CASE WHEN now THEN 1 END) AS current,
           count(CASE WHEN NOT now THEN 1 END) AS previous
    FROM tagged
    GROUP BY section, name
    -- the muted counts are reported even when zero
    UNION ALL SELECT 'status', 'muted', 0, 0
    UNION ALL SELECT 'muted_fail', 'all', 0, 0
    UNION ALL SELECT 'change', change, count(*), 0
    FROM finding_changes GROUP BY change
)
SELECT section, name, sum(current) AS current, sum(previous) AS previous
FROM counts
GROUP BY section, name
ORDER BY section, name;
