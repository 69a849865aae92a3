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

-- compliance_counts: likewise, over compliance_maps.
CREATE VIEW compliance_counts AS
SELECT m.week, m.check_id, m.account_uid, c.framework, r.requirement, m.failing, m.passing
FROM compliance_maps m
CROSS JOIN UNNEST(map_keys(m.compliance)) AS c (framework)
CROSS JOIN UNNEST(array_distinct(element_at(m.compliance, c.framework))) AS r (requirement);

-- week_regions: Trino unnests the manifest's regions in FROM.
CREATE VIEW week_regions AS
SELECT s.week, s.source, s.account_uid AS scan_account, r.region,
       bool_or(s.status = 'succeeded') AS complete
FROM landed_scans s
CROSS JOIN UNNEST(s.regions) AS r (region)
GROUP BY s.week, s.source, s.account_uid, r.region;

-- open_findings: Trino's subscript fails on an empty array; element_at gives null.
CREATE VIEW open_findings AS
SELECT pair_week AS week, finding_key, finding_uid, source, provider, account_uid,
       scan_account, account_name, region, scope, check_id, title, severity, severity_id,
       service, categories, resource_uid, resource_name, resource_type,
       map_keys(compliance) AS frameworks, scan_date, status_detail, account_labels,
       org_unit_name, element_at(resources, 1).tags AS tags
FROM pair_rows
WHERE status_code = 'FAIL' AND NOT muted;

-- rule_hits: a map looked up with element_at (null for a missing key).
CREATE VIEW rule_hits AS
SELECT o.week, o.finding_key, r.rule, r.line, r.exposure, r.data_class,
       r.compensating_control,
       coalesce(r.owner, CASE WHEN r.owner_tag IS NOT NULL
                              THEN element_at(o.tags, r.owner_tag) END) AS owner
FROM open_findings o
JOIN week_context w ON w.week = o.week
JOIN context_rules r ON r.version = w.version
WHERE (r.account_uid IS NULL OR r.account_uid = o.account_uid)
  AND (r.tag_key IS NULL
       OR element_at(o.tags, r.tag_key) LIKE coalesce(r.tag_value, '%') ESCAPE '\')
  AND (r.name_like IS NULL OR o.resource_name LIKE r.name_like ESCAPE '\')
  AND (r.uid_like IS NULL OR o.resource_uid LIKE r.uid_like ESCAPE '\')
  AND (r.type_like IS NULL OR o.resource_type LIKE r.type_like ESCAPE '\')
  AND (r.check_like IS NULL OR o.check_id LIKE r.check_like ESCAPE '\');

-- finding_age: Trino subtracts dates into an interval; date_diff counts the days.
CREATE VIEW finding_age AS
SELECT o.finding_key, date_diff('day', l.open_since_date, o.scan_date) AS open_for_days
FROM open_findings o
JOIN finding_lifecycle l ON l.finding_key = o.finding_key;

-- open_account_labels: Trino unnests in FROM.
CREATE VIEW open_account_labels AS
SELECT DISTINCT o.week, o.account_uid, l.label
FROM (SELECT DISTINCT week, account_uid, account_labels FROM open_findings) o
CROSS JOIN UNNEST(o.account_labels) AS l (label);
