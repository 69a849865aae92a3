-- summary scope: every scan of the accounts in $week and $against, latest first; the summary
-- takes per account and week the latest scan that landed (as latest_scans does), else the
-- failed one, to name accounts that were scanned, partial, failed or missing.
SELECT week, account_uid, status, regions, error
FROM scans
WHERE week = $week OR week = $against
ORDER BY week, account_uid, scan_time DESC, ingested_at DESC;
