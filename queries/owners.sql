-- owners: per owner team ('none': nobody owns it), the open failures of $week
-- (finding_risk), how many are past their SLA and by how long, by risk band, and the worst
-- risk; the thresholds and dimensions of `priorities` (risk_selected) filter the findings
-- counted. `accounts_not_scanned`: the owner's accounts (by $week's context) that a producer
-- scanned in the 12 weeks with data before and did not scan in $week (account_coverage:
-- missing or failed), whose failures nobody can see this week: an owner whose accounts
-- were all left unscanned keeps its row, with no open failure counted, rather than
-- vanishing as if it had none. The account dimensions (owner, landing_zone, environment,
-- account, account_name) select those accounts too.
WITH rows AS (
    SELECT coalesce(owner, 'none') AS owner, risk_score, risk_band, severity_id,
           sla_overdue_days, status, landing_zone, account_uid
    FROM risk_selected
),
counted AS (
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
),
unscanned AS (
    SELECT coalesce(c.owner, 'none') AS owner,
           count(DISTINCT v.account_uid) AS accounts_not_scanned
    FROM account_coverage v
    LEFT JOIN account_context c ON c.week = v.week AND c.account_uid = v.account_uid
    WHERE v.week = $week AND v.status IN ('missing', 'failed')
      AND ($owner = '' OR coalesce(c.owner, 'none') = $owner)
      AND ($landing_zone = '' OR coalesce(c.landing_zone, 'none') = $landing_zone)
      AND ($environment = '' OR coalesce(c.environment, 'unknown') = $environment)
      AND ($account = '' OR v.account_uid = $account)
      AND ($account_name = '' OR c.account_name = $account_name)
    GROUP BY coalesce(c.owner, 'none')
)
SELECT coalesce(o.owner, u.owner) AS owner,
       coalesce(o.open_fail, 0) AS open_fail,
       coalesce(o.sla_breaches, 0) AS sla_breaches,
       o.max_overdue_days,
       coalesce(o.risk_critical, 0) AS risk_critical,
       coalesce(o.risk_high, 0) AS risk_high,
       coalesce(o.risk_medium, 0) AS risk_medium,
       coalesce(o.new_this_week, 0) AS new_this_week,
       o.max_risk,
       coalesce(o.accounts, 0) AS accounts,
       coalesce(u.accounts_not_scanned, 0) AS accounts_not_scanned,
       coalesce(o.landing_zones, 0) AS landing_zones
FROM counted o
FULL JOIN unscanned u ON u.owner = o.owner
ORDER BY sla_breaches DESC, risk_critical DESC, risk_high DESC, open_fail DESC,
         accounts_not_scanned DESC, owner;
