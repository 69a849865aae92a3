-- summary sources: per producer (`source`: prowler, securityhub, ...) of $week's state, its
-- findings and open (unmuted) FAIL, and the changes of its unmuted findings against
-- $against (the state's counts from pair_counts). Each producer's changes are judged on its own evidence (see finding_changes).
WITH state AS (
    SELECT source, sum(findings) AS findings,
           sum(CASE WHEN status_code = 'FAIL' AND NOT muted THEN findings ELSE 0 END)
               AS open_fail
    FROM pair_counts
    WHERE pair_week = $week AND week = $week
    GROUP BY source
),
changes AS (
    SELECT source,
           count(CASE WHEN change = 'new' AND NOT muted THEN 1 END) AS new,
           count(CASE WHEN change = 'regressed' AND NOT muted THEN 1 END) AS regressed,
           count(CASE WHEN change = 'resolved' AND NOT muted THEN 1 END) AS resolved,
           count(CASE WHEN change = 'unverified' AND NOT muted THEN 1 END) AS unverified,
           count(CASE WHEN change = 'onboarded' AND NOT muted THEN 1 END) AS onboarded
    FROM finding_changes
    WHERE week = $week
    GROUP BY source
)
SELECT coalesce(s.source, c.source) AS source, coalesce(s.findings, 0) AS findings,
       coalesce(s.open_fail, 0) AS open_fail, coalesce(c.new, 0) AS new,
       coalesce(c.regressed, 0) AS regressed, coalesce(c.resolved, 0) AS resolved,
       coalesce(c.unverified, 0) AS unverified, coalesce(c.onboarded, 0) AS onboarded
FROM state s
FULL JOIN changes c ON c.source = s.source
ORDER BY 1;
