-- posture: pass rate overall and per account, service and severity in $week, with the change
-- against $against. Pass rate = PASS / (PASS + open FAIL); MANUAL and muted findings are left
-- out of the rate and counted apart. The change compares like with like: compared_pass_rate
-- (this week) and previous_pass_rate ($against), their difference pass_rate_delta, and
-- fail_delta count only the cells (account, region or whole account,
-- check) both weeks observed (compared_cells); open failures outside them are counted apart
-- (fail_not_compared: in cells only this week observed, e.g. an onboarded account;
-- previous_fail_not_compared: in cells only $against observed, e.g. an account not scanned
-- now), so that a missing account never looks like an improvement.
-- The two weeks' counts come from pair_counts (the states counted per account, service,
-- severity, status, muted and compared); grouping sets give the four dimensions,
-- conditional sums the two weeks side by side.
WITH counts AS (
    SELECT
        CASE WHEN grouping(account_uid) = 0 THEN 'account'
             WHEN grouping(service) = 0 THEN 'service'
             WHEN grouping(severity) = 0 THEN 'severity'
             ELSE 'overall' END AS dimension,
        CASE WHEN grouping(account_uid) = 0 THEN account_uid
             WHEN grouping(service) = 0 THEN service
             WHEN grouping(severity) = 0 THEN severity
             ELSE 'all' END AS value,
        CASE WHEN grouping(account_uid) = 0 THEN 1
             WHEN grouping(service) = 0 THEN 2
             WHEN grouping(severity) = 0 THEN 10 - severity_id
             ELSE 0 END AS rank,
        sum(CASE WHEN week = $week THEN findings ELSE 0 END) AS rows_now,
        sum(CASE WHEN week = $against THEN findings ELSE 0 END) AS rows_before,
        sum(CASE WHEN week = $week AND status_code = 'PASS' AND NOT muted THEN findings
                 ELSE 0 END) AS pass,
        sum(CASE WHEN week = $week AND status_code = 'FAIL' AND NOT muted THEN findings
                 ELSE 0 END) AS fail,
        sum(CASE WHEN week = $week AND muted THEN findings ELSE 0 END) AS muted,
        sum(CASE WHEN week = $week AND status_code = 'MANUAL' AND NOT muted THEN findings
                 ELSE 0 END) AS manual,
        sum(CASE WHEN week = $week AND compared AND status_code = 'PASS' AND NOT muted
                 THEN findings ELSE 0 END) AS compared_pass,
        sum(CASE WHEN week = $week AND compared AND status_code = 'FAIL' AND NOT muted
                 THEN findings ELSE 0 END) AS compared_fail,
        sum(CASE WHEN week = $against AND compared AND status_code = 'PASS' AND NOT muted
                 THEN findings ELSE 0 END) AS previous_pass,
        sum(CASE WHEN week = $against AND compared AND status_code = 'FAIL' AND NOT muted
                 THEN findings ELSE 0 END) AS previous_fail,
        sum(CASE WHEN week = $against AND NOT compared AND status_code = 'FAIL' AND NOT muted
                 THEN findings ELSE 0 END) AS previous_fail_not_compared
    FROM pair_counts
    WHERE pair_week = $week
    GROUP BY GROUPING SETS ((), (account_uid), (service), (severity, severity_id))
),
rated AS (
    SELECT *,
           CASE WHEN pass + fail = 0 THEN NULL
                ELSE round(100.0 * pass / (pass + fail), 1) END AS pass_rate,
           CASE WHEN compared_pass + compared_fail = 0 THEN NULL
                ELSE round(100.0 * compared_pass / (compared_pass + compared_fail), 1) END
               AS compared_pass_rate,
           CASE WHEN previous_pass + previous_fail = 0 THEN NULL
                ELSE round(100.0 * previous_pass / (previous_pass + previous_fail), 1) END
               AS previous_pass_rate,
           -- what was compared: the row's own PASS and FAIL in cells both weeks observed, or
           -- for a severity the whole pair's (a severity with no findings in cells both
           -- weeks observed did not change; an account or service with none was not compared)
           CASE WHEN dimension IN ('overall', 'severity')
                THEN max(CASE WHEN dimension = 'overall'
                              THEN compared_pass + compared_fail + previous_pass
                                   + previous_fail END) OVER ()
                ELSE compared_pass + compared_fail + previous_pass + previous_fail END
               AS compared_findings
    FROM counts
    -- (the overall row stays for a week whose scans reported nothing, e.g. an empty scan
    -- file: no findings now, what the week before had counted as not compared)
    WHERE rows_now > 0 OR (dimension = 'overall' AND rows_before > 0)
)
SELECT dimension, value, pass, fail, muted, manual, pass_rate, compared_pass_rate,
       previous_pass_rate,
       round(compared_pass_rate - previous_pass_rate, 1) AS pass_rate_delta,
       CASE WHEN $against IS NULL OR coalesce(compared_findings, 0) = 0 THEN NULL
            ELSE compared_fail - previous_fail END AS fail_delta,
       fail - compared_fail AS fail_not_compared,
       previous_fail_not_compared
FROM rated
ORDER BY CASE dimension WHEN 'overall' THEN 0 WHEN 'severity' THEN 1 WHEN 'account' THEN 2 ELSE 3 END,
         rank, value;
