-- Change semantics, defined once: every count of new, resolved, persisting ... that `diff`,
-- `trend`, `summary`, `posture` and `lookback` show is derived from the views below, over the
-- week states of views.sql. README.md, "How the numbers are made", tells the same in words.
--
-- first_failures: per finding key that ever failed, the first week it failed in, over every
-- scan of the lake (superseded runs of a week included). `lake` reads these rows from its
-- failure index (written at ingest, checked against the files, see lake_store::failures)
-- instead of scanning the history; other engines compute them here.
CREATE VIEW first_failures AS
SELECT finding_key, min(week) AS first_failed_week
FROM findings_history
WHERE status_code = 'FAIL'
GROUP BY finding_key;

-- Every view below is per producer (`source`, see landed_scans): a scan of an account is a
-- scan by one producer, and one producer's evidence never judges another's findings.
--
-- week_cells: per week, the cells of its state (source, provider, account, scope, check) and
-- whether each stands on a complete (succeeded) scan: only then is a finding's absence
-- evidence. (Every standing observation of a cell is of the one scan standing_cells names,
-- so the cell's scan account and status are that scan's: a join on its number rather than
-- a second aggregate over every observation.)
CREATE VIEW week_cells AS
SELECT c.week, c.source, c.provider, c.account_uid, c.scope, c.check_id,
       s.account_uid AS scan_account, s.status = 'succeeded' AS complete
FROM standing_cells c
JOIN ordered_scans s ON s.scan_order = c.scan_order;

