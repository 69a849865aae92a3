-- Athena (Trino SQL) spellings of the views that cannot be written the same way in both
-- dialects. Everything else in queries/ is shared; lake-query's dialect module inlines these
-- in place of the views of the same name when printing `lake query NAME --dialect athena`.

-- compliance_requirements: Trino unnests in FROM. Unnesting the map itself would do in
-- Trino, but the engines the tests transpile this to need one array per UNNEST.
CREATE VIEW compliance_requirements AS
SELECT f.finding_key, f.check_id, f.account_uid, f.week, f.status_code, f.muted,
       c.framework, r.requirement
FROM latest_findings f
CROSS JOIN UNNEST(map_keys(f.compliance)) AS c (framework)
CROSS JOIN UNNEST(element_at(f.compliance, c.framework)) AS r (requirement);

-- week_regions: Trino unnests the manifest's regions in FROM.
CREATE VIEW week_regions AS
SELECT s.week, s.source, s.account_uid AS scan_account, r.region,
       bool_or(s.status = 'succeeded') AS complete
FROM landed_scans s
CROSS JOIN UNNEST(s.regions) AS r (region)
GROUP BY s.week, s.source, s.account_uid, r.region;
