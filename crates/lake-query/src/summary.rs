//! The summary inputs of the weekly report: a compact, deterministic JSON document.
//!
//! Week and previous week; scope (accounts and regions scanned, accounts that were partial,
//! failed, or present last week but missing now); totals by status; open FAIL counts by
//! severity (current, previous, delta) with muted counted apart; change counts; top failing
//! checks; and a sample of failing findings spread across checks and accounts. The same lake
//! gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use lake_core::Severity;
use serde_json::{json, Map, Value};

use crate::error::Result;
use crate::json::text_at;
use crate::named::{named, Params};
use crate::session::{Lake, Scope, LATE_MATERIALIZATION};

const COUNTS: &str = include_str!("../../../queries/summary_counts.sql");
const SCOPE: &str = include_str!("../../../queries/summary_scope.sql");
const CHECKS: &str = include_str!("../../../queries/summary_checks.sql");
const SAMPLE: &str = include_str!("../../../queries/summary_sample.sql");

/// The statements the summary is assembled from, in the order it runs them.
pub(crate) const SOURCES: [&str; 4] = [SCOPE, COUNTS, CHECKS, SAMPLE];

/// The columns of `finding_changes` that `summary_counts.sql` and `summary_sample.sql` read.
const SUMMARY_CHANGE_COLUMNS: [&str; 10] = [
    "week",
    "finding_key",
    "change",
    "muted",
    "severity",
    "severity_id",
    "check_id",
    "account_uid",
    "region",
    "resource_uid",
];

/// Per (week, account): the scan's status, regions and error.
type ScopeEntry = (String, Vec<String>, Option<String>);

/// Longest text kept in a sample, in characters.
const MAX_TEXT: usize = 160;

/// Severities reported, most severe first, with their JSON keys.
const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Informational,
];

fn trim(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= MAX_TEXT {
        s
    } else {
        let mut t: String = s.chars().take(MAX_TEXT - 1).collect();
        t.push('…');
        t
    }
}

/// Column `name` of `batch` as text at `row` (null as `None`).
fn text(batch: &RecordBatch, name: &str, row: usize) -> Option<String> {
    text_at(batch.column_by_name(name)?, row).map(str::to_owned)
}

fn int(batch: &RecordBatch, name: &str, row: usize) -> i64 {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_primitive_opt::<Int64Type>().cloned())
        .filter(|c| c.is_valid(row))
        .map_or(0, |c| c.value(row))
}

fn list(batch: &RecordBatch, name: &str, row: usize) -> Vec<String> {
    let Some(col) = batch.column_by_name(name) else {
        return Vec::new();
    };
    let Some(col) = col.as_list_opt::<i32>() else {
        return Vec::new();
    };
    if !col.is_valid(row) {
        return Vec::new();
    }
    let values = col.value(row);
    (0..values.len())
        .filter_map(|i| text_at(&values, i).map(str::to_owned))
        .collect()
}

fn rows(batches: &[RecordBatch]) -> impl Iterator<Item = (&RecordBatch, usize)> {
    batches
        .iter()
        .flat_map(|b| (0..b.num_rows()).map(move |r| (b, r)))
}

impl Lake {
    /// The summary inputs of `params.week` against `params.against` (default: the latest
    /// earlier week with data), with at most `params.sample` sample findings (default 50).
    pub async fn summary(&self, params: &Params) -> Result<Value> {
        Ok(self.report(params, false).await?.0)
    }

    /// The summary inputs (as [`Lake::summary`]) and the rows of the `diff` query for the
    /// same weeks, from one classification of the week's changes: what the weekly report
    /// needs, for about the cost of the summary alone.
    pub async fn summary_and_diff(&self, params: &Params) -> Result<(Value, Vec<RecordBatch>)> {
        let (summary, diff) = self.report(params, true).await?;
        Ok((summary, diff.unwrap_or_default()))
    }

