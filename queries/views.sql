-- Views every named query reads. Defined once; registered by lake-query on open.
--
-- latest_scans: per account and ISO week, the latest scan that landed anything (status
-- succeeded or partial). A re-run of an account in the same week supersedes the earlier run.
CREATE VIEW latest_scans AS
SELECT run_id, account_uid, provider, week, scan_time, source_uri, status, regions, findings, dt
FROM (
    SELECT s.*,
           row_number() OVER (PARTITION BY account_uid, week
                              ORDER BY scan_time DESC, ingested_at DESC, source_uri DESC) AS rn
    FROM scans s
    WHERE status <> 'failed' AND week IS NOT NULL
) ranked
WHERE rn = 1;

-- latest_findings: the findings of those scans, with the scan they came from: its account
-- (a file may hold findings of several accounts, e.g. an Azure tenant), status and regions.
-- A scan's findings share its `dt`; joining on it lets engines prune partitions (Athena's
-- dynamic partition pruning, DataFusion's dynamic filters).
CREATE VIEW latest_findings AS
SELECT f.*, s.account_uid AS scan_account, s.status AS scan_status, s.regions AS scan_regions
FROM findings f
JOIN latest_scans s ON f.dt = s.dt AND f.source_uri = s.source_uri AND f.run_id = s.run_id;

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
