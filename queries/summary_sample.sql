-- summary sample: open (unmuted) failing findings of $week (diff_pairs holds $week and the
-- week before), most severe first, spread across checks and accounts: every check gives its
-- first finding before any check gives a second, and within a check accounts take turns.
-- The findings are ranked by the columns that rank them; the text of the picked ones alone is
-- read at the end.
WITH open AS (
    SELECT finding_key, source, severity_id, check_id, account_uid, region, resource_uid,
           CASE change WHEN 'new' THEN 1 WHEN 'regressed' THEN 2 WHEN 'onboarded' THEN 3 ELSE 4 END
               AS change_rank
    FROM finding_changes
    WHERE change IN ('new', 'regressed', 'onboarded', 'persisting') AND NOT muted
),
-- Only the checks that can reach the sample: the picks are the first $sample open findings by
-- severity, so none lies below the highest severity that at least $sample findings reach
-- (`lowest_picked`; none if fewer findings are open). The checks with a finding at or above it
-- keep all their findings, so their turns are those over the whole week; the others, often
-- most of the week, are not ranked at all.
tiers AS (
    SELECT severity_id, sum(count(*)) OVER (ORDER BY severity_id DESC) AS reached
    FROM open
    GROUP BY severity_id
),
lowest_picked AS (
    SELECT coalesce(max(severity_id), -1) AS severity_id FROM tiers WHERE reached >= $sample
),
candidates AS (
    SELECT o.*
    FROM open o
    WHERE o.check_id IN (SELECT DISTINCT c.check_id FROM open c CROSS JOIN lowest_picked f
                         WHERE c.severity_id >= f.severity_id)
),
per_account AS (
    SELECT *, row_number() OVER (PARTITION BY check_id, account_uid
                                 ORDER BY change_rank, region, resource_uid, finding_key) AS account_turn
    FROM candidates
),
per_check AS (
    SELECT *, row_number() OVER (PARTITION BY check_id
                                 ORDER BY account_turn, change_rank, account_uid, finding_key) AS check_turn
    FROM per_account
),
picked AS (
    SELECT * FROM per_check
    ORDER BY severity_id DESC, check_turn, change_rank, check_id, account_uid, finding_key
    LIMIT $sample
)
-- (a finding key is one row of the week's changes: the key alone joins, so that the scan
-- for the picked findings' text decodes no other column)
SELECT s.finding_key, c.title, c.severity, s.check_id, s.account_uid, s.region, c.change,
       c.status_detail, s.resource_uid, c.resource_name
FROM picked s
JOIN finding_changes c ON c.finding_key = s.finding_key
WHERE c.change IN ('new', 'regressed', 'onboarded', 'persisting') AND NOT c.muted
ORDER BY s.severity_id DESC, s.check_turn, s.change_rank, s.check_id, s.account_uid, s.finding_key;
