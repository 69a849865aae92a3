-- report_open: the open (unmuted) FAIL findings of $week, most severe first: the open
-- findings sheet of the report's workbook.
SELECT severity, check_id, title, account_uid, region, resource_uid, status_detail,
       remediation, finding_uid, source
FROM latest_findings
WHERE week = $week AND status_code = 'FAIL' AND NOT muted
ORDER BY severity_id DESC, check_id, account_uid, region, resource_uid, finding_key;
