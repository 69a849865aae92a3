//! CloudWatch Embedded Metric Format: one JSON line on stdout per invocation, which
//! CloudWatch Logs turns into metrics without any API call from the function.
//!
//! Metrics (dimension `FunctionName`): `FindingsIngested`, `FailFindings`, `BytesIngested`,
//! `FilesIngested`, `FilesSkipped`, `FilesFailed`, `FilesPartial`, `Seconds`; and, only when
//! a run's summary was written, `SummaryWritten` (1) — the freshness metric: an alarm on it
//! missing for 7 days catches a weekly run that silently stopped.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::{Config, Response};

/// The EMF line of one invocation.
pub fn invocation(
    config: &Config,
    response: &Response,
    elapsed: Duration,
    now: DateTime<Utc>,
) -> String {
    let files = response.results.iter().flat_map(|r| &r.files);
    let (mut findings, mut fail, mut ingested, mut skipped, mut failed, mut partial) =
        (0i64, 0i64, 0i64, 0i64, 0i64, 0i64);
    for f in files {
        if f.skipped {
            skipped += 1;
            continue;
        }
        findings += f.findings;
        fail += f.fail;
        match f.status.as_str() {
            "failed" => failed += 1,
            "partial" => {
                partial += 1;
                ingested += 1;
            }
            _ => ingested += 1,
        }
    }
    let bytes: i64 = response.results.iter().map(|r| r.bytes).sum();
    let summaries = response
        .results
        .iter()
        .filter(|r| r.summary_uri.is_some())
        .count();
    let mut metrics: Vec<(&str, &str, Value)> = vec![
        ("FindingsIngested", "Count", json!(findings)),
        ("FailFindings", "Count", json!(fail)),
        ("BytesIngested", "Bytes", json!(bytes)),
        ("FilesIngested", "Count", json!(ingested)),
        ("FilesSkipped", "Count", json!(skipped)),
        ("FilesFailed", "Count", json!(failed)),
        ("FilesPartial", "Count", json!(partial)),
        ("Seconds", "Seconds", json!(elapsed.as_secs_f64())),
    ];
    if summaries > 0 {
        metrics.push(("SummaryWritten", "Count", json!(summaries)));
    }
    emf(
        &config.metric_namespace,
        &config.function_name,
        &metrics,
        now,
    )
}

/// One EMF document: the metric values at the top level, described under `_aws`.
pub fn emf(
    namespace: &str,
    function: &str,
    metrics: &[(&str, &str, Value)],
    now: DateTime<Utc>,
) -> String {
    let definitions: Vec<Value> = metrics
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
        .collect();
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": now.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["FunctionName"]],
                "Metrics": definitions,
            }],
        }),
    );
    doc.insert("FunctionName".into(), json!(function));
    for (name, _, value) in metrics {
        doc.insert((*name).to_owned(), value.clone());
    }
    Value::Object(doc).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FileResult, RecordResult};

    fn file(status: &str, skipped: bool, findings: i64) -> FileResult {
        FileResult {
            source: "s3://b/k.ocsf.json".into(),
            account: "1".into(),
            status: status.into(),
            skipped,
            findings,
            fail: findings / 2,
            error: None,
        }
    }

    #[test]
    fn the_emf_line_counts_what_landed_and_flags_freshness_only_on_a_summary() {
        let config = Config::from_vars(|n| (n == "LAKE_URL").then(|| "s3://l/x".into())).unwrap();
        let mut run = RecordResult::new("run_complete", "w/r/run.complete");
        run.files = vec![
            file("succeeded", false, 10),
            file("partial", false, 4),
            file("failed", false, 0),
            file("succeeded", true, 7),
        ];
        run.bytes = 1234;
        let now = DateTime::from_timestamp(1_779_062_400, 0).unwrap();
        let response = Response {
            results: vec![run.clone()],
        };
        let line = invocation(&config, &response, Duration::from_millis(1500), now);
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["_aws"]["Timestamp"], 1_779_062_400_000i64);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Lake");
        assert_eq!(v["FunctionName"], "lake");
        assert_eq!(
            (
                &v["FindingsIngested"],
                &v["FailFindings"],
                &v["FilesIngested"],
                &v["FilesSkipped"],
                &v["FilesFailed"],
                &v["FilesPartial"],
                &v["BytesIngested"],
                &v["Seconds"]
            ),
            (
                &json!(14),
                &json!(7),
                &json!(2),
                &json!(1),
                &json!(1),
                &json!(1),
                &json!(1234),
                &json!(1.5)
            )
        );
        assert!(
            v.get("SummaryWritten").is_none(),
            "no summary, no freshness"
        );

        run.summary_uri = Some("s3://l/x/summaries/week=2026-W21/summary.json".into());
        let response = Response { results: vec![run] };
        let v: Value =
            serde_json::from_str(&invocation(&config, &response, Duration::ZERO, now)).unwrap();
        assert_eq!(v["SummaryWritten"], 1);
        let names: Vec<&str> = v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"SummaryWritten") && names.len() == 9);
    }
}
