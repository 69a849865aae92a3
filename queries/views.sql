-- Views every named query reads. Defined once; registered by lake-query on open, inlined as
-- CTEs by the Athena rendering. The model they implement (what a scan observed, the state of
-- a week) is explained in README.md, "How the numbers are made".
--
-- landed_scans: the scans that landed findings (status succeeded or partial), one row per
-- source file. A failed scan landed nothing and observes nothing. `source`: the producer of
-- its findings (prowler, securityhub, ...; one per file). Every view below keeps producers
-- apart: a scan is a scan of (source, account), a cell is a cell of its source, so one
-- producer's scan never covers, replaces or resolves another's findings. (Null, in lakes
-- written before lake read other producers, is Prowler.)
CREATE VIEW landed_scans AS
SELECT run_id, account_uid, provider, week, scan_time, ingested_at, source_uri, status, regions,
       findings, dt, coalesce(source_product, 'prowler') AS source
FROM scans
WHERE status <> 'failed' AND week IS NOT NULL;

-- scan_cells: what each findings file holds, per (provider, account as written in the
-- findings, region, check, service; '' when none): the number of findings. `lake` reads
-- these rows from the cells it stored at ingest beside each file (checked against the file,
-- see lake_store::observed) instead of grouping every finding; other engines compute them
-- here.
CREATE VIEW scan_cells AS
SELECT dt, source_uri, run_id, provider, account_uid, region, check_id,
       coalesce(service, '') AS service, count(*) AS findings
FROM findings
GROUP BY dt, source_uri, run_id, provider, account_uid, region, check_id, coalesce(service, '');

-- ordered_scans: the landed scans in the order in which a later one replaces an earlier
-- one's observations of a week (see week_observations): `scan_order`, one number per scan
-- (a total order, so every reader numbers them alike).
CREATE VIEW ordered_scans AS
SELECT *,
       row_number() OVER (
           ORDER BY status = 'succeeded', scan_time NULLS FIRST, ingested_at NULLS FIRST,
                    source_uri, run_id) AS scan_order
FROM landed_scans;

-- observations: what each landed scan observed, taken from what it produced (never from its
-- file name): per (provider, account as written in the findings, region, check, service),
-- the number of findings it reported, and the `scope` of the cell: the part of the account
-- one run of the check covers. Prowler calls each region's endpoint apart for AWS's
-- regional services, so their checks cover one region (scope = region). AWS's global
-- services (IAM, S3 buckets, Organizations, CloudFront, Route 53, ...) and every other
-- provider's checks (Azure subscriptions, GCP projects, Kubernetes clusters, M365 tenants,
-- GitHub owners are listed whole) cover the whole account (scope = '*'). A check that
-- errored in a region (AccessDenied, throttling) reports nothing there, so it is not
-- observed there. (`regional`: whether the scope is the region.)
CREATE VIEW observations AS
SELECT s.week, c.dt, c.source_uri, c.run_id, s.scan_time, s.ingested_at, s.scan_order,
       s.source, s.account_uid AS scan_account, s.status AS scan_status,
       c.provider, c.account_uid, c.region, c.check_id, c.service, c.regional,
       CASE WHEN c.regional THEN c.region ELSE '*' END AS scope,
       c.findings
FROM (
    SELECT dt, source_uri, run_id, provider, account_uid, region, check_id, service, findings,
           provider = 'aws'
           AND service NOT IN (
               'iam', 's3', 'organizations', 'account', 'cloudfront', 'route53',
               'shield', 'trustedadvisor', 'fms', 'support') AS regional
    FROM scan_cells
) c
JOIN ordered_scans s ON c.dt = s.dt AND c.source_uri = s.source_uri AND c.run_id = s.run_id;

-- week_observations: observations marked `standing` when they make up the state of their
-- week. Per cell (week, source, provider, account, scope, check), the observation of one scan stands:
-- the latest scan of the week that observed the cell and succeeded, else (no complete scan
-- observed it) the latest partial one. So a same-week re-run of some checks replaces those
-- checks only, the rest keep the earlier run's result; a partial (truncated) scan never
-- replaces a complete one, since nothing tells which of its checks are complete.
--   The order is `scan_order` of observations, a number per scan (complete last, then by
--   scan time, a scan without one first, ingest time, source, run: the greatest wins): one
--   aggregate per cell and a join, rather than a window ranked per cell (a window over
--   ~10^5 one-row partitions cost seconds).
--   standing_cells holds that number per cell: the scan whose observation of the cell stands.
CREATE VIEW standing_cells AS
SELECT week, source, provider, account_uid, scope, check_id, max(scan_order) AS scan_order
FROM observations
GROUP BY week, source, provider, account_uid, scope, check_id;

CREATE VIEW week_observations AS
SELECT o.week, o.dt, o.source_uri, o.run_id, o.scan_time, o.ingested_at, o.source,
       o.scan_account, o.scan_status, o.provider, o.account_uid, o.region, o.check_id,
       o.service, o.regional, o.scope, o.findings, b.scan_order IS NOT NULL AS standing
FROM observations o
LEFT JOIN standing_cells b
    ON b.week = o.week AND b.source = o.source AND b.provider = o.provider
   AND b.account_uid = o.account_uid AND b.scope = o.scope AND b.check_id = o.check_id
   AND b.scan_order = o.scan_order;

