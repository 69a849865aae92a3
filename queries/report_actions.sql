-- report_actions: the quick wins of $week: checks whose open (unmuted) FAIL findings are on
-- at most $max_resources resources and that come with a remediation, most severe first,
-- then the fewest resources. At most 10.
SELECT check_id, max(title) AS title, max(severity) AS severity,
       max(severity_id) AS severity_id, count(*) AS open_fail,
       count(DISTINCT resource_uid) AS resources,
       array_agg(DISTINCT resource_uid) AS resource_uids,
       max(remediation) AS remediation,
       max(array_to_string(remediation_references, ' ')) AS references
FROM latest_findings
WHERE week = $week AND status_code = 'FAIL' AND NOT muted
GROUP BY check_id
HAVING count(DISTINCT resource_uid) <= $max_resources
   AND coalesce(max(remediation), '') <> ''
ORDER BY severity_id DESC, resources, open_fail DESC, check_id
LIMIT 10;
