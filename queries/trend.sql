-- trend: per week with data (the last $weeks of them; diff_pairs holds each week and the week
-- with data before it): the accounts it covered, open FAIL by severity, muted FAIL, the
-- changes against the week before (unmuted findings: muted ones are counted apart, as
-- everywhere) and the change of open FAIL like for like (over the cells both weeks observed,
-- compared_cells; NULL for the first week and for a week that observed nothing the week
-- before did): the states' counts from pair_counts.
WITH fails AS (
    SELECT week,
           sum(CASE WHEN NOT muted THEN findings ELSE 0 END) AS open_fail,
           sum(CASE WHEN NOT muted AND severity = 'Critical' THEN findings ELSE 0 END)
               AS critical,
           sum(CASE WHEN NOT muted AND severity = 'High' THEN findings ELSE 0 END) AS high,
           sum(CASE WHEN NOT muted AND severity = 'Medium' THEN findings ELSE 0 END) AS medium,
           sum(CASE WHEN NOT muted AND severity = 'Low' THEN findings ELSE 0 END) AS low,
           sum(CASE WHEN NOT muted AND severity = 'Informational' THEN findings ELSE 0 END)
               AS informational,
           sum(CASE WHEN muted THEN findings ELSE 0 END) AS muted
    FROM pair_counts
    WHERE status_code = 'FAIL' AND week = pair_week
    GROUP BY week
),
changes AS (
    SELECT week,
           count(CASE WHEN change = 'new' AND NOT muted THEN 1 END) AS new,
           count(CASE WHEN change = 'regressed' AND NOT muted THEN 1 END) AS regressed,
           count(CASE WHEN change = 'resolved' AND NOT muted THEN 1 END) AS resolved,
           count(CASE WHEN change = 'unverified' AND NOT muted THEN 1 END) AS unverified,
           count(CASE WHEN change = 'onboarded' AND NOT muted THEN 1 END) AS onboarded
    FROM finding_changes
    GROUP BY week
),
-- the like-for-like change: each pair's open FAIL in the cells both weeks observed, its
-- week's counted +1 and the week before's -1 (no row, so NULL, when the two weeks observed
-- nothing in common: no comparison, not "no change")
compared AS (
    SELECT pair_week AS week,
           sum(CASE WHEN status_code <> 'FAIL' OR muted THEN 0
                    WHEN week = pair_week THEN findings ELSE -findings END) AS open_fail_delta
    FROM pair_counts
    WHERE compared
    GROUP BY pair_week
),
accounts AS (
    -- accounts, whatever the producer: one scanned by Prowler and by Security Hub is one
    -- account scanned; one missing or incomplete for either producer counts so; onboarded
    -- only when new to the lake (no producer scanned it before)
    SELECT week,
           count(CASE WHEN scanned THEN 1 END) AS accounts_scanned,
           count(CASE WHEN incomplete THEN 1 END) AS accounts_incomplete,
           count(CASE WHEN missing THEN 1 END) AS accounts_missing,
           count(CASE WHEN onboarded THEN 1 END) AS accounts_onboarded
    FROM (
        SELECT week, account_uid,
               bool_or(status IN ('succeeded', 'partial')) AS scanned,
               bool_or(status IN ('partial', 'failed')) AS incomplete,
               bool_or(status = 'missing') AS missing,
               bool_or(onboarded) AND bool_and(onboarded OR status = 'missing') AS onboarded
        FROM account_coverage
        GROUP BY week, account_uid
    ) a
    GROUP BY week
)
SELECT p.week, coalesce(a.accounts_scanned, 0) AS accounts_scanned,
       coalesce(a.accounts_incomplete, 0) AS accounts_incomplete,
       coalesce(a.accounts_missing, 0) AS accounts_missing,
       coalesce(a.accounts_onboarded, 0) AS accounts_onboarded,
       coalesce(f.open_fail, 0) AS open_fail, coalesce(f.critical, 0) AS critical,
       coalesce(f.high, 0) AS high, coalesce(f.medium, 0) AS medium, coalesce(f.low, 0) AS low,
       coalesce(f.informational, 0) AS informational, coalesce(f.muted, 0) AS muted_fail,
       d.open_fail_delta,
       coalesce(c.new, 0) AS new, coalesce(c.regressed, 0) AS regressed,
       coalesce(c.resolved, 0) AS resolved, coalesce(c.unverified, 0) AS unverified,
       coalesce(c.onboarded, 0) AS onboarded
FROM diff_pairs p
LEFT JOIN fails f ON f.week = p.week
LEFT JOIN changes c ON c.week = p.week
LEFT JOIN compared d ON d.week = p.week
LEFT JOIN accounts a ON a.week = p.week
ORDER BY p.week;
