-- Business context and risk: who owns a finding, how long it has been open, how bad it really
-- is. Defined once; registered by lake-query beside views.sql and changes.sql, inlined as
-- CTEs by the Athena rendering (athena.sql spells the few that differ). The context tables
-- (context_versions, context_accounts, context_rules) are written by `lake context set`;
-- README.md, "Owners, landing zones and risk", explains the score so a reader can recompute
-- it from these definitions.
--
-- Every view below judges the week of diff_pairs (`lake` registers the one pair the query
-- asks for): the open failures of its state (finding_changes' "failing now", unmuted).

-- week_context: the context version that judges each week: the latest version (highest
-- number) effective in or before it; a week before every version is judged by the earliest
-- (there was no other). No row when no context was ever set.
CREATE VIEW week_context AS
SELECT p.week,
       coalesce(max(CASE WHEN v.effective_week <= p.week THEN v.version END), min(v.version))
           AS version
FROM diff_pairs p
CROSS JOIN context_versions v
GROUP BY p.week;

-- account_context: what that version says of each account it lists.
CREATE VIEW account_context AS
SELECT w.week, a.account_uid, a.account_name, a.landing_zone, a.landing_zone_name,
       a.environment, a.owner, a.business_unit, a.zone_regions, a.sla_critical, a.sla_high,
       a.sla_medium, a.sla_low, a.sla_informational
FROM week_context w
JOIN context_accounts a ON a.version = w.version;

-- week_sla: the remediation SLA (days) of accounts the context does not place in a landing
-- zone: the version's defaults, else (no context at all) the built-in ones, which
-- lake_core::context::DEFAULT_SLA_DAYS also writes into every version's defaults.
CREATE VIEW week_sla AS
SELECT p.week,
       coalesce(max(v.sla_critical), 7) AS sla_critical,
       coalesce(max(v.sla_high), 30) AS sla_high,
       coalesce(max(v.sla_medium), 90) AS sla_medium,
       coalesce(max(v.sla_low), 180) AS sla_low,
       max(v.sla_informational) AS sla_informational
FROM diff_pairs p
LEFT JOIN week_context w ON w.week = p.week
LEFT JOIN context_versions v ON v.version = w.version
GROUP BY p.week;

-- open_findings: the open failures of the week judged (FAIL, not muted, in its state), with
-- the tags of their first resource, which the resource rules read, and the frameworks their
-- check maps to. (`lake` computes it once per query.)
CREATE VIEW open_findings AS
SELECT pair_week AS week, finding_key, finding_uid, source, provider, account_uid,
       scan_account, account_name, region, scope, check_id, title, severity, severity_id,
       service, categories, resource_uid, resource_name, resource_type,
       map_keys(compliance) AS frameworks, scan_date, status_detail, account_labels,
       org_unit_name, resources[1]['tags'] AS tags
FROM pair_rows
WHERE status_code = 'FAIL' AND NOT muted;

-- open_account_labels: the tags of the accounts with open failures (`key:value`, as the
-- producer wrote them), one row per account and tag. (Each account's distinct lists of
-- tags first: every failure of a scan repeats its account's.) Athena unnests in FROM
-- (athena.sql).
CREATE VIEW open_account_labels AS
SELECT DISTINCT week, account_uid, label
FROM (
    SELECT week, account_uid, unnest(account_labels) AS label
    FROM (SELECT DISTINCT week, account_uid, account_labels FROM open_findings) a
) l;

-- account_defaults: what the scans themselves say of an account, for when the context is
-- silent: its environment (a tag named environment or env, any case, whose value reads as
-- prod/production/prd/live, staging/stage/stg/preprod/uat, dev/development/test/qa or
-- sandbox/sbx), its owner (a tag named owner or team) and, as its landing zone, its
-- organizational unit. (From the accounts with open failures.)
CREATE VIEW account_defaults AS
WITH tags AS (
    SELECT week, account_uid, lower(trim(split_part(label, ':', 1))) AS k,
           trim(substr(label, strpos(label, ':') + 1)) AS v
    FROM open_account_labels
    WHERE strpos(label, ':') > 1
),
accounts AS (
    SELECT week, account_uid, max(org_unit_name) AS org_unit
    FROM open_findings
    GROUP BY week, account_uid
)
SELECT a.week, a.account_uid, a.org_unit,
       max(CASE WHEN t.k IN ('environment', 'env') THEN
           CASE WHEN lower(t.v) IN ('prod', 'production', 'prd', 'live') THEN 'prod'
                WHEN lower(t.v) IN ('staging', 'stage', 'stg', 'preprod', 'pre-prod', 'uat')
                    THEN 'staging'
                WHEN lower(t.v) IN ('dev', 'development', 'test', 'testing', 'qa') THEN 'dev'
                WHEN lower(t.v) IN ('sandbox', 'sbx') THEN 'sandbox' END END) AS environment,
       max(CASE WHEN t.k IN ('owner', 'team') AND t.v <> '' THEN t.v END) AS owner
FROM accounts a
LEFT JOIN tags t ON t.week = a.week AND t.account_uid = a.account_uid
GROUP BY a.week, a.account_uid, a.org_unit;

-- rule_hits: each resource rule of the week's context that matches an open finding: every
-- condition the rule gives holds (tag key present with a value matching the pattern, name,
-- uid, type, check patterns; account equal). `owner`: the rule's owner, else the value of
-- its owner tag on the resource.
CREATE VIEW rule_hits AS
SELECT o.week, o.finding_key, r.rule, r.line, r.exposure, r.data_class,
       r.compensating_control,
       coalesce(r.owner, CASE WHEN r.owner_tag IS NOT NULL
                              THEN map_extract(o.tags, r.owner_tag)[1] END) AS owner
FROM open_findings o
JOIN week_context w ON w.week = o.week
JOIN context_rules r ON r.version = w.version
WHERE (r.account_uid IS NULL OR r.account_uid = o.account_uid)
  AND (r.tag_key IS NULL
       OR map_extract(o.tags, r.tag_key)[1] LIKE coalesce(r.tag_value, '%') ESCAPE '\')
  AND (r.name_like IS NULL OR o.resource_name LIKE r.name_like ESCAPE '\')
  AND (r.uid_like IS NULL OR o.resource_uid LIKE r.uid_like ESCAPE '\')
  AND (r.type_like IS NULL OR o.resource_type LIKE r.type_like ESCAPE '\')
  AND (r.check_like IS NULL OR o.check_id LIKE r.check_like ESCAPE '\');

-- finding_attributes: per open finding, what the rules say: for each of exposure, data
-- class, compensating control and owner, the first matching rule (in file order) that sets
-- it, with that rule's line (`*_line`). (The rule number is zero-padded in front of the
-- value so that min() picks the first rule in both engines.)
CREATE VIEW finding_attributes AS
WITH tagged AS (
    SELECT week, finding_key,
           lpad(CAST(rule AS varchar), 6, '0') || lpad(CAST(line AS varchar), 6, '0') AS tag,
           exposure, data_class, compensating_control, owner
    FROM rule_hits
),
firsts AS (
    SELECT week, finding_key,
           min(CASE WHEN exposure IS NOT NULL THEN tag || exposure END) AS exposure,
           min(CASE WHEN data_class IS NOT NULL THEN tag || data_class END) AS data_class,
           min(CASE WHEN compensating_control IS NOT NULL
                    THEN tag || compensating_control END) AS compensating_control,
           min(CASE WHEN owner IS NOT NULL THEN tag || owner END) AS owner
    FROM tagged
    GROUP BY week, finding_key
)
SELECT week, finding_key,
       substr(exposure, 13) AS exposure,
       CAST(substr(exposure, 7, 6) AS int) AS exposure_line,
       substr(data_class, 13) AS data_class,
       CAST(substr(data_class, 7, 6) AS int) AS data_class_line,
       substr(compensating_control, 13) AS compensating_control,
       CAST(substr(compensating_control, 7, 6) AS int) AS compensating_control_line,
       substr(owner, 13) AS owner,
       CAST(substr(owner, 7, 6) AS int) AS owner_line
FROM firsts;

-- resource_kinds: per resource (source, account, resource uid), the kinds of checks that
-- fail on it this week, from Prowler's check categories and, where a producer writes none,
-- the check id: exposed (internet-exposed, *public*), unencrypted (encryption, *encrypt*),
-- privileged (privilege-escalation, *admin*, *privilege*: it holds or grants admin) and
-- credentials (secrets, *access_key*, *secret*: keys, passwords, tokens to rotate). Several
-- at once are what attackers chain.
CREATE VIEW resource_kinds AS
SELECT week, source, account_uid, resource_uid,
       bool_or(array_has(categories, 'internet-exposed') OR check_id LIKE '%public%')
           AS exposed,
       bool_or(array_has(categories, 'encryption') OR check_id LIKE '%encrypt%')
           AS unencrypted,
       bool_or(array_has(categories, 'privilege-escalation') OR check_id LIKE '%admin%'
               OR check_id LIKE '%privilege%') AS privileged,
       bool_or(array_has(categories, 'secrets') OR check_id LIKE '%access\_key%' ESCAPE '\'
               OR check_id LIKE '%secret%') AS credentials
FROM open_findings
GROUP BY week, source, account_uid, resource_uid;

-- history_rows: the history of the cells the open findings are in (every landed row of their
-- account and check) over the window `history_window` gives: the weeks with data from
-- `history_from` (`lake`: the 13 latest, `--history-weeks`) up to the week judged. (`lake`
-- reads the window's partitions alone as `window_findings`; Athena reads `findings`.)
CREATE VIEW history_rows AS
SELECT f.week, f.finding_key, s.source, f.account_uid, f.region, f.check_id, f.scan_date,
       f.scan_time, f.status_code = 'FAIL' AND NOT f.muted AS failing,
       s.status AS scan_status
FROM (
    -- (the filters inside, before the join with the scans, so that the join reads only the
    -- rows they keep; DISTINCT: a semi join's hash table built from every open failure
    -- holds each account thousands of times, and each probe walked them all)
    SELECT w.week, w.finding_key, w.account_uid, w.region, w.check_id, w.scan_date,
           w.scan_time, w.status_code, w.muted, w.dt, w.source_uri, w.run_id
    FROM window_findings w
    WHERE w.week <= (SELECT max(week) FROM diff_pairs)
      AND w.week >= (SELECT coalesce(max(history_from), '') FROM history_window)
      AND w.account_uid IN (SELECT DISTINCT account_uid FROM open_findings)
      AND w.check_id IN (SELECT DISTINCT check_id FROM open_findings)
) f
JOIN landed_scans s
    ON s.dt = f.dt AND s.source_uri = f.source_uri AND s.run_id = f.run_id;

-- history_key_rows: the rows of history_rows that report an open finding itself (a finding
-- key names its account and check). The key filter comes first, inside, so that only those
-- rows reach the join with the scans: written after it, the join took every row of the
-- window, and the window is read three times (first reports, week-by-week reports, gaps).
CREATE VIEW history_key_rows AS
SELECT f.week, f.finding_key, f.scan_date, f.scan_time,
       f.status_code = 'FAIL' AND NOT f.muted AS failing
FROM (
    SELECT w.week, w.finding_key, w.scan_date, w.scan_time, w.status_code, w.muted, w.dt,
           w.source_uri, w.run_id
    FROM window_findings w
    WHERE w.week <= (SELECT max(week) FROM diff_pairs)
      AND w.week >= (SELECT coalesce(max(history_from), '') FROM history_window)
      AND w.finding_key IN (SELECT finding_key FROM open_findings)
) f
JOIN landed_scans s
    ON s.dt = f.dt AND s.source_uri = f.source_uri AND s.run_id = f.run_id;

-- finding_history_stats: per open finding, over the window: the first week that reported it
-- and its first scan date then, how many rows reported it, and the latest week a row said it
-- was not failing (PASS, MANUAL, muted).
CREATE VIEW finding_history_stats AS
SELECT h.finding_key, min(h.week) AS first_rep, min(h.scan_date) AS first_date,
       count(*) AS reports, max(CASE WHEN NOT h.failing THEN h.week END) AS last_not_failing
FROM history_key_rows h
GROUP BY h.finding_key;

-- finding_exceptions: the open findings whose history needs a week-by-week look: a row said
-- it was not failing, or some landed scan of its account since its first report did not
-- report it (fewer reports than scans: a gap, an absence, a re-run of other checks). Every
-- other open finding failed in every scan of its account since it was first reported: open
-- since then, never resolved. (Scans counted per week from the manifest, cumulatively.)
CREATE VIEW finding_exceptions AS
WITH account_weeks AS (
    SELECT source, account_uid, week, count(*) AS scans
    FROM landed_scans
    GROUP BY source, account_uid, week
),
running AS (
    SELECT source, account_uid, week, scans,
           sum(scans) OVER (PARTITION BY source, account_uid ORDER BY week) AS scans_so_far
    FROM account_weeks
)
SELECT s.finding_key
FROM finding_history_stats s
JOIN open_findings o ON o.finding_key = s.finding_key
LEFT JOIN running a
    ON a.source = o.source AND a.account_uid = o.scan_account AND a.week = s.first_rep
LEFT JOIN running b
    ON b.source = o.source AND b.account_uid = o.scan_account AND b.week = o.week
WHERE s.last_not_failing IS NOT NULL
   OR a.week IS NULL OR b.week IS NULL
   OR s.reports < b.scans_so_far - a.scans_so_far + a.scans;

-- finding_reports: per exceptional open finding, each week of the window that reported it:
-- its first scan date that week, whether it was failing (the latest scan of the week
-- decides: failing when that row is an unmuted FAIL), and how many weeks with data lie
-- between it and the previous week that reported it (`step`; more than 1: a gap).
CREATE VIEW finding_reports AS
WITH own AS (
    SELECT h.finding_key, h.week, min(h.scan_date) AS first_date,
           max(h.scan_time) AS last_time,
           max(CASE WHEN h.failing THEN h.scan_time END) AS last_failing_time
    FROM history_key_rows h
    WHERE h.finding_key IN (SELECT finding_key FROM finding_exceptions)
    GROUP BY h.finding_key, h.week
),
data_weeks AS (
    SELECT week, row_number() OVER (ORDER BY week) AS n
    FROM (SELECT DISTINCT week FROM landed_scans) w
)
SELECT w.finding_key, w.week, w.first_date,
       coalesce(w.last_failing_time = w.last_time, false) AS failing,
       lag(w.week) OVER (PARTITION BY w.finding_key ORDER BY w.week) AS prev_week,
       d.n - lag(d.n) OVER (PARTITION BY w.finding_key ORDER BY w.week) AS step
FROM own w
JOIN data_weeks d ON d.week = w.week;

-- finding_timeline: the weeks of finding_reports, and, in a gap between two of them, each
-- week whose complete scan observed the finding's cell (its account, check and, for a
-- regional check, region; for a global AWS check, with the finding's region scanned that
-- week too) without reporting it: not failing then (as `diff` calls a key absent from an
-- observed cell resolved). Weeks that observed neither say nothing: a gap in the evidence
-- (an account or region not scanned, a check that errored) never ends or starts a failure.
-- Before its first report in the window the finding is not looked for.
CREATE VIEW finding_timeline AS
WITH gaps AS (
    SELECT r.finding_key, r.prev_week, r.week, o.source, o.account_uid, o.check_id,
           o.scope, o.region, o.scan_account, o.provider
    FROM finding_reports r
    JOIN open_findings o ON o.finding_key = r.finding_key
    WHERE r.step > 1
),
-- (the region is part of the join for a regional check, so that a gap meets the rows of its
-- own region only rather than every row of its account and check; a check's scope is the
-- same in every gap of it)
gap_checks AS (
    SELECT DISTINCT check_id, scope = '*' AS whole FROM gaps
),
absent AS (
    SELECT DISTINCT g.finding_key, h.week
    FROM gaps g
    JOIN (
        SELECT r.week, r.source, r.account_uid, r.check_id,
               CASE WHEN c.whole THEN '*' ELSE r.region END AS scope
        FROM history_rows r
        JOIN gap_checks c ON c.check_id = r.check_id
        WHERE r.scan_status = 'succeeded'
    ) h
        ON h.source = g.source AND h.account_uid = g.account_uid AND h.check_id = g.check_id
       AND h.scope = g.scope
    LEFT JOIN week_regions wr
        ON wr.week = h.week AND wr.source = g.source AND wr.scan_account = g.scan_account
       AND wr.region = g.region AND wr.complete
    WHERE h.week > g.prev_week AND h.week < g.week
      AND (g.scope <> '*' OR g.provider <> 'aws' OR wr.region IS NOT NULL)
)
SELECT finding_key, week, first_date, failing, true AS reported
FROM finding_reports
UNION ALL
SELECT finding_key, week, CAST(NULL AS date) AS first_date, false AS failing,
       false AS reported
FROM absent;

-- finding_lifecycle: per open finding, from its history in the window (finding_timeline for
-- the exceptions, finding_history_stats for the others):
--   first_seen / last_seen: the first and last week that reported it (first in the window);
--   first_failed: the first week it ever failed (muted or not), from the whole history;
--   open_since: the first failing week after the latest week it was seen not failing;
--     open_since_date: that week's first scan date; `open_before_window`: nothing in the
--     window says it was not failing and it failed before open_since, so it has been open
--     at least that long (the window does not show since when);
--   resolved_at: the latest week it was seen not failing right after failing (the last time
--     it was resolved); times_reopened: how often it failed again after that.
CREATE VIEW finding_lifecycle AS
WITH t AS (
    SELECT finding_key, week, first_date, failing, reported,
           lag(failing) OVER (PARTITION BY finding_key ORDER BY week) AS failing_before,
           max(CASE WHEN failing THEN 1 ELSE 0 END) OVER (
               PARTITION BY finding_key ORDER BY week
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS failed_earlier,
           max(CASE WHEN NOT failing THEN week END) OVER (PARTITION BY finding_key)
               AS last_closed
    FROM finding_timeline
),
marks AS (
    SELECT finding_key,
           min(CASE WHEN reported THEN week END) AS first_seen,
           max(CASE WHEN reported THEN week END) AS last_seen,
           min(CASE WHEN failing AND (last_closed IS NULL OR week > last_closed)
                    THEN week END) AS open_since,
           min(CASE WHEN failing AND (last_closed IS NULL OR week > last_closed)
                    THEN first_date END) AS open_since_date,
           max(CASE WHEN NOT failing AND failing_before THEN week END) AS resolved_at,
           count(CASE WHEN failing AND NOT failing_before AND failed_earlier = 1 THEN 1 END)
               AS times_reopened,
           max(last_closed) AS last_closed
    FROM t
    GROUP BY finding_key
)
SELECT m.finding_key, m.first_seen, m.last_seen,
       coalesce(ff.first_failed_week, m.open_since) AS first_failed, m.open_since,
       m.open_since_date, m.resolved_at, m.times_reopened,
       m.last_closed IS NULL AND coalesce(ff.first_failed_week < m.open_since, false)
           AS open_before_window
FROM (
    SELECT finding_key, first_seen, last_seen, open_since, open_since_date, resolved_at,
           times_reopened, last_closed
    FROM marks
    UNION ALL
    -- the others: failing in every scan since first reported
    SELECT s.finding_key, s.first_rep AS first_seen, o.week AS last_seen,
           s.first_rep AS open_since, s.first_date AS open_since_date,
           NULL AS resolved_at, 0 AS times_reopened, NULL AS last_closed
    FROM finding_history_stats s
    JOIN open_findings o ON o.finding_key = s.finding_key
    WHERE s.finding_key NOT IN (SELECT finding_key FROM finding_exceptions)
) m
LEFT JOIN first_failures ff ON ff.finding_key = m.finding_key;

-- finding_age: days from the first scan of the current failing run to the week's scan.
CREATE VIEW finding_age AS
SELECT o.finding_key, CAST(o.scan_date - l.open_since_date AS bigint) AS open_for_days
FROM open_findings o
JOIN finding_lifecycle l ON l.finding_key = o.finding_key;

-- finding_risk: every open finding of the week with its context, lifecycle and risk score.
-- The score (0-100) is the sum of these points, clamped to 0..100 (README explains them):
--   severity        Critical 50, High 35, Medium 20, Low 10, Informational 0, other 10
--   environment     prod +15, staging +5, dev 0, sandbox -10, unknown 0
--   exposure        public +15 (a rule says so, else a check of the resource is about
--                   internet exposure), unless the data is public by design
--   data class      pii or restricted +20, confidential +10, internal 0, public -30
--   attack chain    the resource holds admin (privileged) and is exposed or has credentials
--                   to rotate: +45; else two or more kinds failing on it at once: +15
--   compensating    a compensating control: -20
--   age             open longer than its SLA: +10, longer than twice its SLA: +15
--   owner           nobody owns it: +5
--   reopened        +5 per time it came back, at most +10
--   region          outside its landing zone's regions (regional checks): +5
-- Bands: critical >= 80, high >= 60, medium >= 40, low >= 20, else info.
-- `status`: onboarded (diff's onboarded: the week before observed nothing of it, so nothing
-- says it is new: a newly scanned account, region or check), new (its first failure ever,
-- where the week before observed it: diff's new), reopened (failing again since this week),
-- open. `new` here is what diff, the summary and the report count as new.
CREATE VIEW finding_risk AS
WITH base AS (
    SELECT o.week, o.finding_key, o.finding_uid, o.source, o.provider, o.account_uid,
           coalesce(ac.account_name, o.account_name) AS account_name, o.region, o.scope,
           o.check_id, o.title, o.severity, o.severity_id, o.service, o.categories,
           o.resource_uid, o.resource_name, o.resource_type, o.frameworks, o.status_detail,
           coalesce(ac.landing_zone, ad.org_unit) AS landing_zone,
           coalesce(ac.landing_zone_name, ad.org_unit) AS landing_zone_name,
           coalesce(ac.environment, ad.environment) AS environment,
           CASE WHEN ac.environment IS NOT NULL THEN 'context'
                WHEN ad.environment IS NOT NULL THEN 'account tags' END AS environment_from,
           ac.business_unit, ac.zone_regions,
           coalesce(fa.owner, ac.owner, ad.owner) AS owner,
           CASE WHEN fa.owner IS NOT NULL THEN 'rule, line ' || CAST(fa.owner_line AS varchar)
                WHEN ac.owner IS NOT NULL THEN 'account'
                WHEN ad.owner IS NOT NULL THEN 'account tags' END AS owner_from,
           coalesce(fa.exposure, CASE WHEN k.exposed THEN 'public' END) AS exposure,
           CASE WHEN fa.exposure IS NOT NULL
                    THEN 'rule, line ' || CAST(fa.exposure_line AS varchar)
                WHEN k.exposed THEN 'checks' END AS exposure_from,
           fa.data_class, fa.data_class_line, fa.compensating_control,
           coalesce(k.exposed, false) AS exposed, coalesce(k.unencrypted, false) AS unencrypted,
           coalesce(k.privileged, false) AS privileged,
           coalesce(k.credentials, false) AS credentials,
           l.first_seen, l.last_seen, l.first_failed, l.open_since, l.resolved_at,
           coalesce(l.times_reopened, 0) AS times_reopened, l.open_for_days,
           coalesce(l.open_before_window, false) AS open_before_window,
           -- (diff's evidence: the week before observed nothing of it, see `status`)
           coalesce(l.onboarded, false) AS onboarded,
           CASE o.severity_id
               WHEN 5 THEN CASE WHEN ac.account_uid IS NULL THEN d.sla_critical ELSE ac.sla_critical END
               WHEN 4 THEN CASE WHEN ac.account_uid IS NULL THEN d.sla_high ELSE ac.sla_high END
               WHEN 3 THEN CASE WHEN ac.account_uid IS NULL THEN d.sla_medium ELSE ac.sla_medium END
               WHEN 2 THEN CASE WHEN ac.account_uid IS NULL THEN d.sla_low ELSE ac.sla_low END
               WHEN 1 THEN CASE WHEN ac.account_uid IS NULL THEN d.sla_informational
                                ELSE ac.sla_informational END
           END AS sla_days
    -- (each open failure's lifecycle and age first, narrow rows on the build side of a
    -- right join: the failures' forty columns stream past them rather than fill the hash
    -- table of a left join)
    FROM (
        SELECT l.*, g.open_for_days, fc.finding_key IS NOT NULL AS onboarded
        -- (the week's onboarded keys, few, on the build side)
        FROM (SELECT finding_key FROM finding_changes WHERE change = 'onboarded') fc
        RIGHT JOIN finding_lifecycle l ON fc.finding_key = l.finding_key
        LEFT JOIN finding_age g ON g.finding_key = l.finding_key
    ) l
    RIGHT JOIN open_findings o ON l.finding_key = o.finding_key
    LEFT JOIN account_context ac ON ac.week = o.week AND ac.account_uid = o.account_uid
    LEFT JOIN account_defaults ad ON ad.week = o.week AND ad.account_uid = o.account_uid
    LEFT JOIN week_sla d ON d.week = o.week
    LEFT JOIN finding_attributes fa ON fa.week = o.week AND fa.finding_key = o.finding_key
    LEFT JOIN resource_kinds k
        ON k.week = o.week AND k.source = o.source AND k.account_uid = o.account_uid
       AND k.resource_uid = o.resource_uid
),
points AS (
    SELECT b.*,
           CASE severity_id WHEN 5 THEN 50 WHEN 4 THEN 35 WHEN 3 THEN 20 WHEN 2 THEN 10
                            WHEN 1 THEN 0 ELSE 10 END AS p_severity,
           CASE environment WHEN 'prod' THEN 15 WHEN 'staging' THEN 5 WHEN 'sandbox' THEN -10
                            ELSE 0 END AS p_environment,
           CASE WHEN exposure = 'public' AND coalesce(data_class, '') <> 'public' THEN 15
                ELSE 0 END AS p_exposure,
           CASE data_class WHEN 'pii' THEN 20 WHEN 'restricted' THEN 20
                           WHEN 'confidential' THEN 10 WHEN 'public' THEN -30
                           ELSE 0 END AS p_data,
           CASE WHEN privileged AND (exposed OR credentials) THEN 45
                WHEN (CASE WHEN exposed THEN 1 ELSE 0 END) + (CASE WHEN unencrypted THEN 1 ELSE 0 END)
                     + (CASE WHEN privileged THEN 1 ELSE 0 END)
                     + (CASE WHEN credentials THEN 1 ELSE 0 END) >= 2 THEN 15
                ELSE 0 END AS p_chain,
           CASE WHEN compensating_control IS NOT NULL THEN -20 ELSE 0 END AS p_control,
           CASE WHEN sla_days IS NULL OR open_for_days IS NULL THEN 0
                WHEN open_for_days > 2 * sla_days THEN 15
                WHEN open_for_days > sla_days THEN 10 ELSE 0 END AS p_age,
           CASE WHEN owner IS NULL THEN 5 ELSE 0 END AS p_owner,
           5 * least(times_reopened, 2) AS p_reopened,
           CASE WHEN scope <> '*' AND cardinality(zone_regions) > 0
                     AND NOT array_has(zone_regions, region) THEN 5 ELSE 0 END AS p_region
    FROM base b
),
scored AS (
    SELECT p.*,
           greatest(0, least(100, p_severity + p_environment + p_exposure + p_data + p_chain
                                  + p_control + p_age + p_owner + p_reopened + p_region))
               AS risk_score,
           CASE WHEN (CASE WHEN exposed THEN 1 ELSE 0 END) + (CASE WHEN unencrypted THEN 1 ELSE 0 END)
                     + (CASE WHEN privileged THEN 1 ELSE 0 END)
                     + (CASE WHEN credentials THEN 1 ELSE 0 END) >= 2
                THEN concat_ws(' + ',
                               CASE WHEN exposed THEN 'exposed' END,
                               CASE WHEN unencrypted THEN 'unencrypted' END,
                               CASE WHEN privileged THEN 'over-privileged' END,
                               CASE WHEN credentials THEN 'credentials' END) END AS chain
    FROM points p
)
SELECT s.*,
       CASE WHEN risk_score >= 80 THEN 'critical' WHEN risk_score >= 60 THEN 'high'
            WHEN risk_score >= 40 THEN 'medium' WHEN risk_score >= 20 THEN 'low'
            ELSE 'info' END AS risk_band,
       CASE WHEN sla_days IS NOT NULL AND open_for_days > sla_days
            THEN open_for_days - sla_days END AS sla_overdue_days,
       CASE WHEN onboarded THEN 'onboarded'
            WHEN first_failed = week THEN 'new'
            WHEN open_since = week THEN 'reopened'
            ELSE 'open' END AS status,
       concat_ws('; ',
           severity || ' ' || CAST(p_severity AS varchar),
           CASE WHEN p_environment <> 0 THEN environment || ' '
                || CASE WHEN p_environment > 0 THEN '+' ELSE '' END
                || CAST(p_environment AS varchar) END,
           CASE WHEN p_exposure <> 0 THEN 'public (' || exposure_from || ') +15' END,
           CASE WHEN p_data <> 0 THEN 'data ' || data_class || ' (rule, line '
                || CAST(data_class_line AS varchar) || ') '
                || CASE WHEN p_data > 0 THEN '+' ELSE '' END || CAST(p_data AS varchar) END,
           CASE WHEN p_chain = 45 THEN 'admin reachable: ' || chain || ' on this resource +45'
                WHEN p_chain > 0 THEN 'chain: ' || chain || ' on this resource +15' END,
           CASE WHEN p_control <> 0 THEN 'compensating control: ' || compensating_control
                || ' -20' END,
           CASE WHEN p_age > 0 THEN 'open '
                || CASE WHEN open_before_window THEN 'at least ' ELSE '' END
                || CAST(open_for_days AS varchar) || ' days, SLA '
                || CAST(sla_days AS varchar) || ' +' || CAST(p_age AS varchar) END,
           CASE WHEN p_owner > 0 THEN 'no owner +5' END,
           CASE WHEN p_reopened > 0 THEN 'reopened ' || CAST(times_reopened AS varchar)
                || 'x +' || CAST(p_reopened AS varchar) END,
           CASE WHEN p_region > 0 THEN 'region ' || region || ' outside '
                || landing_zone || ' +5' END) AS risk_reason
FROM scored s;

-- risk_selected: the rows of finding_risk that the risk queries' thresholds and `--where`
-- dimensions keep: the parameters below ('' or 0: any), which `lake` writes into the view as
-- literals, as the Athena rendering does (so that a dimension not given is no condition at
-- all). `landing_zone` 'none': in no landing zone; `owner` 'none': unowned;
-- `environment`, `exposure`, `data_class` 'unknown': not given; `data_class` 'sensitive':
-- pii, restricted or confidential.
CREATE VIEW risk_selected AS
SELECT r.*
FROM finding_risk r
WHERE r.risk_score >= $min_risk
  AND coalesce(r.open_for_days, 0) >= $min_age
  AND r.severity_id >= $min_severity
  AND ($band = '' OR r.risk_band = $band)
  AND ($landing_zone = '' OR coalesce(r.landing_zone, 'none') = $landing_zone)
  AND ($account = '' OR r.account_uid = $account)
  AND ($account_name = '' OR r.account_name = $account_name)
  AND ($region = '' OR r.region = $region)
  AND ($service = '' OR r.service = $service)
  AND ($resource_type = '' OR r.resource_type = $resource_type)
  AND ($owner = '' OR coalesce(r.owner, 'none') = $owner)
  AND ($environment = '' OR coalesce(r.environment, 'unknown') = $environment)
  AND ($exposure = '' OR coalesce(r.exposure, 'unknown') = $exposure)
  AND ($data_class = '' OR coalesce(r.data_class, 'unknown') = $data_class
       OR ($data_class = 'sensitive' AND r.data_class IN ('pii', 'restricted', 'confidential')))
  AND ($status = '' OR r.status = $status)
  AND ($framework = '' OR array_has(r.frameworks, $framework))
  AND ($first_seen_from = '' OR r.first_seen >= $first_seen_from)
  AND ($first_seen_to = '' OR r.first_seen <= $first_seen_to)
  AND ($last_seen_from = '' OR r.last_seen >= $last_seen_from)
  AND ($last_seen_to = '' OR r.last_seen <= $last_seen_to);