-- standing_checks: per landed scan, the checks of it (with their provider, service and
-- whether their scope is the region) that make up some of their week's state (one of their
-- observations stands), and superseded_cells: the observations of those that do not stand
-- (a later re-run of the check replaced them in some region). Usually every observation of
-- a scan stands and superseded_cells is empty: the week's state is then its scans' findings
-- whole. (Per check, so that a filter on check_id reaches the scans.)
CREATE VIEW standing_checks AS
SELECT week, dt, source_uri, run_id, check_id, provider, service, regional, source,
       max(scan_account) AS scan_account, max(scan_status) AS scan_status
FROM week_observations
GROUP BY week, dt, source_uri, run_id, check_id, provider, service, regional, source
HAVING bool_or(standing);

CREATE VIEW superseded_cells AS
SELECT o.dt, o.source_uri, o.run_id, o.provider, o.account_uid, o.region, o.check_id
FROM week_observations o
JOIN standing_checks s
    ON s.dt = o.dt AND s.source_uri = o.source_uri AND s.run_id = o.run_id
   AND s.check_id = o.check_id
WHERE NOT o.standing;

-- repeated_keys: the finding keys a scan reported more than once (Prowler has written the
-- same finding twice), with the copy that counts: the one later in the file.
CREATE VIEW repeated_keys AS
SELECT dt, source_uri, run_id, check_id, finding_key, max(source_offset) AS kept_offset
FROM findings
GROUP BY dt, source_uri, run_id, check_id, finding_key
HAVING count(*) > 1;

-- latest_findings: the state of each week: the findings of its standing observations, with
-- the cell's `scope` and the scan they came from (`scan_account`: the account the file was
-- scanned as, which for an Azure tenant or a GCP organisation can differ from the finding's;
-- `source`: its producer).
-- One row per finding key: a key belongs to one cell and each cell to one scan, so only a
-- key one scan reported twice could repeat, and it counts once (see repeated_keys).
--   The findings are those of the standing checks of scans (a join with a few rows per scan)
--   less the superseded cells and the dropped copies of repeated keys (anti-joins with
--   tables that are usually empty).
CREATE VIEW latest_findings AS
SELECT f.*, CASE WHEN s.regional THEN f.region ELSE '*' END AS scope, s.scan_account,
       s.scan_status, s.source
FROM standing_checks s
JOIN findings f
    ON f.dt = s.dt AND f.source_uri = s.source_uri AND f.run_id = s.run_id
   AND f.check_id = s.check_id AND f.provider = s.provider
   AND coalesce(f.service, '') = s.service
WHERE NOT EXISTS (
    SELECT 1 FROM superseded_cells x
    WHERE x.dt = f.dt AND x.source_uri = f.source_uri AND x.run_id = f.run_id
      AND x.provider = f.provider AND x.account_uid = f.account_uid AND x.region = f.region
      AND x.check_id = f.check_id
)
  AND NOT EXISTS (
    SELECT 1 FROM repeated_keys r
    WHERE r.dt = f.dt AND r.source_uri = f.source_uri AND r.run_id = f.run_id
      AND r.check_id = f.check_id AND r.finding_key = f.finding_key
      AND r.kept_offset <> f.source_offset
);

-- compliance_requirements: the compliance map of latest_findings flattened, one row per
-- (finding, framework, requirement). Athena spells the unnesting differently (see athena.sql).
CREATE VIEW compliance_requirements AS
SELECT finding_key, check_id, account_uid, week, status_code, muted,
       entry['key'] AS framework, unnest(entry['value']) AS requirement
FROM (
    SELECT finding_key, check_id, account_uid, week, status_code, muted,
           unnest(map_entries(compliance)) AS entry
    FROM latest_findings
) entries;

-- compliance_maps: the week's state counted per check, account and compliance map (a
-- check's findings share its map, so there are a few thousand a week): the findings failing
-- (FAIL, not muted) and passing (PASS).
CREATE VIEW compliance_maps AS
SELECT week, check_id, account_uid, compliance,
       count(CASE WHEN status_code = 'FAIL' AND NOT muted THEN 1 END) AS failing,
       count(CASE WHEN status_code = 'PASS' THEN 1 END) AS passing
FROM latest_findings
GROUP BY week, check_id, account_uid, compliance;

-- compliance_counts: the counts of compliance_requirements without a row per finding: per
-- row of compliance_maps, one row per requirement (framework, requirement) the map lists,
-- with how many of those findings fail and pass. A finding is counted in one row per
-- requirement, so a requirement's findings are the sum of its rows (a requirement listed
-- twice under one framework counts once; a map's frameworks are unique). Athena spells the
-- unnesting differently (see athena.sql).
CREATE VIEW compliance_counts AS
SELECT week, check_id, account_uid, entry['key'] AS framework,
       unnest(array_distinct(entry['value'])) AS requirement, failing, passing
FROM (
    SELECT week, check_id, account_uid, failing, passing,
           unnest(map_entries(compliance)) AS entry
    FROM compliance_maps
) entries;

-- compliance_week: per week and requirement (framework, requirement): its findings failing
-- and passing (the sum of its rows in compliance_counts: a finding is counted in one of
-- them), and the checks and accounts with a failing one. What `compliance` reads; `lake`
-- stores a week's rows beside its changes.
CREATE VIEW compliance_week AS
SELECT week, framework, requirement,
       sum(failing) AS failing_findings,
       sum(passing) AS passing_findings,
       count(DISTINCT CASE WHEN failing > 0 THEN check_id END) AS failing_checks,
       count(DISTINCT CASE WHEN failing > 0 THEN account_uid END) AS failing_accounts
FROM compliance_counts
GROUP BY week, framework, requirement;
