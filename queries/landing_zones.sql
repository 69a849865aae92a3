-- landing-zones: posture per landing zone in $week with the change against $against, as
-- `posture` computes it (pass rate = PASS / (PASS + open FAIL), the deltas over the cells
-- both weeks observed, compared_cells), accounts placed by $week's context, else by their
-- organizational unit (account_defaults; 'none': in no landing zone), plus the zone's open failures past their SLA and at critical or high risk
-- (finding_risk). `accounts`: the zone's accounts with findings in $week; `accounts_before`:
-- in $against (a zone none of whose accounts was scanned in $week still has its row, with
-- no account now). `--where environment=...` ($environment, as for the other risk queries)
-- filters the accounts ('' any, 'unknown': not given).
WITH zones AS (
    -- the context's, else (an account it does not list) the organizational unit and tags
    SELECT coalesce(c.account_uid, d.account_uid) AS account_uid,
           coalesce(c.landing_zone, d.org_unit) AS landing_zone,
           coalesce(c.landing_zone_name, d.org_unit) AS landing_zone_name,
           coalesce(c.environment, d.environment) AS environment
    FROM (SELECT * FROM account_context WHERE week = $week) c
    FULL JOIN (SELECT * FROM account_defaults WHERE week = $week) d
        ON d.account_uid = c.account_uid
),
rows AS (
    SELECT coalesce(z.landing_zone, 'none') AS landing_zone,
           coalesce(z.landing_zone_name, z.landing_zone, 'none') AS landing_zone_name,
           f.week, f.account_uid, f.status_code, f.muted, f.compared, f.findings
    FROM pair_counts f
    LEFT JOIN zones z ON z.account_uid = f.account_uid
    WHERE f.pair_week = $week
      AND ($environment = '' OR coalesce(z.environment, 'unknown') = $environment)
),
counts AS (
    SELECT landing_zone, max(landing_zone_name) AS landing_zone_name,
           count(DISTINCT CASE WHEN week = $week THEN account_uid END) AS accounts,
           count(DISTINCT CASE WHEN week = $against THEN account_uid END) AS accounts_before,
           sum(CASE WHEN week = $week THEN findings ELSE 0 END) AS rows_now,
           sum(CASE WHEN week = $against THEN findings ELSE 0 END) AS rows_before,
           sum(CASE WHEN week = $week AND status_code = 'PASS' AND NOT muted THEN findings
                    ELSE 0 END) AS pass,
           sum(CASE WHEN week = $week AND status_code = 'FAIL' AND NOT muted THEN findings
                    ELSE 0 END) AS fail,
           sum(CASE WHEN week = $week AND compared AND status_code = 'PASS' AND NOT muted
                    THEN findings ELSE 0 END) AS compared_pass,
           sum(CASE WHEN week = $week AND compared AND status_code = 'FAIL' AND NOT muted
                    THEN findings ELSE 0 END) AS compared_fail,
           sum(CASE WHEN week = $against AND compared AND status_code = 'PASS' AND NOT muted
                    THEN findings ELSE 0 END) AS previous_pass,
           sum(CASE WHEN week = $against AND compared AND status_code = 'FAIL' AND NOT muted
                    THEN findings ELSE 0 END) AS previous_fail
    FROM rows
    GROUP BY landing_zone
),
risk AS (
    SELECT coalesce(r.landing_zone, 'none') AS landing_zone,
           count(CASE WHEN r.sla_overdue_days IS NOT NULL THEN 1 END) AS sla_breaches,
           count(CASE WHEN r.risk_band IN ('critical', 'high') THEN 1 END) AS high_risk,
           max(r.risk_score) AS max_risk
    FROM finding_risk r
    WHERE $environment = '' OR coalesce(r.environment, 'unknown') = $environment
    GROUP BY coalesce(r.landing_zone, 'none')
),
rated AS (
    SELECT c.*,
           CASE WHEN pass + fail = 0 THEN NULL
                ELSE round(100.0 * pass / (pass + fail), 1) END AS pass_rate,
           CASE WHEN compared_pass + compared_fail = 0 THEN NULL
                ELSE round(100.0 * compared_pass / (compared_pass + compared_fail), 1) END
               AS compared_pass_rate,
           CASE WHEN previous_pass + previous_fail = 0 THEN NULL
                ELSE round(100.0 * previous_pass / (previous_pass + previous_fail), 1) END
               AS previous_pass_rate
    FROM counts c
    -- (a zone whose accounts were scanned the week before only stays, with no account now:
    -- its accounts were not scanned, which is not "it has no failures")
    WHERE rows_now > 0 OR rows_before > 0
)
SELECT r.landing_zone, r.landing_zone_name, r.accounts, r.accounts_before, r.pass, r.fail,
       r.pass_rate,
       r.compared_pass_rate, r.previous_pass_rate,
       round(r.compared_pass_rate - r.previous_pass_rate, 1) AS pass_rate_delta,
       -- (NULL when the zone's accounts had nothing both weeks observed: no comparison)
       CASE WHEN r.compared_pass + r.compared_fail + r.previous_pass + r.previous_fail = 0
            THEN NULL ELSE r.compared_fail - r.previous_fail END AS fail_delta,
       r.fail - r.compared_fail AS fail_not_compared,
       coalesce(k.sla_breaches, 0) AS sla_breaches, coalesce(k.high_risk, 0) AS high_risk,
       k.max_risk
FROM rated r
LEFT JOIN risk k ON k.landing_zone = r.landing_zone
ORDER BY CASE WHEN r.landing_zone = 'none' THEN 1 ELSE 0 END, r.landing_zone;
