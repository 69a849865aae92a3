-- priorities: the open failures of $week, riskiest first (finding_risk in context.sql: the
-- score, its band and the reason), each with its owner, landing zone, environment, age against
-- its SLA and lifecycle, the reason last (a terminal table shows it whole). Every threshold
-- and dimension is a parameter, kept by the view risk_selected (context.sql); $limit.
SELECT risk_score, risk_band, severity, status, open_for_days, open_before_window, sla_days,
       sla_overdue_days,
       owner, owner_from, landing_zone, environment, environment_from, account_uid,
       account_name, region,
       check_id, resource_uid, resource_type, exposure, data_class, chain,
       compensating_control, first_seen, last_seen, first_failed, open_since, resolved_at,
       times_reopened, title, finding_key, source, risk_reason
FROM risk_selected
ORDER BY risk_score DESC, severity_id DESC, open_for_days DESC NULLS LAST, account_uid,
         check_id, resource_uid, finding_key
LIMIT $limit;
