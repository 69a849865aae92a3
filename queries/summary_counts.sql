-- summary counts of $week and $against, long format: (section, name, current, previous).
--   status     PASS / FAIL / MANUAL / muted: every finding of the two weeks' states
--   severity   open (unmuted) FAIL findings by severity
--   compared   open FAIL by severity in the cells both weeks observed (compared_cells): the
--              like-for-like base of the deltas
--   muted_fail muted FAIL findings (name 'all')
--   compared_all every finding (any status) in the cells both weeks observed (name 'all'):
--              none on either side means the weeks observed nothing in common, and the
--              deltas are n/a rather than 0
--   change     new / regressed / onboarded / persisting / resolved / unverified of the
--              unmuted findings, and 'muted' for the muted ones whatever their change
--   unverified why the unverified (unmuted) findings could not be verified, by reason
-- The two weeks' counts come from pair_counts; grouping sets count by status, by severity
-- and overall, with the two weeks side by side; the few grouped rows are then unfolded into
-- the long format (a join with four tags reads `grouped` once, where a union would read it
-- per arm).
WITH rows AS (
    SELECT week = $week AS now, status_code, muted, severity, compared, findings
    FROM pair_counts
    WHERE pair_week = $week
),
grouped AS (
    SELECT status_code, severity,
           grouping(status_code) AS all_status, grouping(severity) AS all_severity,
           sum(CASE WHEN now THEN findings ELSE 0 END) AS cur,
           sum(CASE WHEN NOT now THEN findings ELSE 0 END) AS prev,
           sum(CASE WHEN now AND status_code = 'FAIL' AND NOT muted THEN findings ELSE 0 END)
               AS cur_open,
           sum(CASE WHEN NOT now AND status_code = 'FAIL' AND NOT muted THEN findings ELSE 0 END)
               AS prev_open,
           sum(CASE WHEN now AND compared AND status_code = 'FAIL' AND NOT muted THEN findings
                    ELSE 0 END) AS cur_compared,
           sum(CASE WHEN NOT now AND compared AND status_code = 'FAIL' AND NOT muted
                    THEN findings ELSE 0 END) AS prev_compared,
           sum(CASE WHEN now AND muted THEN findings ELSE 0 END) AS cur_muted,
           sum(CASE WHEN NOT now AND muted THEN findings ELSE 0 END) AS prev_muted,
           sum(CASE WHEN now AND muted AND status_code = 'FAIL' THEN findings ELSE 0 END)
               AS cur_muted_fail,
           sum(CASE WHEN NOT now AND muted AND status_code = 'FAIL' THEN findings ELSE 0 END)
               AS prev_muted_fail,
           sum(CASE WHEN now AND compared THEN findings ELSE 0 END) AS cur_compared_all,
           sum(CASE WHEN NOT now AND compared THEN findings ELSE 0 END) AS prev_compared_all
    FROM rows
    GROUP BY GROUPING SETS ((status_code), (severity), ())
),
counts AS (
    SELECT CASE t.tag WHEN 'muted' THEN 'status' ELSE t.tag END AS section,
           CASE t.tag WHEN 'status' THEN g.status_code
                      WHEN 'severity' THEN g.severity
                      WHEN 'compared' THEN g.severity
                      WHEN 'muted' THEN 'muted'
                      ELSE 'all' END AS name,
           CASE t.tag WHEN 'status' THEN g.cur
                      WHEN 'severity' THEN g.cur_open
                      WHEN 'compared' THEN g.cur_compared
                      WHEN 'muted' THEN g.cur_muted
                      WHEN 'compared_all' THEN g.cur_compared_all
                      ELSE g.cur_muted_fail END AS current,
           CASE t.tag WHEN 'status' THEN g.prev
                      WHEN 'severity' THEN g.prev_open
                      WHEN 'compared' THEN g.prev_compared
                      WHEN 'muted' THEN g.prev_muted
                      WHEN 'compared_all' THEN g.prev_compared_all
                      ELSE g.prev_muted_fail END AS previous
    FROM grouped g
    CROSS JOIN (VALUES ('status'), ('muted'), ('severity'), ('compared'), ('muted_fail'),
                       ('compared_all'))
        AS t (tag)
    WHERE (t.tag = 'status' AND g.all_status = 0)
       OR (t.tag IN ('severity', 'compared') AND g.all_severity = 0
           AND g.cur_open + g.prev_open > 0)
       OR (t.tag IN ('muted', 'muted_fail', 'compared_all') AND g.all_status = 1
           AND g.all_severity = 1)
    -- the muted counts are reported even when zero (and when there are no rows at all)
    UNION ALL SELECT 'status', 'muted', 0, 0
    UNION ALL SELECT 'muted_fail', 'all', 0, 0
    UNION ALL SELECT 'compared_all', 'all', 0, 0
    UNION ALL SELECT 'change', CASE WHEN muted THEN 'muted' ELSE change END, count(*), 0
    FROM finding_changes GROUP BY CASE WHEN muted THEN 'muted' ELSE change END
    UNION ALL SELECT 'unverified', reason, count(*), 0
    FROM finding_changes WHERE change = 'unverified' AND NOT muted GROUP BY reason
)
SELECT section, name, sum(current) AS current, sum(previous) AS previous
FROM counts
GROUP BY section, name
ORDER BY section, name;
