-- diff: what changed between two weeks, one row per finding key failing in either week.
-- Parameters: $week, $against (registered as the one-row table diff_pairs).
SELECT change, finding_key, finding_uid, muted, severity, check_id, account_uid, region,
       resource_uid, title, status_now, status_detail, week, against
FROM finding_changes
ORDER BY
    CASE change WHEN 'new' THEN 1 WHEN 'regressed' THEN 2 WHEN 'persisting' THEN 3
                WHEN 'resolved' THEN 4 ELSE 5 END,
    severity_id DESC, check_id, account_uid, region, resource_uid, finding_key;