    async fn report(
        &self,
        params: &Params,
        with_diff: bool,
    ) -> Result<(Value, Option<Vec<RecordBatch>>)> {
        let manifest = self.manifest().await?;
        let (week, against) = self.pair(&manifest, params).await?;
        let sample_size = params.sample()?;
        let weeks: Vec<String> = std::iter::once(week.clone())
            .chain(against.clone())
            .collect();
        let scope = Scope::Partitions(self.partitions_of_weeks(&manifest, &weeks).await?);
        let ctx = self
            .context(&manifest, &vec![(week.clone(), against.clone())], &scope)
            .await?;
        let bind = |ctx: &SessionContext, sql: &'static str| {
            let ctx = ctx.clone();
            let values = vec![
                ("week", ScalarValue::Utf8(Some(week.clone()))),
                ("against", ScalarValue::Utf8(against.clone())),
                ("sample", ScalarValue::Int64(Some(i64::from(sample_size)))),
            ];
            async move {
                let mut frame = ctx.sql(sql).await?;
                // Each query uses a subset of the parameters.
                let used: Vec<_> = values
                    .into_iter()
                    .filter(|(name, _)| sql.contains(&format!("${name}")))
                    .collect();
                frame = frame.with_param_values(used)?;
                Ok::<_, crate::QueryError>(frame.collect().await?)
            }
        };
        // Two of the statements read the week's changes: classify them once. Without the
        // diff, only the columns the summary's statements read: the text of the few sampled
        // findings is read by the sample itself. The statements that do not read them run
        // meanwhile (each statement leaves a core idle at times: planning, opening files,
        // merging its partitions).
        let classified = async {
            let mut frame = ctx.table("finding_changes").await?;
            if !with_diff {
                frame = frame.select_columns(&SUMMARY_CHANGE_COLUMNS)?;
            }
            let planned: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
            let changes = frame.collect().await?;
            let schema = changes.first().map_or(planned, RecordBatch::schema);
            Ok::<_, crate::QueryError>(MemTable::try_new(schema, vec![changes])?)
        };
        let (changes, scope, checks) =
            futures::try_join!(classified, bind(&ctx, SCOPE), bind(&ctx, CHECKS))?;
        ctx.deregister_table("finding_changes")?;
        ctx.register_table("finding_changes", Arc::new(changes))?;
        // The sample looks up its few findings' text by key: with late materialization,
        // in a session of its own (the setting is the session's).
        let sampling = SessionContext::new_with_state(ctx.state());
        sampling.sql(LATE_MATERIALIZATION).await?;
        let (counts, sample) = futures::try_join!(bind(&ctx, COUNTS), bind(&sampling, SAMPLE))?;
        let diff = if with_diff {
            Some(ctx.sql(named("diff")?.sql).await?.collect().await?)
        } else {
            None
        };

        // Counts.
        let mut status: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut severity: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut muted_fail = (0, 0);
        let mut changes: BTreeMap<String, i64> = BTreeMap::new();
        for (b, r) in rows(&counts) {
            let (section, name) = (
                text(b, "section", r),
                text(b, "name", r).unwrap_or_default(),
            );
            let (cur, prev) = (int(b, "current", r), int(b, "previous", r));
            match section.as_deref() {
                Some("status") => {
                    status.insert(name, (cur, prev));
                }
                Some("severity") => {
                    severity.insert(name, (cur, prev));
                }
                Some("muted_fail") => muted_fail = (cur, prev),
                Some("change") => {
                    changes.insert(name, cur);
                }
                _ => {}
            }
        }
        let by_severity = |pick: &dyn Fn((i64, i64)) -> i64| -> Value {
            let mut m = Map::new();
            for s in SEVERITIES {
                let v = severity.get(s.name()).copied().unwrap_or_default();
                m.insert(s.name().to_ascii_lowercase(), pick(v).into());
            }
            Value::Object(m)
        };
        let stat = |name: &str| status.get(name).map_or(0, |v| v.0);
        let findings = stat("PASS") + stat("FAIL") + stat("MANUAL");

