-- summary top failing checks of $week: open (unmuted) FAIL findings per check, with the
-- accounts and resources they are in (also the weekly report's top open issues). Read from
-- the week's changes, which hold one row per finding failing in its state (status_now FAIL:
-- new, regressed, onboarded, persisting), as the summary's other statements do: one
-- classification of the week serves them all.
SELECT check_id, max(title) AS title, max(severity) AS severity, max(severity_id) AS severity_id,
       count(*) AS open_fail, count(DISTINCT account_uid) AS accounts,
       count(DISTINCT resource_uid) AS resources
FROM finding_changes
WHERE week = $week AND status_now = 'FAIL' AND NOT muted
GROUP BY check_id
ORDER BY severity_id DESC, open_fail DESC, check_id
LIMIT 10;
