-- owners: per owner team ('none': nobody owns it), the open failures of $week
-- (finding_risk), how many are past their SLA and by how long, by risk band, and the worst
-- risk; the dimension parameters of `priorities` filter the findings counted.
WITH rows AS (
    SELECT coalesce(owner, 'none') AS owner, risk_score, risk_band, severity_id,
           sla_overdue_days, status, landing_zone, account_uid
    FROM finding_risk
    WHERE risk_score >= $min_risk
      AND coalesce(open_for_days, 0) >= $min_age
      AND severity_id >= $min_severity
      AND ($band = '' OR risk_band = $band)
      AND ($landing_zone = '' OR coalesce(landing_zone, 'none') = $landing_zone)
      AND ($account = '' OR account_uid = $account)
      AND ($account_name = '' OR account_name = $account_name)
      AND ($region = '' OR region = $region)
      AND ($service = '' OR service = $service)
      AND ($resource_type = '' OR resource_type = $resource_type)
      AND ($owner = '' OR coalesce(owner, 'none') = $owner)
      AND ($environment = '' OR coalesce(environment, 'unknown') = $environment)
      AND ($exposure = '' OR coalesce(exposure, 'unknown') = $exposure)
      AND ($data_class = '' OR coalesce(data_class, 'unknown') = $data_class
           OR ($data_class = 'sensitive' AND data_class IN ('pii', 'restricted', 'confidential')))
      AND ($status = '' OR status = $status)
      AND ($framework = '' OR array_has(frameworks, $framework))
      AND ($first_seen_from = '' OR first_seen >= $first_seen_from)
      AND ($first_seen_to = '' OR first_seen <= $first_seen_to)
      AND ($last_seen_from = '' OR last_seen >= $last_seen_from)
      AND ($last_seen_to = '' OR last_seen <= $last_seen_to)
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
