-- lookback: did this control fail in the window? One row per account, region and resource
-- that the check evaluated in the window (latest run per account per week).
-- Parameters: $check, $from, $to (dates, YYYY-MM-DD; the window is inclusive).
WITH hits AS (
    SELECT account_uid, region, resource_uid, finding_key, scan_time, status_code, muted,
           row_number() OVER (PARTITION BY finding_key ORDER BY scan_time DESC) AS recency
    FROM latest_findings
    WHERE check_id = $check AND dt >= $from AND dt <= $to
)
SELECT account_uid, region, resource_uid,
       min(CASE WHEN status_code = 'FAIL' THEN scan_time END) AS first_failing_scan,
       max(CASE WHEN status_code = 'FAIL' THEN scan_time END) AS last_failing_scan,
       count(CASE WHEN status_code = 'FAIL' THEN 1 END) AS scans_failing,
       count(*) AS scans,
       bool_or(recency = 1 AND status_code = 'FAIL' AND NOT muted) AS failing_now,
       bool_or(recency = 1 AND muted) AS muted_now
FROM hits
GROUP BY account_uid, region, resource_uid
ORDER BY failing_now DESC, scans_failing DESC, account_uid, region, resource_uid;
