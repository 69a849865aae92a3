-- priorities: the open failures of $week, riskiest first (finding_risk in context.sql: the
-- score, its band and the reason), each with its owner, landing zone, environment, age against
-- its SLA and lifecycle. Every threshold and dimension is a parameter ('' or 0: any):
-- $min_risk, $min_age (days open), $min_severity (severity id: 4 = High and above), $band,
-- $landing_zone ('none': accounts in none), $account, $account_name, $region, $service,
-- $resource_type, $owner ('none': unowned), $environment ('unknown': not given), $exposure,
-- $data_class ('sensitive': pii, restricted or confidential), $status (new, reopened, open),
-- $framework, $first_seen_from, $first_seen_to, $last_seen_from, $last_seen_to (weeks), $limit.
SELECT risk_score, risk_band, severity, status, open_for_days, open_before_window, sla_days,
       sla_overdue_days,
       owner, owner_from, landing_zone, environment, environment_from, account_uid,
       account_name, region,
       check_id, resource_uid, resource_type, exposure, data_class, chain,
       compensating_control, first_seen, last_seen, first_failed, open_since, resolved_at,
       times_reopened, risk_reason, title, finding_key, source
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
ORDER BY risk_score DESC, severity_id DESC, open_for_days DESC NULLS LAST, account_uid,
         check_id, resource_uid, finding_key
LIMIT $limit;
