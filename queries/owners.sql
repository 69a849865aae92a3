-- owners: per owner team ('none': nobody owns it), the open failures of $week
-- (finding_risk), how many are past their SLA and by how long, by risk band, and the worst
-- risk; the thresholds and dimensions of `priorities` (risk_selected) filter the findings
-- counted.
WITH rows AS (
    SELECT coalesce(owner, 'none') AS owner, risk_score, risk_band, severity_id,
           sla_overdue_days, status, landing_zone, account_uid
    FROM risk_selected
)
SELECT owner,
       count(*) AS open_fail,
       count(CASE WHEN sla_overdue_days IS NOT NULL THEN 1 END) AS sla_breaches,
       max(sla_overdue_days) AS max_overdue_days,
       count(CASE WHEN risk_band = 'critical' THEN 1 END) AS risk_critical,
       count(CASE WHEN risk_band = 'high' THEN 1 END) AS risk_high,
       count(CASE WHEN risk_band = 'medium' THEN 1 END) AS risk_medium,
       count(CASE WHEN status = 'new' THEN 1 END) AS new_this_week,
       max(risk_score) AS max_risk,
       count(DISTINCT account_uid) AS accounts,
       count(DISTINCT landing_zone) AS landing_zones
FROM rows
GROUP BY owner
ORDER BY sla_breaches DESC, risk_critical DESC, risk_high DESC, open_fail DESC, owner;