        // Scope: per account and week, the latest scan that landed, else the latest failed one.
        let mut latest: BTreeMap<(String, String), ScopeEntry> = BTreeMap::new();
        for (b, r) in rows(&scope) {
            let key = (
                text(b, "week", r).unwrap_or_default(),
                text(b, "account_uid", r).unwrap_or_default(),
            );
            let entry = (
                text(b, "status", r).unwrap_or_default(),
                list(b, "regions", r),
                text(b, "error", r),
            );
            match latest.get(&key) {
                // Rows come latest first: keep the first that landed.
                Some((s, _, _)) if s != "failed" => {}
                Some(_) if entry.0 == "failed" => {}
                _ => {
                    latest.insert(key, entry);
                }
            }
        }
        let landed = |w: &str| -> BTreeSet<String> {
            latest
                .iter()
                .filter(|((week, _), (s, _, _))| week == w && s != "failed")
                .map(|((_, a), _)| a.clone())
                .collect()
        };
        let scanned = landed(&week);
        let regions: BTreeSet<String> = latest
            .iter()
            .filter(|((w, _), (s, _, _))| *w == week && s != "failed")
            .flat_map(|(_, (_, regions, _))| regions.iter().cloned())
            .collect();
        let with_status = |wanted: &str| -> Vec<Value> {
            latest
                .iter()
                .filter(|((w, _), (s, _, _))| *w == week && s == wanted)
                .map(|((_, account), (_, _, error))| {
                    json!({"account": account, "error": error.as_deref().map(trim)})
                })
                .collect()
        };
        let missing: Vec<String> = against
            .as_deref()
            .map(|a| landed(a).difference(&scanned).cloned().collect())
            .unwrap_or_default();

        let top_checks: Vec<Value> = rows(&checks)
            .map(|(b, r)| {
                json!({
                    "check_id": text(b, "check_id", r),
                    "title": text(b, "title", r).as_deref().map(trim),
                    "severity": text(b, "severity", r),
                    "open_fail": int(b, "open_fail", r),
                    "accounts": int(b, "accounts", r),
                })
            })
            .collect();

        let samples: Vec<Value> = rows(&sample)
            .map(|(b, r)| {
                let resources = resource_uids(b, r);
                json!({
                    "uid": text(b, "finding_uid", r),
                    "title": text(b, "title", r).as_deref().map(trim),
                    "severity": text(b, "severity", r),
                    "check_id": text(b, "check_id", r),
                    "account": text(b, "account_uid", r),
                    "region": text(b, "region", r),
                    "resources": resources,
                    "status_detail": text(b, "status_detail", r).as_deref().map(trim),
                    "change": text(b, "change", r),
                })
            })
            .collect();

        let change = |name: &str| changes.get(name).copied().unwrap_or_default();
        let summary = json!({
            "week": week,
            "previous_week": against,
            "scope": {
                "accounts_scanned": scanned,
                "regions_scanned": regions,
                "accounts_partial": with_status("partial"),
                "accounts_failed": with_status("failed"),
                "accounts_missing": missing,
            },
            "totals": {
                "findings": findings,
                "pass": stat("PASS"),
                "fail": stat("FAIL"),
                "manual": stat("MANUAL"),
                "muted": stat("muted"),
            },
            "open_fail_by_severity": {
                "current": by_severity(&|v| v.0),
                "previous": by_severity(&|v| v.1),
                "delta": by_severity(&|v| v.0 - v.1),
            },
            "muted_fail": {"current": muted_fail.0, "previous": muted_fail.1},
            "changes": {
                "new": change("new"),
                "regressed": change("regressed"),
                "persisting": change("persisting"),
                "resolved": change("resolved"),
                "unverified": change("unverified"),
            },
            "top_failing_checks": top_checks,
            "sample": samples,
        });
        Ok((summary, diff))
    }
}

/// Up to three resource uids of the finding at `row`.
fn resource_uids(batch: &RecordBatch, row: usize) -> Vec<String> {
    let Some(col) = batch
        .column_by_name("resources")
        .and_then(|c| c.as_list_opt::<i32>().cloned())
    else {
        return Vec::new();
    };
    if !col.is_valid(row) {
        return Vec::new();
    }
    let structs = col.value(row);
    let structs = structs.as_struct();
    let Some(uids) = structs.column_by_name("uid") else {
        return Vec::new();
    };
    (0..uids.len().min(3))
        .filter_map(|i| text_at(uids, i).map(trim))
        .collect()
}
