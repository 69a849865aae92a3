-- summary risk: the open failures of $week judged in context (finding_risk): per landing zone
-- and per owner ('none': none), how many, past their SLA, at critical or high risk, and the
-- worst score; then the five riskiest findings with their reasons.
WITH r AS (
    SELECT coalesce(landing_zone, 'none') AS landing_zone, coalesce(owner, 'none') AS owner,
           risk_score, risk_band, sla_overdue_days, severity, severity_id, check_id,
           account_uid, region, resource_uid, resource_name, open_for_days, status,
           risk_reason, finding_key
    FROM finding_risk
),
groups AS (
    SELECT CASE WHEN grouping(landing_zone) = 0 THEN 'landing_zone' ELSE 'owner' END
               AS section,
           CASE WHEN grouping(landing_zone) = 0 THEN landing_zone ELSE owner END AS name,
           count(*) AS open_fail,
           count(sla_overdue_days) AS sla_breaches,
           count(CASE WHEN risk_band IN ('critical', 'high') THEN 1 END) AS high_risk,
           max(risk_score) AS max_risk
    FROM r
    GROUP BY GROUPING SETS ((landing_zone), (owner))
),
top AS (
    SELECT *, row_number() OVER (
               ORDER BY risk_score DESC, severity_id DESC, open_for_days DESC, account_uid,
                        check_id, resource_uid, finding_key) AS rank
    FROM r
)
SELECT section, name, open_fail, sla_breaches, high_risk, max_risk,
       CAST(NULL AS bigint) AS rank, CAST(NULL AS varchar) AS risk_band,
       CAST(NULL AS varchar) AS severity, CAST(NULL AS varchar) AS check_id,
       CAST(NULL AS varchar) AS account_uid, CAST(NULL AS varchar) AS region,
       CAST(NULL AS varchar) AS resource_uid, CAST(NULL AS varchar) AS resource_name,
       CAST(NULL AS varchar) AS owner, CAST(NULL AS varchar) AS landing_zone,
       CAST(NULL AS bigint) AS open_for_days, CAST(NULL AS varchar) AS status,
       CAST(NULL AS varchar) AS risk_reason
FROM groups
UNION ALL
SELECT 'top' AS section, NULL AS name, NULL AS open_fail, NULL AS sla_breaches,
       NULL AS high_risk, risk_score AS max_risk, CAST(rank AS bigint) AS rank, risk_band,
       severity, check_id, account_uid, region, resource_uid, resource_name, owner,
       landing_zone, open_for_days, status, risk_reason
FROM top
WHERE rank <= 5
ORDER BY section, rank, sla_breaches DESC, high_risk DESC, open_fail DESC, name;