-- week_regions: per week, the regions each account (as scanned) was scanned in: those its
-- landed scans saw findings in (the manifest's `regions`), complete when a succeeded scan did.
CREATE VIEW week_regions AS
SELECT week, source, account_uid AS scan_account, region,
       bool_or(status = 'succeeded') AS complete
FROM (
    SELECT week, source, account_uid, status, unnest(regions) AS region FROM landed_scans
) r
GROUP BY week, source, account_uid, region;

-- week_checks: per week, account and check: the region the check reported in when it
-- reported in one only (`only_region`, null when in several), complete when every cell of it
-- stands on a succeeded scan. (min = max rather than a distinct count: counting distinct
-- regions per group cost seconds over a week's checks.)
CREATE VIEW week_checks AS
SELECT week, source, provider, account_uid, check_id, max(scan_account) AS scan_account,
       CASE WHEN min(region) = max(region) THEN min(region) END AS only_region,
       bool_and(scan_status = 'succeeded') AS complete
FROM week_observations
WHERE standing
GROUP BY week, source, provider, account_uid, check_id;

-- week_services: per week, the (account, region, service) its state observed (a check of
-- the service reported there), complete when one stands on a succeeded scan.
CREATE VIEW week_services AS
SELECT week, source, provider, account_uid, region, service, max(scan_account) AS scan_account,
       bool_or(scan_status = 'succeeded') AS complete
FROM week_observations
WHERE standing
GROUP BY week, source, provider, account_uid, region, service;

-- account_weeks: per producer, account as scanned (the scan's account) and week: whether a
-- scan of it landed, succeeded, failed (from the manifest alone). A source nothing could be
-- read from names no producer: it counts as Prowler's (lake's first producer).
CREATE VIEW account_weeks AS
SELECT coalesce(source_product, 'prowler') AS source, account_uid, week,
       bool_or(status <> 'failed') AS landed,
       bool_or(status = 'succeeded') AS succeeded,
       bool_or(status = 'failed') AS failed
FROM scans
WHERE week IS NOT NULL
GROUP BY coalesce(source_product, 'prowler'), account_uid, week;

-- carried_baselines: per pair (week, against) of diff_pairs, the accounts scanned in `week`
-- that have no succeeded scan in `against` (not scanned, failed or partial) but had one
-- before: their baseline is carried forward from `base_week`, the latest such week. Their
-- cells that `against` did not observe are judged by that week's state.
CREATE VIEW carried_baselines AS
SELECT p.week, p.against, a.source, a.account_uid AS scan_account, max(a.week) AS base_week
FROM diff_pairs p
JOIN account_weeks a ON a.week < p.against AND a.succeeded
JOIN account_weeks n
    ON n.source = a.source AND n.account_uid = a.account_uid AND n.week = p.week AND n.landed
LEFT JOIN account_weeks b
    ON b.source = a.source AND b.account_uid = a.account_uid AND b.week = p.against
   AND b.succeeded
WHERE b.account_uid IS NULL
GROUP BY p.week, p.against, a.source, a.account_uid;

-- carried_regions: per pair, the regions of an account scanned in `week` that `against`'s
-- scans of it did not see although they were complete (a region left out with `prowler -f`,
-- or one whose every call failed), and that an earlier complete scan saw: their baseline is
-- carried forward from `base_week`, the latest such week, as carried_baselines does for a
-- whole account. (An account carried whole is not carried again by region.)
CREATE VIEW carried_regions AS
WITH gaps AS (
    -- (the regions `against` did not see first, usually none, so that only they meet the
    -- history's regions)
    SELECT p.week, p.against, n.source, n.scan_account, n.region
    FROM diff_pairs p
    JOIN week_regions n ON n.week = p.week
    JOIN account_weeks b
        ON b.week = p.against AND b.source = n.source AND b.account_uid = n.scan_account
       AND b.succeeded
    WHERE NOT EXISTS (
        SELECT 1 FROM week_regions y
        WHERE y.week = p.against AND y.source = n.source
          AND y.scan_account = n.scan_account AND y.region = n.region
    )
)
SELECT g.week, g.against, g.source, g.scan_account, g.region, max(o.week) AS base_week
FROM gaps g
JOIN week_regions o
    ON o.source = g.source AND o.scan_account = g.scan_account AND o.region = g.region
   AND o.week < g.against AND o.complete
GROUP BY g.week, g.against, g.source, g.scan_account, g.region;

-- baseline_findings: per pair, the state `week` is compared with: the state of `against`,
-- plus the carried cells of carried_baselines and the carried regions of carried_regions
-- (their rows keep the week they are from; `against` has no finding in such a region).
CREATE VIEW baseline_findings AS
SELECT p.week AS pair_week, f.*
FROM diff_pairs p
JOIN latest_findings f ON f.week = p.against
UNION ALL
SELECT c.week AS pair_week, f.*
FROM carried_baselines c
JOIN latest_findings f
    ON f.week = c.base_week AND f.source = c.source AND f.scan_account = c.scan_account
WHERE NOT EXISTS (
    SELECT 1 FROM week_cells x
    WHERE x.week = c.against AND x.source = f.source AND x.provider = f.provider
      AND x.account_uid = f.account_uid AND x.scope = f.scope AND x.check_id = f.check_id
)
UNION ALL
SELECT r.week AS pair_week, f.*
FROM carried_regions r
JOIN latest_findings f
    ON f.week = r.base_week AND f.source = r.source AND f.scan_account = r.scan_account
   AND f.region = r.region;

-- baseline_cells, baseline_regions, baseline_checks, baseline_services: the week_* of the
-- baseline, likewise (a carried region brings its regional cells, its region and its
-- services; the checks and a global check's cell stay those `against` observed).
CREATE VIEW baseline_cells AS
SELECT p.week AS pair_week, x.*
FROM diff_pairs p
JOIN week_cells x ON x.week = p.against
UNION ALL
SELECT c.week AS pair_week, x.*
FROM carried_baselines c
JOIN week_cells x
    ON x.week = c.base_week AND x.source = c.source AND x.scan_account = c.scan_account
WHERE NOT EXISTS (
    SELECT 1 FROM week_cells y
    WHERE y.week = c.against AND y.source = x.source AND y.provider = x.provider
      AND y.account_uid = x.account_uid AND y.scope = x.scope AND y.check_id = x.check_id
)
UNION ALL
SELECT r.week AS pair_week, x.*
FROM carried_regions r
JOIN week_cells x
    ON x.week = r.base_week AND x.source = r.source AND x.scan_account = r.scan_account
   AND x.scope = r.region;

CREATE VIEW baseline_regions AS
SELECT p.week AS pair_week, x.*
FROM diff_pairs p
JOIN week_regions x ON x.week = p.against
UNION ALL
SELECT c.week AS pair_week, x.*
FROM carried_baselines c
JOIN week_regions x
    ON x.week = c.base_week AND x.source = c.source AND x.scan_account = c.scan_account
WHERE NOT EXISTS (
    SELECT 1 FROM week_regions y
    WHERE y.week = c.against AND y.source = x.source AND y.scan_account = x.scan_account
      AND y.region = x.region AND y.complete
)
UNION ALL
SELECT r.week AS pair_week, x.*
FROM carried_regions r
JOIN week_regions x
    ON x.week = r.base_week AND x.source = r.source AND x.scan_account = r.scan_account
   AND x.region = r.region;

CREATE VIEW baseline_checks AS
SELECT p.week AS pair_week, x.*
FROM diff_pairs p
JOIN week_checks x ON x.week = p.against
UNION ALL
SELECT c.week AS pair_week, x.*
FROM carried_baselines c
JOIN week_checks x
    ON x.week = c.base_week AND x.source = c.source AND x.scan_account = c.scan_account
WHERE NOT EXISTS (
    SELECT 1 FROM week_checks y
    WHERE y.week = c.against AND y.source = x.source AND y.provider = x.provider
      AND y.account_uid = x.account_uid AND y.check_id = x.check_id AND y.complete
);

CREATE VIEW baseline_services AS
SELECT p.week AS pair_week, x.*
FROM diff_pairs p
JOIN week_services x ON x.week = p.against
UNION ALL
SELECT c.week AS pair_week, x.*
FROM carried_baselines c
JOIN week_services x
    ON x.week = c.base_week AND x.source = c.source AND x.scan_account = c.scan_account
WHERE NOT EXISTS (
    SELECT 1 FROM week_services y
    WHERE y.week = c.against AND y.source = x.source AND y.provider = x.provider
      AND y.account_uid = x.account_uid AND y.region = x.region AND y.service = x.service
      AND y.complete
)
UNION ALL
SELECT r.week AS pair_week, x.*
FROM carried_regions r
JOIN week_services x
    ON x.week = r.base_week AND x.source = r.source AND x.scan_account = r.scan_account
   AND x.region = r.region;

-- first_weeks: per producer and account (as scanned), the first week a scan of it landed.
CREATE VIEW first_weeks AS
SELECT source, account_uid, min(week) AS first_week
FROM account_weeks
WHERE landed
GROUP BY source, account_uid;

-- finding_changes: for each pair (week, against) of diff_pairs, one row per finding key
-- failing (muted or not) in the week's state or in its baseline, classified with evidence on
-- both sides. A finding's absence is evidence only where its check ran: its cell (account,
-- scope, check) was observed by a complete scan or, for an AWS regional check that ran in
-- the account, its service reported in the finding's region (the last volume of a region
-- deleted leaves the check nothing to report there, while other EC2 checks still report)
-- and no check reports the finding's resource there any more (one that still does shows
-- the resource was not deleted: the check, not the resource, went quiet).
--   persisting failing in both
--   new        failing now; the baseline observed it not failing (PASS or MANUAL: no
--              reason; or absent where its check ran: reason absent_before), and it never
--              failed before
--   regressed  as new, but it failed in some week before
--   onboarded  failing now; the baseline has no evidence about it (reason:
--              account_first_scanned, account_not_in_baseline, region_not_in_baseline,
--              check_not_in_baseline, service_not_in_baseline, baseline_partial, or
--              check_not_observed: the check reported nothing in the finding's region then
--              although the baseline reported its resource there): never "new" from a hole
--              in the data, a newly scanned account, a newly added check or a check that
--              errored in the baseline
--   resolved   failing in the baseline; now PASS (no reason), or absent although its check
--              ran where it would report it (reason absent, absent_service_scanned, or
--              absent_check_moved_region for a check whose only finding in the account
--              moved to another region, e.g. a trail created elsewhere)
--   unverified failing in the baseline; no evidence now (reason: account_not_scanned,
--              scan_failed, account_not_observed (a file that held it no longer does),
--              scan_partial, region_not_observed, check_not_observed, manual):
--              never "resolved"
-- `baseline_week` is the week the baseline evidence comes from: `against`, or for an account
-- not completely scanned then, the week its state was carried from (reason baseline_carried).
-- `muted` is the week's when the finding is in its state, else the baseline's; counts of
-- changes leave muted findings out and count them apart.
-- The two halves (failing now; failing before only) are apart so that a filter on check_id
-- (lookback) reaches every scan below them. Each half reads its side's rows whole and the
-- other side's key and status only: each week is read twice, once with its text.
--
-- pair_rows: per pair, the week's state (the rows of latest_findings of `week`).
CREATE VIEW pair_rows AS
SELECT p.week AS pair_week, p.against AS pair_against, f.*
FROM diff_pairs p
JOIN latest_findings f ON f.week = p.week;

-- failing_now: per pair, each key failing (muted or not) in the week's state, with what the
-- baseline shows of it (its status there and the week of that row, when it is there). Its
-- own view, computed once (lake materializes it), because finding_changes reads it twice:
-- the keys failing in the baseline too (persisting, most of a week's failures) go straight
-- to the result, and only the others are weighed against the evidence, so that the week's
-- failing rows with their text are not carried through seven joins that leave most of them
-- as they were.
CREATE VIEW failing_now AS
WITH base_rows AS (
    SELECT b.pair_week, b.week, b.check_id, b.finding_key, b.status_code
    FROM baseline_findings b
)
SELECT c.pair_week, c.pair_against, c.finding_key, c.finding_uid, c.muted, c.severity,
       c.severity_id, c.check_id, c.title, c.service, c.provider, c.account_uid, c.region,
       c.resource_uid, c.resource_name, c.source, c.status_detail, c.scope, c.scan_account,
       v.week AS baseline_row_week, v.status_code AS before_status,
       coalesce(v.status_code = 'FAIL', false) AS failing_before
-- (written as a right join so that engines build their hash table from the baseline's keys
-- and statuses, not from the week's failing rows with their text)
FROM base_rows v
RIGHT JOIN pair_rows c
    ON v.pair_week = c.pair_week AND v.check_id = c.check_id
   AND v.finding_key = c.finding_key
WHERE c.status_code = 'FAIL';

-- pair_resources, baseline_resources: per pair, the resources the week's state and its
-- baseline report, per account and region, and whether under more than one check
-- (`several`). The service's evidence of a resource's absence (absent_service_scanned,
-- absent_before in finding_changes) takes a resource that one side reports under several
-- checks and the other side under none: a real resource, created or deleted. A resource
-- only one check reports (an account's per-region setting, such as EBS default encryption,
-- `arn:aws:ec2:<region>:<account>:volume`) vanishes the same way when that check errors in
-- the region, so its absence proves nothing. (Regional findings only: the service judges no
-- other. `lake` computes each once per query.)
CREATE VIEW pair_resources AS
SELECT pair_week, source, account_uid, region, resource_uid,
       min(check_id) <> max(check_id) AS several
FROM pair_rows
WHERE scope <> '*'
GROUP BY pair_week, source, account_uid, region, resource_uid;

CREATE VIEW baseline_resources AS
SELECT pair_week, source, account_uid, region, resource_uid,
       min(check_id) <> max(check_id) AS several
FROM baseline_findings
WHERE scope <> '*'
GROUP BY pair_week, source, account_uid, region, resource_uid;

CREATE VIEW finding_changes AS
WITH base_rows AS (
    SELECT b.*, p.against AS pair_against
    FROM baseline_findings b
    JOIN diff_pairs p ON p.week = b.pair_week
),
-- failing now and not in the baseline: new, regressed or onboarded, by the evidence
judged_now AS (
    SELECT
        j.*,
        e.finding_key IS NOT NULL AS failed_earlier,
        CASE
            WHEN j.before_status IS NOT NULL THEN 'present'
            WHEN bc.complete AND (j.scope <> '*' OR j.provider <> 'aws' OR br.complete)
                THEN 'absent_before'
            WHEN j.scope <> '*' AND bk.complete AND bs.complete AND bres.resource_uid IS NULL
                 AND coalesce(nres.several, false)
                THEN 'absent_before'
        END AS before_evidence,
        -- the week of the baseline that evidence comes from
        CASE
            WHEN j.before_status IS NOT NULL THEN j.baseline_row_week
            WHEN bc.complete AND (j.scope <> '*' OR j.provider <> 'aws' OR br.complete)
                THEN bc.week
            WHEN j.scope <> '*' AND bk.complete AND bs.complete AND bres.resource_uid IS NULL
                 AND coalesce(nres.several, false)
                THEN bs.week
        END AS before_evidence_week,
        CASE
            WHEN coalesce(fw.first_week, j.pair_week) >= j.pair_week THEN 'account_first_scanned'
            WHEN ba.scan_account IS NULL THEN 'account_not_in_baseline'
            WHEN bc.check_id IS NOT NULL AND NOT bc.complete THEN 'baseline_partial'
            WHEN br.region IS NULL THEN 'region_not_in_baseline'
            WHEN NOT br.complete THEN 'baseline_partial'
            WHEN bk.check_id IS NULL THEN 'check_not_in_baseline'
            WHEN j.scope <> '*' AND bk.complete AND bs.complete THEN 'check_not_observed'
            ELSE 'service_not_in_baseline'
        END AS onboarded_reason
    FROM failing_now j
    LEFT JOIN first_failures e
        ON e.finding_key = j.finding_key AND e.first_failed_week < j.pair_week
    LEFT JOIN baseline_cells bc
        ON bc.pair_week = j.pair_week AND bc.source = j.source
       AND bc.provider = j.provider AND bc.account_uid = j.account_uid AND bc.scope = j.scope
       AND bc.check_id = j.check_id
    LEFT JOIN baseline_regions br
        ON br.pair_week = j.pair_week AND br.source = j.source
       AND br.scan_account = j.scan_account AND br.region = j.region
    LEFT JOIN baseline_checks bk
        ON bk.pair_week = j.pair_week AND bk.source = j.source
       AND bk.provider = j.provider AND bk.account_uid = j.account_uid
       AND bk.check_id = j.check_id
    LEFT JOIN baseline_services bs
        ON bs.pair_week = j.pair_week AND bs.source = j.source
       AND bs.provider = j.provider AND bs.account_uid = j.account_uid
       AND bs.region = j.region AND bs.service = coalesce(j.service, '')
    LEFT JOIN (
        SELECT DISTINCT pair_week, source, scan_account FROM baseline_regions
    ) ba
        ON ba.pair_week = j.pair_week AND ba.source = j.source
       AND ba.scan_account = j.scan_account
    LEFT JOIN first_weeks fw
        ON fw.source = j.source AND fw.account_uid = j.scan_account
    -- (the resources the baseline reported in the region: one among them existed then, so
    -- a check silent in its region then says nothing of it, as in judged_before; and
    -- whether the week's state reports the resource under several checks: see
    -- pair_resources)
    LEFT JOIN baseline_resources bres
        ON bres.pair_week = j.pair_week AND bres.source = j.source
       AND bres.account_uid = j.account_uid AND bres.region = j.region
       AND bres.resource_uid = j.resource_uid
    LEFT JOIN pair_resources nres
        ON nres.pair_week = j.pair_week AND nres.source = j.source
       AND nres.account_uid = j.account_uid AND nres.region = j.region
       AND nres.resource_uid = j.resource_uid
    WHERE NOT j.failing_before
),
-- failing before only: resolved or unverified, with what the week's state shows of it
failed_before AS (
    SELECT v.*, n.status_code AS now_status, n.muted AS now_muted
    FROM pair_rows n
    RIGHT JOIN base_rows v
        ON n.pair_week = v.pair_week AND n.check_id = v.check_id
       AND n.finding_key = v.finding_key
    WHERE v.status_code = 'FAIL' AND (n.status_code IS NULL OR n.status_code <> 'FAIL')
),
judged_before AS (
    SELECT
        j.*,
        CASE
            WHEN nc.complete AND (j.scope <> '*' OR j.provider <> 'aws' OR nr.complete)
                THEN 'absent'
            WHEN j.scope <> '*' AND nk.complete AND ns.complete AND nres.resource_uid IS NULL
                 AND coalesce(bres.several, false)
                THEN 'absent_service_scanned'
            WHEN j.scope <> '*' AND nk.complete AND nk.only_region IS NOT NULL
                 AND pk.only_region = j.region AND nr.complete
                THEN 'absent_check_moved_region'
        END AS now_evidence,
        CASE
            WHEN NOT coalesce(aw.landed, false) AND coalesce(aw.failed, false) THEN 'scan_failed'
            WHEN NOT coalesce(aw.landed, false) THEN 'account_not_scanned'
            WHEN na.account_uid IS NULL THEN 'account_not_observed'
            WHEN nc.check_id IS NOT NULL AND NOT nc.complete THEN 'scan_partial'
            WHEN nr.region IS NULL THEN 'region_not_observed'
            WHEN NOT nr.complete THEN 'scan_partial'
            ELSE 'check_not_observed'
        END AS unverified_reason
    FROM failed_before j
    LEFT JOIN week_cells nc
        ON nc.week = j.pair_week AND nc.source = j.source AND nc.provider = j.provider
       AND nc.account_uid = j.account_uid AND nc.scope = j.scope AND nc.check_id = j.check_id
    LEFT JOIN week_regions nr
        ON nr.week = j.pair_week AND nr.source = j.source AND nr.scan_account = j.scan_account
       AND nr.region = j.region
    LEFT JOIN week_checks nk
        ON nk.week = j.pair_week AND nk.source = j.source AND nk.provider = j.provider
       AND nk.account_uid = j.account_uid AND nk.check_id = j.check_id
    LEFT JOIN week_services ns
        ON ns.week = j.pair_week AND ns.source = j.source AND ns.provider = j.provider
       AND ns.account_uid = j.account_uid AND ns.region = j.region
       AND ns.service = coalesce(j.service, '')
    LEFT JOIN baseline_checks pk
        ON pk.pair_week = j.pair_week AND pk.source = j.source AND pk.provider = j.provider
       AND pk.account_uid = j.account_uid AND pk.check_id = j.check_id
    -- (the resources the week's state still reports in the region: one among them was not
    -- deleted, so a check silent in its region says nothing of it; and whether the baseline
    -- reported the resource under several checks: see pair_resources)
    LEFT JOIN pair_resources nres
        ON nres.pair_week = j.pair_week AND nres.source = j.source
       AND nres.account_uid = j.account_uid AND nres.region = j.region
       AND nres.resource_uid = j.resource_uid
    LEFT JOIN baseline_resources bres
        ON bres.pair_week = j.pair_week AND bres.source = j.source
       AND bres.account_uid = j.account_uid AND bres.region = j.region
       AND bres.resource_uid = j.resource_uid
    LEFT JOIN account_weeks aw
        ON aw.week = j.pair_week AND aw.source = j.source AND aw.account_uid = j.scan_account
    LEFT JOIN (SELECT DISTINCT week, source, provider, account_uid FROM week_cells) na
        ON na.week = j.pair_week AND na.source = j.source AND na.provider = j.provider
       AND na.account_uid = j.account_uid
)
-- failing in both: persisting, as the baseline's row shows (carried from an earlier week
-- when `against` has no complete scan of the account)
SELECT
    pair_week AS week, pair_against AS against, finding_key, finding_uid,
    'persisting' AS change,
    CASE WHEN baseline_row_week <> pair_against THEN 'baseline_carried' END AS reason,
    baseline_row_week AS baseline_week,
    muted, severity, severity_id, check_id, title, service, provider,
    account_uid, region, resource_uid, resource_name, source,
    'FAIL' AS status_now,
    before_status AS status_before,
    status_detail
FROM failing_now
WHERE failing_before
UNION ALL
SELECT
    pair_week AS week, pair_against AS against, finding_key, finding_uid,
    CASE
        WHEN before_evidence IS NOT NULL AND failed_earlier THEN 'regressed'
        WHEN before_evidence IS NOT NULL THEN 'new'
        ELSE 'onboarded'
    END AS change,
    CASE
        WHEN before_evidence IS NOT NULL AND before_evidence_week <> pair_against
            THEN 'baseline_carried'
        WHEN before_evidence = 'present' THEN NULL
        WHEN before_evidence IS NOT NULL THEN before_evidence
        ELSE onboarded_reason
    END AS reason,
    CASE
        WHEN before_evidence IS NOT NULL THEN before_evidence_week
        ELSE pair_against
    END AS baseline_week,
    muted, severity, severity_id, check_id, title, service, provider,
    account_uid, region, resource_uid, resource_name, source,
    'FAIL' AS status_now,
    before_status AS status_before,
    status_detail
FROM judged_now
UNION ALL
SELECT
    pair_week AS week, pair_against AS against, finding_key, finding_uid,
    CASE
        WHEN now_status = 'PASS' THEN 'resolved'
        WHEN now_status IS NULL AND now_evidence IS NOT NULL THEN 'resolved'
        ELSE 'unverified'
    END AS change,
    CASE
        WHEN now_status = 'PASS' THEN NULL
        WHEN now_status = 'MANUAL' THEN 'manual'
        WHEN now_evidence IS NOT NULL THEN now_evidence
        ELSE unverified_reason
    END AS reason,
    week AS baseline_week,
    coalesce(now_muted, muted) AS muted, severity, severity_id, check_id, title, service,
    provider, account_uid, region, resource_uid, resource_name, source,
    now_status AS status_now,
    'FAIL' AS status_before,
    status_detail
FROM judged_before;

-- account_coverage: per week of diff_pairs, every account (as scanned) by every producer
-- (`source`) that was scanned that week or in one of the 12 weeks with data before it, with
-- what the week holds of it:
--   status     succeeded, partial, failed (nothing landed) or missing (no scan at all)
--   onboarded  its first week with a landed scan
--   last_week  the latest week up to `week` in which a scan of it landed
--   weeks_missing  weeks with data since then (0 when it landed this week)
-- An account that stops being scanned is so reported for 12 weeks with data, then dropped.
CREATE VIEW account_coverage AS
WITH data_weeks AS (
    SELECT week, CAST(row_number() OVER (ORDER BY week) AS bigint) AS n
    FROM (SELECT DISTINCT week FROM landed_scans) w
),
seen AS (
    SELECT a.source, a.account_uid, a.week, d.n
    FROM account_weeks a
    JOIN data_weeks d ON d.week = a.week
    WHERE a.landed
),
recent AS (
    SELECT p.week, s.source, s.account_uid, max(s.week) AS last_week, max(s.n) AS last_n,
           max(d.n) AS n
    FROM diff_pairs p
    JOIN data_weeks d ON d.week = p.week
    JOIN seen s ON s.n <= d.n AND s.n >= d.n - 12
    GROUP BY p.week, s.source, s.account_uid
    UNION ALL
    -- failed in `week` and never landed in the window
    SELECT p.week, a.source, a.account_uid, CAST(NULL AS varchar) AS last_week,
           CAST(NULL AS bigint), max(d.n)
    FROM diff_pairs p
    JOIN data_weeks d ON d.week = p.week
    JOIN account_weeks a ON a.week = p.week AND a.failed AND NOT a.landed
    WHERE NOT EXISTS (
        SELECT 1 FROM seen s
        WHERE s.source = a.source AND s.account_uid = a.account_uid AND s.n <= d.n
          AND s.n >= d.n - 12
    )
    GROUP BY p.week, a.source, a.account_uid
)
SELECT r.week, r.account_uid, r.source,
       CASE WHEN a.succeeded THEN 'succeeded'
            WHEN a.landed THEN 'partial'
            WHEN a.failed THEN 'failed'
            ELSE 'missing' END AS status,
       coalesce(f.first_week = r.week, false) AS onboarded,
       r.last_week,
       CASE WHEN r.last_n IS NULL THEN NULL ELSE r.n - r.last_n END AS weeks_missing
FROM recent r
LEFT JOIN account_weeks a
    ON a.source = r.source AND a.account_uid = r.account_uid AND a.week = r.week
LEFT JOIN first_weeks f ON f.source = r.source AND f.account_uid = r.account_uid;

-- compared_cells: per pair of diff_pairs, the cells (source, provider, account, scope, check)
-- both the week's state and `against`'s observed: the like-for-like scope of every delta.
CREATE VIEW compared_cells AS
SELECT p.week AS pair_week, n.source, n.provider, n.account_uid, n.scope, n.check_id
FROM diff_pairs p
JOIN week_cells n ON n.week = p.week
JOIN week_cells b
    ON b.week = p.against AND b.source = n.source AND b.provider = n.provider
   AND b.account_uid = n.account_uid AND b.scope = n.scope AND b.check_id = n.check_id;

-- compared_regions: per pair of diff_pairs, the regions of each account (as scanned) that
-- both weeks' scans saw findings in. A global check's cell (scope '*') is observed from any
-- region, but its findings in a region a week did not scan (`prowler -f`) are not compared:
-- a bucket of an unscanned region is no fix, as diff says (region_not_observed).
CREATE VIEW compared_regions AS
SELECT p.week AS pair_week, n.source, n.scan_account, n.region
FROM diff_pairs p
JOIN week_regions n ON n.week = p.week
JOIN week_regions b
    ON b.week = p.against AND b.source = n.source AND b.scan_account = n.scan_account
   AND b.region = n.region;

-- pair_counts: per pair of diff_pairs, the findings of both sides' states (the week's and
-- `against`'s: the state of that week, not the carried baseline) counted by producer,
-- account, service, severity, status and muted, and whether their cell (source, provider,
-- account, scope, check) is one both weeks observed (`compared`, see compared_cells; for a
-- global AWS check, in a region both weeks scanned, see compared_regions). Every
-- count of a state that posture, the summary, trend and landing-zones show is a sum of
-- these rows. `lake` stores them with the week's changes (see lake_store::changes) and reads
-- them when current; other engines compute them here.
CREATE VIEW pair_counts AS
WITH sides AS (
    -- (a union: a week compared with itself is one side)
    SELECT week AS pair_week, week AS side_week FROM diff_pairs
    UNION
    SELECT week AS pair_week, against AS side_week FROM diff_pairs WHERE against IS NOT NULL
)
SELECT s.pair_week, f.week, f.source, f.provider, f.account_uid,
       coalesce(f.service, '') AS service, f.severity, f.severity_id, f.status_code, f.muted,
       c.check_id IS NOT NULL
           AND (f.scope <> '*' OR f.provider <> 'aws' OR r.region IS NOT NULL) AS compared,
       count(*) AS findings
FROM sides s
JOIN latest_findings f ON f.week = s.side_week
LEFT JOIN compared_cells c
    ON c.pair_week = s.pair_week AND c.source = f.source AND c.provider = f.provider
   AND c.account_uid = f.account_uid AND c.scope = f.scope AND c.check_id = f.check_id
LEFT JOIN compared_regions r
    ON r.pair_week = s.pair_week AND r.source = f.source AND r.scan_account = f.scan_account
   AND r.region = f.region
GROUP BY s.pair_week, f.week, f.source, f.provider, f.account_uid, coalesce(f.service, ''),
         f.severity, f.severity_id, f.status_code, f.muted,
         c.check_id IS NOT NULL
             AND (f.scope <> '*' OR f.provider <> 'aws' OR r.region IS NOT NULL);
