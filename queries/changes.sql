-- first_failures: per finding key that ever failed, the first week it failed in, over every
-- scan of the lake (superseded runs of a week included). `lake` reads these rows from its
-- failure index (written at ingest, checked against the files, see lake_store::failures)
-- instead of scanning the history; other engines compute them here.
CREATE VIEW first_failures AS
SELECT finding_key, min(week) AS first_failed_week
FROM findings_history
WHERE status_code = 'FAIL'
GROUP BY finding_key;

-- finding_changes: for each (week, against) pair in the table `diff_pairs`, one row per
-- finding key failing in either week, classified:
--   new        failing in `week`, not in `against`, never failing in any earlier week
--   regressed  failing in `week`, not in `against`, but failing in some week before `week`
--   persisting failing in both
--   resolved   failing in `against`; in `week` it is PASS, or it is absent although its
--              account's scan in `week` succeeded and covered its region
--   unverified failing in `against`; in `week` its account was not scanned, the scan was
--              partial or did not cover its region, or the finding is MANUAL: never "resolved"
-- Muted findings keep their change and carry muted = true (taken from `week` when present).
CREATE VIEW finding_changes AS
WITH fails AS (
    SELECT * FROM latest_findings WHERE status_code = 'FAIL'
),
cur AS (
    SELECT p.week AS pair_week, p.against AS pair_against, f.*
    FROM diff_pairs p JOIN fails f ON f.week = p.week
),
prev AS (
    SELECT p.week AS pair_week, p.against AS pair_against, f.*
    FROM diff_pairs p JOIN fails f ON f.week = p.against
),
now_any AS (
    SELECT p.week AS pair_week, f.finding_key, f.status_code
    FROM diff_pairs p JOIN latest_findings f ON f.week = p.week
),
coverage AS (
    SELECT week, account_uid, status, regions FROM latest_scans
),
joined AS (
    SELECT
        coalesce(c.pair_week, v.pair_week) AS week,
        coalesce(c.pair_against, v.pair_against) AS against,
        coalesce(c.finding_key, v.finding_key) AS finding_key,
        c.finding_key IS NOT NULL AS failing_now,
        v.finding_key IS NOT NULL AS failing_before,
        coalesce(c.finding_uid, v.finding_uid) AS finding_uid,
        coalesce(c.muted, v.muted) AS muted,
        coalesce(c.severity, v.severity) AS severity,
        coalesce(c.severity_id, v.severity_id) AS severity_id,
        coalesce(c.check_id, v.check_id) AS check_id,
        coalesce(c.title, v.title) AS title,
        coalesce(c.service, v.service) AS service,
        coalesce(c.provider, v.provider) AS provider,
        coalesce(c.account_uid, v.account_uid) AS account_uid,
        coalesce(c.region, v.region) AS region,
        coalesce(c.resource_uid, v.resource_uid) AS resource_uid,
        coalesce(c.resource_name, v.resource_name) AS resource_name,
        coalesce(c.status_detail, v.status_detail) AS status_detail,
        v.scan_account AS before_scan_account
    FROM cur c
    FULL OUTER JOIN prev v
        ON c.pair_week = v.pair_week AND c.finding_key = v.finding_key
)
SELECT
    j.week, j.against, j.finding_key, j.finding_uid,
    CASE
        WHEN j.failing_now AND j.failing_before THEN 'persisting'
        WHEN j.failing_now AND e.finding_key IS NOT NULL THEN 'regressed'
        WHEN j.failing_now THEN 'new'
        WHEN n.status_code = 'PASS' THEN 'resolved'
        WHEN n.status_code IS NULL AND cv.status = 'succeeded'
             AND array_has(cv.regions, j.region) THEN 'resolved'
        ELSE 'unverified'
    END AS change,
    j.muted, j.severity, j.severity_id, j.check_id, j.title, j.service, j.provider,
    j.account_uid, j.region, j.resource_uid, j.resource_name,
    n.status_code AS status_now,
    j.status_detail
FROM joined j
LEFT JOIN first_failures e ON e.finding_key = j.finding_key AND e.first_failed_week < j.week
LEFT JOIN now_any n ON n.pair_week = j.week AND n.finding_key = j.finding_key AND NOT j.failing_now
LEFT JOIN coverage cv ON cv.week = j.week AND cv.account_uid = j.before_scan_account AND NOT j.failing_now;
