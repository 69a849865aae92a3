-- lookback: did this control fail in the window? One row per account, region and resource
-- that the check evaluated in the window (each week's state, see latest_findings).
-- failing_now and muted_now say what `diff` says of the resource for the latest week with
-- data in the window (diff_pairs holds it and the week with data before it): failing_now is
-- true when a finding of it fails then (new, regressed, persisting, onboarded) unmuted, NULL
-- (unknown) when diff calls it unverified or its account was not scanned that week, false
-- otherwise (resolved, passing, muted, or not failing in either week).
-- Parameters: $check, $from, $to (dates, YYYY-MM-DD; the window is inclusive).
WITH hits AS (
    SELECT account_uid, region, resource_uid, finding_key, source, scan_account, scan_time,
           status_code
    FROM latest_findings
    WHERE check_id = $check AND dt >= $from AND dt <= $to
),
-- Each finding of the window (a key of one producer's account, in the resource's account and
-- region): its scans, read once.
per_finding AS (
    SELECT account_uid, region, resource_uid, finding_key, source, scan_account,
           min(CASE WHEN status_code = 'FAIL' THEN scan_time END) AS first_failing_scan,
           max(CASE WHEN status_code = 'FAIL' THEN scan_time END) AS last_failing_scan,
           count(CASE WHEN status_code = 'FAIL' THEN 1 END) AS scans_failing,
           count(*) AS scans
    FROM hits
    GROUP BY account_uid, region, resource_uid, finding_key, source, scan_account
),
now AS (
    SELECT k.account_uid, k.region, k.resource_uid, k.first_failing_scan,
           k.last_failing_scan, k.scans_failing, k.scans,
           CASE WHEN c.change IN ('new', 'regressed', 'persisting', 'onboarded')
                    THEN NOT c.muted
                WHEN c.change = 'unverified' THEN NULL
                WHEN c.change = 'resolved' THEN false
                -- not failing in either week: known only if its account was scanned
                WHEN a.landed THEN false
                ELSE NULL END AS failing,
           coalesce(c.change IN ('new', 'regressed', 'persisting', 'onboarded') AND c.muted,
                    false) AS muted
    FROM per_finding k
    LEFT JOIN (
        SELECT finding_key, change, muted FROM finding_changes WHERE check_id = $check
    ) c ON c.finding_key = k.finding_key
    LEFT JOIN (
        SELECT w.source, w.account_uid, w.landed
        FROM account_weeks w JOIN diff_pairs p ON w.week = p.week
    ) a ON a.source = k.source AND a.account_uid = k.scan_account
)
SELECT account_uid, region, resource_uid,
       min(first_failing_scan) AS first_failing_scan,
       max(last_failing_scan) AS last_failing_scan,
       sum(scans_failing) AS scans_failing,
       sum(scans) AS scans,
       CASE WHEN bool_or(failing) THEN true
            WHEN count(failing) < count(*) THEN NULL
            ELSE false END AS failing_now,
       bool_or(muted) AS muted_now
FROM now
GROUP BY account_uid, region, resource_uid
ORDER BY failing_now DESC NULLS LAST, scans_failing DESC, account_uid, region, resource_uid;
