-- posture: pass rate overall and per account, service and severity in $week, with the
-- change against $against. Pass rate = PASS / (PASS + open FAIL); MANUAL and muted findings
-- are left out of the rate and counted apart.
WITH rows AS (
    SELECT week, account_uid, coalesce(service, '') AS service, severity, severity_id,
           status_code, muted
    FROM latest_findings
    WHERE week = $week OR week = $against
),
dims AS (
    SELECT week, 'overall' AS dimension, 'all' AS value, 0 AS rank, status_code, muted FROM rows
    UNION ALL SELECT week, 'account', account_uid, 1, status_code, muted FROM rows
    UNION ALL SELECT week, 'service', service, 2, status_code, muted FROM rows
    UNION ALL SELECT week, 'severity', severity, 10 - severity_id, status_code, muted FROM rows
),
counts AS (
    SELECT week, dimension, value, min(rank) AS rank,
           count(CASE WHEN status_code = 'PASS' AND NOT muted THEN 1 END) AS pass,
           count(CASE WHEN status_code = 'FAIL' AND NOT muted THEN 1 END) AS fail,
           count(CASE WHEN muted THEN 1 END) AS muted,
           count(CASE WHEN status_code = 'MANUAL' AND NOT muted THEN 1 END) AS manual
    FROM dims
    GROUP BY week, dimension, value
),
rated AS (
    SELECT *, CASE WHEN pass + fail = 0 THEN NULL
                   ELSE round(100.0 * pass / (pass + fail), 1) END AS pass_rate
    FROM counts
)
SELECT c.dimension, c.value, c.pass, c.fail, c.muted, c.manual, c.pass_rate,
       p.pass_rate AS previous_pass_rate,
       round(c.pass_rate - p.pass_rate, 1) AS pass_rate_delta,
       c.fail - coalesce(p.fail, 0) AS fail_delta
FROM rated c
LEFT JOIN rated p ON p.week = $against AND p.dimension = c.dimension AND p.value = c.value
WHERE c.week = $week
ORDER BY CASE c.dimension WHEN 'overall' THEN 0 WHEN 'severity' THEN 1 WHEN 'account' THEN 2 ELSE 3 END,
         c.rank, c.value;
