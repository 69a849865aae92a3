-- diff: what changed between two weeks, one row per finding key failing in either week's
-- state, with the evidence behind its class (`reason`, `baseline_week`; see finding_changes).
-- Parameters: $week, $against (registered as the one-row table diff_pairs).
SELECT change, reason, finding_key, finding_uid, muted, severity, check_id, account_uid, region,
       resource_uid, title, status_now, status_before, status_detail, week, against,
       baseline_week, source
FROM finding_changes
ORDER BY
    CASE change WHEN 'new' THEN 1 WHEN 'regressed' THEN 2 WHEN 'onboarded' THEN 3
                WHEN 'persisting' THEN 4 WHEN 'resolved' THEN 5 ELSE 6 END,
    severity_id DESC, check_id, account_uid, region, resource_uid, finding_key;
