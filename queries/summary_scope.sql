-- summary scope: the accounts (as scanned) of $week and of the 12 weeks with data before it,
-- per producer (account_coverage): status, onboarded, the last week a scan of it landed and
-- the weeks missing since, with the error of its latest partial or failed scan of $week and
-- the regions its landed scans of $week saw.
WITH week_scans AS (
    SELECT coalesce(source_product, 'prowler') AS source, account_uid, status, error,
           row_number() OVER (
               PARTITION BY coalesce(source_product, 'prowler'), account_uid
               ORDER BY CASE status WHEN 'succeeded' THEN 0 WHEN 'partial' THEN 1 ELSE 2 END,
                        scan_time DESC, ingested_at DESC, source_uri DESC
           ) AS rn
    FROM scans
    WHERE week = $week
)
SELECT c.account_uid, c.source, c.status, c.onboarded, c.last_week, c.weeks_missing,
       CASE WHEN c.status IN ('partial', 'failed') THEN s.error END AS error,
       r.region
FROM account_coverage c
LEFT JOIN week_scans s ON s.source = c.source AND s.account_uid = c.account_uid AND s.rn = 1
LEFT JOIN (
    SELECT source, scan_account AS account_uid, region FROM week_regions WHERE week = $week
) r
    ON r.source = c.source AND r.account_uid = c.account_uid
WHERE c.week = $week
ORDER BY c.account_uid, c.source, r.region;
